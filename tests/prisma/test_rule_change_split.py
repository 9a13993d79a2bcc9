"""A rule changed after screening began: the methods say how many of the records it took out
were settled and how many only had a first decision (acceptance testing: 'year min = 2008' +
`run --allow-rule-changes`; the methods said '8 of these records had already been screened'
while 5 were settled and 3 had one reviewer's decision, as the PRISMA warnings said)."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.decisions import api
from screening.prisma.api import generate
from screening.records import write_table
from tests.decisions.conftest import REVIEW_TOML, build_table

SETTLED, UNSETTLED = ["3", "4", "5", "6", "7"], ["8", "9", "10"]


@pytest.fixture
def review(tmp_path: Path) -> Path:
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text(REVIEW_TOML.replace("[screening]\n", '[screening]\nreviewers = ["alice", "bob"]\n'),
                    encoding="utf-8")
    write_table(build_table(), tmp_path / "data" / "screened" / "t" / "ingest.parquet")
    return toml


def _rule_out(review: Path, ids: list[str]) -> None:
    """A tightened rule (re-run with --allow-rule-changes) excludes ``ids`` besides record 55."""
    table = build_table()
    table.loc[table["record_id"].isin(ids), "rule_decision"] = "exclude"
    if "rule_reason" in table.columns:
        table.loc[table["record_id"].isin(ids + ["55"]), "rule_reason"] = "Published before 2008"
    write_table(table, review.parent.parent / "data" / "screened" / "t" / "ingest.parquet")


def _methods(review: Path) -> str:
    return " ".join(generate(review).files["md"].read_text(encoding="utf-8").split())


def test_the_methods_split_the_ruled_out_records_into_settled_and_not_yet(review: Path) -> None:
    api.assign(review, "alice,bob")
    for rid in SETTLED:
        api.record_decision(review, reviewer="alice", record_id=rid, action="exclude")
        api.record_decision(review, reviewer="bob", record_id=rid, action="exclude")
    for rid in UNSETTLED:
        api.record_decision(review, reviewer="alice", record_id=rid, action="exclude")
    _rule_out(review, SETTLED + UNSETTLED)
    text = _methods(review)
    assert ("the rules were changed after title/abstract screening had begun, and 8 of these records already had "
            "screening decisions (5 settled, 3 not yet settled): the screening decisions on those 8 records are "
            "not counted.") in text, text
    assert "had already been screened" not in text
    # the diagram's footnote to the 'removed before screening' box says the same
    from screening.prisma.diagram import svg_texts

    res = generate(review)
    footer = " ".join(" ".join(svg_texts(res.files["svg"].read_bytes())).split())
    assert ("Of the records marked ineligible by automation tools (rules), 8 already had screening decisions "
            "(5 settled, 3 not yet settled) when the rules were changed, after title/abstract screening had "
            "begun.") in footer, footer
    warned = res.summary()["warnings"]
    assert any("decisions on 5 records not in screening" in w for w in warned), warned
    assert any(w.startswith("3 record(s) with unsettled title/abstract decisions") for w in warned), warned


def test_with_only_settled_records_ruled_out_they_had_been_screened(review: Path) -> None:
    for rid in SETTLED[:2]:
        api.record_decision(review, reviewer="alice", record_id=rid, action="exclude")
    _rule_out(review, SETTLED[:2])
    assert ("and 2 of these records had already been screened: the screening decisions on those 2 records are "
            "not counted.") in _methods(review)


def test_one_unsettled_record_ruled_out(review: Path) -> None:
    api.assign(review, "alice,bob")
    api.record_decision(review, reviewer="alice", record_id="3", action="include")
    _rule_out(review, ["3"])
    text = _methods(review)
    assert ("and 1 of these records already had screening decisions (not yet settled): the screening decisions on "
            "that record are not counted.") in text, text
