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

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from screening.config import config_parameters
from screening.dedup import conflicts
from screening.dedup.api import COCHRANE_POLICIES, deduplicate
from screening.dedup.store import load_decisions
from screening.errors import ConfigError
from screening.records import read_table
from screening.record_marks import from_saved_search
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
        warnings=_maybe_pair_warnings(outcome.counts["maybe_pairs"], outcome.counts["decisions_set_aside"])
        + _decided_duplicate_warnings(outcome.details["kept_first_but_duplicates"])
        + decision_warnings(outcome.details)
        + repeated_export_warnings(outcome.table),
        counts={k: outcome.counts[k] for k in ("duplicates", "groups", "maybe_pairs", "unique")},
        reasons=outcome.details["duplicates_per_rule"],
        parameters=config_parameters(config),
        details=outcome.details | {"candidate_pairs": outcome.counts["candidate_pairs"],
                                   "previous_records": outcome.counts["previous_records"],
                                   "kept_for_decisions": outcome.counts["kept_for_decisions"],
                                   # the decided records this output's groups were chosen with
                                   # (the next run's cache key is read against them)
                                   "decided_in_groups": [list(d) for d in _decided_in(
                                       inputs.unhashed.get("decided", ()), outcome.table)]},
    )
    return StageResult(records=outcome.table, report=report)


REPEAT_SHARE = 0.9      # this share of a file's records duplicating one other file's: a repeat
REPEAT_MIN = 20         # records a file needs before its overlap says anything


def repeated_export_warnings(table: pd.DataFrame) -> list[str]:
    """Files whose records are nearly all duplicates of one other file of the same database: the same search
    exported twice, or an earlier export re-saved with edits (UAT: an edited copy of the PubMed
    export was added as a new source, and only the duplicate count grew). Nothing is lost --
    the copies are marked duplicates -- but the identified count and PRISMA's per-source table
    then hold a search that was not run twice."""
    if not {"source_file", "duplicate_of", "source_db"} <= set(table.columns):
        return []
    files = table["source_file"].astype(str)
    dup_of = table["duplicate_of"].astype(str)
    # by duplicate group, not by kept record: in a multi-database review most of a re-exported
    # Scopus file's copies are kept as the PubMed record, so "kept in the other Scopus file" saw
    # too few of them (acceptance testing, session 16: 255 copies, no warning)
    group = dup_of.where(dup_of != "", table["record_id"].astype(str))
    sizes = files.value_counts()
    rec = pd.DataFrame({"group": group.to_numpy(), "file": files.to_numpy(),
                        "db": table["source_db"].astype(str).to_numpy()})
    rec = rec[(rec["db"] != "") & (rec.groupby("group")["file"].transform("nunique") > 1)]
    # each record against every other file of the same database in its group, counted per file
    # pair (one database inside another is normal, MEDLINE within Embase or Dimensions: only the
    # same database's records repeated say the same search was exported twice)
    other = rec.drop_duplicates(["group", "file"]).rename(columns={"file": "other"})
    both = rec.merge(other, on=["group", "db"])
    shared = both[both["file"] != both["other"]].groupby(["file", "other"]).size()
    pairs: dict[frozenset[str], list[tuple[str, str, int]]] = {}
    for (name, other), n in shared.items():
        if not name or sizes[name] < REPEAT_MIN or from_saved_search(name):
            continue                  # saved API search pages are the search log's, not [[sources]]
        if n >= REPEAT_SHARE * sizes[name]:
            pairs.setdefault(frozenset((name, other)), []).append((name, other, n))
    marked = (dup_of != "").groupby(files).sum()
    out = []
    for key in sorted(pairs, key=sorted):
        # one warning per pair, naming the file whose copies were marked duplicates (the repeat)
        name, other, n = max(pairs[key], key=lambda c: (int(marked.get(c[0], 0)), c[0]))
        out.append(f"{name} repeats {other}: {n} of its {sizes[name]} records are in that file too (the same "
                   f"search exported twice, or an edited copy?); if so, keep one of them in [[sources]] (an "
                   f"update search that found little new is fine as it is)")
    return out


def _maybe_pair_warnings(n: int, set_aside: int = 0) -> list[str]:
    """Possible duplicates nobody has decided yet (pairs with a standing dedup-review decision
    are not queued, except those of contradicting decisions): until decided, both copies count
    as records, screened twice."""
    if not n:
        return []
    again = f" (some again: {set_aside} contradicting decision{'s' if set_aside != 1 else ''} not applied)" \
        if set_aside else ""
    return [f"{n} possible duplicate pair{'s' if n != 1 else ''} {'await' if n != 1 else 'awaits'} a decision{again}: "
            f"run `screening dedup-review REVIEW`"]


def decision_warnings(details: dict[str, Any]) -> list[str]:
    """dedup-review decisions that were not applied as given, from a dedup outcome's details:
    decisions contradicting each other, then matcher links a distinct decision blocked. Shared
    with `screening dedup` (no review), which used to print neither."""
    return (conflicts.conflict_warnings(details.get("decision_conflicts", []))
            + _refused_warnings(details.get("links_refused_by_decisions", [])))


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
            f"no longer count: {shown}{more}. Each group keeps one record (the one decided furthest: full "
            f"text before title/abstract; among equals, the one the matcher would keep anyway); if they are not the same study, mark them distinct with "
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


def rekey(inputs: StageInputs, result: StageResult) -> StageInputs:
    """The inputs as the next run's :func:`load_inputs` will key them once ``result`` is the
    stored output: the runner stores this key, so the next run compares like with like (both
    read against this output and the decisions it was made with)."""
    decided = tuple(inputs.unhashed.get("decided", ()))
    before = tuple(tuple(d) for d in result.report.details.get("decided_in_groups", ()))
    key = _decision_key(decided, result.records[["record_id", "dup_group"]], before)
    return dataclasses.replace(inputs, extra={**inputs.extra, "decided_in_groups": key})


def decided_records(review: Any) -> tuple[tuple[str, int], ...]:
    """(record_id, priority) of the records people have decided on or are assigned to: 0 with
    a full-text decision, 1 with a title/abstract one, 2 planned for screening but undecided
    (a dual-screening sample should not lose its records to a copy outside it) or closed by a
    standing stop (the stopping rule's exclusion: a later search's copy of the study must not
    reopen it as a record to screen, nor take it from the previous version's count). Sorted."""
    path = getattr(review, "decisions_path", None)
    if path is None or not Path(path).exists():
        return ()
    from screening.decisions.entries import assignments, load_entries, standing_decisions
    from screening.decisions.stops import review_stop

    entries = load_entries(path)
    tiers = {rid: ASSIGNED for stage in ("title_abstract", "full_text") for rid in assignments(entries, stage)}
    stop = review_stop(path)
    if stop is not None:
        tiers.update(dict.fromkeys(stop.records, ASSIGNED))
    tiers.update({rid: TITLE_ABSTRACT for rid in standing_decisions(entries, "title_abstract")})
    tiers.update({rid: FULL_TEXT for rid in standing_decisions(entries, "full_text")})
    return tuple(sorted(tiers.items()))


def _groups(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Multi-record groups of a dedup output: kept record id -> the group's rows. The kept record
    may be an earlier search's record that is not a row (``[dedup] previous``): it counts as a
    member all the same."""
    ids = frame["record_id"].astype(str)
    rows = set(ids)
    members: dict[str, list[str]] = {}
    for rid, kept in zip(ids, frame["dup_group"].astype(str)):
        members.setdefault(kept, []).append(rid)
    return {k: sorted(ms) for k, ms in members.items() if len(ms) + (k not in rows) > 1}


def _decided_in(decided: Any, frame: pd.DataFrame) -> tuple[tuple[str, int], ...]:
    """The part of ``decided`` on rows of multi-record groups of ``frame``. Sorted."""
    grouped = {m for ms in _groups(frame).values() for m in ms}
    return tuple(sorted((str(r), int(p)) for r, p in decided if str(r) in grouped))


def _decision_key(decided: Any, frame: pd.DataFrame,
                  before: tuple[tuple[str, int], ...]) -> tuple[tuple[Any, ...], ...]:
    """What of ``decided`` can make dedup's output differ from ``frame``, the stored output
    made with the decided records ``before`` (on rows of its groups): the cache key's part.

    The groups do not depend on decisions (the rest of the key fixes them), only which record
    of a group is kept (:func:`screening.dedup.api.deduplicate`: the best ``keep_first``
    priority, ties and undecided groups by the matcher's usual order) and, in the report, the
    decided records that are duplicates (with their priority). So a group adds nothing when its
    stored kept record ``k`` provably stays kept and no other member is decided: either no
    member is decided now or when ``frame`` was made (``k`` is then the usual choice), or ``k``
    is among the best-priority decided members and every other one of them is a record ``k``
    is known to come before in the usual order (all members if no decision chose ``k``, else
    the members tied with it then). A decision on a kept record therefore changes nothing; one
    on another member does (``("d", id, priority)``: it is named in the report), and a group
    whose kept record might change is keyed by all its decided members (``("g", kept, ...)``).
    Decided records that are not rows (an earlier search's) are keyed as they are ("x")."""
    now = {str(r): int(p) for r, p in decided}
    then = {str(r): int(p) for r, p in before}
    groups = _groups(frame)
    rows = set(frame["record_id"].astype(str))
    key: list[tuple[Any, ...]] = [("x", r, p) for r, p in sorted(now.items()) if r not in rows]
    for kept, members in sorted(groups.items()):
        dg = {m: now[m] for m in members if m in now}
        if kept not in rows:
            # an earlier search's record outside the table stays kept whatever the rows' decisions
            # (decisions on it or on other outside records are keyed above)
            provable = True
        else:
            dg_then = {m: then[m] for m in members if m in then}
            if dg_then:
                best_then = min(dg_then.values())
                known_after = {m for m, p in dg_then.items() if p == best_then}
            else:
                known_after = set(members)
            if not dg:
                provable = not dg_then
            else:
                best = min(dg.values())
                tied = {m for m, p in dg.items() if p == best}
                provable = kept in tied and tied - {kept} <= known_after
        if provable:
            key.extend(("d", m, p) for m, p in sorted(dg.items()) if m != kept)
        else:
            key.append(("g", kept, tuple(sorted(dg.items()))))
    return tuple(sorted(key, key=lambda e: (e[0], e[1])))


def _in_stored_groups(decided: tuple[tuple[str, int], ...], output_dir: Path) -> tuple[tuple[Any, ...], ...]:
    """The part of ``decided`` that can change this stage's output, for its cache key
    (:func:`_decision_key`, read against the stored ``dedup.parquet`` and the decided records
    its ``dedup.json`` says it was made with), so a decision that cannot change which record of
    a group is kept (most of them: on a record with no duplicate, or on the kept record itself)
    leaves dedup and what follows it unchanged instead of re-running them after every key press.
    Without a stored output (or an unreadable one) every decided record is keyed: the runner
    runs the stage then anyway, and stores the key :func:`rekey` gives for its output."""
    raw = (("raw", tuple(decided)),)
    stored = Path(output_dir) / "dedup.parquet"
    report = Path(output_dir) / "dedup.json"
    if not stored.exists() or not report.exists():
        return raw
    try:
        details = json.loads(report.read_text(encoding="utf-8")).get("details", {})
        groups = pd.read_parquet(stored, columns=["record_id", "dup_group"])
    except Exception:            # unreadable: the runner re-runs the stage anyway
        return raw
    if "decided_in_groups" not in details:          # written by an earlier version
        return raw
    before = tuple((str(r), int(p)) for r, p in details["decided_in_groups"])
    return _decision_key(decided, groups, before)


STAGE = register_stage(Stage(name="dedup", order=20, run=run, config_type=DedupConfig,
                             # 3: the report warns of undecided maybe-pairs (a stored report
                             # without that warning is not reused); 4: it lists decided_in_groups; 5: merged_from;
                             # 6: registry ids, a shared DOI's printed pages, title numbers vs one DOI;
                             # 7: one maybe-pair per pair of groups, contradicting decisions set aside;
                             # 8: details.matcher_groups (what dedup-review reads a decision against);
                             # 9: the latest Cochrane version kept, a Cochrane protocol apart from its review;
                             # 10: one whole abstract links a protocol's two titles, report numbers, preprints;
                             # 11: two articles of one issue on other pages apart, and no group joins them
                             # 12: supplements' issue keys; 13: a database record kept before
                             # another method's copy (other_method)
                             # 14: titles naming different Greek letters, or a letter each, are maybe at most; the same
                             # long title and year without authors is a maybe-pair
                             # 15: the letters MEDLINE transliterates (ø, ß, ł, ı, æ ...) folded in names and titles
                             toml_key="dedup", version="16", load_inputs=load_inputs, rekey=rekey,
                             # held whole in dedup.json; each run's history line keeps their digests
                             history_digest=("maybe_pairs", "decided_in_groups")))
