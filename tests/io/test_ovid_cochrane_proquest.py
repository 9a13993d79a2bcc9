"""Ovid native tagged, Cochrane plain-text and ProQuest plain-text readers over trimmed real
exports (tests/fixtures/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.io import author_lists, cochrane, ovid, proquest
from screening.io.base import detect_format
from screening.io.text import decode_bytes
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def read(name: str) -> str:
    return decode_bytes((FIX / name).read_bytes(), name).text


@pytest.mark.parametrize("name,lines", [("ovid_tagged_citavi.ovd", [1, 72]), ("ovid_tagged_endnote.cgi", [1, 75])])
def test_ovid_tagged_both_flavours(name, lines):
    text = read(name)
    result = ovid.parse(text, name)
    assert result.format == "ovid" and result.dialect == "ovid"
    assert result.expected_count == len(result.records) == 2
    assert [r.line for r in result.records] == lines
    assert [text.split("\n")[n - 1] for n in lines] == ["<3001. >", "<3002. >"]
    rec = result.records[0].fields
    assert rec["title"] == "Quality of life in patients with primary ciliary dyskinesia: A systematic review."
    assert rec["authors"] == ["Behan, L.", "Rubbo, B.", "Lucas, J.S.", "Galvin, A.D."]
    assert rec["doi"] == "10.1186/s12919-018-0099-8"
    assert rec["source_record_id"] == "621381829" and rec["year"] == 2018 and rec["issn"] == "1753-6561"
    assert rec["journal"] == "BMC Proceedings"
    assert rec["publication_type"] == ["Conference Abstract"]
    # the EndNote flavour splits the abstract over untagged lines: all of it is kept
    assert rec["abstract"].startswith("Background: As in most rare diseases")
    assert "Result(s): We found 260 studies" in rec["abstract"]
    assert rec["abstract"].endswith("Interventions that ameliorate these issues need investigation.")
    assert [r.source_db for r in result.records] == ["Embase (Ovid)", "Embase (Ovid)"]      # as the Ovid RIS export names it


def test_ovid_flavours_agree():
    a = ovid.parse(read("ovid_tagged_citavi.ovd"), "a").records
    b = ovid.parse(read("ovid_tagged_endnote.cgi"), "b").records
    assert [r.fields for r in a] == [r.fields for r in b]


def test_ovid_tagged_volume_and_issue_from_so_after_the_meeting():
    """SO 'BMC Proceedings. Conference: 2nd BEAT-PCD Conference ... Spain. 12 (Supplement 3) (no
    pagination), 2018.' gave no volume and no issue: the citation follows the meeting's name."""
    for name in ("ovid_tagged_citavi.ovd", "ovid_tagged_endnote.cgi"):
        rec = ovid.parse(read(name), name).records[0].fields
        assert (rec["journal"], rec["volume"], rec["issue"], rec["pages"]) == ("BMC Proceedings", "12",
                                                                               "Supplement 3", "")
    assert ovid._so_citation("Lancet. 391 (10120) (pp 541-551), 2018. Date of Publication: 10 Feb 2018.") == (
        "391", "10120", "541-551")
    # a journal without issues: the lone bracket is the (missing) pages, not an issue
    assert ovid._so_citation("eLife. 12 (no pagination), 2018.") == ("12", "", "")


def test_cochrane_family_names_of_several_words():
    """'AU: El Dib Regina' read 'El, Dib Regina', 'Oude Luttikhuis Hiltje' 'Oude, Luttikhuis
    Hiltje', 'Roqué i Figuls Marta' 'Roqué, i Figuls Marta'. A particle ties the next word to
    the family name, as does a lower-case 'i'/'y' joining two; other two-word family names
    ('Davey Smith George') cannot be told from two given names and keep the first word."""
    path = FIX.parent / "ingest_cases" / "cochrane_plain_family_names.txt"
    records = cochrane.parse(decode_bytes(path.read_bytes(), path.name).text, path.name).records
    authors = [r.fields["authors"] for r in records]
    assert authors[0][3] == "Roqué i Figuls, Marta"
    assert authors[1][0] == "Oude Luttikhuis, Hiltje"
    assert authors[2][4] == "El Dib, Regina"
    assert authors[1][6] == "Summerbell, Carolyn D"             # given names of two words stay given
    # a lower-case particle after the first word ties on too (cochrane-cdsr_plaintext export)
    assert author_lists._family_first("Pineda de la Losa Fernando") == "Pineda de la Losa, Fernando"
    assert author_lists._family_first("Davey Smith George") == "Davey, Smith George"        # cannot be told


def test_cochrane_plain_text_cr_only_with_second_bom():
    raw = (FIX / "cochrane_plain.txt").read_bytes()
    assert b"\n" not in raw and raw.count(b"\xef\xbb\xbf") == 2     # the quirks are really there
    text = read("cochrane_plain.txt")
    result = cochrane.parse(text, "cochrane_plain.txt")
    assert result.format == "cochrane"
    assert result.expected_count == len(result.records) == 4
    assert [r.line for r in result.records] == [1, 19, 37, 54]
    assert text.split("\n")[53] == "Record #201 of 271"
    first = result.records[0].fields
    assert first["title"] == "Different types of dietary advice for women with gestational diabetes mellitus"
    # 'AU: Van Ryswyk Emer' is family-first without a comma
    assert first["authors"] == ["Han, Shanshan", "Middleton, Philippa", "Shepherd, Emily", "Van Ryswyk, Emer",
                                "Crowther, Caroline A"]
    assert first["doi"] == "10.1002/14651858.cd009275.pub3" and first["year"] == 2017
    assert first["source_record_id"] == "CD009275" and first["issue"] == "2"
    assert "Diabetes, Gestational [diet therapy]" in first["keywords"]
    assert all(r.fields["abstract"].startswith("Background:") for r in result.records)
    last = result.records[3].fields
    assert last["authors"][0] == "Malanda, Uri\u00ebll L" and last["year"] == 2012
    assert {r.source_db for r in result.records} == {"Cochrane Database of Systematic Reviews"}
    assert any("of 271" in w for w in result.warnings)      # a partial export is reported, not hidden


def test_proquest_plain_text_blocks():
    text = read("proquest_plain.txt")
    result = proquest.parse(text, "proquest_plain.txt")
    assert result.format == "proquest" and result.dialect == "proquest"
    assert result.expected_count == len(result.records) == 2
    assert [r.line for r in result.records] == [218, 284]
    assert text.split("\n")[217] == "Document 1 of 100"
    rec = result.records[0].fields
    assert rec["title"] == "Entrenchment and the Kripke-Wittgenstein paradox"
    assert rec["authors"] == ["Dorst, Chris"] and rec["year"] == 2014
    assert rec["abstract"].startswith("Surprisingly little attention has been paid to Goodman's own")
    assert rec["source_record_id"] == "1548716365" and rec["isbn"] == "9781303940095"
    assert rec["publication_type"] == ["Dissertation/Thesis"]
    assert rec["url"].endswith("docview/1548716365?accountid=14906")
    assert result.records[1].fields["title"].startswith("The Potential Use of Skin-derived Precursors")
    assert {r.source_db for r in result.records} == {"ProQuest Dissertations & Theses Global"}


def test_proquest_keywords_split_where_the_bibliography_splits_them():
    """'Identifier / keyword' joins its items with ', ', the comma inside 'Philosophy, religion
    and theology' and 'James, William' too; each was split in two. The export's BibTeX
    bibliography lists the same items '; '-separated: that list tells where they end."""
    name = "proquest_bibliography_keywords.txt"
    text = decode_bytes((FIX.parent / "field_cases" / name).read_bytes(), name).text
    assert "Identifier / keyword: Philosophy, religion and theology, Race, " in text
    assert "keywords={Philosophy, religion and theology; Race; " in text
    (rec,) = proquest.parse(text, name).records
    assert rec.fields["keywords"] == [
        "Philosophy, religion and theology", "Race", "Pluralism", "Pragmatism", "Enlightenment", "Racism",
        "James, William", "Philosophy of science", "Philosophy"]   # the last from 'Subject'
    # without a bibliography (cut from this fixture), ProQuest's own subject areas still hold together
    first = proquest.parse(read("proquest_plain.txt"), "proquest_plain.txt").records[0].fields
    assert first["keywords"][:3] == ["Philosophy, religion and theology", "Entrenchment", "Goodman"]
    assert proquest.identifier_keywords("Language, literature and linguistics, Philosophy, religion and theology, "
                                        "Dickinson, Emily") == [
        "Language, literature and linguistics", "Philosophy, religion and theology", "Dickinson", "Emily"]


@pytest.mark.parametrize("name,reader", [
    ("ovid_tagged_citavi.ovd", "ovid"), ("ovid_tagged_endnote.cgi", "ovid"),
    ("cochrane_plain.txt", "cochrane"), ("proquest_plain.txt", "proquest"),
])
def test_detected_by_content_and_ingested(name, reader):
    data = (FIX / name).read_bytes()
    assert detect_format(decode_bytes(data, "export.ris").text, "export.ris").name == reader
    result = ingest([RawSource("export.txt", data)])
    table = result.records
    assert set(table["source_format"]) == {reader}
    assert all(table["title"] != "") and all(table["abstract"] != "") and all(table["year"].notna())


def test_cochrane_ris_headers_do_not_fool_the_plain_text_reader():
    text = read("ris_cochrane_central.ris")
    assert cochrane.sniff(text) < 0.5
    assert detect_format(text, "x.txt").name == "ris"


@pytest.mark.parametrize("name,marker,line", [
    ("ovid_tagged_citavi.ovd", b"AB  - Primary ciliary", 72),
    ("cochrane_plain.txt", b"AB: Background: Self-monitoring", 54),
    ("proquest_plain.txt", b"Abstract: Hirschsprung", 284),
])
def test_file_cut_inside_last_record_is_refused(name, marker, line):
    from screening.errors import InputError

    data = (FIX / name).read_bytes()
    cut = data[: data.index(marker) + 300]     # the download stopped inside the last record's abstract
    with pytest.raises(InputError) as err:
        ingest([RawSource(name, cut)])
    assert err.value.path == name and err.value.line == line
    assert "truncated" in str(err.value)


@pytest.mark.parametrize("reader,name", [("cochrane", "ris_cochrane_central.ris"), ("ovid", "ris_ovid_psycinfo.ris")])
def test_forced_reader_refuses_another_export(reader, name):
    from screening.errors import InputError

    with pytest.raises(InputError):
        ingest([RawSource(name, (FIX / name).read_bytes(), format=reader)])
