"""Hit ratio against cache size: every policy measured, LRU's theory and MIN's bound beside it.

LRU has the *inclusion property* (Mattson et al. [1]_): a cache of ``C`` keys always holds
what a cache of ``C - 1`` holds. The keys ordered by last use form one *stack*, and a
request hits every LRU cache bigger than its *stack distance* (the number of distinct
other keys requested since its previous request). One pass over the trace gives the hit
ratio of every size at once: ``stack_distances`` counts distinct keys with a Fenwick
tree, O(log n) per request. The other policies are simulated once per size.

Examples
--------
>>> stack_distances([1, 2, 1, 3, 2, 1]).tolist()
[-1, -1, 1, -1, 2, 2]
>>> lru_hit_ratios([1, 2, 1, 3, 2, 1], [1, 2, 3]).tolist()
[0.0, 0.16666666666666666, 0.5]

References
----------
.. [1] R. L. Mattson, J. Gecsei, D. R. Slutz and I. L. Traiger, "Evaluation Techniques for
   Storage Hierarchies", IBM Systems Journal 9(2), 1970, section "Stack algorithms" (the
   inclusion property and one-pass evaluation of all sizes).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dslib.caching.policies import POLICIES, make_policy
from dslib.caching.theory import che_curve, min_hits
from dslib.caching.workloads import zipf_popularity, zipf_trace

__all__ = [
    "CURVE_POLICIES",
    "HitRatioCurves",
    "hit_ratio",
    "hit_ratio_curves",
    "lru_hit_ratios",
    "stack_distances",
]

CURVE_POLICIES: tuple[str, ...] = ("lru", "lfu", "fifo", "clock", "random", "arc")


def _keys(trace: Sequence[Hashable] | np.ndarray) -> list[Hashable]:
    return trace.tolist() if isinstance(trace, np.ndarray) else list(trace)


def stack_distances(trace: Sequence[Hashable] | np.ndarray) -> np.ndarray:
    """For each request, the distinct other keys requested since its key's last request.

    ``-1`` for a first request (a miss in every cache). A request hits an LRU cache of
    ``C`` keys exactly when its distance is below ``C``.

    Examples
    --------
    >>> stack_distances("abcba").tolist()
    [-1, -1, -1, 1, 2]
    """
    keys = _keys(trace)
    n = len(keys)
    tree = [0] * (n + 1)  # Fenwick tree over positions: 1 where a key was last requested
    last: dict[Hashable, int] = {}
    out = np.full(n, -1, dtype=np.int64)
    live = 0  # number of positions set (= distinct keys so far)
    for i, key in enumerate(keys):
        p = last.get(key)
        if p is not None:
            # distinct keys last requested after p = live - (positions set in [0, p])
            s, j = 0, p + 1
            while j > 0:
                s += tree[j]
                j -= j & -j
            out[i] = live - s
            j = p + 1
            while j <= n:
                tree[j] -= 1
                j += j & -j
            live -= 1
        j = i + 1
        while j <= n:
            tree[j] += 1
            j += j & -j
        live += 1
        last[key] = i
    return out


def lru_hit_ratios(
    trace: Sequence[Hashable] | np.ndarray, sizes: Sequence[int], warmup: int = 0
) -> np.ndarray:
    """The hit ratio of LRU at each cache size, in one pass (requests after ``warmup``).

    Examples
    --------
    >>> lru_hit_ratios("abab", [1, 2]).tolist()
    [0.0, 0.5]
    """
    sizes = _check_sizes(sizes, "lru_hit_ratios")
    d = stack_distances(trace)[warmup:]
    total = len(d)
    if total == 0:
        raise ValueError("lru_hit_ratios: no requests after the warm-up")
    counts = np.bincount(d[d >= 0], minlength=max(sizes) + 1)
    cumulative = np.cumsum(counts)
    return np.array([cumulative[c - 1] / total for c in sizes], dtype=float)


def hit_ratio(
    policy: str, trace: Sequence[Hashable] | np.ndarray, size: int, warmup: int = 0, **options: Any
) -> float:
    """The hit ratio of one policy (``"min"``: Belady's MIN) on a trace, after ``warmup``.

    Examples
    --------
    >>> hit_ratio("fifo", "abcabc", 2), hit_ratio("min", "abcabc", 2)
    (0.0, 0.3333333333333333)
    """
    keys = _keys(trace)
    if not 0 <= warmup < len(keys):
        raise ValueError(f"hit_ratio: warmup={warmup} must be in [0, {len(keys)})")
    if policy == "min":
        return _min_after(keys, size, warmup)
    cache = make_policy(policy, size, **options)
    access = cache.access
    for key in keys[:warmup]:
        access(key)
    hits = 0
    for key in keys[warmup:]:
        if access(key):
            hits += 1
    return hits / (len(keys) - warmup)


def _check_sizes(sizes: Sequence[int], who: str) -> list[int]:
    out = []
    for c in sizes:
        if isinstance(c, bool) or not isinstance(c, int | np.integer) or c <= 0:
            raise ValueError(f"{who}: cache sizes must be positive ints; got {c!r}")
        out.append(int(c))
    if not out:
        raise ValueError(f"{who}: give at least one cache size")
    return out


@dataclass(frozen=True, eq=False)
class HitRatioCurves:
    """Hit ratio against cache size for several policies on one trace, with the theory.

    Built by ``hit_ratio_curves``. ``table`` (a pandas DataFrame) has one row per cache
    size and one column per policy, plus ``che`` (Che's approximation of LRU for the Zipf
    law; it does not model scans) and ``min`` (Belady's MIN on the same requests).
    """

    table: Any
    catalogue: int
    exponent: float
    scan_share: float
    length: int

    def __repr__(self) -> str:
        return (
            f"HitRatioCurves(catalogue={self.catalogue}, exponent={self.exponent}, "
            f"scan_share={self.scan_share}, length={self.length}, "
            f"sizes={self.table.index.tolist()})"
        )

    def to_frame(self) -> Any:
        """The table, hit ratios rounded to 4 places (a pandas DataFrame)."""
        return self.table.round(4)


def hit_ratio_curves(
    catalogue: int = 10_000,
    exponent: float = 0.8,
    sizes: Sequence[int] = (10, 30, 100, 300, 1000),
    length: int = 100_000,
    seed: int = 0,
    scan_share: float = 0.0,
    scan_length: int | None = None,
    policies: Sequence[str] = CURVE_POLICIES,
    theory: bool = True,
    warmup: int | None = None,
) -> HitRatioCurves:
    """Measure each policy's hit ratio at each cache size on one Zipf trace; Che and MIN too.

    Parameters
    ----------
    catalogue, exponent, length, seed, scan_share, scan_length
        The trace (``dslib.caching.workloads.zipf_trace``).
    sizes : sequence of int
        Cache sizes (keys).
    policies : sequence of str
        Names from ``dslib.caching.policies.POLICIES``.
    theory : bool, default True
        Add the columns ``che`` and ``min``.
    warmup : int, optional
        Requests that warm the caches before counting (default: a fifth of the trace).
        MIN is measured on the same requests, starting from the best possible content
        (``min_hits(..., warm_start=True)``), so that it bounds every policy whatever
        state the warm-up left it in.

    Returns
    -------
    HitRatioCurves

    Examples
    --------
    >>> curves = hit_ratio_curves(1000, 1.0, sizes=[10, 100], length=20_000)
    >>> print(curves.to_frame().reset_index().to_string(index=False))
     size    lru    lfu   fifo  clock  random    arc    che    min
       10 0.2041 0.3011 0.1768 0.2182  0.1763 0.3249 0.2095 0.4373
      100 0.5689 0.6305 0.5099 0.5823  0.5134 0.6338 0.5765 0.7537
    """
    import pandas as pd

    sizes = _check_sizes(sizes, "hit_ratio_curves")
    for p in policies:
        if p not in POLICIES:
            raise ValueError(
                f"hit_ratio_curves: unknown policy {p!r}; allowed: {', '.join(sorted(POLICIES))}"
            )
    trace = zipf_trace(catalogue, exponent, length, seed, scan_share, scan_length)
    keys = trace.tolist()
    skip = length // 5 if warmup is None else warmup
    columns: dict[str, list[float]] = {}
    for p in policies:
        if p == "lru":
            columns[p] = lru_hit_ratios(keys, sizes, skip).tolist()
        else:
            columns[p] = [hit_ratio(p, keys, c, skip) for c in sizes]
    if theory:
        columns["che"] = che_curve(zipf_popularity(catalogue, exponent), sizes).tolist()
        columns["min"] = [_min_after(keys, c, skip) for c in sizes]
    table = pd.DataFrame(columns, index=pd.Index(sizes, name="size"))
    return HitRatioCurves(table, catalogue, float(exponent), float(scan_share), length)


def _min_after(keys: list[Hashable], size: int, warmup: int) -> float:
    """MIN's hit ratio over the requests after ``warmup``, from the best warm start."""
    measured = keys[warmup:]
    return min_hits(measured, size, warm_start=warmup > 0) / len(measured)
