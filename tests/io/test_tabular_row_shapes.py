"""CSV/TSV rows whose field count is not the header's: never misread silently.

A value holding the delimiter without quotes shifts every later cell of its row; rows written
with another delimiter than the header's are one long cell. Those stop ingest at their line.
A delimiter closing every line (WoS tab-delimited, legacy PubMed CSV) holds nothing and is read;
a short row in the middle of a file is read with its missing cells empty, and named.
"""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.errors import InputError
from screening.io import tabular
from screening.stages.ingest import RawSource, ingest

HEADER = "title,authors,year,doi\n"
GOOD = 'A first study,"Roe, J",2018,10.1/a\n'
LAST = 'Third study,"Poe, L",2020,10.1/c\n'


def _error(name: str, text: str) -> InputError:
    with pytest.raises(InputError) as err:
        ingest([RawSource(name, text.encode())])
    return err.value


def _titles(result) -> list[str]:
    return result.records["title"].tolist()


# --- more fields than the header -------------------------------------------------------------

def test_unquoted_delimiter_in_a_value_stops_ingest_at_its_line(tmp_path):
    bad = tmp_path / "ragged2.csv"
    bad.write_text(HEADER + GOOD + 'Another study, with comma,"Doe, K",2019,10.1016/j.def.2019.2\n' + LAST)
    out = tmp_path / "r2.csv"
    result = CliRunner().invoke(app, ["ingest", str(bad), "-o", str(out)])
    assert result.exit_code == InputError.exit_code
    assert "ragged2.csv:3: line 3 has 5 fields, the header 4" in result.output
    assert "must be quoted" in result.output
    assert not out.exists()


def test_several_long_rows_are_counted_and_listed():
    text = HEADER + "A, b,c,2019,10.1/a\n" + GOOD + "B, d,e,2019,10.1/b\n" + LAST
    err = _error("long.csv", text)
    assert err.line == 2 and "2 rows like this: lines 2, 4" in str(err)


def test_tsv_row_with_a_stray_tab_is_an_error():
    text = "title\tauthors\tyear\n" "A\tDoe, J\t2019\n" "B\tx\tRoe, K\t2020\n" "C\tPoe, L\t2021\n"
    err = _error("table.tsv", text)
    assert err.line == 3 and "3 has 4 fields, the header 3" in str(err) and "tab" in str(err)


def test_trailing_delimiter_on_every_row_is_read_as_without_it():
    """Excel/Zotero-style and WoS/PubMed exports close each line with a delimiter: nothing lost."""
    plain = ingest([RawSource("x.csv", (HEADER + GOOD + LAST).encode())])
    padded = ingest([RawSource("x.csv", (HEADER + GOOD.replace("\n", ",\n") + LAST.replace("\n", ",\n")).encode())])
    assert padded.records.equals(plain.records)
    assert _titles(padded) == ["A first study", "Third study"]
    assert not [w for w in padded.report.warnings if "fields" in w]


def test_empty_extra_cells_on_one_row_only_are_an_error():
    # an unquoted comma in the title of a row whose DOI is empty: the extra cell is empty too
    err = _error("odd.csv", HEADER + GOOD + 'Another study, with comma,"Doe, K",2019,\n' + LAST)
    assert err.line == 3 and "5 fields, the header 4 (the extra ones empty)" in str(err)


def test_trailing_delimiter_habit_does_not_hide_a_shifted_row():
    rows = [GOOD, 'Another study, with comma,"Doe, K",2019,\n', LAST]
    err = _error("habit.csv", HEADER + "".join(r.replace("\n", ",\n") for r in rows))
    assert err.line == 3 and "6 fields, the header 4" in str(err)


# --- fewer fields than the header ------------------------------------------------------------

def test_short_row_mid_file_is_read_and_named():
    result = ingest([RawSource("short.csv", (HEADER + GOOD + 'B study,"Doe, K"\n' + LAST).encode())])
    assert _titles(result) == ["A first study", "B study", "Third study"]
    second = result.records.iloc[1]
    assert list(second["authors"]) == ["Doe, K"] and second["doi"] == "" and second["year"] is pd.NA
    named = [w for w in result.report.warnings if "fewer fields" in w]
    assert len(named) == 1 and named[0].startswith("short.csv:") and "(line 3)" in named[0]


def test_short_last_row_is_still_truncation():
    err = _error("cut.csv", HEADER + GOOD + LAST + "Fourth study,Hoe\n")
    assert err.line == 4 and "the last row has 2 of 4 columns" in str(err) and "truncated" in str(err)


def test_every_row_short_is_not_called_truncation():
    err = _error("narrow.csv", HEADER + "A study,Doe J,2019\n" "B study,Roe K,2020\n")
    assert err.line == 2 and "truncated" not in str(err)
    assert "no row has the header's 4 fields (line 2 has 3)" in str(err)


def test_header_ending_in_a_delimiter_needs_no_cell_for_its_unnamed_column():
    result = ingest([RawSource("hdr.csv", ("title,authors,year,doi,\n" + GOOD + LAST).encode())])
    assert _titles(result) == ["A first study", "Third study"]


# --- the rows' delimiter is not the header's -------------------------------------------------

@pytest.mark.parametrize("header, rows, names", [
    (HEADER, "A study;Doe J;2019;10.1/x\nB study;Roe, K;2020;10.1/y\n", ("comma ','", "semicolon ';'")),
    ("title;authors;year;doi\n", "A study,Doe J,2019,10.1/x\nB study,Roe K,2020,10.1/y\n", ("semicolon ';'", "comma ','")),
    (HEADER, "A study\tDoe J\t2019\t10.1/x\nB study\tRoe, K\t2020\t10.1/y\n", ("comma ','", "tab")),
])
def test_rows_delimited_unlike_the_header_are_named(header, rows, names):
    err = _error("mixed.csv", header + rows)
    assert err.line == 2 and "truncated" not in str(err)
    assert f"the header is delimited by {names[0]} but the rows by {names[1]}" in str(err)


def test_one_row_delimited_unlike_the_header_is_named():
    err = _error("pasted.csv", HEADER + GOOD + "A study;Doe J;2019;10.1/x\n" + LAST)
    assert err.line == 3 and "line 3 holds no comma ',' but would split on semicolon ';'" in str(err)
    assert "unquoted line break" in str(err)        # the other cause of such a row (code review)


def test_a_delimiter_a_row_does_not_hold_is_no_evidence():
    """Code review: a one-column CSV whose titles hold commas was refused as 'delimited by tab'
    in a file with no tab at all."""
    with pytest.raises(InputError) as err:
        tabular.parse("title\nFire, smoke and health\nHeat, drought\nLast, one\n", "titles.csv")
    assert "by tab" not in str(err.value) and "must be quoted" in str(err.value), str(err.value)


def test_pipe_delimited_table_says_which_delimiters_are_read():
    err = _error("pipe.csv", "title|authors|year|doi\nA study|Doe J|2019|10.1/x\n")
    assert err.line == 1 and "pipes '|'" in str(err) and "only comma, semicolon and tab" in str(err)
    with pytest.raises(InputError, match="pipes"):
        tabular.parse("title|authors|year|doi\nA study|Doe J|2019|10.1/x\n", "pipe.csv")
