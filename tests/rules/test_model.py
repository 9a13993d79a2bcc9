"""Rules are validated when the TOML loads: each invalid rule is a RuleError that names the
rule and points at the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.config import load_review
from screening.errors import ConfigError, RuleError
from screening.rules.languages import canonical_language
from screening.rules.model import RulesConfig, ValueList, YearRange, rules_from_mapping


def load(*rules: dict, **top) -> RulesConfig:
    return rules_from_mapping({**top, "rule": list(rules)})


def error(*rules: dict, **top) -> RuleError:
    with pytest.raises(RuleError) as err:
        load(*rules, **top)
    assert isinstance(err.value, ConfigError)
    return err.value


OK = {"id": "years", "reason": "Published before 2000", "year": {"min": 2000}}


def test_valid_rules_build_frozen_config():
    cfg = load(
        OK,
        {"id": "lang", "reason": "Not in English or French", "language": {"not_in": ["English", "eng", "fr"]}},
        {"id": "rct", "reason": "Possible RCT", "action": "flag", "query": "random* NEAR/3 trial"},
    )
    assert cfg.default == "include"
    assert cfg.rules[0].year == YearRange(2000, None)
    assert cfg.rules[1].language == ValueList("not_in", ("english", "french"))
    assert cfg.rules[2].action == "flag" and cfg.rules[2].conditions == ("query",)
    with pytest.raises(AttributeError):
        cfg.rules[0].id = "x"  # type: ignore[misc]


def test_language_names_and_codes_normalise():
    assert {canonical_language(v) for v in ("eng", "EN", "English", " english ")} == {"english"}
    assert canonical_language("fre") == canonical_language("fra") == canonical_language("French") == "french"


def test_unknown_key_quotes_rule_and_lists_allowed_keys():
    err = error({**OK, "yaer": {"min": 2000}})
    assert "rule 'years': unknown key 'yaer'" in str(err)
    assert "allowed keys: id, reason, action, year, language, publication_type, query" in str(err)


def test_unknown_field_tag_points_at_it():
    err = error({"id": "animals", "reason": "Animal study", "query": "ti:rat OR xx:mice"})
    msg = str(err)
    assert "rule 'animals'" in msg and "unknown field tag 'xx:'" in msg
    assert "at character 11" in msg
    assert "\n    ti:rat OR xx:mice\n              ^" in msg       # caret under the 'x'


@pytest.mark.parametrize("query, problem, column", [
    ("ti:(rat OR mice", "unbalanced parenthesis", 4),
    ("rat AND", "dangling operator AND", 5),
    ('rat AND ""', "empty phrase", 9),
    ("peer NEAR support", "NEAR needs a distance", 6),
    ("peer NEAR/x support", "whole number", 6),
])
def test_bad_query_is_reported_with_position(query, problem, column):
    err = error({"id": "q", "reason": "r", "query": query})
    assert f"rule 'q': bad query at character {column}: " in str(err)
    assert problem in str(err)
    assert f"\n    {query}\n    {' ' * (column - 1)}^" in str(err)


def test_bad_query_on_a_later_line_of_a_multiline_query_has_the_caret_under_it():
    """Acceptance testing: the caret counted characters across the newline and pointed at blank space."""
    err = error({"id": "q", "reason": "r", "query": "rat OR\n  (mice AND"})
    assert "rule 'q': bad query at line 2 of the query, character 9: dangling operator AND" in str(err)
    assert "\n      (mice AND\n            ^" in str(err)


def test_unknown_action():
    err = error({**OK, "action": "remove"})
    assert "rule 'years': unknown action \"remove\"" in str(err) and '"exclude", "flag"' in str(err)


def test_duplicate_ids():
    err = error(OK, {**OK, "reason": "again"})
    assert "duplicate rule id 'years'" in str(err)


def test_rule_without_condition():
    err = error({"id": "empty", "reason": "nothing"})
    assert "rule 'empty' has no condition" in str(err)
    assert "year, language, publication_type, query" in str(err)


def test_other_invalid_values():
    assert "missing reason" in str(error({"id": "x", "year": {"min": 2000}}))
    assert "must not contain ';'" in str(error({**OK, "reason": "Editorial; letter"}))
    assert "needs an id" in str(error({"reason": "r", "year": {"min": 2000}}))
    assert "unknown key 'from' in year" in str(error({**OK, "year": {"from": 2000}}))
    assert "min 2020 is after max 2000" in str(error({**OK, "year": {"min": 2020, "max": 2000}}))
    assert "unknown language 'englsh'" in str(error({"id": "l", "reason": "r", "language": {"not_in": ["englsh"]}}))
    assert "unknown key 'one_of' in publication_type" in str(
        error({"id": "t", "reason": "r", "publication_type": {"one_of": ["letter"]}}))
    assert 'missing = "drop" is not allowed' in str(error({**OK, "missing": "drop"}))
    assert "reason must be text in quotes, got 5" in str(error({**OK, "reason": 5}))   # was "missing reason"
    assert "unknown key 'rules' in [rules]" in str(error(OK, rules=[]))
    assert "default = 'exclude'" in str(error(OK, default="exclude"))


def test_errors_from_a_review_toml_name_file_and_line(tmp_path: Path):
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    toml = pipelines / "x.toml"
    toml.write_text(
        '[review]\nname = "x"\n\n[rules]\n[[rules.rule]]\nid = "years"\nreason = "old"\nyear = { min = 2000 }\n\n'
        '[[rules.rule]]\nid = "animals"\nreason = "Animal study"\nquery = "ti:(rat OR mice"\n',
        encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_review(toml)
    # the line of the query itself (UAT: it named the rule's id line, two lines up)
    assert str(err.value).startswith(f"{toml.resolve()}:13: rule 'animals': bad query at character 4")
    # keys in any order: the query line is found inside the rule's own table
    toml.write_text(toml.read_text().replace('id = "animals"\nreason = "Animal study"\nquery = "ti:(rat OR mice"\n',
                                             'query = "ti:(rat OR mice"\nreason = "Animal study"\nid = "animals"\n'))
    with pytest.raises(RuleError) as err:
        load_review(toml)
    assert str(err.value).startswith(f"{toml.resolve()}:11: rule 'animals': bad query")


@pytest.mark.parametrize("body, message", [
    ('yeer = { min = 2010 }', "rule 'b': unknown key 'yeer'"),
    ('year = { min = "x" }', "rule 'b': year min must be a 4-digit year, got 'x'"),
    ('year.min = 1', "rule 'b': year min must be a 4-digit year, got 1"),          # a dotted key
    # acceptance testing: a quoted year was told it was not a 4-digit year
    ('year = { min = "2000" }', "rule 'b': year min is the text '2000'; write the year as a number, without "
                                "quotes (min = 2000)"),
    ('action = "nuke"', "rule 'b': unknown action \"nuke\""),
    # acceptance testing: TOML's `true` was shown as Python's True, a number reason as "missing"
    ('action = true', "rule 'b': unknown action true"),
    ('language = { any_off = ["en"] }', "rule 'b': unknown key 'any_off' in language"),
    ('language = { any_of = ["klingon"] }', "rule 'b': unknown language 'klingon'"),
    ('missing = "drop"\nyear = { min = 2000 }', "rule 'b': missing = \"drop\" is not allowed"),
    ('publication_type = { any_of = [] }', "rule 'b': publication_type.any_of must be a non-empty list"),
])
def test_errors_name_the_line_of_the_bad_key(tmp_path: Path, body: str, message: str):
    """Acceptance testing: every error but a bad query pointed at the rule's `id` line, not at
    the key to fix (in a long rules file, the wrong place)."""
    toml = tmp_path / "x.toml"
    toml.write_text('[review]\nname = "x"\n\n[rules]\n[[rules.rule]]\nid = "a"\nreason = "A"\nyear = { min = 2000 }\n\n'
                    f'[[rules.rule]]\nid = "b"\nreason = "B"\n\n{body}\n', encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_review(toml)
    assert str(err.value).startswith(f"{toml.resolve()}:14: {message}"), str(err.value)


def test_errors_name_the_rule_without_an_id_and_the_repeated_id(tmp_path: Path):
    toml = tmp_path / "x.toml"
    rule = '[[rules.rule]]\nid = "a"\nreason = "A"\nyear = { min = 2000 }\n'
    toml.write_text(f'[review]\nname = "x"\n[rules]\n{rule}[[rules.rule]]\nreason = "B"\n{rule}', encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_review(toml)
    assert str(err.value).startswith(f"{toml.resolve()}:8: rule #2 needs an id"), str(err.value)
    toml.write_text(f'[review]\nname = "x"\n[rules]\n{rule}\n{rule}', encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_review(toml)
    assert str(err.value).startswith(f"{toml.resolve()}:10: duplicate rule id 'a'"), str(err.value)


def test_review_toml_builds_the_stage_config(tmp_path: Path):
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "x.toml"
    toml.write_text('[review]\nname = "x"\n[rules]\n[[rules.rule]]\nid = "years"\nreason = "old"\n'
                    'year = { min = 2000 }\n', encoding="utf-8")
    review = load_review(toml)
    assert review.stages["apply_rules"] == load(dict(OK, reason="old"))


def test_proximity_typo_fails_at_load_with_rule_caret_and_hint(tmp_path: Path):
    """User test: 'NEAR3' loaded as a search word (a rule that quietly matches almost nothing)."""
    toml = tmp_path / "x.toml"
    toml.write_text('[review]\nname = "x"\n\n[rules]\n[[rules.rule]]\nid = "rct"\nreason = "Possible RCT"\n'
                    "action = \"flag\"\nquery = 'random* NEAR3 (trial OR allocat*)'\n", encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_review(toml)
    msg = str(err.value)
    assert msg.startswith(f"{toml.resolve()}:9: rule 'rct': bad query at character 9: "
                          "'NEAR3' looks like NEAR/3 with the slash missing")
    assert "\n    random* NEAR3 (trial OR allocat*)\n            ^" in msg
    assert msg.endswith('write NEAR/3, or quote the word ("NEAR3") to search for it as written')
    quoted = load({"id": "w", "reason": "r", "query": 'ti:"NEAR3" OR ti:"ADJ3"'})   # as the hint says
    assert quoted.rules[0].query == 'ti:"NEAR3" OR ti:"ADJ3"'
