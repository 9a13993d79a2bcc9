"""Reading a decisions CSV into its header and rows, refusing a file the csv module would misread.

A file is refused, not imported in part: an unterminated quote, broken quoting, rows read into
another row's cell (:func:`refuse_swallowed_rows`, checked row by row as the rows are read
into decisions), cells beyond the header. Line numbers are a row's first line (a quoted cell
may span lines: notes, our export's ``source_notes``). Which format the rows are in, and what
they decide, is :mod:`.imports`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from screening.csv_formulas import unescape_formula
from screening.errors import DecisionError, InputError
from screening.normalize import clip

# How many bad rows an error lists (rows with cells beyond the header; :mod:`.imports`: rows that
# cannot be imported).
MAX_BAD_ROWS = 10


@dataclass(frozen=True)
class Csv:
    header: list[str]                           # lower-cased column names
    rows: list[tuple[int, dict[str, str]]]      # (the row's first line, its cells by column)
    delimiter: str
    warnings: list[str]


def read_csv(path: Path) -> Csv:
    """The file's header and rows, refusing what would be misread.

    Decoded like an export (:func:`screening.io.text.decode_bytes`): UTF-8 with or without
    BOM, UTF-16 from Excel's "Unicode text", else cp1252 (Excel's "CSV" on Windows) with a
    warning; bytes neither encoding defines are an error, never replacement characters
    written into the append-only log. The delimiter
    is the header's: Excel writes ';' where the decimal mark is a comma.

    Refused, at the row's first line: a quote never closed (the csv module would read the rest
    of the file into that cell, and the rows swallowed would be lost without a word), other
    broken quoting, and cells beyond the header's columns unless empty (a spreadsheet's
    trailing separators are harmless; a value there would be dropped, or a row is shifted).
    """
    from screening.io.text import decode_bytes

    if not path.is_file():
        raise InputError("a folder, not a decisions file" if path.is_dir() else "file not found", path=path,
                         hint="check the --from path")
    data = path.read_bytes()
    if not data.strip():        # the generic "re-export the search results" hint is for exports
        raise InputError("the decisions file is empty", path=path, line=1,
                         hint="a header line (record_id,decision,...) and one row per decision are needed")
    decoded = decode_bytes(data, path, strict=True)
    text = decoded.text
    _refuse_search_export(text, path)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=lambda d: (first.count(d), d == ","))
    # strict: an unterminated quote is an error at the end of the file, not a silent last cell
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    surplus: list[tuple[int, list[str]]] = []
    start = 1       # the first line of the row being read: line_num is the last line of a multi-line row
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if header is None:
                header = _header(cells, path)
                continue
            if not cells:                                   # a blank line
                continue
            extra = [c for c in cells[len(header):] if c.strip()]
            if extra:
                surplus.append((line, extra))
            # a formula-like cell our export escaped for spreadsheets reads as its text
            rows.append((line, {name: unescape_formula(cells[i]).strip() if i < len(cells) else ""
                                for i, name in enumerate(header)}))
    except csv.Error as err:
        raise _quoting_error(err, path, start, delimiter) from None
    if surplus:
        raise _surplus_error(surplus, len(header or []), path, delimiter)
    return Csv(header or [], rows, delimiter, list(decoded.warnings))


# The first line of a search export, which people pass to `decide --from` for a decisions file
# (acceptance testing: our own RIS export got "169 rows have more cells than the header's 1 columns").
_EXPORT_STARTS = ((re.compile(r"TY  - "), "RIS"), (re.compile(r"PMID- ?\d"), "PubMed/MEDLINE (.nbib)"),
                  (re.compile(r"FN |PT [A-Z]\s*$"), "Web of Science tagged"), (re.compile(r"%0 "), "EndNote tagged"),
                  (re.compile(r"@\w+\s*[{(]"), "BibTeX"), (re.compile(r"<\?xml|<[A-Za-z]"), "XML"))


def _refuse_search_export(text: str, path: Path) -> None:
    # some RIS exports open with a few lines of their own (Provider:, Database:) before TY
    head = [line.strip() for line in text[:4000].splitlines() if line.strip()][:12]
    for pattern, kind in _EXPORT_STARTS:
        if head and pattern.match(head[0]) or kind == "RIS" and any(pattern.match(line) for line in head):
            raise InputError(f"this is a {kind} file, not a decisions CSV", path=path, line=1,
                             hint="`decide --from` reads decisions from CSV: ours (record_id,decision,...), a Rayyan "
                                  "articles.csv or an ASReview LAB export; search exports are read by `screening "
                                  "ingest` or a review's sources")


def _header(cells: list[str], path: Path) -> list[str]:
    """The lower-cased column names; a repeated name is refused."""
    seen: set[str] = set()
    for name in (c.strip() for c in cells):
        # a repeated column would be read silently, the last copy winning (acceptance testing,
        # session 16: 'record_id,decision,decision' imported the second decision)
        if name and name.lower() in seen:
            raise InputError(f"column {name!r} appears twice in the header", path=path, line=1,
                             hint="keep one column of each name; which one is meant cannot be guessed")
        seen.add(name.lower())
    return [c.strip().lower() for c in cells]


def _quoting_error(err: csv.Error, path: Path, line: int, delimiter: str) -> InputError:
    if "unexpected end of data" in str(err):
        return InputError("a quoted cell that starts in this row is never closed (an unterminated quote): "
                          "every line after it would be read into that cell", path=path, line=line,
                          hint="remove the stray double quote, or close the cell with one; a double quote "
                               'inside a quoted cell is written twice ("")')
    return InputError(f"broken quoting in this row ({err})", path=path, line=line,
                      hint=f"a cell holding {_shown(delimiter)}, a line break or a double quote is written in double "
                           'quotes, with its own double quotes doubled ("")')


def _surplus_error(surplus: list[tuple[int, list[str]]], columns: int, path: Path, delimiter: str) -> InputError:
    hint = (f"a value holding {_shown(delimiter)} must be in double quotes; or give the extra column a name in "
            "the header")
    if len(surplus) == 1:
        line, extra = surplus[0]
        return InputError(f"more cells than the header's {columns} columns (beyond them: "
                          f"{', '.join(repr(clip(c, 30)) for c in extra[:3])})", path=path, line=line, hint=hint)
    lines = ", ".join(str(line) for line, _ in surplus[:MAX_BAD_ROWS]) + (" …" if len(surplus) > MAX_BAD_ROWS else "")
    return InputError(f"{len(surplus)} rows have more cells than the header's {columns} columns: lines {lines}",
                      path=path, line=surplus[0][0], hint=hint)


def _shown(delimiter: str) -> str:
    return "a tab" if delimiter == "\t" else f"the delimiter {delimiter!r}"


def refuse_swallowed_rows(row: dict[str, str], table: Csv, ids: set[str], path: Path, line: int) -> None:
    """Refuse a row with a cell whose later lines read as rows of this file: a stray quote
    opened the cell and a later one closed it, so the rows between were read into it.

    A line inside a cell reads as a row when its cell in the record_id column (the file's own
    layout) is one of the review's record ids, whatever else the line holds: a swallowed row
    may be shorter than the header (acceptance testing: '...-00002,exclude' inside a note, and
    an ASReview file's rows inside its note column, were imported as part of the note).
    Multi-line cells are legitimate (notes; our export's source_notes) and never start a line
    with a record id in that column's place."""
    if "record_id" not in table.header:
        return
    at_id = table.header.index("record_id")
    for name, value in row.items():
        if "\n" not in value:
            continue
        for text in value.split("\n")[1:]:
            cells = next(csv.reader([text], delimiter=table.delimiter), [])
            if len(cells) > max(at_id, 1) and cells[at_id].strip() in ids:
                raise InputError(f"the {name or 'unnamed'} cell holds a line that reads as a row of this file "
                                 f"({clip(text, 60)!r}): a stray double quote opened the cell", path=path,
                                 line=line, hint='remove the stray double quote; a double quote inside a quoted '
                                                 'cell is written twice ("")')


def refuse_bad_rows(bad: list[DecisionError], where: str, rows_bad: int | None = None) -> None:
    """Raise one error naming every bad row of a file (``bad``, in line order; up to
    :data:`MAX_BAD_ROWS` rows were collected), or nothing when there is none: fixing a file
    one error per run was the slow way (acceptance test). ``rows_bad``: how many of ``bad``
    are rows (the rest are problems with names that stand for several rows)."""
    rows_bad = len(bad) if rows_bad is None else rows_bad
    if len(bad) == 1:
        raise bad[0]
    if bad:
        # a guess at the id meant belongs to its row; the first row's hint ends the message
        listed = "; ".join(f"line {e.line}: {e.message}" + (f" ({e.hint})" if n and (e.hint or "").startswith("did you")
                                                           else "") for n, e in enumerate(bad))
        more = " (the first shown; there may be more)" if rows_bad >= MAX_BAD_ROWS else ""
        # an error about reviewer names stands for every row naming them: count problems then
        what = f"{rows_bad} rows" if rows_bad == len(bad) else f"the file has {len(bad)} problems and"
        raise DecisionError(f"{what} cannot be imported{more}: {listed}", path=where,
                            line=bad[0].line, hint=bad[0].hint)

