"""The databases' table dialects: which database wrote a table, and the formats of its own cells.

A database's export is recognised from its header row (:func:`detect_layout`), and its
:class:`Layout` says how to read it: its fixed column map (:data:`screening.io.aliases.DATABASE_COLUMNS`),
how its author cell lists names, its list separator, its quoting. The few cells whose format is
one database's own (PubMed's legacy 'Details' citation, Embase's 'Source', Embase's OpenURL link,
the container kinds of IEEE Xplore and Lens) are parsed here too. Kept apart from the generic
row mapping (:mod:`screening.io.table_fields`) so that adding or fixing one database's dialect
touches one place, and the mapping reads the same for every table.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from screening.io.aliases import DATABASE_COLUMNS, header_key
from screening.io.bibtex import split_name_list
from screening.names import normalize_author, split_authors
from screening.normalize import clean_text, normalize_doi, normalize_pages, parse_year

# IEEE Xplore's 'Document Identifier' of a paper in proceedings ('IEEE Conferences', 'IET
# Conferences') or a chapter ('Wiley-IEEE Press eBook Chapters'), whose 'Publication Title' is
# the proceedings or the book
IEEE_BOOK_KINDS = re.compile(r"\b(?:conferences?|books?|ebooks?)\b", re.I)
# Lens's publication types whose 'Source Title' is a book or proceedings, not a journal
LENS_BOOK_TYPES = frozenset({"book chapter", "book", "conference proceedings article", "conference proceedings"})


@dataclass
class Layout:
    """How to read one family of exports: header key -> canonical column, plus fix-ups."""

    dialect: str
    columns: dict[str, str]                       # header_key -> canonical (or 'pages_start'/'pages_end')
    source_db: str = ""
    author_split: Callable[[str], list[str]] = field(default=lambda v: split_name_list(v))
    list_sep: str = ";"
    keep_extras: bool = False
    quoting: int = csv.QUOTE_MINIMAL
    # Scopus added 'Funding Text 2..n' columns after 'Funding Text 1' in later exports, and files
    # that concatenate two exports have rows longer than the header: cells after this header are
    # then read right-aligned (the extra funding-text cells are dropped).
    insert_after: str = ""


def _sep_authors(sep: str) -> Callable[[str], list[str]]:
    def split(value: str) -> list[str]:
        return [a for a in (normalize_author(p) for p in value.split(sep)) if a]
    return split


def _pubmed_summary_authors(value: str) -> list[str]:
    """PubMed's summary line 'Reuser AJJ, Llerena J Jr, Kishnani PS; Pompe Registry Sites..':
    people by commas, then the groups after ';' (each kept whole), 'et al.' dropped."""
    people, *groups = value.strip().rstrip(".").split(";")
    out = [a for a in (normalize_author(p) for p in people.split(",")) if a]
    return out + [g for g in (clean_text(g).strip(" .") for g in groups) if g]


def _scopus_authors(value: str) -> list[str]:
    """Scopus: 'Last F., Last2 G.' (older layout, commas) or 'Last, F.; Last2, G.' (newer)."""
    if ";" in value:
        return split_authors(value, ";")
    return [a for a in (normalize_author(p) for p in re.split(r",\s+", value)) if a]


def _wos_authors(value: str) -> list[str]:
    """WoS/BIOSIS 'Roach, MC; Thompson, FR' (BIOSIS adds '(email)' after a name)."""
    value = re.sub(r"\([^()]*@[^()]*\)", "", value)
    return split_authors(value, ";")


def detect_layout(header: list[str]) -> Layout:
    """Recognise a database's export layout from its header row."""
    keys = {header_key(h) for h in header}
    raw = [h.strip() for h in header]
    if raw[:1] in (["PT"], ["FN"]) and {"ti", "ut"} <= keys:
        return Layout("wos", DATABASE_COLUMNS["wos"], "Web of Science", _wos_authors, quoting=csv.QUOTE_NONE)
    if "eid" in keys and "sourcetitle" in keys:
        return Layout("scopus", DATABASE_COLUMNS["scopus"], "Scopus", _scopus_authors, insert_after="fundingtext1")
    if "lensid" in keys:
        return Layout("lens", DATABASE_COLUMNS["lens"], "Lens", _sep_authors(";"))
    if "authorshipsauthordisplayname" in keys or {"displayname", "publicationyear", "id"} <= keys:
        return Layout("openalex", DATABASE_COLUMNS["openalex"], "OpenAlex", _sep_authors("|"), list_sep="|")
    if "authornames" in keys and ("openurllink" in keys or any(k.startswith("emtree") for k in keys)):
        return Layout("embase", DATABASE_COLUMNS["embase"], "Embase", _scopus_authors, list_sep=",")
    if "documenttitle" in keys and "publicationtitle" in keys and ("pdflink" in keys or "ieeeterms" in keys):
        return Layout("ieee", DATABASE_COLUMNS["ieee"], "IEEE Xplore", _sep_authors(";"))
    if {"key", "itemtype", "abstractnote"} <= keys:
        return Layout("zotero", DATABASE_COLUMNS["zotero"], "", _sep_authors(";"))
    if "covidence" in keys and "title" in keys:
        return Layout("covidence", DATABASE_COLUMNS["covidence"], "", split_name_list, keep_extras=True)
    if {"entrezuid", "details", "description"} <= keys:
        return Layout("pubmed_csv_legacy", DATABASE_COLUMNS["pubmed_csv_legacy"], "PubMed", _pubmed_summary_authors,
                      list_sep=",")
    return Layout("generic", {}, "", split_name_list, keep_extras=True)


_DETAILS_RE = re.compile(r";\s*(?P<vol>[^:;()\s]+)?(?:\((?P<iss>[^)]*)\))?(?::(?P<pages>[A-Za-z]?\d[\w-]*))?")


# The citation's date opens a segment: after the journal's '. ' ('Spine (Phila Pa 1976). 2019 Feb
# 15;...': the journal abbreviation's own year is not the publication's) or a book's publisher's
# '; ' ('Southampton (UK): NIHR Journals Library; 2019 Jul.').
_DETAILS_YEAR_RE = re.compile(r"(?:^|\.\s+|;\s*)((?:1[5-9]|20)\d\d)(?=[\s;.]|$)")
# A book (NCBI Bookshelf) cites its place and publisher where an article has its journal.
# A chapter cites its book first ('In: StatPearls [Internet]. Treasure Island (FL): StatPearls
# Publishing; 2024 Jan.').
_DETAILS_BOOK_RE = re.compile(r"^(?:In:\s*(?P<book>.+?)\.\s+)?(?P<place>[^:;.]+):\s*(?P<publisher>[^;]+);"
                              r"\s*(?:1[5-9]|20)\d\d\b")


def pubmed_details(details: str) -> dict[str, Any]:
    """Legacy PubMed CSV 'Details': 'Endoscopy. 2019 Aug;51(8):806-807. doi: 10.1055/... Epub ...',
    or for a book 'Southampton (UK): NIHR Journals Library; 2019 Jul.'."""
    ym = _DETAILS_YEAR_RE.search(details)
    out: dict[str, Any] = {"year": int(ym.group(1)) if ym else parse_year(details)}
    dm = re.search(r"doi:\s*(\S+?)\.?(?:\s|$)", details)
    out["doi"] = normalize_doi(dm.group(1)) if dm else ""
    book = _DETAILS_BOOK_RE.match(details.strip())
    if book:
        out.update(journal="", journal_abbrev="", publisher=book.group("publisher").strip())
        if book.group("book"):
            out["booktitle"] = book.group("book").strip()
        return out
    journal, _, rest = details.partition(". ")
    out["journal_abbrev"] = journal.strip()
    out["journal"] = journal.strip()
    m = _DETAILS_RE.search(rest.split(". doi:")[0])
    if m:
        out["volume"] = m.group("vol") or ""
        out["issue"] = m.group("iss") or ""
        out["pages"] = normalize_pages(m.group("pages") or "")
    return out


# PubMed's summary (the legacy CSV's 'Details') adds notations after the citation: the original
# language if not English, 'No abstract available', and the publication type when it is Review
# or Retracted Publication ('... doi: 10.1186/x. Review.', '... [Epub ahead of print] Review.';
# NLM's PubMed tutorial, 'Summary Format'). Only these two types are ever written there, so a
# record without one is of some other type, not known: its publication_type stays empty.
_SUMMARY_TYPES = re.compile(r"(?:\.|\])\s+(Review|Retracted Publication)\.(?=\s|$)")


def pubmed_summary_types(details: str) -> list[str]:
    """The publication types a legacy PubMed CSV 'Details' notes (see _SUMMARY_TYPES)."""
    return list(dict.fromkeys(_SUMMARY_TYPES.findall(details)))


_EMBASE_SOURCE_RE = re.compile(r"^(?P<journal>.+?)\s+\((?P<year>\d{4})\)\s*(?P<vol>[^:\s(]+)?(?::(?P<iss>[^\s(]+))?\s*(?:\((?P<pages>[^)]*)\))?")


def embase_source(value: str) -> dict[str, Any]:
    """Embase 'Source': 'Cancer (2004) 102:4 (253-258). Date of Publication: 25 Aug 2004'."""
    m = _EMBASE_SOURCE_RE.match(value.strip())
    if not m:
        return {"journal": value.split(".")[0].strip(), "year": parse_year(value)}
    return {"journal": m.group("journal"), "year": int(m.group("year")), "volume": m.group("vol") or "",
            "issue": m.group("iss") or "", "pages": normalize_pages(m.group("pages") or "")}


# Embase's OpenURL link names the journal's ISSN ('...?sid=EMBASE&issn=22267190&id=doi:...')
OPENURL_ISSN = re.compile(r"[?&]issn=(\d{4}-?\d{3}[\dXx])(?:&|$)")
