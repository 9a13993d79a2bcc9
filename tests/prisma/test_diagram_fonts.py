"""Characters the diagram's font lacks (acceptance testing, L3): a database named 'Scopus (中文)'
was drawn as 'Scopus (□□)' in the PNG and PDF, and matplotlib printed six raw
'UserWarning: Glyph 20013 ... missing from font(s) DejaVu Sans' lines with their source line.
Now an installed font that has the characters is a fallback, matplotlib's warnings are not
printed, and what no font has is one warning of the PRISMA result."""

from __future__ import annotations

import contextlib
import dataclasses
import warnings

import pytest

from screening.prisma import diagram_fonts as fonts
from screening.prisma.counts import compute_counts
from screening.prisma.diagram import diagram_warnings, render


@pytest.fixture
def counts(records, finals):
    ta, ft = finals
    return compute_counts(records, ta, ft)


def _named(counts, name: str):
    return dataclasses.replace(counts, databases={name: counts.identified_databases})


@pytest.fixture
def no_fallback_fonts(monkeypatch):
    """This machine's fonts as if none but the default were installed (CI machines often have
    a CJK font; the warning must be tested without one)."""
    monkeypatch.setattr(fonts, "installed_fonts", lambda: [])
    fonts.diagram_fonts.cache_clear()
    yield
    fonts.diagram_fonts.cache_clear()


def test_no_raw_glyph_warning_escapes_and_one_warning_says_what_cannot_be_drawn(counts, no_fallback_fonts):
    c = _named(counts, "Scopus (中文)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # any warning matplotlib lets out fails the test
        for fmt in ("png", "pdf", "svg"):
            assert render(c, fmt)
    said = diagram_warnings(c)
    assert said == ["the PNG and PDF diagrams cannot draw 2 characters (e.g. 中文): no installed font has them, "
                    "so they show as empty boxes; the SVG and the HTML report show them (install a font that has "
                    "them, such as Noto Sans CJK, for the PNG and PDF)"]
    assert diagram_warnings(counts) == []          # plain text: nothing to say


def test_an_installed_font_that_has_them_is_the_fallback(counts, monkeypatch):
    """'ℊ' (SCRIPT SMALL G) is not in DejaVu Sans but in fonts matplotlib ships (DejaVu Math TeX
    Gyre, STIXGeneral): found by its character map, it draws the character, nothing is warned."""
    fonts.diagram_fonts.cache_clear()
    try:
        found = fonts.diagram_fonts("Scopus ℊ")
        assert found.families[0] == "DejaVu Sans" and len(found.families) == 2 and not found.undrawable
        path = dict(fonts.installed_fonts())[found.families[1]]
        assert ord("ℊ") in fonts._charmap(path) and ord("ℊ") not in fonts._default_charmap()
        c = _named(counts, "Scopus ℊ")
        # matplotlib's warnings let through: none, as the fallback font has the glyph
        monkeypatch.setattr("screening.prisma.diagram.quiet_glyph_warnings", contextlib.nullcontext)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert render(c, "png") and render(c, "pdf")
        assert diagram_warnings(c) == []
    finally:
        fonts.diagram_fonts.cache_clear()


def test_the_last_resort_font_is_no_fallback() -> None:
    """matplotlib ships a font mapping every character to a box: 'found' there is not drawn."""
    assert not [name for name, _ in fonts.installed_fonts() if name.startswith("Last Resort")]


def test_generate_says_it_once_in_the_result(records, finals, tmp_path, no_fallback_fonts, recwarn):
    from screening.config import load_review
    from screening.prisma import generate

    path = tmp_path / "wild.toml"
    path.write_text('[review]\nname = "wild"\noutput_dir = "out"\n[[sources]]\nfile = "wos.ris"\n'
                    'database = "Web of Science Core Collection"\n', encoding="utf-8")
    ta, ft = finals
    named = records.assign(source_db=records["source_db"].replace({"Lens.org": "Scopus (中文)"}))
    result = generate(load_review(path), tmp_path / "p", records=named, ta_finals=ta, ft_finals=ft)
    assert "Scopus (中文)" in result.counts.databases
    said = [w for w in result.summary()["warnings"] if "cannot draw" in w]
    assert len(said) == 1 and "(e.g. 中文)" in said[0]
    assert not [w for w in recwarn if "Glyph" in str(w.message)]
    # not in the report files: they would then differ by the fonts a machine has
    assert "cannot draw" not in result.files["json"].read_text(encoding="utf-8")
