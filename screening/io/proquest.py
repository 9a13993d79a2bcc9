"""ProQuest plain-text reader ('Report Information from ProQuest' exports).

Layout: a report header and table of contents, then one block per record opened by
``Document N of M`` and closed by a rule of underscores; inside, the title on its own line,
then ``Label: value`` fields (``Author:``, ``Abstract:``, ``Publication year:``...), values
possibly running over several paragraphs. A trailing 'Bibliography' section (BibTeX-ish
citations of the same records) comes after the last rule and is ignored.

Only *known* labels start a field: abstracts are full of 'Results: ...' lines that would
otherwise be read as fields.
"""

from __future__ import annotations

import re

from screening.errors import InputError
from screening.io.base import ParsedRecord, ParseResult, Reader, register_reader
from screening.io.tagged import abstract_of, authors_from, doi_from, first, pages_from, split_keywords
from screening.normalize import clean_text, normalize_issn, parse_year

_DOC = re.compile(r"^Document (\d+) of (\d+)\s*$", re.M)
_RULE = re.compile(r"^_{20,}\s*$")
_LABEL = re.compile(r"^([A-Z][A-Za-z /()-]{1,40}?): ?(.*)$")
_KNOWN = frozenset(label.lower() for label in (
    "Title", "Author", "Authors", "Abstract", "Links", "Advisor", "Classification", "Committee member",
    "Copyright", "Country of publication", "Database", "Degree", "Degree date", "Department",
    "Dissertation/thesis number", "Document type", "ISBN", "ISSN", "eISSN", "Identifier / keyword",
    "Language", "Language of publication", "Number of pages", "Place of publication",
    "ProQuest document ID", "Publication year", "Publication date", "Publication title", "School code",
    "Source", "Source type", "Subject", "Subject heading", "University location",
    "University/institution", "Volume", "Issue", "Pages", "First page", "Last page", "DOI",
    "Publisher", "Document URL", "Last updated", "Section", "Company / organization",
    "Location", "Journal subject", "Accession number", "Update", "Keywords", "MeSH subject",
    "Editor", "Corporate author", "Conference title", "Sponsor", "Publication note",
    "Document feature", "Full text", "Mesh", "Supplemental data", "Author e-mail address",
    "Affiliation", "Author affiliation", "PubMed ID", "Coden", "Place of publication",
))


def sniff(text: str) -> float:
    head = text[:20000]
    if "Report Information from ProQuest" in head and _DOC.search(text[:200000] if len(text) > 20000 else text):
        return 1.0
    if _DOC.search(head) and re.search(r"^ProQuest document ID: ", text[:200000], re.M):
        return 0.9
    return 0.0


def _scan(text: str, filename: str) -> list[tuple[int, dict[str, list[str]]]]:
    records: list[tuple[int, dict[str, list[str]]]] = []
    cur: dict[str, list[str]] | None = None
    start = 0
    last: list[str] | None = None
    for lineno, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if line.startswith("Document ") and _DOC.match(line):
            if cur is not None:
                records.append((start, cur))
            cur, start, last = {}, lineno, None
            continue
        if cur is None:
            continue
        if _RULE.match(line):
            records.append((start, cur))
            cur, last = None, None
            continue
        if not stripped:
            continue
        m = _LABEL.match(stripped)
        if m and m.group(1).lower() in _KNOWN:
            label, value = m.group(1).lower(), m.group(2).strip()
            last = cur.get(label)
            if last is None:
                last = cur[label] = [value]
            else:
                last.append(value)
        elif last is None and "_heading" not in cur:
            last = cur["_heading"] = [stripped]   # the title line under 'Document N of M'
        elif last is not None and cur.get("_heading") is last:
            if stripped.startswith("http"):
                cur.setdefault("_url", []).append(stripped)
            else:
                last[-1] += " " + stripped
        elif stripped.startswith("http") and last is not cur.get("abstract"):
            cur.setdefault("_url", []).append(stripped)
        elif last is not None:
            last[-1] += "\n" + stripped
    if cur is not None:
        raise InputError(
            "the last document has no closing rule of underscores", path=filename, line=start,
            hint="the export looks truncated; re-export",
        )
    return records


def _fields(tags: dict[str, list[str]]) -> dict:
    get = tags.get
    title = clean_text(first(get("title")) or first(get("_heading")))
    authors = authors_from([a for v in get("author") or get("authors") or () for a in v.split(";")])
    source = first(get("publication title")) or first(get("source"))
    doc_type = first(get("document type"))
    is_thesis = "dissertation" in doc_type.lower() or "thesis" in doc_type.lower()
    return {
        "title": title,
        "abstract": abstract_of(get("abstract")),
        "authors": authors,
        "year": parse_year(first(get("publication year"))) or parse_year(first(get("publication date")))
        or parse_year(first(get("degree date"))),
        "journal": "" if is_thesis and not get("publication title") else clean_text(source),
        "journal_abbrev": "",
        "volume": first(get("volume")),
        "issue": first(get("issue")),
        "pages": pages_from(first(get("pages")) or first(get("first page")), first(get("last page"))),
        "doi": doi_from(get("doi")),
        "pmid": first(get("pubmed id")),
        "pmcid": "",
        "issn": normalize_issn(" ".join((get("issn") or []) + (get("eissn") or []))),
        "isbn": first(get("isbn")),
        "keywords": split_keywords(
            [k for v in get("identifier / keyword") or () for k in v.split(",")] + (get("subject") or [])),
        "language": first(get("language")) or first(get("language of publication")),
        "publication_type": [doc_type] if doc_type else [],
        "url": first(get("document url")) or first(get("_url")),
        "booktitle": "",
        "publisher": clean_text(first(get("publisher")) or (first(get("university/institution")) if is_thesis else "")),
        "source_record_id": first(get("proquest document id")),
    }


def parse(text: str, filename: str) -> ParseResult:
    records = [ParsedRecord(fields=_fields(tags), line=line, source_db=first(tags.get("database")))
               for line, tags in _scan(text, filename)]
    expected = len(_DOC.findall(text))
    return ParseResult(records=records, expected_count=expected, format="proquest", dialect="proquest")


READER = register_reader(Reader(
    name="proquest",
    description="ProQuest plain text ('Report Information from ProQuest', Document N of M blocks)",
    extensions=("txt",),
    sniff=sniff,
    parse=parse,
))
