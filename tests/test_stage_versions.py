"""Outputs another version of screening made (acceptance 36a: upgrading mid-review).

An older version's outputs are simulated on the demo review's real exports by editing what a
run stores: the report's tool_version/stage_version (and its input hash, which the runner keys
the cache with and which includes the version), and the stored table as the older version left
it (a duplicate it missed, a record its rules excluded).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import screening.runner as runner
from screening import __version__
from screening.config import load_review
from screening.errors import ConfigError, InputError
from screening.records import read_table, write_table
from screening.runner import run_review
from screening.stage import STAGES, StageReport
from screening.stage_versions import ingest_version_of, is_newer, version_key
from screening.stages.ingest import VERSION as INGEST_VERSION

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = Path(__file__).parent / "fixtures" / "exports"
OLD = "0.14.0"


@pytest.fixture(autouse=True)
def no_post_steps(monkeypatch):
    # the PRISMA outputs are generated where a test needs them
    monkeypatch.setattr(runner, "_load_post_steps", lambda: None)
    monkeypatch.setattr(runner, "POST_STEPS", {})


def demo(tmp_path: Path) -> Path:
    (tmp_path / "pipelines").mkdir()
    shutil.copy(ROOT / "pipelines" / "demo.toml", tmp_path / "pipelines" / "demo.toml")
    shutil.copytree(ROOT / "data" / "raw" / "demo", tmp_path / "data" / "raw" / "demo")
    return tmp_path / "pipelines" / "demo.toml"


def edit_report(out: Path, stage: str, **fields) -> None:
    path = out / f"{stage}.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    for key, value in fields.items():
        if value is None:
            report.pop(key, None)
        else:
            report[key] = value
    path.write_text(json.dumps(report), encoding="utf-8")


def as_older_version(out: Path, stage: str, tool: str = OLD, stage_version: str | None = None) -> None:
    """The stage's stored report as another version wrote it: its version, and a cache key
    this version does not make (the key includes the version)."""
    edit_report(out, stage, tool_version=tool, stage_version=stage_version, input_hash="0" * 64)


def test_reports_and_history_name_the_stage_version(tmp_path):
    toml = demo(tmp_path)
    result = run_review(toml)
    versions = {o.stage: o.report.stage_version for o in result.outcomes}
    assert versions == {"ingest": INGEST_VERSION, "dedup": STAGES["dedup"].version,
                        "apply_rules": STAGES["apply_rules"].version, "rank": STAGES["rank"].version}
    for stage, version in versions.items():
        assert json.loads((result.output_dir / f"{stage}.json").read_text())["stage_version"] == version
    history = [json.loads(line) for line in (result.output_dir / "history.jsonl").read_text().splitlines()]
    assert {h["stage"]: h["report"]["stage_version"] for h in history} == versions
    # a report written before the field reads as unknown
    assert StageReport.from_dict({"stage": "dedup", "records_in": 1, "records_out": 1}).stage_version == ""


def test_a_rebuild_over_an_older_versions_output_says_whose_it_was_and_what_changed(tmp_path):
    """M1: after an upgrade `run` re-ran every stage and said only "ran"; a duplicate the old
    version missed came back to screening beside the included study without a word."""
    from screening.decisions import api

    toml = demo(tmp_path)
    out = run_review(toml).output_dir
    dedup = read_table(out / "dedup.parquet")
    copy = dedup[dedup["duplicate_of"] != ""].iloc[0]
    kept = copy["duplicate_of"]
    api.record_decision(toml, reviewer="alice", record_id=kept, action="include")
    run_review(toml)

    # as 0.14 left them: the copy not linked, the included record excluded by its rules
    old = dedup.copy()
    old.loc[old["record_id"] == copy["record_id"], ["duplicate_of", "dup_group"]] = ["", copy["record_id"]]
    write_table(old, out / "dedup.parquet")
    as_older_version(out, "dedup", stage_version="10")
    rules = read_table(out / "apply_rules.parquet")
    assert rules.set_index("record_id").loc[kept, "rule_decision"] == "include"
    rules.loc[rules["record_id"] == kept, "rule_decision"] = "exclude"
    write_table(rules, out / "apply_rules.parquet")
    as_older_version(out, "apply_rules")          # a report from before stage_version: unknown

    result = run_review(toml)
    said = {o.stage: o.warnings for o in result.outcomes}
    assert (f"made by screening {OLD} (dedup stage 10), rebuilt with {__version__} "
            f"(dedup stage {STAGES['dedup'].version})") in said["dedup"]
    [changed] = [w for w in said["dedup"] if "changed duplicate status" in w]
    assert changed.startswith("1 record changed duplicate status with this version (1 of them involves a record "
                              "people have decided on")
    assert f"{copy['record_id']} “{copy['title'][:30]}" in changed and f"(now a duplicate of {kept})" in changed
    assert f"made by screening {OLD}, rebuilt with {__version__} (apply_rules stage " in said["apply_rules"][-2]
    assert said["apply_rules"][-1].startswith(f"1 record changed rule outcome with this version (1 of them involves")
    assert f"{kept} “" in said["apply_rules"][-1] and "(exclude -> include)" in said["apply_rules"][-1]
    assert not [w for w in said["ingest"] + said["rank"] if "rebuilt with" in w]     # this version's outputs
    # kept in the report and the history for the audit trail, and said once
    stored = json.loads((out / "dedup.json").read_text())
    assert changed in stored["run_notes"]
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert changed in [h for h in history if h["stage"] == "dedup"][-1]["report"]["run_notes"]
    again = run_review(toml)
    assert {o.status for o in again.outcomes} == {"unchanged"}
    assert not [w for o in again.outcomes for w in o.warnings if "rebuilt with" in w or "changed" in w]


def test_read_only_commands_and_the_methods_name_the_version_that_made_the_outputs(tmp_path):
    """M3: right after an upgrade, status, prisma and export read 0.14's tables without a word,
    and the methods credited 0.14's deduplication to the running version."""
    from screening.decisions import api
    from screening.export import export_records
    from screening.prisma import generate
    from screening.prisma.state import load_state

    toml = demo(tmp_path)
    out = run_review(toml).output_dir
    table = read_table(out / "rank.parquet")
    record = table.loc[(table["duplicate_of"] == "") & (table["rule_decision"] == "include"), "record_id"].iloc[0]
    api.record_decision(toml, reviewer="alice", record_id=record, action="include")
    assert not [w for w in load_state(load_review(toml)).warnings if "made by screening" in w]
    for stage in ("ingest", "dedup", "rank"):
        edit_report(out, stage, tool_version=OLD, stage_version=None)
    edit_report(out, "apply_rules", tool_version="0.17.0", stage_version=None)

    [warning] = [w for w in load_state(load_review(toml)).warnings if "made by screening" in w]
    assert warning.startswith(f"the stage outputs were made by screening {OLD} (ingest, dedup, rank); "
                              "made by screening 0.17.0 (apply_rules), not by this version")
    assert f"`screening run {load_review(toml).command_ref()}` rebuilds them with {__version__}" in warning
    exported = export_records(toml, tmp_path / "out.csv")
    assert warning in exported.warnings
    report = (generate(toml, tmp_path / "prisma").files["md"]).read_text(encoding="utf-8")
    assert f"deduplication stage of screening {OLD}," in report and f"screening {__version__}," not in report
    assert "The eligibility rules were applied with screening 0.17.0 and the records were ranked with " \
           f"screening {OLD}." in report


def test_outputs_of_a_newer_version_are_not_rebuilt_unasked(tmp_path):
    """M4: an older version rebuilt a newer one's outputs without a word, undoing its fixes.
    0.100.0 is newer than 0.21.0 (compared as numbers, not as text)."""
    from screening.prisma.state import load_state

    toml = demo(tmp_path)
    out = run_review(toml).output_dir
    edit_report(out, "rank", tool_version="0.100.0")
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    with pytest.raises(ConfigError) as err:
        run_review(toml)
    assert "made by screening 0.100.0, newer than this version" in str(err.value)
    assert "upgrade screening" in err.value.hint and "--force" in err.value.hint and "undoing" in err.value.hint
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before      # nothing written
    [warning] = [w for w in load_state(load_review(toml)).warnings if "made by screening" in w]
    assert "made by screening 0.100.0 (rank stage" in warning and "use screening 0.100.0 or later" in warning
    forced = run_review(toml, force=True)                                     # the team's explicit choice
    [note] = [w for w in forced.outcomes[-1].warnings if "rebuilt with" in w]
    assert note.startswith("made by screening 0.100.0") and "an older version" in note


def test_versions_compare_as_numbers():
    assert is_newer("0.21.0", "0.9.1") and not is_newer("0.9.1", "0.21.0")
    assert version_key("0.21") == version_key("0.21.0") and not is_newer("0.21.0", "0.21")
    assert is_newer("1.0.0.dev1", "0.21.0") and not is_newer("", "0.21.0") and not is_newer("unknown", "0.1")


def test_the_ingest_version_of_an_older_report_is_read_from_its_hash():
    raw = hashlib.sha256(b"files").hexdigest()
    stored = {"tool_version": OLD, "input_hash": hashlib.sha256(f"ingest:7:{OLD}:{raw}".encode()).hexdigest()}
    assert ingest_version_of(stored, raw, upto=50) == "7"
    assert ingest_version_of(stored, hashlib.sha256(b"other files").hexdigest(), upto=50) == ""
    assert ingest_version_of({**stored, "stage_version": "8"}, raw, upto=50) == "8"


def test_a_reader_fix_that_renumbers_decided_ids_is_not_blamed_on_the_export(tmp_path):
    """M2: the old WoS reader merged a record that lost its ER line into the next one; this
    version reads it on its own, so every later id moves. The export is byte for byte the one
    the decisions were made on: the refusal said to restore it."""
    from screening.decisions import api

    raw = tmp_path / "data" / "raw" / "r"
    raw.mkdir(parents=True)
    broken = (EXPORTS / "wos_revtools_no_er.ciw").read_text(encoding="utf-8")
    more = (EXPORTS / "wos_revtools.ciw").read_text(encoding="utf-8")
    export = raw / "wos.ciw"             # the record without ER, its neighbour, then two more
    export.write_text(broken[:broken.rindex("EF")] + more[more.index("PT J"):], encoding="utf-8")
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "r.toml"
    toml.write_text('[review]\nname = "r"\n\n[[sources]]\nfile = "data/raw/r/wos.ciw"\n', encoding="utf-8")
    out = run_review(toml).output_dir
    table = read_table(out / "ingest.parquet")
    assert len(table) == 4

    # as 0.14 (ingest 7) read it: the second record merged into the first, the ids after it one lower
    old = table.drop(index=1).reset_index(drop=True)
    old["record_id"] = [f"wos-{i:05d}" for i in range(1, len(old) + 1)]
    sha = write_table(old, out / "ingest.parquet")
    write_table(old, out / "ingest.csv")
    edit_report(out, "ingest", tool_version=OLD, stage_version="7", input_hash="0" * 64, table_sha256=sha,
                records_out=3)
    api.record_decision(toml, reviewer="alice", record_id="wos-00002", action="include")
    api.record_decision(toml, reviewer="alice", record_id="wos-00003", action="include")

    before = (out / "ingest.parquet").read_bytes()
    with pytest.raises(InputError) as err:
        run_review(toml)
    message = err.value.message
    assert message.startswith("2 decided record id(s) now name another record (e.g. wos-00002): the exports are "
                              "unchanged since the last ingest (byte for byte), but this version reads them "
                              f"differently (ingest stage 7 -> {INGEST_VERSION}, screening {OLD} -> {__version__})")
    assert "has no ER line" in message                       # the new read's warning says why
    assert "restore" not in str(err.value)
    assert f"keep using screening {OLD}" in err.value.hint and "--allow-changed-sources" in err.value.hint
    assert "counts for the record that has the id now" in err.value.hint
    assert (out / "ingest.parquet").read_bytes() == before    # nothing written

    result = run_review(toml, allow_changed_sources=True)
    assert any("unchanged since the last ingest" in w and w.endswith("let through with --allow-changed-sources")
               for w in result.outcomes[0].warnings)


def test_a_title_with_braces_is_named_as_it_is():
    """Release review: the change note was built with str.format over text holding the records'
    titles, so a BibTeX title with braces ('{A}', '{0}') raised KeyError and stopped the run."""
    from screening.stage_versions import decided_changes

    before = pd.DataFrame({"record_id": ["a"], "duplicate_of": [""]})
    after = pd.DataFrame({"record_id": ["a"], "duplicate_of": ["b"], "title": ["Sets {A} and {0} in BibTeX"]})
    said = decided_changes("dedup", before, after, {"a"})
    assert "“Sets {A} and {0} in BibTeX” (now a duplicate of b)" in said
    assert said.endswith("the PRISMA counts change with it")
