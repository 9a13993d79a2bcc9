"""The methods paragraph of the PRISMA report: ``methods_paragraph(counts, context)``.

Written to be pasted into a manuscript and edited: it states only what the review state
records (searches, deduplication, rules, who screened how, how records were ordered, the
stopping rule) and says so when a figure is missing rather than inventing one.
"""

from __future__ import annotations

import pandas as pd

from screening.prisma.context import ReportContext, StageScreening
from screening.prisma.model import PrismaCounts
from screening.prisma.diagram import fmt, p_text
from screening.prisma.searches import search_date, search_shortfall


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

_DEDUP_RULE_WORDS = {"manual": "a reviewer in dedup-review", "previous": "the previous review's table"}


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


_RULE_NAMES = {"hypergeometric": "hypergeometric stopping rule (Callaghan & Müller-Hansen, 2020)"}


def _rule_name(rule: str) -> str:
    return _RULE_NAMES.get(rule, f"stopping rule {rule}" if rule else "stopping rule")


def _stop_test(ctx: ReportContext) -> str:
    """What the stopping test showed, in words a methods section can state: the random
    sample, what it found, and the recall bound at the stated confidence ('' when the stop
    recorded no sample, e.g. the rank section's stopped = true)."""
    f = ctx.stopping_figures
    n, k, bound = f.get("sample_size"), f.get("sample_relevant"), f.get("recall_bound")
    target, conf = f.get("target_recall"), f.get("confidence")
    if not n or k is None or target is None or conf is None:
        return ""
    # no bound when nothing relevant had been found at all (recall is then no share of anything)
    said = [*([f"p = {p_text(ctx.stopping_p, conf)}"] if ctx.stopping_p is not None else []),
            *([f"lower confidence bound on recall {bound:.1%}"] if bound is not None else [])]
    found = "no relevant record" if not k else _count(int(k), "relevant record")
    if u := int(f.get("sample_unsettled") or 0):
        found += (f" and {_count(u, 'record')} whose decision was not yet settled (the test took the worst "
                  "case for " + ("them" if u != 1 else "it") + ")")
    return (f"a random sample of {_count(int(n), 'record')} not screened in rank order, which contained {found}, "
            f"showed that recall was at least {target:.0%} with {conf:.0%} confidence"
            + (f" ({'; '.join(said)})" if said else ""))


def _lapsed(ctx: ReportContext) -> str:
    """The clause for a stop whose test the log no longer meets: what the same test gives on
    the decisions recorded since, so the paragraph does not go on claiming the stop's recall."""
    now, conf = ctx.stopping_lapsed, ctx.stopping_figures.get("confidence")
    n, k = now.get("sample_size"), now.get("sample_relevant")
    said = [*([f"a random sample of {_count(int(n), 'record')} with {_count(int(k or 0), 'relevant record')}"]
              if n else []),
            *([f"p = {p_text(now['p_value'], conf)}"] if now.get("p_value") is not None else [])]
    return ("but on the decisions recorded since" + (f" ({'; '.join(said)})" if said else "")
            + " the test is no longer met, so the target recall is not assured")


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
    parts = [f"{fmt(use[kinds[0]])} {_was(use[kinds[0]])} {said(kinds[0])}"]
    for before, k in zip(kinds, kinds[1:]):
        # '6 in file order' leaves out the 'were made' of the part before; an imported part has a
        # verb of its own ('were imported from ...'), which must be neither left out nor borrowed
        # ('348 were imported from a decisions file; and 2 in an order that was not recorded')
        made = "imported" not in (_order_base(before), _order_base(k))
        parts.append(f"{fmt(use[k])} {_order_phrase(k, spec)}" if made else f"{fmt(use[k])} {_was(use[k])} {said(k)}")
    return f"Of the screeners' {fmt(total)} title/abstract decisions, {_join_clauses(parts)}."


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


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _join_clauses(parts: list[str]) -> str:
    """Clauses of one sentence: 'A, and B'; 'A; B' when a clause carries commas of its own;
    'A; B; and C' for three or more (semicolons keep clauses with commas apart)."""
    if len(parts) <= 1:
        return "".join(parts)
    if len(parts) == 2:
        # (a comma of its own, not the one in '1,024')
        return "; ".join(parts) if any(", " in p for p in parts) else ", and ".join(parts)
    return "; ".join(parts[:-1]) + "; and " + parts[-1]


def _reasons(reasons: dict[str, int]) -> str:
    return "; ".join(f"{k}, n = {fmt(v)}" for k, v in reasons.items())


def _records_bit(s: dict) -> str:
    """'60 records'; for a search the service served short (the log's shortfall), '60 of the 65
    records the service reported; the other 5 could not be retrieved through its API'."""
    if not s["records"]:
        return ""
    if not str(s["records"]).isdigit():
        return f"{s['records']} records"
    served, short = int(s["records"]), search_shortfall(s.get("shortfall", ""))
    if not short:
        return _count(served, "record")
    reported = _count(served + short, "record")
    if not served:
        return f"0 records: the {reported} the service reported could not be retrieved through its API"
    other = "the other record" if short == 1 else f"the other {fmt(short)}"
    return f"{fmt(served)} of the {reported} the service reported; {other} could not be retrieved through its API"


def _search_sentence(searches: pd.DataFrame | None) -> str:
    if searches is None or len(searches) == 0:
        return "The databases searched are not recorded in the review state."
    rows = searches.to_dict("records")
    dated = any(s["date_run"] for s in rows)
    parts = []
    for s in rows:
        # a logged API search's time stamp gives its day, as an export's date_searched does
        date_bit = (f"searched {search_date(s['date_run'])}" if s["date_run"] else "date of search not recorded") \
            if dated else ""
        # the team's own words on the search ('update search', 'run without date limits'):
        # within one review they are what says which sources an update added
        bits = [b for b in (f"via {s['interface']}" if s["interface"] else "", date_bit, s.get("notes", ""),
                            f"limits: {s['limits']}" if s["limits"] else "", _records_bit(s)) if b]
        # typographic quotes around the query, exactly as typed: a database's own phrase quotes
        # ('"gambling"[tiab] AND harm*[tiab]') inside straight ones read as '""gambling"...'
        query = f" using “{s['query']}”" if s["query"] else ""
        parts.append(f"{s['database'] or 'an unnamed source'}{query}" + (f" ({'; '.join(bits)})" if bits else ""))
    sentence = f"We searched {_join(parts)}."
    if not dated:
        sentence += " The dates of the searches are not recorded in the review state."
    return sentence


def _added(n: int, new: int) -> str:
    """'9 records and 5 studies no earlier search had found' / '154 records, all of studies
    earlier searches had found'. Not 'new studies': the update flow's new studies are those
    its screening included, another number."""
    if new == 0:
        return (f"{_count(n, 'record')}, " + ("of a study" if n == 1 else "all of studies")
                + " earlier searches had found")
    return f"{_count(n, 'record')} and {_count(new, 'study', 'studies')} no earlier search had found"


def _rounds_sentence(rounds: tuple[tuple[str, int, int, int], ...]) -> str:
    """'The searches of 2022-06-01 identified 900 records; the update search of 2023-06-01
    added 154 records and 97 studies no earlier search had found.' One clause per update (''
    when the review was searched in one round, or a date is not recorded)."""
    if len(rounds) < 2:
        return ""
    (first, n0, _, _), later = rounds[0], rounds[1:]
    clauses = [f"the update search of {d} added {_added(n, new)}" for d, n, _, new in later]
    return f"The searches of {first} identified {_count(n0, 'record')}; " + "; ".join(clauses) + "."


def _sources_phrase(databases: int, registers: int) -> str:
    """'5 databases', '1 register', '4 databases and 2 registers': the sources as the counts
    classify them (a source_db listed in [prisma] registers is a register, as in the diagram)."""
    parts = [_count(n, noun) for n, noun in ((databases, "database"), (registers, "register")) if n]
    return " and ".join(parts) or "no database or register"


def methods_paragraph(c: PrismaCounts, ctx: ReportContext) -> str:
    """A paragraph a team can paste into its methods section (then edit)."""
    s = [_search_sentence(ctx.searches)]
    opening = (f"The update's searches ({c.update_round}) identified {_count(c.identified, 'record')}" if c.is_update
               else f"In total {_count(c.identified, 'record')} {_was(c.identified)} identified")
    sources = _sources_phrase(len(c.databases), len(c.registers))
    # '2 databases and 1 register, and 3 from other methods': not '... and 1 register and 3 ...'
    other = (f"{',' if ' and ' in sources else ''} and {fmt(c.identified_other)} from other methods"
             f" ({_reasons(c.other_methods)})" if c.other_methods else "")
    s.append(f"{opening} from {sources}{other}.")
    rounds = _rounds_sentence(ctx.rounds)
    if rounds:
        s.append(rounds)
    # the rules as a methods section reads them: 'manual' is a person's decision, not a matcher
    said = {_DEDUP_RULE_WORDS.get(k, k): v for k, v in ctx.dedup_rules.items()}
    how = f" (matched by {_reasons(said)})" if said else ""
    if ctx.dedup_ran:
        s.append(f"Duplicates were identified with the deduplication stage of screening {ctx.tool_version}, "
                 f"which links records across databases and keeps one record per publication; "
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
    late = ctx.ruled_out_after_screening     # some of automation_rules: those someone had screened
    if c.automation_rules and late:
        # rules changed after screening began: 'predefined ... before screening' would be false
        s.append(f"Eligibility rules marked {_count(c.automation_rules, 'record')} as ineligible "
                 f"({_reasons(c.automation_rules_reasons)}): {fmt(c.automation_rules - late)} before screening and "
                 f"{fmt(late)} after title/abstract screening had begun, when the rules were changed; the screening "
                 f"decisions on {'that record are' if late == 1 else f'those {fmt(late)} records are'} not counted.")
    elif c.automation_rules:
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
    # after a stop, the records nobody read are not "screened": say how many people read (they
    # used to read "Titles and abstracts of 259 records were screened", 249 of them closed by the
    # stopping rule; acceptance testing, session 16)
    read = c.records_screened - c.excluded_automation if c.stopped else c.records_screened
    of = (f"{fmt(read)} of the {_count(c.records_screened, 'record')}" if read != c.records_screened
          else _count(c.records_screened, 'record'))
    opening = (f"Titles and abstracts of {of} "
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
        # no pair of reviewers screened the same records, or their decisions did not vary
        # (κ is undefined then), whether screening is finished or not
        s.append("Inter-reviewer agreement (Cohen's κ) could not be computed from the decision log (it needs "
                 "records screened by two reviewers whose decisions are not all the same).")
    ordering = _ordering_sentence(ctx)
    if ordering:
        s.append(ordering)
    if c.stopped:
        rule = f" ({ctx.stopping_rule})" if ctx.stopping_rule else ""
        test = _stop_test(ctx)
        # a point estimate of recall is not what the test established (it reads 100% while the
        # sample has found nothing): the bound is, when the stop recorded it
        recall = ("" if test else f" at an estimated recall of {ctx.recall_estimate:.0%}"
                  if ctx.recall_estimate is not None else "; no recall estimate was recorded")
        if ctx.stopping_met is False:
            f = ctx.stopping_figures
            p = f" (p = {p_text(ctx.stopping_p, f.get('confidence'))})" if ctx.stopping_p is not None else ""
            est = (f" (the lower confidence bound on recall was {f['recall_bound']:.1%} at {f['confidence']:.0%} "
                   f"confidence, from a random sample of {_count(int(f['sample_size']), 'record')})" if test
                   else f" (estimated recall {ctx.recall_estimate:.0%})" if ctx.recall_estimate is not None else "")
            s.append(f"Screening was stopped before the stopping rule's test{rule} was met{p}, so the "
                     f"target recall is not assured{est}; the {_count(c.excluded_automation, 'record')} nobody "
                     f"screened {'is' if c.excluded_automation == 1 else 'are'} reported as excluded by automation "
                     "tools.")
        else:
            how = (f"Title/abstract screening was stopped by the {_rule_name(ctx.stopping_rule)}: {test}" if test
                   else f"Screening stopped by a stopping rule{rule}{recall}")
            if ctx.stopping_lapsed:
                how += "; " + _lapsed(ctx)
            if c.excluded_automation == 0:
                s.append(f"{how}; no record was left unscreened.")
            else:
                s.append(f"{how}; the {_count(c.excluded_automation, 'record')} left unscreened "
                         f"{'is' if c.excluded_automation == 1 else 'are'} reported as excluded by automation tools.")
        if c.title_abstract_open:
            s.append(f"{_count(c.title_abstract_open, 'record')} screened by one reviewer or in conflict "
                     f"{_was(c.title_abstract_open)} still being settled.")
        if c.unscreened_after_stop:
            n = c.unscreened_after_stop
            s.append(f"{_count(n, 'record')} added since the stop {'is' if n == 1 else 'are'} still to be screened.")
    if c.previous_excluded_automation:
        n = c.previous_excluded_automation
        s.append(f"In the previous version, {_count(n, 'record')} nobody screened {_was(n)} closed by the stopping "
                 "rule (excluded by automation tools).")
    if c.screening_in_progress:
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
    ft = f"Of the {_count(c.reports_sought, 'report')}, {fmt(c.reports_not_retrieved)} could not be retrieved and "
    excluded = f"{fmt(c.reports_excluded)} {_was(c.reports_excluded)} excluded"
    if c.full_text_in_progress:
        # the assessed box holds the reports to assess, not those assessed: two statements
        # (not '118 were assessed for eligibility (116 assessed so far)')
        n, done = c.reports_assessed, c.full_text.done
        ft += (f"{fmt(n)} {'is' if n == 1 else 'are'} being assessed for eligibility; "
               + (f"{fmt(done)} {'has' if done == 1 else 'have'} been assessed so far, of which {excluded}" if done
                  else "none has been assessed so far"))
    else:
        ft += f"{fmt(c.reports_assessed)} {_was(c.reports_assessed)} assessed for eligibility; {excluded}"
    ft += f" ({_reasons(c.reports_excluded_reasons)})." if c.reports_excluded else "."
    s.append(ft)
    new = (f"{_count(c.studies_included, 'new study', 'new studies')} "
           f"({_count(c.reports_included - c.reports_of_previous_studies, 'report')})")
    if c.reports_of_previous_studies:
        # an update's new report of a study the previous version included: a report, no new study
        new += (f" and {_count(c.reports_of_previous_studies, 'new report')} of studies the previous version "
                "included")
    if c.is_update:
        prev = (f"with the {_count(c.previous_studies or 0, 'study', 'studies')} "
                f"({_count(c.previous_reports or 0, 'report')}) included in the previous version (from the "
                f"earlier searches), {_count(c.total_studies, 'study', 'studies')} "
                f"({_count(c.total_reports, 'report')})")
        if c.downstream_of_full_text_partial:
            s.append(f"So far, the update has included {new}; {prev} {'is' if c.total_studies == 1 else 'are'} "
                     "included in the review" + (" (the previous version's screening is unfinished too)."
                                                 if c.previous_pending else "."))
        elif c.previous_pending:
            s.append(f"The update included {new}. The previous version's screening is unfinished "
                     f"({_count(c.previous_pending, 'record')} still to screen or assess); so far, {prev} "
                     f"{'is' if c.total_studies == 1 else 'are'} included in the review.")
        else:
            s.append(f"The update included {new}; {prev} {_was(c.total_studies)} included in the "
                     "review.")
    elif c.downstream_of_full_text_partial:
        s.append(f"So far, {_count(c.studies_included, 'study', 'studies')} "
                 f"({_count(c.reports_included, 'report')}) {'has' if c.studies_included == 1 else 'have'} been "
                 "included.")
    else:
        s.append(f"In total, {_count(c.studies_included, 'study', 'studies')} ({_count(c.reports_included, 'report')}) "
                 f"{_was(c.studies_included)} included in the review.")
    if c.studies_with_several_reports:
        s.append(f"Reports of the same study were linked at full-text assessment; "
                 f"{_count(c.studies_with_several_reports, 'included study', 'included studies')} "
                 f"{'has' if c.studies_with_several_reports == 1 else 'have'} more than one report.")
    return " ".join(s)
