"""The typer app, the shared rich consoles, and the error-to-exit-code mapping.

Command modules (``screening/cli/*.py``) register commands on :data:`app` with
:func:`command`; each command parses arguments, calls one library function, renders the
result with rich and lets :func:`command` map our errors to exit codes. No logic here.
"""

from __future__ import annotations

import copy
import errno
import functools
import inspect
import json
import math
import sqlite3
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

import typer
from typer.models import ParameterInfo
from rich.markup import escape
from rich.text import Text

from screening.cli.terminal_text import SafeConsole, printable, printable_spans, shown  # noqa: F401 (re-exported)
from screening.entry import INTERRUPTED
from screening.errors import ScreeningError

REVIEW_ARG = typer.Argument(..., help="Review TOML (e.g. pipelines/demo.toml) or review name.")
STAGE_HELP = "Screening stage: title_abstract or full_text."


# The options every blinded view takes; each command says in its help what they mean there.
def reviewer_option(help: str) -> Any:
    return typer.Option(None, "--reviewer", "-r", help=help)


def adjudicator_option(help: str) -> Any:
    return typer.Option(False, "--as-adjudicator", help=help)


def json_option(help: str) -> Any:
    return typer.Option(False, "--json", help=help)

app = typer.Typer(
    name="screening",
    help="A staged, auditable literature-screening pipeline for systematic reviews.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
# Markup off: what we print is full of text from the records and the user (titles such as
# "[Asthma in children]", PubMed queries such as asthma[tiab], regexes in rules, file names),
# which rich would otherwise swallow as style tags or crash on ("[/x]"). Style goes through
# :func:`styled` instead.
# Safe: text from data (records, the log, file names) never reaches the terminal with a control
# character in it (see :mod:`screening.cli.terminal_text`).
console = SafeConsole(highlight=False, markup=False)
err_console = SafeConsole(stderr=True, highlight=False, markup=False)


def cells(*values: Any) -> list[str]:
    """Table cells as strings (the consoles print them literally: no markup; control
    characters shown as signs, :func:`printable`)."""
    return [printable(v) for v in values]


def fmt_stat(x: float, digits: int = 3) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def print_json(rows: list[dict[str, Any]]) -> None:
    """JSON lines on stdout (plain print: no wrapping, no markup; NaN becomes null)."""
    for row in rows:
        print(json.dumps(_nan_to_none(row), default=lambda v: v.item() if hasattr(v, "item") else str(v)))


def _nan_to_none(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, (dict, list)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value


def styled(*parts: str | tuple[str, str]) -> Text:
    """Text from plain strings and ``(text, style)`` pairs; nothing in it is parsed as markup,
    and control characters in it are shown as signs (:func:`printable`)."""
    return Text.assemble(*(printable(p) if isinstance(p, str) else (printable(p[0]), p[1]) for p in parts))


class Working:
    """What :func:`working` yields: ``step(text)`` names the step now under way, its clock
    restarted (``run`` goes through its stages on one line)."""

    def __init__(self, progress: Any = None) -> None:
        self._progress = progress
        self._task = progress.add_task("") if progress is not None else None

    def step(self, text: str) -> None:
        if self._progress is not None:
            self._progress.reset(self._task, description=text)


@contextmanager
def working(text: str = "") -> Iterator[Working]:
    """A spinner with the time spent so far, on stderr, while a step of a command runs: at 65k
    records ranking alone took 40-50 s with nothing on screen (acceptance testing), and `stop`
    then refused. Only on a terminal: a log or a pipe gets no spinner frames or blank line."""
    if not err_console.is_terminal:
        yield Working()
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        shown = Working(progress)
        shown.step(text)
        yield shown


def warn(warnings: Iterable[Any], where: str = "") -> None:
    """Each warning on stderr, as ``warning (where): message``: one line, so a newline in a file
    name or a value it quotes cannot fake another line of output."""
    label = f"warning ({where}):" if where else "warning:"
    for w in warnings:
        err_console.print(styled((label, "yellow"), " ", printable(w, one_line=True)))


def fail(err: ScreeningError) -> typer.Exit:
    # one line, as warn(): the message may quote a file name or a value from the data
    err_console.print(styled(("error:", "bold red"), " ", printable(err, one_line=True)), soft_wrap=True)
    return typer.Exit(code=err.exit_code)


# SQLite's words for a file it cannot use: damaged, full, unreadable (not a query's mistake)
_SQLITE_FILE_TROUBLE = ("malformed", "not a database", "disk", "i/o", "full", "unable to open", "readonly",
                        "read-only", "locked")


def system_error(err: OSError | sqlite3.DatabaseError) -> ScreeningError | None:
    """A failure of the machine rather than of the review (a full disk, a file or folder without
    permission, a damaged database) as one line with what to do: the library lets these through
    where it cannot add more than their own message, and every file it writes is replaced whole
    or not at all, so nothing is half-written."""
    if isinstance(err, OSError):
        what = err.strerror or str(err)
        target = err.filename2 or err.filename     # a rename's target, not the temporary file
        hint = ("free disk space, then run the command again" if err.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
                else "check the file's and its folder's permissions (or close the file in a program that has it "
                     "open), then run the command again"
                if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else "run the command again")
        return ScreeningError(what, path=target, hint=f"nothing was half-written; {hint}")
    if type(err) not in (sqlite3.DatabaseError, sqlite3.OperationalError) or not any(
            w in str(err).lower() for w in _SQLITE_FILE_TROUBLE):
        return None
    from screening.decisions.sqlite_trouble import damaged, disk_trouble

    # (the decision log says which file and what to do itself: SQLiteStore; this is any other)
    hint = ("the file is damaged (a truncated or partial copy?): restore it from a backup, with its -wal file if "
            "it has one" if damaged(err) else
            "free disk space or check the disk, then run the command again" if disk_trouble(err) else
            "if the file is damaged, restore it from a backup")
    return ScreeningError(f"a review database failed: {err}", hint=f"nothing was half-written; {hint}")


def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map our errors to a one-line message and the error's exit code; Ctrl-C to a message
    that says what was kept (every file is written whole or not at all) and exit code 130."""

    @functools.wraps(fn)
    def wrapper(*a: Any, **kw: Any) -> Any:
        try:
            return fn(*a, **kw)
        except ScreeningError as err:
            raise fail(err) from None
        except BrokenPipeError:      # output piped into `head`: not a failure of the review
            raise
        except (OSError, sqlite3.DatabaseError) as err:
            said = system_error(err)
            if said is None:         # a programming error: its traceback is what helps
                raise
            raise fail(said) from None
        except (KeyboardInterrupt, typer.Abort):     # Abort: Ctrl-C at a typer.prompt
            label, rest = INTERRUPTED.split(": ", 1)
            err_console.print(styled((label + ":", "bold yellow"), " " + rest))
            raise typer.Exit(130) from None

    return wrapper


def reflow(doc: str | None) -> str | None:
    """A docstring as help text: each paragraph on one line, for rich to wrap to the terminal.

    Why: in rich markup mode typer keeps the docstring's own line breaks, so a paragraph
    wrapped at 100 columns in the source came out ragged in an 80-column terminal.
    """
    if not doc:
        return doc
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


# Help text is plain text. Typer renders it as rich markup (rich_markup_mode="rich", kept for
# the panels and the option table), which swallows "the review's [screening] reasons" or
# "asthma[tiab]" as style tags; so every help string registered here is escaped for rich.
def plain_help(text: str | None) -> str | None:
    """``text`` escaped so that rich shows it as written (``[x]`` stays ``[x]``)."""
    return escape(text) if text else text


def _plain_param_help(fn: Callable[..., Any]) -> inspect.Signature:
    """``fn``'s signature with each ``typer.Option``/``typer.Argument`` help escaped.

    The infos are copied, never changed in place: one Option object may serve several commands
    (``search``'s shared options) and must not be escaped twice. (``Annotated[..., Option()]``
    metadata is not handled: no command uses it.)"""
    sig = inspect.signature(fn, eval_str=True)
    params = []
    for p in sig.parameters.values():
        if isinstance(p.default, ParameterInfo) and p.default.help:
            info = copy.copy(p.default)
            info.help = plain_help(info.help)
            p = p.replace(default=info)
        params.append(p)
    return sig.replace(parameters=params)


def subapp(name: str, help: str) -> typer.Typer:
    """A command group (e.g. ``screening rules check``)."""
    group = typer.Typer(name=name, help=plain_help(help), no_args_is_help=True, add_completion=False,
                        pretty_exceptions_enable=False, rich_markup_mode="rich")
    app.add_typer(group, name=name)
    return group


def group_command(group: typer.Typer, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@group_command(group, "name")``: register on a command group (docstring as reflowed
    help, all help shown as written), mapping ScreeningError to its exit code."""
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        guarded = _guarded(fn)
        guarded.__signature__ = _plain_param_help(fn)  # type: ignore[attr-defined]  # typer reads it
        return group.command(*args, help=plain_help(reflow(fn.__doc__)), **kwargs)(guarded)
    return register


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@command("name")``: :func:`group_command` on the top-level app."""
    return group_command(app, *args, **kwargs)
