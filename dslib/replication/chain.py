"""Chain replication (van Renesse and Schneider, OSDI 2004).

The servers form a chain. A write enters at the **head**, which orders it
(a sequence number) and passes it down the chain; each server applies it and
passes it on; the **tail** applies it and answers the client. A read goes to
the tail alone, which holds only writes that every server has applied, so
reads are linearizable and cost one server (§2 of the paper). Each server
keeps the writes it has passed on but the tail has not yet confirmed (its
``sent`` list, §3); the tail's acknowledgement travels back up the chain.

A **master** detects failures (servers ping it) and removes a failed server
from the chain, announcing a new configuration with a larger epoch (§3):

- head fails: its successor becomes head (writes the old head never passed on
  are lost, but were never acknowledged either);
- tail fails: its predecessor becomes tail, and answers the clients of every
  write in its ``sent`` list, which are now complete;
- a middle server fails: its predecessor sends its ``sent`` list to its new
  successor, which applies what it is missing (sequence numbers make this
  idempotent).

The paper assumes fail-stop servers. A network partition breaks that
assumption: the master may remove a tail that is alive and still answering
reads, while a new tail accepts newer writes. So here a server answers reads
only while it holds a **lease**: the master's answer to its ping, valid for
``lease`` from when the ping was sent, shorter than the time the master waits
before removing it. A server that restarted has lost its state and never
rejoins (this chain only shrinks; the paper also adds servers at the tail).

``MUTANTS`` names the broken version (``mutant="no_lease"``: the tail answers
reads without a lease, which ``lease_scenario`` catches).

Examples
--------
>>> from dslib import Simulation
>>> from dslib.consistency import KeyValue, check_linearizable
>>> sim = Simulation(chain_system(), seed=1).run(until=300.0)
>>> sim.states["master"].chain
('s1', 's2', 's3')
>>> check_linearizable(sim.history, KeyValue()).ok
True
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import check_mutant, deprecated_spelling
from dslib.replication.workloads import check_count, client_workloads
from dslib.sim.clients import Client, Reply, Request
from dslib.sim.nemesis import Heal, Nemesis, Partition
from dslib.sim.network import Network
from dslib.sim.simulator import Simulation

__all__ = [
    "MUTANTS",
    "Ack",
    "ChainMaster",
    "ChainPing",
    "ChainPong",
    "ChainServer",
    "ChainServerState",
    "Config",
    "MasterState",
    "Update",
    "chain_system",
    "lease_scenario",
]

MUTANTS: dict[str, str] = {
    "no_lease": "the tail answers reads without a lease from the master, so a tail cut off "
    "by a partition (and removed by the master) goes on serving stale values",
}
"""The broken versions of ``ChainServer`` (``mutant=`` name -> what is wrong)."""


def _lease_and_mutant(owner: str, lease: float, mutant: str | None) -> tuple[float, str | None]:
    """Check ``lease`` and ``mutant``; turn the deprecated ``lease=math.inf`` (the old way to
    ask for a tail without a lease) into ``mutant="no_lease"``, with a warning."""
    mutant = check_mutant(owner, mutant, MUTANTS)
    if lease == math.inf:
        deprecated_spelling(f"{owner}(lease=math.inf)", f"{owner}(mutant='no_lease')", 4)
        return 10.0, "no_lease"
    if isinstance(lease, bool) or not isinstance(lease, (int, float)) or not 0 < lease < math.inf:
        raise ValueError(f"{owner}: lease={lease!r} must be a number > 0")
    return float(lease), mutant


@dataclass(frozen=True)
class Config:
    """The chain of configuration ``epoch``: head first, tail last.

    Examples
    --------
    >>> Config(2, ("s1", "s3"))
    Config(epoch=2, chain=('s1', 's3'))
    """

    epoch: int
    chain: tuple[str, ...]


@dataclass(frozen=True)
class ChainPing:
    """Server to master: I am alive, in ``epoch`` (0: none yet); ``sent_at``: my clock.

    Examples
    --------
    >>> ChainPing(1, 10.0)
    ChainPing(epoch=1, sent_at=10.0)
    """

    epoch: int
    sent_at: float


@dataclass(frozen=True)
class ChainPong:
    """Master to server: the configuration; ``sent_at`` echoes the ping's, for the lease.

    Examples
    --------
    >>> ChainPong(Config(1, ("s1", "s2")), 10.0).config.chain
    ('s1', 's2')
    """

    config: Config
    sent_at: float


@dataclass(frozen=True)
class Update:
    """A write passed down the chain: sequence number ``seq``, applied in order.

    Examples
    --------
    >>> from dslib.sim import Request
    >>> Update(1, 5, Request("c1", 3, "put", "x", 1)).seq
    5
    """

    epoch: int
    seq: int
    request: Request


@dataclass(frozen=True)
class Ack:
    """Passed up the chain: every write up to ``seq`` has reached the tail.

    Examples
    --------
    >>> Ack(2, 7)
    Ack(epoch=2, seq=7)
    """

    epoch: int
    seq: int


# == the master =================================================================================
@dataclass(frozen=True)
class MasterState:
    """The configuration, when each server last pinged, and which ones restarted.

    ``rebooted``: servers that pinged with epoch 0 after having pinged with a
    larger one: they lost their state.

    Examples
    --------
    >>> MasterState().epoch
    1
    """

    epoch: int = 1
    chain: tuple[str, ...] = ()
    last_ping: tuple[tuple[str, float, int], ...] = ()
    rebooted: frozenset[str] = frozenset()


class ChainMaster(Node[MasterState]):
    """Removes servers that stop pinging (or restarted) from the chain; never the last one.

    Parameters
    ----------
    servers : sequence of str
        The initial chain, head first.
    check_interval : float, default 5
    dead_time : float, default 15
        Silence after which a server is removed. Must exceed the servers' lease.

    Examples
    --------
    >>> ChainMaster(["s1", "s2", "s3"]).servers
    ('s1', 's2', 's3')
    """

    def __init__(
        self, servers: Sequence[str], check_interval: float = 5.0, dead_time: float = 15.0
    ) -> None:
        if isinstance(servers, str) or not servers:
            raise ValueError(f"ChainMaster: servers={servers!r} must be a list of node ids")
        self.servers = tuple(servers)
        self.check_interval = float(check_interval)
        self.dead_time = float(dead_time)

    def init(self, ctx: Context) -> MasterState:
        ctx.set_timer("check", self.check_interval)
        now = ctx.now
        return MasterState(1, self.servers, tuple((s, now, 0) for s in sorted(self.servers)))

    def on_message(self, ctx: Context, state: MasterState, src: str, msg: Any) -> MasterState:
        if not isinstance(msg, ChainPing):
            return state
        pings = {s: (t, e) for s, t, e in state.last_ping}
        if msg.epoch == 0 and pings.get(src, (0.0, 0))[1] > 0:
            state = replace(state, rebooted=state.rebooted | {src})
        pings[src] = (ctx.now, msg.epoch)
        state = replace(state, last_ping=tuple(sorted((s, t, e) for s, (t, e) in pings.items())))
        ctx.send(src, ChainPong(Config(state.epoch, state.chain), msg.sent_at))
        return state

    def on_timer(self, ctx: Context, state: MasterState, timer: Any) -> MasterState:
        ctx.set_timer("check", self.check_interval)
        pings = {s: (t, e) for s, t, e in state.last_ping}

        def alive(s: str) -> bool:
            t, _ = pings.get(s, (-1e18, 0))
            return s not in state.rebooted and ctx.now - t <= self.dead_time

        keep = tuple(s for s in state.chain if alive(s))
        if keep == state.chain or not keep:
            return state  # nothing changed, or no server left that has the data: wait
        config = Config(state.epoch + 1, keep)
        for s in keep:
            ctx.send(s, ChainPong(config, -1e18))  # tell them now (no lease in it)
        return replace(state, epoch=config.epoch, chain=keep)


# == the servers ================================================================================
@dataclass(frozen=True)
class ChainServerState:
    """A chain server's configuration, its copy of the store, and the writes in flight.

    Attributes
    ----------
    config : Config or None
        The latest configuration it accepted (``None`` before the first).
    data : tuple of (key, value)
    applied : tuple of (client, request_id, result)
        The last write applied per client (a retry is answered, not applied again).
    seq : int
        The sequence number of the last write applied.
    sent : tuple of Update
        Writes passed on and not yet acknowledged by the tail.
    lease_until : float
        Its own clock time until which it may answer reads as tail.

    Examples
    --------
    >>> ChainServerState(config=Config(1, ("s1", "s2", "s3"))).role("s2")
    ('s1', 's3')
    """

    config: Config | None = None
    data: tuple[tuple[Hashable, Any], ...] = ()
    applied: tuple[tuple[str, int, Any], ...] = ()
    seq: int = 0
    sent: tuple[Update, ...] = ()
    lease_until: float = -1e18

    def role(self, me: str) -> tuple[str | None, str | None]:
        """``(predecessor, successor)`` of ``me`` in the chain (``None`` at the ends)."""
        if self.config is None or me not in self.config.chain:
            return None, None
        chain = self.config.chain
        i = chain.index(me)
        return (chain[i - 1] if i > 0 else None, chain[i + 1] if i + 1 < len(chain) else None)

    def result_of(self, client: str, request_id: int) -> tuple[bool, Any]:
        """``(True, result)`` if the write was applied here."""
        for c, r, v in self.applied:
            if c == client and r == request_id:
                return True, v
        return False, None


def _apply(state: ChainServerState, update: Update) -> ChainServerState:
    req = update.request
    data = dict(state.data)
    data[req.key] = req.value
    applied = [a for a in state.applied if a[0] != req.client] + [
        (req.client, req.request_id, req.value)
    ]
    return replace(
        state,
        data=tuple(sorted(data.items(), key=lambda kv: repr(kv[0]))),
        applied=tuple(sorted(applied)),
        seq=update.seq,
    )


class ChainServer(Node[ChainServerState]):
    """A server of the chain: head, middle or tail, as the master's configuration says.

    Parameters
    ----------
    master : str, default "master"
    ping_interval : float, default 5
    lease : float, default 10
        How long a ping's answer lets the tail answer reads (less than the
        master's ``dead_time``). ``math.inf`` is the deprecated spelling of
        ``mutant="no_lease"`` (warns; removed in the next release).
    mutant : str or None, default None
        A broken version from ``MUTANTS``, or ``None``.

    Raises
    ------
    ValueError
        If ``lease`` is not a positive number, or ``mutant`` is not in ``MUTANTS``.

    Examples
    --------
    >>> ChainServer(lease=5.0).lease
    5.0
    >>> ChainServer(mutant="no_lease")
    ChainServer[no_lease]
    """

    def __init__(
        self,
        master: str = "master",
        ping_interval: float = 5.0,
        lease: float = 10.0,
        mutant: str | None = None,
    ) -> None:
        self.master = master
        self.ping_interval = float(ping_interval)
        self.lease, self.mutant = _lease_and_mutant("ChainServer", lease, mutant)

    def init(self, ctx: Context) -> ChainServerState:
        ctx.set_timer("ping", 0.0)
        return ChainServerState()

    # -- configuration ---------------------------------------------------------------------------
    def _adopt(self, ctx: Context, state: ChainServerState, config: Config) -> ChainServerState:
        if ctx.id not in config.chain:
            return replace(state, config=config, sent=())
        if state.config is None and config.epoch != 1:
            return state  # restarted with nothing: we cannot rejoin
        _, old_succ = state.role(ctx.id)
        state = replace(state, config=config)
        _, succ = state.role(ctx.id)
        if succ is None:
            # Now the tail: everything we passed on is complete.
            return self._complete(ctx, state, state.seq)
        if succ != old_succ:
            for update in state.sent:
                ctx.send(succ, replace(update, epoch=config.epoch))
        return replace(state, sent=tuple(replace(u, epoch=config.epoch) for u in state.sent))

    def _complete(self, ctx: Context, state: ChainServerState, seq: int) -> ChainServerState:
        """Writes up to ``seq`` reached the tail: answer (if tail), acknowledge upwards."""
        pred, succ = state.role(ctx.id)
        if succ is None:
            for u in state.sent:
                if u.seq <= seq:
                    ctx.send(u.request.client, Reply(u.request.request_id, True, u.request.value))
        if pred is not None and state.config is not None:
            ctx.send(pred, Ack(state.config.epoch, seq))
        return replace(state, sent=tuple(u for u in state.sent if u.seq > seq))

    # -- handlers --------------------------------------------------------------------------------
    def on_timer(self, ctx: Context, state: ChainServerState, timer: Any) -> ChainServerState:
        if timer != "ping":
            return state
        ctx.set_timer("ping", self.ping_interval)
        epoch = state.config.epoch if state.config is not None else 0
        ctx.send(self.master, ChainPing(epoch, ctx.now))
        _, succ = state.role(ctx.id)
        if succ is not None:
            for update in state.sent[:5]:
                ctx.send(succ, update)  # in case it was lost
        return state

    def on_message(self, ctx: Context, state: ChainServerState, src: str, msg: Any) -> Any:
        if isinstance(msg, ChainPong):
            if state.config is None or msg.config.epoch > state.config.epoch:
                state = self._adopt(ctx, state, msg.config)
            if state.config is not None and msg.config.epoch == state.config.epoch:
                state = replace(state, lease_until=max(state.lease_until, msg.sent_at + self.lease))
            return state
        if state.config is None or ctx.id not in state.config.chain:
            return state
        if isinstance(msg, Request):
            return self._request(ctx, state, msg)
        if isinstance(msg, Update) and msg.epoch == state.config.epoch:
            return self._update(ctx, state, msg)
        if isinstance(msg, Ack) and msg.epoch == state.config.epoch:
            return self._complete(ctx, state, msg.seq)
        return state

    def _request(self, ctx: Context, state: ChainServerState, req: Request) -> ChainServerState:
        assert state.config is not None
        chain = state.config.chain
        head, tail = chain[0], chain[-1]
        if req.f in ("get", "read"):
            if ctx.id != tail:
                ctx.send(tail, req)  # reads go to the tail
                return state
            leased = ctx.now < state.lease_until  # the tail answers only while it holds a lease
            if leased or self.mutant == "no_lease":  # mutant: answer without one
                ctx.send(req.client, Reply(req.request_id, True, dict(state.data).get(req.key)))
            return state
        if req.f not in ("put", "write"):
            ctx.send(req.client, Reply(req.request_id, False, f"unknown operation {req.f!r}"))
            return state
        if ctx.id != head:
            ctx.send(head, req)  # writes go to the head
            return state
        done, result = state.result_of(req.client, req.request_id)
        if done:
            if not any(u.request == req for u in state.sent):
                ctx.send(req.client, Reply(req.request_id, True, result))
            return state  # in the chain already: the tail will answer
        update = Update(state.config.epoch, state.seq + 1, req)
        state = _apply(state, update)
        if len(chain) == 1:
            ctx.send(req.client, Reply(req.request_id, True, req.value))
            return state
        ctx.send(chain[1], update)
        return replace(state, sent=(*state.sent, update))

    def _update(self, ctx: Context, state: ChainServerState, update: Update) -> Any:
        pred, succ = state.role(ctx.id)
        if update.seq <= state.seq:
            if succ is None and pred is not None:
                assert state.config is not None
                ctx.send(pred, Ack(state.config.epoch, state.seq))  # a resend: acknowledge again
            return state
        if update.seq != state.seq + 1:
            return state  # a gap: wait for the missing one (the predecessor resends)
        state = _apply(state, update)
        if succ is None:
            return self._complete(ctx, replace(state, sent=(*state.sent, update)), update.seq)
        ctx.send(succ, update)
        return replace(state, sent=(*state.sent, update))

    def __repr__(self) -> str:
        return "ChainServer" if self.mutant is None else f"ChainServer[{self.mutant}]"


def chain_system(
    servers: int = 3,
    clients: int = 2,
    workloads: Sequence[Sequence[Any]] | None = None,
    client_timeout: float = 20.0,
    retries: int = 8,
    think: float | tuple[float, float] = (0.0, 5.0),
    start: float = 10.0,
    lease: float = 10.0,
    mutant: str | None = None,
) -> System:
    """A chain: master ``master``, servers ``s1`` (head) ... ``sN`` (tail), clients ``c1``...

    Clients send every operation to ``s1`` first (any server forwards it
    where it belongs) and, after a timeout, to the next server. ``lease`` is
    the servers' lease; ``mutant`` (a name in ``MUTANTS``) runs every server as
    that broken version: ``"no_lease"`` is a tail that answers reads whatever
    happens, which a partition catches. ``lease=math.inf`` is the deprecated
    spelling of ``mutant="no_lease"``.

    Examples
    --------
    >>> chain_system(servers=2, clients=1)
    System(c1=Client(6 ops), master=ChainMaster, s1=ChainServer, s2=ChainServer)
    """
    from dslib.replication.primary_backup import default_kv_workloads

    lease, mutant = _lease_and_mutant("chain_system", lease, mutant)
    check_count("chain_system", "servers", servers)
    loads = client_workloads("chain_system", clients, workloads, default_kv_workloads)
    ids = [f"s{i}" for i in range(1, servers + 1)]
    nodes: dict[str, Node[Any]] = {"master": ChainMaster(ids)}
    for s in ids:
        nodes[s] = ChainServer(lease=lease, mutant=mutant)
    for i, load in enumerate(loads, start=1):
        nodes[f"c{i}"] = Client(
            ids, load, timeout=client_timeout, retries=retries, think=think, start=start
        )
    return System(nodes)


def lease_scenario(lease: float = 10.0, mutant: str | None = None) -> Simulation:
    """The run that shows why the tail needs a lease: a partition that isolates the tail.

    Chain ``s1 -> s2 -> s3``; client ``c1`` writes ``x`` = 1, 2, ... through
    any server; client ``c2`` reads ``x`` from ``s3`` only. At time 20 the
    network cuts ``{s3, c2}`` off from the rest. The master stops hearing
    ``s3`` and removes it: ``s2`` becomes the tail and ``c1``'s writes go on.
    With a lease, ``s3`` stops answering reads once its lease runs out, before
    the master removes it; the mutant ``"no_lease"`` goes on answering
    ``c2`` with the value it had: stale reads. (``lease=math.inf`` is the
    deprecated spelling of ``mutant="no_lease"``.)

    Returns the simulation, not yet run (run it to about 300).

    Examples
    --------
    >>> from dslib.consistency import KeyValue, check_linearizable
    >>> check_linearizable(lease_scenario().run(until=300.0).history, KeyValue()).ok
    True
    >>> sim = lease_scenario(mutant="no_lease").run(until=300.0)
    >>> check_linearizable(sim.history, KeyValue()).ok
    False
    """
    lease, mutant = _lease_and_mutant("lease_scenario", lease, mutant)
    writes = [("put", "x", v) for v in range(1, 8)]
    system = chain_system(
        clients=1, workloads=[writes], think=5.0, lease=lease, start=10.0, mutant=mutant
    )
    nodes = dict(system.nodes)
    reads = [("get", "x", None)] * 8
    nodes["c2"] = Client(["s3"], reads, timeout=10.0, retries=0, think=8.0, start=30.0)
    groups = (("c2", "s3"), ("c1", "master", "s1", "s2"))
    nemesis = Nemesis([(20.0, Partition(groups)), (150.0, Heal())])
    return Simulation(System(nodes), seed=0, network=Network(latency=1.0), nemesis=nemesis)
