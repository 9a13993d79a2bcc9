"""Applying rules: each condition type on real records, decisions, reasons, duplicates,
purity and idempotence, and the stage as the runner sees it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screening.records import table_hash
from screening.rules.apply import apply_rules
from screening.rules.conditions import type_words
from screening.rules.languages import record_languages
from screening.rules.explain import explain_rules
from screening.rules.model import rules_from_mapping
from screening.stage import STAGES, StageInputs, registered_stages


def cfg(*rules: dict, **top):
    return rules_from_mapping({**top, "rule": list(rules)})


def by_id(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("record_id")


def fired(result, rule_id: str) -> set[str]:
    t = result.records
    return {rid for rid, ids in zip(t["record_id"], t["rule_ids"]) if rule_id in ids}


# -- year --------------------------------------------------------------------------------------


def test_year_range_and_missing_years(wildfire):
    rule = {"id": "years", "reason": "Published before 2010", "year": {"min": 2010}}
    res = apply_rules(wildfire, cfg(rule))
    assert fired(res, "years") == {"dimensions_246-00102", "econlit_3-00003"}   # 1999, 2008
    t = by_id(res.records)
    assert t.loc["dimensions_246-00102", "rule_decision"] == "exclude"
    assert t.loc["dimensions_246-00102", "rule_reasons"] == ["Published before 2010"]
    # the two records without a year are kept by default (never excluded silently)
    assert t.loc["lens_343-00149", "rule_decision"] == "include"
    assert t.loc["lens_343-00270", "rule_ids"] == []
    assert res.report.counts == {"excluded": 2, "flagged": 0, "included": 27}
    assert res.report.reasons == {"Published before 2010": 2}

    res = apply_rules(wildfire, cfg({**rule, "missing": "exclude"}))
    t = by_id(res.records)
    assert t.loc["lens_343-00149", "rule_decision"] == "exclude"
    assert t.loc["lens_343-00149", "rule_reasons"] == ["Published before 2010 (no year)"]
    assert res.report.reasons == {"Published before 2010": 2, "Published before 2010 (no year)": 2}

    res = apply_rules(wildfire, cfg({**rule, "missing": "flag"}))
    assert by_id(res.records).loc["lens_343-00270", "rule_decision"] == "flag"
    assert res.report.counts == {"excluded": 2, "flagged": 2, "included": 25}


def test_year_max_and_both_bounds(wildfire):
    assert fired(apply_rules(wildfire, cfg({"id": "y", "reason": "r", "year": {"max": 2008}})), "y") == \
        {"lens_343-00014", "lens_343-00025", "dimensions_246-00090", "lens_343-00071", "lens_343-00123",
         "econlit_3-00002", "lens_343-00061", "lens_343-00134", "lens_343-00077", "lens_343-00256",
         "lens_343-00171", "lens_343-00208", "dimensions_246-00094", "dimensions_246-00096", "lens_343-00078",
         "envindex_100-00001", "envindex_100-00002", "envindex_100-00003", "envindex_100-00004",
         "dimensions_246-00001", "dimensions_246-00002", "dimensions_246-00003", "dimensions_246-00004",
         "dimensions_246-00005", "dimensions_246-00006"}
    got = fired(apply_rules(wildfire, cfg({"id": "y", "reason": "r", "year": {"min": 2013, "max": 2022}})), "y")
    years = by_id(wildfire)["year"]
    assert got == {rid for rid, y in years.items() if not pd.isna(y) and not 2013 <= y <= 2022}


# -- language ----------------------------------------------------------------------------------


def test_language_not_in_with_codes_and_names(clef):
    res = apply_rules(clef, cfg({"id": "lang", "reason": "Not in English or French",
                                 "language": {"not_in": ["English", "fre"]}}))
    langs = by_id(clef)["language"]
    assert fired(res, "lang") == {rid for rid, v in langs.items() if v in ("ger", "jpn", "rus", "spa")}
    assert len(fired(res, "lang")) == 7
    t = by_id(res.records)
    assert t.loc["clef10192039", "rule_decision"] == "include"     # fre
    assert t.loc["clef27382257", "rule_decision"] == "include"     # no language given: kept


def test_language_any_of(clef):
    res = apply_rules(clef, cfg({"id": "de", "reason": "German", "language": {"any_of": ["german", "ja"]}}))
    assert fired(res, "de") == {"clef12813994", "clef7176872", "clef8986856", "clef16296375"}


def test_record_language_values_are_split_and_normalised():
    assert record_languages("English; French") == {"english", "french"}
    assert record_languages("eng") == record_languages("EN") == {"english"}
    assert record_languages("") == set()
    assert record_languages("Chinese (Simplified)") == {"chinese"}


# -- publication type --------------------------------------------------------------------------


def test_publication_type_ris_codes_and_words(wildfire):
    res = apply_rules(wildfire, cfg({"id": "t", "reason": "Thesis or magazine",
                                     "publication_type": {"any_of": ["thesis", "magazine article"]}}))
    assert fired(res, "t") == {"econlit_3-00002", "econlit_3-00003", "lens_343-00149",
                               "lens_343-00071", "lens_343-00123"}
    # a word sequence matches inside a longer type: 'conference' is CPAPER and CONF
    res = apply_rules(wildfire, cfg({"id": "c", "reason": "Conference", "publication_type": {"any_of": ["conference"]}}))
    assert fired(res, "c") == {"lens_343-00077", "lens_343-00256", "dimensions_246-00094", "dimensions_246-00096"}
    assert type_words("CPAPER") == ("conference", "paper")


def test_publication_type_not_in(wildfire, clef):
    rule = {"id": "nj", "reason": "Not a journal article", "publication_type": {"not_in": ["journal article"]}}
    res = apply_rules(wildfire, cfg(rule))
    types = by_id(wildfire)["publication_type"]
    assert fired(res, "nj") == {rid for rid, v in types.items() if v != ["JOUR"]}
    assert fired(apply_rules(clef, cfg(rule)), "nj") == set()        # MEDLINE 'Journal Article'


# -- queries, combinations, decisions ----------------------------------------------------------


def test_query_rule_and_flag_terms(clef):
    res = apply_rules(clef, cfg(
        {"id": "animals", "reason": "Animal study", "query": "ti:(rat OR rats OR mice OR murine) NOT (human* OR patient*)"},
        {"id": "rct", "reason": "Possible RCT", "action": "flag", "query": "random* NEAR/3 (trial OR allocat*)"},
    ))
    t = by_id(res.records)
    assert t.loc["clef14524527", "rule_decision"] == "exclude"
    assert t.loc["clef14524527", "rule_terms"] == []                   # terms come from flag rules only
    assert t.loc["clef15304029", "rule_decision"] == "flag"
    assert t.loc["clef15304029", "rule_terms"] == ["randomized", "trial"]
    assert t.loc["clef15304029", "rule_reasons"] == ["Possible RCT"]
    assert res.report.counts["flagged"] == (res.records["rule_decision"] == "flag").sum()


def test_exclude_wins_over_flag_and_all_fired_rules_are_listed(clef):
    res = apply_rules(clef, cfg(
        {"id": "old", "reason": "Before 2000", "year": {"min": 2000}},
        {"id": "rct", "reason": "Possible RCT", "action": "flag", "query": "random* NEAR/3 trial"},
    ))
    t = by_id(res.records)
    assert t.loc["clef9278651", "rule_ids"] == ["old", "rct"]          # 1997, randomized trial
    assert t.loc["clef9278651", "rule_decision"] == "exclude"
    assert t.loc["clef9278651", "rule_terms"] == ["randomized", "trial"]


def test_conditions_combine_with_and(clef):
    both = {"id": "b", "reason": "Old heparin studies", "year": {"min": 2000}, "query": "ti:heparin"}
    res = apply_rules(clef, cfg(both))
    old = fired(apply_rules(clef, cfg({"id": "o", "reason": "r", "year": {"min": 2000}})), "o")
    hep = fired(apply_rules(clef, cfg({"id": "h", "reason": "r", "query": "ti:heparin"})), "h")
    assert fired(res, "b") == old & hep and old - hep and hep - old


def test_reasons_count_the_first_exclude_rule_and_add_up(clef):
    res = apply_rules(clef, cfg(
        {"id": "lang", "reason": "Not in English", "language": {"not_in": ["en"]}},
        {"id": "old", "reason": "Before 1990", "year": {"min": 1990}},
    ))
    assert sum(res.report.reasons.values()) == res.report.counts["excluded"]
    rules = {r["id"]: r for r in res.report.details["rules"]}
    assert rules["old"]["fired"] > rules["old"]["excluded_first"]      # some old records are not English
    assert res.report.reasons["Before 1990"] == rules["old"]["excluded_first"]
    # each record carries the reason it is counted under, so a later report need not re-derive it
    kept = res.records[res.records["duplicate_of"].fillna("") == ""] if "duplicate_of" in res.records else res.records
    counted = kept.loc[kept["rule_decision"] == "exclude", "rule_reason"].value_counts().to_dict()
    assert counted == res.report.reasons
    assert (res.records.loc[res.records["rule_decision"] != "exclude", "rule_reason"] == "").all()


def test_the_counted_reason_is_the_first_exclude_rules_not_a_flags(clef):
    res = apply_rules(clef, cfg(
        {"id": "rct", "reason": "Possible RCT", "action": "flag", "query": "random* NEAR/3 trial"},
        {"id": "old", "reason": "Before 2000", "year": {"min": 2000}},
    ))
    t = by_id(res.records)
    assert t.loc["clef9278651", "rule_reasons"] == ["Possible RCT", "Before 2000"]
    assert t.loc["clef9278651", "rule_reason"] == "Before 2000"


def test_duplicates_are_marked_but_not_counted(clef):
    table = clef.copy()
    table["duplicate_of"] = ""
    table.loc[table["record_id"] == "clef12813994", "duplicate_of"] = "clef7176872"   # a German record
    res = apply_rules(table, cfg({"id": "lang", "reason": "Not in English", "language": {"not_in": ["en"]}}))
    t = by_id(res.records)
    assert t.loc["clef12813994", "rule_decision"] == "exclude"
    plain = apply_rules(clef, cfg({"id": "lang", "reason": "Not in English", "language": {"not_in": ["en"]}}))
    assert res.report.counts["excluded"] == plain.report.counts["excluded"] - 1
    assert sum(res.report.counts.values()) == len(clef) - 1
    assert res.report.details["duplicates_not_counted"] == 1


# -- purity, determinism, idempotence ----------------------------------------------------------


RULES = cfg(
    {"id": "years", "reason": "Published before 2000", "year": {"min": 2000}, "missing": "flag"},
    {"id": "lang", "reason": "Not in English or French", "language": {"not_in": ["english", "french"]}},
    {"id": "type", "reason": "Not an article", "publication_type": {"any_of": ["thesis", "dataset", "news"]}},
    {"id": "animals", "reason": "Animal study", "query": "ti:(rat OR rats OR mice) NOT human*"},
    {"id": "rct", "reason": "Possible RCT", "action": "flag", "query": "random* NEAR/3 (trial OR allocat*)"},
    {"id": "sr", "reason": "Review", "action": "flag", "query": '"systematic review" OR meta-analys*'},
)


def test_pure_deterministic_and_idempotent(both):
    before = table_hash(both)
    first = apply_rules(both, RULES)
    assert table_hash(both) == before                       # input not mutated
    assert "rule_decision" not in both.columns
    second = apply_rules(both, RULES)
    pd.testing.assert_frame_equal(first.records, second.records)
    assert first.report == second.report
    again = apply_rules(first.records, RULES)              # re-applying overwrites identically
    pd.testing.assert_frame_equal(again.records, first.records)
    assert again.report.counts == first.report.counts
    assert len(first.records) == len(both)
    assert list(first.records["record_id"]) == list(both["record_id"])


def test_stage_is_registered_and_runs_like_the_runner_calls_it(both):
    registered_stages()
    stage = STAGES["apply_rules"]
    assert (stage.order, stage.toml_key, stage.config_type) == (30, "rules", type(RULES))
    res = stage.run(both, RULES, StageInputs(review_name="t"))
    assert res.report.stage == "apply_rules" and res.report.records_in == res.report.records_out == len(both)
    assert res.report.parameters["rules"][0]["id"] == "years"
    assert set(res.records["rule_decision"]) == {"include", "exclude", "flag"}


def test_explain_counts_and_highlights(clef):
    check = explain_rules(clef, cfg(
        {"id": "animals", "reason": "Animal study", "query": "ti:(rat OR rats OR mice)"},
        {"id": "lang", "reason": "Not in English", "language": {"not_in": ["en"]}},
    ), examples=2)
    animals, lang = check.rules
    assert animals.fired == 4 and len(animals.examples) == 2
    ex = animals.examples[0]
    assert ex.record_id == "clef14524527"
    assert [ex.title[a:b] for a, b in ex.spans] == ["rats"]
    assert lang.fired == 10 and lang.only_this_rule == 10   # 3 fre, 2 ger, 2 jpn, 2 rus, 1 spa
    assert lang.examples[0].detail.startswith("language ")
    assert check.counts["excluded"] == 14


def test_flag_terms_list_distinct_matched_words_and_phrases(clef):
    res = apply_rules(clef, cfg({"id": "lmwh", "reason": "LMWH", "action": "flag",
                                 "query": '"low molecular weight heparin*" OR ti:(heparin* OR anticoag*)'}))
    t = by_id(res.records)
    assert t.loc["clef18634550", "rule_terms"] == ["heparins", "low molecular weight heparin", "low molecular weight heparins"]
    assert t.loc["clef9698028", "rule_terms"] == ["anticoagulation"]
    assert t.loc["clef14524527", "rule_terms"] == ["heparin"]
    assert t.loc["clef8986856", "rule_terms"] == []          # no heparin, no LMWH: not flagged


def test_rules_built_in_python_are_still_checked(clef):
    from screening.errors import RuleError
    from screening.rules.model import Rule, RulesConfig

    with pytest.raises(RuleError, match=r"rule 'x': bad query at character 5: dangling operator AND"):
        apply_rules(clef, RulesConfig(rules=(Rule(id="x", reason="r", query="rat AND"),)))


def test_empty_table(clef):
    res = apply_rules(clef.iloc[:0], RULES)
    assert len(res.records) == 0 and res.report.counts == {"excluded": 0, "flagged": 0, "included": 0}
    assert list(res.records.columns[-5:]) == ["rule_decision", "rule_ids", "rule_reasons", "rule_reason",
                                              "rule_terms"]


def test_default_flag_counts_unmatched_records_as_flagged(wildfire):
    res = apply_rules(wildfire, cfg({"id": "y", "reason": "Before 2010", "year": {"min": 2010}}, default="flag"))
    assert res.report.counts == {"excluded": 2, "flagged": 27, "included": 0}
    assert by_id(res.records).loc["lens_343-00149", "rule_decision"] == "flag"


# -- listed values no record has (`rules check` notes) ----------------------------------------

PUBTYPE = {"id": "pubtype", "reason": "Editorial, letter, note or erratum",
           "publication_type": {"any_of": ["editorial", "letter", "note", "erratum"]}}


def test_check_notes_a_type_rule_whose_types_no_record_has(wildfire):
    """User test: the rule fired on no record and nothing said why; the note names the listed
    types and the ones the records do have (the wildfire records are TY-typed RIS)."""
    check = explain_rules(wildfire, cfg(PUBTYPE))
    assert check.rules[0].fired == 0
    assert check.notes == (
        "rule 'pubtype': no record has publication type editorial, letter, note or erratum, so it matches no "
        "record; publication types present: journal article (10), generic (3), thesis (3), book chapter (2), "
        "conference paper (2), conference proceeding (2), dataset (2), magazine article (2) and 2 more",)


def test_check_notes_only_the_absent_values_and_languages(clef):
    check = explain_rules(clef, cfg(
        {"id": "t", "reason": "r", "publication_type": {"any_of": ["journal article", "letter"]}},
        {"id": "lang", "reason": "r", "language": {"not_in": ["english", "italian", "fr"]}},
        {"id": "ok", "reason": "r", "language": {"any_of": ["ger"]}},
    ))
    assert check.notes == (
        "rule 't': no record has publication type letter; publication types present: journal article (36)",
        "rule 'lang': no record has language italian; languages present: english (24), french (3), german (2), "
        "japanese (2), russian (2), spanish (1)",
        # UAT: a missing = "keep" rule reported 'missing data 0' while a third of the records were never checked
        'rule \'lang\': 2 of 36 records have no language, so it did not check them (missing = "keep"; '
        'set missing = "flag" to list them for a person)',
        'rule \'ok\': 2 of 36 records have no language, so it did not check them (missing = "keep"; '
        'set missing = "flag" to list them for a person)',
    )
    flagging = explain_rules(clef, cfg({"id": "lang", "reason": "r", "language": {"not_in": ["english"]},
                                        "missing": "flag"}))
    assert flagging.rules[0].fired_on_missing_data == 2 and not any("did not check" in n for n in flagging.notes)
    everything_absent = explain_rules(clef, cfg({"id": "l", "reason": "r", "language": {"not_in": ["dutch"]}}))
    assert everything_absent.notes[0].startswith(
        "rule 'l': no record has language dutch, so it fires on every record that has one; languages present")


def test_check_has_no_note_once_m3_types_are_read():
    """The same rule on real Scopus RIS records: M3 gives the document type, the rule fires."""
    from screening.io import ris
    from screening.io.text import decode_bytes
    from screening.records import make_table

    path = Path(__file__).resolve().parents[1] / "fixtures" / "exports" / "ris_scopus_doctypes.ris"
    records = ris.parse(decode_bytes(path.read_bytes(), path.name).text, path.name).records
    table = make_table({**r.fields, "record_id": f"s{i}"} for i, r in enumerate(records))
    check = explain_rules(table, cfg(PUBTYPE))
    assert check.rules[0].fired == 4 and check.notes == ()      # letter, note, editorial, erratum
    assert fired(apply_rules(table, cfg(PUBTYPE)), "pubtype") == {"s2", "s3", "s4", "s5"}


def test_a_not_in_type_rule_no_record_matches_is_said_once_with_the_types_present(wildfire):
    check = explain_rules(wildfire, cfg({"id": "keep", "reason": "r",
                                         "publication_type": {"not_in": ["journal artcle"]}}))
    assert check.notes == ()
    (warning,) = [w for w in check.warnings if "'keep'" in w]
    assert "so it excludes every record that has one (a typo?); types present: book chapter, " in warning
    # a flag rule flags them (acceptance testing, session 25: the warning said 'excludes')
    check = explain_rules(wildfire, cfg({"id": "keep", "reason": "r", "action": "flag",
                                         "publication_type": {"not_in": ["journal artcle"]}}))
    (warning,) = [w for w in check.warnings if "'keep'" in w]
    assert "so it flags every record that has one (a typo?)" in warning


# -- missing data (acceptance testing, session 25) -----------------------------------------------


def test_a_query_on_an_empty_field_is_missing_data_not_a_firing(clef):
    """`NOT ab:(...)` excluded every record without an abstract (NOT of 'no match'), silently:
    no '(no abstract)' reason and no missing-data count. The query is now unknown there, and
    the rule's `missing` decides, as for year, language and type."""
    no_abstract = [r for r, a in zip(clef["record_id"], clef["abstract"]) if not (isinstance(a, str) and a.strip())]
    assert no_abstract
    rule = {"id": "q", "reason": "Abstract not about heparin", "query": "NOT ab:heparin"}
    res = apply_rules(clef, cfg(rule))
    t = by_id(res.records)
    assert not fired(res, "q") & set(no_abstract)                       # missing = "keep": not fired
    assert (t.loc[no_abstract, "rule_decision"] == "include").all()
    assert fired(res, "q")                                              # records with an abstract: as before
    res = apply_rules(clef, cfg({**rule, "missing": "flag"}))
    t = by_id(res.records)
    assert set(no_abstract) <= fired(res, "q")
    assert t.loc[no_abstract[0], "rule_reasons"] == ["Abstract not about heparin (no abstract)"]
    assert [p["fired_on_missing_data"] for p in res.report.details["rules"] if p["id"] == "q"] == [len(no_abstract)]


def test_the_missing_data_reason_names_what_the_record_lacks(wildfire):
    """A year + language rule with missing = "exclude" called a record with a year and no
    language '(no year/language)', and that text became a PRISMA reason label."""
    rule = {"id": "yl", "reason": "Old or not English", "year": {"min": 2100},
            "language": {"not_in": ["english"]}, "missing": "exclude"}
    table = wildfire.copy()
    table["language"] = ""
    res = apply_rules(table, cfg(rule))
    t = by_id(res.records)
    with_year = next(r for r, y in zip(table["record_id"], table["year"]) if pd.notna(y))
    assert t.loc[with_year, "rule_reasons"] == ["Old or not English (no language)"]
    assert t.loc["lens_343-00149", "rule_reasons"] == ["Old or not English (no year/language)"]   # neither


def test_language_tags_with_a_region_and_undetermined_languages():
    """'en-US' / 'en_GB' (Zotero, Scopus) were not English and were excluded as 'Not in
    English'; 'und' and 'mul' (PubMed: undetermined, several) were taken for languages and
    excluded the same way, where they say nothing: they now follow `missing`."""
    assert record_languages("en-US") == record_languages("en_GB") == {"english"}
    assert record_languages("pt-BR") == {"portuguese"} and record_languages("zh-Hans") == {"chinese"}
    assert record_languages("und") == record_languages("mul") == set()
    assert record_languages("eng; und") == {"english"}
    table = pd.DataFrame({"record_id": ["a", "b", "c", "d"], "title": ["t"] * 4,
                          "language": ["en-US", "en_GB", "und", "ger"]})
    res = apply_rules(table, cfg({"id": "lang", "reason": "Not in English", "language": {"not_in": ["english"]}}))
    assert fired(res, "lang") == {"d"}
    res = apply_rules(table, cfg({"id": "lang", "reason": "Not in English", "language": {"not_in": ["english"]},
                                  "missing": "flag"}))
    t = by_id(res.records)
    assert (t.loc["c", "rule_decision"], t.loc["c", "rule_reasons"]) == ("flag", ["Not in English (no language)"])


def test_publication_types_as_each_database_names_a_journal_article():
    """Zotero's 'journalArticle' matched neither 'journal article' nor 'article', so a
    not_in ['article'] rule excluded all 1,233 records of a Zotero CSV; WoS/Scopus/OpenAlex
    'Article' and WoS 'Journal' did not match 'journal article'."""
    assert type_words("journalArticle") == ("journal", "article")
    assert type_words("bookSection") == ("book", "section")
    # other mixed-case types stay words as written (review: 'PhD Thesis' read 'ph d thesis')
    assert type_words("PhD Thesis") == ("phd", "thesis") and type_words("eBook") == ("ebook",)
    types = [["journalArticle"], ["Article"], ["article"], ["Journal"], ["Review"], ["conferencePaper"]]
    table = pd.DataFrame({"record_id": list("abcdef"), "title": ["t"] * 6, "publication_type": types})
    for value in ("journal article", "article"):
        res = apply_rules(table, cfg({"id": "art", "reason": "Not an article",
                                      "publication_type": {"not_in": [value]}}))
        assert fired(res, "art") == {"e", "f"}, value
    res = apply_rules(table, cfg({"id": "conf", "reason": "Conference paper",
                                  "publication_type": {"any_of": ["conference paper"]}}))
    assert fired(res, "conf") == {"f"}


def test_a_table_read_with_pd_read_parquet_matches_as_the_stage_table_does(tmp_path, wildfire):
    """Acceptance testing: `pd.read_parquet` gives list columns as numpy arrays; apply_rules read
    them as absent, so `kw:` queries matched nothing and type rules warned that no record has a type."""
    from screening.records import write_table

    cfg = rules_from_mapping({"rule": [
        {"id": "kw", "reason": "Keyword", "query": "kw:fire*"},
        {"id": "type", "reason": "Not a journal article", "publication_type": {"not_in": ["JOUR"]}}]})
    write_table(wildfire, tmp_path / "t.parquet")
    raw = pd.read_parquet(tmp_path / "t.parquet")
    assert any(type(v) is not list for v in raw["keywords"])          # what pd.read_parquet gives
    expected = apply_rules(wildfire, cfg)
    got = apply_rules(raw, cfg)
    assert got.records["rule_reasons"].tolist() == expected.records["rule_reasons"].tolist()
    assert got.report.warnings == expected.report.warnings
    assert expected.records["rule_ids"].map(lambda ids: "kw" in ids).sum() > 0


@pytest.mark.parametrize("missing", ["keep", "exclude"])
def test_a_duplicate_s_year_keeps_a_record_but_never_excludes_it(wildfire, missing):
    """Review of the group-wise year rule: a kept record without a year whose duplicate says
    1990 was excluded by min = 2000 (with missing = "keep" it had been kept): after an upgrade
    a screened record would have been taken out although no rule was edited."""
    table = wildfire.iloc[:3].copy()
    ids = table["record_id"].tolist()
    table["duplicate_of"] = ["", ids[0], ""]
    table["year"] = pd.array([None, 1990, 2010], dtype="Int64")
    cfg = rules_from_mapping({"rule": [{"id": "y", "reason": "Before 2000", "year": {"min": 2000},
                                        "missing": missing}]})
    out = apply_rules(table, cfg).records.set_index("record_id")["rule_decision"]
    assert out[ids[0]] != "exclude"              # its copy is dated: not 'missing', and not excluded
    assert out[ids[1]] == "exclude"              # the copy itself, on its own year (a duplicate: not counted)
