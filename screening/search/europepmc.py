"""Europe PMC REST ``/search`` (``resultType=core``, JSON), paged with ``cursorMark``.

Paging follows ``nextCursorMark`` from ``*`` until it stops changing (or is missing), which
is how Europe PMC signals the end; an empty page whose cursor still moves is an error. Its
``hitCount`` can exceed what the cursor serves; such a search completes with the difference
recorded as a shortfall (see :mod:`core`).
Date limits are added to the query as ``FIRST_PDATE:[from TO to]``; the log keeps both the
query as typed and the effective one. ``synonym`` is always sent (``false``, the API's
default, unless asked): the website expands synonyms, so hit counts differ, and the log must
say which was used. Europe PMC publishes no hard rate limit; we stay at 5 requests/s.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from screening.errors import SearchError
from screening.search._json import iso_date, load_json
from screening.search.database import CursorPaged, Page, SearchOptions
from screening.search.http import PoliteClient, json_message
from screening.search.log import SearchEntry

DEFAULT_BATCH = 500
MAX_BATCH = 1000
_SHORT = "Europe PMC's hitCount can exceed what its cursor serves"
_SYNTAX = ("check the query's Europe PMC syntax (balanced quotes and brackets, AND/OR/NOT in capitals, field "
           "names such as TITLE: or FIRST_PDATE:); see europepmc.org/searchsyntax")


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
                  **self.scope(options),
                  "pageSize": str(options.page_size(DEFAULT_BATCH, MAX_BATCH)),
                  "cursorMark": cursor}
        if options.email:
            params["email"] = options.email
        return params

    def scope(self, options: SearchOptions) -> dict[str, str]:
        # synonym expansion changes the result set
        return {"synonym": "true" if options.synonym else "false"}

    def scope_of(self, entry: SearchEntry) -> dict[str, str]:
        return {"synonym": "true" if entry.params.get("synonym", "false") == "true" else "false"}

    def _as_started(self, entry: SearchEntry, options: SearchOptions) -> SearchOptions:
        # a resumed search keeps the synonym choice it started with (it changes the result set)
        return replace(options, synonym=self.scope_of(entry)["synonym"] == "true")

    def _page(self, client: PoliteClient, base_url: str, query: str, limits: dict[str, str],
              options: SearchOptions, cursor: str) -> Page:
        url = base_url + "search"
        body = client.get(url, self._params(query, limits, options, cursor)).content
        where = client.redact(url) + f" (cursorMark={cursor[:24]})"
        data = load_json(body, self.name, where)
        hits = data.get("hitCount")
        result_list = data.get("resultList")
        results = result_list.get("result") if isinstance(result_list, dict) else None
        if data.get("errMsg") or not isinstance(hits, int):
            # Europe PMC reports a query it cannot run in a 200 reply, errMsg beside a hitCount of
            # 0: its own words, whatever else the reply holds (taken as a page, it is 0 hits)
            said = json_message(data)
            what = "Europe PMC reported an error" if data.get("errMsg") else "Europe PMC gave no hitCount"
            raise SearchError(f"{what} for this query" + (f": {said}" if said else ""), path=where, hint=_SYNTAX)
        if not isinstance(results, list):
            raise SearchError("unexpected Europe PMC response: no resultList.result", path=where,
                              hint="is the base URL the Europe PMC REST service (…/webservices/rest/)?")
        ids = []
        for i, rec in enumerate(results):
            if not isinstance(rec, dict) or not rec.get("id"):
                raise SearchError(f"unexpected Europe PMC response: result {i} has no id", path=where)
            ids.append(self._rid(rec))
        nxt = data.get("nextCursorMark") or ""
        # only the cursor's own end here, no next cursor or the one sent echoed back: an empty page
        # with a new cursor is not the end (run_search refuses it unless the records are all in).
        # The run also stops at a short page once it holds the latest hitCount (counts change)
        end = ("paging ended: no next cursor" if not nxt
               else "paging ended: the cursor stopped changing" if nxt == cursor else "")
        if end:
            end += f"; {_SHORT}"
        return self._cursor_page(body, ids, nxt, end, total=hits, asked=options.page_size(DEFAULT_BATCH, MAX_BATCH))

    def _details(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"effective_query": params["query"], "synonym": params["synonym"] == "true"}

    def _records(self, data: dict[str, Any]) -> list[Any]:
        return (data.get("resultList") or {}).get("result") or []

    def _set_records(self, data: dict[str, Any], records: list[Any]) -> None:
        data["resultList"]["result"] = records

    def _rid(self, record: dict[str, Any]) -> str:
        return f"{record.get('source', '')}:{record.get('id')}"


DATABASE = EuropePMC()
