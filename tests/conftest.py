"""Suite-wide test settings.

Property tests (hypothesis) run derandomized by default, so a clean checkout's `make test`
(and CI) gives the same result every time; to hunt for new counterexamples, run with
``HYPOTHESIS_PROFILE=explore`` (random examples, more of them). A counterexample found that
way becomes an ``@example`` or a unit test, as the existing ones did.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
