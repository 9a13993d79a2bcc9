"""ingest: raw export bytes -> the canonical records table.

Pure: the caller reads the files and passes their bytes, so ingest is testable and the runner
owns all I/O. For each file: decode (reporting any encoding fallback), detect the format by
content, parse, cross-check the record count against the file's own markers, assign stable
``record_id`` values, and stamp provenance (file, format, database, line) on every row.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from screening.errors import InputError, RecordCountMismatch, SchemaError
from screening.io.base import ParseResult, detect_format, get_reader
from screening.io.text import decode_bytes
from screening.records import make_table
from screening.stage import StageReport, StageResult

# Databases a dialect implies when neither the config nor the record names one.
_DIALECT_DB = {
    "scopus": "Scopus", "wos": "Web of Science", "embase": "Embase", "pubmed": "PubMed",
    "cochrane": "Cochrane Library", "lens": "Lens", "dimensions": "Dimensions", "ieee": "IEEE Xplore",
    "openalex": "OpenAlex", "proquest": "ProQuest", "ovid": "Ovid", "ebsco": "EBSCOhost",
}


@dataclass(frozen=True)
class RawSource:
    """One export file as received."""

    name: str                 # file name as recorded in source_file (path relative to the project)
    data: bytes
    database: str = ""        # config's label for the database searched
    format: str = ""          # reader name override; detected when empty


@dataclass(frozen=True)
class FileSummary:
    file: str
    format: str
    dialect: str
    database: str
    records: int
    expected: int | None
    encoding: str
    sha256: str
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _slug(name: str) -> str:
    stem = Path(name).stem
    return re.sub(r"[^A-Za-z0-9]+", "_", stem).strip("_").lower() or "file"


def parse_source(source: RawSource) -> tuple[ParseResult, str, list[str]]:
    """Decode + detect + parse one file; raise InputError on any mismatch."""
    decoded = decode_bytes(source.data, source.name)
    reader = get_reader(source.format) if source.format else detect_format(decoded.text, source.name)
    try:
        result = reader.parse(decoded.text, source.name)
    except InputError:
        raise
    except Exception as err:  # a reader crash is still the user's file problem to see
        raise InputError(f"could not parse as {reader.name}: {err}", path=source.name,
                         hint="the file may be truncated or not the format it looks like") from err
    if not result.records:
        raise InputError(f"no records found (read as {reader.name})", path=source.name, line=1,
                         hint="check that this is a search export and not an empty result page")
    if result.expected_count is not None and result.expected_count != len(result.records):
        raise RecordCountMismatch(
            f"parsed {len(result.records)} records but the file's own markers declare "
            f"{result.expected_count} ({reader.name})",
            path=source.name,
            hint="the file may be truncated or malformed; re-export it, or report this file as a bug",
        )
    return result, decoded.encoding, list(decoded.warnings) + list(result.warnings)


def ingest(sources: list[RawSource]) -> StageResult:
    rows: list[dict] = []
    summaries: list[FileSummary] = []
    warnings: list[str] = []
    used_slugs: dict[str, int] = {}
    for source in sources:
        result, encoding, file_warnings = parse_source(source)
        warnings += file_warnings
        slug = _slug(source.name)
        used_slugs[slug] = used_slugs.get(slug, 0) + 1
        if used_slugs[slug] > 1:
            slug = f"{slug}_{used_slugs[slug]}"
        dialect_db = _DIALECT_DB.get(result.dialect, "")
        for n, rec in enumerate(result.records, start=1):
            row = dict(rec.fields)
            row.setdefault("record_id", "")
            if not row["record_id"]:
                row["record_id"] = f"{slug}-{n:05d}"
            row["source_file"] = source.name
            row["source_format"] = result.format
            row["source_db"] = source.database or rec.source_db or dialect_db
            row["source_line"] = rec.line
            rows.append(row)
        summaries.append(FileSummary(
            file=source.name, format=result.format, dialect=result.dialect,
            database=source.database or dialect_db, records=len(result.records),
            expected=result.expected_count, encoding=encoding,
            sha256=hashlib.sha256(source.data).hexdigest(), warnings=tuple(file_warnings),
        ))
    table = make_table(rows)
    dup = table["record_id"].duplicated(keep=False)
    if dup.any():
        first = table.loc[dup, "record_id"].iloc[0]
        files = sorted(set(table.loc[table["record_id"] == first, "source_file"]))
        raise SchemaError(
            f"record_id {first!r} occurs more than once ({', '.join(files)})",
            hint="ids taken from the files' own ID columns must be unique across all files",
        )
    per_db = table.groupby("source_db", sort=True).size().to_dict() if len(table) else {}
    report = StageReport(
        stage="ingest",
        records_in=len(table),
        records_out=len(table),
        counts={"records_identified": len(table), "files": len(sources)},
        reasons={},
        parameters={"sources": [{"file": s.name, "database": s.database, "format": s.format} for s in sources]},
        input_hash=hashlib.sha256(b"".join(hashlib.sha256(s.data).digest() for s in sources)).hexdigest(),
        warnings=warnings,
        details={
            "files": [s.__dict__ | {"warnings": list(s.warnings)} for s in summaries],
            "records_per_database": {str(k): int(v) for k, v in per_db.items()},
        },
    )
    return StageResult(records=table, report=report)


def ingest_paths(paths: list[str | Path], *, database: str = "", format: str = "") -> StageResult:
    """Convenience for the CLI and tests: read files from disk, then :func:`ingest`."""
    sources = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise InputError("file not found", path=p, hint="check the path")
        if p.is_dir():
            raise InputError("is a folder, not a file", path=p, hint="name the export files inside it")
        sources.append(RawSource(name=str(p), data=p.read_bytes(), database=database, format=format))
    return ingest(sources)
