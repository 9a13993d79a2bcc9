"""The same search run again: resumed when the log holds it interrupted, refused when it holds it
complete (unless the re-run is deliberate).

Why apart from running a search (:mod:`screening.search.core`): these read only the search log,
before any request. A search run twice would count its records twice in the PRISMA flow, so
:func:`check_not_done` refuses it unless ``again``; an interrupted one is continued
(:func:`resumable`), and only through the base URL it started with (:func:`check_base_url`),
since the pages do not record which interface served them.
"""

from __future__ import annotations

import re

from screening.errors import SearchError
from screening.search.database import Database, SearchOptions
from screening.search.log import SearchEntry, search_key


def resumable(logged: list[SearchEntry], db: Database, query: str, limits: dict[str, str]) -> SearchEntry | None:
    """The latest interrupted run of this search in the log (same database, query and limits),
    if there is one."""
    key = search_key(db.name, query, limits)
    running = [e for e in logged if e.key == key and e.status == "running"]
    return running[-1] if running else None


def check_base_url(db: Database, entry: SearchEntry, base_url: str) -> None:
    """Refuse to resume ``entry`` through another base URL than the one it started with.

    The log records one interface per search (``base_url``) and the pages do not record which
    one served them: resumed elsewhere, the later pages would be credited to the first URL.
    """
    if entry.base_url and entry.base_url.rstrip("/") != base_url.rstrip("/"):
        raise SearchError(
            f"the interrupted {db.name} search {entry.search_id} started through {entry.base_url}, "
            f"not {base_url}: a search is resumed through the base URL it started with",
            hint=f"resume it through {entry.base_url} (--base-url, or {db.env_url}), or pass --restart to "
                 f"start it afresh through {base_url}")


def check_not_done(logged: list[SearchEntry], db: Database, query: str, limits: dict[str, str],
                   options: SearchOptions, *, again: bool) -> str:
    """The id of the latest completed search identical to this one ("" if none), or, unless
    ``again``, a :class:`SearchError`: a search run twice counts its records twice in PRISMA.

    Identical: same database, exact query, date limits and :meth:`Database.scope` (e.g. Europe
    PMC's ``synonym``). Not the base URL (the same database through a mirror finds the same
    records), the page size or ``max_records`` (a ceiling to confirm, not a cut).
    """
    key, scope = search_key(db.name, query, limits), db.scope(options)
    done = [e for e in logged
            if e.status == "complete" and e.key == key and db.scope_of(e) == scope]
    if not done:
        return ""
    last = done[-1]
    if again:
        return last.search_id
    served = f"{last.records:,} records" + (f" of the {last.total:,} it reported" if last.shortfall else "")
    before = f" (and {len(done) - 1} time(s) before that)" if len(done) > 1 else ""
    raise SearchError(
        f"this {db.name} search is already complete in the review's search log: search {last.search_id}, "
        f"run on {_when(last.date_run)}, returned {served}{before}",
        hint="running it again would count its records twice in the PRISMA flow; to record a deliberate "
             "re-run (an update search, a re-run after a service fix), pass --again")


def _when(stamp: str) -> str:
    """'2026-11-21T10:30:00Z' -> '2026-11-21 10:30 UTC'."""
    m = re.match(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})", stamp)
    return f"{m.group(1)} {m.group(2)} UTC" if m else stamp
