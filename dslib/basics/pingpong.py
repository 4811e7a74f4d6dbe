"""Ping-pong, the first distributed system of the book (sections 1.0, 1.1 and 1.4).

A ``Pinger`` sends ``count`` numbered pings to a ``Ponger``, one every ``period``,
and counts the pongs that come back; the ``Ponger`` answers every ``Ping(seq)``
with ``Pong(seq)``. The protocol is deliberately trivial, so that what the reader
watches is the network: delay, loss, reordering and crashes.

Examples
--------
>>> from dslib import Simulation, System
>>> sim = Simulation(System({"pinger": Pinger(count=3), "ponger": Ponger()}), seed=1)
>>> sim.run().states["pinger"]
PingerState(sent=3, acked=3)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node

__all__ = ["Ping", "Pinger", "PingerState", "Pong", "Ponger"]


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
