"""Where a review stands against its stopping rule, from the log: for `status` and a session.

The figures are :func:`screening.ml.stopping_status.stopping_status`'s, the ones rank.json and
the `screen` status line carry, computed from the decision log and the records table the
runner wrote: nothing is trained, so `status` stays a read-only look.

`status` shows them as a *phase* (``ranked``: screening in rank order; ``sample``: the random
sample is under way; ``met``: the test says screening may stop; ``stopped``: a stop stands,
logged or the rank section's ``stopped = true``) with the figures behind it.

Blinding: the figures count the team's records no reviewer is still to decide (the rank
stage learns nothing pending: :func:`screening.decisions.progress.training_labels`), so they tell
nobody a colleague's decision on a record they have yet to decide; `screening rank` and the
`screen` status line show the same figures to everyone, and so does `status`
(``figures_scope`` is ``all``; it stays in the output for callers that read it).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from screening.decisions.review import Review
from screening.decisions.sample_frames import fresh_after
from screening.decisions.stops import StopScope
from screening.errors import StageError

# the test's figures, beside the rule and the phase
_FIGURES = ("screened", "relevant_found", "irrelevant_in_a_row", "sample_relevant", "sample_unsettled",
            "p_value", "estimated_recall", "recall_bound", "met", "stop_lapsed", "recommendation",
            "priors_undecided", "added_during_sample")

# what a report restates of the test's standing now, beside the figures the stop recorded
LAPSED_FIGURES = ("p_value", "recall_bound", "sample_size", "sample_relevant", "sample_unsettled")


def review_stopping_status(records: pd.DataFrame, entries: pd.DataFrame, rank: Any, stop: StopScope | None,
                           play: np.ndarray | None = None, sample_frame: Any = None) -> dict[str, Any]:
    """The stopping rule's figures for a review's log, as the rank stage (rank.json) computes
    them from the same log: the priors, the decisions, the records awaiting a second reviewer
    or an adjudicator, the standing logged stop, the sample's frame. ``rank``: the review's
    RankConfig (None: the defaults); ``play``: the table's in-play mask, when the caller has
    it; ``sample_frame``: the latest :class:`~screening.decisions.sample_frames.SampleFrame` (None: none)."""
    from screening.ml.stopping_status import stopping_frame, stopping_status
    from screening.stages.rank import RankConfig, decisions_from_log, labels_with_priors

    log = decisions_from_log(entries)
    labels, _ = labels_with_priors(records, rank if rank is not None else RankConfig(), log.labels)
    frame, logged = stopping_frame(labels, log.labels)
    return stopping_status(records, frame, rank, play=play, open_ids=log.open_records, logged_ids=logged,
                           stop=stop, open_sampled=log.open_sampled, ever_logged=log.ever_logged,
                           frame=sample_frame.records if sample_frame is not None else None,
                           fresh_after=fresh_after(sample_frame, stop))


def stop_test_now(records: pd.DataFrame, entries: pd.DataFrame | None, rank: Any,
                  stop: StopScope | None, frame: Any = None) -> tuple[dict[str, Any], bool] | None:
    """(the test's figures on the log now (:data:`LAPSED_FIGURES`), whether the standing stop
    has *lapsed*: it was recorded on a met test that the log no longer meets, after a sample
    record was settled as relevant, an inclusion undone...); None when there is nothing to
    check (no logged stop, no log, a rule other than the hypergeometric test). A report built
    on the stop's recorded figures alone would go on claiming what the log no longer shows.
    ``frame``: the sample's latest frame (:mod:`.sample_frames`; None: none)."""
    if stop is None or entries is None or getattr(rank, "stop_rule", "") != "hypergeometric":
        return None
    try:
        st = review_stopping_status(records, entries, rank, stop, sample_frame=frame)
    except StageError:           # a prior the table lacks: rank says so when it runs
        return None
    return {k: st.get(k) for k in LAPSED_FIGURES}, bool(st.get("stop_lapsed"))


def figures_moved(recorded: Mapping[str, Any], now: Mapping[str, Any]) -> bool:
    """Whether the test's figures on the log now differ from those the stop recorded: another
    sample size, relevant or unsettled count, or a p-value / recall bound changed beyond
    rounding (the recorded ones are rounded as the stop wrote them)."""
    for key in ("sample_size", "sample_relevant", "sample_unsettled"):
        if key in recorded and int(recorded.get(key) or 0) != int(now.get(key) or 0):
            return True
    for key in ("recall_bound", "p_value"):
        a, b = recorded.get(key), now.get(key)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(float(a) - float(b)) > 1e-4 * max(
                1.0, abs(float(a))):
            return True
    return False


def stopping_test(review: Review, entries: pd.DataFrame) -> dict[str, Any] | None:
    """The stopping test's standing at title/abstract (the same for every viewer), or None when
    the review has no rank section or its rule cannot stop a review (only ``hypergeometric``
    can; the rank stage refuses the others)."""
    rank = review.config.stages.get("rank")
    if rank is None or rank.stop_rule != "hypergeometric":
        return None
    from screening.ml.stopping import switch_threshold

    stop = review.stop_scope()
    out: dict[str, Any] = {"rule": rank.stop_rule, "target_recall": rank.target_recall,
                           "confidence": rank.confidence,
                           "figures_scope": "all"}
    try:
        st = review_stopping_status(review.records, entries, rank, stop, sample_frame=review.sample_frame())
    except StageError as err:          # a prior the table lacks: rank says so when it runs
        return {**out, "phase": None, "error": err.message}
    stopped = stop is not None or bool(rank.stopped)
    n = int(st.get("sample_size", 0))
    out.update(phase=_phase(st, stopped), switch_at=st.get("switch_at", switch_threshold(st["pool"])),
               sample_size=n)
    figures = {k: st.get(k) for k in _FIGURES}
    figures["sample_relevant"] = int(st.get("sample_relevant", 0))
    if rank.stopped:
        # the older flag: rank.json warns when it stands on an unmet test; the advice to
        # record a stop (`screening stop` refuses beside the flag) would mislead
        figures["recommendation"] = ("Screening is stopped by the rank section's stopped = true"
                                     + ("." if st["met"] else ", but the stopping test has not been met: "
                                        + str(st.get("recommendation", ""))))
    return {**out, **figures}


def _phase(status: dict[str, Any], stopped: bool) -> str:
    """ranked / sample / met / stopped."""
    if stopped:
        return "stopped"
    if status.get("met"):
        return "met"
    return "sample" if status.get("sample_size") else "ranked"
