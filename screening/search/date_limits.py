"""The ``--from`` / ``--to`` date limits of a search, checked before any request is sent.

Apart from running the search (:mod:`.core`) because the check is the same for every database
and is worth testing on its own: a date an API would misread ('2020/13') must fail here, with a
hint, not be sent to one service and crash another.
"""

from __future__ import annotations

import re
from datetime import date

from screening.errors import SearchError
from screening.search._json import iso_date

_DATE_RE = re.compile(r"^\d{4}(/\d{2}(/\d{2})?)?$")


def check_limits(date_from: str, date_to: str) -> dict[str, str]:
    limits = {}
    span: dict[str, date] = {}
    for name, value in (("from", date_from), ("to", date_to)):
        value = (value or "").strip()
        if value and not _DATE_RE.match(value):
            raise SearchError(f"--{name} {value!r} is not a date", hint="use YYYY/MM/DD (or YYYY, YYYY/MM)")
        if value:
            # a real calendar date, before any request ('2020/13' crashed one API and was sent
            # to another); --from takes the period's first day, --to its last
            try:     # the period's first day (--from) or last (--to), as the APIs are sent
                span[name] = date.fromisoformat(iso_date(value, end=name == "to"))
            except ValueError:      # (calendar.IllegalMonthError is one)
                raise SearchError(f"--{name} {value!r} is not a calendar date",
                                  hint="use YYYY/MM/DD with a month 01-12 and a day that month has") from None
            limits[name] = value
    if "from" in span and "to" in span and span["from"] > span["to"]:
        raise SearchError(f"--from {limits['from']} is after --to {limits['to']}", hint="swap the dates")
    return limits
