"""Database searches over HTTP (PubMed, OpenAlex, Europe PMC) with a PRISMA-S search log.

``run_search(review, "pubmed", "QUERY", ...)`` pages through the API, saves every raw
response under ``data/raw/<review>/searches/<timestamp>_<db>/`` and logs the search in
``<output_dir>/search_log.jsonl`` (see :mod:`screening.search.log`). ``screening run`` then
ingests the saved pages of every *complete* search via :func:`sources_for_review`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from screening.config import ReviewConfig
from screening.errors import InputError, SearchError
from screening.search import core
from screening.search.core import Progress, SearchResult
from screening.search.database import SearchOptions
from screening.search.europepmc import DATABASE as EUROPEPMC
from screening.search.log import page_id_prefix, read_search_log, read_searches
from screening.search.openalex import DATABASE as OPENALEX
from screening.search.pubmed import DATABASE as PUBMED
from screening.stages.ingest import RawSource

DATABASES: dict[str, core.Database] = {"pubmed": PUBMED, "openalex": OPENALEX, "europepmc": EUROPEPMC}
_BY_NAME = {db.name: db for db in DATABASES.values()}


def get_database(key: str) -> core.Database:
    try:
        return DATABASES[key.lower().replace(" ", "").replace("_", "")]
    except KeyError:
        raise SearchError(f"unknown database {key!r}", hint=f"choose one of: {', '.join(DATABASES)}") from None


def run_search(review: ReviewConfig | str | Path, database: str, query: str, **kwargs: Any) -> SearchResult:
    """Search ``database`` ('pubmed' | 'openalex' | 'europepmc') into ``review``.

    Keyword arguments are those of :func:`screening.search.core.run_search` (date_from,
    date_to, options, session, confirm, progress, restart).
    """
    return core.run_search(review, get_database(database), query, **kwargs)


def sources_for_review(review_config: ReviewConfig) -> list[RawSource]:
    """The saved pages of every completed search, as ingest sources (runner hook).

    Each page is checked against the sha256 logged when it was saved: raw responses are
    immutable, so a changed or missing page is an error, not something to ingest quietly.
    Records a page brought a second time (logged as ``repeated``) are left out of what is
    ingested, so a search counts each record once, as its log row says; a page that adds no
    record (the empty page of a search with no hits) is evidence only.
    """
    out = []
    for entry in read_searches(review_config):
        if entry.status != "complete":
            continue
        db = _BY_NAME.get(entry.database)
        if db is None:
            raise InputError(f"search log names an unknown database {entry.database!r}",
                             path=review_config.output_dir / "search_log.jsonl")
        for page in entry.pages:
            path = review_config.root / page.file
            if not path.is_file():
                raise InputError("saved search page is missing", path=path,
                                 hint=f"restore it, or re-run the search ({entry.database}: {entry.query})")
            source = RawSource(name=page.file, data=path.read_bytes(), database=entry.database,
                               format=db.reader, id_prefix=page_id_prefix(entry, page.page))
            if page.sha256 and source.digest.hex() != page.sha256:
                raise InputError("saved search page changed since it was saved (sha256 differs)", path=path,
                                 hint="raw search responses are immutable; restore the original file")
            if page.records == 0:
                continue
            if page.repeated:
                # the copies the run counted as repeats go (the raw file stays as received)
                source = dataclasses.replace(source, data=db.without(source.data, page.repeated))
            out.append(source)
    return out


__all__ = ["DATABASES", "Progress", "SearchOptions", "SearchResult", "get_database", "read_search_log",
           "run_search", "sources_for_review"]
