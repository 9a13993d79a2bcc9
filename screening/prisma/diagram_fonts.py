"""Fonts for the PNG and PDF flow diagrams: installed fallbacks for what the default font lacks.

The diagram is drawn in DejaVu Sans, which has no CJK, Thai, Devanagari... glyphs: a database
named 'Scopus (中文)' came out as 'Scopus (□□)' in the PNG and PDF, and matplotlib printed a
raw ``UserWarning ... Glyph 20013 missing from font(s)`` with its source line per glyph and
format (acceptance testing). The SVG keeps text as text (the viewer's fonts draw it) and the
HTML and Markdown reports are text, so only the PNG and PDF need this. :func:`diagram_fonts`
finds, among the fonts matplotlib knows, ones that have the missing characters (Noto Sans CJK,
WenQuanYi, Droid Sans Fallback... whichever is installed), given to matplotlib as fallback
families after the default; what no font has is said once, as a warning for the report.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

DEFAULT_FAMILY = "DejaVu Sans"
# fonts made for the scripts the default lacks, tried first when installed; then any other
# font whose character map has the characters
PREFERRED = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR", "Noto Sans CJK TC", "Source Han Sans",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback", "Noto Sans", "Arial Unicode MS")
# matplotlib's own last-resort font maps every character to a box: it draws nothing readable
_NOT_FALLBACKS = ("Last Resort",)
_SHOWN = 6       # characters a warning quotes
GLYPH_WARNING = r"Glyph \d+ .*missing from font"


@dataclass(frozen=True)
class DiagramFonts:
    families: tuple[str, ...]        # matplotlib's font.family: the default, then the fallbacks
    undrawable: str = ""             # characters no installed font has, each once, in text order

    def warning(self) -> str | None:
        """One line for the report when some characters cannot be drawn in the PNG and PDF."""
        if not self.undrawable:
            return None
        n = len(self.undrawable)
        shown = self.undrawable[:_SHOWN] + ("…" if n > _SHOWN else "")
        return (f"the PNG and PDF diagrams cannot draw {n} character{'s' if n != 1 else ''} (e.g. {shown}): "
                "no installed font has them, so they show as empty boxes; the SVG and the HTML report show "
                "them (install a font that has them, such as Noto Sans CJK, for the PNG and PDF)")


@lru_cache(maxsize=256)
def _charmap(path: str) -> frozenset[int]:
    from matplotlib import ft2font

    try:
        return frozenset(ft2font.FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):      # an unreadable font file: it has nothing
        return frozenset()


def _default_charmap() -> frozenset[int]:
    from matplotlib import font_manager

    return _charmap(font_manager.findfont(font_manager.FontProperties(family=DEFAULT_FAMILY), fallback_to_default=True))


def installed_fonts() -> list[tuple[str, str]]:
    """(family, file) of every font matplotlib knows but the default and the last-resort one,
    regular style first, in a stable order (a patch point for tests)."""
    from matplotlib import font_manager

    entries = sorted(font_manager.fontManager.ttflist,
                     key=lambda e: (e.name, e.style != "normal", str(e.weight) not in ("400", "normal"), e.fname))
    out: dict[str, str] = {}
    for e in entries:
        if e.name != DEFAULT_FAMILY and not e.name.startswith(_NOT_FALLBACKS):
            out.setdefault(e.name, e.fname)
    return list(out.items())


@lru_cache(maxsize=64)
def diagram_fonts(text: str) -> DiagramFonts:
    """The font families that draw ``text`` (the diagram's every string, joined), and what
    none of them can draw."""
    default = _default_charmap()
    missing = [c for c in dict.fromkeys(text) if not c.isspace() and ord(c) not in default]
    if not missing:
        return DiagramFonts((DEFAULT_FAMILY,))
    left = {ord(c) for c in missing}
    rank = {name: i for i, name in enumerate(PREFERRED)}
    chosen: list[str] = []
    # the preferred fonts first, then the others by name, each taken when it has some of the
    # characters still left; character maps are read only until all are found (a desktop
    # has hundreds of fonts)
    for name, path in sorted(installed_fonts(), key=lambda f: (rank.get(f[0], len(PREFERRED)), f[0])):
        if not left:
            break
        if found := left & _charmap(path):
            chosen.append(name)
            left -= found
    return DiagramFonts((DEFAULT_FAMILY, *chosen), "".join(c for c in missing if ord(c) in left))


@contextlib.contextmanager
def quiet_glyph_warnings() -> Iterator[None]:
    """Drawing: matplotlib's per-glyph warnings are not printed (the report says it once, from
    :meth:`DiagramFonts.warning`); every other warning is left as it is."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=GLYPH_WARNING, category=UserWarning)
        yield
