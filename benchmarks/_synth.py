"""Synthetic abstracts for speed benchmarks (no real data needed at 100k records).

Both our ranker and ASReview's import this file, so they time the same text.
"""

import numpy as np
import pandas as pd


def synthetic_corpus(n: int, seed: int = 7, rate: float = 0.02) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` records of Zipf-distributed words; relevant ones over-use a small topic vocabulary."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(30000)])
    p = 1.0 / np.arange(1, len(vocab) + 1) ** 1.1
    p /= p.sum()
    labels = (rng.random(n) < rate).astype(int)
    topic = vocab[rng.choice(len(vocab), 40, replace=False)]
    titles, abstracts = [], []
    for lab in labels:
        words = vocab[rng.choice(len(vocab), 180, p=p)]
        if lab:
            words[rng.choice(180, 25, replace=False)] = rng.choice(topic, 25)
        titles.append(" ".join(words[:12]))
        abstracts.append(" ".join(words[12:]))
    return pd.DataFrame({"title": titles, "abstract": abstracts}), labels
