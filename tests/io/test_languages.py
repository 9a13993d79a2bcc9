"""Every language of a record is kept (acceptance report D1).

PubMed repeats ``LA`` (and ``<Language>`` in its XML) for an article printed in two languages,
RIS repeats ``LA``, Web of Science lists a second language on the line after ``LA``. The
readers kept the first only, so ``language = { not_in = ["english"] }`` excluded a
German+English article. The shared exports hold no record with two languages, so each case
is a real record with a second language line added (tests/fixtures/SOURCES.md, field_cases/).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from screening.io.base import join_languages
from screening.records import read_table
from screening.runner import run_review
from screening.stages.ingest import RawSource, ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIELD_CASES = FIXTURES / "field_cases"

# fixture, reader that detects it, the language column (languages in the file's order)
TWO_LANGUAGES = [
    ("medline_pubmed_two_languages.nbib", "medline", "ger; eng"),          # LA  - ger / LA  - eng
    ("pubmed_xml_two_languages.xml", "pubmed_xml", "ger; eng"),            # two <Language>
    ("ris_scopus_two_languages.ris", "ris", "French; English"),            # LA  - French / LA  - English
    ("wos_plain_two_languages.txt", "wos", "English; Spanish"),            # LA English / '   Spanish'
    ("ovid_tagged_two_languages.ovd", "ovid", "German; English"),          # LG  - German / LG  - English
]


@pytest.mark.parametrize("name, reader, expected", TWO_LANGUAGES)
def test_every_reader_keeps_each_language_in_order(name, reader, expected):
    table = ingest([RawSource(name, (FIELD_CASES / name).read_bytes())]).records
    assert table["source_format"].tolist() == [reader]
    assert table["language"].tolist() == [expected]


@pytest.mark.parametrize("values, expected", [
    (["eng"], "eng"),
    ([" English "], "English"),
    (["ger", "eng"], "ger; eng"),                     # the export's order, not sorted
    (["eng", "ENG", "Eng"], "eng"),                   # each once, the first spelling kept
    (["ger; eng", "eng"], "ger; eng"),                # our own export's one-line list, re-read
    (["English\nGerman"], "English; German"),         # a continuation line (Ovid's LG)
    (["", "  ", "fre"], "fre"),
    ([], ""),
    (None, ""),
])
def test_join_languages(values, expected):
    assert join_languages(values) == expected


def test_a_language_rule_keeps_bilingual_english_records(tmp_path):
    """End to end (ingest, dedup, rules): a German+English (French+English...) article is in
    English, so `not_in = ["english"]` keeps it; a French-only record is still excluded."""
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    names = [name for name, _, _ in TWO_LANGUAGES] + ["ris_ebsco_psycinfo_doctypes_languages.ris"]
    for name in names:
        shutil.copy(FIELD_CASES / name, raw / name)
    sources = "".join(f'[[sources]]\nfile = "data/raw/{name}"\n' for name in names)
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "x.toml"
    toml.write_text(f'[review]\nname = "x"\n{sources}[dedup]\n[rules]\ndefault = "include"\n'
                    '[[rules.rule]]\nid = "lang"\nreason = "Not in English"\n'
                    'language = { not_in = ["english"] }\n', encoding="utf-8")
    run_review(toml)
    out = tmp_path / "data" / "screened" / "x"
    table = read_table(out / "apply_rules.parquet").set_index("record_id")
    for name, _, languages in TWO_LANGUAGES:
        rid = f"{Path(name).stem}-00001"
        assert table.loc[rid, "language"] == languages
        assert table.loc[rid, "rule_decision"] == "include", (rid, languages)
    french = "ris_ebsco_psycinfo_doctypes_languages-00001"        # N1 'Language: French' only
    assert table.loc[french, "language"] == "French"
    assert table.loc[french, "rule_reasons"] == ["Not in English"]
    report = json.loads((out / "apply_rules.json").read_text())
    assert report["reasons"] == {"Not in English": 1}
