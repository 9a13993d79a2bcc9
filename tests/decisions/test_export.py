"""`screening export`: the records a screening result selects, as RIS or CSV, on 50 real
records (Cohen et al. 2006, estrogens) screened by two reviewers.

Planted (as in test_cli_workflow): both include 20, disagree on 15, both exclude 15, on the
50 records in play; then 5 conflicts adjudicated to include, record 54 (a duplicate) and 55
(rule-excluded) never eligible. Full text: 3 of the includes included, 1 excluded, 1 not
retrieved.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.outcomes import final_decisions
from screening.errors import ConfigError, DecisionError
from screening.export import export_records, select
from screening.normalize import normalize_author
from screening.prisma.counts import compute_counts
from screening.records import read_table
from screening.stages.ingest import RawSource, ingest

from .test_cli_workflow import plant


@pytest.fixture
def screened(review: Path, in_play: list[str], tmp_path: Path) -> Path:
    api.assign(review, "alice,bob")
    alice, bob = plant(tmp_path, in_play)
    api.import_decisions(review, alice, reviewer="alice")
    api.import_decisions(review, bob)
    for rid in in_play[20:25]:
        api.adjudicate(review, reviewer="carol", record_id=rid, decision="include")
    for rid, action, reason in ((in_play[0], "include", ""), (in_play[1], "include", ""),
                                (in_play[2], "include", ""), (in_play[3], "exclude", "wrong outcome"),
                                (in_play[4], "not_retrieved", "")):
        api.record_decision(review, reviewer="alice", record_id=rid, action=action, reason=reason,
                            stage="full_text")
    return review


def test_default_is_the_reports_to_retrieve_and_matches_prisma(screened: Path, db: Path, in_play, tmp_path) -> None:
    out = tmp_path / "retrieve.ris"
    res = export_records(screened, out)
    entries = load_entries(db)
    ta = final_decisions(entries, "title_abstract")
    table = read_table(screened.parent.parent / "data" / "screened" / "t" / "ingest.parquet")
    counts = compute_counts(table, ta, final_decisions(entries, "full_text"))
    assert res.records == counts.reports_sought == 25 and res.by_status == {"final": 25}
    # read back by our own RIS reader: same records, fields and order (screening order)
    back = ingest([RawSource("retrieve.ris", out.read_bytes())]).records
    want = table.set_index("record_id").loc[in_play[:25]]
    assert back["source_record_id"].tolist() == in_play[:25]
    assert back["title"].tolist() == want["title"].tolist()
    assert back["year"].tolist() == want["year"].tolist()
    assert back["pmid"].tolist() == want["pmid"].tolist()
    # (the fixture's names are 'B de Lignières'; every reader stores 'Family, Given')
    assert back["authors"].tolist() == [[normalize_author(a) for a in names] for names in want["authors"]]
    text = out.read_text(encoding="utf-8")
    assert text.count("ER  - ") == 25 and b"\r\n" in out.read_bytes()
    assert "N1  - screening (title_abstract): final, include (agreement)" in text
    assert "N1  - screening (title_abstract): final, include (adjudication)" in text


def test_every_selection(screened: Path, in_play) -> None:
    rv = api.Review.load(screened)
    assert len(select(rv, "title_abstract", "all")) == 50
    excluded = select(rv, "title_abstract", "exclude")
    assert len(excluded) == 15 and set(excluded["reason"]) == {"wrong population"}
    undecided = select(rv, "title_abstract", "undecided")
    assert sorted(undecided["record_id"]) == sorted(in_play[25:35])     # the 10 open conflicts
    assert set(undecided["status"]) == {"undecided"} and set(undecided["decision"]) == {""}   # blind
    undecided = select(rv, "title_abstract", "undecided", as_adjudicator=True)
    assert set(undecided["status"]) == {"conflict"}
    included = select(rv, "full_text", "include")
    assert included["record_id"].tolist() == in_play[:3]
    ft_all = select(rv, "full_text", "all")
    assert len(ft_all) == 25                                           # the reports sought
    assert ft_all.set_index("record_id").loc[in_play[3], "reason"] == "wrong outcome"
    assert select(rv, "full_text", "not_retrieved")["record_id"].tolist() == [in_play[4]]
    assert (select(rv, "full_text", "undecided", as_adjudicator=True)["status"] == "unscreened").sum() == 20


def test_after_stopping_the_records_nobody_screened_are_exclusions_as_in_prisma(review: Path, db: Path,
                                                                              in_play) -> None:
    """`[rank] stopped = true`: PRISMA counts the records nobody screened as excluded by
    automation tools; records one reviewer decided (awaiting the second) stay in screening,
    and the export agrees on both (acceptance testing found them reported as excluded, some
    with a reviewer's include)."""
    api.assign(review, "alice,bob")
    for rid in in_play[:30]:
        for who in ("alice", "bob"):
            api.record_decision(review, reviewer=who, record_id=rid, action="exclude" if rid != in_play[0] else "include")
    for rid in in_play[30:35]:
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    review.write_text(review.read_text(encoding="utf-8") + "\n[rank]\nstopped = true\n", encoding="utf-8")
    rv = api.Review.load(review)
    excluded = select(rv, "title_abstract", "exclude")
    stopped = excluded[excluded["status"] == "stopped"]
    entries = load_entries(db)
    table = read_table(review.parent.parent / "data" / "screened" / "t" / "ingest.parquet")
    from screening.decisions.outcomes import open_records

    counts = compute_counts(table, final_decisions(entries, "title_abstract"), stopped=True,
                            ta_open=open_records(entries))
    assert sorted(stopped["record_id"]) == sorted(in_play[35:]) and counts.excluded_automation == 15
    assert counts.title_abstract_open == 5 and counts.screening_in_progress
    assert len(excluded) == counts.excluded_human + counts.excluded_automation == 29 + 15
    assert set(stopped["resolved_by"]) == {"stopping rule"}
    assert sorted(select(rv, "title_abstract", "undecided")["record_id"]) == sorted(in_play[30:35])
    assert any("5 record(s) decided by one reviewer" in w for w in counts.warnings)


def test_csv_export_with_decisions_and_lists(screened: Path, in_play, tmp_path, cli) -> None:
    out = tmp_path / "included.csv"
    code, text = cli("export", screened, "--stage", "full_text", "-o", out)
    assert code == 0 and "wrote 3 records (full_text: include; 3 final)" in text
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                             # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["record_id"] for r in rows] == in_play[:3]
    assert {r["decision"] for r in rows} == {"include"} and {r["stage"] for r in rows} == {"full_text"}
    assert any("; " in r["authors"] for r in rows) and rows[0]["source_file"] == "records.csv"


def test_bad_requests_write_nothing(screened: Path, tmp_path, cli) -> None:
    with pytest.raises(ConfigError, match="export format"):
        export_records(screened, tmp_path / "out.xlsx")
    with pytest.raises(ConfigError, match="unknown decision"):
        export_records(screened, tmp_path / "out.ris", decision="maybe")
    with pytest.raises(DecisionError, match="unknown stage"):
        export_records(screened, tmp_path / "out.ris", stage="abstract")
    code, text = cli("export", screened, "-o", tmp_path / "out.txt")
    assert code == 4 and "--format ris|csv" in text
    code, _ = cli("export", screened, "-o", tmp_path / "out.txt", "--format", "ris")
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out")) == ["out.txt"]


def test_an_unknown_format_passed_is_named_as_such(review: Path, tmp_path, cli) -> None:
    """`--format tsv` was told to name the file .ris or .csv or to pass --format, which it
    had passed (acceptance testing)."""
    code, text = cli("export", review, "--decision", "all", "--format", "tsv", "-o", tmp_path / "x.tsv")
    assert code == 4 and "unknown export format 'tsv' (ris or csv)" in text
    assert "cannot tell" not in text and not (tmp_path / "x.tsv").exists()


def test_ris_round_trips_awkward_values(tmp_path) -> None:
    """Chapters keep their book title, blank values write no empty tag line, unnormalised
    values (arrays, NaN, float years) are written as a reference manager expects."""
    import numpy as np

    from screening.export import to_ris
    from screening.export_csv import csv_export

    rows = pd.DataFrame([
        {"record_id": "c1", "title": "A chapter", "authors": np.array(["Doe, J", "Roe, R"]),
         "publication_type": ["Book Chapter"], "journal": "", "booktitle": "The Big Book", "year": 2021.0,
         "pages": " 12-30 ", "issn": " ", "keywords": float("nan"), "source_db": "Scopus"},
        {"record_id": "a2", "title": "An article", "authors": None, "publication_type": "JOUR",
         "journal": "J Things", "booktitle": "", "year": float("nan"), "pages": "-", "issn": "1234-5678",
         "keywords": "fire; smoke", "source_db": "Scopus"},
    ]).assign(stage="title_abstract", status="final", decision="include", reason="", resolved_by="single")
    text = to_ris(rows)
    assert not [line for line in text.split("\r\n") if line.endswith("  - ") and line != "ER  - "]
    path = tmp_path / "x.ris"
    path.write_text(text, encoding="utf-8", newline="")
    back = ingest([RawSource("x.ris", path.read_bytes())]).records
    assert back["booktitle"].tolist() == ["The Big Book", ""]
    assert back["journal"].tolist() == ["", "J Things"]
    assert back["authors"].tolist() == [["Doe, J", "Roe, R"], []]
    assert back["year"].tolist()[0] == 2021 and back["pages"].tolist() == ["12-30", ""]
    assert back["keywords"].tolist() == [[], ["fire", "smoke"]]
    # UAT: a chapter in a book series lost its journal, and secondary types were dropped
    rows2 = rows.assign(journal=["Prime Archives in Environmental Research", "J Things"],
                        publication_type=[["CHAP"], ["JOUR", "Article", "Review"]])
    path.write_text(to_ris(rows2), encoding="utf-8", newline="")
    back = ingest([RawSource("x.ris", path.read_bytes())]).records
    assert back["journal"].tolist() == ["Prime Archives in Environmental Research", "J Things"]
    assert back["booktitle"].tolist() == ["The Big Book", ""]
    assert back["publication_type"].tolist() == [["CHAP"], ["JOUR", "Article", "Review"]]
    from screening.io.ris import detect_dialect      # not taken for Lens by its lens.org links
    assert detect_dialect(to_ris(rows2.assign(url="https://www.lens.org/lens/scholar/article/1"))) == "screening"
    csv_rows = list(csv.DictReader(io.StringIO(csv_export(rows).text)))
    assert csv_rows[0]["authors"] == "Doe, J; Roe, R" and csv_rows[0]["year"] == "2021"
    assert csv_rows[1]["authors"] == "" and csv_rows[1]["year"] == ""


def test_ris_values_stay_on_one_line(review: Path, tmp_path) -> None:
    """A newline inside an abstract would start a bogus tag line in a reference manager."""
    from screening.export import to_ris

    row = pd.DataFrame([{"record_id": "r1", "title": "A\ntitle", "abstract": "line one\r\nAU  - not an author",
                         "authors": ["Doe, J"], "publication_type": ["Journal Article"], "journal": "J",
                         "pages": "288-297", "stage": "title_abstract", "status": "unscreened",
                         "decision": "", "reason": "", "resolved_by": ""}])
    text = to_ris(row)
    assert [line for line in text.split("\r\n") if line.startswith("AU")] == ["AU  - Doe, J"]
    assert "TY  - JOUR" in text and "SP  - 288\r\nEP  - 297" in text and "TI  - A title" in text


def test_ris_type_codes_come_from_the_readers_table() -> None:
    """Every RIS type a reader knows passes through to an export; names map to codes."""
    from screening.export import _ris_type
    from screening.io.ris import RIS_TYPE_NAMES

    for code in ("MAP", "GOVDOC", "JOUR", "CPAPER"):
        assert code in RIS_TYPE_NAMES
        assert _ris_type(pd.Series({"publication_type": [code.lower()], "journal": "X"})) == code
    assert _ris_type(pd.Series({"publication_type": ["Web"], "journal": ""})) == "ELEC"
    assert _ris_type(pd.Series({"publication_type": ["Proceedings Paper"], "journal": "X"})) == "CPAPER"
    assert _ris_type(pd.Series({"publication_type": ["Something else"], "journal": ""})) == "GEN"


# --- per-reviewer columns (--per-reviewer) ---------------------------------------------------


def _csv_rows(path: Path) -> dict[str, dict[str, str]]:
    return {r["record_id"]: r for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))}


def test_per_reviewer_columns_carry_each_reviewers_decisions_notes_and_reports(screened: Path, in_play,
                                                                              tmp_path, cli) -> None:
    """Acceptance testing: an export carried each record's settled outcome only, not who
    decided what at either stage, the notes reviewers wrote or the full texts attached."""
    api.record_decision(screened, reviewer="bob", record_id=in_play[21], action="note",
                        note="mixed population; adults and teens")
    report = tmp_path / "report 4.pdf"
    report.write_bytes(b"%PDF-1.4\n")
    api.record_decision(screened, reviewer="alice", record_id=in_play[3], action="attach_report",
                        stage="full_text", report=str(report))
    out = tmp_path / "votes.csv"
    code, text = cli("export", screened, "--decision", "all", "--per-reviewer", "-r", "alice", "-o", out)
    assert code == 0 and "wrote 50 records" in text and "blinding" not in text
    rows = _csv_rows(out)
    agreed, adjudicated, excluded, conflict = (rows[in_play[i]] for i in (0, 21, 40, 30))
    assert (agreed["ta_alice"], agreed["ta_bob"], agreed["ta_adjudicated_by"]) == ("include", "include", "")
    assert (adjudicated["ta_alice"], adjudicated["ta_bob"], adjudicated["ta_adjudicated_by"]) == (
        "include", "exclude", "carol")
    assert adjudicated["ta_decision"] == adjudicated["decision"] == "include"
    assert (excluded["ta_alice"], excluded["ta_bob"], excluded["ta_reason"]) == (
        "exclude (wrong population)", "exclude", "wrong population")
    # an open conflict alice is a party to: she sees bob's side, as `conflicts -r alice` does
    assert (conflict["ta_alice"], conflict["ta_bob"], conflict["decision"]) == ("exclude (wrong population)",
                                                                               "include", "")
    assert adjudicated["reviewer_notes"] == "bob (title_abstract): mixed population; adults and teens"
    # full text, in a title/abstract export: alice's decisions, the outcome and its reason, the report
    ft = rows[in_play[3]]
    assert (ft["ft_alice"], ft["ft_decision"], ft["ft_reason"]) == ("exclude (wrong outcome)", "exclude",
                                                                    "wrong outcome")
    assert ft["full_text_reports"] == str(report) and rows[in_play[4]]["ft_decision"] == "not_retrieved"
    assert rows[in_play[40]]["ft_decision"] == "" and rows[in_play[40]]["ft_alice"] == ""
    # still our export to `decide --from` (the reviewers' columns are not read as decisions)
    back = api.import_decisions(screened, out, reviewer="alice")
    assert back["format"] == "export" and back["written"] == 0 and back["unchanged"] == 40, back
    # without --per-reviewer the export's columns are as before
    code, _ = cli("export", screened, "--decision", "all", "-o", tmp_path / "plain.csv")
    assert not [c for c in next(iter(_csv_rows(tmp_path / "plain.csv").values())) if c.startswith(("ta_", "ft_"))]


def test_per_reviewer_columns_are_blinded(review: Path, tmp_path, cli) -> None:
    """As in test_blinding: bob decided records 1 (note BOBSECRET1) and 2 (BOBSECRET2), alice
    only record 2. alice's export shows bob's side of record 2, never of record 1; carol sees
    neither; an adjudicator sees both. What is hidden is blank, and the export says so."""
    api.assign(review, "alice,bob")
    api.record_decision(review, reviewer="bob", record_id="1", action="include", note="BOBSECRET1")
    api.record_decision(review, reviewer="bob", record_id="2", action="exclude", reason="wrong outcome",
                        note="BOBSECRET2")
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    for fmt in ("csv", "ris"):
        out = tmp_path / f"alice.{fmt}"
        code, text = cli("export", review, "--decision", "all", "--per-reviewer", "-r", "alice", "-o", out)
        body = out.read_text(encoding="utf-8-sig")
        assert code == 0 and "BOBSECRET2" in body and "BOBSECRET1" not in body
        assert "1 exported record(s) have decisions or notes by other reviewers" in " ".join(text.split())
    rows = _csv_rows(tmp_path / "alice.csv")
    assert (rows["2"]["ta_alice"], rows["2"]["ta_bob"]) == ("include", "exclude (wrong outcome)")
    assert rows["1"]["ta_bob"] == "" and rows["1"]["reviewer_notes"] == ""
    assert "N1  - reviewer bob (title_abstract): exclude (wrong outcome)" in (tmp_path / "alice.ris").read_text()
    for who in (["-r", "carol"], []):
        code, text = cli("export", review, "--decision", "all", "--per-reviewer", *who, "-o", tmp_path / "c.csv")
        body = (tmp_path / "c.csv").read_text(encoding="utf-8-sig")
        assert code == 0 and "BOBSECRET" not in body and "ta_bob" not in body and "2 exported record(s)" in text
    code, text = cli("export", review, "--decision", "all", "--per-reviewer", "--as-adjudicator",
                     "-o", tmp_path / "a.csv")
    rows = _csv_rows(tmp_path / "a.csv")
    assert code == 0 and "blinding" not in text
    assert rows["1"]["ta_bob"] == "include" and rows["1"]["reviewer_notes"] == "bob (title_abstract): BOBSECRET1"


def test_per_reviewer_ris_keeps_decisions_and_notes_when_ingested_again(screened: Path, in_play, tmp_path) -> None:
    """RIS carries the same as N1 notes (and attached reports as L1, Zotero's and EndNote's file
    attachments); ingested again, the notes stay in the records table (acceptance testing:
    N1 was dropped on re-ingest)."""
    api.record_decision(screened, reviewer="alice", record_id=in_play[3], action="note", stage="full_text",
                        note="outcome is bone density only")
    api.record_decision(screened, reviewer="alice", record_id=in_play[0], action="attach_report",
                        stage="full_text", report="https://example.org/fulltext/2.pdf")
    out = tmp_path / "ft.ris"
    res = export_records(screened, out, stage="full_text", decision="all", as_adjudicator=True, per_reviewer=True)
    assert res.records == 25 and not res.warnings
    text = out.read_text(encoding="utf-8")
    assert "L1  - https://example.org/fulltext/2.pdf" in text
    back = ingest([RawSource("ft.ris", out.read_bytes())]).records.set_index("source_record_id")
    notes = back.loc[in_play[3], "notes"].split("\n")
    assert "screening (full_text): final, exclude (single); reason: wrong outcome" in notes
    assert "screening (title_abstract): final, include" in notes
    assert {"reviewer alice (title_abstract): include", "reviewer bob (title_abstract): include",
            "reviewer alice (full_text): exclude (wrong outcome)",
            "note by alice (full_text): outcome is bone density only"} <= set(notes)
    assert "adjudicated by carol (title_abstract)" in back.loc[in_play[21], "notes"].split("\n")
