"""Trial-registry ids (ClinicalTrials.gov, the WHO ICTRP primary registries) found anywhere in
a record, one spelling per trial.

Two trials of one sponsor often differ in a word of the title, and CENTRAL's registry records
put the id where an author would be: the id is then the only field that tells them apart, and
it must not be read as an author. Its own module because the id patterns and their one
spelling per trial are a vocabulary of their own (a registry added is a pattern added here),
apart from how a record's keys are built (:mod:`screening.dedup.normalise`).
"""

from __future__ import annotations

import re

# Trial-registry identifiers (ClinicalTrials.gov, the WHO ICTRP primary registries). CENTRAL's
# registry records put the id in the author field and the registry URL in the journal field, and
# two trials of one sponsor often differ in a word of the title ('... with Mild Pneumonia' vs
# '... without Pneumonia'): the id is then the only field that tells them apart. Matched without
# regard to case, bounded by non-alphanumerics ('TrialID=NCT...', 'show/NCT...'); the lookahead
# on the prefixes' first letters only saves trying every alternative at every position.
_REGISTRY_ID = re.compile(r"""(?ix)(?<![a-z0-9])(?=[acdeijklnprstu])(
      nct[\s-]?\d{8}
    | euctr\s?\d{4}-\d{6}-\d{2}(?:-[a-z]{2,3})?
    | eudract[\s:]*(?:no\.?|number)?[\s:]*\d{4}-\d{6}-\d{2}
    | isrctn[\s-]?\d{8}
    | actrn[\s-]?\d{14}
    | chictr-?(?:[a-z]{2,5}-)?\d{8,10}
    | ctri/\d{4}/\d{2,3}/\d{4,6}
    | drks[\s-]?\d{8}
    | irct\d{6,}(?:n\d+)?
    | (?:jprn-)?(?:umin\d{9}|japiccti-?\d{6}|jrcts?\d{9,10}|jma-iia\d{5})
    | tctr\d{11}
    | kct\d{7}
    | ntr\d{3,5}
    | pactr\d{15}
    | rbr-[0-9a-z]{6,8}
    | slctr/\d{4}/\d{3}
    | lbctr\d{10}
    | rpcec\d{8}
)(?![a-z0-9])""")
_EUDRACT = re.compile(r"(?i)^(?:euctr|eudract\D*)(\d{4}-\d{6}-\d{2})")


def registry_id(raw: str) -> str:
    """One spelling per trial: upper case, separators dropped ('CTRI/2020/06/025799' ->
    'CTRI202006025799'), ICTRP's 'JPRN-' prefix dropped (Japanese ids are also written bare).
    A EudraCT number loses its member-state suffix and keeps the prefix 'EUCTR': 'EUCTR2020-
    005128-12-LT' and '-DE' are one trial registered in two countries, not two trials."""
    eudract = _EUDRACT.match(raw)
    if eudract:
        raw = "EUCTR" + eudract.group(1)
    key = re.sub(r"[^0-9A-Z]", "", raw.upper())
    return key[4:] if key.startswith("JPRN") else key


# Cochrane writes the Unicode hyphens U+2010/U+2011 in ids ('EUCTR2020\u2010005128\u201012')
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-"})


# every id holds three digits in a row, but Brazil's ('RBR-85vh8fx'): a cheap test skips most fields
_MAY_HOLD_ID = re.compile(r"\d{3}|[Rr][Bb][Rr]-")


def registry_ids(*texts: str) -> frozenset[str]:
    """Every trial-registry id in the given texts."""
    return frozenset(registry_id(m.group(1)) for text in texts if text and _MAY_HOLD_ID.search(text)
                     for m in _REGISTRY_ID.finditer(text.translate(_HYPHENS)))


def is_registry_id(name: str) -> bool:
    """The whole author entry is a registry id ('EUCTR2020-005128-12-LT,'): CENTRAL's registry
    records name the trial there, not a person, so it must not count as an author."""
    return _REGISTRY_ID.fullmatch(name.translate(_HYPHENS).strip(" ,;.")) is not None
