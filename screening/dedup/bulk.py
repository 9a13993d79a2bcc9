"""``dedup-review --export`` / ``--from``: the maybe-pair queue as a CSV, and its answers read back.

Why: a 65k-record review queued 8,888 maybe-pairs, 8,504 of them "similar, but too little
evidence to be sure", and the only ways to answer were one key press or one ``--pair`` call
(~4 s) per pair; the PRISMA counts stay provisional until they are answered. A team triages
such a queue in a spreadsheet: sorted by reason and by which fields differ, answered in bulk.

:func:`export_queue` writes one row per open entry of the queue (one question per pair of
groups, :mod:`screening.dedup.queue`), the two records side by side as ``dedup-review`` shows
them (the same fields, the same blinding) and an empty ``answer`` column; text cells are
escaped against spreadsheet formulas (:mod:`screening.csv_formulas`) and the file is written
atomically. :func:`import_answers` reads such a file, or any CSV with ``id_a``, ``id_b`` and
``answer``, checks every row before anything is stored (a file is refused whole, naming each bad
line, as ``decide --from`` refuses one), and stores the answers in one transaction
(:func:`screening.dedup.store.record_decisions`), append-only like every other answer. An
answer the log already holds, or that the answers so far settle, is not stored again, so
importing one file twice stores nothing the second time.

A sheet can be out for days while colleagues answer pairs in sessions. The export stamps every
row with ``log_seq``, the log's last entry when it was written; on import, a row answering a pair
otherwise than a decision stored *after* that entry is refused (naming who answered it and when)
unless ``force``: the sheet's answer is older information, and storing it would silently replace a
colleague's newer one. A file without the column (any hand-made CSV) is read as before.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from screening.atomic_files import atomic_write_bytes
from screening.csv_formulas import escape_formula
from screening.decisions.import_csv import MAX_BAD_ROWS, read_csv, refuse_bad_rows
from screening.dedup.conflicts import conflict_warnings, disputed, standing_conflicts
from screening.dedup.queue import MaybePair, Pair
from screening.dedup.review_queue import ReviewQueue, open_queue
from screening.dedup.store import load_decisions, pair_key, record_decisions
from screening.errors import DecisionError, InputError
from screening.output_guard import refuse_overwrite

# the fields of a pair a row shows side by side (``<field>_a``, ``<field>_b``), as the session
# shows them (queue.SHOWN_FIELDS) less the ids (``id_a``, ``id_b``) and the abstracts, which
# would make a sheet of thousands of rows unreadable (the interactive session shows them)
SIDE_BY_SIDE = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid", "source_db",
                "same group", "screening")
# what ``differs`` names: the fields shown whose values differ, both given (a field one database
# leaves out is no evidence either way, nor which databases found them, nor the groups)
_EVIDENCE = frozenset(SIDE_BY_SIDE) - {"source_db", "same group", "screening"}
ANSWERS = {"duplicate": "duplicate", "d": "duplicate", "yes": "duplicate", "y": "duplicate", "same": "duplicate",
           "distinct": "distinct", "n": "distinct", "no": "distinct", "different": "distinct"}
SKIPS = frozenset({"", "s", "skip"})      # as in the session: blank (or s) is "not now"
REQUIRED = ("id_a", "id_b", "answer")
STAMP = "log_seq"      # the decision log's last entry when the file was exported
_ANSWER_HINT = "write duplicate (or d, yes, same) or distinct (or n, no, different); leave it blank to skip the pair"
# 'years differ: 2016 vs 2017' -> 'years differ': counts per kind of reason, not per value
_DETAIL = re.compile(r"\b(\w+ differ): [^;]*")
CONTESTED = "decided before, but the decisions contradict each other: decide again"


def reason_kind(p: MaybePair) -> str:
    """The kind of question ``p`` is, for counting a queue by reason."""
    return CONTESTED if p.conflict else _DETAIL.sub(r"\1", p.reason)


@dataclass(frozen=True)
class QueueExport:
    path: Path
    folder: Path
    pending: int                         # open entries written
    decided: int                         # entries decided since the last run, written too (include_decided)
    reasons: list[tuple[str, int]]       # open entries per kind of reason, most first


def export_queue(target: str | Path, output: str | Path, *, reviewer: str = "",
                 include_decided: bool = False) -> QueueExport:
    """Write the queue's open entries to ``output`` (CSV, UTF-8 with a BOM for Excel).

    ``include_decided``: also the entries answered since the last run, or settled by those
    answers, with their answer filled in (``status`` says which). Off by default: the file is
    the work still to do, and an entry the last run applied is no longer in the queue at all."""
    queue = open_queue(target, reviewer=reviewer)
    rows: list[dict[str, str]] = []
    reasons: Counter[str] = Counter()
    decided = 0
    stamp = str(_last_seq(queue))
    for p in queue.pairs:
        status, answer = _status(queue, p)
        if status in ("pending", "contested"):
            reasons[reason_kind(p)] += 1
        elif not include_decided:
            continue
        else:
            decided += 1
        rows.append(_row(queue, p, status, answer) | {STAMP: stamp})
    output = Path(output)
    refuse_overwrite(output, inputs=[p for p in (queue.table_path, queue.folder / "dedup_queue.json",
                                                  queue.folder / "dedup_decisions.sqlite") if p is not None],
                     option="--export")
    atomic_write_bytes(output, _csv_text(rows).encode("utf-8-sig"))     # BOM: Excel reads UTF-8
    return QueueExport(output, queue.folder, len(rows) - decided, decided,
                       sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))


def _status(queue: ReviewQueue, p: MaybePair) -> tuple[str, str]:
    """(status, the answer standing for it) of an entry: pending, contested, decided (answered
    on this pair) or settled (by answers on other pairs)."""
    progress = queue.progress
    if progress.is_open(p):
        return ("contested" if p.conflict else "pending"), ""
    own = progress.standing.get(pair_key(p.id_a, p.id_b))
    if own is not None:
        return "decided", own["decision"]
    return "settled by other answers", progress.implied(p)


def _row(queue: ReviewQueue, p: MaybePair, status: str, answer: str) -> dict[str, str]:
    shown = {name: (va, vb, differs) for name, va, vb, differs in queue.view(p)}
    row = {"id_a": p.id_a, "id_b": p.id_b, "answer": answer, "reason": p.reason, "score": f"{p.score:.2f}",
           "differs": ", ".join(n for n, (va, vb, d) in shown.items() if d and va and vb and n in _EVIDENCE)}
    for name in SIDE_BY_SIDE:
        va, vb, _ = shown.get(name, ("", "", False))
        row[f"{name.replace(' ', '_')}_a"], row[f"{name.replace(' ', '_')}_b"] = va, vb
    notes = [f"the reason is about {p.via[0]} and {p.via[1]}" if p.via else "", p.conflict]
    row.update(status=status, note="; ".join(n for n in notes if n))
    return row


def _csv_text(rows: list[dict[str, str]]) -> str:
    """The rows as CSV, columns no row fills left out (a side-by-side field only some
    databases give, the ``screening`` row only an adjudicator sees), every text cell escaped."""
    fixed = ("id_a", "id_b", "answer", "reason", "score", "differs")
    sides = [f"{n.replace(' ', '_')}_{s}" for n in SIDE_BY_SIDE for s in ("a", "b")]
    filled = {k[:-2] for r in rows for k, v in r.items() if k in sides and v and v != "—"}
    header = [*fixed, *(c for c in sides if c[:-2] in filled), "status", "note", STAMP]    # both sides or neither
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(header)
    for r in rows:      # the score and the stamp are numbers; everything else is text a spreadsheet could run
        out.writerow([r[c] if c in ("score", STAMP) else escape_formula(r[c]) for c in header])
    return buf.getvalue()


@dataclass(frozen=True)
class AnswersImport:
    path: Path
    folder: Path
    reviewer: str
    stored: dict[str, int]           # answers stored, per decision
    changed: int                     # of those, on pairs whose standing decision said the other
    forced: int                      # 'duplicate' answers stored despite evident differences (force)
    already: int                     # answered so before, or settled so by other answers: not stored
    skipped: int                     # blank answers
    repeated: int                    # rows repeating an earlier row's answer on the same pair
    waiting: int                     # entries of the queue still open afterwards
    apply_command: str
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _Answer:
    line: int
    key: Pair
    decision: str


def import_answers(target: str | Path, path: str | Path, reviewer: str, *, force: bool = False) -> AnswersImport:
    """Store the answers of a pairs CSV (columns ``id_a``, ``id_b``, ``answer``) for ``reviewer``.

    Any pair of records of the dedup output may be answered, as with ``--pair``; every row is
    checked first (ids, answer, one answer per pair, a 'duplicate' answer on records that evidently
    differ refused unless ``force``), and on any error nothing is stored and the error names
    each bad line. Answers that contradict *other* pairs' decisions are stored and warned of,
    as a session's are (the next run applies 'distinct wins', conflicts.py)."""
    path = Path(path)
    queue = open_queue(target, reviewer=reviewer)
    if path.is_file() and not path.read_bytes().strip():
        raise InputError("the pairs file is empty", path=path, line=1,
                         hint="a header line (id_a,id_b,answer,...) and one row per pair are needed; "
                              "`screening dedup-review TARGET --export FILE` writes one")
    table = read_csv(path)
    missing = [c for c in REQUIRED if c not in table.header]
    if missing:
        raise InputError(f"no {', '.join(missing)} column{'s' if len(missing) > 1 else ''} in the header", path=path,
                         line=1, hint="a pairs file has the columns id_a, id_b and answer (as `dedup-review "
                                      "--export` writes it)")
    answers, skipped, repeated, bad = _read_answers(queue, table.rows, path)
    exported_at = _stamp(table.rows, path) if STAMP in table.header else None
    entries = {pair_key(p.id_a, p.id_b): p for p in queue.pairs}
    store: list[tuple[_Answer, str]] = []         # (answer, note)
    already = changed = forced = 0
    for a in answers:
        if len(bad) >= MAX_BAD_ROWS:
            break
        now = _standing_answer(queue, a.key, entries.get(a.key))
        if now == a.decision:
            already += 1
            continue
        own = queue.progress.standing.get(a.key)
        if own is not None and exported_at is not None and int(own["seq"]) > exported_at and not force:
            bad.append(_newer_answer(queue, a, own, exported_at, path))
            continue
        if own is not None:      # the pair's own decision said the other: re-decided
            changed += 1
        despite = queue.duplicate_doubts(*a.key) if a.decision == "duplicate" else []
        if despite and not force:
            bad.append(DecisionError(f"the two records evidently differ: {'; '.join(despite)}", path=str(path),
                                     line=a.line, record=f"{a.key[0]}/{a.key[1]}",
                                     hint="check the ids (a 'duplicate' answer joins the two groups into one study "
                                          "on the next run); if they are one study all the same, import with --force"))
            continue
        forced += bool(despite)
        notes = [queue.group_note(*a.key), f"imported from {path.name} line {a.line}",
                 "recorded despite: " + "; ".join(despite) if despite else ""]
        store.append((a, "; ".join(n for n in notes if n)))
    refuse_bad_rows(sorted(bad, key=lambda e: e.line or 0)[:MAX_BAD_ROWS], str(path))   # every bad row at once
    if store:
        seqs = record_decisions(queue.folder, [(*a.key, a.decision, note) for a, note in store], queue.reviewer)
        for (a, _), seq in zip(store, seqs):
            queue.progress.note(*a.key, a.decision, seq=seq)
    stored = Counter(a.decision for a, _ in store)
    return AnswersImport(path, queue.folder, queue.reviewer, dict(stored), changed, forced, already, skipped,
                         repeated, len(queue.pending), queue.apply_command,
                         tuple(table.warnings) + tuple(_contradictions(queue, {a.key for a, _ in store})))


def _log(queue: ReviewQueue) -> pd.DataFrame:
    """The dedup decision log as the queue read it when it was opened (read now if it did not)."""
    return queue.log if queue.log is not None else load_decisions(queue.folder)


def _last_seq(queue: ReviewQueue) -> int:
    """The decision log's last entry (0 for none) when the queue was opened: what an exported
    sheet is as of (the rows are the queue as it stood then)."""
    log = _log(queue)
    return int(log["seq"].max()) if len(log) else 0


def _stamp(rows: list[tuple[int, dict[str, str]]], path: Path) -> int | None:
    """The sheet's ``log_seq`` (the lowest, should rows of two exports have been pasted together);
    None when no row has one."""
    seen: list[int] = []
    for line, cells in rows:
        value = cells.get(STAMP, "").strip()
        if not value:
            continue
        if not value.isdigit():
            raise InputError(f"{STAMP} {value!r} is not a number", path=path, line=line,
                             hint=f"{STAMP} is the decision log's entry the file was exported at, as "
                                  "`dedup-review --export` writes it; restore it, or delete the column")
        seen.append(int(value))
    return min(seen) if seen else None


def _newer_answer(queue: ReviewQueue, a: _Answer, own: dict, exported_at: int, path: Path) -> DecisionError:
    """The refusal of a sheet's answer on a pair somebody answered otherwise after the export."""
    when = ""
    log = _log(queue)
    row = log[log["seq"] == own["seq"]]
    if len(row) and "decided_at" in row.columns:
        when = f" on {str(row['decided_at'].iloc[0])[:16].replace('T', ' ')}"
    who = own.get("reviewer") or "someone"
    return DecisionError(f"answered {own['decision']!r} by {who}{when}, after this file was exported "
                         f"(log entry {own['seq']} > {STAMP} {exported_at}); the file says {a.decision!r}",
                         path=str(path), line=a.line, record=f"{a.key[0]}/{a.key[1]}",
                         hint="the file's answer is the older one: agree with them and blank the row's answer, or "
                              "import with --force to store the file's answer as the newer decision")


def _read_answers(queue: ReviewQueue, rows: list[tuple[int, dict[str, str]]],
                  path: Path) -> tuple[list[_Answer], int, int, list[DecisionError]]:
    """(the answers of the file, one per pair; blank answers; rows repeating an earlier row; the
    bad rows, up to MAX_BAD_ROWS of them)."""
    bad: list[DecisionError] = []
    seen: dict[Pair, _Answer] = {}
    skipped = repeated = 0

    def refuse(line: int, message: str, hint: str, record: str | None = None) -> None:
        bad.append(DecisionError(message, path=str(path), line=line, record=record, hint=hint))

    for line, cells in rows:
        if len(bad) >= MAX_BAD_ROWS:
            break
        said = cells["answer"].strip().lower()
        if said in SKIPS:
            skipped += 1
            continue
        a, b = cells["id_a"].strip(), cells["id_b"].strip()
        if said not in ANSWERS:
            refuse(line, f"{cells['answer']!r} is not an answer", _ANSWER_HINT, f"{a}/{b}")
            continue
        if not a or not b or a == b:
            refuse(line, "a pair needs two different record ids (id_a, id_b)",
                   "fill in both ids, or leave the answer blank to skip the row")
            continue
        unknown = [rid for rid in (a, b) if rid not in queue.known_ids]
        if unknown:
            refuse(line, f"record id{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} not in the "
                         "dedup output", f"ids are the record_id column of {queue.table_path or 'the dedup table'}; "
                                         "`dedup-review TARGET --export FILE` writes the queued pairs with their ids",
                   f"{a}/{b}")
            continue
        answer = _Answer(line, pair_key(a, b), ANSWERS[said])
        earlier = seen.get(answer.key)
        if earlier is None:
            seen[answer.key] = answer
        elif earlier.decision == answer.decision:
            repeated += 1
        else:
            refuse(line, f"answers this pair {answer.decision!r}, but line {earlier.line} answers it "
                         f"{earlier.decision!r}", "keep one answer per pair", f"{a}/{b}")
    return list(seen.values()), skipped, repeated, bad


def _standing_answer(queue: ReviewQueue, key: Pair, entry: MaybePair | None) -> str:
    """What the log says of a pair now: its standing decision, else (for an entry of the queue)
    what the answers so far settle it as; '' when neither."""
    own = queue.progress.standing.get(key)
    if own is not None:
        return str(own["decision"])
    return queue.progress.implied(entry) if entry is not None else ""


def _contradictions(queue: ReviewQueue, keys: set[Pair]) -> list[str]:
    """Warnings for the contradictions an imported answer is part of, in the run's words: read
    once over the whole store (per answer, as ``decide_pair`` does, is one read per row)."""
    if not keys:
        return []
    found = [c for c in standing_conflicts(queue.standing(), queue.decision_groups) if keys & disputed([c])[1]]
    return conflict_warnings(found)
