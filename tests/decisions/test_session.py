"""The screening state machine without a terminal: queue, resume, undo, reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.session import ESC, ScreeningSession


def session(review: Path, who: str, stage: str = "title_abstract", **kw) -> ScreeningSession:
    return ScreeningSession(api.Review.load(review), who, stage, **kw)


def test_queue_skips_settled_and_others_dual_records(review: Path, in_play: list[str]) -> None:
    api.record_decision(review, reviewer="bob", record_id="2", action="exclude")     # single-screened: settled
    api.assign(review, "bob,carol", fraction=0.2, seed=1)
    plan = api.assign(review, "bob,carol", fraction=0.2, seed=1)["record_ids"]
    s = session(review, "alice")
    assert "2" not in s.queue and not set(plan) & set(s.queue)
    assert s.current == "1" and s.total == 50
    s2 = session(review, "carol")                    # carol is in the plan: sees her records
    assert set(plan) <= set(s2.queue)


def test_undo_after_resume_and_cancelled_reason(review: Path, db: Path, in_play: list[str]) -> None:
    s = session(review, "alice")
    s.press("i")
    s.press("e")
    assert s.view().state == "reason"
    s.press(ESC)
    assert s.view().state == "record" and s.current == "1"
    s.press("e")
    s.press("\r")                                    # title/abstract: no reason needed
    assert s.current == in_play[2]
    s.press("q")
    assert s.view().state == "done"
    s = session(review, "alice")                     # a new session: undo reaches back
    assert s.current == in_play[2] and s.decided == 2
    s.press("u")
    assert s.current == "1" and "undid exclude on 1; no decision of yours stands" in s.view().message
    assert [r.action for r in load_entries(db).itertuples()] == ["include", "exclude", "undo"]
    # undos stack: taking back a changed decision says which earlier one stands again (UAT)
    from screening.decisions import api
    api.record_decision(review, reviewer="alice", record_id="1", action="include")
    api.record_decision(review, reviewer="alice", record_id="1", action="exclude")
    s = session(review, "alice")
    s.press("u")
    assert "undid exclude on 1; your decision is now include" in s.view().message


def test_stopping_estimate_is_optional(review: Path) -> None:
    def broken(records, entries):
        raise RuntimeError("model not trained")

    assert session(review, "alice", stopping=broken).view().stopping is None
    seen = {}

    def estimate(records, entries):
        seen["n"] = len(entries)
        return {"estimated_remaining_relevant": 3}

    api.record_decision(review, reviewer="alice", record_id="1", action="include")
    v = session(review, "alice", stopping=estimate).view()
    assert v.stopping == {"estimated_remaining_relevant": 3} and seen["n"] == 1


def test_only_no_abstract_limits_the_queue_and_counts(review: Path, in_play: list[str]) -> None:
    import pytest

    from screening.errors import DecisionError
    from screening.records import read_table, write_table

    path = review.parent.parent / "data" / "screened" / "t" / "ingest.parquet"
    table = read_table(path)
    blank = [in_play[5], in_play[2], "55"]            # 55 is rule-excluded: never in a queue
    table.loc[table["record_id"].isin(blank), "abstract"] = ""
    write_table(table, path)

    s = session(review, "alice", only="no-abstract")
    assert s.queue == [in_play[2], in_play[5]]        # the ranker's order, only the subset
    assert s.total == 2 and s.view().subset == "no-abstract"
    s.press("i")
    s.press("e")
    s.press("\r")
    assert s.view().state == "done" and s.decided == 2
    full = session(review, "alice")                   # the full queue sees those decisions
    assert full.decided == 2 and in_play[2] not in full.queue and full.current == in_play[0]
    with pytest.raises(DecisionError, match="unknown subset"):
        session(review, "alice", only="no-title")


def test_every_reason_has_a_key_beyond_nine(review: Path, db: Path) -> None:
    """Acceptance testing: with 10 reasons the picker listed 1-9 only, so the 10th could not be
    chosen (and is required at full text)."""
    reasons = [f"reason {i}" for i in range(1, 12)]
    text = review.read_text(encoding="utf-8").replace(
        'reasons = ["wrong population", "wrong intervention", "wrong outcome", "wrong study design"]',
        "reasons = [" + ", ".join(f'"{r}"' for r in reasons) + "]")
    review.write_text(text, encoding="utf-8")
    s = session(review, "alice")
    first = s.current
    s.press("e")
    s.press("z")                                     # not a reason key: asks again, nothing written
    assert s.view().state == "reason" and "1-9 or a-b" in s.view().hint and not s.view().message
    s.press("q")                                     # q goes back, as Esc does (session 16)
    assert s.view().state == "record" and s.view().message == "cancelled"
    s.press("e")
    s.press("b")                                     # the 11th: 1-9, a, b
    assert s.view().state == "record"
    assert load_entries(db).set_index("record_id").loc[first, "reason"] == "reason 11"


def test_attaching_a_path_that_is_not_there_is_said(review: Path, db: Path, tmp_path: Path) -> None:
    api.record_decision(review, reviewer="alice", record_id="3", action="include")
    res = api.record_decision(review, reviewer="alice", record_id="3", action="attach_report",
                              stage="full_text", report=str(tmp_path / "nope.pdf"))
    assert res.warnings and "not a file here" in res.warnings[0]
    pdf = tmp_path / "there.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert api.record_decision(review, reviewer="alice", record_id="3", action="attach_report",
                               stage="full_text", report=str(pdf)).warnings == ()
    assert api.record_decision(review, reviewer="alice", record_id="3", action="attach_report",
                               stage="full_text", report="https://doi.org/10.1000/x").warnings == ()


def test_a_decision_made_meanwhile_in_another_terminal_is_not_replaced_silently(review: Path, db: Path) -> None:
    """UAT: alice open in two terminals, both on the same record; the second key press silently
    replaced the first decision."""
    first, second = session(review, "alice"), session(review, "alice")
    assert first.current == second.current
    rid = first.current
    first.press("i")
    second.press("e")
    second.press("\r")                                   # title/abstract: no reason needed
    assert f"{rid}: exclude — this replaces your decision made meanwhile elsewhere (include)" in second.view().message
    assert [r.action for r in load_entries(db).itertuples() if r.record_id == rid] == ["include", "exclude"]


def test_an_empty_queue_says_what_is_still_open_for_others(review: Path, db: Path) -> None:
    """UAT: a declared reviewer outside the dual plan read 'nothing left to screen' while
    hundreds of records were unsettled: their queue was empty, the stage was not done."""
    from screening.decisions import api

    api.assign(review, "alice,bob", fraction=1.0)
    alice = session(review, "alice")
    alice.press("i")
    dave = session(review, "dave")                      # not in the plan: nothing for him
    view = dave.view()
    assert view.state == "done" and view.remaining == 0
    assert view.open_elsewhere == view.total > 0
    assert f"your queue is empty; {view.total} records of this stage are still open for other reviewers" in view.message


def test_a_full_text_session_links_a_report_to_another_records_study(review: Path, db: Path) -> None:
    for rid in ("3", "4"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    s = session(review, "alice", stage="full_text")
    assert s.view().keys["l"] == "same study as"
    first = s.current
    other = "4" if first == "3" else "3"
    s.press("l")
    assert s.view().state == "link"
    s.submit_text("5")                                  # not at full text: said, nothing written
    assert "not in full-text review" in s.view().message
    s.press("l")
    s.submit_text(other)
    assert s.view().message == f"{first} is a report of the study of record {other}"
    links = [(r.record_id, r.payload) for r in load_entries(db).itertuples() if r.action == "link_study"]
    assert links == [(first, f'{{"study": "{other}"}}')]


def test_a_full_text_session_shows_the_records_study_and_ends_its_link(review: Path, db: Path) -> None:
    """The view says which records share the current record's study (leftover of session 14:
    the session could neither show a link nor end one); `-` at the prompt ends it."""
    for rid in ("3", "4", "5"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    s = session(review, "alice", stage="full_text")
    first = s.current
    other, third = [r for r in ("3", "4", "5") if r != first][:2]
    assert s.view().study == ()
    s.press("l")
    s.submit_text(other)
    assert s.view().study == (other,) and s.view().study_link == other
    # another record linked to this one by the reviewer joins the study shown
    api.record_decision(review, reviewer="alice", record_id=third, action="link_study",
                        stage="full_text", study=first)
    s.press("s")                                        # a key refreshes the log, as any key does
    s = session(review, "alice", stage="full_text")
    assert s.current == first and s.view().study == tuple(sorted((other, third), key=int))
    s.press("l")
    assert s.view().state == "link"
    s.submit_text("-")
    # the record's own link ends, but the third record's link still joins it
    assert s.view().message == f"{first}'s link is ended, but it is still one study with {third} through their own links"
    assert s.view().study == (third,)
    api.record_decision(review, reviewer="alice", record_id=third, action="link_study", stage="full_text", study="")
    s = session(review, "alice", stage="full_text")
    assert s.view().study == ()
    s.press("l")
    s.submit_text("-")                                  # nothing to end: nothing written, as `decide`
    assert s.view().message == f"{first} has no link to end: nothing recorded"
    s.press("l")
    s.submit_text(other)
    s.press("l")
    s.submit_text(other)
    assert s.view().message == f"{first} is already a report of the study of record {other}: nothing recorded"
    s.press("l")
    s.submit_text("-")
    assert s.view().message == f"{first} is its own study"
    links = [r.payload for r in load_entries(db).itertuples() if r.action == "link_study" and r.record_id == first]
    assert links == [f'{{"study": "{other}"}}', '{"study": ""}', f'{{"study": "{other}"}}', '{"study": ""}']


@pytest.mark.parametrize("carol_adjudicates", [False, True])
def test_a_full_text_session_does_not_show_another_reviewers_link_before_you_decide(review: Path,
                                                                                   carol_adjudicates: bool) -> None:
    """Blinding holds for links: bob's link on a record carol has not decided stays hidden, also
    when carol is declared an adjudicator as well (no per-record hints while she screens)."""
    if carol_adjudicates:
        text = review.read_text(encoding="utf-8")
        review.write_text(text.replace("[screening]\n", '[screening]\nreviewers = ["alice", "bob", "carol"]\n'
                                       'adjudicators = ["carol", "dave"]\n'), encoding="utf-8")
    for rid in ("3", "4"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    api.assign(review, "carol,bob", fraction=1.0, stage="full_text")      # both screen both, blind
    for rid in ("3", "4"):
        api.record_decision(review, reviewer="bob", record_id=rid, action="include", stage="full_text")
    api.record_decision(review, reviewer="bob", record_id="3", action="link_study", stage="full_text", study="4")
    s = session(review, "carol", stage="full_text")
    assert s.current == "3" and s.view().study == ()
    s.press("i")                                        # carol decides 3: bob's events on it are hers to see
    # 4 is in the study through 3's link, not a link of its own
    assert s.current == "4" and s.view().study == ("3",) and s.view().study_link == ""


def test_a_session_decision_that_reopens_a_settled_record_is_warned_of(review: Path, db: Path) -> None:
    """`decide` warned when a decision turned a settled record into a conflict; the `screen`
    session said only that it replaced the reviewer's decision made elsewhere."""
    from screening.cli.screen import _render

    api.assign(review, "alice,bob", fraction=1.0)
    first, second = session(review, "alice"), session(review, "alice")
    rid = first.current
    api.record_decision(review, reviewer="bob", record_id=rid, action="include")
    first.press("i")                                     # alice and bob agree: settled
    assert first.view().warnings == ()
    second.press("e")
    second.press("\r")                                   # replaces alice's include: a conflict with bob
    view = second.view()
    assert view.warnings == (f"record {rid} was settled at title/abstract (include, by agreement) and is now in "
                             "conflict with this decision; an adjudicator settles it (`screening adjudicate`), or "
                             "`u` takes this decision back if it was not meant",)
    assert "this replaces your decision made meanwhile elsewhere (include)" in view.message
    # the CLI draws it, as `decide` does
    from screening.cli import _app
    with _app.err_console.capture() as said:
        _render(view)
    assert f"warning: record {rid} was settled at title/abstract" in " ".join(said.get().split())
    second.press("s")                                    # the next key starts afresh
    assert second.view().warnings == ()
