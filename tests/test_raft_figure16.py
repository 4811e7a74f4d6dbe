"""Tests for dslib.raft.figure16: Raft's Figure 16 as read from the dissertation's SVG files."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.raft.figure16 import (
    CURVES,
    PAPER_DECILES,
    PAPER_MAX,
    PAPER_MIN,
    SCALE_150_300_FIRST_AND_P10,
    TEXT_CHECKS,
    decile_distance,
    paper_median,
    paper_p90,
    x_to_ms,
)
from dslib.raft.timeouts import PAPER_RANGES, range_label


def test_the_axis_mappings_put_the_gridlines_at_their_tick_labels() -> None:
    # Major x gridlines of benchmarks-randomness.svg: 100, 1000, 10^4, 10^5 ms.
    for x, ms in ((54.425781, 100), (127.074219, 1000), (199.71875, 1e4), (272.367188, 1e5)):
        assert x_to_ms("randomness", x) == pytest.approx(ms, rel=2e-4)
    # Gridlines of benchmarks-scale.svg every 25 ms: 0, 100 (88.8086), 575 (311.582), 600.
    for x, ms in ((41.910156, 0), (88.808594, 100), (311.582031, 575), (323.304688, 600)):
        assert x_to_ms("scale", x) == pytest.approx(ms, abs=0.02)


def test_the_mapping_reproduces_the_figures_stated_in_the_text() -> None:
    checks = {(label, stat): (text, read) for label, stat, text, read in TEXT_CHECKS}
    assert checks[("150-155", "median")] == (287.0, 287.3)
    assert checks[("150-200", "max")] == (513.0, 512.4)
    assert checks[("12-24", "max")] == (152.0, 151.7)
    # "consistently took longer than 10 seconds": the shortest of the 100 trials read 9.9 s.
    assert checks[("150-150", "min")][1] == pytest.approx(10_000, rel=0.02)
    for text, read in checks.values():
        assert abs(read - text) / text < 0.02


def test_the_150_300_curve_reads_the_same_on_both_axes() -> None:
    first, p10 = SCALE_150_300_FIRST_AND_P10
    assert x_to_ms("scale", first) == pytest.approx(PAPER_MIN["150-300"], abs=0.05)
    assert x_to_ms("scale", p10) == pytest.approx(PAPER_DECILES["150-300"][0], abs=0.05)


def test_every_range_of_figure_16_has_a_curve_with_increasing_deciles() -> None:
    assert [c.label for c in CURVES] == [range_label(r) for r in PAPER_RANGES]
    for c in CURVES:
        d = PAPER_DECILES[c.label]
        assert len(d) == 9
        assert PAPER_MIN[c.label] <= d[0] and d[-1] <= PAPER_MAX[c.label]
        assert all(a < b for a, b in itertools.pairwise(d)), c.label
        assert c.trials == (100 if c.label == "150-150" else 1000)
        scale = c.label in ("12-24", "25-50", "50-100", "100-200")
        assert c.graph == ("scale" if scale else "randomness")
    assert paper_median("150-155") == PAPER_DECILES["150-155"][4]
    assert paper_p90("12-24") == PAPER_DECILES["12-24"][8]


def _brute_decile(values: list[float], k: int) -> float:
    """The smallest value with at least k/10 of the values at or below it."""
    n = len(values)
    return min(v for v in values if sum(1 for x in values if x <= v) * 10 >= k * n)


@given(
    st.sampled_from(sorted(PAPER_DECILES)),
    st.lists(st.floats(min_value=1.0, max_value=1e5), min_size=1, max_size=30),
)
def test_decile_distance_against_brute_force(label: str, values: list[float]) -> None:
    paper = PAPER_DECILES[label]
    expected = max(abs(_brute_decile(values, k) - p) / p for k, p in enumerate(paper, start=1))
    assert decile_distance(label, values) == round(expected, 4)


def test_decile_distance_is_zero_on_the_papers_own_deciles_and_inf_when_censored() -> None:
    # Ten values per decile: the nearest-rank deciles are the paper's own.
    values = [d for d in PAPER_DECILES["50-100"] for _ in range(10)] + [300.0] * 10
    assert decile_distance("50-100", values) == 0.0
    assert math.isinf(decile_distance("50-100", [math.inf] * 5))


def test_errors() -> None:
    with pytest.raises(ValueError, match="graph='top' must be 'randomness' or 'scale'"):
        x_to_ms("top", 1.0)
    with pytest.raises(KeyError, match="no curve for range '10-20'"):
        paper_median("10-20")
    with pytest.raises(KeyError, match="no curve for range '10-20'"):
        decile_distance("10-20", [1.0])
    with pytest.raises(ValueError, match="are empty"):
        decile_distance("50-100", [])
