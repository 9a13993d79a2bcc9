"""The decision log: an append-only event store behind one small interface.

Why append-only: a screening decision is evidence. Changing one's mind, undoing, adjudicating
are all *new* events, so the history an auditor (or the PRISMA report) reads is the history
that happened. The SQLite implementation enforces this with triggers that abort any UPDATE or
DELETE on ``events``.

Durability: WAL journal with ``synchronous=FULL`` — every committed decision is fsynced to
the WAL before the write returns, so a process killed (even by SIGKILL) or a power cut loses
at most the decision being written. Each write is one short ``BEGIN IMMEDIATE`` transaction
with a generous ``busy_timeout``, so concurrent screeners on the same review serialise their
writes instead of failing. ``event_uuid`` is UNIQUE and inserts use ``ON CONFLICT DO NOTHING``,
so a retried write never duplicates an event.

A server database can be added later by implementing :class:`DecisionStore`.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol, runtime_checkable

from screening.decisions.sqlite_trouble import disk_trouble, is_busy, readonly, refuse_empty_file, retry_while_locked
from screening.errors import DecisionError

STAGES: tuple[str, ...] = ("title_abstract", "full_text")
ROLES: tuple[str, ...] = ("screener", "adjudicator")
ACTIONS: tuple[str, ...] = (
    "include", "exclude", "maybe", "undo", "note", "not_retrieved", "attach_report", "assign",
    "link_study",
)
DECISION_ACTIONS: frozenset[str] = frozenset({"include", "exclude", "maybe", "not_retrieved"})

COLUMNS: tuple[str, ...] = (
    "id", "event_uuid", "record_id", "stage", "reviewer", "role", "action", "reason", "note",
    "ranking_id", "created_at", "is_demo", "payload",
)

# 1: the first log; 2: 'link_study' (a report of another record's study) joins the actions;
# 3: the ``stops`` table (the team's decisions to stop screening, :mod:`.stops`); 4: the
# ``samples`` table (the records a stopping sample is drawn from, :mod:`.sample_frames`).
# SQLite cannot change a CHECK constraint in place, so :meth:`SQLiteStore._migrate` copies
# the events into a new table in one transaction (every id, uuid and timestamp kept); a new
# table needs no copy. An older tool refuses a newer log, so it cannot report a stopped review
# as if nobody had stopped it.
SCHEMA_VERSION = 4
STOP_ACTIONS: tuple[str, ...] = ("stop", "resume")
STOP_COLUMNS: tuple[str, ...] = ("id", "event_uuid", "stage", "reviewer", "action", "note", "created_at", "payload")
SAMPLE_COLUMNS: tuple[str, ...] = ("id", "event_uuid", "stage", "reviewer", "created_at", "payload")

_DDL = f"""
CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_uuid  TEXT NOT NULL UNIQUE,
    record_id   TEXT NOT NULL,
    stage       TEXT NOT NULL CHECK (stage IN ({", ".join(repr(s) for s in STAGES)})),
    reviewer    TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ({", ".join(repr(r) for r in ROLES)})),
    action      TEXT NOT NULL CHECK (action IN ({", ".join(repr(a) for a in ACTIONS)})),
    reason      TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    ranking_id  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    is_demo     INTEGER NOT NULL DEFAULT 0 CHECK (is_demo IN (0, 1)),
    payload     TEXT NOT NULL DEFAULT '{{}}'
);
CREATE INDEX IF NOT EXISTS events_record ON events(record_id, stage);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: record a new event instead'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: record an undo event instead'); END;
CREATE TABLE IF NOT EXISTS stops (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_uuid  TEXT NOT NULL UNIQUE,
    stage       TEXT NOT NULL CHECK (stage = 'title_abstract'),
    reviewer    TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ({", ".join(repr(a) for a in STOP_ACTIONS)})),
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    payload     TEXT NOT NULL DEFAULT '{{}}'
);
CREATE TRIGGER IF NOT EXISTS stops_no_update BEFORE UPDATE ON stops
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: record a new event instead'); END;
CREATE TRIGGER IF NOT EXISTS stops_no_delete BEFORE DELETE ON stops
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: record a resume event instead'); END;
CREATE TABLE IF NOT EXISTS samples (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_uuid  TEXT NOT NULL UNIQUE,
    stage       TEXT NOT NULL CHECK (stage = 'title_abstract'),
    reviewer    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    payload     TEXT NOT NULL DEFAULT '{{}}'
);
CREATE TRIGGER IF NOT EXISTS samples_no_update BEFORE UPDATE ON samples
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: draw a new sample instead'); END;
CREATE TRIGGER IF NOT EXISTS samples_no_delete BEFORE DELETE ON samples
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: draw a new sample instead'); END;
"""


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

    def append(self, events: Iterable[Event]) -> int:
        """Write all events in ONE transaction (all or nothing); return how many were new."""

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


class SQLiteStore:
    """The default store: ``decisions.sqlite`` in the review's output folder."""

    def __init__(self, path: str | Path, *, create: bool = True, busy_timeout_ms: int = 60_000,
                 upgrade: bool = True) -> None:
        # ``upgrade=False``: a reader (status, prisma, export...). It reads an older log as it is
        # rather than converting it: a command that only reports must not change the file,
        # and an older tool sharing the review could then no longer open it.
        self.path = Path(path)
        self._upgrade = upgrade
        self._busy_s = busy_timeout_ms / 1000
        self._tables: set[str] | None = None
        if not create and not self.path.exists():
            raise DecisionError("no decision log yet", path=self.path,
                                hint="record a decision first (screening screen / decide)")
        refuse_empty_file(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(str(self.path), timeout=busy_timeout_ms / 1000,
                                         isolation_level=None, check_same_thread=False)
            self._conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            # retried while another process opening a new log holds it: two reviewers starting
            # their first session together must both get in
            retry_while_locked(self._set_up, busy_timeout_ms / 1000)
        except DecisionError:
            self._conn.close()               # a log from a newer version: nothing was changed
            raise
        except sqlite3.DatabaseError as err:
            if getattr(self, "_conn", None) is not None:
                self._conn.close()
            raise self._said(err, "cannot open the decision log", "even to read the log") from None

    def _said(self, err: sqlite3.DatabaseError, what: str, when: str) -> DecisionError:
        """SQLite's error as one a person can act on: read-only, locked, or damaged."""
        if readonly(err):
            return DecisionError("the decision log cannot be written here (a read-only file or folder)",
                                 path=self.path, hint="screening needs write access to the review's output "
                                 f"folder, {when} (SQLite's WAL mode); nothing was recorded")
        if is_busy(err):
            return DecisionError(f"the decision log is busy: another process kept it locked for {self._busy_s:.0f} s",
                                 path=self.path, hint="nothing was recorded; try again, and if it persists, look "
                                 "for a hung `screening` process or a program holding the file open")
        if disk_trouble(err):
            return DecisionError(f"{what}: {err}", path=self.path,
                                 hint="nothing was recorded (the log is unchanged); free disk space or check "
                                      "the disk, then run the command again")
        return DecisionError(f"{what}: {err}", path=self.path,
                             hint="the file is not a screening decision log, or is damaged")

    def _set_up(self) -> None:
        """WAL mode and the schema."""
        if not self._upgrade:
            self._check_not_newer(self._conn.execute("PRAGMA user_version").fetchone()[0])
            self._tables = {name for (name,) in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            return
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._init_schema()

    def _init_schema(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        self._check_not_newer(version)
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            # another process may have set the log up while this one waited for the lock
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 1:
                self._migrate_from_1()
            for stmt in _split_sql(_DDL):
                self._conn.execute(stmt)
            self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:     # SQLite may have rolled back itself (BUSY, FULL)
                self._conn.execute("ROLLBACK")
            raise

    def _check_not_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            # an older tool must not write events a newer one's views would misread, nor report
            # from a log whose newer tables (stops...) it cannot see
            raise DecisionError(f"the decision log was written by a newer version of screening (log format "
                                f"{version}; this version reads up to {SCHEMA_VERSION})", path=self.path,
                                hint="upgrade screening: pip install -U screening")

    def _migrate_from_1(self) -> None:
        """Version 1 -> 2 inside the caller's transaction: the events move to a table whose
        CHECK allows the new action. The append-only triggers are dropped with the old table
        and recreated by the DDL; DROP TABLE fires no DELETE trigger."""
        conn = self._conn
        columns = ", ".join(COLUMNS)
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
        conn.execute("DROP INDEX IF EXISTS events_record")
        conn.execute("ALTER TABLE events RENAME TO events_v1")
        for stmt in _split_sql(_DDL):
            if stmt.lstrip().upper().startswith("CREATE TABLE"):
                conn.execute(stmt)
        conn.execute(f"INSERT INTO events ({columns}) SELECT {columns} FROM events_v1 ORDER BY id")
        # the AUTOINCREMENT counter goes on from where it was, so no id is ever reused
        conn.execute("UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence "
                     "WHERE name = 'events_v1'), 0)) WHERE name = 'events'")
        conn.execute("DROP TABLE events_v1")          # its sqlite_sequence row goes with it

    def append(self, events: Iterable[Event]) -> int:
        events = list(events)
        for ev in events:
            ev.check()
        if not events:
            return 0

        def insert(conn: sqlite3.Connection) -> None:
            # leave out events already logged before inserting: a conflicting INSERT still takes
            # an id from the AUTOINCREMENT sequence, so an idempotent re-run (the same `assign`,
            # a re-imported file) left gaps in the ids that look like deleted events
            uuids = [ev.event_uuid for ev in events]
            logged: set[str] = set()
            for i in range(0, len(uuids), 500):
                chunk = uuids[i:i + 500]
                logged.update(u for (u,) in conn.execute(
                    f"SELECT event_uuid FROM events WHERE event_uuid IN ({','.join('?' * len(chunk))})", chunk))
            conn.executemany(
                "INSERT INTO events (event_uuid, record_id, stage, reviewer, role, action, reason,"
                " note, ranking_id, created_at, is_demo, payload) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(event_uuid) DO NOTHING",
                [ev.row() for ev in events if ev.event_uuid not in logged],
            )

        return self._write(insert)

    def _write(self, action: Callable[[sqlite3.Connection], None]) -> int:
        """Run ``action`` in one ``BEGIN IMMEDIATE`` transaction; the rows it changed."""
        if not self._upgrade:
            raise RuntimeError("a decision-log reader (upgrade=False) cannot write: open the store to write")
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                before = conn.total_changes
                action(conn)
                added = conn.total_changes - before
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as err:
            # a log made read-only (or its folder) after it was opened, or held locked by another
            # process past the busy timeout: a traceback and exit 1 before. Anything else (a
            # constraint broken by a bug, a full disk) keeps SQLite's own error
            if is_busy(err) or readonly(err) or disk_trouble(err):
                raise self._said(err, "cannot write to the decision log", "to record anything") from None
            raise
        return added

    def _missing(self, table: str) -> bool:
        """A reader of an older (or not yet set up) log: ``table`` is not there yet."""
        return self._tables is not None and table not in self._tables

    def rows(self, after: int = 0) -> list[tuple[Any, ...]]:
        if self._missing("events"):
            return []
        cur = self._conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events WHERE id > ? ORDER BY id", (after,))
        return cur.fetchall()

    def append_stop(self, row: dict[str, Any]) -> bool:
        if row.get("action") not in STOP_ACTIONS:
            raise DecisionError(f"unknown stop action {row.get('action')!r}", hint=f"use one of: {', '.join(STOP_ACTIONS)}")
        if not str(row.get("reviewer", "")).strip():
            raise DecisionError("a reviewer name is required", hint="pass --reviewer NAME")
        values = (row["event_uuid"], row.get("stage", "title_abstract"), row["reviewer"], row["action"],
                  row.get("note", "") or "", row["created_at"], json.dumps(row.get("payload") or {}, sort_keys=True))
        return bool(self._write(lambda conn: conn.execute(
            "INSERT INTO stops (event_uuid, stage, reviewer, action, note, created_at, payload) "
            "VALUES (?,?,?,?,?,?,?) ON CONFLICT(event_uuid) DO NOTHING", values)))

    def extent(self) -> tuple[Any, ...]:
        """(events, highest id, that event's uuid): what the append-only log holds, in one cheap
        query (a reader compares it with what it read before)."""
        if self._missing("events"):
            return (0, None, None)
        return tuple(self._conn.execute(
            "SELECT (SELECT COUNT(*) FROM events), id, event_uuid FROM events ORDER BY id DESC LIMIT 1").fetchone()
            or (0, None, None))

    def stop_extent(self) -> tuple[Any, ...]:
        """(stops, highest id): one cheap query a session asks at every refresh, reading the
        stops themselves (their closed-record lists) only when one was appended."""
        if self._missing("stops"):
            return (0, None)
        return tuple(self._conn.execute("SELECT COUNT(*), MAX(id) FROM stops").fetchone())

    def stop_rows(self) -> list[tuple[Any, ...]]:
        if self._missing("stops"):        # a log older than format 3: no stop was ever logged
            return []
        return self._conn.execute(f"SELECT {', '.join(STOP_COLUMNS)} FROM stops ORDER BY id").fetchall()

    def append_sample(self, row: dict[str, Any]) -> bool:
        if not str(row.get("reviewer", "")).strip():
            raise DecisionError("a reviewer name is required", hint="pass --reviewer NAME")
        values = (row["event_uuid"], row.get("stage", "title_abstract"), row["reviewer"], row["created_at"],
                  json.dumps(row.get("payload") or {}, sort_keys=True))
        return bool(self._write(lambda conn: conn.execute(
            "INSERT INTO samples (event_uuid, stage, reviewer, created_at, payload) "
            "VALUES (?,?,?,?,?) ON CONFLICT(event_uuid) DO NOTHING", values)))

    def sample_extent(self) -> tuple[Any, ...]:
        if self._missing("samples"):
            return (0, None)
        return tuple(self._conn.execute("SELECT COUNT(*), MAX(id) FROM samples").fetchone())

    def sample_rows(self) -> list[tuple[Any, ...]]:
        if self._missing("samples"):      # a log older than format 4: no frame was ever drawn
            return []
        return self._conn.execute(f"SELECT {', '.join(SAMPLE_COLUMNS)} FROM samples ORDER BY id").fetchall()

    def close(self) -> None:
        if self._upgrade:
            # fold the write-ahead log into the file, so the .sqlite on its own is the whole log
            # when nobody has it open (a copy of that one file then misses nothing)
            try:
                # without waiting: another process reading holds the WAL, and its close folds it in
                # (with the busy timeout, TRUNCATE waited up to a minute for such a reader)
                self._conn.execute("PRAGMA busy_timeout=0")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
        self._conn.close()

    def __enter__(self) -> "SQLiteStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _split_sql(script: str) -> list[str]:
    """Split the DDL into statements (triggers contain ';' inside BEGIN..END)."""
    out, buf, in_trigger = [], [], False
    for line in script.strip().splitlines():
        buf.append(line)
        upper = line.strip().upper()
        if upper.startswith("CREATE TRIGGER"):
            in_trigger = True
        if (in_trigger and upper.endswith("END;")) or (not in_trigger and upper.endswith(";")):
            out.append("\n".join(buf))
            buf, in_trigger = [], False
    return out


def open_store(path: str | Path, *, create: bool = True) -> DecisionStore:
    """The store for a log path (only SQLite today)."""
    return SQLiteStore(path, create=create)
