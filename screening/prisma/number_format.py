"""How the report writes its numbers: counts with thousands separators (``fmt``) and p-values
as a paper states them (``p_text``).

The diagram, the methods paragraph and the report's tables all write the same counts, and must
write them the same way; kept apart from the diagram so text-only modules need not import it.
"""

from __future__ import annotations


def fmt(n: int) -> str:
    return f"{n:,}"


def p_text(p: float, confidence: float | None = None) -> str:
    """A p-value as a paper states it: two significant figures, more when two would round it
    across the test's threshold (1 - confidence): p = 0.0496 under 0.05 must not read 'p = 0.05'
    beside 'recall was at least 95% with 95% confidence' (acceptance testing)."""
    alpha = None if confidence is None else round(1 - float(confidence), 12)    # 1 - 0.95 is 0.05000000000000004
    for digits in (2, 3, 4, 6):
        shown = f"{p:.{digits}g}"
        if alpha is None or (float(shown) < alpha) == (p < alpha):
            return shown
    return repr(float(p))
