"""BibTeX reader on real Cochrane, Scopus and Web of Science .bib exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.errors import InputError
from screening.io import bibtex
from screening.io.base import detect_format
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
COCHRANE = FIX / "cochrane_bib_p1m_5.bib"
SCOPUS = FIX / "scopus_bib_bibliometrix_3.bib"
WOS = FIX / "wos_bib_bibliometrix_3.bib"


def _parse(path: Path):
    return bibtex.parse(path.read_text(encoding="utf-8"), path.name)


def test_cochrane_record_lines_and_repeated_keys_are_all_kept():
    result = _parse(COCHRANE)
    assert result.dialect == "cochrane"
    assert result.expected_count == 5 and len(result.records) == 5
    # 'Record #N of 56' precedes each entry; the @article{ lines are 2, 18, 34, 50, 66
    assert [r.line for r in result.records] == [2, 18, 34, 50, 66]
    # three different reviews all keyed 'Cheng17': bibtexparser flags them, we keep them
    cheng = [r.fields for r in result.records[2:]]
    assert [c["doi"] for c in cheng] == ["10.1002/14651858.cd011670.pub2", "10.1002/14651858.cd012257.pub2",
                                         "10.1002/14651858.cd011075.pub2"]
    assert cheng[2]["title"] == "Acupuncture for acute hordeolum"


def test_cochrane_comma_separated_authors_with_final_and():
    first = _parse(COCHRANE).records[0].fields
    assert first["authors"] == ["Smith, SR", "Newton, K", "Smith, JA", "Dumville, JC", "Iheozor\u2010Ejiofor, Z",
                                "Pearce, LE", "Barrow, PJ", "Hancock, L", "Hill, J"]
    assert first["year"] == 2016
    assert first["abstract"].startswith("Abstract - Background A perianal abscess")
    assert first["issn"] == "1465-1858"
    assert "*Wound Healing" in first["keywords"]


def test_scopus_preamble_glued_affiliation_letters_and_eid():
    result = _parse(SCOPUS)
    assert result.dialect == "scopus" and len(result.records) == 3
    rec = result.records[0]
    assert rec.line == 4                      # after 'Scopus' / 'EXPORT DATE' preamble lines
    assert rec.source_db == "Scopus"
    assert rec.fields["authors"] == ["D'Ambrosio, A.", "Aria, M.", "Iorio, C.", "Siciliano, R."]
    assert rec.fields["source_record_id"] == "2-s2.0-84993929598"
    assert rec.fields["doi"] == "10.1016/j.eswa.2016.10.021"
    assert rec.fields["pages"] == "1339-1351"
    assert rec.fields["journal_abbrev"] == "Expert Sys Appl"
    assert "Regression trees" in rec.fields["keywords"]
    assert result.records[1].fields["authors"] == ["Della Corte, V.", "Aria, M.", "Del Gaudio, G."]


def test_scopus_pubmed_id_and_several_affiliation_letters():
    """Scopus writes 'pubmed_id={25721275}' (13 of the 46 entries of the shared export had a PMID
    we dropped) and several affiliations as 'Salas-Alanís, J.C.b  e', which broke the pairing
    of family and given names."""
    rec = _parse(FIX.parent / "ingest_cases" / "scopus_bib_bibliometrix_pubmed_id.bib").records[0].fields
    assert rec["pmid"] == "25721275"
    assert rec["authors"] == ["Fortuna, G.", "Aria, M.", "Cepeda-Valdes, R.", "Pollio, A.", "Moreno-Trevino, M.G.",
                              "Salas-Alanís, J.C."]


def test_wos_isi_keys_and_double_braces():
    result = _parse(WOS)
    assert result.dialect == "wos"
    assert [r.line for r in result.records] == [2, 29, 98]
    first, second = result.records[0].fields, result.records[1].fields
    assert first["title"] == "Untitled" and first["journal"] == "INFORMATION SCIENCES"
    assert first["source_record_id"] == "ISI:000186671900001"
    assert first["publication_type"] == ["Editorial Material"]
    assert second["authors"][:3] == ["Lee, B", "Critchlow, T", "Abdulla, G"]
    assert second["journal_abbrev"] == "Inf. Sci."
    assert second["abstract"] and "{" not in second["abstract"]


def test_ingest_all_three_with_databases():
    srcs = [RawSource(p.name, p.read_bytes()) for p in (COCHRANE, SCOPUS, WOS)]
    result = ingest(srcs)
    table = result.records
    assert len(table) == 11
    assert table.groupby("source_file")["source_db"].first().to_dict() == {
        COCHRANE.name: "Cochrane Database of Systematic Reviews", SCOPUS.name: "Scopus", WOS.name: "Web of Science"}
    assert (table["title"] != "").all()
    assert result.report.details["files"][0]["expected"] == 5


def test_detection_by_content():
    text = COCHRANE.read_text(encoding="utf-8")
    assert detect_format(text, "export.txt").name == "bibtex"


def test_unbalanced_entry_raises_with_its_line():
    text = WOS.read_text(encoding="utf-8")
    cut = text[: text.index("@article{ ISI:000186671900003") + 200]      # file ends inside entry 3
    with pytest.raises(InputError) as err:
        bibtex.parse(cut, "savedrecs.bib")
    assert err.value.line == 98
    assert str(err.value).startswith("savedrecs.bib:98: BibTeX syntax error in the entry starting here: Unexpectedly reached end of file")


@pytest.mark.parametrize("raw, expected", [
    ("Zuna, R E and Wang, S S and Schiffman, M", ["Zuna, R E", "Wang, S S", "Schiffman, M"]),
    ("Irusen, H, Rohwer, AC, Steyn, DW, and Young, T", ["Irusen, H", "Rohwer, AC", "Steyn, DW", "Young, T"]),
    ("Iorio, C., Aria, M., D\u2019Ambrosio, A.", ["Iorio, C.", "Aria, M.", "D\u2019Ambrosio, A."]),
    ("Tan A.Schulze A.O'Donnell C. P.Davis P. G.", ["Tan, A.", "Schulze, A.", "O'Donnell, C.P.", "Davis, P.G."]),
    ("Alan Davis , Ann Hickey , Oscar Dieste , Natalia Juristo and Ana Moreno",
     ["Davis, Alan", "Hickey, Ann", "Dieste, Oscar", "Juristo, Natalia", "Moreno, Ana"]),
    ("Sauer, Philipp C and Seuring, Stefan", ["Sauer, Philipp C", "Seuring, Stefan"]),
])
def test_split_name_list_real_layouts(raw, expected):
    assert bibtex.split_name_list(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    (r"M{\"u}ller", "Müller"), (r"Gonz{\'a}lez", "González"), (r"Fran\c{c}ois", "François"),
    (r"Smith \& Sons", "Smith & Sons"), ("{{INFORMATION SCIENCES}}", "INFORMATION SCIENCES"),
    ("95% CI", "95% CI"),
])
def test_delatex(raw, expected):
    assert bibtex.delatex(raw) == expected


def test_one_cochrane_database_one_name_in_every_export_format():
    """The Cochrane Library's BibTeX export of reviews was labelled 'Cochrane Library', its
    plain-text export of the same database 'Cochrane Database of Systematic Reviews': PRISMA
    counted one database as two. Each record is now labelled by the database it names."""
    from screening.io import cochrane

    bib = {r.source_db for r in bibtex.parse(COCHRANE.read_text(encoding="utf-8"), COCHRANE.name).records}
    plain_path = FIX / "cochrane_plain.txt"
    plain = ingest([RawSource(plain_path.name, plain_path.read_bytes())]).records
    assert bib == set(plain["source_db"]) == {"Cochrane Database of Systematic Reviews"}
    # the ids each export carries: a plain-text ID, a review DOI (BibTeX), a CENTRAL accession (RIS AN)
    assert cochrane.cochrane_database("CD011193") == cochrane.CDSR
    assert cochrane.cochrane_database("10.1002/14651858.CD011193.pub2") == cochrane.CDSR
    assert cochrane.cochrane_database("CN-02294877") == cochrane.cochrane_database(
        "", "https://www.cochranelibrary.com/central/doi/10.1002/central/CN-02294877/full") == cochrane.CENTRAL
    assert cochrane.cochrane_database("", journal="Cochrane Database of Systematic Reviews") == cochrane.CDSR
    assert cochrane.cochrane_database("ACD0001234", journal="Trials") == cochrane.LIBRARY


def test_wos_eissn_is_kept_beside_the_issn():
    """Acceptance testing (session 25): `ISSN` and `EISSN` both mapped to issn, the first won, so
    the electronic ISSN (which the WoS plain-text reader keeps) was lost for dedup's journal match."""
    assert "EISSN = {{1872-6291}}" in WOS.read_text(encoding="utf-8")        # the second record's
    assert [r.fields["issn"] for r in _parse(WOS).records] == ["0020-0255", "0020-0255; 1872-6291", "0020-0255"]
