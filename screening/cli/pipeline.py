"""``screening ingest`` and ``screening run``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from screening import __version__
from screening.cli._app import command, console, styled, warn, working
from screening.runner import run_review
from screening.stages.ingest import ingest_to_file


@command("ingest")
def ingest_cmd(
    files: list[Path] = typer.Argument(..., help="Export files (RIS, .nbib, XML, BibTeX, CSV, TSV...), any mix."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the canonical table (.csv or .parquet)."),
    database: str = typer.Option("", "--database", "-d", help="Database label for every file (default: from the export)."),
    format: str = typer.Option("", "--format", "-f", help="Force a reader (ris, medline, pubmed_xml, wos, bibtex, tabular...)."),
) -> None:
    """Read search exports into one canonical records table, with per-file counts.

    Each file's record count is cross-checked against its own record markers; any mismatch,
    unknown format or unreadable file is an error and no output is written.
    """
    result = ingest_to_file(list(files), output, database=database, format=format)
    table = Table(title=f"Ingested {len(result.records)} records", title_justify="left")
    for col in ("file", "format", "database", "records", "file's own count", "encoding"):
        table.add_column(col, justify="right" if col in ("records", "file's own count") else "left",
                         overflow="fold" if col == "file" else "ellipsis")   # a path is never cut short
    for f in result.report.details["files"]:
        expected = "—" if f["expected"] is None else str(f["expected"])
        table.add_row(f["file"], f["format"] + (f"/{f['dialect']}" if f["dialect"] else ""),
                      f["database"] or "—", str(f["records"]), expected, f["encoding"])
    console.print(table)
    warn(result.report.warnings)
    console.print(f"wrote {output}")


@command("run")
def run_cmd(
    review: str = typer.Argument(..., help="Review TOML (e.g. pipelines/demo.toml) or review name."),
    force: bool = typer.Option(False, "--force", help="Re-run every stage even if nothing changed; also over outputs a "
                                                    "newer version of screening made (undoing its fixes)."),
    allow_changed_sources: bool = typer.Option(
        False, "--allow-changed-sources",
        help="Run even though records people decided on are gone or renumbered (an export edited, renamed or "
             "dropped, or read differently by this version): decisions on lost ids stop counting, and decisions on renumbered ids then name "
             "whatever record has the id now. Undo those decisions first if that is not meant."),
    allow_rule_changes: bool = typer.Option(
        False, "--allow-rule-changes",
        help="Run even though the edited [rules] exclude records people have already screened (a protocol "
             "amendment): their decisions stop counting, and PRISMA reports them as excluded by the rules "
             "after screening began."),
) -> None:
    """Run a review's pipeline: ingest, then each enabled stage, then the PRISMA outputs.

    Writes data/screened/<review>/<stage>.{parquet,csv,json}. Re-running with nothing changed
    is a no-op; an interrupted run leaves no partial files.
    """
    with working() as shown:
        def progress(stage: str, status: str) -> None:
            if status == "running":
                console.print(f"… {stage}", style="dim")
                shown.step(stage)

        result = run_review(review, force=force, progress=progress, allow_changed_sources=allow_changed_sources,
                            allow_changed_rules=allow_rule_changes)
    table = Table(title=f"Review {result.review}", title_justify="left")
    for col in ("stage", "status", "in", "out", "summary"):
        table.add_column(col, justify="right" if col in ("in", "out") else "left")
    for o in result.outcomes:
        summary = ", ".join(f"{k}={v}" for k, v in o.report.counts.items())
        table.add_row(o.stage, o.status, str(o.report.records_in), str(o.report.records_out), summary)
    console.print(table)
    for o in result.outcomes:
        warn(o.warnings, o.stage)
    for name, info in result.post.items():
        info = dict(info) if isinstance(info, dict) else {"": info}
        warnings = info.pop("warnings", [])
        console.print(styled((name, "bold"), ": " + "; ".join(f"{k} {v}".strip() for k, v in info.items())))
        warn(warnings, name)
    console.print(f"outputs in {result.output_dir}")


@command("version")
def version_cmd() -> None:
    """Print the tool version."""
    console.print(f"screening {__version__}")
