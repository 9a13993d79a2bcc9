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
* :mod:`.dual_screening` — :func:`assign` (the dual-screening plan), :func:`adjudicate`,
  :func:`conflicts_to_adjudicate`.
* :mod:`.queries` — read-only views: :func:`status`, :func:`history`,
  :func:`list_conflicts`, :func:`agreement`.
"""

from __future__ import annotations

from screening.decisions.dual_screening import adjudicate, assign, conflicts_to_adjudicate
from screening.decisions.importing import import_decisions
from screening.decisions.queries import agreement, history, list_conflicts, status
from screening.decisions.recording import DECISIONS, DecisionResult, record_decision
from screening.decisions.review import Review

# Not commands, but importable from here as before the split (export.py, session.py, scripts).
from screening.decisions.recording import build_event, missing_report, no_adjudicator_left  # noqa: F401
from screening.decisions.review import ReviewLike, check_stage  # noqa: F401

__all__ = [
    "Review", "DecisionResult", "record_decision", "import_decisions", "assign", "list_conflicts",
    "conflicts_to_adjudicate", "adjudicate", "agreement", "status", "history", "DECISIONS",
]
