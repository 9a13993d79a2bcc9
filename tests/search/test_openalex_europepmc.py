"""OpenAlex (cursor) and Europe PMC (cursorMark) searches against local replicas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening.config import load_review
from screening.errors import SearchError
from screening.io.base import get_reader
from screening.search import SearchOptions, read_search_log, run_search, sources_for_review
from screening.search.log import log_path, methods_paragraph

from .conftest import FIXTURES, FakeEuropePMC, FakeOpenAlex, _offset, all_written_text

FAST = dict(backoff=0.01, max_retries=2)


def parsed(review: Path) -> list[dict]:
    out = []
    for src in sources_for_review(load_review(review)):
        out += [r.fields for r in get_reader(src.format).parse(src.data.decode(), src.name).records]
    return out


def test_openalex_cursor_paging_mailto_and_dates(review: Path, openalex: FakeOpenAlex) -> None:
    opts = SearchOptions(base_url=openalex.base_url, email="me@example.org", batch_size=5, **FAST)
    res = run_search(review, "openalex", "biosimilar switching", date_from="2010", date_to="2020/06", options=opts)
    assert (res.entry.total, res.entry.records, len(res.entry.pages)) == (12, 12, 3)
    args = [a for _, _, a in openalex.requests]
    assert [a["cursor"] for a in args][0] == "*" and len({a["cursor"] for a in args}) == 3
    assert all(a["search"] == "biosimilar switching" and a["mailto"] == "me@example.org" and a["per-page"] == "5"
               for a in args)
    assert args[0]["filter"] == "from_publication_date:2010-01-01,to_publication_date:2020-06-30"
    recs = parsed(review)
    assert len(recs) == 12 and len({r["source_record_id"] for r in recs}) == 12
    works = openalex.works
    assert recs[0]["title"] == works[0]["title"] and recs[0]["pmid"] == works[0]["ids"]["pmid"].rsplit("/", 1)[-1]
    # The fixtures hold the same real records; Europe PMC's copy has the plain-text abstract.
    plain = json.loads((FIXTURES / "europepmc_results.json").read_text())
    rebuilt = [r["abstract"] for r in recs]
    assert rebuilt == [" ".join(p["abstractText"].split()) for p in plain]
    assert sum(bool(a) for a in rebuilt) >= 10
    assert {s.database for s in sources_for_review(load_review(review))} == {"OpenAlex"}


def test_openalex_drop_then_resume(review: Path, openalex: FakeOpenAlex) -> None:
    openalex.fail(10, "drop", "drop", "drop")        # third page of 5
    opts = SearchOptions(base_url=openalex.base_url, batch_size=5, **FAST)
    with pytest.raises(SearchError):
        run_search(review, "openalex", "biosimilar", options=opts)
    assert read_search_log(load_review(review)).iloc[0]["records"] == 10
    n = len(openalex.requests)
    res = run_search(review, "openalex", "biosimilar", options=opts)
    assert res.resumed and res.records_saved == 2 and len(openalex.requests) == n + 1
    ids = [r["source_record_id"] for r in parsed(review)]
    assert len(ids) == 12 and len(set(ids)) == 12


def test_openalex_malformed_first_page_saves_nothing(review: Path, openalex: FakeOpenAlex) -> None:
    openalex.fail(0, "malformed")
    with pytest.raises(SearchError, match="malformed JSON from OpenAlex"):
        run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, **FAST))
    assert not (review.parent.parent / "data").exists()


def test_openalex_api_key_not_saved(review: Path, openalex: FakeOpenAlex) -> None:
    key = "oa-KEY-5555-abcdef"
    run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, api_key=key, **FAST))
    assert openalex.requests[0][2]["api_key"] == key
    assert key not in all_written_text(review.parent.parent)


def test_openalex_api_key_echoed_url_encoded_is_not_saved(review: Path, openalex: FakeOpenAlex) -> None:
    """Acceptance testing: a key with '+', '/' or '=' reached a saved page as the URL a proxy
    echoed ('api_key=SeCrEtKey%2B%2F%3D123'): only the raw key was looked for."""
    import requests

    key = "SeCrEtKey+/=123"
    real = openalex.respond

    def echo_url(path, args):                         # as some proxies and mirrors do
        resp = real(path, args)
        body = json.loads(resp.get_data())
        url = requests.Request("GET", "http://mirror/works", params=args).prepare().url
        body["request_url"] = url
        body["lower"] = url.lower()                   # hex digits in lower case, as some encoders write
        body["bare"] = requests.utils.quote(key, safe="")   # the key alone, not as a parameter
        resp.set_data(json.dumps(body))
        return resp

    openalex.respond = echo_url
    run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, api_key=key, **FAST))
    text = all_written_text(review.parent.parent)
    assert "SeCrEtKey" not in text and "secretkey" not in text.lower()
    saved = json.loads(next((review.parent.parent / "data/raw").rglob("page-0001.json")).read_text())
    assert saved["bare"] == "***" and "api_key=***" in saved["request_url"]
    assert len(saved["results"]) == 12                # the page itself is untouched


def test_europepmc_cursormark_until_unchanged(review: Path, europepmc: FakeEuropePMC) -> None:
    opts = SearchOptions(base_url=europepmc.base_url, batch_size=5, **FAST)
    res = run_search(review, "europepmc", "biosimilar AND switch", date_from="2012/01/01", options=opts)
    assert res.entry.records == 12 and len(res.entry.pages) == 3
    args = [a for _, _, a in europepmc.requests]
    assert args[0]["cursorMark"] == "*" and all(a["resultType"] == "core" and a["format"] == "json" for a in args)
    assert args[0]["query"] == "(biosimilar AND switch) AND (FIRST_PDATE:[2012-01-01 TO 3000-12-31])"
    log = json.loads((review.parent.parent / "data/screened/t/search_log.jsonl").read_text().splitlines()[0])
    assert log["query"] == "biosimilar AND switch" and log["details"]["effective_query"] == args[0]["query"]
    recs = parsed(review)
    assert [r["pmid"] for r in recs] == [r["pmid"] for r in europepmc.results]
    assert {s.database for s in sources_for_review(load_review(review))} == {"Europe PMC"}


def test_europepmc_last_page_detected_by_unchanged_cursor(review: Path, europepmc: FakeEuropePMC) -> None:
    europepmc.results = europepmc.results * 1        # 12 records, page size 6 -> 2 full pages
    real_respond = europepmc.respond

    def lying_hitcount(path, args):                  # a hitCount larger than what the service delivers
        resp = real_respond(path, args)
        body = json.loads(resp.get_data())
        body["hitCount"] = 100
        resp.set_data(json.dumps(body))
        return resp

    europepmc.respond = lying_hitcount
    res = run_search(review, "europepmc", "x", options=SearchOptions(base_url=europepmc.base_url, batch_size=6,
                                                                     max_records=1000, **FAST))
    assert res.entry.records == 12 and len(europepmc.requests) == 3   # third request: cursor unchanged, empty
    assert len(res.entry.pages) == 2                                  # the empty last page is not saved
    assert len(parsed(review)) == 12
    # complete, but not silently: the shortfall is in the result and the log row
    assert res.entry.status == "complete" and res.shortfall == 88
    assert any("reported 100 records but served 12" in w and "hitCount" in w for w in res.warnings)
    row = json.loads(log_path(load_review(review)).read_text().splitlines()[0])
    assert (row["status"], row["records"], row["total"], row["shortfall"]) == ("complete", 12, 100, 88)
    assert read_search_log(load_review(review)).iloc[0]["shortfall"] == 88


@pytest.mark.parametrize("signal", ["empty page", "no next cursor"])
def test_openalex_paging_that_ends_early_is_a_recorded_shortfall(review: Path, openalex: FakeOpenAlex,
                                                                 signal: str) -> None:
    """200 of 500 records used to be logged 'complete' without a word."""
    openalex.extra_hits = 8                          # meta.count 20, 12 served
    if signal == "no next cursor":
        real = openalex.respond

        def no_cursor_after_ten(path, args):      # the second page (records 5-9) names no next cursor
            resp = real(path, args)
            if _offset(args.get("cursor", "*")) == 5:
                body = json.loads(resp.get_data())
                body["meta"]["next_cursor"] = None
                resp.set_data(json.dumps(body))
            return resp

        openalex.respond = no_cursor_after_ten
    res = run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, batch_size=5, **FAST))
    records = 12 if signal == "empty page" else 10
    assert res.entry.status == "complete" and res.entry.records == records and res.shortfall == 20 - records
    assert any(f"reported 20 records but served {records}" in w and signal in w for w in res.warnings)
    row = json.loads(log_path(load_review(review)).read_text().splitlines()[0])
    assert row["shortfall"] == 20 - records and row["warnings"] == res.warnings
    assert "could not be retrieved" in methods_paragraph(review)


@pytest.mark.parametrize("interrupted", [False, True])
@pytest.mark.parametrize("db", ["openalex", "europepmc"])
def test_records_repeated_across_pages_are_skipped_and_counted(review: Path, openalex: FakeOpenAlex,
                                                               europepmc: FakeEuropePMC, db: str,
                                                               interrupted: bool) -> None:
    """Overlapping pages saved duplicates in an uninterrupted run (400 saved for 390 hits);
    only a resumed run noticed, and then it refused to go on."""
    fake = openalex if db == "openalex" else europepmc
    fake.overlap = 1                                 # pages 0-4, 4-8, 8-11: two records served twice
    opts = SearchOptions(base_url=fake.base_url, batch_size=5, **FAST)
    if interrupted:
        fake.fail(8, "drop", "drop", "drop")
        with pytest.raises(SearchError):
            run_search(review, db, "x", options=opts)
    res = run_search(review, db, "x", options=opts)
    assert res.resumed is interrupted
    assert (res.entry.records, res.entry.repeated, res.shortfall) == (12, 2, 0)
    assert [len(p.repeated) for p in res.entry.pages] == [0, 1, 1]
    assert any("2 record(s) a second time" in w for w in res.warnings)
    row = json.loads(log_path(load_review(review)).read_text().splitlines()[0])
    assert row["records"] == 12 and row["repeated"] == 2 and [p["records"] for p in row["pages"]] == [5, 4, 3]
    ids = [r["source_record_id"] for r in parsed(review)]
    assert len(ids) == 12 and len(set(ids)) == 12          # each record ingested once


def test_openalex_daily_budget_429_is_not_retried(review: Path, openalex: FakeOpenAlex) -> None:
    openalex.fail(0, "429:daily")
    with pytest.raises(SearchError) as info:
        run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, max_retries=5,
                                                                  backoff=0.01))
    text = str(info.value)
    assert len(openalex.requests) == 1                             # no retries burnt on a spent budget
    assert "daily request budget is used up" in text and "Daily budget of $1.00 exhausted" in text
    assert "--api-key" in text and "midnight UTC" in text


def test_openalex_403_is_its_rate_limit_retried_with_a_hint(review: Path, openalex: FakeOpenAlex) -> None:
    openalex.fail(0, "403")                                        # once: retried, then fine
    res = run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, **FAST))
    assert res.entry.records == 12
    openalex.fail(0, "403", "403", "403")
    with pytest.raises(SearchError) as info:
        run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, **FAST), again=True)
    assert "Too many requests per second" in str(info.value) and "rate limit" in str(info.value)


def test_openalex_per_page_defaults_to_100_and_takes_200_when_asked(review: Path, openalex: FakeOpenAlex) -> None:
    run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, **FAST))
    run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, batch_size=200, **FAST),
               again=True)
    run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, batch_size=500, **FAST),
               again=True)
    assert [a["per-page"] for _, _, a in openalex.requests] == ["100", "200", "200"]


@pytest.mark.parametrize("db", ["openalex", "europepmc"])
def test_zero_hits_saves_the_response_as_evidence(review: Path, openalex: FakeOpenAlex, europepmc: FakeEuropePMC,
                                                  db: str) -> None:
    fake = openalex if db == "openalex" else europepmc
    if db == "openalex":
        fake.works = []
    else:
        fake.results = []
    res = run_search(review, db, "nothing", options=SearchOptions(base_url=fake.base_url, **FAST))
    assert res.entry.status == "complete" and res.entry.records == 0 and res.shortfall == 0 and res.warnings == []
    assert sorted(p.name for p in res.raw_dir.iterdir()) == ["page-0001.json"]
    row = json.loads(log_path(load_review(review)).read_text().splitlines()[0])
    assert row["pages"][0]["records"] == 0 and row["pages"][0]["sha256"]
    assert sources_for_review(load_review(review)) == []           # evidence, nothing to ingest


def test_europepmc_synonym_is_sent_logged_and_kept_on_resume(review: Path, europepmc: FakeEuropePMC) -> None:
    run_search(review, "europepmc", "x", options=SearchOptions(base_url=europepmc.base_url, **FAST))
    assert europepmc.requests[-1][2]["synonym"] == "false"          # the API's default, said out loud
    europepmc.fail(5, "drop", "drop", "drop")
    with pytest.raises(SearchError):
        run_search(review, "europepmc", "y", options=SearchOptions(base_url=europepmc.base_url, batch_size=5,
                                                                    synonym=True, **FAST))
    res = run_search(review, "europepmc", "y", options=SearchOptions(base_url=europepmc.base_url, batch_size=5,
                                                                      **FAST))
    assert {a["synonym"] for _, _, a in europepmc.requests[1:]} == {"true"}   # as the search started
    assert res.entry.params["synonym"] == "true" and res.entry.details["synonym"] is True
    row = json.loads(log_path(load_review(review)).read_text().splitlines()[1])
    assert row["params"]["synonym"] == "true"


def test_completed_row_carries_the_request_parameters(review: Path, openalex: FakeOpenAlex) -> None:
    run_search(review, "openalex", "biosimilar", date_from="2010",
               options=SearchOptions(base_url=openalex.base_url, api_key="oa-KEY-1234", email="me@example.org",
                                     batch_size=5, **FAST))
    row = json.loads(log_path(load_review(review)).read_text().splitlines()[0])
    assert row["params"] == {"search": "biosimilar", "filter": "from_publication_date:2010-01-01",
                             "per-page": "5", "mailto": "me@example.org", "cursor": "*"}


def test_europepmc_reply_without_hitcount_points_at_the_query(review: Path, europepmc: FakeEuropePMC) -> None:
    real = europepmc.respond

    def syntax_error(path, args):
        resp = real(path, args)
        resp.set_data(json.dumps({"version": "6.9", "errMsg": "Invalid query: unbalanced brackets"}))
        return resp

    europepmc.respond = syntax_error
    with pytest.raises(SearchError) as info:
        run_search(review, "europepmc", "(asthma", options=SearchOptions(base_url=europepmc.base_url, **FAST))
    text = str(info.value)
    assert "unbalanced brackets" in text and "syntax" in text and "base URL" not in text


@pytest.mark.parametrize("result_list", [None, []], ids=["no resultList", "empty resultList"])
def test_europepmc_errmsg_beside_a_hitcount_is_quoted(review: Path, europepmc: FakeEuropePMC,
                                                      result_list: list | None) -> None:
    """Acceptance testing: a 200 reply {hitCount: 0, errMsg: ...} without a resultList was called
    'no resultList.result — is the base URL ...?', the service's words dropped; with an empty
    resultList it would have been a search with no hits."""
    real = europepmc.respond

    def error_in_200(path, args):
        resp = real(path, args)
        body = {"version": "6.9", "hitCount": 0, "request": {"queryString": args.get("query")},
                "errMsg": "Syntax error: unbalanced brackets"}
        if result_list is not None:
            body["resultList"] = {"result": result_list}
        resp.set_data(json.dumps(body))
        return resp

    europepmc.respond = error_in_200
    with pytest.raises(SearchError) as info:
        run_search(review, "europepmc", "(asthma", options=SearchOptions(base_url=europepmc.base_url, **FAST))
    text = str(info.value)
    assert "Europe PMC reported an error" in text and "Syntax error: unbalanced brackets" in text
    assert "syntax" in info.value.hint and "base URL" not in text
    assert read_search_log(load_review(review)).empty                # nothing started, nothing logged


def test_europepmc_html_error_page_is_malformed(review: Path, europepmc: FakeEuropePMC) -> None:
    europepmc.fail(5, "malformed")
    with pytest.raises(SearchError, match="malformed JSON from Europe PMC"):
        run_search(review, "europepmc", "x", options=SearchOptions(base_url=europepmc.base_url, batch_size=5, **FAST))
    log = read_search_log(load_review(review))
    assert list(log["status"]) == ["running"] and log.iloc[0]["records"] == 5
    assert sorted(p.name for p in (review.parent.parent / log.iloc[0]["raw_dir"]).iterdir()) == ["page-0001.json"]


@pytest.mark.parametrize("db", ["openalex", "europepmc"])
def test_a_cursor_that_stops_advancing_ends_the_search_instead_of_paging_forever(
        review: Path, openalex: FakeOpenAlex, europepmc: FakeEuropePMC, db: str) -> None:
    fake = openalex if db == "openalex" else europepmc
    fake.overlap = 5                                 # every page starts where the last one did
    res = run_search(review, db, "x", options=SearchOptions(base_url=fake.base_url, batch_size=5, **FAST))
    assert len(fake.requests) <= 3 and len(res.entry.pages) <= 2
    assert (res.entry.records, res.shortfall) == (5, 7)
    assert any(s in w for w in res.warnings for s in ("stopped advancing", "earlier position", "stopped changing"))
    assert len(parsed(review)) == 5


def test_a_record_repeated_within_one_page_is_ingested_once(review: Path, openalex: FakeOpenAlex) -> None:
    openalex.works.insert(2, openalex.works[0])      # page 1: W1, W2, W1, ...
    res = run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, **FAST))
    assert res.entry.repeated == 1 and res.entry.records == 12
    ids = [r["source_record_id"] for r in parsed(review)]
    assert len(ids) == 12 and len(set(ids)) == 12 and openalex.works[0]["id"].rsplit("/", 1)[1] in ids


def _counting(fake: FakeOpenAlex | FakeEuropePMC, count_for) -> None:
    """Make ``fake`` report ``count_for(request number)`` as its hit count (a live index)."""
    real = fake.respond

    def respond(path, args):
        resp = real(path, args)
        body = json.loads(resp.get_data())
        n = len(fake.requests)
        if "meta" in body:
            body["meta"]["count"] = count_for(n)
        else:
            body["hitCount"] = count_for(n)
        resp.set_data(json.dumps(body))
        return resp

    fake.respond = respond


@pytest.mark.parametrize("interrupted", [False, True])
@pytest.mark.parametrize("db", ["openalex", "europepmc"])
def test_a_count_that_grows_while_paging_is_followed_to_the_cursors_end(
        review: Path, openalex: FakeOpenAlex, europepmc: FakeEuropePMC, db: str, interrupted: bool) -> None:
    """Acceptance testing: the count reported with page 1 (250) was kept although page 2 said 400;
    the run stopped at 300 records, logged 'total 250, records 300, shortfall 0' and said nothing."""
    fake = openalex if db == "openalex" else europepmc
    _counting(fake, lambda n: 8 if n == 1 else 12)            # 8 hits on page 1, 12 from page 2 on
    opts = SearchOptions(base_url=fake.base_url, batch_size=5, **FAST)
    if interrupted:                                           # the change must survive a resume
        fake.fail(10, "drop", "drop", "drop")
        with pytest.raises(SearchError):
            run_search(review, db, "x", options=opts)
    res = run_search(review, db, "x", options=opts)
    assert (res.entry.records, res.entry.total, res.shortfall) == (12, 12, 0)
    assert res.entry.total_changes == [{"page": 2, "from": 8, "to": 12}]
    assert any("hit count changed" in w and "8 at the start, 12 at page 2" in w for w in res.warnings)
    row = json.loads(log_path(load_review(review)).read_text().splitlines()[0])
    assert (row["records"], row["total"], row["shortfall"]) == (12, 12, 0)
    assert row["total_changes"] == [{"page": 2, "from": 8, "to": 12}] and row["warnings"] == res.warnings
    assert len(parsed(review)) == 12


@pytest.mark.parametrize("db", ["openalex", "europepmc"])
def test_a_count_that_shrinks_while_paging_leaves_a_recorded_shortfall(
        review: Path, openalex: FakeOpenAlex, europepmc: FakeEuropePMC, db: str) -> None:
    """12 reported, then 10 (two records left the index before the cursor reached them): the two
    are a shortfall, as PubMed's records deleted since ESearch are, not silently forgotten."""
    fake = openalex if db == "openalex" else europepmc
    real = fake.respond

    def shrinking(path, args):
        if len(fake.requests) > 1:                            # from page 2 on the index holds 10
            if db == "openalex":
                fake.works = fake.works[:10]
            else:
                fake.results = fake.results[:10]
        return real(path, args)

    fake.respond = shrinking
    res = run_search(review, db, "x", options=SearchOptions(base_url=fake.base_url, batch_size=5, **FAST))
    assert (res.entry.records, res.entry.total, res.entry.latest_total, res.shortfall) == (10, 12, 10, 2)
    assert res.entry.total_changes == [{"page": 2, "from": 12, "to": 10}]
    assert any("reported 12 records but served 10" in w for w in res.warnings)
    row = json.loads(log_path(load_review(review)).read_text().splitlines()[0])
    assert (row["records"], row["total"], row["shortfall"]) == (10, 12, 2)


def test_more_records_than_the_count_ever_said_is_warned(review: Path, openalex: FakeOpenAlex) -> None:
    _counting(openalex, lambda n: 10)                         # 12 served, 10 reported throughout
    res = run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, batch_size=5,
                                                                    **FAST))
    assert (res.entry.records, res.entry.total, res.shortfall) == (12, 10, 0)
    assert any("more than the 10 it reported" in w for w in res.warnings)


@pytest.mark.parametrize("db", ["openalex", "europepmc"])
def test_an_empty_page_whose_cursor_goes_on_is_an_error_not_the_end(
        review: Path, openalex: FakeOpenAlex, europepmc: FakeEuropePMC, db: str) -> None:
    """Acceptance testing: an empty page 2 with a valid next cursor was taken as the end: 200 of
    450 records logged complete 'with a shortfall', and the same command was then refused."""
    fake = openalex if db == "openalex" else europepmc
    real = fake.respond
    empties = [1]

    def empty_second_page(path, args):                # page 2, once: no records, the cursor goes on
        resp = real(path, args)
        body = json.loads(resp.get_data())
        records = body["results"] if db == "openalex" else body["resultList"]["result"]
        if len(fake.requests) == 2 and empties and records:
            empties.pop()
            records.clear()
            resp.set_data(json.dumps(body))
        return resp

    fake.respond = empty_second_page
    opts = SearchOptions(base_url=fake.base_url, batch_size=5, **FAST)
    with pytest.raises(SearchError, match="empty page before the end") as info:
        run_search(review, db, "x", options=opts)
    assert info.value.exit_code == 7 and "retry" in info.value.hint
    log = read_search_log(load_review(review))
    assert list(log["status"]) == ["running"] and log.iloc[0]["records"] == 5
    assert sorted(p.name for p in (review.parent.parent / log.iloc[0]["raw_dir"]).iterdir()) == ["page-0001.json"]
    res = run_search(review, db, "x", options=opts)          # the same command retries the page
    assert res.resumed and (res.entry.records, res.shortfall) == (12, 0) and len(parsed(review)) == 12


def test_an_empty_page_with_no_next_cursor_is_still_the_end(review: Path, openalex: FakeOpenAlex) -> None:
    real = openalex.respond

    def empty_last(path, args):                       # page 3: empty and no next cursor
        resp = real(path, args)
        if _offset(args.get("cursor", "*")) == 10:
            body = json.loads(resp.get_data())
            body["results"], body["meta"]["next_cursor"] = [], None
            resp.set_data(json.dumps(body))
        return resp

    openalex.respond = empty_last
    res = run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, batch_size=5,
                                                                    **FAST))
    assert (res.entry.status, res.entry.records, res.shortfall, len(res.entry.pages)) == ("complete", 10, 2, 2)
    assert any("empty page with no next cursor" in w for w in res.warnings)
