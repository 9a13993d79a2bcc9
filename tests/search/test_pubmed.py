"""PubMed searches against a local E-utilities replica built from real PubMed XML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from screening.config import load_review
from screening.errors import SearchError
from screening.search import SearchOptions, read_search_log, run_search, sources_for_review

from screening.search.log import log_path

from .conftest import FakeEutils, all_written_text, efetch_page, pubmed_articles

FAST = dict(backoff=0.01, max_retries=2)


def pmids_saved(review: Path) -> list[str]:
    out = []
    for src in sources_for_review(load_review(review)):
        out += etree.fromstring(src.data).xpath("//PubmedArticle/MedlineCitation/PMID/text()")
    return out


def test_pages_through_efetch_with_history_and_logs_prisma_s(review: Path, eutils: FakeEutils) -> None:
    opts = SearchOptions(base_url=eutils.base_url, email="me@example.org", batch_size=3, **FAST)
    res = run_search(review, "pubmed", "asthma budesonide", date_from="2018/01/01", date_to="2018/12/31",
                     options=opts)
    assert (res.pages_saved, res.records_saved, res.resumed) == (3, 7, False)
    paths = [p for _, p, _ in eutils.requests]
    assert paths == ["/esearch.fcgi", "/efetch.fcgi", "/efetch.fcgi", "/efetch.fcgi"]
    search_args = eutils.requests[0][2]
    assert search_args["usehistory"] == "y" and search_args["term"] == "asthma budesonide"
    assert (search_args["datetype"], search_args["mindate"], search_args["maxdate"]) == ("pdat", "2018/01/01", "2018/12/31")
    assert search_args["tool"] == "screening" and search_args["email"] == "me@example.org"
    fetches = [a for _, p, a in eutils.requests if p == "/efetch.fcgi"]
    assert [a["retstart"] for a in fetches] == ["0", "3", "6"]
    assert {a["WebEnv"] for a in fetches} == {eutils.webenv} and {a["query_key"] for a in fetches} == {"1"}
    assert all(a["retmode"] == "xml" and a["email"] == "me@example.org" for a in fetches)

    files = sorted(p.name for p in res.raw_dir.iterdir())
    assert files == ["esearch.xml", "page-0001.xml", "page-0002.xml", "page-0003.xml"]
    assert str(res.raw_dir.relative_to(review.parent.parent)).startswith("data/raw/t/searches/")
    assert len(set(pmids_saved(review))) == 7

    log = read_search_log(load_review(review))
    row = log.iloc[0].to_dict()
    assert row["database"] == "PubMed" and row["status"] == "complete" and row["records"] == 7
    assert row["query"] == "asthma budesonide" and row["limits"] == "from 2018/01/01 to 2018/12/31"
    assert row["interface"].startswith("NCBI E-utilities") and row["tool_version"].startswith("screening ")
    assert row["date_run"].endswith("Z") and row["raw_dir"] == str(res.raw_dir.relative_to(review.parent.parent))
    assert {"database", "interface", "query", "date_run", "limits", "records",
                                            "tool_version", "status", "raw_dir"} <= set(log.columns)
    sources = sources_for_review(load_review(review))
    assert [s.database for s in sources] == ["PubMed"] * 3 and {s.format for s in sources} == {"pubmed_xml"}


def test_connection_dropped_on_page_3_then_resumed_without_duplicates(review: Path, eutils: FakeEutils) -> None:
    eutils.fail(4, "drop", "drop", "drop")          # page 3 (retstart 4) dies on every attempt
    opts = SearchOptions(base_url=eutils.base_url, batch_size=2, **FAST)
    with pytest.raises(SearchError, match="gave up after 3 attempts"):
        run_search(review, "pubmed", "asthma", options=opts)
    cfg = load_review(review)
    assert read_search_log(cfg).iloc[0]["status"] == "running"
    assert sources_for_review(cfg) == []            # an unfinished search is not ingested
    raw = next((review.parent.parent / "data/raw/t/searches").iterdir())
    assert sorted(p.name for p in raw.iterdir()) == ["esearch.xml", "page-0001.xml", "page-0002.xml"]

    n_before = len(eutils.requests)
    res = run_search(review, "pubmed", "asthma", options=opts)
    assert res.resumed and res.pages_saved == 2 and res.records_saved == 3
    retstarts = [a["retstart"] for _, p, a in eutils.requests[n_before:] if p == "/efetch.fcgi"]
    assert retstarts == ["4", "6"]                  # resumed at the first unsaved page, no ESearch again
    assert not any(p == "/esearch.fcgi" for _, p, _ in eutils.requests[n_before:])
    pmids = pmids_saved(review)
    assert len(pmids) == 7 and len(set(pmids)) == 7
    log = read_search_log(cfg)
    assert len(log) == 1 and log.iloc[0]["status"] == "complete" and log.iloc[0]["pages"] == 4


def test_killed_process_resumes_and_completed_search_is_not_resumed(review: Path, eutils: FakeEutils) -> None:
    opts = SearchOptions(base_url=eutils.base_url, batch_size=2, **FAST)

    def die_after_two(progress) -> None:
        if progress.page == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_search(review, "pubmed", "asthma", options=opts, progress=die_after_two)
    res = run_search(review, "pubmed", "asthma", options=opts)
    assert res.resumed and res.entry.records == 7 and len(set(pmids_saved(review))) == 7
    # The same query again (--again) is a new (update) search, not a resume of the complete one.
    again = run_search(review, "pubmed", "asthma", options=opts, again=True)
    assert not again.resumed and again.raw_dir != res.raw_dir
    assert list(read_search_log(load_review(review))["status"]) == ["complete", "complete"]


def test_expired_webenv_reruns_esearch_and_checks_count(review: Path, eutils: FakeEutils) -> None:
    eutils.fail(2, "drop", "drop", "drop")
    opts = SearchOptions(base_url=eutils.base_url, batch_size=2, **FAST)
    with pytest.raises(SearchError):
        run_search(review, "pubmed", "asthma", options=opts)
    eutils.fail(2, "expired")
    res = run_search(review, "pubmed", "asthma", options=opts)
    assert res.entry.records == 7 and len(set(pmids_saved(review))) == 7
    later = [a.get("WebEnv") for _, p, a in eutils.requests if p == "/efetch.fcgi"][-3:]
    assert later == [f"{eutils.webenv}_1"] * 3     # fresh history after the restate
    journal = review.parent.parent / f"data/screened/t/search_journal/{res.entry.search_id}.jsonl"
    events = [json.loads(x) for x in journal.read_text().splitlines()]
    assert [e["event"] for e in events].count("restate") == 1


def test_result_set_changed_after_expiry_is_a_clear_error(review: Path, eutils: FakeEutils) -> None:
    eutils.fail(2, "drop", "drop", "drop")
    opts = SearchOptions(base_url=eutils.base_url, batch_size=2, **FAST)
    with pytest.raises(SearchError):
        run_search(review, "pubmed", "asthma", options=opts)
    eutils.articles.append(eutils.articles[0].replace("40000001", "40000099"))
    eutils.fail(2, "expired")
    with pytest.raises(SearchError, match="--restart"):
        run_search(review, "pubmed", "asthma", options=opts)
    res = run_search(review, "pubmed", "asthma", options=opts, restart=True)
    assert not res.resumed and res.entry.records == 8
    assert list(read_search_log(load_review(review))["status"]) == ["abandoned", "complete"]
    assert len(pmids_saved(review)) == 8                 # the abandoned part is never ingested


def test_result_set_shifted_with_the_same_count_after_expiry_is_refused(review: Path, eutils: FakeEutils) -> None:
    """Acceptance testing: a record deleted before the resume point and one added after it kept
    the count; the refresh compared only the count, paging went on at retstart in the new list,
    and the record that moved back into the saved slice was never fetched, silently."""
    eutils.fail(2, "drop", "drop", "drop")
    opts = SearchOptions(base_url=eutils.base_url, batch_size=2, **FAST)
    with pytest.raises(SearchError):
        run_search(review, "pubmed", "asthma", options=opts)      # records 1-2 saved
    first = eutils.articles.pop(0)                                # 40000001 deleted, one added later:
    eutils.articles.insert(4, first.replace("40000001", "40000099"))    # still 7 records
    eutils.fail(2, "expired")
    n = len(eutils.requests)
    with pytest.raises(SearchError, match="changed since the search started") as info:
        run_search(review, "pubmed", "asthma", options=opts)
    assert "--restart" in info.value.hint and "pmid:40000001" in str(info.value)
    paths = [(p, a.get("rettype")) for _, p, a in eutils.requests[n:]]
    assert paths == [("/efetch.fcgi", None), ("/esearch.fcgi", None), ("/efetch.fcgi", "uilist")]   # one extra
    cfg = load_review(review)
    assert list(read_search_log(cfg)["status"]) == ["running"] and sources_for_review(cfg) == []
    res = run_search(review, "pubmed", "asthma", options=opts, restart=True)
    assert not res.resumed and sorted(pmids_saved(review)) == sorted(
        [str(40000002 + i) for i in range(6)] + ["40000099"])


def test_same_records_in_another_order_after_expiry_resume(review: Path, eutils: FakeEutils) -> None:
    """Only which records lie before the resume point matters, not their order there."""
    eutils.fail(4, "drop", "drop", "drop")
    opts = SearchOptions(base_url=eutils.base_url, batch_size=2, **FAST)
    with pytest.raises(SearchError):
        run_search(review, "pubmed", "asthma", options=opts)      # records 1-4 saved
    eutils.articles[0], eutils.articles[3] = eutils.articles[3], eutils.articles[0]
    eutils.fail(4, "expired")
    res = run_search(review, "pubmed", "asthma", options=opts)
    assert res.resumed and res.entry.records == 7 and len(set(pmids_saved(review))) == 7


def test_malformed_efetch_is_a_clear_error_and_saves_no_page(review: Path, eutils: FakeEutils) -> None:
    eutils.fail(0, "malformed")
    opts = SearchOptions(base_url=eutils.base_url, batch_size=3, **FAST)
    with pytest.raises(SearchError) as info:
        run_search(review, "pubmed", "asthma", options=opts)
    assert "malformed EFetch response from PubMed" in str(info.value)
    root = review.parent.parent
    assert not list(root.rglob("page-*"))
    log = read_search_log(load_review(review))
    assert list(log["status"]) == ["running"] and log.iloc[0]["records"] == 0


def test_malformed_esearch_saves_nothing(review: Path, eutils: FakeEutils) -> None:
    eutils.fail("esearch", "malformed")
    eutils.special = lambda action: __import__("werkzeug").Response("<eSearchResult><Count>7</Count", status=200)
    with pytest.raises(SearchError, match="malformed ESearch"):
        run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, **FAST))
    assert not (review.parent.parent / "data").exists()


def test_api_key_never_written_anywhere(review: Path, eutils: FakeEutils) -> None:
    key = "c0ffee1234567890deadbeefcafe0000aa11"
    eutils.fail(2, "503:0", "drop", "drop")
    opts = SearchOptions(base_url=eutils.base_url, api_key=key, email="me@example.org", batch_size=2, **FAST)
    with pytest.raises(SearchError) as info:
        run_search(review, "pubmed", "asthma", options=opts)
    assert key not in str(info.value) and key not in repr(info.value) and key not in repr(opts)
    assert all(a.get("api_key") == key for _, _, a in eutils.requests)     # it was sent...
    run_search(review, "pubmed", "asthma", options=opts)
    text = all_written_text(review.parent.parent)
    assert "40000007" in text and key not in text                           # ...but never written


def test_http_error_message_redacts_key(review: Path, httpserver) -> None:
    key = "secretkey_9f8e7d6c5b4a"
    httpserver.expect_request("/esearch.fcgi").respond_with_data(f"bad api_key={key}", status=400)
    with pytest.raises(SearchError) as info:
        run_search(review, "pubmed", "asthma",
                   options=SearchOptions(base_url=httpserver.url_for("/"), api_key=key, **FAST))
    assert "HTTP 400" in str(info.value) and key not in str(info.value)


def test_ceiling_asks_for_confirmation(review: Path, eutils: FakeEutils) -> None:
    opts = SearchOptions(base_url=eutils.base_url, max_records=5, batch_size=4, **FAST)
    with pytest.raises(SearchError, match="more than the ceiling of 5"):
        run_search(review, "pubmed", "asthma", options=opts)
    asked = []
    with pytest.raises(SearchError, match="cancelled"):
        run_search(review, "pubmed", "asthma", options=opts, confirm=lambda n, c: asked.append((n, c)) or False)
    assert asked == [(7, 5)]
    assert not (review.parent.parent / "data").exists()          # nothing saved before the answer
    res = run_search(review, "pubmed", "asthma", options=opts, confirm=lambda n, c: True)
    assert res.entry.records == 7


def test_rate_limit_measured_on_the_server(review: Path, eutils: FakeEutils) -> None:
    """3 requests/s without a key, 10/s with one: no 1-second window holds more."""
    run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, batch_size=2, **FAST))
    t = eutils.times()
    assert len(t) == 5
    assert max(sum(1 for u in t if s <= u < s + 1.0) for s in t) <= 3
    eutils.articles = pubmed_articles(14)
    eutils.requests.clear()
    run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, batch_size=1,
                                                                 api_key="k" * 36, **FAST), restart=True, again=True)
    t = eutils.times()
    assert len(t) == 15          # ESearch + 14 single-record EFetches
    assert max(sum(1 for u in t if s <= u < s + 1.0) for s in t) <= 10
    assert t[-1] - t[0] >= 1.3                         # 14 gaps of >= 0.1 s


def test_zero_hits_completes_with_no_pages(review: Path, eutils: FakeEutils) -> None:
    eutils.articles = []
    res = run_search(review, "pubmed", "nonexistentterm", options=SearchOptions(base_url=eutils.base_url, **FAST))
    assert res.entry.status == "complete" and res.entry.records == 0
    assert [p for _, p, _ in eutils.requests] == ["/esearch.fcgi"]


def test_bad_dates_and_empty_query(review: Path) -> None:
    with pytest.raises(SearchError, match="not a date"):
        run_search(review, "pubmed", "asthma", date_from="01-01-2018")
    with pytest.raises(SearchError, match="after"):
        run_search(review, "pubmed", "asthma", date_from="2020", date_to="2019/12/31")
    with pytest.raises(SearchError, match="empty"):
        run_search(review, "pubmed", "  ")


def test_env_var_overrides_base_url(review: Path, eutils: FakeEutils, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENING_PUBMED_URL", eutils.base_url)
    res = run_search(review, "pubmed", "asthma", options=SearchOptions(batch_size=7, **FAST))
    assert res.entry.records == 7 and res.entry.base_url == eutils.base_url


def test_more_than_ncbi_can_serve_is_refused_up_front(review: Path, eutils: FakeEutils) -> None:
    """retstart cannot pass 9998, so a history serves 9,999 records: with exactly 10,000 hits the
    last page failed every time (the cap was 10,000)."""
    eutils.articles = ["<PubmedArticle/>"] * 10_000
    with pytest.raises(SearchError, match="at most 9,999") as info:
        run_search(review, "pubmed", "cancer", options=SearchOptions(base_url=eutils.base_url, **FAST),
                   confirm=lambda n, c: True)
    assert "--from/--to" in str(info.value) and "date ranges" in str(info.value)
    assert [p for _, p, _ in eutils.requests] == ["/esearch.fcgi"]
    eutils.articles = ["<PubmedArticle/>"] * 9_999          # within the cap: on to the ceiling question
    with pytest.raises(SearchError, match="cancelled: 9,999"):
        run_search(review, "pubmed", "cancer", options=SearchOptions(base_url=eutils.base_url, max_records=100,
                                                                     **FAST), confirm=lambda n, c: False)


def test_esearch_error_beside_a_count_is_retried_not_a_zero_hit_search(review: Path, eutils: FakeEutils) -> None:
    """`<Count>0</Count><ERROR>Search Backend failed…</ERROR>` was logged as a complete search with no hits."""
    eutils.fail("esearch", "backend", "backend", "backend")
    opts = SearchOptions(base_url=eutils.base_url, batch_size=7, **FAST)
    with pytest.raises(SearchError, match="gave up after 3 attempts") as info:
        run_search(review, "pubmed", "asthma", options=opts)
    assert "Search Backend failed" in str(info.value) and "check the query syntax" in info.value.hint
    assert read_search_log(load_review(review)).empty                 # nothing logged, nothing complete
    eutils.fail("esearch", "backend")                                 # a passing failure: retried
    res = run_search(review, "pubmed", "asthma", options=opts)
    assert res.entry.records == 7 and [p for _, p, _ in eutils.requests[-3:]] == \
        ["/esearch.fcgi", "/esearch.fcgi", "/efetch.fcgi"]


def test_an_esearch_error_about_the_query_fails_at_once(review: Path, eutils: FakeEutils) -> None:
    eutils.fail("esearch", "invalid")
    with pytest.raises(SearchError, match="PubMed rejected the query: Invalid query") as info:
        run_search(review, "pubmed", "(asthma", options=SearchOptions(base_url=eutils.base_url, **FAST))
    assert len(eutils.requests) == 1 and "query syntax" in info.value.hint      # no retries on a bad query
    assert read_search_log(load_review(review)).empty


def test_esearch_query_warnings_are_logged(review: Path, eutils: FakeEutils) -> None:
    eutils.notes = ("<ErrorList><PhraseNotFound>asthmaa</PhraseNotFound><FieldNotFound>tiabx</FieldNotFound>"
                    "</ErrorList><WarningList><PhraseIgnored>and</PhraseIgnored><QuotedPhraseNotFound>\"mild "
                    "asthmaa\"</QuotedPhraseNotFound><OutputMessage>No items found.</OutputMessage></WarningList>")
    res = run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, batch_size=7, **FAST))
    expected = ["PubMed: phrase not found: asthmaa", "PubMed: field not found: tiabx", "PubMed: phrase ignored: and",
                'PubMed: quoted phrase not found: "mild asthmaa"', "PubMed: No items found."]
    assert res.warnings == expected
    row = json.loads(log_path(load_review(review)).read_text().splitlines()[0])
    assert row["warnings"] == expected


def test_a_record_deleted_after_esearch_does_not_block_completion(review: Path, eutils: FakeEutils) -> None:
    """EFetch lacking one PMID made the page fail on every re-run: the search could never finish."""
    eutils.deleted = {"40000005"}
    opts = SearchOptions(base_url=eutils.base_url, batch_size=3, **FAST)
    res = run_search(review, "pubmed", "asthma", options=opts)
    assert res.entry.status == "complete" and res.entry.records == 6 and res.shortfall == 1
    assert [p.missing for p in res.entry.pages] == [[], ["pmid:40000005"], []]
    fetches = [a for _, p, a in eutils.requests if p == "/efetch.fcgi" and "id" not in a and "rettype" not in a]
    assert [a["retstart"] for a in fetches] == ["0", "3", "6"]        # history positions, not records
    assert any("pmid:40000005" in w and "did not return" in w for w in res.warnings)
    assert any("reported 7 records but served 6" in w for w in res.warnings)
    row = json.loads(log_path(load_review(review)).read_text().splitlines()[0])
    assert row["shortfall"] == 1 and row["pages"][1]["missing"] == ["pmid:40000005"]
    assert sorted(pmids_saved(review)) == [str(40000001 + i) for i in range(7) if i != 4]


def test_a_short_efetch_page_whose_records_still_exist_is_retried(review: Path, eutils: FakeEutils,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A page that lacks a record which can still be fetched by id is a glitch, not a deletion."""
    real = eutils.respond

    def drop_one(path, args):
        if path.endswith("/efetch.fcgi") and args.get("retstart") == "3" and "rettype" not in args:
            return __import__("werkzeug").Response(efetch_page(eutils.articles[3:5]), content_type="text/xml")
        return real(path, args)

    monkeypatch.setattr(eutils, "respond", drop_one)
    with pytest.raises(SearchError, match="EFetch page holds 2 articles, expected 3"):
        run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, batch_size=3, **FAST))


def test_review_search_section_supplies_defaults_that_options_override(review: Path, eutils: FakeEutils) -> None:
    review.write_text(review.read_text(encoding="utf-8")
                      + '\n[search]\nemail = "team@example.org"\nmax_records = 5\nbatch_size = 4\n', encoding="utf-8")
    with pytest.raises(SearchError, match="more than the ceiling of 5"):      # the review's ceiling
        run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, **FAST))
    res = run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, **FAST),
                     confirm=lambda n, c: True)
    fetches = [a for _, p, a in eutils.requests if p == "/efetch.fcgi"]
    assert res.entry.records == 7 and [a["retstart"] for a in fetches] == ["0", "4"]
    assert {a["email"] for _, _, a in eutils.requests} == {"team@example.org"}
    eutils.requests.clear()
    run_search(review, "pubmed", "asthma", restart=True, again=True, options=SearchOptions(
        base_url=eutils.base_url, email="me@example.org", max_records=100, batch_size=7, **FAST))
    assert {a["email"] for _, _, a in eutils.requests} == {"me@example.org"}      # options win
    assert [a["retstart"] for _, p, a in eutils.requests if p == "/efetch.fcgi"] == ["0"]
    eutils.requests.clear()         # an explicit 0 is the database's page size, not "not given"
    run_search(review, "pubmed", "asthma", restart=True, again=True, options=SearchOptions(
        base_url=eutils.base_url, max_records=100, batch_size=0, **FAST))
    assert len([p for _, p, _ in eutils.requests if p == "/efetch.fcgi"]) == 1


@pytest.mark.parametrize("body, message", [
    ('[search]\napi_key = "abc"\n', "API key does not belong"),
    ('[search]\nmax_records = 0\n', "max_records must be at least 1"),
    ('[search]\nemial = "x@y.org"\n', "unknown key 'emial' in \\[search\\]"),
])
def test_review_search_section_is_validated(review: Path, body: str, message: str) -> None:
    from screening.errors import ConfigError

    review.write_text(review.read_text(encoding="utf-8") + "\n" + body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_review(review)


def test_search_dates_are_calendar_dates_compared_as_periods() -> None:
    """Acceptance testing: '--to 2020/13' crashed with a traceback, '2020/13/45' was sent to
    the API and logged, and '--from 2020/06 --to 2020' was refused by a string comparison."""
    from screening.search.core import check_limits

    assert check_limits("2020/06", "2020") == {"from": "2020/06", "to": "2020"}
    assert check_limits("2020/02/29", "2020/02") == {"from": "2020/02/29", "to": "2020/02"}
    for bad in (("2020/13", ""), ("", "2020/00"), ("2020/13/45", ""), ("2021/02/29", "")):
        with pytest.raises(SearchError, match="not a calendar date"):
            check_limits(*bad)
    with pytest.raises(SearchError, match="swap the dates"):
        check_limits("2021", "2020/12/31")
