"""Which search each record came from, for the report: every export's and API search's date
and record count, and the search rounds (an original search and its updates).

The TOML's ``[[sources]]`` carry ``date_searched`` as the team typed it; API searches their
``date_run``. Records carry ``source_file``, the name the runner gave the export (or the saved
page of an API search), which is what ties the two together.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Iterable

import pandas as pd

from screening.config import YMD as _YMD, ReviewConfig, SourceSpec
from screening.dedup.contributions import search_rounds
from screening.record_marks import from_other_method, marks

ROUND_DAYS = 30     # searches within this many days of a round's first search are that round
                    # (databases are searched over days or weeks; an update comes months later)

_MONTHS = {m: i for i, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for m in names}
_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})[T ]\d{1,2}:\d{2}.*")
_DMY = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})")
_MDY = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")


def iso_date(text: str) -> str:
    """``YYYY-MM-DD`` for a full date written unambiguously ('2022-06-01', '2022/06/01',
    '1 June 2022', 'June 1, 2022', an ISO timestamp), else ''. Never a guess: '01/06/2022'
    (1 June or 6 January?), 'June 2022' or '2022' give '' (no day to order searches by)."""
    text = " ".join(str(text or "").split())
    y = m = d = None
    if (hit := _YMD.fullmatch(text)) is not None:
        y, m, d = (int(g) for g in hit.groups())
    elif (hit := _DMY.fullmatch(text)) is not None and hit.group(2).lower() in _MONTHS:
        y, m, d = int(hit.group(3)), _MONTHS[hit.group(2).lower()], int(hit.group(1))
    elif (hit := _MDY.fullmatch(text)) is not None and hit.group(1).lower() in _MONTHS:
        y, m, d = int(hit.group(3)), _MONTHS[hit.group(1).lower()], int(hit.group(2))
    if y is None:
        return ""
    try:
        return date(y, m, d).isoformat()        # type: ignore[arg-type]
    except ValueError:                          # 2022-02-30
        return ""


def search_date(text: str) -> str:
    """The date a methods section gives for a search: the day of a logged run's timestamp
    ('2026-11-22T10:38:43Z' -> '2026-11-22', as PRISMA-S dates a search), else the date as the
    team typed it in ``date_searched`` ('2024-07-16', '1 May 2024')."""
    text = str(text or "").strip()
    hit = _STAMP.fullmatch(text)
    return hit.group(1) if hit is not None else text


def search_shortfall(value: object) -> int:
    """A logged search's shortfall (records the service reported but did not serve) as a
    searches frame holds it: '5', 5, 5.0 -> 5; '' (an export, or a search logged before
    shortfalls were) -> 0."""
    try:
        return max(0, int(float(str(value))))
    except ValueError:
        return 0


def shortfall_warnings(searches: pd.DataFrame) -> list[str]:
    """One warning per logged search the service served short, in words a reviewer can paste
    ('Europe PMC reported 65 records for the search “...” of 2026-11-22 but served 60 through
    its API; the other 5 could not be retrieved and are not among the records identified')."""
    out = []
    for s in searches.to_dict("records") if "shortfall" in searches.columns else []:
        short = search_shortfall(s["shortfall"])
        if not short or not str(s["records"]).isdigit():
            continue
        served = int(s["records"])
        query = f" “{s['query']}”" if s["query"] else ""
        when = f" of {search_date(s['date_run'])}" if s["date_run"] else ""
        other = ("none could be retrieved" if not served else
                 "the other record could not be retrieved and is not among the records identified" if short == 1
                 else f"the other {short:,} could not be retrieved and are not among the records identified")
        out.append(f"{s['database'] or 'A search'} reported {served + short:,} "
                   f"record{'s' if served + short != 1 else ''} for the search{query}{when} but served {served:,} "
                   f"through its API; {other}")
    return out


def _posix(name: str) -> str:
    return str(name).replace("\\", "/")


_NO_DATE = "(no date_searched)"     # an undated source, as the warnings name it


def _undated(s: SourceSpec) -> str:
    """How the warnings name a source whose date is missing or cannot be read."""
    return f"{s.file} ({s.date_searched!r})" if s.date_searched else f"{s.file} {_NO_DATE}"


def _dated_sources(review: ReviewConfig) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(export name -> date, saved-search folder -> date, sources whose date is not a full date)."""
    from screening.search.log import read_searches   # late: search imports the ingest stage

    exports, unreadable = {}, []
    for s in review.sources:
        exports[_posix(review.source_name(s.file))] = day = iso_date(s.date_searched)
        if not day:
            unreadable.append(_undated(s))
    folders = {_posix(e.raw_dir).rstrip("/") + "/": iso_date(e.date_run)
               for e in read_searches(review) if e.status == "complete" and e.raw_dir}
    return exports, folders, unreadable


def record_dates(records: pd.DataFrame, exports: dict[str, str], folders: dict[str, str]) -> pd.Series:
    """Each record's search date ('' where unknown), aligned with ``records``: by its export's
    name, or the saved-search folder its page lies in."""
    if "source_file" not in records.columns:
        return pd.Series([""] * len(records), index=records.index, dtype=object)
    files = marks(records["source_file"]).map(_posix)

    def date_of(name: str) -> str:
        if name in exports:
            return exports[name]
        return next((day for folder, day in folders.items() if name.startswith(folder)), "")

    return files.map({f: date_of(f) for f in files.unique()})


def _rounds(dates: Iterable[str]) -> list[list[str]]:
    """The search rounds of these dates, oldest first, each its dates in order: a date within
    :data:`ROUND_DAYS` of a round's first date is that round's."""
    rounds: list[list[str]] = []
    for d in sorted({d for d in dates if d}):
        if rounds and (date.fromisoformat(d) - date.fromisoformat(rounds[-1][0])).days <= ROUND_DAYS:
            rounds[-1].append(d)
        else:
            rounds.append([d])
    return rounds


def _round_label(dates: list[str]) -> str:
    return dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"


def search_round_labels(dates: pd.Series) -> pd.Series:
    """Each date's search round, labelled by its dates ('2022-06-01', or '2022-06-01 to
    2022-06-09' for a round searched over several days); '' stays ''."""
    label = {d: _round_label(r) for r in _rounds(dates) for d in r}
    return dates.map(lambda d: label.get(d, ""))


def record_rounds(review: ReviewConfig, records: pd.DataFrame) -> tuple[pd.Series, list[str]]:
    """(each record's search round label, '' where its search has no readable date; the
    sources whose date could not be read).

    The rounds are the database and register searches': another method's date (a citation
    search run weeks after the update's databases, on the studies they found) starts no round
    and widens none. Such a record belongs to the latest round whose searches began on or
    before its date (the first round, if it predates them all). Acceptance testing: a citation
    search dated three months after the update became "the update", with no database record,
    and the whole database update was counted as the previous version."""
    exports, folders, unreadable = _dated_sources(review)
    dates = record_dates(records, exports, folders)
    other = from_other_method(records).to_numpy()
    rounds = _rounds(dates[~other])
    if not rounds or not other.any():
        return search_round_labels(dates), unreadable
    label = {d: _round_label(r) for r in rounds for d in r}

    def followed(d: str) -> str:
        if not d:
            return ""
        began = [r for r in rounds if r[0] <= d]
        return _round_label(began[-1] if began else rounds[0])

    return pd.Series([followed(d) if o else label.get(d, "") for d, o in zip(dates, other)],
                     index=dates.index, dtype=object), unreadable


def search_rounds_report(review: ReviewConfig, records: pd.DataFrame,
                         dated: tuple[pd.Series, list[str]] | None = None,
                         ) -> tuple[tuple[tuple[str, int, int, int], ...], tuple[str, ...]]:
    """((round, records, studies, new studies) per search round when the review was updated,
    warnings). Rounds need every record's search date: when the dated searches span two
    rounds or more but a source's date is missing or not a full date, the table is left out
    and the warning says which source to date. ``dated``: :func:`record_rounds`, when the
    caller has it (it reads the search log)."""
    labels, unreadable = record_rounds(review, records) if dated is None else dated
    # the rounds are the database searches': a citation search run after them is no update search
    # (review of the change: 'the update search of 2022-09-01 added 4 records' in a new review)
    searched = ~from_other_method(records).to_numpy()
    table = search_rounds(records, labels, counted=searched)     # studies read from every record
    records, labels = records[searched], labels[searched]
    methods = {_undated(s) for s in review.sources if s.method.strip()}
    unreadable = [u for u in unreadable if u not in methods]
    # a date given but not readable is said whatever the rounds: with it, an update search's
    # records used to vanish from the report's rounds without a word (acceptance testing, session 16)
    given = [u for u in unreadable if not u.endswith(_NO_DATE)]
    bad = (f"date_searched could not be read as a date for {'; '.join(given[:3])}"
           f"{' ...' if len(given) > 3 else ''}: write it as YYYY-MM-DD (day and month cannot be told "
           "apart in 01/06/2023)",) if given else ()
    if not table.empty:
        return tuple((str(r[0]), *map(int, r[1:])) for r in table.itertuples(index=False)), bad
    dated = {x for x in labels if x}
    if len(dated) >= 2 and (labels == "").any():
        where = "; ".join(unreadable[:3]) + (" ..." if len(unreadable) > 3 else "") if unreadable else \
            "records whose source has no search date"
        return (), (f"what each search round (original search and updates) found is not reported: "
                    f"{int((labels == '').sum())} records have no readable search date ({where}); give every "
                    f"[[sources]] date_searched as YYYY-MM-DD",)
    return (), bad


def export_record_counts(review: ReviewConfig, records: pd.DataFrame) -> list[int | None]:
    """Records ingested from each ``[[sources]]`` export, in the TOML's order (None: not ingested)."""
    if "source_file" not in records.columns:
        return [None] * len(review.sources)
    counts = marks(records["source_file"]).map(_posix).value_counts()
    names = (_posix(review.source_name(s.file)) for s in review.sources)
    return [int(counts[n]) if n in counts.index else None for n in names]
