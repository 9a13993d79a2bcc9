"""``screening dedup`` and ``screening dedup-review``."""

from __future__ import annotations

import getpass
import shlex
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from screening.cli._app import command, console, printable, shown, styled, warn
from screening.cli._interactive import _read_line
from screening.dedup.bulk import AnswersImport, QueueExport, export_queue, import_answers
from screening.dedup.files import dedup_files
from screening.dedup.queue import MaybePair
from screening.dedup.review import decide_pair
from screening.dedup.review_queue import open_queue


@command("dedup")
def dedup_cmd(
    inputs: list[Path] = typer.Argument(..., help="Export files (any format `ingest` reads), or canonical tables written by `screening ingest` (.csv/.parquet)."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the marked table (.csv or .parquet); every input row is kept."),
    decisions: Optional[Path] = typer.Option(None, "--decisions", help="Folder holding dedup_decisions.sqlite and the review queue (default: OUT's folder)."),
    cochrane_versions: str = typer.Option("duplicate", "--cochrane-versions", help="Versions of one Cochrane review (.pub2/.pub3): duplicate, maybe or distinct."),
    previous: Optional[Path] = typer.Option(None, "--previous", help="Table of an earlier, already deduplicated search: new records are linked to it."),
) -> None:
    """Mark duplicate records: adds duplicate_of, dup_group, dup_score, dup_rule, found_in.

    Nothing is deleted. Uncertain pairs are queued for `screening dedup-review`; decisions
    stored there are reused on the next run.
    """
    run = dedup_files(list(inputs), output, folder=decisions, cochrane_versions=cochrane_versions,
                      previous=previous)
    warn(run.warnings)
    counts, details = run.outcome.counts, run.outcome.details
    console.print(styled((str(len(run.outcome.table)), "bold"), " records, ", (str(counts["groups"]), "bold"),
                         " duplicate groups, ", (str(counts["duplicates"]), "bold"), " duplicates marked, ",
                         (str(counts["unique"]), "bold"), " unique; ", (str(counts["maybe_pairs"]), "bold"),
                         " maybe-pairs queued"
                         + _applied(run.decisions_used, counts["decisions_set_aside"])))
    table = Table(title="Per source (PRISMA-S)", title_justify="left")
    for col in ("source", "records", "duplicates marked", "unique studies found"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for src, n in details["records_per_source_before"].items():
        table.add_row(src, str(n), str(details["duplicates_per_source"][src]),
                      str(details["unique_per_source_after"][src]))
    console.print(table)
    if details["duplicates_per_rule"]:
        console.print("linked by: " + ", ".join(f"{k} {v}" for k, v in details["duplicates_per_rule"].items()))
    console.print(f"wrote {run.output}" + (f" and {run.queue} (the maybe-pairs queue)" if run.queue else ""))
    if counts["maybe_pairs"]:
        console.print(f"review the maybe-pairs with: screening dedup-review {run.queue.parent}")


def _applied(stored: int, set_aside: int) -> str:
    if not stored:
        return ""
    if not set_aside:
        return f", {stored} stored decisions applied"
    # said here too, not only in the warning above: these decisions are in the log but not in OUT
    return f", {stored - set_aside} of {stored} stored decisions applied ({set_aside} contradict others: see the warning)"


def _pair_title(p: MaybePair, implied: str = "") -> str:
    if p.conflict:
        hint = f"; the other answers so far make it {'a duplicate' if implied == 'duplicate' else 'distinct'}" \
            if implied else ""
        return (f"decided before, but the decisions contradict each other ({p.conflict}); "
                f"until re-decided they are kept apart. Decide this pair again ({p.reason}{hint})")
    title = f"maybe-pair (score {p.score:.2f}): {p.reason}"
    if p.via:
        title += f" (between {p.via[0]} and {p.via[1]})"
    if p.pairs > 1 or len(p.members_a) > 1 or len(p.members_b) > 1:
        title += "; the answer applies to both groups"
    return title


_ANSWERS = {"d": "d", "duplicate": "d", "n": "n", "no": "n", "not": "n", "distinct": "n", "s": "s", "skip": "s",
            "": "s", "q": "q", "quit": "q"}


def _answer(question: str) -> str:
    """d, n, s or q. Anything else is asked again: reading only the first letter stored
    "don't know" as a duplicate answer, which merges two records on the next run."""
    while True:
        try:
            typed = _read_line(f"{question} [s]: ").strip().lower()
        except EOFError:     # piped answers ran out: the session ends as on q, not as interrupted
            console.print("(end of input)")
            return "q"
        if typed in _ANSWERS:
            return _ANSWERS[typed]
        console.print(f"  {typed!r} is not an answer here: type d, n, s or q")


def _pair_table(rows: list[tuple[str, str, str, bool]], title: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("field", style="bold")
    table.add_column("record A", overflow="fold")
    table.add_column("record B", overflow="fold")
    for name, va, vb, differs in rows:
        style = "yellow" if differs else ""
        # each value capped (a 5 MB abstract took half a minute to draw) and without controls: shown()
        table.add_row(printable(name), Text(shown(va, name), style=style), Text(shown(vb, name), style=style))
    return table


@command("dedup-review")
def dedup_review_cmd(
    target: str = typer.Argument(..., help="A review (TOML path or name) or a folder holding dedup results."),
    reviewer: str = typer.Option("", "--reviewer", "-r", help="Your name, stored with each decision (default: login name)."),
    pair: Optional[tuple[str, str]] = typer.Option(None, "--pair", help="Decide one pair without prompting: --pair ID_A ID_B."),
    duplicate: bool = typer.Option(False, "--duplicate", help="With --pair: the two records are the same publication."),
    distinct: bool = typer.Option(False, "--distinct", help="With --pair: the two records are different publications."),
    reopen: bool = typer.Option(False, "--reopen", help="With --pair: withdraw the pair's decision, or the one decision that joins or separates the two records' groups (the matcher decides again; a maybe-pair is queued again)."),
    force: bool = typer.Option(False, "--force", help="With --pair ... --duplicate (or --from): store it even though the two records evidently differ (titles, DOIs, years), e.g. a conference abstract and its later article under another title. With --from, also store answers that replace a colleague's answer given after the file was exported."),
    export: Optional[Path] = typer.Option(None, "--export", help="Write the undecided maybe-pairs to a CSV (side by side, an empty answer column) to triage in a spreadsheet."),
    include_decided: bool = typer.Option(False, "--include-decided", help="With --export: also the pairs answered since the last run, their answer filled in."),
    from_csv: Optional[Path] = typer.Option(None, "--from", help="Store the answers of a pairs CSV (id_a, id_b, answer: duplicate or distinct, blank to skip); all or nothing."),
) -> None:
    """Decide maybe-pairs side by side: d = duplicate, n = not a duplicate, s = skip, q = quit.

    Decisions are appended to dedup_decisions.sqlite (who, when) and override the matcher on
    the next `screening dedup` / `screening run`. Nothing is overwritten: a later decision on
    the same pair wins, and --reopen withdraws one. For many pairs: --export FILE, answer them
    in a spreadsheet, then --from FILE.
    """
    who = reviewer or getpass.getuser()
    modes = [name for name, on in (("--pair", pair is not None), ("--export", export is not None),
                                   ("--from", from_csv is not None)) if on]
    if len(modes) > 1:
        raise typer.BadParameter(f"give one of {' and '.join(modes)}")
    if include_decided and export is None:
        raise typer.BadParameter("--include-decided goes with --export")
    if export is not None:
        if force:
            raise typer.BadParameter("--force goes with --pair ID_A ID_B --duplicate or with --from")
        _exported(export_queue(target, export, reviewer=who, include_decided=include_decided), target)
        return
    if from_csv is not None:
        _imported(import_answers(target, from_csv, who, force=force))
        return
    if pair is not None:
        chosen = [name for name, on in (("duplicate", duplicate), ("distinct", distinct), ("reopen", reopen)) if on]
        if len(chosen) != 1:
            raise typer.BadParameter("give exactly one of --duplicate, --distinct or --reopen with --pair")
        if force and not duplicate:
            raise typer.BadParameter("--force goes with --duplicate: a --distinct or --reopen answer is never refused")
        done = decide_pair(target, pair[0], pair[1], chosen[0], who, force=force)
        warn(done.warnings)
        if {done.id_a, done.id_b} == set(pair):
            despite = f", despite: {printable('; '.join(done.despite))}" if done.despite else ""
            console.print(f"stored: {pair[0]} / {pair[1]} = {chosen[0]} ({who}) in {done.folder}{despite}")
        else:
            console.print(f"stored: {done.id_a} / {done.id_b} = {chosen[0]} ({who}) in {done.folder}: the decision "
                          f"standing between the groups of {pair[0]} and {pair[1]}")
        return
    if force:
        raise typer.BadParameter("--force goes with --pair ID_A ID_B --duplicate or with --from")
    queue = open_queue(target, reviewer=who)
    pending = queue.pending
    if not pending:
        applied = "" if not queue.pairs else f"; `{queue.apply_command}` applies the decisions"
        console.print(f"no maybe-pairs waiting ({len(queue.pairs)} queued, all decided{applied})")
        return
    stored = 0
    for k, p in enumerate(pending, start=1):
        if not queue.progress.is_open(p):    # an earlier answer of this session settles it
            continue
        console.print(_pair_table(queue.view(p), _pair_title(p, queue.progress.implied(p, contested=True))))
        answer = _answer(f"[{k}/{len(pending)}] d = duplicate, n = not, s = skip, q = quit")
        if answer == "q":
            break
        if answer in ("d", "n"):
            # force: the person has just seen both records side by side (only a typed pair is checked)
            done = decide_pair(queue.folder, p.id_a, p.id_b, "duplicate" if answer == "d" else "distinct",
                               queue.reviewer, queue=queue, force=True)
            warn(done.warnings)
            stored += 1
    settled, waiting = queue.tally(pending)
    follows = f" ({settled} more pair(s) follow from your answers, nothing stored for them)" if settled else ""
    left = f"; {waiting} pair(s) still waiting" if waiting else ""
    console.print(f"stored {stored} decision(s) in {queue.folder}{follows}{left}; `{queue.apply_command}` applies them")


def _exported(done: QueueExport, target: str) -> None:
    decided = f" and {done.decided:,} decided since the last run" if done.decided else ""
    console.print(f"wrote {done.pending:,} undecided maybe-pair(s){decided} to {done.path}")
    if done.reasons:
        table = Table(title="Undecided pairs per reason", title_justify="left")
        table.add_column("pairs", justify="right")
        table.add_column("reason")
        for reason, n in done.reasons:
            table.add_row(f"{n:,}", printable(reason))
        console.print(table)
        console.print(f"fill the answer column (duplicate or distinct; blank skips a pair), then: "
                      f"screening dedup-review {shlex.quote(target)} --from {shlex.quote(str(done.path))} -r NAME")


def _imported(done: AnswersImport) -> None:
    warn(done.warnings)
    n = sum(done.stored.values())
    left = [f"{k:,} {what}" for k, what in ((done.already, "already decided so (not stored again)"),
                                          (done.skipped, "blank (skipped)"),
                                          (done.repeated, "repeating an earlier row")) if k]
    waiting = f"{done.waiting:,} pair(s) still waiting" if done.waiting else "no pair waiting"
    if not n:
        console.print(f"nothing new to store from {done.path}" + (f": {', '.join(left)}" if left else "")
                      + f"; {waiting}")
        return
    kinds = ", ".join(f"{v:,} {k}" for k, v in sorted(done.stored.items()))
    also = [f"{done.changed:,} replacing an earlier, other answer on the pair" if done.changed else "",
            f"{done.forced:,} despite evident differences (--force)" if done.forced else ""]
    said = "; ".join(x for x in also if x)
    console.print(f"stored {n:,} decision(s) ({kinds}{'; ' + said if said else ''}) by {done.reviewer} from "
                  f"{done.path} in {done.folder}" + (f"; {', '.join(left)}" if left else ""))
    console.print(f"{waiting}; `{done.apply_command}` applies them")
