"""Reference solutions of chapter 4's exercises (try first!)."""

from __future__ import annotations

import math
import statistics

__all__ = ["decide", "first_probe", "overrides", "phi"]


def phi(elapsed: float, intervals: list[float], min_std: float) -> float:
    """phi = -log10(P_later), P_later from a normal fit of the inter-arrival times."""
    if not intervals:
        raise ValueError("phi needs at least one inter-arrival time")
    mean = statistics.fmean(intervals)
    std = max(statistics.pstdev(intervals), min_std)
    p_later = 0.5 * math.erfc((elapsed - mean) / (std * math.sqrt(2.0)))
    return math.inf if p_later == 0.0 else -math.log10(p_later)


def overrides(view: tuple[str, int], update: tuple[str, int]) -> bool:
    """Whether a SWIM membership update overrides the current view (Das et al. 2002, §4.2)."""
    status, inc = view
    new_status, new_inc = update
    if status == "dead":
        return False
    if new_status == "dead":
        return True
    if new_status == "suspect":
        return (status == "alive" and new_inc >= inc) or (status == "suspect" and new_inc > inc)
    return new_inc > inc


def first_probe(n: int, alive: int) -> float:
    """Expected periods until one of ``alive`` members, each picking one of the other n - 1
    at random every period, picks the crashed member."""
    if not (n >= 2 and 1 <= alive <= n - 1):
        raise ValueError(f"need n >= 2 and 1 <= alive <= n - 1, not n={n}, alive={alive}")
    p = 1.0 - (1.0 - 1.0 / (n - 1)) ** alive
    return 1.0 / p


def decide(from_commander: str, relayed: list[str]) -> str:
    """OM(1): the majority of the commander's value and the relayed ones; retreat on a tie."""
    values = [from_commander, *relayed]
    return "attack" if values.count("attack") > values.count("retreat") else "retreat"
