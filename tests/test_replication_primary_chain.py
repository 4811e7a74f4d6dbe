"""Tests of primary-backup with a view service and of chain replication: linearizable under
crashes and partitions, fail-over happens, and the primary that acknowledges too early is
caught."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Simulation
from dslib.consistency import KeyValue, check_linearizable
from dslib.replication.chain import ChainServer, chain_system, lease_scenario
from dslib.replication.primary_backup import (
    View,
    ViewService,
    default_kv_workloads,
    partition_scenario,
    primary_backup_system,
)
from dslib.sim import Network, RandomNemesis, exponential

KINDS = st.sampled_from([("crash",), ("partition",), ("crash", "partition")])


def pb_run(seed: int, kinds: tuple[str, ...], bug: bool = False) -> Simulation:
    system = primary_backup_system(
        clients=3, workloads=default_kv_workloads(3, 10), ack_before_backup=bug, think=(5.0, 20.0)
    )
    nemesis = RandomNemesis(
        until=250, kinds=kinds, mean_interval=30, duration=50, nodes=("s1", "s2", "s3")
    )
    network = Network(latency=exponential(2.0))
    return Simulation(system, seed=seed, network=network, nemesis=nemesis).run(until=800)


@settings(max_examples=20, deadline=None, database=None)
@given(st.integers(0, 10_000), KINDS)
def test_primary_backup_is_linearizable_under_faults(seed: int, kinds: tuple[str, ...]) -> None:
    sim = pb_run(seed, kinds)
    assert check_linearizable(sim.history, KeyValue()).ok


def test_random_partitions_catch_the_early_acknowledgement() -> None:
    caught = [
        s
        for s in range(30)
        if not check_linearizable(pb_run(s, ("partition",), bug=True).history, KeyValue()).ok
    ]
    assert caught


def test_partition_scenario() -> None:
    good = partition_scenario().run(until=400.0)
    assert check_linearizable(good.history, KeyValue()).ok
    assert good.states["vs"].view.primary == "s2"  # the backup took over
    bad = partition_scenario(ack_before_backup=True).run(until=400.0)
    assert not check_linearizable(bad.history, KeyValue()).ok


def test_the_backup_takes_over_when_the_primary_crashes() -> None:
    sim = Simulation(primary_backup_system(), seed=2)
    sim.run(until=60.0)
    assert sim.states["vs"].view == View(2, "s1", "s2")
    sim.crash("s1")
    sim.run(until=300.0)
    view = sim.states["vs"].view
    assert view.primary == "s2" and view.backup == "s3"
    assert check_linearizable(sim.history, KeyValue()).ok
    # The new primary has every acknowledged write.
    data = dict(sim.states["s2"].data)
    for op in sim.history.operations():
        if op.f == "put" and op.status == "ok" and op.invoke_time < 60.0:
            assert op.key in data


def test_a_restarted_primary_does_not_serve_with_an_empty_state() -> None:
    sim = Simulation(primary_backup_system(), seed=3)
    sim.run(until=70.0)
    sim.crash("s1")
    sim.restart("s1")
    sim.run(until=400.0)
    assert sim.states["vs"].view.primary != "s1"
    assert check_linearizable(sim.history, KeyValue()).ok


def test_view_service_validation() -> None:
    with pytest.raises(ValueError, match="dead_time"):
        ViewService(ping_interval=5.0, dead_time=5.0)
    with pytest.raises(ValueError, match="servers"):
        primary_backup_system(servers=0)


def chain_run(seed: int, kinds: tuple[str, ...], lease: float = 10.0) -> Simulation:
    system = chain_system(
        clients=3, workloads=default_kv_workloads(3, 10), think=(5.0, 20.0), lease=lease
    )
    nemesis = RandomNemesis(
        until=250, kinds=kinds, mean_interval=40, duration=30, nodes=("s1", "s2", "s3")
    )
    network = Network(latency=exponential(2.0))
    return Simulation(system, seed=seed, network=network, nemesis=nemesis).run(until=800)


@settings(max_examples=20, deadline=None, database=None)
@given(st.integers(0, 10_000), KINDS)
def test_chain_replication_is_linearizable_under_faults(seed: int, kinds: tuple[str, ...]) -> None:
    sim = chain_run(seed, kinds)
    assert check_linearizable(sim.history, KeyValue()).ok


@pytest.mark.parametrize("victim", ["s1", "s2", "s3"])
def test_the_chain_survives_the_crash_of_head_middle_or_tail(victim: str) -> None:
    system = chain_system(clients=2, workloads=default_kv_workloads(2, 12), think=(2.0, 6.0))
    sim = Simulation(system, seed=1, network=Network(latency=exponential(1.5)))
    sim.run(until=40.0)
    sim.crash(victim)
    sim.run(until=500.0)
    chain = sim.states["master"].chain
    assert victim not in chain and len(chain) == 2
    ops = sim.history.operations()
    assert check_linearizable(sim.history, KeyValue()).ok
    assert sum(op.status == "ok" for op in ops) >= len(ops) - 2
    # Every server left holds the same data at the end.
    assert len({sim.states[s].data for s in chain}) == 1


def test_a_tail_without_a_lease_serves_stale_reads_under_a_partition() -> None:
    good = lease_scenario().run(until=300.0)
    assert check_linearizable(good.history, KeyValue()).ok
    assert good.states["master"].chain == ("s1", "s2")
    bad = lease_scenario(lease=math.inf).run(until=300.0)
    assert not check_linearizable(bad.history, KeyValue()).ok
    assert ChainServer(lease=5.0).lease == 5.0
    with pytest.raises(ValueError, match="servers"):
        chain_system(servers=0)
