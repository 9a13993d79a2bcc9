"""Do the records people have decided on still exist, as the same records, after a re-ingest?

A ``record_id`` is set once, at ingest, from its export's file name and its position in the
file (``lens_49-00046``). Exports are immutable, so that is stable -- unless someone edits an
export in place (every record after the edit moves up one id), renames it, or drops its
``[[sources]]`` entry. Then a decision logged on ``lens_49-00046`` silently names another
study, or no study at all, and a stored dedup-review decision may merge two unrelated records.
:func:`decided_records_changed` checks, for exactly the ids people have decided on, that the new
ingest gives each the record the decision was made on (decisions store its title, DOI and file)
or, for older logs, the record the previous ingest gave it, so the runner can refuse before
anything is written.

"The same record" is judged leniently, because every tool upgrade re-ingests and a reader fix
may change what is extracted (a DOI newly found in another field, a subtitle now joined to the
title): a record has moved only when it now comes from another export (raw folders
reorganised when an update arrived), or both versions have a DOI and they differ, or the titles
are clearly different works. A renumbered export gives each id a neighbour's record, which
fails the last two tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Iterable, Mapping

import pandas as pd
from rapidfuzz import fuzz

from screening.normalize import normalize_doi, normalize_title
from screening.record_marks import from_saved_search

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
                 "their source export changed, was renamed or moved, or left [[sources]]")
        return (f"{' and '.join(parts)}: {where} "
                f"({', '.join(self.files[:3])}{' ...' if len(self.files) > 3 else ''})")


def _same_file(a: str, b: str) -> bool:
    """Two ``source_file`` values name one export: relative to the project, the same path (two
    rounds' ``pubmed.ris`` in two folders are two exports); when either lies outside the project
    (an absolute path, which moves with the folders around it), the same file name."""
    a, b = a.replace("\\", "/"), b.replace("\\", "/")
    if PurePosixPath(a).is_absolute() or PureWindowsPath(a).is_absolute() \
            or PurePosixPath(b).is_absolute() or PureWindowsPath(b).is_absolute():
        return a.rsplit("/", 1)[-1] == b.rsplit("/", 1)[-1]
    return a == b


def moved_exports(before: Mapping[str, str], now: Mapping[str, str]) -> dict[str, str]:
    """Exports moved or renamed with their bytes unchanged: previous name -> current name, from
    (name -> SHA-256) of the previous ingest (:func:`screening.raw_changes.ingested_digests`) and
    of this one. Such a file is the same export in a new folder, so its records are the same
    records (:func:`_same` would otherwise call every decided one moved)."""
    gone = {digest: name for name, digest in before.items() if name not in now}
    return {gone[digest]: name for name, digest in now.items() if name not in before and digest in gone}


def _same(a: tuple[str, ...], b: tuple[str, ...], moved: Mapping[str, str] | None = None) -> bool:
    """Two raw (title, doi, source_file) tuples name one record: from the same export when both
    name one (another database's copy of the same article is another record: its decisions,
    dedup's kept copy and found_in would all shift), and the DOIs agree when both have one, else
    the titles do (normalised only when they differ as written; a missing title is no evidence
    of a move)."""
    if len(a) > 2 and len(b) > 2 and a[2] and b[2] and not _same_file(a[2], b[2]) \
            and not _same_file((moved or {}).get(a[2], a[2]), b[2]):
        return False
    doi_a, doi_b = normalize_doi(a[1]), normalize_doi(b[1])
    if doi_a and doi_b:
        return doi_a == doi_b
    if a[0] == b[0]:
        return True
    title_a, title_b = normalize_title(a[0]), normalize_title(b[0])
    if not title_a or not title_b:
        return True
    return title_a == title_b or fuzz.token_set_ratio(title_a, title_b) >= SAME_TITLE


def _by_id(table: pd.DataFrame | None, cols: list[str], ids: set[str]) -> dict[str, list[tuple[str, ...]]]:
    """record_id -> its (cols...) rows, for ``ids`` only (a 100k-record table is large)."""
    if table is None or not len(table):
        return {}
    t = table.reindex(columns=["record_id", *cols])
    t = t[t["record_id"].astype(str).isin(ids)].fillna("").astype(str)
    out: dict[str, list[tuple[str, ...]]] = {}
    for rid, *rest in t.itertuples(index=False, name=None):
        out.setdefault(rid, []).append(tuple(rest))
    return out


def decided_records_changed(old: pd.DataFrame | None, new: pd.DataFrame, decided: Iterable[str],
                            decided_on: pd.DataFrame | None = None,
                            moved_files: Mapping[str, str] | None = None) -> ChangedRecords:
    """The decided ids that ``new`` lost or gave to another record.

    ``decided_on`` (from the decision log, :func:`screening.decisions.entries.decided_on`: one
    row per record a standing decision on the id was made on) is what people decided on. An id
    that still names each of those records is unchanged, whatever the previous ingest ``old``
    said: restoring an export after a change the team let through is no change. One that does
    not is changed, unless ``old`` already had it so (the team let that change through with
    ``--allow-changed-sources`` and was warned then). Ids without it (decisions logged before
    0.6, dedup-review pairs) are compared with ``old`` only; without ``old`` either (a first
    run), there is nothing to compare them with. ``moved_files``: :func:`moved_exports` (a record of
    an export moved as it was is in its new file, not in another export's copy)."""
    ids = {str(r) for r in decided}
    before = {k: v[0] for k, v in _by_id(old, ["title", "doi", "source_file"], ids).items()}
    seen = _by_id(decided_on, ["title", "doi", "source_file"], ids)
    after = {k: v[0] for k, v in _by_id(new, ["title", "doi", "source_file"], ids).items()}

    lost, moved, files = [], [], []
    for rid in sorted(ids):
        refs = seen.get(rid) or ([before[rid]] if rid in before else [])
        if not refs:
            continue                    # nothing to compare against
        now = after.get(rid)
        if now is None:
            if rid in seen and old is not None and rid not in before:
                continue                # already gone before this run: let through then
            lost.append(rid)
        elif all(_same(ref, now, moved_files) for ref in refs) or (rid in seen and rid in before
                                                                   and _same(before[rid], now, moved_files)):
            continue
        else:
            moved.append(rid)
        source = refs[0][2] or before.get(rid, ("", "", ""))[2]
        if source and source not in files:
            files.append(source)
    return ChangedRecords(tuple(lost), tuple(moved), tuple(files))


def decided_on_other_records(records: pd.DataFrame, decided_on: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(record_id, title decided on, title now) for each id in ``decided_on`` (from the
    decision log) that names another record in ``records`` than a standing decision was made
    on: decisions a run with ``--allow-changed-sources`` left pointing at a renumbered export's
    neighbouring record."""
    ids = set(decided_on["record_id"].astype(str)) if len(decided_on) else set()
    # title and DOI only: after a run let an export's move through, the log keeps the old path,
    # and the report would call every decision on it 'made on another record' on each run
    now = {k: v[0] for k, v in _by_id(records, ["title", "doi"], ids).items()}
    out = []
    for rid, refs in _by_id(decided_on, ["title", "doi"], ids).items():
        cur = now.get(rid)
        bad = next((ref for ref in refs if cur is not None and not _same(ref, cur)), None)
        if bad is not None:
            out.append((rid, bad[0], cur[0]))       # type: ignore[index]
    return sorted(out)


def previous_id_stems(old: pd.DataFrame | None) -> dict[str, str]:
    """source_file -> the stem its records' ids had (``pubmed_2`` of ``pubmed_2-00017``) in an
    earlier ingest's table, for files whose generated ids all share one stem that no other file
    holds. Ingest keeps these (``ingest(kept_stems=...)``): ids come from file names, numbered
    when two files share one, so without them an update's ``pubmed.ris`` listed above the first
    search's would take ``pubmed`` and every decided id would name the update's copy."""
    if old is None or not len(old) or not {"record_id", "source_file"} <= set(old.columns):
        return {}
    ids = old["record_id"].astype(str)
    stems = ids.str.extract(r"^(.+)-\d{5,}$")[0]
    frame = pd.DataFrame({"file": old["source_file"].astype(str), "stem": stems})
    # ids a file carried itself (a CSV's record_id column) have no stem: they name no numbering
    per_file = frame.dropna().groupby("file")["stem"].unique()
    out = {f: str(s[0]) for f, s in per_file.items() if len(s) == 1}
    holders = pd.Series(list(out.values())).value_counts()
    return {f: s for f, s in out.items() if holders[s] == 1}

