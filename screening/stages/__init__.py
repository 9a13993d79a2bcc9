"""Pipeline stages. Importing this package registers every table-to-table stage.

``ingest`` is special (files in, table out) and is called by the runner directly;
the others register a :class:`screening.stage.Stage` and run in ``order``.
"""

from importlib import import_module

_STAGE_MODULES = (
    "dedup",   # order 20: link duplicates (issue: deduplication)
    "rules",   # order 30: inclusion rules as data
    "rank",    # order 40: relevance ranking / active learning
)

for _name in _STAGE_MODULES:
    try:
        import_module(f"screening.stages.{_name}")
    except ModuleNotFoundError as err:  # a stage not written yet
        if err.name != f"screening.stages.{_name}":
            raise
