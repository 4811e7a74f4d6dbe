"""Cache patterns in front of a slower store: latency, store load, staleness, lost writes.

Section 9.2 runs the five patterns of ``dslib.caching.nodes.PATTERNS`` with the same
clients, keys and store, and measures what each costs and what each gets wrong:

- ``pattern_system(config)``: a store, one cache and ``clients`` client nodes. Each client
  loops: think (exponential, mean ``think_time``), then read a key (Zipf over ``keys``) or,
  with probability ``1 - read_fraction``, write the next version of one of *its own* keys
  (key ``k`` is written only by client ``k % clients``, so each key's versions are written
  in order, and "the latest acknowledged write" is well defined).
- ``PatternClient``: the client. With ``"cache-aside"`` it runs the pattern itself
  (``Get``; on a miss read the store and ``Set``; to write, write the store then
  ``Delete``); with write-around it reads through the cache (``Read``) and writes the
  store itself, around the cache; with the other patterns it sends ``Read`` and ``Write``
  to the cache.
- ``pattern_run(config, seed, crash=...)``: one seeded run, optionally crashing the cache.
- ``measure(sim)``: read and write latency (p50, p99), store requests per client
  operation, hit ratio, staleness (``staleness``) and acknowledged writes the store lost
  (``lost_writes``).
- ``compare_patterns(seeds, ...)``: one row per pattern, summed over seeds.

A read is **stale** when it returns a version older than the latest write to its key
acknowledged before the read began; it is stale *by* the time since the first newer write
was acknowledged (and by how many versions).

Examples
--------
>>> sim = pattern_run(PatternConfig(pattern="write-through", duration=200.0), seed=1)
>>> m = measure(sim)
>>> m["stale reads"], m["lost writes"]
(0, 0)
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Any

from dslib.caching.nodes import (
    PATTERNS,
    CacheConfig,
    CacheServer,
    Delete,
    DeleteReply,
    Get,
    GetReply,
    Read,
    ReadReply,
    Set,
    Store,
    StoreRead,
    StoreReadReply,
    StoreWrite,
    StoreWriteReply,
    Write,
    WriteReply,
    check_time,
)
from dslib.core import Context, Node, System
from dslib.sim.history import History
from dslib.sim.nemesis import Crash, Restart
from dslib.sim.network import Network, exponential
from dslib.sim.simulator import Simulation
from dslib.stats import is_number, percentile

__all__ = [
    "ClientState",
    "PatternClient",
    "PatternConfig",
    "Staleness",
    "compare_patterns",
    "lost_writes",
    "measure",
    "pattern_run",
    "pattern_system",
    "staleness",
    "staleness_by_enumeration",
]


@dataclass(frozen=True)
class PatternConfig:
    """One experiment of section 9.2.

    Parameters
    ----------
    pattern : str, default "cache-aside"
        One of ``PATTERNS``.
    keys : int, default 20
    clients : int, default 4
    read_fraction : float, default 0.9
    zipf : float, default 1.0
        Skew of the keys read (and written, among a client's own keys).
    ttl : float or None, default None
    lease : bool, default False
        Memcache leases (cache-aside only).
    store_time : float or (float, float), default (5.0, 15.0)
        The store's service time.
    think_time : float, default 2.0
        Mean pause of a client between operations.
    timeout : float, default 60.0
        A client gives up on an operation after this long (it is then recorded ``info``).
    flush_interval : float, default 20.0
        Write-back only.
    duration : float, default 1000.0
        Clients start operations until this time.
    mutant : str or None
        One of ``dslib.caching.nodes.MUTANTS``.

    Examples
    --------
    >>> PatternConfig(keys=0)
    Traceback (most recent call last):
    ...
    ValueError: PatternConfig: keys=0 must be an int >= 1
    """

    pattern: str = "cache-aside"
    keys: int = 20
    clients: int = 4
    read_fraction: float = 0.9
    zipf: float = 1.0
    ttl: float | None = None
    lease: bool = False
    store_time: float | tuple[float, float] = (5.0, 15.0)
    think_time: float = 2.0
    timeout: float = 60.0
    flush_interval: float = 20.0
    duration: float = 1000.0
    mutant: str | None = None

    def __post_init__(self) -> None:
        for name in ("keys", "clients"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise ValueError(f"PatternConfig: {name}={value!r} must be an int >= 1")
        if not (is_number(self.read_fraction) and 0.0 <= self.read_fraction <= 1.0):
            raise ValueError(
                f"PatternConfig: read_fraction={self.read_fraction!r} must be a number in [0, 1]"
            )
        if not (is_number(self.zipf) and math.isfinite(self.zipf) and self.zipf >= 0):
            raise ValueError(f"PatternConfig: zipf={self.zipf!r} must be a number >= 0")
        check_time("PatternConfig", "store_time", self.store_time)
        for name in ("think_time", "timeout", "duration"):
            check_time("PatternConfig", name, getattr(self, name), allow_zero=False)
        self.cache_config()  # checks pattern, ttl, mutant

    def cache_config(self) -> CacheConfig:
        """The cache node's configuration."""
        return CacheConfig(
            pattern=self.pattern,
            ttl=self.ttl,
            lease=self.lease,
            flush_interval=self.flush_interval,
            mutant=self.mutant,
        )


@dataclass(frozen=True)
class ClientState:
    """A client: its operation in flight (``op`` is None when thinking), and next versions."""

    op: str | None = None
    key: int = 0
    version: int = 0
    phase: str = ""
    req: int = 0
    versions: tuple[int, ...] = ()
    token: int | None = None


def _cumulative(keys: Sequence[int], zipf: float) -> list[float]:
    return list(accumulate(1.0 / (k + 1) ** zipf for k in keys))


class PatternClient(Node[ClientState]):
    """A client of section 9.2 (see the module docstring).

    Examples
    --------
    >>> client = PatternClient(PatternConfig(pattern="cache-aside", clients=1), index=0)
    >>> ctx = Context("c0", ("c0", "cache", "store"))
    >>> s = client.on_timer(ctx, client.init(ctx), "think")
    >>> s.op, ctx.sent
    ('read', [('cache', Get(key=2, req=1))])
    """

    def __init__(self, config: PatternConfig, index: int) -> None:
        self.config = config
        self.index = index
        self.own = [k for k in range(config.keys) if k % config.clients == index]
        self.all_keys = list(range(config.keys))
        self._read_cum = _cumulative(self.all_keys, config.zipf)
        self._write_cum = _cumulative(self.own, config.zipf)

    def init(self, ctx: Context) -> ClientState:
        ctx.set_timer("think", self._think(ctx))
        return ClientState(versions=(0,) * self.config.keys)

    def _think(self, ctx: Context) -> float:
        return ctx.rng.expovariate(1.0 / self.config.think_time)

    def _draw(self, ctx: Context, keys: list[int], cum: list[float]) -> int:
        return keys[bisect.bisect_right(cum, ctx.rng.random() * cum[-1])]

    def _done(self, ctx: Context, state: ClientState, type_: str, value: Any) -> ClientState:
        ctx.record(type_, state.op or "", value, key=state.key)
        ctx.cancel_timer("timeout")
        if ctx.now < self.config.duration:
            ctx.set_timer("think", self._think(ctx))
        return replace(state, op=None, phase="")

    def on_timer(self, ctx: Context, state: ClientState, timer: Any) -> ClientState:
        if timer == "timeout":
            if state.op is None:
                return state
            return self._done(ctx, state, "info", None)
        if timer != "think" or state.op is not None:
            return state
        req = state.req + 1
        ctx.set_timer("timeout", self.config.timeout)
        aside = self.config.pattern == "cache-aside"
        if not self.own or ctx.rng.random() < self.config.read_fraction:
            key = self._draw(ctx, self.all_keys, self._read_cum)
            ctx.record("invoke", "read", key=key)
            ctx.send("cache", Get(key, req) if aside else Read(key, req))
            return replace(state, op="read", key=key, phase="cache", req=req)
        key = self._draw(ctx, self.own, self._write_cum)
        version = state.versions[key] + 1
        versions = (*state.versions[:key], version, *state.versions[key + 1 :])
        ctx.record("invoke", "write", version, key=key)
        if aside or self.config.pattern == "write-around":
            ctx.send("store", StoreWrite(key, version, req))
        else:
            ctx.send("cache", Write(key, version, req))
        return replace(
            state, op="write", key=key, version=version, phase="store", req=req, versions=versions
        )

    def on_message(self, ctx: Context, state: ClientState, src: str, msg: Any) -> ClientState:
        if state.op is None or getattr(msg, "req", None) != state.req:
            return state  # a late reply to an operation already given up on
        if isinstance(msg, (ReadReply, WriteReply)):
            return self._done(ctx, state, "ok", msg.version)
        if isinstance(msg, GetReply):
            if msg.version is not None:
                return self._done(ctx, state, "ok", msg.version)
            ctx.send("store", StoreRead(state.key, state.req))
            return replace(state, phase="store", token=msg.token)
        if isinstance(msg, StoreReadReply):
            ctx.send("cache", Set(state.key, msg.version, state.token, msg.read_at))
            return self._done(ctx, state, "ok", msg.version)
        if isinstance(msg, StoreWriteReply):
            if self.config.pattern == "write-around":
                return self._done(ctx, state, "ok", state.version)
            ctx.send("cache", Delete(state.key, state.req))
            return replace(state, phase="delete")
        if isinstance(msg, DeleteReply):
            return self._done(ctx, state, "ok", state.version)
        return state


def pattern_system(config: PatternConfig | None = None) -> System:
    """The store, the cache and the clients ``c0 .. c{clients-1}`` of one experiment.

    Examples
    --------
    >>> pattern_system(PatternConfig(clients=2))
    System(c0=PatternClient, c1=PatternClient, cache=CacheServer, store=Store)
    """
    config = PatternConfig() if config is None else config
    if not isinstance(config, PatternConfig):
        raise TypeError(f"pattern_system: config={config!r} must be a PatternConfig")
    nodes: dict[str, Node[Any]] = {
        "store": Store(config.keys, config.store_time),
        "cache": CacheServer(config.cache_config()),
    }
    for i in range(config.clients):
        nodes[f"c{i}"] = PatternClient(config, i)
    return System(nodes)


def pattern_run(
    config: PatternConfig | None = None,
    seed: int = 0,
    crash: tuple[float, float] | None = None,
    latency: float = 1.0,
    record_trace: bool = False,
) -> Simulation:
    """One seeded run of an experiment, to ``duration + 200`` (all flushed and answered).

    Parameters
    ----------
    config : PatternConfig, optional
    seed : int, default 0
    crash : (float, float), optional
        Crash the cache at the first time and restart it at the second.
    latency : float, default 1.0
        Mean network latency (exponential with a minimum of a tenth of it), so that
        messages overtake each other as on a real network.
    record_trace : bool, default False

    Returns
    -------
    Simulation

    Examples
    --------
    >>> pattern_run(PatternConfig(duration=50.0)).now
    250.0
    """
    config = PatternConfig() if config is None else config
    system = pattern_system(config)
    if not (is_number(latency) and math.isfinite(latency) and latency > 0):
        raise ValueError(f"pattern_run: latency={latency!r} must be a finite number > 0")
    network = Network(latency=exponential(0.9 * latency, minimum=0.1 * latency))
    sim = Simulation(system, seed=seed, network=network, record_trace=record_trace)
    if crash is not None:
        down, up = crash
        if not (is_number(down) and is_number(up) and 0 <= down <= up):
            raise ValueError(
                f"pattern_run: crash={crash!r} must be (down, up) with 0 <= down <= up"
            )
        sim.at(down, Crash("cache"))
        sim.at(up, Restart("cache"))
    return sim.run(until=config.duration + 200.0)


@dataclass(frozen=True)
class Staleness:
    """The staleness of the reads of a history.

    Attributes
    ----------
    reads : int
        Completed reads.
    stale : int
        Reads that returned a version older than the latest write acknowledged before
        they began.
    max_behind : int
        The most versions a read was behind.
    ages : tuple of float
        For each stale read, the time since the first newer write was acknowledged.
    """

    reads: int
    stale: int
    max_behind: int
    ages: tuple[float, ...]

    @property
    def fraction(self) -> float:
        """Stale reads per read (0 when there are none)."""
        return self.stale / self.reads if self.reads else 0.0

    @property
    def max_age(self) -> float:
        """The oldest a stale read was (0 when none)."""
        return max(self.ages, default=0.0)


def staleness(history: History) -> Staleness:
    """Judge every completed read of ``history`` against the acknowledged writes.

    Each key's versions must be written in order (one writer per key, one version at a
    time), as ``PatternClient`` does; the initial version is 0.

    Returns
    -------
    Staleness

    Notes
    -----
    ``O((r + w) log w)`` for ``r`` reads and ``w`` writes.

    Examples
    --------
    >>> h = History([("w", "invoke", "write", 1, 0.0, "x"), ("w", "ok", "write", 1, 2.0, "x"),
    ...              ("r", "invoke", "read", None, 5.0, "x"), ("r", "ok", "read", 0, 6.0, "x")])
    >>> s = staleness(h)
    >>> s.stale, s.max_behind, s.ages
    (1, 1, (3.0,))
    """
    acked: dict[Any, list[tuple[float, int]]] = {}
    reads = []
    for op in history.operations():
        if op.status != "ok":
            continue
        if op.f == "write":
            acked.setdefault(op.key, []).append((op.complete_time, op.result))
        elif op.f == "read":
            reads.append(op)
    prefix: dict[Any, tuple[list[float], list[int]]] = {}
    for key, writes in acked.items():
        writes.sort()
        times = [t for t, _ in writes]
        best = list(accumulate((v for _, v in writes), max))
        prefix[key] = (times, best)
    stale, behind, ages = 0, 0, []
    for op in reads:
        if op.key not in prefix:
            continue
        times, best = prefix[op.key]
        i = bisect.bisect_left(times, op.invoke_time)  # writes acknowledged before the read
        if i == 0 or best[i - 1] <= op.result:
            continue
        stale += 1
        behind = max(behind, best[i - 1] - op.result)
        first_newer = min(t for t, v in acked[op.key][:i] if v > op.result)
        ages.append(op.invoke_time - first_newer)
    return Staleness(len(reads), stale, behind, tuple(ages))


def staleness_by_enumeration(history: History) -> Staleness:
    """``staleness`` restated as directly as possible: the oracle it is tested against.

    For each completed read, every acknowledged write of its key is looked at one by one:
    no sorting, no prefix maxima, nothing to get wrong. ``O(r w)``.

    Examples
    --------
    >>> h = History([("w", "invoke", "write", 1, 0.0, "x"), ("w", "ok", "write", 1, 2.0, "x"),
    ...              ("r", "invoke", "read", None, 5.0, "x"), ("r", "ok", "read", 0, 6.0, "x")])
    >>> staleness_by_enumeration(h) == staleness(h)
    True
    """
    ops = history.operations()
    writes = [op for op in ops if op.f == "write" and op.status == "ok"]
    reads = [op for op in ops if op.f == "read" and op.status == "ok"]
    stale, behind, ages = 0, 0, []
    for read in reads:
        before = [w for w in writes if w.key == read.key and w.complete_time < read.invoke_time]
        newer = [w for w in before if w.result > read.result]
        if newer:
            stale += 1
            behind = max(behind, max(w.result for w in before) - read.result)
            ages.append(read.invoke_time - min(w.complete_time for w in newer))
    return Staleness(len(reads), stale, behind, tuple(ages))


def lost_writes(sim: Simulation) -> int:
    """Acknowledged writes whose version the store does not have (nor a later one).

    Examples
    --------
    >>> lost_writes(pattern_run(PatternConfig(pattern="write-back", duration=100.0)))
    0
    """
    store = sim.states["store"].versions
    return sum(
        1
        for op in sim.history.operations()
        if op.f == "write" and op.status == "ok" and store[op.key] < op.result
    )


def measure(sim: Simulation) -> dict[str, Any]:
    """What section 9.2 measures in one run (see the module docstring).

    Returns
    -------
    dict
        ``reads``, ``writes``, ``read p50``, ``read p99``, ``write p50``, ``write p99``,
        ``store requests``, ``hit ratio``, ``stale reads``, ``max staleness``,
        ``max versions behind``, ``lost writes``, ``unanswered``.
    """
    ops = sim.history.operations()
    done = [op for op in ops if op.status == "ok"]
    read_lat = [op.complete_time - op.invoke_time for op in done if op.f == "read"]
    write_lat = [op.complete_time - op.invoke_time for op in done if op.f == "write"]
    store = sim.states["store"]
    cache = sim.states.get("cache")
    st = staleness(sim.history)
    lookups = 0 if cache is None else cache.hits + cache.misses
    return {
        "reads": len(read_lat),
        "writes": len(write_lat),
        "read p50": percentile(read_lat, 50) if read_lat else math.nan,
        "read p99": percentile(read_lat, 99) if read_lat else math.nan,
        "write p50": percentile(write_lat, 50) if write_lat else math.nan,
        "write p99": percentile(write_lat, 99) if write_lat else math.nan,
        "store requests": store.reads + store.writes,
        "hit ratio": cache.hits / lookups if cache is not None and lookups else math.nan,
        "stale reads": st.stale,
        "max staleness": st.max_age,
        "max versions behind": st.max_behind,
        "lost writes": lost_writes(sim),
        "unanswered": sum(1 for op in ops if op.status != "ok"),
    }


def _rounded(values: Sequence[float], q: float) -> float:
    return round(percentile(values, q), 1) if values else math.nan


def compare_patterns(
    seeds: Iterable[int] = range(3),
    patterns: Sequence[str] = PATTERNS,
    crash: tuple[float, float] | None = None,
    **options: Any,
) -> Any:
    """One row per pattern: latency, store load, staleness, lost writes, over ``seeds``.

    Latency percentiles are over all the seeds' operations together; counts are summed.
    ``store load`` is store requests per client operation.

    Parameters
    ----------
    seeds : iterable of int, default range(3)
    patterns : sequence of str, default ``PATTERNS``
    crash : (float, float), optional
        Crash the cache at the first time, restart at the second (every run).
    **options
        Passed to ``PatternConfig``.

    Returns
    -------
    pandas.DataFrame
        Indexed by pattern.

    Examples
    --------
    >>> df = compare_patterns([0], ["write-through", "write-around"], duration=200.0, ttl=50.0)
    >>> list(df["lost writes"])
    [0, 0]
    """
    import pandas as pd

    seeds = list(seeds)
    rows = []
    for pattern in patterns:
        reads: list[float] = []
        writes: list[float] = []
        totals = {"ops": 0, "store": 0, "stale": 0, "lost": 0, "reads": 0}
        ages: list[float] = []
        for seed in seeds:
            sim = pattern_run(replace(PatternConfig(**options), pattern=pattern), seed, crash)
            done = [op for op in sim.history.operations() if op.status == "ok"]
            reads += [op.complete_time - op.invoke_time for op in done if op.f == "read"]
            writes += [op.complete_time - op.invoke_time for op in done if op.f == "write"]
            st = staleness(sim.history)
            store = sim.states["store"]
            totals["ops"] += len(done)
            totals["reads"] += st.reads
            totals["store"] += store.reads + store.writes
            totals["stale"] += st.stale
            totals["lost"] += lost_writes(sim)
            ages += st.ages
        rows.append(
            {
                "pattern": pattern,
                "read p50": _rounded(reads, 50),
                "read p99": _rounded(reads, 99),
                "write p50": _rounded(writes, 50),
                "write p99": _rounded(writes, 99),
                "store load": round(totals["store"] / max(totals["ops"], 1), 3),
                "stale reads (%)": round(100 * totals["stale"] / max(totals["reads"], 1), 2),
                "max staleness": round(max(ages, default=0.0), 1),
                "lost writes": totals["lost"],
            }
        )
    return pd.DataFrame(rows).set_index("pattern")
