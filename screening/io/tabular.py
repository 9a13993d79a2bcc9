"""CSV / TSV reader: database exports (Scopus, Lens, OpenAlex, Embase, IEEE Xplore, Zotero, Web of
Science / BIOSIS tab-delimited, legacy PubMed CSV) and generic spreadsheets or dataset files.

Why one reader: every one of these is "a header row, then one row per record"; only the column
names differ. The layout is recognised from the header (:func:`~screening.io.table_layouts.detect_layout`); a recognised
database layout uses its own fixed column map, anything else goes through the documented alias
table in :mod:`screening.io.aliases` and keeps its undeclared columns (``label_included``,
``search_set``...) as extra text columns under their lower-cased names.

Line numbers are physical: a row whose abstract holds quoted newlines starts on the line of its
first character, and the next row's line accounts for them. The expected record count comes
from a separate plain ``csv.reader`` pass (non-empty rows after the header), so a parsing
mistake here shows up as a count mismatch at ingest instead of a silently lost record.

Rows whose field count is not the header's are judged once the file is read (:class:`~screening.io.row_shapes.RowShapes`):
those that would be misread (an unquoted delimiter in a value, rows delimited unlike the header,
a cut last row) stop ingest at their line; the rest are read and named in a warning.

This module is the reader itself (sniff, parse, the checks on the file as a whole); its parts
are their own modules: how the text opens (:mod:`screening.io.table_opening`), which database
wrote the table (:mod:`screening.io.table_layouts`) and a row into a record's fields
(:mod:`screening.io.table_fields`).
"""

from __future__ import annotations

import csv
import re

from screening.csv_formulas import unescape_formula
from screening.errors import InputError
from screening.io.aliases import CONTENT_COLUMNS, accepted_names, canonical_for, header_key
from screening.io.base import ParsedRecord, ParseResult, Reader, register_reader
from screening.io.row_shapes import RowShapes, pipe_header
from screening.io.table_fields import column_plan, merge_numbered, row_fields
from screening.io.table_layouts import Layout, detect_layout
from screening.io.table_opening import count_rows, is_blank_row, lf_lines, opening, row_reader, wos_quoting


# A line as tagged formats start theirs: RIS / MEDLINE / Ovid 'TY  - ', 'PMID- ', Web of Science
# 'PT J', 'ER'. Broad on purpose: such a line where a row starts keeps the table's usual score.
_TAGGED_LINE = re.compile(r"(?:[A-Z][A-Z0-9]{1,3} {0,3}-|(?:FN|VR|PT|ER|EF)(?:[ \t]|\r?$))")


def tags_only_in_cells(text: str, delimiter: str, quoting: int) -> bool:
    """Whether the text has lines like a tagged export's ('TY  - JOUR', 'ER  - ') and every one
    of them is inside a quoted, multi-line cell, none where a row starts.

    Such a table (a title cell holding a pasted RIS record) scores as RIS too, and the RIS
    sniffer cannot tell the cell from a record: its ``TY``/``ER`` lines alone decided, and the
    file failed as a truncated RIS export. A header of known columns with the tag lines only
    inside its cells is the table's, so :func:`sniff` scores it above any tagged format."""
    if quoting == csv.QUOTE_NONE or not re.search(r"(?m)^" + _TAGGED_LINE.pattern, text):
        return False
    lines = list(lf_lines(text))
    reader = csv.reader(iter(lines), delimiter=delimiter, quoting=quoting)
    starts: set[int] = set()        # 0-based indices of the lines where a row starts
    try:
        while True:
            starts.add(reader.line_num)
            next(reader)
    except StopIteration:
        pass
    except csv.Error:
        return False                # not a clean table: leave the scores as they are
    tagged = {i for i, line in enumerate(lines) if _TAGGED_LINE.match(line)}
    return bool(tagged) and not tagged & starts


def sniff(text: str) -> float:
    text, first, _, delimiter = opening(text)
    if not first:
        return 0.0
    if delimiter == "\t" and re.match(r"^(PT|FN)\t", first) and "\tTI\t" in first:
        return 0.97
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    try:
        rows = []
        for row in csv.reader(lf_lines(text[:20000]), delimiter=delimiter, quoting=quoting):
            if any(c.strip() for c in row):
                rows.append(row)
            if len(rows) >= 4:
                break
    except csv.Error:
        return 0.0
    if rows and len(rows[0]) < 2 and pipe_header(first):
        return 0.6        # ours, to reject with a message that names the delimiter
    if not rows or len(rows[0]) < 2:
        return 0.0
    header = rows[0]
    mapped = {canonical_for(h)[0] for h in header if canonical_for(h)}
    layout = detect_layout(header)
    if layout.dialect != "generic":
        return 0.97 if tags_only_in_cells(text, delimiter, quoting) else 0.9
    if mapped & set(CONTENT_COLUMNS) and len(header) >= 2:
        return 0.97 if tags_only_in_cells(text, delimiter, quoting) else 0.85
    # A consistent table with several columns: ours to read (and to reject with a useful message).
    body = rows[1:-1] if len(rows) > 2 else rows[1:]     # the last sampled row may be cut off
    if len(header) >= 3 and body and all(len(r) == len(header) for r in body):
        return 0.55
    return 0.0


def parse(text: str, filename: str) -> ParseResult:
    text, first, header_line, delimiter = opening(text)
    if not first:
        raise InputError("file is empty", path=filename, line=1, hint="nothing to read")
    quoting = wos_quoting(text) if (delimiter == "\t" and re.match(r"^(PT|FN)\t", first)) else csv.QUOTE_MINIMAL
    reader = row_reader(text, delimiter, quoting)
    header: list[str] | None = None
    records: list[ParsedRecord] = []
    seen_ids: dict[str, int] = {}
    plan: dict[str, list[int]] = {}
    extras: list[tuple[int, str]] = []
    layout: Layout | None = None
    prev_line = 0
    anchor: int | None = None
    realigned = 0
    shapes: RowShapes | None = None
    try:
        for row in reader:
            start = prev_line + 1
            prev_line = reader.line_num
            if is_blank_row(row):
                continue
            if header is None:
                header = [h.strip() for h in row]
                layout = detect_layout(header)
                plan, extras = column_plan(header, layout)
                plan = merge_numbered(plan)
                keys = [header_key(h) for h in header]
                anchor = keys.index(layout.insert_after) if layout.insert_after in keys else None
                named = max((i + 1 for i, h in enumerate(header) if h), default=len(header))
                shapes = RowShapes(width=len(header), named=named, delimiter=delimiter)
                if len(header) == 1 and pipe_header(first):
                    raise InputError(
                        "the header is delimited by pipes '|'", path=filename, line=start,
                        hint="only comma, semicolon and tab delimited tables are read: re-save the "
                             "table as CSV (comma) or tab-delimited text",
                    )
                if not (set(plan) & {"title", "abstract", "authors"}):
                    raise InputError(
                        f"not a records file: no title, abstract or author column in the header "
                        f"({', '.join(header[:8])}{'...' if len(header) > 8 else ''})",
                        path=filename, line=start,
                        hint=f"name a column as one of — {accepted_names()} (see docs/formats-structured.md)",
                    )
                continue
            assert layout is not None and shapes is not None
            if layout.dialect == "generic":
                # a table no database wrote (our CSV export, a spreadsheet): a formula-like
                # cell escaped for spreadsheets reads as its text (databases write theirs as is)
                row = [unescape_formula(c) if c[:1] == "'" else c for c in row]
            if anchor is not None and len(row) > len(header):
                row = row[:anchor + 1] + row[anchor + 1 + len(row) - len(header):]
                realigned += 1
            shapes.observe(row, start)
            fields, source_db = row_fields(row, plan, extras, layout)
            rid = fields.get("record_id", "")
            if rid:
                if rid in seen_ids:
                    raise InputError(
                        f"duplicate ID {rid!r} (first on line {seen_ids[rid]})", path=filename, line=start,
                        record=rid, hint="ID values must be unique within a file; fix or remove the repeated row",
                    )
                seen_ids[rid] = start
            records.append(ParsedRecord(fields=fields, line=start, source_db=source_db))
    except csv.Error as err:
        raise InputError(f"malformed CSV: {err}", path=filename, line=prev_line + 1 if prev_line else header_line,
                         hint="a quoted field is not closed (truncated file?) or quotes are unbalanced; "
                              "re-export the file") from None
    if header is None:
        raise InputError("file is empty", path=filename, line=1, hint="nothing to read")
    assert layout is not None and shapes is not None
    # rows whose field count is not the header's: misread rows stop ingest, others are named
    warnings = shapes.judge(filename)
    if realigned:
        warnings.append(f"{filename}: {realigned} rows have more cells than the header (a later export "
                        f"layout); their columns after {header[anchor]!r} were realigned from the right")
    return ParseResult(records=records, expected_count=count_rows(text, delimiter, quoting),
                       format="tabular", dialect=layout.dialect, warnings=warnings)


READER = register_reader(Reader(
    name="tabular",
    description="CSV/TSV: Scopus, Lens, OpenAlex, Embase, IEEE, Zotero, WoS tab-delimited, PubMed (legacy), generic",
    extensions=("csv", "tsv", "txt", "tab"),
    sniff=sniff,
    parse=parse,
))
