"""stopping_status reads how each record was first decided, and a standing logged stop.

On the trimmed real screening dataset (Cohen 2006, antihistamines: 300 records, 16 relevant).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from screening.decisions.stops import StopEvent, StopScope
from screening.ml.stopping_status import stopping_status

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ml" / "cohen_antihistamines_300.csv"


@pytest.fixture
def records() -> pd.DataFrame:
    return pd.read_csv(FIX, dtype=str, keep_default_na=False)


def _decisions(rows: list[tuple[str, int, bool, bool]]) -> pd.DataFrame:
    """(record_id, label, sampled, ranked) in first-decision order, as training_labels gives them."""
    return pd.DataFrame({"record_id": [r[0] for r in rows], "label": [r[1] for r in rows],
                         "sampled": [r[2] for r in rows], "ranked": [r[3] for r in rows],
                         "first_event": list(range(1, len(rows) + 1))})


def test_the_run_counts_ranked_decisions_in_the_order_they_were_made(records: pd.DataFrame) -> None:
    from screening.ml.stopping_status import stopping_frame

    ids = records["record_id"].tolist()
    relevant = records.loc[records["label_included"] == "1", "record_id"].tolist()
    prior = relevant[0]
    rows = [(ids[1], 0, False, True), (ids[2], 0, False, True), (ids[3], 0, False, False),   # ids[3]: typed
            (ids[4], 0, False, True), (prior, 1, False, True),                                # the prior, found
            (ids[5], 0, False, True), (ids[6], 1, False, False), (ids[7], 0, False, False)]   # imported
    decisions = _decisions(rows)
    config = SimpleNamespace(prior_included=(prior,), prior_excluded=(), target_recall=0.95, confidence=0.95)
    labels = {prior: 1, **{r: lab for r, lab, *_ in rows}}          # priors first, as labels_with_priors has it
    frame, logged = stopping_frame(labels, decisions)
    assert list(frame["record_id"])[0] == prior and logged == {r for r, *_ in rows}
    status = stopping_status(records, frame, config, logged_ids=logged)
    assert status["irrelevant_in_a_row"] == 1          # only ids[5] since the prior was decided
    assert stopping_status(records, decisions, config)["irrelevant_in_a_row"] == 1
    # a prior nobody decided yet is none of the ranked decisions
    frame, logged = stopping_frame({relevant[1]: 1, **labels}, decisions)
    assert stopping_status(records, frame, config, logged_ids=logged)["irrelevant_in_a_row"] == 1


def test_a_standing_stop_is_said_instead_of_advising_to_record_one(records: pd.DataFrame) -> None:
    relevant = records.loc[records["label_included"] == "1", "record_id"].tolist()
    other = records.loc[records["label_included"] == "0", "record_id"].tolist()
    # every relevant record found in ranked order, then a random sample of 180 of the last 184
    rows = [(r, 1, False, True) for r in relevant] + [(r, 0, False, True) for r in other[:100]]
    rows += [(r, 0, True, False) for r in other[100:280]]
    left = other[280:]
    frame = _decisions(rows)
    met = stopping_status(records, frame)
    assert met["met"] and "Record the stop with `screening stop REVIEW -r NAME`" in met["recommendation"]
    stop = StopScope((StopEvent(1, "u", "bob", "stop", "", "2026-03-04T10:00:00+00:00",
                                {"records": left, "met": True}),))
    status = stopping_status(records, frame, stop=stop)
    said = status["recommendation"]
    assert said.startswith("Screening was stopped by bob on 2026-03-04") and "Record the stop" not in said
    assert "`screening stop REVIEW --resume -r NAME`" in said and status["stopped_by"] == "bob"
    # records outside the stop's scope (a later search's) are still to screen
    narrow = StopScope((StopEvent(1, "u", "bob", "stop", "", "2026-03-04T10:00:00+00:00",
                                  {"records": left[:1], "met": False, "forced": True}),))
    said = stopping_status(records, frame, stop=narrow)["recommendation"]
    assert "before the stopping test was met" in said and "3 records added since the stop are still to screen" in said


def test_a_stop_recorded_with_the_published_test_is_read_against_it() -> None:
    """Review of the change: a stop recorded by the published test (before the anytime-valid
    one) 'lapsed' after the upgrade with 'computed on the decisions in the log now', although
    no decision had changed; its figures are the published test's, and the report says so."""
    records = pd.DataFrame({"record_id": [str(i) for i in range(300)]})
    frame = pd.DataFrame({"record_id": [str(i) for i in range(263)], "label": [1] * 20 + [0] * 243,
                          "sampled": [False] * 120 + [True] * 143})
    now = stopping_status(records, frame)
    assert now["met"] is False and now["met_published"] is True      # 143 of 180 sampled, none relevant
    left = [str(i) for i in range(263, 300)]
    for payload, lapsed in (({"records": left, "met": True}, False),
                            ({"records": left, "met": True, "test": "anytime-valid"}, True)):
        stop = StopScope((StopEvent(1, "u", "bob", "stop", "", "2026-03-04T10:00:00+00:00", payload),))
        assert stopping_status(records, frame, stop=stop)["stop_lapsed"] is lapsed, payload


def test_a_run_before_any_relevant_record_is_no_ranking_and_advises_no_switch(records: pd.DataFrame) -> None:
    """Acceptance testing: with no prior_included, 50 exclusions served in file order (the
    ranker had nothing to rank by) advised switching to a census-sized random sample."""
    relevant = records.loc[records["label_included"] == "1", "record_id"].tolist()
    other = records.loc[records["label_included"] == "0", "record_id"].tolist()
    config = SimpleNamespace(prior_included=(), prior_excluded=(), target_recall=0.95, confidence=0.95)
    file_order = _decisions([(r, 0, False, True) for r in other[:60]])
    status = stopping_status(records, file_order, config)
    assert status["ranking_started"] is False and status["irrelevant_in_a_row"] == 0
    assert status["recommendation"].startswith("No relevant record found yet") and "switch" not in status["recommendation"]
    # the first relevant record starts the ranking: the run counts from it (60 before it do not)
    found = _decisions([(r, 0, False, True) for r in other[:60]] + [(relevant[0], 1, False, True)]
                       + [(r, 0, False, True) for r in other[60:110]])
    status = stopping_status(records, found, config)
    assert status["ranking_started"] is True and status["irrelevant_in_a_row"] == 50
    assert "switch to screening a random sample" in status["recommendation"]
    # a named prior ranks by similarity from the first record: its run counts at once
    named = SimpleNamespace(**{**vars(config), "prior_included": (relevant[1],)})
    assert stopping_status(records, file_order, named)["irrelevant_in_a_row"] == 60


def test_status_says_why_typed_decisions_leave_the_run_where_it_was(records: pd.DataFrame) -> None:
    """Acceptance testing: 251 decisions typed from `rank.parquet` with `decide --from`, the last
    75 irrelevant, and the status still read "0 of 64 irrelevant in a row" with no reason."""
    relevant = records.loc[records["label_included"] == "1", "record_id"].tolist()
    other = records.loc[records["label_included"] == "0", "record_id"].tolist()
    config = SimpleNamespace(prior_included=(), prior_excluded=(), target_recall=0.95, confidence=0.95)
    ranked = [(relevant[0], 1, False, True), (other[0], 0, False, True), (other[1], 0, False, True)]
    typed_before = [(other[2], 0, False, False)]             # before the last ranked find: not "since"
    typed_after = [(relevant[1], 1, False, False)] + [(r, 0, False, False) for r in other[3:40]]
    status = stopping_status(records, _decisions(typed_before + ranked + typed_after), config)
    assert status["irrelevant_in_a_row"] == 2
    assert ("38 decisions since were typed, imported or made in an `--only` session and do not count"
            in status["recommendation"])
    quiet = stopping_status(records, _decisions(typed_before + ranked), config)["recommendation"]
    assert quiet.startswith("Keep screening in rank order (2 of") and "do not count" not in quiet
