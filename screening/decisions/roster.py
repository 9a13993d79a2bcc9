"""Who may record decisions and who may adjudicate: the people a review declares.

Why: the log accepts any reviewer name, so a typo (``-r alcie``) silently becomes a new
screener whose decision reopens a record others agreed on, and an export that spells names
differently (Rayyan's "Alice") splits one person in two. When a review declares
``[screening] reviewers = [...]`` (and optionally ``adjudicators = [...]``) every name written
to the log is checked against those lists and recorded with the declared spelling. Names match
exactly, else ignoring case and surrounding spaces — but only when that match is unambiguous.

Screening decisions are the declared reviewers' only: someone declared only as an adjudicator
who made one would be a party to the conflict it started, and could not settle it
(:meth:`Roster.decider`).

Without a declared ``reviewers`` list any name is accepted as given (reviews written before
the check keep working); without ``adjudicators`` anyone may adjudicate. In every case nobody
adjudicates a conflict they took part in: adjudication is the independent tie-breaker.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping

from screening.config import ReviewConfig
from screening.errors import DecisionError


class UnknownReviewerError(DecisionError):
    """A reviewer name the review's ``[screening] reviewers`` / ``adjudicators`` do not declare."""


class AdjudicationNotAllowed(DecisionError):
    """An adjudication by someone who may not settle this conflict."""


class ScreeningNotAllowed(DecisionError):
    """A screener's decision by someone the review declares only as an adjudicator."""


def _clean(name: str) -> str:
    """A name as recorded: trimmed, in Unicode NFC. A name typed on macOS arrives decomposed
    ('e' + combining accent): it was refused as unknown beside a declared name that looks
    identical, and without a roster it was recorded as a second person."""
    return unicodedata.normalize("NFC", name.strip())


def _key(name: str) -> str:
    return _clean(name).casefold()


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names)


@dataclass(frozen=True)
class Roster:
    reviewers: tuple[str, ...] = ()
    adjudicators: tuple[str, ...] = ()
    toml: str = "the review TOML"       # named in hints: where to add a person

    @classmethod
    def of(cls, config: ReviewConfig) -> "Roster":
        s = config.screening
        return cls(tuple(s.reviewers), tuple(s.adjudicators), str(config.path))

    @property
    def declared(self) -> bool:
        """Whether names are checked at all (a ``reviewers`` list is declared)."""
        return bool(self.reviewers)

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone who may screen: the reviewers, then adjudicators not also reviewers."""
        return self.reviewers + tuple(a for a in self.adjudicators if a not in self.reviewers)

    @staticmethod
    def match(name: str, among: Iterable[str]) -> str | None:
        """The declared spelling of ``name`` in ``among``: exact, else the one name equal
        ignoring case and spaces (None if none, or several, so nobody is guessed)."""
        among = tuple(among)
        name = _clean(name)
        if name in among:
            return name
        found = [n for n in among if _key(n) == _key(name)]
        return found[0] if len(found) == 1 else None

    def describe(self) -> str:
        adj = f" (adjudicators: {', '.join(self.adjudicators)})" if self.adjudicators else ""
        return f"This review's reviewers are {', '.join(self.reviewers)}{adj}"

    def _unknown_hint(self, names: list[str]) -> str:
        keys = {_key(p): p for p in self.people}
        guesses = []
        for n in names:
            close = difflib.get_close_matches(_key(n), list(keys), n=1, cutoff=0.6)
            if not close:       # a first name alone ('José' for 'José Ñúñez'), if it names one person
                close = [k for k in keys if k.split()[:1] == _key(n).split()[:1] and _key(n)][:2]
                close = close if len(close) == 1 else []
            if close:
                guesses.append(f"did you mean {keys[close[0]]!r}" + (f" for {n!r}" if len(names) > 1 else "") + "?")
        return " ".join(guesses + [f"{self.describe()}; to add someone, add the name to "
                                   f"[screening] reviewers = [...] in {self.toml}"])

    # -- screeners ---------------------------------------------------------------------------

    def screener(self, name: str, *, record: str | None = None) -> str:
        """The name to record for a screener event by ``name``; raise if undeclared."""
        name = _clean(name)
        if not name:
            raise DecisionError("a reviewer name is required", record=record, hint="pass --reviewer NAME")
        found = self._resolve(name)
        if found is None:
            raise UnknownReviewerError(f"unknown reviewer {name!r}", record=record, hint=self._unknown_hint([name]))
        return found

    def is_screener(self, name: str) -> bool:
        """Whether ``name`` (as recorded) may make screening decisions: anyone when no
        ``reviewers`` list is declared, else the declared reviewers only."""
        return not self.declared or self.match(name, self.reviewers) is not None

    def decider(self, name: str, *, record: str | None = None) -> str:
        """The name to record for a screener's *decision* (include, exclude, maybe, not
        retrieved) by ``name``: as :meth:`screener`, and refused for someone declared only as an
        adjudicator. Their decision would make them a party to any conflict it starts, and
        nobody adjudicates a conflict they took part in, so with no other adjudicator the
        conflict could never be settled. Notes, attachments and undos stay open to them (an
        adjudicator may annotate, and must be able to withdraw a decision made before this
        check existed)."""
        found = self.screener(name, record=record)
        if not self.is_screener(found):
            raise self.not_a_screener_error([found], record=record)
        return found

    def not_a_screener_error(self, names: list[str], *, record: str | None = None, path: str | None = None,
                             line: int | None = None) -> ScreeningNotAllowed:
        who = ", ".join(names)
        one = len(names) == 1
        return ScreeningNotAllowed(
            f"{who} {'is' if one else 'are'} declared as {'an adjudicator' if one else 'adjudicators'}, "
            f"not {'a reviewer' if one else 'reviewers'}, so may not record screening decisions",
            record=record, path=path, line=line,
            hint=f"settle conflicts with `screening adjudicate REVIEW -r {names[0]}`; to screen as well, add "
                 f"{'the name' if one else 'the names'} to [screening] reviewers = [...] in {self.toml} "
                 "(conflicts they then take part in need another adjudicator)")

    def _resolve(self, name: str) -> str | None:
        """The recorded spelling of a screener's name (any name when none are declared)."""
        return _clean(name) if not self.declared else self.match(name, self.people)

    def screeners(self, names: Iterable[str]) -> tuple[dict[str, str], list[str]]:
        """Resolve many names at once (an import): ({given: recorded}, [unknown names])."""
        known: dict[str, str] = {}
        unknown: list[str] = []
        for n in dict.fromkeys(names):
            found = self._resolve(n)
            if found:
                known[n] = found
            else:
                unknown.append(n)
        return known, unknown

    def unknown_error(self, names: list[str], *, path: str | None = None, line: int | None = None,
                      lines: Mapping[str, int] | None = None) -> UnknownReviewerError:
        """``lines``: a file's first line naming each (the error's ``line`` is the first of them;
        with several names each one's own line is said, so nobody is sent to the wrong row)."""
        what = f"unknown reviewer {names[0]!r}" if len(names) == 1 else f"unknown reviewers {_quoted(names)}"
        if lines and len(names) > 1:
            what += " (" + ", ".join(f"{n!r} first on line {lines[n]}" for n in names if n in lines) + ")"
        return UnknownReviewerError(what, path=path, line=line, hint=self._unknown_hint(names))

    def outside_name(self, name: str) -> str:
        """A name for work outside screening (deciding duplicate pairs), which may be done by
        someone not on the screening team (an information specialist): a declared person's
        spelling when it matches ignoring case, a one-letter slip from a declared name of five
        letters or more refused as a typo, any other name accepted as given."""
        name = _clean(name)
        if not self.declared or not name:
            return name
        found = self.match(name, self.people)
        if found is not None:
            return found
        # a typo is one slip (a letter added, dropped, changed or two swapped) in a name long
        # enough for that to be unlikely by chance: 'alcie' for alice is refused, while 'bo',
        # 'Bobby', 'eve' (steve) or 'anna' (ann) are other people
        from rapidfuzz.distance import DamerauLevenshtein

        key = _key(name)
        if len(key) >= 5 and any(len(_key(p)) >= 5 and DamerauLevenshtein.distance(key, _key(p)) == 1
                                 for p in self.people):
            raise self.unknown_error([name])
        return name

    # -- adjudicators ------------------------------------------------------------------------

    def is_adjudicator(self, name: str | None) -> bool:
        return bool(name) and self.match(name or "", self.adjudicators) is not None

    def adjudicator(self, name: str, *, record: str | None = None) -> str:
        """The name to record for an adjudication by ``name``; raise if adjudicators are
        declared and ``name`` is not one of them."""
        name = _clean(name)
        if not name:
            raise DecisionError("an adjudicator name is required", record=record, hint="pass --reviewer NAME")
        if not self.adjudicators:
            return self.viewer_name(name) or name
        found = self.match(name, self.adjudicators)
        if found is None:
            raise AdjudicationNotAllowed(
                f"{name} may not adjudicate: this review's adjudicators are {', '.join(self.adjudicators)}",
                record=record,
                hint=f"adjudicate as one of them, or add the name to [screening] adjudicators in {self.toml}")
        return found

    @staticmethod
    def is_party(name: str, parties: Iterable[str]) -> bool:
        """Whether ``name`` is one of ``parties`` (a conflict's reviewers), spelling aside."""
        return any(_key(p) == _key(name) for p in parties)

    @staticmethod
    def check_not_party(name: str, parties: Iterable[str], *, record: str) -> None:
        """Refuse ``name`` adjudicating a conflict they are one side of."""
        parties = tuple(parties)
        if Roster.is_party(name, parties):
            raise AdjudicationNotAllowed(
                f"{name} took part in this conflict ({', '.join(parties)}) and may not adjudicate it",
                record=record, hint="another adjudicator must settle it (see `screening conflicts REVIEW --reviewer ADJUDICATOR`)")

    def check_viewer(self, name: str | None, as_adjudicator: bool = False) -> None:
        """Refuse viewing as a name nobody declared, when the review says who everyone is.

        Viewing is blinded, so an unknown name is not a leak; but ``status -r alcie`` would
        quietly show an outsider's empty view, as if alice had decided nothing. The unblinded
        view (``--as-adjudicator``) needs a declared adjudicator's name when the review declares
        any; without declared adjudicators anyone may adjudicate, so it accepts any name.
        """
        if as_adjudicator and self.adjudicators:
            # the unblinded view is the adjudicators' (declared), not anyone's for the asking
            if not name or not name.strip():
                raise AdjudicationNotAllowed(
                    "--as-adjudicator needs your name (--reviewer NAME): this review declares its adjudicators",
                    hint=f"adjudicators: {', '.join(self.adjudicators)}")
            if not self.is_adjudicator(name):
                raise AdjudicationNotAllowed(
                    f"{name.strip()} is not an adjudicator of this review, so sees the blinded view",
                    hint=f"adjudicators: {', '.join(self.adjudicators)}; leave out --as-adjudicator")
            return
        if not name or not name.strip() or not self.declared:
            return
        if self.match(name, self.people) is not None:
            return
        if as_adjudicator and not self.adjudicators:
            return
        raise self.unknown_error([name.strip()])

    def viewer_name(self, name: str | None) -> str | None:
        """The recorded spelling of a viewer's name when it matches a declared person (so
        ``--reviewer Alice`` sees alice's records); otherwise the name as given."""
        if not name:
            return name
        return self.match(name, self.people) or _clean(name)
