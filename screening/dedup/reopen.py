"""Which standing decision ``--reopen ID_A ID_B`` withdraws, when the pair named has none of its own.

The queue asks per pair of groups and records the answer on the pair it showed (usually the
groups' kept records), and a scripted answer may name any members; so reopening two records
finds the decision that joins or separates their groups, which is usually on other records of
them (:func:`decisions_between`). Its own module because that search reads the decisions as a
graph over groups (disjoint sets, the chains of 'duplicate' decisions), a concern apart from
storing an answer (:mod:`screening.dedup.review`).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Mapping, Sequence

from screening.dedup.conflicts import chain_edges
from screening.dedup.queue import Pair
from screening.dedup.review_queue import ReviewQueue, open_queue
from screening.dedup.store import load_decisions, pair_key, standing_rows
from screening.disjoint_sets import DisjointSets
from screening.errors import DecisionError, StageError


def reopen_pair(folder: Path, id_a: str, id_b: str, queue: ReviewQueue | None = None) -> tuple[str, str, str]:
    """(id_a, id_b, note) of the standing decision ``--reopen ID_A ID_B`` withdraws.

    A decision is keyed by the exact pair it was given on; the queue asks per pair of groups
    and records the answer on the pair it showed (the groups' kept records), and a scripted one
    may name any members. So when the named pair has no standing decision of its own, the one
    that stands between their groups is meant: a 'distinct' decision between the two groups (as
    people's 'duplicate' decisions join them), or the 'duplicate' decision that joined them. Only
    one: when several do (a chain of answers, or answers on several member pairs), which one was
    wrong is the person's call, so they are named and nothing is stored."""
    key = pair_key(id_a, id_b)
    standing = standing_rows(load_decisions(folder))
    if key in standing:
        return key[0], key[1], ""
    try:
        queue = queue or open_queue(folder)
    except StageError:
        return key[0], key[1], ""        # nothing to read groups from: the store says there is nothing
    # a typo is named as one (acceptance testing: it read 'this pair has no standing decision')
    queue.refuse_unknown(id_a, id_b, folder, "nothing reopened")
    groups = queue.decision_groups
    if _group_root(groups, id_a) == _group_root(groups, id_b):
        raise _linked_without_decision(id_a, id_b, queue)
    between = decisions_between(id_a, id_b, standing, groups)
    if not between:
        raise DecisionError("this pair has no standing decision to reopen, nor has any pair of their groups",
                            record=f"{key[0]}/{key[1]}",
                            hint="`screening dedup-review` decides pairs; reopen withdraws one")
    if len(between) > 1:
        said = ", ".join(f"{a} {'=' if standing[(a, b)]['decision'] == 'duplicate' else '≠'} {b}"
                         + (f" ({standing[(a, b)]['reviewer']})" if standing[(a, b)]["reviewer"] else "")
                         for a, b in between)
        raise DecisionError(f"{len(between)} standing decisions stand between the groups of {id_a} and {id_b}: "
                            f"{said}; nothing reopened", record=f"{key[0]}/{key[1]}",
                            hint=f"withdraw the one(s) you mean by their own pair, e.g. `screening dedup-review "
                                 f"TARGET --pair {between[0][0]} {between[0][1]} --reopen`")
    [(a, b)] = between
    return a, b, f"reopened for {key[0]} / {key[1]} (their groups)"


def decisions_between(id_a: str, id_b: str, standing: Mapping[Pair, Mapping[str, Any]],
                      groups: Mapping[str, Sequence[str]]) -> list[Pair]:
    """The standing decisions that say whether the groups of ``id_a`` and ``id_b`` are one
    publication, sorted. ``groups``: record id -> its group before people's 'duplicate' decisions
    (a record not named is alone). With those decisions applied, the two are either in one group
    -- then the 'duplicate' decisions on the chains between their groups -- or in two -- then the
    'distinct' decisions between those two."""
    def root(rid: str) -> str:
        return _group_root(groups, rid)

    sets: DisjointSets[str] = DisjointSets()
    find = sets.find
    joins: dict[tuple[str, str], list[Pair]] = defaultdict(list)   # group pair -> its 'duplicate' decisions
    for (x, y), row in standing.items():
        rx, ry = root(x), root(y)
        if row["decision"] == "duplicate" and rx != ry:
            joins[(min(rx, ry), max(rx, ry))].append((x, y))
            sets.union(rx, ry)
    ga, gb = root(id_a), root(id_b)
    if find(ga) != find(gb):
        sides = {find(ga), find(gb)}
        return sorted(key for key, row in standing.items()
                      if row["decision"] == "distinct" and {find(root(key[0])), find(root(key[1]))} == sides)
    return sorted(d for edge in chain_edges(set(joins), {ga, gb}) for d in joins[edge])


def _group_root(groups: Mapping[str, Sequence[str]], rid: str) -> str:
    """The name of ``rid``'s group before people's 'duplicate' decisions: its smallest id."""
    return min(groups.get(rid, ()) or (rid,))


def _linked_without_decision(id_a: str, id_b: str, queue: ReviewQueue) -> DecisionError:
    """Two records one group held before any 'duplicate' decision: no decision joined them --
    unless the output predates ``matcher_groups`` and people's decisions joined its group."""
    table = queue.table
    if queue.matcher_groups is None and "dup_rule" in table.columns:
        group = table["record_id"].astype(str).isin(queue.decision_groups.get(id_a, (id_a,)))
        if table.loc[group, "dup_rule"].astype(str).eq("manual").any():
            return DecisionError("the dedup output predates this version, so which decision joined these "
                                 "records' group cannot be told; nothing reopened", record=f"{id_a}/{id_b}",
                                 hint="run dedup again (`screening run REVIEW` or `screening dedup`), then reopen")
    return DecisionError("no dedup-review decision joined these records: the matcher linked them; nothing "
                         "reopened", record=f"{id_a}/{id_b}",
                         hint=f"if they are different publications, say so: `--pair {id_a} {id_b} --distinct`")
