"""The RIS reader's fast paths give what the general code gives (they only skip work).

Ingest reads 100k-record files, so the common values take shortcuts: author shapes matched
whole by one regex, author values that name nobody, the record count from one pass over the
TY/ER lines, the whitespace fold of clean_text without splitting into words. Each is checked
here against the path it short-cuts.
"""

from __future__ import annotations

import pytest

from screening.io import ris
from screening.io.author_lists import NO_NAMES, _FAMILY_DOTTED_INITIALS, _PLAIN_NAME, authors_from
from screening.io.tagged import fast_clean
from screening.names import normalize_author
from screening.text_clean import clean_text


@pytest.mark.parametrize("value", sorted(NO_NAMES))
def test_values_naming_nobody_are_what_the_normaliser_empties(value):
    # authors_from skips them whole; the general path (no comma, ';' or ' and ') ends in
    # normalize_author, which must give '' for each
    assert "," not in value and ";" not in value and " and " not in value
    assert normalize_author(value) == ""
    assert authors_from([value]) == []


@pytest.mark.parametrize("value, expected", [
    ("Smith, John A.", ["Smith, John A."]),
    ("Rossi, J.-P.", ["Rossi, J.-P."]),
    ("O'Brien, J.-P.", ["O'Brien, J.-P."]),      # (the general path: a capital inside the family)
    ("Carhart-Harris, R. L.", ["Carhart-Harris, R. L."]),
    ("Vollenweider F.X.", ["Vollenweider, F.X."]),
    ("Carhart-Harris R.L.", ["Carhart-Harris, R.L."]),
    ("Johnson M.", ["Johnson, M."]),
])
def test_common_author_shapes_take_the_regex_path_with_the_general_result(value, expected):
    assert authors_from([value]) == expected
    # the general normaliser says the same
    assert [normalize_author(value)] == expected


def test_regex_paths_cover_the_usual_shapes():
    for value in ("Smith, John A.", "Rossi, J.-P.", "Nakamura, T. K."):
        assert _PLAIN_NAME.fullmatch(value)
    for value in ("Vollenweider F.X.", "Johnson M."):
        assert _FAMILY_DOTTED_INITIALS.fullmatch(value)


@pytest.mark.parametrize("value", [
    "Smith, A.B.C.D.",          # four dots: a broken EndNote list, left to the general path
    "van Smith, J",              # lower-case particle first
    "Smith J.A. Jr.",            # a suffix
    "Van Der Berg A.",           # family of several words
    "O'Brien, J.-P.",            # a capital inside the family
])
def test_other_author_shapes_skip_the_regex_path(value):
    assert not (_PLAIN_NAME.fullmatch(value) and value.count(".") < 4)
    assert not _FAMILY_DOTTED_INITIALS.fullmatch(value)


@pytest.mark.parametrize("text, expected", [
    ("TY  - JOUR\nTI  - a\nER  - \nTY  - JOUR\nTI  - b\nER  - \n", 2),
    ("TY  - JOUR\nTI  - a\nER  - \nTI  - lost its TY\nER  - \n", 2),      # an ER closing tag lines
    ("TY  - JOUR\nTI  - a\nTY  - JOUR\nTI  - b\nER  - \n", 2),           # a missing ER
    ("TY\t- JOUR\nTI  - a\nER  - \n", 1),                                 # a TY written askew
    ("TI  - no TY\nER  - \n", 1),
    ("ER  - \nTY  - JOUR\nER  - \n", 1),                                  # an ER with nothing to close
])
def test_record_count_fast_path_and_general_count_agree(text, expected):
    assert ris._count_records(text) == expected
    # the general count (the ER loop), which the alternating-markers pass short-cuts
    tys, ers = ris._marker_starts(text, "TY"), ris._marker_starts(text, "ER")
    count, i, prev = len(tys), 0, 0
    for er in ers:
        since = i
        while i < len(tys) and tys[i] < er:
            i += 1
        if i == since and ris._TAG_NOT_ER.search(text, prev, er):
            count += 1
        prev = er
    assert count == expected


@pytest.mark.parametrize("value", [
    "plain text", "two  spaces", " lead and trail ", "line\nbreak", "line \n break\n", "\n", "  ",
    "tab\there", "nbsp\u00a0here", "caf\u00e9  au\nlait", "thin\u2009space \n", "a\r\nb", "\x0bvt", "x\x00y",
])
def test_fast_clean_folds_whitespace_as_clean_text(value):
    assert fast_clean(value) == clean_text(value) == " ".join(value.split())
