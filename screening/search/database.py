"""What a database module implements for :mod:`.core` to page through it: the options of a
search, a validated page, the first response (:class:`Begin`), the :class:`Database` protocol,
and :class:`CursorPaged`, the shared implementation of the cursor-paged JSON APIs (OpenAlex,
Europe PMC). Nothing here does I/O of its own: the databases' calls go through the client
:mod:`.core` hands them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from screening.config import SearchConfig
from screening.search._json import load_json
from screening.search.http import HttpPolicy, PoliteClient
from screening.search.log import SearchEntry


@dataclass
class SearchOptions:
    """Everything about *how* to search that is not the query itself."""

    # email and max_records left empty/0, and batch_size left None, take the review's [search]
    # settings (batch_size 0 is an explicit choice: the database's default page size)
    email: str = ""                 # NCBI 'email' / OpenAlex 'mailto' (polite pool)
    api_key: str = field(default="", repr=False)   # NCBI/OpenAlex key; never shown or saved
    tool: str = "screening"         # NCBI 'tool'
    base_url: str = ""              # overrides the env variable and the default
    batch_size: int | None = None   # 0 = the database's default
    max_records: int = 0            # ask before fetching more (0 = the review's, default 10,000)
    timeout: float = 60.0
    max_retries: int = 5
    backoff: float = 1.0
    synonym: bool = False           # Europe PMC: expand synonyms, as its website does (API default: off)

    def page_size(self, default: int, most: int) -> int:
        """Records per request: ``batch_size`` (or the database's ``default``), at most ``most``."""
        return max(1, min(self.batch_size or default, most))

    def with_defaults(self, review: SearchConfig) -> "SearchOptions":
        """These options with the review's ``[search]`` settings filling what was not given."""
        batch = review.batch_size if self.batch_size is None else self.batch_size
        return replace(self, email=self.email or review.email, batch_size=batch,
                       max_records=self.max_records or review.max_records)


@dataclass
class Page:
    """One validated API response page."""

    body: bytes
    records: int
    next: dict[str, Any]            # paging position after this page ("end": why paging stops here)
    done: bool                      # no page after this one
    ids: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)    # ids the result set lists that the page lacks
    # cursor APIs report the hit count with every page, and a live index changes it while we page
    total: int | None = None
    # fewer records than asked for: the cursor's last page, once the records reach the latest count
    short: bool = False


@dataclass
class Begin:
    total: int
    state: dict[str, Any]                       # resume state (e.g. NCBI WebEnv)
    params: dict[str, Any]                      # request parameters as sent (for the log)
    first_page: Page | None = None              # cursor APIs return records with the count
    extra_files: dict[str, bytes] = field(default_factory=dict)   # e.g. esearch.xml
    details: dict[str, Any] = field(default_factory=dict)         # e.g. query translation
    warnings: list[str] = field(default_factory=list)             # the service's words about the query


class Database(Protocol):
    key: str                # 'pubmed'
    name: str               # 'PubMed' (source_db and PRISMA label)
    interface: str          # PRISMA-S 'interface'
    reader: str             # reader that parses the saved pages
    suffix: str             # '.xml' / '.json'
    env_url: str            # env variable overriding the base URL
    default_url: str
    http_policy: HttpPolicy  # what its HTTP statuses mean (retry, hints)

    def rate(self, options: SearchOptions) -> float: ...

    def scope(self, options: SearchOptions) -> dict[str, str]:
        """The request parameters, besides the query and its date limits, that change which
        records a search returns (Europe PMC: ``synonym``), named and valued as logged in
        ``params``: two searches are the same search only if these agree too."""
        ...

    def scope_of(self, entry: SearchEntry) -> dict[str, str]:
        """:meth:`scope` of a logged search, as it started."""
        ...

    def begin(self, client: PoliteClient, base_url: str, query: str, limits: dict[str, str],
              options: SearchOptions) -> Begin: ...

    def fetch(self, client: PoliteClient, base_url: str, entry: SearchEntry, position: dict[str, Any],
              options: SearchOptions) -> Page: ...

    def refresh(self, client: PoliteClient, base_url: str, entry: SearchEntry, options: SearchOptions, *,
                position: dict[str, Any], saved: set[str]) -> dict[str, Any] | None:
        """New resume state when the saved one expired (:class:`~.core.ExpiredState`), checked to
        name the same result set up to ``position``, where the ids ``saved`` were listed; else
        a :class:`SearchError` asking for --restart."""
        ...

    def page_ids(self, body: bytes) -> list[str]: ...

    def without(self, body: bytes, repeated: list[str]) -> bytes:
        """A saved page without the copies its log entry lists as ``repeated`` (for ingesting
        a page with repeats; see :func:`kept_copies`)."""
        ...


def kept_copies(ids: list[Any], repeated: list[str]) -> list[bool]:
    """Which records of a page to ingest: an id listed n times in the page's ``repeated`` loses
    its last n copies there (a record an earlier page saved loses all of them; one served twice
    on this page only keeps its first), exactly what the run counted when it saved the page."""
    drop: dict[str, int] = {}
    for rid in repeated:
        drop[rid] = drop.get(rid, 0) + 1
    keep = [True] * len(ids)
    for i in range(len(ids) - 1, -1, -1):
        if drop.get(ids[i], 0):
            drop[ids[i]] -= 1
            keep[i] = False
    return keep


class CursorPaged:
    """Shared by the cursor-paged JSON APIs (OpenAlex ``cursor``, Europe PMC ``cursorMark``):
    a page is fetched from the cursor saved after the previous one, and there is no server-side
    session to refresh. Subclasses provide ``_params(query, limits, options, cursor)`` and
    ``_page(client, base_url, query, limits, options, cursor) -> Page``, whose ``done`` says only
    that the cursor has ended and whose ``total`` is the count that response reported (the run
    also stops at a short page once it holds that many records)."""

    http_policy = HttpPolicy()

    def begin(self, client: PoliteClient, base_url: str, query: str, limits: dict[str, str],
              options: SearchOptions) -> Begin:
        """The first page (from cursor ``*``) and the total; the logged parameters omit the key.

        The first page is kept even when empty: for a search with no hits it is the evidence.
        """
        page = self._page(client, base_url, query, limits, options, "*")  # type: ignore[attr-defined]
        params = {k: v for k, v in self._params(query, limits, options, "*").items()  # type: ignore[attr-defined]
                  if k != "api_key"}
        return Begin(total=page.total or 0, state={}, params=params, first_page=page, details=self._details(params))

    def _details(self, params: dict[str, Any]) -> dict[str, Any]:
        """Extra facts for the search log (Europe PMC: the query with its date limits)."""
        return {}

    def scope(self, options: SearchOptions) -> dict[str, str]:
        return {}

    def scope_of(self, entry: SearchEntry) -> dict[str, str]:
        return {}

    def fetch(self, client: PoliteClient, base_url: str, entry: SearchEntry, position: dict[str, Any],
              options: SearchOptions) -> Page:
        return self._page(client, base_url, entry.query, entry.limits,  # type: ignore[attr-defined]
                          self._as_started(entry, options), position.get("cursor") or "*")

    def _as_started(self, entry: SearchEntry, options: SearchOptions) -> SearchOptions:
        """Options for a later page: what changes the result set must be as the search started."""
        return options

    def refresh(self, client: PoliteClient, base_url: str, entry: SearchEntry, options: SearchOptions, *,
                position: dict[str, Any], saved: set[str]) -> None:
        return None

    # the records of a parsed response and each one's id (subclasses: where the API puts them)
    def _records(self, data: dict[str, Any]) -> list[Any]:
        raise NotImplementedError

    def _set_records(self, data: dict[str, Any], records: list[Any]) -> None:
        raise NotImplementedError

    def _rid(self, record: dict[str, Any]) -> str:
        raise NotImplementedError

    def _cursor_page(self, body: bytes, ids: list[str], cursor: str, end: str, *, total: int, asked: int) -> Page:
        """A page from a cursor response: ``end`` (non-empty) says why the cursor ends here,
        ``total`` is the count the response reported, ``asked`` the page size requested."""
        return Page(body=body, records=len(ids), ids=ids, next={"cursor": cursor, **({"end": end} if end else {})},
                    done=bool(end), total=total, short=len(ids) < asked)

    def page_ids(self, body: bytes) -> list[str]:
        data = load_json(body, self.name, "saved page")  # type: ignore[attr-defined]
        return [self._rid(r) for r in self._records(data) if isinstance(r, dict)]

    def without(self, body: bytes, repeated: list[str]) -> bytes:
        data = load_json(body, self.name, "saved page")  # type: ignore[attr-defined]
        records = self._records(data)
        keep = kept_copies([self._rid(r) if isinstance(r, dict) else None for r in records], repeated)
        self._set_records(data, [r for r, k in zip(records, keep) if k])
        return json.dumps(data, ensure_ascii=False).encode("utf-8")
