"""Local replicas of PubMed E-utilities, OpenAlex and Europe PMC on 127.0.0.1.

Each fake answers in the services' real formats, built from the real records in
tests/fixtures/search (see tests/fixtures/SOURCES.md), records every request with its
server-side arrival time, and can be told to misbehave for a given page: ``429``,
``429:daily`` (OpenAlex's spent daily budget), ``403``, ``503:<retry-after>``, ``drop``
(connection cut mid-body), ``malformed``, ``expired`` or ``backend`` (an ESearch <ERROR>).
Cursor fakes can also overlap their pages (``overlap``) and report more hits than they serve
(``extra_hits``); the E-utilities fake can lose records after ESearch (``deleted``).
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from werkzeug import Request, Response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "search"
REAL_XML = (FIXTURES / "pubmed_article.xml").read_text(encoding="utf-8")
_HEAD = REAL_XML[: REAL_XML.index("<PubmedArticleSet>")]
_ARTICLE = REAL_XML[REAL_XML.index("<PubmedArticle>"): REAL_XML.index("</PubmedArticle>") + len("</PubmedArticle>")]
REAL_PMID = "29768149"


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a non-loopback address fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") and self.family != socket.AF_UNIX:
            raise AssertionError(f"test tried to reach the internet: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def pubmed_articles(n: int, first_pmid: int = 40000001) -> list[str]:
    """``n`` copies of the real <PubmedArticle>, each with its own PMID (and the DOI made distinct)."""
    out = []
    for i in range(n):
        pmid = str(first_pmid + i)
        art = _ARTICLE.replace(f'<PMID Version="1">{REAL_PMID}</PMID>', f'<PMID Version="1">{pmid}</PMID>', 1)
        art = art.replace(f'<ArticleId IdType="pubmed">{REAL_PMID}</ArticleId>', f'<ArticleId IdType="pubmed">{pmid}</ArticleId>')
        art = art.replace("10.1056/NEJMoa1715274", f"10.1056/NEJMoa1715274.{i}") if i else art
        out.append(art)
    return out


def efetch_page(articles: list[str]) -> str:
    return _HEAD + "<PubmedArticleSet>\n\t" + "\n\t".join(articles) + "\n</PubmedArticleSet>\n"


def esearch_xml(count: int, term: str, webenv: str) -> str:
    translation = f'"{term}"[MeSH Terms] OR "{term}"[All Fields]'
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
        '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
        f"<eSearchResult><Count>{count}</Count><RetMax>0</RetMax><RetStart>0</RetStart>"
        f"<QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv><IdList>\n</IdList>"
        f"<TranslationSet><Translation>     <From>{term}</From>     <To>{translation}</To>    </Translation>"
        f"</TranslationSet><QueryTranslation>{translation}</QueryTranslation></eSearchResult>\n"
    )


class Fake:
    """Base: request log + scripted failures keyed by page position."""

    paths = ".*"

    def __init__(self, server: Any) -> None:
        self.server = server
        self.requests: list[tuple[float, str, dict[str, str]]] = []
        self.failures: dict[Any, list[str]] = {}
        self.lock = threading.Lock()
        server.expect_request(re.compile(self.paths)).respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for("/")

    def fail(self, position: Any, *actions: str) -> None:
        self.failures.setdefault(position, []).extend(actions)

    def _failure(self, position: Any) -> Response | None:
        with self.lock:
            actions = self.failures.get(position)
            action = actions.pop(0) if actions else None
        if action is None:
            return None
        if action == "429":
            return Response("Too Many Requests", status=429)
        if action == "429:daily":
            return Response(json.dumps({"error": "Rate limit exceeded", "message": "Daily budget of $1.00 exhausted. "
                                        "Resets at midnight UTC."}), status=429, content_type="application/json",
                            headers={"X-RateLimit-Remaining-USD": "0", "X-RateLimit-Reset": "3600"})
        if action == "403":
            return Response(json.dumps({"error": "Forbidden", "message": "Too many requests per second"}),
                            status=403, content_type="application/json")
        if action.startswith("503"):
            resp = Response("Service Unavailable", status=503)
            if ":" in action:
                resp.headers["Retry-After"] = action.split(":", 1)[1]
            return resp
        if action == "drop":
            resp = Response(b'<?xml version="1.0" ?>\n<PubmedArticleSet>\n\t<PubmedArt', status=200)
            resp.headers["Content-Length"] = "100000"
            return resp
        return self.special(action)

    def special(self, action: str) -> Response:
        raise AssertionError(action)

    def handle(self, request: Request) -> Response:
        args = dict(request.args)
        with self.lock:
            self.requests.append((time.monotonic(), request.path, args))
        return self.respond(request.path, args)

    def respond(self, path: str, args: dict[str, str]) -> Response:
        raise NotImplementedError

    def times(self) -> list[float]:
        return [t for t, _, _ in self.requests]


class FakeEutils(Fake):
    paths = r".*\.fcgi"
    def __init__(self, server: Any, n: int) -> None:
        super().__init__(server)
        self.articles = pubmed_articles(n)
        self.webenv = "MCID_6571d1a2f2d9a5300f0c3e1b"
        self.generation = 0
        self.deleted: set[str] = set()      # PMIDs still in the history's list, gone from EFetch
        self.notes = ""                     # extra ESearch XML (ErrorList / WarningList)

    def special(self, action: str) -> Response:
        if action == "malformed":
            return Response(efetch_page(self.articles[:1])[:-60], status=200, content_type="text/xml")
        if action == "backend":
            return Response('<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><Count>0</Count>'
                            '<ERROR>Search Backend failed: Couldn\'t resolve #1, read timeout</ERROR></eSearchResult>\n',
                            status=200, content_type="text/xml")
        if action == "invalid":
            return Response('<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><ERROR>Invalid query: '
                            'unbalanced parentheses</ERROR></eSearchResult>\n', status=200, content_type="text/xml")
        if action == "expired":
            self.generation += 1
            return Response('<?xml version="1.0" encoding="UTF-8" ?>\n<eFetchResult>\n\t<ERROR>Unable to obtain query #1'
                            '</ERROR>\n</eFetchResult>\n', status=200, content_type="text/xml")
        raise AssertionError(action)

    def respond(self, path: str, args: dict[str, str]) -> Response:
        if path.endswith("/esearch.fcgi"):
            failure = self._failure("esearch")
            if failure:
                return failure
            webenv = self.webenv + (f"_{self.generation}" if self.generation else "")
            xml = esearch_xml(len(self.articles), args.get("term", ""), webenv)
            return Response(xml.replace("</eSearchResult>", self.notes + "</eSearchResult>"), content_type="text/xml")
        if path.endswith("/efetch.fcgi"):
            if "id" in args:
                wanted = set(args["id"].split(","))
                return Response(efetch_page([a for a in self.articles if _pmid(a) in wanted - self.deleted]),
                                content_type="text/xml")
            start = int(args.get("retstart", 0))
            retmax = int(args.get("retmax", 20))
            if args.get("rettype") == "uilist":
                return Response("".join(_pmid(a) + "\n" for a in self.articles[start:start + retmax]),
                                content_type="text/plain")
            failure = self._failure(start)
            if failure:
                return failure
            page = [a for a in self.articles[start:start + retmax] if _pmid(a) not in self.deleted]
            return Response(efetch_page(page), content_type="text/xml")
        return Response("not found", status=404)


def _pmid(article: str) -> str:
    match = re.search(r"<PMID[^>]*>(\d+)</PMID>", article)
    return match.group(1) if match else ""


def _cursor(offset: int) -> str:
    return base64.b64encode(json.dumps([offset, f"https://openalex.org/W{offset}"]).encode()).decode()


def _offset(cursor: str) -> int:
    return 0 if cursor == "*" else json.loads(base64.b64decode(cursor))[0]


class FakeOpenAlex(Fake):
    paths = r".*/works"
    def __init__(self, server: Any) -> None:
        super().__init__(server)
        self.works = json.loads((FIXTURES / "openalex_works.json").read_text(encoding="utf-8"))
        self.overlap = 0        # each page starts this many records before the previous one ended
        self.extra_hits = 0     # meta.count reports this many more records than are served

    def special(self, action: str) -> Response:
        if action == "malformed":
            return Response('{"meta": {"count": 12, "next_cursor": "x"}, "results": [{"id": "https://openalex.org/W1"',
                            content_type="application/json")
        raise AssertionError(action)

    def respond(self, path: str, args: dict[str, str]) -> Response:
        if not path.endswith("/works"):
            return Response(json.dumps({"error": "not found"}), status=404)
        start = _offset(args.get("cursor", "*"))
        failure = self._failure(start)
        if failure:
            return failure
        per = int(args.get("per-page", 25))
        results = self.works[start:start + per]
        meta = {"count": len(self.works) + self.extra_hits, "db_response_time_ms": 28, "page": None,
                "per_page": per, "next_cursor": _cursor(start + per - self.overlap) if results else None,
                "groups_count": None}
        return Response(json.dumps({"meta": meta, "results": results, "group_by": []}), content_type="application/json")


class FakeEuropePMC(Fake):
    paths = r".*/search"
    def __init__(self, server: Any) -> None:
        super().__init__(server)
        self.results = json.loads((FIXTURES / "europepmc_results.json").read_text(encoding="utf-8"))
        self.overlap = 0
        self.extra_hits = 0

    def special(self, action: str) -> Response:
        if action == "malformed":
            return Response("<html><body>Proxy error</body></html>", content_type="text/html")
        raise AssertionError(action)

    def respond(self, path: str, args: dict[str, str]) -> Response:
        if not path.endswith("/search"):
            return Response("not found", status=404)
        cursor = args.get("cursorMark", "*")
        start = 0 if cursor == "*" else int(base64.b64decode(cursor.encode()).decode().split(":")[1])
        failure = self._failure(start)
        if failure:
            return failure
        size = int(args.get("pageSize", 25))
        results = self.results[start:start + size]
        nxt = base64.b64encode(f"AoJ:{start + len(results) - self.overlap}".encode()).decode() if results else cursor
        body = {"version": "6.9", "hitCount": len(self.results) + self.extra_hits, "nextCursorMark": nxt,
                "request": {"queryString": args.get("query", ""), "resultType": "core", "cursorMark": cursor,
                            "pageSize": size, "sort": "", "synonym": args.get("synonym") == "true"},
                "resultList": {"result": results}}
        return Response(json.dumps(body), content_type="application/json")


@pytest.fixture
def review(tmp_path: Path) -> Path:
    """A tiny review with no [[sources]]: everything it ingests comes from searches."""
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text('[review]\nname = "t"\ntitle = "search test"\n', encoding="utf-8")
    return toml


@pytest.fixture
def eutils(httpserver: Any) -> FakeEutils:
    return FakeEutils(httpserver, 7)


@pytest.fixture
def openalex(httpserver: Any) -> FakeOpenAlex:
    return FakeOpenAlex(httpserver)


@pytest.fixture
def europepmc(httpserver: Any) -> FakeEuropePMC:
    return FakeEuropePMC(httpserver)


def all_written_text(root: Path) -> str:
    """Every file under ``root`` (raw pages, log, outputs), decoded leniently, for secret greps."""
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(root.rglob("*")) if p.is_file())


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """Bind the replay server to loopback only."""
    return ("127.0.0.1", 0)
