"""Which of the review's records a text names: a foreign row's identifiers, or a mistyped id.

:class:`Matcher` finds our record for a row of another tool's export by record id, PubMed id,
DOI, then normalised title; :func:`similar_ids` guesses the ids a text that names no record
may have meant, for the "did you mean" of an error message (an import's row, `decide`).
"""

from __future__ import annotations

import re
from typing import Callable

import pandas as pd

from screening.normalize import normalize_doi, normalize_title
from screening.record_marks import cell_text

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
    """Find our record_id for a foreign row by id, pmid, DOI, then normalised title.

    A row matched by an identifier (pmid, DOI, title) names a *study*, so it resolves to the
    copy kept for screening (``duplicate_of``'s target), whichever database's copy carries
    the identifier: another tool (Rayyan, ASReview) screened one copy of each study, and
    matching the first or last row that has the DOI landed on a duplicate, which an import
    refuses. An identifier that two kept records share (an erratum and its article, say)
    names neither: the row falls through to the next identifier. A ``record_id`` is ours and
    is taken as it is."""

    def __init__(self, records: pd.DataFrame) -> None:
        ids = records["record_id"].astype(str).tolist()
        self.ids = set(ids)
        dup = records["duplicate_of"].tolist() if "duplicate_of" in records.columns else [""] * len(ids)
        kept = [cell_text(d) or r for r, d in zip(ids, dup)]

        def index(values: list[object], key: Callable[[str], str]) -> dict[str, str]:
            found: dict[str, set[str]] = {}
            for v, k in zip(values, kept):
                text = cell_text(v)
                text = key(text) if text else ""
                if text:
                    found.setdefault(text, set()).add(k)
            return {t: next(iter(ks)) for t, ks in found.items() if len(ks) == 1}

        def column(name: str) -> list[object]:
            return records[name].tolist() if name in records.columns else [""] * len(ids)

        self.pmid = index(column("pmid"), str)
        self.doi = index(column("doi"), normalize_doi)
        self.title = index(column("title"), normalize_title)

    def match(self, *, record_id: str = "", pmid: str = "", doi: str = "", title: str = "") -> str:
        if record_id and record_id in self.ids:
            return record_id
        if pmid and pmid.strip() in self.pmid:
            return self.pmid[pmid.strip()]
        if doi and normalize_doi(doi) in self.doi:
            return self.doi[normalize_doi(doi)]
        key = normalize_title(title)
        return self.title.get(key, "") if key else ""
