"""The decision log as a DataFrame, and each reviewer's standing decision in it.

Everything derived from the log (:mod:`.outcomes`, :mod:`.progress`, :mod:`.visibility`) is a
pure function of the event log (a DataFrame from :func:`load_entries`) and, where needed, the
records table. Nothing is stored twice: PRISMA counts, the ranker's training labels, `status`
and `conflicts` all derive from the same rules, so they agree.

Rule (documented for users in docs/screening.md): a reviewer's *standing* decision on a
record at a stage is their latest decision event (include / exclude / maybe / not_retrieved)
after undos: each ``undo`` cancels that reviewer's most recent not-yet-undone decision on the
record (undos stack).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Hashable, Iterable, Mapping, NamedTuple

import numpy as np
import pandas as pd

from screening.decisions.store import COLUMNS, DECISION_ACTIONS, STAGES, SQLiteStore


def empty_entries() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("id", "is_demo") else object)
                         for c in COLUMNS})


def entries_from_rows(rows: Iterable[tuple[Any, ...]]) -> pd.DataFrame:
    rows = list(rows)
    if not rows:
        return empty_entries()
    if len(rows[0]) == len(COLUMNS) - 1:
        # rows as a store gave them before log format 5 (no tool_version): the version is unknown
        rows = [(*row, None) for row in rows]
    df = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    for c in COLUMNS:
        df[c] = df[c].astype("int64") if c in ("id", "is_demo") else df[c].astype(object)
    return df


# One `screening run` reads the log in several steps (the identity check, the dedup and rank
# inputs, the rules guard, PRISMA). Events are append-only (no UPDATE or DELETE: triggers), so
# the count, the highest id and that event's uuid name a log's content exactly: a log that has
# not changed since it was last read in this process is not read and rebuilt again.
_READ: dict[Path, tuple[tuple[Any, ...], pd.DataFrame]] = {}
_READ_KEPT = 8


def load_entries(db_path: str | Path) -> pd.DataFrame:
    """Every event of the log, in append order (an empty frame if there is no log yet)."""
    path = Path(db_path)
    if not path.exists():
        return empty_entries()
    key = path.resolve()
    with SQLiteStore(path, create=False, upgrade=False) as store:
        extent = store.extent()
        hit = _READ.get(key)
        if hit is not None and hit[0] == extent:
            return hit[1].copy()           # callers may add columns: each gets its own frame
        entries = entries_from_rows(store.rows())
    _READ.pop(key, None)
    _READ[key] = (extent, entries)
    while len(_READ) > _READ_KEPT:
        _READ.pop(next(iter(_READ)))
    return entries.copy()


# ---------------------------------------------------------------------------------------------
# Standing decisions


class Standing(NamedTuple):
    """A reviewer's current decision on one record at one stage. (A named tuple, not a frozen
    dataclass: a report builds one per reviewer and record several times, 80k at 65k records,
    and a frozen dataclass's __init__ was half the cost.)"""

    record_id: str
    reviewer: str
    role: str
    decision: str
    reason: str
    note: str
    event_id: int
    created_at: str


def replay_undos(histories: Iterable[tuple[Hashable, str]]) -> dict[Any, list[int]]:
    """key -> positions (in the order given) of the key's decisions that still stand after its
    undos, oldest first: each ``undo`` cancels the key's most recent decision not undone yet
    (undos stack). ``histories``: (key, action) per event in log order, the key usually
    (record, reviewer, role). One replay, so a reviewer's standing decision (the last of these)
    and a record's first decision (:mod:`.origins`: the earliest) can never read undos apart."""
    stacks: dict[Any, list[int]] = {}
    for pos, (key, action) in enumerate(histories):
        if action in DECISION_ACTIONS:
            stacks.setdefault(key, []).append(pos)
        elif action == "undo":
            stack = stacks.get(key)
            if stack:
                stack.pop()
    return stacks


def standing_decisions(entries: pd.DataFrame, stage: str) -> dict[str, dict[tuple[str, str], Standing]]:
    """record_id -> {(reviewer, role): Standing}, after applying undos; records and their
    reviewers in the order of their first decision."""
    sub = entries[entries["stage"] == stage]
    is_dec, is_undo = sub["action"].isin(DECISION_ACTIONS).to_numpy(), (sub["action"] == "undo").to_numpy()
    sub, is_dec, is_undo = sub[is_dec | is_undo], is_dec[is_dec | is_undo], is_undo[is_dec | is_undo]
    actions = sub["action"].to_numpy()
    if not len(sub):
        return {}
    # Called several times per report over the whole log (133k events at 65k records: 0.35 s
    # a call, one by one): a (record, reviewer, role) without an undo stands on its last
    # decision, found at once; only those with an undo replay their history
    codes = sub.groupby(["record_id", "reviewer", "role"], sort=False).ngroup().to_numpy()
    groups, pos = int(codes.max()) + 1, np.arange(len(sub))
    replayed = np.zeros(groups, dtype=bool)
    replayed[codes[is_undo]] = True
    top = np.full(groups, -1)
    plain = is_dec & ~replayed[codes]
    np.maximum.at(top, codes[plain], pos[plain])
    rows = np.flatnonzero(replayed[codes])
    if len(rows):
        for group, stack in replay_undos(zip(codes[rows].tolist(), actions[rows].tolist())).items():
            top[group] = rows[stack[-1]] if stack else -1
    first = np.full(groups, len(sub))
    np.minimum.at(first, codes[is_dec], pos[is_dec])
    standing = np.flatnonzero(top >= 0)
    picked = top[standing[np.argsort(first[standing], kind="stable")]]
    rids, reviewers, roles, actions_, reasons, notes, ids, created = (
        sub[c].to_numpy()[picked].tolist()
        for c in ("record_id", "reviewer", "role", "action", "reason", "note", "id", "created_at"))
    out: dict[str, dict[tuple[str, str], Standing]] = {}
    for k, rid in enumerate(rids):
        out.setdefault(rid, {})[(reviewers[k], roles[k])] = Standing(
            rid, reviewers[k], roles[k], actions_[k], reasons[k], notes[k], int(ids[k]), created[k])
    return out


@functools.lru_cache(maxsize=1024)
def event_payload(text: str) -> dict[str, Any]:
    """An event's payload as a dict (a plan or a sample mark is one text repeated on many
    events, so each distinct text is parsed once; callers only read it); a malformed one reads
    as empty."""
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def standing_event_ids(entries: pd.DataFrame) -> dict[int, str]:
    """event id -> record id of every standing decision (a screener's or an adjudicator's,
    either stage; undone ones are not)."""
    return {st.event_id: rid for stage in STAGES for rid, by in standing_decisions(entries, stage).items()
            for st in by.values()}


def decided_on(entries: pd.DataFrame, standing: Mapping[int, str] | None = None) -> pd.DataFrame:
    """What each standing decision was made on: ``record_id``, ``title``, ``doi``,
    ``source_file`` (the event payload's ``record``), one row per distinct record a standing
    decision on the id was made on (two, when an export changed between two reviewers'
    decisions). Undone decisions do not count; events logged before decisions stored it
    (before 0.6) have none. ``standing``: :func:`standing_event_ids`, when the caller has it."""
    rows: dict[tuple[str, str, str, str], None] = {}
    if len(entries) and "payload" in entries.columns:
        standing = standing_event_ids(entries) if standing is None else standing
        sub = entries[entries["id"].astype(int).isin(list(standing))]
        for rid, text in zip(sub["record_id"].astype(str), sub["payload"].fillna("").astype(str)):
            if '"record"' not in text:
                continue
            try:        # parsed here, not through event_payload's cache: every such payload is unique
                seen = json.loads(text).get("record")
            except (json.JSONDecodeError, AttributeError):
                continue
            if isinstance(seen, dict):
                rows[(rid, str(seen.get("title") or ""), str(seen.get("doi") or ""), str(seen.get("file") or ""))] = None
    return pd.DataFrame(list(rows), columns=["record_id", "title", "doi", "source_file"])


def records_with_decisions(entries: pd.DataFrame) -> set[str]:
    """Records with a standing decision (a screener's or an adjudicator's) at either stage:
    an undone decision is none. What dedup keeps as a group's record, and what a rule changed
    after screening would take out of the counts."""
    return set(standing_event_ids(entries).values())


def assign_events(entries: pd.DataFrame, stage: str) -> pd.DataFrame:
    """The 'assign' events (dual-screening plans) at ``stage``, in log order."""
    return entries[(entries["stage"] == stage) & (entries["action"] == "assign")]


def considered_records(entries: pd.DataFrame, stage: str) -> set[str]:
    """Records an earlier plan at ``stage`` covered, dual or single (any 'assign' event)."""
    return set(assign_events(entries, stage)["record_id"].astype(str))


def full_text_records(entries: pd.DataFrame) -> frozenset[str]:
    """Records with any full-text event (computed once per batch of decisions)."""
    if not len(entries):
        return frozenset()
    return frozenset(entries.loc[entries["stage"] == "full_text", "record_id"].astype(str))


def assignments(entries: pd.DataFrame, stage: str) -> dict[str, tuple[str, ...]]:
    """record_id -> reviewers who must both decide it (latest 'assign' event wins)."""
    out: dict[str, tuple[str, ...]] = {}
    sub = assign_events(entries, stage)
    for rid, payload in zip(sub["record_id"].tolist(), sub["payload"].tolist()):
        reviewers = tuple(event_payload(payload).get("reviewers", ()))
        if reviewers:
            out[rid] = reviewers
        else:
            out.pop(rid, None)   # an empty plan un-assigns
    return out
