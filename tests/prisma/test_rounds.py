"""Search rounds of an updated review: what each search date found, and what an update added.

The 25-record fixture (conftest): WoS 10, MEDLINE 6, Lens 9, 7 duplicates by DOI kept as the
WoS copy (MEDLINE 3, Lens 4), 18 studies. Lens dated as an update, a year after the others:
the first round has 16 records and 13 studies (10 WoS + 3 MEDLINE-only), the update 9 records,
9 studies, 5 of them new (the Lens records that are not duplicates)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from screening.cli import app
from screening.dedup.contributions import search_rounds
from screening.prisma.methods import _rounds_sentence
from screening.prisma.searches import iso_date, record_dates, search_round_labels

from .conftest import FIXTURES

DATE = {"wos": "2023-03-09", "medline": "2023-03-10", "lens": "2024-05-01"}


def _dates(records: pd.DataFrame) -> pd.Series:
    return records["record_id"].map(lambda r: DATE[r.split("_")[0]])


def test_rounds_count_records_studies_and_new_studies(records: pd.DataFrame) -> None:
    labels = search_round_labels(_dates(records))
    assert sorted(set(labels)) == ["2023-03-09 to 2023-03-10", "2024-05-01"]
    table = search_rounds(records, labels)
    assert table.values.tolist() == [["2023-03-09 to 2023-03-10", 16, 13, 13], ["2024-05-01", 9, 9, 5]]
    assert table["new_studies"].sum() == len(records) - (records["duplicate_of"] != "").sum()


def test_a_study_kept_as_another_methods_record_is_found_by_the_databases_with_a_copy(
        records: pd.DataFrame) -> None:
    """Acceptance testing: PRISMA-S 'studies found' per database and per round left out a study
    whose kept record came from another method (dedup keeps the decided record: a website
    record screened before the update's database copies arrived), so both databases lost it.
    Here the 10 WoS records play a citation search, keeping the 7 studies MEDLINE and Lens share."""
    from screening.dedup.contributions import source_contributions

    searched = ~records["record_id"].str.startswith("wos")
    table = source_contributions(records, counted=searched).set_index("source")
    assert "Web of Science Core Collection" not in table.index                  # not a database search
    assert table.loc[:, ["records", "duplicates", "studies"]].values.tolist() == [[9, 4, 9], [6, 3, 6]]
    # counted without the citation rows, as before: the 7 shared studies were found by nobody
    alone = source_contributions(records[searched]).set_index("source")
    assert alone["studies"].tolist() == [5, 3]
    rounds = search_rounds(records, search_round_labels(_dates(records)), counted=searched)
    # every study with a database record once, in the round that first found it (Lens shares
    # 3 studies with MEDLINE; the fourth it shares with WoS only is new in the update now)
    assert rounds.values.tolist() == [["2023-03-09 to 2023-03-10", 6, 6, 6], ["2024-05-01", 9, 9, 6]]
    assert rounds["new_studies"].sum() == records.loc[searched, "duplicate_of"].where(
        records["duplicate_of"] != "", records["record_id"])[searched].nunique()


def test_no_rounds_for_one_search_period_or_an_undated_source(records: pd.DataFrame) -> None:
    same_month = records["record_id"].map(lambda r: {"lens": "2023-04-08"}.get(r.split("_")[0], "2023-03-09"))
    assert search_rounds(records, search_round_labels(same_month)).empty    # 30 days apart: one round
    undated = _dates(records).where(~records["record_id"].str.startswith("lens"), "")
    assert search_rounds(records, search_round_labels(undated)).empty
    assert set(search_round_labels(undated)) == {"2023-03-09 to 2023-03-10", ""}


TOML = """
[review]
name = "upd"
title = "Update test"

[[sources]]
file = "data/raw/upd/wos_10_of_278.ris"
database = "Web of Science Core Collection"
date_searched = "2023-03-09"

[[sources]]
file = "data/raw/upd/medline_6_of_84.ris"
database = "Ovid MEDLINE"
date_searched = "2023-03-10"

[[sources]]
file = "data/raw/upd/lens_9_of_343.ris"
database = "Lens.org"
date_searched = "1 May 2024"
notes = "update search"

[dedup]
"""


def write_review(tmp_path: Path, toml_text: str) -> Path:
    """The three fixture exports under data/raw/upd and ``toml_text`` as pipelines/upd.toml."""
    raw = tmp_path / "data" / "raw" / "upd"
    raw.mkdir(parents=True)
    for name in ("wos_10_of_278.ris", "medline_6_of_84.ris", "lens_9_of_343.ris"):
        shutil.copy(FIXTURES / name, raw / name)
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "upd.toml"
    toml.write_text(toml_text, encoding="utf-8")
    return toml


def _run(tmp_path: Path, toml_text: str) -> Path:
    toml = write_review(tmp_path, toml_text)
    result = CliRunner().invoke(app, ["run", str(toml)])
    assert result.exit_code == 0, result.output
    return tmp_path / "data" / "screened" / "upd" / "prisma"


def test_an_update_with_an_unreadable_date_is_warned_not_guessed(tmp_path: Path) -> None:
    text = TOML.replace('date_searched = "2023-03-10"', 'date_searched = "2024-05-01"').replace(
        'date_searched = "1 May 2024"', 'date_searched = "May 2024"')
    md = (_run(tmp_path, text) / "report.md").read_text()
    assert "Records per search date" not in md and "The searches of" not in md
    assert ("what each search round (original search and updates) found is not reported: 9 records have no "
            "readable search date (data/raw/upd/lens_9_of_343.ris ('May 2024'))") in md


def test_the_only_update_with_an_unreadable_date_is_warned_too(tmp_path: Path) -> None:
    """Acceptance testing (session 16): the other sources made one round, so the rounds warning
    did not fire and the update vanished from the report without a word."""
    md = (_run(tmp_path, TOML.replace('date_searched = "1 May 2024"', 'date_searched = "01/05/2024"'))
          / "report.md").read_text()
    assert "Records per search date" not in md
    assert ("date_searched could not be read as a date for data/raw/upd/lens_9_of_343.ris ('01/05/2024'): "
            "write it as YYYY-MM-DD") in md


def test_an_updated_review_reports_what_the_update_added(tmp_path: Path) -> None:
    out = _run(tmp_path, TOML)
    counts = json.loads((out / "prisma.json").read_text())["counts"]
    assert (counts["identified"], counts["duplicates"]) == (25, 7)
    md = (out / "report.md").read_text()
    assert "| 2023-03-09 to 2023-03-10 | 16 | 13 | 13 |" in md and "| 2024-05-01 | 9 | 9 | 5 |" in md
    assert ("The searches of 2023-03-09 to 2023-03-10 identified 16 records; the update search of "
            "2024-05-01 added 9 records and 5 studies no earlier search had found.") in md
    # each export's own count, in the search sentence
    assert "Lens.org (searched 1 May 2024; update search; 9 records)" in md
    html = (out / "report.html").read_text()
    assert "<td>2024-05-01</td><td class=\"n\">9</td><td class=\"n\">9</td><td class=\"n\">5</td>" in html


def test_round_labels_start_a_round_more_than_30_days_after_its_first_search() -> None:
    dates = pd.Series(["2023-01-01", "2023-01-31", "2023-02-15", "2023-03-20", ""])
    assert list(search_round_labels(dates)) == ["2023-01-01 to 2023-01-31", "2023-01-01 to 2023-01-31",
                                                "2023-02-15", "2023-03-20", ""]


def test_search_dates_are_read_only_when_unambiguous() -> None:
    assert [iso_date(t) for t in ("2022-06-01", "2022/6/1", "2026-11-21T10:30:00Z", "1 June 2022",
                                  "June 1, 2022", "9 Mar. 2023")] == \
        ["2022-06-01", "2022-06-01", "2026-11-21", "2022-06-01", "2022-06-01", "2023-03-09"]
    # a guess would print a wrong date in the methods and mis-group the rounds
    assert [iso_date(t) for t in ("01/06/2022", "June 2022", "2022", "today", "9-10 March 2023",
                                  "2023 March 9", "2022-02-30", "")] == [""] * 8


def test_windows_separators_in_source_file_still_match() -> None:
    recs = pd.DataFrame({"source_file": ["data\\raw\\r\\a.ris", "data\\raw\\r\\searches\\s1\\page-0001.xml"]})
    got = record_dates(recs, {"data/raw/r/a.ris": "2022-01-01"}, {"data/raw/r/searches/s1/": "2023-01-01"})
    assert list(got) == ["2022-01-01", "2023-01-01"]


def test_rounds_sentence_wording() -> None:
    """Not 'new studies': in an update flow those are the studies its screening included."""
    one = (("2022-01-01", 100, 90, 90), ("2023-01-01", 1, 1, 1))
    assert _rounds_sentence(one) == ("The searches of 2022-01-01 identified 100 records; the update search of "
                                     "2023-01-01 added 1 record and 1 study no earlier search had found.")
    three = (("2022-01-01", 100, 90, 90), ("2023-01-01", 154, 150, 0), ("2024-01-01 to 2024-01-09", 20, 19, 1),
             ("2025-01-01", 1, 1, 0))
    assert _rounds_sentence(three) == ("The searches of 2022-01-01 identified 100 records; the update search of "
                                       "2023-01-01 added 154 records, all of studies earlier searches had found; "
                                       "the update search of 2024-01-01 to 2024-01-09 added 20 records and 1 study "
                                       "no earlier search had found; the update search of 2025-01-01 added 1 "
                                       "record, of a study earlier searches had found.")
    assert _rounds_sentence(one[:1]) == ""
