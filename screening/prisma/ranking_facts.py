"""What the review state records about how title/abstract records came before the reviewers,
for the methods paragraph (:mod:`screening.prisma.methods_ordering`): ``ordering`` counts the
screeners' standing decisions by what ordered their record (a trained ranking, similarity,
file order, the random sample, an import, the priors...), ``session_specs`` the model specs
screening sessions ranked with, and ``ranker_facts`` how the ranking and the stopping rule
were set up (the rank section, rank.json, the stop's figures, the log's run of irrelevant
records at the switch to the random sample). Read by :func:`screening.prisma.api._context`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from screening.config import ReviewConfig, project_root_for
from screening.decisions.entries import event_payload, standing_decisions
from screening.prisma.context import RankerFacts


@dataclass(frozen=True)
class Ordering:
    """The screeners' standing title/abstract decisions by what put their record on screen
    (``use``: kind -> count), how many of each import were its random sample
    (``imported_sampled``), whether the priors were decided before anything else, and each
    record's first decision (``first``: :func:`screening.decisions.origins.first_decisions`,
    read once per report, by this and by :func:`run_at_switch`)."""

    use: dict[str, int]
    imported_sampled: dict[str, int]
    priors_first: bool
    first: Mapping[str, Any] = field(default_factory=dict)


def ordering(entries: pd.DataFrame | None, priors: frozenset[str] = frozenset()) -> Ordering:
    """Title/abstract screener decisions by how their record was put in front of the reviewer:
    from the ranking id each decision records ('ranker-...', 'file-order-...', 'similarity-...';
    ids from before 0.2.0 carry no kind: 'unknown'), a random stopping sample ('sample'),
    imported from another tool ('imported:<format>'), or, whatever the session's queue, on one of
    the rank section's ``priors`` ('prior': records the team knew before screening, which a
    session serves first whatever the ranking says, and never in the random sample). An import
    stays an import: nothing in the log says in what order another tool showed its records."""
    from screening.decisions.origins import first_decisions

    if entries is None or not len(entries) or "ranking_id" not in entries.columns:
        return Ordering({}, {}, False)
    first = first_decisions(entries)
    d = entries[(entries["stage"] == "title_abstract") & (entries["role"] == "screener")
                & entries["action"].isin(["include", "exclude", "maybe"])]
    # each screener's standing decision per record: one undone or replaced by a later one
    # was not how the record was decided
    standing = {s.event_id for by in standing_decisions(entries, "title_abstract").values() for s in by.values()}
    d = d[d["id"].isin(standing)]
    payloads = d["payload"].fillna("").astype(str) if "payload" in d.columns else pd.Series("", index=d.index)

    def kind(rid: str, text: str, record: str) -> tuple[str, bool]:
        payload = event_payload(text)
        sampled = payload.get("sampled") is True
        if payload.get("import"):
            # in the sample as the stopping test counts it: by the record's first decision (a
            # row marked sampled on a record decided before is not, and the import says so)
            was = first.get(record)
            return f"imported:{payload['import']}", was is not None and was.sampled and record not in priors
        if record in priors:
            return "prior", False
        if sampled:
            return "sample", True
        for prefix, name in (("ranker-", "ranked"), ("file-order-", "file_order"), ("similarity-", "similarity"),
                             ("table-order", "table"), ("static-", "static"), ("sample-", "sample")):
            if rid.startswith(prefix):
                return name, False
        # no ranking id: typed with `decide` (no session served it); an id we do not know: a log
        # older than these prefixes, whose decisions came mostly from ranked sessions
        return ("typed" if not rid else "unknown"), False

    kinds = [kind(r, p, rec) for r, p, rec in zip(d["ranking_id"].fillna("").astype(str), payloads,
                                                  d["record_id"].astype(str))]
    names = [k for k, _ in kinds]
    sampled = {k: sum(1 for n, s in kinds if n == k and s) for k in set(names) if k.startswith("imported")}
    ids = d["id"].astype(int).tolist()
    on_priors = [i for i, n in zip(ids, names) if n == "prior"]
    others = [i for i, n in zip(ids, names) if n != "prior"]
    return Ordering(use={k: names.count(k) for k in sorted(set(names))},
                    imported_sampled={k: n for k, n in sorted(sampled.items()) if n},
                    priors_first=bool(on_priors) and (not others or max(on_priors) < min(others)), first=first)


def ranking_use(entries: pd.DataFrame | None, priors: frozenset[str] = frozenset()) -> dict[str, int]:
    """:func:`ordering`'s counts alone: kind -> the screeners' decisions so ordered."""
    return ordering(entries, priors).use


def run_at_switch(entries: pd.DataFrame | None, priors: frozenset[str] = frozenset(),
                  first: Mapping[str, Any] | None = None) -> int | None:
    """Irrelevant records in a row in ranked order when the random sample began (None: no
    sample, or no record decided in ranked order before it), on the log as it stood then and
    counted as the stopping status counted its run (:func:`screening.ml.stopping_status._ranked_run`): the records first decided
    in a ranked session, in the order of those decisions, labelled as the ranker learns them.
    ``first``: the log's first decisions, when the caller has them (:attr:`Ordering.first`)."""
    from screening.decisions.origins import first_decisions
    from screening.decisions.progress import training_labels

    if entries is None or not len(entries):
        return None
    first = first_decisions(entries) if first is None else first
    starts = [f.event_id for r, f in first.items() if f.sampled and r not in priors]
    if not starts:
        return None
    # the log as it stood when the sample began: the run the team saw then, which decisions
    # made since (a ranked record settled by its second reviewer, a decision changed) must not
    # rewrite (acceptance testing: 15 in a row at the switch was reported as 0 once the records
    # awaiting a second reviewer were settled)
    then = entries[entries["id"].astype(int) < min(starts)]
    labels = training_labels(then, first=first_decisions(then))
    before = labels[labels["ranked"].astype(bool) & ~labels["sampled"].astype(bool)
                    & (labels["first_event"] >= 0)]
    if not len(before):
        return None
    seq = before.sort_values("first_event", kind="stable")["label"].astype(int).tolist()
    run = 0
    for v in reversed(seq):
        if v:
            break
        run += 1
    return run


def ranker_facts(review: ReviewConfig, reports: Mapping[str, Any], in_play: frozenset[str],
                 figures: Mapping[str, Any], entries: pd.DataFrame | None,
                 order: Ordering | None = None) -> RankerFacts | None:
    """The review's ranking and stopping rule as recorded (None: no rank section): the rank
    section's priors among the records in screening and its rule, rank.json's model (components,
    seed) and stopping block, the stop's own ``figures`` (which win: they are what the stop was
    recorded on), and the run of irrelevant records at the switch (:func:`run_at_switch`)."""
    from screening.ml.stopping import SWITCH_FRACTION, SWITCH_MINIMUM, switch_threshold
    from screening.run_history import HISTORY_NAME

    cfg = review.stages.get("rank")
    if cfg is None:
        return None
    rank = reports.get("rank") or {}
    details = rank.get("details") or {}
    model = details.get("model") if isinstance(details.get("model"), dict) else {}
    status = details.get("stopping") if isinstance(details.get("stopping"), dict) else {}

    def number(key: str, default: Any) -> Any:
        for source in (figures, status):
            v = source.get(key)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return v
        return default

    pool = number("pool", None)
    pool = int(pool) if pool is not None else len(in_play)
    seed = model.get("seed", rank.get("seed", cfg.seed))
    root = project_root_for(review.path)
    try:
        folder = review.output_dir.relative_to(root).as_posix()
    except ValueError:
        folder = review.output_dir.name
    files = [f"{folder}/{name}" for name, there in (("rank.json", "rank" in reports),
                                                     (HISTORY_NAME, (review.output_dir / HISTORY_NAME).is_file()))
             if there]
    priors = frozenset(map(str, (*cfg.prior_included, *cfg.prior_excluded)))
    return RankerFacts(
        spec=str(model.get("spec") or cfg.model),
        components={k: str(v) for k, v in (model.get("components") or {}).items()},
        seed=int(seed) if isinstance(seed, int) and not isinstance(seed, bool) else None,
        prior_included=sum(str(r) in in_play for r in cfg.prior_included),
        prior_excluded=sum(str(r) in in_play for r in cfg.prior_excluded),
        priors_first=order is not None and order.priors_first, recorded_in=tuple(files), rule=cfg.stop_rule,
        target_recall=float(number("target_recall", cfg.target_recall)),
        confidence=float(number("confidence", cfg.confidence)),
        pool=pool, switch_at=switch_threshold(pool), switch_fraction=SWITCH_FRACTION, switch_minimum=SWITCH_MINIMUM,
        run_at_switch=run_at_switch(entries, priors, order.first if order is not None and order.first else None))


def session_models(entries: pd.DataFrame | None) -> dict[tuple[str, int | None], int]:
    """(model spec, seed) -> the screeners' title/abstract decisions a session's ranker with
    them served (payload ``model`` and ``seed``; the seed is None in logs from before 0.19,
    which did not record it), in first-use order: what the ranking actually was, whatever
    rank.json says now. With the log's labels, spec and seed rebuild each decision's ranking_id."""
    if entries is None or not len(entries) or "payload" not in entries.columns:
        return {}
    d = entries[(entries["stage"] == "title_abstract") & (entries["role"] == "screener")]
    models: dict[tuple[str, int | None], int] = {}
    for text in d["payload"].fillna("").astype(str):
        if '"model"' in text:
            payload = event_payload(text)
            spec, seed = str(payload.get("model") or ""), payload.get("seed")
            if spec:
                key = (spec, int(seed) if isinstance(seed, int) and not isinstance(seed, bool) else None)
                models[key] = models.get(key, 0) + 1
    return models


def session_specs(entries: pd.DataFrame | None) -> list[str]:
    """The model specs screening sessions recorded with their ranked decisions, in first-use
    order (:func:`session_models` without the seeds)."""
    return list(dict.fromkeys(spec for spec, _ in session_models(entries)))
