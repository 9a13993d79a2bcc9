"""dedup-review asks once per pair of groups, and the answer applies to both groups.

Real records cut byte-exact from the CiteSource funnels (tests/fixtures/dedup_cases/SOURCES.md),
with the ids a whole-file ingest gives them. On the gambling funnel the queue held 13 record
pairs for 4 decisions: a record that is a maybe against a group of DOI-linked copies was asked
once per copy."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from screening.cli import app
from screening.dedup.api import deduplicate
from screening.dedup.review_queue import open_queue
from screening.dedup.store import load_decisions, record_decision
from screening.records import read_table, write_table

from .test_real_cases import _load   # the trimmed files, ids as a whole-file ingest gives them

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "dedup_cases"
G = "20221207_gambling_harms_"
GAMBLING = [("gambling_lens_4.ris", "Lens", f"{G}lens_49", (1, 4, 41, 48)),
            ("gambling_psycinfo_1.ris", "APA PsycInfo", f"{G}psycinfo_124", (17,)),
            ("gambling_pubmed_2.ris", "PubMed", f"{G}pubmed_176", (75, 132)),
            ("gambling_scopus_2.ris", "Scopus", f"{G}scopus_255", (10, 137))]
WILDFIRE = [("wildfire_figshare_dimensions_1.ris", "Dimensions", "dimensions_246", (42,)),
            ("wildfire_figshare_lens_3.ris", "Lens", "lens_343", (56, 197, 296)),
            ("wildfire_figshare_medline_1.ris", "MEDLINE", "medline_84", (1,))]
# a preprint (2021, OSF DOI) vs the article's group: Lens, PubMed, Scopus copies under one DOI
PREPRINT, ARTICLE = f"{G}lens_49-00001", (f"{G}lens_49-00041", f"{G}pubmed_176-00075", f"{G}scopus_255-00010")
# a Lens copy without DOI, journal or pages vs the group of four copies under the DOI
BARE, PAPER = f"{G}lens_49-00048", (f"{G}lens_49-00004", f"{G}psycinfo_124-00017", f"{G}pubmed_176-00132",
                                     f"{G}scopus_255-00137")
runner = CliRunner()


def load(files) -> pd.DataFrame:
    return _load(*files)


def _log(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame({"seq": range(1, len(rows) + 1), "id_a": [r[0] for r in rows],
                         "id_b": [r[1] for r in rows], "decision": [r[2] for r in rows]})


def _asked(out) -> dict[frozenset[str], frozenset[str]]:
    return {frozenset(p.members_a): frozenset(p.members_b) for p in out.maybe_pairs}


def test_a_record_against_a_group_is_asked_once_shown_as_the_groups_kept_record():
    out = deduplicate(load(GAMBLING))
    # 7 record pairs (3 + 4) before
    assert len(out.maybe_pairs) == 2
    by_first = {p.id_a: p for p in out.maybe_pairs}
    table = out.table.set_index("record_id")
    for lone, group in ((PREPRINT, ARTICLE), (BARE, PAPER)):
        p = next(q for q in out.maybe_pairs if lone in (q.id_a, q.id_b))
        other = p.id_b if p.id_a == lone else p.id_a
        assert other == table.loc[group[0], "dup_group"] and table.loc[other, "duplicate_of"] == ""  # kept
        sides = {frozenset(p.members_a), frozenset(p.members_b)}
        assert sides == {frozenset([lone]), frozenset(group)} and p.pairs == len(group)
    assert by_first[PREPRINT].reason == ("a preprint and a journal article with the same title and authors: two reports "
                                         "of one study?")


def test_one_answer_on_the_shown_pair_settles_the_whole_group():
    table = load(GAMBLING)
    shown = {p.id_a if p.id_b in (PREPRINT, BARE) else p.id_b: p for p in deduplicate(table).maybe_pairs}
    kept_article = next(k for k, p in shown.items() if PREPRINT in (p.id_a, p.id_b))
    kept_paper = next(k for k, p in shown.items() if BARE in (p.id_a, p.id_b))
    log = _log((PREPRINT, kept_article, "distinct"), (BARE, kept_paper, "duplicate"))
    out = deduplicate(table, decisions=log)
    assert out.maybe_pairs == []       # the preprint was asked again against the two other copies
    marks = out.table.set_index("record_id")
    assert marks.loc[PREPRINT, "dup_group"] == PREPRINT
    assert marks.loc[BARE, "duplicate_of"] == kept_paper and marks.loc[BARE, "dup_rule"] == "manual"
    assert set(marks.loc[marks["dup_group"] == kept_paper].index) == {BARE, *PAPER}


def test_a_decision_an_earlier_version_stored_on_another_member_pair_settles_the_group():
    """Old logs hold decisions on member pairs (the copy the old queue happened to show)."""
    table = load(GAMBLING)
    out = deduplicate(table, decisions=_log((PREPRINT, ARTICLE[2], "distinct"), (BARE, PAPER[3], "distinct")))
    assert out.maybe_pairs == [] and (out.table["duplicate_of"] != "").sum() == 5     # the DOI links only


def test_the_review_loop_asks_each_group_pair_once_and_skips_what_the_answers_imply(tmp_path):
    """Wildfire: the Diabetes Care article (Dimensions, Lens, MEDLINE: one DOI) and two figshare
    records of its data (v1 and the concept DOI): 7 record pairs, 3 group pairs; answering two
    of them settles the third (both figshare records = the article, so they are one)."""
    src = tmp_path / "records.csv"
    write_table(load(WILDFIRE), src)
    out = tmp_path / "out.csv"
    assert runner.invoke(app, ["dedup", str(src), "-o", str(out)]).exit_code == 0
    queue = open_queue(tmp_path)
    assert len(queue.pending) == 3
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="d\nd\n", env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "stored 2 decision(s)" in text and "1 more pair(s) follow from your answers" in text
    assert "same group" in text and "the answer applies to both groups" in text
    log = load_decisions(tmp_path)
    assert log["decision"].tolist() == ["duplicate", "duplicate"]
    # each row names the groups it stood for (the audit trail of a group answer)
    assert "lens_343-00296" in log["note"].iloc[0] and "medline_84-00001" in log["note"].iloc[0]
    res = runner.invoke(app, ["dedup", str(src), "-o", str(out)])
    assert "0 maybe-pairs queued" in " ".join(res.output.split())
    marks = read_table(out)
    assert marks["dup_group"].nunique() == 1 and sorted(marks["dup_rule"]) == ["", "doi", "doi", "manual", "manual"]
    assert runner.invoke(app, ["dedup-review", str(tmp_path)], input="").output.startswith("no maybe-pairs waiting")


def test_an_implied_distinct_is_not_asked_and_the_next_run_agrees(tmp_path):
    table = load(WILDFIRE)
    write_table(table, tmp_path / "records.csv")
    runner.invoke(app, ["dedup", str(tmp_path / "records.csv"), "-o", str(tmp_path / "out.csv")])
    queue = open_queue(tmp_path, reviewer="ana")
    first, second, third = queue.pending          # article/v1, article/concept, v1/concept
    from screening.dedup.review import decide_pair

    decide_pair(tmp_path, first.id_a, first.id_b, "duplicate", "ana", queue=queue)
    decide_pair(tmp_path, second.id_a, second.id_b, "distinct", "ana", queue=queue)
    assert queue.progress.implied(third) == "distinct" and queue.pending == []
    assert open_queue(tmp_path).pending == []     # a later session agrees, from the log
    out = deduplicate(table, decisions=load_decisions(tmp_path))
    assert out.maybe_pairs == [] and out.details["decision_conflicts"] == []
    assert out.table["dup_group"].nunique() == 2


def test_the_decision_store_returns_the_row_it_appended(tmp_path):
    assert record_decision(tmp_path, "b", "a", "duplicate", "ana") == 1
    assert record_decision(tmp_path, "a", "b", "reopen", "ana", note="groups: a | b") == 2
    assert load_decisions(tmp_path)["note"].tolist() == ["", "groups: a | b"]
