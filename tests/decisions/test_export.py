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
from screening.decisions.views import final_decisions, load_entries
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
    from screening.prisma.api import open_records

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


def test_ris_round_trips_awkward_values(tmp_path) -> None:
    """Chapters keep their book title, blank values write no empty tag line, unnormalised
    values (arrays, NaN, float years) are written as a reference manager expects."""
    import numpy as np

    from screening.export import to_csv, to_ris

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
    csv_rows = list(csv.DictReader(io.StringIO(to_csv(rows))))
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
