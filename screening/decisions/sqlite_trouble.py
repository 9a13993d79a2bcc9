"""What SQLite's failures mean for a log file that several people's processes share.

Why apart from the store: the decision log and the dedup decisions store both open SQLite files
that other processes write too; both retry while the file is locked, and both must tell a
person a read-only folder, a full or failing disk and an emptied file from a programming error.
"""

from __future__ import annotations

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


def readonly(err: BaseException) -> bool:
    return "readonly" in str(err).lower().replace("-", "").replace(" ", "")


def disk_trouble(err: BaseException) -> bool:
    """A full disk or a failing one ('database or disk is full', 'disk I/O error')."""
    return "disk" in str(err).lower()


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
