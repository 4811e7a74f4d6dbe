"""Tests of dslib.orchestration.autoscaling: the HPA rule against a brute-force definition,
the tolerance, the stabilisation window, the oscillation count, bad input, the mutants."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.orchestration.autoscaling import (
    CAUGHT_BY,
    MUTANTS,
    AutoscalerConfig,
    autoscale_run,
    check_oscillation,
    desired_replicas,
    load_pattern,
    mutant_report,
    oscillations,
    stabilised,
)


@given(st.integers(0, 30), st.integers(0, 400), st.integers(1, 200))
def test_the_rule_is_the_fewest_replicas_that_bring_the_metric_to_target(
    current: int, metric: int, target: int
) -> None:
    """Outside the tolerance: the smallest n with n * target >= current * metric (searched
    one by one); inside it: no change."""
    got = desired_replicas(current, metric, target)
    if abs(metric - target) * 10 <= target:  # |metric / target - 1| <= 0.1, in integers
        assert got == current
    else:
        n = 0
        while n * target < current * metric:
            n += 1
        assert got == n


def test_the_tolerance_boundaries() -> None:
    assert desired_replicas(10, 110, 100) == 10  # exactly 10 %: no change
    assert desired_replicas(10, 111, 100) == 12
    assert desired_replicas(10, 90, 100) == 10
    assert desired_replicas(10, 80, 100, tolerance=0.0) == 8


@given(
    st.lists(st.tuples(st.integers(0, 600), st.integers(1, 20)), min_size=1, max_size=10),
    st.integers(1, 20),
    st.integers(0, 400),
)
def test_stabilised_is_the_highest_recent_recommendation_capped_at_current(
    recs: list[tuple[int, int]], current: int, window: int
) -> None:
    recs = sorted(recs)
    now = recs[-1][0]
    got = stabilised([(float(t), n) for t, n in recs], now, current, window)
    latest = recs[-1][1]
    if latest >= current:
        assert got == latest
    else:
        recent = [n for t, n in recs if t >= now - window]
        assert got == min(current, max(recent))
        assert latest <= got <= current


@given(st.lists(st.integers(0, 5), max_size=12))
def test_oscillations_counts_turns_as_a_brute_force_does(series: list[int]) -> None:
    moves = [b - a for a, b in itertools.pairwise(series) if b != a]
    turns = sum(1 for x, y in itertools.pairwise(moves) if (x > 0) != (y > 0))
    assert oscillations(series) == turns


def test_without_the_window_the_replicas_flap_and_with_it_they_settle() -> None:
    load = load_pattern("bursty", 120, seed=0)
    settled = autoscale_run(load)
    flapping = autoscale_run(load, AutoscalerConfig(mutant="no_window"))
    assert settled.oscillations == 0 and settled.changes <= 3
    assert flapping.oscillations > 20 and flapping.changes > 40
    assert flapping.overloaded_share() > settled.overloaded_share()
    # the window costs replicas: it keeps capacity for the bursts
    assert sum(settled.replicas) > sum(flapping.replicas)


def test_a_ramp_is_followed_up_at_once_and_down_slowly() -> None:
    run = autoscale_run(load_pattern("ramp", 120))
    assert run.oscillations <= 1
    peak = run.replicas.index(max(run.replicas))
    assert max(run.replicas) == 14 and run.replicas[-1] < max(run.replicas)
    assert all(u <= 100 for u in run.utilisation[peak:])


def test_the_run_is_repeatable_and_min_max_are_respected() -> None:
    config = AutoscalerConfig(min_replicas=2, max_replicas=6)
    a = autoscale_run(load_pattern("bursty", 40, seed=3), config)
    b = autoscale_run(load_pattern("bursty", 40, seed=3), config)
    assert a == b and min(a.replicas) >= 2 and max(a.replicas) <= 6
    assert list(a.to_frame().columns) == ["time", "load", "replicas", "ready", "utilisation"]


def test_bad_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match=r"target=0 must be > 0"):
        desired_replicas(3, 50, 0)
    with pytest.raises(ValueError, match=r"target=0 must be > 0"):
        AutoscalerConfig(target=0)
    with pytest.raises(ValueError, match="current=-1 is negative"):
        desired_replicas(-1, 50, 60)
    with pytest.raises(ValueError, match="metric=-5 is negative"):
        desired_replicas(1, -5, 60)
    with pytest.raises(ValueError, match="0 <= tolerance < 1"):
        desired_replicas(1, 5, 60, tolerance=1.5)
    with pytest.raises(ValueError, match="min_replicas=5 > max_replicas=2"):
        AutoscalerConfig(min_replicas=5, max_replicas=2)
    with pytest.raises(ValueError, match="negative"):
        autoscale_run([100.0, -1.0])
    with pytest.raises(ValueError, match="allowed: steady, bursty, ramp"):
        load_pattern("spiky")


def test_every_mutant_is_caught_by_its_named_check() -> None:
    report = mutant_report()
    assert report.problems() == []
    assert set(CAUGHT_BY) == set(MUTANTS)
    out = check_oscillation("no_window")
    assert not out.ok and out.counterexample_length is not None
    assert out.counterexample_length > 20
