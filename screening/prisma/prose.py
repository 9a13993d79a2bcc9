"""Wording shared by the report's sentences (the methods paragraph and its ordering and
stopping sentences): counted nouns, 'was'/'were', and lists and clauses joined as prose.
"""

from __future__ import annotations

from screening.prisma.number_format import fmt


def counted(n: int, noun: str, plural: str = "") -> str:
    """'1 record', '2 records', '1,024 records': a paragraph that is cited reads as prose."""
    return f"{fmt(n)} {noun if n == 1 else (plural or noun + 's')}"


def was_were(n: int) -> str:
    return "was" if n == 1 else "were"


def settled_split(decided: int, unsettled: int) -> str:
    """'5 settled, 3 not yet settled': records carrying screening decisions, of which only the
    settled ones are screened (a report's 'screened' is settled, as in `status`)."""
    settled = decided - unsettled
    if not settled:
        return "not yet settled" if decided == 1 else "none of them settled yet"
    return f"{fmt(settled)} settled, {fmt(unsettled)} not yet settled"


def join_and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def join_clauses(parts: list[str]) -> str:
    """Clauses of one sentence: 'A, and B'; 'A; B' when a clause carries commas of its own;
    'A; B; and C' for three or more (semicolons keep clauses with commas apart)."""
    if len(parts) <= 1:
        return "".join(parts)
    if len(parts) == 2:
        # (a comma of its own, not the one in '1,024')
        return "; ".join(parts) if any(", " in p for p in parts) else ", and ".join(parts)
    return "; ".join(parts[:-1]) + "; and " + parts[-1]
