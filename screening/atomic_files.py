"""Writing files so that a reader never sees half of one.

Why: a stage table, a report, an export or a PRISMA diagram cut short by Ctrl-C, a full disk or
a killed process must not be read as a finished file. Each is written to a temporary file in
the same folder, fsynced, then renamed over the target (atomic on POSIX and Windows); a
temporary file a killed process left is removed by the next run.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Iterable


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            # mkstemp creates 0600; outputs get the usual umask-based mode so co-reviewers can read them
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def remove_stale_temp_files(folder: Path, names: Iterable[str], older_than_s: float,
                            scratch: Iterable[str] = ()) -> None:
    """Remove :func:`atomic_write_bytes`' temporary files of the outputs ``names`` in ``folder``
    that a killed process left (SIGKILL, a power cut: the write's own cleanup never ran), and
    the files named ``scratch`` (a caller's own intermediate outputs, with their temporaries).
    Only old ones: a write takes seconds, and another process may be writing its own now."""
    scratch = set(scratch)
    prefixes = tuple(f".{name}." for name in [*names, *scratch])
    now = time.time()
    try:
        found = [p for p in folder.iterdir()
                 if (p.name.endswith(".tmp") and p.name.startswith(prefixes)) or p.name in scratch]
    except OSError:
        return
    for path in found:
        try:
            if now - path.stat().st_mtime > older_than_s:
                path.unlink()
        except OSError:
            continue


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
