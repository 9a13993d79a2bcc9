"""The last run as the read-only commands see it: is it still what the review's TOML says, did
it finish, and which records table it left.

Why apart from the runner: ``prisma``, ``export`` and ``status`` report from the stage outputs
on disk without running anything, so they must say when those outputs no longer match the TOML
(:func:`config_drift`) or come from a run interrupted between stages (:func:`unfinished_run`);
both read the stage reports only. :func:`latest_table` is the table those commands read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from screening.config import ReviewConfig, config_parameters
from screening.errors import NotRunError
from screening.raw_changes import file_sha256
from screening.records import read_table
from screening.stage import registered_stages


def config_drift(review: ReviewConfig, reports: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """What the review's TOML says now that its last run did not use: sources added or changed,
    stage settings (rules, dedup, rank) edited, stages enabled but never run. Read-only commands
    report from the last run's tables, so they must say when those no longer match the TOML
    (acceptance testing: a new source listed in the methods with the old record counts, a rule
    edited without a run still counted by its old reason). Reads the stage reports only, or
    uses ``reports`` (``prisma.state.load_stage_reports``) when the caller has them."""
    reports = last_reports(review, reports)
    out: list[str] = []
    if "ingest" not in reports:
        return out
    ran = {(str(s.get("file", "")), str(s.get("database", "")))
           for s in reports["ingest"].get("parameters", {}).get("sources", [])}
    new = [spec.file for spec in review.sources
           if (review.source_name(review.resolve(spec.file)), spec.database) not in ran]
    if new:
        out.append(f"[[sources]] added or changed since the last run ({', '.join(map(str, new[:3]))}"
                   + (" ..." if len(new) > 3 else "") + ")")
    later_ran = _later_ran(enabled_stage_names(review), reports, review.output_dir)
    for stage in registered_stages():
        if stage.name not in review.stages:
            continue
        if stage.name not in reports:
            if stage.name not in later_ran:     # else an unfinished run (unfinished_run says so)
                out.append(f"the {stage.name} stage has not run")
        elif _settings(reports[stage.name].get("parameters", {})) != _settings(
                config_parameters(review.stages[stage.name])):
            out.append(f"the {stage.name} settings changed since the last run")
    return out


def unfinished_run(review: ReviewConfig, reports: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Stage outputs made from an older output of the stage before them: a run interrupted (or
    refused by a stage's guard) after an earlier stage wrote its new output. The reports alone
    tell: each records the input hash of the output it was made from (``upstream_hash``), which
    must be its predecessor's current ``input_hash``. Reports written before that field: no word."""
    names = enabled_stage_names(review)
    reports = last_reports(review, reports)
    out = []
    # a stage's report is removed before it writes its new output and written last: a missing
    # report under a later stage's is a run stopped while that stage wrote (Ctrl-C, a full disk)
    for name in _later_ran(names, reports, review.output_dir):
        out.append(f"the {name} stage stopped while writing its output: its report is missing, "
                   "and the later stages' outputs are older")
    ran = [n for n in names if n in reports]
    for name in ran:
        if table_replaced(review.output_dir, name, reports[name]):
            out.append(f"{name}.parquet is not the table its last run wrote (replaced or restored from "
                       "a copy since)")
    for before, after in zip(ran, ran[1:]):
        upstream = reports[after].get("upstream_hash") or ""
        if upstream and upstream != reports[before].get("input_hash"):
            out.append(f"the {after} output was made from an older {before} output")
    return out


def table_replaced(output_dir: Path, name: str, report: dict[str, Any]) -> bool:
    """Whether ``<name>.parquet`` differs from the table written with ``report`` (its
    ``table_sha256``): restored from a backup or copied from another run's folder, it would be
    reported, and built on, as the output of a run that did not make it. Reports written before
    that field (and a missing table): False."""
    expected = report.get("table_sha256") or ""
    path = output_dir / f"{name}.parquet"
    if not expected or not path.exists():
        return False
    try:
        return file_sha256(path) != expected
    except OSError:
        return True


def _later_ran(names: tuple[str, ...], reports: dict[str, dict[str, Any]], output_dir: Path) -> list[str]:
    """Stages that wrote a table but have no report while a stage after them has one: stopped
    while writing (a stage added to the TOML after the last run has no table: it has not run)."""
    return [n for i, n in enumerate(names) if n not in reports and any(m in reports for m in names[i + 1:])
            and (output_dir / f"{n}.parquet").exists()]


def _settings(parameters: dict[str, Any]) -> str:
    # `stopped` (the older stop flag) is read from the TOML itself and takes effect without a run
    return json.dumps({k: v for k, v in parameters.items() if k != "stopped"}, sort_keys=True, default=str)


def enabled_stage_names(review: ReviewConfig) -> tuple[str, ...]:
    """"ingest" and the registered stages the review's TOML enables, in pipeline order."""
    return ("ingest", *(s.name for s in registered_stages() if s.name in review.stages))


def last_reports(review: ReviewConfig, reports: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """``reports`` when the caller has them, else the stage reports on disk (ingest's and every
    registered stage's), read once for both drift checks."""
    if reports is not None:
        return reports
    from screening.prisma.state import load_stage_reports

    return load_stage_reports(review.output_dir, enabled_stage_names(review))


def drift_warning(review: ReviewConfig, reports: dict[str, dict[str, Any]] | None = None) -> str:
    """One warning naming :func:`config_drift`'s and :func:`unfinished_run`'s findings ('' when
    the last run is current and finished)."""
    reports = last_reports(review, reports)
    drift, unfinished = config_drift(review, reports), unfinished_run(review, reports)
    if not drift and not unfinished:
        return ""
    said = [*([f"the review's TOML no longer matches its last run ({'; '.join(drift)})"] if drift else []),
            *([f"the last run did not finish ({'; '.join(unfinished)})"] if unfinished else [])]
    return (f"{'; and '.join(said)}: these figures are from the stage outputs on disk; run "
            f"`screening run {review.command_ref()}` to bring them up to date")


def latest_table(review: ReviewConfig) -> pd.DataFrame:
    """The records table after the last stage that has run (for screening and reports)."""
    for name in reversed(enabled_stage_names(review)):
        path = review.output_dir / f"{name}.parquet"
        if path.exists():
            return read_table(path)
    raise NotRunError("the review has not been run yet", path=review.path,
                     hint=f"run `screening run {review.command_ref()}` first")
