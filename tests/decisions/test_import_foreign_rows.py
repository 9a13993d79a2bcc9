"""Other tools' files, read as those tools write them (acceptance test 34).

* ASReview LAB numbers records itself from 0: in a review whose ids are numbers, its
  ``record_id`` names another record of ours, and every decision landed one record over.
* Rayyan lists every reviewer's exclusion reasons together, and each reviewer's notes in
  ``USER-NOTES``.
* A row whose title two kept records share was "unknown"; a search export passed for a
  decisions file got a CSV quoting error; a file's bad rows came out in two runs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.errors import DecisionError, InputError
from screening.records import read_table, write_table

from .conftest import write_csv

READS = ["title", "abstract", "record_id", "included"]


def _logged(db: Path) -> set[tuple[str, str, str]]:
    return {(r.record_id, r.reviewer, r.action) for r in load_entries(db).itertuples()}


def test_asreview_own_numbering_does_not_move_decisions_one_record_over(review: Path, db: Path, tmp_path: Path,
                                                                        source_rows: pd.DataFrame) -> None:
    rows = source_rows.head(6)
    labels = ["1", "1", "0", "1", "0", "0"]
    # ASReview LAB's export of a file of these records: its record_id is its own, from 0
    path = write_csv(tmp_path / "asreview.csv", READS,
                     [[r.title, r.abstract, str(n), said] for n, (r, said) in enumerate(zip(rows.itertuples(), labels))])
    api.import_decisions(review, path, reviewer="eve")
    want = {(rid, "eve", "include" if said == "1" else "exclude") for rid, said in zip(rows["record_id"], labels)}
    assert _logged(db) == want


def test_asreview_id_column_keeps_our_ris_export_ids(review: Path, db: Path, tmp_path: Path,
                                                     source_rows: pd.DataFrame) -> None:
    """A RIS file read by ASReview keeps its ID as ``id``; ``record_id`` is ASReview's numbering."""
    rows = source_rows.iloc[[4, 9]]
    path = write_csv(tmp_path / "asreview.csv", ["record_id", "id", "title", "included"],
                     [["0", rows.iloc[0].record_id, rows.iloc[0].title, "1"],
                      ["1", rows.iloc[1].record_id, rows.iloc[1].title, "0"]])
    api.import_decisions(review, path, reviewer="eve")
    assert _logged(db) == {(rows.iloc[0].record_id, "eve", "include"), (rows.iloc[1].record_id, "eve", "exclude")}


def test_an_asreview_id_whose_title_disagrees_is_explained(review: Path, db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "asreview.csv", READS, [["A study of something else entirely", "", "3", "1"]])
    with pytest.raises(DecisionError) as err:
        api.import_decisions(review, path, reviewer="eve")
    said = str(err.value)
    assert "no record of this review matches this row" in said and "another tool's numbering" in said, said
    assert not db.exists() or load_entries(db).empty


@pytest.fixture
def twins(review: Path) -> pd.DataFrame:
    """Records 7 and 8 given one title and no DOI (two copies dedup left apart)."""
    path = review.parent.parent / "data" / "screened" / "t" / "ingest.parquet"
    table = read_table(path)
    table.loc[table["record_id"] == "8", "title"] = table.loc[table["record_id"] == "7", "title"].iloc[0]
    table.loc[table["record_id"].isin(["7", "8"]), ["doi", "pmid"]] = ""
    write_table(table, path)
    return table


def _rayyan(path: Path, rows: list[tuple[str, str]]) -> Path:
    """Rayyan 'articles.csv' rows: (title, notes)."""
    return write_csv(path, ["key", "title", "authors", "journal", "year", "abstract", "notes", "pubmed_id", "doi"],
                     [[f"rayyan-{n}", title, "", "", "", "", notes, "", ""] for n, (title, notes) in enumerate(rows, 1)])


def test_a_title_two_records_share_names_them_and_the_way_out(review: Path, db: Path, tmp_path: Path,
                                                              twins: pd.DataFrame) -> None:
    title = twins.loc[twins["record_id"] == "7", "title"].iloc[0]
    path = _rayyan(tmp_path / "articles.csv", [(title, 'RAYYAN-INCLUSION: {"Ana"=>"Included"}')])
    with pytest.raises(DecisionError) as err:
        api.import_decisions(review, path)
    said = str(err.value)
    assert "matches 2 records of this review (7, 8)" in said and "dedup-review" in said, said


def _titles(source_rows: pd.DataFrame, *ids: str) -> list[str]:
    by_id = source_rows.set_index("record_id")["title"]
    return [by_id[i] for i in ids]


def test_rayyan_reasons_of_several_excluding_reviewers_are_nobodys(review: Path, db: Path, tmp_path: Path,
                                                                   source_rows: pd.DataFrame) -> None:
    a, b, c = _titles(source_rows, "3", "4", "5")
    path = _rayyan(tmp_path / "articles.csv", [
        (a, 'RAYYAN-INCLUSION: {"Ana"=>"Excluded", "Bo"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong population,wrong outcome'),
        (b, 'RAYYAN-INCLUSION: {"Ana"=>"Excluded", "Bo"=>"Included"} | RAYYAN-EXCLUSION-REASONS: wrong population,wrong outcome'),
        (c, 'RAYYAN-INCLUSION: {"Ana"=>"Excluded", "Bo"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong outcome'),
    ])
    res = api.import_decisions(review, path)
    got = {(r.record_id, r.reviewer): (r.action, r.reason, r.note) for r in load_entries(db).itertuples()}
    listed = "Rayyan exclusion reasons of all reviewers: wrong population, wrong outcome"
    assert got[("3", "Ana")] == ("exclude", "", listed) and got[("3", "Bo")] == ("exclude", "", listed)
    assert got[("4", "Ana")][:2] == ("exclude", "wrong population, wrong outcome")     # the one who excluded
    assert got[("5", "Ana")][:2] == got[("5", "Bo")][:2] == ("exclude", "wrong outcome")
    assert any(w.startswith("2 exclusion(s) recorded without a reason") for w in res["warnings"]), res["warnings"]


def test_rayyan_reasons_that_cannot_be_attributed_at_full_text_are_refused_saying_why(
        review: Path, db: Path, tmp_path: Path, source_rows: pd.DataFrame) -> None:
    a, b = _titles(source_rows, "3", "4")
    path = _rayyan(tmp_path / "articles.csv", [
        (a, 'RAYYAN-INCLUSION: {"Ana"=>"Excluded", "Bo"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong population,wrong outcome'),
        (b, 'RAYYAN-INCLUSION: {"Ana"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong population,wrong outcome'),
    ])
    with pytest.raises(DecisionError) as err:
        api.import_decisions(review, path, stage="full_text")
    said = str(err.value)
    assert "line 2: Ana and Bo excluded this record at full text, and Rayyan lists their reasons together" in said, said
    assert "line 3: Rayyan lists 2 exclusion reasons for this record" in said, said


def test_rayyan_user_notes_become_each_reviewers_note(review: Path, db: Path, tmp_path: Path,
                                                      source_rows: pd.DataFrame) -> None:
    (a,) = _titles(source_rows, "3")
    path = _rayyan(tmp_path / "articles.csv", [
        (a, 'RAYYAN-INCLUSION: {"Ana"=>"Included", "Bo"=>"Excluded"} | '
            'USER-NOTES: {"Ana"=>["check the methods; ask Bo", "dose?"], "Cy"=>["not mine"]}')])
    res = api.import_decisions(review, path)
    got = {r.reviewer: r.note for r in load_entries(db).itertuples()}
    assert got == {"Ana": "check the methods; ask Bo; dose?", "Bo": ""}
    assert any("Rayyan note by a reviewer without a decision" in w and "cy" in w for w in res["warnings"])


def test_copies_with_one_decision_but_different_reasons_are_named(review: Path, db: Path, tmp_path: Path,
                                                                  source_rows: pd.DataFrame) -> None:
    (a,) = _titles(source_rows, "3")
    path = _rayyan(tmp_path / "articles.csv", [
        (a, 'RAYYAN-INCLUSION: {"Ana"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong population'),
        (a.upper(), 'RAYYAN-INCLUSION: {"Ana"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong outcome')])
    res = api.import_decisions(review, path)
    assert any("lines 2 and 3 land on one record (3" in w and "different reasons" in w for w in res["warnings"]), \
        res["warnings"]


@pytest.mark.parametrize("first_lines, kind", [
    ("TY  - JOUR\nTI  - A title\nER  - \n", "RIS"),
    ("Provider: Clarivate\n\nTY  - JOUR\nER  - \n", "RIS"),
    ("PMID- 12345678\nTI  - A title\n", "PubMed/MEDLINE (.nbib)"),
    ("@article{key1,\n  title={A title}\n}\n", "BibTeX"),
])
def test_a_search_export_given_for_decisions_is_named(review: Path, db: Path, tmp_path: Path,
                                                      first_lines: str, kind: str) -> None:
    path = tmp_path / "export.ris"
    path.write_text(first_lines, encoding="utf-8")
    with pytest.raises(InputError) as err:
        api.import_decisions(review, path, reviewer="eve")
    assert f"this is a {kind} file, not a decisions CSV" in str(err.value)


def test_rows_that_cannot_be_read_are_listed_with_rows_that_cannot_be_recorded(review: Path, db: Path,
                                                                               tmp_path: Path) -> None:
    # line 2 names no record (found while reading); line 3 a duplicate (found while recording)
    path = write_csv(tmp_path / "d.csv", ["record_id", "decision"], [["nope", "include"], ["54", "include"]])
    with pytest.raises(DecisionError) as err:
        api.import_decisions(review, path, reviewer="a")
    said = str(err.value)
    assert "2 rows cannot be imported" in said and "line 2:" in said and "line 3:" in said, said
    assert not db.exists() or load_entries(db).empty
