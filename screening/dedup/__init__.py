"""Deduplication: link copies of one publication across databases; never merge two studies.

Public API: :func:`deduplicate` (pure, table in -> marked table out), the stage in
``screening/stages/dedup.py``, the decision store in :mod:`screening.dedup.store`, and the
file workflows used by the CLI in :mod:`screening.dedup.files`. Method: docs/dedup.md.
"""

from screening.dedup.api import DedupOutcome, MaybePair, deduplicate

__all__ = ["DedupOutcome", "MaybePair", "deduplicate"]
