"""The methods paragraph of the PRISMA report: ``methods_paragraph(counts, context)``.

Written to be pasted into a manuscript and edited: it states only what the review state
records (searches, deduplication, rules, who screened how, how records were ordered, the
stopping rule) and says so when a figure is missing rather than inventing one. This module
assembles the paragraph and writes its sentences on deduplication, the eligibility rules and
what became of the records; the sentences on the searches are :mod:`.methods_searches`'s, on
who screened how and their agreement :mod:`.methods_screening`'s, on how records were ordered
and why screening stopped :mod:`.methods_ordering`'s; the shared wording (counted nouns, joined
clauses) is :mod:`.prose`'s.
"""

from __future__ import annotations

from screening.prisma.context import ReportContext
from screening.prisma.model import PrismaCounts
from screening.prisma.number_format import fmt
from screening.prisma.methods_ordering import ordering_sentence, ranking_sentences, stopping_sentences
from screening.prisma.methods_screening import agreement_sentences, how_screened, share
from screening.prisma.methods_searches import rounds_sentence, search_sentence, sources_phrase
from screening.prisma.prose import counted, join_and, settled_split, was_were

# the sentence helpers' names from when they lived in this module, which tests import from here
_how_screened, _share, _search_sentence, _rounds_sentence = how_screened, share, search_sentence, rounds_sentence

_DEDUP_RULE_WORDS = {"manual": "a reviewer in dedup-review", "previous": "the previous review's table"}


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


def _versions_sentence(ctx: ReportContext) -> list[str]:
    """The version of screening that applied the rules and ranked the records, from their
    reports, unless the deduplication sentence named it for them all (without one, the version
    writing the report, which its citation line names): outputs an older version made (an
    upgrade mid-review, not yet run) are that version's work, not the one writing."""
    said = (ctx.stage_versions.get("dedup") or ctx.tool_version) if ctx.dedup_ran else ctx.tool_version
    work = [(what, ctx.stage_versions.get(stage, "")) for stage, what in
            (("apply_rules", "the eligibility rules were applied"), ("rank", "the records were ranked"))]
    work = [(what, v) for what, v in work if v]
    if all(v == said for _, v in work):
        return []
    if len({v for _, v in work}) == 1:
        text = f"{join_and([w for w, _ in work])} with screening {work[0][1]}"
    else:
        text = join_and([f"{w} with screening {v}" for w, v in work])
    return [text[0].upper() + text[1:] + "."]


def _reasons(reasons: dict[str, int]) -> str:
    return "; ".join(f"{k}, n = {fmt(v)}" for k, v in reasons.items())


def methods_paragraph(c: PrismaCounts, ctx: ReportContext) -> str:
    """A paragraph a team can paste into its methods section (then edit)."""
    s = [search_sentence(ctx.searches, set(c.other.identified) | set(ctx.method_sources))]
    opening = (f"The update's searches ({c.update_round}) identified {counted(c.identified, 'record')}" if c.is_update
               else f"In total {counted(c.identified, 'record')} {was_were(c.identified)} identified")
    sources = sources_phrase(len(c.databases), len(c.registers))
    # '2 databases and 1 register, and 3 from other methods': not '... and 1 register and 3 ...'
    other = (f"{',' if ' and ' in sources else ''} and {fmt(c.identified_other)} from other methods"
             f" ({_reasons(c.other_methods)})" if c.other_methods and not c.is_update else "")
    s.append(f"{opening} from {sources}{other}.")
    if c.other_methods and c.is_update:
        # the update's own other-method sources are its round's; counts typed for the whole
        # review ([prisma] other_methods) are not dated to any round, so said as the review's
        found = {k: v for k, v in c.other.identified.items() if v}
        typed = {k: v - found.get(k, 0) for k, v in c.other_methods.items() if v - found.get(k, 0) > 0}
        if found:
            n = sum(found.values())
            s.append(f"The update's other methods identified {counted(n, 'record')} ({_reasons(found)}).")
        if typed:
            n = sum(typed.values())
            s.append(f"Over the whole review, {counted(n, 'record')} {was_were(n)} identified from other methods "
                     f"({_reasons(typed)}).")
    rounds = rounds_sentence(ctx.rounds)
    if rounds:
        s.append(rounds)
    # the rules as a methods section reads them: 'manual' is a person's decision, not a matcher
    said = {_DEDUP_RULE_WORDS.get(k, k): v for k, v in ctx.dedup_rules.items()}
    how = f" (matched by {_reasons(said)})" if said else ""
    if ctx.dedup_ran:
        s.append(f"Duplicates were identified with the deduplication stage of screening "
                 f"{ctx.stage_versions.get('dedup') or ctx.tool_version}, "
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
    s += _versions_sentence(ctx)
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
    s.append(how_screened(opening, "records", "screened", ta, c.screening_in_progress) if ta is not None
             else f"{opening} by the review team.")
    ft_how = ctx.screening.get("full_text")
    if ft_how is not None:
        # in progress, name the reports to assess (as title/abstract names the records to
        # screen); the settled count follows in the clause how_screened adds
        opening = (f"Full texts of {counted(c.reports_sought, 'report')} are being assessed" if c.full_text_in_progress
                   else f"Full-text decisions on {counted(ft_how.settled, 'report')} were made")
        s.append(how_screened(opening, "reports", "assessed", ft_how, c.full_text_in_progress))
    s += agreement_sentences(ctx)
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
