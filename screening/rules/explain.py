"""What a review's rules would do on a records table, explained for ``screening rules check``.

Nothing is applied: the rules are evaluated as the stage would (:mod:`screening.rules.apply`)
and each rule is described by its counts (including the records no other exclude rule would
exclude) and a few example titles with the matched words marked, followed by the stage's
warnings and the notes of :mod:`screening.rules.notes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from screening.record_marks import from_other_method
from screening.rules.apply import apply_with_outcomes, kept_mask
from screening.rules.conditions import duplicate_groups
from screening.rules.model import Rule, RulesConfig
from screening.rules.notes import absent_value_notes, copy_year_notes, unchecked_notes
from screening.rules.query_eval import matched_terms
from screening.rules.textindex import fold

_TITLE_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Example:
    record_id: str
    title: str
    spans: tuple[tuple[int, int], ...]   # character ranges of matched words in ``title``
    detail: str                          # e.g. "year 1995", "language: ger", matched terms


@dataclass(frozen=True)
class RuleExplanation:
    id: str
    reason: str
    action: str
    query: str
    fired: int                 # kept records the rule fires on
    fired_on_missing_data: int
    would_exclude_first: int   # kept records this rule would be the reported reason for
    only_this_rule: int        # kept records no other exclude rule would exclude
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class RulesCheck:
    records: int
    kept: int
    counts: dict[str, int]
    reasons: dict[str, int]
    rules: tuple[RuleExplanation, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()    # listed values no record has (see :func:`absent_value_notes`)


def title_spans(title: str, words: set[str]) -> tuple[tuple[int, int], ...]:
    """Character ranges of the title's words whose folded form is one of ``words``."""
    if not words:
        return ()
    singles = {w for phrase in words for w in phrase.split()}
    return tuple((m.start(), m.end()) for m in _TITLE_WORD.finditer(title) if fold(m.group()) in singles)


def _detail(records: pd.DataFrame, rule: Rule, i: int, group: np.ndarray | None = None) -> str:
    parts = []
    if rule.year is not None:
        y = records["year"].iloc[i] if "year" in records.columns else None
        parts.append(f"year {y if not pd.isna(y) else '—'}")
        if group is not None and "year" in records.columns:    # the rule reads the copies' years too
            others = sorted({int(v) for v in pd.to_numeric(records["year"].iloc[np.flatnonzero(group == group[i])],
                                                          errors="coerce").dropna()} - {y})
            if others:
                parts[-1] += f" (duplicates: {', '.join(map(str, others))})"
    if rule.language is not None:
        parts.append(f"language {records['language'].iloc[i] or '—'}" if "language" in records.columns else "language —")
    if rule.publication_type is not None:
        v = records["publication_type"].iloc[i] if "publication_type" in records.columns else []
        parts.append(f"type {'; '.join(v) or '—'}")
    return ", ".join(parts)


def explain_rules(records: pd.DataFrame, config: RulesConfig, examples: int = 3) -> RulesCheck:
    """What each rule would do on ``records``: counts and a few example titles (nothing applied)."""
    result, outcomes = apply_with_outcomes(records, config)
    kept = kept_mask(records) & ~from_other_method(records).to_numpy()     # as the stage counts
    excluders = [o.fired & (np.where(o.by_missing, o.rule.missing, o.rule.action) == "exclude") for o in outcomes]
    per_rule = {d["id"]: d for d in result.report.details["rules"]}
    titles = records["title"].tolist() if "title" in records.columns else [""] * len(records)
    rids = records["record_id"].tolist() if "record_id" in records.columns else [str(i) for i in range(len(records))]
    group = duplicate_groups(records)
    explained = []
    for k, out in enumerate(outcomes):
        others = np.zeros(len(records), bool)
        for j, e in enumerate(excluders):
            if j != k:
                others |= e
        only = int((excluders[k] & ~others & kept).sum())
        idx = np.flatnonzero(out.fired & kept)
        if idx.size > examples:     # spread the examples over the table, deterministically
            idx = idx[np.linspace(0, idx.size - 1, examples).round().astype(int)]
        words: dict[int, list[str]] = {}
        if out.match is not None and out.match.index is not None:
            words = matched_terms(out.match, out.match.index, idx)
        exs = []
        for i in idx:
            w = words.get(int(i), [])
            detail = ", ".join(x for x in (_detail(records, out.rule, int(i), group), "; ".join(w)) if x)
            if out.by_missing[i]:
                detail = f"{detail} (missing)"
            exs.append(Example(str(rids[i]), str(titles[i]), title_spans(str(titles[i]), set(w)), detail))
        d = per_rule[out.rule.id]
        explained.append(RuleExplanation(
            id=out.rule.id, reason=out.rule.reason, action=out.rule.action, query=out.rule.query,
            fired=d["fired"], fired_on_missing_data=d["fired_on_missing_data"],
            would_exclude_first=d["excluded_first"], only_this_rule=only, examples=tuple(exs),
        ))
    return RulesCheck(records=len(records), kept=int(kept.sum()), counts=dict(result.report.counts),
                      reasons=dict(result.report.reasons), rules=tuple(explained),
                      warnings=tuple(result.report.warnings),
                      notes=tuple(absent_value_notes(records, config, kept) + unchecked_notes(outcomes, kept)
                                  + copy_year_notes(outcomes, kept)))
