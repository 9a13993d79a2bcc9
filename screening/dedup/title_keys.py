"""Titles as dedup reads them: database annotations and citation suffixes dropped, the kind of
publication a title declares, and the numbers that tell parts of a series apart.

MEDLINE appends '[Review] [16 refs]' and '[Erratum appears in ...]', Web of Science and Scopus
cite what an erratum corrects at the end of its title, Embase titles a letter and its replies
'(multiple letters)': none of it is the title's wording, and two copies of one article differ by
it. And some words make a record a *different* publication from the article it names (an
erratum, a reply, a protocol), as 'Part I' and 'Part II' are two, and 'α-blockers' and 'β-blockers'
may be. Its own module because these
are rules about the text of titles alone, tested and used apart from the rest of a record's
keys (:mod:`screening.dedup.normalise` builds them into :class:`~screening.dedup.normalise.Keys`).
"""

from __future__ import annotations

import re
from typing import Sequence

from screening.text_fold import fold_accents

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7",
          "viii": "8", "ix": "9", "x": "10", "xi": "11", "xii": "12"}
# Words that make a record a *different* publication from the article it names.
KIND_PATTERNS = (
    ("erratum", re.compile(r"\b(errat\w*|corrigend\w*|correction to|correction of article|correction:)")),
    ("retraction", re.compile(r"\b(retraction|retracted|withdrawn:|withdrawal of)\b")),
    ("comment", re.compile(r"\b(comment on|commentary on|comments on|comment:|a comment|editorial comment)\b")),
    ("reply", re.compile(r"\b(reply|in response to|authors?'? response|rejoinder|response to (the |a )?"
                         r"(letter|comment|commentary|editorial|correspondence|critique|critics))\b")),
    ("protocol", re.compile(r"\b(protocol)\b")),
    ("abstract", re.compile(r"^\s*(\[?abstract\]?\s*:|meeting abstract)")),
)
_SERIES = frozenset({"part", "pt", "phase", "type", "grade", "stage", "study", "trial", "volume", "vol"})


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


# Greek letters name receptor subtypes, drug classes and variants ('α-blockers' vs 'β-blockers',
# PPARα vs PPARγ, Delta vs Omicron): titles a letter apart are a string ratio of ~0.97, so two
# studies by one group in one journal and year were merged (acceptance testing). Spelled out or
# written as the letter, one name: databases differ ('<alpha>' in Ovid, 'alpha' in older MEDLINE).
_GREEK = dict(zip("αβγδεζηθικλμνξοπρστυφχψως",
                  ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma "
                   "tau upsilon phi chi psi omega sigma").split()))
_GREEK.update({c.upper(): name for c, name in list(_GREEK.items()) if c != "ς"})
_GREEK_CHAR = re.compile("[" + "".join(_GREEK) + "]")
_GREEK_LETTER_AT = re.compile("([" + "".join(_GREEK) + r"])(?=([^\W\d_])?)")
_GREEK_NAME = re.compile(r"(?<![a-z])(" + "|".join(sorted(set(_GREEK.values()), key=len, reverse=True))
                         + r")(?![a-z])")


def spell_greek(title: str) -> str:
    """``title`` with each Greek letter written as its name ('PPARα' -> 'PPAR alpha '), so a
    title read from a database that spells them ('PPAR-alpha') normalises to the same words.
    Folded first: a letter with a tonos ('ά') or the micro sign ('µ', NFKC's 'μ') is spelled too."""
    if title.isascii():
        return title
    title = fold_accents(title)
    if not _GREEK_CHAR.search(title):
        return title
    # a digit stays on ('β1' -> 'beta1', as 'TGF-beta1' is written), a letter does not
    return _GREEK_LETTER_AT.sub(lambda m: f" {_GREEK[m.group(1)]}" + (" " if m.group(2) else ""), title)


def greek_letters(title: str) -> frozenset[str]:
    """The Greek letters a dedup title key (lower case, letters spelled by :func:`spell_greek`)
    names: 'ppar alpha' gives {'alpha'}, 'tgf beta1' {'beta'}."""
    return frozenset(_GREEK_NAME.findall(title))


def labels_differ(a_title: str, a_tokens: frozenset[str], b_title: str, b_tokens: frozenset[str]) -> str:
    """Why two title keys (``Keys.title``, ``Keys.title_tokens``) name different things by a
    letter, or '': both name Greek letters, not
    the same ones, or each has a single letter the other lacks ('hepatitis B' vs 'hepatitis C',
    'A-blockers' vs 'B-blockers'). One title without any is no evidence (a database may drop or
    mangle the letter), and a single letter only one side has is often an 's' or an initial."""
    ga, gb = greek_letters(a_title), greek_letters(b_title)
    if ga and gb and ga != gb:
        return f"the titles name different Greek letters ({', '.join(sorted(ga))} vs {', '.join(sorted(gb))})"
    la = sorted(t for t in a_tokens - b_tokens if len(t) == 1 and "a" <= t <= "z")
    lb = sorted(t for t in b_tokens - a_tokens if len(t) == 1 and "a" <= t <= "z")
    if la and lb:
        return f"the titles differ by a letter ({', '.join(la)} vs {', '.join(lb)})"
    return ""


_YEARISH = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
# Embase indexes a letter printed with the replies to it as one record titled
# '<letter title> (multiple letters)' whose pages span all of them.
COMBINED_LETTERS = re.compile(r"(?i)\s*\(multiple letters\)")
_OPEN_ANNOTATION = re.compile(r"(?i)\[\s*(errat|comment|retract|update|republish|summary|corrected|see |expression of)")


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


# a grey-literature report's number appended to its title by one database ('Mapping approaches
# ... in Australia (Report No. 515)'): not the title's wording, and not a series number
_REPORT_NUMBER = re.compile(r"(?i)\s*[(\[]\s*(?:[a-z]+\s+){0,2}report\s*(?:no\.?|number|nr\.?|#)?\s*"
                            r"[\w./-]*\d[\w./-]*\s*[)\]]\s*\.?\s*$")


def strip_report_number(title: str) -> tuple[str, str]:
    """('Mapping approaches ...', 'report no 515') from 'Mapping approaches ... (Report No.
    515)': the title without the report number, and the number as its own key ('' when none).
    Two reports numbered differently stay two reports; one copy without the number is the same."""
    m = _REPORT_NUMBER.search(title)
    if not m or m.start() < 20:
        return title, ""
    return title[:m.start()], " ".join(re.sub(r"[^0-9a-z]+", " ", m.group(0).lower()).split())
