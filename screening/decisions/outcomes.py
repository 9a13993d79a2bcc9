"""What the standing decisions add up to per record: outcomes, final decisions, open conflicts.

Pure functions of the event log (:func:`.entries.load_entries`), on top of each reviewer's
standing decision (:func:`.entries.standing_decisions`). Rules (documented for users in
docs/screening.md):

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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection

import pandas as pd

from screening.decisions.entries import Standing, assignments, standing_decisions
from screening.decisions.reasons import reason_key

FINAL_VALUES = ("include", "exclude", "not_retrieved")


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
                                    or (stage == "full_text" and reasons_differ(screeners))):
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


def reopened_into_conflict(was: Outcome | None, now: Outcome | None) -> bool:
    """Whether a write turned a settled record (``was``) into a conflict (``now``): a decision
    or an import disagreeing with the one that had settled it. The log is right to reopen it;
    whoever wrote should hear of it."""
    return was is not None and was.status == "final" and now is not None and now.status == "conflict"


def settled_now_in_conflict(before: pd.DataFrame, after: pd.DataFrame, record_id: str, stage: str,
                            undo: str = "--undo") -> str:
    """A warning when a decision turned a settled record into a conflict (a third reviewer
    outside its plan, or a reviewer changing their mind after agreeing), as an import warns of
    it; else ''. ``before`` / ``after``: the record's events before and after the decision
    (`decide` and the `screen` session alike); ``undo``: how the decider takes it back. The
    decider has a standing decision on the record now, so blinding lets them see what they
    disagree with; the log is right to reopen the record, but they should know that it now
    needs an adjudicator."""
    was, now = (record_outcomes(events, stage).get(record_id) for events in (before, after))
    if not reopened_into_conflict(was, now):
        return ""
    how = {"single": "by one decision", "agreement": "by agreement"}.get(was.resolved_by, was.resolved_by)
    stage = "title/abstract" if stage == "title_abstract" else "full text"
    return (f"record {record_id} was settled at {stage} ({was.decision.replace('_', ' ')}, {how}) and is now "
            f"in conflict with this decision; an adjudicator settles it (`screening adjudicate`), or {undo} takes "
            "this decision back if it was not meant")


def reasons_differ(screeners: tuple[Standing, ...]) -> bool:
    """Two or more exclusions that name different reasons (compared as people read them:
    case and spacing aside). Exclusions without a reason (logged before reasons were required)
    disagree with nobody."""
    named = {reason_key(s.reason) for s in screeners if s.decision == "exclude" and reason_key(s.reason)}
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
                    outcomes: dict[str, dict[str, Outcome]] | None = None,
                    other_reports: Collection[str] = ()) -> pd.DataFrame:
    """One row per record with a settled outcome at ``stage`` (see the module rules).

    Columns: record_id, decision ('include' | 'exclude' | 'not_retrieved'), reason,
    resolved_by ('single' | 'agreement' | 'adjudication'). Unsettled records are absent.
    The reason is the adjudicator's, else the earliest non-empty reason among the agreeing
    reviewers (full-text exclusions always carry one: it is required when recorded).
    Full text: only the reports sought are listed: records whose title/abstract final decision
    is include, and ``other_reports`` (records another method identified, which enter at full
    text: :func:`screening.record_marks.other_method_reports`).
    ``outcomes``: :func:`record_outcomes` per stage, when the caller has them already.
    """
    def of(s: str) -> dict[str, Outcome]:
        return outcomes[s] if outcomes is not None and s in outcomes else record_outcomes(entries, s)

    chosen = list(of(stage).values())
    if stage == "full_text":   # only reports sought count (a record whose title/abstract include
        # was later undone keeps its full-text events in the log, but no longer counts)
        sought = {o.record_id for o in of("title_abstract").values()
                  if o.status == "final" and o.decision == "include"} | {str(r) for r in other_reports}
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
    Pass the entries the viewer may see (:func:`.visibility.visible_entries`)."""
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
