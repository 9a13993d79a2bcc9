"""What each database contributed: a group-by over the dedup marks (PRISMA-S per-source counts).

One definition, used by the dedup stage's report, ``screening dedup``'s table and the PRISMA
report, so the three can never disagree. A record's *study* is its duplicate group: the kept
record's id (``dup_group``, else ``duplicate_of`` for tables marked by another tool), or the
record itself. A study counts for every source with a record in it, including the unnamed
source; a study whose kept record is not in the table (a record of an earlier search, linked by
a search update) is not a study found by this search, as in the "unique" headline count.
"""

from __future__ import annotations

import pandas as pd

from screening.record_marks import marks

UNKNOWN_SOURCE = "Unknown source"     # rows whose export named no database (PRISMA uses it too)
COLUMNS = ["source", "records", "duplicates", "studies", "only_here"]


def _text(records: pd.DataFrame, column: str) -> pd.Series:
    if column not in records.columns:
        return pd.Series([""] * len(records), index=records.index, dtype=object)
    # read as the PRISMA counts read it, so a ' ' in a table marked by another tool is "not a
    # duplicate" in both and the two reports agree
    return marks(records[column])


def record_studies(records: pd.DataFrame) -> tuple[pd.Series, set[str]]:
    """Each record's study (see the module docstring) and the kept records' ids."""
    ids, duplicate_of = _text(records, "record_id"), _text(records, "duplicate_of")
    group = _text(records, "dup_group")
    return group.where(group != "", duplicate_of.where(duplicate_of != "", ids)), set(ids[duplicate_of == ""])


def _counted(records: pd.DataFrame, counted: pd.Series | None) -> pd.Series:
    return pd.Series(True, index=records.index) if counted is None else pd.Series(counted, index=records.index)


def source_contributions(records: pd.DataFrame, counted: pd.Series | None = None) -> pd.DataFrame:
    """Per source database: records, duplicates marked, studies found, studies found only there.

    ``counted``: the rows to count (PRISMA-S counts the database searches', not a citation
    search's); their studies are still read from the whole table, so a study whose kept record
    came from another method is found by each database with a copy of it (acceptance testing:
    both databases lost a study dedup kept as its website record). Sorted by records (most
    first), then name. Empty when the table has no dedup marks."""
    if "duplicate_of" not in records.columns or not len(records):
        return pd.DataFrame(columns=COLUMNS)
    study, kept = record_studies(records)
    rows = _counted(records, counted).to_numpy(dtype=bool)
    records, study = records[rows], study[rows]
    if not len(records):
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.DataFrame({"source": _text(records, "source_db").replace("", UNKNOWN_SOURCE).to_numpy(),
                          "duplicate": (_text(records, "duplicate_of") != "").to_numpy(), "study": study.to_numpy()})
    out = frame.groupby("source", sort=True).agg(records=("study", "size"), duplicates=("duplicate", "sum"))
    found = frame[frame["study"].isin(kept)]
    out["studies"] = found.groupby("source")["study"].nunique()
    sources_per_study = found.groupby("study")["source"].nunique()
    only = found[found["study"].map(sources_per_study).eq(1)]
    out["only_here"] = only.groupby("source")["study"].nunique()
    out = out.fillna(0).astype(int).reset_index()
    return out.sort_values(["records", "source"], ascending=[False, True], kind="stable").reset_index(drop=True)


ROUND_COLUMNS = ["date", "records", "studies", "new_studies"]


def search_rounds(records: pd.DataFrame, dates: pd.Series, counted: pd.Series | None = None) -> pd.DataFrame:
    """Per search round (an original search and its updates): records, studies found, and
    studies *new* in that round (no record of them came from an earlier round).

    ``dates``: each record's round, as a label that sorts by time (its first date,
    ``YYYY-MM-DD...``), aligned with ``records``. Empty unless every record has one and there
    are two rounds or more: with an undated source "new" cannot be told. The new studies of
    all rounds add up to the studies with a counted record (records identified − duplicates
    removed, when every kept record is counted).
    ``counted``: the rows to count, as in :func:`source_contributions`."""
    if "duplicate_of" not in records.columns or not len(records):
        return pd.DataFrame(columns=ROUND_COLUMNS)
    study, kept = record_studies(records)
    rows = _counted(records, counted).to_numpy(dtype=bool)
    when, study = dates.astype(str).to_numpy()[rows], study[rows]
    if not len(when) or (when == "").any() or len(set(when)) < 2:
        return pd.DataFrame(columns=ROUND_COLUMNS)
    frame = pd.DataFrame({"date": when, "study": study.to_numpy()})
    out = frame.groupby("date", sort=True).agg(records=("study", "size"))
    found = frame[frame["study"].isin(kept)]
    out["studies"] = found.groupby("date")["study"].nunique()
    first = found.groupby("study")["date"].min()
    out["new_studies"] = first.value_counts()
    return out.fillna(0).astype(int).reset_index()[ROUND_COLUMNS]
