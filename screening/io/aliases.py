"""The documented column-alias table for generic CSV/TSV files.

A hand-made spreadsheet, a reference-manager export or a dataset CSV names its columns in
many ways ("Title", "Document Title", "TI", "Article Title"...). This table says, for every
canonical column of the records table, which header names we accept. It is *data*, kept here
so that docs/formats-structured.md can show it in full and so that adding a spelling never
touches parsing code.

Matching ignores case, spaces and punctuation (:func:`header_key`): ``"Author(s)"``,
``"author_s"`` and ``"AUTHOR S"`` are the same header. When several columns of one file map
to the same canonical column, text columns take the first non-empty value in the order of
the list below, and list columns (authors, keywords, publication_type) take the first
non-empty one too (keywords concatenate).

Database exports with a recognised layout (Scopus, Lens, OpenAlex, Embase, IEEE, Zotero,
WoS tab-delimited, legacy PubMed) use the fixed maps in :data:`DATABASE_COLUMNS` (read by
:mod:`screening.io.tabular`); :data:`ALIASES` is for everything else ("generic").
"""

from __future__ import annotations

import re

#: canonical column -> accepted header names, most preferred first.
ALIASES: dict[str, tuple[str, ...]] = {
    "record_id": ("record_id", "ID", "Record ID", "recordid", "ref_id", "Reference ID"),
    "title": ("title", "Document Title", "Article Title", "Primary Title", "TI", "T1",
              "Title of Article", "Paper Title", "display_name"),
    # the title in the article's own language beside a translated title (our CSV export's
    # column); not 'Translated Title', which is a translation *of* the title
    "title_original": ("title_original", "Original Title", "Vernacular Title"),
    "abstract": ("abstract", "Abstract Note", "AB", "N2", "Abstract Text", "Summary"),
    "authors": ("authors", "author", "Author Names", "Author/s", "Author(s)", "AU", "A1",
                "Creators", "Author Full Names", "AF"),
    "year": ("year", "Publication Year", "PY", "Year Published", "Published Year", "pub_year",
             "pubyear", "publication_year", "Y1", "Date", "Publication Date"),
    "journal": ("journal", "Journal Title", "Source Title", "Publication Title",
                "Publication Name", "Secondary Title", "Journal/Book", "SO", "T2", "JF",
                "Container Title", "venue"),
    "journal_abbrev": ("journal_abbrev", "Journal Abbreviation", "Abbreviated Source Title",
                       "ISO Abbreviation", "J9", "JI", "JO", "JA"),
    "volume": ("volume", "Vol", "VL"),
    "issue": ("issue", "number", "Issue Number", "IS", "no"),
    "pages": ("pages", "Page Range", "Page", "PS", "SP-EP"),
    "pages_start": ("Start Page", "Page start", "first_page", "BP", "SP"),
    "pages_end": ("End Page", "Page end", "last_page", "EP"),
    "doi": ("doi", "DI", "DO", "Digital Object Identifier"),
    "pmid": ("pmid", "PubMed ID", "pubmed_id", "PM", "EntrezUID"),
    "pmcid": ("pmcid", "PMC ID", "pmc"),
    "issn": ("issn", "ISSNs", "SN", "eISSN", "EI", "Print ISSN", "Electronic ISSN"),
    "isbn": ("isbn", "ISBNs", "BN"),
    "keywords": ("keywords", "Author Keywords", "Index Keywords", "keyword", "Manual Tags",
                 "Automatic Tags", "Tags", "DE", "KW", "MeSH Terms", "mesh"),
    "language": ("language", "Language of Original Document", "LA", "lang"),
    "publication_type": ("publication_type", "pub_type", "Publication Type", "Document Type",
                         "Item Type", "Reference Type", "ENTRYTYPE", "Type", "DT", "TY"),
    "url": ("url", "Link", "URL", "Url", "External URL", "PDF Link", "UR", "L2"),
    "booktitle": ("booktitle", "Book Title", "Proceedings Title", "Conference Name",
                  "Conference Title"),
    "publisher": ("publisher", "PU", "PB"),
    "source_record_id": ("source_record_id", "EID", "UT", "Accession Number", "AN",
                         "Lens ID", "openalex_id", "source_id", "Key", "Unique-ID"),
    # the notes a record carries (a reference manager's notes; RIS N1 in a table), one per
    # line; our CSV export names them 'source_notes' (see screening.export_csv.CSV_NAMES)
    "notes": ("notes", "source_notes", "note", "N1", "Research Notes"),
    # the database each row came from: our own records tables and CSV exports name it per
    # row (a re-ingested export keeps each record's database), EndNote calls it 'Name of
    # Database'. Read into source_db, not kept as a field (see table_fields.row_fields).
    "source_db": ("source_db", "Database", "Source Database", "Name of Database", "DB"),
}

#: Canonical columns that count as "this is a records file" (one must be present).
CONTENT_COLUMNS: tuple[str, ...] = ("title", "abstract", "authors")


_KEY_RE = re.compile(r"[^a-z0-9]+")


def header_key(name: str) -> str:
    """Case/space/punctuation-insensitive key of a header cell: ``'Author(s)'`` -> ``'authors'``."""
    return _KEY_RE.sub("", str(name).lower())


def _build_lookup() -> dict[str, tuple[str, int]]:
    lookup: dict[str, tuple[str, int]] = {}
    for canonical, names in ALIASES.items():
        for priority, name in enumerate(names):
            key = header_key(name)
            if key in lookup and lookup[key][0] != canonical:
                raise ValueError(f"alias {name!r} maps to both {lookup[key][0]} and {canonical}")
            lookup.setdefault(key, (canonical, priority))
    return lookup


#: header key -> (canonical column, priority; lower is preferred)
LOOKUP: dict[str, tuple[str, int]] = _build_lookup()


def canonical_for(header: str) -> tuple[str, int] | None:
    """The canonical column a header maps to, with its priority, or ``None``."""
    return LOOKUP.get(header_key(header))


def accepted_names(columns: tuple[str, ...] = CONTENT_COLUMNS) -> str:
    """Human-readable list of accepted headers for some canonical columns (for error hints)."""
    parts = []
    for col in columns:
        parts.append(f"{col}: " + ", ".join(ALIASES[col][:6]))
    return "; ".join(parts)


def _keys(mapping: dict[str, str]) -> dict[str, str]:
    return {header_key(k): v for k, v in mapping.items()}


#: Fixed column maps of recognised database exports (dialect -> header key -> target).
#: Targets are canonical columns, or helper names the reader folds in: ``keywords2`` (more
#: keywords), ``authors_full`` (fallback authors), ``pages_start``/``pages_end``,
#: ``article_number``, and dialect-specific cells (``embase_source``, ``pubmed_details``...).
DATABASE_COLUMNS: dict[str, dict[str, str]] = {
    "wos": _keys({
        "AU": "authors", "AF": "authors_full", "CA": "authors_group", "TI": "title", "SO": "journal",
        "J9": "journal_abbrev", "JI": "journal_abbrev2", "AB": "abstract", "DI": "doi", "PY": "year",
        "VL": "volume", "IS": "issue", "BP": "pages_start", "EP": "pages_end", "AR": "article_number",
        "PS": "wos_page_span", "SN": "issn", "EI": "issn2", "BN": "isbn", "DE": "keywords", "ID": "keywords2",
        "MI": "keywords3", "LA": "language", "DT": "publication_type", "UT": "source_record_id",
        "PM": "pmid", "PU": "publisher", "SE": "booktitle", "CT": "booktitle2",
        # early-access records have no PY until they get an issue: the year is read from
        # the first of these that has one (PD is often just 'MAR')
        "PD": "year2", "EA": "year3", "EY": "year4", "PT": "wos_pt",
    }),
    "scopus": _keys({
        "Authors": "authors", "Author full names": "authors2", "Title": "title", "Year": "year",
        "Source title": "journal", "Abbreviated Source Title": "journal_abbrev", "Volume": "volume",
        "Issue": "issue", "Page start": "pages_start", "Page end": "pages_end", "Art. No.": "article_number",
        "DOI": "doi", "Link": "url", "Abstract": "abstract", "Author Keywords": "keywords",
        "Index Keywords": "keywords2", "ISSN": "issn", "ISBN": "isbn", "PubMed ID": "pmid",
        "Language of Original Document": "language", "Document Type": "publication_type",
        "Publisher": "publisher", "Conference name": "booktitle", "EID": "source_record_id",
    }),
    "lens": _keys({
        "Lens ID": "source_record_id", "Title": "title", "Publication Year": "year",
        "Publication Type": "publication_type", "Source Title": "journal", "ISSNs": "issn",
        "Publisher": "publisher", "Author/s": "authors", "Abstract": "abstract", "Volume": "volume",
        "Issue Number": "issue", "Start Page": "pages_start", "End Page": "pages_end",
        "Keywords": "keywords", "MeSH Terms": "keywords2", "External URL": "url", "PMID": "pmid",
        "DOI": "doi", "PMCID": "pmcid",
    }),
    "openalex": _keys({
        "id": "source_record_id", "display_name": "title", "title": "title2", "abstract": "abstract",
        "authorships.author.display_name": "authors", "publication_year": "year", "doi": "doi",
        "ids.pmid": "pmid", "ids.pmcid": "pmcid", "language": "language", "type": "publication_type",
        "primary_location.source.display_name": "journal", "primary_location.source.issn_l": "issn",
        "biblio.volume": "volume", "biblio.issue": "issue", "biblio.first_page": "pages_start",
        "biblio.last_page": "pages_end", "keywords.display_name": "keywords",
        "primary_location.landing_page_url": "url",
    }),
    "embase": _keys({
        "Title": "title", "Author Names": "authors", "Source": "embase_source", "Abstract": "abstract",
        "keywords": "keywords", "Author Keywords": "keywords2", "Emtree Medical Index Terms": "keywords3",
        "Emtree Drug Index Terms": "keywords4",
        # the terms the article is mainly about: Embase's RIS export has them among its KW, the
        # CSV in columns of their own (read after the others, so their order is unchanged)
        "Emtree Medical Index Terms (Major Focus)": "keywords5", "Emtree Drug Index Terms (Major Focus)": "keywords6",
        "Open URL Link": "url", "Embase Accession ID": "source_record_id",
        "Medline PMID": "pmid", "DOI": "doi", "ISSN": "issn", "Language of Article": "language",
        "Publication Type": "publication_type", "Source title": "journal", "Publication Year": "year",
        "Volume": "volume", "Issue": "issue", "First Page": "pages_start", "Last Page": "pages_end",
    }),
    "ieee": _keys({
        "Document Title": "title", "Authors": "authors", "Publication Title": "journal",
        "Publication Year": "year", "Volume": "volume", "Issue": "issue", "Start Page": "pages_start",
        "End Page": "pages_end", "Abstract": "abstract", "ISSN": "issn", "ISBNs": "isbn", "DOI": "doi",
        "PDF Link": "url", "Author Keywords": "keywords", "IEEE Terms": "keywords2", "Mesh_Terms": "keywords3",
        "INSPEC Controlled Terms": "keywords4", "INSPEC Non-Controlled Terms": "keywords5",
        "Publisher": "publisher", "Document Identifier": "publication_type",
    }),
    "zotero": _keys({
        "Key": "source_record_id", "Item Type": "publication_type", "Publication Year": "year",
        "Author": "authors", "Title": "title", "Publication Title": "journal", "ISBN": "isbn",
        "ISSN": "issn", "DOI": "doi", "Url": "url", "Abstract Note": "abstract", "Pages": "pages",
        "Issue": "issue", "Volume": "volume", "Journal Abbreviation": "journal_abbrev",
        "Publisher": "publisher", "Language": "language", "Manual Tags": "keywords",
        "Automatic Tags": "keywords2", "Extra": "zotero_extra", "Proceedings Title": "booktitle",
        # the item's notes (HTML, '; '-joined; filled when the export includes notes)
        "Notes": "notes",
    }),
    # Covidence's reference export (Title, Authors, ..., Covidence #, Study, Notes, Tags).
    # 'Notes' (exclusion reasons, the team's notes) are the records' notes; the other columns
    # are kept as extras: 'Tags' are the team's own labels, not keywords; 'Accession Number'
    # is whatever the imported file carried (a PMID, or an EconLit/Embase number of the same
    # shape), so it is never taken for a PMID, which would link unrelated records in dedup.
    "covidence": _keys({
        "Title": "title", "Authors": "authors", "Abstract": "abstract", "Published Year": "year",
        "Journal": "journal", "Volume": "volume", "Issue": "issue", "Pages": "pages", "DOI": "doi",
        "Covidence #": "source_record_id", "Notes": "notes",
    }),
    # 'Type' is PubMed's kind of search result ('citation' in every row), no publication type:
    # the types are the notations ending 'Details' (see table_layouts.pubmed_summary_types)
    "pubmed_csv_legacy": _keys({
        "Title": "title", "URL": "pubmed_url", "Description": "authors", "Details": "pubmed_details",
        "EntrezUID": "pmid", "Identifiers": "pubmed_ids",
    }),
}
