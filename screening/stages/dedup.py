"""dedup stage (order 20): link duplicate records across databases; mark, never drop.

Config (review TOML ``[dedup]``, strict keys)::

    [dedup]
    cochrane_versions = "duplicate"   # .pub2/.pub3 of one Cochrane review: duplicate | maybe | distinct
    previous = ""                     # earlier search's dedup table (search updates), e.g.
                                      # "data/screened/demo-2023/dedup.parquet"
    old_search_value = "old_search"   # rows whose `search_set` column has this value are from an
                                      # earlier, already deduplicated search
    max_block = 60                    # blocks larger than this are windowed, not fully paired

Stored maybe-pair decisions (``dedup_decisions.sqlite`` in the review's output folder, written by
``screening dedup-review``) are read by :func:`load_inputs` and override the matcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from screening.config import config_parameters
from screening.dedup.api import COCHRANE_POLICIES, deduplicate
from screening.dedup.store import load_decisions
from screening.errors import ConfigError
from screening.records import read_table
from screening.stage import Stage, StageInputs, StageReport, StageResult, register_stage


@dataclass(frozen=True)
class DedupConfig:
    cochrane_versions: str = "duplicate"
    previous: str = ""
    old_search_value: str = "old_search"
    max_block: int = 60

    def __post_init__(self) -> None:
        if self.cochrane_versions not in COCHRANE_POLICIES:
            raise ConfigError(f"[dedup] cochrane_versions = {self.cochrane_versions!r} is not allowed",
                              hint=f"use one of: {', '.join(COCHRANE_POLICIES)}")
        if self.max_block < 2:
            raise ConfigError("[dedup] max_block must be at least 2", hint="the default is 60")


def run(records: pd.DataFrame, config: DedupConfig, inputs: StageInputs) -> StageResult:
    """Pure: the table plus stored decisions / previous records in, marked table out."""
    outcome = deduplicate(records, cochrane_versions=config.cochrane_versions,
                          old_search_value=config.old_search_value, max_block=config.max_block,
                          decisions=inputs.dedup_decisions, previous=inputs.previous)
    report = StageReport(
        stage="dedup", records_in=len(records), records_out=len(outcome.table),
        counts={k: outcome.counts[k] for k in ("duplicates", "groups", "maybe_pairs", "unique")},
        reasons=outcome.details["duplicates_per_rule"],
        parameters=config_parameters(config),
        details=outcome.details | {"candidate_pairs": outcome.counts["candidate_pairs"],
                                   "previous_records": outcome.counts["previous_records"]},
    )
    return StageResult(records=outcome.table, report=report)


def load_inputs(review: Any) -> StageInputs:
    """Read what the stage needs from disk: stored decisions and, for updates, the earlier table."""
    config: DedupConfig = review.stages.get("dedup", DedupConfig())
    previous = None
    if config.previous:
        path = review.resolve(config.previous)
        previous = read_table(path)
    return StageInputs(review_name=review.name, dedup_decisions=load_decisions(review.output_dir),
                       previous=previous)


STAGE = register_stage(Stage(name="dedup", order=20, run=run, config_type=DedupConfig,
                             toml_key="dedup", version="2", load_inputs=load_inputs))
