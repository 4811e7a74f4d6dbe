"""Tests of dslib.replication.crdts: the merge laws (hypothesis), the semantics of each CRDT,
convergence through partitions, and the broken (summing) counter being caught."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from dslib import Simulation
from dslib.replication.crdts import (
    CRDT_KINDS,
    GCounter,
    LWWRegister,
    ORSet,
    PNCounter,
    SummingGCounter,
    check_merge_laws,
    crdt_convergence,
    crdt_system,
    crdt_values,
    merge_all,
    new_crdt,
    random_crdt_states,
)

CORRECT = ("g-counter", "pn-counter", "lww-register", "or-set")
FAST = settings(max_examples=40, deadline=None, database=None)


@pytest.mark.parametrize("kind", CORRECT)
def test_every_correct_crdt_obeys_the_merge_laws(kind: str) -> None:
    assert check_merge_laws(kind, max_examples=60).ok


def test_the_summing_counter_breaks_idempotence_with_a_small_counterexample() -> None:
    result = check_merge_laws("summing-g-counter", max_examples=60)
    assert not result.ok
    assert result.detail.startswith("not idempotent")
    assert result.counterexample_length == 1


def test_a_merge_that_is_not_commutative_is_caught() -> None:
    result = check_merge_laws("lww-register", merge=lambda a, b: b, max_examples=60)
    assert not result.ok and "commutative" in result.detail


@pytest.mark.parametrize("kind", CORRECT)
def test_merge_is_an_upper_bound_of_reachable_states(kind: str) -> None:
    @FAST
    @given(random_crdt_states(kind))
    def check(states: tuple[Any, Any, Any]) -> None:
        a, b, _ = states
        m = a.merge(b)
        # An upper bound: merging either side into it changes nothing.
        assert m.merge(a) == m and m.merge(b) == m

    check()


def test_counters() -> None:
    c = GCounter().increment("a").increment("b", 3)
    assert c.value() == 4 and c.merge(GCounter({"a": 5})).value() == 8
    p = PNCounter().increment("a", 5).decrement("b", 7)
    assert p.value() == -2
    assert p.merge(PNCounter().decrement("b", 2)).value() == -2
    with pytest.raises(ValueError, match="only grows"):
        GCounter().increment("a", 0)
    with pytest.raises(TypeError, match="cannot merge"):
        GCounter().merge(PNCounter())  # type: ignore[arg-type]
    assert SummingGCounter({"a": 2}).merge(SummingGCounter({"a": 2})).value() == 4


def test_lww_register_follows_the_clocks_not_real_time() -> None:
    late_but_slow_clock = LWWRegister().assign("second", 5.0, "b")
    early = LWWRegister().assign("first", 9.0, "a")
    assert early.merge(late_but_slow_clock).value() == "first"
    tie = LWWRegister().assign("x", 1.0, "a").merge(LWWRegister().assign("y", 1.0, "b"))
    assert tie.value() == "y"  # the node breaks ties, the same way everywhere
    assert repr(LWWRegister()) == "LWWRegister()"


def test_or_set_add_wins_and_observed_remove() -> None:
    s = ORSet().add("x", ("r1", 1))
    removed = s.remove("x")
    readded = s.add("x", ("r2", 1))
    assert removed.merge(readded).value() == ("x",)
    assert removed.merge(s).value() == ()
    assert not removed.contains("x") and s.contains("x")
    with pytest.raises(ValueError, match="unique"):
        s.add("y", ("r1", 1))
    with pytest.raises(ValueError, match="tag"):
        s.add("y", "r1")  # type: ignore[arg-type]


def test_merge_all_and_new_crdt_validate() -> None:
    assert merge_all([GCounter({"a": 1}), GCounter({"a": 3})]) == GCounter({"a": 3})
    with pytest.raises(ValueError, match="at least one"):
        merge_all([])
    with pytest.raises(ValueError, match="unknown CRDT kind"):
        new_crdt("2p-set")
    assert set(CRDT_KINDS) >= set(CORRECT)


def _partitioned_run(kind: str, seed: int) -> Simulation:
    sim = Simulation(crdt_system(kind, ops=8, gossip_until=250.0), seed=seed)
    sim.at(5.0, lambda s: s.partition(("c1", "r1"), ("c2", "c3", "r2", "r3")))
    sim.at(50.0, lambda s: s.heal())
    return sim.run()


@pytest.mark.parametrize("kind", CORRECT)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_replicas_converge_after_a_partition(kind: str, seed: int) -> None:
    sim = _partitioned_run(kind, seed)
    assert crdt_convergence(sim).ok, crdt_convergence(sim).detail
    ops = sim.history.operations()
    assert all(op.status == "ok" for op in ops)  # available through the partition
    if kind == "g-counter":
        assert set(crdt_values(sim).values()) == {sum(op.value for op in ops if op.f != "read")}


def test_replicas_disagree_during_the_partition() -> None:
    sim = Simulation(crdt_system("g-counter", ops=8), seed=0)
    sim.at(0.0, lambda s: s.partition(("c1", "r1"), ("c2", "c3", "r2", "r3")))
    sim.run(until=40.0)
    assert not crdt_convergence(sim).ok


def test_the_summing_counter_never_converges_to_the_true_count() -> None:
    result = crdt_convergence(_partitioned_run("summing-g-counter", 0))
    assert not result.ok


def test_system_validation() -> None:
    with pytest.raises(ValueError, match="replicas"):
        crdt_system("or-set", replicas=0)
    with pytest.raises(ValueError, match="workloads"):
        crdt_system("or-set", replicas=2, workloads=[[("add", "x")]])
    with pytest.raises(ValueError, match="no CRDT replica"):
        crdt_convergence(_empty())


def _empty() -> Simulation:
    from dslib import System
    from dslib.basics import Ponger

    return Simulation(System({"p": Ponger()}))
