"""The records a stopping sample is drawn from: its *frame*, logged when the sample begins.

Why logged: the stopping test (docs/ranking.md) reads a simple random sample of the records
left unscreened, and its figures are about the pool the sample was drawn from. Records that
enter the review while the sample is under way (a search update) were never in that pool: the
records drawn before they arrived could not have been them, so counting them in the pool (as
the test did before the frame was logged) lets a sample that never looked at them speak for
them. A record's id says nothing about when it arrived, so the first `screen --sample` session
logs the records in play then (table ``samples``, as append-only as the decisions); the sample
is drawn from them only, and a record in play outside the frame is *added during the sample*:
served in ranked order, and counted by the test as relevant until someone screens it (the
worst case, :func:`screening.ml.stopping_status.stopping_status`).

A frame is never redrawn while its sample goes on: draws already made (in this session or
another, or before the log had frames) came from it, and a pool that grew under them would
let them speak for records they could not have drawn. A new frame is drawn only when a sample
session opens and there is none, or a stop recorded after the latest one still stands: the
records opened since (a search update's) need a sample of their own. That sample is *fresh*:
the test then reads only the draws made after its frame was drawn (``after_event``), and the
records the stop closed leave the pool (the stop settled them, reported as excluded by the
stopping rule), so the earlier sample, drawn before the update existed, is not pooled with it.

A log without frames (written before format 4, or a sample imported from elsewhere) keeps the
earlier reading: every record nobody decided counts in the pool.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import pandas as pd

from screening.decisions.origins import first_decisions
from screening.decisions.store import SAMPLE_COLUMNS, DecisionStore, read_log, utc_now

if TYPE_CHECKING:        # stops.py reads sampled_since from here
    from screening.decisions.stops import StopScope


@dataclass(frozen=True)
class SampleFrame:
    """One ``samples`` entry: who began a sample, when, and the records it is drawn from."""

    id: int
    event_uuid: str
    reviewer: str
    created_at: str
    records: frozenset[str]
    after_event: int = 0       # the log's last event id when it was drawn (its draws come after)


def frames_from_rows(rows: list[tuple[Any, ...]]) -> list[SampleFrame]:
    """The store's sample rows (:data:`SAMPLE_COLUMNS` tuples) as frames, in log order."""
    out = []
    for row in rows:
        d = dict(zip(SAMPLE_COLUMNS, row))
        payload = json.loads(d["payload"] or "{}")
        out.append(SampleFrame(int(d["id"]), d["event_uuid"], d["reviewer"], d["created_at"],
                               frozenset(str(r) for r in payload.get("records", ())),
                               int(payload.get("after_event", 0) or 0)))
    return out


def read_frames(db_path: str | Path) -> list[SampleFrame]:
    """Every sample frame of a review's log, oldest first ([] without a log)."""
    return frames_from_rows(read_log(db_path, lambda store: store.sample_rows(), []))


def latest_frame(db_path: str | Path) -> SampleFrame | None:
    """The frame the stopping test reads: the latest one drawn (None: the log has none)."""
    return read_log(db_path, latest_frame_in, None)


def latest_frame_in(store: DecisionStore) -> SampleFrame | None:
    """:func:`latest_frame` through an open store."""
    frames = frames_from_rows(store.sample_rows())
    return frames[-1] if frames else None


def sampled_since(entries: pd.DataFrame, since: str) -> bool:
    """Whether a record of the random sample was first decided after ``since``.

    The log is not cut at ``since`` before asking which records are in the sample: a record
    decided in ranked order before then and again in a later ``--sample`` session would look
    first decided in the sample, though the sample never drew it (it was not unscreened)."""
    if not len(entries):
        return False
    created = dict(zip(entries["id"].astype(int), entries["created_at"].astype(str)))
    return any(f.sampled and created[f.event_id] > since for f in first_decisions(entries).values())


def frame_is_current(frame: SampleFrame | None, stop: StopScope | None) -> bool:
    """Whether ``frame`` is still the one a sample session draws from (see the module's
    docstring): there is one, and no standing ``stop`` was recorded after it."""
    return frame is not None and not (stop is not None and stop.latest.created_at > frame.created_at)


def fresh_after(frame: SampleFrame | None, stop: StopScope | None) -> int | None:
    """For a frame drawn after the standing ``stop`` (a fresh sample of the records opened
    since), the log event after which its draws were made; None otherwise (the frame's sample
    is every draw in the log, as before stops)."""
    if frame is None or stop is None or frame.created_at <= stop.latest.created_at:
        return None
    return frame.after_event


def draw_frame(store: DecisionStore, reviewer: str, records: Iterable[str], after_event: int) -> None:
    """Log a new frame holding ``records`` (the records in play as the sample begins) through
    ``store`` (the session's open log); ``after_event``: the id of the log's last event then."""
    ids = sorted({str(r) for r in records})
    store.append_sample({"event_uuid": str(uuid.uuid4()), "reviewer": reviewer, "created_at": utc_now(),
                         "payload": {"records": ids, "pool": len(ids), "after_event": int(after_event)}})
