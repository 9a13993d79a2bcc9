"""Command-line interface: ``screening COMMAND``. See ``screening --help``."""

from importlib import import_module

from screening.cli._app import app

# One module per topic; each registers its commands on `app`.
_COMMAND_MODULES = (
    "pipeline",   # ingest, run, version
    "dedup",      # dedup, dedup-review
    "rules",      # rules check
    "rank",       # rank, simulate
    "screen",     # screen, decide, assign, conflicts, adjudicate, agreement, status, log
    "prisma",     # prisma
    "search",     # search pubmed|openalex|europepmc
)

for _name in _COMMAND_MODULES:
    try:
        import_module(f"screening.cli.{_name}")
    except ModuleNotFoundError as err:  # a command module not written yet
        if err.name != f"screening.cli.{_name}":
            raise


def main() -> None:
    app()


__all__ = ["app", "main"]
