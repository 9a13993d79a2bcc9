"""Turning raw export bytes into text we can parse, without silently guessing.

Real exports carry UTF-8 BOMs (sometimes a second one mid-file where two exports were
concatenated), CRLF, bare CR (classic-Mac tab-delimited WoS, Cochrane plain text) or a mix.
We normalise all of that to ``\\n`` while keeping line numbers true to the file: a line is
what an editor shows as a line.

This module decodes a whole file: empty and binary files refused, UTF-16/32 recognised, UTF-8
expected. Its parts are their own modules, shared with the chunked reading of big files
(:mod:`screening.io.text_chunks`): line endings (:mod:`screening.io.line_endings`) and the
per-line Windows-1252 fallback for bytes that are not UTF-8 (:mod:`screening.io.cp1252_fallback`).
"""

from __future__ import annotations

import codecs
import mmap
from dataclasses import dataclass, field
from pathlib import Path

from screening.errors import InputError
from screening.io.cp1252_fallback import decode_lines
from screening.io.line_endings import normalise_newline_bytes, normalise_newlines

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


def check_text_bytes(data: bytes | str, path: str | Path) -> None:
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
    check_text_bytes(text, path)
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
    check_text_bytes(data, path)
    # Work on bytes first: BOMs and line endings are the same bytes in UTF-8 and cp1252, and
    # one pass over bytes is much cheaper (in time and peak memory) than over a decoded str.
    data = normalise_newline_bytes(data.replace(BOM_BYTES, b""))
    if not data or data.isspace():
        check_text_bytes(data, path)   # nothing but byte-order marks: as empty as an empty file
    try:
        # The common case, in one piece: no per-line work (or objects) for a UTF-8 file.
        return DecodedText(text=data.decode("utf-8"), encoding="utf-8")
    except UnicodeDecodeError:
        pass
    text, lines = decode_lines(data, 1, path, strict=strict)
    return DecodedText(text=text, encoding=lines.encoding, warnings=[lines.warning(path)])


def read_text(path: str | Path) -> DecodedText:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=path, hint="check the path") from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path=path, hint="name the export files inside it") from None
    return decode_bytes(data, path)
