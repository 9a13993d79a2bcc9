"""Read-only commands say when the review's TOML no longer matches its last run.

Acceptance testing: a source added to the TOML without a run was listed in the methods
paragraph beside the old record counts, and a rule edited without a run was still counted
under its old reason in `prisma` and `export`, with exit 0 and no word of either.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.config import load_review
from screening.last_run import config_drift

FIX = Path(__file__).resolve().parent / "fixtures" / "ml" / "cohen_antihistamines_300.csv"
TOML = """[review]
name = "t"
[[sources]]
file = "data/raw/a.csv"
database = "PubMed"
date_searched = "2024-01-10"
[rules]
[[rules.rule]]
id = "animals"
reason = "Animal study"
query = 'ti:(rat OR rats OR mice)'
"""


def _cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args), env={"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"})
    if res.exception and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, " ".join(res.output.split())


def _two_exports_run(tmp_path: Path, monkeypatch) -> Path:
    """A review of a.csv (b.csv beside it, for a source added later), run once; its TOML."""
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "data" / "raw").mkdir(parents=True)
    data = pd.read_csv(FIX, dtype=str, keep_default_na=False)
    data.iloc[:200].to_csv(tmp_path / "data" / "raw" / "a.csv", index=False)
    data.iloc[200:].to_csv(tmp_path / "data" / "raw" / "b.csv", index=False)
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text(TOML)
    monkeypatch.chdir(tmp_path)
    assert _cli("run", "pipelines/t.toml")[0] == 0
    return toml


def test_prisma_and_export_warn_when_the_toml_changed_since_the_last_run(tmp_path: Path, monkeypatch) -> None:
    toml = _two_exports_run(tmp_path, monkeypatch)
    assert config_drift(load_review(toml)) == []
    code, out = _cli("export", "pipelines/t.toml", "-o", "x.csv")
    assert code == 0 and "no longer matches" not in out

    toml.write_text(TOML.replace("[rules]", '[[sources]]\nfile = "data/raw/b.csv"\ndatabase = "Embase"\n[rules]')
                    .replace("rats OR mice", "rats OR mice OR murine"))
    drift = config_drift(load_review(toml))
    assert drift == ["[[sources]] added or changed since the last run (data/raw/b.csv)",
                     "the apply_rules settings changed since the last run"]
    code, out = _cli("prisma", "pipelines/t.toml")
    assert code == 0 and "no longer matches its last run" in out and "run `screening run pipelines/t.toml`" in out
    doc = json.loads((tmp_path / "data" / "screened" / "t" / "prisma" / "prisma.json").read_text())
    assert any("the apply_rules settings changed" in w for w in doc["warnings"])
    code, out = _cli("export", "pipelines/t.toml", "-o", "x.csv")
    assert code == 0 and "[[sources]] added or changed" in out

    assert _cli("run", "pipelines/t.toml")[0] == 0          # brought up to date: nothing to say
    assert config_drift(load_review(toml)) == []


def test_a_stage_enabled_but_never_run_is_drift(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "data" / "raw").mkdir(parents=True)
    shutil.copy(FIX, tmp_path / "data" / "raw" / "a.csv")
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text(TOML.split("[rules]")[0])
    monkeypatch.chdir(tmp_path)
    assert _cli("run", "pipelines/t.toml")[0] == 0
    toml.write_text(TOML)
    assert config_drift(load_review(toml)) == ["the apply_rules stage has not run"]


def test_outputs_left_by_an_interrupted_run_are_called_out_of_date(tmp_path: Path, monkeypatch) -> None:
    """Acceptance testing: a run killed after ingest wrote the new source's records but before
    the later stages did left `prisma`, `export` and `status` reading the later stages' older
    tables (the new source missing from the counts) without a word."""
    import screening.runner as runner
    from screening.last_run import unfinished_run

    toml = _two_exports_run(tmp_path, monkeypatch)
    assert unfinished_run(load_review(toml)) == []

    toml.write_text(TOML.replace("[rules]", '[[sources]]\nfile = "data/raw/b.csv"\ndatabase = "Embase"\n[rules]'))
    write = runner._write_stage

    def interrupted(output_dir, name, *args, **kwargs):
        if name == "apply_rules":
            raise KeyboardInterrupt
        return write(output_dir, name, *args, **kwargs)

    monkeypatch.setattr(runner, "_write_stage", interrupted)
    try:
        runner.run_review(toml)
    except KeyboardInterrupt:
        pass
    monkeypatch.setattr(runner, "_write_stage", write)
    review = load_review(toml)
    assert config_drift(review) == []              # the TOML matches what ingest read ...
    assert unfinished_run(review) == ["the apply_rules output was made from an older ingest output"]
    code, out = _cli("prisma", "pipelines/t.toml")
    assert code == 0 and "the last run did not finish" in out and "run `screening run pipelines/t.toml`" in out
    code, out = _cli("export", "pipelines/t.toml", "-o", "x.csv")
    assert code == 0 and "the last run did not finish" in out
    code, out = _cli("status", "pipelines/t.toml")              # status said nothing of it
    assert code == 0 and "the last run did not finish" in out and "title_abstract" in out
    code, out = _cli("status", "pipelines/t.toml", "--json")
    assert code == 0 and "the last run did not finish" in out

    assert _cli("run", "pipelines/t.toml")[0] == 0           # finished: nothing to say
    assert unfinished_run(load_review(toml)) == []
    code, out = _cli("status", "pipelines/t.toml")
    assert code == 0 and "warning" not in out


def test_an_export_beside_the_sources_that_no_source_lists_is_named(tmp_path: Path, monkeypatch) -> None:
    """Acceptance testing: an export saved into the review's raw folder but never added to
    [[sources]] was left out of every count with no word (every stage 'unchanged')."""
    from screening.review_checks import unlisted_exports

    raw = tmp_path / "data" / "raw" / "t"
    raw.mkdir(parents=True)
    (tmp_path / "pipelines").mkdir()
    data = pd.read_csv(FIX, dtype=str, keep_default_na=False)
    data.iloc[:200].to_csv(raw / "a.csv", index=False)
    data.iloc[200:].to_csv(raw / "b.csv", index=False)                     # saved, never listed
    (raw / "README.txt").write_text("what these files are\n")
    (raw / "search strategy.txt").write_text("#1 gambling[tiab]\n#2 #1 AND adolescents\n")   # no export
    (raw / "searches").mkdir()                                              # `screening search` pages
    (raw / "searches" / "page-0001.json").write_text("{}")
    (tmp_path / "data" / "raw" / "other.csv").write_text((raw / "b.csv").read_text())   # not this review's folder
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text(TOML.replace("data/raw/a.csv", "data/raw/t/a.csv"))
    monkeypatch.chdir(tmp_path)
    assert _cli("run", "pipelines/t.toml")[0] == 0
    assert [p.name for p in unlisted_exports(load_review(toml))] == ["b.csv"]
    code, out = _cli("prisma", "pipelines/t.toml")
    assert code == 0 and "1 export file beside the review's sources is not in its [[sources]] (data/raw/t/b.csv)" in out
    doc = json.loads((tmp_path / "data" / "screened" / "t" / "prisma" / "prisma.json").read_text())
    assert any("data/raw/t/b.csv" in w for w in doc["warnings"])
    for command in (("status", "pipelines/t.toml"), ("run", "pipelines/t.toml"),
                    ("export", "pipelines/t.toml", "-o", "x.csv")):
        code, out = _cli(*command)
        assert code == 0 and "data/raw/t/b.csv" in out, command

    # another review of the project screening b.csv from the same folder: not forgotten
    other = tmp_path / "pipelines" / "u.toml"
    other.write_text('[review]\nname = "u"\n[[sources]]\nfile = "data/raw/t/b.csv"\ndatabase = "Embase"\n')
    assert unlisted_exports(load_review(toml)) == []
    other.write_text("[review\nbroken")                     # a TOML that does not parse lists nothing
    assert [p.name for p in unlisted_exports(load_review(toml))] == ["b.csv"]
    other.unlink()
    toml.write_text(toml.read_text().replace("[rules]", '[[sources]]\nfile = "data/raw/t/b.csv"\n'
                                             'database = "Embase"\n[rules]'))
    assert unlisted_exports(load_review(toml)) == []
    code, out = _cli("run", "pipelines/t.toml")
    assert code == 0 and "[[sources]] (" not in out


def test_an_export_edited_in_place_or_missing_is_said_by_run_and_the_read_only_commands(tmp_path: Path,
                                                                                          monkeypatch) -> None:
    """Acceptance testing: a record appended to an ingested export, and titles retyped, went
    through `run` in silence (the file's hash in ingest.json changed), and `status`, `prisma`
    and `export` reported the old table with no word, also with the export deleted."""
    import os

    _two_exports_run(tmp_path, monkeypatch)
    code, out = _cli("status", "pipelines/t.toml")
    assert code == 0 and "changed since the last run" not in out
    raw = tmp_path / "data" / "raw" / "a.csv"
    original = raw.read_bytes()
    extra = (tmp_path / "data" / "raw" / "b.csv").read_text().splitlines()[1]
    raw.write_text(raw.read_text() + extra + "\n")               # one more record, appended by hand
    later = (tmp_path / "data" / "screened" / "t" / "ingest.json").stat().st_mtime + 5
    os.utime(raw, (later, later))
    for command in (("status", "pipelines/t.toml"), ("prisma", "pipelines/t.toml"),
                    ("export", "pipelines/t.toml", "-o", "x.csv")):
        code, out = _cli(*command)
        assert code == 0 and "1 of the review's exports is changed since the last run (data/raw/a.csv)" in out, out
        assert "exports are kept as received" in out
    code, out = _cli("run", "pipelines/t.toml")
    assert code == 0 and "1 export changed since the last ingest (data/raw/a.csv)" in out, out
    report = json.loads((tmp_path / "data" / "screened" / "t" / "ingest.json").read_text())
    assert any("changed since the last ingest" in w for w in report["run_notes"])   # on record
    # said once (acceptance testing: the reused ingest.json repeated it on every later run)
    code, out = _cli("run", "pipelines/t.toml")
    assert code == 0 and "changed since" not in out, out
    # nor is it part of the review's state: `run --force` on the same data keeps the citation's hash
    from screening.config import load_review
    from screening.prisma.state import load_state

    noted = load_state(load_review(tmp_path / "pipelines" / "t.toml")).state_hash
    assert _cli("run", "pipelines/t.toml", "--force")[0] == 0
    assert "run_notes" in json.loads((tmp_path / "data" / "screened" / "t" / "ingest.json").read_text())
    assert load_state(load_review(tmp_path / "pipelines" / "t.toml")).state_hash == noted
    # ingested as it is now: the read-only commands have nothing more to say
    code, out = _cli("status", "pipelines/t.toml")
    assert "changed since the last run" not in out
    # touched but the same bytes: nothing to say either (a copy, a checkout)
    raw.write_bytes(raw.read_bytes())
    os.utime(raw, (later + 10, later + 10))
    assert "changed since" not in _cli("status", "pipelines/t.toml")[1]
    raw.unlink()
    code, out = _cli("status", "pipelines/t.toml")
    assert code == 0 and "1 of the review's exports is missing (data/raw/a.csv)" in out, out
    raw.write_bytes(original)


def test_a_run_stopped_while_ingest_wrote_its_output_is_called_unfinished(tmp_path: Path, monkeypatch) -> None:
    """Acceptance testing: Ctrl-C (or a full disk) while ingest wrote its new output leaves its
    report removed and the later stages' older tables; both checks were skipped without an
    ingest report, so status/prisma/export reported the old counts without a word."""
    import screening.runner as runner
    from screening.last_run import unfinished_run

    toml = _two_exports_run(tmp_path, monkeypatch)
    toml.write_text(TOML.replace("[rules]", '[[sources]]\nfile = "data/raw/b.csv"\ndatabase = "Embase"\n[rules]'))
    write = runner._write_stage

    def disk_full(output_dir, name, *args, **kwargs):
        if name == "ingest":
            (Path(output_dir) / "ingest.json").unlink()       # as _write_stage does first
            raise OSError(27, "File too large")
        return write(output_dir, name, *args, **kwargs)

    monkeypatch.setattr(runner, "_write_stage", disk_full)
    with pytest.raises(OSError):
        runner.run_review(toml)
    monkeypatch.setattr(runner, "_write_stage", write)
    review = load_review(toml)
    said = unfinished_run(review)
    assert said == ["the ingest stage stopped while writing its output: its report is missing, and the later "
                    "stages' outputs are older"]
    assert not any("has not run" in d for d in config_drift(review))   # not read as a stage never run
    for args in (("status", "pipelines/t.toml"), ("prisma", "pipelines/t.toml"),
                 ("export", "pipelines/t.toml", "-o", "x.csv")):
        code, out = _cli(*args)
        assert code == 0 and "the last run did not finish" in out, (args, out)


def test_a_damaged_stage_table_or_an_unwritable_file_is_one_line_not_a_traceback(tmp_path: Path, monkeypatch) -> None:
    """Acceptance testing (robustness): a truncated rank.parquet made status/export/decide end
    in a pyarrow traceback; a full disk or a folder without permission in an OSError traceback."""
    toml = _two_exports_run(tmp_path, monkeypatch)
    out_dir = tmp_path / "data" / "screened" / "t"
    table = out_dir / "apply_rules.parquet"
    good = table.read_bytes()
    table.write_bytes(good[:5000])
    for args in (("status", "pipelines/t.toml"), ("export", "pipelines/t.toml", "-o", "x.csv")):
        code, out = _cli(*args)
        assert code == 2 and "apply_rules.parquet: cannot read this table" in out, (args, out)
        assert "screening run REVIEW --force" in out and "Traceback" not in out
    table.write_bytes(good)
    # a file the run must replace cannot be (here: a folder stands where its report goes)
    (out_dir / "ingest.json").unlink()
    (out_dir / "ingest.json").mkdir()
    code, out = _cli("run", "pipelines/t.toml", "--force")
    assert code == 1 and "ingest.json" in out and "nothing was half-written" in out, out
    assert toml.exists()


def test_a_stage_added_to_the_toml_after_a_run_has_not_run_it_was_not_interrupted(tmp_path: Path, monkeypatch) -> None:
    """Review of the unfinished-ingest check: a stage without a report under a later stage's
    output was always called interrupted; one added to the TOML since has no table either."""
    from screening.last_run import unfinished_run

    toml = _two_exports_run(tmp_path, monkeypatch)
    toml.write_text(TOML.replace("[rules]", "[dedup]\n[rules]"))
    review = load_review(toml)
    assert unfinished_run(review) == []
    assert "the dedup stage has not run" in config_drift(review)


def test_a_stage_table_restored_from_a_backup_is_named_and_made_again(tmp_path: Path, monkeypatch) -> None:
    """A stage's parquet replaced after its run (restored from a backup, copied from another
    run's folder) was trusted: its report vouched only for the input, so `run` reused the old
    table as current and status/prisma/export counted its records without a word."""
    import screening.runner as runner
    from screening.last_run import unfinished_run

    toml = _two_exports_run(tmp_path, monkeypatch)
    out_dir = tmp_path / "data" / "screened" / "t"
    backup = (out_dir / "apply_rules.parquet").read_bytes()
    toml.write_text(TOML.replace("rat OR rats OR mice", "rat OR rats OR mice OR allergic"))
    assert _cli("run", "pipelines/t.toml")[0] == 0
    current = (out_dir / "apply_rules.parquet").read_bytes()
    assert current != backup
    report = json.loads((out_dir / "apply_rules.json").read_text())
    assert report["table_sha256"] == hashlib.sha256(current).hexdigest()
    review = load_review(toml)
    assert unfinished_run(review) == []

    (out_dir / "apply_rules.parquet").write_bytes(backup)
    assert unfinished_run(review) == ["apply_rules.parquet is not the table its last run wrote (replaced or "
                                      "restored from a copy since)"]
    code, out = _cli("status", "pipelines/t.toml")
    assert code == 0 and "the last run did not finish" in out and "restored from a copy" in out, out
    result = runner.run_review(toml)
    assert {o.stage: o.status for o in result.outcomes} == {"ingest": "unchanged", "apply_rules": "ran"}
    assert (out_dir / "apply_rules.parquet").read_bytes() == current
    assert unfinished_run(review) == []


def test_a_run_stopped_between_a_stages_two_tables_leaves_no_old_csv_beside_the_new_parquet(
        tmp_path: Path, monkeypatch) -> None:
    """Acceptance testing: `kill -9` during `run --force` left apply_rules.parquet new beside
    apply_rules.csv from the run before, the file people open, with no sign of it."""
    import screening.runner as runner

    toml = _two_exports_run(tmp_path, monkeypatch)
    out_dir = tmp_path / "data" / "screened" / "t"
    toml.write_text(TOML.replace("rat OR rats OR mice", "rat OR rats OR mice OR allergic"))
    write = runner.write_table

    def killed(df, path):
        if str(path).endswith("apply_rules.new.csv"):      # the new CSV, written beside the old one
            raise KeyboardInterrupt
        return write(df, path)

    before = {n: (out_dir / n).read_bytes() for n in ("apply_rules.csv", "apply_rules.parquet", "apply_rules.json")}
    monkeypatch.setattr(runner, "write_table", killed)
    with pytest.raises(KeyboardInterrupt):
        runner.run_review(toml)
    # the run before stays whole: its CSV beside its own parquet and report, no new one among them
    assert {n: (out_dir / n).read_bytes() for n in before} == before
    monkeypatch.setattr(runner, "write_table", write)
    runner.run_review(toml)
    fresh = pd.read_csv(out_dir / "apply_rules.csv", dtype=str, keep_default_na=False)
    assert "ti:(rat OR rats OR mice OR allergic)" in (out_dir / "apply_rules.json").read_text()
    assert len(fresh) == 200       # a.csv only
