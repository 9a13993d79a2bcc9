"""Apply inclusion rules to a records table (pure): the ``apply_rules`` stage.

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

Which records each rule fires on is decided in :mod:`screening.rules.conditions`; what the
rules would do, without applying them (``screening rules check``), is :mod:`screening.rules.explain`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from screening.config import config_parameters
from screening.errors import RuleError
from screening.records import with_list_cells
from screening.record_marks import from_other_method
from screening.rules.conditions import RuleOutcome, evaluate_rules
from screening.rules.languages import unrecognised_counts
from screening.rules.model import RulesConfig
from screening.rules.notes import PRESENT_SHOWN, present_types, type_present, unchecked_records
from screening.rules.query_eval import matched_terms
from screening.rules.textindex import TextIndex
from screening.stage import StageReport, StageResult

STAGE_NAME = "apply_rules"
OUTPUT_COLUMNS = ("rule_decision", "rule_ids", "rule_reasons", "rule_reason", "rule_terms")


def kept_mask(records: pd.DataFrame) -> np.ndarray:
    """The records the report counts: those dedup kept (``duplicate_of`` empty)."""
    if "duplicate_of" not in records.columns:
        return np.ones(len(records), dtype=bool)
    return np.array([not (isinstance(v, str) and v) for v in records["duplicate_of"]], dtype=bool)


def apply_rules(records: pd.DataFrame, config: RulesConfig) -> StageResult:
    """The ``apply_rules`` stage: mark every record; see the module docstring for the rules."""
    return apply_with_outcomes(records, config)[0]


def apply_with_outcomes(records: pd.DataFrame, config: RulesConfig) -> tuple[StageResult, list[RuleOutcome]]:
    """The stage's result and what each rule did (the outcomes ``rules check`` explains)."""
    if not isinstance(config, RulesConfig):
        raise RuleError(f"apply_rules needs a RulesConfig, got {type(config).__name__}")
    records = with_list_cells(records)
    n = len(records)
    outcomes = evaluate_rules(records, config)
    ids: list[list[str]] = [[] for _ in range(n)]
    reasons: list[list[str]] = [[] for _ in range(n)]
    flag_words: dict[int, set[str]] = {}
    excluded = np.zeros(n, dtype=bool)
    flagged = np.zeros(n, dtype=bool)
    first_reason: list[str | None] = [None] * n
    # records another method identified are not checked by rules: PRISMA's other-methods column
    # has no 'ineligible by automation tools' box, and the team chose them by hand
    other = from_other_method(records).to_numpy()
    kept = kept_mask(records) & ~other
    per_rule = []
    for out in outcomes:
        rule = out.rule
        fired_idx = np.flatnonzero(out.fired)
        action = np.where(out.by_missing, rule.missing, rule.action)
        excl = out.fired & (action == "exclude")
        flag = out.fired & (action == "flag")
        newly = excl & ~excluded
        for i in fired_idx.tolist():
            ids[i].append(rule.id)
            reasons[i].append(out.reason_of(i))
        for i in np.flatnonzero(newly).tolist():
            first_reason[i] = out.reason_of(i)
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
        if out.year_kept_by_copy is not None:
            per_rule[-1]["kept_by_a_duplicates_year"] = int((out.year_kept_by_copy & kept).sum())
        per_rule[-1].update(unchecked_records(out, kept))
        excluded |= excl
        flagged |= flag
    decision = np.where(other, "", np.where(excluded, "exclude", np.where(flagged, "flag", config.default)))
    for i in np.flatnonzero(other).tolist():
        ids[i], reasons[i], first_reason[i] = [], [], None
        flag_words.pop(i, None)
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
        warnings=_data_warnings(records, outcomes, kept) + _language_warnings(records, outcomes, kept)
        + _effect_warnings(outcomes, kept, k_excl),
        details={"rules": per_rule, "records_evaluated": n, "kept_records": int(kept.sum()),
                 "duplicates_not_counted": int(n - kept.sum() - other.sum())}
        | ({"other_method_records_not_checked": int(other.sum())} if other.any() else {}),
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
                label = o.missing_label(name)
                article = "an" if label[:1] in "aeiou" else "a"      # 'an abstract', 'a language'
                out.append(f"rule {rule.id!r}: no record has {article} {label}, so the rule was decided "
                           f"by missing = {rule.missing!r} for every record")
        unseen = unchecked_records(o, kept)
        if unseen and 2 * unseen["unchecked"] > kept.sum() and not any(m[kept].all() for m in o.missing.values()):
            # most records unseen: what the rule excluded is not what a reader of its reason
            # assumes (every record checked); rules check names all, the run the worst
            n_missing, total = unseen["unchecked"], int(kept.sum())
            out.append(f"rule {rule.id!r}: {n_missing} of {total} records have no "
                       f"{'/'.join(unseen['unchecked_fields'])}, so it checked only the other {total - n_missing} "
                       "(missing = \"keep\" leaves the rest to the screeners; missing = \"flag\" lists them)")
        if rule.publication_type is None or rule.publication_type.op != "not_in" \
                or o.missing.get("publication_type", np.zeros(0, bool))[kept].all():
            continue
        if present is None:
            present = present_types(records, kept)
        values = rule.publication_type.values
        if not any(type_present(v, present) for v in values):
            names = sorted(present)
            shown = ", ".join(names[:PRESENT_SHOWN]) + (f" and {len(names) - PRESENT_SHOWN} more"
                                                          if len(names) > PRESENT_SHOWN else "")
            out.append(f"rule {rule.id!r}: no publication type it keeps ({', '.join(map(repr, values))}) "
                       f"matches any record's type, so it {'flags' if rule.action == 'flag' else 'excludes'} "
                       f"every record that has one (a typo?); "
                       f"types present: {shown}")
    return out


def _language_warnings(records: pd.DataFrame, outcomes: list[RuleOutcome], kept: np.ndarray) -> list[str]:
    """Language values no language rule can read ('Klingon', an endonym the table lacks), with
    their counts: such a record's language is missing data to the rules (decided by each
    rule's ``missing``), which a reader of the counts would not otherwise know."""
    rules = [o.rule for o in outcomes if o.rule.language is not None]
    if not rules or "language" not in records.columns or not kept.any():
        return []
    counts = unrecognised_counts(records.loc[kept, "language"].tolist())
    if not counts:
        return []
    shown = ", ".join(f"{value!r} ({n})" for value, n in list(counts.items())[:PRESENT_SHOWN])
    more = f" and {len(counts) - PRESENT_SHOWN} more" if len(counts) > PRESENT_SHOWN else ""
    how = ", ".join(f"rule {r.id!r} by its missing = {r.missing!r}" for r in rules)
    return [f"language values the rules do not recognise (records): {shown}{more}; they count as no language, "
            f"so such records were decided by {how}, unless another language the record names settled it. "
            "Recognised are language names and ISO 639 codes, in English or in the language itself "
            "(docs/rules.md); set missing = \"flag\" to have a person look at the rest"]


def _index_of(out: RuleOutcome) -> TextIndex:
    assert out.match is not None and out.match.index is not None
    return out.match.index
