"""rank: score and order the records still in play, learning from the decisions made so far.

Stage order 40 (after dedup and rules). Pure: the decisions arrive in ``StageInputs.decisions``
(record_id, label) from the decision log, loaded by :func:`load_inputs`. Records in play are
those with no ``duplicate_of`` and ``rule_decision`` other than "exclude" (missing columns
count as in play). Every row gets ``model_id``; in-play rows not yet screened get a ``score``
and a ``rank`` (1 = screen first). Screened and out-of-play rows keep ``score``/``rank`` empty
(a screened record's score, fitted to its label, would unblind its decision).

The report records the model (components, parameters, training-set size, seed) and a
``model_id`` hashing them, so any ranking can be reproduced and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, NamedTuple

import numpy as np
import pandas as pd

from screening.config import config_parameters, from_mapping
from screening.errors import ConfigError, StageError
from screening.ml import DEFAULT_SPEC, priors_in_both
from screening.record_marks import in_play, without_abstract
from screening.stage import Stage, StageInputs, StageReport, StageResult, register_stage

# The ML stack (scikit-learn, scipy.stats: ~1 s to import) is imported inside the functions
# that use it: every command that loads a review registers this stage, and most never rank.


@dataclass(frozen=True)
class RankConfig:
    """``[rank]`` in the review TOML. Unknown keys are errors."""

    model: str = DEFAULT_SPEC                 # features+classifier+balance+query
    seed: int = 1
    prior_included: tuple[str, ...] = ()      # record ids the team marks as known relevant
    prior_excluded: tuple[str, ...] = ()      # ... and known irrelevant
    batch_size: int = 1                       # decisions between re-ranks in a screening session
    stop_rule: str = "hypergeometric"
    target_recall: float = 0.95
    confidence: float = 0.95
    # the team's decision to stop title/abstract screening (PRISMA then reports the records left
    # unscreened as excluded by automation tools); a decision people make, so it is config
    stopped: bool = False

    @classmethod
    def from_toml(cls, table: Mapping[str, Any], path: Path | None = None) -> "RankConfig":
        from screening.ml.stopping import get_stop_rule

        cfg = from_mapping(cls, table, "rank", path)
        try:
            # a spec other than the default is checked now (naming the bad component) rather than
            # when the stage runs; the default is known good, and skipping it keeps commands that
            # only read the review (status, log) from importing scikit-learn (~0.5-1 s)
            if cfg.model.strip() != DEFAULT_SPEC:
                from screening.ml.registry import parse_spec

                parse_spec(cfg.model)
            get_stop_rule(cfg.stop_rule, cfg.target_recall, cfg.confidence)
        except ConfigError as err:
            raise ConfigError(f"rank section: {err.message}", path=path, hint=err.hint) from None
        if cfg.batch_size < 1:
            raise ConfigError("rank section: batch_size must be at least 1", path=path)
        check_priors(cfg, path)
        return cfg


def check_priors(config: RankConfig, path: Path | None = None) -> None:
    """A record in both prior lists is an error (it used to count as included, silently);
    ``screening simulate`` refuses the same with the same words."""
    if both := priors_in_both(config.prior_included, config.prior_excluded):
        raise ConfigError(f"rank section: {both}", path=path,
                          hint="keep each record in one list: prior_included if it is relevant, "
                               "prior_excluded if not")


def labels_with_priors(records: pd.DataFrame, config: RankConfig,
                       decisions: pd.DataFrame | None) -> tuple[dict[str, int], list[str]]:
    """record_id -> label from priors, overridden by logged decisions; plus warnings."""
    ids = set(records["record_id"].astype(str))
    labels: dict[str, int] = {}
    warnings: list[str] = []
    check_priors(config)
    for rid in config.prior_excluded:
        labels[str(rid)] = 0
    for rid in config.prior_included:
        labels[str(rid)] = 1
    unknown = [r for r in labels if r not in ids]
    if unknown:
        raise StageError(f"prior record {unknown[0]!r} is not in the records table", record=unknown[0],
                         hint="the rank section's prior_included / prior_excluded must name record_id values")
    if decisions is not None and len(decisions):
        missing = [c for c in ("record_id", "label") if c not in decisions.columns]
        if missing:
            raise StageError(f"decisions lack column(s) {missing}", hint="expected record_id, label")
        stray = 0
        for rid, lab in zip(decisions["record_id"].astype(str), decisions["label"]):
            if rid not in ids:
                stray += 1
                continue
            labels[rid] = int(lab)
        if stray:
            # one training label per record (each record's decisions folded into one label)
            warnings.append(f"{stray} decided record{'s are' if stray != 1 else ' is'} not in the table; "
                            f"{'their labels are' if stray != 1 else 'its label is'} ignored")
    return labels, warnings


def run(records: pd.DataFrame, config: RankConfig, inputs: StageInputs) -> StageResult:
    from screening.ml.learner import ActiveLearner
    from screening.ml.stopping_status import stopping_frame, stopping_status

    if config.stop_rule != "hypergeometric":
        # the review's status, rank.json and PRISMA run the statistical rule; a heuristic named
        # here was reported under its name while the hypergeometric one ran. Refused when the
        # ranking runs (not when the TOML loads, so status/log/export still work meanwhile)
        # a configuration error (exit code 4), as docs/ranking.md says
        raise ConfigError(f"[rank] stop_rule = {config.stop_rule!r} cannot stop a review",
                          hint="remove the stop_rule line (or set it to \"hypergeometric\", the rule with a "
                               "recall guarantee); compare the heuristics with `screening simulate --stop-rule NAME`")
    out = records.copy()
    n = len(out)
    play = in_play(out).to_numpy()
    labels, warnings = labels_with_priors(out, config, inputs.decisions)
    ids = out["record_id"].astype(str).to_numpy()
    play_idx = np.flatnonzero(play)
    learner = ActiveLearner(config.model, seed=config.seed)
    score = np.full(n, np.nan)
    rank_val = np.zeros(n, dtype=np.int64)
    has_rank = np.zeros(n, dtype=bool)
    trained_on: list[int] = []
    if len(play_idx):
        pool = out.iloc[play_idx]
        # the pool's matrix from an earlier run or session on the same texts, if the runner gave a cache
        learner.fit_features(pool, cache=inputs.unhashed.get("feature_cache"))
        local = {rid: i for i, rid in enumerate(ids[play_idx])}
        trained_on = [local[r] for r in labels if r in local]
        y = np.array([lab for r, lab in labels.items() if r in local], dtype=np.int64)
        off_play = len(labels) - len(trained_on)
        if off_play:
            warnings.append(f"{off_play} labelled record(s) are out of play (duplicate or rule-excluded); "
                            "not used for training")
        s = learner.update(trained_on, y)
        score[play_idx] = s
        # no score on the records it was trained on: fitted to their labels, the scores would
        # tell a blinded reviewer (reading rank.csv or an export) how the other one decided
        score[play_idx[trained_on]] = np.nan
        unscreened = np.ones(len(play_idx), dtype=bool)
        unscreened[trained_on] = False
        order = learner.rank(unscreened)
        rank_val[play_idx[order]] = np.arange(1, len(order) + 1)
        has_rank[play_idx[order]] = True
    info = learner.info()
    if info["mode"] != "classifier":
        warnings.append(
            "no labels of both classes yet: ranked by "
            + ("similarity to the included records" if info["mode"] == "prior-similarity" else "file order")
            + "; add prior_included/prior_excluded in [rank] or screen some records first")
    # Relevant records without an abstract are ranked late (benchmark: mean relative rank 0.90
    # among the relevant records vs 0.49), so the team should know how many wait in the ranking.
    no_abstract = int((has_rank & without_abstract(out).to_numpy()).sum())
    if no_abstract:
        warnings.append(f"{no_abstract} ranked record(s) have no abstract; the ranker tends to place such "
                        "records late, so decide them as a batch (screening screen --only no-abstract) "
                        "or use the hypergeometric stop rule (docs/ranking.md)")
    out["score"] = score
    out["rank"] = pd.Series(rank_val, index=out.index, dtype="Int64").where(has_rank, pd.NA)
    out["model_id"] = pd.Series([info["model_id"]] * len(out), index=out.index, dtype=object)
    lab_frame, logged = stopping_frame(labels, inputs.decisions)
    status = stopping_status(out, lab_frame, config, play=play,
                             open_ids=inputs.extra.get("open_records", ()), logged_ids=logged,
                             stop=inputs.unhashed.get("stop"), open_sampled=inputs.extra.get("open_sampled", ()),
                             ever_logged=inputs.unhashed.get("ever_logged", ()),
                             frame=inputs.unhashed.get("sample_frame"),
                             fresh_after=inputs.unhashed.get("sample_fresh_after"))
    if config.stopped:
        unlogged = [r for r in (*config.prior_included, *config.prior_excluded) if str(r) not in logged]
        if unlogged:
            warnings.append(f"prior record(s) {', '.join(map(str, unlogged[:5]))} have no decision in the log: "
                            "after the stop PRISMA counts them as excluded by the stopping rule; record "
                            "them with `screening decide`")
    status["rule"] = config.stop_rule
    # `stopped` stays the rank section's older flag: PRISMA reads it as a stop closing every
    # record nobody screened (a logged stop is scoped, and appears as stopped_by/stopped_at).
    # `screening_stopped` says whether screening is stopped either way.
    status["stopped"] = config.stopped
    status["screening_stopped"] = bool(config.stopped or inputs.unhashed.get("stop") is not None)
    if config.stopped and not status["met"]:
        warnings.append("the rank section says stopped = true, but the stopping test has not been met: "
                        + str(status.get("recommendation", "")))
    report = StageReport(
        stage="rank", records_in=n, records_out=n,
        counts={"in_play": int(play.sum()), "out_of_play": int((~play).sum()),
                "ranked": int(has_rank.sum()), "training_size": info["training_size"],
                "training_included": info["training_included"],
                "training_excluded": info["training_size"] - info["training_included"],
                "ranked_without_abstract": no_abstract},
        parameters=config_parameters(config), seed=config.seed, warnings=warnings,
        details={"model": info, "stopping": dict(status)},
    )
    return StageResult(out, report)


def load_inputs(review: Any) -> StageInputs:
    """Title/abstract decisions from the review's decision log (none if the log is absent)."""
    decisions = None
    extra: dict[str, Any] = {}
    unhashed: dict[str, Any] = {}
    from screening.decisions.entries import load_entries

    path = getattr(review, "decisions_path", None)
    if path is not None and Path(path).exists():
        decisions, extra["open_records"], extra["open_sampled"], unhashed["ever_logged"] = \
            decisions_from_log(load_entries(path))
        from screening.decisions.stops import review_stop

        stop = review_stop(path)      # the recommendation says a standing stop stands
        # keyed by the latest standing stop event: a stop or a resume re-ranks (rank.json's
        # recommendation changes), the scope object itself is read unhashed
        extra["stop"] = stop.latest.event_uuid if stop is not None else ""
        unhashed["stop"] = stop
        from screening.decisions.sample_frames import fresh_after, latest_frame

        # the records the stopping sample is drawn from (keyed by the frame, as the stop is)
        frame = latest_frame(path)
        extra["sample_frame"] = frame.event_uuid if frame is not None else ""
        unhashed["sample_frame"] = frame.records if frame is not None else None
        unhashed["sample_fresh_after"] = fresh_after(frame, stop)
    output_dir = getattr(review, "output_dir", None)
    if output_dir is not None:
        from screening.ml.feature_cache import FeatureCache

        # the features' matrix depends on the texts only, and is named by their digest: unhashed
        unhashed["feature_cache"] = FeatureCache(Path(output_dir) / "cache")
    return StageInputs(review_name=getattr(review, "name", ""), decisions=decisions, extra=extra,
                       unhashed=unhashed)


class LogLabels(NamedTuple):
    """What the rank stage and the stopping status read from the log's title/abstract events."""

    labels: pd.DataFrame                  # the ranker's labels (progress.training_labels)
    open_records: tuple[str, ...]         # decided by a person, not settled yet
    open_sampled: tuple[str, ...]         # those of them first decided in the random sample
    ever_logged: frozenset[str]           # every record with an event, undone ones too


def decisions_from_log(entries: pd.DataFrame) -> LogLabels:
    """The ranker's labels (``training_labels``), the records decided by a person but not
    settled yet (the stopping status counts them apart), those of them first decided in the
    random sample (the stopping test takes their worst case until settled) and every record
    the log has an event on, from one pass over the log's title/abstract decisions. The rank
    stage and a screening session's stopping line share it."""
    from screening.decisions.entries import standing_decisions
    from screening.decisions.origins import first_decisions
    from screening.decisions.outcomes import open_records, record_outcomes
    from screening.decisions.progress import training_labels

    standing = standing_decisions(entries, "title_abstract")      # once, for both views
    outcomes = record_outcomes(entries, "title_abstract", standing=standing)
    first = first_decisions(entries) if len(entries) else {}
    unsettled = tuple(open_records(entries, outcomes=outcomes))
    ever = (frozenset(entries.loc[entries["stage"] == "title_abstract", "record_id"].astype(str))
            if len(entries) else frozenset())
    return LogLabels(training_labels(entries, outcomes, standing=standing, first=first), unsettled,
                     tuple(r for r in unsettled if r in first and first[r].sampled), ever)


# version 2: the report's stopping block gained screening_stopped (a rank.json written by
# version 1 lacks it, so a review re-ranks once), and the ranking no longer learns decisions on
# records a second reviewer has still to decide (progress.training_labels: blinding);
# version 3: the stopping test counts unsettled sample records as relevant (sample_unsettled);
# version 4: it reads the sample's logged frame (records added during the sample: added_during_sample)
STAGE = register_stage(Stage(name="rank", order=40, run=run, config_type=RankConfig, toml_key="rank",
                             version="5", load_inputs=load_inputs))
