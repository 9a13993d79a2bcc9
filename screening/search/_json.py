"""Shared helpers for the JSON APIs (OpenAlex, Europe PMC): decoding and date limits."""

from __future__ import annotations

import calendar
import json
from typing import Any

from screening.errors import SearchError
from screening.search.http import RESUME_SHORT


def load_json(body: bytes, database: str, where: str) -> dict[str, Any]:
    """Decode a JSON page or raise a :class:`SearchError` that says what was wrong."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise SearchError(f"malformed JSON from {database}: {err}", path=where,
                          hint=f"the service or a proxy returned a broken page; {RESUME_SHORT}") from None
    if not isinstance(data, dict):
        raise SearchError(f"unexpected JSON from {database}: not an object", path=where)
    return data


def iso_date(value: str, *, end: bool) -> str:
    """'2018' / '2018/03' / '2018/03/05' -> '2018-01-01' (or the last day when ``end``)."""
    parts = [int(p) for p in value.split("/")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else (12 if end else 1)
    if len(parts) > 2:
        day = parts[2]
    else:
        day = calendar.monthrange(year, month)[1] if end else 1
    return f"{year:04d}-{month:02d}-{day:02d}"
