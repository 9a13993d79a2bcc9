"""EndNote XML reader (EndNote 'Export > XML', also written by Mendeley and Zotero's EndNote XML).

EndNote libraries are where many review teams keep their searches, and its XML is the only
export that keeps everything (the RIS export loses custom fields and mangles authors). The
format wraps every value in ``<style face=... font=... size=...>`` runs and EndNote writes the
whole file on ONE line, so every record reports line 1 (the element's true line from lxml);
``source_record_id`` then carries the library's record number (``EndNote #12``) when the
record has no database accession.
The database a record came from is in ``<remote-database-name>`` when the user imported it
from an online database; ``<database>`` names only the EndNote library file, so it is used as
``source_db`` only when it is not a library file name.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from screening.io.base import ParsedRecord, ParseResult, Reader, join_notes, register_reader
from screening.io.pubmed_xml import first_text, text_of, xml_root
from screening.io.tagged import authors_from
from screening.normalize import normalize_doi, normalize_issn, normalize_pages, parse_year

_RECORD_RE = re.compile(r"<record[\s>]")
_BOOKISH = {"conference proceedings", "conference paper", "book section", "edited book", "book"}


def _all(el: etree._Element, path: str) -> list[str]:
    return [v for v in (text_of(n) for n in el.iterfind(path)) if v]


def _authors(rec: etree._Element) -> list[str]:
    """The record's authors. One <author> should hold one name, but a pasted list stays one
    author in EndNote: on lines of its own, or glued by ';', ' and ' or commas ('Servais, A,
    Provot F, Rostaing L, ...', Rathbone's haematology library). XML has no line wrapping, so
    each line is a name; the rest is split as the RIS author fields are (tagged.authors_from,
    which keeps 'Smith, J. W., 2nd' and 'Linezolid ... Study, Group' whole)."""
    lines = [line for author in rec.iterfind("contributors/authors/author")
             for line in _LINE_BREAKS.split("".join(author.itertext())) if line.strip()]
    return authors_from(lines)


_LINE_BREAKS = re.compile(r"[\r\n]+")


def _notes(rec: etree._Element) -> str:
    """<notes> (what EndNote's import filters put there, or RIS N1 imported) and
    <research-notes> (the team's own), one line each, as RIS N1 notes are: EndNote writes the
    lines of one note with CRs between them, which fold like every text value's."""
    return join_notes((first_text(rec, "notes"), first_text(rec, "research-notes")))


def _isbn_or_issn(value: str) -> tuple[str, str]:
    """EndNote keeps ISSNs in <isbn> for journal articles: tell them apart by length."""
    digits = re.sub(r"[^0-9Xx]", "", value)
    if len(digits) in (10, 13) and not normalize_issn(value):
        return "", value
    issn = normalize_issn(value)
    return (issn, "") if issn else ("", value)


def record_fields(rec: etree._Element) -> tuple[dict[str, Any], str]:
    """Canonical fields of one <record>, and the database it names (if any)."""
    ref_type = rec.find("ref-type")
    ref_name = (ref_type.get("name") if ref_type is not None else "") or ""
    secondary = first_text(rec, "titles/secondary-title")
    journal = first_text(rec, "periodical/full-title") or (secondary if ref_name.lower() not in _BOOKISH else "")
    issn, isbn = _isbn_or_issn(first_text(rec, "isbn"))
    db = first_text(rec, "remote-database-name") or first_text(rec, "remote-database-provider")
    library = first_text(rec, "database")
    if not db and library and not re.search(r"\.(enl|enlx|data)$", library, re.IGNORECASE):
        db = library
    accession = first_text(rec, "accession-num")
    pmid = accession if accession.isdigit() and re.search(r"pubmed|medline", db, re.IGNORECASE) else ""
    fields: dict[str, Any] = {
        "title": first_text(rec, "titles/title"),
        "abstract": first_text(rec, "abstract"),
        "authors": _authors(rec),
        "year": parse_year(first_text(rec, "dates/year", "dates/pub-dates/date")),
        "journal": journal,
        "journal_abbrev": first_text(rec, "periodical/abbr-1", "alt-periodical/abbr-1", "titles/alt-title"),
        "volume": first_text(rec, "volume"),
        "issue": first_text(rec, "number", "issue"),
        "pages": normalize_pages(first_text(rec, "pages")),
        "doi": normalize_doi(first_text(rec, "electronic-resource-num")) or next(
            (d for d in (normalize_doi(u) for u in _all(rec, "urls//url") if "doi" in u.lower()) if d), ""),
        "pmid": pmid,
        "issn": issn,
        "isbn": isbn,
        "keywords": _all(rec, "keywords/keyword"),
        "language": first_text(rec, "language"),
        "publication_type": [ref_name] if ref_name else [],
        "url": next(iter(_all(rec, "urls//url")), ""),
        "booktitle": secondary if ref_name.lower() in _BOOKISH else "",
        "publisher": first_text(rec, "publisher"),
        "notes": _notes(rec),
        # the database's accession, else the EndNote library's record number: with the whole
        # export on one line, that number is what leads back to the record (source_line is 1)
        "source_record_id": accession or (f"EndNote #{num}" if (num := first_text(rec, "rec-number")) else ""),
    }
    caption = first_text(rec, "caption")
    if caption:
        fields["caption"] = caption     # e.g. Rathbone's manual 'Duplicate' flag; kept as an extra column
    return fields, db


def _dialect(root: etree._Element) -> str:
    app = root.find(".//source-app")
    name = (app.get("name") if app is not None else "") or (text_of(app) if app is not None else "")
    return "mendeley" if "mendeley" in name.lower() else "zotero" if "zotero" in name.lower() else "endnote"


def sniff(text: str) -> float:
    head = text[:5000]
    if "<records>" in head and "<record>" in head and ("<xml>" in head or "<source-app" in head):
        return 0.95
    if "<xml>" in head and "<records" in head:
        return 0.8
    return 0.0


def parse(text: str, filename: str) -> ParseResult:
    root = xml_root(text, filename, "EndNote")
    records = []
    for rec in root.iter("record"):
        fields, db = record_fields(rec)
        records.append(ParsedRecord(fields=fields, line=rec.sourceline or 1, source_db=db))
    return ParseResult(records=records, expected_count=len(_RECORD_RE.findall(text)),
                       format="endnote_xml", dialect=_dialect(root))


READER = register_reader(Reader(
    name="endnote_xml",
    description="EndNote XML (EndNote, Mendeley): <xml><records><record>...",
    extensions=("xml",),
    sniff=sniff,
    parse=parse,
))
