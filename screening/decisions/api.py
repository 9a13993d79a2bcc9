"""The library functions behind the screening commands: one function per command.

Each takes a review (TOML path or name), validates against the review's records and
settings, writes to / reads from the decision log, and returns plain data the CLI renders.
Validation lives here so scripts get the same guarantees as the terminal: unknown records,
stages not open for the record, missing full-text exclusion reasons, reviewers the review
does not declare and adjudications by someone who may not adjudicate are
:class:`~screening.errors.DecisionError` s that say what to do (see :mod:`.roster`).
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import AbstractSet, Any, Iterator

import pandas as pd

from screening.config import ReviewConfig, load_review
from screening.decisions.agreement import PairAgreement, agreement_report
from screening.decisions.imports import ImportRow, import_event_ids, note_event_id, read_decisions_csv, similar_ids
from screening.decisions.plan import parse_reviewers, plan_events
from screening.decisions.roster import Roster
from screening.decisions.store import ACTIONS, DECISION_ACTIONS, STAGES, DecisionStore, Event, open_store
from screening.decisions.views import (
    Outcome, Standing, Viewer, assign_events, conflicts, considered_records, eligible_records, entries_from_rows,
    event_payload, full_text_records, load_entries, record_outcomes, stage_progress, standing_decisions,
    visible_entries,
)
from screening.errors import DecisionError
from screening.records import in_play, row_in_play

DECISIONS = ("include", "exclude", "maybe", "not_retrieved")


@dataclass
class Review:
    """A loaded review: its settings, its latest records table and its decision log path."""

    config: ReviewConfig
    records: pd.DataFrame
    store: DecisionStore | None = None
    _by_id: dict[str, int] = field(default_factory=dict)
    _entries: pd.DataFrame | None = None   # the log as read so far (append-only: extended, never re-read)

    @classmethod
    def load(cls, review: str | Path | ReviewConfig) -> "Review":
        from screening.runner import latest_table

        config = review if isinstance(review, ReviewConfig) else load_review(review)
        records = latest_table(config)
        return cls(config, records, None, {rid: i for i, rid in enumerate(records["record_id"])})

    @property
    def db_path(self) -> Path:
        return self.config.decisions_path

    def open(self) -> DecisionStore:
        if self.store is None:
            self.store = open_store(self.db_path)
        return self.store

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def entries(self) -> pd.DataFrame:
        """Every event of the log. A caller making many calls on one loaded review (the
        adjudicate walk) reads the whole log once; later calls add only the events appended
        since, by anyone. Without a log yet nothing is created."""
        if self._entries is None:
            if not self.db_path.exists():
                return load_entries(self.db_path)
            self._entries = load_entries(self.db_path)
        else:
            last = int(self._entries["id"].iloc[-1]) if len(self._entries) else 0
            new = entries_from_rows(self.open().rows(after=last))
            if len(new):
                self._entries = pd.concat([self._entries, new], ignore_index=True)
        return self._entries

    @functools.cached_property
    def roster(self) -> Roster:
        """The people ``[screening]`` declares: who may decide, who may adjudicate (built once
        per loaded review: the session resolves names on every key press)."""
        return Roster.of(self.config)

    def record(self, record_id: str) -> dict[str, Any]:
        i = self._by_id.get(str(record_id))
        if i is None:
            guesses = self.similar_ids(str(record_id))
            hint = (f"did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses else
                    "record ids are in the records table's record_id column; `screening export REVIEW -o "
                    "records.csv --decision all` lists them")
            raise DecisionError("unknown record", record=str(record_id), hint=hint)
        return self.records.iloc[i].to_dict()

    def similar_ids(self, text: str, n: int = 3) -> list[str]:
        """Up to ``n`` record ids ``text`` may have meant (:func:`.imports.similar_ids`)."""
        return similar_ids(list(self._by_id), text, n)

    def ranking_id(self, record_id: str) -> str:
        rec = self.record(record_id)
        return str(rec.get("model_id", "") or "")

    def viewer(self, reviewer: str | None = None, as_adjudicator: bool = False) -> Viewer:
        """Who is looking: reviewers named in ``[screening] adjudicators`` are adjudicators (not
        blinded) without needing ``--as-adjudicator``; everyone else sees what blinding allows."""
        roster = self.roster
        roster.check_viewer(reviewer, as_adjudicator)
        return Viewer(roster.viewer_name(reviewer) or None, as_adjudicator or roster.is_adjudicator(reviewer))

    def reasons(self, stage: str) -> tuple[str, ...]:
        s = self.config.screening
        if stage == "title_abstract" and s.title_abstract_reasons:
            return tuple(s.title_abstract_reasons)
        return tuple(s.reasons)


ReviewLike = str | Path | ReviewConfig | Review


def _loaded(review: ReviewLike) -> Review:
    """A loaded review; callers that make many calls pass one in and skip re-reading the table."""
    return review if isinstance(review, Review) else Review.load(review)


@contextmanager
def _writing(review: ReviewLike) -> Iterator[Review]:
    """The loaded review for a call that writes; the decision log is closed afterwards only if
    this call loaded the review (a caller's ``Review`` keeps it open for its next call)."""
    if isinstance(review, Review):
        yield review
        return
    rv = Review.load(review)
    try:
        yield rv
    finally:
        rv.close()


def _record_events(rv: Review, record_id: str) -> pd.DataFrame:
    """One record's events after an append, the new ones (by anyone) read incrementally."""
    entries = rv.entries()
    return entries[entries["record_id"] == record_id]


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise DecisionError(f"unknown stage {stage!r}", hint=f"use one of: {', '.join(STAGES)}")
    return stage


def _check_open(review: Review, record_id: str, stage: str, entries: pd.DataFrame,
                sought: set[str] | None = None) -> None:
    """The record exists and is open for screening at ``stage`` (``sought``: the full-text
    set if the caller already knows it)."""
    rec = review.record(record_id)
    if not row_in_play(rec):                                 # the one definition (records.in_play)
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
                                hint="only records finally included at title/abstract reach full text")


def _keep_full_text_footing(entries: pd.DataFrame, record_id: str, reviewer: str, role: str, action: str,
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
                        hint="the full-text decisions must be undone first (by their reviewers: screening decide "
                             "--stage full_text --undo), or an adjudicator settles it")


def build_event(review: Review, entries: pd.DataFrame, *, reviewer: str, record_id: str, action: str,
                stage: str = "title_abstract", reason: str = "", note: str = "", role: str = "screener",
                is_demo: bool = False, payload: dict[str, Any] | None = None,
                sought: set[str] | None = None, ft_records: AbstractSet[str] | None = None,
                ranking_id: str | None = None) -> Event:
    """Validate one decision/action against the review and return the event to append.

    ``sought`` / ``ft_records``: the full-text set and the records with full-text events, when
    the caller validates many events against one log (an import) and computed them once.

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
                            hint="use include, exclude, maybe, not_retrieved, undo, note or attach_report")
    _check_open(review, record_id, stage, entries, sought)
    if action == "not_retrieved" and stage != "full_text":
        raise DecisionError("'not retrieved' applies to full-text reports only", record=record_id,
                            hint="pass --stage full_text")
    if action == "attach_report":
        if stage != "full_text" or not (payload or {}).get("report"):
            raise DecisionError("attach a report at the full-text stage with a path or URL", record=record_id,
                                hint="screening decide REVIEW --stage full_text --record ID --attach PATH_OR_URL")
    reason = reason.strip()
    if action == "exclude" and stage == "full_text":
        allowed = review.reasons(stage)
        if not reason:
            raise DecisionError("full-text exclusions need a reason", record=record_id,
                                hint=f"pass --reason, one of: {'; '.join(allowed)}")
        if reason not in allowed:
            raise DecisionError(f"unknown exclusion reason {reason!r}", record=record_id,
                                hint=f"use one of the review's reasons: {'; '.join(allowed)}")
    if (action == "exclude" and stage == "title_abstract" and reason
            and review.config.screening.title_abstract_reasons):
        # optional at title/abstract, but when the review lists its reasons a typo must not
        # become a new reason in the PRISMA counts
        allowed = review.reasons(stage)
        known = {a.casefold() for a in allowed}
        # an import may join several reasons ('not a review, not about wildfire' from Rayyan)
        parts = [p.strip().casefold() for p in reason.replace(";", ",").split(",") if p.strip()]
        if reason.casefold() not in known and not (parts and all(p in known for p in parts)):
            raise DecisionError(f"unknown title/abstract exclusion reason {reason!r}", record=record_id,
                                hint=f"use one of [screening] title_abstract_reasons: {'; '.join(allowed)} "
                                     "(or leave the reason out)")
    if action == "undo":
        mine = entries[entries["record_id"] == record_id]
        standing = standing_decisions(mine, stage).get(record_id, {})
        if (reviewer, role) not in standing:
            raise DecisionError(f"{reviewer} has no decision to undo on this record", record=record_id,
                                hint="undo cancels your latest standing decision")

    if stage == "title_abstract" and action in ("include", "exclude", "maybe", "undo"):
        _keep_full_text_footing(entries, record_id, reviewer, role, action, ft_records)
    return Event(record_id=record_id, stage=stage, reviewer=reviewer, action=action, role=role,
                 reason=reason if action in ("exclude", "include", "maybe", "not_retrieved") else "",
                 note=note, is_demo=is_demo,
                 # the ranking that put the record in front of the reviewer: a screening session's
                 # own (retrained as it goes), else the one on the records table
                 ranking_id=review.ranking_id(record_id) if ranking_id is None else ranking_id,
                 payload=payload or {})


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


def record_decision(review: ReviewLike, *, reviewer: str, record_id: str, action: str,
                    stage: str = "title_abstract", reason: str = "", note: str = "",
                    is_demo: bool = False, report: str = "", event_uuid: str | None = None) -> DecisionResult:
    """Append one screener event (decision, undo, note, not_retrieved or attach_report).

    A decision identical to the reviewer's standing one on the record at ``stage`` (same action,
    same reason) is not appended again (``repeated``): a second identical event would change
    nothing but would need a second undo to take back. A new note on such a repeat is kept as
    a note event, as a re-imported row's note is."""
    with _writing(review) as rv:
        entries = rv.entries()
        # ranking_id "": a decision made from a script or the command line was not put in
        # front of the reviewer by any ranking we know of (the methods paragraph says so,
        # rather than crediting the last `screening run`'s ranking)
        ev = build_event(rv, entries, reviewer=reviewer, record_id=record_id, action=action, stage=stage,
                         reason=reason, note=note, is_demo=is_demo,
                         payload={"report": report} if report else None, ranking_id="")
        if event_uuid:
            ev = replace(ev, event_uuid=event_uuid)
        mine = entries[entries["record_id"] == ev.record_id]
        was = standing_decisions(mine, stage).get(ev.record_id, {}).get((ev.reviewer, "screener"))
        repeated = (ev.action in DECISION_ACTIONS and was is not None and was.decision == ev.action
                    and (was.reason or "").strip() == ev.reason)
        if repeated:
            text = ev.note.strip()
            if text and text not in _logged_notes(mine).get((ev.reviewer, ev.record_id, stage), ()):
                ev = build_event(rv, entries, reviewer=ev.reviewer, record_id=ev.record_id, action="note",
                                 stage=stage, note=text, is_demo=is_demo, ranking_id="")
                written = rv.open().append([ev]) == 1
            else:
                written = False
        else:
            written = rv.open().append([ev]) == 1
        after = _record_events(rv, ev.record_id)
    outcome = record_outcomes(visible_entries(after, Viewer(ev.reviewer)), stage).get(ev.record_id)
    standing = standing_decisions(after, stage).get(ev.record_id, {}).get((ev.reviewer, "screener"))
    warnings = []
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
    if ev.action in DECISION_ACTIONS and (stuck := no_adjudicator_left(rv.roster, outcome)):
        warnings.append(stuck)
    return DecisionResult(ev, written, outcome, tuple(warnings), repeated, standing)


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


def import_decisions(review: ReviewLike, path: str | Path, *, reviewer: str = "",
                     stage: str = "title_abstract", is_demo: bool = False) -> dict[str, Any]:
    """Import a decisions CSV in one transaction (nothing is written if any row is invalid).

    Idempotent: rows already logged by an earlier import of the same format (same reviewer,
    record, stage, decision, reason and file timestamp; see :mod:`.imports`) are skipped, not
    appended again, and not re-validated (the review may have moved on since). Returns format,
    rows (in the file), written (new decision events), skipped (already in the log),
    notes_added (notes a re-imported row adds to its logged decision), per_reviewer, warnings
    (how the file was read, e.g. a cp1252 fallback).
    """
    check_stage(stage)
    with _writing(review) as rv:
        fmt, rows, warnings = read_decisions_csv(path, rv.records, reviewer=reviewer, stage=stage, stages=STAGES)
        names = _import_reviewers(rv.roster, rows, str(path))
        ids = import_event_ids(fmt, [(names[r.reviewer], r.record_id, r.stage, r.decision, r.reason.strip(),
                                      r.decided_at) for r in rows])
        entries = rv.entries()
        logged = set(entries["event_uuid"])
        ft_records = full_text_records(entries)
        sought = (set(eligible_records(rv.records, entries, "full_text")["record_id"])
                  if any(r.stage == "full_text" for r in rows) else None)
        events = []
        notes = _logged_notes(entries)
        notes_added = 0
        for row, event_id in zip(rows, ids):
            if event_id in logged:
                # the decision is logged; a note the file adds or changes since is a note event
                # of its own (a re-import appends it once: its id derives from the row and note)
                note = row.note.strip()
                key = (names[row.reviewer], row.record_id, row.stage)
                if note and note not in notes.get(key, ()):
                    try:
                        ev = build_event(rv, entries, reviewer=names[row.reviewer], record_id=row.record_id,
                                         action="note", stage=row.stage, note=note, is_demo=is_demo,
                                         payload={"import": fmt, "file": Path(path).name, "line": row.line},
                                         sought=sought, ft_records=ft_records)
                    except DecisionError as err:     # the record left screening since: say so
                        warnings.append(f"{Path(path).name}:{row.line}: note on record {row.record_id} not "
                                        f"added ({err.message})")
                        continue
                    events.append(replace(ev, event_uuid=note_event_id(event_id, note)))
                    notes.setdefault(key, set()).add(note)
                    notes_added += 1
                continue
            payload: dict[str, Any] = {"import": fmt, "file": Path(path).name, "line": row.line}
            if row.decided_at:
                payload["decided_at"] = row.decided_at
            try:
                ev = build_event(rv, entries, reviewer=names[row.reviewer], record_id=row.record_id,
                                 action=row.decision, stage=row.stage, reason=row.reason,
                                 note=row.note, is_demo=is_demo, payload=payload, sought=sought,
                                 ft_records=ft_records)
            except DecisionError as err:   # same class, located at the CSV line
                raise type(err)(err.message, path=str(path), line=row.line, record=row.record_id,
                                hint=err.hint) from None
            events.append(replace(ev, event_uuid=event_id))
        touched = {ev.record_id for ev in events}
        before = {st: record_outcomes(entries[entries["record_id"].isin(touched)], st)
                  for st in {ev.stage for ev in events}}
        written = rv.open().append(events)
        if written:
            after_entries = rv.entries()
            after_entries = after_entries[after_entries["record_id"].isin(touched)]
            for st, was in before.items():
                now = record_outcomes(after_entries, st)
                reopened = sorted(r for r, o in was.items()
                                  if o.status == "final" and now.get(r) is not None and now[r].status == "conflict")
                changed = sorted(r for r, o in was.items() if o.status == "final" and now.get(r) is not None
                                 and now[r].status == "final" and now[r].decision != o.decision)
                if reopened:
                    # an import can disagree with a decision that had settled a record: the log
                    # is right to reopen it, but the person importing should hear of it now
                    warnings.append(f"{len(reopened)} record(s) settled at {st.replace('_', '/')} are now in "
                                    f"conflict with an imported decision (e.g. {reopened[0]}); an adjudicator "
                                    "settles them (`screening adjudicate`)")
                stuck = sorted(r for r, o in now.items() if no_adjudicator_left(rv.roster, o))
                if stuck:
                    warnings.append(f"{len(stuck)} record(s) at {st.replace('_', '/')} are in conflict with every "
                                    f"adjudicator ({', '.join(rv.roster.adjudicators)}) a party to it (e.g. "
                                    f"{stuck[0]}): another adjudicator will be needed (add one to [screening] "
                                    f"adjudicators in {rv.roster.toml})")
                if changed:
                    # the import is the reviewer's latest decision, so it replaces their earlier one
                    warnings.append(f"{len(changed)} settled record(s) at {st.replace('_', '/')} changed their "
                                    f"decision with this import (e.g. {changed[0]}: {was[changed[0]].decision} -> "
                                    f"{now[changed[0]].decision}); the imported row is the reviewer's latest "
                                    "decision (undo it with `screening decide --undo` if that was not meant)")
    per: dict[str, int] = {}
    for row in rows:
        per[names[row.reviewer]] = per.get(names[row.reviewer], 0) + 1
    return {"format": fmt, "rows": len(rows), "written": written - notes_added,
            "skipped": len(rows) - (written - notes_added), "notes_added": notes_added,
            "per_reviewer": per, "warnings": warnings}


def _logged_notes(entries: pd.DataFrame) -> dict[tuple[str, str, str], set[str]]:
    """(reviewer, record, stage) -> the notes already in the log (on decisions or note events)."""
    out: dict[tuple[str, str, str], set[str]] = {}
    has = entries[entries["note"].astype(str).str.strip() != ""]
    for who, rid, stage, note in zip(has["reviewer"], has["record_id"], has["stage"], has["note"]):
        out.setdefault((str(who), str(rid), str(stage)), set()).add(str(note).strip())
    return out


def _import_reviewers(roster: Roster, rows: list[ImportRow], where: str) -> dict[str, str]:
    """{name in the file: name to record}; every unknown name is reported at once (an export
    with two undeclared collaborators should need one fix, not two runs)."""
    missing = next((r for r in rows if not r.reviewer.strip()), None)
    if missing is not None:
        raise DecisionError("no reviewer for this row", path=where, line=missing.line,
                            hint="pass --reviewer NAME (or add a reviewer column)")
    names, unknown = roster.screeners(r.reviewer for r in rows)
    if unknown:
        first = next(r.line for r in rows if r.reviewer == unknown[0])
        raise roster.unknown_error(unknown, path=where, line=first)
    # every imported row is a decision: someone declared only as an adjudicator may not make one
    # (see Roster.decider), and every such name is reported at once
    barred = list(dict.fromkeys(n for n in names.values() if not roster.is_screener(n)))
    if barred:
        first = next(r.line for r in rows if names[r.reviewer] == barred[0])
        raise roster.not_a_screener_error(barred, path=where, line=first)
    return names


def assign(review: ReviewLike, reviewers: str | list[str], *, fraction: float | None = None,
           seed: int | None = None, stage: str = "title_abstract", is_demo: bool = False,
           replan: bool = False) -> dict[str, Any]:
    """Store a dual-screening plan: which records need two independent decisions.

    ``fraction`` / ``seed``: None takes the review's ``[screening] dual_fraction`` / ``seed``
    (defaults 1.0 and 1), so the plan the protocol declares is the one applied. Records that
    already have a plan at ``stage``, or a screener's decision, keep it: after a search update,
    running ``assign`` again plans the new records (a calibration sample stays that share of
    them) instead of drawing a new sample over everything or reopening settled records.
    ``replan`` plans every candidate afresh (another pair of reviewers for all, say); the
    latest plan of a record wins.
    """
    check_stage(stage)
    with _writing(review) as rv:
        s = rv.config.screening
        fraction = s.dual_fraction if fraction is None else fraction
        seed = s.seed if seed is None else seed
        # a plan names who must decide: someone declared only as an adjudicator may not
        names = tuple(rv.roster.decider(n) for n in parse_reviewers(reviewers))
        names = parse_reviewers(names)         # 'Alice,alice' is one person once resolved
        entries = rv.entries()
        candidates = list(eligible_records(rv.records, entries, stage)["record_id"])
        at_full_text = 0
        if stage == "title_abstract":
            # a new plan must not reopen records whose full-text assessment rests on their
            # settled include (a second screener would make them pending again), --replan or not
            assessed = full_text_records(entries)
            at_full_text = sum(c in assessed for c in candidates)
            candidates = [c for c in candidates if c not in assessed]
        # without --replan, a record an earlier plan covered keeps it, and one a screener has
        # already decided is not reopened (a second screener would make a final decision pending)
        decided = set(standing_decisions(entries, stage))
        planned = set() if replan else considered_records(entries, stage) | decided
        kept = sum(c in planned for c in candidates)
        candidates = [c for c in candidates if c not in planned]
        events = plan_events(candidates, names, stage=stage, fraction=fraction, seed=seed, is_demo=is_demo)
        written = rv.open().append(events)
        dual = [e.record_id for e in events if e.payload.get("reviewers")]
        # --replan may put a record someone has decided under a plan that needs others too: a
        # settled record becomes pending again; say how many
        touched = decided.intersection(dual)           # empty without --replan
        after = record_outcomes(rv.entries().loc[lambda e: e["record_id"].isin(touched)], stage) if touched else {}
        reopened = sum(1 for o in after.values() if o.status != "final")
    return {"stage": stage, "reviewers": list(names), "candidates": len(candidates),
            "already_planned": kept, "assigned": len(dual), "written": written, "fraction": fraction,
            "seed": seed, "record_ids": dual, "reopened": reopened, "at_full_text": at_full_text}


def list_conflicts(review: ReviewLike, *, stage: str = "title_abstract", reviewer: str | None = None,
                   as_adjudicator: bool = False) -> pd.DataFrame:
    """Open conflicts ``reviewer`` may see (long form: record_id, reviewer, decision, reason, note);
    nobody's without a name unless ``as_adjudicator``."""
    rv = _loaded(review)
    check_stage(stage)
    df = conflicts(visible_entries(rv.entries(), rv.viewer(reviewer, as_adjudicator)), stage)
    # a record that left screening (a later duplicate, a rule exclusion) has nothing to settle,
    # as `status` counts it; its decisions stay in the log and come back if it does
    play = set(rv.records.loc[in_play(rv.records), "record_id"].astype(str))
    df = df[df["record_id"].isin(play)].reset_index(drop=True)
    titles, at = rv.records["title"], rv._by_id      # only the conflicting records' titles
    df.insert(1, "title", [str(titles.iat[at[r]]) if r in at else "" for r in df["record_id"]])
    return df


def adjudicate(review: ReviewLike, *, reviewer: str, record_id: str, decision: str,
               stage: str = "title_abstract", reason: str = "", note: str = "",
               is_demo: bool = False) -> DecisionResult:
    """Record an adjudicator's final decision on a record whose screeners disagree.

    Only a declared adjudicator may adjudicate (anyone, if the review declares none), and never
    one of the screeners whose decisions make the conflict."""
    check_stage(stage)
    if decision not in ("include", "exclude", "not_retrieved"):
        raise DecisionError(f"an adjudication must be include or exclude, not {decision!r}", record=record_id,
                            hint="pass --include or --exclude")
    record_id = str(record_id)
    with _writing(review) as rv:
        reviewer = rv.roster.adjudicator(reviewer, record=record_id)   # before saying anything of the record
        entries = rv.entries()
        rv.record(record_id)
        mine = entries[entries["record_id"] == record_id]
        outcome = record_outcomes(mine, stage).get(record_id)
        if outcome is None or outcome.status != "conflict":
            state = "it has no decisions yet" if outcome is None else f"it is {outcome.phrase}"
            # the usual slip: the conflict is at the other stage and --stage was left out
            elsewhere = [st for st in STAGES if st != stage
                         and getattr(record_outcomes(mine, st).get(record_id), "status", "") == "conflict"]
            hint = (f"the record has an open conflict at {elsewhere[0]}: pass --stage {elsewhere[0]}" if elsewhere
                    else f"`screening conflicts REVIEW --stage {stage}` lists the records that need adjudication")
            raise DecisionError(f"record has no open conflict at {stage} ({state})", record=record_id, hint=hint)
        rv.roster.check_not_party(reviewer, [s.reviewer for s in outcome.screeners], record=record_id)
        ev = build_event(rv, entries, reviewer=reviewer, record_id=record_id, action=decision, stage=stage,
                         reason=reason, note=note, role="adjudicator", is_demo=is_demo)
        written = rv.open().append([ev]) == 1
        after = _record_events(rv, record_id)
    return DecisionResult(ev, written, record_outcomes(after, stage).get(record_id))


def conflicts_to_adjudicate(review: ReviewLike, *, reviewer: str,
                            stage: str = "title_abstract") -> tuple[pd.DataFrame, list[str]]:
    """The open conflicts ``reviewer`` may settle (as :func:`list_conflicts`, unblinded) and the
    ids of those they took part in, left to another adjudicator. Refuses a reviewer who may
    not adjudicate before showing anything."""
    rv = _loaded(review)
    check_stage(stage)
    name = rv.roster.adjudicator(reviewer)
    df = list_conflicts(rv, stage=stage, reviewer=name, as_adjudicator=True)
    own = [rid for rid, g in df.groupby("record_id", sort=False) if Roster.is_party(name, g["reviewer"])]
    return df[~df["record_id"].isin(own)].reset_index(drop=True), own


def agreement(review: ReviewLike, *, reviewer: str | None = None,
              as_adjudicator: bool = False) -> list[PairAgreement]:
    """Agreement per stage and reviewer pair, over the decisions ``reviewer`` may see."""
    rv = _loaded(review)
    return agreement_report(visible_entries(rv.entries(), rv.viewer(reviewer, as_adjudicator)))


def status(review: ReviewLike, *, reviewer: str | None = None,
           as_adjudicator: bool = False) -> list[dict[str, Any]]:
    """Per stage progress, redacted for ``reviewer`` (see docs/screening.md, Blinding).

    ``excluded_by_stopping``: after ``[rank] stopped = true``, the title/abstract records nobody
    screened (PRISMA's "excluded by automation tools"; 0 otherwise).
    ``conflicts_scope`` says what ``conflicts_open`` counts: ``all`` (adjudicators), ``own``
    (a reviewer: conflicts on records they decided) or ``hidden`` (no viewer: ``None``, since
    blinding hides every decision and a 0 would be false)."""
    rv = _loaded(review)
    viewer = rv.viewer(reviewer, as_adjudicator)
    entries = rv.entries()
    visible = visible_entries(entries, viewer) if viewer.name and not viewer.adjudicator else None
    from screening.prisma.api import review_stopped

    stopped = review_stopped(rv.config)
    out = []
    for stage in STAGES:
        full = stage_progress(entries, rv.records, stage)
        # after a stop the records nobody screened are excluded by the rule, as PRISMA and the
        # export count them; the rest of 'remaining' is still being settled
        full["excluded_by_stopping"] = full["total"] - full["started"] if stopped and stage == "title_abstract" else 0
        if viewer.adjudicator:
            out.append({**full, "conflicts_scope": "all"})
            continue
        seen = stage_progress(visible, rv.records, stage) if visible is not None else None
        per = {name: ({"decided": d["decided"]} if name != viewer.name else d)
               for name, d in full["per_reviewer"].items()}
        out.append({**{k: full[k] for k in ("stage", "total", "screened", "remaining", "started", "reports_attached",
                                            "excluded_by_stopping")},
                    "conflicts_open": None if seen is None else seen["conflicts_open"],
                    "conflicts_scope": "hidden" if seen is None else "own",
                    "pending": None, "final": None, "per_reviewer": per,
                    # who adjudicated how much is no hint of how anyone screened
                    "per_adjudicator": {n: {"decided": d["decided"]} for n, d in full["per_adjudicator"].items()}})
    return out


def history(review: ReviewLike, *, reviewer: str | None = None, as_adjudicator: bool = False,
            record_id: str | None = None) -> pd.DataFrame:
    """The log as ``reviewer`` may see it (an adjudicator: everything), optionally for one record."""
    rv = _loaded(review)
    viewer = rv.viewer(reviewer, as_adjudicator)
    df = visible_entries(rv.entries(), viewer)
    if record_id:
        rv.record(record_id)
        df = df[df["record_id"] == str(record_id)]
    return df.reset_index(drop=True)


__all__ = [
    "Review", "DecisionResult", "record_decision", "import_decisions", "assign", "list_conflicts",
    "conflicts_to_adjudicate", "adjudicate", "agreement", "status", "history", "DECISIONS",
]
