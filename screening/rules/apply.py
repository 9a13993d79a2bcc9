"""Apply inclusion rules to a records table (pure), and explain what they would do.

Every record gets ``rule_decision`` (``exclude`` if any exclude rule fired, else ``flag`` if a
flag rule fired, else the configured default), ``rule_ids`` and ``rule_reasons`` (every rule
that fired, in rule order), ``rule_reason`` (an excluded record's counted reason, below) and
``rule_terms`` (words matched by firing flag rules, for the screener's highlighting). No row is
dropped and the input is not modified; applying again to the output overwrites the same five
columns with the same values.

Duplicates (``duplicate_of`` not empty) are evaluated too, so their columns are never stale, but
the report counts only kept records: PRISMA reports automation exclusions among deduplicated
records. Each excluded record is counted once, under the reason of the *first* exclude rule
that fired (rule order is the protocol's priority), so the per-reason counts add up to the
number excluded; the per-rule details also give every rule's full firing count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from screening.config import config_parameters
from screening.errors import RuleError
from screening.io.ris import RIS_TYPE_NAMES
from screening.rules.model import Rule, RulesConfig, ValueList, canonical_language
from screening.rules.query import Match, QuerySyntaxError, evaluate, fields_used, matched_terms, parse, terms
from screening.rules.textindex import TextIndex, fold, words_of
from screening.stage import StageReport, StageResult

STAGE_NAME = "apply_rules"
OUTPUT_COLUMNS = ("rule_decision", "rule_ids", "rule_reasons", "rule_reason", "rule_terms")

_LANG_SPLIT = re.compile(r"\s*(?:[;,/|]|\band\b)\s*", re.IGNORECASE)
_PARENS = re.compile(r"\([^)]*\)")
_TITLE_WORD = re.compile(r"[^\W_]+")


@dataclass
class RuleOutcome:
    """What one rule did to every record (arrays aligned with the table's rows)."""

    rule: Rule
    fired: np.ndarray              # the rule fired (by its conditions or by missing data)
    by_missing: np.ndarray         # ... because a condition's field was empty
    match: Match | None = None     # the query's match (for matched terms)
    missing: dict[str, np.ndarray] = field(default_factory=dict)   # condition -> field empty there

    def action_of(self, i: int) -> str:
        return self.rule.missing if self.by_missing[i] else self.rule.action

    @property
    def missing_reason(self) -> str:
        fields = [c.replace("_", " ") for c in self.rule.conditions if c != "query"]
        return f"{self.rule.reason} (no {'/'.join(fields)})"


# -- conditions --------------------------------------------------------------------------------


def _year(records: pd.DataFrame, rule: Rule) -> tuple[np.ndarray, np.ndarray]:
    n = len(records)
    if "year" not in records.columns:
        return np.zeros(n, bool), np.ones(n, bool)
    years = pd.to_numeric(records["year"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(years)
    fires = np.zeros(n, dtype=bool)
    assert rule.year is not None
    if rule.year.min is not None:
        fires |= years < rule.year.min
    if rule.year.max is not None:
        fires |= years > rule.year.max
    return fires & ~missing, missing


def _by_value(values: list[Any], test: Any) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate ``test(value) -> (fires, missing)`` once per distinct value."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    results = [test(u) for u in uniques]
    fires = np.array([r[0] for r in results], dtype=bool)
    missing = np.array([r[1] for r in results], dtype=bool)
    return (fires[codes], missing[codes]) if len(codes) else (np.zeros(0, bool), np.zeros(0, bool))


def record_languages(value: str) -> set[str]:
    """'English; French' / 'eng' / 'en, fr' / 'Chinese (Simplified)' -> canonical names."""
    value = _PARENS.sub(" ", value or "")
    return {canonical_language(p) for p in _LANG_SPLIT.split(value) if p.strip()}


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
    return _by_value([v if isinstance(v, str) else "" for v in values],
                     lambda v: _list_test(cond, record_languages(v), lambda lang: lang in wanted))


def type_words(value: str) -> tuple[str, ...]:
    """A publication type as words, RIS codes expanded: 'CPAPER' -> ('conference', 'paper')."""
    value = value.strip()
    return tuple(words_of(RIS_TYPE_NAMES.get(value, value)))


def _contains(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    k = len(part)
    return any(words[i:i + k] == part for i in range(len(words) - k + 1))


def _type_key(value: Any) -> str:
    """A record's publication types as one hashable key (the same value is tested once)."""
    return "\x1f".join(value) if isinstance(value, list) else ""


def _publication_type(records: pd.DataFrame, rule: Rule) -> tuple[np.ndarray, np.ndarray]:
    cond = rule.publication_type
    assert cond is not None
    wanted = [type_words(v) for v in cond.values]
    values = list(records["publication_type"]) if "publication_type" in records.columns else [[]] * len(records)
    keys = [_type_key(v) for v in values]

    def test(key: str) -> tuple[bool, bool]:
        types = [type_words(t) for t in key.split("\x1f") if t.strip()]
        return _list_test(cond, types, lambda t: any(_contains(t, w) for w in wanted if w))

    return _by_value(keys, test)


_CONDITIONS = {"year": _year, "language": _language, "publication_type": _publication_type}


def evaluate_rules(records: pd.DataFrame, config: RulesConfig) -> list[RuleOutcome]:
    """Evaluate every rule over every record; the text index is built once for all queries."""
    n = len(records)
    queries = [r for r in config.rules if r.query]
    index = None
    for r in queries:
        try:
            parse(r.query)
        except QuerySyntaxError as err:   # rules built in Python skip the TOML validation
            raise RuleError(f"rule {r.id!r}: bad query at character {err.pos + 1}: {err.message}",
                            hint=err.hint or "see docs/rules.md for the query syntax") from None
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
        for name in rule.conditions:
            if name == "query":
                if index is None:
                    match = Match(np.zeros(n, bool), [])
                else:
                    match = evaluate(parse(rule.query), index)
                    match.index = index
                fires &= match.mask
                settled &= match.mask
                continue
            f, missing = _CONDITIONS[name](records, rule)
            missing_by[name] = missing
            fires &= f
            settled &= f | missing
            any_missing |= missing
        by_missing = settled & any_missing & ~fires if rule.missing != "keep" else np.zeros(n, bool)
        outcomes.append(RuleOutcome(rule, fires | by_missing, by_missing, match, missing_by))
    return outcomes


# -- apply -------------------------------------------------------------------------------------


def _kept(records: pd.DataFrame) -> np.ndarray:
    if "duplicate_of" not in records.columns:
        return np.ones(len(records), dtype=bool)
    return np.array([not (isinstance(v, str) and v) for v in records["duplicate_of"]], dtype=bool)


def apply_rules(records: pd.DataFrame, config: RulesConfig) -> StageResult:
    """The ``apply_rules`` stage: mark every record; see the module docstring for the rules."""
    return _apply(records, config)[0]


def _apply(records: pd.DataFrame, config: RulesConfig) -> tuple[StageResult, list[RuleOutcome]]:
    if not isinstance(config, RulesConfig):
        raise RuleError(f"apply_rules needs a RulesConfig, got {type(config).__name__}")
    n = len(records)
    outcomes = evaluate_rules(records, config)
    ids: list[list[str]] = [[] for _ in range(n)]
    reasons: list[list[str]] = [[] for _ in range(n)]
    flag_words: dict[int, set[str]] = {}
    excluded = np.zeros(n, dtype=bool)
    flagged = np.zeros(n, dtype=bool)
    first_reason: list[str | None] = [None] * n
    kept = _kept(records)
    per_rule = []
    for out in outcomes:
        rule = out.rule
        fired_idx = np.flatnonzero(out.fired)
        action = np.where(out.by_missing, rule.missing, rule.action)
        excl = out.fired & (action == "exclude")
        flag = out.fired & (action == "flag")
        newly = excl & ~excluded
        why = (rule.reason, out.missing_reason)
        by_missing = out.by_missing.tolist()
        for i in fired_idx.tolist():
            ids[i].append(rule.id)
            reasons[i].append(why[by_missing[i]])
        for i in np.flatnonzero(newly).tolist():
            first_reason[i] = why[by_missing[i]]
        if out.match is not None and out.match.index is not None and rule.action == "flag":
            flag_terms = flag & ~out.by_missing
            for i, words in matched_terms(out.match, _index_of(out), np.flatnonzero(flag_terms)).items():
                flag_words.setdefault(i, set()).update(words)
        per_rule.append({
            "id": rule.id, "reason": rule.reason, "action": rule.action,
            "fired": int((out.fired & kept).sum()),
            "fired_on_missing_data": int((out.by_missing & kept).sum()),
            "excluded_first": int((newly & kept).sum()),
            "flagged": int((flag & kept).sum()),
        })
        excluded |= excl
        flagged |= flag
    decision = np.where(excluded, "exclude", np.where(flagged, "flag", config.default))
    out_df = records.copy()
    out_df["rule_decision"] = pd.Series(decision.tolist(), index=records.index, dtype=object)
    out_df["rule_ids"] = pd.Series(ids, index=records.index, dtype=object)
    out_df["rule_reasons"] = pd.Series(reasons, index=records.index, dtype=object)
    # the one reason each exclusion is counted under, fixed now: a later report must not
    # re-derive it from rules that may have been edited since
    out_df["rule_reason"] = pd.Series([r or "" for r in first_reason], index=records.index, dtype=object)
    out_df["rule_terms"] = pd.Series([sorted(flag_words[i]) if i in flag_words else [] for i in range(n)],
                                     index=records.index, dtype=object)
    reason_counts: dict[str, int] = {}
    for i in np.flatnonzero(excluded & kept):
        reason_counts[first_reason[i]] = reason_counts.get(first_reason[i], 0) + 1  # type: ignore[index]
    k_excl = int(((decision == "exclude") & kept).sum())
    k_flag = int(((decision == "flag") & kept).sum())
    report = StageReport(
        stage=STAGE_NAME, records_in=n, records_out=n,
        counts={"excluded": k_excl, "flagged": k_flag, "included": int(kept.sum()) - k_excl - k_flag},
        reasons=dict(sorted(reason_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        parameters=config_parameters(config),
        warnings=_data_warnings(records, outcomes, kept) + _effect_warnings(outcomes, kept, k_excl),
        details={"rules": per_rule, "records_evaluated": n, "kept_records": int(kept.sum()),
                 "duplicates_not_counted": int(n - kept.sum())},
    )
    return StageResult(out_df, report), outcomes


def _shown_query(query: str, width: int = 80) -> str:
    text = " ".join(str(query).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _effect_warnings(outcomes: list[RuleOutcome], kept: np.ndarray, excluded: int) -> list[str]:
    """Rules whose effect is more likely a mistake than a criterion: a query that matches no
    record (acceptance testing: `ti:(wildfire|bushfire)`, `TI=wildfire` and other databases'
    syntax parse as plain words and silently match nothing), and rules that together exclude
    every record (contradictory year limits gave a finished-looking funnel of zeros)."""
    out: list[str] = []
    n = int(kept.sum())
    if not n:
        return out
    for o in outcomes:
        if o.rule.query and not (o.fired & kept).any():
            # the query as written: a reader can tell "no record mentions harm" from a typo
            out.append(f"rule {o.rule.id!r}: its query matches no record of the {n} it was applied to "
                       f"(query: {_shown_query(o.rule.query)}); if that is unexpected, check its "
                       "syntax against docs/rules.md (fields as ti:/ab:, OR between words, * for truncation; "
                       "regular expressions and other databases' field tags are not read)")
    if excluded == n:
        out.append(f"the rules exclude all {n} records: nothing is left to screen; check for rules that "
                   "contradict each other (`screening rules check REVIEW` shows what each rule does)")
    return out


def _data_warnings(records: pd.DataFrame, outcomes: list[RuleOutcome], kept: np.ndarray) -> list[str]:
    """What the rules cannot see in these records, said rather than silently passed over:
    a condition whose field no kept record has (read from the conditions' own missing masks,
    so the rule is then decided by ``missing`` for every record), and a ``not_in`` list of
    publication types none of which any record has (a typo there excludes everything; in an
    ``any_of`` list an absent type is harmless)."""
    out: list[str] = []
    if not kept.any():
        return out
    present: dict[str, int] | None = None      # built only if a not_in type rule needs it
    for o in outcomes:
        rule = o.rule
        for name, missing in o.missing.items():
            if missing[kept].all():
                out.append(f"rule {rule.id!r}: no record has a {name.replace('_', ' ')}, so the rule was decided "
                           f"by missing = {rule.missing!r} for every record")
        if rule.publication_type is None or rule.publication_type.op != "not_in" \
                or o.missing.get("publication_type", np.zeros(0, bool))[kept].all():
            continue
        if present is None:
            present = _present_types(records, kept)
        values = rule.publication_type.values
        if not any(_type_present(v, present) for v in values):
            names = sorted(present)
            shown = ", ".join(names[:_PRESENT_SHOWN]) + (f" and {len(names) - _PRESENT_SHOWN} more"
                                                          if len(names) > _PRESENT_SHOWN else "")
            out.append(f"rule {rule.id!r}: no publication type it keeps ({', '.join(map(repr, values))}) "
                       f"matches any record's type, so it excludes every record that has one (a typo?); "
                       f"types present: {shown}")
    return out


def _index_of(out: RuleOutcome) -> TextIndex:
    assert out.match is not None and out.match.index is not None
    return out.match.index


# -- explain (for `screening rules check`) -----------------------------------------------------


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


def _detail(records: pd.DataFrame, rule: Rule, i: int) -> str:
    parts = []
    if rule.year is not None:
        y = records["year"].iloc[i] if "year" in records.columns else None
        parts.append(f"year {y if not pd.isna(y) else '—'}")
    if rule.language is not None:
        parts.append(f"language {records['language'].iloc[i] or '—'}" if "language" in records.columns else "language —")
    if rule.publication_type is not None:
        v = records["publication_type"].iloc[i] if "publication_type" in records.columns else []
        parts.append(f"type {'; '.join(v) or '—'}")
    return ", ".join(parts)


def explain_rules(records: pd.DataFrame, config: RulesConfig, examples: int = 3) -> RulesCheck:
    """What each rule would do on ``records``: counts and a few example titles (nothing applied)."""
    result, outcomes = _apply(records, config)
    kept = _kept(records)
    excluders = [o.fired & (np.where(o.by_missing, o.rule.missing, o.rule.action) == "exclude") for o in outcomes]
    per_rule = {d["id"]: d for d in result.report.details["rules"]}
    titles = records["title"].tolist() if "title" in records.columns else [""] * len(records)
    rids = records["record_id"].tolist() if "record_id" in records.columns else [str(i) for i in range(len(records))]
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
            detail = ", ".join(x for x in (_detail(records, out.rule, int(i)), "; ".join(w)) if x)
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
                      notes=tuple(absent_value_notes(records, config, kept) + unchecked_notes(outcomes, kept)))


def unchecked_notes(outcomes: list[RuleOutcome], kept: np.ndarray) -> list[str]:
    """One note per ``missing = "keep"`` rule that could not check some kept records.

    Such a rule does not fire where its field is empty, so its 'missing data' count is 0 even
    when a third of the records were never checked (only some databases export a language):
    the team should know how much a rule saw before trusting what it did not exclude.
    """
    notes = []
    total = int(kept.sum())
    for out in outcomes:
        if out.rule.missing != "keep" or not out.missing:
            continue
        for name, empty in out.missing.items():
            n = int((empty & kept & ~out.fired).sum())
            if n:
                field_name = name.replace("_", " ")
                notes.append(f"rule {out.rule.id!r}: {n} of {total} records have no {field_name}, so it did not "
                             f"check them (missing = \"keep\"; set missing = \"flag\" to list them for a person)")
    return notes


# -- listed values no record has ---------------------------------------------------------------

_PRESENT_SHOWN = 8   # values named in a note; the rest are counted


def absent_value_notes(records: pd.DataFrame, config: RulesConfig, kept: np.ndarray) -> list[str]:
    """A note per publication-type or language rule that lists values no kept record has, with
    the values the records do have: a rule whose values are all absent cannot fire (any_of) or
    fires on every record (not_in), and the counts alone do not say why (an export that keeps
    document types in a field that is not read, a type spelled otherwise). Fields that no
    record has at all are left to the stage's warnings."""
    if not kept.any():
        return []
    notes: list[str] = []
    types: dict[str, int] | None = None        # built once, only if a rule needs them
    languages: dict[str, int] | None = None
    for rule in config.rules:
        if rule.publication_type is not None and "publication_type" in records.columns:
            types = _present_types(records, kept) if types is None else types
            absent = [v for v in rule.publication_type.values if not _type_present(v, types)]
            notes += _note(rule, rule.publication_type, absent, types, "publication type")
        if rule.language is not None and "language" in records.columns:
            languages = _present_languages(records, kept) if languages is None else languages
            absent = [v for v in rule.language.values if v not in languages]
            notes += _note(rule, rule.language, absent, languages, "language")
    return notes


def _present_types(records: pd.DataFrame, kept: np.ndarray) -> dict[str, int]:
    """Kept records per publication type, types named as rules match them ('JOUR' -> 'journal
    article'; 'Journal article' is the same type), most common first."""
    counts: dict[str, int] = {}
    for key, n in pd.Series(list(map(_type_key, records.loc[kept, "publication_type"]))).value_counts().items():
        for name in {" ".join(type_words(t)) for t in str(key).split("\x1f")} - {""}:
            counts[name] = counts.get(name, 0) + int(n)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _present_languages(records: pd.DataFrame, kept: np.ndarray) -> dict[str, int]:
    """Kept records per language, by the canonical name rules use, most common first."""
    counts: dict[str, int] = {}
    values = [v if isinstance(v, str) else "" for v in records.loc[kept, "language"]]
    for value, n in pd.Series(values, dtype=object).value_counts().items():
        for name in record_languages(str(value)):
            counts[name] = counts.get(name, 0) + int(n)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _type_present(value: str, present: dict[str, int]) -> bool:
    """Whether a rule's type value matches a type some record has (as the rule matches it)."""
    wanted = type_words(value)
    return bool(wanted) and any(_contains(tuple(name.split()), wanted) for name in present)


def _note(rule: Rule, cond: ValueList, absent: list[str], present: dict[str, int], what: str) -> list[str]:
    if not absent or not present:
        return []
    if what == "publication type" and cond.op == "not_in" and len(absent) == len(cond.values):
        return []       # the stage's own warning says it, with the types present (_warnings)
    if len(absent) == len(cond.values):
        effect = "so it matches no record" if cond.op == "any_of" else "so it fires on every record that has one"
        head = f"rule {rule.id!r}: no record has {what} {_or_list(absent)}, {effect}"
    else:
        head = f"rule {rule.id!r}: no record has {what} {_or_list(absent)}"
    shown = ", ".join(f"{name} ({n})" for name, n in list(present.items())[:_PRESENT_SHOWN])
    more = len(present) - _PRESENT_SHOWN
    return [f"{head}; {what}s present: {shown}" + (f" and {more} more" if more > 0 else "")]


def _or_list(values: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"
