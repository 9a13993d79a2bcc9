"""A tiny real review for the decision-log tests: 52 real records (Cohen et al. 2006,
estrogens), of which record 54 is marked a duplicate and record 55 excluded by the rules,
so 50 are screened. Records 1 and 2 swap ranks so the ranker's order is visible."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.records import make_table, write_table

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "decisions" / "records.csv"
REVIEW_TOML = """\
[review]
name = "t"
title = "Estrogens test review"

[screening]
reasons = ["wrong population", "wrong intervention", "wrong outcome", "wrong study design"]
"""


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """A decisions/export CSV for the import tests."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def fixture_rows() -> pd.DataFrame:
    return pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)


def build_table() -> pd.DataFrame:
    src = fixture_rows()
    rows = []
    for pos, r in enumerate(src.itertuples(index=False), start=1):
        rank = {1: 2, 2: 1}.get(pos, pos)
        rows.append({
            "record_id": r.record_id, "source_file": "records.csv", "source_format": "tabular",
            "source_db": "MEDLINE", "source_line": pos + 1, "title": r.title, "abstract": r.abstract,
            "authors": [a.strip() for a in r.authors.split(";") if a.strip()], "year": r.year,
            "pmid": r.pmid, "duplicate_of": "53" if r.record_id == "54" else "",
            "rule_decision": "exclude" if r.record_id == "55" else "",
            "rule_terms": ["testosterone", "myocardial ischemia"] if r.record_id == "1" else [],
            "rank": rank, "score": 1.0 / rank, "model_id": "tfidf-lr-test",
        })
    return make_table(rows)


@pytest.fixture
def review(tmp_path: Path) -> Path:
    """Path to pipelines/t.toml of a fresh review whose records table is in place."""
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text(REVIEW_TOML, encoding="utf-8")
    write_table(build_table(), tmp_path / "data" / "screened" / "t" / "ingest.parquet")
    return toml


@pytest.fixture
def db(review: Path) -> Path:
    return review.parent.parent / "data" / "screened" / "t" / "decisions.sqlite"


@pytest.fixture
def in_play() -> list[str]:
    """Screened record ids in the ranker's order."""
    ids = [r for r in fixture_rows()["record_id"] if r not in ("54", "55")]
    return ["2", "1"] + ids[2:]


@pytest.fixture
def cli():
    """Invoke the CLI in-process; returns (exit_code, output)."""
    from screening.cli import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        res = runner.invoke(app, [str(a) for a in args], input=input,
                            env={"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"})
        if res.exception and not isinstance(res.exception, SystemExit):
            raise res.exception
        return res.exit_code, res.output

    return run


@pytest.fixture
def source_rows() -> pd.DataFrame:
    """The fixture CSV's rows (as exported by the dataset), for building foreign exports."""
    return fixture_rows()


def assert_append_only(db: Path, table: str, assignment: str) -> None:
    """UPDATE (``SET assignment``) and DELETE on ``table`` of the log at ``db`` are refused by
    its triggers."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(f"UPDATE {table} SET {assignment}")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(f"DELETE FROM {table}")
    finally:
        conn.close()
