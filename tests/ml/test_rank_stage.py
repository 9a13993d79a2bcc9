"""The rank stage contract on real records (trimmed Cohen 2006 antihistamines)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from screening.config import from_mapping
from screening.errors import ConfigError, StageError
from screening.records import make_table, table_hash
from screening.stage import STAGES, StageInputs, registered_stages
from screening.stages.rank import RankConfig, run

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ml" / "cohen_antihistamines_300.csv"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(FIX, dtype=str, keep_default_na=False)


@pytest.fixture()
def table(data) -> pd.DataFrame:
    t = make_table(data[["record_id", "title", "abstract"]].to_dict("records"))
    t["duplicate_of"] = ""
    t.loc[205, "duplicate_of"] = t.loc[204, "record_id"]
    t["rule_decision"] = ""
    t.loc[207, "rule_decision"] = "exclude"
    t.loc[208, "rule_decision"] = "flag"
    return t


def _decisions(data, n=60):
    first = data.head(n)
    return pd.DataFrame({"record_id": first["record_id"], "label": first["label_included"].astype(int)})


def test_registered_in_order():
    names = [s.name for s in registered_stages()]
    assert "rank" in names and STAGES["rank"].order == 40 and STAGES["rank"].toml_key == "rank"


def test_contract_rows_kept_input_untouched_out_of_play_unranked(table, data):
    before = table_hash(table)
    dec = _decisions(data)
    assert dec["label"].sum() >= 1 and (dec["label"] == 0).any()
    res = run(table, RankConfig(seed=3), StageInputs(decisions=dec))
    out = res.records
    assert table_hash(table) == before
    assert len(out) == len(table) and list(out["record_id"]) == list(table["record_id"])
    # out of play: the duplicate (row 205) and the rule-excluded (row 207); flagged row 208 stays in
    for i in (205, 207):
        assert pd.isna(out.loc[i, "score"]) and pd.isna(out.loc[i, "rank"])
    assert not pd.isna(out.loc[208, "score"]) and not pd.isna(out.loc[208, "rank"])
    # screened records keep a score but no rank; the rest are ranked 1..k without gaps
    screened = set(dec["record_id"])
    ranked = out[out["rank"].notna()]
    assert not (set(ranked["record_id"]) & screened)
    assert sorted(ranked["rank"].astype(int)) == list(range(1, len(ranked) + 1))
    assert len(ranked) == len(table) - 2 - len(screened)
    # rank follows score
    r = ranked.sort_values("rank")
    assert (np.diff(r["score"].to_numpy()) <= 1e-12).all()
    # every record carries the model id that the report states
    info = res.report.details["model"]
    assert (out["model_id"] == info["model_id"]).all()
    assert info["training_size"] > 0 and info["components"]["classifier"] == "svm"
    assert res.report.counts["ranked"] == len(ranked)


def test_ranking_learns_included_records_first(table, data):
    dec = _decisions(data, 100)
    out = run(table, RankConfig(), StageInputs(decisions=dec)).records
    rest = out[out["rank"].notna()].merge(data[["record_id", "label_included"]], on="record_id")
    rest = rest.sort_values("rank")
    top = rest.head(len(rest) // 5)["label_included"].astype(int).mean()
    assert top > 2 * rest["label_included"].astype(int).mean()


def test_same_seed_same_output(table, data):
    dec = _decisions(data)
    a = run(table, RankConfig(seed=5), StageInputs(decisions=dec))
    b = run(table, RankConfig(seed=5), StageInputs(decisions=dec))
    pd.testing.assert_frame_equal(a.records, b.records)
    assert a.report.details["model"]["model_id"] == b.report.details["model"]["model_id"]


def test_no_labels_ranks_deterministically_and_says_so(table):
    res = run(table, RankConfig(), StageInputs())
    assert any("no labels of both classes" in w for w in res.report.warnings)
    out = res.records
    assert out["rank"].notna().sum() == len(table) - 2
    # file order among the records in play
    ranked = out[out["rank"].notna()]
    assert list(ranked.sort_values("rank").index) == list(ranked.index)


def test_priors_only_rank_by_similarity(table, data):
    inc = data[data["label_included"] == "1"]["record_id"].iloc[0]
    res = run(table, RankConfig(prior_included=(inc,)), StageInputs())
    assert res.report.details["model"]["mode"] == "prior-similarity"
    assert pd.isna(res.records.set_index("record_id").loc[inc, "rank"])


def test_missing_columns_count_as_in_play(data):
    t = make_table(data[["record_id", "title", "abstract"]].head(50).to_dict("records"))
    out = run(t, RankConfig(), StageInputs(decisions=_decisions(data, 20))).records
    # every record is in play: the 30 unscreened are scored and ranked, the 20 screened are not
    assert out["score"].notna().sum() == out["rank"].notna().sum() == 30


def test_screened_records_carry_no_score_that_would_unblind_them(table, data):
    """Acceptance testing: in rank.csv (and exports) the scores of records one reviewer had
    decided split perfectly by her decision (includes 0.77, excludes 0.60, the rest between)."""
    decisions = _decisions(data)
    res = run(table, RankConfig(), StageInputs(decisions=decisions)).records.set_index("record_id")
    decided = decisions["record_id"].astype(str)
    assert res.loc[decided, "score"].isna().all() and res.loc[decided, "rank"].isna().all()
    rest = res.drop(index=decided)
    assert rest["score"].notna().sum() == rest["rank"].notna().sum() > 0


def test_unknown_prior_is_a_stage_error(table):
    with pytest.raises(StageError):
        run(table, RankConfig(prior_included=("nope",)), StageInputs())


def test_config_is_strict():
    with pytest.raises(ConfigError):
        RankConfig.from_toml({"modle": "tfidf+svm"})
    with pytest.raises(ConfigError) as err:
        RankConfig.from_toml({"model": "tfidf+forest"})
    assert "svm" in str(err.value)
    with pytest.raises(ConfigError):
        RankConfig.from_toml({"stop_rule": "whenever"})
    heuristic = RankConfig.from_toml({"stop_rule": "consecutive-5pct"})   # loads: status/log still work
    with pytest.raises(ConfigError, match="cannot stop a review") as err:   # ranking refuses it (exit 4)
        run(pd.DataFrame({"record_id": ["1"], "title": ["t"]}), heuristic, StageInputs())
    assert "remove the stop_rule line" in err.value.hint
    cfg = RankConfig.from_toml({"model": "tfidf+logistic", "seed": 2, "prior_included": ["1"]})
    assert cfg.prior_included == ("1",) and cfg.seed == 2


def test_reading_a_review_with_the_default_model_does_not_load_scikit_learn():
    """`status`, `log`, `decide` read the review's TOML; with the default model they must not pay
    for importing scikit-learn (about a second) just to validate a spec known to be good."""
    import subprocess
    import sys
    from pathlib import Path

    from screening.ml import DEFAULT_SPEC
    from screening.ml.registry import parse_spec

    assert parse_spec(DEFAULT_SPEC).text == DEFAULT_SPEC          # the skipped check would pass
    demo = Path(__file__).resolve().parents[2] / "pipelines" / "demo.toml"
    code = ("import sys; from screening.config import load_review; "
            f"cfg = load_review({str(demo)!r}); assert 'rank' in cfg.stages; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn')[:3])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_counts_and_warns_about_ranked_records_without_abstract(table, data):
    res = run(table, RankConfig(), StageInputs(decisions=_decisions(data)))
    out = res.records
    blank = out["abstract"].fillna("").str.strip() == ""
    expected = int((out["rank"].notna() & blank).sum())
    assert expected > 0          # the real fixture has records without an abstract
    assert res.report.counts["ranked_without_abstract"] == expected
    assert any(f"{expected} ranked record(s) have no abstract" in w for w in res.report.warnings)


def test_no_warning_when_every_ranked_record_has_an_abstract(table, data):
    table = table.copy()
    table.loc[table["abstract"].fillna("").str.strip() == "", "abstract"] = "placeholder abstract text"
    res = run(table, RankConfig(), StageInputs(decisions=_decisions(data)))
    assert res.report.counts["ranked_without_abstract"] == 0
    assert not any("no abstract" in w for w in res.report.warnings)


def test_stray_labels_are_counted_as_records_not_decisions():
    """UAT: 'N decision(s) name records not in the table' counted records (one label each),
    while PRISMA counted the decisions on them: the words now say records."""
    import pandas as pd

    from screening.stages.rank import RankConfig, labels_with_priors

    records = pd.DataFrame({"record_id": ["a", "b"]})
    decisions = pd.DataFrame({"record_id": ["a", "gone1", "gone2"], "label": [1, 0, 1]})
    labels, warnings = labels_with_priors(records, RankConfig(), decisions)
    assert labels == {"a": 1}
    assert warnings == ["2 decided records are not in the table; their labels are ignored"]
