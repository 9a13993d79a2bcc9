"""The accent folding dedup and the rules share (screening.text_fold): which marks and letters
it folds, which it keeps, and that dedup's title/name keys and the rules' words read text alike
(acceptance test 35: the rules folded 'ß' and dedup did not, neither folded 'ø', 'ł', 'ı', 'æ'
nor Arabic and Hebrew vowel marks)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings, strategies as st

from screening.normalize import normalize_title
from screening.rules.textindex import words_of
from screening.text_fold import TRANSLITERATED, fold_accents

# letters with accents, the transliterated letters, Arabic/Hebrew with vowel marks, separators
ALPHABET = (list("aeiouAEIOU éèêëÉüÜöÖåÅçñÑšŠžŽčćęąőű-.,'") + list(TRANSLITERATED) + list("لُبْنَانשְׂרֵפוֹת")
            + ["\u0301", "\u0308"])
TEXTS = st.text(alphabet=st.sampled_from(ALPHABET), max_size=40)


@pytest.mark.parametrize("original, folded", [
    ("Ødegård", "Odegard"), ("Strauß", "Strauss"), ("STRAẞE", "STRASSE"), ("Işık", "Isik"),
    ("İstanbul", "Istanbul"), ("Wałęsa", "Walesa"), ("Łódź", "Lodz"), ("Ærø", "Aero"), ("æsthetics", "aesthetics"),
    ("Œuvre cœur", "Oeuvre coeur"),
    ("Đoković", "Dokovic"), ("Þórsdóttir", "Thorsdottir"), ("Guðrún", "Gudrun"), ("Šedivý", "Sedivy"),
    ("Lefe\u0300vre", "Lefevre"),                               # decomposed (NFD) input
    ("ﬁbrosis", "fibrosis"), ("ＣＯ₂", "CO2"),                # compatibility forms, as NFKC
    ("لُبْنَان", "لبنان"), ("الغَابَاتِ", "الغابات"),          # Arabic harakat
    ("הַנְּשִׁימָה", "הנשימה"), ("יַעַר", "יער"),              # Hebrew niqqud, shin dot, dagesh
])
def test_folds_accents_and_the_letters_medline_transliterates(original, folded):
    assert fold_accents(original) == folded


def test_keeps_marks_that_are_no_accents_and_leaves_ascii_alone():
    assert fold_accents("がん") == "がん" != fold_accents("かん")        # a voiced syllable is another syllable
    assert fold_accents("ガ") == "ガ"                                     # recomposed, not left as か + mark
    assert fold_accents("हिन्दी") == unicodedata.normalize("NFC", "हिन्दी")  # the virama stays
    assert fold_accents("בריאות־הנשימה") == "בריאות־הנשימה"                 # maqaf is punctuation, kept
    text = "Plain ASCII, (unchanged) 100%"
    assert fold_accents(text) is text


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_idempotent_and_blind_to_unicode_normalisation(text):
    once = fold_accents(text)
    assert fold_accents(once) == once
    assert fold_accents(unicodedata.normalize("NFD", text)) == fold_accents(unicodedata.normalize("NFC", text)) == once


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_dedup_keys_and_rule_words_read_text_alike(text):
    assert normalize_title(text).split() == words_of(text)
