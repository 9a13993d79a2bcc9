"""PubMed MEDLINE / .nbib reader (also PMC's MEDLARS-style export).

Layout: a 4-character tag padded with spaces, ``-``, a space, the value (``PMID- 123``,
``AU  - Smith J``), values wrapped onto lines indented by 6 spaces, records separated by blank
lines. A record usually starts at ``PMID-``, but PMC exports put ``PMC - PMC123`` first, so
the record starts at the first tag line after a blank line (or at a second ``PMID-`` in a
block, for files that lost their blank lines). A block of tag lines without ``PMID-`` is a
record that lost that line (an edited file): read with a warning, never dropped. Another
export's record markers (RIS ``TY  - ``, Web of Science ``PT J``, BibTeX ``@article{``) refuse
the file: two exports joined into one (:mod:`.joined_exports`).

Authors: ``FAU`` (full 'Family, Given') is preferred over ``AU`` ('Family IN'); collective
authors (``CN``) are kept as written.
"""

from __future__ import annotations

import re

from screening.io.base import (
    ParsedRecord, ParseResult, Reader, join_languages, join_notes, original_title, register_reader,
)
from screening.io.joined_exports import FOR_MEDLINE, MEDLINE, refuse_joined
from screening.io.tagged import (
    abstract_of, authors_from, check_last_record, first, pages_from, split_keywords, text_of,
)
from screening.normalize import clean_text, normalize_doi, normalize_issn, parse_year

_TAG_LINE = re.compile(r"([A-Z][A-Z0-9]{1,3}) {0,3}- ?(.*)")
_PMID_MARK = re.compile(r"^PMID- ", re.M)
_SNIFF = re.compile(r"^(?:PMID- |TI  - |FAU - |AU  - |DP  - |AB  - |SO  - )", re.M)


def sniff(text: str) -> float:
    if not _PMID_MARK.search(text):
        return 0.0
    kinds = {m.group(0)[:4] for m in _SNIFF.finditer(text)}
    return 0.95 if len(kinds) >= 3 else 0.6


def _scan(text: str) -> list[tuple[int, dict[str, list[str]]]]:
    records: list[tuple[int, dict[str, list[str]]]] = []
    cur: dict[str, list[str]] | None = None
    start = 0
    last: list[str] | None = None
    match = _TAG_LINE.match
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            if cur is not None:
                records.append((start, cur))
                cur, last = None, None
            continue
        if line.startswith("      ") or line[:1] == "\t":
            if last is not None:
                last[-1] = last[-1] + " " + line.strip()
            continue
        m = match(line)
        if m is None:
            if last is not None:  # unindented wrap: keep the text rather than lose it
                last[-1] = last[-1] + " " + line.strip()
            continue
        tag, value = m.group(1), m.group(2).strip()
        if cur is None or (tag == "PMID" and "PMID" in cur):
            if cur is not None:
                records.append((start, cur))
            cur, start = {}, lineno
        last = cur.setdefault(tag, [])
        last.append(value)
    if cur is not None:
        records.append((start, cur))
    return records


# MEDLINE's notes: NLM's general note, and its links between a record and the comments,
# errata, retractions and updates printed about it. These are what a screener should see
# ('Retraction in: ...'), and what Ovid's RIS export of the same record carries in N1
# ('Comment on: J Psychopharmacol. 2016 ...; PMID: 27909164'), so they are written the same
# way. Not notes: PubMed's processing lines (STAT, PST, OWN, SB and the dates), the copyright
# (CI), grants (GR) and the conflict-of-interest statement (COIS, the article's own text).
# (MEDLINE tag, PubMed XML CommentsCorrections RefType, label): one table for both readers,
# so a record reads the same from .nbib and .xml. The dataset links have no RefType there.
RELATED_NOTES: tuple[tuple[str, str | None, str], ...] = (
    ("CIN", "CommentIn", "Comment in"), ("CON", "CommentOn", "Comment on"),
    ("EIN", "ErratumIn", "Erratum in"), ("EFR", "ErratumFor", "Erratum for"),
    ("CRI", "CorrectedandRepublishedIn", "Corrected and republished in"),
    ("CRF", "CorrectedandRepublishedFrom", "Corrected and republished from"),
    ("ECI", "ExpressionOfConcernIn", "Expression of concern in"),
    ("ECF", "ExpressionOfConcernFor", "Expression of concern for"),
    ("RIN", "RetractionIn", "Retraction in"), ("ROF", "RetractionOf", "Retraction of"),
    ("RRI", "RetractedandRepublishedIn", "Retracted and republished in"),
    ("RRF", "RetractedandRepublishedFrom", "Retracted and republished from"),
    ("PRIN", "PartialRetractionIn", "Partial retraction in"),
    ("PROF", "PartialRetractionOf", "Partial retraction of"),
    ("RPI", "RepublishedIn", "Republished in"), ("RPF", "RepublishedFrom", "Republished from"),
    ("UIN", "UpdateIn", "Update in"), ("UOF", "UpdateOf", "Update of"),
    ("SPIN", "SummaryForPatientsIn", "Summary for patients in"),
    ("ORI", "OriginalReportIn", "Original report in"),
    ("DDIN", None, "Dataset described in"), ("DRIN", None, "Dataset use reported in"),
)
_NOTE_TAGS: dict[str, str] = {"GN": "", **{tag: label for tag, _, label in RELATED_NOTES}}


def _notes(tags: dict[str, list[str]]) -> str:
    """The record's notes (see _NOTE_TAGS), one per line, in the export's tag order."""
    return join_notes(f"{_NOTE_TAGS[tag]}: {v}" if _NOTE_TAGS[tag] else v
                      for tag, values in tags.items() if tag in _NOTE_TAGS for v in map(clean_text, values) if v)


def _fields(tags: dict[str, list[str]]) -> dict:
    get = tags.get
    doi = ""
    for v in (get("LID") or []) + (get("AID") or []):
        if "[doi]" in v:
            doi = normalize_doi(v)
            if doi:
                break
    pmcid = ""
    for v in (get("PMC") or []) + (get("AID") or []):
        m = re.search(r"PMC\d+", v)
        if m:
            pmcid = m.group(0)
            break
    authors = authors_from(get("FAU")) or authors_from(get("AU"))
    authors += [clean_text(c) for c in get("CN") or () if c.strip()]
    year = parse_year(first(get("DP"))) or parse_year(first(get("DEP"))) or parse_year(first(get("DA")))
    isbn = first(get("ISBN"))
    title = text_of(get("TI") or get("BTI"))
    return {
        "title": title,
        # TT: the title in the article's own language, for an article NLM indexes under an
        # English translation ('TI  - [Effects of air pollution ...].'); screeners, rules and
        # exports need the original too (NLM calls it 'Transliterated Title': non-Latin
        # scripts are romanised)
        "title_original": original_title(text_of(get("TT")), title),
        "abstract": abstract_of(get("AB")),
        "authors": authors,
        "year": year,
        "journal": clean_text(first(get("JT"))),
        "journal_abbrev": clean_text(first(get("TA"))),
        "volume": first(get("VI")),
        "issue": first(get("IP")),
        "pages": pages_from(first(get("PG")), ""),
        "doi": doi,
        "pmid": first(get("PMID")),
        "pmcid": pmcid,
        "issn": normalize_issn(" ".join(get("IS") or ())),
        "isbn": isbn,
        "keywords": split_keywords((get("OT") or []) + (get("MH") or [])),
        "language": join_languages(get("LA")),      # every LA: a bilingual article has two
        "publication_type": [p.strip() for p in get("PT") or () if p.strip()],
        "url": "",
        "booktitle": clean_text(first(get("BTI"))) if get("TI") else "",
        "publisher": clean_text(first(get("PB"))),
        "notes": _notes(tags),
        "source_record_id": first(get("PMID")),
    }


# a block of lines between blank lines: a record, when it holds a tag line
_BLOCK = re.compile(r"(?:^|\n)[ \t]*\n")
_TAG_LINE_IN_BLOCK = re.compile(r"^[A-Z][A-Z0-9]{1,3} {0,3}- ?", re.M)


def _count_records(text: str) -> int:
    """Records the file declares: its ``PMID-`` lines, plus each blank-line separated block
    of tag lines without one (a record that lost its PMID line, read with a warning).
    Counted on the raw text, independently of the scanner."""
    if not _PMID_MARK.search(text):
        return 0        # not a MEDLINE file at all (see parse)
    count = 0
    for block in _BLOCK.split(text):
        pmids = len(_PMID_MARK.findall(block))
        count += pmids if pmids else (1 if _TAG_LINE_IN_BLOCK.search(block) else 0)
    return count


def parse(text: str, filename: str) -> ParseResult:
    dialect = "pmc" if re.search(r"^PMC - ", text[:5000], re.M) else "pubmed"
    db = "PubMed Central" if dialect == "pmc" else "PubMed"
    raw = _scan(text)
    if not any("PMID" in tags for _, tags in raw):
        # no record has a PMID: not a MEDLINE file (this reader forced on a RIS file, whose
        # tag lines look alike), so none is read and ingest refuses the file
        raw = []
    else:
        # another export joined to this one (RIS, WoS plain text, BibTeX) would be read as
        # MEDLINE blocks: RIS tag lines look alike, its title glued onto the last PubMed record
        refuse_joined(text, filename, "MEDLINE", FOR_MEDLINE, (MEDLINE,))
    warnings: list[str] = []
    for line, tags in raw:
        if "PMID" not in tags:
            # every PubMed record has one: the line was lost (an edited file); the record
            # is read all the same, never dropped, and named so it can be checked
            warnings.append(f"{filename}:{line}: record has no PMID line; read it without a PMID "
                            "(check it in the export)")
    if raw:
        check_last_record(text, filename, raw[-1][0], raw[-1][1], ("SO",), warnings)
    records = [ParsedRecord(fields=_fields(tags), line=line, source_db=db) for line, tags in raw]
    expected = _count_records(text)
    return ParseResult(records=records, expected_count=expected, format="medline", dialect=dialect,
                       warnings=warnings)


READER = register_reader(Reader(
    name="medline",
    description="PubMed MEDLINE / .nbib tagged text (PMID- ... ), incl. PMC MEDLARS exports",
    extensions=("nbib", "medline", "txt"),
    sniff=sniff,
    parse=parse,
))
