"""Author names in the letters MEDLINE transliterates (ø -> o, ß -> ss, ł -> l, ı -> i, æ -> ae ...)
are one name with their original spelling (acceptance test 35, M3).

Real records (tests/fixtures/dedup_cases/SOURCES.md): the CiteSource wildfire searches' Lens copies
write 'Altıntaş' and 'Kallesøe', MEDLINE's 'Altintas' and 'Kallesoe'. Those pairs share a DOI, so
only their keys show the difference. A translated title has no such help: MEDLINE's '[English
title]' and the original-language title of the Ovid/Embase copy share no words, and the pair rests
on authors, journal, volume and pages; with 'Strauß' against 'Strauss' it was neither linked nor
queued. No real export in ../shared/data has such a pair, so those records are crafted
(tests/fixtures/dedup_cases/transliterated/).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.dedup.api import deduplicate
from screening.dedup.normalise import _author_key, keys_for_table
from screening.stages.ingest import ingest_paths

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "dedup_cases"


def test_real_transliterated_names_give_one_author_key():
    lens = ingest_paths([CASES / "lens_wildfire_2.ris"], database="Lens").records
    medline = ingest_paths([CASES / "medline_wildfire_2.ris"], database="MEDLINE").records
    assert lens["title"].tolist() == medline["title"].tolist()
    for a, b in zip(keys_for_table(lens), keys_for_table(medline)):
        assert a.families == b.families and a.initials == b.initials
    assert keys_for_table(lens)[0].families == ("osman", "altintas")     # Lens: 'Altıntaş, Kerim Hakan'
    assert "kallesoe" in keys_for_table(lens)[1].families                # Lens: 'Kallesøe, Sarah Savić'


@pytest.mark.parametrize("original, medline", [
    ("Ødegård, Søren", "Odegard S"), ("Strauß, Hans-Peter", "Strauss HP"), ("Işık, Ömer", "Isik O"),
    ("Wałęsa, Łukasz", "Walesa L"), ("Ærø, Mette", "Aero M"), ("Œuvray, Anne", "Oeuvray A"),
    ("Đoković, Novak", "Dokovic N"), ("Þórsdóttir, Guðrún", "Thorsdottir G"), ("Guðmundsson, Jón", "Gudmundsson J"),
    ("ØDEGÅRD, SØREN", "Odegard S"), ("Lefe\u0300vre, E\u0301ric", "Lefevre E"),     # upper case; decomposed
])
def test_the_author_key_reads_a_name_as_medline_spells_it(original, medline):
    assert _author_key(original) == _author_key(medline)


def test_different_names_stay_different():
    assert _author_key("Ødegård, S")[0] != _author_key("Odegaard, S")[0]    # a spelling MEDLINE does not make
    assert _author_key("Groß, J")[0] != _author_key("Gros, J")[0]


@pytest.mark.parametrize("pair", ["p1", "p11", "tr", "pl", "da"])
def test_a_translated_title_is_linked_to_its_original_by_transliterated_authors(pair):
    """MEDLINE '[Effects of air pollution ...]' by Odegard S and Strauss HP, the Ovid copy
    'Effets de la pollution atmosphérique ...' by Ødegård and Strauß: same journal, volume, issue,
    pages and year. Likewise Groß/Schäfer/Weiß, Işık/Yılmaz, Wałęsa, Ærø/Søndergaard."""
    table = ingest_paths([CASES / "transliterated" / f"{pair}_ovid.ris", CASES / "transliterated" / f"{pair}_med.nbib"],
                         database="MEDLINE").records
    assert len(table) == 2 and table["title"].str.startswith("[").sum() == 1
    out = deduplicate(table)
    linked = out.table[out.table["duplicate_of"].astype(str) != ""]
    assert len(linked) == 1, out.table[["record_id", "duplicate_of", "dup_rule"]]
    assert linked["dup_rule"].iloc[0] == "title+authors+pages"


def _first_page_only(path: Path, tmp: Path) -> Path:
    """The fixture with its page range cut to the first page ('PG  - 145', 'SP  - 145'), as some
    exports give it."""
    text = path.read_text(encoding="utf-8")
    text = "\n".join(line.split("-", 1)[0] + "- 145" if line.startswith(("PG  -", "SP  -")) else line
                     for line in text.splitlines() if not line.startswith("EP  -"))
    out = tmp / path.name
    out.write_text(text + "\n", encoding="utf-8")
    return out


@pytest.mark.parametrize("medline_authors, queued", [
    (None, True),                                              # the same authors, transliterated
    ("Lund P", False),                                         # another author list: two articles
])
def test_a_translated_title_with_only_a_first_page_is_asked_about(tmp_path, medline_authors, queued):
    """Without a page range, the same authors, journal, issue, first page and year are too little
    to link a translated title to its original, but a person should see the pair: it was neither
    linked nor queued (no shared blocking key: the range key needs a last page)."""
    ovid = _first_page_only(CASES / "transliterated" / "p1_ovid.ris", tmp_path)
    med = _first_page_only(CASES / "transliterated" / "p1_med.nbib", tmp_path)
    if medline_authors:
        text = med.read_text(encoding="utf-8").splitlines()
        text = [line for line in text if not line.startswith(("FAU -", "AU  -"))]
        text.insert(next(i for i, line in enumerate(text) if line.startswith("PG  -")), f"AU  - {medline_authors}")
        med.write_text("\n".join(text) + "\n", encoding="utf-8")
    table = ingest_paths([ovid, med], database="MEDLINE").records
    assert set(table["pages"]) == {"145"}
    out = deduplicate(table)
    assert (out.table["duplicate_of"].astype(str) == "").all()
    asked = [p for p in out.maybe_pairs if p.reason.startswith("a translated title")]
    assert len(asked) == (1 if queued else 0), out.maybe_pairs
