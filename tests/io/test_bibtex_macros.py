"""BibTeX @string macros and '#' concatenation (acceptance test 36, L4): evaluated as BibTeX does,
and a value that cannot be evaluated keeps its source text with a warning naming the file, the
line and the macro, never a silent guess and never a hang."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from screening.io import bibtex
from screening.io.bibtex_macros import MAX_CHARS, pieces
from screening.stages.ingest import RawSource, ingest

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def _parse(name: str):
    path = HOSTILE / name
    return bibtex.parse(path.read_text(encoding="utf-8"), name)


def test_pieces_split_only_at_top_level_hashes():
    assert pieces('pre # " smoke on " # {lungs} # 12') == [
        ("macro", "pre"), ("text", " smoke on "), ("text", "lungs"), ("text", "12")]
    # a '#' inside a literal is text; braces nest inside quotes
    assert pieces('"a # {"b"}" # c') == [("text", 'a # {"b"}'), ("macro", "c")]
    assert pieces('"a" #') is None and pieces('"a" "b"') is None and pieces("{a") is None


def test_concatenation_macros_numbers_and_months_are_evaluated():
    result = _parse("bibtex_concatenation.bib")
    k1, k2, k2_again, k3 = (r.fields for r in result.records)
    assert k1["title"] == "Effects of smoke on lungs"
    assert k1["journal"] == "Journal of Biological Chemistry"      # @STRING{Jbc}: names ignore case
    assert k1["volume"] == "124"                                     # @string(vol = 12) # "4"
    # a macro built from an earlier one (PRE), braced parts with inner braces, quoted parts
    assert k2["title"] == "Effects of smoke on the DNA of rats"
    assert k2["abstract"] == 'a # inside "quotes" and braces stays, 42'
    assert k2["publisher"] == "first and second"                    # a redefinition using the old value
    # the second 'k2' (a repeated key: a different record, kept) is evaluated too
    assert k2_again["title"] == "Effects of smoke on mice"
    assert k3["title"] == "A plain title" and k3["pages"] == "1-9"


def test_undefined_macro_keeps_the_source_text_and_names_file_line_and_macro():
    result = _parse("bibtex_concatenation.bib")
    k3 = result.records[3].fields
    assert k3["journal"] == "unknownjournal"
    assert k3["booktitle"] == 'pre # nowhere # " and more"'           # not 'Effects of and more'
    assert len(result.warnings) == 2
    journal, booktitle = result.warnings
    assert journal.startswith("bibtex_concatenation.bib:32: field 'journal' of entry 'k3'")
    assert "'unknownjournal'" in journal and "not defined" in journal
    assert booktitle.startswith("bibtex_concatenation.bib:33:") and "macro 'nowhere'" in booktitle


def test_recursive_strings_have_no_value_and_say_so():
    result = _parse("bibtex_recursive_strings.bib")
    assert [r.fields["title"] for r in result.records] == ["a # b", "self"]
    assert result.records[1].fields["journal"] == "Fine journal"
    lines = [w.split(":")[1] for w in result.warnings]
    assert lines == ["1", "2", "3", "4", "5"]
    assert "@string{a} uses macro 'b'" in result.warnings[0] and "refers to itself" in result.warnings[0]
    assert "@string{self} uses macro 'self'" in result.warnings[2]
    assert "entry 'k1' uses macro 'a', which has no value (see its @string at line 1)" in result.warnings[3]


def test_a_macro_bomb_is_refused_quickly_with_a_warning():
    started = time.monotonic()
    result = _parse("bibtex_strings_bomb.bib")
    assert time.monotonic() - started < 5
    assert result.records[0].fields["title"] == "s9"
    first = result.warnings[0]
    # s5 (300,000 characters) is over the file's budget before it is over MAX_CHARS
    assert first.startswith("bibtex_strings_bomb.bib:6: @string{s5} would take the file's expanded text past")
    assert max(len(w) for w in result.warnings) < 300        # a chain of failures does not nest


def test_many_fields_each_expanding_a_large_macro_stay_within_the_file_budget():
    big = "x" * 30_000
    text = f"@string{{big = {{{big}}}}}\n" + "".join(
        f"@article{{k{i}, title = big # big # {{.}}}}\n" for i in range(40))
    result = bibtex.parse(text, "budget.bib")
    expanded = [r for r in result.records if len(r.fields["title"]) > 100]
    assert 0 < len(expanded) < 40
    assert len(result.warnings) == 1 and "(also" in result.warnings[0]


def test_one_value_over_max_chars_is_refused():
    text = f"@string{{big = {{{'x' * 60_000}}}}}\n@article{{k, title = big # big}}\n"
    result = bibtex.parse(text, "long.bib")
    assert result.records[0].fields["title"] == "big # big"
    assert f"would expand to more than {MAX_CHARS:,} characters" in result.warnings[0]


def test_warnings_reach_the_ingest_report():
    name = "bibtex_recursive_strings.bib"
    result = ingest([RawSource(name, (HOSTILE / name).read_bytes())])
    assert any(w.startswith(f"{name}:4: field 'title' of entry 'k1'") for w in result.report.warnings)


@pytest.mark.parametrize("name", ["cochrane_bib_p1m_5.bib", "scopus_bib_bibliometrix_3.bib",
                                  "wos_bib_bibliometrix_3.bib"])
def test_real_exports_give_no_macro_warnings(name):
    # every value in these is braced: nothing to evaluate, nothing to warn about
    assert bibtex.parse((EXPORTS / name).read_text(encoding="utf-8"), name).warnings == []
