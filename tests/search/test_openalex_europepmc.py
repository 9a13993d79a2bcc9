"""OpenAlex (cursor) and Europe PMC (cursorMark) searches against local replicas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening.config import load_review
from screening.errors import SearchError
from screening.io.base import get_reader
from screening.search import SearchOptions, read_search_log, run_search, sources_for_review

from .conftest import FIXTURES, FakeEuropePMC, FakeOpenAlex, all_written_text

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


def test_europepmc_html_error_page_is_malformed(review: Path, europepmc: FakeEuropePMC) -> None:
    europepmc.fail(5, "malformed")
    with pytest.raises(SearchError, match="malformed JSON from Europe PMC"):
        run_search(review, "europepmc", "x", options=SearchOptions(base_url=europepmc.base_url, batch_size=5, **FAST))
    log = read_search_log(load_review(review))
    assert list(log["status"]) == ["running"] and log.iloc[0]["records"] == 5
    assert sorted(p.name for p in (review.parent.parent / log.iloc[0]["raw_dir"]).iterdir()) == ["page-0001.json"]
