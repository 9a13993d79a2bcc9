"""Contradicting dedup-review decisions: found before any is applied, set aside openly, asked again.

People's 'duplicate' decisions join groups; a 'distinct' decision forbids any group holding both
of its records. Answers can contradict each other: A = B and B = C but A != C, or A = B where
the matcher's group of B holds C (same DOI) and A != C -- the classic case when the same
record was asked once per member of a group and answered differently. They cannot all hold.

Before, the cluster step applied the duplicate decisions in record-id order and refused the one
that closed the contradiction, so *which* decision was dropped depended on how the export files
happened to be named, the pair was never asked again (it had a decision), and `screening dedup`
said nothing at all (only `screening run`'s report named the first refusal).

Resolution, deterministic and order-free:

- the 'distinct' decision is applied and *every* 'duplicate' decision on a chain joining its two
  records is set aside (not applied). A false merge hides a study (it is screened as a copy of
  another and never seen again), while an unmerged copy is only screened twice, visibly; so while
  a person's answers disagree, "not the same" is the reading a careful reviewer would want, as
  for the matcher itself (docs/dedup.md: never merge two different studies). Setting aside one
  decision of the chain would be choosing which answer was the mistake, which is the person's
  call, not the tool's;
- duplicate decisions hanging off the contradiction (a record joined to one side only, nowhere
  on a chain between the two) still apply: they contradict nothing;
- every decision of the contradiction is queued again for `dedup-review` (queue.py), and the
  report warns, naming the records and the decisions with who made them
  (:func:`conflict_warnings`).
  Nothing is removed from the log: a re-decision is a new row, and the latest row per pair wins.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable, Mapping, Sequence, TypeVar

from screening.disjoint_sets import DisjointSets


Pair = tuple[int, int]
H = TypeVar("H", bound=Hashable)


@dataclass(frozen=True)
class Conflict:
    """One contradiction, as table rows (lower row first in each pair)."""

    duplicates: tuple[Pair, ...]     # 'duplicate' decisions set aside
    distincts: tuple[Pair, ...]      # the 'distinct' decisions they contradict (applied)
    groups: tuple[int, ...]          # roots of the machine-made groups the chains run through


def find_conflicts(find: Callable[[int], int], duplicates: Iterable[Pair], distincts: Iterable[Pair]) -> list[Conflict]:
    """Contradictions between people's decisions, over the groups ``find`` (row -> root) holds
    before any 'duplicate' decision is applied.

    A graph whose nodes are those groups and whose edges are the duplicate decisions: a 'distinct'
    pair with both records in one connected part contradicts it. The decisions set aside are the
    edges left once dangling branches (ending in a group no distinct pair names) are pruned away:
    those on the chains between the distinct records. (A cycle hanging off such a chain is kept
    with it: rare, and over-cautious rather than lossy, since it is queued again too.)"""
    edges: dict[Pair, list[Pair]] = defaultdict(list)
    for i, j in duplicates:
        ri, rj = find(i), find(j)
        if ri != rj:
            edges[(min(ri, rj), max(ri, rj))].append((min(i, j), max(i, j)))
    if not edges:
        return []
    part = _components(edges)
    clashes: dict[int, set[Pair]] = defaultdict(set)
    for x, y in distincts:
        rx, ry = find(x), find(y)
        # rx == ry cannot happen: no group is ever formed around a distinct pair
        if rx != ry and rx in part and part[rx] == part.get(ry):
            clashes[part[rx]].add((min(x, y), max(x, y)))
    out = []
    for p, pairs in sorted(clashes.items()):
        core = chain_edges({e for e in edges if part[e[0]] == p}, {find(v) for pair in pairs for v in pair})
        out.append(Conflict(duplicates=tuple(sorted(d for e in core for d in edges[e])),
                            distincts=tuple(sorted(pairs)), groups=tuple(sorted({v for e in core for v in e}))))
    return out


def _components(edges: Iterable[Pair]) -> dict[int, int]:
    """node -> the smallest node of its connected part."""
    return DisjointSets[int]().union_all(edges).names()


def chain_edges(edges: set[tuple[H, H]], protected: set[H]) -> set[tuple[H, H]]:
    """``edges`` without the branches that end in a node outside ``protected`` (leaf pruning):
    the edges on chains between the ``protected`` nodes (any hashable nodes: row numbers, ids)."""
    adj: dict[H, set[H]] = defaultdict(set)
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    leaves = [v for v, ns in adj.items() if len(ns) == 1 and v not in protected]
    while leaves:
        v = leaves.pop()
        for u in adj.pop(v, set()):
            adj[u].discard(v)
            if len(adj[u]) == 1 and u not in protected:
                leaves.append(u)
    return {(a, b) for a, b in edges if a in adj and b in adj[a]}


def standing_conflicts(standing: Mapping[tuple[str, str], Mapping[str, Any]],
                       groups: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    """The contradictions among standing decisions, as the next dedup run will find them, each
    as :func:`describe` gives it (so :func:`conflict_warnings` words it as the run does).

    ``standing``: pair -> log row (:func:`screening.dedup.store.standing_rows`); ``groups``: record
    id -> the ids of its group before any 'duplicate' decision joined it (a record not named is
    alone). For a check between runs: a decision just stored, or a queue's progress."""
    def members(rid: str) -> tuple[str, ...]:
        return tuple(groups.get(rid, ())) or (rid,)

    ids = sorted({m for key in standing for rid in key for m in members(rid)})
    pos = {rid: i for i, rid in enumerate(ids)}
    root = [pos[min(members(rid))] for rid in ids]
    duplicates: list[Pair] = []
    distincts: list[Pair] = []
    for (a, b), row in standing.items():
        (duplicates if row["decision"] == "duplicate" else distincts).append((pos[a], pos[b]))
    if not distincts:
        return []
    return [describe(c, ids, lambda g: [pos[m] for m in members(ids[g])], standing)
            for c in find_conflicts(root.__getitem__, duplicates, distincts)]


def disputed(details: Iterable[Mapping[str, Any]]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(the 'duplicate' decisions set aside, every decision of a contradiction) of ``details``
    (:func:`describe`'s), as sorted id pairs."""
    aside = {(d["id_a"], d["id_b"]) for c in details for d in c["duplicate"]}
    return aside, aside | {(d["id_a"], d["id_b"]) for c in details for d in c["distinct"]}


def describe(conflict: Conflict, ids: list[str], members: Callable[[int], list[int]],
             standing: Mapping[tuple[str, str], Mapping[str, Any]]) -> dict[str, Any]:
    """A JSON-safe account of one contradiction for the stage report (``decision_conflicts``)."""
    def decision(pair: Pair) -> dict[str, Any]:
        a, b = sorted((ids[pair[0]], ids[pair[1]]))
        row = standing.get((a, b), {})
        return {"id_a": a, "id_b": b, "reviewer": row.get("reviewer", ""), "seq": int(row.get("seq", 0))}

    groups = [sorted(ids[m] for m in members(g)) for g in conflict.groups]
    return {"records": sorted({rid for g in groups for rid in g}),
            "duplicate": sorted((decision(p) for p in conflict.duplicates), key=lambda d: (d["id_a"], d["id_b"])),
            "distinct": sorted((decision(p) for p in conflict.distincts), key=lambda d: (d["id_a"], d["id_b"])),
            # the machine-made groups the chains run through (a decision on one copy is one on all)
            "groups": sorted(g for g in groups if len(g) > 1)}


def _said(d: Mapping[str, Any], sign: str) -> str:
    who = f" ({d['reviewer']})" if d.get("reviewer") else ""
    return f"{d['id_a']} {sign} {d['id_b']}{who}"


def summary(c: Mapping[str, Any]) -> str:
    """One line: the decisions that contradict each other."""
    dup = ", ".join(_said(d, "=") for d in c["duplicate"])
    dis = ", ".join(_said(d, "≠") for d in c["distinct"])
    return f"duplicate {dup} but distinct {dis}"


def conflict_warnings(conflicts: list[Mapping[str, Any]], shown: int = 5) -> list[str]:
    """One warning per contradiction (at most ``shown``, then a count): the records, the
    decisions and who made them, what was applied, and how to settle it."""
    out = []
    for c in conflicts[:shown]:
        n = len(c["duplicate"])
        groups = "; ".join(" + ".join(g) for g in c["groups"])
        machine = f" (linked by the matcher: {groups})" if groups else ""
        out.append(f"contradicting dedup-review decisions on {', '.join(c['records'])}{machine}: {summary(c)}. "
                   f"They cannot all hold, so the 'distinct' decision is applied and {'this' if n == 1 else 'these'} "
                   f"{n} 'duplicate' decision{'' if n == 1 else 's'} {'is' if n == 1 else 'are'} not: the records "
                   f"stay in separate groups. Each pair is queued again: re-decide them with `screening "
                   f"dedup-review REVIEW` (or withdraw one with `--pair ID_A ID_B --reopen`)")
    if len(conflicts) > shown:
        out.append(f"{len(conflicts) - shown} more contradictions between dedup-review decisions: dedup.json "
                   f"lists them (details.decision_conflicts)")
    return out
