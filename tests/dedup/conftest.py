"""Shared fixtures: trimmed real records from the labelled dedup sets (tests/fixtures/dedup)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screening.dedup.labelled import load_groups, load_labelled_records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dedup"


@pytest.fixture(scope="session")
def pairs_table() -> pd.DataFrame:
    """Rows of tests/fixtures/dedup/pairs.csv (two per pair) as a canonical table."""
    return load_labelled_records(FIXTURES / "pairs.csv")


@pytest.fixture(scope="session")
def sample() -> pd.DataFrame:
    """bib-dedupe's 14-record test sample (DOIs, Cochrane versions, search_set old/new)."""
    return load_labelled_records(FIXTURES / "bibdedupe_testsample_records.csv")


@pytest.fixture(scope="session")
def sample_groups() -> list[list[str]]:
    return load_groups(FIXTURES / "bibdedupe_testsample_dup_groups.csv")


@pytest.fixture(scope="session")
def mixed() -> pd.DataFrame:
    """All pair rows plus the sample, with a source_db per set: 56 real records."""
    a = load_labelled_records(FIXTURES / "pairs.csv")
    a = a.assign(source_db=a["source_set"], record_id=[f"{s}:{r}" for s, r in zip(a["source_set"], a["record_id"])])
    a = a.drop_duplicates("record_id")
    b = load_labelled_records(FIXTURES / "bibdedupe_testsample_records.csv").assign(source_db="testsample")
    b = b.assign(record_id=["s:" + r for r in b["record_id"]])
    return pd.concat([a, b], ignore_index=True)
