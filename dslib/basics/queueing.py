"""A queueing server and an open-loop load, to measure latency against throughput (section 1.3).

A ``QueueServer`` serves one request at a time, each taking ``service_time``; the
others wait in line. A ``LoadGenerator`` sends requests at random (Poisson)
times, as many independent users would, without waiting for answers.
``request_latencies`` reads each request's latency off a trace.

Examples
--------
>>> from dslib import Simulation, System
>>> sim = Simulation(System({"s": QueueServer(2.0), "g": LoadGenerator("s", 0.1, 3)}))
>>> request_latencies(sim.run().trace)
[4.0, 4.0, 4.0]
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node
from dslib.sim.clients import Reply, Request
from dslib.sim.trace import Trace

__all__ = ["LoadGenerator", "QueueServer", "QueueState", "request_latencies"]


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
