"""Tests of dslib.architectures.client_server: backoff, the RPC client, the deduplicating
server under loss and duplication, and its mutants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Context, Simulation, System
from dslib.architectures.client_server import (
    DEDUP_CHECKS,
    DEDUP_MUTANTS,
    JITTERS,
    DedupServer,
    DedupState,
    RetryPolicy,
    RpcClient,
    backoff_delay,
    executions_by_call,
    executions_by_key,
    retry_experiment,
    retry_storm,
)
from dslib.basics import CounterServer
from dslib.mutants import assert_mutants_caught
from dslib.sim import Network, Reply, Request, uniform


@given(
    st.integers(0, 200),
    st.floats(0.01, 10),
    st.floats(0.01, 100),
    st.floats(0, 0.999),
    st.sampled_from(JITTERS),
)
@settings(max_examples=80, deadline=None)
def test_backoff_is_below_a_capped_doubling_ceiling(
    retry: int, base: float, cap: float, u: float, jitter: str
) -> None:
    cap = max(cap, base)
    delay = backoff_delay(retry, base, cap, u, jitter)
    ceiling = min(cap, base * 2.0 ** min(retry, 60))
    assert 0 <= delay <= ceiling + 1e-9
    if jitter == "none":
        assert delay == pytest.approx(ceiling)
    if jitter == "equal":
        assert delay >= ceiling / 2 - 1e-9


def test_backoff_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="retry"):
        backoff_delay(-1, 1.0, 2.0, 0.5)
    with pytest.raises(ValueError, match="base <= cap"):
        backoff_delay(1, 3.0, 2.0, 0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        backoff_delay(1, 1.0, 2.0, 1.0)
    with pytest.raises(ValueError, match="jitter"):
        backoff_delay(1, 1.0, 2.0, 0.5, "half")
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError, match="timeout"):
        RpcClient("s", [], RetryPolicy(timeout=None, attempts=2))
    with pytest.raises(ValueError, match="workload entry 0"):
        RpcClient("s", [3])


def test_dedup_server_answers_a_duplicate_with_the_first_reply() -> None:
    server, ctx = DedupServer(), Context("s", ("c1", "c2", "s"))
    s = server.on_message(ctx, DedupState(), "c1", Request("c1", 1, "incr", None, 2))
    s = server.on_message(ctx, s, "c2", Request("c2", 1, "incr", None, 3))
    again = server.on_message(ctx, s, "c1", Request("c1", 1, "incr", None, 2))
    assert again is s and s.counter == 5 and s.executions == 2
    assert ctx.sent[-1] == ("c1", Reply(1, True, 2))
    s = server.on_message(ctx, s, "c1", Request("c1", 2, "put", "k", "v"))
    s = server.on_message(ctx, s, "c1", Request("c1", 3, "get", "k", None))
    assert ctx.sent[-1] == ("c1", Reply(3, True, "v"))
    s = server.on_message(ctx, s, "c1", Request("c1", 4, "frob", None, None))
    assert ctx.sent[-1][1].ok is False


def _run(server: type, policy: RetryPolicy, seed: int, loss: float, dup: float) -> Simulation:
    nodes = {"server": server()}
    for c in ("c1", "c2"):
        nodes[c] = RpcClient("server", [("incr", 1)] * 8, policy)
    network = Network(uniform(0.5, 2.0), loss=loss, duplication=dup)
    return Simulation(System(nodes), seed=seed, network=network).run(until=10_000)


@given(st.integers(0, 10_000), st.floats(0, 0.4), st.floats(0, 0.4))
@settings(max_examples=25, deadline=None)
def test_exactly_once_effect_under_loss_and_duplication(seed: int, loss: float, dup: float) -> None:
    policy = RetryPolicy(timeout=6.0, attempts=30, base=1.0, cap=8.0)
    sim = _run(DedupServer, policy, seed, loss, dup)
    counts = executions_by_key(sim.trace, "server")
    assert all(v == 1 for v in counts.values())
    ops = sim.history.operations()
    assert all(op.status == "ok" for op in ops) and len(ops) == 16
    assert sim.states["server"].counter == 16


def test_without_dedup_retries_execute_twice() -> None:
    policy = RetryPolicy(timeout=3.0, attempts=8, base=1.0, cap=4.0)
    sim = _run(CounterServer, policy, seed=3, loss=0.3, dup=0.0)
    assert max(executions_by_key(sim.trace, "server").values()) >= 2
    assert sim.states["server"] > 16


def test_fresh_keys_defeat_deduplication() -> None:
    policy = RetryPolicy(timeout=3.0, attempts=8, base=1.0, cap=4.0, fresh_keys=True)
    sim = _run(DedupServer, policy, seed=3, loss=0.3, dup=0.0)
    assert max(executions_by_key(sim.trace, "server").values()) == 1
    assert max(executions_by_call(sim.trace, "server").values()) >= 2
    assert sim.states["server"].counter > 16


def test_no_timeout_blocks_and_no_retry_leaves_calls_unknown() -> None:
    rows = {r["configuration"]: r for r in retry_experiment(loss=0.2, calls=40, seed=2)}
    assert rows["no timeout"]["never finished"] > 0
    assert rows["timeout, no retry"]["unknown"] > 0
    assert rows["retries, fixed interval, no dedup"]["executed twice or more"] > 0
    assert rows["retries, fresh key per attempt, dedup"]["executed twice or more"] > 0
    best = rows["retries, backoff, keys, dedup"]
    assert best["executed twice or more"] == 0 and best["ok"] == best["calls"]
    assert best["counter"] == best["acknowledged"]


def test_jitter_breaks_up_the_retry_storm() -> None:
    fixed = retry_storm("none", clients=25, seed=1, queue=2)
    assert fixed["peak"] == 25  # all retries together
    # Attempts 6 to 12 (of 12) fall after the outage, all clients at once: each of these 7
    # waves gets queue + 1 = 3 requests in, and the rest are dropped and come back together.
    assert fixed["dropped"] == sum(25 - 3 * k for k in range(1, 8))
    assert fixed["gave up"] == 25 - 3 * 7
    for seed in range(1, 4):
        full = retry_storm("full", clients=25, seed=seed, queue=2)
        assert full["peak"] < fixed["peak"] / 2
        assert full["dropped"] < fixed["dropped"] / 4 and full["gave up"] == 0
        assert full["mean completion"] < fixed["mean completion"]
    with pytest.raises(ValueError, match="jitter"):
        retry_storm("some")
    with pytest.raises(ValueError, match="timeout"):
        retry_storm(capacity=1.0, queue=3)


def test_the_storm_costs_only_because_capacity_is_bounded() -> None:
    ample = retry_storm("none", clients=20, seed=1, capacity=100.0, queue=30)
    assert ample["peak"] == 20 and ample["dropped"] == 0 and ample["gave up"] == 0


def test_client_gives_up_after_its_attempts() -> None:
    client = RpcClient("server", [("incr", 1)], RetryPolicy(timeout=2.0, attempts=3))
    sim = Simulation(System({"client": client, "server": DedupServer()}))
    sim.crash("server")
    sim.run()
    (op,) = sim.history.operations()
    assert op.status == "info" and sim.states["client"].sent == 3
    assert math.isfinite(op.complete_time)


def test_dedup_mutants_are_caught() -> None:
    report = assert_mutants_caught(lambda: DedupServer, DEDUP_MUTANTS, DEDUP_CHECKS)
    assert {m.name for m in report.mutants} == {"no-dedup", "key-by-request-id", "silent-duplicate"}


def _calls_by_client_state(sim: Simulation) -> dict[tuple[str, int], tuple[str, int]]:
    """Independent oracle: the client's own state names the first attempt of its current
    call (``first_id``); call k's attempts are the request ids from the k-th first id on."""
    firsts: dict[str, list[int]] = {}
    for e in sim.trace.entries:
        if e[1] == "state" and e[2] != "server" and e[4].waiting:
            ids = firsts.setdefault(e[2], [])
            if not ids or ids[-1] != e[4].first_id:
                ids.append(e[4].first_id)
    out = {}
    for client, ids in firsts.items():
        for rid in {
            e[4].request_id for e in sim.trace.entries if e[1] == "send" and e[2] == client
        }:
            k = max(i for i, first in enumerate(ids, start=1) if first <= rid)
            out[(client, rid)] = (client, k)
    return out


@given(st.integers(0, 10_000), st.floats(0, 0.4), st.floats(0, 0.3))
@settings(max_examples=25, deadline=None)
def test_executions_are_attributed_to_the_call_that_sent_them(
    seed: int, loss: float, dup: float
) -> None:
    # Fresh keys: every attempt has its own request id, so only the client knows the call.
    policy = RetryPolicy(timeout=3.0, attempts=6, base=1.0, cap=4.0, fresh_keys=True)
    sim = _run(DedupServer, policy, seed, loss, dup)
    by_key = executions_by_key(sim.trace, "server")
    by_call = executions_by_call(sim.trace, "server")
    oracle = _calls_by_client_state(sim)
    expected: dict[tuple[str, int], int] = {}
    for key, n in by_key.items():
        expected[oracle[key]] = expected.get(oracle[key], 0) + n
    assert dict(by_call) == expected
    assert sum(by_call.values()) == sum(by_key.values())
    for client in ("c1", "c2"):
        acknowledged = [
            k
            for k, op in enumerate(
                (op for op in sim.history.operations() if op.process == client), start=1
            )
            if op.status == "ok"
        ]
        assert all(by_call[(client, k)] >= 1 for k in acknowledged)
