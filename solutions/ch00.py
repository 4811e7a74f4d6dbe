"""Reference solution of chapter 0's exercise (try first!)."""

from __future__ import annotations

from dslib.sim import Trace

__all__ = ["count_deliveries"]


def count_deliveries(trace: Trace) -> int:
    """How many messages were delivered: the number of ``deliver`` entries."""
    return len(trace.of_kind("deliver"))
