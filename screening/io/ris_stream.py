"""Streaming RIS: a big file parsed chunk by chunk, in worker processes when CPUs are free.

:func:`screening.io.text_chunks.chunked_text` cuts a memory-mapped file at ``TY  -`` line starts into
~4 MB chunks; each chunk is decoded and scanned by :mod:`screening.io.ris`'s hot loop on its
own. Records are held column-wise (one list per field), never as a dict per record: that
halves what a 100k-record file costs in memory and what workers pickle back to the parent.
Workers are forked, so they read the chunks from the parent's memory.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Iterable

from screening.errors import InputError
from screening.io.base import ColumnResult
from screening.io.ris import _count_records, _scan
from screening.io.ris_checks import flag_merged_records, refuse_joined_exports
from screening.io.ris_fields import FIELD_NAMES, field_values
from screening.io.ris_source_db import source_db
from screening.io.tagged import gc_paused
from screening.io.text_chunks import ChunkedText, Utf8Fallback
from screening.normalize import strip_rights_statements


def parse_chunk_columns(text: str, filename: str, *, first_line: int, at_end: bool, dialect: str) -> ColumnResult:
    """Parse one chunk of a big RIS file, column-wise (see :class:`ColumnResult`).

    Streaming ingest cuts big files at ``TY  -`` line starts (see
    :func:`screening.io.text_chunks.chunk_bounds`), so every chunk holds whole records and the
    records counted per chunk (``TY`` lines, and records that lost theirs: these lie between an
    ``ER`` and the next ``TY``, so inside one chunk) add up to the whole file's count. The dialect is detected
    once on the file's head and passed in for every chunk (a later chunk's head is not the
    export's head). ``first_line`` keeps line numbers true to the file; ``at_end`` marks the
    chunk that ends the file, the only one where a missing ``ER`` means truncation.
    """
    warnings: list[str] = []
    rows: list[tuple[Any, ...]] = []
    lines: list[int] = []
    dbs: list[str] = []
    refuse_joined_exports(text, filename, first_line)
    with gc_paused():
        scanned = _scan(text, filename, warnings, first_line=first_line, at_end=at_end)
        for line, tags in flag_merged_records(scanned, text, filename, warnings, first_line):
            db = source_db(tags, dialect)
            rows.append(field_values(tags, dialect, db))
            lines.append(line)
            dbs.append(db)
        columns = {name: list(col) for name, col in zip(FIELD_NAMES, zip(*rows))} if rows else {
            name: [] for name in FIELD_NAMES}
    return ColumnResult(columns=columns, lines=lines, source_dbs=dbs, expected_count=_count_records(text),
                        dialect=dialect, warnings=warnings)


_STREAM: tuple[ChunkedText, str, str] | None = None


def _init_worker(chunks: ChunkedText, filename: str, dialect: str, parent: int = 0) -> None:
    global _STREAM
    _STREAM = (chunks, filename, dialect)
    _end_with_parent(parent)


def _end_with_parent(parent: int) -> None:
    """Make this worker end when the parent does. Killed by anything but a Ctrl-C to the whole
    process group (kill, a closed terminal, a CI timeout), the parent left its forked workers
    blocked on the pool's queue for ever, ~100 MB each (acceptance testing). Linux's
    PR_SET_PDEATHSIG sends them SIGTERM then; elsewhere nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)          # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if parent and os.getppid() != parent:      # the parent died before the call: end now
        os._exit(1)


def _parse_one(chunks: ChunkedText, filename: str, dialect: str, index: int,
               offset: int = 0) -> tuple[ColumnResult, int]:
    """Chunk ``index`` parsed with its first line ``first_lines[index] + offset`` (the bare-CR
    breaks of the chunks before it), and its own bare-CR breaks (see ChunkedText.decode)."""
    try:
        text, added = chunks.decode(index, offset)
        return parse_decoded_chunk(chunks, filename, dialect, index, text, offset), added
    finally:
        chunks.release(index)


def parse_decoded_chunk(chunks: ChunkedText, filename: str, dialect: str, index: int, text: str,
                        offset: int = 0) -> ColumnResult:
    """:func:`_parse_one` after decoding (the ingest benchmark times the two apart)."""
    part = parse_chunk_columns(text, filename, first_line=chunks.first_lines[index] + offset,
                               at_end=index == len(chunks) - 1, dialect=dialect)
    # ingest's rights-line stripping, done here in the workers (in parallel) rather than in
    # its serial assembly of the table (see ColumnResult.abstracts_clean)
    part.columns["abstract"] = strip_rights_statements(part.columns["abstract"])
    return part


def _worker_job(index: int) -> tuple[ColumnResult, int] | None:
    assert _STREAM is not None
    try:
        return _parse_one(*_STREAM, index)
    except (InputError, Utf8Fallback):
        return None  # the parent parses this chunk again and raises the error itself


def _fork_pool(workers: int, chunks: ChunkedText, filename: str, dialect: str) -> ProcessPoolExecutor | None:
    if workers < 2 or len(chunks) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_init_worker, initargs=(chunks, filename, dialect, os.getpid()))


def default_workers() -> int:
    """Processes for streaming parse: one per usable CPU, at most 2 (beyond that, merging the
    pickled results in the parent is the bottleneck)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


def parse_chunks(chunks: ChunkedText, filename: str, dialect: str, workers: int | None = None) -> ColumnResult:
    """Parse a chunked RIS file: the records :func:`parse` gives for the whole decoded text,
    column-wise, in file order, with the same line numbers and warnings; ``expected_count``
    is the sum of the chunks' counts (chunks partition the file at line starts, so the
    sum is the file's count); truncation is checked on the last chunk only.

    Raises :class:`Utf8Fallback` when a chunk is not UTF-8 (the caller switches ``chunks``
    to per-line decoding, :meth:`ChunkedText.fall_back`, and calls again), and the same
    :class:`InputError` as :func:`parse`.
    """
    out = ColumnResult.empty(FIELD_NAMES, dialect=dialect)
    pool = _fork_pool(default_workers() if workers is None else workers, chunks, filename, dialect)
    parts: Iterable[tuple[ColumnResult, int] | None] = (
        pool.map(_worker_job, range(len(chunks))) if pool is not None else (None for _ in range(len(chunks))))
    offset = 0                  # bare-CR line breaks of the chunks parsed so far
    try:
        for i, done in enumerate(parts):
            if done is None or (offset and done[0].warnings):
                # in the parent: the worker's error raised here, or warnings that name lines
                # (numbered without the earlier chunks' bare-CR breaks) made again with them
                part, extra = _parse_one(chunks, filename, dialect, i, offset)
            else:
                part, extra = done
                if offset:
                    part.lines = [line + offset for line in part.lines]
            out.extend(part)
            offset += extra
        out.abstracts_clean = True          # every part's abstracts were stripped in _parse_one
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return out


