"""A dedup-review decision read, when it is stored, as the next run will read it.

Real records (tests/fixtures/dedup_cases). Wildfire: the Diabetes Care article (Dimensions 42,
Lens 296, MEDLINE 1: one DOI) and two figshare records of its data (v1, the concept DOI).
Gambling: a preprint against the article's three copies under one DOI, and a bare Lens copy
against four copies of a paper. Each test's scenario said nothing, or the wrong thing, before:
a scripted answer's contradiction surfaced one run later; ``--reopen`` found only the exact pair
an answer was stored on; and the review counted a re-confirmed contradiction as decided and one
an answer resolved as still undecided."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from screening.cli import app
from screening.dedup.api import deduplicate
from screening.dedup.queue import Progress
from screening.dedup.reopen import decisions_between
from screening.dedup.review import decide_pair
from screening.dedup.review_queue import open_queue
from screening.dedup.store import load_decisions, record_decision
from screening.records import read_table, write_table

from .test_conflicts import ART, CONCEPT, CONTRADICTION, V1, _log
from .test_review_groups import ARTICLE, BARE, GAMBLING, PAPER, PREPRINT, WILDFIRE, load

runner = CliRunner()
MEDLINE = "medline_84-00001"          # a copy of the article (same DOI as ART)


def _text(res) -> str:
    return " ".join(res.output.split())


def _dedup(tmp_path, files) -> None:
    src = tmp_path / "records.csv"
    if not src.exists():
        write_table(load(files), src)
    res = runner.invoke(app, ["dedup", str(src), "-o", str(tmp_path / "out.csv")])
    assert res.exit_code == 0, res.output


def _pair(tmp_path, a: str, b: str, how: str, who: str = "ana"):
    return runner.invoke(app, ["dedup-review", str(tmp_path), "-r", who, "--pair", a, b, f"--{how}"],
                         env={"COLUMNS": "300"})


# -- 1. a scripted answer that contradicts earlier ones says so when it is stored ------------

def test_a_scripted_answer_that_closes_a_contradiction_is_reported_by_that_call(tmp_path):
    _dedup(tmp_path, WILDFIRE)
    assert _pair(tmp_path, V1, CONCEPT, "duplicate").output.count("warning") == 0
    assert _pair(tmp_path, CONCEPT, ART, "duplicate").output.count("warning") == 0
    res = _pair(tmp_path, V1, ART, "distinct", "bo")
    assert res.exit_code == 0, res.output                    # stored: the rule 'distinct wins' applies
    said = _text(res)
    for words in ("contradicting dedup-review decisions", f"{V1} = {CONCEPT} (ana)", f"{ART} = {CONCEPT} (ana)",
                  f"{ART} ≠ {V1} (bo)", "the 'distinct' decision is applied", "queued again",
                  "from the next dedup run", f"stored: {V1} / {ART} = distinct (bo)"):
        assert words in said, words
    assert load_decisions(tmp_path)["decision"].tolist() == ["duplicate", "duplicate", "distinct"]
    # the next run reports the same contradiction in the same words
    run = _text(runner.invoke(app, ["dedup", str(tmp_path / "records.csv"), "-o", str(tmp_path / "out.csv")],
                              env={"COLUMNS": "300"}))
    start = said.index("contradicting")
    assert said[start:said.index(". The answer is stored")] in run


def test_a_distinct_answer_against_a_copy_of_the_group_a_duplicate_answer_joined(tmp_path):
    """The preprint was answered = the article (applied: one group now); then a scripted
    'distinct' against another copy of the article (its DOI copy). The output's groups cannot
    show this -- both are in one group -- so the run keeps the matcher's groups inside it."""
    _dedup(tmp_path, GAMBLING)
    assert _pair(tmp_path, PREPRINT, ARTICLE[0], "duplicate").exit_code == 0
    _dedup(tmp_path, GAMBLING)
    assert read_table(tmp_path / "out.csv").set_index("record_id").loc[PREPRINT, "dup_rule"] == "manual"
    res = _pair(tmp_path, PREPRINT, ARTICLE[1], "distinct", "bo")
    said = _text(res)
    assert res.exit_code == 0 and "contradicting dedup-review decisions" in said, res.output
    assert f"linked by the matcher: {' + '.join(sorted(ARTICLE))}" in said
    assert f"{PREPRINT} = {ARTICLE[0]} (ana)" in said and f"{PREPRINT} ≠ {ARTICLE[1]} (bo)" in said


def test_an_answer_in_a_session_that_contradicts_a_colleague_s_answer_meanwhile_is_reported(tmp_path):
    _dedup(tmp_path, WILDFIRE)
    queue = open_queue(tmp_path, reviewer="ana")
    first, second = (p for p in queue.pending if {p.id_a, p.id_b} in ({ART, V1}, {ART, CONCEPT}))
    record_decision(tmp_path, V1, CONCEPT, "distinct", "bo")     # another person, after the queue was read
    assert decide_pair(tmp_path, first.id_a, first.id_b, "duplicate", "ana", queue=queue).warnings == ()
    assert queue.progress.is_open(second)
    done = decide_pair(tmp_path, second.id_a, second.id_b, "duplicate", "ana", queue=queue)
    assert len(done.warnings) == 1 and f"{V1} ≠ {CONCEPT} (bo)" in done.warnings[0]


# -- 2. --reopen A B finds the answer that stands between their groups ------------------------

def test_reopen_names_two_copies_and_withdraws_the_answer_stored_on_the_kept_records(tmp_path):
    _dedup(tmp_path, GAMBLING)
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="n\nd\n", env={"COLUMNS": "200"})
    assert "stored 2 decision(s)" in _text(res)
    _dedup(tmp_path, GAMBLING)
    log = load_decisions(tmp_path)
    stored = {d: (a, b) for a, b, d in log[["id_a", "id_b", "decision"]].values}
    copy = next(c for c in ARTICLE if c not in stored["distinct"])        # not the record the answer is on
    res = _pair(tmp_path, copy, PREPRINT, "reopen", "bo")
    assert res.exit_code == 0, res.output
    assert f"stored: {stored['distinct'][0]} / {stored['distinct'][1]} = reopen (bo)" in _text(res)
    # a duplicate answer, already applied: both records are in one group of the output now
    member = next(c for c in PAPER if c not in stored["duplicate"])
    assert read_table(tmp_path / "out.csv").set_index("record_id").loc[BARE, "dup_group"] in PAPER
    res = _pair(tmp_path, BARE, member, "reopen", "bo")
    assert res.exit_code == 0 and f"{stored['duplicate'][0]} / {stored['duplicate'][1]} = reopen" in _text(res)
    log = load_decisions(tmp_path)
    assert log["decision"].tolist()[2:] == ["reopen", "reopen"] and "reopened for" in log["note"].iloc[2]
    _dedup(tmp_path, GAMBLING)                      # both questions are asked again
    assert len(open_queue(tmp_path).pending) == 2


def test_reopen_does_not_guess_between_answers_or_withdraw_a_matcher_link(tmp_path):
    _dedup(tmp_path, WILDFIRE)
    _pair(tmp_path, V1, CONCEPT, "duplicate")
    _pair(tmp_path, CONCEPT, ART, "duplicate")
    _dedup(tmp_path, WILDFIRE)
    before = len(load_decisions(tmp_path))
    # v1 reaches the article's MEDLINE copy through two answers: which one was wrong is the person's call
    res = _pair(tmp_path, V1, MEDLINE, "reopen", "bo")
    said = _text(res)
    assert res.exit_code == 6 and "2 standing decisions stand between" in said and "nothing reopened" in said
    assert f"{ART} = {CONCEPT} (ana)" in said and f"{V1} = {CONCEPT} (ana)" in said and "--reopen" in said
    # the article's copies were linked by their DOI, not by anyone's answer
    res = _pair(tmp_path, ART, MEDLINE, "reopen", "bo")
    assert res.exit_code == 6 and "the matcher linked them" in _text(res) and "--distinct" in _text(res)
    assert len(load_decisions(tmp_path)) == before


def test_decisions_between_reads_groups_as_the_run_joins_them():
    groups = {r: ("a1", "a2") for r in ("a1", "a2")} | {r: ("b1", "b2") for r in ("b1", "b2")}
    standing = {("a1", "b2"): {"decision": "distinct"}, ("a2", "c"): {"decision": "duplicate"},
                ("c", "d"): {"decision": "duplicate"}}
    assert decisions_between("b1", "c", standing, groups) == [("a1", "b2")]     # c joined a's group
    assert decisions_between("a1", "c", standing, groups) == [("a2", "c")]
    assert decisions_between("a1", "d", standing, groups) == [("a2", "c"), ("c", "d")]   # a chain: both
    assert decisions_between("b1", "e", standing, groups) == []


# -- 3. what is decided, and what still waits, until the next run -----------------------------

def _open_and_next_run(table, log):
    queued = deduplicate(table, decisions=log.iloc[:3]).maybe_pairs      # the run before the answers
    progress = Progress(queued, log)
    return sum(progress.is_open(p) for p in queued), len(deduplicate(table, decisions=log).maybe_pairs)


def test_a_re_confirmed_contradiction_still_waits_and_a_resolved_one_is_decided():
    table = load(WILDFIRE)
    log = _log(*CONTRADICTION)
    again = pd.concat([log, _log((V1, CONCEPT, "duplicate", "ana")).assign(seq=4)], ignore_index=True)
    assert _open_and_next_run(table, again) == (3, 3)        # was counted 2 open: one looked decided
    resolved = pd.concat([log, _log((V1, ART, "duplicate", "bo")).assign(seq=4)], ignore_index=True)
    assert _open_and_next_run(table, resolved) == (0, 0)     # was 2 open: they were asked again


def test_answers_that_contradict_each_other_settle_no_entry_until_re_decided():
    """Three scripted answers on a fresh queue, contradicting each other: all three entries
    were counted 'decided, not applied', and the next run queued all three again."""
    table = load(WILDFIRE)
    queued = deduplicate(table).maybe_pairs
    progress = Progress(queued, _log(*CONTRADICTION))
    assert [progress.is_open(p) for p in queued] == [True, True, True]
    assert len(deduplicate(table, decisions=_log(*CONTRADICTION)).maybe_pairs) == 3


def test_a_session_that_resolves_a_contradiction_asks_nothing_more_and_says_so(tmp_path):
    src = tmp_path / "records.csv"
    write_table(load(WILDFIRE), src)
    for a, b, decision, who in CONTRADICTION:
        record_decision(tmp_path, a, b, decision, who)
    _dedup(tmp_path, WILDFIRE)
    assert len(open_queue(tmp_path).pending) == 3
    # the first contested entry is article ≠ v1; calling it a duplicate after all resolves it
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "bo"], input="d\n", env={"COLUMNS": "200"})
    said = _text(res)
    assert res.exit_code == 0, res.output
    assert "stored 1 decision(s)" in said and "2 more pair(s) follow from your answers" in said
    assert "still waiting" not in said and open_queue(tmp_path).pending == []
    assert f"no maybe-pairs waiting (3 queued, all decided; `screening dedup INPUT... -o {tmp_path / 'out.csv'}` applies" in _text(
        runner.invoke(app, ["dedup-review", str(tmp_path)], input=""))
    _dedup(tmp_path, WILDFIRE)
    assert open_queue(tmp_path).pairs == [] and read_table(tmp_path / "out.csv")["dup_group"].nunique() == 1


def test_the_session_counts_an_entry_skipped_before_later_answers_settled_it(tmp_path):
    _dedup(tmp_path, WILDFIRE)                     # article/v1, article/concept, v1/concept
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="s\nd\nd\n", env={"COLUMNS": "200"})
    said = _text(res)
    assert "stored 2 decision(s)" in said and "1 more pair(s) follow from your answers" in said
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="q\n", env={"COLUMNS": "200"})
    assert "no maybe-pairs waiting" in _text(res)


def test_quitting_says_how_many_pairs_still_wait(tmp_path):
    _dedup(tmp_path, WILDFIRE)
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="d\nq\n", env={"COLUMNS": "200"})
    assert "stored 1 decision(s)" in _text(res) and "2 pair(s) still waiting" in _text(res)


def test_only_a_whole_answer_is_stored_and_anything_else_is_asked_again(tmp_path):
    """Acceptance testing (session 20): the answer was read by its first letter, so typing
    "don't know" stored a duplicate answer (merging two records on the next run), and a typo
    such as "x" was taken as skip."""
    _dedup(tmp_path, GAMBLING)
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="don't know\nx\nq\n",
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    out = _text(res)
    assert "\"don't know\" is not an answer here: type d, n, s or q" in out and "'x' is not an answer here" in out
    assert "stored 0 decision(s)" in out and not len(load_decisions(tmp_path))
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], input="distinct\nq\n",
                        env={"COLUMNS": "200"})
    assert "stored 1 decision(s)" in _text(res) and load_decisions(tmp_path)["decision"].tolist() == ["distinct"]


def test_ctrl_c_at_the_prompt_says_what_was_kept_and_exits_130(tmp_path, monkeypatch):
    import screening.cli.dedup as cli_dedup

    _dedup(tmp_path, GAMBLING)

    def interrupted(*a, **kw):
        raise KeyboardInterrupt()      # Ctrl-C while a line is read

    monkeypatch.setattr(cli_dedup, "_read_line", interrupted)
    res = runner.invoke(app, ["dedup-review", str(tmp_path), "-r", "ana"], env={"COLUMNS": "200"})
    assert res.exit_code == 130 and "interrupted" in _text(res).lower()
