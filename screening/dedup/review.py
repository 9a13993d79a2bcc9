"""``screening dedup-review``: the queue of maybe-pairs a person decides, and the pair decisions.

The queue is read from what the last dedup run wrote (``dedup_queue.json`` beside a standalone
``screening dedup`` output, or a review's ``dedup.json`` and ``dedup.parquet``); each answer is
appended to the decision store (:mod:`screening.dedup.store`) and read by the next run.

Between runs a decision is read here as that run will read it, against the groups the last run
made before people's 'duplicate' decisions joined any (``details.matcher_groups``): so a
decision that contradicts earlier ones is reported when it is stored, not one run later, and
``--reopen`` on two records finds the decision that joins or separates their groups, which is
usually on other records of them (the queue asks per pair of groups and records the answer on
the pair it showed).

A scripted 'duplicate' answer (``--pair A B --duplicate``) on two records the matcher neither
linked nor queued is checked first: a typo in an id used to merge two unrelated studies, and a
false merge hides a study from screening. When the matcher's own comparisons show the records
evidently differ (:func:`evident_differences`) nothing is stored unless the person insists
(``force``, ``--force``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd
from rapidfuzz import fuzz

from screening.config import load_review
from screening.dedup.compare import DISTINCT, compare, dois_conflict, same_printed_item
from screening.dedup.conflicts import chain_edges, conflict_warnings, disputed, standing_conflicts
from screening.dedup.files import QUEUE_NAME
from screening.dedup.normalise import Keys, keys_for_table
from screening.dedup.queue import SHOWN_FIELDS, MaybePair, Progress, shown_fields
from screening.dedup.store import load_decisions, pair_key, record_decision, standing_rows
from screening.disjoint_sets import DisjointSets
from screening.errors import DecisionError, StageError
from screening.records import as_text, read_table

Pair = tuple[str, str]

# Title similarity, on the matcher's scale (rapidfuzz ratio of the normalised titles, 0..1), below
# which two titles are plainly not one title. The matcher calls titles below 0.85 different and
# links two wordings of one printed article down to 0.75; two unrelated titles of the labelled
# sets score 0.39 (median) and about 95% of them below 0.5, while the lowest true duplicate pair
# that does not locate one printed item scores 0.58 (MIS Quarterly's 'Editor's Comments' with
# and without its subtitle). Translated titles of one article score lower (0.46) but share the
# volume, first page and year, which excuses the titles (same_printed_item).
UNLIKE_TITLES = 0.5


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


def _resolve(target: str | Path) -> tuple[Path, Any]:
    """(output folder, the review's Roster or None for a plain folder), reading the TOML once."""
    path = Path(target)
    if path.is_dir():
        return path, None
    from screening.decisions.roster import Roster

    review = load_review(target)
    return review.output_dir, Roster.of(review)


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
    folder, roster = _resolve(target)
    queue_file, report_file = folder / QUEUE_NAME, folder / "dedup.json"
    if queue_file.exists():
        data = json.loads(queue_file.read_text(encoding="utf-8"))
        table_path = Path(data["table"])
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
                       reviewer=roster.outside_name(reviewer) if roster is not None else reviewer.strip())


def evident_differences(a: Keys, b: Keys, titles: tuple[str, str] = ("", "")) -> list[str]:
    """What plainly tells two records apart, in the matcher's own comparisons (compare.py):
    titles less than :data:`UNLIKE_TITLES` alike, DOIs that conflict, years two or more apart.

    Only when the matcher calls the pair distinct: a pair it links or asks a person about is a
    hard case, not evidently two works (the same title under a data set's DOI and its article's,
    one registrant's; the year of a DBLP copy two years off its Crossref copy, same volume and
    issue). ``titles``: as the records give them, for the message (default: the normalised)."""
    if compare(a, b).outcome != DISTINCT:
        return []
    out = []
    # one printed item (volume, first page, year) under two titles is MEDLINE's bracketed
    # translation, or a title a database rewrote: not two works
    if a.title and b.title and not same_printed_item(a, b):
        similarity = fuzz.ratio(a.title, b.title) / 100.0
        if similarity < UNLIKE_TITLES:
            shown = (_quote(raw or norm) for raw, norm in zip(titles, (a.title, b.title)))
            out.append(f"titles differ (similarity {similarity:.2f}): {' vs '.join(shown)}")
    # as in the matcher, only two DOIs of one registrant conflict: two registrants' DOIs are
    # often one article's (JSTOR's 10.2307/... and the publisher's)
    if dois_conflict(a, b):
        out.append(f"DOIs differ: {a.doi} vs {b.doi}")
    # one year apart is an online-first copy and its print issue; two or more apart the matcher
    # calls two works (a conference abstract and its article, the same title in a later year)
    if a.year and b.year and abs(a.year - b.year) >= 2:
        out.append(f"years differ: {a.year} vs {b.year}")
    return out


def _quote(title: str, limit: int = 100) -> str:
    title = " ".join(title.split())
    return f"'{title if len(title) <= limit else title[:limit] + '…'}'"


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


@dataclass(frozen=True)
class PairDecision:
    """What :func:`decide_pair` stored: the log row, and the pair it is on -- for a reopen, the
    decision withdrawn may be on other records of the two groups than the ones named."""

    folder: Path
    id_a: str
    id_b: str
    decision: str
    seq: int
    warnings: tuple[str, ...] = ()    # the contradictions the decision is part of (the answer is stored)
    despite: tuple[str, ...] = ()     # what evidently differs, for a 'duplicate' answer stored with ``force``


def decide_pair(target: str | Path, id_a: str, id_b: str, decision: str, reviewer: str, *,
                queue: ReviewQueue | None = None, force: bool = False) -> PairDecision:
    """Store one decision for a pair of records in the target's decision store.

    A duplicate/distinct decision must name records of the dedup output (``queue``, else the
    target's, is read for it): the next run matches decisions to table rows by id, so one on
    a mistyped or stale id would be stored, reported as stored, and then silently ignored. It
    is stored even when it contradicts standing decisions (the latest answer is the person's
    word; the next run applies 'distinct wins', conflicts.py), and the result warns of that now.

    The decision is one row on this pair; its note names the two groups it stands for. It is
    not copied to the other pairs of the groups: the next run applies it to the groups whole.
    ``reopen`` withdraws the standing decision on the pair, else the one decision on other
    records of their groups that joins or separates them (:func:`reopen_pair`).

    A 'duplicate' answer on two records that evidently differ (:meth:`ReviewQueue.duplicate_doubts`:
    a mistyped id merges two studies on the next run) is refused and nothing stored, unless
    ``force`` (the person knows them to be one study: a conference abstract and its later
    article under another title); then what differs is kept in the log row's note. 'distinct'
    and 'reopen' are never refused: neither can hide a study."""
    folder, roster = _resolve(target)
    session = queue                     # a dedup-review session's queue, kept up to date below
    roster = roster or (queue.roster if queue is not None else None)
    if roster is not None:              # a review: names as its [screening] roster spells them
        reviewer = roster.outside_name(reviewer)
    a, b, note = str(id_a), str(id_b), ""
    if decision == "reopen":
        a, b, note = reopen_pair(folder, a, b, queue)
    else:
        queue = queue or open_queue(folder)
        known = queue.known_ids
        unknown = [rid for rid in dict.fromkeys((a, b)) if rid not in known]
        if unknown:
            raise DecisionError(
                f"record id{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} not in the "
                "dedup output; nothing stored", record=f"{id_a}/{id_b}",
                hint=f"ids are the record_id column of {queue.table_path or 'the dedup table'}; "
                     f"`screening dedup-review {folder}` shows the queued pairs with their ids")
        note = queue.group_note(a, b)
    despite = tuple(queue.duplicate_doubts(a, b)) if decision == "duplicate" and queue is not None else ()
    if despite and not force:
        raise DecisionError(f"the two records evidently differ: {'; '.join(despite)}; nothing stored",
                            record=f"{a}/{b}",
                            hint="check the ids (a 'duplicate' answer joins the two groups into one study on "
                                 "the next run); if they are one study all the same (a conference abstract and "
                                 "its later article, say), record it with --force")
    if despite:
        note = "; ".join(filter(None, (note, "recorded despite: " + "; ".join(despite))))
    seq = record_decision(folder, a, b, decision, reviewer, note=note)
    if session is not None:             # (a queue opened here only to check the ids is dropped)
        session.progress.note(a, b, decision, seq=seq)
        session.answered_here.add(pair_key(a, b))
    warnings = tuple(queue.contradictions(a, b)) if queue is not None and decision != "reopen" else ()
    return PairDecision(folder=folder, id_a=a, id_b=b, decision=decision, seq=seq, warnings=warnings,
                        despite=despite)


def reopen_pair(folder: Path, id_a: str, id_b: str, queue: ReviewQueue | None = None) -> tuple[str, str, str]:
    """(id_a, id_b, note) of the standing decision ``--reopen ID_A ID_B`` withdraws.

    A decision is keyed by the exact pair it was given on; the queue asks per pair of groups
    and records the answer on the pair it showed (the groups' kept records), and a scripted one
    may name any members. So when the named pair has no standing decision of its own, the one
    that stands between their groups is meant: a 'distinct' decision between the two groups (as
    people's 'duplicate' decisions join them), or the 'duplicate' decision that joined them. Only
    one: when several do (a chain of answers, or answers on several member pairs), which one was
    wrong is the person's call, so they are named and nothing is stored."""
    key = pair_key(id_a, id_b)
    standing = standing_rows(load_decisions(folder))
    if key in standing:
        return key[0], key[1], ""
    try:
        queue = queue or open_queue(folder)
    except StageError:
        return key[0], key[1], ""        # nothing to read groups from: the store says there is nothing
    groups = queue.decision_groups
    if _group_root(groups, id_a) == _group_root(groups, id_b):
        raise _linked_without_decision(id_a, id_b, queue)
    between = decisions_between(id_a, id_b, standing, groups)
    if not between:
        raise DecisionError("this pair has no standing decision to reopen, nor has any pair of their groups",
                            record=f"{key[0]}/{key[1]}",
                            hint="`screening dedup-review` decides pairs; reopen withdraws one")
    if len(between) > 1:
        said = ", ".join(f"{a} {'=' if standing[(a, b)]['decision'] == 'duplicate' else '≠'} {b}"
                         + (f" ({standing[(a, b)]['reviewer']})" if standing[(a, b)]["reviewer"] else "")
                         for a, b in between)
        raise DecisionError(f"{len(between)} standing decisions stand between the groups of {id_a} and {id_b}: "
                            f"{said}; nothing reopened", record=f"{key[0]}/{key[1]}",
                            hint=f"withdraw the one(s) you mean by their own pair, e.g. `screening dedup-review "
                                 f"TARGET --pair {between[0][0]} {between[0][1]} --reopen`")
    [(a, b)] = between
    return a, b, f"reopened for {key[0]} / {key[1]} (their groups)"


def decisions_between(id_a: str, id_b: str, standing: Mapping[Pair, Mapping[str, Any]],
                      groups: Mapping[str, Sequence[str]]) -> list[Pair]:
    """The standing decisions that say whether the groups of ``id_a`` and ``id_b`` are one
    publication, sorted. ``groups``: record id -> its group before people's 'duplicate' decisions
    (a record not named is alone). With those decisions applied, the two are either in one group
    -- then the 'duplicate' decisions on the chains between their groups -- or in two -- then the
    'distinct' decisions between those two."""
    def root(rid: str) -> str:
        return _group_root(groups, rid)

    sets: DisjointSets[str] = DisjointSets()
    find = sets.find
    joins: dict[tuple[str, str], list[Pair]] = defaultdict(list)   # group pair -> its 'duplicate' decisions
    for (x, y), row in standing.items():
        rx, ry = root(x), root(y)
        if row["decision"] == "duplicate" and rx != ry:
            joins[(min(rx, ry), max(rx, ry))].append((x, y))
            sets.union(rx, ry)
    ga, gb = root(id_a), root(id_b)
    if find(ga) != find(gb):
        sides = {find(ga), find(gb)}
        return sorted(key for key, row in standing.items()
                      if row["decision"] == "distinct" and {find(root(key[0])), find(root(key[1]))} == sides)
    return sorted(d for edge in chain_edges(set(joins), {ga, gb}) for d in joins[edge])


def _group_root(groups: Mapping[str, Sequence[str]], rid: str) -> str:
    """The name of ``rid``'s group before people's 'duplicate' decisions: its smallest id."""
    return min(groups.get(rid, ()) or (rid,))


def _linked_without_decision(id_a: str, id_b: str, queue: ReviewQueue) -> DecisionError:
    """Two records one group held before any 'duplicate' decision: no decision joined them --
    unless the output predates ``matcher_groups`` and people's decisions joined its group."""
    table = queue.table
    if queue.matcher_groups is None and "dup_rule" in table.columns:
        group = table["record_id"].astype(str).isin(queue.decision_groups.get(id_a, (id_a,)))
        if table.loc[group, "dup_rule"].astype(str).eq("manual").any():
            return DecisionError("the dedup output predates this version, so which decision joined these "
                                 "records' group cannot be told; nothing reopened", record=f"{id_a}/{id_b}",
                                 hint="run dedup again (`screening run REVIEW` or `screening dedup`), then reopen")
    return DecisionError("no dedup-review decision joined these records: the matcher linked them; nothing "
                         "reopened", record=f"{id_a}/{id_b}",
                         hint=f"if they are different publications, say so: `--pair {id_a} {id_b} --distinct`")
