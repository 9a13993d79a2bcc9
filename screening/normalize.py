"""Field normalisers shared by readers, dedup and rules.

Each normaliser is idempotent (``f(f(x)) == f(x)``) and never raises on odd input: a value it
cannot make sense of becomes ``""`` (or ``None`` for years), so one bad field never loses a record.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from typing import Iterable
from urllib.parse import unquote

_DOI_RE = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
_DOI_TRAILING = "./,;:)]}>'\""
_TAG_RE = re.compile(r"<[^<>]{0,200}>")
_WS_RE = re.compile(r"\s+")
_YEAR_RE = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|2100)(?!\d)")
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "dos", "das", "ter", "ten", "bin", "al", "el"}
_INITIALS_RE = re.compile(r"^(?P<family>.+?)\s+(?P<initials>(?:[A-Z]\.?\s?){1,4}|(?:[A-Z]\.-?){1,4})$")


def clean_text(value: str | None) -> str:
    """Unescape HTML entities, drop tags, fold whitespace (incl. newlines) to single spaces."""
    if not value:
        return ""
    text = str(value)
    while "&" in text:  # double/triple-escaped exports: unescape to a fixpoint
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    while "<" in text:  # removing '<>' can reveal an outer tag: strip to a fixpoint
        stripped = _TAG_RE.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    # str.split() folds exactly the characters \s matches, and is several times faster.
    return " ".join(text.split())


def normalize_doi(value: str | None) -> str:
    """``'https://doi.org/10.1000/ABC.'`` -> ``'10.1000/abc'``; ``''`` when no DOI is present."""
    if not value:
        return ""
    text = str(value).strip()
    encoded = "%2F" in text or "%2f" in text
    if "%" in text:
        # URL-encoded (Ovid Embase: 'http://dx.doi.org/10.1016/S2215-0366%2815%2900576-3'):
        # the DOI is '...(15)00576-3', and left encoded it would never match its other copies
        text = unquote(text)
    match = _DOI_RE.search(text)
    if not match:
        return ""
    doi = match.group(0)
    if encoded:  # a DOI inside a URL query string ends at the next parameter
        doi = doi.split("&", 1)[0]
    doi = doi.rstrip(_DOI_TRAILING).lower()
    # A DOI must have a suffix after the slash.
    prefix, _, suffix = doi.partition("/")
    return doi if suffix else ""


def normalize_title(value: str | None) -> str:
    """Matching key: accents stripped, lower case, punctuation to spaces, whitespace folded."""
    if not value:
        return ""
    text = clean_text(value)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower()
    text = re.sub(r"[^\w\s]|_", " ", text)
    return _WS_RE.sub(" ", text).strip()


def normalize_author(value: str | None) -> str:
    """One author name as ``'Family, Given'``.

    Handles ``'Smith, John'``, MEDLINE ``'Smith JA'``, ``'Smith J.A.'``, ``'John A. Smith'``,
    ``'Jan van der Berg'``. Given names are kept as written (initials are not expanded).
    """
    if not value:
        return ""
    name = _WS_RE.sub(" ", clean_text(value).replace("<", " ").replace(">", " ")).strip(" ,;")
    if not name or name.lower().rstrip(".") in {"et al", "anon", "anonymous"}:
        return ""
    if "," in name:
        family, _, given = name.partition(",")
        family, given = family.strip(" ,;"), given.strip(" ,;")
        if not family:
            return given
        return f"{family}, {given}" if given else family
    match = _INITIALS_RE.match(name)
    if match:
        family = match.group("family").strip(" ,;")
        initials = match.group("initials").replace(" ", "")
        return f"{family}, {initials}"
    parts = name.split(" ")
    if len(parts) == 1:
        return name
    # 'John A. Smith' / 'Jan van der Berg': family name starts at the first particle or last token
    start = len(parts) - 1
    for i in range(1, len(parts) - 1):
        if parts[i].lower() in _PARTICLES:
            start = i
            break
    family = " ".join(parts[start:]).strip(" ,;")
    given = " ".join(parts[:start]).strip(" ,;")
    if not family or not given:
        return family or given
    return f"{family}, {given}"


def split_authors(value: str | None, sep: str | None = None) -> list[str]:
    """Split a joined author string (``' and '``, ``';'``) and normalise each name."""
    if not value:
        return []
    text = str(value)
    if sep is None:
        if " and " in text:
            parts = re.split(r"\s+and\s+", text)
        elif ";" in text:
            parts = text.split(";")
        elif "|" in text:
            parts = text.split("|")
        else:
            parts = [text]
    else:
        parts = text.split(sep)
    return [a for a in (normalize_author(p) for p in parts) if a]


def author_family(value: str) -> str:
    """Family name of a normalised author, lower-cased and accent-free (for matching)."""
    family = value.split(",", 1)[0]
    return normalize_title(family)


def parse_year(value: object) -> int | None:
    """First plausible year (1500-2100) in the value, else ``None``."""
    if value is None:
        return None
    if isinstance(value, int):
        return value if 1500 <= value <= 2100 else None
    if isinstance(value, float):
        if not math.isfinite(value):  # NaN, inf
            return None
        return parse_year(int(value))
    match = _YEAR_RE.search(str(value))
    return int(match.group(1)) if match else None


def normalize_pages(value: str | None) -> str:
    """``'1350‐1356'``, ``'1350--1356'``, ``'1350-56'`` -> ``'1350-1356'``; other text folded."""
    if not value:
        return ""
    text = str(value).strip()
    text = _WS_RE.sub("", text)
    text = re.sub(r"(?:[\u2010-\u2015\u2212]|-)+", "-", text)
    match = re.fullmatch(r"([A-Za-z]*)(\d+)-([A-Za-z]*)(\d+)", text)
    if match:
        p1, start, p2, end = match.groups()
        if len(end) < len(start) and int(end) < int(start[-len(end):]) + 10**len(end):
            expanded = start[: len(start) - len(end)] + end
            if int(expanded) >= int(start):
                end = expanded
        return f"{p1}{start}-{p2 or p1}{end}" if p1 or p2 else f"{start}-{end}"
    return text


def article_number(value: str | None) -> str:
    """An article number without Web of Science's 'unspecified' marker: ``'UNSP 120347'`` ->
    ``'120347'`` (WoS plain-text and tab-delimited exports carry it; RIS ``C7`` goes through
    here too)."""
    text = str(value or "").strip()
    return text[4:].strip() if text[:4].upper() == "UNSP" else text


_OVID_MEDLINE_AN = re.compile(r"[?&]D=med\w*&(?:[^#]*&)?AN=(\d{1,9})\b")
# the NLM journal id with Ovid's segment code on either side: 'eag, 7805975', '0401664, du5',
# '6dr, 2985151r', 'uj0, 0330500' (no real issue number has seven digits)
_NLM_JOURNAL_ID = re.compile(r"^(?:[a-z0-9]{2,5},\s*)?\d{7,10}[a-z]?(?:,\s*[a-z0-9]{2,5})?$", re.I)


def ovid_link_pmid(links: Iterable[str]) -> str:
    """The PMID in an Ovid link to a MEDLINE segment (``...D=medl&AN=12345678``), else ''.
    Records that went through Zotero or a spreadsheet keep only this link."""
    for link in links:
        if "D=med" in link and (m := _OVID_MEDLINE_AN.search(link)):
            return m.group(1)
    return ""


def is_nlm_journal_id(value: str) -> bool:
    """True for an NLM journal id that Ovid (via Zotero) put where the issue goes."""
    return bool(value) and bool(_NLM_JOURNAL_ID.match(value.strip()))


def normalize_issn(value: str | None) -> str:
    """ISSNs found in the value as ``'1234-5678'``, '; '-joined, in order, without repeats."""
    if not value:
        return ""
    found = re.findall(r"\b(\d{4})-?(\d{3}[\dXx])\b", str(value))
    seen: list[str] = []
    for a, b in found:
        issn = f"{a}-{b.upper()}"
        if issn not in seen:
            seen.append(issn)
    return "; ".join(seen)


# Rights statements publishers append to abstracts: Scopus/WoS '© 2022 Elsevier Ltd',
# '(C) 2020 Elsevier B.V. All rights reserved.', 'Copyright © 2021 The Authors. Published by
# ...', PsycInfo '(PsycInfo Database Record (c) 2020 APA, all rights reserved)', EBSCO
# '[Copyright &y& Elsevier]'. Not part of the abstract: they only add the same tokens to
# thousands of records (and the ranker's vocabulary). A year is required after ©/(c), so
# '(c)' as a label in the text is never taken for one; only the abstract's tail is cut.
_TRAILING_RIGHTS = re.compile(
    r"(?:\[Copyright\s*&y&[^\]]{0,200}\]"
    r"|\((?:APA\s+)?Psyc\w*\s+Database\s+Record\s*\(c\)[^()]{0,120}\)\.?"
    r"|(?:Copyright\s*)?(?:©|\(c\)|Copyright)\s*(?:©|\(c\)|Copyright)?\s*(?:19|20)\d\d\b.{0,200}"
    r")\s*$", re.I | re.S)
_STRONG_RIGHTS = re.compile(r"\s*(?:©|\[Copyright|\((?:APA\s+)?Psyc|Copyright\s*(?:©|\(c\))|\(c\)\s*Copyright)",
                            re.I)
# words only a publisher's notice has (WoS appends '(C) 2018 The Academy of Dental Materials.
# Published by Elsevier Inc. All rights reserved.' without a full stop before it)
_PUBLISHER_WORDS = re.compile(r"all rights reserved|published by|elsevier|springer|wiley|taylor & francis|"
                              r"informa uk|\bltd\b|\binc\.|\bllc\b|\bb\.v\.|the authors?\b|author\(s\)", re.I)
_YEAR_SLASH = re.compile(r"(?:\(c\)|Copyright)\s*(?:19|20)\d\d\s*/", re.I)


def _opens_sentence(text: str, at: int) -> bool:
    before = text[:at].rstrip()
    return not before or before[-1] in ".!?)]"
_RIGHTS_START = re.compile(r"\[Copyright|\((?:APA\s+)?Psyc|Copyright|©|\(c\)", re.I)


def strip_rights_statements(abstracts: list[str]) -> list[str]:
    """:func:`strip_rights_statement` over an abstract column (empty values kept as they are)."""
    return [strip_rights_statement(v) if v else v for v in abstracts]


def strip_rights_statement(abstract: str) -> str:
    """The abstract without a publisher's trailing rights statement (see above).

    Cheap on the ~80 % of abstracts without one (substring tests on the tail); otherwise the
    statement pattern is tried only where a marker (©, (c), Copyright...) starts, not at every
    position of the tail."""
    start = max(0, len(abstract) - 260)
    tail = abstract[start:]
    if not ("©" in tail or "(c" in tail or "(C" in tail or "opyright" in tail or "OPYRIGHT" in tail):
        return abstract
    for marker in _RIGHTS_START.finditer(abstract, start):
        at = marker.start()
        cut = _TRAILING_RIGHTS.match(abstract, at)
        if cut is None:
            continue
        text = cut.group(0)
        # a bare '(c) 2010' or 'Copyright 2019/790' can be text ('waves (a) 1998, (b) 2004 and
        # (c) 2010'; 'the EU directive on Copyright 2019/790'): without © it must open a
        # sentence of its own and its year must not be a number's first part
        if not (_STRONG_RIGHTS.match(text) or _PUBLISHER_WORDS.search(text)
                or (_opens_sentence(abstract, at) and not _YEAR_SLASH.match(text))):
            continue
        # never empty an abstract that is only a statement
        return abstract[:at].rstrip() if abstract[:at].strip() else abstract
    return abstract
