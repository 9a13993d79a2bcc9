"""Readers for search exports. Importing this package registers every reader.

One module per format family; each calls :func:`screening.io.base.register_reader` at import
time. Detection is by content score, so the order here does not matter.
"""

from screening.io import (  # noqa: F401
    bibtex,          # BibTeX (via bibtexparser)
    cochrane,        # Cochrane Library plain text (Record #N of M, ID:/TI:/AU:)
    endnote_xml,     # EndNote (and Mendeley) XML
    europepmc_json,  # Europe PMC REST search pages (saved by `screening search europepmc`)
    medline,         # PubMed MEDLINE / .nbib tagged text
    openalex_json,   # OpenAlex API /works pages (saved by `screening search openalex`)
    ovid,            # Ovid native tagged text (<N. > headers)
    proquest,        # ProQuest 'Report Information from ProQuest' plain text
    pubmed_xml,      # PubMed / efetch XML
    ris,             # RIS: every dialect (Ovid, EBSCO, Scopus, WoS, Embase, Cochrane, Lens, ...)
    tabular,         # CSV / TSV: Scopus, Lens, OpenAlex, Embase, IEEE, Zotero, WoS tab-delimited, generic
    wos,             # Web of Science plain text (FN/VR/PT ... ER/EF)
)
