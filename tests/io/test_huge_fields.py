"""Ingest warns of a field no real export has (acceptance test 36b, M5): a 50 MB abstract was
ingested without a word, and `screen` then spent minutes drawing it. The record is kept as it
is (stored data unchanged); the warning names the file, the record and the field, once per file.
"""

from __future__ import annotations

from pathlib import Path

from screening.stages.ingest import FIELD_WARN_CHARS, ingest_paths

ECONLIT = Path(__file__).resolve().parents[1] / "fixtures" / "core" / "econlit_3.ris"


def _with_huge_fields(tmp_path: Path, n: int) -> Path:
    """The real 3-record EconLit file (crafted from core/econlit_3.ris), the abstracts of its first ``n`` records 1.2 MB long."""
    text = ECONLIT.read_text(encoding="utf-8-sig")
    filler = "lorem ipsum dolor " * 70_000
    at = 0
    for _ in range(n):                     # EconLit writes the abstract as N2
        at = text.index("N2  - ", at) + 6
        text = text[:at] + filler + text[at:]
    path = tmp_path / "huge.ris"
    path.write_text(text, encoding="utf-8")
    return path


def test_ingest_warns_once_per_file_of_an_absurd_field(tmp_path: Path) -> None:
    path = _with_huge_fields(tmp_path, 2)
    result = ingest_paths([path])
    said = [w for w in result.report.warnings if "characters" in w]
    assert len(said) == 1, result.report.warnings
    assert "record huge-00001" in said[0] and "abstract of 1,26" in said[0] and "and 1 more field" in said[0]
    assert str(path) in said[0]
    assert len(result.records.iloc[0]["abstract"]) > FIELD_WARN_CHARS      # kept whole
    assert result.report.details["files"][0]["warnings"] == said


def test_no_warning_for_real_records(tmp_path: Path) -> None:
    assert not [w for w in ingest_paths([ECONLIT]).report.warnings if "characters" in w]
