"""The decision log against the review TOML's ``[screening]`` declarations, after an edit.

A team edits the TOML mid-review: a reviewer renamed (``bob`` -> ``robert``), an exclusion
reason reworded or dropped. The log is append-only and keeps what was decided, under the
names and reasons of the day, so nothing is lost; but the report would silently mix the two
(PRISMA lists a full-text reason the protocol no longer has; `status -r bob` is refused while
bob's 200 decisions still count). These checks name the mismatch so the team fixes the TOML
or re-decides, on purpose. They read only what the report already loaded.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from screening.config import ReviewConfig
from screening.decisions.roster import Roster
from screening.decisions.store import DECISION_ACTIONS


def _key(text: str) -> str:
    # reasons are compared as people read them, as recording compares them
    return " ".join(str(text).split()).casefold()


def undeclared_reasons(config: ReviewConfig, ft_finals: pd.DataFrame | None) -> list[str]:
    """A warning per reason of the settled full-text exclusions that ``[screening] reasons`` no
    longer declares (PRISMA's 'Reports excluded' box lists them as recorded)."""
    if ft_finals is None or not len(ft_finals):
        return []
    declared = {_key(r) for r in config.screening.reasons}
    excluded = ft_finals[ft_finals["decision"] == "exclude"]
    used = Counter(str(r).strip() for r in excluded["reason"] if str(r).strip())
    stray = [(reason, n) for reason, n in used.items() if _key(reason) not in declared]
    if not stray:
        return []
    listed = "; ".join(f"'{reason}' ({n})" for reason, n in sorted(stray, key=lambda x: (-x[1], x[0])))
    total = sum(n for _, n in stray)
    return [f"{total} settled full-text exclusion(s) give a reason [screening] reasons no longer declares: "
            f"{listed}. The report counts them under that reason as recorded; declare it again, or have "
            "the exclusions re-decided with a declared reason"]


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
