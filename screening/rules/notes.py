"""What the rules could not see in the records: notes for ``screening rules check``, and the
count the rules stage reports.

Two kinds, neither an error: a ``missing = "keep"`` rule that left records unchecked because
their field is empty (:func:`unchecked_notes`; :func:`unchecked_records` for the stage), and a publication-type or language rule listing
values no record has (:func:`absent_value_notes`). The values present are counted as the rules
match them, so the stage's own warning on a ``not_in`` type list no record matches
(:mod:`screening.rules.apply`) uses the same counts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from screening.rules.conditions import RuleOutcome, contains_phrase, record_type_words, type_key, type_words
from screening.rules.languages import record_languages
from screening.rules.model import Rule, RulesConfig, ValueList

PRESENT_SHOWN = 8   # values named in a note; the rest are counted


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
                field_name = out.missing_label(name)
                notes.append(f"rule {out.rule.id!r}: {n} of {total} records have no {field_name}, so it did not "
                             f"check them (missing = \"keep\"; set missing = \"flag\" to list them for a person)")
    return notes


def unchecked_records(out: RuleOutcome, kept: np.ndarray) -> dict[str, Any]:
    """A ``missing = "keep"`` rule's kept records it could not check (their field is empty) and
    the fields they lack, for the rules stage's report and its warning (one count, unlike
    :func:`unchecked_notes`, which ``rules check`` gives per field): a language rule where one
    record of 499 gives a language excluded "n = 1", and the methods paragraph read as an
    English-only restriction applied to all."""
    rule = out.rule
    conditions = sum(bool(c) for c in (rule.year, rule.language, rule.publication_type, rule.query))
    # one condition only: with several, a record another condition already decided would be
    # counted as unchecked for lacking this one's field (9 of 10 where all 10 were decided)
    if rule.missing != "keep" or not out.missing or conditions != 1:
        return {}
    unseen = np.zeros(len(kept), dtype=bool)
    fields: list[str] = []
    for name, empty in out.missing.items():
        mask = empty & kept & ~out.fired
        if mask.any():
            unseen |= mask
            fields.append(out.missing_label(name))
    return {"unchecked": int(unseen.sum()), "unchecked_fields": fields} if unseen.any() else {}


def copy_year_notes(outcomes: list[RuleOutcome], kept: np.ndarray) -> list[str]:
    """A year rule that a duplicate's year held back: the kept record's own year is outside the
    range, another database's copy of the study is inside it (online first vs print)."""
    notes = []
    for out in outcomes:
        if out.year_kept_by_copy is not None and (n := int((out.year_kept_by_copy & kept).sum())):
            notes.append(f"rule {out.rule.id!r}: {n} record{'s' if n != 1 else ''} kept because a duplicate "
                         f"from another database dates the study (inside the range, or where the record "
                         f"gives no year); databases disagree on years (online first vs print), and a "
                         f"copy's year keeps a record but never excludes it")
    return notes


# -- listed values no record has ---------------------------------------------------------------


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
            types = present_types(records, kept) if types is None else types
            absent = [v for v in rule.publication_type.values if not type_present(v, types)]
            notes += _note(rule, rule.publication_type, absent, types, "publication type")
        if rule.language is not None and "language" in records.columns:
            languages = _present_languages(records, kept) if languages is None else languages
            absent = [v for v in rule.language.values if v not in languages]
            notes += _note(rule, rule.language, absent, languages, "language")
    return notes


def present_types(records: pd.DataFrame, kept: np.ndarray) -> dict[str, int]:
    """Kept records per publication type, types named as rules match them ('JOUR' -> 'journal
    article'; 'Journal article' is the same type), most common first."""
    counts: dict[str, int] = {}
    for key, n in pd.Series(list(map(type_key, records.loc[kept, "publication_type"]))).value_counts().items():
        for name in {" ".join(record_type_words(t)) for t in str(key).split("\x1f")} - {""}:
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


def type_present(value: str, present: dict[str, int]) -> bool:
    """Whether a rule's type value matches a type some record has (as the rule matches it)."""
    wanted = type_words(value)
    return bool(wanted) and any(contains_phrase(tuple(name.split()), wanted) for name in present)


def _note(rule: Rule, cond: ValueList, absent: list[str], present: dict[str, int], what: str) -> list[str]:
    if not absent or not present:
        return []
    if what == "publication type" and cond.op == "not_in" and len(absent) == len(cond.values):
        return []       # the stage's own warning says it, with the types present (apply._data_warnings)
    if len(absent) == len(cond.values):
        effect = "so it matches no record" if cond.op == "any_of" else "so it fires on every record that has one"
        head = f"rule {rule.id!r}: no record has {what} {_or_list(absent)}, {effect}"
    else:
        head = f"rule {rule.id!r}: no record has {what} {_or_list(absent)}"
    shown = ", ".join(f"{name} ({n})" for name, n in list(present.items())[:PRESENT_SHOWN])
    more = len(present) - PRESENT_SHOWN
    return [f"{head}; {what}s present: {shown}" + (f" and {more} more" if more > 0 else "")]


def _or_list(values: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"
