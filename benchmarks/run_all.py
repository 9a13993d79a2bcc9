"""Run every benchmark in one go and assemble benchmarks/RESULTS.md.

Usage: ``.venv/bin/python benchmarks/run_all.py [ingest dedup rules rank ...]``
(``make bench`` runs them all). Each ``bench_<topic>.py`` measures our tool side by side with
its peer (installed by ``benchmarks/peers.sh`` in its own virtual environment, never as a
project dependency) and writes ``benchmarks/results/<topic>.md``. This script then joins the
sections, in a fixed order, into ``RESULTS.md``. A topic whose script fails keeps its last
section and is flagged, so a broken benchmark can never masquerade as a fresh result.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOPICS = ("ingest", "dedup", "rules", "rank", "screening", "prisma", "search")


def run(topic: str) -> bool:
    script = HERE / f"bench_{topic}.py"
    if not script.exists():
        print(f"[{topic}] no benchmark script", file=sys.stderr)
        return False
    print(f"[{topic}] running {script.name} …", file=sys.stderr)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
    print(f"[{topic}] exit {proc.returncode} after {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return proc.returncode == 0


def assemble(failed: set[str]) -> str:
    parts = [
        "# Benchmark results\n",
        "Measured on this project's standard machine (2 cores, 24 GB RAM, no GPU). Each section is "
        "written by `benchmarks/bench_<topic>.py` in one run, with our tool and its peer side by side; "
        "`make bench` (or `.venv/bin/python benchmarks/run_all.py`) re-runs them all. Peers are "
        "installed in `benchmarks/.venv-peers/` by `benchmarks/peers.sh`, never as project dependencies.\n",
        f"Python {platform.python_version()} on {platform.machine()}.\n",
    ]
    for topic in TOPICS:
        section = HERE / "results" / f"{topic}.md"
        if section.exists():
            text = section.read_text(encoding="utf-8").rstrip() + "\n"
            if topic in failed:
                text = f"> **Stale:** the last run of `bench_{topic}.py` failed; figures below are from an earlier run.\n\n" + text
            parts.append(text)
        else:
            parts.append(f"## {topic}\n\nNot measured yet.\n")
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    if {"-h", "--help"} & set(argv):
        print(__doc__.strip() + f"\n\nTopics: {', '.join(TOPICS)}; --assemble-only joins the last sections.")
        return 0
    unknown = [t for t in argv if t not in TOPICS]
    if unknown:
        print(f"unknown topic(s) {', '.join(unknown)}; topics: {', '.join(TOPICS)}", file=sys.stderr)
        return 2
    topics = argv or list(TOPICS)
    failed = {t for t in topics if not run(t)}
    (HERE / "RESULTS.md").write_text(assemble(failed), encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS.md'}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    if "--assemble-only" in sys.argv:
        (HERE / "RESULTS.md").write_text(assemble(set()), encoding="utf-8")
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
