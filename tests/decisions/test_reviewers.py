"""Who may decide and who may adjudicate, per the review's ``[screening] reviewers`` and
``adjudicators`` (found in acceptance testing: a typo'd reviewer reopened a settled record, a
reviewer adjudicated their own conflict, an undeclared name adjudicated)."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.outcomes import final_decisions
from screening.decisions.roster import AdjudicationNotAllowed, ScreeningNotAllowed, UnknownReviewerError
from screening.decisions.session import ScreeningSession
from screening.errors import DecisionError, ScreeningError

from .conftest import write_csv


def declare(review: Path, reviewers: list[str] | None = None, adjudicators: list[str] | None = None) -> Path:
    lines = []
    if reviewers is not None:
        lines.append("reviewers = [" + ", ".join(f'"{r}"' for r in reviewers) + "]")
    if adjudicators is not None:
        lines.append("adjudicators = [" + ", ".join(f'"{a}"' for a in adjudicators) + "]")
    text = review.read_text(encoding="utf-8").replace("[screening]\n", "[screening]\n" + "\n".join(lines) + "\n")
    review.write_text(text, encoding="utf-8")
    return review


@pytest.fixture
def team(review: Path) -> Path:
    """alice and bob screen, carol adjudicates; alice and bob agree on 1, disagree on 2."""
    declare(review, ["alice", "bob"], ["carol"])
    for who, rid, action in (("alice", "1", "include"), ("bob", "1", "include"),
                             ("alice", "2", "include"), ("bob", "2", "exclude")):
        api.record_decision(review, reviewer=who, record_id=rid, action=action)
    return review


# ---------------------------------------------------------------------------------------------
# screeners


def test_a_typo_in_the_reviewer_name_is_refused(team: Path, db: Path, cli) -> None:
    before = len(load_entries(db))
    with pytest.raises(UnknownReviewerError) as err:
        api.record_decision(team, reviewer="alcie", record_id="1", action="exclude")
    msg = str(err.value)
    assert isinstance(err.value, DecisionError) and isinstance(err.value, ScreeningError)
    assert "'alcie'" in msg and "alice, bob" in msg and "carol" in msg
    assert "did you mean 'alice'" in msg and "[screening] reviewers" in msg and "t.toml" in msg
    code, out = cli("decide", team, "-r", "alcie", "--record", "1", "--exclude")
    assert code == 6 and "unknown reviewer 'alcie'" in out
    assert len(load_entries(db)) == before                      # nothing written
    fin = final_decisions(load_entries(db), "title_abstract").set_index("record_id")["decision"]
    assert fin["1"] == "include"                                # the agreement stands


def test_viewing_as_a_mistyped_name_is_refused(team: Path, cli) -> None:
    """`status -r alcie` used to show an outsider's blinded view (nothing decided) as if it
    were alice's; with a declared roster it names the typo instead."""
    for command in ("status", "log", "conflicts", "agreement"):
        code, out = cli(command, team, "-r", "alcie")
        assert code == 6 and "unknown reviewer 'alcie'" in out and "did you mean 'alice'" in out, (command, out)
    code, out = cli("status", team, "-r", "Alice")                 # spelling aside, a known name
    assert code == 0
    code, out = cli("log", team, "-r", "carol")                   # an adjudicator
    assert code == 0 and "bob" in out
    code, out = cli("status", team)                                # no name: the outsider's view
    assert code == 0


def test_without_declared_adjudicators_any_name_views_as_adjudicator(review: Path, cli) -> None:
    declare(review, ["alice", "bob"])
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    assert cli("log", review, "-r", "dave", "--as-adjudicator")[0] == 0
    assert cli("log", review, "-r", "dave")[0] == 6


def test_names_match_ignoring_case(team: Path, db: Path, cli) -> None:
    code, out = cli("decide", team, "-r", "Alice", "--record", "4", "--exclude")
    assert code == 0 and out.startswith("alice:")
    assert set(load_entries(db)["reviewer"]) == {"alice", "bob"}


def test_a_name_typed_decomposed_is_the_declared_name_and_a_first_name_gets_a_guess(review: Path, db: Path) -> None:
    """Acceptance testing: 'José Ñúñez' typed as macOS sends it (decomposed: e + combining
    accent) was refused as unknown beside a declared name that looks identical; 'José' alone
    got no did-you-mean."""
    declare(review, ["alice", "José Ñúñez"])
    decomposed = "Jose\u0301 N\u0303u\u0301n\u0303ez"
    api.record_decision(review, reviewer=decomposed, record_id="1", action="include")
    assert load_entries(db)["reviewer"].tolist() == ["José Ñúñez"]          # as declared (NFC)
    with pytest.raises(UnknownReviewerError, match="did you mean 'José Ñúñez'"):
        api.record_decision(review, reviewer="José", record_id="1", action="include")


def test_without_a_roster_a_decomposed_name_is_recorded_composed(review: Path, db: Path) -> None:
    from screening.decisions.roster import Roster

    api.record_decision(review, reviewer="Jose\u0301", record_id="1", action="include")
    api.record_decision(review, reviewer="José", record_id="2", action="include")
    assert set(load_entries(db)["reviewer"]) == {"José"}                    # one person, not two
    roster = Roster()
    # viewing and adjudicating under the decomposed spelling are the same person too (review:
    # José would otherwise see his own decisions blinded)
    assert roster.viewer_name("Jose\u0301") == roster.adjudicator("Jose\u0301") == "José"
    assert roster.outside_name("Jose\u0301") == "José"


def test_an_adjudicator_only_may_not_screen(team: Path, db: Path, cli, tmp_path: Path) -> None:
    """Acceptance testing: carol, declared only in `adjudicators`, could `decide`, and her
    decision made a conflict nobody could settle (she may not adjudicate her own conflict and
    was the only adjudicator)."""
    before = len(load_entries(db))
    code, out = cli("decide", team, "-r", "carol", "--record", "1", "--include")
    assert code == 6 and "declared as an adjudicator" in out and "screening adjudicate" in out
    assert "[screening] reviewers" in out
    with pytest.raises(ScreeningNotAllowed):
        api.record_decision(team, reviewer="Carol", record_id="3", action="maybe")
    rv = api.Review.load(team)
    with pytest.raises(ScreeningNotAllowed):                    # the session, up front
        ScreeningSession(rv, "carol")
    rv.close()
    path = write_csv(tmp_path / "d.csv", ["record_id", "decision", "reviewer"],
                     [["3", "include", "alice"], ["4", "exclude", "carol"]])
    with pytest.raises(ScreeningNotAllowed) as err:             # imports, with the line
        api.import_decisions(team, path)
    assert err.value.line == 3
    with pytest.raises(ScreeningNotAllowed):                    # a plan naming her to decide
        api.assign(team, "alice,carol")
    assert len(load_entries(db)) == before                      # nothing written
    # notes stay open to her, and she adjudicates as before
    api.record_decision(team, reviewer="carol", record_id="2", action="note", note="see methods")
    assert api.adjudicate(team, reviewer="carol", record_id="2", decision="include").outcome.status == "final"


def test_without_a_roster_an_adjudicator_name_still_screens(review: Path, db: Path) -> None:
    declare(review, adjudicators=["carol"])                     # no reviewers list: names unchecked
    api.record_decision(review, reviewer="carol", record_id="3", action="include")
    assert list(load_entries(db)["reviewer"]) == ["carol"]


def test_a_conflict_every_adjudicator_took_part_in_is_warned_of(review: Path, cli) -> None:
    declare(review, ["alice", "bob", "carol"], ["carol"])       # carol screens and adjudicates
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    code, out = cli("decide", review, "-r", "carol", "--record", "2", "--exclude")
    assert code == 0 and "record is in conflict" in out
    assert "another adjudicator will be needed" in out
    res = api.record_decision(review, reviewer="bob", record_id="3", action="include")
    assert not any("adjudicator" in w for w in res.warnings)    # no conflict, no warning
    rv = api.Review.load(review)
    assert "only adjudicator" in ScreeningSession(rv, "carol").view().message
    assert "only adjudicator" not in ScreeningSession(rv, "bob").view().message
    rv.close()


def test_notes_undo_and_plans_are_checked_too(team: Path) -> None:
    with pytest.raises(UnknownReviewerError):
        api.record_decision(team, reviewer="alcie", record_id="3", action="note", note="x")
    with pytest.raises(UnknownReviewerError):
        api.assign(team, "alcie,bob")
    assert api.assign(team, "Alice,bob")["reviewers"] == ["alice", "bob"]


def test_screen_session_refuses_an_unknown_reviewer_up_front(team: Path) -> None:
    rv = api.Review.load(team)
    with pytest.raises(UnknownReviewerError, match="alcie"):
        ScreeningSession(rv, "alcie")
    assert ScreeningSession(rv, "ALICE").reviewer == "alice"
    rv.close()


def test_without_a_declared_list_any_name_is_accepted(review: Path, db: Path) -> None:
    api.record_decision(review, reviewer="alcie", record_id="1", action="include")
    api.record_decision(review, reviewer="Alice", record_id="1", action="include")
    assert set(load_entries(db)["reviewer"]) == {"alcie", "Alice"}


def test_rayyan_names_map_to_declared_reviewers(review: Path, db: Path, tmp_path: Path, source_rows) -> None:
    declare(review, ["alice", "bob"])
    r1 = source_rows.set_index("record_id").loc["1"]
    path = write_csv(tmp_path / "articles.csv", ["key", "title", "notes", "pubmed_id"], [
        ["rayyan-1", r1.title, 'RAYYAN-INCLUSION: {"Alice"=>"Included", "BOB"=>"Excluded"}', r1.pmid]])
    res = api.import_decisions(review, path)
    assert res["per_reviewer"] == {"alice": 1, "bob": 1}
    assert set(load_entries(db)["reviewer"]) == {"alice", "bob"}


def test_imports_with_undeclared_names_are_refused_whole(review: Path, db: Path, tmp_path: Path) -> None:
    declare(review, ["alice", "bob"])
    path = write_csv(tmp_path / "d.csv", ["record_id", "decision", "reviewer"],
                     [["1", "include", "alice"], ["2", "include", "Ana"], ["3", "exclude", "ben"]])
    with pytest.raises(UnknownReviewerError) as err:
        api.import_decisions(review, path)
    msg = str(err.value)
    assert err.value.line == 3 and "'Ana'" in msg and "'ben'" in msg and "alice, bob" in msg
    assert load_entries(db).empty                               # all or nothing
    path = write_csv(tmp_path / "a.csv", ["record_id", "included"], [["1", "1"]])
    with pytest.raises(UnknownReviewerError, match="'eve'"):     # ASReview rows: --reviewer
        api.import_decisions(review, path, reviewer="eve")


# ---------------------------------------------------------------------------------------------
# adjudicators


def test_only_declared_adjudicators_adjudicate(team: Path, db: Path, cli) -> None:
    with pytest.raises(AdjudicationNotAllowed) as err:
        api.adjudicate(team, reviewer="dave", record_id="2", decision="include")
    assert "carol" in str(err.value) and "[screening] adjudicators" in str(err.value)
    code, out = cli("adjudicate", team, "-r", "dave", "--record", "2", "--include")
    assert code == 6 and "may not adjudicate" in out
    code, out = cli("adjudicate", team, "-r", "dave", input="i\n")          # the walk, too,
    assert code == 6 and "record 2" not in out                               # before showing anything
    assert (load_entries(db)["role"] == "screener").all()
    res = api.adjudicate(team, reviewer="Carol", record_id="2", decision="exclude")
    assert res.event.reviewer == "carol" and res.outcome.resolved_by == "adjudication"


def test_a_party_to_the_conflict_never_adjudicates_it(review: Path, db: Path) -> None:
    declare(review, ["alice", "bob"], ["alice", "carol"])        # alice also adjudicates
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    api.record_decision(review, reviewer="bob", record_id="2", action="exclude")
    with pytest.raises(AdjudicationNotAllowed, match="took part"):
        api.adjudicate(review, reviewer="alice", record_id="2", decision="include")
    assert (load_entries(db)["role"] == "screener").all()
    assert api.adjudicate(review, reviewer="carol", record_id="2", decision="include").outcome.status == "final"


def test_without_declared_adjudicators_anyone_but_the_parties_adjudicates(review: Path, db: Path, cli) -> None:
    for who, rid, action in (("alice", "2", "include"), ("bob", "2", "exclude"),
                             ("alice", "3", "include"), ("dave", "3", "exclude")):
        api.record_decision(review, reviewer=who, record_id=rid, action=action)
    for who in ("alice", "Bob"):
        with pytest.raises(AdjudicationNotAllowed, match="took part"):
            api.adjudicate(review, reviewer=who, record_id="2", decision="include")
    # bob's walk offers record 3 only and says why record 2 is left out
    code, out = cli("adjudicate", review, "-r", "bob", input="i\n")
    assert code == 0 and "include 3 — final" in out and "record 2" not in out
    assert "1 conflict you took part in" in out
    assert api.adjudicate(review, reviewer="dave", record_id="2", decision="include").outcome.status == "final"


def test_declared_title_abstract_reasons_are_checked_and_dual_fraction_is_the_default(review: Path, db: Path) -> None:
    """Acceptance testing: `title_abstract_reasons` and `dual_fraction` were accepted by the
    config and then ignored ('no harm outcme' became a reason; assign planned every record)."""
    text = review.read_text(encoding="utf-8").replace(
        "[screening]\n", '[screening]\ntitle_abstract_reasons = ["no harm outcome"]\ndual_fraction = 0.2\nseed = 3\n')
    review.write_text(text, encoding="utf-8")
    with pytest.raises(DecisionError, match="unknown title/abstract exclusion reason 'no harm outcme'"):
        api.record_decision(review, reviewer="alice", record_id="3", action="exclude", reason="no harm outcme")
    api.record_decision(review, reviewer="alice", record_id="3", action="exclude", reason="no harm outcome")
    api.record_decision(review, reviewer="alice", record_id="4", action="exclude")     # still optional
    # several declared reasons joined, as Rayyan exports them; case aside
    text = review.read_text(encoding="utf-8").replace('["no harm outcome"]', '["no harm outcome", "not a review"]')
    review.write_text(text, encoding="utf-8")
    api.record_decision(review, reviewer="alice", record_id="5", action="exclude", reason="Not a review, no harm outcome")
    with pytest.raises(DecisionError, match="unknown title/abstract"):
        api.record_decision(review, reviewer="alice", record_id="6", action="exclude", reason="not a review, no harm")
    plan = api.assign(review, "alice,bob")
    assert (plan["fraction"], plan["seed"]) == (0.2, 3) and plan["assigned"] == 9   # 20% of the 47 not decided yet
    assert api.assign(review, "alice,bob", fraction=1.0, replan=True)["assigned"] == 50


def test_names_outside_screening_refuse_only_one_letter_slips() -> None:
    from screening.decisions.roster import Roster

    roster = Roster(("alice", "steve", "ann", "bob"), ("carol",))
    for slip in ("alcie", "alise", "aliice", "Stevee", "caroll"):
        with pytest.raises(UnknownReviewerError):
            roster.outside_name(slip)
    for other in ("bo", "Bobby", "eve", "anna", "infospec", "alison"):
        assert roster.outside_name(other) == other
    assert roster.outside_name(" ALICE ") == "alice"
    assert Roster().outside_name("anyone") == "anyone"


def test_the_unblinded_view_is_the_declared_adjudicators(team: Path, cli, tmp_path: Path) -> None:
    """Acceptance testing: `log --as-adjudicator` with no name showed anyone every decision
    and note, although the review declares its adjudicators. Blinding is not opt-out."""
    for args in (("log", team, "--as-adjudicator"), ("status", team, "--as-adjudicator"),
                 ("conflicts", team, "--as-adjudicator"), ("agreement", team, "--as-adjudicator"),
                 ("export", team, "-o", tmp_path / "x.csv", "--decision", "all", "--as-adjudicator")):
        code, out = cli(*args)
        assert code == 6 and "needs your name" in out and "carol" in out, args
    code, out = cli("log", team, "-r", "bob", "--as-adjudicator")
    assert code == 6 and "not an adjudicator" in out
    code, out = cli("log", team, "-r", "carol", "--as-adjudicator")
    assert code == 0 and "alice" in out and "bob" in out
    code, out = cli("conflicts", team, "-r", "carol")              # the name alone unblinds
    assert code == 0 and "1 open conflict" in out
    assert not (tmp_path / "x.csv").exists()
