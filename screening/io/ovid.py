"""Ovid native tagged-text reader ('Complete Reference' exports for Citavi/EndNote/...).

Layout: each record opens with a ``<N. >`` header (``<3001. >``: N is the hit number in the
search, so it need not start at 1), then ``XX  - value`` lines; continuation lines are indented
six spaces (``IN`` affiliations) or, in the EndNote flavour, not tagged at all (abstract
paragraphs). Ovid's own ``DB`` line names the database (Embase, Ovid MEDLINE(R)...), which we
keep per record.

Ovid's RIS export is a different format, read by :mod:`screening.io.ris` (dialect 'ovid').
"""

from __future__ import annotations

import re

from screening.io.base import ParsedRecord, ParseResult, Reader, join_languages, register_reader
from screening.errors import InputError
from screening.io.tagged import (
    TagBlocks, abstract_of, authors_from, check_last_record, first, pages_from, pick, scan_headed_blocks,
    split_keywords,
)
from screening.normalize import clean_text, normalize_doi, normalize_issn, parse_year

_HEADER = re.compile(r"^<(\d+)\. ?>\s*$", re.M)
_TAG_LINE = re.compile(r"([A-Z][A-Z0-9]) {1,2}- ?(.*)")
# 'Journal Title. 12 (3) (pp 45-67), 2018' -> journal, volume, issue, pages
_SO_RE = re.compile(r"^(?P<journal>.+?)\.\s+(?P<volume>\d[\w-]*)?\s*(?:\((?P<issue>[^)]*)\))?\s*(?:\((?:pp\s*)?(?P<pages>[^)]*)\))?")
# the citation part of SO: 'volume (issue) (pages), year' opening a sentence and ending in the
# year, wherever it is: a conference abstract names the meeting first ('BMC Proceedings.
# Conference: 2nd BEAT-PCD Conference ... Spain. 12 (Supplement 3) (no pagination), 2018.')
_SO_CITATION = re.compile(r"(?:^|\.\s)\s*(?P<volume>[A-Za-z]?\d[\w-]*)(?:\s*\((?P<issue>[^()]*)\))?"
                          r"(?:\s*\((?P<pages>[^()]*)\))?,\s*(?:1[5-9]|20)\d\d\b")


def sniff(text: str) -> float:
    if not _HEADER.search(text[:2000]):
        return 0.0
    return 0.95 if re.search(r"^(?:VN|DB|UI|TI|AU)  - ", text[:20000], re.M) else 0.5


def _scan(text: str) -> TagBlocks:
    return scan_headed_blocks(text, lambda line: bool(line.startswith("<") and _HEADER.match(line)), _TAG_LINE,
                              joiner="\n", indented_continues=True)


def _database(name: str) -> str:
    """Ovid's DB line ('Embase'), named as the Ovid RIS export's DB code names it ('Embase
    (Ovid)'), so one review's exports in both formats count as one database in PRISMA."""
    name = name.strip()
    return name if not name or "ovid" in name.lower() else f"{name} (Ovid)"


def _fields(tags: dict[str, list[str]]) -> dict:
    get = tags.get
    so = clean_text(first(get("SO")))
    m = _SO_RE.match(so) if so else None
    journal = clean_text(pick(tags, "JN", "JT", "JF")) or (m.group("journal") if m else so)
    so_volume, so_issue, so_pages = _so_citation(so)
    volume = first(get("VO")) or so_volume
    issue = first(get("IP")) or so_issue
    pages = pick(tags, "PG", "PS") or so_pages
    ui = first(get("UI")) or first(get("AN"))
    db = first(get("DB"))
    pmid = first(get("PM")) or (ui if "MEDLINE" in db.upper() and ui.isdigit() else "")
    return {
        "title": clean_text(" ".join(get("TI") or ())),
        "abstract": abstract_of(get("AB")),
        "authors": authors_from(get("FA") or get("AU")),
        "year": parse_year(first(get("YR"))) or parse_year(first(get("DP"))) or parse_year(so),
        "journal": journal,
        "journal_abbrev": clean_text(pick(tags, "JA", "TA")),
        "volume": volume,
        "issue": issue,
        "pages": pages_from(pages, ""),
        "doi": normalize_doi(" ".join(get("DO") or ())) or normalize_doi(" ".join(get("DI") or ())),
        "pmid": pmid,
        "pmcid": "",
        "issn": normalize_issn(" ".join((get("IS") or []) + (get("IE") or []))),
        "isbn": first(get("IB")) or first(get("BN")),
        "keywords": split_keywords((get("KW") or []) + (get("MH") or [])),
        "language": join_languages(get("LG")) or join_languages(get("LA")),
        "publication_type": [p.strip() for p in get("PT") or () if p.strip()],
        "url": first(get("UR")) or first(get("XL")),
        "booktitle": "",
        "publisher": clean_text(first(get("PB"))),
        "source_record_id": ui,
    }


def _so_citation(so: str) -> tuple[str, str, str]:
    """(volume, issue, pages) from SO's citation part (see _SO_CITATION; the last one, as a
    meeting's name may hold numbers), else from right after the journal (_SO_RE).
    '(no pagination)' is no pages; a single bracket reading 'pp ...' (or 'no pagination') holds
    pages, not an issue."""
    found = None
    for found in _SO_CITATION.finditer(so):
        pass
    if found is None:
        found = _SO_RE.match(so)          # no year after the citation: right after the journal
        if found is None:
            return "", "", ""
    issue, pages = (found.group("issue") or "").strip(), (found.group("pages") or "").strip()
    if (issue.lower().startswith("pp") or issue.lower() == "no pagination") and not pages:
        issue, pages = "", issue
    pages = pages.removeprefix("pp").strip()
    if pages.lower() == "no pagination":
        pages = ""
    return found.group("volume") or "", issue, pages


def parse(text: str, filename: str) -> ParseResult:
    raw = _scan(text)
    warnings: list[str] = []
    if raw:
        _refuse_foreign(raw, filename)
        # Ovid ends every record with its copyright/update lines; the year is always there
        check_last_record(text, filename, raw[-1][0], raw[-1][1], ("YR", "CR", "UP", "XL"), warnings)
    records = [ParsedRecord(fields=_fields(tags), line=line, source_db=_database(first(tags.get("DB"))))
               for line, tags in raw]
    expected = len(_HEADER.findall(text))
    return ParseResult(records=records, expected_count=expected, format="ovid", dialect="ovid",
                       warnings=warnings)


def _refuse_foreign(raw: list[tuple[int, dict[str, list[str]]]], filename: str) -> None:
    """A '<N. >' block without any Ovid field is not an Ovid record (wrong --format)."""
    for line, tags in raw:
        if not any(t in tags for t in ("TI", "AU", "UI", "AN", "SO", "DB")):
            raise InputError("record has none of Ovid's TI/AU/UI/SO/DB fields", path=filename, line=line,
                             hint="this does not look like an Ovid tagged export; check --format / format =")


READER = register_reader(Reader(
    name="ovid",
    description="Ovid native tagged text (<N. > headers, VN/DB/UI/TI/AU/SO tags)",
    extensions=("ovd", "cgi", "txt"),
    sniff=sniff,
    parse=parse,
))
