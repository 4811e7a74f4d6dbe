"""A small replicated register whose replicas can serve stale reads (for chapter 11).

One ``Primary`` orders the writes; ``Replica`` nodes hold copies and serve the
clients. A client talks to one replica (its *home*): the replica answers reads
from its own copy and forwards writes to the primary. The primary applies a
write, and then, depending on ``ack``:

- ``ack="before"``: acknowledges the client at once and sends the write to the
  replicas ``lag`` time units later (a batching interval). Fast, and a
  client can read its home replica before the write arrives there: it misses
  its own write (read your writes breaks) and the history is not
  linearizable.
- ``ack="after"``: sends the write to the replicas at once and acknowledges
  the client only when every replica has applied it. A client then always
  sees its own writes, but two replicas may still apply a write at different
  moments, so a reader of the slower one can see the old value after a
  reader of the faster one saw the new: still not linearizable in general.

With ``read_from="primary"`` replicas forward reads to the primary too; one
copy answers everything and the register is linearizable.

Examples
--------
The client writes 1 (through its replica to the primary, and the primary's
acknowledgement straight back), then reads its replica before the write got
there:

>>> from dslib.sim import Simulation
>>> system = replicated_register({"c1": [("write", 1), ("read", None)]}, lag=5.0, think=0.0)
>>> sim = Simulation(system, seed=1).run()
>>> for op in sim.history.operations():
...     print(op)
c1 write(1) -> ok 1  [0.0, 3.0]
c1 read(None) -> ok None  [3.0, 5.0]
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.sim.clients import Client, Reply, Request

__all__ = [
    "Ack",
    "Forward",
    "Primary",
    "PrimaryState",
    "Replica",
    "ReplicaState",
    "Replicate",
    "register_workloads",
    "replicated_register",
]


@dataclass(frozen=True)
class Forward:
    """A replica passes a client's request on to the primary.

    >>> Forward(Request("c1", 1, "write", None, 5)).request.value
    5
    """

    request: Request


@dataclass(frozen=True)
class Replicate:
    """The primary tells a replica: the register's value is ``value`` as of write ``seq``.

    >>> Replicate(3, "x")
    Replicate(seq=3, value='x')
    """

    seq: int
    value: Any


@dataclass(frozen=True)
class Ack:
    """A replica tells the primary it has applied write ``seq``.

    >>> Ack(3)
    Ack(seq=3)
    """

    seq: int


@dataclass(frozen=True)
class PrimaryState:
    """The primary's copy, how many writes it ordered, and the writes waiting for acks.

    ``waiting`` holds ``(seq, client, request_id, replicas that have not acked)``.

    >>> PrimaryState()
    PrimaryState(value=None, seq=0, waiting=())
    """

    value: Any = None
    seq: int = 0
    waiting: tuple[tuple[int, str, int, frozenset[str]], ...] = ()


@dataclass(frozen=True)
class ReplicaState:
    """A replica's copy and the number of the last write it applied.

    >>> ReplicaState(7, 2)
    ReplicaState(value=7, seq=2)
    """

    value: Any = None
    seq: int = 0


class Primary(Node[PrimaryState]):
    """Orders the writes and replicates them.

    Parameters
    ----------
    replicas : sequence of str
        The replicas to send every write to.
    ack : {"before", "after"}, default "before"
        Acknowledge a write before replicating it, or after every replica
        applied it.
    lag : float, default 5.0
        With ``ack="before"``: how long after acknowledging the primary sends
        the write to the replicas.

    Examples
    --------
    >>> Primary(["r1", "r2"], ack="after")
    Primary(ack='after', lag=5.0)
    """

    def __init__(self, replicas: Sequence[str], ack: str = "before", lag: float = 5.0) -> None:
        if ack not in ("before", "after"):
            raise ValueError(f"Primary: ack={ack!r}; allowed: 'before', 'after'")
        if not (isinstance(lag, (int, float)) and not isinstance(lag, bool) and lag >= 0):
            raise ValueError(f"Primary: lag={lag!r} must be a number >= 0")
        if isinstance(replicas, str) or not replicas:
            raise ValueError(f"Primary: replicas={replicas!r}; give a non-empty list of ids")
        self.replicas = tuple(replicas)
        self.ack = ack
        self.lag = float(lag)

    def init(self, ctx: Context) -> PrimaryState:
        return PrimaryState()

    def on_message(self, ctx: Context, state: PrimaryState, src: str, msg: Any) -> PrimaryState:
        if isinstance(msg, Forward):
            req = msg.request
            if req.f == "read":
                ctx.send(req.client, Reply(req.request_id, True, state.value))
                return state
            seq = state.seq + 1
            state = replace(state, value=req.value, seq=seq)
            if self.ack == "before":
                ctx.send(req.client, Reply(req.request_id, True, req.value))
                ctx.set_timer(("replicate", seq, req.value), self.lag)
                return state
            for r in self.replicas:
                ctx.send(r, Replicate(seq, req.value))
            entry = (seq, req.client, req.request_id, frozenset(self.replicas))
            return replace(state, waiting=(*state.waiting, entry))
        if isinstance(msg, Ack):
            waiting = []
            for seq, client, request_id, missing in state.waiting:
                if seq == msg.seq:
                    missing = missing - {src}
                    if not missing:
                        ctx.send(client, Reply(request_id, True, None))
                        continue
                waiting.append((seq, client, request_id, missing))
            return replace(state, waiting=tuple(waiting))
        return state

    def on_timer(self, ctx: Context, state: PrimaryState, timer: Any) -> PrimaryState:
        _, seq, value = timer
        for r in self.replicas:
            ctx.send(r, Replicate(seq, value))
        return state

    def __repr__(self) -> str:
        return f"Primary(ack={self.ack!r}, lag={self.lag})"


class Replica(Node[ReplicaState]):
    """Serves reads from its copy (or the primary's) and forwards writes to the primary.

    Parameters
    ----------
    primary : str, default "primary"
    read_from : {"replica", "primary"}, default "replica"
        Answer reads from this replica's copy, or forward them to the primary.

    Examples
    --------
    >>> Replica(read_from="primary")
    Replica(read_from='primary')
    """

    def __init__(self, primary: str = "primary", read_from: str = "replica") -> None:
        if read_from not in ("replica", "primary"):
            raise ValueError(f"Replica: read_from={read_from!r}; allowed: 'replica', 'primary'")
        self.primary = primary
        self.read_from = read_from

    def init(self, ctx: Context) -> ReplicaState:
        return ReplicaState()

    def on_message(self, ctx: Context, state: ReplicaState, src: str, msg: Any) -> ReplicaState:
        if isinstance(msg, Request):
            if msg.f == "read" and self.read_from == "replica":
                ctx.send(src, Reply(msg.request_id, True, state.value))
            else:
                ctx.send(self.primary, Forward(msg))
            return state
        if isinstance(msg, Replicate):
            ctx.send(src, Ack(msg.seq))
            if msg.seq > state.seq:  # a late, older write must not overwrite a newer one
                return ReplicaState(msg.value, msg.seq)
        return state

    def __repr__(self) -> str:
        return f"Replica(read_from={self.read_from!r})"


def register_workloads(seed: int, clients: int = 3, ops: int = 8) -> dict[str, list[Any]]:
    """Seeded random read/write workloads, ``{"c1": [...], ...}``, every written value unique.

    Examples
    --------
    >>> for client, ops in register_workloads(1, clients=2, ops=3).items():
    ...     print(client, ops)
    c1 [('read', None), ('read', None), ('read', None)]
    c2 [('read', None), ('write', 1), ('write', 2)]
    """
    if not (isinstance(clients, int) and clients >= 1 and isinstance(ops, int) and ops >= 0):
        raise ValueError(f"register_workloads: clients={clients!r} >= 1, ops={ops!r} >= 0")
    rng = random.Random(f"register-workloads:{seed}")
    written = 0
    out: dict[str, list[Any]] = {}
    for c in range(1, clients + 1):
        workload: list[Any] = []
        for _ in range(ops):
            if rng.random() < 0.5:
                written += 1
                workload.append(("write", written))
            else:
                workload.append(("read", None))
        out[f"c{c}"] = workload
    return out


def replicated_register(
    workloads: Mapping[str, Sequence[Any]],
    replicas: int = 2,
    ack: str = "before",
    lag: float = 5.0,
    read_from: str = "replica",
    think: float | tuple[float, float] = (0.0, 4.0),
) -> System:
    """The whole system: a primary, ``replicas`` replicas and one client per workload.

    Client ``k`` (in sorted order) has replica ``r{k mod replicas + 1}`` as its home.

    Parameters
    ----------
    workloads : mapping of str to sequence of operations
        Client id -> its operations (``("write", v)`` or ``("read", None)``).
    replicas : int, default 2
    ack, lag : see ``Primary``
    read_from : see ``Replica``
    think : float or (float, float), default (0, 4)
        Pause between a client's operations.

    Returns
    -------
    System

    Examples
    --------
    >>> replicated_register({"c1": [("read", None)], "c2": []}, replicas=2).ids
    ('c1', 'c2', 'primary', 'r1', 'r2')
    """
    if not (isinstance(replicas, int) and replicas >= 1):
        raise ValueError(f"replicated_register: replicas={replicas!r} must be an int >= 1")
    names = [f"r{i + 1}" for i in range(replicas)]
    nodes: dict[str, Node[Any]] = {"primary": Primary(names, ack=ack, lag=lag)}
    for name in names:
        nodes[name] = Replica("primary", read_from=read_from)
    for k, client in enumerate(sorted(workloads)):
        if client in nodes:
            raise ValueError(f"replicated_register: client id {client!r} is a server's id")
        home = names[k % replicas]
        nodes[client] = Client([home], workloads[client], timeout=100.0, think=think)
    return System(nodes)
