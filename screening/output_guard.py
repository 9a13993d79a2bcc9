"""Refuse an output path that would replace a file the tool must never write over.

Commands that take ``-o FILE`` (``ingest``, ``dedup``, ``export``, ``simulate``, ``dedup-review
--export``) wrote wherever they were told. Acceptance testing (36b) found three ways that loses
data without a word:

- ``ingest X.csv -o X.csv`` (or ``dedup``): the export as downloaded is replaced by the table
  made from it;
- ``export REVIEW -o data/raw/<review>/<source>.ris``: a raw export, which the review treats as
  immutable, is replaced, and the next ``run`` ingests the replacement;
- ``export REVIEW -o data/screened/<review>/apply_rules.csv``: a stage's CSV, the copy people
  open, is replaced, and ``run`` calls the stage unchanged (its report vouches for the parquet).

So an output may not be one of the command's own inputs, a file under the project's
``data/raw`` (exports as received, and saved search responses), a review's listed source, or a
file the pipeline owns in the review's output folder (stage tables and reports, the decision
logs, the run history). Paths are compared resolved (symlinks, ``..``), so another spelling of
the same file is caught too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from screening.errors import InputError

if TYPE_CHECKING:
    from screening.config import ReviewConfig

# files of a review's output folder that the pipeline writes and reads back (besides the stage
# tables and reports, which depend on the stages a review enables)
_OWNED = ("decisions.sqlite", "dedup_decisions.sqlite", "history.jsonl", "review_toml.txt", "dedup_queue.json")
_STAGE_SUFFIXES = (".parquet", ".csv", ".json")


def _resolved(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def refuse_overwrite(output: str | Path, *, inputs: Iterable[str | Path] = (),
                     review: "ReviewConfig | None" = None, option: str = "-o") -> None:
    """Raise :class:`InputError` when ``output`` is a file that must not be written over (see the
    module docstring): one of ``inputs``, or, for a review, its raw data or pipeline files."""
    target = _resolved(output)
    for src in inputs:
        if _resolved(src) == target:
            raise InputError("the output would replace one of the command's input files", path=output,
                             hint=f"write to another file ({option} NEW_FILE); exports are kept as received")
    if review is None:
        return
    raw_root = _resolved(review.root / "data" / "raw")
    if target == raw_root or raw_root in target.parents:
        raise InputError("the output would be written into the project's data/raw folder, which holds the "
                         "search exports as received (never edited)", path=output,
                         hint=f"write it elsewhere ({option} FILE), e.g. under data/screened/ or your own folder")
    for spec in review.sources:
        if _resolved(review.resolve(spec.file)) == target:
            raise InputError(f"the output would replace the review's source export {spec.file}", path=output,
                             hint=f"write it elsewhere ({option} FILE); a source is never edited")
    out_dir = _resolved(review.output_dir)
    if target.parent == out_dir and _owned_by_pipeline(target.name, review):
        raise InputError("the output would replace a file the pipeline writes and reads back (a stage "
                         "table or report, a decision log, the run history)", path=output,
                         hint=f"write it elsewhere ({option} FILE), e.g. {out_dir.name}/exports/{target.name}")


def _owned_by_pipeline(name: str, review: "ReviewConfig") -> bool:
    from screening.stage import registered_stages

    if name in _OWNED or name.startswith(tuple(f"{n}-" for n in _OWNED if n.endswith(".sqlite"))):
        return True        # also the logs' -wal / -shm files
    stages = ["ingest", *(s.name for s in registered_stages())]
    return any(name == f"{stage}{suffix}" for stage in stages for suffix in _STAGE_SUFFIXES)
