"""Deduplication: link copies of one publication across databases; never merge two studies.

Public API: :func:`deduplicate` (pure, table in -> marked table out; the kept record's merge in
:mod:`screening.dedup.merge`), the stage in ``screening/stages/dedup.py``, the decision store in
:mod:`screening.dedup.store`, ``screening dedup`` on files in :mod:`screening.dedup.files`, and
``screening dedup-review`` (the queue a person decides in :mod:`screening.dedup.review_queue`,
pair decisions in :mod:`screening.dedup.review`). Method: docs/dedup.md.
"""

from screening.dedup.api import DedupOutcome, MaybePair, deduplicate

__all__ = ["DedupOutcome", "MaybePair", "deduplicate"]
