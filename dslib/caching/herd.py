"""The thundering herd: a hot key expires under load, and two ways to stop the stampede.

When a hot key's entry expires, every read that arrives before the store has answered the
first miss misses too, and with a read-through cache that fills on every miss each of them
reads the store: a load spike of (request rate) x (fill time) reads for one key. Section
9.4 measures it and two fixes:

- **request coalescing** (``fill="coalesce"``): one fill per key; later misses wait for it
  (``CacheServer.coalesce_rule``). Memcache's leases do the same from the client side: a
  token is handed out at most once every few seconds per key, and other clients are told to
  wait (Nishtala et al. 2013, section 3.2.1).
- **early probabilistic refresh** (``fill="xfetch"``): each hit refreshes the entry
  *before* it expires with a probability that grows as the expiry nears, scaled by how
  long a fill takes (Vattani et al. 2015, the XFetch algorithm).

- ``herd_system(config)`` / ``herd_run(config, seed)``: clients reading one hot key in a
  closed loop through a read-through cache with a TTL, in front of a slow store;
- ``store_load(sim, window)``: the store's reads per time window;
- ``herd_table(fills, seeds)``: peak store load at the cold start and at the expiries,
  store reads, client latency, per fill strategy;
- ``one_fill_at_a_time(sim)``: the check that coalescing works: never two store reads of
  one key in flight from the cache at once (read from the trace, not from the cache).

Examples
--------
>>> sim = herd_run(HerdConfig(fill="coalesce", duration=150.0), seed=0)
>>> one_fill_at_a_time(sim).ok
True
>>> one_fill_at_a_time(herd_run(HerdConfig(fill="each", duration=150.0), seed=0)).ok
False
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.caching.nodes import (
    FILLS,
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
from dslib.mutants import Outcome
from dslib.sim.simulator import Simulation
from dslib.stats import is_number, percentile

__all__ = [
    "HerdClient",
    "HerdConfig",
    "herd_run",
    "herd_system",
    "herd_table",
    "one_fill_at_a_time",
    "store_load",
]


@dataclass(frozen=True)
class HerdConfig:
    """One thundering-herd experiment.

    Parameters
    ----------
    fill : str, default "each"
        One of ``FILLS``.
    clients : int, default 50
    think_time : float, default 5.0
        Mean pause between a client's reads (exponential): 50 clients make about 10 reads
        per time unit.
    ttl : float, default 100.0
    store_time : float or (float, float), default (8.0, 12.0)
        The store's service time.
    beta : float, default 1.0
        XFetch's beta.
    duration : float, default 400.0
    mutant : str or None
        One of ``dslib.caching.nodes.MUTANTS``.

    Examples
    --------
    >>> HerdConfig(clients=0)
    Traceback (most recent call last):
    ...
    ValueError: HerdConfig: clients=0 must be an int >= 1
    """

    fill: str = "each"
    clients: int = 50
    think_time: float = 5.0
    ttl: float = 100.0
    store_time: float | tuple[float, float] = (8.0, 12.0)
    beta: float = 1.0
    duration: float = 400.0
    mutant: str | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.clients, int) and not isinstance(self.clients, bool)) or (
            self.clients < 1
        ):
            raise ValueError(f"HerdConfig: clients={self.clients!r} must be an int >= 1")
        for name in ("think_time", "duration"):
            check_time("HerdConfig", name, getattr(self, name), allow_zero=False)
        check_time("HerdConfig", "store_time", self.store_time)
        self.cache_config()

    def cache_config(self) -> CacheConfig:
        """The cache's configuration."""
        return CacheConfig(ttl=self.ttl, fill=self.fill, beta=self.beta, mutant=self.mutant)


class HerdClient(Node[int]):
    """Reads the hot key 0 in a closed loop; its state is the number of reads sent.

    Examples
    --------
    >>> ctx = Context("u0", ("u0", "cache"))
    >>> HerdClient(HerdConfig()).on_timer(ctx, 0, "think"), ctx.sent
    (1, [('cache', Read(key=0, req=1))])
    """

    def __init__(self, config: HerdConfig) -> None:
        self.config = config

    def init(self, ctx: Context) -> int:
        ctx.set_timer("think", ctx.rng.expovariate(1.0 / self.config.think_time))
        return 0

    def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
        ctx.record("invoke", "read", key=0)
        ctx.send("cache", Read(0, state + 1))
        return state + 1

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        if isinstance(msg, ReadReply) and msg.req == state:
            ctx.record("ok", "read", msg.version, key=0)
            if ctx.now < self.config.duration:
                ctx.set_timer("think", ctx.rng.expovariate(1.0 / self.config.think_time))
        return state


def herd_system(config: HerdConfig | None = None) -> System:
    """The store (recording its load), the cache and clients ``u0 ..``.

    >>> herd_system(HerdConfig(clients=2))
    System(cache=CacheServer, store=Store, u0=HerdClient, u1=HerdClient)
    """
    config = HerdConfig() if config is None else config
    if not isinstance(config, HerdConfig):
        raise TypeError(f"herd_system: config={config!r} must be a HerdConfig")
    nodes: dict[str, Node[Any]] = {
        "store": Store(keys=1, service_time=config.store_time, record=True),
        "cache": CacheServer(config.cache_config()),
    }
    for i in range(config.clients):
        nodes[f"u{i}"] = HerdClient(config)
    return System(nodes)


def herd_run(config: HerdConfig | None = None, seed: int = 0) -> Simulation:
    """One seeded run to ``duration + 50`` (network latency 1), with its trace.

    >>> herd_run(HerdConfig(duration=20.0)).now
    70.0
    """
    config = HerdConfig() if config is None else config
    return Simulation(herd_system(config), seed=seed).run(until=config.duration + 50.0)


def store_load(sim: Simulation, window: float = 1.0) -> list[int]:
    """The store's reads in each window ``[k w, (k + 1) w)`` of the run.

    >>> sum(store_load(herd_run(HerdConfig(fill="coalesce", duration=150.0)), 10.0))
    2
    """
    if not (is_number(window) and math.isfinite(window) and window > 0):
        raise ValueError(f"store_load: window={window!r} must be a finite number > 0")
    counts = [0] * (int(sim.now // window) + 1)
    for e in sim.history:
        if e.process == "store" and e.type == "ok" and e.f == "store-read":
            counts[int(e.time // window)] += 1
    return counts


def one_fill_at_a_time(sim: Simulation) -> Outcome:
    """Never two store reads of one key in flight from the cache at once.

    Read from the trace: a ``StoreRead`` the cache sends starts a fill, the
    ``StoreReadReply`` it receives ends it (a lost reply is counted as still in flight).

    Returns
    -------
    Outcome
        Failing, its ``counterexample_length`` is the most fills of one key in flight
        together, and ``detail`` says when.

    Examples
    --------
    >>> broken = HerdConfig(fill="coalesce", mutant="two_fills", duration=150.0)
    >>> one_fill_at_a_time(herd_run(broken))
    Outcome(ok=False, counterexample_length=2, detail='2 fills of key 0 in flight at time 1.0')
    """
    in_flight: dict[Any, int] = {}
    worst, when, worst_key = 0, 0.0, None
    for e in sim.trace:
        if e.kind == "send" and e.node == "cache" and isinstance(e.data, StoreRead):
            key = e.data.key
            in_flight[key] = in_flight.get(key, 0) + 1
            if in_flight[key] > worst:
                worst, when, worst_key = in_flight[key], e.time, key
        elif e.kind == "deliver" and e.node == "cache" and isinstance(e.data, StoreReadReply):
            in_flight[e.data.key] = in_flight.get(e.data.key, 0) - 1
    if worst <= 1:
        return Outcome(True)
    return Outcome(False, worst, f"{worst} fills of key {worst_key} in flight at time {when:.1f}")


def herd_table(
    fills: Sequence[str] = FILLS,
    seeds: Iterable[int] = range(3),
    window: float = 10.0,
    **options: Any,
) -> Any:
    """Store load and client latency per fill strategy, over seeds.

    Columns: ``peak at cold start`` (most store reads in one window before the first
    fill returns), ``peak after`` (most in one window after it: the expiries), ``store
    reads`` per run, ``reads`` (client reads per run), ``read p50`` and ``read p99``.
    The default window, 10, is about one fill time.

    Examples
    --------
    >>> herd_table(["coalesce"], [0], duration=150.0)["peak after"].tolist()
    [1]
    """
    import pandas as pd

    seeds = list(seeds)
    rows = []
    for fill in fills:
        cold = after = reads_total = client_reads = 0
        latencies: list[float] = []
        for seed in seeds:
            config = replace(HerdConfig(**options), fill=fill)
            sim = herd_run(config, seed)
            first_fill = next(
                (
                    e.time
                    for e in sim.trace
                    if e.kind == "deliver"
                    and e.node == "cache"
                    and isinstance(e.data, StoreReadReply)
                ),
                sim.now,
            )
            load = store_load(sim, window)
            split = int(first_fill // window) + 1
            cold = max(cold, max(load[:split], default=0))
            after = max(after, max(load[split:], default=0))
            reads_total += sum(load)
            ops = [op for op in sim.history.operations() if op.f == "read" and op.status == "ok"]
            client_reads += len(ops)
            latencies += [op.complete_time - op.invoke_time for op in ops]
        rows.append(
            {
                "fill": fill,
                "peak at cold start": cold,
                "peak after": after,
                "store reads": round(reads_total / len(seeds), 1),
                "reads": round(client_reads / len(seeds), 1),
                "read p50": round(percentile(latencies, 50), 1),
                "read p99": round(percentile(latencies, 99), 1),
            }
        )
    return pd.DataFrame(rows).set_index("fill")
