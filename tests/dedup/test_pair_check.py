"""A typed ``--pair A B --duplicate`` on two records that evidently differ is refused.

Acceptance testing typed one wrong id: two gambling-harms records with other titles, years and
DOIs were stored as one study, and the next run hid the 2020 paper's whole group from screening,
all without a word. Real records throughout: the gambling funnel's paper (2020) and article
(2022) groups (tests/fixtures/dedup_cases), the labelled pairs and trimmed sets of
tests/fixtures/dedup. Before, every 'duplicate' answer on known ids was stored."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.dedup.labelled import load_groups, load_labelled_records, pairs_of
from screening.dedup.normalise import keys_for_table
from screening.dedup.pair_doubts import evident_differences
from screening.dedup.review import decide_pair
from screening.dedup.store import load_decisions
from screening.errors import DecisionError
from screening.records import read_table, write_table

from .conftest import FIXTURES
from .test_compare import _colandr_keys
from .test_review_groups import ARTICLE, GAMBLING, PAPER, PREPRINT, load

runner = CliRunner()
# the paper's PsycInfo copy (2020, 10.1556/...) and the article's PubMed copy (2022, 10.1186/...)
A_PAPER, AN_ARTICLE = PAPER[1], ARTICLE[1]


def _text(res) -> str:
    return " ".join(res.output.split())


def _dedup(tmp_path) -> None:
    src = tmp_path / "records.csv"
    if not src.exists():
        write_table(load(GAMBLING), src)
    res = runner.invoke(app, ["dedup", str(src), "-o", str(tmp_path / "out.csv")])
    assert res.exit_code == 0, res.output


def _pair(tmp_path, a: str, b: str, *flags: str):
    return runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana", "--pair", a, b, *flags],
                         env={"COLUMNS": "300"})


def _group_of(out: pd.DataFrame, rid: str) -> set[str]:
    kept = out.set_index("record_id").loc[rid, "dup_group"]
    return set(out.loc[out["dup_group"] == kept, "record_id"])


def test_a_typed_duplicate_answer_on_two_studies_is_refused_saying_what_differs(tmp_path):
    _dedup(tmp_path)
    res = _pair(tmp_path, A_PAPER, AN_ARTICLE, "--duplicate")
    said = _text(res)
    assert res.exit_code == 6, res.output
    for words in ("evidently differ", "titles differ (similarity 0.44): 'The prevention paradox applies to some",
                  "vs 'Benchmarking gambling screens to health-state utility", "years differ: 2020 vs 2022",
                  "nothing stored", "--force"):
        assert words in said, words
    # two registrants' DOIs (10.1556, 10.1186) do not count against a pair, as in the matcher
    assert "DOIs differ" not in said and "stored:" not in said
    assert len(load_decisions(tmp_path)) == 0
    _dedup(tmp_path)
    assert AN_ARTICLE not in _group_of(read_table(tmp_path / "out.csv"), A_PAPER)
    # answers that cannot hide a study are never refused; nor the hard case the matcher queued
    # (the 2021 preprint vs the 2022 article's group), named by another copy than the one shown
    assert _pair(tmp_path, A_PAPER, AN_ARTICLE, "--distinct").exit_code == 0
    assert _pair(tmp_path, A_PAPER, AN_ARTICLE, "--reopen").exit_code == 0
    res = _pair(tmp_path, PREPRINT, AN_ARTICLE, "--duplicate")
    assert res.exit_code == 0 and "despite" not in _text(res), res.output
    assert load_decisions(tmp_path)["decision"].tolist() == ["distinct", "reopen", "duplicate"]


def test_force_stores_it_with_what_differed_and_the_next_run_applies_it(tmp_path):
    _dedup(tmp_path)
    res = _pair(tmp_path, A_PAPER, AN_ARTICLE, "--distinct", "--force")
    assert res.exit_code == 2 and "--force goes with --duplicate" in _text(res)
    res = _pair(tmp_path, A_PAPER, AN_ARTICLE, "--duplicate", "--force")
    said = _text(res)
    assert res.exit_code == 0, res.output
    assert f"stored: {A_PAPER} / {AN_ARTICLE} = duplicate (ana)" in said
    assert "despite: titles differ (similarity 0.44)" in said and "years differ: 2020 vs 2022" in said
    (note,) = load_decisions(tmp_path)["note"]
    assert note.startswith("groups: ") and "recorded despite: titles differ (similarity 0.44)" in note
    _dedup(tmp_path)
    assert _group_of(read_table(tmp_path / "out.csv"), A_PAPER) == {*PAPER, *ARTICLE}


def test_a_duplicate_answer_on_each_labelled_pair(tmp_path):
    """Every pair of tests/fixtures/dedup/pairs.csv labelled a duplicate is stored; of those
    labelled distinct, the HICSS minitrack introductions (one registrant's DOIs 2021.510 and
    2022.544) and one title in 2007 and 2010 are refused, each for its own reason."""
    raw = pd.read_csv(FIXTURES / "pairs.csv", dtype=str, keep_default_na=False)
    raw["ID"] = raw["source_set"].str[:4] + "-" + raw["ID"]          # ids are unique per set only
    raw.drop(columns=["pair", "expect", "why", "source_set"]).drop_duplicates("ID").to_csv(
        tmp_path / "pairs.csv", index=False)
    assert runner.invoke(app, ["dedup", str(tmp_path / "pairs.csv"), "-o", str(tmp_path / "out.csv")]).exit_code == 0
    refused = {}
    for _, rows in raw.groupby("pair", sort=False):
        (a, b), expect = rows["ID"].tolist(), rows["expect"].iat[0]
        try:
            decide_pair(tmp_path, a, b, "duplicate", "ana")
        except DecisionError as err:
            refused[(a, b)] = (expect, err.message)
    hicss = ("bibd-id_0000003", "bibd-id_0000004")
    again = ("rath-id_0001488", "rath-id_0001613")
    assert sorted(refused) == sorted([hicss, again])
    assert refused[hicss] == ("distinct", "the two records evidently differ: DOIs differ: 10.24251/hicss.2021.510 vs "
                                          "10.24251/hicss.2022.544; nothing stored")
    assert refused[again] == ("distinct", "the two records evidently differ: years differ: 2007 vs 2010; nothing stored")
    assert len(load_decisions(tmp_path)) == raw["pair"].nunique() - 2


@pytest.mark.parametrize("name", ["cytology_head160", "bibdedupe_testsample"])
def test_no_true_duplicate_of_a_labelled_set_evidently_differs(name):
    """Every pair of each ground-truth group passes, whichever two copies a person names; the
    records a mistyped id would land on mostly do not (cytology head: 12,292 of its 12,627
    non-duplicate pairs are refused)."""
    table = load_labelled_records(FIXTURES / f"{name}_records.csv")
    keys = dict(zip(table["record_id"], keys_for_table(table)))
    truth = pairs_of(load_groups(FIXTURES / f"{name}_dup_groups.csv"))
    assert truth and [p for p in truth if evident_differences(keys[p[0]], keys[p[1]])] == []
    ids = sorted(keys)
    others = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:] if (a, b) not in truth]
    share = sum(bool(evident_differences(keys[a], keys[b])) for a, b in others) / len(others)
    assert share > (0.95 if name == "cytology_head160" else 0.8)


def test_colandr_labelled_matches_pass_and_some_distinct_pairs_do_not():
    data = json.loads((FIXTURES / "colandr_pairs.json").read_text(encoding="utf-8"))
    assert [a["title"] for a, b in data["match"] if evident_differences(_colandr_keys(a), _colandr_keys(b))] == []
    assert any(evident_differences(_colandr_keys(a), _colandr_keys(b)) for a, b in data["distinct"])


def test_rather_different_titles_by_other_authors_under_other_dois_are_evidently_two_works():
    """Acceptance testing: two PubMed records of one COVID-19 search ('Emerging treatment strategies
    for COVID-19 infection.' and 'Pharmacological treatment of COVID-19: an opinion paper.', titles
    0.57 alike) were merged by a typed --pair ... --duplicate: only titles below 0.5 counted, and
    one-topic searches give unrelated titles of 0.5-0.75. Such titles now count with authors that
    share no name, or other DOIs/PMIDs."""
    from screening.stages.ingest import RawSource, ingest

    path = FIXTURES.parent / "exports" / "ris_zotero_pubmed.ris"
    table = ingest([RawSource(path.name, path.read_bytes())]).records
    a, b = keys_for_table(table)
    said = evident_differences(a, b, tuple(table["title"]))
    assert said and said[0].startswith("titles differ (similarity 0.57)"), said
    assert any(s.startswith("authors differ: gavriatopoulou") for s in said)
    assert "DOIs differ: 10.1007/s10238-020-00671-y vs 10.37201/req/158.2021" in said
    # the titles alone (0.57) are not enough: the same two records by one team stay a person's call
    same_team = dataclasses.replace(b, families=a.families, initials=a.initials, doi="", pmid="")
    assert evident_differences(a, same_team) == []
