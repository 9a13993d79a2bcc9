"""``screening search pubmed|openalex|europepmc "QUERY" --review X``: search straight into a review."""

from __future__ import annotations

import sys
from typing import Callable

import typer
from rich.table import Table

from screening.cli._app import console, err_console, group_command, styled, subapp, warn
from screening.search import Progress, SearchOptions, SearchResult, run_search
from screening.search.http import Attempt

group = subapp("search", help="Search PubMed, OpenAlex or Europe PMC into a review, with a PRISMA-S search log.")


def _positive_seconds(value: float) -> float:
    if not value > 0:       # also NaN; 0 would make every request fail at once (requests refuses it)
        raise typer.BadParameter(f"{value:g} is not a number of seconds above 0", param_hint="--timeout")
    return value


_REVIEW = typer.Option(..., "--review", "-r", help="Review TOML (e.g. pipelines/demo.toml) or review name.")
_FROM = typer.Option("", "--from", help="Earliest publication date, YYYY/MM/DD (or YYYY, YYYY/MM).")
_TO = typer.Option("", "--to", help="Latest publication date, YYYY/MM/DD (or YYYY, YYYY/MM).")
_MAX = typer.Option(0, "--max-records", min=0, show_default=False,
                    help="Ask before fetching more records than this (default: the review's [search] max_records, "
                         "else 10,000).")
_YES = typer.Option(False, "--yes", "-y", help="Fetch everything without asking, even above --max-records.")
_BASE = typer.Option("", "--base-url", help="Use a mirror, proxy or test server instead of the public API.",
                     show_default=False)
_BATCH = typer.Option(None, "--batch-size", show_default=False, min=0,
                      help="Records per request (default: the review's [search] batch_size, else the database's; "
                           "0: the database's).")
_RESTART = typer.Option(False, "--restart", help="Do not resume an interrupted identical search; start afresh "
                                                  "(also the way to continue it through another --base-url).")
_TIMEOUT = typer.Option(SearchOptions.timeout, "--timeout", callback=_positive_seconds, metavar="SECONDS",
                        help="Seconds to wait for each response before the request is retried (with back-off, "
                             "up to 5 times); more than 0.")
_AGAIN = typer.Option(False, "--again",
                      help="Run once more a search the review's log already holds as complete: a deliberate "
                           "re-run (an update search, a re-run after a service fix), logged as a new search whose "
                           "records count again. Without --again such a search is refused.")


def _confirm(yes: bool) -> Callable[[int, int], bool] | None:
    if yes:
        return lambda total, ceiling: True
    if sys.stdin.isatty():
        return lambda total, ceiling: typer.confirm(
            f"The search returns {total:,} records (ceiling {ceiling:,}). Fetch them all?", default=False)
    return None   # non-interactive: the library raises a clear error naming --yes


def _progress(p: Progress) -> None:
    err_console.print(f"page {p.page}: {p.records_so_far:,}/{p.total:,} records", style="dim")


def _attempt(a: Attempt) -> None:
    if a.retrying:
        err_console.print(styled(("request failed", "yellow"), f" ({a.error or f'HTTP {a.status}'}); backing off"))


def _render(result: SearchResult) -> None:
    e = result.entry
    verb = "Resumed and completed" if result.resumed else "Completed"
    short = " with a shortfall" if result.shortfall else ""
    table = Table(title=f"{verb} {e.database} search{short}", title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("query", e.query)
    if e.limits:
        table.add_row("limits", " ".join(f"{k} {v}" for k, v in e.limits.items()))
    table.add_row("records found", f"{e.total:,}")
    table.add_row("records saved", f"{e.records:,} ({result.records_saved:,} in this run)")
    if result.shortfall:
        table.add_row("not retrieved", f"{result.shortfall:,}")
    if e.repeated:
        table.add_row("repeats skipped", f"{e.repeated:,}")
    table.add_row("pages saved", f"{len(e.pages)} ({result.pages_saved} in this run)")
    table.add_row("raw responses", e.raw_dir)
    table.add_row("search log", f"{result.log_path} (search {e.search_id})")
    table.add_row("date run", e.date_run)
    console.print(table)
    console.print("`screening run` will ingest these records.", style="dim")
    warn(result.warnings, "search")


def _run(database: str, query: str, review: str, date_from: str, date_to: str, options: SearchOptions,
         yes: bool, restart: bool, again: bool) -> None:
    result = run_search(review, database, query, date_from=date_from, date_to=date_to, options=options,
                        confirm=_confirm(yes), progress=_progress, on_attempt=_attempt, restart=restart,
                        again=again)
    _render(result)


@group_command(group, "pubmed")
def pubmed_cmd(
    query: str = typer.Argument(..., help="PubMed query, exactly as you would type it in PubMed."),
    review: str = _REVIEW,
    date_from: str = _FROM,
    date_to: str = _TO,
    api_key: str = typer.Option("", "--api-key", envvar="NCBI_API_KEY", show_default=False,
                                help="NCBI API key (10 requests/s instead of 3); also read from NCBI_API_KEY."),
    email: str = typer.Option("", "--email", envvar="NCBI_EMAIL", help="Your e-mail, sent to NCBI as asked (env NCBI_EMAIL; default: the review's [search] email)."),
    max_records: int = _MAX, yes: bool = _YES, base_url: str = _BASE, batch_size: int | None = _BATCH,
    timeout: float = _TIMEOUT, restart: bool = _RESTART, again: bool = _AGAIN,
) -> None:
    """Search PubMed (E-utilities ESearch + EFetch) and save the PubMed XML into the review.

    Re-running the same command after an interruption resumes from the last saved page;
    once the search is complete, the same command is refused unless --again.
    Base URL: --base-url, else SCREENING_PUBMED_URL, else NCBI.
    """
    _run("pubmed", query, review, date_from, date_to,
         SearchOptions(api_key=api_key, email=email, max_records=max_records, base_url=base_url,
                       batch_size=batch_size, timeout=timeout), yes, restart, again)


@group_command(group, "openalex")
def openalex_cmd(
    query: str = typer.Argument(..., help="OpenAlex full-text search (or 'filter=...' for a raw /works filter)."),
    review: str = _REVIEW,
    date_from: str = _FROM,
    date_to: str = _TO,
    mailto: str = typer.Option("", "--mailto", envvar="OPENALEX_MAILTO", help="Your e-mail, for OpenAlex's polite pool (default: the review's [search] email)."),
    api_key: str = typer.Option("", "--api-key", envvar="OPENALEX_API_KEY", show_default=False,
                                help="OpenAlex API key (env OPENALEX_API_KEY): needed for more than a few test "
                                     "requests a day; free at openalex.org/settings/api."),
    max_records: int = _MAX, yes: bool = _YES, base_url: str = _BASE, batch_size: int | None = _BATCH,
    timeout: float = _TIMEOUT, restart: bool = _RESTART, again: bool = _AGAIN,
) -> None:
    """Search OpenAlex /works (cursor paging) and save the JSON pages into the review.

    OpenAlex needs an API key for more than a few test requests a day (--api-key or
    OPENALEX_API_KEY; free). Base URL: --base-url, else SCREENING_OPENALEX_URL, else api.openalex.org.
    """
    _run("openalex", query, review, date_from, date_to,
         SearchOptions(api_key=api_key, email=mailto, max_records=max_records, base_url=base_url,
                       batch_size=batch_size, timeout=timeout), yes, restart, again)


@group_command(group, "europepmc")
def europepmc_cmd(
    query: str = typer.Argument(..., help="Europe PMC query (its search syntax)."),
    review: str = _REVIEW,
    date_from: str = _FROM,
    date_to: str = _TO,
    email: str = typer.Option("", "--email", help="Your e-mail, sent with each request (default: the review's [search] email)."),
    synonym: bool = typer.Option(False, "--synonym/--no-synonym",
                                 help="Expand synonyms (MeSH) as the Europe PMC website does; the API's default, "
                                      "and ours, is not to. Sent and logged either way."),
    max_records: int = _MAX, yes: bool = _YES, base_url: str = _BASE, batch_size: int | None = _BATCH,
    timeout: float = _TIMEOUT, restart: bool = _RESTART, again: bool = _AGAIN,
) -> None:
    """Search Europe PMC (REST /search, resultType=core, cursorMark paging) into the review.

    Base URL: --base-url, else SCREENING_EUROPEPMC_URL, else www.ebi.ac.uk/europepmc.
    """
    _run("europepmc", query, review, date_from, date_to,
         SearchOptions(email=email, max_records=max_records, base_url=base_url, batch_size=batch_size,
                       synonym=synonym, timeout=timeout), yes, restart, again)
