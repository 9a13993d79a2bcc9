"""What the report warns of about the review's recorded state, beside its counts.

Each function reads one part of the state :func:`screening.prisma.state.load_state` loads and
returns the warnings it gives ([] when all is well): searches interrupted midway, possible
duplicate pairs still undecided (or decided since dedup ran), registers the TOML names that no
record comes from, decisions that now name another record than the one decided on, and records
a stop closed that were included since.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from screening.config import ReviewConfig
from screening.decisions.entries import decided_on
from screening.dedup.queue import MaybePair, Progress
from screening.identity import decided_on_other_records
from screening.normalize import clip
from screening.record_marks import marks


def unfinished_search_warnings(review: ReviewConfig) -> list[str]:
    """A warning naming the searches that started and are still to be resumed (interrupted)."""
    from screening.search.log import read_searches

    # 'running' only: an abandoned search (restarted with --restart) stays in the journal for
    # good, and advising to resume it would start a duplicate
    unfinished = [f"{e.database}: {e.query}" for e in read_searches(review) if e.status == "running"]
    if not unfinished:
        return []
    return [f"{len(unfinished)} search(es) not complete and not counted ({'; '.join(unfinished[:3])}): "
            "re-run the same `screening search` command to resume"]


def maybe_pair_state(dedup_report: dict[str, Any] | None, decisions: pd.DataFrame | None,
                     only: frozenset[str] | None = None) -> tuple[int, int]:
    """(undecided, decided since dedup ran) of the possible duplicate pairs dedup.json queued
    (``only``: the pairs with a record among these ids, e.g. an update's).

    Each entry asks about two groups of records. One is decided once a decision stands on any
    pair across them (a contested entry: once a newer decision stands), or once the other
    answers settle it, as ``dedup-review`` reads the queue (:class:`screening.dedup.queue.
    Progress`); such an entry is not applied to the table the counts come from until the next
    run, so it is told apart rather than called undecided."""
    if not dedup_report:
        return 0, 0
    listed = (dedup_report.get("details") or {}).get("maybe_pairs")
    if not isinstance(listed, list):         # a report without the list: its count only
        return int((dedup_report.get("counts") or {}).get("maybe_pairs", 0) or 0), 0
    entries = [MaybePair.from_json({"score": 0.0, "reason": "", **p}) for p in listed if isinstance(p, dict)]
    if only is not None:
        entries = [e for e in entries if set(e.members_a + e.members_b) & only]
    # as dedup-review sees the queue: an entry is answered by a decision on any pair across its
    # two groups (a contested one only by a newer decision), or settled by the other answers
    # (X = P and Y = P make X = Y); the next run applies both
    progress = Progress(entries, decisions)
    still_open = sum(progress.is_open(e) for e in entries)
    return still_open, len(entries) - still_open


def _pairs(n: int) -> str:
    return f"{n} possible duplicate pair{'s' if n != 1 else ''}"


def maybe_pair_warnings(undecided: int, unapplied: int) -> list[str]:
    out = []
    if undecided:
        out.append(f"{_pairs(undecided)} {'was' if undecided == 1 else 'were'} undecided when these counts were "
                   "made: the copies in each pair are counted as separate records; decide them with "
                   "`screening dedup-review REVIEW`, then `screening run`")
    if unapplied:
        out.append(f"{_pairs(unapplied)} decided in dedup-review since deduplication last ran "
                   f"{'is' if unapplied == 1 else 'are'} not applied to these counts: run `screening run`")
    return out


def unknown_register_warnings(review: ReviewConfig, records: pd.DataFrame) -> list[str]:
    """``[prisma] registers`` naming no source of the records: a misspelt register's records
    are counted as a database's without a word (acceptance testing)."""
    if not review.prisma.registers or "source_db" not in records.columns:
        return []
    present = set(marks(records["source_db"]))
    missing = [r for r in review.prisma.registers if r not in present]
    if not missing:
        return []
    import difflib

    close = {r: difflib.get_close_matches(r, sorted(present), n=1) for r in missing}
    named = ", ".join(f"{r!r}" + (f" (did you mean {close[r][0]!r}?)" if close[r] else "") for r in missing)
    return [f"[prisma] registers names {named}, which no record's source database is: the boxes count no "
            f"register records under that name (databases here: {', '.join(sorted(present)[:8])})"]


def decided_on_other_records_warnings(records: pd.DataFrame, entries: pd.DataFrame | None,
                              in_play: frozenset[str]) -> list[str]:
    """A warning when standing decisions name another record than they were made on (an
    export changed under them and a run let it through with --allow-changed-sources): each
    would be counted for a study nobody decided on."""
    if entries is None or not len(entries):
        return []
    seen = decided_on(entries)          # standing decisions only
    moved = decided_on_other_records(records, seen[seen["record_id"].isin(in_play)])
    if not moved:
        return []
    rid, then, now = moved[0]
    return [f"{len(moved)} record(s) with decisions now name another record than the one decided on (e.g. {rid}: "
            f"decided on {clip(then, 60)!r}, now {clip(now, 60)!r}; an export changed and a run let it through "
            "with --allow-changed-sources): restore the export, or undo those decisions and decide again"]


def missed_by_stop_warnings(stopping: Any, ta_finals: pd.DataFrame | None) -> list[str]:
    """A warning when records a logged stop closed were screened since and included: the
    stopping rule missed them, and the report's recall statement is the test's as recorded
    (acceptance testing: `decide` said so, the report did not)."""
    scope = getattr(stopping, "scope", None)
    if not getattr(stopping, "stopped", False) or not scope or ta_finals is None or not len(ta_finals):
        return []
    included = ta_finals.loc[ta_finals["decision"] == "include", "record_id"].astype(str)
    missed = [r for r in included if r in scope]
    if not missed:
        return []
    return [f"{len(missed)} record(s) the stop closed were screened since and included (e.g. {', '.join(missed[:3])}): "
            "the stopping rule missed relevant records, and the recall it stated holds for the test as "
            "recorded, not for what was found since; consider reopening screening (`screening stop REVIEW "
            "--resume -r NAME`) and going on"]
