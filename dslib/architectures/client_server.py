"""Client-server: RPC with timeouts, retries, backoff, idempotency keys and deduplication.

A client calls a server with a request and waits for the reply. Over a lossy
network that simple exchange needs four mechanisms, each repairing what the
previous one breaks:

1. a **timeout**, or a lost message blocks the client forever;
2. **retries**, or every lost message becomes a failed (or unknown) call;
3. **exponential backoff with jitter**, or retries from many clients arrive
   together and keep an overloaded server overloaded;
4. **idempotency keys with server-side deduplication**, or a retry after a
   lost *reply* executes the call twice.

With all four, each call is executed at most once (the server remembers the
keys it executed and answers a retry with the reply it sent the first time)
and, because the client retries until it hears, its effect happens exactly
once whenever the client gets an answer (Birrell and Nelson 1984, §3).

``RpcClient`` is a closed-loop client with a ``RetryPolicy``; ``DedupServer``
a key-value store and counter that deduplicates by idempotency key
``(client, request_id)``. Its mutants (``DEDUP_MUTANTS``) and the checks that
catch them (``DEDUP_CHECKS``) are at the end; ``retry_experiment`` measures what
goes wrong without each mechanism.

Examples
--------
>>> from dslib import Simulation, System
>>> from dslib.sim import Network
>>> client = RpcClient("server", [("incr", 1)] * 5, RetryPolicy(timeout=5.0, attempts=4))
>>> system = System({"client": client, "server": DedupServer()})
>>> sim = Simulation(system, seed=3, network=Network(loss=0.3)).run()
>>> sim.states["server"].counter, sim.states["server"].executions
(5, 5)
>>> [op.status for op in sim.history.operations()]
['ok', 'ok', 'ok', 'ok', 'ok']
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import Mutant, Outcome
from dslib.sim.clients import Reply, Request, first_operation, next_operation
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation
from dslib.sim.trace import Trace

__all__ = [
    "DEDUP_CHECKS",
    "DEDUP_MUTANTS",
    "JITTERS",
    "DedupServer",
    "DedupState",
    "KeyByRequestIdServer",
    "NoDedupServer",
    "RetryPolicy",
    "RpcClient",
    "RpcState",
    "SilentDuplicateServer",
    "backoff_delay",
    "executions_by_call",
    "executions_by_key",
    "retry_experiment",
    "retry_storm",
]

JITTERS = ("none", "full", "equal")
"""The jitter modes of ``backoff_delay``."""


def backoff_delay(retry: int, base: float, cap: float, u: float, jitter: str = "full") -> float:
    """The wait before retry number ``retry`` (0 for the first retry): capped exponential backoff.

    The ceiling doubles with every retry, ``min(cap, base * 2**retry)``; jitter
    draws the actual wait below it, so that clients that failed together do
    not retry together (Brooker, "Exponential Backoff and Jitter", 2015):

    - ``"none"``: the ceiling itself;
    - ``"full"``: ``u * ceiling``, uniform between 0 and the ceiling;
    - ``"equal"``: ``ceiling / 2 + u * ceiling / 2``.

    Parameters
    ----------
    retry : int
        Which retry (0, 1, 2, ...).
    base, cap : float
        The first ceiling, and the largest (``0 < base <= cap``).
    u : float
        A uniform random number in ``[0, 1)`` (from ``ctx.rng.random()``).
    jitter : {"none", "full", "equal"}

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For a negative retry, a bad base or cap, ``u`` outside ``[0, 1)`` or an unknown jitter.

    Examples
    --------
    >>> [backoff_delay(r, 1.0, 10.0, 0.5, "none") for r in range(6)]
    [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    >>> backoff_delay(3, 1.0, 10.0, 0.5), backoff_delay(3, 1.0, 10.0, 0.5, "equal")
    (4.0, 6.0)
    """
    if not isinstance(retry, int) or isinstance(retry, bool) or retry < 0:
        raise ValueError(f"backoff_delay: retry={retry!r} must be an int >= 0")
    if not (isinstance(base, (int, float)) and isinstance(cap, (int, float)) and 0 < base <= cap):
        raise ValueError(f"backoff_delay: need 0 < base <= cap, got base={base!r}, cap={cap!r}")
    if not (isinstance(u, (int, float)) and 0 <= u < 1):
        raise ValueError(f"backoff_delay: u={u!r} must be a number in [0, 1)")
    # 2**retry overflows floats for huge retry counts; the cap is reached long before.
    ceiling = float(cap) if retry >= 63 else min(float(cap), base * 2.0**retry)
    if jitter == "none":
        return ceiling
    if jitter == "full":
        return u * ceiling
    if jitter == "equal":
        return ceiling / 2 + u * ceiling / 2
    raise ValueError(f"backoff_delay: jitter={jitter!r}; allowed: {', '.join(JITTERS)}")


@dataclass(frozen=True)
class RetryPolicy:
    """How a client waits and retries.

    Attributes
    ----------
    timeout : float or None
        How long to wait for a reply; ``None`` waits forever (no timeout).
    attempts : int
        How many times a call is sent in all (1: no retry).
    base, cap : float
        The backoff's first ceiling and its largest (see ``backoff_delay``).
    jitter : {"none", "full", "equal"}
        The backoff's jitter. With ``base == cap`` and ``"none"`` the client
        retries at a fixed interval.
    fresh_keys : bool
        Give every attempt a new request id (a client without idempotency
        keys): the server can then not recognise a retry.

    Examples
    --------
    >>> RetryPolicy(timeout=5.0, attempts=3).delay(1, 0.5)
    1.0
    >>> RetryPolicy(attempts=0)
    Traceback (most recent call last):
    ...
    ValueError: RetryPolicy: attempts=0 must be an int >= 1 (1 means no retry)
    """

    timeout: float | None = 10.0
    attempts: int = 3
    base: float = 1.0
    cap: float = 60.0
    jitter: str = "full"
    fresh_keys: bool = False

    def __post_init__(self) -> None:
        if self.timeout is not None and not (
            isinstance(self.timeout, (int, float))
            and math.isfinite(self.timeout)
            and self.timeout > 0
        ):
            raise ValueError(f"RetryPolicy: timeout={self.timeout!r} must be a number > 0 or None")
        if (
            not isinstance(self.attempts, int)
            or isinstance(self.attempts, bool)
            or self.attempts < 1
        ):
            raise ValueError(
                f"RetryPolicy: attempts={self.attempts!r} must be an int >= 1 (1 means no retry)"
            )
        if self.jitter not in JITTERS:
            raise ValueError(f"RetryPolicy: jitter={self.jitter!r}; allowed: {', '.join(JITTERS)}")
        backoff_delay(0, self.base, self.cap, 0.0, self.jitter)  # validates base and cap

    def delay(self, retry: int, u: float) -> float:
        """The wait before retry number ``retry``, given a uniform random ``u``."""
        return backoff_delay(retry, self.base, self.cap, u, self.jitter)


@dataclass(frozen=True)
class RpcState:
    """Where an ``RpcClient`` is: its current call, its attempt, the calls acknowledged.

    ``first_id`` is the request id of the current call's first attempt (with
    fresh keys, later attempts have higher ids); ``acked`` the indexes of the
    workload's calls that were acknowledged ``ok``; ``sent`` counts attempts.
    """

    next_op: int = 0
    request_id: int = 0
    first_id: int = 0
    attempt: int = 0
    waiting: bool = False
    acked: tuple[int, ...] = ()
    sent: int = 0


def _parse(i: int, op: Any) -> tuple[str, Hashable, Any]:
    if isinstance(op, str):
        return (op, None, None)
    if isinstance(op, tuple) and len(op) == 2 and isinstance(op[0], str):
        return (op[0], None, op[1])
    if isinstance(op, tuple) and len(op) == 3 and isinstance(op[0], str):
        return (op[0], op[1], op[2])
    raise ValueError(
        f"RpcClient: workload entry {i} is {op!r}; a call is 'f', (f, value) or (f, key, value)"
    )


class RpcClient(Node[RpcState]):
    """A closed-loop RPC client: one call at a time, with a timeout, retries and backoff.

    Every attempt of one call carries the same idempotency key
    ``(client, request_id)`` (unless ``policy.fresh_keys``). After a timeout
    the client waits ``policy.delay(retry, u)`` and sends again; after
    ``policy.attempts`` attempts it gives up and records the call as ``info``
    (it may or may not have taken effect).

    Parameters
    ----------
    server : str
        The server's id.
    workload : sequence
        The calls, each ``"f"``, ``(f, value)`` or ``(f, key, value)``.
    policy : RetryPolicy, optional
        Timeout, attempts and backoff (default ``RetryPolicy()``).
    think : float, default 0
        The pause between a call's end and the next call.
    start : float, default 0
        When the first call is made.

    Examples
    --------
    >>> RpcClient("s", [("incr", 1)], RetryPolicy(timeout=None, attempts=1))
    RpcClient(1 calls, timeout None, 1 attempts)
    """

    def __init__(
        self,
        server: str,
        workload: Sequence[Any],
        policy: RetryPolicy | None = None,
        think: float = 0.0,
        start: float = 0.0,
    ) -> None:
        if not isinstance(server, str) or not server:
            raise ValueError(f"RpcClient: server={server!r} must be a node id")
        if policy is None:
            policy = RetryPolicy()
        if not isinstance(policy, RetryPolicy):
            raise TypeError(f"RpcClient: policy={policy!r} must be a RetryPolicy")
        if policy.timeout is None and policy.attempts > 1:
            raise ValueError("RpcClient: retries need a timeout (attempts > 1 with timeout=None)")
        for name, v in (("think", think), ("start", start)):
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ValueError(f"RpcClient: {name}={v!r} must be a number >= 0")
        self.server = server
        self.workload = tuple(_parse(i, op) for i, op in enumerate(workload))
        self.policy = policy
        self.think = float(think)
        self.start = float(start)

    def init(self, ctx: Context) -> RpcState:
        first_operation(ctx, len(self.workload), self.start)
        return RpcState()

    def _send(self, ctx: Context, state: RpcState) -> RpcState:
        f, key, value = self.workload[state.next_op]
        ctx.send(self.server, Request(ctx.id, state.request_id, f, key, value))
        if self.policy.timeout is not None:
            ctx.set_timer(("timeout", state.request_id), self.policy.timeout)
        return replace(state, sent=state.sent + 1)

    def on_timer(self, ctx: Context, state: RpcState, timer: Any) -> RpcState:
        if timer == "next":
            f, key, value = self.workload[state.next_op]
            ctx.record("invoke", f, value, key)
            rid = state.request_id + 1
            state = replace(state, request_id=rid, first_id=rid, attempt=0, waiting=True)
            return self._send(ctx, state)
        if not state.waiting:
            return state
        if timer == ("timeout", state.request_id):
            if state.attempt + 1 < self.policy.attempts:
                ctx.set_timer(
                    ("retry", state.request_id), self.policy.delay(state.attempt, ctx.rng.random())
                )
                return state
            f, key, _value = self.workload[state.next_op]
            ctx.record("info", f, None, key)
            return self._next(ctx, state)
        if timer == ("retry", state.request_id):
            rid = state.request_id + 1 if self.policy.fresh_keys else state.request_id
            return self._send(ctx, replace(state, attempt=state.attempt + 1, request_id=rid))
        return state

    def on_message(self, ctx: Context, state: RpcState, src: str, msg: Any) -> RpcState:
        if not (
            isinstance(msg, Reply)
            and state.waiting
            and state.first_id <= msg.request_id <= state.request_id
        ):
            return state  # a late or duplicated reply to a call already completed
        f, key, _value = self.workload[state.next_op]
        ctx.record("ok" if msg.ok else "fail", f, msg.value, key)
        ctx.cancel_timer(("timeout", state.request_id))
        ctx.cancel_timer(("retry", state.request_id))
        if msg.ok:
            state = replace(state, acked=(*state.acked, state.next_op))
        return self._next(ctx, state)

    def _next(self, ctx: Context, state: RpcState) -> RpcState:
        return next_operation(ctx, state, len(self.workload), self.think)

    def __repr__(self) -> str:
        return (
            f"RpcClient({len(self.workload)} calls, timeout {self.policy.timeout}, "
            f"{self.policy.attempts} attempts)"
        )


# -- the server ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DedupState:
    """A ``DedupServer``'s data, how many calls it executed, and the reply to each key.

    ``data`` is a sorted tuple of ``(key, value)`` pairs (the counter is key
    ``None``); ``executed`` the idempotency keys executed; ``replies`` the
    reply sent for each executed key.
    """

    data: tuple[tuple[Hashable, Any], ...] = ()
    executions: int = 0
    executed: frozenset[tuple[str, int]] = frozenset()
    replies: frozenset[tuple[tuple[str, int], Reply]] = frozenset()

    @property
    def counter(self) -> int:
        """The value of the counter (key ``None``)."""
        return int(dict(self.data).get(None, 0))

    def reply_to(self, key: tuple[str, int]) -> Reply | None:
        """The reply sent when ``key`` was executed, or ``None``."""
        for k, reply in self.replies:
            if k == key:
                return reply
        return None


def _execute(state: DedupState, req: Request) -> tuple[DedupState, Reply]:
    data = dict(state.data)
    if req.f in ("incr", "increment"):
        value = data.get(req.key, 0) + (1 if req.value is None else req.value)
        data[req.key] = value
    elif req.f in ("put", "write"):
        value = data[req.key] = req.value
    elif req.f in ("get", "read"):
        return state, Reply(req.request_id, True, data.get(req.key))
    else:
        return state, Reply(req.request_id, False, f"unknown operation {req.f!r}")
    new = replace(
        state,
        data=tuple(sorted(data.items(), key=lambda kv: repr(kv[0]))),
        executions=state.executions + 1,
    )
    return new, Reply(req.request_id, True, value)


class DedupServer(Node[DedupState]):
    """A key-value store and counter that executes each idempotency key at most once.

    Operations: ``incr`` (add ``value``, 1 by default, to ``key``), ``put``/
    ``write``, ``get``/``read``. The idempotency key of a request is
    ``(client, request_id)``. The first time a key arrives the server executes
    the request and remembers its reply; every later time (a duplicate, a
    retry) it sends that reply again and changes nothing.

    Examples
    --------
    >>> from dslib import Context
    >>> server, ctx = DedupServer(), Context("s", ("c", "s"))
    >>> s = server.on_message(ctx, DedupState(), "c", Request("c", 1, "incr", None, 5))
    >>> s = server.on_message(ctx, s, "c", Request("c", 1, "incr", None, 5))
    >>> s.counter, s.executions
    (5, 1)
    >>> ctx.sent  # the same reply twice
    [('c', Reply(request_id=1, ok=True, value=5)), ('c', Reply(request_id=1, ok=True, value=5))]
    """

    def init(self, ctx: Context) -> DedupState:
        return DedupState()

    def key(self, req: Request) -> tuple[str, int]:
        """The idempotency key of a request."""
        return (req.client, req.request_id)

    def on_message(self, ctx: Context, state: DedupState, src: str, msg: Any) -> DedupState:
        if not isinstance(msg, Request):
            return state
        key = self.key(msg)
        if key in state.executed:
            reply = state.reply_to(key)
            if reply is not None:
                ctx.send(src, reply)  # a duplicate or a retry: the first reply, no effect
            return state
        if msg.f in ("get", "read"):
            _, reply = _execute(state, msg)
            ctx.send(src, reply)
            return state
        new, reply = _execute(state, msg)
        ctx.send(src, reply)
        return replace(new, executed=new.executed | {key}, replies=new.replies | {(key, reply)})


# -- mutants ---------------------------------------------------------------------------------
class NoDedupServer(DedupServer):
    """Bug: executes every request that arrives, duplicates and retries included."""

    def on_message(self, ctx: Context, state: DedupState, src: str, msg: Any) -> DedupState:
        if not isinstance(msg, Request):
            return state
        new, reply = _execute(state, msg)
        ctx.send(src, reply)
        key = self.key(msg)
        return replace(new, executed=new.executed | {key}, replies=new.replies | {(key, reply)})


class KeyByRequestIdServer(DedupServer):
    """Bug: the idempotency key is the request id alone, so two clients' calls collide."""

    def key(self, req: Request) -> tuple[str, int]:
        return ("*", req.request_id)

    def on_message(self, ctx: Context, state: DedupState, src: str, msg: Any) -> DedupState:
        if not isinstance(msg, Request):
            return state
        key = self.key(msg)
        reply = state.reply_to(key)
        if reply is not None:
            ctx.send(src, replace(reply, request_id=msg.request_id))
            return state
        new, reply = _execute(state, msg)
        ctx.send(src, reply)
        # It records the true key as executed, so the checks can see what ran.
        return replace(
            new,
            executed=new.executed | {(msg.client, msg.request_id)},
            replies=new.replies | {(key, reply)},
        )


class SilentDuplicateServer(DedupServer):
    """Bug: recognises a duplicate but does not answer it; a client whose reply was lost
    retries in vain."""

    def on_message(self, ctx: Context, state: DedupState, src: str, msg: Any) -> DedupState:
        if isinstance(msg, Request) and self.key(msg) in state.executed:
            return state
        return super().on_message(ctx, state, src, msg)


def executions_by_key(trace: Trace, server: str) -> Counter[tuple[str, int]]:
    """How many times ``server`` executed each request key ``(client, request_id)``.

    A delivery of a ``Request`` counts as an execution when the server's
    state changed because of it, which works for any server whose state
    changes exactly when it executes a write (``DedupServer``,
    ``dslib.basics.CounterServer``).

    Examples
    --------
    >>> from dslib.basics import CounterServer
    >>> from dslib.sim import Network
    >>> client = RpcClient("server", [("incr", 1)] * 20, RetryPolicy(timeout=3.0, attempts=5))
    >>> system = System({"client": client, "server": CounterServer()})
    >>> sim = Simulation(system, seed=1, network=Network(uniform(0.5, 2.0), loss=0.2)).run()
    >>> counts = executions_by_key(sim.trace, "server")
    >>> sum(counts.values()) > len(counts)  # some calls were executed twice
    True
    """
    out: Counter[tuple[str, int]] = Counter()
    entries = trace.entries
    n = len(entries)
    for i, e in enumerate(entries):
        if e[1] == "deliver" and e[2] == server and isinstance(e[4], Request):
            j = i + 1
            while j < n and entries[j][1] in ("send", "state", "duplicate", "record"):
                if entries[j][1] == "state" and entries[j][2] == server:
                    out[(e[4].client, e[4].request_id)] += 1
                    break
                j += 1
    return out


def executions_by_call(trace: Trace, server: str) -> Counter[tuple[str, int]]:
    """How many times ``server`` executed each *call* ``(client, call number)``.

    Like ``executions_by_key``, but the attempts of one call are counted
    together even when they carry different request ids (a client without
    idempotency keys): a request belongs to the call its client had invoked
    last when it sent it (calls are numbered 1, 2, ... per client).

    Examples
    --------
    >>> from dslib.sim import Network
    >>> policy = RetryPolicy(timeout=3.0, attempts=5, fresh_keys=True)
    >>> client = RpcClient("server", [("incr", 1)] * 20, policy)
    >>> system = System({"client": client, "server": DedupServer()})
    >>> sim = Simulation(system, seed=1, network=Network(uniform(0.5, 2.0), loss=0.2)).run()
    >>> by_key = executions_by_key(sim.trace, "server")
    >>> by_call = executions_by_call(sim.trace, "server")
    >>> max(by_key.values()), max(by_call.values())
    (1, 3)
    """
    # The trace lists a handler's sends before what it records, so a request cannot be
    # attributed when its send entry is read: the handler that sends a call's first attempt
    # also records that call's invocation, after it. Attribute each handler's requests once
    # its whole step has been read: a step starts at an 'init', 'timer', 'deliver' or
    # 'restart' entry (the network's 'drop' and 'duplicate' lines may fall inside one).
    call_of: dict[tuple[str, int], tuple[str, int]] = {}
    invoked: Counter[str] = Counter()
    step: list[tuple[str, Request]] = []

    def attribute() -> None:
        for node, request in step:
            call_of.setdefault((request.client, request.request_id), (node, invoked[node]))
        step.clear()

    for e in trace.entries:
        if e[1] == "record" and e[4][0] == "invoke":
            invoked[e[2]] += 1
        elif e[1] == "send" and isinstance(e[4], Request):
            step.append((e[2], e[4]))
        elif e[1] in ("init", "timer", "deliver", "restart"):
            attribute()
    attribute()
    out: Counter[tuple[str, int]] = Counter()
    for key, n in executions_by_key(trace, server).items():
        out[call_of.get(key, key)] += n
    return out


# -- measurements ----------------------------------------------------------------------------
def retry_experiment(
    loss: float = 0.2,
    calls: int = 200,
    clients: int = 2,
    seed: int = 0,
    latency: float = 2.0,
) -> list[dict[str, Any]]:
    """What goes wrong without each mechanism: one row per configuration.

    Every configuration runs ``clients`` clients, each making ``calls``
    increments of a counter, over a network with uniform latency in
    ``(0, 2 * latency)`` and the given loss. The rows:

    - ``no timeout``: a lost message blocks the client for ever;
    - ``timeout, no retry``: every lost message leaves a call unknown;
    - ``retries, fixed interval, no dedup``: retries execute calls twice;
    - ``retries, fresh key per attempt, dedup``: the server cannot recognise a retry;
    - ``retries, backoff, keys, dedup``: everything completes, nothing twice.

    Returns
    -------
    list of dict
        With ``configuration``, ``calls``, ``ok``, ``unknown``, ``never finished``,
        ``executions``, ``executed twice or more``, ``counter``, ``acknowledged``,
        ``messages per call``.

    Examples
    --------
    >>> rows = retry_experiment(calls=30, seed=1)
    >>> [(r["configuration"][:10], r["executed twice or more"]) for r in rows][-2:]
    [('retries, f', 7), ('retries, b', 0)]
    """
    if not (isinstance(loss, (int, float)) and 0 <= loss < 1):
        raise ValueError(f"retry_experiment: loss={loss!r} must be in [0, 1)")
    if not (isinstance(calls, int) and calls >= 1 and isinstance(clients, int) and clients >= 1):
        raise ValueError("retry_experiment: calls and clients must be ints >= 1")
    from dslib.basics import CounterServer

    rtt = 2 * latency
    configs: list[tuple[str, RetryPolicy, Callable[[], Node[Any]]]] = [
        ("no timeout", RetryPolicy(timeout=None, attempts=1), DedupServer),
        ("timeout, no retry", RetryPolicy(timeout=3 * rtt, attempts=1), DedupServer),
        (
            "retries, fixed interval, no dedup",
            RetryPolicy(timeout=3 * rtt, attempts=8, base=rtt, cap=rtt, jitter="none"),
            CounterServer,
        ),
        (
            "retries, fresh key per attempt, dedup",
            RetryPolicy(timeout=3 * rtt, attempts=8, base=rtt, cap=8 * rtt, fresh_keys=True),
            DedupServer,
        ),
        (
            "retries, backoff, keys, dedup",
            RetryPolicy(timeout=3 * rtt, attempts=8, base=rtt, cap=8 * rtt),
            DedupServer,
        ),
    ]
    rows = []
    for name, policy, server in configs:
        nodes: dict[str, Node[Any]] = {"server": server()}
        for c in range(clients):
            nodes[f"c{c + 1}"] = RpcClient("server", [("incr", 1)] * calls, policy)
        network = Network(latency=uniform(0.0, 2 * latency), loss=loss)
        sim = Simulation(System(nodes), seed=seed, network=network, record_trace=True)
        sim.run(until=calls * 40 * rtt)
        ops = sim.history.operations()
        counts = executions_by_call(sim.trace, "server")
        state = sim.states["server"]
        counter = state if isinstance(state, int) else state.counter
        total = calls * clients
        rows.append(
            {
                "configuration": name,
                "calls": total,
                "ok": sum(op.status == "ok" for op in ops if op.complete_time != math.inf),
                "unknown": sum(op.status == "info" and op.complete_time != math.inf for op in ops),
                "never finished": total - sum(op.complete_time != math.inf for op in ops),
                "executions": sum(counts.values()),
                "executed twice or more": sum(1 for v in counts.values() if v > 1),
                "counter": counter,
                "acknowledged": sum(op.status == "ok" for op in ops),
                "messages per call": round(sim.trace.count("send") / total, 2),
            }
        )
    return rows


def retry_storm(
    jitter: str = "none",
    clients: int = 30,
    outage: float = 100.0,
    base: float = 4.0,
    cap: float = 64.0,
    seed: int = 0,
    bucket: float = 2.0,
    capacity: float = 5.0,
    queue: int = 3,
) -> dict[str, Any]:
    """Clients retrying against a server of bounded capacity that is down from 1 to ``1 + outage``.

    Every client makes one call at time 0, so they all time out together.
    Without jitter their retries stay synchronised: the server sees bursts of
    ``clients`` requests at once. With jitter the same retries are spread out.

    The server works through ``capacity`` requests per time unit, one at a
    time, and holds at most ``queue`` more; a request that finds the queue
    full is dropped (a ``microservices.Service`` with ``overflow="drop"``), so
    its client times out and retries. The client's timeout (2) is longer than
    the longest a request that got into the queue can take (network latency
    0.5 each way, at most ``(queue + 1) / capacity`` at the server), so no
    client gives up on a request the server will still serve.

    Parameters
    ----------
    jitter : {"none", "full", "equal"}
        The clients' backoff jitter (``backoff_delay``).
    clients : int
        How many clients.
    outage : float
        How long the server is down.
    base, cap : float
        The clients' backoff (12 attempts, timeout 2).
    seed : int
    bucket : float
        The width of the buckets of ``arrivals``.
    capacity : float
        Requests the server serves per time unit.
    queue : int
        Requests the server holds while it serves one.

    Returns
    -------
    dict
        ``arrivals``: requests arriving at the server per ``bucket`` of time (a
        list); ``peak``: the largest bucket once the server is back (the herd it
        must absorb as it recovers); ``requests``: all requests sent;
        ``dropped``: requests the server, back up, turned away because its
        queue was full; ``gave up``: calls that ended without an answer after
        every attempt; ``finished``: when the last call ended;
        ``mean completion``: the mean time at which calls ended.

    Raises
    ------
    ValueError
        For an unknown jitter, a capacity that is not positive, or a negative queue.

    Examples
    --------
    >>> [retry_storm(jitter, clients=10, seed=1)["dropped"] for jitter in ("none", "full")]
    [8, 0]

    Notes
    -----
    Brooker (2015) measures the same effect on contending clients: without
    jitter, clients that collide once collide at every retry.
    """
    if jitter not in JITTERS:
        raise ValueError(f"retry_storm: jitter={jitter!r}; allowed: {', '.join(JITTERS)}")
    if not (isinstance(capacity, (int, float)) and math.isfinite(capacity) and capacity > 0):
        raise ValueError(f"retry_storm: capacity={capacity!r} must be a number > 0")
    if not (isinstance(queue, int) and queue >= 0):
        raise ValueError(f"retry_storm: queue={queue!r} must be an int >= 0")
    from dslib.architectures.microservices import Service
    from dslib.sim.nemesis import Crash, Nemesis, Restart

    timeout, latency = 2.0, 0.5
    if 2 * latency + (queue + 1) / capacity >= timeout:
        raise ValueError(
            f"retry_storm: capacity={capacity!r}, queue={queue!r} let a queued request wait "
            f"past the clients' timeout ({timeout}); need (queue + 1) / capacity < "
            f"{timeout - 2 * latency}"
        )
    policy = RetryPolicy(timeout=timeout, attempts=12, base=base, cap=cap, jitter=jitter)
    server = Service(
        {"incr": []}, service_time=1.0 / capacity, workers=1, queue=queue, overflow="drop"
    )
    nodes: dict[str, Node[Any]] = {"server": server}
    for c in range(clients):
        nodes[f"c{c:02d}"] = RpcClient("server", [("incr", 1)], policy, start=1.25)
    nemesis = Nemesis([(1.0, Crash("server")), (1.0 + outage, Restart("server"))])
    sim = Simulation(System(nodes), seed=seed, network=Network(latency=latency), nemesis=nemesis)
    sim.run()
    arrivals_at = [
        e.time for e in sim.trace if e.kind in ("deliver", "drop") and e.node == "server"
    ]
    n = int(max(arrivals_at, default=0.0) // bucket) + 1
    arrivals = [0] * n
    for t in arrivals_at:
        arrivals[int(t // bucket)] += 1
    ops = sim.history.operations()
    done = [op.complete_time for op in ops]
    after = arrivals[int((1.0 + outage) // bucket) :]
    return {
        "arrivals": arrivals,
        "peak": max(after, default=0),
        "requests": len(arrivals_at),
        "dropped": sim.states["server"].rejected,
        "gave up": sum(op.status != "ok" for op in ops),
        "finished": max(done, default=0.0),
        "mean completion": statistics.mean(done) if done else math.nan,
    }


# -- the checks that catch the mutants ------------------------------------------------------------
def _sweep(server: Callable[[], Node[Any]], seeds: int = 6) -> list[Simulation]:
    sims = []
    for seed in range(seeds):
        nodes: dict[str, Node[Any]] = {"server": server()}
        for c in (1, 2):
            nodes[f"c{c}"] = RpcClient(
                "server",
                [("incr", c)] * 6,
                RetryPolicy(timeout=6.0, attempts=10, base=1.0, cap=8.0),
            )
        network = Network(latency=uniform(0.5, 2.0), loss=0.2, duplication=0.2)
        sims.append(Simulation(System(nodes), seed=seed, network=network).run(until=5000.0))
    return sims


def check_at_most_once(server: Callable[[], Node[Any]]) -> Outcome:
    """Seeded sweep under loss and duplication: no request key is executed twice."""
    for sim in _sweep(server):
        counts = executions_by_key(sim.trace, "server")
        twice = sorted(k for k, v in counts.items() if v > 1)
        if twice:
            return Outcome(False, len(sim.trace), f"{twice[0]} executed {counts[twice[0]]} times")
    return Outcome(True)


def check_acked_were_executed(server: Callable[[], Node[Any]]) -> Outcome:
    """Seeded sweep: every call a client saw acknowledged was executed by the server."""
    for sim in _sweep(server):
        executed = sim.states["server"].executed
        for c in ("c1", "c2"):
            state: RpcState = sim.states[c]
            ops = [op for op in sim.history.operations() if op.process == c]
            acked_ids = {i + 1 for i in state.acked}  # request ids count 1, 2, ... per call
            missing = sorted(rid for rid in acked_ids if (c, rid) not in executed)
            if missing and ops:
                return Outcome(False, len(sim.trace), f"{c}'s call {missing[0]} never executed")
    return Outcome(True)


def check_every_call_completes(server: Callable[[], Node[Any]]) -> Outcome:
    """Seeded sweep: with 10 attempts per call, every call ends ``ok``."""
    for sim in _sweep(server):
        bad = [op for op in sim.history.operations() if op.status != "ok"]
        if bad:
            return Outcome(False, len(sim.trace), f"{bad[0]} did not complete ok")
    return Outcome(True)


def check_model(server: Callable[[], Node[Any]]) -> Any:
    """Model checking: two clients, one increment each, on a duplicating network.

    Invariants: the counter never exceeds the sum of all increments issued
    (nothing is executed twice) and every acknowledged increment was executed.
    """
    from dslib.check import ActorModel, check

    policy = RetryPolicy(timeout=5.0, attempts=2)
    system = System(
        {
            "c1": RpcClient("server", [("incr", 1)], policy),
            "c2": RpcClient("server", [("incr", 2)], policy),
            "server": server(),
        }
    )

    def at_most_once(s: Any) -> bool:
        return bool(s.node("server").counter <= 3)

    def acked_were_executed(s: Any) -> bool:
        executed = s.node("server").executed
        return all((c, 1) in executed for c in ("c1", "c2") if s.node(c).acked)

    return check(
        ActorModel(system, duplicating=True),
        invariants={"at most once": at_most_once, "acked were executed": acked_were_executed},
        max_states=200_000,
    )


DEDUP_CHECKS: dict[str, Callable[[Callable[[], Node[Any]]], Any]] = {
    "sweep: at most once": check_at_most_once,
    "sweep: acked were executed": check_acked_were_executed,
    "sweep: every call completes": check_every_call_completes,
    "model checker": check_model,
}
"""The checks of the deduplicating server; each takes a factory of server nodes."""

DEDUP_MUTANTS: list[Mutant[Callable[[], Node[Any]]]] = [
    Mutant(
        "no-dedup",
        "executes every request, retries and duplicates included",
        lambda: NoDedupServer,
        ("sweep: at most once", "model checker"),
    ),
    Mutant(
        "key-by-request-id",
        "keys by request_id alone: two clients' first calls collide",
        lambda: KeyByRequestIdServer,
        ("sweep: acked were executed", "model checker"),
    ),
    Mutant(
        "silent-duplicate",
        "does not answer a retry whose reply was lost",
        lambda: SilentDuplicateServer,
        ("sweep: every call completes",),
    ),
]
"""Deliberately broken deduplicating servers, with the checks that must catch them."""
