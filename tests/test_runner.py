"""The pipeline runner: outputs per stage, no-op re-runs, atomic writes, stage contract checks."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

import screening.run_history as run_history
import screening.run_inputs as run_inputs
import screening.runner as runner
from screening.errors import ConfigError, InputError
from screening.records import read_table
from screening.stage import STAGES, Stage, StageReport, StageResult
from screening.runner import run_review

FIXTURES = Path(__file__).parent / "fixtures" / "core"


def make_review(tmp_path: Path, extra: str = "") -> Path:
    raw = tmp_path / "data" / "raw" / "t"
    raw.mkdir(parents=True)
    shutil.copy(FIXTURES / "econlit_3.ris", raw / "econlit_3.ris")
    shutil.copy(FIXTURES / "wos_5.ris", raw / "wos_5.ris")
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text(
        '[review]\nname = "t"\n\n'
        '[[sources]]\nfile = "data/raw/t/econlit_3.ris"\ndatabase = "EconLit"\n\n'
        '[[sources]]\nfile = "data/raw/t/wos_5.ris"\ndatabase = "Web of Science"\n' + extra,
        encoding="utf-8",
    )
    return toml


@pytest.fixture(autouse=True)
def no_post_steps(monkeypatch):
    # PRISMA outputs are tested on their own; keep these runs to the stages.
    monkeypatch.setattr(runner, "_load_post_steps", lambda: None)
    monkeypatch.setattr(runner, "POST_STEPS", {})


def test_run_writes_each_stage_table_and_report(tmp_path):
    result = run_review(make_review(tmp_path))
    out = tmp_path / "data" / "screened" / "t"
    assert [o.stage for o in result.outcomes][0] == "ingest"
    for name in ("ingest.parquet", "ingest.csv", "ingest.json"):
        assert (out / name).exists()
    table = read_table(out / "ingest.parquet")
    assert len(table) == 8
    assert table["source_db"].value_counts().to_dict() == {"Web of Science": 5, "EconLit": 3}
    assert table["record_id"].is_unique
    assert (table["source_file"] == "data/raw/t/econlit_3.ris").sum() == 3
    assert read_table(out / "ingest.csv").equals(table)
    report = json.loads((out / "ingest.json").read_text())
    assert report["records_out"] == 8 and len(report["input_hash"]) == 64
    assert report["details"]["records_per_database"] == {"EconLit": 3, "Web of Science": 5}


def test_rerun_with_nothing_changed_is_a_noop(tmp_path):
    toml = make_review(tmp_path)
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = run_review(toml)
    assert {o.status for o in again.outcomes} == {"unchanged"}
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_a_no_change_run_reads_only_the_last_stage_table(tmp_path, monkeypatch):
    # each stored table is ~1.7 s to read at 65k records: the earlier ones are not needed
    toml = make_review(tmp_path, '\n[dedup]\n\n[rules]\ndefault = "include"\n')
    first = run_review(toml)
    read = []
    real = runner.read_table
    monkeypatch.setattr(runner, "read_table", lambda path: read.append(Path(path).name) or real(path))
    again = run_review(toml)
    assert [o.status for o in again.outcomes] == ["unchanged"] * 3
    assert read == ["apply_rules.parquet"]
    pd.testing.assert_frame_equal(again.records, first.records)


def test_a_stored_table_a_report_does_not_vouch_for_is_read_before_it_is_reused(tmp_path):
    # reports from before table_sha256 say nothing of the bytes: a damaged table is found
    # by reading it, and the stage runs again rather than the run failing later
    toml = make_review(tmp_path, '\n[dedup]\n')
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    report = json.loads((out / "ingest.json").read_text())
    report["table_sha256"] = ""
    (out / "ingest.json").write_text(json.dumps(report))
    (out / "ingest.parquet").write_bytes(b"PAR1 cut short")
    again = run_review(toml)
    assert [o.status for o in again.outcomes] == ["ran", "unchanged"]
    assert len(read_table(out / "ingest.parquet")) == 8


def test_changed_source_reruns_ingest(tmp_path):
    toml = make_review(tmp_path)
    run_review(toml)
    raw = tmp_path / "data" / "raw" / "t" / "econlit_3.ris"
    data = raw.read_bytes()
    first_er = data.index(b"ER  -")
    raw.write_bytes(data[: data.index(b"\n", first_er) + 1])   # keep only record 1
    again = run_review(toml)
    assert again.outcomes[0].status == "ran"
    assert len(again.records) == 6


def test_interrupted_run_leaves_no_partial_files_and_recovers(tmp_path, monkeypatch):
    toml = make_review(tmp_path)
    real_write = runner.write_table
    calls = []

    def crash_on_csv(df, path):
        calls.append(Path(path).name)
        if str(path).endswith(".csv"):
            raise KeyboardInterrupt  # the user pressed Ctrl-C mid-write
        real_write(df, path)

    monkeypatch.setattr(runner, "write_table", crash_on_csv)
    with pytest.raises(KeyboardInterrupt):
        run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    names = sorted(p.name for p in out.iterdir())
    assert "ingest.json" not in names            # no report vouching for missing tables
    assert not [n for n in names if n.endswith(".tmp")]
    monkeypatch.setattr(runner, "write_table", real_write)
    result = run_review(toml)
    assert result.outcomes[0].status == "ran"
    assert (out / "ingest.json").exists()


@dataclass(frozen=True)
class NoConfig:
    pass


def _register(monkeypatch, fn):
    stage = Stage(name="bad_stage", order=99, run=fn, config_type=NoConfig, toml_key="bad_stage")
    monkeypatch.setitem(STAGES, "bad_stage", stage)


def test_stage_that_drops_rows_is_refused(tmp_path, monkeypatch):
    def drop(records, config, inputs):
        return StageResult(records.iloc[1:], StageReport("bad_stage", len(records), len(records) - 1))

    _register(monkeypatch, drop)
    with pytest.raises(RuntimeError, match="row count"):
        run_review(make_review(tmp_path, "\n[bad_stage]\n"))


def test_stage_that_mutates_its_input_is_refused(tmp_path, monkeypatch):
    def mutate(records, config, inputs):
        records.loc[0, "title"] = "changed"
        return StageResult(records, StageReport("bad_stage", len(records), len(records)))

    _register(monkeypatch, mutate)
    with pytest.raises(RuntimeError, match="mutated"):
        run_review(make_review(tmp_path, "\n[bad_stage]\n"))


def test_missing_source_file_is_a_clear_error(tmp_path):
    toml = make_review(tmp_path)
    (tmp_path / "data" / "raw" / "t" / "wos_5.ris").unlink()
    with pytest.raises(InputError, match="wos_5.ris.*source file not found"):
        run_review(toml)
    (tmp_path / "data" / "raw" / "t" / "wos_5.ris").mkdir()      # acceptance testing: 'not found'
    with pytest.raises(InputError, match="wos_5.ris.*is a folder, not an export file"):
        run_review(toml)
    (tmp_path / "data" / "raw" / "t" / "wos_5.ris").rmdir()
    # and nothing is left behind: no empty output folder for a review that could not start
    assert not (tmp_path / "data" / "screened" / "t").exists()


def test_review_without_sources_is_a_config_error(tmp_path, monkeypatch):
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "e.toml"
    toml.write_text('[review]\nname = "e"\n')
    monkeypatch.setattr(run_inputs, "search_sources", lambda review: [])
    with pytest.raises(ConfigError, match="no \\[\\[sources\\]\\]"):
        run_review(toml)


def test_bad_source_file_leaves_no_output_folder(tmp_path):
    """A source that fails to parse (here: truncated, no ER line) stops the run before anything
    is written: no empty data/screened/<review>/ folder is left behind."""
    toml = make_review(tmp_path)
    raw = tmp_path / "data" / "raw" / "t" / "wos_5.ris"
    data = raw.read_bytes()
    raw.write_bytes(data[: data.rindex(b"ER  -")])
    with pytest.raises(InputError, match="truncated"):
        run_review(toml)
    assert not (tmp_path / "data" / "screened").exists()
    # a folder that was there before stays, even if the run fails
    (tmp_path / "data" / "screened" / "t").mkdir(parents=True)
    with pytest.raises(InputError):
        run_review(toml)
    assert (tmp_path / "data" / "screened" / "t").is_dir()


def _history(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "history.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_report_written_is_kept_in_the_history(tmp_path):
    """rank.json holds the last ranking only; history.jsonl keeps every report a stage wrote,
    so a ranking id recorded with earlier decisions can still be traced to its settings."""
    toml = make_review(tmp_path, "\n[rank]\n")
    out = tmp_path / "data" / "screened" / "t"
    first = run_review(toml)
    lines = _history(out)
    assert [e["stage"] for e in lines] == ["ingest", "rank"]
    assert len({e["time"] for e in lines}) == 1                       # one time per run
    assert lines[1]["report"] == json.loads((out / "rank.json").read_text(encoding="utf-8"))
    assert lines[1]["review"] == "t"

    run_review(toml)                                                  # nothing changed: nothing added
    assert len(_history(out)) == 2

    toml.write_text(toml.read_text(encoding="utf-8").replace("[rank]\n", "[rank]\nseed = 7\n"), encoding="utf-8")
    second = run_review(toml)
    assert [o.status for o in second.outcomes] == ["unchanged", "ran"]
    ranks = [e["report"] for e in run_history.read_history(out, "rank")]
    assert len(ranks) == 2
    assert [r["parameters"]["seed"] for r in ranks] == [first.outcomes[1].report.parameters["seed"], 7]
    assert ranks[0]["input_hash"] != ranks[1]["input_hash"]
    assert ranks[0] != json.loads((out / "rank.json").read_text(encoding="utf-8"))   # only in the history now


def test_the_history_keeps_a_digest_of_the_long_lists_a_stage_names(tmp_path, monkeypatch):
    # dedup's maybe-pair list (2.3 MB at 65k records) was copied into every run's history line
    pairs = [{"id_a": f"a{i}", "id_b": f"b{i}", "score": 0.9} for i in range(500)]

    def listing(records, config, inputs):
        return StageResult(records.copy(), StageReport("lists", len(records), len(records),
                                                       details={"pairs": pairs, "small": [1, 2]}))

    stage = Stage(name="lists", order=99, run=listing, config_type=NoConfig, toml_key="lists",
                  history_digest=("pairs", "absent"))
    monkeypatch.setitem(STAGES, "lists", stage)
    toml = make_review(tmp_path, "\n[lists]\n")
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    stored = json.loads((out / "lists.json").read_text(encoding="utf-8"))
    assert stored["details"]["pairs"] == pairs                     # the report itself keeps the list
    line = run_history.read_history(out, "lists")[0]["report"]
    blob = json.dumps(pairs, sort_keys=True).encode()
    assert line["details"]["pairs"] == {"count": 500, "sha256": hashlib.sha256(blob).hexdigest()}
    assert line["details"]["small"] == [1, 2] and "absent" not in line["details"]
    assert {k: v for k, v in line.items() if k != "details"} == {k: v for k, v in stored.items() if k != "details"}


def test_history_survives_a_torn_line(tmp_path):
    out = tmp_path / "o"
    run_history.append_history(out, {"stage": "a"})
    with open(out / "history.jsonl", "ab") as fh:
        fh.write(b'{"stage": "b", "rep')                           # a crash mid-line
    run_history.append_history(out, {"stage": "c"})
    assert [e["stage"] for e in run_history.read_history(out)] == ["a", "c"]
    # torn inside a UTF-8 character (code review: every later read raised UnicodeDecodeError)
    with open(out / "history.jsonl", "ab") as fh:
        fh.write('{"stage": "d", "warning": "—'.encode()[:-1])
    run_history.append_history(out, {"stage": "e"})
    assert [e["stage"] for e in run_history.read_history(out)] == ["a", "c", "e"]


def test_interrupted_stage_write_keeps_the_earlier_run_whole(tmp_path, monkeypatch):
    """The new tables are written beside the old ones, and only then does the old report go and
    the tables move into place: a crash while writing (acceptance testing: `kill -9` mid-stage
    deleted the stage's CSV and report until the next run) leaves the earlier run's report and
    tables as they were, and no report vouching for a table another run wrote."""
    toml = make_review(tmp_path)
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name.startswith("ingest.")}
    assert {"ingest.json", "ingest.csv", "ingest.parquet"} <= set(before)
    real_write = runner.write_table

    def crash_on_csv(df, path):
        if str(path).endswith(".csv"):
            raise KeyboardInterrupt
        real_write(df, path)

    monkeypatch.setattr(runner, "write_table", crash_on_csv)
    with pytest.raises(KeyboardInterrupt):
        run_review(toml, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name.startswith("ingest.")} == before
    assert not [p.name for p in out.iterdir() if ".new." in p.name]      # no half-written copy left
    monkeypatch.setattr(runner, "write_table", real_write)
    assert run_review(toml, force=True).outcomes[0].status == "ran"


def _cut_first_record(path: Path) -> None:
    """Remove the first record of a RIS export, as a hand edit would."""
    text = path.read_text(encoding="utf-8")
    second = text.index("\nTY  -", text.index("TY  -") + 1) + 1
    path.write_text(text[second:], encoding="utf-8")


def test_an_export_edited_renamed_or_dropped_under_decisions_is_refused(tmp_path):
    """UAT (search update): deleting one record from an ingested export renumbered the rest, and
    a logged include silently moved to another study; dropping a source re-opened screened
    studies. Now the run stops before anything is written, naming the file."""
    from screening.decisions import api
    from screening.errors import InputError

    toml = make_review(tmp_path)
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    table = read_table(out / "ingest.parquet")
    wos = table[table["source_file"].str.endswith("wos_5.ris")]["record_id"].tolist()
    api.record_decision(toml, reviewer="alice", record_id=wos[2], action="include")
    before = (out / "ingest.parquet").read_bytes()
    raw = tmp_path / "data" / "raw" / "t" / "wos_5.ris"
    original = raw.read_bytes()

    _cut_first_record(raw)                                   # every later id moves up one
    with pytest.raises(InputError) as err:
        run_review(toml)
    assert "now name another record" in str(err.value) and "wos_5.ris" in str(err.value)
    assert (out / "ingest.parquet").read_bytes() == before   # nothing written
    raw.write_bytes(original)
    assert run_review(toml).outcomes[0].status == "unchanged"   # restored: the same ids again
    toml.write_text(toml.read_text().replace('[[sources]]\nfile = "data/raw/t/wos_5.ris"\ndatabase = "Web of Science"\n', ""))
    with pytest.raises(InputError, match="no longer in the sources"):
        run_review(toml)
    result = run_review(toml, allow_changed_sources=True)    # the team's explicit choice
    assert any("no longer in the sources" in w for w in result.outcomes[0].warnings)

    # an export without decisions on it may change (nothing names its records)
    toml2 = make_review(tmp_path / "other")
    run_review(toml2)
    _cut_first_record(tmp_path / "other" / "data" / "raw" / "t" / "econlit_3.ris")
    run_review(toml2)


def test_a_decision_moved_to_another_exports_copy_is_refused(tmp_path):
    """Leftover of session 22: the guard compared titles and DOIs only, so a decided id that
    came to name another export's copy of the same article passed. Here the team moves the first
    search's export into a folder (re-saved, so its bytes changed) when the update (the same
    search re-run, saved under the same name) arrives, and lists the update first: it takes the
    free id stem, and every decision on the first search would name the update's copy (same
    title, same DOI). (Moved with its bytes unchanged, the export keeps its ids: next test.)"""
    from screening.decisions import api
    from screening.errors import InputError

    toml = make_review(tmp_path)
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    table = read_table(out / "ingest.parquet")
    wos = table[table["source_file"] == "data/raw/t/wos_5.ris"]
    decided = wos["record_id"].iloc[2]
    api.record_decision(toml, reviewer="alice", record_id=decided, action="include")
    raw = tmp_path / "data" / "raw" / "t"
    (raw / "round1").mkdir()
    # re-saved on the way (CRLF): not the ingested bytes, so not known as the same export moved
    (raw / "round1" / "wos_5.ris").write_bytes((raw / "wos_5.ris").read_bytes().replace(b"\n", b"\r\n"))
    (raw / "wos_5.ris").unlink()
    (raw / "round2").mkdir()
    econ = (raw / "econlit_3.ris").read_text(encoding="utf-8")
    new_record = econ[econ.index("TY  -"):econ.index("\nTY  -", econ.index("TY  -") + 1) + 1]
    (raw / "round2" / "wos_5.ris").write_text(            # the first search's records and one new one
        (raw / "round1" / "wos_5.ris").read_text(encoding="utf-8").rstrip("\n") + "\n\n" + new_record,
        encoding="utf-8")
    toml.write_text(toml.read_text().replace(
        'file = "data/raw/t/wos_5.ris"\ndatabase = "Web of Science"\n',
        'file = "data/raw/t/round2/wos_5.ris"\ndatabase = "Web of Science"\n\n'
        '[[sources]]\nfile = "data/raw/t/round1/wos_5.ris"\ndatabase = "Web of Science"\n'))
    with pytest.raises(InputError, match="now name another record") as err:
        run_review(toml)
    assert "data/raw/t/wos_5.ris" in str(err.value)


def test_the_guard_compares_the_export_a_record_came_from():
    from screening.identity import decided_records_changed

    cols = ["record_id", "title", "doi", "source_file"]
    on = pd.DataFrame([["a-1", "Wildfire smoke and asthma", "10.1/a", "data/raw/t/a.ris"]], columns=cols)
    other_copy = on.assign(source_file="data/raw/t/2025/a.ris")
    assert decided_records_changed(None, other_copy, ["a-1"], on).moved == ("a-1",)
    assert decided_records_changed(on, other_copy, ["a-1"]).moved == ("a-1",)       # older logs: the old ingest
    # the same export, written with Windows separators, or outside the project and moved with it: no change
    assert not decided_records_changed(None, on.assign(source_file="data\\raw\\t\\a.ris"), ["a-1"], on)
    outside = on.assign(source_file="/home/ann/exports/a.ris")
    assert not decided_records_changed(None, outside.assign(source_file="/mnt/usb/exports/a.ris"), ["a-1"], outside)
    # a log without the file (dedup-review pairs, before 0.6) compares title and DOI only
    assert not decided_records_changed(None, other_copy, ["a-1"], on.assign(source_file=""))


def test_a_reader_fix_is_not_taken_for_a_moved_record():
    """Code review: every upgrade re-ingests, and a DOI newly read from another field or a
    subtitle now joined to the title must not make the run refuse."""
    from screening.identity import decided_records_changed

    old = pd.DataFrame({"record_id": ["a-1", "a-2", "a-3"], "source_file": ["a.ris"] * 3,
                        "title": ["Wildfire smoke and asthma", "Heat waves and mortality", "Drought"],
                        "doi": ["", "10.1/x", "10.1/d"]})
    upgraded = old.assign(title=["Wildfire smoke and asthma: a cohort study", "Heat waves and mortality", "Drought"],
                          doi=["10.1/new", "10.1/x", "10.1/d"])
    assert not decided_records_changed(old, upgraded, ["a-1", "a-2"])
    renumbered = old.assign(title=["Heat waves and mortality", "Drought", ""], doi=["10.1/x", "10.1/d", ""])
    changed = decided_records_changed(old, renumbered, ["a-1", "a-2", "zz-9"])
    assert changed.moved == ("a-1", "a-2") and changed.files == ("a.ris",) and not changed.lost


def test_decisions_remember_their_record_so_a_restored_export_needs_no_flag(tmp_path):
    """Leftover of session 11: after a run let an edited export through, restoring the original
    needed --allow-changed-sources again, because the guard compared with the previous ingest
    (the edited one). Decisions now store what they were made on, so the restored export
    matches them; a change let through once is not refused again on every later re-ingest; and
    a deleted output folder no longer hides an edited export."""
    from screening.config import load_review
    from screening.decisions import api
    from screening.decisions.entries import load_entries
    from screening.errors import InputError
    from screening.prisma.state import load_state

    toml = make_review(tmp_path)
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    table = read_table(out / "ingest.parquet")
    wos = table[table["source_file"].str.endswith("wos_5.ris")]
    decided = wos["record_id"].iloc[2]
    api.record_decision(toml, reviewer="alice", record_id=decided, action="include")
    payload = load_entries(load_review(toml).decisions_path).set_index("record_id").loc[decided, "payload"]
    assert json.loads(payload)["record"] == {"title": wos["title"].iloc[2], "doi": wos["doi"].iloc[2],
                                             "file": wos["source_file"].iloc[2]}
    raw = tmp_path / "data" / "raw" / "t" / "wos_5.ris"
    original = raw.read_bytes()

    def stray() -> list[str]:       # the report's warning on decisions now naming another record
        return [w for w in load_state(load_review(toml)).warnings if "than the one decided on" in w]

    assert not stray()
    _cut_first_record(raw)
    with pytest.raises(InputError, match="now name another record"):
        run_review(toml)
    run_review(toml, allow_changed_sources=True)                    # let through, with a warning
    assert run_review(toml, force=True).outcomes[0].status == "ran"  # a later re-ingest: not refused again
    [warning] = stray()                                             # ... but the report says so
    assert warning.startswith("1 record(s)") and decided in warning and wos["title"].iloc[2][:20] in warning
    raw.write_bytes(original)
    assert run_review(toml).outcomes[0].status == "ran"             # restored: no flag needed
    assert not stray()

    _cut_first_record(raw)                                          # edited again, and the outputs deleted
    for name in ("ingest.parquet", "ingest.json"):
        (out / name).unlink()
    with pytest.raises(InputError, match="now name another record"):
        run_review(toml)


def test_the_guard_reads_what_decisions_were_made_on():
    from screening.identity import decided_records_changed

    cols = ["record_id", "title", "doi", "source_file"]
    on = pd.DataFrame([["a-1", "Wildfire smoke and asthma", "", "a.ris"],
                       ["a-2", "Heat waves and mortality", "", "a.ris"]], columns=cols)
    original = on.copy()
    edited = pd.DataFrame([["a-1", "Heat waves and mortality", "", "a.ris"]], columns=cols)
    # first change: moved and lost, with or without a previous ingest
    for old in (original, None):
        changed = decided_records_changed(old, edited, ["a-1", "a-2"], on)
        assert changed.moved == ("a-1",) and changed.lost == ("a-2",) and changed.files == ("a.ris",)
    # once let through (the previous ingest is the edited one): not refused again ...
    assert not decided_records_changed(edited, edited, ["a-1", "a-2"], on)
    # ... and restoring the original is no change either
    assert not decided_records_changed(edited, original, ["a-1", "a-2"], on)
    # without decided_on (an older log) the previous ingest alone decides, as before
    assert decided_records_changed(edited, original, ["a-1"]).moved == ("a-1",)


def _log(*events: tuple[str, str, str]) -> pd.DataFrame:
    """A decision log on record a-1: (reviewer, action, title the decision was made on)."""
    rows = []
    for i, (reviewer, action, title) in enumerate(events, 1):
        payload = json.dumps({"record": {"title": title, "doi": "", "file": "a.ris"}}) if action != "undo" else "{}"
        rows.append(dict(id=i, record_id="a-1", stage="title_abstract", reviewer=reviewer, role="screener",
                         action=action, reason="", note="", created_at="t", is_demo=0, payload=payload))
    return pd.DataFrame(rows)


def test_every_standing_decision_keeps_its_record():
    """Code review: only the latest decision's record was kept, so a second reviewer deciding
    after a change was let through hid the first reviewer's decision on the old record, and an
    undone decision's record outlived the undo."""
    from screening.decisions.entries import decided_on
    from screening.identity import decided_on_other_records, decided_records_changed

    cols = ["record_id", "title", "doi", "source_file"]
    a = pd.DataFrame([["a-1", "Wildfire smoke and asthma", "", "a.ris"]], columns=cols)
    b = pd.DataFrame([["a-1", "Heat waves and mortality", "", "a.ris"]], columns=cols)
    both = _log(("alice", "include", a.title[0]), ("bob", "include", b.title[0]))
    assert sorted(decided_on(both)["title"]) == sorted([a.title[0], b.title[0]])
    # alice's decision names another record now: the report says so, whichever came last
    assert decided_on_other_records(b, decided_on(both)) == [("a-1", a.title[0], b.title[0])]
    assert decided_on_other_records(a, decided_on(both)) == [("a-1", b.title[0], a.title[0])]
    # a re-ingest of the let-through state passes; restoring the export would move bob's decision
    assert not decided_records_changed(b, b, ["a-1"], decided_on(both))
    assert decided_records_changed(b, a, ["a-1"], decided_on(both)).moved == ("a-1",)
    # undone: only the standing decision's record counts
    undone = _log(("alice", "include", a.title[0]), ("alice", "exclude", b.title[0]), ("alice", "undo", ""))
    assert decided_on(undone)["title"].tolist() == [a.title[0]]
    assert not decided_records_changed(b, a, ["a-1"], decided_on(undone))


def test_a_plan_or_a_note_does_not_hold_an_id_for_the_guard(tmp_path):
    """UAT: ids with only a dual-screening plan's 'assign' events were compared with the
    previous (edited) ingest, so restoring the export after --allow-changed-sources was refused
    for 20 records nobody had decided on."""
    from screening.decisions import api

    toml = make_review(tmp_path)
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    table = read_table(out / "ingest.parquet")
    wos = table[table["source_file"].str.endswith("wos_5.ris")]["record_id"].tolist()
    api.assign(toml, "alice,bob", fraction=1.0, seed=1)                       # every record planned
    api.record_decision(toml, reviewer="alice", record_id=wos[1], action="note", note="check the protocol")
    raw = tmp_path / "data" / "raw" / "t" / "wos_5.ris"
    original = raw.read_bytes()
    _cut_first_record(raw)
    assert run_review(toml).outcomes[0].status == "ran"          # nothing decided: nothing to protect
    raw.write_bytes(original)
    assert run_review(toml).outcomes[0].status == "ran"


def test_a_reopened_dedup_pair_does_not_hold_its_ids(tmp_path):
    """Code review: a dedup-review pair whose latest decision is 'reopen' still held its ids,
    so an edited export was refused although no standing decision names them."""
    from screening.dedup.store import record_decision as record_pair

    toml = make_review(tmp_path)
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    wos = read_table(out / "ingest.parquet").query("source_file.str.endswith('wos_5.ris')")["record_id"].tolist()
    record_pair(out, wos[1], wos[2], "distinct", "carol")
    record_pair(out, wos[1], wos[2], "reopen", "carol")
    _cut_first_record(tmp_path / "data" / "raw" / "t" / "wos_5.ris")
    assert run_review(toml).outcomes[0].status == "ran"


def test_rules_edited_to_exclude_screened_records_are_refused(tmp_path):
    """Acceptance testing: a year rule tightened after screening took screened records (and
    included studies) out of the review with a warning at most. The run is refused now, names
    the records, and writes no rules table; `--allow-rule-changes` lets it through, warned."""
    from screening.decisions.store import Event, open_store

    toml = make_review(tmp_path, '\n[rules]\n[[rules.rule]]\nid = "years"\nreason = "Before 2005"\nyear = { min = 2005 }\n')
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    with open_store(out / "decisions.sqlite") as store:
        store.append([Event(record_id="wos_5-00003", stage=stage, reviewer="alice", action="include")
                      for stage in ("title_abstract", "full_text")]
                     + [Event(record_id="econlit_3-00002", stage="title_abstract", reviewer="alice",
                              action="exclude", reason="Not about fire")])

    # an edit that excludes only records nobody screened (the two from 2008) runs as before
    toml.write_text(toml.read_text(encoding="utf-8").replace("min = 2005", "min = 2010"), encoding="utf-8")
    ran = run_review(toml)
    assert ran.records["rule_decision"].eq("exclude").sum() == 2
    assert not any("screened" in w for o in ran.outcomes for w in o.report.warnings)

    # one that excludes the 2014 included study and the 2017 exclusion is refused
    toml.write_text(toml.read_text(encoding="utf-8").replace("min = 2010", "min = 2018"), encoding="utf-8")
    before = (out / "apply_rules.parquet").read_bytes()
    with pytest.raises(ConfigError) as err:
        run_review(toml)
    msg = str(err.value)
    assert "the edited rules would exclude 2 records people have already screened (econlit_3-00002, " \
           "wos_5-00003), " \
           "1 of them included studies: their decisions would stop counting" in msg
    assert "--allow-rule-changes" in msg and str(toml) in msg
    assert (out / "apply_rules.parquet").read_bytes() == before          # the old rules' table stands
    assert read_table(out / "apply_rules.csv")["rule_decision"].eq("exclude").sum() == 2

    result = run_review(toml, allow_changed_rules=True)
    rules = next(o for o in result.outcomes if o.stage == "apply_rules")
    assert any(w.endswith("their decisions would stop counting; let through with --allow-rule-changes")
               for w in rules.warnings), rules.warnings
    assert run_review(toml).outcomes[-1].status == "unchanged"           # accepted once, not asked again
    # the diagram's "removed before screening" box holds them: its footnote says when (UAT: it
    # did not, while the methods paragraph did)
    from screening.prisma.api import generate
    from screening.prisma.diagram import svg_texts

    svg = generate(toml).files["svg"].read_bytes()
    footer = " ".join(" ".join(svg_texts(svg)).split())
    assert "2 were already screened when the rules were changed, after title/abstract screening had begun" in footer, \
        footer

    # records the rules excluded before are not asked about again, and an undone decision is
    # none: an edit that newly excludes only the 2019 record, whose decision was taken back, runs
    with open_store(out / "decisions.sqlite") as store:
        store.append([Event(record_id="wos_5-00001", stage="title_abstract", reviewer="alice", action="include"),
                      Event(record_id="wos_5-00001", stage="title_abstract", reviewer="alice", action="undo")])
    toml.write_text(toml.read_text(encoding="utf-8").replace("min = 2018", "min = 2020"), encoding="utf-8")
    assert run_review(toml).records["rule_decision"].eq("exclude").sum() == 5


def test_what_the_rules_could_not_check_reaches_the_report(tmp_path, monkeypatch):
    """Acceptance testing: the report's Warnings section left out the rules stage's warning
    that a rule's field is empty in every record (so the rule decided every record by its
    ``missing`` setting), which is what the 'excluded by automation' box then counts."""
    import screening.prisma  # noqa: F401  (registers the PRISMA post step)

    monkeypatch.setattr(runner, "_load_post_steps", lambda: None)
    monkeypatch.setattr(runner, "POST_STEPS", {"prisma": screening.prisma.post_step})
    toml = make_review(tmp_path, '\n[rules]\n[[rules.rule]]\nid = "lang"\nreason = "Not in English"\n'
                                 'language = { any_of = ["english"] }\nmissing = "flag"\n')
    result = run_review(toml)
    said = "rule 'lang': no record has a language, so the rule was decided by missing = 'flag' for every record"
    rules = next(o for o in result.outcomes if o.stage == "apply_rules")
    assert said in rules.report.warnings
    assert not any(said in w for w in result.post["prisma"]["warnings"])      # `run` printed it once
    report = (tmp_path / "data" / "screened" / "t" / "prisma" / "report.md").read_text(encoding="utf-8")
    assert f"## Warnings\n\n- rules: {said}" in report
    prisma = json.loads((tmp_path / "data" / "screened" / "t" / "prisma" / "prisma.json").read_text())
    assert f"rules: {said}" in prisma["warnings"]


def test_a_stage_table_has_the_same_columns_in_the_same_order_whoever_ran_the_stages_before(tmp_path):
    """Acceptance testing: rank.csv's column order depended on the command that wrote it: a
    stage fed a table just made kept an export's own extra column (a labelled set's
    ``label_included``) before the later stages' columns, one fed its predecessor's table read
    back from disk had it last (schema order)."""
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "fixtures" / "ml" / "cohen_antihistamines_300.csv", raw / "a.csv")
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text('[review]\nname = "t"\n[[sources]]\nfile = "data/raw/a.csv"\ndatabase = "PubMed"\n'
                    '[dedup]\n[rules]\n[[rules.rule]]\nid = "old"\nreason = "Before 1990"\nyear = { min = 1990 }\n')
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    fresh = (out / "apply_rules.csv").read_text().splitlines()[0].split(",")
    assert "label_included" in fresh
    toml.write_text(toml.read_text().replace("min = 1990", "min = 1991"))    # only apply_rules re-runs
    assert [o.status for o in run_review(toml).outcomes][-1] == "ran"
    assert (out / "apply_rules.csv").read_text().splitlines()[0].split(",") == fresh
    assert fresh == list(pd.read_parquet(out / "apply_rules.parquet").columns)


def test_an_update_export_of_the_same_name_never_takes_the_first_searchs_ids(tmp_path):
    """UAT (review update): record ids come from file names, numbered when two share one. An
    update's `pubmed.ris` listed above the first search's took `pubmed`, renumbered the first
    search as `pubmed_2-...`, and a logged include silently moved to the update's copy. A file
    the previous ingest knew keeps its stem, wherever the new one is listed."""
    from screening.decisions import api

    raw = tmp_path / "data" / "raw" / "t"
    (raw / "2022").mkdir(parents=True)
    (raw / "2023").mkdir()
    shutil.copy(FIXTURES / "wos_5.ris", raw / "2022" / "pubmed.ris")
    shutil.copy(FIXTURES / "econlit_3.ris", raw / "2023" / "pubmed.ris")
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "t.toml"
    first = '[[sources]]\nfile = "data/raw/t/2022/pubmed.ris"\ndatabase = "PubMed"\n'
    toml.write_text('[review]\nname = "t"\n\n' + first, encoding="utf-8")
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    before = read_table(out / "ingest.parquet")[["record_id", "title", "source_file"]]
    assert before["record_id"].str.startswith("pubmed-").all()
    api.record_decision(toml, reviewer="alice", record_id="pubmed-00003", action="include")

    update = '[[sources]]\nfile = "data/raw/t/2023/pubmed.ris"\ndatabase = "PubMed"\n'
    toml.write_text('[review]\nname = "t"\n\n' + update + first, encoding="utf-8")
    run_review(toml)
    after = read_table(out / "ingest.parquet")
    kept = after[after["source_file"] == "data/raw/t/2022/pubmed.ris"][["record_id", "title", "source_file"]]
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), before.reset_index(drop=True))
    new = after[after["source_file"] == "data/raw/t/2023/pubmed.ris"]["record_id"]
    assert len(new) == 3 and new.str.startswith("pubmed_2-").all()
    # and the same again with nothing changed, and after --force
    assert run_review(toml).outcomes[0].status == "unchanged"
    run_review(toml, force=True)
    assert read_table(out / "ingest.parquet")["record_id"].tolist() == after["record_id"].tolist()


def test_id_stems_keep_known_files_and_number_new_ones_past_them():
    from screening.identity import previous_id_stems
    from screening.stages.ingest import RawSource, id_stems

    def src(name: str, **kw) -> RawSource:
        return RawSource(name=name, data=b"", **kw)

    # no history: numbered in listing order, as before
    assert id_stems([src("a/pubmed.ris"), src("b/pubmed.ris"), src("c/pubmed.ris")]) == \
        ["pubmed", "pubmed_2", "pubmed_3"]
    # a known file keeps its stem wherever it is listed; a new one goes past every stem held
    assert id_stems([src("new/pubmed.ris"), src("old/pubmed.ris"),
                     src("x/pubmed_2.ris")], kept={"old/pubmed.ris": "pubmed"}) == ["pubmed_2", "pubmed", "pubmed_2_2"]
    # a search page's own stem is held too
    assert id_stems([src("s.ris", id_prefix="s"), src("s.ris")]) == ["s", "s_2"]
    old = pd.DataFrame({"record_id": ["pubmed-00001", "pubmed-00002", "pubmed_2-00001", "rec7", "x-00001", "y-00001"],
                        "source_file": ["old.ris", "old.ris", "new.ris", "own_ids.csv", "mixed.csv", "mixed.csv"]})
    # a file whose ids carry no stem, or two stems, keeps nothing
    assert previous_id_stems(old) == {"old.ris": "pubmed", "new.ris": "pubmed_2"}
    assert previous_id_stems(None) == {} and previous_id_stems(old.iloc[:0]) == {}


def test_an_export_moved_as_it_was_keeps_its_decisions(tmp_path):
    """Review of the source-file check: an export moved to another folder with its bytes unchanged
    (the TOML updated) was refused as if its decided records had moved, and once let through the
    report warned on every run that the decisions named another record."""
    from screening.config import load_review
    from screening.decisions import api
    from screening.prisma.state import load_state

    toml = make_review(tmp_path)
    run_review(toml)
    table = read_table(tmp_path / "data" / "screened" / "t" / "ingest.parquet")
    decided = table.loc[table["source_file"] == "data/raw/t/wos_5.ris", "record_id"].iloc[2]
    api.record_decision(toml, reviewer="alice", record_id=decided, action="include")
    raw = tmp_path / "data" / "raw" / "t"
    (raw / "2024").mkdir()
    (raw / "wos_5.ris").rename(raw / "2024" / "wos_5.ris")
    toml.write_text(toml.read_text().replace('file = "data/raw/t/wos_5.ris"', 'file = "data/raw/t/2024/wos_5.ris"'))
    assert run_review(toml).outcomes[0].status == "ran"              # not refused
    after = read_table(tmp_path / "data" / "screened" / "t" / "ingest.parquet").set_index("record_id")
    assert after.loc[decided, "source_file"] == "data/raw/t/2024/wos_5.ris"
    assert not [w for w in load_state(load_review(toml)).warnings if "than the one decided on" in w]
    # renamed as it was: the ids follow the file (they come from file names)
    (raw / "2024" / "wos_5.ris").rename(raw / "2024" / "wos_search.ris")
    toml.write_text(toml.read_text().replace("2024/wos_5.ris", "2024/wos_search.ris"))
    assert run_review(toml).outcomes[0].status == "ran"
    after = read_table(tmp_path / "data" / "screened" / "t" / "ingest.parquet").set_index("record_id")
    assert after.loc[decided, "source_file"] == "data/raw/t/2024/wos_search.ris"


def test_two_tomls_with_one_review_name_cannot_share_its_folder(tmp_path):
    """Acceptance testing: a TOML copied to start a sibling review, its [review] name unchanged,
    wrote into the first review's folder: its decisions counted in the first review, and each
    run overwrote the other's outputs. The folder records its TOML; another is refused."""
    from screening.config import load_review

    toml = make_review(tmp_path)
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    assert (out / "review_toml.txt").read_text(encoding="utf-8").strip() == "../../../pipelines/t.toml"
    sibling = toml.with_name("sibling.toml")
    shutil.copy(toml, sibling)
    before = (out / "ingest.json").read_bytes()
    for call in (load_review, run_review):
        with pytest.raises(ConfigError, match="holds the outputs and decision log of another review") as err:
            call(sibling)
        assert err.value.line == 2 and "own [review] name" in str(err.value)       # the name's line
    assert (out / "ingest.json").read_bytes() == before
    # a TOML renamed (the recorded one gone) takes its folder over
    toml.unlink()
    run_review(sibling)
    assert (out / "review_toml.txt").read_text(encoding="utf-8").strip() == "../../../pipelines/sibling.toml"
    # dedup-review given the review's folder (not its TOML) names the review's run to apply answers
    from screening.dedup.review_queue import resolve_target

    assert resolve_target(out)[2] == f"screening run {sibling}"


def test_a_run_removes_the_temporary_files_a_killed_run_left(tmp_path):
    """Acceptance testing: SIGKILL while a stage wrote its CSV left `.dedup.csv.XXXX.tmp` (up to
    ~16 MB) in the folder for good; a run now removes such files once they are old (a write
    takes seconds; another process may be writing its own now)."""
    import os
    import time

    toml = make_review(tmp_path)
    run_review(toml)
    out = tmp_path / "data" / "screened" / "t"
    old, fresh, other = out / ".ingest.csv.k3j2.tmp", out / ".ingest.parquet.a1b2.tmp", out / ".notes.txt.x.tmp"
    # a stage's new tables, written beside the old ones before the renames (and their temporaries)
    new_table, new_temp = out / ".ingest.new.parquet", out / "..ingest.new.csv.q9w8.tmp"
    for path in (old, fresh, other, new_table, new_temp):
        path.write_bytes(b"partial")
    hour_ago = time.time() - 3600
    for path in (old, other, new_table, new_temp):
        os.utime(path, (hour_ago, hour_ago))
    run_review(toml)
    assert not old.exists() and fresh.exists() and other.exists()     # only old temp files of outputs
    assert not new_table.exists() and not new_temp.exists()


def test_a_rule_that_could_check_few_records_is_said_in_the_run_and_the_methods(tmp_path, monkeypatch):
    """Acceptance testing: a language rule where 1 of 499 records gives a language excluded
    "Not in English, n = 1"; only `rules check` said it checked nothing else, and the methods
    paragraph read as an English-only restriction applied to every record."""
    import screening.prisma  # noqa: F401  (registers the PRISMA post step)

    monkeypatch.setattr(runner, "_load_post_steps", lambda: None)
    monkeypatch.setattr(runner, "POST_STEPS", {"prisma": screening.prisma.post_step})
    toml = make_review(tmp_path, '\n[rules]\n[[rules.rule]]\nid = "lang"\nreason = "Not in English"\n'
                                 'language = { not_in = ["english"] }\n'
                                 '[[rules.rule]]\nid = "old_foreign"\nreason = "Old and not in English"\n'
                                 'language = { not_in = ["english"] }\nyear = { min = 2010 }\n')
    export = tmp_path / "data" / "raw" / "t" / "econlit_3.ris"
    export.write_text(export.read_text(encoding="utf-8").replace("TY  - JOUR\n", "TY  - JOUR\nLA  - French\n", 1),
                      encoding="utf-8")
    result = run_review(toml)
    rules = next(o for o in result.outcomes if o.stage == "apply_rules")
    assert rules.report.reasons == {"Not in English": 1}
    said = next(r for r in rules.report.details["rules"] if r["id"] == "lang")
    assert (said["unchecked"], said["unchecked_fields"]) == (7, ["language"])
    # a rule of two conditions: a record the year condition decided is no unchecked record
    # (review of the change: 9 of 10 were reported unchecked where all 10 were decided)
    assert "unchecked" not in next(r for r in rules.report.details["rules"] if r["id"] == "old_foreign")
    assert not any("old_foreign" in w and "checked only" in w for w in rules.report.warnings)
    assert ("rule 'lang': 7 of 8 records have no language, so it checked only the other 1 (missing = \"keep\" "
            "leaves the rest to the screeners; missing = \"flag\" lists them)") in rules.report.warnings
    report = (tmp_path / "data" / "screened" / "t" / "prisma" / "report.md").read_text(encoding="utf-8")
    assert ("Predefined eligibility rules marked 1 record as ineligible before screening (Not in English, n = 1). "
            "Records lacking the field a rule tests were left to the screeners: the rule “Not in English” could "
            "not check 7 of the 8 records (no language).") in " ".join(report.split())


def test_a_rule_removed_after_screening_began_is_said_in_the_methods(tmp_path, monkeypatch):
    """Acceptance testing: a 'thesis' rule dropped after screening sent its 6 records back to
    the screeners with no flag needed, and the methods paragraph still read "Predefined
    eligibility rules marked 25 records as ineligible before screening"."""
    import screening.prisma  # noqa: F401  (registers the PRISMA post step)
    from screening.decisions.store import Event, open_store

    monkeypatch.setattr(runner, "_load_post_steps", lambda: None)
    monkeypatch.setattr(runner, "POST_STEPS", {"prisma": screening.prisma.post_step})
    rules = ('\n[rules]\n[[rules.rule]]\nid = "years"\nreason = "Before 2010"\nyear = { min = 2010 }\n'
             '[[rules.rule]]\nid = "recent"\nreason = "After 2021"\nyear = { max = 2021 }\n')
    toml = make_review(tmp_path, rules)
    out = tmp_path / "data" / "screened" / "t"

    def methods() -> str:
        return " ".join((out / "prisma" / "report.md").read_text(encoding="utf-8").split())

    run_review(toml)
    assert "Predefined eligibility rules marked 5 records as ineligible before screening" in methods()
    with open_store(out / "decisions.sqlite") as store:
        store.append([Event(record_id="wos_5-00001", stage="title_abstract", reviewer="alice", action="include")])
    run_review(toml)      # a run after screening began, rules as they were: still predefined
    assert "Predefined eligibility rules marked 5 records" in methods()

    toml.write_text(toml.read_text(encoding="utf-8").replace(
        '[[rules.rule]]\nid = "years"\nreason = "Before 2010"\nyear = { min = 2010 }\n', ""), encoding="utf-8")
    run_review(toml)
    text = methods()
    assert "Predefined" not in text
    assert ("Eligibility rules marked 3 records as ineligible (After 2021, n = 3); the rules were changed after "
            "title/abstract screening had begun (rule 'years' removed: it had excluded 2 records).") in text, text

    toml.write_text(toml.read_text(encoding="utf-8").replace("max = 2021", "max = 2030"), encoding="utf-8")
    run_review(toml)
    assert ("No records are marked as ineligible by automation tools; the rules were changed after title/abstract "
            "screening had begun (rule 'years' removed: it had excluded 2 records; rule 'recent' changed).") in methods()


def test_rules_added_after_screening_began_without_a_rules_stage_are_not_predefined(tmp_path, monkeypatch):
    """Review of the change: a [rules] section added once screening had begun (no rules stage
    before) was still called "Predefined ... before screening"."""
    import screening.prisma  # noqa: F401  (registers the PRISMA post step)
    from screening.decisions.store import Event, open_store

    monkeypatch.setattr(runner, "_load_post_steps", lambda: None)
    monkeypatch.setattr(runner, "POST_STEPS", {"prisma": screening.prisma.post_step})
    toml = make_review(tmp_path)
    out = tmp_path / "data" / "screened" / "t"
    run_review(toml)
    with open_store(out / "decisions.sqlite") as store:
        store.append([Event(record_id="wos_5-00001", stage="title_abstract", reviewer="alice", action="include")])
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[rules]\n[[rules.rule]]\nid = "years"\nreason = "Before 2010"\n'
                    'year = { min = 2010 }\n', encoding="utf-8")
    run_review(toml)
    text = " ".join((out / "prisma" / "report.md").read_text(encoding="utf-8").split())
    assert "Predefined" not in text
    assert ("the rules were changed after title/abstract screening had begun (rule 'years' added)") in text, text
