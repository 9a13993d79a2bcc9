"""Where and how a search's raw responses are saved: a new directory per search under
``data/raw/<review>/searches/``, each page written atomically and never overwritten, and the
secrets (an API key) masked in everything a search writes (the pages and the request
parameters it logs).

Apart from running the search (:mod:`.core`): the raw files are the search's evidence, read
again at every ingest against the sha256 logged here, so how they are written is one concern.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from screening.atomic_files import atomic_write_bytes
from screening.config import ReviewConfig
from screening.record_marks import SEARCHES_DIR
from screening.search.database import Database, Page
from screening.search.http import redact, secret_pattern
from screening.search.log import PageEntry, SearchEntry

REDACTED_VALUE = "***"
_SECRET_KEYS = {"api_key", "api-key", "apikey", "key"}


def review_relative(review: ReviewConfig, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(review.root.resolve()))
    except ValueError:
        return str(path)


def new_raw_dir(review: ReviewConfig, db: Database, when: datetime) -> tuple[str, Path]:
    base = review.root / "data" / "raw" / review.name / SEARCHES_DIR
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    sid = f"{stamp}_{db.key}"
    n = 1
    while (base / sid).exists():
        n += 1
        sid = f"{stamp}-{n}_{db.key}"
    return sid, base / sid


def save_page(review: ReviewConfig, entry: SearchEntry, raw_dir: Path, number: int, page: Page,
              db: Database, secrets: tuple[str, ...], *, repeated: list[str], done: bool,
              total: int | None = None) -> PageEntry:
    body = redact_bytes(page.body, secrets)
    path = raw_dir / f"page-{number:04d}{db.suffix}"
    if path.exists():
        # Saved by a run that died before logging it: never logged, so never ingested. Keep it
        # aside (raw files are never overwritten) and save this response in its place.
        if path.read_bytes() != body:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
            path.rename(path.with_name(path.name + f".unlogged-{stamp}"))
    if not path.exists():
        atomic_write_bytes(path, body)
    # records counts what this page adds to the search; the repeats stay in the raw file (as
    # received) and are left out when it is ingested
    return PageEntry(page=number, file=review_relative(review, path), records=page.records - len(repeated),
                     sha256=hashlib.sha256(body).hexdigest(), next={**page.next, "done": done},
                     repeated=repeated, missing=list(page.missing), total=total)


def redact_bytes(body: bytes, secrets: tuple[str, ...]) -> bytes:
    """``body`` with every form of the secrets masked, or byte for byte as received if none occurs
    (a key reaches an echoed URL encoded, e.g. ``%2B`` for ``+``: looking only for the raw key
    saved it)."""
    text = body.decode("utf-8", errors="surrogateescape")
    if not any(s and secret_pattern(s).search(text) for s in secrets):
        return body
    return redact(text, secrets).encode("utf-8", errors="surrogateescape")


def redact_obj(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED_VALUE if k.lower() in _SECRET_KEYS else redact_obj(v, secrets)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_obj(v, secrets) for v in value]
    if isinstance(value, str):
        return redact(value, secrets)
    return value

