"""The cp1252 fallback is decided per line: one stray byte spoils one line, not the file.

A user's UTF-8 RIS export with one stray Windows-1252 byte (0xE9) was decoded entirely as
Windows-1252, so every record's curly quotes and dashes became mojibake ('gamblersâ€™'), with
one warning naming one line. These tests use real export text (tests/fixtures/exports) with
bytes inserted where a hand edit or a paste would put them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.errors import InputError
from screening.io.text import decode_bytes, read_text
from screening.io.text_chunks import Utf8Fallback, chunked_text
from screening.stages.ingest import RawSource, ingest

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
# Lens RIS: BOM, CRLF, curly quotes (U+2018/U+2019) in both abstracts (lines 2 and 19).
LENS = (EXPORTS / "ris_lens.ris").read_bytes()
CP1252_CSV = EXPORTS / "dedup_asysd_labelled_cp1252.csv"


def _lines(data: bytes) -> list[bytes]:
    """The file's lines as an editor shows them (the fixtures here use LF or CRLF)."""
    return data.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n").split(b"\n")


def _with_bytes(data: bytes, inserts: dict[int, bytes], sep: bytes = b"\r\n") -> bytes:
    """``data`` with ``inserts[n]`` appended to file line ``n`` (1-based)."""
    lines = _lines(data)
    for n, extra in inserts.items():
        lines[n - 1] += extra
    return sep.join(lines)


def _chunked(data: bytes, name: str, size: int) -> tuple[str, str, list[str]]:
    """Decode ``data`` as streaming ingest does: chunk by chunk, falling back as it does."""
    chunks = chunked_text(data, name, b"TY  -", size)
    assert chunks is not None and len(chunks) > 1
    try:
        texts = [chunks.chunk(i) for i in range(len(chunks))]
    except Utf8Fallback:
        chunks.fall_back()
        texts = [chunks.chunk(i) for i in range(len(chunks))]
    # each chunk starts at the file line the whole text puts it on
    whole = "".join(texts)
    starts = [whole[:sum(map(len, texts[:i]))].count("\n") + 1 for i in range(len(texts))]
    assert starts == chunks.first_lines
    return whole, chunks.encoding, chunks.warnings


def test_a_stray_cp1252_byte_spoils_only_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.ris"
    path.write_bytes(_with_bytes(LENS, {7: b"\xe9"}))     # 'AU  - Li, En' + a cp1252 'é'
    decoded = read_text(path)
    want = [line.decode("utf-8") for line in _lines(LENS)]
    got = decoded.lines
    assert got[6] == "AU  - Li, Ené"                        # the bad line, as cp1252
    assert got[:6] + got[7:] == want[:6] + want[7:]        # every other line exactly as UTF-8
    assert "’" in got[1] and "â€" not in decoded.text
    assert decoded.encoding == "utf-8+cp1252"
    assert decoded.warnings == [
        "mixed.ris: 1 line is not valid UTF-8 (line 7); that line was decoded as Windows-1252 (cp1252), "
        "the rest as UTF-8. Check it, or re-export the file as UTF-8."]


def test_ingest_keeps_the_other_records_utf8_and_reports_the_mix() -> None:
    result = ingest([RawSource("mixed.ris", _with_bytes(LENS, {7: b"\xe9"}))])
    records = result.records
    assert "Li, Ené" in records["authors"].iloc[0]
    assert all("’" in abstract and "â€" not in abstract for abstract in records["abstract"])
    assert result.report.details["files"][0]["encoding"] == "utf-8+cp1252"
    assert [w for w in result.report.warnings if "UTF-8" in w] == [
        "mixed.ris: 1 line is not valid UTF-8 (line 7); that line was decoded as Windows-1252 (cp1252), "
        "the rest as UTF-8. Check it, or re-export the file as UTF-8."]


def test_the_warning_counts_lines_and_lists_the_first_five() -> None:
    three = decode_bytes(_with_bytes(LENS, {3: b"\x96", 9: b"\xe9", 20: b"\xfc"}), "x.ris")
    assert three.lines[2].endswith("Matthew–") and three.lines[19].endswith("Paulü")
    assert three.warnings == [
        "x.ris: 3 lines are not valid UTF-8 (lines 3, 9, 20); those lines were decoded as Windows-1252 "
        "(cp1252), the rest as UTF-8. Check them, or re-export the file as UTF-8."]
    many = decode_bytes(_with_bytes(LENS, {n: b"\xe9" for n in range(3, 12)}), "x.ris")
    assert "9 lines are not valid UTF-8 (lines 3, 4, 5, 6, 7 and 4 more)" in many.warnings[0]


def test_line_numbers_stay_true_with_cr_only_endings_and_a_mid_file_bom() -> None:
    # classic-Mac CR-only endings: the bad line is still line 7
    cr = decode_bytes(_with_bytes(LENS, {7: b"\xe9"}, sep=b"\r"), "mac.ris")
    assert cr.lines[6] == "AU  - Li, Ené" and "(line 7)" in cr.warnings[0]
    # two exports joined (the second keeps its BOM): the stray byte in the second copy
    joined = LENS + b"\xef\xbb\xbf" + _with_bytes(LENS, {7: b"\xe9"})
    twice = decode_bytes(joined, "joined.ris")
    assert twice.lines[45 + 6] == "AU  - Li, Ené" and "(line 52)" in twice.warnings[0]
    assert twice.text.count("’") == 2 * LENS.decode("utf-8").count("’")


def test_a_whole_cp1252_file_reads_as_before() -> None:
    data = CP1252_CSV.read_bytes()
    decoded = decode_bytes(data, CP1252_CSV.name)
    assert decoded.text == data.replace(b"\r\n", b"\n").decode("cp1252")   # what the whole-file fallback gave
    assert decoded.encoding == "cp1252"
    assert decoded.warnings == [
        "dedup_asysd_labelled_cp1252.csv: 2 lines are not valid UTF-8 (lines 4, 5); those lines were decoded "
        "as Windows-1252 (cp1252), the rest is plain ASCII. Check them, or re-export the file as UTF-8."]
    # an old Windows export of real RIS text: every non-ASCII line is cp1252, none is lost
    scopus = (EXPORTS / "ris_scopus.ris").read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    old = decode_bytes(scopus.encode("cp1252"), "old.ris")
    assert old.text == scopus and old.encoding == "cp1252"


def test_bytes_cp1252_does_not_define_are_an_error_only_on_a_cp1252_line() -> None:
    # 'Á' is C3 81 in UTF-8: 0x81 (undefined in cp1252) inside a valid UTF-8 line is fine ...
    data = _with_bytes(LENS, {5: "Á".encode("utf-8"), 7: b"\xe9"})
    decoded = decode_bytes(data, "dos.ris", strict=True)
    assert decoded.lines[4].endswith("StephenÁ") and decoded.lines[6].endswith("Ené")
    # ... on a line that is not UTF-8 it is still an error naming the file and line ...
    with pytest.raises(InputError, match="byte 0x81 is neither UTF-8 nor Windows-1252") as err:
        decode_bytes(_with_bytes(LENS, {9: b"M\x81ller \xe9"}), "dos.ris", strict=True)
    assert err.value.line == 9 and "dos.ris" in str(err.value)
    # ... and a replacement character when not strict (ingest), as before
    assert decode_bytes(_with_bytes(LENS, {9: b"M\x81ller"}), "dos.ris").lines[8].endswith("M\ufffdller")


def test_a_utf8_file_has_no_warning() -> None:
    decoded = decode_bytes(LENS, "lens.ris")
    assert decoded.encoding == "utf-8" and decoded.warnings == []


@pytest.mark.parametrize("inserts", [{7: b"\xe9"}, {n: b"\x93" for n in (2, 7, 23, 30, 40, 44)}])
def test_chunked_decoding_gives_the_whole_file_text_and_warning(inserts: dict[int, bytes]) -> None:
    data = _with_bytes(LENS, inserts, sep=b"\n") * 3      # three copies: bad lines in several chunks
    whole = decode_bytes(data, "mixed.ris")
    assert _chunked(data, "mixed.ris", 200) == (whole.text, whole.encoding, whole.warnings)
    assert whole.encoding == "utf-8+cp1252"


def test_chunked_decoding_of_a_whole_cp1252_file_matches() -> None:
    scopus = (EXPORTS / "ris_scopus.ris").read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    data = scopus.encode("cp1252") * 2
    whole = decode_bytes(data, "old.ris")
    assert whole.encoding == "cp1252" and "the rest is plain ASCII" in whole.warnings[0]
    assert _chunked(data, "old.ris", 300) == (whole.text, whole.encoding, whole.warnings)


@settings(max_examples=300)
@given(st.lists(st.sampled_from([b"TY  - JOUR", b"AB  - x", b"\r\n", b"\r", b"\n", b"a", b"\xc3\xa9"]), max_size=30),
       st.sampled_from([None, True, False]))
def test_newline_normalisation_of_chunks_matches_the_replace_reading(parts, has_lf):
    """The CRLF-only fast path (delete every CR) gives what replacing each CRLF gives, and any
    bare CR still goes through the careful path (tagged line start, in-field separator)."""
    import re

    from screening.io.line_endings import normalise_counted as _normalise_counted

    data = b"".join(parts)

    def reference(d: bytes) -> tuple[bytes, int]:
        if b"\r" not in d:
            return d, 0
        d = d.replace(b"\r\n", b"\n")
        if b"\r" not in d:
            return d, 0
        if not (has_lf if has_lf is not None else b"\n" in d.rstrip(b"\r")):
            return d.replace(b"\r", b"\n"), 0
        d, added = re.subn(rb"\r(?=[A-Z][A-Z0-9]  - )", b"\n", d)
        return d.replace(b"\r", b"; "), added

    assert _normalise_counted(data, has_lf) == reference(data)
