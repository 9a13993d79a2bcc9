"""The whole dual-screening workflow through the CLI on 50 real records.

Planted: alice and bob both include 20 records, alice includes / bob excludes 5, alice
excludes / bob includes 10, both exclude 15 -> 15 conflicts, kappa 0.4 (see test_agreement).
"""

from __future__ import annotations

import json
from pathlib import Path

from screening.decisions.entries import load_entries
from screening.decisions.outcomes import final_decisions


def jsonl(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def plant(tmp_path: Path, ids: list[str]) -> tuple[Path, Path]:
    a = ["include"] * 25 + ["exclude"] * 25
    b = ["include"] * 20 + ["exclude"] * 5 + ["include"] * 10 + ["exclude"] * 15
    alice = tmp_path / "alice.csv"
    alice.write_text("record_id,decision,reason,note\n" + "".join(
        f"{rid},{d},{'wrong population' if d == 'exclude' else ''},\n" for rid, d in zip(ids, a)))
    bob = tmp_path / "bob.csv"
    bob.write_text("record_id,decision,reviewer\n" + "".join(f"{rid},{d},bob\n" for rid, d in zip(ids, b)))
    return alice, bob


def test_dual_screening_workflow(review: Path, db: Path, in_play: list[str], cli, tmp_path: Path) -> None:
    code, out = cli("assign", review, "--reviewers", "alice,bob")
    assert code == 0 and "50 of 50 records" in out
    alice, bob = plant(tmp_path, in_play)
    code, out = cli("decide", review, "--reviewer", "alice", "--from", alice)
    assert code == 0 and "imported 50 decisions (native format, 50 new)" in out
    code, out = cli("decide", review, "--from", bob)
    assert code == 0 and "bob 50" in out

    code, out = cli("conflicts", review, "--as-adjudicator", "--json")
    rows = jsonl(out)
    assert code == 0
    assert sorted({r["record_id"] for r in rows}) == sorted(in_play[20:35])
    assert len(rows) == 30
    by = {(r["record_id"], r["reviewer"]): r["decision"] for r in rows}
    assert by[(in_play[20], "alice")] == "include" and by[(in_play[20], "bob")] == "exclude"
    assert by[(in_play[30], "alice")] == "exclude" and by[(in_play[30], "bob")] == "include"
    code, out = cli("conflicts", review, "--as-adjudicator")
    assert "15 open conflicts at title_abstract" in out

    code, out = cli("agreement", review, "--as-adjudicator", "--json")
    (pair,) = jsonl(out)
    assert (pair["stage"], pair["reviewer_a"], pair["reviewer_b"]) == ("title_abstract", "alice", "bob")
    assert pair["counts"] == [[20, 5], [10, 15]]
    assert pair["kappa"] == 0.4 or abs(pair["kappa"] - 0.4) < 1e-12
    assert abs(pair["se"] - 0.126996) < 1e-6 and abs(pair["ci_low"] - 0.151094) < 1e-5
    assert abs(pair["pabak"] - 0.4) < 1e-12 and abs(pair["percent_agreement"] - 70) < 1e-9
    code, out = cli("agreement", review, "--as-adjudicator")
    assert "kappa=0.400 (95% CI 0.151 to 0.649; SE 0.127)" in out and "PABAK=0.400" in out

    # adjudicate: a record without a conflict is refused, then every conflict is resolved
    code, out = cli("adjudicate", review, "--reviewer", "carol", "--record", in_play[0], "--exclude")
    assert code == 6 and "no open conflict" in out
    for rid in in_play[20:25]:
        assert cli("adjudicate", review, "--reviewer", "carol", "--record", rid, "--include")[0] == 0
    for rid in in_play[25:35]:
        code, out = cli("adjudicate", review, "--reviewer", "carol", "--record", rid, "--exclude",
                        "--reason", "wrong intervention")
        assert code == 0 and "final" in out
    code, out = cli("conflicts", review, "--as-adjudicator")
    assert "no open conflicts" in out
    ta = final_decisions(load_entries(db), "title_abstract")
    assert ta["decision"].value_counts().to_dict() == {"include": 25, "exclude": 25}
    assert ta["resolved_by"].value_counts().to_dict() == {"agreement": 35, "adjudication": 15}
    assert set(ta.loc[ta["decision"] == "include", "record_id"]) == set(in_play[:25])

    # full text: the 25 included records are 'reports sought'
    sought = in_play[:25]
    code, out = cli("decide", review, "-r", "alice", "--record", in_play[40], "--include", "--stage", "full_text")
    assert code == 6 and "not in full-text review" in out
    code, out = cli("decide", review, "-r", "alice", "--record", sought[0], "--exclude", "--stage", "full_text")
    assert code == 6 and "full-text exclusions need a reason" in out
    assert cli("decide", review, "-r", "alice", "--record", sought[0], "--exclude", "--stage", "full_text",
               "--reason", "wrong outcome")[0] == 0
    assert cli("decide", review, "-r", "alice", "--record", sought[1], "--not-retrieved", "--stage", "full_text")[0] == 0
    code, out = cli("decide", review, "-r", "alice", "--record", sought[2], "--attach", "reports/2.pdf", "--stage", "full_text")
    assert code == 0 and "attach report" in out
    assert cli("decide", review, "-r", "alice", "--record", sought[2], "--include", "--stage", "full_text")[0] == 0

    code, out = cli("status", review, "--as-adjudicator", "--json")
    ta_s, ft_s = jsonl(out)
    assert (ta_s["total"], ta_s["screened"], ta_s["remaining"], ta_s["conflicts_open"]) == (50, 50, 0, 0)
    assert ta_s["per_reviewer"]["alice"]["decided"] == 50 and ta_s["per_adjudicator"]["carol"]["decided"] == 15
    assert "carol" not in ta_s["per_reviewer"]          # she only adjudicated
    alice_view = jsonl(cli("status", review, "--reviewer", "alice", "--json")[1])[0]
    assert alice_view["per_adjudicator"] == {"carol": {"decided": 15}}   # how many, not which way
    assert (ft_s["total"], ft_s["screened"], ft_s["remaining"], ft_s["reports_attached"]) == (25, 3, 22, 1)
    assert ft_s["final"] == {"include": 1, "exclude": 1, "not_retrieved": 1}
    code, out = cli("status", review, "--as-adjudicator")
    assert "title_abstract: 50 screened (settled), 0 remaining of 50" in out
    assert "full_text: 3 screened (settled), 22 remaining of 25" in out

    code, out = cli("log", review, "--as-adjudicator", "--record", in_play[20], "--json")
    hist = [(e["reviewer"], e["role"], e["action"]) for e in jsonl(out)]
    assert hist == [("plan", "screener", "assign"), ("alice", "screener", "include"),
                    ("bob", "screener", "exclude"), ("carol", "adjudicator", "include")]
    code, out = cli("log", review, "--as-adjudicator", "--record", sought[2])
    assert "reports/2.pdf" in out


def test_import_is_all_or_nothing_and_names_the_line(review: Path, db: Path, cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("record_id,decision\n1,include\n2,exclude\n424242,include\n3,include\n")
    code, out = cli("decide", review, "--reviewer", "alice", "--from", bad)
    assert code == 6
    assert "bad.csv:4: unknown record '424242'" in out.replace("\n", "")
    assert load_entries(db).empty
    bad.write_text("record_id,decision\n1,include\n2,perhaps\n")
    code, out = cli("decide", review, "--reviewer", "alice", "--from", bad)
    assert code == 6 and "bad.csv:3: unknown decision 'perhaps'" in out.replace("\n", "")
    assert load_entries(db).empty


def test_decide_demo_flag_and_help(review: Path, db: Path, cli) -> None:
    assert cli("decide", review, "-r", "alice", "--record", "7", "--maybe", "--demo")[0] == 0
    assert load_entries(db).iloc[0]["is_demo"] == 1
    code, out = cli("log", review, "--reviewer", "alice")
    assert "maybe [demo]" in out
    for cmd in ("screen", "decide", "assign", "conflicts", "adjudicate", "agreement", "status", "log"):
        code, out = cli(cmd, "--help")
        assert code == 0 and "Review TOML" in out


def test_narrow_terminal_keeps_record_ids_whole(tmp_path: Path) -> None:
    """Reviewers copy ids from `log`/`conflicts` into the next command: at 80 columns an id is
    folded over lines, never cut to 'wos_27…'."""
    from typer.testing import CliRunner

    from screening.cli import app
    from screening.decisions import api
    from screening.records import write_table

    from .conftest import REVIEW_TOML, build_table

    table = build_table()
    long_id = "scopus_export_2024-11-03-00017"
    table.loc[table["record_id"] == "3", "record_id"] = long_id
    (tmp_path / "pipelines").mkdir()
    review = tmp_path / "pipelines" / "t.toml"
    review.write_text(REVIEW_TOML, encoding="utf-8")
    write_table(table, tmp_path / "data" / "screened" / "t" / "ingest.parquet")
    api.assign(review, "alice,bob")
    api.record_decision(review, reviewer="alice", record_id=long_id, action="include",
                        note="a long note " * 8)
    api.record_decision(review, reviewer="bob", record_id=long_id, action="exclude",
                        reason="wrong outcome")
    env = {"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}
    for args in (["log", str(review), "--as-adjudicator"], ["conflicts", str(review), "--as-adjudicator"]):
        out = CliRunner().invoke(app, args, env=env).output
        if args[0] == "log":
            # one event per line (acceptance testing: in a table, action, reason and note shrank
            # to 'e…' at 80 columns): nothing an auditor reads is cut
            said = " ".join(out.split())
            assert long_id in out.split() and "exclude — reason: wrong outcome" in said, out
            assert "include — note: " + ("a long note " * 8).strip() in said, out
            assert "…" not in out
            continue
        col = 1                                      # the record column (after the leading '│')
        cells = "".join(line.split("│")[col].strip() for line in out.splitlines() if line.count("│") > col)
        assert long_id in cells, out


def test_record_text_is_shown_without_bidi_controls(tmp_path: Path) -> None:
    """A right-to-left override (U+202E) in a title or note would reorder what the terminal shows
    after it; `conflicts`, `log` and the adjudication walk show record text without such
    controls (the stored text keeps them)."""
    from typer.testing import CliRunner

    from screening.cli import app
    from screening.cli._app import printable
    from screening.decisions import api
    from screening.records import write_table

    from .conftest import REVIEW_TOML, build_table

    from screening.cli._app import printable_spans

    assert printable("a\u202eb\u2066c\u2069d") == "abcd" and printable("é ü 中") == "é ü 中"
    # highlighted spans move with the text: 'estrogen' and 'heart' stay highlighted
    text, spans = printable_spans("\u2066Estrogen\u2069 and the \u202eheart", [(1, 9), (19, 25)])
    assert text == "Estrogen and the heart" and [text[a:b] for a, b in spans] == ["Estrogen", "heart"]
    table = build_table()
    table.loc[table["record_id"] == "3", "title"] = "Estrogen\u202e lanimreteled\u2066"
    (tmp_path / "pipelines").mkdir()
    review = tmp_path / "pipelines" / "t.toml"
    review.write_text(REVIEW_TOML + 'adjudicators = ["carol"]\n', encoding="utf-8")
    write_table(table, tmp_path / "data" / "screened" / "t" / "ingest.parquet")
    api.assign(review, "alice,bob")
    api.record_decision(review, reviewer="alice", record_id="3", action="include", note="see \u202etxet")
    api.record_decision(review, reviewer="bob", record_id="3", action="exclude", reason="wrong outcome")
    env = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    outputs = [CliRunner().invoke(app, args, env=env, input=stdin).output for args, stdin in (
        (["conflicts", str(review), "--as-adjudicator", "-r", "carol"], None),
        (["log", str(review), "--as-adjudicator", "-r", "carol"], None),
        (["adjudicate", str(review), "-r", "carol"], "s\n"),
    )]
    for out in outputs:
        assert "\u202e" not in out and "\u2066" not in out, out
    assert "Estrogen lanimreteled" in outputs[0] and "Estrogen lanimreteled" in outputs[2]
    assert "see txet" in outputs[1]
    assert "\u202e" in api.Review.load(review).record("3")["title"]      # stored as received


def test_methods_paragraph_counts_only_records_still_in_screening(tmp_path: Path) -> None:
    """A conflict on a record a later dedup run marked as a duplicate is no longer an open
    disagreement in the methods paragraph (the counts and the kappa already left it out), and
    one of anything reads in the singular."""
    from screening.decisions import api
    from screening.prisma.api import generate
    from screening.records import write_table

    from .conftest import REVIEW_TOML, build_table

    (tmp_path / "pipelines").mkdir()
    review = tmp_path / "pipelines" / "t.toml"
    review.write_text(REVIEW_TOML, encoding="utf-8")
    table = build_table()
    path = tmp_path / "data" / "screened" / "t" / "ingest.parquet"
    write_table(table, path)
    api.assign(review, "alice,bob")
    for rid, pair in zip("1234", [("include", "include"), ("exclude", "exclude"), ("include", "exclude"),
                                  ("exclude", "exclude")]):
        for who, action in zip(("alice", "bob"), pair):
            api.record_decision(review, reviewer=who, record_id=rid, action=action,
                                reason="" if action == "include" else "wrong outcome")
    text = generate(review).files["md"].read_text(encoding="utf-8")
    assert "all 3 records settled so far were screened independently by two reviewers, and 1 disagreement " \
           "awaits adjudication." in text
    assert "1 duplicate record was removed" in text and "marked 1 record as ineligible" in text
    assert "from 1 database" in text and "register" not in text.split("from 1 database")[1][:12]
    table.loc[table["record_id"] == "3", "duplicate_of"] = "1"          # dedup, re-run later
    write_table(table, path)
    text = generate(review).files["md"].read_text(encoding="utf-8")
    assert "all 3 records settled so far were screened independently by two reviewers, with no " \
           "disagreement to resolve." in text
    assert "awaits adjudication" not in text and "2 duplicate records were removed" in text
    # the conflict did not vanish silently: the report says an unsettled record left screening
    warnings = generate(review).counts.warnings
    assert any(w.startswith("1 record(s) with unsettled title/abstract decisions (in conflict or awaiting a "
                            "second reviewer) are no longer in screening") and "e.g. 3" in w for w in warnings)


def test_conflict_on_a_record_that_became_a_duplicate_is_not_listed(review: Path, cli) -> None:
    """`conflicts` and the adjudication walk agree with `status`: a conflict on a record a later
    dedup run marked as a duplicate has nothing to settle (its events stay in the log)."""
    from screening.decisions import api
    from screening.records import write_table

    from .conftest import build_table

    table = build_table()
    path = review.parent.parent / "data" / "screened" / "t" / "ingest.parquet"
    for rid in ("3", "4"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
        api.record_decision(review, reviewer="bob", record_id=rid, action="exclude", reason="wrong outcome")
    assert sorted(set(api.list_conflicts(review, reviewer="carol", as_adjudicator=True)["record_id"])) == ["3", "4"]
    table.loc[table["record_id"] == "3", "duplicate_of"] = "1"          # dedup, re-run later
    write_table(table, path)
    assert set(api.list_conflicts(review, reviewer="carol", as_adjudicator=True)["record_id"]) == {"4"}
    todo, own = api.conflicts_to_adjudicate(review, reviewer="carol")
    assert set(todo["record_id"]) == {"4"} and own == []
    code, out = cli("conflicts", review, "-r", "carol", "--as-adjudicator", "--json")
    assert code == 0 and {r["record_id"] for r in jsonl(out)} == {"4"}, out
    code, out = cli("conflicts", review, "-r", "carol", "--as-adjudicator")
    assert "1 open conflict at title_abstract" in out, out
    status = api.status(review, reviewer="carol", as_adjudicator=True)
    assert status[0]["conflicts_open"] == 1


def test_piped_input_takes_one_key_per_line_and_records_nothing_for_a_longer_line(review: Path, db: Path,
                                                                                  cli) -> None:
    """Acceptance testing: a piped line 'ie' recorded an include and dropped the 'e' without a
    word; an empty line was answered "unknown key '\\n'"."""
    from screening.decisions.entries import load_entries

    code, out = cli("screen", review, "-r", "alice", input="ie\n\nq\n")
    assert code == 0
    assert "unknown key 'ie' (one key per line when the input is piped)" in out
    assert "Enter does nothing here" in out and "'\\n'" not in out
    assert not db.exists() or load_entries(db).empty
    code, out = cli("screen", review, "-r", "alice", input="i\r\nq\n")         # a Windows line end
    assert code == 0 and load_entries(db)["action"].tolist() == ["include"]
