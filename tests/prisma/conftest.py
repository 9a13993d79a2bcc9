"""Shared fixtures: 25 real RIS records (WoS 10, Ovid MEDLINE 6, Lens 9) with marks set by hand.

Hand-checked facts about the fixture (see tests/fixtures/SOURCES.md):
* 4 studies appear in several databases by DOI: 10.1002/eap.2611 (WoS, MEDLINE, Lens),
  10.1001/jamacardio.2024.1321 (WoS, MEDLINE, Lens), 10.1002/fee.2219 (WoS, Lens),
  10.1002/hpm.3769 (WoS, MEDLINE, Lens) -> 7 duplicate records, keeping the WoS copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from screening.stages.ingest import ingest_paths

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prisma"
RIS = {"Web of Science Core Collection": "wos_10_of_278.ris", "Ovid MEDLINE": "medline_6_of_84.ris",
       "Lens.org": "lens_9_of_343.ris"}



def wild_project(root: Path, toml: str, files: tuple[str, ...]) -> Path:
    """A project folder as a team has it: the fixture exports ``files`` copied to
    data/raw/wild/ and ``toml`` as pipelines/wild.toml (returned; not run yet)."""
    raw = root / "data" / "raw" / "wild"
    raw.mkdir(parents=True)
    for name in files:
        shutil.copy(FIXTURES / name, raw / name)
    (root / "pipelines").mkdir()
    path = root / "pipelines" / "wild.toml"
    path.write_text(toml, encoding="utf-8")
    return path


# removed duplicate -> kept WoS record
DUPLICATES = {
    "medline_6_of_84-00002": "wos_10_of_278-00008", "lens_9_of_343-00007": "wos_10_of_278-00008",
    "medline_6_of_84-00006": "wos_10_of_278-00007", "lens_9_of_343-00008": "wos_10_of_278-00007",
    "lens_9_of_343-00006": "wos_10_of_278-00009",
    "medline_6_of_84-00005": "wos_10_of_278-00010", "lens_9_of_343-00009": "wos_10_of_278-00010",
}
# rules: the tramadol/opioid trial review and the criminology book chapter are off-topic
RULE_EXCLUDED = {"lens_9_of_343-00001": ["off-topic: not about fire"],
                 "lens_9_of_343-00003": ["publication type: book chapter", "off-topic: not about fire"]}


def ingest_fixture() -> pd.DataFrame:
    frames = []
    for db, name in RIS.items():
        frames.append(ingest_paths([FIXTURES / name], database=db).records)
    return pd.concat(frames, ignore_index=True)


def mark(records: pd.DataFrame) -> pd.DataFrame:
    """The table as dedup + rules would leave it (marks set by hand, no row dropped)."""
    out = records.copy()
    out["duplicate_of"] = [DUPLICATES.get(r, "") for r in out["record_id"]]
    out["rule_decision"] = ["exclude" if r in RULE_EXCLUDED else "include" for r in out["record_id"]]
    out["rule_reasons"] = [list(RULE_EXCLUDED.get(r, [])) for r in out["record_id"]]
    out["dup_rule"] = ["doi" if r in DUPLICATES else "" for r in out["record_id"]]
    return out


@pytest.fixture(scope="session")
def records() -> pd.DataFrame:
    return mark(ingest_fixture())


def in_play_ids(records: pd.DataFrame) -> list[str]:
    keep = (records["duplicate_of"] == "") & (records["rule_decision"] != "exclude")
    return list(records.loc[keep, "record_id"])


@pytest.fixture(scope="session")
def play_ids(records: pd.DataFrame) -> list[str]:
    return in_play_ids(records)


@pytest.fixture(scope="session")
def finals(records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """16 records in play: 10 included at title/abstract, 6 excluded; full text: 1 not
    retrieved, 4 excluded (3 reasons), 5 included."""
    ids = in_play_ids(records)
    assert len(ids) == 16
    ta = pd.DataFrame({"record_id": ids, "decision": ["include"] * 10 + ["exclude"] * 6,
                       "reason": [""] * 10 + ["wrong population"] * 6, "resolved_by": "agreement"})
    sought = ids[:10]
    ft = pd.DataFrame({
        "record_id": sought,
        "decision": ["include"] * 5 + ["exclude"] * 4 + ["not_retrieved"],
        "reason": [""] * 5 + ["wrong study design", "wrong study design", "wrong outcome", "not a review"] + [""],
        "resolved_by": "agreement"})
    return ta, ft
