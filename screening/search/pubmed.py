"""PubMed through NCBI E-utilities: ESearch on the history server, then EFetch in batches.

Why the history server (``usehistory=y``): ESearch returns a ``WebEnv`` + ``query_key`` naming
the *frozen* result set, so EFetch pages (``retstart``/``retmax``) are slices of one list and
cannot shift while we page. An interrupted search resumes with the same WebEnv; if NCBI has
expired it (after some hours), ESearch runs again, and the new history must hold the same
count *and* list exactly the records already saved before the resume point (one EFetch
``rettype=uilist`` request): a record deleted before that point and another added after it
keep the count but shift every later record back a place, and one of them would never be
fetched.

NCBI's rules, honoured here: at most 3 requests/s (10/s with an API key), ``tool`` and
``email`` on every request, date limits as ``datetype=pdat&mindate&maxdate`` (a pair).
A history serves at most 9,999 records (``retstart`` cannot pass 9998), so larger result
sets are refused up front with advice to split the query by date.

An ``<ERROR>`` in an ESearch reply is a failure even when a ``<Count>`` comes with it
(``<Count>0</Count><ERROR>Search Backend failed…`` is not a search with no hits); it is
retried like a 5xx. A record ESearch listed but EFetch no longer returns (deleted since)
is recorded as missing, with a warning, instead of blocking the search from finishing.
"""

from __future__ import annotations

import re
from typing import Any

import requests
from lxml import etree

from screening.errors import SearchError
from screening.io.pubmed_xml import unsafe_xml
from screening.search.core import ExpiredState
from screening.search.database import Begin, Page, SearchOptions, kept_copies
from screening.search.http import RESUME_SHORT, HttpPolicy, PoliteClient
from screening.search.log import SearchEntry

DEFAULT_BATCH = 200
MAX_BATCH = 10_000
NCBI_MAX_RECORDS = 9_999    # retstart may not pass 9998: a history serves records 1-9,999 only
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, load_dtd=False)


# ESearch's words about the query (inside <ErrorList> / <WarningList>), as logged and shown
_QUERY_NOTES = {"PhraseNotFound": "phrase not found", "FieldNotFound": "field not found",
                "QuotedPhraseNotFound": "quoted phrase not found", "PhraseIgnored": "phrase ignored",
                "OutputMessage": ""}


def _esearch_error(response: requests.Response) -> str:
    """PubMed's text when an ESearch reply carries a top-level <ERROR> (then retried), else ""."""
    try:
        root = etree.fromstring(response.content, parser=_PARSER)
    except etree.XMLSyntaxError:
        return ""       # reported as malformed, with the URL, after the request
    error = " ".join((root.findtext("ERROR") or "").split())
    transient = _TRANSIENT.search(error) is not None
    return f"ESearch error from PubMed: {error}" if root.tag == "eSearchResult" and transient else ""


# NCBI's words for a passing failure ('Search Backend failed: ...', 'temporarily unavailable'):
# worth a retry. Any other <ERROR> is about the request and fails at once (see _esearch).
_TRANSIENT = re.compile(r"backend|temporar|unavailable|time[d ]?out|try again|busy|failed", re.I)


def _query_notes(root: etree._Element) -> list[str]:
    out = []
    for el in root.iter(*_QUERY_NOTES):
        text = " ".join((el.text or "").split())
        if text:
            label = _QUERY_NOTES[el.tag]
            out.append(f"PubMed: {label}: {text}" if label else f"PubMed: {text}")
    return out


def _xml(body: bytes, what: str, url: str) -> etree._Element:
    try:
        return etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError as err:
        refused = unsafe_xml(str(err))
        if refused:     # libxml2's safety limits, in plain words (no 'broken XML' hint: it is not)
            raise SearchError(f"the {what} response from PubMed {refused}", path=url,
                              hint=f"check --base-url / {PubMed.env_url}: this is not NCBI's reply") from None
        raise SearchError(f"malformed {what} response from PubMed: {err}", path=url,
                          hint=f"the service or a proxy returned broken XML; {RESUME_SHORT}") from None


class PubMed:
    key = "pubmed"
    name = "PubMed"
    interface = "NCBI E-utilities API"
    reader = "pubmed_xml"
    suffix = ".xml"
    env_url = "SCREENING_PUBMED_URL"
    default_url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
    http_policy = HttpPolicy()

    def rate(self, options: SearchOptions) -> float:
        return 10.0 if options.api_key else 3.0

    def scope(self, options: SearchOptions) -> dict[str, str]:
        return {}       # the query and its date limits are all that choose PubMed's records

    def scope_of(self, entry: SearchEntry) -> dict[str, str]:
        return {}

    def _common(self, options: SearchOptions) -> dict[str, str]:
        params = {"db": "pubmed", "tool": options.tool or "screening"}
        if options.email:
            params["email"] = options.email
        if options.api_key:
            params["api_key"] = options.api_key
        return params

    def _esearch(self, client: PoliteClient, base_url: str, query: str, limits: dict[str, str],
                 options: SearchOptions) -> tuple[bytes, dict[str, Any], int, dict[str, Any], dict[str, Any],
                                                  list[str]]:
        params: dict[str, Any] = self._common(options) | {"term": query, "usehistory": "y", "retmax": "0"}
        if limits:
            params |= {"datetype": "pdat", "mindate": limits.get("from", "1000/01/01"),
                       "maxdate": limits.get("to", "3000/12/31")}
        url = base_url + "esearch.fcgi"
        body = client.get(url, params, retry_if=_esearch_error,
                          retry_hint="usually a passing failure at NCBI: re-run the same command later; if it "
                                     "persists, check the query syntax").content
        root = _xml(body, "ESearch", client.redact(url))
        error = " ".join((root.findtext("ERROR") or "").split())
        if error:
            raise SearchError(f"PubMed rejected the query: {error}", path=client.redact(url),
                              hint="check the query syntax and field tags (e.g. [tiab], [mh]); the same "
                                   "query in the PubMed web interface shows what it makes of it")
        if root.tag != "eSearchResult":
            raise SearchError(f"unexpected ESearch response <{root.tag}>", path=client.redact(url),
                              hint="is the base URL an E-utilities mirror?")
        count, webenv, qkey = root.findtext("Count"), root.findtext("WebEnv"), root.findtext("QueryKey")
        if not (count and count.strip().isdigit()):
            raise SearchError("ESearch response has no <Count>", path=client.redact(url))
        total = int(count)
        if total and not (webenv and qkey):
            raise SearchError("ESearch response has no WebEnv/QueryKey (history server)", path=client.redact(url))
        details = {"query_translation": root.findtext("QueryTranslation") or ""}
        state = {"webenv": webenv or "", "query_key": qkey or ""}
        params_logged = {k: v for k, v in params.items() if k != "api_key"}
        return body, state, total, details, params_logged, _query_notes(root)

    def begin(self, client: PoliteClient, base_url: str, query: str, limits: dict[str, str],
              options: SearchOptions) -> Begin:
        body, state, total, details, params, warnings = self._esearch(client, base_url, query, limits, options)
        if total > NCBI_MAX_RECORDS:
            raise SearchError(
                f"PubMed reports {total:,} records; NCBI's E-utilities serve at most {NCBI_MAX_RECORDS:,} "
                "of one search", hint=f"split the query by publication date ranges (--from/--to) so that each "
                                      f"part has at most {NCBI_MAX_RECORDS:,} records, and run one search per part")
        details["batch_size"] = self._batch(options)
        return Begin(total=total, state=state, params=params, extra_files={"esearch.xml": body}, details=details,
                     warnings=warnings)

    def refresh(self, client: PoliteClient, base_url: str, entry: SearchEntry, options: SearchOptions, *,
                position: dict[str, Any], saved: set[str]) -> dict[str, Any]:
        """A fresh history for an interrupted search whose WebEnv expired, if it is the same result
        set as far as the search got: the same count, and before ``position`` exactly the records
        ``saved`` (those saved plus those listed as missing). Otherwise paging on would skip or
        repeat records, so the search must start afresh."""
        _, state, total, _, _, _ = self._esearch(client, base_url, entry.query, entry.limits, options)
        if total != entry.total:
            raise SearchError(
                f"PubMed now reports {total} records for this query, not {entry.total} as when the search "
                f"started, and the old result set (WebEnv) has expired", path=entry.raw_dir,
                hint="start the search afresh with --restart")
        retstart = int(position.get("retstart", 0))
        if retstart:
            listed = self._listed(client, base_url, state, 0, retstart, options)
            if len(listed) != retstart or set(listed) != saved:
                gone, new = sorted(saved - set(listed)), sorted(set(listed) - saved)
                example = (f"{gone[0]}, saved, is not among them" if gone else
                           f"{new[0]} is new among them" if new else f"it lists {len(listed):,}")
                raise SearchError(
                    f"PubMed's result set for this query changed since the search started: the count is the same "
                    f"({total:,}), but its first {retstart:,} records are no longer the {retstart:,} already saved "
                    f"({example}), and the old result set (WebEnv) has expired", path=entry.raw_dir,
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
        articles = _articles(root)
        ids = [i for a in articles for i in _pmids_of(a)]
        missing: list[str] | None = []
        if len(articles) != expected:
            missing = self._missing(client, base_url, entry, retstart, expected, ids, options)
            if missing is None:
                raise SearchError(
                    f"EFetch page holds {len(articles)} articles, expected {expected} "
                    f"(records {retstart + 1}-{retstart + expected} of {entry.total})", path=shown,
                    hint="the response was cut short or the result set changed; re-run to retry this page")
        nxt = retstart + expected       # history positions, whether or not each record could be fetched
        return Page(body=body, records=len(articles), next={"retstart": nxt},
                    done=nxt >= entry.total, ids=ids, missing=missing)

    def _missing(self, client: PoliteClient, base_url: str, entry: SearchEntry, retstart: int, expected: int,
                 got: list[str], options: SearchOptions) -> list[str] | None:
        """The PMIDs of this slice that EFetch left out, when they are really gone (deleted since
        ESearch); ``None`` when the short page is not explained that way (a glitch: retry it).

        The history's own id list (``rettype=uilist``) names the slice's PMIDs; asked for by id,
        a deleted record does not come back, while one a glitch left out does.
        """
        url = base_url + "efetch.fcgi"
        listed = self._listed(client, base_url, entry.state, retstart, expected, options)
        got_set = set(got)
        missing = [i for i in listed if i not in got_set]
        if len(listed) != expected or not got_set <= set(listed) or len(got) + len(missing) != expected:
            return None
        by_id = self._common(options) | {"id": ",".join(i.removeprefix("pmid:") for i in missing), "retmode": "xml"}
        try:
            again = etree.fromstring(client.get(url, by_id).content, parser=_PARSER)
        except etree.XMLSyntaxError:
            return None
        return None if set(_pmids(again)) & set(missing) else missing

    def _listed(self, client: PoliteClient, base_url: str, state: dict[str, Any], retstart: int, retmax: int,
                options: SearchOptions) -> list[str]:
        """The PMIDs at positions ``retstart``.. of a history (EFetch ``rettype=uilist``, one request
        for up to 10,000: no records, only their ids), as ``pmid:`` ids."""
        params = self._common(options) | {
            "query_key": state.get("query_key", ""), "WebEnv": state.get("webenv", ""),
            "retstart": str(retstart), "retmax": str(retmax), "rettype": "uilist", "retmode": "text",
        }
        return [f"pmid:{line.strip()}" for line in client.get(base_url + "efetch.fcgi", params).text.splitlines()
                if line.strip().isdigit()]

    def page_ids(self, body: bytes) -> list[str]:
        return _pmids(etree.fromstring(body, parser=_PARSER))

    def without(self, body: bytes, repeated: list[str]) -> bytes:
        root = etree.fromstring(body, parser=_PARSER)
        articles = _articles(root)
        keep = kept_copies([(_pmids_of(a) or [None])[0] for a in articles], repeated)
        for art, k in zip(articles, keep):
            if not k:
                root.remove(art)
        return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def _articles(root: etree._Element) -> list[etree._Element]:
    """The articles and book articles of a PubmedArticleSet, in document order."""
    return root.xpath("./PubmedArticle | ./PubmedBookArticle")


def _pmids(root: etree._Element) -> list[str]:
    return [i for a in _articles(root) for i in _pmids_of(a)]


def _pmids_of(article: etree._Element) -> list[str]:
    ids = article.xpath("./MedlineCitation/PMID/text() | ./BookDocument/PMID/text()")
    return [f"pmid:{i.strip()}" for i in ids]


DATABASE = PubMed()
