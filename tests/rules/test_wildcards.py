"""Word wildcards (``*`` any run, ``?`` one character) are matched without backtracking.

Acceptance 36b: the rule ``ti:a*a*a*a*a*a*a*a*a*a*z`` against one title word of 60 a's hung
apply_rules (the pattern was a regular expression, exponential in its inner stars)."""

from __future__ import annotations

import re
import time

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.records import make_table
from screening.rules.textindex import glob_match


def _reference(word: bytes, pat: bytes) -> bool:
    """The regular expression the matcher used before, on short words only."""
    rx = re.compile(b"".join(b"[^\n]*" if b == ord("*") else b"[^\n]" if b == ord("?") else re.escape(bytes([b]))
                             for b in pat) + b"\\Z")
    return rx.match(word) is not None


@settings(max_examples=600, deadline=None)
@given(st.binary(max_size=12).map(lambda b: bytes(97 + x % 3 for x in b)),
       st.lists(st.sampled_from([b"a", b"b", b"c", b"*", b"?"]), max_size=8).map(b"".join))
def test_the_same_matches_as_the_regular_expression(word, pat):
    assert glob_match(word, pat) == _reference(word, pat)


def test_known_cases():
    assert glob_match(b"randomised", b"random*")
    assert glob_match(b"randomized", b"randomi?ed")
    assert glob_match(b"paediatric", b"p*ediatric")
    assert glob_match(b"pediatric", b"p*ediatric")
    assert not glob_match(b"pediatrics", b"p*ediatric")
    assert glob_match(b"aba", b"a*a") and not glob_match(b"a", b"a*a")
    assert glob_match(b"abcabc", b"*bc*bc") and not glob_match(b"abcab", b"*bc*bc")


def test_many_inner_stars_on_a_long_word_finish_at_once():
    word, pat = b"a" * 60, b"a*a*a*a*a*a*a*a*a*a*z"
    start = time.process_time()
    assert not glob_match(word, pat)
    assert glob_match(word + b"z", pat)
    assert time.process_time() - start < 1.0     # the regular expression needed minutes


def test_a_rule_with_many_inner_stars_applies():
    from screening.rules.apply import apply_rules
    from screening.rules.model import rules_from_mapping

    table = make_table(pd.DataFrame({
        "record_id": ["r1", "r2"], "source_db": ["Scopus"] * 2,
        "title": ["Wildfire smoke " + "a" * 60, "Ahaaaaaaaaaaaz exposure"],
    }).to_dict("records"))
    rules = rules_from_mapping({"rule": [{"id": "R1", "reason": "crafted", "query": "ti:a*a*a*a*a*a*a*a*a*a*z"}]})
    out = apply_rules(table, rules).records.set_index("record_id")
    assert out.loc["r1", "rule_decision"] != "exclude" and out.loc["r2", "rule_decision"] == "exclude"
