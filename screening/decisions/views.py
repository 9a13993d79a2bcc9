"""Derived views of the decision log: standing decisions, finals, conflicts, progress, blinding.

Everything here is a pure function of the event log (a DataFrame from :func:`load_entries`)
and, where needed, the records table. Nothing is stored twice: PRISMA counts, the ranker's
training labels, `status` and `conflicts` all derive from the same rules, so they agree.

Rules (documented for users in docs/screening.md):

* A reviewer's *standing* decision on a record at a stage is their latest decision event
  (include / exclude / maybe / not_retrieved) after undos: each ``undo`` cancels that
  reviewer's most recent not-yet-undone decision on the record (undos stack).
* A record's *final* decision: the latest standing adjudicator decision if any
  (``resolved_by='adjudication'``); else, when every screener with a standing decision agrees
  on include / exclude / not_retrieved — and, for a record dual-assigned by ``screening
  assign``, every assigned reviewer has decided — that value (``'single'`` for one
  reviewer, ``'agreement'`` for two or more). ``maybe`` is never final. Records without a
  final decision are left out of :func:`final_decisions` (no 'pending' rows).
* A *conflict*: no adjudicator decision, at least two screeners with standing decisions, and
  they are not unanimous — or any of them is ``maybe`` (maybe disagrees with include, with
  exclude, and maybe+maybe needs a tie-breaker too) — or, at full text, they all exclude but
  name different reasons (PRISMA reports one reason per excluded report, so which one is a
  decision for the adjudicator, not for the order the reviewers happened to decide in).
* Blinding: a non-adjudicator viewer sees another reviewer's events on a record only once the
  viewer has a standing decision on it (:func:`visible_entries`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from screening.decisions.origins import FirstDecision, first_decisions
from screening.decisions.store import COLUMNS, DECISION_ACTIONS, STAGES, SQLiteStore
from screening.records import in_play

FINAL_VALUES = ("include", "exclude", "not_retrieved")


def empty_entries() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("id", "is_demo") else object)
                         for c in COLUMNS})


def entries_from_rows(rows: Iterable[tuple[Any, ...]]) -> pd.DataFrame:
    rows = list(rows)
    if not rows:
        return empty_entries()
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


@dataclass(frozen=True)
class Standing:
    """A reviewer's current decision on one record at one stage."""

    record_id: str
    reviewer: str
    role: str
    decision: str
    reason: str
    note: str
    event_id: int
    created_at: str


def standing_decisions(entries: pd.DataFrame, stage: str) -> dict[str, dict[tuple[str, str], Standing]]:
    """record_id -> {(reviewer, role): Standing}, after applying undos."""
    stacks: dict[tuple[str, str, str], list[Standing]] = {}
    sub = entries[entries["stage"] == stage]
    cols = [sub[c].tolist() for c in ("record_id", "reviewer", "role", "action", "reason", "note", "id", "created_at")]
    for rid, reviewer, role, action, reason, note, eid, created in zip(*cols):
        if action in DECISION_ACTIONS:
            stacks.setdefault((rid, reviewer, role), []).append(
                Standing(rid, reviewer, role, action, reason, note, int(eid), created))
        elif action == "undo":
            stack = stacks.get((rid, reviewer, role))
            if stack:
                stack.pop()
    out: dict[str, dict[tuple[str, str], Standing]] = {}
    for (rid, reviewer, role), stack in stacks.items():
        if stack:
            out.setdefault(rid, {})[(reviewer, role)] = stack[-1]
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


@dataclass(frozen=True)
class Outcome:
    record_id: str
    status: str            # 'final', 'conflict', 'pending'
    decision: str          # final value, or '' when not final
    reason: str
    resolved_by: str       # 'single', 'agreement', 'adjudication', or ''
    screeners: tuple[Standing, ...]
    adjudicator: Standing | None

    @property
    def phrase(self) -> str:
        """The state in words, to follow "record is": 'in conflict', 'pending', 'final: include'."""
        if self.status == "conflict":
            return "in conflict"
        if self.status == "final":
            return f"final: {self.decision.replace('_', ' ')}"
        return self.status


def record_outcomes(entries: pd.DataFrame, stage: str,
                    standing: dict[str, dict[tuple[str, str], Standing]] | None = None) -> dict[str, Outcome]:
    """Classify every record that has at least one standing decision at ``stage``
    (``standing``: its :func:`standing_decisions`, when the caller has them)."""
    standing = standing_decisions(entries, stage) if standing is None else standing
    plan = assignments(entries, stage)
    out: dict[str, Outcome] = {}
    for rid, by in standing.items():
        screeners = tuple(sorted((s for (_, role), s in by.items() if role == "screener"),
                                 key=lambda s: s.event_id))
        adjs = [s for (_, role), s in by.items() if role == "adjudicator" and s.decision != "maybe"]
        if adjs:
            adj = max(adjs, key=lambda s: s.event_id)
            out[rid] = Outcome(rid, "final", adj.decision, adj.reason, "adjudication", screeners, adj)
            continue
        if not screeners:
            continue
        values = {s.decision for s in screeners}
        assigned = plan.get(rid, ())
        decided = {s.reviewer for s in screeners}
        if len(screeners) >= 2 and (len(values) > 1 or "maybe" in values
                                    or (stage == "full_text" and _reasons_differ(screeners))):
            out[rid] = Outcome(rid, "conflict", "", "", "", screeners, None)
            continue
        if "maybe" in values or any(r not in decided for r in assigned):
            out[rid] = Outcome(rid, "pending", "", "", "", screeners, None)
            continue
        value = next(iter(values))
        reason = next((s.reason for s in screeners if s.reason), "")
        resolved = "single" if len(screeners) == 1 else "agreement"
        out[rid] = Outcome(rid, "final", value, reason, resolved, screeners, None)
    return out


def _reasons_differ(screeners: tuple[Standing, ...]) -> bool:
    """Two or more exclusions that name different reasons (compared as people read them:
    case and spacing aside). Exclusions without a reason (logged before reasons were required)
    disagree with nobody."""
    named = {" ".join(s.reason.split()).casefold() for s in screeners if s.decision == "exclude" and s.reason}
    return len(named) > 1


def open_records(entries: pd.DataFrame | None, outcomes: dict[str, Outcome] | None = None,
                 stage: str = "title_abstract") -> list[str]:
    """Records some reviewer decided at ``stage`` whose outcome is not settled yet
    (``outcomes``: the stage's :func:`record_outcomes`, when the caller has them)."""
    if outcomes is None:
        if entries is None or not len(entries):
            return []
        outcomes = record_outcomes(entries, stage)
    return [rid for rid, o in outcomes.items() if o.status != "final"]


def final_decisions(entries: pd.DataFrame, stage: str,
                    outcomes: dict[str, dict[str, Outcome]] | None = None) -> pd.DataFrame:
    """One row per record with a settled outcome at ``stage`` (see the module rules).

    Columns: record_id, decision ('include' | 'exclude' | 'not_retrieved'), reason,
    resolved_by ('single' | 'agreement' | 'adjudication'). Unsettled records are absent.
    The reason is the adjudicator's, else the earliest non-empty reason among the agreeing
    reviewers (full-text exclusions always carry one: it is required when recorded).
    Full text: only records whose title/abstract final decision is include are listed.
    ``outcomes``: :func:`record_outcomes` per stage, when the caller has them already.
    """
    def of(s: str) -> dict[str, Outcome]:
        return outcomes[s] if outcomes is not None and s in outcomes else record_outcomes(entries, s)

    chosen = list(of(stage).values())
    if stage == "full_text":   # only reports sought count (a record whose title/abstract include
        # was later undone keeps its full-text events in the log, but no longer counts)
        sought = {o.record_id for o in of("title_abstract").values()
                  if o.status == "final" and o.decision == "include"}
        chosen = [o for o in chosen if o.record_id in sought]
    rows = [
        {"record_id": o.record_id, "decision": o.decision, "reason": o.reason,
         "resolved_by": o.resolved_by}
        for o in chosen if o.status == "final"
    ]
    df = pd.DataFrame(rows, columns=["record_id", "decision", "reason", "resolved_by"])
    return df.astype(object)


def conflicts(entries: pd.DataFrame, stage: str) -> pd.DataFrame:
    """Long table of open conflicts: one row per (record, screener) with their standing decision.

    ``note``: every note that screener wrote on the record at ``stage`` (on decisions, undone
    ones too, and separate note events), oldest first, joined with " | "; ``other_notes``: the
    notes of anyone else (a colleague who only annotated, an adjudicator), as a list of
    ``{"reviewer", "note"}``, the same on each of the record's rows. The adjudicator decides
    on everything written about the record, not only on the note of each standing decision.
    Pass the entries the viewer may see (:func:`visible_entries`)."""
    cols = ["record_id", "reviewer", "decision", "reason", "note", "other_notes", "created_at"]
    open_ = {rid: o for rid, o in record_outcomes(entries, stage).items() if o.status == "conflict"}
    notes = record_notes(entries[entries["record_id"].isin(list(open_))], stage) if open_ else {}
    rows = []
    for rid, o in open_.items():
        written = notes.get(rid, [])
        parties = {s.reviewer for s in o.screeners}
        others = [{"reviewer": who, "note": text} for who, text in written if who not in parties]
        for s in o.screeners:
            own = " | ".join(text for who, text in written if who == s.reviewer)
            rows.append({"record_id": rid, "reviewer": s.reviewer, "decision": s.decision,
                         "reason": s.reason, "note": own, "other_notes": others, "created_at": s.created_at})
    return pd.DataFrame(rows, columns=cols).astype(object)


def record_notes(entries: pd.DataFrame, stage: str) -> dict[str, list[tuple[str, str]]]:
    """record_id -> [(author, note)] at ``stage``, oldest first, each note once per author."""
    sub = entries[(entries["stage"] == stage) & (entries["note"].fillna("").astype(str).str.strip() != "")]
    out: dict[str, list[tuple[str, str]]] = {}
    for rid, who, note in zip(sub["record_id"], sub["reviewer"], sub["note"]):
        item = (str(who), str(note).strip())
        if item not in out.setdefault(str(rid), []):
            out[str(rid)].append(item)
    return out


def ranking_label(outcome: Outcome | None, standing: Mapping[tuple[str, str], Standing] | None) -> int | None:
    """The label the ranker learns from one record's title/abstract state: the final decision
    when settled; else include if any standing decision is include (an unsettled conflict is a
    possible inclusion: learning whoever decided last would drop it until adjudication), else
    exclude if any is; None when nobody has included or excluded it. One rule for the rank
    stage (:func:`training_labels`) and a screening session's ranker."""
    if outcome is not None and outcome.status == "final" and outcome.decision in ("include", "exclude"):
        return 1 if outcome.decision == "include" else 0
    decided = [s.decision for s in (standing or {}).values() if s.decision in ("include", "exclude")]
    if not decided:
        return None
    return 1 if "include" in decided else 0


def training_labels(entries: pd.DataFrame, outcomes: dict[str, Outcome] | None = None,
                    standing: dict[str, dict[tuple[str, str], Standing]] | None = None) -> pd.DataFrame:
    """record_id -> label (1 include, 0 exclude) from title/abstract, for the review's shared
    ranking (the rank stage: ``rank.csv``, ``rank.json``, the stopping status), by
    :func:`ranking_label` per record: it learns from every decision made so far *except* those
    on records still **pending** (a reviewer of a dual plan has yet to decide them, or only a
    'maybe' stands). Why: anyone can run ``rank`` and read what it learnt from (training-set
    size, inclusions, the stopping rule's run of irrelevant records, which records have no
    score); had it learnt a colleague's decision on a record still in your queue, comparing
    two runs would tell you that decision. A screening session's own ranker learns from
    those pending decisions its reviewer may see (their own, see
    :mod:`screening.decisions.reranking`). In a single-screener review every decision is
    settled as it is made, so nothing is held back.
    Rows come in the order records were first decided (deterministic for a given log).
    For the stopping rule, each row also says how its record's first decision was made
    (:mod:`.origins`): ``sampled`` (in the random sample), ``ranked`` (served in ranked order)
    and ``first_event`` (that decision's event id; -1 for none).
    ``outcomes``: the title/abstract :func:`record_outcomes`, and ``standing`` its
    :func:`standing_decisions`, when the caller has them.
    """
    if standing is None:
        standing = standing_decisions(entries, "title_abstract")
    if outcomes is None:
        outcomes = record_outcomes(entries, "title_abstract", standing=standing)
    keyed: list[tuple[float, str, int]] = []
    for rid, by in standing.items():
        outcome = outcomes.get(rid)
        if outcome is None or outcome.status == "pending":
            continue            # a reviewer has yet to decide it: learning it would tell them
        label = ranking_label(outcome, by)
        if label is not None:
            first = min((s.event_id for s in by.values() if s.decision in ("include", "exclude")),
                        default=float("inf"))
            keyed.append((first, rid, label))
    keyed.sort(key=lambda k: k[0])
    labels = {rid: label for _, rid, label in keyed}
    for rid, o in outcomes.items():          # settled without a standing decision (none expected)
        if rid not in labels and (label := ranking_label(o, None)) is not None:
            labels[rid] = label
    first = first_decisions(entries)
    none = FirstDecision("", -1, "", False, False)
    rows = [{"record_id": rid, "label": label, "sampled": first.get(rid, none).sampled,
             "ranked": first.get(rid, none).ranked, "first_event": first.get(rid, none).event_id}
            for rid, label in labels.items()]
    df = pd.DataFrame(rows, columns=["record_id", "label", "sampled", "ranked", "first_event"])
    return df.astype({"record_id": object, "label": "int64", "sampled": bool, "ranked": bool,
                      "first_event": "int64"})


def sampled_records(entries: pd.DataFrame) -> set[str]:
    """The random sample the hypergeometric stopping test reads: records whose *first*
    title/abstract decision was made in it (``screen --sample``, or an import row marked
    ``sampled``). A record someone decided before the sample drew it is not in the sample,
    whatever session a later decision on it came from (:mod:`.origins`)."""
    if "payload" not in entries.columns or not len(entries):
        return set()
    return {rid for rid, f in first_decisions(entries).items() if f.sampled}


# ---------------------------------------------------------------------------------------------
# Which records are screened


def records_in_play(records: pd.DataFrame) -> pd.DataFrame:
    """Records to screen at title/abstract, in screening order (rank, else file order)."""
    out = records[in_play(records)]
    if "rank" in out.columns and out["rank"].notna().any():
        order = out.assign(_pos=range(len(out)))
        out = order.sort_values(["rank", "_pos"], na_position="last", kind="stable").drop(columns="_pos")
    return out


def eligible_records(records: pd.DataFrame, entries: pd.DataFrame, stage: str) -> pd.DataFrame:
    """The records to screen at ``stage``: in play, or (full text) included at title/abstract."""
    play = records_in_play(records)
    if stage == "full_text":
        finals = final_decisions(entries, "title_abstract")
        sought = set(finals.loc[finals["decision"] == "include", "record_id"])
        play = play[play["record_id"].isin(sought)]
    return play


def stage_progress(entries: pd.DataFrame, records: pd.DataFrame, stage: str) -> dict[str, Any]:
    """Where a stage stands (unblinded; the CLI redacts it per viewer).

    Keys: stage, total (records to screen), screened (settled), remaining (total - screened),
    started (>= 1 standing decision), conflicts_open, pending (awaiting a second reviewer
    or 'maybe'), final {include, exclude, not_retrieved}, per_reviewer {name: {decided,
    include, exclude, maybe, not_retrieved}} for decisions made as a screener, per_adjudicator
    (the same, for decisions made as an adjudicator; a person can hold both roles, and the
    keys stay plain names for scripts), reports_attached (full text).
    """
    eligible = set(eligible_records(records, entries, stage)["record_id"])
    outcomes = {rid: o for rid, o in record_outcomes(entries, stage).items() if rid in eligible}
    final = {v: 0 for v in FINAL_VALUES}
    for o in outcomes.values():
        if o.status == "final":
            final[o.decision] += 1
    per: dict[str, dict[str, int]] = {}
    per_adj: dict[str, dict[str, int]] = {}
    for rid, by in standing_decisions(entries, stage).items():
        if rid not in eligible:
            continue
        for (reviewer, role), s in by.items():
            d = (per if role == "screener" else per_adj).setdefault(reviewer, {"decided": 0, "include": 0, "exclude": 0, "maybe": 0, "not_retrieved": 0})
            d["decided"] += 1
            d[s.decision] += 1
    screened = sum(final.values())
    attached = entries[(entries["stage"] == stage) & (entries["action"] == "attach_report")]
    return {
        "stage": stage,
        "total": len(eligible),
        "screened": screened,
        "remaining": len(eligible) - screened,
        "started": len(outcomes),
        "conflicts_open": sum(o.status == "conflict" for o in outcomes.values()),
        "pending": sum(o.status == "pending" for o in outcomes.values()),
        "final": final,
        "per_reviewer": dict(sorted(per.items())),
        "per_adjudicator": dict(sorted(per_adj.items())),
        "reports_attached": int(attached.loc[attached["record_id"].isin(eligible), "record_id"].nunique()),
    }


# ---------------------------------------------------------------------------------------------
# Blinding


@dataclass(frozen=True)
class Viewer:
    """Who is looking. ``name=None`` and not adjudicator: sees nobody's decisions."""

    name: str | None = None
    adjudicator: bool = False


def visible_entries(entries: pd.DataFrame, viewer: Viewer) -> pd.DataFrame:
    """The events ``viewer`` may see: their own, 'assign' plans, and others' events on a
    (record, stage) only where the viewer has a standing decision. Adjudicators see all."""
    if viewer.adjudicator or entries.empty:
        return entries
    decided: set[tuple[str, str]] = set()
    if viewer.name:
        for stage in entries["stage"].unique():
            for rid, by in standing_decisions(entries, stage).items():
                if any(rev == viewer.name for rev, _ in by):
                    decided.add((rid, stage))
    own = entries["reviewer"].eq(viewer.name) if viewer.name else pd.Series(False, index=entries.index)
    plan = entries["action"].eq("assign")
    seen = pd.Series([(r, s) in decided for r, s in zip(entries["record_id"], entries["stage"])],
                     index=entries.index, dtype=bool)
    return entries[own | plan | seen]
