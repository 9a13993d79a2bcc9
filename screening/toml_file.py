"""Reading a review TOML file: its text, its syntax errors, and the line a key is written on.

A review TOML is edited by hand, often on Windows; what goes wrong there (another encoding, an
unclosed quote, a misspelt key) must be reported at the line to fix. The schema of what the
file says is :mod:`screening.config`'s.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from screening.errors import ConfigError


def read_toml_text(path: Path) -> str:
    """The review TOML's text. TOML is UTF-8 by definition; a byte-order mark (Windows editors
    write one) is dropped, and any other encoding is refused with the place and what to do,
    not a traceback."""
    data = Path(path).read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{Path(path).name} is saved as UTF-16; a review TOML must be UTF-8", path=path,
                          hint="save it again with the encoding UTF-8 (in Notepad: Save As, Encoding: UTF-8)")
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ConfigError(f"{Path(path).name} is not UTF-8 text (byte 0x{data[err.start]:02x} on line {line}, "
                          "perhaps saved as Windows-1252)", path=path, line=line,
                          hint="save it again with the encoding UTF-8 (in Notepad: Save As, Encoding: UTF-8)") from None


_UNCLOSED = re.compile(r"""Unterminated|Expected ("'+"|'"+'|'\]')""")
_TOML_PLACE = re.compile(r"\s*\((?:at line (\d+), column \d+|at end of document)\)$")


def toml_syntax_error(err: tomllib.TOMLDecodeError, text: str, path: str | Path) -> ConfigError:
    """A TOML syntax error with the line to fix and what is likely wrong there.

    tomllib says "(at end of document)" when something opened earlier is never closed (a quote,
    a multi-line string, a bracket), or when the last line repeats a key; the line to look at is
    then the first one after the longest start of the file that still parses.
    """
    found = _TOML_PLACE.search(str(err))
    message = str(err)[:found.start()] if found else str(err)
    if found and found.group(1):
        line = int(found.group(1))
    else:
        lines = text.split("\n")          # lines as tomllib counts them (not U+2028 and the like)
        lines = [ln + "\n" for ln in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
        line = len(lines)
        # each try parses a prefix: quadratic, so only for files of a size people write by hand
        for end in (range(len(lines) - 1, -1, -1) if len(lines) <= 1500 else ()):
            try:
                tomllib.loads("".join(lines[:end]))
            except tomllib.TOMLDecodeError:
                continue
            line = end + 1
            break
    hint = ("a quote, string or bracket opened on this line is never closed"
            if _UNCLOSED.match(message)
            else "this line repeats a key or table given earlier" if message.startswith(("Cannot overwrite",
                                                                                          "Cannot declare"))
            else "fix the syntax on that line")
    return ConfigError(f"invalid TOML: {message}", path=path, line=line, hint=hint)


def key_line(path: Path | None, key: str, where: str = "") -> int | None:
    """The line of ``key = ...`` in the TOML file: within the table ``where`` names (``dedup``,
    ``[[sources]] #2``) when it can be found, else wherever the key is written exactly once;
    ``None`` when it cannot be told."""
    if path is None:
        return None
    try:
        lines = read_toml_text(Path(path)).splitlines()
    except (OSError, ConfigError):
        return None
    assignment = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    header = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    wanted = re.fullmatch(r"\[\[(\w+)\]\] #(\d+)", where)
    target = (f"[[{wanted.group(1)}]]", int(wanted.group(2))) if wanted else (f"[{where}]", 1)
    seen: dict[str, int] = {}
    current: tuple[str, int] | None = None
    hits, in_table = [], []
    for number, text in enumerate(lines, start=1):
        if m := header.match(text):
            name = f"{m.group(1)}{m.group(2)}{']]' if m.group(1) == '[[' else ']'}"
            seen[name] = seen.get(name, 0) + 1
            current = (name, seen[name])
        elif assignment.match(text):
            hits.append(number)
            if current == target:
                in_table.append(number)
    if in_table:
        return in_table[0]
    return hits[0] if len(hits) == 1 else None
