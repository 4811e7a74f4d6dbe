"""dslib.queues.groups: assignors, rebalancing, fencing, commit policies and their mutant."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Simulation
from dslib.core import Context
from dslib.queues.groups import (
    ASSIGNORS,
    CommitReply,
    Coordinator,
    CoordinatorState,
    GroupConfig,
    OffsetCommit,
    consumer_crash_scenario,
    group_catch_rate,
    group_run,
    group_system,
    judge_group,
    range_assignment,
    round_robin_assignment,
)
from dslib.queues.log import LogConfig
from dslib.sim.nemesis import Nemesis, Pause


# -- assignors --------------------------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from([f"c{i}" for i in range(8)]), min_size=1, max_size=8, unique=True),
    st.integers(0, 12),
    st.sampled_from(sorted(ASSIGNORS)),
)
def test_every_partition_has_one_owner_and_loads_differ_by_at_most_one(members, n, name) -> None:
    assignment = ASSIGNORS[name](members, n)
    assert sorted(assignment) == sorted(members)
    owned = sorted(p for parts in assignment.values() for p in parts)
    assert owned == list(range(n))
    sizes = [len(parts) for parts in assignment.values()]
    assert max(sizes) - min(sizes) <= 1
    if name == "range":  # contiguous blocks, in the members' sorted order
        flat = [p for m in sorted(members) for p in assignment[m]]
        assert flat == list(range(n))


def test_range_and_round_robin_differ_as_kafkas_do() -> None:
    assert range_assignment(["b", "a"], 3) == {"a": (0, 1), "b": (2,)}
    assert round_robin_assignment(["b", "a"], 3) == {"a": (0, 2), "b": (1,)}


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"assignor": "sticky"}, ValueError, "allowed: \\['range', 'round-robin'\\]"),
        ({"policy": "exactly-once"}, ValueError, "allowed: \\['at-most-once'"),
        ({"session_timeout": -5.0}, ValueError, "must be > 0"),
        ({"heartbeat": "3"}, TypeError, "finite number"),
        ({"batch": 0}, ValueError, "batch=0 must be an int >= 1"),
        ({"mutant": "typo"}, ValueError, "unknown mutant"),
        ({"log": {"partitions": 2}}, TypeError, "must be a LogConfig"),
    ],
)
def test_bad_group_configuration_says_what_is_allowed(options, error, match) -> None:
    with pytest.raises(error, match=match):
        GroupConfig(**options)


def test_assignors_reject_repeated_members() -> None:
    with pytest.raises(ValueError, match="distinct strings"):
        range_assignment(["a", "a"], 2)


# -- membership, rebalancing, fencing ----------------------------------------------------------
def test_a_member_that_misses_heartbeats_is_dropped_and_rejoins() -> None:
    config = GroupConfig()
    sim = Simulation(group_system(config), seed=0, nemesis=Nemesis([(50.0, Pause("c2", 40.0))]))
    sim.run(until=49.0)
    before = sim.states["coordinator"]
    assert dict(before.assignment) == {"c1": (0, 1), "c2": (2,)}
    sim.run(until=80.0)
    during = sim.states["coordinator"]
    assert dict(during.assignment) == {"c1": (0, 1, 2)}
    assert during.generation > before.generation
    sim.run(until=600.0)
    after = sim.states["coordinator"]
    assert dict(after.assignment) == {"c1": (0, 1), "c2": (2,)}
    assert judge_group(sim).ok


def test_a_commit_from_an_old_generation_is_refused() -> None:
    coordinator = Coordinator(GroupConfig())
    ctx = Context("coordinator", ("coordinator", "c1", "c2"))
    state = CoordinatorState(
        members=(("c1", 0.0), ("c2", 0.0)),
        generation=5,
        assignment=(("c1", (0, 1)), ("c2", (2,))),
        offsets=(0, 0, 0),
    )
    stale = coordinator.on_message(ctx, state, "c2", OffsetCommit(4, 2, 9))
    assert stale.offsets == (0, 0, 0) and ctx.sent[-1] == ("c2", CommitReply(2, 9, False))
    foreign = coordinator.on_message(ctx, state, "c2", OffsetCommit(5, 0, 9))
    assert foreign.offsets == (0, 0, 0)
    fresh = coordinator.on_message(ctx, state, "c2", OffsetCommit(5, 2, 9))
    assert fresh.offsets == (0, 0, 9) and ctx.sent[-1] == ("c2", CommitReply(2, 9, True))


# -- commit policies under consumer crashes and pauses -----------------------------------------
@pytest.mark.parametrize(
    ("policy", "guarantee"),
    [
        ("at-most-once", "at-most-once"),
        ("at-least-once", "at-least-once"),
        ("effectively-once", "exactly-once"),
    ],
)
def test_each_policy_keeps_its_guarantee(policy, guarantee) -> None:
    for seed in range(6):
        result = judge_group(group_run(GroupConfig(policy=policy), seed), guarantee)
        assert result.ok, (policy, seed, result.summary())


def test_the_weaker_policies_pay_with_loss_or_duplicates() -> None:
    at_most = judge_group(group_run(GroupConfig(policy="at-most-once"), 0), "at-least-once")
    assert at_most.counts()["lost"] == 2
    at_least = judge_group(group_run(GroupConfig(), 0), "exactly-once")
    assert at_least.counts()["duplicated"] == 5


def test_commit_before_processing_is_caught_by_the_lost_check() -> None:
    config = GroupConfig(mutant="commit_before_processing")
    result = judge_group(group_run(config, 2))  # at-least-once, as the policy claims
    assert not result.ok and result.counts()["lost"] == 1
    assert group_catch_rate(config, range(6), "at-least-once") == (4, 6)


def test_runs_print_the_same_under_any_pythonhashseed() -> None:
    import os
    import subprocess
    import sys

    code = (
        "from dslib.queues.groups import group_run\n"
        "from dslib.queues.workqueue import WorkQueueConfig, work_queue_run\n"
        "print(sorted(group_run(seed=5).states.items()))\n"
        "print(sorted(work_queue_run(WorkQueueConfig(fifo=True), 5).states.items()))\n"
    )
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


# -- a leader that crashes and stays down -------------------------------------------------------
def test_the_consumer_follows_a_new_leader_while_the_old_one_stays_down() -> None:
    """Regression: a consumer fetched from a crashed leader until it came back.

    A crashed broker answers nothing, so the consumer cannot learn from a reply that
    leadership moved; an unanswered fetch must make it ask the controller again.
    """
    from dslib.sim.nemesis import Crash
    from dslib.sim.network import Network

    config = GroupConfig()
    sim = Simulation(group_system(config), seed=0, network=Network(latency=1.0), record_trace=False)
    sim.at(40.0, Crash("b1"))  # leader of partition 0; never restarts
    sim.run(until=40.0)
    before = dict(sim.states["c1"].positions)[0]
    sim.run(until=60.0)  # the election takes about session_timeout + tick
    assert sim.states["controller"].partitions[0].leader != "b1"  # a new leader is elected
    elected = next(t for t, p, *_ in sim.states["controller"].elections if p == 0)
    sim.run(until=elected + 3 * config.retry_timeout)
    assert sim.states["c1"].leaders[0] == sim.states["controller"].partitions[0].leader
    assert dict(sim.states["c1"].positions)[0] > before  # it reads from the new leader
    sim.run(until=400.0)
    result = judge_group(sim)
    assert result.ok, result.summary()


def test_the_consumer_crash_scenario_catches_commit_before_processing_every_time() -> None:
    # deterministic: the crash falls between the commit and the write it covers
    broken = judge_group(consumer_crash_scenario(GroupConfig(mutant="commit_before_processing")))
    assert not broken.ok and broken.counts()["lost"] == 1
    correct = judge_group(consumer_crash_scenario())
    assert correct.ok and correct.counts()["duplicated"] == 1  # at-least-once may repeat
    with pytest.raises(TypeError, match="must be a GroupConfig"):
        consumer_crash_scenario(LogConfig())  # type: ignore[arg-type]
