"""Two exports joined into one file (``cat scopus.ris pubmed.nbib > all.ris``) are refused.

Acceptance testing: a RIS file with a PubMed .nbib appended ingested its 10 RIS records and
lost the 75 PubMed ones, exit 0 (the RIS reader ignores lines outside its records, and its
count only sees RIS markers); the reverse order glued a RIS title onto the last PubMed record.
The joined files here are the trimmed real fixtures (tests/fixtures/SOURCES.md) put back to
back byte for byte, as ``cat`` does (the second file's BOM ends up mid-file).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import screening.stages.source_parsing as parsing_mod
from screening.errors import InputError
from screening.stages.ingest import RawSource, ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def _joined(first: str, second: str) -> tuple[bytes, int]:
    """The two fixtures back to back, and the file line where the second one starts."""
    head = (FIX / first).read_bytes()
    # every line ending (LF, CRLF or a bare CR) is one line; a head without a final line
    # break (Web of Science ends with 'EF') has the second file start on its last line
    lines = head.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n")
    return head + (FIX / second).read_bytes(), lines + 1


# (first file, second file, joined file's name, what the message names, lines of the second
# file before its first record marker: the Scopus BibTeX's 'Scopus / EXPORT DATE' preamble)
@pytest.mark.parametrize(("first", "second", "name", "says", "lead"), [
    ("ris_scopus.ris", "medline_pubmed.nbib", "all.ris", "MEDLINE/.nbib records (a 'PMID- ' line)", 0),
    ("ris_scopus.ris", "wos_revtools.ciw", "all.ris", "Web of Science plain-text export (its 'FN' header)", 0),
    ("ris_ovid_psycinfo.ris", "scopus_bib_bibliometrix_3.bib", "all.ris", "BibTeX entries", 3),
    ("medline_pubmed.nbib", "ris_scopus.ris", "all.nbib", "RIS records (a 'TY  - ' line)", 0),
    ("wos_revtools.ciw", "ris_scopus.ris", "all.ciw", "text glued onto the closing 'EF' line", 0),
    ("wos_metaknowledge.txt", "medline_pubmed.nbib", "all.txt", "text glued onto the closing 'EF' line", 0),
])
def test_a_second_export_joined_to_a_tagged_file_is_refused_where_it_starts(first, second, name, says, lead):
    data, start = _joined(first, second)
    start += lead
    with pytest.raises(InputError) as err:
        ingest([RawSource(name, data)])
    assert err.value.path == name and err.value.line == start, str(err.value)
    assert f"another export starts at line {start}, after the " in err.value.message
    assert says in err.value.message and "two exports were joined" in err.value.message
    assert err.value.hint == f"split the file at line {start} and ingest the parts as separate files"


@pytest.mark.parametrize(("name", "reader"), [("all.ris", "ris"), ("all.txt", "ris"), ("all.nbib", "medline")])
def test_an_export_joined_before_the_records_is_refused_where_they_start(name, reader):
    # RIS first, then a .nbib: read as MEDLINE (by its name), the RIS block comes before the
    # first PMID line; a .nbib then RIS read as RIS: the PubMed block lies before the first TY
    first, second = ("ris_scopus.ris", "medline_pubmed.nbib") if reader == "medline" else (
        "medline_pubmed.nbib", "ris_scopus.ris")
    data, start = _joined(first, second)
    with pytest.raises(InputError) as err:
        ingest([RawSource(name, data, format=reader)])
    own = "MEDLINE" if reader == "medline" else "RIS"
    assert err.value.line == start and err.value.message.startswith(
        f"the {own} records start at line {start}, after another export: "), str(err.value)
    assert "at line 1;" in err.value.message and "two exports were joined" in err.value.message


def test_streamed_ris_refuses_the_joined_export_at_the_same_line(monkeypatch: pytest.MonkeyPatch):
    data, start = _joined("ris_scopus.ris", "medline_pubmed.nbib")
    data = (FIX / "ris_embase.ris").read_bytes() + data
    start += (FIX / "ris_embase.ris").read_bytes().replace(b"\r\n", b"\n").count(b"\n")
    monkeypatch.setattr(parsing_mod, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(parsing_mod, "CHUNK_BYTES", 300)
    for workers in (1, 2):
        with pytest.raises(InputError) as err:
            ingest([RawSource("all.ris", data)], workers=workers)
        assert err.value.line == start and "MEDLINE/.nbib records" in err.value.message


def test_other_lines_outside_ris_records_are_still_ignored():
    """Ovid's numbering and link lines and Cochrane's headers lie outside the records too:
    they are no other export's record markers (every fixture of both still reads)."""
    for name, count in (("ris_ovid_psycinfo.ris", 2), ("ris_cochrane_central.ris", 3),
                        ("ris_ovid_medline_central.ris", 3)):
        res = ingest([RawSource(name, (FIX / name).read_bytes())])
        assert len(res.records) == count


def test_an_unindented_medline_continuation_line_is_no_bibtex_entry():
    """Review of the change: any '@word (' at a line start was read as a BibTeX entry, so a
    MEDLINE continuation line the reader tolerates unindented ('@Home (ages 2-5) ...') would
    have refused the whole file."""
    text = (FIX / "medline_pubmed.nbib").read_bytes().decode("utf-8-sig")
    at = text.index("\nAB  - ") + 1
    end = text.index("\n", at)
    text = text[:end] + "\n@Home (ages 2-5) was one of the settings." + text[end:]
    res = ingest([RawSource("pubmed.nbib", text.encode("utf-8"))])
    before = ingest([RawSource("pubmed.nbib", (FIX / "medline_pubmed.nbib").read_bytes())])
    assert len(res.records) == len(before.records)
    # a real BibTeX entry there is still another export
    bib = text[:end] + "\n@Article{smith2020," + text[end:]
    with pytest.raises(InputError, match="BibTeX entries"):
        ingest([RawSource("pubmed.nbib", bib.encode("utf-8"))])
