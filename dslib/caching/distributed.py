"""A distributed cache: keys spread over cache nodes by consistent hashing, and a failure.

One cache node is not enough for a large working set or a high request rate, so a
distributed cache (memcached, as Facebook runs it, Nishtala et al. 2013, section 3) spreads
the keys over many nodes. The clients decide where a key lives, with the consistent
hashing of chapter 13 (``dslib.sharding.ConsistentHashRing``, Karger et al. 1997): when a
node fails, only its keys move, to the next node on the ring, and every other key stays
where it is cached.

- ``ring_system(config)``: a store, cache nodes ``n0 ..`` (read-through, LRU, bounded) and
  clients ``u0 ..`` reading Zipf-distributed keys. A client sends each read to the key's
  node; when a node does not answer within ``timeout`` the client marks it down and sends
  the read to the next node on the ring (client-side failure detection). The ``hot_keys``
  most popular keys are cached on ``replicas`` nodes (the first ones clockwise), and a
  client reads one of them at random.
- ``ring_run(config, seed, fail_at)``: one run, crashing a node at ``fail_at``.
- ``over_time(sim, window)``: hit ratio, store reads and read latency per window.
- ``failure_table(...)``: before and after the failure, with and without replication.

Examples
--------
>>> sim = ring_run(RingConfig(duration=100.0), seed=0)
>>> frame = over_time(sim, 50.0)
>>> list(frame.columns)
['time', 'reads', 'hit ratio', 'store reads', 'read p99']
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Any

from dslib.caching.nodes import (
    CacheConfig,
    CacheServer,
    Read,
    ReadReply,
    Store,
    StoreRead,
    StoreReadReply,
    check_time,
)
from dslib.core import Context, Node, System
from dslib.sharding import ConsistentHashRing
from dslib.sim.nemesis import Crash
from dslib.sim.simulator import Simulation
from dslib.stats import is_number, percentile

__all__ = [
    "RingClient",
    "RingClientState",
    "RingConfig",
    "failure_table",
    "node_loads",
    "over_time",
    "ring_run",
    "ring_system",
]


@dataclass(frozen=True)
class RingConfig:
    """One distributed-cache experiment.

    Parameters
    ----------
    nodes : int, default 4
        Cache nodes ``n0 .. n{nodes-1}``.
    keys : int, default 1000
    zipf : float, default 1.0
    capacity : int, default 50
        Entries per cache node.
    clients : int, default 8
    think_time : float, default 0.5
        Mean pause between a client's reads: 8 clients make about 16 reads per time unit.
    store_time : float or (float, float), default 5.0
    timeout : float, default 10.0
        A client that waits this long for a cache node marks it down.
    hot_keys : int, default 0
        The most popular keys (ranks 0 .. hot_keys-1) are cached on ``replicas`` nodes.
    replicas : int, default 2
    vnodes : int, default 32
        Points per node on the ring.
    duration : float, default 300.0

    Examples
    --------
    >>> RingConfig(replicas=9).replicas
    Traceback (most recent call last):
    ...
    ValueError: RingConfig: replicas=9 must be an int from 1 to nodes=4
    """

    nodes: int = 4
    keys: int = 1000
    zipf: float = 1.0
    capacity: int = 50
    clients: int = 8
    think_time: float = 0.5
    store_time: float | tuple[float, float] = 5.0
    timeout: float = 10.0
    hot_keys: int = 0
    replicas: int = 2
    vnodes: int = 32
    duration: float = 300.0

    def __post_init__(self) -> None:
        for name, low in (
            ("nodes", 1),
            ("keys", 1),
            ("capacity", 1),
            ("clients", 1),
            ("hot_keys", 0),
            ("vnodes", 1),
        ):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= low):
                raise ValueError(f"RingConfig: {name}={value!r} must be an int >= {low}")
        if not (isinstance(self.replicas, int) and 1 <= self.replicas <= self.nodes):
            raise ValueError(
                f"RingConfig: replicas={self.replicas!r} must be an int from 1 to "
                f"nodes={self.nodes}"
            )
        if not (is_number(self.zipf) and math.isfinite(self.zipf) and self.zipf >= 0):
            raise ValueError(f"RingConfig: zipf={self.zipf!r} must be a number >= 0")
        check_time("RingConfig", "store_time", self.store_time)
        for name in ("think_time", "timeout", "duration"):
            check_time("RingConfig", name, getattr(self, name), allow_zero=False)

    @property
    def node_ids(self) -> tuple[str, ...]:
        """The cache nodes' ids."""
        return tuple(f"n{i}" for i in range(self.nodes))


@dataclass(frozen=True)
class RingClientState:
    """A client: its read in flight (``key`` is None when thinking), the nodes it believes
    are down, and how many requests it has sent."""

    key: int | None = None
    node: str | None = None
    req: int = 0
    down: frozenset[str] = frozenset()


class RingClient(Node[RingClientState]):
    """Reads Zipf keys from the node consistent hashing names (see the module docstring).

    Examples
    --------
    >>> client = RingClient(RingConfig())
    >>> client.successors[0]
    ('n3', 'n0', 'n2', 'n1')
    """

    def __init__(self, config: RingConfig) -> None:
        self.config = config
        ring = ConsistentHashRing(list(config.node_ids), vnodes=config.vnodes)
        self.successors = [tuple(ring.successors(f"key{k}")) for k in range(config.keys)]
        self._cum = list(accumulate(1.0 / (k + 1) ** config.zipf for k in range(config.keys)))

    def init(self, ctx: Context) -> RingClientState:
        ctx.set_timer("think", ctx.rng.expovariate(1.0 / self.config.think_time))
        return RingClientState()

    def route(self, ctx: Context, key: int, down: frozenset[str]) -> str | None:
        """The node to ask for ``key``: its first live node on the ring, or for a hot key one
        of its first ``replicas`` live nodes at random (None when every node is down)."""
        alive = [n for n in self.successors[key] if n not in down]
        if not alive:
            return None
        if key < self.config.hot_keys:
            return str(alive[ctx.rng.randrange(min(self.config.replicas, len(alive)))])
        return alive[0]

    def _send(self, ctx: Context, state: RingClientState, key: int) -> RingClientState:
        req = state.req + 1
        node = self.route(ctx, key, state.down)
        if node is None:
            ctx.send("store", StoreRead(key, req))
        else:
            ctx.send(node, Read(key, req))
            ctx.set_timer("timeout", self.config.timeout)
        return replace(state, key=key, node=node, req=req)

    def on_timer(self, ctx: Context, state: RingClientState, timer: Any) -> RingClientState:
        if timer == "timeout":
            key, node = state.key, state.node
            if key is None or node is None:
                return state
            return self._send(ctx, replace(state, down=state.down | {node}), key)
        if state.key is not None:
            return state
        key = bisect.bisect_right(self._cum, ctx.rng.random() * self._cum[-1])
        ctx.record("invoke", "read", key=key)
        return self._send(ctx, state, key)

    def on_message(
        self, ctx: Context, state: RingClientState, src: str, msg: Any
    ) -> RingClientState:
        if state.key is None or getattr(msg, "req", None) != state.req:
            return state
        if isinstance(msg, ReadReply):
            outcome = "hit" if msg.hit else "miss"
        elif isinstance(msg, StoreReadReply):
            outcome = "store"
        else:
            return state
        ctx.cancel_timer("timeout")
        ctx.record("ok", "read", outcome, key=state.key)
        if ctx.now < self.config.duration:
            ctx.set_timer("think", ctx.rng.expovariate(1.0 / self.config.think_time))
        return replace(state, key=None, node=None)


def ring_system(config: RingConfig | None = None) -> System:
    """The store (recording its load), the cache nodes and the clients.

    >>> ring_system(RingConfig(nodes=2, clients=1))
    System(n0=CacheServer, n1=CacheServer, store=Store, u0=RingClient)
    """
    config = RingConfig() if config is None else config
    if not isinstance(config, RingConfig):
        raise TypeError(f"ring_system: config={config!r} must be a RingConfig")
    cache = CacheServer(CacheConfig(capacity=config.capacity))
    client = RingClient(config)
    nodes: dict[str, Node[Any]] = {"store": Store(config.keys, config.store_time, record=True)}
    for node_id in config.node_ids:
        nodes[node_id] = cache
    for i in range(config.clients):
        nodes[f"u{i}"] = client
    return System(nodes)


def ring_run(
    config: RingConfig | None = None,
    seed: int = 0,
    fail: str | None = None,
    fail_at: float = 150.0,
) -> Simulation:
    """One seeded run (network latency 1) to ``duration + 50``, without its trace.

    Parameters
    ----------
    fail : str, optional
        The cache node to crash (for good) at ``fail_at``.

    Examples
    --------
    >>> sim = ring_run(RingConfig(duration=60.0), fail="n1", fail_at=30.0)
    >>> sorted(sim.crashed)
    ['n1']
    """
    config = RingConfig() if config is None else config
    system = ring_system(config)
    sim = Simulation(system, seed=seed, record_trace=False)
    if fail is not None:
        if fail not in config.node_ids:
            raise ValueError(f"ring_run: fail={fail!r}; allowed: one of {list(config.node_ids)}")
        if not (is_number(fail_at) and fail_at >= 0):
            raise ValueError(f"ring_run: fail_at={fail_at!r} must be a number >= 0")
        sim.at(fail_at, Crash(fail))
    return sim.run(until=config.duration + 50.0)


def over_time(sim: Simulation, window: float = 10.0) -> Any:
    """Per window of time: reads completed, hit ratio, store reads, read p99 latency.

    A read counts in the window in which it completed; a read served by the store because
    every node is down counts as a miss.

    Returns
    -------
    pandas.DataFrame
        ``time`` (the window's start), ``reads``, ``hit ratio``, ``store reads``,
        ``read p99``.
    """
    import pandas as pd

    if not (is_number(window) and math.isfinite(window) and window > 0):
        raise ValueError(f"over_time: window={window!r} must be a finite number > 0")
    n = int(sim.now // window) + 1
    hits, reads, store = [0] * n, [0] * n, [0] * n
    latency: list[list[float]] = [[] for _ in range(n)]
    for op in sim.history.operations():
        if op.status != "ok":
            continue
        i = int(op.complete_time // window)
        if op.f == "store-read":
            store[i] += 1
        elif op.f == "read":
            reads[i] += 1
            hits[i] += op.result == "hit"
            latency[i].append(op.complete_time - op.invoke_time)
    rows = [
        {
            "time": i * window,
            "reads": reads[i],
            "hit ratio": round(hits[i] / reads[i], 3) if reads[i] else math.nan,
            "store reads": store[i],
            "read p99": round(percentile(latency[i], 99), 1) if latency[i] else math.nan,
        }
        for i in range(n)
    ]
    return pd.DataFrame(rows)


def node_loads(sim: Simulation) -> dict[str, int]:
    """Reads each cache node answered (hits plus misses), by node id.

    >>> loads = node_loads(ring_run(RingConfig(duration=50.0)))
    >>> sorted(loads)
    ['n0', 'n1', 'n2', 'n3']
    """
    return {
        node: state.hits + state.misses
        for node, state in sorted(sim.states.items())
        if isinstance(state, type(CacheServer(CacheConfig()).init(Context("x", ("x",)))))
    }


def failure_table(
    seeds: Iterable[int] = range(3),
    hot_keys: Iterable[int] = (0, 20),
    fail: str = "n1",
    fail_at: float = 150.0,
    window: float = 10.0,
    **options: Any,
) -> Any:
    """What a node failure does, with and without replicating the hot keys.

    Columns, averaged over seeds: ``hit ratio before`` (the windows from 50 to the
    failure), ``hit ratio just after`` (the window after it), ``hit ratio at the end`` (the
    last 50 time units of requests), ``store reads before`` and ``peak store reads after``
    (per window), ``busiest node's share`` (of the cache reads, before the failure).

    Examples
    --------
    >>> failure_table([0], [0], duration=200.0).index.tolist()
    [0]
    """
    import pandas as pd

    seeds = list(seeds)
    rows = []
    for hot in hot_keys:
        config = replace(RingConfig(**options), hot_keys=hot)
        cols: dict[str, list[float]] = {}
        for seed in seeds:
            sim = ring_run(config, seed, fail, fail_at)
            frame = over_time(sim, window)
            before = frame[(frame.time >= 50) & (frame.time + window <= fail_at)]
            just = frame[frame.time == fail_at]
            end = frame[(frame.time >= config.duration - 50) & (frame.time < config.duration)]
            after = frame[frame.time >= fail_at]
            values = {
                "hit ratio before": before["hit ratio"].mean(),
                "hit ratio just after": just["hit ratio"].mean(),
                "hit ratio at the end": end["hit ratio"].mean(),
                "store reads before": before["store reads"].mean(),
                "peak store reads after": after["store reads"].max(),
            }
            for k, v in values.items():
                cols.setdefault(k, []).append(float(v))
        rows.append(
            {"hot keys replicated": hot, **{k: round(sum(v) / len(v), 3) for k, v in cols.items()}}
        )
    return pd.DataFrame(rows).set_index("hot keys replicated")
