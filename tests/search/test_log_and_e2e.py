"""The search log, sources_for_review, `screening run` over searched records, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.config import load_review
from screening.errors import InputError, SearchError
from screening.runner import run_review
from screening.search import SearchOptions, read_search_log, run_search, sources_for_review
from screening.search.log import JOURNAL_DIR, journal_path, log_path, page_id_prefix, read_events

from .conftest import FakeEutils, FakeOpenAlex, all_written_text

FAST = dict(backoff=0.01, max_retries=2)


def test_run_review_ingests_searched_pubmed_records(review: Path, eutils: FakeEutils) -> None:
    res = run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, batch_size=3, **FAST))
    result = run_review(review)
    t = result.records
    assert len(t) == 7 and set(t["source_db"]) == {"PubMed"} and set(t["source_format"]) == {"pubmed_xml"}
    assert sorted(t["pmid"]) == [str(40000001 + i) for i in range(7)]
    assert t["record_id"].is_unique
    assert set(t["source_file"]) == {f"{res.entry.raw_dir}/page-000{i}.xml" for i in (1, 2, 3)}
    assert t["title"].iloc[0] == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."
    counts = json.loads((result.output_dir / "ingest.json").read_text())["details"]["records_per_database"]
    assert counts == {"PubMed": 7}


def test_run_review_mixes_databases_and_skips_unfinished(review: Path, eutils: FakeEutils,
                                                        openalex: FakeOpenAlex) -> None:
    run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, batch_size=7, **FAST))
    openalex.fail(5, "drop", "drop", "drop")
    with pytest.raises(Exception):
        run_search(review, "openalex", "asthma", options=SearchOptions(base_url=openalex.base_url, batch_size=5, **FAST))
    assert run_review(review).records["source_db"].value_counts().to_dict() == {"PubMed": 7}
    # the interrupted search is said in the report, not left invisible (acceptance testing)
    from screening.prisma.state import load_state
    warnings = load_state(load_review(review)).warnings
    assert any("1 search(es) not complete and not counted (OpenAlex: asthma)" in w for w in warnings)
    run_search(review, "openalex", "asthma", options=SearchOptions(base_url=openalex.base_url, batch_size=5, **FAST))
    assert not any("not complete" in w for w in load_state(load_review(review)).warnings)
    counts = run_review(review).records["source_db"].value_counts().to_dict()
    assert counts == {"PubMed": 7, "OpenAlex": 12}
    log = read_search_log(load_review(review))
    assert list(log["database"]) == ["PubMed", "OpenAlex"] and list(log["records"]) == [7, 12]


def test_an_update_search_with_nothing_new_runs(review: Path, eutils: FakeEutils) -> None:
    """Acceptance testing: the same search run twice (an update search finding nothing new)
    saves identical pages; the same-file refusal meant for listed exports stopped the review,
    and the log being append-only there was no way out. Both searches are ingested, and dedup
    links their records."""
    for _ in range(2):          # the second: a deliberate re-run (--again)
        run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, batch_size=7, **FAST),
                   again=True)
    t = run_review(review).records
    assert len(t) == 14 and t["record_id"].is_unique


def test_an_export_that_repeats_a_search_page_is_refused(review: Path, eutils: FakeEutils) -> None:
    """Pages may repeat each other (update searches); a listed export repeating a page would
    count its records twice and is refused, naming both."""
    import shutil

    res = run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, batch_size=7, **FAST))
    copy = review.parent.parent / "data" / "raw" / "pubmed_copy.xml"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(res.raw_dir / "page-0001.xml", copy)
    review.write_text(review.read_text(encoding="utf-8")
                      + '\n[[sources]]\nfile = "data/raw/pubmed_copy.xml"\ndatabase = "PubMed"\n', encoding="utf-8")
    with pytest.raises(InputError, match="same content as") as err:
        run_review(review)
    assert "pubmed_copy.xml" in str(err.value) and "page-0001.xml" in str(err.value)


def test_changed_raw_page_is_refused(review: Path, eutils: FakeEutils) -> None:
    res = run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, batch_size=7, **FAST))
    page = res.raw_dir / "page-0001.xml"
    page.write_bytes(page.read_bytes().replace(b"Mild Asthma", b"Mild asthma"))
    with pytest.raises(InputError, match="changed since it was saved"):
        sources_for_review(load_review(review))


def test_log_rows_journal_and_torn_last_line(review: Path, eutils: FakeEutils) -> None:
    res = run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, batch_size=4, **FAST))
    cfg = load_review(review)
    path = log_path(cfg)
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(rows) == 1                              # one self-contained row per completed search
    row = rows[0]
    assert {k: row[k] for k in ("database", "query", "records", "status", "total")} == \
        {"database": "PubMed", "query": "asthma", "records": 7, "status": "complete", "total": 7}
    assert [p["records"] for p in row["pages"]] == [4, 3] and row["limits"] == ""
    journal = journal_path(cfg, res.entry.search_id)
    assert [e["event"] for e in read_events(journal)] == ["start", "page", "page"]
    assert row["search_id"] == res.entry.search_id and res.entry.search_id in row["raw_dir"]

    before = path.read_text()
    with open(journal, "a") as fh:
        fh.write('{"event": "page", "search_id": "x", "pa')     # a crash mid-write
    assert len(read_events(journal)) == 3
    run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, batch_size=4, **FAST),
               again=True)
    assert path.read_text().startswith(before) and len(path.read_text().splitlines()) == 2
    with open(path, "a") as fh:
        fh.write("not json\n{}\n")
    with pytest.raises(InputError, match="not valid JSON"):
        read_search_log(cfg)


def test_completed_search_survives_a_lost_journal(review: Path, eutils: FakeEutils) -> None:
    import shutil

    run_search(review, "pubmed", "asthma", options=SearchOptions(base_url=eutils.base_url, batch_size=4, **FAST))
    cfg = load_review(review)
    shutil.rmtree(cfg.output_dir / "search_journal")
    assert read_search_log(cfg).iloc[0][["database", "records", "status"]].tolist() == ["PubMed", 7, "complete"]
    assert len(sources_for_review(cfg)) == 2


def test_read_search_log_empty_has_the_columns(review: Path) -> None:
    log = read_search_log(review)
    assert len(log) == 0
    assert list(log.columns[:9]) == ["search_id", "database", "interface", "query", "date_run", "limits",
                                     "records", "tool_version", "status"]


runner = CliRunner()


def test_cli_pubmed_search_then_ceiling(review: Path, eutils: FakeEutils, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "CLIKEY0123456789abcdef"
    monkeypatch.setenv("NCBI_API_KEY", key)
    out = runner.invoke(app, ["search", "pubmed", "asthma[tiab]", "--review", str(review), "--base-url",
                              eutils.base_url, "--from", "2018", "--to", "2019", "--email", "me@example.org"])
    assert out.exit_code == 0, out.output
    assert "Completed PubMed search" in out.output and "records saved" in out.output
    assert "asthma[tiab]" in out.output         # a field tag is not taken for rich markup
    assert key not in out.output and eutils.requests[0][2]["api_key"] == key
    assert key not in all_written_text(review.parent.parent)

    out = runner.invoke(app, ["search", "pubmed", "asthma", "--review", str(review), "--base-url", eutils.base_url,
                              "--max-records", "3"])
    assert out.exit_code == 7 and "more than the ceiling of 3" in out.output and "--yes" in out.output
    out = runner.invoke(app, ["search", "pubmed", "asthma", "--review", str(review), "--base-url", eutils.base_url,
                              "--max-records", "3", "--yes"])
    assert out.exit_code == 0, out.output


def test_cli_openalex_and_errors(review: Path, openalex: FakeOpenAlex) -> None:
    out = runner.invoke(app, ["search", "openalex", "biosimilar", "--review", str(review),
                              "--base-url", openalex.base_url, "--mailto", "me@example.org"])
    assert out.exit_code == 0, out.output
    assert openalex.requests[0][2]["mailto"] == "me@example.org"
    out = runner.invoke(app, ["search", "europepmc", "x", "--review", str(review), "--from", "yesterday"])
    assert out.exit_code == 7 and "not a date" in out.output
    assert runner.invoke(app, ["search", "--help"]).exit_code == 0


@pytest.mark.parametrize("db", ["pubmed", "openalex", "europepmc"])
def test_cli_timeout_reaches_the_search_options(review: Path, db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The request timeout was library-only: a stalled server cost 6 x 60 s before the error."""
    import screening.cli.search as cli_search

    seen = []
    monkeypatch.setattr(cli_search, "run_search", lambda *a, **kw: seen.append(kw["options"]) or 1 / 0)
    out = runner.invoke(app, ["search", db, "x", "--review", str(review), "--timeout", "2.5"])
    assert isinstance(out.exception, ZeroDivisionError) and seen[0].timeout == 2.5
    runner.invoke(app, ["search", db, "x", "--review", str(review)])
    assert seen[1].timeout == 60.0                                  # the default, as before
    for bad in ("0", "-1", "nan"):
        out = runner.invoke(app, ["search", db, "x", "--review", str(review), "--timeout", bad])
        assert out.exit_code == 2 and "--timeout" in out.output and "above 0" in out.output, out.output
    assert len(seen) == 2


def test_a_timeout_of_zero_is_refused_before_any_request(review: Path, eutils: FakeEutils) -> None:
    with pytest.raises(SearchError, match="would fail every request"):
        run_search(review, "pubmed", "x", options=SearchOptions(base_url=eutils.base_url, timeout=0))
    assert eutils.requests == []


def test_a_first_request_that_fails_says_rerunning_starts_the_search(review: Path, openalex: FakeOpenAlex) -> None:
    """Acceptance testing: nothing was started or saved, yet the hint said 're-run the same
    command to resume'."""
    import socket

    with socket.socket() as sock:                         # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SearchError, match="refused the connection") as info:
        run_search(review, "pubmed", "x", options=SearchOptions(base_url=f"http://127.0.0.1:{port}/", **FAST))
    assert "resume" not in str(info.value) and "re-run the same command to start the search" in info.value.hint
    openalex.fail(0, "503", "503", "503")
    with pytest.raises(SearchError, match="gave up after 3 attempts") as info:
        run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, **FAST))
    assert "resume" not in str(info.value) and "later to start the search (nothing was saved)" in info.value.hint
    assert read_search_log(load_review(review)).empty
    openalex.fail(5, "503", "503", "503")                 # once a page is saved, re-running resumes
    with pytest.raises(SearchError, match="gave up after 3 attempts") as info:
        run_search(review, "openalex", "x", options=SearchOptions(base_url=openalex.base_url, batch_size=5, **FAST))
    assert "to resume from the last saved page" in info.value.hint


def test_crash_between_saving_and_logging_a_page(review: Path, eutils: FakeEutils,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A page file written but never logged is not ingested and does not block the resume."""
    import screening.search.core as core

    real = core._log_page
    calls = []

    def crash_on_second(logfile, entry, pe):
        calls.append(pe.page)
        if pe.page == 2 and calls.count(2) == 1:
            raise KeyboardInterrupt
        real(logfile, entry, pe)

    monkeypatch.setattr(core, "_log_page", crash_on_second)
    opts = SearchOptions(base_url=eutils.base_url, batch_size=3, **FAST)
    with pytest.raises(KeyboardInterrupt):
        run_search(review, "pubmed", "asthma", options=opts)
    raw = review.parent.parent / read_search_log(review).iloc[0]["raw_dir"]
    assert (raw / "page-0002.xml").exists() and read_search_log(review).iloc[0]["pages"] == 1
    res = run_search(review, "pubmed", "asthma", options=opts)
    assert res.resumed and res.entry.records == 7
    assert sorted(p.name for p in raw.iterdir()) == ["esearch.xml", "page-0001.xml", "page-0002.xml", "page-0003.xml"]
    assert len(run_review(review).records) == 7


def test_methods_paragraph_quotes_the_search(review: Path, eutils: FakeEutils) -> None:
    from screening.search.log import methods_paragraph

    run_search(review, "pubmed", '"mild asthma"[tiab] AND budesonide', date_from="2018", date_to="2018",
               options=SearchOptions(base_url=eutils.base_url, batch_size=7, **FAST))
    text = methods_paragraph(review)
    assert text.startswith("PubMed was searched via NCBI E-utilities")
    assert '"\\"mild asthma\\"[tiab]' not in text and '"mild asthma"[tiab] AND budesonide' in text
    assert "publication date from 2018 to 2018" in text and "retrieving 7 records" in text


def test_cli_reports_retries_and_resume(review: Path, eutils: FakeEutils, monkeypatch: pytest.MonkeyPatch) -> None:
    import screening.cli.search as cli_search

    real = cli_search.SearchOptions
    monkeypatch.setattr(cli_search, "SearchOptions", lambda **kw: real(**kw, backoff=0.01, max_retries=2))
    eutils.fail(0, "429")
    eutils.fail(2, "drop", "drop", "drop")
    args = ["search", "pubmed", "asthma", "--review", str(review), "--base-url", eutils.base_url, "--batch-size", "2"]
    out = runner.invoke(app, args)
    assert out.exit_code == 7 and "HTTP 429" in out.output and "gave up after 3 attempts" in out.output
    assert "re-run the same command" in out.output
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "Resumed and completed PubMed search" in out.output and "7 (5 in this run)" in out.output


def test_a_torn_journal_tail_is_mended_before_the_next_append(review: Path, eutils: FakeEutils) -> None:
    """The resume appended right after a torn line, leaving a broken line mid-file: every later
    read failed with 'search log line is not valid JSON'."""
    eutils.fail(4, "drop", "drop", "drop")
    opts = SearchOptions(base_url=eutils.base_url, batch_size=2, **FAST)
    with pytest.raises(SearchError):
        run_search(review, "pubmed", "asthma", options=opts)
    cfg = load_review(review)
    journal = next((cfg.output_dir / "search_journal").glob("*.jsonl"))
    with open(journal, "a", encoding="utf-8") as fh:
        fh.write('{"event": "page", "search_id": "x", "note": "caf\u00e9 pa')     # a crash mid-write
    with open(journal, "r+b") as fh:        # ... that even cut a multi-byte character in two
        fh.truncate(fh.seek(0, 2) - 1)
    res = run_search(review, "pubmed", "asthma", options=opts)
    assert res.resumed and res.entry.records == 7
    lines = journal.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(x) for x in lines[:-1])            # valid JSON Lines again
    assert [e["event"] for e in read_events(journal)] == ["start", "page", "page", "page", "page"]
    assert read_search_log(cfg).iloc[0]["status"] == "complete"


def test_a_last_line_that_lost_only_its_newline_is_kept(tmp_path: Path) -> None:
    from screening.search.log import append_event

    path = tmp_path / "log.jsonl"
    path.write_text('{"event": "start", "search_id": "a"}\n{"event": "page", "search_id": "a"}', encoding="utf-8")
    assert len(read_events(path)) == 2              # readers already take it as written...
    append_event(path, {"event": "page", "search_id": "b"})
    assert [e["search_id"] for e in read_events(path)] == ["a", "a", "b"]   # ...so it keeps its place
    assert path.read_text(encoding="utf-8").count("\n") == 3


def test_cli_shows_search_warnings_and_a_shortfall(review: Path, eutils: FakeEutils, openalex: FakeOpenAlex) -> None:
    eutils.notes = "<ErrorList><FieldNotFound>tiabx</FieldNotFound></ErrorList>"
    out = runner.invoke(app, ["search", "pubmed", "asthma[tiabx]", "--review", str(review), "--base-url",
                              eutils.base_url])
    assert out.exit_code == 0, out.output
    assert "warning (search): PubMed: field not found: tiabx" in " ".join(out.output.split())
    openalex.extra_hits = 8
    out = runner.invoke(app, ["search", "openalex", "x", "--review", str(review), "--base-url", openalex.base_url])
    flat = " ".join(out.output.replace("│", " ").split())
    assert out.exit_code == 0, out.output
    assert "Completed OpenAlex search with a shortfall" in flat and "not retrieved 8" in flat
    assert "warning (search): OpenAlex reported 20 records but served 12" in flat


def _ids_to_files(review: Path) -> dict[str, str]:
    return run_review(review).records.set_index("record_id")["source_file"].to_dict()


def _as_saved_by_an_older_version(review: Path) -> None:
    """Drop ``record_ids`` from the search log and journals, as versions before it wrote them."""
    cfg = load_review(review)
    for path in [log_path(cfg), *(cfg.output_dir / JOURNAL_DIR).glob("*.jsonl")]:
        if path.is_file():
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "record_ids"}) + "\n"
                                    for r in rows))


def test_search_record_ids_do_not_depend_on_which_other_searches_finished(review: Path,
                                                                          openalex: FakeOpenAlex) -> None:
    """Record ids were numbered from the page file name across the completed searches
    (page_0001, page_0001_2...), so a search started earlier that completed later took the
    first number and renamed every record of the other search: decisions then named other
    records. Ids are now the search's own (its id + page), set whatever else exists."""
    opts = SearchOptions(base_url=openalex.base_url, batch_size=5, **FAST)
    openalex.fail(5, "drop", "drop", "drop")
    with pytest.raises(SearchError):
        run_search(review, "openalex", "asthma", options=opts)              # A: started first, interrupted
    b = run_search(review, "openalex", "asthma inhaler", options=opts)      # B: started second, completes
    before = _ids_to_files(review)
    assert set(before) == {f"{page_id_prefix(b.entry, p)}-{i:05d}" for p, n in ((1, 5), (2, 5), (3, 2))
                           for i in range(1, n + 1)}
    assert page_id_prefix(b.entry, 2).endswith("_openalex_p2")
    assert run_search(review, "openalex", "asthma", options=opts).resumed    # A resumes, completes
    after = _ids_to_files(review)
    assert len(after) == 24 and all(after[rid] == f for rid, f in before.items())


def test_a_search_an_older_version_started_takes_search_ids_when_resumed(review: Path,
                                                                       openalex: FakeOpenAlex) -> None:
    """Code review: a search started before search-named ids and resumed after the upgrade
    still took file-name ids when it completed, renumbering a search completed meanwhile."""
    opts = SearchOptions(base_url=openalex.base_url, batch_size=5, **FAST)
    openalex.fail(5, "drop", "drop", "drop")
    with pytest.raises(SearchError):
        run_search(review, "openalex", "asthma", options=opts)              # A: old version, interrupted
    run_search(review, "openalex", "asthma inhaler", options=opts)          # B: old version, completes
    _as_saved_by_an_older_version(review)
    before = _ids_to_files(review)
    assert sorted(before)[0] == "page_0001-00001" and len(before) == 12     # B, as it was screened
    a = run_search(review, "openalex", "asthma", options=opts)              # A resumes after the upgrade
    assert a.resumed
    after = _ids_to_files(review)
    assert len(after) == 24 and all(after[rid] == f for rid, f in before.items())
    assert sum(rid.startswith(page_id_prefix(a.entry, 1)[:-1]) for rid in after) == 12


def test_searches_saved_before_search_named_ids_keep_their_ids(review: Path, openalex: FakeOpenAlex) -> None:
    """A search logged without ``record_ids`` (saved by an older version) keeps the file-name
    ids its decisions were made on."""
    run_search(review, "openalex", "asthma", options=SearchOptions(base_url=openalex.base_url, batch_size=5, **FAST))
    _as_saved_by_an_older_version(review)
    assert set(_ids_to_files(review)) == {f"page_000{p}-{i:05d}" for p, n in ((1, 5), (2, 5), (3, 2))
                                          for i in range(1, n + 1)}
