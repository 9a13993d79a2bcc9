"""What the PRISMA report says about a review besides its counts: :class:`ReportContext`
(searches, deduplication, rules, screening and ranking, as the review state records them) and
:class:`StageScreening` (who settled a screening stage's records, and how), built by
:mod:`screening.prisma.api` from the state and read by :mod:`.methods` and :mod:`.report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd


@dataclass(frozen=True)
class ReportContext:
    review_name: str
    title: str
    tool_version: str                       # the version writing the report
    state_hash: str
    state_time: str = ""
    searches: pd.DataFrame | None = None
    # the labels of the review's other-method sources (`method = ...`), every round's: the
    # methods name them apart from the databases searched, whichever round's flow is drawn
    method_sources: frozenset[str] = frozenset()
    # stage -> the version of screening that made its output (its report's tool_version): an
    # upgrade not yet run reports an older version's outputs, which the methods must credit to it
    stage_versions: Mapping[str, str] = field(default_factory=dict)
    dedup_rules: dict[str, int] = field(default_factory=dict)       # duplicates removed per matching rule
    dedup_parameters: dict[str, Any] = field(default_factory=dict)
    dedup_ran: bool = True                                         # a dedup stage marked the table
    maybe_pairs_undecided: int = 0      # possible duplicate pairs nobody has decided (dedup.json)
    maybe_pairs_unapplied: int = 0      # ... decided in dedup-review after dedup last ran
    rules_parameters: dict[str, Any] = field(default_factory=dict)
    # records the rules exclude that carry title/abstract decisions: the rules changed after
    # screening began, so "before screening" is not true of them
    ruled_out_after_screening: int = 0
    # of those, the ones not settled yet (one reviewer's decision, a conflict): not 'screened'
    ruled_out_unsettled: int = 0
    # exclusion rules that could not check many records (their field empty, missing = "keep"):
    # (reason, fields, records unchecked, records the rules were applied to)
    rules_unchecked: tuple[tuple[str, str, int, int], ...] = ()
    # exclusion rules removed, changed or added since title/abstract screening began (history.jsonl)
    rules_changed: tuple[str, ...] = ()
    # per stage, from the decision log (never from the TOML: a plan is not what happened)
    screening: dict[str, "StageScreening"] = field(default_factory=dict)
    kappa: dict[str, float] = field(default_factory=dict)           # stage -> Cohen's kappa
    # stage -> records a pair of reviewers both decided, every decision the same (κ undefined)
    unanimous: dict[str, int] = field(default_factory=dict)
    models: tuple[str, ...] = ()
    # how the title/abstract decisions were ordered, from the ranking id each one records:
    # (by a trained relevance ranking, by similarity to the priors, in file order, unrecorded)
    ranking_use: dict[str, int] = field(default_factory=dict)
    ranking_spec: str = ""                  # the ranker's components (rank.json)
    # (spec, seed) -> ranked decisions its session ranker served (ranking_facts.session_models)
    ranking_models: dict[tuple[str, int | None], int] = field(default_factory=dict)
    # of the imported decisions (ranking_use's 'imported...' kinds), those marked as the random
    # sample of the stopping rule's test (the import's `sampled` column)
    imported_sampled: dict[str, int] = field(default_factory=dict)
    ranker: "RankerFacts | None" = None     # the review's [rank] set-up (None: no rank section)
    stopping_rule: str = ""
    recall_estimate: float | None = None
    stopping_met: bool | None = None        # the rule's test, when the ranking last ran
    stopping_p: float | None = None
    stopping_figures: Mapping[str, Any] = field(default_factory=dict)   # Stopping.figures
    stopping_lapsed: Mapping[str, Any] = field(default_factory=dict)    # Stopping.lapsed
    stopping_moved: Mapping[str, Any] = field(default_factory=dict)     # Stopping.moved
    warnings: tuple[str, ...] = ()                                  # state warnings (demo data...)
    # PRISMA-S: per database (records, duplicates removed, distinct studies found, found only there)
    per_source: tuple[tuple[str, int, int, int, int], ...] = ()
    # search rounds of an updated review: (date, records, studies found, studies new that date)
    rounds: tuple[tuple[str, int, int, int], ...] = ()
    # which versions of screening recorded the decisions, when more than one did (one sentence
    # beside the citation, never in the methods paragraph: :mod:`screening.decisions.tool_versions`)
    recorded_with: str = ""


@dataclass(frozen=True)
class RankerFacts:
    """How the relevance ranking and the stopping rule were set up, as recorded: the priors and
    the rule's target (the rank section, or the stop's own figures), the model's components and
    seed (rank.json), where every parameter is kept, and the switch to the random sample (the
    rule's criterion over the records in screening; the log's run of irrelevant records)."""

    spec: str = ""
    components: Mapping[str, str] = field(default_factory=dict)    # features, classifier, balance, query
    seed: int | None = None
    prior_included: int = 0        # the rank section's priors among the records in screening
    prior_excluded: int = 0
    priors_first: bool = False     # every decision on a prior came before any other decision
    recorded_in: tuple[str, ...] = ()    # the files holding every parameter and the seed
    rule: str = ""
    target_recall: float | None = None
    confidence: float | None = None
    pool: int | None = None        # records in screening, which the switch criterion is a share of
    switch_at: int | None = None   # irrelevant records in a row at which ranked screening switches
    switch_fraction: float | None = None     # the criterion: max(switch_minimum, fraction of pool)
    switch_minimum: int | None = None
    run_at_switch: int | None = None   # irrelevant in a row (ranked order) when the random sample began


@dataclass(frozen=True)
class StageScreening:
    """Who screened one stage and how, as recorded: settled records by how they were settled."""

    screeners: tuple[str, ...]     # reviewers with a screener decision at this stage
    # single / agreement / adjudication count the records settled on their content (screened,
    # or assessed at full text); reports settled as 'not retrieved' were never assessed, so they
    # are counted apart: 'all 16 reports were assessed independently' must not include them
    single: int                    # settled by one reviewer's decision
    agreement: int                 # two or more reviewers, independently, agreeing
    adjudication: int              # reviewers disagreed; an adjudicator decided
    open_conflicts: int = 0        # reviewers disagree; no adjudicator yet
    not_retrieved: int = 0         # full text: settled as not retrieved (however it was settled)
    # of ``adjudication``: every screener excluded, naming different reasons (a conflict at full
    # text, where PRISMA counts one reason per report; κ counts it as agreement on the decision)
    reason_only: int = 0

    @property
    def assessed(self) -> int:
        """Settled on the record's content: screened, or assessed for eligibility."""
        return self.single + self.agreement + self.adjudication

    @property
    def settled(self) -> int:
        return self.assessed + self.not_retrieved

    @property
    def dual(self) -> int:
        return self.agreement + self.adjudication


def stage_screening(entries: pd.DataFrame | None, finals: pd.DataFrame | None, stage: str,
                    outcomes: dict[str, Any] | None = None) -> StageScreening | None:
    """The recorded facts behind the methods paragraph's screening sentences (None: nothing
    settled). ``outcomes``: the stage's record outcomes, when the caller has them."""
    if finals is None or not len(finals):
        return None
    screeners: tuple[str, ...] = ()
    open_conflicts = reason_only = 0
    if entries is not None:     # (finals given without a log: the API and tests)
        from screening.decisions.outcomes import reasons_differ
        if outcomes is None:
            from screening.decisions.outcomes import record_outcomes

            outcomes = record_outcomes(entries, stage)
        # the outcomes' standing screener decisions: a decision later undone (a slip by the
        # adjudicator, say) does not make its author one of the screeners
        screeners = tuple(sorted({sd.reviewer for o in outcomes.values() for sd in o.screeners}))
        open_conflicts = sum(o.status == "conflict" for o in outcomes.values())
        reason_only = sum(o.resolved_by == "adjudication" and {sd.decision for sd in o.screeners} == {"exclude"}
                          and reasons_differ(o.screeners) for o in outcomes.values())
    if "decision" in finals:
        missing = finals["decision"].astype(str).str.lower().eq("not_retrieved")
        content, not_retrieved = finals[~missing], int(missing.sum())
    else:
        content, not_retrieved = finals, 0
    how = content["resolved_by"].astype(str).value_counts() if "resolved_by" in content else pd.Series(dtype=int)
    return StageScreening(screeners=screeners,
                          single=int(how.get("single", 0)), agreement=int(how.get("agreement", 0)),
                          adjudication=int(how.get("adjudication", 0)), open_conflicts=open_conflicts,
                          not_retrieved=not_retrieved, reason_only=reason_only)


# a rule that could not check this share of the records is named in the methods paragraph
UNCHECKED_SHARE_SAID = 0.05


def rules_unchecked(rules_report: Mapping[str, Any] | None) -> tuple[tuple[str, str, int, int], ...]:
    """From the apply_rules report: each exclusion rule that left at least
    :data:`UNCHECKED_SHARE_SAID` of the records unchecked for lack of the field it tests."""
    details = (rules_report or {}).get("details", {}) or {}
    kept = int(details.get("kept_records", 0) or 0)
    out = []
    for rule in details.get("rules", []) or []:
        n = int(rule.get("unchecked", 0) or 0)
        if rule.get("action") == "exclude" and kept and n >= UNCHECKED_SHARE_SAID * kept:
            out.append((str(rule.get("reason", "")), "/".join(rule.get("unchecked_fields", []) or []), n, kept))
    return tuple(out)
