"""CSV/TSV reader on real exports: Scopus, Embase, IEEE, Lens, OpenAlex, Zotero, legacy PubMed,
WoS / BIOSIS tab-delimited, and the generic dedup and screening dataset layouts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from screening.errors import InputError
from screening.io import aliases, tabular
from screening.io.base import detect_format
from screening.io.text import decode_bytes
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def _parse(name: str):
    return _parse_path(FIX / name)


def _parse_path(path: Path):
    text = decode_bytes(path.read_bytes(), path.name).text
    return tabular.parse(text, path.name)


def _ingest(name: str):
    return ingest([RawSource(name, (FIX / name).read_bytes())])


# --- database layouts ------------------------------------------------------------------------

def test_scopus_old_layout_bom_and_embedded_newlines():
    raw = (FIX / "scopus_csv_litstudy_3.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    result = _parse("scopus_csv_litstudy_3.csv")
    assert result.dialect == "scopus" and result.expected_count == 3
    recs = [r.fields for r in result.records]
    assert recs[0]["title"] == "Scalable molecular dynamics with NAMD"
    assert recs[0]["authors"][:3] == ["Phillips, J.C.", "Braun, R.", "Wang, W."]
    assert "Kalé, L." in recs[0]["authors"]
    assert recs[0]["doi"] == "10.1002/jcc.20289"
    assert recs[0]["pages"] == "1781-1802"
    assert recs[0]["source_record_id"] == "2-s2.0-27344436659"
    assert recs[1]["authors"] == ["Murata, T."]
    assert {r.source_db for r in result.records} == {"Scopus"}
    # the last row's correspondence address holds a quoted newline: 3 rows on 4 data lines
    assert [r.line for r in result.records] == [2, 3, 4]
    assert raw.count(b"\n") == 5


def test_scopus_rows_from_a_later_layout_are_realigned():
    # Row 3 has one cell more than the header ('Funding Text 2' inserted after 'Funding Text 1')
    result = _parse("scopus_csv_litstudy_3.csv")
    third = result.records[2].fields
    assert third["source_record_id"] == "2-s2.0-85123480963"
    assert third["pmid"] == "35064163"
    assert third["publication_type"] == ["Article"] and third["language"] == "English"
    assert third["journal"] == "Scientific Reports" and third["pages"] == "1135"   # Art. No.
    assert any("realigned" in w for w in result.warnings)


def test_embase_source_field_is_split():
    result = _parse("embase_csv_asreview_2.csv")
    assert result.dialect == "embase"
    second = result.records[1].fields
    assert second["journal"] == "Cancer" and second["year"] == 2004
    assert (second["volume"], second["issue"], second["pages"]) == ("102", "4", "253-258")
    assert second["authors"][:2] == ["Eloubeidi, M.A.", "Cohn, M."]
    assert second["doi"] == "10.1002/cncr.20369"          # from the SFX 'Open URL Link'
    assert second["abstract"].startswith("BACKGROUND. The management of foregut duplication cysts")


def test_embase_keywords_keep_their_subheadings():
    """Embase writes an Emtree term with its subheadings, 'bronchogenic duplication cyst
    (diagnosis, surgery)', in a ','-separated list: the comma inside the brackets split it."""
    keywords = _parse("embase_csv_asreview_2.csv").records[0].fields["keywords"]
    assert "bronchogenic duplication cyst (diagnosis, surgery)" in keywords
    assert "gastric duplication cyst (diagnosis)" in keywords
    assert not [k for k in keywords if k.count("(") != k.count(")")]


def test_embase_major_focus_terms_are_keywords_and_the_issn_comes_from_the_openurl():
    """The 'Emtree ... (Major Focus)' columns (the terms the article is mainly about) were left
    out, though Embase's RIS export of the same records has them among its KW; this export has
    no ISSN column, but its OpenURL link names the journal's ('...&issn=0008543X&...')."""
    first, second = (r.fields for r in _parse("embase_csv_asreview_2.csv").records)
    # record 2's Medical Major Focus: 'cyst fluid, endoscopic ultrasonography, fine needle
    # aspiration biopsy, foregut duplication cyst (diagnosis), mediastinum cyst (diagnosis)'
    for term in ("cyst fluid", "fine needle aspiration biopsy", "foregut duplication cyst (diagnosis)",
                 "mediastinum cyst (diagnosis)"):
        assert term in second["keywords"]
    assert second["keywords"][:3] == ["adult", "aged", "article"]      # the other terms keep their place
    assert len(second["keywords"]) == len(set(second["keywords"]))
    assert "gastrointestinal tract duplication cyst (diagnosis)" in first["keywords"]
    assert (first["issn"], second["issn"]) == ("2226-7190", "0008-543X")   # the RIS export's SN


def test_ieee_inconsistent_header_quotes_and_escaped_quotes():
    result = _parse("ieee_csv_litstudy_3.csv")
    assert result.dialect == "ieee"
    first = result.records[0].fields
    assert first["title"] == 'Exascale Computing Trends: Adjusting to the "New Normal"\' for Computer Architecture'
    assert first["authors"] == ["Kogge, P.", "Shalf, J."]
    assert first["doi"] == "10.1109/mcse.2013.95"
    assert result.records[1].fields["pages"] == "471-478"
    assert result.records[1].source_db == "IEEE Xplore"


def test_ieee_keywords_take_the_inspec_terms_and_comma_separated_author_keywords():
    """INSPEC's controlled and non-controlled terms were left out of keywords; 'Author
    Keywords' are ';'-separated except where the authors typed commas (row 4 of the export:
    'GPGPU computing, CUDA kernels, Energy modeling, Simulation' was one keyword)."""
    first = _parse("ieee_csv_litstudy_3.csv").records[0].fields
    assert "message passing" in first["keywords"]                    # INSPEC Controlled Terms
    assert "single floating-point benchmark" in first["keywords"]    # INSPEC Non-Controlled Terms
    assert first["keywords"][0] == "Computer architecture"            # Author Keywords still first
    assert len(first["keywords"]) == len(set(first["keywords"]))
    (row,) = _parse_path(FIX.parent / "field_cases" / "ieee_csv_comma_author_keywords.csv").records
    assert row.fields["keywords"][:5] == ["GPGPU computing", "CUDA kernels", "Energy modeling", "Simulation",
                                          "Graphics processing units"]


def test_ieee_terms_other_than_the_authors_keep_their_commas(tmp_path):
    """Review: the ','-split meant for 'Author Keywords' applied to every keyword column, so a
    MeSH term 'Diabetes Mellitus, Type 2' became 'Diabetes Mellitus' and 'Type 2'."""
    text = (FIX.parent / "field_cases" / "ieee_csv_comma_author_keywords.csv").read_text(encoding="utf-8")
    header, row = text.splitlines()[:2]
    cells = next(csv.reader([row]))
    names = next(csv.reader([header]))
    cells[names.index("Mesh_Terms")] = "Diabetes Mellitus, Type 2"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([names, cells])
    path = tmp_path / "ieee.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    (rec,) = _parse_path(path).records
    assert "Diabetes Mellitus, Type 2" in rec.fields["keywords"] and "Type 2" not in rec.fields["keywords"]
    assert "CUDA kernels" in rec.fields["keywords"]                      # the authors' list still split


def test_ieee_conference_papers_name_their_proceedings_as_booktitle():
    """'Publication Title' of a paper whose Document Identifier is 'IEEE Conferences' is the
    proceedings: the booktitle, not a journal (as RIS exports write conference papers)."""
    magazine, escience, p3hpc = (r.fields for r in _parse("ieee_csv_litstudy_3.csv").records)
    assert magazine["publication_type"] == ["IEEE Magazines"]
    assert (magazine["journal"], magazine["booktitle"]) == ("Computing in Science & Engineering", "")
    assert escience["publication_type"] == ["IEEE Conferences"]
    assert (escience["journal"], escience["booktitle"]) == ("", "2019 15th International Conference on eScience (eScience)")
    assert p3hpc["journal"] == "" and p3hpc["booktitle"].startswith("2020 IEEE/ACM International Workshop on Performance")


def test_lens_ids_issns_and_na_placeholders():
    result = _parse("lens_csv_bibliometrix_2.csv")
    assert result.dialect == "lens"
    first, second = (r.fields for r in result.records)
    assert first["source_record_id"] == "000-360-106-493-122"
    assert first["pmid"] == "33251087" and first["pmcid"] == "PMC7680653"
    assert first["issn"] == "2194-5411; 2194-5403"
    assert first["authors"][:2] == ["Radanliev, Petar", "De Roure, David"]
    assert second["pmid"] == ""                         # 'NA' in the export
    assert second["pages"] == "27"


def test_openalex_pipe_separated_authors():
    result = _parse("openalex_csv_bibliometrix_3.csv")
    assert result.dialect == "openalex"
    first = result.records[0].fields
    assert first["title"].startswith("bibliometrix : An R-tool for comprehensive science")
    assert first["authors"] == ["Aria, Massimo", "Cuccurullo, Corrado"]
    assert first["doi"] == "10.1016/j.joi.2017.08.007"
    assert first["source_record_id"] == "https://openalex.org/W2755950973"
    assert "record_id" not in first                     # OpenAlex 'id' is an accession, not our id
    assert result.records[1].fields["abstract"].startswith("This study aims to explore")


def test_zotero_keys_tags_and_pmid_from_extra():
    result = _parse("zotero_csv_asysd_3.csv")
    assert result.dialect == "zotero"
    second = result.records[1].fields
    assert second["title"] == "Primary secretory otitis media in Cavalier King Charles spaniels."
    assert second["source_record_id"] == "RUEH8DBA"
    assert second["pmid"] == "23122173"
    assert second["issn"] == "1878-1306; 0195-5616"
    assert "Dogs" in second["keywords"]
    assert second["journal_abbrev"] == "Vet Clin North Am Small Anim Pract"


def test_legacy_pubmed_csv():
    result = _parse("pubmed_csv_legacy_4.csv")
    assert result.dialect == "pubmed_csv_legacy"
    recs = [r.fields for r in result.records]
    assert recs[0]["authors"][:2] == ["Kipping, R", "Langford, R"]
    assert not any(a.lower().startswith("et al") for a in recs[0]["authors"])
    assert recs[1]["authors"] == []                     # '[No authors listed]'
    assert recs[1]["journal"] == "Endoscopy"
    assert (recs[1]["volume"], recs[1]["issue"], recs[1]["pages"]) == ("51", "8", "806-807")
    assert recs[1]["doi"] == "10.1055/a-0965-1347"
    assert recs[1]["pmid"] == "31344739"
    assert recs[1]["url"] == "https://pubmed.ncbi.nlm.nih.gov/31344739"
    assert {r.source_db for r in result.records} == {"PubMed"}


def _records(name: str, data: bytes):
    return ingest([RawSource(name, data)]).records


def test_excel_sep_line_names_the_delimiter_and_line_numbers_stay_true():
    """Excel's 'sep=;' first line (a CSV saved for another locale's list separator) made the
    file 'unknown format'. Its delimiter is read from it and the header from the next line."""
    raw = (FIX / "scopus_csv_litstudy_3.csv").read_bytes()      # BOM, a quoted newline in row 3
    bom, body = raw[:3], raw[3:]
    want = _records("scopus.csv", raw)
    comma = _records("scopus_sep.csv", bom + b"sep=,\r\n" + body)
    cols = ["title", "authors", "doi", "keywords"]
    pd.testing.assert_frame_equal(comma[cols], want[cols])
    assert list(comma["source_line"]) == [line + 1 for line in want["source_line"]]
    # the same rows written with ';' (Excel in a locale whose list separator is ';')
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    semi = _records("scopus_semi.csv", b'"sep=;"\r\n' + out.getvalue().encode("utf-8"))
    pd.testing.assert_frame_equal(semi[cols], want[cols])
    assert list(semi["source_line"]) == list(comma["source_line"])
    assert tabular.sniff('sep=;\ntitle;authors\nA;Doe J\n') > 0.5


def test_legacy_pubmed_csv_publication_type_is_the_summarys_notation_not_citation():
    """'Type' is 'citation' in every row (PubMed's kind of search result), which was read as
    every record's publication type. PubMed's summary notes a Review (or Retracted
    Publication) at the end of 'Details'; no other type is ever written there."""
    assert "citation" in (FIX / "pubmed_csv_legacy_4.csv").read_text()
    assert all(r.fields["publication_type"] == [] for r in _parse("pubmed_csv_legacy_4.csv").records)
    recs = [r.fields for r in _parse_path(FIX.parent / "field_cases" / "pubmed_csv_legacy_review.csv").records]
    # '... doi: 10.2196/jmir.9076. Review.', '... [Epub ahead of print] Review.', and
    # '... Epub 2019 Jul 25. French.  No abstract available.'
    assert [r["publication_type"] for r in recs] == [["Review"], ["Review"], []]
    assert recs[1]["doi"] == "10.1016/j.gaitpost.2019.07.253" and recs[1]["pages"] == "180-188"


@pytest.mark.parametrize("name, db, first_ut", [
    ("wos_tabdelim_corecollection_3.txt", "Web of Science", "WOS:000461270600041"),
    ("wos_biosis_tabdelim_3.txt", "BIOSIS Previews (Web of Science)", "BIOSIS:PREV201800796061"),
])
def test_wos_tab_delimited_cr_only(name, db, first_ut):
    raw = (FIX / name).read_bytes()
    assert b"\n" not in raw and raw.count(b"\r") == 4 and raw.startswith(b"\xef\xbb\xbf")
    result = _ingest(name)
    table = result.records
    assert result.report.details["files"][0]["dialect"] == "wos"
    assert len(table) == 3
    assert table["source_line"].tolist() == [2, 3, 4]
    assert set(table["source_db"]) == {db}
    assert table["source_record_id"].iloc[0] == first_ut
    assert table["title"].iloc[0].startswith(("Effects of pine-oak woodland", "Cross-scale occupancy dynamics"))
    assert (table["abstract"] != "").all() and (table["doi"] != "").all()


def test_biosis_email_stripped_from_authors():
    first = _parse("wos_biosis_tabdelim_3.txt").records[0].fields
    assert first["authors"][:2] == ["Tingley, Morgan W.", "Stillman, Andrew N."]
    assert first["pmid"] == "29782655"


def test_wos_tab_delimited_pages_from_begin_and_end_page_first():
    """BIOSIS has BP/EP and PS: 'BP 16' (no EP) came out of PS as 'ArticleNo.:16'. WoS's order is
    BP-EP, then AR; PS only when neither is there."""
    pages = [r.fields["pages"] for r in _parse("wos_biosis_tabdelim_3.txt").records]
    assert pages == ["1484-1496", "1039-1048", "16"]


def test_zotero_csv_author_reply_pages_are_not_the_articles():
    """MEDLINE's '222; author reply 222' (via Zotero) became '222;authorreply222'."""
    path = FIX.parent / "ingest_cases" / "zotero_csv_asysd_author_reply.csv"
    assert tabular.parse(decode_bytes(path.read_bytes(), path.name).text, path.name).records[0].fields["pages"] == "222"


def test_wos_tab_delimited_unspecified_article_numbers():
    # WoS writes 'UNSP 15' where an article number is 'unspecified' (the plain-text reader
    # strips it too; see test_wos_plain)
    table = _ingest("wos_tabdelim_unsp_2.txt").records
    assert table["source_record_id"].tolist() == ["WOS:000419347000018", "WOS:000208810400007"]
    assert table["pages"].tolist() == ["15", "31"]


def _wos_row_edited(**cells: str) -> str:
    """The first record of the real WoS tab-delimited fixture with some cells replaced."""
    text = decode_bytes((FIX / "wos_tabdelim_unsp_2.txt").read_bytes(), "x").text
    header, row = (line.split("\t") for line in text.splitlines()[:2])
    for name, value in cells.items():
        row[header.index(name)] = value
    return "\t".join(header) + "\n" + "\t".join(row) + "\n"


def test_wos_tab_delimited_early_access_year_and_pt_code():
    # early-access records have no PY (only EA/EY) until they get an issue; PD is often just
    # a month; an export without DT names the document type by its PT code
    def year(**cells: str) -> int | None:
        return tabular.parse(_wos_row_edited(**cells), "early.txt").records[0].fields["year"]

    assert year(PY="", PD="MAR", EA="JAN 2020", EY="2021") == 2020        # EA before EY
    assert year(PY="", PD="MAR", EA="", EY="2021") == 2021
    assert year(PY="", PD="MAR 2019", EA="JAN 2020", EY="2020") == 2019   # PD before EA
    assert year(PY="2018", PD="MAR 2019", EA="JAN 2020") == 2018          # PY first
    fields = tabular.parse(_wos_row_edited(DT=""), "early.txt").records[0].fields
    assert fields["publication_type"] == ["Journal"]
    fields = tabular.parse(_wos_row_edited(), "early.txt").records[0].fields
    assert fields["publication_type"] == ["Article"]            # DT wins over the PT code


def test_generic_csv_year_does_not_borrow_from_another_date_column():
    # only WoS falls back across its year columns; 'in press' in a generic Year column is no year
    text = "Title,Year,Date\nA trial,in press,2023-01-05\nB trial,2020,2019-02-01\n"
    years = [r.fields["year"] for r in tabular.parse(text, "g.csv").records]
    assert years == [None, 2020]


def test_wos_tab_delimited_resaved_by_excel_loses_its_quotes():
    # Excel's 'Unicode text' re-save quotes cells with quotes or line breaks in them and
    # doubles the quotes; WoS itself never quotes (a title may contain quotes of its own)
    text = _wos_row_edited(TI='"Effects of ""pine-oak"" woodland restoration"', DE='"Fire\nOak; Pine"')
    fields = tabular.parse(text, "resaved.txt").records[0].fields
    assert fields["title"] == 'Effects of "pine-oak" woodland restoration'
    assert fields["keywords"][:2] == ["Fire Oak", "Pine"]           # the quoted line break read whole
    assert fields["journal"] == "AVIAN CONSERVATION AND ECOLOGY"
    # a genuine WoS export: quotes are the text's own, even a wholly quoted title
    for title in ('"Ecosystem services"', '"Smart" growth and "green" cities', '"Hot" birds'):
        fields = tabular.parse(_wos_row_edited(TI=title), "wos.txt").records[0].fields
        assert fields["title"] == title


def test_zotero_csv_of_ovid_records_pmid_from_link_and_no_journal_id_as_issue():
    # records Zotero took from Ovid keep the PMID only in the Ovid link, and the NLM journal
    # id (with Ovid's segment code) in the issue field; the RIS reader handles both alike
    path = FIX / "zotero_csv_asysd_3.csv"
    rows = list(csv.reader(decode_bytes(path.read_bytes(), path.name).text.splitlines(keepends=True)))
    header = rows[0]
    row = rows[2]
    row[header.index("Extra")] = ""
    row[header.index("Url")] = ("http://ovidsp.ovid.com/ovidweb.cgi?T=JS&PAGE=reference&D=medl&NEWS=N"
                                "&AN=23122173")
    row[header.index("Issue")] = "eag, 7805975"
    out = io.StringIO()
    csv.writer(out).writerows([header, row])
    fields = tabular.parse(out.getvalue(), "zotero.csv").records[0].fields
    assert fields["pmid"] == "23122173"
    assert fields["issue"] == ""
    row[header.index("Url")] = "http://ovidsp.ovid.com/ovidweb.cgi?T=JS&PAGE=reference&D=emed&AN=623122173"
    row[header.index("Issue")] = "6"
    out = io.StringIO()
    csv.writer(out).writerows([header, row])
    fields = tabular.parse(out.getvalue(), "zotero.csv").records[0].fields
    assert fields["pmid"] == ""                     # an Embase accession is not a PMID
    assert fields["issue"] == "6"


# --- generic layouts: dedup and screening datasets --------------------------------------------

def test_bibtex_style_dedup_csv_keeps_ids():
    result = _ingest("dedup_rathbone_cytology_5.csv")
    table = result.records
    assert table["record_id"].tolist() == [f"id_000000{i}" for i in range(1, 6)]
    assert table["authors"].iloc[0] == ["Zuna, R E", "Wang, S S", "Schiffman, M", "Solomon, D"]
    assert table["pages"].iloc[0] == "288-297" and table["volume"].iloc[0] == "108"
    assert table["publication_type"].iloc[0] == ["article"]
    assert result.report.details["files"][0]["dialect"] == "generic"


def test_row_of_empty_cells_is_a_record_and_extras_survive():
    result = _ingest("dedup_bibdedupe_testsample_6.csv")
    table = result.records
    assert len(table) == 6
    assert table["record_id"].iloc[2] == "dedup_bibdedupe_testsample_6-00003"   # ',,,,' row: no ID
    assert table["title"].iloc[2] == ""
    assert "search_set" in table.columns and "colrev_status" not in table.columns
    assert table["authors"].iloc[0] == ["Tan, A.", "Schulze, A.", "O'Donnell, C.P.", "Davis, P.G."]
    assert table["doi"].iloc[1] == "10.1002/14651858.cd002273.pub3"
    assert table["issue"].iloc[1] == "2"                                      # 'number' column


def test_colrev_extra_columns_lower_cased():
    table = _ingest("dedup_colrev_misq_3.csv").records
    assert {"orig_id", "orig_source", "dblp_key"} <= set(table.columns)
    assert table["record_id"].tolist() == ["C_000002", "C_000003", "C_000004"]


@pytest.mark.parametrize("name, first_id", [("screening_kitchenham_4.csv", "0"), ("screening_cohen_adhd_4.csv", "1")])
def test_screening_set_layout(name, first_id):
    table = _ingest(name).records
    assert table["record_id"].iloc[0] == first_id
    assert "label_included" in table.columns
    assert set(table["label_included"]) <= {"0", "1"}
    assert (table["title"] != "").all() and (table["abstract"] != "").all()


def test_screening_set_authors_and_pmid():
    table = _ingest("screening_cohen_adhd_4.csv").records
    assert table["authors"].iloc[1][:2] == ["Jorenby, D E", "Leischow, S J"]
    assert table["pmid"].iloc[1] == "10053177"
    kitchen = _ingest("screening_kitchenham_4.csv").records
    assert kitchen["authors"].iloc[1] == ["Davis, Alan", "Hickey, Ann", "Dieste, Oscar", "Juristo, Natalia",
                                          "Moreno, Ana"]


def test_cp1252_dataset_reads_with_warning_and_true_lines():
    result = _ingest("dedup_asysd_labelled_cp1252.csv")
    table = result.records
    assert len(table) == 3
    assert any("cp1252" in w for w in result.report.warnings)
    assert table["record_id"].tolist() == ["1", "699", "1447"]
    assert table["source_line"].tolist() == [2, 4, 5]       # row 1 holds a quoted newline
    assert table["authors"].iloc[0] == ["Adeli, K.", "Lewis, G.F."]
    assert {"label", "source"} <= set(table.columns)


# --- contract details ------------------------------------------------------------------------

def test_expected_count_comes_from_a_plain_csv_pass():
    for path in FIX.glob("*.csv"):
        text = decode_bytes(path.read_bytes(), path.name).text
        rows = [r for r in csv.reader(text.splitlines(keepends=True)) if r and any(c.strip() for c in r) or len(r) > 1]
        assert tabular.parse(text, path.name).expected_count == len(rows) - 1, path.name


def test_duplicate_ids_name_file_and_line():
    text = decode_bytes((FIX / "dedup_rathbone_cytology_5.csv").read_bytes(), "x").text
    lines = text.split("\n")
    doubled = "\n".join(lines[:4] + [lines[2]] + lines[4:])      # id_0000002 again on line 5
    with pytest.raises(InputError) as err:
        tabular.parse(doubled, "records.csv")
    assert err.value.line == 5 and err.value.record == "id_0000002"
    assert str(err.value).startswith("records.csv:5: duplicate ID 'id_0000002' (first on line 3)")


def test_csv_without_records_columns_is_rejected_with_accepted_names():
    text = "ID,merged_ids,score\n1,a;b,0.5\n2,c;d,0.7\n"
    with pytest.raises(InputError) as err:
        tabular.parse(text, "dup_groups.csv")
    assert err.value.line == 1
    assert "not a records file" in str(err.value) and "Document Title" in str(err.value)


def test_detection_by_content():
    for name, dialect in [("scopus_csv_litstudy_3.csv", "scopus"), ("wos_tabdelim_corecollection_3.txt", "wos"),
                          ("screening_cohen_adhd_4.csv", "generic")]:
        text = decode_bytes((FIX / name).read_bytes(), name).text
        assert detect_format(text, "export.dat").name == "tabular"
        assert tabular.parse(text, name).dialect == dialect


def test_alias_table_is_consistent():
    assert aliases.header_key("Author(s)") == aliases.header_key("author_s") == "authors"
    for canonical, names in aliases.ALIASES.items():
        for name in names:
            assert aliases.canonical_for(name)[0] == canonical, name
    assert aliases.canonical_for("Document Title")[0] == "title"
    assert aliases.canonical_for("label_included") is None


def test_covidence_reference_export():
    """Covidence's CSV (header as Covidence writes it; two PubMed records and one EconLit record)."""
    result = _parse("covidence_csv_balloon_3.csv")
    assert result.dialect == "covidence"
    recs = [r.fields for r in result.records]
    assert [r["source_record_id"] for r in recs] == ["#201", "#202", "#203"]
    assert [r["year"] for r in recs] == [2019, 2018, 2008]               # 'Published Year'
    assert recs[0]["authors"][:2] == ["Zaidat, O.O.", "Mueller-Kronast, N.H."]
    assert recs[1]["doi"] == "10.1136/neurintsurg-2017-013179" and recs[1]["pages"] == "335-339"
    # the accession number is kept but never taken for a PMID (EconLit's 0992879 looks like one)
    assert [r["accession_number"] for r in recs] == ["30776994", "28754806", "0992879"]
    assert all(r["pmid"] == "" for r in recs)
    # the team's own columns stay, and tags are not keywords; 'Notes' are the records' notes
    assert recs[1]["notes"] == "Exclusion reason: Wrong study design;" and recs[2]["tags"] == "background"
    assert recs[2]["keywords"] == [] and recs[0]["study"] == "Zaidat 2019"


def test_published_year_is_a_year_alias():
    assert aliases.canonical_for("Published Year")[0] == "year"


def test_legacy_pubmed_csv_year_is_the_citations_not_the_journal_abbreviations():
    """Acceptance testing (session 25): 'Spine (Phila Pa 1976). 2019 Feb 15;...' was read as 1976
    (the first year anywhere in 'Details'), so a year rule excluded 2019 studies; and a book's
    'Southampton (UK): NIHR Journals Library; 2019 Jul.' became its journal."""
    book, article, ahead = (r.fields for r in
                            _parse_path(FIX.parent / "field_cases" / "pubmed_csv_legacy_spine_book.csv").records)
    assert (article["year"], article["journal"], article["volume"], article["issue"], article["pages"]) == \
        (2019, "Spine (Phila Pa 1976)", "44", "4", "263-269")
    assert (ahead["year"], ahead["journal"], ahead["doi"]) == (2019, "Spine (Phila Pa 1976)", "10.1097/brs.0000000000003156")
    assert (book["year"], book["journal"], book["publisher"], book["pmid"]) == (2019, "", "NIHR Journals Library", "31343857")


def test_legacy_pubmed_csv_chapter_cites_its_book_then_the_publisher():
    """Review: a chapter's 'Details' ('In: StatPearls [Internet]. Treasure Island (FL): ...')
    made 'StatPearls [Internet]. Treasure Island (FL): StatPearls Publishing' the publisher."""
    from screening.io.table_layouts import pubmed_details

    got = pubmed_details("In: StatPearls [Internet]. Treasure Island (FL): StatPearls Publishing; 2024 Jan.")
    assert (got["publisher"], got["booktitle"], got["journal"], got["year"]) == \
        ("StatPearls Publishing", "StatPearls [Internet]", "", 2024)
