"""dslib.queues.log's producer batching and request costs, and dslib.queues.performance."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib import Simulation
from dslib.core import Context
from dslib.queues import (
    Broker,
    BrokerState,
    LogConfig,
    Produce,
    ProduceReply,
    Replica,
    log_system,
    sends_and_receives,
)
from dslib.queues.checker import check_queue
from dslib.queues.checks import faulty_run, judge, safe_config
from dslib.queues.performance import (
    PERFORMANCE_WORKLOAD,
    measure,
    performance_run,
    performance_table,
)


# -- configuration ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"batch_size": 0}, ValueError, "batch_size=0 must be >= 1"),
        ({"batch_size": 2.5}, TypeError, "batch_size=2.5 must be an int"),
        ({"batch_size": True}, TypeError, "must be an int"),
        ({"linger": -1.0}, ValueError, "linger=-1.0 must be >= 0"),
        ({"linger": float("inf")}, TypeError, "linger=inf must be a finite number"),
        ({"request_cost": -0.5}, ValueError, "request_cost=-0.5 must be >= 0"),
        ({"record_cost": "1"}, TypeError, "record_cost='1' must be a finite number"),
    ],
)
def test_bad_batching_settings_are_errors_that_say_what_is_allowed(options, error, match) -> None:
    with pytest.raises(error, match=match):
        LogConfig(**options)


def test_zero_linger_and_costs_are_allowed_and_are_the_defaults() -> None:
    c = LogConfig()
    assert (c.batch_size, c.linger, c.request_cost, c.record_cost) == (1, 0.0, 0.0, 0.0)
    assert c.serves_at_once and not LogConfig(record_cost=0.1).serves_at_once


# -- the producer -----------------------------------------------------------------------------
def run(config: LogConfig, until: float = 300.0, seed: int = 1) -> Simulation:
    return Simulation(log_system(config), seed=seed).run(until=until)


def produce_requests(sim: Simulation) -> list[Produce]:
    """The produce requests the producer sent, in order."""
    return [e.data for e in sim.trace if e.kind == "send" and isinstance(e.data, Produce)]


def test_default_producer_sends_one_record_per_request() -> None:
    sim = run(LogConfig(messages=6))
    assert sim.states["p1"].requests == 6
    assert all(m.size == 1 for m in produce_requests(sim))


def test_a_batch_is_one_request_acknowledged_at_once() -> None:
    # 12 records, one every 0.5 units; a batch leaves when 4 are waiting
    config = LogConfig(messages=12, send_interval=0.5, batch_size=4, linger=50.0)
    sim = run(config)
    state = sim.states["p1"]
    sizes = [m.size for m in produce_requests(sim)]
    assert sizes == [4, 4, 4]
    assert state.requests == 3
    # acks apply to the batch: its records are acknowledged at the same moment
    assert len(set(state.acked_at[:4])) == 1 and len(set(state.acked_at[4:8])) == 1
    sends, receives = sends_and_receives(sim.states)
    assert check_queue(sends, receives, ("exactly-once", "per-key order")).ok


def test_linger_sends_a_batch_that_is_not_full() -> None:
    config = LogConfig(messages=3, send_interval=1.0, batch_size=10, linger=4.0)
    sim = run(config, until=100.0)
    state = sim.states["p1"]
    # three records made at 1, 2, 3; the first has waited 4 units at time 5: one batch of 3
    assert [m.size for m in produce_requests(sim)] == [3]
    assert state.made_at == (1.0, 2.0, 3.0)
    assert all(t is not None and t > 5.0 for t in state.acked_at)


def test_acks_zero_with_batches_counts_each_batch_as_sent() -> None:
    config = LogConfig(messages=8, send_interval=1.0, acks=0, batch_size=4, linger=10.0)
    state = run(config, until=100.0).states["p1"]
    assert all(acked for *_, acked in state.sends)
    assert state.acked_at[:4] == (state.made_at[3],) * 4  # sent when the fourth was made


def test_request_cost_delays_the_answer_by_the_service_time() -> None:
    # record made at 5, at the leader at 6, served for 2 + 0.5 units, answered at 9.5
    config = LogConfig(messages=1, acks=1, request_cost=2.0, record_cost=0.5)
    state = run(config, until=50.0).states["p1"]
    assert state.made_at == (5.0,) and state.acked_at == (9.5,)


def test_the_leader_serves_requests_one_at_a_time() -> None:
    broker = Broker(LogConfig(min_insync=1, acks=1, request_cost=1.0))
    ctx = Context("b1", ("b1", "b2", "b3", "controller", "p1", "p2"))
    state = BrokerState((Replica(leader="b1", epoch=0, isr=("b1",), isr_version=0),))
    state = broker.on_message(ctx, state, "p1", Produce(0, "k", "a", 1))
    state = broker.on_message(ctx, state, "p2", Produce(0, "k", "b", 1))
    assert state.replicas[0].log == () and len(state.requests) == 2
    assert ctx.timers_set == [("serve", 1.0)]  # armed once, for the first request
    ctx = Context("b1", ("b1", "b2", "b3", "controller", "p1", "p2"))
    state = broker.on_timer(ctx, state, "serve")
    assert [e.value for e in state.replicas[0].log] == ["a"]
    assert ("p1", ProduceReply(0, "a", None, 0)) in ctx.sent
    assert ctx.timers_set == [("serve", 1.0)] and len(state.requests) == 1


# -- idempotence per record, against an oracle ------------------------------------------------
def leader() -> BrokerState:
    return BrokerState((Replica(leader="b1", epoch=0, isr=("b1",), isr_version=0),))


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(1, 4)),  # (first seq, size) of each request
        max_size=8,
    )
)
def test_the_leader_writes_each_sequence_number_once_whatever_batches_repeat(requests) -> None:
    """Oracle: a record is appended iff its sequence number is above every one appended
    before (the producer's numbers only grow), so the log is the increasing run of new
    sequence numbers, each once."""
    broker = Broker(LogConfig(min_insync=1))
    ctx = Context("b1", ("b1", "b2", "b3", "controller", "p1"))
    state = leader()
    want: list[int] = []
    for first, size in requests:
        seqs = list(range(first, first + size))
        records = tuple(("k", f"v{s}", s) for s in seqs)
        msg = Produce(0, "k", f"v{first}", 1, "p1", first, more=records[1:])
        state = broker.on_message(ctx, state, "p1", msg)
        for s in seqs:
            if not want or s > want[-1]:
                want.append(s)
    assert [e.seq for e in state.replicas[0].log] == want


def test_a_retried_batch_is_written_once_and_answered_for_the_whole_batch() -> None:
    broker = Broker(LogConfig(min_insync=1))
    ctx = Context("b1", ("b1", "b2", "b3", "controller", "p1"))
    batch = Produce(0, "k0", "p1-0", 1, "p1", 0, more=(("k1", "p1-1", 1), ("k2", "p1-2", 2)))
    state = broker.on_message(ctx, leader(), "p1", batch)
    state = broker.on_message(ctx, state, "p1", batch)
    assert [e.value for e in state.replicas[0].log] == ["p1-0", "p1-1", "p1-2"]
    assert ctx.sent.count(("p1", ProduceReply(0, "p1-0", None, 0, 3))) == 2
    plain = replace(batch, producer_id=None, seq=None, more=(("k1", "p1-1", None),))
    state = broker.on_message(ctx, state, "p1", plain)
    assert len(state.replicas[0].log) == 5  # without producer id the leader cannot tell


# -- under faults -----------------------------------------------------------------------------
BATCHED = {"batch_size": 4, "linger": 2.0, "send_interval": 1.0, "request_cost": 0.3}


def test_batched_safe_configuration_keeps_exactly_once_under_faults() -> None:
    for seed in range(4):
        assert judge(faulty_run(safe_config(**BATCHED), seed)).ok, seed


def test_batched_plain_producer_duplicates_under_faults() -> None:
    # the check can fail: a resent batch without sequence numbers is written twice
    counts = [
        judge(faulty_run(safe_config(idempotent=False, **BATCHED), seed)).counts()["duplicated"]
        for seed in range(3)
    ]
    assert sum(counts) > 0


def test_batched_mutant_retry_without_idempotence_duplicates() -> None:
    config = safe_config(mutant="retry_without_idempotence", **BATCHED)
    assert any(not judge(faulty_run(config, seed), "at-most-once").ok for seed in range(3))


# -- performance ------------------------------------------------------------------------------
def test_measure_reads_times_from_the_states() -> None:
    # records made at 5, 10, 15; acks=1: at the leader 1 unit later, answered 1 unit after
    row = measure(performance_run(LogConfig(messages=3, acks=1)))
    assert (row["records"], row["acknowledged"], row["read"]) == (3, 3, 3)
    assert row["ack p50"] == row["ack p99"] == 2.0
    assert row["throughput"] == round(1000 * 3 / (17.0 - 5.0), 1)


def test_batching_amortises_the_per_request_cost() -> None:
    base = LogConfig(**{**PERFORMANCE_WORKLOAD, "messages": 60})
    table = performance_table(acks=[1, "all"], batch_sizes=[1, 8], base=base).set_index(
        ["acks", "batch_size"]
    )
    assert (table["acknowledged"] == 60).all()
    for acks in ("1", "all"):
        one, eight = table.loc[(acks, 1)], table.loc[(acks, 8)]
        assert one["records per request"] == 1.0 and eight["records per request"] > 2
        assert eight["throughput"] > 2 * one["throughput"]
        assert eight["ack p99"] < one["ack p99"]
    # acks=all waits for the followers: slower than acks=1 at the same batch size
    assert table.loc[("all", 1), "ack p50"] > table.loc[("1", 1), "ack p50"]


def test_performance_run_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="must be a LogConfig"):
        performance_run({"acks": 1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="until=-1 must be a number > 0"):
        performance_run(LogConfig(), until=-1)
    with pytest.raises(ValueError, match="batch_size=0 must be >= 1"):
        performance_table(batch_sizes=[0])
