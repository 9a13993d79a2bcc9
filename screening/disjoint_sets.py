"""Disjoint sets (union-find) whose sets are named by their smallest member.

Groups of records are built this way in several places: duplicate groups from pair answers,
the groups a dedup-review queue shows, studies from report links. Each needs the same two
things: path halving, so long chains stay cheap, and a deterministic name per set (its smallest
member under an ordering), so the same links always give the same group names whatever order
they came in. (The dedup matcher's hot loop keeps its own inlined copy: see dedup/cluster.py.)
"""

from __future__ import annotations

from typing import Any, Callable, Generic, Hashable, Iterable, TypeVar

T = TypeVar("T", bound=Hashable)


class DisjointSets(Generic[T]):
    """Union-find over hashable items; ``key`` orders items to pick each set's name (default:
    the items' own order)."""

    def __init__(self, key: Callable[[T], Any] | None = None) -> None:
        self._parent: dict[T, T] = {}
        self._key = key

    def find(self, x: T) -> T:
        """The name of ``x``'s set (``x`` joins as a set of its own if new)."""
        parent = self._parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]      # path halving: chains stay short
            x = parent[x]
        return x

    def union(self, a: T, b: T) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            first, second = sorted((ra, rb), key=self._key)  # type: ignore[type-var, arg-type]
            self._parent[second] = first

    def union_all(self, pairs: Iterable[tuple[T, T]]) -> "DisjointSets[T]":
        for a, b in pairs:
            self.union(a, b)
        return self

    def names(self) -> dict[T, T]:
        """Every item seen -> its set's name."""
        return {x: self.find(x) for x in list(self._parent)}

    def members(self) -> dict[T, list[T]]:
        """Each set's name -> its items, in the order they were first seen."""
        out: dict[T, list[T]] = {}
        for x in list(self._parent):
            out.setdefault(self.find(x), []).append(x)
        return out
