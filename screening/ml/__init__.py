"""Relevance ranking and active learning for title/abstract screening.

The package is split the way ASReview splits its models, one concept per module:

* :mod:`features`    – text -> sparse TF-IDF matrix, fitted once on the whole pool;
* :mod:`classifiers` – linear models that score records (scikit-learn estimators);
* :mod:`balance`     – sample weights that counter the 1-in-100 inclusion rate;
* :mod:`query`       – which unscreened record to show next (max, uncertainty, mixed);
* :mod:`registry`    – named components and model spec strings ("tfidf+svm+balanced+max");
* :mod:`learner`     – the active-learning state: learn from labels, re-rank the pool;
* :mod:`simulate`    – replay a labelled dataset in the ranker's order;
* :mod:`metrics`     – WSS, RRF, ATD, loss (ASReview's definitions);
* :mod:`stopping`    – when to stop: a statistical rule with a recall guarantee + heuristics.
* :mod:`stopping_status` – a review's standing against its rule (rank.json, `status`, a session).
"""

from typing import Any, Sequence

# The default model spec. Kept here, free of scikit-learn imports, so the CLI can show it in
# --help without loading the ML stack for every command.
DEFAULT_SPEC = "tfidf+svm+balanced+max"

# The registered component names per kind, for --help (same reason); tests/ml/test_registry.py
# checks them against the registry.
COMPONENT_NAMES: dict[str, tuple[str, ...]] = {
    "features": ("tfidf",),
    "classifier": ("cnb", "ensemble", "logistic", "nb", "svm"),
    "balance": ("balanced", "dynamic", "none"),
    "query": ("max", "mixed", "random", "uncertainty"),
}


def model_help() -> str:
    """One line for --model options: the spec's shape and every component name."""
    names = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in COMPONENT_NAMES.items())
    return (f"Model spec features+classifier+balance+query, parameters in brackets, e.g. "
            f"'tfidf+svm(C=0.2)+balanced+max' ({names}; docs/ranking.md).")


# Free of scikit-learn too: a review's [rank] section is checked with it whenever it is loaded.

def priors_in_both(included: Sequence[Any], excluded: Sequence[Any]) -> str:
    """What is wrong when records are given as both included and excluded priors ('' if
    none): one wording for ``simulate`` and a review's [rank] section."""
    out = {str(r) for r in excluded}
    both = list(dict.fromkeys(str(r) for r in included if str(r) in out))
    if not both:
        return ""
    return (f"prior record{'s' if len(both) > 1 else ''} {', '.join(map(repr, both))} "
            f"{'are' if len(both) > 1 else 'is'} both included and excluded")
