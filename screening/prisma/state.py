"""A review's recorded state, as PRISMA reads it: ``load_state(review) -> ReviewState``.

Everything the counts and the report are computed from, loaded from disk and nothing else:
the records table (the last stage run), the decision log and its per-stage outcomes (a review
without a log is 'screening not started'), the stage reports (``<output_dir>/<stage>.json``),
the searches (the TOML's exports and the API search log), the stopping decision (read by
:mod:`screening.prisma.stopping_state` from the rank report and the log's stops), the possible
duplicate pairs still waiting, and the *review-state hash*: a sha256 over all of it and the
review config, so the same state gives byte-identical outputs (:mod:`screening.prisma.api`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from screening.config import ReviewConfig
from screening.decisions.agreement import agreement_report
from screening.decisions.declared import declaration_warnings
from screening.decisions.dual_screening import plan_gap_warnings
from screening.decisions.entries import load_entries, standing_decisions
from screening.decisions.outcomes import final_decisions, record_outcomes
from screening.decisions.reasons import stage_reason_names
from screening.decisions.stops import read_stops
from screening.decisions.store import STAGES
from screening.dedup.store import load_decisions as load_dedup_decisions
from screening.errors import ReportError
from screening.prisma.counts import decisions_on
from screening.prisma.searches import search_shortfall, shortfall_warnings
from screening.prisma.state_checks import (
    decided_on_other_records_warnings, maybe_pair_state, maybe_pair_warnings, missed_by_stop_warnings,
    unfinished_search_warnings, unknown_register_warnings,
)
from screening.prisma.stopping_state import Stopping, standing_stopping, stopping_state
from screening.records import conform, to_csv_bytes
from screening.record_marks import in_play as in_play_mask, other_report_ids

SEARCH_COLUMNS = ("database", "interface", "query", "date_run", "limits", "records", "tool_version", "notes")
# a logged search's shortfall (reported - served), which the methods and warnings state; hashed
# apart and only where there is one, so states without a shortfall keep their hash
SEARCH_SHORTFALL = "shortfall"
_TIME_COLUMNS = ("timestamp", "ts", "created_at", "decided_at", "time", "at", "date")
_STAGE_REPORTS = ("ingest", "dedup", "apply_rules", "rank")


@dataclass(frozen=True)
class ReviewState:
    records: pd.DataFrame
    entries: pd.DataFrame | None
    ta_finals: pd.DataFrame | None
    ft_finals: pd.DataFrame | None
    stage_reports: dict[str, dict[str, Any]]
    searches: pd.DataFrame
    stopping: Stopping
    kappa: dict[str, float]
    state_hash: str
    state_time: str
    warnings: tuple[str, ...] = ()
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)   # stage -> record_outcomes
    # records still in screening (not a duplicate, not excluded by a rule): every figure of the
    # report -- counts, kappa, the methods paragraph's screening facts -- is over these
    in_play: frozenset[str] = frozenset()
    other_reports: frozenset[str] = frozenset()   # reports sought that other methods identified
    play_entries: pd.DataFrame | None = None      # the log's events on those records
    # possible duplicate pairs (dedup.json's queue) whose copies the counts hold as separate
    # records: nobody has decided them, or a decision came after deduplication last ran
    maybe_pairs_undecided: int = 0
    maybe_pairs_unapplied: int = 0
    dedup_decisions: pd.DataFrame | None = None      # the dedup-review log (None: no dedup stage)
    # stage -> records a pair of reviewers both decided, every decision the same (κ undefined)
    unanimous: dict[str, int] = field(default_factory=dict)


RULES_WARNING = "rules: "       # the rules stage's own warnings, repeated in the report


def load_stage_reports(output_dir: Path, names: tuple[str, ...] = _STAGE_REPORTS) -> dict[str, dict[str, Any]]:
    """The StageReport JSON of each named stage that has run (missing ones are left out)."""
    out = {}
    for name in names:
        path = output_dir / f"{name}.json"
        if path.is_file():
            try:
                out[name] = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as err:
                raise ReportError(f"stage report is not valid JSON: {err}", path=path,
                                  hint="re-run `screening run --force`") from None
    return out


def searches_frame(rows: list[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Normalise searches (database, interface, query, date_run, limits, records, tool_version,
    notes, shortfall)."""
    df = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    for col in (*SEARCH_COLUMNS, SEARCH_SHORTFALL):
        if col not in df.columns:
            df[col] = ""
    df = df[[*SEARCH_COLUMNS, SEARCH_SHORTFALL]].astype(object).where(lambda d: d.notna(), "")
    return df.map(lambda v: json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else str(v))


def load_searches(review: ReviewConfig) -> pd.DataFrame:
    """Every search of the review: the TOML's [[sources]] (exports the team ran themselves)
    and the log written by `screening search` (API searches), in that order. A review mixing
    both used to report only the API searches, leaving every export out of the methods."""
    rows = [{"database": s.method.strip() or s.database or Path(s.file).name, "interface": s.interface, "query": s.query,
             "date_run": s.date_searched, "limits": "", "records": "", "tool_version": "", "notes": s.notes}
            for s in review.sources]
    for path in (review.output_dir / "search_log.jsonl", review.output_dir / "searches" / "search_log.jsonl"):
        if path.is_file():
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError:
                        raise ReportError("search log line is not JSON", path=path, line=i,
                                          hint="the log is append-only JSONL; repair or remove that line") from None
            break
    return searches_frame(rows)


def load_decisions(review: ReviewConfig, other_reports: frozenset[str] = frozenset()) -> tuple[pd.DataFrame | None, pd.DataFrame | None,
                                                  pd.DataFrame | None, list[str], dict[str, dict[str, Any]]]:
    """(entries, title/abstract finals, full-text finals, warnings, outcomes per stage); Nones
    = screening not started. Each stage's record outcomes are worked out once, here, and the
    finals, the open records and the methods' counts are all read from them. ``other_reports``:
    the records other methods identified, which are reports sought without a title/abstract
    decision (:func:`screening.record_marks.other_method_reports`)."""
    path = review.decisions_path
    if not path.exists():
        return None, None, None, [], {}
    entries = load_entries(path)
    outcomes = {stage: record_outcomes(entries, stage) for stage in STAGES}
    warnings = []
    ft = final_decisions(entries, "full_text", outcomes, other_reports)       # (reports sought only)
    counted = set(ft["record_id"])
    orphans = [rid for rid, o in outcomes["full_text"].items() if o.status == "final" and rid not in counted]
    if orphans:
        per_record = decisions_per_record(outcomes).get("full_text", {})
        # (a report another method found is sought without a title/abstract include: one that is
        # an orphan has become a database record's duplicate, or its source a database)
        found = " nor a report another method found" if other_reports else ""
        warnings.append(f"{decisions_on('full-text', orphans, per_record)} no longer included at "
                        f"title/abstract{found} (e.g. {orphans[0]}): not counted")
    if "is_demo" in entries.columns and int(entries["is_demo"].astype(int).sum()):
        warnings.append(f"{int(entries['is_demo'].astype(int).sum())} of {len(entries)} decision-log events are "
                        "demonstration data (is_demo), not real screening")
    return entries, final_decisions(entries, "title_abstract", outcomes), ft, warnings, outcomes


def decisions_per_record(outcomes: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per stage, the standing decisions behind each record's outcome (its screeners' and its
    adjudicator's): a final is one row per record, a warning about it counts decisions."""
    return {stage: {rid: len(o.screeners) + (o.adjudicator is not None) for rid, o in by.items()}
            for stage, by in outcomes.items()}


def _agreement(entries: pd.DataFrame | None,
               in_play: set[str] | None = None) -> tuple[dict[str, float], dict[str, int]]:
    """Cohen's kappa per stage (screening.decisions.agreement), pooled over reviewer pairs, and
    per stage the records both reviewers of a pair decided where κ is undefined.

    With several pairs κ is their mean weighted by records both decided. ``in_play``: only
    decisions on records still in screening count, as in every other figure of the report (a
    rule changed after screening takes its records out of the counts and the kappa). κ is
    undefined where every decision of both is the same (all excluded, say): they agreed on all
    of them, and a report says that rather than 'could not be computed' (acceptance testing)."""
    if entries is None or len(entries) == 0:
        return {}, {}
    if in_play is not None:
        entries = _in_play_rows(entries, frozenset(in_play))
    sums: dict[str, tuple[float, int]] = {}
    undefined: set[str] = set()
    for pair in agreement_report(entries):
        k, n = float(pair.stats.kappa), int(pair.stats.n)
        if k == k and n > 0:
            total, weight = sums.get(pair.stage, (0.0, 0))
            sums[pair.stage] = (total + k * n, weight + n)
        elif n > 0:
            undefined.add(pair.stage)
    # the records (not pairs times records: three reviewers on 4 records are 4) that two or
    # more screeners decided, at a stage where no pair's κ is defined
    unanimous = {stage: sum(1 for by in standing_decisions(entries, stage).values()
                            if sum(role == "screener" for _, role in by) >= 2)
                 for stage in sorted(undefined - set(sums))}
    # unrounded: the methods paragraph rounds to 2 places and prisma.json to 3 (rounding twice
    # made 0.8451 read 0.84, where `agreement` says 0.845)
    return {stage: total / weight for stage, (total, weight) in sorted(sums.items())}, unanimous


def review_stopping(review: ReviewConfig) -> Stopping:
    """Whether and where title/abstract screening is stopped by the stopping rule (as PRISMA reads it)."""
    reports = load_stage_reports(review.output_dir, ("rank",)) if "rank" in review.stages else {}
    return stopping_state(review, reports)


def _latest_time(entries: pd.DataFrame | None, searches: pd.DataFrame, stops: list[Any] | None = None,
                 dedup_decisions: pd.DataFrame | None = None) -> str:
    """The latest timestamp recorded in the state (ISO 8601), or '' when none is recorded:
    decisions, searches, stops and resumes, and duplicate-pair answers (acceptance testing:
    a report describing a stop was dated before the stop, as it read the decisions only)."""
    values: list[pd.Series] = []
    if entries is not None:
        for col in _TIME_COLUMNS:
            if col in entries.columns:
                values.append(entries[col].astype(str))
                break
    values.append(searches["date_run"].astype(str))
    if stops:
        values.append(pd.Series([str(e.created_at) for e in stops], dtype=object))
    if dedup_decisions is not None and "decided_at" in dedup_decisions.columns:
        values.append(dedup_decisions["decided_at"].astype(str))
    stamps = pd.to_datetime(pd.concat(values, ignore_index=True), errors="coerce", utc=True, format="mixed")
    stamps = stamps.dropna()
    if stamps.empty:
        return ""
    latest = stamps.max()
    return latest.strftime("%Y-%m-%dT%H:%M:%SZ") if (latest.hour, latest.minute, latest.second) != (0, 0, 0) \
        else latest.strftime("%Y-%m-%d")


# what a stage report holds only to decide whether the next run may reuse its output: a stored
# output reused after the log grew and the same output made afresh differ here and nowhere else
_CACHE_KEYS = ("input_hash", "upstream_hash")
# and what the run that made it noticed against the run before (an export edited since): the
# same tables and decisions are the same state whether their outputs were made then or afresh
_RUN_KEYS = ("run_notes",)
_CACHE_DETAILS = ("decided_in_groups",)


def _results_only(reports: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The reports without their cache bookkeeping (:data:`_CACHE_KEYS`), as the state hash
    reads them: the same review state must give the same hash however its outputs were made."""
    out = {}
    for name, report in reports.items():
        kept = {k: v for k, v in report.items() if k not in _CACHE_KEYS and k not in _RUN_KEYS}
        if isinstance(kept.get("details"), dict):
            kept["details"] = {k: v for k, v in kept["details"].items() if k not in _CACHE_DETAILS}
        out[name] = kept
    return out


def state_hash(records: pd.DataFrame, entries: pd.DataFrame | None, searches: pd.DataFrame,
               reports: dict[str, dict[str, Any]], config_raw: Any,
               dedup_decisions: pd.DataFrame | None = None, stops: list[Any] | None = None) -> str:
    h = hashlib.sha256()
    if entries is not None and "tool_version" in entries.columns and entries["tool_version"].isna().all():
        # the version each event was recorded with (log format 5) only when one is: a log whose
        # events record none (an older log, read as it is) keeps its state's hash
        entries = entries.drop(columns="tool_version")
    parts = [
        ("records", to_csv_bytes(conform(records))),   # canonical form: in-memory == re-read table
        ("decisions", to_csv_bytes(entries) if entries is not None else b""),
        ("searches", to_csv_bytes(searches[list(SEARCH_COLUMNS)])),
        ("reports", json.dumps(_results_only(reports), sort_keys=True, default=str).encode()),
        ("config", json.dumps(config_raw, sort_keys=True, default=str).encode()),
    ]
    # the report says which queued pairs were decided since dedup ran, so the store is part of
    # the state; only when it holds decisions, so a review without any keeps its hash
    if dedup_decisions is not None and len(dedup_decisions):
        parts.append(("dedup_decisions", to_csv_bytes(dedup_decisions)))
    shortfalls = [search_shortfall(v) for v in searches.get(SEARCH_SHORTFALL, ())]
    if any(shortfalls):    # only when any: older states keep their hash
        parts.append(("search_shortfalls", json.dumps(shortfalls).encode()))
    if stops:              # logged stops and resumes (only when any: older states keep their hash)
        parts.append(("stops", json.dumps([dataclasses.asdict(e) for e in stops], sort_keys=True).encode()))
    for label, blob in parts:
        h.update(label.encode() + b"\0" + hashlib.sha256(blob).digest())
    return h.hexdigest()


def load_state(review: ReviewConfig, *, records: pd.DataFrame | None = None,
               ta_finals: pd.DataFrame | None = None, ft_finals: pd.DataFrame | None = None) -> ReviewState:
    """Everything PRISMA needs from disk. ``records``/finals may be given (runner, tests)."""
    if records is None:
        from screening.last_run import latest_table

        records = latest_table(review)
    other_reports = other_report_ids(records)
    entries, ta, ft, warnings, outcomes = load_decisions(review, other_reports)
    if ta_finals is not None or ft_finals is not None:
        ta, ft = ta_finals, ft_finals
    from screening.last_run import enabled_stage_names

    # only stages the review enables: a stage dropped from the TOML leaves a stale report behind
    reports = load_stage_reports(review.output_dir, enabled_stage_names(review))
    searches = load_searches(review)
    dedup_decisions = load_dedup_decisions(review.output_dir) if "dedup" in reports else None
    stops = read_stops(review.decisions_path)
    digest = state_hash(records, entries, searches, reports, review.raw, dedup_decisions, stops)
    if entries is None and (ta is not None or ft is not None):   # finals given directly (tests, API)
        h = hashlib.sha256(digest.encode())
        for label, frame in (("ta", ta), ("ft", ft)):
            h.update(label.encode() + b"\0" + (to_csv_bytes(frame) if frame is not None else b""))
        digest = h.hexdigest()
    from screening.review_checks import review_warnings

    warnings += review_warnings(review, reports)
    warnings += unfinished_search_warnings(review)
    warnings += shortfall_warnings(searches)
    stopping, stop_warnings = standing_stopping(review, reports, stops, records, entries)
    warnings += stop_warnings
    warnings += missed_by_stop_warnings(stopping, ta)
    # what the rules could not check shapes the 'excluded by automation' box: the report says so
    warnings += [RULES_WARNING + w for w in reports.get("apply_rules", {}).get("warnings", [])]
    undecided, unapplied = maybe_pair_state(reports.get("dedup"), dedup_decisions)
    warnings += maybe_pair_warnings(undecided, unapplied)
    in_play = frozenset(records.loc[in_play_mask(records), "record_id"].astype(str))
    warnings += decided_on_other_records_warnings(records, entries, in_play | other_reports)
    warnings += declaration_warnings(review, entries, outcomes, ft)
    warnings += plan_gap_warnings(records, entries, stopping.closes)
    warnings += unknown_register_warnings(review, records)
    # each reason once, under one spelling (the declared one), in every box, table and file;
    # the warnings above name the spellings merged (the log keeps them as recorded)
    ta, ft = (stage_reason_names(review, stage, frame, outcomes.get(stage)).rename(frame)
              for stage, frame in (("title_abstract", ta), ("full_text", ft)))
    # filtered once: kappa and the paragraph (full-text decisions on other methods' reports too)
    play_entries = _in_play_rows(entries, in_play | other_reports)
    kappa, unanimous = _agreement(play_entries)
    return ReviewState(
        records=records, entries=entries, ta_finals=ta, ft_finals=ft, stage_reports=reports,
        searches=searches, stopping=stopping, kappa=kappa, unanimous=unanimous,
        state_hash=digest, state_time=_latest_time(entries, searches, stops, dedup_decisions), warnings=tuple(warnings),
        outcomes=outcomes, in_play=in_play, other_reports=other_reports, play_entries=play_entries,
        maybe_pairs_undecided=undecided, maybe_pairs_unapplied=unapplied, dedup_decisions=dedup_decisions,
    )


def _in_play_rows(frame: pd.DataFrame | None, in_play: frozenset[str]) -> pd.DataFrame | None:
    """The rows of a decision frame (log entries, finals) about records still in screening."""
    if frame is None or "record_id" not in frame.columns:
        return frame
    return frame[frame["record_id"].astype(str).isin(in_play)]
