"""PRISMA 2020 counts as pure group-bys over the records table and the screening finals.

Every box of the PRISMA 2020 flow (new reviews, databases and registers) is computed here
from plain DataFrames, with no file I/O, so the numbers can be checked by hand in tests and
reproduced by anyone holding the same review state. :func:`check_invariants` then verifies
that each box equals what flows into it minus what leaves it; a violation is a
:class:`~screening.errors.ReportError` naming the boxes and numbers, never a silently wrong
diagram.

Where records go (each record lands in exactly one place):

* ``duplicate_of`` non-empty -> *duplicates removed*;
* else ``rule_decision == "exclude"`` -> *marked ineligible by automation tools (rules)*,
  one reason per record (``rule_reason``, its first *exclude* rule's; tables written before
  that column existed: its first ``rule_reasons`` entry);
* else a non-empty ``removed_reason`` column (optional, team-maintained) -> *removed for
  other reasons*;
* the rest are *records screened* (entering title/abstract screening). Of those, a
  title/abstract final 'exclude' is a human exclusion; records with no decision are either
  *excluded by automation tools (stopping rule)* when the team stopped screening, or leave
  the screening box *in progress*.
* title/abstract 'include' -> *reports sought*; full-text 'not_retrieved' -> *not retrieved*;
  full-text 'exclude' -> *reports excluded* (per reason); full-text 'include' -> *included*.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Mapping

import pandas as pd

from screening.decisions.studies import current_links, study_counts
from screening.dedup.contributions import UNKNOWN_SOURCE
from screening.errors import ReportError
from screening.records import marks

NOT_RECORDED = "Reason not recorded"


@dataclass(frozen=True)
class StageProgress:
    """How far a human screening stage has got: ``done`` of ``total`` records settled, and
    ``open`` more that some reviewer decided without the decision being settled yet (awaiting a
    second reviewer or an adjudicator): a stage with only open records has started."""

    total: int
    done: int
    open: int = 0

    @property
    def remaining(self) -> int:
        return self.total - self.done

    @property
    def status(self) -> str:
        if self.total == 0:
            return "empty"
        if self.done == 0 and self.open == 0:
            return "not started"
        return "complete" if self.done >= self.total else "in progress"


@dataclass(frozen=True)
class PrismaCounts:
    """All PRISMA 2020 flow counts for a review (databases/registers column + other methods).

    Dicts are ordered for display (largest first, then by name) and hold plain ints.
    """

    databases: dict[str, int]                 # records identified per database
    registers: dict[str, int]                 # records identified per register
    other_methods: dict[str, int]             # records identified via other methods (config)
    duplicates: int
    duplicates_by_source: dict[str, int]      # duplicates removed, by source_db of the removed record
    automation_rules: int                     # records marked ineligible by rules
    automation_rules_reasons: dict[str, int]
    removed_other: int
    removed_other_reasons: dict[str, int]
    records_screened: int                     # records entering title/abstract screening
    title_abstract: StageProgress             # human decisions made so far
    excluded_human: int                       # title/abstract exclusions by reviewers
    excluded_automation: int                  # unscreened records closed by the stopping rule
    stopped: bool                             # the team applied a stopping rule
    reports_sought: int
    reports_not_retrieved: int
    reports_assessed: int
    full_text: StageProgress
    reports_excluded: int
    reports_excluded_reasons: dict[str, int]
    studies_included: int
    reports_included: int
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # decided at title/abstract by someone but not settled (second reviewer or adjudicator to
    # come): never excluded by the stopping rule, which closes only records nobody screened
    title_abstract_open: int = 0
    # after a logged stop, records in screening nobody has decided that it did not close (an
    # update's, ingested since): still to screen, so screening is in progress again
    unscreened_after_stop: int = 0
    # an updated review's flow ([prisma] flow = "update", :mod:`screening.prisma.update`): the
    # studies (and their reports) included in the previous version, and the search round the
    # flow covers; None / '' for a new review's flow
    previous_studies: int | None = None
    previous_reports: int | None = None
    update_round: str = ""
    previous_pending: int = 0         # the previous version's records still to settle
    previous_excluded_automation: int = 0   # ... and those the stopping rule closed unscreened
    # reports grouped into studies (``link_study``): studies with more than one included
    # report, and included reports of a study the previous version counts (an update's new
    # report of an old study: a report, not a new study)
    studies_with_several_reports: int = 0
    reports_of_previous_studies: int = 0

    @property
    def is_update(self) -> bool:
        return self.previous_studies is not None

    @property
    def total_studies(self) -> int:
        """Studies included in the review: the previous version's and the new ones."""
        return (self.previous_studies or 0) + self.studies_included

    @property
    def total_reports(self) -> int:
        return (self.previous_reports or 0) + self.reports_included

    @property
    def total_partial(self) -> bool:
        """The totals are *so far*: the update's or the previous version's screening is unfinished."""
        return self.downstream_of_full_text_partial or self.previous_pending > 0

    # ---- derived totals -------------------------------------------------------------
    @property
    def identified_databases(self) -> int:
        return sum(self.databases.values())

    @property
    def identified_registers(self) -> int:
        return sum(self.registers.values())

    @property
    def identified(self) -> int:
        """Records identified from databases and registers (the left column's input)."""
        return self.identified_databases + self.identified_registers

    @property
    def identified_other(self) -> int:
        return sum(self.other_methods.values())

    @property
    def records_excluded(self) -> int:
        return self.excluded_human + self.excluded_automation

    @property
    def screening_in_progress(self) -> bool:
        # after a stop, records some reviewer decided are still being settled
        return self.title_abstract.remaining > self.excluded_automation

    @property
    def settling_after_stop(self) -> bool:
        """Stopped by the stopping rule, with records one reviewer decided still to settle (and
        none arrived since the stop: those make screening in progress again)."""
        return self.stopped and self.title_abstract_open > 0 and not self.unscreened_after_stop

    def title_abstract_progress(self) -> str:
        """'in progress (40 of 513 screened)', or after a stop 'stopped; 4 records still being
        settled' (done/total would then read as work not started)."""
        if self.settling_after_stop:
            n = self.title_abstract_open
            return f"stopped; {n} record{'s' if n != 1 else ''} still being settled"
        ta = self.title_abstract
        if self.unscreened_after_stop:
            n = self.unscreened_after_stop
            return (f"{ta.status} ({ta.done} of {ta.total} screened, {self.excluded_automation} closed by the "
                    f"stopping rule, {n} record{'s' if n != 1 else ''} to screen since the stop)")
        return f"{ta.status} ({ta.done} of {ta.total} screened)"

    @property
    def full_text_in_progress(self) -> bool:
        return self.full_text.remaining > 0

    @property
    def downstream_of_screening_partial(self) -> bool:
        """Boxes fed by title/abstract screening hold counts *so far* (screening unfinished)."""
        return self.screening_in_progress

    @property
    def downstream_of_full_text_partial(self) -> bool:
        """Boxes fed by full-text assessment hold counts *so far*."""
        return self.screening_in_progress or self.full_text_in_progress

    def funnel(self) -> list[int]:
        """Identified -> screened -> sought -> assessed -> included (the one-line funnel)."""
        return [self.identified, self.records_screened, self.reports_sought,
                self.reports_assessed, self.studies_included]

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["warnings"] = list(self.warnings)
        for name in ("title_abstract", "full_text"):
            prog = getattr(self, name)
            data[name] = {"total": prog.total, "done": prog.done, "open": prog.open,
                          "remaining": prog.remaining, "status": prog.status}
        data["identified"] = self.identified
        data["identified_databases"] = self.identified_databases
        data["identified_registers"] = self.identified_registers
        data["identified_other"] = self.identified_other
        data["records_excluded"] = self.records_excluded
        data["funnel"] = self.funnel()
        if self.is_update:
            data["total_studies"], data["total_reports"] = self.total_studies, self.total_reports
        return data


# ---------------------------------------------------------------------------------------------


def _ordered(counts: Mapping[str, int]) -> dict[str, int]:
    return {k: int(v) for k, v in sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))}


def _col(records: pd.DataFrame, name: str, default: Any = "") -> pd.Series:
    if name in records.columns:
        return records[name]
    return pd.Series([default] * len(records), index=records.index, dtype=object)


def _first_reason(value: Any) -> str:
    if isinstance(value, str):
        items = [v.strip() for v in value.split(";") if v.strip()]
    elif value is None or (isinstance(value, float) and value != value):
        items = []
    else:
        items = [str(v).strip() for v in value if str(v).strip()]
    return items[0] if items else NOT_RECORDED


def _reason_counts(values: pd.Series) -> dict[str, int]:
    return _ordered(values.value_counts().to_dict()) if len(values) else {}


def _finals_map(finals: pd.DataFrame | None, stage: str) -> pd.DataFrame:
    """Validate a final-decisions frame and index it by record_id."""
    cols = ["record_id", "decision", "reason"]
    if finals is None or len(finals) == 0:
        return pd.DataFrame(columns=cols).set_index("record_id")
    missing = [c for c in ("record_id", "decision") if c not in finals.columns]
    if missing:
        raise ReportError(f"{stage} final decisions lack columns {missing}",
                          hint="pass screening.decisions.views.final_decisions(entries, stage)")
    df = finals.copy()
    if "reason" not in df.columns:
        df["reason"] = ""
    df["record_id"] = marks(df["record_id"])
    df["decision"] = marks(df["decision"]).str.lower()
    df["reason"] = marks(df["reason"])
    dup = df["record_id"].duplicated()
    if dup.any():
        raise ReportError(f"{stage}: more than one final decision for a record",
                          record=str(df.loc[dup, "record_id"].iloc[0]),
                          hint="final decisions must be one row per record (use final_decisions())")
    bad = ~df["decision"].isin(["include", "exclude", "not_retrieved"])
    if bad.any():
        row = df.loc[bad].iloc[0]
        raise ReportError(f"{stage}: unknown final decision {row['decision']!r}", record=str(row["record_id"]),
                          hint="decisions are include, exclude or not_retrieved")
    return df[cols].set_index("record_id")


def decisions_on(stage: str, record_ids: Iterable[str], per_record: Mapping[str, int] | None) -> str:
    """'2 title/abstract decisions on 1 record': the finals are one row per record, so the
    decisions behind them are counted from ``per_record`` (each record's standing decisions);
    without it only the records are counted."""
    rids = [str(r) for r in record_ids]
    on = f"{len(rids)} record{'s' if len(rids) != 1 else ''}"
    if per_record is None:
        return f"{stage} decisions on {on}"
    n = sum(max(1, int(per_record.get(r, 1))) for r in rids)    # a final rests on at least one
    return f"{n} {stage} decision{'s' if n != 1 else ''} on {on}"


def compute_counts(
    records: pd.DataFrame,
    ta_finals: pd.DataFrame | None = None,
    ft_finals: pd.DataFrame | None = None,
    *,
    registers: tuple[str, ...] | list[str] = (),
    other_methods: Mapping[str, int] | None = None,
    stopped: bool = False,
    stop_scope: Collection[str] | None = None,
    rule_reason_counts: Mapping[str, int] | None = None,
    ta_open: Iterable[str] = (),
    ft_open: Iterable[str] = (),
    decision_counts: Mapping[str, Mapping[str, int]] | None = None,
    study_links: Mapping[str, str] | None = None,
    known_studies: Iterable[str] = (),
) -> PrismaCounts:
    """Compute every PRISMA 2020 count from the records table and the screening finals.

    ``ta_finals`` / ``ft_finals`` are ``final_decisions(entries, 'title_abstract' |
    'full_text')`` frames (record_id, decision, reason); ``None`` means the stage has not
    started. ``registers`` names the ``source_db`` values that are registers, and
    ``stopped`` says the team stopped title/abstract screening by a stopping rule (so the
    records nobody has screened are automation exclusions rather than work in progress);
    ``stop_scope`` names the records the stop closed (a logged stop: those nobody had screened
    when it was recorded); None closes every record nobody has screened (``[rank] stopped``);
    ``ta_open`` names the records some reviewer decided at title/abstract without the decision
    being settled yet (awaiting a second reviewer or an adjudicator): they stay in screening;
    ``ft_open`` the same at full text (only reports sought count).
    ``rule_reason_counts`` is the rules stage's own per-reason count (``apply_rules.json``
    ``reasons``: each excluded record under its first *exclude* rule); when given it must add up
    to the rule-excluded records of the table and is used instead of the first ``rule_reasons``
    entry (which may name a flag rule). ``decision_counts`` (``{stage: {record_id: n}}``, the
    standing decisions behind each final) lets the warnings count decisions as well as records.
    ``study_links`` (record -> the record of the study it reports, :mod:`.studies`) groups the
    included reports into studies; without it each included report is a study of its own.
    ``known_studies``: records whose study is counted elsewhere (the previous version of an
    updated review), so an included report linked to one adds a report but no new study.
    Pure: the inputs are not modified. The result is checked with :func:`check_invariants`.
    """
    per_stage = decision_counts or {}
    warnings: list[str] = []
    ids = marks(_col(records, "record_id"))
    source = marks(_col(records, "source_db")).where(lambda s: s != "", UNKNOWN_SOURCE)
    dup_mask = marks(_col(records, "duplicate_of")) != ""
    rule_mask = ~dup_mask & (marks(_col(records, "rule_decision")).str.lower() == "exclude")
    other_reason = marks(_col(records, "removed_reason"))
    other_mask = ~dup_mask & ~rule_mask & (other_reason != "")
    in_play = ~dup_mask & ~rule_mask & ~other_mask

    register_set = set(registers)
    per_source = source.value_counts().to_dict()
    databases = _ordered({k: v for k, v in per_source.items() if k not in register_set})
    regs = _ordered({k: v for k, v in per_source.items() if k in register_set})
    counted = marks(_col(records, "rule_reason"))[rule_mask]     # the rules stage's own (since 0.7)
    rule_reasons = counted.where(counted != "", _col(records, "rule_reasons", default=None)[rule_mask]
                                 .map(_first_reason))
    if rule_reason_counts is not None:
        given = {str(k): int(v) for k, v in rule_reason_counts.items()}
        if sum(given.values()) != int(rule_mask.sum()):
            raise ReportError(
                f"the rules stage report counts {sum(given.values())} excluded records by reason but the "
                f"records table has {int(rule_mask.sum())} non-duplicate records with rule_decision 'exclude'",
                path="apply_rules.json", hint="the table and apply_rules.json are out of step; re-run `screening run`")
        rule_reason_map = _ordered(given)
    else:
        rule_reason_map = _reason_counts(rule_reasons)

    ta = _finals_map(ta_finals, "title/abstract")
    ft = _finals_map(ft_finals, "full-text")
    play_ids = pd.Index(ids[in_play])
    stray = ta.index.difference(play_ids)
    if len(stray):
        warnings.append(f"{decisions_on('title/abstract', stray, per_stage.get('title_abstract'))} not in "
                        f"screening (duplicates, rule-excluded or unknown ids), e.g. {stray[0]}; not counted")
    ta_play = ta.loc[ta.index.intersection(play_ids, sort=False)]
    if (ta_play["decision"] == "not_retrieved").any():
        rid = ta_play.index[ta_play["decision"] == "not_retrieved"][0]
        raise ReportError("title/abstract decision 'not_retrieved' (retrieval is a full-text outcome)",
                          record=str(rid), hint="record it as a full-text decision instead")
    ta_done = len(ta_play)
    excluded_human = int((ta_play["decision"] == "exclude").sum())
    sought_ids = pd.Index(ta_play.index[ta_play["decision"] == "include"])
    open_ids = pd.Index([str(r) for r in ta_open])
    open_n = len(open_ids.intersection(play_ids).difference(ta_play.index))
    stray_open = open_ids.difference(play_ids)
    if len(stray_open):     # unsettled (a conflict, a first of two decisions) and gone from screening
        warnings.append(f"{len(stray_open)} record(s) with unsettled title/abstract decisions (in conflict or "
                        f"awaiting a second reviewer) are no longer in screening (duplicates, rule-excluded "
                        f"or unknown ids), e.g. {stray_open[0]}; not counted")
    unscreened = int(in_play.sum()) - ta_done - open_n
    excluded_automation = unscreened if stopped else 0
    if stopped and stop_scope is not None:
        # a logged stop closes the records it names; later ones (an update's) are still to screen
        scope = {str(r) for r in stop_scope}
        excluded_automation = sum(1 for r in play_ids.difference(ta_play.index).difference(open_ids) if r in scope)
    if stopped and open_n:
        warnings.append(f"screening was stopped with {open_n} record(s) decided by one reviewer or in "
                        "conflict: they stay in title/abstract screening (not excluded by the stopping "
                        "rule) until a second reviewer or an adjudicator settles them")

    stray_ft = ft.index.difference(sought_ids)
    if len(stray_ft):
        warnings.append(f"{decisions_on('full-text', stray_ft, per_stage.get('full_text'))} not included at "
                        f"title/abstract or no longer in screening (a duplicate or rule-excluded now), e.g. "
                        f"{stray_ft[0]}; not counted")
    ft_play = ft.loc[ft.index.intersection(sought_ids, sort=False)]
    not_retrieved = int((ft_play["decision"] == "not_retrieved").sum())
    ft_excl = ft_play[ft_play["decision"] == "exclude"]
    ft_reasons = ft_excl["reason"].where(ft_excl["reason"] != "", NOT_RECORDED)
    included_ids = [str(r) for r in ft_play.index[ft_play["decision"] == "include"]]
    included = len(included_ids)
    known = [str(k) for k in known_studies]
    # links join records still at full text (or the previous version's), through dedup's kept copies
    links = current_links(study_links or {}, records, set(map(str, sought_ids)) | set(known))
    studies, several, of_known = study_counts(included_ids, links, known) if links else (included, 0, 0)
    assessed = len(sought_ids) - not_retrieved

    counts = PrismaCounts(
        databases=databases,
        registers=regs,
        other_methods={str(k): int(v) for k, v in (other_methods or {}).items()},
        duplicates=int(dup_mask.sum()),
        duplicates_by_source=_ordered(source[dup_mask].value_counts().to_dict()),
        automation_rules=int(rule_mask.sum()),
        automation_rules_reasons=rule_reason_map,
        removed_other=int(other_mask.sum()),
        removed_other_reasons=_reason_counts(other_reason[other_mask]),
        records_screened=int(in_play.sum()),
        title_abstract=StageProgress(total=int(in_play.sum()), done=ta_done, open=open_n),
        excluded_human=excluded_human,
        excluded_automation=excluded_automation,
        stopped=bool(stopped),
        unscreened_after_stop=unscreened - excluded_automation if stopped else 0,
        reports_sought=len(sought_ids),
        reports_not_retrieved=not_retrieved,
        reports_assessed=assessed,
        full_text=StageProgress(total=assessed, done=int(len(ft_play)) - not_retrieved,
                                open=len(pd.Index([str(r) for r in ft_open]).intersection(sought_ids)
                                         .difference(ft_play.index))),
        reports_excluded=len(ft_excl),
        reports_excluded_reasons=_reason_counts(ft_reasons),
        studies_included=studies,
        reports_included=included,
        warnings=tuple(warnings),
        title_abstract_open=open_n,
        studies_with_several_reports=several,
        reports_of_previous_studies=of_known,
    )
    check_invariants(counts)
    return counts


def _violation(boxes: str, expected: int, got: int, detail: str) -> ReportError:
    return ReportError(f"PRISMA invariant violated: {boxes}: expected {expected}, found {got} ({detail})",
                       hint="the review state is inconsistent; re-run `screening run` and check the decision log")


def check_invariants(c: PrismaCounts) -> None:
    """Each box equals its inflow minus its outflow; per-reason counts sum to their box.

    Raises :class:`ReportError` naming the boxes and the numbers at the first violation.
    """
    for name in ("duplicates", "automation_rules", "removed_other", "records_screened", "excluded_human",
                 "excluded_automation", "reports_sought", "reports_not_retrieved", "reports_assessed",
                 "reports_excluded", "studies_included", "reports_included"):
        value = getattr(c, name)
        if value < 0:
            raise _violation(f"'{name}' must not be negative", 0, value, "negative count")
    for name in ("previous_studies", "previous_reports"):
        value = getattr(c, name)
        if value is not None and value < 0:
            raise _violation(f"'{name}' must not be negative", 0, value, "negative count")
    if c.is_update and (c.previous_reports or 0) < (c.previous_studies or 0):
        raise _violation("reports of studies included in previous version >= those studies",
                         c.previous_studies or 0, c.previous_reports or 0, "each study has at least one report")
    for label, values in (("databases", c.databases), ("registers", c.registers),
                          ("other methods", c.other_methods)):
        for key, value in values.items():
            if value < 0:
                raise _violation(f"records identified from {label} ({key}) must not be negative", 0, value,
                                 "negative count")
    removed = c.duplicates + c.automation_rules + c.removed_other
    if c.identified - removed != c.records_screened:
        raise _violation(
            "records identified - duplicates - marked ineligible by automation tools - removed for other "
            "reasons = records screened", c.identified - removed, c.records_screened,
            f"{c.identified} - {c.duplicates} - {c.automation_rules} - {c.removed_other}")
    if c.duplicates_by_source and sum(c.duplicates_by_source.values()) != c.duplicates:
        raise _violation("sum of duplicates per source = duplicate records", c.duplicates,
                         sum(c.duplicates_by_source.values()), "per-source duplicates")
    for box, total, reasons in (
        ("records marked as ineligible by automation tools", c.automation_rules, c.automation_rules_reasons),
        ("records removed for other reasons", c.removed_other, c.removed_other_reasons),
        ("reports excluded", c.reports_excluded, c.reports_excluded_reasons),
    ):
        if sum(reasons.values()) != total:
            raise _violation(f"sum of reasons = {box}", total, sum(reasons.values()),
                             ", ".join(f"{k}: {v}" for k, v in reasons.items()) or "no reasons")
    ta = c.title_abstract
    if ta.total != c.records_screened or not 0 <= ta.done <= ta.total:
        raise _violation("title/abstract decisions made <= records screened", c.records_screened, ta.done,
                         f"{ta.done} of {ta.total} decided")
    if c.stopped and c.excluded_automation + c.unscreened_after_stop != ta.remaining - c.title_abstract_open:
        raise _violation("records screened - decided - still being settled - arrived after the stop = excluded "
                         "by automation tools (stopping rule)",
                         ta.remaining - c.title_abstract_open - c.unscreened_after_stop, c.excluded_automation,
                         f"{ta.total} - {ta.done} - {c.title_abstract_open} - {c.unscreened_after_stop}")
    if c.unscreened_after_stop and not c.stopped:
        raise _violation("records arrived after a stop without a stop", 0, c.unscreened_after_stop,
                         "stopping rule not applied")
    if not c.stopped and c.excluded_automation:
        raise _violation("records excluded by automation tools without a stopping rule", 0,
                         c.excluded_automation, "stopping rule not applied")
    pending = ta.remaining - c.excluded_automation
    if c.records_screened - c.records_excluded - pending != c.reports_sought:
        raise _violation(
            "records screened - records excluded - not yet screened = reports sought for retrieval",
            c.records_screened - c.records_excluded - pending, c.reports_sought,
            f"{c.records_screened} - {c.excluded_human} (human) - {c.excluded_automation} (automation) - {pending}")
    if c.reports_sought - c.reports_not_retrieved != c.reports_assessed:
        raise _violation("reports sought - reports not retrieved = reports assessed for eligibility",
                         c.reports_sought - c.reports_not_retrieved, c.reports_assessed,
                         f"{c.reports_sought} - {c.reports_not_retrieved}")
    ft = c.full_text
    if ft.total != c.reports_assessed or not 0 <= ft.done <= ft.total:
        raise _violation("full-text decisions made <= reports assessed", c.reports_assessed, ft.done,
                         f"{ft.done} of {ft.total} decided")
    if c.reports_assessed - c.reports_excluded - ft.remaining != c.reports_included:
        raise _violation("reports assessed - reports excluded - not yet assessed = reports of included studies",
                         c.reports_assessed - c.reports_excluded - ft.remaining, c.reports_included,
                         f"{c.reports_assessed} - {c.reports_excluded} - {ft.remaining}")

    if c.reports_included < c.studies_included:
        raise _violation("reports of included studies >= studies included", c.studies_included,
                         c.reports_included, "each study has at least one report")
    new_reports = c.reports_included - c.reports_of_previous_studies
    if new_reports < 0:
        raise _violation("reports of included studies >= new reports of studies the previous version included",
                         c.reports_of_previous_studies, c.reports_included, "those reports are among them")
    if new_reports and not c.studies_included:
        raise _violation("studies included >= 1 when a report of a new study is included", 1,
                         c.studies_included, f"{new_reports} report(s) of no study")
    if not c.studies_with_several_reports <= c.studies_included:
        raise _violation("studies with several reports <= studies included", c.studies_included,
                         c.studies_with_several_reports, "a subset of the studies")
    if new_reports < c.studies_included + c.studies_with_several_reports:
        # each new study has at least one of the new reports, one with several at least two
        raise _violation("reports of new studies >= studies included + studies with several reports",
                         c.studies_included + c.studies_with_several_reports, new_reports,
                         f"{c.studies_included} + {c.studies_with_several_reports}")
