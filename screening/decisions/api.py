"""The library functions behind the screening commands: one function per command.

Each takes a review (TOML path or name, or a loaded :class:`Review`), validates against the
review's records and settings, writes to / reads from the decision log, and returns plain
data the CLI renders. Validation lives here so scripts get the same guarantees as the
terminal: unknown records, stages not open for the record, missing full-text exclusion
reasons, reviewers the review does not declare and adjudications by someone who may not
adjudicate are :class:`~screening.errors.DecisionError` s that say what to do (see :mod:`.roster`).

This module is the public face; the code lives in one module per concept:

* :mod:`.review` — :class:`Review`, the loaded review every command works on (records
  table, roster, the log read incrementally), and :func:`check_stage`.
* :mod:`.recording` — one decision: :func:`build_event` (the rules every event must
  satisfy, whoever writes it), :func:`record_decision` and its :class:`DecisionResult`.
* :mod:`.importing` — :func:`import_decisions` (the CSV formats themselves are :mod:`.imports`).
* :mod:`.dual_screening` — :func:`assign` (the dual-screening plan), :func:`replace_reviewer`
  (a departed reviewer's undecided records to another), :func:`adjudicate`,
  :func:`conflicts_to_adjudicate`.
* :mod:`.queries` — read-only views: :func:`status`, :func:`history`,
  :func:`list_conflicts`, :func:`agreement`.
* :mod:`.stop_standing` — the stopping test's standing, which :func:`status` adds.
* :mod:`.lost_log` — a log missing although the outputs show it existed (:func:`missing_log_warnings`
  for the commands without review-level warnings), and :func:`start_new_log`, the way to start a
  new one on purpose.
"""

from __future__ import annotations

from typing import Any

from screening.decisions import queries
from screening.decisions.dual_screening import (
    adjudicate, assign, conflicts_to_adjudicate, plan_gap_warnings, replace_reviewer,
)
from screening.decisions.importing import import_decisions
from screening.decisions.lost_log import lost_log_warning, start_new_log
from screening.decisions.queries import agreement, history, list_conflicts
from screening.decisions.recording import DECISIONS, DecisionResult, record_decision
from screening.decisions.review import Review, open_for_reading
from screening.decisions.stop_standing import stopping_test

# Not commands, but importable from here as before the split (export.py, session.py, scripts).
from screening.decisions.recording import build_event, missing_report, no_adjudicator_left  # noqa: F401
from screening.decisions.review import ReviewLike, check_stage  # noqa: F401


def status(review: ReviewLike, *, reviewer: str | None = None, as_adjudicator: bool = False) -> list[dict[str, Any]]:
    """Per stage progress, redacted for ``reviewer`` (:func:`.queries.status`), and on the
    title/abstract stage ``stopping_test``: the stopping test's standing when the review's rank
    section has a stop rule, from records no reviewer is still to decide (:func:`.stop_standing.stopping_test`;
    None on other stages and without a rank section); and ``warnings``: the review-level
    warnings every stage's figures share, as ``prisma`` and ``export`` give them (the TOML
    changed since the last run, or the last run did not finish: :func:`screening.review_checks.review_warnings`,
    which also names an export beside the sources that no ``[[sources]]`` lists; and the log's
    names and reasons the TOML no longer declares: :func:`.declared.declaration_warnings`; and
    records a dual-screening plan misses: :func:`.dual_screening.plan_gap_warnings`).
    ``undeclared_adjudicators``: the names in ``per_adjudicator`` that ``[screening]
    adjudicators`` no longer declares (their adjudications still settle records, but they are
    no adjudicators now)."""
    from screening.decisions.declared import declaration_warnings, former_adjudicators
    from screening.prisma.state import review_stopping
    from screening.record_marks import other_report_ids
    from screening.review_checks import review_warnings

    with open_for_reading(review) as rv:
        stopping = review_stopping(rv.config)          # read once: the counts and the plan check share it
        stages = queries.status(rv, reviewer=reviewer, as_adjudicator=as_adjudicator, stopping=stopping)
        entries = rv.entries()
        warnings = (review_warnings(rv.config) + declaration_warnings(rv.config, entries,
                                                                      other_reports=other_report_ids(rv.records))
                    + plan_gap_warnings(rv.records, entries, stopping.closes))
        return [{**s, "stopping_test": stopping_test(rv, entries) if s["stage"] == "title_abstract"
                 else None, "undeclared_adjudicators": former_adjudicators(rv.roster, s.get("per_adjudicator", {})),
                 "warnings": warnings} for s in stages]


def log_migrations(review: ReviewLike) -> list[dict[str, Any]]:
    """The decision log's recorded changes of format, oldest first (``from_format`` 0: the log
    was created; :func:`.tool_versions.log_migrations`), read without changing the log."""
    from screening.decisions.tool_versions import log_migrations as migrations

    return migrations(_config(review).decisions_path)


def _config(review: ReviewLike) -> Any:
    """The review's settings only (the records table is not read)."""
    from screening.config import ReviewConfig, load_review

    return review.config if isinstance(review, Review) else review if isinstance(review, ReviewConfig) \
        else load_review(review)


def missing_log_warnings(review: ReviewLike) -> list[str]:
    """What `log`, `conflicts` and `agreement` say beside what they show: the decision log is
    missing although the review's outputs show it existed (:func:`.lost_log.lost_log_warning`),
    so their empty history, conflicts and agreement read as if nobody had screened. (`status`,
    `prisma` and `export` say it first among their review-level warnings.) Only the settings
    are read: the records table is not needed to look for the log."""
    said = lost_log_warning(_config(review).decisions_path)
    return [said] if said else []


__all__ = [
    "Review", "DecisionResult", "record_decision", "import_decisions", "assign", "replace_reviewer", "list_conflicts",
    "conflicts_to_adjudicate", "adjudicate", "agreement", "status", "history", "start_new_log", "DECISIONS",
    "missing_log_warnings", "log_migrations",
]
