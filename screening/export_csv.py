"""`screening export`'s CSV: the exported rows as a table for people, most of whom open it in
Excel (so it is UTF-8 with a BOM, written by :func:`screening.export.export_records`).

Two things a spreadsheet does to a CSV are guarded against here, as the table is written:

* a text cell starting like a formula (``=``, ``+``, ``-``, ``@``...) would be run as one:
  such cells are escaped with a leading ``'`` (:mod:`screening.csv_formulas`; our readers
  strip it again), numeric columns (year, rank, a negative score) are left as numbers;
* Excel cuts a cell longer than 32,767 characters when it opens the file, without a word
  (a real Lens abstract has 33,847): the file keeps the whole text, and the export warns,
  naming the records, that the RIS keeps it too.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from screening.csv_formulas import escape_formula
from screening.export_reviewers import CELL_SEP, ReviewerColumns
from screening.records import LIST_COLUMNS, LIST_SEP, SCHEMA, as_list, as_text

# decision columns added to the exported rows
STATUS_COLUMNS = ("stage", "status", "decision", "reason", "resolved_by")
# the bibliographic and provenance columns a CSV export carries, in this order
CSV_COLUMNS = ("record_id", "title", "title_original", "authors", "year", "journal", "journal_abbrev", "volume", "issue", "pages",
               "doi", "pmid", "pmcid", "issn", "isbn", "abstract", "keywords", "language", "publication_type",
               "url", "booktitle", "publisher", "notes", "source_db", "found_in", "merged_from", "source_file",
               "source_line", "source_record_id", "rank", "score")
# CSV header for a records column, where it differs: a 'notes' column makes `decide --from`
# read a file as Rayyan's when a note holds Rayyan's decisions (as its RIS exports' N1 do)
CSV_NAMES = {"notes": "source_notes"}
# the records table's numeric columns (year, source_line, rank, score): every other exported
# column, the decision and per-reviewer ones included, holds text
NUMERIC_COLUMNS = frozenset(name for name, col in SCHEMA.items() if col.kind in ("int", "float"))
# the most characters an Excel cell holds (Microsoft, "Excel specifications and limits")
EXCEL_CELL_LIMIT = 32_767
_LONG_SHOWN = 5        # records a warning names


@dataclass(frozen=True)
class CsvExport:
    text: str
    warnings: tuple[str, ...] = ()


def _cells(rows: pd.DataFrame, extra: ReviewerColumns | None) -> pd.DataFrame:
    """The exported columns, each cell as the text it holds (before escaping)."""
    cols = [c for c in CSV_COLUMNS if c in rows.columns] + list(STATUS_COLUMNS) + \
        (["study"] if "study" in rows.columns else []) + (list(extra.table.columns) if extra is not None else [])
    out = rows[cols].copy()
    for c in cols:
        if c in ("reviewer_notes", "full_text_reports"):     # items hold ';' and ','
            out[c] = out[c].map(CELL_SEP.join)
        else:
            out[c] = out[c].map(lambda v: LIST_SEP.join(as_list(v))) if c in LIST_COLUMNS else out[c].map(as_text)
    return out


def _too_long(cells: pd.DataFrame, ids: pd.Series) -> str | None:
    """A warning naming the records (``ids``, aligned with ``cells``) with a cell longer than
    Excel's limit, or None."""
    long: dict[str, list[str]] = {}
    for c in cells.columns:
        lengths = cells[c].map(len)
        over = lengths > EXCEL_CELL_LIMIT
        for rid, n in zip(ids[over], lengths[over]):
            long.setdefault(rid, []).append(f"{CSV_NAMES.get(c, c)}, {n:,} characters")
    if not long:
        return None
    shown = "; ".join(f"{rid} ({', '.join(what)})" for rid, what in list(long.items())[:_LONG_SHOWN])
    more = f" and {len(long) - _LONG_SHOWN} more" if len(long) > _LONG_SHOWN else ""
    return (f"{len(long)} record(s) have a cell longer than Excel's limit of {EXCEL_CELL_LIMIT:,} characters: "
            f"{shown}{more}. Excel cuts such a cell when it opens the file, without a word; the CSV holds the "
            "whole text, and so does a RIS export (-o FILE.ris)")


def csv_export(rows: pd.DataFrame, extra: ReviewerColumns | None = None) -> CsvExport:
    """The CSV text of the exported ``rows`` (with ``extra``'s per-reviewer columns), text cells
    escaped for spreadsheets, and the warnings about it."""
    cells = _cells(rows, extra)
    for c in cells.columns:
        if c not in NUMERIC_COLUMNS:
            cells[c] = cells[c].map(escape_formula)
    warning = _too_long(cells, rows["record_id"].map(as_text))     # the cells as written, quote and all
    text = cells.rename(columns=CSV_NAMES).to_csv(index=False, lineterminator="\n")
    return CsvExport(text, (warning,) if warning else ())
