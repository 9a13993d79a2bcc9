"""The ``screening`` console command: :func:`screening.cli.main`, with Ctrl-C caught from the
very start. Importing the CLI loads pandas and scikit-learn (most of a second), and an
interrupt then would otherwise end in a traceback; inside a command, the CLI's own guard
says the same thing (screening.cli._app)."""

from __future__ import annotations

import sys

INTERRUPTED = ("interrupted: nothing half-written (outputs and decisions are saved whole or not at all); "
               "run the command again to go on")


def main() -> None:
    try:
        from screening.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(130)
