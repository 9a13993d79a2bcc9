"""PubMed XML reader (efetch ``<PubmedArticleSet>``, PubMed 'Send to > File > XML', single articles).

Why XML rather than MEDLINE text: it is what the E-utilities return, it carries structured
abstracts with their section labels, collective authors and every article id (DOI, PMC) in
tagged form. We read it with lxml (``huge_tree`` so a 10,000-article set is fine;
``recover=False`` so a truncated download fails loudly with the line of the break instead of
quietly losing the tail). ``<PubmedBookArticle>`` (NCBI Bookshelf chapters) is read too.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from screening.errors import InputError
from screening.io.base import (
    ParsedRecord, ParseResult, Reader, join_languages, join_notes, original_title, register_reader,
)
from screening.io.medline import RELATED_NOTES
from screening.normalize import clean_text, normalize_doi, normalize_issn, normalize_pages, parse_year

_ARTICLE_RE = re.compile(r"<Pubmed(?:Book)?Article[\s>]")
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")


def xml_root(text: str, filename: str, what: str) -> etree._Element:
    """Parse XML text strictly; any syntax error becomes InputError with its line.

    The XML declaration is replaced by an equal-length blank run (so line numbers stay true)
    because the text is already decoded and its ``encoding=`` no longer applies.
    """
    m = _XML_DECL_RE.match(text)
    if m:
        text = " " * len(m.group(0)) + text[m.end():]
    parser = etree.XMLParser(huge_tree=True, recover=False, resolve_entities=False,
                             load_dtd=False, no_network=True, remove_comments=True)
    try:
        return etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as err:
        line = err.lineno if getattr(err, "lineno", None) else None
        refused = unsafe_xml(str(err.msg))
        if refused:
            raise InputError(f"{what} XML {refused}", path=filename, line=line,
                             hint="check that this is the export you meant to add (it may have been crafted); "
                                  "export it from the database again") from None
        # libxml2's message ends ", line 131, column 13"; the line is given once, as file:line
        msg = re.sub(r"[,\s]*\bline \d+, column (\d+)\s*$", r" (column \1)", str(err.msg)) if line else err.msg
        msg = re.sub(r"Start Tag (\S+) line (\d+)", r"start tag <\1> begun on line \2", msg)
        raise InputError(f"malformed {what} XML: {msg}", path=filename, line=line,
                         hint="the file is truncated or not well-formed XML; download/export it again") from None


# libxml2's limits against hostile XML, in its own words ("Excessive depth in document: 2048,
# use XML_PARSE_HUGE option", "Maximum entity amplification factor exceeded, see
# xmlCtxtSetMaxAmplification", "Detected an entity reference loop"): shown as they were, with the
# hint that the file is truncated, they pointed at the wrong cause and at options nobody can set.
_TOO_DEEP = re.compile(r"Excessive depth in document: (\d+)", re.I)
_ENTITY_BOMB = re.compile(r"amplification|entity reference loop|entit(?:y|ies)\b.*\b(?:too|exceed|huge)", re.I)


def unsafe_xml(message: str) -> str:
    """What an XML parser error says when it is a safety limit (too deep, an entity bomb), in
    plain words; "" for any other error."""
    if (deep := _TOO_DEEP.search(message)) is not None:
        return (f"nests elements {int(deep.group(1)):,}+ levels deep (a database export nests a few): "
                "not a database export; refused for safety")
    if _ENTITY_BOMB.search(message):
        return ("defines entities that expand beyond a safe size (an 'XML bomb'): not a database export; "
                "refused for safety")
    return ""


def text_of(el: etree._Element | None) -> str:
    """All text inside an element (through <i>, <sub>, <style> wrappers), cleaned."""
    if el is None:
        return ""
    return clean_text("".join(el.itertext()))


def first_text(el: etree._Element, *paths: str) -> str:
    """The text of the first of ``paths`` under ``el`` that has any (:func:`text_of`)."""
    for path in paths:
        value = text_of(el.find(path))
        if value:
            return value
    return ""


def _abstract(el: etree._Element) -> str:
    parts = []
    for node in el.iterfind(".//Abstract/AbstractText"):
        body = text_of(node)
        if not body:
            continue
        label = (node.get("Label") or "").strip()
        parts.append(f"{label}: {body}" if label else body)
    return " ".join(parts)


def _authors(el: etree._Element) -> list[str]:
    out = []
    for author in el.iterfind(".//AuthorList/Author"):
        if author.get("ValidYN", "Y") == "N":
            continue
        collective = text_of(author.find("CollectiveName"))
        last = text_of(author.find("LastName"))
        given = text_of(author.find("ForeName")) or text_of(author.find("Initials"))
        if last:
            out.append(f"{last}, {given}" if given else last)
        elif collective:
            out.append(collective)
    return out


def _year(el: etree._Element) -> int | None:
    for path in (".//JournalIssue/PubDate/Year", ".//JournalIssue/PubDate/MedlineDate",
                 ".//Book/PubDate/Year", ".//ArticleDate/Year", ".//PubMedPubDate[@PubStatus='pubmed']/Year"):
        year = parse_year(text_of(el.find(path)))
        if year:
            return year
    return None


def _article_ids(el: etree._Element) -> dict[str, str]:
    ids: dict[str, str] = {}
    for node in el.iterfind(".//PubmedData/ArticleIdList/ArticleId"):
        kind = (node.get("IdType") or "").lower()
        if kind and kind not in ids:
            ids[kind] = text_of(node)
    for node in el.iterfind(".//ELocationID"):
        if (node.get("EIdType") or "").lower() == "doi" and node.get("ValidYN", "Y") != "N":
            ids.setdefault("doi", text_of(node))
    return ids


# <CommentsCorrections RefType=...> that are notes about the record, labelled as MEDLINE text
# and Ovid write them ('Comment in: Radiology. 2017 Aug;284(2):607-608. PMID: 28723284'), from
# the table the MEDLINE reader uses. 'Cites' (the reference list) is not a note.
_NOTE_REF_TYPES = {ref: label for _, ref, label in RELATED_NOTES if ref}


def _notes(el: etree._Element) -> str:
    """NLM's general notes, then the comments/corrections links, one per line."""
    notes = [text_of(n) for n in el.iterfind(".//MedlineCitation/GeneralNote")]
    for ref in el.iterfind(".//CommentsCorrectionsList/CommentsCorrections"):
        label = _NOTE_REF_TYPES.get(ref.get("RefType") or "")
        source = text_of(ref.find("RefSource"))
        if label and source:
            pmid = text_of(ref.find("PMID"))
            notes.append(f"{label}: {source}. PMID: {pmid}" if pmid else f"{label}: {source}")
    return join_notes(notes)


def _languages(el: etree._Element) -> str:
    """Every ``<Language>`` of the article (a chapter's, for a book): PubMed gives one per
    language an article is printed in ('ger', then 'eng'), not only the first."""
    for path in (".//Article/Language", "BookDocument/Language"):
        if languages := join_languages([text_of(n) for n in el.iterfind(path)]):
            return languages
    return ""


def article_fields(el: etree._Element) -> dict[str, Any]:
    """Canonical fields of one <PubmedArticle> or <PubmedBookArticle>."""
    ids = _article_ids(el)
    pmid = first_text(el, "MedlineCitation/PMID", "BookDocument/PMID") or ids.get("pubmed", "")
    keywords = [text_of(k) for k in el.iterfind(".//KeywordList/Keyword")]
    keywords += [text_of(k) for k in el.iterfind(".//MeshHeadingList/MeshHeading/DescriptorName")]
    issns = [text_of(n) for n in el.iterfind(".//Journal/ISSN")]
    pages = first_text(el, ".//Pagination/MedlinePgn") or "-".join(
        p for p in (first_text(el, ".//Pagination/StartPage"), first_text(el, ".//Pagination/EndPage")) if p)
    # VernacularTitle: the title in the article's own language, beside the English ArticleTitle
    # NLM indexes it under ('[Effects of air pollution ...].'); the title itself only when the
    # record has no other
    vernacular = first_text(el, ".//Article/VernacularTitle")
    title = first_text(el, ".//Article/ArticleTitle", "BookDocument/ArticleTitle", "BookDocument/Book/BookTitle") \
        or vernacular
    return {
        "title": title,
        "title_original": original_title(vernacular, title),
        "abstract": _abstract(el),
        "authors": _authors(el),
        "year": _year(el),
        "journal": first_text(el, ".//Journal/Title", ".//MedlineJournalInfo/MedlineTA"),
        "journal_abbrev": first_text(el, ".//Journal/ISOAbbreviation", ".//MedlineJournalInfo/MedlineTA"),
        "volume": first_text(el, ".//JournalIssue/Volume"),
        "issue": first_text(el, ".//JournalIssue/Issue"),
        "pages": normalize_pages(pages),
        "doi": normalize_doi(ids.get("doi", "")),
        "pmid": pmid,
        "pmcid": ids.get("pmc", ""),
        "issn": normalize_issn("; ".join(issns)),
        "isbn": first_text(el, "BookDocument/Book/Isbn"),
        "keywords": [k for k in dict.fromkeys(keywords) if k],
        "language": _languages(el),
        "publication_type": [t for t in dict.fromkeys(text_of(n) for n in el.iterfind(".//PublicationTypeList/PublicationType")) if t],
        "url": f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else "",
        "booktitle": first_text(el, "BookDocument/Book/BookTitle") if el.tag == "PubmedBookArticle" else "",
        "publisher": first_text(el, "BookDocument/Book/Publisher/PublisherName"),
        "notes": _notes(el),
        "source_record_id": pmid,
    }


def sniff(text: str) -> float:
    head = text[:5000]
    if "<PubmedArticleSet" in head or _ARTICLE_RE.search(head):
        return 0.98
    return 0.0


def parse(text: str, filename: str) -> ParseResult:
    root = xml_root(text, filename, "PubMed")
    if root.tag in ("PubmedArticle", "PubmedBookArticle"):
        articles = [root]
    else:
        articles = [el for el in root.iter("PubmedArticle", "PubmedBookArticle")]
    records = [ParsedRecord(fields=article_fields(el), line=el.sourceline or 1, source_db="PubMed")
               for el in articles]
    return ParseResult(records=records, expected_count=len(_ARTICLE_RE.findall(text)),
                       format="pubmed_xml", dialect="pubmed")


READER = register_reader(Reader(
    name="pubmed_xml",
    description="PubMed XML (efetch / 'Send to > File > XML'), incl. PubmedBookArticle",
    extensions=("xml",),
    sniff=sniff,
    parse=parse,
))
