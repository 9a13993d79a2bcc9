"""``screening rules check``: explain a review's inclusion rules without applying them."""

from __future__ import annotations


import typer
from rich.table import Table
from rich.text import Text

from screening.cli._app import console, group_command, printable, printable_spans, styled, subapp, warn
from screening.rules.check import check_review

rules_app = subapp("rules", help="Inclusion rules as data: check what each rule would do before applying it.")


@group_command(rules_app, "check")
def check_cmd(
    review: str = typer.Argument(..., help="Review TOML (e.g. pipelines/demo.toml) or review name."),
    examples: int = typer.Option(3, "--examples", "-n", min=0, help="Example titles to show per rule."),
) -> None:
    """Explain what each rule would do on the review's current records (nothing is applied or written).

    Per rule: how many kept (non-duplicate) records it fires on, how many exclusions it would be the reported reason for, how many no other rule would exclude, and example titles with the matched words highlighted. Run `screening run` first so there are records to check.
    """
    result = check_review(review, examples=examples)
    chk = result.check
    where = "after dedup" if result.deduplicated else "(dedup has not run: duplicates are counted)"
    console.print(styled((result.review, "bold"), f": {chk.kept} records {where}; read from {result.table_path.name}"))
    table = Table(title="Rules (nothing applied)", title_justify="left")
    for col in ("rule", "action", "reason", "fires on", "missing data", "reported reason for", "only this rule"):
        table.add_column(col, justify="right" if col in ("fires on", "missing data", "reported reason for", "only this rule") else "left")
    for r in chk.rules:
        table.add_row(r.id, r.action, r.reason, str(r.fired), str(r.fired_on_missing_data),
                      str(r.would_exclude_first) if r.action == "exclude" or r.would_exclude_first else "—",
                      str(r.only_this_rule) if r.action == "exclude" or r.only_this_rule else "—")
    console.print(table)
    counts = chk.counts
    console.print(f"would exclude {counts['excluded']}, flag {counts['flagged']}, include {counts['included']}")
    for reason, n in chk.reasons.items():
        console.print(f"  {n:>6}  {reason}")
    warn(chk.warnings)
    for note in chk.notes:   # on stdout with the counts they explain; one line each, to grep
        console.print(styled(("note:", "cyan"), " ", printable(note)), soft_wrap=True)
    for r in chk.rules:
        if not r.examples:
            continue
        console.print(styled("\n", (r.id, "bold"), f" — {r.reason}", (f"  {r.query}" if r.query else "", "dim")))
        for ex in r.examples:
            text, spans = printable_spans(ex.title or "(no title)", ex.spans)
            title = Text(text)
            for start, end in spans:
                title.stylize("bold yellow", start, end)
            line = Text("  • ")
            line.append(title)
            line.append(f"  [{ex.record_id}" + (f"; {ex.detail}" if ex.detail else "") + "]", style="dim")
            console.print(line)
