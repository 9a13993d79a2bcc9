"""Recording one decision: validating an event against the review, then appending it.

:func:`build_event` holds the rules every event must satisfy, whoever writes it (a
screener's :func:`record_decision`, an adjudication, a bulk import, the interactive
session): a declared reviewer who may make it, a record open for screening at the stage, a
known action, the review's exclusion reasons, and no title/abstract change that would pull
the footing from under full-text decisions. :func:`record_decision` appends one screener
event and returns what the decider should hear of it (:class:`DecisionResult`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import AbstractSet, Any, Mapping

import pandas as pd

from screening.decisions.entries import (
    Standing, assign_events, considered_records, event_payload, standing_decisions,
)
from screening.decisions.event_checks import check_link, check_open, keep_full_text_footing, refuse_after_own_adjudication
from screening.decisions.outcomes import Outcome, record_outcomes, settled_now_in_conflict
from screening.decisions.progress import eligible_records
from screening.decisions.reasons import declared_reason, same_reason
from screening.decisions.review import Review, ReviewLike, check_stage, events_of_record, open_for_writing
from screening.decisions.roster import Roster
from screening.decisions.stops import flag_stopped
from screening.decisions.store import ACTIONS, DECISION_ACTIONS, Event
from screening.decisions.studies import ACTION, groups, sort_key, study_links, visible_links
from screening.decisions.visibility import Viewer, visible_entries
from screening.errors import DecisionError
from screening.normalize import clip
from screening.record_marks import row_in_play

DECISIONS = ("include", "exclude", "maybe", "not_retrieved")


def study_group(review: Review, record_id: str, viewer: Viewer) -> list[str]:
    """The records of ``record_id``'s study (itself first) by the links ``viewer`` may see,
    among the records at full text."""
    entries = review.entries()
    sought = set(eligible_records(review.records, entries, "full_text")["record_id"].astype(str))
    group = groups(visible_links(entries, viewer), review.records, sought, [record_id])
    return [record_id] + sorted((r for r, g in group.items() if g == group[record_id] and r != record_id),
                                key=sort_key)


def record_fingerprint(record: dict[str, Any]) -> dict[str, str]:
    """The title (cut at 300 characters), DOI and source file of a record, as a decision on it
    stores them (payload ``record``)."""
    def text(name: str) -> str:
        value = record.get(name)
        return "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()

    return {"title": clip(text("title"), 300), "doi": text("doi"), "file": text("source_file")}


def build_event(review: Review, entries: pd.DataFrame, *, reviewer: str, record_id: str, action: str,
                stage: str = "title_abstract", reason: str = "", note: str = "", role: str = "screener",
                is_demo: bool = False, payload: dict[str, Any] | None = None,
                sought: set[str] | None = None, ft_records: AbstractSet[str] | None = None,
                ranking_id: str = "", adjudicated: Mapping[tuple[str, str, str], str] | None = None) -> Event:
    """Validate one decision/action against the review and return the event to append.

    ``sought`` / ``ft_records`` / ``adjudicated``: the full-text set, the records with full-text
    events and :func:`standing_adjudications`, when the caller validates many events against
    one log (an import) and computed them once.

    ``reviewer`` must be a declared person when the review declares any (recorded with the
    declared spelling), and a screener's decision must be a declared reviewer's (not an
    adjudicator's only: :meth:`.Roster.decider`); an adjudicator event only checks the
    adjudicator list — whether they may settle this record's conflict is :func:`adjudicate`'s
    to decide."""
    check_stage(stage)
    record_id = str(record_id)
    if role == "adjudicator":
        reviewer = review.roster.adjudicator(reviewer, record=record_id)
    elif action in DECISION_ACTIONS:
        reviewer = review.roster.decider(reviewer, record=record_id)
    else:
        reviewer = review.roster.screener(reviewer, record=record_id)
    if action not in ACTIONS or action == "assign":
        raise DecisionError(f"unknown action {action!r}", record=record_id,
                            hint="use include, exclude, maybe, not_retrieved, undo, note, attach_report or link_study")
    record = check_open(review, record_id, stage, entries, sought)
    if action == "not_retrieved" and stage != "full_text":
        raise DecisionError("'not retrieved' applies to full-text reports only", record=record_id,
                            hint="pass --stage full_text")
    if action == "attach_report":
        if stage != "full_text" or not (payload or {}).get("report"):
            raise DecisionError("attach a report at the full-text stage with a path or URL", record=record_id,
                                hint="screening decide REVIEW --stage full_text --record ID --attach PATH_OR_URL")
    if action == "link_study":
        check_link(review, entries, record_id, stage, payload, sought)
    reason = reason_typed = reason.strip()
    if action == "exclude" and stage == "full_text":
        allowed = review.reasons(stage)
        if not reason:
            raise DecisionError("full-text exclusions need a reason", record=record_id,
                                hint=f"pass --reason, one of: {'; '.join(allowed)}")
        # as people read it (case and spacing aside), and stored as the TOML spells it, so a
        # re-typed or re-capitalised reason never becomes a second reason in the PRISMA counts
        reason = declared_reason(reason, allowed)
        if not reason:
            raise DecisionError(f"unknown exclusion reason {reason_typed!r}", record=record_id,
                                hint=f"use one of the review's reasons: {'; '.join(allowed)}")
    if (action == "exclude" and stage == "title_abstract" and reason
            and review.config.screening.title_abstract_reasons):
        # optional at title/abstract, but when the review lists its reasons a typo must not
        # become a new reason in the PRISMA counts; a known one is stored as declared
        allowed = review.reasons(stage)
        known = declared_reason(reason, allowed) or _declared_parts(reason, allowed)
        if not known:
            raise DecisionError(f"unknown title/abstract exclusion reason {reason!r}", record=record_id,
                                hint=f"use one of [screening] title_abstract_reasons: {'; '.join(allowed)} "
                                     "(or leave the reason out)")
        reason = known
    elif action == "exclude" and stage == "title_abstract" and reason:
        # free text there, but one of the reasons offered (the full-text ones) is stored as declared
        reason = declared_reason(reason, review.reasons(stage)) or reason
    if action == "undo":
        mine = entries[entries["record_id"] == record_id]
        standing = standing_decisions(mine, stage).get(record_id, {})
        if (reviewer, role) not in standing:
            if (reviewer, "adjudicator") in standing:     # 'no decision' read as if it were lost
                at = "" if stage == "title_abstract" else f" --stage {stage}"
                raise DecisionError(f"{reviewer}'s decision on this record is an adjudication, which undo does "
                                    "not take back: correct it by adjudicating the record again (the new "
                                    "adjudication replaces it; both stay in the log)", record=record_id,
                                    hint=f"screening adjudicate REVIEW -r {reviewer} --record {record_id}{at} "
                                         "--include|--exclude [--reason R]")
            raise DecisionError(f"{reviewer} has no decision to undo on this record", record=record_id,
                                hint="undo cancels your latest standing decision")

    if role == "screener" and action in DECISION_ACTIONS:
        refuse_after_own_adjudication(entries, record_id, reviewer, stage, adjudicated)
    if stage == "title_abstract" and action in ("include", "exclude", "maybe", "undo"):
        keep_full_text_footing(entries, record_id, reviewer, role, action, ft_records)
    if action in DECISION_ACTIONS:
        # what the decision was made on: a re-ingest can then tell whether the id still names
        # that record (:mod:`screening.identity`), whatever happened to the exports in between
        payload = {**(payload or {}), "record": record_fingerprint(record)}
    return Event(record_id=record_id, stage=stage, reviewer=reviewer, action=action, role=role,
                 reason=reason if action in ("exclude", "include", "maybe", "not_retrieved") else "",
                 note=note, is_demo=is_demo,
                 # what put the record in front of the reviewer: a screening session says (its
                 # ranker's model id, the table's ranking or order); a decision from the command
                 # line, an import or an adjudication was not put there by any ranking: ''
                 ranking_id=ranking_id,
                 payload=payload or {})


def _declared_parts(reason: str, allowed: tuple[str, ...]) -> str:
    """An import's joined reasons ('not a review, not about wildfire' from Rayyan) with each
    part as declared, keeping the separators; '' unless every part is a declared reason."""
    pieces = re.split(r"(\s*[;,]\s*)", reason)      # reasons at even positions, separators between
    out = []
    for i, piece in enumerate(pieces):
        if i % 2 or not piece.strip():
            out.append(piece)
            continue
        declared = declared_reason(piece, allowed)
        if not declared:
            return ""
        out.append(declared)
    return "".join(out) if any(p.strip() for p in pieces[::2]) else ""


@dataclass(frozen=True)
class DecisionResult:
    event: Event                 # the event appended (or, when nothing was, the one that would have been)
    written: bool
    outcome: Outcome | None      # the record's state after the write, as the decider may see it
    warnings: tuple[str, ...] = ()
    # the decision repeated the reviewer's standing one (same action and reason), so it was not
    # appended again; ``event`` is then the note event if the repeat carried a new note
    repeated: bool = False
    standing: Standing | None = None   # the reviewer's own standing decision after the write
    study: tuple[str, ...] = ()        # link_study: the record's study after the write (itself first), as seen
    corrects: Standing | None = None   # an adjudication: the earlier adjudication it replaced, if any


def missing_report(report: str) -> str:
    """A warning when an attached report is a path that is not a file here, else ''."""
    if report and "://" not in report and not Path(report).expanduser().exists():
        return f"attached {report!r}, which is not a file here (a typo? a path on another machine?)"
    return ""


def _outside_full_plan(entries: pd.DataFrame, record_id: str, stage: str) -> bool:
    """Whether the stage's latest plan dual-screens every record (fraction 1) but not this
    one: most likely a record added by a later search, which one decision would settle."""
    planned = assign_events(entries, stage)
    if not len(planned) or record_id in considered_records(entries, stage):
        return False
    fraction = event_payload(str(planned["payload"].iloc[-1] or "")).get("fraction")
    return fraction == 1


def logged_notes(entries: pd.DataFrame) -> dict[tuple[str, str, str], set[str]]:
    """(reviewer, record, stage) -> the notes already in the log (on decisions or note events)."""
    out: dict[tuple[str, str, str], set[str]] = {}
    has = entries[entries["note"].astype(str).str.strip() != ""]
    for who, rid, stage, note in zip(has["reviewer"], has["record_id"], has["stage"], has["note"]):
        out.setdefault((str(who), str(rid), str(stage)), set()).add(str(note).strip())
    return out


def keep_repeated_note(review: Review, entries: pd.DataFrame, ev: Event, *, is_demo: bool = False) -> tuple[Event, bool]:
    """A repeated decision ``ev`` (not appended again) whose note is new: (the note event, in
    ``ev``'s role, and whether it was appended); a repeat without a new note: (``ev``, False)."""
    text = ev.note.strip()
    if not text or text in logged_notes(entries[entries["record_id"] == ev.record_id]).get(
            (ev.reviewer, ev.record_id, ev.stage), ()):
        return ev, False
    note = build_event(review, entries, reviewer=ev.reviewer, record_id=ev.record_id, action="note",
                       stage=ev.stage, note=text, role=ev.role, is_demo=is_demo, ranking_id="")
    return note, review.open().append([note]) == 1


def record_decision(review: ReviewLike, *, reviewer: str, record_id: str, action: str,
                    stage: str = "title_abstract", reason: str = "", note: str = "",
                    is_demo: bool = False, report: str = "", study: str | None = None,
                    event_uuid: str | None = None) -> DecisionResult:
    """Append one screener event (decision, undo, note, not_retrieved, attach_report, or
    link_study: ``study`` names the record of the study this record is a report of, ``""``
    ends its link).

    A decision identical to the reviewer's standing one on the record at ``stage`` (same action,
    same reason) is not appended again (``repeated``): a second identical event would change
    nothing but would need a second undo to take back. A new note on such a repeat is kept as
    a note event, as a re-imported row's note is."""
    with open_for_writing(review) as rv:
        entries = rv.entries()
        # ranking_id "": a decision made from a script or the command line was not put in
        # front of the reviewer by any ranking we know of (the methods paragraph says so,
        # rather than crediting the last `screening run`'s ranking)
        payload = ({"report": report} if report else {}) | ({"study": str(study).strip()} if study is not None else {})
        ev = build_event(rv, entries, reviewer=reviewer, record_id=record_id, action=action, stage=stage,
                         reason=reason, note=note, is_demo=is_demo, payload=payload or None, ranking_id="")
        if event_uuid:
            ev = replace(ev, event_uuid=event_uuid)
        mine = entries[entries["record_id"] == ev.record_id]
        was = standing_decisions(mine, stage).get(ev.record_id, {}).get((ev.reviewer, "screener"))
        repeated = (ev.action in DECISION_ACTIONS and was is not None and was.decision == ev.action
                    and same_reason(was.reason, ev.reason))
        if ev.action == "link_study":
            repeated = link_repeats(mine, ev.reviewer, ev.record_id, ev.payload.get("study", ""))
        if repeated:
            ev, written = keep_repeated_note(rv, entries, ev, is_demo=is_demo)
        else:
            written = rv.open().append([ev]) == 1
        # blind as a screener, also for someone declared an adjudicator (the session's rule)
        replaced = link_replaced(visible_entries(mine, Viewer(ev.reviewer)), ev) if written else []
        after = events_of_record(rv, ev.record_id)
        reopened = (settled_now_in_conflict(mine, after, ev.record_id, stage)
                    if written and ev.action in DECISION_ACTIONS else "")
        group = study_group(rv, ev.record_id, Viewer(ev.reviewer)) if ev.action == "link_study" else []
        # while the log is open: read after it was closed, the stop was read through a new
        # reader of the log that nothing closed (one connection left open per decision)
        stopped = (stop_warnings(rv, ev, mine, stage)
                   if written and stage == "title_abstract" and ev.action in DECISION_ACTIONS else [])
    outcome = record_outcomes(visible_entries(after, Viewer(ev.reviewer)), stage).get(ev.record_id)
    standing = standing_decisions(after, stage).get(ev.record_id, {}).get((ev.reviewer, "screener"))
    warnings = []
    if ev.action == "link_study":
        if not ev.payload.get("study") and len(group) > 1:
            whose = "that record's" if len(group) == 2 else "those records'"
            warnings.append(f"record {ev.record_id} is still one study with {', '.join(group[1:][:5])} through "
                            f"{whose} own links")
        warnings += replaced
    if action == "attach_report" and (missing := missing_report(report)):
        warnings.append(missing)
    if action == "attach_report" and outcome is not None and any(
            s.reviewer == ev.reviewer and s.decision == "not_retrieved" for s in outcome.screeners):
        warnings.append(f"you marked record {ev.record_id} not retrieved; the report is attached, but that "
                        "decision stands until you decide again (include or exclude) now that you have it")
    if ev.role == "screener" and ev.action in ("include", "exclude", "maybe") and _outside_full_plan(
            entries, ev.record_id, stage):
        warnings.append(f"record {ev.record_id} is not in the dual-screening plan (added after `screening "
                        "assign`?), so this one decision settles it; run `screening assign` again to plan "
                        "the new records")
    if reopened:
        warnings.append(reopened)
    if ev.action in DECISION_ACTIONS and (stuck := no_adjudicator_left(rv.roster, outcome)):
        warnings.append(stuck)
    warnings += stopped
    return DecisionResult(ev, written, outcome, tuple(warnings), repeated, standing, tuple(group))


def stop_warnings(rv: Review, ev: Event, mine: pd.DataFrame, stage: str) -> list[str]:
    """What a decision ``ev`` just written on a record the standing stop, or ``[rank] stopped =
    true``, closed says (:func:`closed_by_stop`, :func:`closed_by_flag`); ``mine``: the record's
    events before it. Only while the stop still held the record: once someone decided it since,
    it left the stop's scope, and a colleague's decision there is an ordinary second decision."""
    stop = rv.stop_scope()
    flag = flag_stopped(rv.config)
    before = record_outcomes(mine, stage).get(ev.record_id) if stop is not None or flag else None
    if stop is not None and stop.holds(ev.record_id, before):
        return closed_by_stop(stop, ev)
    if flag and before is None and row_in_play(rv.record(ev.record_id)):
        return closed_by_flag(ev)
    return []


def closed_by_stop(stop: Any, ev: Event) -> list[str]:
    """A decision on a record the standing stop (``stop``: :meth:`Review.stop_scope`) closed
    counts (the record is screened after all, and leaves the stop's exclusions), but an include
    there means the stopping rule missed a relevant record: the team should know, and may want
    to reopen screening."""
    if stop is None or ev.record_id not in stop.records:
        return []
    when = f"{stop.latest.reviewer}, {stop.latest.created_at[:10]}"
    if ev.action == "include":
        return [f"record {ev.record_id} was closed by the stop ({when}) and is now included: the stopping rule "
                "missed a relevant record; consider reopening screening (screening stop REVIEW --resume -r NAME) "
                "and screening on"]
    return [f"record {ev.record_id} was closed by the stop ({when}); this decision counts instead of the stop's "
            "exclusion"]


def closed_by_flag(ev: Event) -> list[str]:
    """As :func:`closed_by_stop`, for a record closed by the older ``[rank] stopped = true``."""
    if ev.action == "include":
        return [f"record {ev.record_id} was closed by `stopped = true` in the [rank] section and is now included: "
                "the stopping rule missed a relevant record; consider removing that line and screening on"]
    return [f"record {ev.record_id} was closed by `stopped = true` in the [rank] section; this decision counts "
            "instead of the stopping rule's exclusion"]


def link_repeats(entries: pd.DataFrame, reviewer: str, record_id: str, study: str) -> bool:
    """Whether linking ``record_id`` to ``study`` (``""``: ending its link) changes nothing for
    ``reviewer``: a link repeats only their own (another reviewer's may be hidden from them, and
    theirs is an independent judgement); ending one, only if no link they may see stands."""
    mine = entries[entries["record_id"] == record_id]
    seen = mine[mine["reviewer"] == reviewer] if study else visible_entries(mine, Viewer(reviewer))
    return study_links(seen).get(record_id, "") == study


def link_replaced(seen: pd.DataFrame, ev: Event) -> list[str]:
    """A warning if this ``link_study`` event replaces a colleague's link in effect on the record
    (the latest link event in ``seen``, the record's events the reviewer may see before it): the
    latest link stands whoever made it, and a disagreement over links is not adjudicated, so the
    team should hear of it."""
    study = ev.payload.get("study", "")
    links = seen[(seen["action"] == ACTION) & (seen["record_id"] == ev.record_id)].sort_values("id", kind="stable")
    if links.empty or links["reviewer"].iloc[-1] == ev.reviewer:
        return []
    who = links["reviewer"].iloc[-1]
    link = study_links(links.tail(1)).get(ev.record_id, "")
    if not link or link == study:
        return []
    return [f"{who} linked record {ev.record_id} to the study of record {link}; the latest link stands, so "
            f"{'yours replaces' if study else 'ending it ends'} theirs in the counts (a disagreement over links "
            "is not adjudicated: agree on it with them)"]


def no_adjudicator_left(roster: Roster, outcome: Outcome | None) -> str:
    """A warning when ``outcome`` is a conflict every declared adjudicator took part in (a
    person both screening and adjudicating, say), so none may settle it; else ''. Without
    declared adjudicators anyone not a party may adjudicate, so there is always someone."""
    if outcome is None or outcome.status != "conflict" or not roster.adjudicators:
        return ""
    parties = [s.reviewer for s in outcome.screeners]
    if any(not Roster.is_party(a, parties) for a in roster.adjudicators):
        return ""
    return (f"record {outcome.record_id} is in conflict and every adjudicator of this review "
            f"({', '.join(roster.adjudicators)}) took part in it, so none may settle it: another adjudicator "
            f"will be needed (add one to [screening] adjudicators in {roster.toml})")
