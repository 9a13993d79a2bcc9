"""Regressions found by auditing dedup on real exports: each test runs the records that went
wrong, trimmed byte-exact into tests/fixtures/dedup_cases (provenance in its SOURCES.md), through
ingest and dedup. Record ids are mapped back to the ids a whole-file ingest gives them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screening.dedup.api import deduplicate
from screening.dedup.cluster import contradicts
from screening.dedup.compare import DISTINCT, DUPLICATE, MAYBE, compare
from screening.dedup import normalise
from screening.dedup.journal_names import journal_variants, journals_compatible
from screening.dedup.normalise import keys_for_table
from screening.stages.ingest import ingest_paths

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "dedup_cases"

CENTRAL = ("cochrane_central_favipiravir_7.ris", "Cochrane CENTRAL", "cochrane_central_ris_favipiravir",
           (17, 40, 65, 66, 126, 132, 133))
PUBMED = ("pubmed_favipiravir_2.ris", "PubMed", "pubmed_ris_via_zotero_favipiravir", (277, 348))
ASYSD = "asysd_incretin_8.csv"


def _load(*files: tuple[str, str, str, tuple[int, ...]]) -> pd.DataFrame:
    """Ingest trimmed files, giving each record the id a whole-file ingest gives it."""
    frames = []
    for name, database, prefix, numbers in files:
        table = ingest_paths([CASES / name], database=database).records
        assert len(table) == len(numbers), name
        frames.append(table.assign(record_id=[f"{prefix}-{n:05d}" for n in numbers]))
    return pd.concat(frames, ignore_index=True)


def _pair(table: pd.DataFrame, id_a: str, id_b: str):
    keys = keys_for_table(table)
    ids = table["record_id"].tolist()
    return keys[ids.index(id_a)], keys[ids.index(id_b)]


def _group(out, rid: str) -> set[str]:
    t = out.table
    group = t.loc[t["record_id"] == rid, "dup_group"].iloc[0]
    return set(t.loc[t["dup_group"] == group, "record_id"])


def _maybe(out) -> set[frozenset[str]]:
    return {frozenset((p.id_a, p.id_b)) for p in out.maybe_pairs}


# 1. different registered trials ------------------------------------------------------------

@pytest.mark.parametrize("a, b", [("00065", "00066"), ("00132", "00133")])
def test_registry_records_of_different_trials_stay_apart(a, b):
    """CENTRAL registry records put the trial id in the author field and the registry URL in the
    journal field: 'EUCTR2020-005128-12-LT' ('... with Mild Pneumonia') was merged with
    'EUCTR2020-005214-18-LT' ('... without Pneumonia'), and two TCTR trials of identical title."""
    table = _load(CENTRAL)
    id_a, id_b = f"cochrane_central_ris_favipiravir-{a}", f"cochrane_central_ris_favipiravir-{b}"
    assert id_b not in _group(deduplicate(table), id_a)
    ka, kb = _pair(table, id_a, id_b)
    verdict = compare(ka, kb)
    assert verdict.outcome == DISTINCT and verdict.rule == "registry", verdict
    assert contradicts(ka, kb), "no group may hold both either"
    assert not ka.families and not kb.families, "a registry id is not an author"


def test_registry_ids_found_and_spelled_one_way():
    table = _load(CENTRAL)
    ka, kb = _pair(table, "cochrane_central_ris_favipiravir-00065", "cochrane_central_ris_favipiravir-00132")
    # author field, registry URL in the journal field: one id each, the member state dropped
    assert ka.registry == {"EUCTR202000512812"} and kb.registry == {"TCTR20211126004"}
    # a journal article names no registry id: nothing to contradict
    kc, _ = _pair(table, "cochrane_central_ris_favipiravir-00040", "cochrane_central_ris_favipiravir-00017")
    assert kc.registry == frozenset()


@pytest.mark.parametrize("text, ids", [
    # author / journal fields and C3 cross-ids of other registry records in the same CENTRAL export
    ("CTRI/2020/06/025799", {"CTRI202006025799"}),
    ("https://trialsearch.who.int/Trial2.aspx?TrialID=JPRN-JapicCTI-205238", {"JAPICCTI205238"}),
    ("JapicCTI-205238", {"JAPICCTI205238"}),
    ("jRCTs041190120", {"JRCTS041190120"}),
    ("RBR-85vh8fx", {"RBR85VH8FX"}),
    ("IRCT20190706044111N26", {"IRCT20190706044111N26"}),
    ("https://clinicaltrials.gov/show/NCT05155527", {"NCT05155527"}),
    ("ICTRP EUCTR2020\u2010005128\u201012\u2010LT", {"EUCTR202000512812"}),   # Cochrane's U+2010 hyphens
    ("Clinical infectious diseases", set()),
])
def test_registry_id_spellings(text, ids):
    assert normalise.registry_ids(text) == ids


# 2. two abstracts under one supplement DOI ---------------------------------------------------

def test_shared_supplement_doi_does_not_merge_abstracts_on_other_pages():
    """ASySD 494 (p. 51; Chen, Wang, Liang) and 493 (p. 52; five authors, another abstract) share
    the DOI 10.1002/dmrr.2604 and near-identical titles: they were one group of 8 by rule doi."""
    table = ingest_paths([CASES / ASYSD]).records
    ka, kb = _pair(table, "494", "493")
    verdict = compare(ka, kb)
    assert verdict.outcome == MAYBE and verdict.rule != "doi", verdict
    out = deduplicate(table)
    assert _group(out, "494") == {"494", "1238", "1561", "1733"}     # page 51
    assert _group(out, "493") == {"493", "1237", "1560", "1732"}     # page 52
    # one question for the two groups (it was asked once per record pair: 10 times)
    (asked,) = out.maybe_pairs
    assert {frozenset(asked.members_a), frozenset(asked.members_b)} == {
        frozenset(_group(out, "494")), frozenset(_group(out, "493"))} and asked.pairs == 10


def test_online_first_and_print_copy_under_one_doi_still_merge():
    """Lens has the online-first copy (2019, pages 1-17), Scopus the print issue (2021, 891-907):
    one DOI, same title and authors, different pages."""
    table = _load(("lens_gambling_1.ris", "Lens", "lens_ris_citesource_gambling", (14,)),
                  ("scopus_gambling_1.ris", "Scopus", "scopus_ris_citesource_gambling", (82,)))
    ka, kb = _pair(table, "lens_ris_citesource_gambling-00014", "scopus_ris_citesource_gambling-00082")
    assert ka.first_page != kb.first_page
    verdict = compare(ka, kb)
    assert verdict.outcome == DUPLICATE and verdict.rule == "doi", verdict


# 3. a number in the title vs an identical DOI or PMID -----------------------------------------

@pytest.mark.parametrize("a, b", [
    ("cochrane_central_ris_favipiravir-00126", "cochrane_central_ris_favipiravir-00040"),   # DOI and PMID
    ("pubmed_ris_via_zotero_favipiravir-00277", "cochrane_central_ris_favipiravir-00017"),  # DOI only
])
def test_same_doi_outweighs_covid_19_vs_coronavirus_disease_2019(a, b):
    table = _load(CENTRAL, PUBMED)
    ka, kb = _pair(table, a, b)
    assert ka.numbers != kb.numbers
    assert compare(ka, kb).outcome == DUPLICATE
    assert not contradicts(ka, kb)
    assert b in _group(deduplicate(table), a)


def test_all_copies_of_one_trial_report_form_one_group():
    """CENTRAL 126 (2021, online) and 40 (2022, print) and PubMed 348: one DOI and PMID; the
    group guard must not refuse the join for the title numbers either."""
    out = deduplicate(_load(CENTRAL, PUBMED))
    assert {"cochrane_central_ris_favipiravir-00040", "cochrane_central_ris_favipiravir-00126",
            "pubmed_ris_via_zotero_favipiravir-00348"} <= _group(out, "cochrane_central_ris_favipiravir-00126")


def test_same_doi_outweighs_a_chapter_number_in_the_title():
    """Dimensions keeps the chapter number ('21 Health Effects of Air Pollution Episodes'), Lens
    does not; same DOI, same pages 461-482."""
    table = _load(("dimensions_wildfire_1.ris", "Dimensions", "dimensions_246", (102,)),
                  ("lens_wildfire_1.ris", "Lens", "lens_343", (266,)))
    ka, kb = _pair(table, "dimensions_246-00102", "lens_343-00266")
    assert compare(ka, kb).outcome == DUPLICATE
    assert _group(deduplicate(table), "lens_343-00266") == {"dimensions_246-00102", "lens_343-00266"}


# 4. 'Name: Subtitle' journal names ------------------------------------------------------------

MEDLINE_ID, EMBASE_ID = "ovid_medline_central_ris_colandr_mckeown", "ovid_embase_central_ris_colandr_mckeown"
COLANDR_MEDLINE = ("ovid_medline_central_colandr_3.ris", "", MEDLINE_ID, (29, 384, 988))
COLANDR_EMBASE = ("ovid_embase_central_colandr_2.ris", "", EMBASE_ID, (42, 698))


def test_journal_subtitle_without_space_before_colon():
    """MEDLINE 'Explore (New York, N.Y.)' vs Embase 'Explore: The Journal of Science and Healing',
    'Can mushrooms help save the world?' (2006, 2(2)): one interview."""
    assert journals_compatible(journal_variants("Explore (New York, N.Y.)"),
                               journal_variants("Explore: The Journal of Science and Healing"))
    table = _load(COLANDR_MEDLINE, COLANDR_EMBASE)
    ka, kb = _pair(table, f"{MEDLINE_ID}-00384", f"{EMBASE_ID}-00698")
    assert compare(ka, kb).outcome == DUPLICATE
    assert f"{EMBASE_ID}-00698" in _group(deduplicate(table), f"{MEDLINE_ID}-00384")


# 5. online-first copy with the placeholder page '1' ---------------------------------------------

def test_online_first_copy_with_page_one_goes_to_a_person():
    """MEDLINE: Psychopharmacology 2018, 235(2):399-408; CENTRAL via Ovid: 2017, page '1', no
    volume. Same title and authors: a maybe-pair, not silently distinct."""
    table = _load(COLANDR_MEDLINE, COLANDR_EMBASE)
    ka, kb = _pair(table, f"{MEDLINE_ID}-00029", f"{MEDLINE_ID}-00988")
    verdict = compare(ka, kb)
    assert verdict.outcome == MAYBE and "online first" in verdict.reason, verdict
    out = deduplicate(table)
    assert frozenset((f"{MEDLINE_ID}-00029", f"{MEDLINE_ID}-00988")) in _maybe(out)
    # the print copies (MEDLINE 29, Embase 42) are still linked by their DOI
    assert f"{EMBASE_ID}-00042" in _group(out, f"{MEDLINE_ID}-00029")
