"""Records without any content are counted, and said (acceptance 36b, L5): two `TY  - JOUR` /
`ER  - ` pairs with nothing between ingested as 2 records identified without a word, and a
generated file of 1,000,000 of them as 1,000,000."""

from __future__ import annotations

from pathlib import Path

from screening.stages.ingest import ingest_paths

ECONLIT = Path(__file__).resolve().parents[1] / "fixtures" / "core" / "econlit_3.ris"


def test_empty_records_are_counted_and_warned_of(tmp_path: Path) -> None:
    path = tmp_path / "with_empty.ris"
    real = ECONLIT.read_text(encoding="utf-8-sig")
    path.write_text(real + "\nTY  - JOUR\nER  - \n\nTY  - JOUR\nER  - \n", encoding="utf-8")
    result = ingest_paths([path])
    assert len(result.records) == 5                                  # counted, as the file's own count says
    said = [w for w in result.report.warnings if "have no title" in w]
    assert len(said) == 1 and said[0].startswith(f"{path}: 2 record(s) have no title, abstract, authors")
    assert "check the export is whole" in said[0]


def test_real_records_without_a_title_but_with_content_are_not_empty(tmp_path: Path) -> None:
    path = tmp_path / "no_titles.ris"
    path.write_text("TY  - JOUR\nAU  - Smith, J\nPY  - 2001\nER  - \n\nTY  - JOUR\nDO  - 10.1016/j.envres.2020.109876\nER  - \n",
                    encoding="utf-8")
    result = ingest_paths([path])
    assert not [w for w in result.report.warnings if "have no title" in w]
    assert not [w for w in ingest_paths([ECONLIT]).report.warnings if "have no title" in w]
