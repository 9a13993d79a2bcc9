"""Real records for the rules tests (see tests/fixtures/SOURCES.md, section rules/)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screening.records import read_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"


@pytest.fixture(scope="session")
def _clef() -> pd.DataFrame:
    return read_table(FIXTURES / "clef_cd006468_sample.csv")


@pytest.fixture(scope="session")
def _wildfire() -> pd.DataFrame:
    return read_table(FIXTURES / "wildfire_sample.csv")


@pytest.fixture
def clef(_clef: pd.DataFrame) -> pd.DataFrame:
    """36 PubMed records of CLEF TAR 2019 CD006468 (title, abstract, authors, year, journal, language)."""
    return _clef.copy()


@pytest.fixture
def wildfire(_wildfire: pd.DataFrame) -> pd.DataFrame:
    """29 records of the CiteSource wildfire searches (RIS types, keywords, two without a year)."""
    return _wildfire.copy()


@pytest.fixture(scope="session")
def folding() -> pd.DataFrame:
    """Names and titles in letters that do not decompose (Ø, ß, ł, ı, æ) and Arabic/Hebrew with
    and without vowel marks: 2 real records, 7 crafted by acceptance test 35."""
    return read_table(FIXTURES / "folding_sample.csv")


@pytest.fixture
def both(_clef: pd.DataFrame, _wildfire: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([_clef, _wildfire], ignore_index=True)
