"""`screening screen` in a real pseudo-terminal (pexpect): keys, reason picker, undo, note,
resume, rank order, highlighting and blinding."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pexpect

from screening.decisions import api
from screening.decisions.entries import load_entries

ROOT = Path(__file__).resolve().parents[2]


def spawn(review: Path, reviewer: str, *extra: str, command: str = "screen") -> pexpect.spawn:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "160", "LINES": "60", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    # Ctrl-C as on a terminal: a job started in the background by a non-interactive shell (a CI
    # script) ignores SIGINT, and the child would inherit that (acceptance testing, session 25)
    start = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); " \
            "from screening.cli import main; main()"
    child = pexpect.spawn(sys.executable, ["-c", start, command,
                                           str(review), "--reviewer", reviewer, *extra],
                          env=env, encoding="utf-8", timeout=30, dimensions=(60, 160))
    return child


def finish(child: pexpect.spawn) -> None:
    """The program ends by itself with exit status 0."""
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def expect_record(child: pexpect.spawn, rid: str) -> str:
    child.expect(rf"record {rid}(\x1b\[[0-9;]*m)*\r?\n")
    head = child.before
    child.expect(r"\[q\] quit")
    return head + child.before


def test_keys_reason_picker_undo_note_resume(review: Path, db: Path, in_play: list[str]) -> None:
    child = spawn(review, "alice")
    expect_record(child, "2")                      # the ranker's order: record 2 has rank 1
    child.send("i")
    screen = expect_record(child, "1")
    assert "\x1b[" in screen and "testosterone" in screen.lower()   # rule terms highlighted
    assert "1 decided · 49 left in your queue · 50 in this stage" in screen
    if importlib.util.find_spec("screening.ml.stopping") is not None:   # another module's estimate
        assert "stopping rule:" in screen
    child.send("e")
    child.expect("Reason for exclusion")
    child.expect("2 wrong intervention")
    child.send("2")
    expect_record(child, in_play[2])
    child.send("u")                                # undo brings record 1 back
    child.expect("undid exclude on 1")
    expect_record(child, "1")
    child.send("m")
    expect_record(child, in_play[2])
    child.send("n")
    child.expect("note: ")
    child.sendline("check the dose")
    child.expect("note added")
    child.send("s")                                # skip: not decided
    expect_record(child, in_play[3])
    child.send("x")
    child.expect("unknown key")
    child.send("q")
    child.expect("session ended")
    finish(child)

    e = load_entries(db)
    got = [(r.record_id, r.action, r.reason, r.note) for r in e.itertuples()]
    assert got == [("2", "include", "", ""), ("1", "exclude", "wrong intervention", ""),
                   ("1", "undo", "", ""), ("1", "maybe", "", ""), (in_play[2], "note", "", "check the dose")]
    assert set(e["ranking_id"]) == {"static-tfidf-lr-test"}   # the table's ranking, not retrained (no [rank])

    # resume: decided records are not shown again; the skipped one comes back first
    child = spawn(review, "alice")
    expect_record(child, in_play[2])
    child.send("q")
    child.expect(pexpect.EOF)


def test_full_text_reason_required_and_report_keys(review: Path, db: Path) -> None:
    for rid in ("1", "2", "3"):
        api.record_decision(review, reviewer="bob", record_id=rid, action="include")
    child = spawn(review, "alice", "--stage", "full_text")
    expect_record(child, "2")
    child.send("e")
    child.expect("Reason for exclusion \\(required\\)")
    child.send("\r")
    # beside the prompt, after the reason list: above the record a long abstract scrolled it away
    child.expect("Esc or q cancel")
    child.expect("» a reason is required")
    child.send("4")
    expect_record(child, "1")
    child.send("a")
    child.expect("report path or URL: ")
    child.sendline("https://example.org/1.pdf")
    child.expect("report attached")
    child.send("i")
    expect_record(child, "3")
    child.send("r")
    child.expect("nothing left to screen")
    child.expect(pexpect.EOF)
    e = load_entries(db)
    ft = e[e["stage"] == "full_text"]
    assert [(r.record_id, r.action, r.reason) for r in ft.itertuples()] == [
        ("2", "exclude", "wrong study design"), ("1", "attach_report", ""), ("1", "include", ""),
        ("3", "not_retrieved", "")]
    assert '"report": "https://example.org/1.pdf"' in ft.iloc[1]["payload"]


def test_screen_is_blind(review: Path) -> None:
    api.assign(review, "alice,bob")
    api.record_decision(review, reviewer="bob", record_id="2", action="exclude",
                        reason="wrong outcome", note="BOBSECRET")
    child = spawn(review, "alice")
    screen = expect_record(child, "2")             # dual-assigned: alice still screens it
    child.send("q")
    child.expect(pexpect.EOF)
    text = screen + child.before
    assert "BOBSECRET" not in text and "bob" not in text.lower() and "wrong outcome" not in text


def test_line_input_fallback_without_a_tty(review: Path, db: Path) -> None:
    import subprocess

    res = subprocess.run([sys.executable, "-c", "from screening.cli import main; main()", "screen", str(review),
                          "--reviewer", "zoe"], input="i\ne\n1\nq\n", text=True, capture_output=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "160"}, timeout=120)
    assert res.returncode == 0, res.stderr
    e = load_entries(db)
    assert [(r.record_id, r.action, r.reason) for r in e.itertuples()] == [
        ("2", "include", ""), ("1", "exclude", "wrong population")]


def _piped(review: Path, command: str, reviewer: str, stdin: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from screening.cli import main; main()", command, str(review),
                           "--reviewer", reviewer, *extra], input=stdin, text=True, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "160"}, timeout=120)


def test_the_end_of_piped_input_ends_every_prompt(review: Path, db: Path) -> None:
    """Acceptance testing (session 16): input ending at the reason prompt read as 'q', which the
    prompt rejected and asked again, forever at 100 % CPU (title/abstract, full text, adjudication)."""
    res = _piped(review, "screen", "zoe", "e\n")
    assert res.returncode == 0 and "end of input: session ended (the pending exclusion was not recorded)" in res.stdout
    for rid in ("1", "2"):
        api.record_decision(review, reviewer="bob", record_id=rid, action="include")
    res = _piped(review, "screen", "zoe", "e\n", "--stage", "full_text")
    assert res.returncode == 0 and "end of input" in res.stdout
    res = _piped(review, "screen", "zoe", "l\n", "--stage", "full_text")        # in the link prompt
    assert res.returncode == 0 and "end of input: session ended" in res.stdout
    # 'q' at the reason prompt goes back to the record, as Esc does
    res = _piped(review, "screen", "zoe", "e\nq\nq\n")
    assert res.returncode == 0 and "cancelled" in res.stdout
    api.assign(review, "alice,bob")
    api.record_decision(review, reviewer="alice", record_id="3", action="include")
    api.record_decision(review, reviewer="bob", record_id="3", action="exclude", reason="wrong outcome")
    res = _piped(review, "adjudicate", "carol", "e\n")
    assert res.returncode == 0 and "end of input" in res.stdout, res.stdout + res.stderr
    assert not [r for r in load_entries(db).itertuples() if r.reviewer in ("zoe", "carol")]


def test_adjudicate_walk_takes_single_keys(review: Path, db: Path) -> None:
    """On a terminal the adjudicator answers with one key, as in `screen`; the reason is a line."""
    api.assign(review, "alice,bob")
    for rid in ("1", "2"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
        api.record_decision(review, reviewer="bob", record_id=rid, action="exclude", reason="wrong outcome")
    child = spawn(review, "carol", command="adjudicate")
    child.expect(r"\[q\]uit: ")
    child.send("e")                                # no Enter: one key decides
    child.expect("reason number")
    child.sendline("3")
    child.expect("exclude 1 — final")
    child.expect(r"\[q\]uit: ")
    child.send("i")
    child.expect("include 2 — final")
    finish(child)
    e = load_entries(db)
    finals = [(r.record_id, r.action, r.role) for r in e.itertuples() if r.reviewer == "carol"]
    assert finals == [("1", "exclude", "adjudicator"), ("2", "include", "adjudicator")]


def test_only_no_abstract_in_a_terminal(review: Path, db: Path, in_play: list[str]) -> None:
    from screening.records import read_table, write_table

    path = review.parent.parent / "data" / "screened" / "t" / "ingest.parquet"
    table = read_table(path)
    table.loc[table["record_id"] == in_play[4], "abstract"] = ""
    write_table(table, path)
    child = spawn(review, "alice", "--only", "no-abstract")
    screen = expect_record(child, in_play[4])      # the only record without an abstract comes first
    assert "only no-abstract" in screen and "(no abstract)" in screen
    child.send("i")
    child.expect("nothing left to screen")
    finish(child)
    assert [(r.record_id, r.action) for r in load_entries(db).itertuples()] == [(in_play[4], "include")]
    bad = spawn(review, "alice", "--only", "no-title")
    bad.expect("unknown subset 'no-title'")
    bad.expect(pexpect.EOF)
    bad.close()
    assert bad.exitstatus == 6


def test_ctrl_c_in_the_note_prompt_cancels_the_note_not_the_session(review: Path, db: Path) -> None:
    child = spawn(review, "alice")
    expect_record(child, "2")
    child.send("n")
    child.expect("note: ")
    child.sendintr()
    child.expect("cancelled")
    expect_record(child, "2")                      # the same record, the session still open
    child.send("i")
    child.send("q")
    child.expect("session ended")
    finish(child)
    e = load_entries(db)
    assert list(e["action"]) == ["include"] and list(e["note"]) == [""]


def test_full_text_link_is_shown_under_the_title_and_ended_with_a_dash(review: Path, db: Path) -> None:
    for rid in ("1", "2"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    child = spawn(review, "alice", "--stage", "full_text")
    expect_record(child, "2")
    child.send("l")
    child.expect(r"record id of the same study's other report \(- ends its link\): ")
    child.sendline("1")
    child.expect("2 is a report of the study of record 1")
    assert "same study as record 1 (l to change, then - to end its link)" in expect_record(child, "2")
    child.send("l")
    child.expect("ends its link")
    child.sendline("-")
    child.expect("2 is its own study")
    child.send("q")
    finish(child)
    links = load_entries(db).query("action == 'link_study'")["payload"].tolist()
    assert links == ['{"study": "1"}', '{"study": ""}']
