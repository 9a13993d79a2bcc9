"""What SQLite's failures mean for a log file that several people's processes share.

Why apart from the store: the decision log and the dedup decisions store both open SQLite files
that other processes write too; both retry while the file is locked, and both must tell a
person a read-only folder, a full or failing disk and an emptied file from a programming error.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Callable, TypeVar

from screening.errors import DecisionError


def refuse_empty_file(path: Path, settle_s: float = 10.0) -> None:
    """An existing log of 0 bytes is what a failed copy or a full disk leaves (SQLite would take
    it for a new, empty log, and every decision would vanish from the counts without a word).
    A log being created by another process is 0 bytes for an instant: only an older one counts."""
    try:
        info = path.stat()
    except OSError:
        return
    if info.st_size == 0 and time.time() - info.st_mtime > settle_s:
        raise DecisionError("the decision log is an empty file (0 bytes)", path=path,
                            hint="a failed copy or a full disk leaves one: restore the log from a backup (with its "
                                 "-wal file, if it has one); to start a new, empty log, delete the file")


def _code(err: BaseException) -> str:
    """SQLite's primary result code name ('SQLITE_CANTOPEN'), when the error carries one."""
    return (getattr(err, "sqlite_errorname", None) or "").upper()


def readonly(err: BaseException) -> bool:
    return _code(err).startswith("SQLITE_READONLY") or "readonly" in str(err).lower().replace("-", "").replace(" ", "")


def cannot_open(err: BaseException) -> bool:
    """'unable to open database file': what SQLite says when it cannot create the -wal or -shm
    file a WAL log needs beside it (a read-only folder), as well as of a file it cannot open."""
    return _code(err).startswith("SQLITE_CANTOPEN") or "unable to open database file" in str(err).lower()


def damaged(err: BaseException) -> bool:
    """The file's content is not a sound database: 'database disk image is malformed' (a
    truncated or partial copy, or a -wal file that belongs to another state of the file),
    'file is not a database'. Running the command again cannot help."""
    text = str(err).lower()
    return (_code(err).startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
            or "malformed" in text or "not a database" in text)


def disk_trouble(err: BaseException) -> bool:
    """A full disk or a failing one ('database or disk is full', 'disk I/O error'). Not a damaged
    file, whose message ('database disk image is malformed') also says 'disk'."""
    if damaged(err):
        return False
    text = str(err).lower()
    return (_code(err).startswith(("SQLITE_FULL", "SQLITE_IOERR"))
            or "disk is full" in text or "i/o error" in text)


def unwritable(path: Path) -> bool:
    """The file (if it exists) or its folder cannot be written by this process: SQLite then
    cannot record anything there, nor create the -wal and -shm files a WAL log needs."""
    folder = path.parent
    return (folder.is_dir() and not os.access(folder, os.W_OK)) or (path.exists() and not os.access(path, os.W_OK))


def wal_file(path: Path) -> Path:
    """The log's write-ahead log: where the decisions of an open (or killed) session sit until
    they are folded into the file."""
    return path.with_name(path.name + "-wal")


def wal_holds_data(path: Path) -> bool:
    """A -wal file with something in it beside ``path`` (an empty one holds nothing)."""
    try:
        return wal_file(path).stat().st_size > 0
    except OSError:
        return False


def is_busy(err: BaseException) -> bool:
    text = str(err).lower()
    return "locked" in text or "busy" in text


T = TypeVar("T")


def retry_while_locked(action: Callable[[], T], wait_s: float) -> T:
    """``action()``, retried for up to ``wait_s`` seconds while SQLite says the database is
    locked. Switching a new database to WAL while another process opens it too fails at once
    with 'database is locked' (SQLite calls no busy handler there): the benchmark's two
    concurrent writers lost one that way."""
    deadline = time.monotonic() + wait_s
    pause = 0.01
    while True:
        try:
            return action()
        except sqlite3.OperationalError as err:
            if not is_busy(err) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
