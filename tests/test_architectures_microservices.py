"""Tests of dslib.architectures.microservices: the breaker, services, the cascade, sagas."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Context, Simulation
from dslib.architectures.microservices import (
    SAGA_CHECKS,
    SAGA_MUTANTS,
    BreakerState,
    CircuitBreaker,
    SagaOrchestrator,
    SagaParticipant,
    Service,
    breaker_allows,
    breaker_transition,
    cascade_experiment,
    saga_consistent,
    saga_system,
    shop_system,
)
from dslib.mutants import assert_mutants_caught
from dslib.sim import Network, Reply, Request, uniform

EVENTS = st.lists(
    st.tuples(st.sampled_from(["call", "success", "failure"]), st.integers(0, 8)), max_size=40
)


@given(EVENTS)
@settings(max_examples=80, deadline=None)
def test_breaker_invariants(events: list[tuple[str, int]]) -> None:
    b, now = BreakerState(), 0.0
    consecutive = 0
    for event, gap in events:
        now += gap
        before = b
        b = breaker_transition(b, event, now, 3, 10.0)
        assert b.mode in ("closed", "open", "half-open")
        assert 0 <= b.failures < 3
        if before.mode == "closed":
            consecutive = 0 if event == "success" else consecutive + (event == "failure")
            assert (b.mode == "open") == (consecutive >= 3)
            if b.mode == "open":
                consecutive = 0
        if before.mode == "open" and b.mode != "open":
            assert event == "call" and now - before.opened_at >= 10.0
        if event == "call":
            assert breaker_allows(before, b) == (
                b.mode == "closed" or (before.mode == "open" and b.mode == "half-open")
            )


def test_breaker_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="event"):
        breaker_transition(BreakerState(), "boom", 0.0, 3, 1.0)
    with pytest.raises(ValueError, match="threshold"):
        CircuitBreaker(threshold=0)
    with pytest.raises(ValueError, match="retries need a timeout"):
        Service({"x": []}, retries=1)


def test_the_slow_database_cascades_without_protection() -> None:
    none = cascade_experiment("none", requests=400, seed=2)
    assert none["browse ok"] < 0.5  # browsing never touches the database, yet it fails
    timeouts = cascade_experiment("timeouts", requests=400, seed=2)
    breakers = cascade_experiment("timeouts+breakers", requests=400, seed=2)
    assert timeouts["browse ok"] > none["browse ok"]
    assert breakers["browse ok"] >= 0.99 and breakers["fast failures"] > 0
    slow_p99 = max(b["browse p99"] for b in breakers["buckets"])
    assert slow_p99 < 2.0  # browsing stays fast: the breaker frees the gateway's workers
    healthy = cascade_experiment("none", requests=200, seed=2, slow=None)
    assert all(b["browse ok"] == 1.0 and b["buy ok"] == 1.0 for b in healthy["buckets"])


def test_a_full_queue_rejects_or_drops() -> None:
    for overflow, answer in (("reject", [("c", Reply(3, False, "overloaded"))]), ("drop", [])):
        service = Service({"get": []}, workers=1, queue=1, overflow=overflow)
        ctx = Context("s", ("s", "c"))
        state = service.init(ctx)
        for rid in (1, 2):
            state = service.on_message(ctx, state, "c", Request("c", rid, "get"))
        assert len(state.active) == 1 and len(state.queue) == 1 and ctx.sent == []
        state = service.on_message(ctx, state, "c", Request("c", 3, "get"))
        assert ctx.sent == answer and state.rejected == 1 and len(state.queue) == 1
    with pytest.raises(ValueError, match="allowed: reject, drop"):
        Service({"get": []}, overflow="ignore")


def test_shop_system_rejects_unknown_protection() -> None:
    with pytest.raises(ValueError, match="protection"):
        shop_system("prayer")


def test_saga_commits_or_compensates() -> None:
    sim = Simulation(saga_system([4, 7, 3], capacities=(10, 8, 10))).run()
    assert sim.states["orchestrator"].finished == (
        (1, "committed"),
        (2, "aborted"),
        (3, "committed"),
    )
    assert [sim.states[p].level for p in ("p1", "p2", "p3")] == [3, 1, 3]
    assert saga_consistent(sim.states)


@given(st.integers(0, 10_000), st.floats(0, 0.3), st.floats(0, 0.3))
@settings(max_examples=20, deadline=None)
def test_sagas_are_atomic_under_loss_and_duplication(seed: int, loss: float, dup: float) -> None:
    amounts = [1 + (seed + i) % 7 for i in range(4)]
    system = saga_system(amounts, (10, 9, 12), SagaOrchestrator, SagaParticipant)
    network = Network(uniform(0.5, 3.0), loss=loss, duplication=dup)
    sim = Simulation(system, seed=seed, network=network).run(until=50_000)
    assert len(sim.states["orchestrator"].finished) == 4
    assert saga_consistent(sim.states)


def test_saga_mutants_are_caught() -> None:
    report = assert_mutants_caught(
        lambda: (SagaOrchestrator, SagaParticipant), SAGA_MUTANTS, SAGA_CHECKS
    )
    assert len(report.mutants) == 4
