"""Blinding: which events of the decision log a viewer may see.

Rule (documented for users in docs/screening.md): a non-adjudicator viewer sees another
reviewer's events on a record only once the viewer has a standing decision on it
(:func:`visible_entries`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from screening.decisions.entries import standing_decisions


@dataclass(frozen=True)
class Viewer:
    """Who is looking. ``name=None`` and not adjudicator: sees nobody's decisions."""

    name: str | None = None
    adjudicator: bool = False


def visible_entries(entries: pd.DataFrame, viewer: Viewer) -> pd.DataFrame:
    """The events ``viewer`` may see: their own, 'assign' plans, and others' events on a
    (record, stage) only where the viewer has a standing decision. Adjudicators see all."""
    if viewer.adjudicator or entries.empty:
        return entries
    decided: set[tuple[str, str]] = set()
    if viewer.name:
        for stage in entries["stage"].unique():
            for rid, by in standing_decisions(entries, stage).items():
                if any(rev == viewer.name for rev, _ in by):
                    decided.add((rid, stage))
    own = entries["reviewer"].eq(viewer.name) if viewer.name else pd.Series(False, index=entries.index)
    plan = entries["action"].eq("assign")
    seen = pd.Series([(r, s) in decided for r, s in zip(entries["record_id"], entries["stage"])],
                     index=entries.index, dtype=bool)
    return entries[own | plan | seen]
