"""The vectorised evaluator against a slow, obvious reference on real records.

Hypothesis builds random queries (terms, truncation, ``?``, phrases, field tags, AND/OR/NOT,
NEAR/PRE) from words of the fixture titles; a per-record evaluator written for clarity, not
speed, must agree on every record.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.rules.query import And, Near, Not, Or, Term, fields_used, parse
from screening.rules.query_eval import evaluate
from screening.rules.textindex import TextIndex, words_of

from screening.records import read_table

from .conftest import FIXTURES

TABLE = pd.concat([read_table(FIXTURES / "clef_cd006468_sample.csv"),
                   read_table(FIXTURES / "wildfire_sample.csv")], ignore_index=True)
INDEX = TextIndex(TABLE, ("ti", "ab", "kw", "au", "jo"))
TITLE_WORDS = [words_of(t) for t in TABLE["title"]]
OPERATORS = {"and", "or", "not", "near", "pre"}   # must be quoted to be searched
VOCAB = sorted({w for ws in TITLE_WORDS for w in ws if w.isascii() and w.isalpha() and len(w) >= 3} - OPERATORS)
BIGRAMS = sorted({(a, b) for ws in TITLE_WORDS for a, b in zip(ws, ws[1:]) if (a + b).isascii()})


def _segments(i: int, tag: str) -> list[list[str]]:
    row = TABLE.iloc[i]
    values = {"ti": [row["title"]], "ab": [row["abstract"]], "kw": list(row["keywords"]),
              "au": list(row["authors"]), "jo": [row["journal"], row["journal_abbrev"]]}[tag]
    return [words_of(v) for v in values]


SEGMENTS = {(i, tag): _segments(i, tag) for i in range(len(TABLE)) for tag in ("ti", "ab", "kw", "au", "jo")}


@lru_cache(maxsize=None)
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


def occurrences(term: Term, i: int) -> list[tuple[tuple[str, int], int, int]]:
    out = []
    for tag in term.fields:
        for s, words in enumerate(SEGMENTS[(i, tag)]):
            for p in range(len(words) - len(term.words) + 1):
                if all(_rx(w).fullmatch(words[p + j]) for j, w in enumerate(term.words)):
                    out.append(((tag, s), p, p + len(term.words) - 1))
    return out


def _empty(fields, i: int) -> bool:
    """The record has no word in any of ``fields``: a term there is unknown, not false."""
    return not any(words for tag in fields for words in SEGMENTS[(i, tag)])


def ref(node, i: int) -> bool | None:
    """True, False, or None (unknown: the searched fields are empty), by Kleene's logic."""
    if isinstance(node, Term):
        return True if occurrences(node, i) else None if _empty(node.fields, i) else False
    if isinstance(node, Not):
        inner = ref(node.item, i)
        return None if inner is None else not inner
    if isinstance(node, (And, Or)):
        values = [ref(x, i) for x in node.items]
        decisive = False if isinstance(node, And) else True
        if decisive in values:
            return decisive
        return None if None in values else not decisive
    assert isinstance(node, Near)
    terms_of = lambda n: [n] if isinstance(n, Term) else n.items  # noqa: E731
    side = lambda n: [o for t in terms_of(n) for o in occurrences(t, i)]  # noqa: E731
    for seg_a, a0, a1 in side(node.left):
        for seg_b, b0, b1 in side(node.right):
            if seg_a != seg_b:
                continue
            if b0 > a1 and b0 - a1 - 1 <= node.distance:
                return True
            if not node.ordered and a0 > b1 and a0 - b1 - 1 <= node.distance:
                return True
    fields = {f for n in (node.left, node.right) for t in terms_of(n) for f in t.fields}
    return None if _empty(fields, i) else False


def _check(node) -> np.ndarray:
    got = evaluate(node, INDEX)
    expected = [ref(node, i) for i in range(len(TABLE))]
    assert (got.mask == np.array([e is True for e in expected])).all(), list(TABLE["record_id"][got.mask != np.array([e is True for e in expected])])
    assert (got.unknown == np.array([e is None for e in expected])).all(), "unknown differs"
    return got.mask


# -- random queries ----------------------------------------------------------------------------

def _vocab(i: int) -> str:
    return VOCAB[i]


word = st.integers(0, len(VOCAB) - 1).map(_vocab)
term = st.one_of(
    word,
    word.map(lambda w: w[: max(2, len(w) // 2)] + "*"),
    word.map(lambda w: w[:1] + w[1:2] + "?" + w[3:]),
    st.integers(0, len(BIGRAMS) - 1).map(lambda i: f'"{BIGRAMS[i][0]} {BIGRAMS[i][1]}"'),
)
tag = st.sampled_from(["", "", "ti:", "ab:", "kw:", "all:"])
leaf = st.builds(lambda t, w: f"{t}{w}", tag, term)
group = st.lists(term, min_size=1, max_size=3).map(lambda ws: "(" + " OR ".join(ws) + ")")
near = st.builds(lambda a, op, n, b: f"({a} {op}/{n} {b})", st.one_of(term, group),
                 st.sampled_from(["NEAR", "PRE"]), st.integers(0, 4), st.one_of(term, group))
query = st.recursive(
    st.one_of(leaf, near),
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a} AND {b})", inner, inner),
        st.builds(lambda a, b: f"({a} OR {b})", inner, inner),
        st.builds(lambda a, b: f"({a} NOT {b})", inner, inner),
        st.builds(lambda t, a: f"{t}({a})", tag, inner),
    ),
    max_leaves=5,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query)
def test_vectorised_evaluation_matches_the_reference(q):
    _check(parse(q))


@pytest.mark.parametrize("q", [
    "random* NEAR/3 (trial OR allocat*)", '"low molecular weight heparin" PRE/4 cancer',
    "ti:(wildfire* NEAR/2 smoke)", "kw:(fire PRE/0 management)", "(heparin OR warfarin) NOT ab:cancer",
])
def test_known_queries_match_the_reference(q):
    assert _check(parse(q)).any()
