"""RIS reader: every dialect we have met (Ovid, EBSCO, Scopus, WoS, Embase, Cochrane, Lens,
Dimensions, Zotero, EndNote, ProQuest...).

RIS is ``TAG  - value`` lines between ``TY`` and ``ER``. What varies is everything around that:
Ovid numbers records (``1.``) and appends a 'Link to the Ovid Full Text' line after ``ER``;
Cochrane writes ``Record #N of M`` / ``Provider:`` headers and ``TY  -  JOUR`` (two spaces
after the hyphen); Dimensions and Zotero let abstracts run on over untagged lines; EBSCO adds a
copyright line as a second ``AB``. Lines outside ``TY``..``ER`` are therefore ignored, and
untagged lines inside a record continue the previous tag's value.

The scanner is the hot path of ingest (100k-record files): records are cut out with
``str.find`` and split into tags by slicing; only records with odd lines (continuations,
one-space tags, a missing ``ER``) take the careful line-by-line path. Field mapping runs once
per record with regex-free fast paths for the common clean values (see :mod:`.tagged`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterator

from screening.errors import InputError
from screening.io.base import ColumnResult, ParsedRecord, ParseResult, Reader, register_reader
from screening.io.tagged import (
    abstract_of, authors_from, doi_from, fast_clean, first, gc_paused, issn_isbn, linked_doi, note_doi, pages_from,
    pmcid_from, pmid_from, pubmed_link_pmid, split_keywords, text_of,
)
from screening.normalize import article_number, is_nlm_journal_id, ovid_link_pmid, parse_year

# 'TY  - JOUR', 'TY  -  JOUR' (Cochrane), 'ER  -', 'ER  -  ' (Ovid), 'AU - X' (one space).
_TAG_LINE = re.compile(r"([A-Z][A-Z0-9]) {1,2}-(?: +(.*))?$")
_TY_AT = re.compile(r"TY[ \t]+-")
_SNIFF_TY = re.compile(r"^TY {1,2}- ", re.M)
_SNIFF_ER = re.compile(r"^ER {1,2}-", re.M)
_OVID_NUMBER = re.compile(r"^\d+\.\s*\nTY  -", re.M)
_EID_RE = re.compile(r"eid=(2-s2\.0-\d+)")
_EBSCO_AN_RE = re.compile(r"[?&]AN=([^&\s]+)")
_OVID_DB_RE = re.compile(r"[?&]D=([a-z]+)")

_BOOK_TYPES = {"CHAP", "CONF", "CPAPER", "BOOK", "EBOOK", "ECHAP", "EDBOOK"}
# EBSCO 'DB' holds a database code; name it for PRISMA's per-source counts.
_EBSCO_DB = {
    "psyh": "APA PsycInfo", "egh": "Environment Index", "i3h": "Criminal Justice Abstracts",
    "ecn": "EconLit", "rzh": "CINAHL", "ccm": "CINAHL", "cin20": "CINAHL Plus", "a9h": "Academic Search Complete",
    "bth": "Business Source Complete", "eric": "ERIC", "mdc": "MEDLINE", "cmedm": "MEDLINE",
}
# Ovid's database code in the L2/UR link (D=...).
_OVID_DB = (
    ("prem", "Ovid MEDLINE(R)"), ("med", "Ovid MEDLINE(R)"), ("emex", "Embase (Ovid)"),
    ("emed", "Embase (Ovid)"), ("cctr", "Cochrane CENTRAL (Ovid)"), ("psyc", "APA PsycInfo (Ovid)"),
    ("coch", "Cochrane Reviews (Ovid)"),
)


def _count_ty(text: str) -> int:
    """Records the file declares: lines matching ``^TY[ \\t]+-``, counted on the raw text
    independently of the scanner. Candidate line starts are found with ``str.find`` and only
    those are checked with the regex (a multiline regex over a 300 MB export is ~8x slower)."""
    n = 1 if _TY_AT.match(text) else 0
    clean = text.count("\nTY  -")
    if text.count("\nTY") == clean:
        return n + clean  # every candidate is a plain 'TY  -' line: no need to check them one by one
    find = text.find
    at = _TY_AT.match
    pos = find("\nTY")
    while pos != -1:
        if at(text, pos + 1):
            n += 1
        pos = find("\nTY", pos + 3)
    return n


def sniff(text: str) -> float:
    """RIS if there are ``TY  -`` lines; more so with ``ER  -`` lines to match."""
    ty = len(_SNIFF_TY.findall(text))
    if not ty:
        return 0.0
    er = len(_SNIFF_ER.findall(text))
    return 0.95 if er else 0.7


#: The RIS reference types (``TY``) and what each names: rules match a type by its name
#: ("journal article"), exports write only these codes.
RIS_TYPE_NAMES = {
    "ABST": "abstract", "ADVS": "audiovisual material", "AGGR": "aggregated database", "BILL": "bill",
    "BLOG": "blog", "BOOK": "book", "CASE": "case", "CHAP": "book chapter", "CHART": "chart",
    "COMP": "computer program", "CONF": "conference proceeding", "CPAPER": "conference paper",
    "CTLG": "catalog", "DATA": "dataset", "DBASE": "online database", "DICT": "dictionary",
    "EBOOK": "electronic book", "ECHAP": "electronic book section", "EDBOOK": "edited book",
    "EJOUR": "electronic article", "ELEC": "web page", "ENCYC": "encyclopedia", "GEN": "generic",
    "GOVDOC": "government document", "GRANT": "grant", "HEAR": "hearing", "ICOMM": "internet communication",
    "INPR": "in press", "JFULL": "journal full", "JOUR": "journal article", "LEGAL": "legal rule",
    "MANSCPT": "manuscript", "MAP": "map", "MGZN": "magazine article", "MPCT": "motion picture",
    "MULTI": "online multimedia", "NEWS": "newspaper article", "PAMP": "pamphlet", "PAT": "patent",
    "PCOMM": "personal communication", "RPRT": "report", "SER": "serial publication", "SLIDE": "slide",
    "SOUND": "sound recording", "STAND": "standard", "STAT": "statute", "THES": "thesis",
    "UNPB": "unpublished work", "VIDEO": "video recording",
}

# M3 is RIS's 'Type of Work'. Scopus, EBSCO, Embase and EndNote write the document type there
# ('Note', 'Letter', 'Conference Paper'), Cochrane a ';'-list ('Journal article; Erratum'),
# while TY says only JOUR; but other exports put a DOI ('10.1126/science.1074069'), a
# PsycInfo classification ('Health Psychology & Medicine [3360]', Ovid) or an issue number
# there. A document type is a few words of letters: anything with digits, '&', '[', ':' or
# '.' is not one, and is left out (see docs/formats-tagged.md).
_DOC_TYPE = re.compile(r"[^\W\d_]+(?:[ '\-/][^\W\d_]+){0,4}")


@lru_cache(maxsize=4096)
def _m3_types(value: str, ty: str) -> tuple[str, ...]:
    """The document types an M3 value names, as written, minus the one TY already names
    (EBSCO's 'Journal article' next to JOUR, or the code itself); () when M3 holds something else. Cached: an
    export repeats a handful of values ('Article') over thousands of records."""
    ty_name = RIS_TYPE_NAMES.get(ty, ty).casefold()
    out: dict[str, None] = {}
    for part in value.split(";"):
        part = " ".join(part.split())
        if not part:
            continue
        if len(part) > 50 or not _DOC_TYPE.fullmatch(part):
            return ()  # one part is not a type (a DOI, a classification): the value is no type list
        folded = part.casefold()
        if folded != ty_name and folded != ty.casefold() and folded not in (o.casefold() for o in out):
            out[part] = None
    return tuple(out)


def publication_types(ty: str, m3: list[str] | None) -> list[str]:
    """``publication_type`` of a RIS record: the TY code first (exports write TY back from
    it), then the document types of M3 (see :func:`_m3_types`), each once."""
    types = [ty] if ty else []
    if not m3:
        return types
    if len(m3) == 1:  # the usual case (ingest's hot path): the cached parts are already unique
        types.extend(_m3_types(m3[0], ty))
        return types
    seen = {t.casefold() for t in types}
    for value in m3:
        for t in _m3_types(value, ty):
            if t.casefold() not in seen:
                seen.add(t.casefold())
                types.append(t)
    return types


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_TAGS = frozenset(a + b for a in _UPPER for b in _UPPER + "0123456789")
_HEADS = {tag + "  -": tag for tag in _TAGS}  # clean line start -> tag (see _scan)
def _scan_lines(lines: list[str], first_line: int, filename: str, warnings: list[str], *,
                at_end: bool = True) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """General line scanner: any spacing, continuation lines, missing ER lines.

    ``at_end``: the lines run to the end of the file, so an unfinished record means the
    export was cut off; otherwise another record follows and the open one is closed.
    """
    heads = _HEADS.get
    slow = _TAG_LINE.match
    cur: dict[str, list[str]] | None = None
    start = 0
    last: list[str] | None = None
    lineno = first_line - 1
    for line in lines:
        lineno += 1
        if (tag := heads(line[:5])) is not None:  # clean 'XX  - value'
            value = line[5:].strip()
        elif line[2:4] == " -" and (m := slow(line)) is not None:
            tag, value = m.group(1), (m.group(2) or "").strip()
        else:
            if cur is not None and last is not None and line and not line.isspace():
                # untagged continuation (Dimensions/Zotero abstracts, wrapped values)
                last[-1] = last[-1] + "\n" + line
            continue
        if tag == "TY":
            if cur is not None:
                warnings.append(f"{filename}:{start}: record has no ER line before the next TY; closed it there")
                yield start, cur
            cur = {"TY": [value]}
            start = lineno
            last = None
        elif cur is None:
            continue  # tag outside a record (headers, stray lines)
        elif tag == "ER":
            yield start, cur
            cur = None
            last = None
        else:
            last = cur.setdefault(tag, [])
            last.append(value)
    if cur is not None:
        if not at_end:
            warnings.append(f"{filename}:{start}: record has no ER line before the next TY; closed it there")
            yield start, cur
            return
        raise InputError(
            "the last record has a TY line but no ER line", path=filename, line=start,
            hint="the export looks truncated; re-export",
        )


def _scan(text: str, filename: str, warnings: list[str], *, first_line: int = 1,
          at_end: bool = True) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """Yield ``(line, {tag: [values]})`` per record. The hot loop of ingest.

    ``first_line``/``at_end`` let streaming ingest scan one chunk of a file at a time: the
    chunk's first line number in the file, and whether the chunk runs to the end of the file
    (only then is an unfinished last record a truncated export; see :func:`_scan_lines`).

    Records are cut out with ``str.find`` ('TY  -' .. 'ER  -' at line starts); a record whose
    lines are all ``XX  - value`` (the vast majority) is split into tags by slicing in a
    comprehension. Anything else -- continuation lines, one-space tags, a missing ER -- goes
    through :func:`_scan_lines`, which handles every case line by line.
    """
    if "\nTY  -" not in text and not text.startswith("TY  -"):
        yield from _scan_lines(text.split("\n"), first_line, filename, warnings, at_end=at_end)
        return
    find = text.find
    count = text.count
    heads = _HEADS.get
    ty = 0 if text.startswith("TY  -") else find("\nTY  -") + 1
    lineno = first_line + count("\n", 0, ty)  # line number of ty
    while True:
        er = find("\nER  -", ty)
        if er != -1:
            lines = text[ty:er].split("\n")
            # One pass: build the record while every line is a clean tag line; bail out
            # otherwise. ``heads`` maps every clean line start 'XX  -' to its tag: one slice
            # and one lookup both check the line and name its tag.
            rec: dict[str, list[str]] | None = {}
            get = rec.get  # type: ignore[union-attr]
            for ln in lines:
                tag = heads(ln[:5])
                if tag is None:
                    rec = None
                    break
                vals = get(tag)
                if vals is None:
                    rec[tag] = [ln[5:].strip()]  # type: ignore[index]
                else:
                    vals.append(ln[5:].strip())
            # A second 'TY  -' line before the ER means the record has no ER of its own
            # (handled below); a clean record shows it as a repeated TY, others are searched.
            if rec is not None:
                inner_ty = len(rec["TY"]) > 1
            else:
                inner_ty = find("\nTY  -", ty + 5, er) != -1
            if not inner_ty:
                # no 'TY  -' line in [ty + 5, er), so the next one is the first after the ER
                nxt = find("\nTY  -", er)
                n_lines = len(lines)
                if rec is not None:
                    yield lineno, rec
                else:
                    lines.append("ER  -")
                    yield from _scan_lines(lines, lineno, filename, warnings)
                if nxt == -1:
                    return
                lineno += n_lines - 1 + count("\n", er, nxt + 1)
                ty = nxt + 1
                continue
        # no ER before the next record (or at all): let the careful scanner decide
        nxt = find("\nTY  -", ty + 5)
        stop = nxt if nxt != -1 else len(text)
        yield from _scan_lines(text[ty:stop].split("\n"), lineno, filename, warnings,
                               at_end=at_end and nxt == -1)
        if nxt == -1:
            return
        lineno += count("\n", ty, nxt + 1)
        ty = nxt + 1


def _first_record_tags(head: str) -> list[str]:
    tags: list[str] = []
    started = False
    for line in head.split("\n")[:400]:
        m = _TAG_LINE.match(line)
        if not m:
            continue
        tag = m.group(1)
        if tag == "TY":
            started = True
            continue
        if tag == "ER" and started:
            break
        if started:
            tags.append(tag)
    return tags


def detect_dialect(text: str) -> str:
    """Name the exporting system from markers only it writes in the first 50,000 characters
    (first match wins); streaming ingest calls it once on a big file's head."""
    head = text[:50000]
    if "Record #1 of" in head and "Provider:" in head:
        return "cochrane"
    if _OVID_NUMBER.search(head) or "Link to the Ovid Full Text" in head:
        return "ovid"
    if "lens.org/" in head:
        return "lens"
    tags = _first_record_tags(head)
    if len(tags) >= 6 and tags[-1] == "ID" and tags[:-1] == sorted(tags[:-1]):
        return "endnote"  # EndNote 'RefMan (RIS)': tags in alphabetical order, then ID
    if "//undefined" in head or "Zotero field" in head or re.search(r"^DA  - \d{4}///?\s*$", head, re.M):
        return "zotero"
    if "DB  - Scopus" in head:
        return "scopus"
    if "DB  - Embase" in head:
        return "embase"
    if "DP  - EBSCOhost" in head:
        return "ebsco"
    if "app.dimensions.ai" in head:
        return "dimensions"
    if re.search(r"^(?:J9|WE|PI|PA)  - ", head, re.M) or "AN  - WOS:" in head:
        return "wos"
    if re.search(r"^DB  - .*ProQuest|proquest\.com", head, re.M):
        return "proquest"
    if "scielo" in head.lower():
        return "scielo"
    if re.search(r"^(?:DP  - NLM|ET  - )", head, re.M):
        return "endnote"
    return ""


def _source_db(tags: dict[str, list[str]], dialect: str) -> str:
    db = first(tags.get("DB"))
    if db:
        return _EBSCO_DB.get(db.lower(), db)
    dp = first(tags.get("DP"))
    if dp and dp.upper() == "NLM":
        return "PubMed"
    if dialect == "ovid":
        link = first(tags.get("L2")) or first(tags.get("UR"))
        m = _OVID_DB_RE.search(link)
        if m:
            code = m.group(1)
            for prefix, name in _OVID_DB:
                if code.startswith(prefix):
                    return name
    if first(tags.get("AN")).startswith("WOS:"):
        return "Web of Science"
    if dialect == "cochrane":
        return "Cochrane CENTRAL" if first(tags.get("AN")).startswith("CN-") else "Cochrane Library"
    return ""


# Scopus writes the PubMed id in C2 ('C2  - 39549413'), and EndNote keeps it there for
# Scopus records; elsewhere C2 is the PMCID (PubMed via EndNote) or a free custom field. A
# wrong PMID links unrelated records in dedup, so C2 is a PMID only when the record is
# evidently from Scopus and the value has a PMID's shape: 4-8 digits (PMIDs under 1000 date
# from 1975, while a custom field's small number on a Scopus-linked record would be a false link).
_C2_PMID = re.compile(r"[1-9]\d{3,7}")


def _from_scopus(tags: dict[str, list[str]], dialect: str, source_db: str) -> bool:
    """The record came from Scopus: its DB says so, its link is a Scopus record page, or the
    whole file is a Scopus export."""
    if source_db.casefold() == "scopus" or dialect == "scopus":
        return True
    return any("www.scopus.com/" in u for u in (*(tags.get("UR") or ()), *(tags.get("L2") or ())))


def _scopus_c2_pmid(c2: str, tags: dict[str, list[str]], dialect: str, source_db: str) -> str:
    """The PMID in C2 of a Scopus record (see _C2_PMID), else ''."""
    return c2 if _C2_PMID.fullmatch(c2) and _from_scopus(tags, dialect, source_db) else ""


# CP is the issue in some RIS writers, but Web of Science puts the conference there ('24th
# Annual Forum of the American-College-of-Veterinary-Internal-Medicine'), Ovid the country:
# CP is taken as the issue only when it has an issue's shape ('3', '12-13', 'S1', 'Suppl 2')
_ISSUE_SHAPE = re.compile(r"(?:(?:Suppl(?:ement)?\.?|Spec(?:ial)?\.?|No\.?)\s*)?[A-Za-z]?\d{1,5}[A-Za-z]?"
                          r"(?:\s*[-/&,]\s*[A-Za-z]?\d{1,5}[A-Za-z]?)?|Suppl(?:ement)?\.?", re.I)


def _cp_issue(cp: str) -> str:
    """CP as the issue, when it looks like one (see _ISSUE_SHAPE), else ''."""
    return cp if cp and len(cp) <= 20 and _ISSUE_SHAPE.fullmatch(cp) else ""


FIELD_NAMES: tuple[str, ...] = (
    "title",
    "abstract",
    "authors",
    "year",
    "journal",
    "journal_abbrev",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "pmcid",
    "issn",
    "isbn",
    "keywords",
    "language",
    "publication_type",
    "url",
    "booktitle",
    "publisher",
    "source_record_id",
)


def _fields(tags: dict[str, list[str]], dialect: str, source_db: str) -> dict:
    """The canonical fields of one record, by name."""
    return dict(zip(FIELD_NAMES, _field_values(tags, dialect, source_db)))


def _field_values(tags: dict[str, list[str]], dialect: str, source_db: str) -> tuple[Any, ...]:
    """The canonical fields of one record, as a tuple in :data:`FIELD_NAMES` order (streaming
    ingest keeps them column-wise, so no dict is built per record; see :func:`_fields`)."""
    get = tags.get
    ty = first(get("TY")).upper()
    title = text_of(get("TI") or get("T1") or get("CT"))
    bt = get("BT")
    booktitle = fast_clean(first(bt)) if bt else ""
    t2 = fast_clean(first(get("T2")))
    if ty in _BOOK_TYPES and t2:
        booktitle = booktitle or t2
        t2 = ""
    if not title and booktitle and ty not in _BOOK_TYPES:
        title, booktitle = booktitle, ""
    journal_from = ""
    journal = ""
    for tag in ("JF", "T2", "JO", "JA", "J2"):
        if tag == "T2":
            value = t2
        else:
            values = get(tag)
            value = fast_clean(first(values)) if values else ""
        if value:
            journal, journal_from = value, tag
            break
    abbrev = ""
    for tag in ("J2", "JA", "J9", "JI", "JO"):
        values = get(tag)
        if values and tag != journal_from:
            value = fast_clean(first(values))
            if value and value != journal:
                abbrev = value
                break

    authors = authors_from(get("AU") or get("A1"))
    issn, isbn = issn_isbn(get("SN"))
    isbn = isbn or first(get("BN"))

    # doi_from takes the first DOI in candidate order, so trying DO alone first is the same
    do = get("DO")
    doi = doi_from(do) if do else ""
    if not doi:
        doi = doi_from(get("DI")) or linked_doi(get("UR"), get("L2"), get("L1"), get("M3"), get("LK"))
    if not doi:
        # a note's DOI is the record's only when the note says so (Zotero's EndNote fields);
        # any other DOI in a note names another work (PsycInfo's 'Tests & Measures')
        doi = note_doi(get("N1"))
    url = ""
    for tag in ("UR", "L2", "L1", "LK"):
        for u in get(tag) or ():
            u = u.strip()
            if u[:4].lower() in ("http", "www."):
                url = u
                break
        if url:
            break

    u1 = get("U1")
    n1 = get("N1")
    pmid = pmid_from(u1, get("C3"), get("U2"), n1)
    an = first(get("AN"))
    rid = first(get("ID"))
    if not pmid:
        # an Ovid link to a MEDLINE segment carries the PMID as its accession (Zotero keeps it)
        pmid = ovid_link_pmid((*(get("L2") or ()), *(get("UR") or ())))
    if not pmid:
        # the record's own PubMed page among its links (Lens: L2 'https://pubmed.ncbi.nlm.nih.gov/N/')
        pmid = pubmed_link_pmid(get("L2"), get("UR"), get("L1"), get("LK"))
    if not pmid and (c2 := first(get("C2"))):
        pmid = _scopus_c2_pmid(c2, tags, dialect, source_db)
    if not pmid:
        if source_db in ("PubMed", "Ovid MEDLINE(R)") or source_db.startswith("Ovid MEDLINE"):
            for cand in (an, rid):
                if cand.isdigit():
                    pmid = cand
                    break
        elif dialect == "embase":
            c5 = first(get("C5"))
            pmid = c5 if c5.isdigit() else ""
    pmcid = pmcid_from(u1, get("C2"), n1)

    record_id = an or rid or first(get("U2"))
    if ";" in record_id:  # ProQuest 'AN - 2214991469; 51887'
        record_id = record_id.split(";", 1)[0].strip()
    if not record_id and dialect == "ebsco":
        m = _EBSCO_AN_RE.search(" ".join(get("UR") or ()))
        record_id = m.group(1) if m else ""
    if not record_id and dialect == "scopus":
        m = _EID_RE.search(" ".join(get("UR") or ()))
        record_id = m.group(1) if m else ""

    year = None
    for tag in ("PY", "Y1", "DA"):
        values = get(tag)
        year = parse_year(first(values)) if values else None  # parse_year('') is None
        if year:
            break

    issue = first(get("IS")) or _cp_issue(first(get("CP")))
    if is_nlm_journal_id(issue):
        issue = ""        # Ovid via Zotero: 'eag, 7805975' is the NLM journal id, not an issue
    return (  # in FIELD_NAMES order
        title,
        abstract_of(get("AB") or get("N2")),
        authors,
        year,
        journal,
        abbrev,
        first(get("VL")),
        issue,
        # no start page: the article number (C7, Scopus and WoS RIS), as the CSV readers do
        pages_from(sp, first(get("EP"))) if (sp := first(get("SP"))) else article_number(first(get("C7"))),
        doi,
        pmid,
        pmcid,
        issn,
        isbn,
        split_keywords(get("KW")),
        first(get("LA")),
        publication_types(ty, get("M3")),
        url,
        booktitle,
        fast_clean(first(get("PB"))),
        record_id,
    )


def parse(text: str, filename: str) -> ParseResult:
    """Parse a whole RIS file (big files stream through :mod:`screening.io.ris_stream`)."""
    warnings: list[str] = []
    dialect = detect_dialect(text)
    records = []
    append = records.append
    source_db = _source_db
    fields = _fields
    with gc_paused():
        for line, tags in _scan(text, filename, warnings):
            db = source_db(tags, dialect)
            append(ParsedRecord(fields=fields(tags, dialect, db), line=line, source_db=db))
    expected = _count_ty(text)
    return ParseResult(records=records, expected_count=expected, format="ris", dialect=dialect, warnings=warnings)


def parse_columns(text: str, filename: str) -> ColumnResult:
    """:func:`parse` column-wise, as ingest needs it: one whole file is the one chunk."""
    from screening.io.ris_stream import parse_chunk_columns

    return parse_chunk_columns(text, filename, first_line=1, at_end=True, dialect=detect_dialect(text))


READER = register_reader(Reader(
    name="ris",
    description="RIS tagged text (TY .. ER), all database and reference-manager dialects",
    extensions=("ris", "txt"),
    sniff=sniff,
    parse=parse,
    parse_columns=parse_columns,
))
