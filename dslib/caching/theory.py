"""What theory says about hit ratios: Che's approximation for LRU, Belady's MIN as the bound.

**Che's approximation** [1]_. Under the independent reference model item ``i`` is requested
with probability ``q[i]`` per request. An LRU cache of ``C`` keys evicts an item once
``C`` other distinct items have been requested since its last request. Che et al. replace
that random time by one constant, the cache's *characteristic time* ``T``: an item is in
the cache if and only if it was requested within the last ``T`` requests. Requests for
item ``i`` form (nearly) a Poisson process of rate ``q[i]``, so it is cached with
probability ``1 - exp(-q[i] T)``, and since the cache holds ``C`` items on average,

    sum_i (1 - exp(-q[i] T)) = C,

one equation in one unknown, increasing in ``T``: solved here by bisection. The hit ratio
is then the chance that the requested item is cached,

    h = sum_i q[i] (1 - exp(-q[i] T)).

The argument is approximate (the time to ``C`` distinct other requests is not constant),
and it is accurate because, for many items, that time concentrates around its mean.

**Belady's MIN** [2]_ knows the future: on a miss with a full cache, it gives up the key
whose next request is farthest away (or never comes). No policy, online or offline, gets
more hits on the same trace. Here MIN may also decline to keep the requested key when its
own next request is the farthest (a policy that admits every key cannot do better, one
that refuses keys cannot either), so it bounds admission policies too.
``min_hits_by_search`` tries every choice on a small trace: the oracle MIN is tested against.

Examples
--------
>>> from dslib.caching.workloads import zipf_popularity
>>> q = zipf_popularity(1000, 0.8)
>>> round(che_characteristic_time(q, 100), 1), round(che_hit_ratio(q, 100), 4)
(133.9, 0.3778)
>>> min_hits([1, 2, 3, 1, 2, 4, 1, 2], 2), min_hits_by_search([1, 2, 3, 1, 2, 4, 1, 2], 2)
(4, 4)

References
----------
.. [1] H. Che, Y. Tung and Z. Wang, "Hierarchical Web Caching Systems: Modeling, Design
   and Experimental Results", IEEE Journal on Selected Areas in Communications 20(7), 2002,
   section II (the model of one LRU cache: the characteristic time and the hit
   probability of each document).
.. [2] L. A. Belady, "A Study of Replacement Algorithms for a Virtual-Storage Computer",
   IBM Systems Journal 5(2), 1966, the section on the optimal algorithm (MIN).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Hashable, Sequence
from functools import cache
from typing import Any

import numpy as np

__all__ = [
    "che_characteristic_time",
    "che_curve",
    "che_hit_ratio",
    "min_hits",
    "min_hits_by_search",
    "next_use",
]


def _popularity(popularity: Any, who: str) -> np.ndarray:
    q = np.asarray(popularity, dtype=float)
    if q.ndim != 1 or len(q) == 0:
        raise ValueError(f"{who}: popularity must be a non-empty 1-d sequence of probabilities")
    if not np.all(np.isfinite(q)) or np.any(q < 0) or abs(q.sum() - 1.0) > 1e-6:
        raise ValueError(
            f"{who}: popularity must be probabilities (finite, >= 0, summing to 1); "
            f"they sum to {q.sum():.6g}"
        )
    return q


def _cache_size(cache_size: object, who: str, name: str = "cache_size") -> int:
    if isinstance(cache_size, bool) or not isinstance(cache_size, int | np.integer):
        raise TypeError(f"{who}: {name} must be an int; got {cache_size!r}")
    if cache_size <= 0:
        raise ValueError(f"{who}: {name}={cache_size} must be at least 1")
    return int(cache_size)


def che_characteristic_time(popularity: Any, cache_size: int, tolerance: float = 1e-9) -> float:
    """The characteristic time ``T`` of an LRU cache: ``sum(1 - exp(-q T)) == cache_size``.

    Parameters
    ----------
    popularity : sequence of float
        ``q[i]``, the probability that a request is for item ``i`` (summing to 1).
    cache_size : int
        ``C``, at least 1.
    tolerance : float, default 1e-9
        Relative precision of ``T``.

    Returns
    -------
    float
        ``T``, in requests; ``math.inf`` when the cache holds every item with positive
        popularity (no eviction ever happens).

    Raises
    ------
    ValueError, TypeError
        For popularities that are not probabilities, a cache size below 1.

    Notes
    -----
    The left side grows strictly from 0 towards the number of items with ``q > 0``, so the
    root is unique; bisection on ``[lo, hi]`` (``hi`` doubled until it brackets the root)
    takes O(n log(1/tolerance)) time.

    Examples
    --------
    >>> round(che_characteristic_time([0.5, 0.5], 1), 6)  # 2 (1 - exp(-T / 2)) = 1: T = 2 ln 2
    1.386294
    >>> che_characteristic_time([0.5, 0.5], 2)
    inf
    """
    q = _popularity(popularity, "che_characteristic_time")
    c = _cache_size(cache_size, "che_characteristic_time")
    q = q[q > 0]
    if c >= len(q):
        return math.inf

    def occupancy(t: float) -> float:
        return float(np.sum(-np.expm1(-q * t)))

    lo, hi = 0.0, float(c)
    while occupancy(hi) < c:
        lo, hi = hi, 2 * hi
    while hi - lo > tolerance * hi:
        mid = (lo + hi) / 2
        if occupancy(mid) < c:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def che_hit_ratio(popularity: Any, cache_size: int) -> float:
    """Che's approximation of an LRU cache's hit ratio: ``sum(q (1 - exp(-q T)))``.

    Examples
    --------
    >>> round(che_hit_ratio([0.5, 0.5], 1), 4)  # exact LRU: 0.5
    0.5
    >>> round(che_hit_ratio([0.9, 0.1], 1), 4), 0.9**2 + 0.1**2  # exact: sum q^2
    (0.7594, 0.8200000000000001)
    """
    q = _popularity(popularity, "che_hit_ratio")
    t = che_characteristic_time(q, cache_size)
    if math.isinf(t):
        return 1.0  # every item with a request rate fits: after its first request, all hit
    return float(np.sum(q * -np.expm1(-q * t)))


def che_curve(popularity: Any, cache_sizes: Sequence[int]) -> np.ndarray:
    """``che_hit_ratio`` for each cache size.

    Examples
    --------
    >>> from dslib.caching.workloads import zipf_popularity
    >>> che_curve(zipf_popularity(100, 1.0), [1, 10, 100]).round(3).tolist()
    [0.058, 0.398, 1.0]
    """
    q = _popularity(popularity, "che_curve")
    return np.array([che_hit_ratio(q, c) for c in cache_sizes], dtype=float)


def next_use(trace: Sequence[Hashable]) -> list[int]:
    """For each request, the index of the next request for the same key (``len(trace)``: never).

    Examples
    --------
    >>> next_use("abca")
    [3, 4, 4, 4]
    """
    keys = trace.tolist() if isinstance(trace, np.ndarray) else list(trace)
    n = len(keys)
    out = [n] * n
    seen: dict[Hashable, int] = {}
    for i in range(n - 1, -1, -1):
        out[i] = seen.get(keys[i], n)
        seen[keys[i]] = i
    return out


def min_hits(trace: Sequence[Hashable], capacity: int, warm_start: bool = False) -> int:
    """The hits of Belady's MIN on ``trace`` with a cache of ``capacity`` keys.

    On a miss with a full cache, MIN keeps the ``capacity`` keys (among the cached ones and
    the requested one) whose next requests come soonest, and drops the other.

    Parameters
    ----------
    trace : sequence of hashable
        The requests.
    capacity : int
        At least 1.
    warm_start : bool, default False
        Let the cache start with the best possible content instead of empty: the bound on
        any policy's hits in a part of a trace measured after a warm-up (the policy's
        cache is warm there, in whatever state). By the same argument as MIN's, the best
        start holds the ``capacity`` keys requested soonest, i.e. the first ``capacity``
        distinct keys of the trace: MIN's cold hits plus one hit for each of them.

    Returns
    -------
    int

    Notes
    -----
    O(n log capacity): a heap of the cached keys by next use, with stale entries skipped.

    Examples
    --------
    >>> min_hits("abcabcabc", 2)  # LRU gets 0 hits here
    4
    >>> min_hits("abcabcabc", 2, warm_start=True)  # a and b start cached
    6
    """
    c = _cache_size(capacity, "min_hits", "capacity")
    keys = trace.tolist() if isinstance(trace, np.ndarray) else list(trace)
    nxt = next_use(keys)
    cached: dict[Hashable, tuple[int, int]] = {}  # key -> (its next request, when it was set)
    heap: list[tuple[int, int]] = []  # (-next request, request index that set it)
    hits = 0
    for i, key in enumerate(keys):
        if key in cached:
            hits += 1
        elif len(cached) >= c:
            # evict the cached key used farthest in the future, unless the new key is farther
            while True:
                neg, j = heap[0]
                if cached.get(keys[j]) == (-neg, j):
                    break
                heapq.heappop(heap)
            if -neg <= nxt[i]:
                continue  # the requested key is the one used last: do not keep it
            heapq.heappop(heap)
            del cached[keys[j]]
        cached[key] = (nxt[i], i)
        heapq.heappush(heap, (-nxt[i], i))
        if len(heap) > 4 * c + 16:  # drop stale entries
            heap = [(-n, j) for n, j in cached.values()]
            heapq.heapify(heap)
    if warm_start:
        hits += min(c, len(set(keys)))
    return hits


def min_hits_by_search(trace: Sequence[Hashable], capacity: int, warm_start: bool = False) -> int:
    """The most hits any policy can get on ``trace``: every choice tried (small traces only).

    On each miss the search tries keeping the requested key (evicting any cached key if
    full) and not keeping it, and memoises on (position, cached set); with ``warm_start``
    it also tries every initial content of at most ``capacity`` keys. Exponential: for
    traces of a few dozen requests over a few keys. The oracle ``min_hits`` is tested
    against.

    Examples
    --------
    >>> min_hits_by_search("abcabcabc", 2), min_hits_by_search("abcabcabc", 2, warm_start=True)
    (4, 6)
    """
    c = _cache_size(capacity, "min_hits_by_search", "capacity")
    keys = tuple(trace.tolist() if isinstance(trace, np.ndarray) else trace)

    @cache
    def best(i: int, cached: frozenset[Hashable]) -> int:
        if i == len(keys):
            return 0
        key = keys[i]
        if key in cached:
            return 1 + best(i + 1, cached)
        options = [best(i + 1, cached)]  # do not keep it
        if len(cached) < c:
            options.append(best(i + 1, cached | {key}))
        else:
            options.extend(best(i + 1, (cached - {victim}) | {key}) for victim in cached)
        return max(options)

    if not warm_start:
        return best(0, frozenset())
    distinct = sorted(set(keys), key=keys.index)
    starts = [
        frozenset(s)
        for r in range(min(c, len(distinct)) + 1)
        for s in itertools.combinations(distinct, r)
    ]
    return max(best(0, s) for s in starts)
