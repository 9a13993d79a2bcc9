"""Checks on a RIS file beyond its own record count: damage the count cannot see.

* Another export joined after (or before) the RIS records: the scanner ignores lines outside
  ``TY`` .. ``ER`` by design (Ovid's link lines, Cochrane's headers), and the count only sees
  RIS markers, so a ``cat scopus.ris pubmed.nbib`` lost all the PubMed records with exit 0.
  Such a file is refused at the line where the other export starts.
* Two records merged into one: a record that lost both its ``ER`` and the next record's
  ``TY`` reads as one record holding two titles. No real export repeats ``TI``, ``T1`` or
  ``PY`` within a record (checked on every RIS file in the shared exports and funnels), so a
  repeat is reported as a warning naming both lines.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from screening.io.joined_exports import FOR_RIS, RIS, refuse_joined

_TY_AT = re.compile(r"TY[ \t]+-")
_ER_AT = re.compile(r"ER[ \t]+-")


def _last_marker(text: str, tag: str, at: re.Pattern[str], end: int) -> int:
    """Offset of the last ``tag`` marker line starting before ``end``; -1 when none."""
    needle = "\n" + tag
    pos = text.rfind(needle, 0, end)
    while pos != -1:
        if at.match(text, pos + 1):
            return pos + 1
        pos = text.rfind(needle, 0, pos)
    return 0 if at.match(text) and end > 0 else -1


def _outside_records(text: str, offset: int) -> bool:
    """Whether the line at ``offset`` lies outside every record: no ``TY`` since the last
    ``ER`` (or since the start of ``text``)."""
    return _last_marker(text, "TY", _TY_AT, offset) <= _last_marker(text, "ER", _ER_AT, offset)


def refuse_joined_exports(text: str, filename: str, first_line: int = 1) -> None:
    """Raise :class:`~screening.errors.InputError` at the first line outside the RIS records
    that starts a record of another tagged format (MEDLINE ``PMID-``, Web of Science
    ``FN``/``VR``/``PT J``, BibTeX ``@article{``). Lines inside a record are not looked at:
    untagged lines there continue a value (abstract paragraphs) and may read anyhow."""
    refuse_joined(text, filename, "RIS", FOR_RIS, (RIS,), first_line=first_line,
                  counts=lambda offset: _outside_records(text, offset))


# the tags no record has twice: a repeat means two records read as one
_ONCE_TAGS = {"TI": "title", "T1": "title", "PY": "year"}
_TAG_AT = re.compile(r"([A-Z][A-Z0-9])[ \t]{1,2}-")


def flag_merged_records(records: Iterable[tuple[int, dict[str, list[str]]]], text: str, filename: str,
                        warnings: list[str], first_line: int = 1) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """Pass ``(line, tags)`` records through, warning for each that holds a second ``TI``,
    ``T1`` or ``PY`` value (see the module note). ``text`` is what the records were scanned
    from, its first line being file line ``first_line``."""
    cursor, cursor_line = 0, first_line     # records come in file order: walk forward once
    for start, tags in records:
        # the hot path: three dict lookups per record
        if len(tags.get("TI") or ()) > 1 or len(tags.get("T1") or ()) > 1 or len(tags.get("PY") or ()) > 1:
            while cursor_line < start and cursor != -1:
                cursor = text.find("\n", cursor)
                cursor = -1 if cursor == -1 else cursor + 1
                cursor_line += 1
            if cursor != -1:
                warnings.append(_merged_warning(text, cursor, start, filename))
        yield start, tags


def _merged_warning(text: str, offset: int, start: int, filename: str) -> str:
    """The warning for the record whose first line (file line ``start``) is at ``offset``:
    names the first line that repeats one of the once-only tags."""
    seen: set[str] = set()
    lineno = start
    while offset != -1:
        end = text.find("\n", offset)
        m = _TAG_AT.match(text, offset, len(text) if end == -1 else end)
        if m is not None:
            tag = m.group(1)
            if tag == "ER" or (tag == "TY" and lineno > start):
                break
            if tag in _ONCE_TAGS:
                if tag in seen:
                    return (f"{filename}:{lineno}: a second {_ONCE_TAGS[tag]} ({tag}) at line {lineno} inside the "
                            f"record starting at line {start}: a missing ER/TY? Two records may have been read "
                            "as one; check the export there")
                seen.add(tag)
        offset = -1 if end == -1 else end + 1
        lineno += 1
    return (f"{filename}:{start}: the record starting at line {start} repeats its title or year (TI/T1/PY): "
            "a missing ER/TY? Two records may have been read as one; check the export there")
