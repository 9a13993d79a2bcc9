"""PubMed through NCBI E-utilities: ESearch on the history server, then EFetch in batches.

Why the history server (``usehistory=y``): ESearch returns a ``WebEnv`` + ``query_key`` naming
the *frozen* result set, so EFetch pages (``retstart``/``retmax``) are slices of one list and
cannot shift while we page. An interrupted search resumes with the same WebEnv; if NCBI has
expired it (after some hours), ESearch runs again and the hit count must be unchanged.

NCBI's rules, honoured here: at most 3 requests/s (10/s with an API key), ``tool`` and
``email`` on every request, date limits as ``datetype=pdat&mindate&maxdate`` (a pair).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from screening.errors import SearchError
from screening.search.core import Begin, ExpiredState, Page, SearchOptions
from screening.search.http import PoliteClient
from screening.search.log import SearchEntry

DEFAULT_BATCH = 200
MAX_BATCH = 10_000
NCBI_MAX_RECORDS = 10_000   # E-utilities serve only the first 10,000 records of a PubMed query
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, load_dtd=False)


def _xml(body: bytes, what: str, url: str) -> etree._Element:
    try:
        return etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError as err:
        raise SearchError(f"malformed {what} response from PubMed: {err}", path=url,
                          hint="the service or a proxy returned broken XML; re-run to resume") from None


class PubMed:
    key = "pubmed"
    name = "PubMed"
    interface = "NCBI E-utilities API"
    reader = "pubmed_xml"
    suffix = ".xml"
    env_url = "SCREENING_PUBMED_URL"
    default_url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"

    def rate(self, options: SearchOptions) -> float:
        return 10.0 if options.api_key else 3.0

    def _common(self, options: SearchOptions) -> dict[str, str]:
        params = {"db": "pubmed", "tool": options.tool or "screening"}
        if options.email:
            params["email"] = options.email
        if options.api_key:
            params["api_key"] = options.api_key
        return params

    def _esearch(self, client: PoliteClient, base_url: str, query: str, limits: dict[str, str],
                 options: SearchOptions) -> tuple[bytes, dict[str, Any], int, dict[str, Any], dict[str, Any]]:
        params: dict[str, Any] = self._common(options) | {"term": query, "usehistory": "y", "retmax": "0"}
        if limits:
            params |= {"datetype": "pdat", "mindate": limits.get("from", "1000/01/01"),
                       "maxdate": limits.get("to", "3000/12/31")}
        url = base_url + "esearch.fcgi"
        body = client.get(url, params).content
        root = _xml(body, "ESearch", client.redact(url))
        if root.tag != "eSearchResult":
            raise SearchError(f"unexpected ESearch response <{root.tag}>", path=client.redact(url),
                              hint="is the base URL an E-utilities mirror?")
        error = root.findtext("ERROR")
        count, webenv, qkey = root.findtext("Count"), root.findtext("WebEnv"), root.findtext("QueryKey")
        if error and not count:
            raise SearchError(f"PubMed rejected the query: {error}", hint="check the query syntax")
        if not (count and count.strip().isdigit()):
            raise SearchError("ESearch response has no <Count>", path=client.redact(url))
        total = int(count)
        if total and not (webenv and qkey):
            raise SearchError("ESearch response has no WebEnv/QueryKey (history server)", path=client.redact(url))
        details = {"query_translation": root.findtext("QueryTranslation") or "",
                   "warnings": [clean for w in root.iter("OutputMessage", "QuotedPhraseNotFound", "PhraseNotFound")
                                if (clean := (w.text or "").strip())]}
        state = {"webenv": webenv or "", "query_key": qkey or ""}
        params_logged = {k: v for k, v in params.items() if k != "api_key"}
        return body, state, total, details, params_logged

    def begin(self, client: PoliteClient, base_url: str, query: str, limits: dict[str, str],
              options: SearchOptions) -> Begin:
        body, state, total, details, params = self._esearch(client, base_url, query, limits, options)
        if total > NCBI_MAX_RECORDS:
            raise SearchError(
                f"PubMed reports {total:,} records; NCBI's E-utilities return at most {NCBI_MAX_RECORDS:,} per query",
                hint="split the search by publication date (--from/--to) into parts of up to 10,000")
        details["batch_size"] = self._batch(options)
        return Begin(total=total, state=state, params=params, extra_files={"esearch.xml": body}, details=details)

    def refresh(self, client: PoliteClient, base_url: str, entry: SearchEntry,
                options: SearchOptions) -> dict[str, Any]:
        _, state, total, _, _ = self._esearch(client, base_url, entry.query, entry.limits, options)
        if total != entry.total:
            raise SearchError(
                f"PubMed now reports {total} records for this query, not {entry.total} as when the search "
                f"started, and the old result set (WebEnv) has expired", path=entry.raw_dir,
                hint="start the search afresh with --restart")
        return state

    def _batch(self, options: SearchOptions) -> int:
        return options.page_size(DEFAULT_BATCH, MAX_BATCH)

    def fetch(self, client: PoliteClient, base_url: str, entry: SearchEntry, position: dict[str, Any],
              options: SearchOptions) -> Page:
        retstart = int(position.get("retstart", 0))
        batch = int(entry.details.get("batch_size") or self._batch(options))
        expected = min(batch, entry.total - retstart)
        params = self._common(options) | {
            "query_key": entry.state.get("query_key", ""), "WebEnv": entry.state.get("webenv", ""),
            "retstart": str(retstart), "retmax": str(batch), "retmode": "xml",
        }
        url = base_url + "efetch.fcgi"
        body = client.get(url, params).content
        shown = client.redact(url) + f" (retstart={retstart})"
        root = _xml(body, "EFetch", shown)
        if root.tag == "eFetchResult" or root.find("ERROR") is not None:
            error = (root.findtext("ERROR") or "").strip()
            if any(w in error.lower() for w in ("query_key", "webenv", "history", "unable to obtain query")):
                raise ExpiredState(error)
            raise SearchError(f"EFetch error from PubMed: {error or 'no detail'}", path=shown)
        if root.tag != "PubmedArticleSet":
            raise SearchError(f"unexpected EFetch response <{root.tag}>, expected <PubmedArticleSet>", path=shown,
                              hint="is the base URL an E-utilities mirror?")
        articles = root.findall("PubmedArticle") + root.findall("PubmedBookArticle")
        if len(articles) != expected:
            raise SearchError(
                f"EFetch page holds {len(articles)} articles, expected {expected} "
                f"(records {retstart + 1}-{retstart + expected} of {entry.total})", path=shown,
                hint="the response was cut short or the result set changed; re-run to retry this page")
        nxt = retstart + len(articles)
        return Page(body=body, records=len(articles), next={"retstart": nxt, "done": nxt >= entry.total},
                    done=nxt >= entry.total, ids=_pmids(root))

    def page_ids(self, body: bytes) -> list[str]:
        return _pmids(etree.fromstring(body, parser=_PARSER))


def _pmids(root: etree._Element) -> list[str]:
    ids = root.xpath("./PubmedArticle/MedlineCitation/PMID/text() | ./PubmedBookArticle/BookDocument/PMID/text()")
    return [f"pmid:{i.strip()}" for i in ids]


DATABASE = PubMed()
