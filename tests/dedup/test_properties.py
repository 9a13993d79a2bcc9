"""Property tests: dedup does not depend on row order and is idempotent (real records)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.dedup.labelled import groups_from_table, load_groups, load_labelled_records, pairs_of, pairwise_scores
from screening.stage import StageInputs
from screening.stages.dedup import DedupConfig, run

from .conftest import FIXTURES

CYTO = load_labelled_records(FIXTURES / "cytology_head160_records.csv").assign(source_db="cytology")
CYTO_TRUTH = pairs_of(load_groups(FIXTURES / "cytology_head160_dup_groups.csv"))


def _marks(df: pd.DataFrame) -> pd.DataFrame:
    out = run(df, DedupConfig(), StageInputs()).records
    return out.set_index("record_id")[["duplicate_of", "dup_group", "dup_rule"]].sort_index()


BASE = _marks(CYTO)


def test_cytology_head_is_accurate():
    """160 Rathbone cytology records (74 true duplicate groups): no false pair, nearly all found."""
    out = run(CYTO, DedupConfig(), StageInputs()).records
    scores = pairwise_scores(pairs_of(groups_from_table(out)), CYTO_TRUTH)
    assert scores["fp"] == 0
    assert scores["recall"] >= 0.95


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_row_order_does_not_matter(seed):
    order = np.random.default_rng(seed).permutation(len(CYTO))
    shuffled = CYTO.iloc[order].reset_index(drop=True)
    pd.testing.assert_frame_equal(_marks(shuffled), BASE)


def test_idempotent():
    once = run(CYTO, DedupConfig(), StageInputs()).records
    twice = run(once, DedupConfig(), StageInputs()).records
    cols = ["record_id", "duplicate_of", "dup_group", "dup_rule", "found_in"]
    pd.testing.assert_frame_equal(once[cols], twice[cols])
