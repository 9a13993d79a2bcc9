"""``screening decide | assign | conflicts | adjudicate``: recording decisions from a script or
the command line, planning dual screening, and settling conflicts.

Rendering only: every command calls one function of :mod:`screening.decisions.api` and prints
its result; blinding is enforced in the library, so these print only what the viewer may see.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from screening.cli._app import (
    REVIEW_ARG, STAGE_HELP, adjudicator_option, cells, command, console, json_option, print_json, reviewer_option, warn,
)
from screening.cli._interactive import EOF_KEY, _ask_key, _cbreak, _read_line, _record_summary
from screening.decisions import api
from screening.errors import DecisionError
from screening.normalize import clip


@command("decide")
def decide_cmd(
    review: str = REVIEW_ARG,
    reviewer: str = typer.Option("", "--reviewer", "-r", help="Who decides (a CSV 'reviewer' column overrides it)."),
    record: str = typer.Option("", "--record", help="The record_id to decide on."),
    include: bool = typer.Option(False, "--include", help="Include the record."),
    exclude: bool = typer.Option(False, "--exclude", help="Exclude the record (full text: --reason required)."),
    maybe: bool = typer.Option(False, "--maybe", help="Undecided: needs another look (never final)."),
    not_retrieved: bool = typer.Option(False, "--not-retrieved", help="Full text: the report could not be obtained."),
    undo: bool = typer.Option(False, "--undo", help="Cancel your latest standing decision on the record."),
    attach: str = typer.Option("", "--attach", help="Full text: attach a PDF path or URL to the record."),
    same_study_as: str = typer.Option("", "--same-study-as", help="Full text: the record is another report of the study record ID reports (PRISMA counts studies and reports)."),
    separate_study: bool = typer.Option(False, "--separate-study", help="Full text: end the record's --same-study-as link."),
    reason: str = typer.Option("", "--reason", help="Exclusion reason (one of the review's [screening] reasons)."),
    note: str = typer.Option("", "--note", help="A free-text note (alone: records a note event)."),
    stage: str = typer.Option("title_abstract", "--stage", help=STAGE_HELP),
    from_csv: Optional[Path] = typer.Option(None, "--from", help="Bulk import a decisions CSV (ours, Rayyan or ASReview LAB export)."),
    demo: bool = typer.Option(False, "--demo", help="Mark the events as demonstration data."),
    new_log: bool = typer.Option(False, "--new-log", help="Alone: start a new, empty decision log where the review's is missing (deleted or moved, with no backup left). Commands refuse to start one by themselves when the review's outputs show it had a log: restore that from a backup if you can."),
) -> None:
    """Record a decision from a script, or import many from a CSV (all-or-nothing)."""
    if new_log:
        if from_csv is not None or record or include or exclude or maybe or not_retrieved or undo or attach \
                or same_study_as or separate_study or note:
            raise DecisionError("give --new-log alone", hint="start the log, then record decisions as usual")
        path = api.start_new_log(review)
        console.print(f"started a new, empty decision log: {path}")
        return
    if from_csv is not None:
        res = api.import_decisions(review, from_csv, reviewer=reviewer, stage=stage, is_demo=demo)
        console.print(_import_summary(res))
        warn(res["warnings"])
        return
    chosen = [a for a, on in (("include", include), ("exclude", exclude), ("maybe", maybe),
                              ("not_retrieved", not_retrieved), ("undo", undo),
                              ("attach_report", bool(attach)),
                              ("link_study", bool(same_study_as) or separate_study)) if on]
    if not chosen and note:
        chosen = ["note"]
    if len(chosen) != 1:
        raise DecisionError("give exactly one of --include, --exclude, --maybe, --not-retrieved, --undo, --attach, "
                            "--same-study-as, --separate-study (or --note alone)",
                            hint="or --from FILE.csv for a bulk import")
    if same_study_as and separate_study:
        raise DecisionError("give --same-study-as or --separate-study, not both")
    if same_study_as and not same_study_as.strip():
        raise DecisionError("--same-study-as needs a record id", hint="--separate-study ends a link")
    if not record or not reviewer:
        raise DecisionError("--record and --reviewer are required", hint="e.g. --reviewer alice --record 12 --include")
    res = api.record_decision(review, reviewer=reviewer, record_id=record, action=chosen[0], stage=stage,
                              reason=reason, note=note, is_demo=demo, report=attach,
                              study=same_study_as.strip() if chosen[0] == "link_study" else None)
    who = res.event.reviewer
    state = f"record is {res.outcome.phrase}" if res.outcome is not None else ""
    if chosen[0] == "link_study":
        study = res.event.payload.get("study", "")
        others = [r for r in res.study if r != res.event.record_id]
        said = (f"record {record} is a report of the study of record {study}" if study
                else f"record {record} is its own study" if not others else f"record {record}'s link is ended")
        if study and len(others) > 1:
            said += f" (the study's other reports: {', '.join(others)})"
        console.print(f"{who}: {said}" + (" (already so: nothing recorded)" if res.repeated else ""))
    elif res.repeated:
        did = _decision_words(res.standing) if res.standing is not None else chosen[0]
        done = "the note is recorded, the decision not repeated" if res.written else "nothing recorded"
        console.print(f"{who}: already decided: {did} on {record} at {stage} — {done}")
    elif chosen[0] == "undo":
        now = (f"{who}'s decision is now {_decision_words(res.standing)}" if res.standing is not None
               else f"{who} now has no decision on {record}")
        console.print(f"{who}: undo on {record} at {stage} — {now}" + (f"; {state}" if state else ""))
    else:
        console.print(f"{who}: {chosen[0].replace('_', ' ')} {record} at {stage}"
                      + (f" ({res.event.reason})" if res.event.reason else "") + (f" — {state}" if state else ""))
    warn(res.warnings)


# why rows were not written: (result key, said with a count, said of every row of the file)
_LEFT = (("skipped", "already in the log from an earlier import, skipped",
          "already in the log from an earlier import"),
         ("unchanged", "as the log already has them", "already in the log"),
         ("stopped", "row{s} closed by the stopping rule left as they are",
          "of records closed by the stopping rule, left as they are"))


def _import_summary(res: dict[str, Any]) -> str:
    """One line: what the import wrote, then what it left and why. An import that wrote no
    decision says so first ('imported 200 decisions (… 0 new …)' read as if it had)."""
    rows, fmt = res["rows"], res["format"]
    left = [(n, some.format(s="" if n == 1 else "s"), every) for key, some, every in _LEFT if (n := res.get(key, 0))]
    added = "".join(f"; {n} {what}{'' if n == 1 else 's'}{tail}" for n, what, tail in (
        (res.get("notes_added", 0), "new note", " on skipped rows added"), (res.get("links_added", 0), "study link", ""))
        if n)
    if res["written"]:
        # the headline and the per-reviewer counts are what was written (acceptance testing: a
        # file of 173 rows adding 3 read 'imported 173 decisions ... bob 173')
        said = "".join(f", {n} {some}" for n, some, _ in left)
        n = res["written"]
        of = f" of {rows} rows" if rows != n else ""
        return (f"imported {n} decision{'' if n == 1 else 's'} ({fmt} format, {n} new{of}{said}{added}): "
                + ", ".join(f"{k} {v}" for k, v in sorted(res["per_reviewer"].items())))
    if len(left) == 1 and left[0][0] == rows:
        said = f"{'the one row is' if rows == 1 else f'all {rows} rows are'} {left[0][2]}"
    else:
        said = ", ".join(f"{n} {some}" for n, some, _ in left)
    return f"0 decisions written ({fmt} format): {said}{added}"


def _decision_words(s: Any) -> str:
    """A standing decision in words: 'exclude (wrong population)'."""
    return s.decision.replace("_", " ") + (f" ({s.reason})" if s.reason else "")


@command("assign")
def assign_cmd(
    review: str = REVIEW_ARG,
    reviewers: Optional[str] = typer.Option(None, "--reviewers", help="Comma-separated reviewers who each decide every assigned record."),
    fraction: Optional[float] = typer.Option(None, "--fraction", help="Share of records to dual-screen (1 = all; e.g. 0.2 for calibration; default: the review's [screening] dual_fraction, else 1)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the random sample (same seed, same records; default: [screening] seed, else 1)."),
    stage: str = typer.Option("title_abstract", "--stage", help=STAGE_HELP),
    replan: bool = typer.Option(False, "--replan", help="Plan every record afresh, including those already planned or decided, which may reopen settled decisions (default: only records with neither; records already at full text are never replanned at title/abstract)."),
    replace: Optional[str] = typer.Option(None, "--replace", help="A reviewer who left: hand the planned records still waiting for their decision to --by (nothing decided or settled changes)."),
    by: Optional[str] = typer.Option(None, "--by", help="With --replace: the declared reviewer who takes those records over."),
) -> None:
    """Set which records need two independent decisions (stored as 'assign' events), or hand a
    departed reviewer's undecided records to another reviewer (--replace NAME --by NAME)."""
    if replace is not None or by is not None:
        _replace(review, replace, by, stage, reviewers=reviewers, fraction=fraction, seed=seed, replan=replan)
        return
    if not reviewers:
        raise DecisionError("give --reviewers A,B (who dual-screen), or --replace NAME --by NAME (hand a departed "
                            "reviewer's undecided records to someone else)",
                            hint="e.g. screening assign REVIEW --reviewers alice,bob")
    res = api.assign(review, reviewers, fraction=fraction, seed=seed, stage=stage, replan=replan)
    if not res["candidates"]:
        # a re-run after everything is planned: say plainly that nothing needed assigning
        # (not "0 of 0 records assigned")
        kept, ft = res["already_planned"], res["at_full_text"]
        are = f"{'are' if kept != 1 else 'is'} already planned or decided"
        if kept and not ft:
            why = (f"all {kept} records at {res['stage']} {are}" if kept != 1
                   else f"the one record at {res['stage']} {are}")
        elif kept or ft:
            why = "; ".join(x for x in (f"{kept} record{'s' if kept != 1 else ''} at {res['stage']} {are}" if kept
                                        else "", f"{ft} already at full text" if ft else "") if x)
        else:
            why = f"there are no records to screen at {res['stage']}"
        console.print(f"nothing to assign: {why}" + (" (--replan to plan them again)" if kept else ""))
        return
    kept = (f"; {res['already_planned']} already planned or decided, kept (--replan to plan them again)"
            if res["already_planned"] else "")
    if res["at_full_text"]:
        kept += f"; {res['at_full_text']} already at full text, left as they are"
    console.print(f"{res['assigned']} of {res['candidates']} records at {res['stage']} assigned to "
                  f"{' and '.join(res['reviewers'])} (fraction {res['fraction']}, seed {res['seed']}; "
                  f"{res['written']} new events{kept})")
    if res["reopened"]:
        warn([_reopened_words(res["reopened_by"], res["reviewers"])])


def _replace(review: str, replace: Optional[str], by: Optional[str], stage: str, **others: Any) -> None:
    """`assign --replace NAME --by NAME`: renders :func:`replace_reviewer` (which checks the names)."""
    # `is`, not `in (None, False)`: 0 == False, so --seed 0 or --fraction 0 read as not given
    given = [f"--{k}" for k, v in others.items() if v is not None and v is not False]
    if given:
        raise DecisionError(f"--replace changes who decides the records already planned; it does not take "
                            f"{', '.join(given)}", hint="run `screening assign` with --reviewers separately to plan "
                                                         "other records")
    res = api.replace_reviewer(review, replace, by, stage=stage)
    who, new = res["reviewer"], res["by"]
    n = res["handed"]
    if n:
        line = (f"{n} record{'s' if n != 1 else ''} at {stage} waiting for {who} handed to {new} "
                f"({res['written']} new plan events)")
    else:
        line = f"no record at {stage} is waiting for {who}: nothing handed to {new}"
    kept = [f"{k} record{'s' if k != 1 else ''} {what}" for k, what in (
        (res["decided"], f"{who} decided"), (res["settled"], "already settled"),
        (res["closed"], "closed by the standing stop"),
        (res["out_of_play"], f"no longer in screening at {stage}")) if k]
    console.print(line + (f"; left as they are: {', '.join(kept)}" if kept else ""))
    if res["left"]:
        k = len(res["left"])
        warn([f"{k} record{'s' if k != 1 else ''} planned for both {who} and {new} still wait{'' if k != 1 else 's'} "
              f"for {who} ({', '.join(res['left'][:10])}{', ...' if k > 10 else ''}): hand "
              f"{'them' if k != 1 else 'it'} to someone else (--replace {who!r} --by NAME)"])


_SETTLED_BY = {"single": "by one reviewer's decision", "agreement": "by two or more reviewers agreeing"}


def _reopened_words(by: dict[str, int], reviewers: list[str]) -> str:
    """'180 records settled by two or more reviewers agreeing are pending again: …' (a part per way
    they had been settled)."""
    n = sum(by.values())
    parts = [f"{k} {_SETTLED_BY.get(how, f'by {how}')}" for how, k in sorted(by.items(), key=lambda kv: -kv[1])]
    said = parts[0].split(" ", 1)[1] if len(parts) == 1 else f"({', '.join(parts)})"
    return (f"{n} record{'s' if n != 1 else ''} already settled {said} {'are' if n != 1 else 'is'} pending again: "
            f"the new plan needs {' and '.join(reviewers)} to decide {'them' if n != 1 else 'it'}")


def _conflict_table(df: Any, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("record", "title", "reviewer", "decision", "reason", "note"):
        # ids are what a reviewer copies into the next command: fold them, never cut them
        table.add_column(col, overflow="fold" if col == "record" else "ellipsis")
    for rid, group in df.groupby("record_id", sort=False):
        first = True
        for row in group.itertuples(index=False):
            # a record without a title reads as one, as in `screen` (a blank cell looked like a fault)
            title = clip(str(row.title or "").strip() or "(no title)", 60)
            table.add_row(*cells(rid if first else "", title if first else "", row.reviewer,
                                  row.decision, row.reason, row.note))
            first = False
        # notes by people with no decision in the conflict: the adjudicator reads them too
        for other in group["other_notes"].iloc[0] if "other_notes" in group else ():
            table.add_row(*cells("", "", other["reviewer"], "(note)", "", other["note"]))
    return table


@command("conflicts")
def conflicts_cmd(
    review: str = REVIEW_ARG,
    stage: str = typer.Option("title_abstract", "--stage", help=STAGE_HELP),
    reviewer: Optional[str] = reviewer_option("View as this reviewer (sees conflicts on records they decided)."),
    as_adjudicator: bool = adjudicator_option("See every conflict (adjudicators are not blinded)."),
    as_json: bool = json_option("Print JSON lines (one per record and reviewer) for scripts."),
) -> None:
    """List records whose independent decisions disagree (maybe disagrees with everything)."""
    df = api.list_conflicts(review, stage=stage, reviewer=reviewer, as_adjudicator=as_adjudicator)
    warn(api.missing_log_warnings(review))      # on stderr: the JSON on stdout stays whole
    if as_json:
        print_json(df.to_dict(orient="records"))
        return
    n = df["record_id"].nunique()
    if n == 0:
        hint = "" if (reviewer or as_adjudicator) else " visible (pass --reviewer NAME; an adjudicator sees all)"
        console.print(f"no open conflicts{hint} at {stage}")
        return
    console.print(_conflict_table(df, f"{n} open conflict{'' if n == 1 else 's'} at {stage}"))


@command("adjudicate")
def adjudicate_cmd(
    review: str = REVIEW_ARG,
    reviewer: str = typer.Option(..., "--reviewer", "-r", help="The adjudicator's name (one of [screening] adjudicators, if the review names any)."),
    record: str = typer.Option("", "--record", help="Decide this record now (scripted); omit to walk all conflicts."),
    include: bool = typer.Option(False, "--include", help="Final decision: include."),
    exclude: bool = typer.Option(False, "--exclude", help="Final decision: exclude."),
    not_retrieved: bool = typer.Option(False, "--not-retrieved", help="Full text: final decision: the report could not be obtained."),
    reason: str = typer.Option("", "--reason", help="Exclusion reason (required at full text)."),
    note: str = typer.Option("", "--note", help="Why this was decided."),
    stage: str = typer.Option("title_abstract", "--stage", help=STAGE_HELP),
) -> None:
    """Resolve conflicts: the adjudicator's decision is final (recorded with role 'adjudicator').

    Nobody adjudicates a conflict they took part in; the walk leaves those out. Adjudicating an
    adjudicated record again (--record) corrects it: the latest adjudication stands.
    """
    if record:
        chosen = [a for a, on in (("include", include), ("exclude", exclude), ("not_retrieved", not_retrieved)) if on]
        if len(chosen) != 1:
            raise DecisionError("give exactly one of --include, --exclude or (full text) --not-retrieved", record=record)
        res = api.adjudicate(review, reviewer=reviewer, record_id=record, decision=chosen[0],
                             stage=stage, reason=reason, note=note)
        why = f" ({res.event.reason})" if res.event.reason else ""
        did = res.event.action.replace("_", " ")
        if res.repeated:    # the standing adjudication (``event`` is the note event when its new note was kept)
            why = f" ({res.outcome.reason})" if res.outcome.reason else ""
            done = "the note is recorded, the adjudication not repeated" if res.written else "nothing recorded"
            console.print(f"{res.event.reviewer} (adjudicator): already adjudicated: "
                          f"{res.outcome.decision.replace('_', ' ')}{why} on {record} at {stage} — {done}")
        elif res.corrects is not None:
            console.print(f"{res.event.reviewer} (adjudicator): {did} {record}{why} — final, correcting "
                          f"{res.corrects.reviewer}'s adjudication ({_decision_words(res.corrects)}, "
                          f"{res.corrects.created_at[:10]}), which stays in the log")
        else:
            console.print(f"{res.event.reviewer} (adjudicator): {did} {record}{why} — final")
        return
    rv = api.Review.load(review)       # loaded once for the whole walk
    try:
        df, own = api.conflicts_to_adjudicate(rv, reviewer=reviewer, stage=stage)
        if own:
            console.print(f"leaving out {len(own)} conflict{'s' if len(own) != 1 else ''} you took part in "
                          f"({', '.join(own[:10])}{', ...' if len(own) > 10 else ''}): another adjudicator must settle "
                          + ("it" if len(own) == 1 else "them"))
        if df.empty:
            other = next((st for st in ("title_abstract", "full_text") if st != stage), "")
            waiting = not api.conflicts_to_adjudicate(rv, reviewer=reviewer, stage=other)[0].empty if other else False
            console.print(f"no open conflicts at {stage}" + (" for you to adjudicate" if own else "")
                          + (f"; there are at {other}: pass --stage {other}" if waiting else ""))
            return
        reasons = rv.reasons(stage)
        required = stage == "full_text"
        with _cbreak():   # single keys on a terminal, as in `screen`; plain lines from a pipe
            for rid, group in df.groupby("record_id", sort=False):
                console.print(_record_summary(rv.record(str(rid))))   # what the adjudicator decides on
                console.print(_conflict_table(group, f"record {rid}"))
                decision, why, said = _ask_adjudication(reasons, required, full_text=stage == "full_text")
                if decision in ("quit", "skip"):
                    # a note explains an adjudication: with none made there is nothing to attach it to
                    unsaid = " (its note was not recorded)" if said else ""
                    if decision == "quit":
                        if said:
                            console.print(f"{rid} not adjudicated{unsaid}")
                        break
                    console.print(f"skipped {rid}{unsaid}")
                    continue
                try:
                    res = api.adjudicate(rv, reviewer=reviewer, record_id=str(rid), decision=decision, stage=stage,
                                         reason=why, note=said, open_only=True)
                except DecisionError as err:     # settled by another adjudicator meanwhile: say so, go on
                    console.print(f"{rid}: {err.message}")
                    continue
                console.print(f"{res.event.action.replace('_', ' ')} {rid} — final" + (" (with a note)" if said else ""))
    finally:
        rv.close()     # the walk kept the decision log open between adjudications


ESC = "\x1b"


def _ask_adjudication(reasons: list[str], required: bool, full_text: bool = False) -> tuple[str, str, str]:
    """('include' | 'exclude' | 'not_retrieved' | 'skip' | 'quit', reason, note) from the keys of
    the walk (``r``, report not retrieved, at full text only, as in `screen`): an unknown key asks
    again (it used to count as skip, and on the last conflict end the walk); Esc at the reason
    list goes back to the decision, as in `screen`. ``n`` asks for a line of note (why the
    adjudicator decided so; a new ``n`` replaces it, an empty line drops it), recorded with the
    decision that follows."""
    keys = "i, e, r, n, s, q" if full_text else "i, e, n, s, q"
    note = ""
    while True:
        prompt = (("[i]nclude / [e]xclude / not [r]etrieved / " if full_text else "[i]nclude / [e]xclude / ")
                  + ("[n]ote (kept) / " if note else "[n]ote / ") + "[s]kip / [q]uit: ")
        key = _ask_key(prompt)
        if key in ("q", EOF_KEY, "s", "\n", "\r", ""):
            return ("quit" if key in ("q", EOF_KEY) else "skip"), "", note
        if key == "i":
            return "include", "", note
        if key == "r" and full_text:
            return "not_retrieved", "", note
        if key == "n":
            try:
                note = _read_line("note: ").strip()
            except KeyboardInterrupt:                   # Ctrl-C in the prompt cancels the prompt, as in `screen`
                console.print()
            except EOFError:
                console.print("\nend of input")
                return "quit", "", note
            continue
        if key != "e":
            console.print(f"{key!r} is not one of {keys}")
            continue
        for i, r in enumerate(reasons, 1):
            console.print(f"  {i} {r}")
        while True:
            try:
                pick = _read_line("reason number" + (": " if required else " (Enter for none)")
                                  + ", Esc to go back: ").strip()
            except EOFError:                            # nothing more will come: end the walk
                console.print("\nend of input")
                return "quit", "", note
            if pick.startswith(ESC):
                break                                   # back to i / e / n / s / q for this record
            if pick and not (pick.isdigit() and 1 <= int(pick) <= len(reasons)):
                console.print(f"{pick!r} is not a reason number (1-{len(reasons)})")
                continue
            if pick or not required:
                return "exclude", reasons[int(pick) - 1] if pick else "", note
            console.print("a reason is required for full-text exclusions")
