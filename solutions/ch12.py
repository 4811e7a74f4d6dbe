"""Reference solutions of chapter 12's exercises (try first!)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

__all__ = ["abd_read", "conflicts", "first_stale_read", "follower_state", "merge", "siblings"]

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


def first_stale_read(log: list[tuple[str, Any]], reads: list[tuple[str, Any]]) -> int | None:
    """The first read no growing prefix of log explains: carry the needed prefix forward."""
    need = 0
    for i, (key, value) in enumerate(reads):
        positions = [p + 1 for p, (k, _) in enumerate(log) if k == key]
        lo, hi = 0, (positions[0] if positions else len(log) + 1)
        if value is not None:
            j = [log[p - 1][1] for p in positions].index(value)
            lo = positions[j]
            hi = positions[j + 1] if j + 1 < len(positions) else len(log) + 1
        if need >= hi:
            return i
        need = max(need, lo)
    return None


def follower_state(
    snapshot: list[Any], snapshot_lsn: int, log: list[Any], copy_ends_lsn: int
) -> list[Any]:
    """Install the snapshot, then apply the log from the snapshot's own LSN (not the copy's end)."""
    return list(snapshot) + list(log[snapshot_lsn:])


def conflicts(writes: list[tuple[str, float, float]]) -> int:
    """Pairs at different leaders where neither write reached the other's leader in time."""
    count = 0
    for i, (leader_i, taken_i, arrives_i) in enumerate(writes):
        for leader_j, taken_j, arrives_j in writes[i + 1 :]:
            if leader_i != leader_j and arrives_i > taken_j and arrives_j > taken_i:
                count += 1
    return count
