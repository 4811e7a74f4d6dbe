"""The cache node, the slow store behind it, and the messages between them.

Chapter 9's sections 9.2 to 9.4 run one cache protocol, written once here as nodes of the
book's simulator (and of its model checker). A reader finds every rule in this file:

- ``Store``: the slower store, the source of truth. It holds one version number per key
  (version 0 is the value every key starts with) and answers after a service time. A write
  keeps the larger of the stored and the written version (a conditional write), so a late,
  older write never goes backwards.
- ``CacheServer``: the cache. It speaks two protocols.

  * The **memcache protocol** of cache-aside (the client fills the cache itself): ``Get``,
    ``Set``, ``Delete``. With ``lease=True`` a miss hands out a **lease token** and a delete
    invalidates it; a ``Set`` that carries an invalidated token is refused (Nishtala et al.
    2013, section 3.2.1). That is ``lease_rule``.
  * The **read-through protocol** (the cache fills itself): ``Read`` and ``Write``; what a
    write does depends on the pattern: write-through, write-back, write-around
    (``write_rule``), and how misses fill depends on ``fill``: one fill per miss
    (``"each"``), one per key with the other misses waiting (``"coalesce"``, the
    ``coalesce_rule``), or early probabilistic refresh (``"xfetch"``, Vattani et al. 2015,
    the ``xfetch_rule``).

Versions stand for values: a client writes version ``n + 1`` of a key over version ``n``,
so a read's result says exactly which write it saw, and how far behind it is.

``MUTANTS`` names the broken versions; each sits next to the rule it breaks, and
``dslib.caching.checks`` names the check that catches it.

Examples
--------
>>> from dslib import Simulation, System
>>> class One(Node[int]):
...     def init(self, ctx):
...         ctx.send("cache", Read(key=0, req=1))
...         return 0
...     def on_message(self, ctx, state, src, msg):
...         return msg.version
>>> system = System({"cache": CacheServer(CacheConfig()), "store": Store(keys=1), "c": One()})
>>> sim = Simulation(system).run()
>>> sim.states["cache"].misses, sim.states["store"].reads, sim.states["c"]
(1, 1, 0)
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any

from dslib.core import Context, Node
from dslib.mutants import check_mutant
from dslib.stats import is_number

__all__ = [
    "FILLS",
    "ID_SPACE",
    "MUTANTS",
    "PATTERNS",
    "CacheConfig",
    "CacheServer",
    "CacheState",
    "Delete",
    "DeleteReply",
    "Entry",
    "Fill",
    "Get",
    "GetReply",
    "Read",
    "ReadReply",
    "Set",
    "Store",
    "StoreRead",
    "StoreReadReply",
    "StoreState",
    "StoreWrite",
    "StoreWriteReply",
    "Write",
    "WriteReply",
    "check_time",
]

PATTERNS = ("cache-aside", "read-through", "write-through", "write-back", "write-around")
"""The cache patterns of section 9.2.

Reads: the cache-aside client fills the cache itself; every other pattern reads through
the cache. Writes: cache-aside writes the store, then deletes the key; read-through sends
the write through the cache, which writes the store and then drops its entry;
write-through writes the store, then caches the new version; write-back caches it and
writes the store later; write-around writes the store directly, leaving the cache as it is.
"""

FILLS = ("each", "coalesce", "xfetch")
"""How a read-through cache fills misses: one fill per miss, one per key, early refresh."""

MUTANTS: dict[str, str] = {
    "lease_not_invalidated": "a delete removes the value but leaves the lease token valid",
    "ack_before_durable": (
        "write-back acknowledges a write before it is durable anywhere (it is persisted "
        "only at the next flush)"
    ),
    "two_fills": "coalescing registers a key's first fill late, so a second miss fills too",
    "tokens_restart": (
        "after a crash the cache numbers its lease tokens from 1 again, so an old token can "
        "match a new one"
    ),
}
"""The broken cache nodes: name -> what is wrong. Select one with ``CacheConfig(mutant=...)``."""


# -- messages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreRead:
    """Ask the store for a key's version."""

    key: int
    req: int


@dataclass(frozen=True)
class StoreReadReply:
    """The store's version of ``key`` and the time it was read (``read_at``: a measurement,
    left out of ``==`` and ``hash``)."""

    key: int
    req: int
    version: int
    read_at: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class StoreWrite:
    """Write ``version`` of ``key`` to the store."""

    key: int
    version: int
    req: int


@dataclass(frozen=True)
class StoreWriteReply:
    """The store has ``version`` of ``key`` (or a later one)."""

    key: int
    version: int
    req: int


@dataclass(frozen=True)
class Get:
    """Memcache ``get``: the cached version, or a miss (with a lease token if leases are on)."""

    key: int
    req: int


@dataclass(frozen=True)
class GetReply:
    """``version`` is ``None`` on a miss; ``token`` is the lease token of a miss, if any."""

    key: int
    req: int
    version: int | None
    token: int | None = None


@dataclass(frozen=True)
class Set:
    """Memcache ``set``: cache ``version``; with leases, only if ``token`` is still valid.

    ``read_at`` is when the store read the version (to measure how old a fill is).
    """

    key: int
    version: int
    token: int | None = None
    read_at: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class Delete:
    """Memcache ``delete``: drop the key (and invalidate its lease)."""

    key: int
    req: int


@dataclass(frozen=True)
class DeleteReply:
    """The key is gone from the cache."""

    key: int
    req: int


@dataclass(frozen=True)
class Read:
    """Read-through ``read``: the cache answers, filling from the store on a miss."""

    key: int
    req: int


@dataclass(frozen=True)
class ReadReply:
    """The version read, and whether the cache had it (``hit``)."""

    key: int
    req: int
    version: int
    hit: bool


@dataclass(frozen=True)
class Write:
    """Read-through ``write``: what the cache does with it is the pattern's ``write_rule``."""

    key: int
    version: int
    req: int


@dataclass(frozen=True)
class WriteReply:
    """The write is acknowledged."""

    key: int
    version: int
    req: int


def check_time(owner: str, name: str, value: Any, allow_zero: bool = True) -> None:
    """Check a duration: a finite number >= 0 (or > 0), or a range ``(lo, hi)`` of them.

    >>> check_time("f", "ttl", -1)
    Traceback (most recent call last):
    ...
    ValueError: f: ttl=-1 must be a finite number >= 0, or a range (lo, hi) with 0 <= lo <= hi
    """
    low = 0.0 if allow_zero else 1e-12
    if isinstance(value, tuple):
        ok = (
            len(value) == 2
            and all(is_number(v) and math.isfinite(v) for v in value)
            and low <= value[0] <= value[1]
        )
    else:
        ok = is_number(value) and math.isfinite(value) and value >= low
    if not ok:
        sign = ">=" if allow_zero else ">"
        raise ValueError(
            f"{owner}: {name}={value!r} must be a finite number {sign} 0, or a range (lo, hi) "
            f"with 0 {'<=' if allow_zero else '<'} lo <= hi"
        )


# -- the store --------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreState:
    """The store's versions (index = key) and how many reads and writes it served."""

    versions: tuple[int, ...]
    reads: int = 0
    writes: int = 0


class Store(Node[StoreState]):
    """The slower store behind the cache: the source of truth.

    Parameters
    ----------
    keys : int
        Keys are ``0 .. keys-1``; each starts at version 0.
    service_time : float or (float, float), default 0
        How long the store takes to answer (a range: drawn uniformly for each request).
        A read returns the version at the *end* of its service time; a write takes effect
        then. 0 answers at once (what the model checker uses).
    record : bool, default False
        Record every request it serves in the run's history (process ``"store"``,
        operations ``"store-read"`` and ``"store-write"``), to measure the store's load
        over time.

    Examples
    --------
    >>> ctx = Context("store", ("store", "c"))
    >>> s = Store(keys=2).on_message(ctx, Store(keys=2).init(ctx), "c", StoreWrite(1, 3, req=7))
    >>> s
    StoreState(versions=(0, 3), reads=0, writes=1)
    >>> ctx.sent
    [('c', StoreWriteReply(key=1, version=3, req=7))]
    """

    def __init__(
        self, keys: int, service_time: float | tuple[float, float] = 0.0, record: bool = False
    ) -> None:
        if not (isinstance(keys, int) and not isinstance(keys, bool) and keys >= 1):
            raise ValueError(f"Store: keys={keys!r} must be an int >= 1")
        check_time("Store", "service_time", service_time)
        self.keys = keys
        self.service_time = service_time
        self.record = record

    def init(self, ctx: Context) -> StoreState:
        return StoreState(versions=(0,) * self.keys)

    def on_message(self, ctx: Context, state: StoreState, src: str, msg: Any) -> StoreState:
        if not isinstance(msg, (StoreRead, StoreWrite)):
            return state
        if not 0 <= msg.key < self.keys:
            raise ValueError(f"Store: key {msg.key!r} is not one of 0..{self.keys - 1}")
        if self.service_time == 0.0:
            return self._serve(ctx, state, src, msg)
        ctx.set_timer(("serve", src, msg), self.service_time)
        return state

    def on_timer(self, ctx: Context, state: StoreState, timer: Any) -> StoreState:
        _, src, msg = timer
        return self._serve(ctx, state, src, msg)

    def _serve(self, ctx: Context, state: StoreState, src: str, msg: Any) -> StoreState:
        key = msg.key
        if isinstance(msg, StoreRead):
            if self.record:
                ctx.record("invoke", "store-read", key=key)
                ctx.record("ok", "store-read", key=key)
            ctx.send(src, StoreReadReply(key, msg.req, state.versions[key], ctx.now))
            return replace(state, reads=state.reads + 1)
        if self.record:
            ctx.record("invoke", "store-write", msg.version, key=key)
            ctx.record("ok", "store-write", msg.version, key=key)
        versions = state.versions
        if msg.version > versions[key]:
            versions = (*versions[:key], msg.version, *versions[key + 1 :])
        ctx.send(src, StoreWriteReply(key, msg.version, msg.req))
        return replace(state, versions=versions, writes=state.writes + 1)


# -- the cache --------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A cached version, when it expires, and how long its fill took (XFetch's delta)."""

    version: int
    expires: float = math.inf
    delta: float = 0.0


@dataclass(frozen=True)
class Fill:
    """A read of the store in flight on behalf of a cache miss (or a refresh).

    ``waiters`` are the ``(client, req)`` reads to answer when it returns; ``visible``
    is whether later misses can find it (the coalescing rule looks only at visible fills).
    """

    id: int
    key: int
    started: float
    waiters: tuple[tuple[str, int], ...] = ()
    visible: bool = True


@dataclass(frozen=True)
class CacheConfig:
    """How a ``CacheServer`` behaves.

    Parameters
    ----------
    pattern : str, default "read-through"
        One of ``PATTERNS``: what a ``Write`` does (cache-aside and write-around clients do
        not send one).
    ttl : float or None, default None
        Entries expire this long after they are cached (None: never).
    lease : bool, default False
        Memcache leases: a miss hands out a token, a delete invalidates it, a ``Set`` with an
        invalidated token is refused.
    fill : str, default "each"
        One of ``FILLS``: how read-through misses fill.
    beta : float, default 1.0
        XFetch's ``beta`` (> 0): larger refreshes earlier.
    flush_interval : float, default 20.0
        Write-back: how often dirty entries are written to the store.
    store : str, default "store"
        The store's node id.
    capacity : int or None, default None
        How many entries the cache holds (None: unbounded); when full it evicts the least
        recently used entry that is not dirty (the entries are kept in recency order, an
        immutable LRU: node states must be values, so this node does not use the mutable
        ``dslib.caching.policies`` objects; the tests check that it hits exactly when
        ``make_policy("lru", capacity)`` does).
    mutant : str or None
        One of ``MUTANTS``.

    Raises
    ------
    ValueError
        For an unknown pattern, fill or mutant, or a bad number.

    Examples
    --------
    >>> CacheConfig(pattern="write-back").flush_interval
    20.0
    >>> CacheConfig(pattern="write-sideways")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: CacheConfig: pattern='write-sideways'; allowed: cache-aside, read-through, ...
    """

    pattern: str = "read-through"
    ttl: float | None = None
    lease: bool = False
    fill: str = "each"
    beta: float = 1.0
    flush_interval: float = 20.0
    store: str = "store"
    capacity: int | None = None
    mutant: str | None = None

    def __post_init__(self) -> None:
        if self.capacity is not None and not (
            isinstance(self.capacity, int)
            and not isinstance(self.capacity, bool)
            and self.capacity >= 1
        ):
            raise ValueError(
                f"CacheConfig: capacity={self.capacity!r} must be an int >= 1 (or None: unbounded)"
            )
        if self.pattern not in PATTERNS:
            raise ValueError(
                f"CacheConfig: pattern={self.pattern!r}; allowed: {', '.join(PATTERNS)}"
            )
        if self.fill not in FILLS:
            raise ValueError(f"CacheConfig: fill={self.fill!r}; allowed: {', '.join(FILLS)}")
        if self.ttl is not None:
            check_time("CacheConfig", "ttl", self.ttl, allow_zero=False)
        if not (is_number(self.beta) and math.isfinite(self.beta) and self.beta > 0):
            raise ValueError(f"CacheConfig: beta={self.beta!r} must be a finite number > 0")
        check_time("CacheConfig", "flush_interval", self.flush_interval, allow_zero=False)
        if not isinstance(self.lease, bool):
            raise TypeError(f"CacheConfig: lease={self.lease!r} must be True or False")
        check_mutant("CacheConfig", self.mutant, MUTANTS)


Pairs = tuple[tuple[Any, Any], ...]


def _find(pairs: Pairs, key: Hashable) -> Any:
    for k, v in pairs:
        if k == key:
            return v
    return None


def _put(pairs: Pairs, key: Hashable, value: Any) -> Pairs:
    return (*tuple((k, v) for k, v in pairs if k != key), (key, value))


def _drop(pairs: Pairs, key: Hashable) -> Pairs:
    return tuple((k, v) for k, v in pairs if k != key)


ID_SPACE = 2**32
"""Ids (lease tokens, fills, writes) of a cache's epoch ``e`` are ``e * ID_SPACE + 1, ...``.

A restarted cache starts a new epoch (its number is durable), so an id handed out before a
crash never equals one handed out after it: a lease token must not come back to life.
"""


@dataclass(frozen=True)
class CacheState:
    """What a cache node holds. Maps are tuples of ``(key, value)`` pairs (hashable).

    Attributes
    ----------
    entries : tuple of (key, Entry)
    tokens : tuple of (key, token)
        The valid lease token of each key (leases only).
    fills : tuple of Fill
        Store reads in flight for misses and refreshes.
    writes : tuple of (id, (key, version, client, req))
        Store writes in flight (write-through, write-around and write-back flushes;
        a flush has client ``None``).
    dirty : tuple of (key, version)
        Write-back: acknowledged writes not yet in the store.
    hits, misses, refused_sets, evictions : int
    max_fill_age : float
        The oldest fill cached so far: time from the store's read to the ``Set`` (a
        measurement, left out of ``==`` and ``hash``, as the model checker ignores time).
    persisted : tuple of (key, version)
        The dirty writes the node last wrote to its durable storage (write-back).
    epoch : int
        How many times the node has restarted; its durable storage holds
        ``(epoch, dirty writes)``.
    """

    entries: Pairs = ()
    tokens: Pairs = ()
    next_id: int = 1
    fills: tuple[Fill, ...] = ()
    writes: Pairs = ()
    dirty: Pairs = ()
    hits: int = 0
    misses: int = 0
    refused_sets: int = 0
    evictions: int = 0
    max_fill_age: float = field(default=0.0, compare=False)
    persisted: Pairs = ()
    epoch: int = 0

    def version(self, key: int) -> int | None:
        """The cached version of ``key`` (expired or not), or None."""
        entry = _find(self.entries, key)
        return None if entry is None else entry.version


class CacheServer(Node[CacheState]):
    """A cache node (see the module docstring for its two protocols).

    Examples
    --------
    A miss with leases hands out token 1; a delete invalidates it, so the late ``Set`` of
    the old version is refused:

    >>> node = CacheServer(CacheConfig(pattern="cache-aside", lease=True))
    >>> ctx = Context("cache", ("cache", "r", "w", "store"))
    >>> s = node.on_message(ctx, node.init(ctx), "r", Get(0, req=1))
    >>> ctx.sent
    [('r', GetReply(key=0, req=1, version=None, token=1))]
    >>> s = node.on_message(ctx, s, "w", Delete(0, req=1))
    >>> s = node.on_message(ctx, s, "r", Set(0, version=0, token=1))
    >>> s.version(0), s.refused_sets
    (None, 1)
    """

    def __init__(self, config: CacheConfig) -> None:
        if not isinstance(config, CacheConfig):
            raise TypeError(f"CacheServer: config={config!r} must be a CacheConfig")
        self.config = config

    def init(self, ctx: Context) -> CacheState:
        if self.config.pattern == "write-back":
            ctx.set_timer("flush", self.config.flush_interval)
        return CacheState()

    def on_recover(self, ctx: Context, durable: Any) -> CacheState:
        """After a crash the cache is empty, except the dirty writes it persisted, and it
        starts a new epoch of ids (``ID_SPACE``), made durable before anything else."""
        state = self.init(ctx)
        epoch, dirty = durable if isinstance(durable, tuple) else (0, ())
        if self.config.mutant != "tokens_restart":
            epoch += 1
        # MUTANT tokens_restart: the same epoch again, so ids (and tokens) repeat
        ctx.persist((epoch, dirty))
        entries = tuple((k, Entry(v)) for k, v in dirty)
        return replace(
            state,
            entries=entries,
            dirty=dirty,
            persisted=dirty,
            epoch=epoch,
            next_id=epoch * ID_SPACE + 1,
        )

    # -- helpers ------------------------------------------------------------------------
    def _expires(self, now: float) -> float:
        return math.inf if self.config.ttl is None else now + self.config.ttl

    def _cache(self, state: CacheState, key: int, entry: Entry) -> CacheState:
        """Put ``entry`` as the most recently used; evict the least recently used if full."""
        entries = _put(state.entries, key, entry)
        capacity = self.config.capacity
        evicted = 0
        while capacity is not None and len(entries) > capacity:
            victim = next((k for k, _ in entries if _find(state.dirty, k) is None), None)
            if victim is None:
                break  # every entry is dirty: keep them until they are flushed
            entries = _drop(entries, victim)
            evicted += 1
        return replace(state, entries=entries, evictions=state.evictions + evicted)

    def _touch(self, state: CacheState, key: int, entry: Entry) -> CacheState:
        """A hit: ``key`` becomes the most recently used (only a bounded cache keeps order)."""
        if self.config.capacity is None:
            return state
        return replace(state, entries=_put(state.entries, key, entry))

    def _valid(self, state: CacheState, key: int, now: float) -> Entry | None:
        entry: Entry | None = _find(state.entries, key)
        if entry is None:
            return None
        if entry.expires <= now and _find(state.dirty, key) is None:
            return None
        return entry

    # -- the memcache protocol (cache-aside) ----------------------------------------------
    def lease_rule(self, state: CacheState, msg: Set) -> bool:
        """May this ``Set`` be cached? Without leases, always; with leases, only with the
        key's valid token (Nishtala et al. 2013, section 3.2.1)."""
        if not self.config.lease or msg.token is None:
            return True
        return bool(_find(state.tokens, msg.key) == msg.token)

    def _delete(self, state: CacheState, key: int) -> CacheState:
        state = replace(state, entries=_drop(state.entries, key))
        if self.config.mutant == "lease_not_invalidated":
            return state  # MUTANT: the token survives the delete
        return replace(state, tokens=_drop(state.tokens, key))

    def _memcache(self, ctx: Context, state: CacheState, src: str, msg: Any) -> CacheState:
        if isinstance(msg, Get):
            entry = self._valid(state, msg.key, ctx.now)
            if entry is not None:
                ctx.send(src, GetReply(msg.key, msg.req, entry.version))
                return replace(self._touch(state, msg.key, entry), hits=state.hits + 1)
            token = None
            if self.config.lease:
                token = state.next_id
                state = replace(state, tokens=_put(state.tokens, msg.key, token))
                state = replace(state, next_id=token + 1)
            ctx.send(src, GetReply(msg.key, msg.req, None, token))
            return replace(state, misses=state.misses + 1)
        if isinstance(msg, Set):
            if not self.lease_rule(state, msg):
                return replace(state, refused_sets=state.refused_sets + 1)
            if msg.token is not None:
                state = replace(state, tokens=_drop(state.tokens, msg.key))
            entry = Entry(msg.version, self._expires(ctx.now))
            age = max(state.max_fill_age, ctx.now - msg.read_at)
            return replace(self._cache(state, msg.key, entry), max_fill_age=age)
        ctx.send(src, DeleteReply(msg.key, msg.req))
        return self._delete(state, msg.key)

    # -- the read-through protocol --------------------------------------------------------
    def coalesce_rule(self, state: CacheState, key: int) -> Fill | None:
        """The fill in flight that a miss of ``key`` waits for, or None to start one."""
        if self.config.fill != "coalesce":
            return None
        for fill in state.fills:
            if fill.key == key and fill.visible and fill.waiters:
                return fill
        return None

    def _start_fill(
        self, ctx: Context, state: CacheState, key: int, waiters: tuple[tuple[str, int], ...]
    ) -> CacheState:
        visible = True
        if self.config.mutant == "two_fills":
            # MUTANT: the first fill of a key is registered only when a second one starts.
            visible = any(f.key == key for f in state.fills)
        fill = Fill(state.next_id, key, ctx.now, waiters, visible)
        ctx.send(self.config.store, StoreRead(key, fill.id))
        return replace(state, fills=(*state.fills, fill), next_id=state.next_id + 1)

    def xfetch_rule(self, ctx: Context, entry: Entry) -> bool:
        """Refresh early? XFetch: ``now - delta * beta * ln(u) >= expiry``, ``u`` uniform in
        (0, 1] (Vattani et al. 2015, the XFetch algorithm)."""
        if self.config.fill != "xfetch" or entry.expires == math.inf:
            return False
        u = 1.0 - ctx.rng.random()
        return ctx.now - entry.delta * self.config.beta * math.log(u) >= entry.expires

    def _read(self, ctx: Context, state: CacheState, src: str, msg: Read) -> CacheState:
        entry = self._valid(state, msg.key, ctx.now)
        if entry is not None:
            ctx.send(src, ReadReply(msg.key, msg.req, entry.version, True))
            state = replace(self._touch(state, msg.key, entry), hits=state.hits + 1)
            if self.xfetch_rule(ctx, entry):
                state = self._start_fill(ctx, state, msg.key, ())
            return state
        state = replace(state, misses=state.misses + 1)
        fill = self.coalesce_rule(state, msg.key)
        if fill is None:
            return self._start_fill(ctx, state, msg.key, ((src, msg.req),))
        joined = replace(fill, waiters=(*fill.waiters, (src, msg.req)))
        fills = tuple(joined if f is fill else f for f in state.fills)
        return replace(state, fills=fills)

    def _filled(self, ctx: Context, state: CacheState, msg: StoreReadReply) -> CacheState:
        fill = next((f for f in state.fills if f.id == msg.req), None)
        if fill is None:
            return state
        fills = tuple(f for f in state.fills if f.id != msg.req)
        for client, req in fill.waiters:
            ctx.send(client, ReadReply(msg.key, req, msg.version, False))
        entry = Entry(msg.version, self._expires(ctx.now), ctx.now - fill.started)
        state = replace(state, fills=fills)
        if _find(state.dirty, msg.key) is not None:
            return state  # a write-back write is newer than anything the store has
        age = max(state.max_fill_age, ctx.now - msg.read_at)
        return replace(self._cache(state, msg.key, entry), max_fill_age=age)

    def write_rule(self, ctx: Context, state: CacheState, src: str, msg: Write) -> CacheState:
        """What a ``Write`` does, per pattern.

        - write-through: write the store; when it answers, cache the version and acknowledge;
        - read-through: write the store; when it answers, drop the entry and acknowledge;
        - write-around: clients write the store directly; a ``Write`` sent here anyway is
          written to the store and the cache is not touched (an entry cached before stays
          until it expires);
        - write-back: cache the version, make it durable (``ctx.persist``), acknowledge; a
          timer writes dirty entries to the store every ``flush_interval``.
        """
        pattern = self.config.pattern
        if pattern == "write-back":
            entry = Entry(msg.version, self._expires(ctx.now))
            state = replace(state, dirty=_put(state.dirty, msg.key, msg.version))
            state = self._cache(state, msg.key, entry)
            dirty = state.dirty
            if self.config.mutant != "ack_before_durable":
                ctx.persist((state.epoch, dirty))  # durable on disk before the acknowledgement
                state = replace(state, persisted=dirty)
            # MUTANT ack_before_durable: acknowledged now, persisted only at the next flush
            ctx.send(src, WriteReply(msg.key, msg.version, msg.req))
            return state
        wid = state.next_id
        ctx.send(self.config.store, StoreWrite(msg.key, msg.version, wid))
        pending = (msg.key, msg.version, src, msg.req)
        return replace(state, writes=_put(state.writes, wid, pending), next_id=wid + 1)

    def _written(self, ctx: Context, state: CacheState, msg: StoreWriteReply) -> CacheState:
        pending = _find(state.writes, msg.req)
        if pending is None:
            return state
        key, version, client, req = pending
        state = replace(state, writes=_drop(state.writes, msg.req))
        if client is None:  # a write-back flush
            if _find(state.dirty, key) == version:
                dirty = _drop(state.dirty, key)
                ctx.persist((state.epoch, dirty))
                state = replace(state, dirty=dirty, persisted=dirty)
            return state
        if self.config.pattern == "write-through":
            state = self._cache(state, key, Entry(version, self._expires(ctx.now)))
        elif self.config.pattern == "read-through":
            state = replace(state, entries=_drop(state.entries, key))
        ctx.send(client, WriteReply(key, version, req))
        return state

    def on_timer(self, ctx: Context, state: CacheState, timer: Any) -> CacheState:
        if timer != "flush":
            return state
        ctx.set_timer("flush", self.config.flush_interval)
        if self.config.mutant == "ack_before_durable" and state.persisted != state.dirty:
            ctx.persist((state.epoch, state.dirty))
            state = replace(state, persisted=state.dirty)
        writes, next_id = state.writes, state.next_id
        flushing = {(v[0], v[1]) for _, v in writes if v[2] is None}
        for key, version in state.dirty:
            if (key, version) in flushing:
                continue
            ctx.send(self.config.store, StoreWrite(key, version, next_id))
            writes = _put(writes, next_id, (key, version, None, 0))
            next_id += 1
        return replace(state, writes=writes, next_id=next_id)

    def on_message(self, ctx: Context, state: CacheState, src: str, msg: Any) -> CacheState:
        if isinstance(msg, (Get, Set, Delete)):
            return self._memcache(ctx, state, src, msg)
        if isinstance(msg, Read):
            return self._read(ctx, state, src, msg)
        if isinstance(msg, Write):
            return self.write_rule(ctx, state, src, msg)
        if isinstance(msg, StoreReadReply):
            return self._filled(ctx, state, msg)
        if isinstance(msg, StoreWriteReply):
            return self._written(ctx, state, msg)
        return state
