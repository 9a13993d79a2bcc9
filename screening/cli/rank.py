"""``screening simulate`` and ``screening rank``: replay a labelled dataset; rank a review's records."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from screening.cli._app import command, console, warn, working
from screening.ml import DEFAULT_SPEC, model_help


@command("simulate")
def simulate_cmd(
    data: Path = typer.Argument(..., help="Labelled CSV/TSV with record_id,title,abstract,label_included (0/1; 'included' and yes/no labels are read too; text columns also under common names such as Title, primary_title, Abstract Note, TI/AB/KW)."),
    prior_included: Optional[list[str]] = typer.Option(None, "--prior-included", help="record_id of a known relevant record (repeatable)."),
    prior_excluded: Optional[list[str]] = typer.Option(None, "--prior-excluded", help="record_id of a known irrelevant record (repeatable)."),
    seed: int = typer.Option(1, "--seed", help="Seed: picks the priors when none are given, breaks ties, drives random sampling."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write ORDER.csv: position,record_id,label[,stop]."),
    model: str = typer.Option(DEFAULT_SPEC, "--model", help=model_help()),
    stop_rule: Optional[str] = typer.Option(None, "--stop-rule", help="Stop rule to evaluate: hypergeometric, hypergeometric-published (no guarantee: for comparison), consecutive-50, consecutive-100, consecutive-5pct, safe."),
    target_recall: Optional[float] = typer.Option(None, "--target-recall", help="Recall the statistical stop rule (hypergeometric) must reach [default: 0.95]."),
    confidence: Optional[float] = typer.Option(None, "--confidence", help="Confidence of the statistical stop rule (hypergeometric) [default: 0.95]."),
    label_column: Optional[str] = typer.Option(None, "--label-column", help="The column holding the answers (default: label_included, included, final_included or label; e.g. label_abstract_included for title/abstract labels)."),
) -> None:
    """Replay DATA as if a reviewer screened it in the ranker's order, answering with its labels."""
    from screening.ml.simulate import simulate_file

    res = simulate_file(str(data), prior_included or (), prior_excluded or (), seed=seed, model=model,
                        stop_rule=stop_rule, target_recall=target_recall, confidence=confidence,
                        output=output, label_column=label_column)
    warn(list(res.warnings))
    m = res.metrics
    table = Table(title=f"simulation of {data.name} (seed {seed}, {len(res.order)} records, "
                        f"{int(m['relevant'])} relevant after the {res.n_priors} prior{'s' if res.n_priors != 1 else ''}; "
                        f"labels from {res.label_column})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    if "wss95" in m:
        rel = int(m["relevant"])
        table.add_row(f"WSS@95 (at {int(m['wss95_at'])} of {rel} relevant: last level ≤ 95%)", f"{m['wss95']:.3f}")
        table.add_row("WSS@100", f"{m['wss100']:.3f}")
        table.add_row("RRF@10 (recall after 10% screened)", f"{m['rrf10']:.3f}")
        table.add_row("ATD (average time to discovery)", f"{m['atd']:.1f}")
        table.add_row(f"records screened to find {int(m['records_to_95_found'])} of {rel} (≥ 95% recall)",
                      f"{int(m['records_to_95'])}")
        table.add_row(f"records screened to find all {rel} (100% recall)", f"{int(m['records_to_100'])}")
        if "loss" in m:
            table.add_row("loss", f"{m['loss']:.3f}")
    for name, stop in res.stops.items():
        if not stop.get("fired"):
            table.add_row(f"stop rule {name}", f"did not fire: all {len(res.order)} records screened")
            _sample_rows(table, name, stop, len(res.order))
            continue
        _sample_rows(table, name, stop, len(res.order))
        table.add_row(f"stop rule {name}: stopped at", f"{stop['position']} of {len(res.order)}")
        table.add_row(f"stop rule {name}: recall, priors counted as found / without them",
                      f"{stop['recall']:.3f} / {stop['recall_without_priors']:.3f}")
        table.add_row(f"stop rule {name}: work saved", f"{stop['work_saved']:.1%}")
        if stop.get("recall_bound") is not None:
            table.add_row(f"stop rule {name}: estimated recall / {stop['confidence']:.0%} bound",
                          f"{stop['estimated_recall']:.3f} / {stop['recall_bound']:.3f}")
    if any(stop.get("sample_size") for stop in res.stops.values()):
        table.caption = ("the figures are for the order screened, the stop rule's random sample included; "
                         "without --stop-rule they are the ranker's own")
    # without a figure (and no stop rule) the table would be a bare header: its title is the line
    console.print(table if table.row_count else table.title, markup=False)
    if res.no_metrics:
        console.print(f"no metrics: {res.no_metrics}", markup=False)
    console.print(f"model {res.model['spec']} ({res.model['model_id']})")
    if output is not None:
        console.print(f"order written to {output}")


def _sample_rows(table: Table, name: str, stop: dict, n: int) -> None:
    """Where a sampling rule switched to its random sample and how big the sample grew (a
    heuristic has no switch: nothing is added). The switch is the position of the record that
    ended the run of irrelevant records; the sample is screened from the next one."""
    if "switch_position" not in stop:
        return
    if stop["switch_position"] is None:
        table.add_row(f"stop rule {name}: switched to random sampling", "never (no run long enough)")
        return
    table.add_row(f"stop rule {name}: switched to random sampling after", f"{stop['switch_position']} of {n}")
    table.add_row(f"stop rule {name}: random sample size (relevant in it)",
                  f"{stop['sample_size']} ({stop['sample_relevant']})")


@command("rank")
def rank_cmd(
    review: str = typer.Argument(..., help="Review TOML (pipelines/NAME.toml or NAME)."),
) -> None:
    """Rank the records in play with the review's rank settings and the decisions logged so far."""
    from screening.ml.review import rank_review

    with working("ranking the records in play"):
        table, report = rank_review(review)
    info = report.details["model"]
    # until decisions of both kinds exist no classifier is trained: say what ordered the records
    how = {"prior-similarity": "by similarity to the included records (no classifier yet: decisions of both "
                               "kinds are needed)",
           "file-order": "in file order (no decisions yet to learn from)"}.get(info.get("mode", ""))
    console.print(f"ranked {report.counts['ranked']} of {report.counts['in_play']} records in play "
                  + (f"{how} (model {info['model_id']})" if how else
                     f"with {info['spec']} (model {info['model_id']}, trained on {info['training_size']} "
                     f"decisions, {info['training_included']} included)"))
    warn(report.warnings)
    st = report.details.get("stopping", {})
    if st.get("recommendation"):
        console.print(f"stopping: {st['recommendation']}")


@command("stop")
def stop_cmd(
    review: str = typer.Argument(..., help="Review TOML (pipelines/NAME.toml or NAME)."),
    reviewer: Optional[str] = typer.Option(None, "--reviewer", "-r", help="Who decides to stop (or resume); required to record."),
    note: str = typer.Option("", "--note", help="Why, in a sentence (kept in the log)."),
    force: bool = typer.Option(False, "--force", help="Stop although the stopping rule's test is not met (the report then says recall is not assured)."),
    resume: bool = typer.Option(False, "--resume", help="Reopen title/abstract screening: ends every standing stop."),
    list_: bool = typer.Option(False, "--list", help="Show the stops and resumes recorded so far."),
) -> None:
    """Record the decision to stop title/abstract screening by the stopping rule (logged, with the records it closes)."""
    from screening.decisions import stops

    if list_:
        _stop_table(stops.stop_history(review))
        return
    if not reviewer:
        raise typer.BadParameter("who stops? pass --reviewer NAME", param_hint="--reviewer")
    if resume:
        res = stops.resume_screening(review, reviewer, note=note)
        console.print(f"screening resumed by {res.event.reviewer}: {res.closed} record(s) closed by the stop "
                      "are open again")
        return
    with working("ranking the records in play and testing the stopping rule"):
        res = stops.stop_screening(review, reviewer, note=note, force=force)
    st = res.status
    est = st.get("estimated_recall")
    figures = (f" (estimated recall {est:.1%}, ≥ {st['recall_bound']:.1%} at {st['confidence']:.0%} confidence; "
               f"p = {st['p_value']:.3g})" if isinstance(est, float) and isinstance(st.get("recall_bound"), float)
               and st.get("p_value") is not None
               else f" (p = {st['p_value']:.3g}; recall: {est})" if st.get("p_value") is not None and est else "")
    console.print(f"title/abstract screening {res.event.stopped_by()}{figures}: {res.closed} record(s) nobody "
                  "screened are closed as excluded by the stopping rule"
                  + (f"; {res.awaiting} awaiting a second reviewer or an adjudicator stay open until settled" if res.awaiting else ""))
    warn(list(res.warnings))


def _stop_table(events: list) -> None:
    if not events:
        console.print("no stop recorded")
        return
    t = Table(title=f"{len(events)} stop event(s)", title_justify="left")
    for c in ("#", "time (UTC)", "reviewer", "action", "records", "estimated recall", "met", "note"):
        # the time whole at 80 columns (acceptance testing: it was cut); the note wraps instead
        t.add_column(c, no_wrap=c == "time (UTC)", min_width=19 if c == "time (UTC)" else None)
    for e in events:
        p = e.payload
        est = p.get("estimated_recall")
        t.add_row(str(e.id), e.created_at[:19], e.reviewer, e.action,
                  str(len(p.get("records", ()))) if e.action == "stop" else f"{p.get('reopened', 0)} reopened",
                  f"{est:.1%}" if isinstance(est, float) else "", "" if e.action != "stop" else
                  ("yes" if p.get("met") else "no (forced)"), e.note)
    console.print(t)
