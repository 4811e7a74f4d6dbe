"""dslib.caching.distributed: consistent hashing over cache nodes, a failure, hot keys."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.caching.distributed import (
    RingClient,
    RingConfig,
    failure_table,
    node_loads,
    over_time,
    ring_run,
)
from dslib.core import Context
from dslib.sharding import ConsistentHashRing


def _ctx() -> Context:
    return Context("u0", ("u0", "n0", "n1", "n2", "n3", "store"), rng=random.Random(0))


@given(st.sets(st.sampled_from(["n0", "n1", "n2", "n3"]), max_size=3))
def test_a_client_routes_as_the_ring_without_the_down_nodes(down) -> None:
    # chapter 13's ring is the oracle: with nodes down, a key goes where a ring built
    # without them puts it, and the keys of live nodes do not move
    config = RingConfig(keys=200)
    client = RingClient(config)
    full = ConsistentHashRing(list(config.node_ids), vnodes=config.vnodes)
    ring = ConsistentHashRing([n for n in config.node_ids if n not in down], vnodes=config.vnodes)
    for key in range(config.keys):
        routed = client.route(_ctx(), key, frozenset(down))
        assert routed == ring.lookup(f"key{key}")
        if full.lookup(f"key{key}") not in down:
            assert routed == full.lookup(f"key{key}")


def test_hot_keys_are_read_from_their_first_replicas() -> None:
    client = RingClient(RingConfig(hot_keys=5, replicas=2))
    ctx = _ctx()
    for key in range(5):
        seen = {client.route(ctx, key, frozenset()) for _ in range(40)}
        assert seen == set(client.successors[key][:2])
    assert {client.route(ctx, 7, frozenset()) for _ in range(10)} == {client.successors[7][0]}


def test_a_node_failure_costs_hits_and_the_clients_route_around_it() -> None:
    sim = ring_run(
        RingConfig(clients=20, think_time=1.0, store_time=2.0, duration=240.0),
        seed=0,
        fail="n1",
        fail_at=120.0,
    )
    frame = over_time(sim, 20.0)
    assert frame["reads"].sum() == sum(1 for op in sim.history.operations() if op.f == "read")
    assert "n1" not in node_loads(sim)
    later = frame[(frame.time >= 140) & (frame.time < 240)]
    assert later["reads"].min() > 0  # reads keep completing after the failure


def test_failure_table_is_repeatable() -> None:
    options = dict(clients=10, think_time=1.0, store_time=2.0, duration=200.0)
    a = failure_table([0], (0, 10), fail_at=100.0, window=20.0, **options)
    b = failure_table([0], (0, 10), fail_at=100.0, window=20.0, **options)
    assert a.equals(b) and list(a.index) == [0, 10]


def test_bad_ring_configurations_are_refused() -> None:
    with pytest.raises(ValueError, match="replicas=5 must be an int from 1 to nodes=4"):
        RingConfig(replicas=5)
    with pytest.raises(ValueError, match="capacity=0"):
        RingConfig(capacity=0)
    with pytest.raises(ValueError, match="fail='n9'"):
        ring_run(RingConfig(duration=10.0), fail="n9")
