"""Do the records people have decided on still exist, as the same records, after a re-ingest?

A ``record_id`` is set once, at ingest, from its export's file name and its position in the
file (``lens_49-00046``). Exports are immutable, so that is stable -- unless someone edits an
export in place (every record after the edit moves up one id), renames it, or drops its
``[[sources]]`` entry. Then a decision logged on ``lens_49-00046`` silently names another
study, or no study at all, and a stored dedup-review decision may merge two unrelated records.
:func:`decided_records_changed` compares the previous ingest with the new one for exactly the
ids people have decided on, so the runner can refuse before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pandas as pd

from screening.normalize import normalize_doi, normalize_title


@dataclass(frozen=True)
class ChangedRecords:
    """Decided ids that are gone from the new table (``lost``) or now name another record
    (``moved``), with the source files they came from (as the previous ingest recorded them)."""

    lost: tuple[str, ...]
    moved: tuple[str, ...]
    files: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.lost or self.moved)

    def message(self) -> str:
        parts = []
        if self.moved:
            parts.append(f"{len(self.moved)} decided record id(s) now name another record (e.g. {self.moved[0]})")
        if self.lost:
            parts.append(f"{len(self.lost)} decided record id(s) are no longer in the sources (e.g. {self.lost[0]})")
        return (f"{' and '.join(parts)}: their source export changed, was renamed or left [[sources]] "
                f"({', '.join(self.files[:3])}{' ...' if len(self.files) > 3 else ''})")


def _identity(row: pd.Series) -> tuple[str, str]:
    """What makes a record the same record: its title (normalised) and DOI."""
    return normalize_title(str(row.get("title") or "")), normalize_doi(str(row.get("doi") or ""))


def decided_records_changed(old: pd.DataFrame, new: pd.DataFrame, decided: Iterable[str]) -> ChangedRecords:
    """The decided ids of ``old`` (the previous ingest) that ``new`` lost or gave to another record."""
    old_by_id = old.drop_duplicates("record_id").set_index("record_id")
    new_by_id = new.drop_duplicates("record_id").set_index("record_id")
    lost, moved, files = [], [], []
    for rid in sorted({str(r) for r in decided}):
        if rid not in old_by_id.index:
            continue                        # not from the previous ingest (an API search's, or unknown)
        before = old_by_id.loc[rid]
        if rid not in new_by_id.index:
            lost.append(rid)
        elif _identity(before) != _identity(new_by_id.loc[rid]):
            moved.append(rid)
        else:
            continue
        source = str(before.get("source_file") or "")
        if source and source not in files:
            files.append(source)
    return ChangedRecords(tuple(lost), tuple(moved), tuple(files))
