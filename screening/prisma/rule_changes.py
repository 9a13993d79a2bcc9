"""The eligibility rules as they were when title/abstract screening began, against those now.

Why: a rule removed or loosened after screening began sends the records it excluded back to the
screeners with no flag needed (nothing already decided is overruled), so the methods paragraph
still called the rules "predefined" and applied "before screening" while its counts came from
other rules (acceptance testing: a 'thesis' rule dropped after screening; 6 records screened
late). A tightened rule was already said (``--allow-rule-changes``); either direction is a
protocol deviation a reader expects to see (PRISMA 2020 items 5 and 24c).

The stage reports in ``history.jsonl`` say which rules were in force when: the rules in force
when screening began are those of the last rules report written before the first title/abstract
decision in the log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

import pandas as pd

from screening.decisions.sharing import event_time
from screening.decisions.store import DECISION_ACTIONS
from screening.record_marks import marks

# a rule's fields that change what it excludes (its note and reason wording do not)
_DECIDING = ("action", "missing", "year", "language", "publication_type", "query")


def screening_began(entries: pd.DataFrame | None) -> datetime | None:
    """When the first title/abstract decision was logged (None: no decision yet)."""
    if entries is None or not len(entries):
        return None
    ta = entries[(entries["stage"] == "title_abstract") & entries["action"].isin(DECISION_ACTIONS)]
    times = [t for t in map(event_time, ta["created_at"]) if t is not None]
    return min(times) if times else None


def rules_when(history: Iterable[Mapping[str, Any]], moment: datetime) -> Mapping[str, Any] | None:
    """The rules report in force at ``moment``: the last one ``history`` (apply_rules lines of
    history.jsonl, oldest first) holds from before it."""
    found = None
    for line in history:
        at = event_time(line.get("time", ""))
        if at is not None and at <= moment:
            found = line.get("report") or None
    return found


def _excludes(rule: Mapping[str, Any]) -> bool:
    return rule.get("action") == "exclude" or rule.get("missing") == "exclude"


def rule_changes(then: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """The exclusion rules of ``then`` (a rules report) that ``now`` (the current one) removed,
    changed or added, in words: "rule 'thesis' removed: it had excluded 6 records". A field
    an older tool's report lacks is no change."""
    old = {str(r.get("id")): r for r in (then.get("parameters", {}) or {}).get("rules", []) or []}
    new = {str(r.get("id")): r for r in (now.get("parameters", {}) or {}).get("rules", []) or []}
    excluded = (then.get("reasons", {}) or {})
    out = []
    for rid, rule in old.items():
        if rid not in new:
            if _excludes(rule):
                n = int(excluded.get(rule.get("reason", ""), 0) or 0)
                out.append(f"rule '{rid}' removed" + (f": it had excluded {n} record{'s' if n != 1 else ''}"
                                                      if n else ""))
        elif (_excludes(rule) or _excludes(new[rid])) and \
                any(k in rule and k in new[rid] and rule[k] != new[rid][k] for k in _DECIDING):
            out.append(f"rule '{rid}' changed")
    out += [f"rule '{rid}' added" for rid, rule in new.items() if rid not in old and _excludes(rule)]
    return out


def rules_changed_after_screening(history: list[Mapping[str, Any]], entries: pd.DataFrame | None,
                                  current: Mapping[str, Any] | None) -> tuple[str, ...]:
    """:func:`rule_changes` between the rules in force when title/abstract screening began and
    ``current`` (the apply_rules report on disk). ``history``: every line of history.jsonl (all
    stages). A run before screening without a rules stage had no rules: every exclusion rule
    now was added since. () when screening has not begun, or the history does not reach back
    to then (a folder from before history.jsonl)."""
    began = screening_began(entries)
    if began is None or not current:
        return ()
    then = rules_when([h for h in history if h.get("stage") == "apply_rules"], began)
    if then is None and any((at := event_time(h.get("time", ""))) is not None and at <= began for h in history):
        then = {"parameters": {"rules": []}, "reasons": {}}
    return tuple(rule_changes(then, current)) if then else ()


def ruled_out_after_screening(records: pd.DataFrame, outcomes: Mapping[str, Any] | None) -> tuple[int, int]:
    """(records the rules exclude, duplicates aside, that someone decided at title/abstract; of
    those, the ones not settled yet). ``outcomes``: the title/abstract record outcomes. A
    report calls only the settled ones screened (a record one reviewer decided awaits a
    second): the PRISMA warnings count the two apart, and the methods say both."""
    if "rule_decision" not in records.columns or not outcomes:
        return 0, 0
    ruled = (marks(records["rule_decision"]).str.lower() == "exclude") & (
        marks(records["duplicate_of"]) == "" if "duplicate_of" in records.columns else True)
    decided = [outcomes[r] for r in marks(records.loc[ruled, "record_id"]) if r in outcomes]
    return len(decided), sum(1 for o in decided if o.status != "final")
