"""`dedup-review --export` / `--from`: the maybe-pair queue triaged in a spreadsheet, answers read back.

The demo review (pipelines/demo.toml, data/raw/demo: six real database exports, 1,054
records) run as far as dedup queues 14 maybe-pairs, 4 of them "similar, but too little evidence
to be sure". Acceptance testing at 65k records queued 8,888 such pairs and the only ways to answer
were one key press or one `--pair` call per pair."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.decisions.import_csv import read_csv
from screening.dedup.bulk import reason_kind
from screening.dedup.review import decide_pair
from screening.dedup.review_queue import open_queue
from screening.dedup.store import load_decisions

ROOT = Path(__file__).resolve().parents[2]
SIMILAR = "similar, but too little evidence to be sure"
# two records the matcher neither links nor queues: other titles, 2019 vs 2022
UNLIKE = ("wos_278-00001", "wos_278-00002")
runner = CliRunner()


def _text(res) -> str:
    return " ".join(res.output.split())


def _make_review(root: Path, edit=None) -> Path:
    """The demo review's sources and [dedup], no rules or ranking, run once: ingest and dedup."""
    (root / "pipelines").mkdir(parents=True)
    shutil.copytree(ROOT / "data/raw/demo", root / "data/raw/demo",
                    ignore=shutil.ignore_patterns("screening_results"))
    if edit is not None:
        edit(root / "data/raw/demo")
    text = (ROOT / "pipelines/demo.toml").read_text(encoding="utf-8")
    toml = root / "pipelines/demo.toml"
    toml.write_text(text[:text.index("[dedup]") + len("[dedup]")] + "\n", encoding="utf-8")
    res = runner.invoke(app, ["run", str(toml)])
    assert res.exit_code == 0, res.output
    return toml


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    return _make_review(tmp_path_factory.mktemp("demo")).parents[1]


@pytest.fixture
def demo(demo_template, tmp_path) -> Path:
    """A fresh copy of the run demo review (its TOML): each test stores its own answers."""
    shutil.copytree(demo_template, tmp_path / "r")
    return tmp_path / "r" / "pipelines/demo.toml"


def _out(toml: Path) -> Path:
    return toml.parents[1] / "data/screened/demo"


def _review(toml: Path, *args: str, who: str = "alice"):
    return runner.invoke(app, ["dedup-review", str(toml), "-r", who, *args], env={"COLUMNS": "200"})


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)


def _duplicates(toml: Path) -> int:
    return json.loads((_out(toml) / "dedup.json").read_text(encoding="utf-8"))["counts"]["duplicates"]


# -- export -----------------------------------------------------------------------------------

def test_export_lists_exactly_the_pending_pairs_with_a_count_per_reason(demo, tmp_path):
    queue = open_queue(demo)
    assert len(queue.pairs) == 14
    first = next(p for p in queue.pairs if p.reason == SIMILAR)
    decide_pair(demo, first.id_a, first.id_b, "distinct", "bob")        # answered since the run
    res = _review(demo, "--export", str(tmp_path / "pairs.csv"))
    assert res.exit_code == 0, res.output
    rows = _rows(tmp_path / "pairs.csv")
    pending = open_queue(demo).pending
    assert [(r["id_a"], r["id_b"]) for r in rows] == [(p.id_a, p.id_b) for p in pending] and len(rows) == 13
    assert {r["answer"] for r in rows} == {""} and {r["status"] for r in rows} == {"pending"}
    said = _text(res)
    assert "wrote 13 undecided maybe-pair(s)" in said
    for reason, n in Counter(reason_kind(p) for p in pending).items():
        assert re.search(rf"│ +{n} │ {re.escape(reason[:40])}", res.output), (reason, n)
    assert "│ 3 │ similar, but too little evidence to be sure" in said      # 4 queued, 1 answered
    assert "│ 1 │ years differ " in said                                   # '2016 vs 2017' counted by kind
    # side by side, and what differs where both records give a value
    row = next(r for r in rows if r["reason"].startswith("years differ"))
    assert (row["year_a"], row["year_b"]) == ("2016", "2017") and row["differs"] == "year"
    assert row["source_db_a"] and row["same_group_a"] and "the reason is about" in row["note"]
    assert not list(tmp_path.glob(".pairs.csv.*"))          # written through a temporary file, renamed
    # --include-decided: the answered pair too, its answer filled in
    res = _review(demo, "--export", str(tmp_path / "all.csv"), "--include-decided")
    assert res.exit_code == 0 and "13 undecided maybe-pair(s) and 1 decided since the last run" in _text(res)
    decided = [r for r in _rows(tmp_path / "all.csv") if r["status"] != "pending"]
    assert [(r["id_a"], r["id_b"], r["answer"], r["status"]) for r in decided] == \
        [(first.id_a, first.id_b, "distinct", "decided")]


# -- import -----------------------------------------------------------------------------------

def test_round_trip_export_answer_import_and_run_applies_the_answers(demo, tmp_path):
    pairs = tmp_path / "pairs.csv"
    assert _review(demo, "--export", str(pairs)).exit_code == 0
    rows = _rows(pairs)
    before = _duplicates(demo)
    similar = [r for r in rows if r["reason"] == SIMILAR]
    doi = next(r for r in rows if r["reason"] == "DOIs differ" and r["id_a"].startswith("lens"))
    for r, said in zip(similar, ("Duplicate", " yes ", "same", "d")):
        r["answer"] = said
    doi["answer"] = "different"
    _write(pairs, rows)
    res = _review(demo, "--from", str(pairs))
    said = _text(res)
    assert res.exit_code == 0, res.output
    assert "stored 5 decision(s) (1 distinct, 4 duplicate) by alice" in said and "9 blank (skipped)" in said
    assert "9 pair(s) still waiting" in said and "`screening run" in said
    log = load_decisions(_out(demo))
    assert sorted(zip(log["id_a"], log["id_b"], log["decision"])) == sorted(
        [(r["id_a"], r["id_b"], "duplicate") for r in similar] + [(doi["id_a"], doi["id_b"], "distinct")])
    assert set(log["reviewer"]) == {"alice"} and log["decided_at"].all()
    lines = {(r["id_a"], r["id_b"]): n for n, r in enumerate(rows, start=2)}     # line 1: the header
    for a, b, note in zip(log["id_a"], log["id_b"], log["note"]):
        assert f"imported from pairs.csv line {lines[(a, b)]}" in note, note
    # the same file again stores nothing, and says so
    res = _review(demo, "--from", str(pairs))
    assert res.exit_code == 0 and "nothing new to store" in _text(res) and "5 already decided so" in _text(res)
    assert len(load_decisions(_out(demo))) == 5
    # `screening run` applies them: 4 more duplicates marked, 9 pairs left in the queue
    res = runner.invoke(app, ["run", str(demo)])
    assert res.exit_code == 0, res.output
    assert _duplicates(demo) == before + 4
    assert len(open_queue(demo).pairs) == 9
    # ...and after the run (the answered pairs have left the queue) the file is still nothing new
    res = _review(demo, "--from", str(pairs))
    assert res.exit_code == 0 and "nothing new to store" in _text(res), res.output
    assert len(load_decisions(_out(demo))) == 5


def test_a_changed_answer_is_stored_and_said(demo, tmp_path):
    p = next(p for p in open_queue(demo).pairs if p.reason == SIMILAR)
    decide_pair(demo, p.id_a, p.id_b, "duplicate", "bob")
    _write(tmp_path / "a.csv", [{"id_a": p.id_b, "id_b": p.id_a, "answer": "n"}])      # either order
    res = _review(demo, "--from", str(tmp_path / "a.csv"))
    assert res.exit_code == 0 and "(1 distinct; 1 replacing an earlier, other answer on the pair)" in _text(res)
    assert load_decisions(_out(demo))["decision"].tolist() == ["duplicate", "distinct"]


def _answers(demo) -> list[dict[str, str]]:
    """A valid file: every 'similar' pair answered duplicate (lines 2-5)."""
    return [{"id_a": p.id_a, "id_b": p.id_b, "answer": "duplicate"} for p in open_queue(demo).pairs
            if p.reason == SIMILAR]


@pytest.mark.parametrize("case, line, words", [
    ("unknown id", 3, "record id 'wos_278-99999' not in the dedup output"),
    ("bad answer", 4, "'maybe' is not an answer"),
    ("contradiction", 6, "answers this pair 'distinct', but line 2 answers it 'duplicate'"),
    ("evidently differ", 6, "the two records evidently differ: titles differ (similarity 0.43)"),
])
def test_a_bad_row_stores_nothing_and_names_its_line(demo, tmp_path, case, line, words):
    rows = _answers(demo)
    if case == "unknown id":
        rows[1]["id_b"] = "wos_278-99999"
    elif case == "bad answer":
        rows[2]["answer"] = "maybe"
    elif case == "contradiction":
        rows.append({**rows[0], "answer": "distinct"})
    else:
        rows.append({"id_a": UNLIKE[0], "id_b": UNLIKE[1], "answer": "duplicate"})
    path = tmp_path / "answers.csv"
    _write(path, rows)
    res = _review(demo, "--from", str(path))
    said = _text(res)
    assert res.exit_code == 6, res.output
    assert f"answers.csv:{line}: {words}" in said, said
    assert load_decisions(_out(demo)).empty                 # not even the good rows
    if case == "evidently differ":                         # unless the person insists
        assert "--force" in said
        res = _review(demo, "--from", str(path), "--force")
        assert res.exit_code == 0 and "1 despite evident differences (--force)" in _text(res), res.output
        log = load_decisions(_out(demo))
        assert len(log) == 5 and log["note"].str.contains("recorded despite: titles differ").sum() == 1


def test_every_bad_row_is_named_at_once_and_a_file_without_the_columns_is_refused(demo, tmp_path):
    rows = _answers(demo)
    rows[0]["answer"], rows[3]["id_a"] = "perhaps", rows[3]["id_b"]
    rows.append({"id_a": UNLIKE[0], "id_b": UNLIKE[1], "answer": "same"})
    _write(tmp_path / "a.csv", rows)
    res = _review(demo, "--from", str(tmp_path / "a.csv"))
    said = _text(res)
    assert res.exit_code == 6 and "3 rows cannot be imported" in said
    assert "line 2: 'perhaps' is not an answer" in said and "line 5: a pair needs two different record ids" in said
    assert "line 6: the two records evidently differ" in said
    (tmp_path / "b.csv").write_text("record_id,decision\nx,include\n", encoding="utf-8")
    res = _review(demo, "--from", str(tmp_path / "b.csv"))
    assert res.exit_code == 2 and "b.csv:1: no id_a, id_b, answer columns in the header" in _text(res)
    assert load_decisions(_out(demo)).empty


def test_formula_like_cells_are_escaped_and_read_back(tmp_path):
    """A title starting with '=' (a spreadsheet would run it) is written as "'=..." and read back
    as it was: the export reads back through the same reader as `--from`."""
    def inject(raw: Path) -> None:
        ris = raw / "lens_343.ris"
        text = ris.read_text(encoding="utf-8")
        title = "TI  - Spatiotemporal exposure modeling and epidemiological analyses of the 2008 northern " \
                "California wildfires - eScholarship"
        assert text.count(title) == 1
        ris.write_text(text.replace(title, title.replace("TI  - ", "TI  - =")), encoding="utf-8")

    toml = _make_review(tmp_path / "r", inject)
    pairs = tmp_path / "pairs.csv"
    assert _review(toml, "--export", str(pairs)).exit_code == 0
    assert ",'=Spatiotemporal exposure" in pairs.read_text(encoding="utf-8-sig")     # shown as text
    back = {cells["id_b"]: cells for _, cells in read_csv(pairs).rows}
    assert back["lens_343-00229"]["title_b"].startswith("=Spatiotemporal exposure")
    rows = _rows(pairs)
    for r in rows:
        r["answer"] = "duplicate" if r["id_b"] == "lens_343-00229" else ""
    _write(pairs, rows)
    res = _review(toml, "--from", str(pairs))
    assert res.exit_code == 0 and "stored 1 decision(s)" in _text(res), res.output


def test_answers_that_contradict_each_other_across_pairs_are_stored_and_warned_of(demo, tmp_path):
    """The Diabetes Care article's group against two Lens records with other DOIs, and the two
    against each other: 'same, same, different' cannot all hold. As in a session, the answers
    are stored (the next run applies 'distinct wins') and the import warns in the run's words."""
    art, one, two = "dimensions_246-00042", "lens_343-00056", "lens_343-00197"
    _write(tmp_path / "a.csv", [{"id_a": art, "id_b": one, "answer": "d"}, {"id_a": art, "id_b": two, "answer": "d"},
                                {"id_a": one, "id_b": two, "answer": "n"}])
    res = _review(demo, "--from", str(tmp_path / "a.csv"))
    said = _text(res)
    assert res.exit_code == 0 and "stored 3 decision(s)" in said, res.output
    assert "contradicting dedup-review decisions" in said and f"{one} ≠ {two} (alice)" in said
    assert "the 'distinct' decision is applied" in said


def test_export_and_from_go_alone(demo, tmp_path):
    res = _review(demo, "--export", str(tmp_path / "a.csv"), "--from", str(tmp_path / "a.csv"))
    assert res.exit_code == 2 and "give one of --export and --from" in _text(res)
    res = _review(demo, "--include-decided")
    assert res.exit_code == 2 and "--include-decided goes with --export" in _text(res)
    assert not (tmp_path / "a.csv").exists()


def test_the_store_takes_a_batch_whole_or_not_at_all(tmp_path):
    """One transaction: a row refused half-way (a reopen with nothing to withdraw) leaves none of
    the batch stored, where one call per row had stored the rows before it."""
    from screening.dedup.store import record_decisions
    from screening.errors import DecisionError

    batch = [("b", "a", "duplicate", ""), ("c", "a", "distinct", "n"), ("d", "e", "reopen", "")]
    with pytest.raises(DecisionError, match="no standing decision to reopen"):
        record_decisions(tmp_path, batch, "ana")
    assert load_decisions(tmp_path).empty
    assert record_decisions(tmp_path, batch[:2], "ana") == [1, 2]
    log = load_decisions(tmp_path)
    assert log[["id_a", "id_b", "decision", "note"]].values.tolist() == [["a", "b", "duplicate", ""],
                                                                        ["a", "c", "distinct", "n"]]
    assert log["decided_at"].nunique() == 1 and set(log["reviewer"]) == {"ana"}


def test_a_sheet_does_not_replace_an_answer_given_after_it_was_exported(demo, tmp_path):
    """Alice exports the queue and answers it over days; meanwhile Bob answers one of its pairs
    'distinct' in a session. Her sheet's 'duplicate' is the older information: the import is
    refused, naming Bob and the row, unless --force (it was stored as 'replacing' silently)."""
    decide_pair(demo, *UNLIKE, "distinct", "carol")          # a log entry before the export
    pairs = tmp_path / "pairs.csv"
    assert _review(demo, "--export", str(pairs)).exit_code == 0
    rows = _rows(pairs)
    assert {r["log_seq"] for r in rows} == {"1"}
    similar = [r for r in rows if r["reason"] == SIMILAR]
    decide_pair(demo, similar[1]["id_a"], similar[1]["id_b"], "distinct", "bob")    # after the export
    for r in similar:
        r["answer"] = "duplicate"
    _write(pairs, rows)
    res = _review(demo, "--from", str(pairs))
    said = _text(res)
    assert res.exit_code != 0
    line = rows.index(similar[1]) + 2                                               # line 1: the header
    assert f"pairs.csv:{line}:" in said and "answered 'distinct' by bob" in said
    assert "after this file was exported" in said
    assert "(log entry 2 > log_seq 1)" in said and "--force" in said
    assert load_decisions(_out(demo))["reviewer"].tolist() == ["carol", "bob"]       # nothing stored
    res = _review(demo, "--from", str(pairs), "--force")
    assert res.exit_code == 0, res.output
    assert "1 replacing an earlier, other answer on the pair" in _text(res)
    log = load_decisions(_out(demo))
    assert log["decision"].tolist() == ["distinct", "distinct"] + ["duplicate"] * len(similar)


def test_an_answer_changed_before_the_export_is_still_just_replaced(demo, tmp_path):
    """The stamp only guards answers given after the export: one the sheet shows (and its reader
    saw) is re-decided as before."""
    p = next(p for p in open_queue(demo).pairs if p.reason == SIMILAR)
    decide_pair(demo, p.id_a, p.id_b, "duplicate", "bob")
    pairs = tmp_path / "pairs.csv"
    assert _review(demo, "--export", str(pairs), "--include-decided").exit_code == 0
    rows = _rows(pairs)
    row = next(r for r in rows if {r["id_a"], r["id_b"]} == {p.id_a, p.id_b})
    assert row["answer"] == "duplicate" and row["log_seq"] == "1"
    row["answer"] = "distinct"
    _write(pairs, [row])
    res = _review(demo, "--from", str(pairs))
    assert res.exit_code == 0 and "1 replacing an earlier, other answer on the pair" in _text(res), res.output


def test_a_bad_stamp_is_named(demo, tmp_path):
    pairs = tmp_path / "pairs.csv"
    assert _review(demo, "--export", str(pairs)).exit_code == 0
    rows = _rows(pairs)
    rows[2]["log_seq"], rows[2]["answer"] = "=1+1", "d"
    _write(pairs, rows)
    res = _review(demo, "--from", str(pairs))
    assert res.exit_code != 0 and "pairs.csv:4:" in _text(res) and "log_seq '=1+1' is not a number" in _text(res)
    assert len(load_decisions(_out(demo))) == 0
