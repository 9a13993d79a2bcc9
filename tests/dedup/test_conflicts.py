"""Contradicting dedup-review decisions are surfaced and resolved the same way every time.

Wildfire funnel, real records: the Diabetes Care article (Dimensions 42, Lens 296, MEDLINE 1: one
DOI) and two figshare records of its data, v1 (Lens 56) and the concept DOI (Lens 197). Answers
figshare v1 = concept, concept = article, but v1 != article cannot all hold: the code applied
the duplicate decisions in record-id order and dropped the one that came second, and
`screening dedup` said nothing (it even reported '3 stored decisions applied')."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from screening.cli import app
from screening.dedup.api import deduplicate
from screening.dedup.conflicts import find_conflicts
from screening.dedup.store import load_decisions, record_decision
from screening.records import read_table, write_table
from screening.stage import StageInputs
from screening.stages.dedup import DedupConfig, run

from .test_review_groups import ARTICLE, GAMBLING, PREPRINT, WILDFIRE, load

V1, CONCEPT, ART = "lens_343-00056", "lens_343-00197", "dimensions_246-00042"
runner = CliRunner()


def _log(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame({"seq": range(1, len(rows) + 1), "id_a": [r[0] for r in rows], "id_b": [r[1] for r in rows],
                         "decision": [r[2] for r in rows], "reviewer": [r[3] for r in rows]})


CONTRADICTION = ((V1, CONCEPT, "duplicate", "ana"), (CONCEPT, ART, "duplicate", "ana"), (V1, ART, "distinct", "bo"))


def test_the_distinct_answer_wins_no_duplicate_answer_is_picked_and_all_are_asked_again():
    res = run(load(WILDFIRE), DedupConfig(), StageInputs(dedup_decisions=_log(*CONTRADICTION)))
    marks = res.records.set_index("record_id")
    # neither duplicate decision applied (one of them was, chosen by record id)
    assert marks.loc[V1, "dup_group"] == V1 and marks.loc[CONCEPT, "dup_group"] == CONCEPT
    assert marks.loc[ART, "dup_group"] == ART and set(marks["dup_rule"]) == {"", "doi"}
    (conflict,) = res.report.details["decision_conflicts"]
    assert [(d["id_a"], d["id_b"], d["reviewer"]) for d in conflict["duplicate"]] == [
        (ART, CONCEPT, "ana"), (V1, CONCEPT, "ana")]
    assert [(d["id_a"], d["id_b"], d["reviewer"]) for d in conflict["distinct"]] == [(ART, V1, "bo")]
    warning = next(w for w in res.report.warnings if w.startswith("contradicting"))
    for said in (f"{V1} = {CONCEPT} (ana)", f"{ART} = {CONCEPT} (ana)", f"{ART} ≠ {V1} (bo)",
                 "'distinct' decision is applied", "queued again"):
        assert said in warning, said
    # every decision of the contradiction is queued for a re-decision, nothing else between them
    queued = {frozenset((p["id_a"], p["id_b"])): p for p in res.report.details["maybe_pairs"]}
    assert set(queued) == {frozenset((V1, CONCEPT)), frozenset((CONCEPT, ART)), frozenset((V1, ART))}
    assert all(p["conflict"] for p in queued.values()) and res.report.counts["maybe_pairs"] == 3


def test_one_answer_against_a_group_and_another_against_its_copy():
    """The old queue asked the preprint against each copy of the article; 'duplicate' for one
    copy and 'distinct' for another (same DOI) contradict each other."""
    table = load(GAMBLING)
    log = _log((PREPRINT, ARTICLE[0], "duplicate", "ana"), (PREPRINT, ARTICLE[1], "distinct", "ana"))
    out = deduplicate(table, decisions=log)
    assert out.table.set_index("record_id").loc[PREPRINT, "dup_group"] == PREPRINT
    (conflict,) = out.details["decision_conflicts"]
    assert conflict["groups"] == [sorted(ARTICLE)]
    assert {frozenset((p.id_a, p.id_b)) for p in out.maybe_pairs if p.conflict} == {
        frozenset((PREPRINT, ARTICLE[0])), frozenset((PREPRINT, ARTICLE[1]))}
    assert out.details["links_refused_by_decisions"] == []      # said once, as a contradiction


def test_standalone_dedup_prints_the_contradiction_and_a_re_decision_settles_it(tmp_path):
    src, out = tmp_path / "records.csv", tmp_path / "out.csv"
    write_table(load(WILDFIRE), src)
    for a, b, decision, who in CONTRADICTION:
        record_decision(tmp_path, a, b, decision, who)
    res = runner.invoke(app, ["dedup", str(src), "-o", str(out)])
    text = " ".join(res.output.split())
    assert res.exit_code == 0, res.output
    assert "contradicting dedup-review decisions" in text and f"{ART} ≠ {V1} (bo)" in text
    assert "1 of 3 stored decisions applied (2 contradict others" in text
    # the re-decision: v1 is not the concept record after all (the other two answers stand)
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="s\ns\nn\n", env={"COLUMNS": "200"})
    assert "decisions contradict each other" in " ".join(res.output.split()) and "stored 1 decision" in res.output
    res = runner.invoke(app, ["dedup", str(src), "-o", str(out)])
    text = " ".join(res.output.split())
    assert "contradicting" not in text and "3 stored decisions applied" in text and "0 maybe-pairs" in text
    marks = read_table(out).set_index("record_id")
    assert marks.loc[CONCEPT, "dup_group"] == ART and marks.loc[V1, "dup_group"] == V1
    assert len(load_decisions(tmp_path)) == 4        # nothing overwritten: the contested rows stay


def test_only_the_decisions_on_a_chain_between_the_distinct_records_are_set_aside():
    """Groups 0..4 (rows are their own groups): 0=1, 1=2, 2=3 (dangling), 4=0 (dangling), 0 != 2."""
    (c,) = find_conflicts(lambda x: x, [(0, 1), (1, 2), (2, 3), (4, 0)], [(0, 2)])
    assert c.duplicates == ((0, 1), (1, 2)) and c.distincts == ((0, 2),) and c.groups == (0, 1, 2)
    # a cycle: both ways round are chains between them
    (c,) = find_conflicts(lambda x: x, [(0, 1), (1, 2), (0, 3), (3, 2)], [(0, 2)])
    assert c.duplicates == ((0, 1), (0, 3), (1, 2), (2, 3))
    assert find_conflicts(lambda x: x, [(0, 1), (1, 2)], [(0, 3)]) == []


def test_prisma_counts_a_contested_entry_undecided_until_it_is_decided_again():
    """A contested decision's entry holds that decision already: PRISMA called it 'decided since
    dedup ran... run `screening run`' instead of awaiting a re-decision. And a group entry is
    answered by a decision on any pair across its groups, not only the pair shown."""
    from screening.prisma.state_checks import maybe_pair_state

    log = _log(*CONTRADICTION)
    res = run(load(WILDFIRE), DedupConfig(), StageInputs(dedup_decisions=log))
    report = res.report.to_dict()
    assert maybe_pair_state(report, log) == (3, 0)
    again = pd.concat([log, _log((V1, CONCEPT, "distinct", "ana")).assign(seq=4)], ignore_index=True)
    # that re-decision resolves the contradiction, so the two decisions not re-decided stand too:
    # the next run queues none of the three (this said 2 undecided: test_review_progress.py)
    assert maybe_pair_state(report, again) == (0, 3)
    # a plain group entry: settled by an answer on another member pair of the two groups
    table = load(GAMBLING)
    fresh = deduplicate(table)
    entry = next(p for p in fresh.maybe_pairs if len(p.members_a) * len(p.members_b) > 1)
    other = next(pair for pair in entry.covered() if pair != tuple(sorted((entry.id_a, entry.id_b))))
    queued = {"details": {"maybe_pairs": [p.to_json() for p in fresh.maybe_pairs]}}
    before = maybe_pair_state(queued, None)
    assert maybe_pair_state(queued, _log((*other, "distinct", "ana"))) == (before[0] - 1, 1)
