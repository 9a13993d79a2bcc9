"""The bundled demo, end to end, as `make demo` runs it, on a fresh copy (no earlier state).

`make demo` is the README's first command; this keeps it from breaking unnoticed: the
pipeline, the scripted demonstration screening (pipelines/demo_screening.py) and the re-run
that folds the decisions into the PRISMA funnel.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

from screening.decisions import api
from screening.runner import run_review

ROOT = Path(__file__).resolve().parents[1]


def test_demo_review_from_a_fresh_copy(tmp_path: Path) -> None:
    (tmp_path / "pipelines").mkdir()
    shutil.copy(ROOT / "pipelines/demo.toml", tmp_path / "pipelines/demo.toml")
    shutil.copytree(ROOT / "data/raw/demo", tmp_path / "data/raw/demo")
    toml = tmp_path / "pipelines/demo.toml"

    run_review(toml)
    spec = importlib.util.spec_from_file_location("demo_screening", ROOT / "pipelines/demo_screening.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    assert demo.main(str(toml)) == 0
    assert demo.main(str(toml)) == 0                     # a second run adds nothing
    result = run_review(toml)

    prisma = json.loads((result.output_dir / "prisma" / "prisma.json").read_text(encoding="utf-8"))
    # 489: the French Environment Index record (envindex_100-00006) has had its language since
    # EBSCO's 'Language:' note is read, so the "Not in English" rule excludes it; 488: Lens's
    # copy of the salvage-logging protocol is linked to EBSCO's by their abstract (dedup 10)
    assert prisma["funnel"] == "1054 → 488 → 121 → 121 → 24"
    assert prisma["kappa"] == {"title_abstract": 0.873}
    report = (tmp_path / "data" / "screened" / "demo" / "prisma" / "report.md").read_text(encoding="utf-8")
    # the demo script writes its decisions as a decisions file: the paragraph says so, read from the log
    assert "title/abstract decisions were imported from a decisions file." in report
    assert api.list_conflicts(toml, reviewer="carol", as_adjudicator=True).empty
    assert all(e for e in api.history(toml, reviewer="carol", as_adjudicator=True)["is_demo"])
