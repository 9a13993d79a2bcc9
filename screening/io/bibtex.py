"""BibTeX reader (Scopus, Web of Science, Cochrane Library, Zotero/JabRef and hand-made .bib).

Parsing is delegated to bibtexparser v2 (``bibtexparser.parse_string``), ``@string`` macros and
``#`` concatenation to :mod:`screening.io.bibtex_macros`; this module maps the entries to
canonical fields and deals with what databases actually write:

* Cochrane Library: a non-BibTeX ``Record #N of M`` line before every entry, and author lists
  written ``'Smith, SR, Newton, K, and Hill, J'`` (commas everywhere, ``and`` before the last);
* Scopus: preamble lines (``Scopus`` / ``EXPORT DATE: ...``) and affiliation letters glued to
  initials (``'D'Ambrosio, A.a , Aria, M.a'``);
* Web of Science: keys like ``@article{ ISI:000186671900001,``, double-braced values,
  capitalised field names (``Author``, ``Unique-ID``).

Entries that share a citation key are *different records* (two Cochrane reviews both keyed
``Cheng17``): bibtexparser reports them as failed blocks, and we keep them. Any other failed
block is a real syntax error and raises :class:`InputError` with its line, never a silent drop.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from contextlib import contextmanager
from typing import Any, Iterator

import bibtexparser
from bibtexparser import model
from bibtexparser.middlewares.enclosing import RemoveEnclosingMiddleware

from screening.errors import InputError
from screening.io.author_lists import comma_names
from screening.io.bibtex_macros import evaluate_library
from screening.io.base import ParsedRecord, ParseResult, Reader, join_notes, original_title, register_reader
from screening.io.cochrane import cochrane_database
from screening.io.tagged import scopus_eid
from screening.names import normalize_author, split_authors
from screening.normalize import clean_text, normalize_doi, normalize_issn, normalize_pages, parse_year

# An entry start: '@type{' or '@type(' at the start of a line (the file's own record marker).
_ENTRY_RE = re.compile(r"(?m)^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]")
_NOT_RECORDS = {"string", "comment", "preamble"}
_RECORD_HEADER_RE = re.compile(r"(?m)^Record #\d+ of \d+\s*$")

# --- LaTeX: only the escapes real exports use; a full LaTeX decoder would eat '95%' as a comment.
_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
            "=": "\u0304", ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306",
            "H": "\u030b", "k": "\u0328", "r": "\u030a"}
_ACCENT_RE = re.compile(r"\\([`'^\"~=.])\s*\{?\s*([A-Za-z]|\\[ij])\s*\}?|\\([cvuHkr])(?:\s+|\s*\{)\s*([A-Za-z])\s*\}?")
_SYMBOLS = {r"\&": "&", r"\%": "%", r"\_": "_", r"\$": "$", r"\#": "#", r"\ss": "ß",
            r"\o": "ø", r"\O": "Ø", r"\ae": "æ", r"\AE": "Æ", r"\aa": "å", r"\AA": "Å",
            r"\l": "ł", r"\L": "Ł", "--": "-", "~": " "}


def delatex(value: str) -> str:
    """Undo the LaTeX escapes found in exports (accents, ``\\&``, braces), then clean_text."""
    text = str(value)
    if "\\" in text:
        def accent(m: re.Match) -> str:
            mark, letter = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            letter = {"\\i": "i", "\\j": "j"}.get(letter, letter)
            return unicodedata.normalize("NFC", letter + _ACCENTS[mark])
        text = _ACCENT_RE.sub(accent, text)
        for src, dst in _SYMBOLS.items():
            if src.startswith("\\"):
                text = re.sub(re.escape(src) + r"(?![A-Za-z])", lambda _m, d=dst: d, text)
    text = text.replace("{", "").replace("}", "")
    return clean_text(text)


# --- authors ---------------------------------------------------------------------------------
_GIVEN_RE = re.compile(r"^(?:[A-Z][A-Za-z'\u2010-]*\.?[\s-]?){1,4}$")
_GLUED_RE = re.compile(r"(?<=[A-Z]\.)(?=[A-Z][a-z'\u2019])")
# 'A.a', and several affiliations space-separated: 'J.C.b  e', 'G.a  b  c'
_GLUED_AFFIL_RE = re.compile(r"^((?:[A-Z]\.[\s-]?)+)[a-z]{1,2}(?:\s+[a-z]{1,2})*$")


def _strip_affil_letters(given: str) -> str:
    """Scopus .bib glues affiliation letters to initials: 'A.a' -> 'A.', 'J.C.b  e' -> 'J.C.'
    (only after a dot)."""
    m = _GLUED_AFFIL_RE.match(given.strip())
    return m.group(1).strip() if m else given.strip()


def split_name_list(value: str) -> list[str]:
    """Split an author field written by a database, in any of the real-world layouts.

    * BibTeX ``'Zuna, R E and Wang, S S'`` (each part has at most one comma);
    * Cochrane ``'Smith, SR, Newton, K, and Hill, J'`` and Scopus ``'Iorio, C., Aria, M.'``:
      alternating family/given tokens, which we pair up;
    * ``'Alan Davis , Ann Hickey and Ana Moreno'`` (space-comma-space separated full names);
    * otherwise :func:`screening.normalize.split_authors` (``;`` or ``|``).
    """
    text = clean_text(value)
    if not text:
        return []
    parts = re.split(r"\s+and\s+", text)
    if len(parts) > 1 and all(p.count(",") <= 1 for p in parts):
        return [a for a in (normalize_author(p) for p in parts) if a]
    listed = [comma_names(p) if p.count(",") > 1 else None for p in parts] if len(parts) > 1 else []
    if any(listed):
        # one 'and'-part holds a whole list, as EndNote keeps a pasted author list in one
        # author: '... and Moulin, B and Servais, A, Provot F, Rostaing L, ..., Loirat C.';
        # the other parts are names whose commas are their own ('Savell, V. H., Jr.')
        return [a for p, names in zip(parts, listed) for a in (normalize_author(n) for n in names or [p]) if a]
    if ";" in text or "|" in text:
        return split_authors(text.replace(" and ", "; "))
    if "," not in text and len(parts) == 1 and _GLUED_RE.search(text):
        # ASySD / EndNote CSV glue names together: 'Tan A.Schulze A.O'Donnell C. P.'
        return [a for a in (normalize_author(p) for p in _GLUED_RE.split(text)) if a]
    if " , " in text and "," not in text.replace(" , ", ""):
        names = re.split(r"\s+,\s+|\s+and\s+", text)
        return [a for a in (normalize_author(n) for n in names) if a]
    flat = re.sub(r",?\s+and\s+", ", ", text)
    tokens = [t.strip() for t in flat.split(",") if t.strip()]
    if len(tokens) >= 2 and len(tokens) % 2 == 0:
        givens = [_strip_affil_letters(t) for t in tokens[1::2]]
        if all(_GIVEN_RE.match(g) for g in givens):
            return [a for a in (normalize_author(f"{fam}, {giv}") for fam, giv in zip(tokens[0::2], givens)) if a]
    if len(parts) > 1:
        return [a for a in (normalize_author(p) for p in parts) if a]
    return [a for a in (normalize_author(_strip_affil_letters(t)) for t in tokens) if a] if len(tokens) > 2 else split_authors(text)


# --- field mapping ---------------------------------------------------------------------------
# lower-cased BibTeX field -> canonical column; first listed wins for text columns.
_FIELD_MAP: dict[str, str] = {
    "title": "title", "abstract": "abstract", "year": "year", "journal": "journal",
    "journaltitle": "journal", "journal-iso": "journal_abbrev", "abbrev_source_title": "journal_abbrev",
    "shortjournal": "journal_abbrev", "volume": "volume", "number": "issue", "issue": "issue",
    "pages": "pages", "doi": "doi", "pmid": "pmid", "pubmed-id": "pmid", "pubmed_id": "pmid", "pmcid": "pmcid",
    "issn": "issn", "eissn": "issn", "isbn": "isbn", "language": "language", "url": "url",
    "booktitle": "booktitle", "publisher": "publisher", "unique-id": "source_record_id",
    "type": "publication_type", "document_type": "publication_type",
    # biblatex's title of the original work, for an entry that is a translation
    "origtitle": "title_original",
}
_KEYWORD_FIELDS = ("keywords", "author_keywords", "author-keywords", "keywords-plus", "mesh")
# BibTeX's free-text fields: 'note' (Scopus 'cited By 3; Conference of ...', WoS the conference
# a paper was given at) and 'annote'/'annotation' (a reference manager's notes: Zotero writes
# one 'annote' per note, repeating the field), as RIS N1 is read: every value, one per line
_NOTE_FIELDS = frozenset({"note", "annote", "annotation"})


def _fields_of(entry: model.Entry) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in entry.fields:
        key = f.key.lower().strip()
        if key not in out:
            out[key] = str(f.value)
    return out


def _notes_of(entry: model.Entry) -> str:
    """Every note field's value (repeated fields too), cleaned, one per line, each once."""
    return join_notes(delatex(str(f.value)) for f in entry.fields if f.key.lower().strip() in _NOTE_FIELDS)


def _split_keywords(value: str) -> list[str]:
    text = delatex(value)
    sep = ";" if ";" in text else ","
    return [k.strip() for k in text.split(sep) if k.strip()]


def entry_to_fields(entry: model.Entry) -> tuple[dict[str, Any], str]:
    """Canonical fields of one entry, and the database it names (``source={Scopus}``)."""
    raw = _fields_of(entry)
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        target = _FIELD_MAP.get(key)
        if target and not fields.get(target):
            fields[target] = delatex(value)
    if "author" in raw:
        fields["authors"] = split_name_list(delatex(raw["author"]))
    keywords: list[str] = []
    for key in _KEYWORD_FIELDS:
        if raw.get(key):
            keywords += [k for k in _split_keywords(raw[key]) if k not in keywords]
    if keywords:
        fields["keywords"] = keywords
    fields["notes"] = _notes_of(entry)
    if fields.get("title_original"):
        fields["title_original"] = original_title(fields["title_original"], fields.get("title", ""))
    fields["year"] = parse_year(fields.get("year"))
    fields["doi"] = normalize_doi(fields.get("doi")) or normalize_doi(raw.get("url", "") if "doi.org" in raw.get("url", "") else "")
    # print and electronic ISSN both (WoS writes ISSN and EISSN): dedup matches journals on either
    issns = [delatex(raw[k]) for k in ("issn", "eissn") if raw.get(k, "").strip()]
    if issns:
        fields["issn"] = normalize_issn("; ".join(issns)) or "; ".join(issns)
    if fields.get("pages"):
        fields["pages"] = normalize_pages(fields["pages"])
    ptype = fields.pop("publication_type", "")
    fields["publication_type"] = [ptype or entry.entry_type.lower()]
    eid = "" if fields.get("source_record_id") else scopus_eid(raw.get("url", ""))
    if eid:
        fields["source_record_id"] = eid
    if not fields.get("source_record_id") and entry.key.strip().upper().startswith(("ISI:", "WOS:")):
        fields["source_record_id"] = entry.key.strip()
    source_db = delatex(raw.get("source", ""))
    if source_db.lower() not in {"scopus", "embase", "medline", "pubmed", "web of science"}:
        source_db = ""
    return fields, source_db


def _dialect(text: str, entries: list[model.Entry]) -> str:
    if _RECORD_HEADER_RE.search(text[:2000]):
        return "cochrane"
    head = [e.key.strip().upper() for e in entries[:5]]
    if any(k.startswith(("ISI:", "WOS:")) for k in head) or any(
            "unique-id" in _fields_of(e) for e in entries[:3]):
        return "wos"
    if text.lstrip().startswith("Scopus") or any(_fields_of(e).get("source", "").strip("{} ") == "Scopus"
                                                  for e in entries[:3]):
        return "scopus"
    return "bibtex"


def expected_entries(text: str) -> int:
    """Number of '@type{' entries in the file, excluding @string/@comment/@preamble."""
    return sum(1 for m in _ENTRY_RE.finditer(text) if m.group(1).lower() not in _NOT_RECORDS)


def sniff(text: str) -> float:
    found = [m.group(1).lower() for m in _ENTRY_RE.finditer(text[:20000])]
    records = [t for t in found if t not in _NOT_RECORDS]
    if not records:
        return 0.0
    # '@article{key,' followed by 'field = ' lines is unmistakable.
    if re.search(r"(?m)^\s*[A-Za-z][\w-]*\s*=\s*[{\"\d]", text[:20000]):
        return 0.95
    return 0.6


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _quiet_bibtexparser() -> Iterator[list[str]]:
    """bibtexparser logs syntax errors to stderr; readers never print, so capture them (their
    text becomes part of our error message instead)."""
    logger = logging.getLogger("bibtexparser")
    handler, propagate = _Capture(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _reason(block: model.ParsingFailedBlock, messages: list[str]) -> str:
    for message in messages:
        if f"(line {block.start_line})" in message and ":" in message:
            return " ".join(message.rsplit(":", 1)[1].split()).rstrip(".")
    return str(block.error) or type(block.error).__name__


def parse(text: str, filename: str) -> ParseResult:
    with _quiet_bibtexparser() as messages:
        # bibtexparser's default stack minus its string resolution, which replaces a value that
        # is one macro name but leaves 'pre # " smoke on " # "lungs"' as written: @string macros
        # and '#' concatenation are evaluated by evaluate_library instead
        library = bibtexparser.parse_string(text, parse_stack=[RemoveEnclosingMiddleware(True)])
    entries: list[tuple[int, model.Entry]] = []
    warnings: list[str] = evaluate_library(library.blocks, filename, len(text))
    for block in library.blocks:
        if isinstance(block, model.Entry):
            entries.append((block.start_line, block))
        elif isinstance(block, (model.DuplicateBlockKeyBlock, model.DuplicateFieldKeyBlock)):
            inner = block.ignore_error_block
            if isinstance(inner, model.Entry):
                entries.append((block.start_line if block.start_line is not None else inner.start_line, inner))
                # a repeated note field is how Zotero writes several notes: all are read
                if isinstance(block, model.DuplicateFieldKeyBlock) and \
                        {k.lower().strip() for k in block.duplicate_keys} - _NOTE_FIELDS:
                    warnings.append(f"{filename}:{(block.start_line or 0) + 1}: entry {inner.key!r} repeats a "
                                    "field; the first value was used")
        elif isinstance(block, model.ParsingFailedBlock):
            line = (block.start_line or 0) + 1
            raise InputError(
                f"BibTeX syntax error in the entry starting here: {_reason(block, messages)}",
                path=filename, line=line,
                hint="the entry is malformed or the file is truncated (unbalanced braces or quotes); "
                     "fix that entry or re-export the file",
            )
    dialect = _dialect(text, [e for _, e in entries])
    records = []
    for start, entry in entries:
        fields, source_db = entry_to_fields(entry)
        if dialect == "cochrane" and not source_db:
            # the database each record is from, named as the Cochrane plain-text export names it
            source_db = cochrane_database(fields.get("doi", ""), fields.get("url", ""),
                                          journal=fields.get("journal", ""))
        records.append(ParsedRecord(fields=fields, line=(start or 0) + 1, source_db=source_db))
    return ParseResult(records=records, expected_count=expected_entries(text), format="bibtex",
                       dialect=dialect, warnings=warnings)


READER = register_reader(Reader(
    name="bibtex",
    description="BibTeX (.bib): Scopus, Web of Science, Cochrane Library, reference managers",
    extensions=("bib", "bibtex"),
    sniff=sniff,
    parse=parse,
))
