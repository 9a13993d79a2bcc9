"""Web of Science plain-text reader over trimmed real exports (tests/fixtures/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.errors import InputError
from screening.io import wos
from screening.io.base import detect_format
from screening.io.text import decode_bytes
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def read(name: str) -> str:
    return decode_bytes((FIX / name).read_bytes(), name).text


def test_revtools_export_fields_and_continuations():
    text = read("wos_revtools.ciw")
    result = wos.parse(text, "wos_revtools.ciw")
    assert result.format == "wos" and result.dialect == "wos"
    assert result.expected_count == len(result.records) == 2
    assert [r.line for r in result.records] == [3, 41]
    assert all(text.split("\n")[r.line - 1].startswith("PT ") for r in result.records)
    rec = result.records[0].fields
    # TI continues over a 3-space line; AF (full names) preferred over AU, one per line
    assert rec["title"] == "Do magnetic phosphorus adsorbents used for lake restoration impact on zooplankton community?"
    assert rec["authors"] == ["Alvarez-Manzaneda, I.", "Guerreroc, F.", "del Arco, I.", "Funes, A.",
                              "Cruz-Pizarro, L.", "de Vicente, I."]
    assert rec["abstract"].startswith("Magnetic microparticles (MPs) have been recently proposed")
    assert rec["doi"] == "10.1016/j.scitotenv.2018.11.375"
    assert rec["source_record_id"] == "WOS:000455039600059"
    assert rec["pmid"] == "30529964" and rec["year"] == 2019 and rec["pages"] == "598-607"
    assert rec["issn"] == "0048-9697; 1879-1026"
    # DE/ID keyword lists continue over lines and are '; '-separated
    assert "Lake restoration" in rec["keywords"] and "CYLINDROSPERMOPSIS-RACIBORSKII" in rec["keywords"]
    assert all(r.source_db == "Web of Science" for r in result.records)


def test_thomson_header_with_bom_and_old_records():
    result = wos.parse(read("wos_metaknowledge.txt"), "x")
    assert [r.line for r in result.records] == [3, 139]
    rec = result.records[0].fields
    assert rec["title"] == ("EXPERIMENTS IN PHENOMENOLOGICAL ELECTRODYNAMICS AND THE ELECTROMAGNETIC "
                            "ENERGY-MOMENTUM TENSOR")
    assert rec["authors"] == ["BREVIK, I"] and rec["year"] == 1979
    assert rec["doi"] == "10.1016/0370-1573(79)90074-7"
    assert rec["publication_type"] == ["Review"]


def test_truncated_wos_export_raises_with_line():
    data = (FIX / "wos_revtools.ciw").read_bytes()
    cut = data[: data.rindex(b"\nER")]      # last record lost its ER and the EF line
    with pytest.raises(InputError) as err:
        ingest([RawSource("wos_cut.ciw", cut)])
    assert err.value.path == "wos_cut.ciw" and err.value.line == 41
    assert "truncated" in str(err.value)


def test_missing_ef_is_a_warning_not_an_error():
    text = read("wos_revtools.ciw")
    result = wos.parse(text[: text.rindex("EF")], "x.ciw")
    assert len(result.records) == 2
    assert any("EF" in w for w in result.warnings)


def test_detected_by_content_with_txt_suffix_and_ingested():
    data = (FIX / "wos_revtools.ciw").read_bytes()
    assert detect_format(decode_bytes(data, "savedrecs.txt").text, "savedrecs.txt").name == "wos"
    table = ingest([RawSource("savedrecs.txt", data)]).records
    assert list(table["source_line"]) == [3, 41]
    assert list(table["source_record_id"]) == ["WOS:000455039600059", "WOS:000455039600125"]


def test_early_access_year_unspecified_article_numbers_and_pt_codes():
    """Acceptance testing: a record with only 'EY 2019' had no year, pages read 'UNSP
    1203475418818073', and exports without DT lines had no publication type."""
    text = ("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Doe, J\nTI An early access paper\n"
            "SO JOURNAL OF THINGS\nAR UNSP 1203475418818073\nEY 2019\nUT WOS:000000000000001\nER\n\nEF\n")
    rec = wos.parse(text, "ea.ciw").records[0].fields
    assert rec["year"] == 2019 and rec["pages"] == "1203475418818073" and rec["publication_type"] == ["Journal"]


def test_full_names_without_a_comma_take_the_family_name_from_au():
    """'AF Wang Chen-Yang' (AU 'Wang, CY') was read 'Chen-Yang, Wang'; the AU entry at the same
    place names the family, first ('Wang Chen-Yang') or last ('Nga Tran Vu Thieu', 'Thieu, NTV')."""
    path = FIX.parent / "ingest_cases" / "wos_revtools_af_no_comma.ciw"
    rec = wos.parse(decode_bytes(path.read_bytes(), path.name).text, "x").records[0].fields
    assert rec["authors"] == ["Wang, Chen-Yang", "Yang, Wen", "Zhang, Kun", "Chen, Hong-Hai", "Zhao, Gong-Gang",
                              "Wang, Yao-Yu"]
    # ../shared/data/exports/wos_plaintext_commandline4expertsearchers.txt and revtools' record at line 7120
    assert wos._full_names(["Nga Tran Vu Thieu", "Cong Thang Pham", "Gamard, Guilhem", "Diyanti"],
                           ["Thieu, NTV", "Pham, CT", "Gamard, G", "Diyanti"]) == [
        "Thieu, Nga Tran Vu", "Pham, Cong Thang", "Gamard, Guilhem", "Diyanti"]


def test_a_record_without_its_er_line_is_closed_at_the_next_pt_with_a_warning():
    """Acceptance testing: a record whose ER line was lost was glued onto the next one (title
    joined, authors merged, the second DOI and UT gone), exit 0, because the count came from
    the ER lines. PT starts every record, so it closes an open one; the count takes PT lines."""
    text = read("wos_revtools_no_er.ciw")
    result = wos.parse(text, "no_er.ciw")
    assert [r.line for r in result.records] == [3, 64]
    assert result.expected_count == 2
    first, second = (r.fields for r in result.records)
    assert first["title"].startswith("Cost-effective restoration and conservation planning")
    assert "Biomimetic" not in first["title"]
    assert second["title"] == ("Biomimetic transformation of polyphosphate microparticles during restoration of "
                               "damaged teeth")
    assert first["doi"] == "10.1016/j.scitotenv.2018.10.416" and first["pmid"] == "30586831"
    assert second["doi"] == "10.1016/j.dental.2018.11.014"
    assert second["source_record_id"] == "WOS:000456070900008"
    assert second["authors"][0].startswith("Ackermann, M")
    assert not any(a.startswith("Ackermann") for a in first["authors"])
    assert [w for w in result.warnings if "no ER line" in w] == [
        "no_er.ciw:3: record at line 3 has no ER line: closed at the next PT (line 64); "
        "check both records in the export"]
    res = ingest([RawSource("no_er.ciw", (FIX / "wos_revtools_no_er.ciw").read_bytes())])
    assert list(res.records["source_record_id"]) == ["WOS:000454418500136", "WOS:000456070900008"]
    assert any("no ER line" in w for w in res.report.warnings)


def test_the_count_takes_record_starts_so_a_merge_cannot_pass():
    """The file declares a record per PT line, and one per ER closing tag lines that no PT
    opened (a record that lost its first line, which the scanner reads all the same)."""
    text = read("wos_revtools_no_er.ciw")
    assert wos._count_records(text) == 2
    assert wos._count_records(read("wos_revtools.ciw")) == 2
    lost_pt = read("wos_revtools.ciw").replace("\nPT J\n", "\n", 1)
    assert lost_pt != read("wos_revtools.ciw")
    result = wos.parse(lost_pt, "x.ciw")
    assert len(result.records) == result.expected_count == 2
