"""The team workflow's adjudicator and plan changes (acceptance testing, session 22: two blind
reviewers, an adjudicator, full text, a reviewer who left)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.outcomes import final_decisions
from screening.errors import DecisionError

JOSE = "José Ñúñez"


def declare(review: Path, reviewers: list[str], adjudicators: list[str]) -> Path:
    text = review.read_text(encoding="utf-8").replace("[screening]\n", "[screening]\n" + "\n".join((
        "reviewers = [" + ", ".join(f'"{r}"' for r in reviewers) + "]",
        "adjudicators = [" + ", ".join(f'"{a}"' for a in adjudicators) + "]")) + "\n")
    review.write_text(text, encoding="utf-8")
    return review


@pytest.fixture
def team(review: Path) -> Path:
    """alice, bob and José screen, carol adjudicates."""
    return declare(review, ["alice", "bob", JOSE], ["carol"])


def decide(review: Path, who: str, rid: str, action: str, stage: str = "title_abstract", reason: str = "") -> None:
    if action == "exclude" and not reason:
        reason = "wrong population" if stage == "full_text" else ""
    api.record_decision(review, reviewer=who, record_id=rid, action=action, stage=stage, reason=reason)



def _agree_and_disagree(team, agreed, conflict) -> None:
    """alice and bob both include ``agreed``; alice includes and bob excludes ``conflict``."""
    for rid in agreed:
        decide(team, "alice", rid, "include")
        decide(team, "bob", rid, "include")
    for rid in conflict:
        decide(team, "alice", rid, "include")
        decide(team, "bob", rid, "exclude")

def test_a_full_text_conflict_is_adjudicated_as_not_retrieved(team: Path, db: Path, in_play: list[str], cli) -> None:
    """`adjudicate --not-retrieved` was 'No such option', and the walk answered "'r' is not one
    of i, e, s, q", although the library took not_retrieved."""
    from screening.prisma.api import generate

    api.assign(team, "alice,bob")
    a, b, c = in_play[:3]
    for rid in (a, b, c):
        decide(team, "alice", rid, "include")
        decide(team, "bob", rid, "include")
    api.assign(team, "alice,bob", stage="full_text")
    for rid in (a, b):
        decide(team, "alice", rid, "not_retrieved", "full_text")
        decide(team, "bob", rid, "include", "full_text")
    decide(team, "alice", c, "include", "full_text")
    decide(team, "bob", c, "include", "full_text")

    code, out = cli("adjudicate", team, "-r", "carol", "--stage", "full_text", "--record", a, "--not-retrieved")
    assert code == 0, out
    assert f"carol (adjudicator): not retrieved {a} — final" in out
    # at title/abstract there is nothing to retrieve: said, nothing written
    code, out = cli("adjudicate", team, "-r", "carol", "--record", a, "--not-retrieved", "--include")
    assert code != 0 and "exactly one of" in out
    # the walk: 'r' at full text
    code, out = cli("adjudicate", team, "-r", "carol", "--stage", "full_text", input="x\nr\n")
    assert code == 0, out
    assert "'x' is not one of i, e, r, n, s, q" in out and f"not retrieved {b} — final" in out
    ft = final_decisions(load_entries(db), "full_text").set_index("record_id")
    assert ft.loc[a, "decision"] == ft.loc[b, "decision"] == "not_retrieved"
    assert ft.loc[a, "resolved_by"] == "adjudication"
    counts = generate(team).counts
    assert (counts.reports_sought, counts.reports_not_retrieved, counts.reports_assessed) == (3, 2, 1)


def test_the_title_abstract_walk_has_no_not_retrieved_key(team: Path, in_play: list[str], cli) -> None:
    decide(team, "alice", in_play[0], "include")
    decide(team, "bob", in_play[0], "exclude")
    with pytest.raises(DecisionError, match="full-text reports only"):
        api.adjudicate(team, reviewer="carol", record_id=in_play[0], decision="not_retrieved")
    code, out = cli("adjudicate", team, "-r", "carol", input="r\ni\n")
    assert code == 0 and "'r' is not one of i, e, n, s, q" in out and f"include {in_play[0]} — final" in out


def test_replan_counts_only_the_settled_records_it_reopened(team: Path, in_play: list[str], cli) -> None:
    """`assign --replan` said '37 records already settled by one decision are pending again'
    when nothing changed (it counted the conflicts and pending records already open), and with
    a new pair it counted those too and called 180 agreements 'one decision'."""
    api.assign(team, "alice,bob")
    agreed, conflict, pending = in_play[:4], in_play[4:6], in_play[6:9]
    _agree_and_disagree(team, agreed, conflict)
    for rid in pending:
        decide(team, "alice", rid, "exclude")
    # the same pair again: nothing that was settled is open now
    res = api.assign(team, "alice,bob", replan=True)
    assert res["reopened"] == 0 and res["reopened_by"] == {}
    code, out = cli("assign", team, "--reviewers", "alice,bob", "--replan")
    assert code == 0 and "pending again" not in out, out
    # a new pair: the 4 agreements are reopened (José must decide them), the rest was open anyway
    code, out = cli("assign", team, "--reviewers", f"alice,{JOSE}", "--replan")
    assert code == 0, out
    assert f"4 records already settled by two or more reviewers agreeing are pending again: the new plan needs " \
           f"alice and {JOSE} to decide them" in " ".join(out.split()), out
    assert "by one" not in out


def test_replan_says_how_the_records_it_reopened_had_been_settled(team: Path, in_play: list[str], cli) -> None:
    single, agreed = in_play[:2], in_play[2:5]
    for rid in single:
        decide(team, "alice", rid, "include")                 # no plan yet: settled by one decision
    api.assign(team, "alice,bob")
    for rid in agreed:
        decide(team, "alice", rid, "exclude")
        decide(team, "bob", rid, "exclude")
    code, out = cli("assign", team, "--reviewers", f"alice,{JOSE}", "--replan")
    assert code == 0 and ("5 records already settled (3 by two or more reviewers agreeing, 2 by one reviewer's "
                          f"decision) are pending again: the new plan needs alice and {JOSE} to decide them"
                          in " ".join(out.split())), out
    # back to alice and bob: the agreements are settled again; alice's single decisions were
    # already pending (now for bob), so nothing is reopened
    res = api.assign(team, "alice,bob", replan=True)
    assert res["reopened"] == 0 and res["reopened_by"] == {}


def test_a_departed_reviewers_undecided_records_are_handed_to_another(team: Path, db: Path, in_play: list[str],
                                                                       cli) -> None:
    """Records still waiting for bob stayed pending for ever, and `assign --reviewers "alice,José"
    --replan` reopened every record alice and bob had settled. `assign --replace bob --by José`
    hands over only what still waits for bob; blind, as any second reviewer."""
    from screening.decisions.session import ScreeningSession

    api.assign(team, "alice,bob")
    agreed, conflict, alice_only, bob_only = in_play[:3], in_play[3:5], in_play[5:8], in_play[8:10]
    nobody = in_play[10:]
    _agree_and_disagree(team, agreed, conflict)
    api.adjudicate(team, reviewer="carol", record_id=conflict[0], decision="exclude")
    for rid in alice_only:
        decide(team, "alice", rid, "exclude")
    for rid in bob_only:
        decide(team, "bob", rid, "exclude")
    before = api.status(team, reviewer="carol")[0]
    assign_before = load_entries(db).query("action == 'assign'")
    rv = api.Review.load(team)
    assert not set(ScreeningSession(rv, JOSE).queue) & set(alice_only + nobody)    # planned for alice and bob
    rv.close()
    # bob left the team: taken off the TOML, he is still named in the plans
    team.write_text(team.read_text(encoding="utf-8").replace('"alice", "bob", ', '"alice", '), encoding="utf-8")

    code, out = cli("assign", team, "--replace", "Bob", "--by", "josé ñúñez")
    said = " ".join(out.split())
    assert code == 0, out
    n = len(alice_only) + len(nobody)
    assert f"{n} records at title_abstract waiting for bob handed to {JOSE} ({n} new plan events)" in said, said
    assert "left as they are: 7 records bob decided" in said, said         # 3 agreed, 2 conflicts, 2 alone
    # append-only: the earlier plan events are all there, one new event per record handed
    entries = load_entries(db)
    plans = entries[entries["action"] == "assign"]
    assert len(plans) == len(assign_before) + n
    assert set(assign_before["id"]) <= set(plans["id"])
    new = plans[~plans["id"].isin(assign_before["id"])]
    assert set(new["record_id"]) == set(alice_only + nobody)
    for payload in map(json.loads, new["payload"]):
        assert payload["replaced"] == {"reviewer": "bob", "by": JOSE} and JOSE in payload["reviewers"]
        assert payload["reviewers"][0] == "alice" and payload["fraction"] == 1.0
    # nothing decided or settled changed: same settled count, the conflict still open, bob's decisions stand
    after = api.status(team, reviewer="carol")[0]
    assert (after["screened"], after["conflicts_open"], after["final"]) == (
        before["screened"], before["conflicts_open"], before["final"])
    assert after["pending"] == before["pending"]
    # José is served the records handed to him, and sees nobody's decision on them before deciding
    rv = api.Review.load(team)
    assert set(ScreeningSession(rv, JOSE).queue) == set(alice_only + nobody)
    rv.close()
    seen = api.history(team, reviewer=JOSE)
    assert not len(seen[seen["action"].isin(["include", "exclude", "maybe"])])
    code, out = cli("log", team, "-r", JOSE, "--record", alice_only[0], "--json")
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert code == 0 and [r["action"] for r in rows] == ["assign", "assign"]      # the plans only
    code, out = cli("log", team, "-r", JOSE, "--record", alice_only[0])
    assert code == 0 and "(replacing bob)" in out
    res = api.record_decision(team, reviewer=JOSE, record_id=alice_only[0], action="exclude")
    assert res.outcome.status == "final" and res.outcome.resolved_by == "agreement"
    res = api.record_decision(team, reviewer=JOSE, record_id=alice_only[1], action="include")
    assert res.outcome.status == "conflict"
    # asked again: nothing more to hand over, nothing written
    code, out = cli("assign", team, "--replace", "bob", "--by", JOSE)
    assert code == 0 and "no record at title_abstract is waiting for bob" in out
    assert len(load_entries(db)[lambda e: e["action"] == "assign"]) == len(plans)


def test_replace_is_refused_with_a_name_no_plan_holds_or_other_plan_options(team: Path, db: Path, cli) -> None:
    api.assign(team, "alice,bob")
    code, out = cli("assign", team, "--replace", "bbo", "--by", JOSE)
    assert code == 6 and "'bbo' is not named in any dual-screening plan" in out and "alice, bob" in out
    code, out = cli("assign", team, "--replace", "bob", "--by", "carol")       # an adjudicator only
    assert code == 6 and "not a reviewer" in out
    code, out = cli("assign", team, "--replace", "bob", "--by", "bob")
    assert code == 6 and "same person" in out
    code, out = cli("assign", team, "--replace", "bob")
    assert code == 6 and "--replace and --by go together" in out
    code, out = cli("assign", team, "--replace", "bob", "--by", JOSE, "--reviewers", "alice,bob")
    assert code == 6 and "does not take --reviewers" in out
    code, out = cli("assign", team)
    assert code == 6 and "give --reviewers" in out
    # a record planned for bob and José already cannot be José's twice: left, and said
    api.assign(team, f"bob,{JOSE}", replan=True)
    code, out = cli("assign", team, "--replace", "bob", "--by", JOSE)
    assert code == 0 and "no record at title_abstract is waiting for bob" in out
    assert f"50 records planned for both bob and {JOSE} still wait for bob" in " ".join(out.split())


@pytest.mark.parametrize("option", [["--seed", "0"], ["--fraction", "0"], ["--seed", "7"], ["--replan"]])
def test_replace_refuses_a_plan_option_even_a_zero(team: Path, db: Path, option: list[str], cli) -> None:
    """`assign --replace bob --by José --seed 0` went through, the 0 read as 'not given'
    (``0 in (None, False)``) and silently ignored; --seed 7 was refused."""
    api.assign(team, "alice,bob")
    before = len(load_entries(db))
    code, out = cli("assign", team, "--replace", "bob", "--by", JOSE, *option)
    assert code == 6 and f"does not take {option[0]}" in out, out
    assert len(load_entries(db)) == before


@pytest.mark.parametrize("names", [("bob", None), ("bob", " "), (None, JOSE), ("", JOSE)])
def test_replace_reviewer_checks_both_names_itself(team: Path, names: tuple) -> None:
    """The library, not only the CLI, refuses a missing name (``by=None`` was an AttributeError)."""
    api.assign(team, "alice,bob")
    with pytest.raises(DecisionError, match="--replace and --by go together"):
        api.replace_reviewer(team, *names)


def test_a_mistyped_adjudication_is_corrected_by_adjudicating_again(team: Path, db: Path, in_play: list[str],
                                                                     cli, tmp_path: Path) -> None:
    """`decide -r carol --record 161 --undo` was refused ('an adjudication … is final') and
    nothing else took a mistyped adjudication back. Adjudicating the record again corrects it:
    a new adjudicator event, the earlier one kept, the latest counted everywhere."""
    from screening.prisma.api import generate

    api.assign(team, "alice,bob")
    rid = in_play[0]
    decide(team, "alice", rid, "include")
    decide(team, "bob", rid, "exclude")
    assert cli("adjudicate", team, "-r", "carol", "--record", rid, "--include")[0] == 0      # meant exclude
    code, out = cli("decide", team, "-r", "carol", "--record", rid, "--undo")
    said = " ".join(out.split())
    assert code == 6 and f"screening adjudicate REVIEW -r carol --record {rid} --include|--exclude" in said, out
    code, out = cli("adjudicate", team, "-r", "carol", "--record", rid, "--exclude")
    said = " ".join(out.split())
    assert code == 0 and f"carol (adjudicator): exclude {rid} — final, correcting carol's adjudication (include" in said
    # the log keeps both, the correction naming the event it corrects
    adj = load_entries(db).query("role == 'adjudicator'")
    assert list(adj["action"]) == ["include", "exclude"]
    assert json.loads(adj["payload"].iloc[1])["corrects"] == int(adj["id"].iloc[0])
    hist = api.history(team, reviewer="carol", record_id=rid)
    assert list(hist.loc[hist["role"] == "adjudicator", "action"]) == ["include", "exclude"]
    # every derived view uses the latest
    fin = final_decisions(load_entries(db), "title_abstract").set_index("record_id")
    assert (fin.loc[rid, "decision"], fin.loc[rid, "resolved_by"]) == ("exclude", "adjudication")
    assert generate(team).counts.excluded_human == 1
    assert cli("export", team, "-r", "carol", "--decision", "all", "--per-reviewer", "-o", tmp_path / "x.csv")[0] == 0
    row = next(r for r in csv.DictReader((tmp_path / "x.csv").open(encoding="utf-8-sig")) if r["record_id"] == rid)
    assert (row["decision"], row["resolved_by"], row["ta_adjudicated_by"]) == ("exclude", "adjudication", "carol")
    # the same adjudication again records nothing; the walk offers nothing (no open conflict)
    code, out = cli("adjudicate", team, "-r", "carol", "--record", rid, "--exclude")
    assert code == 0 and "already adjudicated: exclude" in out and "nothing recorded" in out
    assert len(load_entries(db).query("role == 'adjudicator'")) == 2
    code, out = cli("adjudicate", team, "-r", "carol", input="i\n")
    assert code == 0 and "no open conflicts" in out
    # a record that was never adjudicated is still refused, and so is a party to the conflict
    with pytest.raises(DecisionError, match="no open conflict"):
        api.adjudicate(team, reviewer="carol", record_id=in_play[1], decision="include")


def test_a_correction_does_not_pull_the_footing_from_full_text(team: Path, db: Path, in_play: list[str]) -> None:
    rid = in_play[0]
    api.assign(team, "alice,bob")
    decide(team, "alice", rid, "include")
    decide(team, "bob", rid, "exclude")
    api.adjudicate(team, reviewer="carol", record_id=rid, decision="include")
    decide(team, "alice", rid, "include", "full_text")
    with pytest.raises(DecisionError, match="full-text decisions resting on it"):
        api.adjudicate(team, reviewer="carol", record_id=rid, decision="exclude")
    # at full text itself, a correction is as at title/abstract
    decide(team, "bob", rid, "not_retrieved", "full_text")
    api.adjudicate(team, reviewer="carol", record_id=rid, decision="not_retrieved", stage="full_text")
    res = api.adjudicate(team, reviewer="carol", record_id=rid, decision="include", stage="full_text")
    assert res.written and res.corrects.decision == "not_retrieved" and res.outcome.decision == "include"


def test_a_decision_that_reopens_a_settled_record_is_warned_of(team: Path, in_play: list[str], cli) -> None:
    """A third reviewer's `decide` on a record alice and bob both excluded printed only 'record is
    in conflict' (an import warned: '1 record(s) settled … are now in conflict …')."""
    api.assign(team, "alice,bob")
    rid, other = in_play[:2]
    for who in ("alice", "bob"):
        decide(team, who, rid, "exclude")
        decide(team, who, other, "include")
    code, out = cli("decide", team, "-r", JOSE, "--record", rid, "--include")
    said = " ".join(out.split())
    assert code == 0 and "record is in conflict" in said
    assert f"warning: record {rid} was settled at title/abstract (exclude, by agreement) and is now in conflict with " \
           "this decision; an adjudicator settles it (`screening adjudicate`)" in said, out
    # the library says it, for scripts
    res = api.record_decision(team, reviewer="alice", record_id=other, action="exclude")
    assert res.outcome.status == "conflict" and any("was settled at title/abstract (include, by agreement)" in w
                                                    for w in res.warnings)
    # a decision on a record already open is not warned of
    res = api.record_decision(team, reviewer="alice", record_id=other, action="maybe")
    assert not any("was settled" in w for w in res.warnings)
    res = api.record_decision(team, reviewer="alice", record_id=in_play[2], action="include")
    assert res.warnings == ()


def test_a_record_without_a_title_reads_no_title_in_conflicts(team: Path, in_play: list[str], cli) -> None:
    """`conflicts` and the adjudicate walk showed a blank title where `screen` shows '(no title)'."""
    from screening.records import write_table

    from .conftest import build_table

    rid = in_play[3]
    table = build_table()
    table.loc[table["record_id"] == rid, "title"] = ""
    write_table(table, team.parent.parent / "data" / "screened" / "t" / "ingest.parquet")
    decide(team, "alice", rid, "include")
    decide(team, "bob", rid, "exclude")
    code, out = cli("conflicts", team, "-r", "carol")
    assert code == 0 and "(no title)" in out, out
    code, out = cli("adjudicate", team, "-r", "carol", input="s\n")
    table_part = out.split(f"record {rid}", 1)[1]           # the conflict table, after the record itself
    assert code == 0 and "(no title)" in table_part, out


def test_a_repeated_adjudications_new_note_is_kept(team: Path, db: Path, in_play: list[str], cli,
                                                   tmp_path: Path) -> None:
    """Adjudicating a record again with the same decision (and reason) recorded nothing, so the
    `--note` given the second time was lost; a screener's repeat keeps a new note as a note event."""
    api.assign(team, "alice,bob")
    rid = in_play[0]
    decide(team, "alice", rid, "include")
    decide(team, "bob", rid, "exclude")
    assert cli("adjudicate", team, "-r", "carol", "--record", rid, "--exclude", "--note", "first")[0] == 0
    code, out = cli("adjudicate", team, "-r", "carol", "--record", rid, "--exclude", "--note", "off topic: rats")
    said = " ".join(out.split())
    assert code == 0 and f"already adjudicated: exclude on {rid} at title_abstract — the note is recorded" in said, out
    adj = load_entries(db).query("role == 'adjudicator'")
    assert list(zip(adj["action"], adj["note"])) == [("exclude", "first"), ("note", "off topic: rats")]
    fin = final_decisions(load_entries(db), "title_abstract").set_index("record_id")
    assert (fin.loc[rid, "decision"], fin.loc[rid, "resolved_by"]) == ("exclude", "adjudication")
    # shown where the adjudication's note is
    assert cli("export", team, "-r", "carol", "--decision", "all", "--per-reviewer", "-o", tmp_path / "x.csv")[0] == 0
    row = next(r for r in csv.DictReader((tmp_path / "x.csv").open(encoding="utf-8-sig")) if r["record_id"] == rid)
    assert "carol (title_abstract): first" in row["reviewer_notes"]
    assert "carol (title_abstract): off topic: rats" in row["reviewer_notes"]
    # the same note again, or none, records nothing
    for extra in (["--note", "off topic: rats"], []):
        code, out = cli("adjudicate", team, "-r", "carol", "--record", rid, "--exclude", *extra)
        assert code == 0 and "nothing recorded" in out
    assert len(load_entries(db).query("role == 'adjudicator'")) == 2


def test_the_walk_records_a_note_with_the_adjudication(team: Path, db: Path, in_play: list[str], cli) -> None:
    """The interactive walk had no way to say why a conflict was settled so (`--note` existed
    only for a scripted `--record`)."""
    first, second, third = in_play[:3]
    for rid in (first, second, third):
        decide(team, "alice", rid, "include")
        decide(team, "bob", rid, "exclude")
    # a note, replaced by a second one, then the decision; a note then skip; a note then quit
    code, out = cli("adjudicate", team, "-r", "carol",
                    input="n\nfirst thought\nn\nthe population is adults\ni\nn\nunsure\ns\nn\nlater\nq\n")
    assert code == 0, out
    said = " ".join(out.split())
    assert f"include {first} — final (with a note)" in said
    assert f"skipped {second} (its note was not recorded)" in said
    assert f"{third} not adjudicated (its note was not recorded)" in said
    adj = load_entries(db).query("role == 'adjudicator'")
    assert list(zip(adj["record_id"], adj["action"], adj["note"])) == [(first, "include", "the population is adults")]
    assert not load_entries(db)["note"].fillna("").str.contains("unsure|later|first thought").any()


def test_a_walk_does_not_correct_an_adjudication_made_while_the_conflict_was_on_screen(
        review: Path, db: Path, in_play: list[str], cli, monkeypatch) -> None:
    """Acceptance testing: two adjudicators' walks showed the same conflict; the later answer
    was logged as a correction of an adjudication its author never saw, and nobody was told."""
    import screening.cli.decide as walk

    team = declare(review, ["alice", "bob"], ["carol", "dave"])
    first, second = in_play[:2]
    for rid in (first, second):
        decide(team, "alice", rid, "include")
        decide(team, "bob", rid, "exclude")
    asked = walk._ask_adjudication

    def carol_meanwhile(*args, **kw):
        # while dave reads the first conflict, carol settles it in her own walk
        if not load_entries(db).query("role == 'adjudicator'").shape[0]:
            api.adjudicate(team, reviewer="carol", record_id=first, decision="include")
        return asked(*args, **kw)

    monkeypatch.setattr(walk, "_ask_adjudication", carol_meanwhile)
    code, out = cli("adjudicate", team, "-r", "dave", input="e\n\ne\n\n")
    assert code == 0, out
    said = " ".join(out.split())
    assert f"{first}: carol adjudicated this record (include) while it was on your screen; nothing was recorded" \
        in said, said
    assert f"exclude {second} — final" in said                       # the walk goes on to the next one
    adj = load_entries(db).query("role == 'adjudicator'")
    assert list(zip(adj["record_id"], adj["reviewer"], adj["action"])) == [(first, "carol", "include"),
                                                                          (second, "dave", "exclude")]
    assert not adj["payload"].fillna("").str.contains("corrects").any()
    # correcting it stays the explicit, scripted action
    res = api.adjudicate(team, reviewer="dave", record_id=first, decision="exclude", reason="wrong population")
    assert res.corrects is not None and res.corrects.reviewer == "carol"


def test_status_counts_the_adjudication_that_stands(review: Path, in_play: list[str]) -> None:
    """Acceptance testing (session 25): dave's adjudication, corrected by carol's, was still
    counted as dave's in `status` (137 adjudications shown for 136 adjudicated records)."""
    team = declare(review, ["alice", "bob"], ["carol", "dave"])
    first, second = in_play[:2]
    for rid in (first, second):
        decide(team, "alice", rid, "include")
        decide(team, "bob", rid, "exclude")
    api.adjudicate(team, reviewer="dave", record_id=first, decision="exclude")
    api.adjudicate(team, reviewer="carol", record_id=first, decision="include")     # corrects dave's
    api.adjudicate(team, reviewer="dave", record_id=second, decision="exclude")
    [ta] = [s for s in api.status(team, reviewer="carol") if s["stage"] == "title_abstract"]
    adj = ta["per_adjudicator"]
    assert (adj["carol"]["decided"], adj["carol"]["include"]) == (1, 1)
    assert (adj["dave"]["decided"], adj["dave"]["exclude"]) == (1, 1)
    assert sum(d["decided"] for d in adj.values()) == 2 == ta["final"]["include"] + ta["final"]["exclude"]


def test_an_adjudicator_cannot_then_screen_the_record(review: Path, in_play: list[str], cli) -> None:
    """Acceptance testing (session 25): carol (screener and adjudicator) adjudicated a conflict,
    then `decide -r carol --include` on it was recorded in silence and entered the alice x carol
    and bob x carol agreement tables, although she had seen both decisions."""
    team = declare(review, ["alice", "bob", "carol"], ["carol", "dave"])
    rid, other = in_play[:2]
    decide(team, "alice", rid, "include")
    decide(team, "bob", rid, "exclude")
    api.adjudicate(team, reviewer="carol", record_id=rid, decision="include")
    with pytest.raises(DecisionError, match="carol adjudicated this record \\(include\\)") as err:
        decide(team, "carol", rid, "include")
    assert f"screening adjudicate REVIEW -r carol --record {rid}" in err.value.hint
    log = load_entries(team.parent.parent / "data" / "screened" / "t" / "decisions.sqlite")
    assert log.query("reviewer == 'carol' and role == 'screener'").empty       # nothing recorded
    code, out = cli("decide", team, "-r", "carol", "--record", rid, "--exclude")
    assert code == 6 and "not independent" in out
    # nor from a decisions file: the row is refused at its line, with the file's other bad rows
    sheet = team.parent.parent / "carol.csv"
    sheet.write_text(f"record_id,decision\n{other},include\n{rid},exclude\n", encoding="utf-8")
    with pytest.raises(DecisionError, match="not independent") as err:
        api.import_decisions(team, sheet, reviewer="carol")
    assert "carol.csv" in str(err.value) and ":3" in str(err.value)
    # a record she did not adjudicate she screens as before
    decide(team, "carol", other, "include")


def test_an_old_logs_screening_decision_after_own_adjudication_is_left_out_of_kappa(review: Path,
                                                                                  in_play: list[str]) -> None:
    """Logs written before the refusal above may hold such a decision: it was not blind, so the
    agreement tables leave it out (the decision stays in the log; only the view ignores it)."""
    from screening.decisions.agreement import agreement_report
    from screening.decisions.store import Event, open_store

    team = declare(review, ["alice", "bob", "carol"], ["carol"])
    rid, other = in_play[:2]
    decide(team, "alice", rid, "include")
    decide(team, "bob", rid, "exclude")
    api.adjudicate(team, reviewer="carol", record_id=rid, decision="include")
    for who in ("alice", "bob", "carol"):            # a record all three screened blind
        decide(team, who, other, "include")
    log_path = team.parent.parent / "data" / "screened" / "t" / "decisions.sqlite"
    with open_store(log_path) as store:              # as an earlier version recorded it
        store.append([Event(record_id=rid, stage="title_abstract", reviewer="carol", action="include")])
    pairs = {(p.reviewer_a, p.reviewer_b): p for p in agreement_report(load_entries(log_path))}
    assert pairs[("alice", "bob")].stats.n == 2
    assert pairs[("alice", "carol")].stats.n == 1 and pairs[("bob", "carol")].stats.n == 1


def test_replace_hands_over_only_records_still_in_play_and_not_closed_by_the_stop(team: Path, db: Path,
                                                                                  in_play: list[str], cli) -> None:
    """UAT: `assign --replace bob --by dave` said '37 records … waiting for bob handed to dave
    (37 new plan events)' when 17 waited for bob: 18 had been closed by a standing logged stop
    (nobody had screened them) and 2 had since been made duplicates by dedup review."""
    from screening.decisions.session import ScreeningSession
    from screening.records import write_table

    from .conftest import build_table

    api.assign(team, "alice,bob")
    waiting, dup, closed, later = in_play[:3], in_play[3], in_play[4:20], in_play[20:]
    for rid in (*waiting, dup):
        decide(team, "alice", rid, "exclude")
    # a stop closes 16 records nobody had screened (`screening stop`; its figures don't matter here)
    log_stop(db, closed)
    # alice decides one closed record after all: it leaves the stop's scope and waits for bob
    decide(team, "alice", closed[0], "include")
    # dedup review makes one record bob still had to decide a duplicate
    table = build_table()
    table.loc[table["record_id"] == dup, "duplicate_of"] = "53"
    write_table(table, team.parent.parent / "data" / "screened" / "t" / "ingest.parquet")
    plans_before = len(load_entries(db).query("action == 'assign'"))

    res = api.replace_reviewer(team, "bob", JOSE)
    handed = {*waiting, closed[0], *later}
    assert set(res["record_ids"]) == handed and res["handed"] == res["written"] == len(handed) == 34
    assert (res["closed"], res["out_of_play"], res["decided"], res["settled"]) == (15, 1, 0, 0)
    assert len(load_entries(db).query("action == 'assign'")) == plans_before + 34
    # what José's session serves is what he was handed, the closed record alice decided since
    # the stop too (it left the stop's scope; the session kept it closed for everyone)
    rv = api.Review.load(team)
    assert set(ScreeningSession(rv, JOSE).queue) == handed
    rv.close()
    code, out = cli("assign", team, "--replace", "bob", "--by", JOSE)
    assert code == 0 and "no record at title_abstract is waiting for bob" in out
    assert ("left as they are: 15 records closed by the standing stop, 1 record no longer in screening at "
            "title_abstract") in " ".join(out.split()), out


def test_replace_leaves_the_records_a_stopped_flag_closed(team: Path, in_play: list[str]) -> None:
    """`[rank] stopped = true` (the team's stop written in the TOML, no logged stop) closes every
    record nobody screened, as PRISMA, status and export count them; `assign --replace` handed
    them to the newcomer all the same."""
    api.assign(team, "alice,bob")
    waiting = in_play[:3]
    for rid in waiting:
        decide(team, "alice", rid, "exclude")
    team.write_text(team.read_text(encoding="utf-8") + "\n[rank]\nstopped = true\n", encoding="utf-8")
    res = api.replace_reviewer(team, "bob", JOSE)
    assert set(res["record_ids"]) == set(waiting)
    assert res["closed"] == len(in_play) - len(waiting) and res["handed"] == 3


def test_the_report_says_when_a_record_the_stop_closed_is_included_since(team: Path, db: Path,
                                                                          in_play: list[str]) -> None:
    """Acceptance testing: a record the stop closed, screened later and included, drew a
    warning from `decide` ("the stopping rule missed a relevant record") but none from the
    report, whose methods paragraph still said the sample showed the target recall."""
    from screening.config import load_review
    from screening.prisma.state import load_state

    closed = in_play[4:20]
    log_stop(db, closed)

    def said() -> list[str]:
        return [w for w in load_state(load_review(team)).warnings if "the stop closed" in w]

    decide(team, "alice", closed[0], "exclude")            # screened after all, excluded: nothing missed
    assert said() == []
    decide(team, "alice", closed[1], "include")
    (warning,) = said()
    assert warning.startswith(f"1 record(s) the stop closed were screened since and included (e.g. {closed[1]})")


def log_stop(db: Path, closed: list[str]) -> None:
    """A logged stop by carol closing ``closed`` (as `screening stop` writes one; its test's
    figures don't matter to these tests)."""
    import uuid

    from screening.decisions.store import open_store, utc_now

    store = open_store(db)
    try:
        store.append_stop({"event_uuid": str(uuid.uuid4()), "reviewer": "carol", "action": "stop", "note": "",
                           "created_at": utc_now(), "payload": {"rule": "hypergeometric", "records": closed}})
    finally:
        store.close()
