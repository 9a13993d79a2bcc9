"""Field normalisers shared by readers, dedup and rules.

Each normaliser is idempotent (``f(f(x)) == f(x)``) and never raises on odd input: a value it
cannot make sense of becomes ``""`` (or ``None`` for years), so one bad field never loses a record.
"""

from __future__ import annotations

import math
import re
from typing import Iterable
from urllib.parse import unquote

# clean_text and the title key live in screening.text_clean, author names in screening.names
# (built on them), so that neither imports this module back; all are read from here.
from screening.names import author_family, normalize_author, split_authors  # noqa: F401  (re-exported)
from screening.text_clean import clean_text, normalize_title  # noqa: F401  (re-exported)

_DOI_RE = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
_DOI_PLAIN_TRAILING = "./,;:'\""
_DOI_BRACKETS = {")": "(", "]": "[", "}": "{", ">": "<"}
_YEAR_RE = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|2100)(?!\d)")


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, an ellipsis marking the cut (a title cut silently
    reads as the whole title)."""
    text = str(text or "")
    if len(text) <= width:
        return text
    return text[: width - 1].rstrip() + "…" if width > 1 else "…"[:max(width, 0)]


def split_top_level(text: str, sep: str = ",", *, quotes: bool = False) -> list[str]:
    """``text`` split on ``sep`` outside brackets (and, with ``quotes``, outside quoted
    strings): Embase's 'duplication cyst (diagnosis, surgery)' keyword, a model spec's
    'ngram_range=(1, 3), min_df=2'. A bracket left open would glue the rest into one item:
    then a plain split."""
    if not any(c in text for c in "([{") and not (quotes and any(q in text for q in "'\"")):
        return text.split(sep)
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif quotes and ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
    if depth or quote:
        return text.split(sep)
    parts.append(text[start:])
    return parts


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
    doi = _strip_doi_tail(doi).lower()
    # A DOI must have a suffix after the slash.
    prefix, _, suffix = doi.partition("/")
    return doi if suffix else ""


def _strip_doi_tail(doi: str) -> str:
    """Trailing punctuation is the sentence's, except a closing bracket the DOI opened
    ('10.1234/abc(5)' keeps its ')'; '(doi:10.1234/abc)' loses it)."""
    counts: dict[str, int] = {}
    while doi:
        doi = doi.rstrip(_DOI_PLAIN_TRAILING)
        last = doi[-1:]
        pair = _DOI_BRACKETS.get(last)
        if pair is None:
            return doi
        if last not in counts:      # counted once: a long run of ')' stays linear
            counts[last], counts[pair] = doi.count(last), doi.count(pair)
        if counts[pair] >= counts[last]:
            return doi
        doi = doi[:-1]
        counts[last] -= 1
    return doi


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


# MEDLINE appends the pages of a piece printed with the article ('222; author reply 222',
# '395-9; discussion 399-400', '119-27; quiz 128'): not the article's own pages, and the other
# databases give only the first range, so keeping them would only hide a duplicate
_COMPANION_PAGES = re.compile(r"\s*[;:,]\s*-?\s*(?:author\s*reply|reply|discussion|disscussion|quiz)\b.*$",
                              re.I | re.S)
_PAGE_DASHES = re.compile(r"\s*(?:[\u2010-\u2015\u2212-]\s*)+")
# whitespace next to a sign goes ('91 - 92', '436, 521-524'); between two words or numbers it
# stays, so 'Article 171' does not become 'Article171'
_SPACE_AT_SIGN = re.compile(r"\s+(?=[^\w\s])|(?<=[^\w\s])\s+")
# an article number written out (Embase 'Article 171', BIOSIS 'Article No.: 16'): the number
# alone, as Scopus ('Art. No.') and WoS ('AR') give it, so the copies compare equal
_ARTICLE_NO = re.compile(r"Art(?:icle|\.)?(?![A-Za-z])\s*(?:No\.?|Number)?\s*:?\s*([A-Za-z]{0,2}\d[\w.-]*)", re.I)
_PAGE_RANGE = re.compile(r"([A-Za-z]{0,5})(\d+)-([A-Za-z]{0,5})(\d+)")     # 'S12-S15', 'suppl13-8'; not words


# What databases write for "no pages": Ovid's 'No-Specified', Embase's 'no pagination', EBSCO's
# 'N.PAG' (non paginé), spreadsheet 'NA' / 'N/A' (compared lower-cased, brackets and dots stripped)
_NO_PAGES = frozenset({"no-specified", "nopagination", "no pagination", "n/a", "na", "-", "unknown", "n.pag",
                       "n. pag", "npag", "n.p", "np", "none", "null", "nan"})


def normalize_pages(value: str | None) -> str:
    """``'1350‐1356'``, ``'1350--1356'``, ``'1350-56'`` -> ``'1350-1356'``; ``'222; author reply
    222'`` -> ``'222'``; ``'Article 171'`` -> ``'171'``; a placeholder (``'N.PAG'``, ``'NA'``,
    ``'No-Specified'``) -> ``''``; other text kept readable."""
    if not value:
        return ""
    text = _PAGE_DASHES.sub("-", str(value).strip())
    text = _COMPANION_PAGES.sub("", text)
    text = " ".join(_SPACE_AT_SIGN.sub("", text).split())
    if (article := _ARTICLE_NO.fullmatch(text)) is not None:
        text = article.group(1)
    # a range with a space after its letters ('S 274-5', 'suppl 13-8') is still a range
    match = _PAGE_RANGE.fullmatch(text) or (_PAGE_RANGE.fullmatch(text.replace(" ", "")) if " " in text else None)
    if match:
        p1, start, p2, end = match.groups()
        # '358-65' is 358-365; '415-U53' (WoS: U53 is an unnumbered page) is no short form
        if (not p2 or p2 == p1) and len(end) < len(start) and int(end) < int(start[-len(end):]) + 10**len(end):
            expanded = start[: len(start) - len(end)] + end
            if int(expanded) >= int(start):
                end = expanded
        return f"{p1}{start}-{p2 or p1}{end}" if p1 or p2 else f"{start}-{end}"
    return "" if text.lower().strip("().[] ") in _NO_PAGES else text


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


_ISSN_RE = re.compile(r"\b(\d{4})-?(\d{3}[\dXx])\b")


def normalize_issn(value: str | None) -> str:
    """ISSNs found in the value as ``'1234-5678'``, '; '-joined, in order, without repeats."""
    if not value:
        return ""
    found = _ISSN_RE.findall(str(value))
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
# thousands of records (and the ranker's vocabulary). A year is required right after (c), so
# '(c)' as a label in the text is never taken for one (notices with the holder before the
# year follow ©: _HOLDER_RIGHTS); only the abstract's tail is cut.
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


# EBSCO ends the abstracts it did not write with where they came from ('... [ABSTRACT FROM
# AUTHOR]', '[ABSTRACT FROM PUBLISHER]'): a source note, not abstract text
_EBSCO_SOURCE_NOTE = re.compile(r"\s*\[ABSTRACT FROM [A-Z ]{1,30}\]\s*$")
# ... and between the parts of a bilingual abstract ('... (English) [ABSTRACT FROM AUTHOR] Le ...')
_EBSCO_INNER_NOTE = re.compile(r"\s*\[ABSTRACT FROM [A-Z ]{1,30}\](?=\s*\S)")
# a notice whose year comes first (WoS BibTeX '2003 (C) Elsevier Science Inc. All rights
# reserved.', Zotero '2020 Elsevier B.V. All rights reserved.'): only as the last sentence, and
# only with 'All rights reserved' or (c)/© after the year
_YEAR_FIRST_RIGHTS = re.compile(
    r"(?:19|20)\d\d\s*(?:(?:©|\(c\))\s*[^.]{0,120}(?:\.[^.]{0,120}){0,3}|[^.©]{0,120}(?:\.[^.©]{0,80}){0,3}?"
    r"All rights reserved)\.?\s*$", re.I)
# a notice with the holder before the year, or with no year: '© The Author(s) 2021.',
# 'Copyright © Frederick S. Barrett et al. 2018.', '© Taylor & Francis Group, LLC.'. Taken only
# from ©, which abstracts do not otherwise use, as the abstract's last sentence (see
# _holder_notice); '(c)' only after 'Copyright', since '(c)' alone labels list items
_HOLDER_RIGHTS = re.compile(r"(?:Copyright\s*(?:©|\(c\))|©|Copyright(?= (?:Published by|The Author)))[^©]{0,200}$",
                            re.I | re.S)
_NOTICE_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


_HOLDER_WORDS = re.compile(r"verlag|publishing|publishers", re.I)
# the only lower-case words a holder's name has ('Frederick S. Barrett et al.', 'The Author(s),
# under exclusive licence to Springer Nature', 'British Association for Psychopharmacology')
_HOLDER_LOWER = frozenset("by et al and of the for on behalf part under exclusive licence license to or their "
                          "employer s de du der la le und".split())


def _holder_notice(abstract: str, at: int) -> bool:
    """True when a holder-first notice (see _HOLDER_RIGHTS) starts at ``at`` and runs to the end.
    It opens a sentence and names the holder in capitalised words (up to the year); a bare © must
    also hold a year or a publisher's word, so a sentence
    about a ©-marked product ('... ©Fitbit devices were worn in 2019.') stays; so does a
    sentence that opens with 'Copyright ©' and goes on in lower-case words."""
    m = _HOLDER_RIGHTS.match(abstract, at)
    if m is None:
        return False
    text = m.group(0)
    if not _opens_sentence(abstract, at):
        # Ovid puts 'Copyright ©' right after an identifier ('NCT00465595Copyright © ...',
        # 'NCT00465595 Copyright (C) ...'); after a word ('the copyright © notice') it is text
        return text.startswith("Copyright") and not abstract[:at].rstrip()[-1:].isalpha()
    # 'Copyright ©' opening the last sentence still needs a holder's name: '... Copyright ©
    # laws in 27 countries were compared in 2019.' is a sentence about copyright
    if text.strip() == "©":
        return True
    year = _NOTICE_YEAR.search(text)
    holder = text[:year.start()] if year else text
    if text.startswith("Copyright") or text.startswith("copyright"):
        # the holder's name ends at the first ';' or '.' ('Copyright© Bentham Science Publishers;
        # For any queries, please email at ...', 'Copyright © Medical Communications Sp. z o.o.')
        holder = re.split(r"[;.]", holder, maxsplit=1)[0]
    if not _capitalised(holder):
        return False
    # 'Copyright ©' says what it is: a holder's name is enough ('... British Association for
    # Psychopharmacology.'); a bare © also needs a year or a publisher's word
    return bool(text.startswith("Copyright") or year or _PUBLISHER_WORDS.search(text) or _HOLDER_WORDS.search(text))


def strip_rights_statement(abstract: str) -> str:
    """The abstract without a publisher's trailing rights statement (see above), nor EBSCO's
    '[ABSTRACT FROM AUTHOR]' note; statements in a row ('... © Copyright © 2021 Pitt, ...')
    all go.

    Cheap on the ~80 % of abstracts without one (substring tests on the tail); otherwise the
    statement pattern is tried only where a marker (©, (c), Copyright...) starts, not at every
    position of the tail."""
    while True:
        shorter = _strip_last_statement(abstract)
        if shorter == abstract:
            return abstract
        abstract = shorter


def _strip_last_statement(abstract: str) -> str:
    """:func:`strip_rights_statement`, one statement (or EBSCO note) at a time."""
    start = max(0, len(abstract) - 260)
    tail = abstract[start:]
    if "[ABSTRACT FROM " in abstract:
        note = _EBSCO_SOURCE_NOTE.search(abstract, start)
        if note is not None and abstract[:note.start()].strip():     # never empty an abstract
            return abstract[:note.start()].rstrip()
        inner = _EBSCO_INNER_NOTE.sub("", abstract)
        if inner != abstract and inner.strip():
            return inner
    if not ("©" in tail or "(c" in tail or "(C" in tail or "opyright" in tail or "OPYRIGHT" in tail
            or "ights reserved" in tail or "IGHTS RESERVED" in tail):
        return abstract
    for marker in _RIGHTS_START.finditer(abstract, start):
        at = marker.start()
        cut = _TRAILING_RIGHTS.match(abstract, at)
        if cut is None:
            if _holder_notice(abstract, at) and abstract[:at].strip():
                return _without_crown(abstract, at)
            continue
        text = cut.group(0)
        # a bare '(c) 2010' or 'Copyright 2019/790' can be text ('waves (a) 1998, (b) 2004 and
        # (c) 2010'; 'the EU directive on Copyright 2019/790'): without © it must open a
        # sentence of its own and its year must not be a number's first part
        if not (_STRONG_RIGHTS.match(text) or _PUBLISHER_WORDS.search(text)
                or (_opens_sentence(abstract, at) and not _YEAR_SLASH.match(text))):
            continue
        # never empty an abstract that is only a statement
        return _without_crown(abstract, at) if abstract[:at].strip() else abstract
    for year in _NOTICE_YEAR.finditer(abstract, start):
        at = year.start()
        if _opens_sentence(abstract, at) and abstract[:at].strip() and _YEAR_FIRST_RIGHTS.match(abstract, at) \
                and _PUBLISHER_WORDS.search(abstract, at) and _names_a_holder(abstract[year.end():]):
            return abstract[:at].rstrip()
    return abstract


def _capitalised(holder: str) -> bool:
    """A holder's name: no lower-case word but those a name has ('et al.', 'of the', ...)."""
    return not any(w[0].islower() and w not in _HOLDER_LOWER for w in re.findall(r"[^\W\d_]+", holder))


def _names_a_holder(text: str) -> bool:
    """'(C) Elsevier Science Inc. All rights reserved.': capitalised words up to 'All rights
    reserved' ('In 2019 the law said all rights reserved.' is a sentence)."""
    return _capitalised(re.split(r"all rights reserved", text, maxsplit=1, flags=re.I)[0])


def _without_crown(abstract: str, at: int) -> str:
    """The abstract cut at ``at``, and a 'Crown' there before 'Copyright' with it (UK government
    notices: '... porrigens).Crown Copyright © 2012 Published by Elsevier Ltd.')."""
    head = abstract[:at].rstrip()
    if head.endswith("Crown") and not head[:-5][-1:].isalnum() and head[:-5].strip():
        head = head[:-5].rstrip()
    return head

