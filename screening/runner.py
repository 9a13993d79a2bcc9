"""Run a review: read raw files -> ingest -> each enabled stage -> PRISMA outputs.

The runner is the only place that touches the file system for the pipeline. Each stage's
table is written as ``<stage>.parquet`` (lossless, for the tool) and ``<stage>.csv`` (for
people), with ``<stage>.json`` holding its :class:`StageReport`. All writes are atomic, and
the report is written *last*, so an interrupted run never leaves a report that vouches for a
missing or partial table. Re-running with nothing changed is a no-op: a stage whose input
hash matches its stored report is skipped and its stored table reused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from screening import __version__
from screening.config import ReviewConfig, config_parameters, load_review
from screening.errors import ConfigError, InputError, NotRunError
from screening.records import atomic_write_text, read_table, table_hash, to_csv_bytes, write_table
from screening.stage import Stage, StageInputs, StageReport, registered_stages
from screening.stages.ingest import RawSource, ingest, read_file, refuse_repeated


@dataclass(frozen=True)
class StageOutcome:
    stage: str
    status: str                  # 'ran' or 'unchanged'
    report: StageReport
    table_path: Path


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
    # Imported late: screening.prisma itself imports this module to register its step.
    import screening.prisma  # noqa: F401


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


def _stored(output_dir: Path, name: str, expected_hash: str) -> pd.DataFrame | None:
    report_path = output_dir / f"{name}.json"
    table_path = output_dir / f"{name}.parquet"
    if not (report_path.exists() and table_path.exists()):
        return None
    try:
        stored = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if stored.get("input_hash") != expected_hash:
        return None
    try:
        return read_table(table_path)
    except Exception:  # a damaged table means we run again, not that we fail
        return None


def _write_stage(output_dir: Path, name: str, table: pd.DataFrame, report: StageReport) -> Path:
    parquet = output_dir / f"{name}.parquet"
    write_table(table, parquet)
    write_table(table, output_dir / f"{name}.csv")
    atomic_write_text(output_dir / f"{name}.json", report.to_json())   # last: it vouches for the rest
    return parquet


def _search_sources(review: ReviewConfig) -> list[RawSource]:
    """Records fetched by `screening search` (saved raw responses, listed in the search log)."""
    from screening.search import sources_for_review  # late: search imports the ingest stage

    return list(sources_for_review(review))


def read_sources(review: ReviewConfig, files: ExitStack) -> list[RawSource]:
    """The review's exports and completed searches; big exports are memory-mapped until
    ``files`` closes."""
    searched = _search_sources(review)
    if not review.sources and not searched:
        raise ConfigError("the review lists no [[sources]]", path=review.path,
                          hint="add one [[sources]] table per export file")
    out = []
    for spec in review.sources:
        path = review.resolve(spec.file)
        if not path.is_file():
            raise InputError("source file not found", path=path,
                             hint=f"fix [[sources]] file = {spec.file!r} in {review.path.name}")
        try:
            name = str(path.resolve().relative_to(review.root))
        except ValueError:
            name = str(path)
        out.append(RawSource(name=name, data=read_file(path, files), database=spec.database, format=spec.format))
    refuse_repeated(out, searched)   # listed exports vs each other and the search pages, not page vs page
    return out + searched


def run_review(review_path: str | Path, *, force: bool = False,
               progress: Callable[[str, str], None] | None = None) -> RunResult:
    """Run every enabled stage of a review in order; see the module docstring."""
    review = load_review(review_path)
    output_dir = review.output_dir
    result = RunResult(review=review.name, output_dir=output_dir)
    notify = progress or (lambda stage, status: None)

    with ExitStack() as files:     # big exports stay mapped only while ingest needs them
        sources = read_sources(review, files)
        # only once the inputs are there: a review that cannot start leaves no empty folder
        output_dir.mkdir(parents=True, exist_ok=True)
        raw_hash = hashlib.sha256()
        for s in sources:
            raw_hash.update(f"{s.name}|{s.database}|{s.format}|".encode())
            raw_hash.update(s.digest)
        ingest_hash = hashlib.sha256(f"ingest:{__version__}:{raw_hash.hexdigest()}".encode()).hexdigest()

        table = None if force else _stored(output_dir, "ingest", ingest_hash)
        if table is not None:
            report = StageReport.from_dict(json.loads((output_dir / "ingest.json").read_text()))
            result.outcomes.append(StageOutcome("ingest", "unchanged", report, output_dir / "ingest.parquet"))
            notify("ingest", "unchanged")
        else:
            notify("ingest", "running")
            res = ingest(sources)
            report = dataclasses.replace(res.report, input_hash=ingest_hash)
            table = res.records
            path = _write_stage(output_dir, "ingest", table, report)
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
            table = stored
            report = StageReport.from_dict(json.loads((output_dir / f"{stage.name}.json").read_text()))
            result.outcomes.append(StageOutcome(stage.name, "unchanged", report, output_dir / f"{stage.name}.parquet"))
            notify(stage.name, "unchanged")
        else:
            notify(stage.name, "running")
            before = table_hash(table)
            res = stage.run(table, config, inputs)
            if len(res.records) != len(table):
                raise RuntimeError(f"stage {stage.name} changed the row count: stages must mark, not drop")
            if table_hash(table) != before:
                raise RuntimeError(f"stage {stage.name} mutated its input table")
            report = dataclasses.replace(res.report, input_hash=expected)
            table = res.records
            path = _write_stage(output_dir, stage.name, table, report)
            result.outcomes.append(StageOutcome(stage.name, "ran", report, path))
            notify(stage.name, "ran")
        current_hash = expected

    result.records = table
    _load_post_steps()
    for name, step in POST_STEPS.items():
        notify(name, "running")
        result.post[name] = step(review, table)
        notify(name, "ran")
    return result


def latest_table(review: ReviewConfig) -> pd.DataFrame:
    """The records table after the last stage that has run (for screening and reports)."""
    names = ["ingest"] + [s.name for s in registered_stages() if s.name in review.stages]
    for name in reversed(names):
        path = review.output_dir / f"{name}.parquet"
        if path.exists():
            return read_table(path)
    raise NotRunError("the review has not been run yet", path=review.path,
                     hint=f"run `screening run {review.path}` first")
