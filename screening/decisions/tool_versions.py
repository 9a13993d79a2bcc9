"""Which versions of screening recorded a review's decisions, and when its log changed format.

Why it matters to an auditor: the ranker that ordered a session and the stopping test a stop
was logged under differ between versions, so "which version recorded this decision" is part of
the evidence. Since log format 5 every row records the version that wrote it
(``tool_version``), and the log's ``migrations`` table when and by which version its format
changed (:mod:`.log_schema`). Rows written before format 5 say no version: they are counted
as such, never attributed to a version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from screening.decisions.log_schema import DECISION_ACTIONS, MIGRATION_COLUMNS
from screening.decisions.store import read_log


def recorded_versions(entries: pd.DataFrame | None) -> tuple[tuple[str, int], ...]:
    """(version, decision events recorded with it) in the order each version was first used;
    ``""``: events written before the log recorded versions (always the earliest). Every
    decision event counts, undone or corrected ones too: this is what the log holds, not the
    standing decisions."""
    if entries is None or not len(entries) or "tool_version" not in entries.columns:
        return ()
    versions = entries.loc[entries["action"].isin(DECISION_ACTIONS), "tool_version"]
    counts = versions.fillna("").astype(str).value_counts(sort=False)
    return tuple((str(v), int(n)) for v, n in counts.items())


def recorded_with_sentence(versions: tuple[tuple[str, int], ...]) -> str:
    """One factual sentence when the decisions were recorded with more than one version
    (counting "no version recorded" as one), else ``""``: e.g. "Decisions were recorded with
    screening 0.21.0 (412) and 0.22.0 (120); 56 earlier decisions carry no version (recorded
    before the log noted versions)." A review run under one version says nothing."""
    if len(versions) < 2:
        return ""
    known = [(v, n) for v, n in versions if v]
    unknown = sum(n for v, n in versions if not v)
    said = [f"{v} ({n})" for v, n in known]
    listed = said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]
    text = f"Decisions were recorded with screening {listed}"
    if unknown:
        text += (f"; {unknown} earlier decision{'s' if unknown != 1 else ''} "
                 f"carr{'y' if unknown != 1 else 'ies'} no version (recorded before the log noted versions)")
    return text + "."


def log_migrations(db_path: str | Path) -> list[dict[str, Any]]:
    """The log's recorded changes of format, oldest first (``from_format`` 0: the log was
    created), as dicts of :data:`MIGRATION_COLUMNS`; [] without a log or for a log older than
    format 5 (read as it is: a reader never migrates it)."""
    rows = read_log(db_path, lambda store: store.migration_rows() if hasattr(store, "migration_rows") else [], [])
    return [dict(zip(MIGRATION_COLUMNS, row)) for row in rows]
