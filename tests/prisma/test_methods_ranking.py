"""The methods paragraph on the ranking and the stopping rule, complete enough to cite
(acceptance testing): the priors the ranker started from (and the priors' decisions not counted
as ranked ones), the ranker's components and seed and where every parameter is recorded, the
rule's target, confidence and switch criterion as they applied to the review, and which
imported decisions were the random sample.

Built on the trimmed real screening dataset of tests/decisions/test_stops.py (280 records of
the first search), here with two relevant and two irrelevant priors.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from screening.decisions import api
from screening.decisions.stops import stop_screening
from screening.decisions.store import Event, SQLiteStore
from screening.prisma.context import RankerFacts, ReportContext
from screening.prisma.counts import compute_counts
from screening.prisma.methods_ordering import ordering_sentence, ranking_sentences

from tests.decisions import test_stops as shared
from tests.decisions.test_stops import FIRST, _cli

data = shared.data          # the stop tests' fixture: their trimmed real dataset

PRIORS = 2          # relevant and irrelevant priors each


@pytest.fixture
def review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: pd.DataFrame) -> Path:
    """The first search's 280 records with 2 + 2 priors, seed 3, target recall 0.8, run."""
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "data" / "raw").mkdir(parents=True)
    first = data.iloc[:FIRST]
    first.to_csv(tmp_path / "data" / "raw" / "first.csv", index=False)
    inc = first[first["label_included"] == "1"]["record_id"].iloc[:PRIORS].tolist()
    exc = first[first["label_included"] == "0"]["record_id"].iloc[:PRIORS].tolist()
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text('[review]\nname = "t"\n[[sources]]\nfile = "data/raw/first.csv"\ndatabase = "PubMed"\n'
                    'date_searched = "2024-01-10"\n'
                    f'[rank]\nprior_included = {json.dumps(inc)}\nprior_excluded = {json.dumps(exc)}\n'
                    'seed = 3\ntarget_recall = 0.8\n')
    monkeypatch.chdir(tmp_path)
    assert _cli("run", toml)[0] == 0
    return toml


def _plan(review: Path, data: pd.DataFrame, ranked: int = 200, sample: int = 50) -> tuple[list[str], list[str], dict]:
    """The priors, then the ranked top ``ranked``, then a random sample of ``sample`` of the rest."""
    from screening.ml.review import rank_review

    table, _ = rank_review(review)
    order = table.dropna(subset=["rank"]).sort_values("rank")["record_id"].astype(str).tolist()
    cfg = api.Review.load(review).config.stages["rank"]
    truth = dict(zip(data["record_id"], data["label_included"]))
    return [*cfg.prior_included, *cfg.prior_excluded, *order[:ranked]], order[ranked:ranked + sample], truth


def _report(review: Path) -> str:
    assert _cli("prisma", review)[0] == 0
    return " ".join((review.parent.parent / "data" / "screened" / "t" / "prisma" / "report.md")
                    .read_text(encoding="utf-8").split())


def _run(labels: list[str]) -> int:
    run = 0
    for v in reversed(labels):
        if v == "1":
            break
        run += 1
    return run


def test_a_stopped_review_with_priors_says_what_the_ranking_started_from_and_the_rule_as_set(
        review: Path, data: pd.DataFrame) -> None:
    ranked, sampled, truth = _plan(review, data)

    def event(rid: str, **kw) -> Event:
        return Event(record_id=rid, stage="title_abstract", reviewer="alice",
                     action="include" if truth[rid] == "1" else "exclude", **kw)

    # as a ranked session records them: the priors first (served whatever the ranking says)
    events = [event(r, ranking_id="ranker-0123456789abcdef",
                    payload={"queue": "ranked", "model": "tfidf+svm+balanced+max"}) for r in ranked]
    events += [event(r, payload={"queue": "sample", "sampled": True}) for r in sampled]
    with SQLiteStore(review.parent.parent / "data" / "screened" / "t" / "decisions.sqlite") as store:
        store.append(events)
    res = stop_screening(review, "alice")
    assert res.status["met"] is True and res.status["pool"] == FIRST
    said = _report(review)
    n = len(ranked) + len(sampled)
    # the priors are not counted among the decisions made in the ranking's order
    assert (f"Of the screeners' {n} title/abstract decisions, 4 were made on the records the team already knew "
            "(the priors), first and before any ranking; 200 in the order of a relevance ranking "
            "(tfidf+svm+balanced+max), retrained as decisions were made; and 50 on a random sample of the "
            "unscreened records (the stopping rule's test).") in said, said
    rank_json = json.loads((review.parent.parent / "data" / "screened" / "t" / "rank.json").read_text())
    assert rank_json["details"]["model"]["seed"] == 3
    assert ("The relevance ranking (feature extractor tfidf, classifier svm, balance balanced, query strategy max; "
            "seed 3) was started from 2 relevant and 2 irrelevant records the team already knew (the priors); "
            "every parameter of the ranking, and its seed, is recorded in data/screened/t/rank.json and "
            "data/screened/t/history.jsonl.") in said, said
    # max(50, 2.5% of 280) = 50; the run of irrelevant records the ranked screening ended on
    run = _run([truth[r] for r in ranked[2 * PRIORS:]])
    assert 0 < run < 50
    assert ("Screening followed the hypergeometric stopping rule (Callaghan & Müller-Hansen, 2020; tested after "
            "every sampled record with an anytime-valid test, Waudby-Smith & Ramdas, 2020) with a target "
            "recall of 80% at 95% confidence: records were to be screened in ranked order until 50 in a row were "
            "irrelevant (the larger of 50 and 2.5% of the 280 records in screening), then in a random sample of "
            f"the records not yet screened; the random sample began after {run} irrelevant records in a row, "
            "before that point was reached.") in said, said
    # the stop's own sentence names the rule the sentence before cites (once in the paragraph)
    assert "Title/abstract screening was stopped by the hypergeometric stopping rule: a random sample of 50 " \
           "records not screened in rank order" in said
    assert said.count("Callaghan & Müller-Hansen") == 1


def test_an_imported_random_sample_is_said_to_be_one(review: Path, data: pd.DataFrame) -> None:
    """`decide --from` with a `sampled` column: the ordering sentence called every imported
    decision 'imported from a decisions file' and did not say which were the random sample."""
    ranked, sampled, truth = _plan(review, data)
    rows = [{"record_id": r, "decision": "include" if truth[r] == "1" else "exclude", "sampled": s}
            for rows, s in ((ranked, ""), (sampled, "true")) for r in rows]
    pd.DataFrame(rows).to_csv(review.parent.parent / "decisions.csv", index=False)
    assert _cli("decide", review, "-r", "alice", "--from", review.parent.parent / "decisions.csv")[0] == 0
    assert stop_screening(review, "alice").status["met"] is True
    said = _report(review)
    assert (f"All {len(rows)} of the screeners' title/abstract decisions were imported from a decisions file, "
            f"{len(sampled)} of them on a random sample of the unscreened records (the stopping rule's test).") in said
    # the test rests on the priors (counted as found) and the rule: both said; no ranked run to report
    assert "was started from 2 relevant and 2 irrelevant records the team already knew (the priors)" in said
    assert ("irrelevant (the larger of 50 and 2.5% of the 280 records in screening), then in a random sample of "
            "the records not yet screened.") in said


def test_imported_sample_rows_on_records_decided_before_are_not_said_to_be_the_sample(
        review: Path, data: pd.DataFrame) -> None:
    """Leftover of session 22: the methods counted an imported decision as the random sample by
    its own `sampled` mark, while the stopping test goes by the record's first decision: bob's
    import marking records alice had decided in ranked order as sampled was 'on a random sample'
    in the paragraph and not in the test (the import warns that the test does not count them)."""
    ranked, sampled, truth = _plan(review, data)
    root = review.parent.parent

    def load(who: str, rows: list[dict]) -> str:
        pd.DataFrame(rows).to_csv(root / f"{who}.csv", index=False)
        code, out = _cli("decide", review, "-r", who, "--from", root / f"{who}.csv")
        assert code == 0, out
        return " ".join(out.split())

    decision = {r: "include" if truth[r] == "1" else "exclude" for r in truth}
    load("alice", [{"record_id": r, "decision": decision[r], "sampled": s}
                   for rows, s in ((ranked, ""), (sampled, "true")) for r in rows])
    late = ranked[-5:]      # decided by alice in ranked order, marked sampled in bob's file
    said = load("bob", [{"record_id": r, "decision": decision[r], "sampled": "true"} for r in [*late, *sampled]])
    assert "5 row(s) marked sampled are on records decided before" in said
    report = _report(review)
    assert (f"{len(sampled) * 2} of them on a random sample of the unscreened records (the stopping rule's test)"
            in report), report


def test_priors_decided_after_other_records_are_not_said_to_come_first(review: Path) -> None:
    cfg = api.Review.load(review).config.stages["rank"]
    others = [r for r in api.Review.load(review).records["record_id"].astype(str)
              if r not in {*cfg.prior_included, *cfg.prior_excluded}]
    api.record_decision(review, reviewer="alice", record_id=others[0], action="exclude")
    api.record_decision(review, reviewer="alice", record_id=cfg.prior_included[0], action="include")
    said = _report(review)
    assert ("Of the screeners' 2 title/abstract decisions, 1 was made on the records the team already knew (the "
            "priors), which no ranking put in order; 1 outside a screening session, one record at a time (in an order "
            "the log does not record).") in said, said
    # not stopped, no sample: the ranking is said, the stopping rule not yet
    assert "was started from 2 relevant and 2 irrelevant records the team already knew (the priors)" in said
    assert "Screening followed the hypergeometric stopping rule" not in said


def _ctx(**kw) -> ReportContext:
    return ReportContext(review_name="r", title="t", tool_version="0", state_hash="h", **kw)


def _counts(stopped: bool = False):
    recs = pd.DataFrame({"record_id": ["a", "b"], "source_db": ["X", "X"]})
    return compute_counts(recs, None, None, stopped=stopped)


def test_the_rule_sentence_reads_from_the_recorded_figures() -> None:
    facts = RankerFacts(spec="tfidf+svm+balanced+max", seed=7, prior_included=1, rule="hypergeometric",
                        target_recall=0.975, confidence=0.9, pool=4000, switch_at=100, switch_fraction=0.025,
                        switch_minimum=50, run_at_switch=120, recorded_in=("out/rank.json",))
    ctx = _ctx(ranking_use={"prior": 1, "ranked": 300, "sample": 40}, ranker=facts)
    s = ranking_sentences(_counts(stopped=True), ctx)
    assert s == [
        "The relevance ranking (tfidf+svm+balanced+max; seed 7) was started from 1 relevant record the team "
        "already knew (the priors); every parameter of the ranking, and its seed, is recorded in out/rank.json.",
        "Screening followed the hypergeometric stopping rule (Callaghan & Müller-Hansen, 2020; tested after every "
        "sampled record with an anytime-valid test, Waudby-Smith & Ramdas, 2020) with a target recall "
        "of 97.5% at 90% confidence: records were to be screened in ranked order until 100 in a row were irrelevant "
        "(the larger of 50 and 2.5% of the 4,000 records in screening), then in a random sample of the records not "
        "yet screened; the random sample began after 120 irrelevant records in a row."]
    # every decision imported, no sample, no stop: no ranking ordered anything, nothing is said
    assert ranking_sentences(_counts(), _ctx(ranking_use={"imported:native": 9}, ranker=facts)) == []
    assert ranking_sentences(_counts(), _ctx(ranking_use={"ranked": 9})) == []      # no rank section
    assert ordering_sentence(_ctx(ranking_use={"imported:native": 9}, imported_sampled={"imported:native": 1})) == (
        "All 9 of the screeners' title/abstract decisions were imported from a decisions file, 1 of them on a "
        "random sample of the unscreened records (the stopping rule's test).")


def test_the_models_the_sessions_ranked_with_are_named_when_not_the_one_described() -> None:
    """Acceptance testing: with [rank] changed between runs (or edited and a session opened
    before any run), the paragraph described the last run's model alone, though most ranked
    decisions came from another one."""
    facts = RankerFacts(spec="tfidf+logistic+balanced+max", seed=11, recorded_in=("out/rank.json",))
    same = _ctx(ranking_use={"ranked": 290}, ranker=facts,
                ranking_models={("tfidf+logistic+balanced+max", 11): 290})
    assert len(ranking_sentences(_counts(), same)) == 1                       # the model described: no more
    older = _ctx(ranking_use={"ranked": 290}, ranker=facts,                    # a log from before seeds
                 ranking_models={("tfidf+logistic+balanced+max", None): 290})
    assert len(ranking_sentences(_counts(), older)) == 1
    mixed = _ctx(ranking_use={"ranked": 290}, ranker=facts,
                 ranking_models={("tfidf+svm+balanced+max", 7): 286, ("tfidf+logistic+balanced+max", 11): 4})
    said = ranking_sentences(_counts(), mixed)
    assert said[1] == ("The decisions made in ranked order were served by tfidf+svm+balanced+max with seed 7 "
                       "(286 decisions) and tfidf+logistic+balanced+max with seed 11 (4 decisions); the decision "
                       "log records each one's model, seed and training-set size.")


def test_a_forced_stop_on_decisions_no_ranking_ordered_is_not_said_to_follow_the_rule() -> None:
    """Acceptance testing: every decision typed with `decide`, then `stop --force`: the paragraph
    said 'Screening followed the hypergeometric stopping rule ... screened in ranked order',
    though no record was screened in ranked order and none was sampled."""
    facts = RankerFacts(spec="tfidf+svm+balanced+max", seed=7, rule="hypergeometric", target_recall=0.95,
                        confidence=0.95, pool=41, switch_at=50, switch_fraction=0.025, switch_minimum=50)
    assert ranking_sentences(_counts(stopped=True), _ctx(ranking_use={"typed": 5}, ranker=facts)) == []
    # a prior decided is no ranked screening either (it is known before any ranking)
    said = ranking_sentences(_counts(stopped=True), _ctx(ranking_use={"typed": 5, "prior": 1}, ranker=facts))
    assert len(said) == 1 and "Screening followed" not in said[0]
    # some records screened in ranked order before the stop: the rule governed the screening;
    # so did an older log's decisions of no recognised ranking id (mostly ranked sessions')
    for use in ({"typed": 5, "ranked": 3}, {"unknown": 8}):
        said = ranking_sentences(_counts(stopped=True), _ctx(ranking_use=use, ranker=facts))
        assert len(said) == 2 and said[1].startswith("Screening followed the hypergeometric stopping rule"), use


def test_the_stop_sentence_states_a_target_as_it_was_set() -> None:
    """A 97.5% target read '98%' in the stop's sentence (the rule's sentence said 97.5%)."""
    from screening.prisma.context import ReportContext
    from screening.prisma.methods_ordering import stop_test

    ctx = ReportContext(review_name="t", title="t", tool_version="x", state_hash="h", stopping_p=0.012,
                        stopping_figures={"sample_size": 120, "sample_relevant": 0, "recall_bound": 0.981,
                                          "target_recall": 0.975, "confidence": 0.95})
    assert "rejected the hypothesis that recall was below 97.5% at 95% confidence (p = " in stop_test(ctx)


def test_the_stop_sentence_says_records_added_during_the_sample_were_counted_as_relevant() -> None:
    from screening.prisma.context import ReportContext
    from screening.prisma.methods_ordering import stop_test

    figures = {"sample_size": 120, "sample_relevant": 0, "recall_bound": 0.96, "target_recall": 0.95,
               "confidence": 0.95, "added_during_sample": 2}
    ctx = ReportContext(review_name="t", title="t", tool_version="x", state_hash="h", stopping_p=0.03,
                        stopping_figures=figures)
    assert ("rejected the hypothesis that recall was below 95% at 95% confidence, counting the 2 records added while the "
            "sample was under way (which it could not draw) as relevant (p = ") in stop_test(ctx)
    ctx = ReportContext(review_name="t", title="t", tool_version="x", state_hash="h", stopping_p=0.03,
                        stopping_figures={**figures, "added_during_sample": 0})
    assert "under way" not in stop_test(ctx)


def test_the_run_at_the_switch_is_the_log_as_it_stood_when_the_sample_began(tmp_path: Path) -> None:
    """Acceptance testing: '15 of 50 irrelevant in a row' when the team switched was reported as
    'began after 0 irrelevant records in a row' once records decided before the switch were
    settled or changed later: the sentence is about a past moment."""
    from screening.decisions.entries import load_entries
    from screening.prisma.ranking_facts import run_at_switch

    db = tmp_path / "decisions.sqlite"

    def ranked(rid: str, action: str) -> Event:
        return Event(record_id=rid, stage="title_abstract", reviewer="alice", action=action,
                     ranking_id="ranker-0123456789abcdef", payload={"queue": "ranked"})

    with SQLiteStore(db) as store:
        store.append([ranked("r1", "include"), *(ranked(f"r{i}", "exclude") for i in range(2, 6))])
        store.append([Event(record_id="s1", stage="title_abstract", reviewer="alice", action="exclude",
                            payload={"queue": "sample", "sampled": True})])
    assert run_at_switch(load_entries(db)) == 4
    with SQLiteStore(db) as store:        # after the switch: the last ranked exclusion changed to an include
        store.append([Event(record_id="r5", stage="title_abstract", reviewer="alice", action="include")])
    assert run_at_switch(load_entries(db)) == 4
