"""What a run reads besides the stage tables: the review's sources, and what people have decided.

Split from :mod:`screening.runner`, which writes: the exports and saved searches ingest reads
(:func:`read_sources`), the previous ingest's ids a re-ingest is checked against, the ids people
have decided on (the decision log and the dedup-review store), and the columns of a stored stage
table a rebuild over another version's output is compared with
(:mod:`screening.stage_versions`).
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from screening.config import ReviewConfig
from screening.errors import ConfigError
from screening.missing_source import missing_source
from screening.stage_versions import COMPARED
from screening.stages.ingest import RawSource, refuse_repeated
from screening.stages.source_parsing import read_file


def search_sources(review: ReviewConfig) -> list[RawSource]:
    """Records fetched by `screening search` (saved raw responses, listed in the search log)."""
    from screening.search import sources_for_review  # late: search imports the ingest stage

    return list(sources_for_review(review))


def read_sources(review: ReviewConfig, files: ExitStack) -> list[RawSource]:
    """The review's exports and completed searches; big exports are memory-mapped until
    ``files`` closes."""
    searched = search_sources(review)
    if not review.sources and not searched:
        raise ConfigError("the review lists no [[sources]]", path=review.path,
                          hint="add one [[sources]] table per export file")
    out = []
    for spec in review.sources:
        path = review.resolve(spec.file)
        if not path.is_file():
            raise missing_source(path, spec.file, review.path.name)
        out.append(RawSource(name=review.source_name(path), data=read_file(path, files), database=spec.database,
                             format=spec.format, method=spec.method.strip()))
    refuse_repeated(out, searched)   # listed exports vs each other and the search pages, not page vs page
    return out + searched


def previous_ingest(output_dir: Path) -> pd.DataFrame | None:
    """What a re-ingest compares with in the previous ingest's table (ids, their files, titles
    and DOIs), read once when ingest runs again; None without one, or unreadable."""
    try:                     # only those columns (a 100k-record table is large)
        return pd.read_parquet(output_dir / "ingest.parquet", columns=["record_id", "title", "doi", "source_file"])
    except Exception:        # none yet, or unreadable: ids from the file names, as at a first run
        return None


def decided_records_changed(review: ReviewConfig, output_dir: Path, table: pd.DataFrame,
                             old: pd.DataFrame | None, moved: Mapping[str, str]) -> Any:
    """:func:`screening.identity.decided_records_changed` for the ids the decision log and the
    dedup-review store name, against what the decisions were made on and the previous ingest
    (``old``: :func:`previous_ingest`; ``moved``: exports moved with their bytes unchanged)."""
    from screening.identity import ChangedRecords, decided_records_changed as changed_since

    decided, seen = decided_ids(review, output_dir)
    if not decided:
        return ChangedRecords((), (), ())
    return changed_since(old, table, decided, seen, moved)


def decided_ids(review: ReviewConfig, output_dir: Path) -> tuple[set[str], pd.DataFrame | None]:
    """The ids people have decided on (a standing decision in the log, a standing dedup-review
    pair) and what the log says each was decided on (None without a log)."""
    from screening.dedup.store import latest_decisions, load_decisions as load_dedup_decisions

    decided: set[str] = set()
    seen = None
    if review.decisions_path.exists():
        from screening.decisions.entries import decided_on, load_entries, standing_event_ids

        entries = load_entries(review.decisions_path)
        # records with a standing decision: a plan's assignment, a note or an undone decision
        # names no study anyone decided on (UAT: plan-only ids made restoring an export refused)
        standing = standing_event_ids(entries)
        decided |= set(standing.values())
        seen = decided_on(entries, standing)
    # pairs with a standing dedup-review decision (a reopened pair holds nothing)
    for a, b in latest_decisions(load_dedup_decisions(output_dir)):
        decided |= {str(a), str(b)}
    return decided, seen


def previous_column(output_dir: Path, name: str) -> pd.DataFrame | None:
    """record_id and the column :data:`screening.stage_versions.COMPARED` names of a stage's
    stored table, read before a run replaces it (two columns: cheap at 65k records)."""
    column = COMPARED.get(name)
    if column is None:
        return None
    try:
        return pd.read_parquet(output_dir / f"{name}.parquet", columns=["record_id", column])
    except Exception:        # none, or unreadable: nothing to compare with
        return None
