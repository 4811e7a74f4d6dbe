"""Hypothesis draws fault schedules; the Raft key-value store must stay linearizable under each."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings

from dslib.raft import RaftConfig
from dslib.raft.checks import (
    HYPOTHESIS_IDS,
    fault_schedule_strategy,
    run_schedule,
    search_schedules,
)
from dslib.raft.kv import run_kv
from dslib.sim import Nemesis, Network, uniform
from dslib.testing.strategies import fault_schedules

SETTINGS = settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@SETTINGS
@given(fault_schedule_strategy())
def test_store_survives_any_fault_schedule(schedule: list[tuple[float, Any]]) -> None:
    run = run_schedule(RaftConfig(snapshot_every=5), schedule)
    assert run.verdict == "ok", (schedule, run)
    assert run.ops["ok"] + run.ops["info"] == 30  # every operation ended


FIVE = ("c1", "c2", "c3", "s1", "s2", "s3", "s4", "s5")


@SETTINGS
@given(
    fault_schedules(
        FIVE,
        kinds=("crash", "partition", "loss", "duplication", "clock"),
        max_episodes=5,
        horizon=800,
        max_duration=300,
        crashable=FIVE[3:],
    )
)
def test_five_servers_with_reordering_and_skew(schedule: list[tuple[float, Any]]) -> None:
    run = run_kv(
        1,
        servers=5,
        clients=3,
        ops=12,
        nemesis=Nemesis(schedule),
        config=RaftConfig(snapshot_every=8),
        network=Network(latency=uniform(0.5, 10.0), duplication=0.02),  # heavy reordering
        think=30.0,
        give_up=300.0,
        timeout=50.0,
        check_every=10.0,
    )
    assert run.verdict == "ok", (schedule, run)
    assert run.lost == () and run.doubled == ()


def test_the_search_finds_retries_applied_twice_and_nothing_in_correct_raft() -> None:
    assert search_schedules(RaftConfig(), max_examples=40).ok
    out = search_schedules(replace(RaftConfig(), mutant="no_sessions"), max_examples=40)
    assert not out.ok and "faults:" in out.detail


def test_strategy_covers_the_fault_kinds() -> None:
    from hypothesis import find

    for kind in ("Crash", "Partition", "NetworkChange"):

        def has(s: list[tuple[float, Any]], kind: str = kind) -> bool:
            return any(type(f).__name__ == kind for _, f in s)

        sched = find(
            fault_schedule_strategy(), has, settings=settings(database=None, derandomize=True)
        )
        assert any(type(f).__name__ == kind for _, f in sched)
        for _, f in sched:  # a partition places every node, clients too
            groups = getattr(f, "groups", None)
            if groups is not None:
                assert sorted(n for g in groups for n in g) == sorted(HYPOTHESIS_IDS)
