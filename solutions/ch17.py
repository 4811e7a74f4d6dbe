"""Reference solutions of chapter 17's exercises (try first!)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dedup", "push_rule", "two_homes"]


def dedup(
    last: Sequence[tuple[str, int, Any]], client: str, number: int, result: Any
) -> tuple[Any, tuple[tuple[str, int, Any], ...]]:
    """A retry gets the stored result, an old copy None; a new request replaces the entry."""
    for c, n, stored in last:
        if c == client and number <= n:
            return (stored if number == n else None), tuple(last)
    table = [e for e in last if e[0] != client] + [(client, number, result)]
    return result, tuple(sorted(table, key=lambda e: e[0]))


def push_rule(leader: bool, config_num: int, status: str, push_num: int) -> str:
    """Only the leader acts; a future push waits; a pulling shard of this number installs."""
    if not leader or push_num > config_num:
        return "ignore"
    if push_num == config_num and status == "pulling":
        return "install"
    return "ack"


def two_homes(
    installed: Mapping[int, Sequence[Sequence[str]]],
) -> list[tuple[int, int, tuple[str, ...]]]:
    """For each number and shard, the owners over the versions; two or more is two homes."""
    out = []
    for number in sorted(installed):
        versions = installed[number]
        for shard in range(len(versions[0]) if versions else 0):
            owners = tuple(sorted({version[shard] for version in versions}))
            if len(owners) > 1:
                out.append((number, shard, owners))
    return out
