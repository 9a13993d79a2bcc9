"""End to end: a team re-capitalises a full-text exclusion reason mid-review.

Acceptance testing found that ``reasons = ["no impact outcomes"]`` edited to ``"No impact
outcomes"`` split one reason into two. The diagram, report, methods paragraph, prisma.json/csv
and ``export`` listed "No impact outcomes (n = 1); no impact outcomes (n = 1)", and no warning
was given: the "no longer declares" check compares case-insensitively and stayed silent.
Now the reason is counted once, under the spelling the TOML declares. A warning names the
spelling that was merged, and the log keeps each exclusion as it was recorded."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd

from typer.testing import CliRunner

from screening.cli import app
from screening.decisions.entries import load_entries
from screening.prisma.counts import compute_counts
from screening.prisma.diagram import svg_texts

from .conftest import wild_project

TOML = """
[review]
name = "wild"
title = "Wildfire impacts: a review of reviews (test)"

[[sources]]
file = "data/raw/wild/wos_10_of_278.ris"
database = "Web of Science Core Collection"
date_searched = "2023-03-09"

[screening]
reasons = ["no impact outcomes", "not a review"]
reviewers = ["ana"]
"""

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_recapitalised_reason_is_one_reason_under_the_declared_spelling(tmp_path: Path) -> None:
    toml = wild_project(tmp_path, TOML, ("wos_10_of_278.ris",))
    invoke("run", toml)
    wos = [f"wos_10_of_278-0000{i}" for i in range(1, 6)]
    for rid in wos:
        invoke("decide", toml, "-r", "ana", "--record", rid, "--include")
    for rid in wos[:2]:
        invoke("decide", toml, "-r", "ana", "--record", rid, "--stage", "full_text", "--exclude",
               "--reason", "no impact outcomes")
    # the team re-capitalises its reason list mid-review
    toml.write_text(TOML.replace('"no impact outcomes"', '"No impact outcomes"'), encoding="utf-8")
    invoke("decide", toml, "-r", "ana", "--record", wos[2], "--stage", "full_text", "--exclude",
           "--reason", "No impact outcomes")
    invoke("decide", toml, "-r", "ana", "--record", wos[3], "--stage", "full_text", "--include")

    out = tmp_path / "out"
    invoke("prisma", toml, "-o", out)
    doc = json.loads((out / "prisma.json").read_text(encoding="utf-8"))
    assert doc["counts"]["reports_excluded"] == 3
    assert doc["counts"]["reports_excluded_reasons"] == {"No impact outcomes": 3}
    merged = ("2 settled full-text exclusions were recorded as 'no impact outcomes'; counted under the "
              "declared 'No impact outcomes' (the log keeps them as recorded)")
    assert merged in doc["warnings"], doc["warnings"]
    assert not any("no longer declares" in w for w in doc["warnings"]), doc["warnings"]
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| – No impact outcomes | 3 |" in md and "no impact outcomes |" not in md
    assert "3 were excluded (No impact outcomes, n = 3)" in md       # the methods paragraph
    assert merged in md
    with (out / "prisma.csv").open(encoding="utf-8") as fh:
        cells = {row["data"]: row["n"] for row in csv.DictReader(fh)}
    assert cells["dbr_excluded"] == "No impact outcomes, 3"
    texts = svg_texts((out / "prisma_flow.svg").read_bytes())
    assert any("No impact outcomes (n = 3)" in t for t in texts), texts
    assert not any("no impact outcomes" in t for t in texts), texts

    # typed in another case and spacing: accepted (it used to be refused) and logged as declared
    said = invoke("decide", toml, "-r", "ana", "--record", wos[4], "--stage", "full_text", "--exclude",
                  "--reason", "NO impact  outcomes")
    assert "(No impact outcomes)" in said, said
    # the log is append-only: the exclusions recorded before the edit keep their spelling
    log = load_entries(tmp_path / "data" / "screened" / "wild" / "decisions.sqlite")
    ft = log[(log["stage"] == "full_text") & (log["action"] == "exclude")]
    assert ft["reason"].tolist() == ["no impact outcomes"] * 2 + ["No impact outcomes"] * 2

    # export and status read the reason as PRISMA counts it
    invoke("export", toml, "--stage", "full_text", "--decision", "exclude", "-o", tmp_path / "x.csv",
           "--per-reviewer")
    with (tmp_path / "x.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["reason"] for r in rows] == ["No impact outcomes"] * 4
    assert [r["ft_ana"] for r in rows] == ["exclude (No impact outcomes)"] * 4
    # read back, the export's declared spelling is the reason already logged: nothing to record
    assert "0 decisions written" in invoke("decide", toml, "-r", "ana", "--stage", "full_text", "--from",
                                           tmp_path / "x.csv")
    status = json.loads(invoke("status", toml, "--json").splitlines()[0])
    assert merged in status["warnings"], status["warnings"]


def test_compute_counts_lists_one_reason_whatever_the_case(records, play_ids) -> None:
    """Whoever passes finals straight to the counts (the API, a script) gets one line too."""
    ta = pd.DataFrame({"record_id": play_ids[:3], "decision": "include", "reason": "", "resolved_by": "single"})
    ft = pd.DataFrame({"record_id": play_ids[:3], "decision": "exclude",
                       "reason": ["Wrong outcome", "wrong  outcome", "wrong outcome"], "resolved_by": "single"})
    assert compute_counts(records, ta, ft).reports_excluded_reasons == {"wrong outcome": 3}
