"""Tests of dslib.architectures.events: the broker, idempotent consumers, event sourcing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Context, Simulation
from dslib.architectures.events import (
    PUBSUB_CHECKS,
    PUBSUB_MUTANTS,
    Ack,
    Broker,
    BrokerState,
    Deliver,
    Deposited,
    Opened,
    Publish,
    Subscriber,
    Withdrawn,
    apply_event,
    decide,
    event_sourcing_experiment,
    pubsub_experiment,
    pubsub_system,
    rebuild,
)
from dslib.mutants import assert_mutants_caught
from dslib.sim import Network


def test_broker_stores_once_and_delivers_to_each_subscriber() -> None:
    broker = Broker({"s1": ["t"], "s2": ["t", "u"]})
    ctx = Context("b", ("b", "p", "s1", "s2"))
    s = broker.init(ctx)
    s = broker.on_message(ctx, s, "p", Publish("t", "e1", 5))
    s = broker.on_message(ctx, s, "p", Publish("t", "e1", 5))  # a retried publish
    assert s.log("t") == (("e1", 5),)
    assert s.pending == frozenset({("s1", "t", 0), ("s2", "t", 0)})
    delivered = [(d, m) for d, m in ctx.sent if isinstance(m, Deliver)]
    assert delivered == [("s1", Deliver("t", 0, "e1", 5)), ("s2", Deliver("t", 0, "e1", 5))]
    s = broker.on_message(ctx, s, "s1", Ack("t", 0))
    assert s.pending == frozenset({("s2", "t", 0)})
    assert isinstance(s, BrokerState)


@given(st.integers(0, 10_000), st.floats(0, 0.35), st.booleans())
@settings(max_examples=15, deadline=None)
def test_every_event_processed_exactly_once(seed: int, loss: float, crash: bool) -> None:
    r = pubsub_experiment(loss=loss, events=15, crash=crash, seed=seed)
    assert r["published"] == 15
    for s in ("s1", "s2"):
        assert r[f"{s} processed"] == 15 and r[f"{s} applied"] == 15


def test_subscriber_recovers_what_it_persisted() -> None:
    sub = Subscriber()
    ctx = Context("s", ("b", "s"))
    state = sub.on_message(ctx, sub.init(ctx), "b", Deliver("t", 0, "e", 2))
    assert ctx.persisted == state
    assert sub.on_recover(ctx, state) == state


def test_pubsub_system_runs() -> None:
    sim = Simulation(pubsub_system(4), seed=2, network=Network(loss=0.2)).run(until=300)
    assert sim.states["s2"].total == 1 + 2 + 3 + 4


def test_pubsub_mutants_are_caught() -> None:
    report = assert_mutants_caught(lambda: (Broker, Subscriber), PUBSUB_MUTANTS, PUBSUB_CHECKS)
    assert len(report.mutants) == 3


def test_state_is_the_fold_of_the_events() -> None:
    log = [Opened("a"), Opened("b"), Deposited("a", 10), Withdrawn("a", 3), Deposited("b", 1)]
    assert rebuild(log) == {"a": 7, "b": 1}
    assert rebuild(log[:3]) == {"a": 10, "b": 0}  # the state as of any point in the past
    before = {"a": 1}
    assert apply_event(before, Deposited("a", 1)) == {"a": 2} and before == {"a": 1}
    with pytest.raises(ValueError, match="insufficient"):
        decide({"a": 1}, ("withdraw", "a", 2))
    with pytest.raises(ValueError, match="exists"):
        decide({"a": 1}, ("open", "a", 0))
    with pytest.raises(TypeError):
        apply_event({}, "not an event")  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_projection_converges_to_the_rebuilt_state(seed: int) -> None:
    r = event_sourcing_experiment(commands=40, loss=0.2, seed=seed)
    assert r["projection"] == r["state"]
    assert all(v >= 0 for v in r["state"].values())  # decide never lets a balance go negative
    assert r["lag"] > 0


def test_a_subscriber_crash_delays_that_subscriber_only() -> None:
    # Each subscriber's delay is measured separately: the crash of s1 (time 10 to 30) holds
    # back s1's events, not s2's, which stay within what runs without a crash give.
    for loss in (0.0, 0.1):
        calm = [pubsub_experiment(loss=loss, events=30, seed=s) for s in range(4)]
        crashed = [pubsub_experiment(loss=loss, events=30, crash=True, seed=s) for s in range(4)]
        assert min(r["s1 mean delay"] for r in crashed) > max(r["s1 mean delay"] for r in calm)
        s2_calm = [r["s2 mean delay"] for r in calm]
        for r in crashed:
            assert min(s2_calm) - 0.5 <= r["s2 mean delay"] <= max(s2_calm) + 0.5


def test_lost_commands_are_counted_and_only_under_loss() -> None:
    """The client does not retry: under loss some commands never reach the store, and the
    experiment says how many (every command sent appends one event, is refused, or is lost)."""
    clean = event_sourcing_experiment(commands=30, loss=0.0, seed=1)
    assert clean["lost commands"] == 0
    assert len(clean["log"]) + clean["rejected"] == 33  # 3 accounts opened + 30 commands
    lossy = event_sourcing_experiment(commands=60, loss=0.1, seed=1)
    assert lossy["lost commands"] > 0
    assert len(lossy["log"]) + lossy["rejected"] + lossy["lost commands"] == 63
