"""The pool's feature matrix kept on disk, so it is built once per set of texts, not per command.

Why: vectorising the records in play is most of what opening a screening session, `rank` and
`stop` cost on a large review (acceptance testing at 56,000 records in play: 28 of the 35 s a
session took to show its first record went to the TF-IDF fit, which `run` had just done for the
same records). The matrix depends only on the feature extractor (its name and parameters) and
the texts it reads, in order, so a digest of those names it: a stale matrix cannot be read for
other texts or settings, and nothing has to invalidate it.

A cache is a help, never a source of truth: a file that cannot be read or written (read-only
folder, full disk, truncated file) is ignored and the matrix is built as before. Files are
written to a temporary name and renamed, and only the newest :data:`KEEP` are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Sequence

import scipy.sparse as sp

KEEP = 2                 # a session's pool and the rank stage's, when they differ
_VERSION = 1             # bump when the file layout or the extractors' output changes


class FeatureCache:
    """Feature matrices by digest in ``folder`` (``<output_dir>/cache`` of a review)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    @staticmethod
    def key(extractor: Any, texts: Sequence[str]) -> str:
        """The digest naming the matrix ``extractor`` makes of ``texts`` (in order)."""
        from screening.config import plain

        h = hashlib.sha256()
        h.update(json.dumps([_VERSION, type(extractor).__module__, type(extractor).__qualname__,
                             plain(extractor.get_params())], sort_keys=True, default=str).encode())
        for text in texts:
            h.update(text.encode("utf-8", "surrogatepass"))
            h.update(b"\x1e")           # record separator: ("ab", "c") is not ("a", "bc")
        return h.hexdigest()[:32]

    def _path(self, key: str) -> Path:
        return self.folder / f"features-{key}.npz"

    def load(self, key: str, rows: int) -> sp.csr_matrix | None:
        """The matrix stored under ``key`` if it is there, readable and has ``rows`` rows."""
        path = self._path(key)
        try:
            X = sp.load_npz(path).tocsr()
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):    # damaged: a miss
            return None
        if X.shape[0] != rows:
            return None
        try:
            os.utime(path)              # recently used: kept by the clean-up below
        except OSError:
            pass
        return X

    def save(self, key: str, X: sp.csr_matrix) -> None:
        """Store ``X`` under ``key`` (atomically), then drop all but the newest files."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".features-", suffix=".npz.tmp", dir=self.folder)
            try:
                with os.fdopen(fd, "wb") as fh:
                    sp.save_npz(fh, X, compressed=False)
                os.chmod(tmp, 0o644)    # mkstemp's 0600 would hide it from the team's other accounts
                os.replace(tmp, self._path(key))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            files = sorted(self.folder.glob("features-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in files[KEEP:]:
                old.unlink(missing_ok=True)
        except OSError:
            return                      # a read-only or full disk: the matrix was built anyway
