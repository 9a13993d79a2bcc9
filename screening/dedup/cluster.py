"""Groups of duplicates from pairwise links, without chaining two studies together.

Plain union-find over duplicate links is dangerous: A~B and B~C put A and C in one group even
when A and C contradict each other (a preprint linked to two different journal papers by a
generic title). Here links are applied strongest first, and two groups are only joined when no
member of one *contradicts* any member of the other (different DOI, PMID, trial-registry ids,
title numbers or publication kind, years two or more apart, print pages or issues that place
them apart, a pair a person marked distinct, or two records of an earlier search). A refused link simply leaves the record in its own group.

One contradiction is bridged: a letter and the reply to it (different publication kinds) may
share a group when the group holds Embase's '(multiple letters)' record that covers both, because
that one record is both of them (:func:`screening.dedup.compare.covers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from screening.dedup.compare import (
    covers, dois_conflict, registries_conflict, reports_differ, same_abstract_and_authors, same_identifier,
)
from screening.dedup.print_place import fields_shifted, other_pages, same_printed_item
from screening.dedup.normalise import Keys, issues_differ

# Identifier links first, so groups form on the strongest evidence. Vouched links (a person's
# 'duplicate' in dedup-review, an earlier search's own mark) come last and are not re-checked:
# made first, they would let the guards refuse each record's exact-DOI copies against the
# *other* record (different years, say), splitting off copies of the study the person joined.
# A person's links come after an earlier search's (deduplicate() applies them in a batch of
# their own, once contradicting decisions are set aside: screening/dedup/conflicts.py).
VOUCHED = ("manual", "previous")
_RULE_PRIORITY = {"doi": 0, "pmid": 0, "doi-version": 1, "previous": 9, "manual": 10}
MAX_GROUP = 50


@dataclass(frozen=True)
class Link:
    i: int
    j: int
    score: float
    rule: str


def contradicts(a: Keys, b: Keys) -> bool:
    """True when two records cannot be one publication whatever else they share."""
    if dois_conflict(a, b):
        return True
    if a.pmid and b.pmid and a.pmid != b.pmid:
        return True
    if registries_conflict(a, b):
        return True
    same_item = same_printed_item(a, b)
    # (one long abstract, authors and year: a database's title added 'A systematic review
    # protocol', as compare() links them)
    if a.kinds != b.kinds and not same_item and not same_abstract_and_authors(a, b):
        return True
    # one DOI or PMID outweighs numbers that one database writes differently ('COVID-19' vs
    # 'Coronavirus Disease 2019'), as in compare()
    if (a.numbers != b.numbers or reports_differ(a, b)) and not same_item and not same_identifier(a, b):
        return True
    if a.year and b.year and abs(a.year - b.year) >= 2 and not (a.doi and a.doi == b.doi) and not (
            a.volume and a.issue and a.volume == b.volume and a.issue == b.issue):
        return True
    # two printed items: print pages that differ (an article and a supplement's abstract of one
    # title, bridged by a copy with no issue or pages: acceptance testing), or, where neither
    # copy gives pages, issues that differ (a recurring title); one DOI or PMID outweighs them,
    # as does an export that shifted issue and volume into the pages (compare() links those).
    # Not the issue where one copy has pages: databases write one supplement's issue
    # differently ('6 Suppl 2' and 'Suppl 2', keys 6s2 and s2), and pages place it better.
    if (other_pages(a, b) or (a.issue and b.issue and issues_differ(a.issue, b.issue) and not a.first_page
                              and not b.first_page)) \
            and not same_identifier(a, b) and not fields_shifted(a, b) and not cochrane_versions(a, b):
        return True
    return False


def cochrane_versions(a: Keys, b: Keys) -> bool:
    """Two versions of one Cochrane review (``.pub2``, ``.pub3`` of one DOI): each version is
    published in an issue of its own, so their issues differ by nature, and compare() decides
    them by the review's ``cochrane_versions`` setting. The issue guard split them (from 0.17
    on, acceptance 36a: the superseded 2007 version came back to title/abstract screening)."""
    return bool(a.doi and a.doi == b.doi and a.doi_version != b.doi_version and not a.doi_container)


def _bridged(keys: Sequence[Keys], group: list[int], x: int, y: int) -> bool:
    """x and y are each the same item as one combined-letters record of the joined group."""
    return any(keys[z].combined and (z == x or covers(keys[z], keys[x]))
               and (z == y or covers(keys[z], keys[y])) for z in group)


class Grouper:
    """Guarded union-find over record rows; links are applied in batches (:meth:`apply`).

    The dedup method applies the matcher's and an earlier search's links first, then the
    duplicate decisions people stored, so that contradicting decisions can be found against the
    groups the machine made (:mod:`screening.dedup.conflicts`) before any of them is applied.

    ``refused``, if given, collects each link not made because a human 'distinct' decision
    (``cannot_link``) stands between the two groups, with that decision's pair: the person
    may have meant only the pair they saw, not to split a DOI match elsewhere.
    """

    def __init__(self, n: int, keys: Sequence[Keys], rank: np.ndarray, *, cannot_link: set[tuple[int, int]],
                 old: np.ndarray, refused: list[tuple[Link, tuple[int, int]]] | None = None) -> None:
        self.n, self.keys, self.rank = n, keys, rank
        self.cannot_link, self.old, self.refused = cannot_link, old, refused
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def group(self, x: int) -> list[int]:
        """The rows of x's group (x's root first)."""
        r = self.find(x)
        return self.members.get(r, [r])

    def apply(self, links: Iterable[Link]) -> None:
        """Apply ``links`` strongest first; a link that would join contradicting records is skipped."""
        rank, keys, old, cannot_link, refused = self.rank, self.keys, self.old, self.cannot_link, self.refused
        ordered = sorted(links, key=lambda l: (_RULE_PRIORITY.get(l.rule, 3), -l.score,
                                               min(rank[l.i], rank[l.j]), max(rank[l.i], rank[l.j])))
        for link in ordered:
            ri, rj = self.find(link.i), self.find(link.j)
            if ri == rj:
                continue
            mi, mj = self.members.get(ri, [ri]), self.members.get(rj, [rj])
            vouched = link.rule in VOUCHED
            if len(mi) + len(mj) > MAX_GROUP and not vouched:     # a person's link is not capped
                continue
            ok = True
            for x in mi:
                for y in mj:
                    pair = (x, y) if x < y else (y, x)
                    if pair in cannot_link and refused is not None:
                        refused.append((link, pair))
                    if pair in cannot_link or (not vouched and (old[x] and old[y] or (
                            contradicts(keys[x], keys[y]) and not _bridged(keys, mi + mj, x, y)))):
                        ok = False
                        break
                if not ok:
                    break
            if not ok:
                continue
            if len(mi) < len(mj):   # attach the smaller group under the larger
                ri, rj, mi, mj = rj, ri, mj, mi
            self.parent[rj] = ri
            self.members[ri] = mi + mj
            self.members.pop(rj, None)

    def roots(self) -> np.ndarray:
        """``root[i]`` is a representative row of i's group (i itself when alone)."""
        return np.array([self.find(i) for i in range(self.n)], dtype=np.int64)

