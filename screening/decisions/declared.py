"""The decision log against the review TOML's ``[screening]`` declarations, after an edit.

A team edits the TOML mid-review: a reviewer renamed (``bob`` -> ``robert``), an exclusion
reason reworded, re-capitalised or dropped. The log is append-only and keeps what was
decided, under the names and reasons of the day, so nothing is lost; but the report would
silently mix the two (PRISMA lists a full-text reason the protocol no longer has; `status
-r bob` is refused while bob's 200 decisions still count; carol's adjudications still settle
their conflicts after ``adjudicators`` names someone else). These checks name the mismatch so
the team fixes the TOML or re-decides, on purpose. A reason only re-capitalised is one reason:
the report counts it once, under the declared spelling, and says which spellings it merged.
They read only what the report already loaded; :func:`declaration_warnings` gives them all,
for ``run``/``prisma`` and ``status`` alike.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Collection, Iterable, Mapping

import pandas as pd

from screening.config import ReviewConfig
from screening.decisions.outcomes import final_decisions, record_outcomes
from screening.decisions.reasons import ReasonNames, counted_reasons, stage_reasons
from screening.decisions.roster import Roster
from screening.decisions.store import DECISION_ACTIONS, STAGES


def undeclared_reasons(names: ReasonNames, used: list[str]) -> list[str]:
    """A warning per reason of the settled full-text exclusions (``used``, one per exclusion:
    :func:`.reasons.counted_reasons`) that ``[screening] reasons`` no longer declares (compared
    as people read them, case and spacing aside: ``names``, :mod:`.reasons`). PRISMA's 'Reports
    excluded' box lists such reasons under the spelling most of those exclusions use."""
    counted = Counter(names(r) for r in used)
    stray = [(reason, n) for reason, n in counted.items() if not names.is_declared(reason)]
    if not stray:
        return []
    listed = "; ".join(f"'{reason}' ({n})" for reason, n in sorted(stray, key=lambda x: (-x[1], x[0])))
    total = sum(n for _, n in stray)
    return [f"{total} settled full-text exclusion(s) give a reason [screening] reasons no longer declares: "
            f"{listed}. The report counts them under that reason; declare it again, or have "
            "the exclusions re-decided with a declared reason"]


def respelled_reasons(names: ReasonNames) -> list[str]:
    """A warning per spelling of a settled full-text exclusion's reason that the report counts
    under another spelling of the same reason: the declared one (the TOML re-capitalised its
    reasons after the exclusion was recorded), else the spelling most exclusions use. The log
    keeps each exclusion as recorded; the report counts the reason once (:mod:`.reasons`)."""
    out = []
    for text, n, counted in names.respelled:
        were = "exclusion was" if n == 1 else "exclusions were"
        under = (f"the declared '{counted}'" if names.is_declared(counted)
                 else f"'{counted}', the spelling most of them use (no declared reason matches)")
        out.append(f"{n} settled full-text {were} recorded as '{text}'; counted under {under} "
                   f"(the log keeps {'it' if n == 1 else 'them'} as recorded)")
    return out


def undeclared_reviewers(config: ReviewConfig, entries: pd.DataFrame | None) -> list[str]:
    """A warning per name with screening decisions in the log that ``[screening] reviewers``
    does not declare (only when a list is declared: without one any name is accepted)."""
    roster = Roster.of(config)
    if not roster.declared or entries is None or not len(entries):
        return []
    decided = entries[entries["action"].isin(DECISION_ACTIONS) & (entries["role"] == "screener")]
    counts = Counter(str(n) for n in decided["reviewer"])
    out = []
    for name, n in sorted(counts.items()):
        if Roster.match(name, roster.reviewers) is None:
            out.append(f"{n} screening decision(s) in the log are by '{name}', whom [screening] reviewers no "
                       f"longer declares (renamed or removed?): they still count, but '{name}' can no longer use "
                       f"`status`, `screen` or `decide`; add the name back to reviewers in {roster.toml} "
                       "(a person's decisions stay under the name they were made with)")
    return out


def undeclared_adjudicators(config: ReviewConfig, outcomes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """A warning per name whose adjudications still settle records (``outcomes``: per stage,
    :func:`record_outcomes`) but whom ``[screening] adjudicators`` does not declare. Only when a
    list is declared: without one anyone may adjudicate. Such a person can no longer correct
    their adjudications or see the unblinded view, and the report would go on saying an
    adjudicator settled the conflicts without anyone hearing the team changed."""
    roster = Roster.of(config)
    if not roster.adjudicators:
        return []
    counts = adjudications(outcomes)
    out = []
    for name in former_adjudicators(roster, counts):
        out.append(f"{counts[name]} adjudication(s) settling records in the log are by '{name}', whom [screening] "
                   f"adjudicators no longer declares (renamed or removed?): they still settle those records, but "
                   f"'{name}' can no longer adjudicate, correct them or see the unblinded view; add the name back "
                   f"to adjudicators in {roster.toml}, or have a declared adjudicator adjudicate those records again "
                   "(an adjudication stays under the name it was made with)")
    return out


def adjudications(outcomes: Mapping[str, Mapping[str, Any]]) -> Counter[str]:
    """Per adjudicator, the adjudications that settle a record now, over every stage (one a
    later adjudication corrected settles nothing, as `status` counts them)."""
    return Counter(str(o.adjudicator.reviewer) for by in outcomes.values() for o in by.values()
                   if o.adjudicator is not None)


def former_adjudicators(roster: Roster, names: Iterable[str]) -> list[str]:
    """Of ``names`` (people whose adjudications settle records), those ``[screening]
    adjudicators`` does not declare, sorted; none when no list is declared."""
    if not roster.adjudicators:
        return []
    return sorted({str(n) for n in names if not roster.is_adjudicator(str(n))})


def declaration_warnings(config: ReviewConfig, entries: pd.DataFrame | None,
                         outcomes: Mapping[str, Mapping[str, Any]] | None = None,
                         ft_finals: pd.DataFrame | None = None, other_reports: Collection[str] = ()) -> list[str]:
    """Every check of the log against the TOML's declarations (reviewers, adjudicators,
    full-text reasons, and the spellings of one reason counted as one), one list for the
    report and for `status` so both say the same.
    ``outcomes`` (per stage) and ``ft_finals``: when the caller has worked them out;
    ``other_reports``: the reports other methods found (sought without a title/abstract include)."""
    logged = entries is not None and len(entries) > 0
    if outcomes is None:
        outcomes = {stage: record_outcomes(entries, stage) for stage in STAGES} if logged else {}
    if ft_finals is None and logged:
        ft_finals = final_decisions(entries, "full_text", dict(outcomes), other_reports)
    # the settled exclusions' reasons and their counted spellings, worked out once for both checks
    used = counted_reasons(ft_finals, outcomes.get("full_text"))
    names = ReasonNames.of(used, stage_reasons(config, "full_text"))
    return (undeclared_reviewers(config, entries) + undeclared_adjudicators(config, outcomes)
            + undeclared_reasons(names, used) + respelled_reasons(names))
