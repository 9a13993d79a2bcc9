"""``report.md`` / ``report.html``: the funnel, the counts table, a methods paragraph, a citation.

Everything here is a pure function of the counts and a :class:`ReportContext` (what the
review state says about searches, deduplication, rules, screening and ranking), so the text
is reproducible and testable. The methods paragraph is written to be pasted into a
manuscript and edited; it states only what the state records and says so when a figure is
missing rather than inventing one.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from screening.dedup.contributions import source_contributions
from screening.prisma.counts import PrismaCounts
from screening.prisma.diagram import fmt

ARROW = " → "


@dataclass(frozen=True)
class ReportContext:
    review_name: str
    title: str
    tool_version: str
    state_hash: str
    state_time: str = ""
    searches: pd.DataFrame | None = None
    dedup_rules: dict[str, int] = field(default_factory=dict)       # duplicates removed per matching rule
    dedup_parameters: dict[str, Any] = field(default_factory=dict)
    dedup_ran: bool = True                                         # a dedup stage marked the table
    maybe_pairs_undecided: int = 0      # possible duplicate pairs nobody has decided (dedup.json)
    maybe_pairs_unapplied: int = 0      # ... decided in dedup-review after dedup last ran
    rules_parameters: dict[str, Any] = field(default_factory=dict)
    # per stage, from the decision log (never from the TOML: a plan is not what happened)
    screening: dict[str, "StageScreening"] = field(default_factory=dict)
    kappa: dict[str, float] = field(default_factory=dict)           # stage -> Cohen's kappa
    models: tuple[str, ...] = ()
    # how the title/abstract decisions were ordered, from the ranking id each one records:
    # (by a trained relevance ranking, by similarity to the priors, in file order, unrecorded)
    ranking_use: dict[str, int] = field(default_factory=dict)
    ranking_spec: str = ""                  # the ranker's components (rank.json)
    stopping_rule: str = ""
    recall_estimate: float | None = None
    stopping_met: bool | None = None        # the rule's test, when the ranking last ran
    stopping_p: float | None = None
    warnings: tuple[str, ...] = ()                                  # state warnings (demo data...)
    # PRISMA-S: per database (records, duplicates removed, distinct studies found, found only there)
    per_source: tuple[tuple[str, int, int, int, int], ...] = ()


@dataclass(frozen=True)
class StageScreening:
    """Who screened one stage and how, as recorded: settled records by how they were settled."""

    screeners: tuple[str, ...]     # reviewers with a screener decision at this stage
    # single / agreement / adjudication count the records settled on their content (screened,
    # or assessed at full text); reports settled as 'not retrieved' were never assessed, so they
    # are counted apart: 'all 16 reports were assessed independently' must not include them
    single: int                    # settled by one reviewer's decision
    agreement: int                 # two or more reviewers, independently, agreeing
    adjudication: int              # reviewers disagreed; an adjudicator decided
    open_conflicts: int = 0        # reviewers disagree; no adjudicator yet
    not_retrieved: int = 0         # full text: settled as not retrieved (however it was settled)

    @property
    def assessed(self) -> int:
        """Settled on the record's content: screened, or assessed for eligibility."""
        return self.single + self.agreement + self.adjudication

    @property
    def settled(self) -> int:
        return self.assessed + self.not_retrieved

    @property
    def dual(self) -> int:
        return self.agreement + self.adjudication


def stage_screening(entries: pd.DataFrame | None, finals: pd.DataFrame | None, stage: str,
                    outcomes: dict[str, Any] | None = None) -> StageScreening | None:
    """The recorded facts behind the methods paragraph's screening sentences (None: nothing
    settled). ``outcomes``: the stage's record outcomes, when the caller has them."""
    if finals is None or not len(finals):
        return None
    screeners: tuple[str, ...] = ()
    open_conflicts = 0
    if entries is not None:     # (finals given without a log: the API and tests)
        if outcomes is None:
            from screening.decisions.views import record_outcomes

            outcomes = record_outcomes(entries, stage)
        # the outcomes' standing screener decisions: a decision later undone (a slip by the
        # adjudicator, say) does not make its author one of the screeners
        screeners = tuple(sorted({sd.reviewer for o in outcomes.values() for sd in o.screeners}))
        open_conflicts = sum(o.status == "conflict" for o in outcomes.values())
    if "decision" in finals:
        missing = finals["decision"].astype(str).str.lower().eq("not_retrieved")
        content, not_retrieved = finals[~missing], int(missing.sum())
    else:
        content, not_retrieved = finals, 0
    how = content["resolved_by"].astype(str).value_counts() if "resolved_by" in content else pd.Series(dtype=int)
    return StageScreening(screeners=screeners,
                          single=int(how.get("single", 0)), agreement=int(how.get("agreement", 0)),
                          adjudication=int(how.get("adjudication", 0)), open_conflicts=open_conflicts,
                          not_retrieved=not_retrieved)


_ORDER_PHRASES = {
    "ranked": "in the order of a relevance ranking{spec}, retrained as decisions were made",
    "similarity": "in order of similarity to the records known to be relevant",
    "file_order": "in file order, before the ranker had both an included and an excluded record",
    "static": "in the order of a relevance ranking{spec} that was not retrained during screening",
    "table": "in the order of the records table (no relevance ranking was configured)",
    "sample": "on a random sample of the unscreened records (the stopping rule's test)",
    "imported": "imported from a decisions file",
    "unknown": "in an order that was not recorded",
}
_IMPORTED_FROM = {"rayyan": "made in Rayyan and imported", "asreview": "made in ASReview LAB and imported"}


def _order_phrase(kind: str, spec: str) -> str:
    if kind.startswith("imported:"):
        return _IMPORTED_FROM.get(kind.split(":", 1)[1], _ORDER_PHRASES["imported"])
    return _ORDER_PHRASES.get(kind, _ORDER_PHRASES["unknown"]).format(spec=spec)


def _order_base(kind: str) -> str:
    """'imported:rayyan' -> 'imported': the kind without the importing tool."""
    return kind.split(":", 1)[0]


def _order_rank(kind: str) -> int:
    keys = list(_ORDER_PHRASES)
    return keys.index(_order_base(kind)) if _order_base(kind) in keys else len(keys)


def _ordering_sentence(ctx: "ReportContext") -> str:
    """How the records were put in front of the reviewers, from what each decision records
    (never from the latest ranking alone: decisions made in file order stay in file order)."""
    use = {k: n for k, n in ctx.ranking_use.items() if n}
    total = sum(use.values())
    if not total:
        if ctx.models:     # finals given without a log (API, tests): the ranking on the table
            return (f"Records were screened in the order of a relevance ranking ({_join(list(ctx.models))}), "
                    "updated as decisions were made.")
        return ""
    spec = f" ({ctx.ranking_spec})" if ctx.ranking_spec else ""
    if set(use) == {"file_order"}:
        return ("Records were screened in file order; no relevance ranking had been trained when the "
                "title/abstract decisions were made.")

    def said(k: str) -> str:      # 'were made in file order' / 'were imported from ...'
        phrase = _order_phrase(k, spec)
        return phrase if _order_base(k) == "imported" else f"made {phrase}"

    if len(use) == 1:
        (k, n), = use.items()
        # the screeners' decisions: an adjudicator's are counted apart (the sentence on how
        # records were settled), so 'all' must not read as every decision in the log
        return (f"The screeners' one title/abstract decision was {said(k)}." if n == 1
                else f"All {fmt(n)} of the screeners' title/abstract decisions were {said(k)}.")
    kinds = sorted(use, key=lambda k: (_order_rank(k), k))
    parts = [f"{fmt(use[kinds[0]])} {_was(use[kinds[0]])} {said(kinds[0])}"] + [f"{fmt(use[k])} {_order_phrase(k, spec)}" for k in kinds[1:]]
    # phrases carry commas of their own: semicolons keep the parts apart
    return f"Of the screeners' {fmt(total)} title/abstract decisions, {'; '.join(parts[:-1])}; and {parts[-1]}."


def _count(n: int, noun: str, plural: str = "") -> str:
    """'1 record', '2 records', '1,024 records': a paragraph that is cited reads as prose."""
    return f"{fmt(n)} {noun if n == 1 else (plural or noun + 's')}"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


def _share(part: int, whole: int) -> str:
    """A percentage that never reads 100% (or 0%) unless it is: 262 of 263 is '99.6%'."""
    pct = 100 * part / whole
    for digits in (0, 1, 2, 3):
        text = f"{pct:.{digits}f}"
        if part in (0, whole) or float(text) not in (0.0, 100.0):
            return text + "%"
    return f"{pct:.4f}%"


def _how_screened(opening: str, noun: str, act: str, s: StageScreening, in_progress: bool) -> str:
    """'Titles and abstracts of 490 records were screened by 2 reviewers (a and b); all 490
    settled records were screened independently by two reviewers, and the 25 disagreements were
    resolved by an adjudicator.' — every figure from the log. ``opening`` ends before 'by'."""
    who = (f"{len(s.screeners)} reviewer{'s' if len(s.screeners) != 1 else ''} ({_join(list(s.screeners))})"
           if s.screeners else "the review team")
    one = noun[:-1]
    # how records were settled counts only those settled on their content: reports not
    # retrieved were never assessed by anyone, so they are named first and left out
    n = s.assessed
    done = "settled" if not s.not_retrieved else act
    unretrieved = f"{_count(s.not_retrieved, one, noun)} could not be retrieved; " if s.not_retrieved else ""
    of = f"{fmt(n)} {noun} {done} so far" if in_progress else f"{fmt(n)} {done} {noun}"
    if s.settled == 0:
        dual = f"no {one} has been settled yet" if in_progress else f"how each {one} was settled is not recorded"
    elif n == 0:
        dual = f"no {one} has been {act} yet" if in_progress else f"no {one} was {act}"
    elif s.dual == 0:
        dual = f"each {one} was {act} by one reviewer" if not s.not_retrieved else \
            f"each of the {of} was {act} by one reviewer"
    elif s.single == 0:
        dual = (f"all {of} were {act} independently by two reviewers" if n != 1 else
                f"the one {one} {done} so far was {act} independently by two reviewers" if in_progress else
                f"the one {done} {one} was {act} independently by two reviewers")
    else:
        dual = (f"{fmt(s.dual)} of the {of} ({_share(s.dual, n)}) {_was(s.dual)} {act} "
                f"independently by two reviewers and {fmt(s.single)} by one")
    dual = unretrieved + dual
    tense = ("has been" if s.adjudication == 1 else "have been") if in_progress else _was(s.adjudication)
    waiting = (f"{fmt(s.open_conflicts)} disagreement{'s' if s.open_conflicts != 1 else ''} "
               f"{'await' if s.open_conflicts != 1 else 'awaits'} adjudication") if s.open_conflicts else ""
    if s.adjudication:
        resolved = (f", and {'the ' if not waiting else ''}{fmt(s.adjudication)} disagreement"
                    f"{'s' if s.adjudication != 1 else ''} {tense} resolved by an adjudicator"
                    + (f" ({waiting})" if waiting else ""))
    elif waiting:
        resolved = f", and {waiting}"
    elif s.dual:
        resolved = ", with no disagreement to resolve"
    else:
        resolved = ""
    return f"{opening} by {who}; {dual}{resolved}."


def per_source_rows(records: pd.DataFrame) -> tuple[tuple[str, int, int, int, int], ...]:
    """What each database contributed before and after dedup (see
    :func:`screening.dedup.contributions.source_contributions`), as table rows."""
    return tuple((str(r[0]), *map(int, r[1:])) for r in source_contributions(records).itertuples(index=False))


_PER_SOURCE_HEAD = ("database", "records", "duplicates removed", "studies found", "found only here")


def funnel_line(c: PrismaCounts) -> str:
    """identified → screened → sought → assessed → included, e.g. ``1054 → 513 → 128 → 128 → 24``.

    Stops at an unfinished stage, e.g. ``1054 → 513 → title/abstract screening in progress
    (40 of 513 screened)``, so a partial funnel never reads as final zeros.
    """
    n = c.funnel()
    if c.screening_in_progress:
        return ARROW.join([str(n[0]), str(n[1]), f"title/abstract screening {c.title_abstract_progress()}"])
    if c.full_text_in_progress:
        ft = c.full_text
        return ARROW.join([*map(str, n[:4]), f"full-text assessment {ft.status} ({ft.done} of {ft.total} assessed)"])
    return ARROW.join(str(v) for v in n)


def citation_line(ctx: ReportContext) -> str:
    when = f"on {ctx.state_time[:10]}" if ctx.state_time else "(undated: no search or decision date recorded)"
    return (f"PRISMA flow generated by screening {ctx.tool_version} from review state "
            f"{ctx.state_hash[:12]} {when}")


def counts_rows(c: PrismaCounts) -> list[tuple[str, str]]:
    """(PRISMA box, count) rows for the counts table, sub-items indented with an en dash."""
    rows: list[tuple[str, str]] = [("Records identified from databases", fmt(c.identified_databases))]
    rows += [(f"– {k}", fmt(v)) for k, v in c.databases.items()]
    rows.append(("Records identified from registers", fmt(c.identified_registers)))
    rows += [(f"– {k}", fmt(v)) for k, v in c.registers.items()]
    if c.other_methods:
        rows.append(("Records identified from other methods", fmt(c.identified_other)))
        rows += [(f"– {k}", fmt(v)) for k, v in c.other_methods.items()]
    rows.append(("Duplicate records removed", fmt(c.duplicates)))
    rows.append(("Records marked as ineligible by automation tools (rules)", fmt(c.automation_rules)))
    rows += [(f"– {k}", fmt(v)) for k, v in c.automation_rules_reasons.items()]
    rows.append(("Records removed for other reasons", fmt(c.removed_other)))
    rows += [(f"– {k}", fmt(v)) for k, v in c.removed_other_reasons.items()]
    screened = fmt(c.records_screened)
    if c.settling_after_stop:
        screened += f" ({c.title_abstract_progress()})"
    elif c.screening_in_progress:
        screened += f" ({c.title_abstract.status}: {fmt(c.title_abstract.done)} of {fmt(c.title_abstract.total)} screened)"
    rows.append(("Records screened", screened))
    p1, p2 = c.downstream_of_screening_partial, c.downstream_of_full_text_partial

    def so_far(n: int, partial: bool) -> str:
        return fmt(n) + (" so far" if partial else "")

    rows.append(("Records excluded", so_far(c.records_excluded, p1)))
    rows.append(("– by reviewers", so_far(c.excluded_human, p1)))
    rows.append(("– by automation tools (stopping rule)", fmt(c.excluded_automation)))
    rows.append(("Reports sought for retrieval", so_far(c.reports_sought, p1)))
    rows.append(("Reports not retrieved", so_far(c.reports_not_retrieved, p2)))
    assessed = so_far(c.reports_assessed, p1)
    if c.full_text_in_progress:
        assessed += f" ({c.full_text.status}: {fmt(c.full_text.done)} of {fmt(c.full_text.total)} assessed)"
    rows.append(("Reports assessed for eligibility", assessed))
    rows.append(("Reports excluded", so_far(c.reports_excluded, p2)))
    rows += [(f"– {k}", fmt(v)) for k, v in c.reports_excluded_reasons.items()]
    rows.append(("Studies included in review", so_far(c.studies_included, p2)))
    rows.append(("Reports of included studies", so_far(c.reports_included, p2)))
    return rows


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _reasons(reasons: dict[str, int]) -> str:
    return "; ".join(f"{k}, n = {fmt(v)}" for k, v in reasons.items())


def _search_sentence(searches: pd.DataFrame | None) -> str:
    if searches is None or len(searches) == 0:
        return "The databases searched are not recorded in the review state."
    rows = searches.to_dict("records")
    dated = any(s["date_run"] for s in rows)
    parts = []
    for s in rows:
        date_bit = (f"searched {s['date_run']}" if s["date_run"] else "date of search not recorded") if dated else ""
        bits = [b for b in (f"via {s['interface']}" if s["interface"] else "", date_bit,
                            f"limits: {s['limits']}" if s["limits"] else "",
                            "" if not s["records"] else _count(int(s["records"]), "record")
                            if str(s["records"]).isdigit() else f"{s['records']} records") if b]
        # typographic quotes around the query, exactly as typed: a database's own phrase quotes
        # ('"gambling"[tiab] AND harm*[tiab]') inside straight ones read as '""gambling"...'
        query = f" using “{s['query']}”" if s["query"] else ""
        parts.append(f"{s['database'] or 'an unnamed source'}{query}" + (f" ({'; '.join(bits)})" if bits else ""))
    sentence = f"We searched {_join(parts)}."
    if not dated:
        sentence += " The dates of the searches are not recorded in the review state."
    return sentence


def _sources_phrase(databases: int, registers: int) -> str:
    """'5 databases', '1 register', '4 databases and 2 registers': the sources as the counts
    classify them (a source_db listed in [prisma] registers is a register, as in the diagram)."""
    parts = [_count(n, noun) for n, noun in ((databases, "database"), (registers, "register")) if n]
    return " and ".join(parts) or "no database or register"


def methods_paragraph(c: PrismaCounts, ctx: ReportContext) -> str:
    """A paragraph a team can paste into its methods section (then edit)."""
    s = [_search_sentence(ctx.searches)]
    s.append(f"In total {_count(c.identified, 'record')} {_was(c.identified)} identified from "
             + _sources_phrase(len(c.databases), len(c.registers))
             + (f" and {fmt(c.identified_other)} from other methods"
                                          f" ({_reasons(c.other_methods)})" if c.other_methods else "") + ".")
    how = f" (matched by {_reasons(ctx.dedup_rules)})" if ctx.dedup_rules else ""
    if ctx.dedup_ran:
        s.append(f"Duplicates were identified with the deduplication stage of screening {ctx.tool_version}, "
                 f"which links records across databases and keeps one record per study; "
                 f"{_count(c.duplicates, 'duplicate record')} {_was(c.duplicates)} removed{how}.")
        # their copies are still separate records in every count below: say so, not just warn
        u, k = ctx.maybe_pairs_undecided, ctx.maybe_pairs_unapplied
        if u:
            s.append(f"{_count(u, 'possible duplicate pair')} found by the deduplication stage "
                     f"{_was(u)} not yet reviewed; the records of each such pair are counted separately.")
        if k:
            s.append(f"{'A further' if u else 'In addition,'} {_count(k, 'possible duplicate pair')} "
                     f"{_was(k)} decided after deduplication last ran and {'is' if k == 1 else 'are'} not "
                     "applied to these counts.")
    else:
        s.append("The records were not deduplicated (no deduplication stage was run).")
    if c.automation_rules:
        s.append(f"Predefined eligibility rules marked {_count(c.automation_rules, 'record')} as ineligible before "
                 f"screening ({_reasons(c.automation_rules_reasons)}).")
    else:
        s.append("No records were marked as ineligible by automation tools before screening.")
    if c.removed_other:
        s.append(f"A further {_count(c.removed_other, 'record')} {_was(c.removed_other)} removed for other reasons "
                 f"({_reasons(c.removed_other_reasons)}).")
    ta = ctx.screening.get("title_abstract")
    if c.title_abstract.status in ("not started", "empty") and not c.stopped:
        s.append(f"Title/abstract screening of the {_count(c.records_screened, 'record')} has not started.")
        return " ".join(s)
    opening = (f"Titles and abstracts of {_count(c.records_screened, 'record')} "
               + ("are being screened" if c.screening_in_progress and not c.settling_after_stop
                  else "were screened"))
    s.append(_how_screened(opening, "records", "screened", ta, c.screening_in_progress) if ta is not None
             else f"{opening} by the review team.")
    ft_how = ctx.screening.get("full_text")
    if ft_how is not None:
        # in progress, name the reports to assess (as title/abstract names the records to
        # screen); the settled count follows in the clause _how_screened adds
        opening = (f"Full texts of {_count(c.reports_sought, 'report')} are being assessed" if c.full_text_in_progress
                   else f"Full-text decisions on {_count(ft_how.settled, 'report')} were made")
        s.append(_how_screened(opening, "reports", "assessed", ft_how, c.full_text_in_progress))
    if ctx.kappa:
        names = {"title_abstract": "title/abstract", "full_text": "full-text"}
        s.append("Agreement between reviewers (Cohen's κ) was " +
                 _join([f"{v:.2f} at {names.get(k, k)} screening" for k, v in sorted(ctx.kappa.items(), reverse=True)])
                 + ".")
    else:
        s.append("Inter-reviewer agreement (Cohen's κ) is not yet available from the decision log.")
    ordering = _ordering_sentence(ctx)
    if ordering:
        s.append(ordering)
    if c.stopped:
        rule = f" ({ctx.stopping_rule})" if ctx.stopping_rule else ""
        recall = (f" at an estimated recall of {ctx.recall_estimate:.0%}" if ctx.recall_estimate is not None
                  else "; no recall estimate was recorded")
        if ctx.stopping_met is False:
            p = f" (p = {ctx.stopping_p:.2g})" if ctx.stopping_p is not None else ""
            est = f" (estimated recall {ctx.recall_estimate:.0%})" if ctx.recall_estimate is not None else ""
            s.append(f"Screening was stopped before the stopping rule's test{rule} was met{p}, so the "
                     f"target recall is not assured{est}; the {_count(c.excluded_automation, 'record')} nobody "
                     f"screened {'is' if c.excluded_automation == 1 else 'are'} reported as excluded by automation "
                     "tools.")
        else:
            s.append(f"Screening stopped by a stopping rule{rule}{recall}; the "
                     f"{_count(c.excluded_automation, 'record')} left unscreened "
                     f"{'is' if c.excluded_automation == 1 else 'are'} reported as excluded by automation tools.")
        if c.title_abstract_open:
            s.append(f"{_count(c.title_abstract_open, 'record')} screened by one reviewer or in conflict "
                     f"{_was(c.title_abstract_open)} still being settled.")
    elif c.screening_in_progress:
        pending = c.title_abstract.open
        s.append(f"At the time of this report {fmt(c.title_abstract.done)} of {fmt(c.title_abstract.total)} "
                 f"records had been screened"
                 + (f", and {fmt(pending)} more {'was' if pending == 1 else 'were'} decided by one reviewer "
                    f"or in conflict." if pending else "."))
    so_far = "So far, " if c.screening_in_progress else "Overall, "
    s.append(f"{so_far}{_count(c.records_excluded, 'record')} {_was(c.records_excluded)} excluded "
             f"({fmt(c.excluded_human)} by reviewers, {fmt(c.excluded_automation)} by automation tools) and "
             f"{_count(c.reports_sought, 'report')} {_was(c.reports_sought)} sought for retrieval.")
    if c.reports_sought and c.full_text.status == "not started" and not c.reports_not_retrieved:
        s.append("Full-text assessment has not started.")
        return " ".join(s)
    ft = (f"Of the {_count(c.reports_sought, 'report')}, {fmt(c.reports_not_retrieved)} could not be retrieved "
          f"and {fmt(c.reports_assessed)} {_was(c.reports_assessed)} assessed for eligibility")
    if c.full_text_in_progress:
        ft += f" ({fmt(c.full_text.done)} assessed so far)"
    ft += f"; {fmt(c.reports_excluded)} {_was(c.reports_excluded)} excluded"
    ft += f" ({_reasons(c.reports_excluded_reasons)})." if c.reports_excluded else "."
    s.append(ft)
    if c.downstream_of_full_text_partial:
        s.append(f"So far, {_count(c.studies_included, 'study', 'studies')} "
                 f"({_count(c.reports_included, 'report')}) {'has' if c.studies_included == 1 else 'have'} been "
                 "included.")
    else:
        s.append(f"In total, {_count(c.studies_included, 'study', 'studies')} ({_count(c.reports_included, 'report')}) "
                 f"{_was(c.studies_included)} included in the review.")
    return " ".join(s)


def to_markdown(c: PrismaCounts, ctx: ReportContext, *, diagram: str = "prisma_flow.png") -> str:
    lines = [f"# PRISMA 2020 report — {ctx.title}", "",
             f"**Funnel:** {funnel_line(c)}", "",
             "(records identified → screened → reports sought → assessed → studies included)", "",
             f"![PRISMA 2020 flow diagram]({diagram})", "",
             "## Counts", "", "| PRISMA 2020 box | n |", "|---|---:|"]
    lines += [f"| {box.replace('|', '/')} | {n} |" for box, n in counts_rows(c)]
    if ctx.per_source:
        lines += ["", "## Records per database, before and after deduplication (PRISMA-S)", "",
                  "| " + " | ".join(_PER_SOURCE_HEAD) + " |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {src.replace('|', '/')} | {n} | {d} | {st} | {only} |" for src, n, d, st, only in ctx.per_source]
    lines += ["", "## Methods (paste and edit)", "", methods_paragraph(c, ctx), ""]
    warnings = list(ctx.warnings) + list(c.warnings)
    if warnings:
        lines += ["## Warnings", ""] + [f"- {w}" for w in warnings] + [""]
    lines += ["---", "", citation_line(ctx) + f" (full hash {ctx.state_hash}).", ""]
    return "\n".join(lines)


_CSS = ("body{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;line-height:1.45}"
        "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.2em .6em}"
        "td.n{text-align:right}td.sub{padding-left:1.6em}.cite{color:#444;font-size:.9em}"
        "svg{max-width:100%;height:auto}")


def to_html(c: PrismaCounts, ctx: ReportContext, *, svg: str = "") -> str:
    """Self-contained HTML: the diagram inlined as SVG, the same content as the Markdown."""
    e = html.escape
    rows = []
    for box, n in counts_rows(c):
        cls = ' class="sub"' if box.startswith("– ") else ""
        rows.append(f"<tr><td{cls}>{e(box)}</td><td class=\"n\">{e(n)}</td></tr>")
    figure = re.sub(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", "", svg.strip()) if svg else ""
    warnings = list(ctx.warnings) + list(c.warnings)
    warn = ("<h2>Warnings</h2><ul>" + "".join(f"<li>{e(w)}</li>" for w in warnings) + "</ul>"
            if warnings else "")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>PRISMA 2020 report — {e(ctx.title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
        f"<h1>PRISMA 2020 report — {e(ctx.title)}</h1>",
        f"<p><strong>Funnel:</strong> {e(funnel_line(c))}<br>"
        "<small>records identified → screened → reports sought → assessed → studies included</small></p>",
        f"<figure>{figure}</figure>" if figure else "",
        "<h2>Counts</h2>", "<table><thead><tr><th>PRISMA 2020 box</th><th>n</th></tr></thead><tbody>",
        *rows, "</tbody></table>",
        *(["<h2>Records per database, before and after deduplication (PRISMA-S)</h2>", "<table><thead><tr>"
           + "".join(f"<th>{e(h)}</th>" for h in _PER_SOURCE_HEAD) + "</tr></thead><tbody>"]
          + [f"<tr><td>{e(src)}</td>" + "".join(f'<td class="n">{v}</td>' for v in (n, d, st, only)) + "</tr>"
             for src, n, d, st, only in ctx.per_source]
          + ["</tbody></table>"] if ctx.per_source else []),
        "<h2>Methods (paste and edit)</h2>", f"<p>{e(methods_paragraph(c, ctx))}</p>", warn,
        f'<p class="cite">{e(citation_line(ctx))} (full hash <code>{e(ctx.state_hash)}</code>).</p>',
        "</body>", "</html>", ""])
