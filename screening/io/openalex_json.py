"""Reader for OpenAlex API ``/works`` pages (as saved by ``screening search openalex``).

One page is ``{"meta": {"count", "next_cursor", ...}, "results": [Work, ...], "group_by": []}``.
A Work gives ids as URLs (``https://openalex.org/W…``, ``https://doi.org/…``,
``https://pubmed.ncbi.nlm.nih.gov/…``); we store the bare identifiers. OpenAlex ships no
plain-text abstract, only ``abstract_inverted_index`` (word -> positions), so we rebuild it.
``expected_count`` is ``len(results)``, counted from the decoded JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

from screening.errors import InputError
from screening.io.base import ParsedRecord, ParseResult, Reader, register_reader
from screening.names import normalize_author
from screening.normalize import clean_text, normalize_doi, normalize_issn, normalize_pages

_DECODER = json.JSONDecoder()


def result_lines(text: str, array_key_path: tuple[str, ...], count: int) -> list[int]:
    """1-based start line of each element of the array at ``array_key_path``; ``[1]*count`` if unsure.

    A saved API page is usually one line, but a pretty-printed or hand-trimmed one is not, and
    ``source_line`` should let a person find the record in the raw file; so we decode the
    array element by element with ``raw_decode`` to learn where each one starts. (Also used
    by the Europe PMC reader.)
    """
    pos = 0
    for key in array_key_path:
        match = re.compile(r'"' + re.escape(key) + r'"\s*:\s*').search(text, pos)
        if not match:
            return [1] * count
        pos = match.end()
    if pos >= len(text) or text[pos] != "[":
        return [1] * count
    pos += 1
    lines = []
    ws = re.compile(r"[\s,]*")
    line, counted = 1, 0
    while True:
        pos = ws.match(text, pos).end()
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            _, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError:
            return [1] * count
        line += text.count("\n", counted, pos)
        counted = pos
        lines.append(line)
        pos = end
    return lines if len(lines) == count else [1] * count


def rebuild_abstract(index: Any) -> str:
    """``{"Inhaled": [0], "budesonide": [1, 7]}`` -> ``"Inhaled budesonide ..."`` (positions order)."""
    if not isinstance(index, dict) or not index:
        return ""
    slots: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(positions, list):
            continue
        for p in positions:
            if isinstance(p, int) and p >= 0:
                slots[p] = str(word)
    return clean_text(" ".join(slots[p] for p in sorted(slots)))


def _tail(url: Any, prefix_re: str) -> str:
    if not isinstance(url, str) or not url:
        return ""
    return re.sub(prefix_re, "", url.strip()).strip("/")


def _dig(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def work_fields(work: dict[str, Any]) -> dict[str, Any]:
    """One OpenAlex Work -> canonical record fields."""
    ids = work.get("ids") if isinstance(work.get("ids"), dict) else {}
    source = _dig(work, "primary_location", "source") or {}
    biblio = work.get("biblio") if isinstance(work.get("biblio"), dict) else {}
    first, last = biblio.get("first_page") or "", biblio.get("last_page") or ""
    pages = f"{first}-{last}" if first and last and first != last else (first or last)
    authors = []
    for a in work.get("authorships") or []:
        name = _dig(a, "author", "display_name") or (a.get("raw_author_name") if isinstance(a, dict) else "")
        if name:
            authors.append(normalize_author(name))
    keywords = [k.get("display_name", "") for k in work.get("keywords") or [] if isinstance(k, dict)]
    keywords += [m.get("descriptor_name", "") for m in work.get("mesh") or [] if isinstance(m, dict)]
    pmcid = _tail(ids.get("pmcid"), r"^https?://(www\.)?ncbi\.nlm\.nih\.gov/pmc/articles/")
    if pmcid and not pmcid.upper().startswith("PMC"):
        pmcid = "PMC" + pmcid
    year = work.get("publication_year")
    return {
        "source_record_id": _tail(work.get("id"), r"^https?://openalex\.org/"),
        "title": clean_text(work.get("title") or work.get("display_name") or ""),
        "abstract": rebuild_abstract(work.get("abstract_inverted_index")),
        "authors": [a for a in authors if a],
        "year": year if isinstance(year, int) else None,
        "journal": clean_text(source.get("display_name") or "") if isinstance(source, dict) else "",
        "volume": str(biblio.get("volume") or ""),
        "issue": str(biblio.get("issue") or ""),
        "pages": normalize_pages(pages),
        "doi": normalize_doi(work.get("doi") or ids.get("doi") or ""),
        "pmid": _tail(ids.get("pmid"), r"^https?://pubmed\.ncbi\.nlm\.nih\.gov/"),
        "pmcid": pmcid,
        "issn": normalize_issn("; ".join(source.get("issn") or []) if isinstance(source, dict) else ""),
        "keywords": [clean_text(k) for k in keywords if k],
        "language": str(work.get("language") or ""),
        "publication_type": [str(work["type"])] if work.get("type") else [],
        "url": str(_dig(work, "primary_location", "landing_page_url") or work.get("doi") or work.get("id") or ""),
        "publisher": str(source.get("host_organization_name") or "") if isinstance(source, dict) else "",
    }


def sniff(text: str) -> float:
    head = text.lstrip()[:5000]
    if not head.startswith("{"):
        return 0.0
    if '"results"' in head and '"meta"' in head and "openalex.org" in text[:20000]:
        return 0.95
    return 0.0


def load_page(text: str, filename: str, service: str) -> Any:
    """A saved API page as JSON; a damaged page is an InputError naming the line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"not valid JSON: {err.msg}", path=filename, line=err.lineno,
                         hint=f"the saved {service} page is damaged; re-run the search") from None


def parse(text: str, filename: str) -> ParseResult:
    data = load_page(text, filename, "OpenAlex")
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise InputError("no 'results' list: not an OpenAlex /works page", path=filename, line=1)
    expected = len(results)
    lines = result_lines(text, ("results",), expected)
    records = [ParsedRecord(fields=work_fields(w), line=ln, source_db="OpenAlex")
               for w, ln in zip(results, lines) if isinstance(w, dict)]
    return ParseResult(records=records, expected_count=expected, format="openalex_json", dialect="openalex")


READER = register_reader(Reader(
    name="openalex_json", description="OpenAlex API /works JSON page", extensions=("json",),
    sniff=sniff, parse=parse,
))
