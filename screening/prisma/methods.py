"""The methods paragraph of the PRISMA report: ``methods_paragraph(counts, context)``.

Written to be pasted into a manuscript and edited: it states only what the review state
records (searches, deduplication, rules, who screened how, how records were ordered, the
stopping rule) and says so when a figure is missing rather than inventing one. The sentences
on how records were ordered and why screening stopped are :mod:`.methods_ordering`'s; the
shared wording (counted nouns, joined clauses) is :mod:`.prose`'s.
"""

from __future__ import annotations

import pandas as pd

from screening.prisma.context import ReportContext, StageScreening
from typing import Any, Collection

from screening.prisma.model import PrismaCounts
from screening.prisma.number_format import fmt
from screening.prisma.methods_ordering import ordering_sentence, ranking_sentences, stopping_sentences
from screening.prisma.prose import counted, join_and, settled_split, was_were
from screening.prisma.searches import search_date, search_shortfall


_DEDUP_RULE_WORDS = {"manual": "a reviewer in dedup-review", "previous": "the previous review's table"}


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
    who = (f"{len(s.screeners)} reviewer{'s' if len(s.screeners) != 1 else ''} ({join_and(list(s.screeners))})"
           if s.screeners else "the review team")
    one = noun[:-1]
    # how records were settled counts only those settled on their content: reports not
    # retrieved were never assessed by anyone, so they are named first and left out
    n = s.assessed
    done = "settled" if not s.not_retrieved else act
    unretrieved = f"{counted(s.not_retrieved, one, noun)} could not be retrieved; " if s.not_retrieved else ""
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
        dual = (f"{fmt(s.dual)} of the {of} ({_share(s.dual, n)}) {was_were(s.dual)} {act} "
                f"independently by two reviewers and {fmt(s.single)} by one")
    dual = unretrieved + dual
    tense = ("has been" if s.adjudication == 1 else "have been") if in_progress else was_were(s.adjudication)
    waiting = (f"{fmt(s.open_conflicts)} disagreement{'s' if s.open_conflicts != 1 else ''} "
               f"{'await' if s.open_conflicts != 1 else 'awaits'} adjudication") if s.open_conflicts else ""
    if s.adjudication:
        # reviewers who excluded for different reasons disagree on what PRISMA counts, not on
        # the decision κ measures: said, or '5 disagreements' sits beside a κ near 1
        if not s.reason_only:
            reason = ""
        elif s.reason_only == s.adjudication:
            reason = "on the exclusion reason only" if s.adjudication == 1 else "all on the exclusion reason only"
        else:
            reason = f"{fmt(s.reason_only)} of them on the exclusion reason only"
        resolved = (f", and {'the ' if not waiting else ''}{fmt(s.adjudication)} disagreement"
                    f"{'s' if s.adjudication != 1 else ''}" + (f" ({reason})" if reason else "")
                    + f" {tense} resolved by an adjudicator" + (f" ({waiting})" if waiting else ""))
    elif waiting:
        resolved = f", and {waiting}"
    elif s.dual:
        resolved = ", with no disagreement to resolve"
    else:
        resolved = ""
    return f"{opening} by {who}; {dual}{resolved}."


def _previous_and_total(c: PrismaCounts) -> str:
    """'with the 7 studies (7 reports) included in the previous version (from the earlier
    searches), 8 studies (8 reports)': an update's total, to be followed by 'are included'."""
    return (f"with the {counted(c.previous_studies or 0, 'study', 'studies')} "
            f"({counted(c.previous_reports or 0, 'report')}) included in the previous version (from the "
            f"earlier searches), {counted(c.total_studies, 'study', 'studies')} "
            f"({counted(c.total_reports, 'report')})")


def _are_included(c: PrismaCounts) -> str:
    """'are included in the review', and whether the previous version's screening is open."""
    verb = "is" if c.total_studies == 1 else "are"
    if c.previous_pending:
        return (f"{verb} included in the review so far (the previous version's screening is unfinished: "
                f"{counted(c.previous_pending, 'record')} still to screen or assess)")
    return f"{verb} included in the review"


def _rules_sentence(c: PrismaCounts, ctx: ReportContext) -> str:
    """What the eligibility rules marked, and whether they were predefined: not when they were
    changed after title/abstract screening began (``ctx.rules_changed``), or exclude records
    someone had screened (``ctx.ruled_out_after_screening``)."""
    late = ctx.ruled_out_after_screening     # some of automation_rules: those someone had screened
    changed = ("the rules were changed after title/abstract screening had begun"
               + (f" ({'; '.join(ctx.rules_changed)})" if ctx.rules_changed else "")) \
        if late or ctx.rules_changed else ""
    if not c.automation_rules:
        return (f"No records are marked as ineligible by automation tools; {changed}." if changed else
                "No records were marked as ineligible by automation tools before screening.")
    marked, reasons = f"{counted(c.automation_rules, 'record')} as ineligible", _reasons(c.automation_rules_reasons)
    if not changed:
        return f"Predefined eligibility rules marked {marked} before screening ({reasons})."
    if not late:
        return f"Eligibility rules marked {marked} ({reasons}); {changed}."
    # how many of the others the changed rules added is not on record (a record nobody had
    # screened yet leaves no trace of when it left): say only what is known. 'Screened' is
    # settled, as everywhere in the report: records one reviewer had decided are said apart
    unsettled = ctx.ruled_out_unsettled
    had = ("had already been screened" if not unsettled else
           f"already had screening decisions ({settled_split(late, unsettled)})")
    return (f"Eligibility rules marked {marked} ({reasons}); {changed}, and {fmt(late)} of these records {had}: "
            f"the screening decisions on "
            f"{'that record are' if late == 1 else f'those {fmt(late)} records are'} not counted.")


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
        return counted(served, "record")
    reported = counted(served + short, "record")
    if not served:
        return f"0 records: the {reported} the service reported could not be retrieved through its API"
    other = "the other record" if short == 1 else f"the other {fmt(short)}"
    return f"{fmt(served)} of the {reported} the service reported; {other} could not be retrieved through its API"


def _search_sentence(searches: pd.DataFrame | None, methods: Collection[str] = ()) -> str:
    """'We searched A (...), B (...) and C (...).'; sources that are other methods (citation
    searching, named in ``methods``) follow as 'We also used Citation searching (...).'"""
    if searches is None or len(searches) == 0:
        return "The databases searched are not recorded in the review state."
    rows = searches.to_dict("records")
    other = [s for s in rows if s["database"] in methods]
    rows = [s for s in rows if s["database"] not in methods]
    if not rows:
        return _searched(other, "We used")
    sentence = _searched(rows, "We searched")
    return sentence + (" " + _searched(other, "We also used") if other else "")


def _searched(rows: list[dict[str, Any]], verb: str) -> str:
    dated = any(s["date_run"] for s in rows)
    parts = []
    for s in rows:
        # a logged API search's time stamp gives its day, as an export's date_searched does
        date_bit = (f"searched {search_date(s['date_run'])}" if s["date_run"] else "date of search not recorded") \
            if dated else ""
        # the team's own words on the search ('update search', 'run without date limits'):
        # within one review they are what says which sources an update added
        # an API search names the tool (and version) that ran it and fetched its records (PRISMA-S)
        version = str(s.get("tool_version") or "")
        ran = f"run with {version if version.startswith('screening') else 'screening ' + version}" if version else ""
        bits = [b for b in (f"via {s['interface']}" if s["interface"] else "", date_bit, s.get("notes", ""),
                            f"limits: {s['limits']}" if s["limits"] else "", _records_bit(s), ran) if b]
        # typographic quotes around the query, exactly as typed: a database's own phrase quotes
        # ('"gambling"[tiab] AND harm*[tiab]') inside straight ones read as '""gambling"...'
        query = f" using “{s['query']}”" if s["query"] else ""
        parts.append(f"{s['database'] or 'an unnamed source'}{query}" + (f" ({'; '.join(bits)})" if bits else ""))
    sentence = f"{verb} {join_and(parts)}."
    if not dated:
        sentence += " The dates of the searches are not recorded in the review state."
    return sentence


def _added(n: int, new: int) -> str:
    """'9 records and 5 studies no earlier search had found' / '154 records, all of studies
    earlier searches had found'. Not 'new studies': the update flow's new studies are those
    its screening included, another number."""
    if new == 0:
        return (f"{counted(n, 'record')}, " + ("of a study" if n == 1 else "all of studies")
                + " earlier searches had found")
    return f"{counted(n, 'record')} and {counted(new, 'study', 'studies')} no earlier search had found"


def _rounds_sentence(rounds: tuple[tuple[str, int, int, int], ...]) -> str:
    """'The searches of 2022-06-01 identified 900 records; the update search of 2023-06-01
    added 154 records and 97 studies no earlier search had found.' One clause per update (''
    when the review was searched in one round, or a date is not recorded)."""
    if len(rounds) < 2:
        return ""
    (first, n0, _, _), later = rounds[0], rounds[1:]
    clauses = [f"the update search of {d} added {_added(n, new)}" for d, n, _, new in later]
    return f"The searches of {first} identified {counted(n0, 'record')}; " + "; ".join(clauses) + "."


def _sources_phrase(databases: int, registers: int) -> str:
    """'5 databases', '1 register', '4 databases and 2 registers': the sources as the counts
    classify them (a source_db listed in [prisma] registers is a register, as in the diagram)."""
    parts = [counted(n, noun) for n, noun in ((databases, "database"), (registers, "register")) if n]
    return " and ".join(parts) or "no database or register"


def methods_paragraph(c: PrismaCounts, ctx: ReportContext) -> str:
    """A paragraph a team can paste into its methods section (then edit)."""
    s = [_search_sentence(ctx.searches, set(c.other.identified))]
    opening = (f"The update's searches ({c.update_round}) identified {counted(c.identified, 'record')}" if c.is_update
               else f"In total {counted(c.identified, 'record')} {was_were(c.identified)} identified")
    sources = _sources_phrase(len(c.databases), len(c.registers))
    # '2 databases and 1 register, and 3 from other methods': not '... and 1 register and 3 ...'
    other = (f"{',' if ' and ' in sources else ''} and {fmt(c.identified_other)} from other methods"
             f" ({_reasons(c.other_methods)})" if c.other_methods and not c.is_update else "")
    s.append(f"{opening} from {sources}{other}.")
    if c.other_methods and c.is_update:
        # typed for the whole review ([prisma] other_methods): nothing dates them to the update
        s.append(f"Over the whole review, {counted(c.identified_other, 'record')} {was_were(c.identified_other)} "
                 f"identified from other methods ({_reasons(c.other_methods)}).")
    rounds = _rounds_sentence(ctx.rounds)
    if rounds:
        s.append(rounds)
    # the rules as a methods section reads them: 'manual' is a person's decision, not a matcher
    said = {_DEDUP_RULE_WORDS.get(k, k): v for k, v in ctx.dedup_rules.items()}
    how = f" (matched by {_reasons(said)})" if said else ""
    if ctx.dedup_ran:
        s.append(f"Duplicates were identified with the deduplication stage of screening {ctx.tool_version}, "
                 f"which links records across databases and keeps one record per publication; "
                 f"{counted(c.duplicates, 'duplicate record')} {was_were(c.duplicates)} removed{how}.")
        # their copies are still separate records in every count below: say so, not just warn
        u, k = ctx.maybe_pairs_undecided, ctx.maybe_pairs_unapplied
        if u:
            s.append(f"{counted(u, 'possible duplicate pair')} found by the deduplication stage "
                     f"{was_were(u)} not yet reviewed; the records of each such pair are counted separately.")
        if k:
            s.append(f"{'A further' if u else 'In addition,'} {counted(k, 'possible duplicate pair')} "
                     f"{was_were(k)} decided after deduplication last ran and {'is' if k == 1 else 'are'} not "
                     "applied to these counts.")
    else:
        s.append("The records were not deduplicated (no deduplication stage was run).")
    s.append(_rules_sentence(c, ctx))
    said = [(r, f, n, k) for r, f, n, k in ctx.rules_unchecked if c.automation_rules_reasons.get(r)]
    if said:
        s.append("Records lacking the field a rule tests were left to the screeners: " + join_and(
            [f"the rule “{r}” could not check {fmt(n)} of the {counted(k, 'record')} (no {f})" for r, f, n, k in said])
            + ".")
    if c.removed_other:
        s.append(f"A further {counted(c.removed_other, 'record')} {was_were(c.removed_other)} removed for other reasons "
                 f"({_reasons(c.removed_other_reasons)}).")
    ta = ctx.screening.get("title_abstract")
    if c.title_abstract.status == "empty" and not c.stopped:
        # (was 'screening of the 0 records has not started', which reads as work left to do)
        if c.is_update:
            s.append(f"No record of the update was left to screen, so it included no new study; "
                     f"{_previous_and_total(c)} {_are_included(c)}.")
        elif c.other.any:       # the other methods' reports go on to full text all the same
            s.append("No record of the database searches was left to screen.")
        else:
            s.append("No record was left to screen, so no study was included.")
        return " ".join(s + _other_methods_sentence(c))
    if c.title_abstract.status == "not started" and not c.stopped:
        s.append(f"Title/abstract screening of the {counted(c.records_screened, 'record')} has not started.")
        return " ".join(s + _other_methods_sentence(c))
    # after a stop, the records nobody read are not "screened": say how many people read (they
    # used to read "Titles and abstracts of 259 records were screened", 249 of them closed by the
    # stopping rule; acceptance testing, session 16)
    read = c.records_screened - c.excluded_automation if c.stopped else c.records_screened
    of = (f"{fmt(read)} of the {counted(c.records_screened, 'record')}" if read != c.records_screened
          else counted(c.records_screened, 'record'))
    opening = (f"Titles and abstracts of {of} "
               + ("are being screened" if c.screening_in_progress and not c.settling_after_stop
                  else "were screened"))
    s.append(_how_screened(opening, "records", "screened", ta, c.screening_in_progress) if ta is not None
             else f"{opening} by the review team.")
    ft_how = ctx.screening.get("full_text")
    if ft_how is not None:
        # in progress, name the reports to assess (as title/abstract names the records to
        # screen); the settled count follows in the clause _how_screened adds
        opening = (f"Full texts of {counted(c.reports_sought, 'report')} are being assessed" if c.full_text_in_progress
                   else f"Full-text decisions on {counted(ft_how.settled, 'report')} were made")
        s.append(_how_screened(opening, "reports", "assessed", ft_how, c.full_text_in_progress))
    names = {"title_abstract": "title/abstract", "full_text": "full-text"}
    if ctx.kappa:
        reasons_apart = any(how.reason_only for how in ctx.screening.values() if how is not None)
        s.append("Agreement between reviewers (Cohen's κ" + (", on the decision, exclusion reasons aside"
                                                           if reasons_apart else "") + ") was " +
                 join_and([f"{v:.2f} at {names.get(k, k)} screening" for k, v in sorted(ctx.kappa.items(), reverse=True)])
                 + ".")
    if ctx.unanimous:
        # every decision of a pair the same: κ is undefined, and the agreement is what to say
        # (at a stage without a κ; one with a κ is said above)
        s.append("Reviewers who screened the same records agreed on all of them ("
                 + join_and([f"{counted(n, 'record')} at {names.get(k, k)} screening"
                             for k, n in sorted(ctx.unanimous.items(), reverse=True)])
                 + "; Cohen's κ is undefined when every decision is the same).")
    elif not ctx.kappa:
        # no pair of reviewers screened the same records, whether screening is finished or not
        s.append("Inter-reviewer agreement (Cohen's κ) could not be computed from the decision log (it needs "
                 "records screened by two reviewers whose decisions are not all the same).")
    ordering = ordering_sentence(ctx)
    if ordering:
        s.append(ordering)
    s += ranking_sentences(c, ctx)
    s += stopping_sentences(c, ctx)
    if c.previous_excluded_automation:
        n = c.previous_excluded_automation
        s.append(f"In the previous version, {counted(n, 'record')} nobody screened {was_were(n)} closed by the stopping "
                 "rule (excluded by automation tools).")
    if c.screening_in_progress:
        pending = c.title_abstract.open
        s.append(f"At the time of this report {fmt(c.title_abstract.done)} of {fmt(c.title_abstract.total)} "
                 f"records had been screened"
                 + (f", and {fmt(pending)} more {'was' if pending == 1 else 'were'} decided by one reviewer "
                    f"or in conflict." if pending else "."))
    so_far = "So far, " if c.screening_in_progress else "Overall, "
    s.append(f"{so_far}{counted(c.records_excluded, 'record')} {was_were(c.records_excluded)} excluded "
             f"({fmt(c.excluded_human)} by reviewers, {fmt(c.excluded_automation)} by automation tools) and "
             f"{counted(c.reports_sought, 'report')} {was_were(c.reports_sought)} sought for retrieval.")
    s += _other_methods_sentence(c)
    if c.reports_sought and c.full_text.status == "not started" and not c.reports_not_retrieved \
            and not c.other.reports_assessed:
        s.append("Full-text assessment has not started.")
        return " ".join(s)
    s.append(_full_text_sentence(c))
    new = (f"{counted(c.studies_included, 'new study', 'new studies')} "
           f"({counted(c.reports_included - c.reports_of_previous_studies, 'report')})")
    if c.reports_of_previous_studies:
        # an update's new report of a study the previous version included: a report, no new study
        new += (f" and {counted(c.reports_of_previous_studies, 'new report')} of studies the previous version "
                "included")
    if c.is_update:
        prev = _previous_and_total(c)
        if c.included_partial:
            s.append(f"So far, the update has included {new}; {prev} {'is' if c.total_studies == 1 else 'are'} "
                     "included in the review" + (" (the previous version's screening is unfinished too)."
                                                 if c.previous_pending else "."))
        elif c.previous_pending:
            s.append(f"The update included {new}. The previous version's screening is unfinished "
                     f"({counted(c.previous_pending, 'record')} still to screen or assess); so far, {prev} "
                     f"{'is' if c.total_studies == 1 else 'are'} included in the review.")
        else:
            s.append(f"The update included {new}; {prev} {was_were(c.total_studies)} included in the "
                     "review.")
    elif c.included_partial:
        s.append(f"So far, {counted(c.studies_included, 'study', 'studies')} "
                 f"({counted(c.reports_included, 'report')}) {'has' if c.studies_included == 1 else 'have'} been "
                 "included.")
    else:
        s.append(f"In total, {counted(c.studies_included, 'study', 'studies')} ({counted(c.reports_included, 'report')}) "
                 f"{was_were(c.studies_included)} included in the review.")
    if c.studies_with_several_reports:
        s.append(f"Reports of the same study were linked at full-text assessment; "
                 f"{counted(c.studies_with_several_reports, 'included study', 'included studies')} "
                 f"{'has' if c.studies_with_several_reports == 1 else 'have'} more than one report.")
    return " ".join(s)


def _other_methods_sentence(c: PrismaCounts) -> list[str]:
    """What became of the records other methods identified (not screened at title/abstract:
    each one the searches had not found is a report sought), as the diagram's grey column."""
    o = c.other
    if not o.any:
        return []
    found = _reasons(o.identified)
    s = (f"Other methods identified {counted(o.identified_total, 'record')} ({found}); they were not screened "
         "at title/abstract")
    if o.already_identified:
        s += f", and {fmt(o.already_identified)} of them had already been identified (duplicates)"
    if o.removed:
        s += f", {fmt(o.removed)} {was_were(o.removed)} removed for other reasons"
    s += f". Of the {counted(o.reports_sought, 'report')} sought for retrieval, {fmt(o.reports_not_retrieved)} " \
         "could not be retrieved and "
    excluded = f"{fmt(o.reports_excluded)} {was_were(o.reports_excluded)} excluded"
    if c.other_in_progress:
        done = o.full_text.done
        s += (f"{fmt(o.reports_assessed)} {'is' if o.reports_assessed == 1 else 'are'} being assessed for "
              "eligibility; " + (f"{fmt(done)} {'has' if done == 1 else 'have'} been assessed so far, of which "
                                 f"{excluded}" if done else "none has been assessed so far"))
    else:
        s += f"{fmt(o.reports_assessed)} {was_were(o.reports_assessed)} assessed for eligibility; {excluded}"
    s += f" ({_reasons(o.reports_excluded_reasons)})" if o.reports_excluded else ""
    if c.other_in_progress and not o.full_text.done:
        return [s + "."]           # not 'none has been assessed so far and 0 included'
    return [s + f" and {fmt(o.reports_included)} included."]


def _full_text_sentence(c: PrismaCounts) -> str:
    """What became of the reports sought: not retrieved, assessed (or being assessed), excluded
    with reasons."""
    if not c.reports_sought:
        # not 'Of the 0 reports, 0 could not be retrieved and 0 were assessed' (acceptance testing)
        return ("No report has been sought for retrieval so far." if c.screening_in_progress
                else "No report was sought for retrieval, so none was assessed at full text.")
    ft = f"Of the {counted(c.reports_sought, 'report')}, {fmt(c.reports_not_retrieved)} could not be retrieved and "
    excluded = f"{fmt(c.reports_excluded)} {was_were(c.reports_excluded)} excluded"
    if c.full_text_in_progress:
        # the assessed box holds the reports to assess, not those assessed: two statements
        # (not '118 were assessed for eligibility (116 assessed so far)')
        n, done = c.reports_assessed, c.full_text.done
        ft += (f"{fmt(n)} {'is' if n == 1 else 'are'} being assessed for eligibility; "
               + (f"{fmt(done)} {'has' if done == 1 else 'have'} been assessed so far, of which {excluded}" if done
                  else "none has been assessed so far"))
    else:
        ft += f"{fmt(c.reports_assessed)} {was_were(c.reports_assessed)} assessed for eligibility; {excluded}"
    return ft + (f" ({_reasons(c.reports_excluded_reasons)})." if c.reports_excluded else ".")
