"""A [[sources]] export that is there in another Unicode spelling, or that Python cannot name
(screening.missing_source). Acceptance test 35 (L5): a folder renamed to NFD 'Übersicht 2024'
by a macOS or zip round trip, and an ASCII-only locale, were both reported as 'source file not
found' with no hint, beside a listing that shows the file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from screening import runner
from screening.errors import InputError
from screening.missing_source import missing_source, unicode_twin
from screening.runner import run_review
from tests.test_runner import make_review

NFC = "Übersicht 2024"
NFD = unicodedata.normalize("NFD", NFC)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_post_steps(monkeypatch):
    monkeypatch.setattr(runner, "_load_post_steps", lambda: None)
    monkeypatch.setattr(runner, "POST_STEPS", {})


def _into_folder(tmp_path: Path, folder: str) -> Path:
    """make_review's review with wos_5.ris moved into ``folder``, the TOML naming it in NFC."""
    toml = make_review(tmp_path)
    raw = tmp_path / "data" / "raw" / "t"
    (raw / folder).mkdir()
    shutil.move(raw / "wos_5.ris", raw / folder / "wos_5.ris")
    toml.write_text(toml.read_text(encoding="utf-8").replace("data/raw/t/wos_5.ris", f"data/raw/t/{NFC}/wos_5.ris"),
                    encoding="utf-8")
    return toml


def test_a_folder_spelled_in_nfd_is_named_in_the_error_and_not_read(tmp_path: Path) -> None:
    toml = _into_folder(tmp_path, NFD)
    with pytest.raises(InputError, match="source file not found as written") as err:
        run_review(toml)
    text = str(err.value)
    assert f"{NFD!r} on disk is in decomposed Unicode (NFD), the TOML's {NFC!r} in composed Unicode (NFC)" in text
    assert f"rename {NFD!r} on disk to the TOML's spelling" in text
    assert not (tmp_path / "data" / "screened" / "t").exists()      # refused before anything was written
    # renamed to the TOML's spelling, it runs
    raw = tmp_path / "data" / "raw" / "t"
    os.rename(raw / NFD, raw / NFC)
    assert run_review(toml)


def test_a_file_name_spelled_in_nfd_is_found_as_its_twin(tmp_path: Path) -> None:
    name = "pubmed résumé.nbib"
    (tmp_path / unicodedata.normalize("NFD", name)).write_text("x", encoding="utf-8")
    assert unicode_twin(tmp_path / name) == tmp_path / unicodedata.normalize("NFD", name)
    assert unicode_twin(tmp_path / "other.nbib") is None
    assert unicode_twin(tmp_path / unicodedata.normalize("NFD", name)) is None    # it exists as written
    err = missing_source(tmp_path / name, name, "t.toml")
    assert "decomposed Unicode (NFD)" in str(err) and "convmv" in str(err)
    # the other way round (a TOML saved decomposed, the file composed): no NFC tool suggested
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / name).write_text("x", encoding="utf-8")
    err = missing_source(tmp_path / "b" / unicodedata.normalize("NFD", name), name, "t.toml")
    assert "on disk is in composed Unicode (NFC)" in str(err) and "convmv" not in str(err)


def test_two_twins_decide_nothing(tmp_path: Path) -> None:
    # 'Üé' written two ways that both differ from the TOML's: no one of them is the file
    u, e = "Ü", "é"
    nfd_u, nfd_e = unicodedata.normalize("NFD", u), unicodedata.normalize("NFD", e)
    for name in (nfd_u + nfd_e, u + nfd_e):
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert unicode_twin(tmp_path / (nfd_u + e)) is None
    assert str(missing_source(tmp_path / (nfd_u + e), "x", "t.toml")).endswith(
        "source file not found — fix [[sources]] file = 'x' in t.toml")


def test_an_ascii_only_locale_is_named_in_the_error(tmp_path: Path) -> None:
    (tmp_path / NFC).mkdir()
    # the path written ASCII-escaped: that locale cannot pass it in argv either
    code = ("from pathlib import Path; from screening.missing_source import missing_source; "
            f"print(missing_source(Path({ascii(str(tmp_path / NFC / 'a.ris'))}), 'a.ris', 't.toml'))")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "PYTHONUTF8": "0",
           "PYTHONCOERCECLOCALE": "0", "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, encoding="utf-8",
                         check=True).stdout
    assert "file-system encoding (ascii) cannot write this path's non-ASCII characters" in out
    assert "LC_ALL=C.UTF-8" in out
