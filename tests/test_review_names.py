"""The review name is a folder name, and the output-folder owner check compares the folders the
system resolves (acceptance test 36b, M2): '../escape' wrote outside data/screened, '.' into it,
a newline made a folder nobody could type, and 'x/../hostile' took over the review 'hostile''s
folder and decision log past the owner check, then locked the real review out."""

from __future__ import annotations

import pytest

from screening.config import load_review
from screening.errors import ConfigError
from screening.output_owner import OWNER_FILE, owner_text


def _toml(tmp_path, name_line: str, extra: str = "", file: str = "r.toml"):
    (tmp_path / "pipelines").mkdir(exist_ok=True)
    path = tmp_path / "pipelines" / file
    path.write_text(f'[review]\n{name_line}\ntitle = "t"\n{extra}', encoding="utf-8")
    return path


@pytest.mark.parametrize("name_line", [
    'name = "../escape"', 'name = "."', 'name = ".."', 'name = "x/../hostile"', 'name = "a\\\\b"',
    'name = "new\\nline"', 'name = "esc\\u001b[2J"', 'name = "nul\\u0000"', 'name = "a:b"', 'name = " padded"',
    'name = "trailing."', "name = '/abs/path'",
])
def test_a_name_that_is_no_plain_folder_name_is_refused_at_its_line(tmp_path, name_line) -> None:
    with pytest.raises(ConfigError) as err:
        load_review(_toml(tmp_path, name_line))
    said = str(err.value)
    assert ":2: [review] name" in said and "use one plain folder name" in said and "output_dir" in said
    assert "\x1b" not in said and "\n" not in said and "\x00" not in said     # the name quoted, as repr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("name", ["demo", "asthma-children 2024", "résumé_v2.1", "Wildfire (update)"])
def test_plain_names_load(tmp_path, name) -> None:
    assert load_review(_toml(tmp_path, f'name = "{name}"')).name == name


def test_an_output_dir_through_a_missing_folder_is_checked_where_it_resolves(tmp_path) -> None:
    """output_dir may point anywhere, but 'data/screened/x/../a' (no folder x) is a's folder."""
    first = load_review(_toml(tmp_path, 'name = "a"', file="a.toml"))
    first.output_dir.mkdir(parents=True)
    (first.output_dir / OWNER_FILE).write_text(owner_text(first), encoding="utf-8")
    assert not (tmp_path / "data" / "screened" / "x").exists()
    with pytest.raises(ConfigError) as err:
        load_review(_toml(tmp_path, 'name = "b"', 'output_dir = "data/screened/x/../a"\n', file="b.toml"))
    said = str(err.value)
    assert "b.toml:4:" in said and f"{tmp_path / 'data' / 'screened' / 'a'} holds the outputs" in said
    assert load_review(tmp_path / "pipelines" / "a.toml").name == "a"        # the owner itself loads
