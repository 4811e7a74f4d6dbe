"""Small numeric helpers that several chapters share: one ``percentile``, one ``is_number``.

Latency is reported as percentiles everywhere in the book (load balancing, quorums,
architectures, Raft's election times), so all chapters must compute them the same way:
otherwise the p95 of one page and the p95 of another could disagree on the same numbers.

Examples
--------
>>> percentile(range(1, 251), 64.4)
161
>>> is_number(3.5), is_number(True)
(True, False)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import Any, TypeVar

__all__ = ["is_number", "nearest_rank", "percentile"]

T = TypeVar("T")


def is_number(x: object) -> bool:
    """Whether ``x`` is an ``int`` or a ``float`` (a ``bool`` is not a number here).

    ``True`` is an ``int`` to Python, but a flag passed where a delay or a rate is
    expected is a mistake, so the library's argument checks refuse it.

    Parameters
    ----------
    x : object

    Returns
    -------
    bool

    Examples
    --------
    >>> [is_number(v) for v in (1, 2.5, math.inf, True, "3", None)]
    [True, True, True, False, False, False]
    """
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def percentile(values: Iterable[T], q: float) -> T:
    """The ``q``-th percentile of ``values`` by nearest rank: the smallest value with at
    least ``q`` percent of the values at or below it.

    With the ``n`` values sorted, it is the value of rank ``ceil(q n / 100)`` (counting
    from 1), and the minimum for ``q = 0``. The rank is computed exactly, with ``q`` taken
    as the decimal the reader wrote: ``64.4`` is 644/10, not the nearest binary float, so
    ``percentile(range(1, 251), 64.4)`` is the 161st value, as on paper.

    Parameters
    ----------
    values : iterable of comparable values
        The sample (not changed; it is sorted into a new list). ``math.inf`` (a
        censored measurement: "more than the limit") sorts last and may be the answer.
    q : int or float
        The percentage, from 0 to 100; fractions such as 99.9 are allowed.

    Returns
    -------
    One of ``values``.

    Raises
    ------
    ValueError
        If there are no values, or ``q`` is not a number from 0 to 100.

    Examples
    --------
    >>> percentile([15, 20, 35, 40, 50], 30), percentile([15, 20, 35, 40, 50], 0)
    (20, 15)
    >>> percentile(range(1, 1001), 99.9), percentile([1, 2, math.inf], 90)
    (999, inf)
    >>> percentile([], 50)
    Traceback (most recent call last):
    ...
    ValueError: percentile of no values: give at least one
    >>> percentile([1, 2], 101)
    Traceback (most recent call last):
    ...
    ValueError: percentile: q=101 must be a number from 0 to 100

    Notes
    -----
    Nearest rank (definition 1 of Hyndman and Fan [1]_, the inverse of the empirical
    distribution function) rather than linear interpolation (their definition 7,
    NumPy's default): the answer is always a latency that was measured, which is what
    "99% of requests took at most this long" means; it needs only sorting, so it works
    for censored values (``inf``) where interpolation gives ``inf`` or ``nan``; and it is
    the definition the reader implements in exercise ``ch01.percentile``. ``O(n log n)``
    for the sort.

    References
    ----------
    .. [1] R. J. Hyndman and Y. Fan, "Sample quantiles in statistical packages", The
       American Statistician 50(4), 1996, section 2 (definition 1).
    """
    if not (is_number(q) and 0 <= q <= 100):
        raise ValueError(f"percentile: q={q!r} must be a number from 0 to 100")
    ordered: list[Any] = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values: give at least one")
    result: T = ordered[nearest_rank(len(ordered), q) - 1]
    return result


def nearest_rank(n: int, q: float) -> int:
    """The rank (from 1) of ``percentile``'s answer among ``n`` sorted values: ``ceil(q n / 100)``.

    Exact, with ``q`` taken as the decimal written (see ``percentile``); for
    code that sorts its values itself, e.g. a NumPy array.

    >>> nearest_rank(1_000_000, 99.9), nearest_rank(5, 30), nearest_rank(5, 0)
    (999000, 2, 1)
    """
    if not (is_number(q) and 0 <= q <= 100):
        raise ValueError(f"percentile: q={q!r} must be a number from 0 to 100")
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"nearest_rank: n={n!r} must be an int >= 1")
    exact = Fraction(q) if isinstance(q, int) else Fraction(repr(q))
    return max(1, math.ceil(exact * n / 100))
