"""Active learning inside a screening session: the queue is re-ranked as decisions arrive.

`screening run` / `screening rank` write a ranking of the records in play; a screening session
starts from that order but must not keep it: the ranking is only as good as the labels it was
trained on, and the records a team screens first are where new labels help most. So a
title/abstract session holds its own learner (the review's ``[rank]`` model and seed), fitted
on the same records in play, and retrains it as labels arrive (anyone's: the log is shared)
before choosing the next record.

When: on the schedule `screening simulate` uses (and the ranking benchmark measured): after
every label while fewer than 300 records are labelled, then every ``max(batch_size, 2 % of the
labels)`` labels, and at once after any new inclusion, because a new inclusion is what changes
a ranking most. ``batch_size`` (``[rank]``) sets the smallest step. A refit is a fit of the
classifier on the labelled rows plus scoring the pool (features are built once per session,
or read from the review's feature cache), so it grows with the labels; the schedule keeps key
presses interactive late in a review. From :data:`LARGE_TRAINING_SET` labels on, a fit takes
seconds (liblinear has no warm start: 3 s for 30,000 labels) while one more inclusion among
hundreds hardly moves the ranking, so there inclusions retrain every 2 % of the labelled
inclusions (acceptance testing at 40,000 labels: 2.5 s per key press after every include).

Blinding: labels of records still waiting in *this reviewer's* queue (decided by a colleague
only, in a dual plan) are not used to rank them: each is ordered by a model that has not seen
its label, so the position of a record tells nothing of the colleague's decision, and a
colleague's likely inclusions still come early (their conflicts surface early). Labels of
records this reviewer will not be shown (decided by them, settled, or outside their plan) are
all used.

The ranking id recorded with each decision is this learner's model id (components,
parameters, training-set size, seed and mode: ``ranker-`` once both classes are labelled,
``similarity-`` / ``file-order-`` before), so the methods paragraph says how each record was
put in front of its reviewer, as the session actually did it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from screening.ml.simulate import LARGE_TRAINING_SET, inclusion_step


class SessionRanker:
    """The review's ranker, retrained during one screening session."""

    WARMUP = 300        # labels below which every new label retrains (as in simulate)
    GROWTH = 0.02       # after that, retrain every 2 % of the labels (or on a new inclusion)
    LARGE = LARGE_TRAINING_SET      # labels from which inclusions wait for 2 % of the inclusions

    def __init__(self, play: pd.DataFrame, config: Any, cache: Any = None) -> None:
        from screening.ml.learner import ActiveLearner

        self.ids = [str(r) for r in play["record_id"]]
        self._row = {rid: i for i, rid in enumerate(self.ids)}
        self.batch_size = max(1, int(getattr(config, "batch_size", 1) or 1))
        self.seed = int(getattr(config, "seed", 1))
        self.learner = ActiveLearner(getattr(config, "model", None), seed=self.seed)
        # once per session (updates never re-read text), or read from the review's feature
        # cache when `run`, `rank` or an earlier session built it for the same texts
        self.learner.fit_features(play, cache=cache)
        self.spec = self.learner.spec.text        # the model spec, as recorded with decisions
        # the team's priors, then every decision made so far (a decision overrides a prior)
        self._priors: dict[str, int] = {}
        for rid in getattr(config, "prior_excluded", ()):
            self._priors[str(rid)] = 0
        for rid in getattr(config, "prior_included", ()):
            self._priors[str(rid)] = 1
        self._decided: dict[str, int] = {}
        self._fitted = False
        self._used: frozenset[tuple[str, int]] = frozenset()   # the labels the last fit learnt from
        self.model_id = ""
        # what the model with that id learnt from, recorded with each decision it served: the
        # id is a digest, and the methods/audit trail needs the training-set size beside it
        self.training: dict[str, int] = {}
        self.front: frozenset[str] = frozenset()    # records placed first whatever their score (priors)

    def set_label(self, record_id: str, label: int | None) -> None:
        """A record's current title/abstract label (1, 0, or None: undecided or only 'maybe')."""
        rid = str(record_id)
        if rid not in self._row:
            return
        if label is None:
            self._decided.pop(rid, None)
        else:
            self._decided[rid] = int(label)

    def labels(self, hidden: set[str] | frozenset[str] = frozenset()) -> dict[str, int]:
        """The labels to learn from: the priors (the team's own knowledge, never hidden),
        overridden by the decisions on records not in ``hidden``."""
        out = {r: v for r, v in self._priors.items() if r in self._row}
        out.update({r: v for r, v in self._decided.items() if r not in hidden})
        return out

    def decided_records(self) -> list[str]:
        """Records some decision labels (not the priors alone)."""
        return list(self._decided)

    def due(self, hidden: set[str] | frozenset[str] = frozenset()) -> bool:
        """Whether to retrain before the next record (see the module docstring for the
        schedule). ``hidden``: labelled records still in this reviewer's queue, whose labels
        must not rank them; one becoming visible (the reviewer decided it) is a change too."""
        if not self._fitted:
            return True
        usable = set(self.labels(hidden).items())
        changed = usable.symmetric_difference(self._used)
        if not changed:
            return False
        new_inclusions = sum(v == 1 for _, v in usable - self._used)
        if new_inclusions and (len(usable) < self.LARGE or new_inclusions >= inclusion_step(
                sum(v for _, v in usable), self.GROWTH)):
            return True                         # a new inclusion: retrain at once (see the docstring)
        if {r for r, _ in self._used} - {r for r, _ in usable}:
            return True                         # a label gone (undone, now hidden): its record needs a place
        step = self.batch_size if len(usable) < self.WARMUP else max(self.batch_size, int(len(usable) * self.GROWTH))
        return len({r for r, _ in changed}) >= step

    def order(self, hidden: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """Retrain on the labels this reviewer may be ranked by and return every record in
        play, next-to-screen first: the unlabelled and the ``hidden`` ones by the model's
        ranking, the other labelled records last (the session filters them out anyway)."""
        labels = self.labels(hidden)
        idx = np.array([self._row[r] for r in labels], dtype=np.int64)
        y = np.array(list(labels.values()), dtype=np.int64)
        self.learner.update(idx, y)
        pool = np.ones(len(self.ids), dtype=bool)
        pool[idx] = False
        ranked = self.learner.rank(pool)
        info = self.learner.info()
        self.model_id = str(info["model_id"])
        self.training = {"training_size": int(info["training_size"]),
                         "training_included": int(info["training_included"])}
        # priors nobody has decided yet come first: the team knows them, and a prior left
        # undecided at a stop would be counted as excluded by the stopping rule
        # (a prior only a colleague decided, hidden here, still counts as undecided: moving it
        # to the back would tell this reviewer someone had decided it)
        undecided_priors = [self._row[r] for r in self._priors
                            if r in self._row and (r not in self._decided or r in hidden)]
        self.front = frozenset(self.ids[i] for i in undecided_priors)
        self._fitted = True
        self._used = frozenset(labels.items())
        first = set(undecided_priors)
        return ([self.ids[i] for i in undecided_priors] + [self.ids[i] for i in ranked]
                + [self.ids[i] for i in idx if i not in first])
