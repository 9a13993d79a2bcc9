"""Author values as the line-tagged readers get them, into 'Family, Given' names.

One value is usually one name, but exports glue names together: people paste a whole author
list into one EndNote author (the Rathbone haematology library has ``'Servais, A, Provot F,
Rostaing L, ..., Loirat C.'`` as a single author, and ``'Abarrategui Garrido, Cynthia;
Martinez Barricarte, Ruben'``), Ovid CENTRAL joins a record's authors with commas
(``'Breckenridge A, Grobbee DE'``), EndNote's RIS export breaks its own lists (``'Wagner, Lamb
B. T. Call L. M. ...'``, ``'GotzJurgen, MatamalesMiriam'``). Read as one name such a value
becomes a person called 'Servais' with the given names 'A, Provot F, ...', and dedup compares
the wrong family names. The names inside are found without splitting what is one name written
with commas: a group ('Linezolid Community-Acquired Pneumonia Study, Group'), a suffix ('Smith,
J. W., 2nd'), a given name ('Fonseca C., Efraín R.' from Dimensions is one person).

:func:`authors_from` is what the tagged readers (RIS, Ovid, WoS, Cochrane, ProQuest, MEDLINE)
and EndNote XML call, through :mod:`screening.io.tagged`; :func:`comma_names` also serves
:func:`screening.io.bibtex.split_name_list` (BibTeX, generic CSV). Each name is then normalised
by :func:`screening.names.normalize_author`.
"""

from __future__ import annotations

import re
from typing import Iterable

from screening.names import UPPER, _NAME_JOINERS, is_organisation, normalize_author, particles_astray

# 'Smith JA', 'Kovar K-A', 'Davey Smith G': MEDLINE's family name then initials ('Breckenridge
# A, Grobbee DE', Ovid CENTRAL A1, is a list of them); initials in any alphabet (names.UPPER)
FAMILY_INITIALS = re.compile(rf"^[^\W\d][\w'\u2019\u2010\-. ]*? {UPPER}(?:-?{UPPER}){{0,3}}$")
# ... with dotted initials ('Golde T. E.', 'Loirat C.'): in a list of three names or more
# only, since 'Fonseca C., Efraín R.' (Dimensions) is one person
FAMILY_DOTTED = re.compile(rf"^[^\W\d][\w'\u2019\u2010\-. ]*? (?:{UPPER}\.\s?){{1,4}}$")
# the initials of a 'Family, Initials' pair: 'A', 'SR', 'J.C.', 'M. E. R.', 'K-A'
_INITIALS = re.compile(rf"^(?:{UPPER}\.?\s?-?){{1,4}}$")
# a family name standing alone before its initials: one word, or two ('Davey Smith'), no digits
_BARE_FAMILY = re.compile(r"^[^\W\d_][\w'\u2019\u2010\-]*(?: [^\W\d_][\w'\u2019\u2010\-]*)?$")
_AND = re.compile(r"\s+and\s+")
# EndNote's broken single AU line: 'Wagner, Lamb B. T. Call L. M. Slunt H. H.'
_NAME_DOTTED = re.compile(rf" ?([^\W\d][\w'\u2010\-]+(?: [^\W\d][\w'\u2010\-]+)*)((?: {UPPER}\.)+)")
# ... whose last author lost the initials to the front: 'J., Kass N. Faden R. ... Pitcavage'
_NAME_BARE = re.compile(r" ?([^\W\d][\w'\u2010\-]+(?: [^\W\d][\w'\u2010\-]+)*)$")
_INITIAL_ONLY = re.compile(rf"^(?:{UPPER}\.\s?)+$")
# words that start a family name of several words ('van der Heijde', 'El Dib', 'Oude
# Luttikhuis', 'Ben Charif'); family-first names without a comma are split after them
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "dos", "das", "ter",
              "ten", "el", "al", "abu", "ben", "oude"}
# (Catalan/Spanish double family names are joined by a lower-case 'i'/'y', 'Roqué i Figuls
# Marta': names._NAME_JOINERS; written lower case, these can be no given name or initial)
_NAME_STOP = {"et al", "anon", "anonymous"}
# 'Smith, John A.', 'Rossi, J.-P.': one capitalised family word, a comma and a space, then
# capitalised given words or initials, ASCII only; the general fast path of authors_from returns
# such a value as it is (the family ends with a lower-case letter, so it is no initial, and
# has no space, so it is no 'Family INITIALS' list)
_PLAIN_NAME = re.compile(r"[A-Z][a-z'\-]*[a-z], [A-Z][A-Za-z'.\-]*(?: [A-Z][A-Za-z'.\-]*)*")
# Embase's 'Vollenweider F.X.', 'Johnson M.W.': what normalize_author makes 'Family,
# Initials' (its _INITIALS_RE; no suffix, one family word)
_FAMILY_DOTTED_INITIALS = re.compile(r"([A-Z][a-z'\-]*[a-z]) ((?:[A-Z]\.){1,4})")
# Author values that name nobody, as exports write them (Embase and Cochrane close long lists with
# an 'et al.' author, ~10% of some files' values): normalize_author gives '' for each, through
# clean_text and its regexes; matched whole here first (tests check the two agree)
NO_NAMES = frozenset({"et al.", "et al", "Et al.", "Et al", "ET AL", "ET AL.", "[et al.]", "Anon", "Anon.",
                      "anon", "Anonymous", "Anonymous.", "anonymous", "ANONYMOUS", "[Anonymous]",
                      "No authors listed", "[No authors listed]"})


def comma_names(value: str) -> list[str] | None:
    """The names of a comma-separated list in one value, each as written ('Servais, A', 'Provot
    F'), or ``None`` unless the whole value reads as two names or more.

    Each comma-part is a name with its initials ('Provot F', 'Loirat C.'), or a family name
    whose initials are the next part ('Servais', 'A'); anything else (a suffix, a group's name,
    full given names) means the value is not such a list. A comma closing the value ('Choi,
    M, ') is dropped."""
    tokens = [t.strip() for t in value.split(",")]
    if tokens and not tokens[-1]:
        tokens.pop()
    dotted_ok = len(tokens) >= 3          # 'Fonseca C., Efraín R.' is one person
    names: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if FAMILY_INITIALS.match(token) or (dotted_ok and FAMILY_DOTTED.match(token)):
            names.append(token)
            i += 1
        elif i + 1 < len(tokens) and _BARE_FAMILY.match(token) and _INITIALS.match(tokens[i + 1]):
            names.append(f"{token}, {tokens[i + 1]}")
            i += 2
        else:
            return None
    return names if len(names) >= 2 else None


def and_names(value: str) -> list[str] | None:
    """The names of a value joined by ' and ' ('Ebrahim, S and Davey Smith, G'), or ``None``
    unless every part is a person's name: 'Family, Given' (one comma, the family no group's
    name) or 'Family INITIALS'. 'Agency for Healthcare Research and Quality' and 'Johnson and
    Johnson' stay one name."""
    if " and " not in value:
        return None
    parts = [p.strip(" ,;") for p in _AND.split(value)]
    if len(parts) < 2:
        return None
    for part in parts:
        family, comma, given = part.partition(",")
        if comma:
            if "," in given or not family.strip() or not given.strip() or is_organisation(family.split()):
                return None
        elif not FAMILY_INITIALS.match(part):
            return None
    return parts


def fast_author(value: str) -> str:
    """:func:`screening.names.normalize_author` for the common 'Family, Given' form.

    Same result as the normaliser (its comma branch), minus its regex passes; any other form
    (no comma, markup) goes to the normaliser.
    """
    if "," not in value or "&" in value or "<" in value or ">" in value:
        return normalize_author(value)
    name = " ".join(value.split()).strip(" ,;")
    if not name or name.lower().rstrip(".") in _NAME_STOP or "," not in name:
        return normalize_author(value)
    family, _, given = name.partition(",")
    family, given = family.strip(" ,;"), given.strip(" ,;")
    if not family:
        return given
    if given and particles_astray(family, given):      # (its first look is the cheap one)
        return normalize_author(value)      # 'van, Ballegooijen M', 'Rossum, Hj van': repaired there
    return f"{family}, {given}" if given else family


def _split_broken_endnote(value: str) -> list[str] | None:
    """Repair EndNote's one-line author list ('Wagner, Lamb B. T. Call L. M. ...').

    Returns ``None`` when the value is an ordinary single name.
    """
    family, _, rest = value.partition(",")
    rest, family = rest.strip(), family.strip()
    if not rest:
        return None
    wrapped = bool(_INITIAL_ONLY.match(family))
    names, at = [], 0
    while m := _NAME_DOTTED.match(rest, at):      # the names must cover the text, one after another
        names.append((m.group(1), m.group(2)))
        at = m.end()
    bare = _NAME_BARE.match(rest, at) if wrapped and at < len(rest) else None
    if not names or (at < len(rest) and bare is None):
        return None
    if len(names) < 2 and not wrapped:
        return None
    out = [f"{n.strip()}, {i.replace(' ', '')}" for n, i in names]
    if bare is not None:
        # the last author's initials wrapped to the front: '... Pitcavage' + 'J.' -> Pitcavage, J.
        out.append(f"{bare.group(1).strip()}, {family.replace(' ', '')}")
    elif wrapped:
        # the list wrapped around: 'L., Buchanan A. H. ... Williams J.' -> Williams J. L.
        out[-1] = out[-1] + family.replace(" ", "")
    elif family:
        out.insert(0, family)
    return out


def authors_from(values: Iterable[str] | None, *, family_first_no_comma: bool = False) -> list[str]:
    """Normalise a tag's author values into 'Family, Given', repairing joined lists.

    ``family_first_no_comma``: names written 'Family Given' without a comma (Cochrane plain
    text 'Van Ryswyk Emer'), which the generic normaliser would read as 'Given Family'.
    """
    out: list[str] = []
    for raw in values or ():
        value = raw.strip()
        if not family_first_no_comma:
            # The two commonest shapes in plain ASCII, matched whole by one regex each (about 85%
            # of the shared exports' values): each passes every test below and comes out as
            # written, or as 'Family, Initials'
            if _PLAIN_NAME.fullmatch(value) and value.count(".") < 4:
                out.append(value)       # 'Smith, John A.'
                continue
            if (m := _FAMILY_DOTTED_INITIALS.fullmatch(value)) is not None:
                out.append(f"{m.group(1)}, {m.group(2)}")     # Embase 'Vollenweider F.X.'
                continue
        # Fast path, by far the most common value: one clean 'Family, Given' (same result as
        # normalize_author: nothing to unescape, strip or fold, exactly one comma, both sides set).
        if (not family_first_no_comma and value.count(",") == 1 and value.isprintable() and "  " not in value
                and ";" not in value and "&" not in value and "<" not in value and ">" not in value
                and value.count(".") < 4):
            family, _, given = value.partition(",")
            family, given = family.strip(), given.strip()
            # (upper-case starts rule out stray particles: checked inline first, the hot path)
            if (family and given and (" " not in family or not FAMILY_INITIALS.match(family))
                    and not (family[-1] == "." and _INITIAL_ONLY.match(family))     # 'M., Mijaylova P. ...'
                    and ((family[0].isupper() and given[given.rfind(" ") + 1].isupper())
                         or not particles_astray(family, given))):
                out.append(f"{family}, {given}")
                continue
        value = " ".join(value.split())
        if not value or (value in NO_NAMES and not family_first_no_comma):
            continue
        # several names glued into one value ('Abarrategui Garrido, Cynthia; Martinez Barricarte,
        # Ruben', 'Ebrahim, S and Davey Smith, G'): each part is read like a value of its own
        glued = value.split(";") if ";" in value else and_names(value) if " and " in value else None
        if glued is not None:
            out += authors_from(glued, family_first_no_comma=family_first_no_comma)
            continue
        parts: list[str]
        commas = value.count(",")
        # 'J., Kass N. ... Pitcavage': a list whose last initials wrapped to the front
        wrapped = commas == 1 and bool(_INITIAL_ONLY.match(value.partition(",")[0].strip()))
        if commas and " " in value.split(",", 1)[0].strip() and all(
                FAMILY_INITIALS.match(p.strip()) or (commas >= 2 and FAMILY_DOTTED.match(p.strip()))
                for p in value.split(",")):
            parts = value.split(",")
        elif commas >= 2 and " " not in value.replace(", ", ",") and (camel := _camel_names(value.split(","))):
            parts = camel
        elif commas >= 2 and (listed := comma_names(value)) is not None:
            parts = listed            # EndNote: 'Servais, A, Provot F, Rostaing L, ..., Loirat C.'
        elif commas == 1 and not family_first_no_comma and value.count(".") < 4 and not wrapped:
            name = fast_author(value)  # the common case: one 'Family, Given'
            if name:
                out.append(name)
            continue
        else:
            broken = _split_broken_endnote(value) if commas == 1 and (value.count(".") >= 4 or wrapped) else None
            parts = broken if broken is not None else [value]
        for part in parts:
            part = part.strip()
            if family_first_no_comma and "," not in part:
                part = _family_first(part)
            name = fast_author(part)
            if name:
                out.append(name)
    return out


def _camel_names(parts: list[str]) -> list[str] | None:
    """EndNote's 'GotzJurgen, MatamalesMiriam, IttnerLars' (family and given run together): each
    split where its last capital starts ('Gotz, Jurgen'), or None unless every part has one.
    Only for three names or more: two comma-separated words are one 'Family, Given'."""
    out = []
    for part in (p.strip() for p in parts):
        cut = next((i for i in range(len(part) - 1, 1, -1) if part[i].isupper() and part[i - 1].islower()), 0)
        if not cut or not part.isalpha():
            return None
        out.append(f"{part[:cut]}, {part[cut:]}")
    return out


def _family_first(name: str) -> str:
    """'Van Ryswyk Emer' -> 'Van Ryswyk, Emer': the first word is the family name, with the
    words a particle or joiner ties to it (also after it: 'Pineda de la Losa Fernando'). Nothing
    else can tell a family name of two words ('Davey Smith George') from given names of two
    ('Gurusamy Kurinchi Selvan'); those keep the first word only."""
    tokens = name.split()
    if len(tokens) < 2:
        return name
    i = 0          # index of the family name's last word; one word at least is left as given name
    while True:
        if i + 3 < len(tokens) and tokens[i + 1] in _NAME_JOINERS:
            i += 2
        elif i + 2 < len(tokens) and tokens[i].lower() in _PARTICLES:
            i += 1
        elif i + 2 < len(tokens) and tokens[i + 1].islower() and tokens[i + 1] in _PARTICLES:
            i += 1     # 'Pineda de la Losa Fernando': a lower-case particle after it ties on
        else:
            break
    return " ".join(tokens[: i + 1]) + ", " + " ".join(tokens[i + 1:])
