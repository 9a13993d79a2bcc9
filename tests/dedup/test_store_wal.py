"""The dedup decision store read in a folder that cannot be written, with a -wal file beside it
holding answers not yet folded into the file (a `dedup-review` killed while another process had
the store open)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from screening.dedup.store import load_decisions, record_decision, store_path
from tests.decisions.test_log_files import ROOT, read_only_run


def kill_with_answers_in_wal(folder: Path) -> None:
    """Two answers recorded while another connection has the store open (so closing folds
    nothing into the file), then the process killed (``os._exit``): both stay in the -wal file,
    whose pages are committed."""
    subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import os, sqlite3
        from screening.dedup.store import record_decision, store_path
        holder = sqlite3.connect(store_path({str(folder)!r}))
        holder.execute("PRAGMA wal_autocheckpoint=0")
        holder.execute("SELECT count(*) FROM dedup_decisions").fetchone()
        record_decision({str(folder)!r}, "c", "d", "distinct", "bo")
        record_decision({str(folder)!r}, "e", "f", "duplicate", "bo")
        os._exit(0)
        """)], check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


READ = """
import json, sys
from screening.dedup.store import load_decisions
from screening.errors import ScreeningError
try:
    print(json.dumps({"read": sorted(load_decisions(sys.argv[1])["id_a"])}))
except ScreeningError as err:
    print(json.dumps({"error": str(err), "exit_code": err.exit_code}))
"""


def read_read_only(folder: Path) -> dict:
    done = read_only_run(folder, f"{sys.executable} -c '{READ}' {folder}")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_read_only_folder_reads_the_stores_wal_or_says_it_cannot(tmp_path: Path) -> None:
    """Code review: in a folder it could not write, the store's reader fell back to reading the
    file alone (``immutable=1``) without looking for a -wal file beside it, so answers a killed
    `dedup-review` left in the -wal were silently missing (their pairs back in the queue, the
    dedup stage deciding them again). As the decision log's reader: the -wal is read with the
    file where SQLite can (its -shm file is there), and where it cannot the error says so."""
    record_decision(tmp_path, "a", "b", "duplicate", "ann")         # folded into the file (closed)
    kill_with_answers_in_wal(tmp_path)
    wal = tmp_path / "dedup_decisions.sqlite-wal"
    assert wal.stat().st_size > 0 and (tmp_path / "dedup_decisions.sqlite-shm").exists()
    wal_bytes = wal.read_bytes()

    assert read_read_only(tmp_path) == {"read": ["a", "c", "e"]}

    (tmp_path / "dedup_decisions.sqlite-shm").unlink()               # a read-only copy without it
    got = read_read_only(tmp_path)
    assert "read" not in got, got
    assert "dedup_decisions.sqlite-wal, holds pair decisions not yet in dedup_decisions.sqlite" in got["error"]
    assert "cannot read it here" in got["error"] and str(tmp_path) in got["error"]
    assert got["exit_code"] == 2
    assert wal.read_bytes() == wal_bytes                             # nothing was changed

    # where the folder can be written, every answer is there (and the reader folded nothing in)
    assert sorted(load_decisions(tmp_path)["id_a"]) == ["a", "c", "e"]
    assert store_path(tmp_path).exists()
