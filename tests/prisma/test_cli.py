"""End to end through the CLI: a tiny review of real records, screened with `screening decide`,
then `screening prisma REVIEW -o DIR`; counts checked by hand; outputs byte-identical per state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.prisma.diagram import svg_texts

from .conftest import wild_project

FILES = ("wos_10_of_278.ris", "medline_6_of_84.ris", "lens_9_of_343.ris")
TOML = """
[review]
name = "wild"
title = "Wildfire impacts: a review of reviews (test)"

[[sources]]
file = "data/raw/wild/wos_10_of_278.ris"
database = "Web of Science Core Collection"
interface = "Clarivate"
date_searched = "2023-03-09"
query = "TS=(wildfire* AND review*)"

[[sources]]
file = "data/raw/wild/medline_6_of_84.ris"
database = "Ovid MEDLINE"
interface = "Ovid"
date_searched = "2023-03-10"

[[sources]]
file = "data/raw/wild/lens_9_of_343.ris"
database = "Lens.org"
date_searched = "2023-03-08"

[screening]
reviewers = ["ana", "ben"]

[prisma]
other_methods = { "Citation searching" = 2 }
"""
OUTPUTS = ("prisma.json", "prisma.csv", "prisma_flow.svg", "prisma_flow.png", "prisma_flow.pdf",
           "report.md", "report.html")

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    toml = wild_project(tmp_path_factory.mktemp("project"), TOML, FILES)
    out = invoke("run", str(toml))                      # ingest, then the PRISMA post-step
    assert "prisma" in out
    return toml


def decide(toml: Path, reviewer: str, record: str, action: str, stage: str = "title_abstract",
           reason: str = "") -> None:
    args = ["decide", str(toml), "--reviewer", reviewer, "--record", record, f"--{action}", "--stage", stage]
    if reason:
        args += ["--reason", reason]
    invoke(*args)


def test_run_ends_with_prisma_outputs_and_screening_not_started(review):
    out_dir = review.parent.parent / "data" / "screened" / "wild" / "prisma"
    for name in OUTPUTS:
        assert (out_dir / name).is_file(), name
    doc = json.loads((out_dir / "prisma.json").read_text())
    c = doc["counts"]
    assert c["databases"] == {"Web of Science Core Collection": 10, "Lens.org": 9, "Ovid MEDLINE": 6}
    assert c["records_screened"] == 25 and c["title_abstract"]["status"] == "not started"
    assert doc["time"] == "2023-03-10"                   # latest date searched, not the clock
    md = (out_dir / "report.md").read_text()
    assert "not started: 0 of 25 screened" in md
    assert "| Reports sought for retrieval | 0 so far |" in md
    # -o naming a file: said as such (acceptance testing: 'File exists ... run the command again')
    (out_dir.parent / "a_file").write_text("x")
    res = runner.invoke(app, ["prisma", str(review), "-o", str(out_dir.parent / "a_file")])
    assert res.exit_code == 8 and "this is a file, not a folder" in " ".join(res.output.split()), res.output
    assert (out_dir.parent / "a_file").read_text() == "x"
    # `screening prisma` on the same state reproduces the run's post-step outputs byte for byte
    invoke("prisma", str(review), "-o", str(out_dir.parent / "again"))
    for name in OUTPUTS:
        assert (out_dir / name).read_bytes() == (out_dir.parent / "again" / name).read_bytes(), name


def test_screened_review_counts_by_hand(review, tmp_path):
    wos = [f"wos_10_of_278-0000{i}" for i in range(1, 7)]
    for who, acts in (("ana", ["include"] * 4 + ["exclude"] * 2),
                      ("ben", ["include"] * 3 + ["exclude"] * 3)):
        for rid, act in zip(wos, acts):
            decide(review, who, rid, act, reason="wrong population" if act == "exclude" else "")
    # wos 1-3 included by both, wos 5-6 excluded by both, wos 4 is a conflict (not final)
    decide(review, "ana", wos[0], "include", stage="full_text")
    decide(review, "ana", wos[1], "exclude", stage="full_text", reason="wrong outcome")
    decide(review, "ana", wos[2], "not-retrieved", stage="full_text")

    out = invoke("prisma", str(review), "-o", str(tmp_path / "a"))
    assert "25 → 25 → title/abstract screening in progress (5 of 25 screened)" in out
    doc = json.loads((tmp_path / "a" / "prisma.json").read_text())
    c = doc["counts"]
    assert c["identified"] == 25 and c["duplicates"] == 0 and c["automation_rules"] == 0
    assert c["identified_other"] == 2 and c["other_methods"] == {"Citation searching": 2}
    assert c["title_abstract"] == {"total": 25, "done": 5, "open": 1, "remaining": 20, "status": "in progress"}
    assert (c["excluded_human"], c["excluded_automation"]) == (2, 0)
    assert (c["reports_sought"], c["reports_not_retrieved"], c["reports_assessed"]) == (3, 1, 2)
    assert c["reports_excluded_reasons"] == {"wrong outcome": 1}
    assert (c["studies_included"], c["reports_included"]) == (1, 1)
    assert c["funnel"] == [25, 25, 3, 2, 1]
    # 6 records decided by both: 3 inc/inc, 2 exc/exc, 1 inc/exc -> kappa = (5/6 - 1/2) / (1/2)
    assert doc["kappa"] == {"title_abstract": pytest.approx(0.667, abs=1e-3)}
    assert doc["time"] > "2023-03-10"                    # now the latest decision's timestamp
    md = (tmp_path / "a" / "report.md").read_text()
    assert "Cohen's κ) was 0.67 at title/abstract screening" in md
    assert "Web of Science Core Collection using “TS=(wildfire* AND review*)” (via Clarivate; searched 2023-03-09; 10 records)" in md
    assert doc["citation"] in md and doc["state_hash"][:12] in doc["citation"]

    # same state -> byte-identical files; a new decision -> a new state hash
    invoke("prisma", str(review), "-o", str(tmp_path / "b"))
    for name in OUTPUTS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    # a changed decision (repeating the standing one appends nothing, so would change nothing)
    decide(review, "ana", wos[3], "exclude", stage="title_abstract", reason="wrong population")
    invoke("prisma", str(review), "-o", str(tmp_path / "c"))
    doc_c = json.loads((tmp_path / "c" / "prisma.json").read_text())
    assert doc_c["state_hash"] != doc["state_hash"]
    assert not any("demonstration" in w for w in doc_c["warnings"])

    invoke("decide", str(review), "--reviewer", "ben", "--record", "lens_9_of_343-00001", "--exclude",
           "--reason", "wrong population", "--demo")
    invoke("prisma", str(review), "-o", str(tmp_path / "d"))
    assert "1 of 17 decision-log events are demonstration data" in (tmp_path / "d" / "report.md").read_text()
    svg_text = svg_texts((tmp_path / "d" / "prisma_flow.svg").read_bytes())
    assert any("demonstration data (scripted)" in t for t in svg_text)


def test_prisma_command_help_documents_options():
    out = invoke("prisma", "--help")
    assert "--output" in out and "REVIEW" in out.upper()
