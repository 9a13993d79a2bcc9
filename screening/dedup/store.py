"""Human decisions on maybe-pairs: an append-only SQLite log in the review's output folder.

``dedup_decisions.sqlite`` holds one row per decision (who, when, which pair, duplicate,
distinct or reopen). Rows are never updated or deleted, so the log is its own audit trail; the
latest decision per pair wins, and ``reopen`` withdraws the standing one (the matcher decides
again and a maybe-pair goes back to the queue). The dedup stage never opens this file: the runner (through the stage's
``load_inputs``) or the CLI reads it and passes the table in, and only ``dedup-review`` writes.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

import screening
from screening.decisions.log_schema import migrations_ddl, record_migration, split_sql
from screening.decisions.reader_open import open_reader
from screening.decisions.sqlite_trouble import is_busy, retry_while_locked
from screening.errors import DecisionError, InputError

STORE_NAME = "dedup_decisions.sqlite"
DECISIONS = ("duplicate", "distinct", "reopen")
# 1: no 'reopen' (stores written before it existed are migrated); 3: each new row records the
# screening version that wrote it (tool_version; NULL on older rows, never guessed), and the
# ``migrations`` table each change of format, as the decision log does (log format 5)
SCHEMA_VERSION = 3
# the columns read (the version is in the file, for an auditor): what the decisions are, so a
# review's state hash does not change with the version that wrote them
COLUMNS = ["seq", "id_a", "id_b", "decision", "reviewer", "decided_at", "note"]

_TABLE = """
CREATE TABLE IF NOT EXISTS dedup_decisions (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id_a       TEXT NOT NULL,
    id_b       TEXT NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('duplicate', 'distinct', 'reopen')),
    reviewer   TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    tool_version TEXT
);
"""
_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS dedup_decisions_no_update BEFORE UPDATE ON dedup_decisions
BEGIN SELECT RAISE(ABORT, 'dedup decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS dedup_decisions_no_delete BEFORE DELETE ON dedup_decisions
BEGIN SELECT RAISE(ABORT, 'dedup decisions are append-only'); END;
""" + migrations_ddl("dedup decisions are append-only: their migrations are history")


BUSY_WAIT_S = 30.0    # how long to wait for another process holding the store


def store_path(folder: str | Path) -> Path:
    return Path(folder) / STORE_NAME


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=BUSY_WAIT_S)

    def set_up() -> None:
        con.execute("PRAGMA journal_mode=WAL")
        version = con.execute("PRAGMA user_version").fetchone()[0]
        _check_not_newer(version, path)
        if version < SCHEMA_VERSION:
            _migrate(con, path)

    try:
        retry_while_locked(set_up, BUSY_WAIT_S)     # two processes creating the store at once
    except InputError:
        con.close()
        raise
    except sqlite3.Error as err:
        con.close()
        if is_busy(err):
            raise InputError(f"the dedup decision store is busy: another process kept it locked for "
                             f"{BUSY_WAIT_S:g} s; nothing in it was changed", path=path, hint="try again; if it persists, look for a hung `screening` process "
                                             "(do not move the file: it holds the pair decisions)") from None
        raise InputError(f"cannot open, create or update the dedup decision store: {err}", path=path,
                         hint="nothing in it was changed; check that the folder is writable and no "
                              "other program holds the file, or move the file aside") from None
    return con


def _check_not_newer(version: int, path: Path) -> None:
    if version > SCHEMA_VERSION:
        # as the decision log: an older tool must not add rows a newer one's format would misread
        raise InputError(f"the dedup decision store was written by a newer version of screening (format {version}; "
                         f"this version reads up to {SCHEMA_VERSION})", path=path,
                         hint="upgrade screening: pip install -U screening; nothing in the store was changed")


def _migrate(con: sqlite3.Connection, path: Path) -> None:
    """Create the store, or bring an older one up to date, in one transaction (if anything
    fails, the store stays as it was), and record it in ``migrations`` (format 0: created).

    A version-1 store's CHECK allows no 'reopen', and SQLite cannot alter a CHECK constraint:
    its rows move to a new table, keeping their sequence numbers. A version-2 store only gains
    the version column (ALTER TABLE: no row is rewritten; the old rows read NULL)."""
    con.execute("BEGIN IMMEDIATE")
    try:
        # read again under the lock: another process may have set the store up meanwhile
        version = con.execute("PRAGMA user_version").fetchone()[0]
        _check_not_newer(version, path)
        if version < SCHEMA_VERSION:
            columns = {row[1] for row in con.execute("PRAGMA table_info(dedup_decisions)")}
            # below version 2 an existing table is a version-1 one (version 2 set user_version)
            if columns and version < 2:
                for stmt in ("DROP TRIGGER IF EXISTS dedup_decisions_no_update",
                             "DROP TRIGGER IF EXISTS dedup_decisions_no_delete",
                             "ALTER TABLE dedup_decisions RENAME TO dedup_decisions_v1", _TABLE,
                             f"INSERT INTO dedup_decisions ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
                             "FROM dedup_decisions_v1 ORDER BY seq",
                             "DROP TABLE dedup_decisions_v1"):
                    con.execute(stmt)
            elif columns and "tool_version" not in columns:
                con.execute("ALTER TABLE dedup_decisions ADD COLUMN tool_version TEXT")
            else:
                con.execute(_TABLE)
            for stmt in split_sql(_TRIGGERS):
                con.execute(stmt)
            record_migration(con, version, SCHEMA_VERSION, screening.__version__,
                             datetime.now(timezone.utc).isoformat(timespec="microseconds"))
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


def record_decision(folder: str | Path, id_a: str, id_b: str, decision: str, reviewer: str,
                    note: str = "", when: datetime | None = None) -> int:
    """Append one decision; returns its ``seq``. The pair is stored in sorted order (a pair has
    no direction). ``reopen`` withdraws the pair's standing decision, so there must be one.
    ``note``: free text kept with the row (dedup-review puts the groups the pair stood for)."""
    return record_decisions(folder, [(id_a, id_b, decision, note)], reviewer, when)[0]


def record_decisions(folder: str | Path, rows: Sequence[tuple[str, str, str, str]], reviewer: str,
                     when: datetime | None = None) -> list[int]:
    """Append several decisions ``(id_a, id_b, decision, note)`` by one reviewer in one
    transaction, all or none; returns their ``seq`` in order. One transaction, not one per row:
    a bulk import of thousands of answers (``dedup-review --from``) took a connection and a
    sync per answer, and an error half-way left half of a file stored. Each row is checked as
    :func:`record_decision` checks one, before anything is written."""
    for id_a, id_b, decision, _ in rows:
        if decision not in DECISIONS:
            raise DecisionError(f"unknown dedup decision {decision!r}", record=f"{id_a}/{id_b}",
                                hint="use 'duplicate', 'distinct' or 'reopen'")
        if id_a == id_b:
            raise DecisionError("a record cannot be paired with itself", record=id_a)
    if not reviewer.strip():
        raise DecisionError("a dedup decision needs a reviewer name", hint="pass --reviewer NAME")
    stamp = (when or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    con = _connect(store_path(folder))
    try:
        with con:
            con.execute("BEGIN IMMEDIATE")      # the reopen checks and the inserts as one step
            seqs = []
            for id_a, id_b, decision, note in rows:
                a, b = sorted((str(id_a), str(id_b)))
                if decision == "reopen":
                    last = con.execute("SELECT decision FROM dedup_decisions WHERE id_a = ? AND id_b = ? "
                                       "ORDER BY seq DESC LIMIT 1", (a, b)).fetchone()
                    if last is None or last[0] == "reopen":
                        raise DecisionError("this pair has no standing decision to reopen", record=f"{a}/{b}",
                                            hint="`screening dedup-review` decides pairs; reopen withdraws one")
                cur = con.execute("INSERT INTO dedup_decisions (id_a, id_b, decision, reviewer, decided_at, note, "
                                  "tool_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  (a, b, decision, reviewer.strip(), stamp, note, screening.__version__))
                seqs.append(int(cur.lastrowid or 0))
            return seqs
    finally:
        con.close()


def _reader(path: Path) -> sqlite3.Connection:
    """A connection that only reads, opened as the decision log's reader opens it
    (:func:`screening.decisions.reader_open.open_reader`): read-write with writes refused
    (query_only) where it can be, so closing removes the -wal and -shm files reading makes; the
    file alone (immutable) where the folder cannot be written, which is the whole store only when
    no -wal file beside it holds answers not yet folded into it; where one does and SQLite cannot
    read it, an error that says so (immutable left those answers out without a word)."""
    return retry_while_locked(lambda: open_reader(path, int(BUSY_WAIT_S * 1000), name="the dedup decision store",
                                                  holds="pair decisions", error=InputError), BUSY_WAIT_S)


def load_decisions(folder: str | Path) -> pd.DataFrame:
    """Every stored decision in order (empty table when no store exists yet)."""
    path = store_path(folder)
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    try:
        con = _reader(path)
        try:
            df = pd.read_sql_query(f"SELECT {', '.join(COLUMNS)} FROM dedup_decisions ORDER BY seq", con)
        finally:
            con.close()
    except (sqlite3.DatabaseError, pd.errors.DatabaseError) as err:
        raise InputError(f"cannot read dedup decisions: {err}", path=path,
                         hint="the file is not a dedup decision store; move it aside") from None
    return df.astype({"id_a": object, "id_b": object, "decision": object, "reviewer": object})


def pair_key(a: str, b: str) -> tuple[str, str]:
    """A pair's key: its two ids in sorted order (a pair has no direction)."""
    return (a, b) if a <= b else (b, a)


def standing_rows(decisions: pd.DataFrame | None) -> dict[tuple[str, str], dict[str, Any]]:
    """The standing decision per pair (:func:`pair_key`) with its log row's ``seq`` and
    ``reviewer``: the latest row, unless that is a ``reopen`` (withdrawn: the matcher decides
    again). Rows in ``seq`` order when the log has it."""
    if decisions is None or len(decisions) == 0:
        return {}
    rows = decisions.sort_values("seq", kind="stable") if "seq" in decisions.columns else decisions
    seqs = rows["seq"].tolist() if "seq" in rows.columns else list(range(1, len(rows) + 1))
    who = rows["reviewer"].tolist() if "reviewer" in rows.columns else [""] * len(rows)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for a, b, d, s, r in zip(rows["id_a"], rows["id_b"], rows["decision"], seqs, who):
        key = pair_key(str(a), str(b))
        if str(d) == "reopen":
            out.pop(key, None)
        else:
            out[key] = {"decision": str(d), "seq": int(s), "reviewer": "" if pd.isna(r) else str(r)}
    return out


def latest_decisions(decisions: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    """Standing decision per pair from the stored log (columns id_a, id_b, decision, seq/decided_at):
    the latest one, unless that is a ``reopen``."""
    return {key: row["decision"] for key, row in standing_rows(decisions).items()}
