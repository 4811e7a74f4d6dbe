"""Reference solutions of chapter 13's exercises (try first!)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dslib.sharding import rendezvous_score

__all__ = [
    "hold_back",
    "index_update",
    "jump_hash",
    "percolator_read",
    "rebalance",
    "rendezvous",
    "split_points",
]


def jump_hash(key: int, num_buckets: int) -> int:
    """Jump consistent hash (Lamping and Veach 2014, figure 1)."""
    b, j = -1, 0
    while j < num_buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


def rendezvous(key: str, nodes: Sequence[str], replicas: int) -> list[str]:
    """The ``replicas`` nodes with the highest rendezvous scores for ``key``, best first."""
    if not 1 <= replicas <= len(nodes):
        raise ValueError(f"replicas={replicas} must be in 1..{len(nodes)}")
    ranked = sorted(nodes, key=lambda node: (-rendezvous_score(node, key), node))
    return ranked[:replicas]


def rebalance(assignment: Sequence[str | None], groups: Sequence[str]) -> tuple[str | None, ...]:
    """Balanced, and moving as few shards as possible."""
    if not groups:
        return (None,) * len(assignment)
    names = sorted(groups)
    q, r = divmod(len(assignment), len(names))
    held: dict[str, list[int]] = {g: [] for g in names}
    free = []
    for shard, group in enumerate(assignment):
        if group in held:
            held[group].append(shard)
        else:
            free.append(shard)
    # The groups that hold the most get the larger targets: they keep the most.
    by_load = sorted(names, key=lambda g: (-len(held[g]), g))
    target = {g: q + (1 if rank < r else 0) for rank, g in enumerate(by_load)}
    new = list(assignment)
    for g in names:
        free += held[g][target[g] :]
    free.sort()
    for g in names:
        for _ in range(target[g] - min(target[g], len(held[g]))):
            new[free.pop(0)] = g
    return tuple(new)


def index_update(
    entries: tuple[tuple[str, int, str], ...], doc: str, version: int, term: str
) -> tuple[tuple[str, int, str], ...]:
    """Keep, per document, the entry of the highest version heard of."""
    held = {d: (v, t) for d, v, t in entries}
    if doc in held and held[doc][0] >= version:
        return entries
    held[doc] = (version, term)
    return tuple(sorted((d, v, t) for d, (v, t) in held.items()))


def hold_back(
    waiting: tuple[int, ...], next_seq: int, seq: int
) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """Release the numbers that are now consecutive from next_seq; hold back the rest."""
    held = sorted({*waiting, seq})
    ready = []
    while held and held[0] == next_seq:
        ready.append(held.pop(0))
        next_seq += 1
    return tuple(ready), tuple(held), next_seq


def split_points(keys: list[int], max_keys: int) -> list[int]:
    """Split at the median key, then each half, while a range holds more than max_keys."""
    if len(keys) <= max_keys:
        return []
    middle = len(keys) // 2
    return [
        *split_points(keys[:middle], max_keys),
        keys[middle],
        *split_points(keys[middle:], max_keys),
    ]


def percolator_read(
    row: dict[str, Any], start_ts: int, primary_row: dict[str, Any] | None, expired: bool
) -> tuple[Any, ...]:
    """A pending lock at or below the snapshot first; then the latest commit record."""
    lock = row["lock"]
    if lock is not None and lock[0] <= start_ts:
        if not expired:
            return ("wait",)
        assert primary_row is not None, "a stale lock comes with its primary's row"
        for commit_ts, data_ts in primary_row["write"].items():
            if data_ts == lock[0]:
                return ("roll-forward", commit_ts)
        return ("roll-back",)
    commits = [c for c in row["write"] if c <= start_ts]
    if not commits:
        return ("value", None)
    return ("value", row["data"][row["write"][max(commits)]])
