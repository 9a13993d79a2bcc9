"""A table row into a record's fields: which column is which field, and how each cell is read.

:func:`column_plan` maps a header to canonical fields once (a database layout's fixed map, or the
alias table for any other table, keeping undeclared columns as extras); :func:`row_fields` then
reads each row through that plan: placeholder cells ('[No abstract available]', 'NA') are empty,
list cells are split, identifiers normalised, and each dialect's fix-ups applied. Separate from
how the text opens (:mod:`screening.io.table_opening`) and from recognising a database
(:mod:`screening.io.table_layouts`): this is the per-record step, run once per row.
"""

from __future__ import annotations

import re
from typing import Any

from screening.io.aliases import canonical_for, header_key
from screening.io.base import join_notes, original_title
from screening.io.table_layouts import (
    IEEE_BOOK_KINDS, LENS_BOOK_TYPES, OPENURL_ISSN, Layout, embase_source, pubmed_details, pubmed_summary_types,
)
from screening.io.wos import pt_types
from screening.normalize import (
    article_number, clean_text, is_nlm_journal_id, normalize_doi, normalize_issn, normalize_pages, ovid_link_pmid,
    parse_year, split_top_level,
)
from screening.records import SCHEMA

_PLACEHOLDERS = {"[no abstract available]", "no abstract available", "[no author name available]",
                 "[no authors listed]", "na", "n/a", "null", "none", "nan"}
_ID_PLACEHOLDERS = {"na", "n/a", "null", "none", "nan", "-"}


def _text(value: str) -> str:
    v = clean_text(value)
    return "" if v.lower() in _PLACEHOLDERS else v


def _note_lines(value: str) -> str:
    """Notes keep their line breaks (one note per line, as RIS N1 lines are kept); each line
    is cleaned like any text value."""
    if "\n" not in value and "\r" not in value:
        return _text(value)
    return join_notes(map(_text, _LINE_BREAK.split(value)))


# Zotero's CSV export joins an item's notes with '; ' (and turns their line breaks into spaces);
# each note is HTML, so a '; ' before a tag starts the next note
_ZOTERO_NOTE_BREAK = re.compile(r";\s+(?=<(?:div|p|h[1-6]|ul|ol|blockquote|pre|table)\b)", re.I)
_LINE_BREAK = re.compile(r"\r\n?|\n")


def _zotero_notes(value: str) -> str:
    """A Zotero CSV 'Notes' cell, one note per line (as Zotero's RIS export gives one N1 each)."""
    return join_notes(map(_text, _ZOTERO_NOTE_BREAK.split(value)))


def _items(value: str, sep: str) -> list[str]:
    text = clean_text(value)
    if not text:
        return []
    return [t for t in (x.strip() for x in split_top_level(text, sep)) if t and t.lower() not in _PLACEHOLDERS]


def _pmid(value: str) -> str:
    m = re.search(r"(\d{1,9})\s*/?\s*$", value.strip())
    return m.group(1) if m and value.strip().lower() not in _ID_PLACEHOLDERS else ""


def column_plan(header: list[str], layout: Layout) -> tuple[dict[str, list[int]], list[tuple[int, str]]]:
    """canonical -> column indices (preferred first); plus (index, extra name) for unmapped columns."""
    targets: dict[str, list[tuple[int, int]]] = {}
    extras: list[tuple[int, str]] = []
    used_extra: set[str] = set()
    for i, name in enumerate(header):
        key = header_key(name)
        if layout.columns:
            target = layout.columns.get(key)
            prio = i
        else:
            found = canonical_for(name)
            target, prio = (found if found else (None, 0))
        if target:
            targets.setdefault(target, []).append((prio, i))
        elif layout.keep_extras and name.strip():
            extra = re.sub(r"\s+", "_", name.strip().lower())
            if extra in SCHEMA or extra in used_extra:
                extra = f"{extra}_original" if extra not in used_extra else f"{extra}_{i}"
            used_extra.add(extra)
            extras.append((i, extra))
    plan = {t: [i for _, i in sorted(v)] for t, v in targets.items()}
    if layout.dialect == "ieee":
        # the one keyword column typed by authors, sometimes ','-separated (see row_fields)
        plan[_COMMA_KEYWORDS] = [i for i, name in enumerate(header) if header_key(name) == header_key("Author Keywords")]
    return plan, extras


_COMMA_KEYWORDS = "_comma_keywords"


def merge_numbered(plan: dict[str, list[int]]) -> dict[str, list[int]]:
    """Fold 'keywords2', 'journal_abbrev2', 'authors_full'... into their base column, in order."""
    merged: dict[str, list[int]] = {}
    for target in sorted(plan, key=lambda t: (re.sub(r"(_full|_group|\d)$", "", t), t)):
        base = re.sub(r"\d$", "", target)
        if base in ("authors_full", "authors_group"):
            base = "authors"
        merged.setdefault(base, []).extend(plan[target])
    return merged


def row_fields(row: list[str], plan: dict[str, list[int]], extras: list[tuple[int, str]],
               layout: Layout) -> tuple[dict[str, Any], str]:
    def cells(target: str) -> list[str]:
        return [row[i] for i in plan.get(target, []) if i < len(row) and row[i].strip()]

    def first(target: str) -> str:
        got = cells(target)
        return got[0] if got else ""

    f: dict[str, Any] = {}
    for target in ("title", "title_original", "abstract", "journal", "journal_abbrev", "volume", "issue", "language",
                   "booktitle", "publisher", "url", "isbn", "pmcid"):
        f[target] = _text(first(target))
    f["title_original"] = original_title(f["title_original"], f["title"])
    authors: list[str] = []
    for value in cells("authors"):
        authors = layout.author_split(_text(value))      # '[No author name available]' is none
        if authors:
            break
    f["authors"] = authors
    keywords: list[str] = []
    comma_cols = set(plan.get(_COMMA_KEYWORDS, ()))
    for i in plan.get("keywords", []):
        value = row[i] if i < len(row) else ""
        if not value.strip():
            continue
        sep = layout.list_sep if layout.list_sep != "," or ";" not in value else ";"
        if i in comma_cols and ";" not in value:
            # IEEE Xplore keeps its own term lists ';'-separated, but 'Author Keywords' as the
            # authors typed them: some lists are ','-separated ('GPGPU computing, CUDA kernels');
            # only that column: a term of the others may hold a comma ('Diabetes Mellitus, Type 2')
            sep = ","
        keywords += [k for k in _items(value, sep) if k not in keywords]
    f["keywords"] = keywords
    ptypes: list[str] = []
    for value in cells("publication_type")[:1]:
        ptypes = _items(value, ";")
    f["publication_type"] = ptypes
    f["year"] = parse_year(first("year"))
    if f["year"] is None and layout.dialect == "wos":
        # early access: PY empty, PD often just 'MAR'; the year is in EA or EY (only WoS: a
        # generic 'Year' of 'in press' must not borrow a year from some other date column)
        f["year"] = next((y for y in map(parse_year, cells("year")) if y), None)
    f["doi"] = next((d for d in (normalize_doi(v) for v in cells("doi")) if d), "")
    f["issn"] = normalize_issn("; ".join(cells("issn")))
    pmid = first("pmid")
    f["pmid"] = _pmid(pmid) if pmid else ""
    pages = first("pages")
    if not pages:
        start, end = first("pages_start").strip(), first("pages_end").strip()
        pages = f"{start}-{end}" if start and end else start or article_number(first("article_number"))
    if not pages and layout.dialect == "wos":
        # WoS: BP-EP, else the AR article number; BIOSIS's PS ('Article No.: 16', '58,62-63')
        # repeats them, and only a record with neither needs it
        pages = first("wos_page_span")
    f["pages"] = normalize_pages(pages)
    sid = first("source_record_id").strip()
    f["source_record_id"] = "" if sid.lower() in _ID_PLACEHOLDERS else sid
    rid = first("record_id").strip()
    if rid:
        f["record_id"] = rid
    f["notes"] = _zotero_notes(first("notes")) if layout.dialect == "zotero" else _note_lines(first("notes"))
    # a layout's own database, else the row's (a records table or our CSV export names each
    # row's: re-ingested, every record keeps the database it came from)
    source_db = layout.source_db or _text(first("source_db"))
    # dialect fix-ups
    if layout.dialect == "wos" and f["source_record_id"].upper().startswith("BIOSIS:"):
        source_db = "BIOSIS Previews (Web of Science)"
    if layout.dialect == "wos" and not f["publication_type"]:
        f["publication_type"] = pt_types(first("wos_pt"))
    if layout.dialect == "zotero" and is_nlm_journal_id(f["issue"]):
        f["issue"] = ""       # Ovid via Zotero: 'eag, 7805975' is the NLM journal id
    if layout.dialect == "lens" and f["journal"] and not f["booktitle"] and \
            next(iter(f["publication_type"]), "").lower() in LENS_BOOK_TYPES:
        # Lens's 'Source Title' of a chapter is its book (of a proceedings paper, the
        # proceedings), as in its RIS export's JF: the booktitle (see ris_fields)
        f["booktitle"], f["journal"] = f["journal"], ""
    if layout.dialect == "ieee" and f["journal"] and not f["booktitle"] and \
            IEEE_BOOK_KINDS.search(next(iter(f["publication_type"]), "")):
        # 'Publication Title' of a conference paper names the proceedings ('2019 15th
        # International Conference on eScience'), of a book chapter the book: the booktitle
        f["booktitle"], f["journal"] = f["journal"], ""
    if layout.dialect == "embase" and first("embase_source"):
        for k, v in embase_source(first("embase_source")).items():
            if v and not f.get(k):
                f[k] = v
    if layout.dialect == "embase" and not f["doi"]:
        m = re.search(r"doi:(10\.[^&\s]+)", f["url"])
        f["doi"] = normalize_doi(m.group(1)) if m else ""
    if layout.dialect == "embase" and not f["issn"]:
        # an export without the ISSN column: Embase's OpenURL link names the journal's
        # ('...?sid=EMBASE&issn=22267190&id=doi:...'); only a value of an ISSN's shape is taken
        m = OPENURL_ISSN.search(f["url"])
        f["issn"] = normalize_issn(m.group(1)) if m else ""
    if layout.dialect == "zotero" and not f["pmid"]:
        m = re.search(r"PMID:\s*(\d+)", first("zotero_extra"))
        f["pmid"] = m.group(1) if m else ovid_link_pmid([f["url"]])
    if layout.dialect == "pubmed_csv_legacy":
        f["publication_type"] = pubmed_summary_types(first("pubmed_details"))
        for k, v in pubmed_details(first("pubmed_details")).items():
            if v and not f.get(k):
                f[k] = v
        url = first("pubmed_url").strip()
        f["url"] = f"https://pubmed.ncbi.nlm.nih.gov{url.removeprefix('/pubmed')}" if url.startswith("/pubmed/") else url
        f["source_record_id"] = f["pmid"]
    if layout.dialect == "openalex" and f["pmid"] == "" and first("pmid"):
        f["pmid"] = _pmid(first("pmid"))
    for i, name in extras:
        f[name] = row[i] if i < len(row) else ""
    return f, source_db
