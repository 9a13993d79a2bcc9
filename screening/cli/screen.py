"""``screening screen | decide | assign | conflicts | adjudicate | agreement | status | log``.

Rendering only: every command calls one function of :mod:`screening.decisions.api` (or
drives :class:`~screening.decisions.session.ScreeningSession`) and prints its result.
Blinding is enforced in the library: these commands print only what the viewer may see.
"""

from __future__ import annotations

import json
import math
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import typer
from rich.table import Table
from rich.text import Text

from screening.cli._app import command, console, printable, styled, warn
from screening.decisions import api
from screening.decisions.session import REASON_KEYS
from screening.decisions.views import event_payload
from screening.errors import DecisionError
from screening.records import as_text

REVIEW_ARG = typer.Argument(..., help="Review TOML (e.g. pipelines/demo.toml) or review name.")
STAGE_HELP = "Screening stage: title_abstract or full_text."


def _cells(*values: Any) -> list[str]:
    """Table cells as strings (the consoles print them literally: no markup; record text
    without bidirectional-text controls)."""
    return [printable(v) for v in values]


def _fmt(x: float, digits: int = 3) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _print_json(rows: list[dict[str, Any]]) -> None:
    """JSON lines on stdout (plain print: no wrapping, no markup; NaN becomes null)."""
    for row in rows:
        print(json.dumps(_nan_to_none(row), default=lambda v: v.item() if hasattr(v, "item") else str(v)))


def _nan_to_none(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, (dict, list)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# screen: the interactive session


@contextmanager
def _cbreak() -> Iterator[None]:
    """Single-key input on a TTY; plain line input otherwise (pipes, some CI)."""
    if not sys.stdin.isatty():
        yield
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def _read_key() -> str:
    if sys.stdin.isatty():
        ch = sys.stdin.read(1)
        return ch
    line = sys.stdin.readline()
    if line == "":
        return "q"
    line = line.rstrip("\n")
    return line[:1] if line else "\n"


def _read_line(prompt: str) -> str:
    console.print(prompt, end="")
    console.file.flush()
    if sys.stdin.isatty():
        import termios

        fd = sys.stdin.fileno()
        old = termios.tcgetattr(fd)
        new = termios.tcgetattr(fd)
        new[3] |= termios.ICANON | termios.ECHO
        termios.tcsetattr(fd, termios.TCSADRAIN, new)
        try:
            return sys.stdin.readline().rstrip("\n")
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, old)
    return sys.stdin.readline().rstrip("\n")


def _highlight(text: str, terms: list[str]) -> Text:
    out = Text(text)
    for term in terms:
        if term.strip():
            out.highlight_regex(re.compile(re.escape(term.strip()), re.IGNORECASE), "bold black on yellow")
    return out


def _render(view: Any) -> None:
    console.rule(styled((view.stage, "bold"), f" · {view.reviewer}" + (f" · only {view.subset}" if view.subset else "")
                        + (" · random sample (stopping test)" if view.sample else "")))
    done = view.decided
    total = max(view.total, 1)
    width = 30
    filled = int(width * min(done, total) / total)
    line = f"[{'#' * filled}{'.' * (width - filled)}] {done} decided · {view.remaining} left in your queue · {view.total} in this stage"
    if view.stopping:
        st = view.stopping
        if "estimated_recall" in st or "recommendation" in st:
            est = f"estimated recall {st.get('estimated_recall', '?')} (bound {st.get('recall_bound', '?')})"
            est += f" — {st['recommendation']}" if st.get("recommendation") else ""
        else:
            est = ", ".join(f"{k}={v}" for k, v in st.items() if not isinstance(v, (dict, list)))
        line += f" · stopping rule: {est}"
    console.print(line)
    if view.message:
        console.print(f"» {view.message}")
    if view.state == "done" or view.record is None:
        return
    rec = view.record
    terms = list(rec.get("rule_terms") or [])
    title = printable(rec.get("title", "") or "(no title)")
    console.print(Text(f"record {rec['record_id']}", style="dim"))
    console.print(_highlight(title, terms), style="bold")
    meta = (_byline(rec, 6), as_text(rec.get("year")), as_text(rec.get("journal")))
    console.print(Text(printable(" · ".join(x for x in meta if x)), style="italic"))
    abstract = printable(rec.get("abstract", "") or "(no abstract)")
    console.print(_highlight(abstract, terms))
    if len(abstract) > 1200:       # a long abstract scrolls the title away: say again what this is
        console.print(Text(f"— {rec['record_id']}: {title[:100]}", style="dim"))
    if view.state == "reason":
        console.print("Reason for exclusion" + (" (required):" if view.reason_required else " (Enter for none):"))
        for key, r in zip(REASON_KEYS, view.reasons):
            console.print(f"  {key} {r}")
        console.print("  Esc cancel")
    else:
        console.print("  ".join(f"[{k}] {v}" for k, v in view.keys.items()))




@command("screen")
def screen_cmd(
    review: str = REVIEW_ARG,
    reviewer: str = typer.Option(..., "--reviewer", "-r", help="Your name, as recorded in the log."),
    stage: str = typer.Option("title_abstract", "--stage", help=STAGE_HELP),
    demo: bool = typer.Option(False, "--demo", help="Mark the decisions as demonstration data."),
    only: Optional[str] = typer.Option(None, "--only", help="Limit the queue to a subset: no-abstract."),
    sample: bool = typer.Option(False, "--sample", help="Screen the unscreened records in a random order, "
                                "as the sample of the hypergeometric stopping test (docs/ranking.md)."),
) -> None:
    """Screen records one at a time with single keys (i/e/m/s/u/n/q; full text also r/a).

    Resumes where you left off; never shows other reviewers' decisions. `--only no-abstract`
    screens just the records without an abstract (the ranker places them late). `--sample`
    screens a random sample of what is left, when the stopping status says to switch; the
    status line then shows the estimated recall and its bound.
    """
    from screening.decisions.session import ScreeningSession, stopping_hook

    rv = api.Review.load(review)
    api.check_stage(stage)
    with console.status("opening the session…"):
        session = ScreeningSession(rv, reviewer, stage, is_demo=demo, stopping=stopping_hook(rv), only=only,
                                   sample=sample)
    try:
        with _cbreak():
            while True:
                view = session.view()
                _render(view)
                if view.state == "done":
                    console.print("session ended" + (" — nothing left to screen" if view.remaining == 0 else ""))
                    break
                if view.state in ("note", "attach"):
                    prompt = "note: " if view.state == "note" else "report path or URL: "
                    session.submit_text(_read_line(prompt))
                    continue
                console.file.flush()
                session.press(_read_key())
    finally:
        rv.close()


# ---------------------------------------------------------------------------------------------
# decide / assign


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
    reason: str = typer.Option("", "--reason", help="Exclusion reason (one of the review's [screening] reasons)."),
    note: str = typer.Option("", "--note", help="A free-text note (alone: records a note event)."),
    stage: str = typer.Option("title_abstract", "--stage", help=STAGE_HELP),
    from_csv: Optional[Path] = typer.Option(None, "--from", help="Bulk import a decisions CSV (ours, Rayyan or ASReview LAB export)."),
    demo: bool = typer.Option(False, "--demo", help="Mark the events as demonstration data."),
) -> None:
    """Record a decision from a script, or import many from a CSV (all-or-nothing)."""
    if from_csv is not None:
        res = api.import_decisions(review, from_csv, reviewer=reviewer, stage=stage, is_demo=demo)
        skipped = f", {res['skipped']} already in the log from an earlier import, skipped" if res["skipped"] else ""
        if res.get("notes_added"):
            n = res["notes_added"]
            skipped += f"; {n} new note{'' if n == 1 else 's'} on those added"
        console.print(f"imported {res['rows']} decisions ({res['format']} format, {res['written']} new{skipped}): "
                      + ", ".join(f"{k} {v}" for k, v in sorted(res["per_reviewer"].items())))
        warn(res["warnings"])
        return
    chosen = [a for a, on in (("include", include), ("exclude", exclude), ("maybe", maybe),
                              ("not_retrieved", not_retrieved), ("undo", undo),
                              ("attach_report", bool(attach))) if on]
    if not chosen and note:
        chosen = ["note"]
    if len(chosen) != 1:
        raise DecisionError("give exactly one of --include, --exclude, --maybe, --not-retrieved, --undo, --attach (or --note alone)",
                            hint="or --from FILE.csv for a bulk import")
    if not record or not reviewer:
        raise DecisionError("--record and --reviewer are required", hint="e.g. --reviewer alice --record 12 --include")
    res = api.record_decision(review, reviewer=reviewer, record_id=record, action=chosen[0], stage=stage,
                              reason=reason, note=note, is_demo=demo, report=attach)
    who = res.event.reviewer
    state = f"record is {res.outcome.phrase}" if res.outcome is not None else ""
    if res.repeated:
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


def _decision_words(s: Any) -> str:
    """A standing decision in words: 'exclude (wrong population)'."""
    return s.decision.replace("_", " ") + (f" ({s.reason})" if s.reason else "")


@command("assign")
def assign_cmd(
    review: str = REVIEW_ARG,
    reviewers: str = typer.Option(..., "--reviewers", help="Comma-separated reviewers who each decide every assigned record."),
    fraction: Optional[float] = typer.Option(None, "--fraction", help="Share of records to dual-screen (1 = all; e.g. 0.2 for calibration; default: the review's [screening] dual_fraction, else 1)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the random sample (same seed, same records; default: [screening] seed, else 1)."),
    stage: str = typer.Option("title_abstract", "--stage", help=STAGE_HELP),
    replan: bool = typer.Option(False, "--replan", help="Plan every record afresh, including those already planned or decided, which may reopen settled decisions (default: only records with neither; records already at full text are never replanned at title/abstract)."),
) -> None:
    """Set which records need two independent decisions (stored as 'assign' events)."""
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
        n = res["reopened"]
        warn([f"{n} record{'s' if n != 1 else ''} already settled by one decision {'are' if n != 1 else 'is'} "
              f"pending again: the new plan needs {' and '.join(res['reviewers'])} to decide "
              f"{'them' if n != 1 else 'it'}"])


# ---------------------------------------------------------------------------------------------
# conflicts / adjudicate


def _conflict_table(df: Any, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("record", "title", "reviewer", "decision", "reason", "note"):
        # ids are what a reviewer copies into the next command: fold them, never cut them
        table.add_column(col, overflow="fold" if col == "record" else "ellipsis")
    for rid, group in df.groupby("record_id", sort=False):
        first = True
        for row in group.itertuples(index=False):
            table.add_row(*_cells(rid if first else "", row.title[:60] if first else "", row.reviewer,
                                  row.decision, row.reason, row.note))
            first = False
        # notes by people with no decision in the conflict: the adjudicator reads them too
        for other in group["other_notes"].iloc[0] if "other_notes" in group else ():
            table.add_row(*_cells("", "", other["reviewer"], "(note)", "", other["note"]))
    return table


@command("conflicts")
def conflicts_cmd(
    review: str = REVIEW_ARG,
    stage: str = typer.Option("title_abstract", "--stage", help=STAGE_HELP),
    reviewer: Optional[str] = typer.Option(None, "--reviewer", "-r", help="View as this reviewer (sees conflicts on records they decided)."),
    as_adjudicator: bool = typer.Option(False, "--as-adjudicator", help="See every conflict (adjudicators are not blinded)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines (one per record and reviewer) for scripts."),
) -> None:
    """List records whose independent decisions disagree (maybe disagrees with everything)."""
    df = api.list_conflicts(review, stage=stage, reviewer=reviewer, as_adjudicator=as_adjudicator)
    if as_json:
        _print_json(df.to_dict(orient="records"))
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
    reason: str = typer.Option("", "--reason", help="Exclusion reason (required at full text)."),
    note: str = typer.Option("", "--note", help="Why this was decided."),
    stage: str = typer.Option("title_abstract", "--stage", help=STAGE_HELP),
) -> None:
    """Resolve conflicts: the adjudicator's decision is final (recorded with role 'adjudicator').

    Nobody adjudicates a conflict they took part in; the walk leaves those out.
    """
    if record:
        if include == exclude:
            raise DecisionError("give exactly one of --include or --exclude", record=record)
        res = api.adjudicate(review, reviewer=reviewer, record_id=record, decision="include" if include else "exclude",
                             stage=stage, reason=reason, note=note)
        console.print(f"{res.event.reviewer} (adjudicator): {res.event.action} {record} — final")
        return
    rv = api.Review.load(review)       # loaded once for the whole walk
    try:
        df, own = api.conflicts_to_adjudicate(rv, reviewer=reviewer, stage=stage)
        if own:
            console.print(f"leaving out {len(own)} conflict{'s' if len(own) != 1 else ''} you took part in "
                          f"({', '.join(own[:10])}{', ...' if len(own) > 10 else ''}): another adjudicator must settle "
                          + ("it" if len(own) == 1 else "them"))
        if df.empty:
            console.print(f"no open conflicts at {stage}" + (" for you to adjudicate" if own else ""))
            return
        reasons = rv.reasons(stage)
        required = stage == "full_text"
        with _cbreak():   # single keys on a terminal, as in `screen`; plain lines from a pipe
            for rid, group in df.groupby("record_id", sort=False):
                console.print(_record_summary(rv.record(str(rid))))   # what the adjudicator decides on
                console.print(_conflict_table(group, f"record {rid}"))
                key = _ask_key("[i]nclude / [e]xclude / [s]kip / [q]uit: ")
                if key == "q":
                    break
                if key not in ("i", "e"):
                    console.print(f"skipped {rid}")
                    continue
                why = ""
                while key == "e":
                    for i, r in enumerate(reasons, 1):
                        console.print(f"  {i} {r}")
                    pick = _read_line("reason number" + (": " if required else " (Enter for none): ")).strip()
                    if pick and not (pick.isdigit() and 1 <= int(pick) <= len(reasons)):
                        console.print(f"{pick!r} is not a reason number (1-{len(reasons)})")
                        continue
                    why = reasons[int(pick) - 1] if pick else ""
                    if why or not required:
                        break
                    console.print("a reason is required for full-text exclusions")
                res = api.adjudicate(rv, reviewer=reviewer, record_id=str(rid),
                                     decision="include" if key == "i" else "exclude", stage=stage, reason=why)
                console.print(f"{res.event.action} {rid} — final")
    finally:
        rv.close()     # the walk kept the decision log open between adjudications


def _byline(rec: dict[str, Any], n: int) -> str:
    """The first ``n`` authors, 'et al.' for the rest."""
    authors = list(rec.get("authors") or [])
    return "; ".join(authors[:n]) + (" et al." if len(authors) > n else "")


def _record_summary(rec: dict[str, Any]) -> Text:
    """Title, authors, year, journal and the start of the abstract: enough to adjudicate on."""
    where = ", ".join(x for x in (_byline(rec, 3), as_text(rec.get("year")), as_text(rec.get("journal"))) if x)
    abstract = printable(rec.get("abstract") or "") or "(no abstract)"
    if len(abstract) > 900:
        abstract = abstract[:900].rsplit(" ", 1)[0] + " …"
    return styled((printable(rec.get("title") or "(no title)"), "bold"), "\n", printable(where), "\n", abstract)


def _ask_key(prompt: str) -> str:
    """One key (lower case) after ``prompt``, echoed so the walk stays readable; Enter = skip."""
    console.print(prompt, end="")
    console.file.flush()
    key = _read_key().lower()
    console.print(key if key.strip() else "s")
    return key


# ---------------------------------------------------------------------------------------------
# agreement / status / log


@command("agreement")
def agreement_cmd(
    review: str = REVIEW_ARG,
    reviewer: Optional[str] = typer.Option(None, "--reviewer", "-r", help="View as this reviewer (only records they decided count)."),
    as_adjudicator: bool = typer.Option(False, "--as-adjudicator", help="Use every decision (adjudicators are not blinded)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per stage and pair, for scripts."),
) -> None:
    """Per stage and reviewer pair: counts, % agreement, Cohen's kappa (95% CI, Fleiss-Cohen-Everitt SE), PABAK."""
    pairs = api.agreement(review, reviewer=reviewer, as_adjudicator=as_adjudicator)
    if as_json:
        _print_json([{"stage": p.stage, "reviewer_a": p.reviewer_a, "reviewer_b": p.reviewer_b,
                      "categories": list(p.categories), "counts": p.counts.to_numpy().tolist(),
                      **p.stats.as_dict()} for p in pairs])
        return
    if not pairs:
        console.print("no records decided by two reviewers" +
                      ("" if (reviewer or as_adjudicator) else " visible (pass --reviewer NAME; an adjudicator sees all)"))
        return
    for p in pairs:
        t = Table(title=f"{p.stage}: {p.reviewer_a} (rows) × {p.reviewer_b} (columns)", title_justify="left")
        t.add_column("")
        for c in p.categories:
            t.add_column(c, justify="right")
        for r in p.categories:
            t.add_row(r, *[str(int(p.counts.loc[r, c])) for c in p.categories])
        console.print(t)
        s = p.stats
        ci = (f"(95% CI {_fmt(s.ci_low)} to {_fmt(s.ci_high)}; SE {_fmt(s.se)})" if s.se == s.se
              else "(no CI: too few records)")
        console.print(f"n={s.n}  agreement={_fmt(s.percent_agreement, 1)}%  kappa={_fmt(s.kappa)} {ci}  "
                      f"PABAK={_fmt(s.pabak)}")


@command("status")
def status_cmd(
    review: str = REVIEW_ARG,
    reviewer: Optional[str] = typer.Option(None, "--reviewer", "-r", help="View as this reviewer (your own counts in full)."),
    as_adjudicator: bool = typer.Option(False, "--as-adjudicator", help="Show decision counts for everyone."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per stage, for scripts."),
) -> None:
    """Where the review stands per stage: screened, remaining, conflicts open, per reviewer."""
    stages = api.status(review, reviewer=reviewer, as_adjudicator=as_adjudicator)
    if as_json:
        _print_json(stages)
        return
    for s in stages:
        if s.get("excluded_by_stopping"):
            left = s["remaining"] - s["excluded_by_stopping"]
            title = (f"{s['stage']}: stopped by the stopping rule — {s['screened']} screened (settled), "
                     f"{s['excluded_by_stopping']} excluded by the rule, {left} still being settled, of {s['total']}")
        else:
            title = f"{s['stage']}: {s['screened']} screened (settled), {s['remaining']} remaining of {s['total']}"
        t = Table(title=title, title_justify="left")
        t.add_column("reviewer")
        cols = ("decided", "include", "exclude", "maybe", "not_retrieved")
        for c in cols:
            t.add_column(c, justify="right")
        for name, d in s["per_reviewer"].items():
            t.add_row(*_cells(name, *[d[c] if c in d else "·" for c in cols]))
        for name, d in s.get("per_adjudicator", {}).items():
            t.add_row(*_cells(f"{name} (adjudicator)", *[d[c] if c in d else "·" for c in cols]))
        console.print(t)
        extra = [_conflicts_line(s)]
        if s.get("pending") is not None:
            extra.append(f"pending: {s['pending']}")
        if s.get("final"):
            extra.append("final: " + ", ".join(f"{k} {v}" for k, v in s["final"].items()))
        if s["stage"] == "full_text":
            extra.append(f"reports attached: {s['reports_attached']}")
        console.print("  ".join(extra))


def _conflicts_line(s: dict[str, Any]) -> str:
    """The conflict count as far as blinding lets this viewer know it (never a false 0)."""
    scope = s.get("conflicts_scope", "all")
    if scope == "hidden":
        return "conflicts open: hidden (an adjudicator sees them with --reviewer NAME; a reviewer sees theirs)"
    if scope == "own":
        return f"conflicts open on your records: {s['conflicts_open']} (others hidden; an adjudicator sees them)"
    return f"conflicts open: {s['conflicts_open']}"


@command("log")
def log_cmd(
    review: str = REVIEW_ARG,
    reviewer: Optional[str] = typer.Option(None, "--reviewer", "-r", help="View as this reviewer (a declared adjudicator sees every event)."),
    record: Optional[str] = typer.Option(None, "--record", help="Only this record's history."),
    as_adjudicator: bool = typer.Option(False, "--as-adjudicator", help="See everyone's events (not blinded)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines (one per event) for scripts."),
) -> None:
    """The decision history, oldest first, as you are allowed to see it."""
    df = api.history(review, reviewer=reviewer, as_adjudicator=as_adjudicator, record_id=record)
    if as_json:
        _print_json(df.to_dict(orient="records"))
        return
    rows = []
    for row in df.itertuples(index=False):
        payload = event_payload(row.payload)
        details = payload.get("report") or ((",".join(payload.get("reviewers", [])) or "single screening")
                                            if row.action == "assign" else "")
        who = row.reviewer + (" (adj.)" if row.role == "adjudicator" else "")
        rows.append({"#": row.id, "time (UTC)": row.created_at[:19], "stage": row.stage, "record": row.record_id,
                     "reviewer": who, "action": row.action + (" [demo]" if row.is_demo else ""),
                     "reason": row.reason, "note": row.note, "details": details})
    # only the columns that say something, so an 80-column terminal can show them: the record
    # column goes for one record's history (it is in the title), empty columns go
    cols = [c for c in ("#", "time (UTC)", "stage", "record", "reviewer", "action", "reason", "note", "details")
            if not (c == "record" and record) and (c in ("#", "time (UTC)", "action") or any(r[c] for r in rows))]
    t = Table(title=f"{len(df)} events" + (f" on record {record}" if record else ""), title_justify="left")
    longest_id = max((len(str(r["record"])) for r in rows), default=6)
    for c in cols:
        t.add_column(c, overflow="fold" if c in ("#", "record") else "ellipsis", no_wrap=c in ("time (UTC)", "record"),
                     min_width=19 if c == "time (UTC)" else min(longest_id, 40) if c == "record" else None)
    for r in rows:
        t.add_row(*_cells(*[r[c] for c in cols]))
    console.print(t)
