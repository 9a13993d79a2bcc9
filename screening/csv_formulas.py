"""Formula-like text in a CSV cell, escaped for spreadsheets and unescaped when read back.

Excel, LibreOffice and Google Sheets take a cell starting with ``=``, ``+``, ``-`` or ``@``
(also a tab or a carriage return) for a formula and run it when the CSV is opened. Titles,
abstracts, reasons and notes come from databases and from other people, so `screening
export`'s CSV (recommended for Excel) prefixes such a text cell with a single quote ``'``, as
OWASP's "CSV Injection" page recommends: the spreadsheet shows the text and runs nothing.

Reading back, the quote is stripped again, so our own export reads back as it was written: by
the CSV ingest reader (a table no database wrote, :mod:`screening.io.tabular`) and by
``decide --from`` (:mod:`screening.decisions.import_csv`). Escaping is one-to-one: a value
that itself starts with quotes before such a character (``'=x``) gets one more (``''=x``), so
stripping one quote from a cell matching ``'+[=+-@\\t\\r]`` gives back every value exactly.
"""

from __future__ import annotations

import re

# the characters a spreadsheet starts a formula with (OWASP, "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_START = "[" + re.escape("".join(FORMULA_STARTS)) + "]"
_NEEDS_QUOTE = re.compile("'*" + _START)        # escaped: one more quote, so escaping is one-to-one
_QUOTED = re.compile("'+" + _START)


def escape_formula(text: str) -> str:
    """``text`` as a CSV text cell a spreadsheet shows as text: ``'`` before a formula-like start."""
    return "'" + text if _NEEDS_QUOTE.match(text) else text


def unescape_formula(cell: str) -> str:
    """The value :func:`escape_formula` wrote as ``cell``: its one leading ``'`` stripped when
    a formula-like start follows; any other cell as it is."""
    return cell[1:] if cell[:1] == "'" and _QUOTED.match(cell) else cell
