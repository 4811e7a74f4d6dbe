"""Tests of dslib.consensus.flexible: Flexible Paxos's quorums, model check and trade-off."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dslib.check import check
from dslib.consensus.flexible import (
    FlexiblePaxosSpec,
    availability,
    phase2_latency,
    quorum_proof,
    spec_check,
    tradeoff,
    unavailability,
)
from dslib.consensus.spec import PaxosSpec, chosen, spec_invariants
from dslib.sim import constant, uniform
from dslib.verify.quorums import check_by_enumeration, flexible_paxos


@pytest.mark.parametrize("n", [3, 4])
def test_safe_exactly_when_the_phases_intersect(n: int) -> None:
    # the paper's claim, checked both ways: z3 on the quorums, the model checker on Paxos
    for q1 in range(1, n + 1):
        for q2 in range(1, n + 1):
            if n == 4 and (q1 + q2 not in (4, 5) or q1 == 1):  # the boundary; quick ones
                continue
            proof = quorum_proof(n, phase1=q1, phase2=q2)
            result = spec_check(n, phase1=q1, phase2=q2)
            assert proof.holds == (q1 + q2 > n) == result.ok, (n, q1, q2, result.summary())
            if not result.ok:
                assert result.property == "agreement"
                assert len(chosen(result.counterexample.final, result.model.quorums)) == 2


@pytest.mark.parametrize(("n", "q1", "q2"), [(3, 2, 1), (4, 2, 2), (5, 3, 2), (6, 3, 3)])
def test_the_counterexample_is_two_disjoint_quorums_and_matches_enumeration(
    n: int, q1: int, q2: int
) -> None:
    proof = quorum_proof(n, phase1=q1, phase2=q2)
    assert not proof.holds
    a, b = proof.witness  # type: ignore[misc]
    assert len(a) == q1 and len(b) == q2 and not set(a) & set(b)
    assert proof.witness == check_by_enumeration(*flexible_paxos(n, q1, q2)).witness


def test_two_phase_2_quorums_need_not_meet() -> None:
    # |Q2| = 1 of 3: phase-2 quorums {a1} and {a2} are disjoint, yet agreement holds
    spec = FlexiblePaxosSpec(3, 2, 1, phase1=3, phase2=1)
    assert frozenset({"a1"}) in spec.phase2_quorums and frozenset({"a2"}) in spec.phase2_quorums
    assert spec_check(3, phase1=3, phase2=1).ok


def test_majority_sizes_give_back_paxos() -> None:
    flexible = check(f := FlexiblePaxosSpec(3, 2, 1, phase1=2, phase2=2), spec_invariants(f))
    classic = check(p := PaxosSpec(3, 2, 1), spec_invariants(p))
    assert flexible.ok and classic.ok
    assert flexible.distinct_states == classic.distinct_states


def test_the_phases_use_their_own_quorums() -> None:
    # a value is chosen by a phase-2 quorum, not by a majority
    spec = FlexiblePaxosSpec(3, 2, 0, phase1=3, phase2=1)
    [s0] = spec.init_states()
    s = s0._replace(msgs=frozenset({("2a", 0, 1), ("2b", "a1", 0, 1)}))
    assert spec.chosen_values(s) == {1}
    # phase 2a needs all three 1b messages (|Q1| = 3)
    two = s0._replace(
        msgs=frozenset({("1a", 0), ("1b", "a1", 0, -1, None), ("1b", "a2", 0, -1, None)})
    )
    assert not any(label.startswith("Phase2a") for label, _ in spec.actions(two))
    three = two._replace(msgs=two.msgs | {("1b", "a3", 0, -1, None)})
    assert any(label.startswith("Phase2a") for label, _ in spec.actions(three))


def test_phase2_latency_is_the_order_statistic() -> None:
    lat = phase2_latency(5, 3, latency=uniform(0.0, 1.0), samples=200, seed=3)
    rng = random.Random(3)
    d = uniform(0.0, 1.0)
    expected = []
    for _ in range(200):
        trips = sorted(d.sample(rng) + d.sample(rng) for _ in range(5))
        expected.append(trips[2])
    assert lat == expected
    assert phase2_latency(4, 2, latency=constant(1.5), samples=3) == [3.0, 3.0, 3.0]


def test_smaller_phase2_quorums_are_faster_on_the_same_draws() -> None:
    medians = []
    for q2 in range(1, 6):
        lats = sorted(phase2_latency(5, q2, samples=500, seed=1))
        medians.append(lats[250])
    assert medians == sorted(medians) and medians[0] < medians[-1]


def test_availability_matches_a_monte_carlo_estimate() -> None:
    rng = random.Random(7)
    trials = 20_000
    for n, size, p in [(5, 3, 0.1), (4, 2, 0.2), (7, 6, 0.05)]:
        hits = sum(sum(rng.random() >= p for _ in range(n)) >= size for _ in range(trials))
        exact = availability(n, size, p)
        assert abs(hits / trials - exact) < 4 * (exact * (1 - exact) / trials) ** 0.5 + 1e-3
    assert availability(3, 3, 0.0) == 1.0 and availability(3, 1, 1.0) == 0.0
    for n, size, p in [(5, 3, 0.1), (7, 2, 0.3), (4, 4, 0.5)]:
        assert unavailability(n, size, p) == pytest.approx(1 - availability(n, size, p))


def test_the_papers_even_n_claim() -> None:
    # N even: |Q2| = N/2 with majority |Q1| is safe and more available than majority Q2
    t = tradeoff([4, 6], p=0.1, samples=200)
    for n in (4, 6):
        smaller, majority = t.loc[(n, n // 2)], t.loc[(n, n // 2 + 1)]
        assert smaller["|Q1|"] == n // 2 + 1  # phase 1 keeps its majority
        assert smaller["P(no Q2)"] < majority["P(no Q2)"]
        assert smaller["P(no Q1)"] == majority["P(no Q2)"]
        assert quorum_proof(n, phase1=n // 2 + 1, phase2=n // 2).holds


def test_tradeoff_rows_and_determinism() -> None:
    t = tradeoff([3, 5], samples=300)
    assert list(t.index) == [(3, 1), (3, 2), (3, 3), (5, 1), (5, 2), (5, 3), (5, 4), (5, 5)]
    assert (t["|Q1|"] + t.index.get_level_values("|Q2|") == t.index.get_level_values("N") + 1).all()
    assert t.equals(tradeoff([3, 5], samples=300))
    assert t["majority"].sum() == 2


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: FlexiblePaxosSpec(3, phase1=0, phase2=3), ValueError),
        (lambda: FlexiblePaxosSpec(3, phase1=2, phase2=4), ValueError),
        (lambda: FlexiblePaxosSpec(3, phase1=2.0, phase2=2), TypeError),
        (lambda: quorum_proof(3, phase1=2, phase2=True), TypeError),
        (lambda: availability(3, 2, 1.5), ValueError),
        (lambda: phase2_latency(3, 4), ValueError),
        (lambda: phase2_latency(3, 2, seed=1.5), TypeError),
        (lambda: phase2_latency(3, 2, latency=1.0), TypeError),
        (lambda: tradeoff([3], p=-0.1, samples=10), ValueError),
    ],
)
def test_bad_arguments_are_refused(call: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        call()


def test_paxos_spec_takes_two_quorum_systems_and_checks_them():
    from dslib.consensus.spec import PaxosSpec, majority_quorums

    acc = ["a1", "a2", "a3"]
    spec = PaxosSpec(
        acc, 2, 0, phase1_quorums=majority_quorums(acc, 3), phase2_quorums=[{"a1"}, {"a2"}]
    )
    assert spec.quorums == spec.phase2_quorums == (frozenset({"a1"}), frozenset({"a2"}))
    assert spec._min_quorum == 3
    with pytest.raises(ValueError, match="non-empty sets of the acceptors"):
        PaxosSpec(acc, 2, 0, phase2_quorums=[{"a9"}])
    with pytest.raises(ValueError, match="non-empty sequence"):
        PaxosSpec(acc, 2, 0, phase1_quorums=[])
    # renaming acceptors is unsound for {a1}, {a2}: refused
    with pytest.raises(ValueError, match="only for quorums that are all sets of some size"):
        PaxosSpec(acc, 2, 0, phase2_quorums=[{"a1"}, {"a2"}], symmetry="acceptors")
    PaxosSpec(acc, 2, 0, phase2_quorums=majority_quorums(acc, 1), symmetry="acceptors")
