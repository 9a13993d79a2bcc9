"""The per-line fallback for a file that is not valid UTF-8: each such line read as Windows-1252.

A file that is not valid UTF-8 is decided line by line: a UTF-8 export with one stray
Windows-1252 byte (a hand-edited or pasted line) keeps every other line's UTF-8 characters,
instead of all of them turning into mojibake ('2000â€“2021'); a whole Windows-1252 file
(old EndNote/Ovid exports: no line is valid multi-byte UTF-8) reads as it always did. Lines
are split on the normalised bytes' LF, which is the same byte in both encodings and never
part of a UTF-8 sequence, so line numbers are the ones the decoders report.

Its own module because both the whole-file decoder (:mod:`screening.io.text`) and the chunked
one (:mod:`screening.io.text_chunks`) decode through :func:`decode_lines`, so they agree, and
:class:`Cp1252Lines` adds up a warning across chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from screening.errors import InputError

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
