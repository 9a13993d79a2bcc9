"""Stopping title/abstract screening: a logged decision, scoped to the records it closes.

Why logged rather than a TOML flag: stopping is a decision people make on evidence (the
stopping rule's test), and a report must be able to say who made it, when, and on what
figures. And a stop closes the records *nobody had screened at that moment*, no others: an
update's records, ingested after the stop, arrive open and are screened (and may be stopped
again) on their own, while the previous version's closed records stay closed.

``screening stop`` appends a ``stop`` event to the review's log (table ``stops``, as
append-only as the decisions) holding the rule's figures and the ids it closes;
``screening stop --resume`` appends a ``resume`` event, which reopens every stop before it.
PRISMA, ``status`` and ``export`` read the standing stops (:func:`standing_stop`).
The older ``[rank] stopped = true`` still works and closes every record nobody screened.
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screening.config import ReviewConfig, load_review
from screening.decisions.entries import load_entries
from screening.decisions.outcomes import record_outcomes
from screening.decisions.review import Review, ReviewLike
from screening.decisions.roster import Roster
from screening.decisions.sample_frames import sampled_since
from screening.decisions.store import STOP_COLUMNS, open_store, read_log, utc_now
from screening.errors import ConfigError, DecisionError
from screening.ml.recall_test import TEST
from screening.record_marks import in_play

_FIGURES = ("rule", "met", "p_value", "estimated_recall", "recall_bound", "target_recall", "confidence",
            "screened", "relevant_found", "sample_size", "sample_relevant", "sample_unsettled", "pool",
            "unscreened", "added_during_sample")


@dataclass(frozen=True)
class StopEvent:
    """One ``stop`` or ``resume`` entry of the log."""

    id: int
    event_uuid: str
    reviewer: str
    action: str
    note: str
    created_at: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def records(self) -> frozenset[str]:
        return frozenset(str(r) for r in self.payload.get("records", ()))

    def stopped_by(self) -> str:
        """'stopped by alice on 2024-01-10' (see :func:`stopped_by_phrase`)."""
        return stopped_by_phrase(self.reviewer, self.created_at)


@dataclass(frozen=True)
class StopScope:
    """The standing stops (since the last ``resume``): every record they closed, and the
    figures of the latest, which are the ones a report quotes."""

    events: tuple[StopEvent, ...]

    @functools.cached_property
    def records(self) -> frozenset[str]:       # (read at every session refresh: built once)
        return frozenset().union(*(e.records for e in self.events))

    @property
    def latest(self) -> StopEvent:
        return self.events[-1]

    def stopped_by(self) -> str:
        """Who recorded the latest stop, and when: the one a report quotes."""
        return self.latest.stopped_by()

    def holds(self, record_id: str, outcome: object | None) -> bool:
        """Whether the stops still settle this record: one of them closed it and nobody has
        decided it since (``outcome`` is the record's outcome, None when undecided). A decision
        made since takes a record out of their scope, as PRISMA and ``stop`` read it: that
        decision counts instead, and the record waits for a second reviewer like any other."""
        return outcome is None and record_id in self.records


def flag_stopped(config: Any) -> bool:
    """Whether the review's ``[rank]`` section says ``stopped = true`` (the older way to stop):
    it closes every title/abstract record nobody decided, later additions too, as PRISMA reads it."""
    return bool(getattr(getattr(config, "stages", {}).get("rank"), "stopped", False))


def stopped_by_phrase(reviewer: str, created_at: str) -> str:
    """'stopped by alice on 2024-01-10': who recorded a stop and the day (UTC), one wording for
    every view that names a stop (a session, the recommendation, `stop`, `status`)."""
    return f"stopped by {reviewer} on {str(created_at)[:10]}"


@dataclass(frozen=True)
class StopResult:
    """What ``screening stop`` (or ``--resume``) recorded, for the caller to show."""

    event: StopEvent
    closed: int                  # records nobody screened that this stop closes (resume: reopens)
    awaiting: int                # records one reviewer decided, still to settle (stay open)
    status: dict[str, Any]       # the stopping rule's figures when the stop was recorded
    warnings: tuple[str, ...] = ()


def read_stops(db_path: str | Path) -> list[StopEvent]:
    """Every stop/resume event of a review's log, oldest first ([] without a log)."""
    return stops_from_rows(read_log(db_path, lambda store: store.stop_rows(), []))


def stops_from_rows(rows: list[tuple[Any, ...]]) -> list[StopEvent]:
    """The store's stop rows (:data:`STOP_COLUMNS` tuples) as events, in log order."""
    out = []
    for row in rows:
        d = dict(zip(STOP_COLUMNS, row))
        out.append(StopEvent(int(d["id"]), d["event_uuid"], d["reviewer"], d["action"], d["note"],
                             d["created_at"], json.loads(d["payload"] or "{}")))
    return out


def standing_stop(events: list[StopEvent]) -> StopScope | None:
    """The stops since the latest ``resume`` (None: screening is not stopped)."""
    standing: list[StopEvent] = []
    for ev in events:
        standing = [] if ev.action == "resume" else [*standing, ev]
    return StopScope(tuple(standing)) if standing else None


def review_stop(db_path: str | Path) -> StopScope | None:
    return standing_stop(read_stops(db_path))


def stop_history(review: ReviewLike) -> list[StopEvent]:
    """Every stop and resume of a review, oldest first."""
    return read_stops(_config(review).decisions_path)


def _config(review: ReviewLike) -> ReviewConfig:
    """The review's settings, without loading its records table (a name is checked against the
    roster, which the settings hold)."""
    return review if isinstance(review, ReviewConfig) else (
        review.config if isinstance(review, Review) else load_review(review))


def stop_screening(review: ReviewLike, reviewer: str, *, note: str = "", force: bool = False) -> StopResult:
    """Record the team's decision to stop title/abstract screening by the stopping rule.

    Re-ranks first (a pipeline run, so the rule's figures include every decision logged), and
    refuses unless the rule's test is met, or ``force`` says to stop anyway (the report then
    says recall is not assured). The stop closes the records in screening that nobody has
    decided at title/abstract; those one reviewer decided stay open until settled."""
    from screening.ml.review import rank_review

    config = _config(review)
    if "rank" not in config.stages:
        raise ConfigError("stopping by the stopping rule needs the review's rank section", path=config.path,
                          hint="add a section named rank to the review TOML (see docs/ranking.md)")
    if _legacy_flag(config):
        raise ConfigError("the review's rank section already says stopped = true", path=config.path,
                          hint="remove the stopped key and record the stop with `screening stop`, which "
                               "logs who stopped, when, and which records it closed")
    name = Roster.of(config).screener(reviewer)
    _, report = rank_review(config.path)
    rv = Review.load(config)          # the table rank just wrote
    status = dict(report.details.get("stopping", {}))
    current = review_stop(config.decisions_path)
    closed = current.records if current else frozenset()
    entries = rv.entries()
    outcomes = record_outcomes(entries, "title_abstract")
    ids = rv.records["record_id"].astype(str)[in_play(rv.records)]
    scope = sorted(r for r in ids if r not in outcomes and r not in closed)
    awaiting = sum(1 for r in ids if r in outcomes and outcomes[r].status != "final")
    if current and not scope:
        raise DecisionError(f"screening is already {current.stopped_by()} and no record has arrived since",
                            hint="`screening stop REVIEW --resume -r NAME` reopens screening")
    if not scope:
        raise DecisionError("no record in screening is left unscreened: a stop would close nothing",
                            hint="records one reviewer decided are settled by a second reviewer or an "
                                 "adjudicator (screening conflicts / adjudicate), not by the stopping rule")
    if current and status.get("met") and not sampled_since(entries, current.latest.created_at):
        # the random sample the test reads was drawn before the records added since the last
        # stop existed, so it says nothing about them (an update's records need their own sample)
        status["met"] = False
        status["recommendation"] = ("the stopping test's random sample was drawn before the last stop, so it does "
                                    "not cover the records added since: screen a random sample of them "
                                    "(screening screen REVIEW -r NAME --sample)")
    if not status.get("met") and not force:
        # the recommendation says what to do next (rank order, or the random sample)
        raise DecisionError("the stopping rule's test is not met: " + str(status.get("recommendation", "")),
                            hint="do that and try again; or pass --force to stop anyway, and the report will "
                                 "say recall is not assured")
    cfg = config.stages["rank"]
    in_scope = set(scope)
    known = [str(r) for r in cfg.prior_included if str(r) in in_scope]
    if known:
        # the test counts them as found, so closing them as excluded would contradict its own
        # figures, and lose studies the team already knows are relevant: never, not even forced
        raise DecisionError(f"prior-included record{'s' if len(known) != 1 else ''} {', '.join(known[:5])} "
                            f"{'have' if len(known) != 1 else 'has'} no title/abstract decision: a stop would "
                            "close known relevant records as excluded",
                            hint=f"record them first (screening decide REVIEW -r NAME --record {known[0]} --include)")
    warnings = []
    priors = [str(r) for r in cfg.prior_excluded if str(r) in in_scope]
    if priors:
        warnings.append(f"prior-excluded record(s) {', '.join(priors[:5])} have no decision in the log: the stop "
                        "counts them as excluded by the stopping rule; record them with `screening decide` to "
                        "count them as the team's exclusions")
    if force and not status.get("met"):
        warnings.append("stopped before the stopping rule's test was met: the report says recall is not assured")
    payload = {k: status.get(k) for k in _FIGURES if k in status}
    payload.update(rule=cfg.stop_rule, test=TEST, met=bool(status.get("met")), forced=bool(force and not status.get("met")),
                   model_id=str(report.details.get("model", {}).get("model_id", "")),
                   awaiting_settlement=awaiting, records=scope)
    event = _append(config, name, "stop", note, payload)
    return StopResult(event, len(scope), awaiting, status, tuple(warnings))


def resume_screening(review: ReviewLike, reviewer: str, *, note: str = "") -> StopResult:
    """Reopen title/abstract screening: a ``resume`` event that ends every standing stop."""
    config = _config(review)
    name = Roster.of(config).screener(reviewer)
    current = review_stop(config.decisions_path)
    if current is None:
        hint = ("the stop is the rank section's stopped = true: remove that key" if _legacy_flag(config)
                else "nothing to resume")
        raise DecisionError("screening is not stopped in the decision log", hint=hint)
    # a record decided after the stop (a reviewer may still decide a closed one) was no longer
    # closed: it is not among those the resume reopens
    outcomes = record_outcomes(load_entries(config.decisions_path), "title_abstract")   # the log alone
    reopened = sum(1 for r in current.records if r not in outcomes)
    event = _append(config, name, "resume", note, {"reopened": reopened})
    return StopResult(event, reopened, 0, {})


def _legacy_flag(config: Any) -> bool:
    raw = config.raw.get("rank", {}) if isinstance(config.raw.get("rank"), dict) else {}
    return bool(raw.get("stopped", False))


def _append(config: Any, reviewer: str, action: str, note: str, payload: dict[str, Any]) -> StopEvent:
    row = {"event_uuid": str(uuid.uuid4()), "stage": "title_abstract", "reviewer": reviewer, "action": action,
           "note": note, "created_at": utc_now(), "payload": payload}
    db_path = config.decisions_path
    store = open_store(db_path, review_ref=config.command_ref())
    try:
        store.append_stop(row)
    finally:
        store.close()
    latest = read_stops(db_path)[-1]
    return latest
