"""Readers for saved OpenAlex / Europe PMC API pages (real records in the APIs' JSON shapes)."""

from __future__ import annotations

import json

import pytest

from screening.errors import InputError
from screening.io.base import detect_format, get_reader
from screening.io.openalex_json import rebuild_abstract
from screening.stages.ingest import RawSource, ingest

from .conftest import FIXTURES

WORKS = json.loads((FIXTURES / "openalex_works.json").read_text(encoding="utf-8"))
EPMC = json.loads((FIXTURES / "europepmc_results.json").read_text(encoding="utf-8"))


def openalex_page(works: list[dict], indent: int | None = None) -> str:
    meta = {"count": 12, "db_response_time_ms": 28, "page": None, "per_page": 25, "next_cursor": None,
            "groups_count": None}
    return json.dumps({"meta": meta, "results": works, "group_by": []}, indent=indent, ensure_ascii=False)


def epmc_page(results: list[dict], indent: int | None = None) -> str:
    body = {"version": "6.9", "hitCount": 12, "nextCursorMark": "AoJ", "request": {"queryString": "x",
            "resultType": "core", "cursorMark": "*", "pageSize": 25, "sort": "", "synonym": False},
            "resultList": {"result": results}}
    return json.dumps(body, indent=indent, ensure_ascii=False)


def test_rebuild_abstract_orders_by_position() -> None:
    assert rebuild_abstract({"mild": [3], "Inhaled": [0], "asthma": [4], "budesonide": [1, 2]}) == \
        "Inhaled budesonide budesonide mild asthma"
    assert rebuild_abstract(None) == "" and rebuild_abstract({}) == ""


def test_openalex_page_fields_and_counts() -> None:
    text = openalex_page(WORKS)
    assert detect_format(text, "page-0001.json").name == "openalex_json"
    res = get_reader("openalex_json").parse(text, "page-0001.json")
    assert res.expected_count == len(WORKS) == len(res.records) == 12
    first, work = res.records[0].fields, WORKS[0]
    assert first["source_record_id"] == work["id"].rsplit("/", 1)[-1] and first["source_record_id"].startswith("W")
    assert first["doi"] == work["doi"].replace("https://doi.org/", "").lower()
    assert first["pmid"] == work["ids"]["pmid"].rsplit("/", 1)[-1] and first["pmid"].isdigit()
    assert first["journal"] == work["primary_location"]["source"]["display_name"]
    assert first["year"] == work["publication_year"] and first["publication_type"] == ["article"]
    assert first["authors"][0].split(",")[0] == work["authorships"][0]["author"]["display_name"].split()[-1]
    assert res.records[0].source_db == "OpenAlex"


def test_openalex_line_numbers_in_pretty_printed_page() -> None:
    text = openalex_page(WORKS[:3], indent=1)
    res = get_reader("openalex_json").parse(text, "p.json")
    lines = text.split("\n")
    for rec in res.records:
        assert lines[rec.line - 1].strip() == "{"
        assert rec.fields["source_record_id"] in "\n".join(lines[rec.line - 1: rec.line + 3])


def test_openalex_missing_fields_do_not_crash() -> None:
    res = get_reader("openalex_json").parse(openalex_page([{"id": "https://openalex.org/W1"}]), "p.json")
    f = res.records[0].fields
    assert f["source_record_id"] == "W1" and f["title"] == "" and f["authors"] == [] and f["year"] is None


def test_europepmc_page_fields_and_counts() -> None:
    text = epmc_page(EPMC, indent=2)
    assert detect_format(text, "page-0001.json").name == "europepmc_json"
    res = get_reader("europepmc_json").parse(text, "page-0001.json")
    assert res.expected_count == len(res.records) == 12
    f, r = res.records[0].fields, EPMC[0]
    assert f["pmid"] == r["pmid"] and f["source_record_id"] == f"MED:{r['id']}"
    assert f["title"] == r["title"] and f["journal"] == r["journalInfo"]["journal"]["title"]
    assert f["year"] == int(r["pubYear"]) and f["publication_type"] == ["Journal Article"]
    assert f["authors"][0] == f"{r['authorList']['author'][0]['lastName']}, {r['authorList']['author'][0]['firstName']}"
    assert f["url"] == f"https://europepmc.org/article/MED/{r['id']}"
    assert text.split("\n")[res.records[1].line - 1].strip() == "{"


def test_europepmc_author_string_fallback_and_html_abstract() -> None:
    rec = {"id": "PPR1", "source": "PPR", "title": "T", "authorString": "Reddel HK, FitzGerald JM.",
           "abstractText": "<h4>Background</h4>In patients&nbsp;with mild asthma"}
    f = get_reader("europepmc_json").parse(epmc_page([rec]), "p.json").records[0].fields
    assert f["authors"] == ["Reddel, HK", "FitzGerald, JM"]
    assert f["abstract"] == "Background In patients with mild asthma"


def test_json_pages_do_not_sniff_as_each_other() -> None:
    oa, ep = get_reader("openalex_json"), get_reader("europepmc_json")
    assert oa.sniff(epmc_page(EPMC[:1])) == 0 and ep.sniff(openalex_page(WORKS[:1])) == 0
    assert oa.sniff('{"a": 1}') == 0 and ep.sniff("TY  - JOUR") == 0


def test_truncated_page_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not valid JSON"):
        get_reader("openalex_json").parse(openalex_page(WORKS[:2])[:-40], "p.json")


def test_ingest_accepts_saved_pages() -> None:
    res = ingest([RawSource("a/page-0001.json", openalex_page(WORKS).encode(), database="OpenAlex"),
                  RawSource("b/page-0001.json", epmc_page(EPMC).encode(), database="Europe PMC")])
    t = res.records
    assert len(t) == 24 and t["record_id"].is_unique
    assert t.groupby("source_db").size().to_dict() == {"Europe PMC": 12, "OpenAlex": 12}
