"""BibTeX ``@string`` macros and ``#`` concatenation, evaluated as BibTeX evaluates them.

A field value is either one literal (``{...}``, ``"..."``, a number) or an *expression*: macro
names and literals joined by ``#`` (``title = pre # " smoke on " # "lungs"``, ``month = jan``).
bibtexparser only replaces a value that is a single macro name, so an expression used to reach
the records table as its own source text. Here:

* ``@string`` definitions are evaluated in file order, each with the macros defined *above* it
  (as BibTeX reads them); a later definition of a name replaces the earlier one. A definition
  can therefore never refer to itself or to a later one: ``@string{a = b # a}`` is a macro
  without a value, not a loop.
* entry fields are evaluated with every macro of the file (the last definition of a name wins),
  as bibtexparser did for a single name: a reference manager may write its ``@string`` block
  after the entries.
* names are case-insensitive; the standard month macros ``jan`` .. ``dec`` are predefined.

A value that cannot be evaluated (an undefined macro, one whose definition failed, text that
is not a BibTeX value) is never replaced by a guess: the field keeps its source text, as before,
and a warning names the file, the line, the entry and the macro. Warnings about one macro are
given once, with a count, so a file cannot flood the report. An expansion is capped at
``MAX_CHARS``: ten macros each doubling the last would otherwise build gigabytes from a few
lines (an ``@string`` "billion laughs").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bibtexparser import model

# the month macros of BibTeX's standard styles (plain.bst: MACRO {jan} {"January"})
MONTHS = {name[:3].lower(): name for name in (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December")}

# Far above any real field (the longest abstracts are ~10,000 characters); only a macro bomb
# reaches it. And all expansions of a file together stay within BUDGET_FACTOR times its size
# (plus MAX_CHARS): many small fields each expanding to MAX_CHARS are a bomb too, while a
# journal macro used by every entry costs less than the entries' own text.
MAX_CHARS = 100_000
BUDGET_FACTOR = 10

# BibTeX identifiers: no whitespace and none of  " # % ' ( ) , = { } ; not starting with a digit
_NAME = re.compile(r"[^\s\"#%'(),={}0-9][^\s\"#%'(),={}]*")
_NUMBER = re.compile(r"[0-9]+")
_SPACE = re.compile(r"\s*")
# a brace or quote counts unless a backslash precedes it: the convention of bibtexparser's
# splitter, which decided where the value ends
_BRACE_OR_QUOTE = re.compile(r'(?<!\\)[{}"]')


def _close(text: str, start: int) -> int:
    """Index of the delimiter closing the literal opened at ``text[start]`` (``{`` or ``"``),
    or -1. Braces nest in both; a quote ends a quoted literal only outside braces."""
    quoted = text[start] == '"'
    depth = 0 if quoted else 1
    for m in _BRACE_OR_QUOTE.finditer(text, start + 1):
        char = m.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return -1
            if depth == 0 and not quoted:
                return m.start()
        elif quoted and depth == 0:
            return m.start()
    return -1


def pieces(text: str) -> list[tuple[str, str]] | None:
    """The parts of a value joined by ``#``: ``('text', inner text)`` for a literal or number,
    ``('macro', name)``; None when the text is not a BibTeX value."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while True:
        i = _SPACE.match(text, i).end()
        if i >= n:
            return None                      # empty value, or '#' with nothing after it
        if text[i] in '{"':
            end = _close(text, i)
            if end < 0:
                return None
            out.append(("text", text[i + 1:end]))
            i = end + 1
        else:
            m = _NUMBER.match(text, i)
            if m:
                out.append(("text", m.group()))
            else:
                m = _NAME.match(text, i)
                if not m:
                    return None
                out.append(("macro", m.group()))
            i = m.end()
        i = _SPACE.match(text, i).end()
        if i == n:
            return out
        if text[i] != "#":
            return None
        i += 1


@dataclass
class Macros:
    """The ``@string`` table of one file, and what could not be evaluated."""

    filename: str
    budget: int                                            # characters all expansions may still take
    values: dict[str, str] = field(default_factory=lambda: dict(MONTHS))
    failed: dict[str, str] = field(default_factory=dict)   # name -> why it has no value
    warnings: list[str] = field(default_factory=list)
    # (macro or problem) -> [first message, count, last line]: one warning per problem
    _uses: dict[str, list] = field(default_factory=dict)

    def evaluate(self, text: str) -> tuple[str | None, str, str]:
        """``(value, '', '')``, or ``(None, problem, macro)`` naming what stopped it."""
        parts = pieces(text)
        if parts is None:
            return None, "is not a BibTeX value (literals in {} or \"\", numbers and macro names joined by #)", ""
        out: list[str] = []
        size = 0
        for kind, value in parts:
            if kind == "macro":
                name = value.lower()
                if name not in self.values:
                    why = self.failed.get(name, "is not defined by any @string")
                    return None, f"uses macro {value!r}, which {why}", value
                value = self.values[name]
            size += len(value)
            if size > MAX_CHARS:
                return None, f"would expand to more than {MAX_CHARS:,} characters", ""
            if size > self.budget:
                return None, ("would take the file's expanded text past "
                              f"{BUDGET_FACTOR} times the file's size"), ""
            out.append(value)
        self.budget -= size
        return "".join(out), "", ""

    def define(self, name: str, text: str, is_literal: bool, line: int, defined_later: set[str]) -> None:
        """Evaluate ``@string{name = text}`` (at ``line``) with the macros defined so far."""
        key = name.lower()
        if is_literal:
            value, problem, macro = text, "", ""
        else:
            value, problem, macro = self.evaluate(text)
        if value is not None:
            self.values[key] = value
            self.failed.pop(key, None)
            return
        self.values.pop(key, None)
        if macro and macro.lower() not in self.failed and (macro.lower() == key or macro.lower() in defined_later):
            problem += (" above it (a @string can use only those defined before it, so one that "
                        "refers to itself or to a later one has no value)")
        # a short pointer, not the problem itself: in a chain of failed macros each message
        # would otherwise hold all those before it
        self.failed[key] = f"has no value (see its @string at line {line})"
        self.warnings.append(f"{self.filename}:{line}: @string{{{name}}} {problem}; it has no value, and "
                             "fields using it keep their source text")

    def resolve(self, entry: model.Entry, fld: model.Field) -> None:
        """Replace the expression in ``fld`` by its value, or keep it and warn."""
        value, problem, macro = self.evaluate(fld.value)
        if value is not None:
            fld.value = value
            return
        line = (fld.start_line if fld.start_line is not None else entry.start_line or 0) + 1
        key = macro.lower() or problem
        use = self._uses.get(key)
        if use is None:
            self._uses[key] = [
                f"{self.filename}:{line}: field {fld.key!r} of entry {entry.key!r} {problem}; "
                f"its source text {_short(fld.value)!r} was kept", 1, line]
        else:
            use[1] += 1
            use[2] = line

    def entry_warnings(self) -> list[str]:
        return [first + (f" (also {count - 1} more field(s), up to line {last})" if count > 1 else "")
                for first, count, last in self._uses.values()]


def _short(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _literal(value: str, enclosing: object) -> bool:
    """Whether a value bibtexparser already unwrapped (``enclosing`` '{' or '"') or a number:
    anything else (``'no-enclosing'``) is a macro name or an expression."""
    return enclosing in ("{", '"') or value.isdigit()


def _raw_is_literal(value: str) -> bool:
    """The same for a value bibtexparser left as written (the entries and strings inside its
    duplicate-key blocks): one literal or number, not an expression (nor text that is not a
    value, which :meth:`Macros.resolve` reports)."""
    parts = pieces(value)
    return parts is not None and len(parts) == 1 and parts[0][0] == "text"


def evaluate_library(blocks: list[model.Block], filename: str, size: int) -> list[str]:
    """Evaluate every ``@string`` in file order, then every entry field that is an expression,
    in place. ``blocks``: the library's blocks after ``RemoveEnclosingMiddleware``; ``size``:
    the file's length in characters. Returns the warnings."""
    macros = Macros(filename, budget=MAX_CHARS + BUDGET_FACTOR * size)
    strings: list[tuple[model.String, bool]] = []
    entries: list[tuple[model.Entry, bool]] = []      # (entry, its values are unwrapped)
    for block in blocks:
        inner = getattr(block, "ignore_error_block", None)
        if isinstance(block, model.String):
            strings.append((block, True))
        elif isinstance(inner, model.String):
            strings.append((inner, False))
        elif isinstance(block, model.Entry):
            entries.append((block, True))
        elif isinstance(inner, model.Entry):
            entries.append((inner, False))
    later: dict[str, int] = {}
    for s, _ in strings:
        later[s.key.lower()] = later.get(s.key.lower(), 0) + 1
    for s, unwrapped in strings:
        later[s.key.lower()] -= 1
        is_literal = (_literal(s.value, s.parser_metadata.get("removed_enclosing")) if unwrapped
                      else _raw_is_literal(s.value))
        text = s.value if unwrapped or not is_literal else _unwrap(s.value)
        macros.define(s.key.strip(), text, is_literal, (s.start_line or 0) + 1,
                      {k for k, left in later.items() if left > 0})
    for entry, unwrapped in entries:
        enclosing = entry.parser_metadata.get("removed_enclosing", {}) if unwrapped else {}
        for fld in entry.fields:
            literal = _literal(fld.value, enclosing.get(fld.key)) if unwrapped else _raw_is_literal(fld.value)
            if not literal:
                macros.resolve(entry, fld)
    return macros.warnings + macros.entry_warnings()


def _unwrap(value: str) -> str:
    """A duplicate @string's literal, without its delimiters (as bibtexparser unwraps others)."""
    parts = pieces(value)
    return parts[0][1] if parts else value.strip()
