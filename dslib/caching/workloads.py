"""Request traces for caches: Zipf popularity (the independent reference model) and scans.

Web objects, database rows and video titles are requested with a popularity that falls
as a power of their rank: the ``i``-th most popular of ``n`` items is requested with
probability proportional to ``1 / i**s``, a Zipf law with exponent ``s`` (measured
between about 0.6 and 1 for Web proxies [1]_). The *independent reference model* draws
every request independently from that law: no bursts, no correlation in time. It is the
model under which Che's approximation holds (``dslib.caching.theory``).

A *scan* is a run of requests for items requested once and never again: a backup, a
report reading a whole table, a crawler. It fills an LRU cache with keys that will not
be used, pushing out the popular ones; scan-resistant policies (ARC) keep them.

Keys are ints: ``0 .. catalogue - 1`` for the Zipf items (0 the most popular), and
``catalogue, catalogue + 1, ...`` for the scans' items, each used once.

Examples
--------
>>> trace = zipf_trace(100, 1.0, 10, seed=1)
>>> trace.tolist()
[7, 77, 0, 76, 2, 4, 40, 4, 9, 0]
>>> zipf_trace(100, 1.0, 10, seed=1, scan_share=0.3, scan_length=3).tolist()
[7, 77, 100, 101, 102, 0, 76, 2, 4, 40]

References
----------
.. [1] L. Breslau, P. Cao, L. Fan, G. Phillips and S. Shenker, "Web Caching and Zipf-like
   Distributions: Evidence and Implications", IEEE INFOCOM 1999, section III (the
   exponents measured in six proxy traces) and section IV (the independent reference
   model).
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

__all__ = ["check_exponent", "describe_trace", "zipf_popularity", "zipf_trace"]


def _check_positive_int(value: object, what: str, who: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{who}: {what} must be an int; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{who}: {what}={value} must be at least {minimum}")
    return int(value)


def check_exponent(exponent: object, who: str = "zipf") -> float:
    """Validate a Zipf exponent: a finite real number, 0 or more.

    Raises
    ------
    TypeError
        If it is not a real number (a string, ``None``, a bool, a complex).
    ValueError
        If it is negative, infinite or NaN.

    Examples
    --------
    >>> check_exponent(0.8)
    0.8
    >>> check_exponent("0.8")
    Traceback (most recent call last):
    ...
    TypeError: zipf: the Zipf exponent must be a real number such as 0.8; got str '0.8'
    """
    if isinstance(exponent, bool) or not isinstance(exponent, Real):
        raise TypeError(
            f"{who}: the Zipf exponent must be a real number such as 0.8; "
            f"got {type(exponent).__name__} {exponent!r}"
        )
    value = float(exponent)
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{who}: the Zipf exponent must be finite and at least 0 (0: all items equally "
            f"popular; Web traces measure 0.6 to 1.0); got {exponent!r}"
        )
    return value


def zipf_popularity(catalogue: int, exponent: float) -> np.ndarray:
    """The request probability of each item: ``p[i]`` proportional to ``1 / (i + 1)**exponent``.

    Parameters
    ----------
    catalogue : int
        The number of items, at least 1.
    exponent : float
        The Zipf exponent ``s``, at least 0.

    Returns
    -------
    numpy.ndarray
        ``catalogue`` probabilities, decreasing, summing to 1.

    Examples
    --------
    >>> zipf_popularity(3, 1.0).round(4).tolist()
    [0.5455, 0.2727, 0.1818]
    """
    n = _check_positive_int(catalogue, "catalogue", "zipf_popularity")
    s = check_exponent(exponent, "zipf_popularity")
    weights = np.arange(1, n + 1, dtype=float) ** -s
    return np.asarray(weights / weights.sum())


def zipf_trace(
    catalogue: int,
    exponent: float,
    length: int,
    seed: int = 0,
    scan_share: float = 0.0,
    scan_length: int | None = None,
) -> np.ndarray:
    """A trace of ``length`` requests: Zipf (independent reference model), scans mixed in.

    Parameters
    ----------
    catalogue : int
        The number of Zipf items (keys ``0 .. catalogue - 1``, 0 the most popular).
    exponent : float
        The Zipf exponent, at least 0.
    length : int
        The number of requests, at least 0.
    seed : int, default 0
        Seeds ``numpy.random.default_rng``: same arguments, same trace.
    scan_share : float, default 0
        The fraction of requests that belong to scans, in ``[0, 1)``.
    scan_length : int, optional
        The requests in one scan (default: a tenth of the catalogue, at least 1). The scans
        start at random points of the Zipf requests; each requests ``scan_length`` new keys
        in a row (``catalogue, catalogue + 1, ...``), none of them ever again.

    Returns
    -------
    numpy.ndarray
        ``length`` int64 keys.

    Raises
    ------
    TypeError, ValueError
        For a catalogue, length or scan length that is not a positive int (length may be 0),
        an exponent that is not a real number at least 0, a scan share outside ``[0, 1)``.

    Examples
    --------
    >>> t = zipf_trace(1000, 0.8, 100_000, seed=0, scan_share=0.2, scan_length=50)
    >>> len(t), int((t >= 1000).sum()), int((t == 0).sum())
    (100000, 20000, 5154)
    """
    who = "zipf_trace"
    n = _check_positive_int(catalogue, "catalogue", who)
    s = check_exponent(exponent, who)
    total = _check_positive_int(length, "length", who, minimum=0)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{who}: seed must be an int; got {seed!r}")
    if isinstance(scan_share, bool) or not isinstance(scan_share, Real):
        raise TypeError(f"{who}: scan_share must be a number in [0, 1); got {scan_share!r}")
    if not 0 <= float(scan_share) < 1:
        raise ValueError(
            f"{who}: scan_share={scan_share} must be in [0, 1) (the fraction of requests "
            "that are scans)"
        )
    run = (
        max(1, n // 10)
        if scan_length is None
        else _check_positive_int(scan_length, "scan_length", who)
    )
    rng = np.random.default_rng(int(seed))
    scanned = round(float(scan_share) * total)
    cdf = np.cumsum(zipf_popularity(n, s))
    cdf[-1] = 1.0
    zipf = np.searchsorted(cdf, rng.random(total - scanned), side="right").astype(np.int64)
    if scanned == 0:
        return zipf
    scans = math.ceil(scanned / run)
    lengths = np.full(scans, run, dtype=np.int64)
    lengths[-1] = scanned - run * (scans - 1)
    starts = np.sort(rng.integers(0, len(zipf) + 1, size=scans))
    keys = np.arange(n, n + scanned, dtype=np.int64)
    return np.insert(zipf, np.repeat(starts, lengths), keys)


def describe_trace(trace: Any, catalogue: int) -> dict[str, float]:
    """Counts of a trace: requests, distinct keys, scan requests, share of the top 1 % of items.

    Examples
    --------
    >>> describe_trace(zipf_trace(1000, 1.0, 10_000, seed=0), 1000)
    {'requests': 10000, 'distinct keys': 897, 'scan requests': 0, 'top 1% share': 0.3912}
    """
    keys = np.asarray(trace)
    top = max(1, catalogue // 100)
    return {
        "requests": len(keys),
        "distinct keys": len(np.unique(keys)),
        "scan requests": int((keys >= catalogue).sum()),
        "top 1% share": round(float((keys < top).mean()) if len(keys) else 0.0, 4),
    }
