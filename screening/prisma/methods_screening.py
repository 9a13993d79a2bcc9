"""The methods paragraph's sentences on who screened and how: how many reviewers, how many
records two of them screened independently, the disagreements and their adjudication
(``how_screened``), and the agreement between reviewers (``agreement_sentences``: Cohen's κ,
or why there is none), for :func:`screening.prisma.methods.methods_paragraph`.

Apart from the rest of the paragraph because dual screening is its own clause of the methods
section (PRISMA 2020 item 8), worded from the decision log's per-stage figures alone.
"""

from __future__ import annotations

from screening.prisma.context import ReportContext, StageScreening
from screening.prisma.number_format import fmt
from screening.prisma.prose import counted, join_and, was_were


def share(part: int, whole: int) -> str:
    """A percentage that never reads 100% (or 0%) unless it is: 262 of 263 is '99.6%'."""
    pct = 100 * part / whole
    for digits in (0, 1, 2, 3):
        text = f"{pct:.{digits}f}"
        if part in (0, whole) or float(text) not in (0.0, 100.0):
            return text + "%"
    return f"{pct:.4f}%"


def how_screened(opening: str, noun: str, act: str, s: StageScreening, in_progress: bool) -> str:
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
        dual = (f"{fmt(s.dual)} of the {of} ({share(s.dual, n)}) {was_were(s.dual)} {act} "
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


def agreement_sentences(ctx: ReportContext) -> list[str]:
    """Cohen's κ per stage, the stages where paired reviewers agreed on every record, or that
    the log holds no pair of reviewers to compare."""
    s: list[str] = []
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
    return s
