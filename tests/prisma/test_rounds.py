"""Search rounds of an updated review: what each search date found, and what an update added.

The 25-record fixture (conftest): WoS 10, MEDLINE 6, Lens 9, 7 duplicates by DOI kept as the
WoS copy (MEDLINE 3, Lens 4), 18 studies. Lens dated as an update, a year after the others:
the first round has 16 records and 13 studies (10 WoS + 3 MEDLINE-only), the update 9 records,
9 studies, 5 of them new (the Lens records that are not duplicates)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from screening.cli import app
from screening.dedup.contributions import search_rounds
from screening.prisma.searches import search_round_labels

from .conftest import FIXTURES

DATE = {"wos": "2023-03-09", "medline": "2023-03-10", "lens": "2024-05-01"}


def _dates(records: pd.DataFrame) -> pd.Series:
    return records["record_id"].map(lambda r: DATE[r.split("_")[0]])


def test_rounds_count_records_studies_and_new_studies(records: pd.DataFrame) -> None:
    labels = search_round_labels(_dates(records))
    assert sorted(set(labels)) == ["2023-03-09 to 2023-03-10", "2024-05-01"]
    table = search_rounds(records, labels)
    assert table.values.tolist() == [["2023-03-09 to 2023-03-10", 16, 13, 13], ["2024-05-01", 9, 9, 5]]
    assert table["new_studies"].sum() == len(records) - (records["duplicate_of"] != "").sum()


def test_no_rounds_for_one_search_period_or_an_undated_source(records: pd.DataFrame) -> None:
    same_month = records["record_id"].map(lambda r: {"lens": "2023-04-20"}.get(r.split("_")[0], "2023-03-09"))
    assert search_rounds(records, search_round_labels(same_month)).empty    # 42 days apart: one round
    undated = _dates(records).where(~records["record_id"].str.startswith("lens"), "")
    assert search_rounds(records, search_round_labels(undated)).empty
    assert set(search_round_labels(undated)) == {"2023-03-09 to 2023-03-10", ""}


TOML = """
[review]
name = "upd"
title = "Update test"

[[sources]]
file = "data/raw/upd/wos_10_of_278.ris"
database = "Web of Science Core Collection"
date_searched = "2023-03-09"

[[sources]]
file = "data/raw/upd/medline_6_of_84.ris"
database = "Ovid MEDLINE"
date_searched = "2023-03-10"

[[sources]]
file = "data/raw/upd/lens_9_of_343.ris"
database = "Lens.org"
date_searched = "1 May 2024"
notes = "update search"

[dedup]
"""


def test_an_updated_review_reports_what_the_update_added(tmp_path: Path) -> None:
    raw = tmp_path / "data" / "raw" / "upd"
    raw.mkdir(parents=True)
    for name in ("wos_10_of_278.ris", "medline_6_of_84.ris", "lens_9_of_343.ris"):
        shutil.copy(FIXTURES / name, raw / name)
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "upd.toml"
    toml.write_text(TOML, encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(toml)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "data" / "screened" / "upd" / "prisma"
    counts = json.loads((out / "prisma.json").read_text())["counts"]
    assert (counts["identified"], counts["duplicates"]) == (25, 7)
    md = (out / "report.md").read_text()
    assert "| 2023-03-09 to 2023-03-10 | 16 | 13 | 13 |" in md and "| 2024-05-01 | 9 | 9 | 5 |" in md
    assert ("The searches of 2023-03-09 to 2023-03-10 identified 16 records; the update search of "
            "2024-05-01 added 9 records, 5 of them studies the earlier searches had not found.") in md
    # each export's own count, in the search sentence
    assert "Lens.org (searched 1 May 2024; update search; 9 records)" in md
    html = (out / "report.html").read_text()
    assert "<td>2024-05-01</td><td class=\"n\">9</td><td class=\"n\">9</td><td class=\"n\">5</td>" in html
