"""Which records are still in screening: how every view reads the marks stages leave on a row.

Stages never drop a row; they mark it (``duplicate_of``, ``rule_decision``, ``removed_reason``,
``other_method``). These functions are the one reading of those marks, so the PRISMA counts,
the screening queue, the ranker and the exports agree on what is "in play" (blank marks count
as no mark, whether a table came back from CSV or Parquet).
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd


def in_play(records: pd.DataFrame) -> pd.Series:
    """True where a record is still to screen at title/abstract: identified by a database or
    register search (not by another method), not a duplicate, not excluded by a rule, not
    removed for another reason (``removed_reason``); missing columns count as in play.

    The one definition of "in screening": the PRISMA counts, the screening queue, the ranker
    and the exports all use it, so their numbers agree (blank marks count as no mark).
    """
    mask = _kept(records) & ~from_other_method(records)
    if "rule_decision" in records.columns:
        mask &= marks(records["rule_decision"]).str.lower().ne("exclude")
    return mask


def from_other_method(records: pd.DataFrame) -> pd.Series:
    """True where another method (citation searching, a website...) identified the record."""
    if "other_method" not in records.columns:
        return pd.Series(False, index=records.index)
    return marks(records["other_method"]).ne("")


def other_method_reports(records: pd.DataFrame) -> pd.Series:
    """True where a record identified by another method is a report sought for retrieval:
    not a duplicate (of a database record, or of another method's) and not removed for
    another reason. PRISMA 2020's 'other methods' column has no screening box: such records
    are not title/abstract screened (nor checked by the rules stage), they enter at full text."""
    return _kept(records) & from_other_method(records)


def other_report_ids(records: pd.DataFrame) -> frozenset[str]:
    """The ids of :func:`other_method_reports`: the full-text set's records that no title/abstract
    decision put there (what :func:`~screening.decisions.outcomes.final_decisions` takes)."""
    return frozenset(records.loc[other_method_reports(records), "record_id"].astype(str))


def _kept(records: pd.DataFrame) -> pd.Series:
    mask = pd.Series(True, index=records.index)
    for column in ("duplicate_of", "removed_reason"):
        if column in records.columns:
            mask &= marks(records[column]).eq("")
    return mask


SEARCHES_DIR = "searches"     # data/raw/<review>/searches/<search>/page-N: saved API responses


def from_saved_search(source_file: object) -> bool:
    """Whether a record's ``source_file`` is a page `screening search` saved (not an export
    listed in [[sources]]): such files are the search log's, and their names are numbered."""
    return f"/{SEARCHES_DIR}/" in str(source_file or "").replace("\\", "/")


def marks(series: pd.Series) -> pd.Series:
    """A mark column (duplicate_of, rule_decision, source_db...) as stripped text, missing
    values as '': how every count reads marks, so they all agree."""
    return series.map(cell_text)


def row_in_play(record: Mapping[str, Any]) -> bool:
    """:func:`in_play` for one record (a dict of its fields)."""
    return (not cell_text(record.get("duplicate_of")) and not cell_text(record.get("removed_reason"))
            and not cell_text(record.get("other_method"))
            and cell_text(record.get("rule_decision")).lower() != "exclude")


def row_other_method_report(record: Mapping[str, Any]) -> bool:
    """:func:`other_method_reports` for one record (a dict of its fields)."""
    return (bool(cell_text(record.get("other_method"))) and not cell_text(record.get("duplicate_of"))
            and not cell_text(record.get("removed_reason")))


def cell_text(value: Any) -> str:
    """A cell as stripped text: '' for None, NaN and pd.NA (a table read back from parquet or
    CSV holds any of them for an empty cell)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def without_abstract(records: pd.DataFrame) -> pd.Series:
    """True where a record has no abstract (column missing, empty or blank)."""
    if "abstract" not in records.columns:
        return pd.Series(True, index=records.index)
    return records["abstract"].fillna("").astype(str).str.strip().eq("")
