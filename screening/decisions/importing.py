"""The decision import command: rows read from a CSV, validated and appended in one transaction.

Why apart from :mod:`.imports`: that module knows the files (native, Rayyan and ASReview LAB
formats; matching rows to records is :mod:`.record_matching`, each row's idempotent event id
:mod:`.import_ids`); this one knows the review (who may decide, which records are open, see
:func:`.recording.build_event`) and warns of what an import did to records that were already
settled.
"""

from __future__ import annotations

import hashlib

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from screening.decisions.origins import first_decisions, prior_records
from screening.decisions.entries import entries_from_rows, event_payload, full_text_records, standing_decisions
from screening.decisions.import_csv import MAX_BAD_ROWS, refuse_bad_rows
from screening.decisions.import_ids import import_event_ids, link_event_id, note_event_id, restated_event_id
from screening.decisions.event_checks import standing_adjudications
from screening.decisions.imports import ImportRow, read_decisions_csv
from screening.decisions.outcomes import record_outcomes, reopened_into_conflict
from screening.decisions.progress import eligible_records
from screening.decisions.reasons import same_reason
from screening.decisions.recording import (
    build_event, closed_by_flag, closed_by_stop, link_replaced, logged_notes, no_adjudicator_left,
)
from screening.decisions.review import Review, ReviewLike, check_stage, open_for_writing
from screening.decisions.roster import Roster
from screening.decisions.stops import flag_stopped
from screening.decisions.store import DECISION_ACTIONS, STAGES, Event
from screening.decisions.studies import ACTION, current_links, study_links, study_of, visible_links
from screening.decisions.visibility import Viewer
from screening.errors import DecisionError
from screening.record_marks import in_play, marks


def import_decisions(review: ReviewLike, path: str | Path, *, reviewer: str = "",
                     stage: str = "title_abstract", is_demo: bool = False) -> dict[str, Any]:
    """Import a decisions CSV in one transaction (nothing is written if any row is invalid).

    Idempotent: rows already logged by an earlier import of the same format (same reviewer,
    record, stage, decision, reason and file timestamp; see :mod:`.import_ids`) are skipped, not
    appended again, and not re-validated (the review may have moved on since). Returns format,
    rows (in the file), written (new decision events), skipped (already in the log),
    unchanged (our export's rows the log already has), stopped (our export's rows of records
    the stopping rule closed, as exported), notes_added (notes a re-imported row adds to its
    logged decision), links_added (study links from a ``same_study_as`` column not already
    standing as the reviewer's own), per_reviewer, warnings (how the file was read, e.g. a
    cp1252 fallback).
    """
    check_stage(stage)
    with open_for_writing(review) as rv:
        # the rows that cannot be read are listed with those that cannot be recorded: one run
        # shows every fix
        bad: list[DecisionError] = []
        fmt, rows, warnings = read_decisions_csv(path, rv.records, reviewer=reviewer, stage=stage, stages=STAGES,
                                                 check_reviewers=partial(_reviewer_errors, rv.roster, str(path)),
                                                 bad_rows=bad)
        # the file's name may be a temporary one; its digest says which file it was, for audit
        source = {"import": fmt, "file": Path(path).name, "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()}
        names = _import_reviewers(rv.roster, rows, str(path))
        ids = import_event_ids(fmt, [(names[r.reviewer], r.record_id, r.stage, r.decision, r.reason.strip(),
                                      r.decided_at) for r in rows])
        entries = rv.entries()
        logged = set(entries["event_uuid"])
        ft_records = full_text_records(entries)
        adjudicated = standing_adjudications(entries)
        sought = (set(eligible_records(rv.records, entries, "full_text")["record_id"])
                  if any(r.stage == "full_text" for r in rows) else None)
        events = []
        notes = logged_notes(entries)
        notes_added = skipped = stopped = 0
        same = _as_logged(entries, rows, names) if fmt == "export" else set()
        links: list[tuple[ImportRow, str]] = []     # (row, its decision's event id)
        said = _Said(entries, rows, names)
        restated: list[tuple[str, str, str]] = []    # (record, standing decision, the file's)
        kept_here: list[tuple[str, str, str]] = []   # (record, the file's, the decision made here since)
        for n, (row, event_id) in enumerate(zip(rows, ids)):
            if row.stopped:
                # the stop's exclusion as our export shows it: the log has it (as the stop), and
                # writing it back would make it the reviewer's own decision, which they never made
                stopped += 1
                continue
            if row.study:
                links.append((row, event_id))
            if n in same:
                continue
            if event_id in logged and said.last(n, row) and (was := said.differs(row)):
                decision, identity, imported = was
                if imported:
                    # logged by an earlier import, changed since by another (acceptance testing:
                    # weekly exports excluded, included, excluded again left the log at include):
                    # the file's word, as the tool they screen in says it now
                    event_id = restated_event_id(event_id, identity)
                    if event_id not in logged:
                        restated.append((row.record_id, decision, row.decision))
                else:
                    # changed here since (a session, `decide`): the tool's export is older news
                    kept_here.append((row.record_id, row.decision, decision))
            if event_id in logged:
                skipped += 1
                # the decision is logged; a note the file adds or changes since is a note event
                # of its own (a re-import appends it once: its id derives from the row and note)
                note = row.note.strip()
                key = (names[row.reviewer], row.record_id, row.stage)
                if note and note not in notes.get(key, ()):
                    try:
                        ev = build_event(rv, entries, reviewer=names[row.reviewer], record_id=row.record_id,
                                         action="note", stage=row.stage, note=note, is_demo=is_demo,
                                         payload={**source, "line": row.line},
                                         sought=sought, ft_records=ft_records)
                    except DecisionError as err:     # the record left screening since: say so
                        warnings.append(f"{Path(path).name}:{row.line}: note on record {row.record_id} not "
                                        f"added ({err.message})")
                        continue
                    events.append(replace(ev, event_uuid=note_event_id(event_id, note)))
                    notes.setdefault(key, set()).add(note)
                    notes_added += 1
                continue
            payload: dict[str, Any] = {**source, "line": row.line}
            if row.decided_at:
                payload["decided_at"] = row.decided_at
            if row.sampled:
                payload["sampled"] = True       # the stopping test's random sample (origins.py)
            try:
                ev = build_event(rv, entries, reviewer=names[row.reviewer], record_id=row.record_id,
                                 action=row.decision, stage=row.stage, reason=row.reason,
                                 note=row.note, is_demo=is_demo, payload=payload, sought=sought,
                                 ft_records=ft_records, adjudicated=adjudicated)
            except DecisionError as err:   # same class, located at the CSV line; every bad row listed
                bad.append(type(err)(err.message, path=str(path), line=row.line, record=row.record_id,
                                     hint=err.hint))
                if len(bad) >= MAX_BAD_ROWS:
                    break
                continue
            events.append(replace(ev, event_uuid=event_id))
            said.write(row, event_id)
        refuse_bad_rows(sorted(bad, key=lambda e: e.line or 0), str(path))
        if restated:
            rid, was, now = restated[0]
            warnings.append(f"{len(restated)} row(s) state a decision an earlier import logged, which a later "
                            f"import had changed (e.g. {rid}: {was} -> {now}): written as the reviewer's latest "
                            "decision")
        if kept_here:
            rid, theirs, here = kept_here[0]
            warnings.append(f"{len(kept_here)} row(s) repeat an imported decision the reviewer has changed here "
                            f"since (e.g. {rid}: {theirs} in the file, {here} here): the decision made here stands")
        linked, said = _link_events(rv, entries, links, names, source, events, path, is_demo)
        events += linked
        warnings += said + _sample_warnings(rv, entries, events) + _stop_warnings(rv, entries, events)
        touched = {ev.record_id for ev in events}
        before = {st: record_outcomes(entries[entries["record_id"].isin(touched)], st)
                  for st in {ev.stage for ev in events}}
        written = rv.open().append(events)
        if written:
            after_entries = rv.entries()
            after_entries = after_entries[after_entries["record_id"].isin(touched)]
            for st, was in before.items():
                now = record_outcomes(after_entries, st)
                reopened = sorted(r for r, o in was.items() if reopened_into_conflict(o, now.get(r)))
                changed = sorted(r for r, o in was.items() if o.status == "final" and now.get(r) is not None
                                 and now[r].status == "final" and now[r].decision != o.decision)
                if reopened:
                    # an import can disagree with a decision that had settled a record: the log
                    # is right to reopen it, but the person importing should hear of it now
                    warnings.append(f"{len(reopened)} record(s) settled at {_STAGE_WORDS[st]} are now in "
                                    f"conflict with an imported decision (e.g. {reopened[0]}); an adjudicator "
                                    "settles them (`screening adjudicate`)")
                stuck = sorted(r for r, o in now.items() if no_adjudicator_left(rv.roster, o))
                if stuck:
                    warnings.append(f"{len(stuck)} record(s) at {_STAGE_WORDS[st]} are in conflict with every "
                                    f"adjudicator ({', '.join(rv.roster.adjudicators)}) a party to it (e.g. "
                                    f"{stuck[0]}): another adjudicator will be needed (add one to [screening] "
                                    f"adjudicators in {rv.roster.toml})")
                if changed:
                    # the import is the reviewer's latest decision, so it replaces their earlier one
                    warnings.append(f"{len(changed)} settled record(s) at {_STAGE_WORDS[st]} changed their "
                                    f"decision with this import (e.g. {changed[0]}: {was[changed[0]].decision} -> "
                                    f"{now[changed[0]].decision}); the imported row is the reviewer's latest "
                                    "decision (undo it with `screening decide --undo` if that was not meant)")
    made = written - notes_added - len(linked)
    per: dict[str, int] = {}        # the decisions written, per reviewer
    for ev in (events if written else ()):
        if ev.action in DECISION_ACTIONS:
            per[ev.reviewer] = per.get(ev.reviewer, 0) + 1
    return {"format": fmt, "rows": len(rows), "written": made, "skipped": skipped, "unchanged": len(same),
            "stopped": stopped, "notes_added": notes_added, "links_added": len(linked), "per_reviewer": per,
            "warnings": warnings}


_STAGE_WORDS = {"title_abstract": "title/abstract", "full_text": "full text"}


class _Said:
    """Each reviewer's standing decision per record and stage as the file's rows leave it (the
    log's, then each row written): what tells a row restating a decision the reviewer changed
    since from a repeat (:func:`.import_ids.restated_event_id`)."""

    def __init__(self, entries: pd.DataFrame, rows: list[ImportRow], names: dict[str, str]) -> None:
        self._names, self._entries = names, entries
        self._standing = {st: standing_decisions(entries, st) for st in {r.stage for r in rows}}
        # (reviewer, record, stage) -> (decision, reason, what identifies it) of the rows written
        self._now: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        # a file's rows on one record are its history (included, excluded, included again):
        # only its last word can restate a decision; the earlier ones, logged, are repeats
        self._last = {self._key(r): n for n, r in enumerate(rows)}

    def _key(self, row: ImportRow) -> tuple[str, str, str]:
        return self._names[row.reviewer], row.record_id, row.stage

    def last(self, n: int, row: ImportRow) -> bool:
        """Whether row ``n`` is the file's last word on its reviewer, record and stage."""
        return self._last[self._key(row)] == n

    def differs(self, row: ImportRow) -> tuple[str, str, bool] | None:
        """(standing decision, what identifies it, whether an import made it) when one stands
        (the file's earlier rows included) and the row says otherwise; None when the row
        repeats it or none stands (undone)."""
        key = self._key(row)
        if key in self._now:
            decision, reason, identity = self._now[key]
            event_id = None                     # a row of this file: an import
        else:
            own = self._standing[row.stage].get(row.record_id, {}).get((key[0], "screener"))
            if own is None:
                return None
            decision, reason, identity, event_id = own.decision, own.reason, f"log:{own.event_id}", own.event_id
        if decision == row.decision and same_reason(reason, row.reason):
            return None
        return decision, identity, event_id is None or self._imported(int(event_id))

    def _imported(self, event_id: int) -> bool:
        """Whether the logged event ``event_id`` came from an import (read only for a row that
        differs from the standing decision)."""
        payload = self._entries.loc[self._entries["id"] == event_id, "payload"]
        return bool(event_payload(str(payload.iloc[0] or "") if len(payload) else "").get("import"))

    def write(self, row: ImportRow, event_id: str) -> None:
        self._now[self._key(row)] = (row.decision, row.reason, f"file:{event_id}")


def _stop_warnings(rv: Review, entries: pd.DataFrame, events: list[Event]) -> list[str]:
    """What `decide` says of a decision on a record the standing stop closed
    (:func:`.recording.closed_by_stop`), or the older ``[rank] stopped = true`` (every record in
    play nobody had decided, ``entries`` being the log before the import), once for the includes
    (the stopping rule missed a relevant record) and once for the rest, with how many more
    records it concerns."""
    stop = rv.stop_scope()          # read once, not per row
    if stop is not None:
        scope, said = stop.records, (lambda ev: closed_by_stop(stop, ev)[0])
    elif flag_stopped(rv.config):
        play = set(marks(rv.records.loc[in_play(rv.records), "record_id"]))
        scope, said = play - set(marks(entries["record_id"])), (lambda ev: closed_by_flag(ev)[0])
    else:
        return []
    closed = [ev for ev in events if ev.stage == "title_abstract" and ev.action in DECISION_ACTIONS
              and ev.record_id in scope]
    out = []
    for group in ([ev for ev in closed if ev.action == "include"], [ev for ev in closed if ev.action != "include"]):
        if group:
            more = len(group) - 1
            out.append(said(group[0])
                       + (f" (and {more} more record{'s' if more != 1 else ''} the stop closed)" if more else ""))
    return out


def _sample_warnings(rv: Review, entries: pd.DataFrame, events: list[Event]) -> list[str]:
    """Rows marked ``sampled`` the stopping test will not read as sampled: a record someone had
    decided before (it was not unscreened when the sample was drawn) or a prior record (the team
    knew it before screening). Said, since the file claims otherwise."""
    marked = [ev for ev in events if ev.stage == "title_abstract" and ev.payload.get("sampled") is True]
    if not marked:
        return []
    first = first_decisions(entries[entries["record_id"].isin({ev.record_id for ev in marked})])
    priors = prior_records(rv.config)
    before = sorted({ev.record_id for ev in marked if ev.record_id in first and not first[ev.record_id].sampled})
    known = sorted({ev.record_id for ev in marked if ev.record_id in priors})
    out = []
    if before:
        out.append(f"{len(before)} row(s) marked sampled are on records decided before, outside the random sample "
                   f"(e.g. {before[0]}): the stopping test does not count them as sampled")
    if known:
        out.append(f"{len(known)} row(s) marked sampled are prior records of the rank section (e.g. {known[0]}): "
                   "priors are never part of the random sample")
    return out


def _as_logged(entries: pd.DataFrame, rows: list[ImportRow], names: dict[str, str]) -> set[int]:
    """Rows of our own export (indices) whose decision the log already has: the record's outcome
    at the row's stage, or the importer's own standing decision, with the same reason.

    An export's decision column is the record's *outcome* (settled by whoever settled it), not
    the importer's decision: writing it back as theirs would record decisions they never made,
    or turn their include into the adjudicated exclude and erase the disagreement kappa counts.
    So only a changed row (an edit in the file) is a decision; the rest adds only its link."""
    out = set()
    for stage in {r.stage for r in rows}:
        standing = standing_decisions(entries, stage)
        outcomes = record_outcomes(entries, stage, standing)
        for n, row in enumerate(rows):
            if row.stage != stage:
                continue
            outcome = outcomes.get(row.record_id)
            own = standing.get(row.record_id, {}).get((names[row.reviewer], "screener"))
            # the same reason as people read it: the export shows it as counted (declared spelling)
            if (outcome is not None and outcome.status == "final" and outcome.decision == row.decision
                    and same_reason(outcome.reason, row.reason)) \
                    or (own is not None and own.decision == row.decision and same_reason(own.reason, row.reason)):
                out.add(n)
    return out


def _link_events(rv: Review, entries: pd.DataFrame, links: list[tuple[ImportRow, str]],
                 names: dict[str, str], source: dict[str, Any], events: list[Event], path: str | Path,
                 is_demo: bool) -> tuple[list[Event], list[str]]:
    """The ``link_study`` events of rows with a ``same_study_as``, and warnings. Checked against
    the log as it will be once the file's decisions are in (a title/abstract exclusion in the
    same file takes a record out of full text).

    Which links are written:
    - a row whose decision this import writes: its link, even one that already holds, so the
      link is recorded with the row's import id and a later re-import of the file cannot bring
      it back over a link the reviewer has made since;
    - any other row (imported before, or unchanged in our own export): its link only if that
      id is not logged, the two records are not one study already by the links the reviewer
      may see, and the reviewer has no link of their own on the record: an import adds links
      but does not change the reviewer's (``decide --same-study-as`` does), so an older file
      never undoes a newer link.
    """
    if not links:
        return [], []
    logged = set(entries["event_uuid"])
    written = {ev.event_uuid for ev in events}
    start = int(entries["id"].max()) if len(entries) else 0
    after = pd.concat([entries, entries_from_rows((start + i, *ev.row()) for i, ev in enumerate(events, 1))],
                      ignore_index=True)
    sought = set(eligible_records(rv.records, after, "full_text")["record_id"].astype(str))
    ft_records = full_text_records(after)
    seen = {who: visible_links(after, Viewer(who)) for who in {names[r.reviewer] for r, _ in links}}
    standing = {who: study_links(s) for who, s in seen.items()}     # grows with this file's links
    own = {who: set(s.loc[(s["action"] == ACTION) & (s["reviewer"] == who), "record_id"]) for who, s in seen.items()}
    out: list[Event] = []
    said: list[str] = []
    replaced: list[str] = []
    kept_own: list[str] = []
    done: set[tuple[str, str, str]] = set()
    for row, decision_id in links:
        who, event_id = names[row.reviewer], link_event_id(decision_id, row.study)
        if event_id in logged or (who, row.record_id, row.study) in done:
            continue                                    # a row repeated in the file links once
        fresh = decision_id in written
        if not fresh:
            group = study_of(current_links(standing[who], rv.records, sought), (row.record_id, row.study))
            if group[row.record_id] == group[row.study]:
                continue
            if row.record_id in own[who]:
                kept_own.append(f"{row.record_id} (file: {row.study}, yours: "
                                f"{standing[who].get(row.record_id) or 'its own study'})")
                continue
        try:
            ev = build_event(rv, after, reviewer=who, record_id=row.record_id, action=ACTION,
                             stage=row.stage, is_demo=is_demo,
                             payload={**source, "line": row.line, "study": row.study},
                             sought=sought, ft_records=ft_records)
        except DecisionError as err:
            if not fresh:       # a row imported before whose record has left full text since: said
                said.append(f"{Path(path).name}:{row.line}: link of record {row.record_id} not added ({err.message})")
                continue
            raise type(err)(err.message, path=str(path), line=row.line, record=row.record_id,
                            hint=err.hint) from None
        ev = replace(ev, event_uuid=event_id)
        replaced += link_replaced(seen[who][seen[who]["record_id"] == row.record_id], ev)
        out.append(ev)
        done.add((who, row.record_id, row.study))
        standing[who][row.record_id] = row.study
        own[who].add(row.record_id)
    if kept_own:
        said.append(f"{len(kept_own)} link(s) in the file differ from links you made and were not applied: "
                    f"{'; '.join(kept_own[:3])}{' …' if len(kept_own) > 3 else ''} (an import adds links; "
                    "change one with `screening decide --same-study-as` or `--separate-study`)")
    if replaced:
        said.append(f"{len(replaced)} imported link(s) replace a colleague's link, which no longer counts "
                    f"(the latest link stands): {replaced[0]}" + (" …" if len(replaced) > 1 else ""))
    return out, said


def _reviewer_errors(roster: Roster, where: str, named: dict[str, int]) -> list[DecisionError]:
    """The errors for the reviewer names a file gives ({name: its first line}): every unknown
    name in one error, every name declared only as an adjudicator in another (see
    Roster.decider), each at the first line naming one of them."""
    names, unknown = roster.screeners(named)
    out: list[DecisionError] = []
    if unknown:
        first = sorted(unknown, key=lambda n: named[n])
        out.append(roster.unknown_error(first, path=where, line=named[first[0]], lines=named))
    barred = list(dict.fromkeys(n for n in names.values() if not roster.is_screener(n)))
    if barred:
        first = min(line for given, line in named.items() if names.get(given) == barred[0])
        out.append(roster.not_a_screener_error(barred, path=where, line=first))
    return out


def _import_reviewers(roster: Roster, rows: list[ImportRow], where: str) -> dict[str, str]:
    """{name in the file: name to record}. Unknown names and names declared only as adjudicators
    were refused while the file was read (:func:`_reviewer_errors`, with the other bad rows)."""
    missing = next((r for r in rows if not r.reviewer.strip()), None)
    if missing is not None:
        raise DecisionError("no reviewer for this row", path=where, line=missing.line,
                            hint="pass --reviewer NAME (or add a reviewer column)")
    names, _ = roster.screeners(r.reviewer for r in rows)
    return names
