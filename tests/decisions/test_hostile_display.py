"""Terminal control sequences in data never reach the terminal (acceptance test 36b, M1 and M5).

A title holding ``ESC[2K ESC[1G`` showed only the fake title after it, a journal holding
``ESC[2J`` cleared the dedup-review screen, OSC 52 writes the clipboard on many terminals, and
a NUL in a note went out raw. Every text the CLI shows from data goes through one sanitiser
(:mod:`screening.cli.terminal_text`); the checks here are on the rendered output strings.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.table import Table
from rich.text import Text
from typer.testing import CliRunner

from screening.cli import app
from screening.cli.terminal_text import SafeConsole, capped, printable
from screening.decisions import api
from screening.records import write_table
from screening.stages.ingest import ingest_paths

from .conftest import REVIEW_TOML, build_table, write_csv

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
ENV = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"           # writes the clipboard on many terminals


def invoke(args: list[str], stdin: str | None = None) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args], env=ENV, input=stdin)
    return result.output


def test_printable_shows_control_characters_as_signs() -> None:
    assert printable("a\x1b[2Jb") == "a␛[2Jb" and printable("nul\x00x\x7f") == "nul␀x␡"
    assert printable("c1 \x9b31m") == "c1 �31m" and printable("bel\x07") == "bel␇"
    assert printable("two\nlines\tand tab") == "two\nlines\tand tab"
    assert printable("two\nlines", one_line=True) == "two␤lines"
    assert printable("a\u202eb") == "ab" and printable("é ü 中 — “x”") == "é ü 中 — “x”"


def test_the_console_shows_no_control_character_that_bypassed_printable() -> None:
    """Text built without printable() (a Text, a table cell, a rule title) still comes out
    without a raw ESC: the consoles sanitise what they render."""
    console = SafeConsole(record=True, width=80, highlight=False, markup=False, color_system=None)
    table = Table("field", "value")
    table.add_row("journal", "Environmental Research \x1b[2J\x1b[H\x1b[32mDUPLICATE: yes")
    table.add_row("abstract", Text("about smoke \x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\", style="bold"))
    console.print(table)
    console.print(Text("title" + OSC52, style="italic"))
    console.rule("rule \x1b[31m")
    console.print("plain \x00 \x9b2J")
    out = console.export_text()
    assert "\x1b" not in out and "\x00" not in out and "\x9b" not in out and "\x07" not in out, out
    assert "␛[2J␛[H␛[32mDUPLICATE: yes" in out and "␛]52;c;" in out


def _review(tmp_path: Path) -> Path:
    """The decision-log test review, record 2 (first in the queue) carrying the fixture's
    misleading title, a journal that clears the screen and an abstract writing the clipboard."""
    misleading = ingest_paths([HOSTILE / "misleading_title.ris"]).records.iloc[0]["title"]
    assert "\x1b[2K\x1b[1G" in misleading      # stored as received
    table = build_table()
    row = table["record_id"] == "2"
    table.loc[row, "title"] = misleading
    table.loc[row, "abstract"] = "Smoke and lungs." + OSC52 + " \x1b]0;window title\x07 end"
    table["journal"] = ""
    table.loc[row, "journal"] = "Animals \x1b[2J\x1b[H"
    table.at[table.index[row][0], "authors"] = ["Furlanello, T.", "Eve \x1b[32mgreen\x1b[0m"]
    (tmp_path / "pipelines").mkdir()
    review = tmp_path / "pipelines" / "t.toml"
    review.write_text(REVIEW_TOML + 'adjudicators = ["carol"]\n', encoding="utf-8")
    write_table(table, tmp_path / "data" / "screened" / "t" / "ingest.parquet")
    return review


def test_screen_log_and_conflicts_show_no_escape_sequences(tmp_path: Path) -> None:
    review = _review(tmp_path)
    api.assign(review, "alice,bob")
    screen = invoke(["screen", review, "-r", "alice"], "q\n")       # record 2 first in the queue
    # a NUL and an ESC in a note (the acceptance test's came in with `decide --from`, past the
    # binary sniff of a 2 MB CSV): stored verbatim, shown neutralised
    api.record_decision(review, reviewer="alice", record_id="2", action="exclude", reason="wrong outcome",
                        note="nul\x00byte \x1b[31mred\x1b]0;title\x07")
    notes = write_csv(tmp_path / "bob.csv", ["record_id", "decision", "reason", "note"],
                      [["2", "include", "", "fine \x1b[8mhidden"]])
    assert CliRunner().invoke(app, ["decide", str(review), "-r", "bob", "--from", str(notes)]).exit_code == 0
    outputs = {
        "screen": screen,
        "log": invoke(["log", review, "--as-adjudicator", "-r", "carol"]),
        "log narrow": CliRunner().invoke(app, ["log", str(review), "--as-adjudicator", "-r", "carol"],
                                         env={**ENV, "COLUMNS": "80"}).output,
        "conflicts": invoke(["conflicts", review, "--as-adjudicator", "-r", "carol"]),
        "adjudicate": invoke(["adjudicate", review, "-r", "carol"], "s\n"),
    }
    for name, out in outputs.items():
        assert "\x1b" not in out and "\x00" not in out and "\x07" not in out, (name, out)
    assert "Taurine reference intervals in dogs␛[2K␛[1GRandomised controlled trial" in outputs["screen"]
    assert "␛]52;c;" in outputs["screen"] and "Animals ␛[2J␛[H" in outputs["screen"]
    assert "nul␀byte ␛[31mred" in outputs["log"] and "nul␀byte" in outputs["log narrow"]
    assert "Taurine reference intervals in dogs␛[2K" in outputs["conflicts"]
    note = api.history(review, as_adjudicator=True, reviewer="carol").query("reviewer == 'alice'")["note"].iloc[0]
    assert note == "nul\x00byte \x1b[31mred\x1b]0;title\x07"        # the log keeps what was typed


def test_dedup_review_side_by_side_shows_no_escape_sequences(tmp_path: Path) -> None:
    """The journal 'Environmental Research ESC[2J ESC[H ESC[32mDUPLICATE: yes...' cleared the
    screen and printed a fake verdict in green above the pair."""
    raw = tmp_path / "data" / "raw" / "dd"
    raw.mkdir(parents=True)
    for name in ("a", "b"):
        shutil.copy(HOSTILE / f"dd_{name}.ris", raw / f"{name}.ris")
    (tmp_path / "pipelines").mkdir()
    review = tmp_path / "pipelines" / "dd.toml"
    review.write_text('[review]\nname = "dd"\n[[sources]]\nfile = "data/raw/dd/a.ris"\ndatabase = "Scopus"\n'
                      '[[sources]]\nfile = "data/raw/dd/b.ris"\ndatabase = "Embase"\n[dedup]\n', encoding="utf-8")
    run = CliRunner().invoke(app, ["run", str(review)], env=ENV)
    assert run.exit_code == 0, run.output
    out = invoke(["dedup-review", review, "-r", "alice"], "s\nq\n")
    assert "record A" in out and "\x1b" not in out and "\x07" not in out, out
    assert "␛[2J␛[H␛[32mDUPLICATE: yes" in out


def test_a_file_name_in_a_warning_cannot_fake_a_line(capsys) -> None:
    from screening.cli._app import warn

    warn(["data/raw/hostile/evil\x1b[2J\x1b[31mname\nwarning: all good.ris is not listed"])
    err = capsys.readouterr().err
    assert "\x1b" not in err and "evil␛[2J␛[31mname␤warning: all good.ris" in err.replace("\n", "")


def test_screen_shows_the_start_of_a_huge_abstract(tmp_path: Path) -> None:
    """A 5 MB abstract took 28 s to draw (50 MB never came up): a display of one record shows
    the first 20,000 characters of a field and says how long it is."""
    review = _review(tmp_path)
    table = build_table()
    table.loc[table["record_id"] == "2", "abstract"] = "smoke " * 200_000          # 1,200,000 characters
    write_table(table, tmp_path / "data" / "screened" / "t" / "ingest.parquet")
    out = invoke(["screen", review, "-r", "alice"], "q\n")
    assert "(abstract truncated: 1,200,000 characters; the full text is in the records table)" in out
    assert out.count("smoke") < 4_000 and len(out) < 40_000
    assert capped("short", "abstract") == "short"
