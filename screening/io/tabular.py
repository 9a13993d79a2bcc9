"""CSV / TSV reader: database exports (Scopus, Lens, OpenAlex, Embase, IEEE Xplore, Zotero, Web of
Science / BIOSIS tab-delimited, legacy PubMed CSV) and generic spreadsheets or dataset files.

Why one reader: every one of these is "a header row, then one row per record"; only the column
names differ. The layout is recognised from the header (:func:`detect_layout`); a recognised
database layout uses its own fixed column map, anything else goes through the documented alias
table in :mod:`screening.io.aliases` and keeps its undeclared columns (``label_included``,
``search_set``...) as extra text columns under their lower-cased names.

Line numbers are physical: a row whose abstract holds quoted newlines starts on the line of its
first character, and the next row's line accounts for them. The expected record count comes
from a separate plain ``csv.reader`` pass (non-empty rows after the header), so a parsing
mistake here shows up as a count mismatch at ingest instead of a silently lost record.

Rows whose field count is not the header's are judged once the file is read (:class:`~screening.io.row_shapes.RowShapes`):
those that would be misread (an unquoted delimiter in a value, rows delimited unlike the header,
a cut last row) stop ingest at their line; the rest are read and named in a warning.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from screening.errors import InputError
from screening.io.aliases import CONTENT_COLUMNS, DATABASE_COLUMNS, accepted_names, canonical_for, header_key
from screening.io.base import ParsedRecord, ParseResult, Reader, join_notes, register_reader
from screening.io.row_shapes import DELIMITERS, RowShapes, pipe_header
from screening.io.bibtex import split_name_list
from screening.io.wos import pt_types
from screening.names import normalize_author, split_authors
from screening.normalize import (
    article_number, clean_text, is_nlm_journal_id, normalize_doi, normalize_issn, normalize_pages, ovid_link_pmid,
    parse_year, split_top_level,
)
from screening.records import SCHEMA

csv.field_size_limit(1 << 30)   # Embase/Scopus cells (reference lists) exceed the 128 KiB default

# IEEE Xplore's 'Document Identifier' of a paper in proceedings ('IEEE Conferences', 'IET
# Conferences') or a chapter ('Wiley-IEEE Press eBook Chapters'), whose 'Publication Title' is
# the proceedings or the book
_IEEE_BOOK_KINDS = re.compile(r"\b(?:conferences?|books?|ebooks?)\b", re.I)
# Lens's publication types whose 'Source Title' is a book or proceedings, not a journal
_LENS_BOOK_TYPES = frozenset({"book chapter", "book", "conference proceedings article", "conference proceedings"})
_PLACEHOLDERS = {"[no abstract available]", "no abstract available", "[no author name available]",
                 "[no authors listed]", "na", "n/a", "null", "none", "nan"}
_ID_PLACEHOLDERS = {"na", "n/a", "null", "none", "nan", "-"}


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


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    if counts["\t"] >= 2 and counts["\t"] >= counts[","]:
        return "\t"
    if counts[";"] > counts[","] and counts[";"] >= 2:
        return ";"
    return ","


def _lines(text: str) -> Iterator[str]:
    """Lines split on \\n only (not on the other characters str.splitlines breaks at)."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            if start < len(text):
                yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def _reader(text: str, delimiter: str, quoting: int) -> Any:
    return csv.reader(_lines(text), delimiter=delimiter, quoting=quoting, strict=quoting != csv.QUOTE_NONE)


def _blank(row: list[str]) -> bool:
    """A blank line (no cells, or one whitespace cell). A row of empty cells (',,,') is NOT blank:
    it is a record with empty fields, and counting it keeps the count honest."""
    return len(row) == 0 or (len(row) == 1 and not row[0].strip())


def count_rows(text: str, delimiter: str, quoting: int) -> int:
    """Independent count: non-empty rows after the header, by a plain csv.reader pass."""
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
                if not _blank(r)]
    except csv.Error:
        return -1
    return max(len(rows) - 1, 0)


# --- value helpers ---------------------------------------------------------------------------

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


_DETAILS_RE = re.compile(r";\s*(?P<vol>[^:;()\s]+)?(?:\((?P<iss>[^)]*)\))?(?::(?P<pages>[A-Za-z]?\d[\w-]*))?")


def _pubmed_details(details: str) -> dict[str, Any]:
    """Legacy PubMed CSV 'Details': 'Endoscopy. 2019 Aug;51(8):806-807. doi: 10.1055/... Epub ...'."""
    out: dict[str, Any] = {"year": parse_year(details)}
    journal, _, rest = details.partition(". ")
    out["journal_abbrev"] = journal.strip()
    out["journal"] = journal.strip()
    m = _DETAILS_RE.search(rest.split(". doi:")[0])
    if m:
        out["volume"] = m.group("vol") or ""
        out["issue"] = m.group("iss") or ""
        out["pages"] = normalize_pages(m.group("pages") or "")
    dm = re.search(r"doi:\s*(\S+?)\.?(?:\s|$)", details)
    out["doi"] = normalize_doi(dm.group(1)) if dm else ""
    return out


# PubMed's summary (the legacy CSV's 'Details') adds notations after the citation: the original
# language if not English, 'No abstract available', and the publication type when it is Review
# or Retracted Publication ('... doi: 10.1186/x. Review.', '... [Epub ahead of print] Review.';
# NLM's PubMed tutorial, 'Summary Format'). Only these two types are ever written there, so a
# record without one is of some other type, not known: its publication_type stays empty.
_SUMMARY_TYPES = re.compile(r"(?:\.|\])\s+(Review|Retracted Publication)\.(?=\s|$)")


def _pubmed_summary_types(details: str) -> list[str]:
    """The publication types a legacy PubMed CSV 'Details' notes (see _SUMMARY_TYPES)."""
    return list(dict.fromkeys(_SUMMARY_TYPES.findall(details)))


_EMBASE_SOURCE_RE = re.compile(r"^(?P<journal>.+?)\s+\((?P<year>\d{4})\)\s*(?P<vol>[^:\s(]+)?(?::(?P<iss>[^\s(]+))?\s*(?:\((?P<pages>[^)]*)\))?")


def _embase_source(value: str) -> dict[str, Any]:
    """Embase 'Source': 'Cancer (2004) 102:4 (253-258). Date of Publication: 25 Aug 2004'."""
    m = _EMBASE_SOURCE_RE.match(value.strip())
    if not m:
        return {"journal": value.split(".")[0].strip(), "year": parse_year(value)}
    return {"journal": m.group("journal"), "year": int(m.group("year")), "volume": m.group("vol") or "",
            "issue": m.group("iss") or "", "pages": normalize_pages(m.group("pages") or "")}


_OPENURL_ISSN = re.compile(r"[?&]issn=(\d{4}-?\d{3}[\dXx])(?:&|$)")


# --- row -> fields ---------------------------------------------------------------------------

def _column_plan(header: list[str], layout: Layout) -> tuple[dict[str, list[int]], list[tuple[int, str]]]:
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


def _merge_numbered(plan: dict[str, list[int]]) -> dict[str, list[int]]:
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
    for target in ("title", "abstract", "journal", "journal_abbrev", "volume", "issue", "language",
                   "booktitle", "publisher", "url", "isbn", "pmcid"):
        f[target] = _text(first(target))
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
            next(iter(f["publication_type"]), "").lower() in _LENS_BOOK_TYPES:
        # Lens's 'Source Title' of a chapter is its book (of a proceedings paper, the
        # proceedings), as in its RIS export's JF: the booktitle (see ris_fields)
        f["booktitle"], f["journal"] = f["journal"], ""
    if layout.dialect == "ieee" and f["journal"] and not f["booktitle"] and \
            _IEEE_BOOK_KINDS.search(next(iter(f["publication_type"]), "")):
        # 'Publication Title' of a conference paper names the proceedings ('2019 15th
        # International Conference on eScience'), of a book chapter the book: the booktitle
        f["booktitle"], f["journal"] = f["journal"], ""
    if layout.dialect == "embase" and first("embase_source"):
        for k, v in _embase_source(first("embase_source")).items():
            if v and not f.get(k):
                f[k] = v
    if layout.dialect == "embase" and not f["doi"]:
        m = re.search(r"doi:(10\.[^&\s]+)", f["url"])
        f["doi"] = normalize_doi(m.group(1)) if m else ""
    if layout.dialect == "embase" and not f["issn"]:
        # an export without the ISSN column: Embase's OpenURL link names the journal's
        # ('...?sid=EMBASE&issn=22267190&id=doi:...'); only a value of an ISSN's shape is taken
        m = _OPENURL_ISSN.search(f["url"])
        f["issn"] = normalize_issn(m.group(1)) if m else ""
    if layout.dialect == "zotero" and not f["pmid"]:
        m = re.search(r"PMID:\s*(\d+)", first("zotero_extra"))
        f["pmid"] = m.group(1) if m else ovid_link_pmid([f["url"]])
    if layout.dialect == "pubmed_csv_legacy":
        f["publication_type"] = _pubmed_summary_types(first("pubmed_details"))
        for k, v in _pubmed_details(first("pubmed_details")).items():
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


# --- reader ----------------------------------------------------------------------------------

# Excel writes 'sep=;' (or 'sep=,', 'sep=<tab>') as the first line of a CSV made for another
# locale's list separator, and reads the delimiter from it: the header is the next line
_EXCEL_SEP = re.compile(r'"?sep=([,;\t|])"?[ \t]*(?=\n|$)')


def _excel_sep(text: str) -> tuple[str, str]:
    """``(delimiter, text)``: the delimiter an Excel ``sep=`` first line names ('' without one),
    and the text with that line left empty, so every later line keeps its number."""
    m = _EXCEL_SEP.match(text)
    if m is None:
        return "", text
    # 'sep=|' names a delimiter tabular does not read: the header then gets its usual refusal
    return (m.group(1) if m.group(1) in DELIMITERS else ""), text[m.end():]


def _header(text: str) -> tuple[str, int]:
    """First non-blank line and its 1-based number."""
    for n, line in enumerate(_lines(text), start=1):
        if line.strip():
            return line.rstrip("\n"), n
    return "", 1


# An Excel 'Unicode text' re-save of a WoS export quotes the cells that hold quotes (doubling
# them) or line breaks: a cell opening with a quote and holding a doubled quote is its mark.
# WoS itself never quotes (a title may hold quotes of its own), so only such a file is read
# with quoting.
_EXCEL_RESAVE = re.compile(r'(?:^|\t)"(?:[^"\t\n]|"")*""(?:[^"\t\n]|"")*"(?=\t|\n|$)', re.M)


def _wos_quoting(text: str) -> int:
    return csv.QUOTE_MINIMAL if _EXCEL_RESAVE.search(text) else csv.QUOTE_NONE


def _opening(text: str) -> tuple[str, str, int, str]:
    """``(text, header, its line number, delimiter)``: the text past an Excel ``sep=`` line
    (left empty), its first non-blank line, and the delimiter that line names or the header
    shows ('' for an empty file)."""
    sep, text = _excel_sep(text)
    first, line = _header(text)
    return text, first, line, (sep or _delimiter(first)) if first else ""


def sniff(text: str) -> float:
    text, first, _, delimiter = _opening(text)
    if not first:
        return 0.0
    if delimiter == "\t" and re.match(r"^(PT|FN)\t", first) and "\tTI\t" in first:
        return 0.97
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    try:
        rows = []
        for row in csv.reader(_lines(text[:20000]), delimiter=delimiter, quoting=quoting):
            if any(c.strip() for c in row):
                rows.append(row)
            if len(rows) >= 4:
                break
    except csv.Error:
        return 0.0
    if rows and len(rows[0]) < 2 and pipe_header(first):
        return 0.6        # ours, to reject with a message that names the delimiter
    if not rows or len(rows[0]) < 2:
        return 0.0
    header = rows[0]
    mapped = {canonical_for(h)[0] for h in header if canonical_for(h)}
    layout = detect_layout(header)
    if layout.dialect != "generic":
        return 0.9
    if mapped & set(CONTENT_COLUMNS) and len(header) >= 2:
        return 0.85
    # A consistent table with several columns: ours to read (and to reject with a useful message).
    body = rows[1:-1] if len(rows) > 2 else rows[1:]     # the last sampled row may be cut off
    if len(header) >= 3 and body and all(len(r) == len(header) for r in body):
        return 0.55
    return 0.0


def parse(text: str, filename: str) -> ParseResult:
    text, first, header_line, delimiter = _opening(text)
    if not first:
        raise InputError("file is empty", path=filename, line=1, hint="nothing to read")
    quoting = _wos_quoting(text) if (delimiter == "\t" and re.match(r"^(PT|FN)\t", first)) else csv.QUOTE_MINIMAL
    reader = _reader(text, delimiter, quoting)
    header: list[str] | None = None
    records: list[ParsedRecord] = []
    seen_ids: dict[str, int] = {}
    plan: dict[str, list[int]] = {}
    extras: list[tuple[int, str]] = []
    layout: Layout | None = None
    prev_line = 0
    anchor: int | None = None
    realigned = 0
    shapes: RowShapes | None = None
    try:
        for row in reader:
            start = prev_line + 1
            prev_line = reader.line_num
            if _blank(row):
                continue
            if header is None:
                header = [h.strip() for h in row]
                layout = detect_layout(header)
                plan, extras = _column_plan(header, layout)
                plan = _merge_numbered(plan)
                keys = [header_key(h) for h in header]
                anchor = keys.index(layout.insert_after) if layout.insert_after in keys else None
                named = max((i + 1 for i, h in enumerate(header) if h), default=len(header))
                shapes = RowShapes(width=len(header), named=named, delimiter=delimiter)
                if len(header) == 1 and pipe_header(first):
                    raise InputError(
                        "the header is delimited by pipes '|'", path=filename, line=start,
                        hint="only comma, semicolon and tab delimited tables are read: re-save the "
                             "table as CSV (comma) or tab-delimited text",
                    )
                if not (set(plan) & {"title", "abstract", "authors"}):
                    raise InputError(
                        f"not a records file: no title, abstract or author column in the header "
                        f"({', '.join(header[:8])}{'...' if len(header) > 8 else ''})",
                        path=filename, line=start,
                        hint=f"name a column as one of — {accepted_names()} (see docs/formats-structured.md)",
                    )
                continue
            assert layout is not None and shapes is not None
            if anchor is not None and len(row) > len(header):
                row = row[:anchor + 1] + row[anchor + 1 + len(row) - len(header):]
                realigned += 1
            shapes.observe(row, start)
            fields, source_db = row_fields(row, plan, extras, layout)
            rid = fields.get("record_id", "")
            if rid:
                if rid in seen_ids:
                    raise InputError(
                        f"duplicate ID {rid!r} (first on line {seen_ids[rid]})", path=filename, line=start,
                        record=rid, hint="ID values must be unique within a file; fix or remove the repeated row",
                    )
                seen_ids[rid] = start
            records.append(ParsedRecord(fields=fields, line=start, source_db=source_db))
    except csv.Error as err:
        raise InputError(f"malformed CSV: {err}", path=filename, line=prev_line + 1 if prev_line else header_line,
                         hint="a quoted field is not closed (truncated file?) or quotes are unbalanced; "
                              "re-export the file") from None
    if header is None:
        raise InputError("file is empty", path=filename, line=1, hint="nothing to read")
    assert layout is not None and shapes is not None
    # rows whose field count is not the header's: misread rows stop ingest, others are named
    warnings = shapes.judge(filename)
    if realigned:
        warnings.append(f"{filename}: {realigned} rows have more cells than the header (a later export "
                        f"layout); their columns after {header[anchor]!r} were realigned from the right")
    return ParseResult(records=records, expected_count=count_rows(text, delimiter, quoting),
                       format="tabular", dialect=layout.dialect, warnings=warnings)


READER = register_reader(Reader(
    name="tabular",
    description="CSV/TSV: Scopus, Lens, OpenAlex, Embase, IEEE, Zotero, WoS tab-delimited, PubMed (legacy), generic",
    extensions=("csv", "tsv", "txt", "tab"),
    sniff=sniff,
    parse=parse,
))
