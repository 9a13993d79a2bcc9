"""Pairwise comparison: is this candidate pair the same publication? duplicate / distinct / maybe.

The rules are written to fail safe. A merge loses a study from the review, so every
*duplicate* verdict needs positive evidence on several fields and no contradiction; anything
that looks alike but carries one contradiction the data cannot explain becomes *maybe* (a
person decides), and the classic look-alikes are *distinct* outright:

- a different number in the title ('Part I' vs 'Part II', 'Trial 2'), unless the DOI or PMID is
  the same (different Greek letters, or a letter each, 'hepatitis B' vs 'C': *maybe* at most);
- a different kind of publication (erratum, retraction, comment, reply, protocol, abstract);
- different DOIs or PMIDs (exports rarely carry a wrong identifier), or different trial-registry
  ids (two registry records of one sponsor's trials, titles a word apart);
- years two or more apart, different volumes or first pages, or journals that are not
  abbreviations of each other (conference abstract vs the journal paper; same title in
  another journal).
"""

from __future__ import annotations

from typing import Collection, Iterable, NamedTuple

from rapidfuzz import fuzz

from screening.dedup.journal_names import journals_compatible
from screening.dedup.normalise import Keys, abstracts_match, issues_differ
from screening.dedup.title_keys import labels_differ
from screening.dedup.print_place import (
    elocator_vs_print, fields_shifted, other_pages, page_span, pages_agree, placeholder_page, same_printed_item,
)

DUPLICATE, DISTINCT, MAYBE = "duplicate", "distinct", "maybe"


# words a title needs before an identical title, authors and journal can suggest the same
# article across a year and a volume (a recurring column's title is short and generic)
DISTINCTIVE_TITLE_WORDS = 10
# words an identical title needs, in one year, to be asked about when a record has no authors
# ('Editorial', 'Letter to the editor' recur everywhere and are not)
NAMELESS_TITLE_WORDS = 6


class Verdict(NamedTuple):
    outcome: str      # duplicate | distinct | maybe
    score: float      # 0..1, higher = more alike
    rule: str         # which rule decided: doi, pmid, title+authors+year, ...
    reason: str       # short, for people ('pages differ: 288 vs 301')


def author_agreement(a: Keys, b: Keys) -> float | None:
    """Share of the shorter author list found in the longer one (family names), ``None`` when a
    list is missing; 0 when the first authors clearly differ. A list written 'Given, Family I'
    is also read the other way round (``Keys.alt_families``); the better reading counts."""
    if not a.families or not b.families or a.corporate or b.corporate:
        return None
    best = _family_agreement(a.families, b.families)
    if best < 0.5:
        for fa, fb in ((a.alt_families, b.families), (a.families, b.alt_families)):
            if fa and fb:
                best = max(best, _family_agreement(fa, fb))
    return best


def _family_agreement(af: tuple[str, ...], bf: tuple[str, ...]) -> float:
    fa, fb = af[0], bf[0]
    if fa != fb and fuzz.ratio(fa, fb) < 80 and not (
            fa.startswith(fb) or fb.startswith(fa) or fa.endswith(fb) or fb.endswith(fa)):
        # first author may be dropped/moved in one export: accept only a strong overlap below
        first_ok = False
    else:
        first_ok = True
    sa, sb = set(af[:12]), set(bf[:12])
    short, long_ = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    hits = _found_in(short, long_)
    overlap = hits / len(short) if short else 0.0
    if not first_ok:
        return overlap * 0.5
    return max(overlap, 0.5 if len(short) == 1 or overlap >= 0.25 else 0.34)


def _found_in(names: Iterable[str], others: Collection[str]) -> int:
    """How many of ``names`` are in ``others``, exactly or spelled alike (one typo, an accent)."""
    return sum(1 for f in names if f in others or any(fuzz.ratio(f, g) >= 85 for g in others))


def dois_conflict(a: Keys, b: Keys) -> bool:
    """Different DOIs from the same registrant mean different items. Different registrants
    ('10.2307/...' JSTOR vs '10.25300/...' publisher) are often two DOIs of one article."""
    if not (a.doi and b.doi) or a.doi == b.doi:
        return False
    return a.doi.split("/", 1)[0] == b.doi.split("/", 1)[0]


def registries_conflict(a: Keys, b: Keys) -> bool:
    """Both records name trial-registry ids and none is shared: different registered trials,
    however alike the titles (a sponsor registers sister trials under near-identical titles)."""
    return bool(a.registry and b.registry and not a.registry & b.registry)


def same_identifier(a: Keys, b: Keys) -> bool:
    """An exact shared DOI (the same version, not a supplement's container DOI) or PMID: stronger
    evidence than the numbers in the titles ('COVID-19' vs 'Coronavirus Disease 2019', a
    chapter number '21 Health Effects...' that one database keeps in the title)."""
    same_doi = bool(a.doi and a.doi == b.doi and a.doi_version == b.doi_version and not a.doi_container)
    return same_doi or bool(a.pmid and a.pmid == b.pmid)


def same_author_list(a: Keys, b: Keys) -> bool | None:
    """The same authors in the same order, one list possibly cut short (an export that keeps the
    first few); ``None`` when a list is missing. Stricter than :func:`author_agreement`, which
    finds 'Chen, Wang, Liang' inside 'Chen, Wang, Yan, Wang, Liang'."""
    if not a.families or not b.families:
        return None
    return all(x == y or fuzz.ratio(x, y) >= 85 for x, y in zip(a.families, b.families))


def printed_apart(a: Keys, b: Keys, t: float) -> bool:
    """Two records under one DOI that the pages say are two printed items: different start pages
    (both real print pages, not an online-first placeholder or an article number) and the titles
    not near-identical or the author lists different. A meeting supplement's DOI given to two
    abstracts of one group on pages 51 and 52 (ASySD set) is not evidence they are one; an
    online-first copy and its print issue (same title and authors) still are."""
    return other_pages(a, b) and (t < 0.97 or same_author_list(a, b) is False)


def title_contains(a: Keys, b: Keys, min_words: int = 1) -> bool:
    """One title holds the other (the shorter, of at least 20 characters and ``min_words``
    words, matches part of the longer at partial_ratio >= 95)."""
    shorter, longer = sorted((a.title, b.title), key=len)
    return len(shorter) >= 20 and len(shorter.split()) >= min_words and fuzz.partial_ratio(shorter, longer) >= 95


def covers(container: Keys, item: Keys) -> bool:
    """``container`` is Embase's '(multiple letters)' record of a letter printed together with the
    replies to it, and ``item`` is one of those letters or replies as another database indexes it:
    same journal, volume and year; the item's pages inside the container's range; its title the
    container's (a trailing 'Reply' aside); every one of its authors among the container's."""
    if not container.combined or item.combined:
        return False
    if not (container.year and container.year == item.year and container.volume
            and container.volume == item.volume and container.first_page and item.first_page):
        return False
    if container.issue and item.issue and issues_differ(container.issue, item.issue):
        return False
    if container.journal and item.journal and not journals_compatible(container.journal, item.journal):
        return False
    if dois_conflict(container, item) or (container.pmid and item.pmid and container.pmid != item.pmid):
        return False
    (c1, c2), (i1, i2) = page_span(container), page_span(item)
    if not (c1 <= i1 and i2 <= c2 and c2 > c1):
        return False
    if not title_contains(container, item):
        return False
    if not item.families or not container.families:
        return False
    return _found_in(item.families, container.families) == len(item.families)


def same_abstract_and_authors(a: Keys, b: Keys) -> bool:
    """The same whole long abstract, the same year and authors, one title inside the other, no
    identifier saying otherwise, and 'protocol' the only kind between them: a conference
    abstract, a retraction notice or an erratum may repeat its article's abstract and stays
    another publication."""
    if not (a.year and a.year == b.year and abstracts_match(a.abstract, b.abstract)):
        return False
    if (a.kinds ^ b.kinds) - {"protocol"} or a.numbers != b.numbers or reports_differ(a, b):
        return False
    if dois_conflict(a, b) or (a.pmid and b.pmid and a.pmid != b.pmid) or not title_contains(a, b, min_words=3):
        return False
    auth = author_agreement(a, b)
    return auth is not None and auth >= 0.66


def reports_differ(a: Keys, b: Keys) -> bool:
    """Both titles end in a report number, and not the same one ('(Report No. 1)', '(No. 2)')."""
    return bool(a.report and b.report and a.report != b.report)


def compare(a: Keys, b: Keys, *, cochrane_versions: str = "duplicate") -> Verdict:
    """Classify one candidate pair. Symmetric: ``compare(a, b) == compare(b, a)``."""
    verdict = _compare(a, b, cochrane_versions=cochrane_versions)
    if verdict.outcome == DUPLICATE and verdict.rule != "combined-letters" and not same_identifier(a, b):
        # titles a letter apart ('α-' vs 'β-blockers') and alike in all else may be two studies
        # of one group: a person decides (a shared DOI or PMID says one record, as for numbers)
        differ = labels_differ(a.title, a.title_tokens, b.title, b.title_tokens)
        if differ:
            return Verdict(MAYBE, verdict.score, verdict.rule, f"{verdict.reason}, but {differ}")
    return verdict


def _compare(a: Keys, b: Keys, *, cochrane_versions: str = "duplicate") -> Verdict:
    if a.combined != b.combined and (covers(a, b) or covers(b, a)):
        # the combined record *is* this letter (or reply) too, so the two are one item; a letter
        # and its reply end up in one group only through such a record (see cluster.py)
        return Verdict(DUPLICATE, 0.95, "combined-letters",
                       "Embase '(multiple letters)' record covering this item: pages inside its range, "
                       "authors among its authors")
    if registries_conflict(a, b):
        return Verdict(DISTINCT, 0.0, "registry", "trial registry ids differ: "
                       + ", ".join(sorted(a.registry)) + " vs " + ", ".join(sorted(b.registry)))
    same_item = same_printed_item(a, b)
    if a.kinds != b.kinds and not same_item:
        # an erratum/comment/reply is printed on other pages than its article; the same volume,
        # page and year means both records describe one printed item (one lacks the 'Erratum:')
        if same_abstract_and_authors(a, b):
            # one database's title adds 'A systematic review protocol' to the other's: the same
            # long abstract says one publication (a protocol and its review never share one)
            return Verdict(DUPLICATE, round(0.9 * fuzz.ratio(a.title, b.title) / 100.0 + 0.1, 4),
                           "title+authors+abstract", "same abstract, authors and year; one title contains the other")
        return Verdict(DISTINCT, 0.0, "kind", "publication kinds differ: "
                       + ", ".join(sorted(a.kinds ^ b.kinds)))
    has_titles = bool(a.title and b.title)
    t = fuzz.ratio(a.title, b.title) / 100.0 if has_titles else 0.0
    same_doi = bool(a.doi and a.doi == b.doi)
    apart = same_doi and printed_apart(a, b, t)
    if (a.numbers != b.numbers or reports_differ(a, b)) and not same_item and not (same_identifier(a, b) and not apart):
        return Verdict(DISTINCT, 0.0, "series", "numbers in titles differ (Part I/II...)")
    auth: float | None = None      # author agreement: computed once, only past the cheap exits
    auth_known = False

    # 1. identifiers
    if same_doi and not apart:
        if a.doi_version != b.doi_version:
            if cochrane_versions == "distinct":
                return Verdict(DISTINCT, t, "doi-version", "different versions of a Cochrane review")
            outcome = DUPLICATE if cochrane_versions == "duplicate" and (t >= 0.9 or not has_titles) else MAYBE
            return Verdict(outcome, t, "doi-version", "versions of one Cochrane review (.pubN)")
        if not has_titles or t >= 0.8:
            return Verdict(DUPLICATE, 1.0, "doi", "same DOI")
        if not a.doi_container:
            return Verdict(MAYBE, t, "doi", "same DOI but different titles (erratum or comment sharing a DOI?)")
        # a supplement's DOI on two different abstracts: no evidence either way, the other rules decide
    # (so do they for two printed items under one DOI: pages 51 and 52, see printed_apart)
    if a.pmid and a.pmid == b.pmid:
        if not has_titles or t >= 0.8:
            return Verdict(DUPLICATE, 1.0, "pmid", "same PMID")
        return Verdict(MAYBE, t, "pmid", "same PMID but different titles")
    same_issue = bool(a.volume and a.issue and a.volume == b.volume and a.issue == b.issue
                      and journals_compatible(a.journal, b.journal))
    if has_titles and t < 0.95 and (same_item or same_issue):
        # one title carries a prefix/suffix the other lacks ('MEDICAL PROGRESS ...', 'SIM
        # Competition Paper - ...', a truncated subtitle): accept only when one title's words
        # are all in the other and the authors and the journal issue agree
        auth, auth_known = author_agreement(a, b), True
        # ... and the pages do not place them apart: two articles of one issue by one group
        # ('... asthma in adults', pp 100-110; '... in adults during pregnancy', pp 111-120) are
        # two printed items (acceptance testing: merged, no pair queued)
        if auth is not None and auth >= 0.66 and not dois_conflict(a, b) and title_contains(a, b, min_words=3) \
                and not other_pages(a, b, online_first=not same_issue):
            if a.year == b.year:
                return Verdict(DUPLICATE, round(0.9 * t + 0.1, 4), "title+authors+pages",
                               "one title contains the other; same authors, issue/pages and year")
            return Verdict(MAYBE, round(0.9 * t, 4), "fuzzy", "one title contains the other; years differ")
        same_range = same_item and a.last_page and a.last_page == b.last_page and a.last_page != a.first_page \
            and a.year == b.year and a.journal and b.journal and journals_compatible(a.journal, b.journal)
        translated = a.translated != b.translated
        if same_range and ((auth is not None and auth >= 0.99 and (t >= 0.75 or translated))
                           or (auth is None and translated and t >= 0.75)):
            # same journal, volume, year and full page range: one printed article under two titles
            # (a subtitle rewritten by the database; or MEDLINE's bracketed English translation vs
            # the original-language title, where the wording may share few words but the authors
            # are identical, or one list is missing and the titles still agree)
            return Verdict(DUPLICATE, round(0.9 * t + 0.1, 4), "title+authors+pages",
                           "same authors, journal, volume and page range; titles worded differently")
        if translated and same_issue and same_item and not same_range and auth is not None and auth >= 0.99 \
                and not dois_conflict(a, b) and not other_pages(a, b, online_first=False):
            # MEDLINE's bracketed translation and the original-language title, where an export
            # gives only the first page: the same authors, issue and start page, but without the
            # page range too little to link; a person decides (it was neither linked nor queued)
            return Verdict(MAYBE, round(0.9 * t + 0.1, 4), "title+authors+pages",
                           "a translated title: same authors, journal, issue and first page")
    if not has_titles or t < 0.85:
        return Verdict(DISTINCT, t, "title", "titles differ")
    if not auth_known:
        auth = author_agreement(a, b)
    if t >= 0.97 and a.year and a.year == b.year and fields_shifted(a, b) and a.journal and b.journal \
            and journals_compatible(a.journal, b.journal) and (auth or 0.0) >= 0.99 \
            and not dois_conflict(a, b):
        return Verdict(DUPLICATE, round(t, 4), "title+authors+pages",
                       "same title, authors, journal and year; volume/issue/page shifted by one field")

    # 2. fuzzy evidence
    ydiff = abs(a.year - b.year) if a.year and b.year else None
    conflicts: list[str] = []
    support = 0
    if dois_conflict(a, b):
        conflicts.append("DOIs differ")
    if a.pmid and b.pmid and a.pmid != b.pmid:
        conflicts.append("PMIDs differ")
    if ydiff is not None and ydiff >= 1:
        conflicts.append(f"years differ: {a.year} vs {b.year}")
    if a.volume and b.volume:
        if a.volume == b.volume:
            support += 1
        else:
            conflicts.append(f"volumes differ: {a.volume} vs {b.volume}")
    pages_equal = False
    if a.first_page and b.first_page:
        if pages_agree(a, b):
            support += 1
            pages_equal = True
        elif not elocator_vs_print(a, b):
            conflicts.append(f"pages differ: {a.pages} vs {b.pages}")
    if a.journal and b.journal:
        if journals_compatible(a.journal, b.journal):
            support += 1
        else:
            conflicts.append("journals differ")
    if a.registry & b.registry:     # one registered trial: supports, never enough alone
        support += 1
    if a.issue and b.issue:
        if a.issue == b.issue:
            support += 1
        elif not pages_equal and issues_differ(a.issue, b.issue):
            # recurring titles ('Editor's Comments') differ only by issue; with equal pages an
            # issue mismatch is a data error (some exports put a record number there)
            conflicts.append(f"issues differ: {a.issue} vs {b.issue}")
    # the same printed item (volume, page, year) with one author list garbled ('Brismar, Wendel S'
    # vs 'Wendel, S B'): a partial author overlap is enough
    lenient = same_item and t >= 0.97 and auth is not None and auth >= 0.25
    if auth is not None and auth < 0.34 and not lenient:
        conflicts.append("authors differ")
    auth_ok = auth is not None and (auth >= 0.5 or lenient)
    score = round(0.6 * t + 0.25 * (auth if auth is not None else 0.5) + 0.15 * min(support, 3) / 3, 4)

    if not conflicts and ydiff == 0:
        if t >= 0.95 and auth_ok and support >= 1:
            return Verdict(DUPLICATE, score, "title+authors+year", "title, authors, year and source agree")
        if t >= 0.9 and auth_ok and support >= 2:
            return Verdict(DUPLICATE, score, "title+authors+year", "title, authors, year and source agree")
        if t >= 0.97 and auth is None and support >= 2:
            return Verdict(DUPLICATE, score, "title+year+source", "title, year, journal/volume/pages agree")
    if conflicts == ["journals differ"] and ydiff == 0 and t >= 0.95 and auth_ok \
            and a.volume and a.first_page and support >= 2:
        # journal named differently (translation, publisher's form) but same volume and pages
        return Verdict(DUPLICATE, score, "title+authors+pages", "same volume and pages; journal named differently")
    if conflicts == [f"years differ: {a.year} vs {b.year}"] and ydiff == 1 and t >= 0.95 and auth_ok \
            and a.volume and a.first_page and support >= 2:
        # online-first vs print issue: same volume and pages, year off by one
        return Verdict(DUPLICATE, score, "title+authors+pages", "same volume and pages; year off by one")
    if ydiff and t >= 0.95 and auth_ok and same_issue and set(conflicts) <= {f"years differ: {a.year} vs {b.year}", "DOIs differ"} \
            and not (a.doi and b.doi):
        # same journal volume and issue: the year is wrong in one export (DBLP vs Crossref)
        return Verdict(DUPLICATE, score, "title+authors+issue", "same volume and issue; years differ in the exports")
    hard = [c for c in conflicts if c.startswith(("DOIs", "PMIDs", "authors"))]
    if a.preprint != b.preprint and t >= 0.95 and auth_ok and (ydiff or 0) <= 2 and \
            not (a.pmid and b.pmid and a.pmid != b.pmid):
        # a preprint and its journal article: two reports of one study (PRISMA 2020), whatever
        # their DOIs, years and pages say; a person decides whether the review counts them
        # apart (link them as one study at full text) or the preprint as a copy
        return Verdict(MAYBE, score, "preprint", "a preprint and a journal article with the same title and "
                       "authors: two reports of one study?")
    if ydiff is not None and ydiff >= 2:
        return Verdict(DISTINCT, score, "year", conflicts[0] if conflicts else "years differ")
    if hard and not (t >= 0.98 and auth_ok and len(conflicts) == 1):
        return Verdict(DISTINCT, score, "conflict", "; ".join(conflicts))
    if (ydiff == 1 and t >= 0.97 and auth is not None and auth >= 0.5 and not hard
            and len(a.title.split()) >= DISTINCTIVE_TITLE_WORDS
            and a.journal and b.journal and journals_compatible(a.journal, b.journal)
            and (not a.first_page or not b.first_page or placeholder_page(a) != placeholder_page(b))
            and all(c.startswith(("years differ", "volumes differ", "issues differ", "pages differ"))
                    for c in conflicts)):
        # An online-first record (no pages yet, EBSCO's 'N.PAG', or CENTRAL's page '1') is often
        # filed under the year and volume it went online, the print copy a year and a volume on:
        # the same title and authors in the same journal then conflict on the fields that all
        # moved together.
        # Too weak to link, too strong to drop: a person decides (UAT, gambling-harms review).
        # Only for a long title: a column an editor writes every year ('Editor's Comments',
        # MIS Quarterly) matches the same way, and 79 such pairs of one journal were queued.
        return Verdict(MAYBE, score, "fuzzy", "; ".join(conflicts) + "; one copy has no print pages (online first?)")
    if len(conflicts) >= 2:
        return Verdict(DISTINCT, score, "conflict", "; ".join(conflicts))
    # a registry record's only 'author' is its trial id: the same id stands in for the authors
    if t >= 0.9 and ((auth is not None and auth >= 0.34) or (auth is None and a.registry & b.registry)):
        why = "; ".join(conflicts) if conflicts else "similar, but too little evidence to be sure"
        return Verdict(MAYBE, score, "fuzzy", why)
    if auth is None and not conflicts and ydiff == 0 and t >= 0.98 and len(a.title.split()) >= NAMELESS_TITLE_WORDS:
        # the same title and year where an export gives no authors (labelled sets, some
        # conference records): too little to link, but a person should see it (acceptance
        # testing, 65k records: 4,449 such groups were neither linked nor queued)
        return Verdict(MAYBE, score, "fuzzy", "same title and year; no authors to compare")
    return Verdict(DISTINCT, score, "fuzzy", "; ".join(conflicts) or "too little in common")
