"""The races that make a cache lie, found by the model checker, and leases that fix them.

Cache-aside has a race that leaves the cache stale *forever* (Nishtala et al. 2013,
section 3.2.1, "stale sets"): a reader misses, reads the old version from the store; a
writer writes the store and deletes the key; then the reader's ``Set`` of the old version
arrives. Nothing will ever delete it again. This module builds the smallest systems that
have the race, as nodes (``dslib.caching.nodes``) the model checker explores:

- ``race_system(readers, writers, lease, on_write)``: a store, a cache, readers that each
  read key 0 once (cache-aside: ``Get``, on a miss read the store and ``Set``) and
  writers that each write a new version of key 0 once, then either ``"delete"`` the key
  or ``"update"`` the cache with the new version.
- ``stale_at_rest(state)``: the invariant. When no message is in flight (the system is at
  rest), the cache holds either nothing for key 0 or the store's version.
- ``find_race(...)``: breadth-first model checking; the counterexample is a shortest
  trace, ``replay`` turns it into a simulation and ``dslib.viz.space_time_diagram`` draws it.
- ``ttl_bound(ttls, seeds)``: a TTL bounds how long a stale entry can live; measured in
  the simulator, staleness never exceeds the TTL plus the age of the fill.

Examples
--------
>>> race = find_race(lease=False)
>>> race.ok, len(race.counterexample)
(False, 9)
>>> find_race(lease=True).ok
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from dslib.caching.nodes import (
    CacheConfig,
    CacheServer,
    Delete,
    DeleteReply,
    Get,
    GetReply,
    Set,
    Store,
    StoreRead,
    StoreReadReply,
    StoreWrite,
    StoreWriteReply,
)
from dslib.caching.patterns import PatternConfig, pattern_run, staleness
from dslib.check import ActorModel, CheckResult, check
from dslib.check.actor import ActorState
from dslib.core import Context, Node, System

__all__ = [
    "ON_WRITE",
    "RaceReader",
    "RaceWriter",
    "Step",
    "find_race",
    "race_system",
    "stale_at_rest",
    "ttl_bound",
]

ON_WRITE = ("delete", "update")
"""What a writer does to the cache after writing the store."""


@dataclass(frozen=True)
class Step:
    """Where a race client is: ``"start"``, ``"cache"``, ``"store"``, ``"delete"``, ``"done"``."""

    at: str = "start"
    token: int | None = None


class RaceReader(Node[Step]):
    """Reads key 0 once, cache-aside: ``Get``; on a miss, read the store and ``Set``.

    Examples
    --------
    >>> ctx = Context("r1", ("r1", "cache", "store"))
    >>> s = RaceReader().init(ctx)
    >>> s, ctx.sent
    (Step(at='cache', token=None), [('cache', Get(key=0, req=1))])
    """

    def init(self, ctx: Context) -> Step:
        ctx.send("cache", Get(0, 1))
        return Step("cache")

    def on_message(self, ctx: Context, state: Step, src: str, msg: Any) -> Step:
        if isinstance(msg, GetReply):
            if msg.version is not None:
                return Step("done")
            ctx.send("store", StoreRead(0, 1))
            return Step("store", msg.token)
        if isinstance(msg, StoreReadReply):
            ctx.send("cache", Set(0, msg.version, state.token))
            return Step("done")
        return state


class RaceWriter(Node[Step]):
    """Writes ``version`` of key 0 to the store once, then deletes or updates the cache.

    Parameters
    ----------
    version : int
        The version it writes (>= 1; writers of one system write different versions).
    on_write : {"delete", "update"}, default "delete"

    Examples
    --------
    >>> ctx = Context("w1", ("w1", "cache", "store"))
    >>> writer = RaceWriter(1, "update")
    >>> s = writer.on_message(ctx, Step("store"), "store", StoreWriteReply(0, 1, 1))
    >>> s, ctx.sent
    (Step(at='done', token=None), [('cache', Set(key=0, version=1, token=None, read_at=0.0))])
    """

    def __init__(self, version: int, on_write: str = "delete") -> None:
        if on_write not in ON_WRITE:
            raise ValueError(f"RaceWriter: on_write={on_write!r}; allowed: {', '.join(ON_WRITE)}")
        if not (isinstance(version, int) and not isinstance(version, bool) and version >= 1):
            raise ValueError(f"RaceWriter: version={version!r} must be an int >= 1")
        self.version = version
        self.on_write = on_write

    def init(self, ctx: Context) -> Step:
        ctx.send("store", StoreWrite(0, self.version, 1))
        return Step("store")

    def on_message(self, ctx: Context, state: Step, src: str, msg: Any) -> Step:
        if isinstance(msg, StoreWriteReply):
            if self.on_write == "update":
                ctx.send("cache", Set(0, self.version))
                return Step("done")
            ctx.send("cache", Delete(0, 1))
            return Step("delete")
        if isinstance(msg, DeleteReply):
            return Step("done")
        return state


def race_system(
    readers: int = 1,
    writers: int = 1,
    lease: bool = False,
    on_write: str = "delete",
    mutant: str | None = None,
    ttl: float | None = None,
) -> System:
    """The smallest cache-aside systems with the races of section 9.3.

    Parameters
    ----------
    readers, writers : int, default 1
        Readers ``r1, r2, ...`` and writers ``w1, w2, ...`` (writer ``i`` writes version
        ``i``); at least one of them.
    lease : bool, default False
        Memcache leases in the cache.
    on_write : {"delete", "update"}, default "delete"
    mutant : str, optional
        One of ``dslib.caching.nodes.MUTANTS`` for the cache.
    ttl : float, optional
        The cache's TTL (the model checker ignores time: it never expires there).

    Raises
    ------
    ValueError
        For a count below 0, no client at all, or an unknown option.

    Examples
    --------
    >>> race_system()
    System(cache=CacheServer, r1=RaceReader, store=Store, w1=RaceWriter)
    """
    for name, n in (("readers", readers), ("writers", writers)):
        if not (isinstance(n, int) and not isinstance(n, bool) and n >= 0):
            raise ValueError(f"race_system: {name}={n!r} must be an int >= 0")
    if readers + writers == 0:
        raise ValueError("race_system: needs at least one reader or writer")
    config = CacheConfig(pattern="cache-aside", lease=lease, mutant=mutant, ttl=ttl)
    nodes: dict[str, Node[Any]] = {"store": Store(keys=1), "cache": CacheServer(config)}
    for i in range(1, readers + 1):
        nodes[f"r{i}"] = RaceReader()
    for i in range(1, writers + 1):
        nodes[f"w{i}"] = RaceWriter(i, on_write)
    return System(nodes)


def stale_at_rest(state: ActorState) -> bool:
    """At rest (nothing in flight) the cache holds nothing or the store's version.

    The invariant of section 9.3. A state with messages in flight may still change; at
    rest, nothing will ever fix a stale entry (there is no TTL in the model).

    Examples
    --------
    >>> [s0] = ActorModel(race_system()).init_states()
    >>> stale_at_rest(s0)
    True
    """
    if state.messages():
        return True
    cache = state.node("cache")
    store = state.node("store")
    if cache is None or store is None:
        return True
    cached = cache.version(0)
    return cached is None or cached == store.versions[0]


def find_race(
    readers: int = 1,
    writers: int = 1,
    lease: bool = False,
    on_write: str = "delete",
    mutant: str | None = None,
    crashes: int = 0,
) -> CheckResult:
    """Model-check ``race_system(...)`` for ``stale_at_rest``, breadth first.

    Parameters
    ----------
    readers, writers, lease, on_write, mutant
        As for ``race_system``.
    crashes : int, default 0
        How many times the cache may crash (and restart, empty) in an execution.

    Returns
    -------
    CheckResult
        ``ok`` when every reachable state is fine; otherwise ``counterexample`` is a
        shortest trace to a stale cache at rest.

    Examples
    --------
    >>> result = find_race(on_write="update", readers=0, writers=2)
    >>> result.ok, len(result.counterexample), result.distinct_states
    (False, 6, 17)
    """
    system = race_system(readers, writers, lease, on_write, mutant)
    if not (isinstance(crashes, int) and not isinstance(crashes, bool) and crashes >= 0):
        raise ValueError(f"find_race: crashes={crashes!r} must be an int >= 0")
    return check(
        ActorModel(system, max_crashes=crashes, crashable=["cache"]),
        invariants={"cache agrees with the store at rest": stale_at_rest},
    )


def ttl_bound(
    ttls: Iterable[float] = (10.0, 30.0, 100.0), seeds: Iterable[int] = range(3), **options: Any
) -> Any:
    """Measure how stale cache-aside reads get with a TTL and no leases.

    A stale ``Set`` can only put a version in the cache that the store read at most one
    fill age ago (the time from the store's read to the ``Set``), and it expires a TTL
    later; so a read can be stale by at most ``TTL + max fill age``.

    Parameters
    ----------
    ttls : iterable of float
    seeds : iterable of int
    **options
        Passed to ``PatternConfig`` (default: 4 keys, 4 clients, half the operations
        writes, so that races are frequent).

    Returns
    -------
    pandas.DataFrame
        ``ttl``, ``reads``, ``stale reads``, ``max staleness``, ``max fill age``,
        ``bound`` (``ttl + max fill age``), ``within bound``.

    Examples
    --------
    >>> df = ttl_bound([20.0], [0], duration=300.0)
    >>> bool(df["within bound"].all())
    True
    """
    import pandas as pd

    settings = {"keys": 4, "clients": 4, "read_fraction": 0.5, **options}
    seeds = list(seeds)
    rows = []
    for ttl in ttls:
        reads = stale = 0
        worst = fill = 0.0
        for seed in seeds:
            config = replace(PatternConfig(**settings), pattern="cache-aside", ttl=ttl)
            sim = pattern_run(config, seed)
            st = staleness(sim.history)
            reads += st.reads
            stale += st.stale
            worst = max(worst, st.max_age)
            fill = max(fill, sim.states["cache"].max_fill_age)
        rows.append(
            {
                "ttl": ttl,
                "reads": reads,
                "stale reads": stale,
                "max staleness": round(worst, 2),
                "max fill age": round(fill, 2),
                "bound": round(ttl + fill, 2),
                "within bound": worst <= ttl + fill,
            }
        )
    return pd.DataFrame(rows)
