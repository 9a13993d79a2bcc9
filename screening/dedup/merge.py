"""The kept record of each duplicate group takes what its copies add: empty fields filled in,
document types joined, every value's source recorded (``merged_from``).

Only the kept row changes; the copies stay as they were. A group that holds two versions of a
study (a preprint and its article, linked by a person) never gives the kept record a citation
assembled from both (``LOCATOR_FIELDS``). docs/dedup.md, "Kept record and merge".
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from screening.dedup.journal_names import journal_variants, journals_compatible
from screening.records import as_list

# Fields copied into the kept record from its duplicates when the kept one lacks them.
# title_original (the title in the language of publication) describes the study, like the
# abstract: MEDLINE's translated-title copy carries it (TT) where Embase's copy may not.
MERGE_FIELDS = ("abstract", "title_original", "doi", "pmid", "pmcid", "journal", "journal_abbrev", "volume",
                "issue", "pages", "year", "issn", "isbn", "language", "url", "publisher", "booktitle", "authors")
# List fields the kept record takes from its whole group: one study's document types, as
# each database labels them (PubMed's RIS says JOUR where Scopus says Letter), so a
# publication-type rule sees what any copy says. The kept record's own values stay first.
UNION_FIELDS = ("publication_type",)
# Fields that say where one version of a study was published. A copy with another DOI or PMID
# is another version (a preprint and its journal article, linked by a person): filling the
# kept preprint's empty journal, volume and pages from the article would cite a mix of the two,
# so such a copy gives only what describes the study itself (abstract, authors, language).
LOCATOR_FIELDS = frozenset({"doi", "pmid", "pmcid", "journal", "journal_abbrev", "volume", "issue", "pages",
                            "year", "issn", "isbn", "url", "publisher", "booktitle"})
_VERSION_IDS = ("doi", "pmid")
_COMPLETE_FIELDS = ("title", "abstract", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid")


def completeness(df: pd.DataFrame) -> np.ndarray:
    """How many of the fields a citation needs each row has: the most complete record of a group
    is kept, and its copies give their values in this order."""
    score = np.zeros(len(df), dtype=np.int64)
    for col in _COMPLETE_FIELDS:
        if col not in df.columns:
            continue
        values = df[col].tolist()
        score += np.fromiter((1 if (len(v) if isinstance(v, (list, str)) else not pd.isna(v)) else 0
                              for v in values), dtype=np.int64, count=len(values))
    return score


def merge_into_kept(table: pd.DataFrame, combined: pd.DataFrame, groups: Iterable[Sequence[int]],
                    kept_of: np.ndarray, complete: np.ndarray, rank: np.ndarray, ids: Sequence[str]) -> dict[int, list[str]]:
    """Fill each kept row's empty fields (``MERGE_FIELDS``) and join its ``UNION_FIELDS`` from its
    group, in ``table`` (the first rows of ``combined``; a group kept as an earlier search's
    record outside it is not changed). Donors in order: most complete first, then record id.
    Returns, per kept row changed, each value's source as ``field: record_id``."""
    n = len(table)
    merged_from: dict[int, list[str]] = {}
    cols = [c for c in MERGE_FIELDS if c in table.columns]
    col_values = {c: combined[c].tolist() for c in cols}
    updates: dict[str, dict[int, Any]] = defaultdict(dict)
    union_cols = [c for c in UNION_FIELDS if c in table.columns]
    union_values = {c: combined[c].tolist() for c in union_cols}
    for members in groups:
        k = int(kept_of[members[0]])
        if len(members) < 2 or k >= n:
            continue
        donors = sorted((m for m in members if m != k), key=lambda m: (-int(complete[m]), rank[m]))
        locator_donors = _same_version_donors(k, donors, col_values)
        came_from: list[str] = []          # provenance of every merged value, for the audit
        for c in union_cols:
            values = union_values[c]
            merged = _union([values[k], *(values[d] for d in donors)])
            if len(merged) > len(as_list(values[k])):
                updates[c][k] = merged
                have = {v.casefold() for v in as_list(values[k])}
                for d in donors:
                    added = [v for v in as_list(values[d]) if v.casefold() not in have]
                    if added:
                        came_from.append(f"{c}: {ids[d]}")
                        have.update(v.casefold() for v in added)
        for c in cols:
            if _empty(col_values[c][k]):
                for d in (locator_donors if c in LOCATOR_FIELDS else donors):
                    if not _empty(col_values[c][d]):
                        updates[c][k] = col_values[c][d]
                        came_from.append(f"{c}: {ids[d]}")
                        break
        if came_from:
            merged_from[k] = came_from
    for c, vals in updates.items():
        series = table[c].copy()
        for k, v in vals.items():
            series.iat[k] = list(v) if isinstance(v, list) else v
        table[c] = series
    return merged_from


def _same_version_donors(k: int, donors: list[int], col_values: Mapping[str, list[Any]]) -> list[int]:
    """The donors that may give the kept record ``k`` where-published fields (LOCATOR_FIELDS).

    Decided for the whole group, not pair by pair: while the group holds one DOI and one PMID
    at most, all its records are one version and every donor may fill in. With more (a preprint
    and its article, linked by a person), only records of the kept record's version do -- the
    same DOI or PMID; a record without either could be any version and gives nothing. A kept
    record without either takes them as a unit from its first donor that has one (and that
    donor's version), so no citation is assembled from two versions."""
    def ids_of(m: int) -> tuple[str, ...]:
        return tuple("" if c not in col_values or _empty(col_values[c][m]) else str(col_values[c][m]).strip().lower()
                     for c in _VERSION_IDS)

    group = [k, *donors]
    seen = [ids_of(m) for m in group]
    if all(len({s[i] for s in seen if s[i]}) <= 1 for i in range(len(_VERSION_IDS))):
        return donors
    with_ids = [d for d, s in zip(donors, seen[1:]) if any(s)]
    # a kept record without DOI or PMID: the version published where it says it was (its
    # journal), else the first donor that names one
    venue = col_values["journal"][k] if "journal" in col_values else ""
    if not _empty(venue) and str(venue).strip():
        mine_j = journal_variants(str(venue))
        with_ids.sort(key=lambda d: not (not _empty(col_values["journal"][d])
                                         and journals_compatible(mine_j, journal_variants(str(col_values["journal"][d])))))
    anchor = k if any(seen[0]) else (with_ids[0] if with_ids else None)
    if anchor is None:
        return []
    mine = ids_of(anchor)
    return [d for d in donors if d == anchor or any(a and a == b for a, b in zip(mine, ids_of(d)))]


def carried_provenance(prior: list[list[str]], now: dict[int, list[str]], dup_group: list[str],
                       ids: list[str], n: int) -> list[list[str]]:
    """``merged_from`` of every row: what an earlier run recorded (a table deduplicated before
    holds those values still), then what this run merged. An earlier entry whose donor is no
    longer in the row's group (a person has since called them distinct) stays, marked, since the
    value is still in the row."""
    group_of = dict(zip(ids[:n], dup_group))
    out = []
    for i in range(n):
        entries = []
        for e in prior[i]:
            base = e.removesuffix(_LEFT_GROUP)
            donor = base.rpartition(": ")[2]
            entries.append(base if group_of.get(donor, donor) == dup_group[i] else base + _LEFT_GROUP)
        out.append(list(dict.fromkeys([*entries, *now.get(i, [])])))
    return out


_LEFT_GROUP = " (no longer a duplicate)"


def _union(values: list[Any]) -> list[str]:
    """The list values of a group, each once (case-insensitive), in order."""
    out: dict[str, str] = {}
    for v in values:
        for item in as_list(v):
            out.setdefault(str(item).casefold(), str(item))
    return list(out.values())


def _empty(v: Any) -> bool:
    if isinstance(v, (list, str)):
        return len(v) == 0
    return v is None or bool(pd.isna(v))
