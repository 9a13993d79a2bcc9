"""Run a review: read raw files -> ingest -> each enabled stage -> PRISMA outputs.

The runner is the only place that touches the file system for the pipeline. Each stage's
table is written as ``<stage>.parquet`` (lossless, for the tool) and ``<stage>.csv`` (for
people), with ``<stage>.json`` holding its :class:`StageReport`. All writes are atomic; the
old report is removed *first* and the new one written *last*, so an interrupted run never
leaves a report that vouches for a missing, partial or other run's table. Re-running with
nothing changed is a no-op: a stage whose input hash matches its stored report is skipped and
its stored table reused.

Every report a stage writes (when it ran, not when its stored output was reused) is also
appended as one JSON line ``{"time", "review", "stage", "report"}`` to ``history.jsonl`` in
the output folder (long lists a stage names in ``Stage.history_digest`` as a count and a
digest), which is never rewritten: ``<stage>.json`` holds the latest report only,
the history every earlier one (ranking ids, parameters, input hashes) for the audit trail.

A run that fails before writing anything leaves no output folder behind.

What the read-only commands ask of the last run (does it still match the TOML, did it finish,
which table it left) is :mod:`screening.last_run`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from contextlib import ExitStack
from datetime import datetime, timezone
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from screening import __version__
from screening.atomic_files import atomic_write_text, remove_stale_temp_files
from screening.config import ReviewConfig, config_parameters, load_review
from screening.errors import ConfigError, InputError
from screening.last_run import enabled_stage_names, table_replaced
from screening.output_owner import OWNER_FILE, owner_text
from screening.raw_changes import edited_message, edited_since, ingested_digests
from screening.records import read_table, table_hash, to_csv_bytes, write_table
from screening.run_history import append_history
from screening.run_inputs import decided_ids, decided_records_changed, previous_column, previous_ingest, read_sources
from screening.stage import Stage, StageInputs, StageReport, history_report, registered_stages
from screening.stage_versions import (decided_changes, ingest_version_of, rebuilt_note,
                                      refuse_newer_outputs, reread_message)
from screening.stages.ingest import VERSION as INGEST_VERSION, ingest


@dataclass(frozen=True)
class StageOutcome:
    stage: str
    status: str                  # 'ran' or 'unchanged'
    report: StageReport
    table_path: Path

    @property
    def warnings(self) -> list[str]:
        """What to tell the user about this stage: its output's warnings, and the run's own
        notes (:attr:`StageReport.run_notes`) only when this run made the output."""
        return [*self.report.warnings, *(self.report.run_notes if self.status == "ran" else ())]


@dataclass
class RunResult:
    review: str
    output_dir: Path
    outcomes: list[StageOutcome] = field(default_factory=list)
    records: pd.DataFrame | None = None
    post: dict[str, Any] = field(default_factory=dict)   # e.g. PRISMA outputs

    @property
    def changed(self) -> bool:
        return any(o.status == "ran" for o in self.outcomes)


# Steps run after the stages (PRISMA outputs...). Each takes (review, records) and returns a
# JSON-able summary. Modules register themselves here so the runner needs no knowledge of them.
POST_STEPS: dict[str, Callable[[ReviewConfig, pd.DataFrame], Any]] = {}


def register_post_step(name: str, fn: Callable[[ReviewConfig, pd.DataFrame], Any]) -> None:
    POST_STEPS[name] = fn


def _load_post_steps() -> None:
    # Imported late: screening.prisma itself imports this module to register its step. Registered
    # here too, not only as the import's side effect: an import made while POST_STEPS was
    # swapped out (a test's monkeypatch) would otherwise leave the step unregistered for good.
    import screening.prisma

    POST_STEPS.setdefault("prisma", screening.prisma.post_step)


def _hash_inputs(inputs: StageInputs) -> str:
    h = hashlib.sha256()
    for f in dataclasses.fields(inputs):
        if not f.metadata.get("hashed", True):     # read by the stage, left out of its cache key
            continue
        value = getattr(inputs, f.name)
        h.update(f.name.encode())
        if isinstance(value, pd.DataFrame):
            h.update(to_csv_bytes(value))
        else:
            h.update(json.dumps(value, sort_keys=True, default=str).encode())
    return h.hexdigest()


def stage_hash(input_hash: str, stage: Stage, config: Any, inputs: StageInputs) -> str:
    h = hashlib.sha256()
    h.update(input_hash.encode())
    h.update(f"{stage.name}:{stage.version}:{__version__}".encode())
    h.update(json.dumps(config_parameters(config), sort_keys=True, default=str).encode())
    h.update(_hash_inputs(inputs).encode())
    return h.hexdigest()


def _stored_report(output_dir: Path, name: str) -> dict[str, Any] | None:
    """The stage's report on disk, if it is there and readable."""
    try:
        return json.loads((output_dir / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


class _Table:
    """A stage's table as the run passes it on: in memory, or a stored table read only when
    something needs it. A run whose stages are all unchanged needs the last table only, and
    at 65k records each read cost ~1.7 s (acceptance testing: a no-change run took 11-21 s)."""

    def __init__(self, frame: pd.DataFrame | None = None, path: Path | None = None) -> None:
        self._frame, self._path = frame, path

    def get(self) -> pd.DataFrame:
        if self._frame is None:
            assert self._path is not None
            self._frame = read_table(self._path)
        return self._frame


def _stored(output_dir: Path, name: str, expected_hash: str) -> _Table | None:
    """The stage's stored table when its report is for ``expected_hash`` and vouches for it."""
    report_path = output_dir / f"{name}.json"
    table_path = output_dir / f"{name}.parquet"
    if not (report_path.exists() and table_path.exists()):
        return None
    try:
        stored = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if stored.get("input_hash") != expected_hash or table_replaced(output_dir, name, stored):
        return None
    if stored.get("table_sha256"):
        # the file is byte for byte the table this report was written with (table_replaced
        # checked its SHA-256), so it reads as it did then: read it only if it is needed
        return _Table(path=table_path)
    try:   # an older report, which does not vouch for the bytes: read now to know the table is whole
        return _Table(read_table(table_path))
    except Exception:  # a damaged table means we run again, not that we fail
        return None


def _claim_folder(review: ReviewConfig) -> None:
    """Record which TOML the output folder belongs to (:data:`screening.output_owner.OWNER_FILE`)."""
    marker, text = review.output_dir / OWNER_FILE, owner_text(review) + "\n"
    try:
        if marker.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    review.output_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(marker, text)


def _fresh_name(name: str) -> str:
    """Where a stage's new table is written before it replaces ``name`` (hidden, same folder)."""
    stem, _, ext = name.rpartition(".")
    return f".{stem}.new.{ext}"


def _write_stage(output_dir: Path, name: str, table: pd.DataFrame, report: StageReport, *,
                 history: dict[str, Any] | None = None, digest: tuple[str, ...] = ()) -> tuple[Path, StageReport]:
    """Write a stage's table (parquet, csv) and report; returns the parquet's path and the
    report as written (with the table's hash). Both tables are written beside the old ones
    first (the slow part); then the old report goes, the tables are renamed into place, and the
    new report comes last: at no point does a report vouch for tables it was not written with,
    and a run killed while writing (acceptance testing: `kill -9` mid-stage) leaves the previous
    run's files whole rather than deleted until the next run. The report's history line is
    appended before the report itself, so every report on disk is in the history (a line for a
    run interrupted before its report landed is harmless)."""
    report_path, csv = output_dir / f"{name}.json", output_dir / f"{name}.csv"
    parquet = output_dir / f"{name}.parquet"
    fresh = {path: path.with_name(_fresh_name(path.name)) for path in (parquet, csv)}
    try:
        report = dataclasses.replace(report, table_sha256=write_table(table, fresh[parquet]))
        write_table(table, fresh[csv])
        report_path.unlink(missing_ok=True)
        # the CSV with the parquet: a run killed between the two renames leaves no report,
        # which the next run and `status` read as a stage to redo
        for path, new in fresh.items():
            os.replace(new, path)
    finally:
        for new in fresh.values():
            new.unlink(missing_ok=True)
    if history is not None:
        append_history(output_dir, {**history, "stage": name, "report": history_report(report, digest)})
    atomic_write_text(report_path, report.to_json())   # last: it vouches for the rest
    return parquet, report


def _version_notes(output_dir: Path, name: str, version: str, table: pd.DataFrame,
                   decided: Callable[[], set[str]]) -> list[str]:
    """What a run says of a stage it rebuilds over another version's output (whose it was, and
    which records changed duplicate status or rule outcome with it): read before the stage's
    new output replaces the stored one. [] when the stored output is this version's."""
    note = rebuilt_note(name, _stored_report(output_dir, name), version)
    if not note:
        return []
    changes = decided_changes(name, previous_column(output_dir, name), table, decided())
    return [note, *([changes] if changes else [])]


def _missing_dirs(path: Path) -> list[Path]:
    """``path`` and its ancestors that do not exist yet, deepest first."""
    missing = []
    while not path.exists() and path.parent != path:
        missing.append(path)
        path = path.parent
    return missing


def run_review(review_path: str | Path, *, force: bool = False,
               progress: Callable[[str, str], None] | None = None,
               allow_changed_sources: bool = False, allow_changed_rules: bool = False,
               post_steps: bool = True) -> RunResult:
    """Run every enabled stage of a review in order; see the module docstring.

    A re-ingest that loses a record people have decided on, or gives its id to another record
    (an export edited in place, renamed, or dropped from [[sources]]), is refused before anything
    is written (:mod:`screening.identity`); ``allow_changed_sources`` runs anyway, with a warning.
    So is a run whose decision log is missing although the outputs show it existed
    (:func:`screening.decisions.lost_log.refuse_lost_log`).
    So are rules edited to exclude records people have screened (a stage's ``guard``), unless
    ``allow_changed_rules``; the stages before it are written (they are right either way).
    ``post_steps=False`` runs the stages only (no PRISMA outputs): for callers that need the
    ranking, such as ``rank`` and ``stop``, which a report's own problems must not block."""
    review = load_review(review_path)
    # a run without the log the outputs show existed (deleted, moved) would re-rank as if nobody
    # had screened, rewrite PRISMA as 'not started', and renumber decided records unguarded
    from screening.decisions.lost_log import refuse_lost_log

    refuse_lost_log(review.decisions_path, review.command_ref(), nothing="nothing was run or written")
    output_dir = review.output_dir
    # a run that fails before writing anything (a bad source file...) leaves no empty folder:
    # the folders it created are removed again if they are still empty
    created = _missing_dirs(output_dir)
    try:
        allowed = {"apply_rules"} if allow_changed_rules else set()     # stages whose guard is waived
        return _run(review, force=force, notify=progress or (lambda stage, status: None),
                    allow_changed_sources=allow_changed_sources, allowed=allowed, post_steps=post_steps)
    except BaseException:
        for folder in created:
            try:
                folder.rmdir()
            except FileNotFoundError:
                continue
            except OSError:       # not empty: something was written, leave it (and its parents)
                break
        raise


def _run(review: ReviewConfig, *, force: bool, notify: Callable[[str, str], None],
         allow_changed_sources: bool = False, allowed: set[str] | frozenset[str] = frozenset(),
         post_steps: bool = True) -> RunResult:
    output_dir = review.output_dir
    if not force:      # before anything is written: a newer version's outputs are not ours to redo
        refuse_newer_outputs({n: r for n in enabled_stage_names(review) if (r := _stored_report(output_dir, n))},
                             review.command_ref())
    # up to ~16 MB each, left by a run killed while it wrote (10 minutes: a write takes seconds)
    outputs = [f"{stage}.{ext}" for stage in enabled_stage_names(review) for ext in ("parquet", "csv", "json")]
    remove_stale_temp_files(output_dir, outputs + [OWNER_FILE], 600, scratch=[_fresh_name(n) for n in outputs])
    result = RunResult(review=review.name, output_dir=output_dir)
    # one time for the run, on each history line it appends; to the microsecond, as the decision
    # log's: which rules were in force at a decision is read by comparing the two
    history = {"time": datetime.now(timezone.utc).isoformat(timespec="microseconds"), "review": review.name}
    decided_once: list[set[str]] = []          # read once, and only if a stage needs them

    def decided() -> set[str]:
        if not decided_once:
            decided_once.append(decided_ids(review, output_dir)[0])
        return decided_once[0]

    with ExitStack() as files:     # big exports stay mapped only while ingest needs them
        sources = read_sources(review, files)
        raw_hash = hashlib.sha256()
        for s in sources:
            raw_hash.update(f"{s.name}|{s.database}|{s.format}|".encode())
            if s.method:           # (only when set, as the prefix below)
                raw_hash.update(f"method:{s.method}|".encode())
            if s.id_prefix:        # (only when set: reviews without searches keep their cache)
                raw_hash.update(f"{s.id_prefix}|".encode())
            raw_hash.update(s.digest)
        ingest_hash = hashlib.sha256(f"ingest:{INGEST_VERSION}:{__version__}:{raw_hash.hexdigest()}".encode()).hexdigest()

        stored = None if force else _stored(output_dir, "ingest", ingest_hash)
        if stored is not None:
            current = stored
            report = StageReport.from_dict(json.loads((output_dir / "ingest.json").read_text()))
            result.outcomes.append(StageOutcome("ingest", "unchanged", report, output_dir / "ingest.parquet"))
            notify("ingest", "unchanged")
        else:
            notify("ingest", "running")
            from screening.identity import moved_exports, previous_id_stems

            previous = previous_ingest(output_dir)
            stored_ingest = _stored_report(output_dir, "ingest")
            digests_before = ingested_digests(stored_ingest)
            digests_now = {s.name: s.digest.hex() for s in sources}
            moved = moved_exports(digests_before, digests_now)
            # an export moved or renamed as it was keeps its ids (they come from file names)
            stems = previous_id_stems(previous)
            stems.update({new: stems[old] for old, new in moved.items() if old in stems})
            res = ingest(sources, kept_stems=stems)
            report = dataclasses.replace(res.report, input_hash=ingest_hash, stage_version=INGEST_VERSION)
            # (reports before 0.21 do not name their ingest version: their input hash does)
            old_versions = (str((stored_ingest or {}).get("tool_version") or ""),
                            ingest_version_of(stored_ingest, raw_hash.hexdigest(), upto=50))
            note = rebuilt_note("ingest", stored_ingest and {**stored_ingest, "stage_version": old_versions[1]},
                                INGEST_VERSION)
            if note:
                report = dataclasses.replace(report, run_notes=[*report.run_notes, note])
            current = _Table(res.records)
            edited = edited_since(digests_before, digests_now.items())
            if edited:
                report = dataclasses.replace(report, run_notes=[*report.run_notes, edited_message(edited)])
            changed = decided_records_changed(review, output_dir, res.records, previous, moved)
            message, hint = changed.message(), (
                "restore the export or its [[sources]] entry as it was when the decisions were made (exports are "
                "immutable: add a corrected export as a new file); to run anyway, "
                f"`screening run {review.command_ref()} --allow-changed-sources` (decisions on lost ids stop "
                "counting; on renumbered ids they name the record the id has now)")
            if changed and digests_before and digests_before == digests_now and \
                    old_versions != (__version__, INGEST_VERSION) and old_versions[0] != "":
                # the exports are the bytes the last ingest read: the reader changed, not them
                message, hint = reread_message(changed, old_versions, (__version__, INGEST_VERSION),
                                               res.report.warnings, review.command_ref())
            if changed and not allow_changed_sources:
                raise InputError(message, path=changed.files[0] if changed.files else None, hint=hint)
            if changed:
                report = dataclasses.replace(report, run_notes=[*report.run_notes, message
                                                               + "; let through with --allow-changed-sources"])
            _claim_folder(review)
            path, report = _write_stage(output_dir, "ingest", res.records, report, history=history)
            result.outcomes.append(StageOutcome("ingest", "ran", report, path))
            notify("ingest", "ran")

    current_hash = ingest_hash
    for stage in registered_stages():
        if stage.name not in review.stages:
            continue
        config = review.stages[stage.name]
        inputs = stage.load_inputs(review) if stage.load_inputs else StageInputs(review_name=review.name)
        expected = stage_hash(current_hash, stage, config, inputs)
        stored = None if force else _stored(output_dir, stage.name, expected)
        if stored is not None:
            current = stored
            report = StageReport.from_dict(json.loads((output_dir / f"{stage.name}.json").read_text()))
            result.outcomes.append(StageOutcome(stage.name, "unchanged", report, output_dir / f"{stage.name}.parquet"))
            notify(stage.name, "unchanged")
        else:
            notify(stage.name, "running")
            table = current.get()
            before = table_hash(table)
            res = stage.run(table, config, inputs)
            if len(res.records) != len(table):
                raise RuntimeError(f"stage {stage.name} changed the row count: stages must mark, not drop")
            if table_hash(table) != before:
                raise RuntimeError(f"stage {stage.name} mutated its input table")
            if stage.rekey is not None:
                # keyed as the next run will read its inputs against this output (see Stage.rekey)
                expected = stage_hash(current_hash, stage, config, stage.rekey(inputs, res))
            report = dataclasses.replace(res.report, input_hash=expected, upstream_hash=current_hash,
                                         stage_version=stage.version)
            if stage.guard is not None and (refusal := stage.guard(
                    review, output_dir / f"{stage.name}.parquet", res.records)):
                if stage.name not in allowed:
                    raise ConfigError(refusal, path=review.path,
                                      hint=stage.allow_hint.format(review=review.command_ref()))
                report = dataclasses.replace(report, run_notes=[
                    *report.run_notes, f"{refusal}; let through with {stage.allow_option}"])
            notes = _version_notes(output_dir, stage.name, stage.version, res.records, decided)
            if notes:       # read before the new output replaces the stored one
                report = dataclasses.replace(report, run_notes=[*report.run_notes, *notes])
            current = _Table(res.records)
            path, report = _write_stage(output_dir, stage.name, res.records, report, history=history,
                                        digest=stage.history_digest)
            result.outcomes.append(StageOutcome(stage.name, "ran", report, path))
            notify(stage.name, "ran")
        current_hash = expected

    result.records = table = current.get()
    _claim_folder(review)      # a folder written before 0.13, or taken over by a renamed TOML
    if not post_steps:
        return result
    _load_post_steps()
    for name, step in POST_STEPS.items():
        notify(name, "running")
        result.post[name] = step(review, table)
        notify(name, "ran")
    return result
