"""Tests of dslib.architectures.soa: contracts, the registry, discovery."""

from __future__ import annotations

import pytest

from dslib import Context
from dslib.architectures.soa import (
    Contract,
    Instances,
    Lookup,
    Register,
    Registry,
    RegistryHeartbeat,
    breaking_changes,
    discovery_experiment,
    validate,
    version_problems,
)

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
