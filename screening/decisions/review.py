"""The review a screening command works on: its settings, records table, roster and log.

Every command of :mod:`.api` takes a :class:`Review`, or a TOML path / name it loads one
from. Why a handle: the adjudicate walk and the interactive session make many calls on one
review, and re-reading the records table and the whole log for each would be slow, so a
loaded ``Review`` reads the table once and the log incrementally. It also validates what
every command is given: a record id (with did-you-mean hints) and a stage.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator

import pandas as pd

from screening.config import ReviewConfig, load_review
from screening.decisions.entries import entries_from_rows, load_entries
from screening.decisions.reasons import stage_reasons
from screening.decisions.record_matching import similar_ids
from screening.decisions.roster import Roster
from screening.decisions.store import STAGES, DecisionStore, SQLiteStore, open_store
from screening.decisions.visibility import Viewer
from screening.errors import DecisionError


@dataclass
class Review:
    """A loaded review: its settings, its latest records table and its decision log path."""

    config: ReviewConfig
    records: pd.DataFrame
    store: DecisionStore | None = None
    _by_id: dict[str, int] = field(default_factory=dict)
    _entries: pd.DataFrame | None = None   # the log as read so far (append-only: extended, never re-read)
    # per side table (stops, samples): (its extent, what was built from its rows) as last read
    _sides: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    _reader: DecisionStore | None = None     # reads before any write: never upgrades the log

    @classmethod
    def load(cls, review: str | Path | ReviewConfig) -> "Review":
        from screening.last_run import latest_table

        config = review if isinstance(review, ReviewConfig) else load_review(review)
        records = latest_table(config)
        return cls(config, records, None, {rid: i for i, rid in enumerate(records["record_id"])})

    @property
    def db_path(self) -> Path:
        return self.config.decisions_path

    def open(self) -> DecisionStore:
        if self.store is None:
            self.store = open_store(self.db_path, review_ref=self.config.command_ref())
        return self.store

    def close(self) -> None:
        # the reader first: the writer, closing last, folds the -wal into the file and removes it
        # (a reader opened beside a -wal cannot, and would leave it and the -shm file behind)
        for store in (self._reader, self.store):
            if store is not None:
                store.close()
        self.store = self._reader = None

    def _read(self) -> DecisionStore:
        """The store to read through: the writer once a call has opened it, else a reader that
        leaves an older log as it is (a read-only command such as `status` must not upgrade
        the file; the first write does)."""
        if self.store is not None:
            return self.store
        if self._reader is None:
            self._reader = SQLiteStore(self.db_path, create=False, upgrade=False)
        return self._reader

    def entries(self) -> pd.DataFrame:
        """Every event of the log. A caller making many calls on one loaded review (the
        adjudicate walk) reads the whole log once; later calls add only the events appended
        since, by anyone. Without a log yet nothing is created."""
        if self._entries is None:
            if not self.db_path.exists():
                return load_entries(self.db_path)
            self._entries = load_entries(self.db_path)
        else:
            last = int(self._entries["id"].iloc[-1]) if len(self._entries) else 0
            new = entries_from_rows(self._read().rows(after=last))
            if len(new):
                self._entries = pd.concat([self._entries, new], ignore_index=True)
        return self._entries

    def stop_scope(self) -> Any:
        """The standing logged stop (:class:`screening.decisions.stops.StopScope`, or None),
        through the review's open store; re-read only when a stop or resume was appended (a
        session asks at every refresh, and a decision on a closed record is warned of)."""
        from screening.decisions.stops import standing_stop, stops_from_rows

        return self._side("stops", lambda store: store.stop_extent(),
                          lambda store: standing_stop(stops_from_rows(store.stop_rows())))

    def sample_frame(self) -> Any:
        """The latest stopping-sample frame (:class:`screening.decisions.sample_frames.SampleFrame`,
        or None), through the review's open store; re-read only when a frame was drawn (a
        session's stopping line asks after every decision)."""
        from screening.decisions.sample_frames import latest_frame_in

        return self._side("samples", lambda store: store.sample_extent(), latest_frame_in)

    def _side(self, table: str, extent: Callable[[DecisionStore], Any], build: Callable[[DecisionStore], Any]) -> Any:
        """What ``build`` makes of a side table's rows, rebuilt only when its ``extent`` changed."""
        if not self.db_path.exists():
            return None
        store = self._read()
        key = extent(store)
        hit = self._sides.get(table)
        if hit is None or hit[0] != key:
            hit = self._sides[table] = (key, build(store))
        return hit[1]

    @functools.cached_property
    def roster(self) -> Roster:
        """The people ``[screening]`` declares: who may decide, who may adjudicate (built once
        per loaded review: the session resolves names on every key press)."""
        return Roster.of(self.config)

    def record(self, record_id: str) -> dict[str, Any]:
        i = self._by_id.get(str(record_id))
        if i is None:
            guesses = self.similar_ids(str(record_id))
            hint = (f"did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses else
                    "record ids are in the records table's record_id column; `screening export REVIEW -o "
                    "records.csv --decision all` lists them")
            raise DecisionError("unknown record", record=str(record_id), hint=hint)
        return self.records.iloc[i].to_dict()

    def similar_ids(self, text: str, n: int = 3) -> list[str]:
        """Up to ``n`` record ids ``text`` may have meant (:func:`.record_matching.similar_ids`)."""
        return similar_ids(list(self._by_id), text, n)

    def ranking_id(self, record_id: str) -> str:
        rec = self.record(record_id)
        return str(rec.get("model_id", "") or "")

    def viewer(self, reviewer: str | None = None, as_adjudicator: bool = False) -> Viewer:
        """Who is looking: reviewers named in ``[screening] adjudicators`` are adjudicators (not
        blinded) without needing ``--as-adjudicator``; everyone else sees what blinding allows."""
        roster = self.roster
        roster.check_viewer(reviewer, as_adjudicator)
        return Viewer(roster.viewer_name(reviewer) or None, as_adjudicator or roster.is_adjudicator(reviewer))

    def reasons(self, stage: str) -> tuple[str, ...]:
        return stage_reasons(self.config, stage)


ReviewLike = str | Path | ReviewConfig | Review


def loaded_review(review: ReviewLike) -> Review:
    """A loaded review; callers that make many calls pass one in and skip re-reading the table."""
    return review if isinstance(review, Review) else Review.load(review)


@contextmanager
def open_for_writing(review: ReviewLike) -> Iterator[Review]:
    """The loaded review for a call that writes; the decision log is closed afterwards only if
    this call loaded the review (a caller's ``Review`` keeps it open for its next call)."""
    if isinstance(review, Review):
        yield review
        return
    rv = Review.load(review)
    try:
        yield rv
    finally:
        rv.close()


def open_for_reading(review: ReviewLike) -> ContextManager[Review]:
    """The loaded review for a call that only reads: as :func:`open_for_writing`, the log's
    readers it opened are closed afterwards if this call loaded the review (a reader left open
    holds the log's -wal and -shm files)."""
    return open_for_writing(review)


def events_of_record(rv: Review, record_id: str) -> pd.DataFrame:
    """One record's events after an append, the new ones (by anyone) read incrementally."""
    entries = rv.entries()
    return entries[entries["record_id"] == record_id]


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise DecisionError(f"unknown stage {stage!r}", hint=f"use one of: {', '.join(STAGES)}")
    return stage
