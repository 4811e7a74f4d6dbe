"""Reference solutions of chapter 1's exercises (try first!)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from dslib import Context, Node
from dslib.exercises.ch01 import Ping, Pong, PongerState
from dslib.sim import Reply, Request

__all__ = ["CounterServer", "Ponger", "ServerState", "percentile"]


class Ponger(Node[PongerState]):
    """Answers each ``Ping(seq)`` with ``Pong(seq)`` to its sender and counts the pings."""

    def init(self, ctx: Context) -> PongerState:
        return PongerState()

    def on_message(self, ctx: Context, state: PongerState, src: str, msg: Any) -> PongerState:
        if isinstance(msg, Ping):
            ctx.send(src, Pong(msg.seq))
            return replace(state, pings=state.pings + 1)
        return state


def percentile(latencies: list[float], q: int) -> float:
    """The ``q``-th percentile of ``latencies`` by the nearest-rank definition."""
    if not latencies:
        raise ValueError("percentile of an empty list")
    s = sorted(latencies)
    rank = max(1, -(-q * len(s) // 100))  # ceil(q * n / 100) with integers: exact
    return s[rank - 1]


@dataclass(frozen=True)
class ServerState:
    """The counter, and the reply sent for each applied request, keyed by (client, id)."""

    counter: int = 0
    replies: frozenset[tuple[tuple[str, int], Reply]] = frozenset()


class CounterServer(Node[ServerState]):
    """Applies each increment once; answers a duplicate with the reply of the first time."""

    def init(self, ctx: Context) -> ServerState:
        return ServerState()

    def on_message(self, ctx: Context, state: ServerState, src: str, msg: Any) -> ServerState:
        if not isinstance(msg, Request):
            return state
        key = (msg.client, msg.request_id)
        for done, reply in state.replies:
            if done == key:
                ctx.send(src, reply)  # a duplicate or a retry: same reply, no change
                return state
        counter = state.counter + msg.value
        reply = Reply(msg.request_id, True, counter)
        ctx.send(src, reply)
        return replace(state, counter=counter, replies=state.replies | {(key, reply)})
