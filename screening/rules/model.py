"""Inclusion rules as data: frozen dataclasses built strictly from the review TOML.

A rule is an ``id``, a human ``reason`` (what PRISMA reports), an ``action`` (``exclude`` or
``flag``) and one or more conditions, combined with AND: ``year``, ``language``,
``publication_type`` and ``query``. Everything is checked when the TOML loads, because a typo
in an eligibility rule silently changes which studies a review sees: unknown keys, unknown
languages, unknown field tags and query syntax errors are :class:`RuleError` that quote the
rule and point at the problem.

```toml
[rules]
default = "include"
[[rules.rule]]
id = "years"
reason = "Published before 2000"
action = "exclude"
year = { min = 2000 }          # the accepted range: the rule fires outside it
missing = "keep"               # records with no year: keep (default) | exclude | flag
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from screening.errors import RuleError
from screening.rules.languages import canonical_language, is_language
from screening.rules.query import QuerySyntaxError, parse

ACTIONS = ("exclude", "flag")
MISSING = ("keep", "exclude", "flag")
DEFAULTS = ("include", "flag")
RULE_KEYS = ("id", "reason", "action", "year", "language", "publication_type", "query", "missing", "note")
CONDITION_KEYS = ("year", "language", "publication_type", "query")
LIST_OPS = ("any_of", "not_in")
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


@dataclass(frozen=True)
class YearRange:
    """The accepted publication years; the condition fires for records outside them."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class ValueList:
    """``any_of``: fires when a record has one of the values; ``not_in``: when it has values
    and none of them is listed."""

    op: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    action: str = "exclude"
    year: YearRange | None = None
    language: ValueList | None = None
    publication_type: ValueList | None = None
    query: str = ""
    missing: str = "keep"     # records lacking the year/language/type a condition needs, or a query's text
    note: str = ""            # free text for the protocol (not used when applying)

    @property
    def conditions(self) -> tuple[str, ...]:
        return tuple(k for k in CONDITION_KEYS if getattr(self, k) not in (None, ""))


@dataclass(frozen=True)
class RulesConfig:
    """The ``[rules]`` section: rules are applied in order (order decides the reported reason)."""

    rules: tuple[Rule, ...] = ()
    default: str = "include"

    @classmethod
    def from_toml(cls, table: Any, path: str | Path | None = None) -> "RulesConfig":
        return rules_from_mapping(table, path)


# -- strict construction -----------------------------------------------------------------------


def _read(path: str | Path | None) -> str | None:
    """The TOML's text as the review loader reads it (a byte-order mark dropped), None if unreadable."""
    from screening.toml_file import read_toml_text
    from screening.errors import ConfigError

    try:
        return read_toml_text(Path(path)) if path is not None else None
    except (OSError, ConfigError):
        return None


def _rule_line(path: str | Path | None, rule_id: str, last: bool = False) -> int | None:
    """Line of ``id = "<rule_id>"`` in the TOML, so errors can point at the rule (``last``:
    its last occurrence, where a duplicate id is)."""
    text = _read(path)
    if text is None:
        return None
    pattern = re.compile(r"""^[ \t]*id[ \t]*=[ \t]*["']""" + re.escape(rule_id) + r"""["']""", re.M)
    found = list(pattern.finditer(text))
    if not found:
        return None
    return text.count("\n", 0, found[-1 if last else 0].start()) + 1


def _header_line(path: str | Path | None, index: int) -> int | None:
    """Line of the ``index``-th ``[[rules.rule]]`` header (0-based): a rule without a usable
    id can only be found by its place."""
    text = _read(path)
    if text is None:
        return None
    found = list(re.finditer(r"^[ \t]*\[\[[ \t]*rules[ \t]*\.[ \t]*rule[ \t]*\]\]", text, re.M))
    return text.count("\n", 0, found[index].start()) + 1 if index < len(found) else None


def _key_line(path: str | Path | None, rule_id: str, key: str) -> int | None:
    """Line of ``key = ...`` inside the rule whose id is ``rule_id`` (its table runs from the
    ``[[...]]`` header before the id line to the next header), else the id line: a bad query
    is pointed at where the query is written, not at the rule's id."""
    at = _rule_line(path, rule_id)
    if at is None or path is None:
        return at
    text = _read(path)
    if text is None:
        return at
    lines = text.splitlines()
    header = re.compile(r"^[ \t]*\[")
    start = next((i for i in range(at - 1, -1, -1) if header.match(lines[i])), 0)
    end = next((i for i in range(at, len(lines)) if header.match(lines[i])), len(lines))
    wanted = re.compile(r"^[ \t]*" + re.escape(key) + r"[ \t]*[=.]")     # year = {...} or year.min = ...
    return next((i + 1 for i in range(start, end) if wanted.match(lines[i])), at)


def _fail(msg: str, path: str | Path | None, rule_id: str | None = None, hint: str | None = None,
          key: str | None = None, line: int | None = None) -> RuleError:
    if line is None and rule_id and key:
        line = _key_line(path, rule_id, key)
    elif line is None and rule_id:
        line = _rule_line(path, rule_id)
    return RuleError(msg, path=path, line=line, hint=hint)


def _toml_repr(value: Any) -> str:
    """A value as it was written in the TOML (``true``, not Python's ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    return repr(value)


def rules_from_mapping(table: Any, path: str | Path | None = None) -> RulesConfig:
    """Build and validate a :class:`RulesConfig` from the parsed ``[rules]`` TOML table."""
    if not isinstance(table, Mapping):
        raise _fail("[rules] must be a table", path)
    unknown = sorted(set(table) - {"default", "rule"})
    if unknown:
        raise _fail(f"unknown key {unknown[0]!r} in [rules]", path,
                    hint="allowed keys: default, rule (write each rule as [[rules.rule]])")
    default = table.get("default", "include")
    if default not in DEFAULTS:
        raise _fail(f"[rules] default = {default!r} is not allowed", path,
                    hint=f"use one of: {', '.join(DEFAULTS)}")
    raw_rules = table.get("rule", [])
    if not isinstance(raw_rules, list):
        raise _fail("[rules] rule must be an array of tables", path, hint="write each rule as [[rules.rule]]")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules):
        rule = rule_from_mapping(raw, path, i)
        if rule.id in seen:
            raise _fail(f"duplicate rule id {rule.id!r}", path, rule.id, line=_rule_line(path, rule.id, last=True),
                        hint="every [[rules.rule]] needs its own id; reports count exclusions per rule")
        seen.add(rule.id)
        rules.append(rule)
    return RulesConfig(rules=tuple(rules), default=default)


def rule_from_mapping(raw: Any, path: str | Path | None = None, index: int = 0) -> Rule:
    """Build one rule, raising :class:`RuleError` that names the rule and the problem."""
    if not isinstance(raw, Mapping):
        raise _fail(f"rule #{index + 1} must be a table", path, line=_header_line(path, index))
    rid = raw.get("id")
    if not isinstance(rid, str) or not _ID_RE.match(rid):
        raise _fail(f"rule #{index + 1} needs an id (letters, digits, '_', '-', '.'), got {rid!r}", path,
                    line=_header_line(path, index), hint='add e.g. id = "years" to the [[rules.rule]] table')
    who = f"rule {rid!r}"
    unknown = sorted(set(raw) - set(RULE_KEYS))
    if unknown:
        raise _fail(f"{who}: unknown key {unknown[0]!r}", path, rid,
                    hint=f"allowed keys: {', '.join(RULE_KEYS)}", key=unknown[0])
    reason = raw.get("reason")
    if "reason" in raw and not isinstance(reason, str):
        raise _fail(f"{who}: reason must be text in quotes, got {_toml_repr(reason)}", path, rid, key="reason",
                    hint='write e.g. reason = "Published before 2000"')
    if not isinstance(reason, str) or not reason.strip():
        raise _fail(f"{who}: missing reason", path, rid, key="reason",
                    hint='add reason = "..." (the text reported for each excluded record)')
    if ";" in reason:
        raise _fail(f"{who}: the reason must not contain ';'", path, rid, key="reason",
                    hint="';' separates list items in the CSV tables; use a comma")
    action = raw.get("action", "exclude")
    if not isinstance(action, str) or action not in ACTIONS:
        raise _fail(f"{who}: unknown action {_toml_repr(action)}", path, rid,
                    hint="use one of: " + ", ".join(f'"{a}"' for a in ACTIONS), key="action")
    missing = raw.get("missing", "keep")
    if not isinstance(missing, str) or missing not in MISSING:
        raise _fail(f"{who}: missing = {_toml_repr(missing)} is not allowed", path, rid, key="missing",
                    hint="use one of: " + ", ".join(f'"{m}"' for m in MISSING))
    conditions = [k for k in CONDITION_KEYS if k in raw]
    if not conditions:
        raise _fail(f"{who} has no condition", path, rid,
                    hint=f"give at least one of: {', '.join(CONDITION_KEYS)}")
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise _fail(f"{who}: note must be text", path, rid, key="note")
    return Rule(
        id=rid, reason=" ".join(reason.split()), action=action, missing=missing, note=note,
        year=_year(raw["year"], who, path, rid) if "year" in raw else None,
        language=_values(raw["language"], "language", who, path, rid) if "language" in raw else None,
        publication_type=_values(raw["publication_type"], "publication_type", who, path, rid)
        if "publication_type" in raw else None,
        query=_query(raw["query"], who, path, rid) if "query" in raw else "",
    )


def _year(value: Any, who: str, path: str | Path | None, rid: str) -> YearRange:
    if not isinstance(value, Mapping):
        raise _fail(f"{who}: year must be a table like {{ min = 2000, max = 2024 }}", path, rid, key="year")
    bad = sorted(set(value) - {"min", "max"})
    if bad:
        raise _fail(f"{who}: unknown key {bad[0]!r} in year", path, rid, key="year", hint="allowed keys: min, max")
    if not value:
        raise _fail(f"{who}: year needs min and/or max", path, rid, key="year")
    for k, v in value.items():
        if isinstance(v, str) and v.strip().isdigit():
            raise _fail(f"{who}: year {k} is the text {v!r}; write the year as a number, without quotes "
                        f"({k} = {v.strip()})", path, rid, key="year")
        if isinstance(v, bool) or not isinstance(v, int) or not 1000 <= v <= 2200:
            raise _fail(f"{who}: year {k} must be a 4-digit year, got {v!r}", path, rid, key="year")
    lo, hi = value.get("min"), value.get("max")
    if lo is not None and hi is not None and lo > hi:
        raise _fail(f"{who}: year min {lo} is after max {hi}", path, rid, key="year")
    return YearRange(lo, hi)


def _values(value: Any, name: str, who: str, path: str | Path | None, rid: str) -> ValueList:
    example = '{ not_in = ["english", "french"] }' if name == "language" else '{ any_of = ["editorial", "letter"] }'
    if not isinstance(value, Mapping) or len(value) != 1:
        raise _fail(f"{who}: {name} must be a table with exactly one of any_of / not_in, e.g. {example}",
                    path, rid, key=name)
    (op, values), = value.items()
    if op not in LIST_OPS:
        raise _fail(f"{who}: unknown key {op!r} in {name}", path, rid, key=name,
                    hint=f"allowed keys: {', '.join(LIST_OPS)}")
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise _fail(f"{who}: {name}.{op} must be a non-empty list of text values", path, rid, key=name)
    if name == "language":
        unknown = [v for v in values if not is_language(v)]
        if unknown:
            raise _fail(f"{who}: unknown language {unknown[0]!r}", path, rid, key=name,
                        hint="use a language name or ISO 639 code (english, eng, en, french, fre, fr...)")
        canon = tuple(dict.fromkeys(canonical_language(v) for v in values))
    else:
        canon = tuple(dict.fromkeys(" ".join(v.split()) for v in values))
    return ValueList(op, canon)


def _query(value: Any, who: str, path: str | Path | None, rid: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{who}: query must be non-empty text", path, rid, key="query")
    try:
        parse(value)
    except QuerySyntaxError as err:
        raise bad_query(err, value, who, path, rid) from None
    return value


def bad_query(err: QuerySyntaxError, query: str, who: str, path: str | Path | None = None,
              rid: str | None = None) -> RuleError:
    """A query's syntax error as the rule loader reports it (where, with a caret under it)."""
    where, caret = _query_place(query, err.pos)
    return _fail(f"{who}: bad query {where}: {err.message}{caret}", path, rid,
                 hint=err.hint or "see docs/rules.md for the query syntax", key="query")


def _query_place(query: str, pos: int) -> tuple[str, str]:
    """Where in the query a syntax error is, and the query line with a caret under that place.

    A multi-line query (a TOML multi-line string) shows only the line that holds the error,
    so the caret lines up under it.
    """
    before = query[:pos]
    line_no = before.count("\n")
    lines = query.split("\n")
    column = pos - (before.rfind("\n") + 1)
    where = (f"at character {pos + 1}" if len(lines) == 1 else
             f"at line {line_no + 1} of the query, character {column + 1}")
    return where, f"\n    {lines[line_no]}\n    {' ' * column}^"
