"""Which of the review's records a text names: a foreign row's identifiers, or a mistyped id.

:class:`Matcher` finds our record for a row of another tool's export by record id, PubMed id,
DOI, then normalised title; :func:`similar_ids` guesses the ids a text that names no record
may have meant, for the "did you mean" of an error message (an import's row, `decide`).
"""

from __future__ import annotations

import re
from typing import Callable

import pandas as pd

from screening.normalize import clip, normalize_doi, normalize_title
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
    refuses. An identifier that two kept records share (an erratum and its article, say, or an
    undecided possible-duplicate pair) names neither: the row falls through to the next
    identifier, and :meth:`unmatched_hint` says which records shared it.

    An id of ours is taken as it is (``record_id=``); an id in another tool's file
    (``foreign_ids=``) only when the row's DOI or title agree with the record it names:
    ASReview LAB numbers records itself from 0, which in a review with numeric ids names
    another record (acceptance testing: every decision landed one record over)."""

    def __init__(self, records: pd.DataFrame) -> None:
        ids = records["record_id"].astype(str).tolist()
        self.ids = set(ids)
        dup = records["duplicate_of"].tolist() if "duplicate_of" in records.columns else [""] * len(ids)
        kept = [cell_text(d) or r for r, d in zip(ids, dup)]
        # identifier kind -> value -> the kept records two or more of which share it
        self.shared: dict[str, dict[str, list[str]]] = {}

        def column(name: str) -> list[object]:
            return records[name].tolist() if name in records.columns else [""] * len(ids)

        def keys(name: str, key: Callable[[str], str]) -> list[str]:
            return [key(t) if (t := cell_text(v)) else "" for v in column(name)]

        def index(name: str, values: list[str]) -> dict[str, str]:
            found: dict[str, set[str]] = {}
            for text, k in zip(values, kept):
                if text:
                    found.setdefault(text, set()).add(k)
            self.shared[name] = {t: sorted(ks) for t, ks in found.items() if len(ks) > 1}
            return {t: next(iter(ks)) for t, ks in found.items() if len(ks) == 1}

        dois, titles = keys("doi", normalize_doi), keys("title", normalize_title)
        self.pmid = index("pmid", keys("pmid", str))
        self.doi = index("doi", dois)
        self.title = index("title", titles)
        self._doi_of = dict(zip(ids, dois))
        self._title_of = dict(zip(ids, titles))
        self._records = records             # for an error message's title (unmatched_hint)

    def agrees(self, record_id: str, *, doi: str = "", title: str = "") -> bool:
        """Whether a row's DOI or title agree with our record ``record_id`` (or the row has
        neither, or the record neither, to compare): either agreeing is enough, as one
        database's DOI or title may differ from another's for one study."""
        from rapidfuzz import fuzz

        checks = []
        mine_doi, mine_title = self._doi_of.get(record_id, ""), self._title_of.get(record_id, "")
        theirs_doi = normalize_doi(doi) if doi else ""
        theirs_title = normalize_title(title) if title else ""
        if theirs_doi and mine_doi:
            checks.append(theirs_doi == mine_doi)
        if theirs_title and mine_title:
            checks.append(theirs_title == mine_title or fuzz.ratio(theirs_title, mine_title) >= 90)
        return not checks or any(checks)

    def match(self, *, record_id: str = "", foreign_ids: tuple[str, ...] = (), pmid: str = "",
              doi: str = "", title: str = "") -> str:
        if record_id and record_id in self.ids:
            return record_id
        for rid in foreign_ids:
            if rid and rid in self.ids and self.agrees(rid, doi=doi, title=title):
                return rid
        if pmid and pmid.strip() in self.pmid:
            return self.pmid[pmid.strip()]
        if doi and normalize_doi(doi) in self.doi:
            return self.doi[normalize_doi(doi)]
        key = normalize_title(title)
        return self.title.get(key, "") if key else ""

    def unmatched_hint(self, *, foreign_ids: tuple[str, ...] = (), pmid: str = "", doi: str = "",
                       title: str = "") -> str:
        """Why :meth:`match` found no record for a foreign row, and what to do."""
        for kind, name, value in (("PubMed id", "pmid", pmid.strip()), ("DOI", "doi", normalize_doi(doi) if doi else ""),
                                  ("title", "title", normalize_title(title) if title else "")):
            shared = self.shared[name].get(value) if value else None
            if shared:
                return (f"its {kind} matches {len(shared)} records of this review ({', '.join(shared[:4])}), so it "
                        "names none of them: if they are copies of one study (an undecided possible-duplicate "
                        "pair), decide the pair with `screening dedup-review --pair`; else give the row another "
                        "identifier (DOI, PubMed id)")
        for rid in foreign_ids:
            if rid and rid in self.ids:
                titles = self._records.loc[self._records["record_id"].astype(str) == rid, "title"] \
                    if "title" in self._records.columns else []
                title = cell_text(titles.iloc[0]) if len(titles) else ""
                return (f"its record_id {rid!r} is one of this review's ids, but that record's DOI and title differ "
                        f"(it is {clip(title, 50)!r}): the file's ids are another tool's "
                        "numbering (ASReview LAB numbers records from 0), and its DOI and title match no record here")
        return "its PubMed id, DOI and title match no record of this review"
