"""What a screening session needs from the stopping rule: the random sample's order, the
status line's figures (and how often they are recomputed), and a standing stop's scope.

Why apart from :mod:`.session`: the session's state machine (keys, queue, undo) does not
depend on how the stopping rule is computed, and these pieces belong together: the sample
feeds the test, the test's figures feed the status line, and a logged stop (``screening
stop``, :mod:`.stops`) ends what the test was for.

A standing stop closes the title/abstract records nobody had decided when it was recorded: a
session does not serve them (they are reported as excluded by the stopping rule), and says
so. Records outside its scope (a later search update's) are served as usual.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable

import pandas as pd

from screening.decisions.review import Review
from screening.decisions.stops import StopScope
from screening.record_marks import in_play as records_in_play_mask

StoppingFn = Callable[[pd.DataFrame, pd.DataFrame], "dict[str, Any] | None"]


def sample_seed(config: Any) -> int:
    """The seed of the stopping sample's permutation: the rank section's (1 without one)."""
    return int(getattr(getattr(config, "stages", {}).get("rank"), "seed", 1))


def sample_order(record_ids: list[str], config: Any) -> list[str]:
    """The review's random screening order for the stopping sample: a permutation of the
    records (sorted first, so it does not depend on the ranking) seeded by :func:`sample_seed`,
    the same for every reviewer and every session, so a resumed sample continues it."""
    import numpy as np

    ids = sorted(record_ids)
    perm = np.random.default_rng([sample_seed(config), 0x5A4D]).permutation(len(ids))
    return [ids[i] for i in perm]


def standing_scope(review: Review, stage: str) -> StopScope | None:
    """The review's standing logged stop, for a title/abstract session (stops close nothing at
    full text)."""
    return review.stop_scope() if stage == "title_abstract" else None


def flag_stopped_message(review: Review, closed: int) -> str:
    """What a session says while ``[rank] stopped = true`` stands: it closes every record nobody
    screened (later additions too), and is lifted in the TOML, not with ``stop --resume``."""
    where = review.config.command_ref() if getattr(review.config, "path", None) else "the review TOML"
    return (f"screening is stopped by `stopped = true` in the [rank] section of {where}: the {closed} record"
            f"{'s' if closed != 1 else ''} nobody has screened {'are' if closed != 1 else 'is'} not served "
            "(reported as excluded by the stopping rule); remove that line to reopen screening")


def stopped_message(scope: StopScope, review: Review, reviewer: str, closed: int) -> str:
    """What a session says while a stop stands: who stopped, when, what it closed, how to reopen."""
    ev = scope.latest
    name = review.config.name or "REVIEW"
    return (f"screening was {ev.stopped_by()}: the {closed} record"
            f"{'s' if closed != 1 else ''} nobody had screened then {'are' if closed != 1 else 'is'} not "
            f"served (reported as excluded by the stopping rule); `screening stop {name} --resume -r "
            f"{reviewer}` reopens screening")


class StoppingEstimate:
    """A session's stopping-rule estimate, recomputed after each new event (every 10 on a log of
    3,000 events or more: it reads every label, which costs more than a key press should)."""

    def __init__(self) -> None:
        self._at: int | None = None                   # the log's length when last computed
        self._cache: dict[str, Any] | None = None

    def read(self, fn: StoppingFn, records: pd.DataFrame, entries: pd.DataFrame) -> dict[str, Any] | None:
        n = len(entries)
        # every event while the log is small (the counter the reviewer watches moves with each
        # decision), every 10 on a large log, where reading every label costs a key press
        if self._at is not None and n - self._at < (1 if n < 3000 else 10):
            return self._cache
        self._at = n
        try:
            self._cache = fn(records, entries)
        except Exception:   # the estimate is optional: never let it break screening
            self._cache = None
        return self._cache


def stopping_hook(review: Review) -> StoppingFn | None:
    """The session's stopping status: the review's rank settings, the records in screening
    worked out once (they do not change during a session). None without the ML extras."""
    try:
        import_module("screening.ml.stopping_status")      # the ML extras present?
    except Exception:
        return None
    from screening.decisions.stop_standing import review_stopping_status

    play = records_in_play_mask(review.records).to_numpy()
    rank = review.config.stages.get("rank")

    def hook(records: pd.DataFrame, entries: pd.DataFrame) -> dict[str, Any] | None:
        # what the rank stage (rank.json) and `status` compute from the same log
        return review_stopping_status(records, entries, rank, standing_scope(review, "title_abstract"), play=play,
                                      sample_frame=review.sample_frame())

    return hook
