"""When to stop screening: a statistical rule with a stated recall guarantee, plus heuristics.

The statistical rule (``hypergeometric``) is Callaghan & Müller-Hansen (2020), *Statistical
stopping criteria for automated screening in systematic reviews*, Systematic Reviews 9:273:

1. screen in ranked order until the ranking stops paying (here: ``switch_after`` consecutive
   irrelevant records, by default max(50, 2.5 % of the records));
2. then screen a **random sample** of the ``N`` records still unscreened at that moment;
3. after each sampled record, with ``r_AL`` relevant found before the switch, ``k`` relevant in
   the ``n`` sampled records and target recall ``τ``, the null hypothesis "recall < τ" means
   at least ``K = floor((r_AL + k) / τ) + 1 - r_AL`` relevant records were among the ``N``;
   stop when the sample rejects every such ``K`` at level ``1 - confidence``.

The test (:mod:`.recall_test`) is anytime-valid: it may be read after every sampled record.

What the guarantee means: if a team follows the procedure, the chance that it stops with
recall below τ is at most ``1 - confidence`` (5 %), whatever the ranker did and however often
it looks, because the sample is random. The price is the sample: with few relevant records,
ruling out even one missed record needs a large share of the remaining pool (a little more than
the uncorrected test needed). The heuristics below are cheaper and carry no guarantee; the
benchmark counts how often they miss the target.

This module is the rules and their replay in simulation; where a review stands
against the rule (the figures `screen`, `status` and rank.json show) is :mod:`.stopping_status`.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from screening.errors import ConfigError
from screening.ml.recall_test import hypergeom_pvalue, published_pvalue, recall_bound


# ---------------------------------------------------------------------------------------------
# Rules (observe one decision at a time; fire once)


class StopRule:
    name = "rule"
    guarantee = False
    samples = False      # switches to a random sample of the unscreened records at some point

    def start(self, n_total: int, prior_labels: Sequence[int] = ()) -> None:
        self.n_total = n_total
        self.position: int | None = None
        self.fired = False
        self.found = int(np.sum(prior_labels))
        self.run = 0   # consecutive irrelevant

    def wants_random_sample(self) -> bool:
        return False

    def observe(self, label: int, position: int, random: bool = False, n_unscreened: int = 0) -> None:
        if self.fired:
            return
        self.found += label
        self.run = 0 if label else self.run + 1
        # a rule that has not fired when the records run out did not fire: screening everything
        # is where it leaves the team, and it is reported as such, not as a stop at the last record
        if self._check(label, position, random, n_unscreened):
            self.fired, self.position = True, position

    def _check(self, label: int, position: int, random: bool, n_unscreened: int) -> bool:
        raise NotImplementedError

    def details(self) -> dict[str, Any]:
        return {}

    def result(self, labels_in_order: Sequence[int], n_total: int, n_relevant: int) -> dict[str, Any]:
        pos = self.position or len(labels_in_order)
        got = int(np.sum(np.asarray(labels_in_order)[:pos]))
        return {"rule": self.name, "fired": bool(self.fired), "position": pos,
                "recall": got / n_relevant if n_relevant else 1.0,
                "unscreened": 1 - pos / n_total, "work_saved": 1 - pos / n_total,
                "guarantee": self.guarantee, **self.details()}


class Consecutive(StopRule):
    """Stop after ``n`` consecutive irrelevant records (``n`` fixed, or a share of the pool)."""

    def __init__(self, n: int | None = None, fraction: float | None = None, name: str = "") -> None:
        self.n, self.fraction = n, fraction
        self.name = name or (f"consecutive-{n}" if n else f"consecutive-{fraction:.0%}")

    def _check(self, label, position, random, n_unscreened) -> bool:
        need = self.n if self.n else max(1, math.ceil(self.fraction * self.n_total))
        return self.run >= need


class Safe(StopRule):
    """SAFE-style (Boetje & van de Schoot 2024), simplified to one model.

    Phase A ends when all hold: at least ``min_fraction`` of the records screened, at least
    twice as many records screened as relevant ones found... i.e. ``screened >= 2 * found``,
    and ``consecutive`` irrelevant in a row; phase F then continues until another
    ``consecutive`` irrelevant in a row (SAFE switches to a different model there; we keep the
    same ranking, so this is a lower bound on SAFE's cost).
    """

    name = "safe"

    def __init__(self, min_fraction: float = 0.10, consecutive: int = 50) -> None:
        self.min_fraction, self.consecutive = min_fraction, consecutive

    def start(self, n_total: int, prior_labels: Sequence[int] = ()) -> None:
        super().start(n_total, prior_labels)
        self.phase = "A"

    def _check(self, label, position, random, n_unscreened) -> bool:
        if self.phase == "A":
            if (position >= self.min_fraction * self.n_total and position >= 2 * self.found
                    and self.run >= self.consecutive):
                self.phase, self.run = "F", 0
            return False
        return self.run >= self.consecutive


# the switch point's defaults: max(50, 2.5 % of the records) irrelevant in a row (what the
# methods paragraph states, read from here)
SWITCH_FRACTION = 0.025
SWITCH_MINIMUM = 50


def switch_threshold(n_total: int, fraction: float = SWITCH_FRACTION, minimum: int = SWITCH_MINIMUM) -> int:
    """Irrelevant records in a row after which ranked screening switches to the random sample."""
    return max(minimum, math.ceil(fraction * n_total))


class Hypergeometric(StopRule):
    """Callaghan & Müller-Hansen (2020): ranked screening, then a random sample + hypergeometric test."""

    name = "hypergeometric"
    guarantee = True
    samples = True
    pvalue = staticmethod(hypergeom_pvalue)

    def __init__(self, target_recall: float = 0.95, confidence: float = 0.95,
                 switch_after: int | None = None, switch_fraction: float = SWITCH_FRACTION,
                 min_switch: int = SWITCH_MINIMUM) -> None:
        if not 0 < target_recall < 1 or not 0 < confidence < 1:
            raise ConfigError("target recall and confidence must be between 0 and 1 (exclusive)",
                              hint="e.g. target_recall = 0.95, confidence = 0.95")
        self.target_recall, self.confidence = target_recall, confidence
        self.switch_after, self.switch_fraction, self.min_switch = switch_after, switch_fraction, min_switch

    def start(self, n_total: int, prior_labels: Sequence[int] = ()) -> None:
        super().start(n_total, prior_labels)
        self.sampling = False
        self.r_before = 0
        self.N = 0
        self.n = 0
        self.k = 0
        self.p = 1.0
        self.switch_position: int | None = None

    def switch_threshold(self) -> int:
        return self.switch_after or switch_threshold(self.n_total, self.switch_fraction, self.min_switch)

    def wants_random_sample(self) -> bool:
        return self.sampling and not self.fired

    def _check(self, label, position, random, n_unscreened) -> bool:
        if not self.sampling:
            if self.run >= self.switch_threshold():
                self.sampling, self.r_before, self.N = True, self.found, n_unscreened
                self.switch_position = position
                if self.N == 0:
                    return True
                self.p = self.pvalue(0, self.N, 0, self.r_before, self.target_recall)
                return self.p < 1 - self.confidence
            return False
        self.n += 1
        self.k += label
        self.p = self.pvalue(self.k, self.N, self.n, self.r_before, self.target_recall)
        return self.p < 1 - self.confidence

    def details(self) -> dict[str, Any]:
        est, bound = recall_bound(self.k, self.N, self.n, self.r_before, self.confidence) if self.sampling else (None, None)
        return {"switch_position": self.switch_position, "sample_size": self.n, "sample_relevant": self.k,
                "p_value": self.p, "estimated_recall": est, "recall_bound": bound,
                "target_recall": self.target_recall, "confidence": self.confidence}


class PublishedHypergeometric(Hypergeometric):
    """The same procedure with the test as published (the hypergeometric CDF, read after every
    sampled record): no guarantee, as its miss rate exceeds 1 - confidence; kept to compare."""

    name = "hypergeometric-published"
    guarantee = False
    pvalue = staticmethod(published_pvalue)


STOP_RULES: dict[str, Callable[..., StopRule]] = {
    "hypergeometric": lambda target_recall=0.95, confidence=0.95: Hypergeometric(target_recall, confidence),
    "hypergeometric-published": lambda target_recall=0.95, confidence=0.95: PublishedHypergeometric(
        target_recall, confidence),
    "consecutive-50": lambda **_: Consecutive(n=50),
    "consecutive-100": lambda **_: Consecutive(n=100),
    "consecutive-5pct": lambda **_: Consecutive(fraction=0.05, name="consecutive-5pct"),
    "safe": lambda **_: Safe(),
}


def get_stop_rule(name: str, target_recall: float = 0.95, confidence: float = 0.95) -> StopRule:
    """A fresh rule by name; unknown names raise ConfigError listing the valid ones."""
    if name not in STOP_RULES:
        raise ConfigError(f"unknown stop rule {name!r}", hint=f"stop rules: {', '.join(sorted(STOP_RULES))}")
    return STOP_RULES[name](target_recall=target_recall, confidence=confidence)


# ---------------------------------------------------------------------------------------------
# Evaluation (simulation, benchmark)


def replay_rule(rule: StopRule, ranked_labels: np.ndarray, n_priors: int, seed: int) -> dict[str, Any]:
    """Run one rule over a ranked label sequence (priors first, full length).

    When the rule asks for random sampling, the rest of the order is replaced by a seeded
    random permutation of the still-unscreened records — exactly what ``simulate`` does, so
    the sample is paid for.
    """
    labels = np.asarray(ranked_labels, dtype=np.int64)
    n = len(labels)
    rule.start(n_total=n, prior_labels=labels[:n_priors])
    seq = list(labels[:n_priors])
    i = n_priors
    while i < n and not rule.fired:
        if rule.wants_random_sample():
            rest = np.random.default_rng(seed + 7919).permutation(labels[i:])
            for lab in rest:
                seq.append(int(lab))
                rule.observe(int(lab), position=len(seq), random=True, n_unscreened=n - len(seq))
                if rule.fired:
                    break
            break
        seq.append(int(labels[i]))
        i += 1
        rule.observe(int(labels[i - 1]), position=len(seq), random=False, n_unscreened=n - len(seq))
    # the rest of the order does not matter for a fired rule; pad for the recall count
    return rule.result(labels_in_order=np.asarray(seq), n_total=n, n_relevant=int(labels.sum()))


def ranked_orders(df: pd.DataFrame, seeds: Sequence[int], model: str | None = None, warmup: int = 20,
                  growth: float = 0.05) -> dict[int, list[int]]:
    """Per seed, the row indices of a simulated screening of ``df`` in ranked order up to the
    last relevant record (priors first), with a coarser retraining schedule (``warmup`` /
    ``growth``) than the default, to afford many seeds: the statistical rule's guarantee does
    not depend on how good the ranking is."""
    from screening.ml.registry import parse_spec
    from screening.ml.simulate import simulate

    X = parse_spec(model).build("features").fit_transform(df)
    pos = {rid: i for i, rid in enumerate(df["record_id"].astype(str))}
    return {seed: [pos[r] for r in simulate(df, seed=seed, stop_at_last_relevant=True, warmup=warmup,
                                            growth=growth, features=X, model=model).order]
            for seed in seeds}


def evaluate_stop_rules(df: pd.DataFrame, seeds: Sequence[int] = tuple(range(1, 11)),
                        rules: Sequence[str] = tuple(STOP_RULES), order_fn: Callable[[int], list[int]] | None = None,
                        target_recall: float = 0.95, confidence: float = 0.95, warmup: int = 20,
                        growth: float = 0.05, model: str | None = None) -> list[dict[str, Any]]:
    """Every rule on ranked simulations of ``df`` for each seed (benchmark helper).

    ``order_fn(seed)`` returns row indices in screening order up to the last relevant record
    (priors first); by default :func:`ranked_orders` simulates them.
    """
    labels = df["label"].to_numpy(dtype=np.int64)
    if order_fn is None:
        orders = ranked_orders(df, seeds, model, warmup, growth)
        order_fn = orders.__getitem__
    rows = []
    for seed in seeds:
        order = list(order_fn(seed))
        seen = set(order)
        rest = [i for i in range(len(labels)) if i not in seen]
        full = labels[np.asarray(order + rest)]     # after the last relevant, all irrelevant
        for name in rules:
            out = replay_rule(get_stop_rule(name, target_recall, confidence), full, 2, seed)
            out["reached"] = out["recall"] >= target_recall
            out.update({"seed": seed, "n": len(labels)})
            rows.append({k: (v.item() if isinstance(v, np.generic) else v) for k, v in out.items()})
    return rows
