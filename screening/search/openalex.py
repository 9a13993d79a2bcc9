"""OpenAlex ``/works``: full-text ``search=`` (or a raw ``filter=``), cursor paging.

Cursor paging (``cursor=*``, then ``meta.next_cursor``) is OpenAlex's only way past 10,000
results, and the cursor after each page is exactly what a resume needs. ``mailto`` puts us in
the "polite pool"; OpenAlex allows about 10 requests/s. Publication-date limits become
``from_publication_date`` / ``to_publication_date`` filters.
"""

from __future__ import annotations

from typing import Any

from screening.errors import SearchError
from screening.search._json import iso_date, load_json
from screening.search.core import CursorPaged, Page, SearchOptions
from screening.search.http import PoliteClient

DEFAULT_BATCH = 200
MAX_BATCH = 200


class OpenAlex(CursorPaged):
    key = "openalex"
    name = "OpenAlex"
    interface = "OpenAlex API"
    reader = "openalex_json"
    suffix = ".json"
    env_url = "SCREENING_OPENALEX_URL"
    default_url = "https://api.openalex.org/"

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
              options: SearchOptions, cursor: str, saved: int) -> tuple[Page, int]:
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
        total = meta["count"]
        done = not results or not next_cursor or saved + len(results) >= total
        page = Page(body=body, records=len(results), ids=ids,
                    next={"cursor": next_cursor or "", "done": done}, done=done)
        return page, total

    def page_ids(self, body: bytes) -> list[str]:
        data = load_json(body, self.name, "saved page")
        return [w.get("id", "") for w in data.get("results", []) if isinstance(w, dict)]


DATABASE = OpenAlex()
