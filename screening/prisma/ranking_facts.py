"""What the decision log records about how title/abstract records came before the reviewers,
for the methods paragraph (:mod:`screening.prisma.methods_ordering`): ``ranking_use`` counts
the screeners' standing decisions by what ordered their record (a trained ranking, similarity,
file order, the random sample, an import...), ``session_specs`` the model specs screening
sessions ranked with. Read by :func:`screening.prisma.api._context`.
"""

from __future__ import annotations

import pandas as pd

from screening.decisions.entries import event_payload, standing_decisions


def ranking_use(entries: pd.DataFrame | None) -> dict[str, int]:
    """Title/abstract screener decisions by how their record was put in front of the reviewer:
    from the ranking id each decision records ('ranker-...', 'file-order-...', 'similarity-...';
    ids from before 0.2.0 carry no kind: 'unknown'), a random stopping sample ('sample'), or
    imported from another tool ('imported')."""
    if entries is None or not len(entries) or "ranking_id" not in entries.columns:
        return {}
    d = entries[(entries["stage"] == "title_abstract") & (entries["role"] == "screener")
                & entries["action"].isin(["include", "exclude", "maybe"])]
    # each screener's standing decision per record: one undone or replaced by a later one
    # was not how the record was decided
    standing = {s.event_id for by in standing_decisions(entries, "title_abstract").values() for s in by.values()}
    d = d[d["id"].isin(standing)]
    payloads = d["payload"].fillna("").astype(str) if "payload" in d.columns else pd.Series("", index=d.index)

    def kind(rid: str, text: str) -> str:
        payload = event_payload(text)
        if payload.get("import"):
            return f"imported:{payload['import']}"
        if payload.get("sampled") is True:
            return "sample"
        for prefix, name in (("ranker-", "ranked"), ("file-order-", "file_order"), ("similarity-", "similarity"),
                             ("table-order", "table"), ("static-", "static")):
            if rid.startswith(prefix):
                return name
        return "unknown"

    kinds = [kind(r, p) for r, p in zip(d["ranking_id"].fillna("").astype(str), payloads)]
    return {k: kinds.count(k) for k in sorted(set(kinds))}


def session_specs(entries: pd.DataFrame | None) -> list[str]:
    """The model specs screening sessions recorded with their ranked decisions (payload
    ``model``), in first-use order: what the ranking actually was, whatever rank.json says now."""
    if entries is None or not len(entries) or "payload" not in entries.columns:
        return []
    d = entries[(entries["stage"] == "title_abstract") & (entries["role"] == "screener")]
    specs: list[str] = []
    for text in d["payload"].fillna("").astype(str):
        if '"model"' in text:
            spec = str(event_payload(text).get("model") or "")
            if spec and spec not in specs:
                specs.append(spec)
    return specs
