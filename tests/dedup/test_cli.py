"""`screening dedup` and `screening dedup-review` driven through typer's CliRunner."""

from __future__ import annotations


import pandas as pd
from typer.testing import CliRunner

from screening.cli import app
from screening.dedup.store import load_decisions
from screening.records import read_table

from .conftest import FIXTURES

runner = CliRunner()


def _text(res) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(res.output.split())


def test_dedup_command_on_bibtex_style_csv(tmp_path):
    """The bib-dedupe sample has BibTeX-style columns (ID, author, number): ingest maps them and
    OUT keeps the file's own ids, every row, in order."""
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["dedup", str(FIXTURES / "bibdedupe_testsample_records.csv"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "5 duplicates marked" in _text(res) and "Per source" in _text(res)
    table = read_table(out)
    src = pd.read_csv(FIXTURES / "bibdedupe_testsample_records.csv", dtype=str, keep_default_na=False)
    kept_ids = [rid for rid, given in zip(table["record_id"], src["ID"]) if given]
    assert kept_ids == [given for given in src["ID"] if given] and len(table) == len(src)
    assert (table["duplicate_of"] != "").sum() == 5
    assert (tmp_path / "dedup_queue.json").exists()


def test_dedup_command_reads_a_canonical_table(tmp_path):
    first = tmp_path / "first.csv"
    assert runner.invoke(app, ["dedup", str(FIXTURES / "bibdedupe_testsample_records.csv"), "-o", str(first)]).exit_code == 0
    second = tmp_path / "second.parquet"
    res = runner.invoke(app, ["dedup", str(first), "-o", str(second)])
    assert res.exit_code == 0, res.output
    assert read_table(second)["duplicate_of"].tolist() == read_table(first)["duplicate_of"].tolist()


def test_missing_input_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["dedup", str(tmp_path / "nope.ris"), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 2 and "file not found" in _text(res)


def _editorial_pair(tmp_path):
    """Two real DBLP records of a recurring editorial (issues 1 and 4): a maybe-pair."""
    pairs = pd.read_csv(FIXTURES / "pairs.csv", dtype=str, keep_default_na=False)
    rows = pairs[pairs["pair"] == "13"].drop(columns=["pair", "expect", "why", "source_set"])
    path = tmp_path / "editorials.csv"
    rows.to_csv(path, index=False)
    return path, rows["ID"].tolist()


def test_review_loop_stores_and_reuses_a_decision(tmp_path):
    src, ids = _editorial_pair(tmp_path)
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["dedup", str(src), "-o", str(out)])
    assert res.exit_code == 0 and "1 maybe-pairs queued" in _text(res), res.output
    assert (read_table(out)["duplicate_of"] == "").all()

    res = runner.invoke(app, ["dedup-review", str(tmp_path), "--reviewer", "ana"], input="d\n")
    assert res.exit_code == 0, res.output
    assert "issues differ: 1 vs 4" in _text(res) and "Zmud" in _text(res) and "stored 1 decision" in _text(res)
    log = load_decisions(tmp_path)
    assert log[["decision", "reviewer"]].values.tolist() == [["duplicate", "ana"]]
    assert log["decided_at"].iloc[0]

    res = runner.invoke(app, ["dedup", str(src), "-o", str(out)])
    assert res.exit_code == 0 and "0 maybe-pairs queued" in _text(res) and "1 stored decisions applied" in _text(res)
    table = read_table(out)
    assert (table["duplicate_of"] != "").sum() == 1 and set(table["dup_rule"]) == {"", "manual"}

    res = runner.invoke(app, ["dedup-review", str(tmp_path)], input="")
    assert "no maybe-pairs waiting" in _text(res)


def test_review_skip_and_quit_store_nothing(tmp_path):
    src, _ = _editorial_pair(tmp_path)
    runner.invoke(app, ["dedup", str(src), "-o", str(tmp_path / "out.csv")])
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="s\n")
    assert "stored 0 decision" in _text(res)
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="q\n")
    assert "stored 0 decision" in _text(res)
    assert len(load_decisions(tmp_path)) == 0


def test_piped_answers_that_run_out_end_the_session_as_q_does(tmp_path):
    """Acceptance testing: `dedup-review </dev/null` with a pair queued said 'interrupted' and
    exited 130, as if someone had pressed Ctrl-C."""
    src, _ = _editorial_pair(tmp_path)
    runner.invoke(app, ["dedup", str(src), "-o", str(tmp_path / "out.csv")])
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="")
    assert res.exit_code == 0, res.output
    assert "(end of input)" in _text(res) and "stored 0 decision" in _text(res) and "1 pair(s) still waiting" in _text(res)
    assert len(load_decisions(tmp_path)) == 0
    # a plain folder has no review to run: the command that applies decisions is dedup's own
    assert f"`screening dedup INPUT... -o {tmp_path / 'out.csv'}` applies them" in _text(res)
    assert "`screening run`" not in _text(res)


def test_scripted_pair_decision_is_appended(tmp_path):
    src, ids = _editorial_pair(tmp_path)
    runner.invoke(app, ["dedup", str(src), "-o", str(tmp_path / "out.csv")])
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "--pair", ids[0], ids[1], "--distinct", "-r", "bo"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "--pair", ids[0], ids[1], "--duplicate", "-r", "cy"])
    assert res.exit_code == 0, res.output
    log = load_decisions(tmp_path)
    assert log["decision"].tolist() == ["distinct", "duplicate"] and log["reviewer"].tolist() == ["bo", "cy"]
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "--pair", ids[0], ids[1]])
    assert res.exit_code != 0


def test_reopen_puts_a_decided_pair_back_in_the_queue(tmp_path):
    src, ids = _editorial_pair(tmp_path)
    out = tmp_path / "out.csv"
    runner.invoke(app, ["dedup", str(src), "-o", str(out)])
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "--pair", ids[0], ids[1], "--reopen", "-r", "bo"])
    assert res.exit_code != 0 and "no standing decision to reopen" in _text(res)
    runner.invoke(app, ["dedup-review", str(tmp_path), "--pair", ids[0], ids[1], "--duplicate", "-r", "bo"])
    runner.invoke(app, ["dedup", str(src), "-o", str(out)])
    assert (read_table(out)["duplicate_of"] != "").sum() == 1
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "--pair", ids[1], ids[0], "--reopen", "-r", "cy"])
    assert res.exit_code == 0 and "= reopen (cy)" in _text(res), res.output
    res = runner.invoke(app, ["dedup", str(src), "-o", str(out)])
    assert "1 maybe-pairs queued" in _text(res) and (read_table(out)["duplicate_of"] == "").all()
    assert load_decisions(tmp_path)["decision"].tolist() == ["duplicate", "reopen"]     # nothing overwritten
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="n\n")
    assert "stored 1 decision" in _text(res)
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "--pair", ids[0], ids[1], "--reopen", "--distinct"])
    assert res.exit_code != 0


def test_pair_decision_on_unknown_ids_is_refused_and_nothing_stored(tmp_path):
    """A mistyped id used to be 'stored' (exit 0) and then silently ignored by the next run."""
    src, ids = _editorial_pair(tmp_path)
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "--pair", "nonexist-1", ids[1], "--duplicate", "-r", "bo"])
    assert res.exit_code == 5 and "no dedup results here" in _text(res)   # not run that far: nothing to check the ids against
    runner.invoke(app, ["dedup", str(src), "-o", str(tmp_path / "out.csv")])
    for pair in (["nonexist-1", ids[1]], [ids[0], "nonexist-1"], ["nonexist-1", "nonexist-2"]):
        res = runner.invoke(app, ["dedup-review", str(tmp_path), "--pair", *pair, "--duplicate", "-r", "bo"])
        assert res.exit_code == 6, res.output
        text = _text(res)
        assert "stored:" not in text and "not in the dedup output" in text
        assert all(f"'{rid}'" in text for rid in pair if rid.startswith("nonexist"))
        assert "record_id column of" in text and "out.csv" in text              # where to look ids up
        assert ids[0] not in text.split("(record")[0]                           # only unknown ids named
    assert len(load_decisions(tmp_path)) == 0 and not (tmp_path / "dedup_decisions.sqlite").exists()
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "--pair", ids[1], ids[0], "--distinct", "-r", "bo"])
    assert res.exit_code == 0 and load_decisions(tmp_path)["decision"].tolist() == ["distinct"]
    # a typo in a --reopen is named as one too (acceptance testing: 'this pair has no standing decision')
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "--pair", ids[1], "nonexist-1", "--reopen", "-r", "bo"])
    assert res.exit_code == 6 and "'nonexist-1' not in the dedup output; nothing reopened" in _text(res), res.output
    assert load_decisions(tmp_path)["decision"].tolist() == ["distinct"]


def test_pair_decision_may_name_a_record_of_the_previous_search(tmp_path):
    """With --previous, the earlier search's records are not rows of OUT, but a new record linked
    to one of them names it in duplicate_of: a person may overrule that link."""
    sample = pd.read_csv(FIXTURES / "bibdedupe_testsample_records.csv", dtype=str, keep_default_na=False)
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    sample[sample["ID"] == "id_0000728"].drop(columns=["search_set"]).to_csv(old, index=False)
    sample[sample["ID"] == "id_0000728NEW"].drop(columns=["search_set"]).to_csv(new, index=False)
    first = tmp_path / "first" / "old.csv"
    first.parent.mkdir()
    assert runner.invoke(app, ["dedup", str(old), "-o", str(first)]).exit_code == 0
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["dedup", str(new), "-o", str(out), "--previous", str(first)])
    assert res.exit_code == 0, res.output
    assert read_table(out)["duplicate_of"].tolist() == ["id_0000728"]
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "--pair", "id_0000728NEW", "id_0000728", "--distinct", "-r", "bo"])
    assert res.exit_code == 0, res.output
    runner.invoke(app, ["dedup", str(new), "-o", str(out), "--previous", str(first)])
    assert read_table(out)["duplicate_of"].tolist() == [""]


def test_review_loop_shows_a_maybe_pair_with_an_earlier_search_record(tmp_path):
    """A new record can be a maybe-pair with a record of the earlier search (--previous), which
    is not a row of OUT: the queue keeps that record's fields, so the side-by-side view works
    (it used to stop with 'record not in the dedup table'), and the decision applies next run."""
    src, ids = _editorial_pair(tmp_path)
    rows = pd.read_csv(src, dtype=str, keep_default_na=False)
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    rows.iloc[[0]].to_csv(old, index=False)
    rows.iloc[[1]].to_csv(new, index=False)
    first = tmp_path / "first" / "old.csv"
    first.parent.mkdir()
    assert runner.invoke(app, ["dedup", str(old), "-o", str(first)]).exit_code == 0
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["dedup", str(new), "-o", str(out), "--previous", str(first)])
    assert res.exit_code == 0 and "1 maybe-pairs queued" in _text(res), res.output
    assert read_table(out)["record_id"].tolist() == [ids[1]]
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="d\n",
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "(earlier search)" in _text(res) and "Zmud" in _text(res) and "stored 1 decision" in _text(res)
    assert ids[0] in _text(res) and ids[1] in _text(res)
    res = runner.invoke(app, ["dedup", str(new), "-o", str(out), "--previous", str(first)])
    assert "0 maybe-pairs queued" in _text(res)
    assert read_table(out)["duplicate_of"].tolist() == [ids[0]]


def test_review_roster_spells_dedup_reviewers_and_refuses_typos(tmp_path, monkeypatch):
    """Acceptance testing: `dedup-review REVIEW -r alcie` was stored as 'alcie' while `decide`
    suggests 'alice'. A near miss of a declared name is refused, 'Alice' is recorded as
    alice, and someone outside the screening team (an information specialist) is accepted."""
    src, ids = _editorial_pair(tmp_path)
    (tmp_path / "data" / "raw").mkdir(parents=True)
    src.rename(tmp_path / "data" / "raw" / "editorials.csv")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "t.toml").write_text(
        '[review]\nname = "t"\n[[sources]]\nfile = "data/raw/editorials.csv"\n[dedup]\n'
        '[screening]\nreviewers = ["alice", "bob"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["run", "pipelines/t.toml"]).exit_code == 0
    folder = tmp_path / "data" / "screened" / "t"
    res = runner.invoke(app, ["dedup-review", "pipelines/t.toml", "-r", "alcie"], input="d\n")
    assert res.exit_code == 6 and "did you mean 'alice'" in _text(res) and "Zmud" not in _text(res)
    res = runner.invoke(app, ["dedup-review", "pipelines/t.toml", "--pair", ids[0], ids[1], "--distinct", "-r", "alcie"])
    assert res.exit_code == 6
    assert len(load_decisions(folder)) == 0
    res = runner.invoke(app, ["dedup-review", "pipelines/t.toml", "-r", "Alice"], input="d\n")
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["dedup-review", "pipelines/t.toml", "--pair", ids[0], ids[1], "--distinct",
                              "-r", "infospec"])
    assert res.exit_code == 0
    assert load_decisions(folder)["reviewer"].tolist() == ["alice", "infospec"]


def test_dedup_of_several_ingested_tables_keeps_their_databases(tmp_path):
    """Acceptance testing: `dedup a.csv b.csv` on two tables written by `ingest` re-read them as
    exports, so every source_db came out blank (PRISMA-S: 'Unknown source')."""
    exports = FIXTURES.parent / "exports"
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert runner.invoke(app, ["ingest", str(exports / "ris_ovid_medline_central.ris"), "-o", str(a)]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(exports / "ris_dimensions.ris"), "-o", str(b)]).exit_code == 0
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["dedup", str(a), str(b), "-o", str(out)])
    assert res.exit_code == 0, res.output
    table = read_table(out)
    assert list(table["source_db"]) == list(read_table(a)["source_db"]) + list(read_table(b)["source_db"])
    assert "Unknown source" not in _text(res) and set(table["source_file"]) == {
        str(exports / "ris_ovid_medline_central.ris"), str(exports / "ris_dimensions.ris")}
    # the same table twice would clash on record ids: refused, nothing written
    res = runner.invoke(app, ["dedup", str(a), str(a), "-o", str(tmp_path / "twice.csv")])
    assert res.exit_code == 2 and "more than one input table" in _text(res)
    res = runner.invoke(app, ["dedup", str(a), str(exports / "ris_dimensions.ris"), "-o", str(tmp_path / "mix.csv")])
    assert res.exit_code == 2 and "cannot be mixed" in _text(res)
    assert not (tmp_path / "twice.csv").exists() and not (tmp_path / "mix.csv").exists()


def test_dedup_of_exports_shows_ingests_warnings(tmp_path):
    res = runner.invoke(app, ["dedup", str(FIXTURES.parent / "exports" / "dedup_asysd_labelled_cp1252.csv"),
                              "-o", str(tmp_path / "out.csv")])
    assert res.exit_code == 0 and "cp1252" in _text(res)


def test_the_pair_view_says_which_record_was_screened_not_how(tmp_path):
    """UAT (search update): deciding a pair of a new record and a screened one, the reviewer was
    not shown which side carried decisions (that one stays the kept record). Whether, never
    which way: the person deciding may be a screener."""
    from screening.decisions.store import Event, open_store
    from screening.dedup.review_queue import open_queue

    src, ids = _editorial_pair(tmp_path)
    assert runner.invoke(app, ["dedup", str(src), "-o", str(tmp_path / "out.csv")]).exit_code == 0
    queue = open_queue(tmp_path, reviewer="ana")
    assert all(row[0] != "screening" for row in queue.view(queue.pending[0]))
    with open_store(tmp_path / "decisions.sqlite") as store:
        store.append([Event(record_id=ids[0], stage="title_abstract", reviewer="bo", action="exclude",
                            reason="not a review")])
    queue = open_queue(tmp_path, reviewer="ana")
    pair = queue.pending[0]
    row = next(r for r in queue.view(pair) if r[0] == "screening")
    side = {pair.id_a: row[1], pair.id_b: row[2]}
    assert side[ids[0]] == "has screening decisions" and side[ids[1]] == "—"
    assert "exclude" not in " ".join(map(str, row)) and "not a review" not in " ".join(map(str, row))
    # a declared screener deciding pairs is not told which records a colleague has reached
    import dataclasses

    from screening.decisions.roster import Roster

    roster = Roster(("ana", "bo"), ("cy",), "x.toml")
    assert all(r[0] != "screening" for r in dataclasses.replace(queue, roster=roster, reviewer="ana").view(pair))
    assert any(r[0] == "screening" for r in dataclasses.replace(queue, roster=roster, reviewer="cy").view(pair))
