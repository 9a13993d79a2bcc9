"""prisma.csv follows the PRISMA2020 R package's own input template (checked against a real copy).

The reference is ``inst/extdata/PRISMA.csv`` from https://github.com/prisma-flowdiagram/PRISMA2020
(commit 696d35e688113ecb6b7f3ae57395de496252ed0a, MIT licence), stored byte-exact in
tests/fixtures/prisma/PRISMA2020_template.csv.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from screening.prisma.counts import compute_counts
from screening.prisma.template import COLUMNS, DATA_NAMES, TEMPLATE_ROWS, other_method_counts, to_csv

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prisma"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _real_template() -> tuple[list[str], list[dict[str, str]]]:
    text = (FIXTURES / "PRISMA2020_template.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def test_columns_match_the_real_template():
    header, _ = _real_template()
    assert header == ["data", "node", "box", "description", "boxtext", "tooltips", "url", "n"]
    assert list(COLUMNS) == header


def test_rows_and_node_names_match_the_real_template():
    _, real = _real_template()
    ours = [dict(zip(COLUMNS[:-1], row)) for row in TEMPLATE_ROWS]
    assert [(r["data"], r["node"], r["box"]) for r in ours] == [(r["data"], r["node"], r["box"]) for r in real]
    for mine, theirs in zip(ours, real):
        for col in ("description", "boxtext", "tooltips", "url"):
            assert mine[col] == theirs[col], (mine["data"], col)
    assert "database_specific_results" in DATA_NAMES and "dbr_excluded" in DATA_NAMES


def test_written_csv_keeps_template_cells_and_fills_n(records, finals):
    ta, ft = finals
    out = _rows(to_csv(compute_counts(records, ta, ft)))
    _, real = _real_template()
    assert [{k: v for k, v in r.items() if k != "n"} for r in out] == \
        [{k: v for k, v in r.items() if k != "n"} for r in real]
    n = {r["data"]: r["n"] for r in out if r["data"] != "NA"}
    assert n["database_results"] == "25"
    assert n["database_specific_results"] == "Web of Science Core Collection, 10; Lens.org, 9; Ovid MEDLINE, 6"
    assert (n["duplicates"], n["excluded_automatic"], n["excluded_other"]) == ("7", "2", "0")
    assert (n["records_screened"], n["records_excluded"]) == ("16", "6")
    assert (n["dbr_sought_reports"], n["dbr_notretrieved_reports"], n["dbr_assessed"]) == ("10", "1", "9")
    assert n["dbr_excluded"] == "wrong study design, 2; not a review, 1; wrong outcome, 1"
    assert (n["new_studies"], n["new_reports"], n["total_studies"]) == ("5", "5", "5")


def test_prisma_csv_golden(records, finals):
    ta, ft = finals
    golden = (FIXTURES / "golden_prisma.csv").read_text(encoding="utf-8")
    assert to_csv(compute_counts(records, ta, ft)) == golden


def test_labels_with_separators_stay_parseable(records, finals):
    ta, ft = finals
    ft2 = ft.copy()
    ft2.loc[ft2["reason"] == "wrong outcome", "reason"] = "wrong outcome; or comparator, really"
    n = {r["data"]: r["n"] for r in _rows(to_csv(compute_counts(records, ta, ft2)))}
    cells = [part.rsplit(", ", 1) for part in n["dbr_excluded"].split("; ")]
    assert all(len(c) == 2 and c[1].isdigit() for c in cells)
    assert ["wrong outcome - or comparator - really", "1"] in cells


def test_other_methods_map_onto_template_rows():
    got = other_method_counts({"Citation searching": 3, "Websites": 2, "Organisations": 1, "Experts": 4})
    assert got == {"website_results": 6, "organisation_results": 1, "citations_results": 3}


def test_mid_review_csv_labels_its_partial_boxes(records, finals):
    """UAT: a prisma.csv written while 40 of 242 records were screened drew a complete-looking
    diagram in the R package. The partial boxes' labels (boxtext) now say so, as our diagram
    does; the counts and every other cell stay the template's, so the package still reads it."""
    ta, ft = finals
    counts = compute_counts(records, ta.iloc[: len(ta) // 2], ft.iloc[:0])
    assert counts.screening_in_progress
    out = {r["data"]: r for r in _rows(to_csv(counts))}
    ta_p = counts.title_abstract
    assert out["records_screened"]["boxtext"] == f"Records screened (in progress - {ta_p.done} of {ta_p.total} screened)"
    for name in ("records_excluded", "dbr_sought_reports", "dbr_assessed", "dbr_excluded", "new_studies"):
        assert out[name]["boxtext"].endswith(" (so far)"), name
    assert out["records_screened"]["n"] == str(counts.records_screened)
    _, real = _real_template()
    for theirs in real:        # only boxtext changes: the package finds rows by data/node/box
        mine = out.get(theirs["data"]) if theirs["data"] != "NA" else None
        if mine is not None:
            assert [mine[k] for k in ("node", "box", "description", "tooltips", "url")] == \
                [theirs[k] for k in ("node", "box", "description", "tooltips", "url")]
    # full text unfinished after screening is complete: the assessed box says how far it got
    done_ta = compute_counts(records, ta, ft.iloc[: len(ft) // 2])
    assert not done_ta.screening_in_progress and done_ta.full_text_in_progress
    out = {r["data"]: r for r in _rows(to_csv(done_ta))}
    assert out["records_screened"]["boxtext"] == "Records screened"
    assert out["dbr_assessed"]["boxtext"].startswith("Reports assessed for eligibility (in progress - ")
    assert out["total_studies"]["boxtext"] == "Total studies included in review (so far)"
    # a report found not retrievable while full text goes on: so far, as the diagram says (it
    # read as a final count in the R package's diagram: acceptance testing)
    assert out["dbr_notretrieved_reports"]["boxtext"] == "Reports not retrieved (so far)"


def test_a_label_like_a_formula_does_not_run_in_a_spreadsheet(records, finals):
    """Acceptance 36b, L1: a full-text reason (or a database label) '=HYPERLINK(...)' made the
    n cell start with '=': the only CSV the tool wrote without escaping."""
    ta, ft = finals
    ft2 = ft.copy()
    ft2.loc[ft2["reason"] == "wrong study design", "reason"] = '=HYPERLINK("http://evil","x")'
    n = {r["data"]: r["n"] for r in _rows(to_csv(compute_counts(records, ta, ft2)))}
    assert n["dbr_excluded"].startswith("'=HYPERLINK(")
    assert n["database_results"] == "25"                                  # numbers as they were
