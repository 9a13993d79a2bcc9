"""Format detection by content: a table whose quoted cells hold lines of a tagged format
(acceptance test 36, L7) is still a table, and every real export keeps its format."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.io.base import detect_format
from screening.io.text import decode_bytes
from screening.stages.ingest import RawSource, ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _detect(path: Path) -> str:
    return detect_format(decode_bytes(path.read_bytes(), path.name).text, path.name).name


def test_csv_with_a_ris_record_inside_a_quoted_title_is_a_table():
    path = FIXTURES / "hostile" / "csv_ris_in_cell.csv"
    assert _detect(path) == "tabular"
    result = ingest([RawSource(path.name, path.read_bytes())])
    assert len(result.records) == 3
    # the pasted record stays inside the title, its newlines folded: no injected record
    assert result.records["title"].iloc[0] == "First title ER - TY - JOUR TI - INJECTED RECORD DO - 10.1/fake"
    assert result.records["doi"].tolist() == ["10.1000/a1", "10.1000/a2", "10.1000/a3"]


def test_csv_with_medline_lines_inside_a_quoted_abstract_is_a_table():
    text = ('title,abstract,authors\n'
            '"A trial","Pasted:\nPMID- 123\nTI  - Other\nFAU - Doe, Jane\nAU  - Doe J\nDP  - 2020","Smith, J."\n'
            'Second,none,"Roe, R."\n')
    assert detect_format(text, "x.csv").name == "tabular"


def test_tagged_lines_where_rows_start_keep_the_tagged_format():
    # RIS after a line that merely looks like a header: the tag lines start rows, not cells
    text = 'title,abstract\nTY  - JOUR\nTI  - A study\nER  - \n'
    assert detect_format(text, "x.txt").name == "ris"
    # a real RIS file with a quote in a title is not a table either
    text = 'TY  - JOUR\nTI  - "Quoted, title\nAU  - Doe, J.\nER  - \n'
    assert detect_format(text, "x.ris").name == "ris"


# A representative subset of the fixtures, one or more per reader and dialect, with the format
# each was detected as before the quoted-cell rule (the full check over tests/fixtures and
# ../shared/data ran identical before and after it).
SUBSET = {
    "exports/ris_scopus.ris": "ris", "exports/ris_endnote.txt": "ris", "exports/ris_wos.ris": "ris",
    "exports/ris_ovid_medline_central.ris": "ris", "exports/ris_zotero.ris": "ris",
    "exports/ris_scopus_no_er_ty.ris": "ris",
    "exports/scopus_csv_litstudy_3.csv": "tabular", "exports/embase_csv_asreview_2.csv": "tabular",
    "exports/zotero_csv_asysd_3.csv": "tabular", "exports/pubmed_csv_legacy_4.csv": "tabular",
    "exports/wos_tabdelim_corecollection_3.txt": "tabular", "exports/wos_biosis_tabdelim_3.txt": "tabular",
    "exports/screening_kitchenham_4.csv": "tabular", "exports/dedup_asysd_labelled_cp1252.csv": "tabular",
    "exports/medline_pubmed.nbib": "medline", "exports/medline_pmc.txt": "medline",
    "exports/wos_metaknowledge.txt": "wos", "exports/wos_revtools_no_er.ciw": "wos",
    "exports/ovid_tagged_endnote.cgi": "ovid", "exports/cochrane_plain.txt": "cochrane",
    "exports/proquest_plain.txt": "proquest", "exports/cochrane_bib_p1m_5.bib": "bibtex",
    "exports/wos_bib_bibliometrix_3.bib": "bibtex", "exports/pubmed_xml_biopython_2.xml": "pubmed_xml",
    "exports/endnote_xml_rathbone_6.xml": "endnote_xml",
    "contracts/europepmc_page_3.json": "europepmc_json", "contracts/openalex_page_3.json": "openalex_json",
    "ingest_cases/rathbone_haematology_glued_authors.csv": "tabular",
    "ingest_cases/screening_van_der_valk_sort_order.csv": "tabular",
}


@pytest.mark.parametrize("name", sorted(SUBSET))
def test_real_exports_keep_their_detected_format(name):
    assert _detect(FIXTURES / name) == SUBSET[name]
