"""Reference solutions of chapter 12's exercises (try first!)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

__all__ = ["abd_read", "merge", "siblings"]

Tag = tuple[str, int]


def merge(
    a: tuple[frozenset[tuple[Hashable, Tag]], frozenset[Tag]],
    b: tuple[frozenset[tuple[Hashable, Tag]], frozenset[Tag]],
) -> tuple[frozenset[tuple[Hashable, Tag]], frozenset[Tag]]:
    """Merge two OR-set replicas: union both parts, drop the tombstoned entries."""
    entries_a, tombstones_a = a
    entries_b, tombstones_b = b
    tombstones = tombstones_a | tombstones_b
    entries = frozenset(p for p in entries_a | entries_b if p[1] not in tombstones)
    return entries, tombstones


def abd_read(replies: dict[str, tuple[Any, Any]], n: int) -> Any:
    """Wait for a majority; return the newest value, writing it back unless a majority has it."""
    quorum = n // 2 + 1
    if len(replies) < quorum:
        return None
    tag, value = max(replies.values(), key=lambda tv: tv[0])
    holders = sum(1 for t, _ in replies.values() if t == tag)
    return ("return" if holders >= quorum else "write-back", tag, value)


def siblings(versions: list[tuple[Any, dict[str, int]]]) -> list[tuple[Any, dict[str, int]]]:
    """The versions no other version's vector clock dominates, one per clock, in order."""

    def le(a: dict[str, int], b: dict[str, int]) -> bool:
        return all(a.get(n, 0) <= b.get(n, 0) for n in set(a) | set(b))

    kept = []
    for i, (value, clock) in enumerate(versions):
        dominated = any(le(clock, other) and not le(other, clock) for _, other in versions)
        repeated = any(le(clock, c) and le(c, clock) for _, c in versions[:i])
        if not dominated and not repeated:
            kept.append((value, clock))
    return kept
