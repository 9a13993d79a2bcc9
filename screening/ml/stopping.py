"""When to stop screening: a statistical rule with a stated recall guarantee, plus heuristics.

The statistical rule (``hypergeometric``) is Callaghan & Müller-Hansen (2020), *Statistical
stopping criteria for automated screening in systematic reviews*, Systematic Reviews 9:273:

1. screen in ranked order until the ranking stops paying (here: ``switch_after`` consecutive
   irrelevant records, by default max(50, 2.5 % of the records));
2. then screen a **random sample** of the ``N`` records still unscreened at that moment;
3. after each sampled record, with ``r_AL`` relevant found before the switch, ``k`` relevant in
   the ``n`` sampled records and target recall ``τ``, the null hypothesis "recall < τ" means
   at least ``K = floor((r_AL + k) / τ) + 1 - r_AL`` relevant records were among the ``N``.
   Under it, finding ``k`` or fewer in the sample has probability
   ``p = HypergeomCDF(k; N, K, n)``; stop when ``p < 1 - confidence``.

What the guarantee means: if a team follows the procedure, the chance that it stops with
recall below τ is at most ``1 - confidence`` (5 %), whatever the ranker did — because the
sample is random. The price is the sample: with few relevant records, ruling out even one
missed record needs a large share of the remaining pool. The heuristics below are cheaper
and carry no guarantee; the benchmark counts how often they miss the target.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from screening.errors import ConfigError
from screening.records import in_play

if TYPE_CHECKING:       # only for the annotation: the ML side does not import the decision log
    from screening.decisions.stops import StopScope


# ---------------------------------------------------------------------------------------------
# Statistics


def hypergeom_pvalue(k: int, N: int, n: int, r_before: int, target_recall: float) -> float:
    """p-value of H0 "recall < target" after sampling ``n`` of ``N`` unscreened records, ``k`` relevant.

    ``r_before`` relevant records were found before the random sample began.
    """
    from scipy.stats import hypergeom   # here: importing scipy.stats takes ~0.3 s

    K = min_missing_under_h0(k, r_before, target_recall)
    if K > N:          # H0 needs more relevant records than there were unscreened records
        return 0.0
    return float(hypergeom.cdf(k, N, K, n))


def min_missing_under_h0(k: int, r_before: int, target_recall: float) -> int:
    """Smallest number of relevant records among the sampled-from pool under H0 (recall < τ)."""
    # "recall < τ" ⇔ total > (r_before + k) / τ; the epsilon keeps an exact multiple (19/0.95 = 20)
    # from flooring to 19.999… and testing a weaker hypothesis than H0.
    return int(math.floor((r_before + k) / target_recall + 1e-9)) + 1 - r_before


def recall_bound(k: int, N: int, n: int, r_before: int, confidence: float) -> tuple[float, float]:
    """(point estimate, one-sided lower confidence bound) for recall so far.

    The bound uses the largest number of relevant records in the sampled-from pool that the
    sample does not reject at level ``1 - confidence`` (exact hypergeometric inversion).
    """
    found = r_before + k
    if N <= 0 or n <= 0:
        return (1.0 if found else 0.0), 0.0
    # point estimate: the maximum-likelihood number of relevant records in the pool,
    # floor(k (N + 1) / n) (integer, so it never falls below the bound's count; the
    # fractional k / n * (N - n) put the estimate under its own lower bound when only a
    # few records are left unsampled)
    est_missing = min(N, (k * (N + 1)) // n) - k
    est = found / (found + est_missing) if found + est_missing > 0 else 1.0
    from scipy.stats import hypergeom

    alpha = 1 - confidence
    # The largest K the sample does not reject: P(X <= k | K) falls as K grows, so bisect.
    lo, hi = k, N
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if hypergeom.cdf(k, N, mid, n) >= alpha:
            lo = mid
        else:
            hi = mid - 1
    missing = lo - k
    bound = found / (found + missing) if found + missing > 0 else 1.0
    return float(est), float(bound)


# ---------------------------------------------------------------------------------------------
# Rules (observe one decision at a time; fire once)


class StopRule:
    name = "rule"
    guarantee = False

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


def switch_threshold(n_total: int, fraction: float = 0.025, minimum: int = 50) -> int:
    """Irrelevant records in a row after which ranked screening switches to the random sample."""
    return max(minimum, math.ceil(fraction * n_total))


class Hypergeometric(StopRule):
    """Callaghan & Müller-Hansen (2020): ranked screening, then a random sample + hypergeometric test."""

    name = "hypergeometric"
    guarantee = True

    def __init__(self, target_recall: float = 0.95, confidence: float = 0.95,
                 switch_after: int | None = None, switch_fraction: float = 0.025, min_switch: int = 50) -> None:
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
                self.p = hypergeom_pvalue(0, self.N, 0, self.r_before, self.target_recall)
                return self.p < 1 - self.confidence
            return False
        self.n += 1
        self.k += label
        self.p = hypergeom_pvalue(self.k, self.N, self.n, self.r_before, self.target_recall)
        return self.p < 1 - self.confidence

    def details(self) -> dict[str, Any]:
        est, bound = recall_bound(self.k, self.N, self.n, self.r_before, self.confidence) if self.sampling else (None, None)
        return {"switch_position": self.switch_position, "sample_size": self.n, "sample_relevant": self.k,
                "p_value": self.p, "estimated_recall": est, "recall_bound": bound,
                "target_recall": self.target_recall, "confidence": self.confidence}


STOP_RULES: dict[str, Callable[..., StopRule]] = {
    "hypergeometric": lambda target_recall=0.95, confidence=0.95: Hypergeometric(target_recall, confidence),
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
# Evaluation (benchmark) and status (screening UI)


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


def evaluate_stop_rules(df: pd.DataFrame, seeds: Sequence[int] = tuple(range(1, 11)),
                        rules: Sequence[str] = tuple(STOP_RULES), order_fn: Callable[[int], list[int]] | None = None,
                        target_recall: float = 0.95, confidence: float = 0.95, warmup: int = 20,
                        growth: float = 0.05, model: str | None = None) -> list[dict[str, Any]]:
    """Every rule on ranked simulations of ``df`` for each seed (benchmark helper).

    ``order_fn(seed)`` returns row indices in screening order up to the last relevant record
    (priors first); by default it runs :func:`screening.ml.simulate.simulate` with a coarser
    retraining schedule (``warmup``/``growth``) than the default, to afford many seeds: the
    statistical rule's guarantee does not depend on how good the ranking is.
    """
    from screening.ml.simulate import simulate

    from screening.ml.registry import parse_spec

    labels = df["label"].to_numpy(dtype=np.int64)
    X = parse_spec(model).build("features").fit_transform(df) if order_fn is None else None
    pos = {rid: i for i, rid in enumerate(df["record_id"].astype(str))}
    rows = []
    for seed in seeds:
        if order_fn is not None:
            order = list(order_fn(seed))
        else:
            res = simulate(df, seed=seed, stop_at_last_relevant=True, warmup=warmup, growth=growth,
                           features=X, model=model)
            order = [pos[r] for r in res.order]
        seen = set(order)
        rest = [i for i in range(len(labels)) if i not in seen]
        full = labels[np.asarray(order + rest)]     # after the last relevant, all irrelevant
        for name in rules:
            out = replay_rule(get_stop_rule(name, target_recall, confidence), full, 2, seed)
            out["reached"] = out["recall"] >= target_recall
            out.update({"seed": seed, "n": len(labels)})
            rows.append({k: (v.item() if isinstance(v, np.generic) else v) for k, v in out.items()})
    return rows


def _awaiting(n: int) -> str:
    return (f" {n} screened record{'s' if n != 1 else ''} still await{'' if n != 1 else 's'} a second "
            "reviewer or an adjudicator: settle them too (screening status, screening conflicts)."
            if n else "")


def stopping_frame(labels: Mapping[str, int], decisions: pd.DataFrame | None) -> tuple[pd.DataFrame, set[str]]:
    """The stopping test's inputs from the ranker's labels (the priors, overridden by the logged
    decisions) and the decisions frame (``decisions.views.training_labels``): a labels frame that
    keeps how each record was first decided (``sampled``, ``ranked``, ``first_event``; a prior
    nobody decided is none of them), and the records with a logged decision. Decisions without a
    ``ranked`` column (a caller from before it) give a frame without one: every label not in the
    sample then counts toward the run, as it did."""
    cols = ["sampled", "ranked", "first_event"]
    if decisions is not None and "ranked" not in decisions.columns:
        cols = ["sampled"]
    known: dict[str, dict[str, Any]] = {}
    if decisions is not None and len(decisions):
        present = [c for c in cols if c in decisions.columns]
        for rid, *vals in zip(decisions["record_id"].astype(str), *(decisions[c] for c in present)):
            known[rid] = dict(zip(present, vals))
    default = {"sampled": False, "ranked": False, "first_event": -1}
    frame = pd.DataFrame({"record_id": list(labels), "label": list(labels.values()),
                          **{c: [known.get(str(r), {}).get(c, default[c]) for r in labels] for c in cols}})
    types = {"record_id": object, "label": "int64", "sampled": bool, "ranked": bool, "first_event": "int64"}
    logged = set(decisions["record_id"].astype(str)) if decisions is not None and len(decisions) else set()
    return frame.astype({c: t for c, t in types.items() if c in frame.columns}), logged


def _ranked_run(labels: pd.DataFrame, sampled: np.ndarray) -> int:
    """Irrelevant records in a row at the end of ranked screening.

    With a ``ranked`` column, only the records first decided in ranked order count, in the order
    of those decisions (``first_event``): a `--only` session's, a typed or an imported decision
    says nothing of whether the ranking still pays, and a prior (listed first) takes its place
    from when it was decided. Without one (a caller from before the column), every label not in
    the sample counts, in the frame's order."""
    if "ranked" in labels.columns:
        keep = labels["ranked"].astype(bool).to_numpy() & ~sampled
        rows = labels[keep]
        if "first_event" in rows.columns:
            rows = rows.sort_values("first_event", kind="stable")
        seq = rows["label"].astype(int).to_numpy()
    else:
        seq = labels["label"].astype(int).to_numpy()[~sampled]
    run = 0
    for v in seq[::-1]:
        if v:
            break
        run += 1
    return run


def _stopped_text(stop: StopScope, added: int, then: str, awaiting: int) -> str:
    """The recommendation while a logged stop stands."""
    ev = stop.latest
    forced = " before the stopping test was met" if ev.payload.get("forced") else ""
    said = (f"Screening was stopped by {ev.reviewer} on {str(ev.created_at)[:10]}{forced}: the records nobody "
            "had screened then are reported as excluded by the stopping rule (`screening stop REVIEW "
            "--resume -r NAME` reopens screening).")
    if added:
        return (f"{said} {added} record{'s' if added != 1 else ''} added since the stop "
                f"{'are' if added != 1 else 'is'} still to screen: {then}")
    return said + _awaiting(awaiting)


def stopping_status(records_table: pd.DataFrame, labels_frame: pd.DataFrame | None, config: Any = None,
                    play: np.ndarray | None = None, open_ids: Iterable[str] = (),
                    logged_ids: Iterable[str] | None = None, stop: StopScope | None = None) -> dict[str, Any]:
    """Where a review stands against the statistical stopping rule (for the screening UI).

    ``labels_frame``: record_id, label (1/0) of the screened in-play records, in screening
    order; an optional boolean column ``sampled`` marks decisions made on the *random sample*
    (records drawn at random after switching, see docs/ranking.md); an optional boolean column
    ``ranked`` (with ``first_event``, the order of those decisions) marks the records first
    decided in ranked order, the only ones the irrelevant-in-a-row count reads (see
    :func:`stopping_frame`). A prior record (``config``'s ``prior_included`` /
    ``prior_excluded``) is never in the sample: the team knew it before screening began.
    ``config``: anything with ``target_recall`` / ``confidence`` (RankConfig), defaults 0.95 /
    0.95. ``play``: the table's :func:`~screening.records.in_play` mask, when the caller already has it.
    ``open_ids``: records some reviewer decided without the outcome being settled (a second
    reviewer or an adjudicator to come; ``decisions.views.open_records``): screened by a person, so
    not "unscreened", but the team is not done with them. ``logged_ids``: the records with a
    decision in the log, when ``labels_frame`` also holds labels from elsewhere (the team's
    prior records): "unscreened" then counts what nobody decided in the log, as PRISMA does,
    while the test still uses every label. ``stop``: the standing logged stop
    (``decisions.stops.standing_stop``), if any: the recommendation then says screening was
    stopped (by whom, when, how to reopen) instead of advising to record a stop, and names the
    records added since (a search update's), which are still to screen.

    Returns screened, relevant_found, pool, estimated_recall + recall_bound (or "not yet"),
    p_value and a recommendation sentence.
    """
    tau = float(getattr(config, "target_recall", 0.95))
    conf = float(getattr(config, "confidence", 0.95))
    play = in_play(records_table).to_numpy() if play is None else play
    pool = int(play.sum())
    labels = labels_frame if labels_frame is not None else pd.DataFrame(columns=["record_id", "label"])
    ids = set(records_table["record_id"].astype(str)[play])
    labels = labels[labels["record_id"].astype(str).isin(ids)]
    lab = labels["label"].astype(int).to_numpy()
    sampled = labels["sampled"].astype(bool).to_numpy() if "sampled" in labels else np.zeros(len(lab), bool)
    priors = {str(r) for r in (*getattr(config, "prior_included", ()), *getattr(config, "prior_excluded", ()))}
    if priors:
        # a prior decided in a sample session (older sessions served them) was known before the
        # sample was drawn: counting it as sampled would credit the sample with a find
        sampled = sampled & ~labels["record_id"].astype(str).isin(priors).to_numpy()
    screened, found = len(lab), int(lab.sum())
    waiting = {str(r) for r in open_ids} & ids
    awaiting = len(waiting)
    # a record whose only decisions are 'maybe' has no label but was screened by a person
    decided = set(labels["record_id"].astype(str)) if logged_ids is None else {str(r) for r in logged_ids} & ids
    unscreened = pool - len(decided | waiting)
    # records no stop closed that nobody has decided: an update's, after a stop
    added = len(ids - decided - waiting - stop.records) if stop is not None else 0
    out: dict[str, Any] = {"screened": screened, "relevant_found": found, "pool": pool,
                           "unscreened": unscreened, "target_recall": tau, "confidence": conf,
                           "estimated_recall": "not yet", "recall_bound": "not yet", "p_value": None,
                           "met": False,     # True once screening may stop
                           "awaiting_settlement": awaiting}
    if unscreened == 0 and pool:
        out.update(estimated_recall=1.0, recall_bound=1.0, met=True,
                   recommendation="Every record is screened: nothing left to find." + _awaiting(awaiting))
        return out
    _test(out, lab, sampled, labels, pool, tau, conf, awaiting)
    if stop is not None:
        out["stopped_by"], out["stopped_at"] = stop.latest.reviewer, stop.latest.created_at
        out["recommendation"] = _stopped_text(stop, added, out["recommendation"], awaiting)
    return out


def _test(out: dict[str, Any], lab: np.ndarray, sampled: np.ndarray, labels: pd.DataFrame, pool: int,
          tau: float, conf: float, awaiting: int) -> None:
    """The test's figures and recommendation, into ``out``: the sample's, once there is one,
    else how far ranked screening is from the switch point."""
    if sampled.any():
        r_before = int(lab[~sampled].sum())
        N = pool - int((~sampled).sum())
        n, k = int(sampled.sum()), int(lab[sampled].sum())
        p = hypergeom_pvalue(k, N, n, r_before, tau)
        est, bound = recall_bound(k, N, n, r_before, conf)
        out.update(p_value=p, estimated_recall=est, recall_bound=bound, sample_size=n, sample_relevant=k)
        if p < 1 - conf:
            out["met"] = True
            out["recommendation"] = (f"Stop: recall ≥ {tau:.0%} with {conf:.0%} confidence "
                                     f"(p = {p:.3g}; recall ≥ {bound:.1%} at {conf:.0%}). Record the stop with "
                                     "`screening stop REVIEW -r NAME`: the records nobody screened are then "
                                     "reported as excluded by the stopping rule." + _awaiting(awaiting))
        else:
            out["recommendation"] = (f"Keep screening the random sample (screening screen --sample; "
                                     f"p = {p:.3g} ≥ {1 - conf:.2g}); recall so far is estimated at {est:.1%}.")
        return
    run = _ranked_run(labels, sampled)
    threshold = switch_threshold(pool)
    out["irrelevant_in_a_row"] = run
    out["switch_at"] = threshold
    if run >= threshold:
        out["recommendation"] = (f"{run} irrelevant records in a row: switch to screening a random "
                                 "sample of the unscreened records (screening screen --sample) to test "
                                 f"whether recall has reached {tau:.0%} (no recall estimate is possible "
                                 "from ranked screening alone).")
    else:
        out["recommendation"] = (f"Keep screening in rank order ({run} of {threshold} irrelevant in a row "
                                 "before the random-sample check).")
