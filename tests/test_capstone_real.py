"""The capstone store as real processes (dslib.capstone.real.run_capstone).

One short run with a fixed schedule that kills, pauses and partitions while the admin
moves shards; the checks that read final states are tested on hand-made states. The
longer random runs are for the shell (``python -m dslib.capstone.real --seconds 60``).
Nothing asserts a duration.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.capstone.real import (
    agreed,
    configs_in_logs,
    one_home_in_logs,
    run_capstone,
    settled_states,
)
from dslib.capstone.shardkv import group_state, run_shardkv
from dslib.raft.core import Command, Entry, RaftState, Snapshot
from dslib.sharding.controller import Config
from dslib.sim import Crash, Heal, Partition, Pause, Restart


def test_the_capstone_on_real_processes_under_kill_pause_and_partition_passes(
    tmp_path: Path,
) -> None:
    everyone = ["admin", "b1", "c1", "c2", "ctrl1", "ctrl2", "ctrl3", "g1-1", "g1-2", "g1-3"]
    everyone += ["g2-1", "g2-2", "g2-3"]
    alone = ("g1-2", "ctrl3")
    schedule = [
        (500.0, Crash("g1-1")),
        (1100.0, Restart("g1-1")),
        (1300.0, Pause("ctrl1", 400.0)),
        (1900.0, Partition((alone, tuple(n for n in everyone if n not in alone)))),
        (2500.0, Heal()),
        (2600.0, Crash("g2-2")),
        (3100.0, Restart("g2-2")),
    ]
    run = run_capstone(2, 2, seconds=3.3, schedule=schedule, settle=1.0, directory=tmp_path)
    assert run.verdict == "ok", run.summary() + "\n" + "\n".join(run.broken)
    assert run.lost == () and run.doubled == () and run.broken == ()
    assert run.stats["ok"] > 20
    transfers = [op for op in run.history.operations() if op.f == "transfer"]
    assert transfers and all(op.status == "ok" for op in transfers)  # judged by the bank total
    # Every fault of the schedule was applied (late if a restart was slow, never dropped).
    assert [t for t, _ in run.faults] == [
        500.0,
        1100.0,
        1300.0,
        1700.0,
        1900.0,
        2500.0,
        2600.0,
        3100.0,
    ]
    kinds = {what.split("(")[0] for _, what in run.faults}
    assert {"Crash", "Restart", "Pause", "Partition", "Heal"} <= kinds
    assert list(tmp_path.iterdir()) == []


def test_the_final_state_checks_agree_with_the_simulators_on_a_simulated_run() -> None:
    # The real run's checks read only final states; on a simulated run, where the trace
    # gives the simulator's own checks, they must agree.
    run = run_shardkv(seed=2, clients=2, ops=10)
    assert run.verdict == "ok"
    states = run.sim.states
    assert agreed(states, run.groups)
    assert settled_states(states, run.groups) == ()
    assert one_home_in_logs(states, run.groups) == ()
    logged = configs_in_logs(states, run.groups)
    assert max(logged) == run.configs[-1].num


def test_a_controller_that_reuses_a_number_is_caught_from_the_logs() -> None:
    for seed in range(6):
        run = run_shardkv(seed=seed, clients=2, ops=10, mutant="controller_reuses_number")
        if not run.home.ok:
            found = one_home_in_logs(run.sim.states, run.groups)
            assert found, run.home.detail
            return
    pytest.fail("no seed of 0..5 gave the mutant two homes in the simulator")


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="kinds \\['flood'\\]"):
        run_capstone(kinds=("flood",))
    with pytest.raises(ValueError, match="give 1 <= groups <= shards"):
        run_capstone(groups=5, shards=4)


configs = st.builds(
    Config,
    st.integers(1, 3),
    st.tuples(st.sampled_from(["g1", "g2"]), st.sampled_from(["g1", "g2"])),
    st.just(("g1", "g2")),
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["g1-1", "g1-2", "g2-1"]), st.lists(configs, max_size=3)))
def test_one_home_from_the_logs_agrees_with_a_brute_force_over_pairs(
    logs: dict[str, list[Config]],
) -> None:
    groups = {"g1": ["g1-1", "g1-2"], "g2": ["g2-1"]}
    states = {
        server: RaftState(
            log=tuple(Entry(1, Command(server, i, ("config", c))) for i, c in enumerate(cs))
        )
        for server, cs in logs.items()
    }
    every = [c for cs in logs.values() for c in cs]
    expected = sorted(
        {
            (a.num, shard)
            for a in every
            for b in every
            if a.num == b.num
            for shard in range(2)
            if a.shards[shard] != b.shards[shard]
        }
    )
    found = one_home_in_logs(states, groups)
    assert len(found) == len(expected)
    for (num, shard), text in zip(expected, found, strict=True):
        assert text.startswith(f"shard {shard} in configuration {num}: groups ")


def test_settled_states_names_a_group_behind_and_a_shard_held_by_a_stranger() -> None:
    run = run_shardkv(seed=2, clients=1, ops=4)
    states = dict(run.sim.states)
    assert settled_states(states, run.groups) == ()
    leader = next(s for s in run.groups["g1"] if states[s].role == "leader")
    machine = group_state(states[leader])
    behind = replace(machine, config=run.configs[-2])
    states[leader] = replace(states[leader], machine=behind)
    assert settled_states(states, run.groups) == (
        f"group g1 is at configuration {run.configs[-2].num} of {run.configs[-1].num}",
    )
    stranger = next(i for i, g in enumerate(run.configs[-1].shards) if g != "g1")
    shards = list(machine.shards)
    shards[stranger] = replace(shards[stranger], status="leaving")
    states[leader] = replace(states[leader], machine=replace(machine, shards=tuple(shards)))
    assert settled_states(states, run.groups) == (f"group g1 holds shard {stranger} as leaving",)
    with pytest.raises(ValueError, match="compacted its log"):
        configs_in_logs(
            {"g1-1": replace(states[leader], snapshot=Snapshot(1, 1, None, ()))}, run.groups
        )
