"""The dedup-review queue as a person works through it: the maybe-pairs, the table they refer to,
and how each pair is shown.

The queue is read from what the last dedup run wrote (``dedup_queue.json`` beside a standalone
``screening dedup`` output, or a review's ``dedup.json`` and ``dedup.parquet``). Between runs a
decision is read here as that run will read it, against the groups the last run made before
people's 'duplicate' decisions joined any (``details.matcher_groups``): so a decision that
contradicts earlier ones is reported when it is stored, not one run later.

Separate from storing an answer (:mod:`screening.dedup.review`) because the queue is also what
a session shows and counts (pending entries, progress, the pair side by side), with no answer
given; and from the questions themselves (:mod:`screening.dedup.queue`), which the dedup run
writes and this module only reads.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from screening.config import load_review
from screening.dedup.conflicts import conflict_warnings, disputed, standing_conflicts
from screening.dedup.files import QUEUE_NAME
from screening.dedup.normalise import keys_for_table
from screening.dedup.pair_doubts import evident_differences
from screening.dedup.queue import SHOWN_FIELDS, MaybePair, Pair, Progress, shown_fields
from screening.dedup.store import load_decisions, pair_key, standing_rows
from screening.errors import DecisionError, StageError
from screening.output_owner import owner_of
from screening.records import as_text, read_table


@dataclass
class ReviewQueue:
    folder: Path
    table: pd.DataFrame
    pairs: list[MaybePair]
    table_path: Path | None = None
    # records of an earlier search named by a pair (not rows of ``table``): id -> shown fields
    earlier: dict[str, dict[str, Any]] = field(default_factory=dict)
    roster: Any = None     # the review's Roster when opened from a review (names checked)
    reviewer: str = ""     # who decides, as recorded
    # records with standing screening decisions (dedup keeps such a record as its group's);
    # only *whether*, never which way, and only to an adjudicator (see ReviewQueue.view)
    screened: frozenset[str] = frozenset()
    log: pd.DataFrame | None = None     # the decision log when the queue was opened
    # the matcher's groups inside the groups people's decisions joined (the run's
    # details.matcher_groups); None: the output predates them (dedup stage version < 8)
    matcher_groups: list[list[str]] | None = None
    answered_here: set[Pair] = field(default_factory=set)    # pairs decided in this session
    # the command that applies stored decisions: the review's run, or dedup again into this folder
    apply_command: str = ""

    @cached_property  # updated as decisions are stored (decide_pair), so a session skips what they settle
    def progress(self) -> Progress:
        return Progress(self.pairs, self.log)

    @property
    def pending(self) -> list[MaybePair]:
        """Entries nobody has answered and that the answers so far do not settle (queue.py)."""
        return [p for p in self.pairs if self.progress.is_open(p)]

    def tally(self, asked: Sequence[MaybePair]) -> tuple[int, int]:
        """(entries of ``asked`` this session's answers settle without being answered themselves,
        entries of the queue still open): decided but not applied, and waiting, until the next
        run. Counted at the end, so an entry skipped before a later answer settled it counts too."""
        settled = sum(1 for p in asked if pair_key(p.id_a, p.id_b) not in self.answered_here
                      and not self.progress.is_open(p))
        return settled, len(self.pending)

    @cached_property
    def _group_of(self) -> dict[str, list[str]]:
        """record id -> the ids of its dedup group (an earlier search's kept record included)."""
        if "dup_group" not in self.table.columns:
            return {}
        groups: dict[str, list[str]] = {}
        for rid, kept in zip(self.table["record_id"].astype(str), self.table["dup_group"].astype(str)):
            groups.setdefault(kept or rid, []).append(rid)
        for kept, ms in groups.items():
            if kept not in ms:
                ms.append(kept)
        return {rid: sorted(ms) for ms in groups.values() for rid in ms}

    @cached_property
    def decision_groups(self) -> dict[str, tuple[str, ...]]:
        """record id -> its group before people's 'duplicate' decisions joined any: what a decision
        is read against (conflicts.py). The output's groups where the matcher alone made them,
        else the matcher's part of them; an output without that part gives its groups as they are."""
        out = {rid: tuple(ms) for rid, ms in self._group_of.items()}
        out.update({rid: tuple(g) for g in self.matcher_groups or () for rid in g})
        return out

    def group_note(self, id_a: str, id_b: str) -> str:
        """What a decision on this pair stands for, kept in the log row's note: the two groups
        it joins or keeps apart, as the dedup output had them ('' for two lone records)."""
        a, b = (self._group_of.get(r, [r]) for r in (id_a, id_b))
        if len(a) == 1 and len(b) == 1:
            return ""
        return f"groups: {' '.join(a)} | {' '.join(b)}"

    @cached_property  # the review loop checks every decision against it
    def known_ids(self) -> frozenset[str]:
        """Record ids a decision can name: the table's rows, and the earlier-search records
        (``--previous``) they were linked or queued with, which are not rows of it."""
        ids = set(self.table["record_id"].astype(str))
        for col in ("duplicate_of", "dup_group"):
            if col in self.table.columns:
                ids.update(str(v) for v in self.table[col] if v)
        ids.update(rid for p in self.pairs for rid in (p.id_a, p.id_b))
        return frozenset(ids)

    def refuse_unknown(self, id_a: str, id_b: str, folder: Any, done: str = "nothing stored") -> None:
        """Refuse a pair naming an id that is no record of the dedup output (a typo), naming it."""
        unknown = [rid for rid in dict.fromkeys((id_a, id_b)) if rid not in self.known_ids]
        if unknown:
            raise DecisionError(
                f"record id{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} not in the "
                f"dedup output; {done}", record=f"{id_a}/{id_b}",
                hint=f"ids are the record_id column of {self.table_path or 'the dedup table'}; "
                     f"`screening dedup-review {folder}` shows the queued pairs with their ids")

    def standing(self) -> dict[Pair, dict[str, Any]]:
        """The standing decisions on records of the output, read from the store now (another
        person may be deciding too): those the next run applies."""
        known = self.known_ids
        return {key: row for key, row in standing_rows(load_decisions(self.folder)).items()
                if key[0] in known and key[1] in known}

    def contradictions(self, id_a: str, id_b: str) -> list[str]:
        """Warnings for the contradictions the standing decision on this pair is part of, in the
        words of the next run's report (conflicts.py): the 'distinct' decision will be applied, the
        'duplicate' decisions on the chain set aside and every one of them queued again."""
        key = pair_key(id_a, id_b)
        found = [c for c in standing_conflicts(self.standing(), self.decision_groups) if key in disputed([c])[1]]
        return [f"{w}. The answer is stored; this applies from the next dedup run (`screening run REVIEW` or "
                f"`screening dedup`)" for w in conflict_warnings(found)]

    @cached_property  # one index for the whole review loop, not one per pair shown
    def row_of(self) -> dict[str, int]:
        return {rid: i for i, rid in enumerate(self.table["record_id"].astype(str))}

    @cached_property
    def _asked(self) -> frozenset[Pair]:
        """The record pairs the queue's entries ask about (each pair across an entry's two groups)."""
        return frozenset(key for p in self.pairs for key in p.covered())

    def _record(self, rid: str) -> pd.DataFrame | None:
        """Record ``rid`` as a one-row table: its row of the output, or an earlier search's
        snapshot kept with the queue; None when neither holds its fields."""
        if rid in self.row_of:
            return self.table.iloc[[self.row_of[rid]]]
        if rid in self.earlier:
            return pd.DataFrame([self.earlier[rid]])
        return None

    def duplicate_doubts(self, id_a: str, id_b: str) -> list[str]:
        """What evidently tells the two records apart (:func:`evident_differences`), checked
        before a scripted 'duplicate' answer is stored; [] when nothing does. Never for a pair
        the queue asks about (the matcher sent it to a person: a hard case, not a typo), nor
        for two records already in one group (the answer joins nothing)."""
        key = pair_key(id_a, id_b)
        if key in self._asked or id_b in self._group_of.get(id_a, ()):
            return []
        rows = [self._record(rid) for rid in (id_a, id_b)]
        if rows[0] is None or rows[1] is None:
            return []
        ka, kb = (keys_for_table(r)[0] for r in rows)
        titles = tuple(as_text(r["title"].iat[0]) if "title" in r.columns else "" for r in rows)
        return evident_differences(ka, kb, titles)

    def view(self, pair: MaybePair) -> list[tuple[str, str, str, bool]]:
        """The pair side by side (an earlier search's record from its stored snapshot), with a
        row saying which one carries screening decisions (it stays the kept record)."""
        rows = pair_view(self.table, pair.id_a, pair.id_b, earlier=self.earlier, row_of=self.row_of)
        others = [", ".join(m[1:]) or "—" for m in (pair.members_a, pair.members_b)]
        if others != ["—", "—"]:          # the answer applies to these copies as well
            rows.append(("same group", others[0], others[1], False))
        if self.screened & {pair.id_a, pair.id_b} and self._unblinded:
            said = ["has screening decisions" if r in self.screened else "—" for r in (pair.id_a, pair.id_b)]
            rows.append(("screening", said[0], said[1], said[0] != said[1]))
        return rows

    @property
    def _unblinded(self) -> bool:
        """Whether the person deciding may know a record was screened by someone (not how): an
        adjudicator, or anyone when the review declares no reviewers; a declared screener would
        learn which records a colleague has reached."""
        if self.roster is None or not self.roster.declared:
            return True
        return self.roster.match(self.reviewer, self.roster.adjudicators) is not None


def resolve_target(target: str | Path) -> tuple[Path, Any, str]:
    """(output folder, the review's Roster or None for a plain folder, the command that applies
    stored decisions), reading the TOML once."""
    path = Path(target)
    if path.is_dir():
        owner = owner_of(path)        # a review's output folder given as the folder
        return path, None, (f"screening run {shlex.quote(str(owner))}" if owner is not None else
                            f"screening dedup INPUT... -o {shlex.quote(str(path / 'OUTPUT.csv'))}")
    from screening.decisions.roster import Roster

    review = load_review(target)
    return review.output_dir, Roster.of(review), f"screening run {review.command_ref()}"


def _screened_ids(folder: Path) -> frozenset[str]:
    """Records with a screening decision in the review's log beside the dedup output, if any."""
    log = folder / "decisions.sqlite"
    if not log.exists():
        return frozenset()
    from screening.decisions.entries import load_entries, records_with_decisions

    # a record with a decision is preferred as its group's kept record (which one, when both
    # have, dedup decides)
    return frozenset(records_with_decisions(load_entries(log)))


def open_queue(target: str | Path, reviewer: str = "") -> ReviewQueue:
    """The maybe-pairs waiting for a person, with the table they refer to.

    ``reviewer``: who will decide; checked against the review's roster now (before the first
    pair is shown), available as ``queue.reviewer`` in its recorded spelling."""
    folder, roster, apply_command = resolve_target(target)
    queue_file, report_file = folder / QUEUE_NAME, folder / "dedup.json"
    if queue_file.exists():
        data = json.loads(queue_file.read_text(encoding="utf-8"))
        table_path = Path(data["table"])
        if roster is None and owner_of(folder) is None:   # `screening dedup -o` wrote it: again, same file
            apply_command = f"screening dedup INPUT... -o {shlex.quote(str(table_path))}"
    elif report_file.exists() and (folder / "dedup.parquet").exists():
        data = json.loads(report_file.read_text(encoding="utf-8")).get("details", {})
        table_path = folder / "dedup.parquet"
    else:
        raise StageError("no dedup results here (the review has not been run that far)", path=folder,
                         hint="run `screening dedup IN -o OUT` (or `screening run REVIEW`) first")
    table = read_table(table_path)
    pairs = [MaybePair.from_json(p) for p in data.get("maybe_pairs", [])]
    log = load_decisions(folder)
    return ReviewQueue(folder=folder, table=table, pairs=pairs, log=log,
                       table_path=table_path, matcher_groups=data.get("matcher_groups"),
                       earlier=data.get("previous_pair_records", {}), roster=roster, screened=_screened_ids(folder),
                       reviewer=roster.outside_name(reviewer) if roster is not None else reviewer.strip(),
                       apply_command=apply_command)


def pair_view(table: pd.DataFrame, id_a: str, id_b: str, *, row_of: dict[str, int],
              earlier: dict[str, dict[str, Any]] | None = None) -> list[tuple[str, str, str, bool]]:
    """Rows (field, value A, value B, differs) for showing a pair side by side.

    ``row_of``: record id -> row position in ``table`` (the queue keeps one). ``earlier``:
    snapshots of an earlier search's records (``--previous``), which a pair may name although
    they are not rows of ``table``; their database is marked '(earlier search)'.
    """
    index = row_of
    sides = []
    for rid in (id_a, id_b):
        if rid in index:
            sides.append(shown_fields(table, index[rid]))
        elif earlier and rid in earlier:
            snap = dict(earlier[rid])
            snap["source_db"] = f"{snap.get('source_db') or 'Unknown source'} (earlier search)"
            sides.append(snap)
        else:
            raise DecisionError("record not in the dedup table", record=rid,
                                hint="re-run dedup so the queue matches the table (`screening run REVIEW`, or "
                                     "`screening dedup IN -o OUT` with the same --previous); queues written "
                                     "before this version do not keep an earlier search's records")
    a, b = sides
    rows = []
    for name in SHOWN_FIELDS:
        if name not in a and name not in b:
            continue
        va, vb = _show(a.get(name, "")), _show(b.get(name, ""))
        rows.append((name, va, vb, name != "record_id" and va.strip().lower() != vb.strip().lower()))
    return rows


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(value)
    text = as_text(value)
    return text if len(text) <= 400 else text[:400] + "…"
