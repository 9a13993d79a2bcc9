"""Benchmark: time to compute PRISMA counts and write every output, on real and scaled-up data.

There is no peer tool to compare with (the PRISMA2020 R package draws a diagram from counts a
person types in; it does not compute them), so this reports our own figures: compute_counts
and the full output set (json, csv, svg/png/pdf, md/html) on the CiteSource wildfire funnel
(1,054 real records from six databases, ../shared/data/funnels/citesource_wildfire) and on the
same records replicated x50 (52,700 rows), with every kept record given a final decision.

Run: .venv/bin/python benchmarks/bench_prisma.py   -> benchmarks/results/prisma.md
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screening.prisma.counts import compute_counts  # noqa: E402
from screening.prisma.diagram import render  # noqa: E402
from screening.stages.ingest import ingest_paths  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "funnels" / "citesource_wildfire"
FILES = {"wos_278.ris": "Web of Science Core Collection", "lens_343.ris": "Lens.org",
         "Dimensions_246.ris": "Dimensions", "medline_84.ris": "MEDLINE",
         "envindex_100.ris": "Environment Index", "econlit_3.ris": "EconLit"}


def load() -> pd.DataFrame:
    frames = [ingest_paths([DATA / f], database=db).records for f, db in FILES.items()]
    records = pd.concat(frames, ignore_index=True)
    # duplicates by DOI (first occurrence kept): a simple stand-in for the dedup stage
    first = records[records["doi"] != ""].drop_duplicates("doi").set_index("doi")["record_id"]
    records["duplicate_of"] = [first.get(d, "") if d and first.get(d, "") != r else ""
                               for d, r in zip(records["doi"], records["record_id"])]
    return records


def scale(records: pd.DataFrame, k: int) -> pd.DataFrame:
    parts = []
    for i in range(k):
        part = records.copy()
        part["record_id"] = part["record_id"] + f"-x{i}"
        part["duplicate_of"] = [d + f"-x{i}" if d else "" for d in part["duplicate_of"]]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def finals(records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    play = list(records.loc[records["duplicate_of"] == "", "record_id"])
    ta = pd.DataFrame({"record_id": play, "decision": ["include" if i % 4 == 0 else "exclude"
                                                       for i in range(len(play))], "reason": ""})
    sought = list(ta.loc[ta["decision"] == "include", "record_id"])
    reasons = ["not a review", "not about wildfire", "no impact outcomes"]
    ft = pd.DataFrame({"record_id": sought,
                       "decision": ["include" if i % 5 == 0 else "exclude" for i in range(len(sought))],
                       "reason": [reasons[i % 3] if i % 5 else "" for i in range(len(sought))]})
    return ta, ft


def best_of(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found")
        return 0
    base = load()
    rows = []
    for label, table in (("wildfire funnel (real)", base), ("wildfire x50", scale(base, 50))):
        ta, ft = finals(table)
        c = compute_counts(table, ta, ft)
        t_counts = best_of(lambda: compute_counts(table, ta, ft))
        t_diagram = best_of(lambda: [render(c, f) for f in ("svg", "png", "pdf")])
        rows.append((label, len(table), c.duplicates, len(ta) + len(ft), t_counts, t_diagram,
                     " → ".join(map(str, c.funnel()))))
    lines = [
        "## PRISMA counts and diagram (`benchmarks/bench_prisma.py`)", "",
        f"Measured {date.today().isoformat()} on {platform.machine()} Linux, 2 shared CPU cores, Python "
        f"{platform.python_version()}; command `nice -n 10 .venv/bin/python benchmarks/bench_prisma.py`; "
        "best of 3 runs. No peer: no other tool computes PRISMA counts from records and decisions "
        "(the PRISMA2020 R package draws counts typed in by hand; our prisma.csv feeds it).", "",
        "| data | records | duplicates | final decisions | compute_counts (s) | SVG+PNG+PDF (s) | funnel |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    lines += [f"| {a} | {b:,} | {c:,} | {d:,} | {e:.3f} | {f:.2f} | {g} |" for a, b, c, d, e, f, g in rows]
    lines += ["", "Duplicates here are by exact DOI only (a stand-in for the dedup stage); decisions are "
              "synthetic (every 4th record included, every 5th report included). The diagram's cost does "
              "not depend on the number of records.", ""]
    out = ROOT / "benchmarks" / "results" / "prisma.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
