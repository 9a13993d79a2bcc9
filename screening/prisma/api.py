"""Write every PRISMA output for a review's state: ``generate(review) -> PrismaResult``.

This is the only I/O in the package. The state (records, decision log, stage reports,
searches, the review-state hash) is loaded by :mod:`screening.prisma.state`; the counts come
from :mod:`screening.prisma.counts` (checked by :mod:`screening.prisma.model`); this module builds the report context and writes
``prisma.json``, ``prisma.csv``, the diagram (SVG/PNG/PDF) and ``report.md``/``report.html``.

Reproducibility: the *review-state hash* is a sha256 over the records table, the decision
log entries, the search log, the stage reports read and the review config; the *time* is
the latest timestamp found in that state (decisions, searches run, dates searched), never
the wall clock. The same state therefore gives byte-identical files.

The outputs are replaced as a set: rendered into a staging folder inside the output folder,
then renamed into place, ``prisma.json`` (which records the state hash) last. An interrupted
run leaves the old set, or at worst one whose ``prisma.json`` is the old one, which the next
`screening run` regenerates; staging folders of interrupted runs are removed by the next one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from screening import __version__
from screening.config import ReviewConfig, load_review
from screening.decisions.origins import prior_records
from screening.decisions.outcomes import open_records
from screening.decisions.studies import study_links
from screening.decisions.tool_versions import recorded_versions, recorded_with_sentence
from screening.errors import ReportError
from screening.prisma.counts import compute_counts
from screening.prisma.model import PrismaCounts, check_invariants
from screening.prisma.number_format import fmt
from screening.prisma.diagram import diagram_warnings, write_diagrams
from screening.prisma.context import ReportContext, rules_unchecked, stage_screening
from screening.prisma.rule_changes import ruled_out_after_screening, rules_changed_after_screening
from screening.prisma.ranking_facts import ordering, ranker_facts, session_models
from screening.prisma.prose import settled_split
from screening.prisma.report import citation_line, funnel_line, per_source_rows, to_html, to_markdown
from screening.prisma.searches import export_record_counts, record_rounds, search_rounds_report
from screening.prisma.state import (
    ReviewState, _agreement, _in_play_rows, decisions_per_record, RULES_WARNING, load_state,
)
from screening.prisma.state_checks import maybe_pair_state
from screening.prisma.template import to_csv
from screening.prisma.update import UpdateFlow, update_flow
from screening.atomic_files import atomic_write_text, remove_stale_temp_files
from screening.record_marks import from_other_method, in_play as in_play_mask, marks


@dataclass(frozen=True)
class PrismaResult:
    counts: PrismaCounts
    state: ReviewState
    files: dict[str, Path] = field(default_factory=dict)
    citation: str = ""
    # what the PNG and PDF diagrams could not draw (no installed font has some characters):
    # said when they are drawn, not kept in prisma.json (it depends on this machine's fonts)
    diagram_warnings: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        """Short JSON-able summary (what `screening run` prints)."""
        # labelled: the bare numbers only say what they count in report.md
        return {"funnel (identified → screened → sought → assessed → studies included)": funnel_line(self.counts),
                "state": self.state.state_hash[:12],
                "dir": str(next(iter(self.files.values())).parent) if self.files else "",
                "warnings": list(self.state.warnings) + list(self.counts.warnings) + list(self.diagram_warnings)}


# ---- writing ---------------------------------------------------------------------------------


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
    sought |= state.other_reports     # other methods' reports: sought without a title/abstract decision
    for stage, finals, scope in (("title_abstract", state.ta_finals, state.in_play),
                                 ("full_text", state.ft_finals, sought)):
        outcomes = {rid: o for rid, o in state.outcomes.get(stage, {}).items() if rid in scope} \
            if stage in state.outcomes else None
        how = stage_screening(entries, _in_play_rows(finals, scope), stage, outcomes)
        if how is not None:
            facts[stage] = how
    return facts


def _context(review: ReviewConfig, state: ReviewState, flow: UpdateFlow | None = None,
             dated: tuple[pd.Series, list[str]] | None = None) -> ReportContext:
    """What the report says beside the counts. For an update's flow (``flow``) the screening,
    agreement and deduplication facts are the update's records', as its boxes are."""
    # the ranking and its stopping rule are over every record in screening, an update's flow or not
    review_in_play = state.in_play
    if flow is not None:
        in_play = frozenset(marks(flow.records.loc[in_play_mask(flow.records), "record_id"]))
        # the update's other-method reports only: an earlier round's are the previous version's
        # (they made the update's full-text sentence and its kappa one report too many)
        other = state.other_reports & frozenset(marks(flow.records["record_id"]))
        play = _in_play_rows(state.entries, in_play | other)
        undecided, unapplied = maybe_pair_state(state.stage_reports.get("dedup"), state.dedup_decisions,
                                                only=frozenset(marks(flow.records["record_id"])))
        kappa, unanimous = _agreement(play)
        state = dataclasses.replace(state, in_play=in_play, other_reports=other, play_entries=play, kappa=kappa,
                                    unanimous=unanimous,
                                    maybe_pairs_undecided=undecided, maybe_pairs_unapplied=unapplied)
    play_entries = state.play_entries
    rec = state.records
    flow_rec = flow.records if flow is not None else rec
    dup_rules: dict[str, int] = {}
    if "dup_rule" in flow_rec.columns and "duplicate_of" in flow_rec.columns:
        removed = flow_rec[(flow_rec["duplicate_of"].astype(str) != "") & ~from_other_method(flow_rec)]
        counts = removed["dup_rule"].astype(str).value_counts()
        dup_rules = {str(k) or "unspecified": int(v)
                     for k, v in sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))}
    models = sorted({str(m) for m in rec["model_id"] if str(m)}) if "model_id" in rec.columns else []
    model = state.stage_reports.get("rank", {}).get("details", {}).get("model", {})
    rounds, round_warnings = search_rounds_report(review, rec, dated)
    order = ordering(play_entries, prior_records(review))
    models = session_models(play_entries)      # the sessions' recorded (spec, seed), else rank.json's spec
    late, late_unsettled = ruled_out_after_screening(flow_rec, state.outcomes.get("title_abstract"))
    return ReportContext(
        ranking_use=order.use,
        imported_sampled=order.imported_sampled,
        ranker=ranker_facts(review, state.stage_reports, review_in_play, state.stopping.figures, play_entries,
                            order),
        # the specs sessions recorded, else the last run's (rank.json)
        ranking_spec=(" / ".join(dict.fromkeys(spec for spec, _ in models))
                      or (str(model.get("spec", "")) if isinstance(model, dict) else "")),
        ranking_models=models,
        review_name=review.name,
        title=review.prisma.review_title or review.title,
        tool_version=__version__,
        stage_versions={name: str(r["tool_version"]) for name, r in state.stage_reports.items()
                        if isinstance(r, dict) and r.get("tool_version")},
        state_hash=state.state_hash,
        state_time=state.state_time,
        searches=_with_export_counts(review, state.searches, rec),
        method_sources=frozenset(src.method.strip() for src in review.sources if src.method.strip()),
        dedup_rules=dup_rules,
        dedup_parameters=state.stage_reports.get("dedup", {}).get("parameters", {}),
        dedup_ran="dedup" in state.stage_reports or "duplicate_of" in rec.columns,
        maybe_pairs_undecided=state.maybe_pairs_undecided,
        maybe_pairs_unapplied=state.maybe_pairs_unapplied,
        rules_parameters=state.stage_reports.get("apply_rules", {}).get("parameters", {}),
        ruled_out_after_screening=late,
        ruled_out_unsettled=late_unsettled,
        rules_unchecked=rules_unchecked(state.stage_reports.get("apply_rules")),
        rules_changed=_rules_changed(review, state),
        screening=_screening_facts(state, play_entries),
        kappa=state.kappa,
        unanimous=state.unanimous,
        models=tuple(models),
        stopping_rule=state.stopping.rule,
        recall_estimate=state.stopping.recall_estimate,
        stopping_met=state.stopping.met,
        stopping_p=state.stopping.p_value,
        stopping_figures=dict(state.stopping.figures),
        stopping_lapsed=dict(state.stopping.lapsed),
        stopping_moved=dict(state.stopping.moved),
        warnings=state.warnings + round_warnings,
        # the PRISMA-S table is the database searches': other methods have their own column
        per_source=per_source_rows(rec, counted=~from_other_method(rec)),
        recorded_with=recorded_with_sentence(recorded_versions(state.entries)),
        rounds=rounds,
    )


def _rules_changed(review: ReviewConfig, state: ReviewState) -> tuple[str, ...]:
    """Exclusion rules removed, changed or added since title/abstract screening began."""
    from screening.run_history import read_history

    current = state.stage_reports.get("apply_rules")
    if not current:
        return ()
    return rules_changed_after_screening(read_history(review.output_dir), state.entries, current)


def _with_export_counts(review: ReviewConfig, searches: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """The searches with each [[sources]] export's record count filled in from the records
    table (the log already has the API searches'), so the methods say what each search found:
    within one review, that is what says how many records an update search added."""
    n = len(review.sources)
    if n == 0 or len(searches) < n:
        return searches
    out = searches.copy()
    for i, count in enumerate(export_record_counts(review, records)):
        if count is not None and not str(out.iloc[i]["records"]).strip():
            out.iloc[i, out.columns.get_loc("records")] = str(count)
    return out


def review_counts(review: ReviewConfig, state: ReviewState,
                  dated: tuple[pd.Series, list[str]] | None = None) -> tuple[PrismaCounts, UpdateFlow | None]:
    """The PRISMA counts of the review's flow: over every record, or for ``[prisma] flow =
    "update"`` over the latest search round's, with the previous version's studies
    (:mod:`screening.prisma.update`, whose split is returned too). ``dated``: the records'
    search rounds (:func:`.record_rounds`), when the caller has them."""
    ta_open = open_records(state.entries, outcomes=state.outcomes.get("title_abstract"))
    ft_open = open_records(state.entries, outcomes=state.outcomes.get("full_text"), stage="full_text")
    per_record = decisions_per_record(state.outcomes) if state.outcomes else None
    links = study_links(state.entries)
    common = dict(registers=review.prisma.registers, other_methods=review.prisma.other_methods,
                  stopped=state.stopping.stopped, stop_scope=state.stopping.scope, study_links=links)
    if review.prisma.flow != "update":
        return compute_counts(state.records, state.ta_finals, state.ft_finals, ta_open=ta_open, ft_open=ft_open,
                              rule_reason_counts=state.stage_reports.get("apply_rules", {}).get("reasons"),
                              decision_counts=per_record, **common), None
    rules = getattr(review.stages.get("apply_rules"), "rules", ())
    labels, unreadable = record_rounds(review, state.records) if dated is None else dated
    flow = update_flow(state.records, labels, state.ta_finals, state.ft_finals, rules, ta_open=ta_open,
                       stopped=state.stopping.stopped, stop_scope=state.stopping.scope, unreadable=unreadable,
                       study_links=links)
    ids = frozenset(marks(flow.records["record_id"]))
    # a logged stop that closed none of this round's records is the previous version's (its
    # closures are the previous_closed line): this round was not stopped, however it ends, and
    # its boxes and methods must not report the earlier stop's test as this round's
    scope = state.stopping.scope
    this_round = dict(common, stopped=bool(state.stopping.stopped and (
        scope is None or not ids.isdisjoint(map(str, scope)))))
    # decisions on the previous version's records belong to it, not to this flow's boxes
    counts = compute_counts(flow.records, _in_play_rows(state.ta_finals, ids), _in_play_rows(state.ft_finals, ids),
                            ta_open=[r for r in ta_open if r in ids], ft_open=[r for r in ft_open if r in ids],
                            rule_reason_counts=flow.rule_reasons, decision_counts=per_record,
                            known_studies=flow.previous_ids, **this_round)
    # what the whole review's flow would warn about (decisions on records no longer in
    # screening, in either version) still holds
    whole = compute_counts(state.records, state.ta_finals, state.ft_finals, ta_open=ta_open, ft_open=ft_open,
                           decision_counts=per_record, **common).warnings
    # the stop's open-record warning is the flow's (the whole review's would count the
    # previous version's open records too, next to its own line)
    stop = "screening was stopped with"
    warnings = [w for w in whole if not w.startswith(stop)] + [
        w for w in counts.warnings if w not in whole and ("not counted" not in w or w.startswith(stop))]
    if flow.previous_pending:
        warnings.append(f"{flow.previous_pending} record(s) of the previous version (found by the searches before "
                        f"{flow.latest.split(' ')[0]}) are still to screen or assess: its studies, and the total, "
                        "are counted so far")
    counts = dataclasses.replace(counts, previous_studies=flow.previous_studies,
                                 previous_reports=flow.previous_reports, update_round=flow.latest,
                                 previous_pending=flow.previous_pending,
                                 previous_excluded_automation=flow.previous_closed, warnings=tuple(warnings))
    check_invariants(counts)
    return counts, flow


OUTPUT_NAMES = ("prisma.json", "prisma.csv", "prisma_flow.svg", "prisma_flow.png", "prisma_flow.pdf",
                "report.md", "report.html")


def _up_to_date(out: Path, state_hash_: str) -> dict[str, Any] | None:
    """``out``'s prisma.json when ``out`` already holds every output for this state and tool
    version, else None."""
    try:
        doc = json.loads((out / "prisma.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if (isinstance(doc, dict) and doc.get("state_hash") == state_hash_ and doc.get("tool_version") == __version__
            and all((out / name).is_file() for name in OUTPUT_NAMES)):
        return doc
    return None


def generate(review: ReviewConfig | str | Path, out_dir: str | Path | None = None, *,
             records: pd.DataFrame | None = None, ta_finals: pd.DataFrame | None = None,
             ft_finals: pd.DataFrame | None = None, skip_unchanged: bool = False) -> PrismaResult:
    """Compute the PRISMA counts of a review and write all outputs to ``out_dir``.

    ``out_dir`` defaults to ``<output_dir>/prisma``. Raises :class:`ReportError` when the
    counts violate a PRISMA invariant (nothing is written then). With ``skip_unchanged``
    (used by `screening run`), files already written for the same state hash and tool
    version are kept as they are — they would be byte-identical anyway. All files are
    replaced together (see the module docstring): a failure part-way leaves the old ones.
    """
    cfg = review if isinstance(review, ReviewConfig) else load_review(review)
    out = Path(out_dir) if out_dir is not None else cfg.output_dir / "prisma"
    if out.exists() and not out.is_dir():
        # (acceptance testing: 'File exists ... run the command again', which failed the same way)
        raise ReportError("this is a file, not a folder: -o takes the folder the PRISMA outputs are written to",
                          path=str(out),
                          hint="give -o a folder (it is made if it does not exist), e.g. -o prisma_out")
    state = load_state(cfg, records=records, ta_finals=ta_finals, ft_finals=ft_finals)
    dated = record_rounds(cfg, state.records)      # read once: the flow and the rounds table
    counts, flow = review_counts(cfg, state, dated)
    if skip_unchanged and (kept := _up_to_date(out, state.state_hash)):
        # before the report's context (a third of the time at 65k records), which these
        # outputs already hold: the citation is read back from prisma.json
        files = {name.rsplit(".", 1)[1]: out / name for name in OUTPUT_NAMES}
        return PrismaResult(counts=counts, state=state, files=files, citation=str(kept.get("citation", "")))
    ctx = _context(cfg, state, flow, dated)
    cite = citation_line(ctx)
    doc = {
        "review": cfg.name, "title": ctx.title, "tool": "screening", "tool_version": __version__,
        "state_hash": state.state_hash, "time": state.state_time, "citation": cite,
        "counts": counts.to_dict(), "funnel": funnel_line(counts),
        "stopping": {"stopped": state.stopping.stopped, "rule": state.stopping.rule,
                     "recall_estimate": state.stopping.recall_estimate, "source": state.stopping.source,
                     "met": state.stopping.met, "p_value": state.stopping.p_value,
                     "stopped_by": state.stopping.by, "stopped_at": state.stopping.at,
                     "forced": state.stopping.forced, **dict(state.stopping.figures),
                     # the test's standing now, when the log no longer meets the test the stop was on
                     # (or, still met, with other figures than the stop recorded: Stopping.moved)
                     "lapsed": bool(state.stopping.lapsed),
                     **({"now": dict(state.stopping.lapsed or state.stopping.moved)}
                        if state.stopping.lapsed or state.stopping.moved else {})},
        "kappa": {k: round(v, 3) for k, v in ctx.kappa.items()}, "warnings": list(state.warnings) + list(counts.warnings),
        # not a PRISMA box: the pairs whose copies the counts still hold as separate records
        "possible_duplicate_pairs": {"undecided": state.maybe_pairs_undecided,
                                     "decided_not_applied": state.maybe_pairs_unapplied},
    }
    demo = any("demonstration data" in w for w in state.warnings)
    notes = [cite] + (["The screening decisions shown are demonstration data (scripted), not a real review."]
                      if demo else [])
    if state.stopping.stopped and state.stopping.met is False:
        # an update's flow whose round was not stopped: the stop is the previous version's
        notes.append(("Screening was" if counts.stopped or not counts.is_update else
                      "In the previous version, screening was")
                     + " stopped before the stopping rule's test was met: recall is not assured.")
    elif state.stopping.stopped and state.stopping.lapsed:
        notes.append("Screening was stopped by the stopping rule, but computed on the decisions in the log now, "
                     "its test is not met: recall is not assured.")
    late = ctx.ruled_out_after_screening     # a subset of the rules' exclusions (ruled_out_after_screening)
    if late:
        # the box says "removed before screening"; an amended rule removed these later (their
        # screening decisions are not counted), which the methods paragraph says too, with the
        # same split: a record one reviewer decided was not screened (settled) yet
        unsettled = ctx.ruled_out_unsettled
        had = (f"{'was' if late == 1 else 'were'} already screened" if not unsettled else
               f"already had screening decisions ({settled_split(late, unsettled)})")
        notes.append(f"Of the records marked ineligible by automation tools (rules), {fmt(late)} {had} when the "
                     "rules were changed, after title/abstract screening had begun.")

    out.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(out)
    # Every output is rendered into a staging folder inside ``out`` first, then all are renamed
    # into place together, the old prisma.json removed first and the new one renamed last: an
    # interruption leaves the old set, or (during the renames) a set without prisma.json,
    # which the next run regenerates (_up_to_date). Never a mix that looks current.
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{socket.gethostname()}-{os.getpid()}-", dir=out))
    try:
        atomic_write_text(staging / "prisma.csv", to_csv(counts))
        write_diagrams(counts, staging, footer=notes)
        drawn = tuple(diagram_warnings(counts, footer=notes))
        atomic_write_text(staging / "report.md", to_markdown(counts, ctx))
        svg = (staging / "prisma_flow.svg").read_text(encoding="utf-8")
        atomic_write_text(staging / "report.html", to_html(counts, ctx, svg=svg))
        atomic_write_text(staging / "prisma.json", json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        # the old prisma.json goes first: during the renames no prisma.json vouches for a mixed
        # set (were the state to return to the old one, an old prisma.json would pass it as current)
        (out / "prisma.json").unlink(missing_ok=True)
        for name in OUTPUT_NAMES[1:] + OUTPUT_NAMES[:1]:     # prisma.json last: it vouches for the rest
            os.replace(staging / name, out / name)
        _fsync_dir(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    files = {name.rsplit(".", 1)[1]: out / name for name in OUTPUT_NAMES}
    return PrismaResult(counts=counts, state=state, files=files, citation=cite, diagram_warnings=drawn)


STAGING_PREFIX = ".prisma-staging-"


def _remove_stale_staging(out: Path) -> None:
    """Remove what an interrupted earlier generate() left in ``out``: staging folders of this
    machine's processes that are gone (or of any machine's, after a day: a folder shared over
    the network may hold another computer's live run) and temporary files of outputs."""
    host = socket.gethostname()
    now = time.time()
    for path in out.iterdir():
        name = path.name
        try:
            if name.startswith(STAGING_PREFIX) and path.is_dir():
                owner, _, rest = name[len(STAGING_PREFIX):].rpartition("-")   # host-pid-random
                owner_host, _, pid = owner.rpartition("-")
                gone = owner_host == host and pid.isdigit() and not _alive(int(pid))
                if gone or now - path.stat().st_mtime > 86400:
                    shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue
    remove_stale_temp_files(out, OUTPUT_NAMES, 60)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True          # this process's own (another thread's) run; its own are removed as it ends
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True          # someone else's process
    return True


def _fsync_dir(path: Path) -> None:
    """Make the renames durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def post_step(review: ReviewConfig, records: pd.DataFrame) -> dict[str, Any]:
    """`screening run`'s final step: write the PRISMA outputs to <output_dir>/prisma."""
    summary = generate(review, records=records, skip_unchanged=True).summary()
    # the run has printed the rules stage's warnings already; the report keeps them
    summary["warnings"] = [w for w in summary["warnings"] if not w.startswith(RULES_WARNING)]
    return summary
