"""Review TOML loading: strict keys, clear errors, paths resolved against the project root."""

from __future__ import annotations

import pytest

from screening.config import load_review
from screening.errors import ConfigError


def write(tmp_path, text: str):
    (tmp_path / "pipelines").mkdir(exist_ok=True)
    p = tmp_path / "pipelines" / "r.toml"
    p.write_text(text, encoding="utf-8")
    return p


GOOD = """
[review]
name = "r"
title = "A review"

[[sources]]
file = "data/raw/r/econlit_3.ris"
database = "EconLit"
date_searched = "2022-06-01"

[screening]
reasons = ["wrong population", "wrong design"]
"""


def test_good_config_loads_with_root_above_pipelines(tmp_path):
    cfg = load_review(write(tmp_path, GOOD))
    assert cfg.name == "r" and cfg.title == "A review"
    assert cfg.root == tmp_path.resolve()
    assert cfg.output_dir == tmp_path.resolve() / "data/screened/r"
    assert cfg.resolve(cfg.sources[0].file) == tmp_path.resolve() / "data/raw/r/econlit_3.ris"
    assert cfg.sources[0].database == "EconLit"
    assert cfg.screening.reasons == ("wrong population", "wrong design")
    assert cfg.decisions_path.name == "decisions.sqlite"


@pytest.mark.parametrize(
    "text, message",
    [
        (GOOD + "\n[bogus]\nx = 1\n", "unknown section [bogus]"),
        (GOOD.replace('title = "A review"', 'titel = "A review"'), "unknown key 'titel' in [review]"),
        (GOOD.replace('database = "EconLit"', 'databse = "EconLit"'), "unknown key 'databse' in [[sources]] #1"),
        (GOOD.replace('reasons = ["wrong population", "wrong design"]', 'reasons = "wrong"'),
         "screening.reasons must be a list"),
        (GOOD.replace('name = "r"', ""), "missing [review] name"),
        (GOOD + "\n[review\n", "invalid TOML"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, text, message):
    """Each error names the file; a misspelt key its own line."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_review(path)
    assert message in str(info.value)
    assert "r.toml" in str(info.value)
    if "unknown key" in message:       # the misspelt key's own line
        key = message.split("'")[1]
        assert info.value.line == next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(key))


def test_review_by_name_resolves_under_pipelines(tmp_path, monkeypatch):
    write(tmp_path, GOOD)
    monkeypatch.chdir(tmp_path)
    assert load_review("r").name == "r"
    with pytest.raises(ConfigError, match="no review named") as info:
        load_review("nope")
    assert info.value.hint == "reviews here: r"
    (tmp_path / "pipelines" / "gambling.toml").write_text(GOOD)
    with pytest.raises(ConfigError, match="did you mean 'gambling'"):      # session 16: no suggestion was made
        load_review("gamblin")


def test_a_misspelt_key_is_located_in_its_own_table(tmp_path):
    """The same misspelling in two [[sources]] entries, or a key name used in another table,
    still gets the line of the entry the error names."""
    text = GOOD + '\n[[sources]]  # update\nfile = "data/raw/r/wos_5.ris"\nreason = "x"\n'
    text = text.replace('database = "EconLit"', 'database = "EconLit"\nreason = "y"')
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_review(path)
    assert "in [[sources]] #1" in str(info.value)
    lines = text.splitlines()
    assert lines[info.value.line - 1] == 'reason = "y"'
    first_source = lines.index("[[sources]]")
    assert info.value.line > first_source + 1


def test_plain_names_a_type_parameter():
    """rank.json stored tfidf's dtype as "<class 'numpy.float32'>" (acceptance testing, session 15)."""
    import numpy as np

    from screening.config import plain

    assert plain({"dtype": np.float32, "range": (1, 2), "x": np.int64(3)}) == {"dtype": "float32", "range": [1, 2], "x": 3}


# ---- acceptance testing, session 20: encodings and values a report would paste as they stand ----

def test_a_byte_order_mark_is_read_as_utf8(tmp_path):
    p = write(tmp_path, "")
    p.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("A review", "Caf\u00e9 review").encode("utf-8"))
    assert load_review(p).title == "Caf\u00e9 review"


def test_a_toml_saved_as_windows_1252_is_refused_with_its_line(tmp_path):
    p = write(tmp_path, "")
    p.write_bytes(GOOD.replace("A review", "Caf\u00e9 review").encode("cp1252"))
    with pytest.raises(ConfigError) as err:
        load_review(p)
    assert "r.toml is not UTF-8 text (byte 0xe9 on line 4" in err.value.message and err.value.line == 4
    assert "UTF-8" in err.value.hint


def test_a_toml_saved_as_utf16_is_refused(tmp_path):
    p = write(tmp_path, "")
    p.write_bytes(GOOD.encode("utf-16"))
    with pytest.raises(ConfigError, match="saved as UTF-16"):
        load_review(p)


def test_an_impossible_search_date_is_refused_at_its_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_review(write(tmp_path, GOOD.replace("2022-06-01", "2022-13-01")))
    assert "[[sources]] #1: date_searched '2022-13-01' is not a date (month must be in 1..12)" in err.value.message
    assert err.value.line == 9
    for fine in ("2022-6-1", "1 June 2022", "June 2022", "01/06/2022"):    # read (or warned of) by the report
        assert load_review(write(tmp_path, GOOD.replace("2022-06-01", fine))).sources[0].date_searched == fine


@pytest.mark.parametrize("value", ["-3", "2.5", '"three"', "true"])
def test_other_methods_must_be_whole_numbers_of_records(tmp_path, value):
    with pytest.raises(ConfigError, match=r"other_methods: 'Citation searching' = .* is not a number of records"):
        load_review(write(tmp_path, GOOD + f'\n[prisma]\nother_methods = {{ "Citation searching" = {value} }}\n'))
    assert load_review(write(tmp_path, GOOD + '\n[prisma]\nother_methods = { "Citation searching" = 0 }\n'))


@pytest.mark.parametrize("tail, culprit, hint", [
    ("\n[review\n", "[review", "repeats a key or table"),                      # tomllib gives the line
    # acceptance testing: tomllib says only "(at end of document)"; the line that opened it is named
    ("\nnote = 'unclosed\n", "note = 'unclosed", "never closed"),
    ("\nnote = \"\"\"open\n\nmore text\n", 'note = """open', "never closed"),
    ("\nextra = 1\nextra = 2\n", "extra = 2", "repeats a key"),
])
def test_invalid_toml_names_the_line_to_fix(tmp_path, tail, culprit, hint):
    path = write(tmp_path, GOOD + tail)
    with pytest.raises(ConfigError) as info:
        load_review(path)
    assert info.value.line == (GOOD + tail).splitlines().index(culprit) + 1, str(info.value)
    assert hint in str(info.value) and "(at end of document)" not in str(info.value)
