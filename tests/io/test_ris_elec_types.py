"""Ovid's CENTRAL records typed TY ELEC are journal articles (acceptance report D3b).

Ovid exports every Cochrane CENTRAL record as ``TY  - ELEC``, the RIS web page, with the
journal's citation beside it (JA, VL, IS, SP). Read as web pages, a rule against grey
literature excluded 27 CENTRAL trials, and 75 MEDLINE/Embase records that dedup gave the
CENTRAL copy's type. Real records: tests/fixtures/SOURCES.md, ingest_cases/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.dedup.api import deduplicate
from screening.io.ris_fields import RIS_TYPE_NAMES, elec_cites_journal
from screening.records import as_list
from screening.rules.apply import apply_rules
from screening.rules.model import rules_from_mapping
from screening.stages.ingest import RawSource, ingest

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest_cases"
EMBASE_CENTRAL = CASES / "ris_ovid_embase_central_elec.ris"
MEDLINE_CENTRAL = CASES / "ris_ovid_medline_central_elec.ris"

GREY = rules_from_mapping({"rule": [{
    "id": "grey", "reason": "Web page, blog, newspaper or magazine item",
    "publication_type": {"any_of": ["web page", "blog", "newspaper article", "magazine article"]}}]})


def table(*paths: Path):
    return ingest([RawSource(p.name, p.read_bytes()) for p in paths]).records


def test_central_records_citing_a_journal_are_journal_articles():
    t = table(EMBASE_CENTRAL).set_index("source_record_id")
    # CN-01291100: JA 'Journal of psychopharmacology (oxford, england)', VL 30, IS 12, SP 1181;
    # CN-00853051: a meeting's abstracts in JA, VL 38, SP S15 (no issue)
    for accession in ("CN-01291100", "CN-00853051"):
        assert t.loc[accession, "source_db"] == "Cochrane CENTRAL (Ovid)"
        assert as_list(t.loc[accession, "publication_type"]) == ["JOUR"], accession
    assert RIS_TYPE_NAMES["JOUR"] == "journal article"
    assert as_list(t.loc["613504059", "publication_type"]) == ["JOUR"]        # the Embase record


def test_central_trial_registration_stays_a_web_page():
    """CN-01583663 cites a registry page, not a journal ('JA  - Https://clinicaltrials.gov/show/
    nct02243813', no volume, issue or pages); CN-01628340 cites Psychopharmacology, page '1'
    (online first), with a title in T2."""
    t = table(MEDLINE_CENTRAL).set_index("source_record_id")
    assert as_list(t.loc["CN-01628340", "publication_type"]) == ["JOUR"]
    assert as_list(t.loc["CN-01583663", "publication_type"]) == ["ELEC"]
    assert RIS_TYPE_NAMES["ELEC"] == "web page"


def test_a_central_title_repeated_in_t2_is_not_its_journal():
    """Leftover of acceptance report D3b: CN-01628340 repeats its title in T2, which won over JA
    as the journal, so dedup compared a title with its MEDLINE copy's journal."""
    t = table(MEDLINE_CENTRAL).set_index("source_record_id")
    assert t.loc["CN-01628340", "journal"] == "Psychopharmacology"
    assert t.loc["CN-01583663", "journal"] == "Https://clinicaltrials.gov/show/nct02243813"   # the registry's id source


@pytest.mark.parametrize("tags, cites", [
    ({"JA": ["Neuropsychopharmacology"], "VL": ["38"], "SP": ["S15"]}, True),
    ({"JO": ["Stroke"], "IS": ["3"]}, True),
    ({"JF": ["Stroke"], "VL": ["50"]}, True),
    ({"T2": ["Journal of Hepatology"], "VL": ["12"], "IS": ["1"]}, True),
    ({"JA": ["Psychopharmacology"]}, True),     # a web page never names a journal in JA/JO/JF
    ({"T2": ["Psychopharmacology"]}, False),                          # T2 alone: a series title
    ({"VL": ["30"], "IS": ["12"], "SP": ["1181"]}, False),            # no journal named
    ({"JA": ["Https://clinicaltrials.gov/show/nct02243813"], "VL": ["1"]}, False),   # a link
    # the RIS 'Web Page' template: T2 series title, VL access year, SP description
    ({"T2": ["WHO fact sheets"], "VL": ["2019"]}, False),
    ({"T2": ["WHO fact sheets"], "VL": ["2019"], "SP": ["Fact sheet on malaria"]}, False),
])
def test_what_counts_as_a_journal_citation(tags, cites):
    assert elec_cites_journal(tags) is cites


def test_a_central_copy_no_longer_makes_its_duplicates_web_pages():
    """Dedup joins a group's types into the kept record (docs/dedup.md): the Embase record
    613504059 kept 'JOUR; ELEC' from its CENTRAL copy CN-01291100, and a grey-literature
    rule excluded the trial."""
    out = deduplicate(table(EMBASE_CENTRAL)).table
    group = out[out["dup_group"] == out.loc[out["source_record_id"] == "CN-01291100", "dup_group"].iloc[0]]
    assert set(group["source_record_id"]) == {"CN-01291100", "613504059"}
    kept = group[group["duplicate_of"].fillna("") == ""]
    assert len(kept) == 1
    assert as_list(kept["publication_type"].iloc[0]) == ["JOUR"]
    decided = apply_rules(out, GREY).records
    assert set(decided["rule_decision"]) == {"include"}


def test_the_grey_literature_rule_still_finds_a_registry_page():
    decided = apply_rules(table(MEDLINE_CENTRAL), GREY).records.set_index("source_record_id")
    assert decided.loc["CN-01583663", "rule_reasons"] == ["Web page, blog, newspaper or magazine item"]
    assert decided.loc["CN-01628340", "rule_decision"] == "include"
