"""Outputs never replace an input, a raw export or a file the pipeline owns (acceptance 36b, H1/M6).

`ingest X.csv -o X.csv`, `dedup X -o X` and `export REVIEW -o data/raw/<review>/<source>.ris`
replaced the export as downloaded without asking; `export -o data/screened/<review>/<stage>.csv`
replaced the stage CSV people open, and `run` called the stage unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from screening.errors import InputError
from screening.export import export_records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RIS = FIXTURES / "exports" / "ris_embase.ris"


def _victim(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "victim.ris"
    shutil.copy(RIS, path)
    return path, path.read_bytes()


@pytest.mark.parametrize("command", ["ingest", "dedup"])
def test_a_table_command_does_not_write_over_its_input(tmp_path: Path, cli, command: str) -> None:
    """The same file, spelled as given or another way (``sub/../``): refused, left as it was.
    (A .ris output name is refused as no table name anyway; the CSV case is below.)"""
    victim = tmp_path / "victim.csv"
    assert cli("ingest", str(RIS), "-o", str(victim))[0] == 0
    before = victim.read_bytes()
    (tmp_path / "sub").mkdir()
    for spelled in (victim, tmp_path / "sub" / ".." / "victim.csv"):
        code, said = cli(command, str(victim), "-o", str(spelled))
        assert code != 0 and "would replace one of the command's input files" in " ".join(said.split())
    assert victim.read_bytes() == before


def test_ingest_refuses_a_device(tmp_path: Path, cli) -> None:
    """`ingest /dev/zero` grew without bound (4.4 GB in 12 s)."""
    code, said = cli("ingest", "/dev/zero", "-o", str(tmp_path / "z.csv"))
    assert code != 0 and "is not a regular file" in " ".join(said.split())


def test_export_does_not_write_into_raw_data_or_over_pipeline_files(review: Path, tmp_path: Path) -> None:
    root = review.parents[1]
    raw = root / "data" / "raw" / "t"
    raw.mkdir(parents=True)
    source, before = _victim(raw)
    with pytest.raises(InputError, match="data/raw folder"):
        export_records(review, source)
    with pytest.raises(InputError, match="data/raw folder"):
        export_records(review, raw / "new_name.ris")
    assert source.read_bytes() == before and not (raw / "new_name.ris").exists()
    out_dir = root / "data" / "screened" / "t"
    for name in ("ingest.csv", "dedup.csv", "apply_rules.csv", "rank.json", "history.jsonl", "decisions.sqlite"):
        with pytest.raises(InputError, match="a file the pipeline writes and reads back"):
            export_records(review, out_dir / name, format="csv")
    # anywhere else in the output folder is the team's own
    export_records(review, out_dir / "my_export.csv")
    assert (out_dir / "my_export.csv").exists()


def test_export_does_not_replace_a_listed_source_outside_data_raw(review: Path, tmp_path: Path) -> None:
    (tmp_path / "downloads").mkdir()
    elsewhere, before = _victim(tmp_path / "downloads")
    text = review.read_text(encoding="utf-8")
    review.write_text(text + f'\n[[sources]]\nfile = "{elsewhere}"\ndatabase = "Scopus"\n', encoding="utf-8")
    with pytest.raises(InputError, match="the review's source export"):
        export_records(review, elsewhere)
    assert elsewhere.read_bytes() == before
