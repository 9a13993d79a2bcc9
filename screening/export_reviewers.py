"""What ``screening export --per-reviewer`` adds to the exported rows: who decided what at
each stage, who adjudicated, the notes reviewers wrote and the reports attached at full text
(:func:`reviewer_columns`), as blinding lets the viewer see them; and the rule every export
follows under blinding (:func:`visible_or_settled`: what the viewer may see, plus whatever
is settled). The export's rows themselves are :func:`screening.export.select`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

from screening.decisions.entries import event_payload, standing_decisions
from screening.decisions.outcomes import Outcome, final_decisions, record_notes, record_outcomes
from screening.decisions.reasons import ReasonNames
from screening.decisions.store import DECISION_ACTIONS, STAGES
from screening.decisions.visibility import Viewer, visible_entries

# each stage's short prefix in the column names, and the lists' separator in a CSV cell (notes
# and paths hold ';' and ',')
STAGE_PREFIX = {"title_abstract": "ta", "full_text": "ft"}
CELL_SEP = " | "


@dataclass(frozen=True)
class ReviewerColumns:
    """What ``--per-reviewer`` adds: ``table`` (aligned with the exported rows), which of its
    columns hold one reviewer's decisions, and how many records blinding kept back."""

    table: pd.DataFrame
    votes: tuple[tuple[str, str, str], ...] = ()     # (column, stage, reviewer)
    blinded: int = 0


_TOLD = frozenset(DECISION_ACTIONS | {"undo", "note", "attach_report"})    # what per-reviewer cells show


def visible_or_settled(entries: pd.DataFrame, visible: pd.DataFrame,
                       outcomes: Mapping[str, Mapping[str, Outcome]]) -> pd.Series:
    """Which of ``entries`` an export shows a viewer who is not an adjudicator: the events
    blinding shows them (``visible``: those rows of ``entries``, as :func:`visible_entries`
    or :func:`visible_links` gives them) and every event of a (record, stage) whose outcome is
    settled, as an export shows settled outcomes, and the study links behind them, to everyone.
    ``outcomes``: :func:`record_outcomes` per stage (a stage left out settles nothing)."""
    settled = {(rid, stage) for stage, by_id in outcomes.items() for rid, o in by_id.items() if o.status == "final"}
    return entries.index.isin(visible.index) | pd.Series(
        [(r, s) in settled for r, s in zip(entries["record_id"], entries["stage"])], index=entries.index, dtype=bool)


def _shown(entries: pd.DataFrame, viewer: Viewer,
           outcomes: Mapping[str, Mapping[str, Outcome]]) -> tuple[pd.DataFrame, int]:
    """The events ``viewer`` may see (:func:`visible_or_settled`; blinding as everywhere,
    :func:`visible_entries`: another reviewer's events on a record once the viewer decided
    it), and how many records have events they may not. ``outcomes``: :func:`record_outcomes`
    of ``entries`` per stage."""
    if viewer.adjudicator or entries.empty:
        return entries, 0
    keep = visible_or_settled(entries, visible_entries(entries, viewer), outcomes)
    hidden = entries[~keep & entries["action"].isin(list(_TOLD))]
    return entries[keep], int(hidden["record_id"].nunique())


def _vote(decision: str, reason: str) -> str:
    return f"{decision} ({reason})" if reason else decision


def reviewer_columns(entries: pd.DataFrame, rows: pd.DataFrame, stage: str, viewer: Viewer,
                     reasons: Mapping[str, ReasonNames] | None = None) -> ReviewerColumns:
    """Per exported row: each screener's standing decision at each stage (``ta_<name>``,
    ``ft_<name>``: 'include', 'exclude (reason)', 'maybe', 'not_retrieved'), the settled
    decision and reason at each stage (``ta_decision``...; the exported stage's are its
    ``decision`` and ``reason``), who adjudicated (``ta_adjudicated_by``), the notes reviewers
    wrote (``reviewer_notes``: 'who (stage): text') and the reports attached at full text
    (``full_text_reports``). What blinding hides from ``viewer`` stays blank (see :func:`_shown`).
    ``reasons``: per stage, the spelling each reason is counted under
    (:func:`.reasons.log_reason_names`, over the whole log); reasons are shown as recorded without it."""
    ids = rows["record_id"].astype(str).tolist()
    mine = entries[entries["record_id"].astype(str).isin(set(ids))]
    # each stage's outcomes, once: a settled outcome reads the same on every event of its
    # record (shown keeps them all), and only settled ones name their adjudicator below
    outcomes = {st: record_outcomes(mine, st) for st in STAGES}
    shown, blinded = _shown(mine, viewer, outcomes)
    cols: dict[str, list[Any]] = {}
    votes: list[tuple[str, str, str]] = []
    for st in STAGES:
        p = STAGE_PREFIX[st]
        named = (reasons or {}).get(st) or ReasonNames()
        standing = standing_decisions(shown, st)
        names = sorted({who for by in standing.values() for who, role in by if role == "screener"}, key=str.casefold)
        for who in names:
            col = f"{p}_{who}" if who not in ("decision", "reason", "adjudicated_by") else f"{p}_{who}_reviewer"
            by_id = {rid: by[(who, "screener")] for rid, by in standing.items() if (who, "screener") in by}
            cols[col] = [_vote(v.decision, named(v.reason)) if (v := by_id.get(rid)) else "" for rid in ids]
            votes.append((col, st, who))
        if st == stage:      # the stopping rule's exclusions are the exported stage's too
            cols[f"{p}_decision"], cols[f"{p}_reason"] = rows["decision"].tolist(), rows["reason"].tolist()
        else:
            final = final_decisions(mine, st, outcomes).set_index("record_id")
            cols[f"{p}_decision"] = [final["decision"].get(rid, "") for rid in ids]
            cols[f"{p}_reason"] = [named(final["reason"].get(rid, "")) for rid in ids]
        adj = [o.adjudicator.reviewer if (o := outcomes[st].get(rid)) and o.adjudicator and o.status == "final" else ""
               for rid in ids]
        if any(adj):
            cols[f"{p}_adjudicated_by"] = adj
    notes = {st: record_notes(shown, st) for st in STAGES}
    cols["reviewer_notes"] = [[f"{who} ({st}): {text}" for st in STAGES for who, text in notes[st].get(rid, [])]
                              for rid in ids]
    attached = shown[(shown["stage"] == "full_text") & (shown["action"] == "attach_report")]
    reports: dict[str, list[str]] = {}
    for rid, payload in zip(attached["record_id"].astype(str), attached["payload"].astype(str)):
        report = str(event_payload(payload).get("report", "")).strip()
        if report and report not in reports.setdefault(rid, []):
            reports[rid].append(report)
    cols["full_text_reports"] = [reports.get(rid, []) for rid in ids]
    return ReviewerColumns(pd.DataFrame(cols, index=rows.index), tuple(votes), blinded)
