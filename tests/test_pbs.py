"""Tests of dslib.replication.pbs and the quorum explorer: the closed form of k-staleness
exactly (against enumeration), the Monte Carlo estimates against it within four standard errors,
the WARS model against the same experiment run by nodes in the simulator, availability, and
z3."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.replication.pbs import (
    availability,
    availability_probability,
    intersection,
    k_staleness,
    k_staleness_monte_carlo,
    simulate_t_visibility,
    standard_error,
    t_visibility,
)
from dslib.sim import constant, uniform


def staleness_by_enumeration(n: int, r: int, w: int, k: int) -> Fraction:
    """Independent of the formula: count read quorums that miss a fixed write quorum."""
    written = set(range(w))
    reads = list(itertools.combinations(range(n), r))
    miss = Fraction(sum(1 for q in reads if written.isdisjoint(q)), len(reads))
    return 1 - miss**k


@pytest.mark.parametrize(
    ("n", "r", "w", "k", "expected"),
    [
        (3, 1, 1, 1, Fraction(1, 3)),
        (3, 1, 1, 2, Fraction(5, 9)),
        (3, 1, 2, 1, Fraction(2, 3)),
        (3, 2, 2, 1, Fraction(1)),
        (5, 1, 1, 1, Fraction(1, 5)),
        (5, 2, 2, 1, Fraction(7, 10)),
        (5, 2, 2, 3, Fraction(973, 1000)),
        (5, 1, 2, 1, Fraction(2, 5)),
        (100, 1, 1, 10, 1 - Fraction(99, 100) ** 10),
    ],
)
def test_k_staleness_closed_form_exact_values(
    n: int, r: int, w: int, k: int, expected: Fraction
) -> None:
    assert k_staleness(n, r, w, k) == expected


@settings(max_examples=80, deadline=None, database=None)
@given(
    st.integers(1, 7).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(1, n), st.integers(1, n), st.integers(1, 4))
    )
)
def test_k_staleness_agrees_with_enumeration(case: tuple[int, int, int, int]) -> None:
    n, r, w, k = case
    got = k_staleness(n, r, w, k)
    assert isinstance(got, Fraction)
    assert got == staleness_by_enumeration(n, r, w, k)
    assert (got == 1) == (r + w > n)


@pytest.mark.parametrize(
    ("n", "r", "w", "k"), [(3, 1, 1, 1), (5, 1, 2, 2), (5, 2, 2, 1), (7, 1, 3, 3)]
)
def test_monte_carlo_within_four_standard_errors(n: int, r: int, w: int, k: int) -> None:
    trials = 20_000
    exact = float(k_staleness(n, r, w, k))
    estimate = k_staleness_monte_carlo(n, r, w, k, trials=trials, seed=7)
    assert abs(estimate - exact) <= 4 * standard_error(exact, trials)


def test_a_wrong_formula_is_rejected_by_the_same_tolerance() -> None:
    # The test above must be able to fail: 1 - (W/N)^k is a plausible wrong formula.
    trials = 20_000
    estimate = k_staleness_monte_carlo(5, 2, 2, 1, trials=trials, seed=7)
    wrong = 1 - (2 / 5)
    assert abs(estimate - wrong) > 4 * standard_error(wrong, trials)


@pytest.mark.parametrize(("n", "r", "w"), [(3, 1, 1), (3, 1, 2), (5, 2, 2)])
@pytest.mark.parametrize("delay", [0.0, 6.0])
def test_the_wars_model_agrees_with_the_simulator(n: int, r: int, w: int, delay: float) -> None:
    model_trials, sim_trials = 20_000, 300
    p = t_visibility(n, r, w, trials=model_trials, seed=1).probability(delay)
    q = simulate_t_visibility(n, r, w, delay, trials=sim_trials, seed=2)
    tolerance = 4 * math.sqrt(p * (1 - p) * (1 / model_trials + 1 / sim_trials)) + 1e-9
    assert abs(p - q) <= tolerance


def test_t_visibility_shape() -> None:
    tv = t_visibility(3, 1, 1, trials=3000, seed=3)
    curve = tv.curve([0, 1, 2, 5, 10, 50, 1e6])
    assert curve == sorted(curve) and curve[-1] == 1.0 and curve[0] < 0.8
    assert tv.probability(tv.t_for(0.95)) >= 0.95
    assert t_visibility(3, 2, 2, trials=500).probability(0.0) == 1.0
    # Slower write legs make stale reads more likely.
    slow = t_visibility(3, 1, 1, {"write": uniform(0, 40)}, trials=3000, seed=3)
    assert slow.probability(0.0) < tv.probability(0.0)


def test_constant_legs_give_exact_latencies() -> None:
    legs = {"write": constant(3.0), "ack": constant(2.0), "read": 1.0, "response": 1.5}
    tv = t_visibility(5, 2, 3, legs, trials=50)
    assert set(tv.write_latencies) == {5.0} and set(tv.read_latencies) == {2.5}
    assert tv.latency("write", 99) == 5.0 and tv.probability(0.0) == 1.0
    with pytest.raises(ValueError, match="which"):
        tv.latency("both", 50)


def test_availability_against_enumeration() -> None:
    p = Fraction(1, 10)
    for n, q in [(3, 2), (5, 3), (5, 1), (4, 4)]:
        brute = Fraction(0)
        for up in itertools.product([True, False], repeat=n):
            if sum(up) >= q:
                brute += math.prod((1 - p) if u else p for u in up)
        assert availability_probability(n, q, p) == brute
    assert availability(5, 3, 3, 2) == {"read": True, "write": True}
    assert availability(5, 2, 4, 2) == {"read": True, "write": False}


@pytest.mark.parametrize(("n", "r", "w"), [(3, 1, 1), (3, 2, 2), (4, 2, 2), (4, 2, 3), (5, 1, 5)])
def test_z3_intersection_matches_r_plus_w(n: int, r: int, w: int) -> None:
    result = intersection(n, r, w)
    assert result.holds == (r + w > n)
    if not result.holds:
        a, b = result.witness
        assert len(a) == r and len(b) == w and not set(a) & set(b)


def test_validation() -> None:
    with pytest.raises(ValueError, match="R=4"):
        k_staleness(3, 4, 1)
    with pytest.raises(ValueError, match="k="):
        k_staleness(3, 1, 1, k=0)
    with pytest.raises(TypeError, match="int"):
        k_staleness(3.0, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown legs"):
        t_visibility(3, 1, 1, {"flight": 1.0})
    with pytest.raises(ValueError, match="f="):
        availability(3, 1, 1, 4)


def test_quorum_explorer_reacts_to_its_controls() -> None:
    from dslib.widgets.quorums import QuorumExplorer, quorum_figure, quorum_scenario

    explorer = QuorumExplorer(n=5, r=1, w=1)
    assert explorer.image.value[:4] == b"\x89PNG"
    first = explorer.image.value
    explorer.controls["w"].value = 5
    assert explorer.scenario is not None and explorer.scenario.intersects
    assert explorer.image.value != first
    assert "intersect" in explorer.text.value
    explorer.controls["n"].value = 3  # R, W and f are clamped to N
    assert explorer.values()["w"] == 3 and explorer.scenario.n == 3
    with pytest.raises(TypeError, match="unknown parameters"):
        QuorumExplorer(colour="red")
    fig = quorum_figure(quorum_scenario(n=3, r=1, w=1, distribution="lognormal"))
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match="f="):
        quorum_scenario(n=3, f=4)
