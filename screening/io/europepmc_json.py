"""Reader for Europe PMC REST ``/search`` pages, ``resultType=core``, ``format=json``.

One page is ``{"version", "hitCount", "nextCursorMark", "request": {...}, "resultList":
{"result": [...]}}``. A core result carries ``id`` + ``source`` (MED, PMC, PPR, AGR, ...),
``pmid``/``pmcid``/``doi``, ``authorList.author`` (lastName/firstName or collectiveName),
``journalInfo`` (volume, issue, journal.title/isoabbreviation/issn/essn), ``abstractText``
(with HTML tags), ``pubTypeList``, ``keywordList``, ``meshHeadingList``. ``expected_count``
is ``len(resultList.result)``, counted from the decoded JSON.
"""

from __future__ import annotations

from typing import Any

from screening.errors import InputError
from screening.io.base import ParsedRecord, ParseResult, Reader, register_reader
from screening.io.openalex_json import load_page, result_lines
from screening.names import normalize_author, split_authors
from screening.normalize import clean_text, normalize_doi, normalize_issn, normalize_pages, parse_year


def _list(obj: Any, *keys: str) -> list[Any]:
    for key in keys:
        if not isinstance(obj, dict):
            return []
        obj = obj.get(key)
    return obj if isinstance(obj, list) else []


def _authors(rec: dict[str, Any]) -> list[str]:
    out = []
    for a in _list(rec, "authorList", "author"):
        if not isinstance(a, dict):
            continue
        if a.get("lastName"):
            given = a.get("firstName") or a.get("initials") or ""
            out.append(normalize_author(f"{a['lastName']}, {given}" if given else a["lastName"]))
        elif a.get("collectiveName"):
            out.append(clean_text(a["collectiveName"]))
        elif a.get("fullName"):
            out.append(normalize_author(a["fullName"]))
    if not out and rec.get("authorString"):
        out = split_authors(str(rec["authorString"]).rstrip("."), sep=",")
    return [a for a in out if a]


def result_fields(rec: dict[str, Any]) -> dict[str, Any]:
    """One Europe PMC core result -> canonical record fields."""
    info = rec.get("journalInfo") if isinstance(rec.get("journalInfo"), dict) else {}
    journal = info.get("journal") if isinstance(info.get("journal"), dict) else {}
    book = rec.get("bookOrReportDetails") if isinstance(rec.get("bookOrReportDetails"), dict) else {}
    keywords = [str(k) for k in _list(rec, "keywordList", "keyword")]
    keywords += [m.get("descriptorName", "") for m in _list(rec, "meshHeadingList", "meshHeading") if isinstance(m, dict)]
    urls = [u for u in _list(rec, "fullTextUrlList", "fullTextUrl") if isinstance(u, dict) and u.get("url")]
    source, ident = str(rec.get("source") or ""), str(rec.get("id") or "")
    url = f"https://europepmc.org/article/{source}/{ident}" if source and ident else (urls[0]["url"] if urls else "")
    lang = rec.get("language")
    return {
        "source_record_id": f"{source}:{ident}" if source else ident,
        "title": clean_text(rec.get("title") or ""),
        "abstract": clean_text(rec.get("abstractText") or ""),
        "authors": _authors(rec),
        "year": parse_year(rec.get("pubYear") or info.get("yearOfPublication")),
        "journal": clean_text(journal.get("title") or ""),
        "journal_abbrev": clean_text(journal.get("isoabbreviation") or journal.get("medlineAbbreviation") or ""),
        "volume": str(info.get("volume") or ""),
        "issue": str(info.get("issue") or ""),
        "pages": normalize_pages(rec.get("pageInfo") or ""),
        "doi": normalize_doi(rec.get("doi") or ""),
        "pmid": str(rec.get("pmid") or ""),
        "pmcid": str(rec.get("pmcid") or ""),
        "issn": normalize_issn("; ".join(str(journal.get(k) or "") for k in ("issn", "essn"))),
        "keywords": [clean_text(k) for k in keywords if k],
        "language": str(lang or ""),
        "publication_type": [str(p) for p in _list(rec, "pubTypeList", "pubType")],
        "url": url,
        "publisher": clean_text(book.get("publisher") or ""),
    }


def sniff(text: str) -> float:
    head = text.lstrip()[:5000]
    if head.startswith("{") and '"resultList"' in text[:20000] and '"hitCount"' in head:
        return 0.95
    return 0.0


def parse(text: str, filename: str) -> ParseResult:
    data = load_page(text, filename, "Europe PMC")
    results = _list(data, "resultList", "result")
    if not isinstance(data, dict) or not isinstance(data.get("resultList"), dict):
        raise InputError("no 'resultList': not a Europe PMC search page", path=filename, line=1)
    expected = len(results)
    lines = result_lines(text, ("resultList", "result"), expected)
    records = [ParsedRecord(fields=result_fields(r), line=ln, source_db="Europe PMC")
               for r, ln in zip(results, lines) if isinstance(r, dict)]
    return ParseResult(records=records, expected_count=expected, format="europepmc_json", dialect="")


READER = register_reader(Reader(
    name="europepmc_json", description="Europe PMC REST search JSON page (resultType=core)",
    extensions=("json",), sniff=sniff, parse=parse,
))
