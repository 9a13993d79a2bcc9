"""Accent folding shared by every matching key: dedup's titles, author and journal names (through
:func:`screening.text_clean.normalize_title`) and the rules' word index
(:mod:`screening.rules.textindex`).

One function, so that what a rule query calls the same word and what dedup calls the same name
cannot drift apart: they did (the index folded 'ß' to 'ss' through ``str.casefold``, dedup did
not, so a MEDLINE 'Strauss' was no author of the Embase 'Strauß' and a translated title's pair
was neither linked nor queued).

Two kinds of folding:

- accents: combining marks of the Latin, Greek and Cyrillic diacritic blocks, Arabic vowel marks
  (harakat) and Hebrew points (niqqud, cantillation), after compatibility decomposition (NFKD:
  'é' -> 'e' + U+0301, the ligature 'ﬁ' -> 'fi', full-width 'Ａ' -> 'A');
- letters that do not decompose, spelled as MEDLINE transliterates them in author names and
  translated titles: ø -> o, æ -> ae, œ -> oe, ß -> ss, ł -> l, ı -> i, đ -> d, ð -> d, þ -> th.

Other marks are kept: a Japanese voicing mark, an Indic virama or a Thai tone mark is no accent
('が' and 'か' are different syllables), and the result is recomposed (NFC) so that a kept mark
stays on its letter.
"""

from __future__ import annotations

import re
import unicodedata

# The blocks whose non-spacing (and enclosing) marks are accents or vowel points; only the
# characters of category Mn/Me inside them are removed (Hebrew's maqaf and sof pasuq, in the
# same block, are punctuation).
_ACCENT_BLOCKS = (
    (0x0300, 0x036F),   # combining diacritical marks (Latin, Greek)
    (0x0483, 0x0489),   # Cyrillic titlo and other combining marks
    (0x0591, 0x05C7),   # Hebrew cantillation and points (niqqud)
    (0x0610, 0x061A),   # Arabic honorific and small marks
    (0x064B, 0x065F),   # Arabic harakat (fatha, damma, kasra, shadda, sukun, tanwin ...)
    (0x0670, 0x0670),   # Arabic superscript alef
    (0x06D6, 0x06ED),   # Arabic Quranic annotation marks
    (0x1AB0, 0x1AFF),   # combining diacritical marks extended
    (0x1DC0, 0x1DFF),   # combining diacritical marks supplement
    (0x20D0, 0x20FF),   # combining marks for symbols
    (0xFE20, 0xFE2F),   # combining half marks
)
ACCENT_MARKS = frozenset(chr(c) for lo, hi in _ACCENT_BLOCKS for c in range(lo, hi + 1)
                         if unicodedata.category(chr(c)) in ("Mn", "Me"))
_ACCENTS_RE = re.compile("[" + "".join(re.escape(c) for c in sorted(ACCENT_MARKS)) + "]+")

# Letters NFKD leaves alone, as NLM transliterates them (capitals too: an upper-case title);
# the capitals' spelling keeps the case of a title-case word ('Ærø' -> 'Aero'), and callers
# compare lower-cased text anyway.
TRANSLITERATED: dict[str, str] = {
    "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ß": "ss", "ẞ": "SS",
    "ł": "l", "Ł": "L", "ı": "i", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
}
_LETTERS = str.maketrans(TRANSLITERATED)


def fold_accents(text: str) -> str:
    """``text`` with accents removed and MEDLINE-transliterated letters spelled in ASCII, case
    kept: 'Ødegård' -> 'Odegard', 'Strauß' -> 'Strauss', 'Işık' -> 'Isik', 'لُبْنَان' -> 'لبنان'.
    Compatibility forms are unified as NFKC does; ASCII text is returned as it is."""
    if text.isascii():
        return text
    text = _ACCENTS_RE.sub("", unicodedata.normalize("NFKD", text)).translate(_LETTERS)
    return unicodedata.normalize("NFC", text)
