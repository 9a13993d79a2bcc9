"""EndNote XML reader on a real one-line EndNote X7 export (whole <record> elements cut)."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.errors import InputError
from screening.io import endnote_xml, pubmed_xml
from screening.io.base import detect_format
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
ONE_LINE = FIX / "endnote_xml_rathbone_6.xml"


def _parse():
    return endnote_xml.parse(ONE_LINE.read_text(encoding="utf-8"), ONE_LINE.name)


def test_counts_lines_and_dialect():
    result = _parse()
    assert result.format == "endnote_xml" and result.dialect == "endnote"
    assert result.expected_count == 6 and len(result.records) == 6
    assert {r.line for r in result.records} == {1}      # the whole export is one line
    assert b"\n" not in ONE_LINE.read_bytes()


def test_the_library_record_number_leads_back_to_each_record():
    # one line for all: source_line cannot tell the records apart, the EndNote number can
    ids = [r.fields["source_record_id"] for r in _parse().records]
    assert ids == ["EndNote #2", "EndNote #1", "EndNote #4", "EndNote #3", "EndNote #6", "EndNote #799"]


def test_style_wrapped_values_are_read():
    recs = [r.fields for r in _parse().records]
    assert recs[0]["title"] == ("Perioperative nutritional support in patients undergoing hepatectomy "
                                "for hepatocellular carcinoma")
    assert recs[0]["authors"] == ["Ziegler, T. R."]
    assert recs[0]["year"] == 1996
    assert (recs[0]["volume"], recs[0]["issue"], recs[0]["pages"]) == ("20", "1112", "91-92")
    assert recs[0]["journal"] == "Jpen: Journal of Parenteral & Enteral Nutrition"   # &amp; decoded
    assert recs[1]["journal"] == "JPEN. Journal of parenteral and enteral nutrition"
    assert recs[2]["authors"] == ["Zhou, Xiangdong", "Lan, Jian", "Zhang, Ting"]
    assert recs[2]["title"].startswith("[A study on the use of mycobacterium vaccine")
    assert all(r["publication_type"] == ["Journal Article"] for r in recs)


def test_duplicate_caption_kept_and_missing_authors_allowed():
    recs = [r.fields for r in _parse().records]
    assert recs[0]["caption"] == "Duplicate"          # Rathbone's manual duplicate flag
    assert recs[5]["authors"] == []
    assert recs[5]["title"].startswith("Postoperative local immunostimulation")


def test_library_file_name_is_not_a_database():
    # <database> holds 'Respiratory.enl', the EndNote library, not a bibliographic database
    assert {r.source_db for r in _parse().records} == {""}


def test_ingest_and_detection():
    data = ONE_LINE.read_bytes()
    assert detect_format(data.decode("utf-8"), "library.xml").name == "endnote_xml"
    assert pubmed_xml.sniff(data.decode("utf-8")) == 0.0
    table = ingest([RawSource("refs/library.xml", data)]).records
    assert len(table) == 6
    assert table["source_line"].tolist() == [1] * 6
    assert table["record_id"].iloc[0] == "library-00001"
    assert "caption" in table.columns


def test_truncated_one_line_export_fails_on_line_one():
    text = ONE_LINE.read_text(encoding="utf-8")
    with pytest.raises(InputError) as err:
        endnote_xml.parse(text[: len(text) // 2], "library.xml")
    assert err.value.line == 1
    assert "library.xml:1:" in str(err.value)
