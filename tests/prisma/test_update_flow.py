"""PRISMA 2020's flow for updated reviews ([prisma] flow = "update").

The 25-record fixture (conftest) with Lens dated a year after WoS and MEDLINE: the update
round has Lens's 9 records, 4 of them duplicates of WoS records (found before), 2 excluded by
rules, 3 left to screen."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.errors import ConfigError, ReportError
from screening.prisma.counts import compute_counts
from screening.prisma.diagram import render, svg_texts
from screening.prisma.searches import search_round_labels
from screening.prisma.template import template_values
from screening.prisma.update import FOUND_BEFORE, counted_rule_reason, update_flow
from screening.record_marks import in_play
from screening.rules.model import Rule

from .test_rounds import TOML, write_review

DATE = {"wos": "2023-03-09", "medline": "2023-03-10", "lens": "2024-05-01"}
WOS = [f"wos_10_of_278-{i:05d}" for i in range(1, 11)]
RULES = [Rule(id="type", reason="publication type: book chapter", action="flag"),
         Rule(id="topic", reason="off-topic: not about fire", action="exclude")]


def _rounds(records: pd.DataFrame) -> pd.Series:
    return search_round_labels(records["record_id"].map(lambda r: DATE[r.split("_")[0]]))


def _finals(ta_include: list[str], ft_include: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ta = pd.DataFrame({"record_id": ta_include, "decision": "include", "reason": ""})
    ft = pd.DataFrame({"record_id": ft_include, "decision": "include", "reason": ""})
    return ta, ft


@pytest.fixture()
def ruled(records: pd.DataFrame) -> pd.DataFrame:
    ids = {"lens_9_of_343-00001": ["topic"], "lens_9_of_343-00003": ["type", "topic"]}
    return records.assign(rule_ids=[ids.get(r, []) for r in records["record_id"]])


def test_the_update_flow_counts_the_latest_round_and_the_previous_version(ruled: pd.DataFrame) -> None:
    ta, ft = _finals(WOS[:3] + ["lens_9_of_343-00002"], WOS[:2] + ["lens_9_of_343-00002"])
    flow = update_flow(ruled, _rounds(ruled), ta, ft, RULES)
    assert (flow.latest, flow.earlier) == ("2024-05-01", ("2023-03-09 to 2023-03-10",))
    assert len(flow.records) == 9 and flow.records["record_id"].str.startswith("lens").all()
    assert flow.previous_studies == 2                       # the two WoS studies included
    # the book chapter is counted under its first *exclude* rule's reason, as the rules stage counts it
    assert flow.rule_reasons == {"off-topic: not about fire": 2}
    ids = set(flow.records["record_id"])
    c = compute_counts(flow.records, ta[ta["record_id"].isin(ids)], ft[ft["record_id"].isin(ids)],
                       rule_reason_counts=flow.rule_reasons)
    assert (c.identified, c.duplicates, c.automation_rules, c.records_screened) == (9, 4, 2, 3)
    assert (c.reports_sought, c.studies_included) == (1, 1)
    assert not c.warnings                                   # the previous version's decisions are not strays


def test_a_study_is_found_before_only_if_the_previous_version_screened_it(ruled: pd.DataFrame) -> None:
    """Dedup may keep the update's copy of a study whose earlier copy nobody screened (code
    review: it was counted as a previous study, and the update's decisions on it dropped).
    It is screened in the update, so it is a new study; only when the earlier copy was screened
    is the update's copy found again (a duplicate removed)."""
    swapped = ruled.copy()
    swapped.loc[swapped["record_id"] == "lens_9_of_343-00006", "duplicate_of"] = ""
    swapped.loc[swapped["record_id"] == "wos_10_of_278-00009", "duplicate_of"] = "lens_9_of_343-00006"
    ta, ft = _finals(["lens_9_of_343-00006"], ["lens_9_of_343-00006"])
    flow = update_flow(swapped, _rounds(swapped), ta, ft, RULES)
    assert flow.records.set_index("record_id").loc["lens_9_of_343-00006", "duplicate_of"] == ""
    assert flow.previous_studies == 0
    ids = set(flow.records["record_id"])
    c = compute_counts(flow.records, ta[ta["record_id"].isin(ids)], ft[ft["record_id"].isin(ids)],
                       rule_reason_counts=flow.rule_reasons)
    assert (c.duplicates, c.records_screened, c.studies_included, c.warnings) == (3, 4, 1, ())

    # the earlier copy screened, the update's copy not (yet): the update found it again
    screened = pd.DataFrame({"record_id": ["wos_10_of_278-00009"], "decision": ["exclude"], "reason": [""]})
    row = update_flow(swapped, _rounds(swapped), screened, None, RULES).records.set_index("record_id") \
        .loc["lens_9_of_343-00006"]
    assert (row["duplicate_of"], row["dup_rule"]) == ("wos_10_of_278-00009", FOUND_BEFORE)


def test_an_unfinished_previous_version_is_counted_so_far(ruled: pd.DataFrame) -> None:
    """Code review: with the earlier searches' records unscreened, the total read as final."""
    ta, ft = _finals(WOS[:2], WOS[:2])
    flow = update_flow(ruled, _rounds(ruled), ta, ft, RULES)
    assert flow.previous_pending == 13 - 2           # 13 earlier records in screening, 2 settled
    # a stopping rule closes the unscreened ones; a record included but not assessed is still open
    ta2, _ = _finals(WOS[:3], [])
    assert update_flow(ruled, _rounds(ruled), ta2, ft, RULES, stopped=True).previous_pending == 1
    done = pd.DataFrame({"record_id": [r for r in ruled["record_id"] if not r.startswith("lens")],
                         "decision": "exclude", "reason": ""})
    assert update_flow(ruled, _rounds(ruled), done, None, RULES).previous_pending == 0
    c = dataclasses.replace(compute_counts(flow.records), previous_studies=2, previous_reports=2,
                            update_round=flow.latest, previous_pending=flow.previous_pending)
    joined = " ".join(" ".join(svg_texts(render(c, "svg"))).split())
    assert "previous version of review (n = 2 so far)" in joined
    assert template_values(c)["total_studies"] == "2"


def test_an_update_flow_needs_two_dated_rounds(records: pd.DataFrame) -> None:
    one = search_round_labels(pd.Series("2023-03-09", index=records.index))
    with pytest.raises(ReportError, match="one round"):
        update_flow(records, one, None, None)
    undated = _rounds(records).where(~records["record_id"].str.startswith("lens"), "")
    with pytest.raises(ReportError, match="9 records have none"):
        update_flow(records, undated, None, None)


def test_counted_rule_reason_reads_the_missing_data_action() -> None:
    actions = {"yr": ("before 2000", "flag", "exclude"), "lang": ("not English", "exclude", "keep")}
    assert counted_rule_reason(["yr", "lang"], ["before 2000", "not English"], actions) == "not English"
    assert counted_rule_reason(["yr"], ["before 2000 (no year)"], actions) == "before 2000 (no year)"
    assert counted_rule_reason([], [], actions) == ""


def test_the_diagram_and_template_show_the_previous_version(ruled: pd.DataFrame) -> None:
    ta, ft = _finals(WOS[:3] + ["lens_9_of_343-00002"], WOS[:2] + ["lens_9_of_343-00002"])
    flow = update_flow(ruled, _rounds(ruled), ta, ft, RULES)
    ids = set(flow.records["record_id"])
    ta_u, ft_u = ta[ta["record_id"].isin(ids)], ft[ft["record_id"].isin(ids)]
    # every record of the update decided: a finished flow
    ta_u = pd.concat([ta_u, pd.DataFrame({"record_id": ["lens_9_of_343-00004", "lens_9_of_343-00005"],
                                          "decision": "exclude", "reason": ""})])
    c = dataclasses.replace(compute_counts(flow.records, ta_u, ft_u, rule_reason_counts=flow.rule_reasons),
                            previous_studies=2, previous_reports=2, update_round=flow.latest)
    texts = svg_texts(render(c, "svg"))
    joined = " ".join(" ".join(texts).split())          # box text is wrapped over lines
    for expected in ("Previous studies", "previous version of review (n = 2)", "New studies included in review",
                     "Total studies included in review", "(n = 3)", "(searches of 2024-05-01)"):
        assert expected in joined, expected
    values = template_values(c)
    assert (values["previous_studies"], values["new_studies"], values["total_studies"]) == ("2", "1", "3")


def _review(tmp_path: Path, flow: str) -> Path:
    return write_review(tmp_path, TOML + f'\n[prisma]\nflow = "{flow}"\n')


def test_an_updated_review_draws_the_update_flow_end_to_end(tmp_path: Path) -> None:
    from screening.config import load_review
    from screening.decisions import api
    from screening.prisma.api import generate
    from screening.last_run import latest_table

    toml = _review(tmp_path, "update")
    result = CliRunner().invoke(app, ["run", str(toml)])
    assert result.exit_code == 0, result.output
    table = latest_table(load_review(toml))
    kept = table[table["duplicate_of"] == ""]["record_id"].tolist()
    earlier = [r for r in kept if r.startswith("wos")][:2]
    for rid in earlier:
        api.record_decision(toml, reviewer="alice", record_id=rid, action="include")
        api.record_decision(toml, reviewer="alice", record_id=rid, action="include", stage="full_text")
    res = generate(toml)
    c = res.counts
    assert c.is_update and c.identified == 9 and c.previous_studies == 2 and c.total_studies == 2
    doc = json.loads(res.files["json"].read_text())
    assert doc["counts"]["previous_studies"] == 2 and doc["counts"]["total_studies"] == 2
    md = res.files["md"].read_text()
    # 12 of the earlier searches' records are in screening (13 studies, one kept as its Lens copy);
    # 10 are unscreened: the previous version is unfinished
    assert "| Studies included in previous version of review | 2 so far |" in md
    assert "| Total studies included in review | 2 so far |" in md
    assert "10 record(s) of the previous version (found by the searches before 2024-05-01)" in md
    assert "The update's searches (2024-05-01) identified 9 records from 1 database." in md
    # the update's screening facts: the previous version's decisions are not the update's. Dedup
    # kept one Lens copy of a study whose WoS copy nobody screened: it is screened in the update
    methods = md.split("## Methods (paste and edit)")[1].split("##")[0]
    assert "Title/abstract screening of the 6 records has not started." in methods and "alice" not in methods
    assert "**Funnel:** 9 → 6 → title/abstract screening not started (0 of 6 screened)" in md


def test_an_unknown_flow_is_a_config_error(tmp_path: Path) -> None:
    from screening.config import load_review

    with pytest.raises(ConfigError, match="unknown \\[prisma\\] flow 'updated'"):
        load_review(_review(tmp_path, "updated"))


def test_a_study_the_update_screened_stays_the_updates_when_its_earlier_copy_was_screened(
        ruled: pd.DataFrame) -> None:
    """UAT: the previous version excluded the earlier copy; the update's copy was included at
    both stages, then dedup-review joined the two keeping the update's copy. It was counted as
    'found before' and its inclusion vanished from every box."""
    joined = ruled.copy()
    joined.loc[joined["record_id"] == "lens_9_of_343-00006", "duplicate_of"] = ""
    joined.loc[joined["record_id"] == "wos_10_of_278-00009", "duplicate_of"] = "lens_9_of_343-00006"
    ta = pd.DataFrame({"record_id": ["wos_10_of_278-00009", "lens_9_of_343-00006"],
                       "decision": ["exclude", "include"], "reason": ""})
    ft = pd.DataFrame({"record_id": ["lens_9_of_343-00006"], "decision": "include", "reason": ""})
    flow = update_flow(joined, _rounds(joined), ta, ft, RULES)
    assert flow.records.set_index("record_id").loc["lens_9_of_343-00006", "duplicate_of"] == ""
    ids = set(flow.records["record_id"])
    c = compute_counts(flow.records, ta[ta["record_id"].isin(ids)], ft[ft["record_id"].isin(ids)],
                       rule_reason_counts=flow.rule_reasons)
    assert (flow.previous_studies, c.studies_included) == (0, 1)


def test_a_stopped_previous_version_says_what_the_stopping_rule_closed(ruled: pd.DataFrame) -> None:
    ta, ft = _finals(WOS[:2], WOS[:2])
    flow = update_flow(ruled, _rounds(ruled), ta, ft, RULES, ta_open=[WOS[2]], stopped=True)
    assert (flow.previous_closed, flow.previous_pending) == (13 - 3, 1)      # WOS[2] still being settled
    c = dataclasses.replace(compute_counts(flow.records), previous_studies=2, previous_reports=2,
                            update_round=flow.latest, previous_pending=1, previous_excluded_automation=10)
    joined = " ".join(" ".join(svg_texts(render(c, "svg"))).split())
    assert "10 of its records were closed unscreened by the stopping rule" in joined


def test_a_logged_stop_closes_only_the_records_it_names(ruled: pd.DataFrame) -> None:
    """`screening stop` names the records it closed: one of the previous version's records left
    out of the stop (ingested after it, say) is still pending, not closed."""
    ta, ft = _finals(WOS[:2], WOS[:2])
    everything = update_flow(ruled, _rounds(ruled), ta, ft, RULES, ta_open=[WOS[2]], stopped=True)
    play = set(ruled.loc[in_play(ruled), "record_id"])
    unscreened = sorted(r for r in play if r in set(ruled.loc[_rounds(ruled) != _rounds(ruled).max(), "record_id"])
                        and r not in WOS[:3])
    scope = frozenset(unscreened[1:])                    # the first was not there at the stop
    flow = update_flow(ruled, _rounds(ruled), ta, ft, RULES, ta_open=[WOS[2]], stopped=True, stop_scope=scope)
    assert flow.previous_closed == everything.previous_closed - 1 == len(scope)
    assert flow.previous_pending == everything.previous_pending + 1


def test_the_update_error_names_the_undated_sources(records: pd.DataFrame) -> None:
    undated = _rounds(records).where(~records["record_id"].str.startswith("lens"), "")
    with pytest.raises(ReportError, match=r"9 records have none \(lens_9_of_343.ris \('May 2024'\)\)"):
        update_flow(records, undated, None, None, unreadable=["lens_9_of_343.ris ('May 2024')"])


def test_an_unquoted_toml_date_is_a_search_date(tmp_path: Path) -> None:
    """UAT: `date_searched = 2024-05-01` (a TOML date) was refused as 'must be str, not date'."""
    from screening.config import load_review

    toml = _review(tmp_path, "update")
    toml.write_text(toml.read_text().replace('date_searched = "1 May 2024"', "date_searched = 2024-05-01"))
    assert load_review(toml).sources[2].date_searched == "2024-05-01"


def test_the_updates_possible_duplicate_pairs_are_those_with_an_update_record() -> None:
    """UAT: the update's methods paragraph counted pairs among the original searches' records."""
    from screening.prisma.state_checks import maybe_pair_state

    report = {"details": {"maybe_pairs": [{"id_a": "wos-1", "id_b": "medline-2"},
                                          {"id_a": "wos-3", "id_b": "lens-4"},
                                          {"id_a": "lens-5", "id_b": "lens-6"}]}}
    assert maybe_pair_state(report, None) == (3, 0)
    assert maybe_pair_state(report, None, only=frozenset({"lens-4", "lens-5", "lens-6"})) == (2, 0)


def test_a_study_both_versions_included_stays_the_previous_versions(ruled: pd.DataFrame) -> None:
    """UAT: both copies included at full text, then joined keeping the update's copy: the
    study moved from the previous version's count to the new studies."""
    joined = ruled.copy()
    joined.loc[joined["record_id"] == "lens_9_of_343-00006", "duplicate_of"] = ""
    joined.loc[joined["record_id"] == "wos_10_of_278-00009", "duplicate_of"] = "lens_9_of_343-00006"
    both = ["wos_10_of_278-00009", "lens_9_of_343-00006"]
    ta, ft = _finals(both + [WOS[0]], both + [WOS[0]])
    flow = update_flow(joined, _rounds(joined), ta, ft, RULES)
    row = flow.records.set_index("record_id").loc["lens_9_of_343-00006"]
    assert (row["duplicate_of"], row["dup_rule"]) == ("wos_10_of_278-00009", FOUND_BEFORE)
    ids = set(flow.records["record_id"])
    c = compute_counts(flow.records, ta[ta["record_id"].isin(ids)], ft[ft["record_id"].isin(ids)],
                       rule_reason_counts=flow.rule_reasons)
    assert (flow.previous_studies, c.studies_included) == (2, 0)


def test_the_methods_say_which_version_is_unfinished(ruled: pd.DataFrame) -> None:
    """UAT: with only the previous version unfinished, the paragraph said the update's count
    was 'so far' and not that the previous version was open."""
    from screening.prisma.context import ReportContext
    from screening.prisma.methods import methods_paragraph

    flow = update_flow(ruled, _rounds(ruled), None, None, RULES)
    done = pd.DataFrame({"record_id": ["lens_9_of_343-00002", "lens_9_of_343-00004", "lens_9_of_343-00005"],
                         "decision": ["include", "exclude", "exclude"], "reason": ""})
    ft = pd.DataFrame({"record_id": ["lens_9_of_343-00002"], "decision": ["include"], "reason": [""]})
    c = dataclasses.replace(compute_counts(flow.records, done, ft, rule_reason_counts=flow.rule_reasons),
                            previous_studies=7, previous_reports=7, update_round=flow.latest, previous_pending=3)
    ctx = ReportContext(review_name="u", title="U", tool_version="9.9.9", state_hash="f" * 64)
    text = methods_paragraph(c, ctx)
    assert ("The update included 1 new study (1 report). The previous version's screening is unfinished (3 "
            "records still to screen or assess); so far, with the 7 studies (7 reports) included in the previous "
            "version (from the earlier searches), 8 studies (8 reports) are included in the review.") in text
    finished = methods_paragraph(dataclasses.replace(c, previous_pending=0), ctx)
    assert finished.endswith("The update included 1 new study (1 report); with the 7 studies (7 reports) included "
                             "in the previous version (from the earlier searches), 8 studies (8 reports) were "
                             "included in the review.")


def test_an_earlier_copy_merged_into_another_earlier_copy_is_not_a_previous_study() -> None:
    """Code review: stale decisions on an earlier copy merged into another earlier copy (which
    the previous version excluded) counted as a previous study; no flow counts them."""
    recs = pd.DataFrame({"record_id": ["E1", "E2", "L1"], "duplicate_of": ["E2", "", ""],
                         "dup_group": ["E2", "E2", "L1"]})
    rounds = pd.Series(["2023-01-01", "2023-01-01", "2024-06-01"])
    ta = pd.DataFrame({"record_id": ["E1", "E2", "L1"], "decision": ["include", "include", "exclude"], "reason": ""})
    ft = pd.DataFrame({"record_id": ["E1", "E2"], "decision": ["include", "exclude"], "reason": ["", "design"]})
    assert update_flow(recs, rounds, ta, ft).previous_studies == 0 == compute_counts(recs, ta, ft).studies_included
    # a rounds Series not aligned with the table reads as undated, not as a round called 'nan'
    with pytest.raises(ReportError, match="1 records have none"):
        update_flow(recs, pd.Series(["2023-01-01", "2024-06-01"], index=[0, 1]), ta, ft)


def test_the_flow_counts_rule_exclusions_under_the_reason_the_rules_stage_stored(ruled: pd.DataFrame) -> None:
    """The review's rules were edited after the rules stage ran: the table's own counted reason
    (``rule_reason``) is what the flow counts, not one re-derived from the edited rules."""
    stored = ruled.assign(rule_reason=["old reason" if d == "exclude" else "" for d in ruled["rule_decision"]])
    edited = [Rule(id="topic", reason="a reason written later", action="exclude")]
    flow = update_flow(stored, _rounds(stored), None, None, edited)
    assert flow.rule_reasons is None                   # the counts read the column
    c = compute_counts(flow.records, rule_reason_counts=flow.rule_reasons)
    assert c.automation_rules_reasons == {"old reason": 2}
    # a table written before the column existed: re-derived from the rules, as before
    assert update_flow(ruled, _rounds(ruled), None, None, RULES).rule_reasons == {"off-topic: not about fire": 2}


def test_a_stop_of_the_previous_version_is_not_the_updates(tmp_path: Path) -> None:
    """Acceptance testing: screening stopped (by the stopping rule) before the update's search
    was added; the update's records were all screened. The update flow's methods paragraph said
    "Title/abstract screening was stopped by the ... rule ... no record was left unscreened" and
    the diagram drew the stopping rule's box at n = 0, crediting the earlier stop to the update."""
    from screening.config import load_review
    from screening.decisions import api
    from screening.decisions.stops import stop_screening
    from screening.prisma.api import generate
    from screening.last_run import latest_table

    earlier, update = TOML.split("[[sources]]\nfile = \"data/raw/upd/lens")
    toml = write_review(tmp_path, earlier + "[dedup]\n[rank]\n")
    result = CliRunner().invoke(app, ["run", str(toml)])
    assert result.exit_code == 0, result.output
    table = latest_table(load_review(toml))
    first = table[table["duplicate_of"] == ""]["record_id"].tolist()[:2]
    for rid in first:
        api.record_decision(toml, reviewer="alice", record_id=rid, action="include")
    stop = stop_screening(toml, "alice", force=True)
    assert stop.closed > 0
    # the update: the Lens search, dated a year later, every new record screened
    toml.write_text(TOML + "[rank]\n[prisma]\nflow = \"update\"\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(toml)])
    assert result.exit_code == 0, result.output
    table = latest_table(load_review(toml))
    new = [r for r in table.loc[in_play(table), "record_id"] if r.startswith("lens")]
    assert new
    for rid in new:
        api.record_decision(toml, reviewer="alice", record_id=rid, action="exclude")
    res = generate(toml)
    c = res.counts
    # the update's Lens copy of a study the stop closed is its duplicate: the closure stands (it
    # used to be kept instead, to be screened again, and the previous version's count fell by one)
    closed = set(stop.event.records)
    assert any(d in closed for d in table.loc[table["record_id"].str.startswith("lens"), "duplicate_of"])
    assert not c.stopped and c.excluded_automation == 0 and c.previous_excluded_automation == stop.closed
    md = res.files["md"].read_text(encoding="utf-8")
    methods = md.split("## Methods (paste and edit)")[1].split("##")[0]
    assert "stopped by" not in methods and "stopped before" not in methods
    assert f"In the previous version, {stop.closed} records nobody screened were closed by the stopping rule" in methods
    joined = " ".join(" ".join(svg_texts(render(c, "svg"))).split())
    assert "by automation tools (stopping rule)" not in joined
    drawn = " ".join(" ".join(svg_texts(res.files["svg"].read_bytes())).split())
    assert "In the previous version, screening was stopped before the stopping rule's test was met" in drawn


def test_an_update_flow_configured_early_does_not_block_ranking_or_a_stop(tmp_path: Path) -> None:
    """Acceptance testing: with [prisma] flow = "update" set before the update search ran,
    `screening stop --force` failed with the report's "needs an original search and an update"
    and recorded no stop: ranking ran the whole pipeline, PRISMA included."""
    from screening.config import load_review
    from screening.decisions import api
    from screening.decisions.stops import stop_screening
    from screening.last_run import latest_table

    earlier = TOML.split("[[sources]]\nfile = \"data/raw/upd/lens")[0]
    toml = write_review(tmp_path, earlier + "[dedup]\n[rank]\n[prisma]\nflow = \"update\"\n")
    result = CliRunner().invoke(app, ["run", str(toml)])
    assert result.exit_code != 0 and "needs an original search and an update" in result.output  # the report's
    table = latest_table(load_review(toml))
    for rid in table[table["duplicate_of"] == ""]["record_id"].tolist()[:2]:
        api.record_decision(toml, reviewer="alice", record_id=rid, action="include")
    stop = stop_screening(toml, "alice", force=True)
    assert stop.closed > 0


def test_an_update_with_nothing_left_to_screen_says_so_and_gives_the_total(ruled: pd.DataFrame) -> None:
    """Acceptance testing: an update whose every record was a duplicate ended the paragraph with
    'Title/abstract screening of the 0 records has not started.' (work left to do, it read) and
    never gave the review's total of included studies."""
    from screening.prisma.context import ReportContext
    from screening.prisma.methods import methods_paragraph

    flow = update_flow(ruled, _rounds(ruled), None, None, RULES)
    c = compute_counts(flow.records, rule_reason_counts=flow.rule_reasons)
    nothing = type(c.title_abstract)(total=0, done=0)
    c = dataclasses.replace(c, title_abstract=nothing, records_screened=0, previous_studies=24,
                            previous_reports=25, update_round=flow.latest)
    ctx = ReportContext(review_name="u", title="U", tool_version="9.9.9", state_hash="f" * 64)
    text = methods_paragraph(c, ctx)
    assert "has not started" not in text
    assert text.endswith("No record of the update was left to screen, so it included no new study; with the 24 "
                         "studies (25 reports) included in the previous version (from the earlier searches), 24 "
                         "studies (25 reports) are included in the review."), text
    open_before = methods_paragraph(dataclasses.replace(c, previous_pending=3), ctx)
    assert open_before.endswith("24 studies (25 reports) are included in the review so far (the previous version's "
                                "screening is unfinished: 3 records still to screen or assess).")
    plain = methods_paragraph(dataclasses.replace(c, update_round="", previous_studies=None, previous_reports=None),
                              ctx)
    assert plain.endswith("No record was left to screen, so no study was included.")


def test_other_methods_typed_for_the_review_are_not_credited_to_the_update(records: pd.DataFrame) -> None:
    """Acceptance testing: 'The update's searches (2023-01-15) identified 100 records from 1
    database and 5 from other methods': the other-methods counts are typed for the whole
    review, so nothing says the update found them."""
    from screening.prisma.context import ReportContext
    from screening.prisma.methods import methods_paragraph

    c = dataclasses.replace(compute_counts(records, other_methods={"Citation searching": 5}), previous_studies=2,
                            previous_reports=2, update_round="2024-03-09")
    text = methods_paragraph(c, ReportContext(review_name="u", title="u", tool_version="0", state_hash="h"))
    assert "from other methods" not in text.split("Over the whole review")[0]
    assert "Over the whole review, 5 records were identified from other methods (Citation searching, n = 5)." in text
