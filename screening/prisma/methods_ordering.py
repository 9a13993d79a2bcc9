"""The methods paragraph's sentences on how records came before the reviewers and why screening
ended: ``ordering_sentence`` (relevance ranking, similarity, file order, the stopping rule's
random sample, imports: from what each decision records) and ``stopping_sentences`` (the
stopping rule, its test and the records a stop left unscreened), for
:func:`screening.prisma.methods.methods_paragraph`.
"""

from __future__ import annotations

from screening.prisma.context import ReportContext
from screening.prisma.diagram import fmt, p_text
from screening.prisma.model import PrismaCounts
from screening.prisma.prose import counted, join_and, join_clauses, was_were


_ORDER_PHRASES = {
    "ranked": "in the order of a relevance ranking{spec}, retrained as decisions were made",
    "similarity": "in order of similarity to the records known to be relevant",
    "file_order": "in file order, before the ranker had both an included and an excluded record",
    "static": "in the order of a relevance ranking{spec} that was not retrained during screening",
    "table": "in the order of the records table (no relevance ranking was configured)",
    "sample": "on a random sample of the unscreened records (the stopping rule's test)",
    "imported": "imported from a decisions file",
    "unknown": "in an order that was not recorded",
}
_IMPORTED_FROM = {"rayyan": "made in Rayyan and imported", "asreview": "made in ASReview LAB and imported"}


def _order_phrase(kind: str, spec: str) -> str:
    if kind.startswith("imported:"):
        return _IMPORTED_FROM.get(kind.split(":", 1)[1], _ORDER_PHRASES["imported"])
    return _ORDER_PHRASES.get(kind, _ORDER_PHRASES["unknown"]).format(spec=spec)


def _order_base(kind: str) -> str:
    """'imported:rayyan' -> 'imported': the kind without the importing tool."""
    return kind.split(":", 1)[0]


def _order_rank(kind: str) -> int:
    keys = list(_ORDER_PHRASES)
    return keys.index(_order_base(kind)) if _order_base(kind) in keys else len(keys)


_RULE_NAMES = {"hypergeometric": "hypergeometric stopping rule (Callaghan & Müller-Hansen, 2020)"}


def _rule_name(rule: str) -> str:
    return _RULE_NAMES.get(rule, f"stopping rule {rule}" if rule else "stopping rule")


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
    return (f"a random sample of {counted(int(n), 'record')} not screened in rank order, which contained {found}, "
            f"showed that recall was at least {target:.0%} with {conf:.0%} confidence"
            + (f" ({'; '.join(said)})" if said else ""))


def _lapsed(ctx: ReportContext) -> str:
    """The clause for a stop whose test the log no longer meets: what the same test gives on
    the decisions recorded since, so the paragraph does not go on claiming the stop's recall."""
    now, conf = ctx.stopping_lapsed, ctx.stopping_figures.get("confidence")
    n, k = now.get("sample_size"), now.get("sample_relevant")
    said = [*([f"a random sample of {counted(int(n), 'record')} with {counted(int(k or 0), 'relevant record')}"]
              if n else []),
            *([f"p = {p_text(now['p_value'], conf)}"] if now.get("p_value") is not None else [])]
    return ("but on the decisions recorded since" + (f" ({'; '.join(said)})" if said else "")
            + " the test is no longer met, so the target recall is not assured")


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
        phrase = _order_phrase(k, spec)
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
        parts.append(f"{fmt(use[k])} {_order_phrase(k, spec)}" if made else f"{fmt(use[k])} {was_were(use[k])} {said(k)}")
    return f"Of the screeners' {fmt(total)} title/abstract decisions, {join_clauses(parts)}."


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
        est = (f" (the lower confidence bound on recall was {f['recall_bound']:.1%} at {f['confidence']:.0%} "
               f"confidence, from a random sample of {counted(int(f['sample_size']), 'record')})" if test
               else f" (estimated recall {ctx.recall_estimate:.0%})" if ctx.recall_estimate is not None else "")
        s.append(f"Screening was stopped before the stopping rule's test{rule} was met{p}, so the "
                 f"target recall is not assured{est}; the {counted(c.excluded_automation, 'record')} nobody "
                 f"screened {'is' if c.excluded_automation == 1 else 'are'} reported as excluded by automation "
                 "tools.")
    else:
        how = (f"Title/abstract screening was stopped by the {_rule_name(ctx.stopping_rule)}: {test}" if test
               else f"Screening stopped by a stopping rule{rule}{recall}")
        if ctx.stopping_lapsed:
            how += "; " + _lapsed(ctx)
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
