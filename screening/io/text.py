"""Turning raw export bytes into text we can parse, without silently guessing.

Real exports carry UTF-8 BOMs (sometimes a second one mid-file where two exports were
concatenated), CRLF, bare CR (classic-Mac tab-delimited WoS, Cochrane plain text) or a mix.
We normalise all of that to ``\\n`` while keeping line numbers true to the file: a line is
what an editor shows as a line.
"""

from __future__ import annotations

import codecs
import mmap
import re
from dataclasses import dataclass, field
from pathlib import Path

from screening.errors import InputError

BOM = "\ufeff"
BOM_BYTES = BOM.encode("utf-8")


@dataclass
class DecodedText:
    text: str                      # \n line endings, BOMs removed
    encoding: str                  # 'utf-8', 'utf-16-le'..., 'cp1252' or 'utf-8+cp1252' (per line)
    warnings: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def _check_text_bytes(data: bytes | str, path: str | Path) -> None:
    """Refuse empty and binary files (one cheap look: no copy of a 300 MB export). Also run on
    the decoded text of a UTF-16/32 file, whose NUL bytes say nothing until decoded."""
    if not data or data.isspace():
        raise InputError("file is empty", path=path, line=1, hint="re-export the search results; nothing to read")
    if _looks_binary(data):
        raise InputError("file is binary, not a text export", path=path, line=1,
                         hint="export as RIS, MEDLINE/.nbib, XML, BibTeX, CSV or tab-delimited text")


def _looks_binary(data: bytes | str) -> bool:
    head = data[:4096]
    codes = [ord(c) for c in head] if isinstance(head, str) else head
    if 0 in codes:
        return True
    # Control bytes other than \t \n \r \f and ESC are rare in any text export.
    ctrl = sum(1 for b in codes if b < 32 and b not in (9, 10, 12, 13, 27))
    return len(head) > 0 and ctrl / len(head) > 0.05


# UTF-32 before UTF-16: the UTF-32 LE mark (FF FE 00 00) starts with the UTF-16 LE one.
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
              (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def wide_encoding(data: bytes | mmap.mmap) -> tuple[str, str] | None:
    """``(codec, how it was recognised)`` for a UTF-16/UTF-32 file, else ``None``.

    Windows tools (Excel "Unicode text", EndNote, Notepad's "Unicode") save UTF-16 with a
    byte-order mark; its NUL bytes would otherwise make the file look binary.
    """
    for bom, codec in _WIDE_BOMS:
        if data[:len(bom)] == bom:
            return codec, "byte-order mark"
    codec = _utf16_without_bom(bytes(data[:4096]))
    return (codec, "no byte-order mark; recognised by its NUL bytes") if codec else None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a BOM, only when it is unmistakable: in an export (mostly ASCII tags and
    Latin text) at least half the characters have a NUL high byte, all at odd offsets (LE) or
    all at even ones (BE), and no low byte is NUL. Binary data rarely fits; what does still has
    to decode strictly and read as text (:func:`_decode_wide`), else it is reported binary."""
    head = head[: len(head) - len(head) % 2]
    if len(head) < 16:
        return None
    even, odd = head[0::2], head[1::2]
    for high, low, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if low.count(0) == 0 and high.count(0) * 2 >= len(high):
            return codec
    return None


def _decode_wide(data: bytes, path: str | Path, codec: str, how: str) -> DecodedText:
    """Decode a UTF-16/32 file strictly (its byte-order mark decodes to U+FEFF, removed like
    UTF-8's); the same empty/binary checks as for bytes, on the text."""
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as err:
        line = data[:err.start].decode(codec, errors="replace").count("\n") + 1
        raise InputError(f"not valid {codec.upper()} (a broken or truncated file)", path=path, line=line,
                         hint="re-export the file, preferably as UTF-8") from None
    text = normalise_newlines(text.replace(BOM, ""))
    _check_text_bytes(text, path)
    return DecodedText(text=text, encoding=codec,
                       warnings=[f"{Path(path).name}: decoded as {codec.upper()} ({how})"])


def decode_bytes(data: bytes, path: str | Path, *, strict: bool = False) -> DecodedText:
    """Decode an export; raise :class:`InputError` for empty or binary files.

    UTF-8 (with or without BOM) is expected. UTF-16/UTF-32 with a byte-order mark (and UTF-16
    without one when unmistakable, see :func:`wide_encoding`) is decoded as such, with a
    warning naming the encoding. Otherwise each line that is not valid UTF-8 is decoded as
    cp1252 (the encoding of old Windows exports), the others stay UTF-8, and ``warnings`` says
    how many lines and which (see :func:`decode_lines`): never a silent guess. ``strict``:
    bytes cp1252 does not define either (0x81, 0x8D, 0x8F, 0x90, 0x9D) are an error instead of
    U+FFFD (for what goes into the append-only decision log, where it would stay).
    """
    # UTF-16/32 first: their NUL bytes would fail the binary check on bytes.
    wide = wide_encoding(data) if data else None
    if wide is not None:
        return _decode_wide(data, path, *wide)
    _check_text_bytes(data, path)
    # Work on bytes first: BOMs and line endings are the same bytes in UTF-8 and cp1252, and
    # one pass over bytes is much cheaper (in time and peak memory) than over a decoded str.
    data = _normalise_newline_bytes(data.replace(BOM_BYTES, b""))
    if not data or data.isspace():
        _check_text_bytes(data, path)   # nothing but byte-order marks: as empty as an empty file
    try:
        # The common case, in one piece: no per-line work (or objects) for a UTF-8 file.
        return DecodedText(text=data.decode("utf-8"), encoding="utf-8")
    except UnicodeDecodeError:
        pass
    text, lines = decode_lines(data, 1, path, strict=strict)
    return DecodedText(text=text, encoding=lines.encoding, warnings=[lines.warning(path)])


# ---------------------------------------------------------------------------------------------
# Per-line fallback.
#
# A file that is not valid UTF-8 is decided line by line: a UTF-8 export with one stray
# Windows-1252 byte (a hand-edited or pasted line) keeps every other line's UTF-8 characters,
# instead of all of them turning into mojibake ('2000â€“2021'); a whole Windows-1252 file
# (old EndNote/Ovid exports: no line is valid multi-byte UTF-8) reads as it always did. Lines
# are split on the normalised bytes' LF, which is the same byte in both encodings and never
# part of a UTF-8 sequence, so line numbers are the ones the rest of the module reports.

# Lines whose numbers a warning lists; the count covers all of them.
_LISTED_LINES = 5
# Bytes decoded in one try: a block that is valid UTF-8 (every line in it is) is one piece,
# only a block that is not is split into lines, so a big file never becomes a str per line.
_BLOCK_BYTES = 1 << 16


@dataclass
class Cp1252Lines:
    """Which lines of a file were decoded as cp1252: how many, the first few line numbers,
    and whether any other line held non-ASCII UTF-8 (then the file is mixed)."""

    count: int = 0
    first: list[int] = field(default_factory=list)
    utf8_non_ascii: bool = False

    def add(self, line: int) -> None:
        self.count += 1
        if len(self.first) < _LISTED_LINES:
            self.first.append(line)

    def extend(self, other: Cp1252Lines) -> None:
        """Add a later part of the same file (chunks, in file order)."""
        for line in other.first:
            self.add(line)
        self.count += other.count - len(other.first)
        self.utf8_non_ascii |= other.utf8_non_ascii

    @property
    def encoding(self) -> str:
        if not self.count:
            return "utf-8"
        return "utf-8+cp1252" if self.utf8_non_ascii else "cp1252"

    def warning(self, path: str | Path) -> str:
        listed = ", ".join(map(str, self.first))
        if self.count > len(self.first):
            listed += f" and {self.count - len(self.first)} more"
        one = self.count == 1
        rest = "the rest as UTF-8" if self.utf8_non_ascii else "the rest is plain ASCII"
        return (f"{Path(path).name}: {self.count} {'line is' if one else 'lines are'} not valid UTF-8 "
                f"({'line' if one else 'lines'} {listed}); {'that line was' if one else 'those lines were'} "
                f"decoded as Windows-1252 (cp1252), {rest}. Check {'it' if one else 'them'}, "
                "or re-export the file as UTF-8.")


def decode_lines(data: bytes, first_line: int, path: str | Path, *,
                 strict: bool = False) -> tuple[str, Cp1252Lines]:
    """Decode normalised bytes (LF line endings, no BOMs) whose first line is file line
    ``first_line``: each line that is valid UTF-8 as UTF-8, each other line as cp1252.

    ``strict``: a byte cp1252 does not define is an :class:`InputError` naming its line, else
    U+FFFD. Both the whole-file and the chunked path decode through here, so they agree.
    """
    pieces: list[str] = []
    lines = Cp1252Lines()
    line, start, n = first_line, 0, len(data)
    while start < n:
        end = data.find(b"\n", start + _BLOCK_BYTES)
        end = n if end == -1 else end + 1
        block = data[start:end]
        try:
            pieces.append(block.decode("utf-8"))
            lines.utf8_non_ascii |= not block.isascii()
        except UnicodeDecodeError:
            pieces.append(_decode_block_by_line(block, line, lines, path, strict))
        line += block.count(b"\n")
        start = end
    return "".join(pieces), lines


def _decode_block_by_line(block: bytes, first_line: int, lines: Cp1252Lines, path: str | Path,
                          strict: bool) -> str:
    out: list[str] = []
    for line, raw in enumerate(block.split(b"\n"), start=first_line):
        try:
            out.append(raw.decode("utf-8"))
            lines.utf8_non_ascii |= not raw.isascii()
        except UnicodeDecodeError:
            lines.add(line)
            out.append(_decode_cp1252(raw, line, path, strict))
    return "\n".join(out)


def _decode_cp1252(raw: bytes, line: int, path: str | Path, strict: bool) -> str:
    try:
        return raw.decode("cp1252", errors="strict" if strict else "replace")
    except UnicodeDecodeError as bad:
        raise InputError(f"byte 0x{raw[bad.start]:02X} is neither UTF-8 nor Windows-1252 text",
                         path=path, line=line,
                         hint="save the file as UTF-8 (Excel: 'CSV UTF-8') and import it again") from None


# In an LF file, a bare CR that starts a RIS-tagged line is a line break: WoS RIS writes
# '...(SCI-EXPANDED)\rAN  - WOS:000082252000006' and 'AD  - Univ A\rAD  - Univ B'. Read as an
# in-field '; ', the accession number would vanish into the WE value.
_CR_TAG = re.compile(r"\r(?=[A-Z][A-Z0-9]  - )")
_CR_TAG_BYTES = re.compile(rb"\r(?=[A-Z][A-Z0-9]  - )")
_BARE_CR_BYTES = re.compile(rb"\r(?!\n)")      # a CR that is not half of a CRLF


def _normalise_newline_bytes(data: bytes, has_lf: bool | None = None) -> bytes:
    """The bytes form of :func:`normalise_newlines`; ``has_lf``: whether the whole file has LF
    line endings, when ``data`` is one chunk of it (else decided from ``data``)."""
    return _normalise_counted(data, has_lf)[0]


def _normalise_counted(data: bytes, has_lf: bool | None = None) -> tuple[bytes, int]:
    """:func:`_normalise_newline_bytes`, and how many line breaks it added beyond the LFs
    ``data`` had: the bare CRs that start a tagged line in an LF file (the chunked reader adds
    them up so its line numbers match :func:`decode_bytes`)."""
    if b"\r" not in data:
        return data, 0
    if _BARE_CR_BYTES.search(data) is None:
        # CRLF only (most Windows exports): deleting every CR is the same as replacing each
        # CRLF, and bytes.translate is ~2.5x faster than replace on a line ending per line
        return data.translate(None, b"\r"), 0
    data = data.replace(b"\r\n", b"\n")
    if b"\r" not in data:
        return data, 0
    if not (has_lf if has_lf is not None else b"\n" in data.rstrip(b"\r")):
        return data.replace(b"\r", b"\n"), 0       # CR-only file: never chunked, lines counted whole
    data, added = _CR_TAG_BYTES.subn(b"\n", data)
    return data.replace(b"\r", b"; "), added


def normalise_newlines(text: str) -> str:
    """CRLF -> LF. Bare CR becomes LF when the file has no LF line endings at all (CR-only
    files) or, in an LF file, when it starts a RIS-tagged line (WoS RIS); any other bare CR
    in an LF file is an in-field separator (WoS RIS C3 values) and becomes ``'; '``."""
    text = text.replace("\r\n", "\n")
    if "\r" in text:
        if "\n" not in text.rstrip("\r"):
            text = text.replace("\r", "\n")
        else:
            text = _CR_TAG.sub("\n", text).replace("\r", "; ")
    return text


def read_text(path: str | Path) -> DecodedText:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=path, hint="check the path") from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path=path, hint="name the export files inside it") from None
    return decode_bytes(data, path)


# ---------------------------------------------------------------------------------------------
# Chunked decoding, for streaming ingest of big files.
#
# Decoding a 300 MB export in one piece holds its bytes, a normalised copy and the decoded
# string (2 bytes per character as soon as one character is above U+00FF) at the same time:
# over 1 GB before any parsing. Cut at line starts that begin a record, the file decodes
# chunk by chunk to exactly the same text: BOMs, CRLF pairs and UTF-8 sequences never span a
# line break, and the cp1252 fallback is decided per line (see decode_lines).


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


def has_lf_endings(data: bytes) -> bool:
    """Whether the file has LF line endings, as :func:`_normalise_newline_bytes` decides it
    (an LF before the trailing run of CRs), without copying the data."""
    end = len(data)
    while end and data[end - 1] == 13:
        end -= 1
    return data.find(b"\n", 0, end) != -1


@dataclass
class ChunkedText:
    """A file's bytes cut into record-aligned chunks that decode one at a time.

    :meth:`chunk` gives chunk ``i``'s text and ``first_lines[i]`` its first file line: the
    same text, line numbers and encoding as :func:`decode_bytes` gives for the whole file.
    While ``encoding`` is UTF-8, a chunk that is not valid UTF-8 raises :class:`Utf8Fallback`;
    the caller then calls :meth:`fall_back` and starts again, so every chunk is decoded line
    by line, and the warning (which needs the whole file's count) is the whole-file one.

    ``first_lines`` counts the raw LFs only. A bare CR that starts a tagged line (see
    _CR_TAG) is a line break too; each chunk's :meth:`decode` says how many it added, and a
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
        return _normalise_counted(raw, self.has_lf)

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
    _check_text_bytes(head, path)
    bounds = chunk_bounds(data, marker, size)
    if len(bounds) < 2:
        return None
    if sum(end - start for start, end in bounds) != len(data) or any(
            bounds[i][1] != bounds[i + 1][0] for i in range(len(bounds) - 1)):
        raise AssertionError("chunk bounds do not partition the file")  # a bug here, never the user's
    return ChunkedText(data=data, path=path, bounds=bounds, has_lf=has_lf_endings(data))
