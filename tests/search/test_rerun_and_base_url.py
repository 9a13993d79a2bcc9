"""A completed search run again by mistake, and an interrupted search resumed through another base URL.

Acceptance testing: the same `screening search openalex ...` run a second time recorded a
second completed search (OpenAlex 95 -> 190 identified, the methods paragraph quoting it
twice); and a search resumed with another --base-url kept the first base URL in the log, so
PRISMA-S named the wrong interface for the later pages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.config import load_review
from screening.errors import SearchError
from screening.search import SearchOptions, read_search_log, run_search, sources_for_review
from screening.search.log import journal_path, log_path, methods_paragraph

from .conftest import FakeEuropePMC, FakeEutils, FakeOpenAlex

FAST = dict(backoff=0.01, max_retries=2)
runner = CliRunner()


def log_rows(review: Path) -> list[dict]:
    path = log_path(load_review(review))
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_a_completed_search_run_again_is_refused_saying_when_and_how_many(review: Path,
                                                                         openalex: FakeOpenAlex) -> None:
    opts = SearchOptions(base_url=openalex.base_url, batch_size=5, **FAST)
    first = run_search(review, "openalex", "wildfire health", date_from="2010", options=opts)
    n_requests = len(openalex.requests)
    with pytest.raises(SearchError) as info:
        run_search(review, "openalex", "wildfire health", date_from="2010", options=opts)
    err = info.value
    assert err.exit_code == 7
    assert "already complete" in err.message and first.entry.search_id in err.message
    assert re.search(r"run on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", err.message)
    assert first.entry.date_run[:10] in err.message and "returned 12 records" in err.message
    assert "--again" in err.hint and "deliberate re-run" in err.hint
    assert len(openalex.requests) == n_requests          # refused before any request
    rows = log_rows(review)
    assert len(rows) == 1 and len(sources_for_review(load_review(review))) == 3
    assert methods_paragraph(review).count("OpenAlex was searched") == 1

    # what does not change the result set does not make it another search
    for other in (SearchOptions(base_url=openalex.base_url, batch_size=7, max_records=50_000, **FAST),
                  SearchOptions(base_url=openalex.base_url + "mirror/", **FAST)):
        with pytest.raises(SearchError, match="already complete"):
            run_search(review, "openalex", "wildfire health", date_from="2010", options=other)
    assert len(openalex.requests) == n_requests

    again = run_search(review, "openalex", "wildfire health", date_from="2010", options=opts, again=True)
    assert not again.resumed and again.entry.records == 12 and again.raw_dir != first.raw_dir
    rows = log_rows(review)
    assert [r["search_id"] for r in rows] == [first.entry.search_id, again.entry.search_id]
    assert "repeat_of" not in rows[0] and rows[1]["repeat_of"] == first.entry.search_id
    assert methods_paragraph(review).count("OpenAlex was searched") == 2     # deliberately, twice

    with pytest.raises(SearchError, match=r"already complete.*returned 12 records \(and 1 time\(s\) before that\)"):
        run_search(review, "openalex", "wildfire health", date_from="2010", options=opts)


def test_another_query_limit_or_database_is_another_search(review: Path, openalex: FakeOpenAlex,
                                                          europepmc: FakeEuropePMC) -> None:
    oa = SearchOptions(base_url=openalex.base_url, **FAST)
    run_search(review, "openalex", "x", date_from="2010", options=oa)
    run_search(review, "openalex", "x", date_from="2011", options=oa)               # other dates
    run_search(review, "openalex", "x", date_from="2010", date_to="2020", options=oa)
    run_search(review, "openalex", "y", date_from="2010", options=oa)               # other query
    run_search(review, "europepmc", "x", date_from="2010",                          # other database
               options=SearchOptions(base_url=europepmc.base_url, **FAST))
    # Europe PMC's synonym expansion changes the result set: with it, another search
    run_search(review, "europepmc", "x", date_from="2010",
               options=SearchOptions(base_url=europepmc.base_url, synonym=True, **FAST))
    with pytest.raises(SearchError, match="already complete"):
        run_search(review, "europepmc", "x", date_from="2010",
                   options=SearchOptions(base_url=europepmc.base_url, synonym=True, batch_size=3, **FAST))
    assert len(log_rows(review)) == 6 and not any("repeat_of" in r for r in log_rows(review))


def test_an_interrupted_search_resumes_without_again(review: Path, eutils: FakeEutils) -> None:
    """A search in progress is not a repeat: the same command still resumes it, whether or not an
    identical search is complete, and a restarted deliberate re-run stays one."""
    opts = SearchOptions(base_url=eutils.base_url, batch_size=2, **FAST)
    first = run_search(review, "pubmed", "asthma", options=opts)
    eutils.fail(4, "drop", "drop", "drop")
    with pytest.raises(SearchError, match="gave up"):
        run_search(review, "pubmed", "asthma", options=opts, again=True)          # a re-run, interrupted
    eutils.fail(6, "drop", "drop", "drop")
    with pytest.raises(SearchError, match="gave up"):
        run_search(review, "pubmed", "asthma", options=opts)                      # resumed (no --again): page 3
    res = run_search(review, "pubmed", "asthma", options=opts)                    # resumed again: completes
    assert res.resumed and res.entry.records == 7 and res.entry.repeat_of == first.entry.search_id
    assert list(read_search_log(load_review(review))["status"]) == ["complete", "complete"]

    eutils.fail(4, "drop", "drop", "drop")
    with pytest.raises(SearchError, match="gave up"):
        run_search(review, "pubmed", "asthma", options=opts, again=True)
    restarted = run_search(review, "pubmed", "asthma", options=opts, restart=True)   # no --again needed
    assert not restarted.resumed and restarted.entry.repeat_of == res.entry.search_id
    assert list(read_search_log(load_review(review))["status"]) == ["complete", "complete", "abandoned", "complete"]
    with pytest.raises(SearchError, match="already complete"):                    # --restart alone is no --again
        run_search(review, "pubmed", "asthma", options=opts, restart=True)


def test_a_search_is_not_resumed_through_another_base_url(review: Path, openalex: FakeOpenAlex) -> None:
    started = openalex.base_url
    other = openalex.base_url + "mirror/"          # another interface (the fake serves any prefix)
    openalex.fail(5, "drop", "drop", "drop")
    with pytest.raises(SearchError, match="gave up"):
        run_search(review, "openalex", "x", options=SearchOptions(base_url=started, batch_size=5, **FAST))
    cfg = load_review(review)
    sid = read_search_log(cfg).iloc[0]["search_id"]
    journal = journal_path(cfg, sid).read_bytes()
    n_requests = len(openalex.requests)

    with pytest.raises(SearchError) as info:
        run_search(review, "openalex", "x", options=SearchOptions(base_url=other, batch_size=5, **FAST))
    err = info.value
    assert err.exit_code == 7 and sid in err.message
    assert f"started through {started}" in err.message and f"not {other}" in err.message
    assert "--restart" in err.hint and f"afresh through {other}" in err.hint and f"resume it through {started}" in err.hint
    assert len(openalex.requests) == n_requests and journal_path(cfg, sid).read_bytes() == journal    # nothing done

    res = run_search(review, "openalex", "x", options=SearchOptions(base_url=other, batch_size=5, **FAST),
                     restart=True)
    assert not res.resumed and res.entry.records == 12
    rows = log_rows(review)
    assert len(rows) == 1 and rows[0]["base_url"] == other and rows[0]["search_id"] == res.entry.search_id
    assert list(read_search_log(cfg)["status"]) == ["abandoned", "complete"]
    assert all(p.startswith("/mirror/") for _, p, _ in openalex.requests[n_requests:])


def test_the_same_base_url_written_another_way_resumes(review: Path, openalex: FakeOpenAlex,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    openalex.fail(5, "drop", "drop", "drop")
    monkeypatch.setenv("SCREENING_OPENALEX_URL", openalex.base_url)
    with pytest.raises(SearchError, match="gave up"):
        run_search(review, "openalex", "x", options=SearchOptions(batch_size=5, **FAST))
    monkeypatch.delenv("SCREENING_OPENALEX_URL")
    res = run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url.rstrip("/"),
                                                                    batch_size=5, **FAST))
    assert res.resumed and res.entry.records == 12 and res.entry.base_url == openalex.base_url


def test_cli_again_and_base_url(review: Path, openalex: FakeOpenAlex, monkeypatch: pytest.MonkeyPatch) -> None:
    import screening.cli.search as cli_search

    real = cli_search.SearchOptions
    monkeypatch.setattr(cli_search, "SearchOptions", lambda **kw: real(**kw, **FAST))
    args = ["search", "openalex", "wildfire health", "--review", str(review), "--base-url", openalex.base_url]
    assert runner.invoke(app, args).exit_code == 0
    out = runner.invoke(app, args)
    flat = " ".join(out.output.split())
    assert out.exit_code == 7 and "already complete" in flat and "returned 12 records" in flat
    assert "--again" in flat and "deliberate re-run" in flat
    assert len(log_rows(review)) == 1
    out = runner.invoke(app, [*args, "--again"])
    assert out.exit_code == 0, out.output
    assert len(log_rows(review)) == 2 and log_rows(review)[1]["repeat_of"] == log_rows(review)[0]["search_id"]
    assert "--again" in " ".join(runner.invoke(app, ["search", "openalex", "--help"]).output.split())

    openalex.fail(5, "drop", "drop", "drop")
    args = ["search", "openalex", "z", "--review", str(review), "--batch-size", "5", "--base-url"]
    assert runner.invoke(app, [*args, openalex.base_url]).exit_code == 7         # interrupted
    out = runner.invoke(app, [*args, openalex.base_url + "mirror/"])
    flat = " ".join(out.output.split())
    assert out.exit_code == 7 and f"started through {openalex.base_url}" in flat and "--restart" in flat
    out = runner.invoke(app, [*args, openalex.base_url + "mirror/", "--restart"])
    assert out.exit_code == 0, out.output
    assert log_rows(review)[-1]["base_url"] == openalex.base_url + "mirror/"


def test_the_refusal_of_a_search_served_short_says_what_was_reported(review: Path, openalex: FakeOpenAlex) -> None:
    openalex.extra_hits = 3
    opts = SearchOptions(base_url=openalex.base_url, **FAST)
    assert run_search(review, "openalex", "x", options=opts).shortfall == 3
    with pytest.raises(SearchError, match="returned 12 records of the 15 it reported"):
        run_search(review, "openalex", "x", options=opts)
