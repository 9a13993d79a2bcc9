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
``screening dedup-review``) are read by :func:`load_inputs` and override the matcher. So are the
records reviewers have already decided on (the screening log): they stay the kept record of
their group, so a search update's new copy of a screened study becomes its duplicate and no
decision is orphaned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from screening.config import config_parameters
from screening.dedup.api import COCHRANE_POLICIES, deduplicate
from screening.dedup.store import load_decisions
from screening.errors import ConfigError
from screening.records import read_table
from screening.stage import Stage, StageInputs, StageReport, StageResult, register_stage


# keep_first priorities (lower stays kept first): decided at full text, at title/abstract,
# planned for two screeners only
FULL_TEXT, TITLE_ABSTRACT, ASSIGNED = 0, 1, 2


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
                          decisions=inputs.dedup_decisions, previous=inputs.previous,
                          keep_first=dict(inputs.unhashed.get("decided", ())))
    report = StageReport(
        stage="dedup", records_in=len(records), records_out=len(outcome.table),
        warnings=_maybe_pair_warnings(outcome.counts["maybe_pairs"])
        + _decided_duplicate_warnings(outcome.details["kept_first_but_duplicates"])
        + _refused_warnings(outcome.details["links_refused_by_decisions"]),
        counts={k: outcome.counts[k] for k in ("duplicates", "groups", "maybe_pairs", "unique")},
        reasons=outcome.details["duplicates_per_rule"],
        parameters=config_parameters(config),
        details=outcome.details | {"candidate_pairs": outcome.counts["candidate_pairs"],
                                   "previous_records": outcome.counts["previous_records"],
                                   "kept_for_decisions": outcome.counts["kept_for_decisions"]},
    )
    return StageResult(records=outcome.table, report=report)


def _maybe_pair_warnings(n: int) -> list[str]:
    """Possible duplicates nobody has decided yet (pairs with a standing dedup-review decision
    are not queued): until decided, both copies count as records, screened twice."""
    if not n:
        return []
    return [f"{n} possible duplicate pair{'s' if n != 1 else ''} {'await' if n != 1 else 'awaits'} a decision: "
            f"run `screening dedup-review REVIEW`"]


def _decided_duplicate_warnings(dups: list[dict[str, Any]]) -> list[str]:
    """A warning for records with screening decisions that are duplicates all the same."""
    decided = [d for d in dups if d["priority"] < ASSIGNED]
    if not decided:
        return []
    shown = ", ".join(f"{d['record_id']} (duplicate of {d['duplicate_of']})" for d in decided[:3])
    more = f" and {len(decided) - 3} more (dedup.json lists them)" if len(decided) > 3 else ""
    n = len(decided)
    return [f"{n} record{' has' if n == 1 else 's have'} screening decisions but {'is' if n == 1 else 'are'} "
            f"now {'a duplicate' if n == 1 else 'duplicates'}, so {'its' if n == 1 else 'their'} decisions "
            f"no longer count: {shown}{more}. Each group keeps one record (the one decided furthest, "
            f"then the earliest); if they are not the same study, mark them distinct with "
            f"`screening dedup-review REVIEW --pair A B --distinct`"]


def _refused_warnings(refused: list[dict[str, Any]]) -> list[str]:
    """One warning for matcher links a human 'distinct' decision on another pair blocked."""
    if not refused:
        return []
    r = refused[0]
    a, b = r["distinct_pair"]
    more = f" (and {len(refused) - 1} more: dedup.json lists them)" if len(refused) > 1 else ""
    how = {"manual": "were marked duplicates in dedup-review",
           "previous": "were duplicates in the earlier search's table"}.get(r["rule"], f"match by {r['rule']}")
    return [f"{r['id_a']} and {r['id_b']} {how} but were not linked: that would join "
            f"{a} and {b}, which were marked distinct in dedup-review{more}. If that decision was "
            f"meant for that pair alone, the decisions contradict each other: withdraw one with "
            f"`screening dedup-review REVIEW --pair {a} {b} --reopen`; if it stands, mark "
            f"{r['id_a']} and {r['id_b']} distinct too (`--distinct`) and this warning goes"]


def load_inputs(review: Any) -> StageInputs:
    """Read what the stage needs from disk: stored decisions and, for updates, the earlier table."""
    config: DedupConfig = review.stages.get("dedup", DedupConfig())
    previous = None
    if config.previous:
        path = review.resolve(config.previous)
        if path.resolve().is_relative_to(Path(review.output_dir).resolve()):
            raise ConfigError(f"[dedup] previous = {config.previous!r} is one of this review's own outputs",
                              hint="for a search update, add the new export as another [[sources]] entry "
                                   "and run again: earlier records keep their ids and decisions. "
                                   "`previous` is for an update screened as a separate review")
        previous = read_table(path)
    decided = decided_records(review)
    return StageInputs(review_name=review.name, dedup_decisions=load_decisions(review.output_dir),
                       previous=previous, unhashed={"decided": decided},
                       extra={"decided_in_groups": _in_stored_groups(decided, review.output_dir)})




def decided_records(review: Any) -> tuple[tuple[str, int], ...]:
    """(record_id, priority) of the records people have decided on or are assigned to: 0 with
    a full-text decision, 1 with a title/abstract one, 2 planned for screening but undecided
    (a dual-screening sample should not lose its records to a copy outside it). Sorted."""
    path = getattr(review, "decisions_path", None)
    if path is None or not Path(path).exists():
        return ()
    from screening.decisions.views import assignments, load_entries, standing_decisions

    entries = load_entries(path)
    tiers = {rid: ASSIGNED for stage in ("title_abstract", "full_text") for rid in assignments(entries, stage)}
    tiers.update({rid: TITLE_ABSTRACT for rid in standing_decisions(entries, "title_abstract")})
    tiers.update({rid: FULL_TEXT for rid in standing_decisions(entries, "full_text")})
    return tuple(sorted(tiers.items()))


def _in_stored_groups(decided: tuple[tuple[str, int], ...], output_dir: Path) -> tuple[tuple[str, int], ...]:
    """The part of ``decided`` that can change this stage's output, for its cache key.

    Which records form a group does not depend on the decisions, only which one is kept; so
    with the same table and dedup decisions (both in the key already) the output changes only
    if a decided record of a multi-record group changes. The stored table tells which records
    those are; a decision on any other record (most of them) leaves dedup and what follows it
    unchanged instead of re-running them after every key press. Without a stored table the
    stage runs anyway."""
    stored = Path(output_dir) / "dedup.parquet"
    if not decided or not stored.exists():
        return decided
    try:
        groups = pd.read_parquet(stored, columns=["record_id", "dup_group"])
    except Exception:            # unreadable: the runner re-runs the stage anyway
        return decided
    group = groups["dup_group"].astype(str)
    grouped = set(groups.loc[group.map(group.value_counts()) > 1, "record_id"].astype(str))
    return tuple(d for d in decided if d[0] in grouped)


STAGE = register_stage(Stage(name="dedup", order=20, run=run, config_type=DedupConfig,
                             # 3: the report warns of undecided maybe-pairs (a stored report
                             # without that warning is not reused)
                             toml_key="dedup", version="3", load_inputs=load_inputs))
