"""Blocking: which record pairs are worth comparing at all.

Comparing all n*(n-1)/2 pairs is hopeless at 200,000 records, so each record gets a handful of
cheap keys and only records sharing a key are compared. Several independent keys make up for
each other's blind spots: a typo at the end of a title still shares the title *prefix*, one at
the start still shares the *suffix*, a reordered or translated title still shares its two rarest
words, and a record with a garbled title still shares its DOI, PMID, trial-registry id or first
author + year.

Blocks larger than ``max_block`` (common author names, generic titles) are not paired in full:
their members are sorted by title and each is paired with its ``window`` nearest neighbours,
so cost stays near-linear. All orderings use the record's sort rank (its ``record_id`` order),
never the input row order, so the candidate set does not depend on how rows were shuffled.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Sequence

import numpy as np

from screening.dedup.normalise import Keys

# words too common in titles to pair records on: the rare-word keys skip them
_TITLE_STOP = frozenset({"the", "of", "and", "in", "a", "an", "to", "for", "with", "on", "by", "at",
                         "from", "or", "as", "is", "are", "vs", "versus", "its", "their"})


def blocking_keys(k: Keys, rare: dict[str, int]) -> list[str]:
    """The keys of one record. ``rare`` maps title tokens to their document frequency."""
    out: list[str] = []
    if k.doi:
        out.append("d" + k.doi)
    if k.pmid:
        out.append("p" + k.pmid)
    for trial in sorted(k.registry):     # a registry record's id (its 'author' in CENTRAL's export)
        out.append("g" + trial)
    compact = k.title.replace(" ", "")
    if len(compact) >= 12:
        out.append("t" + compact[:24])
        out.append("e" + compact[-24:])
        words = [w for w in k.title_tokens if len(w) > 2 and w not in _TITLE_STOP]
        if len(words) >= 2:
            words.sort(key=lambda w: (rare.get(w, 0), w))
            out.append("r" + words[0] + "|" + words[1])
            out.append("s" + " ".join(sorted(words)[:8]))
    if k.volume and k.first_page and k.last_page and k.year:
        # journal volume + full page range + year locate one printed article whatever its title
        # says (a translated title, a missing author list)
        out.append(f"v{k.volume}|{k.first_page}|{k.last_page}|{k.year}")
    if k.volume and k.first_page and k.year:
        # ... and so do volume + first page + year where an export gives no last page: MEDLINE's
        # bracketed translation meets the original-language title only through where it was
        # printed (a large block, a supplement's page of abstracts, is windowed as any other)
        out.append(f"f{k.volume}|{k.first_page}|{k.year}")
    if k.families and k.year:
        first_word = min((w for w in k.title_tokens if len(w) > 3), default="")
        out.append(f"a{k.families[0]}|{k.year}|{first_word}")
    return out


def candidate_pairs(keys: Sequence[Keys], rank: np.ndarray, *, old: np.ndarray | None = None,
                    max_block: int = 60, window: int = 12) -> np.ndarray:
    """Candidate pairs as an ``(m, 2)`` int array of row positions, each pair once, ``i < j``.

    ``rank[i]`` is row i's position in record_id order (for determinism). Pairs of two rows
    flagged in ``old`` (an earlier, already deduplicated search) are never produced.
    """
    n = len(keys)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    df: Counter[str] = Counter()
    for k in keys:
        df.update(k.title_tokens)
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, k in enumerate(keys):
        for key in blocking_keys(k, df):
            blocks[key].append(i)
    codes: list[np.ndarray] = []
    titles = [k.title for k in keys]
    for members in blocks.values():
        m = len(members)
        if m < 2:
            continue
        arr = np.array(sorted(members, key=lambda i: rank[i]), dtype=np.int64)
        if m <= max_block:
            a, b = np.triu_indices(m, k=1)
            left, right = arr[a], arr[b]
        else:
            arr = np.array(sorted(arr.tolist(), key=lambda i: (titles[i], rank[i])), dtype=np.int64)
            lefts, rights = [], []
            for w in range(1, window + 1):
                lefts.append(arr[:-w])
                rights.append(arr[w:])
            left, right = np.concatenate(lefts), np.concatenate(rights)
        lo, hi = np.minimum(left, right), np.maximum(left, right)
        codes.append(lo * n + hi)
    if not codes:
        return np.zeros((0, 2), dtype=np.int64)
    uniq = np.unique(np.concatenate(codes))
    pairs = np.stack([uniq // n, uniq % n], axis=1)
    if old is not None and old.any():
        keep = ~(old[pairs[:, 0]] & old[pairs[:, 1]])
        pairs = pairs[keep]
    return pairs
