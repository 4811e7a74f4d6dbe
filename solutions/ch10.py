"""Reference solutions of chapter 10's exercises (try first!)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["desired_replicas", "fence", "first_fit_decreasing"]


def first_fit_decreasing(sizes: Sequence[int], capacity: int) -> list[int]:
    """Largest first (a stable sort), each into the first open node with room."""
    loads: list[int] = []
    node = [0] * len(sizes)
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        for b, load in enumerate(loads):
            if load + sizes[i] <= capacity:
                loads[b] += sizes[i]
                node[i] = b
                break
        else:
            loads.append(sizes[i])
            node[i] = len(loads) - 1
    return node


def desired_replicas(current: int, metric: int, target: int, tolerance: float) -> int:
    """No change within the tolerance; else the ceiling of current * metric / target."""
    if abs(metric - target) <= tolerance * target:
        return current
    return -(-current * metric // target)


def fence(tokens: Sequence[int]) -> list[bool]:
    """Accept a token at least the largest accepted so far."""
    largest = 0
    accepted = []
    for token in tokens:
        ok = token >= largest
        accepted.append(ok)
        if ok:
            largest = token
    return accepted
