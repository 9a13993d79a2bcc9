"""Gather a review's state and write every PRISMA output: ``generate(review) -> PrismaResult``.

This is the only I/O in the package. It loads the records table (the last stage run), the
decision log views (lazily: a review with no log is simply 'screening not started'), the
stage reports (``<output_dir>/<stage>.json``) and the search log, computes the counts
(:mod:`screening.prisma.counts`) and writes ``prisma.json``, ``prisma.csv``, the diagram
(SVG/PNG/PDF) and ``report.md``/``report.html``.

Reproducibility: the *review-state hash* is a sha256 over the records table, the decision
log entries, the search log, the stage reports read and the review config; the *time* is
the latest timestamp found in that state (decisions, searches run, dates searched), never
the wall clock. The same state therefore gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from screening import __version__
from screening.config import ReviewConfig, load_review
from screening.decisions.agreement import agreement_report
from screening.decisions.store import STAGES
from screening.decisions.views import (
    event_payload, final_decisions, load_entries, open_records, record_outcomes, standing_decisions,
)
from screening.dedup.api import latest_decisions, pair_key
from screening.dedup.store import load_decisions as load_dedup_decisions
from screening.errors import ReportError
from screening.prisma.counts import PrismaCounts, compute_counts, decisions_on
from screening.prisma.diagram import write_diagrams
from screening.prisma.report import (ReportContext, citation_line, funnel_line, per_source_rows, stage_screening,
                                     to_html, to_markdown)
from screening.prisma.template import to_csv
from screening.records import atomic_write_text, conform, in_play as in_play_mask, to_csv_bytes

SEARCH_COLUMNS = ("database", "interface", "query", "date_run", "limits", "records", "tool_version")
_TIME_COLUMNS = ("timestamp", "ts", "created_at", "decided_at", "time", "at", "date")
_STAGE_REPORTS = ("ingest", "dedup", "apply_rules", "rank")


@dataclass(frozen=True)
class Stopping:
    """Whether the team stopped title/abstract screening early, by which rule, at what recall."""

    stopped: bool = False
    rule: str = ""
    recall_estimate: float | None = None
    source: str = ""            # where we read it (rank.json, config)
    met: bool | None = None     # whether the rule's test was met when the ranking last ran
    p_value: float | None = None


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
    play_entries: pd.DataFrame | None = None      # the log's events on those records
    # possible duplicate pairs (dedup.json's queue) whose copies the counts hold as separate
    # records: nobody has decided them, or a decision came after deduplication last ran
    maybe_pairs_undecided: int = 0
    maybe_pairs_unapplied: int = 0


@dataclass(frozen=True)
class PrismaResult:
    counts: PrismaCounts
    state: ReviewState
    files: dict[str, Path] = field(default_factory=dict)
    citation: str = ""

    def summary(self) -> dict[str, Any]:
        """Short JSON-able summary (what `screening run` prints)."""
        # labelled: the bare numbers only say what they count in report.md
        return {"funnel (identified → screened → sought → assessed → included)": funnel_line(self.counts),
                "state": self.state.state_hash[:12],
                "dir": str(next(iter(self.files.values())).parent) if self.files else "",
                "warnings": list(self.state.warnings) + list(self.counts.warnings)}


# ---- loading ---------------------------------------------------------------------------------


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
    """Normalise searches (database, interface, query, date_run, limits, records, tool_version)."""
    df = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    for col in SEARCH_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    df = df[list(SEARCH_COLUMNS)].astype(object).where(lambda d: d.notna(), "")
    return df.map(lambda v: json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else str(v))


def load_searches(review: ReviewConfig) -> pd.DataFrame:
    """Every search of the review: the TOML's [[sources]] (exports the team ran themselves)
    and the log written by `screening search` (API searches), in that order. A review mixing
    both used to report only the API searches, leaving every export out of the methods."""
    rows = [{"database": s.database or Path(s.file).name, "interface": s.interface, "query": s.query,
             "date_run": s.date_searched, "limits": "", "records": "", "tool_version": ""}
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


def load_decisions(review: ReviewConfig) -> tuple[pd.DataFrame | None, pd.DataFrame | None,
                                                  pd.DataFrame | None, list[str], dict[str, dict[str, Any]]]:
    """(entries, title/abstract finals, full-text finals, warnings, outcomes per stage); Nones
    = screening not started. Each stage's record outcomes are worked out once, here, and the
    finals, the open records and the methods' counts are all read from them."""
    path = review.decisions_path
    if not path.exists():
        return None, None, None, [], {}
    entries = load_entries(path)
    outcomes = {stage: record_outcomes(entries, stage) for stage in STAGES}
    warnings = []
    ft = final_decisions(entries, "full_text", outcomes)       # (reports sought only)
    counted = set(ft["record_id"])
    orphans = [rid for rid, o in outcomes["full_text"].items() if o.status == "final" and rid not in counted]
    if orphans:
        per_record = decisions_per_record(outcomes).get("full_text", {})
        warnings.append(f"{decisions_on('full-text', orphans, per_record)} no longer included at "
                        f"title/abstract (e.g. {orphans[0]}): not counted")
    if "is_demo" in entries.columns and int(entries["is_demo"].astype(int).sum()):
        warnings.append(f"{int(entries['is_demo'].astype(int).sum())} of {len(entries)} decision-log events are "
                        "demonstration data (is_demo), not real screening")
    return entries, final_decisions(entries, "title_abstract", outcomes), ft, warnings, outcomes


def decisions_per_record(outcomes: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per stage, the standing decisions behind each record's outcome (its screeners' and its
    adjudicator's): a final is one row per record, a warning about it counts decisions."""
    return {stage: {rid: len(o.screeners) + (o.adjudicator is not None) for rid, o in by.items()}
            for stage, by in outcomes.items()}


def _kappa(entries: pd.DataFrame | None, in_play: set[str] | None = None) -> dict[str, float]:
    """Cohen's kappa per stage (screening.decisions.agreement), pooled over reviewer pairs.

    With several pairs the value is their mean weighted by records both decided. ``in_play``:
    only decisions on records still in screening count, as in every other figure of the
    report (a rule changed after screening takes its records out of the counts and the kappa).
    """
    if entries is None or len(entries) == 0:
        return {}
    if in_play is not None:
        entries = _in_play_rows(entries, frozenset(in_play))
    sums: dict[str, tuple[float, int]] = {}
    for pair in agreement_report(entries):
        k, n = float(pair.stats.kappa), int(pair.stats.n)
        if k == k and n > 0:
            total, weight = sums.get(pair.stage, (0.0, 0))
            sums[pair.stage] = (total + k * n, weight + n)
    return {stage: round(total / weight, 3) for stage, (total, weight) in sorted(sums.items())}


def stopping_state(review: ReviewConfig, reports: dict[str, dict[str, Any]]) -> Stopping:
    """Read the stopping decision from rank.json (details.stopping / details) or the [rank] config."""
    rank = reports.get("rank", {})
    details = rank.get("details", {}) or {}
    info = details.get("stopping") if isinstance(details.get("stopping"), dict) else details
    stopped = bool(info.get("stopped", False))
    rule = str(info.get("rule") or info.get("stopping_rule") or "")
    recall = info.get("recall_estimate", info.get("estimated_recall"))
    source = "rank.json" if stopped else ""
    cfg = review.stages.get("rank")
    raw = review.raw.get("rank", {}) if isinstance(review.raw.get("rank"), dict) else {}
    if "stopped" in raw:
        # the team's decision as the TOML says it now wins over a rank.json written before it
        # changed (`stopped = false` after a premature stop takes effect without re-ranking)
        if not bool(raw["stopped"]):
            return Stopping(stopped=False, rule=rule)
        if not stopped:
            stopped, source = True, "config"
    elif not stopped and getattr(cfg, "stopped", False):
        stopped, source = True, "config"
    if stopped and source == "config":
        rule = rule or str(getattr(cfg, "stop_rule", "") or raw.get("stop_rule", ""))
    recall_f = float(recall) if isinstance(recall, (int, float)) else None
    met = info.get("met") if isinstance(info.get("met"), bool) else None
    p = info.get("p_value")
    return Stopping(stopped=stopped, rule=rule, recall_estimate=recall_f, source=source, met=met,
                    p_value=float(p) if isinstance(p, (int, float)) else None)


def _unfinished_searches(review: ReviewConfig) -> list[str]:
    """'PubMed: asthma' for each search that started and is still to be resumed (interrupted)."""
    from screening.search.log import read_searches

    # 'running' only: an abandoned search (restarted with --restart) stays in the journal for
    # good, and advising to resume it would start a duplicate
    return [f"{e.database}: {e.query}" for e in read_searches(review) if e.status == "running"]


def review_stopped(review: ReviewConfig) -> bool:
    """Whether title/abstract screening is stopped by the stopping rule (as PRISMA reads it)."""
    reports = load_stage_reports(review.output_dir, ("rank",)) if "rank" in review.stages else {}
    return stopping_state(review, reports).stopped


def _latest_time(entries: pd.DataFrame | None, searches: pd.DataFrame) -> str:
    """The latest timestamp recorded in the state (ISO 8601), or '' when none is recorded."""
    values: list[pd.Series] = []
    if entries is not None:
        for col in _TIME_COLUMNS:
            if col in entries.columns:
                values.append(entries[col].astype(str))
                break
    values.append(searches["date_run"].astype(str))
    stamps = pd.to_datetime(pd.concat(values, ignore_index=True), errors="coerce", utc=True, format="mixed")
    stamps = stamps.dropna()
    if stamps.empty:
        return ""
    latest = stamps.max()
    return latest.strftime("%Y-%m-%dT%H:%M:%SZ") if (latest.hour, latest.minute, latest.second) != (0, 0, 0) \
        else latest.strftime("%Y-%m-%d")


def state_hash(records: pd.DataFrame, entries: pd.DataFrame | None, searches: pd.DataFrame,
               reports: dict[str, dict[str, Any]], config_raw: Any,
               dedup_decisions: pd.DataFrame | None = None) -> str:
    h = hashlib.sha256()
    parts = [
        ("records", to_csv_bytes(conform(records))),   # canonical form: in-memory == re-read table
        ("decisions", to_csv_bytes(entries) if entries is not None else b""),
        ("searches", to_csv_bytes(searches)),
        ("reports", json.dumps(reports, sort_keys=True, default=str).encode()),
        ("config", json.dumps(config_raw, sort_keys=True, default=str).encode()),
    ]
    # the report says which queued pairs were decided since dedup ran, so the store is part of
    # the state; only when it holds decisions, so a review without any keeps its hash
    if dedup_decisions is not None and len(dedup_decisions):
        parts.append(("dedup_decisions", to_csv_bytes(dedup_decisions)))
    for label, blob in parts:
        h.update(label.encode() + b"\0" + hashlib.sha256(blob).digest())
    return h.hexdigest()


def maybe_pair_state(dedup_report: dict[str, Any] | None, decisions: pd.DataFrame | None) -> tuple[int, int]:
    """(undecided, decided since dedup ran) of the possible duplicate pairs dedup.json queued.

    The dedup stage queues only pairs without a standing dedup-review decision (the latest
    one per pair, unless it is a reopen); a pair decided after that run is not applied to the
    table the counts come from, so it is told apart rather than called undecided."""
    if not dedup_report:
        return 0, 0
    listed = (dedup_report.get("details") or {}).get("maybe_pairs")
    if not isinstance(listed, list):         # a report without the list: its count only
        return int((dedup_report.get("counts") or {}).get("maybe_pairs", 0) or 0), 0
    standing = latest_decisions(decisions)
    decided = sum(pair_key(str(p.get("id_a", "")), str(p.get("id_b", ""))) in standing for p in listed)
    return len(listed) - decided, decided


def _pairs(n: int) -> str:
    return f"{n} possible duplicate pair{'s' if n != 1 else ''}"


def _maybe_pair_warnings(undecided: int, unapplied: int) -> list[str]:
    out = []
    if undecided:
        out.append(f"{_pairs(undecided)} {'was' if undecided == 1 else 'were'} undecided when these counts were "
                   "made: the copies in each pair are counted as separate records; decide them with "
                   "`screening dedup-review REVIEW`, then `screening run`")
    if unapplied:
        out.append(f"{_pairs(unapplied)} decided in dedup-review since deduplication last ran "
                   f"{'is' if unapplied == 1 else 'are'} not applied to these counts: run `screening run`")
    return out


def load_state(review: ReviewConfig, *, records: pd.DataFrame | None = None,
               ta_finals: pd.DataFrame | None = None, ft_finals: pd.DataFrame | None = None) -> ReviewState:
    """Everything PRISMA needs from disk. ``records``/finals may be given (runner, tests)."""
    if records is None:
        from screening.runner import latest_table

        records = latest_table(review)
    entries, ta, ft, warnings, outcomes = load_decisions(review)
    if ta_finals is not None or ft_finals is not None:
        ta, ft = ta_finals, ft_finals
    # only stages the review enables: a stage dropped from the TOML leaves a stale report behind
    enabled = tuple(n for n in _STAGE_REPORTS if n == "ingest" or n in review.stages)
    reports = load_stage_reports(review.output_dir, enabled)
    searches = load_searches(review)
    dedup_decisions = load_dedup_decisions(review.output_dir) if "dedup" in reports else None
    digest = state_hash(records, entries, searches, reports, review.raw, dedup_decisions)
    if entries is None and (ta is not None or ft is not None):   # finals given directly (tests, API)
        h = hashlib.sha256(digest.encode())
        for label, frame in (("ta", ta), ("ft", ft)):
            h.update(label.encode() + b"\0" + (to_csv_bytes(frame) if frame is not None else b""))
        digest = h.hexdigest()
    unfinished = _unfinished_searches(review)
    if unfinished:
        warnings.append(f"{len(unfinished)} search(es) not complete and not counted ({'; '.join(unfinished[:3])}): "
                        "re-run the same `screening search` command to resume")
    stopping = stopping_state(review, reports)
    if stopping.stopped and stopping.met is False:
        warnings.append("[rank] stopped = true, but the stopping rule's test was not met when the ranking last "
                        "ran" + (f" (p = {stopping.p_value:.2g})" if stopping.p_value is not None else "")
                        + ": the report says the target recall is not assured")
    undecided, unapplied = maybe_pair_state(reports.get("dedup"), dedup_decisions)
    warnings += _maybe_pair_warnings(undecided, unapplied)
    in_play = frozenset(records.loc[in_play_mask(records), "record_id"].astype(str))
    play_entries = _in_play_rows(entries, in_play)     # filtered once: kappa and the paragraph
    return ReviewState(
        records=records, entries=entries, ta_finals=ta, ft_finals=ft, stage_reports=reports,
        searches=searches, stopping=stopping, kappa=_kappa(play_entries),
        state_hash=digest, state_time=_latest_time(entries, searches), warnings=tuple(warnings),
        outcomes=outcomes, in_play=in_play, play_entries=play_entries,
        maybe_pairs_undecided=undecided, maybe_pairs_unapplied=unapplied,
    )


# ---- writing ---------------------------------------------------------------------------------


def _ranking_use(entries: pd.DataFrame | None) -> dict[str, int]:
    """Title/abstract screener decisions by how their record was put in front of the reviewer:
    from the ranking id each decision records ('ranker-...', 'file-order-...', 'similarity-...';
    ids from before 0.2.0 carry no kind: 'unknown'), a random stopping sample ('sample'), or
    imported from another tool ('imported')."""
    if entries is None or not len(entries) or "ranking_id" not in entries.columns:
        return {}
    d = entries[(entries["stage"] == "title_abstract") & (entries["role"] == "screener")
                & entries["action"].isin(["include", "exclude", "maybe"])]
    # each screener's standing decision per record: one undone or replaced by a later one
    # was not how the record was decided
    standing = {s.event_id for by in standing_decisions(entries, "title_abstract").values() for s in by.values()}
    d = d[d["id"].isin(standing)]
    payloads = d["payload"].fillna("").astype(str) if "payload" in d.columns else pd.Series("", index=d.index)

    def kind(rid: str, text: str) -> str:
        payload = event_payload(text)
        if payload.get("import"):
            return f"imported:{payload['import']}"
        if payload.get("sampled") is True:
            return "sample"
        for prefix, name in (("ranker-", "ranked"), ("file-order-", "file_order"), ("similarity-", "similarity"),
                             ("table-order", "table"), ("static-", "static")):
            if rid.startswith(prefix):
                return name
        return "unknown"

    kinds = [kind(r, p) for r, p in zip(d["ranking_id"].fillna("").astype(str), payloads)]
    return {k: kinds.count(k) for k in sorted(set(kinds))}


def _session_specs(entries: pd.DataFrame | None) -> list[str]:
    """The model specs screening sessions recorded with their ranked decisions (payload
    ``model``), in first-use order: what the ranking actually was, whatever rank.json says now."""
    if entries is None or not len(entries) or "payload" not in entries.columns:
        return []
    d = entries[(entries["stage"] == "title_abstract") & (entries["role"] == "screener")]
    specs: list[str] = []
    for text in d["payload"].fillna("").astype(str):
        if '"model"' in text:
            spec = str(event_payload(text).get("model") or "")
            if spec and spec not in specs:
                specs.append(spec)
    return specs


def _in_play_rows(frame: pd.DataFrame | None, in_play: frozenset[str]) -> pd.DataFrame | None:
    """The rows of a decision frame (log entries, finals) about records still in screening."""
    if frame is None or "record_id" not in frame.columns:
        return frame
    return frame[frame["record_id"].astype(str).isin(in_play)]


def _screening_facts(state: ReviewState, entries: pd.DataFrame | None) -> dict[str, Any]:
    """Per stage, who screened and how records were settled, over the records in screening
    (``entries``: the log's events on them; decisions on records a later dedup or rule took
    out are not counted, as in the counts)."""
    facts = {}
    ta = _in_play_rows(state.ta_finals, state.in_play)
    # full text: only the reports sought (included at title/abstract, still in screening), the
    # records the counts' full-text boxes are over
    sought = frozenset(ta.loc[ta["decision"].astype(str).str.lower() == "include", "record_id"].astype(str)) \
        if ta is not None and len(ta) else frozenset()
    for stage, finals, scope in (("title_abstract", state.ta_finals, state.in_play),
                                 ("full_text", state.ft_finals, sought)):
        outcomes = {rid: o for rid, o in state.outcomes.get(stage, {}).items() if rid in scope} \
            if stage in state.outcomes else None
        how = stage_screening(entries, _in_play_rows(finals, scope), stage, outcomes)
        if how is not None:
            facts[stage] = how
    return facts


def _context(review: ReviewConfig, state: ReviewState) -> ReportContext:
    play_entries = state.play_entries
    rec = state.records
    dup_rules: dict[str, int] = {}
    if "dup_rule" in rec.columns and "duplicate_of" in rec.columns:
        removed = rec[rec["duplicate_of"].astype(str) != ""]
        counts = removed["dup_rule"].astype(str).value_counts()
        dup_rules = {str(k) or "unspecified": int(v)
                     for k, v in sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))}
    models = sorted({str(m) for m in rec["model_id"] if str(m)}) if "model_id" in rec.columns else []
    model = state.stage_reports.get("rank", {}).get("details", {}).get("model", {})
    return ReportContext(
        ranking_use=_ranking_use(play_entries),
        # the specs sessions recorded, else the last run's (rank.json)
        ranking_spec=(" / ".join(_session_specs(play_entries))
                      or (str(model.get("spec", "")) if isinstance(model, dict) else "")),
        review_name=review.name,
        title=review.prisma.review_title or review.title,
        tool_version=__version__,
        state_hash=state.state_hash,
        state_time=state.state_time,
        searches=state.searches,
        dedup_rules=dup_rules,
        dedup_parameters=state.stage_reports.get("dedup", {}).get("parameters", {}),
        dedup_ran="dedup" in state.stage_reports or "duplicate_of" in rec.columns,
        maybe_pairs_undecided=state.maybe_pairs_undecided,
        maybe_pairs_unapplied=state.maybe_pairs_unapplied,
        rules_parameters=state.stage_reports.get("apply_rules", {}).get("parameters", {}),
        screening=_screening_facts(state, play_entries),
        kappa=state.kappa,
        models=tuple(models),
        stopping_rule=state.stopping.rule,
        recall_estimate=state.stopping.recall_estimate,
        stopping_met=state.stopping.met,
        stopping_p=state.stopping.p_value,
        warnings=state.warnings,
        per_source=per_source_rows(rec),
    )


OUTPUT_NAMES = ("prisma.json", "prisma.csv", "prisma_flow.svg", "prisma_flow.png", "prisma_flow.pdf",
                "report.md", "report.html")


def _up_to_date(out: Path, state_hash_: str) -> bool:
    """True when ``out`` already holds every output for this state and tool version."""
    try:
        doc = json.loads((out / "prisma.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return (doc.get("state_hash") == state_hash_ and doc.get("tool_version") == __version__
            and all((out / name).is_file() for name in OUTPUT_NAMES))


def generate(review: ReviewConfig | str | Path, out_dir: str | Path | None = None, *,
             records: pd.DataFrame | None = None, ta_finals: pd.DataFrame | None = None,
             ft_finals: pd.DataFrame | None = None, skip_unchanged: bool = False) -> PrismaResult:
    """Compute the PRISMA counts of a review and write all outputs to ``out_dir``.

    ``out_dir`` defaults to ``<output_dir>/prisma``. Raises :class:`ReportError` when the
    counts violate a PRISMA invariant (nothing is written then). With ``skip_unchanged``
    (used by `screening run`), files already written for the same state hash and tool
    version are kept as they are — they would be byte-identical anyway.
    """
    cfg = review if isinstance(review, ReviewConfig) else load_review(review)
    out = Path(out_dir) if out_dir is not None else cfg.output_dir / "prisma"
    state = load_state(cfg, records=records, ta_finals=ta_finals, ft_finals=ft_finals)
    counts = compute_counts(state.records, state.ta_finals, state.ft_finals,
                            registers=cfg.prisma.registers, other_methods=cfg.prisma.other_methods,
                            stopped=state.stopping.stopped,
                            ta_open=open_records(state.entries, outcomes=state.outcomes.get("title_abstract")),
                            ft_open=open_records(state.entries, outcomes=state.outcomes.get("full_text"),
                                                 stage="full_text"),
                            rule_reason_counts=state.stage_reports.get("apply_rules", {}).get("reasons"),
                            decision_counts=decisions_per_record(state.outcomes) if state.outcomes else None)
    ctx = _context(cfg, state)
    cite = citation_line(ctx)
    if skip_unchanged and _up_to_date(out, state.state_hash):
        files = {name.rsplit(".", 1)[1]: out / name for name in OUTPUT_NAMES}
        return PrismaResult(counts=counts, state=state, files=files, citation=cite)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    doc = {
        "review": cfg.name, "title": ctx.title, "tool": "screening", "tool_version": __version__,
        "state_hash": state.state_hash, "time": state.state_time, "citation": cite,
        "counts": counts.to_dict(), "funnel": funnel_line(counts),
        "stopping": {"stopped": state.stopping.stopped, "rule": state.stopping.rule,
                     "recall_estimate": state.stopping.recall_estimate, "source": state.stopping.source,
                     "met": state.stopping.met, "p_value": state.stopping.p_value},
        "kappa": state.kappa, "warnings": list(state.warnings) + list(counts.warnings),
        # not a PRISMA box: the pairs whose copies the counts still hold as separate records
        "possible_duplicate_pairs": {"undecided": state.maybe_pairs_undecided,
                                     "decided_not_applied": state.maybe_pairs_unapplied},
    }
    files["csv"] = out / "prisma.csv"
    atomic_write_text(files["csv"], to_csv(counts))
    demo = any("demonstration data" in w for w in state.warnings)
    notes = [cite] + (["The screening decisions shown are demonstration data (scripted), not a real review."]
                      if demo else [])
    if state.stopping.stopped and state.stopping.met is False:
        notes.append("Screening was stopped before the stopping rule's test was met: recall is not assured.")
    files.update(write_diagrams(counts, out, footer=notes))
    files["md"] = out / "report.md"
    atomic_write_text(files["md"], to_markdown(counts, ctx))
    svg = files["svg"].read_text(encoding="utf-8")
    files["html"] = out / "report.html"
    atomic_write_text(files["html"], to_html(counts, ctx, svg=svg))
    files["json"] = out / "prisma.json"     # last: it vouches for the other files (see _up_to_date)
    atomic_write_text(files["json"], json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return PrismaResult(counts=counts, state=state, files=files, citation=cite)


def post_step(review: ReviewConfig, records: pd.DataFrame) -> dict[str, Any]:
    """`screening run`'s final step: write the PRISMA outputs to <output_dir>/prisma."""
    return generate(review, records=records, skip_unchanged=True).summary()
