"""Tests of dslib.architectures.p2p: gossip rounds and dissemination, the Chord ring."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.architectures.p2p import (
    CHORD_CHECKS,
    CHORD_MUTANTS,
    GOSSIP_MODES,
    ChordNode,
    GossipNode,
    between,
    chord_churn_experiment,
    chord_id,
    chord_lookup_experiment,
    chord_ring,
    gossip_experiment,
    gossip_round,
    successor_of,
)
from dslib.mutants import assert_mutants_caught


@st.composite
def rounds(draw: st.DrawFn) -> tuple[frozenset[str], dict[str, str], str]:
    names = [f"n{i}" for i in range(draw(st.integers(2, 9)))]
    informed = frozenset(draw(st.lists(st.sampled_from(names), min_size=1)))
    choices = {x: draw(st.sampled_from([y for y in names if y != x])) for x in names}
    return informed, choices, draw(st.sampled_from(GOSSIP_MODES))


@given(rounds())
@settings(max_examples=100, deadline=None)
def test_a_gossip_round_never_forgets_and_push_at_most_doubles(case: tuple) -> None:
    informed, choices, mode = case
    after = gossip_round(informed, choices, mode)
    assert informed <= after
    if mode == "push":
        assert len(after) <= 2 * len(informed)
    push, pull = gossip_round(informed, choices, "push"), gossip_round(informed, choices, "pull")
    assert gossip_round(informed, choices, "push-pull") == push | pull


def test_gossip_round_rejects_unknown_modes() -> None:
    with pytest.raises(ValueError, match="mode"):
        gossip_round({"a"}, {"a": "b"}, "shout")
    with pytest.raises(ValueError, match="mode"):
        GossipNode("shout", "a")


@pytest.mark.parametrize("mode", GOSSIP_MODES)
def test_gossip_reaches_everyone_in_logarithmic_rounds(mode: str) -> None:
    for n in (16, 128):
        r = gossip_experiment(n, mode, seed=2)
        assert r["informed"] == n
        assert r["rounds"] <= 2 * math.log2(n) + math.log(n) + 4
        assert r["informed by round"][-1] == n


def test_push_pull_is_fastest_and_push_doubles_at_first() -> None:
    rounds_by_mode = {m: gossip_experiment(256, m, seed=5)["rounds"] for m in GOSSIP_MODES}
    assert rounds_by_mode["push-pull"] < rounds_by_mode["push"]
    assert rounds_by_mode["push-pull"] < rounds_by_mode["pull"]
    early = gossip_experiment(256, "push", seed=5)["informed by round"][:3]
    assert early == [1, 2, 4]


def test_gossip_survives_loss() -> None:
    r = gossip_experiment(64, "push-pull", seed=1, loss=0.3)
    assert r["informed"] == 64


def test_ring_intervals() -> None:
    assert between(5, 3, 9) and not between(3, 3, 9) and not between(9, 3, 9)
    assert between(9, 3, 9, right=True) and between(0, 9, 3) and between(10, 9, 3)
    assert not between(5, 9, 3) and between(4, 4, 4, right=True) and between(5, 4, 4)
    assert successor_of(3, [3, 8]) == 3 and successor_of(9, [3, 8]) == 3
    assert 0 <= chord_id("anything", 8) < 256


def test_a_stable_ring_has_correct_fingers() -> None:
    names, system = chord_ring(16, m=16)
    from dslib import Context

    ids = sorted(chord_id(x, 16) for x in names)
    for name in names:
        state = system[name].init(Context(name, names))
        me = chord_id(name, 16)
        for i, f in enumerate(state.fingers):
            assert chord_id(f, 16) == successor_of((me + 2**i) % 2**16, ids)


@pytest.mark.parametrize("n", [8, 64, 256])
def test_lookups_are_correct_and_take_logarithmic_hops(n: int) -> None:
    r = chord_lookup_experiment(n, lookups=100, seed=n)
    assert r["correct"] == r["lookups"] == 100
    assert r["mean hops"] <= 0.5 * math.log2(n) + 1.0
    assert r["max hops"] <= math.ceil(math.log2(n)) + 1


def test_ring_repairs_itself_after_failures_and_joins() -> None:
    failures = chord_churn_experiment(n=24, fail=5, lookups=150, seed=3)
    assert failures["wrong"] == 0 and failures["failed"] <= 3
    last = failures["buckets"][-1]
    assert last["correct"] > 0 and last["wrong"] == last["failed"] == 0
    joins = chord_churn_experiment(n=24, fail=0, joins=5, lookups=150, seed=3)
    assert joins["failed"] == 0
    assert joins["buckets"][-1]["wrong"] == 0  # after stabilization the joiners own their keys


def test_chord_mutants_are_caught() -> None:
    report = assert_mutants_caught(lambda: ChordNode, CHORD_MUTANTS, CHORD_CHECKS)
    assert {m.name for m in report.mutants} == {
        "predecessor-owner",
        "successors-only",
        "one-successor",
        "deaf-to-notify",
    }


def test_three_adjacent_crashes_cut_a_node_off() -> None:
    # The failure sweep's seeds crash at most 2 adjacent nodes of 16, so every node keeps a
    # live successor in its list of r = 3; seed 2 crashes 3 adjacent nodes, all of one
    # node's successors, and that node answers wrongly for the rest of the run.
    for seed in (0, 1, 3):
        r = chord_churn_experiment(n=16, fail=3, lookups=5, fail_at=5.0, seed=seed)
        assert r["most adjacent crashed"] <= 2
    cut = chord_churn_experiment(n=16, fail=3, lookups=80, fail_at=5.0, seed=2)
    assert cut["most adjacent crashed"] == 3 and cut["last wrong"] > 25
    longer = chord_churn_experiment(n=16, fail=3, lookups=80, fail_at=5.0, seed=2, r=4)
    assert longer["last wrong"] <= 5 or math.isnan(longer["last wrong"])
