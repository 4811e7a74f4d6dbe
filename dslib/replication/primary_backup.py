"""Primary-backup replication with a view service (a configuration service).

One server, the **primary**, orders every operation; it sends each one to the
**backup** and answers the client only once the backup has applied it. If
the primary fails, the backup has every acknowledged write and takes over.
The hard part is agreeing on *who is primary*: if two servers both believed
they were, clients could see two diverging histories ("split brain"). So a
separate **view service** (``ViewService``) decides, and announces, the
current *view*: a numbered pair ``(primary, backup)``. This is the design of
the Harp file system and of MIT 6.824's lab 2 (Liskov et al., "Replication in
the Harp File System", SOSP 1991; Alsberg and Day 1976 for the scheme itself):

- every server pings the view service every ``ping_interval``; a server not
  heard from for ``dead_time`` is dead;
- the view service moves to the next view (primary dead: the backup becomes
  primary; backup dead or missing: an idle server becomes backup) **only
  after the primary of the current view has acknowledged it**, by pinging with
  its number. A primary acknowledges a view only once its backup holds a copy
  of the whole state (``Transfer``). So the backup that is promoted always has
  every write the old primary acknowledged;
- the primary forwards every operation, reads too, to the backup, and the
  backup refuses operations of a view it has left: a primary that has been
  replaced (but does not know it yet) cannot answer anyone;
- a server that crashes loses its store, but it writes to disk the number of
  every view it learns. After a restart it takes part in none of the views up
  to that number, because it may have answered clients in them, and it says
  so in its pings (``forgotten``): the view service counts it as dead in them.
  Without the disk, a restarted server could not tell a first start from a
  restart, and the primary of view 1 (which starts from an empty store) would
  serve an empty store again after a restart (the mutant ``restart_amnesia``);
- the new backup installs the primary's state (``Transfer``) once per view.
  The primary resends it until it hears ``TransferOk``, so a copy may arrive
  after the backup has already applied operations of the view; installing
  that stale copy would erase them (the mutant ``stale_transfer``).

Consistency comes at the price of availability: while the view service
waits for an acknowledgement, or while the primary cannot reach its backup,
nothing is answered. The view service itself is a single point of failure;
chapter 15's Raft needs no such service: its servers elect a leader among
themselves.

``MUTANTS`` names the deliberately broken versions (``PBServer(mutant=...)``).
``ack_before_backup`` answers the client as soon as the primary has applied the
write, and sends it to the backup without waiting: faster, and wrong as soon as
the primary is cut off from the backup. ``restart_amnesia`` and
``stale_transfer`` are the two bugs a long seeded sweep found in an earlier
version of this module (``benchmarks/sweep_replication.py``); each sits one line
from the rule it breaks.

Section 3.3 has a smaller primary-backup register
(``dslib.small_systems.registers.primary_backup``), kept apart on purpose: two fixed
servers and no view service, so no failover; there a primary that cannot reach its backup
goes on alone, writing to its own disk, where this one answers nothing.

See Also
--------
dslib.small_systems.registers : Section 3.3's primary-backup register, without failover.

Examples
--------
>>> from dslib import Simulation
>>> from dslib.consistency import KeyValue, check_linearizable
>>> sim = Simulation(primary_backup_system(), seed=1).run(until=300.0)
>>> sim.states["vs"].view
View(num=2, primary='s1', backup='s2')
>>> sum(op.status == "ok" for op in sim.history.operations())
12
>>> check_linearizable(sim.history, KeyValue()).ok
True
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import check_mutant
from dslib.replication.workloads import check_count, client_workloads
from dslib.sim.clients import Client, Reply, Request
from dslib.sim.nemesis import Heal, Nemesis, Partition
from dslib.sim.network import Network
from dslib.sim.simulator import Simulation

__all__ = [
    "MUTANTS",
    "Forward",
    "ForwardOk",
    "PBServer",
    "PBServerState",
    "Ping",
    "Transfer",
    "TransferOk",
    "View",
    "ViewReply",
    "ViewService",
    "ViewServiceState",
    "default_kv_workloads",
    "partition_scenario",
    "primary_backup_system",
]


MUTANTS: dict[str, str] = {
    "ack_before_backup": "the primary answers a write once it has applied it, before its "
    "backup has it",
    "restart_amnesia": "a server keeps nothing on disk: after a restart it cannot tell that it "
    "ran before, and takes the first view as primary with an empty store",
    "stale_transfer": "the backup installs every copy of the primary's state for its view, "
    "even a resent one older than the operations it has applied since",
}
"""Broken versions of primary-backup, by name, with what is wrong."""


@dataclass(frozen=True)
class View:
    """A numbered configuration: who is primary, who is backup (``None``: nobody).

    Examples
    --------
    >>> View(2, "s1", "s2")
    View(num=2, primary='s1', backup='s2')
    """

    num: int = 0
    primary: str | None = None
    backup: str | None = None


@dataclass(frozen=True)
class Ping:
    """Server to view service: I am alive and I have seen (as primary: I acknowledge) ``num``.

    ``forgotten``: after a restart, the last view the server knew before it
    crashed (it lost its store: it has no state of any view up to this one);
    0 if it never restarted.

    Examples
    --------
    >>> Ping(3)
    Ping(num=3, forgotten=0)
    """

    num: int
    forgotten: int = 0


@dataclass(frozen=True)
class ViewReply:
    """View service to server: the current view.

    Examples
    --------
    >>> ViewReply(View(1, "s1"))
    ViewReply(view=View(num=1, primary='s1', backup=None))
    """

    view: View


@dataclass(frozen=True)
class Forward:
    """Primary to backup: apply this client operation in view ``num``.

    Examples
    --------
    >>> from dslib.sim import Request
    >>> Forward(2, Request("c1", 1, "get", "x")).num
    2
    """

    num: int
    request: Request


@dataclass(frozen=True)
class ForwardOk:
    """Backup to primary: I applied the operation (``ok=False``: I refuse, I am not your backup).

    Examples
    --------
    >>> ForwardOk(2, "c1", 1)
    ForwardOk(num=2, client='c1', request_id=1, ok=True)
    """

    num: int
    client: str
    request_id: int
    ok: bool = True


@dataclass(frozen=True)
class Transfer:
    """Primary to a new backup: the whole state, for ``view``.

    Examples
    --------
    >>> Transfer(View(2, "s1", "s2"), (("x", 1),), ()).view.backup
    's2'
    """

    view: View
    data: tuple[tuple[Hashable, Any], ...]
    applied: tuple[tuple[str, int, Any], ...]


@dataclass(frozen=True)
class TransferOk:
    """Backup to primary: I have the state of view ``num``.

    Examples
    --------
    >>> TransferOk(2)
    TransferOk(num=2)
    """

    num: int


# == the view service ===========================================================================
@dataclass(frozen=True)
class ViewServiceState:
    """The current view, whether its primary acknowledged it, and each server's last ping.

    ``last_ping`` holds ``(server, time, view number)``. ``rebooted``: servers
    of the current view that said (``Ping.forgotten``) they restarted, and so
    lost their state, during this view or after it: they count as dead.

    Examples
    --------
    >>> ViewServiceState().view
    View(num=0, primary=None, backup=None)
    """

    view: View = View()
    acked: bool = False
    last_ping: tuple[tuple[str, float, int], ...] = ()
    rebooted: frozenset[str] = frozenset()


class ViewService(Node[ViewServiceState]):
    """Decides the view from the servers' pings (see the module docstring).

    Parameters
    ----------
    ping_interval : float, default 5
        How often it checks for dead servers.
    dead_time : float, default 15
        A server not heard from for this long is dead.

    Examples
    --------
    >>> ViewService(ping_interval=2.0, dead_time=6.0).dead_time
    6.0
    """

    def __init__(self, ping_interval: float = 5.0, dead_time: float = 15.0) -> None:
        if not (isinstance(ping_interval, (int, float)) and ping_interval > 0):
            raise ValueError(f"ViewService: ping_interval={ping_interval!r} must be > 0")
        if not (isinstance(dead_time, (int, float)) and dead_time > ping_interval):
            raise ValueError(
                f"ViewService: dead_time={dead_time!r} must be larger than ping_interval"
            )
        self.ping_interval = float(ping_interval)
        self.dead_time = float(dead_time)

    def init(self, ctx: Context) -> ViewServiceState:
        ctx.set_timer("tick", self.ping_interval)
        return ViewServiceState()

    def on_message(self, ctx: Context, state: ViewServiceState, src: str, msg: Any) -> Any:
        if not isinstance(msg, Ping):
            return state
        pings = {s: (t, n) for s, t, n in state.last_ping}
        pings[src] = (ctx.now, msg.num)
        state = replace(state, last_ping=tuple(sorted((s, t, n) for s, (t, n) in pings.items())))
        view = state.view
        if view.num <= msg.forgotten and src in (view.primary, view.backup):
            # It restarted since it learned this view: it lost the view's state.
            state = replace(state, rebooted=state.rebooted | {src})
        if src == view.primary and msg.num == view.num and src not in state.rebooted:
            state = replace(state, acked=True)
        ctx.send(src, ViewReply(state.view))
        return state

    def _alive(self, ctx: Context, state: ViewServiceState, server: str | None) -> bool:
        if server is None or server in state.rebooted:
            return False
        last = {s: t for s, t, _ in state.last_ping}.get(server)
        return last is not None and ctx.now - last <= self.dead_time

    def on_timer(self, ctx: Context, state: ViewServiceState, timer: Any) -> ViewServiceState:
        ctx.set_timer("tick", self.ping_interval)
        view = state.view
        if view.num > 0 and not state.acked:
            return state  # the primary has not acknowledged this view: we may not move on
        alive = [s for s, _, _ in state.last_ping if self._alive(ctx, state, s)]
        idle = [s for s in alive if s not in (view.primary, view.backup)]
        nxt = None
        if view.num == 0:
            if alive:
                nxt = View(1, alive[0], None)
        elif not self._alive(ctx, state, view.primary):
            if self._alive(ctx, state, view.backup):
                nxt = View(view.num + 1, view.backup, idle[0] if idle else None)
            # else: primary and backup both gone; no server has the data. Stuck.
        elif view.backup is not None and not self._alive(ctx, state, view.backup):
            nxt = View(view.num + 1, view.primary, idle[0] if idle else None)
        elif view.backup is None and idle:
            nxt = View(view.num + 1, view.primary, idle[0])
        if nxt is None:
            return state
        keep = {s for s in (nxt.primary, nxt.backup) if s is not None}
        return ViewServiceState(nxt, False, state.last_ping, state.rebooted - keep)


# == the servers ================================================================================
@dataclass(frozen=True)
class PBServerState:
    """A server's view, its copy of the store and the work in progress.

    Attributes
    ----------
    view : View
        The latest view it knows.
    data : tuple of (key, value)
        The store, sorted by key.
    applied : tuple of (client, request_id, result)
        The last operation applied for each client, to answer a retry with
        the same result instead of applying it twice.
    synced : int
        As primary: the view whose backup holds the state (0: none yet).
        As backup: the view whose state it received.
    queue : tuple of Request
        As primary: operations waiting; the first is at the backup.
    forgotten : int
        After a restart, the last view number it knew before (read from
        disk): it lost its store, so it takes part in no view up to this one.

    Examples
    --------
    >>> PBServerState().result_of("c1", 1)
    (False, None)
    """

    view: View = View()
    data: tuple[tuple[Hashable, Any], ...] = ()
    applied: tuple[tuple[str, int, Any], ...] = ()
    synced: int = 0
    queue: tuple[Request, ...] = ()
    forgotten: int = 0

    def result_of(self, client: str, request_id: int) -> tuple[bool, Any]:
        """``(True, result)`` if the request was applied, else ``(False, None)``."""
        for c, r, v in self.applied:
            if c == client and r == request_id:
                return True, v
        return False, None


def _apply(state: PBServerState, req: Request) -> tuple[PBServerState, Any]:
    """Apply a client operation to the store: ``put``/``write`` or ``get``/``read``."""
    done, result = state.result_of(req.client, req.request_id)
    if done:
        return state, result
    data = dict(state.data)
    if req.f in ("put", "write"):
        data[req.key] = req.value
        result = req.value
    else:
        result = data.get(req.key)
    applied = [a for a in state.applied if a[0] != req.client] + [
        (req.client, req.request_id, result)
    ]
    return (
        replace(
            state,
            data=tuple(sorted(data.items(), key=lambda kv: repr(kv[0]))),
            applied=tuple(sorted(applied)),
        ),
        result,
    )


class PBServer(Node[PBServerState]):
    """A server of the primary-backup store: primary, backup or idle, as the view says.

    Parameters
    ----------
    view_service : str, default "vs"
    ping_interval : float, default 5
        How often it pings the view service (and resends what is unanswered).
    mutant : str or None, default None
        A broken version from ``MUTANTS``.

    Raises
    ------
    ValueError
        If ``ping_interval`` is not positive or ``mutant`` is unknown.

    Examples
    --------
    >>> PBServer(mutant="stale_transfer")
    PBServer[stale_transfer]
    """

    def __init__(
        self,
        view_service: str = "vs",
        ping_interval: float = 5.0,
        mutant: str | None = None,
    ) -> None:
        if not (isinstance(ping_interval, (int, float)) and ping_interval > 0):
            raise ValueError(f"PBServer: ping_interval={ping_interval!r} must be > 0")
        self.view_service = view_service
        self.ping_interval = float(ping_interval)
        self.mutant = check_mutant("PBServer", mutant, MUTANTS)

    def init(self, ctx: Context) -> PBServerState:
        ctx.send(self.view_service, Ping(0))
        ctx.set_timer("ping", self.ping_interval)
        return PBServerState()

    def on_recover(self, ctx: Context, durable: Any) -> PBServerState:
        """Restart with an empty store, remembering only the last view number it knew."""
        forgotten = durable if isinstance(durable, int) else 0
        if self.mutant == "restart_amnesia":
            forgotten = 0  # as if nothing were on disk: a restart looks like a first start
        ctx.send(self.view_service, Ping(0, forgotten))
        ctx.set_timer("ping", self.ping_interval)
        return PBServerState(forgotten=forgotten)

    # -- helpers ---------------------------------------------------------------------------------
    def _is_primary(self, ctx: Context, state: PBServerState) -> bool:
        return state.view.primary == ctx.id

    def _ready(self, ctx: Context, state: PBServerState) -> bool:
        """Primary whose backup (if any) has the state of this view."""
        return self._is_primary(ctx, state) and (
            state.view.backup is None or state.synced == state.view.num
        )

    def _ack_number(self, ctx: Context, state: PBServerState) -> int:
        if self._is_primary(ctx, state) and not self._ready(ctx, state):
            return state.view.num - 1  # not yet: the backup does not have the state
        return state.view.num

    def _push(self, ctx: Context, state: PBServerState) -> PBServerState:
        """Start (or finish) the operation at the head of the queue."""
        while state.queue and self._ready(ctx, state):
            req = state.queue[0]
            if state.view.backup is None:
                state, result = _apply(state, req)
                ctx.send(req.client, Reply(req.request_id, True, result))
                state = replace(state, queue=state.queue[1:])
                continue
            ctx.send(state.view.backup, Forward(state.view.num, req))
            break
        return state

    def _adopt(self, ctx: Context, state: PBServerState, view: View) -> PBServerState:
        """Learn a newer view."""
        old = state.view
        if view.primary == ctx.id:
            was_primary = old.primary == ctx.id and old.num == view.num - 1
            was_backup = old.backup == ctx.id and state.synced == old.num == view.num - 1
            if view.num <= state.forgotten or not (view.num == 1 or was_primary or was_backup):
                # We lost this view's state (a restart: the mutant restart_amnesia forgets that)
                # or missed a view: we cannot be primary with what we have. Wait; the view
                # service sees in our pings that we restarted, or that we never acknowledge.
                return state
            state = replace(state, view=view, synced=0 if view.backup else view.num)
            if view.backup is not None:
                ctx.send(view.backup, Transfer(view, state.data, state.applied))
            return state
        # Not primary (any more): forget pending client operations; clients will retry.
        return replace(state, view=view, queue=(), synced=state.synced if old.num else 0)

    # -- handlers --------------------------------------------------------------------------------
    def on_timer(self, ctx: Context, state: PBServerState, timer: Any) -> PBServerState:
        if timer != "ping":
            return state
        ctx.set_timer("ping", self.ping_interval)
        ctx.send(self.view_service, Ping(self._ack_number(ctx, state), state.forgotten))
        if self._is_primary(ctx, state) and state.view.backup is not None:
            if state.synced != state.view.num:
                ctx.send(state.view.backup, Transfer(state.view, state.data, state.applied))
            elif state.queue:
                ctx.send(state.view.backup, Forward(state.view.num, state.queue[0]))
        return state

    def on_message(self, ctx: Context, state: PBServerState, src: str, msg: Any) -> Any:
        new = self._handle(ctx, state, src, msg)
        if new.view.num > state.view.num:
            ctx.persist(new.view.num)  # on disk before anything of the new view goes out
        return new

    def _handle(self, ctx: Context, state: PBServerState, src: str, msg: Any) -> PBServerState:
        if isinstance(msg, ViewReply):
            if msg.view.num > state.view.num:
                state = self._adopt(ctx, state, msg.view)
                state = self._push(ctx, state)
            return state
        if isinstance(msg, Request):
            return self._request(ctx, state, msg)
        if isinstance(msg, Transfer):
            return self._transfer(ctx, state, src, msg)
        if isinstance(msg, TransferOk):
            if self._is_primary(ctx, state) and msg.num == state.view.num:
                state = replace(state, synced=msg.num)
                return self._push(ctx, state)
            return state
        if isinstance(msg, Forward):
            return self._forward(ctx, state, src, msg)
        if isinstance(msg, ForwardOk):
            return self._forward_ok(ctx, state, msg)
        return state

    def _request(self, ctx: Context, state: PBServerState, req: Request) -> PBServerState:
        if not self._is_primary(ctx, state):
            return state  # not primary: say nothing, the client tries another server
        done, result = state.result_of(req.client, req.request_id)
        if done:
            ctx.send(req.client, Reply(req.request_id, True, result))
            return state
        if any(q.client == req.client and q.request_id == req.request_id for q in state.queue):
            return state
        if self.mutant == "ack_before_backup" and self._ready(ctx, state):
            state, result = _apply(state, req)
            ctx.send(req.client, Reply(req.request_id, True, result))
            if state.view.backup is not None:
                ctx.send(state.view.backup, Forward(state.view.num, req))
            return state
        state = replace(state, queue=(*state.queue, req))
        if len(state.queue) == 1:
            state = self._push(ctx, state)
        return state

    def _transfer(self, ctx: Context, state: PBServerState, src: str, msg: Transfer) -> Any:
        num = msg.view.num
        if num < state.view.num or num <= state.forgotten or msg.view.backup != ctx.id:
            return state
        if state.synced != num or self.mutant == "stale_transfer":
            # Install it only once per view: a resent copy is older than what we applied since.
            state = PBServerState(msg.view, msg.data, msg.applied, num, (), state.forgotten)
        ctx.send(src, TransferOk(num))
        return state

    def _forward(self, ctx: Context, state: PBServerState, src: str, msg: Forward) -> Any:
        req = msg.request
        ok = (
            msg.num == state.view.num
            and state.view.backup == ctx.id
            and state.view.primary == src
            and state.synced == state.view.num
        )
        if ok:
            state, _ = _apply(state, req)
        ctx.send(src, ForwardOk(msg.num, req.client, req.request_id, ok))
        return state

    def _forward_ok(self, ctx: Context, state: PBServerState, msg: ForwardOk) -> Any:
        if (
            self.mutant == "ack_before_backup"
            or not msg.ok
            or not self._is_primary(ctx, state)
            or msg.num != state.view.num
            or not state.queue
        ):
            return state
        head = state.queue[0]
        if (head.client, head.request_id) != (msg.client, msg.request_id):
            return state
        state, result = _apply(state, head)
        ctx.send(head.client, Reply(head.request_id, True, result))
        return self._push(ctx, replace(state, queue=state.queue[1:]))

    def __repr__(self) -> str:
        return "PBServer" if self.mutant is None else f"PBServer[{self.mutant}]"


def default_kv_workloads(
    clients: int, operations: int = 6, keys: Sequence[Hashable] = ("x", "y")
) -> list[list[tuple[str, Hashable, Any]]]:
    """One key-value workload per client: puts and gets alternating, every put value distinct.

    >>> default_kv_workloads(2, 4)
    [[('put', 'x', 1), ('get', 'x', None), ('put', 'y', 3), ('get', 'y', None)], \
[('put', 'y', 2), ('get', 'y', None), ('put', 'x', 4), ('get', 'x', None)]]
    """
    if not (isinstance(clients, int) and clients >= 1):
        raise ValueError(f"default_kv_workloads: clients={clients!r} must be an int >= 1")
    if not keys:
        raise ValueError("default_kv_workloads: keys must not be empty")
    out = []
    for i in range(1, clients + 1):
        ops: list[tuple[str, Hashable, Any]] = []
        for k in range(operations):
            key = keys[(i - 1 + k // 2) % len(keys)]
            ops.append(("put", key, i + (k // 2) * clients) if k % 2 == 0 else ("get", key, None))
        out.append(ops)
    return out


def primary_backup_system(
    servers: int = 3,
    clients: int = 2,
    workloads: Sequence[Sequence[Any]] | None = None,
    mutant: str | None = None,
    ping_interval: float = 5.0,
    dead_time: float = 15.0,
    client_timeout: float = 20.0,
    retries: int = 8,
    start: float = 20.0,
    think: float | tuple[float, float] = (0.0, 5.0),
) -> System:
    """A primary-backup store: view service ``vs``, servers ``s1``..., clients ``c1``...

    Clients start at ``start`` (after the first views are set up), talk to
    ``s1`` first and, after a timeout, to the next server in turn.

    Parameters
    ----------
    servers, clients : int
    workloads : list of lists, optional
        One per client (default: ``default_kv_workloads``).
    mutant : str or None, default None
        Run every server as this broken version (``MUTANTS``).
    ping_interval, dead_time : float
        The failure detector's knobs.
    client_timeout : float, default 20
    retries : int, default 8
    start : float, default 20
    think : float or (float, float), default (0, 5)

    Examples
    --------
    >>> primary_backup_system(servers=2, clients=1)
    System(c1=Client(6 ops), s1=PBServer, s2=PBServer, vs=ViewService)
    """
    check_count("primary_backup_system", "servers", servers)
    loads = client_workloads("primary_backup_system", clients, workloads, default_kv_workloads)
    ids = [f"s{i}" for i in range(1, servers + 1)]
    nodes: dict[str, Node[Any]] = {"vs": ViewService(ping_interval, dead_time)}
    for s in ids:
        nodes[s] = PBServer("vs", ping_interval, mutant)
    for i, load in enumerate(loads, start=1):
        nodes[f"c{i}"] = Client(
            ids, load, timeout=client_timeout, retries=retries, think=think, start=start
        )
    return System(nodes)


def partition_scenario(mutant: str | None = None) -> Simulation:
    """The run that catches a primary that answers before its backup has the write.

    Servers ``s1`` (primary), ``s2`` (backup), ``s3``; a client ``c1`` that
    writes ``x`` then reads it, again and again, and a client ``c2`` that
    reads ``x`` from time 90. From time 60 to 160 the network splits
    ``{s1, c1}`` from ``{vs, s2, s3, c2}``. The correct primary cannot reach
    its backup, so it answers nothing; the view service promotes ``s2``, and
    ``c2`` reads from it the last value ``c1`` was told was written. The
    broken primary goes on answering ``c1``'s writes, which the backup never
    gets; ``c2`` then reads, from the new primary, a value older than one
    ``c1`` had been told was written before ``c2`` asked.

    Parameters
    ----------
    mutant : str or None, default None
        Run the servers as this broken version (``MUTANTS``).

    Returns the simulation, not yet run (run it to about 400).

    Examples
    --------
    >>> from dslib.consistency import KeyValue, check_linearizable
    >>> check_linearizable(partition_scenario().run(until=400.0).history, KeyValue()).ok
    True
    >>> sim = partition_scenario(mutant="ack_before_backup").run(until=400.0)
    >>> check_linearizable(sim.history, KeyValue()).ok
    False
    """
    writes: list[tuple[str, Hashable, Any]] = []
    for v in range(1, 13):
        writes += [("put", "x", v), ("get", "x", None)]
    system = primary_backup_system(
        servers=3, clients=1, workloads=[writes], mutant=mutant, think=4.0
    )
    nodes = dict(system.nodes)
    reads = [("get", "x", None)] * 6
    nodes["c2"] = Client(["s1", "s2", "s3"], reads, timeout=20.0, retries=8, think=10.0, start=90.0)
    system = System(nodes)
    groups = (("c1", "s1"), ("c2", "s2", "s3", "vs"))
    nemesis = Nemesis([(60.0, Partition(groups)), (160.0, Heal())])
    return Simulation(system, seed=0, network=Network(latency=1.0), nemesis=nemesis)
