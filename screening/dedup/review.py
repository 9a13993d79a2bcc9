"""``screening dedup-review``: a person's answer on a pair of records, checked and stored.

The queue is read from what the last dedup run wrote (:mod:`screening.dedup.review_queue`);
each answer is appended to the decision store (:mod:`screening.dedup.store`) and read by the
next run. :func:`decide_pair` is the one way a single answer is stored, from the interactive
session and from a scripted ``--pair A B``: it checks the ids against the dedup output, refuses a
'duplicate' answer on two records that evidently differ unless forced
(:mod:`screening.dedup.pair_doubts`), finds which decision ``--reopen`` withdraws
(:mod:`screening.dedup.reopen`) and warns of the contradictions the answer is part of. A file
of answers (``--from``) is checked the same way, row by row, and stored in one transaction by
:mod:`screening.dedup.bulk`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from screening.dedup.reopen import reopen_pair
from screening.dedup.review_queue import ReviewQueue, open_queue, resolve_target
from screening.dedup.store import pair_key, record_decision
from screening.errors import DecisionError


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
    folder, roster, _ = resolve_target(target)
    session = queue                     # a dedup-review session's queue, kept up to date below
    roster = roster or (queue.roster if queue is not None else None)
    if roster is not None:              # a review: names as its [screening] roster spells them
        reviewer = roster.outside_name(reviewer)
    a, b, note = str(id_a), str(id_b), ""
    if decision == "reopen":
        a, b, note = reopen_pair(folder, a, b, queue)
    else:
        queue = queue or open_queue(folder)
        queue.refuse_unknown(a, b, folder)
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
