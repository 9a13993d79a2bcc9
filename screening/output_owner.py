"""Which review an output folder belongs to: the marker each run writes there (:data:`OWNER_FILE`)
and the check every command makes against it. Apart from the configuration because it reads the
output folder, not the TOML.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from screening.errors import ConfigError
from screening.toml_file import key_line

if TYPE_CHECKING:       # config imports this module: the annotation only, no import cycle
    from screening.config import ReviewConfig


# The review TOML an output folder belongs to, as a path relative to the folder (so a project
# moved as a whole keeps it): written by each run, checked by every command.
OWNER_FILE = "review_toml.txt"


def owner_text(review: "ReviewConfig") -> str:
    """What :data:`OWNER_FILE` says for ``review``: the TOML's path from the folder (absolute
    when there is none: another drive on Windows)."""
    try:
        return os.path.relpath(review.path, review.output_dir)
    except ValueError:
        return str(review.path)


def owner_of(output_dir: Path) -> Path | None:
    """The TOML an output folder records as its review's (None: none recorded, or it is gone).

    The folder is the one the system resolves ``output_dir`` to: an ``output_dir`` spelt
    ``data/screened/x/../hostile``, with no folder ``x``, could not be read as written, so the
    check found no owner and the TOML took over the folder of the review ``hostile`` (acceptance
    testing). The recorded path is joined as ``os.path.relpath`` made it, to the folder as written
    (a symlink in its path not followed first), else to the resolved folder."""
    folder = output_dir.resolve()
    try:
        recorded = (folder / OWNER_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not recorded:
        return None
    for base in (output_dir, folder):
        owner = Path(os.path.normpath(os.path.join(os.path.abspath(base), recorded)))
        if owner.is_file():
            return owner
    return None


def check_owner(path: Path, output_dir: Path) -> None:
    """Refuse a review whose output folder another existing TOML's runs wrote (acceptance
    testing: a TOML copied to start a sibling review, its [review] name left unchanged, counted
    the first review's decisions and overwrote its outputs). A TOML renamed or moved (the
    recorded one is gone) takes the folder over at its next run."""
    owner = owner_of(output_dir)
    if owner is None:
        return
    try:
        if os.path.samefile(owner, path):     # one file however spelt (case, links)
            return
    except OSError:
        return
    # the folder as the system finds it ('data/screened/x/../a' is data/screened/a), at the key that named it
    raise ConfigError(f"{output_dir.resolve()} holds the outputs and decision log of another review, {owner}",
                      path=path, line=key_line(path, "output_dir", "review") or key_line(path, "name", "review"),
                      hint="give this review its own [review] name (or output_dir): two TOMLs sharing one folder "
                           "would count each other's decisions and overwrite each other's outputs")
