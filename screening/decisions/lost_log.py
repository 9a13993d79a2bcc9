"""A decision log gone missing: what in the review's output folder shows that it existed.

Why: a missing ``decisions.sqlite`` reads as "nobody has screened yet", and SQLite creates a
new file without a word. A log deleted or moved (by hand, by a sync tool) so restarted a review
from zero: `status` showed 0 screened, `run` re-ranked without labels and rewrote the PRISMA
outputs as "not started", and the next decision created a new, empty log (the dual-screening
plan gone, so one decision was final). The output folder keeps traces of the log: the ranking's
reports (``rank.json``, and ``history.jsonl``, which is only ever appended to) say how many
records people had decided, the PRISMA report how many were screened, and SQLite's -wal file
can outlive a deleted log. Where they show a log existed, the reading commands warn
(:func:`lost_log_warning`) and the commands that write, or rebuild the outputs from the log,
refuse (:func:`refuse_lost_log`) until it is restored, or a new log is started on purpose
(:func:`start_new_log`). A review nobody has screened has no such traces: its log is created
silently, as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from screening.errors import DecisionError


def _empty(path: Path) -> bool:
    """A log file of 0 bytes: a copy cut short on a full disk, a cloud-sync placeholder, a '>'
    by mistake. SQLite takes it for a new, empty database, so it hid a lost log (acceptance 36b:
    `status` showed 0 screened and `decide` wrote a fresh log into it)."""
    try:
        return path.is_file() and path.stat().st_size == 0
    except OSError:
        return False


def _gone(path: Path) -> str:
    return "is empty (0 bytes)" if _empty(path) else "is missing"


def lost_log_evidence(db_path: str | Path) -> str | None:
    """What shows that the log at ``db_path`` existed, when it does not now, or is an empty
    file (None: it exists, or nothing shows the review ever had one)."""
    path = Path(db_path)
    folder = path.parent
    if (path.exists() and not _empty(path)) or not folder.is_dir():
        return None
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            return f"SQLite's {side.name} file of the log is still there"
    decided = _decided_in_rank_report(_json(folder / "rank.json"))
    if decided:
        return f"rank.json reports {_records(decided)} people had decided when the review was last ranked"
    screened = _screened_in_prisma(_json(folder / "prisma" / "prisma.json"))
    if screened:
        return f"prisma/prisma.json reports {_records(screened)} with title/abstract or full-text decisions"
    from screening.run_history import read_history

    for entry in reversed(read_history(folder, "rank")):
        report = entry.get("report")
        decided = _decided_in_rank_report(report if isinstance(report, dict) else {})
        if decided:
            return (f"history.jsonl reports {_records(decided)} people had decided when the review was ranked"
                    + (f" at {entry['time']}" if entry.get("time") else ""))
    return None


def lost_log_warning(db_path: str | Path) -> str | None:
    """What `status`, `prisma` and `export` say beside their figures (and `log`, `conflicts` and
    `agreement` beside theirs: :func:`.api.missing_log_warnings`) when the log is missing but the
    output folder shows it existed (None otherwise)."""
    evidence = lost_log_evidence(db_path)
    if evidence is None:
        return None
    path = Path(db_path)
    return (f"{path}: the decision log {_gone(path)}, but the review had one ({evidence}): every figure here "
            f"reads as if nobody had screened. Restore {path.name} from a backup (with its -wal file, if it "
            "had one); until then, commands that record decisions or run the review refuse")


def refuse_lost_log(db_path: str | Path, review_ref: str = "REVIEW", *,
                    nothing: str = "nothing was recorded and no new log was started") -> None:
    """Raise :class:`DecisionError` when the log is missing but the output folder shows it
    existed: a command that would create a new, empty log (or rebuild the outputs as if nobody
    had screened) must not. ``review_ref``: how the review is named in a command (the hint)."""
    evidence = lost_log_evidence(db_path)
    if evidence is None:
        return
    path = Path(db_path)
    raise DecisionError(f"the decision log {_gone(path)}, but the review had one ({evidence})", path=path,
                        hint=f"{nothing}; restore {path.name} from a backup (with its -wal file, if it had one) "
                             "and run the command again. Only if the decisions are truly lost, start a new, empty "
                             f"log on purpose: screening decide {review_ref} --new-log")


def start_new_log(review: Any) -> Path:
    """Start a new, empty decision log where the review has none: the way on, on purpose, after
    a log was lost with no backup left (commands refuse to start one by themselves then:
    :func:`refuse_lost_log`). ``review``: a TOML path, a name, a ``ReviewConfig`` or a loaded
    ``Review``. Returns the log's path."""
    from screening.config import ReviewConfig, load_review
    from screening.decisions.store import SQLiteStore

    config = getattr(review, "config", review)
    config = config if isinstance(config, ReviewConfig) else load_review(config)
    path = config.decisions_path
    if path.exists() and not _empty(path):
        raise DecisionError("the review has a decision log already", path=path,
                            hint="nothing was changed; --new-log starts a log only where there is none")
    path.unlink(missing_ok=True)        # an empty file holds nothing: the new log takes its place
    SQLiteStore(path).close()
    return path


def _json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _number(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _decided_in_rank_report(report: dict[str, Any]) -> int:
    """Records people had decided when the rank stage ran, by its report: the stopping status's
    screened and awaiting-settlement records (from the log alone); in a report without them,
    the ranker's training labels beyond the rank section's priors (which need no log)."""
    details = report.get("details")
    stopping = details.get("stopping") if isinstance(details, dict) else None
    if isinstance(stopping, dict) and "screened" in stopping:
        return _number(stopping.get("screened")) + _number(stopping.get("awaiting_settlement"))
    counts = report.get("counts") if isinstance(report.get("counts"), dict) else {}
    params = report.get("parameters") if isinstance(report.get("parameters"), dict) else {}
    priors = {str(r) for key in ("prior_included", "prior_excluded") for r in (params.get(key) or [])}
    return max(0, _number(counts.get("training_size")) - len(priors))


def _screened_in_prisma(doc: dict[str, Any]) -> int:
    """Records with a decision at either screening stage, by a PRISMA report (settled or not)."""
    counts = doc.get("counts") if isinstance(doc.get("counts"), dict) else {}
    total = 0
    for stage in ("title_abstract", "full_text"):
        progress = counts.get(stage)
        if isinstance(progress, dict):
            total += _number(progress.get("done")) + _number(progress.get("open"))
    return total


def _records(n: int) -> str:
    return f"{n} record{'' if n == 1 else 's'}"
