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
  one event per reviewer named there. Rows are matched to our records by ``pubmed_id``,
  ``doi`` (from ``url``/``doi``), then normalised title.
* **ASReview LAB** export: ``included`` (v1) or ``asreview_label`` column holding 1 / 0 /
  empty (empty = not screened, skipped); notes from ``asreview_note`` or
  ``exported_notes_*``; the decision's time from ``asreview_time``. Matched by ``record_id``
  when it names our records, else pmid/doi/title.

Any format may carry a ``sampled`` column (true/false, 1/0, yes/no; empty = false): a row marked
true was decided in the random sample of the hypergeometric stopping test, screened elsewhere
(ASReview LAB, Rayyan, a script), so the test can read it (docs/ranking.md). Title/abstract only.

Idempotent: each row gets an event id derived from its *import key* — format, reviewer,
record, stage, decision, reason, the file's timestamp if it has one, and how many identical
rows came before it in the file — so importing the same rows again (the same file, or a later
export of the same tool repeating earlier decisions under another file name) appends nothing.
The format is the source because tools re-export everything decided so far, often under a
new file name ("articles (1).csv", dated exports).

Line numbers are a row's first line (a quoted cell may span lines: notes, our export's
``source_notes``). A file the csv module would misread is refused, not imported in part: an
unterminated quote, broken quoting, rows read into another row's cell, cells beyond the header.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from screening.errors import DecisionError, InputError
from screening.normalize import clip, normalize_doi, normalize_title

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


# Import event ids are uuid5(this namespace, import key): see the module docstring.
_IMPORT_NAMESPACE = uuid.UUID("3f0b9c52-6d1e-4a8f-b7c4-1e2d5a9f8c31")


def note_event_id(decision_event_id: str, note: str) -> str:
    """The id of the note event a re-imported row adds to its already logged decision."""
    return str(uuid.uuid5(_IMPORT_NAMESPACE, json.dumps([decision_event_id, "note", note])))


def link_event_id(decision_event_id: str, study: str) -> str:
    """The id of the link_study event an imported row's ``same_study_as`` adds."""
    return str(uuid.uuid5(_IMPORT_NAMESPACE, json.dumps([decision_event_id, "link_study", study])))


def import_event_ids(fmt: str, keys: list[tuple[str, ...]]) -> list[str]:
    """Deterministic event ids for imported rows, one per key (reviewer as recorded, record,
    stage, action, reason, decided_at). The n-th repeat of a key within one file gets its own
    id, so a file where someone includes, excludes and includes again keeps all three events."""
    seen: Counter[tuple[str, ...]] = Counter()
    out = []
    for key in keys:
        n = seen[key]
        seen[key] += 1
        out.append(str(uuid.uuid5(_IMPORT_NAMESPACE, json.dumps([fmt, *key, n]))))
    return out


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


_SEPARATORS = re.compile(r"[\s_\-.:/]+")


def _bare(text: str) -> str:
    """An id without case or separators: 'lens49-00037' and 'LENS_49_00037' are one spelling."""
    return _SEPARATORS.sub("", text.casefold())


def similar_ids(ids: list[str], text: str, n: int = 3) -> list[str]:
    """Up to ``n`` record ids ``text`` may have meant: ids ending with it (a long id's tail is
    what people copy, e.g. 'lens_49-00045' for '20221207_gambling_harms_lens_49-00045'), else
    containing it (first as typed, then ignoring separators: 'lens49-00045'), else the closest
    spellings. Only computed for an error message."""
    text = text.strip()
    if not text:
        return []
    bare = [_bare(r) for r in ids]
    for key, keys in ((text.casefold(), [r.casefold() for r in ids]), (_bare(text), bare)):
        if not key:
            continue
        for fits in (lambda r: r == key, lambda r: r.endswith(key), lambda r: key in r):
            found = [r for r, f in zip(ids, keys) if fits(f)]
            if found:
                return found[:n]
    return _closest(ids, bare, _bare(text), n)


def _closest(ids: list[str], bare_ids: list[str], bare: str, n: int) -> list[str]:
    """The ids spelled most like ``bare`` (ids and text as :func:`_bare` gives them), only
    those tied for the best.

    Compared without separators and, for a text shorter than an id, with the id's tail of the
    same length (people copy tails): a raw edit distance on whole ids ranks a short typed tail
    by how long each id is, not by what it says. At least three quarters must agree."""
    from rapidfuzz import fuzz

    if not bare:
        return []
    scored = []
    for rid, b in zip(ids, bare_ids):
        score = max(fuzz.ratio(bare, b), fuzz.ratio(bare, b[-len(bare):]) if len(b) > len(bare) else 0.0)
        if score >= 75:
            scored.append((score, rid))
    if not scored:
        return []
    best = max(s for s, _ in scored)
    return [rid for s, rid in scored if s == best][:n]


class _Matcher:
    """Find our record_id for a foreign row by id, pmid, DOI, then normalised title."""

    def __init__(self, records: pd.DataFrame) -> None:
        self.ids = set(records["record_id"])
        self.pmid = {p: r for p, r in zip(records.get("pmid", []), records["record_id"]) if p}
        self.doi = {normalize_doi(d): r for d, r in zip(records.get("doi", []), records["record_id"]) if d}
        self.title: dict[str, str] = {}
        for t, r in zip(records.get("title", []), records["record_id"]):
            key = normalize_title(t)
            if key:
                self.title.setdefault(key, r)

    def match(self, *, record_id: str = "", pmid: str = "", doi: str = "", title: str = "") -> str:
        if record_id and record_id in self.ids:
            return record_id
        if pmid and pmid.strip() in self.pmid:
            return self.pmid[pmid.strip()]
        if doi and normalize_doi(doi) in self.doi:
            return self.doi[normalize_doi(doi)]
        key = normalize_title(title)
        return self.title.get(key, "") if key else ""


@dataclass(frozen=True)
class _Csv:
    header: list[str]                           # lower-cased column names
    rows: list[tuple[int, dict[str, str]]]      # (the row's first line, its cells by column)
    delimiter: str
    warnings: list[str]


def _read_csv(path: Path) -> _Csv:
    """The file's header and rows, refusing what would be misread.

    Decoded like an export (:func:`screening.io.text.decode_bytes`): UTF-8 with or without
    BOM, UTF-16 from Excel's "Unicode text", else cp1252 (Excel's "CSV" on Windows) with a
    warning; bytes neither encoding defines are an error, never replacement characters
    written into the append-only log. The delimiter
    is the header's: Excel writes ';' where the decimal mark is a comma.

    Refused, at the row's first line: a quote never closed (the csv module would read the rest
    of the file into that cell, and the rows swallowed would be lost without a word), other
    broken quoting, and cells beyond the header's columns unless empty (a spreadsheet's
    trailing separators are harmless; a value there would be dropped, or a row is shifted).
    """
    from screening.io.text import decode_bytes

    if not path.is_file():
        raise InputError("file not found", path=path, hint="check the --from path")
    data = path.read_bytes()
    if not data.strip():        # the generic "re-export the search results" hint is for exports
        raise InputError("the decisions file is empty", path=path, line=1,
                         hint="a header line (record_id,decision,...) and one row per decision are needed")
    decoded = decode_bytes(data, path, strict=True)
    text = decoded.text
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=lambda d: (first.count(d), d == ","))
    # strict: an unterminated quote is an error at the end of the file, not a silent last cell
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    surplus: list[tuple[int, list[str]]] = []
    start = 1       # the first line of the row being read: line_num is the last line of a multi-line row
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if header is None:
                header = _header(cells, path)
                continue
            if not cells:                                   # a blank line
                continue
            extra = [c for c in cells[len(header):] if c.strip()]
            if extra:
                surplus.append((line, extra))
            rows.append((line, {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(header)}))
    except csv.Error as err:
        raise _quoting_error(err, path, start, delimiter) from None
    if surplus:
        raise _surplus_error(surplus, len(header or []), path, delimiter)
    return _Csv(header or [], rows, delimiter, list(decoded.warnings))


def _header(cells: list[str], path: Path) -> list[str]:
    """The lower-cased column names; a repeated name is refused."""
    seen: set[str] = set()
    for name in (c.strip() for c in cells):
        # a repeated column would be read silently, the last copy winning (acceptance testing,
        # session 16: 'record_id,decision,decision' imported the second decision)
        if name and name.lower() in seen:
            raise InputError(f"column {name!r} appears twice in the header", path=path, line=1,
                             hint="keep one column of each name; which one is meant cannot be guessed")
        seen.add(name.lower())
    return [c.strip().lower() for c in cells]


def _quoting_error(err: csv.Error, path: Path, line: int, delimiter: str) -> InputError:
    if "unexpected end of data" in str(err):
        return InputError("a quoted cell that starts in this row is never closed (an unterminated quote): "
                          "every line after it would be read into that cell", path=path, line=line,
                          hint="remove the stray double quote, or close the cell with one; a double quote "
                               'inside a quoted cell is written twice ("")')
    return InputError(f"broken quoting in this row ({err})", path=path, line=line,
                      hint=f"a cell holding {_shown(delimiter)}, a line break or a double quote is written in double "
                           'quotes, with its own double quotes doubled ("")')


def _surplus_error(surplus: list[tuple[int, list[str]]], columns: int, path: Path, delimiter: str) -> InputError:
    hint = (f"a value holding {_shown(delimiter)} must be in double quotes; or give the extra column a name in "
            "the header")
    if len(surplus) == 1:
        line, extra = surplus[0]
        return InputError(f"more cells than the header's {columns} columns (beyond them: "
                          f"{', '.join(repr(clip(c, 30)) for c in extra[:3])})", path=path, line=line, hint=hint)
    lines = ", ".join(str(line) for line, _ in surplus[:MAX_BAD_ROWS]) + (" …" if len(surplus) > MAX_BAD_ROWS else "")
    return InputError(f"{len(surplus)} rows have more cells than the header's {columns} columns: lines {lines}",
                      path=path, line=surplus[0][0], hint=hint)


def _shown(delimiter: str) -> str:
    return "a tab" if delimiter == "\t" else f"the delimiter {delimiter!r}"


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


MAX_BAD_ROWS = 10


def _refuse_swallowed_rows(row: dict[str, str], table: _Csv, ids: set[str], path: Path, line: int) -> None:
    """Refuse a row with a cell whose later lines read as rows of this file: a stray quote
    opened the cell and a later one closed it, so the rows between were read into it.

    A line inside a cell reads as a row when its cell in the record_id column (the file's own
    layout) is one of the review's record ids, whatever else the line holds: a swallowed row
    may be shorter than the header (acceptance testing: '...-00002,exclude' inside a note, and
    an ASReview file's rows inside its note column, were imported as part of the note).
    Multi-line cells are legitimate (notes; our export's source_notes) and never start a line
    with a record id in that column's place."""
    if "record_id" not in table.header:
        return
    at_id = table.header.index("record_id")
    for name, value in row.items():
        if "\n" not in value:
            continue
        for text in value.split("\n")[1:]:
            cells = next(csv.reader([text], delimiter=table.delimiter), [])
            if len(cells) > max(at_id, 1) and cells[at_id].strip() in ids:
                raise InputError(f"the {name or 'unnamed'} cell holds a line that reads as a row of this file "
                                 f"({clip(text, 60)!r}): a stray double quote opened the cell", path=path,
                                 line=line, hint='remove the stray double quote; a double quote inside a quoted '
                                                 'cell is written twice ("")')


ReviewerCheck = Callable[[dict[str, int]], list[DecisionError]]


def read_decisions_csv(path: str | Path, records: pd.DataFrame, *, reviewer: str, stage: str,
                       stages: tuple[str, ...], check_reviewers: ReviewerCheck | None = None
                       ) -> tuple[str, list[ImportRow], list[str]]:
    """Parse a decisions CSV into rows naming known records; raise naming every bad line (up
    to MAX_BAD_ROWS): fixing a file one error per run was the slow way (acceptance test).
    ``check_reviewers``: the review's errors for the reviewer names the file gives ({name: its
    first line}, bad rows' names too), listed with the bad rows.

    Returns (format, rows, warnings about the file, e.g. the encoding it was read in)."""
    path = Path(path)
    table = _read_csv(path)
    header, rows, warnings = table.header, table.rows, table.warnings
    fmt = detect_format(header, rows)
    matcher = _Matcher(records)
    out: list[ImportRow] = []
    where = str(path)

    def did_you_mean(text: str, otherwise: str) -> str:
        guesses = similar_ids(sorted(matcher.ids), text) if fmt in ("native", "export") else []
        return f"did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses else otherwise

    def need_record(rid: str, line: int, shown: str) -> str:
        if not rid:
            hint = did_you_mean(shown, "the id (or pmid/DOI/title) matches no record of this review")
            raise DecisionError(f"unknown record {shown!r}", path=where, line=line, record=shown or None, hint=hint)
        return rid

    def check_stage(s: str, line: int) -> str:
        if s not in stages:
            raise DecisionError(f"unknown stage {s!r}", path=where, line=line,
                                hint=f"use one of: {', '.join(stages)}")
        return s

    link_column = "same_study_as" if "same_study_as" in header else "study" if fmt == "export" else ""
    undecided = 0
    bad: list[DecisionError] = []      # every bad row, so one run shows them all
    named: dict[str, int] = {}         # reviewer name -> its first line
    for line, row in rows:
        try:
            _refuse_swallowed_rows(row, table, matcher.ids, path, line)
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
                pairs = _RAYYAN_PAIR.findall(m.group(1))
                for who, _ in pairs:
                    named.setdefault(who, line)
                shown = clip(row.get("title", ""), 60) or row.get("key", "")
                rid = need_record(matcher.match(pmid=row.get("pubmed_id", ""), doi=row.get("doi", "") or row.get("url", ""),
                                                title=row.get("title", "")), line, shown)
                rm = _RAYYAN_REASONS.search(notes)
                reason = ", ".join(x.strip() for x in rm.group(1).split(",") if x.strip()) if rm else ""
                sampled = parse_sampled(row.get("sampled", ""), stage, path=where, line=line)
                for who, value in pairs:
                    d = parse_decision(value, path=where, line=line)
                    out.append(ImportRow(line, rid, d, reason if d == "exclude" else "", "", check_stage(stage, line),
                                         who, sampled=sampled))
            else:  # asreview
                value = row.get("asreview_label", row.get("included", ""))
                if value in ("", "-1", "nan"):
                    continue
                if reviewer:
                    named.setdefault(reviewer, line)
                shown = row.get("record_id", "") or clip(row.get("title", ""), 60)
                rid = need_record(matcher.match(record_id=row.get("record_id", ""), pmid=row.get("pmid", ""),
                                                doi=row.get("doi", ""), title=row.get("title", "")), line, shown)
                note = row.get("asreview_note", "") or " ".join(v for k, v in row.items() if k.startswith("exported_notes") and v)
                out.append(ImportRow(line, rid, parse_decision(value, path=where, line=line), "", note,
                                     check_stage(stage, line), reviewer, row.get("asreview_time", ""),
                                     sampled=parse_sampled(row.get("sampled", ""), stage, path=where, line=line)))
        except DecisionError as err:
            bad.append(err)
            if len(bad) >= MAX_BAD_ROWS:
                break
    rows_bad = len(bad)
    if check_reviewers is not None:
        # unknown names are listed with the other bad rows, so one run shows every fix
        bad = sorted(bad + check_reviewers(named), key=lambda e: e.line or 0)
    if len(bad) == 1:
        raise bad[0]
    if bad:
        # a guess at the id meant belongs to its row; the first row's hint ends the message
        listed = "; ".join(f"line {e.line}: {e.message}" + (f" ({e.hint})" if n and (e.hint or "").startswith("did you")
                                                           else "") for n, e in enumerate(bad))
        more = " (the first shown; there may be more)" if rows_bad >= MAX_BAD_ROWS else ""
        # an error about reviewer names stands for every row naming them: count problems then
        what = f"{rows_bad} rows" if rows_bad == len(bad) else f"the file has {len(bad)} problems and"
        raise DecisionError(f"{what} cannot be imported{more}: {listed}", path=where,
                            line=bad[0].line, hint=bad[0].hint)

    if undecided:
        warnings.append(f"{undecided} row(s) without a decision (records undecided when exported) skipped")
    if not out:
        raise DecisionError("the CSV holds no decisions", path=where, hint="check the file and its columns")
    return fmt, out, warnings
