"""``[prisma] registers`` must name a source the records come from.

Acceptance testing (session 20): a misspelt register (``ClinicalTrails.gov``) was accepted
without a word, and that register's records were counted as a database's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from screening.cli import app

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ml" / "cohen_antihistamines_300.csv"
TOML = """[review]
name = "t"
[[sources]]
file = "data/raw/a.csv"
database = "PubMed"
date_searched = "2024-01-10"
[[sources]]
file = "data/raw/b.csv"
database = "ClinicalTrials.gov"
date_searched = "2024-01-10"
[prisma]
registers = [{registers}]
"""


def _prisma(tmp_path: Path, monkeypatch, registers: str) -> dict:
    (tmp_path / "pipelines").mkdir(exist_ok=True)
    (tmp_path / "data" / "raw").mkdir(parents=True, exist_ok=True)
    data = pd.read_csv(FIX, dtype=str, keep_default_na=False)
    data.iloc[:200].to_csv(tmp_path / "data" / "raw" / "a.csv", index=False)
    data.iloc[200:].to_csv(tmp_path / "data" / "raw" / "b.csv", index=False)
    (tmp_path / "pipelines" / "t.toml").write_text(TOML.format(registers=registers))
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["run", "pipelines/t.toml"])
    assert res.exit_code == 0, res.output
    return json.loads((tmp_path / "data" / "screened" / "t" / "prisma" / "prisma.json").read_text())


def test_a_misspelt_register_is_warned_of_with_the_name_it_resembles(tmp_path: Path, monkeypatch) -> None:
    doc = _prisma(tmp_path, monkeypatch, '"ClinicalTrails.gov"')
    said = [w for w in doc["warnings"] if "[prisma] registers" in w]
    assert said == ["[prisma] registers names 'ClinicalTrails.gov' (did you mean 'ClinicalTrials.gov'?), which no "
                    "record's source database is: the boxes count no register records under that name (databases "
                    "here: ClinicalTrials.gov, PubMed)"]
    assert doc["counts"]["identified_registers"] == 0


def test_a_register_the_records_come_from_is_not_warned_of(tmp_path: Path, monkeypatch) -> None:
    doc = _prisma(tmp_path, monkeypatch, '"ClinicalTrials.gov"')
    assert not [w for w in doc["warnings"] if "registers" in w]
    assert doc["counts"]["identified_registers"] == 100
