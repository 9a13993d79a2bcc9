"""RIS fields: one record's tags (``{tag: [values]}``, from :mod:`.ris`'s scanner) mapped to
the canonical fields, per dialect.

Which tag holds what differs by exporter: the journal is JF, T2, JO, JA or J2; Scopus puts
the PMID in C2 and Web of Science a conference name in CP; Ovid links name the MEDLINE
segment; EBSCO's DB is a code. The rules, and why, are next to each field below and in
docs/formats-tagged.md. :func:`field_values` runs once per record of a 100k-record file, so it
reads tags with plain dict lookups and the regex-free fast paths of :mod:`.tagged`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from screening.io.base import join_languages, join_notes, original_title
from screening.io.ris_source_db import from_scopus
from screening.io.tagged import (
    abstract_of, authors_from, doi_from, fast_clean, first, issn_isbn, linked_doi, note_doi, pages_from,
    pmcid_from, pmid_from, pubmed_link_pmid, scopus_eid, split_keywords, text_of,
)
from screening.normalize import article_number, is_nlm_journal_id, ovid_link_pmid, parse_year

_EBSCO_AN_RE = re.compile(r"[?&]AN=([^&\s]+)")

_BOOK_TYPES = {"CHAP", "CONF", "CPAPER", "BOOK", "EBOOK", "ECHAP", "EDBOOK"}


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


# Ovid types every Cochrane CENTRAL record TY ELEC (the RIS 'web page'), though nearly all
# are trial reports in journals (JA, VL, IS, SP): read as web pages, a rule against grey
# literature excluded them, and through dedup's joined types their MEDLINE and Embase copies
# too. An ELEC record that cites a journal is a journal article. The RIS template of a web
# page has its own uses for some of those tags (T2 'Series Title', VL 'Access Year', SP
# 'Description'), none for JA/JO/JF: a series title with an access year or a described page
# is no journal citation, and a link in the journal tag (CENTRAL's trial registrations,
# 'JA  - Https://clinicaltrials.gov/show/nct...') is no journal. See docs/formats-tagged.md.
_JOURNAL_TAGS = ("JA", "JO", "JF")
_PAGE_SHAPE = re.compile(r"[A-Za-z]{0,2}\d+[A-Za-z]?(?:\s*[-\u2010-\u2013]\s*[A-Za-z]{0,2}\d+[A-Za-z]?)?")
_YEAR_SHAPE = re.compile(r"(?:1[5-9]|20)\d\d")


# words that make an author entry a group ('Global Adaptation Mapping Team', '... Research Network')
_GROUP_AUTHOR = re.compile(r"(?i)\b(team|group|network|consortium|collaborat\w*|committee|investigators|"
                           r"society|association|council|alliance|initiative|working party|task force)\b")

def _names_journal(value: str) -> bool:
    return bool(value) and not value.lower().startswith(("http", "www."))


def elec_cites_journal(tags: dict[str, list[str]]) -> bool:
    """A ``TY ELEC`` record cites a journal (see above): a journal name in JA/JO/JF (tags the
    web-page template never uses: a name there is enough, as for CENTRAL's citations of
    congress abstracts and articles in press), or in T2 with its volume, issue or start page;
    T2 with only a year-shaped VL is a web page's series and access year, and an SP counts only
    with a page's shape ('1218', 'S200', 'e15')."""
    get = tags.get
    if any(_names_journal(first(get(tag))) for tag in _JOURNAL_TAGS):
        return True
    if not _names_journal(first(get("T2"))):
        return False
    start = first(get("SP"))
    if first(get("IS")) or (start and _PAGE_SHAPE.fullmatch(start)):
        return True
    volume = first(get("VL"))
    return bool(volume) and not _YEAR_SHAPE.fullmatch(volume)


_ISSUE_DATE = re.compile(r"((?:1[5-9]|20)\d\d)(?: [A-Z][a-z]{2}(?:[-/][A-Z][a-z]{2})?)?")


@lru_cache(maxsize=4096)
def ris_year(value: str, dialect: str = "") -> int | None:
    """The year of a RIS date, ``YYYY/MM/DD/other info``: the first year in the value, except
    in EBSCO exports whose *other info* is an issue date of a later year (``2007/08//2014
    Sep``: the record's N1 cites 'Source Info: 2014 Sep', the 2014 issue; read as 2007 it also
    hid the record from its copies in other databases). Other info elsewhere ('Epub 2018 Dec
    12', '2019 Annual Meeting', 'Reprint of 1923 edition') says something else: not taken."""
    first_year = parse_year(value)
    if dialect == "ebsco" and first_year is not None:
        parts = value.split("/", 3)
        if len(parts) == 4 and (issue := _ISSUE_DATE.fullmatch(parts[3].strip())) is not None:
            return max(first_year, int(issue.group(1)))
    return first_year


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


# EBSCO writes no LA and, for PsycInfo, no M3: the record's language and document type are
# fields of its N1 note ('... Document Type: Journal Article. Language: EnglishMajor
# Descriptor: ...', PsycInfo, with the next label glued on; '...; Document Type: Article;
# Language: French', Environment Index, which names only a language other than English). A
# language is one capitalised word there, so a glued label ends it.
_EBSCO_NOTE_LANGUAGE = re.compile(r"\bLanguage: ([A-Z][a-z]+(?:-[A-Z][a-z]+)*)(?![a-z])")   # Serbo-Croatian
_EBSCO_NOTE_DOC_TYPE = re.compile(r"\bDocument Type: ([^.;]{1,60}?)\s*(?:[.;]|$)")


def ebsco_note_fields(notes: list[str] | None) -> tuple[str, list[str]]:
    """``(language, [document type])`` an EBSCO record's N1 note gives, else ``('', [])``; the
    document type is then read as an M3 value (see :func:`publication_types`)."""
    for note in notes or ():
        if "Language: " in note or "Document Type: " in note:
            language = m.group(1) if (m := _EBSCO_NOTE_LANGUAGE.search(note)) else ""
            doc_type = m.group(1) if (m := _EBSCO_NOTE_DOC_TYPE.search(note)) else ""
            return language, [doc_type] if doc_type else []
    return "", []


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


# Scopus writes the PubMed id in C2 ('C2  - 39549413'), and EndNote keeps it there for
# Scopus records; elsewhere C2 is the PMCID (PubMed via EndNote) or a free custom field. A
# wrong PMID links unrelated records in dedup, so C2 is a PMID only when the record is
# evidently from Scopus and the value has a PMID's shape: 4-8 digits (PMIDs under 1000 date
# from 1975, while a custom field's small number on a Scopus-linked record would be a false link).
_C2_PMID = re.compile(r"[1-9]\d{3,7}")


def _scopus_c2_pmid(c2: str, tags: dict[str, list[str]], dialect: str, source_db: str) -> str:
    """The PMID in C2 of a Scopus record (see _C2_PMID), else ''."""
    return c2 if _C2_PMID.fullmatch(c2) and from_scopus(tags, dialect, source_db) else ""


# CP is the issue in some RIS writers, but Web of Science puts the conference there ('24th
# Annual Forum of the American-College-of-Veterinary-Internal-Medicine'), Ovid the country:
# CP is taken as the issue only when it has an issue's shape ('3', '12-13', 'S1', 'Suppl 2')
_ISSUE_SHAPE = re.compile(r"(?:(?:Suppl(?:ement)?\.?|Spec(?:ial)?\.?|No\.?)\s*)?[A-Za-z]?\d{1,5}[A-Za-z]?"
                          r"(?:\s*[-/&,]\s*[A-Za-z]?\d{1,5}[A-Za-z]?)?|Suppl(?:ement)?\.?", re.I)


def cp_issue(cp: str) -> str:
    """CP as the issue, when it looks like one (see _ISSUE_SHAPE), else ''."""
    return cp if cp and len(cp) <= 20 and _ISSUE_SHAPE.fullmatch(cp) else ""


FIELD_NAMES: tuple[str, ...] = (
    "title",
    "title_original",
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
    "notes",
    "source_record_id",
)


def notes_of(values: list[str] | None) -> str:
    """The record's ``N1`` notes, one per line, each once: kept as the export carries them
    (a reference manager's notes, EBSCO's source info, our own export's screening notes), so
    a re-ingested export keeps what the team wrote. A note's own line breaks (continuation
    lines) are folded like every other text value's."""
    if not values:
        return ""
    if len(values) == 1:        # the usual case, on ingest's hot path: join_notes of one note
        return fast_clean(values[0])
    return join_notes(map(fast_clean, values))


def record_fields(tags: dict[str, list[str]], dialect: str, source_db: str) -> dict:
    """The canonical fields of one record, by name."""
    return dict(zip(FIELD_NAMES, field_values(tags, dialect, source_db)))


_NON_WORD = re.compile(r"[\W_]+")


def _same_words(a: str, b: str) -> bool:
    """Two fields say the same words (case, punctuation and spacing aside)."""
    return _NON_WORD.sub(" ", a).strip().lower() == _NON_WORD.sub(" ", b).strip().lower()


def field_values(tags: dict[str, list[str]], dialect: str, source_db: str) -> tuple[Any, ...]:
    """The canonical fields of one record, as a tuple in :data:`FIELD_NAMES` order (streaming
    ingest keeps them column-wise, so no dict is built per record; see :func:`_fields`)."""
    get = tags.get
    ty = first(get("TY")).upper()
    if ty == "ELEC" and elec_cites_journal(tags):
        ty = "JOUR"       # Ovid's CENTRAL records: journal articles typed 'web page'
    title = text_of(get("TI") or get("T1") or get("CT"))
    bt = get("BT")
    booktitle = fast_clean(first(bt)) if bt else ""
    t2 = fast_clean(first(get("T2")))
    if t2 and title and abs(len(t2) - len(title)) < 8 and _same_words(t2, title):   # lengths first: cheap
        t2 = ""           # Ovid's CENTRAL records repeat the title in T2; their journal is in JA
    title_original = ""
    if dialect == "ovid" and source_db.startswith("Ovid MEDLINE") and ty not in _BOOK_TYPES:
        # Ovid's MEDLINE records give the journal in JF/JA and the Original Title field in
        # T2: MEDLINE's TT, the title in the article's language beside its bracketed English
        # translation ('T1  - [Trends in Abuse of Biogenic Drugs ...].')
        title_original, t2 = original_title(t2, title), ""
    elif dialect == "screening":
        # our own export writes it in OP, EndNote's 'Original Publication' (where EndNote's
        # PubMed import puts MEDLINE's TT). Only here: other exports' OP holds other things
        # (a journal abbreviation in a real EndNote export), and RIS TT is a *translated*
        # title (EndNote's 'Translated Title': of TI, which is then the original), not one
        title_original = original_title(fast_clean(first(get("OP"))), title)
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
    if journal_from == "JF" and ty in _BOOK_TYPES and not booktitle:
        # Lens writes a chapter's book (a paper's proceedings) in JF, the journal tag: it is
        # the booktitle, as T2 of every other exporter's CHAP/CPAPER (dedup then compares it as
        # the container all the same; `jo:` rules search journals, not books)
        booktitle, journal, journal_from = journal, "", ""
    abbrev = ""
    for tag in ("J2", "JA", "J9", "JI", "JO"):
        values = get(tag)
        if values and tag != journal_from:
            value = fast_clean(first(values))
            if value and value != journal:
                abbrev = value
                break

    au, a1 = get("AU"), get("A1")
    authors = authors_from(au or a1)
    if au and a1:
        # Web of Science writes a group author in A1 beside the people in AU ('Global
        # Adaptation Mapping Team'): kept, or an included study's citation loses its consortium
        # (only a group's name: a person's there may repeat AU in another form, 'Smith J')
        authors += [name.strip() for name in a1 if _GROUP_AUTHOR.search(name) and name.strip() not in authors]
    issn, isbn = issn_isbn(get("SN"))
    isbn = isbn or first(get("BN"))

    # doi_from takes the first DOI in candidate order, so trying DO alone first is the same
    do = get("DO")
    doi = doi_from(do) if do else ""
    if not doi:
        # EBSCO writes the DOI in L3 ("related records" in the RIS spec), last so a link wins
        doi = doi_from(get("DI")) or linked_doi(get("UR"), get("L2"), get("L1"), get("M3"), get("LK"), get("L3"))
    if not doi:
        # a note's DOI is the record's only when the note says so (Zotero's EndNote fields);
        # any other DOI in a note names another work (PsycInfo's 'Tests & Measures')
        doi = note_doi(get("N1"))
    url = ""
    for tag in ("UR", "L2", "L1", "LK"):
        for u in get(tag) or ():
            u = u.strip()
            if u[:4].lower() in ("http", "www."):
                url = u.split()[0].rstrip(",;")     # EndNote puts several links in one field
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
        pmid = ovid_link_pmid(get("L2") or ()) or ovid_link_pmid(get("UR") or ())
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
        record_id = scopus_eid(" ".join(get("UR") or ()))

    year = None
    for tag in ("PY", "Y1", "DA"):
        values = get(tag)
        year = ris_year(first(values), dialect) if values else None  # ris_year('') is None
        if year:
            break

    issue = first(get("IS")) or cp_issue(first(get("CP")))
    if len(issue) >= 7 and is_nlm_journal_id(issue):      # (the id has 7 digits or more)
        issue = ""        # Ovid via Zotero: 'eag, 7805975' is the NLM journal id, not an issue
    language = join_languages(get("LA"))     # every LA: RIS repeats the tag for a second language
    m3 = get("M3")
    if dialect == "ebsco" and n1:
        note_language, note_type = ebsco_note_fields(n1)
        language = language or note_language
        m3 = (m3 or []) + note_type
    return (  # in FIELD_NAMES order
        title,
        title_original,
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
        language,
        publication_types(ty, m3),
        url,
        booktitle,
        fast_clean(first(get("PB"))),
        notes_of(n1),
        record_id,
    )
