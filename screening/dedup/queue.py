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
from screening.dedup.conflicts import Conflict, disputed, standing_conflicts, summary
from screening.dedup.normalise import Keys
from screening.dedup.store import pair_key, standing_rows
from screening.disjoint_sets import DisjointSets
from screening.records import as_text

Pair = tuple[str, str]

# what `dedup-review` shows of a pair, side by side (kept with the queue for an earlier search's records)
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

    An entry is decided once a decision stands on any pair it covers (for a contested one: once
    its contradiction is resolved), or once the answers settle it: X = group P and Y = group P
    make X = Y; X = P and P != Q make X != Q. The next dedup run reaches the same result from
    the stored decisions (the groups join; a distinct pair keeps two groups apart), so nothing
    is stored for a settled entry; until that run it is decided but not applied.

    Answers that contradict each other settle nothing: the next run sets their 'duplicate'
    decisions aside and queues every decision of the contradiction again (conflicts.py). So an
    entry one of those decisions answers stays open, a set-aside decision implies nothing, and a
    contested entry stays open while its contradiction stands -- re-confirmed or not -- and is
    decided once any answer resolves it (its own re-decision, or another's). Contradictions are
    sought over the groups the entries show (a record in no entry counts alone), so the same
    reading serves a session and the PRISMA counts; one through a group no entry shows is found
    by the next run (and a scripted ``--pair`` decision is checked against the whole output)."""

    def __init__(self, pairs: Sequence[MaybePair], decisions: pd.DataFrame | None) -> None:
        self.standing = standing_rows(decisions)
        self._groups = _entry_groups(pairs)
        self._reading: _Reading | None = None     # built on demand, again after each answer

    def note(self, id_a: str, id_b: str, decision: str, seq: int) -> None:
        """Take a decision just stored into account (``seq``: its log row)."""
        key = pair_key(id_a, id_b)
        if decision == "reopen":
            self.standing.pop(key, None)      # the pair is open again, and so is what it implied
        else:
            self.standing[key] = {"decision": decision, "seq": seq, "reviewer": ""}
        self._reading = None

    def implied(self, p: MaybePair, *, contested: bool = False) -> str:
        """'duplicate' or 'distinct' when the answers so far settle ``p``; '' otherwise.
        A contested decision is always asked while its contradiction stands: for one,
        ``contested=True`` says what the answers outside any contradiction imply, as a hint."""
        if p.conflict and not contested:
            return ""
        reading = self._read()
        ra, rb = reading.find(p.id_a), reading.find(p.id_b)
        if ra == rb:
            return "duplicate"
        if frozenset((ra, rb)) in (reading.agreed_apart if p.conflict else reading.apart):
            return "distinct"
        return ""

    def is_open(self, p: MaybePair) -> bool:
        """Open while a contradiction disputes a pair ``p`` covers; else until a standing decision
        on one of them answers it (for a contested entry: its contradiction resolved, or its
        decision withdrawn), or the answers so far imply it."""
        keys = list(p.covered())
        if self._disputes(keys):
            return True
        answered = bool(p.conflict) or any(key in self.standing for key in keys)
        return not answered and not self.implied(p)

    def _disputes(self, keys: Iterable[Pair]) -> bool:
        disputed = self._read().disputed
        return any(key in disputed for key in keys)

    def _read(self) -> "_Reading":
        if self._reading is None:
            self._reading = _Reading.of(self.standing, self._groups)
        return self._reading


class _Reading(DisjointSets[str]):
    """The standing decisions read as the next run will apply them: the contradictions' 'duplicate'
    decisions set aside, every 'distinct' decision applied (conflicts.py). The groups they make
    are its sets (``find``)."""

    def __init__(self) -> None:
        super().__init__()
        self.apart: set[frozenset[str]] = set()          # group roots a distinct decision keeps apart
        self.agreed_apart: set[frozenset[str]] = set()   # the same, by decisions outside any contradiction
        self.disputed: set[Pair] = set()                 # every decision of a contradiction

    @classmethod
    def of(cls, standing: Mapping[Pair, Mapping[str, Any]], groups: Mapping[str, tuple[str, ...]]) -> "_Reading":
        reading = cls()
        aside, reading.disputed = disputed(standing_conflicts(standing, groups))
        for members in set(groups.values()):
            for rid in members[1:]:
                reading.union(members[0], rid)
        for key, row in standing.items():
            if row["decision"] == "duplicate" and key not in aside:
                reading.union(*key)
        for key, row in standing.items():       # once every join is made: the roots are final
            if row["decision"] == "distinct":
                roots = frozenset(reading.find(rid) for rid in key)
                reading.apart.add(roots)
                if key not in reading.disputed:
                    reading.agreed_apart.add(roots)
        return reading


def _entry_groups(pairs: Iterable[MaybePair]) -> dict[str, tuple[str, ...]]:
    """record id -> its group's ids, sorted, as the entries show the groups (each side of an
    entry is one group)."""
    sets: DisjointSets[str] = DisjointSets()
    for p in pairs:
        for side in (p.members_a, p.members_b):
            for rid in side:
                sets.union(side[0], rid)
    return {rid: tuple(sorted(ms)) for ms in sets.members().values() for rid in ms}
