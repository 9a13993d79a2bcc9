"""Language values written in the language itself, and values the rules do not know.

Acceptance testing (M1): `language = { not_in = [... "german", "french", "chinese" ...] }`
excluded 17 of 27 records whose language was written as its own name (`Deutsch`, `Français`,
`中文`, `Русский`...), silently: an unrecognised value was 'not in the list'. The fixture is the
tester's 27-record file (tests/fixtures/SOURCES.md, rules/).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screening.rules.apply import apply_rules
from screening.rules.languages import canonical_language, known_and_unrecognised
from screening.rules.model import rules_from_mapping
from screening.stages.ingest import RawSource, ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ENDONYMS = FIXTURES / "rules" / "language_endonyms_27.ris"
ACCEPTED = ["english", "german", "french", "spanish", "chinese", "russian", "portuguese", "japanese", "dutch",
            "polish", "turkish", "greek", "swedish", "norwegian", "danish", "italian", "korean"]


def _table() -> pd.DataFrame:
    return ingest([RawSource(ENDONYMS.name, ENDONYMS.read_bytes(), database="Scopus")]).records


def _rules(language: dict, missing: str = "keep") -> object:
    return rules_from_mapping({"default": "include", "rule": [
        {"id": "lang", "reason": "Language not accepted", "language": language, "missing": missing}]})


def test_a_language_written_in_itself_is_that_language() -> None:
    table = _table()
    result = apply_rules(table, _rules({"not_in": ACCEPTED}))
    assert result.report.counts["excluded"] == 0          # 17 were excluded as 'not accepted'
    assert result.report.warnings == []                    # every value is known now
    # each value read as the language it names (the title says which)
    want = {"Deutsch": "german", "Français": "french", "français": "french", "Español": "spanish",
            "中文": "chinese", "Русский": "russian", "Português": "portuguese", "日本語": "japanese",
            "Nederlands": "dutch", "Polski": "polish", "Türkçe": "turkish", "Ελληνικά": "greek",
            "Svenska": "swedish", "Norsk": "norwegian", "Dansk": "danish", "Italiano": "italian",
            "한국어": "korean"}
    for value, name in want.items():
        assert value in set(table["language"]), value
        assert known_and_unrecognised(value) == (frozenset({name}), ()), value
    # an any_of rule finds them too: German only, however written (deu, ger, German; English, Deutsch)
    german = apply_rules(table, rules_from_mapping({"default": "include", "rule": [
        {"id": "de", "reason": "German", "action": "flag", "language": {"any_of": ["de"]}}]}))
    flagged = table.loc[german.records["rule_decision"] == "flag", "language"].tolist()
    assert sorted(flagged) == sorted(["Deutsch", "deu", "ger", "German; English"])


@pytest.mark.parametrize(("value", "name"), [
    ("Francais", "french"), ("FRANÇAIS", "french"), ("Franc\u0327ais", "french"),       # no accent, upper, NFD
    ("Espanol", "spanish"), ("Turkce", "turkish"), ("ΕΛΛΗΝΙΚΆ", "greek"), ("русский язык", "russian"),
    ("Netherlandish", "dutch"),           # BIOSIS (Web of Science tab-delimited), a real value
    ("ＥＮＧＬＩＳＨ", "english"),           # full-width
])
def test_variants_of_a_name(value: str, name: str) -> None:
    assert canonical_language(value) == name


def test_full_width_brackets_of_a_qualifier() -> None:
    assert known_and_unrecognised("中文（简体）") == (frozenset({"chinese"}), ())


def test_an_unrecognised_language_is_missing_data_and_warned_of() -> None:
    table = _table().head(4).copy()
    table["language"] = ["Klingon", "Elvish; Français", "Klingon; Tagalog", "English"]
    rules = _rules({"not_in": ["english", "french"]})
    result = apply_rules(table, rules)
    # Klingon may be anything: not 'not in the list'; French settles the second; the third
    # names Tagalog, not listed, but also a language that may be listed
    assert result.records["rule_decision"].tolist() == ["include"] * 4
    warning, = result.report.warnings
    assert warning.startswith("language values the rules do not recognise (records): 'Klingon' (2), 'Elvish' (1); "
                              "they count as no language, so such records were decided by rule 'lang' by its "
                              "missing = 'keep'")
    # with missing = exclude they are excluded, under the reason of missing data
    out = apply_rules(table, _rules({"not_in": ["english", "french"]}, missing="exclude")).records
    assert out["rule_decision"].tolist() == ["exclude", "include", "exclude", "include"]
    assert out["rule_reason"].tolist()[0] == "Language not accepted (no language)"
    # an any_of rule: listed Tagalog fires; Klingon alone is missing
    out = apply_rules(table, _rules({"any_of": ["tagalog"]}, missing="flag")).records
    assert out["rule_decision"].tolist() == ["flag", "flag", "exclude", "include"]


def test_run_prints_the_warning(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from screening.cli import app

    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    (raw / "l.ris").write_bytes(ENDONYMS.read_bytes().replace(b"LA  - Deutsch", b"LA  - Klingon"))
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "lang.toml"
    toml.write_text('[review]\nname = "lang"\n[[sources]]\nfile = "data/raw/l.ris"\ndatabase = "Scopus"\n'
                    '[rules]\ndefault = "include"\n[[rules.rule]]\nid = "lang"\nreason = "Language not accepted"\n'
                    f'language = {{ not_in = {ACCEPTED!r} }}\n'.replace("'", '"'), encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(toml)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "language values the rules do not recognise (records): 'Klingon' (1)" in said
    assert said.count("do not recognise") == 1


def test_languages_one_per_line_are_each_read() -> None:
    # real values in ../shared/data/screening (an Excel-made export): 'eng_x000D_\nspa'
    from screening.rules.languages import known_and_unrecognised

    assert known_and_unrecognised("eng_x000D_\nspa") == (frozenset({"english", "spanish"}), ())
    assert known_and_unrecognised("eng\r\npor") == (frozenset({"english", "portuguese"}), ())
