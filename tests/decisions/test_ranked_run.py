"""The switch point counts irrelevant records in a row *as the ranking served them*.

Acceptance testing: the counter read every label not in the random sample, in first-decision
order, whatever produced it: a `--only no-abstract` session's decisions and imported ones
counted as ranked screening (lengthening the run, or an imported inclusion ending it), and a
prior decided later never ended a run (the priors are listed first). Built on the trimmed real
screening dataset (Cohen 2006, antihistamines; 32 of its 300 records have no abstract).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.progress import training_labels
from screening.decisions.session import ScreeningSession, stopping_hook
from screening.decisions.store import Event, SQLiteStore
from screening.ml.stopping_status import stopping_status

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ml" / "cohen_antihistamines_300.csv"


@pytest.fixture
def data() -> pd.DataFrame:
    return pd.read_csv(FIX, dtype=str, keep_default_na=False)


@pytest.fixture
def review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: pd.DataFrame) -> Path:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "data" / "raw").mkdir(parents=True)
    data.to_csv(tmp_path / "data" / "raw" / "all.csv", index=False)
    inc = data[data["label_included"] == "1"]["record_id"].iloc[0]
    exc = data[data["label_included"] == "0"]["record_id"].iloc[0]
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text('[review]\nname = "t"\n[[sources]]\nfile = "data/raw/all.csv"\ndatabase = "PubMed"\n'
                    f'[rank]\nprior_included = ["{inc}"]\nprior_excluded = ["{exc}"]\nseed = 3\n')
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["run", str(toml)])
    assert res.exit_code == 0, res.output
    for rid, action in ((inc, "include"), (exc, "exclude")):      # typed: not ranked screening
        api.record_decision(toml, reviewer="alice", record_id=rid, action=action)
    return toml


def _run(review: Path) -> int:
    rv = api.Review.load(review)
    status = stopping_hook(rv)(rv.records, rv.entries())
    return status["irrelevant_in_a_row"]


def _screen(review: Path, keys: list[str], **kw) -> ScreeningSession:
    s = ScreeningSession(api.Review.load(review), "alice", **kw)
    for key in keys:
        s.press(key)
        if key == "e":
            s.press("\r")
    return s


def test_only_ranked_screening_counts_toward_the_switch_point(review: Path, data: pd.DataFrame) -> None:
    s = _screen(review, ["e"] * 5, stopping=stopping_hook(api.Review.load(review)))
    assert s.view().stopping["irrelevant_in_a_row"] == 5 and _run(review) == 5
    only = _screen(review, ["e"] * 4, only="no-abstract")          # a batch decided apart
    assert len(only.done_here) == 4 and _run(review) == 5
    # imported decisions: neither lengthen nor end the run
    decided = set(api.Review.load(review).entries()["record_id"])
    fresh = [r for r in data["record_id"] if r not in decided]
    path = review.parent / "imported.csv"
    pd.DataFrame({"record_id": fresh[:4], "decision": ["exclude"] * 3 + ["include"]}).to_csv(path, index=False)
    api.import_decisions(review, path, reviewer="alice")
    assert _run(review) == 5
    _screen(review, ["e", "e"])
    assert _run(review) == 7
    _screen(review, ["i"])                                          # found in ranked order: the run ends
    assert _run(review) == 0


def test_a_prior_decided_in_ranked_order_takes_its_place_in_the_run(review: Path, data: pd.DataFrame) -> None:
    _screen(review, ["e"] * 6)
    assert _run(review) == 6
    # the team adds a prior it has just learnt of; the ranked queue serves it first
    decided = set(api.Review.load(review).entries()["record_id"])
    known = next(r for r in data[data["label_included"] == "1"]["record_id"] if r not in decided)
    text = review.read_text(encoding="utf-8")
    review.write_text(text.replace('prior_included = ["', f'prior_included = ["{known}", "'), encoding="utf-8")
    s = _screen(review, ["i"])
    assert s.done_here == [known] and _run(review) == 0


def test_a_log_from_before_the_queue_mark_keeps_its_figures(review: Path) -> None:
    """Events without the mark: a session's carry a ranking id and count; a typed decision
    (no ranking id) and an imported one (an import key) do not."""
    root = review.parent.parent
    ids = [r for r in api.Review.load(review).records["record_id"].astype(str)][10:20]

    def log(rid: str, action: str, ranking_id: str = "", payload: dict | None = None) -> None:
        with SQLiteStore(root / "data" / "screened" / "t" / "decisions.sqlite") as store:
            store.append([Event(record_id=rid, stage="title_abstract", reviewer="alice", action=action,
                                ranking_id=ranking_id, payload=payload or {})])

    def run() -> int:
        rv = api.Review.load(review)
        return stopping_status(rv.records, training_labels(load_entries(rv.db_path)))["irrelevant_in_a_row"]

    for rid in ids[:3]:
        log(rid, "exclude", "ranker-0123abcd")                     # an older session's
    assert run() == 3
    log(ids[3], "exclude")
    log(ids[4], "exclude")                                          # typed with `decide`
    assert run() == 3
    log(ids[5], "include", payload={"import": "native", "file": "x.csv", "line": 2})
    assert run() == 3
    log(ids[6], "exclude", "static-0123abcd")
    assert run() == 4
