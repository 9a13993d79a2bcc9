"""Which database a RIS record came from (:func:`source_db`, the record's ``source_db``): its DB
or DP tag, the segment an Ovid link names, a Web of Science accession, a Cochrane database; and
whether it came from Scopus. Apart from the field mapping (:mod:`.ris_fields`), which takes the
answer as given: it is the record's provenance, read for PRISMA's per-source counts.
"""

from __future__ import annotations

import re

from screening.io.cochrane import cochrane_database
from screening.io.tagged import first

_OVID_DB_RE = re.compile(r"[?&]D=([a-z]+)")

# EBSCO 'DB' holds a database code; name it for PRISMA's per-source counts.
_EBSCO_DB = {
    "psyh": "APA PsycInfo", "egh": "Environment Index", "i3h": "Criminal Justice Abstracts",
    "ecn": "EconLit", "rzh": "CINAHL", "ccm": "CINAHL", "cin20": "CINAHL Plus", "a9h": "Academic Search Complete",
    "bth": "Business Source Complete", "eric": "ERIC", "mdc": "MEDLINE", "cmedm": "MEDLINE",
}
# Ovid's database code in the L2/UR link (D=...).
_OVID_DB = (
    ("prem", "Ovid MEDLINE(R)"), ("med", "Ovid MEDLINE(R)"), ("emex", "Embase (Ovid)"),
    ("emed", "Embase (Ovid)"), ("cctr", "Cochrane CENTRAL (Ovid)"), ("psyc", "APA PsycInfo (Ovid)"),
    ("coch", "Cochrane Reviews (Ovid)"),
)


def source_db(tags: dict[str, list[str]], dialect: str) -> str:
    db = first(tags.get("DB"))
    if db:
        return _EBSCO_DB.get(db.lower(), db)
    dp = first(tags.get("DP"))
    if dp and dp.upper() == "NLM":
        return "PubMed"
    if dialect == "ovid":
        link = first(tags.get("L2")) or first(tags.get("UR"))
        m = _OVID_DB_RE.search(link)
        if m:
            code = m.group(1)
            for prefix, name in _OVID_DB:
                if code.startswith(prefix):
                    return name
    if first(tags.get("AN")).startswith("WOS:"):
        return "Web of Science"
    if dialect == "cochrane":
        # one name per Cochrane database, as the plain-text and BibTeX exports give it
        return cochrane_database(first(tags.get("AN")), first(tags.get("DO")), first(tags.get("UR")),
                                 journal=first(tags.get("T2")) or first(tags.get("JF")))
    return ""


def from_scopus(tags: dict[str, list[str]], dialect: str, source_db: str) -> bool:
    """The record came from Scopus: its DB says so, its link is a Scopus record page, or the
    whole file is a Scopus export."""
    if source_db.casefold() == "scopus" or dialect == "scopus":
        return True
    return any("www.scopus.com/" in u for u in (*(tags.get("UR") or ()), *(tags.get("L2") or ())))
