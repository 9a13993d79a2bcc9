"""The dedup-review queue: one question per pair of groups, not per pair of records.

The matcher finds uncertain ("maybe") *record* pairs, but a decision is about *groups*: when a
record is a maybe against a group of copies already linked (by DOI, say), it is a maybe against
every member, and asking once per member made a reviewer answer the same question three or four
times (the gambling funnel: 13 pairs for 4 decisions) -- and answer it inconsistently, which
silently dropped a link (conflicts.py). So the queue holds one entry per pair of groups, shown
as the groups' kept records (the most complete, with the fields merged from their copies), and
the answer is stored as a decision on exactly that record pair, with the groups in its note:
still one auditable pair decision in the append-only log, readable by every earlier version.

The answer covers both groups without being copied to every pair: a 'duplicate' link joins the
two groups whole, and a 'distinct' decision between *any* members keeps the two groups apart
(no group may hold both of its records), so the next run queues no other pair between them.
Decisions stored by earlier versions on member pairs are read the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, fields
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from screening.dedup.compare import compare
from screening.dedup.conflicts import Conflict, summary
from screening.dedup.normalise import Keys

from screening.dedup.store import pair_key, standing_rows

Pair = tuple[str, str]


@dataclass(frozen=True)
class MaybePair:
    """A question for ``screening dedup-review``: are these two records (and their groups) one
    publication? Queues written before groups existed hold only the first four fields."""

    id_a: str
    id_b: str
    score: float
    reason: str
    group_a: tuple[str, ...] = ()    # id_a's group, id_a first ((): id_a alone)
    group_b: tuple[str, ...] = ()
    pairs: int = 1                   # uncertain record pairs between the two groups (asked once)
    via: tuple[str, ...] = ()        # the closest of them, when not (id_a, id_b): what ``reason`` is about
    conflict: str = ""               # set: this pair's standing decision contradicts others (re-decide)
    seq: int = 0                     # with ``conflict``: the log row of the contested decision

    @property
    def members_a(self) -> tuple[str, ...]:
        return tuple(self.group_a) or (self.id_a,)

    @property
    def members_b(self) -> tuple[str, ...]:
        return tuple(self.group_b) or (self.id_b,)

    def covered(self) -> Iterable[Pair]:
        """The record pairs this entry decides: every pair across the groups, or, for a
        contested decision, that decision's pair alone (other pairs may carry other answers)."""
        if self.conflict:
            yield pair_key(self.id_a, self.id_b)
            return
        for a in self.members_a:
            for b in self.members_b:
                if a != b:
                    yield pair_key(a, b)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "MaybePair":
        """Unknown keys (a later version's) are ignored; missing ones take their defaults."""
        known = {f.name for f in fields(cls)}
        kw = {k: tuple(str(x) for x in v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**kw)


def group_entries(maybes: Iterable[tuple[int, int, float, str]], kept_of: Sequence[int], ids: Sequence[str],
                  members: Mapping[int, Sequence[int]], *, settled: set[Pair]) -> list[MaybePair]:
    """One entry per pair of groups with an uncertain record pair between them, shown as the two
    kept records, scored and explained by the closest record pair. ``settled``: group pairs (kept
    record ids, sorted) a decision already settles or a contested decision's entry asks about."""
    best: dict[Pair, tuple[float, str, str, str]] = {}
    count: Counter[Pair] = Counter()
    for a, b, score, reason in maybes:
        ka, kb = int(kept_of[a]), int(kept_of[b])
        key = pair_key(ids[ka], ids[kb])
        if ka == kb or key in settled:
            continue
        count[key] += 1
        x, y = pair_key(ids[a], ids[b])
        cand = (-float(score), x, y, reason)       # highest score, then the smallest ids
        if key not in best or cand < best[key]:
            best[key] = cand
    kept = {ids[int(k)]: int(k) for k in set(int(v) for v in kept_of)}
    out = []
    for (ra, rb), (neg, x, y, reason) in best.items():
        out.append(MaybePair(ra, rb, round(-neg, 4), reason,
                             group_a=member_ids(kept[ra], members[kept[ra]], ids),
                             group_b=member_ids(kept[rb], members[kept[rb]], ids),
                             pairs=count[(ra, rb)], via=(x, y) if (x, y) != (ra, rb) else ()))
    return sorted(out, key=lambda p: (p.id_a, p.id_b))


def member_ids(first: int, group: Iterable[int], ids: Sequence[str]) -> tuple[str, ...]:
    """The ids of ``group`` (rows), ``first`` first, the rest sorted."""
    return (ids[first], *sorted(ids[m] for m in group if m != first))


def contested_entries(found: Sequence[Conflict], details: Sequence[Mapping[str, Any]], ids: Sequence[str],
                      keys: Sequence[Keys], kept_of: np.ndarray, members: Mapping[int, Sequence[int]],
                      cochrane_versions: str) -> list[MaybePair]:
    """Entries for every decision of each contradiction (conflicts.py, ``details`` as
    :func:`~screening.dedup.conflicts.describe` gives them), to be decided again: the pair as
    decided, since a new decision on it supersedes the contested one; the matcher's own verdict
    on it as score and reason; the log row it contests."""
    out = []
    for c, d in zip(found, details):
        said = summary(d)
        rows = {(x["id_a"], x["id_b"]): x["seq"] for x in (*d["duplicate"], *d["distinct"])}
        for i, j in (*c.duplicates, *c.distincts):
            a, b = (i, j) if ids[i] <= ids[j] else (j, i)
            v = compare(keys[a], keys[b], cochrane_versions=cochrane_versions)
            out.append(MaybePair(ids[a], ids[b], round(float(v.score), 4), f"the matcher says {v.outcome}: {v.reason}",
                                 group_a=member_ids(a, members[int(kept_of[a])], ids),
                                 group_b=member_ids(b, members[int(kept_of[b])], ids),
                                 conflict=said, seq=int(rows.get((ids[a], ids[b]), 0))))
    return sorted(out, key=lambda p: (p.id_a, p.id_b))


class Progress:
    """What a review session still has to ask: the stored log plus this session's answers.

    An entry is answered once any pair it covers has a standing decision (for a contested one:
    a decision newer than the contested row). An entry that this session's answers already
    settle is not asked either: X = group P and Y = group P make X = Y; X = P and P != Q make
    X != Q. The next dedup run reaches the same result from the stored decisions (the groups
    join; a distinct pair keeps two groups apart), so nothing is stored for such an entry."""

    def __init__(self, pairs: Sequence[MaybePair], decisions: pd.DataFrame | None) -> None:
        self.standing = standing_rows(decisions)
        self._parent: dict[str, str] = {}
        self._apart: list[Pair] = []
        self._apart_roots: set[frozenset[str]] | None = None   # the groups kept apart (built on demand)
        for p in pairs:                  # each side of an entry is one group already
            for side in (p.members_a, p.members_b):
                for rid in side[1:]:
                    self._union(side[0], rid)
        contested = {pair_key(p.id_a, p.id_b) for p in pairs if p.conflict}
        for key, row in self.standing.items():     # decided since the queue was written
            if key not in contested:
                self.note(key[0], key[1], row["decision"])

    def _find(self, x: str) -> str:
        parent = self._parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def _union(self, a: str, b: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)
            self._apart_roots = None          # a join changes which groups are apart

    def note(self, id_a: str, id_b: str, decision: str, seq: int | None = None) -> None:
        """Take a decision into account (``seq``: its log row, for one just stored)."""
        if decision == "reopen":
            # the pair is open again; what the withdrawn decision implied for other entries is
            # not undone (a session stores no reopen; a scripted one opens a fresh queue)
            self.standing.pop(pair_key(id_a, id_b), None)
            return
        if seq is not None:
            self.standing[pair_key(id_a, id_b)] = {"decision": decision, "seq": seq, "reviewer": ""}
        if decision == "duplicate":
            self._union(id_a, id_b)
        elif decision == "distinct":
            self._apart.append((id_a, id_b))
            self._apart_roots = None

    def answered(self, p: MaybePair) -> bool:
        if p.conflict:
            row = self.standing.get(pair_key(p.id_a, p.id_b))
            return row is None or int(row["seq"]) > p.seq   # re-decided (or withdrawn) since
        return any(key in self.standing for key in p.covered())

    def implied(self, p: MaybePair, *, contested: bool = False) -> str:
        """'duplicate' or 'distinct' when the answers so far settle ``p``; '' otherwise.
        A contested decision is always asked (it has to be re-decided in the log): for one,
        ``contested=True`` says what the other answers imply, as a hint to the person."""
        if p.conflict and not contested:
            return ""
        ra, rb = self._find(p.id_a), self._find(p.id_b)
        if ra == rb:
            return "duplicate"
        if self._apart_roots is None:     # one pass over the distinct decisions, not one per entry
            self._apart_roots = {frozenset((self._find(x), self._find(y))) for x, y in self._apart}
        if frozenset((ra, rb)) in self._apart_roots:
            return "distinct"
        return ""

    def is_open(self, p: MaybePair) -> bool:
        return not self.answered(p) and not self.implied(p)
