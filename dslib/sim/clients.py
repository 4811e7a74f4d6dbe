"""Clients that invoke operations on a system and record what they saw.

A ``Client`` is an ordinary node. It works through a *workload* (a list of
operations), one operation at a time: it records the invocation, sends a
``Request`` to a server, and waits for the ``Reply`` with the same request id.
If no reply comes within ``timeout`` it sends the same request again (to the
next server in its list), up to ``retries`` times; then it gives up and records
the operation as ``info`` (it may or may not have taken effect). Every retry of
one operation carries the same ``request_id``, so a server can recognise a
duplicate.

The recorded ``History`` is what the consistency checkers judge.

Examples
--------
>>> from dslib import Node, System
>>> from dslib.sim import Simulation
>>> class Store(Node[tuple]):
...     def init(self, ctx):
...         return ()
...     def on_message(self, ctx, state, src, req):
...         if req.f == "write":
...             ctx.send(src, Reply(req.request_id, True, req.value))
...             return (req.value,)
...         ctx.send(src, Reply(req.request_id, True, state[0] if state else None))
...         return state
>>> client = Client(["store"], [("write", 1), ("read", None)])
>>> sim = Simulation(System({"store": Store(), "c1": client})).run()
>>> for op in sim.history.operations():
...     print(op)
c1 write(1) -> ok 1  [0.0, 2.0]
c1 read(None) -> ok 1  [2.0, 4.0]
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Protocol, TypeVar

from dslib.core import Context, Node

__all__ = [
    "Client",
    "ClientState",
    "Reply",
    "Request",
    "WorkloadProgress",
    "check_servers",
    "first_operation",
    "next_operation",
    "random_workload",
]


@dataclass(frozen=True)
class Request:
    """What a client sends: operation ``f`` on ``key`` with argument ``value``."""

    client: str
    request_id: int
    f: str
    key: Hashable = None
    value: Any = None


@dataclass(frozen=True)
class Reply:
    """What a server answers: ``ok=True`` with the result, or ``ok=False``: it did not happen."""

    request_id: int
    ok: bool
    value: Any = None


@dataclass(frozen=True)
class ClientState:
    """Where a client is in its workload."""

    next_op: int = 0
    request_id: int = 0
    attempt: int = 0
    server: int = 0
    waiting: bool = False


Op = tuple[str, Any, Hashable]  # (f, value, key)


class WorkloadProgress(Protocol):
    """The state of a client that runs a workload one operation at a time.

    Any frozen dataclass with these two fields will do (``ClientState``,
    ``RpcState``, ``RaftClientState``, ``ShardClientState``): ``next_op`` is the
    index of the operation in flight (or next to invoke), ``waiting`` whether one
    is in flight. ``first_operation`` and ``next_operation`` rely on nothing else,
    so every client keeps its own other fields (request ids, leader, attempts).

    Examples
    --------
    >>> state: WorkloadProgress = ClientState()
    >>> state.next_op, state.waiting
    (0, False)
    """

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def next_op(self) -> int:
        """Index in the workload of the operation in flight, or next to invoke."""
        ...

    @property
    def waiting(self) -> bool:
        """Whether an operation is in flight."""
        ...


ProgressT = TypeVar("ProgressT", bound=WorkloadProgress)


def check_servers(ctx: Context, servers: Sequence[str], who: str) -> None:
    """Raise if a client's ``servers`` are not all nodes of the system it runs in.

    A client names its servers when it is built, before it knows the system; the
    first moment it can check them is its ``init``. A misspelt server would
    otherwise show up only as every request timing out.

    Parameters
    ----------
    ctx : Context
        The client's context in ``init`` (``ctx.peers`` lists the other nodes).
    servers : sequence of str
        The node ids the client will send to.
    who : str
        The client's class name, for the message.

    Raises
    ------
    ValueError
        Naming the servers that are not nodes of the system.

    Examples
    --------
    >>> ctx = Context("c1", ["c1", "s1", "s2"])
    >>> check_servers(ctx, ["s1", "s2"], "Client")  # all there: nothing happens
    >>> check_servers(ctx, ["s1", "s9"], "Client")
    Traceback (most recent call last):
    ...
    ValueError: Client 'c1': servers ['s9'] are not nodes of the system
    """
    unknown = [s for s in servers if s not in ctx.peers]
    if unknown:
        raise ValueError(f"{who} {ctx.id!r}: servers {unknown} are not nodes of the system")


def first_operation(ctx: Context, operations: int, start: float) -> None:
    """Schedule a client's first invocation: its ``"next"`` timer fires at ``start``.

    A closed-loop client invokes each operation when its ``"next"`` timer fires;
    this sets that timer for the first one, and ``next_operation`` for each
    following one. An empty workload sets no timer: the client stays idle.

    Parameters
    ----------
    ctx : Context
        The client's context in ``init``.
    operations : int
        How many operations the workload has.
    start : float
        When to invoke the first one.

    Examples
    --------
    >>> ctx = Context("c1", ["c1", "s1"])
    >>> first_operation(ctx, 3, 2.0)
    >>> first_operation(ctx, 0, 2.0)  # nothing to do: no timer
    >>> ctx.timers_set
    [('next', 2.0)]
    """
    if operations:
        ctx.set_timer("next", start)


def next_operation(
    ctx: Context, state: ProgressT, operations: int, think: float | tuple[float, float]
) -> ProgressT:
    """End the operation in flight: move to the next one and invoke it after ``think``.

    Every closed-loop client ends an operation the same way, whether it got an
    answer or gave up: it is no longer waiting, and unless the workload is done,
    its ``"next"`` timer fires after the think time to invoke the next operation
    (``first_operation`` set it for the first one).

    Parameters
    ----------
    ctx : Context
        The client's context (the ``"next"`` timer is set on it).
    state : WorkloadProgress
        The client's state; only ``next_op`` and ``waiting`` change.
    operations : int
        How many operations the workload has.
    think : float or (float, float)
        The delay, or range of delays, before the next invocation.

    Returns
    -------
    The new state, of the same type as ``state``.

    Examples
    --------
    >>> ctx = Context("c1", ["c1", "s1"])
    >>> next_operation(ctx, ClientState(next_op=0, waiting=True), 2, 5.0)
    ClientState(next_op=1, request_id=0, attempt=0, server=0, waiting=False)
    >>> ctx.timers_set
    [('next', 5.0)]
    >>> next_operation(ctx, ClientState(next_op=1, waiting=True), 2, 5.0).next_op
    2
    >>> ctx.timers_set  # the workload is done: no next invocation
    [('next', 5.0)]
    """
    state = replace(state, next_op=state.next_op + 1, waiting=False)
    if state.next_op < operations:
        ctx.set_timer("next", think)
    return state


def _parse_op(i: int, op: Any) -> Op:
    if isinstance(op, str):
        return (op, None, None)
    if isinstance(op, tuple) and len(op) == 2 and isinstance(op[0], str):
        return (op[0], op[1], None)
    if isinstance(op, tuple) and len(op) == 3 and isinstance(op[0], str):
        return (op[0], op[2], op[1])
    raise ValueError(
        f"Client: workload entry {i} is {op!r}; an operation is 'f', (f, value) or "
        "(f, key, value), with f a string such as 'read'"
    )


class Client(Node[ClientState]):
    """A client node that runs a workload against ``servers`` and records a history.

    Parameters
    ----------
    servers : sequence of str
        Where to send requests; a retry goes to the next one in the list.
    workload : sequence of operations
        Each is ``"f"``, ``(f, value)`` or ``(f, key, value)``.
    timeout : float, default 10
        How long to wait for a reply before retrying.
    retries : int, default 2
        How many times to resend an operation before giving up (``info``).
    think : float or (float, float), default 0
        Delay between one operation's completion and the next invocation.
    start : float, default 0
        When the first operation is invoked.
    """

    def __init__(
        self,
        servers: Sequence[str],
        workload: Sequence[Any],
        timeout: float = 10.0,
        retries: int = 2,
        think: float | tuple[float, float] = 0.0,
        start: float = 0.0,
    ) -> None:
        if isinstance(servers, str) or not servers:
            raise ValueError(
                f"Client: servers={servers!r}; give a non-empty list of server ids, e.g. ['s1']"
            )
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"Client: timeout={timeout!r} must be a number > 0")
        if not (isinstance(retries, int) and not isinstance(retries, bool) and retries >= 0):
            raise ValueError(f"Client: retries={retries!r} must be an int >= 0")
        if not (isinstance(start, (int, float)) and start >= 0):
            raise ValueError(f"Client: start={start!r} must be a number >= 0")
        self.servers = tuple(servers)
        self.workload = tuple(_parse_op(i, op) for i, op in enumerate(workload))
        self.timeout = float(timeout)
        self.retries = retries
        self.think = think
        self.start = float(start)

    def init(self, ctx: Context) -> ClientState:
        check_servers(ctx, self.servers, "Client")
        first_operation(ctx, len(self.workload), self.start)
        return ClientState()

    def _send(self, ctx: Context, state: ClientState) -> None:
        f, value, key = self.workload[state.next_op]
        server = self.servers[state.server % len(self.servers)]
        ctx.send(server, self.make_request(ctx, state, f, key, value))
        ctx.set_timer(("timeout", state.request_id), self.timeout)

    def make_request(
        self, ctx: Context, state: ClientState, f: str, key: Hashable, value: Any
    ) -> Request:
        """The request for operation ``f`` (a subclass may send more: a store's context)."""
        return Request(ctx.id, state.request_id, f, key, value)

    def on_timer(self, ctx: Context, state: ClientState, timer: Any) -> ClientState:
        if timer == "next":
            f, value, key = self.workload[state.next_op]
            ctx.record("invoke", f, value, key)
            state = replace(state, request_id=state.request_id + 1, attempt=0, waiting=True)
            self._send(ctx, state)
            return state
        if timer == ("timeout", state.request_id) and state.waiting:
            if state.attempt < self.retries:
                state = replace(state, attempt=state.attempt + 1, server=state.server + 1)
                self._send(ctx, state)
                return state
            f, _value, key = self.workload[state.next_op]
            ctx.record("info", f, None, key)
            return self._next(ctx, state)
        return state

    def on_message(self, ctx: Context, state: ClientState, src: str, msg: Any) -> ClientState:
        if not isinstance(msg, Reply) or not state.waiting or msg.request_id != state.request_id:
            return state  # a late or duplicated reply to an operation already completed
        f, _value, key = self.workload[state.next_op]
        ctx.record("ok" if msg.ok else "fail", f, msg.value, key)
        ctx.cancel_timer(("timeout", state.request_id))
        # Stay with the server that answered.
        return self._next(
            ctx,
            replace(state, server=self.servers.index(src) if src in self.servers else state.server),
        )

    def _next(self, ctx: Context, state: ClientState) -> ClientState:
        return next_operation(ctx, state, len(self.workload), self.think)

    def __repr__(self) -> str:
        return f"Client({len(self.workload)} ops)"


def random_workload(
    seed: int,
    n: int,
    fs: Sequence[str] = ("read", "write"),
    keys: Sequence[Hashable] | None = None,
    values: int = 5,
) -> list[Any]:
    """A seeded random workload of ``n`` operations.

    Writes carry values ``1..values``; reads carry ``None``. With ``keys``, each
    operation is ``(f, key, value)``.

    >>> random_workload(1, 4)
    [('write', 2), ('read', None), ('read', None), ('read', None)]
    """
    if not (isinstance(n, int) and n >= 0):
        raise ValueError(f"random_workload: n={n!r} must be an int >= 0")
    if not fs:
        raise ValueError("random_workload: fs must name at least one operation")
    rng = random.Random(f"workload:{seed}")
    out: list[Any] = []
    for _ in range(n):
        f = fs[rng.randrange(len(fs))]
        value = None if f in ("read", "get") else 1 + rng.randrange(values)
        if keys:
            out.append((f, keys[rng.randrange(len(keys))], value))
        else:
            out.append((f, value))
    return out
