"""Do the records people have decided on still exist, as the same records, after a re-ingest?

A ``record_id`` is set once, at ingest, from its export's file name and its position in the
file (``lens_49-00046``). Exports are immutable, so that is stable -- unless someone edits an
export in place (every record after the edit moves up one id), renames it, or drops its
``[[sources]]`` entry. Then a decision logged on ``lens_49-00046`` silently names another
study, or no study at all, and a stored dedup-review decision may merge two unrelated records.
:func:`decided_records_changed` compares the previous ingest with the new one for exactly the
ids people have decided on, so the runner can refuse before anything is written.

"The same record" is judged leniently, because every tool upgrade re-ingests and a reader fix
may change what is extracted (a DOI newly found in another field, a subtitle now joined to the
title): a record has moved only when both versions have a DOI and they differ, or the titles
are clearly different works. A renumbered export gives each id a neighbour's record, which
fails both tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pandas as pd
from rapidfuzz import fuzz

from screening.normalize import normalize_doi, normalize_title
from screening.records import from_saved_search

SAME_TITLE = 80     # token-set similarity (0-100) above which two titles are one work's


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
        searches = [f for f in self.files if from_saved_search(f)]
        where = ("saved API search pages were numbered differently (a search resumed after another one "
                 "completed?)" if searches and len(searches) == len(self.files) else
                 "their source export changed, was renamed or left [[sources]]")
        return (f"{' and '.join(parts)}: {where} "
                f"({', '.join(self.files[:3])}{' ...' if len(self.files) > 3 else ''})")


def _same_record(title_a: str, doi_a: str, title_b: str, doi_b: str) -> bool:
    if doi_a and doi_b:
        return doi_a == doi_b
    if not title_a or not title_b:
        return True                     # nothing to tell them apart by: not evidence of a move
    return title_a == title_b or fuzz.token_set_ratio(title_a, title_b) >= SAME_TITLE


def decided_records_changed(old: pd.DataFrame, new: pd.DataFrame, decided: Iterable[str]) -> ChangedRecords:
    """The decided ids of ``old`` (the previous ingest) that ``new`` lost or gave to another record."""
    ids = pd.Series(sorted({str(r) for r in decided}), name="record_id", dtype=object)
    cols = ["record_id", "title", "doi", "source_file"]
    before = old.reindex(columns=cols).fillna("").astype(str).drop_duplicates("record_id")
    before = before[before["record_id"].isin(ids)]        # ids from elsewhere (an API search...) aside
    after = new.reindex(columns=["record_id", "title", "doi"]).fillna("").astype(str).drop_duplicates("record_id")
    both = before.merge(after, on="record_id", how="left", suffixes=("", "_new"), indicator=True)
    lost, moved, files = [], [], []
    for rid, title, doi, source, title_new, doi_new, where in both.itertuples(index=False, name=None):
        if where == "left_only":
            lost.append(rid)
        elif not _same_record(normalize_title(title), normalize_doi(doi),
                              normalize_title(str(title_new)), normalize_doi(str(doi_new))):
            moved.append(rid)
        else:
            continue
        if source and source not in files:
            files.append(source)
    return ChangedRecords(tuple(lost), tuple(moved), tuple(files))
