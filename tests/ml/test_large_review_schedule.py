"""From LARGE_TRAINING_SET labels on, a new inclusion waits for 2 % of the inclusions before a
refit (acceptance test 33: at 40,000 labels every include cost a 2.5 s refit before the next
record showed). Below it, as before, an inclusion retrains at once."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import screening.ml.simulate as simulate_mod
from screening.decisions.reranking import SessionRanker
from screening.ml.simulate import inclusion_step, simulate

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ml" / "cohen_antihistamines_300.csv"


@pytest.fixture
def data() -> pd.DataFrame:
    return pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)


def _ranker(data: pd.DataFrame) -> tuple[SessionRanker, list[str], list[str]]:
    ranker = SessionRanker(data, SimpleNamespace(batch_size=1, seed=1, model=None))
    labels = dict(zip(data["record_id"], data["label_included"].astype(int)))
    included = [r for r, v in labels.items() if v == 1]
    excluded = [r for r, v in labels.items() if v == 0]
    return ranker, included, excluded


def test_an_inclusion_in_a_large_training_set_waits_for_its_step(data: pd.DataFrame) -> None:
    ranker, included, excluded = _ranker(data)
    ranker.LARGE, ranker.WARMUP = 50, 20         # a large training set, scaled down
    ranker.GROWTH = 0.2                          # and a step of 20 % of the inclusions
    for rid in included[:10] + excluded[:100]:
        ranker.set_label(rid, int(rid in included))
    ranker.order()
    assert inclusion_step(10, 0.2) == 2
    ranker.set_label(included[10], 1)
    assert not ranker.due()                      # 1 new inclusion of a step of 2
    ranker.set_label(included[11], 1)
    assert ranker.due()


def test_below_a_large_training_set_an_inclusion_retrains_at_once(data: pd.DataFrame) -> None:
    ranker, included, excluded = _ranker(data)
    for rid in included[:10] + excluded[:100]:
        ranker.set_label(rid, int(rid in included))
    ranker.order()
    ranker.set_label(included[10], 1)
    assert ranker.due()


def test_simulate_follows_the_same_schedule(data: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    df = data.rename(columns={"label_included": "label"}).assign(label=lambda d: d["label"].astype(int))
    inc = df.loc[df["label"] == 1, "record_id"].iloc[0]
    exc = df.loc[df["label"] == 0, "record_id"].iloc[0]
    kwargs = dict(prior_included=[inc], prior_excluded=[exc], seed=1, warmup=20)
    usual = simulate(df, **kwargs)
    monkeypatch.setattr(simulate_mod, "LARGE_TRAINING_SET", 30)
    large = simulate(df, growth=0.2, **kwargs)
    again = simulate(df, growth=0.2, **kwargs)
    monkeypatch.setattr(simulate_mod, "LARGE_TRAINING_SET", 10_000)
    small = simulate(df, growth=0.2, **kwargs)
    assert large.n_updates < small.n_updates                # inclusions waited for their step
    assert large.order == again.order                       # and deterministically
    assert usual.n_updates == simulate(df, **kwargs).n_updates
