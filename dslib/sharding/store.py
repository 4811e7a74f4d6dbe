"""A sharded key-value store whose shards migrate between groups while clients keep running.

The pieces, all nodes of the simulator:

- ``ShardController`` (``"ctrl"``, from ``dslib.sharding.controller``): the
  numbered configurations.
- ``ShardServer``: one node per replica group (``"g1"``, ``"g2"``, ...). Here a
  group is a *single node that persists its whole state* after every change:
  a crash loses no data, only availability, which keeps the migration
  protocol small enough to be right (the capstone, chapter 17, puts a Raft group
  behind each group id: ``dslib.capstone.shardkv``).
- ``ShardClient``: runs a workload of ``get``/``put``/``append`` operations,
  routes each to the group that serves its key's shard in the newest
  configuration it knows, and records the history that the linearizability
  checker judges.
- ``Admin``: a script of joins and leaves sent to the controller.

**The migration protocol.** Each server moves through the configurations one
at a time, in order. When it installs configuration ``n``, every shard it
serves in ``n - 1`` but not in ``n`` becomes *leaving*: it stops serving it
and sends its data (and the table of the last request of each client on that
shard, so that retries stay deduplicated) to the new owner, again and again,
until that owner acknowledges; then it drops it. Every shard it gains becomes
*pulling*: it serves it only once the data of configuration ``n`` arrives
(a shard that had no owner starts empty). A server asks for configuration
``n + 1`` only when no shard of ``n`` is still leaving or pulling. A server
that receives data for a configuration it has not reached yet ignores it
(the sender will send again); for an older configuration, or for one it has
already installed, it only acknowledges.

**Why it is linearizable.** A shard's data moves like a token: in each
configuration exactly one group may serve it, only after the previous owner
stopped serving it and sent everything it applied. So at any moment at most
one group serves each shard, and each group serves it from the complete
history of its operations. Clients retry with the same request id; the
per-shard table of the last request of each client (migrated with the
shard) answers a retry with the first answer instead of applying it twice.

``run_store`` builds and runs the whole system (with faults if asked) and
``check_store`` checks its history for linearizability with
``dslib.consistency.check_linearizable`` and its final state for "every shard
has exactly one home".

Examples
--------
>>> run = run_store(seed=1, clients=2, ops=10)
>>> [c.num for c in run.configs]
[0, 1, 2, 3, 4, 5, 6]
>>> check_store(run).ok
True
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from dslib.core import NOTHING_PERSISTED, Context, Node, System
from dslib.mutants import Mutant, Outcome
from dslib.sharding.controller import (
    AdminReply,
    Config,
    ConfigReply,
    ControllerState,
    Join,
    Leave,
    Query,
    ShardController,
    shard_of,
)
from dslib.sim.clients import Reply, Request, first_operation, next_operation
from dslib.sim.history import History
from dslib.sim.nemesis import Crash, Fault, Heal, Nemesis, Partition, Restart
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation
from dslib.testing.executors import Executor, check_executor, map_seeds

__all__ = [
    "CHURN_SCHEDULE",
    "DEFAULT_SCHEDULE",
    "STORE_MUTANTS",
    "Admin",
    "ServerState",
    "Shard",
    "ShardAck",
    "ShardClient",
    "ShardClientState",
    "ShardPush",
    "ShardServer",
    "StoreCheck",
    "StoreRun",
    "check_store",
    "linearizable_outcome",
    "one_home",
    "run_store",
    "serving_timeline",
    "settles",
    "store_checks",
    "store_faults",
    "store_mutants",
    "store_workload",
]

STORE_MUTANTS: dict[str, str] = {
    "serves_before_data": "the new owner serves a shard before its data arrives",
    "serves_while_leaving": "the old owner keeps serving a shard it is handing off",
    "forgets_on_crash": "a server does not persist its state: a crash loses its shards",
    "drops_dedup_table": "the shard's data moves without the table of clients' last requests",
}
"""Broken versions of the store, by name, with what is wrong."""


# -- messages and state --------------------------------------------------------------------
@dataclass(frozen=True)
class ShardPush:
    """A leaving owner sends shard ``shard``'s data for configuration ``num`` to its new owner.

    ``data`` is a sorted tuple of ``(key, value)``; ``last`` a sorted tuple of
    ``(client, request id, reply value)``: each client's last request on the shard.
    """

    num: int
    shard: int
    data: tuple[tuple[Any, Any], ...]
    last: tuple[tuple[str, int, Any], ...]


@dataclass(frozen=True)
class ShardAck:
    """The new owner has shard ``shard`` of configuration ``num``."""

    num: int
    shard: int


@dataclass(frozen=True)
class Shard:
    """One shard at one server.

    ``status`` is ``"serving"``, ``"pulling"`` (ours in the current
    configuration, data not yet here), ``"leaving"`` (not ours any more, data
    kept until the new owner acknowledges) or ``"absent"``.
    """

    status: str = "absent"
    data: tuple[tuple[Any, Any], ...] = ()
    last: tuple[tuple[str, int, Any], ...] = ()


@dataclass(frozen=True)
class ServerState:
    """A group server's state: its configuration and its shards (by shard number)."""

    config: Config
    shards: tuple[Shard, ...]

    def migrating(self) -> bool:
        """Whether some shard is still leaving or pulling."""
        return any(s.status in ("leaving", "pulling") for s in self.shards)

    def serving(self) -> tuple[int, ...]:
        """The shards this server serves now."""
        return tuple(i for i, s in enumerate(self.shards) if s.status == "serving")


def _set(shards: tuple[Shard, ...], i: int, shard: Shard) -> tuple[Shard, ...]:
    return (*shards[:i], shard, *shards[i + 1 :])


class ShardServer(Node[ServerState]):
    """The server of one replica group: serves its shards, migrates them between configurations.

    Parameters
    ----------
    shards : int
        The number of shards (the controller's).
    controller : str, default "ctrl"
    poll : float, default 5
        How often to ask the controller for the next configuration, and to
        resend the data of leaving shards.
    mutant : str, optional
        A broken version from ``STORE_MUTANTS``.

    Examples
    --------
    >>> server = ShardServer(shards=2)
    >>> ctx = Context("g1", ["g1", "ctrl", "c1"])
    >>> s = server.on_message(ctx, server.init(ctx), "ctrl",
    ...                       ConfigReply(Config(1, ("g1", "g1"), ("g1",))))
    >>> s.serving()
    (0, 1)
    >>> s = server.on_message(ctx, s, "c1", Request("c1", 1, "put", "k", "v"))
    >>> ctx.sent[-1]
    ('c1', Reply(request_id=1, ok=True, value=None))
    """

    def __init__(
        self,
        shards: int,
        controller: str = "ctrl",
        poll: float = 5.0,
        mutant: str | None = None,
    ) -> None:
        if not (isinstance(shards, int) and shards >= 1):
            raise ValueError(f"ShardServer: shards={shards!r} must be an int >= 1")
        if mutant is not None and mutant not in STORE_MUTANTS:
            raise ValueError(
                f"ShardServer: unknown mutant {mutant!r}; the mutants are {sorted(STORE_MUTANTS)}"
            )
        self.n_shards = shards
        self.controller = controller
        self.poll = poll
        self.mutant = mutant

    def init(self, ctx: Context) -> ServerState:
        ctx.set_timer("tick", 0.0)
        return ServerState(Config(0, (None,) * self.n_shards), (Shard(),) * self.n_shards)

    def on_recover(self, ctx: Context, durable: Any) -> ServerState:
        ctx.set_timer("tick", 0.0)
        if durable is NOTHING_PERSISTED:
            return ServerState(Config(0, (None,) * self.n_shards), (Shard(),) * self.n_shards)
        state: ServerState = durable
        return state

    def _save(self, ctx: Context, state: ServerState) -> ServerState:
        if self.mutant != "forgets_on_crash":
            ctx.persist(state)
        return state

    # -- timers: poll the controller, resend leaving shards --------------------------------
    def on_timer(self, ctx: Context, state: ServerState, timer: Any) -> ServerState:
        if timer == "tick":
            if not state.migrating():
                ctx.send(self.controller, Query(state.config.num + 1))
            self._push(ctx, state)
            ctx.set_timer("tick", self.poll)
        return state

    def _push(self, ctx: Context, state: ServerState) -> None:
        for i, shard in enumerate(state.shards):
            if shard.status == "leaving":
                owner = state.config.shards[i]
                if owner is not None:
                    ctx.send(owner, ShardPush(state.config.num, i, shard.data, shard.last))

    # -- messages ---------------------------------------------------------------------------
    def on_message(self, ctx: Context, state: ServerState, src: str, msg: Any) -> ServerState:
        if isinstance(msg, Request):
            return self._request(ctx, state, src, msg)
        if isinstance(msg, ConfigReply):
            return self._install(ctx, state, msg.config)
        if isinstance(msg, ShardPush):
            return self._receive(ctx, state, src, msg)
        if isinstance(msg, ShardAck):
            shard = state.shards[msg.shard]
            if msg.num == state.config.num and shard.status == "leaving":
                return self._save(
                    ctx, replace(state, shards=_set(state.shards, msg.shard, Shard()))
                )
        return state

    def _install(self, ctx: Context, state: ServerState, config: Config) -> ServerState:
        if config.num != state.config.num + 1 or state.migrating():
            return state  # not the next configuration, or the current one is not settled
        me = ctx.id
        shards = list(state.shards)
        for i, (old, new) in enumerate(zip(state.config.shards, config.shards, strict=True)):
            shard = shards[i]
            if old == me and new != me:
                if self.mutant != "serves_while_leaving":
                    shards[i] = replace(shard, status="leaving")
            elif old != me and new == me:
                if old is None or self.mutant == "serves_before_data":
                    shards[i] = Shard("serving")
                else:
                    shards[i] = Shard("pulling")
        new_state = ServerState(config, tuple(shards))
        if self.mutant == "serves_while_leaving":
            # The bug: push a snapshot now but keep serving until acknowledged.
            for i, (old, new) in enumerate(zip(state.config.shards, config.shards, strict=True)):
                if old == me and new != me and new is not None:
                    s = shards[i]
                    ctx.send(new, ShardPush(config.num, i, s.data, s.last))
            return self._save(ctx, new_state)
        self._push(ctx, new_state)
        return self._save(ctx, new_state)

    def _receive(self, ctx: Context, state: ServerState, src: str, msg: ShardPush) -> ServerState:
        if msg.num > state.config.num:
            return state  # from a configuration we have not reached: the sender will resend
        shard = state.shards[msg.shard]
        ctx.send(src, ShardAck(msg.num, msg.shard))
        if msg.num == state.config.num and shard.status == "pulling":
            last = () if self.mutant == "drops_dedup_table" else msg.last
            new = replace(
                state, shards=_set(state.shards, msg.shard, Shard("serving", msg.data, last))
            )
            return self._save(ctx, new)
        return state

    def _request(self, ctx: Context, state: ServerState, src: str, req: Request) -> ServerState:
        s = shard_of(req.key, self.n_shards)  # type: ignore[arg-type]
        shard = state.shards[s]
        serves = shard.status == "serving" or (
            self.mutant == "serves_while_leaving" and shard.status == "leaving"
        )
        if not serves:
            ctx.send(src, Reply(req.request_id, False, "wrong group"))
            return state
        for client, request_id, value in shard.last:
            if client == req.client:
                if req.request_id == request_id:
                    ctx.send(src, Reply(req.request_id, True, value))  # a retry: same answer
                    return state
                if req.request_id < request_id:
                    return state  # an old copy; its client has moved on
                break
        data = dict(shard.data)
        result: Any = None
        if req.f == "get":
            result = data.get(req.key)
        elif req.f == "put":
            data[req.key] = req.value
        elif req.f == "append":
            old = data.get(req.key)
            data[req.key] = req.value if old is None else old + req.value
        else:
            ctx.send(src, Reply(req.request_id, False, f"unknown operation {req.f!r}"))
            return state
        last = tuple(
            sorted(
                (
                    *(e for e in shard.last if e[0] != req.client),
                    (req.client, req.request_id, result),
                )
            )
        )
        new_shard = replace(shard, data=tuple(sorted(data.items())), last=last)
        ctx.send(src, Reply(req.request_id, True, result))
        return self._save(ctx, replace(state, shards=_set(state.shards, s, new_shard)))

    def __repr__(self) -> str:
        return "ShardServer" + (f"[{self.mutant}]" if self.mutant else "")


# -- the client ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ShardClientState:
    """Where a client is: its next operation, the id of the one in flight, its config."""

    config: Config
    next_op: int = 0
    request_id: int = 0
    waiting: bool = False


class ShardClient(Node[ShardClientState]):
    """A client of the sharded store: one operation at a time, routed by the newest
    configuration it knows.

    Each operation is recorded (``invoke``, then ``ok``) and sent to the group
    that serves its key's shard. A "wrong group" answer, or no answer within
    ``timeout``, makes it ask the controller for the latest configuration and
    send the same request (same id) again. It never gives up: an operation
    still open at the end of the run counts as possibly applied (``info``).

    Parameters
    ----------
    workload : sequence of (f, key, value)
        ``("get", key, None)``, ``("put", key, value)``, ``("append", key, value)``.
    shards : int
    controller : str, default "ctrl"
    timeout : float, default 10
    think : float or (float, float), default (1, 6)
        Pause between one operation's completion and the next.
    start : float, default 0
    """

    def __init__(
        self,
        workload: Sequence[tuple[str, Hashable, Any]],
        shards: int,
        controller: str = "ctrl",
        timeout: float = 10.0,
        think: float | tuple[float, float] = (1.0, 6.0),
        start: float = 0.0,
    ) -> None:
        for i, op in enumerate(workload):
            if not (isinstance(op, tuple) and len(op) == 3 and op[0] in ("get", "put", "append")):
                raise ValueError(
                    f"ShardClient: operation {i} is {op!r}; an operation is (f, key, value) with "
                    "f one of 'get', 'put', 'append'"
                )
        self.workload = tuple(workload)
        self.n_shards = shards
        self.controller = controller
        self.timeout = timeout
        self.think = think
        self.start = start

    def init(self, ctx: Context) -> ShardClientState:
        first_operation(ctx, len(self.workload), self.start)
        ctx.send(self.controller, Query(-1))
        return ShardClientState(Config(0, (None,) * self.n_shards))

    def _send(self, ctx: Context, state: ShardClientState) -> None:
        f, key, value = self.workload[state.next_op]
        owner = state.config.owner(shard_of(key, self.n_shards))  # type: ignore[arg-type]
        if owner is not None:
            ctx.send(owner, Request(ctx.id, state.request_id, f, key, value))
        ctx.set_timer(("retry", state.request_id), self.timeout)

    def on_timer(self, ctx: Context, state: ShardClientState, timer: Any) -> ShardClientState:
        if timer == "next":
            f, key, value = self.workload[state.next_op]
            ctx.record("invoke", f, value, key)
            state = replace(state, request_id=state.request_id + 1, waiting=True)
            self._send(ctx, state)
            return state
        if timer == ("retry", state.request_id) and state.waiting:
            ctx.send(self.controller, Query(-1))
            self._send(ctx, state)
        return state

    def on_message(
        self, ctx: Context, state: ShardClientState, src: str, msg: Any
    ) -> ShardClientState:
        if isinstance(msg, ConfigReply):
            if msg.config.num <= state.config.num:
                return state
            state = replace(state, config=msg.config)
            if state.waiting:
                self._send(ctx, state)  # try the new owner at once
            return state
        if not (isinstance(msg, Reply) and state.waiting and msg.request_id == state.request_id):
            return state
        if not msg.ok:
            ctx.send(self.controller, Query(-1))  # wrong group: ask who serves it now
            ctx.set_timer(("retry", state.request_id), 1.0)
            return state
        f, key, _value = self.workload[state.next_op]
        ctx.record("ok", f, msg.value, key)
        ctx.cancel_timer(("retry", state.request_id))
        return next_operation(ctx, state, len(self.workload), self.think)

    def __repr__(self) -> str:
        return f"ShardClient({len(self.workload)} ops)"


# -- the admin -----------------------------------------------------------------------------
class Admin(Node[int]):
    """Sends a script of joins and leaves to the controller, in order, each at its time or
    when the previous one is acknowledged, whichever is later; retries until acknowledged.
    Its state counts the commands acknowledged.

    Parameters
    ----------
    schedule : sequence of (float, str, str)
        ``(time, "join" or "leave", group)``.
    controller : str, default "ctrl"
    timeout : float, default 10
    """

    def __init__(
        self,
        schedule: Sequence[tuple[float, str, str]],
        controller: str = "ctrl",
        timeout: float = 10.0,
    ) -> None:
        for i, step in enumerate(schedule):
            if not (isinstance(step, tuple) and len(step) == 3 and step[1] in ("join", "leave")):
                raise ValueError(
                    f"Admin: step {i} is {step!r}; a step is (time, 'join' or 'leave', group)"
                )
        self.schedule = tuple(schedule)
        self.controller = controller
        self.timeout = timeout

    def init(self, ctx: Context) -> int:
        if self.schedule:
            ctx.set_timer(("send", 0), self.schedule[0][0])
        return 0

    def _command(self, i: int) -> Join | Leave:
        _, what, group = self.schedule[i]
        return Join(i + 1, group) if what == "join" else Leave(i + 1, group)

    def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
        if timer == ("send", state):
            ctx.send(self.controller, self._command(state))
            ctx.set_timer(("send", state), self.timeout)
        return state

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        if isinstance(msg, AdminReply) and msg.request_id == state + 1:
            ctx.cancel_timer(("send", state))
            state += 1
            if state < len(self.schedule):
                ctx.set_timer(("send", state), max(0.0, self.schedule[state][0] - ctx.now))
        return state


# -- running and checking ------------------------------------------------------------------
DEFAULT_SCHEDULE: tuple[tuple[float, str, str], ...] = (
    (0.0, "join", "g1"),
    (40.0, "join", "g2"),
    (80.0, "join", "g3"),
    (130.0, "leave", "g1"),
    (180.0, "join", "g1"),
    (230.0, "leave", "g2"),
)
"""Joins and leaves while the clients run: six configurations after the empty one."""

CHURN_SCHEDULE: tuple[tuple[float, str, str], ...] = (
    (0.0, "join", "g1"),
    (30.0, "join", "g2"),
    (60.0, "join", "g3"),
    (90.0, "leave", "g1"),
    (120.0, "join", "g1"),
    (150.0, "leave", "g2"),
    (180.0, "join", "g2"),
    (210.0, "leave", "g3"),
    (240.0, "join", "g3"),
    (270.0, "leave", "g1"),
)
"""A busier schedule: a configuration every 30 time units."""


def store_workload(
    seed: int, client: int, ops: int, keys: Sequence[str]
) -> list[tuple[str, str, Any]]:
    """A seeded workload: gets, puts and appends on ``keys``; every value written is unique
    (``"c1.4"``: client 1's fourth operation), so a lost or doubled write shows in a read.

    >>> store_workload(1, 1, 5, ["a", "b"])
    [('get', 'b', None), ('get', 'b', None), ('append', 'a', 'c1.3;'), ('get', 'b', None), \
('append', 'a', 'c1.5;')]
    """
    rng = random.Random(f"store-workload:{seed}:{client}")
    out: list[tuple[str, str, Any]] = []
    for i in range(1, ops + 1):
        f = rng.choices(("get", "put", "append"), (4, 1, 3))[0]
        key = keys[rng.randrange(len(keys))]
        out.append((f, key, None if f == "get" else f"c{client}.{i};"))
    return out


@dataclass(frozen=True)
class StoreRun:
    """A finished run of the sharded store.

    Attributes
    ----------
    simulation : Simulation
    history : History
        The clients' operations (the auditor's final reads included).
    configs : tuple of Config
        The controller's configurations at the end.
    groups : tuple of str
    keys : tuple of str
    """

    simulation: Simulation
    history: History
    configs: tuple[Config, ...]
    groups: tuple[str, ...]
    keys: tuple[str, ...]


def run_store(
    seed: int = 0,
    clients: int = 3,
    ops: int = 25,
    keys: int = 6,
    shards: int = 8,
    groups: Sequence[str] = ("g1", "g2", "g3"),
    schedule: Sequence[tuple[float, str, str]] = DEFAULT_SCHEDULE,
    faults: Sequence[tuple[float, Fault]] = (),
    loss: float = 0.0,
    duplication: float = 0.0,
    mutant: str | None = None,
    think: tuple[float, float] = (4.0, 16.0),
    until: float = 600.0,
) -> StoreRun:
    """Build the store, run the clients while groups join and leave, then audit every key.

    An ``auditor`` client reads every key at time ``until - 120`` (when the
    migrations of the schedule are long over), so that a key lost in a
    migration shows up in the history even if no other client read it later.

    Parameters
    ----------
    seed : int
    clients, ops, keys, shards : int
        Clients, operations per client, distinct keys, shards.
    groups : sequence of str
        The group servers to create (the schedule decides when they join).
    schedule : sequence of (time, "join"/"leave", group)
    faults : sequence of (time, Fault)
        Crashes, restarts, partitions... (``dslib.sim`` faults).
    loss, duplication : float
        Network loss and duplication probabilities.
    mutant : str, optional
        Run broken servers from ``STORE_MUTANTS``.
    think : (float, float), default (4, 16)
        The clients' pause between operations (so that they run through the schedule).
    until : float, default 600

    Examples
    --------
    >>> run = run_store(seed=2, clients=1, ops=5, schedule=[(0.0, "join", "g1")])
    >>> for op in run.history.operations()[:2]:
    ...     print(op)
    c1 append['key1']('c1.1;') -> ok None  [0.0, 14.8]
    c1 get['key5'](None) -> ok None  [27.2, 29.8]
    """
    key_names = tuple(f"key{i}" for i in range(keys))
    nodes: dict[str, Node[Any]] = {
        "ctrl": ShardController(shards),
        "admin": Admin(schedule),
    }
    for g in groups:
        nodes[g] = ShardServer(shards, mutant=mutant)
    for c in range(1, clients + 1):
        nodes[f"c{c}"] = ShardClient(store_workload(seed, c, ops, key_names), shards, think=think)
    audit = [("get", k, None) for k in key_names]
    nodes["auditor"] = ShardClient(audit, shards, start=until - 120.0, think=0.0)
    network = Network(latency=uniform(0.5, 2.0), loss=loss, duplication=duplication)
    sim = Simulation(System(nodes), seed=seed, network=network, nemesis=Nemesis(list(faults)))
    sim.run(until=until)
    ctrl = sim.states.get("ctrl")
    configs = ctrl.configs if isinstance(ctrl, ControllerState) else ()
    return StoreRun(sim, sim.history, configs, tuple(groups), key_names)


def one_home(run: StoreRun) -> Outcome:
    """At the end, every shard is served by exactly the group the latest configuration names,
    and held by no other group (no shard lost, none served twice).

    >>> one_home(run_store(seed=3, clients=1, ops=5)).ok
    True
    """
    sim = run.simulation
    if not run.configs:
        return Outcome(False, detail="the controller is down at the end")
    latest = run.configs[-1]
    problems = []
    for i, owner in enumerate(latest.shards):
        holders = [
            g
            for g in run.groups
            if isinstance(sim.states.get(g), ServerState)
            and sim.states[g].shards[i].status != "absent"
        ]
        serving = [g for g in holders if sim.states[g].shards[i].status == "serving"]
        if serving != [owner] or holders != [owner]:
            problems.append(f"shard {i}: owner {owner}, held by {holders}, served by {serving}")
    return Outcome(not problems, len(problems) or None, "; ".join(problems))


def serving_timeline(run: StoreRun) -> dict[str, list[tuple[float, int]]]:
    """How many shards each group served over time: ``(time, count)`` at every change.

    >>> timeline = serving_timeline(run_store(seed=1, clients=1, ops=3))
    >>> timeline["g1"][:3]
    [(0.0, 0), (6.361895919149547, 8), (47.62115977537597, 4)]
    """
    out: dict[str, list[tuple[float, int]]] = {g: [] for g in run.groups}
    for e in run.simulation.trace.of_kind("init", "state", "restart", "crash"):
        if e.node not in out:
            continue
        if e.kind == "crash":
            count = 0
        elif isinstance(e.data, ServerState):
            count = len(e.data.serving())
        else:
            continue
        series = out[str(e.node)]
        if not series or series[-1][1] != count:
            series.append((e.time, count))
    return out


@dataclass(frozen=True)
class StoreCheck:
    """The verdict on one run: linearizability and one home per shard.

    ``ok`` is true when both hold; ``counterexample_length`` is the number of
    operations in the minimal non-linearizable set (for the mutant table).
    """

    linearizable: Any
    home: Outcome
    explanation: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        """Both checks passed."""
        return bool(self.linearizable.ok) and self.home.ok

    @property
    def counterexample_length(self) -> int | None:
        """The size of the minimal violation, if any."""
        if not self.linearizable.ok:
            return len(self.linearizable.minimal) or None
        return self.home.counterexample_length


def check_store(run: StoreRun, time_limit: float = 30.0) -> StoreCheck:
    """Check a run: its history is linearizable (``KeyValue`` model, per key) and every
    shard has one home at the end.

    >>> check_store(run_store(seed=4, clients=2, ops=8)).ok
    True
    """
    from dslib.consistency import KeyValue, check_linearizable

    lin = check_linearizable(run.history, KeyValue(), time_limit=time_limit)
    explanation = "" if lin.ok else lin.explain()
    return StoreCheck(lin, one_home(run), explanation)


# -- the checks of chapter 13 and the mutants they catch ----------------------------------------
def store_faults(
    seed: int, groups: Sequence[str] = ("g1", "g2", "g3"), clients: int = 3, end: float = 350.0
) -> list[tuple[float, Fault]]:
    """A seeded fault schedule: crash and restart a group or the controller (10 to 40 time
    units), or cut one off from everyone else, again and again; no fault starts after ``end``.

    >>> store_faults(1)[:2]
    [(20.0, Crash(node='g1')), (37.79742297909066, Restart(node='g1'))]
    """
    rng = random.Random(f"store-faults:{seed}")
    out: list[tuple[float, Fault]] = []
    t = 20.0
    while t < end:
        victim = rng.choice([*groups, "ctrl"])
        kind = rng.choice(("crash", "crash", "partition"))
        length = rng.uniform(10.0, 40.0)
        if kind == "crash":
            out += [(t, Crash(victim)), (t + length, Restart(victim))]
        else:
            others = tuple(
                sorted(
                    n
                    for n in ("ctrl", "admin", *groups, "c1", "c2", "c3", "auditor")
                    if n != victim
                )
            )
            out += [(t, Partition(((victim,), others))), (t + length, Heal())]
        t += length + rng.uniform(15.0, 50.0)
    return out


def _faulty_run(seed: int, mutant: str | None) -> StoreRun:
    return run_store(
        seed=seed,
        mutant=mutant,
        schedule=CHURN_SCHEDULE,
        faults=store_faults(seed),
        loss=0.2,
        duplication=0.1,
    )


def linearizable_outcome(run: StoreRun) -> Outcome:
    """The linearizability verdict of a run as an ``Outcome`` whose counterexample length is
    the size of the minimal set of operations that cannot be ordered.

    >>> linearizable_outcome(run_store(seed=1, clients=1, ops=4))
    Outcome(ok=True, counterexample_length=None, detail='')
    """
    from dslib.consistency import KeyValue, check_linearizable

    result = check_linearizable(run.history, KeyValue(), time_limit=30.0)
    if result.ok:
        return Outcome(True)
    return Outcome(False, len(result.minimal) or None, result.explain())


def settles(run: StoreRun) -> Outcome:
    """Once the faults are over, every operation completes (except those invoked in the last
    100 time units of the run, which may still be retrying) and every shard has one home.

    >>> settles(_faulty_run(1, None)).ok
    True
    """
    # An operation invoked in the last 100 time units may still be retrying: not a problem.
    cutoff = run.simulation.now - 100.0
    open_ops = [
        op for op in run.history.operations() if op.status != "ok" and op.invoke_time < cutoff
    ]
    home = one_home(run)
    problems = [f"{len(open_ops)} operations never completed"] if open_ops else []
    if not home.ok:
        problems.append(home.detail)
    return Outcome(
        not problems,
        (len(open_ops) + (home.counterexample_length or 0)) or None,
        "; ".join(problems),
    )


def store_checks(seeds: Sequence[int] = (1, 2, 3), *, executor: Executor = None) -> dict[str, Any]:
    """The checks of the store, by name; each takes a mutant name (``None``: correct) and runs
    the store on ``seeds``, stopping at the first run that fails.

    - ``"linearizable, migrations"``: the default schedule, no faults;
    - ``"linearizable, faults"``: ``CHURN_SCHEDULE``, crashes, restarts and partitions of
      the groups and the controller (``store_faults``), 20% loss and 10% duplication;
    - ``"settles after faults"``: in those same runs, once the faults are over, every
      operation completes and every shard is held and served by its owner only.

    Parameters
    ----------
    seeds : sequence of int, default (1, 2, 3)
        One run per seed, in this order.
    executor : None, int, dask.distributed.Client or concurrent.futures.Executor
        Who runs the seeds (``dslib.testing.executors.map_seeds``): ``None``
        here, ``n`` local processes, or the workers of a Dask cluster. The
        outcomes are the same whichever runs them.

    Returns
    -------
    dict
        Check name to a function of a mutant name returning an ``Outcome``: the
        first failing run's (its detail explains it), else the last run's.

    Raises
    ------
    TypeError
        If a seed is not an int, or ``executor`` is of a type that cannot run seeds.
    ValueError
        If ``executor`` is an int below 1.

    Examples
    --------
    >>> checks = store_checks(seeds=[1])
    >>> sorted(checks)
    ['linearizable, faults', 'linearizable, migrations', 'settles after faults']
    >>> checks["settles after faults"](None)
    Outcome(ok=True, counterexample_length=None, detail='')
    """
    chosen = list(seeds)
    for seed in chosen:
        if not (isinstance(seed, int) and not isinstance(seed, bool)):
            raise TypeError(f"store_checks: seed {seed!r} is not an int")
    check_executor(executor, "store_checks")

    def first_failure(
        judge: Callable[[StoreRun], Outcome], faulty: bool
    ) -> Callable[[str | None], Outcome]:
        def check(mutant: str | None) -> Outcome:
            task = partial(_judged_run, judge, faulty, mutant)
            outcomes = map_seeds(
                task, chosen, executor, stop=lambda out: not out.ok, owner="store_checks"
            )
            return outcomes[-1] if outcomes else Outcome(True)

        return check

    return {
        "linearizable, migrations": first_failure(linearizable_outcome, faulty=False),
        "linearizable, faults": first_failure(linearizable_outcome, faulty=True),
        "settles after faults": first_failure(settles, faulty=True),
    }


def _judged_run(
    judge: Callable[[StoreRun], Outcome], faulty: bool, mutant: str | None, seed: int
) -> Outcome:
    """One seed of a check of ``store_checks`` (a ``map_seeds`` task): run, then judge."""
    run = _faulty_run(seed, mutant) if faulty else run_store(seed=seed, mutant=mutant)
    return judge(run)


def store_mutants() -> list[Mutant[str | None]]:
    """The broken stores of ``STORE_MUTANTS`` with the checks that must catch each.

    >>> [m.name for m in store_mutants()]
    ['serves_before_data', 'serves_while_leaving', 'forgets_on_crash', 'drops_dedup_table']
    """
    caught = {
        "serves_before_data": ("linearizable, migrations",),
        "serves_while_leaving": ("linearizable, migrations", "settles after faults"),
        "forgets_on_crash": ("settles after faults",),
        "drops_dedup_table": ("linearizable, faults",),
    }
    return [Mutant(name, bug, _constant(name), caught[name]) for name, bug in STORE_MUTANTS.items()]


def _constant(name: str | None) -> Any:
    return lambda: name
