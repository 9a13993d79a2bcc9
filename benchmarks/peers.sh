#!/usr/bin/env bash
# Make (once) a separate virtual environment for one peer tool we benchmark against.
# Peers are never project dependencies. Usage: benchmarks/peers.sh rispy|bib-dedupe|asreview
# Prints the venv's python path on its last line.
set -euo pipefail
peer="${1:?usage: peers.sh rispy|bib-dedupe|asreview}"
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-peers/$peer"
py="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.ok" ]; then
  rm -rf "$venv"
  "$py" -m venv "$venv" >&2
  "$venv/bin/pip" install -q --upgrade pip >&2 2>/dev/null || true
  case "$peer" in
    rispy) "$venv/bin/pip" install -q rispy >&2 ;;
    bib-dedupe) "$venv/bin/pip" install -q bib-dedupe >&2 ;;
    asreview) "$venv/bin/pip" install -q asreview >&2 ;;
    *) echo "unknown peer $peer" >&2; exit 2 ;;
  esac
  touch "$venv/.ok"
fi
echo "$venv/bin/python"
