"""Acceptance test 21: simulate's text-column aliases, its output path, priors in both lists,
and the wording of model-spec errors."""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.errors import ConfigError, InputError
from screening.ml.labelled_dataset import read_dataset
from screening.ml.simulate import simulate, simulate_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ml" / "cohen_antihistamines_300.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(FIX, dtype=str, keep_default_na=False)


def _write(df: pd.DataFrame, path: Path, columns: dict[str, str]) -> Path:
    df.rename(columns=columns).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("columns", [
    {"title": "Title", "abstract": "Abstract Note", "label_included": "included"},       # Zotero
    {"title": "primary_title", "label_included": "included"},                          # ASReview
    {"title": "TI", "abstract": "AB"},
    {"title": "Article Title", "abstract": "abstract_note"},
    {"title": "Document Title", "abstract": "ABSTRACT"},
])
def test_text_columns_are_read_under_their_common_names(tmp_path, raw, columns):
    """Only exact title/abstract were read: Zotero's 'Abstract Note' was dropped silently and
    the order came from titles alone (antihistamines WSS@95 -0.055 instead of 0.240)."""
    got = read_dataset(str(_write(raw, tmp_path / "d.csv", columns)))
    assert list(got["title"]) == list(raw["title"])
    assert list(got["abstract"]) == list(raw["abstract"])
    plain = simulate_file(str(FIX), seed=3)
    res = simulate_file(str(tmp_path / "d.csv"), seed=3)
    assert res.order == plain.order
    assert not any("no title" in w or "no abstract" in w for w in res.warnings)


def test_keywords_aliases_are_read(tmp_path):
    path = tmp_path / "kw.csv"
    path.write_text("record_id,Title,Abstract,Author Keywords,KW,label_included\n"
                    "1,a,b,x; y,z,1\n2,c,d,,w,0\n")
    got = read_dataset(str(path))
    assert list(got["keywords"]) == ["x; y; z", "w"]


def test_a_missing_abstract_or_title_column_is_warned_about(tmp_path, raw):
    path = tmp_path / "t.csv"
    raw[["record_id", "title", "label_included"]].to_csv(path, index=False)
    res = simulate_file(str(path), seed=1)
    assert any("no abstract column" in w and "titles only" in w for w in res.warnings), res.warnings
    cli = runner.invoke(app, ["simulate", str(path)])
    assert cli.exit_code == 0 and "no abstract column" in cli.output, cli.output
    raw[["record_id", "abstract", "label_included"]].to_csv(path, index=False)
    res = simulate_file(str(path), seed=1)
    assert any("no title column" in w and "abstracts only" in w for w in res.warnings), res.warnings
    # the exact names warn about nothing
    assert not simulate_file(str(FIX), seed=1).warnings
    raw[["record_id", "label_included"]].assign(notes="x").to_csv(path, index=False)
    with pytest.raises(InputError, match="no title or abstract column"):
        read_dataset(str(path))


def test_output_folder_or_missing_parent_is_refused_before_the_run(tmp_path, monkeypatch):
    """`simulate -o DIR` ran the whole simulation, then crashed in os.replace (IsADirectoryError)."""
    import screening.ml.simulate as sim

    def boom(*a, **k):
        raise AssertionError("simulated although the output cannot be written")

    monkeypatch.setattr(sim, "simulate", boom)
    res = runner.invoke(app, ["simulate", str(FIX), "-o", str(tmp_path)])
    assert res.exit_code == 2 and "folder" in res.output and "Traceback" not in res.output, res.output
    assert not isinstance(res.exception, IsADirectoryError)
    res = runner.invoke(app, ["simulate", str(FIX), "-o", str(tmp_path / "nope" / "order.csv")])
    assert res.exit_code == 2 and "does not exist" in res.output, res.output


def test_same_prior_in_both_lists_is_refused():
    from screening.stages.rank import RankConfig, labels_with_priors

    records = pd.DataFrame({"record_id": ["50", "30", "LONG1"]})
    cfg = RankConfig(prior_included=("50", "LONG1"), prior_excluded=("30", "LONG1"))
    with pytest.raises(ConfigError, match="'LONG1' is both included and excluded"):
        labels_with_priors(records, cfg, None)
    with pytest.raises(ConfigError, match="'LONG1' is both included and excluded"):
        RankConfig.from_toml({"prior_included": ["50", "LONG1"], "prior_excluded": ["30", "LONG1"]})


def test_simulate_refuses_a_prior_in_both_lists_in_the_same_words():
    data = read_dataset(str(FIX))
    rid = data["record_id"].iloc[0]
    with pytest.raises(InputError, match=f"'{rid}' is both included and excluded"):
        simulate(data, prior_included=[rid], prior_excluded=[rid])


def test_empty_model_spec_is_refused():
    from screening.ml.registry import parse_spec

    for spec in ("", "  "):
        with pytest.raises(ConfigError, match="model spec is empty"):
            parse_spec(spec)
    assert parse_spec(None).text == parse_spec("tfidf+svm+balanced+max").text
    res = runner.invoke(app, ["simulate", str(FIX), "--model", ""])
    assert res.exit_code == 4 and "model spec is empty" in res.output, res.output


def test_unknown_component_parameter_names_the_allowed_ones():
    from screening.ml.registry import parse_spec

    with pytest.raises(ConfigError) as err:
        parse_spec("tfidf+svm(foo=1)")
    assert "unknown parameter 'foo' for classifier 'svm' (its parameters: C, loss, max_iter)" in str(err.value)
    assert "__init__" not in str(err.value)


def test_recall_flag_wording():
    res = runner.invoke(app, ["simulate", str(FIX), "--confidence", "0.8"])
    assert res.exit_code == 4 and "--confidence only applies to the statistical stop rule" in res.output
    res = runner.invoke(app, ["simulate", str(FIX), "--target-recall", "0.9", "--confidence", "0.8"])
    assert res.exit_code == 4 and "--target-recall and --confidence only apply to" in res.output


def test_no_relevant_record_outside_the_priors_says_why_there_are_no_figures(tmp_path, raw):
    """Acceptance testing: the dataset's only relevant record given as --prior-included printed a
    header-only metrics table (exit 0) and said nothing of why."""
    one = raw[raw["label_included"] == "0"].head(29)
    one = pd.concat([raw[raw["label_included"] == "1"].head(1), one], ignore_index=True)
    path, out = tmp_path / "one.csv", tmp_path / "order.csv"
    one.to_csv(path, index=False)
    inc, exc = one["record_id"].iloc[0], one["record_id"].iloc[1]
    res = simulate_file(str(path), (inc,), (exc,), seed=1)
    assert res.metrics == {"records": 28.0, "relevant": 0.0}
    assert res.no_metrics.startswith("no relevant record outside the priors (the dataset's 1 relevant record is "
                                     "given as a prior")
    assert simulate_file(str(FIX), seed=1).no_metrics == ""
    cli = runner.invoke(app, ["simulate", str(path), "--prior-included", inc, "--prior-excluded", exc,
                              "-o", str(out)], env={"COLUMNS": "250"})
    assert cli.exit_code == 0, cli.output
    said = " ".join(cli.output.split())
    assert "no metrics: no relevant record outside the priors" in said and "are undefined" in said
    assert "┏" not in cli.output                     # no bare header of a table without rows
    assert len(pd.read_csv(out)) == 30                # the order is still written
