"""Tests of dslib.stats: the one nearest-rank percentile of the library, and is_number."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.stats import is_number, percentile


def by_definition(values: list[int], q: Fraction) -> int:
    """The smallest value with at least q percent of the values at or below it."""
    n = len(values)
    return min(v for v in values if 100 * sum(1 for x in values if x <= v) >= q * n)


@given(
    st.lists(st.integers(-50, 50), min_size=1, max_size=40),
    st.integers(0, 1000).map(lambda tenths: Fraction(tenths, 10)),
)
def test_percentile_is_the_smallest_value_with_q_percent_at_or_below_it(
    values: list[int], q: Fraction
) -> None:
    # q as the reader writes it (64.4), so the float's binary error must not move the rank
    got = percentile(values, float(q) if q.denominator != 1 else int(q))
    assert got == by_definition(values, q)


def test_the_four_old_helpers_disagreed_where_the_float_product_is_not_exact() -> None:
    # 64.4 * 250 / 100 is 161.00000000000003 in floating point; exactly it is 161.
    assert 64.4 * 250 / 100 > 161
    assert percentile(range(1, 251), 64.4) == 161
    assert percentile(list(range(1, 1001)), 99.9) == 999
    assert percentile(list(range(1, 101)), 99) == 99


def test_the_ends_and_censored_values() -> None:
    assert percentile([3.0, 1.0, 2.0], 0) == 1.0 and percentile([5], 100) == 5
    assert percentile([1.0, 2.0, math.inf], 90) == math.inf
    values = [5, 1, 3]
    assert percentile(values, 50) == 3 and values == [5, 1, 3]  # the input is not sorted


@pytest.mark.parametrize("q", [-1, 100.5, math.nan, math.inf, True, "50", None])
def test_a_q_outside_0_to_100_is_refused(q: object) -> None:
    with pytest.raises(ValueError, match="must be a number from 0 to 100"):
        percentile([1, 2, 3], q)  # type: ignore[arg-type]


def test_no_values_is_refused() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_is_number_refuses_bool_and_text() -> None:
    assert [is_number(v) for v in (0, -2.5, math.nan, False, "1", None, 1j)] == [
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
