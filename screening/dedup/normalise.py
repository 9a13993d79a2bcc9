"""Matching keys: one compact, comparable :class:`Keys` per record.

Every comparison in dedup works on these keys, never on raw fields, so the cost of cleaning a
field is paid once per record (not once per candidate pair) and the rules in ``compare.py``
read like the reasons a person would give ("same DOI", "Part I vs Part II").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Sequence

from screening.normalize import normalize_doi, normalize_pages, normalize_title, parse_year

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7",
          "viii": "8", "ix": "9", "x": "10", "xi": "11", "xii": "12"}
# Words that make a record a *different* publication from the article it names.
_KIND_PATTERNS = (
    ("erratum", re.compile(r"\b(errat\w*|corrigend\w*|correction to|correction of article|correction:)")),
    ("retraction", re.compile(r"\b(retraction|retracted|withdrawn:|withdrawal of)\b")),
    ("comment", re.compile(r"\b(comment on|commentary on|comments on|comment:|a comment|editorial comment)\b")),
    ("reply", re.compile(r"\b(reply|in response to|authors?'? response|rejoinder|response to (the |a )?"
                         r"(letter|comment|commentary|editorial|correspondence|critique|critics))\b")),
    ("protocol", re.compile(r"\b(protocol)\b")),
    ("abstract", re.compile(r"^\s*(\[?abstract\]?\s*:|meeting abstract)")),
)
_COCHRANE_DOI = re.compile(r"^(10\.1002/14651858\.[a-z]{2}\d+)(?:\.pub(\d+))?$")
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "2nd", "3rd"})
_SERIES = frozenset({"part", "pt", "phase", "type", "grade", "stage", "study", "trial", "volume", "vol"})
_CONCAT_AUTHOR = re.compile(r"(?<=[A-Z]\.)(?=[A-Z][a-z'])")
_JOURNAL_STOP = frozenset({"of", "the", "and", "in", "for", "on", "a", "an", "de", "la", "le", "der", "und", "fur",
                           "d", "l", "et", "des", "du", "y", "e", "del", "di"})   # 'Annales ... d'anesthesie et de ...'
_TITLE_STOP = frozenset({"the", "of", "and", "in", "a", "an", "to", "for", "with", "on", "by", "at",
                         "from", "or", "as", "is", "are", "vs", "versus", "its", "their"})


@dataclass(frozen=True, slots=True)
class Keys:
    """What dedup knows about one record, normalised for comparison."""

    title: str                 # normalised title (matching key)
    title_tokens: frozenset[str]
    numbers: frozenset[str]    # numbers / roman numerals in the title: 'Part I' vs 'Part II'
    kinds: frozenset[str]      # erratum, comment, reply, retraction, protocol, abstract
    families: tuple[str, ...]  # author family names, lower case, accent-free
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


def _digits(value: str) -> str:
    match = re.search(r"\d+", value or "")
    if not match:
        return ""
    return match.group(0).lstrip("0") or "0"


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
    """('smith', 'j') from 'Smith, John' / 'Smith J' / 'Smith, J.' / 'John Smith'."""
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


@lru_cache(maxsize=50_000)
def journal_tokens(journal: str) -> tuple[str, ...]:
    return tuple(t for t in normalize_title(journal).split() if t not in _JOURNAL_STOP)


_GENERIC_CONTAINER = frozenset({"conference", "proceedings", "journal", "supplement", "suppl", "abstracts",
                                "meeting", "congress", "online", "print", "electronic", "resource"})
# ' : ' and ': ' both part a title from its subtitle ('Explore: The Journal of Science and
# Healing', which MEDLINE names 'Explore (New York, N.Y.)'); '=' only with spaces around it
_JOURNAL_SPLIT = re.compile(r"\s?:\s|\s=\s|[\[\]/]|\s-\s|\.\s*-\s|\.(?=[A-Z])|(?<=Conference):")


@lru_cache(maxsize=50_000)
def journal_variants(journal: str) -> tuple[tuple[str, ...], ...]:
    """The ways a journal may be named inside one field: 'Journal of clinical oncology : official
    journal of ASCO' -> the whole, the part before ':', each bracketed or '='-separated part
    ('Zhonghua zhong liu za zhi [Chinese journal of oncology]')."""
    whole = journal_tokens(journal)
    if not whole:
        return ()
    out = [whole]
    for part in _JOURNAL_SPLIT.split(re.sub(r"\([^()]*\)", " ", journal)):
        toks = journal_tokens(part)
        if toks and toks not in out and not all(t.isdigit() or t in _GENERIC_CONTAINER for t in toks):
            out.append(toks)
    return tuple(out)


def title_numbers(tokens: Sequence[str]) -> frozenset[str]:
    """Numbers that distinguish parts of a series. Roman numerals count only after a series word
    or at the end of the title ('type i diabetes' is 'type 1' either way)."""
    nums = set()
    n = len(tokens)
    for k, tok in enumerate(tokens):
        if tok.isdigit():
            nums.add(tok.lstrip("0") or "0")
        elif tok in _ROMAN and (tok in ("ii", "iii") or k == n - 1 or (k > 0 and tokens[k - 1] in _SERIES)):
            nums.add(_ROMAN[tok])
    return frozenset(nums)


# Trial-registry identifiers (ClinicalTrials.gov, the WHO ICTRP primary registries). CENTRAL's
# registry records put the id in the author field and the registry URL in the journal field, and
# two trials of one sponsor often differ in a word of the title ('... with Mild Pneumonia' vs
# '... without Pneumonia'): the id is then the only field that tells them apart. Matched without
# regard to case, bounded by non-alphanumerics ('TrialID=NCT...', 'show/NCT...'); the lookahead
# on the prefixes' first letters only saves trying every alternative at every position.
_REGISTRY_ID = re.compile(r"""(?ix)(?<![a-z0-9])(?=[acdeijklnprstu])(
      nct[\s-]?\d{8}
    | euctr\s?\d{4}-\d{6}-\d{2}(?:-[a-z]{2,3})?
    | eudract[\s:]*(?:no\.?|number)?[\s:]*\d{4}-\d{6}-\d{2}
    | isrctn[\s-]?\d{8}
    | actrn[\s-]?\d{14}
    | chictr-?(?:[a-z]{2,5}-)?\d{8,10}
    | ctri/\d{4}/\d{2,3}/\d{4,6}
    | drks[\s-]?\d{8}
    | irct\d{6,}(?:n\d+)?
    | (?:jprn-)?(?:umin\d{9}|japiccti-?\d{6}|jrcts?\d{9,10}|jma-iia\d{5})
    | tctr\d{11}
    | kct\d{7}
    | ntr\d{3,5}
    | pactr\d{15}
    | rbr-[0-9a-z]{6,8}
    | slctr/\d{4}/\d{3}
    | lbctr\d{10}
    | rpcec\d{8}
)(?![a-z0-9])""")
_EUDRACT = re.compile(r"(?i)^(?:euctr|eudract\D*)(\d{4}-\d{6}-\d{2})")


def registry_id(raw: str) -> str:
    """One spelling per trial: upper case, separators dropped ('CTRI/2020/06/025799' ->
    'CTRI202006025799'), ICTRP's 'JPRN-' prefix dropped (Japanese ids are also written bare).
    A EudraCT number loses its member-state suffix and keeps the prefix 'EUCTR': 'EUCTR2020-
    005128-12-LT' and '-DE' are one trial registered in two countries, not two trials."""
    eudract = _EUDRACT.match(raw)
    if eudract:
        raw = "EUCTR" + eudract.group(1)
    key = re.sub(r"[^0-9A-Z]", "", raw.upper())
    return key[4:] if key.startswith("JPRN") else key


# Cochrane writes the Unicode hyphens U+2010/U+2011 in ids ('EUCTR2020\u2010005128\u201012')
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-"})


# every id holds three digits in a row, but Brazil's ('RBR-85vh8fx'): a cheap test skips most fields
_MAY_HOLD_ID = re.compile(r"\d{3}|[Rr][Bb][Rr]-")


def registry_ids(*texts: str) -> frozenset[str]:
    """Every trial-registry id in the given texts."""
    return frozenset(registry_id(m.group(1)) for text in texts if text and _MAY_HOLD_ID.search(text)
                     for m in _REGISTRY_ID.finditer(text.translate(_HYPHENS)))


def is_registry_id(name: str) -> bool:
    """The whole author entry is a registry id ('EUCTR2020-005128-12-LT,'): CENTRAL's registry
    records name the trial there, not a person, so it must not count as an author."""
    return _REGISTRY_ID.fullmatch(name.translate(_HYPHENS).strip(" ,;.")) is not None


_MONTH_PAGES = re.compile(r"(?i)jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec")
_CORPORATE = re.compile(r"(?i)\b(group|study|trial|collaborat\w*|consortium|investigators|committee|"
                        r"society|association|network|working|task force|inc|ltd|pharmaceuticals?)\b")
_YEARISH = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
# Embase indexes a letter printed with the replies to it as one record titled
# '<letter title> (multiple letters)' whose pages span all of them.
_COMBINED_LETTERS = re.compile(r"(?i)\s*\(multiple letters\)")
_OPEN_ANNOTATION = re.compile(r"(?i)\[\s*(errat|comment|retract|update|republish|summary|corrected|see |expression of)")
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


def strip_annotations(title: str) -> str:
    """Drop database annotations from a title: MEDLINE's '[Review] [16 refs] [Spanish]',
    '[Erratum appears in ...]', '[Comment in ...]'. A translated title that *is* the bracket
    ('[Neoadjuvant therapy...].') keeps its words."""
    if "[" not in title:
        return title
    whole = title.strip().rstrip(".").strip()
    if whole.startswith("[") and whole.find("]") > 0.5 * len(whole):
        first = whole[1:whole.find("]")]
        rest = whole[whole.find("]") + 1:]
        return (first + " " + _BRACKETS.sub(" ", rest)).strip()
    stripped = title
    while True:   # innermost first: '[Erratum appears in ... Note: Philipp, T [added]]'
        inner = _BRACKETS.sub(" ", stripped)
        if inner == stripped:
            break
        stripped = inner
    # a title field cut at 255 characters leaves an unclosed '.[Erratum appears in...' at the end
    cut = _OPEN_ANNOTATION.search(stripped)
    if cut and "]" not in stripped[cut.start():]:
        stripped = stripped[:cut.start()]
    stripped = stripped.strip()
    return stripped if len(stripped) >= 0.3 * len(title) else title.replace("[", " ").replace("]", " ")


def strip_citation_suffix(title: str) -> str:
    """Erratum records cite what they correct at the end of the title, in two styles:
    '... (vol 360, pg 542, 2009)' and '... (New England Journal of Medicine (2009) 360 (542-544))'.
    The trailing group is dropped when it holds a year and two more numbers."""
    text = title.rstrip(" .")
    if not text.endswith(")"):
        return title
    depth = 0
    for k in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[k], 0)
        if depth == 0:
            group = text[k:]
            if _YEARISH.search(group) and len(re.findall(r"\d+", group)) >= 3 and k > 10:
                return text[:k].rstrip()
            return title
    return title


def record_keys(title: Any, authors: Any, year: Any, journal: Any, journal_abbrev: Any, volume: Any,
                issue: Any, pages: Any, doi: Any, pmid: Any, booktitle: Any = "", url: Any = "",
                accession: Any = "") -> Keys:
    """Build the matching keys of one record from its canonical fields. ``url`` and ``accession``
    (the database's own id) are read only for trial-registry ids."""
    annotated = strip_annotations(str(title or ""))
    combined = bool(_COMBINED_LETTERS.search(annotated))
    if combined:
        annotated = _COMBINED_LETTERS.sub("", annotated)
    raw_title = strip_citation_suffix(annotated)
    t = normalize_title(raw_title)
    tokens = t.split()
    lower = raw_title.lower()
    kinds = frozenset(name for name, pat in _KIND_PATTERNS if pat.search(lower))
    if raw_title != annotated:   # '... (vol 85, pg 553, 2010)': Web of Science / Scopus erratum form
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
        journal=jr, volume=_digits(str(volume or "")), issue=_digits(str(issue or "")),
        first_page=first, last_page=last, pages=p, doi=d, doi_version=version,
        pmid=_digits(str(pmid or "")), translated=str(title or "").lstrip().startswith("["),
        alt_families=alt_families(names), combined=combined, registry=registry,
    )


def _abbrev_of(short: str, full: str) -> bool:
    """'oncol' abbreviates 'oncology', 'natl' abbreviates 'national': same first letter and the
    short form's letters appear in order in the full word."""
    if short == full:
        return True
    if not short or not full or short[0] != full[0] or len(short) > len(full):
        return False
    if full.startswith(short):
        return True
    it = iter(full)
    return all(ch in it for ch in short)


@lru_cache(maxsize=200_000)
def journals_compatible(a: tuple[tuple[str, ...], ...], b: tuple[tuple[str, ...], ...]) -> bool:
    """True when any name variant of one journal field abbreviates a variant of the other."""
    if not a or not b:
        return True
    return any(_tokens_compatible(x, y) for x in a for y in b)


def _tokens_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Abbreviation-insensitive journal comparison without a hand-typed list.

    'j clin oncol' ~ 'journal clinical oncology' because every token of the shorter form
    abbreviates a token of the longer one, in order, and at most one token of the longer form
    is left unexplained (sections such as 'Cancer' vs 'Cancer Cytopathology' stay compatible).
    """
    if not a or not b:
        return True
    if a == b:
        return True
    short, full = (a, b) if len("".join(a)) <= len("".join(b)) else (b, a)
    k = 0
    matched = 0
    for tok in short:
        while k < len(full) and not _abbrev_of(tok, full[k]):
            k += 1
        if k == len(full):
            # a concatenated abbreviation ('jama' for 'journal american medical association')
            initials = "".join(w[0] for w in full)
            return len(short) == 1 and len(tok) >= 3 and tok == initials
        matched += 1
        k += 1
    return len(full) - matched <= 1


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
                      "pages", "doi", "pmid", "booktitle", "url", "source_record_id")}
    if not issue_column_trusted(cols["issue"]):
        cols["issue"] = [""] * len(df)
    keys = [
        record_keys(*row) for row in zip(cols["title"], cols["authors"], cols["year"], cols["journal"],
                                         cols["journal_abbrev"], cols["volume"], cols["issue"],
                                         cols["pages"], cols["doi"], cols["pmid"], cols["booktitle"],
                                         cols["url"], cols["source_record_id"])
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
