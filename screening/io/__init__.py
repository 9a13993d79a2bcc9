"""Readers for search exports. Importing this package registers every reader.

Each reader module calls :func:`screening.io.base.register_reader` at import time.
"""

from importlib import import_module

# One module per format family; order does not matter (detection is by content score).
_READER_MODULES = (
    "ris",          # RIS: every dialect (Ovid, EBSCO, Scopus, WoS, Embase, Cochrane, Lens, ...)
    "medline",      # PubMed MEDLINE / .nbib tagged text
    "wos",          # Web of Science plain text (FN/VR/PT ... ER/EF)
    "ovid",         # Ovid native tagged text (<N. > headers)
    "cochrane",     # Cochrane Library plain text (Record #N of M, ID:/TI:/AU:)
    "proquest",     # ProQuest 'Report Information from ProQuest' plain text
    "pubmed_xml",   # PubMed / efetch XML
    "endnote_xml",  # EndNote (and Mendeley) XML
    "bibtex",       # BibTeX (via bibtexparser)
    "tabular",      # CSV / TSV: Scopus, Lens, OpenAlex, Embase, IEEE, Zotero, WoS tab-delimited, generic
    "openalex_json",   # OpenAlex API /works pages (saved by `screening search openalex`)
    "europepmc_json",  # Europe PMC REST search pages (saved by `screening search europepmc`)
)

for _name in _READER_MODULES:
    try:
        import_module(f"screening.io.{_name}")
    except ModuleNotFoundError as err:  # a format module not written yet
        if err.name != f"screening.io.{_name}":
            raise
