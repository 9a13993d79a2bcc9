"""Rank one review's records (the library behind ``screening rank``).

Ranking is a pipeline stage, so re-ranking a review is running its pipeline: unchanged stages
are skipped by their input hash and ``rank`` re-runs whenever the decision log changed. The
runner writes ``rank.parquet`` / ``rank.json`` as for any stage.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from screening.errors import ConfigError
from screening.stage import StageReport


def rank_review(review: str | Path) -> tuple[pd.DataFrame, StageReport]:
    """Run the review's pipeline up to and including ``rank``; return its table and report."""
    from screening.config import load_review
    from screening.runner import run_review

    cfg = load_review(review)
    if "rank" not in cfg.stages:
        # (no square brackets: the CLI prints errors as rich markup, which would swallow them)
        raise ConfigError("the review has no rank section", path=cfg.path,
                          hint="add a section named rank to the review TOML (see docs/ranking.md)")
    # the stages only: the PRISMA report's own problems (an update flow configured before its
    # update search ran) must not block ranking or `screening stop` (acceptance testing)
    result = run_review(cfg.path, post_steps=False)
    outcome = next(o for o in result.outcomes if o.stage == "rank")
    return result.records, outcome.report
