"""The checks a decision event must pass against the review and its log before it is written.

Why apart from :mod:`.recording`: these are the review's standing rules for any event,
whoever writes it: the record is open for screening at the stage (not a duplicate, not
excluded by the rules, in full-text review for a full-text decision); a title/abstract change
does not pull the footing from under full-text decisions; an adjudicator does not screen the
record they adjudicated; a study link names another record at full text.
"""

from __future__ import annotations

from typing import AbstractSet, Any, Mapping

import pandas as pd

from screening.decisions.entries import standing_decisions
from screening.decisions.outcomes import record_outcomes
from screening.decisions.progress import eligible_records
from screening.decisions.review import Review
from screening.errors import DecisionError
from screening.record_marks import cell_text, row_in_play, row_other_method_report


def check_open(review: Review, record_id: str, stage: str, entries: pd.DataFrame,
                sought: set[str] | None = None) -> dict[str, Any]:
    """The record, after checking it exists and is open for screening at ``stage``
    (``sought``: the full-text set if the caller already knows it)."""
    rec = review.record(record_id)
    other_report = row_other_method_report(rec)
    if other_report and stage == "title_abstract":
        raise DecisionError(f"record was identified by another method ({cell_text(rec.get('other_method'))}): "
                            "it is not screened at "
                            "title/abstract", record=record_id,
                            hint="PRISMA 2020 counts such reports in its 'other methods' column from full text "
                                 "on: decide it with --stage full_text")
    if not row_in_play(rec) and not other_report:                # record_marks.in_play
        dup = str(rec.get("duplicate_of", "") or "").strip()
        if dup:
            raise DecisionError(f"record is a duplicate of {dup}", record=record_id,
                                hint="screen the kept record instead")
        if str(rec.get("rule_decision", "") or "").strip().lower() == "exclude":
            raise DecisionError("record was excluded by the inclusion rules", record=record_id,
                                hint="it is not screened by people; change the rules to bring it back")
        raise DecisionError(f"record was removed before screening ({str(rec.get('removed_reason')).strip()})",
                            record=record_id, hint="it is not screened by people")
    if stage == "full_text":
        if sought is None:
            sought = set(eligible_records(review.records, entries, "full_text")["record_id"])
        if record_id not in sought:
            raise DecisionError("record is not in full-text review", record=record_id,
                                hint="only records finally included at title/abstract (or identified by "
                                     "another method) reach full text")
    return rec


def keep_full_text_footing(entries: pd.DataFrame, record_id: str, reviewer: str, role: str, action: str,
                            ft_records: AbstractSet[str] | None = None) -> None:
    """Refuse a title/abstract event that would end the settled include full-text decisions
    rest on (an undo, or a changed decision making it a conflict): those assessments, and
    maybe an included study, would silently drop out of the PRISMA counts. The message names
    nobody: the person refused may be blinded to the others' decisions."""
    if ft_records is not None and record_id not in ft_records:
        return      # the common case in a batch, without filtering the log
    mine = entries[entries["record_id"] == record_id]
    later = standing_decisions(mine, "full_text").get(record_id, {})
    if not later:
        return
    before = record_outcomes(mine, "title_abstract").get(record_id)
    if before is None or before.status != "final" or before.decision != "include":
        return
    next_id = int(entries["id"].max()) + 1 if len(entries) else 1
    row = {c: "" for c in mine.columns} | {"id": next_id, "record_id": record_id, "stage": "title_abstract",
                                            "reviewer": reviewer, "role": role, "action": action, "is_demo": 0}
    after = record_outcomes(pd.concat([mine, pd.DataFrame([row])], ignore_index=True),
                            "title_abstract").get(record_id)
    if after is not None and after.status == "final" and after.decision == "include":
        return
    raise DecisionError(f"the record's settled title/abstract include has full-text decisions resting on "
                        f"it, which this {action} would end", record=record_id,
                        hint="a report the full text shows ineligible is excluded at full text, with its reason "
                             "(where PRISMA 2020 counts it: screening decide --stage full_text --exclude --reason "
                             "...); to reopen the title/abstract decision, the full-text decisions must be undone "
                             "first, by their reviewers (screening decide --stage full_text --undo)")


def standing_adjudications(entries: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    """(record_id, adjudicator, stage) -> decision, for every standing adjudication in the log
    (what :func:`refuse_after_own_adjudication` checks; an import computes it once)."""
    if not len(entries):
        return {}
    adj = entries[entries["role"].to_numpy() == "adjudicator"]
    out: dict[tuple[str, str, str], str] = {}
    for stage in adj["stage"].unique():
        for rid, by in standing_decisions(adj, str(stage)).items():
            for (who, _), st in by.items():
                out[(str(rid), who, str(stage))] = st.decision
    return out


def refuse_after_own_adjudication(entries: pd.DataFrame, record_id: str, reviewer: str, stage: str,
                                   adjudicated: Mapping[tuple[str, str, str], str] | None = None) -> None:
    """A screener's decision by the person who adjudicated the record at this stage: made after
    seeing both sides of the conflict, it is not an independent screening decision, yet it would
    enter the agreement tables and the kappa the methods paragraph cites (the adjudication
    stays the outcome either way). ``adjudicated``: :func:`standing_adjudications`, when the
    caller validates many events against one log."""
    if adjudicated is None:      # one decision (a key press): this record's events only
        adjudicated = standing_adjudications(entries[entries["record_id"] == record_id]) if len(entries) else {}
    decision = adjudicated.get((record_id, reviewer, stage))
    if decision is None:
        return
    at = "" if stage == "title_abstract" else f" --stage {stage}"
    raise DecisionError(f"{reviewer} adjudicated this record ({decision.replace('_', ' ')}): a screening "
                        "decision made after seeing the conflict is not independent, and would count in the "
                        "agreement figures", record=record_id,
                        hint=f"to change the outcome, adjudicate it again: screening adjudicate REVIEW -r {reviewer} "
                             f"--record {record_id}{at} --include|--exclude")


def check_link(review: Review, entries: pd.DataFrame, record_id: str, stage: str,
                payload: dict[str, Any] | None, sought: set[str] | None) -> None:
    """A ``link_study`` event names another record in full-text review (or ``""``, ending the
    record's link): reports are grouped into studies once their full texts are in hand."""
    if stage != "full_text":
        raise DecisionError("reports are linked into studies at the full-text stage", record=record_id,
                            hint="pass --stage full_text")
    study = str((payload or {}).get("study", "")).strip()
    if study == record_id:
        raise DecisionError("a record cannot be a report of its own study", record=record_id,
                            hint="name the record of the study's other report: --same-study-as ID")
    if not study:
        return
    # said of the study's record, not of --record: the target is what is wrong
    try:
        target = review.record(study)
    except DecisionError as err:        # unknown: its "did you mean" hint holds
        raise DecisionError(f"cannot link to record {study}: {err.message}", record=record_id,
                            hint=err.hint) from None
    try:
        check_open(review, study, stage, entries, sought)
    except DecisionError as err:
        dup = str(target.get("duplicate_of", "") or "").strip()
        raise DecisionError(f"cannot link to record {study}: {err.message}", record=record_id,
                            hint=f"link to {dup}, the copy kept for screening" if dup else
                            "link only to a record in full-text review (included at title/abstract)") from None
