"""How a CSV/TSV file's text opens: the delimiter, the header line, the quoting, and the rows.

Everything here works on the text before any column has a meaning: an Excel ``sep=`` first line,
the first non-blank line (the header) and the delimiter it shows, whether a WoS tab-delimited file
was re-saved by Excel with quotes, rows read on ``\\n`` only (so line numbers stay physical), and
the independent row count. Separate from the column mapping (:mod:`screening.io.table_fields`)
because sniffing needs it without reading a single record, and parsing needs it before the
header's names are known.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterator

from screening.io.row_shapes import DELIMITERS

csv.field_size_limit(1 << 30)   # Embase/Scopus cells (reference lists) exceed the 128 KiB default


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    if counts["\t"] >= 2 and counts["\t"] >= counts[","]:
        return "\t"
    if counts[";"] > counts[","] and counts[";"] >= 2:
        return ";"
    return ","


def lf_lines(text: str) -> Iterator[str]:
    """Lines split on \\n only (not on the other characters str.splitlines breaks at)."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            if start < len(text):
                yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def row_reader(text: str, delimiter: str, quoting: int) -> Any:
    return csv.reader(lf_lines(text), delimiter=delimiter, quoting=quoting, strict=quoting != csv.QUOTE_NONE)


def is_blank_row(row: list[str]) -> bool:
    """A blank line (no cells, or one whitespace cell). A row of empty cells (',,,') is NOT blank:
    it is a record with empty fields, and counting it keeps the count honest."""
    return len(row) == 0 or (len(row) == 1 and not row[0].strip())


def count_rows(text: str, delimiter: str, quoting: int) -> int:
    """Independent count: non-empty rows after the header, by a plain csv.reader pass."""
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
                if not is_blank_row(r)]
    except csv.Error:
        return -1
    return max(len(rows) - 1, 0)


# Excel writes 'sep=;' (or 'sep=,', 'sep=<tab>') as the first line of a CSV made for another
# locale's list separator, and reads the delimiter from it: the header is the next line
_EXCEL_SEP = re.compile(r'"?sep=([,;\t|])"?[ \t]*(?=\n|$)')


def _excel_sep(text: str) -> tuple[str, str]:
    """``(delimiter, text)``: the delimiter an Excel ``sep=`` first line names ('' without one),
    and the text with that line left empty, so every later line keeps its number."""
    m = _EXCEL_SEP.match(text)
    if m is None:
        return "", text
    # 'sep=|' names a delimiter tabular does not read: the header then gets its usual refusal
    return (m.group(1) if m.group(1) in DELIMITERS else ""), text[m.end():]


def _header(text: str) -> tuple[str, int]:
    """First non-blank line and its 1-based number."""
    for n, line in enumerate(lf_lines(text), start=1):
        if line.strip():
            return line.rstrip("\n"), n
    return "", 1


# An Excel 'Unicode text' re-save of a WoS export quotes the cells that hold quotes (doubling
# them) or line breaks: a cell opening with a quote and holding a doubled quote is its mark.
# WoS itself never quotes (a title may hold quotes of its own), so only such a file is read
# with quoting.
_EXCEL_RESAVE = re.compile(r'(?:^|\t)"(?:[^"\t\n]|"")*""(?:[^"\t\n]|"")*"(?=\t|\n|$)', re.M)


def wos_quoting(text: str) -> int:
    return csv.QUOTE_MINIMAL if _EXCEL_RESAVE.search(text) else csv.QUOTE_NONE


def opening(text: str) -> tuple[str, str, int, str]:
    """``(text, header, its line number, delimiter)``: the text past an Excel ``sep=`` line
    (left empty), its first non-blank line, and the delimiter that line names or the header
    shows ('' for an empty file)."""
    sep, text = _excel_sep(text)
    first, line = _header(text)
    return text, first, line, (sep or _delimiter(first)) if first else ""
