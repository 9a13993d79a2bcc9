"""Export a screening result for the next step: RIS for reference managers, CSV for people.

The records a team needs next are a view over the decision log, like every other count:

* ``--stage title_abstract --decision include`` (the default): the reports to retrieve in full;
* ``--stage full_text --decision include``: the included studies, for data extraction;
* ``--decision exclude`` / ``not_retrieved``: with the reasons, for an appendix;
* ``--decision undecided``: what is left (unscreened, awaiting a second reviewer, in conflict);
* ``--decision all``: every record eligible at the stage, with its status and decision.

Only settled (final) decisions count as decided, so an export never shows one reviewer's
standing decision on a record the other has not seen; the set matches the PRISMA counts
(the title/abstract includes are the reports sought, full-text includes the studies
included). RIS is what Zotero, EndNote, Mendeley, Covidence and Rayyan all import; each
record keeps its ``record_id`` (``ID`` and a note) so it can be traced back to the review, and
our own reader reads the file back (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from screening.decisions.api import Review, check_stage
from screening.decisions.views import eligible_records, record_outcomes
from screening.errors import ConfigError
from screening.records import LIST_COLUMNS, LIST_SEP, atomic_write_bytes, atomic_write_text

DECISIONS = ("include", "exclude", "not_retrieved", "undecided", "all")
FORMATS = ("ris", "csv")

# decision columns added to the exported rows
STATUS_COLUMNS = ("stage", "status", "decision", "reason", "resolved_by")
# the bibliographic and provenance columns a CSV export carries, in this order
CSV_COLUMNS = ("record_id", "title", "authors", "year", "journal", "volume", "issue", "pages", "doi",
               "pmid", "pmcid", "issn", "isbn", "abstract", "keywords", "language", "publication_type",
               "url", "booktitle", "publisher", "source_db", "found_in", "source_file", "source_line",
               "source_record_id", "rank", "score")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    stage: str
    decision: str
    records: int
    by_status: dict[str, int] = field(default_factory=dict)   # status -> records exported


def select(review: Review, stage: str = "title_abstract", decision: str = "include") -> pd.DataFrame:
    """The records eligible at ``stage`` (screening order) whose settled outcome is ``decision``.

    Adds ``stage``, ``status`` (final | conflict | pending | unscreened), ``decision``,
    ``reason`` and ``resolved_by`` columns; ``undecided`` is every status but final.
    """
    check_stage(stage)
    if decision not in DECISIONS:
        raise ConfigError(f"unknown decision {decision!r} to export", hint=f"use one of: {', '.join(DECISIONS)}")
    entries = review.entries()
    eligible = eligible_records(review.records, entries, stage)
    outcomes = record_outcomes(entries, stage)
    status, value, reason, resolved = [], [], [], []
    for rid in eligible["record_id"].astype(str):
        o = outcomes.get(rid)
        status.append(o.status if o else "unscreened")
        value.append(o.decision if o else "")
        reason.append(o.reason if o else "")
        resolved.append(o.resolved_by if o else "")
    out = eligible.assign(stage=stage, status=status, decision=value, reason=reason, resolved_by=resolved)
    if decision == "undecided":
        out = out[out["status"] != "final"]
    elif decision != "all":
        out = out[(out["status"] == "final") & (out["decision"] == decision)]
    return out.reset_index(drop=True)


def export_records(review: str | Path | Review, output: str | Path, *, stage: str = "title_abstract",
                   decision: str = "include", format: str | None = None) -> ExportResult:
    """``screening export``: write the selected records to ``output`` (atomically)."""
    output = Path(output)
    fmt = (format or output.suffix.lstrip(".") or "").lower()
    if fmt not in FORMATS:
        raise ConfigError(f"cannot tell the export format from {output.name!r}",
                          hint="name the file .ris or .csv, or pass --format ris|csv")
    rv = review if isinstance(review, Review) else Review.load(review)
    rows = select(rv, stage, decision)
    if fmt == "ris":
        atomic_write_text(output, to_ris(rows))
    else:
        atomic_write_bytes(output, to_csv(rows).encode("utf-8-sig"))   # BOM: Excel reads UTF-8
    return ExportResult(output, fmt, stage, decision, len(rows),
                        {k: int(v) for k, v in rows["status"].value_counts().sort_index().items()})


# ---------------------------------------------------------------------------------------------
# CSV


def to_csv(rows: pd.DataFrame) -> str:
    cols = [c for c in CSV_COLUMNS if c in rows.columns] + list(STATUS_COLUMNS)
    out = rows[cols].copy()
    for c in cols:
        if c in LIST_COLUMNS:
            out[c] = out[c].map(lambda v: LIST_SEP.join(v) if isinstance(v, (list, tuple)) else _text(v))
        else:
            out[c] = out[c].map(_text)
    return out.to_csv(index=False, lineterminator="\n")


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------------------------
# RIS

# publication types as databases give them -> RIS type; RIS codes pass through
_RIS_TYPES = {
    "journal article": "JOUR", "article": "JOUR", "review": "JOUR", "research article": "JOUR",
    "letter": "JOUR", "editorial": "JOUR", "comment": "JOUR", "article in press": "JOUR",
    "early access": "JOUR", "conference paper": "CPAPER", "proceedings paper": "CPAPER",
    "conference proceeding": "CPAPER", "conference review": "CPAPER", "book": "BOOK",
    "book chapter": "CHAP", "chapter": "CHAP", "dissertation": "THES", "thesis": "THES",
    "dissertation/thesis": "THES", "report": "RPRT", "preprint": "JOUR", "dataset": "DATA",
}
_RIS_CODES = frozenset({"ABST", "BOOK", "CHAP", "CONF", "CPAPER", "DATA", "EBOOK", "ECHAP", "EJOUR",
                        "GEN", "JFULL", "JOUR", "MGZN", "NEWS", "RPRT", "THES", "UNPB", "ELEC", "PAT",
                        "SER", "STAND", "CTLG", "DBASE", "ICOMM", "INPR", "MANSCPT", "BLOG", "WEB"})


def _ris_type(row: pd.Series) -> str:
    types = row.get("publication_type")
    for t in types if isinstance(types, (list, tuple)) else ([types] if types else []):
        t = str(t).strip()
        if t.upper() in _RIS_CODES:
            return t.upper()
        if t.lower() in _RIS_TYPES:
            return _RIS_TYPES[t.lower()]
    return "JOUR" if _text(row.get("journal")) else "GEN"


def _line(tag: str, value: Any) -> str:
    # a RIS value is one line: newlines inside an abstract would start a bogus tag
    return f"{tag}  - {' '.join(_text(value).split())}"


def _ris_record(row: pd.Series) -> list[str]:
    out = [_line("TY", _ris_type(row))]

    def put(tag: str, column: str) -> None:
        value = _text(row.get(column))
        if value.strip():
            out.append(_line(tag, value))

    put("ID", "record_id")
    put("TI", "title")
    for author in row.get("authors") or ():
        if str(author).strip():
            out.append(_line("AU", author))
    put("PY", "year")
    put("T2", "journal" if _text(row.get("journal")) else "booktitle")
    put("J2", "journal_abbrev")
    put("VL", "volume")
    put("IS", "issue")
    pages = _text(row.get("pages"))
    if pages:
        start, _, end = pages.partition("-")
        out.append(_line("SP", start))
        if end:
            out.append(_line("EP", end))
    put("DO", "doi")
    for sn in (_text(row.get("issn")), _text(row.get("isbn"))):
        if sn:
            out.append(_line("SN", sn))
    put("PB", "publisher")
    put("LA", "language")
    put("UR", "url")
    put("DB", "source_db")
    for kw in row.get("keywords") or ():
        if str(kw).strip():
            out.append(_line("KW", kw))
    put("AB", "abstract")
    notes = [f"record_id: {_text(row.get('record_id'))}"]
    if _text(row.get("pmid")):
        notes.append(f"PMID: {_text(row.get('pmid'))}")
    if _text(row.get("pmcid")):
        notes.append(f"PMCID: {_text(row.get('pmcid'))}")
    found = row.get("found_in")
    if isinstance(found, (list, tuple)) and found:
        notes.append(f"found in: {LIST_SEP.join(found)}")
    screening = f"screening ({row['stage']}): {row['status']}"
    if row["decision"]:
        screening += f", {row['decision']}" + (f" ({row['resolved_by']})" if row["resolved_by"] else "")
    if row["reason"]:
        screening += f"; reason: {row['reason']}"
    notes.append(screening)
    out += [_line("N1", n) for n in notes]
    out.append("ER  - ")
    return out


def to_ris(rows: pd.DataFrame) -> str:
    """RIS text, CRLF line ends as the format's specification has them, a blank line between
    records."""
    lines: list[str] = []
    for _, row in rows.iterrows():
        lines += _ris_record(row)
        lines.append("")
    return "\r\n".join(lines) + ("\r\n" if lines else "")
