"""Tests of the Dynamo-style store: preference lists, vector-clock siblings, sloppy quorums
with hinted handoff, read repair, Merkle-tree anti-entropy, and convergence after faults."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Simulation
from dslib.clocks import VectorClock
from dslib.replication.checks import faulty_run, faulty_run_verdict
from dslib.replication.dynamo import (
    DYNAMO_CHECKS,
    MUTANT_CHECKS,
    MUTANTS,
    DynamoNode,
    MerkleTree,
    Version,
    acknowledged_writes_kept,
    dynamo_catch_rate,
    dynamo_convergence,
    dynamo_system,
    preference_list,
    reconcile,
    seen,
    siblings_kept,
)
from dslib.sim import Heal, Network, Partition, RandomNemesis, exponential

NODES = [f"n{i}" for i in range(1, 6)]


def test_preference_lists_are_permutations_and_stable() -> None:
    for key in ["x", "y", ("a", 1), 7]:
        pref = preference_list(key, NODES)
        assert sorted(pref) == NODES
        assert pref == preference_list(key, list(reversed(NODES)))
    homes = {preference_list(f"k{i}", NODES)[0] for i in range(40)}
    assert len(homes) >= 4  # keys spread over the ring


@settings(max_examples=50, deadline=None, database=None)
@given(st.lists(st.sets(st.integers(0, 5)), max_size=6))
def test_reconcile_keeps_exactly_the_versions_nobody_replaces(contexts: list[set[int]]) -> None:
    # Version i has dot ("n", i) and replaces the versions whose numbers its context lists.
    versions = [
        Version(i, ("n", i), tuple(sorted(("n", j) for j in c if j != i)))
        for i, c in enumerate(contexts)
    ]
    kept = reconcile(versions)
    replaced = {j for i, c in enumerate(contexts) for j in c if j != i}
    assert sorted(v.value for v in kept) == [i for i in range(len(versions)) if i not in replaced]
    assert reconcile(list(kept)) == kept


def test_a_version_clock_summarises_its_dot_and_context() -> None:
    v = Version("v", ("n2", 3), (("n1", 1), ("n1", 4), ("n2", 1)))
    assert v.clock == VectorClock({"n1": 4, "n2": 3})
    assert Version("w").clock == VectorClock()


def test_lww_keeps_one_version() -> None:
    a = Version("a", timestamp=(1.0, "n1"))
    b = Version("b", timestamp=(2.0, "n2"))
    assert reconcile([a, b], "lww") == (b,)
    with pytest.raises(ValueError, match="resolve"):
        reconcile([a], "crdt")


def test_merkle_trees_find_the_differing_bucket_cheaply() -> None:
    data = {f"k{i}": i for i in range(50)}
    a = MerkleTree.build(data, buckets=16)
    assert a.diff(MerkleTree.build(dict(data), buckets=16)) == ((), 1)
    changed = dict(data, k7=-1)
    buckets, compared = a.diff(MerkleTree.build(changed, buckets=16))
    assert buckets == (MerkleTree.bucket_of("k7", 16),)
    assert compared == 1 + 2 * 4  # one root, then two children per level down to the leaf
    with pytest.raises(ValueError, match="power of 2"):
        MerkleTree.build(data, buckets=6)


def test_concurrent_writes_on_both_sides_of_a_partition_become_siblings() -> None:
    loads: list[list[Any]] = [[("put", "x", "left")], [("put", "x", "right")], [("get", "x", None)]]
    system = dynamo_system(nodes=5, clients=3, r=1, w=1, workloads=loads, think=0.0)
    sim = Simulation(system, seed=0)
    sim.at(0.0, Partition((("c1", "n1"), ("c2", "c3", "n2", "n3", "n4", "n5"))))
    sim.at(100.0, Heal())
    sim.run(until=400.0)
    assert dynamo_convergence(sim).ok
    home = sim.system.nodes["n1"].home("x")  # type: ignore[attr-defined]
    values = {tuple(sorted(v.value for v in sim.states[h].versions("x"))) for h in home}
    assert values == {("left", "right")}


def test_a_blind_put_becomes_a_sibling_even_without_a_partition() -> None:
    # Section 4.4: a put names the version it updates through the context of a get. c2's
    # put never read, so it replaces nothing: both carts survive (no fault at all).
    loads: list[list[Any]] = [
        [("put", "cart", "milk")],
        [("put", "cart", "eggs")],
        [("get", "cart", None)],
    ]
    system = dynamo_system(nodes=5, clients=3, workloads=loads, think=0.0)
    system.nodes["c2"].start = 50.0  # type: ignore[attr-defined]
    system.nodes["c3"].start = 150.0  # type: ignore[attr-defined]
    sim = Simulation(system, seed=0).run(until=400.0)
    assert [op.result for op in sim.history.operations()] == ["milk", "eggs", ("eggs", "milk")]


def test_a_put_after_a_get_replaces_what_the_get_returned() -> None:
    loads: list[list[Any]] = [
        [("put", "x", "a")],
        [("put", "x", "b")],
        [("get", "x", None), ("put", "x", "c"), ("get", "x", None)],
    ]
    system = dynamo_system(nodes=5, clients=3, workloads=loads, think=0.0)
    system.nodes["c3"].start = 200.0  # type: ignore[attr-defined]
    sim = Simulation(system, seed=0)
    sim.at(0.0, Partition((("c1", "n1"), ("c2", "c3", "n2", "n3", "n4", "n5"))))
    sim.at(30.0, Heal())
    sim.run(until=500.0)
    results = [op.result for op in sim.history.operations() if op.process == "c3"]
    assert isinstance(results[0], tuple) and {"a", "b"} <= set(results[0])  # siblings
    assert results[-1] == "c"  # the put with the get's context replaced them all
    # The oracles let a value go only when a client read it before writing over it.
    assert acknowledged_writes_kept(sim).ok and siblings_kept(sim).ok
    home = sim.system.nodes["n1"].home("x")  # type: ignore[attr-defined]
    sim.states[home[0]] = replace(sim.states[home[0]], store=())
    sim.states[home[1]] = replace(sim.states[home[1]], store=())
    sim.states[home[2]] = replace(sim.states[home[2]], store=())
    assert "lost" in acknowledged_writes_kept(sim).detail  # "c" was replaced by no one


def test_a_context_never_claims_a_version_its_client_did_not_see() -> None:
    # n1 coordinates two blind puts (siblings 1 and 2). A client that read only version 2
    # (from a replica that missed 1) and then writes 3 must not discard 1. A vector clock
    # {n1: 2} would claim both; the exact context names only what was read.
    one = Version(1, ("n1", 1))
    two = Version(2, ("n1", 2))
    three = Version(3, ("n2", 1), seen([two]))
    assert [v.value for v in reconcile([one, two, three])] == [1, 3]
    assert three.clock >= one.clock  # the summary would have claimed it


def test_sloppy_quorum_writes_to_a_stand_in_and_hands_off() -> None:
    loads = [[("put", "x", 1), ("get", "x", None)]]
    system = dynamo_system(nodes=5, clients=1, n=3, r=3, w=3, workloads=loads)
    home = system.nodes["n1"].home("x")  # type: ignore[attr-defined]
    down = home[-1]
    others = tuple(n for n in system.ids if n != down)
    sim = Simulation(system, seed=1)
    sim.at(0.0, Partition(((down,), others)))
    sim.at(80.0, Heal())
    sim.run(until=60.0)
    assert all(op.status == "ok" for op in sim.history.operations())  # W=3 met with a stand-in
    hints = [h for s in sim.states.values() if hasattr(s, "hints") for h in s.hints]
    assert [h[0] for h in hints] == [down]
    assert not dynamo_convergence(sim).ok
    sim.run(until=200.0)
    assert dynamo_convergence(sim).ok
    assert sim.states[down].versions("x")[0].value == 1


def test_strict_quorums_refuse_instead() -> None:
    loads = [[("put", "x", 1)]]
    system = dynamo_system(nodes=5, clients=1, n=3, r=3, w=3, workloads=loads, sloppy=False)
    home = system.nodes["n1"].home("x")  # type: ignore[attr-defined]
    sim = Simulation(system, seed=1)
    sim.at(0.0, Partition(((home[-1],), tuple(n for n in system.ids if n != home[-1]))))
    sim.run(until=60.0)
    assert [op.status for op in sim.history.operations()] == ["info"]


@pytest.mark.parametrize("mechanism", ["read repair", "anti-entropy"])
def test_a_stale_replica_is_repaired(mechanism: str) -> None:
    loads: list[list[Any]] = [
        [("put", "x", 1), ("get", "x", None), ("put", "x", 2)],  # 2 replaces 1 (the get's context)
        [("get", "x", None)] * 3,
    ]
    system = dynamo_system(
        nodes=3,
        clients=2,
        n=3,
        r=2,
        w=2,
        workloads=loads,
        read_repair=mechanism == "read repair",
        anti_entropy=20.0 if mechanism == "anti-entropy" else None,
        think=0.0,
    )
    system.nodes["c2"].start = 40.0  # type: ignore[attr-defined]
    sim = Simulation(system, seed=2)
    # n3 misses the writes: it is cut off while they happen; no hints (W=2 is met at home).
    sim.at(0.0, Partition((("n3",), ("c1", "c2", "n1", "n2"))))
    sim.at(20.0, Heal())
    sim.run(until=19.0)
    assert sim.states["n3"].versions("x") == ()
    sim.run(until=300.0)
    assert [v.value for v in sim.states["n3"].versions("x")] == [2]


@pytest.mark.parametrize("resolve", ["siblings", "lww"])
def test_replicas_converge_for_fixed_seeds(resolve: str) -> None:
    # What section 12.4 claims: eventual consistency, not linearizability.
    failed = []
    for seed in range(60):
        sim = faulty_run("dynamo", seed, ("partition", "crash"), resolve=resolve)
        if not faulty_run_verdict("dynamo", sim).ok:
            failed.append(seed)
    assert failed == []


@settings(max_examples=15, deadline=None, database=None)
@given(st.integers(0, 10_000), st.sampled_from(["siblings", "lww"]))
def test_replicas_converge_after_random_faults(seed: int, resolve: str) -> None:
    nemesis = RandomNemesis(
        until=150, kinds=("partition", "crash"), mean_interval=30, duration=25, nodes=NODES
    )
    system = dynamo_system(nodes=5, clients=3, resolve=resolve)
    sim = Simulation(system, seed=seed, network=Network(latency=exponential(2.0)), nemesis=nemesis)
    sim.run(until=700.0)
    assert not sim.crashed  # every crash was followed by a restart, from disk
    result = dynamo_convergence(sim)
    assert result.ok, result.detail


def test_node_validation_and_repr() -> None:
    with pytest.raises(ValueError, match="r="):
        DynamoNode(NODES, n=3, r=4)
    with pytest.raises(ValueError, match="resolve"):
        DynamoNode(NODES, resolve="merge")
    assert repr(DynamoNode(NODES, sloppy=False)) == "DynamoNode(N=3, R=2, W=2, strict, siblings)"


@pytest.mark.parametrize("sloppy", [True, False])
def test_sloppy_quorums_do_not_intersect_until_handoff(sloppy: bool) -> None:
    # R + W > N, yet with sloppy quorums a write acknowledged by stand-ins is missed by a
    # read of the home replicas until hinted handoff (Dynamo section 4.6); a strict quorum
    # makes the write wait for the partition to heal instead.
    loads: list[list[Any]] = [[("get", "x", None)], [("get", "x", None)], [("put", "x", 1)]]
    system = dynamo_system(
        nodes=5, clients=3, n=3, r=2, w=2, workloads=loads, think=0.0, sloppy=sloppy
    )
    system.nodes["c1"].start, system.nodes["c2"].start = 30.0, 80.0  # type: ignore[attr-defined]
    home = system.nodes["n1"].home("x")  # type: ignore[attr-defined]
    sim = Simulation(system, seed=1)
    sim.at(0.0, Partition((("c3", "n3", "n4"), ("c1", "c2", *home))))
    sim.at(45.0, Heal())
    sim.run(until=200.0)
    ops = {op.process: op for op in sim.history.operations()}
    assert ops["c2"].result == 1  # after handoff (or the heal), every read sees the write
    if sloppy:
        assert ops["c3"].complete_time < 30.0  # acknowledged by stand-ins, during the partition
        assert ops["c1"].result is None  # an intersecting quorum missed an acknowledged write
    else:
        assert ops["c3"].complete_time > 45.0  # waited for the home replicas


MUTANT_SEEDS = range(3)  # measured: every mutant caught on 20 of 20 seeds, the correct store on 0


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_each_mutant_is_caught_by_its_named_checks(mutant: str) -> None:
    for check in MUTANT_CHECKS[mutant]:
        caught, runs, shortest = dynamo_catch_rate(mutant, check, MUTANT_SEEDS)
        assert caught == runs, f"{mutant} caught by {check!r} on only {caught} of {runs} seeds"
        assert shortest is not None


def test_the_correct_store_passes_every_check() -> None:
    for check in DYNAMO_CHECKS:
        caught, runs, _ = dynamo_catch_rate(None, check, MUTANT_SEEDS)
        assert caught == 0, f"the correct store fails {check!r} on {caught} of {runs} seeds"


def test_unknown_mutants_and_checks_are_refused() -> None:
    with pytest.raises(ValueError, match="allowed: None or one of"):
        DynamoNode(NODES, mutant="no_quorum")
    with pytest.raises(ValueError, match="unknown check"):
        dynamo_catch_rate(None, "linearizable", range(1))
    assert "mutant='handoff_forgets'" in repr(DynamoNode(NODES, mutant="handoff_forgets"))
