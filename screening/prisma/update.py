"""PRISMA 2020's flow for updated reviews: the latest search round is the flow, the earlier
rounds are the previous version (``[prisma] flow = "update"``).

Which records belong to the previous version is read from the data, never typed: the review's
search rounds (:mod:`screening.prisma.searches`) date every record. Records of every round but
the latest are the previous version's; the studies with one of them included at full text are
*studies included in previous version of review*. The flow's boxes cover the latest round's
records: one whose study the previous version included, or screened while nobody has decided
on this copy in the update, is a *duplicate removed* (found again); the rest go through
screening as in a new review, and
*total studies included* = previous + new. Whatever of the previous version is unsettled makes
its count and the total "so far".

The previous version's reports are its included records (copies of one record in several
databases are one report); its studies are those reports grouped by the team's study links
(:mod:`screening.decisions.studies`). An update record linked to a previous study is a new
report of it, not a new study.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import pandas as pd

from screening.decisions.studies import study_of
from screening.dedup.contributions import record_studies
from screening.errors import ReportError
from screening.prisma.counts import NOT_RECORDED
from screening.record_marks import in_play, marks, other_method_reports

FOUND_BEFORE = "found by an earlier search (previous version)"


@dataclass(frozen=True)
class UpdateFlow:
    """The records the update's flow counts, and what the previous version contributes."""

    records: pd.DataFrame          # the latest round's records; those found again marked duplicate_of
    previous_studies: int          # studies with an earlier round's copy included at full text
    previous_reports: int          # those studies' reports (included earlier records, one per duplicate set)
    previous_ids: tuple[str, ...]  # the included earlier records (their studies are the previous version's)
    previous_pending: int          # the earlier rounds' records still to settle (screening, full text)
    previous_closed: int           # the earlier rounds' records nobody screened, closed by the stopping rule
    latest: str                    # the latest round ('2024-05-01', or '2024-05-01 to 2024-05-09')
    earlier: tuple[str, ...]       # the earlier rounds, oldest first
    rule_reasons: dict[str, int] | None   # rule exclusions of the flow's records per counted reason


def _finals(frame: pd.DataFrame | None, decision: str) -> set[str]:
    if frame is None or not len(frame):
        return set()
    return set(marks(frame.loc[marks(frame["decision"]).str.lower() == decision, "record_id"]))


def counted_rule_reason(rule_ids: Any, reasons: Any, actions: dict[str, tuple[str, str, str]]) -> str:
    """The reason a rule-excluded record is counted under: its first *exclude* rule's (rules
    fire in protocol order; ``actions``: rule id -> (reason, action, action on missing data))."""
    ids = list(rule_ids) if isinstance(rule_ids, (list, tuple)) or hasattr(rule_ids, "tolist") else []
    texts = list(reasons) if isinstance(reasons, (list, tuple)) or hasattr(reasons, "tolist") else []
    for rid, text in zip(ids, texts):
        reason, action, on_missing = actions.get(str(rid), ("", "", ""))
        if (action if str(text) == reason else on_missing) == "exclude":
            return str(text)
    return str(texts[0]) if texts else ""


def _previous_studies(ids: tuple[str, ...], copies: list[str], links: Mapping[str, str]) -> int:
    """Studies among the previous version's included records: copies of one record (``copies``:
    each record's duplicate set) are one report, and linked reports one study. Only links
    between two of these records count: the box is the previous version's, which links
    through the update's records must not rewrite."""
    inside = set(ids)
    among = [(a, b) for a, b in links.items() if a in inside and b in inside]
    if not among:
        return len(set(copies))
    first: dict[str, str] = {}
    same_copy = [(rid, first.setdefault(copy, rid)) for rid, copy in zip(ids, copies)]
    group = study_of([*among, *same_copy], ids)
    return len({group[r] for r in ids})


def update_flow(records: pd.DataFrame, rounds: pd.Series, ta_finals: pd.DataFrame | None,
                ft_finals: pd.DataFrame | None, rules: Iterable[Any] = (), *,
                ta_open: Iterable[str] = (), stopped: bool = False, stop_scope: frozenset[str] | None = None,
                unreadable: Iterable[str] = (),
                study_links: Mapping[str, str] | None = None) -> UpdateFlow:
    """Split the review at its latest search round (``rounds``: each record's round label,
    aligned with ``records``, sorting by date). ``rules``: the review's inclusion rules, to count
    the flow's rule exclusions under the reason the rules stage counts them; ``ta_open`` and
    ``stopped`` and ``stop_scope`` as for :func:`.compute_counts` (to tell whether the previous version is settled);
    ``unreadable``: the sources whose date could not be read, for the error that names them;
    ``study_links``: the team's report-to-study links, to count the previous version's studies."""
    labels = rounds.reindex(records.index).fillna("").astype(str)
    undated = int((labels == "").sum())
    if undated:
        which = list(unreadable)
        named = (f" ({'; '.join(which[:3])}{' ...' if len(which) > 3 else ''})" if which else "")
        raise ReportError(f'[prisma] flow = "update" needs every record\'s search date; {undated} records have '
                          f"none{named}",
                          hint="give every [[sources]] date_searched as YYYY-MM-DD (the update's and the "
                               "original search's); 01/05/2024, May 2024 or 2024 are not read")
    order = sorted(set(labels))
    if len(order) < 2:
        raise ReportError('[prisma] flow = "update" needs an original search and an update: every search of '
                          f"this review is from one round ({order[0] if order else 'none'})",
                          hint='searches more than 30 days apart make rounds; or set [prisma] flow = "new"')
    latest = order[-1]
    ids = marks(records["record_id"])
    study, _ = record_studies(records)
    now = (labels == latest).to_numpy()
    ta_final = _finals(ta_finals, "include") | _finals(ta_finals, "exclude")
    decided = ta_final | {str(r) for r in ta_open}        # settled, or decided by someone so far

    # The previous version's studies: those with an earlier copy included at both stages (that
    # copy may be a duplicate now, of an update copy dedup kept). Records a rule or a removal
    # took out of screening do not count, as in the counts.
    undup = records.drop(columns="duplicate_of", errors="ignore")
    counted = in_play(undup).to_numpy()   # duplicates aside
    ft_included = _finals(ft_finals, "include")
    included = _finals(ta_finals, "include") & ft_included
    # an earlier round's other methods (a website, a citation search) found reports that went
    # straight to full text: one included there is a previous-version study too (acceptance
    # testing: one was in no box, and the total undercounted by one study)
    other_before = other_method_reports(undup).to_numpy()
    # an earlier copy counts while in screening, or as the duplicate of an update copy dedup
    # kept; one merged into another earlier copy has stale decisions, which no flow counts
    dup_all = marks(records["duplicate_of"]) if "duplicate_of" in records.columns else \
        pd.Series("", index=records.index, dtype=object)
    kept_now = set(study[now & (dup_all == "").to_numpy()])
    current = (dup_all == "").to_numpy() | study.isin(kept_now).to_numpy()
    before_mask = ~now & current & ((counted & ids.isin(included).to_numpy())
                                    | (other_before & ids.isin(ft_included).to_numpy()))
    included_before = set(study[before_mask])
    previous_ids = tuple(ids[before_mask])
    previous_studies = _previous_studies(previous_ids, list(study[before_mask]), study_links or {})
    # The update's copy of such a study is found again, not new; so is its copy of a study the
    # previous version screened and nobody has decided on in the update. Dedup has usually made
    # it the earlier copy's duplicate already; this catches the update's copy dedup kept. A
    # study the previous version excluded or never screened, decided on in the update, is the
    # update's: a new study if included.
    screened_before = set(study[~now & ids.isin(decided).to_numpy()])
    flow = records[now].copy()
    dup = dup_all[now]
    again = ((study[now].isin(included_before) | (study[now].isin(screened_before) & ~ids[now].isin(decided)))
             & (dup == "")).to_numpy()
    first_screened: dict[str, str] = {}      # the copy found and screened before
    for s_, rid in zip(study[~now], ids[~now]):
        if rid in decided:
            first_screened.setdefault(s_, rid)
    flow["duplicate_of"] = dup.where(~again, study[now].map(first_screened))
    if again.any() and "dup_rule" in flow.columns:
        flow["dup_rule"] = marks(flow["dup_rule"]).where(~again, FOUND_BEFORE)

    # the previous version: the earlier searches' records in screening, and how far they got
    play_before = set(ids[in_play(records).to_numpy() & ~now])
    ta_include = _finals(ta_finals, "include") & play_before
    ft_done = ft_included | _finals(ft_finals, "exclude") | _finals(ft_finals, "not_retrieved")
    unscreened = play_before - ta_final
    closable = unscreened - set(ta_open)
    closed = len(closable if stop_scope is None else closable & stop_scope) if stopped else 0  # by the stopping rule
    # with the earlier rounds' other-method reports still to assess at full text
    other_open = set(ids[other_before & ~now & (dup_all == "").to_numpy()]) - ft_done
    pending = len(unscreened) - closed + len(ta_include - ft_done) + len(other_open)

    # The flow's rule exclusions per reason: the counts read each record's ``rule_reason`` (the
    # rules stage's own choice) when the table has it; an older table's are re-derived from
    # the review's rules
    reasons = None
    excluded = flow[(marks(flow["duplicate_of"]) == "")
                    & (marks(flow.get("rule_decision", pd.Series("", index=flow.index))).str.lower() == "exclude")]
    stored = marks(excluded["rule_reason"]) if "rule_reason" in excluded.columns else None
    actions = {str(r.id): (str(r.reason), str(r.action), str(r.missing)) for r in rules}
    if (stored is None or (stored == "").any()) and actions and {"rule_ids", "rule_reasons"} <= set(flow.columns):
        why = [counted_rule_reason(i, t, actions) or NOT_RECORDED
               for i, t in zip(excluded["rule_ids"], excluded["rule_reasons"])]
        reasons = {k: int(v) for k, v in pd.Series(why, dtype=object).value_counts().items()} if why else {}
    return UpdateFlow(records=flow, previous_studies=previous_studies, previous_reports=len(included_before),
                      previous_ids=previous_ids, previous_pending=pending,
                      previous_closed=closed, latest=latest, earlier=tuple(order[:-1]), rule_reasons=reasons)
