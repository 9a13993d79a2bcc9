"""Our own export, imported back after `screening stop` (acceptance testing): the rows of the
records the stop closed (status 'stopped', exclude, 'not screened: …') became the importer's
own exclusions, 166 decisions nobody made; with declared title/abstract reasons the same round
trip was refused for the stop's reason. Built on the trimmed real screening dataset of
test_stops (the first search's 280 records, ranked, with priors)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.stops import stop_screening

from .test_stops import FIX, _cli, first_search

STOP_REASON = "not screened: screening stopped by the stopping rule"


@pytest.fixture
def data() -> pd.DataFrame:
    return pd.read_csv(FIX, dtype=str, keep_default_na=False)


@pytest.fixture
def stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: pd.DataFrame) -> tuple[Path, Path]:
    """A review alice screened 20 records of, then stopped (forced); and her export of every
    record. Returns (TOML, decisions log)."""
    toml, inc, exc = first_search(tmp_path, data, monkeypatch, '[screening]\nreviewers = ["alice", "bob"]\n')
    truth = dict(zip(data["record_id"], data["label_included"]))
    for rid in [inc, exc, *[r for r in data["record_id"].iloc[:20] if r not in (inc, exc)][:18]]:
        api.record_decision(toml, reviewer="alice", record_id=rid,
                            action="include" if truth[rid] == "1" else "exclude")
    stop_screening(toml, "alice", force=True)
    return toml, tmp_path / "data" / "screened" / "t" / "decisions.sqlite"


def _export(toml: Path, out: Path) -> list[dict[str, str]]:
    code, said = _cli("export", toml, "-r", "alice", "--decision", "all", "-o", out)
    assert code == 0, said
    with out.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_our_export_after_a_stop_imports_back_without_inventing_decisions(stopped: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    toml, db = stopped
    rows = _export(toml, tmp_path / "all.csv")
    closed = [r for r in rows if r["status"] == "stopped"]
    assert len(closed) == 260 and {(r["decision"], r["reason"]) for r in closed} == {("exclude", STOP_REASON)}
    before = len(load_entries(db))
    code, out = _cli("decide", toml, "-r", "alice", "--from", tmp_path / "all.csv")
    assert code == 0, out
    assert "0 decisions written (export format)" in out and "260 rows closed by the stopping rule left as they are" in out
    assert len(load_entries(db)) == before
    # declared title/abstract reasons: the stop's reason is no reviewer's, and is not checked
    toml.write_text(toml.read_text().replace("[screening]\n", '[screening]\ntitle_abstract_reasons = ["not about '
                                                                 'antihistamines"]\n'))
    res = api.import_decisions(toml, tmp_path / "all.csv", reviewer="alice")
    assert (res["written"], res["stopped"]) == (0, 260)
    assert len(load_entries(db)) == before


def test_a_changed_row_of_a_closed_record_is_a_decision_and_said(stopped: tuple[Path, Path], tmp_path: Path) -> None:
    toml, db = stopped
    rows = _export(toml, tmp_path / "all.csv")
    closed = [r for r in rows if r["status"] == "stopped"]
    closed[0]["decision"] = "include"            # the stopping rule missed this one
    before = len(load_entries(db))
    code, out = _cli("decide", toml, "-r", "alice", "--from", _write(tmp_path / "edited.csv", rows))
    assert code == 0, out
    assert "1 new" in out and "259 rows closed by the stopping rule left as they are" in out
    # what was written, not the file's rows (acceptance testing: 'imported 173 decisions … bob 173')
    assert out.startswith("imported 1 decision (export format, 1 new of 280 rows") and "): alice 1" in out, out
    assert f"record {closed[0]['record_id']} was closed by the stop (alice," in out
    assert "the stopping rule missed a relevant record" in out
    log = load_entries(db)
    assert len(log) == before + 1
    ev = log.iloc[-1]
    # the reason the export wrote was the stop's: an include does not carry it
    assert (ev["record_id"], ev["reviewer"], ev["action"], ev["reason"]) == (closed[0]["record_id"], "alice",
                                                                             "include", "")


def test_a_tidied_export_without_its_resolved_by_column_still_leaves_the_stop_alone(
        stopped: tuple[Path, Path], tmp_path: Path) -> None:
    """Acceptance testing: dropping one column (resolved_by) made the file the native format,
    and the stop's 260 rows became the importer's exclusions."""
    toml, db = stopped
    rows = _export(toml, tmp_path / "all.csv")
    for keep_status in (True, False):
        tidy = [{k: v for k, v in r.items() if k != "resolved_by" and (keep_status or k != "status")} for r in rows]
        before = len(load_entries(db))
        res = api.import_decisions(toml, _write(tmp_path / f"tidy{keep_status}.csv", tidy), reviewer="bob")
        assert res["stopped"] == 260 and res["written"] <= 20, res      # the 20 decided rows, as a file of bob's
        log = load_entries(db)
        assert not (log.iloc[before:]["reason"] == STOP_REASON).any()
