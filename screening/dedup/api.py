"""deduplicate(): the whole dedup method as one pure function over a records table.

keys (normalise.py) -> candidate pairs (blocking.py) -> verdicts (compare.py) -> stored human
decisions override verdicts -> guarded groups (cluster.py), people's duplicate decisions last and
only those no 'distinct' decision contradicts (conflicts.py) -> kept record, merge (merge.py), marks ->
the review queue, one entry per pair of groups (queue.py).
No row is dropped or reordered; the input table is never modified.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from screening.dedup.blocking import candidate_pairs
from screening.dedup import conflicts as conflicts_
from screening.dedup.cluster import Grouper, Link
from screening.dedup.compare import DUPLICATE, MAYBE, compare
from screening.dedup.contributions import source_contributions
from screening.dedup.merge import carried_provenance, completeness, merge_into_kept
from screening.dedup.normalise import keys_for_table
from screening.dedup.queue import MaybePair, contested_entries, group_entries, shown_fields
from screening.dedup.store import pair_key, standing_rows
from screening.errors import StageError
from screening.records import as_list, conform
from screening.record_marks import from_other_method, marks

COCHRANE_POLICIES = ("duplicate", "maybe", "distinct")


@dataclass
class DedupOutcome:
    table: pd.DataFrame
    counts: dict[str, int]
    details: dict[str, Any]
    maybe_pairs: list[MaybePair] = field(default_factory=list)


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


def matcher_groups(groups: Iterable[Sequence[int]], machine: np.ndarray | None, ids: Sequence[str]) -> list[list[str]]:
    """The matcher's groups (``machine``: row -> root before people's 'duplicate' decisions were
    applied) inside every group those decisions joined, as sorted ids; a record of no listed
    group was grouped by the matcher alone (its ``dup_group``). Kept in the report so a decision
    stored between runs can be read as the next run will read it, against the groups the
    decisions join (dedup-review: a contradiction it makes, which decision ``--reopen`` means)."""
    if machine is None:
        return []
    out: list[list[str]] = []
    for members in groups:
        parts: dict[int, list[str]] = defaultdict(list)
        for m in members:
            parts[int(machine[m])].append(ids[m])
        if len(parts) > 1:
            out.extend(sorted(part) for part in parts.values())
    return sorted(out)


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
    from copies of the same version: see ``screening.dedup.merge.LOCATOR_FIELDS``) and its types joined with
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
    machine = grouper.roots() if manual else None     # the matcher's groups, before people's links
    grouper.apply(manual)
    links += manual
    root = grouper.roots()
    complete = completeness(combined)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(root.tolist()):
        groups[r].append(i)

    # The kept record: an earlier search's record outside this table must stay kept (it is not
    # a row here); then a record reviewers have decided on (keep_first); then a database or
    # register search's record before one another method found (a citation search's copy of a
    # record the searches found is 'already identified' in PRISMA's other-methods column, not
    # the searches' duplicate); then, of versions of one Cochrane review, the latest; then an
    # earlier search's row; then the most complete; then the smallest id.
    first = keep_first or {}
    by_method = from_other_method(combined).to_numpy()
    last = max(first.values(), default=0) + 1
    kept_of = np.arange(total)
    held = 0            # groups whose kept record is not the one the matcher alone would keep
    for members in groups.values():
        if len(members) < 2:
            continue
        outside = [m for m in members if m >= n]
        any_old = any(old[m] for m in members)

        # versions of one Cochrane review linked as one (cochrane_versions = "duplicate"): the
        # latest version is the review as it stands, the earlier ones' year and content are
        # superseded (keeping the most complete kept a 2009 version, which a year rule then
        # excluded with the 2012 one as its duplicate); before an earlier search's row, or an
        # update bringing the .pub3 would leave the superseded .pub2 kept
        versions = {keys[m].doi_version for m in members if keys[m].doi_version}
        latest_first = len(versions) > 1

        def usual(m: int) -> tuple[bool, int, bool, int, int]:
            return (bool(by_method[m]), -keys[m].doi_version if latest_first else 0, not old[m],
                    0 if any_old else -int(complete[m]), int(rank[m]))

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
    prior_merged = [as_list(v) for v in table["merged_from"]] if "merged_from" in table.columns else [[]] * n
    merged_from = merge_into_kept(table, combined, groups.values(), kept_of, complete, rank, ids)

    table["duplicate_of"] = pd.Series(duplicate_of, index=table.index, dtype=object)
    table["dup_group"] = pd.Series(dup_group, index=table.index, dtype=object)
    table["dup_score"] = pd.Series(dup_score, index=table.index, dtype="float64")
    table["dup_rule"] = pd.Series(dup_rule, index=table.index, dtype=object)
    table["found_in"] = pd.Series(found_in, index=table.index, dtype=object)
    table["merged_from"] = pd.Series(carried_provenance(prior_merged, merged_from, dup_group, ids, n),
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
        # records keep_first names that are duplicates all the same (two decided records in one
        # group, or an earlier search's record outside the table): their decisions stop counting
        "kept_first_but_duplicates": [
            {"record_id": ids[i], "duplicate_of": duplicate_of[i], "priority": int(first[ids[i]])}
            for i in range(n) if duplicate_of[i] and ids[i] in first],
        # links the matcher made that a 'distinct' decision on another pair of the two groups
        # blocked (A≠B decided, then A=C and B=C by DOI): worth a second look
        "links_refused_by_decisions": [
            {"id_a": ids[link.i], "id_b": ids[link.j], "rule": link.rule,
             "distinct_pair": [ids[pair[0]], ids[pair[1]]]}
            for link, pair in refused if kept_of[link.i] != kept_of[link.j]],
        "maybe_pairs": [p.to_json() for p in maybe_pairs],
        # people's decisions that contradict each other; their duplicate decisions are not applied
        "decision_conflicts": conflict_details,
        "matcher_groups": matcher_groups(groups.values(), machine, ids),
    }
    return DedupOutcome(table=table, counts=counts, details=details, maybe_pairs=maybe_pairs)
