"""Another tool's export names studies, not our rows: a row matched by PubMed id, DOI or title
lands on the copy kept for screening, never on a duplicate.

Acceptance testing (a five-database review): Rayyan and ASReview exports were refused whole on
any study with duplicates: the DOI index kept the *last* row with the DOI and the title index
the first, both often a duplicate, and an import refuses decisions on duplicates. Only the
first such row was named, though every bad row of a file is listed for the other errors.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.record_matching import Matcher
from screening.errors import DecisionError
from screening.records import read_table, write_table

from .conftest import write_csv


@pytest.fixture
def copies(review: Path) -> pd.DataFrame:
    """Record 54 made another database's copy of 53 (same title and PubMed id, and the DOI
    only it carries), marked its duplicate; 1 and 2 share a DOI (an erratum and its article)."""
    path = review.parent.parent / "data" / "screened" / "t" / "ingest.parquet"
    table = read_table(path)
    i53, i54 = table.index[table["record_id"] == "53"][0], table.index[table["record_id"] == "54"][0]
    for col in ("title", "pmid", "abstract", "year"):
        table.at[i54, col] = table.at[i53, col]
    table["doi"] = ""
    table.loc[i54, "doi"] = "10.1000/copy.54"
    table.loc[table["record_id"].isin(["1", "2"]), "doi"] = "10.1000/shared"
    assert table.at[i54, "duplicate_of"] == "53"
    write_table(table, path)
    return table


def _rayyan(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """Rayyan 'articles.csv' rows: (title, pubmed_id, doi, Ana's decision)."""
    return write_csv(path, ["key", "title", "authors", "journal", "year", "abstract", "notes", "pubmed_id", "doi"], [
        [f"rayyan-{n}", title, "", "", "", "", f'RAYYAN-INCLUSION: {{"Ana"=>"{said}"}}', pmid, doi]
        for n, (title, pmid, doi, said) in enumerate(rows, start=1)])


def test_a_foreign_row_lands_on_the_copy_kept_for_screening(review: Path, db: Path, tmp_path: Path,
                                                             copies: pd.DataFrame) -> None:
    title = copies.loc[copies["record_id"] == "53", "title"].iloc[0]
    pmid = copies.loc[copies["record_id"] == "53", "pmid"].iloc[0]
    matcher = Matcher(copies)
    assert matcher.match(pmid=pmid) == "53"                 # both copies have it: was the last, 54
    assert matcher.match(doi="https://doi.org/10.1000/COPY.54") == "53"    # only the duplicate has it
    assert matcher.match(title=title.upper()) == "53"
    assert matcher.match(record_id="54") == "54"             # our own id is taken as written
    # a DOI two kept records share names neither: the title decides
    two = copies.loc[copies["record_id"] == "2", "title"].iloc[0]
    assert matcher.match(doi="10.1000/shared") == ""
    assert matcher.match(doi="10.1000/shared", title=two) == "2"

    path = _rayyan(tmp_path / "articles.csv", [(title, "", "10.1000/copy.54", "Included"),
                                               (two, "", "10.1000/shared", "Excluded")])
    res = api.import_decisions(review, path)
    assert res["format"] == "rayyan"
    got = {(r.record_id, r.reviewer, r.action) for r in load_entries(db).itertuples()}
    assert got == {("53", "Ana", "include"), ("2", "Ana", "exclude")}


def test_asreview_rows_land_on_the_kept_copy(review: Path, db: Path, tmp_path: Path, copies: pd.DataFrame) -> None:
    title = copies.loc[copies["record_id"] == "53", "title"].iloc[0]
    path = write_csv(tmp_path / "asreview.csv", ["title", "abstract", "doi", "included"],
                     [[title, "", "10.1000/copy.54", "1"]])
    api.import_decisions(review, path, reviewer="eve")
    assert [(r.record_id, r.action) for r in load_entries(db).itertuples()] == [("53", "include")]


def test_every_row_the_log_refuses_is_named_in_one_error(review: Path, db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", ["record_id", "decision"],
                     [["1", "include"], ["54", "include"], ["55", "exclude"], ["3", "exclude"]])
    with pytest.raises(DecisionError) as err:
        api.import_decisions(review, path, reviewer="a")
    said = str(err.value)
    assert "2 rows cannot be imported" in said and "line 3:" in said and "line 4:" in said, said
    assert "duplicate" in said
    assert not db.exists() or load_entries(db).empty           # nothing partial


def test_two_copies_of_one_study_decided_differently_are_named(review: Path, db: Path, tmp_path: Path,
                                                               copies: pd.DataFrame) -> None:
    """Review of the change: Rayyan rows for two database copies of one study now land on one
    record; decided differently by one reviewer, the later line stands, and the import says so."""
    title = copies.loc[copies["record_id"] == "53", "title"].iloc[0]
    pmid = copies.loc[copies["record_id"] == "53", "pmid"].iloc[0]
    path = _rayyan(tmp_path / "articles.csv", [(title, pmid, "", "Included"), (title, "", "10.1000/copy.54", "Excluded")])
    res = api.import_decisions(review, path)
    assert any("lines 2 and 3 land on one record (53" in w and "line 3's stands" in w for w in res["warnings"]), res
    from screening.decisions.outcomes import final_decisions

    assert final_decisions(load_entries(db), "title_abstract").set_index("record_id")["decision"].to_dict() == \
        {"53": "exclude"}
