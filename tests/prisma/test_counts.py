"""PRISMA counts on real records, checked by hand, and one test per invariant violation."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from screening.errors import ReportError
from screening.prisma.counts import compute_counts
from screening.prisma.model import StageProgress, check_invariants


def test_counts_checked_by_hand(records, finals):
    ta, ft = finals
    c = compute_counts(records, ta, ft)
    assert c.databases == {"Web of Science Core Collection": 10, "Lens.org": 9, "Ovid MEDLINE": 6}
    assert c.registers == {} and c.identified == 25
    assert c.duplicates == 7
    assert c.duplicates_by_source == {"Lens.org": 4, "Ovid MEDLINE": 3}
    assert c.automation_rules == 2
    assert c.automation_rules_reasons == {"off-topic: not about fire": 1, "publication type: book chapter": 1}
    assert c.removed_other == 0
    assert c.records_screened == 16
    assert (c.excluded_human, c.excluded_automation, c.records_excluded) == (6, 0, 6)
    assert not c.screening_in_progress and not c.full_text_in_progress
    assert (c.reports_sought, c.reports_not_retrieved, c.reports_assessed) == (10, 1, 9)
    assert c.reports_excluded == 4
    assert c.reports_excluded_reasons == {"wrong study design": 2, "not a review": 1, "wrong outcome": 1}
    assert (c.studies_included, c.reports_included) == (5, 5)
    assert c.funnel() == [25, 16, 10, 9, 5]
    assert c.warnings == ()


def test_inputs_are_not_mutated(records, finals):
    ta, ft = finals
    before = (records.copy(deep=True), ta.copy(), ft.copy())
    compute_counts(records, ta, ft)
    pd.testing.assert_frame_equal(records, before[0])
    pd.testing.assert_frame_equal(ta, before[1])
    pd.testing.assert_frame_equal(ft, before[2])


def test_screening_not_started_is_in_progress_not_zero(records):
    c = compute_counts(records)
    assert c.records_screened == 16
    assert c.title_abstract == StageProgress(total=16, done=0)
    assert c.screening_in_progress and c.title_abstract.status == "not started"
    assert c.records_excluded == 0 and c.reports_sought == 0


def test_decisions_awaiting_a_second_reviewer_start_the_stage(records, finals):
    # three records decided by one reviewer of two, none settled: the stage has started
    open_ids = list(records.loc[records["duplicate_of"] == "", "record_id"])[:3]
    c = compute_counts(records, None, None, ta_open=open_ids)
    assert c.title_abstract == StageProgress(total=16, done=0, open=3)
    assert c.title_abstract.status == "in progress" and c.to_dict()["title_abstract"]["open"] == 3
    ta, _ = finals
    sought = list(ta.loc[ta["decision"] == "include", "record_id"])
    c = compute_counts(records, ta, None, ft_open=sought[:2] + ["not-sought"])
    assert c.full_text == StageProgress(total=10, done=0, open=2) and c.full_text.status == "in progress"


def test_partial_title_abstract_screening(records, finals):
    ta, _ = finals
    c = compute_counts(records, ta.iloc[[0, 1, 12]], None)
    assert c.title_abstract.done == 3 and c.title_abstract.remaining == 13
    assert c.screening_in_progress and c.title_abstract.status == "in progress"
    assert (c.excluded_human, c.reports_sought) == (1, 2)


def test_stopping_rule_counts_unscreened_as_automation_exclusions(records, finals):
    ta, ft = finals
    partial = ta.iloc[list(range(8)) + [10, 11]]          # 8 includes, 2 excludes decided; 6 left
    c = compute_counts(records, partial, ft.iloc[:5], stopped=True)
    assert c.stopped and not c.screening_in_progress
    assert (c.excluded_human, c.excluded_automation, c.records_excluded) == (2, 6, 8)
    assert c.automation_rules == 2                        # the rules count stays separate
    assert c.reports_sought == 8
    assert c.full_text_in_progress and c.full_text.done == 5 and c.studies_included == 5


def test_stopping_rule_leaves_records_one_reviewer_decided_in_screening(records, finals):
    """Records some reviewer decided but not yet settled (a second reviewer to come) were
    screened by a person: the stop does not turn them into automation exclusions."""
    ta, ft = finals
    partial = ta.iloc[list(range(8)) + [10, 11]]          # 10 settled; 6 left, of which 2 open
    left = [r for r in ta["record_id"] if r not in set(partial["record_id"])]
    c = compute_counts(records, partial, ft.iloc[:5], stopped=True, ta_open=left[:2] + ["not-in-play"])
    assert (c.excluded_automation, c.title_abstract_open) == (4, 2)
    assert c.screening_in_progress and c.title_abstract.remaining == 6
    assert c.records_screened - c.records_excluded - 2 == c.reports_sought
    assert any("2 record(s) decided by one reviewer" in w for w in c.warnings)


def test_full_text_in_progress(records, finals):
    ta, ft = finals
    c = compute_counts(records, ta, ft.iloc[[0, 5, 9]])   # include, exclude, not_retrieved
    assert (c.reports_sought, c.reports_not_retrieved, c.reports_assessed) == (10, 1, 9)
    assert c.full_text == StageProgress(total=9, done=2)
    assert c.full_text_in_progress and c.studies_included == 1 and c.reports_excluded == 1


def test_registers_and_other_methods(records, finals):
    ta, ft = finals
    c = compute_counts(records, ta, ft, registers=["Lens.org"], other_methods={"Citation searching": 3})
    assert c.registers == {"Lens.org": 9} and c.identified_databases == 16 and c.identified == 25
    assert c.identified_other == 3


def test_removed_for_other_reasons_column(records, finals, play_ids):
    ta, ft = finals
    rec = records.copy()
    rid = play_ids[-1]                          # the last TA-excluded record
    rec["removed_reason"] = ["retracted" if r == rid else "" for r in rec["record_id"]]
    c = compute_counts(rec, ta[ta.record_id != rid], ft)
    assert (c.removed_other, c.removed_other_reasons, c.records_screened) == (1, {"retracted": 1}, 15)


def test_removal_reasons_typed_with_other_case_or_spacing_are_one_reason(records, finals, play_ids):
    ta, ft = finals
    rec = records.copy()
    typed = {play_ids[-1]: "Retracted", play_ids[-2]: " retracted ", play_ids[-3]: "Retracted",
             play_ids[-4]: "conference  abstract", play_ids[-5]: "Conference abstract"}
    rec["removed_reason"] = [typed.get(r, "") for r in rec["record_id"]]
    c = compute_counts(rec, ta[~ta.record_id.isin(typed)], ft[~ft.record_id.isin(typed)])
    # the most used spelling names the line; a tie keeps the first seen in the table
    assert c.removed_other == 5
    assert c.removed_other_reasons == {"Retracted": 3, "Conference abstract": 2}


def test_decisions_on_records_out_of_play_are_warned_not_counted(records, finals):
    ta, ft = finals
    extra = pd.concat([ta, pd.DataFrame([{"record_id": "lens_9_of_343-00007", "decision": "include",
                                           "reason": "", "resolved_by": "single"}])])
    c = compute_counts(records, extra, ft)
    assert c.reports_sought == 10
    assert any("lens_9_of_343-00007" in w for w in c.warnings)


def test_not_retrieved_at_title_abstract_is_an_error(records, finals):
    ta, _ = finals
    bad = ta.copy()
    bad.loc[0, "decision"] = "not_retrieved"
    with pytest.raises(ReportError, match="not_retrieved"):
        compute_counts(records, bad, None)


def test_two_finals_for_one_record_is_an_error(records, finals):
    ta, _ = finals
    with pytest.raises(ReportError, match="more than one final decision"):
        compute_counts(records, pd.concat([ta, ta.iloc[[0]]]), None)


# ---- one test per invariant ------------------------------------------------------------------


@pytest.fixture()
def good(records, finals):
    ta, ft = finals
    return compute_counts(records, ta, ft)


def _broken(c, **changes):
    return dataclasses.replace(c, **changes)


def test_valid_counts_pass(good):
    check_invariants(good)


def test_identified_minus_removed_must_equal_screened(good):
    with pytest.raises(ReportError, match=r"records identified - duplicates .* = records screened: "
                                          r"expected 16, found 17 \(25 - 7 - 2 - 0\)"):
        check_invariants(_broken(good, records_screened=17, title_abstract=StageProgress(17, 17)))


def test_duplicates_per_source_must_sum(good):
    with pytest.raises(ReportError, match="duplicates per source = duplicate records: expected 7, found 8"):
        check_invariants(_broken(good, duplicates_by_source={"Lens.org": 5, "Ovid MEDLINE": 3}))


def test_rule_reasons_must_sum_to_automation_box(good):
    with pytest.raises(ReportError, match="sum of reasons = records marked as ineligible by automation tools: "
                                          "expected 2, found 3"):
        check_invariants(_broken(good, automation_rules_reasons={"off-topic": 3}))


def test_other_reasons_must_sum(good):
    with pytest.raises(ReportError, match="records removed for other reasons: expected 0, found 1"):
        check_invariants(_broken(good, removed_other_reasons={"retracted": 1}))


def test_screened_minus_excluded_must_equal_sought(good):
    with pytest.raises(ReportError, match=r"records screened - records excluded - not yet screened = reports "
                                          r"sought for retrieval: expected 10, found 11"):
        check_invariants(_broken(good, reports_sought=11, reports_assessed=10, full_text=StageProgress(10, 10)))


def test_sought_minus_not_retrieved_must_equal_assessed(good):
    with pytest.raises(ReportError, match="reports sought - reports not retrieved = reports assessed for "
                                          "eligibility: expected 9, found 8"):
        check_invariants(_broken(good, reports_assessed=8))


def test_assessed_minus_excluded_must_equal_included(good):
    with pytest.raises(ReportError, match="reports assessed - reports excluded - not yet assessed = reports "
                                          "of included studies: expected 5, found 6"):
        check_invariants(_broken(good, studies_included=6, reports_included=6))


def test_full_text_reasons_must_sum_to_reports_excluded(good):
    with pytest.raises(ReportError, match="sum of reasons = reports excluded: expected 4, found 3"):
        check_invariants(_broken(good, reports_excluded_reasons={"wrong study design": 3}))


def test_stopping_rule_must_account_for_every_unscreened_record(good):
    c = _broken(good, stopped=True, title_abstract=StageProgress(16, 14), excluded_human=4, excluded_automation=1)
    with pytest.raises(ReportError, match="excluded by automation tools \\(stopping rule\\): expected 2, found 1"):
        check_invariants(c)


def test_automation_exclusions_need_a_stopping_rule(good):
    with pytest.raises(ReportError, match="without a stopping rule"):
        check_invariants(_broken(good, excluded_automation=2, excluded_human=4))


def test_decisions_cannot_exceed_records_screened(good):
    with pytest.raises(ReportError, match="title/abstract decisions made <= records screened"):
        check_invariants(_broken(good, title_abstract=StageProgress(16, 17)))


def test_full_text_decisions_cannot_exceed_assessed(good):
    with pytest.raises(ReportError, match="full-text decisions made <= reports assessed"):
        check_invariants(_broken(good, full_text=StageProgress(9, 10)))


def test_reports_cannot_be_fewer_than_studies(good):
    with pytest.raises(ReportError, match="reports of included studies >= studies included"):
        check_invariants(_broken(good, studies_included=6))


def test_negative_counts_are_rejected(good):
    with pytest.raises(ReportError, match="'duplicates' must not be negative"):
        check_invariants(_broken(good, duplicates=-1))
    with pytest.raises(ReportError, match=r"databases \(Lens.org\) must not be negative"):
        check_invariants(_broken(good, databases={**good.databases, "Lens.org": -9}))


def test_rules_stage_reason_counts_are_used_and_checked(records, finals):
    ta, ft = finals
    c = compute_counts(records, ta, ft, rule_reason_counts={"off-topic: not about fire": 2})
    assert c.automation_rules_reasons == {"off-topic: not about fire": 2}
    with pytest.raises(ReportError, match="rules stage report counts 3 excluded records by reason but the "
                                          "records table has 2"):
        compute_counts(records, ta, ft, rule_reason_counts={"off-topic: not about fire": 3})


def test_studies_and_reports_must_fit_together(good):
    """Reports of included studies = 5 (the fixture): every new report belongs to a study, and a
    study with several reports holds two of them."""
    assert (good.reports_included, good.studies_included) == (5, 5)
    check_invariants(_broken(good, studies_included=3, studies_with_several_reports=2))     # 1 + 2 + 2 reports
    with pytest.raises(ReportError, match="studies included >= 1 when a report of a new study is included"):
        check_invariants(_broken(good, studies_included=0))
    with pytest.raises(ReportError, match=r"reports of new studies >= studies included \+ studies with several "
                                          r"reports: expected 6, found 5 \(4 \+ 2\)"):
        check_invariants(_broken(good, studies_included=4, studies_with_several_reports=2))
    with pytest.raises(ReportError, match="studies with several reports <= studies included"):
        check_invariants(_broken(good, studies_included=1, studies_with_several_reports=2))
    with pytest.raises(ReportError, match="new reports of studies the previous version included"):
        check_invariants(_broken(good, reports_of_previous_studies=6))
    # an update whose only new report is of a study the previous version included: no new study
    check_invariants(_broken(good, studies_included=0, reports_of_previous_studies=5))
