"""One exception tree for everything the tool reports to people.

Every error carries enough to act on: which file, which line or record, and what to do.
The CLI maps each class to an exit code; nothing else should need to catch them.
"""

from __future__ import annotations

from pathlib import Path


class ScreeningError(Exception):
    """Base class. ``str(err)`` is a one-line message fit for a terminal."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        record: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.record = record
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        rec = f" (record {self.record})" if self.record else ""
        hint = f" — {self.hint}" if self.hint else ""
        return f"{where}{self.message}{rec}{hint}"


class InputError(ScreeningError):
    """A file we were asked to read is unusable (unknown format, junk, truncated, empty)."""

    exit_code = 2


class EncodingFallbackWarning(UserWarning):
    """Bytes were not valid UTF-8 and a fallback encoding was used (always reported)."""


class RecordCountMismatch(InputError):
    """A reader parsed a different number of records than the file's own markers declare."""


class SchemaError(ScreeningError):
    """A records table does not match the declared schema."""

    exit_code = 3


class ConfigError(ScreeningError):
    """A review TOML (or a rule in it) is invalid."""

    exit_code = 4


class RuleError(ConfigError):
    """An inclusion rule is invalid: bad field, bad query syntax, unknown key."""


class StageError(ScreeningError):
    """A stage could not run on the records it was given."""

    exit_code = 5


class NotRunError(StageError):
    """A command needs a stage's output that does not exist yet (run the review first).

    Not an InputError: no file the user gave is wrong; the review is just not that far yet.
    """


class DecisionError(ScreeningError):
    """A screening decision is invalid (unknown record, missing reason, blinding...)."""

    exit_code = 6


class SearchError(ScreeningError):
    """A database search over HTTP failed (network, malformed response, limits)."""

    exit_code = 7


class ReportError(ScreeningError):
    """PRISMA counts violate an invariant or a report cannot be produced."""

    exit_code = 8
