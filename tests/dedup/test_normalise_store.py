"""Matching keys, the chaining guard and the append-only decision store."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from screening.dedup.cluster import Grouper, Link
from screening.dedup.compare import pages_agree
from screening.dedup.normalise import issue_column_trusted, keys_for_table, record_keys
from screening.dedup.title_keys import strip_annotations, strip_citation_suffix
from screening.dedup.store import load_decisions, record_decision, store_path
from screening.errors import DecisionError, InputError


def test_medline_annotations_and_erratum_citations_are_not_title_words():
    assert strip_annotations("[Current aspects of hemolytic uremic syndrome in children]. [Review] [16 refs] [Romanian]") \
        .startswith("Current aspects of hemolytic uremic syndrome in children")
    assert strip_annotations("Timing of chest tube removal.[Erratum appears in J Card Surg. 2005;20(3):310]") \
        == "Timing of chest tube removal."
    assert strip_citation_suffix("Eculizumab for Atypical Hemolytic-Uremic Syndrome (vol 360, pg 542, 2009)") \
        == "Eculizumab for Atypical Hemolytic-Uremic Syndrome"
    assert strip_citation_suffix("Outcomes after surgery (2009-2012)") == "Outcomes after surgery (2009-2012)"


def test_part_numbers_and_kinds():
    one = record_keys("Personality trait dependent performance under psilocybin", [], 1970, "", "", "", "", "", "", "")
    two = record_keys("Personality trait dependent performance under psilocybin II", [], 1970, "", "", "", "", "", "", "")
    assert one.numbers != two.numbers
    iv = record_keys("IV fluids in sepsis", [], 2000, "", "", "", "", "", "", "")
    assert iv.numbers == frozenset()            # 'IV' (intravenous) is not a part number
    err = record_keys("Erratum: Gain-of-function mutations in complement factor B", [], 2007, "", "", "", "", "", "", "")
    assert "erratum" in err.kinds
    imm = record_keys("Immune response to vaccination", [], 2007, "", "", "", "", "", "", "")
    assert imm.kinds == frozenset()             # 'response' alone is not a reply


def test_page_forms():
    k = lambda p: record_keys("t", [], None, "", "", "", "", p, "", "")
    assert pages_agree(k("1350-6"), k("1350-1356"))
    assert pages_agree(k("569"), k("567-569"))
    assert not pages_agree(k("246-250"), k("250-254"))     # adjacent articles
    assert k("01-Jun").first_page == ""                     # a spreadsheet date, not pages


def test_record_numbers_in_the_issue_column_are_ignored():
    assert not issue_column_trusted([str(n) for n in range(100, 400)])
    assert issue_column_trusted([str(n % 12 + 1) for n in range(300)])


def test_groups_are_not_chained_through_a_weak_link(pairs_table):
    """A~B and B~C must not put A and C together when A and C carry different DOIs of one registrant."""
    rows = pairs_table[pairs_table["pair"] == "20"].reset_index(drop=True)     # HICSS 2021 / 2022
    rows = pd.concat([rows, rows.iloc[[0]]], ignore_index=True)
    rows.loc[2, "record_id"], rows.loc[2, "doi"], rows.loc[2, "year"] = "bridge", "", None
    keys = keys_for_table(rows)
    links = [Link(0, 2, 0.99, "title+authors+year"), Link(1, 2, 0.98, "title+authors+year")]
    grouper = Grouper(3, keys, np.arange(3), cannot_link=set(), old=np.zeros(3, dtype=bool))
    grouper.apply(links)
    root = grouper.roots()
    assert root[0] == root[2] and root[1] != root[0]


def test_store_is_append_only(tmp_path):
    record_decision(tmp_path, "b", "a", "duplicate", "ana")
    record_decision(tmp_path, "a", "b", "distinct", "bo")
    log = load_decisions(tmp_path)
    assert log[["id_a", "id_b", "decision", "reviewer"]].values.tolist() == [
        ["a", "b", "duplicate", "ana"], ["a", "b", "distinct", "bo"]]
    con = sqlite3.connect(store_path(tmp_path))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM dedup_decisions")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE dedup_decisions SET decision = 'duplicate'")
    con.close()
    with pytest.raises(DecisionError):
        record_decision(tmp_path, "a", "b", "perhaps", "ana")
    with pytest.raises(DecisionError):
        record_decision(tmp_path, "a", "b", "duplicate", " ")


def _version_1_store(folder) -> sqlite3.Connection:
    """A store as written before 'reopen' existed (CHECK allows two decisions), with two rows."""
    con = sqlite3.connect(store_path(folder))
    con.executescript("""
        CREATE TABLE dedup_decisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, id_a TEXT NOT NULL,
            id_b TEXT NOT NULL, decision TEXT NOT NULL CHECK (decision IN ('duplicate', 'distinct')),
            reviewer TEXT NOT NULL, decided_at TEXT NOT NULL, note TEXT NOT NULL DEFAULT '');
        CREATE TRIGGER dedup_decisions_no_delete BEFORE DELETE ON dedup_decisions
        BEGIN SELECT RAISE(ABORT, 'dedup decisions are append-only'); END;
        INSERT INTO dedup_decisions VALUES (1, 'a', 'b', 'duplicate', 'ana', '2025-01-01T00:00:00+00:00', 'x');
        INSERT INTO dedup_decisions VALUES (5, 'c', 'd', 'distinct', 'bo', '2025-01-02T00:00:00+00:00', '');
    """)
    return con


def test_a_store_from_before_reopen_is_migrated_in_place(tmp_path):
    """Version-1 stores (CHECK without 'reopen') keep every row and sequence number."""
    from screening.dedup.store import latest_decisions

    _version_1_store(tmp_path).close()
    record_decision(tmp_path, "b", "a", "reopen", "cy")
    log = load_decisions(tmp_path)
    assert log[["seq", "id_a", "decision", "reviewer", "note"]].values.tolist() == [
        [1, "a", "duplicate", "ana", "x"], [5, "c", "distinct", "bo", ""], [6, "a", "reopen", "cy", ""]]
    assert latest_decisions(log) == {("c", "d"): "distinct"}
    con = sqlite3.connect(store_path(tmp_path))
    assert con.execute("PRAGMA user_version").fetchone()[0] == 3
    assert {r[0] for r in con.execute("SELECT name FROM sqlite_master")} >= {
        "dedup_decisions", "dedup_decisions_no_update", "dedup_decisions_no_delete"}
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE dedup_decisions SET note = 'y'")
    con.close()
    with pytest.raises(DecisionError, match="no standing decision"):
        record_decision(tmp_path, "a", "b", "reopen", "cy")       # already reopened


def test_a_failed_migration_changes_nothing_and_says_what_to_do(tmp_path, monkeypatch):
    import screening.dedup.store as store_mod
    from screening.errors import InputError

    monkeypatch.setattr(store_mod, "BUSY_WAIT_S", 0.3)
    con = _version_1_store(tmp_path)
    con.execute("BEGIN EXCLUSIVE")            # another program holds the file
    try:
        with pytest.raises(InputError, match="busy: another process kept it locked .* nothing in it was changed"):
            record_decision(tmp_path, "a", "b", "reopen", "cy")
    finally:
        con.rollback()
        con.close()
    con = sqlite3.connect(store_path(tmp_path))
    assert con.execute("PRAGMA user_version").fetchone()[0] == 0
    assert "'reopen'" not in con.execute("SELECT sql FROM sqlite_master WHERE name = 'dedup_decisions'").fetchone()[0]
    con.close()
    record_decision(tmp_path, "a", "b", "reopen", "cy")       # once the file is free, it migrates
    assert load_decisions(tmp_path)["decision"].tolist() == ["duplicate", "distinct", "reopen"]


def test_reading_the_store_leaves_no_wal_files_behind(tmp_path):
    """Reading through a mode=ro connection left dedup_decisions.sqlite-wal and -shm beside the
    store after every run (a read-only connection cannot remove them)."""
    record_decision(tmp_path, "a", "b", "duplicate", "ann")
    assert len(load_decisions(tmp_path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dedup_decisions.sqlite"]
    from screening.dedup.store import _reader

    con = _reader(store_path(tmp_path))               # it reads, and only reads
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        con.execute("DELETE FROM dedup_decisions")
    con.close()


def test_a_damaged_store_is_an_input_error_naming_it(tmp_path):
    store_path(tmp_path).write_bytes(b"not a database, just bytes " * 100)
    with pytest.raises(InputError, match="cannot read dedup decisions") as err:
        load_decisions(tmp_path)
    assert err.value.path == str(store_path(tmp_path))


def test_a_store_that_cannot_be_opened_for_writing_is_read_as_immutable(tmp_path, monkeypatch):
    """(What a read-only folder does, for a test run as root, which can write anyway.) Code
    review: the read-write open succeeds there and the first read fails wanting the -shm file;
    the reader must notice at once and fall back, not fail in pandas with a raw error."""
    from screening.dedup import store

    record_decision(tmp_path, "a", "b", "duplicate", "ann")
    real = sqlite3.connect
    opened = []

    class NoWrites:
        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args):
            if sql.startswith("SELECT"):
                raise sqlite3.OperationalError("attempt to write a readonly database")
            return self.con.execute(sql, *args)

        def close(self):
            self.con.close()

    def connect(database, **kw):
        opened.append(database)
        con = real(database, **kw)
        return NoWrites(con) if "mode=rw" in str(database) else con

    monkeypatch.setattr(store.sqlite3, "connect", connect)
    assert list(load_decisions(tmp_path)["decision"]) == ["duplicate"]
    assert [u.split("?")[1] for u in opened] == ["mode=rw", "mode=ro&immutable=1"]


def test_a_new_store_opened_by_two_processes_at_once_is_retried(tmp_path, monkeypatch):
    """As the decision log: SQLite's WAL switch on a brand-new file fails at once with
    'database is locked' when another process opens it at the same moment."""
    import screening.dedup.store as store_mod
    from tests.decisions.test_store import LockedAtFirst

    real = sqlite3.connect
    monkeypatch.setattr(store_mod.sqlite3, "connect", lambda *a, **k: LockedAtFirst(real(*a, **k), 2))
    record_decision(tmp_path, "a-1", "b-1", "duplicate", "carol")
    monkeypatch.undo()
    assert len(load_decisions(tmp_path)) == 1
