"""``screening dedup IN -o OUT``: read the inputs, deduplicate, write the output and the review queue.

The stage itself is pure (``screening/stages/dedup.py``); this module is the thin I/O shell
around it for a run outside a review. The queue of maybe-pairs lives next to the decision store
so a person can review it later (``screening dedup-review``: :mod:`screening.dedup.review_queue`):

- ``screening dedup`` writes ``dedup_queue.json`` (the pairs + which table they refer to);
- ``screening run`` writes ``dedup.json`` (the stage report, pairs under ``details``) and
  ``dedup.parquet`` in the review's output folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from screening.atomic_files import atomic_write_text
from screening.dedup.api import DedupOutcome, deduplicate
from screening.dedup.store import latest_decisions, load_decisions
from screening.errors import InputError
from screening.output_guard import refuse_overwrite
from screening.records import check_table_path, read_table, write_table
from screening.stages.dedup import decision_warnings
from screening.stages.ingest import ingest_paths

QUEUE_NAME = "dedup_queue.json"


def _is_canonical_csv(path: Path) -> bool:
    if path.suffix.lower() != ".csv":
        return False
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline()
    return "record_id" in header and "source_file" in header and "source_format" in header


def _is_canonical(path: Path) -> bool:
    return path.suffix.lower() == ".parquet" or (path.is_file() and _is_canonical_csv(path))


def load_input_table(paths: list[Path]) -> tuple[pd.DataFrame, list[str]]:
    """One canonical table (and ingest's warnings) from canonical CSV/Parquet tables, or from
    export files via ingest.

    Canonical tables (written by `screening ingest`) keep their provenance as written (record
    ids, source file, line and database); several are stacked, their record ids must not
    clash. Read as exports instead, their database would be lost (PRISMA-S: 'Unknown source').
    """
    canonical = [_is_canonical(p) for p in paths]
    if all(canonical):
        tables = [read_table(p) for p in paths]
        if len(tables) == 1:
            return tables[0], []            # (read_table refuses repeated ids within a table)
        table = pd.concat(tables, ignore_index=True)
        dup = table["record_id"].astype(str).duplicated()
        if dup.any():
            rid = table.loc[dup, "record_id"].iloc[0]
            raise InputError(f"record_id {rid!r} occurs in more than one input table", record=str(rid),
                             hint="ingest the exports together (`screening ingest A B -o table.csv`) so ids "
                                  "are assigned once, then dedup that table")
        return table, []
    if any(canonical):
        first = paths[canonical.index(True)]
        raise InputError("a records table cannot be mixed with export files", path=first,
                         hint="give either export files or tables written by `screening ingest`")
    result = ingest_paths(list(paths))
    return result.records, list(result.report.warnings)


@dataclass
class DedupRun:
    outcome: DedupOutcome
    output: Path
    queue: Path
    decisions_used: int
    warnings: tuple[str, ...] = ()      # how the inputs were read (ingest's), then decisions not applied


def dedup_files(paths: list[Path], output: Path, *, folder: Path | None = None,
                cochrane_versions: str = "duplicate", previous: Path | None = None) -> DedupRun:
    """``screening dedup``: read, deduplicate (reusing stored decisions in ``folder``), write."""
    check_table_path(output)            # before the work, not after it
    refuse_overwrite(output, inputs=[*paths, *([previous] if previous else [])])
    folder = folder or output.parent
    table, warnings = load_input_table(paths)
    decisions = load_decisions(folder)
    prev = read_table(previous) if previous else None
    outcome = deduplicate(table, cochrane_versions=cochrane_versions, decisions=decisions, previous=prev)
    write_table(outcome.table, output)
    queue = folder / QUEUE_NAME
    atomic_write_text(queue, json.dumps({
        "table": str(output.resolve()), "maybe_pairs": outcome.details["maybe_pairs"],
        "previous_pair_records": outcome.details["previous_pair_records"],
        "matcher_groups": outcome.details["matcher_groups"]}, indent=2) + "\n")
    return DedupRun(outcome=outcome, output=output, queue=queue,
                    decisions_used=len(latest_decisions(decisions)),
                    warnings=(*warnings, *decision_warnings(outcome.details)))
