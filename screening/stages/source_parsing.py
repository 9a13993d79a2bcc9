"""One export file read and parsed: its bytes, decoded, its format detected, parsed into columns,
and its record count checked against the file's own markers.

Why apart from :mod:`screening.stages.ingest`: reading a file is where size matters. Big RIS
files (``STREAM_MIN_BYTES`` and up; 100k-record exports are ~300 MB) are memory-mapped
(:func:`read_file`) and cut at record starts into ~``CHUNK_BYTES`` chunks that are decoded and
parsed one at a time, with the same records, line numbers, warnings and errors as the
whole-file path; ingest then only assembles the parsed files into the records table.
"""

from __future__ import annotations

import mmap
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from screening.errors import InputError, RecordCountMismatch
from screening.io.base import ColumnResult, detect_format, get_reader
from screening.io import ris, ris_stream
from screening.io.text import decode_bytes
from screening.io.text_chunks import ChunkedText, Utf8Fallback, chunked_text, map_file

if TYPE_CHECKING:      # for annotations only: ingest, which defines RawSource, imports this module
    from screening.stages.ingest import RawSource

# Files this big stream: decoded and parsed in chunks of about CHUNK_BYTES (see parse_source).
STREAM_MIN_BYTES = 16 * 1024 * 1024
CHUNK_BYTES = 4 * 1024 * 1024


def read_file(path: Path, files: ExitStack) -> bytes | mmap.mmap:
    """A source file's bytes: memory-mapped from ``STREAM_MIN_BYTES`` up, so streaming ingest
    never holds a whole big export in memory (the map is closed with ``files``); read whole
    below that."""
    if path.stat().st_size < STREAM_MIN_BYTES:
        return path.read_bytes()
    return files.enter_context(map_file(path))


def _crash(reader: str, source: RawSource, err: Exception) -> InputError:
    # a reader crash is still the user's file problem to see, named and with what to check
    return InputError(f"could not parse as {reader}: {err}", path=source.name,
                      hint="the file may be truncated or not the format it looks like")


def _parse_whole(source: RawSource) -> tuple[ColumnResult, str, list[str]]:
    data = source.data if isinstance(source.data, bytes) else bytes(source.data)
    decoded = decode_bytes(data, source.name)
    del data
    reader = get_reader(source.format) if source.format else detect_format(decoded.text, source.name)
    try:
        if reader.parse_columns is not None:
            return reader.parse_columns(decoded.text, source.name), decoded.encoding, list(decoded.warnings)
        result = reader.parse(decoded.text, source.name)
    except InputError:
        raise
    except Exception as err:
        raise _crash(reader.name, source, err) from err
    return ColumnResult.from_records(result), decoded.encoding, list(decoded.warnings)


def _stream_ris(source: RawSource, chunks: ChunkedText, workers: int | None) -> ColumnResult | None:
    head = chunks.head(50000)  # what detect_format and the RIS dialect check see of a whole file
    reader = get_reader("ris") if source.format else detect_format(head, source.name)
    if reader.name != "ris":
        return None
    try:
        return ris_stream.parse_chunks(chunks, source.name, ris.detect_dialect(head), workers)
    except (InputError, Utf8Fallback):
        raise
    except Exception as err:
        raise _crash("ris", source, err) from err


def _parse(source: RawSource, workers: int | None) -> tuple[ColumnResult, str, list[str]]:
    """Streaming ingest for big RIS files, whole-file ingest for everything else."""
    if source.format in ("", "ris") and len(source.data) >= STREAM_MIN_BYTES:
        chunks = chunked_text(source.data, source.name, b"TY  -", CHUNK_BYTES)
        if chunks is not None:
            try:
                result = _stream_ris(source, chunks, workers)
            except Utf8Fallback:  # the whole file is decoded again, line by line
                chunks.fall_back()
                result = _stream_ris(source, chunks, workers)
            if result is not None:
                return result, chunks.encoding, list(chunks.warnings)
    return _parse_whole(source)


def parse_source(source: RawSource, *,
                 workers: int | None = None) -> tuple[ColumnResult, str, list[str]]:
    """Decode + detect + parse one file; raise InputError on any mismatch.

    RIS files of ``STREAM_MIN_BYTES`` or more are decoded and parsed chunk by chunk (see
    :func:`screening.io.ris_stream.parse_chunks`), with the same records, line numbers, warnings, encoding
    fallback, count check and truncation check as the whole-file path.
    """
    result, encoding, decode_warnings = _parse(source, workers)
    n = len(result)
    if not n:
        raise InputError(f"no records found (read as {result.format})", path=source.name, line=1,
                         hint="check that this is a search export and not an empty result page")
    if result.expected_count is not None and result.expected_count != n:
        raise RecordCountMismatch(
            f"parsed {n} records but the file's own markers declare "
            f"{result.expected_count} ({result.format})",
            path=source.name,
            hint="the file may be truncated or malformed; re-export it, or report this file as a bug",
        )
    return result, encoding, decode_warnings + list(result.warnings)
