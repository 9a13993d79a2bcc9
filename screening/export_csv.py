"""`screening export`'s CSV: the exported rows as a table for people, most of whom open it in
Excel (so it is UTF-8 with a BOM, written by :func:`screening.export.export_records`).

A text cell starting like a formula (``=``, ``+``, ``-``, ``@``...) would be run as one by a
spreadsheet: such cells are escaped with a leading ``'`` (:mod:`screening.csv_formulas`; our
readers strip it again), numeric columns (year, rank, a negative score) are left as numbers.
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
CSV_COLUMNS = ("record_id", "title", "authors", "year", "journal", "journal_abbrev", "volume", "issue", "pages",
               "doi", "pmid", "pmcid", "issn", "isbn", "abstract", "keywords", "language", "publication_type",
               "url", "booktitle", "publisher", "notes", "source_db", "found_in", "merged_from", "source_file",
               "source_line", "source_record_id", "rank", "score")
# CSV header for a records column, where it differs: a 'notes' column makes `decide --from`
# read a file as Rayyan's when a note holds Rayyan's decisions (as its RIS exports' N1 do)
CSV_NAMES = {"notes": "source_notes"}
# the records table's numeric columns (year, source_line, rank, score): every other exported
# column, the decision and per-reviewer ones included, holds text
NUMERIC_COLUMNS = frozenset(name for name, col in SCHEMA.items() if col.kind in ("int", "float"))


@dataclass(frozen=True)
class CsvExport:
    text: str
    warnings: tuple[str, ...] = ()


def _cells(rows: pd.DataFrame, extra: ReviewerColumns | None) -> pd.DataFrame:
    """The exported columns, each cell as the text it is written as (before escaping)."""
    cols = [c for c in CSV_COLUMNS if c in rows.columns] + list(STATUS_COLUMNS) + \
        (["study"] if "study" in rows.columns else []) + (list(extra.table.columns) if extra is not None else [])
    out = rows[cols].copy()
    for c in cols:
        if c in ("reviewer_notes", "full_text_reports"):     # items hold ';' and ','
            out[c] = out[c].map(CELL_SEP.join)
        else:
            out[c] = out[c].map(lambda v: LIST_SEP.join(as_list(v))) if c in LIST_COLUMNS else out[c].map(as_text)
    return out


def csv_export(rows: pd.DataFrame, extra: ReviewerColumns | None = None) -> CsvExport:
    """The CSV text of the exported ``rows`` (with ``extra``'s per-reviewer columns), text cells
    escaped for spreadsheets, and the warnings about it."""
    cells = _cells(rows, extra)
    for c in cells.columns:
        if c not in NUMERIC_COLUMNS:
            cells[c] = cells[c].map(escape_formula)
    text = cells.rename(columns=CSV_NAMES).to_csv(index=False, lineterminator="\n")
    return CsvExport(text)


def to_csv(rows: pd.DataFrame, extra: ReviewerColumns | None = None) -> str:
    """:func:`csv_export`'s text."""
    return csv_export(rows, extra).text
