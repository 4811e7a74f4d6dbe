"""One workload on each architecture, measured the same way.

Every architecture of chapter 5 gets the same open-loop workload (``requests``
requests at Poisson times, ``rate`` per time unit, over the same network) and
the same measurements: latency percentiles (p50, p95, p99 of the requests that
completed), throughput, messages per request (every message the system sent,
background traffic such as heartbeats and stabilization included, divided by
the requests), and what one node's failure does (``fail=True`` crashes a
chosen node a third of the way through).

==================  ===================================  ==============================
architecture        a request is                         the node that fails
==================  ===================================  ==============================
client-server       a call to one deduplicating server   the server (restarts at 2/3)
peer-to-peer        a Chord lookup from a random peer    one peer
microservices       browse or buy at the gateway         the payments service
event-driven        an event, published until processed  the subscriber (restarts at 2/3)
service-oriented    a call to an instance found in a     one of three instances
                    registry
==================  ===================================  ==============================

Examples
--------
>>> row = run_architecture("client-server", requests=50, seed=1)
>>> row["completed"], row["messages per request"]
(50, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from dslib.architectures.client_server import DedupServer
from dslib.architectures.events import Broker, Deliver, Publish, Subscriber
from dslib.architectures.microservices import CircuitBreaker, Service
from dslib.architectures.p2p import ChordNode, Found, Lookup, chord_id
from dslib.architectures.soa import Contract, DiscoveringClient, Registry, ServiceInstance
from dslib.core import Context, Node, System
from dslib.sim.clients import Reply, Request
from dslib.sim.nemesis import Crash, Nemesis, Restart
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation
from dslib.stats import is_number, percentile

__all__ = [
    "ARCHITECTURES",
    "OpenLoopSource",
    "SourceState",
    "compare_architectures",
    "run_architecture",
]

ARCHITECTURES = (
    "client-server",
    "peer-to-peer",
    "microservices",
    "event-driven",
    "service-oriented",
)


@dataclass(frozen=True)
class SourceState:
    """When each request was sent, and when it completed (``(i, sent, done, ok)``)."""

    sent: tuple[float, ...] = ()
    done: tuple[tuple[int, float, bool], ...] = ()


class OpenLoopSource(Node[SourceState]):
    """Sends ``count`` requests at Poisson times, ``rate`` per time unit.

    ``make(i, ctx)`` returns ``(destination, message)`` for request ``i``
    (1, 2, ...); ``match(msg)`` returns ``(i, ok)`` for a message that
    completes request ``i``, or ``None``.

    Examples
    --------
    >>> OpenLoopSource(lambda i, ctx: ("s", i), lambda m: None, rate=1.0, count=3)
    OpenLoopSource(3 requests at 1.0/unit)
    """

    def __init__(
        self,
        make: Callable[[int, Context], tuple[str, Any]],
        match: Callable[[Any], tuple[int, bool] | None],
        rate: float,
        count: int,
    ) -> None:
        self.make, self.match, self.rate, self.count = make, match, float(rate), count

    def init(self, ctx: Context) -> SourceState:
        if self.count:
            ctx.set_timer(1, ctx.rng.expovariate(self.rate))
        return SourceState()

    def on_timer(self, ctx: Context, state: SourceState, timer: Any) -> SourceState:
        dst, msg = self.make(timer, ctx)
        ctx.send(dst, msg)
        if timer < self.count:
            ctx.set_timer(timer + 1, ctx.rng.expovariate(self.rate))
        return replace(state, sent=(*state.sent, ctx.now))

    def on_message(self, ctx: Context, state: SourceState, src: str, msg: Any) -> SourceState:
        found = self.match(msg)
        if found is None:
            return state
        i, ok = found
        if any(d[0] == i for d in state.done):
            return state
        return replace(state, done=(*state.done, (i, ctx.now, ok)))

    def __repr__(self) -> str:
        return f"OpenLoopSource({self.count} requests at {self.rate}/unit)"


def _reply_match(msg: Any) -> tuple[int, bool] | None:
    return (msg.request_id, msg.ok) if isinstance(msg, Reply) else None


def _build(name: str, requests: int, rate: float) -> tuple[dict[str, Node[Any]], str, bool]:
    """The nodes, the node to fail, and whether it restarts."""
    if name == "client-server":

        def make_cs(i: int, ctx: Context) -> tuple[str, Any]:
            return "server", Request(ctx.id, i, "incr", None, 1)

        return (
            {
                "server": DedupServer(),
                "source": OpenLoopSource(make_cs, _reply_match, rate, requests),
            },
            "server",
            True,
        )
    if name == "peer-to-peer":
        peers = [f"p{i:02d}" for i in range(16)]

        def make_p2p(i: int, ctx: Context) -> tuple[str, Any]:
            return peers[ctx.rng.randrange(len(peers))], Lookup(chord_id(f"k{i}", 32), i)

        def match_p2p(msg: Any) -> tuple[int, bool] | None:
            return (msg.tag[1], True) if isinstance(msg, Found) else None

        nodes: dict[str, Node[Any]] = dict.fromkeys(peers, ChordNode(32, ring=peers, period=2.0))
        nodes["source"] = OpenLoopSource(make_p2p, match_p2p, rate, requests)
        return nodes, peers[5], False
    if name == "microservices":
        breaker = CircuitBreaker(threshold=3, cooldown=10.0)

        def make_ms(i: int, ctx: Context) -> tuple[str, Any]:
            return "gateway", Request(ctx.id, i, "buy" if ctx.rng.random() < 0.5 else "browse")

        return (
            {
                "source": OpenLoopSource(make_ms, _reply_match, rate, requests),
                "gateway": Service(
                    {"browse": [("catalog", "list")], "buy": [("orders", "place")]},
                    service_time=0.05,
                    timeout=12.0,
                    breaker=breaker,
                ),
                "catalog": Service({"list": []}, service_time=(0.2, 0.6)),
                "orders": Service(
                    {"place": [("inventory", "reserve"), ("payments", "charge")]},
                    service_time=0.1,
                    timeout=4.0,
                    breaker=breaker,
                ),
                "inventory": Service({"reserve": []}, service_time=(0.2, 0.4)),
                "payments": Service({"charge": []}, service_time=(0.2, 0.4)),
            },
            "payments",
            False,
        )
    if name == "event-driven":

        def make_ev(i: int, ctx: Context) -> tuple[str, Any]:
            return "broker", Publish("orders", f"e{i}", i)

        return (
            {
                "source": OpenLoopSource(make_ev, lambda m: None, rate, requests),
                "broker": Broker({"subscriber": ["orders"]}, redeliver_after=5.0),
                "subscriber": Subscriber(),
            },
            "subscriber",
            True,
        )
    if name == "service-oriented":
        contract = Contract("orders", (1, 0), (("item", "str", True),))
        nodes = {"registry": Registry(ttl=3.0)}
        for i in range(3):
            nodes[f"orders-{i + 1}"] = ServiceInstance(contract, heartbeat=1.0)
        nodes["source"] = DiscoveringClient(
            "orders", 1, [("item", "pen")], calls=requests, interval=1.0 / rate, timeout=2.0
        )
        return nodes, "orders-1", False
    raise ValueError(f"unknown architecture {name!r}; allowed: {', '.join(ARCHITECTURES)}")


def run_architecture(
    name: str,
    requests: int = 200,
    rate: float = 1.0,
    loss: float = 0.0,
    fail: bool = False,
    seed: int = 0,
) -> dict[str, Any]:
    """Run the common workload on one architecture and measure it.

    Returns
    -------
    dict
        ``architecture``, ``requests``, ``completed`` (requests that completed
        successfully), ``p50``, ``p95``, ``p99``, ``throughput`` (completed per
        time unit, over the time the requests were being sent), ``messages per
        request``, ``failed node`` (with ``fail``), ``latencies`` (the list).

    Examples
    --------
    >>> r = run_architecture("event-driven", requests=40, fail=True, seed=2)
    >>> r["completed"], r["failed node"]
    (40, 'subscriber (restarts)')
    """
    if name not in ARCHITECTURES:
        raise ValueError(f"run_architecture: {name!r}; allowed: {', '.join(ARCHITECTURES)}")
    if not (isinstance(requests, int) and requests >= 1):
        raise ValueError(f"run_architecture: requests={requests!r} must be an int >= 1")
    if not (is_number(rate) and rate > 0):
        raise ValueError(f"run_architecture: rate={rate!r} must be > 0")
    nodes, victim, restarts = _build(name, requests, rate)
    span = requests / rate
    schedule: list[tuple[float, Any]] = []
    if fail:
        schedule.append((span / 3, Crash(victim)))
        if restarts:
            schedule.append((2 * span / 3, Restart(victim)))
    sim = Simulation(
        System(nodes),
        seed=seed,
        network=Network(uniform(0.05, 0.15), loss=loss),
        nemesis=Nemesis(schedule) if schedule else None,
    )
    sim.run(until=span + 60.0)
    latencies: list[float] = []
    completed = 0
    if name == "event-driven":
        sent_at = {
            e.data.event_id: e.time
            for e in sim.trace.of_kind("send")
            if e.node == "source" and isinstance(e.data, Publish)
        }
        done: dict[str, float] = {}
        for e in sim.trace.of_kind("deliver"):
            if e.node == "subscriber" and isinstance(e.data, Deliver):
                done.setdefault(e.data.event_id, e.time)
        processed = sim.states["subscriber"].processed
        latencies = [done[ev] - sent_at[ev] for ev in sorted(processed) if ev in sent_at]
        completed = len(processed)
    elif name == "service-oriented":
        results = sim.states["source"].results
        latencies = [r[2] - r[1] for r in results if r[3]]
        completed = len(latencies)
    else:
        st: SourceState = sim.states["source"]
        for i, t, ok in st.done:
            if ok:
                latencies.append(t - st.sent[i - 1])
        completed = len(latencies)
    messages = sim.trace.count("send")

    def pct(q: int) -> float:  # nan when no request completed
        return round(percentile(latencies, q), 3) if latencies else math.nan

    return {
        "architecture": name,
        "requests": requests,
        "completed": completed,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "throughput": round(completed / span, 3),
        "messages per request": round(messages / requests, 2),
        "failed node": (f"{victim} (restarts)" if restarts else victim) if fail else "none",
        "latencies": latencies,
    }


def compare_architectures(
    requests: int = 200, rate: float = 1.0, loss: float = 0.0, seed: int = 0
) -> list[dict[str, Any]]:
    """The comparison table: each architecture without and with one node's failure.

    Returns a list of rows (without the latency lists), two per architecture.

    Examples
    --------
    >>> rows = compare_architectures(requests=30, seed=1)
    >>> [(r["architecture"], r["failed node"]) for r in rows][:2]
    [('client-server', 'none'), ('client-server', 'server (restarts)')]
    """
    rows = []
    for name in ARCHITECTURES:
        for fail in (False, True):
            row = run_architecture(name, requests, rate, loss, fail, seed)
            row.pop("latencies")
            rows.append(row)
    return rows
