"""What the flow diagram's boxes say: :func:`build_layout` turns counts into the boxes, arrows
and phases of the PRISMA 2020 template (new review; updated review with its previous-studies
column; the grey 'via other methods' column).

Apart from the geometry (:mod:`.diagram_geometry`) and the drawing (:mod:`.diagram`): this is
where the counts' wording lives, and it changes with the counts, not with how boxes are drawn.
"""

from __future__ import annotations

from typing import Sequence

from screening.prisma.diagram_geometry import (
    COLUMNS, OTHER_COLUMNS, OTHER_WIDTH_IN, UPDATE_COLUMNS, UPDATE_OTHER_COLUMNS, UPDATE_OTHER_WIDTH_IN, WIDTH_IN,
    Box, Layout, Line,
)
from screening.prisma.model import PrismaCounts
from screening.prisma.number_format import fmt


def _n(label: str, n: int, partial: bool = False) -> str:
    """``Label (n = 1,234)``; ``(n = 12 so far)`` while the stage feeding the box is unfinished."""
    return f"{label} (n = {fmt(n)}{' so far' if partial else ''})"


def build_layout(c: PrismaCounts, *, footer: str | Sequence[str] | None = None) -> Layout:
    """The boxes, arrows and phases of the PRISMA 2020 'new review' flow for these counts."""
    ident = [Line("Records identified from*:", bold=True),
             Line(_n("Databases", c.identified_databases))]
    ident += [Line(_n(db, n), indent=1) for db, n in c.databases.items()]
    ident.append(Line(_n("Registers", c.identified_registers)))
    ident += [Line(_n(r, n), indent=1) for r, n in c.registers.items()]
    if c.other_methods and not c.other.any:     # typed counts only: no column to follow them down
        ident.append(Line(_n("Other methods (not screened here)", c.identified_other)))
        ident += [Line(_n(k, n), indent=1) for k, n in c.other_methods.items()]

    removed = [Line("Records removed before screening:", bold=True),
               Line(_n("Duplicate records removed", c.duplicates), indent=1),
               Line(_n("Records marked as ineligible by automation tools (rules)", c.automation_rules), indent=1)]
    removed += [Line(_n(r, n), indent=2) for r, n in c.automation_rules_reasons.items()]
    removed.append(Line(_n("Records removed for other reasons", c.removed_other), indent=1))
    removed += [Line(_n(r, n), indent=2) for r, n in c.removed_other_reasons.items()]

    screened = [Line(_n("Records screened", c.records_screened), bold=True)]
    ta = c.title_abstract
    if c.settling_after_stop:
        screened.append(Line(f"stopped; {fmt(c.title_abstract_open)} still being settled"))
    elif c.unscreened_after_stop:
        screened.append(Line(f"{ta.status}: {fmt(c.unscreened_after_stop)} to screen since the stop"))
    elif c.screening_in_progress:
        screened.append(Line(f"{ta.status}: {fmt(ta.done)} of {fmt(ta.total)} screened"))
    p1, p2 = c.downstream_of_screening_partial, c.downstream_of_full_text_partial
    excluded = [Line(_n("Records excluded**", c.records_excluded, p1), bold=True),
                Line(_n("by reviewers", c.excluded_human, p1), indent=1)]
    if c.stopped:
        excluded.append(Line(_n("by automation tools (stopping rule)", c.excluded_automation), indent=1))

    # the reports to assess (sought less those not retrieved, which full text may still add to)
    assessed = [Line(_n("Reports assessed for eligibility", c.reports_assessed, p2), bold=True)]
    if c.full_text_in_progress:
        assessed.append(Line(f"{c.full_text.status}: {fmt(c.full_text.done)} of {fmt(c.full_text.total)} assessed"))
    ft_excl = [Line(_n("Reports excluded", c.reports_excluded, p2) + (":" if c.reports_excluded_reasons else ""),
                    bold=True)]
    ft_excl += [Line(_n(r, n), indent=1) for r, n in c.reports_excluded_reasons.items()]

    new = "new " if c.is_update else ""     # an update's flow ends in its new studies
    p3 = c.included_partial
    included = [Line(_n(f"{new}studies included in review".capitalize(), c.studies_included, p3), bold=True),
                Line(_n(f"Reports of {new}included studies", c.new_study_reports if c.is_update
                        else c.reports_included, p3))]
    if c.is_update and c.reports_of_previous_studies:
        # not the new studies' reports, and in no other box: said, so the box adds up
        included.append(Line(_n("New reports of previous studies", c.reports_of_previous_studies, p3)))
    # the template of a new review says 'studies'; an update's, 'new studies'
    header = f"Identification of {new}studies via databases and registers"
    if c.update_round:
        header += f" (searches of {c.update_round})"

    boxes = [
        Box("header", "span", 0, [Line(header, bold=True)], style="header", center=True),
        Box("identified", "main", 1, ident),
        Box("removed", "side", 1, removed),
        Box("screened", "main", 2, screened),
        Box("excluded", "side", 2, excluded),
        Box("sought", "main", 3, [Line(_n("Reports sought for retrieval", c.reports_sought, p1), bold=True)]),
        Box("not_retrieved", "side", 3, [Line(_n("Reports not retrieved", c.reports_not_retrieved, p2),
                                              bold=True)]),
        Box("assessed", "main", 4, assessed),
        Box("ft_excluded", "side", 4, ft_excl),
        Box("included", "main", 5, included),
    ]
    arrows = [("identified", "removed"), ("identified", "screened"), ("screened", "excluded"),
              ("screened", "sought"), ("sought", "not_retrieved"), ("sought", "assessed"),
              ("assessed", "ft_excluded"), ("assessed", "included")]
    phases = [("Identification", 1, 1), ("Screening", 2, 4), ("Included", 5, 5)]
    notes = ["*Records identified per database or register searched.",
             "**Records excluded by a human and by automation tools are reported separately."]
    columns = dict(COLUMNS)
    if c.is_update:
        columns = dict(UPDATE_COLUMNS)
        boxes += [
            Box("prev_header", "prev", 0, [Line("Previous studies", bold=True)], style="header", center=True),
            Box("previous", "prev", 1, [
                Line(_n("Studies included in previous version of review", c.previous_studies or 0,
                        c.previous_pending > 0), bold=True),
                Line(_n("Reports of studies included in previous version of review", c.previous_reports or 0,
                        c.previous_pending > 0))]),
            Box("total", "main", 6, [
                Line(_n("Total studies included in review", c.total_studies, c.total_partial), bold=True),
                Line(_n("Reports of total included studies", c.total_reports, c.total_partial))]),
        ]
        arrows += [("included", "total"), ("previous", "total")]
        phases = [("Identification", 1, 1), ("Screening", 2, 4), ("Included", 5, 6)]
        closed = (f"; {fmt(c.previous_excluded_automation)} of its records were closed unscreened by the "
                  "stopping rule" if c.previous_excluded_automation else "")
        notes.append(f"Previous version: the records found by the searches before {c.update_round.split(' ')[0]} "
                     f"and screened{closed}. An update record whose study the previous version included, or "
                     "screened with no decision on this record in the update, is counted as a duplicate removed.")
    width = WIDTH_IN
    if c.other.any:
        # the update's own other methods (the earlier rounds' are in the previous version): with
        # no grey column its included reports arrived from nowhere (acceptance testing: 'Reports
        # assessed (n = 0)' above 'New studies included (n = 1)' while only a citation search's
        # reports were assessed)
        columns, width = ((dict(UPDATE_OTHER_COLUMNS), UPDATE_OTHER_WIDTH_IN) if c.is_update
                          else (dict(OTHER_COLUMNS), OTHER_WIDTH_IN))
        boxes, arrows = _with_other_column(c, boxes, arrows, new)
    notes += [footer] if isinstance(footer, str) else list(footer or [])
    return Layout(boxes=boxes, arrows=arrows, phases=phases, footer=notes, columns=columns, width=width)


def _with_other_column(c: PrismaCounts, boxes: list[Box], arrows: list[tuple[str, str]],
                       new: str) -> tuple[list[Box], list[tuple[str, str]]]:
    """The template's grey 'via other methods' column: records identified (per method), reports
    sought, not retrieved, assessed and excluded; its included reports join the studies box."""
    o = c.other
    partial = c.other_in_progress
    ident = [Line("Records identified from:", bold=True)]
    for k, n in c.other_methods.items():
        # a count typed in [prisma] other_methods names records the tool never saw: no flow below
        ident.append(Line(_n(k, n) + ("" if k in o.identified else ": a typed count, not followed below"), indent=1))
    if o.already_identified:
        ident.append(Line(_n("already identified (duplicates)", o.already_identified), indent=1))
    if o.removed:
        ident.append(Line(_n("removed for other reasons", o.removed), indent=1))
    assessed = [Line(_n("Reports assessed for eligibility", o.reports_assessed, partial), bold=True)]
    if partial:
        assessed.append(Line(f"{o.full_text.status}: {fmt(o.full_text.done)} of {fmt(o.full_text.total)} assessed"))
    excluded = [Line(_n("Reports excluded", o.reports_excluded, partial) + (":" if o.reports_excluded_reasons else ""),
                     bold=True)]
    excluded += [Line(_n(r, n), indent=1) for r, n in o.reports_excluded_reasons.items()]
    boxes += [
        Box("o_header", "ospan", 0, [Line(f"Identification of {new}studies via other methods", bold=True)],
            style="grey", center=True),
        Box("o_identified", "omain", 1, ident),
        Box("o_sought", "omain", 3, [Line(_n("Reports sought for retrieval", o.reports_sought), bold=True)]),
        Box("o_not_retrieved", "oside", 3, [Line(_n("Reports not retrieved", o.reports_not_retrieved, partial),
                                                 bold=True)]),
        Box("o_assessed", "omain", 4, assessed),
        Box("o_excluded", "oside", 4, excluded),
    ]
    arrows = arrows + [("o_identified", "o_sought"), ("o_sought", "o_not_retrieved"), ("o_sought", "o_assessed"),
                       ("o_assessed", "o_excluded"), ("o_assessed", "included")]
    return boxes, arrows
