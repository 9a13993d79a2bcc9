"""Where a review stands against its stopping rule, from the log: for `status` and a session.

The figures are :func:`screening.ml.stopping_status.stopping_status`'s, the ones rank.json and
the `screen` status line carry, computed from the decision log and the records table the
runner wrote: nothing is trained, so `status` stays a read-only look.

`status` shows them as a *phase* (``ranked``: screening in rank order; ``sample``: the random
sample is under way; ``met``: the test says screening may stop; ``stopped``: a stop stands,
logged or the rank section's ``stopped = true``) with the figures behind it.

Blinding: the figures are counts of inclusions (relevant found, the run of irrelevant records,
the sample's finds; p, the recall bound and whether the test is met follow from them), and
`status` shows a reviewer no include/exclude counts (docs/screening.md, Blinding): the run
dropping to 0 after a colleague's decision would tell a reviewer that it was an inclusion. So
a reviewer (and a viewer without a name) sees the rule, the switch threshold (a function of the
pool's size), the sample's size (a count of decisions, like the per-reviewer counts `status`
shows everyone) and the phase as far as those tell it (ranked order, random sample, stopped);
an adjudicator sees every figure (``figures_scope``: ``all`` or ``hidden``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from screening.decisions.review import Review
from screening.decisions.stops import StopScope
from screening.decisions.views import Viewer
from screening.errors import StageError

# what an adjudicator sees beyond a reviewer's view (see the module docstring)
_ADJUDICATOR_ONLY = ("screened", "relevant_found", "irrelevant_in_a_row", "sample_relevant", "p_value",
            "estimated_recall", "recall_bound", "met", "recommendation")


def review_stopping_status(records: pd.DataFrame, entries: pd.DataFrame, rank: Any, stop: StopScope | None,
                           play: np.ndarray | None = None) -> dict[str, Any]:
    """The stopping rule's figures for a review's log, as the rank stage (rank.json) computes
    them from the same log: the priors, the decisions, the records awaiting a second reviewer
    or an adjudicator, the standing logged stop. ``rank``: the review's RankConfig (None: the
    defaults); ``play``: the table's in-play mask, when the caller has it."""
    from screening.ml.stopping_status import stopping_frame, stopping_status
    from screening.stages.rank import RankConfig, decisions_from_log, labels_with_priors

    decisions, open_ids = decisions_from_log(entries)
    labels, _ = labels_with_priors(records, rank if rank is not None else RankConfig(), decisions)
    frame, logged = stopping_frame(labels, decisions)
    return stopping_status(records, frame, rank, play=play, open_ids=open_ids, logged_ids=logged, stop=stop)


def stopping_test(review: Review, entries: pd.DataFrame, viewer: Viewer) -> dict[str, Any] | None:
    """The stopping test's standing at title/abstract as ``viewer`` may see it, or None when
    the review has no rank section or its rule cannot stop a review (only ``hypergeometric``
    can; the rank stage refuses the others)."""
    rank = review.config.stages.get("rank")
    if rank is None or rank.stop_rule != "hypergeometric":
        return None
    from screening.ml.stopping import switch_threshold

    stop = review.stop_scope()
    out: dict[str, Any] = {"rule": rank.stop_rule, "target_recall": rank.target_recall,
                           "confidence": rank.confidence,
                           "figures_scope": "all" if viewer.adjudicator else "hidden"}
    try:
        st = review_stopping_status(review.records, entries, rank, stop)
    except StageError as err:          # a prior the table lacks: rank says so when it runs
        return {**out, "phase": None, "error": err.message}
    stopped = stop is not None or bool(rank.stopped)
    n = int(st.get("sample_size", 0))
    out.update(phase=_phase(st, stopped, viewer.adjudicator), switch_at=st.get("switch_at", switch_threshold(st["pool"])),
               sample_size=n)
    if not viewer.adjudicator:
        return out
    figures = {k: st.get(k) for k in _ADJUDICATOR_ONLY}
    figures["sample_relevant"] = int(st.get("sample_relevant", 0))
    if rank.stopped:
        # the older flag: rank.json warns when it stands on an unmet test; the advice to
        # record a stop (`screening stop` refuses beside the flag) would mislead
        figures["recommendation"] = ("Screening is stopped by the rank section's stopped = true"
                                     + ("." if st["met"] else ", but the stopping test has not been met: "
                                        + str(st.get("recommendation", ""))))
    return {**out, **figures}


def _phase(status: dict[str, Any], stopped: bool, adjudicator: bool) -> str:
    """ranked / sample / met / stopped; whether the test is met only for an adjudicator (it
    follows from the inclusions)."""
    if stopped:
        return "stopped"
    if adjudicator and status.get("met"):
        return "met"
    return "sample" if status.get("sample_size") else "ranked"
