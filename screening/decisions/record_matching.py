"""Which of the review's records a text names: a foreign row's identifiers, or a mistyped id.

:class:`Matcher` finds our record for a row of another tool's export by record id, PubMed id,
DOI, then normalised title; :func:`similar_ids` guesses the ids a text that names no record
may have meant, for the "did you mean" of an error message (an import's row, `decide`).
"""

from __future__ import annotations

import re

import pandas as pd

from screening.normalize import normalize_doi, normalize_title

_SEPARATORS = re.compile(r"[\s_\-.:/]+")


def _bare(text: str) -> str:
    """An id without case or separators: 'lens49-00037' and 'LENS_49_00037' are one spelling."""
    return _SEPARATORS.sub("", text.casefold())


def similar_ids(ids: list[str], text: str, n: int = 3) -> list[str]:
    """Up to ``n`` record ids ``text`` may have meant: ids ending with it (a long id's tail is
    what people copy, e.g. 'lens_49-00045' for '20221207_gambling_harms_lens_49-00045'), else
    containing it (first as typed, then ignoring separators: 'lens49-00045'), else the closest
    spellings. Only computed for an error message."""
    text = text.strip()
    if not text:
        return []
    bare = [_bare(r) for r in ids]
    for key, keys in ((text.casefold(), [r.casefold() for r in ids]), (_bare(text), bare)):
        if not key:
            continue
        for fits in (lambda r: r == key, lambda r: r.endswith(key), lambda r: key in r):
            found = [r for r, f in zip(ids, keys) if fits(f)]
            if found:
                return found[:n]
    return _closest(ids, bare, _bare(text), n)


def _closest(ids: list[str], bare_ids: list[str], bare: str, n: int) -> list[str]:
    """The ids spelled most like ``bare`` (ids and text as :func:`_bare` gives them), only
    those tied for the best.

    Compared without separators and, for a text shorter than an id, with the id's tail of the
    same length (people copy tails): a raw edit distance on whole ids ranks a short typed tail
    by how long each id is, not by what it says. At least three quarters must agree."""
    from rapidfuzz import fuzz

    if not bare:
        return []
    scored = []
    for rid, b in zip(ids, bare_ids):
        score = max(fuzz.ratio(bare, b), fuzz.ratio(bare, b[-len(bare):]) if len(b) > len(bare) else 0.0)
        if score >= 75:
            scored.append((score, rid))
    if not scored:
        return []
    best = max(s for s, _ in scored)
    return [rid for s, rid in scored if s == best][:n]


class Matcher:
    """Find our record_id for a foreign row by id, pmid, DOI, then normalised title."""

    def __init__(self, records: pd.DataFrame) -> None:
        self.ids = set(records["record_id"])
        self.pmid = {p: r for p, r in zip(records.get("pmid", []), records["record_id"]) if p}
        self.doi = {normalize_doi(d): r for d, r in zip(records.get("doi", []), records["record_id"]) if d}
        self.title: dict[str, str] = {}
        for t, r in zip(records.get("title", []), records["record_id"]):
            key = normalize_title(t)
            if key:
                self.title.setdefault(key, r)

    def match(self, *, record_id: str = "", pmid: str = "", doi: str = "", title: str = "") -> str:
        if record_id and record_id in self.ids:
            return record_id
        if pmid and pmid.strip() in self.pmid:
            return self.pmid[pmid.strip()]
        if doi and normalize_doi(doi) in self.doi:
            return self.doi[normalize_doi(doi)]
        key = normalize_title(title)
        return self.title.get(key, "") if key else ""
