"""What a front end renders of a screening session: :class:`SessionView`, one screen's worth of
state, built by :meth:`screening.decisions.session.ScreeningSession.view`. Apart from the session's
rules: it is the contract between the state machine and whatever draws it (:mod:`screening.cli.screen`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SessionView:
    """Everything the terminal needs to draw one screen."""

    state: str                        # 'record', 'reason', 'note', 'attach', 'link', 'done'
    record: dict[str, Any] | None
    stage: str
    reviewer: str
    decided: int                      # records this reviewer has a standing decision on
    remaining: int                    # records left in this reviewer's queue
    total: int                        # records to screen at this stage
    message: str = ""                 # what the last key did (drawn above the record)
    # what the key just pressed did wrong, about the prompt still open: drawn beside the prompt,
    # since above the record a long abstract scrolls it out of sight
    hint: str = ""
    reasons: tuple[str, ...] = ()
    reason_required: bool = False
    keys: dict[str, str] = field(default_factory=dict)
    stopping: dict[str, Any] | None = None
    subset: str | None = None         # the named subset the session is limited to, if any
    open_elsewhere: int = 0           # with an empty queue: records still open for other reviewers
    sample: bool = False              # a random-sample session for the stopping test
    # full text: the other reports of the record's study, by the links this reviewer may see,
    # and the record's own link ("" if it is in the study only through other records' links)
    study: tuple[str, ...] = ()
    study_link: str = ""
    stopped: str = ""                 # while a logged stop stands: who stopped, when, how to reopen
    warnings: tuple[str, ...] = ()    # what the last key did that the reviewer must hear of, as `decide` warns
