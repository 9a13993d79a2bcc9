"""Terminal helpers of the interactive commands (`screen`, the `adjudicate` walk): single-key
input on a TTY (plain lines from a pipe, so scripts and tests can drive them) and the way a
record is shown (title with the matched rule terms highlighted, byline, abstract)."""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from typing import Any, Iterator

from rich.text import Text

from screening.cli._app import console, printable, shown, styled
from screening.records import as_text


@contextmanager
def _cbreak() -> Iterator[None]:
    """Single-key input on a TTY; plain line input otherwise (pipes, some CI)."""
    if not sys.stdin.isatty():
        yield
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


# What the readers return at the end of the input (a closed pipe, Ctrl-D on a terminal): every
# prompt must end on it. It used to read as 'q', which a reason prompt rejected and asked again,
# forever, at 100 % CPU (acceptance testing, session 16).
EOF_KEY = "\x04"


def _read_key() -> str:
    if sys.stdin.isatty():
        ch = sys.stdin.read(1)
        return ch if ch else EOF_KEY
    line = sys.stdin.readline()
    if line == "":
        return EOF_KEY
    line = line.rstrip("\r\n")
    if not line:
        return "\n"
    # one key per line: a line 'ie' recorded the include and dropped the 'e' without a word;
    # the whole line now goes to the session, which calls it an unknown key and records nothing
    key = line.strip()
    return key if len(key) == 1 else line


def _read_line(prompt: str) -> str:
    """One line after ``prompt``; :class:`EOFError` at the end of the input."""
    console.print(prompt, end="")
    console.file.flush()
    if sys.stdin.isatty():
        import termios

        fd = sys.stdin.fileno()
        old = termios.tcgetattr(fd)
        new = termios.tcgetattr(fd)
        new[3] |= termios.ICANON | termios.ECHO
        termios.tcsetattr(fd, termios.TCSADRAIN, new)
        try:
            line = sys.stdin.readline()
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, old)
    else:
        line = sys.stdin.readline()
    if line == "":
        raise EOFError("end of input")
    return line.rstrip("\n")


def _ask_key(prompt: str) -> str:
    """One key (lower case) after ``prompt``, echoed so the walk stays readable; Enter = skip."""
    console.print(prompt, end="")
    console.file.flush()
    key = _read_key().lower()
    console.print("(end of input)" if key == EOF_KEY else key if key.strip() else "s")
    return key


def _highlight(text: str, terms: list[str]) -> Text:
    out = Text(text)
    for term in terms:
        if term.strip():
            out.highlight_regex(re.compile(re.escape(term.strip()), re.IGNORECASE), "bold black on yellow")
    return out


def _byline(rec: dict[str, Any], n: int) -> str:
    """The first ``n`` authors, 'et al.' for the rest."""
    authors = list(rec.get("authors") or [])
    return "; ".join(authors[:n]) + (" et al." if len(authors) > n else "")


def _record_summary(rec: dict[str, Any]) -> Text:
    """Title, authors, year, journal and the start of the abstract: enough to adjudicate on."""
    where = ", ".join(x for x in (_byline(rec, 3), as_text(rec.get("year")), as_text(rec.get("journal"))) if x)
    abstract = str(rec.get("abstract") or "")
    if len(abstract) > 900:           # cut before printable(): a 50 MB field is not translated whole
        abstract = abstract[:900].rsplit(" ", 1)[0] + " …"
    abstract = printable(abstract) or "(no abstract)"
    original = shown(as_text(rec.get("title_original")), "original title", one_line=True)   # in the article's language
    below: tuple[str | tuple[str, str], ...] = ("\n", (original, "bold dim")) if original else ()
    return styled((shown(rec.get("title") or "(no title)", "title", one_line=True), "bold"), *below, "\n",
                  shown(where, "byline", one_line=True), "\n", abstract)
