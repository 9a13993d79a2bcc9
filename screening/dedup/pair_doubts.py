"""What plainly tells two records apart, checked before a scripted 'duplicate' answer is stored.

A scripted 'duplicate' answer (``--pair A B --duplicate``) on two records the matcher neither
linked nor queued is checked first: a typo in an id used to merge two unrelated studies, and a
false merge hides a study from screening. When the matcher's own comparisons show the records
evidently differ (:func:`evident_differences`) nothing is stored unless the person insists
(``force``, ``--force``). Its own module because the test is the matcher's comparisons read the
other way round (:mod:`screening.dedup.compare`), with its own threshold, and holds no state of
the queue.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from screening.dedup.compare import DISTINCT, author_agreement, compare, dois_conflict
from screening.dedup.print_place import same_printed_item
from screening.dedup.normalise import Keys

# Title similarity, on the matcher's scale (rapidfuzz ratio of the normalised titles, 0..1), below
# which two titles are plainly not one title. The matcher calls titles below 0.85 different and
# links two wordings of one printed article down to 0.75; two unrelated titles of the labelled
# sets score 0.39 (median) and about 95% of them below 0.5, while the lowest true duplicate pair
# that does not locate one printed item scores 0.58 (MIS Quarterly's 'Editor's Comments' with
# and without its subtitle). Translated titles of one article score lower (0.46) but share the
# volume, first page and year, which excuses the titles (same_printed_item).
UNLIKE_TITLES = 0.5
# Below this the matcher never links two wordings of one article on the titles' strength; a pair
# this far apart whose authors also differ, or whose DOIs or PMIDs differ, is two works (one-topic
# searches give unrelated titles of 0.5-0.75: 'Emerging treatment strategies for COVID-19
# infection' vs 'Pharmacological treatment of COVID-19: an opinion paper', 0.51).
REWORDED_TITLES = 0.75


def evident_differences(a: Keys, b: Keys, titles: tuple[str, str] = ("", "")) -> list[str]:
    """What plainly tells two records apart, in the matcher's own comparisons (compare.py):
    titles less than :data:`UNLIKE_TITLES` alike, DOIs that conflict, years two or more apart.

    Only when the matcher calls the pair distinct: a pair it links or asks a person about is a
    hard case, not evidently two works (the same title under a data set's DOI and its article's,
    one registrant's; the year of a DBLP copy two years off its Crossref copy, same volume and
    issue). ``titles``: as the records give them, for the message (default: the normalised)."""
    if compare(a, b).outcome != DISTINCT:
        return []
    out = []
    # one printed item (volume, first page, year) under two titles is MEDLINE's bracketed
    # translation, or a title a database rewrote: not two works
    if a.title and b.title and not same_printed_item(a, b):
        similarity = fuzz.ratio(a.title, b.title) / 100.0
        also = _other_differences(a, b) if UNLIKE_TITLES <= similarity < REWORDED_TITLES else []
        if similarity < UNLIKE_TITLES or also:
            shown = (_quote(raw or norm) for raw, norm in zip(titles, (a.title, b.title)))
            out.append(f"titles differ (similarity {similarity:.2f}): {' vs '.join(shown)}")
            out.extend(also)
    # as in the matcher, only two DOIs of one registrant conflict: two registrants' DOIs are
    # often one article's (JSTOR's 10.2307/... and the publisher's)
    if dois_conflict(a, b):
        out.append(f"DOIs differ: {a.doi} vs {b.doi}")
    # one year apart is an online-first copy and its print issue; two or more apart the matcher
    # calls two works (a conference abstract and its article, the same title in a later year)
    if a.year and b.year and abs(a.year - b.year) >= 2:
        out.append(f"years differ: {a.year} vs {b.year}")
    return out


def _other_differences(a: Keys, b: Keys) -> list[str]:
    """What else tells two records with rather different titles apart: authors with no name in
    common, different DOIs (any registrants: with titles this far apart, not one article's two
    DOIs) or different PMIDs (two PubMed records)."""
    out = []
    agreement = author_agreement(a, b)
    if agreement is not None and agreement < 0.25:
        out.append(f"authors differ: {_authors(a)} vs {_authors(b)}")
    if a.doi and b.doi and a.doi != b.doi and not dois_conflict(a, b):   # a conflict is said below
        out.append(f"DOIs differ: {a.doi} vs {b.doi}")
    if a.pmid and b.pmid and a.pmid != b.pmid:
        out.append(f"PMIDs differ: {a.pmid} vs {b.pmid}")
    return out


def _authors(k: Keys) -> str:
    names = ", ".join(k.families[:3])
    return names + (" et al." if len(k.families) > 3 else "")


def _quote(title: str, limit: int = 100) -> str:
    title = " ".join(title.split())
    return f"'{title if len(title) <= limit else title[:limit] + '…'}'"
