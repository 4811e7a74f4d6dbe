"""Reference solutions of chapter 12's exercises (try first!)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

__all__ = ["abd_read", "merge"]

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
