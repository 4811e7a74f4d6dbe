"""Tests of primary-backup with a view service and of chain replication: linearizable under
crashes and partitions (a fixed list of seeds, then hypothesis), fail-over happens, the
schedules of two bugs found by seeded sweeps replay as regressions, and the mutants are caught."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Simulation
from dslib.consistency import KeyValue, check_linearizable
from dslib.replication.chain import MUTANTS as CHAIN_MUTANTS
from dslib.replication.chain import ChainServer, chain_system, lease_scenario
from dslib.replication.checks import (
    FAULT_KINDS,
    ReplicationVariant,
    faulty_run,
    faulty_run_verdict,
    pb_schedule_run,
)
from dslib.replication.primary_backup import (
    MUTANTS,
    PBServer,
    Ping,
    View,
    ViewReply,
    ViewService,
    default_kv_workloads,
    partition_scenario,
    primary_backup_system,
)
from dslib.sim import Network, Request, exponential
from dslib.sim.history import Operation
from dslib.testing import Crash, Deliver, Fire, Restart, Step, replay

KINDS = st.sampled_from(list(FAULT_KINDS))

# Runs that broke an earlier version (benchmarks/sweep_replication.py): (seed, fault kinds).
PB_REGRESSIONS = [
    (144, ("partition",)),  # a resent Transfer erased the backup's newer writes
    (342, ("crash",)),  # the same
    (342, ("crash", "partition")),
    (370, ("crash",)),  # a restarted view-1 primary served an empty store
    (589, ("crash",)),  # the same (the run)
]
SEEDS = range(200)  # and every fault kind: 600 runs, a few seconds


def pb_run(seed: int, kinds: tuple[str, ...], mutant: str | None = None) -> Simulation:
    return faulty_run("primary-backup", seed, kinds, mutant=mutant)


def failing_seeds(store: str, kinds: tuple[str, ...], seeds: range) -> list[int]:
    return [s for s in seeds if not faulty_run_verdict(store, faulty_run(store, s, kinds)).ok]


@pytest.mark.parametrize(("seed", "kinds"), PB_REGRESSIONS)
def test_primary_backup_regression_runs_are_linearizable(seed: int, kinds: tuple[str, ...]) -> None:
    assert check_linearizable(pb_run(seed, kinds).history, KeyValue()).ok


@pytest.mark.parametrize("kinds", FAULT_KINDS)
def test_primary_backup_is_linearizable_for_fixed_seeds(kinds: tuple[str, ...]) -> None:
    assert failing_seeds("primary-backup", kinds, SEEDS) == []


@settings(max_examples=20, deadline=None, database=None)
@given(st.integers(0, 10_000), KINDS)
def test_primary_backup_is_linearizable_under_faults(seed: int, kinds: tuple[str, ...]) -> None:
    sim = pb_run(seed, kinds)
    assert check_linearizable(sim.history, KeyValue()).ok


def test_random_partitions_catch_the_early_acknowledgement() -> None:
    caught = [
        s
        for s in range(30)
        if not check_linearizable(
            pb_run(s, ("partition",), mutant="ack_before_backup").history, KeyValue()
        ).ok
    ]
    assert caught


# -- the two bugs of the sweep: their shrunk schedules (checks.PB_SCHEDULES) -------------------
def test_a_restarted_first_primary_serving_an_empty_store_is_caught() -> None:
    sim = pb_schedule_run("restart", mutant="restart_amnesia")
    assert [op.result for op in sim.history.operations()] == [1, None]
    assert not check_linearizable(sim.history, KeyValue()).ok


def test_a_restarted_server_takes_no_part_in_a_view_it_may_have_forgotten() -> None:
    sim = pb_schedule_run("restart")
    assert sim.states["s1"].forgotten == 1  # read from its disk: it knew view 1
    assert sim.states["s1"].view.num == 0  # so it refused to be primary of view 1 again
    assert sim.states["vs"].rebooted == frozenset({"s1"})  # and the view service knows why
    assert [op.status for op in sim.history.operations()] == ["ok", "info"]
    assert check_linearizable(sim.history, KeyValue()).ok


def test_a_resent_transfer_does_not_erase_the_backups_writes() -> None:
    good = pb_schedule_run("resent-transfer")
    bad = pb_schedule_run("resent-transfer", mutant="stale_transfer")
    for sim in (good, bad):
        assert sim.states["vs"].view == View(3, "s2", None)  # s2 took over from s1
    assert [op.result for op in good.history.operations()] == [1, 1]
    assert [op.result for op in bad.history.operations()] == [1, None]
    assert check_linearizable(good.history, KeyValue()).ok
    assert not check_linearizable(bad.history, KeyValue()).ok


def test_a_late_ping_from_before_a_view_does_not_look_like_a_restart() -> None:
    # s1 pings twice before it hears of view 1; one Ping(0) arrives after its Ping(1).
    steps: list[Step] = [
        Deliver("s1", "vs", Ping(0)),
        Deliver("s2", "vs", Ping(0)),
        Fire("vs", "tick"),  # view 1: s1 primary
        Fire("s1", "ping"),
        Fire("s1", "ping"),  # two Ping(0) in flight
        Deliver("s1", "vs", Ping(0)),
        Deliver("vs", "s1", ViewReply(View(1, "s1", None))),
        Fire("s1", "ping"),
        Deliver("s1", "vs", Ping(1)),  # s1 acknowledges view 1
    ]
    system = primary_backup_system(servers=2, clients=1)
    sim = replay(system, steps, timers="any")
    assert sim.states["vs"].acked and not sim.states["vs"].rebooted
    # The old rule (a Ping(0) after a larger one means a restart) was fooled here, and the
    # view service then never gave s1 a backup (seed 589 ran with a single copy).
    late = replay(system, [*steps, Deliver("s1", "vs", Ping(0))], timers="any")
    assert not late.states["vs"].rebooted
    late.run(until=60.0)
    assert late.states["vs"].view == View(2, "s1", "s2")
    # A real restart is announced: s1 read view 1 from its disk.
    restart = [Crash("s1"), Restart("s1"), Deliver("s1", "vs", Ping(0, forgotten=1))]
    restarted = replay(system, [*steps, *restart], timers="any")
    assert restarted.states["vs"].rebooted == frozenset({"s1"})


def test_server_validation_and_repr() -> None:
    with pytest.raises(ValueError, match="unknown mutant"):
        PBServer(mutant="ack-early")
    assert [repr(PBServer(mutant=m)) for m in sorted(MUTANTS)] == [
        f"PBServer[{m}]" for m in sorted(MUTANTS)
    ]
    assert repr(PBServer()) == "PBServer"


def test_partition_scenario() -> None:
    good = partition_scenario().run(until=400.0)
    assert check_linearizable(good.history, KeyValue()).ok
    assert good.states["vs"].view.primary == "s2"  # the backup took over
    bad = partition_scenario(mutant="ack_before_backup").run(until=400.0)
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


def failover_run(retries: int = 8) -> Simulation:
    """Section 12.1's fail-over: 20 operations per client, the primary crashes at 80."""
    system = primary_backup_system(workloads=default_kv_workloads(2, 20), retries=retries)
    sim = Simulation(system, seed=2, network=Network(latency=exponential(1.0, minimum=0.5)))
    sim.at(80.0, lambda s: s.crash("s1"))
    return sim.run(until=400.0)


def servers_tried(sim: Simulation, op: Operation) -> list[str]:
    return [
        e.peer
        for e in sim.trace
        if e.kind == "send"
        and e.node == op.process
        and isinstance(e.data, Request)
        and op.invoke_time <= e.time <= op.complete_time
    ]


def test_operations_caught_by_the_crash_are_retried_at_the_new_primary() -> None:
    # 12.1 claims that operations in flight at the fail-over are retried and none is lost:
    # the run must have such operations (an earlier version of the page finished every one
    # before the crash), and each must end answered by s2 after a request to s1.
    sim = failover_run()
    ops = sim.history.operations()
    caught = [op for op in ops if op.invoke_time < 95.0 and op.complete_time > 80.0]
    retried = [
        op
        for op in caught
        if servers_tried(sim, op)[:1] == ["s1"] and len(servers_tried(sim, op)) > 1
    ]
    assert len(retried) >= 2
    assert all(servers_tried(sim, op)[-1] == "s2" and op.status == "ok" for op in retried)
    assert all(op.status == "ok" for op in ops)
    assert check_linearizable(sim.history, KeyValue()).ok


def test_without_retries_the_operations_caught_by_the_crash_go_unanswered() -> None:
    ops = failover_run(retries=0).history.operations()
    assert any(op.status == "info" and op.invoke_time < 95.0 for op in ops)


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


CHAIN_SEEDS = range(60)  # and every fault kind


def chain_run(seed: int, kinds: tuple[str, ...], lease: float = 10.0) -> Simulation:
    return faulty_run("chain", seed, kinds, lease=lease)


@pytest.mark.parametrize("kinds", FAULT_KINDS)
def test_chain_replication_is_linearizable_for_fixed_seeds(kinds: tuple[str, ...]) -> None:
    assert failing_seeds("chain", kinds, CHAIN_SEEDS) == []


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
    bad = lease_scenario(mutant="no_lease").run(until=300.0)
    assert not check_linearizable(bad.history, KeyValue()).ok
    assert ChainServer(lease=5.0).lease == 5.0
    with pytest.raises(ValueError, match="servers"):
        chain_system(servers=0)


def test_the_chain_mutant_is_validated_against_the_table() -> None:
    assert sorted(CHAIN_MUTANTS) == ["no_lease"]
    with pytest.raises(ValueError, match=r"unknown mutant 'typo'; allowed: .*'no_lease'"):
        chain_system(mutant="typo")
    with pytest.raises(ValueError, match="lease=0 must be a number > 0"):
        ChainServer(lease=0)
    with pytest.raises(ValueError, match="chain_mutant"):
        ReplicationVariant(chain_mutant="no-lease")


def test_the_old_infinite_lease_spelling_warns_and_behaves_the_same() -> None:
    new = lease_scenario(mutant="no_lease").run(until=300.0)
    with pytest.warns(DeprecationWarning, match=r"lease=math.inf\) is deprecated: write "):
        old = lease_scenario(lease=math.inf).run(until=300.0)
    assert [str(op) for op in old.history.operations()] == [
        str(op) for op in new.history.operations()
    ]
    with pytest.warns(DeprecationWarning, match="mutant='no_lease'"):
        assert repr(chain_system(lease=math.inf)) == repr(chain_system(mutant="no_lease"))
    with pytest.warns(DeprecationWarning, match="chain_mutant='no_lease'"):
        variant = ReplicationVariant(chain_lease=math.inf)
    assert variant == ReplicationVariant(chain_mutant="no_lease")
