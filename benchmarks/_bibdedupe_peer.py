"""Run bib-dedupe on one labelled records CSV (executed with the peer venv's python, never imported).

Usage: <peer-python> _bibdedupe_peer.py RECORDS.csv OUT.json
Writes {"pairs_duplicate": [[a, b], ...], "maybe": N, "seconds": t}.
"""

import json
import sys
import time

import pandas as pd
from bib_dedupe.bib_dedupe import block, cluster, match, prep

records = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
if "ENTRYTYPE" not in records.columns:
    records["ENTRYTYPE"] = "article"
if "issue" in records.columns and "number" not in records.columns:
    records = records.rename(columns={"issue": "number"})
t0 = time.perf_counter()
prepped = prep(records, verbosity_level=0, cpu=1)
pairs = block(prepped, verbosity_level=0, cpu=1)
matched = match(pairs, verbosity_level=0, cpu=1)
groups = cluster(matched, verbosity_level=0)
seconds = time.perf_counter() - t0
maybe = int((matched["duplicate_label"] == "maybe").sum()) if len(matched) else 0
json.dump({"groups": [sorted(map(str, g)) for g in groups], "maybe": maybe, "seconds": seconds},
          open(sys.argv[2], "w"))
