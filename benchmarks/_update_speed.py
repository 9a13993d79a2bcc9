"""Time one active-learning update of our ranker on synthetic text (issue #5 speed benchmark).

``bench_rank.py --parts speed`` runs this in a fresh process per corpus size, so each
measurement's peak memory is its own::

    .venv/bin/python benchmarks/_update_speed.py 100000      # prints one JSON object
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _synth import synthetic_corpus  # noqa: E402
from screening.ml.learner import ActiveLearner  # noqa: E402


def time_updates(n: int, spec: str | None = None, n_labelled: int = 200, repeats: int = 8) -> dict[str, float]:
    """Seconds per update (retrain + full re-rank) on ``n`` synthetic records.

    ``update_s`` is the best of ``repeats - 1`` updates (after a warm-up one): on a shared
    machine the minimum filters out other jobs' load spikes; the median is reported too.
    ``first_iterative_s`` is the second update alone: the one that builds the kernel-column
    cache for the labels made so far (:mod:`screening.ml.scoring`), a one-off cost per session.
    """
    texts, labels = synthetic_corpus(n, seed=7)
    learner = ActiveLearner(spec, seed=0)
    t0 = time.perf_counter()
    learner.fit_features(texts)
    feat = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    lab = list(np.flatnonzero(labels == 1)[:5]) + list(rng.choice(np.flatnonzero(labels == 0), n_labelled - 5, replace=False))
    pool = np.ones(n, dtype=bool)
    pool[lab] = False
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        learner.update(lab, labels[lab])
        ranked = learner.rank(pool)
        times.append(time.perf_counter() - t0)
        nxt = int(ranked[0])
        lab.append(nxt)
        pool[nxt] = False
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"update_s": float(np.min(times[1:])), "update_median_s": float(np.median(times[1:])),
            "first_iterative_s": float(times[1]), "direct_first_s": float(times[0]),
            "features_s": feat, "peak_mb": rss}


if __name__ == "__main__":
    print(json.dumps(time_updates(int(sys.argv[1]))))
