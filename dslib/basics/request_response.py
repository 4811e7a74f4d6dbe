"""Request/response servers for the ``Client`` of ``dslib.sim`` (sections 1.2 and 1.4).

A ``KVServer`` is a single-copy key-value store, for clients that time out and
retry; a ``CounterServer`` adds one on every request and does not recognise a
retry, so a retry after a lost reply counts twice: chapter 1's picture of partial
failure.

Examples
--------
>>> from dslib import Simulation, System
>>> from dslib.sim import Client
>>> system = System({"s": CounterServer(), "c": Client(["s"], ["incr", "incr"])})
>>> Simulation(system, seed=1).run().states["s"]
2
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from dslib.core import Context, Node
from dslib.sim.clients import Reply

__all__ = ["CounterServer", "KVServer"]


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
