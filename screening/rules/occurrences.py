"""Where a word pattern or phrase matched, as arrays of word numbers, and the proximity test on them.

Why apart from the index: an :class:`Occurrences` holds only numbers (first and last word,
segment), so once :class:`screening.rules.textindex.TextIndex` has found a term, combining
terms never touches the text again: ``NEAR/n`` and ``PRE/n`` (:func:`near`) are arithmetic on
word numbers, and OR-groups are concatenations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Occurrences:
    """Where a term, phrase or proximity operand matched: word numbers and segments, sorted."""

    start: np.ndarray   # first word number (int64)
    end: np.ndarray     # last word number (== start for one word)
    seg: np.ndarray     # segment number

    def __len__(self) -> int:
        return int(self.start.size)

    @staticmethod
    def empty() -> "Occurrences":
        z = np.zeros(0, dtype=np.int64)
        return Occurrences(z, z, z)

    @staticmethod
    def concat(parts: Sequence["Occurrences"]) -> "Occurrences":
        parts = [p for p in parts if len(p)]
        if not parts:
            return Occurrences.empty()
        if len(parts) == 1:
            return parts[0]
        start = np.concatenate([p.start for p in parts])
        end = np.concatenate([p.end for p in parts])
        seg = np.concatenate([p.seg for p in parts])
        order = np.lexsort((end, start))
        return Occurrences(start[order], end[order], seg[order])

    def take(self, keep: np.ndarray) -> "Occurrences":
        return Occurrences(self.start[keep], self.end[keep], self.seg[keep])


def near(left: Occurrences, right: Occurrences, distance: int, ordered: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pairs within ``distance`` words (words *between* them), same segment.

    Returns (left indices, right indices) of matching pairs: for each left occurrence, the
    nearest right occurrence after it (and, unless ``ordered``, the nearest before it).
    """
    if not len(left) or not len(right):
        z = np.zeros(0, dtype=np.int64)
        return z, z
    out_l: list[np.ndarray] = []
    out_r: list[np.ndarray] = []
    by_start = np.argsort(right.start, kind="stable")
    rs = right.start[by_start]
    i = np.searchsorted(rs, left.end, side="right")
    ok = i < rs.size
    j = by_start[np.where(ok, i, 0)]
    ok &= (right.seg[j] == left.seg) & (right.start[j] - left.end - 1 <= distance)
    out_l.append(np.flatnonzero(ok))
    out_r.append(j[ok])
    if not ordered:
        by_end = np.argsort(right.end, kind="stable")
        re_ = right.end[by_end]
        i = np.searchsorted(re_, left.start, side="left") - 1
        ok = i >= 0
        j = by_end[np.where(ok, i, 0)]
        ok &= (right.seg[j] == left.seg) & (left.start - right.end[j] - 1 <= distance)
        out_l.append(np.flatnonzero(ok))
        out_r.append(j[ok])
    return np.concatenate(out_l), np.concatenate(out_r)
