"""A parsed text query evaluated over the word index: which records match, and which words made
them match.

Why apart from the language (:mod:`screening.rules.query`): parsing needs no records, and the
rule loader parses every query when the TOML loads, long before an index exists. Evaluation
runs over all records at once: each term is a lookup in :class:`TextIndex`, AND/OR/NOT are
boolean numpy arrays, NEAR/PRE is arithmetic on word numbers (:func:`near`).

A term in fields a record leaves empty (``ab:`` on a record without an abstract) is *unknown*
there, not false: three-valued (Kleene) logic carries that up (NOT unknown is unknown; true OR
unknown is true; false AND unknown is false), so ``NOT ab:(human*)`` does not call every record
without an abstract non-human. The rule then treats an unknown query as missing data
(:mod:`screening.rules.conditions`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screening.rules.occurrences import Occurrences, near
from screening.rules.query import And, Near, Node, Not, Or, Term, fields_used
from screening.rules.textindex import TextIndex


@dataclass
class Match:
    """A query's result: which records match (``mask``), on which it is unknown because the
    searched fields are empty there (``unknown``; never set where ``mask`` is), and the positive
    occurrences that made them match."""

    mask: np.ndarray
    hits: list[Occurrences]
    index: TextIndex | None = None   # set by the caller that owns the index
    unknown: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.unknown is None:
            self.unknown = np.zeros(self.mask.shape, dtype=bool)


def evaluate(node: Node, index: TextIndex) -> Match:
    """Evaluate over every record at once (boolean numpy arrays, three-valued: see the module
    docstring)."""
    if isinstance(node, Term):
        occ = index.occurrences(node.words, node.fields)
        mask = index.record_mask(occ)
        return Match(mask, [occ], unknown=~index.has_words(node.fields) & ~mask)
    if isinstance(node, Not):
        inner = evaluate(node.item, index)
        return Match(~inner.mask & ~inner.unknown, [], unknown=inner.unknown.copy())
    if isinstance(node, Near):
        left = _occurrences(node.left, index)
        right = _occurrences(node.right, index)
        li, ri = near(left, right, node.distance, node.ordered)
        lo, ro = left.take(li), right.take(ri)
        mask = index.record_mask(lo)
        return Match(mask, [lo, ro], unknown=~index.has_words(sorted(fields_used(node))) & ~mask)
    parts = [evaluate(item, index) for item in node.items]
    mask = parts[0].mask.copy()
    false = ~parts[0].mask & ~parts[0].unknown
    for p in parts[1:]:
        p_false = ~p.mask & ~p.unknown
        if isinstance(node, And):
            mask &= p.mask
            false |= p_false
        else:
            mask |= p.mask
            false &= p_false
    return Match(mask, [h for p in parts for h in p.hits], unknown=~mask & ~false)


def _occurrences(node: Node, index: TextIndex) -> Occurrences:
    if isinstance(node, Term):
        return index.occurrences(node.words, node.fields)
    assert isinstance(node, Or)
    return Occurrences.concat([index.occurrences(t.words, t.fields) for t in node.items])  # type: ignore[union-attr]


def matched_terms(match: Match, index: TextIndex, records: np.ndarray) -> dict[int, list[str]]:
    """For the given record numbers, the distinct folded words/phrases that matched, sorted."""
    wanted = np.zeros(index.n_records, dtype=bool)
    wanted[records] = True
    out: dict[int, set[str]] = {}
    for occ in match.hits:
        if not len(occ):
            continue
        keep = wanted[index.records_of(occ)]
        if not keep.any():
            continue
        occ = occ.take(keep)
        recs = index.records_of(occ)
        codes, texts = index.texts(occ)
        pairs = np.unique(recs * (len(texts) + 1) + codes)
        for rec, code in zip((pairs // (len(texts) + 1)).tolist(), (pairs % (len(texts) + 1)).tolist()):
            out.setdefault(rec, set()).add(texts[code])
    return {r: sorted(v) for r, v in out.items()}
