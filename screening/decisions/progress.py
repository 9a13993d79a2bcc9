"""How far screening has got: the records to screen, each stage's progress, and the labels
the ranker learns from the decisions made so far.

Pure functions of the event log (:func:`.entries.load_entries`) and the records table, on top
of the records' outcomes (:mod:`.outcomes`), so `status`, PRISMA and the rank stage count
alike. Training labels hold back the decisions on records still pending (blinding, see
:func:`training_labels`).
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from screening.decisions.entries import Standing, standing_decisions
from screening.decisions.origins import FirstDecision, first_decisions
from screening.decisions.outcomes import FINAL_VALUES, Outcome, final_decisions, record_outcomes
from screening.record_marks import in_play, other_method_reports


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
    """The records to screen at ``stage``: in play, or (full text) the reports sought: those
    included at title/abstract, then those another method identified (in file order)."""
    play = records_in_play(records)
    if stage == "full_text":
        finals = final_decisions(entries, "title_abstract")
        sought = set(finals.loc[finals["decision"] == "include", "record_id"])
        play = play[play["record_id"].isin(sought)]
        other = records[other_method_reports(records)]
        if len(other):
            play = pd.concat([play, other])
    return play


def stage_progress(entries: pd.DataFrame, records: pd.DataFrame, stage: str) -> dict[str, Any]:
    """Where a stage stands (unblinded; the CLI redacts it per viewer).

    Keys: stage, total (records to screen), screened (settled), remaining (total - screened),
    started (>= 1 standing decision), conflicts_open, pending (awaiting a second reviewer
    or 'maybe'), final {include, exclude, not_retrieved}, per_reviewer {name: {decided,
    include, exclude, maybe, not_retrieved}} for decisions made as a screener, per_adjudicator
    (the same, for the adjudications that settle a record: one a later adjudication corrected
    is not counted; a person can hold both roles, and the keys stay plain names for scripts),
    reports_attached (full text).
    """
    eligible = set(eligible_records(records, entries, stage)["record_id"])
    standing = standing_decisions(entries, stage)
    outcomes = {rid: o for rid, o in record_outcomes(entries, stage, standing).items() if rid in eligible}
    final = {v: 0 for v in FINAL_VALUES}
    for o in outcomes.values():
        if o.status == "final":
            final[o.decision] += 1
    per: dict[str, dict[str, int]] = {}
    per_adj: dict[str, dict[str, int]] = {}
    for rid, by in standing.items():
        if rid not in eligible:
            continue
        outcome = outcomes.get(rid)
        settled_by = outcome.adjudicator if outcome is not None else None
        for (reviewer, role), s in by.items():
            if role != "screener" and (settled_by is None or settled_by.event_id != s.event_id):
                continue        # an adjudication a later one corrected no longer settles anything
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
# What the ranker learns


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
                    standing: dict[str, dict[tuple[str, str], Standing]] | None = None,
                    first: dict[str, FirstDecision] | None = None) -> pd.DataFrame:
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
    :func:`standing_decisions`, and ``first`` the :func:`first_decisions`, when the caller has them.
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
            earliest = min((s.event_id for s in by.values() if s.decision in ("include", "exclude")),
                           default=float("inf"))
            keyed.append((earliest, rid, label))
    keyed.sort(key=lambda k: k[0])
    labels = {rid: label for _, rid, label in keyed}
    for rid, o in outcomes.items():          # settled without a standing decision (none expected)
        if rid not in labels and (label := ranking_label(o, None)) is not None:
            labels[rid] = label
    if first is None:
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
