"""Bulk import of decisions from CSV: our own format, Rayyan and ASReview LAB exports.

Why: teams often screen a first batch elsewhere, or script decisions. The import is strict —
every row must name a known record, a known stage and a valid decision, or the whole file is
rejected with the CSV line that is wrong — and all-or-nothing (one transaction).

Formats (detected from the header):

* **native**: ``record_id, decision`` (+ optional ``reason, note, stage, reviewer,
  decided_at, same_study_as, sampled``). ``decision`` is include / exclude / maybe / not_retrieved
  (also accepted: 1/0, yes/no, included/excluded). ``reviewer`` overrides ``--reviewer``.
* **export**: a file ``screening export`` wrote (the native columns plus the export's
  ``status`` and ``resolved_by``): its ``study`` column is read as ``same_study_as``, its
  undecided rows (no decision) are skipped, and its rows of records the stopping rule closed
  (status ``stopped``, the stop's exclusion as exported) are marked ``stopped``; elsewhere a
  ``study`` column is left alone.
* **Rayyan** ``articles.csv``: decisions live in the ``notes`` column as
  ``RAYYAN-INCLUSION: {"Alice"=>"Included", "Bob"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: x,y``;
  one event per reviewer named there. The reasons are every reviewer's together: they are an
  excluding reviewer's when one reviewer excluded or one reason is listed; otherwise nobody's
  (the exclusion is recorded without a reason, Rayyan's list in its note; at full text, where
  a reason is required, the row is refused). ``USER-NOTES: {"Alice"=>["..."]}`` become each
  reviewer's note. Rows are matched to our records by ``pubmed_id``, ``doi`` (from
  ``url``/``doi``), then normalised title.
* **ASReview LAB** export: ``included`` (v1) or ``asreview_label`` column holding 1 / 0 /
  empty (empty = not screened, skipped); notes from ``asreview_note`` or
  ``exported_notes_*``; the decision's time from ``asreview_time``. Matched by ``id`` (a RIS
  file's ID, our export's record id) or ``record_id`` when it names one of our records whose
  DOI or title agree with the row's (ASReview numbers records itself, from 0), else by
  pmid/doi/title.

Any format may carry a ``sampled`` column (true/false, 1/0, yes/no; empty = false): a row marked
true was decided in the random sample of the hypergeometric stopping test, screened elsewhere
(ASReview LAB, Rayyan, a script), so the test can read it (docs/ranking.md). Title/abstract only.

Reading the file (and refusing one the csv module would misread) is :mod:`.import_csv`;
matching a foreign row to our records, :mod:`.record_matching`; each row's idempotent event
id, :mod:`.import_ids`; writing the rows into the log, :mod:`.importing`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from screening.decisions.import_csv import MAX_BAD_ROWS, read_csv, refuse_bad_rows, refuse_swallowed_rows
from screening.decisions.record_matching import Matcher, similar_ids
from screening.errors import DecisionError, InputError
from screening.normalize import clip

_DECISION_WORDS = {
    "include": "include", "included": "include", "1": "include", "yes": "include", "y": "include",
    "exclude": "exclude", "excluded": "exclude", "0": "exclude", "no": "exclude", "n": "exclude",
    "maybe": "maybe", "unsure": "maybe", "?": "maybe",
    "not_retrieved": "not_retrieved", "not retrieved": "not_retrieved",
}


@dataclass(frozen=True)
class ImportRow:
    line: int           # 1-based line of the CSV row (header is line 1)
    record_id: str
    decision: str
    reason: str
    note: str
    stage: str
    reviewer: str
    decided_at: str = ""    # the file's own time of the decision, if it has one
    study: str = ""         # full text: another report of the record's study (a link_study event)
    sampled: bool = False   # decided in the stopping test's random sample (title/abstract)
    # our export's row of a record the stopping rule closed, as exported (the stop's exclusion,
    # not anyone's decision: see importing)
    stopped: bool = False


# What `screening export` writes in the reason column of a record the stopping rule closed
# (screening/export.py, ``select``); an import reads such a row back as the stop, not a decision.
STOPPED_REASON = "not screened: screening stopped by the stopping rule"


_SAMPLED_WORDS = {"true": True, "1": True, "yes": True, "y": True,
                  "false": False, "0": False, "no": False, "n": False, "": False}


def parse_sampled(value: str, stage: str, *, path: str | None = None, line: int | None = None) -> bool:
    """A ``sampled`` cell: whether the row was decided in the stopping test's random sample."""
    flag = _SAMPLED_WORDS.get(str(value).strip().lower())
    if flag is None:
        raise DecisionError(f"unknown sampled value {value!r}", path=path, line=line,
                            hint="use true or false (1/0, yes/no); empty means false")
    if flag and stage != "title_abstract":
        raise DecisionError("the random sample of the stopping test is drawn at title/abstract", path=path,
                            line=line, hint="set sampled to false on full-text rows")
    return flag


def parse_decision(value: str, *, path: str | None = None, line: int | None = None) -> str:
    d = _DECISION_WORDS.get(str(value).strip().lower())
    if d is None:
        raise DecisionError(f"unknown decision {value!r}", path=path, line=line,
                            hint="use include, exclude, maybe or not_retrieved")
    return d


def detect_format(header: list[str], rows: list[tuple[int, dict[str, str]]]) -> str:
    cols = set(header)
    if "notes" in cols and any("RAYYAN-INCLUSION" in r.get("notes", "") for _, r in rows):
        return "rayyan"
    if "asreview_label" in cols or ("included" in cols and "decision" not in cols):
        return "asreview"
    if {"record_id", "decision"} <= cols:
        # a file our own export wrote: its decisions are the records' outcomes (see importing),
        # its study column names each record's study, undecided records have no decision
        return "export" if {"status", "resolved_by"} <= cols else "native"
    raise InputError(
        f"unrecognised decisions CSV (columns: {', '.join(header[:12])})",
        hint="use columns record_id,decision[,reason,note,stage,reviewer], or a Rayyan / ASReview LAB export",
    )


_RAYYAN_INCL = re.compile(r"RAYYAN-INCLUSION:\s*\{([^}]*)\}")
_RAYYAN_PAIR = re.compile(r'"([^"]+)"\s*=>\s*"([^"]+)"')
_RAYYAN_REASONS = re.compile(r"RAYYAN-EXCLUSION-REASONS:\s*([^|]*)")


_RAYYAN_NOTES = re.compile(r"USER-NOTES:\s*\{(.*?)\}\s*(?:\||$)", re.S)
_RAYYAN_NOTE_OF = re.compile(r'"([^"]+)"\s*=>\s*(\[[^\]]*\]|"(?:[^"\\]|\\.)*")')
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')

ReviewerCheck = Callable[[dict[str, int]], list[DecisionError]]


def _rayyan_reasons(notes: str, pairs: list[tuple[str, str]], stage: str, path: str, line: int) -> tuple[str, str]:
    """The exclusion reason to record for each reviewer who excluded the record, and, when it
    cannot be attributed, Rayyan's list for their notes (the reason is then left empty).

    Rayyan lists the reasons of every reviewer of a record together
    (``RAYYAN-EXCLUSION-REASONS: a,b``). With one excluding reviewer, or one reason, they are
    that reviewer's (each excluding reviewer's); with two or more of each, whose is which
    cannot be told (acceptance testing: each reviewer was credited with the joined list).
    A full-text exclusion needs one declared reason, so there that is refused, saying why."""
    found = _RAYYAN_REASONS.search(notes)
    reasons = [x.strip() for x in found.group(1).split(",") if x.strip()] if found else []
    excluders = [who for who, d in pairs if d == "exclude"]
    if stage == "full_text" and excluders and len(reasons) > 1:
        if len(excluders) > 1:
            raise DecisionError(f"{' and '.join(excluders)} excluded this record at full text, and Rayyan lists "
                                f"their reasons together ({', '.join(reasons)}): whose is which cannot be told",
                                path=path, line=line,
                                hint="record these exclusions in our CSV layout (record_id,decision,reason,"
                                     "reviewer,stage), one row per reviewer, or with `screening decide --record "
                                     "ID --exclude --reason ...`")
        raise DecisionError(f"Rayyan lists {len(reasons)} exclusion reasons for this record "
                            f"({', '.join(reasons)}); a full-text exclusion takes one declared reason",
                            path=path, line=line, hint="keep the main reason in the file's "
                                                       "RAYYAN-EXCLUSION-REASONS, or record it with `screening decide`")
    if len(excluders) > 1 and len(reasons) > 1:
        return "", f"Rayyan exclusion reasons of all reviewers: {', '.join(reasons)}"
    return ", ".join(reasons), ""


def _rayyan_user_notes(notes: str) -> dict[str, str]:
    """Each reviewer's notes in a Rayyan row (``USER-NOTES: {"Alice"=>["a", "b"]}``), by the
    reviewer's name case-folded, several notes joined with '; '."""
    found = _RAYYAN_NOTES.search(notes)
    out: dict[str, str] = {}
    for who, value in _RAYYAN_NOTE_OF.findall(found.group(1)) if found else ():
        texts = [t.replace('\\"', '"').strip() for t in _QUOTED.findall(value)]
        text = "; ".join(t for t in texts if t)
        if text:
            out[who.strip().casefold()] = text
    return out


def _copies_disagree(rows: list[ImportRow], name: str) -> list[str]:
    """Another tool's rows that land on one of our records with different decisions by one
    reviewer: the tool listed two database copies of one study (which we keep as one record)
    and they were decided differently. The later line stands, as for any repeated row; a
    person should know which (review of the change: the file used to be refused instead)."""
    seen: dict[tuple[str, str, str], ImportRow] = {}
    out = []
    for row in rows:
        key = (row.reviewer, row.record_id, row.stage)
        first = seen.setdefault(key, row)
        if first is row:
            continue
        # a different decision, else (one decision) a different reason: the later line's stands
        what, a, b = (("decisions", first.decision, row.decision) if first.decision != row.decision
                      else ("reasons", repr(first.reason.strip() or "none"), repr(row.reason.strip() or "none")))
        if a != b:
            out.append(f"{name}: lines {first.line} and {row.line} land on one record ({row.record_id}: copies of "
                       f"one study) with different {what} by {row.reviewer} ({a}, {b}); line {row.line}'s stands")
    return out


def read_decisions_csv(path: str | Path, records: pd.DataFrame, *, reviewer: str, stage: str,
                       stages: tuple[str, ...], check_reviewers: ReviewerCheck | None = None,
                       bad_rows: list[DecisionError] | None = None) -> tuple[str, list[ImportRow], list[str]]:
    """Parse a decisions CSV into rows naming known records; raise naming every bad line (up
    to MAX_BAD_ROWS): fixing a file one error per run was the slow way (acceptance test).
    ``check_reviewers``: the review's errors for the reviewer names the file gives ({name: its
    first line}, bad rows' names too), listed with the bad rows. ``bad_rows``: a list that
    takes the bad rows' errors instead, for the caller to list them with what it finds wrong
    in the good rows (acceptance testing: a bad link hid four bad reasons until a second run);
    errors about reviewer names are raised, as every row depends on them.

    Returns (format, rows, warnings about the file, e.g. the encoding it was read in)."""
    path = Path(path)
    table = read_csv(path)
    header, rows, warnings = table.header, table.rows, table.warnings
    fmt = detect_format(header, rows)
    matcher = Matcher(records)
    out: list[ImportRow] = []
    where = str(path)

    def did_you_mean(text: str, otherwise: str) -> str:
        guesses = similar_ids(sorted(matcher.ids), text) if fmt in ("native", "export") else []
        return f"did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses else otherwise

    def need_record(rid: str, line: int, shown: str) -> str:
        if not rid:
            hint = did_you_mean(shown, "the id matches no record of this review")
            raise DecisionError(f"unknown record {shown!r}", path=where, line=line, record=shown or None, hint=hint)
        return rid

    def need_match(line: int, row: dict[str, str], *, foreign_ids: tuple[str, ...] = (), pmid: str = "",
                   doi: str = "", title: str = "") -> str:
        """Our record for another tool's row, or an error saying why none is (the row's title
        in the message: it is no record id of ours)."""
        rid = matcher.match(foreign_ids=foreign_ids, pmid=pmid, doi=doi, title=title)
        if not rid:
            shown = clip(title, 60) or next((i for i in foreign_ids if i), "") or row.get("key", "")
            raise DecisionError(f"no record of this review matches this row ({shown!r})", path=where, line=line,
                                hint=matcher.unmatched_hint(foreign_ids=foreign_ids, pmid=pmid, doi=doi, title=title))
        return rid

    def check_stage(s: str, line: int) -> str:
        if s not in stages:
            raise DecisionError(f"unknown stage {s!r}", path=where, line=line,
                                hint=f"use one of: {', '.join(stages)}")
        return s

    link_column = "same_study_as" if "same_study_as" in header else "study" if fmt == "export" else ""
    undecided = 0
    shared_reasons = 0                  # Rayyan exclusions whose reasons could not be attributed
    notes_left: list[tuple[int, list[str]]] = []     # Rayyan notes of reviewers without a decision
    bad: list[DecisionError] = []      # every bad row, so one run shows them all
    named: dict[str, int] = {}         # reviewer name -> its first line
    for line, row in rows:
        try:
            refuse_swallowed_rows(row, table, matcher.ids, path, line)
            if fmt in ("native", "export"):
                if not any(row.values()):
                    continue
                if fmt == "export" and not row.get("decision", "").strip():
                    undecided += 1
                    continue
                rid = row.get("record_id", "")
                who = row.get("reviewer") or reviewer
                if who:
                    named.setdefault(who, line)
                need_record(rid if rid in matcher.ids else "", line, rid)
                if not who:
                    raise DecisionError("no reviewer for this row", path=where, line=line,
                                        hint="add a reviewer column or pass --reviewer")
                row_stage = check_stage(row.get("stage") or stage, line)
                # our export names every record's study, its own id for a record alone in it
                study = row.get(link_column, "") if link_column else ""
                study = "" if study == rid else study
                if study and row_stage != "full_text":
                    raise DecisionError(f"the {link_column} column links reports at the full-text stage",
                                        path=where, line=line, record=rid, hint="set this row's stage to full_text")
                if study and study not in matcher.ids:
                    raise DecisionError(f"unknown record {study!r} in the {link_column} column", path=where,
                                        line=line, record=rid, hint=did_you_mean(study, "name another report's record_id"))
                decision = parse_decision(row.get("decision", ""), path=where, line=line)
                reason = row.get("reason", "")
                # the stop's reason is our export's wording, never a reviewer's: a row carrying it
                # is the stop's, also in a file tidied into the native format (acceptance
                # testing: dropping the export's resolved_by column made 173 such rows a
                # reviewer's exclusions); a status column, if kept, must agree
                stopped = (row_stage == "title_abstract" and reason == STOPPED_REASON
                           and row.get("status", "stopped") == "stopped")
                if stopped and decision != "exclude":
                    # an edited row of a closed record: the decision is the reviewer's, the
                    # reason the export wrote was the stop's, not theirs
                    reason, stopped = "", False
                out.append(ImportRow(line, rid, decision, reason, row.get("note", ""), row_stage, who,
                                     row.get("decided_at", ""), study,
                                     parse_sampled(row.get("sampled", ""), row_stage, path=where, line=line),
                                     stopped))
            elif fmt == "rayyan":
                notes = row.get("notes", "")
                m = _RAYYAN_INCL.search(notes)
                if not m:
                    continue
                pairs = [(who, parse_decision(value, path=where, line=line))
                         for who, value in _RAYYAN_PAIR.findall(m.group(1))]
                for who, _ in pairs:
                    named.setdefault(who, line)
                rid = need_match(line, row, pmid=row.get("pubmed_id", ""),
                                 doi=row.get("doi", "") or row.get("url", ""), title=row.get("title", ""))
                reasons, unattributed = _rayyan_reasons(notes, pairs, stage, where, line)
                notes_by = _rayyan_user_notes(notes)
                sampled = parse_sampled(row.get("sampled", ""), stage, path=where, line=line)
                for who, d in pairs:
                    note = notes_by.pop(who.casefold(), "")
                    if unattributed and d == "exclude":
                        note = "; ".join(n for n in (note, unattributed) if n)
                        shared_reasons += 1
                    out.append(ImportRow(line, rid, d, reasons if d == "exclude" else "", note,
                                         check_stage(stage, line), who, sampled=sampled))
                if notes_by:
                    notes_left.append((line, sorted(notes_by)))
            else:  # asreview
                value = row.get("asreview_label", row.get("included", ""))
                if value in ("", "-1", "nan"):
                    continue
                if reviewer:
                    named.setdefault(reviewer, line)
                # ASReview LAB's record_id is its own numbering unless the data it read had ours;
                # its id column keeps a RIS file's ID (our export's record ids)
                rid = need_match(line, row, foreign_ids=(row.get("id", ""), row.get("record_id", "")),
                                 pmid=row.get("pmid", "") or row.get("pubmed_id", ""), doi=row.get("doi", ""),
                                 title=row.get("title", ""))
                note = row.get("asreview_note", "") or " ".join(v for k, v in row.items() if k.startswith("exported_notes") and v)
                out.append(ImportRow(line, rid, parse_decision(value, path=where, line=line), "", note,
                                     check_stage(stage, line), reviewer, row.get("asreview_time", ""),
                                     sampled=parse_sampled(row.get("sampled", ""), stage, path=where, line=line)))
        except DecisionError as err:
            bad.append(err)
            if len(bad) >= MAX_BAD_ROWS:
                break
    rows_bad = len(bad)
    names_bad = check_reviewers(named) if check_reviewers is not None else []
    if bad_rows is not None and not names_bad:
        bad_rows.extend(bad)
        bad = []
    # unknown names are listed with the other bad rows, so one run shows every fix
    refuse_bad_rows(sorted(bad + names_bad, key=lambda e: e.line or 0), where, rows_bad)
    if fmt not in ("native", "export"):
        warnings += _copies_disagree(out, path.name)

    if undecided:
        warnings.append(f"{undecided} row(s) without a decision (records undecided when exported) skipped")
    if shared_reasons:
        warnings.append(f"{shared_reasons} exclusion(s) recorded without a reason: two or more reviewers excluded "
                        "the record and Rayyan lists their reasons together, so whose is which cannot be told "
                        "(each such exclusion's note keeps Rayyan's list)")
    if notes_left:
        line, who = notes_left[0]
        warnings.append(f"{len(notes_left)} row(s) hold a Rayyan note by a reviewer without a decision on the "
                        f"record (e.g. line {line}: {', '.join(who)}): not imported, as a note goes with a decision")
    if not out and not bad_rows:
        raise DecisionError("the CSV holds no decisions", path=where, hint="check the file and its columns")
    return fmt, out, warnings
