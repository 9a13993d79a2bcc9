"""Run one database search into a review: page through the API, save raw pages, log, resume.

The per-database modules (:mod:`pubmed`, :mod:`openalex`, :mod:`europepmc`) only know their
API's shape (the protocol they implement is in :mod:`.database`); this module owns everything
common, so every database gets the same guarantees:

* raw responses are saved under ``data/raw/<review>/searches/<timestamp>_<db>/`` as
  ``page-0001.xml|json`` ..., atomically, and never overwritten;
* a page is validated (parsed, counted) *before* it is saved, so a malformed response saves
  nothing and raises :class:`SearchError`;
* each saved page is logged with the paging position after it, so re-running the same
  command (same database + query + limits) continues an interrupted search from the last
  completed page — records already saved are never fetched into a second file;
* a record a later page brings again (cursor pages can overlap) is skipped and counted
  (``repeated`` in the log), whether or not the search was interrupted in between;
* cursor APIs report a hit count with every page, and a live index changes it while we page:
  paging follows the cursor to its end (or a short page once the latest count is reached),
  every change is logged (``total_changes``) and warned about, and ``total`` is the highest
  count reported, so records the index lost meanwhile are not silently dropped;
* a search whose paging ends before the reported total completes *with a shortfall*: the
  records the service did serve are kept and ingested, and the log row, the result and the
  CLI say how many were not retrieved and why (Europe PMC's hitCount routinely exceeds what
  its cursor serves, so refusing to finish would block the search for good);
* more hits than ``max_records`` needs an explicit confirmation;
* a search the log already holds as complete (same database, query, limits and result-set
  parameters) is refused unless ``again`` says the re-run is deliberate: run twice, its
  records would be counted twice in the PRISMA flow;
* an interrupted search resumes only through the base URL it started with: the log records
  one interface (``base_url``) per search, and no page says which one served it.

Where the raw pages go and how secrets are masked in them is :mod:`.raw_pages`'s; the date
limits are checked by :mod:`.date_limits`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import requests

from screening import __version__
from screening.atomic_files import atomic_write_bytes
from screening.config import ReviewConfig, load_review
from screening.errors import SearchError
from screening.search.date_limits import check_limits
from screening.search.http import STARTS_INSTEAD, Attempt, PoliteClient, redact
from screening.search.database import Database, Page, SearchOptions
from screening.search.log import (
    PageEntry, SearchEntry, append_event, completed_row, fold, journal_path, log_path, page_fields,
    read_searches,
)
from screening.search.raw_pages import (
    REDACTED_VALUE, new_raw_dir, redact_bytes, redact_obj, review_relative, save_page,
)
from screening.search.rerun import check_base_url, check_not_done, resumable


@dataclass
class SearchResult:
    entry: SearchEntry
    resumed: bool
    pages_saved: int            # in this run
    records_saved: int          # in this run
    raw_dir: Path
    log_path: Path

    @property
    def shortfall(self) -> int:
        """Records the service reported but did not serve (0 for a search served in full)."""
        return self.entry.shortfall

    @property
    def warnings(self) -> list[str]:
        """The service's query warnings, repeats skipped and any shortfall, in words (also logged)."""
        return self.entry.warnings


@dataclass
class Progress:
    page: int
    records_so_far: int
    total: int
    file: str


def resolve_base_url(db: Database, options: SearchOptions) -> str:
    url = options.base_url or os.environ.get(db.env_url, "") or db.default_url
    return url.rstrip("/") + "/"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def run_search(review: ReviewConfig | str | Path, db: Database, query: str, *,
               date_from: str = "", date_to: str = "", options: SearchOptions | None = None,
               session: requests.Session | None = None, client: PoliteClient | None = None,
               confirm: Callable[[int, int], bool] | None = None,
               progress: Callable[[Progress], None] | None = None,
               on_attempt: Callable[[Attempt], None] | None = None,
               restart: bool = False, again: bool = False) -> SearchResult:
    """Search ``db`` for ``query`` into ``review``: save every page, log it, resume if interrupted.

    ``confirm(total, ceiling)`` is asked when the service reports more than
    ``options.max_records`` hits; without it such a search fails with a hint to pass --yes.
    ``restart`` abandons an interrupted search of the same query and starts afresh.
    A search the review's log already holds as complete is refused (:class:`SearchError`)
    unless ``again``: a deliberate re-run (an update search, a re-run after a service fix),
    logged with ``repeat_of``. An interrupted search resumes whatever ``again`` says, and only
    through the base URL it started with (else :class:`SearchError`; ``restart`` starts it
    afresh through the new one).
    ``on_attempt`` sees every HTTP attempt (URL redacted), e.g. to show retries.
    """
    review = review if isinstance(review, ReviewConfig) else load_review(review)
    options = (options or SearchOptions()).with_defaults(review.search)
    query = query.strip()
    if not query:
        raise SearchError("the query is empty", hint='give the search string in quotes, e.g. "asthma AND budesonide"')
    limits = check_limits(date_from, date_to)
    if not options.timeout > 0:
        raise SearchError(f"a timeout of {options.timeout:g} s would fail every request",
                          hint="give the seconds to wait for each response, more than 0 (default 60)")
    secrets = tuple(s for s in (options.api_key,) if s)
    base_url = resolve_base_url(db, options)
    if client is None:
        contact = f" (mailto:{options.email})" if options.email else ""
        client = PoliteClient(session=session or requests.Session(), rate=db.rate(options), secrets=secrets,
                              timeout=options.timeout, max_retries=options.max_retries, backoff=options.backoff,
                              user_agent=f"screening/{__version__}{contact}", on_attempt=on_attempt,
                              policy=db.http_policy)
    logfile = log_path(review)

    logged = read_searches(review)          # read once: resume and the repeat check both need it
    entry = resumable(logged, db, query, limits)
    if entry is not None and not restart:
        check_base_url(db, entry, redact(base_url, secrets))
    repeat_of = ""
    if entry is None or restart:
        # a new search: not one already complete, unless deliberately (a restarted search
        # that was itself a deliberate re-run stays one)
        repeat_of = check_not_done(logged, db, query, limits, options,
                                    again=again or bool(entry is not None and entry.repeat_of))
    if entry is not None and restart:
        append_event(journal_path(review, entry.search_id), {"event": "abandoned", "search_id": entry.search_id,
                                                             "date": _now().strftime("%Y-%m-%dT%H:%M:%SZ")})
        entry = None
    resumed = entry is not None
    pages_saved = records_saved = 0
    pending: Page | None = None         # a page already fetched (cursor APIs: the first one)
    if entry is None:
        try:
            begin = db.begin(client, base_url, query, limits, options)
        except SearchError as err:
            raise _nothing_started(err) from None
        if begin.total > options.max_records:
            if confirm is None:
                raise SearchError(
                    f"{db.name} reports {begin.total:,} records, more than the ceiling of {options.max_records:,}",
                    hint="narrow the query, raise --max-records, or pass --yes to fetch them all")
            if not confirm(begin.total, options.max_records):
                raise SearchError(f"cancelled: {begin.total:,} records is above the ceiling", hint="narrow the query")
        when = _now()
        sid, raw_dir = new_raw_dir(review, db, when)
        raw_dir.mkdir(parents=True, exist_ok=False)
        for name, data in begin.extra_files.items():
            atomic_write_bytes(raw_dir / name, redact_bytes(data, secrets))
        start = {
            "event": "start", "search_id": sid, "database": db.name, "interface": db.interface,
            "query": query, "limits": limits, "date_run": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "started": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "tool_version": f"screening {__version__}", "raw_dir": review_relative(review, raw_dir),
            "base_url": redact(base_url, secrets), "params": redact_obj(begin.params, secrets),
            "total": begin.total, "state": begin.state, "details": begin.details,
            "warnings": [redact(w, secrets) for w in begin.warnings], "record_ids": "search",
            **({"repeat_of": repeat_of} if repeat_of else {}),
        }
        append_event(journal_path(review, sid), start)
        entry = fold([start])[0]
        position: dict[str, Any] = {}
        pending = begin.first_page
        done = begin.total == 0 and pending is None
    else:
        raw_dir = review.root / entry.raw_dir
        # a search started by an older version, resumed: it was never ingested (only complete
        # ones are), so its records can still take ids named after it -- else, completing, it
        # would take the file-name ids of a search that completed meanwhile, renaming them all
        entry.record_ids = "search"
        position = entry.pages[-1].next if entry.pages else {}
        done = bool(position.get("done"))

    # Every record saved so far, kept current as pages are saved: a record served again by a
    # later page (overlapping cursor pages, or a result set that moved during an interruption)
    # is skipped and counted the same way whether or not the search was resumed in between.
    seen: set[str] = set()
    for p in entry.pages:
        seen.update(db.page_ids((review.root / p.file).read_bytes()))
    end = str(position.get("end") or "")
    cursors = {str(p.next.get("cursor")) for p in entry.pages if p.next.get("cursor")}
    refreshed = False
    while not done:
        if pending is not None:
            page, pending = pending, None
        else:
            try:
                page = db.fetch(client, base_url, entry, position, options)
            except ExpiredState:
                if refreshed:
                    raise
                # what the old history listed before this point: the records saved, and those
                # it listed but could not return (missing)
                listed = seen | {i for p in entry.pages for i in p.missing}
                state = db.refresh(client, base_url, entry, options, position=position, saved=listed)
                append_event(journal_path(review, entry.search_id),
                             {"event": "restate", "search_id": entry.search_id, "state": state})
                entry.state = dict(state or {})
                refreshed = True
                continue
        end = str(page.next.get("end") or "")
        number = len(entry.pages) + 1
        # a live index (cursor APIs) changes its count between pages: the latest one decides
        # when the records are all in, the highest stays the total (see SearchEntry.total_changes)
        changed = page.total is not None and entry.change_total(number, page.total)
        if not page.records and not page.missing:
            if not page.done and entry.records < entry.latest_total:
                # the cursor goes on but the page is empty: a fault at the service, not the end
                # (taken as the end, the search completed short, for good: re-running is refused)
                raise SearchError(
                    f"{db.name} returned an empty page before the end of its results ({entry.records:,} of "
                    f"{entry.latest_total:,} records saved, and its cursor goes on); nothing was saved for it",
                    path=entry.raw_dir, hint="re-run the same command to retry from this page")
            if entry.pages:
                # an empty last page (cursor APIs) ends the search; nothing to save (an empty
                # *first* page is saved: for a search with no hits it is the evidence)
                break
        repeated, fresh = _split_repeats(page.ids, seen)
        # the cursor's own end, or a short page once the records reach the latest count (a full
        # page there may still be followed by records the index gained meanwhile)
        done = page.done or (page.short and entry.records + len(fresh) >= entry.latest_total)
        cursor = page.next.get("cursor")
        if not done and ((page.ids and not fresh and not page.missing) or (cursor and cursor in cursors)):
            # a page of records already saved, or a cursor seen before: paging no longer
            # advances, and following it would save the same page forever
            end = ("its paging stopped advancing (a page held only records already saved)" if not fresh
                   else "its cursor came back to an earlier position")
            page = replace(page, next={**page.next, "end": end}, done=True)
            done = True
        if cursor:
            cursors.add(cursor)
        pe = save_page(review, entry, raw_dir, number, page, db, secrets, repeated=repeated, done=done,
                       total=page.total if changed else None)
        _log_page(review, entry, pe)
        seen.update(page.ids)
        pages_saved += 1
        records_saved += pe.records
        position = pe.next
        _notify(progress, entry, pe)

    entry.shortfall = max(0, entry.total - entry.records)
    entry.warnings = entry.warnings + _end_warnings(db, entry, end)
    entry.date_completed = _now().strftime("%Y-%m-%dT%H:%M:%SZ")
    append_event(logfile, completed_row(entry, entry.date_completed))     # the PRISMA-S record
    entry.status = "complete"
    return SearchResult(entry=entry, resumed=resumed, pages_saved=pages_saved, records_saved=records_saved,
                        raw_dir=raw_dir, log_path=logfile)


def _nothing_started(err: SearchError) -> SearchError:
    """``err`` from a search's first request, its hint saying that re-running starts the search
    (the hints speak of resuming, right from the second request on: http.STARTS_INSTEAD)."""
    hint = err.hint or ""
    for resume, start in STARTS_INSTEAD.items():
        hint = hint.replace(resume, start)
    if hint == (err.hint or ""):
        return err
    return SearchError(err.message, path=err.path, line=err.line, record=err.record, hint=hint)


def _split_repeats(ids: list[str], seen: set[str]) -> tuple[list[str], list[str]]:
    """(ids already saved — or repeated within this page —, ids new to the search), in page order."""
    repeated, fresh, here = [], [], set()
    for i in ids:
        (repeated if i in seen or i in here else fresh).append(i)
        here.add(i)
    return repeated, fresh


def _end_warnings(db: Database, entry: SearchEntry, end: str) -> list[str]:
    """What a person must know about how the search ended, in words (logged and shown)."""
    out = []
    if entry.total_changes:
        steps = ", ".join(f"{c['to']:,} at page {c['page']}" for c in entry.total_changes)
        out.append(f"{db.name}'s hit count changed while the search paged through it (its index was updated "
                   f"meanwhile): {entry.total_changes[0]['from']:,} at the start, {steps}. The search followed "
                   f"{db.name}'s paging to its end and saved {entry.records:,} records; the log's total is the "
                   f"highest count reported ({entry.total:,})")
    if entry.records > entry.total:
        # a count that stayed put while records came and went: more served than ever reported
        out.append(f"{db.name} served {entry.records:,} distinct records, more than the {entry.total:,} it reported: "
                   "its index gained records during the search (and lost others)")
    if entry.repeated:
        first = next(i for p in entry.pages for i in p.repeated)
        out.append(f"{db.name} served {entry.repeated:,} record(s) a second time on a later page (e.g. {first}); "
                   "each was saved once and the repeats skipped")
    missing = [i for p in entry.pages for i in p.missing]
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        out.append(f"{db.name} listed {len(missing):,} record(s) it then did not return (deleted or withdrawn "
                   f"since the search ran?): {shown}")
    if entry.shortfall:
        fell = entry.latest_total < entry.total
        why = end or ("records it listed are no longer available" if missing else
                      f"its count fell to {entry.latest_total:,} during the search" if fell else "")
        out.append(f"{db.name} reported {entry.total:,} records but served {entry.records:,}"
                   f"{f' ({why})' if why else ''}: {entry.shortfall:,} not retrieved. The search is complete "
                   "with that shortfall; the same command with --again searches again later, as a new search")
    return out


class ExpiredState(Exception):
    """Raised by a database's ``fetch`` when its saved server-side state (WebEnv) has expired."""


def _log_page(review: ReviewConfig, entry: SearchEntry, pe: PageEntry) -> None:
    append_event(journal_path(review, entry.search_id),
                 {"event": "page", "search_id": entry.search_id, **page_fields(pe), "next": pe.next,
                  **({"total": pe.total} if pe.total is not None else {})})     # a resume needs the count
    entry.pages.append(pe)


def _notify(progress: Callable[[Progress], None] | None, entry: SearchEntry, pe: PageEntry) -> None:
    if progress is not None:
        progress(Progress(page=pe.page, records_so_far=entry.records, total=entry.total, file=pe.file))


# check_limits and REDACTED_VALUE are re-exported: they were defined here before they had
# modules of their own
__all__ = ["REDACTED_VALUE", "ExpiredState", "Progress", "SearchResult", "check_limits", "resolve_base_url",
           "run_search"]
