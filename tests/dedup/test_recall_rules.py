"""Rules added for issue #3 (recall on Rathbone haematology/respiratory/cytology), one test per
rule on the real pair that motivated it (pairs 22-30 of tests/fixtures/dedup/pairs.csv), plus
the guards that must keep the look-alikes found in the same sets apart."""

from __future__ import annotations

import pandas as pd

from screening.dedup.api import deduplicate
from screening.dedup.compare import DISTINCT, DUPLICATE, MAYBE, author_agreement, compare, fields_shifted
from screening.dedup.normalise import keys_for_table
from screening.dedup.title_keys import strip_annotations


def _pair(table: pd.DataFrame, n: int):
    rows = table[table["pair"] == str(n)].reset_index(drop=True)
    assert len(rows) == 2, n
    a, b = keys_for_table(rows)
    return rows, a, b


def test_nested_and_truncated_erratum_annotations_are_stripped(pairs_table):
    rows, a, b = _pair(pairs_table, 22)
    assert "Erratum" in rows["title"][1] and "[" not in strip_annotations(rows["title"][1])
    assert a.kinds == b.kinds == frozenset()       # the article is not an erratum
    assert a.title == b.title
    assert compare(a, b).outcome == DUPLICATE


def test_erratum_in_citation_form_stays_apart_from_the_annotated_article(pairs_table):
    rows, a, b = _pair(pairs_table, 28)
    assert "erratum" in a.kinds and not b.kinds   # '(NEJM (2009) 360 (542-544))' marks an erratum
    verdict = compare(a, b)
    assert verdict.outcome == DISTINCT and verdict.rule == "kind"


def test_shifted_volume_issue_pages_is_one_abstract(pairs_table):
    rows, a, b = _pair(pairs_table, 23)
    assert fields_shifted(a, b) and fields_shifted(b, a)
    verdict = compare(a, b)
    assert verdict.outcome == DUPLICATE and "shifted" in verdict.reason


def test_shifted_fields_need_every_number_to_line_up(pairs_table):
    rows, a, b = _pair(pairs_table, 23)
    moved = rows.copy()
    moved.loc[0, "pages"] = "10"                   # the page no longer equals the other's issue
    a2, b2 = keys_for_table(moved)
    assert not fields_shifted(a2, b2)
    assert compare(a2, b2).outcome != DUPLICATE


def test_translated_title_with_same_authors_and_page_range(pairs_table):
    rows, a, b = _pair(pairs_table, 24)
    assert a.translated != b.translated
    verdict = compare(a, b)
    assert verdict.outcome == DUPLICATE and verdict.rule == "title+authors+pages"


def test_translated_title_needs_the_same_page_range(pairs_table):
    rows, a, b = _pair(pairs_table, 24)
    other = rows.copy()
    other.loc[1, "pages"] = "280-290"              # same first page, other last page
    a2, b2 = keys_for_table(other)
    assert compare(a2, b2).outcome == DISTINCT


def test_translated_title_without_authors_is_found_by_blocking(pairs_table):
    rows, a, b = _pair(pairs_table, 25)
    assert not b.families and a.translated
    assert compare(a, b).outcome == DUPLICATE
    # titles share too little for the title keys: the volume + page-range key pairs them
    out = deduplicate(rows.drop(columns=["pair", "expect", "why", "source_set"]))
    assert out.table["dup_group"].nunique() == 1


def test_multi_part_pages_in_any_order(pairs_table):
    rows, a, b = _pair(pairs_table, 26)
    assert (a.first_page, a.last_page) == (b.first_page, b.last_page) == ("230", "251")
    assert compare(a, b).outcome == DUPLICATE


def test_given_names_before_the_comma(pairs_table):
    rows, a, b = _pair(pairs_table, 27)
    assert b.alt_families[:2] == ("santos", "derchain")
    assert author_agreement(a, b) == 1.0
    assert compare(a, b).outcome == DUPLICATE


def test_alt_reading_needs_the_whole_list_in_that_shape(pairs_table):
    rows, a, b = _pair(pairs_table, 1)             # ordinary 'O'Brien, M. E. R.' lists
    assert a.alt_families == () and b.alt_families == ()


def test_trial_registrations_one_word_apart_stay_apart(pairs_table):
    rows, a, b = _pair(pairs_table, 29)
    assert compare(a, b).outcome == DISTINCT


def test_letters_by_different_authors_under_one_title_stay_apart(pairs_table):
    rows, a, b = _pair(pairs_table, 30)
    assert compare(a, b).outcome in (DISTINCT, MAYBE)
    out = deduplicate(rows.drop(columns=["pair", "expect", "why", "source_set"]))
    assert out.table["dup_group"].nunique() == 2
