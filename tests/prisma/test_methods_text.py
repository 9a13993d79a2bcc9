"""The methods paragraph as a paper prints it (acceptance testing, session 20): a search the
service served short, API search dates, list joining, and the full-text sentence in progress."""

from __future__ import annotations

import json

import pytest

from screening.config import load_review
from screening.prisma import generate
from screening.prisma.context import ReportContext
from screening.prisma.counts import compute_counts
from screening.prisma.methods import _search_sentence, methods_paragraph
from screening.prisma.methods_ordering import ordering_sentence
from screening.prisma.searches import search_date, shortfall_warnings
from screening.prisma.state import load_state, searches_frame

TOML = """
[review]
name = "wild"
title = "Wildfire impacts"
output_dir = "out"

[[sources]]
file = "wos.ris"
database = "Web of Science Core Collection"
interface = "Clarivate"
date_searched = "2023-03-09"
"""

QUERY = "(wildfire OR bushfire) AND health"
WARNING = (f"Europe PMC reported 65 records for the search “{QUERY}” of 2026-11-22 but served 60 through its "
           "API; the other 5 could not be retrieved and are not among the records identified")


@pytest.fixture()
def review(tmp_path):
    path = tmp_path / "wild.toml"
    path.write_text(TOML, encoding="utf-8")
    return load_review(path)


def _log(review, **row) -> None:
    """A search_log.jsonl row as `screening search` writes it (a search served short by default)."""
    full = {"search_id": "europepmc-20261122T103948Z", "database": "Europe PMC",
            "interface": "Europe PMC RESTful API", "query": QUERY, "date_run": "2026-11-22T10:39:48Z",
            "limits": "from 2000 to 2025/06", "limit_dates": {"from": "2000", "to": "2025/06"}, "records": 60,
            "tool_version": "0.8.0", "status": "complete", "raw_dir": "data/raw/wild/searches/europepmc/",
            "total": 65, "pages": [], "date_completed": "2026-11-22T10:39:58Z", "shortfall": 5, "repeated": 0,
            "warnings": []}
    full.update(row)
    full = {k: v for k, v in full.items() if v is not None}
    path = review.output_dir / "search_log.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(full) + "\n", encoding="utf-8")


def test_a_search_served_short_is_stated_in_the_methods_and_warned(review, records, finals, tmp_path):
    """The log recorded total 65, records 60, shortfall 5; the paragraph said '60 records' and
    prisma.json had no warning (docs/search.md promises the shortfall in the methods sentence)."""
    ta, ft = finals
    _log(review)
    res = generate(review, tmp_path / "p", records=records, ta_finals=ta, ft_finals=ft)
    md = res.files["md"].read_text(encoding="utf-8")
    assert (f"Europe PMC using “{QUERY}” (via Europe PMC RESTful API; searched 2026-11-22; limits: from 2000 to "
            "2025/06; 60 of the 65 records the service reported; the other 5 could not be retrieved through its "
            "API; run with screening 0.8.0)") in md
    assert "60 records" not in md
    warned = json.loads(res.files["json"].read_text(encoding="utf-8"))["warnings"]
    assert [w for w in warned if "Europe PMC" in w] == [WARNING]
    assert f"\n- {WARNING}\n" in md.split("## Warnings", 1)[1]
    assert WARNING in res.files["html"].read_text(encoding="utf-8")
    assert WARNING in res.summary()["warnings"]


def test_the_shortfall_is_hashed_only_where_there_is_one(review, records, finals):
    """A state without a shortfall keeps the hash it had (log rows from before shortfalls
    were logged too); one with a shortfall is another state, whose report says so."""
    ta, ft = finals

    def digest(**row) -> str:
        _log(review, **row)
        return load_state(review, records=records, ta_finals=ta, ft_finals=ft).state_hash

    served_in_full = digest(records=65, shortfall=0)
    assert digest(records=65, shortfall=None) == served_in_full
    assert len({served_in_full, digest(shortfall=5), digest(shortfall=4, total=64)}) == 3


def test_shortfall_wording_in_the_singular_and_when_nothing_was_served():
    frame = searches_frame([{"database": "Europe PMC", "query": "fire", "date_run": "2026-11-22T10:00:00Z",
                             "records": 60, "shortfall": 1},
                            {"database": "OpenAlex", "query": "smoke", "date_run": "2026-11-22T10:01:00Z",
                             "records": 0, "shortfall": 5},
                            {"database": "PubMed", "query": "haze", "date_run": "2026-11-22T10:02:00Z",
                             "records": 7, "shortfall": 0},
                            {"database": "MEDLINE", "date_run": "2024-07-16", "records": ""}])
    assert _search_sentence(frame) == (
        "We searched Europe PMC using “fire” (searched 2026-11-22; 60 of the 61 records the service reported; the "
        "other record could not be retrieved through its API), OpenAlex using “smoke” (searched 2026-11-22; 0 "
        "records: the 5 records the service reported could not be retrieved through its API), PubMed using “haze” "
        "(searched 2026-11-22; 7 records) and MEDLINE (searched 2024-07-16).")
    assert shortfall_warnings(frame) == [
        "Europe PMC reported 61 records for the search “fire” of 2026-11-22 but served 60 through its API; the "
        "other record could not be retrieved and is not among the records identified",
        "OpenAlex reported 5 records for the search “smoke” of 2026-11-22 but served 0 through its API; none could "
        "be retrieved"]


def test_api_searches_are_dated_by_day_as_exports_are():
    """'searched 2026-11-22T10:38:43Z' beside an export's 'searched 2024-07-16': a paper gives a date."""
    frame = searches_frame([{"database": "MEDLINE", "interface": "Ovid", "date_run": "2024-07-16", "records": ""},
                            {"database": "PubMed", "interface": "NCBI E-utilities API", "query": "wildfire[tiab]",
                             "date_run": "2026-11-22T10:38:43Z", "records": 110}])
    assert _search_sentence(frame) == ("We searched MEDLINE (via Ovid; searched 2024-07-16) and PubMed using "
                                       "“wildfire[tiab]” (via NCBI E-utilities API; searched 2026-11-22; 110 records).")
    # a date the team typed stays as typed; only a time stamp is cut to its day
    assert [search_date(t) for t in ("2026-11-22T10:38:43Z", "2024-05-01 10:00:00+00:00", "1 May 2024",
                                     "2024-05-01", "May 2024", "")] == [
        "2026-11-22", "2024-05-01", "1 May 2024", "2024-05-01", "May 2024", ""]


def _ctx(**kw) -> ReportContext:
    return ReportContext(review_name="w", title="W", tool_version="9", state_hash="f" * 64, **kw)


def test_ordering_clauses_each_have_their_verb_and_join_as_a_list():
    """'348 were imported from a decisions file; and 2 in an order that was not recorded' (the phrase is now
    'outside a screening session, one record at a time (...)'):
    '; and' between two clauses, and the second borrowed 'were imported'."""
    assert ordering_sentence(_ctx(ranking_use={"imported:native": 348, "typed": 2})) == (
        "Of the screeners' 350 title/abstract decisions, 348 were imported from a decisions file; 2 were made "
        "outside a screening session, one record at a time (in an order the log does not record).")
    assert ordering_sentence(_ctx(ranking_use={"imported:native": 1024, "typed": 1})) == (
        "Of the screeners' 1,025 title/abstract decisions, 1,024 were imported from a decisions file; 1 was "
        "made outside a screening session, one record at a time (in an order the log does not record).")
    assert ordering_sentence(_ctx(ranking_use={"imported:native": 1, "typed": 1})) == (
        "Of the screeners' 2 title/abstract decisions, 1 was imported from a decisions file; 1 was made "
        "outside a screening session, one record at a time (in an order the log does not record).")
    # clauses with commas of their own: a semicolon, no 'and' for two; '; and' before the last of three
    assert ordering_sentence(_ctx(ranking_use={"ranked": 5, "imported:native": 3, "typed": 2})) == (
        "Of the screeners' 10 title/abstract decisions, 5 were made in the order of a relevance ranking, retrained "
        "as decisions were made; 3 were imported from a decisions file; and 2 were made outside a screening "
        "session, one record at a time (in an order the log does not record).")
    assert ordering_sentence(_ctx(ranking_use={"file_order": 4, "typed": 2})) == (
        "Of the screeners' 6 title/abstract decisions, 4 were made in file order, before the ranker had both an "
        "included and an excluded record; 2 outside a screening session, one record at a time (in an order the "
        "log does not record).")


def test_full_text_in_progress_reads_as_one_statement(records, finals):
    """'118 were assessed for eligibility (116 assessed so far)' while full text was unfinished."""
    ta, ft = finals
    partial = ft.iloc[[9, 0, 1, 2, 5, 6]]          # 1 not retrieved, 5 of the other 9 assessed, 2 excluded
    text = methods_paragraph(compute_counts(records, ta, partial), _ctx())
    assert ("Of the 10 reports, 1 could not be retrieved and 9 are being assessed for eligibility; 5 have been "
            "assessed so far, of which 2 were excluded (wrong study design, n = 2).") in text
    assert "assessed so far)" not in text and "were assessed for eligibility" not in text
    # finished: as before
    text = methods_paragraph(compute_counts(records, ta, ft), _ctx())
    assert ("Of the 10 reports, 1 could not be retrieved and 9 were assessed for eligibility; 4 were excluded "
            "(wrong study design, n = 2; not a review, n = 1; wrong outcome, n = 1).") in text


def test_no_report_sought_and_unanimous_reviewers_are_said_in_words(records, finals):
    """Acceptance testing: 'Of the 0 reports, 0 could not be retrieved and 0 were assessed for
    eligibility; 0 were excluded.', and 'κ could not be computed' for two reviewers who agreed
    on every record (κ is undefined when every decision is the same)."""
    ta, _ = finals
    none_in = ta.assign(decision="exclude", reason="wrong population")
    text = methods_paragraph(compute_counts(records, none_in, ta.iloc[:0]), _ctx(unanimous={"title_abstract": 16}))
    assert "No report was sought for retrieval, so none was assessed at full text." in text
    assert "Of the 0 reports" not in text
    assert ("Reviewers who screened the same records agreed on all of them (16 records at title/abstract screening; "
            "Cohen's κ is undefined when every decision is the same).") in text
    assert "could not be computed" not in text
    assert "could not be computed" in methods_paragraph(compute_counts(records, ta, None), _ctx())
    # title/abstract unfinished, nothing sought yet (review of the change: still 'Of the 0 reports')
    text = methods_paragraph(compute_counts(records, none_in.iloc[:5], None), _ctx())
    assert "No report has been sought for retrieval so far." in text and "Of the 0 reports" not in text


def test_records_from_other_methods_join_the_sources_list(records):
    """'identified from 2 databases and 1 register and 3 from other methods': two 'and's."""
    other = {"Citation searching": 3}
    text = methods_paragraph(compute_counts(records, registers=("Lens.org",), other_methods=other), _ctx())
    assert ("In total 25 records were identified from 2 databases and 1 register, and 3 from other methods "
            "(Citation searching, n = 3).") in text
    text = methods_paragraph(compute_counts(records, other_methods=other), _ctx())
    assert "In total 25 records were identified from 3 databases and 3 from other methods (Citation searching, n = 3)." \
        in text


def test_a_p_value_is_never_rounded_across_the_tests_threshold() -> None:
    """Acceptance testing (session 20): a stop at p = 0.0496 was reported as 'recall was at
    least 95% with 95% confidence (p = 0.05; ...)', a p that contradicts the claim."""
    from screening.prisma.diagram import p_text

    assert p_text(0.0496, 0.95) == "0.0496" and p_text(0.04996, 0.95) == "0.04996"
    assert p_text(0.0312, 0.95) == "0.031" and p_text(0.47, 0.95) == "0.47" and p_text(0.0496) == "0.05"
    assert p_text(0.0503, 0.95) == "0.05"        # not met: 0.05 is not below the threshold either
