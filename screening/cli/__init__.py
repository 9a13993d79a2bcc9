"""Command-line interface: ``screening COMMAND``. See ``screening --help``.

One module per topic; importing it registers its commands on the shared ``app``.
"""

# imported in the order of a review, which is the order `screening --help` lists the commands
from screening.cli import pipeline, search, dedup, rules, rank, screen, decide, progress, prisma, export  # noqa: F401, I001
from screening.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
