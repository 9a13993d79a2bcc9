"""Where a review stands against the statistical stopping rule: the screening UI's figures.

Why apart from :mod:`.stopping`: that module holds the rules' statistics (the hypergeometric
p-value and recall bound, the rules a simulation replays); this one reads a *review*: which
records were decided how (ranked order, the random sample, neither), which are still open, and
whether a logged stop stands, and turns the statistics into the recommendation `screen`,
`rank`, `status` and rank.json show. Same figures everywhere, from one function
(:func:`stopping_status`); its inputs come from the decision log
(``decisions.progress.training_labels``, :func:`stopping_frame`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np
import pandas as pd

from screening.ml.recall_test import hypergeom_pvalue, lowest_bound, published_pvalue, worst_settlement
from screening.ml.stopping import switch_threshold
from screening.record_marks import in_play

if TYPE_CHECKING:       # only for the annotation: the ML side does not import the decision log
    from screening.decisions.stops import StopScope


# estimated_recall / recall_bound while no relevant record has been found (a string, as "not yet")
NOTHING_FOUND = "none (no relevant record found yet)"


def _awaiting(n: int) -> str:
    return (f" {n} screened record{'s' if n != 1 else ''} still await{'' if n != 1 else 's'} a second "
            "reviewer or an adjudicator: settle them too (screening status, screening conflicts)."
            if n else "")


def _settle_first(n: int) -> str:
    # a ranked record awaiting settlement counts as unscreened in the test (the cautious side):
    # a sample begun before they are settled needs more records to stop, up to every one
    return (f" Settle the {n} screened record{'s' if n != 1 else ''} awaiting a second reviewer or an "
            "adjudicator first (screening status, screening conflicts): until then the test counts "
            f"{'them' if n != 1 else 'it'} as unscreened, and the sample needed to stop grows." if n else "")


def _added_during(n: int, met: bool = False) -> str:
    # records that arrived (a search update) after the sample's frame was drawn: the sample
    # could never have drawn them (sample_frames), so the test takes them as relevant
    if not n:
        return ""
    what = f"{n} record{'s' if n != 1 else ''} added after the random sample began"
    if met:
        return (f" The test counted the {what} as relevant (the sample could not draw "
                f"{'them' if n != 1 else 'it'}): screening {'them' if n != 1 else 'it'} first can "
                "only raise the bound.")
    return (f" The {what} {'are' if n != 1 else 'is'} not in it: screen {'them' if n != 1 else 'it'} "
            "in rank order (screening screen REVIEW -r NAME); until then the test counts "
            f"{'them' if n != 1 else 'it'} as relevant.")


def _unsettled(n: int) -> str:
    return (f" {n} sample record{'s' if n != 1 else ''} without a settled decision (a 'maybe', or a second "
            "reviewer or an adjudicator to come): until settled, the test takes the worst case for "
            f"{'them' if n != 1 else 'it'}." if n else "")


def stopping_frame(labels: Mapping[str, int], decisions: pd.DataFrame | None) -> tuple[pd.DataFrame, set[str]]:
    """The stopping test's inputs from the ranker's labels (the priors, overridden by the logged
    decisions) and the decisions frame (``decisions.progress.training_labels``): a labels frame that
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


def _uncounted_since_run(labels: pd.DataFrame, sampled: np.ndarray) -> int:
    """Decisions the ranked run leaves out (typed, imported, a `--only` session's) made since
    the run began, i.e. after the last relevant record screened in rank order: a team screening
    from `rank.parquet` with `decide --from` saw the run stand still and took it for a bug
    (acceptance testing: 251 such decisions, the last 75 irrelevant, and "0 of 64")."""
    if "ranked" not in labels.columns or "first_event" not in labels.columns:
        return 0
    ranked = labels["ranked"].astype(bool).to_numpy() & ~sampled
    events = labels["first_event"].to_numpy()
    hits = events[ranked & (labels["label"].astype(int).to_numpy() == 1)]
    since = events > (hits.max() if len(hits) else -1)
    return int((~ranked & ~sampled & since).sum())


def _uncounted_note(labels: pd.DataFrame, sampled: np.ndarray) -> str:
    n = _uncounted_since_run(labels, sampled)
    if not n:
        return ""
    return (f" {n} decision{'s' if n != 1 else ''} since {'were' if n != 1 else 'was'} typed, imported or made "
            "in an `--only` session and do not count: only records a `screen` session served in rank order "
            "say whether the ranking still pays.")


def _stopped_text(stop: StopScope, added: int, status: dict[str, Any], awaiting: int) -> str:
    """The recommendation while a logged stop stands (``status``: the test's figures now)."""
    then = status["recommendation"]
    ev = stop.latest
    forced = " before the stopping test was met" if ev.payload.get("forced") else ""
    said = (f"Screening was {ev.stopped_by()}{forced}: the records nobody "
            "had screened then are reported as excluded by the stopping rule (`screening stop REVIEW "
            "--resume -r NAME` reopens screening).")
    if added:
        return (f"{said} {added} record{'s' if added != 1 else ''} added since the stop "
                f"{'are' if added != 1 else 'is'} still to screen: {then}")
    if status.get("stop_lapsed"):
        p = status.get("p_value")
        return (f"{said} But computed on the decisions in the log now, the stopping test is not met"
                + (f" (p = {p:.3g})" if p is not None else "") + ", so recall is not assured: reopen "
                "screening (`screening stop REVIEW --resume -r NAME`) and go on: " + then)
    return said + _awaiting(awaiting)


def stopping_status(records_table: pd.DataFrame, labels_frame: pd.DataFrame | None, config: Any = None,
                    play: np.ndarray | None = None, open_ids: Iterable[str] = (),
                    logged_ids: Iterable[str] | None = None, stop: StopScope | None = None,
                    open_sampled: Iterable[str] = (), ever_logged: Iterable[str] = (),
                    frame: Iterable[str] | None = None, fresh_after: int | None = None) -> dict[str, Any]:
    """Where a review stands against the statistical stopping rule (for the screening UI).

    ``labels_frame``: record_id, label (1/0) of the screened in-play records, in screening
    order; an optional boolean column ``sampled`` marks decisions made on the *random sample*
    (records drawn at random after switching, see docs/ranking.md); an optional boolean column
    ``ranked`` (with ``first_event``, the order of those decisions) marks the records first
    decided in ranked order, the only ones the irrelevant-in-a-row count reads (see
    :func:`stopping_frame`). A prior record (``config``'s ``prior_included`` /
    ``prior_excluded``) is never in the sample: the team knew it before screening began.
    ``config``: anything with ``target_recall`` / ``confidence`` (RankConfig), defaults 0.95 /
    0.95. ``play``: the table's :func:`~screening.record_marks.in_play` mask, when the caller already has it.
    ``open_ids``: records some reviewer decided without the outcome being settled (a second
    reviewer or an adjudicator to come; ``decisions.outcomes.open_records``): screened by a person, so
    not "unscreened", but the team is not done with them. ``logged_ids``: the records with a
    decision in the log, when ``labels_frame`` also holds labels from elsewhere (the team's
    prior records): "unscreened" then counts what nobody decided in the log, as PRISMA does,
    while the test still uses every label. ``stop``: the standing logged stop
    (``decisions.stops.standing_stop``), if any: the recommendation then says screening was
    stopped (by whom, when, how to reopen) instead of advising to record a stop, and names the
    records added since (a search update's), which are still to screen. ``open_sampled``: those
    of ``open_ids`` whose first decision was made in the random sample: the test counts them as
    relevant until they are settled (the worst case, see :func:`_test`). ``ever_logged``: every
    record with a title/abstract event in the log, undone ones too: a record decided before a
    stop and undone after it is no record "added since the stop". ``frame``: the records the
    random sample is drawn from, when the log holds its frame (``decisions.sample_frames``):
    a record in play outside it that nobody has settled was added while the sample was under
    way, and the test counts it as relevant (``added_during_sample``; None: no frame, every
    record nobody decided counts in the sample's pool, as before frames were logged).
    ``fresh_after``: the frame was drawn after the standing stop (a fresh sample of the records
    opened since): only decisions first made in the sample after this log event are its draws
    (earlier draws count as screened outside it), and the records the stop closed are out of its
    pool (settled by the stop); None: every draw in the log is the sample's.

    Returns screened and relevant_found (what people decided, settled: a prior nobody decided
    yet is in neither, but counted in ``priors_undecided``), pool, estimated_recall +
    recall_bound (or "not yet"), p_value and a recommendation sentence.
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
    if fresh_after is not None and "first_event" in labels:
        # a fresh sample after a stop: the earlier sample's draws were made before the records
        # opened since existed, so they are not draws from this pool (sample_frames)
        sampled = sampled & (labels["first_event"].astype(int).to_numpy() > fresh_after)
    found = int(lab.sum())
    waiting = {str(r) for r in open_ids} & ids
    awaiting = len(waiting)
    # a record whose only decisions are 'maybe' has no label but was screened by a person
    decided = set(labels["record_id"].astype(str)) if logged_ids is None else {str(r) for r in logged_ids} & ids
    unscreened = pool - len(decided | waiting)
    # "screened" is what people decided (as "unscreened" and PRISMA count it): a prior record
    # nobody has decided yet trains the ranker and counts in the test, but it was counted as
    # both screened and unscreened; it is reported apart
    screened = len(decided - waiting)
    priors_undecided = len(set(labels["record_id"].astype(str)) - decided - waiting)
    # and "relevant found" is what those people found: an undecided prior included is known
    # relevant (the ranker and the test's figures use it) but screening has not found it
    relevant_found = int(lab[labels["record_id"].astype(str).isin(decided - waiting).to_numpy()].sum())
    # records no stop closed that nobody has decided, nor ever had: an update's, after a stop
    # (a decision undone since the stop leaves its record open, not new)
    added = len(ids - decided - waiting - stop.records - {str(r) for r in ever_logged}) if stop is not None else 0
    out: dict[str, Any] = {"screened": screened, "relevant_found": relevant_found, "pool": pool,
                           "unscreened": unscreened, "target_recall": tau, "confidence": conf,
                           "estimated_recall": "not yet", "recall_bound": "not yet", "p_value": None,
                           "met": False,     # True once screening may stop
                           "awaiting_settlement": awaiting, "priors_undecided": priors_undecided}
    if unscreened == 0 and pool:
        recall: float | str = 1.0 if found else NOTHING_FOUND      # 0 of 0 is no share (see _test)
        out.update(estimated_recall=recall, recall_bound=recall, met=True,
                   recommendation="Every record is screened: nothing left to find." + _awaiting(awaiting))
        return out
    unsettled = len({str(r) for r in open_sampled} & waiting - priors)
    # a record in conflict keeps a label (one reviewer's) but is not settled: it enters the
    # test only as unsettled (a sample record, at the worst case) or not at all (a ranked one:
    # left in the pool the sample was drawn from and out of the relevant found before it, the
    # cautious side of both); its label counted it twice and let a conflict ease the test
    settled = ~labels["record_id"].astype(str).isin(waiting).to_numpy()
    outside = _added_during_sample(ids, frame, labels, settled, sampled, open_sampled)
    out["added_during_sample"] = outside
    # a fresh sample's pool is the records opened since the stop: those it closed are settled by it
    closed = (sum(stop.holds(r, None) for r in ids - decided - waiting) if fresh_after is not None
              and stop is not None else 0)
    # a known relevant record gives the ranker something to rank by from the first record on
    has_prior = bool(getattr(config, "prior_included", ()))
    _test(out, lab[settled], sampled[settled], labels[settled], pool - closed, tau, conf, awaiting, unsettled,
          outside, has_prior)
    known = sorted(str(r) for r in getattr(config, "prior_included", ()) if str(r) in ids - decided - waiting)
    if out["met"] and known and stop is None:
        # `screening stop` refuses while a known relevant record has no decision (it would close
        # it as excluded): the advice to stop says so first
        out["recommendation"] = (f"Record the prior-included record{'s' if len(known) != 1 else ''} "
                                 f"{', '.join(known[:5])} first (screening decide REVIEW -r NAME --record "
                                 f"{known[0]} --include); then: " + out["recommendation"])
    if stop is not None:
        out["stopped_by"], out["stopped_at"] = stop.latest.reviewer, stop.latest.created_at
        out["stop_lapsed"] = stop_lapsed(stop, out["met"], added, out.get("met_published"))
        out["recommendation"] = _stopped_text(stop, added, out, awaiting)
    return out


def _added_during_sample(ids: set[str], frame: Iterable[str] | None, labels: pd.DataFrame, settled: np.ndarray,
                         sampled: np.ndarray, open_sampled: Iterable[str]) -> int:
    """Records in play the sample could not have drawn (outside its frame), that the test would
    otherwise count in the pool it was drawn from: neither settled outside the sample nor
    sampled. A stop that closed such records leaves them outside: the stop's test read them so."""
    if frame is None:
        return 0
    rid = labels["record_id"].astype(str).to_numpy()
    known = set(rid[settled & ~sampled]) | set(rid[sampled]) | {str(r) for r in open_sampled}
    return len(ids - {str(r) for r in frame} - known)


def stop_lapsed(stop: StopScope, met_now: bool, added: int, met_published: bool | None = None) -> bool:
    """Whether a stop recorded on a met test stands on a test the log no longer meets:
    decisions on the records it tested changed since (a sample record settled as relevant, a
    ranked inclusion undone...). Not when records were added since the stop: the sample never
    covered those, and they are simply still to screen; nor for a forced stop, which never
    claimed the test. A stop recorded with the published test (before the anytime-valid one)
    is read against that test (``met_published``): the decisions, not the tool, must change."""
    said = stop.latest.payload
    met = met_now if said.get("test") or met_published is None else met_published
    return bool(said.get("met")) and not said.get("forced") and not met and not added


def _test(out: dict[str, Any], lab: np.ndarray, sampled: np.ndarray, labels: pd.DataFrame, pool: int,
          tau: float, conf: float, awaiting: int, unsettled: int = 0, outside: int = 0,
          has_prior: bool = True) -> None:
    """The test's figures and recommendation, into ``out``: the sample's, once there is one,
    else how far ranked screening is from the switch point.

    ``unsettled``: sample records a person decided without a settled outcome (a 'maybe', a
    second reviewer or an adjudicator to come). They were drawn, so they are in the sample,
    and until they are settled the test takes the worst case: as many of them relevant as
    gives the largest p (:func:`~screening.ml.recall_test.worst_settlement`), so no settling can
    undo a "met". Leaving them out let a 'maybe' on a relevant record pass the test, and the
    stop's figures outlived its settling. ``sample_relevant`` stays what was settled.

    ``outside``: records added while the sample was under way, nobody having screened them
    (:func:`_added_during_sample`): not in the pool the sample was drawn from, and relevant in
    the test's worst case.

    ``has_prior``: the review names a known relevant record (``prior_included``). Without one,
    and before any relevant record is found, the ranker has nothing to rank by (the order is
    the file's): a run of irrelevant records then says nothing of a ranking that stopped paying
    off, so it does not count towards the switch (acceptance testing: 50 exclusions in file
    order advised a census-sized random sample at record 50)."""
    if sampled.any() or unsettled:
        r_before = int(lab[~sampled].sum())
        N = pool - int((~sampled).sum()) - outside
        n, k = int(sampled.sum()) + unsettled, int(lab[sampled].sum())
        worst = k + worst_settlement(k, unsettled, N, n, r_before, tau, outside)
        found = r_before + worst
        p = hypergeom_pvalue(worst, N, n, r_before, tau, outside)
        # the bound's worst case is its own (the settlement with the lowest bound need not be
        # the one with the largest p)
        est, bound = lowest_bound(k, unsettled, N, n, r_before, conf, outside)
        out.update(p_value=p, estimated_recall=est, recall_bound=bound, sample_size=n, sample_relevant=k,
                   sample_unsettled=unsettled,
                   # what the published test says, for a stop recorded with it (stop_lapsed),
                   # read as it was then: no frame, every record nobody decided in the pool
                   met_published=published_pvalue(worst, N + outside, n, r_before, tau) < 1 - conf)
        if not found:
            # 0 of 0: with nothing relevant found, recall is no share of anything (recall_bound
            # gave "100%" beside a bound of 0%); the test itself still runs
            out.update(estimated_recall=NOTHING_FOUND, recall_bound=NOTHING_FOUND)
        if p < 1 - conf:
            out["met"] = True
            # a bound of exactly 100% is a confidence statement, not a certainty: said as such
            # ('recall ≥ 100.0%' read as nothing missed, with records left unscreened)
            figures = (f"p = {p:.3g}; " + (f"recall ≥ {bound:.1%} at {conf:.0%}" if bound < 1 else
                                           f"at {conf:.0%} confidence the sample leaves no room for a missed "
                                           "relevant record") if found else
                       f"p = {p:.3g}: no relevant record found, and the sample makes it unlikely any is left")
            out["recommendation"] = (f"Stop: recall ≥ {tau:.0%} with {conf:.0%} confidence "
                                     f"({figures}). Record the stop with "
                                     "`screening stop REVIEW -r NAME`: the records nobody screened are then "
                                     "reported as excluded by the stopping rule." + _unsettled(unsettled)
                                     + _added_during(outside, met=True) + _awaiting(awaiting))
        else:
            out["recommendation"] = (f"Keep screening the random sample (screening screen --sample; "
                                     f"p = {p:.3g} ≥ {1 - conf:.2g}); "
                                     + (f"recall so far is estimated at {est:.1%}." if found else
                                        "no relevant record has been found yet, so recall cannot be estimated.")
                                     + _unsettled(unsettled) + _added_during(outside) + _settle_first(awaiting))
        return
    run = _ranked_run(labels, sampled)
    threshold = switch_threshold(pool)
    started = has_prior or bool(lab[~sampled].any())
    out["irrelevant_in_a_row"] = run if started else 0
    out["switch_at"] = threshold
    out["ranking_started"] = started
    if not started:
        out["recommendation"] = ("No relevant record found yet, so there is no ranking to follow (records come in "
                                 "file order until one is included, or named in [rank] prior_included): keep "
                                 "screening; the irrelevant records in a row that lead to the random-sample "
                                 "check count from the first relevant record." + _settle_first(awaiting))
    elif run >= threshold:
        out["recommendation"] = (f"{run} irrelevant records in a row: switch to screening a random "
                                 "sample of the unscreened records (screening screen --sample) to test "
                                 f"whether recall has reached {tau:.0%} (no recall estimate is possible "
                                 "from ranked screening alone)." + _settle_first(awaiting))
    else:
        out["recommendation"] = (f"Keep screening in rank order ({run} of {threshold} irrelevant in a row "
                                 "before the random-sample check)." + _uncounted_note(labels, sampled))
