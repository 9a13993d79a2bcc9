"""Where a record sits in print: its pages, and whether two records' volume, issue and pages
place them on one printed item or on two.

Apart from :mod:`.compare` because both the pair classifier and the grouping guard
(:mod:`.cluster`) read print places, and the page arithmetic (ranges, online-first
placeholders, article numbers vs print pages, an export that shifted its fields) is one
concept of its own.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from screening.dedup.normalise import Keys


def page_span(k: Keys) -> tuple[int, int]:
    """(first, last) print page as numbers (a single page: first twice)."""
    first = int(k.first_page)
    last = int(k.last_page) if k.last_page else first
    return first, max(first, last)


def pages_agree(a: Keys, b: Keys) -> bool:
    """Same first page; or one page range inside/overlapping the other ('569' vs '567-569');
    or a one-digit typo with the same last page ('2297-2108' vs '2097-2108')."""
    if a.first_page == b.first_page:
        return True
    if a.last_page and a.last_page == b.last_page and fuzz.ratio(a.first_page, b.first_page) >= 75:
        return True
    (a1, a2), (b1, b2) = page_span(a), page_span(b)
    overlap = min(a2, b2) - max(a1, b1)
    return overlap >= 0 and (a1 == a2 or b1 == b2 or overlap >= 1)


def elocator_vs_print(a: Keys, b: Keys) -> bool:
    """BMJ-style article numbers ('c1804', 'e123') vs print pages ('1014'): two paging systems,
    neither evidence for nor against. Supplement pages ('S33') are not excused."""
    pa, pb = a.pages[:1].lower(), b.pages[:1].lower()
    return (pa.isalpha() and pa != "s" and pb.isdigit()) or (pb.isalpha() and pb != "s" and pa.isdigit())


def fields_shifted(a: Keys, b: Keys) -> bool:
    """One export lost the volume and moved the rest up a field: volume '' / issue '26' /
    pages '9' vs volume '26' / issue '9' / pages '1746' (one meeting abstract, Rathbone
    haematology). Both numbers must line up and the shifted record must carry a single page."""
    def one_way(x: Keys, y: Keys) -> bool:
        return bool(not x.volume and x.issue and x.issue == y.volume and x.first_page and not x.last_page
                    and y.issue and x.first_page == y.issue)
    return one_way(a, b) or one_way(b, a)


def placeholder_page(k: Keys) -> bool:
    """Page '1' (or '1-12'): an online-first copy numbered on its own, not its print page."""
    return k.first_page == "1"


def other_pages(a: Keys, b: Keys, *, online_first: bool = True) -> bool:
    """Both records give real print pages (no article number vs its print pages) and the pages
    differ: two printed items, whatever else they share. ``online_first``: a page '1' may be an
    online-first copy's own numbering, not evidence (False where both copies are placed in one
    issue, which an online-first copy is not: 'Part A', pp 1-8, and 'Part B', pp 9-16)."""
    if not (a.first_page and b.first_page):
        return False
    if online_first and (placeholder_page(a) or placeholder_page(b)):
        return False
    return not (pages_agree(a, b) or elocator_vs_print(a, b))


def same_printed_item(a: Keys, b: Keys) -> bool:
    """The same volume, first page and year: both records locate one printed item, whatever their
    titles say (one lacks the 'Erratum:', one is MEDLINE's translation of the other's title)."""
    return bool(a.volume and a.first_page and a.volume == b.volume and a.first_page == b.first_page
                and a.year and a.year == b.year)
