"""Reference solutions of chapter 6's exercises (try first!)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

__all__ = ["least_connections"]


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
