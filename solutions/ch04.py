"""Reference solutions of chapter 4's exercises (try first!)."""

from __future__ import annotations

import math
import statistics

__all__ = ["phi"]


def phi(elapsed: float, intervals: list[float], min_std: float) -> float:
    """phi = -log10(P_later), P_later from a normal fit of the inter-arrival times."""
    if not intervals:
        raise ValueError("phi needs at least one inter-arrival time")
    mean = statistics.fmean(intervals)
    std = max(statistics.pstdev(intervals), min_std)
    p_later = 0.5 * math.erfc((elapsed - mean) / (std * math.sqrt(2.0)))
    return math.inf if p_later == 0.0 else -math.log10(p_later)
