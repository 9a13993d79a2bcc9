"""The canonical records table: schema conformance, validation, lossless CSV/Parquet I/O."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from screening.errors import SchemaError
from screening.records import (
    INGEST_COLUMNS, atomic_write_bytes, make_table, read_table, table_hash, validate, write_table,
)

# Real record values (Ovid MEDLINE / EBSCO EconLit exports in ../shared/data), with the awkward
# bits a round trip must survive: lists, accents, quotes, newlines folded away, missing year.
ROWS = [
    {
        "record_id": "econlit_3-00001", "source_file": "data/raw/demo/econlit_3.ris",
        "source_format": "ris", "source_db": "EconLit", "source_line": 1,
        "title": "Spatial Dependence in Hedonic Property Models: Do Different Corrections for Spatial "
                 "Dependence Result in Economically Significant Differences in Estimated Implicit Prices?",
        "authors": ["Mueller, Julie M.", "Loomis, John B."], "year": 2008,
        "journal": "Journal of Agricultural and Resource Economics", "volume": "33", "issue": "2",
        "pages": "212-231", "issn": "1068-5502",
        "keywords": ["Valuation of Environmental Effects Q51", "Housing Supply and Markets R31"],
        "publication_type": ["JOUR"],
    },
    {
        "record_id": "econlit_3-00002", "source_file": "data/raw/demo/econlit_3.ris",
        "source_format": "ris", "source_db": "EconLit", "source_line": 27,
        "title": "Systematic Investigation of the Effect of Wildfire Events and Risks on Property Values",
        "authors": ["Ma, Qiuhua"], "year": None, "publisher": "University of New Mexico",
        "abstract": 'Grau‐Andrés et al. "quoted", with a comma, and é ü ß.',
        "publication_type": ["THES"], "label_included": "1",
    },
]


def test_make_table_conforms_and_keeps_extras():
    df = make_table(ROWS)
    assert list(df.columns[: len(INGEST_COLUMNS)]) == list(INGEST_COLUMNS)
    assert "label_included" in df.columns           # undeclared columns survive, as text
    assert df.loc[1, "label_included"] == "1" and df.loc[0, "label_included"] == ""
    assert df.loc[0, "authors"] == ["Mueller, Julie M.", "Loomis, John B."]
    assert df.loc[1, "doi"] == ""                    # missing text is "", never NaN
    assert pd.isna(df.loc[1, "year"]) and df.loc[0, "year"] == 2008
    assert df.loc[1, "keywords"] == []
    validate(df)


def test_list_items_never_contain_the_csv_separator():
    df = make_table([{"record_id": "a", "keywords": ["Housing; Supply", "  x  "]}])
    assert df.loc[0, "keywords"] == ["Housing, Supply", "x"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_is_lossless(tmp_path, suffix):
    df = make_table(ROWS)
    path = tmp_path / f"records{suffix}"
    write_table(df, path)
    back = read_table(path)
    assert table_hash(back) == table_hash(df)
    assert back.loc[0, "authors"] == ROWS[0]["authors"]
    assert back.loc[1, "abstract"] == ROWS[1]["abstract"]
    assert str(back["year"].dtype) == "Int64"


def test_a_csv_table_shows_formula_like_text_as_text_and_reads_back_whole(tmp_path):
    # stage CSVs are opened in spreadsheets: a title from a database starting with '=' or '@'
    # must not run there (OWASP CSV injection); the quote comes off again when the tool reads it
    rows = [{"record_id": "a", "title": '=HYPERLINK("http://x","click")', "authors": ["@handle", "Smith J"],
             "year": 2001, "abstract": "'=already quoted"},
            {"record_id": "b", "title": "-5 degrees", "pages": "-", "year": 2002}]
    df = make_table(rows)
    path = tmp_path / "records.csv"
    write_table(df, path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert raw.loc[0, "title"] == """'=HYPERLINK("http://x","click")"""
    assert raw.loc[0, "authors"].startswith("'@handle")
    assert raw.loc[0, "abstract"] == "''=already quoted"
    assert raw.loc[1, "year"] == "2002"                                   # numbers are left as they are
    back = read_table(path)
    assert table_hash(back) == table_hash(df)
    assert back.loc[0, "authors"] == ["@handle", "Smith J"] and back.loc[1, "pages"] == "-"


def test_validate_rejects_duplicate_and_empty_ids():
    df = make_table(ROWS)
    dup = df.copy()
    dup.loc[1, "record_id"] = dup.loc[0, "record_id"]
    with pytest.raises(SchemaError, match="occurs more than once"):
        validate(dup)
    empty = df.copy()
    empty.loc[1, "record_id"] = ""
    with pytest.raises(SchemaError, match="row 3"):
        validate(empty)


def test_validate_rejects_missing_columns(tmp_path):
    df = make_table(ROWS).drop(columns=["source_file"])
    with pytest.raises(SchemaError, match="source_file"):
        validate(df, where="x.csv")


def test_write_table_refuses_invalid_table_and_writes_nothing(tmp_path):
    df = make_table(ROWS)
    df.loc[1, "record_id"] = df.loc[0, "record_id"]
    out = tmp_path / "out.csv"
    with pytest.raises(SchemaError):
        write_table(df, out)
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def test_atomic_write_leaves_old_file_and_no_temp_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "t.csv"
    target.write_bytes(b"old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_written_files_get_the_umask_mode_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "records.csv"
        write_table(make_table(ROWS), out)
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644


def test_in_play_is_the_prisma_definition():
    """Screening queue, ranker and exports use records.in_play; PRISMA counts its own masks.
    Blank marks (' ' from another tool) are no mark, and a removed_reason takes a record out,
    in both, so 'records screened' is the number of records anyone is asked to screen."""
    import pandas as pd

    from screening.prisma.counts import compute_counts
    from screening.record_marks import in_play

    table = pd.DataFrame({
        "record_id": ["a", "b", "c", "d", "e", "f", "g"],
        "source_db": ["X"] * 7,
        "duplicate_of": ["", "a", " ", None, "", "", ""],
        "rule_decision": ["", "", "", "EXCLUDE ", "include", "", float("nan")],
        "removed_reason": ["", "", "", "", "", "retracted", "  "],
    })
    assert in_play(table).tolist() == [True, False, True, False, True, False, True]
    assert compute_counts(table).records_screened == int(in_play(table).sum()) == 4


def test_a_column_name_like_a_formula_is_escaped_too(tmp_path):
    """Acceptance 36b, M3: an input CSV's extra column named '=HYPERLINK(...)' was written as the
    header cell of ingest.csv unescaped (Excel's function names ignore case)."""
    df = make_table(ROWS)
    df['=hyperlink("http://evil","x")'] = "a"
    df["@sum(1)"] = "b"
    path = tmp_path / "records.csv"
    write_table(df, path)
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert ',"\'=hyperlink(""http://evil"",""x"")",\'@sum(1)' in header
    back = read_table(path)
    assert '=hyperlink("http://evil","x")' in back.columns and "@sum(1)" in back.columns
