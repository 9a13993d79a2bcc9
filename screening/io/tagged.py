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
from typing import Callable, Iterable, Iterator

from screening.errors import InputError
from screening.normalize import _TAG_RE, clean_text, normalize_author, normalize_doi, normalize_issn, normalize_pages

# 'Breckenridge A, Grobbee DE' (Ovid CENTRAL A1): every comma-part is 'Family INITIALS'.
_FAMILY_INITIALS = re.compile(r"^[^\W\d][\w'\u2010\-. ]*? [A-Z](?:-?[A-Z]){0,3}$")     # 'Smith JA', 'Kovar K-A'
# ... with dotted initials ('Golde T. E., DeKosky S. T., Galasko D.'): only as a list of three or
# more, since 'Fonseca C., Efraín R.' (Dimensions) is one person
_FAMILY_DOTTED = re.compile(r"^[^\W\d][\w'\u2010\-. ]*? (?:[A-Z]\.\s?){1,4}$")
# EndNote's broken single AU line: 'Wagner, Lamb B. T. Call L. M. Slunt H. H.'
_NAME_DOTTED = re.compile(r" ?([^\W\d][\w'\u2010\-]+(?: [^\W\d][\w'\u2010\-]+)*)((?: [A-Z]\.)+)")
# ... whose last author lost the initials to the front: 'J., Kass N. Faden R. ... Pitcavage'
_NAME_BARE = re.compile(r" ?([^\W\d][\w'\u2010\-]+(?: [^\W\d][\w'\u2010\-]+)*)$")
_INITIAL_ONLY = re.compile(r"^(?:[A-Z]\.\s?)+$")
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
# words that start a family name of several words ('van der Heijde', 'El Dib', 'Oude
# Luttikhuis', 'Ben Charif'); family-first names without a comma are split after them
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "dos", "das", "ter",
              "ten", "el", "al", "abu", "ben", "oude"}
# Catalan/Spanish double family names joined by a lower-case 'i'/'y' ('Roqué i Figuls Marta');
# written lower case, these can be no given name or initial
_NAME_JOINERS = {"i", "y"}
_NO_PAGES = frozenset({"no-specified", "nopagination", "no pagination", "n/a", "na", "-", "unknown"})
_ENTITY_START = re.compile(r"&[#A-Za-z]")
_NAME_STOP = {"et al", "anon", "anonymous"}


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
    if "<" in value and ">" in value and _TAG_RE.search(value):
        # Only a real tag makes clean_text differ from the fold below ('p < 0.05 and > 2' is
        # left as it is by clean_text's tag pass).
        return clean_text(value)
    if value.isascii():
        # The ASCII whitespace characters other than the space; str.find is a memchr per
        # character here, several times faster than str.isprintable on long abstracts.
        plain = not ("\n" in value or "\t" in value or "\r" in value or "\x0b" in value or "\x0c" in value
                     or "\x1c" in value or "\x1d" in value or "\x1e" in value or "\x1f" in value)
    else:
        # Nothing to fold: the ASCII space is the only whitespace character str.isprintable()
        # accepts (every other one is in Unicode's Cc/Zs/Zl/Zp), so no tab, newline, NBSP...
        plain = value.isprintable()
    if plain and "  " not in value and value[0] != " " and value[-1] != " ":
        return value
    return " ".join(value.split())


def fast_author(value: str) -> str:
    """:func:`screening.normalize.normalize_author` for the common 'Family, Given' form.

    Same result as the normaliser (its comma branch), minus its regex passes; any other form
    (no comma, markup) goes to the normaliser.
    """
    if "," not in value or "&" in value or "<" in value or ">" in value:
        return normalize_author(value)
    name = " ".join(value.split()).strip(" ,;")
    if not name or name.lower().rstrip(".") in _NAME_STOP or "," not in name:
        return normalize_author(value)
    family, _, given = name.partition(",")
    family, given = family.strip(" ,;"), given.strip(" ,;")
    if not family:
        return given
    return f"{family}, {given}" if given else family


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


def _split_broken_endnote(value: str) -> list[str] | None:
    """Repair EndNote's one-line author list ('Wagner, Lamb B. T. Call L. M. ...').

    Returns ``None`` when the value is an ordinary single name.
    """
    family, _, rest = value.partition(",")
    rest, family = rest.strip(), family.strip()
    if not rest:
        return None
    wrapped = bool(_INITIAL_ONLY.match(family))
    names, at = [], 0
    while m := _NAME_DOTTED.match(rest, at):      # the names must cover the text, one after another
        names.append((m.group(1), m.group(2)))
        at = m.end()
    bare = _NAME_BARE.match(rest, at) if wrapped and at < len(rest) else None
    if not names or (at < len(rest) and bare is None):
        return None
    if len(names) < 2 and not wrapped:
        return None
    out = [f"{n.strip()}, {i.replace(' ', '')}" for n, i in names]
    if bare is not None:
        # the last author's initials wrapped to the front: '... Pitcavage' + 'J.' -> Pitcavage, J.
        out.append(f"{bare.group(1).strip()}, {family.replace(' ', '')}")
    elif wrapped:
        # the list wrapped around: 'L., Buchanan A. H. ... Williams J.' -> Williams J. L.
        out[-1] = out[-1] + family.replace(" ", "")
    elif family:
        out.insert(0, family)
    return out


def authors_from(values: Iterable[str] | None, *, family_first_no_comma: bool = False) -> list[str]:
    """Normalise a tag's author values into 'Family, Given', repairing joined lists.

    ``family_first_no_comma``: names written 'Family Given' without a comma (Cochrane plain
    text 'Van Ryswyk Emer'), which the generic normaliser would read as 'Given Family'.
    """
    out: list[str] = []
    for raw in values or ():
        value = raw.strip()
        # Fast path, by far the most common value: one clean 'Family, Given' (same result as
        # normalize_author: nothing to unescape, strip or fold, exactly one comma, both sides set).
        if (not family_first_no_comma and value.count(",") == 1 and value.isprintable() and "  " not in value
                and ";" not in value and "&" not in value and "<" not in value and ">" not in value
                and value.count(".") < 4):
            family, _, given = value.partition(",")
            family, given = family.strip(), given.strip()
            if (family and given and (" " not in family or not _FAMILY_INITIALS.match(family))
                    and not (family[-1] == "." and _INITIAL_ONLY.match(family))):   # 'M., Mijaylova P. ...'
                out.append(f"{family}, {given}")
                continue
        value = " ".join(value.split())
        if not value:
            continue
        parts: list[str]
        commas = value.count(",")
        # 'J., Kass N. ... Pitcavage': a list whose last initials wrapped to the front
        wrapped = commas == 1 and bool(_INITIAL_ONLY.match(value.partition(",")[0].strip()))
        if ";" in value:
            parts = value.split(";")
        elif commas and " " in value.split(",", 1)[0].strip() and all(
                _FAMILY_INITIALS.match(p.strip()) or (commas >= 2 and _FAMILY_DOTTED.match(p.strip()))
                for p in value.split(",")):
            parts = value.split(",")
        elif commas >= 2 and " " not in value.replace(", ", ",") and (camel := _camel_names(value.split(","))):
            parts = camel
        elif commas == 1 and not family_first_no_comma and value.count(".") < 4 and not wrapped:
            name = fast_author(value)  # the common case: one 'Family, Given'
            if name:
                out.append(name)
            continue
        else:
            broken = _split_broken_endnote(value) if commas == 1 and (value.count(".") >= 4 or wrapped) else None
            parts = broken if broken is not None else [value]
        for part in parts:
            part = part.strip()
            if family_first_no_comma and "," not in part:
                part = _family_first(part)
            name = fast_author(part)
            if name:
                out.append(name)
    return out


def _camel_names(parts: list[str]) -> list[str] | None:
    """EndNote's 'GotzJurgen, MatamalesMiriam, IttnerLars' (family and given run together): each
    split where its last capital starts ('Gotz, Jurgen'), or None unless every part has one.
    Only for three names or more: two comma-separated words are one 'Family, Given'."""
    out = []
    for part in (p.strip() for p in parts):
        cut = next((i for i in range(len(part) - 1, 1, -1) if part[i].isupper() and part[i - 1].islower()), 0)
        if not cut or not part.isalpha():
            return None
        out.append(f"{part[:cut]}, {part[cut:]}")
    return out


def _family_first(name: str) -> str:
    """'Van Ryswyk Emer' -> 'Van Ryswyk, Emer': the first word is the family name, with the
    words a particle or joiner ties to it (also after it: 'Pineda de la Losa Fernando'). Nothing else can tell a family name of two words
    ('Davey Smith George') from given names of two ('Gurusamy Kurinchi Selvan'); those keep
    the first word only."""
    tokens = name.split()
    if len(tokens) < 2:
        return name
    i = 0          # index of the family name's last word; one word at least is left as given name
    while True:
        if i + 3 < len(tokens) and tokens[i + 1] in _NAME_JOINERS:
            i += 2
        elif i + 2 < len(tokens) and tokens[i].lower() in _PARTICLES:
            i += 1
        elif i + 2 < len(tokens) and tokens[i + 1].islower() and tokens[i + 1] in _PARTICLES:
            i += 1     # 'Pineda de la Losa Fernando': a lower-case particle after it ties on
        else:
            break
    return " ".join(tokens[: i + 1]) + ", " + " ".join(tokens[i + 1:])


# DOIs of database records, not of the article: Cochrane CENTRAL's record DOI sits in every
# CENTRAL URL and would hide the article's real DOI from dedup.
_RECORD_DOI_PREFIXES = ("10.1002/central/",)


# DOIs of other works that links and type fields can carry: PsycTESTS instruments
# (10.1037/t38733-000), which PsycInfo cites for every test a study used
_OTHER_WORK_DOI = re.compile(r"10\.1037/t\d")


def _article_dois(candidates: tuple[Iterable[str] | None, ...]) -> Iterator[str]:
    """The DOIs in the candidate value lists, in order, minus database record DOIs."""
    for values in candidates:
        for v in values or ():
            if "10." not in v:
                continue  # no DOI can be there; skip the normaliser's regex on long notes
            doi = normalize_doi(v)
            if doi and not doi.startswith(_RECORD_DOI_PREFIXES):
                yield doi


def doi_from(*candidates: Iterable[str] | None) -> str:
    """First article DOI found in the candidate value lists, in order (DO before URLs)."""
    return next(_article_dois(candidates), "")


def linked_doi(*candidates: Iterable[str] | None) -> str:
    """:func:`doi_from` for fields that are not the record's DOI field (links, M3): a PsycTESTS
    instrument DOI there names a test the study used, never the article."""
    return next((d for d in _article_dois(candidates) if not _OTHER_WORK_DOI.match(d)), "")


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


def pages_from(start: str, end: str) -> str:
    """'SP'/'EP' as one range: ('358', '65') -> '358-365' (normalize_pages expands).

    Placeholders (Ovid's 'No-Specified', Embase's 'no pagination') mean "no pages" and give ''.
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
    return "" if pages.lower().strip("()") in _NO_PAGES else pages


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
