"""Other methods in an updated review's flow ([prisma] flow = "update"). Acceptance testing
(session 30) on a real two-round review: a citation search's date started a search round of
its own, and a study an earlier round's other method found and full text included was in no
box (the total undercounted by one study).

Real records: the wildfire fixtures, WoS and MEDLINE searched in March 2023, Lens as the
update of May 2024, and four records of the included studies as another method's export."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from screening.cli import app
from screening.decisions import api
from screening.prisma.api import generate

from .conftest import wild_project

FILES = ("wos_10_of_278.ris", "medline_6_of_84.ris", "lens_9_of_343.ris", "citation_search_4_of_24.ris")
CITED = "citation_search_4_of_24"


def toml(method: str, searched: str) -> str:
    return f"""
[review]
name = "wild"

[[sources]]
file = "data/raw/wild/wos_10_of_278.ris"
database = "Web of Science Core Collection"
date_searched = "2023-03-09"

[[sources]]
file = "data/raw/wild/medline_6_of_84.ris"
database = "Ovid MEDLINE"
date_searched = "2023-03-10"

[[sources]]
file = "data/raw/wild/lens_9_of_343.ris"
database = "Lens.org"
date_searched = "2024-05-01"

[[sources]]
file = "data/raw/wild/citation_search_4_of_24.ris"
method = "{method}"
date_searched = "{searched}"

[dedup]

[prisma]
flow = "update"
"""


def project(root: Path, text: str) -> Path:
    path = wild_project(root, text, FILES)
    result = CliRunner().invoke(app, ["run", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_a_citation_search_months_after_the_update_starts_no_round_of_its_own(tmp_path: Path) -> None:
    review = project(tmp_path, toml("Citation searching", "2024-08-15"))     # 3.5 months after Lens
    res = generate(review)
    c = res.counts
    assert c.update_round == "2024-05-01"                   # not '2024-08-15', nor '2024-05-01 to 2024-08-15'
    assert c.identified == 9 and c.other.identified == {"Citation searching": 4}
    md = res.files["md"].read_text()
    assert "The update's searches (2024-05-01) identified 9 records from 1 database." in md


def test_an_earlier_rounds_other_method_study_is_a_previous_version_study(tmp_path: Path) -> None:
    review = project(tmp_path, toml("Websites", "2023-03-20"))              # in the original round
    t = generate(review).counts
    assert t.update_round == "2024-05-01" and t.identified == 9
    assert not t.other.identified                           # the website search was the previous version's
    kept = f"{CITED}-00002"                                 # a report only the website search found
    api.record_decision(review, reviewer="ana", record_id=kept, action="include", stage="full_text")
    c = generate(review).counts
    assert c.previous_studies == 1 and c.total_studies == 1
    # while it waits at full text, the previous version is unfinished
    other = f"{CITED}-00003"
    api.record_decision(review, reviewer="ana", record_id=kept, action="exclude", stage="full_text",
                        reason="wrong outcome")
    before = generate(review).counts
    assert before.previous_studies == 0
    api.record_decision(review, reviewer="ana", record_id=other, action="include", stage="full_text")
    assert generate(review).counts.previous_studies == 1


def test_the_updates_full_text_facts_leave_out_an_earlier_rounds_other_method_report(tmp_path: Path) -> None:
    from screening.config import load_review
    from screening.last_run import latest_table
    from screening.record_marks import in_play

    review = project(tmp_path, toml("Websites", "2023-03-20"))
    api.record_decision(review, reviewer="ana", record_id=f"{CITED}-00002", action="include", stage="full_text")
    table = latest_table(load_review(review))
    lens = table.loc[in_play(table) & table["record_id"].str.startswith("lens"), "record_id"].iloc[0]
    api.record_decision(review, reviewer="ben", record_id=lens, action="include")
    api.record_decision(review, reviewer="ben", record_id=lens, action="include", stage="full_text")
    methods = generate(review).files["md"].read_text().split("## Methods (paste and edit)")[1].split("\n## ")[0]
    # the update's one report, by ben; ana's decision is the previous version's
    assert "Full-text decisions on 1 report were made by 1 reviewer (ben)" in methods and "ana" not in methods


def test_the_methods_name_every_rounds_other_method_apart_and_date_the_updates(tmp_path: Path) -> None:
    """Acceptance testing: an earlier round's website search was listed among the databases
    searched, and the update's own citation search was said to be 'over the whole review'."""
    earlier = project(tmp_path / "a", toml("Websites", "2023-03-20"))
    text = generate(earlier).files["md"].read_text()
    assert "We also used Websites (searched 2023-03-20; 4 records)" in text
    assert "Lens.org (searched 2024-05-01; 9 records) and Websites" not in text
    later = project(tmp_path / "b", toml("Citation searching", "2024-05-20"))
    text = generate(later).files["md"].read_text()
    assert "The update's other methods identified 4 records (Citation searching, n = 4)." in text
    assert "Over the whole review" not in text


def test_the_update_diagram_draws_the_updates_other_methods_in_their_grey_column(tmp_path: Path) -> None:
    """Acceptance testing: the update diagram had no other-methods column, so while only a
    citation search's reports were assessed it showed 'Reports assessed (n = 0)' leading to
    'New studies included (n = 1)', and its boxes never added up."""
    from screening.prisma.diagram import svg_texts

    review = project(tmp_path, toml("Citation searching", "2024-05-20"))
    cited = f"{CITED}-00002"
    api.record_decision(review, reviewer="ana", record_id=cited, action="include", stage="full_text")
    res = generate(review)
    c = res.counts
    assert c.reports_assessed == 0 and c.other.reports_included == 1 and c.studies_included == 1
    texts = " ".join(" ".join(svg_texts(res.files["svg"].read_bytes())).split())    # lines unwrapped
    assert "Identification of new studies via other methods" in texts
    assert "Previous studies" in texts                       # and the update's own column stays
    sought = c.other.reports_sought
    assert sought >= 1 and f"Reports sought for retrieval (n = {sought})" in texts
    assert "flow draws no other-methods column" not in texts
