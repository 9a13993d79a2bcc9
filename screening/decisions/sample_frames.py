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

A new frame is drawn when a sample session opens and the latest frame no longer describes the
sample to come: there is none; a stop recorded after it still stands (the records added since
need a sample of their own); or nobody has yet decided a record drawn from it (nothing was
sampled, so a frame drawn now loses nothing and takes in the records added since).

A log without frames (written before format 4, or a sample imported from elsewhere) keeps the
earlier reading: every record nobody decided counts in the pool.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from screening.decisions.origins import first_decisions
from screening.decisions.store import SAMPLE_COLUMNS, SQLiteStore, open_store, utc_now


@dataclass(frozen=True)
class SampleFrame:
    """One ``samples`` entry: who began a sample, when, and the records it is drawn from."""

    id: int
    event_uuid: str
    reviewer: str
    created_at: str
    records: frozenset[str]


def frames_from_rows(rows: list[tuple[Any, ...]]) -> list[SampleFrame]:
    """The store's sample rows (:data:`SAMPLE_COLUMNS` tuples) as frames, in log order."""
    out = []
    for row in rows:
        d = dict(zip(SAMPLE_COLUMNS, row))
        payload = json.loads(d["payload"] or "{}")
        out.append(SampleFrame(int(d["id"]), d["event_uuid"], d["reviewer"], d["created_at"],
                               frozenset(str(r) for r in payload.get("records", ()))))
    return out


def read_frames(db_path: str | Path) -> list[SampleFrame]:
    """Every sample frame of a review's log, oldest first ([] without a log)."""
    path = Path(db_path)
    if not path.exists():
        return []
    with SQLiteStore(path, create=False, upgrade=False) as store:
        return frames_from_rows(store.sample_rows())


def latest_frame(db_path: str | Path) -> SampleFrame | None:
    """The frame the stopping test reads: the latest one drawn (None: the log has none)."""
    frames = read_frames(db_path)
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


def frame_is_current(frame: SampleFrame | None, entries: pd.DataFrame, stop_at: str | None) -> bool:
    """Whether ``frame`` still describes the sample a session is about to serve (see the
    module's docstring). ``stop_at``: when the standing stop was recorded (None: no stop stands)."""
    if frame is None:
        return False
    if stop_at is not None and stop_at > frame.created_at:
        return False
    return sampled_since(entries, frame.created_at)


def draw_frame(db_path: str | Path, reviewer: str, records: Iterable[str]) -> SampleFrame:
    """Log a new frame holding ``records`` (the records in play as the sample begins)."""
    ids = sorted({str(r) for r in records})
    row = {"event_uuid": str(uuid.uuid4()), "stage": "title_abstract", "reviewer": reviewer,
           "created_at": utc_now(), "payload": {"records": ids, "pool": len(ids)}}
    store = open_store(db_path)
    try:
        store.append_sample(row)
    finally:
        store.close()
    return SampleFrame(0, row["event_uuid"], reviewer, row["created_at"], frozenset(ids))
