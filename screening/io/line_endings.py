"""Line endings: CRLF, bare CR and mixes normalised to LF, line numbers kept true to the file.

A bare CR is a line break in a CR-only file (classic-Mac tab-delimited WoS, Cochrane plain
text), and in an LF file only where it starts a RIS-tagged line (WoS RIS); any other bare CR is
an in-field separator. Its own module because the whole-file decoder (:mod:`screening.io.text`)
and the chunked one (:mod:`screening.io.text_chunks`) must decide each CR the same way, and the
chunked one also needs how many line breaks that added (:func:`normalise_counted`).
"""

from __future__ import annotations

import re

# In an LF file, a bare CR that starts a RIS-tagged line is a line break: WoS RIS writes
# '...(SCI-EXPANDED)\rAN  - WOS:000082252000006' and 'AD  - Univ A\rAD  - Univ B'. Read as an
# in-field '; ', the accession number would vanish into the WE value.
_CR_TAG = re.compile(r"\r(?=[A-Z][A-Z0-9]  - )")
_CR_TAG_BYTES = re.compile(rb"\r(?=[A-Z][A-Z0-9]  - )")
_BARE_CR_BYTES = re.compile(rb"\r(?!\n)")      # a CR that is not half of a CRLF


def normalise_newline_bytes(data: bytes, has_lf: bool | None = None) -> bytes:
    """The bytes form of :func:`normalise_newlines`; ``has_lf``: whether the whole file has LF
    line endings, when ``data`` is one chunk of it (else decided from ``data``)."""
    return normalise_counted(data, has_lf)[0]


def normalise_counted(data: bytes, has_lf: bool | None = None) -> tuple[bytes, int]:
    """:func:`normalise_newline_bytes`, and how many line breaks it added beyond the LFs
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


def has_lf_endings(data: bytes) -> bool:
    """Whether the file has LF line endings, as :func:`normalise_newline_bytes` decides it
    (an LF before the trailing run of CRs), without copying the data."""
    end = len(data)
    while end and data[end - 1] == 13:
        end -= 1
    return data.find(b"\n", 0, end) != -1
