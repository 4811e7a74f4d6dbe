"""dslib.queues.log and dslib.queues.checks: the Kafka-style log, its rules and its mutants."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dslib import Simulation
from dslib.core import Context
from dslib.queues import (
    Broker,
    BrokerState,
    Entry,
    Fetch,
    FetchReply,
    LeaderAndIsr,
    LogConfig,
    Produce,
    ProduceReply,
    Replica,
    final_logs,
    log_system,
    partition_for,
    sends_and_receives,
)
from dslib.queues.checks import (
    catch_rate,
    faulty_run,
    isolation_scenario,
    judge,
    mutant_report,
    no_duplicates,
    no_lost_acknowledged,
    read_committed,
    safe_config,
)
from dslib.sim.nemesis import Crash, Heal, Nemesis, Partition, Restart


# -- configuration ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"min_insync": 4}, ValueError, "min_insync=4 exceeds replication_factor=3"),
        ({"replication_factor": 4}, ValueError, "allowed: 1 to 3"),
        ({"session_timeout": -1.0}, ValueError, "must be > 0"),
        ({"fetch_interval": 0}, ValueError, "must be > 0"),
        ({"retry_timeout": float("nan")}, TypeError, "finite number"),
        ({"acks": "some"}, ValueError, "allowed: 0, 1 or 'all'"),
        ({"acks": True}, ValueError, "allowed: 0, 1 or 'all'"),
        ({"partitioner": "random"}, ValueError, "allowed: \\['key', 'round-robin'\\]"),
        ({"mutant": "typo"}, ValueError, "unknown mutant 'typo'"),
        ({"brokers": 0}, ValueError, "brokers=0 must be >= 1"),
        ({"unclean": 1}, TypeError, "True or False"),
    ],
)
def test_bad_configuration_is_an_error_that_says_what_is_allowed(options, error, match) -> None:
    with pytest.raises(error, match=match):
        LogConfig(**options)


def test_log_system_rejects_config_and_options_together() -> None:
    with pytest.raises(TypeError, match="not both"):
        log_system(LogConfig(), acks=1)
    with pytest.raises(TypeError, match="must be a LogConfig"):
        log_system({"acks": 1})  # type: ignore[arg-type]


# -- the rules, in runs without faults --------------------------------------------------------
def quiet_run(config: LogConfig, until: float = 300.0) -> Simulation:
    return Simulation(log_system(config), seed=0).run(until=until)


def test_without_faults_everything_is_acknowledged_read_once_and_replicated() -> None:
    config = LogConfig(partitions=3, messages=12)
    sim = quiet_run(config)
    sends, _ = sends_and_receives(sim.states)
    assert all(s.acknowledged for s in sends) and len(sends) == 12
    assert judge(sim).ok
    for p in range(3):
        logs = {b: sim.states[b].replicas[p].log for b in config.replicas(p)}
        assert len(set(logs.values())) == 1  # every replica holds the same log
        assert sim.states[config.replicas(p)[0]].replicas[p].isr == tuple(sorted(logs))


def test_same_key_same_partition_and_round_robin_spreads() -> None:
    config = LogConfig(partitions=3, messages=9, keys=3)
    sends, _ = sends_and_receives(quiet_run(config).states)
    assert all(s.partition == partition_for(s.key, 3) for s in sends)
    spread, _ = sends_and_receives(quiet_run(replace(config, partitioner="round-robin")).states)
    assert [s.partition for s in spread] == [0, 1, 2] * 3


def isolate_b3(config: LogConfig, heal_at: float | None) -> Simulation:
    rest = ("b1", "b2", "controller", "p1", "reader")
    schedule = [(20.0, Partition((("b3",), rest)))]
    if heal_at is not None:
        schedule.append((heal_at, Heal()))
    return Simulation(log_system(config), seed=0, nemesis=Nemesis(schedule))


def test_isr_shrinks_when_a_follower_lags_and_grows_when_it_catches_up() -> None:
    config = LogConfig(messages=30)
    sim = isolate_b3(config, heal_at=100.0).run(until=90.0)
    assert sim.states["controller"].partitions[0].isr == ("b1", "b2")
    assert sim.states["b1"].replicas[0].isr == ("b1", "b2")
    sim.run(until=200.0)
    assert sim.states["controller"].partitions[0].isr == ("b1", "b2", "b3")
    assert sim.states["b3"].replicas[0].log == sim.states["b1"].replicas[0].log


def test_min_insync_refuses_acks_all_when_the_isr_is_too_small() -> None:
    config = LogConfig(messages=30, min_insync=3)
    sim = isolate_b3(config, heal_at=None).run(until=150.0)
    sends, _ = sends_and_receives(sim.states)
    acked = [s.message for s in sends if s.acknowledged]
    assert acked and len(acked) < 5  # only what was committed before b3 left the ISR
    loose, _ = sends_and_receives(isolate_b3(replace(config, min_insync=2), None).run(150.0).states)
    assert sum(s.acknowledged for s in loose) > 3 * len(acked)


def test_clean_election_waits_unclean_election_loses_committed_records() -> None:
    clean = isolation_scenario(safe_config())
    ((when, *election),) = clean.states["controller"].elections
    assert when >= 150.0 and election == [0, "b1", 2, False]  # offline until b1 is back
    assert judge(clean).ok
    unclean = isolation_scenario(safe_config(unclean=True))
    (when, partition, leader, epoch, was_unclean), *_ = unclean.states["controller"].elections
    assert (partition, leader, epoch, was_unclean) == (0, "b3", 1, True)
    assert 90.0 < when < 120.0
    assert judge(unclean).counts()["lost"] > 0


def test_a_former_leader_truncates_to_the_new_leaders_log() -> None:
    sim = isolation_scenario(safe_config(unclean=True))
    logs = [sim.states[b].replicas[0].log for b in ("b1", "b2", "b3")]
    assert logs[0] == logs[1] == logs[2]  # b1 and b2 dropped what b3 never had
    assert all(e.epoch in (0, 1) for e in logs[0])


def test_leader_crash_elects_a_follower_from_the_isr_with_a_new_epoch() -> None:
    config = LogConfig(messages=20)
    sim = Simulation(
        log_system(config), seed=0, nemesis=Nemesis([(40.0, Crash("b1")), (120.0, Restart("b1"))])
    ).run(until=400.0)
    elections = sim.states["controller"].elections
    assert [(p, leader, epoch, unclean) for _, p, leader, epoch, unclean in elections] == [
        (0, "b2", 1, False)
    ]
    assert judge(sim).ok
    assert final_logs(sim.states, config)[0] == sim.states["b1"].replicas[0].log


# -- rules one handler call at a time ---------------------------------------------------------
def leader_state(log: tuple[Entry, ...] = ()) -> BrokerState:
    lead = Replica(log=log, leader="b1", epoch=2, isr=("b1",), isr_version=0)
    return BrokerState((lead,))


def test_an_idempotent_retry_is_written_once() -> None:
    broker = Broker(LogConfig(min_insync=1))
    ctx = Context("b1", ("b1", "b2", "b3", "controller", "p1"))
    state = leader_state()
    send = Produce(0, "k0", "p1-0", "all", "p1", 0)
    state = broker.on_message(ctx, state, "p1", send)
    state = broker.on_message(ctx, state, "p1", send)
    assert [e.value for e in state.replicas[0].log] == ["p1-0"]
    assert ctx.sent.count(("p1", ProduceReply(0, "p1-0", None, 0))) == 2
    plain = Produce(0, "k0", "p1-0", "all")
    state = broker.on_message(ctx, state, "p1", plain)
    assert len(state.replicas[0].log) == 2  # without producer id the leader cannot tell


def test_fetch_from_a_diverged_follower_gets_the_epoch_end_and_it_truncates() -> None:
    # follower: offsets 0-1 of epoch 0, then offset 2 written by a leader of epoch 1 that
    # was deposed before anyone copied it; the new leader (epoch 2) never had it.
    follower_log = (Entry(0, "k", "a"), Entry(0, "k", "b"), Entry(1, "k", "lost"))
    leader_log = (Entry(0, "k", "a"), Entry(0, "k", "b"), Entry(2, "k", "c"), Entry(2, "k", "d"))
    assert Replica(log=leader_log).epoch_end(1) == (0, 2)
    broker = Broker(LogConfig())
    ctx = Context("b1", ("b1", "b2", "b3", "controller"))
    broker.on_message(ctx, leader_state(leader_log), "b2", Fetch(0, 3, 2, 1))
    ((dst, reply),) = [s for s in ctx.sent if isinstance(s[1], FetchReply)]
    assert dst == "b2" and reply.diverging == (0, 2)
    follower = BrokerState((Replica(log=follower_log, leader="b1", epoch=2, isr=("b1",)),))
    fctx = Context("b2", ("b1", "b2", "b3", "controller"))
    after = Broker(LogConfig()).on_message(fctx, follower, "b1", reply)
    assert [e.value for e in after.replicas[0].log] == ["a", "b"]


def test_a_stale_leader_and_isr_is_ignored() -> None:
    broker = Broker(LogConfig())
    ctx = Context("b2", ("b1", "b2", "b3", "controller"))
    state = BrokerState((Replica(leader="b3", epoch=4, isr=("b2", "b3"), isr_version=7),))
    assert (
        broker.on_message(ctx, state, "controller", LeaderAndIsr(0, "b1", 3, ("b1",), 9)) == state
    )


# -- faults, mutants, determinism --------------------------------------------------------------
def test_safe_configuration_loses_and_duplicates_nothing_under_faults() -> None:
    for seed in range(25):
        result = judge(faulty_run(safe_config(), seed))
        assert result.ok, (seed, result.summary())


def test_weaker_configurations_lose_or_duplicate_on_some_seed() -> None:
    assert not no_lost_acknowledged(safe_config(acks=1)).ok
    assert not no_duplicates(safe_config(idempotent=False)).ok


def test_every_mutant_is_caught_by_its_named_check() -> None:
    report = mutant_report(seeds=10)
    assert report.problems() == []
    frame = report.to_frame()
    assert list(frame["mutant"])[1:] == [
        "ack_before_isr",
        "hw_past_isr",
        "retry_without_idempotence",
        "unclean_election",
    ]


def test_checks_report_the_first_failing_run() -> None:
    outcome = read_committed(safe_config(mutant="hw_past_isr"))
    assert not outcome.ok
    assert outcome.detail.startswith("seed 1: read 'p1-16' at partition 0 offset 16;")
    assert catch_rate(safe_config(), range(3)) == (0, 3)


def test_same_seed_same_run() -> None:
    a = faulty_run(safe_config(acks=1), 7)
    b = faulty_run(safe_config(acks=1), 7)
    assert a.states == b.states and a.events == b.events


def test_run_builders_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="allowed: any of \\['crash', 'partition'"):
        faulty_run(safe_config(), 0, kinds=("earthquake",))
    with pytest.raises(TypeError, match="must be a LogConfig"):
        faulty_run({"acks": 1}, 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="brokers=5; it needs 3"):
        isolation_scenario(safe_config(brokers=5))
