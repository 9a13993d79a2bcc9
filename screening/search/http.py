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
import errno
import functools
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import requests

from screening.errors import SearchError

REDACTED = "***"

# A failed request's hint ends by saying what re-running does: it resumes from the last page
# saved. A search whose first request failed saved nothing, so there re-running starts it:
# core swaps each phrase for its 'start' form (core._nothing_started). The hints use these
# constants so the two stay one wording.
RESUME = "re-run the same command to resume"
RESUME_LATER = "re-run the same command later to resume from the last saved page"
RESUME_SHORT = "re-run to resume"
SEARCHES_RESUME = "searches resume where they stopped"
SEARCH_RESUMES = "the search resumes where it stopped"
STARTS_INSTEAD = {
    RESUME_LATER: "re-run the same command later to start the search (nothing was saved)",
    RESUME: "re-run the same command to start the search (nothing was saved)",
    RESUME_SHORT: "re-run to start the search (nothing was saved)",
    SEARCHES_RESUME: "nothing was saved; the same command starts the search",
    SEARCH_RESUMES: "then re-run the same command to start the search",
}
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A dropped connection shows up as any of these (ChunkedEncodingError = body cut short).
_RETRIABLE_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
# Refused / unreachable: the server or the network is not there; a second try rules out a
# blip, six tries with back-off (~40 s) only made people wait for the same answer.
REFUSED_ATTEMPTS = 2
_REFUSED_ERRNOS = {errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH}
_REFUSED_TEXT = {"connection refused": "the server refused the connection",
                 "network is unreachable": "the network is unreachable",
                 "no route to host": "there is no route to the server",
                 "actively refused": "the server refused the connection"}


@dataclass(frozen=True)
class HttpPolicy:
    """What one service's HTTP statuses mean; they differ (OpenAlex's 403 is its rate limit,
    its 429 a used-up daily budget), so each database module can say so.

    ``final(response, text)`` looks at a response with a retryable status and returns why no
    retry within minutes can help (e.g. the day's request budget is spent), or ``""``.
    ``hints`` replace the generic hint for a status, on the immediate error and on giving up.
    """

    retry_statuses: frozenset[int] = RETRY_STATUSES
    hints: Mapping[int, str] = field(default_factory=dict)
    final: Callable[[requests.Response, str], str] | None = None


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (as typed or URL-encoded, see :func:`secret_pattern`) in ``text``
    with ``***``.

    Also masks ``api_key=...`` / ``api-key=...`` query parameters, so a key that reached a URL
    by another route is still hidden.
    """
    out = str(text)
    for secret in secrets:
        if secret:
            out = secret_pattern(secret).sub(REDACTED, out)
    return re.sub(r"(?i)(api[_-]?key=)[^&\s\"']+", r"\1" + REDACTED, out)


@functools.lru_cache(maxsize=16)
def secret_pattern(secret: str) -> re.Pattern[str]:
    """``secret`` as typed or in any URL-encoded form: each character as itself or as its
    %XX bytes (hex in either case, as encoders and servers differ), a space also as ``+``, a
    slash also as JSON's ``\\/``.
    A key with ``+``, ``/`` or ``=`` reaches a request as ``%2B%2F%3D``, and a service or proxy
    echoing the request URL puts that form, not the key, into the page we save."""
    parts = []
    for ch in secret:
        encoded = "".join(f"%[{_hex(b >> 4)}][{_hex(b & 15)}]" for b in ch.encode("utf-8"))
        alternatives = [re.escape(ch), encoded] + ([r"\+"] if ch == " " else []) + ([r"\\/"] if ch == "/" else [])
        parts.append("(?:" + "|".join(alternatives) + ")")
    return re.compile("".join(parts))


def _hex(digit: int) -> str:
    """A hex digit in both cases, for a character class ('a' -> 'aA', '7' -> '7')."""
    return f"{digit:x}{digit:X}" if digit > 9 else f"{digit}"


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


def _refused(err: Exception) -> str:
    """Why a connection could not even be opened ('the server refused the connection'), or ``""``.

    Timeouts are not refusals: a slow server may answer the next time, so they keep the back-off.
    """
    if isinstance(err, requests.Timeout):
        return ""
    seen: set[int] = set()
    stack: list[Any] = [err]
    while stack:        # requests -> urllib3 MaxRetryError.reason -> NewConnectionError -> OSError
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in _REFUSED_ERRNOS:
            return "the server refused the connection" if e.errno == errno.ECONNREFUSED else \
                "the network or the server is unreachable"
        stack += [getattr(e, "reason", None), e.__cause__, e.__context__, *[a for a in getattr(e, "args", ())
                                                                          if isinstance(a, BaseException)]]
    text = str(err).lower()
    return next((said for marker, said in _REFUSED_TEXT.items() if marker in text), "")


def json_message(data: dict[str, Any]) -> str:
    """A JSON reply's own error words (``error``, ``message``, Europe PMC's ``errMsg``,
    ``detail``), joined once each; "" when it has none."""
    parts = [str(data[k]) for k in ("error", "message", "errMsg", "detail") if data.get(k)]
    return ": ".join(dict.fromkeys(parts))


def error_text(response: requests.Response, secrets: Iterable[str] = (), limit: int = 300) -> str:
    """The service's own words about an error, short and on one line (redacted).

    JSON errors (``{"error": ..., "message": ...}``, Europe PMC's ``errMsg``) give their
    message; an HTML page its text without tags; anything else its first characters.
    """
    try:
        raw = response.text or ""
    except Exception:   # a body that cannot be decoded says nothing useful
        return ""
    text = raw
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if isinstance(data, dict):
        text = json_message(data) or raw
    elif "<html" in raw[:500].lower():
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>|<[^>]+>", " ", raw)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return redact(text, secrets)


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
    error: str = ""     # redacted; for an HTTP error status, the service's own words
    retrying: bool = False   # a failed attempt that will be retried after a back-off


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
    policy: HttpPolicy = field(default_factory=HttpPolicy)
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.rate, clock=self.clock, sleep=self.sleep)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def _backoff(self, attempt: int) -> float:
        base = min(self.max_backoff, self.backoff * (2 ** attempt))
        return base + self.rng.uniform(0, base / 2)

    def get(self, url: str, params: Mapping[str, Any] | None = None, *,
            retry_if: Callable[[requests.Response], str] | None = None, retry_hint: str = "") -> requests.Response:
        """GET ``url``; returns a 2xx response or raises :class:`SearchError` (redacted).

        ``retry_if(response)`` may call a 2xx answer a failure worth retrying (PubMed reports
        a backend failure inside a 200 page): it returns the service's words, or ``""``;
        ``retry_hint`` is the hint when the last attempt failed that way.
        """
        headers = {"User-Agent": self.user_agent} if self.user_agent else {}
        pending_wait = 0.0
        gave_up = f"the service may be down or unreachable; {RESUME_LATER}"
        last_problem, last_hint = "", gave_up      # what went wrong last, and what to do about it
        refusals = 0
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
                last_hint = gave_up
                refused = _refused(err)
                refusals += bool(refused)
                no_host = _no_such_host(err)
                fatal = no_host or bool(refused and refusals >= REFUSED_ATTEMPTS)
                self._note(Attempt(shown, None, waited, last_problem,
                                   retrying=not fatal and attempt < self.max_retries))
                if no_host:
                    # the name does not resolve (offline, or a typo in the base URL): retrying
                    # with back-off only made the user wait ~40 s for the same answer
                    raise SearchError("cannot reach the server: its name does not resolve (offline?)",
                                      path=shown, hint="check the network connection (and a custom base "
                                                       "URL), then re-run the same command") from None
                if refused and (refusals >= REFUSED_ATTEMPTS or attempt == self.max_retries):
                    raise SearchError(f"connection failed: {refused}", path=shown,
                                      hint=f"check the network connection (and a custom base URL), then {RESUME}") \
                        from None
                pending_wait = self._backoff(attempt)
                continue
            except requests.RequestException as err:
                raise SearchError(f"request failed: {self.redact(str(err))}", path=shown,
                                  hint="check the base URL and the query") from None
            status = response.status_code
            if status in self.policy.retry_statuses:
                said = error_text(response, self.secrets)
                last_problem = f"HTTP {status}" + (f": {said}" if said else "")
                last_hint = self.policy.hints.get(status) or gave_up
                final = self.policy.final(response, said) if self.policy.final else ""
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                too_long = retry_after is not None and retry_after > self.max_retry_after
                self._note(Attempt(shown, status, waited, last_problem,
                                   retrying=not (final or too_long) and attempt < self.max_retries))
                if final:       # e.g. the day's budget is spent: retrying now only spends more waiting
                    response.close()
                    raise SearchError(f"{final} ({last_problem})", path=shown, hint=self._hint(status))
                if too_long:
                    response.close()
                    raise SearchError(f"the server asked us to wait {retry_after:.0f} s ({last_problem})",
                                      path=shown, hint=f"try again later; {SEARCHES_RESUME}")
                pending_wait = max(retry_after or 0.0, self._backoff(attempt))
                if retry_after:
                    self.limiter.defer(retry_after)
                response.close()
                continue
            if status >= 400:
                self._note(Attempt(shown, status, waited))
                said = error_text(response, self.secrets)
                raise SearchError(f"HTTP {status} from the server: {said}", path=shown, hint=self._hint(status))
            problem = retry_if(response) if retry_if else ""
            if problem:
                last_problem, last_hint = self.redact(problem), retry_hint or gave_up
                self._note(Attempt(shown, status, waited, last_problem, retrying=attempt < self.max_retries))
                pending_wait = self._backoff(attempt)
                continue
            self._note(Attempt(shown, status, waited))
            return response
        raise SearchError(f"gave up after {self.max_retries + 1} attempts ({last_problem})",
                          path=self.redact(_full_url(url, params)), hint=last_hint)

    def _hint(self, status: int) -> str:
        return self.policy.hints.get(status) or _hint_for(status)

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
