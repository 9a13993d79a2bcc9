"""Turning raw export bytes into text we can parse, without silently guessing.

Real exports carry UTF-8 BOMs (sometimes a second one mid-file where two exports were
concatenated), CRLF, bare CR (classic-Mac tab-delimited WoS, Cochrane plain text) or a mix.
We normalise all of that to ``\\n`` while keeping line numbers true to the file: a line is
what an editor shows as a line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from screening.errors import InputError

BOM = "\ufeff"
BOM_BYTES = BOM.encode("utf-8")


@dataclass
class DecodedText:
    text: str                      # \n line endings, BOMs removed
    encoding: str                  # 'utf-8' or the fallback actually used
    warnings: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def _looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return True
    # Control bytes other than \t \n \r \f and ESC are rare in any text export.
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return len(head) > 0 and ctrl / len(head) > 0.05


def decode_bytes(data: bytes, path: str | Path) -> DecodedText:
    """Decode an export; raise :class:`InputError` for empty or binary files.

    UTF-8 (with or without BOM) is expected. Anything else falls back to cp1252 (the encoding
    of old Windows exports) and says so in ``warnings``: never a silent guess.
    """
    if not data.strip():
        raise InputError("file is empty", path=path, line=1, hint="re-export the search results; nothing to read")
    if _looks_binary(data):
        raise InputError("file is binary, not a text export", path=path, line=1,
                         hint="export as RIS, MEDLINE/.nbib, XML, BibTeX, CSV or tab-delimited text")
    warnings: list[str] = []
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        text = normalise_newlines(data.decode("utf-16").replace(BOM, ""))
        warnings.append(f"{Path(path).name}: decoded as UTF-16 (byte-order mark)")
        return DecodedText(text=text, encoding="utf-16", warnings=warnings)
    # Work on bytes first: BOMs and line endings are the same bytes in UTF-8 and cp1252, and
    # one pass over bytes is much cheaper (in time and peak memory) than over a decoded str.
    data = _normalise_newline_bytes(data.replace(BOM_BYTES, b""))
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        text = data.decode("cp1252", errors="replace")
        encoding = "cp1252"
        warnings.append(
            f"{Path(path).name}:{line}: not valid UTF-8; decoded as Windows-1252 (cp1252). "
            "Check accented characters, or re-export as UTF-8"
        )
    return DecodedText(text=text, encoding=encoding, warnings=warnings)


def _normalise_newline_bytes(data: bytes) -> bytes:
    if b"\r" not in data:
        return data
    data = data.replace(b"\r\n", b"\n")
    if b"\r" in data:
        if b"\n" not in data.rstrip(b"\r"):
            return data.replace(b"\r", b"\n")
        return data.replace(b"\r", b"; ")
    return data


def normalise_newlines(text: str) -> str:
    """CRLF -> LF. Bare CR becomes LF only when the file has no LF line endings at all
    (CR-only files); inside LF files a bare CR is an in-field separator (WoS RIS AD/C3 values)
    and becomes ``'; '`` so that line numbers stay true."""
    text = text.replace("\r\n", "\n")
    if "\r" in text:
        if "\n" not in text.rstrip("\r"):
            text = text.replace("\r", "\n")
        else:
            text = text.replace("\r", "; ")
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
