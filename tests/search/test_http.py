"""The polite client: rate limiter (fake clock), retries with backoff / Retry-After, redaction."""

from __future__ import annotations

import random
import threading
import time
import urllib.parse

import pytest
import requests

from screening.errors import SearchError
from screening.search.http import PoliteClient, RateLimiter, parse_retry_after, redact


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_requests_at_three_per_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(10):
        limiter.acquire()
        stamps.append(clock.now)
    assert max(sum(1 for u in stamps if s <= u < s + 1.0) for s in stamps) == 3
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert min(gaps) >= 1 / 3 and max(gaps) < 0.36


def test_rate_limiter_does_not_wait_when_caller_is_slow() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.now += 5
    assert limiter.acquire() == 0 and clock.sleeps == []


def test_rate_limiter_is_thread_safe() -> None:
    limiter = RateLimiter(50)
    stamps: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(5):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    assert len(stamps) == 20
    assert max(sum(1 for u in stamps if s <= u < s + 0.2) for s in stamps) <= 11   # 50/s -> 10 per 0.2 s (+1 edge)


def test_redact_hides_keys_everywhere() -> None:
    key = "abc123/+="
    text = f"https://x/e?api_key={requests.utils.quote(key, safe='')}&x=1 and {key}; api-key=other"
    out = redact(text, [key])
    assert key not in out and requests.utils.quote(key, safe="") not in out and "other" not in out
    assert out.count("***") == 3


def test_redact_hides_every_encoded_form_of_a_key() -> None:
    key = "SeCrEtKey+/=ü 1"
    forms = [requests.utils.quote(key, safe=""), requests.utils.quote(key, safe="").lower().replace(
        "secretkey", "SeCrEtKey"), urllib.parse.quote_plus(key, safe=""), "SeCrEtKey+\\/%3d%C3%bc+1"]
    for form in forms:
        assert redact(f"<{form}>", [key]) == "<***>", form
    assert redact("SeCrEtKey+/=u 1 secretkey", [key]) == "SeCrEtKey+/=u 1 secretkey"    # other text stays


def test_parse_retry_after_seconds_and_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=0) > 1e9
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def client_for(clock: FakeClock, **kw) -> PoliteClient:
    return PoliteClient(session=requests.Session(), rate=100, clock=clock, sleep=clock.sleep,
                        rng=random.Random(1), **kw)


def test_429_then_success(httpserver) -> None:
    httpserver.expect_ordered_request("/r").respond_with_data("slow down", status=429)
    httpserver.expect_ordered_request("/r").respond_with_data("ok")
    clock = FakeClock()
    seen = []
    client = client_for(clock, backoff=0.5, on_attempt=seen.append)
    assert client.get(httpserver.url_for("/r")).text == "ok"
    assert [a.status for a in seen] == [429, 200]
    assert 0.5 <= max(clock.sleeps) <= 0.75          # backoff with jitter, no Retry-After


def test_503_with_retry_after_is_honoured(httpserver) -> None:
    httpserver.expect_ordered_request("/r").respond_with_data("busy", status=503, headers={"Retry-After": "4"})
    httpserver.expect_ordered_request("/r").respond_with_data("ok")
    clock = FakeClock()
    client = client_for(clock, backoff=0.1)
    assert client.get(httpserver.url_for("/r")).text == "ok"
    assert sum(clock.sleeps) >= 4.0                  # waited at least what the server asked


def test_retry_after_too_long_is_an_error(httpserver) -> None:
    httpserver.expect_request("/r").respond_with_data("busy", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(SearchError, match="wait 3600 s"):
        client_for(FakeClock()).get(httpserver.url_for("/r"))


def test_backoff_grows_exponentially_and_gives_up(httpserver) -> None:
    httpserver.expect_request("/r").respond_with_data("down", status=502)
    clock = FakeClock()
    client = client_for(clock, backoff=1.0, max_retries=3)
    with pytest.raises(SearchError, match="gave up after 4 attempts \\(HTTP 502: down\\)"):
        client.get(httpserver.url_for("/r"), {"api_key": "SECRETKEY"})
    backoffs = [s for s in clock.sleeps if s >= 0.9]
    assert len(backoffs) == 3
    assert 1 <= backoffs[0] <= 1.5 and 2 <= backoffs[1] <= 3 and 4 <= backoffs[2] <= 6


def test_404_is_not_retried_and_names_the_url_without_key(httpserver) -> None:
    httpserver.expect_request("/r").respond_with_data("nope", status=404)
    client = client_for(FakeClock(), secrets=("SECRETKEY",))
    with pytest.raises(SearchError) as info:
        client.get(httpserver.url_for("/r"), {"api_key": "SECRETKEY", "term": "x"})
    assert "HTTP 404" in str(info.value) and "SECRETKEY" not in str(info.value) and "--base-url" in str(info.value)
    assert len(httpserver.log) == 1


def test_connection_refused_is_retried_then_reported() -> None:
    clock = FakeClock()
    client = client_for(clock, max_retries=1, secrets=("SECRETKEY",))
    with pytest.raises(SearchError, match="connection failed") as info:
        client.get("http://127.0.0.1:9/x", {"api_key": "SECRETKEY"})
    assert "SECRETKEY" not in str(info.value)


def test_a_name_that_does_not_resolve_is_not_retried() -> None:
    """Acceptance testing: offline, every search retried the DNS failure six times (~40 s)."""
    clock = FakeClock()
    client = client_for(clock, max_retries=5)
    with pytest.raises(SearchError, match="does not resolve") as info:
        client.get("http://no-such-host.invalid/x")
    assert "network connection" in info.value.hint
    assert clock.sleeps == []                          # no back-off: one attempt, then the error


def test_connection_refused_fails_fast_in_plain_words() -> None:
    """Refused / unreachable was retried six times (~40 s) and shown as raw urllib3 text."""
    clock = FakeClock()
    seen: list = []
    client = client_for(clock, max_retries=5, on_attempt=seen.append)
    with pytest.raises(SearchError) as info:
        client.get("http://127.0.0.1:9/x")
    assert len(seen) == 2 and [a.retrying for a in seen] == [True, False]
    assert info.value.message == "connection failed: the server refused the connection"
    assert "network connection" in info.value.hint and "urllib3" not in str(info.value)


def test_timeouts_keep_the_backoff() -> None:
    class Slow(requests.Session):
        calls = 0

        def get(self, *a, **kw):
            Slow.calls += 1
            raise requests.ConnectTimeout("connect timed out")

    clock = FakeClock()
    client = PoliteClient(session=Slow(), rate=100, clock=clock, sleep=clock.sleep, rng=random.Random(1),
                          max_retries=3, backoff=1.0)
    with pytest.raises(SearchError, match="gave up after 4 attempts"):
        client.get("http://127.0.0.1:9/x")
    assert Slow.calls == 4 and len([s for s in clock.sleeps if s >= 0.9]) == 3


def test_the_services_words_reach_the_final_message(httpserver) -> None:
    httpserver.expect_request("/r").respond_with_data(
        "<html><head><title>x</title><style>p {}</style></head><body><h1>503</h1><p>Back-end server is at "
        "capacity</p></body></html>", status=503, content_type="text/html")
    with pytest.raises(SearchError, match=r"gave up after 2 attempts \(HTTP 503: x 503 Back-end server is at capacity\)"):
        client_for(FakeClock(), max_retries=1).get(httpserver.url_for("/r"))


def test_a_policy_can_retry_403_and_stop_on_a_final_429(httpserver) -> None:
    from screening.search.http import RETRY_STATUSES, HttpPolicy

    policy = HttpPolicy(retry_statuses=RETRY_STATUSES | {403}, hints={403: "slow down (rate limit)"},
                        final=lambda r, said: "budget spent" if r.status_code == 429 and "daily" in said else "")
    httpserver.expect_ordered_request("/r").respond_with_data("too fast", status=403)
    httpserver.expect_ordered_request("/r").respond_with_data("ok")
    assert client_for(FakeClock(), policy=policy).get(httpserver.url_for("/r")).text == "ok"
    httpserver.clear()
    httpserver.expect_request("/r").respond_with_data('{"message": "daily limit exceeded"}', status=429)
    with pytest.raises(SearchError, match=r"budget spent \(HTTP 429: daily limit exceeded\)"):
        client_for(FakeClock(), policy=policy).get(httpserver.url_for("/r"))
    assert len(httpserver.log) == 1
