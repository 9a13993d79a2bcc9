"""``screening export``: the records a screening result selects, as RIS or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from screening.cli._app import adjudicator_option, command, console, reviewer_option, warn
from screening.export import DECISIONS, FORMATS, export_records


@command("export")
def export_cmd(
    review: str = typer.Argument(..., help="Review TOML (e.g. pipelines/demo.toml) or review name."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write: .ris (reference managers) or .csv."),
    stage: str = typer.Option("title_abstract", "--stage", help="title_abstract or full_text."),
    decision: str = typer.Option("include", "--decision",
                                 help=f"Which records: {', '.join(DECISIONS)} (settled decisions only)."),
    format: Optional[str] = typer.Option(None, "--format", help=f"{' or '.join(FORMATS)} (default: from the file name)."),
    reviewer: Optional[str] = reviewer_option("Who exports (an adjudicator sees the undecided records told apart)."),
    as_adjudicator: bool = adjudicator_option("Tell undecided records apart (conflict, pending, unscreened)."),
    per_reviewer: bool = typer.Option(
        False, "--per-reviewer",
        help="Add each reviewer's decision at each stage (ta_NAME, ft_NAME), both stages' final decision and "
             "reason, who adjudicated, the reviewers' notes and the attached full texts (RIS: N1 notes, L1 "
             "files). Blinded: another reviewer's decisions on a record you have not decided and that is not "
             "settled are left blank (an adjudicator sees all)."),
) -> None:
    """Export the records a screening result selects, with their decisions and reasons.

    The default, --stage title_abstract --decision include, is the list of reports to retrieve
    in full; --stage full_text --decision include gives the reports of the included studies (a
    study column groups them). RIS imports into Zotero, EndNote, Mendeley, Covidence and Rayyan;
    each record keeps its record_id. --per-reviewer adds who decided what, their notes and the
    attached full texts.
    """
    res = export_records(review, output, stage=stage, decision=decision, format=format,
                         reviewer=reviewer, as_adjudicator=as_adjudicator, per_reviewer=per_reviewer)
    parts = ", ".join(f"{n} {status}" for status, n in res.by_status.items()) or "none"
    console.print(f"wrote {res.records} records ({res.stage}: {res.decision}; {parts}) to {res.path} as {res.format.upper()}")
    warn(list(res.warnings))
