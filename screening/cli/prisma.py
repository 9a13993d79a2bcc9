"""``screening prisma``: PRISMA 2020 counts, flow diagram and report for a review."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from screening.cli._app import command, console, warn
from screening.prisma import generate
from screening.prisma.report import counts_rows, funnel_line


@command("prisma")
def prisma_cmd(
    review: str = typer.Argument(..., help="Review TOML (e.g. pipelines/demo.toml) or review name."),
    output: Optional[Path] = typer.Option(
        None, "-o", "--output",
        help="Folder for prisma.json, prisma.csv, prisma_flow.svg/png/pdf, report.md/html "
             "(default: <review output_dir>/prisma)."),
) -> None:
    """Compute the PRISMA 2020 counts, flow diagram, template CSV and report from recorded data.

    Every count comes from the records table and the decision log, and the boxes are checked
    to add up. The same review state always gives byte-identical files; the citation line
    names the state.
    """
    result = generate(review, output)
    c = result.counts
    table = Table(title=f"PRISMA 2020 — {funnel_line(c)}", title_justify="left")
    table.add_column("box")
    table.add_column("n", justify="right")
    for box, n in counts_rows(c):
        table.add_row(f"  {box}" if box.startswith("– ") else box, n)
    console.print(table)
    warn(c.warnings + result.state.warnings + result.diagram_warnings)
    console.print(result.citation)
    console.print(f"wrote {len(result.files)} files to {result.files['json'].parent}")
