"""The small protocols of chapter 1: ping-pong, request/response, a queueing server.

They are deliberately simple, so that what the reader watches is the network
and the failures, not the protocol: a ``Pinger`` and a ``Ponger``; a key-value
``KVServer`` for the ``Client`` of ``dslib.sim`` (timeouts and retries); a
``QueueServer`` that takes time to serve each request, driven by an open-loop
``LoadGenerator``, to measure latency against throughput; and a
``CounterServer`` whose increments show what partial failure does to retries.

Examples
--------
>>> from dslib import Simulation, System
>>> sim = Simulation(System({"pinger": Pinger(count=3), "ponger": Ponger()}), seed=1)
>>> sim.run().states["pinger"]
PingerState(sent=3, acked=3)
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node
from dslib.sim.clients import Reply, Request
from dslib.sim.trace import Trace

__all__ = [
    "CounterServer",
    "KVServer",
    "LoadGenerator",
    "Ping",
    "Pinger",
    "PingerState",
    "Pong",
    "Ponger",
    "QueueServer",
    "QueueState",
    "request_latencies",
]


# -- ping-pong -------------------------------------------------------------------------
@dataclass(frozen=True)
class Ping:
    """A ping, numbered."""

    seq: int


@dataclass(frozen=True)
class Pong:
    """The answer to ``Ping(seq)``."""

    seq: int


@dataclass(frozen=True)
class PingerState:
    """How many pings were sent, and how many pongs came back."""

    sent: int = 0
    acked: int = 0


class Pinger(Node[PingerState]):
    """Sends ``count`` pings to ``ponger``, one every ``period``, and counts the pongs.

    Parameters
    ----------
    count : int, default 10
        How many pings to send.
    period : float, default 10
        Time between two pings.
    ponger : str, default "ponger"
        The id of the node to ping.
    """

    def __init__(self, count: int = 10, period: float = 10.0, ponger: str = "ponger") -> None:
        if not (isinstance(count, int) and count >= 0):
            raise ValueError(f"Pinger: count={count!r} must be an int >= 0")
        if not (isinstance(period, (int, float)) and period > 0):
            raise ValueError(f"Pinger: period={period!r} must be a number > 0")
        self.count, self.period, self.ponger = count, float(period), ponger

    def init(self, ctx: Context) -> PingerState:
        if self.count:
            ctx.set_timer("tick", 0.0)
        return PingerState()

    def on_timer(self, ctx: Context, state: PingerState, timer: Any) -> PingerState:
        ctx.send(self.ponger, Ping(state.sent))
        if state.sent + 1 < self.count:
            ctx.set_timer("tick", self.period)
        return replace(state, sent=state.sent + 1)

    def on_message(self, ctx: Context, state: PingerState, src: str, msg: Any) -> PingerState:
        return replace(state, acked=state.acked + 1)


class Ponger(Node[int]):
    """Answers every ``Ping(seq)`` with ``Pong(seq)``; its state counts the pings."""

    def init(self, ctx: Context) -> int:
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        ctx.send(src, Pong(msg.seq))
        return state + 1


# -- request/response ----------------------------------------------------------------
class KVServer(Node[tuple[tuple[Hashable, Any], ...]]):
    """A single-copy key-value store for ``dslib.sim.Client``: get, put, read and write.

    The state is a sorted tuple of ``(key, value)`` pairs. ``read`` and
    ``write`` act on the key ``None``, so a plain register workload works too.
    """

    def init(self, ctx: Context) -> tuple[tuple[Hashable, Any], ...]:
        return ()

    def on_message(
        self, ctx: Context, state: tuple[tuple[Hashable, Any], ...], src: str, msg: Any
    ) -> tuple[tuple[Hashable, Any], ...]:
        data = dict(state)
        if msg.f in ("put", "write"):
            data[msg.key] = msg.value
            ctx.send(src, Reply(msg.request_id, True, msg.value))
            return tuple(sorted(data.items(), key=lambda kv: repr(kv[0])))
        if msg.f in ("get", "read"):
            ctx.send(src, Reply(msg.request_id, True, data.get(msg.key)))
            return state
        ctx.send(src, Reply(msg.request_id, False, f"unknown operation {msg.f!r}"))
        return state


class CounterServer(Node[int]):
    """A counter: every ``incr`` request adds one and replies with the new value.

    It does not recognise a retried request, so a retry after a lost reply
    increments twice: chapter 1's picture of partial failure (and chapter 5's
    reason for idempotency keys).
    """

    def init(self, ctx: Context) -> int:
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        ctx.send(src, Reply(msg.request_id, True, state + 1))
        return state + 1


# -- latency against throughput --------------------------------------------------------
@dataclass(frozen=True)
class QueueState:
    """The requests waiting (``(client, request)`` pairs, oldest first) and the one in service."""

    waiting: tuple[tuple[str, Request], ...] = ()
    serving: tuple[str, Request] | None = None
    served: int = 0


class QueueServer(Node[QueueState]):
    """Serves one request at a time, each taking ``service_time``; the rest wait in line.

    Parameters
    ----------
    service_time : float or (float, float), default 1.0
        How long one request takes (a range draws uniformly from it).
    """

    def __init__(self, service_time: float | tuple[float, float] = 1.0) -> None:
        self.service_time = service_time

    def init(self, ctx: Context) -> QueueState:
        return QueueState()

    def on_message(self, ctx: Context, state: QueueState, src: str, msg: Any) -> QueueState:
        if state.serving is None:
            ctx.set_timer("done", self.service_time)
            return replace(state, serving=(src, msg))
        return replace(state, waiting=(*state.waiting, (src, msg)))

    def on_timer(self, ctx: Context, state: QueueState, timer: Any) -> QueueState:
        assert state.serving is not None
        client, request = state.serving
        ctx.send(client, Reply(request.request_id, True, None))
        if state.waiting:
            ctx.set_timer("done", self.service_time)
            return replace(
                state, serving=state.waiting[0], waiting=state.waiting[1:], served=state.served + 1
            )
        return replace(state, serving=None, served=state.served + 1)


class LoadGenerator(Node[int]):
    """Sends requests to ``server`` at random (Poisson) times, ``rate`` per time unit.

    Open loop: it does not wait for answers, as many independent users would
    not. It stops after ``count`` requests. Its state counts the replies.
    """

    def __init__(self, server: str, rate: float, count: int) -> None:
        if not (isinstance(rate, (int, float)) and rate > 0 and math.isfinite(rate)):
            raise ValueError(f"LoadGenerator: rate={rate!r} must be a number > 0")
        if not (isinstance(count, int) and count >= 0):
            raise ValueError(f"LoadGenerator: count={count!r} must be an int >= 0")
        self.server, self.rate, self.count = server, float(rate), count

    def init(self, ctx: Context) -> int:
        if self.count:
            ctx.set_timer(0, ctx.rng.expovariate(self.rate))
        return 0

    def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
        ctx.send(self.server, Request(ctx.id, timer, "work"))
        if timer + 1 < self.count:
            ctx.set_timer(timer + 1, ctx.rng.expovariate(self.rate))
        return state

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        return state + 1


def request_latencies(trace: Trace) -> list[float]:
    """Time from each ``Request`` sent to its ``Reply`` delivered, in completion order.

    A request is identified by ``(client, request_id)``; a request that was
    never answered has no latency (count them with ``trace.messages()``).

    >>> from dslib import Simulation, System
    >>> sim = Simulation(System({"s": QueueServer(2.0), "g": LoadGenerator("s", 0.1, 3)}))
    >>> request_latencies(sim.run().trace)
    [4.0, 4.0, 4.0]
    """
    sent: dict[tuple[str, Hashable], float] = {}
    out: list[float] = []
    for e in trace:
        if e.kind == "send" and isinstance(e.data, Request):
            sent.setdefault((str(e.node), e.data.request_id), e.time)
        elif e.kind == "deliver" and isinstance(e.data, Reply):
            start = sent.pop((str(e.node), e.data.request_id), None)
            if start is not None:
                out.append(e.time - start)
    return out
