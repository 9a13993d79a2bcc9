"""RIS reader over trimmed real exports of every dialect we support (see tests/fixtures/SOURCES.md).

Each case states what the *file* says (record count, a title, a DOI, authors, year, the line
where each record starts, the database) and checks that the reader and the full ingest stage
both give exactly that.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.errors import InputError, RecordCountMismatch
from screening.io import author_lists, ris, ris_fields, ris_stream, tagged
from screening.io.base import detect_format
from screening.io.text import decode_bytes
from screening.normalize import clean_text, normalize_author, normalize_pages
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def read(name: str) -> str:
    return decode_bytes((FIX / name).read_bytes(), name).text


# file, dialect, count, record lines, {record index: expected fields}, per-record source_db
CASES = [
    ("ris_ovid_medline_central.ris", "ovid", 3, [2, 37, 60], {
        0: {"title": "Mushroom poisoning: A proposed new clinical classification.",
            "doi": "10.1016/j.toxicon.2018.11.007", "pmid": "30439442", "year": 2018,
            "authors": ["White, Julian", "Weinstein, Scott A", "De Haro, Luc", "Bedry, Regis", "Schaper, Andreas",
                        "Rumack, Barry H", "Zilker, Thomas"],
            "journal": "Toxicon : official journal of the International Society on Toxinology",
            "journal_abbrev": "Toxicon", "pages": "53-65", "issn": "1879-3150; 0041-0101"},
        2: {"source_record_id": "CN-00837461", "pmid": "", "year": 2011, "journal": "Psychopharmacology"},
    }, ["Ovid MEDLINE(R)", "Ovid MEDLINE(R)", "Cochrane CENTRAL (Ovid)"]),
    ("ris_ovid_embase_central.ris", "ovid", 3, [2, 19, 37], {
        0: {"authors": ["Breckenridge, A", "Grobbee, DE"], "source_record_id": "CN-01291099",
            # TY ELEC, but JA/VL/IS/SP cite a journal: a journal article, not a web page
            "publication_type": ["JOUR"], "year": 2016},
        1: {"authors": ["Griffiths, RR", "Johnson, MW", "Carducci, MA", "Umbricht, A", "Richards, WA", "Richards, BD",
                        "Cosimano, MP", "Klinedinst, MA"]},
        2: {"title": "Introduction to 'beneficial effects of psychedelics with a special focus on addictions'",
            "authors": ["Kortekaas, R.", "Breeksema, J.J."], "source_record_id": "602059500", "pages": "69-70"},
    }, ["Cochrane CENTRAL (Ovid)", "Cochrane CENTRAL (Ovid)", "Embase (Ovid)"]),
    ("ris_ovid_psycinfo.ris", "ovid", 2, [2, 31], {
        0: {"doi": "10.1002/cpp.2398", "pages": "", "source_record_id": "2019-65183-001"},
        1: {"doi": "10.1177/1359105317742958", "pages": "847-856"},
    }, ["APA PsycInfo (Ovid)"] * 2),
    ("ris_cochrane_central.ris", "cochrane", 3, [5, 64, 123], {
        0: {"title": "Virological and genomic analysis of SARS-CoV-2 from a favipiravir clinical trial cohort",
            "pmid": "34176716", "source_record_id": "CN-02294877", "pages": "1350-1356",
            "doi": "10.1016/j.jiac.2021.06.010", "journal": "Journal of infection and chemotherapy", "year": 2021},
        1: {"pmid": "35322077", "doi": "10.1038/s41598-022-08794-w"},
    }, ["Cochrane CENTRAL"] * 3),
    ("ris_dimensions.ris", "dimensions", 2, [2, 29], {
        0: {"pmid": "35957633", "pmcid": "PMC9359172", "source_record_id": "pub.1149029839",
            "doi": "10.1080/20008198.2022.2087980", "journal": "European Journal of Psychotraumatology"},
    }, ["", ""]),
    ("ris_ebsco_crimjust.ris", "ebsco", 2, [1, 38], {
        0: {"title": "Discourses of responsible gambling and gambling harm: observations from Victoria, Australia.",
            "issn": "1606-6359", "pages": "212-222", "source_record_id": "150283836", "year": 2021,
            "doi": "10.1080/16066359.2020.1867111"},          # EBSCO's DOI is in L3
        1: {"doi": "10.1007/s10899-020-09951-4"},
    }, ["Criminal Justice Abstracts"] * 2),
    ("ris_ebsco_envindex.ris", "ebsco", 2, [1, 31], {
        0: {"authors": ["Grau\u2010Andrés, Roger", "Moreira, Bruno", "Pausas, Juli G."], "doi": "10.1111/geb.13858",
            "issn": "1466-822X"},
    }, ["Environment Index"] * 2),
    ("ris_ebsco_psycinfo.ris", "ebsco", 2, [1, 48], {
        0: {"issn": "0028-3932; 1873-3514", "year": 2022, "source_record_id": "2023-15354-001"},
        1: {"pmid": "33343428", "title": "Gambling despite nationwide self-exclusion\u2014A survey in online gamblers in Sweden"},
    }, ["APA PsycInfo"] * 2),
    ("ris_embase.ris", "embase", 2, [1, 51], {
        0: {"source_record_id": "L373791783", "authors": ["Liu, R.", "Adler, D.G."], "issn": "2226-7190",
            "doi": "10.4103/2303-9027.138783", "language": "English"},
        1: {"pmid": "15368318", "issn": "0008-543X"},
    }, ["Embase", "Embase"]),
    ("ris_scopus.ris", "scopus", 2, [1, 63], {
        # no SP: the article number (C7) is the pages, as the Scopus CSV's 'Art. No.' is
        0: {"source_record_id": "2-s2.0-85214459603", "doi": "10.3390/ani15010003", "year": 2025, "journal": "Animals",
            "pages": "3"},
    }, ["Scopus", "Scopus"]),
    # a bare CR starts the AN line ('(SCI-EXPANDED)\rAN  - WOS:...'): a line break, as editors
    # show it, so the accession is read (and names the database) and the lines count it
    ("ris_wos.ris", "wos", 2, [1, 39], {
        0: {"title": "Microangiography of the humeral condyle in Cocker Spaniel and non-Cocker Spaniel dogs",
            "authors": ["Larsen, LJ", "Roush, JK", "McLaughlin, RM", "Cash, WC"], "year": 1999,
            "source_record_id": "WOS:000082252000006"},
        1: {"doi": "10.1590/s0103-84782013005000101", "issn": "0103-8478; 1678-4596", "language": "Portuguese",
            "source_record_id": "WOS:000322578800011"},
    }, ["Web of Science"] * 2),
    ("ris_zotero.ris", "zotero", 2, [1, 27], {
        0: {"year": 1999, "source_record_id": "WOS:000082252000006"},
        1: {"doi": "10.21521/mw.6330", "year": 2019},
    }, ["Web of Science"] * 2),
    ("ris_zotero_pubmed.ris", "zotero", 2, [1, 49], {
        0: {"title": "Emerging treatment strategies for COVID-19 infection.", "issn": "1591-9528; 1591-8890",
            "doi": "10.1007/s10238-020-00671-y", "year": 2021},
    }, ["", ""]),
    ("ris_zotero_ovid.ris", "zotero", 2, [1, 43], {
        0: {"doi": "10.2337/dc24-0703", "year": 2024},
    }, ["Ovid MEDLINE(R) Epub Ahead of Print"] * 2),
    ("ris_endnote.txt", "endnote", 2, [1, 18], {
        0: {"authors": ["Wagner", "Lamb, B.T.", "Call, L.M.", "Slunt, H.H.", "Bardel, K.A.", "Lawler, A.M.",
                        "Eckman, C.B.", "Younkin, S.G.", "Holtz, G."],
            "pages": "1535-1541", "issn": "0964-6906", "doi": "10.1093/hmg/6.9.1535"},
        1: {"authors": ["Buchanan, A. H.", "Rahm, A. K.", "Williams, J. L."], "issn": "2234-943X"},
    }, ["", "Scopus"]),
    ("ris_endnote_pubmed.txt", "endnote", 2, [2, 43], {
        0: {"pmid": "21553931", "authors": ["Abdel-Tawab, M.", "Werz, O.", "Schubert-Zsilavecz, M."]},
    }, ["PubMed", "PubMed"]),
    ("ris_lens.ris", "lens", 2, [1, 18], {
        0: {"publication_type": ["GEN"], "doi": "10.31234/osf.io/fu4mj", "source_record_id": "001-257-578-706-377"},
        1: {"journal": "Journal of gambling studies", "issn": "1573-3602; 1050-5350"},
    }, ["", ""]),
    ("ris_proquest.ris", "proquest", 2, [1, 45], {
        0: {"source_record_id": "2214991469", "doi": "10.1002/jts.22387", "journal": "Journal of Traumatic Stress"},
    }, ["PTSDpubs", "PTSDpubs"]),
]


@pytest.mark.parametrize("name,dialect,count,lines,expect,dbs", CASES, ids=[c[0] for c in CASES])
def test_reader_on_real_dialects(name, dialect, count, lines, expect, dbs):
    text = read(name)
    result = ris.parse(text, name)
    assert result.format == "ris"
    assert result.dialect == dialect
    assert result.expected_count == count == len(result.records)
    assert [r.line for r in result.records] == lines
    assert [r.source_db for r in result.records] == dbs
    text_lines = text.split("\n")
    for rec in result.records:
        # the record's line is its TY line in the file
        assert text_lines[rec.line - 1].startswith("TY  -")
        assert rec.fields["title"]
        assert rec.fields["authors"]
        assert rec.fields["year"]
    for i, fields in expect.items():
        for key, value in fields.items():
            assert result.records[i].fields[key] == value, (name, i, key)


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_abstracts_kept_wherever_present(name):
    text = read(name)
    result = ris.parse(text, name)
    blocks = text.split("\nTY  -")[1:]
    for rec, block in zip(result.records, blocks):
        has_ab = "\nAB  -" in block or "\nN2  -" in block
        # the file has a non-empty abstract tag exactly when we keep an abstract
        assert bool(rec.fields["abstract"]) == (has_ab and any(
            line[6:].strip() for line in block.split("\n") if line[:2] in ("AB", "N2"))), name


def test_endnote_keywords_one_per_continuation_line():
    rec = ris.parse(read("ris_endnote.txt"), "x").records[1]
    assert rec.fields["keywords"][:5] == ["Access", "Cancer", "Comparative effectiveness", "Genetic counseling",
                                          "Telemedicine"]
    assert "BRCA1 protein" in rec.fields["keywords"]


def test_ebsco_copyright_boilerplate_dropped_and_abstract_kept():
    rec = ris.parse(read("ris_ebsco_crimjust.ris"), "x").records[0]
    assert rec.fields["abstract"].startswith("Within a neo-liberal economic orthodoxy")
    assert "Copyright of" not in rec.fields["abstract"]


def test_dimensions_untagged_abstract_paragraphs_are_joined():
    rec = ris.parse(read("ris_dimensions.ris"), "x").records[0]
    abstract = rec.fields["abstract"]
    assert abstract.startswith("Background: The long-term health effects of bushfires")
    assert "Objective: This review aimed" in abstract and "Conclusions:" in abstract


def test_lens_html_stripped_from_abstract():
    rec = ris.parse(read("ris_lens.ris"), "x").records[0]
    assert rec.fields["abstract"].startswith("Background and aims:")
    assert "<p>" not in rec.fields["abstract"]


def test_cochrane_et_al_is_not_an_author():
    recs = ris.parse(read("ris_cochrane_central.ris"), "x").records
    raw = read("ris_cochrane_central.ris")
    assert "A1  -  et al." in raw
    assert all("et al" not in a.lower() for r in recs for a in r.fields["authors"])


def test_ingest_stage_stamps_provenance():
    sources = [RawSource(name, (FIX / name).read_bytes()) for name in ("ris_ovid_medline_central.ris", "ris_dimensions.ris")]
    table = ingest(sources).records
    assert len(table) == 5
    assert list(table["source_format"]) == ["ris"] * 5
    assert list(table["source_line"]) == [2, 37, 60, 2, 29]
    # Dimensions records name no database; the dialect does
    assert list(table["source_db"]) == ["Ovid MEDLINE(R)", "Ovid MEDLINE(R)", "Cochrane CENTRAL (Ovid)",
                                        "Dimensions", "Dimensions"]
    assert table.loc[3, "pmid"] == "35957633"
    assert table.loc[0, "authors"][0] == "White, Julian"


def test_file_summary_names_the_records_databases_not_the_platform():
    """The per-file table says what the rows say: EconLit (not 'EBSCOhost'); several databases
    in one export are counted, most records first; a --database label wins."""
    econlit = FIX.parent / "core" / "econlit_3.ris"
    ovid = FIX / "ris_ovid_medline_central.ris"
    files = ingest([RawSource(econlit.name, econlit.read_bytes()),
                    RawSource(ovid.name, ovid.read_bytes())]).report.details["files"]
    assert [f["database"] for f in files] == ["EconLit", "Ovid MEDLINE(R) 2, Cochrane CENTRAL (Ovid) 1"]
    labelled = ingest([RawSource(ovid.name, ovid.read_bytes(), database="MEDLINE")]).report.details["files"]
    assert labelled[0]["database"] == "MEDLINE"


def test_detected_by_content_despite_wrong_suffix():
    data = (FIX / "ris_scopus.ris").read_bytes()
    text = decode_bytes(data, "export.txt").text
    assert detect_format(text, "export.txt").name == "ris"
    assert detect_format(text, "export.nbib").name == "ris"
    table = ingest([RawSource("export.txt", data)]).records
    assert list(table["source_db"]) == ["Scopus", "Scopus"]


def test_truncated_export_names_file_and_record_line():
    data = (FIX / "ris_embase.ris").read_bytes()
    cut = data[: data.rindex(b"\nER  -")]      # the download stopped inside the last record
    with pytest.raises(InputError) as err:
        ingest([RawSource("embase_cut.ris", cut)])
    assert err.value.path == "embase_cut.ris"
    assert err.value.line == 51               # the TY line of the unfinished record
    assert "truncated" in str(err.value)


def test_record_the_reader_cannot_read_is_a_count_mismatch():
    # A damaged TY line (tab instead of spaces) still counts as a record marker, but no record
    # can start there: ingest must fail loudly rather than silently merge two records.
    data = (FIX / "ris_scopus.ris").read_bytes()
    second = data.index(b"\nTY  -") + 1
    damaged = data[:second] + b"TY\t- JOUR" + data[second + len(b"TY  - JOUR"):]
    with pytest.raises(RecordCountMismatch) as err:
        ingest([RawSource("scopus_damaged.ris", damaged)])
    assert "declare 2" in str(err.value)


def _without_second_ty(data: bytes) -> bytes:
    """``data`` without the ``TY`` line of its second record."""
    at = data.index(b"\nTY  -", data.index(b"TY  -") + 1) + 1
    return data[:at] + data[data.index(b"\n", at) + 1:]


@pytest.mark.parametrize("name, lost_line, er_line", [("ris_scopus.ris", 63, 151), ("ris_ovid_psycinfo.ris", 31, 102)])
def test_a_record_without_its_ty_line_is_read_and_named(name, lost_line, er_line):
    # A record that lost its TY line (an export edited by hand) was dropped without a word:
    # the TY count and the records read agreed. Its ER still closes it: it is read, without a
    # type, and a warning names its line. Ovid's 'NL' line after the previous ER and the '2.'
    # before the record are not part of it.
    data = (FIX / name).read_bytes()
    intact = ris.parse(decode_bytes(data, name).text, name).records
    damaged = _without_second_ty(data)
    result = ris.parse(decode_bytes(damaged, name).text, name)
    assert len(result.records) == result.expected_count == len(intact) == 2
    lost = result.records[1]
    assert lost.line == lost_line
    want = dict(intact[1].fields, publication_type=[t for t in intact[1].fields["publication_type"] if t != "JOUR"])
    assert lost.fields == want
    assert result.warnings == [
        f"{name}:{lost_line}: record has no TY line (its start tag) before its ER at line {er_line}; "
        "read it without a reference type (check it in the export)"]
    report = ingest([RawSource(name, damaged)]).report
    assert report.counts["records_identified"] == 2
    assert any(f"{name}:{lost_line}: record has no TY line" in w for w in report.warnings)


def test_the_first_record_without_its_ty_line_is_read_too():
    data = (FIX / "ris_scopus.ris").read_bytes()
    damaged = data[data.index(b"\n") + 1:]            # the BOM and 'TY  - JOUR' of record 1
    result = ris.parse(decode_bytes(damaged, "x.ris").text, "x.ris")
    assert [r.line for r in result.records] == [1, 62]
    assert result.expected_count == 2
    assert result.records[0].fields["doi"] == "10.3390/ani15010003"


def test_an_empty_er_or_stray_tags_before_a_ty_make_no_record():
    # Ovid writes 'NL  - journal' after each ER (tags outside any record, closed by no ER); a
    # doubled ER closes nothing: neither is a record, for the reader or the count.
    text = read("ris_ovid_psycinfo.ris")
    assert "\nNL  - " in text
    doubled = text.replace("\nER  -", "\nER  -\nER  -", 1)
    for t in (text, doubled):
        result = ris.parse(t, "x.ris")
        assert len(result.records) == result.expected_count == 2
        assert not result.warnings


def test_missing_er_mid_file_closes_record_with_warning():
    text = read("ris_scopus.ris")
    broken = text.replace("\nER  -\n", "\n", 1)
    assert broken != text
    result = ris.parse(broken, "x.ris")
    assert len(result.records) == result.expected_count == 2
    assert result.records[0].fields["doi"] == "10.3390/ani15010003"
    assert any("no ER line" in w for w in result.warnings)


def test_fast_and_careful_scanners_agree_on_every_fixture():
    for case in CASES:
        text = read(case[0])
        fast = list(ris._scan(text, case[0], []))
        careful = list(ris._scan_lines(text.split("\n"), 1, case[0], []))
        assert fast == careful, case[0]


def test_sniff_rejects_other_tagged_formats():
    assert ris.sniff(read("medline_pubmed.nbib")) == 0.0
    assert ris.sniff(read("wos_revtools.ciw")) == 0.0
    assert ris.sniff(read("ovid_tagged_citavi.ovd")) == 0.0


def test_cochrane_record_doi_in_url_is_not_the_article_doi():
    text = read("ris_cochrane_central.ris")
    assert "/doi/10.1002/central/CN-02294877/" in text
    without_do = "\n".join(line for line in text.split("\n") if not line.startswith("DO  -"))
    recs = ris.parse(without_do, "x").records
    assert [r.fields["doi"] for r in recs] == ["", "", ""]


# The readers' regex-free fast paths must give exactly what the shared normalisers give.
_PIECES = ["Smith", "De Haro", "A", "DE", "J.", "van", ",", ", ", ";", "  ", " ", "\t", "\n", "&amp;", "&lt;b&gt;",
           "<p>", "</i>", "p<0.05", ">", "\u00e9", "\u00a0", "\u2009", "et al", ".", "Grobbee DE", "Breckenridge A",
           "10-12", "12", "--", "\u2010", "e5"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join))
def test_fast_clean_and_fast_author_equal_the_normalisers(value):
    assert tagged.fast_clean(value) == clean_text(value)
    assert tagged.fast_author(value) == normalize_author(value)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789 -\u2010e", max_size=6), st.text(alphabet="0123456789 -\u2010e", max_size=6))
def test_pages_fast_path_equals_normalize_pages(start, end):
    s, e = start.strip(), end.strip()
    if s and e and e != s and "-" not in s:
        expected = normalize_pages(f"{s}-{e}")
    else:
        expected = normalize_pages(s or e)
    assert tagged.pages_from(start, end) == ("" if expected == "-" else expected)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=6).map("".join), max_size=3))
def test_author_fast_path_equals_the_normaliser_on_single_names(values):
    # for a plain 'Family, Given' value the reader must give what normalize_author gives
    for value in values:
        if value.count(",") == 1 and ";" not in value and value.count(".") < 4:
            family = " ".join(value.split(",")[0].split())     # NBSP etc. folded, as the reader does
            if " " in family and author_lists.FAMILY_INITIALS.match(family):
                continue  # 'Breckenridge A, Grobbee DE' is a two-author list, not one name
            expected = normalize_author(value)
            assert tagged.authors_from([value]) == ([expected] if expected else [])


def test_ovid_coverage_segments_name_one_database():
    """Ovid's DB line names the year segment ('Ovid MEDLINE(R) <2022>') and MEDLINE's own
    segments (Epub Ahead of Print, PubMed-not-MEDLINE), all returned by one 'Ovid MEDLINE(R)
    ALL' search: one database for PRISMA-S. Other Ovid databases stay distinct."""
    from screening.stages.ingest import _database_name

    path = FIX.parent / "prisma" / "medline_6_of_84.ris"
    dbs = ingest([RawSource(path.name, path.read_bytes())]).records["source_db"].tolist()
    assert set(dbs) == {"Ovid MEDLINE(R)"} and len(dbs) == 6
    assert [_database_name(n) for n in ("Ovid MEDLINE(R) PubMed-not-MEDLINE ", "Ovid MEDLINE(R) ALL <1946 to 2024>",
                                        "Ovid MEDLINE(R) In-Process & Other Non-Indexed Citations",
                                        "Embase <1974 to 2021 June 11>", "APA PsycInfo <2002 to 2020>")] == [
        "Ovid MEDLINE(R)", "Ovid MEDLINE(R)", "Ovid MEDLINE(R)", "Embase", "APA PsycInfo"]
    # only a segment is cut: a label of the team's that ends in '<...>' is a name (acceptance testing)
    assert [_database_name(n) for n in ("Ovid MEDLINE(R) <1946 to Present>", "PsycINFO <1806 to November Week 4 2018>",
                                        "MEDLINE & Embase <Ovid>", "Scopus <all fields>")] == [
        "Ovid MEDLINE(R)", "PsycINFO", "MEDLINE & Embase <Ovid>", "Scopus <all fields>"]


def test_an_export_that_names_no_database_is_said_once():
    """Zotero's RIS names no database: PRISMA-S would silently say 'Unknown source'."""
    path = FIX / "ris_zotero_pubmed.ris"
    report = ingest([RawSource(path.name, path.read_bytes())]).report
    assert [w for w in report.warnings if "names no database" in w] and "--database" in report.warnings[-1]
    labelled = ingest([RawSource(path.name, path.read_bytes(), database="PubMed")]).report
    assert not [w for w in labelled.warnings if "database" in w]


def test_related_record_pmids_in_notes_and_url_encoded_dois():
    """Ovid's 'Comment on: ...; PMID: 27909164' note names another record, not this one; Ovid
    Embase URL-encodes DOIs ('%28' for '(') so they never matched their MEDLINE copies."""
    from screening.normalize import normalize_doi

    text = ("TY  - JOUR\nID  - 27909175\nT1  - Psilocybin: promising results\nDB  - Ovid MEDLINE(R)\n"
            "N1  - Comment on: J Psychopharmacol. 2016 Dec;30(12 ):1165-1180; PMID: 27909164\n"
            "DO  - http://dx.doi.org/10.1016/S2215-0366%2815%2900576-3\nER  - \n")
    rec = ingest([RawSource("c.ris", text.encode())]).records.iloc[0]
    assert rec["pmid"] == "27909175" and rec["doi"] == "10.1016/s2215-0366(15)00576-3"
    assert normalize_doi("https://doi.org/10.1000%2Fabc") == "10.1000/abc"
    # EBSCO's note about the record itself mentions a 'Correction Date' after its own PMID
    from screening.io.tagged import pmid_from
    assert pmid_from(["Accession Number: 2018-37817-009. PMID: 30001761 Release Date: 20180913. "
                      "Correction Date: 20190211."]) == "30001761"
    assert pmid_from(["Erratum in: Lancet. 2020;395:e1; PMID: 1111111"]) == ""


def test_ovid_via_zotero_pmid_from_the_link_and_no_nlm_id_as_issue():
    """Acceptance testing: Ovid MEDLINE records saved through Zotero had no PMID although the
    Ovid link carries it (D=medp&...&AN=39012781), and 'eag, 7805975' (the NLM journal id) as
    their issue."""
    path = FIX / "ris_zotero_ovid.ris"
    t = ingest([RawSource(path.name, path.read_bytes())]).records
    assert t["pmid"].tolist() == ["39012781", "38865135"] and t["issue"].tolist() == ["", ""]


# -- M3, 'Type of Work': the document type Scopus, EBSCO, Embase, EndNote and Cochrane write there


def test_m3_document_types_join_the_ty_type():
    """User test: a publication-type rule fired on no Scopus record, because every TY is JOUR and
    the document type ('Note', 'Letter'...) is only in M3 (one real record of each type)."""
    name = "ris_scopus_doctypes.ris"
    expected = [["JOUR", "Article"], ["JOUR", "Review"], ["JOUR", "Letter"], ["JOUR", "Note"],
                ["JOUR", "Editorial"], ["JOUR", "Erratum"],
                ["CHAP"],                                   # M3 'Book Chapter' is what CHAP already says
                ["CONF", "Conference Paper"]]
    text = read(name)
    assert [r.fields["publication_type"] for r in ris.parse(text, name).records] == expected
    assert ris.parse_columns(text, name).columns["publication_type"] == expected   # the streaming path


def test_m3_types_from_other_databases_and_what_is_not_a_type():
    def types(name: str) -> list[list[str]]:
        return [r.fields["publication_type"] for r in ris.parse(read(name), name).records]

    # Cochrane writes a ';'-list with a leading space; 'Journal article' is TY JOUR again
    assert types("ris_cochrane_central.ris") == [["JOUR"], ["JOUR", "Clinical Trial Protocol"], ["JOUR"]]
    assert types("ris_ebsco_crimjust.ris") == [["JOUR", "Article"], ["JOUR"]]      # M3 'Journal article'
    assert types("ris_embase.ris") == [["JOUR", "Article"]] * 2
    assert types("ris_endnote.txt") == [["JOUR"], ["JOUR", "Short survey"]]
    # Ovid PsycInfo's M3 is the classification ('Health & Mental Health Treatment & Prevention [3300]')
    assert types("ris_ovid_psycinfo.ris") == [["JOUR"], ["JOUR"]]


def test_m3_repeating_the_ty_code_adds_nothing():
    assert ris_fields.publication_types("JOUR", ["JOUR"]) == ["JOUR"]
    assert ris_fields.publication_types("JOUR", ["Article; jour"]) == ["JOUR", "Article"]


@pytest.mark.parametrize("m3", [
    "10.1126/science.1074069",                                  # a DOI: ../shared/data/exports/endnote_ris_asysd.txt
    "Physical & Somatoform & Psychogenic Disorders [3290]",     # Ovid PsycInfo classification
    "Health Psychology & Medicine [3360]",
    "Journal article; Health Psychology & Medicine [3360]",     # one part is not a type: none is taken
    "https://www.scopus.com/inward/record.uri?eid=2-s2.0-85214459603",
    "12", "Suppl 1",
])
def test_m3_values_that_are_not_document_types_are_left_out(m3):
    assert ris_fields.publication_types("JOUR", [m3]) == ["JOUR"]
    assert ris_fields.publication_types("", [m3]) == []


def test_m3_types_are_kept_as_written_once_each():
    # the values of ../shared/data/exports/cochrane-central_ris_favipiravir.ris, as the scanner strips them
    assert ris_fields.publication_types("JOUR", ["Trial registry record; Clinical trial protocol"]) == [
        "JOUR", "Trial registry record", "Clinical trial protocol"]
    assert ris_fields.publication_types("JOUR", ["Journal article; Erratum"]) == ["JOUR", "Erratum"]
    assert ris_fields.publication_types("JOUR", ["Letter", "letter"]) == ["JOUR", "Letter"]
    assert ris_fields.publication_types("", ["Article"]) == ["Article"]


# -- identifiers and fields an audit of the shared exports found mis-read (fixtures: SOURCES.md)


# one real record per defect, outside exports/ (see tests/fixtures/SOURCES.md, ingest_cases/)
INGEST_CASES = FIX.parent / "ingest_cases"


def _records(path: Path):
    return ingest([RawSource(path.name, path.read_bytes())]).records


def _case_text(name: str) -> str:
    return decode_bytes((INGEST_CASES / name).read_bytes(), name).text


def test_scopus_c2_is_the_pmid_only_on_scopus_records():
    """Scopus RIS writes the PMID in C2 and EndNote keeps it there for Scopus records; PubMed
    via EndNote has the PMCID in C2, and elsewhere it is a free field: a digit C2 elsewhere must
    not become a PMID (it would link unrelated records in dedup)."""
    assert _records(FIX / "ris_scopus.ris")["pmid"].tolist() == ["", "39549413"]
    endnote = _records(INGEST_CASES / "ris_endnote_c2.txt")
    assert endnote["source_db"].tolist() == ["Scopus", "PubMed"]
    assert endnote["pmid"].tolist() == ["15344782", "22424230"]          # the PubMed one: its AN
    assert endnote["pmcid"].tolist() == ["", "PMC3319071"]
    scopus_rec = _case_text("ris_endnote_c2.txt").split("\nER  -")[0] + "\nER  - \n"
    # the same record with nothing saying Scopus (DB, scopus.com link) keeps no PMID
    other = "\n".join(line for line in scopus_rec.split("\n") if not line.startswith(("DB  -", "UR  -")))
    assert ris.parse(other, "x").records[0].fields["pmid"] == ""
    # a Scopus record's C2 that is no PMID's shape is not taken either
    assert ris.parse(scopus_rec.replace("C2  - 15344782", "C2  - 153447821"), "x").records[0].fields["pmid"] == ""
    # nor a custom field's small number on a Scopus-linked record
    assert ris.parse(scopus_rec.replace("C2  - 15344782", "C2  - 2"), "x").records[0].fields["pmid"] == ""


def test_a_doi_in_a_note_is_the_records_only_when_the_note_says_so():
    """PsycInfo's N1 lists the tests a study used with their PsycTESTS DOIs ('Gambling Symptom
    Assessment Scale DOI: 10.1037/t38733-000'): that DOI was stored as the article's (the
    record has no DO). Zotero's 'electronic-resource-num:' note line is the record's DOI field."""
    psyc = _records(INGEST_CASES / "ris_ebsco_psycinfo_tests_measures.ris").iloc[0]
    assert "DOI: 10.1037/t38733-000" in _case_text("ris_ebsco_psycinfo_tests_measures.ris")
    assert psyc["doi"] == "" and psyc["pmid"] == "28738096"
    assert _records(INGEST_CASES / "ris_zotero_note_doi.ris")["doi"].tolist() == ["10.37247/paenvr2ed.2.2022.12"]
    # ../shared/data/funnels/citesource_wildfire/screened_128.ris line 1842: the DOI ended in '<br/>isbn'
    assert tagged.note_doi(["The following values have no corresponding Zotero field:<br/>secondary-title: The New "
                            "phytologist<br/>auth-address: United Kingdom<br/>electronic-resource-num: "
                            "10.1111/nph.18436<br/>isbn: 0028646x<br/>number: 4"]) == "10.1111/nph.18436"
    assert tagged.linked_doi(["https://doi.org/10.1037/t38733-000"], ["https://doi.org/10.1037/gam0000076"]) \
        == "10.1037/gam0000076"


def test_wos_conference_in_cp_is_no_issue():
    """WoS RIS writes the conference in CP; the reader's 'IS, else CP' made it the issue."""
    text = _case_text("ris_wos_cp_conference.ris")
    assert "CP  - 13th North American Forest Soils Conference" in text
    assert _records(INGEST_CASES / "ris_wos_cp_conference.ris")["issue"].tolist() == [""]
    assert [ris_fields.cp_issue(v) for v in ("3", "12-13", "S1", "Suppl 2", "Netherlands", "24th Annual Forum")] == [
        "3", "12-13", "S1", "Suppl 2", "", ""]


def test_pages_unnumbered_end_page_and_written_out_article_number():
    """WoS 'SP 415 / EP U53' (U53: an unnumbered page) read '415-U453'; Ovid Embase 'SP  -
    Article 171' read 'Article171' (Scopus gives the same article number as '171')."""
    assert _records(INGEST_CASES / "ris_zotero_unnumbered_page.ris")["pages"].tolist() == ["415-U53"]
    assert _records(INGEST_CASES / "ris_ovid_embase_article_no.ris")["pages"].tolist() == ["171", "85-93"]


def test_holder_first_rights_statements_and_ebsco_source_notes_leave_abstracts():
    """'Copyright © Frederick S. Barrett et al. 2018.', '© IWA Publishing 2004.' (no year right
    after ©) and EBSCO's '[ABSTRACT FROM AUTHOR]' stayed at the end of abstracts."""
    assert "Copyright © Frederick S. Barrett et al. 2018." in _case_text("ris_ovid_embase_article_no.ris")
    assert _records(INGEST_CASES / "ris_ovid_embase_article_no.ris")["abstract"].iloc[1].endswith(
        "needs to be considered in the clinical use of cannabis.")
    assert _records(INGEST_CASES / "ris_endnote_c2.txt")["abstract"].iloc[0].endswith(
        "reduces substantially the cost of water management.")
    assert read("ris_ebsco_envindex.ris").count("[ABSTRACT FROM AUTHOR]") == 2
    abstracts = _records(FIX / "ris_ebsco_envindex.ris")["abstract"]
    assert all(a.endswith(".") and "[ABSTRACT FROM" not in a for a in abstracts)


def test_lens_pubmed_link_is_the_pmid():
    """Lens links the records it has from PubMed ('L2  - https://www.ncbi.nlm.nih.gov/pubmed/32424665')."""
    assert _records(FIX / "ris_lens.ris")["pmid"].tolist() == ["", "32424665"]
    assert tagged.pubmed_link_pmid(["https://pubmed.ncbi.nlm.nih.gov/33540872/"]) == "33540872"
    assert tagged.pubmed_link_pmid(["https://www.ncbi.nlm.nih.gov/pubmed?cmd=Retrieve&list_uids=27443306"]) \
        == "27443306"
    # a 'pubmed' elsewhere in a link is no PubMed page (../shared/data/exports/endnote_ris_asysd.txt)
    assert tagged.pubmed_link_pmid(["https://fjfsdata01prod.blob.core.windows.net/articles/files/30977/pubmed-zip/"
                                    ".versions/4/fphys-03-00320.pdf",
                                    "https://www.scopus.com/inward/record.uri?eid=2-s2.0-85076948381&doi=10.1093%2fpub"
                                    "med%2ffdy164"]) == ""


def test_a_date_whose_other_info_names_another_year_takes_that_year() -> None:
    """EBSCO Criminal Justice's 'Y1  - 2007/08//2014 Sep' (the record's N1 cites 'Source Info:
    2014 Sep, Vol. 30 Issue 3'; Journal of Gambling Studies 30(3) is the 2014 volume): the
    year was read as 2007, which also kept the record from its copies in other databases."""
    rec = ris.parse(read("ris_ebsco_y1_other_info.ris"), "x").records[0]
    assert rec.fields["year"] == 2014 and rec.fields["volume"] == "30"
    from screening.io.ris_fields import ris_year
    assert [ris_year(v, "ebsco") for v in ("2019/06//", "2019/08/02/Aug2019 Supplement", "2014///", "2020",
                                           "2012/01//2011 Dec", "2013/05//2014 Jan-Feb")] == \
        [2019, 2019, 2014, 2020, 2012, 2014]
    # other info that is not an issue date, or not EBSCO's, leaves the year alone (code review)
    assert [ris_year(v, d) for v, d in (("2019/01//Epub 2018 Dec 12", "ebsco"), ("2020///2019 Annual Meeting", "ebsco"),
                                        ("2010///Reprint of 1923 edition", "ebsco"), ("2007/08//2014 Sep", "generic"),
                                        ("2018/05/01/Accepted 2017/11/02", "ebsco"))] == [2019, 2020, 2010, 2007, 2018]


FIELD_CASES = FIX.parent / "field_cases"


def test_ebsco_language_and_document_type_come_from_the_note():
    # EBSCO writes neither LA nor (PsycInfo) M3: 'Document Type: Journal Article. Language:
    # FrenchMajor Descriptor: ...' in N1 is where they are; the note itself is kept whole
    name = "ris_ebsco_psycinfo_doctypes_languages.ris"
    text = decode_bytes((FIELD_CASES / name).read_bytes(), name).text
    assert "\nLA  -" not in text and "\nM3  -" not in text
    assert "Language: FrenchMajor Descriptor:" in text
    t = _records(FIELD_CASES / name)
    assert list(t["language"]) == ["French", "English", "English", "English"]
    assert [list(p) for p in t["publication_type"]] == [
        ["JOUR"], ["THES", "Dissertation"], ["JOUR", "Editorial"], ["CHAP", "Chapter"]]   # 'Journal Article' is JOUR
    assert all("Document Type: " in n and "Language: " in n for n in t["notes"])
    assert list(_records(FIX / "ris_ebsco_psycinfo.ris")["language"]) == ["English", "English"]


def test_ebsco_note_fields_read_both_layouts():
    # Environment Index: ';'-separated, a language only when it is not English (the N1 at line
    # 207 of ebsco-environmentindex_ris_citesource.ris, shortened)
    assert ris_fields.ebsco_note_fields(
        ["Accession Number: 177789362; ...; Number of Pages: 12p; Document Type: Article; Language: French"]
    ) == ("French", ["Article"])
    assert ris_fields.ebsco_note_fields(["Language of Keywords: English; Language of Keywords: French"]) == ("", [])
    assert ris_fields.ebsco_note_fields(["Source Info: Jun2021, Vol. 29 Issue 3"]) == ("", [])
    # a hyphenated language stays whole (review: 'Serbo-Croatian' was read 'Serbo')
    assert ris_fields.ebsco_note_fields(["Document Type: Article; Language: Serbo-Croatian"])[0] == "Serbo-Croatian"
    assert ris_fields.ebsco_note_fields(["Language: Serbo-CroatianMajor Descriptor: x"])[0] == "Serbo-Croatian"


def test_a_web_of_science_group_author_beside_the_people_is_kept():
    """Acceptance testing: WoS writes the group author in A1 beside AU; 'AU, else A1' dropped
    'Global Adaptation Mapping Team' from an included study's citation."""
    rec = ris.parse(read("ris_wos_group_author.ris"), "x").records[0]
    assert rec.fields["authors"][-1] == "Global Adaptation Mapping Team"
    assert len(rec.fields["authors"]) == 9 and rec.fields["authors"].count("Global Adaptation Mapping Team") == 1
    # a person in A1 beside AU (another form of an AU name, perhaps) is not added
    for person in ("Kaufmann, Robert", "Kaufmann R"):
        text = read("ris_wos_group_author.ris").replace("A1  - Global Adaptation Mapping Team", f"A1  - {person}")
        assert len(ris.parse(text, "x").records[0].fields["authors"]) == 8, person


def test_a_record_holding_a_second_title_is_named_in_a_warning():
    """Acceptance testing: a record that lost its ER line and the next record's TY line
    read as one record (the second title and year dropped), silently: the file's count agrees.
    No real export repeats TI/T1/PY in a record, so a repeat names both lines."""
    name = "ris_scopus_no_er_ty.ris"
    text = read(name)
    result = ris.parse(text, name)
    # the file's own markers declare one record: only the warning can tell
    assert len(result.records) == result.expected_count == 1
    assert result.records[0].fields["title"].startswith("Development and Validation of a Robust")
    assert result.warnings == [
        f"{name}:66: a second title (TI) at line 66 inside the record starting at line 1: a missing ER/TY? "
        "Two records may have been read as one; check the export there"]
    assert text.split("\n")[65].startswith("TI  - Calcium and magnesium abnormalities")
    streamed = ris_stream.parse_chunk_columns(text, name, first_line=1, at_end=True, dialect="scopus")
    assert streamed.warnings == result.warnings


def test_a_repeated_year_is_named_too_and_real_exports_repeat_neither():
    text = read("ris_scopus.ris")
    year_twice = text.replace("\nPY  - 2025\n", "\nPY  - 2025\nPY  - 2024\n", 1)
    assert year_twice != text
    result = ris.parse(year_twice, "x.ris")
    assert len(result.warnings) == 1 and "a second year (PY) at line 10 inside the record starting at line 1" \
        in result.warnings[0]
    for path in sorted(FIX.glob("ris_*")):
        if path.name != "ris_scopus_no_er_ty.ris":
            assert not [w for w in ris.parse(read(path.name), path.name).warnings if "a second" in w], path.name
