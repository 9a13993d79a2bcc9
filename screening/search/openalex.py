"""OpenAlex ``/works``: full-text ``search=`` (or a raw ``filter=``), cursor paging.

Cursor paging (``cursor=*``, then ``meta.next_cursor``) is OpenAlex's only way past 10,000
results, and the cursor after each page is exactly what a resume needs. Since February 2026
OpenAlex needs an API key for more than a few test requests a day (without one the daily
budget is $0.01); ``mailto`` still identifies us. Its errors are its own: 403 means requests
came too fast, 429 that the day's budget is spent (developers.openalex.org/api-reference/errors).
Publication-date limits become ``from_publication_date`` / ``to_publication_date`` filters.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from screening.errors import SearchError
from screening.search._json import iso_date, load_json
from screening.search.database import CursorPaged, Page, SearchOptions
from screening.search.http import RETRY_STATUSES, SEARCH_RESUMES, HttpPolicy, PoliteClient

DEFAULT_BATCH = 100     # OpenAlex documents per-page 1-100; more is accepted only when asked
MAX_BATCH = 200
_BUDGET_WORDS = re.compile(r"(?i)daily|per day|budget|credits|quota|insufficient")
_KEY_HINT = ("get a free API key at openalex.org/settings/api and pass --api-key (or set OPENALEX_API_KEY); "
             + SEARCH_RESUMES)


def _budget_spent(response: requests.Response, said: str) -> str:
    """A 429 that says the day's budget is used up: no retry within minutes can help."""
    remaining = response.headers.get("X-RateLimit-Remaining-USD", response.headers.get("X-RateLimit-Remaining"))
    try:
        spent = remaining is not None and float(remaining) <= 0
    except ValueError:
        spent = False
    if response.status_code == 429 and (spent or _BUDGET_WORDS.search(said)):
        return "OpenAlex's daily request budget is used up"
    return ""


POLICY = HttpPolicy(
    retry_statuses=RETRY_STATUSES | {403},      # OpenAlex's 403 is its per-second rate limit
    hints={
        403: "OpenAlex answers 403 when requests come too fast (its rate limit): wait a minute and re-run the "
             "same command to resume; if it persists, check the API key (--api-key / OPENALEX_API_KEY)",
        429: "the budget resets at midnight UTC; without an API key it allows only a few requests a day: "
             + _KEY_HINT,
    },
    final=_budget_spent,
)


class OpenAlex(CursorPaged):
    key = "openalex"
    name = "OpenAlex"
    interface = "OpenAlex API"
    reader = "openalex_json"
    suffix = ".json"
    env_url = "SCREENING_OPENALEX_URL"
    default_url = "https://api.openalex.org/"
    http_policy = POLICY

    def rate(self, options: SearchOptions) -> float:
        return 10.0

    def _params(self, query: str, limits: dict[str, str], options: SearchOptions, cursor: str) -> dict[str, Any]:
        filters = []
        params: dict[str, Any] = {}
        if query.startswith("filter="):
            filters.append(query[len("filter="):])
        else:
            params["search"] = query
        if limits.get("from"):
            filters.append(f"from_publication_date:{iso_date(limits['from'], end=False)}")
        if limits.get("to"):
            filters.append(f"to_publication_date:{iso_date(limits['to'], end=True)}")
        if filters:
            params["filter"] = ",".join(filters)
        params["per-page"] = str(options.page_size(DEFAULT_BATCH, MAX_BATCH))
        if options.email:
            params["mailto"] = options.email
        if options.api_key:
            params["api_key"] = options.api_key
        params["cursor"] = cursor
        return params

    def _page(self, client: PoliteClient, base_url: str, query: str, limits: dict[str, str],
              options: SearchOptions, cursor: str) -> Page:
        url = base_url + "works"
        body = client.get(url, self._params(query, limits, options, cursor)).content
        where = client.redact(url) + f" (cursor={cursor[:24]})"
        data = load_json(body, self.name, where)
        meta, results = data.get("meta"), data.get("results")
        if not isinstance(meta, dict) or not isinstance(results, list) or not isinstance(meta.get("count"), int):
            raise SearchError("unexpected OpenAlex response: no meta.count / results list", path=where,
                              hint="is the base URL the OpenAlex API (…/works)?")
        ids = []
        for i, work in enumerate(results):
            if not isinstance(work, dict) or not isinstance(work.get("id"), str):
                raise SearchError(f"unexpected OpenAlex response: result {i} has no id", path=where)
            ids.append(work["id"])
        next_cursor = meta.get("next_cursor")
        # only the cursor's own end here, a missing next cursor: an empty page whose cursor goes on
        # is not the end (run_search refuses it unless the records are all in). The run also stops
        # at a short page once it holds the latest meta.count (the index is live: counts change)
        end = "" if next_cursor else \
            ("paging ended: an empty page with no next cursor" if not results else "paging ended: no next cursor")
        return self._cursor_page(body, ids, next_cursor or "", end, total=meta["count"],
                                 asked=options.page_size(DEFAULT_BATCH, MAX_BATCH))

    def _records(self, data: dict[str, Any]) -> list[Any]:
        return data.get("results") or []

    def _set_records(self, data: dict[str, Any], records: list[Any]) -> None:
        data["results"] = records

    def _rid(self, record: dict[str, Any]) -> str:
        return record.get("id", "")


DATABASE = OpenAlex()
