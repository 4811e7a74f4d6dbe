"""Replicated registers, correct and broken: the examples of testing under faults (section 3.3).

A *register* holds one value: clients ``write(v)`` and ``read()``. Replicating
it is the smallest interesting problem of the book: two or three copies, a
few messages, and already enough room for bugs that only a fault reveals.
This module holds two designs, each with its deliberate bugs ("mutants"):

**Primary-backup** (``primary_backup``). Clients talk to the *primary*. The
primary keeps the register in memory and sends every write to the *backup*,
which keeps it on disk: the backup is the primary's durable copy. The
primary acknowledges a write once the backup has it. If the backup does not
answer before a timeout (it crashed, or the network between them is cut),
the primary cannot tell which, and goes on alone: it writes the value to its
own disk, then acknowledges. A primary that restarts has lost its memory; it
asks the backup for its copy, compares it with its own disk, and takes the
newer. Its bugs:

- ``"ack-before-replicate"``: acknowledges a write before the backup has it.
  Wrong only if the primary then crashes before the backup got the value.
- ``"forget-when-alone"``: when the backup does not answer, acknowledges
  without writing to its own disk. Wrong only under a partition (or lost
  messages) *followed by* a crash of the primary.
- ``"no-dedup"``: applies a retried or duplicated write again. Wrong only if
  a request is duplicated (or retried after a lost reply) and arrives after a
  newer write.

**Quorum register** (``quorum_register``): the ABD algorithm (Attiya, Bar-Noy
and Dolev 1995) with clients as coordinators. A client reads the
timestamped values of a *read quorum* of ``R`` replicas, then stores a value
at a *write quorum* of ``W`` replicas. Every client asks the replicas in the
same order (the nearest first) and turns to the others only when a timeout
says that some did not answer. With ``R + W > N`` every read quorum meets
every write quorum. With ``R + W <= N`` (a mutant), they need not, but as
long as nothing fails every operation goes to the same first replicas: the
bug shows only when a partition makes a client turn elsewhere.

Every bug above needs a fault to show: in a run without crashes, lost or
duplicated messages and partitions, every mutant is linearizable. That is
what makes them good examples for ``dslib.testing``: a test that never
injects faults passes them all.

Chapter 12 builds both ideas again, and they are not the same protocols as these:

- ``dslib.replication.primary_backup`` has a view service that replaces a dead primary
  by its backup (failover), and a primary that cannot reach its backup answers nothing.
  Here the two roles are fixed and the primary goes on alone instead: no failover, and
  the bugs that only a primary going on alone can have (``"forget-when-alone"``).
- ``dslib.replication.abd`` lets a replica coordinate for its client and sends each phase
  to every replica. Here the clients coordinate, as in the paper, and ask the nearest
  replicas first. That order is what hides the ``R + W <= N`` mutants until a fault makes
  a client turn elsewhere; with chapter 12's coordinators, two clients writing through
  different replicas with ``R = W = 1`` break linearizability with no fault at all.

So each module keeps its own nodes and messages (the counterexamples of section 3.3
print them); what the two share, the clients' workloads and their checks, comes from
``dslib.replication`` (``default_register_workloads``, ``dslib.replication.workloads``).

See Also
--------
dslib.replication.primary_backup : Chapter 12's primary-backup, with a view service.
dslib.replication.abd : Chapter 12's ABD store, coordinated by the replicas.

Examples
--------
>>> from dslib import Simulation
>>> from dslib.consistency import Register, check_linearizable
>>> sim = Simulation(primary_backup(), seed=1).run()
>>> for op in sim.history.operations():
...     print(op)
c1 write(1) -> ok 1  [0.0, 4.0]
c1 read(None) -> ok 1  [4.0, 6.0]
c1 write(2) -> ok 2  [6.0, 10.0]
c1 read(None) -> ok 2  [10.0, 12.0]
>>> check_linearizable(sim.history, Register()).ok
True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from dslib.core import NOTHING_PERSISTED, Context, Node, System
from dslib.mutants import Mutant, check_mutant, deprecated_spelling
from dslib.replication.abd import default_register_workloads
from dslib.replication.workloads import check_count, client_workloads
from dslib.sim.clients import Client, Reply, Request

if TYPE_CHECKING:
    from dslib.testing.executors import Executor

__all__ = [
    "MUTANTS",
    "PRIMARY_BACKUP_BUGS",
    "Backup",
    "BackupState",
    "Copy",
    "Fetch",
    "Primary",
    "PrimaryState",
    "Query",
    "QueryReply",
    "QuorumClient",
    "QuorumClientState",
    "Replica",
    "ReplicaState",
    "Replicate",
    "Replicated",
    "Snapshot",
    "Store",
    "Stored",
    "default_workloads",
    "linearizable",
    "primary_backup",
    "primary_backup_mutants",
    "quorum_mutants",
    "quorum_register",
    "register_checks",
]

MUTANTS: dict[str, str] = {
    "ack-before-replicate": "acknowledges a write before the backup has it",
    "forget-when-alone": "goes on alone without writing to its own disk",
    "no-dedup": "applies a retried or duplicated write again",
}
"""The broken versions of ``Primary`` (``primary_backup(mutant=...)``): name -> what is wrong."""

PRIMARY_BACKUP_BUGS = tuple(MUTANTS)
"""The names of ``MUTANTS``, as a tuple (the older name of the list; kept for one release)."""


def _mutant_of(owner: str, mutant: str | None, bug: str | None) -> str | None:
    """``mutant``, checked against ``MUTANTS``; or the deprecated ``bug=``, with a warning."""
    if bug is None:
        return check_mutant(owner, mutant, MUTANTS)
    if mutant is not None:
        raise ValueError(f"{owner}: give mutant= or the deprecated bug=, not both")
    check_mutant(f"{owner}(bug={bug!r})", bug, MUTANTS)
    deprecated_spelling(f"{owner}(bug={bug!r})", f"{owner}(mutant={bug!r})", stacklevel=4)
    return bug


def default_workloads(clients: int, operations: int = 4) -> list[list[tuple[str, Any]]]:
    """One workload per client: writes and reads alternating, every written value distinct.

    Client ``i`` (from 1) writes ``i``, ``i + clients``, ``i + 2 * clients``, ...
    Distinct values make a history easy to read (and quick to check). It is
    ``dslib.replication.abd.default_register_workloads`` with four operations a client.

    >>> default_workloads(2)
    [[('write', 1), ('read', None), ('write', 3), ('read', None)], \
[('write', 2), ('read', None), ('write', 4), ('read', None)]]
    """
    return default_register_workloads(clients, operations)


# -- primary-backup ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Copy:
    """A version of the register's state: the value, and the last write applied per client.

    ``applied`` holds ``(client, request_id)`` pairs, sorted: the last write of
    each client that took effect, so that a retry of it is recognised (and not
    applied twice) even after the primary restarts.
    """

    version: int = 0
    value: Any = None
    applied: tuple[tuple[str, int], ...] = ()

    def done(self, client: str, request_id: int) -> bool:
        """Whether the write ``request_id`` of ``client`` (or a later one) is in this copy."""
        return any(c == client and r >= request_id for c, r in self.applied)

    def then(self, request: Request) -> Copy:
        """The next version: ``request``'s value written, and remembered as applied."""
        applied = tuple(sorted({**dict(self.applied), request.client: request.request_id}.items()))
        return Copy(self.version + 1, request.value, applied)


@dataclass(frozen=True)
class Replicate:
    """Primary to backup: store this copy (``incarnation``: which life of the primary sent it)."""

    incarnation: int
    copy: Copy


@dataclass(frozen=True)
class Replicated:
    """Backup to primary: I have (at least) ``version``."""

    incarnation: int
    version: int


@dataclass(frozen=True)
class Fetch:
    """A restarted primary to the backup: send me your copy, and listen to me from now on."""

    incarnation: int


@dataclass(frozen=True)
class Snapshot:
    """Backup to primary: my copy."""

    incarnation: int
    copy: Copy


@dataclass(frozen=True)
class PrimaryState:
    """The primary's memory.

    Attributes
    ----------
    incarnation : int
        Which life this is (1, then one more at every restart; kept on disk).
    ready : bool
        False while a restarted primary waits for the backup's snapshot.
    committed : Copy
        The register as clients see it: every acknowledged write is in it.
    queue : tuple of Request
        Writes waiting; the first is being replicated.
    """

    incarnation: int = 1
    ready: bool = True
    committed: Copy = field(default_factory=Copy)
    queue: tuple[Request, ...] = ()


@dataclass(frozen=True)
class BackupState:
    """The backup's state (all of it on disk).

    ``promised``: the primary incarnation it accepts copies from; older ones are stale.
    """

    promised: int = 1
    copy: Copy = field(default_factory=Copy)


class Primary(Node[PrimaryState]):
    """The primary of a primary-backup register (see the module docstring).

    Parameters
    ----------
    mutant : str, optional
        A name in ``MUTANTS`` for a broken version, or ``None``.
    timeout : float, default 5
        How long to wait for the backup before going on alone (and between
        attempts to fetch the backup's copy after a restart).
    backup : str, default "backup"
        The backup's node id.
    bug : str, optional
        Deprecated spelling of ``mutant`` (warns; removed in the next release).

    Raises
    ------
    ValueError
        If ``mutant`` (or ``bug``) is not in ``MUTANTS``, or ``timeout`` is not positive.
    """

    def __init__(
        self,
        mutant: str | None = None,
        timeout: float = 5.0,
        backup: str = "backup",
        *,
        bug: str | None = None,
    ):
        mutant = _mutant_of("Primary", mutant, bug)
        if not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"Primary: timeout={timeout!r} must be a number > 0")
        self.mutant = mutant
        self.timeout = float(timeout)
        self.backup = backup

    def init(self, ctx: Context) -> PrimaryState:
        return PrimaryState()

    def on_recover(self, ctx: Context, durable: Any) -> PrimaryState:
        incarnation, disk = (1, Copy()) if durable is NOTHING_PERSISTED else durable
        incarnation += 1
        ctx.persist((incarnation, disk))
        ctx.send(self.backup, Fetch(incarnation))
        ctx.set_timer("fetch", self.timeout)
        return PrimaryState(incarnation=incarnation, ready=False, committed=disk)

    def on_message(self, ctx: Context, state: PrimaryState, src: str, msg: Any) -> PrimaryState:
        if isinstance(msg, Snapshot):
            if state.ready or msg.incarnation != state.incarnation:
                return state  # a late or duplicated answer
            ctx.cancel_timer("fetch")
            newer = msg.copy if msg.copy.version > state.committed.version else state.committed
            return replace(state, ready=True, committed=newer)
        if isinstance(msg, Replicated):
            if (
                not state.queue
                or msg.incarnation != state.incarnation
                or msg.version != state.committed.version + 1
            ):
                return state  # an answer about an older write, or from before a restart
            ctx.cancel_timer("replicate")
            return self._commit(ctx, state)
        if isinstance(msg, Request) and state.ready:
            return self._request(ctx, state, msg)
        return state  # not ready yet: the client will retry

    def _request(self, ctx: Context, state: PrimaryState, req: Request) -> PrimaryState:
        if req.f == "read":
            ctx.send(req.client, Reply(req.request_id, True, state.committed.value))
            return state
        if req.f != "write":
            ctx.send(req.client, Reply(req.request_id, False, f"unknown operation {req.f!r}"))
            return state
        if self.mutant != "no-dedup":
            if state.committed.done(req.client, req.request_id):
                ctx.send(req.client, Reply(req.request_id, True, req.value))  # a retry
                return state
            if any(q.client == req.client and q.request_id == req.request_id for q in state.queue):
                return state  # already waiting
        if self.mutant == "ack-before-replicate":
            committed = state.committed.then(req)
            ctx.send(req.client, Reply(req.request_id, True, req.value))
            ctx.send(self.backup, Replicate(state.incarnation, committed))
            return replace(state, committed=committed)
        state = replace(state, queue=(*state.queue, req))
        if len(state.queue) == 1:
            self._replicate(ctx, state)
        return state

    def _replicate(self, ctx: Context, state: PrimaryState) -> None:
        ctx.send(self.backup, Replicate(state.incarnation, state.committed.then(state.queue[0])))
        ctx.set_timer("replicate", self.timeout)

    def _commit(self, ctx: Context, state: PrimaryState) -> PrimaryState:
        req = state.queue[0]
        state = replace(state, committed=state.committed.then(req), queue=state.queue[1:])
        ctx.send(req.client, Reply(req.request_id, True, req.value))
        if state.queue:
            self._replicate(ctx, state)
        return state

    def on_timer(self, ctx: Context, state: PrimaryState, timer: Any) -> PrimaryState:
        if timer == "fetch" and not state.ready:
            ctx.send(self.backup, Fetch(state.incarnation))
            ctx.set_timer("fetch", self.timeout)
        elif timer == "replicate" and state.queue:
            # The backup did not answer: go on alone. The value must then be on our own
            # disk before the client hears "ok", or a crash would lose it.
            if self.mutant != "forget-when-alone":
                ctx.persist((state.incarnation, state.committed.then(state.queue[0])))
            return self._commit(ctx, state)
        return state

    def __repr__(self) -> str:
        return "Primary" if self.mutant is None else f"Primary({self.mutant})"


class Backup(Node[BackupState]):
    """The backup of a primary-backup register: the primary's durable copy."""

    def init(self, ctx: Context) -> BackupState:
        return BackupState()

    def on_recover(self, ctx: Context, durable: Any) -> BackupState:
        return BackupState() if durable is NOTHING_PERSISTED else durable

    def on_message(self, ctx: Context, state: BackupState, src: str, msg: Any) -> BackupState:
        if isinstance(msg, Fetch):
            if msg.incarnation < state.promised:
                return state  # from an older life of the primary
            if msg.incarnation > state.promised:
                state = replace(state, promised=msg.incarnation)
                ctx.persist(state)
            ctx.send(src, Snapshot(msg.incarnation, state.copy))
            return state
        if isinstance(msg, Replicate):
            if msg.incarnation < state.promised:
                return state  # stale: the primary has restarted since
            new = state
            if msg.incarnation > state.promised:
                new = replace(new, promised=msg.incarnation)
            if msg.copy.version > state.copy.version:
                new = replace(new, copy=msg.copy)
            if new != state:
                ctx.persist(new)  # on disk before the answer
            ctx.send(src, Replicated(msg.incarnation, msg.copy.version))
            return new
        return state


def primary_backup(
    mutant: str | None = None,
    clients: int = 1,
    workload: Sequence[Sequence[Any]] | None = None,
    timeout: float = 5.0,
    client_timeout: float = 10.0,
    retries: int = 3,
    *,
    bug: str | None = None,
) -> System:
    """A primary-backup register with its clients: nodes ``primary``, ``backup``, ``c1``, ...

    Parameters
    ----------
    mutant : str, optional
        ``None`` for the correct version, or a name in ``MUTANTS``.
    clients : int, default 1
        How many clients (``dslib.sim.Client`` nodes, talking to the primary).
    workload : list of lists of operations, optional
        One workload per client (default: ``default_workloads(clients)``).
    timeout : float, default 5
        The primary's wait for the backup.
    client_timeout : float, default 10
        The clients' wait for a reply before they retry.
    retries : int, default 3
        How many times a client retries an operation before it gives up.
    bug : str, optional
        Deprecated spelling of ``mutant`` (warns; removed in the next release).

    Returns
    -------
    System

    Raises
    ------
    ValueError
        If ``mutant`` (or ``bug``) is not in ``MUTANTS``, or another argument is out of range.

    Examples
    --------
    >>> primary_backup(mutant="ack-before-replicate")
    System(backup=Backup, c1=Client(4 ops), primary=Primary(ack-before-replicate))
    >>> primary_backup(mutant="typo")
    Traceback (most recent call last):
    ...
    ValueError: primary_backup: unknown mutant 'typo'; allowed: None or one of \
['ack-before-replicate', 'forget-when-alone', 'no-dedup']
    """
    mutant = _mutant_of("primary_backup", mutant, bug)
    loads = client_workloads("primary_backup", clients, workload, default_workloads)
    nodes: dict[str, Node[Any]] = {"primary": Primary(mutant, timeout), "backup": Backup()}
    for i, load in enumerate(loads, start=1):
        nodes[f"c{i}"] = Client(["primary"], load, timeout=client_timeout, retries=retries)
    return System(nodes)


def primary_backup_mutants(**kwargs: Any) -> list[Mutant[Callable[[], System]]]:
    """The mutants of ``primary_backup``: each builds a system factory.

    Keyword arguments go to ``primary_backup``. The mutants name the checks
    ``"find_bug"`` (``dslib.testing.find_bug``) and ``"sweep"`` (a seeded sweep
    with a duplicating network, ``dslib.testing.sweep``) that must catch
    them; the tests and the chapter define both.

    >>> [m.name for m in primary_backup_mutants()]
    ['ack-before-replicate', 'forget-when-alone', 'no-dedup']
    """

    def factory(name: str) -> Callable[[], Callable[[], System]]:
        return lambda: lambda: primary_backup(mutant=name, **kwargs)

    caught_by = {
        "ack-before-replicate": ("find_bug",),
        "forget-when-alone": ("find_bug",),
        "no-dedup": ("sweep",),
    }  # with one client and ten operations; see register_checks
    return [Mutant(name, bug, factory(name), caught_by[name]) for name, bug in MUTANTS.items()]


# -- the quorum register (ABD) -------------------------------------------------------------------
Stamp = tuple[int, str]
"""A timestamp: (counter, client id); compared as a tuple, so every write's stamp is unique."""


@dataclass(frozen=True)
class Query:
    """Client to replica: what is your stamped value? (``tag`` names the client's phase.)"""

    tag: int


@dataclass(frozen=True)
class QueryReply:
    """Replica to client: my stamped value."""

    tag: int
    stamp: Stamp
    value: Any


@dataclass(frozen=True)
class Store:
    """Client to replica: keep this value if its stamp is newer than yours."""

    tag: int
    stamp: Stamp
    value: Any


@dataclass(frozen=True)
class Stored:
    """Replica to client: done (I have this stamp or a newer one)."""

    tag: int


@dataclass(frozen=True)
class ReplicaState:
    """A replica of the quorum register: a stamped value, kept on disk."""

    stamp: Stamp = (0, "")
    value: Any = None


class Replica(Node[ReplicaState]):
    """A replica of the quorum register: answers queries, keeps the newest stamped value."""

    def init(self, ctx: Context) -> ReplicaState:
        return ReplicaState()

    def on_recover(self, ctx: Context, durable: Any) -> ReplicaState:
        return ReplicaState() if durable is NOTHING_PERSISTED else durable

    def on_message(self, ctx: Context, state: ReplicaState, src: str, msg: Any) -> ReplicaState:
        if isinstance(msg, Query):
            ctx.send(src, QueryReply(msg.tag, state.stamp, state.value))
        elif isinstance(msg, Store):
            if msg.stamp > state.stamp:
                state = ReplicaState(msg.stamp, msg.value)
                ctx.persist(state)
            ctx.send(src, Stored(msg.tag))
        return state


@dataclass(frozen=True)
class QuorumClientState:
    """Where a quorum client is.

    ``phase`` is ``"idle"``, ``"query"`` (collecting stamped values) or
    ``"store"`` (collecting acknowledgements); ``heard`` the replicas that
    answered in this phase; ``best`` the newest stamped value heard;
    ``asked`` how many replicas of the preference list this phase has asked.
    """

    next_op: int = 0
    tag: int = 0
    phase: str = "idle"
    heard: tuple[str, ...] = ()
    best: tuple[Stamp, Any] = ((0, ""), None)
    asked: int = 0


class QuorumClient(Node[QuorumClientState]):
    """A client of the quorum register that runs the ABD protocol itself.

    It works through a workload of ``("write", v)`` and ``("read", None)``
    operations (the ``dslib.sim.Client`` format), one at a time, and records
    them with ``ctx.record``. A write queries a read quorum for the newest
    stamp, then stores its value with a newer stamp at a write quorum. A read
    queries a read quorum and, unless ``write_back=False`` (a mutant), stores
    the newest value at a write quorum before returning it, so that no later
    read can return an older one.

    Parameters
    ----------
    replicas : sequence of str
        The replicas, nearest first: each phase asks the first ``read_quorum``
        (or ``write_quorum``) of them, and the others only after a timeout.
    workload : sequence of operations
    read_quorum, write_quorum : int
    write_back : bool, default True
    timeout : float, default 10
    """

    def __init__(
        self,
        replicas: Sequence[str],
        workload: Sequence[Any],
        read_quorum: int,
        write_quorum: int,
        write_back: bool = True,
        timeout: float = 10.0,
    ) -> None:
        self.replicas = tuple(replicas)
        self.workload = tuple(_register_op(i, op) for i, op in enumerate(workload))
        n = len(self.replicas)
        for name, q in (("read_quorum", read_quorum), ("write_quorum", write_quorum)):
            if not (isinstance(q, int) and 1 <= q <= n):
                raise ValueError(f"QuorumClient: {name}={q!r} must be an int from 1 to {n}")
        self.read_quorum = read_quorum
        self.write_quorum = write_quorum
        self.write_back = write_back
        self.timeout = float(timeout)

    def init(self, ctx: Context) -> QuorumClientState:
        if self.workload:
            ctx.set_timer("next", 0.0)
        return QuorumClientState()

    def _ask(self, ctx: Context, state: QuorumClientState, msg: Any, count: int) -> None:
        for replica in self.replicas[:count]:
            if replica not in state.heard:
                ctx.send(replica, msg)
        ctx.set_timer("timeout", self.timeout)

    def _message(self, state: QuorumClientState) -> Any:
        if state.phase == "query":
            return Query(state.tag)
        return Store(state.tag, *state.best)

    def _start(self, ctx: Context, state: QuorumClientState, phase: str) -> QuorumClientState:
        quorum = self.read_quorum if phase == "query" else self.write_quorum
        state = replace(state, tag=state.tag + 1, phase=phase, heard=(), asked=quorum)
        self._ask(ctx, state, self._message(state), quorum)
        return state

    def on_timer(self, ctx: Context, state: QuorumClientState, timer: Any) -> QuorumClientState:
        if timer == "next":
            f, value = self.workload[state.next_op]
            ctx.record("invoke", f, value)
            return self._start(ctx, replace(state, best=((0, ""), None)), "query")
        if timer == "timeout" and state.phase != "idle":
            # Someone did not answer: ask every replica that has not, not just the nearest.
            state = replace(state, asked=len(self.replicas))
            self._ask(ctx, state, self._message(state), len(self.replicas))
        return state

    def on_message(self, ctx: Context, state: QuorumClientState, src: str, msg: Any) -> Any:
        if getattr(msg, "tag", None) != state.tag or src in state.heard or state.phase == "idle":
            return state  # an answer to an earlier phase, or a duplicate
        f, value = self.workload[state.next_op]
        if isinstance(msg, QueryReply) and state.phase == "query":
            best = max(state.best, (msg.stamp, msg.value), key=lambda sv: sv[0])
            state = replace(state, heard=(*state.heard, src), best=best)
            if len(state.heard) < self.read_quorum:
                return state
            ctx.cancel_timer("timeout")
            if f == "write":
                stamp = (best[0][0] + 1, ctx.id)
                return self._start(ctx, replace(state, best=(stamp, value)), "store")
            if self.write_back:
                return self._start(ctx, state, "store")
            return self._done(ctx, state, best[1])
        if isinstance(msg, Stored) and state.phase == "store":
            state = replace(state, heard=(*state.heard, src))
            if len(state.heard) < self.write_quorum:
                return state
            ctx.cancel_timer("timeout")
            return self._done(ctx, state, state.best[1])
        return state

    def _done(self, ctx: Context, state: QuorumClientState, result: Any) -> QuorumClientState:
        f, _value = self.workload[state.next_op]
        ctx.record("ok", f, result)
        state = replace(state, next_op=state.next_op + 1, phase="idle", heard=())
        if state.next_op < len(self.workload):
            ctx.set_timer("next", 0.0)
        return state

    def __repr__(self) -> str:
        return f"QuorumClient({len(self.workload)} ops)"


def _register_op(i: int, op: Any) -> tuple[str, Any]:
    if op == "read" or (isinstance(op, tuple) and len(op) == 2 and op[0] == "read"):
        return ("read", None)
    if isinstance(op, tuple) and len(op) == 2 and op[0] == "write":
        return ("write", op[1])
    raise ValueError(
        f"QuorumClient: workload entry {i} is {op!r}; a register operation is "
        "('write', value) or ('read', None)"
    )


def quorum_register(
    replicas: int = 3,
    read_quorum: int = 2,
    write_quorum: int = 2,
    clients: int = 1,
    workload: Sequence[Sequence[Any]] | None = None,
    write_back: bool = True,
    timeout: float = 10.0,
) -> System:
    """A quorum register (ABD): replicas ``r1``... and quorum clients ``c1``...

    Parameters
    ----------
    replicas : int, default 3
        ``N``, the number of replicas.
    read_quorum, write_quorum : int, default 2
        ``R`` and ``W``. With ``R + W <= N`` a warning says that the quorums
        need not intersect (it is a legitimate, weak, choice, and a mutant here).
    clients : int, default 1
    workload : list of lists of operations, optional
        One per client (default: ``default_workloads(clients)``).
    write_back : bool, default True
        ``False`` gives the mutant whose reads skip the write-back phase.
    timeout : float, default 10
        How long a client waits for a quorum before it asks every replica.

    Returns
    -------
    System

    Examples
    --------
    >>> from dslib import Simulation
    >>> sim = Simulation(quorum_register(), seed=1).run()
    >>> [(op.f, op.result) for op in sim.history.operations()]
    [('write', 1), ('read', 1), ('write', 2), ('read', 2)]
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = quorum_register(read_quorum=1, write_quorum=2)
    >>> print(caught[0].message)
    quorum sizes R=1, W=2 with N=3 do not intersect (R + W must exceed N for reads to see the \
last write)
    """
    check_count("quorum_register", "replicas", replicas)
    if read_quorum + write_quorum <= replicas:
        warnings.warn(
            f"quorum sizes R={read_quorum}, W={write_quorum} with N={replicas} do not intersect "
            "(R + W must exceed N for reads to see the last write)",
            stacklevel=2,
        )
    loads = client_workloads("quorum_register", clients, workload, default_workloads)
    ids = [f"r{i}" for i in range(1, replicas + 1)]
    nodes: dict[str, Node[Any]] = {r: Replica() for r in ids}
    for i, load in enumerate(loads, start=1):
        nodes[f"c{i}"] = QuorumClient(ids, load, read_quorum, write_quorum, write_back, timeout)
    return System(nodes)


def quorum_mutants(**kwargs: Any) -> list[Mutant[Callable[[], System]]]:
    """The mutants of ``quorum_register`` (N = 3): quorums that do not meet.

    Keyword arguments go to ``quorum_register``.

    >>> [m.name for m in quorum_mutants()]
    ['R=1, W=1', 'R=1, W=2']
    """

    def factory(r: int, w: int) -> Callable[[], Callable[[], System]]:
        def build() -> Callable[[], System]:
            def make() -> System:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return quorum_register(read_quorum=r, write_quorum=w, **kwargs)

            return make

        return build

    both = ("find_bug", "sweep")
    return [
        Mutant("R=1, W=1", "R + W = 2 <= N = 3: quorums may not meet", factory(1, 1), both),
        Mutant("R=1, W=2", "R + W = 3 <= N = 3: quorums may not meet", factory(1, 2), both),
    ]


# -- the checks of the chapter ---------------------------------------------------------------------
def linearizable(history: Any) -> Any:
    """Is ``history`` linearizable as a single register? (``dslib.consistency``'s checker.)

    >>> from dslib import Simulation
    >>> linearizable(Simulation(primary_backup(), seed=1).run().history).ok
    True
    """
    from dslib.consistency import Register, check_linearizable

    return check_linearizable(history, Register())


def register_checks(
    servers: Sequence[str], seeds: Sequence[int] = range(200), *, executor: Executor = None
) -> dict[str, Callable[[Callable[[], System]], Any]]:
    """The two checks of section 3.3, for the mutant tables: ``find_bug`` and ``sweep``.

    - ``"find_bug"``: ``dslib.testing.find_bug`` with its defaults (600 runs
      chosen by hypothesis, with faults), checking linearizability;
    - ``"sweep"``: one seeded simulation per seed, with a nemesis that crashes
      and partitions ``servers`` and a network with random latency that
      duplicates a message in five, checking linearizability.

    Parameters
    ----------
    servers : sequence of str
        The nodes the sweep's nemesis crashes and partitions.
    seeds : sequence of int, default range(200)
        The sweep's seeds; it stops at the first that fails.
    executor : None, int, dask.distributed.Client or concurrent.futures.Executor
        Who runs the sweep's seeds (``dslib.testing.executors.map_seeds``):
        ``None`` here, ``n`` local processes, or the workers of a Dask cluster;
        the verdicts are the same whichever runs them. ``find_bug`` always runs
        here: hypothesis chooses and shrinks its runs one after the other.

    Returns
    -------
    dict
        ``{"find_bug": check, "sweep": check}``, each a function of a system
        factory returning an ``Outcome``.

    Raises
    ------
    TypeError, ValueError
        If ``executor`` is not one of the kinds above.

    Examples
    --------
    >>> checks = register_checks(("primary", "backup"), seeds=range(3))
    >>> sorted(checks)
    ['find_bug', 'sweep']
    >>> checks["sweep"](primary_backup)
    Outcome(ok=True, counterexample_length=None, detail='3 seeds passed')
    """
    from dslib.sim.nemesis import RandomNemesis
    from dslib.sim.network import Network, uniform
    from dslib.testing import find_bug_check, sweep_check
    from dslib.testing.executors import check_executor

    check_executor(executor, "register_checks")
    nemesis = RandomNemesis(
        until=300.0,
        kinds=("crash", "partition"),
        mean_interval=30.0,
        duration=15.0,
        nodes=tuple(servers),
    )
    network = Network(latency=uniform(0.5, 5.0), duplication=0.2)
    return {
        "find_bug": find_bug_check(consistency=linearizable),
        "sweep": sweep_check(
            seeds,
            consistency=linearizable,
            nemesis=nemesis,
            network=network,
            until=400.0,
            executor=executor,
        ),
    }
