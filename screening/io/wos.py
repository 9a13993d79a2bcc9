"""Web of Science plain-text reader ('FN Clarivate Analytics Web of Science' ... 'EF').

Layout: a 2-character tag, one space, the value; continuation lines start with 3 spaces. For
list fields (``AU``, ``AF``, ``CR``...) each continuation line is a new item; for text fields
(``TI``, ``AB``, ``SO``) it is the same value wrapped. Records run from ``PT`` to ``ER``; the
file ends with ``EF``. A last record without ``ER`` means the download was cut off, and we
say so instead of guessing. ``PT`` is always a record's first tag, so a ``PT`` line inside an
open record means that record lost its ``ER``: it is closed there, with a warning, rather than
glued onto the next one (acceptance testing: a study vanished into its neighbour, exit 0).

(WoS tab-delimited and WoS RIS are other readers: ``tabular`` and ``ris``.)
"""

from __future__ import annotations

import re

from screening.errors import InputError
from screening.io.base import ParsedRecord, ParseResult, Reader, join_languages, register_reader
from screening.io.joined_exports import FOR_WOS, WOS_HEADER, WOS_RECORD, first_foreign_line, refuse_joined
from screening.io.tagged import abstract_of, authors_from, first, pages_from, split_keywords
from screening.normalize import article_number, clean_text, normalize_doi, normalize_issn, parse_year

_ER_MARK = re.compile(r"^ER\s*$", re.M)
# a record start, and any other tag line but the file's own FN/VR/EF lines (for the count)
_PT_MARK = re.compile(r"^PT \S", re.M)
_OTHER_TAG = re.compile(r"^(?!PT |ER|EF|FN |VR )[A-Z][A-Z0-9](?: \S|$)", re.M)
_HEADER = re.compile(r"^FN (?:Clarivate|Thomson|ISI|Web of Science)", re.M)
_TAG_LINE = re.compile(r"^(?:PT|AU|AF|TI|SO|UT|PY) \S", re.M)
# list-valued tags: a continuation line is a new item, not a wrapped line (LA: a record in two
# languages lists the second on the next line, 'LA English' / '   Spanish'; joined as one
# wrapped value it read 'English Spanish', a language no rule knows)
_LIST_TAGS = frozenset({"AU", "AF", "BA", "BF", "CA", "GP", "BE", "CR", "C1", "C3", "RI", "OI", "EM", "FU", "SP",
                        "LA"})


def sniff(text: str) -> float:
    has_er = bool(_ER_MARK.search(text))
    if _HEADER.search(text[:500]) and has_er:
        return 1.0
    tags = {m.group(0)[:2] for m in _TAG_LINE.finditer(text)}
    if has_er and {"PT", "TI"} <= tags:
        return 0.85
    return 0.3 if _HEADER.search(text[:500]) else 0.0


def _scan(text: str, filename: str) -> tuple[list[tuple[int, dict[str, list[str]]]], list[str]]:
    records: list[tuple[int, dict[str, list[str]]]] = []
    warnings: list[str] = []
    cur: dict[str, list[str]] | None = None
    start = 0
    last: list[str] | None = None
    last_tag = ""
    saw_ef = False
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.startswith("   "):
            if last is not None:
                value = line.strip()
                if last_tag in _LIST_TAGS:
                    last.append(value)
                else:
                    last[-1] = f"{last[-1]} {value}"
            continue
        tag = line[:2]
        if len(line) >= 2 and (len(line) == 2 or line[2] == " ") and tag.isalnum() and tag[0].isalpha() and tag.isupper():
            value = line[3:].strip()
            if tag == "ER":
                if cur is not None:
                    records.append((start, cur))
                cur, last = None, None
                continue
            if tag == "EF":
                saw_ef = True
                continue
            if tag in ("FN", "VR") and cur is None:
                continue
            if tag == "PT" and cur is not None:
                warnings.append(f"{filename}:{start}: record at line {start} has no ER line: closed at the "
                                f"next PT (line {lineno}); check both records in the export")
                records.append((start, cur))
                cur = None
            if cur is None:
                cur, start = {}, lineno
            last = cur.setdefault(tag, [])
            last.append(value)
            last_tag = tag
        elif line.strip():
            last = None
    if cur is not None:
        raise InputError(
            "the last record has no ER line", path=filename, line=start,
            hint="the export looks truncated; re-export",
        )
    if records and not saw_ef:
        warnings.append(f"{filename}: no EF (end of file) line; the export may be incomplete")
    return records, warnings


def _full_names(af: list[str], au: list[str]) -> list[str]:
    """AF full names, 'Family, Given'. WoS writes some without a comma, family first ('Wang
    Chen-Yang' for AU 'Wang, CY'; 'Nga Tran Vu Thieu' for 'Thieu, NTV'), which no rule on the
    name alone can read: the AU entry at the same place names the family, so the words that
    spell it, at the start or at the end, are the family name."""
    out: list[str] = []
    paired = len(af) == len(au)
    for i, name in enumerate(af):
        if "," not in name and paired and (split := _split_by_family(name, au[i])):
            name = split
        out.extend(authors_from([name]))
    return out


def _split_by_family(name: str, short: str) -> str:
    """'Wang Chen-Yang' with AU 'Wang, CY' -> 'Wang, Chen-Yang'; '' when AU's family name is not
    the first or last words of ``name``."""
    family = short.partition(",")[0].split()
    words = name.split()
    n = len(family)
    if not family or len(words) <= n:
        return ""
    key = [w.casefold() for w in family]
    if [w.casefold() for w in words[:n]] == key:
        return f"{' '.join(words[:n])}, {' '.join(words[n:])}"
    if [w.casefold() for w in words[-n:]] == key:
        return f"{' '.join(words[-n:])}, {' '.join(words[:-n])}"
    return ""


# the PT code, for exports without a DT (document type) line
_PT_NAMES = {"J": "Journal", "B": "Book", "S": "Book in series", "P": "Patent", "C": "Conference"}


def pt_types(code: str) -> list[str]:
    """The publication type a WoS PT code names ('J' -> ['Journal']); [] for none or another
    (the plain-text and tab-delimited readers both fall back on it)."""
    name = _PT_NAMES.get(code.strip().upper())
    return [name] if name else []


def _fields(tags: dict[str, list[str]]) -> dict:
    get = tags.get
    # early-access records have only EA (date) / EY (year) until they get an issue (the
    # tab-delimited reader follows the same order: see aliases.DATABASE_COLUMNS["wos"])
    year = (parse_year(first(get("PY"))) or parse_year(first(get("PD"))) or parse_year(first(get("EA")))
            or parse_year(first(get("EY"))))
    keywords = split_keywords((get("DE") or []) + (get("ID") or []))
    bp, ep = first(get("BP")), first(get("EP"))
    pages = pages_from(bp, ep) if bp else article_number(first(get("AR")))
    ut = first(get("UT"))
    pmid = first(get("PM"))
    return {
        "title": clean_text(" ".join(get("TI") or ())),
        "abstract": abstract_of(get("AB")),
        "authors": _full_names(get("AF") or [], get("AU") or []) or authors_from(get("AU")),
        "year": year,
        "journal": clean_text(first(get("SO"))),
        "journal_abbrev": clean_text(first(get("JI")) or first(get("J9"))),
        "volume": first(get("VL")),
        "issue": first(get("IS")),
        "pages": pages,
        "doi": normalize_doi(first(get("DI"))) or normalize_doi(first(get("D2"))),
        "pmid": pmid,
        "pmcid": "",
        "issn": normalize_issn(" ".join((get("SN") or []) + (get("EI") or []))),
        "isbn": first(get("BN")),
        "keywords": keywords,
        "language": join_languages(get("LA")),
        "publication_type": ([t.strip() for t in "; ".join(get("DT") or ()).split(";") if t.strip()]
                             or pt_types(first(get("PT")))),
        "url": "",
        "booktitle": clean_text(first(get("BS")) or first(get("SE"))) if first(get("PT")) in ("B", "S") else "",
        "publisher": clean_text(first(get("PU"))),
        "source_record_id": ut,
    }


def _count_records(text: str) -> int:
    """Records the file declares, counted on the raw text independently of the scanner: its
    ``PT`` lines (record starts), plus each ``ER`` closing tag lines that no ``PT`` opened (a
    record that lost its first line, which the scanner still reads). Counting ``ER`` lines
    alone let a record that lost its ``ER`` merge into the next one and still match."""
    count = len(_PT_MARK.findall(text))
    prev = 0
    for er in _ER_MARK.finditer(text):
        if not _PT_MARK.search(text, prev, er.start()) and _OTHER_TAG.search(text, prev, er.start()):
            count += 1
        prev = er.end()
    return count


def parse(text: str, filename: str) -> ParseResult:
    if first_foreign_line(text, (WOS_RECORD,)) is not None:
        # only a file that is WoS plain text (a reader forced on another format is refused
        # by the count instead): RIS/MEDLINE/BibTeX records joined to it would be misread
        refuse_joined(text, filename, "Web of Science plain-text", FOR_WOS, (WOS_HEADER, WOS_RECORD))
    raw, warnings = _scan(text, filename)
    records = [ParsedRecord(fields=_fields(tags), line=line, source_db="Web of Science") for line, tags in raw]
    expected = _count_records(text)
    return ParseResult(records=records, expected_count=expected, format="wos", dialect="wos", warnings=warnings)


READER = register_reader(Reader(
    name="wos",
    description="Web of Science plain text (FN/VR, PT ... ER, EF)",
    extensions=("txt", "ciw"),
    sniff=sniff,
    parse=parse,
))
