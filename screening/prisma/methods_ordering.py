"""The methods paragraph's sentences on how records came before the reviewers and why screening
ended: ``ordering_sentence`` (relevance ranking, similarity, file order, the priors, the
stopping rule's random sample, imports: from what each decision records), ``ranking_sentences``
(the ranker's set-up and the records it started from; the stopping rule's target and switch
criterion) and ``stopping_sentences`` (the stop, its test and the records a stop left
unscreened), for
:func:`screening.prisma.methods.methods_paragraph`.
"""

from __future__ import annotations

from typing import Any, Mapping

from screening.prisma.context import RankerFacts, ReportContext
from screening.prisma.number_format import fmt, p_text
from screening.prisma.model import PrismaCounts
from screening.prisma.prose import counted, join_and, join_clauses, was_were


_ORDER_PHRASES = {
    # decided first in a session (served whatever the ranking), or typed: never by a ranking's order
    "prior": "on the records the team already knew (the priors){first}",
    "ranked": "in the order of a relevance ranking{spec}, retrained as decisions were made",
    "similarity": "in order of similarity to the records known to be relevant",
    "file_order": "in file order, before the ranker had both an included and an excluded record",
    "static": "in the order of a relevance ranking{spec} that was not retrained during screening",
    "table": "in the order of the records table (no relevance ranking was configured)",
    "sample": "on a random sample of the unscreened records (the stopping rule's test)",
    "imported": "imported from a decisions file",
    # `decide --record`: no session served it
    "typed": "outside a screening session, one record at a time (in an order the log does not record)",
    "unknown": "in an order that was not recorded",
}
_IMPORTED_FROM = {"rayyan": "made in Rayyan and imported", "asreview": "made in ASReview LAB and imported"}
_PRIORS_WHEN = {True: ", first and before any ranking", False: ", which no ranking put in order"}


def _order_phrase(kind: str, spec: str, ctx: ReportContext | None = None) -> str:
    if kind.startswith("imported:"):
        phrase = _IMPORTED_FROM.get(kind.split(":", 1)[1], _ORDER_PHRASES["imported"])
        # the import's `sampled` rows: which of them were the stopping test's random sample
        if ctx is not None and (n := ctx.imported_sampled.get(kind, 0)):
            phrase += f", {fmt(n)} of them {_ORDER_PHRASES['sample']}"
        return phrase
    first = _PRIORS_WHEN[bool(ctx is not None and ctx.ranker is not None and ctx.ranker.priors_first)]
    return _ORDER_PHRASES.get(kind, _ORDER_PHRASES["unknown"]).format(spec=spec, first=first)


def _order_base(kind: str) -> str:
    """'imported:rayyan' -> 'imported': the kind without the importing tool."""
    return kind.split(":", 1)[0]


def _order_rank(kind: str) -> int:
    keys = list(_ORDER_PHRASES)
    return keys.index(_order_base(kind)) if _order_base(kind) in keys else len(keys)


# the rule as published, with the anytime-valid form of its test we use (docs/ranking.md): a
# reader who recomputes the published p-value from the figures gets a smaller one
_RULE_NAMES = {"hypergeometric": "hypergeometric stopping rule (Callaghan & Müller-Hansen, 2020; tested after "
                                 "every sampled record with an anytime-valid test, Waudby-Smith & Ramdas, 2020)",
               # a stop recorded by a version before the anytime-valid test: its figures are the published test's
               "hypergeometric-published": "hypergeometric stopping rule (Callaghan & Müller-Hansen, 2020)"}


def _rule_name(rule: str, cited: bool = False) -> str:
    """The rule with its reference ('hypergeometric stopping rule (Callaghan & ...)'), or
    without it once ``cited`` earlier in the paragraph."""
    name = _RULE_NAMES.get(rule, f"stopping rule {rule}" if rule else "stopping rule")
    return name.split(" (", 1)[0] if cited else name


def stop_test(ctx: ReportContext) -> str:
    """What the stopping test showed, in words a methods section can state: the random
    sample, what it found, and the recall bound at the stated confidence ('' when the stop
    recorded no sample, e.g. the rank section's stopped = true)."""
    f = ctx.stopping_figures
    n, k, bound = f.get("sample_size"), f.get("sample_relevant"), f.get("recall_bound")
    target, conf = f.get("target_recall"), f.get("confidence")
    if not n or k is None or target is None or conf is None:
        return ""
    # no bound when nothing relevant had been found at all (recall is then no share of anything)
    said = [*([f"p = {p_text(ctx.stopping_p, conf)}"] if ctx.stopping_p is not None else []),
            *([f"lower confidence bound on recall {bound:.1%}"] if bound is not None else [])]
    found = "no relevant record" if not k else counted(int(k), "relevant record")
    if u := int(f.get("sample_unsettled") or 0):
        found += (f" and {counted(u, 'record')} whose decision was not yet settled (the test took the worst "
                  "case for " + ("them" if u != 1 else "it") + ")")
    # records a search update added while the sample was under way: not in the pool it was drawn
    # from, so the test counted them as relevant (decisions.sample_frames)
    added = int(f.get("added_during_sample") or 0)
    counting = (f", counting the {counted(added, 'record')} added while the sample was under way (which it could "
                "not draw) as relevant" if added else "")
    return (f"a random sample of {counted(int(n), 'record')} not screened in rank order, which contained {found}, "
            # the test's claim as a test states it (acceptance testing: "showed that recall was at
            # least 95% with 95% confidence" read as a probability about this one review)
            f"rejected the hypothesis that recall was below {_percent(target)} at {_percent(conf)} confidence{counting}"
            + (f" ({'; '.join(said)})" if said else ""))


def _sample_now(now: Mapping[str, Any]) -> str:
    """'a random sample of 329 records with 1 relevant record' as the test reads the log now
    ('' without a sample)."""
    n, k, u = now.get("sample_size"), int(now.get("sample_relevant") or 0), int(now.get("sample_unsettled") or 0)
    found = "no relevant record" if not k else counted(k, "relevant record")
    if u:
        found += f" and {counted(u, 'record')} not yet settled"
    return f"a random sample of {counted(int(n), 'record')} with {found}" if n else ""


def _lapsed(ctx: ReportContext) -> str:
    """The clause for a stop whose test the log no longer meets: what the same test gives on
    the decisions in the log now (changed since the stop, or a stop an older version recorded
    on a sample it read without its unsettled records), so the paragraph does not go on
    claiming the stop's recall."""
    now, conf = ctx.stopping_lapsed, ctx.stopping_figures.get("confidence")
    said = [*([sample] if (sample := _sample_now(now)) else []),
            *([f"p = {p_text(now['p_value'], conf)}"] if now.get("p_value") is not None else [])]
    return ("but computed on the decisions in the log now" + (f" ({'; '.join(said)})" if said else "")
            + ", the test is not met, so the target recall is not assured")


def _moved(ctx: ReportContext) -> str:
    """The clause for a stop whose test is still met on the log now, with other figures than
    the stop recorded (decisions recorded since it: a sampled record re-decided, a second
    reviewer's decisions settling the sample): what the same test gives now."""
    now, conf = ctx.stopping_moved, ctx.stopping_figures.get("confidence")
    said = [*([f"p = {p_text(now['p_value'], conf)}"] if now.get("p_value") is not None else []),
            *([f"lower confidence bound on recall {now['recall_bound']:.1%}"]
              if now.get("recall_bound") is not None else [])]
    return (f"with the decisions recorded since the stop, {_sample_now(now) or 'the sample'}"
            + (f" ({'; '.join(said)})" if said else "") + ", the test is still met")


def ordering_sentence(ctx: "ReportContext") -> str:
    """How the records were put in front of the reviewers, from what each decision records
    (never from the latest ranking alone: decisions made in file order stay in file order)."""
    use = {k: n for k, n in ctx.ranking_use.items() if n}
    total = sum(use.values())
    if not total:
        if ctx.models:     # finals given without a log (API, tests): the ranking on the table
            return (f"Records were screened in the order of a relevance ranking ({join_and(list(ctx.models))}), "
                    "updated as decisions were made.")
        return ""
    spec = f" ({ctx.ranking_spec})" if ctx.ranking_spec else ""
    if set(use) == {"file_order"}:
        return ("Records were screened in file order; no relevance ranking had been trained when the "
                "title/abstract decisions were made.")

    def said(k: str) -> str:      # 'were made in file order' / 'were imported from ...'
        phrase = _order_phrase(k, spec, ctx)
        return phrase if _order_base(k) == "imported" else f"made {phrase}"

    if len(use) == 1:
        (k, n), = use.items()
        # the screeners' decisions: an adjudicator's are counted apart (the sentence on how
        # records were settled), so 'all' must not read as every decision in the log
        return (f"The screeners' one title/abstract decision was {said(k)}." if n == 1
                else f"All {fmt(n)} of the screeners' title/abstract decisions were {said(k)}.")
    kinds = sorted(use, key=lambda k: (_order_rank(k), k))
    parts = [f"{fmt(use[kinds[0]])} {was_were(use[kinds[0]])} {said(kinds[0])}"]
    for before, k in zip(kinds, kinds[1:]):
        # '6 in file order' leaves out the 'were made' of the part before; an imported part has a
        # verb of its own ('were imported from ...'), which must be neither left out nor borrowed
        # ('348 were imported from a decisions file; and 2 in an order that was not recorded')
        made = "imported" not in (_order_base(before), _order_base(k))
        parts.append(f"{fmt(use[k])} {_order_phrase(k, spec, ctx)}" if made else f"{fmt(use[k])} {was_were(use[k])} {said(k)}")
    return f"Of the screeners' {fmt(total)} title/abstract decisions, {join_clauses(parts)}."


_COMPONENTS = (("features", "feature extractor"), ("classifier", "classifier"), ("balance", "balance"),
               ("query", "query strategy"))
# decisions a screening session of a ranked review ordered (the ranker, or its stand-ins before it
# could be trained, or the priors it starts from)
_RANKER_KINDS = frozenset({"prior", "ranked", "static", "similarity", "file_order"})


def _percent(x: float) -> str:
    """0.95 -> '95%', 0.975 -> '97.5%' (not rounded to a figure the team did not set)."""
    return f"{x * 100:g}%"


def _rule_set_out(c: PrismaCounts, ctx: ReportContext) -> bool:
    """Whether :func:`ranking_sentences` sets the hypergeometric rule out (with its reference):
    once it was used (a random sample screened, or screening stopped after some records were
    screened in ranked order) and its settings are known. A stop (forced) on decisions none of
    which the ranking ordered did not follow the rule: saying so would misreport the screening
    (acceptance testing); the stop's own sentence says the test was not met."""
    r = ctx.ranker
    use = {k: n for k, n in ctx.ranking_use.items() if n}
    if r is None or not use:
        return False
    sampled = "sample" in use or any(ctx.imported_sampled.values())
    # decisions a ranking ordered: not the priors (known before any ranking), and an older log's
    # unrecognised ones count (they came mostly from ranked sessions)
    ranked = bool(set(use) & ((_RANKER_KINDS - {"prior"}) | {"unknown"}))
    return r.rule == "hypergeometric" and (sampled or (c.stopped and ranked)) and None not in (
        r.target_recall, r.confidence, r.switch_at, r.pool)


def ranking_sentences(c: PrismaCounts, ctx: ReportContext) -> list[str]:
    """The ranking as a reader needs it to reproduce it (its components and seed, the records
    it started from, where every parameter is recorded) and the stopping rule as set: its
    target, its confidence and its criterion for switching from ranked screening to the random
    sample, with the run of irrelevant records at which the sample began. [] without a rank
    section or before any title/abstract decision; the rule's sentence only once it was used
    (a random sample screened, or screening stopped)."""
    r = ctx.ranker
    use = {k: n for k, n in ctx.ranking_use.items() if n}
    if r is None or not use:
        return []
    rule = _rule_set_out(c, ctx)
    if not rule and not set(use) & _RANKER_KINDS:
        return []        # every decision imported (or typed): no ranking ordered them, no test rests on it
    named = [f"{label} {r.components[key]}" for key, label in _COMPONENTS if r.components.get(key)]
    bits = "; ".join(b for b in (", ".join(named) or r.spec, f"seed {r.seed}" if r.seed is not None else "") if b)
    # the sessions' recorded spec is what ordered the records; rank.json's is the last run's
    who = ("The relevance ranking" if not ctx.ranking_spec or r.spec in ctx.ranking_spec.split(" / ")
           else "The relevance ranking as last run")
    inc, exc = r.prior_included, r.prior_excluded
    priors = (f"{fmt(inc)} relevant and {counted(exc, 'irrelevant record')}" if inc and exc
              else counted(inc, "relevant record") if inc else counted(exc, "irrelevant record") if exc else "")
    start = (f" was started from {priors} the team already knew (the priors)" if priors
             else " was started from no record known in advance (no priors were given)")
    kept = f"; every parameter of the ranking, and its seed, is recorded in {join_and(list(r.recorded_in))}" \
        if r.recorded_in else ""
    s = [f"{who} ({bits}){start}{kept}."]
    if (used := _models_used(ctx, r)):
        s.append(used)
    if rule:
        run = r.run_at_switch
        began = ("" if run is None else f"; the random sample began after {counted(run, 'irrelevant record')} in a row"
                 + ("" if run >= r.switch_at else ", before that point was reached"))
        s.append(f"Screening followed the {_rule_name(r.rule)} with a target recall of {_percent(r.target_recall)} "
                 f"at {_percent(r.confidence)} confidence: records were to be screened in ranked order until "
                 f"{fmt(r.switch_at)} in a row were irrelevant (the larger of {fmt(r.switch_minimum)} and "
                 f"{_percent(r.switch_fraction)} of the {counted(r.pool, 'record')} in screening), then in a random "
                 f"sample of the records not yet screened{began}.")
    return s


def _models_used(ctx: ReportContext, r: RankerFacts) -> str:
    """The models the sessions ranked with, when they are not (only) the one the sentence
    before describes: [rank] changed between runs, or edited and a session opened before the
    next run (acceptance testing: the paragraph described the last run's model alone, though
    most ranked decisions came from another, whose seed no file recorded). '' otherwise."""
    models = ctx.ranking_models
    if all(spec == r.spec and seed in (r.seed, None) for spec, seed in models):
        return ""           # the model described (logs before 0.19 recorded no seed)
    each = [f"{spec} with " + (f"seed {seed}" if seed is not None else "no seed recorded")
            + f" ({counted(n, 'decision')})" for (spec, seed), n in models.items()]
    return (f"The decisions made in ranked order were served by {join_and(each)}; the decision log "
            "records each one's model, seed and training-set size.")


def stopping_sentences(c: PrismaCounts, ctx: ReportContext) -> list[str]:
    """Why title/abstract screening ended before every record was read: the stop, the stopping
    rule's test and what it showed (or that it was not met, or no longer is), the records the
    stop left unscreened, and those still being settled or added since ([] when not stopped)."""
    s: list[str] = []
    if not c.stopped:
        return s
    rule = f" ({ctx.stopping_rule})" if ctx.stopping_rule else ""
    test = stop_test(ctx)
    # a point estimate of recall is not what the test established (it reads 100% while the
    # sample has found nothing): the bound is, when the stop recorded it
    recall = ("" if test else f" at an estimated recall of {ctx.recall_estimate:.0%}"
              if ctx.recall_estimate is not None else "; no recall estimate was recorded")
    if ctx.stopping_met is False:
        f = ctx.stopping_figures
        p = f" (p = {p_text(ctx.stopping_p, f.get('confidence'))})" if ctx.stopping_p is not None else ""
        est = (f" (the lower confidence bound on recall was {f['recall_bound']:.1%} at {_percent(f['confidence'])} "
               f"confidence, from a random sample of {counted(int(f['sample_size']), 'record')})" if test
               else f" (estimated recall {ctx.recall_estimate:.0%})" if ctx.recall_estimate is not None else "")
        s.append(f"Screening was stopped before the stopping rule's test{rule} was met{p}, so the "
                 f"target recall is not assured{est}; the {counted(c.excluded_automation, 'record')} nobody "
                 f"screened {'is' if c.excluded_automation == 1 else 'are'} reported as excluded by automation "
                 "tools.")
    else:
        # the rule is cited where the ranking sentences set it out, not again here
        cited = _rule_set_out(c, ctx)
        how = (f"Title/abstract screening was stopped by the {_rule_name(ctx.stopping_rule, cited)}: {test}" if test
               else f"Screening stopped by a stopping rule{rule}{recall}")
        if ctx.stopping_lapsed:
            how += "; " + _lapsed(ctx)
        elif ctx.stopping_moved:
            how += "; " + _moved(ctx)
        if c.excluded_automation == 0:
            s.append(f"{how}; no record was left unscreened.")
        else:
            s.append(f"{how}; the {counted(c.excluded_automation, 'record')} left unscreened "
                     f"{'is' if c.excluded_automation == 1 else 'are'} reported as excluded by automation tools.")
    if c.title_abstract_open:
        s.append(f"{counted(c.title_abstract_open, 'record')} screened by one reviewer or in conflict "
                 f"{was_were(c.title_abstract_open)} still being settled.")
    if c.unscreened_after_stop:
        n = c.unscreened_after_stop
        s.append(f"{counted(n, 'record')} added since the stop {'is' if n == 1 else 'are'} still to be screened.")
    return s
