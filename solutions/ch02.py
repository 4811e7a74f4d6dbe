"""Reference solutions of chapter 2's exercises (try first!)."""

from __future__ import annotations

__all__ = ["compare"]


def compare(a: dict[str, int], b: dict[str, int]) -> str:
    """How vector clock ``a`` relates to ``b``: before, after, equal or concurrent."""
    nodes = set(a) | set(b)
    a_le_b = all(a.get(n, 0) <= b.get(n, 0) for n in nodes)
    b_le_a = all(b.get(n, 0) <= a.get(n, 0) for n in nodes)
    if a_le_b and b_le_a:
        return "equal"
    if a_le_b:
        return "before"
    if b_le_a:
        return "after"
    return "concurrent"
