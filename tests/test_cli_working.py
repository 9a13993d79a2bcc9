"""The spinner long commands show while they work (`run`'s stages, `rank`, `stop`, a session
opening): on a terminal only, so logs and pipes get no spinner frames or blank lines."""

from __future__ import annotations

import io

from rich.console import Console

import screening.cli._app as app


def test_on_a_terminal_the_step_under_way_is_shown_with_its_time(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(app, "err_console", Console(file=out, force_terminal=True, width=80))
    with app.working("ranking the records in play") as shown:
        shown.step("dedup")
    text = out.getvalue()
    assert "dedup" in text and "0:00:0" in text


def test_off_a_terminal_nothing_is_written(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(app, "err_console", Console(file=out, force_terminal=False, width=80))
    with app.working("ranking the records in play") as shown:
        shown.step("dedup")
    assert out.getvalue() == ""
