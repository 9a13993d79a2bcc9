"""Streaming (chunked) RIS ingest gives exactly what whole-file ingest gives.

Big RIS files are cut at ``TY  -`` line starts, decoded and parsed chunk by chunk (optionally in
forked worker processes). These tests force tiny chunks on the real RIS fixtures (BOMs at the
start and mid-file, CRLF, bare CR inside WoS lines, Ovid/Cochrane headers between records)
and compare every column, the report, the warnings and the errors with the whole-file path.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
import pytest

import screening.stages.source_parsing as parsing_mod
from screening.errors import InputError, RecordCountMismatch
from screening.io import ris, ris_fields, ris_stream
from screening.io.text import BOM_BYTES
from screening.io.text_chunks import chunk_bounds, chunked_text
from screening.stages.ingest import RawSource, ingest, ingest_paths

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
RIS_FILES = sorted(p for p in EXPORTS.glob("ris_*") if p.suffix in (".ris", ".txt"))


def _concat() -> bytes:
    """All real RIS fixtures back to back, bytes untouched (their BOMs end up mid-file)."""
    parts = []
    for p in RIS_FILES:
        data = p.read_bytes()
        parts.append(data if data.endswith(b"\n") else data + b"\n")
    return b"".join(parts)


def _whole(data: bytes, name: str = "all.ris") -> tuple[pd.DataFrame, object]:
    old = parsing_mod.STREAM_MIN_BYTES
    parsing_mod.STREAM_MIN_BYTES = 1 << 62
    try:
        res = ingest([RawSource(name=name, data=data)])
    finally:
        parsing_mod.STREAM_MIN_BYTES = old
    return res.records, res.report


def _streamed(data: bytes, chunk: int, workers: int = 1, name: str = "all.ris",
              monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[pd.DataFrame, object]:
    assert monkeypatch is not None
    monkeypatch.setattr(parsing_mod, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(parsing_mod, "CHUNK_BYTES", chunk)
    res = ingest([RawSource(name=name, data=data)], workers=workers)
    return res.records, res.report


def _n_chunks(data: bytes, chunk: int) -> int:
    return len(chunk_bounds(data, b"TY  -", chunk))


def test_fixture_mix_has_what_the_edge_cases_need() -> None:
    data = _concat()
    assert data.find(BOM_BYTES, 1) > 0, "a BOM in the middle of the file"
    assert b"\r\n" in data and b"\r" in data.replace(b"\r\n", b""), "CRLF and a bare CR"
    assert len(RIS_FILES) >= 15


@pytest.mark.parametrize("chunk", [1, 700, 4000, 20000])
def test_streaming_equals_whole_file(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _concat()
    want, want_report = _whole(data)
    assert _n_chunks(data, chunk) > 2
    got, got_report = _streamed(data, chunk, monkeypatch=monkeypatch)
    pd.testing.assert_frame_equal(got, want)
    assert got_report == want_report
    assert len(got) == want_report.counts["records_identified"] > 30


def test_two_workers_equal_one(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _concat()
    one, one_report = _streamed(data, 2000, workers=1, monkeypatch=monkeypatch)
    two, two_report = _streamed(data, 2000, workers=2, monkeypatch=monkeypatch)
    pd.testing.assert_frame_equal(one, two)
    assert one_report == two_report


@pytest.mark.parametrize("path", RIS_FILES, ids=lambda p: p.name)
def test_each_real_export_streams_identically(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = path.read_bytes()
    want, want_report = _whole(data, path.name)
    got, got_report = _streamed(data, 1, name=path.name, monkeypatch=monkeypatch)
    pd.testing.assert_frame_equal(got, want)
    assert got_report == want_report


def test_bounds_partition_at_record_starts() -> None:
    data = _concat()
    for size in (1, 333, 5000, len(data) // 3):
        bounds = chunk_bounds(data, b"TY  -", size)
        assert bounds[0][0] == 0 and bounds[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
        assert all(data[s:s + 5] == b"TY  -" for s, _ in bounds[1:])


def test_record_starting_exactly_at_the_chunk_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _concat()
    second = data.find(b"\nTY  -", data.find(b"TY  -") + 1)  # the '\n' ending the line before record 2
    # size lands the search start exactly on that '\n', then one byte past it
    at_edge = chunk_bounds(data, b"TY  -", second)
    assert at_edge[0] == (0, second + 1)
    past = chunk_bounds(data, b"TY  -", second + 1)
    assert past[0][1] > second + 1
    want, want_report = _whole(data)
    for size in (second, second + 1):
        got, got_report = _streamed(data, size, monkeypatch=monkeypatch)
        pd.testing.assert_frame_equal(got, want)
        assert got_report == want_report


def test_line_numbers_are_file_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _concat()
    got, _ = _streamed(data, 1, monkeypatch=monkeypatch)
    # file lines as an editor shows them: a bare CR that starts a tagged line (WoS RIS) is a
    # line break too
    lines = re.split(rb"\n|\r(?=[A-Z][A-Z0-9]  - )", data.replace(b"\r\n", b"\n"))
    assert len(lines) > data.count(b"\n") + 5
    for line in got["source_line"]:
        assert lines[line - 1].replace(BOM_BYTES, b"").startswith(b"TY  -")


def test_count_check_spans_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 'TY<tab>-' line: declared as a record by the file's markers, but no scanner reads it.
    data = _concat()
    cut = data.rfind(b"\nTY  -", 0, len(data) // 2) + 1
    bad = data[:cut] + b"TY\t- JOUR\n" + data[cut:]
    with pytest.raises(RecordCountMismatch) as whole_err:
        _whole(bad)
    monkeypatch.setattr(parsing_mod, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(parsing_mod, "CHUNK_BYTES", 500)
    with pytest.raises(RecordCountMismatch) as stream_err:
        ingest([RawSource(name="all.ris", data=bad)], workers=1)
    assert str(stream_err.value) == str(whole_err.value)


def test_truncated_last_chunk_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _concat()
    last_er = data.rfind(b"\nER  -")
    cut = data[:last_er + 1]  # the last record loses its ER line: a cut-off export
    with pytest.raises(InputError, match="no ER line") as whole_err:
        _whole(cut)
    monkeypatch.setattr(parsing_mod, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(parsing_mod, "CHUNK_BYTES", 300)
    for workers in (1, 2):
        with pytest.raises(InputError, match="no ER line") as stream_err:
            ingest([RawSource(name="all.ris", data=cut)], workers=workers)
        assert stream_err.value.line == whole_err.value.line
        assert str(stream_err.value) == str(whole_err.value)


def test_missing_er_inside_the_file_is_a_warning_not_truncation(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _concat()
    mid = data.find(b"\nER  -", len(data) // 2)
    eol = data.find(b"\n", mid + 1)
    bad = data[:mid + 1] + data[eol + 1:]  # drop one ER line in the middle
    want, want_report = _whole(bad)
    got, got_report = _streamed(bad, 300, monkeypatch=monkeypatch)
    pd.testing.assert_frame_equal(got, want)
    assert any("no ER line before the next TY" in w for w in got_report.warnings)
    assert got_report.warnings == want_report.warnings


def test_a_stray_cp1252_byte_spoils_only_its_line_streamed_too(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _concat()
    # a Windows-1252 'é' (0xE9) in the title of a record near the end: chunks before it are
    # valid UTF-8 and parsed before the bad one is met; both paths decode that one line as
    # cp1252 and every other line (with its UTF-8 quotes and dashes) as UTF-8
    at = data.rfind(b"\nTI  - ") + len(b"\nTI  - ")
    bad = data[:at] + b"Caf\xe9 " + data[at:]
    want, want_report = _whole(bad)
    assert want_report.details["files"][0]["encoding"] == "utf-8+cp1252"
    assert want["title"].iloc[-1].startswith("Café ")
    assert pd.Series(want["abstract"]).str.contains("’").any()
    assert not want.map(lambda v: "â€" in str(v)).any().any()  # no mojibake anywhere
    # the record's first line (the RIS reader's line numbers are tested on their own) + the
    # title's offset in it (the last fixture has LF or CRLF endings: no bare CRs to count)
    bad_line = want["source_line"].iloc[-1] + bad[bad.rfind(b"\nTY  - ", 0, at):at].count(b"\n") - 1
    for workers in (1, 2):
        got, got_report = _streamed(bad, 400, workers=workers, monkeypatch=monkeypatch)
        pd.testing.assert_frame_equal(got, want)
        assert got_report == want_report
    assert [w for w in got_report.warnings if "Windows-1252" in w] == [
        f"all.ris: 1 line is not valid UTF-8 (line {bad_line}); that line was decoded as Windows-1252 (cp1252), "
        "the rest as UTF-8. Check it, or re-export the file as UTF-8."]


def test_many_cp1252_lines_in_many_chunks_warn_as_the_whole_file(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _concat()
    # a stray byte at the end of every 40th line (CRLF, CR-only and LF fixtures alike): the
    # streamed warning counts them over all chunks, not just the one that failed first
    lines = data.split(b"\n")
    bad = b"\n".join(line + b"\x96" if i % 40 == 39 else line for i, line in enumerate(lines))
    want, want_report = _whole(bad)
    assert want_report.details["files"][0]["encoding"] == "utf-8+cp1252"
    assert _n_chunks(bad, 400) > 10
    for workers in (1, 2):
        got, got_report = _streamed(bad, 400, workers=workers, monkeypatch=monkeypatch)
        pd.testing.assert_frame_equal(got, want)
        assert got_report == want_report
    warning = next(w for w in got_report.warnings if "Windows-1252" in w)
    assert re.match(r"all\.ris: \d+ lines are not valid UTF-8 \(lines 40, 80, 120, 160, 200 and \d+ more\)",
                    warning), warning


def test_a_whole_cp1252_file_streams_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    # an old Windows export: every non-ASCII line is cp1252 (characters cp1252 lacks were '?')
    text = _concat().decode("utf-8").replace("\ufeff", "")
    data = text.encode("cp1252", errors="replace")
    want, want_report = _whole(data)
    assert want_report.details["files"][0]["encoding"] == "cp1252"
    got, got_report = _streamed(data, 400, monkeypatch=monkeypatch)
    pd.testing.assert_frame_equal(got, want)
    assert got_report == want_report
    assert any("the rest is plain ASCII" in w for w in got_report.warnings)


def test_ingest_paths_maps_big_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.ris"
    path.write_bytes(_concat())
    want = ingest_paths([path]).records  # fixtures are small: whole-file path
    monkeypatch.setattr(parsing_mod, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(parsing_mod, "CHUNK_BYTES", 1000)
    got = ingest_paths([path], workers=2).records
    pd.testing.assert_frame_equal(got, want)


def test_chunked_text_declines_what_cannot_stream() -> None:
    data = _concat()
    assert chunked_text(data, "x.ris", b"TY  -", len(data)) is None            # one chunk
    assert chunked_text(b"\xff\xfe" + data, "x.ris", b"TY  -", 100) is None    # UTF-16
    with pytest.raises(InputError, match="binary"):
        chunked_text(b"\x00" * 5000 + data, "x.ris", b"TY  -", 100)


def test_column_result_matches_parse() -> None:
    text = (EXPORTS / "ris_scopus.ris").read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    whole = ris.parse(text, "s.ris")
    cols = ris_stream.parse_chunk_columns(text, "s.ris", first_line=1, at_end=True, dialect=whole.dialect)
    assert len(cols) == len(whole.records) == cols.expected_count
    for i, rec in enumerate(whole.records):
        assert {k: cols.columns[k][i] for k in ris_fields.FIELD_NAMES} == rec.fields
        assert cols.lines[i] == rec.line and cols.source_dbs[i] == rec.source_db


def test_bare_cr_before_a_bom_and_a_tag_counts_the_same_streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exports joined without care: WoS RIS (bare CRs before tags) whose last line ends in a
    bare CR, then a file that starts with a BOM. Both paths read '\\r<BOM>TY  -' as a line break."""
    wos = (EXPORTS / "ris_wos.ris").read_bytes().rstrip(b"\r\n")
    scopus = (EXPORTS / "ris_scopus.ris").read_bytes()
    assert scopus.startswith(BOM_BYTES)
    data = wos + b"\r" + scopus + b"\n" + scopus
    want, _ = _whole(data)
    got, _ = _streamed(data, 1, monkeypatch=monkeypatch)
    pd.testing.assert_frame_equal(got, want)
    assert len(want) == 6


@pytest.mark.parametrize("workers", [1, 2])
def test_a_warning_after_bare_cr_chunks_names_the_same_line_streamed(monkeypatch: pytest.MonkeyPatch,
                                                                      workers: int) -> None:
    """Workers number a chunk's lines without the bare-CR breaks of the chunks before it; a
    chunk whose warnings name lines is parsed again with them, so its warning matches the
    whole-file one (WoS RIS with bare CRs, then a Scopus record missing its ER line)."""
    wos = (EXPORTS / "ris_wos.ris").read_bytes()
    scopus = (EXPORTS / "ris_scopus.ris").read_bytes().replace(BOM_BYTES, b"")
    first_er = scopus.find(b"ER  -")
    broken = scopus[:first_er] + scopus[scopus.find(b"\n", first_er) + 1:]   # record 1 loses its ER
    data = wos + broken
    want, want_report = _whole(data)
    got, got_report = _streamed(data, 1, workers=workers, monkeypatch=monkeypatch)
    pd.testing.assert_frame_equal(got, want)
    assert any("no ER line" in w for f in want_report.details["files"] for w in f["warnings"])
    assert got_report == want_report


def test_a_record_without_its_ty_line_streams_identically(monkeypatch: pytest.MonkeyPatch) -> None:
    # The record lies between an ER and the next TY, so inside one chunk: read and counted
    # there, with the same line and warning as on the whole file.
    data = _concat()
    at = data.index(b"\nTY  -", len(data) // 2) + 1
    damaged = data[:at] + data[data.index(b"\n", at) + 1:]
    want, want_report = _whole(damaged)
    assert len(want) == _whole(data)[1].counts["records_identified"]
    assert sum("record has no TY line" in w for w in want_report.warnings) == 1
    for chunk in (1, 3000):
        got, got_report = _streamed(damaged, chunk, monkeypatch=monkeypatch)
        pd.testing.assert_frame_equal(got, want)
        assert got_report == want_report


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_forked_parser_workers_end_when_their_parent_is_killed(tmp_path):
    """Acceptance testing: `kill` (or a closed terminal, a CI timeout) on an ingest of a big RIS
    export left its two forked workers blocked for ever, ~100 MB each."""
    import signal
    import subprocess
    import textwrap
    import time

    data = (EXPORTS / "ris_ovid_medline_central.ris").read_bytes() * 4
    script = textwrap.dedent(f"""
        import time
        from screening.io.ris_stream import _fork_pool
        from screening.io.text_chunks import chunked_text
        data = {data!r}
        chunks = chunked_text(data, "x.ris", b"TY  -", len(data) // 4)
        pool = _fork_pool(2, chunks, "x.ris", "ris")
        jobs = [pool.submit(time.sleep, 600) for _ in range(2)]
        time.sleep(1)
        print(" ".join(str(p) for p in pool._processes), flush=True)
        time.sleep(600)
        """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert len(workers) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    deadline = time.time() + 20
    alive = workers
    while alive and time.time() < deadline:
        time.sleep(0.2)
        alive = [p for p in workers if Path(f"/proc/{p}").exists()
                 and Path(f"/proc/{p}/stat").read_text().split()[2] != "Z"]
    assert not alive, f"workers {alive} outlived their killed parent"
