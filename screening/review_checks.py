"""Checks of a review as a whole that every read-only command reports the same way.

Why apart from the runner: these look at the review's files and outputs, not at running
stages. :func:`review_warnings` is what ``status``, ``prisma`` and ``export`` say beside their
figures: the decision log is missing although the outputs show it existed
(:mod:`screening.decisions.lost_log`), the stage outputs are out of date
(:func:`screening.last_run.drift_warning`) or were made by another version of screening
(:func:`screening.stage_versions.version_warning`: an upgrade not yet run, or a newer version's
outputs read by an older one), or an export saved beside the review's sources is in no
``[[sources]]`` entry (:func:`unlisted_exports`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from screening.config import ReviewConfig


def review_warnings(review: ReviewConfig, reports: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """The review-level warnings (none when the outputs are current and this version's, every
    listed export is as it was ingested, every export is listed, and the decision log is where
    the outputs say it was: :func:`screening.decisions.lost_log.lost_log_warning`)."""
    from screening.decisions.lost_log import lost_log_warning
    from screening.raw_changes import raw_changes_warning
    from screening.last_run import drift_warning, last_reports
    from screening.stage_versions import version_warning

    reports = last_reports(review, reports)
    # the missing log first: every figure beside it is wrong
    return [w for w in (lost_log_warning(review.decisions_path), drift_warning(review, reports),
                        version_warning(reports, review.command_ref()),
                        raw_changes_warning(review, reports.get("ingest")), unlisted_warning(review)) if w]


def unlisted_exports(review: ReviewConfig) -> list[Path]:
    """Export files beside the review's listed sources, under its ``data/raw``, that no
    ``[[sources]]`` entry lists: an export saved to the review's folder but never added to the
    TOML is left out of every count, and nothing else would say so. Only the folders holding
    listed sources are looked in (not their subfolders: `screening search` keeps its raw pages
    in ``searches/``), and only files a reader could read (by suffix; READMEs aside)."""
    import screening.io  # noqa: F401  (registers the readers, whose suffixes these are)
    from screening.io.base import READERS

    suffixes = {f".{e}" for r in READERS.values() for e in r.extensions}
    raw = (review.root / "data" / "raw").resolve()
    listed = [review.resolve(s.file) for s in review.sources]
    folders = {p.resolve().parent for p in listed}
    listed += _listed_by_other_reviews(review)      # two reviews sharing a folder: not forgotten
    folders = {f for f in folders if raw in f.parents}       # a review's own folders, not data/raw itself
    out = []
    for folder in sorted(folders):
        for path in sorted(folder.iterdir()) if folder.is_dir() else ():
            if (path.is_file() and path.suffix.lower() in suffixes and not path.name.startswith(".")
                    and not path.stem.upper().startswith(("README", "SOURCES"))
                    and not any(_same_file(path, p) for p in listed) and _reads_as_export(path, READERS)):
                out.append(path)
    return out


def _listed_by_other_reviews(review: ReviewConfig) -> list[Path]:
    """The exports the project's other review TOMLs (``pipelines/*.toml``) list: a file another
    review screens is no export this one forgot (a TOML that does not parse lists nothing)."""
    import tomllib

    out = []
    for toml in sorted((review.root / "pipelines").glob("*.toml")):
        if review.path is not None and _same_file(toml, review.path):
            continue
        try:
            sources = tomllib.loads(toml.read_text(encoding="utf-8")).get("sources", [])
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        for spec in sources if isinstance(sources, list) else []:
            if isinstance(spec, dict) and isinstance(spec.get("file"), str):
                out.append(review.resolve(spec["file"]))
    return out


def _same_file(a: Path, b: Path) -> bool:
    # samefile, not equal paths: 'PubMed.ris' listed for 'pubmed.ris' on a case-insensitive disk
    try:
        return a.samefile(b)
    except OSError:
        return False


def _reads_as_export(path: Path, readers: Any) -> bool:
    """Whether a reader recognises the file's start as an export: a .txt of search strategy
    notes or a .csv list of included studies is not one, and naming it would be noise."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024).decode("utf-8", errors="replace").lstrip("\ufeff")
    except OSError:
        return False
    scores = []
    for reader in readers.values():
        try:
            scores.append(reader.sniff(head))
        except Exception:       # a sniffer meeting odd text: not this format
            scores.append(0.0)
    return max(scores, default=0.0) >= 0.5


def unlisted_warning(review: ReviewConfig) -> str:
    """:func:`unlisted_exports` as one warning ('' when there are none)."""
    files = unlisted_exports(review)
    if not files:
        return ""
    names = ", ".join(str(f.relative_to(review.root)) if f.is_relative_to(review.root) else str(f) for f in files[:3])
    return (f"{len(files)} export file{'s' if len(files) != 1 else ''} beside the review's sources "
            f"{'are' if len(files) != 1 else 'is'} not in its [[sources]] ({names}{' ...' if len(files) > 3 else ''}), "
            "so no count includes {0}: add a [[sources]] entry for each search it belongs to, or move it out of "
            "the folder".format("them" if len(files) != 1 else "it"))
