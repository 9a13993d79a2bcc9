"""A decisions CSV is read whole or refused (acceptance testing): an unterminated quote
swallowed the rows after it and the rest was imported, exit 0; cells beyond the header were
dropped without a word; a multi-line row was reported at its last line; undeclared reviewers
were reported only once the other bad rows were fixed; a re-import that wrote nothing led with
'imported 200 decisions'; a warning said 'full/text'."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.record_matching import similar_ids
from screening.errors import InputError
from screening.records import conform, write_table
from screening.stages.ingest import RawSource, ingest

from .conftest import write_csv

DEDUP_CASES = Path(__file__).resolve().parents[1] / "fixtures" / "dedup_cases"


def _empty(db: Path) -> bool:
    return not db.exists() or load_entries(db).empty


# ---------------------------------------------------------------------------------------------
# broken quoting and surplus cells


def test_an_unterminated_quote_is_refused_at_its_line_and_nothing_is_written(review: Path, db: Path, cli,
                                                                             tmp_path: Path, in_play: list[str]) -> None:
    a, b, c, d = in_play[:4]
    bad = tmp_path / "bad.csv"
    bad.write_text(f'record_id,decision,reason\n{a},exclude,\n{b},include,,extra,"oops\n{c},include,\n{d},exclude,\n')
    code, out = cli("decide", review, "-r", "alice", "--from", bad)
    assert code == 2 and "bad.csv:3" in out and "unterminated quote" in out, out
    assert _empty(db)
    # a stray quote closed by a later one: the rows between are read into one cell; also when
    # the swallowed rows are shorter than the header, and in an ASReview file (acceptance
    # testing: both imported 2 of 4 rows, exit 0)
    swallowing = {
        "stray.csv": f'record_id,decision,reason,note\n{a},exclude,,"said\n{b},include,,\n{c},include,,ok"\n'
                     f'{d},exclude,,\n',
        "short.csv": f'record_id,decision,reason\n{a},include,"stray\n{b},exclude\n{c},include,close"\n{d},exclude,\n',
        "asreview.csv": f'record_id,title,included,asreview_note\n{a},t,1,"stray\n{b},t,0,mid\n{c},t,1,close"\n'
                        f'{d},t,0,z\n',
    }
    for name, text in swallowing.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(InputError, match="reads as a row of this file") as err:
            api.import_decisions(review, tmp_path / name, reviewer="alice")
        assert err.value.line == 2, name
        assert _empty(db)
    # a note on several lines (quoted as it should be) is one cell, and the rows after it count
    fine = tmp_path / "fine.csv"
    fine.write_text(f'record_id,decision,reason,note\n{a},exclude,,"dose unclear,\nsee the methods"\n{b},include,,\n')
    assert api.import_decisions(review, fine, reviewer="alice")["written"] == 2
    notes = load_entries(db).set_index("record_id")["note"]
    assert notes[a] == "dose unclear,\nsee the methods"


def test_cells_beyond_the_header_are_refused_unless_empty(review: Path, db: Path, cli, tmp_path: Path,
                                                          in_play: list[str]) -> None:
    a, b, c = in_play[:3]
    one = write_csv(tmp_path / "one.csv", ["record_id", "decision", "reason"],
                    [[a, "exclude", ""], [b, "exclude", "wrong population", "rats"]])
    code, out = cli("decide", review, "-r", "alice", "--from", one)
    assert code == 2 and "one.csv:3" in out and "more cells than the header's 3 columns" in out and "'rats'" in out
    two = write_csv(tmp_path / "two.csv", ["record_id", "decision"], [[a, "exclude", "x"], [b, "include"], [c, "include", "y"]])
    code, out = cli("decide", review, "-r", "alice", "--from", two)
    assert code == 2 and "two.csv:2" in out and "2 rows have more cells" in out and "lines 2, 4" in out, out
    assert _empty(db)
    # a spreadsheet's trailing separators are empty cells: nothing is lost
    trailing = tmp_path / "trailing.csv"
    trailing.write_text(f"record_id,decision,reason\n{a},exclude,,,\n{b},include,, ,\n")
    assert api.import_decisions(review, trailing, reviewer="alice")["written"] == 2


# ---------------------------------------------------------------------------------------------
# a multi-line row's line; reviewers and ids with the other bad rows


@pytest.fixture
def gambling(tmp_path: Path) -> Path:
    """A review of four trimmed real exports (CiteSource's gambling-harms searches): Scopus
    records carry notes on two lines ('Cited By :1' / 'Export Date: …'), exported as the
    source_notes column; ids are like 'gambling_lens_4-00003'."""
    names = ("gambling_lens_4.ris", "gambling_psycinfo_1.ris", "gambling_pubmed_2.ris", "gambling_scopus_2.ris")
    table = conform(ingest([RawSource(n, (DEDUP_CASES / n).read_bytes()) for n in names]).records)
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "g.toml"
    toml.write_text('[review]\nname = "g"\n[screening]\nreviewers = ["alice", "bob"]\n', encoding="utf-8")
    write_table(table, tmp_path / "data" / "screened" / "g" / "ingest.parquet")
    return toml


def test_a_multi_line_row_is_reported_at_its_first_line(gambling: Path, cli, tmp_path: Path) -> None:
    import csv

    out = tmp_path / "all.csv"
    assert cli("export", gambling, "-r", "alice", "--decision", "all", "-o", out)[0] == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["record_id"].startswith("gambling_scopus_2")]
    assert all("\n" in r["source_notes"] for r in rows)
    rows[0]["decision"], rows[1]["decision"] = "include", "perhaps"
    one = tmp_path / "one.csv"
    with one.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    code, said = cli("decide", gambling, "-r", "alice", "--from", one)
    # header line 1, the first row lines 2-3, the second row starts on line 4
    assert code == 6 and "one.csv:4: unknown decision 'perhaps'" in said, said


def test_undeclared_reviewers_and_unknown_ids_are_reported_in_one_run(gambling: Path, cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "team.csv", ["record_id", "decision", "reviewer"], [
        ["gambling_lens_4-00001", "include", "alice"],
        ["gambling_lens_4-00002", "exclude", "zed"],
        ["lens4-00003", "include", "alice"],          # the tail of an id, without its separator
        ["gambling_lens_4-00004", "include", "yan"],
    ])
    code, out = cli("decide", gambling, "--from", path)
    assert code == 6 and "team.csv:3: the file has 2 problems and cannot be imported" in out, out
    # each name's own row (acceptance testing: 'yan' was reported on zed's line only)
    assert "line 3: unknown reviewers 'zed', 'yan' ('zed' first on line 3, 'yan' first on line 5)" in out
    assert "line 4: unknown record 'lens4-00003' (did you mean 'gambling_lens_4-00003'?)" in out
    assert "[screening] reviewers" in out                 # the first row's hint: how to declare them


def test_did_you_mean_compares_ids_without_their_separators() -> None:
    ids = [f"20221207_gambling_harms_{src}-{i:05d}" for src, n in (("lens_49", 49), ("pubmed_176", 176),
                                                                  ("scopus_255", 255)) for i in range(1, n + 1)]
    assert similar_ids(ids, "lens49-00037") == ["20221207_gambling_harms_lens_49-00037"]
    assert similar_ids(ids, "gambling_harms_lens49-00037") == ["20221207_gambling_harms_lens_49-00037"]
    # a slip in a copied tail: the tail that reads most like it, not any id of similar length
    assert similar_ids(ids, "lens_49-0037") == ["20221207_gambling_harms_lens_49-00037"]
    assert similar_ids(ids, "pubmed176-0099") == ["20221207_gambling_harms_pubmed_176-00099"]
    assert similar_ids(ids, "nothing like it") == []


# ---------------------------------------------------------------------------------------------
# what an import says


def test_a_reimport_that_writes_nothing_says_so_first(review: Path, cli, tmp_path: Path, in_play: list[str]) -> None:
    path = write_csv(tmp_path / "alice.csv", ["record_id", "decision"], [[r, "exclude"] for r in in_play[:3]])
    assert cli("decide", review, "-r", "alice", "--from", path)[1].startswith("imported 3 decisions")
    code, out = cli("decide", review, "-r", "alice", "--from", path)
    assert code == 0 and out.startswith("0 decisions written (native format): all 3 rows are already in the log"), out
    assert "imported" not in out


def test_a_full_text_warning_names_the_stage_in_words(review: Path, tmp_path: Path, in_play: list[str]) -> None:
    rid = in_play[0]
    api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    api.record_decision(review, reviewer="alice", record_id=rid, action="include", stage="full_text")
    path = write_csv(tmp_path / "ft.csv", ["record_id", "decision", "reason", "stage"],
                     [[rid, "exclude", "wrong outcome", "full_text"]])
    warnings = api.import_decisions(review, path, reviewer="alice")["warnings"]
    assert any("settled record(s) at full text changed their decision" in w for w in warnings), warnings
    assert not any("full/text" in w for w in warnings)
