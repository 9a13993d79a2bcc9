"""Opening the decision log without changing its files: the reader's connection, and the
read-only looks a writer takes before it opens the log and when it closes a damaged one. The
dedup decision store, another WAL log beside it, is read through the same reader.

Why apart from the store: which SQLite mode a connection may use to leave the log and its
-wal file as they are (``mode=rw`` with ``query_only``, ``mode=ro``, ``immutable``) depends on
the files beside the log and on the folder, not on what the store does with the connection. A
read-write connection folds the -wal file into the log when it closes; a -wal that does not
belong to the file (a backup of ``decisions.sqlite`` restored beside a later session's -wal)
then damages the log for good. And ``immutable`` reads the file alone: right only when no -wal
file holds decisions not yet folded into it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from screening.decisions.sqlite_trouble import cannot_open, damaged, readonly, wal_file, wal_holds_data
from screening.errors import DecisionError, ScreeningError


def connect(path: Path, query: str, busy_timeout_ms: int) -> sqlite3.Connection:
    """A connection through a URI (``mode=ro``...), opened for real: SQLite opens the file,
    and the -wal and -shm files, only at the first read."""
    conn = sqlite3.connect(path.resolve().as_uri() + "?" + query, uri=True, timeout=busy_timeout_ms / 1000,
                           isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if "mode=rw" in query:
            conn.execute("PRAGMA query_only=ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def open_reader(path: Path, busy_timeout_ms: int, *, name: str = "the log", holds: str = "decisions",
                error: type[ScreeningError] = DecisionError) -> sqlite3.Connection:
    """A connection that cannot change the log (the decision log; the dedup decision store too:
    ``name`` and ``holds`` say which, and what its -wal file may hold, ``error`` what is raised).

    With a -wal file holding something beside the log, read-only (``mode=ro``): a read-write
    connection folds the -wal into the file when it closes and deletes it, and a -wal that
    does not belong to the file (a backup of ``decisions.sqlite`` restored beside a later
    session's -wal) then damaged the log for good, and took that session's decisions with it.
    Without one there is nothing to fold: read-write with every write refused (``query_only``),
    so that closing removes the -wal and -shm files reading makes (a ``mode=ro`` reader
    leaves them behind).

    In a read-only folder SQLite cannot make the -wal and -shm files a WAL log is read with
    ('unable to open database file'); the file is then read as it is (``immutable``), which
    is the whole log only when no -wal file holds decisions not yet folded into it."""
    if not wal_holds_data(path):
        try:
            return connect(path, "mode=rw", busy_timeout_ms)
        except sqlite3.OperationalError as err:
            if not (cannot_open(err) or readonly(err)):
                raise
            return connect(path, "mode=ro&immutable=1", busy_timeout_ms)
    try:
        return connect(path, "mode=ro", busy_timeout_ms)
    except sqlite3.OperationalError as err:
        if not cannot_open(err):
            raise
        if not wal_holds_data(path):
            return connect(path, "mode=ro&immutable=1", busy_timeout_ms)
        wal = wal_file(path)
        raise error(f"{name}'s -wal file, {wal.name}, holds {holds} not yet in {path.name}, and SQLite cannot "
                    f"read it here (a read-only folder without {name}'s -shm file, or a -wal file this user "
                    "cannot read)", path=path,
                    hint=f"nothing was changed; make the folder {path.parent} writable (or copy {path.name} "
                         f"together with {wal.name} to a folder that is) and run the command again: without its "
                         f"-wal file {name} would miss those {holds}") from None


def wal_damage(path: Path, busy_s: float) -> str | None:
    """Before a writer opens the log: what SQLite's check finds wrong with the log read with its
    -wal file (None: sound, or nothing to check).

    A writer folds the -wal into the file (at a checkpoint, and when it closes), for good: a
    -wal that does not belong to the file (a backup of ``decisions.sqlite`` restored beside a
    later session's -wal) would damage the log and lose that session's decisions. Checked
    through a read-only connection, which changes neither file; only when the -wal holds
    something (a session open now, or one that was killed)."""
    if not (path.exists() and wal_holds_data(path)):
        return None
    try:
        probe = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=busy_s)
    except sqlite3.Error:
        return None                          # the writer's own opening says what is wrong
    try:
        found = [str(row) for (row,) in probe.execute("PRAGMA quick_check").fetchall() if row != "ok"]
        return "SQLite's check found it damaged: " + " ".join(found[0].split())[:200] if found else None
    except sqlite3.DatabaseError as err:
        return str(err) if damaged(err) else None
    finally:
        probe.close()


def close_keeping_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Close a connection to a log SQLite found damaged without folding its -wal file into it:
    the two may be files that do not belong together, which a person must be able to restore as
    they were. SQLite folds the -wal in when the last connection to the log closes; a read-only
    connection that has read holds the log open meanwhile, and cannot fold anything itself."""
    guard = None
    try:
        guard = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        guard.execute("PRAGMA schema_version").fetchone()      # a read: the guard holds the log now
    except sqlite3.Error:
        pass
    try:
        conn.close()
    finally:
        if guard is not None:
            guard.close()
