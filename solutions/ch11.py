"""Reference solutions of chapter 11's exercises (try first!)."""

from __future__ import annotations

import itertools
from typing import Any

__all__ = ["linearize", "monotonic_reads", "read_your_writes"]


def linearize(ops: list[tuple[Any, ...]]) -> list[int] | None:
    """A linearization of a register history (the register starts at None), or None."""
    for order in itertools.permutations(range(len(ops))):
        at = {i: k for k, i in enumerate(order)}
        if any(i != j and ops[i][5] <= ops[j][4] and at[j] < at[i] for i in at for j in at):
            continue  # breaks real time
        value, ok = None, True
        for i in order:
            _, f, written, result, _, _ = ops[i]
            if f == "write":
                value = written
            elif result != value:
                ok = False
                break
        if ok:
            return list(order)
    return None


def _ranks(version_order: list[Any]) -> dict[Any, int]:
    rank = {value: k for k, value in enumerate(version_order)}
    rank[None] = -1
    return rank


def monotonic_reads(reads: list[Any], version_order: list[Any]) -> int | None:
    """The index of the first read older than an earlier read of the session, or None."""
    rank = _ranks(version_order)
    newest = -1
    for i, value in enumerate(reads):
        if value not in rank:
            raise ValueError(f"{value!r} was never written")
        if rank[value] < newest:
            return i
        newest = max(newest, rank[value])
    return None


def read_your_writes(session: list[tuple[str, Any]], version_order: list[Any]) -> int | None:
    """The index of the first read older than the session's latest write before it, or None."""
    rank = _ranks(version_order)
    own = -1
    for i, (f, value) in enumerate(session):
        if value not in rank:
            raise ValueError(f"{value!r} was never written")
        if f == "write":
            own = rank[value]
        elif rank[value] < own:
            return i
    return None
