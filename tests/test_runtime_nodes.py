"""Nodes for the runtime tests (test_runtime.py, test_runtime_nemesis.py), in a module of their own.

A node's process imports its class by module path, so test nodes must live at the
top level of an importable module; this one imports nothing heavier than dslib,
which keeps each process's start fast. It holds no tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dslib.core import NOTHING_PERSISTED, Context, Node
from dslib.sim.clients import Reply


@dataclass(frozen=True)
class Note:
    """A message class outside dslib: a cluster must be told it (``types=[Note]``)."""

    text: str


class Sender(Node[int]):
    """Sends ``count`` messages ``(i, "hello")`` (or ``Note``s) to ``to``, one per ``period``."""

    def __init__(self, to: str, count: int, period: float = 1.0, note: bool = False) -> None:
        self.to, self.count, self.period, self.note = to, count, period, note

    def init(self, ctx: Context) -> int:
        ctx.set_timer("tick", 0.0)
        return 0

    def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
        ctx.send(self.to, Note(f"note {state}") if self.note else (state, "hello"))
        if state + 1 < self.count:
            ctx.set_timer("tick", self.period)
        return state + 1


class Tally(Node[int]):
    """Counts messages; persists the count when it is even; recovers it (-1: nothing saved)."""

    def init(self, ctx: Context) -> int:
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        if (state + 1) % 2 == 0:
            ctx.persist(state + 1)
        return state + 1

    def on_recover(self, ctx: Context, durable: Any) -> int:
        return -1 if durable is NOTHING_PERSISTED else int(durable)


class Draw(Node[tuple[float, str]]):
    """Its state is a draw from ``ctx.rng`` and how it was made (init or recovery)."""

    def init(self, ctx: Context) -> tuple[float, str]:
        return (ctx.rng.random(), "init")

    def on_recover(self, ctx: Context, durable: Any) -> tuple[float, str]:
        return (ctx.rng.random(), "recover")


class FailsOnStart(Node[int]):
    """Raises in ``init``."""

    def init(self, ctx: Context) -> int:
        return 1 // 0


class FailsOnMessage(Node[int]):
    """Prints what it receives (to its log), then raises."""

    def init(self, ctx: Context) -> int:
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        print(f"got {msg!r} from {src}")
        raise RuntimeError(f"cannot handle {msg!r}")


class SendsComplex(Node[int]):
    """Sends a message the wire cannot carry (a complex number: hashable, but not a codec value)."""

    def init(self, ctx: Context) -> int:
        ctx.send(ctx.peers[0], complex(1, 2))
        return 0


class StaleRegister(Node[tuple[Any, Any]]):
    """A broken register: a read returns the value *before* the last write."""

    def init(self, ctx: Context) -> tuple[Any, Any]:
        return (None, None)  # (current, previous)

    def on_message(self, ctx: Context, state: tuple[Any, Any], src: str, msg: Any) -> Any:
        if msg.f == "write":
            ctx.send(src, Reply(msg.request_id, True, msg.value))
            return (msg.value, state[0])
        ctx.send(src, Reply(msg.request_id, True, state[1]))
        return state


class Spinner(Node[tuple[int, int]]):
    """Re-arms a zero-delay timer forever, and counts messages: ``(ticks, received)``."""

    def init(self, ctx: Context) -> tuple[int, int]:
        ctx.set_timer("spin", 0.0)
        return (0, 0)

    def on_timer(self, ctx: Context, state: tuple[int, int], timer: Any) -> tuple[int, int]:
        ctx.set_timer("spin", 0.0)
        return (state[0] + 1, state[1])

    def on_message(self, ctx: Context, state: tuple[int, int], src: str, msg: Any) -> Any:
        return (state[0], state[1] + 1)


class ClockReader(Node[tuple[int, float]]):
    """Counts ticks of a ``period`` timer and keeps the last ``ctx.now`` it read."""

    def __init__(self, period: float = 5.0) -> None:
        self.period = period

    def init(self, ctx: Context) -> tuple[int, float]:
        ctx.set_timer("tick", self.period)
        return (0, ctx.now)

    def on_timer(self, ctx: Context, state: tuple[int, float], timer: Any) -> tuple[int, float]:
        ctx.set_timer("tick", self.period)
        return (state[0] + 1, ctx.now)
