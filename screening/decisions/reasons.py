"""Exclusion reasons as people read them: one key and one spelling wherever reasons meet.

The review TOML declares its reasons (``[screening] reasons``, ``title_abstract_reasons``)
and each exclusion records one. A reason can still reach the log in more than one spelling:
a team re-capitalises its list mid-review ("no impact outcomes" -> "No impact outcomes"),
or the log predates the rule that stores the declared spelling. The log is append-only and
keeps every spelling as it was recorded. Every view that compares or groups reasons reads
them through this module, so that PRISMA's "Reports excluded" box, the methods paragraph,
prisma.json/csv, ``export``, the conflict rule and the declaration warnings all count one
reason once, under one spelling:

* :func:`reason_key`: what the spellings of one reason share (case, spacing and Unicode
  normalisation ignored);
* :func:`declared_reason`: the declared spelling a typed reason stands for. Recording stores
  that spelling;
* :class:`ReasonNames`: the spelling each reason is counted under. That is the declared
  spelling when a declared reason matches. Otherwise it is the spelling most of the counted
  exclusions use; on a tie, the one recorded latest;
* :func:`stage_reason_names`: the names for one stage of a review, worked out over its settled
  decisions. PRISMA, ``export`` and the warnings call it alike.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Collection, Iterable, Mapping

import pandas as pd

if TYPE_CHECKING:       # outcomes.py imports reason_key from here
    from screening.config import ReviewConfig
    from screening.decisions.outcomes import Outcome


def _text(reason: Any) -> str:
    """A recorded reason as text ('' for none: None, or a table's NaN)."""
    return "" if reason is None or (isinstance(reason, float) and reason != reason) else str(reason).strip()


def reason_key(text: Any) -> str:
    """What two spellings of one reason share: the words, case, spacing and Unicode
    normalisation ignored. NFC as for reviewer names (:mod:`.roster`): a reason typed on macOS
    arrives decomposed ('u' + combining diaeresis) and was refused beside a declared reason
    that looks identical."""
    return unicodedata.normalize("NFC", " ".join(_text(text).split()).casefold())


def same_reason(a: Any, b: Any) -> bool:
    """Whether two recorded reasons are one reason as people read them."""
    return reason_key(a) == reason_key(b)


def declared_reason(text: str, declared: Iterable[str]) -> str:
    """The declared spelling of ``text``: ``text`` itself when it is declared as typed, else the
    first declared reason it matches with case, spacing and Unicode normalisation ignored; ''
    when none matches."""
    text = str(text).strip()
    listed = [str(d).strip() for d in declared]
    if text in listed:
        return text
    key = reason_key(text)
    return next((d for d in listed if key and reason_key(d) == key), "")


def stage_reasons(config: ReviewConfig, stage: str) -> tuple[str, ...]:
    """The reasons the review declares for ``stage``: ``title_abstract_reasons`` at
    title/abstract when given, else ``reasons`` (which the reason picker offers there too)."""
    s = config.screening
    if stage == "title_abstract" and s.title_abstract_reasons:
        return tuple(s.title_abstract_reasons)
    return tuple(s.reasons)


@dataclass(frozen=True)
class ReasonNames:
    """The spelling each reason is counted under (by :func:`reason_key`). Calling it on a
    recorded reason gives that spelling. A reason it does not know is returned as recorded."""

    spelling: Mapping[str, str] = field(default_factory=dict)      # key -> the spelling counted
    declared: frozenset[str] = frozenset()                          # keys a declared reason has
    # (spelling as recorded, exclusions, the spelling counted) where the two differ
    respelled: tuple[tuple[str, int, str], ...] = ()

    @classmethod
    def of(cls, used: Iterable[str], declared: Iterable[str] = ()) -> ReasonNames:
        """``used``: the reasons of the exclusions counted, one per exclusion, oldest first.
        ``declared``: the reasons the TOML declares now (the first wins among those that
        differ only in case)."""
        counts: dict[str, Counter[str]] = {}
        last: dict[str, int] = {}
        for pos, text in enumerate(used):
            text = _text(text)
            if not text:
                continue
            counts.setdefault(reason_key(text), Counter())[text] += 1
            last[text] = pos
        spelling = {k: max(c, key=lambda s, c=c: (c[s], last[s])) for k, c in counts.items()}
        keys = set()
        for d in declared:
            k = reason_key(d)
            if k and k not in keys:
                keys.add(k)
                spelling[k] = str(d).strip()
        respelled = sorted(((text, n, spelling[k]) for k, c in counts.items() for text, n in c.items()
                            if text != spelling[k]), key=lambda x: (-x[1], x[0]))
        return cls(spelling, frozenset(keys), tuple(respelled))

    def __call__(self, reason: Any) -> str:
        text = _text(reason)
        return self.spelling.get(reason_key(text), text) if text else ""

    def is_declared(self, reason: Any) -> bool:
        return reason_key(reason) in self.declared

    def rename(self, finals: pd.DataFrame | None) -> pd.DataFrame | None:
        """``finals`` (a :func:`.outcomes.final_decisions` frame) with each reason under the
        spelling it is counted under. This is a derived view; the log is not changed."""
        if finals is None or "reason" not in finals.columns or not len(finals):
            return finals
        out = finals.copy()
        out["reason"] = [self(r) for r in out["reason"]]
        return out


def counted_reasons(finals: pd.DataFrame | None, outcomes: Mapping[str, Outcome] | None = None) -> list[str]:
    """The reasons of the settled exclusions in ``finals`` (:func:`.outcomes.final_decisions`),
    one per exclusion, oldest first. Each is ordered by the event that recorded the reason
    (the adjudication, else the first screener who gave it; ``outcomes`` is the stage's
    :func:`.outcomes.record_outcomes`). Rows whose outcome is unknown keep their row order."""
    if finals is None or not len(finals) or "reason" not in finals.columns:
        return []
    excluded = finals[finals["decision"].astype(str) == "exclude"]
    keyed = []
    for pos, (rid, reason) in enumerate(zip(excluded["record_id"].astype(str), excluded["reason"])):
        text = _text(reason)
        if not text:
            continue
        keyed.append((_recorded_at((outcomes or {}).get(rid), text), pos, text))
    return [text for _, _, text in sorted(keyed)]


def _recorded_at(outcome: Outcome | None, reason: str) -> int:
    if outcome is None:
        return -1
    if outcome.adjudicator is not None and outcome.resolved_by == "adjudication":
        return int(outcome.adjudicator.event_id)
    return next((int(s.event_id) for s in outcome.screeners if str(s.reason).strip() == reason), -1)


def stage_reason_names(config: ReviewConfig, stage: str, finals: pd.DataFrame | None,
                       outcomes: Mapping[str, Outcome] | None = None) -> ReasonNames:
    """The spelling each reason is counted under at ``stage``, worked out over the stage's
    settled decisions (``finals``: :func:`.outcomes.final_decisions`; ``outcomes``: the
    stage's record outcomes, which give the order for ties)."""
    return ReasonNames.of(counted_reasons(finals, outcomes), stage_reasons(config, stage))


def log_reason_names(config: ReviewConfig, entries: pd.DataFrame | None, stage: str,
                     outcomes: Mapping[str, Mapping[str, Outcome]] | None = None,
                     other_reports: Collection[str] = ()) -> ReasonNames:
    """:func:`stage_reason_names` over the whole decision log, as the PRISMA report works it
    out: the settled decisions at ``stage`` (at full text, the reports sought only).
    ``outcomes``: :func:`.outcomes.record_outcomes` per stage, when the caller has them."""
    from screening.decisions.outcomes import final_decisions, record_outcomes

    if entries is None or not len(entries):
        return stage_reason_names(config, stage, None)
    known = dict(outcomes or {})
    for st in ({stage, "title_abstract"} - set(known)):
        known[st] = record_outcomes(entries, st)
    return stage_reason_names(config, stage, final_decisions(entries, stage, known, other_reports), known[stage])
