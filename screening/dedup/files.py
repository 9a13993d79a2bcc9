"""File-level dedup workflows for the CLI: read input, run, write output and the review queue.

The stage itself is pure (``screening/stages/dedup.py``); this module is the thin I/O shell
around it for ``screening dedup IN -o OUT`` and ``screening dedup-review``. The queue of
maybe-pairs lives next to the decision store so a person can review it later:

- ``screening dedup`` writes ``dedup_queue.json`` (the pairs + which table they refer to);
- ``screening run`` writes ``dedup.json`` (the stage report, pairs under ``details``) and
  ``dedup.parquet`` in the review's output folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from screening.config import load_review
from screening.dedup.api import SHOWN_FIELDS, DedupOutcome, deduplicate, latest_decisions, shown_fields
from screening.dedup.queue import MaybePair, Progress
from screening.dedup.store import load_decisions, record_decision
from screening.errors import DecisionError, InputError, StageError
from screening.records import as_text, atomic_write_text, check_table_path, read_table, write_table
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
    decisions_set_aside: int = 0        # stored 'duplicate' decisions not applied (they contradict others)


def dedup_files(paths: list[Path], output: Path, *, folder: Path | None = None,
                cochrane_versions: str = "duplicate", previous: Path | None = None) -> DedupRun:
    """``screening dedup``: read, deduplicate (reusing stored decisions in ``folder``), write."""
    check_table_path(output)            # before the work, not after it
    folder = folder or output.parent
    table, warnings = load_input_table(paths)
    decisions = load_decisions(folder)
    prev = read_table(previous) if previous else None
    outcome = deduplicate(table, cochrane_versions=cochrane_versions, decisions=decisions, previous=prev)
    write_table(outcome.table, output)
    queue = folder / QUEUE_NAME
    atomic_write_text(queue, json.dumps({
        "table": str(output.resolve()), "maybe_pairs": outcome.details["maybe_pairs"],
        "previous_pair_records": outcome.details["previous_pair_records"]}, indent=2) + "\n")
    return DedupRun(outcome=outcome, output=output, queue=queue,
                    decisions_used=len(latest_decisions(decisions)),
                    warnings=(*warnings, *decision_warnings(outcome.details)),
                    decisions_set_aside=outcome.counts["decisions_set_aside"])


@dataclass
class ReviewQueue:
    folder: Path
    table: pd.DataFrame
    pairs: list[MaybePair]
    table_path: Path | None = None
    # records of an earlier search named by a pair (not rows of ``table``): id -> shown fields
    earlier: dict[str, dict[str, Any]] = field(default_factory=dict)
    roster: Any = None     # the review's Roster when opened from a review (names checked)
    reviewer: str = ""     # who decides, as recorded
    # records with standing screening decisions (dedup keeps such a record as its group's);
    # only *whether*, never which way, and only to an adjudicator (see ReviewQueue.view)
    screened: frozenset[str] = frozenset()
    log: pd.DataFrame | None = None     # the decision log when the queue was opened

    @cached_property  # updated as decisions are stored (decide_pair), so a session skips what they settle
    def progress(self) -> Progress:
        return Progress(self.pairs, self.log)

    @property
    def pending(self) -> list[MaybePair]:
        """Entries nobody has answered and that the answers so far do not settle (queue.py)."""
        return [p for p in self.pairs if self.progress.is_open(p)]

    @cached_property
    def _group_of(self) -> dict[str, list[str]]:
        """record id -> the ids of its dedup group (an earlier search's kept record included)."""
        if "dup_group" not in self.table.columns:
            return {}
        groups: dict[str, list[str]] = {}
        for rid, kept in zip(self.table["record_id"].astype(str), self.table["dup_group"].astype(str)):
            groups.setdefault(kept or rid, []).append(rid)
        for kept, ms in groups.items():
            if kept not in ms:
                ms.append(kept)
        return {rid: sorted(ms) for ms in groups.values() for rid in ms}

    def group_note(self, id_a: str, id_b: str) -> str:
        """What a decision on this pair stands for, kept in the log row's note: the two groups
        it joins or keeps apart, as the dedup output had them ('' for two lone records)."""
        a, b = (self._group_of.get(r, [r]) for r in (id_a, id_b))
        if len(a) == 1 and len(b) == 1:
            return ""
        return f"groups: {' '.join(a)} | {' '.join(b)}"

    @cached_property  # the review loop checks every decision against it
    def known_ids(self) -> frozenset[str]:
        """Record ids a decision can name: the table's rows, and the earlier-search records
        (``--previous``) they were linked or queued with, which are not rows of it."""
        ids = set(self.table["record_id"].astype(str))
        for col in ("duplicate_of", "dup_group"):
            if col in self.table.columns:
                ids.update(str(v) for v in self.table[col] if v)
        ids.update(rid for p in self.pairs for rid in (p.id_a, p.id_b))
        return frozenset(ids)

    @cached_property  # one index for the whole review loop, not one per pair shown
    def row_of(self) -> dict[str, int]:
        return {rid: i for i, rid in enumerate(self.table["record_id"].astype(str))}

    def view(self, pair: MaybePair) -> list[tuple[str, str, str, bool]]:
        """The pair side by side (an earlier search's record from its stored snapshot), with a
        row saying which one carries screening decisions (it stays the kept record)."""
        rows = pair_view(self.table, pair.id_a, pair.id_b, earlier=self.earlier, row_of=self.row_of)
        others = [", ".join(m[1:]) or "—" for m in (pair.members_a, pair.members_b)]
        if others != ["—", "—"]:          # the answer applies to these copies as well
            rows.append(("same group", others[0], others[1], False))
        if self.screened & {pair.id_a, pair.id_b} and self._unblinded:
            said = ["has screening decisions" if r in self.screened else "—" for r in (pair.id_a, pair.id_b)]
            rows.append(("screening", said[0], said[1], said[0] != said[1]))
        return rows

    @property
    def _unblinded(self) -> bool:
        """Whether the person deciding may know a record was screened by someone (not how): an
        adjudicator, or anyone when the review declares no reviewers; a declared screener would
        learn which records a colleague has reached."""
        if self.roster is None or not self.roster.declared:
            return True
        return self.roster.match(self.reviewer, self.roster.adjudicators) is not None


def _resolve(target: str | Path) -> tuple[Path, Any]:
    """(output folder, the review's Roster or None for a plain folder), reading the TOML once."""
    path = Path(target)
    if path.is_dir():
        return path, None
    from screening.decisions.roster import Roster

    review = load_review(target)
    return review.output_dir, Roster.of(review)


def _screened_ids(folder: Path) -> frozenset[str]:
    """Records with a screening decision in the review's log beside the dedup output, if any."""
    log = folder / "decisions.sqlite"
    if not log.exists():
        return frozenset()
    from screening.decisions.views import load_entries, records_with_decisions

    # a record with a decision is preferred as its group's kept record (which one, when both
    # have, dedup decides)
    return frozenset(records_with_decisions(load_entries(log)))


def open_queue(target: str | Path, reviewer: str = "") -> ReviewQueue:
    """The maybe-pairs waiting for a person, with the table they refer to.

    ``reviewer``: who will decide; checked against the review's roster now (before the first
    pair is shown), available as ``queue.reviewer`` in its recorded spelling."""
    folder, roster = _resolve(target)
    queue_file, report_file = folder / QUEUE_NAME, folder / "dedup.json"
    if queue_file.exists():
        data = json.loads(queue_file.read_text(encoding="utf-8"))
        table_path = Path(data["table"])
        pairs_raw = data.get("maybe_pairs", [])
        earlier = data.get("previous_pair_records", {})
    elif report_file.exists() and (folder / "dedup.parquet").exists():
        data = json.loads(report_file.read_text(encoding="utf-8"))
        table_path = folder / "dedup.parquet"
        pairs_raw = data.get("details", {}).get("maybe_pairs", [])
        earlier = data.get("details", {}).get("previous_pair_records", {})
    else:
        raise StageError("no dedup results here (the review has not been run that far)", path=folder,
                         hint="run `screening dedup IN -o OUT` (or `screening run REVIEW`) first")
    table = read_table(table_path)
    pairs = [MaybePair.from_json(p) for p in pairs_raw]
    log = load_decisions(folder)
    return ReviewQueue(folder=folder, table=table, pairs=pairs, log=log,
                       table_path=table_path,
                       earlier=earlier, roster=roster, screened=_screened_ids(folder),
                       reviewer=roster.outside_name(reviewer) if roster is not None else reviewer.strip())


def pair_view(table: pd.DataFrame, id_a: str, id_b: str, *, row_of: dict[str, int],
              earlier: dict[str, dict[str, Any]] | None = None) -> list[tuple[str, str, str, bool]]:
    """Rows (field, value A, value B, differs) for showing a pair side by side.

    ``row_of``: record id -> row position in ``table`` (the queue keeps one). ``earlier``:
    snapshots of an earlier search's records (``--previous``), which a pair may name although
    they are not rows of ``table``; their database is marked '(earlier search)'.
    """
    index = row_of
    sides = []
    for rid in (id_a, id_b):
        if rid in index:
            sides.append(shown_fields(table, index[rid]))
        elif earlier and rid in earlier:
            snap = dict(earlier[rid])
            snap["source_db"] = f"{snap.get('source_db') or 'Unknown source'} (earlier search)"
            sides.append(snap)
        else:
            raise DecisionError("record not in the dedup table", record=rid,
                                hint="re-run dedup so the queue matches the table (`screening run REVIEW`, or "
                                     "`screening dedup IN -o OUT` with the same --previous); queues written "
                                     "before this version do not keep an earlier search's records")
    a, b = sides
    rows = []
    for name in SHOWN_FIELDS:
        if name not in a and name not in b:
            continue
        va, vb = _show(a.get(name, "")), _show(b.get(name, ""))
        rows.append((name, va, vb, name != "record_id" and va.strip().lower() != vb.strip().lower()))
    return rows


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(value)
    text = as_text(value)
    return text if len(text) <= 400 else text[:400] + "…"


def decide_pair(target: str | Path, id_a: str, id_b: str, decision: str, reviewer: str, *,
                queue: ReviewQueue | None = None) -> Path:
    """Store one decision for a pair of records in the target's decision store.

    A duplicate/distinct decision must name records of the dedup output (``queue``, else the
    target's, is read for it): the next run matches decisions to table rows by id, so one on
    a mistyped or stale id would be stored, reported as stored, and then silently ignored.
    ``reopen`` is not checked: it only withdraws a decision already stored (the store checks
    that), which may be one on records a later search no longer has.

    The decision is one row on this pair; its note names the two groups it stands for. It is
    not copied to the other pairs of the groups: the next run applies it to the groups whole."""
    folder, roster = _resolve(target)
    session = queue                     # a dedup-review session's queue, kept up to date below
    roster = roster or (queue.roster if queue is not None else None)
    if roster is not None:              # a review: names as its [screening] roster spells them
        reviewer = roster.outside_name(reviewer)
    if decision != "reopen":
        queue = queue or open_queue(folder)
        known = queue.known_ids
        unknown = [rid for rid in dict.fromkeys((str(id_a), str(id_b))) if rid not in known]
        if unknown:
            raise DecisionError(
                f"record id{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} not in the "
                "dedup output; nothing stored", record=f"{id_a}/{id_b}",
                hint=f"ids are the record_id column of {queue.table_path or 'the dedup table'}; "
                     f"`screening dedup-review {folder}` shows the queued pairs with their ids")
    note = queue.group_note(str(id_a), str(id_b)) if queue is not None else ""
    seq = record_decision(folder, id_a, id_b, decision, reviewer, note=note)
    if session is not None:             # (a queue opened here only to check the ids is dropped)
        session.progress.note(str(id_a), str(id_b), decision, seq=seq)
    return folder
