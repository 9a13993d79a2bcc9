"""Whether title/abstract screening is stopped, as PRISMA reads it: :class:`Stopping`.

The team's stopping decision comes from the rank section's older ``stopped = true`` flag (as
rank.json or the TOML has it; it closes every record nobody screened) or else from the stops
logged with ``screening stop`` (:mod:`screening.decisions.stops`; each closes the records it
names). :func:`stopping_state` reads it from the stage reports and the log's stop events;
:func:`standing_stopping` adds whether a logged stop has lapsed (the decisions recorded since
no longer meet the test it was recorded on) and the warnings the report gives about a stop.
Loading the reports and the log from disk is :mod:`screening.prisma.state`'s.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from screening.config import ReviewConfig
from screening.decisions.sample_frames import latest_frame
from screening.decisions.stop_standing import figures_moved, stop_test_now
from screening.decisions.stops import review_stop, standing_stop, stopped_by_phrase
from screening.prisma.number_format import p_text
from screening.prisma.prose import counted


@dataclass(frozen=True)
class Stopping:
    """Whether the team stopped title/abstract screening early, by which rule, at what recall."""

    stopped: bool = False
    rule: str = ""
    recall_estimate: float | None = None
    source: str = ""            # where we read it (decision log, rank.json, config)
    met: bool | None = None     # whether the rule's test was met when the ranking last ran
    p_value: float | None = None
    # the records the stop closed (a logged stop, screening.decisions.stops); None: every
    # record nobody screened (the rank section's stopped = true)
    scope: frozenset[str] | None = None
    by: str = ""                # who recorded the (latest) stop, and when
    at: str = ""
    # the test's figures as the stop recorded them (recall_bound, target_recall, confidence,
    # sample_size, sample_relevant...): what a methods section states, not a point estimate
    figures: Mapping[str, Any] = field(default_factory=dict)
    forced: bool = False
    # the test's figures now (p_value, recall_bound, sample_size...) when the stop was recorded
    # on a met test that the log no longer meets (decisions.stop_standing.stop_test_now); else empty
    lapsed: Mapping[str, Any] = field(default_factory=dict)
    # the test's figures now when decisions recorded since the stop changed them but the test
    # is still met (a sampled record re-decided as relevant...); else empty. Acceptance testing:
    # the report went on saying the sample 'contained no relevant record' (bound 100%) when the
    # log, status and rank.json showed one (bound 96.2%)
    moved: Mapping[str, Any] = field(default_factory=dict)

    def closes(self, record_id: str) -> bool:
        """Whether the stop closes ``record_id`` if nobody has screened it."""
        return self.stopped and (self.scope is None or str(record_id) in self.scope)


# the stopping test's figures a report states (see Stopping.figures)
STOP_FIGURES = ("recall_bound", "target_recall", "confidence", "sample_size", "sample_relevant",
                "sample_unsettled", "pool", "unscreened", "screened", "relevant_found")


def stopping_state(review: ReviewConfig, reports: dict[str, dict[str, Any]],
                   stops: list[Any] | None = None) -> Stopping:
    """The team's stopping decision: the rank section's ``stopped`` flag (as rank.json or the
    TOML has it; it closes every record nobody screened) or else the stops logged with
    ``screening stop`` (closing the records they name). ``stops``: the log's stop events, when
    the caller has read them."""
    legacy = _flag_stopping(review, reports)
    if legacy.stopped:
        return legacy
    scope = review_stop(review.decisions_path) if stops is None else standing_stop(stops)
    if scope is None:
        return legacy
    p = scope.latest.payload
    num = {k: float(p[k]) if isinstance(p.get(k), (int, float)) and not isinstance(p.get(k), bool) else None
           for k in ("estimated_recall", "p_value")}
    figures = {k: v for k, v in p.items() if k in STOP_FIGURES and isinstance(v, (int, float))
               and not isinstance(v, bool)}
    rule = str(p.get("rule", ""))
    if rule == "hypergeometric" and not p.get("test"):
        rule = "hypergeometric-published"      # recorded before the anytime-valid test: its p is the published test's
    return Stopping(stopped=True, rule=rule, recall_estimate=num["estimated_recall"],
                    source="decision log", met=p.get("met") if isinstance(p.get("met"), bool) else None,
                    p_value=num["p_value"], scope=scope.records, by=scope.latest.reviewer,
                    at=scope.latest.created_at, figures=figures, forced=bool(p.get("forced", False)))


def _flag_stopping(review: ReviewConfig, reports: dict[str, dict[str, Any]]) -> Stopping:
    """Read the stopping flag from rank.json (details.stopping / details) or the [rank] config."""
    rank = reports.get("rank", {})
    details = rank.get("details", {}) or {}
    info = details.get("stopping") if isinstance(details.get("stopping"), dict) else details
    stopped = bool(info.get("stopped", False))
    rule = str(info.get("rule") or info.get("stopping_rule") or "")
    recall = info.get("recall_estimate", info.get("estimated_recall"))
    source = "rank.json" if stopped else ""
    cfg = review.stages.get("rank")
    raw = review.raw.get("rank", {}) if isinstance(review.raw.get("rank"), dict) else {}
    if "stopped" in raw:
        # the team's decision as the TOML says it now wins over a rank.json written before it
        # changed (`stopped = false` after a premature stop takes effect without re-ranking)
        if not bool(raw["stopped"]):
            return Stopping(stopped=False, rule=rule)
        if not stopped:
            stopped, source = True, "config"
    elif not stopped and getattr(cfg, "stopped", False):
        stopped, source = True, "config"
    if stopped and source == "config":
        rule = rule or str(getattr(cfg, "stop_rule", "") or raw.get("stop_rule", ""))
    recall_f = float(recall) if isinstance(recall, (int, float)) else None
    met = info.get("met") if isinstance(info.get("met"), bool) else None
    p = info.get("p_value")
    return Stopping(stopped=stopped, rule=rule, recall_estimate=recall_f, source=source, met=met,
                    p_value=float(p) if isinstance(p, (int, float)) else None)


def standing_stopping(review: ReviewConfig, reports: dict[str, dict[str, Any]], stops: list[Any],
                      records: pd.DataFrame, entries: pd.DataFrame | None) -> tuple[Stopping, list[str]]:
    """The stopping decision (:func:`stopping_state`) with where it stands on the log now, and
    the report's warnings about it: a logged stop whose test the decisions recorded since no
    longer meet has *lapsed* (``Stopping.lapsed``: the test's figures now); a stop made before
    the test was met (forced, or the rank section's ``stopped = true``) says recall is not assured."""
    warnings: list[str] = []
    stopping = stopping_state(review, reports, stops)
    frame = latest_frame(review.decisions_path) if stopping.scope is not None else None
    test = (stop_test_now(records, entries, review.stages.get("rank"), standing_stop(stops), frame)
            if stopping.scope is not None else None)
    now, lapsed = test if test is not None else ({}, False)
    conf = stopping.figures.get("confidence")
    if lapsed:
        stopping = dataclasses.replace(stopping, lapsed=now)
        p = f" (p = {p_text(now['p_value'], conf)})" if now.get("p_value") is not None else ""
        warnings.append(f"screening was {stopped_by_phrase(stopping.by, stopping.at)} when the stopping rule's test "
                        f"was met, but computed on the decisions in the log now it is not{p}: the report says the "
                        "target recall is not assured; reopen screening (`screening stop REVIEW --resume -r NAME`) "
                        "and go on with the random sample")
    elif test is not None and stopping.met and figures_moved(stopping.figures, now):
        stopping = dataclasses.replace(stopping, moved=now)
        k = int(now.get("sample_relevant") or 0)
        p = f"; p = {p_text(now['p_value'], conf)}" if now.get("p_value") is not None else ""
        warnings.append(f"decisions recorded since screening was {stopped_by_phrase(stopping.by, stopping.at)} "
                        f"changed its test's figures (now a sample of {counted(int(now.get('sample_size') or 0), 'record')}"
                        f" with {counted(k, 'relevant record') if k else 'no relevant record'}{p}); the test is still "
                        "met, and the report gives the figures at the stop and now")
    if stopping.stopped and stopping.met is False:
        p = (f" (p = {p_text(stopping.p_value, stopping.figures.get('confidence'))})"
             if stopping.p_value is not None else "")
        warnings.append(("[rank] stopped = true, but the stopping rule's test was not met when the ranking last "
                         f"ran{p}" if stopping.scope is None else
                         f"screening was {stopped_by_phrase(stopping.by, stopping.at)} before the stopping rule's "
                         f"test was met{p}") + ": the report says the target recall is not assured")
    return stopping, warnings
