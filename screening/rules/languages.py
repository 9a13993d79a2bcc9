"""Language values as the rules read them: names, ISO 639 codes and endonyms -> one canonical name.

Records say 'eng', 'English', 'en', 'EN', 'en-US' - or the language's own name: CNKI writes
'中文', eLibrary 'Русский', SciELO 'Español' and 'Português', and hand-edited reference
libraries 'Deutsch' or 'Français'. A rule lists languages in any of these forms; a record's
value is matched whatever form it takes. A value that names no language this table knows is
*unrecognised*: the rules treat it as missing (the rule's ``missing`` decides, and the stage
warns, naming the values), never as 'not in the list' - a record in German must not be
excluded as not German because it says 'Deutsch' (acceptance testing).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Iterable

from screening.text_fold import fold_accents

# canonical name -> ISO 639-1 / 639-2 (B and T) codes, English variants, and the language's
# names for itself (endonyms, with and without accents: lookups also try the value with its
# accents stripped, so 'Francais' and an NFD 'Français' are French too)
_LANGUAGES: dict[str, tuple[str, ...]] = {
    "english": ("en", "eng"),
    "french": ("fr", "fre", "fra", "français", "française"),
    "german": ("de", "ger", "deu", "deutsch"),
    "spanish": ("es", "spa", "castilian", "español", "castellano"),
    "italian": ("it", "ita", "italiano"),
    "portuguese": ("pt", "por", "português", "portuguesa"),
    "dutch": ("nl", "dut", "nld", "flemish", "netherlandish", "nederlands", "vlaams"),
    "chinese": ("zh", "chi", "zho", "mandarin", "cantonese", "中文", "汉语", "漢語", "华语", "華語", "普通话",
                "國語", "简体中文", "繁體中文", "繁体中文", "中文简体", "中文繁體"),
    "japanese": ("ja", "jpn", "日本語", "にほんご"),
    "korean": ("ko", "kor", "한국어", "조선말", "조선어", "한국말"),
    "russian": ("ru", "rus", "русский", "русский язык"),
    "polish": ("pl", "pol", "polski", "język polski"),
    "czech": ("cs", "cze", "ces", "čeština", "český"),
    "slovak": ("sk", "slo", "slk", "slovenčina", "slovenský"),
    "hungarian": ("hu", "hun", "magyar"),
    "ukrainian": ("uk", "ukr", "українська"),
    "swedish": ("sv", "swe", "svenska"),
    "danish": ("da", "dan", "dansk"),
    "norwegian": ("no", "nor", "nb", "nob", "nn", "nno", "norsk", "bokmål", "nynorsk",
                  "norwegian bokmål", "norwegian nynorsk"),
    "finnish": ("fi", "fin", "suomi"),
    "icelandic": ("is", "ice", "isl", "íslenska"),
    "turkish": ("tr", "tur", "türkçe"),
    "arabic": ("ar", "ara", "العربية", "عربي"),
    "hebrew": ("he", "heb", "עברית"),
    "greek": ("el", "gre", "ell", "greek, modern", "modern greek", "ελληνικά"),
    "persian": ("fa", "per", "fas", "farsi", "فارسی"),
    "croatian": ("hr", "hrv", "scr", "hrvatski"),
    "serbian": ("sr", "srp", "scc", "српски", "srpski"),
    "slovenian": ("sl", "slv", "slovene", "slovenščina"),
    "bulgarian": ("bg", "bul", "български"),
    "romanian": ("ro", "rum", "ron", "moldavian", "rumanian", "română"),
    "lithuanian": ("lt", "lit", "lietuvių"),
    "latvian": ("lv", "lav", "latviešu"),
    "estonian": ("et", "est", "eesti"),
    "catalan": ("ca", "cat", "català"),
    "basque": ("eu", "baq", "eus", "euskara"),
    "galician": ("gl", "glg", "galego"),
    "afrikaans": ("af", "afr"),
    "indonesian": ("id", "ind", "bahasa indonesia"),
    "malay": ("ms", "may", "msa", "bahasa melayu"),
    "thai": ("th", "tha", "ไทย", "ภาษาไทย"),
    "vietnamese": ("vi", "vie", "tiếng việt"),
    "hindi": ("hi", "hin", "हिन्दी", "हिंदी"),
    "urdu": ("ur", "urd", "اردو"),
    "bengali": ("bn", "ben", "bangla", "বাংলা"),
    "tamil": ("ta", "tam", "தமிழ்"),
    "latin": ("la", "lat", "latina"),
    "esperanto": ("eo", "epo"),
    "welsh": ("cy", "wel", "cym", "cymraeg"),
    "irish": ("ga", "gle", "gaeilge"),
    "albanian": ("sq", "alb", "sqi", "shqip"),
    "armenian": ("hy", "arm", "hye", "հայերեն"),
    "georgian": ("ka", "geo", "kat", "ქართული"),
    "macedonian": ("mk", "mac", "mkd", "македонски"),
    "bosnian": ("bs", "bos", "bosanski"),
    "belarusian": ("be", "bel", "byelorussian", "беларуская"),
    "kazakh": ("kk", "kaz", "қазақ тілі", "қазақша"),
    "swahili": ("sw", "swa", "kiswahili"),
    "tagalog": ("tl", "tgl", "filipino", "fil"),
    # what a record says when it does not say a language (NO_LANGUAGE below)
    "multiple languages": ("mul", "multi-language", "multilingual"),
    "undetermined": ("und", "unspecified", "undefined", "not specified"),
}


def _key(value: str) -> str:
    """A value as looked up: NFKC (full-width letters, composed accents), lower case, spaces folded."""
    return " ".join(unicodedata.normalize("NFKC", value).lower().split())


LANGUAGE_ALIASES: dict[str, str] = {
    _key(alias): name for name, aliases in _LANGUAGES.items() for alias in (name, *aliases)
}
# the same without accents ('francais', 'espanol', 'turkce', 'portugues'), where that is no
# other language's name
_UNACCENTED: dict[str, str] = {fold_accents(k): v for k, v in LANGUAGE_ALIASES.items()}

# A BCP 47 tag with a region or script ('en-US', 'en_GB', 'pt-BR', 'zh-Hans'): its language
_SUBTAGGED = re.compile(r"([a-z]{2,3})[-_](?:[a-z]{4}|[a-z]{2}|\d{3})(?:[-_][a-z0-9]+)*")
# What a record says when it does not say a language: ISO 639's 'und' (undetermined), 'mul'
# (several, unnamed) and 'zxx' (no linguistic content). Such a record has no language a rule
# can test: it follows the rule's `missing`, as an empty field does.
NO_LANGUAGE = frozenset({"undetermined", "multiple languages", "zxx", "no linguistic content", "unknown"})
KNOWN_LANGUAGES = frozenset(_LANGUAGES) - NO_LANGUAGE


@lru_cache(maxsize=4096)
def canonical_language(value: str) -> str:
    """'ENG', 'en', 'English', 'en-US', 'Deutsch', 'Français' -> the canonical name ('english',
    'german', 'french'); a value this table does not know is returned folded (lower case)."""
    key = _key(value)
    if key in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[key]
    if (bare := fold_accents(key)) in _UNACCENTED:
        return _UNACCENTED[bare]
    tagged = _SUBTAGGED.fullmatch(key)
    return LANGUAGE_ALIASES.get(tagged.group(1), key) if tagged else key


def is_language(value: str) -> bool:
    """Whether ``value`` names a language (or says it names none: 'und', 'mul') in any form
    the table knows: what a rule may list."""
    return canonical_language(value) in _LANGUAGES


# between the languages of one value: 'English; French', 'en, fr', 'German and English', one
# per line ('eng\nspa'; in the benchmark's Excel-made sets 'eng_x000D_\nspa', Excel's written CR)
_LANG_SPLIT = re.compile(r"\s*(?:[;,/|\r\n]|_x000D_|\band\b)\s*", re.IGNORECASE)
_PARENS = re.compile(r"\([^)]*\)")


@lru_cache(maxsize=4096)
def _parts(value: str) -> tuple[tuple[str, str], ...]:
    """(part as written, canonical name) for each language a record's value lists; a
    parenthesised qualifier ('Chinese (Simplified)', full-width brackets too) is dropped."""
    value = _PARENS.sub(" ", unicodedata.normalize("NFKC", value or ""))
    return tuple((p.strip(), canonical_language(p)) for p in _LANG_SPLIT.split(value) if p.strip())


def record_languages(value: str) -> set[str]:
    """'English; French' / 'eng' / 'en, fr' / 'en-US' / 'Chinese (Simplified)' / 'Deutsch' ->
    canonical names; 'und' / 'mul' name no language (:data:`NO_LANGUAGE`: the record's is
    missing). A part the table does not know is kept folded ('klingon'): see
    :func:`known_and_unrecognised` for the split the rules test on."""
    return {name for _, name in _parts(value)} - NO_LANGUAGE


def known_and_unrecognised(value: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The languages a record's value names (canonical), and the parts of it that name none
    this table knows, as written: a rule cannot tell whether those are in its list, so it
    treats them as missing data rather than as 'not in the list'."""
    known = frozenset(name for _, name in _parts(value) if name in KNOWN_LANGUAGES)
    unknown = tuple(part for part, name in _parts(value) if name not in KNOWN_LANGUAGES and name not in NO_LANGUAGE)
    return known, unknown


def unrecognised_counts(values: Iterable[str]) -> dict[str, int]:
    """Records per language value part no table entry knows ('Klingon': 3), most first."""
    counts: Counter[str] = Counter()
    for value, n in Counter(v for v in values if isinstance(v, str) and v).items():
        for part in dict.fromkeys(known_and_unrecognised(value)[1]):
            counts[part] += n
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
