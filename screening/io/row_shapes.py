"""Row shapes of a CSV/TSV file: rows whose field count is not the header's, judged once the
whole file is read (:class:`RowShapes`).

Why judged at the end and not row by row: one odd row means something else among thousands of
good ones than among thousands like it. A row with more fields than the header (an unquoted
delimiter inside a value) would be misread, so it stops ingest at its line unless every row
carries the same empty extra cells (a trailing delimiter per line); rows split on another
delimiter than the header's are said to be so; short rows (a writer that drops empty trailing
cells, or an unquoted line break) are read and named in a warning; a cut last row is
truncation. See docs/formats-structured.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from screening.errors import InputError
from screening.io.aliases import CONTENT_COLUMNS, canonical_for


DELIMITERS = ("\t", ",", ";")      # the delimiters a table may use (tabular reads these)
_DELIMITER_NAMES = {"\t": "tab", ",": "comma ','", ";": "semicolon ';'", "|": "pipe '|'"}


def _lines_list(lines: list[int], count: int) -> str:
    shown = ", ".join(map(str, lines))
    return f"line {shown}" if count == 1 else f"lines {shown}{', ...' if count > len(lines) else ''}"


@dataclass
class RowShapes:
    """Rows whose field count differs from the header's, collected while reading (cheap: only
    such rows cost more than a len()) and judged once the whole file is read.

    ``width`` is the header's cell count, ``named`` the count up to its last named cell (a header
    ending in a delimiter has unnamed trailing columns a row may leave out).
    """

    width: int
    named: int
    delimiter: str
    rows: int = 0
    long: list[tuple[int, int]] = field(default_factory=list)       # (line, fields), first few
    long_count: int = 0
    padded: dict[int, list[int]] = field(default_factory=dict)      # fields -> [count, first line]
    short: list[tuple[int, int]] = field(default_factory=list)
    short_count: int = 0
    alt: dict[str, list[int]] = field(default_factory=dict)         # delimiter -> [count, first line]
    alt_single: dict[str, int] = field(default_factory=dict)        # delimiter -> first one-field row
    last: tuple[int, int, bool] = (0, 0, False)                     # line, fields, short

    def observe(self, row: list[str], line: int) -> None:
        self.rows += 1
        k = len(row)
        self.last = (line, k, k < self.named)
        if self.named <= k <= self.width:
            return
        if k > self.width and not any(c.strip() for c in row[self.width:]):
            got = self.padded.setdefault(k, [0, line])     # only empty cells past the header's
            got[0] += 1
            return
        for d in DELIMITERS:
            # the fields this row would have if it were split on d instead (quotes aside); a
            # delimiter the row does not hold at all says nothing (a one-column file's rows)
            uses = sum(c.count(d) for c in row)
            if d != self.delimiter and uses and self.named <= uses + 1 <= self.width:
                got = self.alt.setdefault(d, [0, line])
                got[0] += 1
                if k == 1:
                    self.alt_single.setdefault(d, line)
        if k > self.width:
            self.long_count += 1
            if len(self.long) < 5:
                self.long.append((line, k))
        else:
            self.short_count += 1
            if len(self.short) < 5:
                self.short.append((line, k))

    def judge(self, filename: str) -> list[str]:
        """Raise for rows that would be misread; return warnings for the ones read as they are."""
        n, delim = self.width, _DELIMITER_NAMES[self.delimiter]
        fix = "use one delimiter throughout: fix the header line or the rows, or re-export the file"
        for d, (count, first) in self.alt.items():
            if 2 * count > self.rows:
                raise InputError(
                    f"the header is delimited by {delim} but the rows by {_DELIMITER_NAMES[d]} "
                    f"({count} of {self.rows} rows, the first on line {first})", path=filename, line=first, hint=fix)
        if self.alt_single:     # one row among good ones: only a row with no header delimiter at all
            d, first = min(self.alt_single.items(), key=lambda kv: kv[1])
            # the same row is what a line break inside an unquoted value leaves behind (the
            # prose after it, whose commas happen to fit): name both causes, not one for sure
            raise InputError(
                f"line {first} holds no {delim} but would split on {_DELIMITER_NAMES[d]} into the header's "
                f"columns: either it is delimited unlike the header, or it is the rest of a value from the "
                f"line before, cut by an unquoted line break",
                path=filename, line=first, hint=fix + "; quote values that contain line breaks")
        quote = (f"a value holding the delimiter ({delim}) must be quoted; fix the row or re-export "
                 f"the file")
        if self.long:
            line, k = self.long[0]
            lines = _lines_list([ln for ln, _ in self.long], self.long_count)
            more = f" ({self.long_count} rows like this: {lines})" if self.long_count > 1 else ""
            raise InputError(f"line {line} has {k} fields, the header {n}{more}", path=filename, line=line,
                             hint=quote)
        padded = sum(c for c, _ in self.padded.values())
        if padded:
            # A delimiter closing every line (WoS tab-delimited, legacy PubMed CSV) is the exporter's
            # habit and holds nothing. The same empty cells on a few rows may as well be a value
            # holding the delimiter whose row ends in an empty column: that row is shifted.
            habit = max(self.padded, key=lambda k: self.padded[k][0]) if 2 * padded > self.rows else n
            odd = sorted((first, k) for k, (_, first) in self.padded.items() if k > habit)
            if odd:
                line, k = odd[0]
                count = sum(self.padded[width][0] for _, width in odd)
                raise InputError(
                    f"line {line} has {k} fields, the header {n} (the extra ones empty"
                    f"{f'; {count} rows like this' if count > 1 else ''})", path=filename, line=line,
                    hint=f"{quote}, or remove the delimiters at the end of the line")
        line, k, short = self.last
        if short and (self.short_count < self.rows or self.rows == 1):
            # every real exporter writes every cell: a short LAST row is the signature of a cut file
            raise InputError(f"the last row has {k} of {n} columns", path=filename, line=line,
                             hint="the export looks truncated; re-export the file")
        if short:
            line, k = self.short[0]
            raise InputError(
                f"no row has the header's {n} fields (line {line} has {k}): the rows do not match the "
                f"header", path=filename, line=line,
                hint=f"check that the header and the rows use the same delimiter (the header: {delim}) "
                     f"and that the header names no column the rows lack; or re-export the file")
        if self.short:
            lines = _lines_list([ln for ln, _ in self.short], self.short_count)
            rows = "1 row has" if self.short_count == 1 else f"{self.short_count} rows have"
            return [f"{filename}: {rows} fewer fields than the header's {n} "
                    f"({lines}); their missing last cells were read as empty — check those rows (a "
                    f"line break inside an unquoted value splits a row in two)"]
        return []


def pipe_header(first_line: str) -> bool:
    """A header delimited by '|' naming a title, abstract or author column (a table we do not read)."""
    cells = first_line.split("|")
    return len(cells) >= 2 and any((canonical_for(c) or ("",))[0] in CONTENT_COLUMNS for c in cells)
