"""Tests of dslib.architectures.soa: contracts, the registry, discovery."""

from __future__ import annotations

from typing import Any

import pytest

from dslib import Context, Node, Simulation, System
from dslib.architectures.soa import (
    SOA_CHECKS,
    SOA_MUTANTS,
    Call,
    Contract,
    DiscoveringClient,
    Instances,
    Lookup,
    Register,
    Registry,
    RegistryHeartbeat,
    ServiceInstance,
    breaking_changes,
    discovery_experiment,
    validate,
    version_problems,
)
from dslib.mutants import assert_mutants_caught
from dslib.sim import Network, uniform

V1 = Contract("orders", (1, 0), (("item", "str", True), ("qty", "int", True)))


def test_validation() -> None:
    assert validate({"item": "pen", "qty": 2}, V1) == []
    assert validate((("item", "pen"), ("qty", True)), V1) == [
        "field 'qty' must be int, got bool (True)"
    ]
    assert validate({"qty": 2, "x": 1}, V1) == [
        "missing required field 'item'",
        "unknown field 'x'",
    ]
    with pytest.raises(ValueError, match="type"):
        Contract("s", (1, 0), (("x", "decimal", True),))


def test_compatible_and_breaking_changes() -> None:
    minor = Contract("orders", (1, 1), (*V1.fields, ("note", "str", False)))
    assert breaking_changes(V1, minor) == [] and version_problems(V1, minor) == []
    renamed = Contract("orders", (1, 2), (("item", "str", True), ("quantity", "int", True)))
    assert breaking_changes(V1, renamed) == [
        "field 'qty' was removed",
        "new field 'quantity' is required",
    ]
    assert version_problems(V1, renamed)[0].startswith("1.0 -> 1.2 needs a new major version")
    major = Contract("orders", (2, 0), renamed.fields)
    assert version_problems(V1, major) == []
    stricter = Contract("orders", (1, 1), (("item", "str", True), ("qty", "int", True)))
    assert breaking_changes(minor, stricter) == ["field 'note' was removed"]


def test_registry_expires_silent_instances_and_filters_by_major_version() -> None:
    registry = Registry(ttl=2.0)
    ctx = Context("registry", ("registry", "a", "b", "c"))
    s = registry.init(ctx)
    s = registry.on_message(ctx, s, "a", Register(V1))
    s = registry.on_message(ctx, s, "b", Register(Contract("orders", (2, 0), ())))
    s = registry.on_message(ctx, s, "c", Lookup("orders", 1))
    assert ctx.sent[-1] == ("c", Instances("orders", 1, ("a",)))
    ctx.now = 1.5
    s = registry.on_message(ctx, s, "a", RegistryHeartbeat())
    ctx.now = 3.0
    s = registry.on_timer(ctx, s, "sweep")
    assert [e[0] for e in s.entries] == ["a"] and s.expired == ((3.0, "b"),)


def test_faster_heartbeats_mean_fewer_failed_calls_at_a_higher_cost() -> None:
    fast = discovery_experiment(heartbeat=0.5, ttl=1.5, seed=2)
    slow = discovery_experiment(heartbeat=2.0, ttl=6.0, seed=2)
    assert fast["expired after"] < slow["expired after"] <= 6.0 + 0.5
    assert fast["failed"] <= slow["failed"]
    assert (
        fast["heartbeats per instance per time unit"]
        > slow["heartbeats per instance per time unit"]
    )
    assert fast["calls"] == 120


def test_a_call_due_before_discovery_waits_for_the_registry() -> None:
    # The first call falls due before the registry has answered the first lookup: the
    # client must hold it until it knows an instance, not fail it unsent.
    client = DiscoveringClient("orders", 1, [("item", "pen")], calls=3, timeout=1.0)
    ctx = Context("client", ("client", "registry", "a", "b"), now=1.0)
    s = client.on_timer(ctx, client.init(ctx), "call")
    assert ctx.sent == [("registry", Lookup("orders", 1))] and s.results == ()
    assert s.outstanding == ((1, "", 1.0),)
    ctx.now = 1.2
    s = client.on_message(ctx, s, "registry", Instances("orders", 1, ("a", "b")))
    assert ctx.sent[-1] == ("a", Call(1, (("item", "pen"),))) and s.outstanding == ((1, "a", 1.0),)
    # No instance known within the timeout: the call fails then, and is recorded unsent.
    ctx = Context("client", ("client", "registry"), now=1.0)
    s = client.on_timer(ctx, client.init(ctx), "call")
    ctx.now = 2.0
    s = client.on_timer(ctx, s, ("timeout", 1))
    assert s.results == ((1, 1.0, 2.0, False, ""),) and s.outstanding == ()


@pytest.mark.parametrize("seed", range(4))
def test_no_call_fails_when_nothing_fails(seed: int) -> None:
    nodes: dict[str, Node[Any]] = {"registry": Registry(ttl=3.0)}
    nodes |= {f"orders-{i}": ServiceInstance(V1) for i in (1, 2)}
    client = DiscoveringClient("orders", 1, [("item", "pen"), ("qty", 1)], calls=40)
    sim = Simulation(
        System({**nodes, "client": client}), seed=seed, network=Network(uniform(0.05, 0.15))
    )
    results = sim.run(until=40.0).states["client"].results
    assert len(results) == 40 and [r for r in results if not r[3]] == []


def test_soa_mutants_are_caught() -> None:
    report = assert_mutants_caught(lambda: (Registry, DiscoveringClient), SOA_MUTANTS, SOA_CHECKS)
    assert {m.name for m in report.mutants} == {
        "never-expires",
        "deaf-registry",
        "any-major",
        "unsent-failure",
        "sticky-client",
    }


def test_discovery_experiment_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="crash_at"):
        discovery_experiment(crash_at=500.0)
    with pytest.raises(ValueError, match="instances"):
        discovery_experiment(instances=0)
