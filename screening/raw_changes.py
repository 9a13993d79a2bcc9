"""Has a raw export changed, or gone, since the review last ingested it?

Exports are kept as received (``data/raw`` is immutable): a corrected or newer export is a new
file. The ingest report records each file's SHA-256, so an export edited in place (a record
appended, a title retyped) can be told from the one the records table was built from. The
decisions guard (:mod:`screening.identity`) already refuses a run whose edit moved a decided
record; every other edit went through in silence (acceptance testing), and read-only commands
(`status`, `prisma`, `export`) went on reporting the old table without a word.

Why apart from :mod:`screening.review_checks`: this one reads the raw files' bytes, so it
carries the cost rule: a read-only command hashes only the files modified after the last
ingest report was written (a stat per file otherwise), so a large review stays quick.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Iterable, Mapping

from screening.config import ReviewConfig


def ingested_digests(ingest_report: Mapping[str, Any] | None) -> dict[str, str]:
    """file (as ``source_file`` names it) -> its SHA-256 when the ingest report was written."""
    files = ((ingest_report or {}).get("details") or {}).get("files") or []
    return {str(f["file"]): str(f["sha256"]) for f in files if isinstance(f, dict) and f.get("sha256")}


def edited_since(before: Mapping[str, str], now: Iterable[tuple[str, str]]) -> list[str]:
    """The files of ``now`` ((file, sha256) pairs) that an earlier ingest read with other bytes."""
    return [name for name, digest in now if name in before and before[name] != digest]


def edited_message(names: list[str]) -> str:
    """The warning a run gives for exports edited in place since the last ingest."""
    shown = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
    return (f"{len(names)} export{'s' if len(names) != 1 else ''} changed since the last ingest ({shown}): "
            "exports are kept as received, so a corrected or newer export is saved as a new file and "
            "listed in [[sources]]; the records table now follows the edited file")


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (exports here; stage tables in :mod:`screening.last_run`)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def raw_changes(review: ReviewConfig, ingest_report: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """(edited, missing): the listed exports whose bytes differ from the ingested ones, and
    those no longer on disk. Only files modified after the ingest report are hashed."""
    before = ingested_digests(ingest_report)
    report_path = review.output_dir / "ingest.json"
    if not before or not report_path.exists():
        return [], []
    written = report_path.stat().st_mtime
    edited, missing = [], []
    for spec in review.sources:
        path = review.resolve(spec.file)
        name = review.source_name(path)
        if name not in before:
            continue                  # a source added since: config_drift says so
        if not path.is_file():
            missing.append(name)
        elif path.stat().st_mtime > written and file_sha256(path) != before[name]:
            edited.append(name)
    return edited, missing


def raw_changes_warning(review: ReviewConfig, ingest_report: Mapping[str, Any] | None) -> str:
    """:func:`raw_changes` as one warning for a read-only command ('' when nothing changed)."""
    edited, missing = raw_changes(review, ingest_report)
    said = [*([f"changed since the last run ({', '.join(edited[:3])}{' ...' if len(edited) > 3 else ''})"]
              if edited else []),
            *([f"missing ({', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''})"] if missing else [])]
    if not said:
        return ""
    n = len(edited) + len(missing)
    return (f"{n} of the review's exports {'are' if n != 1 else 'is'} {' and '.join(said)}: these figures are "
            "from the records table built before; exports are kept as received (save a corrected export as "
            f"a new file), then run `screening run {review.command_ref()}`")
