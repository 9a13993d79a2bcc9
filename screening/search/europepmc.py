"""Europe PMC REST ``/search`` (``resultType=core``, JSON), paged with ``cursorMark``.

Paging follows ``nextCursorMark`` from ``*`` until it stops changing (or a page is empty),
which is how Europe PMC signals the end. Date limits are added to the query as
``FIRST_PDATE:[from TO to]``; the log keeps both the query as typed and the effective one.
Europe PMC publishes no hard rate limit; we stay at 5 requests/s.
"""

from __future__ import annotations

from typing import Any

from screening.errors import SearchError
from screening.search._json import iso_date, load_json
from screening.search.core import CursorPaged, Page, SearchOptions
from screening.search.http import PoliteClient

DEFAULT_BATCH = 500
MAX_BATCH = 1000


def effective_query(query: str, limits: dict[str, str]) -> str:
    if not limits:
        return query
    lo = iso_date(limits["from"], end=False) if limits.get("from") else "1000-01-01"
    hi = iso_date(limits["to"], end=True) if limits.get("to") else "3000-12-31"
    return f"({query}) AND (FIRST_PDATE:[{lo} TO {hi}])"


class EuropePMC(CursorPaged):
    key = "europepmc"
    name = "Europe PMC"
    interface = "Europe PMC RESTful API"
    reader = "europepmc_json"
    suffix = ".json"
    env_url = "SCREENING_EUROPEPMC_URL"
    default_url = "https://www.ebi.ac.uk/europepmc/webservices/rest/"

    def rate(self, options: SearchOptions) -> float:
        return 5.0

    def _params(self, query: str, limits: dict[str, str], options: SearchOptions, cursor: str) -> dict[str, Any]:
        params = {"query": effective_query(query, limits), "format": "json", "resultType": "core",
                  "pageSize": str(options.page_size(DEFAULT_BATCH, MAX_BATCH)),
                  "cursorMark": cursor}
        if options.email:
            params["email"] = options.email
        return params

    def _page(self, client: PoliteClient, base_url: str, query: str, limits: dict[str, str],
              options: SearchOptions, cursor: str, saved: int) -> tuple[Page, int]:
        url = base_url + "search"
        body = client.get(url, self._params(query, limits, options, cursor)).content
        where = client.redact(url) + f" (cursorMark={cursor[:24]})"
        data = load_json(body, self.name, where)
        hits = data.get("hitCount")
        result_list = data.get("resultList")
        results = result_list.get("result") if isinstance(result_list, dict) else None
        if not isinstance(hits, int) or not isinstance(results, list):
            raise SearchError("unexpected Europe PMC response: no hitCount / resultList.result", path=where,
                              hint="is the base URL the Europe PMC REST service (…/webservices/rest/)?")
        ids = []
        for i, rec in enumerate(results):
            if not isinstance(rec, dict) or not rec.get("id"):
                raise SearchError(f"unexpected Europe PMC response: result {i} has no id", path=where)
            ids.append(f"{rec.get('source', '')}:{rec['id']}")
        nxt = data.get("nextCursorMark") or ""
        done = not results or not nxt or nxt == cursor or saved + len(results) >= hits
        return Page(body=body, records=len(results), ids=ids, next={"cursor": nxt, "done": done}, done=done), hits

    def _details(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"effective_query": params["query"]}

    def page_ids(self, body: bytes) -> list[str]:
        data = load_json(body, self.name, "saved page")
        results = (data.get("resultList") or {}).get("result") or []
        return [f"{r.get('source', '')}:{r.get('id')}" for r in results if isinstance(r, dict)]


DATABASE = EuropePMC()
