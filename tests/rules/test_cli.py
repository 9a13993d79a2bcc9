"""`screening rules check` on tiny reviews built in tmp_path, and the stage inside `run_review`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.errors import ConfigError
from screening.rules.check import check_review

from screening.cli import app
from screening.records import read_table, write_table
from screening.runner import run_review

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

RULES = '''
[rules]
default = "include"
[[rules.rule]]
id = "years"
reason = "Published before 2010"
year = { min = 2010 }
[[rules.rule]]
id = "pubtype"
reason = "Thesis, dataset or news item"
publication_type = { any_of = ["thesis", "dataset", "newspaper article"] }
[[rules.rule]]
id = "sr"
reason = "Systematic review"
action = "flag"
query = 'ti:(systematic* NEAR/2 review*)'
'''


def make_review(root: Path, rules: str = RULES, table: pd.DataFrame | None = None) -> Path:
    (root / "pipelines").mkdir(parents=True)
    toml = root / "pipelines" / "x.toml"
    toml.write_text(f'[review]\nname = "x"\n{rules}', encoding="utf-8")
    if table is not None:
        write_table(table, root / "data" / "screened" / "x" / "dedup.parquet")
    return toml


def files_under(root: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_check_explains_without_writing(tmp_path, wildfire):
    toml = make_review(tmp_path, table=wildfire)
    before = files_under(tmp_path)
    result = CliRunner().invoke(app, ["rules", "check", str(toml), "--examples", "2"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "29 records after dedup; read from dedup.parquet" in out
    assert "would exclude 8, flag 5, include 16" in out   # 2 before 2010 + 7 thesis/data/news, 1 overlap
    assert "Published before 2010" in out and "Thesis, dataset or news item" in out
    assert "Developing Social Capital as a Response to the Wildfire Problem" in out    # 2008 thesis
    assert "Analysis of fire risk in the Amazon: a systematic review" in out
    assert files_under(tmp_path) == before           # nothing applied, nothing written


def test_check_before_the_review_was_run(tmp_path):
    toml = make_review(tmp_path)
    result = CliRunner().invoke(app, ["rules", "check", str(toml)])
    assert result.exit_code == 5                     # a stage, not a file, is missing
    assert "has not been run yet" in result.output and "screening run" in result.output


def test_check_reports_an_invalid_rule(tmp_path, wildfire):
    toml = make_review(tmp_path, rules=RULES.replace("ti:(systematic* NEAR/2 review*)", "ti:(systematic* NEAR review*)"),
                       table=wildfire)
    result = CliRunner().invoke(app, ["rules", "check", str(toml)])
    assert result.exit_code == 4
    assert "rule 'sr': bad query at character 17: NEAR needs a distance" in result.output


def test_check_without_rules_section(tmp_path, wildfire):
    toml = make_review(tmp_path, rules="", table=wildfire)
    result = CliRunner().invoke(app, ["rules", "check", str(toml)])
    assert result.exit_code == 4 and "the review has no" in result.output
    with pytest.raises(ConfigError, match=r"no \[rules\] section"):
        check_review(toml)


def test_run_review_applies_rules_and_reports_reasons(tmp_path):
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    for name in ("econlit_3.ris", "wos_5.ris"):
        shutil.copy(FIXTURES / "core" / name, raw / name)
    sources = "".join(f'[[sources]]\nfile = "data/raw/{n}"\n' for n in ("econlit_3.ris", "wos_5.ris"))
    toml = make_review(tmp_path, rules=sources + RULES)
    result = run_review(toml)
    out = tmp_path / "data" / "screened" / "x"
    table = read_table(out / "apply_rules.parquet")
    report = json.loads((out / "apply_rules.json").read_text())
    assert len(table) == 8
    assert report["counts"]["excluded"] == sum(report["reasons"].values()) > 0
    econ = table.set_index("title")
    assert econ.loc["Developing Social Capital as a Response to the Wildfire Problem", "rule_decision"] == "exclude"
    assert econ.loc["Developing Social Capital as a Response to the Wildfire Problem", "rule_ids"] == ["years", "pubtype"]
    assert report["reasons"]["Published before 2010"] >= 1
    as_csv = read_table(out / "apply_rules.csv")         # the CSV round-trips the list columns
    for col in ("rule_decision", "rule_ids", "rule_reasons", "rule_terms"):
        assert as_csv[col].tolist() == table[col].tolist()
    assert "apply_rules" in [o.stage for o in result.outcomes]


def test_text_with_brackets_is_printed_literally(tmp_path, wildfire):
    """Reasons, queries and file names reach the terminal as written: rich markup is off, so
    "[draft]" is not swallowed as a style and "[/x]" does not crash the command."""
    rules = RULES.replace('"Published before 2010"', '"Published before 2010 [draft] [/x]"')
    toml = make_review(tmp_path, rules=rules, table=wildfire)
    result = CliRunner().invoke(app, ["rules", "check", str(toml), "--examples", "1"])
    assert result.exit_code == 0, result.output
    assert "Published before 2010 [draft] [/x]" in result.output
    raw = tmp_path / "a[old].ris"
    shutil.copy(FIXTURES / "core" / "econlit_3.ris", raw)
    result = CliRunner().invoke(app, ["ingest", str(raw), "-o", str(tmp_path / "t.csv")])
    assert result.exit_code == 0, result.output
    assert "a[old]" in result.output            # (the path column folds long paths)


def test_check_warns_about_what_the_rules_cannot_see(tmp_path, wildfire):
    """Acceptance testing: a misspelt publication type in a not_in list excluded all 512 records
    silently, and a language rule over exports without any language field did nothing silently."""
    rules = """
[rules]
[[rules.rule]]
id = "types"
reason = "Not a journal article or review"
publication_type = { not_in = ["journal artcle", "revue"] }
[[rules.rule]]
id = "lang"
reason = "Not in English"
language = { not_in = ["English"] }
missing = "keep"
"""
    table = wildfire.assign(language="")
    toml = make_review(tmp_path, rules=rules, table=table)
    result = CliRunner().invoke(app, ["rules", "check", str(toml)])
    out = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "no publication type it keeps ('journal artcle', 'revue') matches any record's type" in out
    assert "rule 'lang': no record has a language" in out


def test_data_warnings_only_when_nothing_listed_matches_and_tolerate_odd_cells(wildfire):
    import numpy as np

    from screening.rules.apply import apply_rules
    from screening.rules.model import rules_from_mapping

    cfg = rules_from_mapping({"rule": [{"id": "t", "reason": "r",
                                     "publication_type": {"not_in": ["JOUR", "revue"]}}]})
    assert not [w for w in apply_rules(wildfire, cfg).report.warnings if "publication type" in w]
    odd = wildfire.copy()
    odd["publication_type"] = [np.nan] + list(odd["publication_type"].iloc[1:])   # API callers' NaN
    apply_rules(odd, cfg)


def test_check_notes_listed_values_no_record_has(tmp_path, wildfire):
    """User test: a type rule fired on 0 records with no hint; the note says no record has the
    types and which types the records do have."""
    rules = RULES + '''
[[rules.rule]]
id = "letters"
reason = "Editorial, letter, note or erratum"
publication_type = { any_of = ["editorial", "letter", "note", "erratum"] }
'''
    toml = make_review(tmp_path, rules=rules, table=wildfire)
    result = CliRunner().invoke(app, ["rules", "check", str(toml)])
    assert result.exit_code == 0, result.output
    assert ("note: rule 'letters': no record has publication type editorial, letter, note or erratum, so it "
            "matches no record; publication types present: journal article (10), generic (3), thesis (3),") in result.output
    assert "rule 'pubtype'" not in result.output.split("note:", 1)[1]     # its types are all present


def test_check_reports_a_proximity_operator_typo(tmp_path, wildfire):
    toml = make_review(tmp_path, rules=RULES.replace("NEAR/2", "NEAR2"), table=wildfire)
    result = CliRunner().invoke(app, ["rules", "check", str(toml)])
    assert result.exit_code == 4
    assert "rule 'sr': bad query at character 17: 'NEAR2' looks like NEAR/2 with the slash missing" in result.output
    assert 'write NEAR/2, or quote the word ("NEAR2") to search for it as written' in result.output


def test_check_says_which_would_be_exclusions_already_carry_decisions(tmp_path, wildfire):
    """UAT (search update): tightening a year rule after screening said 'would exclude 70'
    but not that 9 of them carried decisions, which would then stop counting."""
    from screening.decisions.store import Event, open_store

    toml = make_review(tmp_path, table=wildfire)
    old = wildfire.loc[pd.to_numeric(wildfire["year"], errors="coerce") < 2010, "record_id"].astype(str).tolist()
    assert old
    with open_store(tmp_path / "data" / "screened" / "x" / "decisions.sqlite") as store:
        store.append([Event(record_id=old[0], stage="title_abstract", reviewer="alice", action="include")])
    notes = check_review(toml).check.notes
    assert any(n.startswith("1 of the records these rules would exclude already carry screening decisions "
                            f"({old[0]})") for n in notes), notes
    with open_store(tmp_path / "data" / "screened" / "x" / "decisions.sqlite") as store:   # taken back
        store.append([Event(record_id=old[0], stage="title_abstract", reviewer="alice", action="undo")])
    assert not any("already carry screening decisions" in n for n in check_review(toml).check.notes)


def test_check_says_when_would_be_exclusions_are_included_studies(tmp_path, wildfire):
    """Acceptance testing: a rule edited after screening took 2 included studies out of the
    review; `rules check` said only that 35 records carried decisions."""
    from screening.decisions.store import Event, open_store

    toml = make_review(tmp_path, table=wildfire)
    old = wildfire.loc[pd.to_numeric(wildfire["year"], errors="coerce") < 2010, "record_id"].astype(str).tolist()
    with open_store(tmp_path / "data" / "screened" / "x" / "decisions.sqlite") as store:
        store.append([Event(record_id=old[0], stage=stage, reviewer="alice", action="include")
                      for stage in ("title_abstract", "full_text")])
    notes = check_review(toml).check.notes
    assert any("1 of them included after full-text assessment (included studies would be lost)" in n
               for n in notes), notes


def test_check_warns_of_a_query_matching_nothing_and_of_rules_excluding_everything(tmp_path, wildfire):
    """Acceptance testing: `ti:(wildfire|bushfire)` (a regular expression) matched no record
    without a word, and contradictory year limits excluded every record with exit 0."""
    odd = RULES + '[[rules.rule]]\nid = "regex"\nreason = "Not about fire"\nquery = \'ti:(wildfire|bushfire)\'\n'
    warnings = check_review(make_review(tmp_path / "a", rules=odd, table=wildfire)).check.warnings
    assert any(w.startswith("rule 'regex': its query matches no record of the") and
               "(query: ti:(wildfire|bushfire))" in w for w in warnings), warnings
    assert not any("rule 'sr'" in w for w in warnings)                      # a query that matches: quiet
    assert not any("exclude all" in w for w in warnings)
    both = RULES + ('[[rules.rule]]\nid = "late"\nreason = "Published after 1999"\nyear = { max = 1999 }\n'
                    'missing = "exclude"\n')
    check = check_review(make_review(tmp_path / "b", rules=both, table=wildfire)).check
    assert check.counts["included"] == check.counts["flagged"] == 0
    assert any(w.startswith(f"the rules exclude all {check.kept} records") for w in check.warnings), check.warnings


def test_name_records_names_a_few_and_counts_the_rest():
    """Acceptance testing: a refused rule edit named one record of many (docs: "naming the records")."""
    from screening.rules.check import name_records

    assert name_records(["a", "b"]) == "a, b"
    assert name_records([f"r{i}" for i in range(8)], shown=3) == "r0, r1, r2 and 5 more"


def test_a_year_rule_reads_every_database_s_year_of_a_duplicate_group(tmp_path):
    """Acceptance testing: Lens dates this study 2013 (online first), PsycInfo 2014; whichever copy
    dedup keeps, `year = { min = 2014 }` must not exclude the study another database dates inside
    the range. The rule fires on a group only when no copy's year is inside it, and says so."""
    from screening.runner import run_review

    raw = tmp_path / "data" / "raw" / "y"
    raw.mkdir(parents=True)
    for name in ("lens_1.ris", "psycinfo_1.ris"):
        shutil.copy(FIXTURES / "rules" / "year_copies" / name, raw / name)
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "y.toml"
    sources = "".join(f'[[sources]]\nfile = "data/raw/y/{n}.ris"\ndatabase = "{d}"\n\n'
                      for n, d in (("lens_1", "Lens"), ("psycinfo_1", "PsycInfo")))
    toml.write_text(f'[review]\nname = "y"\n\n{sources}[dedup]\n\n[rules]\n[[rules.rule]]\nid = "years"\n'
                    'reason = "Before 2014"\nyear = { min = 2014 }\n', encoding="utf-8")
    result = run_review(toml, post_steps=False)
    table = result.records
    assert sorted(table["year"].tolist()) == [2013, 2014]
    assert table["duplicate_of"].astype(bool).sum() == 1                 # dedup linked them
    assert table["rule_decision"].ne("exclude").all(), table[["record_id", "year", "rule_decision"]]
    rules = next(o for o in result.outcomes if o.stage == "apply_rules").report
    kept_year = int(table.loc[~table["duplicate_of"].astype(bool), "year"].iloc[0])
    assert rules.details["rules"][0]["kept_by_a_duplicates_year"] == (1 if kept_year == 2013 else 0)

    # both copies before the range: the study is excluded, and `rules check` shows the copies' years
    toml.write_text(toml.read_text(encoding="utf-8").replace("min = 2014", "min = 2015"), encoding="utf-8")
    check = check_review(toml).check
    assert check.counts["excluded"] == 1
    detail = check.rules[0].examples[0].detail
    assert detail in ("year 2013 (duplicates: 2014)", "year 2014 (duplicates: 2013)"), detail
