"""The dedup stage contract and its outcomes on real records."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from screening.config import from_mapping
from screening.dedup.labelled import groups_from_table, pairs_of
from screening.errors import ConfigError
from screening.records import make_table, table_hash, validate
from screening.stage import STAGES, StageInputs, registered_stages
from screening.stages.dedup import DedupConfig, run

CFG = DedupConfig()


def _run(df, cfg=CFG, **inputs):
    return run(df, cfg, StageInputs(**inputs))


def test_registered_with_the_contract():
    registered_stages()
    stage = STAGES["dedup"]
    assert (stage.order, stage.toml_key, stage.config_type) == (20, "dedup", DedupConfig)
    with pytest.raises(ConfigError, match="unknown key 'treshold'"):
        from_mapping(DedupConfig, {"treshold": 0.9}, "dedup")
    with pytest.raises(ConfigError, match="cochrane_versions"):
        from_mapping(DedupConfig, {"cochrane_versions": "sometimes"}, "dedup")


def test_rows_kept_in_order_and_input_untouched(mixed):
    before = table_hash(mixed)
    res = _run(mixed)
    assert table_hash(mixed) == before
    out = res.records
    assert out["record_id"].tolist() == mixed["record_id"].tolist()
    validate(out)
    for col in ("duplicate_of", "dup_group", "dup_score", "dup_rule", "found_in"):
        assert col in out.columns
    assert res.report.records_in == res.report.records_out == len(mixed)


def test_same_input_same_output(mixed):
    assert table_hash(_run(mixed).records) == table_hash(_run(mixed).records)


def test_empty_input():
    res = _run(make_table([]))
    assert len(res.records) == 0 and res.report.counts["duplicates"] == 0


def test_sample_matches_ground_truth(sample, sample_groups):
    """bib-dedupe's sample: DOI pairs, concatenated authors, search update (old_search rows
    id_0000728 and id_0000728B are never linked together; the new record joins the old one)."""
    out = _run(sample).records
    assert pairs_of(groups_from_table(out)) == pairs_of(sample_groups)
    row = out.set_index("record_id")
    assert row.loc["id_0000728NEW", "duplicate_of"] == "id_0000728"
    assert row.loc["id_0000728B", "duplicate_of"] == ""


def test_kept_record_is_merged_and_lists_sources(mixed):
    out = _run(mixed).records.set_index("record_id")
    # C_001571 / C_001920 (same DOI): one kept, the other points at it
    a, b = "colrev_misq_crossref-dblp:C_001571", "colrev_misq_crossref-dblp:C_001920"
    kept = a if out.loc[a, "duplicate_of"] == "" else b
    other = b if kept == a else a
    assert out.loc[other, "duplicate_of"] == kept and out.loc[other, "dup_rule"] == "doi"
    assert out.loc[kept, "found_in"] == ["colrev_misq_crossref-dblp"]
    # merge: a kept record lacking a field gets it from its group; other rows are unchanged
    src = mixed.set_index("record_id")
    changed = [rid for rid in out.index if out.loc[rid, "journal"] != src.loc[rid, "journal"]]
    assert all(out.loc[rid, "duplicate_of"] == "" for rid in changed)


def test_merge_fills_missing_doi_into_kept_row_only(pairs_table):
    rows = pairs_table[pairs_table["record_id"].isin(["id_0000296", "id_0000297"])].copy()
    rows["record_id"] = ["A", "B"]
    rows["source_db"] = ["PubMed", "Embase"]
    rows["title"] = [rows["title"].iloc[0]] * 2
    rows["doi"] = ["", "10.1093/annonc/mdj067"]
    rows["abstract"] = ["", "An abstract."]
    out = _run(rows.reset_index(drop=True)).records.set_index("record_id")
    kept = "A" if out.loc["A", "duplicate_of"] == "" else "B"
    assert out.loc[kept, "doi"] == "10.1093/annonc/mdj067"
    assert out.loc[kept, "abstract"] == "An abstract."
    assert out.loc[kept, "found_in"] == ["Embase", "PubMed"]
    assert out.loc["A" if kept == "B" else "B", "found_in"] == ["Embase", "PubMed"]


def test_report_counts_per_source(mixed):
    rep = _run(mixed).report
    assert set(rep.counts) >= {"duplicates", "groups", "maybe_pairs"}
    d = rep.details
    assert sum(d["duplicates_per_source"].values()) == rep.counts["duplicates"]
    assert sum(d["records_per_source_before"].values()) == len(mixed)
    for src, n in d["records_per_source_before"].items():
        assert d["unique_per_source_after"][src] <= n
    assert d["duplicates_per_source"]["testsample"] == 5


def test_stored_decisions_override_the_matcher(pairs_table):
    rows = pairs_table[pairs_table["pair"].isin(["13"])].reset_index(drop=True)   # recurring editorial: maybe
    ids = rows["record_id"].tolist()
    res = _run(rows)
    assert res.report.counts["maybe_pairs"] == 1 and res.report.counts["duplicates"] == 0
    log = pd.DataFrame({"seq": [1], "id_a": [ids[1]], "id_b": [ids[0]], "decision": ["duplicate"]})
    res2 = _run(rows, dedup_decisions=log)
    assert res2.report.counts["duplicates"] == 1 and res2.report.counts["maybe_pairs"] == 0
    assert "manual" in set(res2.records["dup_rule"])
    # a later 'distinct' wins over the earlier 'duplicate'
    log2 = pd.concat([log, pd.DataFrame({"seq": [2], "id_a": [ids[0]], "id_b": [ids[1]], "decision": ["distinct"]})])
    res3 = _run(rows, dedup_decisions=log2)
    assert res3.report.counts["duplicates"] == 0 and res3.report.counts["maybe_pairs"] == 0


def test_distinct_decision_blocks_a_machine_link(pairs_table):
    rows = pairs_table[pairs_table["pair"].isin(["1"])].reset_index(drop=True)
    ids = rows["record_id"].tolist()
    assert _run(rows).report.counts["duplicates"] == 1
    log = pd.DataFrame({"seq": [1], "id_a": [ids[0]], "id_b": [ids[1]], "decision": ["distinct"]})
    assert _run(rows, dedup_decisions=log).report.counts["duplicates"] == 0


def test_search_update_links_new_records_to_previous(sample):
    old = sample[sample["record_id"].isin(["id_0000728", "SauerSeuring2023"])].drop(columns=["search_set"])
    new = sample[~sample["record_id"].isin(["id_0000728", "id_0000728B", "SauerSeuring2023"])].drop(columns=["search_set"])
    out = _run(new.reset_index(drop=True), previous=old.reset_index(drop=True)).records.set_index("record_id")
    assert len(out) == len(new)
    assert out.loc["id_0000728NEW", "duplicate_of"] == "id_0000728"
    assert out.loc["SauerSeuring2023B", "duplicate_of"] == "SauerSeuring2023"


def test_source_contributions_by_hand():
    from screening.dedup.contributions import source_contributions
    from screening.prisma.report import per_source_rows

    # g1 found by A and B (B's copy marked); g3 by A twice (one marked) and by the unnamed source;
    # r6 by A alone; r7 (B) links to p9, a record of an earlier search: not a study of this one
    table = pd.DataFrame({"record_id": ["r1", "r2", "r3", "r4", "r5", "r6", "r7"],
                          "source_db": ["A", "B", "A", "A", "", "A", "B"],
                          "duplicate_of": ["", "r1", "", "r3", "r3", "", "p9"],
                          "dup_group": ["r1", "r1", "r3", "r3", "", "", "p9"]})
    got = source_contributions(table).values.tolist()
    assert got == [["A", 4, 1, 3, 1], ["B", 2, 2, 1, 0], ["Unknown source", 1, 1, 1, 0]]
    assert [list(r) for r in per_source_rows(table)] == got
    assert source_contributions(table.drop(columns=["source_db", "dup_group"])).values.tolist() == [
        ["Unknown source", 7, 4, 3, 3]]
    # a blank mark written by another tool (' ') is no mark, as in the PRISMA counts
    blank = table.assign(duplicate_of=["", "r1", "", "r3", "r3", " ", "p9"])
    assert source_contributions(blank).values.tolist() == got


def test_dedup_report_per_source_matches_the_headline(mixed):
    d = _run(mixed).report
    studies = sum(d.details["unique_per_source_after"].values())
    assert studies >= d.counts["unique"]          # a study found by two sources counts for both
    assert set(d.details["records_per_source_before"]) == set(mixed["source_db"].replace("", "Unknown source"))


def test_a_person_may_link_two_records_of_the_earlier_search(sample):
    """Earlier-search records are never linked by the matcher, but a stored 'duplicate'
    decision between two of them is honoured (it was stored, so it must not be ignored)."""
    assert _run(sample).records.set_index("record_id").loc["id_0000728B", "duplicate_of"] == ""
    log = pd.DataFrame({"seq": [1], "id_a": ["id_0000728"], "id_b": ["id_0000728B"], "decision": ["duplicate"]})
    out = _run(sample, dedup_decisions=log).records.set_index("record_id")
    assert out.loc["id_0000728B", "dup_group"] == out.loc["id_0000728", "dup_group"]
    assert "manual" in set(out["dup_rule"])


def test_previous_marks_of_records_listed_again_are_kept(sample):
    """`previous` lists an earlier run's table whose duplicates are rows here too: each keeps
    its earlier mark (rule 'previous'), even one a person made in the earlier review's
    dedup-review, instead of going back to the matcher (and the maybe queue)."""
    base = sample.drop(columns=["search_set"]).reset_index(drop=True)
    a, b = "SauerSeuring2023", "id_0000728"          # two different studies, joined by hand
    log = pd.DataFrame({"seq": [1], "id_a": [a], "id_b": [b], "decision": ["duplicate"]})
    earlier = _run(base, dedup_decisions=log).records.set_index("record_id")
    assert earlier.loc[a, "dup_group"] == earlier.loc[b, "dup_group"]
    plain = _run(base).records.set_index("record_id")
    assert plain.loc[a, "dup_group"] != plain.loc[b, "dup_group"]
    out = _run(base, previous=earlier.reset_index()).records.set_index("record_id")
    assert out.loc[a, "dup_group"] == out.loc[b, "dup_group"]
    assert "previous" in set(out["dup_rule"])


def test_a_linked_other_version_fills_no_citation_fields():
    """A preprint a reviewer linked to its journal article (UAT, gambling-harms review): the
    kept preprint must not be cited with the article's journal, volume and pages."""
    title = "Gambling-related harms: a qualitative study of affected others"
    rows = make_table(pd.DataFrame({
        "record_id": ["pre", "art"], "source_db": ["Lens", "Lens"],
        "title": [title, title], "authors": [["Ruiz, Ana", "Lee, Bo"]] * 2,
        "doi": ["10.31234/osf.io/fu4mj", "10.1186/s12889-022-13250-4"],
        "year": [2021, 2022], "publisher": ["Center for Open Science", ""],
        "journal": ["", "BMC Public Health"], "volume": ["", "22"], "issue": ["", "1"], "pages": ["", "839"],
        "issn": ["", "1471-2458"], "abstract": ["", "Background: harms to affected others."],
        "language": ["", "English"],
    }).to_dict("records"))
    log = pd.DataFrame({"seq": [1], "id_a": ["pre"], "id_b": ["art"], "decision": ["duplicate"]})
    out = _run(rows, dedup_decisions=log, unhashed={"decided": (("pre", 1),)}).records.set_index("record_id")
    assert out.loc["art", "duplicate_of"] == "pre"
    kept = out.loc["pre"]
    assert (kept["doi"], kept["year"], kept["publisher"]) == ("10.31234/osf.io/fu4mj", 2021, "Center for Open Science")
    assert (kept["journal"], kept["volume"], kept["issue"], kept["pages"], kept["issn"]) == ("", "", "", "", "")
    # what describes the study itself still comes from the other version
    assert kept["abstract"] == "Background: harms to affected others." and kept["language"] == "English"
    # and the kept record says where each merged value came from (UAT: only a diff of
    # ingest.parquet and dedup.parquet could tell)
    assert kept["merged_from"] == ["abstract: art", "language: art"]
    assert out.loc["art", "merged_from"] == []


def test_undecided_maybe_pairs_are_a_warning(pairs_table):
    """Acceptance testing: `screening run` showed only 'maybe_pairs=14' in its summary; nothing
    said that 14 pairs waited for a person (and were counted as separate records meanwhile)."""
    rows = pairs_table[pairs_table["pair"].isin(["13"])].reset_index(drop=True)   # recurring editorial: maybe
    ids = rows["record_id"].tolist()
    assert _run(rows).report.warnings == [
        "1 possible duplicate pair awaits a decision: run `screening dedup-review REVIEW`"]
    # a decided pair is not waiting (nor is one decided distinct); a reopened one is again
    log = pd.DataFrame({"seq": [1], "id_a": [ids[1]], "id_b": [ids[0]], "decision": ["distinct"]})
    assert not any("possible duplicate" in w for w in _run(rows, dedup_decisions=log).report.warnings)
    log = pd.concat([log, pd.DataFrame({"seq": [2], "id_a": [ids[0]], "id_b": [ids[1]], "decision": ["reopen"]})])
    assert any("1 possible duplicate pair awaits" in w for w in _run(rows, dedup_decisions=log).report.warnings)


# ---- the cache key: which screening decisions re-run dedup ------------------------------------

from pathlib import Path  # noqa: E402

PRISMA_FIX = Path(__file__).resolve().parents[1] / "fixtures" / "prisma"
MED, WOS, LENS = "medline_6_of_84-00006", "wos_10_of_278-00007", "lens_9_of_343-00008"   # one study
SOURCES = (("medline_6_of_84", "MEDLINE"), ("wos_10_of_278", "Web of Science"), ("lens_9_of_343", "Lens"))


def _decided_review(tmp_path, monkeypatch):
    import shutil

    import screening.runner as runner
    import screening.stages.dedup as stage

    monkeypatch.setattr(runner, "_load_post_steps", lambda: None)
    monkeypatch.setattr(runner, "POST_STEPS", {})
    raw = tmp_path / "data" / "raw" / "c"
    raw.mkdir(parents=True)
    text = '[review]\nname = "c"\n'
    for name, db in SOURCES:
        shutil.copy(PRISMA_FIX / f"{name}.ris", raw / f"{name}.ris")
        text += f'\n[[sources]]\nfile = "data/raw/c/{name}.ris"\ndatabase = "{db}"\n'
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "c.toml"
    toml.write_text(text + "\n[dedup]\n\n[rules]\n", encoding="utf-8")
    decided: dict[str, int] = {}       # record -> keep_first priority, as the screening log would say
    monkeypatch.setattr(stage, "decided_records", lambda review: tuple(sorted(decided.items())))

    def run(**now):
        decided.clear()
        decided.update({{"med": MED, "wos": WOS, "lens": LENS}[k]: p for k, p in now.items()})
        res = runner.run_review(toml)
        table = pd.read_parquet(tmp_path / "data" / "screened" / "c" / "dedup.parquet").set_index("record_id")
        return {o.stage: o.status for o in res.outcomes}, table.loc[MED, "dup_group"]

    return run


def test_a_decision_on_the_kept_record_does_not_rerun_dedup(tmp_path, monkeypatch):
    run = _decided_review(tmp_path, monkeypatch)
    status, kept = run()
    assert kept == MED                                       # the matcher's choice of the three
    status, kept = run(med=1)                                # screening the kept record
    assert (status["dedup"], status["apply_rules"], kept) == ("unchanged", "unchanged", MED)
    status, _ = run(med=0)                                   # ... and on to full text
    assert status["dedup"] == "unchanged"


def test_a_decision_that_can_change_the_kept_record_reruns_dedup(tmp_path, monkeypatch):
    run = _decided_review(tmp_path, monkeypatch)
    run()
    run(med=1)
    status, kept = run(med=1, wos=0)                         # a better-decided other member
    assert (status["dedup"], kept) == ("ran", WOS)
    status, kept = run(med=1, wos=0)
    assert status["dedup"] == "unchanged"
    status, kept = run(med=1, wos=0, lens=2)                 # a non-kept member assigned: named in the report
    assert (status["dedup"], kept) == ("ran", WOS)
    status, kept = run(med=1, lens=2)                        # the kept record's decision undone
    assert (status["dedup"], kept) == ("ran", MED)
    status, kept = run(med=1, lens=1)                        # a tie with the kept record: the usual order decides
    assert status["dedup"] == "ran"
    status, kept = run()                                     # all undone: the matcher's choice again
    assert (status["dedup"], kept) == ("ran", MED)
    assert run()[0]["dedup"] == "unchanged"
    status, kept = run(wos=1)                                # kept for its decision, not the usual choice
    assert (status["dedup"], kept) == ("ran", WOS)
    status, kept = run(wos=0, med=1)
    assert (status["dedup"], kept) == ("ran", WOS)
    status, kept = run(wos=1, med=1)            # its full-text decision undone: tied with the usual choice,
    assert (status["dedup"], kept) == ("ran", MED)                          # which wins the tie


def test_decision_key_never_hides_a_change_of_output():
    """Any sequence of decision sets on one table: whenever the key read against the stored
    output matches the stored key, a fresh run with the current decisions gives that output."""
    from hypothesis import given, settings, strategies as st

    from screening.dedup.files import load_input_table
    from screening.stages.dedup import _decision_key, rekey

    table, _ = load_input_table([PRISMA_FIX / f"{n}.ris" for n, _ in SOURCES])
    first = run(table, CFG, StageInputs())
    grouped = sorted({r for r, g in zip(first.records["record_id"], first.records["dup_group"])
                      if (first.records["dup_group"] == g).sum() > 1})
    ids = grouped[:6] + [r for r in table["record_id"] if r not in grouped][:2]

    def dedup(decided):
        inputs = StageInputs(unhashed={"decided": decided})
        res = run(table, CFG, inputs)
        return res, rekey(inputs, res).extra["decided_in_groups"]

    decisions = st.lists(st.dictionaries(st.sampled_from(ids), st.integers(0, 2), max_size=4), min_size=1, max_size=5)

    @settings(max_examples=40, deadline=None)
    @given(decisions)
    def check(steps):
        stored, key = dedup(())
        for step in steps:
            decided = tuple(sorted(step.items()))
            before = tuple(tuple(d) for d in stored.report.details["decided_in_groups"])
            if _decision_key(decided, stored.records[["record_id", "dup_group"]], before) == key:
                fresh = run(table, CFG, StageInputs(unhashed={"decided": decided}))
                assert table_hash(fresh.records) == table_hash(stored.records)
                # all but the record of which decisions the stored output was made with
                a, b = fresh.report.to_dict(), stored.report.to_dict()
                a["details"].pop("decided_in_groups"), b["details"].pop("decided_in_groups")
                assert a == b
            else:
                stored, key = dedup(decided)

    check()


TRIAL = "Effects of a long intervention programme on outcomes in adults with chronic disease: a randomised trial"


def _versions(rows, links, keep):
    from screening.dedup.api import deduplicate

    dec = pd.DataFrame([dict(seq=i + 1, id_a=a, id_b=b, decision="duplicate") for i, (a, b) in enumerate(links)])
    return deduplicate(make_table(rows), decisions=dec, keep_first=keep).table.set_index("record_id")


def test_a_group_with_two_versions_never_cites_a_mix_of_them():
    """Code review: the version check was pair by pair, so a copy without a DOI (the article's
    PsycInfo record) still gave a kept preprint the article's volume and pages, and a kept
    record without a DOI took the preprint's DOI next to the article's volume."""
    a = ["Smith, J", "Doe, K"]
    out = _versions([
        dict(record_id="p1", title=TRIAL, authors=a, year=2021, journal="medRxiv", doi="10.1101/2020.01.01.123"),
        dict(record_id="j1", title=TRIAL, authors=a, year=2021, journal="Nature Medicine", doi="10.1038/s41591-021-1"),
        dict(record_id="y1", title=TRIAL, authors=a, year=2021, journal="Nature Medicine", volume="27", issue="3",
             pages="100-110"),
    ], [("j1", "p1")], {"p1": 1})
    assert out.loc["y1", "duplicate_of"] == "p1"
    assert tuple(out.loc["p1", ["journal", "volume", "issue", "pages"]]) == ("medRxiv", "", "", "")
    # a kept record without DOI or PMID takes them, and the rest, from the version its journal names
    out = _versions([
        dict(record_id="x1", title=TRIAL, authors=a, year=2021, journal="Nature Medicine"),
        dict(record_id="p1", title=TRIAL, authors=a, year=2021, journal="medRxiv", doi="10.1101/2020.01.01.123",
             pmid="33333333", abstract="Background: preprint.", publisher="Cold Spring Harbor"),
        dict(record_id="j1", title=TRIAL, authors=a, year=2021, journal="Nature Medicine", doi="10.1038/s41591-021-1",
             volume="27"),
    ], [("j1", "p1"), ("j1", "x1")], {"x1": 0})
    x1 = out.loc["x1"]
    assert (x1["doi"], x1["volume"], x1["pmid"], x1["publisher"]) == ("10.1038/s41591-021-1", "27", "", "")
    assert x1["abstract"] == "Background: preprint." and x1["merged_from"] == ["abstract: p1", "doi: j1", "volume: j1"]


def test_provenance_of_a_merged_value_outlives_the_link():
    """Code review: after a person called two linked records distinct, the kept one still held
    the other's abstract but its merged_from entry was dropped."""
    from screening.dedup.api import deduplicate

    rows = make_table([dict(record_id="a1", title=TRIAL, authors=["Smith, J"], year=2021, journal="J", doi="10.1/a"),
                       dict(record_id="b1", title=TRIAL, authors=["Smith, J"], year=2021, journal="J", doi="10.1/a",
                            abstract="Abstract of b")])
    first = deduplicate(rows, keep_first={"a1": 1}).table        # a1 decided: kept, takes b1's abstract
    assert first.set_index("record_id").loc["a1", "merged_from"] == ["abstract: b1"]
    apart = pd.DataFrame([dict(seq=1, id_a="a1", id_b="b1", decision="distinct")])
    again = deduplicate(first, decisions=apart, keep_first={"a1": 1}).table.set_index("record_id")
    assert again.loc["b1", "duplicate_of"] == ""
    assert again.loc["a1", "abstract"] == "Abstract of b"
    assert again.loc["a1", "merged_from"] == ["abstract: b1 (no longer a duplicate)"]


def test_a_file_repeating_another_is_warned_of():
    """UAT (search update): an edited copy of the PubMed export, added as a new source, only
    made the duplicate count grow."""
    from screening.stages.dedup import repeated_export_warnings

    n = 25
    table = pd.DataFrame({
        "record_id": [f"a-{i}" for i in range(n)] + [f"b-{i}" for i in range(n)] + [f"c-{i}" for i in range(n)],
        "source_file": ["pubmed.ris"] * n + ["pubmed_rerun.ris"] * n + ["scopus.ris"] * n,
        "duplicate_of": [""] * n + [f"a-{i}" for i in range(n)] + [f"a-{i}" if i < 10 else "" for i in range(n)],
        "source_db": ["PubMed"] * (2 * n) + ["Scopus"] * n,
    })
    # a database wholly inside another (MEDLINE within Dimensions) is normal, not a repeat
    assert repeated_export_warnings(table.assign(source_db=["PubMed"] * n + ["Dimensions"] * n + ["Scopus"] * n)) == []
    assert repeated_export_warnings(table) == [
        "pubmed_rerun.ris repeats pubmed.ris: 25 of its 25 records are in that file too (the same search "
        "exported twice, or an edited copy?); if so, keep one of them in [[sources]] (an update search that "
        "found little new is fine as it is)"]
    # acceptance testing (session 16): a re-exported Scopus file in a review with PubMed. Most of
    # the copies are kept as the PubMed record, so the kept record is in neither Scopus file
    # (the check looked only at where the kept record was, and said nothing)
    scopus_rerun = pd.DataFrame({
        "record_id": [f"d-{i}" for i in range(n)], "source_file": ["scopus_rerun.ris"] * n,
        "duplicate_of": [f"a-{i}" if i < 10 else f"c-{i}" for i in range(n)], "source_db": ["Scopus"] * n})
    assert repeated_export_warnings(pd.concat([table, scopus_rerun], ignore_index=True))[-1].startswith(
        "scopus_rerun.ris repeats scopus.ris: 25 of its 25 records are in that file too")
    # a re-run API search's saved pages are the search log's business, not [[sources]]
    pages = table.assign(source_file=["data/raw/t/searches/a/page-0001.xml"] * n + ["data/raw/t/searches/b/page-0001.xml"] * n
                         + ["scopus.ris"] * n)
    assert repeated_export_warnings(pages) == []


def test_the_review_state_hash_does_not_depend_on_whether_dedup_was_reused(tmp_path, monkeypatch):
    """Acceptance testing: `run --force` with nothing changed gave the citation's state hash
    a new value, because a dedup output reused after a decision on a kept record and the same
    output made afresh differ in their cache bookkeeping (``decided_in_groups``) only."""
    import screening.runner as runner
    from screening.config import load_review
    from screening.prisma.state import load_state

    run = _decided_review(tmp_path, monkeypatch)
    run()
    status, _ = run(med=1)
    assert status["dedup"] == "unchanged"
    toml = tmp_path / "pipelines" / "c.toml"
    reused = load_state(load_review(toml)).state_hash
    report = tmp_path / "data" / "screened" / "c" / "dedup.json"
    before = json.loads(report.read_text())
    runner.run_review(toml, force=True)
    after = json.loads(report.read_text())
    assert before["details"]["decided_in_groups"] != after["details"]["decided_in_groups"]   # the case
    assert load_state(load_review(toml)).state_hash == reused


def test_the_kept_record_takes_the_original_language_title_from_its_copy():
    """A translated MEDLINE title (TT: the original) and the Embase copy without it: the kept
    record must not lose the title in the language of publication (acceptance 35 leftover)."""
    title = "Hip fracture surgery in patients over ninety years: a cohort study"
    rows = make_table(pd.DataFrame({
        "record_id": ["emb", "med"], "source_db": ["Embase", "MEDLINE"],
        "title": [title, title], "authors": [["Ødegård, S", "Strauß, H"], ["Odegard, S", "Strauss, H"]],
        "doi": ["10.4045/tidsskr.19.0123"] * 2, "year": [2020, 2020],
        "journal": ["Tidsskrift for den Norske Laegeforening", "Tidsskr Nor Laegeforen"],
        "abstract": ["Background: a cohort of patients over ninety.", ""],
        "volume": ["140", "140"], "pages": ["12-18", "12-18"],
        "title_original": ["", "Hoftebruddkirurgi hos pasienter over nitti år: en kohortstudie"],
    }).to_dict("records"))
    out = _run(rows).records.set_index("record_id")
    assert out.loc["med", "duplicate_of"] == "emb"
    kept = out.loc["emb"]
    assert kept["title_original"] == "Hoftebruddkirurgi hos pasienter over nitti år: en kohortstudie"
    assert "title_original: med" in kept["merged_from"]
