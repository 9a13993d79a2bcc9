"""The decision log's files on disk: a read-only folder, a log gone missing, a -wal file that
does not belong to the log, a damaged log (acceptance 32a D3-D6)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.store import Event, SQLiteStore
from screening.errors import DecisionError

ROOT = Path(__file__).resolve().parents[2]


def event(i: int, reviewer: str = "ana", note: str = "") -> Event:
    return Event(record_id=f"r{i}", stage="title_abstract", reviewer=reviewer, action="include", note=note)


def files(folder: Path) -> dict[str, str]:
    """The log's files in ``folder`` and a digest of each (not the -shm file: SQLite's index of the
    -wal, which every connection may rebuild)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.name.startswith("decisions.sqlite") and not p.name.endswith("-shm")}


def python(script: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(script)]


def kill_mid_session(db: Path, first: int, n: int, note: str = "") -> None:
    """A session that records ``n`` decisions and is killed (SIGKILL-like, ``os._exit``): they
    stay in ``decisions.sqlite-wal``."""
    subprocess.run(python(f"""
        import os
        from screening.decisions.store import Event, SQLiteStore
        store = SQLiteStore({str(db)!r})
        for i in range({first}, {first + n}):
            store.append([Event(record_id=f"r{{i}}", stage="title_abstract", reviewer="bo", action="include",
                                note={note!r})])
        os._exit(0)
        """), check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


# ---------------------------------------------------------------------------------------------
# D3: a read-only folder


def read_only_run(folder: Path, command: str) -> subprocess.CompletedProcess[str]:
    """``command`` (a shell line) run while ``folder`` cannot be written: ``chmod a-w`` for an
    ordinary user; as root (whom chmod does not stop), a read-only bind mount of the folder in a
    private mount namespace, as the acceptance tester did. Skipped where neither is possible."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if os.geteuid() != 0:
        mode = folder.stat().st_mode
        folder.chmod(mode & ~0o222)
        try:
            return subprocess.run(["sh", "-c", command], capture_output=True, text=True, cwd=ROOT, env=env,
                                  timeout=120)
        finally:
            folder.chmod(mode)
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed: no read-only folder for root")
    mount = f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder}"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"{mount} && ! touch {folder}/.probe"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"no read-only bind mount in this sandbox: {probe.stderr.strip()}")
    return subprocess.run(["unshare", "-m", "sh", "-c", f"{mount} && {command}"], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


READ_AND_WRITE = """
import json, sys
from screening.decisions.entries import load_entries
from screening.decisions.store import Event, SQLiteStore
from screening.errors import DecisionError
out = {}
try:
    out["read"] = sorted(load_entries(sys.argv[1])["record_id"])
except DecisionError as err:
    out["read_error"] = str(err)
try:
    store = SQLiteStore(sys.argv[1])
    store.append([Event(record_id="new", stage="title_abstract", reviewer="ana", action="include")])
    out["wrote"] = True
except DecisionError as err:
    out["write_error"] = str(err)
print(json.dumps(out))
"""


def read_and_write(folder: Path, db: Path) -> dict:
    done = read_only_run(folder, f"{sys.executable} -c '{READ_AND_WRITE}' {db}")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_read_only_folder_is_read_by_reading_commands_and_said_to_writing_ones(review: Path, db: Path) -> None:
    """Acceptance testing: with the review's output folder read-only (an archived review, a
    read-only share), every command, `status`, `export` and `prisma -o elsewhere` included, failed
    with 'unable to open database file — the file is not a screening decision log, or is damaged':
    SQLite cannot make the -wal and -shm files beside the log, and the read-only check looked for
    'readonly' only. Reading commands now read the log; writing ones say the folder is read-only."""
    with SQLiteStore(db) as store:
        store.append([Event(record_id=str(i), stage="title_abstract", reviewer="alice", action="include")
                      for i in (2, 3)])
    folder = db.parent
    before = files(folder)
    assert set(before) == {"decisions.sqlite"}          # closed: the file alone is the whole log

    got = read_and_write(folder, db)
    assert got["read"] == ["2", "3"]
    error = got["write_error"]
    assert "cannot be written here (a read-only file or folder)" in error and str(db) in error
    assert f"its folder, {folder}" in error and "nothing was recorded" in error
    assert "not a screening decision log" not in error
    assert files(folder) == before                      # nothing made, nothing changed

    done = read_only_run(folder, f"{sys.executable} -m screening status {review} && "
                                 f"{sys.executable} -m screening decide {review} -r alice --record 4 --include")
    assert "title_abstract" in done.stdout and "alice" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 6 and "cannot be written here" in done.stderr, done.stderr
    assert files(folder) == before


def test_a_read_only_folder_reads_a_killed_sessions_wal_or_says_it_cannot(review: Path, db: Path) -> None:
    """Acceptance testing (read-only folder): the file alone is read (``immutable``) only when no
    -wal file holds decisions not yet in it; a killed session's -wal is read with the log, and
    where SQLite cannot read it (no -shm file, which a read-only folder cannot get) the error says
    so rather than reporting the log without those decisions."""
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    kill_mid_session(db, 0, 3)
    folder = db.parent
    assert (folder / "decisions.sqlite-wal").stat().st_size > 0

    got = read_and_write(folder, db)
    assert got["read"] == ["2", "r0", "r1", "r2"]
    assert "cannot be written here" in got["write_error"]

    (folder / "decisions.sqlite-shm").unlink()
    got = read_and_write(folder, db)
    assert "read" not in got
    assert "decisions.sqlite-wal, holds decisions not yet in decisions.sqlite" in got["read_error"]
    assert "cannot read it here" in got["read_error"] and str(folder) in got["read_error"]


def test_a_folder_that_cannot_be_written_is_said_so_when_sqlite_says_unable_to_open(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Acceptance testing: SQLite says 'unable to open database file' when it cannot create the
    -wal or -shm file in a read-only folder; that was reported as 'the file is not a screening
    decision log, or is damaged', inviting a person to replace a sound log. (As root chmod does not
    stop writes, so SQLite's error is made here.)"""
    with SQLiteStore(db) as store:
        store.append([event(1)])
    real_access = os.access

    def unable_to_open(self: SQLiteStore) -> None:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(SQLiteStore, "_set_up", unable_to_open)
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **kw: (
        False if Path(p) == db.parent and mode == os.W_OK else real_access(p, mode, *a, **kw)))
    with pytest.raises(DecisionError) as err:
        SQLiteStore(db)
    assert err.value.message == "the decision log cannot be written here (a read-only file or folder)"
    assert err.value.path == str(db) and str(db.parent) in err.value.hint and "nothing was recorded" in err.value.hint
    assert err.value.exit_code == 6

    monkeypatch.setattr(os, "access", real_access)      # a folder that can be written: not read-only
    with pytest.raises(DecisionError) as err:
        SQLiteStore(db)
    assert "read-only" not in err.value.message and "unable to open database file" in err.value.message
    assert "not a screening decision log" not in err.value.hint


# ---------------------------------------------------------------------------------------------
# D4: a log gone missing


def leave_trace(folder: Path, trace: str) -> None:
    """What a review that had a log leaves in its output folder (each on its own)."""
    if trace == "rank":
        (folder / "rank.json").write_text(json.dumps({
            "stage": "rank", "counts": {"training_size": 12}, "parameters": {"prior_included": ["1"]},
            "details": {"stopping": {"screened": 9, "awaiting_settlement": 2}}}))
    elif trace == "history":
        # an older rank report without the stopping figures: the training labels beyond the priors
        lines = [{"time": "2026-01-02T10:00:00+00:00", "stage": "rank",
                  "report": {"stage": "rank", "counts": {"training_size": 7}, "parameters": {"prior_included": ["1"]}}},
                 {"time": "2026-01-03T10:00:00+00:00", "stage": "rank",
                  "report": {"stage": "rank", "counts": {"training_size": 0},
                             "details": {"stopping": {"screened": 0}}}}]
        (folder / "history.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    elif trace == "prisma":
        (folder / "prisma").mkdir()
        (folder / "prisma" / "prisma.json").write_text(json.dumps({"counts": {
            "title_abstract": {"total": 50, "done": 0, "open": 4}, "full_text": {"total": 0, "done": 0, "open": 0}}}))
    elif trace == "wal":
        (folder / "decisions.sqlite-wal").write_bytes(b"\0" * 64)


@pytest.mark.parametrize("trace", ["rank", "history", "prisma", "wal"])
def test_a_missing_log_the_outputs_show_existed_is_warned_of_and_not_started_afresh(
        review: Path, db: Path, cli, trace: str) -> None:
    """Acceptance testing: a deleted or moved decisions.sqlite restarted the review from zero
    without a word: `status` showed 0 screened, `run` rewrote PRISMA as 'not started', and the
    next `decide` or `screen` created a new, empty log (the dual-screening plan gone, so a single
    decision was final), although the output folder showed a log had existed."""
    from screening.runner import run_review

    leave_trace(db.parent, trace)
    warnings = api.status(review)[0]["warnings"]
    assert any("the decision log is missing, but the review had one" in w and str(db) in w for w in warnings), warnings
    code, out = cli("status", review)
    assert code == 0 and "the decision log is missing" in out

    with pytest.raises(DecisionError, match="the decision log is missing, but the review had one") as err:
        api.record_decision(review, reviewer="alice", record_id="2", action="include")
    assert "restore decisions.sqlite from a backup" in err.value.hint and "--new-log" in err.value.hint
    assert err.value.path == str(db) and "nothing was recorded" in err.value.hint
    code, out = cli("decide", review, "-r", "alice", "--record", "2", "--include")
    assert code == 6 and "the decision log is missing" in out
    with pytest.raises(DecisionError, match="the decision log is missing") as err:
        run_review(review)
    assert "nothing was run or written" in err.value.hint
    assert not db.exists()

    # on purpose: a new, empty log, and the review goes on from it
    code, out = cli("decide", review, "--new-log")
    assert code == 0 and "started a new, empty decision log" in out and db.exists()
    assert cli("decide", review, "--new-log")[0] == 6                  # there is one now
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    assert load_entries(db)["record_id"].tolist() == ["2"]
    assert not any("missing" in w for w in api.status(review)[0]["warnings"])


@pytest.mark.parametrize("command", ["log", "conflicts", "agreement"])
def test_log_conflicts_and_agreement_warn_of_a_missing_log_as_status_does(
        review: Path, db: Path, cli, command: str) -> None:
    """Code review: with decisions.sqlite gone but the outputs showing the review had one,
    `status`, `prisma` and `export` warned, but `log`, `conflicts` and `agreement` showed an
    empty history, no conflicts and no agreement without a word, as if nobody had screened."""
    leave_trace(db.parent, "rank")
    code, out = cli(command, review, "--as-adjudicator")
    assert code == 0
    said = " ".join(out.split())
    assert "warning: " in said and "the decision log is missing, but the review had one" in said, said
    assert str(db) in said and "rank.json reports 11 records people had decided" in said
    code, out = cli(command, review, "--as-adjudicator", "--json")    # scripts hear it too (on stderr)
    assert code == 0 and "the decision log is missing" in out
    assert api.missing_log_warnings(review) == api.status(review)[0]["warnings"][:1]
    assert not db.exists()                                 # reading made no new log

    with SQLiteStore(db) as store:                         # the log back: nothing to say
        store.append([event(1)])
    code, out = cli(command, review, "--as-adjudicator")
    assert code == 0 and "missing" not in out and api.missing_log_warnings(review) == []


def test_a_review_nobody_has_screened_starts_its_log_silently(review: Path, db: Path) -> None:
    """Review (acceptance 32a D4): a ranking on the rank section's priors alone, and a PRISMA
    report with nothing screened, are no sign of a log; the first decision creates it as before."""
    folder = db.parent
    (folder / "rank.json").write_text(json.dumps({
        "stage": "rank", "counts": {"training_size": 2},
        "parameters": {"prior_included": ["1"], "prior_excluded": ["3"]},
        "details": {"stopping": {"screened": 0, "awaiting_settlement": 0}}}))
    (folder / "prisma").mkdir()
    (folder / "prisma" / "prisma.json").write_text(json.dumps({"counts": {
        "title_abstract": {"total": 50, "done": 0, "open": 0}, "full_text": {"total": 0, "done": 0, "open": 0}}}))
    assert not any("missing" in w for w in api.status(review)[0]["warnings"])
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    assert load_entries(db)["record_id"].tolist() == ["2"]


# ---------------------------------------------------------------------------------------------
# D5: a -wal file beside a log restored from a backup


def test_a_stale_wal_beside_a_restored_backup_is_left_as_it_is_and_named(tmp_path: Path) -> None:
    """Acceptance testing: a session killed with its decisions in decisions.sqlite-wal, then
    decisions.sqlite restored from an older backup: the next *reading* command (`status`) folded
    that -wal into the older file and deleted it; the file was left malformed, the session's
    decisions were gone, and the error ('a review database failed: database disk image is
    malformed') named no file. Readers now change neither file, and the error names both."""
    db = tmp_path / "decisions.sqlite"
    note = "n" * 300                  # rows big enough for the later ones to reshape the table's tree
    with SQLiteStore(db) as store:
        store.append([event(i, note=note) for i in range(5)])
    backup = db.read_bytes()          # backed up with no session open, as the README says
    with SQLiteStore(db) as store:
        store.append([event(i, note=note) for i in range(5, 300)])
    kill_mid_session(db, 300, 60, note)
    written_with = db.read_bytes()
    db.write_bytes(backup)            # "restore the backup", the -wal left beside it
    before = files(tmp_path)
    assert (tmp_path / "decisions.sqlite-wal").stat().st_size > 0

    with pytest.raises(DecisionError) as err:
        load_entries(db)
    assert err.value.path == str(db) and "malformed" in err.value.message
    assert "decisions.sqlite-wal" in err.value.message
    assert "restore decisions.sqlite and its -wal file together" in err.value.hint
    assert files(tmp_path) == before                   # neither folded in nor deleted
    with pytest.raises(DecisionError, match="malformed"):  # nor by a writer
        SQLiteStore(db)
    assert files(tmp_path) == before

    db.write_bytes(written_with)      # the file the -wal was written with: every decision is there
    assert len(load_entries(db)) == 360


def test_a_reader_leaves_a_killed_sessions_wal_to_the_next_writer(tmp_path: Path) -> None:
    """Acceptance testing (D5): reading commands must leave the log's files as they are, so a
    reader reads a killed session's -wal with the log without folding it in; the next command
    that writes folds it in. A reader that found no -wal leaves none behind."""
    db = tmp_path / "decisions.sqlite"
    with SQLiteStore(db) as store:
        store.append([event(0)])
    assert len(load_entries(db)) == 1
    assert set(files(tmp_path)) == {"decisions.sqlite"}     # no -wal or -shm left by reading
    kill_mid_session(db, 1, 3)
    before = files(tmp_path)
    assert load_entries(db)["record_id"].tolist() == ["r0", "r1", "r2", "r3"]
    assert files(tmp_path) == before
    with SQLiteStore(db) as store:
        store.append([event(9)])
    wal = tmp_path / "decisions.sqlite-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(db.read_bytes())                       # the file alone is the whole log again
    assert len(load_entries(copy)) == 5


# ---------------------------------------------------------------------------------------------
# D6: a damaged log


def test_a_truncated_log_is_said_to_be_damaged_not_a_full_disk(tmp_path: Path) -> None:
    """Acceptance testing: a truncated decisions.sqlite got 'free disk space or check the disk,
    then run the command again' ('database disk image is malformed' contains 'disk'): running
    the command again cannot help; the log must be restored from a backup."""
    from screening.cli._app import system_error
    from screening.decisions.sqlite_trouble import disk_trouble

    db = tmp_path / "decisions.sqlite"
    with SQLiteStore(db) as store:
        store.append([event(i, note="n" * 500) for i in range(100)])
    data = db.read_bytes()
    db.write_bytes(data[:len(data) // 2])
    for open_it in (load_entries, SQLiteStore):
        with pytest.raises(DecisionError) as err:
            open_it(db)
        assert "malformed" in err.value.message and err.value.path == str(db)
        assert "damaged" in err.value.hint and "restore decisions.sqlite from a backup" in err.value.hint
        assert "disk space" not in err.value.hint
    assert db.stat().st_size == len(data) // 2

    assert not disk_trouble(sqlite3.DatabaseError("database disk image is malformed"))
    assert disk_trouble(sqlite3.OperationalError("database or disk is full"))
    assert disk_trouble(sqlite3.OperationalError("disk I/O error"))
    said = system_error(sqlite3.DatabaseError("database disk image is malformed"))   # any other database
    assert said is not None and "restore it from a backup" in said.hint and "disk space" not in said.hint
    said = system_error(sqlite3.OperationalError("database or disk is full"))
    assert said is not None and "free disk space" in said.hint


def test_an_empty_log_file_is_a_lost_log_not_a_new_one(review: Path, db: Path, cli) -> None:
    """Acceptance 36b: a decisions.sqlite of 0 bytes (a copy cut short on a full disk, a cloud-sync
    placeholder, a '>' by mistake) was taken for a new, empty log: `status` showed 0 screened and
    `decide` wrote a fresh log into it, while a *missing* log was warned of and refused."""
    from screening.runner import run_review

    leave_trace(db.parent, "rank")
    db.write_bytes(b"")
    warnings = api.status(review)[0]["warnings"]
    assert any("the decision log is empty (0 bytes), but the review had one" in w for w in warnings), warnings
    with pytest.raises(DecisionError, match=r"the decision log is empty \(0 bytes\), but the review had one"):
        api.record_decision(review, reviewer="alice", record_id="2", action="include")
    with pytest.raises(DecisionError, match="is empty"):
        run_review(review)
    assert db.read_bytes() == b""                                       # left as it was
    code, out = cli("decide", review, "--new-log")                      # on purpose, as for a missing one
    assert code == 0 and db.stat().st_size > 0
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    assert load_entries(db)["record_id"].tolist() == ["2"]


def test_an_empty_log_file_without_traces_is_simply_a_new_log(review: Path, db: Path) -> None:
    """Nothing shows a log existed: an empty file is where the first decision goes, as before."""
    db.write_bytes(b"")
    assert not any("decision log" in w for w in api.status(review)[0]["warnings"])
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    assert load_entries(db)["record_id"].tolist() == ["2"]
