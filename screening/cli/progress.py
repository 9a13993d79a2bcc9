"""``screening status | agreement | log``: where a review stands, how well its reviewers agree,
and its decision history, each as the viewer may see it (blinding is the library's).
"""

from __future__ import annotations

from typing import Any, Optional

import typer
from rich.table import Table

from screening.cli._app import (
    REVIEW_ARG, adjudicator_option, cells, command, console, fmt_stat, json_option, print_json, printable,
    reviewer_option, warn,
)
from screening.decisions import api
from screening.decisions.entries import event_payload
from screening.decisions.stops import stopped_by_phrase


@command("agreement")
def agreement_cmd(
    review: str = REVIEW_ARG,
    reviewer: Optional[str] = reviewer_option("View as this reviewer (only records they decided count)."),
    as_adjudicator: bool = adjudicator_option("Use every decision (adjudicators are not blinded)."),
    as_json: bool = json_option("Print one JSON object per stage and pair, for scripts."),
) -> None:
    """Per stage and reviewer pair: counts, % agreement, Cohen's kappa (95% CI, Fleiss-Cohen-Everitt SE), PABAK."""
    pairs = api.agreement(review, reviewer=reviewer, as_adjudicator=as_adjudicator)
    warn(api.missing_log_warnings(review))      # on stderr: the JSON on stdout stays whole
    if as_json:
        print_json([{"stage": p.stage, "reviewer_a": p.reviewer_a, "reviewer_b": p.reviewer_b,
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
        ci = (f"(95% CI {fmt_stat(s.ci_low)} to {fmt_stat(s.ci_high)}; SE {fmt_stat(s.se)})" if s.se == s.se
              else "(no CI: too few records)" if s.n < 2
              # acceptance testing: said "too few records" at n = 59, where one reviewer had
              # given one decision throughout and the large-sample variance formula gives 0
              else "(no CI: the standard error is degenerate here, e.g. a reviewer gave one decision throughout)")
        console.print(f"n={s.n}  agreement={fmt_stat(s.percent_agreement, 1)}%  kappa={fmt_stat(s.kappa)} {ci}  "
                      f"PABAK={fmt_stat(s.pabak)}")


@command("status")
def status_cmd(
    review: str = REVIEW_ARG,
    reviewer: Optional[str] = reviewer_option("View as this reviewer (your own counts in full)."),
    as_adjudicator: bool = adjudicator_option("Show decision counts for everyone."),
    as_json: bool = json_option("Print one JSON object per stage, for scripts."),
) -> None:
    """Where the review stands per stage: screened, remaining, conflicts open, per reviewer."""
    stages = api.status(review, reviewer=reviewer, as_adjudicator=as_adjudicator)
    if as_json:
        print_json(stages)
        return
    warn(stages[0]["warnings"] if stages else ())       # review-level: the same on every stage
    for s in stages:
        if s.get("excluded_by_stopping") or s.get("stopped_by"):
            since, left = s.get("to_screen_since_stop", 0), s.get("open_after_stop", 0)
            how = (f"{stopped_by_phrase(s['stopped_by'], s['stopped_at'])} (stopping rule)" if s.get("stopped_by")
                   else "stopped by the stopping rule")
            title = (f"{s['stage']}: {how} — {s['screened']} screened (settled), "
                     f"{s['excluded_by_stopping']} excluded by the rule, {left} still being settled, "
                     + (f"{since} to screen since the stop, " if since else "") + f"of {s['total']}")
        else:
            title = f"{s['stage']}: {s['screened']} screened (settled), {s['remaining']} remaining of {s['total']}"
        t = Table(title=title, title_justify="left")
        t.add_column("reviewer")
        cols = ("decided", "include", "exclude", "maybe", "not_retrieved")
        for c in cols:
            t.add_column(c, justify="right")
        for name, d in s["per_reviewer"].items():
            t.add_row(*cells(name, *[d[c] if c in d else "·" for c in cols]))
        former = set(s.get("undeclared_adjudicators", ()))
        for name, d in s.get("per_adjudicator", {}).items():
            # their adjudications still settle records, but they are no adjudicator now
            role = f"adjudicated {d['decided']}, no longer declared" if name in former else "adjudicator"
            t.add_row(*cells(f"{name} ({role})", *[d[c] if c in d else "·" for c in cols]))
        console.print(t)
        extra = [_conflicts_line(s)]
        if s.get("pending") is not None:
            extra.append(f"pending: {s['pending']}")
        if s.get("final"):
            extra.append("final: " + ", ".join(f"{k} {v}" for k, v in s["final"].items()))
        if s["stage"] == "full_text":
            extra.append(f"reports attached: {s['reports_attached']}")
        console.print("  ".join(extra))
        if s.get("stopping_test"):
            for line in _stopping_lines(s["stopping_test"]):
                console.print(line)


_PHASES = {"ranked": "ranked order", "sample": "random sample under way", "met": "test met", "stopped": "stopped"}


def _stopping_lines(t: dict[str, Any]) -> list[str]:
    """The stopping test's standing: rule and phase, then its figures (records no reviewer is
    still to decide), then what to do."""
    head = (f"stopping test ({t['rule']}: recall ≥ {t['target_recall']:.0%} with {t['confidence']:.0%} "
            "confidence): ")
    if t.get("phase") is None:
        return [head + f"not available ({t.get('error', 'unknown')})"]
    said = _PHASES.get(t["phase"], t["phase"])
    if t["sample_size"]:
        figures = (f"{t['sample_size']} sampled, {t['sample_relevant']} relevant; p = {t['p_value']:.3g}, "
                   + (f"recall ≥ {t['recall_bound']:.1%} (estimated {t['estimated_recall']:.1%})"
                      if isinstance(t["recall_bound"], float) else f"recall: {t['recall_bound']}"))
    elif t.get("ranking_started") is False:
        figures = "no relevant record found yet: no ranking to follow (file order)"
    elif t.get("irrelevant_in_a_row") is not None:
        run, switch = t["irrelevant_in_a_row"], t["switch_at"]
        figures = (f"{run} of {switch} irrelevant in a row before the switch to a random sample" if run < switch else
                   f"{run} irrelevant in a row: the switch point ({switch}) is reached, a random sample can begin")
    else:
        figures = f"{t['relevant_found']} relevant found"
    lines = [f"{head}{said} — {figures}"]
    if n := t.get("priors_undecided"):
        lines.append(f"  {n} prior record{'s' if n != 1 else ''} ([rank] prior_included / prior_excluded) "
                     f"{'have' if n != 1 else 'has'} no decision yet: known to the ranker and the test, but not "
                     "counted as screened or relevant found until a reviewer decides "
                     + ("them" if n != 1 else "it"))
    return lines + ([f"  {t['recommendation']}"] if t.get("recommendation") else [])


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
    reviewer: Optional[str] = reviewer_option("View as this reviewer (a declared adjudicator sees every event)."),
    record: Optional[str] = typer.Option(None, "--record", help="Only this record's history."),
    as_adjudicator: bool = adjudicator_option("See everyone's events (not blinded)."),
    as_json: bool = json_option("Print JSON lines (one per event) for scripts."),
) -> None:
    """The decision history, oldest first, as you are allowed to see it."""
    df = api.history(review, reviewer=reviewer, as_adjudicator=as_adjudicator, record_id=record)
    warn(api.missing_log_warnings(review))      # on stderr: the JSON on stdout stays whole
    if as_json:
        print_json(df.to_dict(orient="records"))
        return
    rows = []
    for row in df.itertuples(index=False):
        payload = event_payload(row.payload)
        details = payload.get("report") or ((",".join(payload.get("reviewers", [])) or "single screening")
                                            if row.action == "assign" else "")
        if row.action == "assign" and isinstance(payload.get("replaced"), dict):
            details += f" (replacing {payload['replaced'].get('reviewer', '?')})"
        if row.action == "link_study":
            details = f"same study as {payload['study']}" if payload.get("study") else "own study"
        who = row.reviewer + (" (adj.)" if row.role == "adjudicator" else "")
        # the screening version that recorded the event (blank: recorded before the log noted versions)
        version = row.tool_version if isinstance(row.tool_version, str) else ""
        rows.append({"#": row.id, "time (UTC)": row.created_at[:19].replace("T", " "), "stage": row.stage, "record": row.record_id,
                     "reviewer": who, "action": row.action + (" [demo]" if row.is_demo else ""),
                     "reason": row.reason, "note": row.note, "details": details, "version": version})
    # only the columns that say something: the record column goes for one record's history (it
    # is in the title), empty columns go
    cols = [c for c in ("#", "time (UTC)", "stage", "record", "reviewer", "action", "reason", "note", "details",
                        "version")
            if not (c == "record" and record) and (c in ("#", "time (UTC)", "action") or any(r[c] for r in rows))]
    title = f"{len(df)} events" + (f" on record {record}" if record else "")
    # under the whole history (not one record's): when the log changed format, and by which version
    formats = [] if record else [_format_line(m) for m in api.log_migrations(review)]
    if console.width < 120:
        # what an auditor reads (who, what, why) is never cut: in a table at 80 columns the
        # action, reason and note shrank to 'e…', so a narrow terminal gets one event per line
        console.print(title)
        for r in rows:
            head = "  ".join(str(r[c]) for c in ("#", "time (UTC)", "stage", "record", "reviewer", "action")
                             if c in cols)
            tail = "; ".join(f"{c}: {r[c]}" for c in ("reason", "note") if c in cols and r[c])
            more = f" ({r['details']})" if "details" in cols and r["details"] else ""
            # one line per event: a newline in a note must not fake the next event
            more += f" [screening {r['version']}]" if r["version"] else ""
            console.print(printable(head + (f" — {tail}" if tail else "") + more, one_line=True), soft_wrap=False)
        for line in formats:
            console.print(printable(line, one_line=True), soft_wrap=False)
        return
    t = Table(title=title, title_justify="left")
    longest_id = max((len(str(r["record"])) for r in rows), default=6)
    for c in cols:
        t.add_column(c, overflow="fold" if c in ("#", "record") else "ellipsis", no_wrap=c in ("time (UTC)", "record"),
                     min_width=19 if c == "time (UTC)" else min(longest_id, 40) if c == "record" else None)
    for r in rows:
        t.add_row(*cells(*[r[c] for c in cols]))
    console.print(t)
    for line in formats:
        console.print(cells(line)[0], soft_wrap=False)


def _format_line(m: dict[str, Any]) -> str:
    """One recorded change of the log's format, for `log` (when, from which format, by which version)."""
    when = str(m["migrated_at"])[:19].replace("T", " ")
    if not m["from_format"]:
        return f"log format {m['to_format']}: created by screening {m['tool_version']} on {when} UTC"
    return (f"log format {m['to_format']}: migrated from format {m['from_format']} by screening "
            f"{m['tool_version']} on {when} UTC")
