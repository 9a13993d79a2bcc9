"""Dual-screening plans: which records need two independent decisions.

Why a plan at all: many reviews dual-screen everything; others dual-screen a random
calibration sample (e.g. 20%) and single-screen the rest. The plan is stored in the log as
one 'assign' event per record, so it is part of the audit trail and the finals rule
("both assigned reviewers must agree") can be derived from the log alone.

The sample is reproducible: the same candidate list, fraction and seed always select the
same records, and the events get deterministic ids, so re-running the same ``assign`` is a
no-op instead of a duplicate. A sample also records the candidates it left out, as 'assign'
events naming no reviewers (single screening): a later ``assign`` (after a search update)
then knows which records were already considered and samples only the new ones.

A reviewer who leaves is replaced on the records the plan still waits on them for by one more
'assign' event per record (:func:`handover_event`), the same plan with the newcomer in their
place: the log keeps both, and the latest plan of a record wins.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
import uuid
from typing import Sequence

from screening.decisions.store import Event
from screening.errors import DecisionError

_NAMESPACE = uuid.UUID("8d3c6f4e-4b7a-4d0e-9a53-5c1f2e7b9a10")


def parse_reviewers(text: str | Sequence[str]) -> tuple[str, ...]:
    # NFC, as the roster records names (a decomposed 'José' is the same person)
    names = [unicodedata.normalize("NFC", n.strip()) for n in (text.split(",") if isinstance(text, str) else text)]
    names = [n for n in names if n]
    if len(names) < 2 or len(set(names)) != len(names):
        raise DecisionError("dual screening needs at least two distinct reviewers",
                            hint="pass --reviewers alice,bob")
    return tuple(names)


def select_records(candidates: Sequence[str], fraction: float, seed: int) -> list[str]:
    """The records to dual-screen: all (fraction 1) or a seeded random sample, in input order."""
    if not 0 < fraction <= 1:
        raise DecisionError(f"fraction must be in (0, 1], got {fraction}",
                            hint="e.g. --fraction 0.2 for a 20% calibration sample")
    if fraction >= 1:
        return list(candidates)
    k = max(1, round(fraction * len(candidates))) if candidates else 0
    chosen = set(random.Random(seed).sample(list(candidates), k))
    return [rid for rid in candidates if rid in chosen]


def plan_events(candidates: Sequence[str], reviewers: Sequence[str], *, stage: str,
                fraction: float, seed: int, by: str = "plan", is_demo: bool = False) -> list[Event]:
    """One 'assign' event per candidate, with deterministic event ids: the selected records
    name the reviewers; the others (a sample's single-screened rest) name none."""
    reviewers = parse_reviewers(reviewers)
    chosen = set(select_records(candidates, fraction, seed))
    key = hashlib.sha256(f"{stage}|{','.join(reviewers)}|{fraction}|{seed}|{len(candidates)}".encode()).hexdigest()[:16]
    dual = {"reviewers": list(reviewers), "fraction": fraction, "seed": seed, "plan": key}
    single = {"reviewers": [], "fraction": fraction, "seed": seed, "plan": key}
    return [
        Event(record_id=rid, stage=stage, reviewer=by, action="assign", payload=dual if rid in chosen else single,
              is_demo=is_demo, event_uuid=str(uuid.uuid5(_NAMESPACE, f"{key}|{rid}")))
        for rid in candidates
    ]


def handover_event(record_id: str, plan: dict[str, object], plan_event: int, departing: str, newcomer: str, *,
                   stage: str, by: str = "plan", is_demo: bool = False) -> Event:
    """The 'assign' event that hands ``record_id`` from ``departing`` to ``newcomer``: the
    record's latest plan (``plan``, the payload of event ``plan_event``) with ``newcomer`` in
    ``departing``'s place, and ``replaced`` saying so. Its id is deterministic, so asking for the
    same hand-over of the same plan again writes nothing."""
    reviewers = [newcomer if n == departing else n for n in plan.get("reviewers", ())]  # type: ignore[union-attr]
    payload = {**plan, "reviewers": reviewers, "replaced": {"reviewer": departing, "by": newcomer}}
    return Event(record_id=record_id, stage=stage, reviewer=by, action="assign", payload=payload, is_demo=is_demo,
                 event_uuid=str(uuid.uuid5(_NAMESPACE, f"replace|{stage}|{plan_event}|{departing}|{newcomer}|{record_id}")))
