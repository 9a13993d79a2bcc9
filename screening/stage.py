"""The stage contract: a stage is a pure function ``(records, config, inputs) -> StageResult``.

No printing, no hidden I/O: whatever a stage needs beyond the records table and its config
(stored dedup decisions, the screening log, a seed) arrives in :class:`StageInputs`, and the
runner does all reading and writing. Stages never drop a row; they add columns.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

import pandas as pd

from screening import __version__


@dataclass(frozen=True)
class StageReport:
    """What a stage did, in numbers a PRISMA diagram or an auditor can use."""

    stage: str
    records_in: int
    records_out: int
    counts: dict[str, int] = field(default_factory=dict)        # e.g. {"duplicates": 310}
    reasons: dict[str, int] = field(default_factory=dict)       # per-reason counts (exclusions...)
    parameters: dict[str, Any] = field(default_factory=dict)    # the config actually used
    seed: int | None = None
    input_hash: str = ""                                         # hash of (input table, config, inputs)
    # the previous stage's input_hash when this one ran: a later stage whose upstream_hash is not
    # its predecessor's input_hash was made from an older output (a run interrupted between them)
    upstream_hash: str = ""
    # SHA-256 of the <stage>.parquet written with this report: a table replaced since (restored
    # from a backup, copied from another run) is not the output this report describes
    table_sha256: str = ""
    tool_version: str = __version__
    # the stage's own version (Stage.version; ingest's VERSION), set by the runner: which code
    # made the output within a release. '' in reports written before 0.21: unknown
    stage_version: str = ""
    warnings: list[str] = field(default_factory=list)
    # what the run that made this output noticed against the run before (an export edited since
    # the last ingest, a refusal let through with --allow-...): said once, by that run; kept here
    # and in history.jsonl for the audit trail, but not repeated when a later run reuses the output
    run_notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)       # stage-specific (per-source counts...)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StageReport":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class StageResult:
    records: pd.DataFrame
    report: StageReport


@dataclass(frozen=True)
class StageInputs:
    """Everything a stage may read besides the table. The runner fills it; stages only read it.

    ``review_dir`` is given so stages can *name* artefacts in reports, never to open files.
    """

    review_name: str = ""
    decisions: pd.DataFrame | None = None           # screening log view (rank learns from it)
    dedup_decisions: pd.DataFrame | None = None     # stored maybe-pair decisions
    previous: pd.DataFrame | None = None            # earlier search's records (search updates)
    extra: dict[str, Any] = field(default_factory=dict)
    # read by the stage but left out of its cache key: what of it can change the output is
    # summarised in ``extra`` (dedup: every decided record here, only those sharing a group there)
    unhashed: dict[str, Any] = field(default_factory=dict, metadata={"hashed": False})


class StageFn(Protocol):
    def __call__(self, records: pd.DataFrame, config: Any, inputs: StageInputs) -> StageResult: ...


@dataclass(frozen=True)
class Stage:
    """A registered table-to-table stage. ``config_type`` builds its config from a TOML table."""

    name: str                       # a verb: 'dedup', 'apply_rules', 'rank' ...
    order: int                      # position in a review's pipeline
    run: Callable[..., StageResult]
    config_type: type
    toml_key: str                   # section in the review TOML, e.g. 'dedup'
    version: str = "1"              # bump when the stage's output for the same input changes
    # Optional: gather what the stage needs besides the table (stored decisions, an earlier
    # search...). Called by the runner, which is the only place allowed to do I/O.
    load_inputs: Callable[[Any], StageInputs] | None = None
    # Optional, for a stage whose ``load_inputs`` summarises part of its inputs against its own
    # stored output (dedup: which decisions can change the kept records): given the inputs a run
    # used and its result, the inputs as the next run's ``load_inputs`` will read them once
    # this result is stored. The runner keys the stored report with them, so the next run
    # compares a key read against the same output.
    rekey: Callable[[StageInputs, "StageResult"], StageInputs] | None = None
    # Optional: a change of the review that people must confirm before it is written (rules
    # edited to exclude records already screened). Given the review, the path of the stage's
    # stored table (absent on its first run) and the new table, a message, or None. The
    # runner refuses the run with it unless ``allow_option`` was given.
    guard: Callable[[Any, Path, pd.DataFrame], str | None] | None = None
    allow_option: str = ""          # the `screening run` option that lets a guarded change through
    allow_hint: str = ""            # what to do instead, for the refusal ('{review}': the TOML's path)
    # Optional: keys of the report's ``details`` that history.jsonl keeps as a count and a
    # SHA-256 only (:func:`history_report`): long lists the stage's own report holds in full
    # (dedup's maybe-pairs, 2.3 MB at 65k records, were copied into every run's history line)
    history_digest: tuple[str, ...] = ()


def history_report(report: StageReport, digest: tuple[str, ...] = ()) -> dict[str, Any]:
    """``report`` as history.jsonl keeps it: whole, but for the ``details`` named in ``digest``,
    each kept as ``{"count", "sha256"}`` of its JSON (as in the report: sorted keys), which
    still shows whether an earlier run's list was the same as a later one's."""
    out = report.to_dict()
    details = dict(out.get("details") or {})
    for key in digest:
        if key in details:
            value = details[key]
            blob = json.dumps(value, sort_keys=True, default=str).encode()
            details[key] = {"count": len(value) if hasattr(value, "__len__") else None,
                            "sha256": hashlib.sha256(blob).hexdigest()}
    out["details"] = details
    return out


STAGES: dict[str, Stage] = {}


def register_stage(stage: Stage) -> Stage:
    if stage.name in STAGES:
        raise ValueError(f"stage {stage.name!r} registered twice")
    STAGES[stage.name] = stage
    return stage


def registered_stages() -> list[Stage]:
    # Imported here, not in screening/stages/__init__.py, so that `ingest` alone never pays
    # for scikit-learn and friends.
    from screening.stages import dedup, rank, rules  # noqa: F401  (each registers itself)

    return sorted(STAGES.values(), key=lambda s: s.order)
