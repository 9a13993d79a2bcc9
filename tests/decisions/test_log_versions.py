"""Log format 5: every new row records the screening version that wrote it, and the log records
its own migrations (acceptance test 36a, L1 and M4).

The format-4 log is ``fixtures/decisions/log_format4.sqlite``, written by screening 0.21.0
itself (``make_log_format4.py``) on this folder's test review: two screeners under a plan, an
undo, a note, an adjudication, a full-text decision, a logged stop and a sample frame. That an
older version (0.17-0.21, format 4) refuses a log once this one has written to it was checked
by hand with 0.20.0: the suite cannot run old code.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

import screening
from screening.decisions import api
from screening.decisions.entries import entries_from_rows, load_entries
from screening.decisions.store import SCHEMA_VERSION, Event, SQLiteStore

from .conftest import assert_append_only

FORMAT4 = Path(__file__).resolve().parents[1] / "fixtures" / "decisions" / "log_format4.sqlite"
TABLES = ("events", "stops", "samples")


@pytest.fixture
def old_log(review: Path, db: Path) -> Path:
    """The test review with the log screening 0.21.0 wrote (format 4)."""
    shutil.copyfile(FORMAT4, db)
    return db


def _dump(db: Path) -> dict[str, list[tuple]]:
    """Every row of the log's tables as SQLite stores it (text as bytes: byte-identical means
    byte-identical), and the id counters."""
    con = sqlite3.connect(db)
    try:
        con.text_factory = bytes
        out = {t: con.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in TABLES}
        out["sqlite_sequence"] = sorted(con.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
        return out
    finally:
        con.close()


def _user_version(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()


def _migrations(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT id, from_format, to_format, tool_version, migrated_at FROM migrations").fetchall()
    finally:
        con.close()


def test_the_fixture_is_a_format_4_log_with_every_kind_of_row() -> None:
    assert _user_version(FORMAT4) == 4
    rows = _dump(FORMAT4)
    assert [len(rows[t]) for t in TABLES] == [65, 1, 1]


def test_the_first_write_migrates_a_format_4_log_losslessly_and_records_it(old_log: Path, review: Path,
                                                                          cli) -> None:
    before = _dump(old_log)
    t0 = datetime.now().astimezone()
    code, out = cli("decide", review, "-r", "alice", "--record", "8", "--exclude", "--reason", "wrong population")
    assert code == 0, out
    assert _user_version(old_log) == SCHEMA_VERSION == 5
    after = _dump(old_log)
    # every row written before keeps every byte, and reads no version (NULL: unknown, not guessed)
    for table in TABLES:
        assert after[table][:len(before[table])] == [(*row, None) for row in before[table]], table
    assert after["stops"] == [(*before["stops"][0], None)] and len(after["samples"]) == 1
    # the id counters go on (no id is ever reused)
    assert dict(after["sqlite_sequence"])[b"events"] == dict(before["sqlite_sequence"])[b"events"] + 1
    new = after["events"][len(before["events"]):]
    assert [(r[2], r[6], r[-1]) for r in new] == [(b"8", b"exclude", screening.__version__.encode())]
    # the migration is recorded: from which format, by which version, when (UTC)
    [(_, old, to, version, at)] = _migrations(old_log)
    assert (old, to, version) == (4, 5, screening.__version__)
    assert t0 <= datetime.fromisoformat(at) <= datetime.now().astimezone() and at.endswith("+00:00")
    # the tables added are append-only too, and a new row must say its version
    assert_append_only(old_log, "migrations", "tool_version = '9.9'")
    con = sqlite3.connect(old_log)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="records the screening version"):
            con.execute("INSERT INTO events (event_uuid, record_id, stage, reviewer, role, action, created_at) "
                        "VALUES ('u', '9', 'title_abstract', 'mallory', 'screener', 'include', 't')")
        with pytest.raises(sqlite3.DatabaseError, match="records the screening version"):
            con.execute("INSERT INTO stops (event_uuid, stage, reviewer, action, created_at) "
                        "VALUES ('u', 'title_abstract', 'mallory', 'stop', 't')")
    finally:
        con.close()
    # a second write migrates nothing again
    api.record_decision(review, reviewer="bob", record_id="8", action="exclude", reason="wrong outcome")
    assert len(_migrations(old_log)) == 1


def test_read_only_commands_leave_a_format_4_log_as_it_is(old_log: Path, review: Path, cli, tmp_path: Path) -> None:
    before = old_log.read_bytes()
    for args in (("status", review), ("log", review, "-r", "carol"), ("log", review, "-r", "carol", "--json"),
                 ("conflicts", review, "-r", "carol"), ("agreement", review, "-r", "carol"),
                 ("export", review, "-o", tmp_path / "x.csv", "--decision", "all", "-r", "carol"),
                 ("prisma", review, "-o", tmp_path / "prisma")):
        code, out = cli(*args)
        assert code == 0, (args, out)
        assert old_log.read_bytes() == before, args
    assert _user_version(old_log) == 4
    # read as it is, every event says no version, and nothing says the log was migrated
    entries = load_entries(old_log)
    assert len(entries) == 65 and entries["tool_version"].isna().all()
    code, out = cli("log", review, "-r", "carol")
    assert "log format" not in out and "version" not in out
    assert old_log.read_bytes() == before


def test_an_interrupted_migration_leaves_the_format_4_log_whole(old_log: Path, review: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import screening.decisions.store as store_mod

    before, real = _dump(old_log), store_mod.migrate

    def interrupted(*args, **kwargs):
        real(*args, **kwargs)          # every change made, the transaction not yet committed
        raise KeyboardInterrupt

    monkeypatch.setattr(store_mod, "migrate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.record_decision(review, reviewer="alice", record_id="8", action="exclude", reason="wrong population")
    assert _user_version(old_log) == 4 and _dump(old_log) == before
    con = sqlite3.connect(old_log)
    try:
        assert "migrations" not in {n for (n,) in con.execute("SELECT name FROM sqlite_master")}
        assert "tool_version" not in {r[1] for r in con.execute("PRAGMA table_info(events)")}
    finally:
        con.close()
    # still a usable log: read as it is, then migrated by the next write
    assert len(load_entries(old_log)) == 65
    monkeypatch.setattr(store_mod, "migrate", real)
    api.record_decision(review, reviewer="alice", record_id="8", action="exclude", reason="wrong population")
    assert _user_version(old_log) == 5 and [m[1:3] for m in _migrations(old_log)] == [(4, 5)]


def test_every_new_row_records_the_version_that_wrote_it(review: Path, db: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    api.record_decision(review, reviewer="alice", record_id="1", action="include")
    with SQLiteStore(db) as store:
        store.append_stop({"event_uuid": "s1", "reviewer": "alice", "action": "stop", "created_at": "t"})
        store.append_sample({"event_uuid": "f1", "reviewer": "alice", "created_at": "t", "payload": {"records": []}})
    monkeypatch.setattr(screening, "__version__", "0.99.0")       # a later version writes next
    api.record_decision(review, reviewer="bob", record_id="1", action="include")
    con = sqlite3.connect(db)
    try:
        versions = {t: [v for (v,) in con.execute(f"SELECT tool_version FROM {t} ORDER BY id")] for t in TABLES}
        # a new log records which version created it (from format 0), and no later version migrates it
        assert [m[1:4] for m in _migrations(db)] == [(0, 5, versions["events"][0])]
    finally:
        con.close()
    first = versions["events"][0]
    assert first and first != "0.99.0"
    assert versions == {"events": [first, "0.99.0"], "stops": [first], "samples": [first]}


def test_log_shows_each_events_version_and_the_migration(old_log: Path, review: Path, cli,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screening, "__version__", "0.99.0")
    api.record_decision(review, reviewer="alice", record_id="8", action="exclude", reason="wrong population")
    code, out = cli("log", review, "-r", "carol", "--as-adjudicator")
    assert code == 0
    lines = out.splitlines()
    assert any(line.startswith("│ 66 ") and "│ 0.99.0" in line for line in lines), out
    assert any(line.startswith("│ 65 ") and "0.99.0" not in line for line in lines)
    assert "log format 5: migrated from format 4 by screening 0.99.0 on " in out
    code, out = cli("log", review, "-r", "carol", "--as-adjudicator", "--json")
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [r["tool_version"] for r in rows[-2:]] == [None, "0.99.0"]


def test_the_prisma_report_says_which_versions_recorded_the_decisions(old_log: Path, review: Path, cli,
                                                                      tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = cli("prisma", review, "-o", tmp_path / "one")
    assert code == 0, out
    assert "recorded with" not in (tmp_path / "one" / "report.md").read_text(encoding="utf-8")
    earlier = int(load_entries(old_log)["action"].isin(["include", "exclude", "maybe", "not_retrieved"]).sum())
    monkeypatch.setattr(screening, "__version__", "0.99.0")
    api.record_decision(review, reviewer="alice", record_id="8", action="exclude", reason="wrong population")
    code, out = cli("prisma", review, "-o", tmp_path / "two")
    assert code == 0, out
    report = (tmp_path / "two" / "report.md").read_text(encoding="utf-8")
    said = (f"Decisions were recorded with screening 0.99.0 (1); {earlier} earlier decisions carry no version "
            "(recorded before the log noted versions).")
    # in the audit trail under the citation, not in the citable methods paragraph
    methods = report.split("## Methods (paste and edit)")[1].split("\n\n")[1]
    assert said in report.split("PRISMA flow generated by")[1] and "recorded with" not in methods
    assert said in (tmp_path / "two" / "report.html").read_text(encoding="utf-8")


def test_the_versions_sentence() -> None:
    from screening.decisions.tool_versions import recorded_versions, recorded_with_sentence

    assert recorded_with_sentence(()) == recorded_with_sentence((("0.22.0", 5),)) == ""
    assert recorded_with_sentence((("", 56),)) == ""
    assert recorded_with_sentence((("", 1), ("0.22.0", 120))) == (
        "Decisions were recorded with screening 0.22.0 (120); 1 earlier decision carries no version "
        "(recorded before the log noted versions).")
    assert recorded_with_sentence((("0.22.0", 412), ("0.23.0", 3), ("0.24.0", 1))) == (
        "Decisions were recorded with screening 0.22.0 (412), 0.23.0 (3) and 0.24.0 (1).")
    rows = [(i, f"u{i}", "1", "title_abstract", "alice", "screener", action, "", "", "", "t", 0, "{}", version)
            for i, (action, version) in enumerate([("include", None), ("undo", None), ("note", "0.22.0"),
                                                   ("exclude", "0.22.0"), ("include", "0.21.5")], start=1)]
    # undone decisions count (the log holds them); notes do not; in the order each was first used
    assert recorded_versions(entries_from_rows(rows)) == (("", 1), ("0.22.0", 1), ("0.21.5", 1))


def test_an_older_logs_state_hash_is_kept() -> None:
    """Read as it is, a format-4 log's events carry an all-empty version column: the PRISMA
    state hash must be the one the older version computed (the cited hash of the same state)."""
    from screening.prisma.state import state_hash

    rows = [(1, "u1", "1", "title_abstract", "alice", "screener", "include", "", "", "", "t", 0, "{}")]
    with_column, without = entries_from_rows(rows), entries_from_rows(rows).drop(columns="tool_version")
    records = pd.DataFrame({"record_id": ["1"]})
    searches = pd.DataFrame(columns=["database", "interface", "query", "date_run", "limits", "records",
                                     "tool_version", "notes"])
    assert state_hash(records, with_column, searches, {}, {}) == state_hash(records, without, searches, {}, {})
    versioned = with_column.assign(tool_version=["0.22.0"])
    assert state_hash(records, versioned, searches, {}, {}) != state_hash(records, without, searches, {}, {})


def test_a_reader_never_writes_and_a_newer_format_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "decisions.sqlite"
    with SQLiteStore(db) as store:
        store.append([Event(record_id="r1", stage="title_abstract", reviewer="alice", action="include")])
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    from screening.errors import DecisionError

    with pytest.raises(DecisionError, match=r"log format 6; this version reads up to 5"):
        SQLiteStore(db)
    with pytest.raises(DecisionError, match="newer version"):
        load_entries(db)


# -- the dedup-review store (dedup_decisions.sqlite) has its own format: 3 records versions too --

_DEDUP_V2 = """
CREATE TABLE dedup_decisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, id_a TEXT NOT NULL, id_b TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('duplicate', 'distinct', 'reopen')), reviewer TEXT NOT NULL,
    decided_at TEXT NOT NULL, note TEXT NOT NULL DEFAULT '');
CREATE TRIGGER dedup_decisions_no_update BEFORE UPDATE ON dedup_decisions
BEGIN SELECT RAISE(ABORT, 'dedup decisions are append-only'); END;
CREATE TRIGGER dedup_decisions_no_delete BEFORE DELETE ON dedup_decisions
BEGIN SELECT RAISE(ABORT, 'dedup decisions are append-only'); END;
INSERT INTO dedup_decisions VALUES (1, 'a', 'b', 'duplicate', 'ana', '2025-01-01T00:00:00+00:00', 'groupé');
INSERT INTO dedup_decisions VALUES (4, 'c', 'd', 'distinct', 'bo', '2025-01-02T00:00:00+00:00', '');
PRAGMA user_version = 2;
"""


def test_the_dedup_store_records_versions_from_format_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from screening.dedup.store import load_decisions, record_decision, store_path
    from screening.errors import InputError

    path = store_path(tmp_path)
    con = sqlite3.connect(path)
    con.executescript(_DEDUP_V2)
    before = con.execute("SELECT * FROM dedup_decisions ORDER BY seq").fetchall()
    con.close()
    read = load_decisions(tmp_path)
    assert _user_version(path) == 2            # reading never migrates
    monkeypatch.setattr(screening, "__version__", "0.99.0")
    record_decision(tmp_path, "e", "f", "duplicate", "cy")
    con = sqlite3.connect(path)
    try:
        after = con.execute("SELECT * FROM dedup_decisions ORDER BY seq").fetchall()
        assert after == [(*row, None) for row in before] + [after[-1]]
        assert after[-1][0] == 5 and after[-1][-1] == "0.99.0"
        assert [m[1:4] for m in con.execute("SELECT * FROM migrations")] == [(2, 3, "0.99.0")]
        assert con.execute("PRAGMA user_version").fetchone()[0] == 3
    finally:
        con.close()
    assert_append_only(path, "migrations", "tool_version = '1'")
    # what is read is what was read before (the version is the file's, for an auditor)
    assert load_decisions(tmp_path).iloc[:2].equals(read)
    # a store from a later format is refused, not written to
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 4")
    con.commit()
    con.close()
    with pytest.raises(InputError, match=r"newer version of screening \(format 4; this version reads up to 3\)"):
        record_decision(tmp_path, "g", "h", "duplicate", "cy")
