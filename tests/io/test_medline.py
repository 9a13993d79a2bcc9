"""MEDLINE / .nbib reader over trimmed real PubMed and PMC exports (tests/fixtures/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.io import medline
from screening.io.base import detect_format
from screening.io.text import decode_bytes
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def read(name: str) -> str:
    return decode_bytes((FIX / name).read_bytes(), name).text


def test_nbib_crlf_continuation_lines_and_full_author_names():
    text = read("medline_pubmed.nbib")
    result = medline.parse(text, "medline_pubmed.nbib")
    assert result.format == "medline" and result.dialect == "pubmed"
    assert result.expected_count == len(result.records) == 2
    assert [r.line for r in result.records] == [1, 284]
    first = result.records[0].fields
    # TI wraps over a 6-space continuation line
    assert first["title"] == ("Impact of Balloon Guide Catheter Use on Clinical and Angiographic Outcomes in the "
                              "STRATIS Stroke Thrombectomy Registry.")
    assert first["abstract"].startswith("Background and Purpose- Mechanical thrombectomy")
    assert first["abstract"].endswith("Unique identifier: NCT02239640.")
    # FAU (full names) preferred over AU ('Zaidat OO')
    assert first["authors"][:2] == ["Zaidat, Osama O", "Mueller-Kronast, Nils H"]
    assert first["doi"] == "10.1161/strokeaha.118.021126"      # from 'LID - ... [doi]'
    assert first["pmid"] == first["source_record_id"] == "30776994"
    assert first["year"] == 2019 and first["pages"] == "697-704"
    assert first["journal"] == "Stroke" and first["issn"] == "1524-4628; 0039-2499"
    assert first["publication_type"] == ["Journal Article", "Multicenter Study", "Research Support, Non-U.S. Gov't"]
    second = result.records[1].fields
    assert second["journal_abbrev"] == "J Neurointerv Surg"
    assert "Systematic Review" in second["publication_type"]


def test_legacy_medline_with_leading_blank_line():
    result = medline.parse(read("medline_legacy.medline"), "x")
    assert [r.line for r in result.records] == [2, 76]
    rec = result.records[0].fields
    assert rec["title"] == "Bioinformatic survey of ABC transporters in dermatophytes."
    assert rec["authors"] == ["Gadzalski, Marek", "Ciesielska, Anita", "Staczek, Pawel"]
    assert rec["issue"] == "1 Pt 3" and rec["pages"] == "466-475" and rec["doi"] == "10.1016/j.gene.2015.10.064"
    assert rec["keywords"] == ["ABC transporters", "Dermatophytes", "Drug resistance", "Phylogenetics"]


def test_pmc_export_starts_records_at_pmc_tag():
    text = read("medline_pmc.txt")
    result = medline.parse(text, "x")
    assert result.dialect == "pmc"
    assert result.expected_count == len(result.records) == 2
    lines = text.split("\n")
    assert [r.line for r in result.records] == [2, 47]
    assert all(lines[r.line - 1].startswith("PMC - ") for r in result.records)
    first, second = (r.fields for r in result.records)
    assert first["pmcid"] == "PMC6055010" and first["pmid"] == "30042925"
    assert first["abstract"] == ""        # 'AB  - ' is empty; OAB is a publisher note, not an abstract
    assert first["pages"] == "283-298"    # 'PG - 283-98' expanded
    assert second["abstract"].startswith("Background: Traditionally perceived as a disorder of women")
    assert all(r.source_db == "PubMed Central" for r in result.records)


@pytest.mark.parametrize("name", ["medline_pubmed.nbib", "medline_legacy.medline", "medline_pmc.txt"])
def test_detected_by_content_and_ingested(name):
    data = (FIX / name).read_bytes()
    assert detect_format(decode_bytes(data, "x.ris").text, "x.ris").name == "medline"   # wrong suffix
    table = ingest([RawSource("export.txt", data)]).records
    assert len(table) == 2
    assert set(table["source_format"]) == {"medline"}
    assert all(table["title"] != "") and all(table["pmid"] != "")


def test_sniff_ignores_ris_and_wos():
    assert medline.sniff(read("ris_scopus.ris")) == 0.0
    assert medline.sniff(read("wos_revtools.ciw")) == 0.0


def test_file_cut_inside_last_record_is_refused():
    from screening.errors import InputError

    data = (FIX / "medline_pubmed.nbib").read_bytes()
    cut = data[: data.rindex(b"AB  - ") + 200]          # stops mid-abstract of record 2, no final line break
    with pytest.raises(InputError) as err:
        ingest([RawSource("cut.nbib", cut)])
    assert err.value.path == "cut.nbib" and err.value.line == 284
    assert "truncated" in str(err.value)


def test_last_record_without_so_but_complete_lines_only_warns():
    # like the real 2015 metaknowledge export, whose last record stops after its TI lines
    text = read("medline_legacy.medline")
    head = text[: text.rindex("\nSO  - ") + 1]
    result = medline.parse(head, "legacy.medline")
    assert len(result.records) == result.expected_count == 2
    assert any("may be incomplete" in w for w in result.warnings)


def test_a_record_without_its_pmid_line_is_read_and_named():
    # Records are blank-line separated blocks; one that lost its PMID line (an edited file)
    # was dropped without a word, as the PMID count agreed. It is read, with a warning.
    data = (FIX / "medline_pubmed.nbib").read_bytes()
    at = data.index(b"\nPMID- ", 10) + 1
    damaged = data[:at] + data[data.index(b"\n", at) + 1:]
    intact = medline.parse(read("medline_pubmed.nbib"), "x.nbib").records
    result = medline.parse(decode_bytes(damaged, "x.nbib").text, "x.nbib")
    assert len(result.records) == result.expected_count == 2
    lost = result.records[1]
    assert lost.line == 284
    assert lost.fields == dict(intact[1].fields, pmid="", source_record_id="")
    assert result.warnings == ["x.nbib:284: record has no PMID line; read it without a PMID (check it in the export)"]
    report = ingest([RawSource("x.nbib", damaged)]).report
    assert report.counts["records_identified"] == 2


def test_blocks_without_tag_lines_are_no_records():
    text = read("medline_pubmed.nbib")
    padded = "\n\nsome words, no tag\n\n" + text.replace("\n\n", "\n\n   \n\n", 1)
    result = medline.parse(padded, "x.nbib")
    assert len(result.records) == result.expected_count == 2 and not result.warnings
