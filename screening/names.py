"""Author names: one name as 'Family, Given', and joined author strings split into names.

Exports write names every way there is: 'Smith, John', MEDLINE 'Smith JA', 'John A. Smith',
'Jan van der Berg', and family names of several words in any order ('van der Heijden',
OpenAlex's Dutch sort order 'Rossum Hj van', 'Marta Roqué i Figuls'). The normaliser turns each
into 'Family, Given' so that dedup compares family names (screening.dedup.normalise) and the
screen shows one form. Like every normaliser it is idempotent and never raises (see
screening.normalize, which re-exports these functions).
"""

from __future__ import annotations

import re

from screening.text_clean import _WS_RE, clean_text, normalize_title

# A capital letter of any alphabet, as a regex class ('[A-ZÀ-ÞĀĂ...]'): initials are written in
# the author's own alphabet ('Ekström ÅM', 'Krzych ŁJ', 'Luís Â'), and with [A-Z] alone such a
# name read given-first ('ÅM, Ekström'). Python's re has no \p{Lu}; the Basic Multilingual
# Plane holds every cased alphabet, so the class is built from it once.
UPPER = "[" + "".join(c for c in map(chr, range(0x10000)) if c.isupper() and c.isalpha()) + "]"
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "dos", "das", "ter", "ten", "bin", "al", "el"}
_INITIALS_RE = re.compile(rf"^(?P<family>.+?)\s+(?P<initials>(?:{UPPER}\.?\s?){{1,4}}|(?:{UPPER}\.?-?){{1,4}})$")
# generational suffixes as MEDLINE writes them after the initials ('Llerena J Jr', 'Barker FM 2nd')
_SUFFIX_RE = re.compile(r"^(?P<name>.+?)\s+(?P<suffix>Jr\.?|Sr\.?|2nd|3rd|4th|5th|II|III|IV)$")
# words that make a name an organisation's ('Pompe Registry Sites', 'American College of Medical
# Toxicology'): such a name is kept whole, not turned into 'Toxicology, American College of Medical'
_ORG_WORDS = frozenset(
    "academy agency alliance association board centre center collaboration collaborative college groupe "
    "commission committee consortium council department federation forum foundation group groups "
    "hospital initiative institute institution investigators ministry network office organisation "
    "organization panel program programme project registry service services sites society study "
    "taskforce team trialists union university working".split())
_ORG_JOINERS = frozenset({"of", "for", "and", "on", "the", "&"})
# Particles of family names as they are written inside a name, in lower case. A given name is
# never written 'van' or 'de', so a name that starts with one ('van der Heijden', Crossref's
# family-only names) or ends with some (Dutch sort order without its comma: 'Rossum Hj van',
# OpenAlex) is written family first; a capitalised 'Van' or 'De' may be a given name ('Dung,
# Van', 'Liu, De') and says nothing alone.
_LOWER_PARTICLES = frozenset(
    "van von der den de del della dei des di da du dos das do ter ten te la le los las el al zu zum zur vom"
    .split())
_ANY_PARTICLES = _PARTICLES | _LOWER_PARTICLES
# Catalan/Spanish double family names joined by a lower-case 'i'/'y' ('Roqué i Figuls')
_NAME_JOINERS = frozenset({"i", "y"})
# a Dutch double name whose second part's particle ends the sorted form ('Lambregtse-van')
_HYPHEN_PARTICLE = re.compile(r"^\w[\w'\u2019]*-(?:" + "|".join(sorted(_LOWER_PARTICLES)) + r")$")


def normalize_author(value: str | None) -> str:
    """One author name as ``'Family, Given'``.

    Handles ``'Smith, John'``, MEDLINE ``'Smith JA'``, ``'Smith J.A.'``, ``'John A. Smith'``,
    ``'Jan van der Berg'``, and family names of several words written family first without a
    comma when their particles show it (``'van der Heijden'``, ``'Rossum Hj van'``, ``'Roqué i
    Figuls Marta'``; see :func:`_particle_order`). Given names are kept as written (initials are
    not expanded).
    """
    if not value:
        return ""
    name = _WS_RE.sub(" ", clean_text(value).replace("<", " ").replace(">", " ")).strip(" ,;")
    if not name or name.lower().strip("[](). ") in {"et al", "anon", "anonymous", "no authors listed"}:
        return ""
    if "," in name:
        family, _, given = name.partition(",")
        family, given = family.strip(" ,;"), given.strip(" ,;")
        if not family:
            return given
        if not given:
            return family
        return (particles_astray(family, given) and _stranded_particles(family, given)) or f"{family}, {given}"
    return _without_comma(name)


def particles_astray(family: str, given: str) -> bool:
    """Whether :func:`normalize_author` may move particles between these two parts of a
    'Family, Given' name (a superset of the cases it moves): the readers' fast paths hand
    such names to it instead of returning them as they are."""
    first, last = family.partition(" ")[0], given.rpartition(" ")[2]
    if (first[:1].isalnum() or first[-1:].isalnum()) and (last[:1].isalnum() or last[-1:].isalnum()):
        # the usual name ('Smith, J.'): its first and last words are words, not a stray ';'
        return first[:1].islower() or last in _LOWER_PARTICLES
    fam, giv = _words(family), _words(given)
    return bool(fam and giv) and (fam[0][:1].islower() or giv[-1] in _LOWER_PARTICLES)


def _stranded_particles(family: str, given: str) -> str:
    """A 'Family, Given' name whose particles sit on the wrong side of the comma, put right;
    '' when the name is fine. Only these shapes move, each to a form that no rule moves again
    (so normalising twice changes nothing):

    * the family is only particles, the given part a family word and initials: 'van,
      Ballegooijen M' -> 'van Ballegooijen, M' (Rathbone's EndNote libraries, where MEDLINE's
      'van Ballegooijen M' was cut at its first space);
    * the family is one word and the given part ends with particles: Dutch sort order, 'Rossum,
      Hj van' -> 'van Rossum, Hj' (as MEDLINE and Scopus write it); 'Fenema, van' -> 'van
      Fenema' (a family name alone)."""
    if "," in given:            # 'Smith, J. W., 2nd': more than one name part, left alone
        return ""
    fam, giv = _words(family), _words(given)
    if not fam or not giv:
        return ""
    if all(w in _LOWER_PARTICLES for w in fam):
        k = _particles_at_start(giv)
        if k < len(giv) - 1 and _family_word(giv[k]) and all(_INITIALS_ONLY.match(w) for w in giv[k + 1:]):
            return f"{family} {' '.join(giv[:k + 1])}, {' '.join(giv[k + 1:])}"
        return ""
    k = _particles_at_start(fam)
    if k != len(fam) - 1 or not _family_word(fam[k]) or giv[-1] not in _LOWER_PARTICLES:
        return ""
    tail = len(giv)
    while tail > 0 and giv[tail - 1] in _LOWER_PARTICLES:
        tail -= 1
    moved = " ".join(giv[tail:] + fam)
    return f"{moved}, {' '.join(giv[:tail])}" if tail else moved


def _words(text: str) -> list[str]:
    """The words of a name part, without a stray ';' or '-' between them."""
    return [w for w in text.split(" ") if any(c.isalnum() for c in w)]


def _particles_at_start(words: list[str]) -> int:
    """How many of the words, from the first, are lower-case particles."""
    k = 0
    while k < len(words) and words[k] in _LOWER_PARTICLES:
        k += 1
    return k


_INITIALS_ONLY = re.compile(rf"^(?:{UPPER}\.?-?)+$")
# a family name and its initials glued by a dot, as typed into EndNote ('Zimmerhackl.L.B',
# 'Crum.C.P.'); the family ends in a lower-case letter, so 'St.John' is not one
_DOT_GLUED = re.compile(rf"^([^\W\d_][\w'\u2019\u2010-]*[a-z\u00df-\u00ff])\.((?:{UPPER}\.?){{1,4}})$")
_SUFFIX_WORD = re.compile(r"^(?:Jr\.?|Sr\.?|2nd|3rd|4th|5th|II|III|IV)$")


def _family_word(word: str) -> bool:
    """A word that can carry a family name after its particles: not a particle itself, an
    initial ('van M' is MEDLINE's 'van, M'), a suffix or punctuation."""
    return (any(c.isalpha() for c in word) and word.lower() not in _ANY_PARTICLES
            and not _INITIALS_ONLY.match(word) and not _SUFFIX_WORD.match(word) and not _HYPHEN_PARTICLE.match(word))


def _without_comma(name: str) -> str:
    """:func:`normalize_author` for a name without a comma."""
    suffix = ""
    if (m := _SUFFIX_RE.match(name)) and " " in m.group("name"):      # 'Smith II' alone stays a name
        name, suffix = m.group("name"), " " + m.group("suffix")
    match = _INITIALS_RE.match(name)
    if match:
        family = match.group("family").strip(" ,;")
        initials = match.group("initials").replace(" ", "")
        return f"{family}, {initials}{suffix}"
    parts = name.split(" ")
    if len(parts) == 1:
        if (glued := _DOT_GLUED.match(name)) is not None:     # EndNote entry 'Crum.C.P.'
            return f"{glued.group(1)}, {glued.group(2)}{suffix}"
        return name + suffix
    if not suffix and is_organisation(parts):
        return name
    ordered = _particle_order(parts)
    if ordered is not None:
        family, given = ordered[0].strip(" ,;"), ordered[1].strip(" ,;")
    else:
        # 'John A. Smith' / 'Jan van der Berg': family name starts at the first particle or last token
        start = len(parts) - 1
        start = next((i for i in range(1, len(parts) - 1) if _middle_particle(parts[i])), start)
        family = " ".join(parts[start:]).strip(" ,;")
        given = " ".join(parts[:start]).strip(" ,;")
    if not family or not given:
        return (family or given) + suffix
    given += suffix
    # what a 'Family, Given' name would be normalised to (a stray ';' can leave a particle
    # at the end of the given part), so normalising the result again changes nothing
    return (particles_astray(family, given) and _stranded_particles(family, given)) or f"{family}, {given}"


def _particle_order(parts: list[str]) -> tuple[str, str] | None:
    """``(family, given)`` when particles or joiners show where the family name is, else
    ``None`` (the caller then reads the name given-first):

    * lower-case particles at the end: Dutch sort order without its comma, the particles go
      in front ('Rossum Hj van' -> 'van Rossum, Hj'; 'den Berg Mijke Lambregtse-van' ->
      'Lambregtse-van den Berg, Mijke'; OpenAlex writes some Dutch names so);
    * a lower-case particle first, or two particles first: family first ('van der Valk Jan',
      'Van Der Woerdt Alexandra'), or a family name alone ('van Fenema', Crossref);
    * a lower-case 'i'/'y' joining two words: 'Marta Roqué i Figuls', 'Roqué i Figuls Marta'.
    A family name of two plain words written first ('Davey Smith George') cannot be told from
    two given names ('Gurusamy Kurinchi Selvan') and is not read here."""
    parts = _words(" ".join(parts))
    n = len(parts)
    if n < 2:
        return None
    tail = n
    while tail > 0 and parts[tail - 1] in _LOWER_PARTICLES:
        tail -= 1
    hyphen = tail == n and _HYPHEN_PARTICLE.match(parts[-1]) is not None
    if hyphen:
        tail = n - 1
    lead = 0
    while lead < n and parts[lead].lower() in _ANY_PARTICLES:
        lead += 1
    if tail < n:
        # a given name must sit between a hyphenated name's parts: 'X Lambregtse-van' alone is
        # no sort order
        if lead >= tail or not _family_word(parts[lead]) or (hyphen and lead + 1 == tail):
            return None
        core = lead + 1
        return " ".join(parts[tail:] + parts[:core]), " ".join(parts[core:tail])
    if lead < n and (parts[0] in _LOWER_PARTICLES or lead >= 2) and _family_word(parts[lead]):
        core = lead + 1
        # more of the family name tied on by a particle or joiner: 'de Oliveira da Silva Maria'
        while core + 1 < n and (parts[core] in _LOWER_PARTICLES or parts[core] in _NAME_JOINERS) \
                and _family_word(parts[core + 1]):
            core += 2
        return " ".join(parts[:core]), " ".join(parts[core:])
    joiners = [j for j in range(1, n - 1) if parts[j] in _NAME_JOINERS]
    # one joiner between two family words; more are a Spanish list of names ('Nick Craswell y
    # Francis Crimmins y David Hawking')
    if len(joiners) != 1 or not (_family_word(parts[joiners[0] - 1]) and _family_word(parts[joiners[0] + 1])):
        return None
    joiner = joiners[0]
    if joiner == 1:
        return " ".join(parts[:3]), " ".join(parts[3:])
    # given first; the family name may start at a particle before: 'V. Moreno de Vega y Lomo'
    start = next((i for i in range(1, joiner - 1) if _middle_particle(parts[i])), joiner - 1)
    return " ".join(parts[start:]), " ".join(parts[:start])


def _middle_particle(word: str) -> bool:
    """A particle that starts the family name of a name written given first ('Jan van der
    Berg', 'Amedee des Georges'); the rarer particles only in lower case ('Des' may be Desmond)."""
    return word.lower() in _PARTICLES or word in _LOWER_PARTICLES


def is_organisation(words: list[str]) -> bool:
    """A group author: a word like 'Group' or 'Registry', or three words or more joined by
    'of'/'for'/'and' ('Agency for Healthcare Research and Quality')."""
    lower = [w.lower().strip(".,;()") for w in words]
    return any(w in _ORG_WORDS for w in lower) or (len(words) >= 3 and any(w in _ORG_JOINERS for w in lower[1:-1]))


def split_authors(value: str | None, sep: str | None = None) -> list[str]:
    """Split a joined author string (``' and '``, ``';'``) and normalise each name."""
    if not value:
        return []
    text = str(value)
    if sep is None:
        if " and " in text:
            parts = re.split(r"\s+and\s+", text)
        elif ";" in text:
            parts = text.split(";")
        elif "|" in text:
            parts = text.split("|")
        else:
            parts = [text]
    else:
        parts = text.split(sep)
    return [a for a in (normalize_author(p) for p in parts) if a]


def author_family(value: str) -> str:
    """Family name of a normalised author, lower-cased and accent-free (for matching)."""
    family = value.split(",", 1)[0]
    return normalize_title(family)
