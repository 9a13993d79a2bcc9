"""Export a screening result for the next step: RIS for reference managers, CSV for people.

The records a team needs next are a view over the decision log, like every other count:

* ``--stage title_abstract --decision include`` (the default): the reports to retrieve in full;
* ``--stage full_text --decision include``: the reports of the included studies, for data
  extraction (a ``study`` column groups the reports of one study);
* ``--decision exclude`` / ``not_retrieved``: with the reasons, for an appendix;
* ``--decision undecided``: what is left (unscreened, awaiting a second reviewer, in conflict:
  told apart only ``--as-adjudicator``, as blinding hides conflicts from reviewers);
* ``--decision all``: every record eligible at the stage, with its status and decision.

Only settled (final) decisions count as decided, so an export never shows one reviewer's
standing decision on a record the other has not seen. The sets match the PRISMA counts: the
title/abstract includes are the reports sought, the full-text includes the studies included,
and once the team has stopped by a stopping rule (``[rank] stopped = true``) every
title/abstract record nobody screened is an exclusion with status ``stopped``, as PRISMA's
"excluded by automation tools" (records one reviewer decided stay undecided until settled). RIS is what Zotero, EndNote, Mendeley, Covidence and Rayyan all import; each
record keeps its ``record_id`` (``ID`` and a note) so it can be traced back to the review, and
our own reader reads either file back (tested) with each record's database and notes.

``per_reviewer`` adds who decided what (:func:`reviewer_columns`), as blinding lets the
viewer see it: the one place an export shows decisions that are not settled outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from screening.atomic_files import atomic_write_bytes, atomic_write_text
from screening.decisions.api import Review, check_stage
from screening.decisions.imports import STOPPED_REASON
from screening.decisions.outcomes import Outcome, record_outcomes
from screening.decisions.progress import eligible_records
from screening.decisions.reasons import log_reason_names
from screening.decisions.store import STAGES
from screening.decisions.studies import groups, sort_key, visible_links
from screening.decisions.visibility import Viewer
from screening.errors import ConfigError
from screening.export_csv import csv_export
from screening.export_reviewers import STAGE_PREFIX, ReviewerColumns, reviewer_columns, visible_or_settled
from screening.io.ris import RIS_TYPE_NAMES
from screening.output_guard import refuse_overwrite
from screening.prisma.state import review_stopping
from screening.records import LIST_SEP, as_list, as_text
from screening.record_marks import other_report_ids

DECISIONS = ("include", "exclude", "not_retrieved", "undecided", "all")
FORMATS = ("ris", "csv")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    stage: str
    decision: str
    records: int
    by_status: dict[str, int] = field(default_factory=dict)   # status -> records exported
    warnings: tuple[str, ...] = ()


def _studies(review: Review, entries: pd.DataFrame, rows: pd.DataFrame, outcomes: dict[str, Outcome],
             viewer: Viewer | None) -> list[str]:
    """Each full-text row's study: its group of linked reports (``link_study``), named by the
    group's first included report (else its first report). Links count where the viewer may
    see them (their own, those blinding shows them) or on a record whose outcome is settled
    (``outcomes``: the full-text stage's; links are full-text events, recording refuses them
    at any other stage)."""
    ids = rows["record_id"].astype(str)
    if viewer is not None and not viewer.adjudicator and not entries.empty:
        entries = entries[visible_or_settled(entries, visible_links(entries, viewer), {"full_text": outcomes})]
    group = groups(entries, review.records, set(ids), ids)
    included = {r for r, o in outcomes.items() if o.status == "final" and o.decision == "include"}
    members: dict[str, list[str]] = {}
    for r in ids:
        members.setdefault(group[r], []).append(r)
    name = {g: min([m for m in ms if m in included] or ms, key=sort_key) for g, ms in members.items()}
    return [name[group[r]] for r in ids]


def select(review: Review, stage: str = "title_abstract", decision: str = "include", *,
           as_adjudicator: bool = False, viewer: Viewer | None = None) -> pd.DataFrame:
    """The records eligible at ``stage`` (screening order) whose settled outcome is ``decision``.

    Adds ``stage``, ``status``, ``decision``, ``reason`` and ``resolved_by`` columns, and at
    full text ``study``: the study each report belongs to by the team's ``--same-study-as``
    links, named by its first included report (an unlinked record is its own study); links
    ``viewer`` may not see under blinding are left out. Status is
    ``final``, ``stopped`` (title/abstract only, when the team stopped screening by a stopping
    rule: every record nobody screened is then excluded by automation, as PRISMA counts it) or
    ``undecided``; ``as_adjudicator`` splits undecided into ``conflict``, ``pending`` and
    ``unscreened``, which blinding hides from reviewers (``status`` hides the same).
    """
    check_stage(stage)
    if decision not in DECISIONS:
        raise ConfigError(f"unknown decision {decision!r} to export", hint=f"use one of: {', '.join(DECISIONS)}")
    # the stopping rule closes title/abstract screening only (rank.json / [rank] stopped)
    stopping = review_stopping(review.config) if stage == "title_abstract" else None
    entries = review.entries()
    eligible = eligible_records(review.records, entries, stage)
    outcomes = record_outcomes(entries, stage)
    # each reason under the spelling PRISMA counts it under (the declared one): one reason, one name
    named = log_reason_names(review.config, entries, stage, {stage: outcomes}, other_report_ids(review.records))
    status, value, reason, resolved = [], [], [], []
    for rid in eligible["record_id"].astype(str):
        o = outcomes.get(rid)
        if o is not None and o.status == "final":
            status.append("final")
            value.append(o.decision)
            reason.append(named(o.reason))
            resolved.append(o.resolved_by)
            continue
        if stopping is not None and o is None and stopping.closes(rid):     # nobody screened it
            status.append("stopped")
            value.append("exclude")
            reason.append(STOPPED_REASON)      # what an import reads back as the stop's row
            resolved.append("stopping rule")
            continue
        status.append((o.status if o else "unscreened") if as_adjudicator else "undecided")
        value.append("")
        reason.append("")
        resolved.append("")
    out = eligible.assign(stage=stage, status=status, decision=value, reason=reason, resolved_by=resolved)
    if stage == "full_text":
        out["study"] = _studies(review, entries, out, outcomes, viewer)
    if decision == "undecided":
        out = out[out["decision"] == ""]
    elif decision != "all":
        out = out[out["decision"] == decision]
    return out.reset_index(drop=True)


def export_records(review: str | Path | Review, output: str | Path, *, stage: str = "title_abstract",
                   decision: str = "include", format: str | None = None, reviewer: str | None = None,
                   as_adjudicator: bool = False, per_reviewer: bool = False) -> ExportResult:
    """``screening export``: write the selected records to ``output`` (atomically).

    ``reviewer``/``as_adjudicator``: who asks; the undecided records are told apart (conflict,
    pending, unscreened) only for an adjudicator, as ``status`` does. ``per_reviewer``: add
    each reviewer's decisions, the notes and the attached reports (:func:`reviewer_columns`),
    as blinding lets the viewer see them."""
    output = Path(output)
    if format is not None and format.lower() not in FORMATS:
        # a --format given names the format: the file's name is not what to fix
        raise ConfigError(f"unknown export format {format!r} ({' or '.join(FORMATS)})",
                          hint=f"pass --format {' or --format '.join(FORMATS)}, or leave it out to take the format "
                               "from the file's name (.ris, .csv)")
    fmt = (format or output.suffix.lstrip(".") or "").lower()
    if fmt not in FORMATS:
        raise ConfigError(f"cannot tell the export format from {output.name!r}",
                          hint="name the file .ris or .csv, or pass --format ris|csv")
    rv = review if isinstance(review, Review) else Review.load(review)
    refuse_overwrite(output, review=rv.config)
    viewer = rv.viewer(reviewer, as_adjudicator)        # refuses an unblinded view nobody may have
    rows = select(rv, stage, decision, as_adjudicator=viewer.adjudicator, viewer=viewer)
    warnings: list[str] = []
    extra = None
    if per_reviewer:
        entries = rv.entries()
        other = other_report_ids(rv.records)
        names = {st: log_reason_names(rv.config, entries, st, None, other) for st in STAGES}
        extra = reviewer_columns(entries, rows, stage, viewer, names)
        # a table ingested from an earlier export of ours may carry such columns: ours replace them
        rows = pd.concat([rows.drop(columns=[c for c in extra.table.columns if c in rows.columns]), extra.table],
                         axis=1)
        if extra.blinded:
            warnings.append(
                f"{extra.blinded} exported record(s) have decisions or notes by other reviewers that blinding "
                "hides from you (you have not decided them and they are not settled): their per-reviewer "
                "cells are left blank; an adjudicator's export (--reviewer NAME --as-adjudicator) shows them")
    if fmt == "ris":
        atomic_write_text(output, to_ris(rows, extra))
    else:
        table = csv_export(rows, extra)
        atomic_write_bytes(output, table.text.encode("utf-8-sig"))   # BOM: Excel reads UTF-8
        warnings += table.warnings
    from screening.review_checks import review_warnings

    return ExportResult(output, fmt, stage, decision, len(rows),
                        {k: int(v) for k, v in rows["status"].value_counts().sort_index().items()},
                        tuple(warnings) + tuple(review_warnings(rv.config)))


# ---------------------------------------------------------------------------------------------
# RIS

# publication types as databases give them -> RIS type; RIS codes pass through
_RIS_TYPES = {  # (names only: the codes themselves are RIS_TYPE_NAMES)
    "journal article": "JOUR", "article": "JOUR", "review": "JOUR", "research article": "JOUR",
    "letter": "JOUR", "editorial": "JOUR", "comment": "JOUR", "article in press": "JOUR",
    "early access": "JOUR", "conference paper": "CPAPER", "proceedings paper": "CPAPER",
    "conference proceeding": "CPAPER", "conference review": "CPAPER", "book": "BOOK",
    "book chapter": "CHAP", "chapter": "CHAP", "dissertation": "THES", "thesis": "THES",
    "dissertation/thesis": "THES", "report": "RPRT", "preprint": "JOUR", "dataset": "DATA",
    "web page": "ELEC", "web": "ELEC", "webpage": "ELEC",
}



_BOOK_TYPES = {"CHAP", "CONF", "CPAPER", "BOOK", "EBOOK", "ECHAP", "EDBOOK"}   # as the RIS reader has them
# (RIS tag, records column) in the order written; T2 is the journal and BT the book or
# proceedings title (a reader takes a book type's T2 as its book title).
# OP, EndNote's 'Original Publication', holds the title in the article's own language: where
# EndNote's PubMed import puts MEDLINE's TT, and what our reader reads back from our own export
# (not TT: RIS TT is a translated title, a translation of TI)
_HEAD_TAGS = (("ID", "record_id"), ("TI", "title"), ("OP", "title_original"))
_SOURCE_TAGS = (("PY", "year"), ("T2", "journal"), ("J2", "journal_abbrev"), ("BT", "booktitle"),
                ("VL", "volume"), ("IS", "issue"))
_MORE_TAGS = (("DO", "doi"), ("SN", "issn"), ("SN", "isbn"), ("PB", "publisher"), ("LA", "language"),
              ("UR", "url"), ("DB", "source_db"))


def _ris_type(row: pd.Series) -> str:
    for t in as_list(row.get("publication_type")):
        if t.upper() in RIS_TYPE_NAMES:
            return t.upper()
        if t.lower() in _RIS_TYPES:
            return _RIS_TYPES[t.lower()]
    return "JOUR" if _clean(row.get("journal")) else "GEN"


def _clean(value: Any) -> str:
    # a RIS value is one line: a newline inside an abstract would start a bogus tag
    return " ".join(as_text(value).split())


def _other_reports(rows: pd.DataFrame) -> dict[str, list[str]]:
    """Each full-text row's study's other reports, for its RIS note: the study's name (its
    first included report, as the CSV's ``study`` column has it, also when that report is not
    in the file) and the other rows of the study, in id order. Every report of a study of
    several says so: a reference manager shows each record alone, and the study's first
    report had no note, so its other reports could not be told from it (acceptance testing)."""
    if "study" not in rows.columns:
        return {}
    ids, studies = rows["record_id"].map(_clean).tolist(), rows["study"].map(_clean).tolist()
    members: dict[str, list[str]] = {}
    for rid, study in zip(ids, studies):
        if study:
            members.setdefault(study, []).append(rid)
    out: dict[str, list[str]] = {}
    for rid, study in zip(ids, studies):
        if study:
            others = sorted((m for m in members[study] if m not in (rid, study)), key=sort_key)
            out[rid] = ([study] if study != rid else []) + others
    return out


def _ris_record(row: pd.Series, extra: ReviewerColumns | None = None,
                same_study: list[str] | None = None) -> list[str]:
    ty = _ris_type(row)
    out = [f"TY  - {ty}"]

    def put(tag: str, value: Any) -> None:
        text = _clean(value)
        if text:                       # never an empty tag line
            out.append(f"{tag}  - {text}")

    for tag, column in _HEAD_TAGS:
        put(tag, row.get(column))
    for author in as_list(row.get("authors")):
        put("AU", author)
    for tag, column in _SOURCE_TAGS:
        # a book type's T2 is read as its book title: its journal (a book series, a journal
        # printing proceedings) goes in JF, which every reader takes as the journal
        put("JF" if tag == "T2" and ty in _BOOK_TYPES and _clean(row.get("booktitle")) else tag, row.get(column))
    start, _, end = _clean(row.get("pages")).partition("-")
    put("SP", start.strip())
    if start.strip():
        put("EP", end.strip())
    for tag, column in _MORE_TAGS:
        put(tag, row.get(column))
    for kw in as_list(row.get("keywords")):
        put("KW", kw)
    # the other document types the databases named ('Article', 'Review', 'Letter'): M3, as
    # Scopus and EndNote write them, so a publication-type rule sees them after a re-import
    others = [t for t in dict.fromkeys(_clean(t) for t in as_list(row.get("publication_type")))
              if t and t.upper() != ty and t.casefold() != RIS_TYPE_NAMES.get(ty, "") and ";" not in t]
    put("M3", "; ".join(others))
    put("AB", row.get("abstract"))
    put("N1", f"record_id: {_clean(row.get('record_id'))}")
    if _clean(row.get("pmid")):
        put("N1", f"PMID: {_clean(row.get('pmid'))}")
    if _clean(row.get("pmcid")):
        put("N1", f"PMCID: {_clean(row.get('pmcid'))}")
    found = as_list(row.get("found_in"))
    if found:
        put("N1", f"found in: {LIST_SEP.join(found)}")
    put("N1", _outcome_note(row["stage"], row["status"], row["decision"], row["resolved_by"], row["reason"]))
    if same_study:           # the study's other reports (_other_reports)
        put("N1", f"study: same study as record{'s' if len(same_study) > 1 else ''} {', '.join(same_study)}")
    if extra is not None:
        _ris_reviewers(row, extra, put)
    # the notes the record came with (a reference manager's, an earlier export's), after ours
    # and each once: a re-ingested export of ours carries its old record_id line already
    written = set(out)
    for note in as_text(row.get("notes")).splitlines():
        if _clean(note) and f"N1  - {_clean(note)}" not in written:
            put("N1", note)
    out.append("ER  - ")
    return out


def _outcome_note(stage: str, status: str, decision: str = "", resolved_by: str = "", reason: str = "") -> str:
    """A stage's outcome as an N1 note, 'screening (full_text): final, exclude (agreement);
    reason: wrong outcome': the exported stage's, and with ``--per-reviewer`` the other's."""
    note = f"screening ({stage}): {status}"
    if decision:
        note += f", {decision}" + (f" ({resolved_by})" if resolved_by else "")
    if reason:
        note += f"; reason: {reason}"
    return note


def _ris_reviewers(row: pd.Series, extra: ReviewerColumns, put: Any) -> None:
    """``--per-reviewer`` in RIS: decisions and notes as N1 lines, attached reports as L1
    (the file attachments Zotero and EndNote import)."""
    for st, p in STAGE_PREFIX.items():
        if st != row["stage"] and row[f"{p}_decision"]:       # the exported stage's is above
            put("N1", _outcome_note(st, "final", row[f"{p}_decision"], reason=row[f"{p}_reason"]))
        for col, _, who in (v for v in extra.votes if v[1] == st):
            put("N1", f"reviewer {who} ({st}): {row[col]}" if row[col] else "")
        if _clean(row.get(f"{p}_adjudicated_by")):
            put("N1", f"adjudicated by {row[f'{p}_adjudicated_by']} ({st})")
    for note in row["reviewer_notes"]:
        put("N1", f"note by {note}")
    for report in row["full_text_reports"]:
        put("L1", report)


def to_ris(rows: pd.DataFrame, extra: ReviewerColumns | None = None) -> str:
    """RIS text, CRLF line ends as the format's specification has them, a blank line between
    records."""
    lines: list[str] = []
    same_study = _other_reports(rows)
    for _, row in rows.iterrows():
        lines += _ris_record(row, extra, same_study.get(_clean(row["record_id"])))
        lines.append("")
    return "\r\n".join(lines) + ("\r\n" if lines else "")
