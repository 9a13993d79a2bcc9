"""Every SQLite connection a library call opens on the decision log is closed when it returns.

Why: a connection left open holds the log's -wal and -shm files (SQLite folds the -wal into the
file only when the last connection closes), and a long-lived process (the interactive session, a
script deciding in a loop) gathered one per decision."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from screening.decisions import api


def track_connections(monkeypatch: pytest.MonkeyPatch) -> list[sqlite3.Connection]:
    """Every connection ``sqlite3.connect`` makes from now on (the list keeps them alive, so
    one left open is still open when the test looks)."""
    real = sqlite3.connect
    opened: list[sqlite3.Connection] = []

    def connect(*args, **kwargs):
        conn = real(*args, **kwargs)
        opened.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return opened


def left_open(opened: list[sqlite3.Connection]) -> list[sqlite3.Connection]:
    out = []
    for conn in opened:
        try:
            conn.execute("SELECT 1")
        except sqlite3.ProgrammingError:         # 'Cannot operate on a closed database.'
            continue
        out.append(conn)
    return out


def test_record_decision_closes_every_connection_it_opens(review: Path, db: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Code review: after its log was closed, `record_decision` asked whether a logged stop had
    closed the record (the stop-scope check of a title/abstract decision), which opened a new
    reader of the log that nothing closed: one connection leaked per decision."""
    api.record_decision(review, reviewer="alice", record_id="2", action="include")   # the log exists
    opened = track_connections(monkeypatch)
    res = api.record_decision(review, reviewer="alice", record_id="3", action="exclude")
    assert res.written
    assert opened, "record_decision opened no connection: the tracking missed them"
    assert left_open(opened) == []
    # nothing holds the log open: its writer folded the -wal into the file when it closed
    assert not (db.parent / "decisions.sqlite-wal").exists()


def test_status_closes_every_connection_it_opens(review: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found with the test above: `status` on a review it loads itself read the stop scope (for
    the stopping test's standing) through a reader of the log that nothing closed."""
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    opened = track_connections(monkeypatch)
    assert api.status(review, as_adjudicator=True)[0]["screened"] == 1
    assert opened and left_open(opened) == []
