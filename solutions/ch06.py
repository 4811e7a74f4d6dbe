"""Reference solutions of chapter 6's exercises (try first!)."""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence

__all__ = ["least_connections", "populate", "power_of_two", "smooth_weighted_round_robin"]


def least_connections(
    backends: Sequence[str], outstanding: Mapping[str, int], healthy: Collection[str]
) -> str | None:
    """The healthy backend with the fewest outstanding requests; ties to the first in order."""
    best: str | None = None
    for backend in backends:
        if backend not in healthy:
            continue
        if best is None or outstanding.get(backend, 0) < outstanding.get(best, 0):
            best = backend
    return best


def power_of_two(
    backends: Sequence[str], outstanding: Mapping[str, int], rng: random.Random
) -> str:
    """The less loaded of two distinct backends drawn at random; ties to the first drawn."""
    drawn = rng.sample(list(backends), min(2, len(backends)))
    best = drawn[0]
    for backend in drawn[1:]:
        if outstanding.get(backend, 0) < outstanding.get(best, 0):
            best = backend
    return best


def smooth_weighted_round_robin(weights: Sequence[tuple[str, int]], picks: int) -> list[str]:
    """nginx's smooth weighted round robin: the first ``picks`` winners."""
    total = sum(weight for _, weight in weights)
    current = {name: 0 for name, _ in weights}
    out = []
    for _ in range(picks):
        for name, weight in weights:
            current[name] += weight
        best = weights[0][0]
        for name, _ in weights:
            if current[name] > current[best]:
                best = name
        current[best] -= total
        out.append(best)
    return out


def populate(preferences: list[list[int]]) -> list[int]:
    """Turns of one empty entry each, until the table is full."""
    m = len(preferences[0])
    nexts = [0] * len(preferences)
    table: list[int] = [-1] * m
    filled = 0
    while True:
        for i, pref in enumerate(preferences):
            while table[pref[nexts[i]]] >= 0:
                nexts[i] += 1
            table[pref[nexts[i]]] = i
            nexts[i] += 1
            filled += 1
            if filled == m:
                return table
