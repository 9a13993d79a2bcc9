"""The run history: every stage report the runner writes, appended as one JSON line to
``history.jsonl`` in the output folder and never rewritten. Apart from the runner because the
PRISMA report reads it too, and its append-only, crash-tolerant format is a concern of its own.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

HISTORY_NAME = "history.jsonl"


def append_history(output_dir: Path, entry: dict[str, Any]) -> None:
    """Append ``entry`` as one JSON line to ``<output_dir>/history.jsonl`` (append-only): one
    ``write`` of the whole line with its newline, then fsync. A line torn by a crash is closed
    off before the next one, so it damages only itself."""
    output_dir.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, sort_keys=True, default=str, ensure_ascii=False).encode("utf-8") + b"\n"
    fd = os.open(output_dir / HISTORY_NAME, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        written = os.write(fd, line)
        while written < len(line):          # a short write (disk full...): finish the line
            written += os.write(fd, line[written:])
        os.fsync(fd)
    finally:
        os.close(fd)


def read_history(output_dir: str | Path, stage: str | None = None) -> list[dict[str, Any]]:
    """The entries of ``<output_dir>/history.jsonl`` in order (of one ``stage`` if given),
    skipping a line a crash left incomplete."""
    path = Path(output_dir) / HISTORY_NAME
    if not path.exists():
        return []
    out = []
    with open(path, "rb") as fh:       # bytes: a torn line may end inside a UTF-8 character
        for raw in fh:
            try:
                entry = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(entry, dict) and (stage is None or entry.get("stage") == stage):
                out.append(entry)
    return out
