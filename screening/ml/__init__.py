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
"""

# The default model spec. Kept here, free of scikit-learn imports, so the CLI can show it in
# --help without loading the ML stack for every command.
DEFAULT_SPEC = "tfidf+svm+balanced+max"
