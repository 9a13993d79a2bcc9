"""Helpers shared by the line-tagged readers (RIS, MEDLINE, WoS, Ovid, Cochrane, ProQuest).

These formats all boil down to "tag, value, maybe continuation lines", and they all carry the
same dirt: authors written every possible way, keywords glued with ``;``, DOIs hidden in URLs,
PubMed ids in free-text fields. Keeping those repairs here means each reader only says which
tag holds what, and every reader repairs them the same way.
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from functools import lru_cache
from typing import Callable, Iterable, Iterator

from screening.errors import InputError
# the author-value repairs live in author_lists; the readers import them from here
from screening.io.author_lists import authors_from, fast_author  # noqa: F401  (re-exported)
from screening.normalize import clean_text, normalize_doi, normalize_issn, normalize_pages
from screening.text_clean import _TAG_RE

_PMID_MARK = re.compile(r"(?:\b(\d{1,9})\s*\[PMID\])|(?:\bPUBMED\s+(\d{1,9})\b)|(?:\bPMID:?\s*(\d{1,9})\b)", re.I)
_PMCID_RE = re.compile(r"\bPMC\d{3,9}\b")
# notes that cite *another* record's PMID (Ovid/PubMed 'Comment on: J Psychopharmacol. 2016
# Dec;30(12):1165-80; PMID: 27909164', 'Erratum in: ...'): a PMID with such a phrase shortly
# *before* it is the other record's. Only before: EBSCO writes 'Accession Number: X. PMID:
# 30001761 Release Date: ... Correction Date: ...' about the record itself.
_RELATED_NOTE = re.compile(r"\b(?:comments? (?:on|in)|erratum (?:in|for)|errata|retract\w* (?:of|in)|"
                           r"update (?:of|in)|updated by|republished (?:from|in)|reprint (?:of|in)|"
                           r"summary for patients in|original report in|expression of concern (?:in|for)|"
                           r"cites?:|cited by)", re.I)
_COPYRIGHT_BOILERPLATE = re.compile(r"^\s*(?:Copyright of .{0,300}(?:property of|may not be copied))", re.I | re.S)
_ENTITY_START = re.compile(r"&[#A-Za-z]")
_SPACE_RUN = re.compile(r"  +")


def fast_clean(value: str) -> str:
    """:func:`screening.normalize.clean_text`, without its regexes when there is no markup.

    ``str.split()`` folds the same Unicode whitespace as ``\\s+``, so the result is identical;
    text with entities or HTML tags goes through clean_text itself. Ingest calls
    this ~20 times per record, which made the regex version the top cost of large imports.
    """
    if not value:
        return ""
    if "&" in value and _ENTITY_START.search(value):
        return clean_text(value)
    if "<" in value and ">" in value and ("<!" in value or _TAG_RE.search(value)):
        # Only a real tag makes clean_text differ from the fold below ('p < 0.05 and > 2' is
        # left as it is by clean_text's tag pass); a comment or CDATA section ('<!') may hold
        # more than the tag pre-filter's 200 characters, and clean_text removes it whole.
        return clean_text(value)
    # A line break (a continuation line's, joined by the scanner) and runs of spaces are the
    # usual dirt: when they are the only whitespace, replacing and collapsing them is the fold
    # at memchr speed (split/join made ~300 strings per abstract; a quarter of abstracts need it)
    folded = value.replace("\n", " ") if "\n" in value else value
    if folded.isascii():
        # The ASCII whitespace characters other than the space (and the LF, replaced); str.find
        # is a memchr per character here, several times faster than str.isprintable on long abstracts.
        plain = not ("\t" in folded or "\r" in folded or "\x0b" in folded or "\x0c" in folded
                     or "\x1c" in folded or "\x1d" in folded or "\x1e" in folded or "\x1f" in folded)
    else:
        # the ASCII space is the only whitespace character str.isprintable() accepts (every
        # other one is in Unicode's Cc/Zs/Zl/Zp), so no tab, NBSP, thin space...
        plain = folded.isprintable()
    if not plain:
        return " ".join(value.split())
    if "  " in folded:
        folded = _SPACE_RUN.sub(" ", folded)
    if folded and (folded[0] == " " or folded[-1] == " "):
        folded = folded.strip(" ")
    return folded


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a reader builds millions of small objects.

    Parsing allocates strings, lists and dicts that never form cycles; CPython would still
    run full collections over them every few thousand allocations (~25% of RIS parse time on
    a 100k-record export). Reference counting frees everything as usual; the previous
    collector state is restored on exit.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_last_record(text: str, filename: str, line: int, tags: dict[str, list[str]],
                      closing: tuple[str, ...], warnings: list[str]) -> None:
    """Truncation check for formats without an end-of-record marker (MEDLINE, Ovid, Cochrane).

    Every real export ends with a line break and every record ends with the same field(s)
    (``closing``: MEDLINE ``SO``, Cochrane ``US``...). A file whose last line has no line break
    *and* whose last record lacks its closing field was cut off mid-record: refuse it. Only one
    of the two signs is reported as a warning (some real exports lose a field or a newline).
    """
    cut_line = not text.endswith("\n")
    has_closing = any(tag in tags for tag in closing)
    if cut_line and not has_closing:
        raise InputError(
            "the last record is cut off (no line break at the end of the file and no "
            f"{'/'.join(closing)} field)", path=filename, line=line,
            hint="the export looks truncated; re-export",
        )
    if cut_line or not has_closing:
        warnings.append(f"{filename}:{line}: the last record may be incomplete "
                        f"({'no line break at the end of the file' if cut_line else 'no ' + '/'.join(closing) + ' field'})")


def first(values: list[str] | None) -> str:
    """First non-empty stripped value of a tag (tags repeat; the first is the canonical one)."""
    if not values:
        return ""
    for v in values:
        v = v.strip()
        if v:
            return v
    return ""


def pick(tags: dict[str, list[str]], *names: str) -> str:
    """Value of the first tag in ``names`` that the record has (priority order)."""
    for name in names:
        v = first(tags.get(name))
        if v:
            return v
    return ""


def text_of(values: list[str] | None) -> str:
    """All values of a tag joined and cleaned (multi-line titles/abstracts)."""
    if not values:
        return ""
    return fast_clean(values[0] if len(values) == 1 else " ".join(values))


def abstract_of(values: list[str] | None) -> str:
    """Abstract from one or more values, dropping EBSCO's 'Copyright of X is the property of...'
    boilerplate line (it is not part of the abstract and would pollute screening text)."""
    if not values:
        return ""
    if len(values) == 1:
        v = values[0]
        return "" if _COPYRIGHT_BOILERPLATE.match(v) else fast_clean(v)
    kept = [v for v in values if v.strip() and not _COPYRIGHT_BOILERPLATE.match(v)]
    return fast_clean(" ".join(kept))


_ISSN_SHAPE = re.compile(r"\d{4}-\d{3}[\dX]")
_ISBN_SHAPE = re.compile(r"(?:97[89])?\d{9}[\dXx]")


def issn_isbn(values: list[str] | None) -> tuple[str, str]:
    """RIS ``SN`` holds ISSNs for serials and ISBNs for books: split them apart.

    Returns ``(issn, isbn)``: ISSNs '; '-joined as :func:`normalize_issn` gives them, and the
    first ISBN (digits only). The plain '1234-5678' case skips the regex normaliser.
    """
    if not values:
        return "", ""
    if len(values) == 1 and _ISSN_SHAPE.fullmatch(values[0]):
        return values[0], ""
    return _issn_isbn(tuple(values))


@lru_cache(maxsize=4096)
def _issn_isbn(values: tuple[str, ...]) -> tuple[str, str]:
    """:func:`issn_isbn` past its fast path, cached: a journal's records repeat its SN values
    ('0269-8811', '1461-7285'; over half of the shared exports' SN values are repeats)."""
    isbn = ""
    for v in values:
        digits = v.replace("-", "").replace(" ", "")
        if len(digits) in (10, 13) and _ISBN_SHAPE.fullmatch(digits):
            isbn = digits
            break
    return normalize_issn(" ".join(values)), isbn


def split_keywords(values: Iterable[str] | None) -> list[str]:
    """Keyword values, each possibly a ``;``-joined list, as one flat list without repeats."""
    if type(values) is list and values:
        # Fast path, the usual case: every value is already one clean keyword (stripped,
        # non-empty, no ';', line break, tab or double space), so the result is the values
        # without repeats, first occurrences kept, which dict.fromkeys gives in C.
        joined = "\n".join(values)
        if (";" not in joined and "\t" not in joined and "  " not in joined
                and joined.count("\n") == len(values) - 1 and "" not in values
                and list(map(str.strip, values)) == values):
            return list(dict.fromkeys(values))
    out: list[str] = []
    seen: set[str] = set()
    for value in values or ():
        if ";" not in value and "\n" not in value:
            kw = value.strip()
            if "  " in kw or "\t" in kw:
                kw = " ".join(kw.split())
            if kw and kw not in seen:
                seen.add(kw)
                out.append(kw)
            continue
        for part in value.replace("\n", ";").split(";"):
            kw = " ".join(part.split())
            if kw and kw not in seen:
                seen.add(kw)
                out.append(kw)
    return out


# DOIs of database records, not of the article: Cochrane CENTRAL's record DOI sits in every
# CENTRAL URL and would hide the article's real DOI from dedup.
_RECORD_DOI_PREFIXES = ("10.1002/central/",)


# DOIs of other works that links and type fields can carry: PsycTESTS instruments
# (10.1037/t38733-000), which PsycInfo cites for every test a study used
_OTHER_WORK_DOI = re.compile(r"10\.1037/t\d")


def _article_doi(value: str) -> str:
    """The DOI in one value, '' when none or a database record's."""
    doi = normalize_doi(value)
    return "" if doi.startswith(_RECORD_DOI_PREFIXES) else doi


def doi_from(*candidates: Iterable[str] | None) -> str:
    """First article DOI found in the candidate value lists, in order (DO before URLs)."""
    for values in candidates:
        for v in values or ():
            # no DOI without '10.': skips the normaliser's regex on long notes
            if "10." in v and (doi := _article_doi(v)):
                return doi
    return ""


def linked_doi(*candidates: Iterable[str] | None) -> str:
    """:func:`doi_from` for fields that are not the record's DOI field (links, M3): a PsycTESTS
    instrument DOI there names a test the study used, never the article."""
    for values in candidates:
        for v in values or ():
            if "10." in v and (doi := _article_doi(v)) and not _OTHER_WORK_DOI.match(doi):
                return doi
    return ""


# Zotero writes the EndNote fields it has no place for into a note, one 'name: value' per
# line ('electronic-resource-num: 10.1111/nph.18436<br/>isbn: 0028646x'); that one is the
# record's DOI field
_NOTE_DOI_FIELD = re.compile(r"(?:^|>|\n)\s*electronic-resource-num:\s*(10\.[^\s<]+)")


def note_doi(notes: Iterable[str] | None) -> str:
    """The DOI a note gives as the record's own (Zotero's 'electronic-resource-num:' line).

    Any other DOI in a note is left alone: notes cite other works (PsycInfo's 'Tests &
    Measures: ... DOI: 10.1037/t38733-000'); of the shared exports' records whose only DOI was
    in a note, those lines were the only ones that named the record's own."""
    for v in notes or ():
        if "electronic-resource-num" in v and (m := _NOTE_DOI_FIELD.search(v)):
            doi = normalize_doi(m.group(1))
            if doi:
                return doi
    return ""


def pmid_from(*candidates: Iterable[str] | None) -> str:
    """PubMed id from free-text cross-reference values ('35957633 [PMID]', 'PUBMED 34176716',
    'PMID: 33343428'), first match in the candidate lists' order; a note citing a related
    record ('Comment on: ...; PMID: 27909164') is skipped."""
    for values in candidates:
        for v in values or ():
            if "MID" in v or "mid" in v or "UBMED" in v or "ubmed" in v or "ubMed" in v:
                for m in _PMID_MARK.finditer(v):
                    if not _RELATED_NOTE.search(v, max(0, m.start() - 250), m.start()):
                        return next(g for g in m.groups() if g)
    return ""


# the record's own page at PubMed (Lens links every record it has from PubMed:
# 'https://pubmed.ncbi.nlm.nih.gov/32424665/', 'https://www.ncbi.nlm.nih.gov/pubmed/32424665')
_PUBMED_LINK = re.compile(r"^https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/?"
                          r"(?:\?(?:[^#\s]*&)?list_uids=)?)(\d{1,9})(?:[/?#]\S*)?$", re.I)


def pubmed_link_pmid(*candidates: Iterable[str] | None) -> str:
    """The PMID in a link to the record's PubMed page, first in the candidates' order; ''.
    Only a whole PubMed URL counts ('.../pubmed-zip/...' or a DOI with 'pubmed' in it do not)."""
    for values in candidates:
        for v in values or ():
            if "ubmed" not in v:
                continue
            for link in v.split():
                if (m := _PUBMED_LINK.match(link)) is not None:
                    return m.group(1)
    return ""


def pmcid_from(*candidates: Iterable[str] | None) -> str:
    """PubMed Central id ('PMC9359172') from free-text values."""
    for values in candidates:
        for v in values or ():
            if "PMC" in v:
                m = _PMCID_RE.search(v)
                if m:
                    return m.group(0)
    return ""


# a Scopus record link ('https://www.scopus.com/inward/record.uri?eid=2-s2.0-85045...&partnerID=40')
_SCOPUS_EID = re.compile(r"eid=(2-s2\.0-\d+)")


def scopus_eid(links: str) -> str:
    """The Scopus record id (EID) in a Scopus record link, else '' (RIS UR, BibTeX url)."""
    m = _SCOPUS_EID.search(links)
    return m.group(1) if m else ""


def pages_from(start: str, end: str) -> str:
    """'SP'/'EP' as one range: ('358', '65') -> '358-365' (normalize_pages expands).

    Placeholders (Ovid's 'No-Specified', Embase's 'no pagination') mean "no pages" and give ''
    (:func:`normalize_pages`).
    Plain digits skip the normaliser's regexes (same result).
    """
    start, end = start.strip(), end.strip()
    if start.isdigit() and start.isascii() and (not end or end == start or (end.isdigit() and end.isascii())):
        if not end or end == start:
            return start
        if len(end) < len(start):
            expanded = start[: len(start) - len(end)] + end
            if int(expanded) >= int(start):
                end = expanded
        return f"{start}-{end}"
    if start and end and end != start and "-" not in start:
        pages = normalize_pages(f"{start}-{end}")
    else:
        pages = normalize_pages(start or end)
    return pages


TagBlocks = list[tuple[int, dict[str, list[str]]]]


def scan_headed_blocks(text: str, is_header: Callable[[str], bool], tag_line: re.Pattern[str], *,
                       joiner: str = " ", indented_continues: bool = False) -> TagBlocks:
    """Split 'header line, then TAG: value lines' exports (Cochrane, Ovid) into tag blocks.

    Returns ``(line of the header, {tag: [values]})`` per record. A line that is not a tag line
    (or, with ``indented_continues``, any indented line) continues the previous value.
    """
    records: TagBlocks = []
    cur: dict[str, list[str]] | None = None
    start = 0
    last: list[str] | None = None
    match = tag_line.match
    for lineno, line in enumerate(text.split("\n"), start=1):
        if is_header(line):
            if cur is not None:
                records.append((start, cur))
            cur, start, last = {}, lineno, None
            continue
        if cur is None or not line.strip():
            continue
        m = None if (indented_continues and line.startswith(" ")) else match(line)
        if m is None:
            if last is not None:
                last[-1] = last[-1] + joiner + line.strip()
            continue
        tag, value = m.group(1), m.group(2).strip()
        last = cur.setdefault(tag, [])
        last.append(value)
    if cur is not None:
        records.append((start, cur))
    return records
