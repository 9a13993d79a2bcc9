"""Replay a labelled dataset as if a reviewer screened it in the ranker's order.

The reviewer is simulated by the labels: the priors are screened first, then the learner
picks the next record(s), "reads" their label, retrains and re-ranks, until the dataset is
exhausted. With a stop rule, the rule watches every decision; the statistical rule switches
the reviewer to a random sample of the unscreened records when it would in real use, so its
cost is counted honestly, and the order records where each rule fired.

Retraining schedule (documented speed/quality trade-off): the model is refitted after every
record while fewer than ``warmup`` records are screened, and after that every
``max(1, floor(n_screened * growth))`` records — *or immediately after any relevant record*,
because a new inclusion is what changes a ranking most. Late in a long run, when inclusions
are rare, a batch of tens of records costs little quality and saves most of the refits. From
:data:`LARGE_TRAINING_SET` screened records on, inclusions too wait for a step:
:func:`inclusion_step` of them (2 % of those found), since a fit then takes seconds and one
inclusion among hundreds hardly moves the ranking (no benchmark dataset is that large; a
screening session follows the same schedule, :mod:`screening.decisions.reranking`).

The labelled CSV itself is read by :mod:`screening.ml.labelled_dataset`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from screening.errors import ConfigError, InputError
from screening.ml.labelled_dataset import read_dataset
from screening.ml.learner import ActiveLearner, check_seed
from screening.ml.metrics import padded_labels, summary, undefined_reason
from screening.ml import priors_in_both
from screening.ml.registry import DEFAULT_SPEC

# labels from which a new inclusion no longer retrains at once (see the module docstring)
LARGE_TRAINING_SET = 10_000


def inclusion_step(included: int, growth: float) -> int:
    """New inclusions that retrain a model trained on :data:`LARGE_TRAINING_SET` labels or
    more, ``included`` of them inclusions."""
    return max(1, int(included * growth))


def choose_priors(labels: Sequence[int] | np.ndarray, seed: int) -> tuple[list[int], list[int]]:
    """1 included + 1 excluded row index chosen by ``seed`` (shared with the benchmark)."""
    labels = np.asarray(labels, dtype=int)
    rng = np.random.default_rng(seed)
    inc = np.flatnonzero(labels == 1)
    exc = np.flatnonzero(labels == 0)
    if len(inc) == 0 or len(exc) == 0:
        raise InputError("the dataset needs at least one included and one excluded record",
                         hint="check the label_included column")
    return [int(rng.choice(inc))], [int(rng.choice(exc))]


@dataclass
class SimulationResult:
    """The screening order and what it achieved."""

    order: list[str]                      # record_ids in screening order (priors first)
    labels: list[int]                     # their labels
    n_priors: int
    metrics: dict[str, float]             # priors excluded, ASReview definitions
    model: dict[str, Any]                 # learner info at the last update
    n_updates: int
    stops: dict[str, dict[str, Any]] = field(default_factory=dict)   # rule -> stop details
    warnings: tuple[str, ...] = ()        # what reading the dataset had to guess (encoding...)
    label_column: str = ""                # the dataset's column the answers came from
    # per position, 1 where the record was drawn in a stop rule's random sample; None without a
    # rule that samples (ORDER.csv then has no such column, as before)
    sampled: list[int] | None = None
    no_metrics: str = ""                  # why ``metrics`` is empty (metrics.undefined_reason)

    def to_frame(self) -> pd.DataFrame:
        df = pd.DataFrame({"position": np.arange(1, len(self.order) + 1), "record_id": self.order,
                           "label": self.labels})
        for name, stop in self.stops.items():
            col = "stop" if len(self.stops) == 1 else f"stop_{name}"
            flag = np.zeros(len(self.order), dtype=int)
            if stop.get("fired") and stop.get("position"):      # a rule that never fired marks nothing
                flag[int(stop["position"]) - 1] = 1
            df[col] = flag
        if self.sampled is not None:
            df["sampled"] = np.asarray(self.sampled, dtype=int)
        return df


def _indices(df: pd.DataFrame, labels: np.ndarray, ids: Sequence[str], what: str) -> list[int]:
    """Row positions of the prior records; each must exist and carry the label it is given as.

    A prior 'included' record labelled 0 would be replayed as a find the dataset says is not
    one: the recall figures would silently count it as found. That is almost always a typo.
    """
    pos = {rid: i for i, rid in enumerate(df["record_id"].astype(str).tolist())}
    expected = 1 if what == "included" else 0
    out = []
    for rid in ids:
        if str(rid) not in pos:
            raise InputError(f"prior {what} record {rid!r} is not in the dataset", record=str(rid),
                             hint="give record_id values from the CSV")
        i = pos[str(rid)]
        if int(labels[i]) != expected:
            raise InputError(f"prior {what} record {rid!r} has label_included={int(labels[i])} "
                             f"in the dataset", record=str(rid),
                             hint=f"give it as --prior-{'excluded' if expected else 'included'}, "
                                  "or choose another record")
        out.append(i)
    return out


def simulate(df: pd.DataFrame, prior_included: Sequence[str] = (), prior_excluded: Sequence[str] = (),
             seed: int = 1, model: str | None = None, stop_rules: Sequence[str] = (),
             target_recall: float = 0.95, confidence: float = 0.95, warmup: int = 300,
             growth: float = 0.02, stop_at_last_relevant: bool = False,
             features: Any = None, learner: Any = None) -> SimulationResult:
    """Replay ``df`` (needs ``record_id`` and ``label``; text in title/abstract/keywords).

    Without priors, 1 included + 1 excluded are chosen by ``seed``. Same inputs and seed give
    the same order. ``stop_at_last_relevant`` ends the run once every relevant record is found
    (benchmarks: the metrics do not depend on the rest). ``features``: a precomputed feature
    matrix for ``df`` (rows aligned), to share one TF-IDF fit between many seeds. ``learner``:
    a ready learner with ``ActiveLearner``'s interface (features set) to drive instead of one
    built from ``model`` (benchmarks: learners combining several models).
    """
    from screening.ml.stopping import get_stop_rule

    seed = check_seed(seed, InputError, hint="e.g. --seed 1")    # before the priors are drawn with it
    labels = df["label"].to_numpy(dtype=np.int64) if "label" in df else df["label_included"].astype(int).to_numpy()
    n = len(df)
    if prior_included or prior_excluded:
        if both := priors_in_both(prior_included, prior_excluded):
            raise InputError(both, hint="give each record as --prior-included or --prior-excluded, not both")
        inc = _indices(df, labels, prior_included, "included")
        exc = _indices(df, labels, prior_excluded, "excluded")
    else:
        inc, exc = choose_priors(labels, seed)
    priors = list(dict.fromkeys(inc + exc))
    if learner is None:
        learner = ActiveLearner(DEFAULT_SPEC if model is None else model, seed=seed)
        if features is not None:
            learner.use_features(features, ids=df["record_id"])
        else:
            learner.fit_features(df)
    rules = [get_stop_rule(name, target_recall=target_recall, confidence=confidence) for name in stop_rules]
    rng = np.random.default_rng(seed + 7919)

    order: list[int] = list(priors)
    drawn: list[int] = [0] * len(priors)      # 1: picked at random for a rule's sample
    pool = np.ones(n, dtype=bool)
    pool[priors] = False
    left = int(pool.sum())        # unscreened records, counted down (no scan of the pool per record)
    for r in rules:
        r.start(n_total=n, prior_labels=labels[priors])
    n_rel_total = int(labels.sum())
    found = int(labels[priors].sum())
    n_updates = 0
    since_fit = 0
    need_fit = True
    incl_since_fit = 0
    while left:
        if stop_at_last_relevant and found >= n_rel_total:
            break
        sampling = next((r for r in rules if r.wants_random_sample() and not r.fired), None)
        if sampling is not None:
            pick = np.array([int(rng.choice(np.flatnonzero(pool)))])
        else:
            screened = len(order)
            batch = 1 if screened < warmup else max(1, int(screened * growth))
            if need_fit or since_fit >= batch:
                learner.update(order, labels[order])
                n_updates += 1
                since_fit = incl_since_fit = 0
                need_fit = False
            pick = learner.next_batch(pool, 1)
        for i in pick:
            i = int(i)
            pool[i] = False
            left -= 1
            order.append(i)
            drawn.append(int(sampling is not None))
            found += int(labels[i])
            since_fit += 1
            if labels[i] == 1:
                incl_since_fit += 1
                # found: the relevant records screened so far, this one and the priors included
                need_fit = need_fit or len(order) < LARGE_TRAINING_SET or incl_since_fit >= inclusion_step(
                    found, growth)
            for r in rules:
                r.observe(int(labels[i]), position=len(order), random=sampling is not None,
                          n_unscreened=left)
    seq = padded_labels(order, labels, len(priors))
    ids = df["record_id"].astype(str).tolist()
    stops = {r.name: r.result(labels_in_order=labels[order], n_total=n, n_relevant=n_rel_total) for r in rules}
    prior_relevant = int(labels[priors].sum())
    for stop in stops.values():
        # the rule's own recall counts the priors as found (they are part of what the team has,
        # and the guarantee is about every relevant record); the metrics above exclude them
        got = int(labels[order[:stop["position"]]].sum()) - prior_relevant
        rest = n_rel_total - prior_relevant
        stop["recall_without_priors"] = got / rest if rest else 1.0
    return SimulationResult(order=[ids[i] for i in order], labels=[int(labels[i]) for i in order],
                            n_priors=len(priors), metrics=summary(seq), model=learner.info(),
                            n_updates=n_updates, stops=stops,
                            no_metrics=undefined_reason(n_rel_total, prior_relevant),
                            sampled=drawn if any(r.samples for r in rules) else None)


def simulate_file(path: str, prior_included: Sequence[str] = (), prior_excluded: Sequence[str] = (),
                  seed: int = 1, model: str | None = None, stop_rule: str | None = None,
                  target_recall: float | None = None, confidence: float | None = None,
                  output: str | Path | None = None, label_column: str | None = None) -> SimulationResult:
    """``screening simulate``: read the CSV and replay it to the end of the dataset; with
    ``output``, write ORDER.csv there (atomically; never over the dataset itself).

    ``target_recall`` / ``confidence`` (default 0.95 each) parameterise the statistical rule;
    given with no rule or with a heuristic one they would change nothing, so that is refused
    rather than ignored.
    """
    from screening.ml.stopping import get_stop_rule

    given = [flag for flag, v in (("--target-recall", target_recall), ("--confidence", confidence))
             if v is not None]
    if given and (stop_rule is None or not get_stop_rule(stop_rule).guarantee):
        raise ConfigError(f"{' and '.join(given)} only appl{'y' if len(given) > 1 else 'ies'} to the statistical stop rule "
                          f"({'no --stop-rule was given' if stop_rule is None else f'{stop_rule!r} is a heuristic with no recall target'})",
                          hint="add --stop-rule hypergeometric, or leave them out")
    if output is not None and Path(output).exists() and Path(output).resolve() == Path(path).resolve():
        raise InputError("the output file is the dataset itself: it would be overwritten by the order",
                         path=output, hint="write the order to another file (-o order.csv)")
    if output is not None:
        _check_output(Path(output))        # before the run, not after it (IsADirectoryError)
    warnings: list[str] = []
    df = read_dataset(path, label_column, warnings)
    res = simulate(df, prior_included, prior_excluded, seed=seed, model=model,
                   stop_rules=(stop_rule,) if stop_rule else (),
                   target_recall=0.95 if target_recall is None else target_recall,
                   confidence=0.95 if confidence is None else confidence)
    if output is not None:
        from screening.atomic_files import atomic_write_text

        from screening.csv_formulas import escape_formula

        order = res.to_frame()     # ids from a hostile dataset ('=HYPERLINK(...)') must not run in a spreadsheet
        order["record_id"] = [escape_formula(str(v)) for v in order["record_id"]]
        atomic_write_text(Path(output), order.to_csv(index=False, lineterminator="\n"))
    return dataclasses.replace(res, warnings=tuple(warnings), label_column=str(df.attrs.get("label_column", "")))


def _check_output(output: Path) -> None:
    """The order can be written to ``output``: not a folder, and its folder exists."""
    if output.is_dir():
        raise InputError("the output is a folder, not a file", path=output,
                         hint=f"name the file to write, e.g. -o {output / 'order.csv'}")
    parent = output.parent
    if not parent.is_dir():
        raise InputError(f"the output's folder {str(parent)!r} does not exist" if not parent.exists()
                         else f"the output's folder {str(parent)!r} is not a folder", path=output,
                         hint="create the folder first, or write the order elsewhere")
