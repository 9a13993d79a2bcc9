"""Pipeline stages. Importing this package registers every table-to-table stage.

``ingest`` is special (files in, table out) and is called by the runner directly; the others
register a :class:`screening.stage.Stage` and run in their ``order``: dedup (20), apply_rules
(30), rank (40).
"""

from screening.stages import dedup, rank, rules  # noqa: F401
