"""Chunked decoding, for streaming ingest of big files.

Decoding a 300 MB export in one piece holds its bytes, a normalised copy and the decoded
string (2 bytes per character as soon as one character is above U+00FF) at the same time:
over 1 GB before any parsing. Cut at line starts that begin a record, the file decodes
chunk by chunk to exactly the same text: BOMs, CRLF pairs and UTF-8 sequences never span a
line break, and the cp1252 fallback is decided per line (see decode_lines).

Separate from the whole-file decoder (:mod:`screening.io.text`) because only streaming ingest
needs it: memory maps, record-aligned chunk bounds, releasing pages and the restart when a
chunk turns out not to be UTF-8 are its concern alone; the decoding rules themselves are shared
(:mod:`screening.io.line_endings`, :mod:`screening.io.cp1252_fallback`).
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass, field
from pathlib import Path

from screening.io.cp1252_fallback import Cp1252Lines, decode_lines
from screening.io.line_endings import has_lf_endings, normalise_counted
from screening.io.text import BOM_BYTES, check_text_bytes, wide_encoding


class Utf8Fallback(Exception):
    """A chunk is not valid UTF-8: the file must be decoded again line by line, and its
    warning must count every such line (see :meth:`ChunkedText.fall_back`).

    ``line`` is the file line of the first invalid byte, as :func:`decode_bytes` reports it.
    """

    def __init__(self, line: int) -> None:
        super().__init__(line)  # args == (line,): survives pickling from a worker process
        self.line = line

    def __str__(self) -> str:
        return f"not valid UTF-8 at line {self.line}"


def chunk_bounds(data: bytes, marker: bytes, size: int) -> list[tuple[int, int]]:
    """``(start, end)`` byte ranges that partition ``data``, each at least ``size`` bytes
    (except the last) and each after the first starting at a line that begins with ``marker``
    (``b"TY  -"`` for RIS). A file without such lines is one range."""
    bounds: list[tuple[int, int]] = []
    start, n, needle = 0, len(data), b"\n" + marker
    while start < n:
        pos = data.find(needle, start + size) if start + size < n else -1
        if pos == -1:
            bounds.append((start, n))
            break
        bounds.append((start, pos + 1))
        start = pos + 1
    return bounds


@dataclass
class ChunkedText:
    """A file's bytes cut into record-aligned chunks that decode one at a time.

    :meth:`chunk` gives chunk ``i``'s text and ``first_lines[i]`` its first file line: the
    same text, line numbers and encoding as :func:`decode_bytes` gives for the whole file.
    While ``encoding`` is UTF-8, a chunk that is not valid UTF-8 raises :class:`Utf8Fallback`;
    the caller then calls :meth:`fall_back` and starts again, so every chunk is decoded line
    by line, and the warning (which needs the whole file's count) is the whole-file one.

    ``first_lines`` counts the raw LFs only. A bare CR that starts a tagged line (see
    line_endings) is a line break too; each chunk's :meth:`decode` says how many it added, and a
    reader adds the running total of the chunks before (``offset``): counting them here,
    serially, cost a pattern pass over every CRLF of the file.
    """

    data: bytes | mmap.mmap
    path: str | Path
    bounds: list[tuple[int, int]]
    has_lf: bool
    encoding: str = "utf-8"
    warnings: list[str] = field(default_factory=list)
    first_lines: list[int] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        line = 1
        for start, end in self.bounds:
            self.first_lines.append(line)
            line += self.data[start:end].count(b"\n")
            release_pages(self.data, start, end)

    def chunk(self, index: int, offset: int = 0) -> str:
        """Decoded text of chunk ``index`` (see :meth:`decode`)."""
        return self.decode(index, offset)[0]

    def decode(self, index: int, offset: int = 0) -> tuple[str, int]:
        """Chunk ``index``'s text and the line breaks its bare CRs added; ``offset``: those of
        the chunks before it, for the line numbers of errors. :class:`Utf8Fallback` names the
        file line."""
        raw, added = self._normalised(index)
        first = self.first_lines[index] + offset
        if self.encoding == "utf-8":
            try:
                return raw.decode("utf-8"), added
            except UnicodeDecodeError as err:
                raise Utf8Fallback(first + raw[: err.start].count(b"\n")) from None
        return decode_lines(raw, first, self.path)[0], added

    def _normalised(self, index: int) -> tuple[bytes, int]:
        """Chunk ``index``'s bytes as :func:`decode_bytes` sees them (no BOMs, LF endings), and
        the line breaks that added."""
        start, end = self.bounds[index]
        raw = self.data[start:end]
        # a lone byte is found at memchr speed; the three-byte BOM search cost ~0.2 s per
        # 290 MB, and most chunks hold no 0xEF byte at all
        if b"\xef" in raw and BOM_BYTES in raw:
            raw = raw.replace(BOM_BYTES, b"")
        return normalise_counted(raw, self.has_lf)

    def head(self, chars: int) -> str:
        """The file's first ``chars`` characters (what format and dialect detection look
        at), decoded from as many chunks as that takes."""
        parts: list[str] = []
        have = 0
        for i in range(len(self.bounds)):
            parts.append(self.chunk(i))
            have += len(parts[-1])
            if have >= chars:
                break
        return "".join(parts)[:chars]

    def release(self, index: int) -> None:
        """Let the OS drop chunk ``index``'s pages from memory once it is parsed, when the
        file is memory-mapped (:func:`map_file`): they are re-read from the page cache if
        needed again. A no-op for ``bytes``."""
        release_pages(self.data, *self.bounds[index])

    def __len__(self) -> int:
        return len(self.bounds)

    def fall_back(self) -> None:
        """Switch to per-line decoding (:func:`decode_lines`) for the whole file and say so, as
        :func:`decode_bytes` does: the warning counts every line decoded as cp1252 and whether
        the rest holds UTF-8, so every chunk is scanned once here, in the parent (a worker's
        findings would not come back), before the caller parses again."""
        lines = Cp1252Lines()
        offset = 0
        for i in range(len(self.bounds)):
            raw, added = self._normalised(i)
            lines.extend(decode_lines(raw, self.first_lines[i] + offset, self.path)[1])
            offset += added
            self.release(i)
        self.encoding = lines.encoding
        self.warnings.append(lines.warning(self.path))


def release_pages(data: bytes | mmap.mmap, start: int, end: int) -> None:
    """Drop the pages of ``data[start:end]`` from this process's memory when ``data`` is a
    read-only file mapping (they are re-read from the page cache on the next access)."""
    if isinstance(data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        start -= start % mmap.PAGESIZE  # page-aligned; a shared edge page is simply re-read
        if end > start:
            data.madvise(mmap.MADV_DONTNEED, start, end - start)


def map_file(path: str | Path) -> mmap.mmap:
    """The file's bytes, memory-mapped read-only: streaming ingest reads a big export chunk by
    chunk and releases each chunk's pages (:meth:`ChunkedText.release`), so the whole file is
    never resident at once. Supports what ingest needs of ``bytes``: slicing, ``find``, ``len``
    and the buffer protocol (hashing)."""
    with open(path, "rb") as fh:
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


def chunked_text(data: bytes | mmap.mmap, path: str | Path, marker: bytes, size: int) -> ChunkedText | None:
    """:class:`ChunkedText` for ``data`` when it can stream: a UTF-8/cp1252 text file with LF
    or CRLF line endings and at least two chunks. ``None`` means: use :func:`decode_bytes`."""
    if len(data) < 2 * size:
        return None
    head = data[: 1 << 16]
    if head.isspace():  # a big file of blanks: let the whole-file checks say so
        return None
    if wide_encoding(head) is not None:  # UTF-16/32: decoded whole by decode_bytes
        return None
    check_text_bytes(head, path)
    bounds = chunk_bounds(data, marker, size)
    if len(bounds) < 2:
        return None
    if sum(end - start for start, end in bounds) != len(data) or any(
            bounds[i][1] != bounds[i + 1][0] for i in range(len(bounds) - 1)):
        raise AssertionError("chunk bounds do not partition the file")  # a bug here, never the user's
    return ChunkedText(data=data, path=path, bounds=bounds, has_lf=has_lf_endings(data))
