"""How each record came to be screened at title/abstract: in ranked order, in the random sample, or otherwise.

Why it matters: the hypergeometric stopping rule (docs/ranking.md) reads two things from the
log. Its switch point counts irrelevant records *in a row as the ranking served them*: a
decision made in a `--only no-abstract` session, typed with `decide` or imported from another
tool says nothing about whether the ranking still pays, so it must not lengthen (or break) the
run. And its test reads the *random sample*: a record belongs to it only if it was unscreened
when the sample drew it, so a colleague's earlier decision on it keeps it out, whatever
session a later decision on it came from.

Both are settled by the record's **first decision**: its earliest include / exclude / maybe at
title/abstract that still stands in some reviewer's history (an undone decision is none: the
record was unscreened again; a changed mind keeps the first one, since the record was screened
from then on). A session marks how it served each record in the event's payload
(``{"queue": "ranked"}``, ``{"queue": "no-abstract"}``, ``{"queue": "added"}``, ``{"queue": "sample",
"sampled": true}``);
an import may mark a row ``{"sampled": true}`` (its ``sampled`` column).

Events logged before the ``queue`` marker existed count as ranked when they carry a ranking id
and neither a sample mark nor an import key. Why: since 0.3.x only `screen` sessions write a
ranking id (`decide`, imports and adjudication write none), so this tells a session's decision
from a typed or imported one without guessing; a decision older than that (when `decide` wrote
the table's ranking id too) counts as ranked, as every decision then did, so such a log's
figures do not move. A `--only` session of that era cannot be told from a ranked one: its
decisions still count as ranked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from screening.decisions.entries import event_payload, replay_undos

QUEUE = "queue"          # payload key: which queue of a `screen` session served the record
RANKED = "ranked"        # a title/abstract session in ranked order (no subset, no sample)
SAMPLE = "sample"        # a `screen --sample` session (also marked "sampled": true, as before)


def session_marker(*, sample: bool, only: str | None) -> dict[str, Any]:
    """What a title/abstract `screen` session writes into each decision's payload."""
    if sample:
        return {QUEUE: SAMPLE, "sampled": True}
    return {QUEUE: only if only else RANKED}


def is_sampled(payload: dict[str, Any]) -> bool:
    return payload.get("sampled") is True


def is_ranked(payload: dict[str, Any], ranking_id: str) -> bool:
    """Whether a decision was made on a record served in ranked order (see the module docstring
    for events logged before the ``queue`` marker)."""
    if QUEUE in payload:
        return payload[QUEUE] == RANKED
    return bool(ranking_id) and not is_sampled(payload) and "import" not in payload


@dataclass(frozen=True)
class FirstDecision:
    """A record's first decision at title/abstract (still in someone's history) and how it was made."""

    record_id: str
    event_id: int
    reviewer: str
    sampled: bool            # made in the random sample (a `--sample` session, or an import row marked so)
    ranked: bool             # made on a record a ranked `screen` session served


def first_decisions(entries: pd.DataFrame, stage: str = "title_abstract") -> dict[str, FirstDecision]:
    """record_id -> its :class:`FirstDecision` at ``stage`` (records nobody has decided are absent)."""
    if not len(entries):
        return {}
    sub = entries[entries["stage"] == stage]
    payloads = sub["payload"].fillna("").astype(str) if "payload" in sub.columns else pd.Series("", index=sub.index)
    ids, rids, reviewers = sub["id"].tolist(), sub["record_id"].astype(str).tolist(), sub["reviewer"].tolist()
    ranking_ids, texts = sub["ranking_id"].fillna("").astype(str).tolist(), payloads.tolist()
    # undos replayed as for standing decisions (entries.replay_undos); the earliest survivor of
    # any reviewer's history is the record's first decision, not the latest as there
    stacks = replay_undos(zip(zip(rids, reviewers, sub["role"].tolist()), sub["action"].tolist()))
    first: dict[str, int] = {}          # record -> position in sub of its first decision
    for (rid, _, _), stack in stacks.items():
        if stack and (rid not in first or int(ids[stack[0]]) < int(ids[first[rid]])):
            first[rid] = stack[0]
    out = {}
    for rid, pos in first.items():
        payload = event_payload(texts[pos])
        out[rid] = FirstDecision(rid, int(ids[pos]), reviewers[pos], is_sampled(payload),
                                 is_ranked(payload, ranking_ids[pos]))
    return out


def prior_records(config: Any) -> frozenset[str]:
    """The rank section's prior records: known to the team before screening, so never part of
    the random sample (the test would count a known relevant record as a random find)."""
    rank = getattr(config, "stages", {}).get("rank")
    return frozenset(str(r) for r in (*getattr(rank, "prior_included", ()), *getattr(rank, "prior_excluded", ())))
