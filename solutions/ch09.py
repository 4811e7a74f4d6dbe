"""Reference solutions of chapter 9's exercises (try first!)."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Hashable, Sequence

__all__ = ["characteristic_time", "lru_hits", "min_victim"]


def lru_hits(capacity: int, requests: Sequence[Hashable]) -> list[bool]:
    """An OrderedDict from least to most recently used: O(1) per request."""
    cache: OrderedDict[Hashable, None] = OrderedDict()
    out = []
    for key in requests:
        if key in cache:
            cache.move_to_end(key)
            out.append(True)
            continue
        if len(cache) == capacity:
            cache.popitem(last=False)
        cache[key] = None
        out.append(False)
    return out


def characteristic_time(popularity: Sequence[float], cache_size: int) -> float:
    """Bisection on sum(1 - exp(-q T)) = C, whose left side increases with T."""

    def cached(t: float) -> float:
        return sum(-math.expm1(-q * t) for q in popularity)

    lo, hi = 0.0, float(cache_size)
    while cached(hi) < cache_size:
        lo, hi = hi, 2 * hi
    while hi - lo > 1e-12 * hi:
        mid = (lo + hi) / 2
        if cached(mid) < cache_size:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def min_victim(cached: Sequence[Hashable], future: Sequence[Hashable]) -> Hashable:
    """The cached key whose next request is farthest (len(future) if it never comes)."""
    first: dict[Hashable, int] = {}
    for i, key in enumerate(future):
        first.setdefault(key, i)
    return max(cached, key=lambda key: first.get(key, len(future)))
