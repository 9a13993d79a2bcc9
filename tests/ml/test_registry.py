"""Named components, spec strings, and the scikit-learn estimator contract."""

import numpy as np
import pytest
from sklearn.base import clone
from typer.testing import CliRunner

from screening.cli import app
from screening.errors import ConfigError
from screening.ml.balance import Balanced
from screening.ml.classifiers import CLASSIFIERS
from screening.ml.registry import DEFAULT_SPEC, parse_spec


def test_default_spec_round_trips():
    spec = parse_spec(None)
    assert spec.text == DEFAULT_SPEC
    assert spec.classifier == ("svm", {})


def test_parameters_in_spec():
    spec = parse_spec("tfidf+logistic(C=10)+balanced(ratio=5)")
    assert spec.classifier == ("logistic", {"C": 10})
    assert spec.query == ("max", {})
    assert spec.build("classifier").C == 10
    assert spec.text == "tfidf+logistic(C=10)+balanced(ratio=5)+max"


@pytest.mark.parametrize("bad,names", [
    ("tfidf+forest", "cnb, ensemble, logistic, nb, svm"),
    ("bert+svm", "tfidf"),
    ("tfidf+svm+balanced+greedy", "max, mixed, random, uncertainty"),
])
def test_unknown_component_lists_names(bad, names):
    with pytest.raises(ConfigError) as err:
        parse_spec(bad)
    assert names in str(err.value)


def test_bad_parameter_is_a_config_error():
    with pytest.raises(ConfigError):
        parse_spec("tfidf+svm(gamma=1)")
    with pytest.raises(ConfigError, match="C must be a number, got 'abc'"):   # was a traceback at fit
        parse_spec("tfidf+svm(C=abc)+balanced+max")
    assert parse_spec("tfidf+svm(C=1)").build("classifier").C == 1           # an int where 0.11 is fine
    with pytest.raises(ConfigError, match="every must be greater than 0"):      # was a ZeroDivisionError
        parse_spec("tfidf+svm+balanced+mixed(every=0)")
    assert parse_spec("tfidf+logistic(max_iter=1e4)").classifier == ("logistic", {"max_iter": 10000})


def test_classifiers_follow_estimator_contract():
    rng = np.random.default_rng(0)
    X = rng.random((40, 6))
    y = np.r_[np.ones(8, int), np.zeros(32, int)]
    X[:8, 0] += 2
    for name, cls in CLASSIFIERS.items():
        model = cls()
        clone(model).set_params(**model.get_params())
        model.fit(X, y, sample_weight=Balanced().compute_sample_weight(y))
        proba = model.predict_proba(X)
        assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1)
        d = model.decision_function(X)
        assert d[:8].mean() > d[8:].mean(), name


def test_balanced_weights_mean_one_and_ratio():
    y = np.array([1, 0, 0, 0, 0])
    w = Balanced(ratio=2.0).compute_sample_weight(y)
    assert w.mean() == pytest.approx(1.0)
    # excluded class total weight = ratio * included class total weight
    assert w[y == 0].sum() / w[y == 1].sum() == pytest.approx(0.5)


def test_tuple_parameters_and_commas_inside_them():
    from screening.ml.registry import parse_spec

    spec = parse_spec("tfidf(ngram_range=(1, 3), min_df=2)+svm(C=0.2)")
    assert spec.features == ("tfidf", {"ngram_range": (1, 3), "min_df": 2})
    assert parse_spec(spec.text) == spec                         # the recorded text reads back
    from screening.ml.learner import ActiveLearner

    learner = ActiveLearner("tfidf(ngram_range=[1, 1])")
    assert learner.features.ngram_range == (1, 1)
    with pytest.raises(ConfigError, match="ngram_range must be a tuple of 2"):
        parse_spec("tfidf(ngram_range=3)")
    for bad in ("(3, 1)", "('a', 'b')", "(1, 2.5)", "(0, 1)"):       # (3, 1) used to rank on one column
        with pytest.raises(ConfigError, match="whole numbers from 1 up, smallest first"):
            parse_spec(f"tfidf(ngram_range={bad})")


def test_values_scikit_learn_or_an_ensemble_would_refuse_are_refused_when_the_spec_is_read():
    """Acceptance testing (session 15): these passed the spec and ended in tracebacks at fit."""
    with pytest.raises(ConfigError, match="bad parameters for classifier 'svm'.*loss"):
        parse_spec("tfidf+svm(loss='foo')")
    with pytest.raises(ConfigError, match=r"weights must be 2 numbers, one per member"):
        parse_spec("tfidf+ensemble(weights=(1,))")
    with pytest.raises(ConfigError, match="^ensemble member 'bogus': unknown classifier 'bogus' —"):
        parse_spec("tfidf+ensemble(members=('svm', 'bogus'))")
    with pytest.raises(ConfigError, match=r"^ensemble member 'svm\(C=-1\)': classifier 'svm': C must be"):
        parse_spec("tfidf+ensemble(members=('svm(C=-1)',))")
    # a tuple of names may have any length: the features can read the title alone
    spec = parse_spec("tfidf(fields=('title',))+svm")
    assert spec.build("features").fields == ("title",)
    with pytest.raises(ConfigError, match="fields must be a tuple of names"):
        parse_spec("tfidf(fields=())")


def test_an_ensemble_refitted_after_set_params_uses_its_new_members():
    from screening.ml.classifiers import Ensemble

    rng = np.random.default_rng(0)
    X = rng.random((30, 5))
    y = np.r_[np.ones(6, int), np.zeros(24, int)]
    model = Ensemble().fit(X, y)
    assert [m.name for m in model.models_] == ["svm", "logistic"]
    model.set_params(members=("nb",)).fit(X, y)
    assert [m.name for m in model.models_] == ["nb"]


def test_the_names_help_lists_are_the_registered_ones():
    """--help shows COMPONENT_NAMES without importing scikit-learn: they must not drift."""
    from screening.ml import COMPONENT_NAMES
    from screening.ml.registry import KINDS, component_names

    assert {kind: list(names) for kind, names in COMPONENT_NAMES.items()} == \
        {kind: component_names(kind) for kind in KINDS}
    res = CliRunner().invoke(app, ["simulate", "--help"], env={"COLUMNS": "2000"})
    assert "classifier: cnb, ensemble, logistic, nb, svm" in res.output, res.output
