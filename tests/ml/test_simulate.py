"""`screening simulate` end to end on a trimmed real dataset; determinism per seed."""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.ml.labelled_dataset import read_dataset
from screening.ml.simulate import choose_priors, simulate

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ml" / "cohen_antihistamines_300.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return read_dataset(str(FIX))


def test_cli_writes_full_order_priors_first(tmp_path, data):
    inc = data[data["label"] == 1]["record_id"].iloc[2]
    exc = data[data["label"] == 0]["record_id"].iloc[10]
    out = tmp_path / "order.csv"
    res = runner.invoke(app, ["simulate", str(FIX), "--prior-included", inc, "--prior-excluded", exc,
                              "--seed", "4", "-o", str(out)])
    assert res.exit_code == 0, res.output
    for figure in ("WSS@95", "WSS@100", "RRF@10", "ATD", "95% recall", "100% recall"):
        assert figure in res.output
    order = pd.read_csv(out, dtype={"record_id": str})
    assert list(order.columns) == ["position", "record_id", "label"]
    assert list(order["position"]) == list(range(1, len(data) + 1))
    assert list(order["record_id"][:2]) == [inc, exc]
    assert sorted(order["record_id"]) == sorted(data["record_id"])
    truth = dict(zip(data["record_id"], data["label"]))
    assert all(truth[r] == lab for r, lab in zip(order["record_id"], order["label"]))
    # the ranker beats file order: relevant records come early
    assert order["label"].head(60).sum() > order["label"].sum() * 60 / len(order) * 2


def test_same_seed_same_order_file(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (a, b):
        res = runner.invoke(app, ["simulate", str(FIX), "--seed", "7", "-o", str(path)])
        assert res.exit_code == 0, res.output
    assert a.read_bytes() == b.read_bytes()


def test_seed_picks_priors(data):
    labels = data["label"].to_numpy()
    inc, exc = choose_priors(labels, 7)
    assert labels[inc[0]] == 1 and labels[exc[0]] == 0
    r = simulate(data, seed=7, stop_at_last_relevant=True)
    assert r.order[:2] == [data["record_id"].iloc[inc[0]], data["record_id"].iloc[exc[0]]]


def test_stop_rule_column_and_random_sampling(tmp_path, data):
    out = tmp_path / "order.csv"
    res = runner.invoke(app, ["simulate", str(FIX), "--seed", "2", "--stop-rule", "hypergeometric",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "work saved" in res.output and "recall" in res.output
    assert "random sample included" in " ".join(res.output.split())       # the figures' order, said
    order = pd.read_csv(out, dtype={"record_id": str})
    # a sampling rule adds `sampled` (below); the columns before it are the fixed ones
    assert list(order.columns) == ["position", "record_id", "label", "stop", "sampled"]
    assert order["stop"].sum() == 1
    r = simulate(data, seed=2, stop_rules=("hypergeometric",))
    stop = r.stops["hypergeometric"]
    # the rule switched to a random sample of the unscreened records before firing
    assert stop["switch_position"] is not None and stop["sample_size"] >= 1
    assert stop["position"] == int(order.index[order["stop"] == 1][0]) + 1


def test_the_switch_and_the_sample_are_printed_and_marked_in_the_order(tmp_path, data):
    """The printout gave recall and work saved at the stop, but not where the rule switched to
    random sampling or how big the sample grew, and ORDER.csv did not say which records it drew."""
    out = tmp_path / "order.csv"
    res = runner.invoke(app, ["simulate", str(FIX), "--seed", "2", "--stop-rule", "hypergeometric",
                              "-o", str(out)], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    stop = simulate(data, seed=2, stop_rules=("hypergeometric",)).stops["hypergeometric"]
    said = " ".join(res.output.split())
    assert f"switched to random sampling after │ {stop['switch_position']} of {len(data)}" in said, said
    assert f"random sample size (relevant in it) │ {stop['sample_size']} ({stop['sample_relevant']})" in said
    order = pd.read_csv(out, dtype={"record_id": str})
    drawn = order.loc[order["sampled"] == 1, "position"].tolist()
    # the sample is the records screened after the switch, up to and including the stop
    assert drawn == list(range(stop["switch_position"] + 1, stop["position"] + 1))
    assert len(drawn) == stop["sample_size"] and order.loc[order["sampled"] == 1, "label"].sum() == \
        stop["sample_relevant"]
    # without a sampling rule ORDER.csv keeps its columns
    for extra in ([], ["--stop-rule", "consecutive-50"]):
        runner.invoke(app, ["simulate", str(FIX), "--seed", "2", *extra, "-o", str(out)])
        assert "sampled" not in pd.read_csv(out).columns


def test_heuristic_stop_rule(data):
    r = simulate(data, seed=3, stop_rules=("consecutive-50",))
    stop = r.stops["consecutive-50"]
    labels = r.labels
    pos = stop["position"]
    assert sum(labels[pos - 50:pos]) == 0 and stop["recall"] == sum(labels[:pos]) / sum(labels)
    prior_rel = sum(labels[:r.n_priors])                 # the metrics' view: priors left out
    assert stop["recall_without_priors"] == (sum(labels[:pos]) - prior_rel) / (sum(labels) - prior_rel)


def test_recall_target_without_the_statistical_rule_is_refused_not_ignored():
    """Session 16: --target-recall/--confidence were silently ignored for heuristic rules."""
    for extra in (["--stop-rule", "consecutive-50", "--target-recall", "0.9"], ["--confidence", "0.8"]):
        res = runner.invoke(app, ["simulate", str(FIX), *extra])
        assert res.exit_code == 4 and "only appl" in res.output and "the statistical stop rule" in res.output, res.output
    res = runner.invoke(app, ["simulate", str(FIX), "--stop-rule", "hypergeometric", "--target-recall", "0.8",
                              "--confidence", "0.9"])
    assert res.exit_code == 0 and "90% bound" in res.output, res.output


def test_bad_input_errors(tmp_path):
    res = runner.invoke(app, ["simulate", str(FIX), "--prior-included", "no-such-id"])
    assert res.exit_code == 2 and "no-such-id" in res.output
    res = runner.invoke(app, ["simulate", str(FIX), "--model", "tfidf+forest"])
    assert res.exit_code == 4 and "svm" in res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("record_id,title\n1,x\n")
    res = runner.invoke(app, ["simulate", str(bad)])
    assert res.exit_code == 2 and "label_included" in res.output
    ris = FIX.parents[1] / "core" / "econlit_3.ris"              # an export, not a labelled CSV
    res = runner.invoke(app, ["simulate", str(ris)])
    assert res.exit_code == 2 and "not a readable CSV" in res.output and "screening ingest" in res.output
    # acceptance testing (session 15): these ended in tracebacks
    for name, content, said in (("empty.csv", b"", "the file is empty"),
                                ("header.csv", b"record_id,title,abstract,label_included\n",
                                 "the dataset has no records"),
                                ):
        (tmp_path / name).write_bytes(content)
        res = runner.invoke(app, ["simulate", str(tmp_path / name)])
        assert res.exit_code == 2 and said in res.output and "Traceback" not in res.output, res.output
    res = runner.invoke(app, ["simulate", str(FIX), "--seed", "-1"])
    assert res.exit_code == 2 and "the seed must be a whole number from 0 up, got -1" in res.output, res.output


def test_prior_with_the_wrong_label_is_refused(data):
    """A prior 'included' record the dataset labels 0 would be counted as a find: refuse it."""
    from screening.errors import InputError

    irrelevant = data[data["label"] == 0]["record_id"].iloc[0]
    relevant = data[data["label"] == 1]["record_id"].iloc[0]
    with pytest.raises(InputError, match="label_included=0") as err:
        simulate(data, prior_included=[irrelevant], prior_excluded=[])
    assert "--prior-excluded" in str(err.value.hint)
    with pytest.raises(InputError, match="label_included=1"):
        simulate(data, prior_included=[], prior_excluded=[relevant])
    res = runner.invoke(app, ["simulate", str(FIX), "--prior-included", irrelevant])
    assert res.exit_code == 2 and irrelevant in res.output


def test_mixed_query_screens_every_20th_record_by_uncertainty(data):
    """Acceptance testing: 'mixed' screened exactly as 'max' (its 20th slot was never reached,
    as every retrain starts a fresh ranking). Now the 20th, 40th... record screened is the
    most uncertain one of its ranking."""
    import numpy as np

    from screening.ml.query import MixedQuery

    from screening.ml.query import UncertaintyQuery

    # decision values, boundary 0, even when every margin lies within [0, 1]
    assert list(UncertaintyQuery().query(np.array([0.9, 0.2, 0.6]))) == [1, 2, 0]
    assert list(UncertaintyQuery(boundary=0.5).query(np.array([0.9, 0.2, 0.6]))) == [2, 1, 0]
    q = MixedQuery(every=3)
    scores = np.array([0.9, 0.1, 0.5, 0.8, -0.05])            # uncertainty order: 4, 1, 2, ...
    assert list(q.query(scores, offset=0)) == [0, 3, 4, 2, 1]
    assert list(q.query(scores, offset=2)) == [4, 0, 3, 1, 2]  # slot 3 of the session comes first
    mx = simulate(data, seed=2, model="tfidf+svm+balanced+max").order
    mixed = simulate(data, seed=2, model="tfidf+svm+balanced+mixed").order
    # they part at a multiple of 20 (the uncertain record can coincide with the top one while
    # every SVM value is negative: the highest is then also the nearest to the boundary)
    first = next(i for i, (x, y) in enumerate(zip(mx, mixed)) if x != y)
    assert (first + 1) % 20 == 0
    assert simulate(data, seed=2, model="tfidf+svm+balanced+mixed").order == mixed     # deterministic


def test_a_stop_rule_that_never_fires_says_so(data):
    """Acceptance testing: a rule that never fired was printed as 'stopped at 310 of 310' and
    flagged the last row of ORDER.csv."""
    res = simulate(data, seed=1, stop_rules=("consecutive-100",))
    stop = res.stops["consecutive-100"]
    # the rule's own run: fewer than 100 irrelevant records follow the last find in this data
    assert (stop["fired"], stop["position"], stop["recall"], stop["work_saved"]) == (False, len(data), 1.0, 0.0)
    assert res.to_frame()["stop"].sum() == 0
    unfired = type(res)(**{**res.__dict__, "stops": {"consecutive-100": {**stop, "fired": False}}})
    assert unfired.to_frame()["stop"].sum() == 0
    fired = type(res)(**{**res.__dict__, "stops": {"consecutive-100": {**stop, "fired": True}}})
    assert fired.to_frame()["stop"].sum() == 1


def test_other_tools_layouts_read_the_same(tmp_path, data):
    """ASReview's 'included' column, yes/no or 1.0/0.0 labels, a TSV, no record_id column: the
    same records and labels (ids then number the rows from 1)."""
    raw = pd.read_csv(FIX, dtype=str, keep_default_na=False)
    layouts = {
        "asreview.csv": raw.rename(columns={"label_included": "included"}),
        "yesno.csv": raw.assign(label_included=raw["label_included"].map({"1": "Yes", "0": "no"})),
        "floats.csv": raw.assign(label_included=raw["label_included"] + ".0"),
    }
    for name, frame in layouts.items():
        frame.to_csv(tmp_path / name, index=False)
    raw.to_csv(tmp_path / "tabs.tsv", index=False, sep="\t")
    raw.drop(columns=["record_id"]).to_csv(tmp_path / "noid.csv", index=False)
    for name in [*layouts, "tabs.tsv"]:
        got = read_dataset(str(tmp_path / name))
        assert got["record_id"].tolist() == data["record_id"].tolist(), name
        assert got["label"].tolist() == data["label"].tolist(), name
    noid = read_dataset(str(tmp_path / "noid.csv"))
    assert noid["record_id"].tolist() == [str(i) for i in range(1, len(data) + 1)]
    assert noid["label"].tolist() == data["label"].tolist()


def test_a_missing_label_names_its_line(tmp_path):
    from screening.errors import InputError

    raw = pd.read_csv(FIX, dtype=str, keep_default_na=False)
    raw.loc[4, "label_included"] = ""
    raw.to_csv(tmp_path / "gap.csv", index=False)
    with pytest.raises(InputError) as err:
        read_dataset(str(tmp_path / "gap.csv"))
    assert err.value.line == 6 and "label_included is empty" in str(err.value)
    raw.drop(columns=["label_included"]).to_csv(tmp_path / "nolabel.csv", index=False)
    with pytest.raises(InputError, match="no label column"):
        read_dataset(str(tmp_path / "nolabel.csv"))


def test_duplicate_ids_and_one_class_datasets_name_the_file_and_line(tmp_path):
    """UAT: both errors came without the file (one class) or the line (a repeated id)."""
    from screening.errors import InputError

    raw = pd.read_csv(FIX, dtype=str, keep_default_na=False)
    dup = raw.copy()
    dup.loc[7, "record_id"] = dup.loc[2, "record_id"]
    dup.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(InputError) as err:
        read_dataset(str(tmp_path / "dup.csv"))
    assert err.value.line == 9 and "first on line 4" in str(err.value) and "dup.csv" in str(err.value)
    raw.assign(label_included="0").to_csv(tmp_path / "none.csv", index=False)
    with pytest.raises(InputError, match=r"every record is labelled excluded \(0\)") as err:
        read_dataset(str(tmp_path / "none.csv"))
    assert "none.csv" in str(err.value)


def test_a_dataset_as_spreadsheets_save_it_is_read_and_said(tmp_path):
    """UAT: Windows-1252 and UTF-16 files were refused (ingest reads both), 'Record_ID' headers
    were not found, ' 36' and '36' were two ids, an empty id was accepted, an 'id' column was
    ignored without a word, the label column used was never said, and -o DATA.csv overwrote
    the dataset."""
    rows = FIX.read_text(encoding="utf-8").splitlines()
    header, body = rows[0], rows[1:]
    text = "\n".join([header.replace("record_id", "Record_ID").replace("label_included", "Label_Included"),
                      *(" " + line if i == 0 else line for i, line in enumerate(body))]) + "\n"
    text = text.replace("Docetaxel", "Docétaxel", 1)
    cp = tmp_path / "cp1252.csv"
    cp.write_bytes(text.encode("cp1252"))
    wide = tmp_path / "utf16.csv"
    wide.write_bytes(text.encode("utf-16"))
    plain = runner.invoke(app, ["simulate", str(FIX), "-o", str(tmp_path / "a.csv")])
    assert plain.exit_code == 0 and "labels from label_included" in " ".join(plain.output.split())
    for path in (cp, wide):
        res = runner.invoke(app, ["simulate", str(path), "-o", str(tmp_path / "b.csv")])
        said = " ".join(res.output.split())
        assert res.exit_code == 0 and "labels from Label_Included" in said, res.output
        assert ("Windows-1252" in said) if path == cp else ("UTF-16" in said), res.output
        assert (tmp_path / "b.csv").read_text() == (tmp_path / "a.csv").read_text()   # ' 1' is '1'
    res = runner.invoke(app, ["simulate", str(cp), "-o", str(cp)])
    assert res.exit_code == 2 and "the output file is the dataset itself" in res.output
    assert cp.read_bytes() == text.encode("cp1252")
    (tmp_path / "noid.csv").write_text(text.replace(" 1,", " ,", 1), encoding="utf-8")   # a blank id
    res = runner.invoke(app, ["simulate", str(tmp_path / "noid.csv")])
    assert res.exit_code == 2 and "noid.csv:2: record_id is empty" in res.output, res.output
    ids = tmp_path / "ids.csv"
    ids.write_text(text.replace("Record_ID", "id"), encoding="utf-8")
    res = runner.invoke(app, ["simulate", str(ids)])
    assert res.exit_code == 0 and "records are numbered by their row" in " ".join(res.output.split())
    res = runner.invoke(app, ["simulate", str(FIX), "--label-column", "label_abstract_included"])
    assert res.exit_code == 2 and "no column 'label_abstract_included'" in res.output


def test_order_file_escapes_formula_like_ids(tmp_path, data):
    """Acceptance 36b, L2: a dataset's record_id '=HYPERLINK(...)' was written to ORDER.csv as it
    was, to run when the file is opened in a spreadsheet."""
    hostile = data.head(40).copy()
    hostile.loc[hostile.index[0], "record_id"] = '=HYPERLINK("http://evil","x")'
    hostile.loc[hostile.index[1], "record_id"] = "@SUM(1+1)"
    src = tmp_path / "hostile.csv"
    hostile.rename(columns={"label": "label_included"}).to_csv(src, index=False)
    out = tmp_path / "order.csv"
    res = runner.invoke(app, ["simulate", str(src), "--seed", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    ids = set(pd.read_csv(out, dtype={"record_id": str})["record_id"])
    assert {'\'=HYPERLINK("http://evil","x")', "'@SUM(1+1)"} <= ids
    assert not any(i.startswith(("=", "@")) for i in ids)
