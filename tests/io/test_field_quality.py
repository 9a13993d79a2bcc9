"""Field-level mistakes found by reading every shared export record by record (session 16).

Each case is a trimmed real record (tests/fixtures/SOURCES.md) and states what the raw file
says; before the fixes these fields came out wrong, which hurt dedup's author and DOI
matching and put publisher notices into the ranker's text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.normalize import clean_text, normalize_author, strip_rights_statement
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
CASES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest_cases"
# records cut from real exports for field cases (tests/fixtures/SOURCES.md, field_cases/)
FIELD_CASES = Path(__file__).resolve().parents[1] / "fixtures" / "field_cases"
DEMO = Path(__file__).resolve().parents[2] / "data" / "raw" / "demo"


def table(path: Path):
    return ingest([RawSource(path.name, path.read_bytes())]).records


def test_ebsco_puts_the_doi_in_l3():
    t = table(FIX / "ris_ebsco_crimjust.ris")
    assert list(t["doi"]) == ["10.1080/16066359.2020.1867111", "10.1007/s10899-020-09951-4"]


def test_pubmed_summary_csv_authors_keep_suffixes_and_groups():
    t = table(CASES / "pubmed_csv_legacy_authors_3.csv")
    first, second, third = (list(a) for a in t["authors"])
    assert first[-1] == "Barker, FM 2nd"                      # raw: 'Barker FM 2nd'
    assert "Llerena, J Jr" in second                          # raw: 'Llerena J Jr'
    # raw: '..., Kishnani PS; Pompe Registry Sites..' - a person, then the group after ';'
    assert second[-2:] == ["Kishnani, PS", "Pompe Registry Sites"]
    assert third == ["American College of Medical Toxicology"]


def test_initials_beyond_a_to_z_stay_initials():
    # legacy PubMed CSV 'Luís Â', 'Krzych ŁJ': read given-first ('Â, Luís') when only A-Z
    # counted as an initial, so dedup compared the initial as the family name
    t = table(FIELD_CASES / "pubmed_csv_legacy_nonascii_initials.csv")
    names = [a for authors in t["authors"] for a in authors]
    assert {"Rubio, MÁ", "Krzych, ŁJ", "Luís, Â", "Ünlü, Ç", "Nielsen, MØ"} <= set(names)
    assert not [n for n in names if n.partition(",")[0].isupper()]


@pytest.mark.parametrize("raw, expected", [
    ("Luís Â", "Luís, Â"), ("Krzych ŁJ", "Krzych, ŁJ"), ("Nielsen MØ", "Nielsen, MØ"),   # the fixture above
    ("Ünlü Ç", "Ünlü, Ç"), ("Rubio MÁ", "Rubio, MÁ"),
    ("Rovira À", "Rovira, À"),                   # pubmed_nbib_nbib-balloongui.nbib, an AU line
    ("Ekström ÅM", "Ekström, ÅM"), ("Öberg Å", "Öberg, Å"),
    ("Wang Li AB", "Wang Li, AB"), ("Maria Ávila", "Ávila, Maria"),    # still: a given name is no initial
    ("Smith JA", "Smith, JA"), ("Kalé L.", "Kalé, L."),
])
def test_initials_of_any_alphabet_follow_the_family_name(raw, expected):
    from screening.io.tagged import fast_author

    assert normalize_author(raw) == expected
    assert normalize_author(expected) == expected          # idempotent
    assert fast_author(raw) == expected                    # the readers' fast path agrees


def test_comma_joined_author_line_with_initials_beyond_a_to_z_is_split():
    from screening.io.tagged import authors_from

    # Ovid CENTRAL joins a record's authors with commas in one A1 ('Breckenridge A, Grobbee DE');
    # names from the legacy PubMed CSV above, joined that way
    assert authors_from(["Faias S, Pereira L, Luís Â, Chaves P"]) == ["Faias, S", "Pereira, L", "Luís, Â", "Chaves, P"]


def test_scopus_no_author_placeholder_is_no_author():
    t = table(CASES / "scopus_csv_no_author_1.csv")
    assert list(t["authors"].iloc[0]) == []                  # raw: '[No author name available]'


def test_endnote_author_lists_on_one_line_are_split():
    t = table(CASES / "ris_endnote_asysd_authors.txt")
    kass, gotz, golde, hickman = (list(a) for a in t["authors"])
    # 'J., Kass N. Faden R. ... Messner D. Pitcavage': the last author's initials wrapped to the front
    assert kass[0] == "Kass, N." and kass[-1] == "Pitcavage, J." and len(kass) == 10
    # 'GotzJurgen, MatamalesMiriam, GotzNaeman, IttnerLars, EckertAnne'
    assert gotz == ["Gotz, Jurgen", "Matamales, Miriam", "Gotz, Naeman", "Ittner, Lars", "Eckert, Anne"]
    assert golde == ["Golde, T.E.", "DeKosky, S.T.", "Galasko, D."]   # 'Golde T. E., DeKosky S. T., Galasko D.'
    assert len(hickman) == 3
    # 'UR  - https://doi.org/...\nhttps://www.ncbi...pdf' and 'UR  - https://...15, internal-pdf://...'
    assert t["url"].iloc[3] == "https://doi.org/10.1016/j.ncl.2016.06.009"
    assert t["url"].iloc[0] == "https://onlinelibrary.wiley.com/doi/abs/10.1002/ebm2.15"


def test_hyphenated_initials_split_a_comma_joined_central_line():
    t = table(CASES / "ris_ovid_hyphen_initials.ris")
    assert list(t["authors"].iloc[0]) == ["Schneider, F", "Kovar, K-A", "Friedrich, J", "Hermle, L",
                                          "Heimann, H", "Spitzer, M"]


@pytest.mark.parametrize("name, expected", [
    ("Llerena J Jr", "Llerena, J Jr"), ("John Smith Jr.", "Smith, John Jr."), ("Smith II", "Smith, II"),
    ("WHO Study Group", "WHO Study Group"), ("Agency for Healthcare Research and Quality",
                                             "Agency for Healthcare Research and Quality"),
    ("Sites JA", "Sites, JA"), ("Maria de la Cruz", "de la Cruz, Maria"), ("[Anonymous]", ""),
])
def test_author_names(name, expected):
    assert normalize_author(name) == expected


def test_inline_formatting_tags_do_not_split_words():
    t = table(DEMO / "wos_278.ris")
    titles = set(t["title"])
    # raw: 'A global<i> meta</i>-analysis'
    assert "Effects of fire on the soil microbial metabolic quotient: A global meta-analysis" in titles
    lens = set(table(DEMO / "lens_343.ris")["title"])
    # raw: '<b>Short-term exposure to wildfire-specific PM</b><sub><strong>2.5</strong></sub><b> and ...'
    assert ("Short-term exposure to wildfire-specific PM2.5 and hospitalization for diabetes morbidity: "
            "a study in multiple countries/territories") in lens
    assert clean_text("conductivity (<i>K</i><sub><i>fs</i></sub>)") == "conductivity (Kfs)"
    assert clean_text("minimisation.<bold>Methods</bold>The") == "minimisation. Methods The"   # headings still apart


@pytest.mark.parametrize("notice", [
    # the notices as the shared exports end abstracts with them
    "Copyright© Bentham Science Publishers; For any queries, please email at epub@benthamscience.net.",
    "Copyright © Medical Communications Sp. z o.o.",
    "2003 (C) Elsevier Science Inc. All rights reserved.",
    "2020 Elsevier B.V. All rights reserved.",
    "Copyright Published by Elsevier B.V.",
])
def test_more_rights_statements_are_cut(notice):
    body = "Twelve trials met the criteria and were pooled."
    assert strip_rights_statement(f"{body} {notice}") == body


def test_crown_copyright_and_bilingual_ebsco_notes():
    assert strip_rights_statement("... (Cyperus porrigens).Crown Copyright © 2012 Published by Elsevier Ltd. "
                                  "All rights reserved.") == "... (Cyperus porrigens)."
    assert strip_rights_statement("Fire alters soils. (English) [ABSTRACT FROM AUTHOR] Le feu modifie les sols. "
                                  "(French) [ABSTRACT FROM AUTHOR]") == \
        "Fire alters soils. (English) Le feu modifie les sols. (French)"


@pytest.mark.parametrize("text", [
    "Results. 2019 the law said all rights reserved.",          # a sentence, not a notice
    "We studied 2020 patients. Elsevier data were used.",
    "Copyright law changed. Copyright © laws in 27 countries were compared in 2019.",
])
def test_sentences_that_only_look_like_notices_stay(text):
    assert strip_rights_statement(text) == text


def test_no_pagination_placeholders_are_no_pages(tmp_path: Path):
    """Acceptance testing (session 25): EBSCO's `SP - N.PAG` / `EP - N.PAG` (21 Environment Index
    records) was kept as the page, and a CSV `pages` of `NA` stayed 'NA' (every other field drops
    the placeholder); Ovid's 'No-Specified' was already dropped."""
    [rec] = table(FIELD_CASES / "ris_ebsco_npag.ris").to_dict("records")
    assert "SP  - N.PAG" in (FIELD_CASES / "ris_ebsco_npag.ris").read_text(encoding="utf-8")
    assert rec["pages"] == "" and rec["volume"] == "561"
    csv = tmp_path / "t.csv"
    csv.write_text("title,year,pages\nFirst,2020,NA\nSecond,2021,N/A\nThird,2022,e1023\n", encoding="utf-8")
    assert list(table(csv)["pages"].fillna("")) == ["", "", "e1023"]


def test_lens_structured_abstract_keeps_its_section_labels():
    """Acceptance testing (session 25): Lens RIS copies PubMed's `<AbstractText Label="METHODS">`
    markup into AB; the tags were dropped with their labels, so 'BACKGROUND', 'METHODS'... were
    lost from the abstract (the PubMed XML reader keeps them as 'METHODS: ...')."""
    t = table(Path(__file__).resolve().parents[1] / "fixtures" / "dedup_cases" / "gambling_lens_4.ris")
    abstract = t.loc[t["source_line"] == 49, "abstract"].iloc[0]     # AB on line 50
    assert abstract.startswith("BACKGROUND: Both the Problem Gambling Severity Index (PGSI)")
    assert " METHODS: We measured health utility" in abstract and " RESULTS: We found" in abstract
    assert "<" not in abstract and "Label" not in abstract
