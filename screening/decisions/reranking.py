"""Active learning inside a screening session: the queue is re-ranked as decisions arrive.

`screening run` / `screening rank` write a ranking of the records in play; a screening session
starts from that order but must not keep it: the ranking is only as good as the labels it was
trained on, and the records a team screens first are where new labels help most. So a
title/abstract session holds its own learner (the review's ``[rank]`` model and seed), fitted
on the same records in play, and retrains it after every ``batch_size`` new labels (anyone's:
the log is shared) before choosing the next record.

Cost: the features are built once per session (TF-IDF over the records in play, as the rank
stage does); each update is a warm refit of the classifier on the labelled rows plus scoring
the pool (benchmarks/RESULTS.md, "Speed": 0.02 s at 100,000 records), so a key press stays
interactive. Labels are kept up to date by the session from the records its refresh touches
(:meth:`SessionRanker.set_label`), never by re-reading the whole log.

The ranking id recorded with each decision is this learner's model id (components,
parameters, training-set size, seed and mode: ``ranker-`` once both classes are labelled,
``similarity-`` / ``file-order-`` before), so the methods paragraph says how each record was
put in front of its reviewer, as the session actually did it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


class SessionRanker:
    """The review's ranker, retrained during one screening session."""

    def __init__(self, play: pd.DataFrame, config: Any) -> None:
        from screening.ml.learner import ActiveLearner

        self.ids = [str(r) for r in play["record_id"]]
        self._row = {rid: i for i, rid in enumerate(self.ids)}
        self.batch_size = max(1, int(getattr(config, "batch_size", 1) or 1))
        self.learner = ActiveLearner(getattr(config, "model", None), seed=int(getattr(config, "seed", 1)))
        self.learner.fit_features(play)         # once per session: updates never re-read text
        # the team's priors, then every decision made so far (a decision overrides a prior)
        self._priors: dict[str, int] = {}
        for rid in getattr(config, "prior_excluded", ()):
            self._priors[str(rid)] = 0
        for rid in getattr(config, "prior_included", ()):
            self._priors[str(rid)] = 1
        self._decided: dict[str, int] = {}
        self._changed = 0                       # labels set or changed since the last fit
        self._fitted = False
        self.model_id = ""
        self.updates = 0

    def set_label(self, record_id: str, label: int | None) -> None:
        """A record's current title/abstract label (1, 0, or None: undecided or only 'maybe')."""
        rid = str(record_id)
        if rid not in self._row:
            return
        old = self._decided.get(rid)
        if label is None:
            if old is not None:
                del self._decided[rid]
                self._changed += 1
        elif old != label:
            self._decided[rid] = int(label)
            self._changed += 1

    def due(self) -> bool:
        """Whether enough labels arrived since the last fit (``batch_size``; the first call fits)."""
        return not self._fitted or self._changed >= self.batch_size

    def order(self) -> list[str]:
        """Retrain on the labels so far and return every record in play, next-to-screen first
        (labelled records last: the session filters them out anyway)."""
        labels = {**{r: v for r, v in self._priors.items() if r in self._row}, **self._decided}
        idx = np.array([self._row[r] for r in labels], dtype=np.int64)
        y = np.array(list(labels.values()), dtype=np.int64)
        self.learner.update(idx, y)
        pool = np.ones(len(self.ids), dtype=bool)
        pool[idx] = False
        ranked = self.learner.rank(pool)
        info = self.learner.info()
        self.model_id = str(info["model_id"])
        self._fitted, self._changed = True, 0
        self.updates += 1
        return [self.ids[i] for i in ranked] + [self.ids[i] for i in idx]


def session_label(outcome: Any, standing: dict[Any, Any] | None) -> int | None:
    """The label the ranker learns from a record's title/abstract state, as the rank stage's
    ``training_labels``: the final decision when settled, else the latest standing
    include/exclude of any reviewer; None when nobody has included or excluded it."""
    if outcome is not None and outcome.status == "final" and outcome.decision in ("include", "exclude"):
        return 1 if outcome.decision == "include" else 0
    latest = None
    for s in (standing or {}).values():
        if s.decision in ("include", "exclude") and (latest is None or s.event_id > latest.event_id):
            latest = s
    if latest is None:
        return None
    return 1 if latest.decision == "include" else 0
