"""Pairwise verdicts on real record pairs (each pair's reason is in tests/fixtures/dedup/pairs.csv)."""

from __future__ import annotations

import json

import pandas as pd

import pytest

from screening.dedup.compare import DISTINCT, DUPLICATE, MAYBE, compare
from screening.dedup.journal_names import journals_compatible, journal_variants
from screening.dedup.normalise import keys_for_table, record_keys

from .conftest import FIXTURES


def _pairs(table):
    keys = keys_for_table(table)
    for k in range(0, len(table), 2):
        yield table.iloc[k], keys[k], keys[k + 1]


def test_every_labelled_duplicate_pair_is_linked(pairs_table):
    seen = 0
    for row, a, b in _pairs(pairs_table):
        if row["expect"] == "duplicate":
            seen += 1
            assert compare(a, b).outcome == DUPLICATE, row["why"]
            assert compare(b, a).outcome == DUPLICATE, "compare must be symmetric: " + row["why"]
    assert seen >= 10


def test_no_lookalike_is_merged(pairs_table):
    seen = 0
    for row, a, b in _pairs(pairs_table):
        if row["expect"] == "distinct":
            seen += 1
            verdict = compare(a, b)
            assert verdict.outcome in (DISTINCT, MAYBE), row["why"]
    assert seen >= 8


@pytest.mark.parametrize("why_fragment, rule", [
    ("erratum vs the article", "kind"),
    ("author reply", "kind"),
    ("same title in different years", "year"),
    ("conference abstract", "conflict"),
])
def test_lookalikes_are_rejected_for_the_right_reason(pairs_table, why_fragment, rule):
    for row, a, b in _pairs(pairs_table):
        if why_fragment in row["why"]:
            verdict = compare(a, b)
            assert verdict.outcome == DISTINCT and verdict.rule == rule, (row["why"], verdict)
            return
    raise AssertionError(f"no fixture pair mentions {why_fragment!r}")


def test_recurring_editorial_goes_to_a_person(pairs_table):
    row, a, b = next(p for p in _pairs(pairs_table) if "recurring editorial" in p[0]["why"])
    assert compare(a, b).outcome == MAYBE


def test_cochrane_version_policy(pairs_table):
    row, a, b = next(p for p in _pairs(pairs_table) if "Cochrane review versions" in p[0]["why"])
    assert compare(a, b, cochrane_versions="duplicate").outcome == DUPLICATE
    assert compare(a, b, cochrane_versions="maybe").outcome == MAYBE
    assert compare(a, b, cochrane_versions="distinct").outcome == DISTINCT


def _colandr_keys(rec):
    return record_keys(rec.get("title"), rec.get("authors") or [], rec.get("pub_year"), rec.get("journal_name"),
                       "", rec.get("journal_volume"), rec.get("journal_issue_number"), "", rec.get("doi"), "")


def test_colandr_labelled_pairs():
    """colandr's dedupe training pairs (McKeown & Mir Ovid export): no distinct pair may be merged
    (incl. 'personality ... under psilocybin' vs '... psilocybin II'), and most matches are found."""
    data = json.loads((FIXTURES / "colandr_pairs.json").read_text(encoding="utf-8"))
    # some pairs (e.g. "psilocybin: promising results...") are labelled both match and distinct: drop them
    both = {json.dumps(p, sort_keys=True) for p in data["match"]} & {json.dumps(p, sort_keys=True) for p in data["distinct"]}
    assert len(both) < 15
    data = {k: [p for p in v if json.dumps(p, sort_keys=True) not in both] for k, v in data.items()}
    merged_distinct = [a["title"] for a, b in data["distinct"]
                       if compare(_colandr_keys(a), _colandr_keys(b)).outcome == DUPLICATE]
    assert merged_distinct == []
    found = sum(compare(_colandr_keys(a), _colandr_keys(b)).outcome == DUPLICATE for a, b in data["match"])
    assert found >= 0.5 * len(data["match"])
    part = [(a, b) for a, b in data["distinct"] if b["title"].endswith(" ii") and not a["title"].endswith(" ii")]
    assert part and compare(_colandr_keys(part[0][0]), _colandr_keys(part[0][1])).rule == "series"


def test_journal_abbreviations_without_a_list():
    assert journals_compatible(journal_variants("J Clin Oncol"), journal_variants("Journal of Clinical Oncology"))
    assert journals_compatible(journal_variants("Am J Obstet Gynecol"),
                               journal_variants("American journal of obstetrics and gynecology"))
    assert journals_compatible(journal_variants("Lung Cancer"), journal_variants("Lung cancer (Amsterdam, Netherlands)"))
    assert not journals_compatible(journal_variants("Gynecologic Oncology"),
                                   journal_variants("American Journal of Obstetrics and Gynecology"))
    assert not journals_compatible(journal_variants("Pediatric Nephrology"), journal_variants("Swiss Medical Weekly"))


def test_author_forms_are_equivalent():
    a = record_keys("A title long enough", ["Smith, John", "Jones, A. B."], 2001, "", "", "", "", "", "", "")
    b = record_keys("A title long enough", ["Smith J", "Jones AB"], 2001, "", "", "", "", "", "", "")
    c = record_keys("A title long enough", ["Smith J.Jones A. B."], 2001, "", "", "", "", "", "", "")
    assert a.families == b.families == c.families == ("smith", "jones")


def test_combined_letters_record_groups_a_letter_with_its_reply(pairs_table):
    """Embase indexes a letter and the reply printed after it as one '(multiple letters)' record.
    That record is both items, so all three end in one group; without it the letter and the
    reply stay apart (different publication kinds)."""
    from screening.dedup.api import deduplicate
    from screening.dedup.labelled import groups_from_table

    rows = pairs_table[pairs_table["source_set"] == "rathbone2015_haematology"].drop_duplicates("record_id")
    ids = {"id_0000008", "id_0000009", "id_0000039"}
    trio = rows[rows["record_id"].isin(ids)].reset_index(drop=True)
    assert len(trio) == 3
    groups = [sorted(g) for g in groups_from_table(deduplicate(trio).table)]
    assert groups == [sorted(ids)]
    pair = trio[trio["record_id"] != "id_0000008"].reset_index(drop=True)
    assert groups_from_table(deduplicate(pair).table) == []


def test_combined_letters_needs_the_pages_inside_its_range(pairs_table):
    from dataclasses import replace

    keys = dict(zip(pairs_table["record_id"], keys_for_table(pairs_table)))
    combined, reply = keys["id_0000008"], keys["id_0000039"]
    assert combined.combined and not reply.combined
    assert compare(combined, reply).rule == "combined-letters"
    assert compare(reply, combined).rule == "combined-letters"
    outside = replace(reply, first_page="946", last_page="", pages="946")
    assert compare(combined, outside).outcome == DISTINCT
    stranger = replace(reply, families=("smith",) + reply.families[1:])
    assert compare(combined, stranger).outcome == DISTINCT


def test_a_supplements_doi_neither_links_nor_queues_different_abstracts():
    """Acceptance testing: conference abstracts that all carry their supplement's DOI gave 162 of
    the 175 maybe-pairs on the ASySD set ('same DOI but different titles'). Copies of one
    abstract with that DOI are still linked by it."""
    import pandas as pd

    doi = "10.1007/s00125-013-3012-z"
    rows = [("Inhibition of DPP-4 activity: potential role of non-GLP-1 mediated effects", "Smith, J", "S69"),
            ("Inhibition of DPP-4 activity: potential role of non-GLP-1 mediated effects", "", "S69"),
            ("Forced catch-up growth after early food restriction alters the enteroinsular axis", "Doe, A", "S258"),
            ("Incidence of cardiovascular events in type 2 diabetes mellitus patients", "Roe, B", "S323")]
    df = pd.DataFrame({"title": [r[0] for r in rows], "authors": [[r[1]] if r[1] else [] for r in rows],
                       "year": [2013] * 4, "journal": ["Diabetologia"] * 4, "volume": ["56"] * 4,
                       "issue": ["1 Suppl"] * 4, "pages": [r[2] for r in rows], "doi": [doi] * 4, "pmid": [""] * 4})
    k = keys_for_table(df)
    assert all(key.doi_container for key in k)
    assert compare(k[0], k[1]).outcome == DUPLICATE
    assert compare(k[0], k[2]).outcome != MAYBE and compare(k[2], k[3]).outcome != MAYBE
    # two items sharing a DOI (an erratum, a comment) are no container: the DOI rule applies
    pair = keys_for_table(df.iloc[[0, 2]].reset_index(drop=True))
    assert not any(key.doi_container for key in pair)


def test_online_first_copy_a_year_and_a_volume_early_goes_to_a_person():
    """UAT (CiteSource gambling-harms funnel, see tests/fixtures/SOURCES.md): EBSCO's online-first
    record (2016, 32(2), pages 'N.PAG') and PsycInfo's print record (2017, 33(1) 115-129) of one
    article were neither linked nor queued."""
    import pandas as pd

    from screening.records import make_table

    title = "A prospective investigation of affect, the desire to gamble, gambling motivations and gambling behavior in the mood disorders"
    rows = [
        {"record_id": "crimjust_41-00041", "title": title[0].upper() + title[1:].title()[1:] + ".",
         "authors": ["Quilty, Lena C", "Watson, Chris", "Toneatto, Tony"], "year": 2016,
         "journal": "Journal of Gambling Studies", "volume": "32", "issue": "2", "pages": "N.PAG"},
        {"record_id": "psycinfo_124-00108", "title": title,
         "authors": ["Quilty, Lena C.", "Watson, Chris", "Toneatto, Tony"], "year": 2017,
         "journal": "Journal of Gambling Studies", "volume": "33", "issue": "1", "pages": "115-129",
         "doi": "10.1007/s10899-016-9616-8"},
    ]
    a, b = keys_for_table(make_table(rows))
    for x, y in ((a, b), (b, a)):
        verdict = compare(x, y)
        assert verdict.outcome == MAYBE and "online first" in verdict.reason, verdict
    # with pages on both copies the three moved fields are two printed articles' worth: distinct
    c, d = keys_for_table(make_table([{**rows[0], "pages": "301-315"}, rows[1]]))
    assert compare(c, d).outcome == DISTINCT
    # a column the editor writes every year (colrev_misq_crossref-dblp: 79 such pairs were queued
    # before titles had to be long) matches the same way; its short title is no evidence
    g, h = keys_for_table(make_table([
        {"record_id": "C_000684", "title": "Editor's Comments", "authors": ["Weber"], "year": 2003,
         "journal": "MIS Quarterly", "volume": "27", "issue": "1", "pages": ""},
        {"record_id": "D_000562", "title": "Editor's Comments", "authors": ["Weber, Ron"], "year": 2002,
         "journal": "MIS Quarterly", "volume": "26", "issue": "4", "pages": "iii-vii"}]))
    assert compare(g, h).outcome == DISTINCT
    # and a year two apart is never even a maybe
    e, f = keys_for_table(make_table([{**rows[0], "year": 2015}, rows[1]]))
    assert compare(e, f).outcome == DISTINCT


def test_the_latest_cochrane_version_is_kept_even_when_an_earlier_one_is_more_complete(pairs_table):
    """Acceptance testing: of a 2009 .pub2 (with abstract) and a 2012 .pub3 (without), the most
    complete, the superseded 2009 version, was kept; a year rule then excluded the review with
    the current version hidden as its duplicate."""
    from screening.dedup.api import deduplicate

    rows = pairs_table[pairs_table["why"].str.contains("Cochrane review versions")].reset_index(drop=True)
    older = rows["doi"].str.endswith("pub2")
    table = rows.assign(abstract=["Background: oxygen or air for newborn resuscitation." if o else ""
                                  for o in older])
    out = deduplicate(table).table
    kept = out.loc[out["duplicate_of"].fillna("") == "", "doi"].tolist()
    assert kept == [rows.loc[~older, "doi"].iloc[0]]                 # the .pub3, the current version
    assert out.loc[~older.to_numpy(), "abstract"].iloc[0]            # filled from the older one
    # the .pub2 from an earlier search round, the .pub3 from the update: the update's is kept
    rounds = table.assign(search_set=["old_search" if o else "update" for o in older])
    out = deduplicate(rounds).table
    assert out.loc[out["duplicate_of"].fillna("") == "", "doi"].tolist() == [rows.loc[~older, "doi"].iloc[0]]


def test_a_cochrane_protocol_is_not_a_version_of_its_review(pairs_table):
    """Acceptance testing: a Cochrane protocol (base DOI, type Protocol) was linked to its review
    as a version (rule doi-version), and could be kept in its place."""
    from screening.dedup.api import deduplicate

    review = pairs_table[pairs_table["why"].str.contains("Cochrane review versions")].iloc[[1]]
    protocol = review.assign(record_id="protocol", doi="10.1002/14651858.CD002273", year="2001",
                             publication_type=[["JOUR", "Protocol"]])
    table = pd.concat([protocol, review.assign(publication_type=[["JOUR", "Review"]])], ignore_index=True)
    keys = keys_for_table(table)
    assert compare(keys[0], keys[1]).outcome == DISTINCT
    assert (deduplicate(table).table["duplicate_of"].fillna("") == "").all()
    # an untyped copy of the typed protocol (another database's) is the protocol too
    copy = protocol.assign(record_id="embase-copy", publication_type=[["Article"]])
    three = pd.concat([table, copy], ignore_index=True)
    out = deduplicate(three).table.set_index("record_id")
    assert out.loc["embase-copy", "duplicate_of"] == "protocol" or out.loc["protocol", "duplicate_of"] == "embase-copy"
    review_id = review["record_id"].iloc[0]
    assert out.loc[review_id, "duplicate_of"] in ("", None) or pd.isna(out.loc[review_id, "duplicate_of"])
    assert out.loc[review_id, "dup_group"] != out.loc["protocol", "dup_group"]
    # an untyped copy of the base DOI stays the first version of the review, as before
    keys = keys_for_table(table.assign(publication_type=[[], []]))
    assert compare(keys[0], keys[1]).outcome == DUPLICATE


# Acceptance testing (the wildfire review's exports, Lens and EBSCO Environment Index): copies
# kept apart without even a question to a person.
SALVAGE = ("Background: Forest fires, insect outbreaks, and windstorms are common forest disturbances that are "
           "expected to increase in importance in coming decades. Post-disturbance management often involves "
           "salvage logging, i.e. the felling and removal of the affected trees. However, harvesting these "
           "biologica")
SALVAGE_AUTHORS = ["Leverkus, Alexandro B.", "Gustafsson, Lena", "Benayas, José María Rey", "Castro, Jorge"]


def test_the_same_long_abstract_links_a_title_a_database_extended_across_publication_kinds():
    """Lens: 'Does post-disturbance salvage logging affect the provision of ecosystem services?';
    EBSCO adds 'A systematic review protocol.': read as a protocol against a review, kept apart,
    though authors, year and the whole abstract are the same."""
    title = "Does post-disturbance salvage logging affect the provision of ecosystem services?"
    lens = record_keys(title, SALVAGE_AUTHORS, 2015, "", "", "", "", "", "", "", abstract=SALVAGE)
    ebsco = record_keys(title + " A systematic review protocol.", SALVAGE_AUTHORS, 2015, "Environmental Evidence",
                        "", "4", "", "", "10.1186/s13750-015-0042-7", "", abstract=SALVAGE)
    assert ebsco.kinds == {"protocol"} and lens.kinds == frozenset()
    for a, b in ((lens, ebsco), (ebsco, lens)):
        verdict = compare(a, b)
        assert (verdict.outcome, verdict.rule) == (DUPLICATE, "title+authors+abstract")
    # without the abstract, or with another one (the review's own), the kinds keep them apart
    bare = record_keys(title, SALVAGE_AUTHORS, 2015, "", "", "", "", "", "", "")
    review = record_keys(title, SALVAGE_AUTHORS, 2015, "", "", "", "", "", "", "",
                         abstract="Results: " + SALVAGE[::-1])
    assert compare(bare, ebsco).outcome == DISTINCT and compare(review, ebsco).outcome == DISTINCT
    # a short placeholder abstract is no evidence
    placeholder = "No abstract available for this record; see the full text for details."
    assert record_keys(title, SALVAGE_AUTHORS, 2015, "", "", "", "", "", "", "", abstract=placeholder).abstract == ""
    # another year or other authors: apart
    later = record_keys(title, SALVAGE_AUTHORS, 2016, "", "", "", "", "", "", "", abstract=SALVAGE)
    assert compare(later, ebsco).outcome == DISTINCT


def test_a_report_number_after_the_title_is_not_a_series_number():
    """Lens holds one report twice, once as '... (Report No. 515)': 'numbers in titles differ'
    kept them apart outright; with other abstracts and no identifiers a person decides."""
    authors = ["Johnston, Kim A.", "Ryan, Barbara", "Taylor, Maureen"]
    title = "Mapping approaches to community engagement for preparedness in Australia"
    plain = record_keys(title, authors, 2019, "", "", "", "", "", "", "")
    numbered = record_keys(title + " (Report No. 515)", authors, 2019, "", "", "", "", "", "", "")
    assert numbered.numbers == frozenset() and numbered.kinds == frozenset() and numbered.title == plain.title
    assert compare(plain, numbered).outcome == MAYBE
    # a number that is the title's own still counts ('Part 2'), and so does an erratum's citation
    part = record_keys(title + ": Part 2", authors, 2019, "", "", "", "", "", "", "")
    assert compare(plain, part).outcome == DISTINCT
    assert record_keys(title + " (vol 85, pg 553, 2010)", authors, 2019, "", "", "", "", "", "", "").kinds == {"erratum"}


def test_a_preprint_and_its_article_are_a_question_for_a_person():
    """Dimensions: the EGUsphere preprint and the NHESS article (same title, authors a year
    apart, other DOIs) were kept apart without a question, while medRxiv's preprint and its
    article were asked about: a preprint server's DOI or name now makes it a question."""
    authors = ["Benso, Marcos Roberto", "Gesualdo, Gabriela Chiquito", "Silva, Greicelene Jesus",
               "Rápalo, Luis Miguel Castillo"]
    title = ("Review article: Design and Evaluation of Weather Index Insurance for Multi-Hazard Resilience and "
             "Food Insecurity")
    preprint = record_keys(title, authors, 2022, "EGUsphere", "", "2022", "", "1-24", "10.5194/egusphere-2022-498", "")
    article = record_keys(title.replace("Evaluation of Weather", "evaluation of weather"),
                          authors[:2] + ["Silva, Roberto Fray"] + authors[2:3], 2023,
                          "Natural Hazards and Earth System Sciences", "", "23", "", "1335-1354",
                          "10.5194/nhess-23-1335-2023", "")
    assert preprint.preprint and not article.preprint
    for a, b in ((preprint, article), (article, preprint)):
        verdict = compare(a, b)
        assert (verdict.outcome, verdict.rule) == (MAYBE, "preprint")
    # not a preprint: EGU meeting abstracts and the comments on a preprint
    for doi in ("10.5194/egusphere-egu21-12061", "10.5194/egusphere-2022-498-rc1"):
        assert not record_keys(title, authors, 2022, "", "", "", "", "", doi, "").preprint
    assert record_keys(title, authors, 2022, "Research Square", "", "", "", "", "", "").preprint
    # two journal articles under other DOIs stay apart, and so does a preprint three years off
    other = record_keys(title, authors, 2023, "Another Journal", "", "2", "", "5-9", "10.5194/nhess-23-1-2023", "")
    assert compare(article, other).outcome == DISTINCT
    old = record_keys(title, authors, 2019, "EGUsphere", "", "", "", "", "10.5194/egusphere-2019-498", "")
    assert compare(old, article).outcome == DISTINCT


def test_the_same_long_abstract_links_the_two_records_in_a_run_not_only_in_compare():
    """The review of the change: compare() linked the pair, and the grouping guard refused the
    link on the publication kinds (so the demo kept both copies)."""
    from screening.dedup.api import deduplicate
    from screening.records import make_table

    title = "Does post-disturbance salvage logging affect the provision of ecosystem services?"
    table = make_table([
        {"record_id": "lens-1", "title": title, "authors": SALVAGE_AUTHORS, "year": 2015, "abstract": SALVAGE},
        {"record_id": "ebsco-1", "title": title + " A systematic review protocol.", "authors": SALVAGE_AUTHORS,
         "year": 2015, "abstract": SALVAGE, "journal": "Environmental Evidence", "doi": "10.1186/s13750-015-0042-7"},
    ])
    marks = deduplicate(table).table.set_index("record_id")
    assert {marks.loc["lens-1", "duplicate_of"], marks.loc["ebsco-1", "duplicate_of"]} - {""} != set()
    assert set(marks["dup_rule"]) - {""} == {"title+authors+abstract"}


def test_the_same_abstract_never_links_an_abstract_a_retraction_or_a_review_to_its_protocol():
    """Review of the change: the first 200 characters of the abstract linked a conference
    abstract, a retraction notice and a review to their article or protocol."""
    title = "Does post-disturbance salvage logging affect the provision of ecosystem services?"
    article = record_keys(title, SALVAGE_AUTHORS, 2015, "", "", "", "", "", "", "", abstract=SALVAGE)
    for other in ("Meeting abstract: " + title, "RETRACTED: " + title):
        copy = record_keys(other, SALVAGE_AUTHORS, 2015, "", "", "", "", "", "", "", abstract=SALVAGE)
        assert compare(article, copy).outcome == DISTINCT, other
    protocol = record_keys(title + " A systematic review protocol.", SALVAGE_AUTHORS, 2015, "", "", "", "", "", "",
                           "", abstract=SALVAGE + " Methods: we will search six databases.")
    review = record_keys(title + " A systematic review.", SALVAGE_AUTHORS, 2015, "", "", "", "", "", "", "",
                         abstract=SALVAGE + " Results: we found 24 studies.")
    assert compare(protocol, review).outcome == DISTINCT


def test_two_report_numbers_are_two_reports():
    authors = ["Johnston, Kim A.", "Ryan, Barbara", "Taylor, Maureen"]
    title = "Mapping approaches to community engagement for preparedness in Australia"
    one, two = (record_keys(f"{title} (Report No. {n})", authors, 2019, "", "", "", "", "", "", "") for n in (1, 2))
    assert compare(one, two).outcome == DISTINCT
    y18, y19 = (record_keys(f"{title} (Annual Report {y})", authors, 2019, "", "", "", "", "", "", "")
                for y in (2018, 2019))
    assert compare(y18, y19).outcome == DISTINCT
    assert compare(one, record_keys(f"{title} (report no. 1)", authors, 2019, "", "", "", "", "", "", "")).outcome \
        != DISTINCT


def test_cold_spring_harbor_journals_are_not_preprint_servers():
    """bioRxiv and medRxiv share the DOI prefix 10.1101 with Genome Research and Genes & Development."""
    for doi, preprint in (("10.1101/gr.277335.122", False), ("10.1101/gad.349117.121", False),
                          ("10.1101/2023.04.18.23288775", True), ("10.1101/123456", True),
                          ("10.11011/x", False), ("10.48550/arxiv.2401.02456", True)):
        assert record_keys("A long enough title here", [], 2022, "", "", "", "", "", doi, "").preprint is preprint, doi


def test_the_same_abstract_survives_an_exports_slip_but_not_another_ending():
    """EBSCO's copy of the salvage-logging protocol reads 'trim and ill method' where Lens has
    'trim and ﬁll' (the ligature lost in the export): still the same abstract."""
    from screening.dedup.normalise import abstract_key, abstracts_match

    text = SALVAGE + " Publication bias will be assessed with the trim and ﬁll method. We will present the results."
    slip = text.replace("trim and ﬁll", "trim and ill")
    assert abstracts_match(abstract_key(text), abstract_key(slip))
    assert abstracts_match(abstract_key(text), abstract_key(text.replace("ﬁ", "fi")))
    other = SALVAGE + " Results: 24 studies met the criteria; salvage logging reduced most services studied."
    assert not abstracts_match(abstract_key(text), abstract_key(other))


def _greek_pair(title_a: str, title_b: str, *, doi_b: str = "10.1016/j.eururo.2019.01.001",
                second_b: str = "Nikolaou, E."):
    # acceptance testing's case: one group's two trials, same authors, journal and year, no pages
    a = record_keys(title_a, ["Papadopoulos, G.", "Nikolaou, E."], 2019, "European Urology", "Eur Urol",
                    "", "", "", "10.1016/j.eururo.2019.01.001", "")
    b = record_keys(title_b, ["Papadopoulos, G.", second_b], 2019, "European Urology", "Eur Urol",
                    "", "", "", doi_b, "")
    return a, b


@pytest.mark.parametrize("title_a, title_b", [
    ("Effects of α-blockers on urinary retention after hernia surgery: a randomised trial",
     "Effects of β-blockers on urinary retention after hernia surgery: a randomised trial"),
    ("Role of PPARα in hepatic steatosis in mice", "Role of PPARγ in hepatic steatosis in mice"),
    ("Effects of alpha-blockers on urinary retention after hernia surgery",
     "Effects of β-blockers on urinary retention after hernia surgery"),
    ("Effects of A-blockers on urinary retention after hernia surgery",
     "Effects of B-blockers on urinary retention after hernia surgery"),
    ("Vaccination against hepatitis B in adult haemodialysis patients",
     "Vaccination against hepatitis C in adult haemodialysis patients"),
])
def test_titles_naming_different_letters_are_never_merged(title_a, title_b):
    a, b = _greek_pair(title_a, title_b, doi_b="")
    for x, y in ((a, b), (b, a)):
        verdict = compare(x, y)
        assert verdict.outcome == MAYBE, verdict        # a person decides


@pytest.mark.parametrize("title_a, title_b", [
    ("Role of PPARα in hepatic steatosis in mice", "Role of PPAR-alpha in hepatic steatosis in mice"),
    ("TGF-β1 signalling in renal fibrosis", "TGF-beta1 signalling in renal fibrosis"),
    ("Crohn's disease in children treated with anti-TNF agents",
     "Crohns disease in children treated with anti-TNF agents"),
    ("Effects of α-blockers on urinary retention after hernia surgery",
     "Effects of blockers on urinary retention after hernia surgery"),     # a database lost the letter
])
def test_one_letter_written_two_ways_still_links(title_a, title_b):
    a, b = _greek_pair(title_a, title_b, doi_b="")
    assert compare(a, b).outcome == DUPLICATE


def test_a_shared_doi_outweighs_the_letters():
    a, b = _greek_pair("Effects of α-blockers on urinary retention", "Effects of β-blockers on urinary retention")
    assert compare(a, b).outcome == DUPLICATE


def test_the_same_long_title_and_year_without_authors_is_asked_about():
    # acceptance testing at 65k records: 4,449 such groups were neither linked nor queued
    a = record_keys("A model for the sizing of software updates", [], 2010, "", "", "", "", "", "", "")
    b = record_keys("A model for the sizing of software updates.", [], 2010, "", "", "", "", "", "", "")
    assert compare(a, b).outcome == MAYBE and compare(b, a).outcome == MAYBE
    short = record_keys("Editorial", [], 2010, "", "", "", "", "", "", "")
    assert compare(short, short).outcome == DISTINCT                     # recurs in every journal
    other_year = record_keys("A model for the sizing of software updates", [], 2011, "", "", "", "", "", "", "")
    assert compare(a, other_year).outcome != DUPLICATE


def test_cochrane_versions_in_different_issues_stay_one_review(pairs_table):
    """Acceptance 36a: CD005984.pub2 (2007, Issue 3) and .pub3 (2018, Issue 8), no pages: compare()
    linked them (doi-version), but the grouping guard's issue check split them again, so after an
    upgrade the superseded version came back to title/abstract screening."""
    from screening.dedup.api import deduplicate

    rows = pairs_table[pairs_table["why"].str.contains("Cochrane review versions")].reset_index(drop=True)
    older = rows["doi"].str.endswith("pub2")
    table = rows.assign(issue=["3" if o else "8" for o in older], pages="", volume="")
    out = deduplicate(table).table
    assert out.loc[older.to_numpy(), "duplicate_of"].iloc[0] == out.loc[~older.to_numpy(), "record_id"].iloc[0]
    assert out.loc[older.to_numpy(), "dup_rule"].iloc[0] == "doi-version"
    # with the setting 'distinct' they stay apart, as before
    out = deduplicate(table, cochrane_versions="distinct").table
    assert (out["duplicate_of"].fillna("") == "").all()
