"""ABD: a linearizable register (or key-value store) from quorums, without a leader.

Attiya, Bar-Noy and Dolev (1995) showed that a read/write register can be
emulated on ``N`` replicas, any minority of which may fail, with no leader and
no consensus, as long as every two *quorums* (here: majorities) intersect.
Each replica keeps, per key, a value with a *tag* ``(counter, writer, op)``:
tags are unique and totally ordered, and a replica keeps the value with the
largest tag it has seen.

- **write(v)**: *query* a read quorum for their tags; pick a tag larger than
  every tag heard; *store* ``(tag, v)`` at a write quorum. Done.
- **read()**: *query* a read quorum; take the value with the largest tag;
  then **write it back**: store that ``(tag, value)`` at a write quorum
  before returning it.

The write-back is what makes reads linearizable. Without it, a read can
return a value that only a minority holds (a write still in progress), and a
later read, whose quorum misses that minority, returns the older value: the
second read goes back in time (the "new-old inversion"). With it, once a read
returns a value, a quorum holds it, so every later read's quorum meets it.
The write-back can be skipped only when a quorum already reported the largest
tag (``abd_read_decision`` does so). ``MUTANTS`` names the broken version:
``mutant="no_write_back"`` skips it always, and ``inversion_scenario`` catches it.

Here the replica the client talks to *coordinates* the operation on the
client's behalf (the paper has the reader or writer do it; nothing changes).
A client must not retry a write elsewhere: the retry would be a second write
with a new tag. ``abd_system`` therefore gives clients ``retries=0``.

Section 3.3 has a smaller ABD register (``dslib.small_systems.registers.quorum_register``),
kept apart on purpose: there the clients coordinate and ask the nearest replicas first,
which hides its ``R + W <= N`` mutants until a fault makes a client turn elsewhere. Here
every phase goes to every replica, so a store with quorums that do not meet can go wrong
with no fault at all.

See Also
--------
dslib.small_systems.registers : Section 3.3's quorum register, coordinated by its clients.

Examples
--------
>>> from dslib import Simulation
>>> from dslib.consistency import Register, check_linearizable
>>> sim = Simulation(abd_system(replicas=3, clients=2), seed=1).run()
>>> for op in sim.history.operations()[:3]:
...     print(op)
c1 write(1) -> ok 1  [0.0, 6.0]
c2 write(2) -> ok 2  [0.0, 6.0]
c1 read(None) -> ok 2  [6.0, 10.0]
>>> check_linearizable(sim.history, Register()).ok
True
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import NOTHING_PERSISTED, Context, Node, System
from dslib.errors import renamed
from dslib.mutants import check_mutant, deprecated_spelling
from dslib.replication.workloads import check_count, client_workloads
from dslib.sim.clients import Client, Reply, Request
from dslib.sim.nemesis import Cut, Heal, Nemesis
from dslib.sim.network import Network
from dslib.sim.simulator import Simulation

__all__ = [
    "INITIAL_TAG",
    "MUTANTS",
    "ABDReplica",
    "ABDState",
    "Query",
    "QueryReply",
    "ReadDecision",
    "RegisterOperation",
    "Store",
    "StoreAck",
    "Tag",
    "abd_read_decision",
    "abd_system",
    "default_register_workloads",
    "inversion_scenario",
    "majority",
    "no_write_back",
]

Tag = tuple[int, str, int]
"""A tag ``(counter, coordinator, operation number)``: unique, compared as a tuple."""

INITIAL_TAG: Tag = (0, "", 0)
"""The tag of a key that was never written."""

ReadDecision = Callable[[dict[str, tuple[Tag, Any]], int], Any]
"""``decide(replies, n)``: ``None`` (wait), ``("write-back", tag, value)`` or
``("return", tag, value)``."""

MUTANTS: dict[str, str] = {
    "no_write_back": "a read returns the newest value of a majority without writing it back, "
    "so a later read whose majority misses the one holder returns the older value "
    "(the new-old inversion)",
}
"""The broken versions of the ABD read (``mutant=`` name -> what is wrong)."""


def majority(n: int) -> int:
    """The size of a majority of ``n``: ``n // 2 + 1``.

    >>> majority(3), majority(4), majority(5)
    (2, 3, 3)
    """
    if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
        raise ValueError(f"majority: n={n!r} must be an int >= 1")
    return n // 2 + 1


def abd_read_decision(
    replies: dict[str, tuple[Tag, Any]], n: int, mutant: str | None = None
) -> Any:
    """What a read does with the query replies it has: wait, write back, or return.

    Waits for a majority of the ``n`` replicas. Then the answer is the value
    with the largest tag. If a majority already holds that tag, every later
    read's majority meets one of them, so the read may return at once;
    otherwise it must first write the value back to a majority.

    Parameters
    ----------
    replies : dict of str to (tag, value)
        The replies received so far, by replica.
    n : int
        The number of replicas.
    mutant : str or None, default None
        A broken version from ``MUTANTS`` (``"no_write_back"``), or ``None``.

    Returns
    -------
    None, or ("write-back", tag, value), or ("return", tag, value)

    Raises
    ------
    ValueError
        If ``mutant`` is not in ``MUTANTS``.

    Examples
    --------
    >>> abd_read_decision({"s1": ((1, "s1", 1), "x")}, 3) is None
    True
    >>> abd_read_decision({"s1": ((1, "s1", 1), "x"), "s2": ((0, "", 0), None)}, 3)
    ('write-back', (1, 's1', 1), 'x')
    >>> abd_read_decision({"s1": ((1, "s1", 1), "x"), "s3": ((1, "s1", 1), "x")}, 3)
    ('return', (1, 's1', 1), 'x')
    >>> abd_read_decision({"s1": ((1, "s1", 1), "x"), "s2": ((0, "", 0), None)}, 3, "no_write_back")
    ('return', (1, 's1', 1), 'x')
    """
    check_mutant("abd_read_decision", mutant, MUTANTS)
    if len(replies) < majority(n):
        return None
    tag, value = max(replies.values(), key=lambda tv: tv[0])
    holders = sum(1 for t, _ in replies.values() if t == tag)
    if mutant == "no_write_back":  # mutant: return at once, never write back
        return ("return", tag, value)
    return ("return" if holders >= majority(n) else "write-back", tag, value)


def no_write_back(replies: dict[str, tuple[Tag, Any]], n: int) -> Any:
    """Deprecated: ``abd_read_decision(replies, n, mutant="no_write_back")`` (the broken read).

    Calling it, or passing it as ``read_decision=``, warns (``DeprecationWarning``); it will be
    removed in the next release. Select the mutant with ``mutant="no_write_back"``.

    Parameters
    ----------
    replies : dict of str to (tag, value)
    n : int

    Returns
    -------
    None, or ("return", tag, value)
    """
    deprecated_spelling(
        "no_write_back(replies, n)", 'abd_read_decision(..., mutant="no_write_back")'
    )
    return abd_read_decision(replies, n, "no_write_back")


def _decision_and_mutant(
    owner: str, read_decision: ReadDecision | None, mutant: str | None
) -> tuple[ReadDecision | None, str | None]:
    """Check ``mutant``; turn the deprecated ``read_decision=no_write_back`` into
    ``mutant="no_write_back"``, with a warning."""
    mutant = check_mutant(owner, mutant, MUTANTS)
    if read_decision is abd_read_decision:
        read_decision = None
    if read_decision is no_write_back:
        deprecated_spelling(
            f"{owner}(read_decision=no_write_back)", f"{owner}(mutant='no_write_back')", 4
        )
        read_decision, mutant = None, "no_write_back"
    if read_decision is not None and mutant is not None:
        raise ValueError(f"{owner}: give a read_decision or a mutant, not both")
    return read_decision, mutant


# -- messages ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    """Coordinator to replica: your tag and value of ``key``? (``op`` names the operation.)

    Examples
    --------
    >>> Query(("s1", 1), "x")
    Query(op=('s1', 1), key='x')
    """

    op: tuple[str, int]
    key: Hashable


@dataclass(frozen=True)
class QueryReply:
    """Replica to coordinator: my tag and value of ``key``.

    Examples
    --------
    >>> QueryReply(("s1", 1), "x", (1, "s2", 3), "v")
    QueryReply(op=('s1', 1), key='x', tag=(1, 's2', 3), value='v')
    """

    op: tuple[str, int]
    key: Hashable
    tag: Tag
    value: Any


@dataclass(frozen=True)
class Store:
    """Coordinator to replica: keep ``value`` for ``key`` if ``tag`` is larger than yours.

    Examples
    --------
    >>> Store(("s1", 2), "x", (1, "s2", 3), "v")
    Store(op=('s1', 2), key='x', tag=(1, 's2', 3), value='v')
    """

    op: tuple[str, int]
    key: Hashable
    tag: Tag
    value: Any


@dataclass(frozen=True)
class StoreAck:
    """Replica to coordinator: I hold ``tag`` (or a larger one) for ``key``.

    Examples
    --------
    >>> StoreAck(("s1", 2), "x")
    StoreAck(op=('s1', 2), key='x')
    """

    op: tuple[str, int]
    key: Hashable


# -- state ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegisterOperation:
    """An operation a coordinator runs for a client (of ABD's register; not a history's
    ``dslib.sim.history.Operation``).

    ``phase`` is ``"query"`` or ``"store"``; ``replies`` the query replies,
    ``acks`` the replicas that acknowledged the store; ``tag`` and ``value``
    what is being stored; ``started`` the coordinator's clock at the start.

    Examples
    --------
    >>> from dslib.sim import Request
    >>> RegisterOperation(1, Request("c1", 1, "read")).phase
    'query'
    """

    number: int
    request: Request
    phase: str = "query"
    replies: tuple[tuple[str, Tag, Any], ...] = ()
    acks: tuple[str, ...] = ()
    tag: Tag = INITIAL_TAG
    value: Any = None
    started: float = 0.0


@dataclass(frozen=True)
class ABDState:
    """A replica's stored ``(key, tag, value)`` triples and the operations it coordinates.

    Examples
    --------
    >>> ABDState().lookup("x")
    ((0, '', 0), None)
    """

    data: tuple[tuple[Hashable, Tag, Any], ...] = ()
    operations: tuple[RegisterOperation, ...] = ()
    counter: int = 0

    def lookup(self, key: Hashable) -> tuple[Tag, Any]:
        """The tag and value stored for ``key``."""
        for k, tag, value in self.data:
            if k == key:
                return tag, value
        return INITIAL_TAG, None


def _keep(ctx: Context, state: ABDState, key: Hashable, tag: Tag, value: Any) -> ABDState:
    """A replica's rule: keep ``value`` if ``tag`` is larger than its own, on disk before it
    answers."""
    if tag <= state.lookup(key)[0]:
        return state
    rest = [d for d in state.data if d[0] != key]
    data = tuple(sorted([*rest, (key, tag, value)], key=lambda d: repr(d[0])))
    ctx.persist(data)
    return replace(state, data=data)


_READS = ("read", "get")
_WRITES = ("write", "put")


class ABDReplica(Node[ABDState]):
    """A replica of the ABD store that also coordinates the operations clients send it.

    Parameters
    ----------
    replicas : sequence of str
        Every replica of the store (this one included).
    read_quorum, write_quorum : int, optional
        Quorum sizes for the query and store phases (default: majorities).
        ``read_quorum + write_quorum <= len(replicas)`` breaks linearizability.
    read_decision : callable, default ``abd_read_decision``
        What a read does with its query replies (see ``ReadDecision``): an exercise's
        answer. Passing ``no_write_back`` is the deprecated spelling of
        ``mutant="no_write_back"``.
    resend : float, default 10
        How often an operation resends to the replicas that have not answered.
    give_up : float, default 100
        How long an operation may run before the coordinator abandons it
        (the client has timed out by then).
    mutant : str or None, default None
        A broken version from ``MUTANTS``, or ``None``.

    Raises
    ------
    ValueError
        If a quorum is out of range, ``mutant`` is not in ``MUTANTS``, or both a custom
        ``read_decision`` and a ``mutant`` are given.

    Examples
    --------
    >>> r = ABDReplica(["s1", "s2", "s3"])
    >>> r.read_quorum, r.write_quorum
    (2, 2)
    """

    def __init__(
        self,
        replicas: Sequence[str],
        read_quorum: int | None = None,
        write_quorum: int | None = None,
        read_decision: ReadDecision | None = None,
        resend: float = 10.0,
        give_up: float = 100.0,
        mutant: str | None = None,
    ) -> None:
        read_decision, self.mutant = _decision_and_mutant("ABDReplica", read_decision, mutant)
        if isinstance(replicas, str) or not replicas:
            raise ValueError(f"ABDReplica: replicas={replicas!r} must be a list of node ids")
        n = len(replicas)
        self.replicas = tuple(sorted(replicas))
        self.read_quorum = majority(n) if read_quorum is None else read_quorum
        self.write_quorum = majority(n) if write_quorum is None else write_quorum
        for name, q in (("read_quorum", self.read_quorum), ("write_quorum", self.write_quorum)):
            if not (isinstance(q, int) and not isinstance(q, bool) and 1 <= q <= n):
                raise ValueError(f"ABDReplica: {name}={q!r} must be an int from 1 to {n}")
        self.read_decision = read_decision if read_decision is not None else abd_read_decision
        self.resend = float(resend)
        self.give_up = float(give_up)

    def init(self, ctx: Context) -> ABDState:
        return ABDState()

    def on_recover(self, ctx: Context, durable: Any) -> ABDState:
        # The stored values survive a crash; the operations in progress do not.
        return ABDState() if durable is NOTHING_PERSISTED else ABDState(data=durable)

    # -- the replica's part ---------------------------------------------------------------------
    def _replica(self, ctx: Context, state: ABDState, src: str, msg: Any) -> ABDState:
        if isinstance(msg, Query):
            tag, value = state.lookup(msg.key)
            ctx.send(src, QueryReply(msg.op, msg.key, tag, value))
            return state
        state = _keep(ctx, state, msg.key, msg.tag, msg.value)
        ctx.send(src, StoreAck(msg.op, msg.key))
        return state

    # -- the coordinator's part -------------------------------------------------------------------
    def _decide(self, replies: dict[str, tuple[Tag, Any]]) -> Any:
        """The read decision, with the read quorum of this store."""
        if self.mutant is not None:
            return abd_read_decision(dict(replies), len(self.replicas), self.mutant)
        if self.read_decision is abd_read_decision and self.read_quorum != majority(
            len(self.replicas)
        ):
            if len(replies) < self.read_quorum:
                return None
            tag, value = max(replies.values(), key=lambda tv: tv[0])
            return ("write-back", tag, value)
        return self.read_decision(dict(replies), len(self.replicas))

    def _send_phase(self, ctx: Context, op: RegisterOperation, only_missing: bool = False) -> None:
        op_id = (ctx.id, op.number)
        key = op.request.key
        answered = {r for r, _, _ in op.replies} if op.phase == "query" else set(op.acks)
        for r in self.replicas:
            if r == ctx.id or (only_missing and r in answered):
                continue  # our own part is done at once, by _advance
            msg: Any = (
                Query(op_id, key) if op.phase == "query" else Store(op_id, key, op.tag, op.value)
            )
            ctx.send(r, msg)

    def _start(self, ctx: Context, state: ABDState, req: Request) -> ABDState:
        if req.f not in _READS + _WRITES:
            ctx.send(req.client, Reply(req.request_id, False, f"unknown operation {req.f!r}"))
            return state
        if any(
            o.request.client == req.client and o.request.request_id == req.request_id
            for o in state.operations
        ):
            return state  # a duplicate of an operation in progress
        op = RegisterOperation(state.counter + 1, req, started=ctx.now)
        self._send_phase(ctx, op)
        if not state.operations:
            ctx.set_timer("resend", self.resend)
        state = replace(state, counter=op.number)
        state, moved = self._advance(ctx, state, op)
        return state if moved is None else replace(state, operations=(*state.operations, moved))

    def _advance(
        self, ctx: Context, state: ABDState, op: RegisterOperation | None
    ) -> tuple[ABDState, RegisterOperation | None]:
        """Do this replica's own part of ``op`` at once (no message to itself), then move on."""
        while op is not None and ctx.id in self.replicas:
            key = op.request.key
            if op.phase == "query" and all(r != ctx.id for r, _, _ in op.replies):
                tag, value = state.lookup(key)
                op = replace(op, replies=(*op.replies, (ctx.id, tag, value)))
            elif op.phase == "store" and ctx.id not in op.acks:
                state = _keep(ctx, state, key, op.tag, op.value)
                op = replace(op, acks=(*op.acks, ctx.id))
            else:
                return state, op
            op = self._progress(ctx, op)
        return state, op

    def _progress(self, ctx: Context, op: RegisterOperation) -> RegisterOperation | None:
        """Move ``op`` on if it has enough answers; ``None`` when it is finished."""
        req = op.request
        if op.phase == "query":
            if len(op.replies) < self.read_quorum and req.f in _WRITES:
                return op
            replies = {r: (t, v) for r, t, v in op.replies}
            if req.f in _WRITES:
                top = max(t for t, _ in replies.values())
                tag = (top[0] + 1, ctx.id, op.number)
                op = replace(op, phase="store", tag=tag, value=req.value)
                self._send_phase(ctx, op)
                return op
            decision = self._decide(replies)
            if decision is None:
                return op
            what, tag, value = decision
            if what == "return":
                ctx.send(req.client, Reply(req.request_id, True, value))
                return None
            op = replace(op, phase="store", tag=tag, value=value)
            self._send_phase(ctx, op)
            return op
        if len(op.acks) < self.write_quorum:
            return op
        ctx.send(req.client, Reply(req.request_id, True, op.value))
        return None

    def _answer(self, ctx: Context, state: ABDState, src: str, msg: Any) -> ABDState:
        found = [op for op in state.operations if (ctx.id, op.number) == msg.op]
        if not found:
            return state  # an answer to an operation that is over
        op = found[0]
        if isinstance(msg, QueryReply) and op.phase == "query":
            if any(r == src for r, _, _ in op.replies):
                return state
            changed = replace(op, replies=(*op.replies, (src, msg.tag, msg.value)))
        elif isinstance(msg, StoreAck) and op.phase == "store" and src not in op.acks:
            changed = replace(op, acks=(*op.acks, src))
        else:
            return state  # an answer to an earlier phase, or a duplicate
        state, moved = self._advance(ctx, state, self._progress(ctx, changed))
        ops = [o if o.number != op.number else moved for o in state.operations]
        return replace(state, operations=tuple(o for o in ops if o is not None))

    def on_message(self, ctx: Context, state: ABDState, src: str, msg: Any) -> ABDState:
        if isinstance(msg, (Query, Store)):
            return self._replica(ctx, state, src, msg)
        if isinstance(msg, (QueryReply, StoreAck)):
            return self._answer(ctx, state, src, msg)
        if isinstance(msg, Request):
            return self._start(ctx, state, msg)
        return state

    def on_timer(self, ctx: Context, state: ABDState, timer: Any) -> ABDState:
        if timer != "resend":
            return state
        ops = tuple(op for op in state.operations if ctx.now - op.started < self.give_up)
        for op in ops:
            self._send_phase(ctx, op, only_missing=True)
        if ops:
            ctx.set_timer("resend", self.resend)
        return replace(state, operations=ops)

    def __repr__(self) -> str:
        extra = []
        if (self.read_quorum, self.write_quorum) != (majority(len(self.replicas)),) * 2:
            extra.append(f"R={self.read_quorum}, W={self.write_quorum}")
        if self.read_decision is not abd_read_decision:
            extra.append(getattr(self.read_decision, "__name__", "custom read"))
        name = "ABDReplica" if self.mutant is None else f"ABDReplica[{self.mutant}]"
        return name + (f"({', '.join(extra)})" if extra else "")


def default_register_workloads(clients: int, operations: int = 6) -> list[list[tuple[str, Any]]]:
    """One workload per client, writes and reads alternating, every written value distinct.

    >>> default_register_workloads(2, 4)
    [[('write', 1), ('read', None), ('write', 3), ('read', None)], \
[('write', 2), ('read', None), ('write', 4), ('read', None)]]
    """
    check_count("default_register_workloads", "clients", clients)
    if not (isinstance(operations, int) and not isinstance(operations, bool) and operations >= 0):
        raise ValueError(
            f"default_register_workloads: operations={operations!r} must be an int >= 0"
        )
    out = []
    for i in range(1, clients + 1):
        ops: list[tuple[str, Any]] = []
        for k in range(operations):
            ops.append(("write", i + (k // 2) * clients) if k % 2 == 0 else ("read", None))
        out.append(ops)
    return out


def abd_system(
    replicas: int = 3,
    clients: int = 3,
    workloads: Sequence[Sequence[Any]] | None = None,
    read_quorum: int | None = None,
    write_quorum: int | None = None,
    read_decision: ReadDecision | None = None,
    timeout: float = 60.0,
    think: float | tuple[float, float] = 0.0,
    mutant: str | None = None,
) -> System:
    """An ABD register (or key-value store): replicas ``s1``... and clients ``c1``...

    Client ``ci`` talks to replica ``s((i - 1) mod replicas + 1)``, which
    coordinates its operations; clients do not retry (see the module
    docstring), so an operation that gets no reply within ``timeout`` ends as
    ``info``.

    Parameters
    ----------
    replicas, clients : int
    workloads : list of lists, optional
        One workload per client; ``read``/``write`` on a register, or
        ``get``/``put`` with keys (default: ``default_register_workloads``).
    read_quorum, write_quorum : int, optional
        Default: majorities.
    read_decision : callable, optional
        Replace the read's decision (an exercise's answer).
    timeout : float, default 60
    think : float or (float, float), default 0
    mutant : str or None, default None
        Run every replica as this broken version (``MUTANTS``).

    Examples
    --------
    >>> abd_system(replicas=3, clients=1, mutant="no_write_back")
    System(c1=Client(6 ops), s1=ABDReplica[no_write_back], s2=ABDReplica[no_write_back], \
s3=ABDReplica[no_write_back])
    """
    read_decision, mutant = _decision_and_mutant("abd_system", read_decision, mutant)
    check_count("abd_system", "replicas", replicas)
    loads = client_workloads("abd_system", clients, workloads, default_register_workloads)
    ids = [f"s{i}" for i in range(1, replicas + 1)]
    nodes: dict[str, Node[Any]] = {
        r: ABDReplica(ids, read_quorum, write_quorum, read_decision, mutant=mutant) for r in ids
    }
    for i, load in enumerate(loads, start=1):
        server = ids[(i - 1) % replicas]
        nodes[f"c{i}"] = Client([server], load, timeout=timeout, retries=0, think=think)
    return System(nodes)


def inversion_scenario(
    read_decision: ReadDecision | None = None,
    read_quorum: int | None = None,
    write_quorum: int | None = None,
    mutant: str | None = None,
) -> Simulation:
    """The run that tells a read with write-back from one without: a "new-old inversion".

    Three replicas, constant latency 1. ``c1`` writes 1 through ``s1``; the
    network drops ``s1``'s stores to ``s2`` and ``s3`` (a brief one-way
    partition from 2.5 to 3.5), so for a while only ``s1`` holds the new
    value. ``c2`` reads through ``s2`` from time 4: its majority is ``s1``
    and ``s2``, so it sees 1. ``c3`` reads through ``s3`` from time 9, after
    ``c2``'s read returned, while ``s1``'s messages to ``s3`` are dropped
    (10.5 to 11.5): its majority is
    ``s2`` and ``s3``. If ``c2``'s read wrote 1 back, ``s2`` has it and
    ``c3`` reads 1; if not, ``c3`` reads the old value after ``c2`` read the
    new one: not linearizable.

    ``read_decision`` is an exercise's read (``ReadDecision``); ``mutant`` a name in
    ``MUTANTS``. Returns the simulation, not yet run.

    Examples
    --------
    >>> from dslib.consistency import Register, check_linearizable
    >>> sim = inversion_scenario().run()
    >>> [(op.process, op.result) for op in sim.history.operations()]
    [('c1', 1), ('c2', 1), ('c3', 1)]
    >>> sim = inversion_scenario(mutant="no_write_back").run()
    >>> [(op.process, op.result) for op in sim.history.operations()]
    [('c1', 1), ('c2', 1), ('c3', None)]
    >>> check_linearizable(sim.history, Register()).ok
    False
    """
    read_decision, mutant = _decision_and_mutant("inversion_scenario", read_decision, mutant)
    ids = ["s1", "s2", "s3"]
    nodes: dict[str, Node[Any]] = {
        r: ABDReplica(ids, read_quorum, write_quorum, read_decision, mutant=mutant) for r in ids
    }
    nodes["c1"] = Client(["s1"], [("write", 1)], timeout=60.0, retries=0)
    nodes["c2"] = Client(["s2"], [("read", None)], timeout=60.0, retries=0, start=4.0)
    nodes["c3"] = Client(["s3"], [("read", None)], timeout=60.0, retries=0, start=9.0)
    nemesis = Nemesis(
        [
            (2.5, Cut("s1", "s2")),
            (2.5, Cut("s1", "s3")),
            (3.5, Heal()),
            (10.5, Cut("s1", "s3")),
            (11.5, Heal()),
        ]
    )
    return Simulation(System(nodes), seed=0, network=Network(latency=1.0), nemesis=nemesis)


__getattr__ = renamed(__name__, {"Operation": (RegisterOperation, "RegisterOperation")})
