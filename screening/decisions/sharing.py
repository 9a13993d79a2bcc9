"""Sharing single screening among the reviewers who are screening *now*.

Why share at all: when several reviewers single-screen one review at the same time, every
session would put the same top-ranked record first, and two decisions on a single-screened
record make a conflict nobody planned. So concurrent sessions split the queue: each reviewer
starts on their own share of the records (a stable hash of the record id), in ranked order,
then the others'.

Why only among reviewers screening now: a share is a cost. A reviewer who screens alone and
starts on "their half" reads the ranking's top records of that half, then the other half's
from its top again: on a real review (Cohen 2006, ADHD) a lone reviewer found 7 of 20 relevant
records by the 25th and then none until the 77th, against 17 of 20 by the 119th with the
whole ranking. A split buys nothing when nobody else is taking records from the top.

Who counts as screening now: the reviewer of this session, always, and each other declared
reviewer with a decision made in a `screen` session at this stage within the last
:data:`ACTIVE_WINDOW`. A decision typed with `decide` or imported from a file takes no record
from the top of a queue, and a random-sample session serves records in its own random order,
so neither counts. Recomputed at every refresh of the queue: a colleague who starts screening
splits it from their first decision on, one who stops leaves it whole again after the window.
Two sessions opened before either has decided both serve the top record; a decision on a
record a colleague settled while it was on screen is then not recorded (:func:`taken_meanwhile`).
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Sequence, TypeVar

import pandas as pd

from screening.decisions.origins import first_decisions, is_sampled
from screening.decisions.reasons import same_reason
from screening.decisions.store import DECISION_ACTIONS, LogMoved

T = TypeVar("T")

# A title/abstract decision takes from a few seconds to a couple of minutes (a long abstract, a
# note); a colleague reading a hard record, or pausing briefly, is still screening. A window a
# few times longer than that keeps their share apart; one much longer would keep a lone
# reviewer's queue split long after the colleague has left (the cost the module docstring
# describes), for at most this long.
ACTIVE_WINDOW = timedelta(minutes=15)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def event_time(text: Any) -> datetime | None:
    """An event's ``created_at`` (ISO 8601, UTC) as a datetime; None if it does not parse (a
    time without an offset is read as UTC, as the log writes them)."""
    try:
        t = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


class ActiveScreeners:
    """The declared reviewers screening a stage now, from the log's latest session decisions.

    ``observe`` reads the events appended since the last call (O(new events)); ``share`` says
    which share of the queue a reviewer takes (now: :func:`utc_now`, which tests replace)."""

    def __init__(self, stage: str, screeners: Iterable[str]) -> None:
        self.stage = stage
        self.screeners = sorted(set(screeners))
        self.last: dict[str, datetime] = {}       # reviewer -> their latest session decision here

    def observe(self, events: pd.DataFrame) -> None:
        from screening.decisions.entries import event_payload

        if not len(events) or len(self.screeners) < 2:
            return
        sub = events[(events["stage"] == self.stage) & (events["role"] == "screener")
                     & events["action"].isin(list(DECISION_ACTIONS))
                     & events["ranking_id"].fillna("").astype(str).ne("")]    # made in a `screen` session
        for who, created, payload in zip(sub["reviewer"], sub["created_at"], sub["payload"].fillna("").astype(str)):
            # (a payload is parsed only if it may hold the sample mark: a session's are all distinct)
            if who not in self.screeners or ('"sampled"' in payload and is_sampled(event_payload(payload))):
                continue
            when = event_time(created)
            if when is not None and (who not in self.last or when > self.last[who]):
                self.last[who] = when

    def active(self, me: str) -> list[str]:
        """The declared reviewers screening now, ``me`` always among them, sorted."""
        since = utc_now() - ACTIVE_WINDOW
        return sorted({me} | {who for who, when in self.last.items() if when >= since})

    def share(self, me: str) -> tuple[int, int] | None:
        """(my index, how many) among the reviewers screening now; None when ``me`` screens alone
        or is not a declared reviewer (nobody to share with)."""
        if me not in self.screeners:
            return None
        now = self.active(me)
        return (now.index(me), len(now)) if len(now) >= 2 else None


def split_queue(queue: Sequence[str], share: tuple[int, int], everyone: Iterable[str]) -> list[str]:
    """``queue`` with this reviewer's share first (order kept within each part): the records
    whose id hashes to ``share``, and those in ``everyone`` (priors, dual-planned records, which
    every reviewer screens anyway), then the rest."""
    k, n = share
    common = set(everyone)
    first = [r for r in queue if r in common or zlib.crc32(r.encode()) % n == k]
    taken = set(first)
    return first + [r for r in queue if r not in taken]


def taken_meanwhile(events: pd.DataFrame, record_id: str, reviewer: str, stage: str, *, sample: bool = False,
                    standing: Mapping[tuple[str, str], Any] | None = None) -> bool:
    """Whether a colleague's decision took ``record_id`` out of ``reviewer``'s queue while it
    was on screen: it settled the record (single screening, or an adjudicator), or, in the
    random sample, decided it first in another queue (it is then no longer a sample record).

    The backstop of sharing: two sessions that opened before either had decided anything both
    serve the ranking's top record (neither counts the other as screening yet), and a second
    decision on a single-screened record would open a conflict nobody planned. Says nothing of
    how the colleague decided (blinding). ``events``: the record's events, read just now;
    ``standing``: their standing decisions at ``stage``, when the caller has them."""
    from screening.decisions.entries import standing_decisions
    from screening.decisions.outcomes import record_outcomes

    if standing is None:
        standing = standing_decisions(events, stage).get(record_id, {})
    if (reviewer, "screener") in standing:
        return False            # the reviewer's own decision elsewhere: they replace it, and are told
    outcome = record_outcomes(events, stage, {record_id: standing} if standing else {}).get(record_id)
    if outcome is not None and outcome.status == "final":
        return True
    first = first_decisions(events, stage).get(record_id) if sample and standing else None
    return first is not None and not first.sampled


class Checked(NamedTuple):
    """What :func:`write_unless_taken` did: ``status`` "written", "taken" (a colleague's
    decision took the record: nothing written), "repeat" (the reviewer's own decision made
    elsewhere meanwhile is this one: nothing written) or "busy" (the log kept moving: nothing
    written); ``events``, the record's events as last checked; ``earlier``, the reviewer's own
    standing decision on it made elsewhere meanwhile (which the write replaced, or repeats), if any."""

    status: str
    events: pd.DataFrame
    earlier: Any = None


def write_unless_taken(read: Callable[[], pd.DataFrame], write: Callable[[int], None], record_id: str,
                       reviewer: str, stage: str, *, sample: bool = False, tries: int = 5,
                       decision: tuple[str, str] | None = None) -> Checked:
    """Write a decision on ``record_id`` unless :func:`taken_meanwhile` says a colleague took it,
    the check and the write as one step. ``read()`` gives the whole log; ``write(last)`` appends
    only if the log's highest event id is still ``last`` (else raises :class:`LogMoved`).

    Why one step: two sessions deciding the same record a millisecond apart both checked before
    either wrote, and both decisions were recorded (seen 0.2 ms apart in acceptance testing).
    A write overtaken by another is refused and the check re-run on the log as it now stands;
    after ``tries`` overtaken writes the decision is given up ("busy"). ``decision``: (action,
    reason) being written; the reviewer's own standing decision, made elsewhere meanwhile (a
    second terminal, their import, `decide`) and the same, is not written twice ("repeat"), so
    one undo still takes it back (acceptance testing: two sessions of one reviewer logged it twice)."""
    from screening.decisions.entries import standing_decisions

    events = pd.DataFrame()

    def attempt() -> Checked:
        nonlocal events
        latest = read()
        events = latest[latest["record_id"] == record_id]
        standing = standing_decisions(events, stage).get(record_id, {})
        if taken_meanwhile(events, record_id, reviewer, stage, sample=sample, standing=standing):
            return Checked("taken", events)
        own = standing.get((reviewer, "screener"))
        if decision is not None and own is not None and own.decision == decision[0] \
                and same_reason(own.reason, decision[1]):
            return Checked("repeat", events, own)
        write(int(latest["id"].iloc[-1]) if len(latest) else 0)
        return Checked("written", events, own)

    return until_not_overtaken(attempt, tries) or Checked("busy", events)


def until_not_overtaken(attempt: Callable[[], T], tries: int = 5) -> T | None:
    """``attempt()`` (read the log, check, append only onto the log it read: ``if_last``) run
    again while its append is overtaken by another writer's (:class:`LogMoved`), at most
    ``tries`` times; None when every one was. What makes a check and its write one step."""
    for _ in range(tries):
        try:
            return attempt()
        except LogMoved:
            continue
    return None
