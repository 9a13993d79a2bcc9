"""One entry of the decision log (:class:`Event`) and what the package needs of a log
(:class:`DecisionStore`): the interface, apart from its SQLite implementation (:mod:`.store`),
so a server database can be added by implementing it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Protocol, runtime_checkable

from screening.decisions.log_schema import ACTIONS, ROLES, STAGES
from screening.errors import DecisionError


class LogMoved(DecisionError):
    """A conditional append found events the writer had not read (another session wrote
    meanwhile): nothing was written; the writer reads the log again and re-checks."""


def utc_now() -> str:
    """ISO-8601 UTC with microseconds (sortable as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Event:
    """One entry of the log. ``id`` is assigned by the store; everything else by the writer."""

    record_id: str
    stage: str
    reviewer: str
    action: str
    role: str = "screener"
    reason: str = ""
    note: str = ""
    ranking_id: str = ""
    is_demo: bool = False
    payload: dict[str, Any] = field(default_factory=dict)
    event_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=utc_now)

    def check(self) -> None:
        """Reject values the table's CHECK constraints would reject, with a useful message."""
        if self.stage not in STAGES:
            raise DecisionError(f"unknown stage {self.stage!r}", record=self.record_id,
                                hint=f"use one of: {', '.join(STAGES)}")
        if self.role not in ROLES:
            raise DecisionError(f"unknown role {self.role!r}", record=self.record_id,
                                hint=f"use one of: {', '.join(ROLES)}")
        if self.action not in ACTIONS:
            raise DecisionError(f"unknown action {self.action!r}", record=self.record_id,
                                hint=f"use one of: {', '.join(ACTIONS)}")
        if not self.reviewer.strip():
            raise DecisionError("a reviewer name is required", record=self.record_id,
                                hint="pass --reviewer NAME")
        if not str(self.record_id).strip():
            raise DecisionError("a record id is required", hint="pass --record ID")

    def row(self) -> tuple[Any, ...]:
        d = asdict(self)
        return (
            d["event_uuid"], str(d["record_id"]), d["stage"], d["reviewer"], d["role"], d["action"],
            d["reason"] or "", d["note"] or "", d["ranking_id"] or "", d["created_at"],
            1 if d["is_demo"] else 0, json.dumps(d["payload"] or {}, sort_keys=True),
        )


@runtime_checkable
class DecisionStore(Protocol):
    """What the rest of the package needs from a log. Implement this for a server database."""

    def append(self, events: Iterable[Event], *, if_last: int | None = None) -> int:
        """Write all events in ONE transaction (all or nothing); return how many were new.
        ``if_last``: write only if the log's highest event id is still this one (0: an empty
        log), else raise :class:`LogMoved` and write nothing."""

    def rows(self, after: int = 0) -> list[tuple[Any, ...]]:
        """Events with id > ``after`` (all by default), in append order, as :data:`COLUMNS` tuples."""

    def append_stop(self, row: dict[str, Any]) -> bool:
        """Write one stop/resume event (:data:`STOP_COLUMNS` but ``id``); False if already logged."""

    def stop_rows(self) -> list[tuple[Any, ...]]:
        """Every stop/resume event in append order, as :data:`STOP_COLUMNS` tuples."""

    def extent(self) -> tuple[Any, ...]:
        """A value that changes whenever an event is appended (a reader's cache key)."""

    def stop_extent(self) -> tuple[Any, ...]:
        """A value that changes whenever a stop or resume is appended."""

    def append_sample(self, row: dict[str, Any]) -> bool:
        """Write one sample frame (:data:`SAMPLE_COLUMNS` but ``id``); False if already logged."""

    def sample_rows(self) -> list[tuple[Any, ...]]:
        """Every sample frame in append order, as :data:`SAMPLE_COLUMNS` tuples."""

    def sample_extent(self) -> tuple[Any, ...]:
        """A value that changes whenever a sample frame is appended."""

    def close(self) -> None: ...
