"""The PRISMA 2020 counts as one value, and the arithmetic every flow diagram must satisfy.

:class:`PrismaCounts` holds every box of the flow (with the totals derived from them, and
:class:`StageProgress` for each human screening stage); :func:`check_invariants` verifies that
each box equals what flows into it minus what leaves it and that per-reason counts add up to
their box, so a violation is a :class:`~screening.errors.ReportError` naming the boxes and
numbers, never a silently wrong diagram. The counts are computed from a review's records and
decisions in :mod:`screening.prisma.counts`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from screening.errors import ReportError


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
class OtherMethods:
    """PRISMA 2020's 'identification of studies via other methods' column, for the records
    another method identified (``[[sources]]`` with ``method = "Citation searching"``...).
    They are not screened at title/abstract: each one not already found (a duplicate of a
    database record or of another method's) is a report sought for retrieval.

    ``identified`` counts every such record per method; ``already_identified`` those linked
    as duplicates and ``removed`` those removed for another reason (``removed_reason``), so
    identified - already identified - removed = reports sought."""

    identified: dict[str, int] = field(default_factory=dict)
    already_identified: int = 0
    removed: int = 0
    reports_sought: int = 0
    reports_not_retrieved: int = 0
    reports_assessed: int = 0
    full_text: StageProgress = StageProgress(0, 0)
    reports_excluded: int = 0
    reports_excluded_reasons: dict[str, int] = field(default_factory=dict)
    reports_included: int = 0

    @property
    def identified_total(self) -> int:
        return sum(self.identified.values())

    @property
    def any(self) -> bool:
        return bool(self.identified)


@dataclass(frozen=True)
class PrismaCounts:
    """All PRISMA 2020 flow counts for a review (databases/registers column + other methods).

    Dicts are ordered for display (largest first, then by name) and hold plain ints.
    """

    databases: dict[str, int]                 # records identified per database
    registers: dict[str, int]                 # records identified per register
    other_methods: dict[str, int]             # records identified via other methods: typed in the
    # config ([prisma] other_methods) and counted from records ([[sources]] method = ...)
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
    studies_included: int                     # from both columns (databases and other methods)
    reports_included: int                     # from both columns
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
    # the other-methods column's flow, for records another method identified (typed counts in
    # other_methods have no flow: the tool never saw those records)
    other: OtherMethods = OtherMethods()

    @property
    def reports_included_databases(self) -> int:
        """Reports included from the databases and registers column."""
        return self.reports_included - self.other.reports_included

    @property
    def new_study_reports(self) -> int:
        """An update's *reports of new included studies*: its included reports less its new
        reports of studies the previous version included (reports, not new studies: the
        template's box would otherwise count them as the new studies')."""
        return self.reports_included - self.reports_of_previous_studies

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
        return self.included_partial or self.previous_pending > 0

    @property
    def included_partial(self) -> bool:
        """The included studies and reports are *so far*: either column's assessment goes on."""
        return self.downstream_of_full_text_partial or self.other_in_progress

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

    @property
    def other_in_progress(self) -> bool:
        """Reports another method identified still to assess."""
        return self.other.full_text.remaining > 0

    def funnel(self) -> list[int]:
        """Identified -> screened -> sought -> assessed -> included (the one-line funnel). Records
        another method identified join at identification and at the reports (they are not
        screened); records only typed as counts join at identification."""
        o = self.other
        return [self.identified + o.identified_total, self.records_screened, self.reports_sought + o.reports_sought,
                self.reports_assessed + o.reports_assessed, self.studies_included]

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["warnings"] = list(self.warnings)
        for name in ("title_abstract", "full_text"):
            data[name] = _progress(getattr(self, name))
        if self.stopped:
            # the records the stop closed are settled (as excluded by automation tools), not
            # left to screen: acceptance testing found a stopped review 'in progress' here only
            ta = data["title_abstract"]
            ta["closed_by_stop"] = self.excluded_automation
            ta["remaining"] = self.title_abstract.remaining - self.excluded_automation
            if not self.screening_in_progress:
                ta["status"] = "stopped"
            elif self.settling_after_stop:
                ta["status"] = "stopped; settling"
        data["other"]["full_text"] = _progress(self.other.full_text)
        data["other"]["identified_total"] = self.other.identified_total
        data["identified"] = self.identified
        data["identified_databases"] = self.identified_databases
        data["identified_registers"] = self.identified_registers
        data["identified_other"] = self.identified_other
        data["records_excluded"] = self.records_excluded
        data["funnel"] = self.funnel()
        if self.is_update:
            data["total_studies"], data["total_reports"] = self.total_studies, self.total_reports
        return data


def _progress(prog: StageProgress) -> dict[str, Any]:
    return {"total": prog.total, "done": prog.done, "open": prog.open, "remaining": prog.remaining,
            "status": prog.status}


def _violation(boxes: str, expected: int, got: int, detail: str) -> ReportError:
    return ReportError(f"PRISMA invariant violated: {boxes}: expected {expected}, found {got} ({detail})",
                       hint="the review state is inconsistent; re-run `screening run` and check the decision log")


def _check_other(o: OtherMethods) -> None:
    """The other-methods column's own arithmetic (the same boxes as the databases column's)."""
    for name in ("already_identified", "removed", "reports_sought", "reports_not_retrieved", "reports_assessed",
                 "reports_excluded", "reports_included"):
        if getattr(o, name) < 0:
            raise _violation(f"other methods: '{name}' must not be negative", 0, getattr(o, name), "negative count")
    if o.identified_total - o.already_identified - o.removed != o.reports_sought:
        raise _violation("other methods: records identified - already identified - removed = reports sought",
                         o.identified_total - o.already_identified - o.removed, o.reports_sought,
                         f"{o.identified_total} - {o.already_identified} - {o.removed}")
    if o.reports_sought - o.reports_not_retrieved != o.reports_assessed:
        raise _violation("other methods: reports sought - reports not retrieved = reports assessed",
                         o.reports_sought - o.reports_not_retrieved, o.reports_assessed,
                         f"{o.reports_sought} - {o.reports_not_retrieved}")
    if o.full_text.total != o.reports_assessed or not 0 <= o.full_text.done <= o.full_text.total:
        raise _violation("other methods: full-text decisions made <= reports assessed", o.reports_assessed,
                         o.full_text.done, f"{o.full_text.done} of {o.full_text.total} decided")
    if sum(o.reports_excluded_reasons.values()) != o.reports_excluded:
        raise _violation("other methods: sum of reasons = reports excluded", o.reports_excluded,
                         sum(o.reports_excluded_reasons.values()), "per-reason counts")
    if o.reports_assessed - o.reports_excluded - o.full_text.remaining != o.reports_included:
        raise _violation("other methods: reports assessed - reports excluded - not yet assessed = reports included",
                         o.reports_assessed - o.reports_excluded - o.full_text.remaining, o.reports_included,
                         f"{o.reports_assessed} - {o.reports_excluded} - {o.full_text.remaining}")


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
    if c.reports_assessed - c.reports_excluded - ft.remaining != c.reports_included_databases:
        raise _violation("reports assessed - reports excluded - not yet assessed = reports of included studies",
                         c.reports_assessed - c.reports_excluded - ft.remaining, c.reports_included_databases,
                         f"{c.reports_assessed} - {c.reports_excluded} - {ft.remaining}")
    _check_other(c.other)

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
