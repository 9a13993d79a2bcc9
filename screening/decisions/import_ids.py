"""Event ids of imported decisions: what makes importing the same rows again append nothing.

Each row gets an event id derived from its *import key* — format, reviewer, record, stage,
decision, reason, the file's timestamp if it has one, and how many identical rows came before
it in the file — so importing the same rows again (the same file, or a later export of the
same tool repeating earlier decisions under another file name) appends nothing. The format is
the source because tools re-export everything decided so far, often under a new file name
("articles (1).csv", dated exports). The note and link events a row adds derive their ids
from its decision's, so a re-import appends each of them once too.

A row whose id is logged while the reviewer's standing decision, made by a later import, says
otherwise (week 1 excluded, week 2 included, week 3's export excluded again) is their word
again, not a repeat: its event id derives from the row's and from the standing decision it
replaces (:func:`restated_event_id`), so each restatement is one event, and importing the same
file twice in a row appends it once.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter

# Import event ids are uuid5(this namespace, import key): see the module docstring.
_IMPORT_NAMESPACE = uuid.UUID("3f0b9c52-6d1e-4a8f-b7c4-1e2d5a9f8c31")


def note_event_id(decision_event_id: str, note: str) -> str:
    """The id of the note event a re-imported row adds to its already logged decision."""
    return str(uuid.uuid5(_IMPORT_NAMESPACE, json.dumps([decision_event_id, "note", note])))


def link_event_id(decision_event_id: str, study: str) -> str:
    """The id of the link_study event an imported row's ``same_study_as`` adds."""
    return str(uuid.uuid5(_IMPORT_NAMESPACE, json.dumps([decision_event_id, "link_study", study])))


def restated_event_id(row_event_id: str, replaces: str) -> str:
    """The id of a row restating a decision an earlier import logged and a later one changed;
    ``replaces`` identifies the standing decision it replaces (see the module docstring)."""
    return str(uuid.uuid5(_IMPORT_NAMESPACE, json.dumps([row_event_id, "restated", replaces])))


def import_event_ids(fmt: str, keys: list[tuple[str, ...]]) -> list[str]:
    """Deterministic event ids for imported rows, one per key (reviewer as recorded, record,
    stage, action, reason, decided_at). The n-th repeat of a key within one file gets its own
    id, so a file where someone includes, excludes and includes again keeps all three events."""
    seen: Counter[tuple[str, ...]] = Counter()
    out = []
    for key in keys:
        n = seen[key]
        seen[key] += 1
        out.append(str(uuid.uuid5(_IMPORT_NAMESPACE, json.dumps([fmt, *key, n]))))
    return out
