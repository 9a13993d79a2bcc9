"""Command-line interface: ``screening COMMAND``. See ``screening --help``.

One module per topic; importing it registers its commands on the shared ``app``.
"""

from screening.cli import dedup, export, pipeline, prisma, rank, rules, screen, search  # noqa: F401
from screening.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
