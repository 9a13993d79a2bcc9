"""Why an export that ``[[sources]]`` names is not found although a listing seems to show it.

Two causes look alike to the user and get a hint of their own:

- the name on disk is written in another Unicode normalisation than the TOML's: a folder or
  file that went through macOS or a zip archive comes back decomposed ('U' + combining
  diaeresis for 'Ü', NFD), identical on screen to the TOML's 'Ü' (NFC). The file is not read
  under its other spelling: record ids and ``source_file`` are made from the name, and a
  silent switch would change them between two runs;
- Python runs with a file-system encoding that cannot write the name (an ASCII-only locale,
  ``LC_ALL=C`` with UTF-8 mode and locale coercion off).
"""

from __future__ import annotations

import os
import sys
import unicodedata
from pathlib import Path

from screening.errors import InputError


def unicode_twin(path: Path) -> Path | None:
    """The existing file that is ``path`` once every name in both is in NFC, when ``path``
    itself does not exist; None when there is none, or more than one (then the listing in each
    folder decides nothing)."""
    if os.path.lexists(path):
        return None
    current = Path(path.anchor) if path.anchor else Path()
    for part in path.parts[1:] if path.anchor else path.parts:
        if os.path.lexists(current / part):
            current = current / part
            continue
        want = unicodedata.normalize("NFC", part)
        try:
            found = [n for n in os.listdir(current) if unicodedata.normalize("NFC", n) == want]
        except (OSError, ValueError):
            return None
        if len(found) != 1:
            return None
        current = current / found[0]
    return current if current.is_file() else None


def _form(name: str) -> str:
    if unicodedata.is_normalized("NFC", name):
        return "composed Unicode (NFC)"
    return "decomposed Unicode (NFD)" if unicodedata.is_normalized("NFD", name) else "mixed Unicode forms"


def _unencodable(path: Path) -> bool:
    try:
        os.fsencode(path)
    except UnicodeError:
        return True
    return False


def missing_source(path: Path, given: str, toml_name: str) -> InputError:
    """The error for a ``[[sources]]`` file that is not a file at ``path`` (``given``: the path
    as the TOML writes it)."""
    fix = f"fix [[sources]] file = {given!r} in {toml_name}"
    if path.is_dir():
        return InputError("this source is a folder, not an export file", path=path, hint=fix)
    twin = unicode_twin(path)
    if twin is not None:
        disk, typed = next((d, t) for d, t in zip(twin.parts, path.parts) if d != t)
        tool = " (convmv -f utf8 -t utf8 --nfc --notest does it)" if unicodedata.is_normalized("NFC", typed) else ""
        return InputError(
            f"source file not found as written: {disk!r} on disk is in {_form(disk)}, the TOML's {typed!r} in "
            f"{_form(typed)}; they look identical (macOS and zip copies respell names so)", path=path,
            hint=f"rename {disk!r} on disk to the TOML's spelling{tool}: record ids and source_file are made "
                 "from its path, so the file is not read under the other spelling")
    if _unencodable(path):
        return InputError(
            f"source file not found: Python's file-system encoding ({sys.getfilesystemencoding()}) cannot "
            "write this path's non-ASCII characters", path=path,
            hint="run under a UTF-8 locale (LC_ALL=C.UTF-8) or with PYTHONUTF8=1")
    return InputError("source file not found", path=path, hint=fix)
