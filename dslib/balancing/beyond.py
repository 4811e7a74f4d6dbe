"""Beyond the algorithm: what the balancer balances, new backends, and the balancer itself.

Three things a balancing policy alone does not settle:

- **Per connection or per request.** A layer-4 balancer sees TCP connections, not requests:
  it picks a backend when a connection opens, and every request on that connection goes
  there. With long-lived connections (HTTP/2, gRPC, database pools) that carry unequal
  traffic, the backends get unequal load however evenly the connections were spread. A
  layer-7 balancer parses the requests and picks a backend for each one.
- **Slow start.** A backend that has just joined is slow at first (cold caches, a JIT not yet
  warm). Least connections sees it with no requests outstanding and sends it everything
  until its queue is as long as the others', while each of its requests takes several
  times longer. Slow start (HAProxy's ``slowstart``, Envoy's slow start mode) ramps the new
  backend's weight from almost nothing to full over a window.
- **The balancer as a single point of failure.** An active-passive pair shares a virtual
  IP address (VRRP, RFC 5798): the active one sends an advertisement every ``advert``
  time units; the passive one takes the address over after ``3 * advert`` without one
  (the RFC's ``Master_Down_Interval``, less its skew time), and the requests sent in
  between are lost: the fail-over gap.

- ``Req``, ``Resp``; ``WarmingBackend``; ``ConnectionLoad``; ``EdgeBalancer`` (``mode``);
  ``connection_run``, ``slow_start_run``;
- ``Router``, ``PairBalancer``, ``failover_run``;
- ``MUTANTS``; ``SLOW_START_MUTANTS`` and ``SLOW_START_CHECKS``; ``FAILOVER_MUTANTS`` and
  ``FAILOVER_CHECKS``.

Examples
--------
>>> rows = [connection_run(m, seed=0) for m in ("per connection", "per request")]
>>> [r["busiest share"] > 0.3 for r in rows]
[True, False]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import Mutant, Outcome, check_mutant
from dslib.sim.nemesis import Crash, Nemesis
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation
from dslib.stats import is_number, percentile

__all__ = [
    "FAILOVER_CHECKS",
    "FAILOVER_MUTANTS",
    "MODES",
    "MUTANTS",
    "SLOW_START_CHECKS",
    "SLOW_START_MUTANTS",
    "Advert",
    "Claim",
    "ConnectionLoad",
    "EdgeBalancer",
    "EdgeState",
    "Hello",
    "PairBalancer",
    "Req",
    "Resp",
    "Router",
    "WarmingBackend",
    "connection_run",
    "failover_run",
    "slow_start_run",
]

MODES = ("per connection", "per request", "least connections", "slow start")
"""How ``EdgeBalancer`` picks a backend."""

MUTANTS: dict[str, str] = {
    "full-weight": "slow start gives a new backend its full weight at once",
    "never-claims": "the passive balancer never takes the virtual address over",
    "eager-takeover": "the passive balancer takes over after one advertisement interval",
}
"""The broken versions (``mutant=``): name -> what is wrong."""


# == messages ===================================================================================
@dataclass(frozen=True)
class Req:
    """Request ``id`` on connection ``conn`` (sent at ``sent``, echoed back)."""

    id: int
    conn: int = 0
    sent: float = 0.0


@dataclass(frozen=True)
class Resp:
    id: int
    sent: float
    backend: str


@dataclass(frozen=True)
class Hello:
    """A backend announces that it has joined."""


# == backends ===================================================================================
class WarmingBackend(Node[tuple[tuple[tuple[str, Req], ...], bool, int]]):
    """One worker, FIFO, exponential service of mean ``service``. From ``join`` on it tells
    the balancer ``"lb"`` it is there (``join=None``: it never does; it serves whoever
    sends to it). It starts cold: for ``warm`` time units after joining its requests take
    longer, ``cold`` times longer at first, linearly less until it is warm. The state is
    the queue (oldest first), whether the worker is busy, and the requests served.

    Examples
    --------
    >>> WarmingBackend(cold=5.0, warm=60.0, join=100.0)
    WarmingBackend(mean 1.0, 5.0x slower at first, warm 60.0 after joining at 100.0)
    """

    def __init__(
        self,
        service: float = 1.0,
        cold: float = 1.0,
        warm: float = 1.0,
        join: float | None = 0.0,
    ) -> None:
        if not (is_number(service) and service > 0 and is_number(cold) and cold >= 1):
            raise ValueError(
                f"WarmingBackend: service={service!r} must be > 0 and cold={cold!r} >= 1"
            )
        if not (is_number(warm) and warm > 0):
            raise ValueError(f"WarmingBackend: warm={warm!r} must be > 0")
        self.service, self.cold, self.warm, self.join = service, cold, warm, join

    def init(self, ctx: Context) -> Any:
        if self.join is not None:
            ctx.set_timer("join", self.join)
        return ((), False, 0)

    def on_timer(self, ctx: Context, state: Any, timer: Any) -> Any:
        queue, _busy, served = state
        if timer == "join":
            ctx.send("lb", Hello())
            return state
        src, req = queue[0]
        ctx.send(src, Resp(req.id, req.sent, ctx.id))
        return self._start(ctx, (queue[1:], False, served + 1))

    def on_message(self, ctx: Context, state: Any, src: str, msg: Any) -> Any:
        if not isinstance(msg, Req):
            return state
        queue, busy, served = state
        return self._start(ctx, ((*queue, (src, msg)), busy, served))

    def slowdown(self, now: float) -> float:
        """How many times slower than when warm, at time ``now``."""
        since = now - (self.join or 0.0)
        return 1 + (self.cold - 1) * max(0.0, 1 - since / self.warm)

    def _start(self, ctx: Context, state: Any) -> Any:
        queue, busy, served = state
        if busy or not queue:
            return state
        mean = self.service * self.slowdown(ctx.now)
        ctx.set_timer("done", ctx.rng.expovariate(1.0 / mean))
        return (queue, True, served)

    def __repr__(self) -> str:
        return (
            f"WarmingBackend(mean {self.service}, {self.cold}x slower at first, warm "
            f"{self.warm} after joining at {self.join})"
        )


class ConnectionLoad(Node[tuple[float, ...]]):
    """``requests`` requests at Poisson times, ``rate`` per time unit, to ``"lb"``; request
    ``i`` rides on connection ``k`` with probability proportional to ``1 / (k + 1)`` (a
    few heavy clients, many light ones: Zipf), out of ``connections``; requests go to
    ``to``. The state holds the latency of each response.

    Examples
    --------
    >>> ConnectionLoad(rate=2.0, requests=10, connections=8)
    ConnectionLoad(10 requests at 2.0/unit on 8 connections)
    """

    def __init__(self, rate: float, requests: int, connections: int = 16, to: str = "lb") -> None:
        self.rate, self.requests, self.connections, self.to = rate, requests, connections, to
        self.weights = [1 / (k + 1) for k in range(connections)]

    def init(self, ctx: Context) -> tuple[float, ...]:
        ctx.set_timer(1, ctx.rng.expovariate(self.rate))
        return ()

    def on_timer(self, ctx: Context, state: tuple[float, ...], timer: Any) -> tuple[float, ...]:
        conn = ctx.rng.choices(range(self.connections), self.weights)[0]
        ctx.send(self.to, Req(timer, conn, ctx.now))
        if timer < self.requests:
            ctx.set_timer(timer + 1, ctx.rng.expovariate(self.rate))
        return state

    def on_message(self, ctx: Context, state: tuple[float, ...], src: str, msg: Any) -> Any:
        return (*state, ctx.now - msg.sent) if isinstance(msg, Resp) else state

    def __repr__(self) -> str:
        return (
            f"ConnectionLoad({self.requests} requests at {self.rate}/unit on "
            f"{self.connections} connections)"
        )


# == the balancer ===============================================================================
@dataclass(frozen=True)
class EdgeState:
    """The backends (in joining order) with when each joined, the requests outstanding at
    each, the backend of each connection, who asked each request, and the requests sent
    to each backend."""

    joined: tuple[tuple[str, float], ...] = ()
    outstanding: tuple[tuple[str, int], ...] = ()
    pinned: tuple[tuple[int, str], ...] = ()
    asked: tuple[tuple[int, str], ...] = ()
    sent: tuple[tuple[str, int], ...] = ()

    def __hash__(self) -> int:
        return hash((self.joined, self.outstanding, len(self.asked)))


def _bump(pairs: tuple[tuple[str, int], ...], key: str, by: int) -> tuple[tuple[str, int], ...]:
    d = dict(pairs)
    d[key] = d.get(key, 0) + by
    return tuple(sorted(d.items()))


class EdgeBalancer(Node[EdgeState]):
    """Forwards each request to a backend that has said ``Hello``.

    - ``"per connection"`` (layer 4): a connection's first request picks the backend with
      the fewest connections pinned to it; every later request on it goes there;
    - ``"per request"`` and ``"least connections"`` (layer 7): the backend with the fewest
      requests outstanding (ties to the first joined);
    - ``"slow start"``: the fewest outstanding requests per unit of weight; a backend's
      weight grows linearly from 0.1 to 1 over ``window`` after it joins.

    Examples
    --------
    >>> EdgeBalancer("slow start", window=30.0)
    EdgeBalancer(slow start, window 30.0)
    """

    def __init__(self, mode: str, window: float = 30.0, mutant: str | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"EdgeBalancer: mode={mode!r}; allowed: {', '.join(MODES)}")
        if not (is_number(window) and window > 0):
            raise ValueError(f"EdgeBalancer: window={window!r} must be > 0")
        self.mode, self.window = mode, float(window)
        self.mutant = check_mutant("EdgeBalancer", mutant, MUTANTS)

    def init(self, ctx: Context) -> EdgeState:
        return EdgeState()

    def weight(self, joined_at: float, now: float) -> float:
        """Slow start: 0.1 on joining, growing linearly to 1 after ``window``."""
        if self.mutant == "full-weight":  # mutant: no ramp
            return 1.0
        return min(1.0, 0.1 + 0.9 * (now - joined_at) / self.window)

    def choose(self, state: EdgeState, req: Req, now: float) -> str:
        """The backend for ``req``, by the mode."""
        out = dict(state.outstanding)
        names = [b for b, _t in state.joined]
        if self.mode == "per connection":
            pinned = dict(state.pinned)
            if req.conn in pinned:
                return pinned[req.conn]
            load = {b: 0 for b in names}
            for b in pinned.values():
                load[b] += 1
            return min(names, key=lambda b: load[b])
        if self.mode == "slow start":
            joined = dict(state.joined)
            return min(names, key=lambda b: (out.get(b, 0) + 1) / self.weight(joined[b], now))
        return min(names, key=lambda b: out.get(b, 0))

    def on_message(self, ctx: Context, state: EdgeState, src: str, msg: Any) -> EdgeState:
        if isinstance(msg, Hello):
            return replace(state, joined=(*state.joined, (src, ctx.now)))
        if isinstance(msg, Req) and state.joined:
            backend = self.choose(state, msg, ctx.now)
            ctx.send(backend, msg)
            pinned = state.pinned
            if self.mode == "per connection" and msg.conn not in dict(pinned):
                pinned = (*pinned, (msg.conn, backend))
            return replace(
                state,
                outstanding=_bump(state.outstanding, backend, 1),
                pinned=pinned,
                asked=(*state.asked, (msg.id, src)),
                sent=_bump(state.sent, backend, 1),
            )
        if isinstance(msg, Resp):
            asked = dict(state.asked)
            ctx.send(asked.get(msg.id, "load"), msg)
            return replace(
                state,
                outstanding=_bump(state.outstanding, src, -1),
                asked=tuple(a for a in state.asked if a[0] != msg.id),
            )
        return state

    def __repr__(self) -> str:
        return f"EdgeBalancer({self.mode}, window {self.window})"


def connection_run(
    mode: str, backends: int = 4, rate: float = 2.8, requests: int = 1500, seed: int = 0
) -> dict[str, Any]:
    """Requests on 16 long-lived connections of unequal traffic (``ConnectionLoad``) to
    ``backends`` backends of mean service 1 (capacity ``backends`` per time unit), balanced
    per connection or per request.

    Returns
    -------
    dict
        ``mode``, ``load`` (rate over capacity), ``busiest share`` (fraction of the requests
        sent to the busiest backend; ``1 / backends`` is even), ``p50`` and ``p99``
        (response time, time units).

    Examples
    --------
    >>> connection_run("per request", requests=300, seed=1)["busiest share"] < 0.3
    True
    """
    names = [f"b{i + 1}" for i in range(backends)]
    nodes: dict[str, Node[Any]] = {"load": ConnectionLoad(rate, requests), "lb": EdgeBalancer(mode)}
    nodes |= {b: WarmingBackend() for b in names}
    sim = Simulation(System(nodes), seed=seed, network=Network(uniform(0.01, 0.03)))
    sim.run()
    latencies = list(sim.states["load"])
    lb: EdgeState = sim.states["lb"]
    return {
        "mode": mode,
        "load": round(rate / backends, 2),
        "busiest share": round(max(n for _b, n in lb.sent) / requests, 3),
        "p50": round(percentile(latencies, 50), 2),
        "p99": round(percentile(latencies, 99), 2),
    }


def slow_start_run(
    mode: str, window: float = 60.0, seed: int = 0, mutant: str | None = None
) -> dict[str, Any]:
    """Three warm backends from the start, at 0.93 of their capacity (2.8 requests per time
    unit; 700 requests); a fourth joins at time 100 to share the load, cold: 5 times
    slower at first, warm 60 time units later. ``mode``: ``"least connections"`` or
    ``"slow start"`` (over ``window``).

    Returns
    -------
    dict
        ``mode``, ``new backend's share`` (of the requests from 100 to 200),
        ``p99 new`` (response time of the requests the new backend served in its first 100
        time units), ``p99 others`` (the other backends', same period), ``p99 all``.

    Examples
    --------
    >>> slow_start_run("least connections", seed=0)["p99 all"]
    19.87
    >>> slow_start_run("slow start", seed=0)["p99 all"]
    8.41
    """
    if mode not in ("least connections", "slow start"):
        raise ValueError(f"slow_start_run: mode={mode!r}; allowed: least connections, slow start")
    nodes: dict[str, Node[Any]] = {
        "load": ConnectionLoad(2.8, 700),
        "lb": EdgeBalancer(mode, window, mutant=mutant),
    }
    nodes |= {f"b{i}": WarmingBackend() for i in (1, 2, 3)}
    nodes["b4"] = WarmingBackend(cold=5.0, warm=60.0, join=100.0)
    sim = Simulation(System(nodes), seed=seed, network=Network(uniform(0.01, 0.03)))
    sim.run()
    responses = [(e.time, e.data) for e in sim.trace.of_kind("deliver") if e.node == "load"]
    window_ = [(t, r) for t, r in responses if 100 <= r.sent < 200]
    new = [t - r.sent for t, r in window_ if r.backend == "b4"]
    others = [t - r.sent for t, r in window_ if r.backend != "b4"]

    def p99(xs: list[float]) -> float:
        return round(percentile(xs, 99), 2) if xs else math.nan

    return {
        "mode": mode,
        "new backend's share": round(len(new) / len(window_), 3) if window_ else 0.0,
        "p99 new": p99(new),
        "p99 others": p99(others),
        "p99 all": p99([t - r.sent for t, r in window_]),
    }


# == the balancer as a single point of failure ==================================================
@dataclass(frozen=True)
class Advert:
    """VRRP's advertisement: the active balancer is alive."""


@dataclass(frozen=True)
class Claim:
    """A balancer takes the virtual address (a gratuitous ARP: the router now sends the
    address's traffic to it)."""


class Router(Node[tuple[str, tuple[tuple[float, str], ...]]]):
    """Delivers the virtual address's traffic to its current owner (``lb1`` at first);
    a ``Claim`` moves it. The state is the owner and the claims, ``(time, balancer)``.

    Examples
    --------
    >>> Router()
    Router(owner lb1 at first)
    """

    def init(self, ctx: Context) -> Any:
        return ("lb1", ())

    def on_message(self, ctx: Context, state: Any, src: str, msg: Any) -> Any:
        owner, claims = state
        if isinstance(msg, Claim):
            return (src, (*claims, (ctx.now, src)))
        if isinstance(msg, Req):
            ctx.send(owner, msg)
        if isinstance(msg, Resp):
            ctx.send("load", msg)
        return state

    def __repr__(self) -> str:
        return "Router(owner lb1 at first)"


class PairBalancer(Node[tuple[bool, float]]):
    """One of an active-passive pair. The active one (``lb1`` at first) forwards requests
    to the backends in turn and sends ``Advert`` to its peer every ``advert``; the passive
    one, after ``3 * advert`` with no advertisement, claims the virtual address and becomes
    active. The state: ``(active, last advertisement heard)``.

    Examples
    --------
    >>> PairBalancer("lb2", ["b1", "b2"], advert=1.0)
    PairBalancer(peer lb2, advert every 1.0)
    """

    def __init__(
        self, peer: str, backends: list[str], advert: float = 1.0, mutant: str | None = None
    ) -> None:
        if not (is_number(advert) and advert > 0):
            raise ValueError(f"PairBalancer: advert={advert!r} must be > 0")
        self.peer, self.backends, self.advert = peer, list(backends), float(advert)
        self.mutant = check_mutant("PairBalancer", mutant, MUTANTS)

    def down_interval(self) -> float:
        """How long the passive one waits: three advertisement intervals."""
        if self.mutant == "eager-takeover":  # mutant: one interval, no margin for delay
            return self.advert
        return 3 * self.advert

    def init(self, ctx: Context) -> tuple[bool, float]:
        active = ctx.id == "lb1"
        ctx.set_timer("tick", self.advert if active else self.down_interval())
        return (active, 0.0)

    def on_timer(self, ctx: Context, state: tuple[bool, float], timer: Any) -> Any:
        active, heard = state
        if active:
            ctx.send(self.peer, Advert())
            ctx.set_timer("tick", self.advert)
            return state
        if ctx.now - heard >= self.down_interval() and self.mutant != "never-claims":
            ctx.send("router", Claim())  # mutant never-claims: stays passive for ever
            ctx.set_timer("tick", self.advert)
            return (True, heard)
        ctx.set_timer("tick", max(heard + self.down_interval() - ctx.now, self.advert))
        return state

    def on_message(self, ctx: Context, state: tuple[bool, float], src: str, msg: Any) -> Any:
        if isinstance(msg, Advert):
            return (state[0], ctx.now)
        if isinstance(msg, Req):
            ctx.send(self.backends[msg.id % len(self.backends)], msg)
        if isinstance(msg, Resp):
            ctx.send("router", msg)
        return state

    def __repr__(self) -> str:
        return f"PairBalancer(peer {self.peer}, advert every {self.advert})"


def failover_run(
    advert: float = 1.0, crash_at: float = 50.0, seed: int = 0, mutant: str | None = None
) -> dict[str, Any]:
    """1,000 requests at 10 per time unit through the virtual address; the active balancer
    ``lb1`` crashes at ``crash_at``.

    Returns
    -------
    dict
        ``advert``, ``takeover after`` (from the crash to ``lb2``'s claim), ``gap`` (from
        the crash to the first answer that went through ``lb2``; both ``nan`` if ``lb2``
        took over before the crash, ``inf`` if never), ``lost`` (requests never
        answered), ``false takeovers`` (claims while ``lb1`` was alive).

    Examples
    --------
    >>> r = failover_run(advert=1.0, seed=0)
    >>> r["takeover after"], r["false takeovers"]
    (2.47, 0)
    """
    backends = ["b1", "b2"]
    nodes: dict[str, Node[Any]] = {
        "load": ConnectionLoad(10.0, 1000, connections=1, to="router"),
        "router": Router(),
        "lb1": PairBalancer("lb2", backends, advert, mutant=mutant),
        "lb2": PairBalancer("lb1", backends, advert, mutant=mutant),
    }
    nodes |= {b: WarmingBackend(service=0.05, join=None) for b in backends}
    sim = Simulation(
        System(nodes),
        seed=seed,
        network=Network(uniform(0.01, 0.6)),
        nemesis=Nemesis([(crash_at, Crash("lb1"))]),
    )
    sim.run(until=150.0)
    _owner, claims = sim.states["router"]
    answered = {
        e.data.id: e.time
        for e in sim.trace.of_kind("deliver")
        if e.node == "load" and isinstance(e.data, Resp)
    }
    via_lb2 = [
        e.time
        for e in sim.trace.of_kind("deliver")
        if e.node == "router" and e.peer == "lb2" and isinstance(e.data, Resp)
    ]
    claim_times = [t for t, who in claims if who == "lb2"]
    false = sum(t < crash_at for t in claim_times)
    return {
        "advert": advert,
        "takeover after": (
            math.nan if false else round(claim_times[0] - crash_at, 2) if claim_times else math.inf
        ),
        "gap": math.nan if false else round(min(via_lb2) - crash_at, 2) if via_lb2 else math.inf,
        "lost": 1000 - len(answered),
        "false takeovers": false,
    }


# == checks and mutants =========================================================================
_SEEDS = range(3)
_LEAST_CONNECTIONS: dict[int, dict[str, Any]] = {}


def check_slow_start_protects(mutant: str | None) -> Outcome:
    """From the join to 100 time units later, the p99 of all requests is at most two thirds
    of what least connections gives (three seeds)."""
    for seed in _SEEDS:
        if seed not in _LEAST_CONNECTIONS:  # the baseline does not depend on the mutant
            _LEAST_CONNECTIONS[seed] = slow_start_run("least connections", seed=seed)
        lc = _LEAST_CONNECTIONS[seed]
        ss = slow_start_run("slow start", seed=seed, mutant=mutant)
        if not ss["p99 all"] <= 2 / 3 * lc["p99 all"]:
            return Outcome(False, None, f"seed {seed}: {ss['p99 all']} vs {lc['p99 all']}")
    return Outcome(True)


def check_takeover_in_time(mutant: str | None) -> Outcome:
    """The passive balancer claims the address within ``4 * advert + 0.6`` of the crash
    (three intervals of silence, the last advertisement's network delay, at most 0.6, and
    one interval between its checks), and never while the active one is alive (three
    seeds, advertisements every 0.5 and 1.0)."""
    for seed in _SEEDS:
        for advert in (0.5, 1.0):
            r = failover_run(advert=advert, seed=seed, mutant=mutant)
            if r["false takeovers"] or not r["takeover after"] <= 4 * advert + 0.6:
                return Outcome(False, None, f"seed {seed}, advert {advert}: {r}")
    return Outcome(True)


SLOW_START_CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "slow start protects": check_slow_start_protects,
}
FAILOVER_CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "takeover in time": check_takeover_in_time,
}
"""Named checks (``None`` = correct), each over three seeds."""

SLOW_START_MUTANTS: list[Mutant[str | None]] = [
    Mutant("full-weight", MUTANTS["full-weight"], lambda: "full-weight", ("slow start protects",)),
]
FAILOVER_MUTANTS: list[Mutant[str | None]] = [
    Mutant("never-claims", MUTANTS["never-claims"], lambda: "never-claims", ("takeover in time",)),
    Mutant(
        "eager-takeover", MUTANTS["eager-takeover"], lambda: "eager-takeover", ("takeover in time",)
    ),
]
"""The mutants, for ``run_mutants(lambda: None, FAILOVER_MUTANTS, FAILOVER_CHECKS)`` (and
the same for slow start)."""
