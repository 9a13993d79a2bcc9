"""The derived views of the decision log that docs/screening.md ("For developers") names for
scripts: kept importable from here so those scripts go on working. The package itself imports
each name from its home: :mod:`.entries` (the log, standing decisions), :mod:`.outcomes`
(final decisions, conflicts), :mod:`.progress` (stage progress, training labels) and
:mod:`.visibility` (blinding).
"""

from screening.decisions.entries import load_entries
from screening.decisions.outcomes import conflicts, final_decisions
from screening.decisions.progress import stage_progress, training_labels
from screening.decisions.visibility import Viewer, visible_entries

__all__ = ["load_entries", "final_decisions", "training_labels", "stage_progress", "conflicts",
           "visible_entries", "Viewer"]
