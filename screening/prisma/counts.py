"""PRISMA 2020 counts as pure group-bys over the records table and the screening finals.

Every box of the PRISMA 2020 flow (new reviews, databases and registers) is computed here
from plain DataFrames, with no file I/O, so the numbers can be checked by hand in tests and
reproduced by anyone holding the same review state. The result is checked with
:func:`~screening.prisma.model.check_invariants`: each box equals what flows into it minus
what leaves it; a violation is a :class:`~screening.errors.ReportError` naming the boxes and
numbers, never a silently wrong diagram.

Where records go (each record lands in exactly one place):

* ``duplicate_of`` non-empty -> *duplicates removed*;
* else ``rule_decision == "exclude"`` -> *marked ineligible by automation tools (rules)*,
  one reason per record (``rule_reason``, its first *exclude* rule's; tables written before
  that column existed: its first ``rule_reasons`` entry);
* else a non-empty ``removed_reason`` column (optional, team-maintained) -> *removed for
  other reasons*;
* the rest are *records screened* (entering title/abstract screening). Of those, a
  title/abstract final 'exclude' is a human exclusion; records with no decision are either
  *excluded by automation tools (stopping rule)* when the team stopped screening, or leave
  the screening box *in progress*.
* title/abstract 'include' -> *reports sought*; full-text 'not_retrieved' -> *not retrieved*;
  full-text 'exclude' -> *reports excluded* (per reason, spellings that differ only in case
  or spacing counted as one: :mod:`screening.decisions.reasons`); full-text 'include' -> *included*.
* a non-empty ``other_method`` (records citation searching, a website... identified) -> the
  *other methods* column instead: a duplicate is *already identified*, else (unless removed
  for another reason) a *report sought*, then not retrieved / excluded / included at full text
  like the databases' reports. Studies included count both columns' reports.
"""

from __future__ import annotations

from typing import Any, Collection, Iterable, Mapping

import pandas as pd

from screening.decisions.reasons import ReasonNames
from screening.decisions.studies import current_links, study_counts
from screening.dedup.contributions import UNKNOWN_SOURCE
from screening.errors import ReportError
from screening.prisma.model import OtherMethods, PrismaCounts, StageProgress, check_invariants
from screening.record_marks import from_other_method, marks, other_method_reports

NOT_RECORDED = "Reason not recorded"


def _ordered(counts: Mapping[str, int]) -> dict[str, int]:
    return {k: int(v) for k, v in sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))}


def _col(records: pd.DataFrame, name: str, default: Any = "") -> pd.Series:
    if name in records.columns:
        return records[name]
    return pd.Series([default] * len(records), index=records.index, dtype=object)


def _first_reason(value: Any) -> str:
    if isinstance(value, str):
        items = [v.strip() for v in value.split(";") if v.strip()]
    elif value is None or (isinstance(value, float) and value != value):
        items = []
    else:
        items = [str(v).strip() for v in value if str(v).strip()]
    return items[0] if items else NOT_RECORDED


def _reason_counts(values: pd.Series) -> dict[str, int]:
    return _ordered(values.value_counts().to_dict()) if len(values) else {}


def _typed_reason_counts(values: pd.Series) -> dict[str, int]:
    """Counts of reasons a team typed by hand (``removed_reason``): spellings that differ only in
    case or spacing ('Retracted', 'retracted ') are one reason, under its most used spelling
    (:class:`~screening.decisions.reasons.ReasonNames`), rather than several lines of the same box."""
    if not len(values):
        return {}
    texts = list(values.astype(str).str.strip())
    # ReasonNames breaks a tie by the latest use; read backwards, a tie keeps the first in the table
    names = ReasonNames.of(reversed(texts))
    return _ordered(pd.Series([names(t) for t in texts], dtype=object).value_counts().to_dict())


def _finals_map(finals: pd.DataFrame | None, stage: str) -> pd.DataFrame:
    """Validate a final-decisions frame and index it by record_id."""
    cols = ["record_id", "decision", "reason"]
    if finals is None or len(finals) == 0:
        return pd.DataFrame(columns=cols).set_index("record_id")
    missing = [c for c in ("record_id", "decision") if c not in finals.columns]
    if missing:
        raise ReportError(f"{stage} final decisions lack columns {missing}",
                          hint="pass screening.decisions.outcomes.final_decisions(entries, stage)")
    df = finals.copy()
    if "reason" not in df.columns:
        df["reason"] = ""
    df["record_id"] = marks(df["record_id"])
    df["decision"] = marks(df["decision"]).str.lower()
    df["reason"] = marks(df["reason"])
    dup = df["record_id"].duplicated()
    if dup.any():
        raise ReportError(f"{stage}: more than one final decision for a record",
                          record=str(df.loc[dup, "record_id"].iloc[0]),
                          hint="final decisions must be one row per record (use final_decisions())")
    bad = ~df["decision"].isin(["include", "exclude", "not_retrieved"])
    if bad.any():
        row = df.loc[bad].iloc[0]
        raise ReportError(f"{stage}: unknown final decision {row['decision']!r}", record=str(row["record_id"]),
                          hint="decisions are include, exclude or not_retrieved")
    return df[cols].set_index("record_id")


def decisions_on(stage: str, record_ids: Iterable[str], per_record: Mapping[str, int] | None) -> str:
    """'2 title/abstract decisions on 1 record': the finals are one row per record, so the
    decisions behind them are counted from ``per_record`` (each record's standing decisions);
    without it only the records are counted."""
    rids = [str(r) for r in record_ids]
    on = f"{len(rids)} record{'s' if len(rids) != 1 else ''}"
    if per_record is None:
        return f"{stage} decisions on {on}"
    n = sum(max(1, int(per_record.get(r, 1))) for r in rids)    # a final rests on at least one
    return f"{n} {stage} decision{'s' if n != 1 else ''} on {on}"


def compute_counts(
    records: pd.DataFrame,
    ta_finals: pd.DataFrame | None = None,
    ft_finals: pd.DataFrame | None = None,
    *,
    registers: tuple[str, ...] | list[str] = (),
    other_methods: Mapping[str, int] | None = None,
    stopped: bool = False,
    stop_scope: Collection[str] | None = None,
    rule_reason_counts: Mapping[str, int] | None = None,
    ta_open: Iterable[str] = (),
    ft_open: Iterable[str] = (),
    decision_counts: Mapping[str, Mapping[str, int]] | None = None,
    study_links: Mapping[str, str] | None = None,
    known_studies: Iterable[str] = (),
) -> PrismaCounts:
    """Compute every PRISMA 2020 count from the records table and the screening finals.

    ``ta_finals`` / ``ft_finals`` are ``final_decisions(entries, 'title_abstract' |
    'full_text')`` frames (record_id, decision, reason); ``None`` means the stage has not
    started. ``registers`` names the ``source_db`` values that are registers, and
    ``stopped`` says the team stopped title/abstract screening by a stopping rule (so the
    records nobody has screened are automation exclusions rather than work in progress);
    ``stop_scope`` names the records the stop closed (a logged stop: those nobody had screened
    when it was recorded); None closes every record nobody has screened (``[rank] stopped``);
    ``ta_open`` names the records some reviewer decided at title/abstract without the decision
    being settled yet (awaiting a second reviewer or an adjudicator): they stay in screening;
    ``ft_open`` the same at full text (only reports sought count).
    ``rule_reason_counts`` is the rules stage's own per-reason count (``apply_rules.json``
    ``reasons``: each excluded record under its first *exclude* rule); when given it must add up
    to the rule-excluded records of the table and is used instead of the first ``rule_reasons``
    entry (which may name a flag rule). ``decision_counts`` (``{stage: {record_id: n}}``, the
    standing decisions behind each final) lets the warnings count decisions as well as records.
    ``study_links`` (record -> the record of the study it reports, :mod:`.studies`) groups the
    included reports into studies; without it each included report is a study of its own.
    ``known_studies``: records whose study is counted elsewhere (the previous version of an
    updated review), so an included report linked to one adds a report but no new study.
    Pure: the inputs are not modified. The result is checked with :func:`check_invariants`.
    """
    per_stage = decision_counts or {}
    warnings: list[str] = []
    ids = marks(_col(records, "record_id"))
    source = marks(_col(records, "source_db")).where(lambda s: s != "", UNKNOWN_SOURCE)
    by_method = from_other_method(records)     # the other-methods column's records; the rest are searches'
    any_dup = marks(_col(records, "duplicate_of")) != ""
    other_reason = marks(_col(records, "removed_reason"))
    dup_mask = ~by_method & any_dup
    rule_mask = ~by_method & ~dup_mask & (marks(_col(records, "rule_decision")).str.lower() == "exclude")
    other_mask = ~by_method & ~dup_mask & ~rule_mask & (other_reason != "")
    in_play = ~by_method & ~dup_mask & ~rule_mask & ~other_mask
    method_sought = pd.Index(ids[other_method_reports(records)])

    register_set = set(registers)
    per_source = source[~by_method].value_counts().to_dict()
    databases = _ordered({k: v for k, v in per_source.items() if k not in register_set})
    regs = _ordered({k: v for k, v in per_source.items() if k in register_set})
    counted = marks(_col(records, "rule_reason"))[rule_mask]     # the rules stage's own (since 0.7)
    rule_reasons = counted.where(counted != "", _col(records, "rule_reasons", default=None)[rule_mask]
                                 .map(_first_reason))
    if rule_reason_counts is not None:
        given = {str(k): int(v) for k, v in rule_reason_counts.items()}
        if sum(given.values()) != int(rule_mask.sum()):
            raise ReportError(
                f"the rules stage report counts {sum(given.values())} excluded records by reason but the "
                f"records table has {int(rule_mask.sum())} non-duplicate records with rule_decision 'exclude'",
                path="apply_rules.json", hint="the table and apply_rules.json are out of step; re-run `screening run`")
        rule_reason_map = _ordered(given)
    else:
        rule_reason_map = _reason_counts(rule_reasons)

    ta = _finals_map(ta_finals, "title/abstract")
    ft = _finals_map(ft_finals, "full-text")
    play_ids = pd.Index(ids[in_play])
    stray = ta.index.difference(play_ids)
    if len(stray):
        warnings.append(f"{decisions_on('title/abstract', stray, per_stage.get('title_abstract'))} not in "
                        f"screening (duplicates, rule-excluded or unknown ids), e.g. {stray[0]}; not counted")
    ta_play = ta.loc[ta.index.intersection(play_ids, sort=False)]
    if (ta_play["decision"] == "not_retrieved").any():
        rid = ta_play.index[ta_play["decision"] == "not_retrieved"][0]
        raise ReportError("title/abstract decision 'not_retrieved' (retrieval is a full-text outcome)",
                          record=str(rid), hint="record it as a full-text decision instead")
    ta_done = len(ta_play)
    excluded_human = int((ta_play["decision"] == "exclude").sum())
    sought_ids = pd.Index(ta_play.index[ta_play["decision"] == "include"])
    open_ids = pd.Index([str(r) for r in ta_open])
    open_n = len(open_ids.intersection(play_ids).difference(ta_play.index))
    stray_open = open_ids.difference(play_ids)
    if len(stray_open):     # unsettled (a conflict, a first of two decisions) and gone from screening
        warnings.append(f"{len(stray_open)} record(s) with unsettled title/abstract decisions (in conflict or "
                        f"awaiting a second reviewer) are no longer in screening (duplicates, rule-excluded "
                        f"or unknown ids), e.g. {stray_open[0]}; not counted")
    unscreened = int(in_play.sum()) - ta_done - open_n
    excluded_automation = unscreened if stopped else 0
    if stopped and stop_scope is not None:
        # a logged stop closes the records it names; later ones (an update's) are still to screen
        scope = {str(r) for r in stop_scope}
        excluded_automation = sum(1 for r in play_ids.difference(ta_play.index).difference(open_ids) if r in scope)
    if stopped and open_n:
        warnings.append(f"screening was stopped with {open_n} record(s) decided by one reviewer or in "
                        "conflict: they stay in title/abstract screening (not excluded by the stopping "
                        "rule) until a second reviewer or an adjudicator settles them")

    stray_ft = ft.index.difference(sought_ids).difference(method_sought)
    if len(stray_ft):
        warnings.append(f"{decisions_on('full-text', stray_ft, per_stage.get('full_text'))} not included at "
                        f"title/abstract or no longer in screening (a duplicate or rule-excluded now), e.g. "
                        f"{stray_ft[0]}; not counted")
    ft_play = ft.loc[ft.index.intersection(sought_ids, sort=False)]
    not_retrieved = int((ft_play["decision"] == "not_retrieved").sum())
    ft_excl = ft_play[ft_play["decision"] == "exclude"]
    ft_reasons = ft_excl["reason"].where(ft_excl["reason"] != "", NOT_RECORDED)
    # one reason, counted once: spellings that differ only in case or spacing are one line. The
    # report's state passes them as declared already (prisma.state); this covers any other caller
    ft_reasons = ft_reasons.map(ReasonNames.of(ft_reasons.tolist()))
    included_ids = [str(r) for r in ft_play.index[ft_play["decision"] == "include"]]
    other, other_included = _other_column(records[by_method], method_sought, ft, ft_open)
    included = len(included_ids) + len(other_included)
    known = [str(k) for k in known_studies]
    # links join records still at full text (or the previous version's), through dedup's kept copies
    links = current_links(study_links or {}, records,
                          set(map(str, sought_ids)) | set(map(str, method_sought)) | set(known))
    studies, several, of_known = (study_counts(included_ids + other_included, links, known) if links
                                  else (included, 0, 0))
    assessed = len(sought_ids) - not_retrieved
    typed = {str(k): int(v) for k, v in (other_methods or {}).items()}

    counts = PrismaCounts(
        databases=databases,
        registers=regs,
        other_methods=_ordered({**typed, **{k: typed.get(k, 0) + v for k, v in other.identified.items()}}),
        duplicates=int(dup_mask.sum()),
        duplicates_by_source=_ordered(source[dup_mask].value_counts().to_dict()),
        automation_rules=int(rule_mask.sum()),
        automation_rules_reasons=rule_reason_map,
        removed_other=int(other_mask.sum()),
        removed_other_reasons=_typed_reason_counts(other_reason[other_mask]),
        records_screened=int(in_play.sum()),
        title_abstract=StageProgress(total=int(in_play.sum()), done=ta_done, open=open_n),
        excluded_human=excluded_human,
        excluded_automation=excluded_automation,
        stopped=bool(stopped),
        unscreened_after_stop=unscreened - excluded_automation if stopped else 0,
        reports_sought=len(sought_ids),
        reports_not_retrieved=not_retrieved,
        reports_assessed=assessed,
        full_text=StageProgress(total=assessed, done=int(len(ft_play)) - not_retrieved,
                                open=len(pd.Index([str(r) for r in ft_open]).intersection(sought_ids)
                                         .difference(ft_play.index))),
        reports_excluded=len(ft_excl),
        reports_excluded_reasons=_reason_counts(ft_reasons),
        studies_included=studies,
        reports_included=included,
        warnings=tuple(warnings),
        title_abstract_open=open_n,
        studies_with_several_reports=several,
        reports_of_previous_studies=of_known,
        other=other,
    )
    check_invariants(counts)
    return counts


def _other_column(rows: pd.DataFrame, sought: pd.Index, ft: pd.DataFrame,
                  ft_open: Iterable[str]) -> tuple[OtherMethods, list[str]]:
    """The other-methods column from its records (``rows``) and the full-text finals (``ft``, by
    record_id) of those sought; and the ids of the reports it included."""
    dup = marks(_col(rows, "duplicate_of")) != ""
    played = ft.loc[ft.index.intersection(sought, sort=False)]
    not_retrieved = int((played["decision"] == "not_retrieved").sum())
    excl = played[played["decision"] == "exclude"]
    reasons = excl["reason"].where(excl["reason"] != "", NOT_RECORDED)
    reasons = reasons.map(ReasonNames.of(reasons.tolist()))
    assessed = len(sought) - not_retrieved
    open_n = len(pd.Index([str(r) for r in ft_open]).intersection(sought).difference(played.index))
    included = [str(r) for r in played.index[played["decision"] == "include"]]
    return OtherMethods(
        identified=_ordered(marks(_col(rows, "other_method")).value_counts().to_dict()),
        already_identified=int(dup.sum()),
        removed=int((~dup & (marks(_col(rows, "removed_reason")) != "")).sum()),
        reports_sought=len(sought),
        reports_not_retrieved=not_retrieved,
        reports_assessed=assessed,
        full_text=StageProgress(total=assessed, done=len(played) - not_retrieved, open=open_n),
        reports_excluded=len(excl),
        reports_excluded_reasons=_reason_counts(reasons),
        reports_included=len(included),
    ), included
