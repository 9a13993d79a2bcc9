"""Two articles of one journal issue are two printed items (acceptance testing, session 26).

The title-containment rule for records of one issue ('MEDICAL PROGRESS ...' prefixes, cut
subtitles) linked one group's two articles in one issue when one title held the other, without
looking at their pages; and the grouping guard let a copy with no issue or pages chain an
article to the conference abstract of the same title in a supplement.
"""

from __future__ import annotations

from screening.dedup.api import deduplicate
from screening.dedup.cluster import contradicts
from screening.dedup.compare import DISTINCT, DUPLICATE, compare
from screening.dedup.normalise import keys_for_table
from screening.records import make_table

AUTHORS = ["Johnson, Mark", "Peters, Ann", "Li, Wei"]


def _issue(title: str, pages: str, **kw) -> dict:
    return {"title": title, "authors": AUTHORS, "year": 2020, "journal": "BMC Medicine", "volume": "12",
            "issue": "3", "pages": pages, **kw}


def test_one_title_inside_another_on_other_pages_of_the_issue_is_another_article() -> None:
    pairs = [("Diagnosis and management of asthma in adults", "100-110",
              "Diagnosis and management of asthma in adults during pregnancy", "111-120"),
             ("Physical activity and cognitive decline", "200-210",
              "Physical activity and cognitive decline: executive summary", "190-199"),
             # page 1 of an issue is a print page when both copies are placed in the issue
             ("Antibiotic prophylaxis in clean orthopaedic surgery. Part A: hip", "1-8",
              "Antibiotic prophylaxis in clean orthopaedic surgery. Part B: knee", "9-16")]
    for short, p1, long, p2 in pairs:
        a, b = keys_for_table(make_table([_issue(short, p1), _issue(long, p2)]))
        assert compare(a, b).outcome != DUPLICATE, long
    # the rule still links one article whose title a database cut, on the same pages
    a, b = keys_for_table(make_table([_issue("Diagnosis and management of asthma in adults", "100-110"),
                                      _issue("Diagnosis and management of asthma in adults: a review", "100-110")]))
    assert compare(a, b).outcome == DUPLICATE


def test_a_copy_without_issue_or_pages_does_not_chain_an_article_to_its_supplement_abstract() -> None:
    title = "Tocilizumab versus methotrexate monotherapy in early rheumatoid arthritis: 52-week outcomes"
    common = {"title": title, "authors": ["Smolen, Josef", "Landewe, Robert", "Bijlsma, Johannes"], "year": 2020,
              "journal": "Annals of the Rheumatic Diseases", "volume": "79"}
    table = make_table([{**common, "record_id": "j1", "issue": "6", "pages": "685-699"},
                        {**common, "record_id": "j2", "issue": "Suppl 1", "pages": "S112"},
                        {**common, "record_id": "j3"}])
    article, abstract, bare = keys_for_table(table)
    assert compare(article, abstract).outcome == DISTINCT
    assert contradicts(article, abstract) and not contradicts(article, bare)
    # issues that differ, with no pages on either copy (the benchmark's synthetic set crashed here)
    no_pages = keys_for_table(make_table([{**common, "issue": "6"}, {**common, "issue": "7"}]))
    assert contradicts(*no_pages)
    marks = deduplicate(table).table.set_index("record_id")["duplicate_of"].to_dict()
    groups = {r: (d or r) for r, d in marks.items()}
    assert groups["j1"] != groups["j2"]          # the bare copy joins one of them, never both


def test_a_supplement_is_another_issue_than_the_number_beside_it() -> None:
    """The issue key was the field's first number: '6 Suppl 2' read as issue 6 and 'Suppl 1' as
    issue 1, so a supplement's conference abstract counted as 'same volume and issue' as the
    article in issue 6 (the containment rule then linked a cut title without pages)."""
    from screening.dedup.normalise import issue_key

    assert [issue_key(v) for v in ("6", "06", "6 Suppl 2", "Suppl. 1", "SUPPL", "13 SUPPL",
                                   "1 Supplement 1", "Suppl_1", "Super 3", "")] \
        == ["6", "6", "6s2", "s1", "s", "13s", "1s1", "s1", "3", ""]
    # databases that write one supplement alike still agree on it
    assert issue_key("6 SUPPL. 2") == issue_key("6 Suppl 2") == issue_key("6 Supplement 2")
    article = _issue("Diagnosis and management of asthma in adults", "", issue="6")
    abstract = _issue("Diagnosis and management of asthma in adults: results of a cohort", "", issue="6 Suppl 2")
    a, b = keys_for_table(make_table([article, abstract]))
    assert compare(a, b).outcome != DUPLICATE
    # one article, its issue written alike: the rule still links the cut title
    a, b = keys_for_table(make_table([article, {**abstract, "issue": "6"}]))
    assert compare(a, b).outcome == DUPLICATE


def test_a_supplement_without_its_number_may_be_any_supplement_of_the_issue() -> None:
    """Review of the change: 'SUPPL' (key s) read as another issue than 'Suppl 2' (s2), so a
    true duplicate pair of the Rathbone haematology set without pages fell to a maybe and the
    grouping guard kept the copies apart."""
    from screening.dedup.normalise import issues_differ

    assert not issues_differ("s", "s2") and not issues_differ("13s2", "13s") and not issues_differ("6", "6")
    assert issues_differ("s1", "s2") and issues_differ("6", "6s2") and issues_differ("s", "6s2") \
        and issues_differ("1s", "13s2")
    title = "Thromboprophylaxis after hip arthroplasty: a registry cohort of 4,000 patients"
    common = {"title": title, "authors": AUTHORS, "year": 2012, "journal": "Blood", "volume": "120"}
    a, b = keys_for_table(make_table([{**common, "issue": "SUPPL"}, {**common, "issue": "Suppl 2"}]))
    assert compare(a, b).outcome == DUPLICATE and not contradicts(a, b)
