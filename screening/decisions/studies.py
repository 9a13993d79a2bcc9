"""Reports grouped into studies: PRISMA 2020 counts both.

A trial reported in a journal article, a conference abstract and a registry entry is one
*study* with three *reports*. Deduplication cannot tell: the records differ in title, year and
often authors, and each is screened on its own. At full text the team says so with a
``link_study`` event: record R is a report of the study that record S reports
(``payload.study`` = S). Like every judgement it is appended to the decision log, never
overwritten: a record's latest link stands, and a link to ``""`` ends it.

Links chain (R -> S, S -> T puts all three in one study); a study is a connected group of
linked records, named by its first record id (sorted as the record ids sort). PRISMA's
*studies included* is the number of groups with an included report; *reports of included
studies* the number of included records.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

from screening.decisions.entries import event_payload
from screening.decisions.visibility import Viewer, visible_entries
from screening.disjoint_sets import DisjointSets

ACTION = "link_study"


def study_links(entries: pd.DataFrame | None) -> dict[str, str]:
    """Each record's standing link: the study record its latest ``link_study`` event names
    (records whose latest link ended it are left out)."""
    if entries is None or not len(entries):
        return {}
    links = entries[entries["action"] == ACTION].sort_values("id", kind="stable")
    out: dict[str, str] = {}
    for rid, payload in zip(links["record_id"].astype(str), links["payload"]):
        out[rid] = str(event_payload(str(payload or "")).get("study", "") or "").strip()
    return {r: s for r, s in out.items() if s and s != r}


def visible_links(entries: pd.DataFrame, viewer: Viewer) -> pd.DataFrame:
    """The events of the records that have a link event, as ``viewer`` may see them: all a
    study grouping reads. A link's visibility depends only on its own record's events, so the
    rest of the log need not go through :func:`visible_entries`, which costs about a second on
    a 20,000-event log (per key press in a session, per row in an import, before)."""
    if entries is None or not len(entries):
        return entries
    linked = set(entries.loc[entries["action"] == ACTION, "record_id"])
    return visible_entries(entries[entries["record_id"].isin(linked)], viewer)


def sort_key(record_id: str) -> tuple[int, int | str]:
    # numeric ids sort as numbers (2 before 10), as in the records table
    return (0, int(record_id)) if record_id.isdigit() else (1, record_id)


def study_of(links: Mapping[str, str] | Iterable[tuple[str, str]], ids: Iterable[str] = ()) -> dict[str, str]:
    """Record id -> its study's name (the group's first record id), for every record in a
    link (a mapping, or (record, record) pairs) and every id in ``ids`` (a record without
    links is its own study)."""
    # the smaller id (as record ids sort) names the group, whatever order the links came in
    sets: DisjointSets[str] = DisjointSets(key=sort_key)
    sets.union_all((str(a), str(b)) for a, b in (links.items() if isinstance(links, Mapping) else links))
    for rid in ids:
        sets.find(str(rid))
    return sets.names()


def current_links(links: Mapping[str, str], records: pd.DataFrame | None,
                  allowed: Iterable[str]) -> list[tuple[str, str]]:
    """The links that still join two records in play: each end mapped to the record dedup
    kept (a link to a copy that became a duplicate is a link to the kept copy), and only links
    whose both ends are in ``allowed`` (the records at full text, say). A link whose end left
    (excluded at title/abstract, a rule, a removed record) no longer groups anything."""
    kept: dict[str, str] = {}
    if records is not None and "duplicate_of" in records.columns:
        dup = records["duplicate_of"].fillna("").astype(str).str.strip()
        kept = dict(zip(records["record_id"].astype(str)[dup != ""], dup[dup != ""]))
    allowed = set(allowed)
    out: list[tuple[str, str]] = []
    for a, b in links.items():
        a, b = kept.get(a, a), kept.get(b, b)
        if a != b and a in allowed and b in allowed:
            out.append((a, b))
    return out


def groups(entries: pd.DataFrame | None, records: pd.DataFrame | None, allowed: Iterable[str],
           ids: Iterable[str]) -> dict[str, str]:
    """:func:`study_of` for ``ids`` by the standing links of ``entries`` that still join two
    ``allowed`` records (:func:`current_links`)."""
    return study_of(current_links(study_links(entries), records, allowed), ids)


def study_counts(included: Iterable[str], links: Mapping[str, str] | Iterable[tuple[str, str]],
                 known: Iterable[str] = ()) -> tuple[int, int, int]:
    """(studies, studies with several reports, reports of a known study) among the ``included``
    reports, leaving out the studies of the ``known`` records (counted elsewhere: the previous
    version of an updated review)."""
    included, known = [str(r) for r in included], [str(k) for k in known]
    group = study_of(links, included + known)
    old = {group[k] for k in known}
    per_study = pd.Series([group[r] for r in included], dtype=object).value_counts()
    new = per_study[~per_study.index.isin(old)]
    return len(new), int((new > 1).sum()), int(per_study[per_study.index.isin(old)].sum())


def count_studies(report_ids: Iterable[str], links: Mapping[str, str] | Iterable[tuple[str, str]]) -> int:
    """The number of studies ``report_ids`` are reports of."""
    return study_counts(report_ids, links)[0]

