"""The review's search log (PRISMA-S): what was searched, where, when, and what came back.

Two append-only JSON Lines files, never rewritten:

* ``<output_dir>/search_log.jsonl`` — **one line per completed search**, a self-contained
  row: search_id, database, interface, query (exactly as typed), date_run, limits (as text,
  e.g. ``from 2018/01/01 to 2020/12/31``; the dates also under ``limit_dates``), records,
  tool_version, status (``complete``), raw_dir, total (hits the service reported), pages
  (file, records, sha256 of each saved page; ``repeated``: ids of records the page brought
  again, skipped; ``missing``: PubMed ids listed but not fetchable), date_completed, base_url,
  params (the request parameters as sent, key masked), details, shortfall (``total`` minus
  ``records`` when the service served fewer than it reported, else 0), repeated (records
  served more than once, skipped), warnings (the service's query warnings and any
  shortfall, in words), record_ids (``search``: the records' ids are named after the
  search, ``<search id>_p<page>-00001``; absent on searches completed before such ids) and
  repeat_of (the search_id of the completed search this one deliberately runs again,
  ``--again``; absent otherwise) and total_changes (cursor APIs: each change of the hit count
  while paging, ``{"page", "from", "to"}``; absent when it never changed; ``total`` is then the
  highest count reported). This is the file a PRISMA report reads, and what ``screening run``
  ingests from; any reader that takes one row per line sees exactly the completed searches.
* ``<output_dir>/search_journal/<search_id>.jsonl`` — the progress journal of one search,
  one *event* per line: ``start`` (everything above that is known up front, the request
  parameters with any key masked, and the resume state such as NCBI's WebEnv), ``page``
  (file, records, sha256, paging position after it, and ``total`` when the hit count that page
  reported differs from the one before) and ``restate`` (new resume state).
  A search with a journal but no log row is ``running`` (in progress or interrupted; the
  same command resumes it from its last ``page`` event) or, after ``--restart`` started it
  afresh, ``abandoned`` (an ``abandoned`` event).

A line torn by a crash (the last one of a file, without its newline) is ignored on read and
removed before the next append, so the file stays valid JSON Lines. JSON Lines rather than
SQLite: readable, diff-able, append-only by construction; a review holds tens of searches.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from screening.config import ReviewConfig, load_review
from screening.errors import InputError

LOG_NAME = "search_log.jsonl"
JOURNAL_DIR = "search_journal"
LOG_COLUMNS = ("search_id", "database", "interface", "query", "date_run", "limits", "records",
               "tool_version", "status", "raw_dir", "total", "pages", "date_completed", "shortfall",
               "repeated")
_INT_COLUMNS = ("records", "total", "pages", "shortfall", "repeated")


@dataclass
class PageEntry:
    page: int
    file: str                 # relative to the project root
    records: int
    sha256: str
    next: dict[str, Any]      # paging position after this page
    repeated: list[str] = field(default_factory=list)   # ids already saved by an earlier page: skipped
    missing: list[str] = field(default_factory=list)    # ids the result set lists but the page lacks
    total: int | None = None  # the hit count this page reported, when it changed (journal only)


@dataclass
class SearchEntry:
    """One search, folded from its log events."""

    search_id: str
    database: str
    interface: str
    query: str
    limits: dict[str, str]
    date_run: str
    tool_version: str
    raw_dir: str
    base_url: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    total: int = 0
    state: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    pages: list[PageEntry] = field(default_factory=list)
    status: str = "running"
    date_completed: str = ""
    started: str = ""         # date_run with microseconds, to order searches run in the same second
    shortfall: int = 0        # total - records when the service served fewer than it reported
    warnings: list[str] = field(default_factory=list)
    # how ingest names its records: "search" -> <search id>_p<page>-00001 (stable whatever other
    # searches exist); "" (searches saved before 0.5) -> from the page's file name, numbered
    # _2, _3... across searches, which shifts when an earlier-started search completes later
    record_ids: str = ""
    repeat_of: str = ""       # the completed search this one deliberately runs again (--again)
    # cursor APIs report a count with every page and a live index changes it while we page:
    # each change, {"page": n, "from": count before, "to": count that page reported}. ``total``
    # is the highest count reported, so records the index lost meanwhile count as a shortfall
    total_changes: list[dict[str, int]] = field(default_factory=list)

    @property
    def latest_total(self) -> int:
        """The count the service reported last (``total`` unless it changed during paging)."""
        return self.total_changes[-1]["to"] if self.total_changes else self.total

    def change_total(self, page: int, count: int) -> bool:
        """Note the count ``page`` reported; True when it differs from the latest one."""
        if count == self.latest_total:
            return False
        self.total_changes.append({"page": page, "from": self.latest_total, "to": count})
        self.total = max(self.total, count)
        return True

    @property
    def records(self) -> int:
        """Distinct records saved (a record served again by a later page is not counted twice)."""
        return sum(p.records for p in self.pages)

    @property
    def repeated(self) -> int:
        return sum(len(p.repeated) for p in self.pages)

    @property
    def key(self) -> tuple[str, str, str]:
        return search_key(self.database, self.query, self.limits)


def search_key(database: str, query: str, limits: dict[str, str]) -> tuple[str, str, str]:
    """What makes two runs 'the same search' to resume it: database, exact query, limits. (To
    refuse running a completed one again, ``rerun.check_not_done`` also compares the
    database's :meth:`~.database.Database.scope`.)"""
    return (database, query, json.dumps({k: v for k, v in limits.items() if v}, sort_keys=True))


def format_limits(limits: dict[str, str]) -> str:
    parts = []
    if limits.get("from"):
        parts.append(f"from {limits['from']}")
    if limits.get("to"):
        parts.append(f"to {limits['to']}")
    return " ".join(parts)


def log_path(review: ReviewConfig) -> Path:
    return review.output_dir / LOG_NAME


def journal_path(review: ReviewConfig, search_id: str) -> Path:
    return review.output_dir / JOURNAL_DIR / f"{search_id}.jsonl"


def append_event(path: Path, event: dict[str, Any]) -> None:
    """Append one line and fsync it: a line, once written, survives a crash.

    A torn last line (a crash mid-write) is mended first; appended after it, the new line
    would join it into one broken line in the middle of the file, which no read survives.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n"
    with open(path, "a+b") as fh:      # appending, and reading the tail to mend it
        _mend_tail(fh)
        fh.write(line.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


def _mend_tail(fh: BinaryIO) -> None:
    """Make ``fh`` (opened ``a+b``) end with a newline, as every complete write leaves it.

    A last line without its newline is a write a crash interrupted. Each line is one JSON
    object written at once, so a cut-short line never parses: it is dropped (truncated away,
    one call, then fsynced). A line that does parse lost only its newline, and readers have
    already taken it as written, so it keeps its place and gets the newline.
    """
    size = fh.seek(0, os.SEEK_END)
    if size == 0:
        return
    fh.seek(size - 1)
    if fh.read(1) == b"\n":
        return
    start = _last_line_start(fh, size)
    fh.seek(start)
    tail = fh.read()
    if _parses(tail):
        fh.write(b"\n")
    else:
        fh.truncate(start)
    fh.flush()
    os.fsync(fh.fileno())


def _last_line_start(fh: BinaryIO, size: int, block: int = 65536) -> int:
    """Offset just after the file's last newline (0 if none): where its last line starts."""
    end = size
    while end > 0:
        begin = max(0, end - block)
        fh.seek(begin)
        cut = fh.read(end - begin).rfind(b"\n")
        if cut >= 0:
            return begin + cut + 1
        end = begin
    return 0


def _parses(line: bytes) -> bool:
    try:
        json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return True


def read_events(path: Path, *, need: tuple[str, ...] = ("event", "search_id")) -> list[dict[str, Any]]:
    """All lines of a JSONL file; a torn *last* line (crash mid-write) is ignored, any other bad line is an error."""
    if not path.exists():
        return []
    data = path.read_bytes()
    lines = data.split(b"\n")
    events = []
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:     # line by line: a torn tail may end inside a multi-byte character
            event = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            if n == len(lines) and not data.endswith(b"\n"):
                break   # the process died while writing this line
            raise InputError("search log line is not valid JSON", path=path, line=n,
                             hint="the log is append-only; restore it from version control") from None
        if not isinstance(event, dict) or any(k not in event for k in need):
            raise InputError(f"search log line lacks {' / '.join(need)}", path=path, line=n)
        events.append(event)
    return events


def fold(events: list[dict[str, Any]]) -> list[SearchEntry]:
    """Journal events -> one :class:`SearchEntry` per search, in the order searches were started."""
    entries: dict[str, SearchEntry] = {}
    for ev in events:
        sid = ev["search_id"]
        kind = ev["event"]
        if kind == "start":
            entries[sid] = _entry_from(ev)
            continue
        entry = entries.get(sid)
        if entry is None:
            continue
        if kind == "page":
            page = _page_from(ev)
            entry.pages.append(page)
            if page.total is not None:          # the count changed on this page
                entry.change_total(page.page, page.total)
        elif kind == "restate":
            entry.state = dict(ev.get("state") or {})
        elif kind == "abandoned":
            entry.status = "abandoned"
    return list(entries.values())


def _entry_from(ev: dict[str, Any]) -> SearchEntry:
    limits = ev.get("limit_dates") if isinstance(ev.get("limit_dates"), dict) else ev.get("limits")
    return SearchEntry(
        search_id=ev["search_id"], database=ev.get("database", ""), interface=ev.get("interface", ""),
        query=ev.get("query", ""), limits=dict(limits) if isinstance(limits, dict) else {},
        date_run=ev.get("date_run", ""), tool_version=ev.get("tool_version", ""),
        raw_dir=ev.get("raw_dir", ""), base_url=ev.get("base_url", ""),
        params=dict(ev.get("params") or {}), total=int(ev.get("total") or 0),
        state=dict(ev.get("state") or {}), details=dict(ev.get("details") or {}),
        started=ev.get("started", ""), shortfall=int(ev.get("shortfall") or 0),
        warnings=[str(w) for w in ev.get("warnings") or []], record_ids=str(ev.get("record_ids") or ""),
        repeat_of=str(ev.get("repeat_of") or ""),
    )


def _page_from(ev: dict[str, Any]) -> PageEntry:
    return PageEntry(page=int(ev["page"]), file=ev["file"], records=int(ev["records"]),
                     sha256=ev.get("sha256", ""), next=dict(ev.get("next") or {}),
                     repeated=[str(i) for i in ev.get("repeated") or []],
                     missing=[str(i) for i in ev.get("missing") or []],
                     total=int(ev["total"]) if isinstance(ev.get("total"), int) else None)


def page_fields(p: PageEntry) -> dict[str, Any]:
    """A saved page as logged: the id lists only when there is something to say."""
    out: dict[str, Any] = {"page": p.page, "file": p.file, "records": p.records, "sha256": p.sha256}
    if p.repeated:
        out["repeated"] = p.repeated
    if p.missing:
        out["missing"] = p.missing
    return out


def page_id_prefix(entry: SearchEntry, page: int) -> str:
    """The stem of the record ids ingest gives one saved page's records ("" -> from the file
    name, for searches saved before record ids were named after the search)."""
    if entry.record_ids != "search":
        return ""
    return re.sub(r"[^A-Za-z0-9]+", "_", f"{entry.search_id}_p{page}").strip("_").lower()


def completed_row(entry: SearchEntry, date_completed: str) -> dict[str, Any]:
    """The search_log.jsonl row for a finished search (self-contained; see the module docstring)."""
    return {
        "search_id": entry.search_id, "database": entry.database, "interface": entry.interface,
        "query": entry.query, "date_run": entry.date_run, "limits": format_limits(entry.limits),
        "limit_dates": entry.limits, "records": entry.records, "tool_version": entry.tool_version,
        "status": "complete", "raw_dir": entry.raw_dir, "total": entry.total,
        "pages": [page_fields(p) for p in entry.pages],
        "date_completed": date_completed, "base_url": entry.base_url, "params": entry.params,
        "details": entry.details, "started": entry.started, "shortfall": entry.shortfall,
        "repeated": entry.repeated, "warnings": entry.warnings,
        **({"record_ids": entry.record_ids} if entry.record_ids else {}),
        **({"repeat_of": entry.repeat_of} if entry.repeat_of else {}),
        **({"total_changes": entry.total_changes} if entry.total_changes else {}),
    }


def read_searches(review: ReviewConfig) -> list[SearchEntry]:
    """Every search of the review: completed ones from the log, running ones from their journals."""
    journals = review.output_dir / JOURNAL_DIR
    entries: dict[str, SearchEntry] = {}
    if journals.is_dir():
        for path in sorted(journals.glob("*.jsonl")):
            for entry in fold(read_events(path)):
                entries[entry.search_id] = entry
    for row in read_events(log_path(review), need=("search_id", "database")):
        entry = entries.get(row["search_id"])
        if entry is None:                       # journal gone: the log row alone is enough
            entry = entries[row["search_id"]] = _entry_from(row)
        entry.pages = [_page_from({"next": {}, **p}) for p in row.get("pages") or []]
        entry.total = int(row.get("total") or entry.total)
        entry.status = "complete"
        entry.date_completed = row.get("date_completed", "")
        entry.shortfall = int(row.get("shortfall") or 0)
        entry.warnings = [str(w) for w in row.get("warnings") or []]
        entry.record_ids = str(row.get("record_ids") or "")     # what ingest has used since
        entry.total_changes = [dict(c) for c in row.get("total_changes") or [] if isinstance(c, dict)]
    return sorted(entries.values(), key=lambda e: (e.started or e.date_run, e.search_id))


def read_search_log(review_config: ReviewConfig | str | Path) -> pd.DataFrame:
    """The search log as a table, one row per search (for PRISMA counts and methods text).

    Columns: database, interface, query, date_run, limits (e.g. 'from 2018/01/01 to
    2020/12/31'), records (saved so far; final once status == 'complete'), tool_version,
    status ('running' | 'complete' | 'abandoned'), raw_dir, plus search_id, total (hits the service
    reported), pages, date_completed, shortfall (total - records for a search the service
    served short, else 0) and repeated (records served again by later pages, skipped).
    """
    review = review_config if isinstance(review_config, ReviewConfig) else load_review(review_config)
    rows = [{
        "search_id": e.search_id, "database": e.database, "interface": e.interface, "query": e.query,
        "date_run": e.date_run, "limits": format_limits(e.limits), "records": e.records,
        "tool_version": e.tool_version, "status": e.status, "raw_dir": e.raw_dir, "total": e.total,
        "pages": len(e.pages), "date_completed": e.date_completed, "shortfall": e.shortfall,
        "repeated": e.repeated,
    } for e in read_searches(review)]
    df = pd.DataFrame(rows, columns=list(LOG_COLUMNS))
    for col in _INT_COLUMNS:
        df[col] = df[col].astype("int64")
    for col in set(LOG_COLUMNS) - set(_INT_COLUMNS):
        df[col] = df[col].astype(object)
    return df


def describe_search(entry: SearchEntry) -> str:
    """One PRISMA-S sentence quoting a search exactly (for the report's methods section)."""
    limits = format_limits(entry.limits)
    when = entry.date_run[:10]
    text = f'{entry.database} was searched via {entry.interface} on {when} with the query "{entry.query}"'
    if limits:
        text += f" (publication date {limits})"
    if entry.status == "complete" and entry.shortfall:
        return text + (f", retrieving {entry.records:,} records; {entry.database} reported {entry.total:,}, and "
                       f"{entry.shortfall:,} could not be retrieved through its API ({entry.tool_version}).")
    if entry.status == "complete":
        return text + f", retrieving {entry.records:,} records ({entry.tool_version})."
    return text + f"; the search did not finish ({entry.records:,} records saved so far)."


def methods_paragraph(review_config: ReviewConfig | str | Path) -> str:
    """The searches of a review as a methods paragraph: one sentence per completed search."""
    review = review_config if isinstance(review_config, ReviewConfig) else load_review(review_config)
    return " ".join(describe_search(e) for e in read_searches(review) if e.status == "complete")
