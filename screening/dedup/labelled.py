"""Labelled dedup sets (bib-dedupe layout): ``<set>_records.csv`` + ``<set>_dup_groups.csv``.

Used by the benchmark and tests to load BibTeX-style columns (ID, author, number) into the
canonical table without depending on the generic CSV reader, and to score a result pairwise.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import Iterable

import pandas as pd

from screening.normalize import split_authors
from screening.records import make_table

_RENAME = {"ID": "record_id", "number": "issue", "orig_source": "source_db"}


def load_labelled_records(path: str | Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    rows = []
    for rec in raw.to_dict("records"):
        row = {_RENAME.get(k, k): v for k, v in rec.items() if k != "author"}
        row["authors"] = split_authors(rec.get("author", ""))
        if "issue" in rec and rec["issue"] and not row.get("issue"):
            row["issue"] = rec["issue"]
        rows.append(row)
    return make_table(rows)


def load_groups(path: str | Path) -> list[list[str]]:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return [g.split(";") for g in raw["merged_ids"] if ";" in g]


def pairs_of(groups: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for g in groups:
        for a, b in combinations(sorted(set(g)), 2):
            out.add((a, b))
    return out


def groups_from_table(table: pd.DataFrame) -> list[list[str]]:
    grouped = table.groupby("dup_group")["record_id"].apply(list)
    return [sorted(v) for v in grouped if len(v) > 1]


def pairwise_scores(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    tp = len(predicted & truth)
    return {
        "tp": tp, "fp": len(predicted - truth), "fn": len(truth - predicted),
        "precision": tp / len(predicted) if predicted else 1.0,
        "recall": tp / len(truth) if truth else 1.0,
    }
