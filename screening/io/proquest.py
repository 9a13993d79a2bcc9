"""ProQuest plain-text reader ('Report Information from ProQuest' exports).

Layout: a report header and table of contents, then one block per record opened by
``Document N of M`` and closed by a rule of underscores; inside, the title on its own line,
then ``Label: value`` fields (``Author:``, ``Abstract:``, ``Publication year:``...), values
possibly running over several paragraphs. A trailing 'Bibliography' section (BibTeX-ish
citations of the same records) comes after the last rule; only its keyword lists are read
(see :func:`_bibliography_keywords`).

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


# 'Identifier / keyword' joins its items with ', ', the comma some items hold themselves:
# ProQuest's subject areas ('Philosophy, religion and theology') and names ('James, William').
# The BibTeX bibliography at the end of the export lists the same items '; '-separated
# ('keywords={Philosophy, religion and theology; ...; James, William; ...}'): that list tells
# where the items end. Without it (another citation style), only the subject areas are known.
_BIB_ENTRY = re.compile(r"^@\w+\{", re.M)
_BIB_KEYWORDS = re.compile(r"\bkeywords=\{([^{}]*)\}")
_BIB_DOC_ID = re.compile(r"/docview/(\d+)")
_COMMA_SUBJECT_AREAS = frozenset({"Philosophy, religion and theology", "Language, literature and linguistics"})


def _bibliography_keywords(text: str) -> dict[str, frozenset[str]]:
    """ProQuest document ID -> the keyword items its bibliography entry lists."""
    at = text.rfind("\nBibliography\n")
    if at == -1:
        return {}
    out: dict[str, frozenset[str]] = {}
    for entry in _BIB_ENTRY.split(text[at:])[1:]:
        keywords, doc_id = _BIB_KEYWORDS.search(entry), _BIB_DOC_ID.search(entry)
        if keywords and doc_id:
            out[doc_id.group(1)] = frozenset(" ".join(k.split()) for k in keywords.group(1).split(";") if k.strip())
    return out


def identifier_keywords(value: str, known: frozenset[str] = frozenset()) -> list[str]:
    """The items of an 'Identifier / keyword' value: split at ', ', except where the parts
    around a comma make up one item of ``known`` (or a subject area with a comma), longest first."""
    parts = [" ".join(p.split()) for p in value.split(",")]
    items: list[str] = []
    i = 0
    while i < len(parts):
        j = len(parts)
        while j > i + 1 and (joined := ", ".join(parts[i:j])) not in known and joined not in _COMMA_SUBJECT_AREAS:
            j -= 1
        items.append(", ".join(parts[i:j]))
        i = j
    return [item for item in items if item]


def _fields(tags: dict[str, list[str]], known_keywords: dict[str, frozenset[str]]) -> dict:
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
            [k for v in get("identifier / keyword") or ()
             for k in identifier_keywords(v, known_keywords.get(first(get("proquest document id")), frozenset()))]
            + (get("subject") or [])),
        "language": first(get("language")) or first(get("language of publication")),
        "publication_type": [doc_type] if doc_type else [],
        "url": first(get("document url")) or first(get("_url")),
        "booktitle": "",
        "publisher": clean_text(first(get("publisher")) or (first(get("university/institution")) if is_thesis else "")),
        "source_record_id": first(get("proquest document id")),
    }


def parse(text: str, filename: str) -> ParseResult:
    known_keywords = _bibliography_keywords(text)
    records = [ParsedRecord(fields=_fields(tags, known_keywords), line=line, source_db=first(tags.get("database")))
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
