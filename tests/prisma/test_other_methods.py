"""Records identified by other methods (a citation search's export listed with ``method =``):
not screened at title/abstract, not checked by the rules, kept behind a database's copy by
dedup, assessed at full text, and counted in PRISMA 2020's other-methods column (diagram,
prisma.csv, prisma.json, report and methods paragraph). Real records: a tiny wildfire review
(three database exports) plus four records of its included studies as the citation search."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.prisma.diagram import svg_texts

from .conftest import wild_project

FILES = ("wos_10_of_278.ris", "medline_6_of_84.ris", "lens_9_of_343.ris", "citation_search_4_of_24.ris")
TOML = """
[review]
name = "wild"

[[sources]]
file = "data/raw/wild/wos_10_of_278.ris"
database = "Web of Science Core Collection"

[[sources]]
file = "data/raw/wild/medline_6_of_84.ris"
database = "Ovid MEDLINE"

[[sources]]
file = "data/raw/wild/lens_9_of_343.ris"
database = "Lens.org"

[[sources]]
file = "data/raw/wild/citation_search_4_of_24.ris"
method = "Citation searching"
date_searched = "2023-04-01"

[dedup]

[rules]
[[rules.rule]]
id = "recent"
reason = "Published before 2020"
year = { min = 2020 }

[screening]
reviewers = ["ana", "ben"]
reasons = ["wrong outcome", "wrong population"]

[prisma]
other_methods = { "Websites" = 2 }
"""
CITED = "citation_search_4_of_24"

runner = CliRunner()


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def project(root: Path, text: str) -> Path:
    """A project folder with the four exports and ``text`` as its review TOML, run once."""
    toml = wild_project(root, text, FILES)
    invoke("run", str(toml))
    return toml


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    return project(tmp_path_factory.mktemp("project"), TOML)


def table(review: Path) -> pd.DataFrame:
    out = review.parent.parent / "data" / "screened" / "wild"
    return pd.read_parquet(sorted(out.glob("apply_rules.parquet"))[0]).set_index("record_id")


def test_marks_other_method_records_and_keeps_the_database_copy(review):
    t = table(review)
    cited = t[t.index.str.startswith(CITED)]
    assert len(cited) == 4
    assert set(cited["other_method"]) == {"Citation searching"}
    assert set(cited["source_db"]) == {"Citation searching"}          # not the export's own DB
    assert set(t.loc[~t.index.str.startswith(CITED), "other_method"]) == {""}
    # the citation search's copy of a Lens record is the duplicate, whatever is more complete
    copy = cited[cited["doi"] == "10.1071/wf19091"]
    assert len(copy) == 1 and copy["duplicate_of"].iloc[0].startswith("lens_9_of_343")
    assert "Citation searching" in list(t.loc[copy["duplicate_of"].iloc[0], "found_in"])
    # rules leave them alone: a 2019 record found by citation searching is not 'ineligible by automation'
    assert (cited["rule_decision"] == "").all() and cited["year"].min() < 2020
    assert not cited["rank"].notna().any() if "rank" in cited.columns else True


def test_not_screened_at_title_abstract_but_at_full_text(review):
    rid = f"{CITED}-00002"
    out = invoke("decide", str(review), "--reviewer", "ana", "--record", rid, "--include", code=6)
    assert "another method (Citation searching)" in out and "--stage full_text" in out
    dup = f"{CITED}-00001"
    out = invoke("decide", str(review), "--reviewer", "ana", "--record", dup, "--include", "--stage", "full_text",
                 code=6)
    assert "duplicate of lens_9_of_343" in out


def test_prisma_other_methods_column(review, tmp_path):
    for who in ("ana", "ben"):
        invoke("decide", str(review), "--reviewer", who, "--record", f"{CITED}-00002", "--include",
               "--stage", "full_text")
        invoke("decide", str(review), "--reviewer", who, "--record", f"{CITED}-00003", "--exclude",
               "--reason", "wrong outcome", "--stage", "full_text")
    invoke("decide", str(review), "--reviewer", "ana", "--record", f"{CITED}-00004", "--not-retrieved",
           "--stage", "full_text")
    invoke("prisma", str(review), "-o", str(tmp_path))
    doc = json.loads((tmp_path / "prisma.json").read_text())["counts"]
    o = doc["other"]
    assert o["identified"] == {"Citation searching": 4}
    assert (o["already_identified"], o["reports_sought"], o["reports_not_retrieved"], o["reports_assessed"],
            o["reports_excluded"], o["reports_included"]) == (1, 3, 1, 2, 1, 1)
    assert o["reports_excluded_reasons"] == {"wrong outcome": 1}
    assert o["full_text"]["status"] == "complete"
    # the databases' column is unchanged by them: 25 records, none of the citation search's
    assert sum(doc["databases"].values()) == 25 and "Citation searching" not in doc["databases"]
    assert doc["other_methods"] == {"Citation searching": 4, "Websites": 2}
    assert doc["studies_included"] == 1 and doc["reports_included"] == 1
    md = (tmp_path / "report.md").read_text()
    assert "| Other methods: reports sought for retrieval | 3 |" in md
    assert ("We searched Web of Science Core Collection (10 records), Ovid MEDLINE (6 records) and Lens.org "
            "(9 records). The dates of the searches are not recorded in the review state. We also used Citation "
            "searching (searched 2023-04-01; 4 records).") in md
    assert "7 duplicate records were removed (matched by doi, n = 7)" in md    # the databases' only
    assert ("Other methods identified 4 records (Citation searching, n = 4); they were not screened at "
            "title/abstract, and 1 of them had already been identified (duplicates). Of the 3 reports sought "
            "for retrieval, 1 could not be retrieved and 2 were assessed for eligibility; 1 was excluded "
            "(wrong outcome, n = 1) and 1 included.") in md
    # the two reviewers' full-text decisions on the citation reports are agreement data
    assert json.loads((tmp_path / "prisma.json").read_text())["kappa"] == {"full_text": 1.0}
    texts = " ".join(svg_texts((tmp_path / "prisma_flow.svg").read_bytes()))
    assert "Identification of studies via other methods" in texts
    assert "Websites (n = 2): a typed" in texts and "retrieval (n = 3)" in texts
    rows = {r["data"]: r for r in csv.DictReader(io.StringIO((tmp_path / "prisma.csv").read_text()))}
    assert rows["citations_results"]["n"] == "4" and rows["website_results"]["n"] == "2"
    assert rows["other_sought_reports"]["n"] == "5"          # 3 followed + 2 only typed
    assert rows["other_notretrieved_reports"]["n"] == "1" and rows["other_assessed"]["n"] == "2"
    assert rows["other_excluded"]["n"] == "wrong outcome, 1"
    assert rows["new_studies"]["n"] == "1"


def test_full_text_export_lists_them(review, tmp_path):
    out = tmp_path / "ft.csv"
    invoke("export", str(review), "-o", str(out), "--stage", "full_text", "--decision", "all")
    ids = set(pd.read_csv(out, dtype=str)["record_id"])
    assert {f"{CITED}-00002", f"{CITED}-00003", f"{CITED}-00004"} <= ids
    assert f"{CITED}-00001" not in ids            # the duplicate


def test_config_refuses_both_database_and_method(tmp_path):
    from screening.config import load_review
    from screening.errors import ConfigError

    toml = tmp_path / "r.toml"
    toml.write_text('[review]\nname = "r"\n[[sources]]\nfile = "a.ris"\ndatabase = "Scopus"\n'
                    'method = "Citation searching"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="both database and method") as err:
        load_review(toml)
    assert err.value.line == 6
    toml.write_text('[review]\nname = "r"\n[[sources]]\nfile = "a.ris"\nmethod = "Websites"\n'
                    '[prisma]\nother_methods = { "Websites" = 3 }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="both a \\[\\[sources\\]\\] method and a typed"):
        load_review(toml)


def test_full_text_status_and_conflicts_include_them(review):
    # ben disagrees with ana's 'not retrieved' on the fourth record: a full-text conflict to settle
    invoke("decide", str(review), "--reviewer", "ben", "--record", f"{CITED}-00004", "--include",
           "--stage", "full_text")
    out = invoke("conflicts", str(review), "--stage", "full_text", "--as-adjudicator")
    assert "1 open conflict at full_text" in out and "not_retrieved" in out
    stages = {s["stage"]: s for s in map(json.loads, invoke("status", str(review), "--json", "--as-adjudicator").splitlines())}
    ft = stages["full_text"]
    assert (ft["total"], ft["screened"], ft["conflicts_open"]) == (3, 2, 1)
    assert stages["title_abstract"]["total"] == 15           # the databases' records only


def test_full_text_session_serves_them(review):
    from screening.decisions.review import Review
    from screening.decisions.session_queue import SessionQueue

    queue = SessionQueue(Review.load(review), "cat", "full_text", only=None, sample=False)
    queue.refresh()
    assert {f"{CITED}-00002", f"{CITED}-00003", f"{CITED}-00004"} <= queue.eligible


def test_adding_method_to_an_ingested_source_reruns_ingest(tmp_path):
    """Review of the change: the ingest cache key left `method` out, so a method added to (or
    renamed on) an export already ingested kept its records in title/abstract screening."""
    plain = TOML.replace('method = "Citation searching"\n', 'database = "Citations"\n')
    toml = project(tmp_path, plain.replace('other_methods = { "Websites" = 2 }', ''))
    for label in ("Citation searching", "Backward citation searching"):
        toml.write_text(TOML.replace("Citation searching", label), encoding="utf-8")
        invoke("run", str(toml))
        t = table(toml)
        assert set(t.loc[t.index.str.startswith(CITED), "other_method"]) == {label}


def test_a_later_citation_search_is_no_update_search(tmp_path):
    """Review of the change: a citation search dated after the database searches was reported
    as 'the update search of 2023-04-01', with a records-per-search-date table."""
    dated = TOML.replace('database = "Ovid MEDLINE"', 'database = "Ovid MEDLINE"\ndate_searched = "2022-01-05"')
    dated = dated.replace('database = "Lens.org"', 'database = "Lens.org"\ndate_searched = "2022-01-05"')
    dated = dated.replace('database = "Web of Science Core Collection"',
                          'database = "Web of Science Core Collection"\ndate_searched = "2022-01-05"')
    toml = project(tmp_path, dated)
    invoke("prisma", str(toml), "-o", str(tmp_path / "out"))
    md = (tmp_path / "out" / "report.md").read_text()
    assert "update search" not in md and "Records per search date" not in md
    assert "We also used Citation searching (searched 2023-04-01; 4 records)." in md
