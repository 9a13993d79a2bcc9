"""What every command pays at start-up: the CLI's modules bring no scikit-learn or SciPy
(~0.6 s of a 0.9 s `screening version`); only the commands that rank load them."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_cli_does_not_load_the_ranker():
    code = "import sys, screening.cli; print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
