"""Reports grouped into studies (``link_study``): PRISMA 2020 counts studies and reports apart.

End-to-end on the 25-record fixture (conftest): WoS records included at both stages, two of
them linked as reports of one study."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.decisions import api
from screening.decisions.entries import entries_from_rows
from screening.decisions.store import SCHEMA_VERSION, Event, SQLiteStore
from screening.decisions.studies import count_studies, study_links, study_of
from screening.errors import DecisionError
from screening.prisma.counts import compute_counts
from screening.prisma.update import update_flow

from .test_rounds import TOML, write_review
from .test_update_flow import RULES, WOS, _finals, _rounds


def _log(*events: tuple[str, str, str]) -> pd.DataFrame:
    """A log of (record, action, study) events in this order."""
    rows = [(i, f"u{i}", rid, "full_text", "alice", "screener", action, "", "", "", f"2026-01-0{i}", 0,
             json.dumps({"study": study}) if action == "link_study" else "{}")
            for i, (rid, action, study) in enumerate(events, start=1)]
    return entries_from_rows(rows)


def test_a_records_latest_link_stands_and_an_empty_one_ends_it() -> None:
    log = _log(("3", "link_study", "1"), ("3", "link_study", "2"), ("4", "link_study", "1"),
               ("4", "link_study", ""), ("5", "link_study", "5"), ("6", "include", ""))
    assert study_links(log) == {"3": "2"}


def test_linked_records_form_one_study_named_by_its_first_record() -> None:
    # 10 -> 2 and 2 -> 30 chain into one study; numeric ids sort as numbers (2 before 10)
    groups = study_of({"10": "2", "30": "2"}, ["7"])
    assert groups == {"10": "2", "2": "2", "30": "2", "7": "7"}
    assert study_of([("b", "a"), ("a", "b")]) == {"a": "a", "b": "a"}      # a cycle is one study
    assert count_studies(["10", "30", "7"], {"10": "2", "30": "2"}) == 2
    assert count_studies(["10", "30", "7"], {}) == 3


def test_compute_counts_groups_included_reports_into_studies(records: pd.DataFrame) -> None:
    ta, ft = _finals(WOS[:4], WOS[:4])
    plain = compute_counts(records, ta, ft)
    assert (plain.studies_included, plain.reports_included) == (4, 4)
    linked = compute_counts(records, ta, ft, study_links={WOS[1]: WOS[0], WOS[2]: WOS[1]})
    assert (linked.studies_included, linked.reports_included) == (2, 4)
    # a link to a record that is not included still joins the two included reports through it
    ta5, ft5 = _finals(WOS[:5], WOS[1:4])
    c = compute_counts(records, ta5, pd.concat([ft5, pd.DataFrame(
        {"record_id": [WOS[0], WOS[4]], "decision": "exclude", "reason": "wrong outcome"})]),
        study_links={WOS[1]: WOS[0], WOS[2]: WOS[0]})
    assert (c.studies_included, c.reports_included, c.reports_excluded) == (2, 3, 2)


def test_update_flow_counts_previous_reports_and_studies_apart(records: pd.DataFrame) -> None:
    ids = {"lens_9_of_343-00001": ["topic"], "lens_9_of_343-00003": ["type", "topic"]}
    ruled = records.assign(rule_ids=[ids.get(r, []) for r in records["record_id"]])
    lens = "lens_9_of_343-00002"
    ta, ft = _finals(WOS[:3] + [lens], WOS[:3] + [lens])
    links = {WOS[1]: WOS[0]}
    flow = update_flow(ruled, _rounds(ruled), ta, ft, RULES, study_links=links)
    assert (flow.previous_studies, flow.previous_reports) == (2, 3)
    in_flow = set(flow.records["record_id"])
    new = compute_counts(flow.records, ta[ta["record_id"].isin(in_flow)], ft[ft["record_id"].isin(in_flow)],
                         study_links=links, known_studies=flow.previous_ids)
    assert (new.studies_included, new.reports_included) == (1, 1)
    # the update's record linked to a previous study is a new report of it, not a new study
    again = compute_counts(flow.records, ta[ta["record_id"].isin(in_flow)], ft[ft["record_id"].isin(in_flow)],
                           study_links={**links, lens: WOS[2]}, known_studies=flow.previous_ids)
    assert (again.studies_included, again.reports_included) == (0, 1)


def _said(result) -> str:
    return " ".join(result.output.split())      # rich wraps long lines


@pytest.fixture()
def included(tmp_path: Path) -> tuple[Path, list[str]]:
    """A run review with three WoS records included at both stages."""
    toml = write_review(tmp_path, TOML)
    result = CliRunner().invoke(app, ["run", str(toml)])
    assert result.exit_code == 0, result.output
    for rid in WOS[:3]:
        api.record_decision(toml, reviewer="alice", record_id=rid, action="include")
        api.record_decision(toml, reviewer="alice", record_id=rid, action="include", stage="full_text")
    return toml, WOS[:3]


def test_linked_reports_are_one_study_in_the_report_and_the_export(included: tuple[Path, list[str]],
                                                                    tmp_path: Path) -> None:
    from screening.prisma.api import generate

    toml, ids = included
    cli = CliRunner()
    out = cli.invoke(app, ["decide", str(toml), "-r", "alice", "--record", ids[1], "--same-study-as", ids[0],
                           "--stage", "full_text"])
    assert out.exit_code == 0 and f"record {ids[1]} is a report of the study of record {ids[0]}" in _said(out)
    again = cli.invoke(app, ["decide", str(toml), "-r", "alice", "--record", ids[1], "--same-study-as", ids[0],
                             "--stage", "full_text"])
    assert "already so: nothing recorded" in _said(again)
    res = generate(toml)
    assert (res.counts.studies_included, res.counts.reports_included) == (2, 3)
    md = res.files["md"].read_text()
    # title/abstract screening goes on, so the counts are "so far"
    assert "| Studies included in review | 2 so far |" in md and "| Reports of included studies | 3 so far |" in md
    assert "So far, 2 studies (3 reports) have been included." in md
    assert json.loads(res.files["json"].read_text())["counts"]["reports_included"] == 3
    exported = tmp_path / "included.csv"
    assert cli.invoke(app, ["export", str(toml), "-o", str(exported), "--stage", "full_text"]).exit_code == 0
    rows = pd.read_csv(exported, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert dict(zip(rows["record_id"], rows["study"])) == {ids[0]: ids[0], ids[1]: ids[0], ids[2]: ids[2]}

    shown = _said(cli.invoke(app, ["log", str(toml), "--as-adjudicator", "--record", ids[1]],
                             env={"COLUMNS": "200"}))
    assert "link_study" in shown and f"same study as {ids[0]}" in shown
    # ending the link is a new event; the report counts three studies again
    out = cli.invoke(app, ["decide", str(toml), "-r", "alice", "--record", ids[1], "--separate-study",
                           "--stage", "full_text"])
    assert out.exit_code == 0 and "is its own study" in _said(out)
    assert generate(toml).counts.studies_included == 3


def test_a_link_is_checked_against_the_review(included: tuple[Path, list[str]]) -> None:
    toml, ids = included
    with pytest.raises(DecisionError, match="at the full-text stage"):
        api.record_decision(toml, reviewer="alice", record_id=ids[1], action="link_study", study=ids[0])
    with pytest.raises(DecisionError, match="its own study"):
        api.record_decision(toml, reviewer="alice", record_id=ids[1], action="link_study", study=ids[1],
                            stage="full_text")
    # the error names the record that is not there, and what to link to instead
    with pytest.raises(DecisionError, match=f"cannot link to record {WOS[5]}: record is not in full-text review"):
        api.record_decision(toml, reviewer="alice", record_id=ids[1], action="link_study", study=WOS[5],
                            stage="full_text")
    code = CliRunner().invoke(app, ["decide", str(toml), "-r", "alice", "--record", ids[1], "--same-study-as",
                                    "no-such-record", "--stage", "full_text"]).exit_code
    assert code != 0


# -- the log format: version 1 logs are migrated in place -------------------------------------

_V1 = """
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, event_uuid TEXT NOT NULL UNIQUE, record_id TEXT NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')), reviewer TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('screener', 'adjudicator')),
    action TEXT NOT NULL CHECK (action IN ('include', 'exclude', 'maybe', 'undo', 'note', 'not_retrieved',
                                           'attach_report', 'assign')),
    reason TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '', ranking_id TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, is_demo INTEGER NOT NULL DEFAULT 0 CHECK (is_demo IN (0, 1)),
    payload TEXT NOT NULL DEFAULT '{}');
CREATE INDEX events_record ON events(record_id, stage);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: record a new event instead'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: record an undo event instead'); END;
"""


def _v1_log(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    con.executescript(_V1)
    for i in (1, 2, 3):
        con.execute("INSERT INTO events (event_uuid, record_id, stage, reviewer, role, action, created_at) "
                    "VALUES (?, ?, 'title_abstract', 'alice', 'screener', 'include', ?)", (f"u{i}", str(i), f"t{i}"))
    # the counter ran past the last row once (an insert that failed): ids must never be reused
    con.execute("UPDATE sqlite_sequence SET seq = 7 WHERE name = 'events'")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    rows = con.execute("SELECT * FROM events ORDER BY id").fetchall()
    con.close()
    return rows


def test_a_version_1_log_is_migrated_with_every_event_kept(tmp_path: Path) -> None:
    path = tmp_path / "decisions.sqlite"
    before = _v1_log(path)
    with SQLiteStore(path) as store:
        assert store.rows() == [(*r, None) for r in before]     # written before versions were recorded
        assert store.append([Event(record_id="2", stage="full_text", reviewer="alice", action="link_study",
                                   payload={"study": "1"})]) == 1
        assert store.rows()[-1][0] == 8                    # the counter went on from 7
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE name LIKE 'events_v1%'")] == []
    for stmt in ("UPDATE events SET reviewer = 'x'", "DELETE FROM events"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(stmt)
    con.close()


def test_a_log_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "decisions.sqlite"
    SQLiteStore(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(DecisionError, match="newer version of screening"):
        SQLiteStore(path)


# -- links as the review changes, blinding, and wording (code review of the first version) ----

def test_links_follow_dedup_and_drop_records_that_left_full_text(records: pd.DataFrame) -> None:
    from screening.decisions.studies import current_links

    table = pd.DataFrame({"record_id": ["r", "t", "k", "x"], "duplicate_of": ["", "k", "", ""]})
    # a link to a copy that became a duplicate is a link to the copy dedup kept
    assert current_links({"r": "t"}, table, {"r", "k"}) == [("r", "k")]
    # a link whose other end left full text (excluded at title/abstract, say) groups nothing
    assert current_links({"r": "x"}, table, {"r", "k"}) == []
    ta, ft = _finals(WOS[:3], WOS[:3])
    c = compute_counts(records, ta, ft, study_links={WOS[1]: WOS[7], WOS[2]: WOS[7]})
    assert c.studies_included == 3                      # WOS[7] is not at full text: no study of three


def test_the_previous_versions_studies_are_not_regrouped_by_the_updates_links(records: pd.DataFrame) -> None:
    ids = {"lens_9_of_343-00001": ["topic"], "lens_9_of_343-00003": ["type", "topic"]}
    ruled = records.assign(rule_ids=[ids.get(r, []) for r in records["record_id"]])
    lens = "lens_9_of_343-00002"
    ta, ft = _finals(WOS[:3] + [lens], WOS[:3] + [lens])
    # P1 -> U and U -> P2 would join two previous studies through the update's record
    flow = update_flow(ruled, _rounds(ruled), ta, ft, RULES, study_links={WOS[0]: lens, lens: WOS[1]})
    assert (flow.previous_studies, flow.previous_reports) == (3, 3)


def test_the_update_methods_count_a_new_report_of_a_previous_study_as_a_report(records: pd.DataFrame) -> None:
    import dataclasses

    from screening.prisma.context import ReportContext
    from screening.prisma.methods import methods_paragraph

    c = compute_counts(records, *_finals(["lens_9_of_343-00002"], ["lens_9_of_343-00002"]),
                       study_links={"lens_9_of_343-00002": WOS[0]}, known_studies=[WOS[0]])
    assert (c.studies_included, c.reports_included, c.reports_of_previous_studies) == (0, 1, 1)
    ctx = ReportContext(review_name="u", title="U", tool_version="9.9.9", state_hash="f" * 64)
    text = methods_paragraph(dataclasses.replace(c, previous_studies=1, previous_reports=1), ctx)
    assert ("included 0 new studies (0 reports) and 1 new report of studies the previous version included; with "
            "the 1 study (1 report) included in the previous version") in text



def test_the_update_boxes_keep_a_new_report_of_a_previous_study_out_of_the_new_studies_reports(
        records: pd.DataFrame) -> None:
    """Acceptance testing (session 30): 'Reports of new included studies' counted it (3 where the
    methods paragraph said 2 new reports and 1 of a previous study)."""
    import dataclasses

    from screening.prisma.diagram import render, svg_texts
    from screening.prisma.report import counts_rows
    from screening.prisma.template import template_values

    c = compute_counts(records, *_finals(["lens_9_of_343-00002", WOS[1]], ["lens_9_of_343-00002", WOS[1]]),
                       study_links={"lens_9_of_343-00002": WOS[0]}, known_studies=[WOS[0]])
    c = dataclasses.replace(c, previous_studies=1, previous_reports=1)
    assert (c.studies_included, c.reports_included, c.new_study_reports) == (1, 2, 1)
    values = template_values(c)
    assert (values["new_studies"], values["new_reports"], values["total_studies"], values["total_reports"]) == \
        ("1", "1", "2", "3")
    joined = " ".join(" ".join(svg_texts(render(c, "svg"))).split())
    # (so far: the fixture's other records are still to screen)
    assert "Reports of new included studies (n = 1 so far)" in joined
    assert "New reports of previous studies (n = 1 so far)" in joined
    rows = dict(counts_rows(c))
    assert rows["Reports of new included studies"] == rows["New reports of studies of the previous version"] == "1 so far"


@pytest.fixture()
def dual(tmp_path: Path) -> tuple[Path, list[str]]:
    """Three WoS records at full text, planned for alice and bob at full text; alice has
    included the three (pending bob) and linked the second to the first."""
    toml = write_review(tmp_path, TOML)
    assert CliRunner().invoke(app, ["run", str(toml)]).exit_code == 0
    for rid in WOS[:3]:
        api.record_decision(toml, reviewer="alice", record_id=rid, action="include")
    api.assign(toml, "alice,bob", fraction=1, stage="full_text")
    for rid in WOS[:3]:
        api.record_decision(toml, reviewer="alice", record_id=rid, action="include", stage="full_text")
    api.record_decision(toml, reviewer="alice", record_id=WOS[1], action="link_study", study=WOS[0],
                        stage="full_text")
    return toml, WOS[:3]


def test_a_link_is_blinded_like_a_decision(dual: tuple[Path, list[str]], tmp_path: Path) -> None:
    from screening.export import export_records

    toml, ids = dual
    out = tmp_path / "bob.csv"
    export_records(toml, out, stage="full_text", decision="all", reviewer="bob")
    rows = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(rows["study"]) == list(rows["record_id"])       # alice's link is hidden from bob
    export_records(toml, out, stage="full_text", decision="all", as_adjudicator=True)
    rows = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert dict(zip(rows["record_id"], rows["study"]))[ids[1]] == ids[0]
    # bob's own link is his judgement: recorded, not "already so"
    res = api.record_decision(toml, reviewer="bob", record_id=ids[1], action="link_study", study=ids[0],
                              stage="full_text")
    assert res.written and not res.repeated


def test_ending_a_link_says_when_the_record_stays_in_the_study(included: tuple[Path, list[str]]) -> None:
    toml, ids = included
    api.record_decision(toml, reviewer="alice", record_id=ids[1], action="link_study", study=ids[0], stage="full_text")
    api.record_decision(toml, reviewer="alice", record_id=ids[2], action="link_study", study=ids[1], stage="full_text")
    res = api.record_decision(toml, reviewer="alice", record_id=ids[1], action="link_study", study="",
                              stage="full_text")
    assert res.written and res.study == (ids[1], ids[2])
    assert res.warnings == (f"record {ids[1]} is still one study with {ids[2]} through that record's own links",)
    out = CliRunner().invoke(app, ["decide", str(toml), "-r", "alice", "--record", ids[1], "--same-study-as", ids[0],
                                   "--separate-study", "--stage", "full_text"])
    assert out.exit_code != 0 and "not both" in _said(out)


def test_a_study_is_named_by_its_first_included_report(included: tuple[Path, list[str]], tmp_path: Path) -> None:
    from screening.export import export_records

    toml, ids = included
    api.record_decision(toml, reviewer="alice", record_id=ids[1], action="link_study", study=ids[0], stage="full_text")
    api.record_decision(toml, reviewer="alice", record_id=ids[0], action="exclude", reason="wrong outcome",
                        stage="full_text")
    out = tmp_path / "included.ris"
    export_records(toml, out, stage="full_text")
    text = out.read_text(encoding="utf-8")
    assert ids[0] not in text.replace(f"record_id: {ids[1]}", "")    # the excluded report is not named
    out = tmp_path / "all.csv"
    export_records(toml, out, stage="full_text", decision="all", as_adjudicator=True)
    rows = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert dict(zip(rows["record_id"], rows["study"]))[ids[0]] == ids[1]


def test_a_link_replacing_another_reviewers_says_so_once_they_may_see_it(dual: tuple[Path, list[str]]) -> None:
    """The latest link stands whoever made it; a reviewer replacing the colleague's link in
    effect hears of it (session 14 leftover: links replaced each other silently), but not
    before blinding lets them see it, and not about a link already replaced or ended."""
    toml, ids = dual

    def link(who: str, study: str) -> tuple[str, ...]:
        res = api.record_decision(toml, reviewer=who, record_id=ids[1], action="link_study", study=study,
                                  stage="full_text")
        assert res.written
        return res.warnings

    def said(who: str, study: str, what: str) -> tuple[str, ...]:
        return (f"{who} linked record {ids[1]} to the study of record {study}; the latest link stands, so {what} "
                "theirs in the counts (a disagreement over links is not adjudicated: agree on it with them)",)

    assert link("bob", ids[2]) == ()                  # alice's link is hidden from bob
    api.record_decision(toml, reviewer="bob", record_id=ids[1], action="include", stage="full_text")
    assert link("bob", ids[0]) == ()                  # the link in effect is his own
    assert link("alice", "") == said("bob", ids[0], "ending it ends")
    assert link("bob", ids[2]) == ()                  # alice ended the link: nothing in effect
    assert link("alice", ids[0]) == said("bob", ids[2], "yours replaces")


def _ris_notes(text: str) -> dict[str, list[str]]:
    """Each RIS record's ID -> its 'study:' notes."""
    out: dict[str, list[str]] = {}
    for record in text.split("ER  - "):
        lines = record.strip().splitlines()
        rid = next((line[6:] for line in lines if line.startswith("ID  - ")), None)
        if rid:
            out[rid] = [line[6:] for line in lines if line.startswith("N1  - study:")]
    return out


def test_every_report_of_a_study_of_several_names_its_other_reports_in_the_ris(
        included: tuple[Path, list[str]], tmp_path: Path) -> None:
    """Only the second report said 'study: same study as record X'; X itself, the study's
    first report, had no note, so a reference manager's user could not tell from it that the
    study has another report (acceptance testing). The CSV's study column names the study on
    every row."""
    from screening.export import export_records

    toml, ids = included
    api.record_decision(toml, reviewer="alice", record_id=ids[1], action="link_study", study=ids[0], stage="full_text")
    out = tmp_path / "included.ris"
    export_records(toml, out, stage="full_text")
    assert _ris_notes(out.read_text(encoding="utf-8")) == {
        ids[0]: [f"study: same study as record {ids[1]}"], ids[1]: [f"study: same study as record {ids[0]}"],
        ids[2]: []}
    # a third report: each names the other two, the study's name (its first report) first
    api.record_decision(toml, reviewer="alice", record_id=ids[2], action="link_study", study=ids[1], stage="full_text")
    export_records(toml, out, stage="full_text")
    assert _ris_notes(out.read_text(encoding="utf-8")) == {
        ids[0]: [f"study: same study as records {ids[1]}, {ids[2]}"],
        ids[1]: [f"study: same study as records {ids[0]}, {ids[2]}"],
        ids[2]: [f"study: same study as records {ids[0]}, {ids[1]}"]}
