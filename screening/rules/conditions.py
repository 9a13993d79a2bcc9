"""Rule conditions evaluated over a records table: which records each rule fires on, and why.

Each condition (``year``, ``language``, ``publication_type``, ``query``) is tested per record
as two masks, *fires* and *missing* (the condition's field is empty there; for a query, the
fields it searches leave it unknown: :mod:`screening.rules.query_eval`); a rule fires where
all its conditions fire, or, unless its ``missing`` is ``keep``, where every condition fires or
is missing and at least one is missing. Field values are tested once per distinct value, and
the text index queries run on is built once for all rules. Pure: the table is not modified.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from screening.io.ris import RIS_TYPE_NAMES
from screening.rules.languages import known_and_unrecognised
from screening.rules.model import Rule, RulesConfig, ValueList, bad_query
from screening.rules.query import QuerySyntaxError, fields_used, parse, terms
from screening.rules.query_eval import Match, evaluate
from screening.rules.textindex import FIELD_NAMES, TextIndex, words_of


@dataclass
class RuleOutcome:
    """What one rule did to every record (arrays aligned with the table's rows)."""

    rule: Rule
    fired: np.ndarray              # the rule fired (by its conditions or by missing data)
    by_missing: np.ndarray         # ... because a condition's field was empty
    match: Match | None = None     # the query's match (for matched terms)
    missing: dict[str, np.ndarray] = field(default_factory=dict)   # condition -> field empty there
    year_kept_by_copy: np.ndarray | None = None   # own year outside the range, a duplicate's inside

    def action_of(self, i: int) -> str:
        return self.rule.missing if self.by_missing[i] else self.rule.action

    @functools.cached_property
    def query_fields(self) -> tuple[str, ...]:
        """The fields the rule's query searches, in the order people read a record (parsed once,
        not for every record the reasons are written for)."""
        return tuple(_ordered_fields(fields_used(parse(self.rule.query)))) if self.rule.query else ()

    def missing_label(self, condition: str, i: int | None = None) -> str:
        """What a record lacks when ``condition`` is missing: 'language', or for a query the
        fields it searches that record ``i`` leaves empty ('abstract'; all of them, as
        'title/abstract/keywords', without ``i``)."""
        if condition != "query" or not self.query_fields:
            return condition.replace("_", " ")
        index = self.match.index if self.match is not None else None
        empty = [f for f in self.query_fields if index is None or i is None or not index.has_words([f])[i]]
        return "/".join(FIELD_NAMES.get(f, f) for f in empty or self.query_fields)

    def reason_of(self, i: int) -> str:
        """The reason record ``i`` is counted under: the rule's, plus, when it fired on missing
        data, the fields that record lacks (only those: a record with a year and no language
        is '(no language)', not '(no year/language)')."""
        if not self.by_missing[i]:
            return self.rule.reason
        lacking = [self.missing_label(c, i) for c in self.rule.conditions if c in self.missing and self.missing[c][i]]
        return f"{self.rule.reason} (no {'/'.join(lacking)})"


def _ordered_fields(fields: set[str]) -> list[str]:
    """Query fields in the order people read a record: title, abstract, keywords, ..."""
    order = list(FIELD_NAMES)
    return sorted(fields, key=lambda f: order.index(f) if f in order else len(order))




def duplicate_groups(records: pd.DataFrame) -> np.ndarray | None:
    """Each row's duplicate group as the row of its kept record (``duplicate_of`` followed to
    the end); None when no row is a duplicate."""
    if "duplicate_of" not in records.columns or "record_id" not in records.columns:
        return None
    links = [(i, d) for i, d in enumerate(records["duplicate_of"].tolist()) if isinstance(d, str) and d]
    if not links:
        return None
    row_of = {rid: i for i, rid in enumerate(records["record_id"].astype(str).tolist())}
    group = np.arange(len(records))
    for i, d in links:
        group[i] = row_of.get(d, i)
    for _ in range(len(links)):             # a chain a -> b -> c (none is written; cheap to allow)
        deeper = group[group]
        if (deeper == group).all():
            break
        group = deeper
    return group


def _year(records: pd.DataFrame, rule: Rule) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fires, missing, kept by a copy). A duplicate group's records are one study, and
    databases date it differently (online first vs print, 2013 in Lens and 2014 in PubMed): a
    copy's year can keep a record, never exclude it. The rule fires on a record whose own year
    is outside the range only when no copy's year is inside it; a record without a year is
    missing only when no copy has one (one with a copy dated anywhere is kept: the copies do
    not agree on a year to exclude it by, and a person sees it). The third mask marks the
    records a copy's year kept from a firing their own year (or its absence) would have caused."""
    n = len(records)
    if "year" not in records.columns:
        return np.zeros(n, bool), np.ones(n, bool), np.zeros(n, bool)
    years = pd.to_numeric(records["year"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(years)
    fires = np.zeros(n, dtype=bool)
    assert rule.year is not None
    if rule.year.min is not None:
        fires |= years < rule.year.min
    if rule.year.max is not None:
        fires |= years > rule.year.max
    fires &= ~missing
    group = duplicate_groups(records)
    if group is None:
        return fires, missing, np.zeros(n, bool)
    has_year = np.zeros(n, bool)
    np.logical_or.at(has_year, group, ~missing)
    in_range = np.zeros(n, bool)
    np.logical_or.at(in_range, group, ~missing & ~fires)
    group_fires = fires & ~in_range[group]
    group_missing = missing & ~has_year[group]
    rescued = fires & ~group_fires
    if rule.missing != "keep":          # with "keep" a record without a year is kept anyway
        rescued |= missing & ~group_missing
    return group_fires, group_missing, rescued


def _by_value(values: list[Any], test: Any) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate ``test(value) -> (fires, missing)`` once per distinct value."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    results = [test(u) for u in uniques]
    fires = np.array([r[0] for r in results], dtype=bool)
    missing = np.array([r[1] for r in results], dtype=bool)
    return (fires[codes], missing[codes]) if len(codes) else (np.zeros(0, bool), np.zeros(0, bool))


def _list_test(cond: ValueList, found: set[str] | list[tuple[str, ...]], matches: Any) -> tuple[bool, bool]:
    if not found:
        return False, True
    hit = any(matches(v) for v in found)
    return (hit, False) if cond.op == "any_of" else (not hit, False)


def _language(records: pd.DataFrame, rule: Rule) -> tuple[np.ndarray, np.ndarray]:
    cond = rule.language
    assert cond is not None
    wanted = set(cond.values)
    values = list(records["language"]) if "language" in records.columns else [""] * len(records)

    def test(value: str) -> tuple[bool, bool]:
        known, unrecognised = known_and_unrecognised(value)
        if unrecognised and not (wanted & known):
            # 'Klingon', or an endonym the table lacks: the rule cannot tell whether it is
            # listed, so the value is missing data (the rule's `missing` decides; the stage
            # warns, naming it), never 'not in the list' (acceptance testing: 'Deutsch' was
            # excluded by `not_in = ["german", ...]`)
            return False, True
        return _list_test(cond, known, lambda lang: lang in wanted)

    return _by_value([v if isinstance(v, str) else "" for v in values], test)


# Zotero's item types, one camelCase word ('journalArticle', 'bookSection'); other mixed-case
# types ('PhD Thesis', 'eBook') are words as written
_ZOTERO_TYPE = re.compile(r"[a-z]{2,}(?:[A-Z][a-z]+)+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# A record typed just 'Article' (Web of Science, Scopus, OpenAlex) or 'Journal' (WoS's source
# type) is a journal article: the type a rule names as 'journal article' (PubMed, RIS JOUR).
_JOURNAL_ARTICLE = {("article",): ("journal", "article"), ("journal",): ("journal", "article")}


def type_words(value: str) -> tuple[str, ...]:
    """A publication type as words, RIS codes expanded: 'CPAPER' -> ('conference', 'paper'),
    Zotero's item types split: 'journalArticle' -> ('journal', 'article')."""
    value = RIS_TYPE_NAMES.get(value.strip(), value.strip())
    return tuple(words_of(_CAMEL.sub(" ", value) if _ZOTERO_TYPE.fullmatch(value) else value))


def record_type_words(value: str) -> tuple[str, ...]:
    """A record's publication type as words (:func:`type_words`), a bare 'Article' read as the
    journal article it is, so a rule naming 'journal article' sees it (a rule's own 'article'
    still matches every type with that word)."""
    words = type_words(value)
    return _JOURNAL_ARTICLE.get(words, words)


def contains_phrase(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    """Whether ``part`` occurs in ``words`` as consecutive words."""
    k = len(part)
    return any(words[i:i + k] == part for i in range(len(words) - k + 1))


def type_key(value: Any) -> str:
    """A record's publication types as one hashable key (the same value is tested once)."""
    return "\x1f".join(value) if isinstance(value, list) else ""


def _publication_type(records: pd.DataFrame, rule: Rule) -> tuple[np.ndarray, np.ndarray]:
    cond = rule.publication_type
    assert cond is not None
    wanted = [type_words(v) for v in cond.values]
    values = list(records["publication_type"]) if "publication_type" in records.columns else [[]] * len(records)
    keys = [type_key(v) for v in values]

    def test(key: str) -> tuple[bool, bool]:
        types = [record_type_words(t) for t in key.split("\x1f") if t.strip()]
        return _list_test(cond, types, lambda t: any(contains_phrase(t, w) for w in wanted if w))

    return _by_value(keys, test)


_CONDITIONS = {"language": _language, "publication_type": _publication_type}


def evaluate_rules(records: pd.DataFrame, config: RulesConfig) -> list[RuleOutcome]:
    """Evaluate every rule over every record; the text index is built once for all queries."""
    n = len(records)
    queries = [r for r in config.rules if r.query]
    index = None
    for r in queries:
        try:
            parse(r.query)
        except QuerySyntaxError as err:   # rules built in Python skip the TOML validation
            raise bad_query(err, r.query, f"rule {r.id!r}") from None
    if queries and n:
        nodes = [parse(r.query) for r in queries]
        fields = set().union(*(fields_used(node) for node in nodes))
        patterns = {w for node in nodes for t in terms(node) for w in t.words}
        index = TextIndex(records, fields, patterns)
    outcomes = []
    for rule in config.rules:
        fires = np.ones(n, dtype=bool)
        settled = np.ones(n, dtype=bool)       # every condition fires or is missing
        any_missing = np.zeros(n, dtype=bool)
        match = None
        missing_by: dict[str, np.ndarray] = {}
        kept_by_copy = None
        others_fire = np.ones(n, dtype=bool)    # every condition but the year fires
        for name in rule.conditions:
            if name == "query":
                if index is None:
                    match = Match(np.zeros(n, bool), [])
                else:
                    match = evaluate(parse(rule.query), index)
                    match.index = index
                unknown = match.unknown                 # an array: Match sets it
                assert unknown is not None
                missing_by["query"] = unknown
                fires &= match.mask
                others_fire &= match.mask
                settled &= match.mask | unknown
                any_missing |= unknown
                continue
            if name == "year":
                f, missing, kept_by_copy = _year(records, rule)
            else:
                f, missing = _CONDITIONS[name](records, rule)
            missing_by[name] = missing
            if name != "year":
                others_fire &= f
            fires &= f
            settled &= f | missing
            any_missing |= missing
        by_missing = settled & any_missing & ~fires if rule.missing != "keep" else np.zeros(n, bool)
        if kept_by_copy is not None:   # counted only where the rest of the rule fired
            kept_by_copy = kept_by_copy & others_fire
        outcomes.append(RuleOutcome(rule, fires | by_missing, by_missing, match, missing_by, kept_by_copy))
    return outcomes
