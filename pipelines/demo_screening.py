"""Scripted DEMONSTRATION screening pass for the demo review (every event marked is_demo).

The CiteSource wildfire data ship the review team's own results: the 128 records that passed
title/abstract screening and the 24 studies included after full text
(data/raw/demo/screening_results/). This script replays them through our decision log so that
`status`, `conflicts`, `agreement` and the PRISMA report show a real funnel:

* title/abstract: every record in play is assigned to two reviewers (dual screening).
  Reviewer A answers with the team's result; reviewer B does too except on a seeded 5% sample,
  where B disagrees (planted conflicts). An adjudicator resolves each conflict with the team's
  result.
* full text: records included at title/abstract are decided by reviewer A: include if among the
  24 final studies, else exclude with a reason (the reason is demonstration data too).

Run after `screening run pipelines/demo.toml`; running it again does nothing.
"""

from __future__ import annotations

import csv
import random
import sys
import tempfile
from pathlib import Path

from screening.config import ReviewConfig, load_review
from screening.decisions.api import Review, adjudicate, assign, import_decisions, list_conflicts
from screening.decisions.entries import load_entries
from screening.decisions.progress import records_in_play
from screening.normalize import normalize_doi, normalize_title
from screening.stages.ingest import ingest_paths

A, B, ADJ = "demo-reviewer-a", "demo-reviewer-b", "demo-adjudicator"
SEED = 2022
DISAGREE = 0.05


def match_ids(records, truth_file: Path) -> tuple[set[str], int]:
    """record_ids of in-play records matching the truth file (DOI first, then exact title key)."""
    truth = ingest_paths([truth_file]).records
    by_doi: dict[str, str] = {}
    by_title: dict[str, str] = {}
    for rid, doi, title in zip(records["record_id"], records["doi"], records["title"]):
        if doi:
            by_doi.setdefault(doi, rid)
        key = normalize_title(title)
        if key:
            by_title.setdefault(key, rid)
    found: set[str] = set()
    for doi, title in zip(truth["doi"], truth["title"]):
        rid = by_doi.get(normalize_doi(doi)) or by_title.get(normalize_title(title))
        if rid:
            found.add(rid)
    return found, len(truth)


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["record_id", "decision", "reason", "stage", "reviewer"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def main(review_path: str) -> int:
    review = load_review(review_path)
    entries = load_entries(review.decisions_path)
    if len(entries) and entries["is_demo"].astype(int).any():
        print("demo decisions already recorded; nothing to do")
        return 0
    rv = Review.load(review)          # records table read once, for every call below
    try:
        return _record(rv, review)
    finally:
        rv.close()


def _record(rv: Review, review: ReviewConfig) -> int:
    in_play = records_in_play(rv.records)
    ids = list(in_play["record_id"])

    results = review.root / "data/raw/demo/screening_results"
    ta_include, n_ta = match_ids(in_play, results / "screened_128.ris")
    ft_include, n_ft = match_ids(in_play, results / "final_24.ris")
    print(f"matched {len(ta_include)}/{n_ta} title/abstract includes and {len(ft_include)}/{n_ft} "
          f"final studies to the {len(ids)} records in play")

    assign(rv, [A, B], fraction=1.0, seed=SEED, is_demo=True)
    rng = random.Random(SEED)
    flip = set(rng.sample(ids, k=max(1, round(DISAGREE * len(ids)))))
    ta_rows = []
    for rid in ids:
        truth = "include" if rid in ta_include else "exclude"
        other = {"include": "exclude", "exclude": "include"}[truth]
        ta_rows.append({"record_id": rid, "decision": truth, "reason": "", "stage": "title_abstract", "reviewer": A})
        ta_rows.append({"record_id": rid, "decision": other if rid in flip else truth, "reason": "",
                        "stage": "title_abstract", "reviewer": B})
    with tempfile.TemporaryDirectory() as tmp:
        import_decisions(rv, write_csv(Path(tmp) / "ta.csv", ta_rows), is_demo=True)
    conflicts = list_conflicts(rv, reviewer=ADJ, as_adjudicator=True)  # blinded otherwise
    for rid in sorted(set(conflicts["record_id"])):
        adjudicate(rv, reviewer=ADJ, record_id=rid,
                   decision="include" if rid in ta_include else "exclude", is_demo=True)

    reasons = [r for r in review.screening.reasons if r != "wrong publication type"] or ["demonstration"]
    ft_rows = []
    for i, rid in enumerate(sorted(ta_include)):
        if rid in ft_include:
            ft_rows.append({"record_id": rid, "decision": "include", "reason": "", "stage": "full_text", "reviewer": A})
        else:
            ft_rows.append({"record_id": rid, "decision": "exclude", "reason": reasons[i % len(reasons)],
                            "stage": "full_text", "reviewer": A})
    with tempfile.TemporaryDirectory() as tmp:
        import_decisions(rv, write_csv(Path(tmp) / "ft.csv", ft_rows), stage="full_text", is_demo=True)
    print(f"recorded demo decisions: {len(ta_rows)} title/abstract ({len(flip)} planted disagreements, "
          f"{len(set(conflicts['record_id']))} adjudicated), {len(ft_rows)} full text")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "pipelines/demo.toml"))
