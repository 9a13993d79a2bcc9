"""Matching keys: one compact, comparable :class:`Keys` per record.

Every comparison in dedup works on these keys, never on raw fields, so the cost of cleaning a
field is paid once per record (not once per candidate pair) and the rules in ``compare.py``
read like the reasons a person would give ("same DOI", "Part I vs Part II").

This module builds the keys (:func:`record_keys`, :func:`keys_for_table`), with the author,
page and DOI keys; the larger field rules are their own modules: titles
(:mod:`screening.dedup.title_keys`), journal names (:mod:`screening.dedup.journal_names`) and
trial-registry ids (:mod:`screening.dedup.registry_ids`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Sequence

from screening.dedup.journal_names import journal_variants
from screening.dedup.registry_ids import is_registry_id, registry_ids
from screening.dedup.title_keys import (
    COMBINED_LETTERS, KIND_PATTERNS, spell_greek, strip_annotations, strip_citation_suffix, strip_report_number,
    title_numbers,
)
from screening.normalize import normalize_doi, normalize_pages, normalize_title, parse_year
from screening.text_fold import fold_accents

_COCHRANE_DOI = re.compile(r"^(10\.1002/14651858\.[a-z]{2}\d+)(?:\.pub(\d+))?$")
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "2nd", "3rd"})
_CONCAT_AUTHOR = re.compile(r"(?<=[A-Z]\.)(?=[A-Z][a-z'])")


@dataclass(frozen=True, slots=True)
class Keys:
    """What dedup knows about one record, normalised for comparison."""

    title: str                 # normalised title (matching key)
    title_tokens: frozenset[str]
    numbers: frozenset[str]    # numbers / roman numerals in the title: 'Part I' vs 'Part II'
    kinds: frozenset[str]      # erratum, comment, reply, retraction, protocol, abstract
    families: tuple[str, ...]  # author family names, lower case, accents folded ('strauss' for 'Strauß')
    initials: tuple[str, ...]  # first initial of each author ('' when unknown)
    corporate: bool            # the first author is a group ('ALTS Study Group'): not comparable
    year: int | None
    journal: tuple[tuple[str, ...], ...]   # journal name variants, tokens without stop words
    volume: str
    issue: str
    first_page: str            # digits of the first page ('1350' of '1350-6', '123' of 'e123')
    last_page: str             # digits of the last page ('' when a single page)
    pages: str                 # normalised full range
    doi: str                   # normalised DOI; Cochrane version suffix removed (see doi_version)
    doi_version: int           # Cochrane .pubN (1 for the first version), 0 when not Cochrane
    pmid: str
    translated: bool = False   # the title is a bracketed translation ('[Etude ...]', MEDLINE style)
    combined: bool = False     # Embase's '(multiple letters)' record: a letter and its replies in one
    alt_families: tuple[str, ...] = ()   # 'Luis Ferreira, Santos A' read as family 'santos' (see below)
    doi_container: bool = False          # the DOI is a supplement's/volume's, shared by many items
    registry: frozenset[str] = frozenset()   # trial-registry ids named anywhere ('NCT04336904')
    abstract: str = ""         # the abstract's length and digests of its parts (abstract_key), '' if short
    report: str = ""           # a report number one database appends to the title ('(Report No. 515)')
    preprint: bool = False     # posted on a preprint server (its DOI or its 'journal' says so)


def _digits(value: str) -> str:
    match = re.search(r"\d+", value or "")
    if not match:
        return ""
    return match.group(0).lstrip("0") or "0"


# 'Suppl', 'Suppl.', 'SUPPL', 'Supplement', 'Sup' (not 'Super'): a supplement is another
# printed issue than the number beside it
_SUPPLEMENT = re.compile(r"\bsup(?:p(?:l(?:ement)?)?)?(?![a-z])\.?", re.IGNORECASE)


def issue_key(value: str) -> str:
    """The issue's number, with a supplement kept apart: '6' -> '6', '6 Suppl 2' -> '6s2',
    'Suppl. 1' -> 's1', '13 SUPPL' -> '13s'. Why not just the first number: '6 Suppl 2' read
    as 6 made a conference abstract in a supplement look like an article of issue 6, and
    'Suppl 1' like issue 1."""
    match = _SUPPLEMENT.search(value or "")
    if not match:
        return _digits(value)
    return f"{_digits(value[:match.start()])}s{_digits(value[match.end():])}"


def issues_differ(a: str, b: str) -> bool:
    """Whether two issue keys name different issues. A supplement without its number ('SUPPL',
    '13 SUPPL': s, 13s) may be any supplement of that issue: one export drops the number
    another keeps ('Suppl 2': s2), a true duplicate pair of the Rathbone haematology set."""
    if a == b:
        return False
    for bare, full in ((a, b), (b, a)):
        if bare.endswith("s") and full.startswith(bare) and full[len(bare):].isdigit():
            return False
    return True


_GIVEN_FIRST = re.compile(r"^[^,]+,\s*([A-Za-z\u00c0-\u024f'-]{2,})\s+[A-Z]\.?$")


def alt_families(names: Sequence[str]) -> tuple[str, ...]:
    """Some exports write 'Given Names, Family Initial' ('Luis Ferreira, Santos A' for Santos, A.
    L. F.). When *every* name of a list has that shape, the word after the comma may be the
    family name; those words are kept as an alternative reading, used only when the normal
    reading finds no author overlap. Empty when the shape does not fit the whole list."""
    found = [_GIVEN_FIRST.match(n.strip()) for n in names if n]
    if len(found) < 2 or not all(found):
        return ()
    return tuple(normalize_title(m.group(1)).replace(" ", "") for m in found if m)


def split_concatenated(authors: Sequence[str]) -> list[str]:
    """``'Adeli K.Lewis G. F.'`` (EndNote/ASySD exports) -> ``['Adeli K.', 'Lewis G. F.']``."""
    out: list[str] = []
    for name in authors:
        if name and "." in name and _CONCAT_AUTHOR.search(name):
            out.extend(p.strip() for p in _CONCAT_AUTHOR.split(name) if p.strip())
        else:
            out.append(name)
    return out


@lru_cache(maxsize=200_000)
def _author_key(name: str) -> tuple[str, str]:
    """('smith', 'j') from 'Smith, John' / 'Smith J' / 'Smith, J.' / 'John Smith'; ('odegard', 's')
    from 'Ødegård, Søren' and MEDLINE's 'Odegard S' alike (normalize_title folds the letters NLM
    transliterates: a translated title's pair rests on its authors)."""
    from screening.normalize import normalize_author

    tokens = name.split()
    if "," not in name and len(tokens) >= 2 and name.islower():
        norm = tokens[0] + ", " + " ".join(tokens[1:])     # lower-cased 'smith j r' / 'smith john'
                                                           # (normalised exports put the family first)
    else:
        norm = normalize_author(name) if "," not in name else name
    family, _, given = norm.partition(",")
    words = normalize_title(family).split()
    while len(words) > 1 and words[-1] in _NAME_SUFFIXES:   # 'Sprague Jr.', 'Yoos II'
        words.pop()
    family = "".join(words)
    given = normalize_title(given)
    return family, (given[:1] if given else "")


_MONTH_PAGES = re.compile(r"(?i)jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec")
_CORPORATE = re.compile(r"(?i)\b(group|study|trial|collaborat\w*|consortium|investigators|committee|"
                        r"society|association|network|working|task force|inc|ltd|pharmaceuticals?)\b")
_PAGE_RANGE = re.compile(r"(\d+)(?:-(\d+))?")


def _page_span(pages: str) -> tuple[str, str]:
    """First and last page. An article printed in parts or languages ('233-238+230-235+246-251',
    '230-5, 246-51, 233-8') is reduced to its whole span, so the orders exports list the parts in
    do not matter ('230'-'251' for both)."""
    if not re.search(r"\d[+,]\s*\d", pages):
        first, _, last = pages.partition("-") if pages else ("", "", "")
        return _digits(first), _digits(last)
    lows, highs = [], []
    for lo, hi in _PAGE_RANGE.findall(pages):
        if hi and len(hi) < len(lo):
            hi = lo[:len(lo) - len(hi)] + hi     # '230-5' -> 235
        lows.append(int(lo))
        highs.append(int(hi) if hi else int(lo))
    first, last = min(lows), max(highs)
    return str(first), (str(last) if last != first else "")


# Preprint servers, by DOI (prefix, or prefix/series) and by the name exports give as the journal
_PREPRINT_DOI = re.compile(r"^10\.(?:1101/(?:\d{4}\.\d{2}\.\d{2}\.)?\d{6,}|(?:21203|48550|31219|31234|31235|31223|35542|"
                           r"22541|26434|36227|32388)/|20944/"
                           r"preprints|2139/ssrn|5194/egusphere-\d{4}-\d+$|2196/preprints|1002/essoar|1590/scielopreprints)")
_PREPRINT_NAME = re.compile(r"(?i)\b(?:medrxiv|biorxiv|arxiv|chemrxiv|techrxiv|psyarxiv|socarxiv|edarxiv|eartharxiv|"
                            r"egusphere|research square|ssrn|preprints?(?:\.org)?|osf preprints|authorea|qeios|"
                            r"ess open archive|scielo preprints)\b")


def is_preprint(doi: str, journal: str) -> bool:
    """Posted on a preprint server: medRxiv's 10.1101, EGUsphere's 10.5194/egusphere-2022-498
    (not its meeting abstracts, -egu21-..., nor the comments on a preprint, ...-rc1), or a
    'journal' named so ('Research Square', 'SSRN Electronic Journal')."""
    return bool((doi and _PREPRINT_DOI.match(doi)) or (journal and _PREPRINT_NAME.search(journal)))


# an abstract's key: its length in letters and digits and digests of its start, middle and end;
# an abstract shorter than ABSTRACT_KEY_CHARS has none (a placeholder such as 'No abstract
# available' is no evidence)
ABSTRACT_KEY_CHARS = 200
_SEGMENT = 100
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def abstract_key(abstract: Any) -> str:
    """'length:start:middle:end' of the abstract's letters and digits (lower case, accents folded), the
    three parts as short digests ('' if shorter than :data:`ABSTRACT_KEY_CHARS`): enough to
    tell the same abstract with an export's slip ('trim and ill' for 'trim and ﬁll') from a
    protocol and its review that open with the same Background (:func:`abstracts_match`)."""
    text = str(abstract or "")
    if len(text) < ABSTRACT_KEY_CHARS:
        return ""
    # folded as titles are (NFKC and more): one export writes the ligature 'ﬁ' where the other
    # has 'fi', MEDLINE 'Odegard' where the journal has 'Ødegård'
    key = _NOT_ALNUM.sub("", fold_accents(text).lower())
    # ('abstract background ...' vs 'background ...': some exports keep the heading)
    key = key[8:] if key.startswith("abstract") else key
    n = len(key)
    if n < ABSTRACT_KEY_CHARS:
        return ""
    mid = n // 2 - _SEGMENT // 2
    parts = (key[:_SEGMENT], key[mid:mid + _SEGMENT], key[-_SEGMENT:])
    return ":".join([str(n), *(hashlib.blake2b(p.encode(), digest_size=6).hexdigest() for p in parts)])


def abstracts_match(a: str, b: str) -> bool:
    """The same abstract: lengths within 1 % and two of start, middle and end the same."""
    if not a or not b:
        return False
    (na, *pa), (nb, *pb) = a.split(":"), b.split(":")
    la, lb = int(na), int(nb)
    return abs(la - lb) <= max(3, 0.01 * max(la, lb)) and sum(x == y for x, y in zip(pa, pb)) >= 2


def record_keys(title: Any, authors: Any, year: Any, journal: Any, journal_abbrev: Any, volume: Any,
                issue: Any, pages: Any, doi: Any, pmid: Any, booktitle: Any = "", url: Any = "",
                accession: Any = "", abstract: Any = "") -> Keys:
    """Build the matching keys of one record from its canonical fields. ``url`` and ``accession``
    (the database's own id) are read only for trial-registry ids."""
    annotated = strip_annotations(str(title or ""))
    combined = bool(COMBINED_LETTERS.search(annotated))
    if combined:
        annotated = COMBINED_LETTERS.sub("", annotated)
    cited = strip_citation_suffix(annotated)
    raw_title, report = strip_report_number(cited)
    t = normalize_title(spell_greek(raw_title))
    tokens = t.split()
    lower = raw_title.lower()
    kinds = frozenset(name for name, pat in KIND_PATTERNS if pat.search(lower))
    if cited != annotated:   # '... (vol 85, pg 553, 2010)': Web of Science / Scopus erratum form
        kinds |= {"erratum"}
    names = split_concatenated([str(a) for a in (authors or [])])
    registry = registry_ids(str(title or ""), *names, str(journal or ""), str(journal_abbrev or ""),
                            str(booktitle or ""), str(url or ""), str(accession or ""))
    if registry:
        names = [n for n in names if not is_registry_id(n)]
    pairs = [_author_key(a) for a in names if a]
    pairs = [p for p in pairs if p[0]]
    d = normalize_doi(str(doi or "")).rstrip("/")
    version = 0
    m = _COCHRANE_DOI.match(d)
    if m:
        d, version = m.group(1), int(m.group(2) or 1)
    jr = journal_variants(str(journal or "")) + journal_variants(str(journal_abbrev or ""))
    if not jr:   # proceedings papers: the container is the booktitle
        jr = journal_variants(str(booktitle or ""))
    p = normalize_pages(str(pages or ""))
    if _MONTH_PAGES.search(p):   # '01-Jun', '13-May': a spreadsheet turned pages into a date
        p = ""
    first, last = _page_span(p)
    y = parse_year(year) if year is not None and str(year) not in ("", "<NA>") else None
    return Keys(
        title=t, title_tokens=frozenset(tokens), numbers=title_numbers(tokens), kinds=kinds,
        families=tuple(f for f, _ in pairs), initials=tuple(i for _, i in pairs),
        corporate=bool(names) and bool(_CORPORATE.search(names[0])), year=y,
        journal=jr, volume=_digits(str(volume or "")), issue=issue_key(str(issue or "")),
        first_page=first, last_page=last, pages=p, doi=d, doi_version=version,
        pmid=_digits(str(pmid or "")), translated=str(title or "").lstrip().startswith("["),
        alt_families=alt_families(names), combined=combined, registry=registry,
        abstract=abstract_key(abstract), preprint=is_preprint(d, str(journal or "")), report=report,
    )


def issue_column_trusted(issues: Sequence[Any]) -> bool:
    """Some exports put a running record number in the issue field (EndNote's 'number'): then
    almost every value is distinct, unlike real issue numbers which repeat. Such a column is
    ignored for matching."""
    values = [str(v) for v in issues if v is not None and str(v).strip() not in ("", "<NA>", "nan")]
    if len(values) < 50:
        return True
    return len(set(values)) / len(values) < 0.5


def keys_for_table(df: Any) -> list[Keys]:
    """Keys for every row of a canonical records table, in row order."""
    cols = {c: df[c].tolist() if c in df.columns else [""] * len(df)
            for c in ("title", "authors", "year", "journal", "journal_abbrev", "volume", "issue",
                      "pages", "doi", "pmid", "booktitle", "url", "source_record_id", "abstract")}
    if not issue_column_trusted(cols["issue"]):
        cols["issue"] = [""] * len(df)
    keys = [
        record_keys(*row) for row in zip(cols["title"], cols["authors"], cols["year"], cols["journal"],
                                         cols["journal_abbrev"], cols["volume"], cols["issue"],
                                         cols["pages"], cols["doi"], cols["pmid"], cols["booktitle"],
                                         cols["url"], cols["source_record_id"], cols["abstract"])
    ]
    if "publication_type" in df.columns:
        keys = _cochrane_protocols(keys, df["publication_type"].tolist())
    return _without_container_dois(keys)


def _cochrane_protocols(keys: list[Keys], types: list[Any]) -> list[Keys]:
    """A Cochrane record typed as a protocol is a protocol, whatever its title says: the
    Cochrane Library gives a protocol and its review one title and one base DOI (CD007146 and
    CD007146.pub2), so without this the two were linked as versions of one review, and the
    protocol's year and type could exclude the review. Only Cochrane DOIs: elsewhere a database's
    'protocol' type on one copy of a trial protocol article but not on the other would split a
    true duplicate (its title says 'protocol' on both)."""
    typed = {(k.doi, k.doi_version) for k, t in zip(keys, types) if k.doi_version and any(
        "protocol" in str(v).lower() for v in (t if isinstance(t, (list, tuple)) else [t]))}
    if not typed:
        return keys
    # every copy of that DOI version is the protocol, typed or not (an untyped Embase copy of a
    # typed Cochrane protocol was otherwise linked to the review as a version)
    return [replace(k, kinds=k.kinds | {"protocol"}) if (k.doi, k.doi_version) in typed and "protocol" not in k.kinds
            else k for k in keys]


def _without_container_dois(keys: list[Keys]) -> list[Keys]:
    """Mark a DOI that names a container, not an item: shared by 3+ records with 3+ different
    titles (a conference supplement's or proceedings volume's DOI given to each abstract in
    it). Two records with it and the same title are still one item (the DOI rule links them);
    with different titles the DOI says nothing, where it used to queue plainly different
    abstracts as 'same DOI but different titles' (162 of 175 maybe-pairs on the ASySD set)."""
    titles: dict[str, set[str]] = {}
    for k in keys:
        if k.doi:
            titles.setdefault(k.doi, set()).add(k.title)
    shared = {doi for doi, ts in titles.items() if len(ts) >= 3}
    if not shared:
        return keys
    return [replace(k, doi_container=True) if k.doi in shared else k for k in keys]
