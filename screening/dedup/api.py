"""deduplicate(): the whole dedup method as one pure function over a records table.

keys (normalise.py) -> candidate pairs (blocking.py) -> verdicts (compare.py) -> stored human
decisions override verdicts -> guarded groups (cluster.py), people's duplicate decisions last and
only those no 'distinct' decision contradicts (conflicts.py) -> kept record, merge, marks ->
the review queue, one entry per pair of groups (queue.py).
No row is dropped or reordered; the input table is never modified.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from screening.dedup.blocking import candidate_pairs
from screening.dedup import conflicts as conflicts_
from screening.dedup.cluster import Grouper, Link
from screening.dedup.compare import DUPLICATE, MAYBE, compare
from screening.dedup.contributions import source_contributions
from screening.dedup.normalise import journal_variants, journals_compatible, keys_for_table
from screening.dedup.queue import MaybePair, contested_entries, group_entries
from screening.dedup.store import pair_key, standing_rows
from screening.errors import StageError
from screening.records import as_list, as_text, conform, marks

# Fields copied into the kept record from its duplicates when the kept one lacks them.
MERGE_FIELDS = ("abstract", "doi", "pmid", "pmcid", "journal", "journal_abbrev", "volume", "issue",
                "pages", "year", "issn", "isbn", "language", "url", "publisher", "booktitle", "authors")
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
COCHRANE_POLICIES = ("duplicate", "maybe", "distinct")


@dataclass
class DedupOutcome:
    table: pd.DataFrame
    counts: dict[str, int]
    details: dict[str, Any]
    maybe_pairs: list[MaybePair] = field(default_factory=list)


# what `dedup-review` shows of a pair, side by side
SHOWN_FIELDS = ("record_id", "source_db", "title", "authors", "year", "journal", "volume", "issue",
                "pages", "doi", "pmid", "abstract")


def shown_fields(table: pd.DataFrame, i: int) -> dict[str, Any]:
    """Row ``i``'s shown fields as JSON-safe values (lists stay lists, missing is '')."""
    out: dict[str, Any] = {}
    for name in SHOWN_FIELDS:
        if name in table.columns:
            v = table[name].iat[i]
            if isinstance(v, (list, tuple, np.ndarray)):
                out[name] = [str(x) for x in v]
            else:
                out[name] = as_text(v)
    return out


def latest_decisions(decisions: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    """Standing decision per pair from the stored log (columns id_a, id_b, decision, seq/decided_at):
    the latest one, unless that is a ``reopen``."""
    return {key: row["decision"] for key, row in standing_rows(decisions).items()}


def _completeness(df: pd.DataFrame) -> np.ndarray:
    score = np.zeros(len(df), dtype=np.int64)
    for col in _COMPLETE_FIELDS:
        if col not in df.columns:
            continue
        values = df[col].tolist()
        score += np.fromiter((1 if (len(v) if isinstance(v, (list, str)) else not pd.isna(v)) else 0
                              for v in values), dtype=np.int64, count=len(values))
    return score


def _outside_kept_stubs(table: pd.DataFrame, prev: pd.DataFrame, dup_marks: dict[str, str]) -> pd.DataFrame:
    """Stand-ins for kept records the earlier table's marks name but does not hold (it was
    itself an update: its duplicates point at a search before it). Each is the first marked
    row's fields under the kept record's id, so the mark can be kept as a link to it."""
    ids = table["record_id"].astype(str)
    present = set(ids) | set(prev["record_id"].astype(str))
    missing = {kept for rid, kept in dup_marks.items() if kept not in present}
    if not missing:                      # the usual case: no copy of the table needed
        return prev.iloc[0:0]
    rows = table.assign(record_id=ids).drop_duplicates("record_id").set_index("record_id")
    stubs: dict[str, pd.Series] = {}
    for rid, kept_id in dup_marks.items():
        if kept_id in missing and kept_id not in stubs and rid in rows.index:
            stubs[kept_id] = rows.loc[rid]
    if not stubs:
        return prev.iloc[0:0]
    out = pd.DataFrame(list(stubs.values())).reset_index(drop=True)
    out.insert(0, "record_id", list(stubs))
    return out[[c for c in prev.columns if c in out.columns]]


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


def _carried_provenance(prior: list[list[str]], now: dict[int, list[str]], dup_group: list[str],
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


def deduplicate(records: pd.DataFrame, *, cochrane_versions: str = "duplicate",
                old_search_value: str = "old_search", max_block: int = 60,
                decisions: pd.DataFrame | None = None, previous: pd.DataFrame | None = None,
                keep_first: Mapping[str, int] | None = None) -> DedupOutcome:
    """Mark duplicates in ``records`` (see docs/dedup.md). Returns a new table with
    ``duplicate_of, dup_group, dup_score, dup_rule, found_in`` filled for every row.

    ``previous``: records of an earlier, already deduplicated search; new rows are linked to
    them (the earlier record is kept) but they are never linked among themselves. Its kept
    records that are also rows of ``records`` (a review that lists the earlier exports too)
    are those rows. Rows whose ``search_set`` equals ``old_search_value`` count as earlier too.

    ``keep_first``: record_id -> priority (lower first) of records that must stay the kept
    record of their group, e.g. those reviewers have already screened (their decisions are
    keyed to that id): a search update's new copy of a screened study becomes the duplicate.
    The kept record's empty fields are filled from its copies (where it was published only
    from copies of the same version: see ``LOCATOR_FIELDS``) and its types joined with
    theirs whether or not it was decided on: skipping that for decided records would drop
    what earlier runs merged in (what the reviewers saw), since every run merges afresh.
    """
    if cochrane_versions not in COCHRANE_POLICIES:
        raise StageError(f"unknown cochrane_versions {cochrane_versions!r}",
                         hint=f"use one of {', '.join(COCHRANE_POLICIES)}")
    n = len(records)
    table = records.copy(deep=True)
    combined = table
    n_prev = 0
    carried: set[str] = set()
    earlier_marks: dict[str, str] = {}     # the earlier run's duplicate marks, kept as they were
    if previous is not None and len(previous):
        prev = conform(previous)
        if "duplicate_of" in prev.columns:   # only the studies kept by the earlier run
            dup_of = marks(prev["duplicate_of"])
            earlier_marks = dict(zip(prev.loc[dup_of != "", "record_id"].astype(str), dup_of[dup_of != ""]))
            prev = prev[dup_of.eq("")]
        in_table = prev["record_id"].isin(set(table["record_id"]))
        carried = set(prev.loc[in_table, "record_id"].astype(str))   # listed here too: those rows
        prev = prev[~in_table]
        prev = pd.concat([prev, _outside_kept_stubs(table, prev, earlier_marks)], ignore_index=True)
        n_prev = len(prev) + len(carried)
        combined = pd.concat([table, prev[[c for c in prev.columns if c in table.columns]]],
                             ignore_index=True)
    total = len(combined)
    ids = combined["record_id"].astype(str).tolist()
    rank = np.empty(total, dtype=np.int64)
    rank[np.argsort(np.array(ids, dtype=object), kind="stable")] = np.arange(total)
    old = np.zeros(total, dtype=bool)
    old[n:] = True
    if carried:
        old[:n] = table["record_id"].astype(str).isin(carried).to_numpy()
    if "search_set" in combined.columns:
        old |= combined["search_set"].astype(str).eq(old_search_value).to_numpy()

    keys = keys_for_table(combined)
    pairs = candidate_pairs(keys, rank, old=old, max_block=max_block)
    standing = standing_rows(decisions)
    stored = {key: row["decision"] for key, row in standing.items()}
    pos = {rid: i for i, rid in enumerate(ids)}

    links: list[Link] = []
    manual: list[Link] = []          # people's duplicate decisions, applied after the rest
    maybes: list[tuple[int, int, float, str]] = []
    cannot: set[tuple[int, int]] = set()
    for i, j in pairs.tolist():
        a, b = (i, j) if rank[i] < rank[j] else (j, i)
        if pair_key(ids[a], ids[b]) in stored:
            continue
        v = compare(keys[a], keys[b], cochrane_versions=cochrane_versions)
        if v.outcome == DUPLICATE:
            links.append(Link(a, b, v.score, v.rule))
        elif v.outcome == MAYBE:
            maybes.append((a, b, v.score, v.reason))
    for rid, kept_id in earlier_marks.items():
        if rid in pos and kept_id in pos and rid != kept_id:
            links.append(Link(pos[rid], pos[kept_id], 1.0, "previous"))
    for (ia, ib), decision in stored.items():
        if ia in pos and ib in pos:
            a, b = pos[ia], pos[ib]
            if decision == "duplicate":
                manual.append(Link(a, b, 1.0, "manual"))
            elif decision == "distinct":
                cannot.add((min(a, b), max(a, b)))

    refused: list[tuple[Link, tuple[int, int]]] = []
    grouper = Grouper(total, keys, rank, cannot_link=cannot, old=old, refused=refused)
    grouper.apply(links)
    # people's duplicate decisions that contradict a distinct decision are set aside, all of
    # them, not the one that happens to come last in id order (conflicts.py says why)
    clashes = conflicts_.find_conflicts(grouper.find, [(l.i, l.j) for l in manual], cannot) if cannot else []
    conflict_details = [conflicts_.describe(c, ids, grouper.group, standing) for c in clashes]
    aside = {p for c in clashes for p in c.duplicates}
    manual = [l for l in manual if (min(l.i, l.j), max(l.i, l.j)) not in aside]
    grouper.apply(manual)
    links += manual
    root = grouper.roots()
    completeness = _completeness(combined)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(root.tolist()):
        groups[r].append(i)

    # The kept record: an earlier search's record outside this table must stay kept (it is not
    # a row here); then a record reviewers have decided on (keep_first); then an earlier
    # search's row; then the most complete; then the smallest id.
    first = keep_first or {}
    last = max(first.values(), default=0) + 1
    kept_of = np.arange(total)
    held = 0            # groups whose kept record is not the one the matcher alone would keep
    for members in groups.values():
        if len(members) < 2:
            continue
        outside = [m for m in members if m >= n]
        any_old = any(old[m] for m in members)

        def usual(m: int) -> tuple[bool, int, int]:
            return (not old[m], 0 if any_old else -int(completeness[m]), int(rank[m]))

        kept = min(outside or members, key=lambda m: (first.get(ids[m], last), *usual(m)))
        held += kept != min(outside or members, key=usual)
        for m in members:
            kept_of[m] = kept

    best: dict[int, Link] = {}
    for link in links:
        for x, y in ((link.i, link.j), (link.j, link.i)):
            if kept_of[x] != kept_of[y] or kept_of[x] == x:
                continue
            cur = best.get(x)
            key = (y == kept_of[x], link.rule == "manual", link.score, -rank[y])
            if cur is None or key > (cur.j == kept_of[x], cur.rule == "manual", cur.score, -rank[cur.j]):
                best[x] = Link(x, y, link.score, link.rule)

    dbs = combined["source_db"].astype(str).tolist() if "source_db" in combined.columns else [""] * total
    found: dict[int, list[str]] = {}
    for members in groups.values():
        names = sorted({dbs[m] for m in members if dbs[m]})
        for m in members:
            found[m] = names

    duplicate_of, dup_group, dup_score, dup_rule, found_in = [], [], [], [], []
    for i in range(n):
        k = int(kept_of[i])
        dup_group.append(ids[k])
        found_in.append(list(found[i]))
        if k == i:
            duplicate_of.append("")
            dup_score.append(np.nan)
            dup_rule.append("")
        else:
            link = best.get(i)
            duplicate_of.append(ids[k])
            dup_score.append(round(float(link.score), 4) if link else np.nan)
            dup_rule.append(link.rule if link else "group")

    # merge: fill the kept record's empty fields from its group (kept row only)
    merged_from: dict[int, list[str]] = {}
    prior_merged = [as_list(v) for v in table["merged_from"]] if "merged_from" in table.columns else [[]] * n
    cols = [c for c in MERGE_FIELDS if c in table.columns]
    col_values = {c: combined[c].tolist() for c in cols}
    updates: dict[str, dict[int, Any]] = defaultdict(dict)
    union_cols = [c for c in UNION_FIELDS if c in table.columns]
    union_values = {c: combined[c].tolist() for c in union_cols}
    for members in groups.values():
        k = int(kept_of[members[0]])
        if len(members) < 2 or k >= n:
            continue
        donors = sorted((m for m in members if m != k), key=lambda m: (-int(completeness[m]), rank[m]))
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

    table["duplicate_of"] = pd.Series(duplicate_of, index=table.index, dtype=object)
    table["dup_group"] = pd.Series(dup_group, index=table.index, dtype=object)
    table["dup_score"] = pd.Series(dup_score, index=table.index, dtype="float64")
    table["dup_rule"] = pd.Series(dup_rule, index=table.index, dtype=object)
    table["found_in"] = pd.Series(found_in, index=table.index, dtype=object)
    table["merged_from"] = pd.Series(_carried_provenance(prior_merged, merged_from, dup_group, ids, n),
                                     index=table.index, dtype=object)

    members = {int(kept_of[ms[0]]): ms for ms in groups.values()}
    contested = contested_entries(clashes, conflict_details, ids, keys, kept_of, members, cochrane_versions)
    # a distinct decision between any two members keeps their groups apart: nothing to ask
    settled = {pair_key(ids[kept_of[a]], ids[kept_of[b]]) for a, b in cannot}
    settled |= {pair_key(ids[kept_of[a]], ids[kept_of[b]]) for c in clashes for a, b in c.duplicates}   # (its
    # distinct pairs are in ``cannot`` already)
    maybe_pairs = contested + group_entries(
        [m for m in maybes if not (old[m[0]] and old[m[1]]) and (m[0] < n or m[1] < n)],
        kept_of, ids, members, settled=settled)
    is_dup = [d != "" for d in duplicate_of]
    group_count = len({dup_group[i] for i in range(n) if is_dup[i]})
    counts = {"duplicates": int(sum(is_dup)), "groups": group_count, "maybe_pairs": len(maybe_pairs),
              "decision_conflicts": len(clashes), "decisions_set_aside": len(aside),
              "unique": n - int(sum(is_dup)), "candidate_pairs": int(len(pairs)),
              "previous_records": n_prev, "kept_for_decisions": int(held)}
    per = source_contributions(table).sort_values("source")
    # a maybe-pair may name a record of the earlier search (--previous / [dedup] previous), which
    # is not a row of the output: keep what a person needs to judge the pair with the queue
    in_pairs = {rid for p in maybe_pairs for rid in (p.id_a, p.id_b)}
    earlier = [i for i in range(n, total) if ids[i] in in_pairs]
    details = {
        "previous_pair_records": {ids[i]: shown_fields(combined, i) for i in earlier},
        "duplicates_per_source": dict(zip(per["source"], per["duplicates"].tolist())),
        "records_per_source_before": dict(zip(per["source"], per["records"].tolist())),
        "unique_per_source_after": dict(zip(per["source"], per["studies"].tolist())),
        "duplicates_per_rule": dict(sorted(Counter(r for r in dup_rule if r).items())),
        # links the matcher made that a 'distinct' decision on another pair of the two groups
        # blocked (A≠B decided, then A=C and B=C by DOI): worth a second look
        # records keep_first names that are duplicates all the same (two decided records in one
        # group, or an earlier search's record outside the table): their decisions stop counting
        "kept_first_but_duplicates": [
            {"record_id": ids[i], "duplicate_of": duplicate_of[i], "priority": int(first[ids[i]])}
            for i in range(n) if duplicate_of[i] and ids[i] in first],
        "links_refused_by_decisions": [
            {"id_a": ids[link.i], "id_b": ids[link.j], "rule": link.rule,
             "distinct_pair": [ids[pair[0]], ids[pair[1]]]}
            for link, pair in refused if kept_of[link.i] != kept_of[link.j]],
        "maybe_pairs": [p.to_json() for p in maybe_pairs],
        # people's decisions that contradict each other; their duplicate decisions are not applied
        "decision_conflicts": conflict_details,
    }
    return DedupOutcome(table=table, counts=counts, details=details, maybe_pairs=maybe_pairs)
