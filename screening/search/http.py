"""A polite HTTP client for bibliographic APIs: rate limit, retries, timeouts, redaction.

Why a wrapper around ``requests.Session`` rather than plain calls: every database we search
publishes a request budget (NCBI: 3 requests/s, 10 with an API key), answers overload with
429/503 (sometimes with ``Retry-After``), and some need a key that must never leak into a
log, an error message or a saved file. Centralising this keeps the per-database modules about
the API's *shape* only.

The session, the clock, the sleep function and the jitter source are all injectable so tests
can run against a local server, measure request times and never actually wait.
"""

from __future__ import annotations

import email.utils
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import requests

from screening.errors import SearchError

REDACTED = "***"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A dropped connection shows up as any of these (ChunkedEncodingError = body cut short).
_RETRIABLE_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (and its URL-encoded form) in ``text`` with ``***``.

    Also masks ``api_key=...`` / ``api-key=...`` query parameters, so a key that reached a URL
    by another route is still hidden.
    """
    out = str(text)
    for secret in secrets:
        if secret:
            out = out.replace(secret, REDACTED)
            out = out.replace(requests.utils.quote(secret, safe=""), REDACTED)
    return re.sub(r"(?i)(api[_-]?key=)[^&\s\"']+", r"\1" + REDACTED, out)


class RateLimiter:
    """At most ``rate`` requests per second, spaced evenly (a token bucket of size 1).

    Spacing requests evenly (rather than allowing bursts) is what NCBI asks for, and it
    guarantees that *any* one-second window holds no more than ``rate`` requests. A small
    safety margin absorbs clock and scheduling jitter. Thread-safe: each caller reserves its
    own slot under a lock, then sleeps outside it.
    """

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, margin: float = 0.03) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = (1.0 / rate) * (1.0 + margin)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = float("-inf")

    def acquire(self) -> float:
        """Block until the caller may send; returns the time waited (seconds)."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait

    def defer(self, seconds: float) -> None:
        """Push the next slot back (e.g. after a Retry-After), so no caller jumps the queue."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


def _no_such_host(err: Exception) -> bool:
    """A DNS failure ('Name or service not known', 'Temporary failure in name resolution',
    'nodename nor servname provided'): no retry will change it within seconds."""
    text = str(err)
    return any(m in text for m in ("NameResolutionError", "Name or service not known", "name resolution",
                                   "nodename nor servname", "getaddrinfo failed"))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: either an integer or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class Attempt:
    """One request attempt, for the caller's progress display and for tests."""

    url: str            # redacted
    status: int | None  # None for a connection error
    waited: float       # seconds slept before this attempt (rate limit + backoff)
    error: str = ""     # redacted


@dataclass
class PoliteClient:
    """GET with rate limiting, retries (exponential backoff + jitter, Retry-After) and redaction.

    ``secrets`` are values (API keys) that must never appear in anything this client reports.
    """

    session: requests.Session
    rate: float
    secrets: tuple[str, ...] = field(default=(), repr=False)
    timeout: float = 60.0
    max_retries: int = 5
    backoff: float = 1.0          # first retry waits ~backoff s, then 2x, 4x ...
    max_backoff: float = 60.0
    max_retry_after: float = 300.0
    user_agent: str = ""
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    on_attempt: Callable[[Attempt], None] | None = None
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.rate, clock=self.clock, sleep=self.sleep)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def _backoff(self, attempt: int) -> float:
        base = min(self.max_backoff, self.backoff * (2 ** attempt))
        return base + self.rng.uniform(0, base / 2)

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> requests.Response:
        """GET ``url``; returns a 2xx response or raises :class:`SearchError` (redacted)."""
        headers = {"User-Agent": self.user_agent} if self.user_agent else {}
        pending_wait = 0.0
        last_problem = ""
        for attempt in range(self.max_retries + 1):
            if pending_wait > 0:
                self.sleep(pending_wait)
            waited = pending_wait + self.limiter.acquire()
            pending_wait = 0.0
            shown = self.redact(_full_url(url, params))
            try:
                response = self.session.get(url, params=params, timeout=self.timeout, headers=headers)
            except _RETRIABLE_ERRORS as err:
                last_problem = f"connection failed: {self.redact(type(err).__name__ + ': ' + str(err))}"
                self._note(Attempt(shown, None, waited, last_problem))
                if _no_such_host(err):
                    # the name does not resolve (offline, or a typo in the base URL): retrying
                    # with back-off only made the user wait ~40 s for the same answer
                    raise SearchError("cannot reach the server: its name does not resolve (offline?)",
                                      path=shown, hint="check the network connection (and a custom base "
                                                       "URL), then re-run the same command") from None
                pending_wait = self._backoff(attempt)
                continue
            except requests.RequestException as err:
                raise SearchError(f"request failed: {self.redact(str(err))}", path=shown,
                                  hint="check the base URL and the query") from None
            self._note(Attempt(shown, response.status_code, waited))
            if response.status_code in RETRY_STATUSES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                last_problem = f"HTTP {response.status_code}"
                if retry_after is not None and retry_after > self.max_retry_after:
                    raise SearchError(
                        f"the server asked us to wait {retry_after:.0f} s (HTTP {response.status_code})",
                        path=shown, hint="try again later; searches resume where they stopped")
                pending_wait = max(retry_after or 0.0, self._backoff(attempt))
                if retry_after:
                    self.limiter.defer(retry_after)
                response.close()
                continue
            if response.status_code >= 400:
                body = self.redact(response.text[:300]).strip().replace("\n", " ")
                raise SearchError(f"HTTP {response.status_code} from the server: {body}", path=shown,
                                  hint=_hint_for(response.status_code))
            return response
        raise SearchError(f"gave up after {self.max_retries + 1} attempts ({last_problem})",
                          path=self.redact(_full_url(url, params)),
                          hint="the service may be down or unreachable; re-run the same command "
                               "later to resume from the last saved page")

    def _note(self, attempt: Attempt) -> None:
        if self.on_attempt is not None:
            self.on_attempt(attempt)


def _full_url(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    return requests.Request("GET", url, params=dict(params)).prepare().url or url


def _hint_for(status: int) -> str:
    if status in (401, 403):
        return "check the API key / e-mail, or whether this mirror requires authentication"
    if status == 404:
        return "check the base URL (--base-url or the SCREENING_*_URL variable)"
    if status == 400:
        return "the query was rejected; check its syntax for this database"
    return "see the service's status page"
