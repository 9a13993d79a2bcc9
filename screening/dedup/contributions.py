"""What each database contributed: a group-by over the dedup marks (PRISMA-S per-source counts).

One definition, used by the dedup stage's report, ``screening dedup``'s table and the PRISMA
report, so the three can never disagree. A record's *study* is its duplicate group
(``dup_group``), or the record itself when it has none.
"""

from __future__ import annotations

import pandas as pd

UNNAMED = "(unnamed)"        # rows whose export named no database
COLUMNS = ["source", "records", "duplicates", "studies", "only_here"]


def source_contributions(records: pd.DataFrame) -> pd.DataFrame:
    """Per source database: records, duplicates marked, studies found, studies found only there.

    Sorted by records (most first), then name. Empty when the table has no dedup marks."""
    if "duplicate_of" not in records.columns or not len(records):
        return pd.DataFrame(columns=COLUMNS)
    ids = records["record_id"].astype(str)
    group = records["dup_group"].astype(str) if "dup_group" in records.columns else ids
    frame = pd.DataFrame({
        "source": records["source_db"].fillna("").astype(str).replace("", UNNAMED).to_numpy(),
        "duplicate": (records["duplicate_of"].fillna("").astype(str) != "").to_numpy(),
        "study": group.where(group != "", ids).to_numpy(),
    })
    sources_per_study = frame.groupby("study")["source"].nunique()
    frame["only_here"] = frame["study"].map(sources_per_study).eq(1)
    out = frame.groupby("source", sort=True).agg(
        records=("study", "size"), duplicates=("duplicate", "sum"), studies=("study", "nunique"))
    out["only_here"] = frame[frame["only_here"]].groupby("source")["study"].nunique()
    out = out.fillna(0).astype(int).reset_index()
    return out.sort_values(["records", "source"], ascending=[False, True], kind="stable").reset_index(drop=True)
