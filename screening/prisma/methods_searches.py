"""The methods paragraph's sentences on the searches: which databases and other sources were
searched, with what query, interface, date, limits and records (``search_sentence``); what each
update search added (``rounds_sentence``); and the sources as the counts classify them
(``sources_phrase``), for :func:`screening.prisma.methods.methods_paragraph`.

Apart from the rest of the paragraph because they read the search records (the TOML's sources
and the API search log), not the screening counts or the decision log.
"""

from __future__ import annotations

from typing import Any, Collection

import pandas as pd

from screening.prisma.number_format import fmt
from screening.prisma.prose import counted, join_and
from screening.prisma.searches import search_date, search_shortfall


def _records_bit(s: dict) -> str:
    """'60 records'; for a search the service served short (the log's shortfall), '60 of the 65
    records the service reported; the other 5 could not be retrieved through its API'."""
    if not s["records"]:
        return ""
    if not str(s["records"]).isdigit():
        return f"{s['records']} records"
    served, short = int(s["records"]), search_shortfall(s.get("shortfall", ""))
    if not short:
        return counted(served, "record")
    reported = counted(served + short, "record")
    if not served:
        return f"0 records: the {reported} the service reported could not be retrieved through its API"
    other = "the other record" if short == 1 else f"the other {fmt(short)}"
    return f"{fmt(served)} of the {reported} the service reported; {other} could not be retrieved through its API"


def search_sentence(searches: pd.DataFrame | None, methods: Collection[str] = ()) -> str:
    """'We searched A (...), B (...) and C (...).'; sources that are other methods (citation
    searching, named in ``methods``) follow as 'We also used Citation searching (...).'"""
    if searches is None or len(searches) == 0:
        return "The databases searched are not recorded in the review state."
    rows = searches.to_dict("records")
    other = [s for s in rows if s["database"] in methods]
    rows = [s for s in rows if s["database"] not in methods]
    if not rows:
        return _searched(other, "We used")
    sentence = _searched(rows, "We searched")
    return sentence + (" " + _searched(other, "We also used") if other else "")


def _searched(rows: list[dict[str, Any]], verb: str) -> str:
    dated = any(s["date_run"] for s in rows)
    parts = []
    for s in rows:
        # a logged API search's time stamp gives its day, as an export's date_searched does
        date_bit = (f"searched {search_date(s['date_run'])}" if s["date_run"] else "date of search not recorded") \
            if dated else ""
        # the team's own words on the search ('update search', 'run without date limits'):
        # within one review they are what says which sources an update added
        # an API search names the tool (and version) that ran it and fetched its records (PRISMA-S)
        version = str(s.get("tool_version") or "")
        ran = f"run with {version if version.startswith('screening') else 'screening ' + version}" if version else ""
        bits = [b for b in (f"via {s['interface']}" if s["interface"] else "", date_bit, s.get("notes", ""),
                            f"limits: {s['limits']}" if s["limits"] else "", _records_bit(s), ran) if b]
        # typographic quotes around the query, exactly as typed: a database's own phrase quotes
        # ('"gambling"[tiab] AND harm*[tiab]') inside straight ones read as '""gambling"...'
        query = f" using “{s['query']}”" if s["query"] else ""
        parts.append(f"{s['database'] or 'an unnamed source'}{query}" + (f" ({'; '.join(bits)})" if bits else ""))
    sentence = f"{verb} {join_and(parts)}."
    if not dated:
        sentence += " The dates of the searches are not recorded in the review state."
    return sentence


def _added(n: int, new: int) -> str:
    """'9 records and 5 studies no earlier search had found' / '154 records, all of studies
    earlier searches had found'. Not 'new studies': the update flow's new studies are those
    its screening included, another number."""
    if new == 0:
        return (f"{counted(n, 'record')}, " + ("of a study" if n == 1 else "all of studies")
                + " earlier searches had found")
    return f"{counted(n, 'record')} and {counted(new, 'study', 'studies')} no earlier search had found"


def rounds_sentence(rounds: tuple[tuple[str, int, int, int], ...]) -> str:
    """'The searches of 2022-06-01 identified 900 records; the update search of 2023-06-01
    added 154 records and 97 studies no earlier search had found.' One clause per update (''
    when the review was searched in one round, or a date is not recorded)."""
    if len(rounds) < 2:
        return ""
    (first, n0, _, _), later = rounds[0], rounds[1:]
    clauses = [f"the update search of {d} added {_added(n, new)}" for d, n, _, new in later]
    return f"The searches of {first} identified {counted(n0, 'record')}; " + "; ".join(clauses) + "."


def sources_phrase(databases: int, registers: int) -> str:
    """'5 databases', '1 register', '4 databases and 2 registers': the sources as the counts
    classify them (a source_db listed in [prisma] registers is a register, as in the diagram)."""
    parts = [counted(n, noun) for n, noun in ((databases, "database"), (registers, "register")) if n]
    return " and ".join(parts) or "no database or register"

