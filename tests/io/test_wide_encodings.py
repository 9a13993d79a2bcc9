"""UTF-16/UTF-32 exports (Excel "Unicode text", EndNote or Notepad on Windows) ingest like UTF-8.

Each case re-encodes a real fixture, so the records must be exactly those of the original.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.errors import InputError
from screening.io.text import decode_bytes
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"

# (how to encode the text, the encoding ingest must report)
ENCODINGS = {
    "utf-16 LE + BOM": (lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), "utf-16-le"),
    "utf-16 BE + BOM": (lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "utf-16-be"),
    "utf-32 LE + BOM": (lambda t: codecs.BOM_UTF32_LE + t.encode("utf-32-le"), "utf-32-le"),
    "utf-16 LE, no BOM": (lambda t: t.encode("utf-16-le"), "utf-16-le"),
}
FILES = ["ris_scopus.ris", "ris_cochrane_central.ris", "medline_pubmed.nbib",
         "pubmed_xml_biopython_2.xml", "scopus_csv_litstudy_3.csv"]


def _text(name: str) -> str:
    # the UTF-8 BOM is dropped so that the test's encoder is the only one adding a mark
    return (FIX / name).read_bytes().decode("utf-8-sig")


@pytest.mark.parametrize("how", sorted(ENCODINGS))
@pytest.mark.parametrize("name", FILES)
def test_wide_unicode_export_gives_the_same_records(name: str, how: str) -> None:
    encode, codec = ENCODINGS[how]
    want = ingest([RawSource(name, (FIX / name).read_bytes())])
    got = ingest([RawSource(name, encode(_text(name)))])
    pd.testing.assert_frame_equal(got.records, want.records)
    assert got.report.details["files"][0]["encoding"] == codec
    assert any(w.startswith(f"{name}: decoded as {codec.upper()}") for w in got.report.warnings)


def test_utf16_file_through_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "scopus_utf16.ris"
    path.write_text(_text("ris_scopus.ris"), encoding="utf-16")  # BOM + native order, as Windows
    out = tmp_path / "records.csv"
    res = CliRunner().invoke(app, ["ingest", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "binary" not in res.output and "utf-16" in res.output


def test_binary_files_are_still_refused() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20
    pairs = bytes(range(256)) * 8                      # NULs at alternate offsets now and then
    uint16 = b"".join(i.to_bytes(2, "little") for i in range(1, 2000))  # low bytes include NULs
    for data in (png, pairs, uint16):
        with pytest.raises(InputError, match="binary"):
            decode_bytes(data, "x.ris")
    # a UTF-16 mark followed by control characters, not text
    control = "".join(map(chr, range(1, 31))) * 40
    with pytest.raises(InputError, match="binary"):
        decode_bytes(codecs.BOM_UTF16_LE + control.encode("utf-16-le"), "x.ris")


def test_broken_and_blank_utf16_files_say_so() -> None:
    data = codecs.BOM_UTF16_LE + "TY  - JOUR\nTI  - A\n".encode("utf-16-le") + b"\x00\xd8"  # lone surrogate
    with pytest.raises(InputError, match="not valid UTF-16-LE") as err:
        decode_bytes(data, "x.ris")
    assert err.value.line == 3
    with pytest.raises(InputError, match="empty"):
        decode_bytes(codecs.BOM_UTF16_LE + " \r\n".encode("utf-16-le"), "x.ris")


def test_big_utf16_file_takes_the_whole_file_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streaming ingest cuts UTF-8 bytes at record starts; a UTF-16 file is decoded whole."""
    import screening.stages.source_parsing as parsing_mod
    name = "ris_cochrane_central.ris"
    want = ingest([RawSource(name, (FIX / name).read_bytes())]).records
    monkeypatch.setattr(parsing_mod, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(parsing_mod, "CHUNK_BYTES", 500)
    got = ingest([RawSource(name, _text(name).encode("utf-16"))], workers=1).records
    pd.testing.assert_frame_equal(got, want)
