"""``screening rules check``: what a review's rules would do on its current records.

Read-only by design: it loads the stored table (after dedup when that stage has run, else the
ingested table), evaluates the rules in memory and returns the explanation; nothing is applied
or written, so a team can tune a rule before committing to it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from screening.config import ReviewConfig, load_review
from screening.errors import ConfigError, NotRunError
from screening.records import read_table
from screening.rules.apply import STAGE_NAME, apply_rules, kept_mask
from screening.rules.explain import RulesCheck, explain_rules
from screening.rules.model import RulesConfig


@dataclass(frozen=True)
class ReviewRulesCheck:
    review: str
    table_path: Path          # the stored table the rules were evaluated on
    check: RulesCheck

    @property
    def deduplicated(self) -> bool:
        return self.table_path.stem != "ingest"


def records_before_rules(review: ReviewConfig) -> tuple[pd.DataFrame, Path]:
    """The stored table the rules stage would read: dedup output, else ingest output."""
    for name in ("dedup", "ingest"):
        path = review.output_dir / f"{name}.parquet"
        if path.exists():
            return read_table(path), path
    raise NotRunError("the review has not been run yet: there are no records to check the rules on",
                     path=review.path, hint=f"run `screening run {review.command_ref()}` first")


def check_review(review_path: str | Path, examples: int = 3) -> ReviewRulesCheck:
    """Load a review and explain its ``[rules]`` on its stored records, applying nothing."""
    review = load_review(review_path)
    config = review.stages.get(STAGE_NAME)
    if not isinstance(config, RulesConfig):
        raise ConfigError("the review has no [rules] section", path=review.path,
                          hint="add [rules] with [[rules.rule]] tables; see docs/rules.md")
    if examples < 0:
        raise ConfigError("--examples must be 0 or more")
    table, path = records_before_rules(review)
    check = explain_rules(table, config, examples=examples)
    entries = _entries(review)
    affected = decided_but_excluded(table, config, entries)
    if affected:
        included = _included(entries, affected)
        among = (f", {included} of them included after full-text assessment (included studies would be lost)"
                 if included else "")
        check = dataclasses.replace(check, notes=(*check.notes, (
            f"{len(affected)} of the records these rules would exclude already carry screening decisions "
            f"({name_records(affected)}){among}: `screening run` refuses such an edit unless --allow-rule-changes "
            f"(a protocol amendment), and those decisions then stop counting")))
    return ReviewRulesCheck(review.name, path, check)


def _entries(review: ReviewConfig) -> pd.DataFrame | None:
    """The review's decision log (None before the first decision)."""
    from screening.decisions.entries import load_entries

    return load_entries(review.decisions_path) if review.decisions_path.exists() else None


def _included(entries: pd.DataFrame | None, records: list[str]) -> int:
    """How many of ``records`` are settled includes at full text."""
    from screening.decisions.outcomes import record_outcomes

    outcomes = record_outcomes(entries, "full_text") if entries is not None else {}
    return sum(1 for r in records if (o := outcomes.get(r)) is not None and o.status == "final"
               and o.decision == "include")


def ruled_out_decisions(review: ReviewConfig, previous: Path | None, records: pd.DataFrame) -> str | None:
    """The apply_rules stage's guard (see :class:`screening.stage.Stage`): records people have
    screened that the new rules exclude and the previous rules did not. Such an edit changes
    the review's eligibility after screening began, so their decisions would drop out of every
    count without a word: the run is refused until the team confirms it (a protocol amendment
    is a real reason, and PRISMA then reports those exclusions as made after screening began).
    ``previous``: the stage's stored table (None on its first run: every such record counts)."""
    entries = _entries(review)
    if entries is None:
        return None
    now = _excluded_with_decisions(records, entries)
    if now and previous is not None and previous.exists():
        try:
            old = pd.read_parquet(previous, columns=["record_id", "rule_decision"])
            now -= set(old.loc[old["rule_decision"].astype(str).eq("exclude"), "record_id"].astype(str))
        except Exception:    # an unreadable earlier table: judge the new rules on their own
            pass
    if not now:
        return None
    affected = sorted(now)
    included = _included(entries, affected)
    among = (f", {included} of them included studies" if included else "")
    return (f"the edited rules would exclude {len(affected)} record{'s' if len(affected) != 1 else ''} people "
            f"have already screened ({name_records(affected)}){among}: their decisions would stop counting")


def decided_but_excluded(table: pd.DataFrame, config: RulesConfig, entries: pd.DataFrame | None) -> list[str]:
    """Records with a screening decision that ``config`` would exclude: a rule changed after
    screening takes them out of play, and their decisions out of the counts. ``entries``: the
    review's log (None: no log yet)."""
    if entries is None or not len(entries):
        return []
    return sorted(_excluded_with_decisions(apply_rules(table, config).records, entries))


def _excluded_with_decisions(applied: pd.DataFrame, entries: pd.DataFrame) -> set[str]:
    """Records the rules marked excluded that carry a standing screening decision, among the
    records the rules see (a duplicate's decisions count for nothing already)."""
    from screening.decisions.entries import records_with_decisions

    decided = records_with_decisions(entries)
    if not decided:
        return set()
    excluded = applied["rule_decision"].astype(str).eq("exclude").to_numpy() & kept_mask(applied)
    return set(applied.loc[excluded, "record_id"].astype(str)) & decided


def name_records(ids: list[str], shown: int = 5) -> str:
    """The records a message is about: all of a few, the first ``shown`` of many."""
    if len(ids) <= shown:
        return ", ".join(ids)
    return f"{', '.join(ids[:shown])} and {len(ids) - shown} more"
