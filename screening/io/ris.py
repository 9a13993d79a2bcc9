"""RIS reader: every dialect we have met (Ovid, EBSCO, Scopus, WoS, Embase, Cochrane, Lens,
Dimensions, Zotero, EndNote, ProQuest...).

RIS is ``TAG  - value`` lines between ``TY`` and ``ER``. What varies is everything around that:
Ovid numbers records (``1.``) and appends a 'Link to the Ovid Full Text' line after ``ER``;
Cochrane writes ``Record #N of M`` / ``Provider:`` headers and ``TY  -  JOUR`` (two spaces
after the hyphen); Dimensions and Zotero let abstracts run on over untagged lines; EBSCO adds a
copyright line as a second ``AB``. Lines outside ``TY``..``ER`` are therefore ignored, and
untagged lines inside a record continue the previous tag's value; but another export's record
markers there (a ``.nbib`` appended to a ``.ris``) refuse the file, and a record holding a
second title or year is named in a warning (:mod:`.ris_checks`).

The scanner is the hot path of ingest (100k-record files): records are cut out with
``str.find`` and split into tags by slicing; only records with odd lines (continuations,
one-space tags, a missing ``ER``) take the careful line-by-line path. Field mapping runs once
per record (:mod:`.ris_fields`), with regex-free fast paths for the common clean values (see
:mod:`.tagged`).
"""

from __future__ import annotations

import re
from typing import Iterator

from screening.errors import InputError
from screening.io.base import ColumnResult, ParsedRecord, ParseResult, Reader, register_reader
from screening.io.ris_checks import flag_merged_records, refuse_joined_exports
from screening.io.ris_fields import RIS_TYPE_NAMES, record_fields  # noqa: F401
from screening.io.ris_source_db import source_db as record_source_db
from screening.io.tagged import gc_paused

# 'TY  - JOUR', 'TY  -  JOUR' (Cochrane), 'ER  -', 'ER  -  ' (Ovid), 'AU - X' (one space).
_TAG_LINE = re.compile(r"([A-Z][A-Z0-9]) {1,2}-(?: +(.*))?$")
_TY_AT = re.compile(r"TY[ \t]+-")
_SNIFF_TY = re.compile(r"^TY {1,2}- ", re.M)
_SNIFF_ER = re.compile(r"^ER {1,2}-", re.M)
_OVID_NUMBER = re.compile(r"^\d+\.\s*\nTY  -", re.M)
# the line that heads each record in Ovid ('2.') and Cochrane ('Record #2 of 172') exports
_RECORD_HEADER = re.compile(r"\d+\.\s*$|Record #\d+ of \d+")
_OUR_EXPORT = re.compile(r"^N1  - screening \((?:title_abstract|full_text)\): ", re.M)


def _marker_starts(text: str, tag: str) -> list[int]:
    """Offsets of the lines matching ``^TAG[ \\t]+-`` (``TY``/``ER``), counted on the raw text
    independently of the scanner. Candidate line starts are found with ``str.find`` and only
    those are checked with the regex (a multiline regex over a 300 MB export is ~8x slower)."""
    at = re.compile(tag + r"[ \t]+-").match
    starts = [0] if at(text) else []
    find = text.find
    needle = "\n" + tag
    pos = find(needle)
    while pos != -1:
        if at(text, pos + 1):
            starts.append(pos + 1)
        pos = find(needle, pos + 3)
    return starts


def _count_records(text: str) -> int:
    """Records the file declares: its ``TY`` lines, plus each ``ER`` line that closes tag lines
    no ``TY`` opened (a record that lost its start tag, which :func:`_scan_lines` reads with a
    warning). Counted on the raw text, independently of the scanner, so a record the scanner
    skipped is a count mismatch rather than a silent loss."""
    if "\nER" not in text and not text.startswith("ER"):
        return _count_ty(text)
    # The usual file: its TY and ER lines alternate, TY first, so every ER closes a record a
    # TY opened and the count is the TY lines. One regex pass lists the markers in order
    # (find loops over both cost two passes and a Python step per record, ~7% of parsing).
    markers = _MARKER_LINES.findall(text)
    if _TY_AT.match(text):
        markers.insert(0, "TY")
    elif _ER_AT.match(text):
        markers.insert(0, "ER")
    half = len(markers) // 2
    if len(markers) % 2 == 0 and markers[::2].count("TY") == half and markers[1::2].count("ER") == half:
        return half
    tys = _marker_starts(text, "TY")
    count = len(tys)
    i = 0
    prev_er = 0         # where the previous ER line starts (the file's start at first)
    for er in _marker_starts(text, "ER"):
        since = i
        while i < len(tys) and tys[i] < er:
            i += 1
        if i == since and _TAG_NOT_ER.search(text, prev_er, er):
            count += 1  # tag lines closed by this ER with no TY since the previous ER
        prev_er = er
    return count


# the TY and ER lines after the first line (what _marker_starts finds), in file order: a literal
# '\n' first lets the regex engine skip to line starts at memchr speed, where '^' with re.M
# would try every position
_MARKER_LINES = re.compile(r"\n(TY|ER)[ \t]+-")
_ER_AT = re.compile(r"ER[ \t]+-")

# a tag line other than ER ('^' matches at a line start, so a search from an ER line's
# start skips that line)
_TAG_NOT_ER = re.compile(r"^(?!ER)[A-Z][A-Z0-9] {1,2}-(?: |$)", re.M)


def _count_ty(text: str) -> int:
    """The file's ``TY`` lines (see :func:`_marker_starts`), without listing them when every
    candidate is a plain ``TY  -`` line (the common case, on ingest's hot path)."""
    n = 1 if _TY_AT.match(text) else 0
    clean = text.count("\nTY  -")
    if text.count("\nTY") == clean:
        return n + clean
    return len(_marker_starts(text, "TY"))


def sniff(text: str) -> float:
    """RIS if there are ``TY  -`` lines; more so with ``ER  -`` lines to match."""
    ty = len(_SNIFF_TY.findall(text))
    if not ty:
        return 0.0
    er = len(_SNIFF_ER.findall(text))
    return 0.95 if er else 0.7


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_TAGS = frozenset(a + b for a in _UPPER for b in _UPPER + "0123456789")
_HEADS = {tag + "  -": tag for tag in _TAGS}  # clean line start -> tag (see _scan)
def _scan_lines(lines: list[str], first_line: int, filename: str, warnings: list[str], *,
                at_end: bool = True) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """General line scanner: any spacing, continuation lines, missing TY or ER lines.

    ``at_end``: the lines run to the end of the file, so an unfinished record means the
    export was cut off; otherwise another record follows and the open one is closed.

    Tag lines outside a record are ignored (Ovid writes an ``NL`` line after each ``ER``)
    unless an ``ER`` closes them: then they are a record that lost its ``TY`` line, read with
    a warning rather than dropped (its ``ER`` is the file's own sign that it is one).
    """
    heads = _HEADS.get
    slow = _TAG_LINE.match
    cur: dict[str, list[str]] | None = None
    stray: dict[str, list[str]] | None = None   # tag lines since the last ER, no TY yet
    start = stray_start = 0
    damaged_ty = False
    last: list[str] | None = None
    lineno = first_line - 1
    for line in lines:
        lineno += 1
        if (tag := heads(line[:5])) is not None:  # clean 'XX  - value'
            value = line[5:].strip()
        elif line[2:4] == " -" and (m := slow(line)) is not None:
            tag, value = m.group(1), (m.group(2) or "").strip()
        else:
            if cur is None and _TY_AT.match(line):
                # a TY line written askew ('TY\t- JOUR'): the record count has it, so not
                # reading its record makes ingest stop on the mismatch
                damaged_ty = True
            elif cur is None and _RECORD_HEADER.match(line):
                stray = last = None     # what came before belongs to the record before
            elif last is not None and line and not line.isspace():
                # untagged continuation (Dimensions/Zotero abstracts, wrapped values)
                last[-1] = last[-1] + "\n" + line
            continue
        if tag == "TY":
            if cur is not None:
                warnings.append(f"{filename}:{start}: record has no ER line before the next TY; closed it there")
                yield start, cur
            cur = {"TY": [value]}
            start = lineno
            stray = last = None
            damaged_ty = False
        elif tag == "ER":
            if cur is not None:
                yield start, cur
            elif stray is not None and not damaged_ty:
                warnings.append(
                    f"{filename}:{stray_start}: record has no TY line (its start tag) before its ER at line "
                    f"{lineno}; read it without a reference type (check it in the export)")
                yield stray_start, stray
            cur = stray = last = None
            damaged_ty = False
        elif cur is None:
            if stray is None:
                stray, stray_start = {}, lineno
            last = stray.setdefault(tag, [])
            last.append(value)
        else:
            last = cur.setdefault(tag, [])
            last.append(value)
    if cur is not None:
        if not at_end:
            warnings.append(f"{filename}:{start}: record has no ER line before the next TY; closed it there")
            yield start, cur
            return
        raise InputError(
            "the last record has a TY line but no ER line", path=filename, line=start,
            hint="the export looks truncated; re-export",
        )


def _records_without_ty(text: str, begin: int, end: int, first_line: int, filename: str,
                        warnings: list[str]) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """Records in ``text[begin:end]``, a stretch outside any ``TY`` (before the first, or
    after an ``ER``) whose first line is file line ``first_line``: only those that lost their
    ``TY`` line can be there, and only when an ``ER`` line is (see :func:`_scan_lines`)."""
    if text.startswith("ER", begin) or text.find("\nER", begin, end) != -1:
        yield from _scan_lines(text[begin:end].split("\n"), first_line, filename, warnings)


def _scan(text: str, filename: str, warnings: list[str], *, first_line: int = 1,
          at_end: bool = True) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """Yield ``(line, {tag: [values]})`` per record. The hot loop of ingest.

    ``first_line``/``at_end`` let streaming ingest scan one chunk of a file at a time: the
    chunk's first line number in the file, and whether the chunk runs to the end of the file
    (only then is an unfinished last record a truncated export; see :func:`_scan_lines`).

    Records are cut out with ``str.find`` ('TY  -' .. 'ER  -' at line starts); a record whose
    lines are all ``XX  - value`` (the vast majority) is split into tags by slicing in a
    comprehension. Anything else -- continuation lines, one-space tags, a missing ER -- goes
    through :func:`_scan_lines`, which handles every case line by line.
    """
    if "\nTY  -" not in text and not text.startswith("TY  -"):
        yield from _scan_lines(text.split("\n"), first_line, filename, warnings, at_end=at_end)
        return
    find = text.find
    count = text.count
    heads = _HEADS.get
    ty = 0 if text.startswith("TY  -") else find("\nTY  -") + 1
    if ty:
        yield from _records_without_ty(text, 0, ty - 1, first_line, filename, warnings)
    lineno = first_line + count("\n", 0, ty)  # line number of ty
    while True:
        er = find("\nER  -", ty)
        if er != -1:
            lines = text[ty:er].split("\n")
            # One pass: build the record while every line is a clean tag line; bail out
            # otherwise. ``heads`` maps every clean line start 'XX  -' to its tag: one slice
            # and one lookup both check the line and name its tag.
            rec: dict[str, list[str]] | None = {}
            get = rec.get  # type: ignore[union-attr]
            for ln in lines:
                tag = heads(ln[:5])
                if tag is None:
                    rec = None
                    break
                vals = get(tag)
                if vals is None:
                    rec[tag] = [ln[5:].strip()]  # type: ignore[index]
                else:
                    vals.append(ln[5:].strip())
            # A second 'TY  -' line before the ER means the record has no ER of its own
            # (handled below); a clean record shows it as a repeated TY, others are searched.
            if rec is not None:
                inner_ty = len(rec["TY"]) > 1
            else:
                inner_ty = find("\nTY  -", ty + 5, er) != -1
            if not inner_ty:
                # no 'TY  -' line in [ty + 5, er), so the next one is the first after the ER
                nxt = find("\nTY  -", er)
                n_lines = len(lines)
                if rec is not None:
                    yield lineno, rec
                else:
                    lines.append("ER  -")
                    yield from _scan_lines(lines, lineno, filename, warnings)
                # after the ER line, up to the next TY: only a record that lost its TY, and
                # only where an ER line is (checked here: a generator per record cost ~1% of parsing)
                after_er = find("\n", er + 1)
                if after_er != -1:
                    stop = nxt if nxt != -1 else len(text)
                    if text.startswith("ER", after_er + 1) or find("\nER", after_er + 1, stop) != -1:
                        yield from _records_without_ty(text, after_er + 1, stop, lineno + n_lines + 1,
                                                       filename, warnings)
                if nxt == -1:
                    return
                lineno += n_lines - 1 + count("\n", er, nxt + 1)
                ty = nxt + 1
                continue
        # no ER before the next record (or at all): let the careful scanner decide
        nxt = find("\nTY  -", ty + 5)
        stop = nxt if nxt != -1 else len(text)
        yield from _scan_lines(text[ty:stop].split("\n"), lineno, filename, warnings,
                               at_end=at_end and nxt == -1)
        if nxt == -1:
            return
        lineno += count("\n", ty, nxt + 1)
        ty = nxt + 1


def _first_record_tags(head: str) -> list[str]:
    tags: list[str] = []
    started = False
    for line in head.split("\n")[:400]:
        m = _TAG_LINE.match(line)
        if not m:
            continue
        tag = m.group(1)
        if tag == "TY":
            started = True
            continue
        if tag == "ER" and started:
            break
        if started:
            tags.append(tag)
    return tags


def detect_dialect(text: str) -> str:
    """Name the exporting system from markers only it writes in the first 50,000 characters
    (first match wins); streaming ingest calls it once on a big file's head."""
    head = text[:50000]
    if "Record #1 of" in head and "Provider:" in head:
        return "cochrane"
    if _OVID_NUMBER.search(head) or "Link to the Ovid Full Text" in head:
        return "ovid"
    if _OUR_EXPORT.search(head):
        return "screening"      # our own `screening export`: its links name other databases
    if "lens.org/" in head:
        return "lens"
    tags = _first_record_tags(head)
    if len(tags) >= 6 and tags[-1] == "ID" and tags[:-1] == sorted(tags[:-1]):
        return "endnote"  # EndNote 'RefMan (RIS)': tags in alphabetical order, then ID
    if "//undefined" in head or "Zotero field" in head or re.search(r"^DA  - \d{4}///?\s*$", head, re.M):
        return "zotero"
    if "DB  - Scopus" in head:
        return "scopus"
    if "DB  - Embase" in head:
        return "embase"
    if "DP  - EBSCOhost" in head:
        return "ebsco"
    if "app.dimensions.ai" in head:
        return "dimensions"
    if re.search(r"^(?:J9|WE|PI|PA)  - ", head, re.M) or "AN  - WOS:" in head:
        return "wos"
    if re.search(r"^DB  - .*ProQuest|proquest\.com", head, re.M):
        return "proquest"
    if "scielo" in head.lower():
        return "scielo"
    if re.search(r"^(?:DP  - NLM|ET  - )", head, re.M):
        return "endnote"
    return ""


def parse(text: str, filename: str) -> ParseResult:
    """Parse a whole RIS file (big files stream through :mod:`screening.io.ris_stream`)."""
    warnings: list[str] = []
    dialect = detect_dialect(text)
    records = []
    append = records.append
    source_db = record_source_db
    fields = record_fields
    refuse_joined_exports(text, filename)
    with gc_paused():
        for line, tags in flag_merged_records(_scan(text, filename, warnings), text, filename, warnings):
            db = source_db(tags, dialect)
            append(ParsedRecord(fields=fields(tags, dialect, db), line=line, source_db=db))
    expected = _count_records(text)
    return ParseResult(records=records, expected_count=expected, format="ris", dialect=dialect, warnings=warnings)


def parse_columns(text: str, filename: str) -> ColumnResult:
    """:func:`parse` column-wise, as ingest needs it: one whole file is the one chunk."""
    from screening.io.ris_stream import parse_chunk_columns

    return parse_chunk_columns(text, filename, first_line=1, at_end=True, dialect=detect_dialect(text))


READER = register_reader(Reader(
    name="ris",
    description="RIS tagged text (TY .. ER), all database and reference-manager dialects",
    extensions=("ris", "txt"),
    sniff=sniff,
    parse=parse,
    parse_columns=parse_columns,
))
