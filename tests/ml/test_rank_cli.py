"""`screening rank` on a throw-away review built from the trimmed real dataset."""

import json
import shutil
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from screening.cli import app

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ml" / "cohen_antihistamines_300.csv"


def _review_with_priors(tmp_path, monkeypatch) -> pd.DataFrame:
    """A review of the fixture with one included and one excluded prior; cwd set to it."""
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "data" / "raw").mkdir(parents=True)
    shutil.copy(FIX, tmp_path / "data" / "raw" / "a.csv")
    data = pd.read_csv(FIX, dtype=str, keep_default_na=False)
    inc = data[data["label_included"] == "1"]["record_id"].iloc[0]
    exc = data[data["label_included"] == "0"]["record_id"].iloc[0]
    (tmp_path / "pipelines" / "t.toml").write_text(
        f'[review]\nname = "t"\n[[sources]]\nfile = "data/raw/a.csv"\ndatabase = "PubMed"\n'
        f'[rank]\nprior_included = ["{inc}"]\nprior_excluded = ["{exc}"]\nseed = 3\n')
    monkeypatch.chdir(tmp_path)
    return data


def test_rank_command_writes_ranked_table(tmp_path, monkeypatch):
    _review_with_priors(tmp_path, monkeypatch)
    res = CliRunner().invoke(app, ["rank", "pipelines/t.toml"])
    assert res.exit_code == 0, res.output
    assert "ranked 298 of 300" in res.output
    out = pd.read_parquet(tmp_path / "data" / "screened" / "t" / "rank.parquet")
    report = json.loads((tmp_path / "data" / "screened" / "t" / "rank.json").read_text())
    assert report["details"]["model"]["training_size"] == 2
    assert (out["model_id"] == report["details"]["model"]["model_id"]).all()
    assert out["rank"].notna().sum() == 298


def test_rank_command_needs_rank_section(tmp_path, monkeypatch):
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "data" / "raw").mkdir(parents=True)
    shutil.copy(FIX, tmp_path / "data" / "raw" / "a.csv")
    (tmp_path / "pipelines" / "t.toml").write_text('[review]\nname = "t"\n[[sources]]\nfile = "data/raw/a.csv"\n')
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["rank", "pipelines/t.toml"])
    assert res.exit_code == 4 and "no rank section" in res.output


def test_run_command_shows_stage_warnings(tmp_path, monkeypatch):
    """`screening run` prints each stage's warnings (here: ranked records without an abstract)."""
    data = _review_with_priors(tmp_path, monkeypatch)
    no_abstract = int((data["abstract"].str.strip() == "").sum())
    assert no_abstract > 0                      # the real fixture has some; the test needs them
    res = CliRunner().invoke(app, ["run", "pipelines/t.toml"])
    assert res.exit_code == 0, res.output
    assert "warning (rank):" in res.output
    assert f"{no_abstract} ranked record(s) have no abstract" in " ".join(res.output.split())


def test_stopped_in_the_rank_section_reaches_prisma(tmp_path, monkeypatch):
    """`stopped = true` (the team's decision) is accepted, recorded in rank.json with the rule,
    warned about while the stopping test is unmet, and makes PRISMA report the unscreened
    records as excluded by automation tools."""
    _review_with_priors(tmp_path, monkeypatch)
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text(toml.read_text() + "stopped = true\n")
    res = CliRunner().invoke(app, ["run", "pipelines/t.toml"])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "stopped = true, but the stopping test has not been met" in out
    report = json.loads((tmp_path / "data" / "screened" / "t" / "rank.json").read_text())
    assert report["details"]["stopping"]["stopped"] is True
    assert report["details"]["stopping"]["screening_stopped"] is True      # stopped either way
    assert report["details"]["stopping"]["rule"] == "hypergeometric"
    prisma = json.loads((tmp_path / "data" / "screened" / "t" / "prisma" / "prisma.json").read_text())
    assert prisma["stopping"]["stopped"] is True and prisma["stopping"]["rule"] == "hypergeometric"
    # the test was not met: the published outputs say so, not only the console
    assert prisma["stopping"]["met"] is False
    assert any("test was not met" in w for w in prisma["warnings"])
    md = (tmp_path / "data" / "screened" / "t" / "prisma" / "report.md").read_text(encoding="utf-8")
    assert "target recall is not assured" in md


def test_a_stopped_review_gives_the_same_numbers_everywhere(tmp_path, monkeypatch):
    """After `stopped = true` with work still open (a conflict, a double 'maybe', records one
    reviewer decided), PRISMA, rank.json, `status` and `export` agree: the records nobody
    screened are excluded by the stopping rule, the open ones are still being settled."""
    from screening.decisions import api
    from screening.export import select

    data = _review_with_priors(tmp_path, monkeypatch)
    toml = tmp_path / "pipelines" / "t.toml"
    assert CliRunner().invoke(app, ["run", "pipelines/t.toml"]).exit_code == 0
    rank = pd.read_parquet(tmp_path / "data" / "screened" / "t" / "rank.parquet")
    order = rank.sort_values("rank")["record_id"].astype(str).tolist()
    truth = dict(zip(data["record_id"], data["label_included"]))
    api.assign(toml, "alice,bob")
    for rid in order[:12]:                                    # settled by agreement
        action = "include" if truth[rid] == "1" else "exclude"
        for who in ("alice", "bob"):
            api.record_decision(toml, reviewer=who, record_id=rid, action=action)
    c, m, p1, p2 = order[12:16]
    api.record_decision(toml, reviewer="alice", record_id=c, action="include")     # conflict
    api.record_decision(toml, reviewer="bob", record_id=c, action="exclude")
    for who in ("alice", "bob"):                                                    # both 'maybe'
        api.record_decision(toml, reviewer=who, record_id=m, action="maybe")
    api.record_decision(toml, reviewer="alice", record_id=p1, action="include")    # awaiting bob
    api.record_decision(toml, reviewer="alice", record_id=p2, action="maybe")      # awaiting bob
    toml.write_text(toml.read_text() + "stopped = true\n")
    res = CliRunner().invoke(app, ["run", "pipelines/t.toml"])
    assert res.exit_code == 0, res.output
    folder = tmp_path / "data" / "screened" / "t"
    counts = json.loads((folder / "prisma" / "prisma.json").read_text())["counts"]
    stopping = json.loads((folder / "rank.json").read_text())["details"]["stopping"]
    status = api.status(toml, as_adjudicator=True)[0]
    rv = api.Review.load(toml)
    exported = select(rv, "title_abstract", "all", as_adjudicator=True)["status"].value_counts().to_dict()
    assert "have no decision in the log" in " ".join(res.output.split())     # the two priors
    nobody = counts["records_screened"] - 16
    assert counts["excluded_automation"] == stopping["unscreened"] == status["excluded_by_stopping"] \
        == exported["stopped"] == nobody
    assert counts["title_abstract_open"] == stopping["awaiting_settlement"] == 4 \
        == status["remaining"] - status["excluded_by_stopping"] \
        == exported["conflict"] + exported["pending"]
    assert exported["final"] == status["screened"] == counts["title_abstract"]["done"] == 12
    assert "still being settled" in json.loads((folder / "prisma" / "prisma.json").read_text())["funnel"]


def test_rank_without_both_kinds_of_decision_says_no_classifier_was_trained(tmp_path, monkeypatch):
    """UAT: with only an included prior, `rank` printed 'with tfidf+svm+... trained on 1
    decisions' although similarity to that record, not a classifier, ordered the records."""
    data = _review_with_priors(tmp_path, monkeypatch)
    inc = data[data["label_included"] == "1"]["record_id"].iloc[0]
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text(toml.read_text().split("[rank]")[0] + f'[rank]\nprior_included = ["{inc}"]\n')
    res = CliRunner().invoke(app, ["rank", "pipelines/t.toml"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())                  # rich wraps at the terminal width
    assert "by similarity to the included records (no classifier yet" in text
    assert "trained on" not in text
