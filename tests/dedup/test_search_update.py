"""A search update inside a review: new exports added to [[sources]] after screening began.

Real records (tests/fixtures/prisma): Web of Science is searched first and screened; MEDLINE and
Lens are added later. Their copies of three screened WoS records are more complete, so the
matcher alone would keep them and the WoS decisions would fall out of play.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import screening.runner as runner
from screening.decisions.api import record_decision
from screening.errors import ConfigError
from screening.records import read_table
from screening.record_marks import in_play
from screening.runner import run_review

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "prisma"
WOS = "wos_10_of_278"
# WoS records with a copy in MEDLINE or Lens (found by DOI), and the copy the matcher prefers
COPIED = {f"{WOS}-00007": "medline_6_of_84-00006", f"{WOS}-00008": "medline_6_of_84-00002",
          f"{WOS}-00009": "lens_9_of_343-00006", f"{WOS}-00010": "medline_6_of_84-00005"}


@pytest.fixture(autouse=True)
def no_post_steps(monkeypatch):
    monkeypatch.setattr(runner, "_load_post_steps", lambda: None)
    monkeypatch.setattr(runner, "POST_STEPS", {})


def _source(name: str, db: str) -> str:
    return f'\n[[sources]]\nfile = "data/raw/u/{name}.ris"\ndatabase = "{db}"\n'


def _review(tmp_path: Path, *sources: tuple[str, str], extra: str = "\n[dedup]\n") -> Path:
    raw = tmp_path / "data" / "raw" / "u"
    raw.mkdir(parents=True, exist_ok=True)
    for name, _ in sources:
        shutil.copy(FIX / f"{name}.ris", raw / f"{name}.ris")
    (tmp_path / "pipelines").mkdir(exist_ok=True)
    toml = tmp_path / "pipelines" / "u.toml"
    toml.write_text('[review]\nname = "u"\n' + "".join(_source(n, d) for n, d in sources) + extra,
                    encoding="utf-8")
    return toml


def _dedup(toml: Path):
    return read_table(toml.parent.parent / "data" / "screened" / "u" / "dedup.parquet").set_index("record_id")


def test_matcher_alone_keeps_the_other_databases_copy(tmp_path):
    # the premise of the next test: without decisions the MEDLINE/Lens copies are kept
    toml = _review(tmp_path, (WOS, "Web of Science"), ("medline_6_of_84", "MEDLINE"), ("lens_9_of_343", "Lens"))
    run_review(toml)
    out = _dedup(toml)
    assert {w: out.loc[w, "duplicate_of"] for w in COPIED} == COPIED


def test_screened_records_stay_kept_when_a_search_update_adds_copies(tmp_path):
    toml = _review(tmp_path, (WOS, "Web of Science"))
    run_review(toml)
    before = _dedup(toml)
    screened = [f"{WOS}-00007", f"{WOS}-00008", f"{WOS}-00009"]
    for rid, action in zip(screened, ("include", "exclude", "include")):
        record_decision(toml, reviewer="alice", record_id=rid, action=action)

    for name in ("medline_6_of_84", "lens_9_of_343"):
        shutil.copy(FIX / f"{name}.ris", tmp_path / "data" / "raw" / "u" / f"{name}.ris")
    toml.write_text(toml.read_text(encoding="utf-8") + _source("medline_6_of_84", "MEDLINE")
                    + _source("lens_9_of_343", "Lens"), encoding="utf-8")
    run_review(toml)
    out = _dedup(toml)
    # earlier ids unchanged; the screened records are kept, their new copies marked
    assert set(before.index) <= set(out.index)
    for rid in screened:
        assert out.loc[rid, "duplicate_of"] == ""
        assert out.loc[COPIED[rid], "duplicate_of"] == rid
        assert in_play(out.loc[[rid]].reset_index()).all()
    # an unscreened earlier record may still give way to a more complete copy
    assert out.loc[f"{WOS}-00010", "duplicate_of"] == COPIED[f"{WOS}-00010"]
    # the kept record's own text is not overwritten by its copy's
    assert out.loc[f"{WOS}-00007", "title"] == before.loc[f"{WOS}-00007", "title"]
    assert {"MEDLINE", "Web of Science"} <= set(out.loc[f"{WOS}-00007", "found_in"])
    report = (toml.parent.parent / "data" / "screened" / "u" / "dedup.json").read_text(encoding="utf-8")
    assert '"kept_for_decisions": 3' in report


def test_previous_may_list_records_the_review_also_ingests(tmp_path):
    """`[dedup] previous` naming an earlier table whose records are also sources here: those
    rows are the earlier search and stay kept, though MEDLINE's new copies are more complete."""
    first = _review(tmp_path / "a", (WOS, "Web of Science"))
    run_review(first)
    earlier = tmp_path / "earlier_dedup.parquet"
    shutil.copy(first.parent.parent / "data" / "screened" / "u" / "dedup.parquet", earlier)

    toml = _review(tmp_path / "b", (WOS, "Web of Science"), ("medline_6_of_84", "MEDLINE"),
                   extra=f'\n[dedup]\nprevious = "{earlier.as_posix()}"\n')
    run_review(toml)
    out = _dedup(toml)
    for wos, medline in ((f"{WOS}-00007", "medline_6_of_84-00006"), (f"{WOS}-00008", "medline_6_of_84-00002")):
        assert out.loc[wos, "duplicate_of"] == "" and out.loc[medline, "duplicate_of"] == wos
    report = (toml.parent.parent / "data" / "screened" / "u" / "dedup.json").read_text(encoding="utf-8")
    assert '"previous_records": 10' in report


def test_kept_choice_follows_how_far_records_were_decided(tmp_path):
    """Full text before title/abstract before merely assigned before the matcher's choice."""
    from screening.dedup.files import load_input_table
    from screening.dedup.api import deduplicate

    table, _ = load_input_table([FIX / f"{n}.ris" for n in ("medline_6_of_84", WOS, "lens_9_of_343")])
    med, wos, lens = "medline_6_of_84-00006", f"{WOS}-00007", "lens_9_of_343-00008"

    def kept(first):
        out = deduplicate(table, keep_first=first).table.set_index("record_id")
        return out.loc[med, "dup_group"]

    assert kept({}) == med
    assert kept({wos: 2}) == wos
    assert kept({wos: 1, lens: 2}) == wos
    assert kept({wos: 1, lens: 0}) == lens
    res = deduplicate(table, keep_first={wos: 1, lens: 0})
    assert res.counts["kept_for_decisions"] == 1
    assert res.details["kept_first_but_duplicates"] == [
        {"record_id": wos, "duplicate_of": lens, "priority": 1}]


def test_two_decided_records_joined_later_warn_and_decisions_outside_groups_do_not_rerun(tmp_path):
    """A dedup-review decision joins two screened records: one is kept, and the run names the
    other, whose decisions stop counting. A decision on a record with no duplicate leaves dedup
    (and the rules after it) unchanged; one on a grouped record re-runs it."""
    from screening.dedup.store import record_decision as record_pair

    toml = _review(tmp_path, (WOS, "Web of Science"), extra="\n[dedup]\n\n[rules]\n")
    run_review(toml)
    a, b = f"{WOS}-00001", f"{WOS}-00002"
    record_decision(toml, reviewer="alice", record_id=a, action="include")
    record_decision(toml, reviewer="alice", record_id=b, action="exclude")
    outcomes = {o.stage: o.status for o in run_review(toml).outcomes}
    assert outcomes["dedup"] == "unchanged" and outcomes["apply_rules"] == "unchanged"

    record_pair(toml.parent.parent / "data" / "screened" / "u", a, b, "duplicate", reviewer="alice")
    res = run_review(toml)
    (dedup,) = [o for o in res.outcomes if o.stage == "dedup"]
    assert dedup.status == "ran"
    out = _dedup(toml)
    # both decided at title/abstract: the more complete record (b) is kept
    assert out.loc[a, "duplicate_of"] == b and out.loc[b, "duplicate_of"] == ""
    (warning,) = [w for w in dedup.report.warnings if "screening decisions" in w]
    assert f"{a} (duplicate of {b})" in warning and "1 record has" in warning

    run_review(toml)     # the cache key now knows a and b share a group (read from the last output)
    record_decision(toml, reviewer="alice", record_id=b, action="include")   # still title/abstract
    record_decision(toml, reviewer="alice", record_id=f"{WOS}-00003", action="include")
    assert {o.stage: o.status for o in run_review(toml).outcomes}["dedup"] == "unchanged"


def test_previous_naming_the_reviews_own_table_is_refused(tmp_path):
    toml = _review(tmp_path, (WOS, "Web of Science"),
                   extra='\n[dedup]\nprevious = "data/screened/u/dedup.parquet"\n')
    (tmp_path / "data" / "screened" / "u").mkdir(parents=True)
    with pytest.raises(ConfigError, match="review's own outputs") as e:
        run_review(toml)
    assert "[[sources]]" in e.value.hint


def test_a_distinct_decision_that_blocks_a_doi_match_elsewhere_is_reported():
    """MEDLINE, WoS and Lens hold one article (same DOI). A person marks the MEDLINE and WoS
    copies distinct: Lens can then join only one of them, and the DOI link it loses is named
    in a warning with the decision to withdraw, not dropped silently."""
    import pandas as pd

    from screening.dedup.files import load_input_table
    from screening.stage import StageInputs
    from screening.stages.dedup import DedupConfig, run

    table, _ = load_input_table([FIX / f"{n}.ris" for n in ("medline_6_of_84", WOS, "lens_9_of_343")])
    med, wos = "medline_6_of_84-00006", f"{WOS}-00007"
    assert run(table, DedupConfig(), StageInputs()).report.warnings == []
    log = pd.DataFrame({"seq": [1], "id_a": [med], "id_b": [wos], "decision": ["distinct"]})
    res = run(table, DedupConfig(), StageInputs(dedup_decisions=log))
    out = res.records.set_index("record_id")
    assert out.loc[med, "dup_group"] != out.loc[wos, "dup_group"]
    (refused,) = res.report.details["links_refused_by_decisions"]
    assert refused["rule"] == "doi" and sorted(refused["distinct_pair"]) == sorted([med, wos])
    (warning,) = res.report.warnings
    assert "match by doi but were not linked" in warning and f"--pair {med} {wos} --reopen" in warning


def test_the_kept_record_carries_every_copys_document_type(tmp_path):
    """Scopus says Letter/Note/Editorial in M3 where another database's RIS says only JOUR: the
    kept record's publication_type holds both, so a publication-type rule sees the letter
    whichever copy is kept (real Scopus records; the copy is the same export without M3)."""
    from screening.dedup.api import deduplicate
    from screening.dedup.files import load_input_table

    src = Path(__file__).resolve().parents[1] / "fixtures" / "exports" / "ris_scopus_doctypes.ris"
    text = src.read_text(encoding="utf-8")
    plain = tmp_path / "other_db.ris"
    plain.write_text("\n".join(line for line in text.splitlines() if not line.startswith("M3  -")) + "\n",
                     encoding="utf-8")
    table, _ = load_input_table([plain, src])
    out = deduplicate(table, keep_first={f"other_db-0000{i}": 2 for i in range(1, 9)}).table   # assigned
    kept = out[out["duplicate_of"] == ""].set_index("record_id")
    assert len(kept) == 8 and all(r.startswith("other_db") for r in kept.index)
    types = {r: list(t) for r, t in kept["publication_type"].items()}
    assert types["other_db-00003"] == ["JOUR", "Letter"] and types["other_db-00004"] == ["JOUR", "Note"]
    assert types["other_db-00006"] == ["JOUR", "Erratum"]
    dup = out.set_index("record_id")
    assert list(dup.loc["ris_scopus_doctypes-00003", "publication_type"]) == ["JOUR", "Letter"]  # copy untouched
    # without any decision log (a first run) the kept record, whichever it is, gets the union
    # and its empty fields filled from its copy
    plain_run = deduplicate(table).table
    kept0 = plain_run[plain_run["duplicate_of"] == ""].set_index("record_id")
    letter = [list(t) for r, t in kept0["publication_type"].items() if r.endswith("-00003")]
    assert letter == [["JOUR", "Letter"]]
    bare = table.assign(abstract=[("" if r.startswith("other_db") else a)
                                  for r, a in zip(table["record_id"], table["abstract"])])
    filled = deduplicate(bare, keep_first={"other_db-00001": 2}).table.set_index("record_id")
    assert filled.loc["other_db-00001", "abstract"] == table.set_index("record_id").loc[
        "ris_scopus_doctypes-00001", "abstract"] != ""
    # a record people have decided on is merged into as well: skipping it would drop what
    # earlier runs merged in, i.e. what the reviewers saw (every run merges afresh)
    decided = deduplicate(table, keep_first={f"other_db-0000{i}": 1 for i in range(1, 9)}).table
    kept = decided[decided["duplicate_of"] == ""].set_index("record_id")
    assert list(kept.loc["other_db-00003", "publication_type"]) == ["JOUR", "Letter"]


def test_a_manual_duplicate_takes_both_records_exact_doi_copies_along():
    """A person joins two MEDLINE records; each has copies in WoS and Lens with its own DOI.
    The copies follow their record into the one group instead of being refused against the
    other record (different title and year) and left to be screened again."""
    import pandas as pd

    from screening.dedup.api import deduplicate
    from screening.dedup.files import load_input_table

    table, _ = load_input_table([FIX / f"{n}.ris" for n in ("medline_6_of_84", WOS, "lens_9_of_343")])
    a, b = "medline_6_of_84-00006", "medline_6_of_84-00002"
    before = deduplicate(table).table.set_index("record_id")
    copies = sorted(before.index[before["dup_group"].isin([before.loc[a, "dup_group"], before.loc[b, "dup_group"]])])
    assert len(copies) == 6
    log = pd.DataFrame({"seq": [1], "id_a": [a], "id_b": [b], "decision": ["duplicate"]})
    out = deduplicate(table, decisions=log).table.set_index("record_id")
    assert out.loc[copies, "dup_group"].nunique() == 1
    assert out.loc[copies, "duplicate_of"].eq("").sum() == 1


def test_marks_pointing_two_searches_back_are_kept():
    """Search 1: WoS. Search 2 (MEDLINE + Lens) deduplicated against it: copies marked as
    duplicates of WoS records. Search 2 run again against its own earlier table (which holds
    no WoS rows) keeps those marks instead of putting the copies back into screening."""
    from screening.dedup.api import deduplicate
    from screening.dedup.files import load_input_table

    run1 = deduplicate(load_input_table([FIX / f"{WOS}.ris"])[0]).table
    new, _ = load_input_table([FIX / "medline_6_of_84.ris", FIX / "lens_9_of_343.ris"])
    run2 = deduplicate(new, previous=run1).table.set_index("record_id")
    marked = run2.index[run2["duplicate_of"].str.startswith(WOS)]
    assert len(marked) >= 4
    run3 = deduplicate(new, previous=run2.reset_index()).table.set_index("record_id")
    for rid in marked:
        assert run3.loc[rid, "duplicate_of"] == run2.loc[rid, "duplicate_of"], rid
    assert run3["duplicate_of"].ne("").sum() == run2["duplicate_of"].ne("").sum()


def test_a_persons_duplicate_decision_is_not_capped_and_a_blocked_one_is_reported():
    import pandas as pd

    from screening.dedup import cluster
    from screening.dedup.api import deduplicate
    from screening.dedup.files import load_input_table

    table, _ = load_input_table([FIX / f"{n}.ris" for n in ("medline_6_of_84", WOS, "lens_9_of_343")])
    med, med2, wos = "medline_6_of_84-00006", "medline_6_of_84-00002", f"{WOS}-00007"
    old_cap = cluster.MAX_GROUP
    try:
        cluster.MAX_GROUP = 3               # both groups hold 3 records: joined they exceed it
        log = pd.DataFrame({"seq": [1], "id_a": [med], "id_b": [med2], "decision": ["duplicate"]})
        out = deduplicate(table, decisions=log).table.set_index("record_id")
        assert out.loc[med, "dup_group"] == out.loc[med2, "dup_group"]
    finally:
        cluster.MAX_GROUP = old_cap
    # a duplicate decision that a distinct decision contradicts is reported, not dropped quietly
    log = pd.DataFrame({"seq": [1, 2], "id_a": [med, wos], "id_b": [med2, med2],
                        "decision": ["duplicate", "distinct"]})
    res = deduplicate(table, decisions=log)
    (conflict,) = res.details["decision_conflicts"]        # med = wos by DOI: med = med2 and wos != med2
    assert [(d["id_a"], d["id_b"]) for d in conflict["duplicate"]] == [tuple(sorted((med, med2)))]
    assert [(d["id_a"], d["id_b"]) for d in conflict["distinct"]] == [tuple(sorted((wos, med2)))]
