"""Unusable input must fail loudly, naming the file and a line, and never half-write output.

Every case goes through the ingest stage (any format), and the worst ones through the CLI too.
The bad files are derived from real fixtures (truncated, doubled rows) or are content no
export could have (binary, prose).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.errors import InputError, ScreeningError
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"

PUBMED = (FIX / "pubmed_xml_biopython_2.xml").read_bytes()
SCOPUS = (FIX / "scopus_csv_litstudy_3.csv").read_bytes()
RATHBONE = (FIX / "dedup_rathbone_cytology_5.csv").read_bytes()
WOS_BIB = (FIX / "wos_bib_bibliometrix_3.bib").read_bytes()


def _truncated_xml() -> bytes:
    return PUBMED[: PUBMED.index(b"<PubmedArticle><MedlineCitation Status=\"PubMed-not-MEDLINE\"") + 400]


def _unterminated_quote_csv() -> bytes:
    # cut just after the newline inside the last row's quoted correspondence address
    body = SCOPUS[: SCOPUS.rindex(b"\n")]
    return body[: body.rindex(b"\n") + 10]


def _duplicate_id_csv() -> bytes:
    lines = RATHBONE.split(b"\n")
    return b"\n".join(lines[:4] + [lines[2]] + lines[4:])


PROSE = ("Dear colleagues,\n\nplease find attached the search results we discussed on Monday. "
         "The strategy was run in three databases and the\nresults were exported last week.\n"
         "Best wishes, and thank you for your help.\n").encode()

BAD_FILES = {
    "binary.ris": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20, None),
    "empty.csv": (b"", None),
    "blank.bib": (b"  \n\n\t \r\n", None),
    "truncated.xml": (_truncated_xml(), "line"),
    "truncated.csv": (_unterminated_quote_csv(), "line"),
    "truncated.bib": (WOS_BIB[:3000], "line"),
    "letter.txt": (PROSE, "line"),
    "dup_ids.csv": (_duplicate_id_csv(), "line"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_input_raises_our_error_naming_the_file(name):
    data, _ = BAD_FILES[name]
    with pytest.raises(ScreeningError) as err:
        ingest([RawSource(name, data)])
    assert isinstance(err.value, InputError)
    text = str(err.value)
    assert text.startswith(name) and "\n" not in text and "Traceback" not in text


@pytest.mark.parametrize("name", sorted(n for n, (_, need) in BAD_FILES.items() if need == "line"))
def test_bad_content_errors_give_a_line(name):
    data, _ = BAD_FILES[name]
    with pytest.raises(InputError) as err:
        ingest([RawSource(name, data)])
    assert err.value.line is not None and err.value.line >= 1
    assert re.match(rf"{re.escape(name)}:\d+: ", str(err.value))


@pytest.mark.parametrize("name", ["binary.ris", "empty.csv", "blank.bib"])
def test_empty_and_binary_errors_give_a_line(name):
    with pytest.raises(InputError) as err:
        ingest([RawSource(name, BAD_FILES[name][0])])
    assert err.value.line == 1


@pytest.mark.parametrize("tail", [b"", b"\r\n", b"\r\n\r\n\xef\xbb\xbf"])
def test_a_file_holding_only_a_byte_order_mark_is_empty(tail):
    # the first three bytes of a real Scopus CSV export; such a file was 'unknown format'
    bom = SCOPUS[:3]
    assert bom == b"\xef\xbb\xbf"
    with pytest.raises(InputError) as err:
        ingest([RawSource("bom_only.ris", bom + tail)])
    assert str(err.value).startswith("bom_only.ris:1: file is empty")


def test_specific_messages():
    cases = {
        "truncated.xml": "malformed PubMed XML",
        "truncated.csv": "malformed CSV",
        "truncated.bib": "BibTeX syntax error",
        "letter.txt": "unknown format",
        "dup_ids.csv": "duplicate ID 'id_0000002'",
        "empty.csv": "empty",
        "binary.ris": "binary",
    }
    for name, fragment in cases.items():
        with pytest.raises(InputError) as err:
            ingest([RawSource(name, BAD_FILES[name][0])])
        assert fragment in str(err.value), (name, str(err.value))


def test_duplicate_ids_across_files_are_a_schema_error():
    from screening.errors import SchemaError
    with pytest.raises(SchemaError) as err:
        ingest([RawSource("a.csv", RATHBONE), RawSource("b.csv", RATHBONE + b"\n")])   # not byte-identical
    assert "record_id 'id_0000001' occurs more than once" in str(err.value) and "a.csv" in str(err.value)


def test_undecodable_bytes_fall_back_to_cp1252_and_say_so():
    data = (FIX / "dedup_asysd_labelled_cp1252.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = ingest([RawSource("asysd.csv", data)])
    assert len(result.records) == 3
    warnings = result.report.warnings
    assert any(w.startswith("asysd.csv:") and "cp1252" in w for w in warnings)
    assert result.report.details["files"][0]["encoding"] == "cp1252"


# --- CLI -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["truncated.xml", "truncated.csv", "truncated.bib", "letter.txt", "empty.csv",
                                  "dup_ids.csv"])
def test_cli_ingest_bad_file_exits_nonzero_one_line_no_output(tmp_path, name):
    bad = tmp_path / name
    bad.write_bytes(BAD_FILES[name][0])
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["ingest", str(bad), "-o", str(out)])
    assert result.exit_code == InputError.exit_code
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and name in lines[0]
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [name]      # no temp files either


def test_cli_ingest_good_file_writes_output(tmp_path):
    out = tmp_path / "records.csv"
    good = tmp_path / "rathbone.csv"
    good.write_bytes(RATHBONE)
    result = CliRunner().invoke(app, ["ingest", str(good), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and b"id_0000005" in out.read_bytes()


def test_the_same_export_twice_and_an_unwritable_output_name_are_refused(tmp_path):
    """Acceptance testing: a file given twice was silently counted twice; '-o x.xlsx' wrote
    CSV text under an Excel name."""
    from typer.testing import CliRunner

    from screening.cli import app

    src = FIX / "ris_wos.ris"
    copy = tmp_path / "again.ris"
    copy.write_bytes(src.read_bytes())
    res = CliRunner().invoke(app, ["ingest", str(src), str(copy), "-o", str(tmp_path / "t.csv")])
    assert res.exit_code == 2 and "same content as" in res.output and not (tmp_path / "t.csv").exists()
    res = CliRunner().invoke(app, ["ingest", str(src), "-o", str(tmp_path / "t.xlsx")])
    assert res.exit_code == 2 and ".csv" in res.output and not (tmp_path / "t.xlsx").exists()
    res = CliRunner().invoke(app, ["dedup", str(src), "-o", str(tmp_path / "d.xlsx")])
    assert res.exit_code == 2 and not (tmp_path / "d.xlsx").exists()
    # refused before parsing: a truncated file given twice is named as repeated, not as truncated
    cut = src.read_bytes()[: len(src.read_bytes()) // 2]
    (tmp_path / "a.ris").write_bytes(cut)
    (tmp_path / "b.ris").write_bytes(cut)
    res = CliRunner().invoke(app, ["ingest", str(tmp_path / "a.ris"), str(tmp_path / "b.ris"), "-o", str(tmp_path / "t.csv")])
    assert res.exit_code == 2 and "same content as" in res.output
