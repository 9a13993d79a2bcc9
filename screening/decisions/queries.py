"""Read-only views of a review's screening for the CLI: progress, conflicts, agreement, the log.

Nothing here writes. Each shows only what the person asking may see (docs/screening.md,
Blinding): an adjudicator sees everything, a reviewer what blinding allows them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from screening.decisions.agreement import PairAgreement, agreement_report
from screening.decisions.outcomes import conflicts, record_outcomes
from screening.decisions.progress import eligible_records, stage_progress
from screening.decisions.review import ReviewLike, check_stage, loaded_review
from screening.decisions.store import STAGES
from screening.decisions.visibility import visible_entries
from screening.record_marks import in_play, other_method_reports


def list_conflicts(review: ReviewLike, *, stage: str = "title_abstract", reviewer: str | None = None,
                   as_adjudicator: bool = False) -> pd.DataFrame:
    """Open conflicts ``reviewer`` may see (long form: record_id, reviewer, decision, reason, note);
    nobody's without a name unless ``as_adjudicator``."""
    rv = loaded_review(review)
    check_stage(stage)
    df = conflicts(visible_entries(rv.entries(), rv.viewer(reviewer, as_adjudicator)), stage)
    # a record that left screening (a later duplicate, a rule exclusion) has nothing to settle,
    # as `status` counts it; its decisions stay in the log and come back if it does
    mask = in_play(rv.records) | (other_method_reports(rv.records) if stage == "full_text" else False)
    play = set(rv.records.loc[mask, "record_id"].astype(str))
    df = df[df["record_id"].isin(play)].reset_index(drop=True)
    titles, at = rv.records["title"], rv._by_id      # only the conflicting records' titles
    df.insert(1, "title", [str(titles.iat[at[r]]) if r in at else "" for r in df["record_id"]])
    return df


def agreement(review: ReviewLike, *, reviewer: str | None = None,
              as_adjudicator: bool = False) -> list[PairAgreement]:
    """Agreement per stage and reviewer pair, over the decisions ``reviewer`` may see."""
    rv = loaded_review(review)
    return agreement_report(visible_entries(rv.entries(), rv.viewer(reviewer, as_adjudicator)))


def status(review: ReviewLike, *, reviewer: str | None = None,
           as_adjudicator: bool = False, stopping: Any = None) -> list[dict[str, Any]]:
    """Per stage progress, redacted for ``reviewer`` (see docs/screening.md, Blinding).

    ``excluded_by_stopping``: after a stop (``screening stop``, or ``[rank] stopped = true``),
    the title/abstract records nobody screened that it closed (PRISMA's "excluded by
    automation tools"; 0 otherwise). ``remaining`` still counts them (every record not
    settled); ``open_after_stop`` is what is left once they and ``to_screen_since_stop`` (an
    update's records) are taken out: records some reviewer decided, still being settled.
    ``conflicts_scope`` says what ``conflicts_open`` counts: ``all`` (adjudicators), ``own``
    (a reviewer: conflicts on records they decided) or ``hidden`` (no viewer: ``None``, since
    blinding hides every decision and a 0 would be false). ``stopping``: the review's
    :func:`~screening.prisma.state.review_stopping`, when the caller has read it already."""
    rv = loaded_review(review)
    viewer = rv.viewer(reviewer, as_adjudicator)
    entries = rv.entries()
    visible = visible_entries(entries, viewer) if viewer.name and not viewer.adjudicator else None
    from screening.prisma.state import review_stopping

    stopping = review_stopping(rv.config) if stopping is None else stopping
    out = []
    for stage in STAGES:
        full = stage_progress(entries, rv.records, stage)
        # after a stop the records nobody screened are excluded by the rule, as PRISMA and the
        # export count them; the rest of 'remaining' is still being settled
        stopped_here = stopping.stopped and stage == "title_abstract"
        closed = _closed(stopping, rv, entries, full) if stopped_here else 0
        full["excluded_by_stopping"] = closed
        # records nobody screened that the stop did not close (an update's, since): to screen
        full["to_screen_since_stop"] = full["total"] - full["started"] - closed if stopped_here else 0
        # 'remaining' counts every unsettled record; after a stop most are closed, not to screen
        # (remaining - closed - to_screen_since_stop: the records some reviewer has started on)
        full["open_after_stop"] = full["started"] - full["screened"] if stopped_here else 0
        full["stopped_by"] = stopping.by if stopped_here else ""
        full["stopped_at"] = stopping.at if stopped_here else ""
        if viewer.adjudicator:
            out.append({**full, "conflicts_scope": "all"})
            continue
        seen = stage_progress(visible, rv.records, stage) if visible is not None else None
        per = {name: ({"decided": d["decided"]} if name != viewer.name else d)
               for name, d in full["per_reviewer"].items()}
        out.append({**{k: full[k] for k in ("stage", "total", "screened", "remaining", "started", "reports_attached",
                                            "excluded_by_stopping", "to_screen_since_stop", "open_after_stop",
                                            "stopped_by",
                                            "stopped_at")},
                    "conflicts_open": None if seen is None else seen["conflicts_open"],
                    "conflicts_scope": "hidden" if seen is None else "own",
                    "pending": None, "final": None, "per_reviewer": per,
                    # who adjudicated how much is no hint of how anyone screened
                    "per_adjudicator": {n: {"decided": d["decided"]} for n, d in full["per_adjudicator"].items()}})
    return out


def _closed(stopping: Any, rv: Any, entries: pd.DataFrame, progress: dict[str, Any]) -> int:
    """The title/abstract records nobody screened that the stop closes."""
    if stopping.scope is None:
        return progress["total"] - progress["started"]
    eligible = eligible_records(rv.records, entries, "title_abstract")["record_id"].astype(str)
    started = record_outcomes(entries, "title_abstract")
    return sum(1 for r in eligible if r not in started and stopping.closes(r))


def history(review: ReviewLike, *, reviewer: str | None = None, as_adjudicator: bool = False,
            record_id: str | None = None) -> pd.DataFrame:
    """The log as ``reviewer`` may see it (an adjudicator: everything), optionally for one record."""
    rv = loaded_review(review)
    viewer = rv.viewer(reviewer, as_adjudicator)
    df = visible_entries(rv.entries(), viewer)
    if record_id:
        rv.record(record_id)
        df = df[df["record_id"] == str(record_id)]
    return df.reset_index(drop=True)
