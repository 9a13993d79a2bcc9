"""The decision log's schema: its tables, their CHECK constraints and append-only triggers,
the format version, and the migration an older log needs.

Why apart from :mod:`.store`: the store is how the package reads and writes a log; this is
what a log *is*, which changes only with the format version (and which an auditor reading
``decisions.sqlite`` with any SQLite client may want to see in one place).
"""

from __future__ import annotations

import sqlite3

STAGES: tuple[str, ...] = ("title_abstract", "full_text")
ROLES: tuple[str, ...] = ("screener", "adjudicator")
ACTIONS: tuple[str, ...] = (
    "include", "exclude", "maybe", "undo", "note", "not_retrieved", "attach_report", "assign",
    "link_study",
)
DECISION_ACTIONS: frozenset[str] = frozenset({"include", "exclude", "maybe", "not_retrieved"})

# the events' columns up to format 4, which :func:`migrate_from_1` copies
V1_COLUMNS: tuple[str, ...] = (
    "id", "event_uuid", "record_id", "stage", "reviewer", "role", "action", "reason", "note",
    "ranking_id", "created_at", "is_demo", "payload",
)
# ``tool_version``: the screening version that wrote the event (NULL: written before format 5)
COLUMNS: tuple[str, ...] = (*V1_COLUMNS, "tool_version")

# 1: the first log; 2: 'link_study' (a report of another record's study) joins the actions;
# 3: the ``stops`` table (the team's decisions to stop screening, :mod:`.stops`); 4: the
# ``samples`` table (the records a stopping sample is drawn from, :mod:`.sample_frames`); 5: every
# new row of events, stops and samples records the screening version that wrote it
# (``tool_version``: an auditor can tell which ranker and stopping test a decision was made
# under), and the ``migrations`` table records each change of format (from, to, by which
# version, when). Rows written before format 5 keep NULL there: their version is not known, and
# is never guessed. SQLite cannot change a CHECK constraint in place, so :func:`migrate_from_1`
# copies the events into a new table in one transaction (every id, uuid and timestamp kept); a
# new table or column needs no copy. An older tool refuses a newer log, so it cannot report a
# stopped review as if nobody had stopped it, nor add rows that say no version.
SCHEMA_VERSION = 5
STOP_ACTIONS: tuple[str, ...] = ("stop", "resume")
STOP_COLUMNS: tuple[str, ...] = ("id", "event_uuid", "stage", "reviewer", "action", "note", "created_at", "payload")
SAMPLE_COLUMNS: tuple[str, ...] = ("id", "event_uuid", "stage", "reviewer", "created_at", "payload")
# the tables whose rows record the version that wrote them (a ``tool_version`` column)
VERSIONED_TABLES: tuple[str, ...] = ("events", "stops", "samples")
MIGRATION_COLUMNS: tuple[str, ...] = ("id", "from_format", "to_format", "tool_version", "migrated_at")


def _versioned(table: str) -> str:
    """A trigger refusing a new row of ``table`` that says no version: NULL must keep meaning
    'written before format 5' (another program writing to the file must say its version too)."""
    return (f"CREATE TRIGGER IF NOT EXISTS {table}_versioned BEFORE INSERT ON {table}\n"
            "WHEN NEW.tool_version IS NULL OR NEW.tool_version = ''\n"
            "BEGIN SELECT RAISE(ABORT, 'a new row of the decision log records the screening version that wrote it "
            "(tool_version)'); END;")



def migrations_ddl(refusal: str) -> str:
    """The ``migrations`` table of a store (each change of its format: from, to, the screening
    version that made it, UTC time) and its append-only triggers, which refuse a change with
    ``refusal``. The decision log and the dedup-review store each keep one."""
    return f"""CREATE TABLE IF NOT EXISTS migrations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    from_format  INTEGER NOT NULL,
    to_format    INTEGER NOT NULL,
    tool_version TEXT NOT NULL,
    migrated_at  TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS migrations_no_update BEFORE UPDATE ON migrations
BEGIN SELECT RAISE(ABORT, '{refusal}'); END;
CREATE TRIGGER IF NOT EXISTS migrations_no_delete BEFORE DELETE ON migrations
BEGIN SELECT RAISE(ABORT, '{refusal}'); END;"""


def record_migration(conn: sqlite3.Connection, from_format: int, to_format: int, tool_version: str, at: str) -> None:
    """One row of ``migrations`` (see :func:`migrations_ddl`), inside the caller's transaction."""
    conn.execute("INSERT INTO migrations (from_format, to_format, tool_version, migrated_at) VALUES (?, ?, ?, ?)",
                 (from_format, to_format, tool_version, at))

DDL = f"""
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
    payload     TEXT NOT NULL DEFAULT '{{}}',
    tool_version TEXT
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
    payload     TEXT NOT NULL DEFAULT '{{}}',
    tool_version TEXT
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
    payload     TEXT NOT NULL DEFAULT '{{}}',
    tool_version TEXT
);
CREATE TRIGGER IF NOT EXISTS samples_no_update BEFORE UPDATE ON samples
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: draw a new sample instead'); END;
CREATE TRIGGER IF NOT EXISTS samples_no_delete BEFORE DELETE ON samples
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: draw a new sample instead'); END;
{migrations_ddl("the decision log is append-only: its migrations are history")}
{chr(10).join(_versioned(t) for t in VERSIONED_TABLES)}
"""


def migrate(conn: sqlite3.Connection, version: int, tool_version: str, at: str) -> None:
    """Bring a log of format ``version`` (0: a new file) to :data:`SCHEMA_VERSION` inside the
    caller's transaction, and record it in ``migrations`` (0 -> 5 says which version created
    the log). One step and one row however old the log: the tables are what they are, not
    the formats in between. A table already there keeps every row as it was (a column added
    by ALTER TABLE reads NULL on them: no row is rewritten)."""
    if version == 1:
        migrate_from_1(conn)
    for table in VERSIONED_TABLES:
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if columns and "tool_version" not in columns:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN tool_version TEXT")
    for stmt in split_sql(DDL):
        conn.execute(stmt)
    record_migration(conn, version, SCHEMA_VERSION, tool_version, at)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def migrate_from_1(conn: sqlite3.Connection) -> None:
    """Version 1 -> 2 inside the caller's transaction: the events move to a table whose
    CHECK allows the new action. The append-only triggers are dropped with the old table
    and recreated by the DDL; DROP TABLE fires no DELETE trigger."""
    columns = ", ".join(V1_COLUMNS)
    conn.execute("DROP TRIGGER IF EXISTS events_no_update")
    conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
    conn.execute("DROP INDEX IF EXISTS events_record")
    conn.execute("ALTER TABLE events RENAME TO events_v1")
    for stmt in split_sql(DDL):
        if stmt.lstrip().upper().startswith("CREATE TABLE"):
            conn.execute(stmt)
    conn.execute(f"INSERT INTO events ({columns}) SELECT {columns} FROM events_v1 ORDER BY id")
    # the AUTOINCREMENT counter goes on from where it was, so no id is ever reused
    conn.execute("UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence "
                 "WHERE name = 'events_v1'), 0)) WHERE name = 'events'")
    conn.execute("DROP TABLE events_v1")          # its sqlite_sequence row goes with it


def split_sql(script: str) -> list[str]:
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
