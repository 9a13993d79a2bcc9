"""Which search each record came from, for the report: every export's and API search's date
and record count, and the search rounds (an original search and its updates).

The TOML's ``[[sources]]`` carry ``date_searched`` as the team typed it; API searches their
``date_run``. Records carry ``source_file``, the name the runner gave the export (or the saved
page of an API search), which is what ties the two together.
"""

from __future__ import annotations

import pandas as pd

from screening.config import ReviewConfig
from screening.dedup.contributions import search_rounds
from screening.records import marks


def _iso_date(text: str) -> str:
    """``YYYY-MM-DD`` for a date as typed ('2022-06-01', '1 June 2022', '2022/06/01'), else ''."""
    text = str(text or "").strip()
    if not text:
        return ""
    try:
        return pd.Timestamp(text[:10] if text[:4].isdigit() and len(text) >= 10 else text).strftime("%Y-%m-%d")
    except (ValueError, TypeError, OverflowError):
        return ""


def file_dates(review: ReviewConfig) -> tuple[dict[str, str], dict[str, str]]:
    """(export name -> date, saved-search folder -> date): the search date of every source
    whose date is recorded and reads as a date."""
    from screening.runner import source_name     # late: the runner imports the stages
    from screening.search.log import read_searches

    exports = {source_name(review, review.resolve(s.file)): _iso_date(s.date_searched) for s in review.sources}
    folders = {e.raw_dir.rstrip("/") + "/": _iso_date(e.date_run)
               for e in read_searches(review) if e.status == "complete" and e.raw_dir}
    return exports, folders


def record_dates(review: ReviewConfig, records: pd.DataFrame) -> pd.Series:
    """Each record's search date ('' where unknown), aligned with ``records``."""
    if "source_file" not in records.columns:
        return pd.Series([""] * len(records), index=records.index, dtype=object)
    exports, folders = file_dates(review)
    files = marks(records["source_file"]).str.replace("\\", "/", regex=False)

    def date_of(name: str) -> str:
        if name in exports:
            return exports[name]
        for folder, date in folders.items():
            if name.startswith(folder):
                return date
        return ""

    return files.map({f: date_of(f) for f in files.unique()})


ROUND_GAP_DAYS = 60    # searches this close to the previous one are the same round (one search
                       # period spans days or weeks; an update comes months or years later)


def search_round_labels(dates: pd.Series) -> pd.Series:
    """Each date's search round, labelled by its dates ('2022-06-01', or '2022-06-01 to
    2022-06-09' for a round searched over several days); '' stays ''."""
    days = sorted({d for d in dates if d})
    rounds: list[list[str]] = []
    for d in days:
        if rounds and (pd.Timestamp(d) - pd.Timestamp(rounds[-1][-1])).days <= ROUND_GAP_DAYS:
            rounds[-1].append(d)
        else:
            rounds.append([d])
    label = {d: (r[0] if len(r) == 1 else f"{r[0]} to {r[-1]}") for r in rounds for d in r}
    return dates.map(lambda d: label.get(d, ""))


def rounds_rows(review: ReviewConfig, records: pd.DataFrame) -> tuple[tuple[str, int, int, int], ...]:
    """(round, records, studies, new studies) per search round, when a review was updated."""
    table = search_rounds(records, search_round_labels(record_dates(review, records)))
    return tuple((str(r[0]), *map(int, r[1:])) for r in table.itertuples(index=False))


def export_record_counts(review: ReviewConfig, records: pd.DataFrame) -> list[int | None]:
    """Records ingested from each ``[[sources]]`` export, in the TOML's order (None: not ingested)."""
    from screening.runner import source_name

    if "source_file" not in records.columns:
        return [None] * len(review.sources)
    counts = marks(records["source_file"]).value_counts()
    return [int(counts[n]) if n in counts.index else None
            for n in (source_name(review, review.resolve(s.file)) for s in review.sources)]
