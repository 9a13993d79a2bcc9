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

A server database can be added later by implementing :class:`.event.DecisionStore`.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import screening
from screening.decisions.log_schema import (
    ACTIONS, COLUMNS, DECISION_ACTIONS, MIGRATION_COLUMNS, ROLES, SAMPLE_COLUMNS, SCHEMA_VERSION, STAGES, STOP_ACTIONS,
    STOP_COLUMNS, VERSIONED_TABLES, migrate,
)
from screening.decisions.event import DecisionStore, Event, LogMoved, utc_now
from screening.decisions.reader_open import close_keeping_wal, open_reader, wal_damage
from screening.decisions.sqlite_trouble import (
    cannot_open, damaged, disk_trouble, is_busy, readonly, refuse_empty_file, retry_while_locked, unwritable, wal_file,
    wal_holds_data,
)
from screening.errors import DecisionError

T = TypeVar("T")

# the log's entry and interface (.event) and its vocabulary (.log_schema) are imported from here too
__all__ = ["ACTIONS", "COLUMNS", "DECISION_ACTIONS", "MIGRATION_COLUMNS", "ROLES", "SAMPLE_COLUMNS", "SCHEMA_VERSION",
           "STAGES", "STOP_ACTIONS", "STOP_COLUMNS", "DecisionStore", "Event", "LogMoved", "SQLiteStore", "open_store",
           "read_log", "utc_now"]


class SQLiteStore:
    """The default store: ``decisions.sqlite`` in the review's output folder."""

    def __init__(self, path: str | Path, *, create: bool = True, busy_timeout_ms: int = 60_000,
                 upgrade: bool = True) -> None:
        # ``upgrade=False``: a reader (status, prisma, export...). It reads an older log as it is
        # rather than converting it: a command that only reports must not change the file,
        # and an older tool sharing the review could then no longer open it. Nor does it fold a
        # -wal file into the file (:func:`.reader_open.open_reader`).
        self.path = Path(path)
        self._upgrade = upgrade
        self._busy_s = busy_timeout_ms / 1000
        self._tables: set[str] | None = None
        self._unversioned: set[str] = set()   # a reader of an older log: tables without tool_version
        self._damaged = False          # SQLite found the log (with its -wal file) damaged: never fold it
        if not create and not self.path.exists():
            raise DecisionError("no decision log yet", path=self.path,
                                hint="record a decision first (screening screen / decide)")
        refuse_empty_file(self.path)
        if upgrade:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._refuse_foreign_wal()
        try:
            if upgrade:
                self._conn = sqlite3.connect(str(self.path), timeout=self._busy_s,
                                             isolation_level=None, check_same_thread=False)
                self._conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            else:
                self._conn = retry_while_locked(lambda: open_reader(self.path, busy_timeout_ms), self._busy_s)
            # retried while another process opening a new log holds it: two reviewers starting
            # their first session together must both get in
            retry_while_locked(self._set_up, self._busy_s)
        except DecisionError:
            if getattr(self, "_conn", None) is not None:
                self._conn.close()           # a log from a newer version: nothing was changed
            raise
        except sqlite3.DatabaseError as err:
            said = self._said(err, "cannot open the decision log")
            if getattr(self, "_conn", None) is not None:
                self._close_connection()     # (a damaged log's -wal is not folded in)
            raise said from None

    def _refuse_foreign_wal(self) -> None:
        """Before a writer opens the log: refuse a log that, read with its -wal file, is damaged
        (:func:`.reader_open.wal_damage`: the -wal may belong to another copy of the file)."""
        said = wal_damage(self.path, self._busy_s)
        if said is not None:
            self._damaged = True
            raise self._damage(said, "cannot open the decision log")

    def _damage(self, err: object, what: str) -> DecisionError:
        """SQLite found the log damaged: restore it, with its -wal file. A -wal beside it may be
        the cause (one that belongs to another copy of the file) as much as a truncated file."""
        wal = wal_file(self.path)
        name = self.path.name
        if wal_holds_data(self.path):
            return DecisionError(
                f"{what}: {err} (the log read together with its -wal file, {wal.name})", path=self.path,
                hint=f"the log is damaged, or {wal.name} belongs to another copy of it (a backup of {name} restored "
                     f"without the -wal file that went with it); both files are left as they are: restore {name} and "
                     f"its -wal file together from one backup, or put back the {name} this -wal file was written "
                     f"with; to use the backup alone, move {wal.name} and {name}-shm aside (the decisions in the "
                     "-wal file are then not counted)")
        return DecisionError(f"{what}: {err}", path=self.path,
                             hint="the log is damaged (a truncated or partial copy?); it was left as it is: restore "
                                  f"{name} from a backup (with its -wal file, if it had one)")

    def _said(self, err: sqlite3.DatabaseError, what: str) -> DecisionError:
        """SQLite's error as one a person can act on: read-only, locked, damaged or a disk's."""
        if self._upgrade and (readonly(err) or (cannot_open(err) and unwritable(self.path))):
            # 'unable to open database file': SQLite could not make the -wal or -shm file beside
            # the log (a read-only folder), which a writer needs before it can record anything
            return DecisionError("the decision log cannot be written here (a read-only file or folder)",
                                 path=self.path, hint=f"nothing was recorded; recording a decision needs write "
                                 f"access to the log and its folder, {self.path.parent} (SQLite's WAL mode keeps "
                                 "its -wal and -shm files there); reading commands (status, prisma, export) still "
                                 "work")
        if is_busy(err):
            return DecisionError(f"the decision log is busy: another process kept it locked for {self._busy_s:.0f} s",
                                 path=self.path, hint="nothing was recorded; try again, and if it persists, look "
                                 "for a hung `screening` process or a program holding the file open")
        if damaged(err):
            self._damaged = True
            return self._damage(err, what)
        if disk_trouble(err):
            return DecisionError(f"{what}: {err}", path=self.path,
                                 hint="nothing was recorded (the log is unchanged); free disk space or check "
                                      "the disk, then run the command again")
        if cannot_open(err):
            return DecisionError(f"{what}: {err}", path=self.path,
                                 hint="check that this user can read the log and its folder (their permissions); "
                                      "nothing was changed")
        return DecisionError(f"{what}: {err}", path=self.path,
                             hint="the file is not a screening decision log, or is damaged")

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read, SQLite's failures of the file (damaged, unreadable, busy) said as
        :meth:`_said` says them, naming the log (a query's own mistake keeps its error)."""
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as err:
            if not (damaged(err) or disk_trouble(err) or is_busy(err) or cannot_open(err)):
                raise
            raise self._said(err, "cannot read the decision log") from None

    def _set_up(self) -> None:
        """WAL mode and the schema."""
        if not self._upgrade:
            self._check_not_newer(self._conn.execute("PRAGMA user_version").fetchone()[0])
            self._tables = {name for (name,) in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            self._unversioned = {t for t in VERSIONED_TABLES if t in self._tables and "tool_version" not in
                                 {row[1] for row in self._conn.execute(f"PRAGMA table_info({t})")}}
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
            # another process may have set the log up while this one waited for the lock (a newer
            # tool, even): then there is nothing to do, and no migration to record
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            self._check_not_newer(version)
            if version != SCHEMA_VERSION:
                # one transaction: interrupted, the log is left in its old format, whole
                migrate(self._conn, version, screening.__version__, utc_now())
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

    def append(self, events: Iterable[Event], *, if_last: int | None = None) -> int:
        events = list(events)
        for ev in events:
            ev.check()
        if not events:
            return 0

        def insert(conn: sqlite3.Connection) -> None:
            if if_last is not None:
                # compare-and-append: the caller decided from the log as it stood at ``if_last``
                # (a record still open, say); under the write lock, nothing may have come since
                last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
                if last != if_last:
                    raise LogMoved(f"the decision log moved on (event {last}, not {if_last}) while this was "
                                   "decided", hint="read the log again and decide again")
            # leave out events already logged before inserting: a conflicting INSERT still takes
            # an id from the AUTOINCREMENT sequence, so an idempotent re-run (the same `assign`,
            # a re-imported file) left gaps in the ids that look like deleted events
            uuids = [ev.event_uuid for ev in events]
            logged: set[str] = set()
            for i in range(0, len(uuids), 500):
                chunk = uuids[i:i + 500]
                logged.update(u for (u,) in conn.execute(
                    f"SELECT event_uuid FROM events WHERE event_uuid IN ({','.join('?' * len(chunk))})", chunk))
            # each row says which version of screening wrote it (read when written: a test may
            # stand in for another version)
            version = screening.__version__
            conn.executemany(
                "INSERT INTO events (event_uuid, record_id, stage, reviewer, role, action, reason,"
                " note, ranking_id, created_at, is_demo, payload, tool_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(event_uuid) DO NOTHING",
                [(*ev.row(), version) for ev in events if ev.event_uuid not in logged],
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
        except sqlite3.DatabaseError as err:
            # a log made read-only (or its folder) after it was opened, held locked by another
            # process past the busy timeout, a full disk, a damaged file: a traceback and exit 1
            # before. Anything else (a constraint broken by a bug) keeps SQLite's own error
            if is_busy(err) or readonly(err) or disk_trouble(err) or damaged(err):
                raise self._said(err, "cannot write to the decision log") from None
            raise
        return added

    def _missing(self, table: str) -> bool:
        """A reader of an older (or not yet set up) log: ``table`` is not there yet."""
        return self._tables is not None and table not in self._tables

    def _select(self, table: str, columns: tuple[str, ...]) -> str:
        """The select list of ``columns`` of ``table``; a column an older log's table lacks
        (``tool_version`` before format 5, read as it is) reads NULL: not known."""
        return ", ".join(f"NULL AS {c}" if c == "tool_version" and table in self._unversioned else c
                         for c in columns)

    def rows(self, after: int = 0) -> list[tuple[Any, ...]]:
        if self._missing("events"):
            return []
        return self._query(f"SELECT {self._select('events', COLUMNS)} FROM events WHERE id > ? ORDER BY id", (after,))

    def migration_rows(self) -> list[tuple[Any, ...]]:
        """Every change of the log's format recorded (:data:`MIGRATION_COLUMNS` tuples), oldest
        first; [] for a log older than format 5 (its migrations were not recorded)."""
        return self._side_rows("migrations", MIGRATION_COLUMNS)

    def append_stop(self, row: dict[str, Any]) -> bool:
        if row.get("action") not in STOP_ACTIONS:
            raise DecisionError(f"unknown stop action {row.get('action')!r}", hint=f"use one of: {', '.join(STOP_ACTIONS)}")
        return self._append_one("stops", STOP_COLUMNS, row)

    def extent(self) -> tuple[Any, ...]:
        """(events, highest id, that event's uuid): what the append-only log holds, in one cheap
        query (a reader compares it with what it read before)."""
        if self._missing("events"):
            return (0, None, None)
        rows = self._query("SELECT (SELECT COUNT(*) FROM events), id, event_uuid FROM events ORDER BY id DESC LIMIT 1")
        return tuple(rows[0]) if rows else (0, None, None)

    def stop_extent(self) -> tuple[Any, ...]:
        """(stops, highest id): one cheap query a session asks at every refresh, reading the
        stops themselves (their closed-record lists) only when one was appended."""
        return self._side_extent("stops")

    def stop_rows(self) -> list[tuple[Any, ...]]:
        return self._side_rows("stops", STOP_COLUMNS)      # a log older than format 3: []

    def append_sample(self, row: dict[str, Any]) -> bool:
        return self._append_one("samples", SAMPLE_COLUMNS, row)

    def sample_extent(self) -> tuple[Any, ...]:
        return self._side_extent("samples")

    def sample_rows(self) -> list[tuple[Any, ...]]:
        return self._side_rows("samples", SAMPLE_COLUMNS)  # a log older than format 4: []

    # The side tables (stops, samples): one row per team event beside the decisions, each with
    # a uuid, a reviewer and a JSON payload, read whole (they are few).

    def _append_one(self, table: str, columns: tuple[str, ...], row: dict[str, Any]) -> bool:
        if not str(row.get("reviewer", "")).strip():
            raise DecisionError("a reviewer name is required", hint="pass --reviewer NAME")
        defaults = {"stage": "title_abstract", "note": ""}
        cols = [c for c in columns if c != "id"]
        values = tuple(json.dumps(row.get("payload") or {}, sort_keys=True) if c == "payload"
                       else (row.get(c) or defaults[c]) if c in defaults else row[c] for c in cols)
        cols, values = [*cols, "tool_version"], (*values, screening.__version__)     # the version that wrote it
        return bool(self._write(lambda conn: conn.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            "ON CONFLICT(event_uuid) DO NOTHING", values)))

    def _side_extent(self, table: str) -> tuple[Any, ...]:
        if self._missing(table):
            return (0, None)
        return tuple(self._query(f"SELECT COUNT(*), MAX(id) FROM {table}")[0])

    def _side_rows(self, table: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
        if self._missing(table):          # a log from before the table
            return []
        return self._query(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")

    def close(self) -> None:
        if self._upgrade and not self._damaged:
            # fold the write-ahead log into the file, so the .sqlite on its own is the whole log
            # when nobody has it open (a copy of that one file then misses nothing)
            try:
                # without waiting: another process reading holds the WAL, and its close folds it in
                # (with the busy timeout, TRUNCATE waited up to a minute for such a reader)
                self._conn.execute("PRAGMA busy_timeout=0")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
        self._close_connection()

    def _close_connection(self) -> None:
        """Close; a log SQLite found damaged without folding its -wal file into it
        (:func:`.reader_open.close_keeping_wal`)."""
        if self._damaged and wal_file(self.path).exists():
            close_keeping_wal(self._conn, self.path)
        else:
            self._conn.close()

    def __enter__(self) -> "SQLiteStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_store(path: str | Path, *, create: bool = True, review_ref: str = "REVIEW") -> DecisionStore:
    """The store for a log path (only SQLite today), to write. A new log is not started where
    the output folder shows the review had one (:func:`.lost_log.refuse_lost_log`: deleted or
    moved, it would restart the review from zero); ``review_ref`` names the review in that hint."""
    from screening.decisions.lost_log import refuse_lost_log

    refuse_lost_log(path, review_ref)
    return SQLiteStore(path, create=create)


def read_log(db_path: str | Path, read: Callable[[DecisionStore], T], empty: T) -> T:
    """``read`` on a review's log through a reader that leaves an older log as it is (a
    report must not upgrade the file); ``empty`` when there is no log yet."""
    path = Path(db_path)
    if not path.exists():
        return empty
    with SQLiteStore(path, create=False, upgrade=False) as store:
        return read(store)
