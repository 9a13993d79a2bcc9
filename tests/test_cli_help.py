"""Every command's ``--help`` shows its help text as written.

Typer renders help as rich markup, where ``[screening]`` (a TOML section) or ``asthma[tiab]``
is a style tag and silently vanished: "one of the review's  reasons".
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator

import pytest
import typer
from typer.models import ParameterInfo
from typer.testing import CliRunner

from screening.cli import app

runner = CliRunner()
BRACKETED = re.compile(r"\[[^\[\]\s]+\]")  # [screening], [search], label[,stop]


def _source_help(obj: typer.Typer) -> list[str]:
    return [obj.info.help] if isinstance(obj.info.help, str) else []


def _commands(group: typer.Typer, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], list[str]]]:
    """``(command path, help strings as written in the source)`` for the group and everything in it:
    the group's help, each command's docstring and its options' and arguments' help."""
    helps = _source_help(group)
    for c in group.registered_commands:
        fn = inspect.unwrap(c.callback)
        texts = [inspect.getdoc(fn) or ""]
        texts += [p.default.help for p in inspect.signature(fn).parameters.values()
                  if isinstance(p.default, ParameterInfo) and p.default.help]
        helps.append(texts[0].split("\n\n")[0])     # the group lists each first paragraph
        yield path + (c.name,), texts
    for g in group.registered_groups:
        yield from _commands(g.typer_instance, path + (g.name,))
    yield path, helps


COMMANDS = dict(_commands(app))


def _flat(output: str) -> str:
    """Rendered help as one line: panel borders and rich's wrapping undone."""
    return " ".join(output.replace("│", " ").split())


def test_commands_are_found() -> None:
    assert ("decide",) in COMMANDS and ("search", "pubmed") in COMMANDS and () in COMMANDS
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=lambda p: " ".join(p) or "screening")
def test_help_shows_bracketed_words(path: tuple[str, ...]) -> None:
    res = runner.invoke(app, [*path, "--help"])
    assert res.exit_code == 0, res.output
    shown = _flat(res.output)
    for text in COMMANDS[path]:
        for word in BRACKETED.findall(text):
            assert word in shown, (path, word, text)


def test_the_reported_cases() -> None:
    res = runner.invoke(app, ["decide", "--help"])
    assert "one of the review's [screening] reasons" in _flat(res.output)
    res = runner.invoke(app, ["search", "pubmed", "--help"])
    assert "default: the review's [search] email" in _flat(res.output)


def test_ctrl_c_says_what_was_kept_and_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    """Acceptance testing: Ctrl-C during `run` ended with exit 130 and not a word."""
    import screening.cli.pipeline as pipeline

    def interrupted(*_a: object, **_kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run_review", interrupted)
    res = runner.invoke(app, ["run", "pipelines/demo.toml"])
    assert res.exit_code == 130
    assert "interrupted: nothing half-written" in " ".join(res.output.split())


def test_ctrl_c_while_the_cli_is_still_loading_is_the_same_message(monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Acceptance testing: Ctrl-C in the first ~0.7 s (pandas and scikit-learn loading) gave a
    KeyboardInterrupt traceback instead."""
    import screening.cli as cli
    from screening import entry

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "main", interrupted)
    with pytest.raises(SystemExit) as done:
        entry.main()
    assert done.value.code == 130
    assert capsys.readouterr().err.startswith("interrupted: nothing half-written")


def test_only_a_machine_failure_becomes_a_one_line_error():
    """Review: the CLI's net for OS and SQLite failures must not swallow a programming error's
    traceback (a query's mistake, a broken constraint) as 'restore the file from a backup'."""
    import errno
    import sqlite3

    from screening.cli._app import system_error

    full = system_error(OSError(errno.ENOSPC, "No space left on device", "/r/.rank.csv.x.tmp", None, "/r/rank.csv"))
    assert full is not None and full.path == "/r/rank.csv" and "free disk space" in full.hint
    assert system_error(sqlite3.DatabaseError("database disk image is malformed")) is not None
    assert system_error(sqlite3.OperationalError("no such column: x")) is None
    assert system_error(sqlite3.IntegrityError("UNIQUE constraint failed: events.id")) is None


def test_an_output_folder_on_another_windows_drive_records_its_toml_absolutely(monkeypatch, tmp_path):
    """Review: os.path.relpath raises ValueError across Windows drives, which crashed every run."""
    import os

    from screening.output_owner import owner_text

    class Review:
        path, output_dir = tmp_path / "pipelines" / "x.toml", tmp_path / "out"

    def across_drives(*args, **kwargs):
        raise ValueError("path is on mount 'C:', start on mount 'D:'")

    monkeypatch.setattr(os.path, "relpath", across_drives)
    assert owner_text(Review) == str(tmp_path / "pipelines" / "x.toml")
