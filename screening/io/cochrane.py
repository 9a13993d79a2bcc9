"""Cochrane Library plain-text reader ('Record #N of M' then 'ID:/AU:/TI:/SO:...' lines).

The Cochrane Library's 'plain text' citation export (reviews and CENTRAL trials). Files come
with CR-only line endings and, when two exports were concatenated, a second byte-order mark
mid-file; both are undone by :mod:`screening.io.text` before we see the text.

Authors are written 'Family Given' *without* a comma ('Van Ryswyk Emer', 'Crowther Caroline
A'), the reverse of what the generic name normaliser assumes, so they are read family-first.

Cochrane's RIS export is read by :mod:`screening.io.ris` (dialect 'cochrane').
"""

from __future__ import annotations

import re

from screening.errors import InputError
from screening.io.base import ParsedRecord, ParseResult, Reader, join_languages, register_reader
from screening.io.tagged import (
    TagBlocks, scan_headed_blocks,
    abstract_of, authors_from, check_last_record, doi_from, first, pages_from, pmid_from, split_keywords,
)
from screening.normalize import clean_text, normalize_issn, parse_year

_HEADER = re.compile(r"^Record #(\d+) of (\d+)\s*$", re.M)
_TAG_LINE = re.compile(r"([A-Z][A-Z0-9]{1,3}): ?(.*)")


def sniff(text: str) -> float:
    if not _HEADER.search(text[:3000]):
        return 0.0
    # Cochrane's RIS export has the same headers; only the 'XX: value' layout is ours.
    if re.search(r"^TY  -", text[:5000], re.M):
        return 0.2
    return 0.95 if re.search(r"^(?:ID|TI|AU|SO): ", text[:5000], re.M) else 0.4


def _scan(text: str) -> TagBlocks:
    return scan_headed_blocks(text, lambda line: bool(line.startswith("Record #") and _HEADER.match(line)), _TAG_LINE,
                              joiner=" ")


def _fields(tags: dict[str, list[str]]) -> dict:
    get = tags.get
    rid = first(get("ID")) or first(get("AN"))
    return {
        "title": clean_text(" ".join(get("TI") or ())),
        "abstract": abstract_of(get("AB")),
        "authors": authors_from(get("AU"), family_first_no_comma=True),
        "year": parse_year(first(get("YR"))) or parse_year(first(get("PY"))),
        "journal": clean_text(first(get("SO"))),
        "journal_abbrev": "",
        "volume": first(get("VL")),
        "issue": first(get("NO")) or first(get("IS")),
        "pages": pages_from(first(get("PG")), ""),
        "doi": doi_from(get("DOI"), get("US")),
        "pmid": pmid_from((get("PM") or []) + (get("XR") or [])),
        "pmcid": "",
        "issn": normalize_issn(first(get("SN"))),
        "isbn": "",
        "keywords": split_keywords((get("KY") or []) + (get("MH") or [])),
        "language": join_languages(get("LA")),
        "publication_type": [p.strip() for p in "; ".join(get("PT") or ()).split(";") if p.strip()],
        "url": first(get("US")),
        "booktitle": "",
        "publisher": clean_text(first(get("PB"))),
        "source_record_id": rid,
    }


# The Cochrane Library holds several databases; each record names its own by its accession
# (CENTRAL 'CN-01234567', a review 'CD011193', also inside the DOI '10.1002/14651858.CD011193.pub2'
# and the Library's links) or a review's journal. Every Cochrane export (plain text, RIS,
# BibTeX) labels a record through cochrane_database, so one database has one name for PRISMA's
# per-database counts, whichever format it came in; 'Cochrane Library' only when none is named.
CENTRAL, CDSR, LIBRARY = "Cochrane CENTRAL", "Cochrane Database of Systematic Reviews", "Cochrane Library"
_CENTRAL_ID = re.compile(r"(?:^|[^A-Za-z])CN-\d")
_REVIEW_ID = re.compile(r"(?:^|[^A-Za-z])CD\d{6}")


def cochrane_database(*ids: str, journal: str = "") -> str:
    """The database of a Cochrane Library record: CENTRAL, the CDSR or (unknown) the Library,
    from its accession, DOI or links (``ids``) and its journal."""
    # one search over the ids joined by a line break (a non-letter, as the start of each id is to
    # the patterns): RIS ingest asks this of every record of a Cochrane export
    joined = "\n".join(filter(None, ids))
    if _CENTRAL_ID.search(joined):
        return CENTRAL
    if _REVIEW_ID.search(joined) or "database of systematic reviews" in journal.casefold():
        return CDSR
    return LIBRARY


def parse(text: str, filename: str) -> ParseResult:
    raw = _scan(text)
    warnings: list[str] = []
    for line, tags in raw:
        if not any(t in tags for t in ("ID", "TI", "AU")):
            raise InputError("record has none of the ID:/TI:/AU: lines of a Cochrane plain-text export",
                             path=filename, line=line,
                             hint="this is not a Cochrane plain-text export (its RIS or BibTeX export has the same "
                                  "'Record #' headers); check --format / format =")
    if raw:
        check_last_record(text, filename, raw[-1][0], raw[-1][1], ("US",), warnings)
    records = []
    for line, tags in raw:
        fields = _fields(tags)
        records.append(ParsedRecord(fields=fields, line=line,
                                    source_db=cochrane_database(fields["source_record_id"], journal=fields["journal"])))
    headers = _HEADER.findall(text)
    totals = {int(m) for _, m in headers}
    if len(totals) == 1 and (total := totals.pop()) != len(headers):
        warnings.append(f"{filename}: headers say 'of {total}' but the file holds {len(headers)} records "
                        "(a partial export, or several exports joined)")
    return ParseResult(records=records, expected_count=len(headers), format="cochrane",
                       dialect="cochrane", warnings=warnings)


READER = register_reader(Reader(
    name="cochrane",
    description="Cochrane Library plain text (Record #N of M, ID:/AU:/TI:/SO:/YR:/AB: lines)",
    extensions=("txt",),
    sniff=sniff,
    parse=parse,
))
