"""The decision log: append-only, retry-safe, concurrent writers, SIGKILL-safe."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from screening.decisions.entries import load_entries
from screening.decisions.store import COLUMNS, Event, SQLiteStore
from screening.errors import DecisionError

from .conftest import assert_append_only

ROOT = Path(__file__).resolve().parents[2]


def test_events_are_append_only(db: Path) -> None:
    with SQLiteStore(db) as store:
        store.append([Event(record_id="1", stage="title_abstract", reviewer="alice", action="include")])
    assert_append_only(db, "events", "action = 'exclude'")
    assert load_entries(db)["action"].tolist() == ["include"]


def test_a_log_that_cannot_be_written_is_an_error_that_says_so(db: Path) -> None:
    """Acceptance testing: a decision log made read-only (chattr +i, a read-only mount) or held
    locked by another process gave `decide` and `screen` a raw sqlite3 traceback and exit 1."""
    ev = Event(record_id="1", stage="title_abstract", reviewer="alice", action="include")
    with SQLiteStore(db) as store:
        store._conn.execute("PRAGMA query_only = ON")     # what SQLite says of a read-only file
        with pytest.raises(DecisionError, match="cannot be written here") as err:
            store.append([ev])
        assert "nothing was recorded" in err.value.hint and err.value.exit_code == 6
    holder = sqlite3.connect(str(db), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with SQLiteStore(db, busy_timeout_ms=200) as store:
            with pytest.raises(DecisionError, match="busy: another process kept it locked"):
                store.append([ev])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert load_entries(db).empty


def test_wal_and_full_sync(db: Path) -> None:
    with SQLiteStore(db) as store:
        mode = store._conn.execute("PRAGMA journal_mode").fetchone()[0]
        sync = store._conn.execute("PRAGMA synchronous").fetchone()[0]
    assert mode == "wal"
    assert sync == 2   # FULL


def test_retried_write_is_not_duplicated(db: Path) -> None:
    ev = Event(record_id="3", stage="title_abstract", reviewer="bob", action="exclude", reason="wrong outcome")
    with SQLiteStore(db) as store:
        assert store.append([ev]) == 1
        assert store.append([ev]) == 0
    entries = load_entries(db)
    assert len(entries) == 1 and entries.loc[0, "event_uuid"] == ev.event_uuid


def test_idempotent_rewrites_leave_no_gaps_in_the_ids(db: Path) -> None:
    """Acceptance testing: re-running an unchanged `assign` wrote nothing but moved the id
    sequence on by 266, so the next event's number suggested deleted events."""
    events = [Event(record_id=str(i), stage="title_abstract", reviewer="ann", action="include") for i in range(700)]
    with SQLiteStore(db) as store:
        assert store.append(events[:600]) == 600
        assert store.append(events[:600]) == 0                 # all logged already
        assert store.append(events) == 100                     # 600 logged + 100 new, one batch
    assert load_entries(db)["id"].tolist() == list(range(1, 701))


def test_invalid_values_rejected_before_writing(db: Path) -> None:
    good = Event(record_id="1", stage="title_abstract", reviewer="alice", action="include")
    bad = Event(record_id="2", stage="abstract", reviewer="alice", action="include")
    with SQLiteStore(db) as store:
        with pytest.raises(DecisionError, match="unknown stage"):
            store.append([good, bad])
    assert load_entries(db).empty   # all or nothing


def test_load_entries_without_a_log(tmp_path: Path) -> None:
    df = load_entries(tmp_path / "none.sqlite")
    assert df.empty and list(df.columns) == list(COLUMNS)
    assert not (tmp_path / "none.sqlite").exists()


WRITER = textwrap.dedent("""
    import sys
    from screening.decisions.store import Event, SQLiteStore
    db, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = SQLiteStore(db)
    print("ready", flush=True)
    for i in range(n):
        ev = Event(record_id=str(i % 50 + 1), stage="title_abstract", reviewer=who,
                   action=("include", "exclude", "maybe")[i % 3], event_uuid=f"{who}-{i}")
        store.append([ev])
        if i % 7 == 0:
            store.append([ev])      # a retry of the same write: must not duplicate
        print(f"ok {i}", flush=True)
""")


def test_two_processes_1000_decisions_each(db: Path) -> None:
    SQLiteStore(db).close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), who, "1000"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("alice", "bob")]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    entries = load_entries(db)
    assert len(entries) == 2000
    assert set(entries["event_uuid"]) == {f"{w}-{i}" for w in ("alice", "bob") for i in range(1000)}
    ids = entries["id"].tolist()
    assert ids == sorted(set(ids))      # unique, in append order (retries may skip an id)
    # each writer's events are in its own order
    for who in ("alice", "bob"):
        mine = entries[entries["reviewer"] == who]["event_uuid"].tolist()
        assert mine == [f"{who}-{i}" for i in range(1000)]


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8])
def test_sigkill_mid_decision_loses_at_most_one(db: Path, delay: float) -> None:
    SQLiteStore(db).close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db), "carol", "100000"], env=env,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    acked = [line for line in proc.stdout.read().splitlines() if line.startswith("ok ")]
    last = int(acked[-1].split()[1]) if acked else -1
    # the store opens cleanly, passes an integrity check and accepts new writes
    with SQLiteStore(db) as store:
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        store.append([Event(record_id="1", stage="title_abstract", reviewer="dave", action="include")])
    entries = load_entries(db)
    carol = entries[entries["reviewer"] == "carol"]["event_uuid"].tolist()
    # every acknowledged decision is there, in order; at most the one in flight beyond it
    assert carol[: last + 1] == [f"carol-{i}" for i in range(last + 1)]
    assert last + 1 <= len(carol) <= last + 2
    assert entries["reviewer"].iloc[-1] == "dave"


class LockedAtFirst:
    """A connection whose WAL switch fails with 'database is locked' ``times`` times, as SQLite's
    does when another process opens a new database at the same moment (no busy handler there).
    Also used by the dedup store's test."""

    def __init__(self, conn, times: int) -> None:
        self._conn, self.left = conn, times

    def execute(self, sql, *args):
        if sql.startswith("PRAGMA journal_mode") and self.left:
            self.left -= 1
            raise sqlite3.OperationalError("database is locked")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def __enter__(self):
        return self._conn.__enter__()

    def __exit__(self, *exc):
        return self._conn.__exit__(*exc)


def test_a_new_log_opened_by_two_processes_at_once_is_retried(tmp_path, monkeypatch):
    """The benchmark's two concurrent writers lost one: the second process's WAL switch on the
    brand-new log failed at once with 'database is locked'."""
    import screening.decisions.store as store_mod

    real = sqlite3.connect
    monkeypatch.setattr(store_mod.sqlite3, "connect", lambda *a, **k: LockedAtFirst(real(*a, **k), 3))
    with SQLiteStore(tmp_path / "d.sqlite") as store:
        assert store.append([Event(record_id="1", stage="title_abstract", reviewer="a", action="include")]) == 1
    monkeypatch.setattr(store_mod.sqlite3, "connect", lambda *a, **k: LockedAtFirst(real(*a, **k), 10**6))
    with pytest.raises(DecisionError, match="busy: another process kept it locked"):
        SQLiteStore(tmp_path / "e.sqlite", busy_timeout_ms=200)


def test_a_log_read_twice_unchanged_is_not_rebuilt_and_an_append_is_seen(tmp_path, monkeypatch):
    """One `screening run` read the whole log five times; an unchanged log is now read once."""
    from screening.decisions import entries

    db = tmp_path / "decisions.sqlite"
    with SQLiteStore(db) as store:
        store.append([Event(record_id="r1", stage="title_abstract", reviewer="alice", action="include")])
    reads = []
    rows = SQLiteStore.rows
    monkeypatch.setattr(SQLiteStore, "rows", lambda self, after=0: reads.append(1) or rows(self, after))
    first = entries.load_entries(db)
    first["extra"] = 1                                     # a caller's column stays its own
    second = entries.load_entries(db)
    assert len(reads) == 1 and "extra" not in second.columns and second["record_id"].tolist() == ["r1"]
    with SQLiteStore(db) as store:
        store.append([Event(record_id="r2", stage="title_abstract", reviewer="bob", action="exclude")])
    assert entries.load_entries(db)["record_id"].tolist() == ["r1", "r2"] and len(reads) == 2
    # another log put in its place with as many events is read afresh (the last uuid differs)
    other = tmp_path / "other.sqlite"
    with SQLiteStore(other) as store:
        store.append([Event(record_id=r, stage="title_abstract", reviewer="carol", action="include")
                      for r in ("x1", "x2")])
    db.unlink()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"decisions.sqlite{suffix}").unlink(missing_ok=True)
    import shutil
    shutil.copy(other, db)
    for suffix in ("-wal", "-shm"):
        if (tmp_path / f"other.sqlite{suffix}").exists():
            shutil.copy(tmp_path / f"other.sqlite{suffix}", tmp_path / f"decisions.sqlite{suffix}")
    assert entries.load_entries(db)["record_id"].tolist() == ["x1", "x2"]


def test_an_empty_log_file_is_refused_not_taken_for_a_new_log(tmp_path: Path) -> None:
    """Acceptance testing: a 0-byte decisions.sqlite (a failed copy, a full disk) was taken for a
    new, empty log; every earlier decision vanished from status and PRISMA without a word."""
    path = tmp_path / "decisions.sqlite"
    path.write_bytes(b"")
    old = time.time() - 60
    os.utime(path, (old, old))
    with pytest.raises(DecisionError, match="empty file") as err:
        SQLiteStore(path)
    assert "restore the log from a backup" in err.value.hint and path.read_bytes() == b""
    path.write_bytes(b"")                     # one being created by another process: let through
    with SQLiteStore(path) as store:
        store.append([Event(record_id="r1", stage="title_abstract", reviewer="ana", action="include")])


def test_a_full_disk_while_recording_is_an_error_that_says_nothing_was_recorded(tmp_path: Path) -> None:
    """Acceptance testing: a full disk ended in sqlite3's 'disk I/O error' traceback."""
    path = tmp_path / "decisions.sqlite"
    with SQLiteStore(path) as store:
        store.append([Event(record_id="r0", stage="title_abstract", reviewer="ana", action="include")])
    script = textwrap.dedent(f"""
        import resource
        from screening.decisions.store import Event, SQLiteStore
        from screening.errors import DecisionError
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))   # a disk that fills up
        store = SQLiteStore({str(path)!r})
        try:
            store.append([Event(record_id=f"r{{i}}", stage="title_abstract", reviewer="ana", action="include",
                                note="x" * 2000) for i in range(1, 400)])
        except DecisionError as err:
            print("REFUSED", err.message, "|", err.hint)
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert "REFUSED cannot write to the decision log" in done.stdout, done.stdout + done.stderr
    assert "nothing was recorded" in done.stdout
    assert len(load_entries(path)) == 1                  # all or nothing: the log as it was


def test_closing_the_store_folds_the_wal_into_the_log_file(tmp_path: Path) -> None:
    """Acceptance testing: decisions lived only in decisions.sqlite-wal, so a copy of the .sqlite
    alone (a backup, the log e-mailed to an adjudicator) had none of them."""
    path = tmp_path / "decisions.sqlite"
    with SQLiteStore(path) as store:
        store.append([Event(record_id=f"r{i}", stage="title_abstract", reviewer="ana", action="include")
                      for i in range(5)])
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(path.read_bytes())                 # the one file alone
    assert len(load_entries(copy)) == 5


def test_closing_does_not_wait_for_another_process_reading_the_log(tmp_path: Path) -> None:
    """Review: the checkpoint on close waited the whole busy timeout (a minute) while another
    connection held a read transaction."""
    path = tmp_path / "decisions.sqlite"
    store = SQLiteStore(path, busy_timeout_ms=20_000)
    store.append([Event(record_id="r1", stage="title_abstract", reviewer="ana", action="include")])
    reader = sqlite3.connect(str(path))
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM events").fetchone()      # a read transaction stays open
    started = time.monotonic()
    store.close()
    assert time.monotonic() - started < 5
    reader.close()
    assert len(load_entries(path)) == 1
