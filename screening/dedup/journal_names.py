"""Journal names as dedup compares them: the name variants one field holds, and whether two
fields may name the same journal, abbreviations and all.

'J Clin Oncol', 'Journal of clinical oncology : official journal of ASCO' and 'JAMA' for
'Journal of the American Medical Association' are each one journal to a person; the comparison
here says so without a hand-typed list of abbreviations. Its own module because the matcher
(:mod:`screening.dedup.compare`) and the merge of a group's kept record
(:mod:`screening.dedup.merge`) both ask it, not only the keys (:mod:`screening.dedup.normalise`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from screening.normalize import normalize_title

_JOURNAL_STOP = frozenset({"of", "the", "and", "in", "for", "on", "a", "an", "de", "la", "le", "der", "und", "fur",
                           "d", "l", "et", "des", "du", "y", "e", "del", "di"})   # 'Annales ... d'anesthesie et de ...'


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
