"""Ingest benchmark: our RIS ingest vs rispy on a >=100,000-record real RIS file.

Usage: ``.venv/bin/python benchmarks/bench_ingest.py [--records N]``

Builds ``benchmarks/.cache/ingest_big.ris`` by concatenating the real RIS exports in
``../shared/data/exports`` and ``../shared/data/funnels`` (repeated until N records), then, in
one run, times in separate child processes (so peak RSS is each side's own):

* ours: ``screening.stages.ingest.ingest_paths`` -- decode, detect, parse, count check and
  records-table build, i.e. everything ``screening ingest`` does except writing the CSV;
* rispy: ``rispy.load`` (in its own venv from ``benchmarks/peers.sh rispy``).

Each child reports its wall time; peak RSS comes from ``resource.getrusage(RUSAGE_CHILDREN)``
taken around that one child. Writes ``benchmarks/results/ingest.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
DATA = ROOT.parent / "shared" / "data"
OUT = HERE / "results" / "ingest.md"

OURS = r"""
import json, sys, time
sys.path.insert(0, sys.argv[2])
t0 = time.perf_counter()
from screening.stages.ingest import ingest_paths
t1 = time.perf_counter()
c1 = time.process_time()
res = ingest_paths([sys.argv[1]])
t2 = time.perf_counter()
c2 = time.process_time()
df = res.records
print(json.dumps({"records": len(df), "seconds": t2 - t1, "cpu_seconds": c2 - c1, "import_seconds": t1 - t0,
                  "with_title": int((df["title"] != "").sum()), "with_doi": int((df["doi"] != "").sum())}))
"""

# The same work as ingest_paths, phase by phase (CPU seconds), to show where the time goes.
PHASES = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from screening.io.base import detect_format
from screening.io.text import decode_bytes
from screening.records import make_table
c0 = time.process_time()
data = open(sys.argv[1], "rb").read()
decoded = decode_bytes(data, sys.argv[1])
c1 = time.process_time()
peak_decode = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
reader = detect_format(decoded.text, sys.argv[1])
result = reader.parse(decoded.text, sys.argv[1])
c2 = time.process_time()
peak_parse = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
rows = []
for n, rec in enumerate(result.records):
    row = dict(rec.fields)
    row.update(record_id=f"r{n}", source_file="f", source_format="ris", source_db=rec.source_db, source_line=rec.line)
    rows.append(row)
table = make_table(rows)
c3 = time.process_time()
print(json.dumps({"records": len(table), "decode": c1 - c0, "parse": c2 - c1, "table": c3 - c2,
                  "peak_decode_mb": peak_decode, "peak_parse_mb": peak_parse,
                  "peak_table_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

RISPY = r"""
import json, sys, time
t0 = time.perf_counter()
import rispy
t1 = time.perf_counter()
c1 = time.process_time()
with open(sys.argv[1], encoding="utf-8-sig") as fh:
    entries = rispy.load(fh)
t2 = time.perf_counter()
c2 = time.process_time()
print(json.dumps({"records": len(entries), "seconds": t2 - t1, "cpu_seconds": c2 - c1, "import_seconds": t1 - t0,
                  "with_title": sum(1 for e in entries if e.get("title") or e.get("primary_title")),
                  "with_doi": sum(1 for e in entries if e.get("doi"))}))
"""


def source_files() -> list[Path]:
    files = sorted((DATA / "exports").glob("*.ris")) + sorted((DATA / "funnels").glob("*/*.ris"))
    return [f for f in files if f.is_file()]


def build(target: int) -> tuple[Path, int, list[str]]:
    """Concatenate real RIS exports (whole files, repeated) until >= target records."""
    import re

    files = source_files()
    if not files:
        raise SystemExit(f"no RIS exports under {DATA}; nothing to benchmark")
    blobs = []
    for f in files:
        data = f.read_bytes().replace(b"\xef\xbb\xbf", b"")  # each file's BOM would sit mid-file
        text = data.decode("utf-8")
        n = len(re.findall(r"^TY\s+-", text.replace("\r\n", "\n"), flags=re.M))
        if not data.endswith(b"\n"):
            data += b"\n"
        blobs.append((data, n))
    per_pass = sum(n for _, n in blobs)
    passes = -(-target // per_pass)
    path = CACHE / f"ingest_big_{passes}x.ris"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            for _ in range(passes):
                for data, _n in blobs:
                    fh.write(data)
                    fh.write(b"\n")
        tmp.replace(path)
    return path, per_pass * passes, [f.name for f in files]


def run_child(python: str, code: str, *args: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({python}):\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # ru_maxrss of children is the max over all waited children; measure each side with a
    # fresh /usr/bin/time when available so a bigger earlier child cannot mask a smaller one.
    out["peak_rss_mb"] = max(after, before) / 1024
    return out


def run_timed(python: str, code: str, *args: str) -> dict:
    """Run a child under /usr/bin/time -v when present (exact per-child peak RSS)."""
    if not Path("/usr/bin/time").exists():
        return run_child(python, code, *args)
    proc = subprocess.run(["/usr/bin/time", "-v", python, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({python}):\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for line in proc.stderr.splitlines():
        if "Maximum resident set size" in line:
            out["peak_rss_mb"] = int(line.rsplit(":", 1)[1]) / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000, help="minimum records in the benchmark file")
    args = ap.parse_args()
    path, n_records, names = build(args.records)
    size_mb = path.stat().st_size / 1e6
    peer = subprocess.run(["bash", str(HERE / "peers.sh"), "rispy"], capture_output=True, text=True)
    rispy_python = peer.stdout.strip().splitlines()[-1] if peer.returncode == 0 and peer.stdout.strip() else ""
    rispy_version = ""
    if rispy_python:
        rispy_version = subprocess.run([rispy_python, "-c", "import importlib.metadata as m; print(m.version('rispy'))"],
                                       capture_output=True, text=True).stdout.strip()

    print(f"file: {path} ({size_mb:.0f} MB, {n_records} records by TY count)", file=sys.stderr)
    ours = run_timed(sys.executable, OURS, str(path), str(ROOT))
    print(f"ours: {ours}", file=sys.stderr)
    theirs = run_timed(rispy_python, RISPY, str(path)) if rispy_python else None
    print(f"rispy: {theirs}", file=sys.stderr)
    phases = run_timed(sys.executable, PHASES, str(path), str(ROOT))
    print(f"phases: {phases}", file=sys.stderr)
    load = os.getloadavg()

    def rate(r: dict, key: str = "seconds") -> float:
        return r["records"] / r[key]

    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Ingest: RIS throughput and memory (ours vs rispy)\n",
        f"Measured {now} on {platform.machine()} with {os.cpu_count()} cores (shared; load average "
        f"{load[0]:.1f} at the end of the run), Python {platform.python_version()}, in one run of "
        "`.venv/bin/python benchmarks/bench_ingest.py`.\n",
        f"Input: `{path.relative_to(ROOT)}`, {size_mb:.0f} MB, {n_records:,} records: the {len(names)} real RIS "
        "exports of `../shared/data/exports` and `../shared/data/funnels` (Ovid, EBSCO, Scopus, WoS, Embase, Cochrane, "
        "Lens, Dimensions, Zotero, EndNote, ProQuest dialects) concatenated and repeated; mixed CRLF/LF.\n",
        "- **ours**: `screening.stages.ingest.ingest_paths([file])`: read, decode (BOM/newline "
        "normalisation), detect format, parse, field mapping (authors, DOI, years, ISSN...), record-count check, "
        "build the canonical records table. Import time excluded.",
        f"- **rispy {rispy_version}**: `rispy.load(fh)` (list of dicts, raw tag values, no normalisation), "
        "in its own venv (`benchmarks/peers.sh rispy`). Import time excluded.",
        "- Each side runs in its own child process. Wall seconds depend on the other jobs of this shared machine; "
        "CPU seconds (`time.process_time()`) are the fairer comparison. Peak memory: maximum resident set size of "
        "the child (`/usr/bin/time -v`), interpreter included.\n",
        "| tool | records | wall s | CPU s | records/s (wall) | records/s (CPU) | peak RSS (MB) | with title | with DOI |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| ours (full ingest) | {ours['records']:,} | {ours['seconds']:.1f} | {ours['cpu_seconds']:.1f} | "
        f"{rate(ours):,.0f} | {rate(ours, 'cpu_seconds'):,.0f} | {ours['peak_rss_mb']:.0f} | "
        f"{ours['with_title']:,} | {ours['with_doi']:,} |",
    ]
    if theirs:
        lines.append(f"| rispy | {theirs['records']:,} | {theirs['seconds']:.1f} | {theirs['cpu_seconds']:.1f} | "
                     f"{rate(theirs):,.0f} | {rate(theirs, 'cpu_seconds'):,.0f} | {theirs['peak_rss_mb']:.0f} | "
                     f"{theirs['with_title']:,} | {theirs['with_doi']:,} |")
    total = phases["decode"] + phases["parse"] + phases["table"]
    lines += [
        "",
        f"Where our CPU time goes (same work, phase by phase, separate child): decode {phases['decode']:.1f} s "
        f"(`screening/io/text.py`), parse {phases['parse']:.1f} s (`screening/io/ris.py`: "
        f"{phases['records'] / phases['parse']:,.0f} records/s), records table {phases['table']:.1f} s "
        f"(`records.make_table`); total {total:.1f} s. Peak RSS after decode {phases['peak_decode_mb']:.0f} MB, "
        f"after parse {phases['peak_parse_mb']:.0f} MB, after the table {phases['peak_table_mb']:.0f} MB.",
    ]
    if theirs:
        ratio = rate(ours) / rate(theirs)
        cpu_ratio = rate(ours, "cpu_seconds") / rate(theirs, "cpu_seconds")
        parse_ratio = (phases["records"] / phases["parse"]) / rate(theirs, "cpu_seconds")
        mem_ratio = ours["peak_rss_mb"] / theirs["peak_rss_mb"]
        lines += [
            "",
            f"**Throughput ours/rispy: {cpu_ratio:.2f}x by CPU time, {ratio:.2f}x by wall time** "
            f"(target >= 1.0: {'met' if min(ratio, cpu_ratio) >= 1 else 'NOT met'}). The RIS reader alone (parse to "
            f"canonical fields, what rispy does minus the normalisation) runs at {parse_ratio:.2f}x rispy's CPU "
            f"throughput. Peak memory ours/rispy {mem_ratio:.2f}x; our peak {ours['peak_rss_mb']:.0f} MB "
            f"(target < 1024 MB: {'met' if ours['peak_rss_mb'] < 1024 else 'NOT met'}).",
        ]
        if min(ratio, cpu_ratio) < 1 or ours["peak_rss_mb"] >= 1024:
            core = phases["decode"] + phases["table"]
            lines += [
                "",
                f"Why the targets are not met: decoding and building the records table (both outside the "
                f"reader) take {core:.1f} CPU s, {core / theirs['cpu_seconds']:.1f}x rispy's whole run, before any "
                f"parsing. Ingest holds the whole file in memory: its bytes, one normalised copy, and the decoded "
                f"string (any character above U+00FF, such as the U+2010 hyphens in these exports, makes the "
                f"whole string 2 bytes per character): {phases['peak_decode_mb']:.0f} MB peak before the reader "
                f"runs; meeting 1 GB needs a streaming, chunk-at-a-time ingest. The reader itself is "
                f"{parse_ratio:.2f}x rispy, while also normalising authors, DOIs, ISSNs, pages, years and "
                "PMIDs per dialect (rispy returns raw tag values).",
            ]
        if theirs["records"] != ours["records"]:
            lines.append(f"\nrispy returned {theirs['records']:,} entries vs {ours['records']:,} records by the file's own "
                         "TY markers.")
    else:
        lines.append("\nrispy could not be installed (`benchmarks/peers.sh rispy` failed); no peer figures.")
    lines += ["", "Commands: `.venv/bin/python benchmarks/bench_ingest.py` (builds the input in `benchmarks/.cache/`, "
              "gitignored; needs `../shared/data`; about 3 minutes)."]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(OUT.read_text(), file=sys.stderr)


if __name__ == "__main__":
    main()
