"""A replicated key-value store on Raft, and clients that retry across leaders.

The store is a ``StateMachine`` (``KVMachine``): ``get``, ``put``, ``append``
and ``cas`` on keys. Raft replicates the commands; the servers' client
sessions make a retried command take effect once; ``get`` is served with a
read index, not through the log (``dslib.raft.core``).

A ``RaftClient`` runs a workload, one operation at a time. It sends each to
the leader it knows (at first, the first server), follows a "not the leader,
try X" answer, tries the next server on a timeout, and keeps the same sequence
number for every retry of one operation. It records what it saw in the run's
``History``; an operation it gave up on is ``info`` (it may have taken effect).

``run_kv`` runs a cluster with clients under a nemesis, heals everything, lets
the cluster settle, and judges the run twice over: the history is checked for
linearizability (``dslib.consistency``), and the final state is checked for
*lost* and *doubled* writes: every acknowledged ``append`` must be in the final
value exactly once, every unacknowledged one at most once.

Examples
--------
>>> run = run_kv(seed=1, servers=3, clients=2, ops=10)
>>> run.verdict, run.ops["ok"], run.lost, run.doubled
('ok', 20, (), ())
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.consistency import ConsistencyResult, KeyValue, check_linearizable
from dslib.core import Context, Node, System, stable_repr
from dslib.raft.core import (
    RULE_INVARIANTS,
    SAFETY_PROPERTIES,
    ClientReply,
    ClientRequest,
    RaftConfig,
    RaftNode,
    StateMachine,
    StepMonitor,
    _node_states,
    leaders,
)
from dslib.sim import Nemesis, Network, RandomNemesis, Simulation, uniform
from dslib.sim.clients import check_servers, first_operation, next_operation
from dslib.sim.history import History
from dslib.sim.nemesis import ClockSkew, Cut, NetworkChange, Partition

__all__ = [
    "APPEND_KEYS",
    "REGISTER_KEYS",
    "KVMachine",
    "KVRun",
    "RaftClient",
    "RaftClientState",
    "appended_elements",
    "count_faults",
    "kv_system",
    "kv_workload",
    "run_kv",
]

KVState = tuple[tuple[Hashable, Hashable], ...]
"""The store: ``(key, value)`` pairs sorted by key; a missing key reads as None."""


def _sort_key(pair: tuple[Hashable, Hashable]) -> str:
    return stable_repr(pair[0])


class KVMachine(StateMachine):
    """A key-value map: the state machine of the replicated store.

    Operations are tuples ``(f, key, value)``:

    - ``("get", k, None)`` returns the value of ``k`` (None if never written);
    - ``("put", k, v)`` sets it and returns None;
    - ``("append", k, t)`` concatenates the tuple or string ``t`` (to nothing if unset);
    - ``("cas", k, (old, new))`` sets ``new`` if ``k`` holds ``old``; returns whether it did.

    Raises
    ------
    ValueError
        For an operation that is not one of these (the server applies it, so a
        bad operation must fail loudly before it is in the log: ``check_op``).

    Examples
    --------
    >>> m = KVMachine()
    >>> s, _ = m.apply(m.initial(), ("put", "x", 1))
    >>> s, ok = m.apply(s, ("cas", "x", (1, 2)))
    >>> s, _ = m.apply(s, ("append", "log", ("a",)))
    >>> ok, m.read(s, ("get", "x", None)), m.read(s, ("get", "log", None))
    (True, 2, ('a',))
    >>> m.apply(s, ("incr", "x", 1))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: KVMachine: ('incr', 'x', 1) is not an operation; use ('get', key, None), ...
    """

    FS = ("get", "put", "append", "cas")

    def initial(self) -> KVState:
        return ()

    def check_op(self, op: Any) -> tuple[str, Hashable, Any]:
        """``op`` as ``(f, key, value)``, or ValueError saying what is allowed."""
        ok = isinstance(op, tuple) and len(op) == 3 and op[0] in self.FS
        if ok and op[0] == "cas":
            ok = isinstance(op[2], tuple) and len(op[2]) == 2
        if ok and op[0] == "append":
            ok = isinstance(op[2], (tuple, str))
        if not ok:
            raise ValueError(
                f"KVMachine: {op!r} is not an operation; use ('get', key, None), "
                "('put', key, value), ('append', key, tuple_or_str) or ('cas', key, (old, new))"
            )
        return op

    def apply(self, state: Any, op: Any) -> tuple[KVState, Hashable]:
        f, key, value = self.check_op(op)
        current = _lookup(state, key)
        if f == "get":
            return state, current
        if f == "put":
            return _assign(state, key, value), None
        if f == "append":
            return _assign(state, key, value if current is None else current + value), None
        old, new = value
        if current != old:
            return state, False
        return _assign(state, key, new), True

    def read_only(self, op: Any) -> bool:
        return isinstance(op, tuple) and bool(op) and op[0] == "get"

    def read(self, state: Any, op: Any) -> Hashable:
        _f, key, _v = self.check_op(op)
        return _lookup(state, key)


def _lookup(state: KVState, key: Hashable) -> Hashable:
    for k, v in state:
        if k == key:
            return v
    return None


def _assign(state: KVState, key: Hashable, value: Hashable) -> KVState:
    return tuple(sorted([(k, v) for k, v in state if k != key] + [(key, value)], key=_sort_key))


# -- clients -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RaftClientState:
    """Where a client is: its next operation, the sequence number, whom it will ask."""

    next_op: int = 0
    seq: int = 0
    leader: str | None = None
    target: int = 0
    waiting: bool = False
    invoked_at: float = 0.0
    attempts: int = 0


class RaftClient(Node[RaftClientState]):
    """A client of a Raft cluster: finds the leader, retries, records a history.

    Parameters
    ----------
    servers : sequence of str
        The cluster's servers; the first is asked first.
    workload : sequence of (f, key, value)
        The operations, in order (``KVMachine``'s format).
    timeout : float, default 100
        How long to wait for an answer before asking the next server.
    retry_delay : float, default 10
        How long to wait after a "not the leader" answer.
    give_up : float, default 2000
        After this long without an answer the operation is recorded as
        ``info`` and the client moves on (a give-up is never ``fail``: an
        earlier attempt may have been committed).
    think : float, default 0
        Delay between one operation's completion and the next invocation.
    start : float, default 0
        When the first operation is invoked.

    Examples
    --------
    >>> RaftClient(["s1", "s2"], [("put", "x", 1)])
    RaftClient(1 ops)
    """

    def __init__(
        self,
        servers: Sequence[str],
        workload: Sequence[tuple[str, Hashable, Any]],
        timeout: float = 100.0,
        retry_delay: float = 10.0,
        give_up: float = 2000.0,
        think: float = 0.0,
        start: float = 0.0,
    ) -> None:
        if isinstance(servers, str) or not servers:
            raise ValueError(f"RaftClient: servers={servers!r}; give a non-empty list of ids")
        machine = KVMachine()
        self.workload = tuple(machine.check_op(op) for op in workload)
        for name, v in (("timeout", timeout), ("retry_delay", retry_delay), ("give_up", give_up)):
            if not (isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0):
                raise ValueError(f"RaftClient: {name}={v!r} must be a number > 0")
        for name, v in (("think", think), ("start", start)):
            if not (isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0):
                raise ValueError(f"RaftClient: {name}={v!r} must be a number >= 0")
        self.servers = tuple(servers)
        self.timeout = float(timeout)
        self.retry_delay = float(retry_delay)
        self.give_up = float(give_up)
        self.think = float(think)
        self.start = float(start)

    def __repr__(self) -> str:
        return f"RaftClient({len(self.workload)} ops)"

    def init(self, ctx: Context) -> RaftClientState:
        check_servers(ctx, self.servers, "RaftClient")
        first_operation(ctx, len(self.workload), self.start)
        return RaftClientState()

    def _send(self, ctx: Context, state: RaftClientState) -> RaftClientState:
        dst = state.leader or self.servers[state.target % len(self.servers)]
        ctx.send(dst, ClientRequest(ctx.id, state.seq, self.workload[state.next_op]))
        ctx.set_timer("timeout", self.timeout)
        return replace(state, attempts=state.attempts + 1)

    def _retry(self, ctx: Context, state: RaftClientState) -> RaftClientState:
        if ctx.now - state.invoked_at >= self.give_up:
            f, key, _value = self.workload[state.next_op]
            ctx.record("info", f, None, key)
            return self._next(ctx, state)
        return self._send(ctx, state)

    def _next(self, ctx: Context, state: RaftClientState) -> RaftClientState:
        ctx.cancel_timer("timeout")
        ctx.cancel_timer("retry")
        return next_operation(ctx, state, len(self.workload), self.think)

    def on_timer(self, ctx: Context, state: RaftClientState, timer: Any) -> RaftClientState:
        if timer == "next":
            f, key, value = self.workload[state.next_op]
            ctx.record("invoke", f, value, key)
            state = replace(state, seq=state.seq + 1, waiting=True, invoked_at=ctx.now, attempts=0)
            return self._send(ctx, state)
        if not state.waiting:
            return state
        if timer == "timeout":  # no answer: that server may be down; try the next one
            state = replace(state, leader=None, target=state.target + 1)
            return self._retry(ctx, state)
        if timer == "retry":
            return self._retry(ctx, state)
        return state

    def on_message(
        self, ctx: Context, state: RaftClientState, src: str, msg: Any
    ) -> RaftClientState:
        if not isinstance(msg, ClientReply) or not state.waiting or msg.seq != state.seq:
            return state  # late, duplicated, or for an operation already finished
        if msg.ok:
            f, key, _value = self.workload[state.next_op]
            ctx.record("ok", f, msg.result, key)
            return self._next(ctx, replace(state, leader=src))
        # Not the leader: go where it points, or to the next server, after a pause.
        leader = msg.leader if msg.leader not in (None, src) else None
        target = state.target if leader else state.target + 1
        ctx.cancel_timer("timeout")
        ctx.set_timer("retry", self.retry_delay)
        return replace(state, leader=leader, target=target)


# -- workloads and systems -----------------------------------------------------------------
APPEND_KEYS = ("a", "b")
"""Keys that only receive appends (and gets): each append adds a unique element,
so the final value shows every write that was lost or applied twice."""
REGISTER_KEYS = ("x", "y")
"""Keys that receive puts, cas and gets."""


def kv_workload(
    seed: int,
    n: int,
    client: str = "c1",
    append_keys: Sequence[Hashable] = APPEND_KEYS,
    register_keys: Sequence[Hashable] = REGISTER_KEYS,
    values: int = 3,
) -> list[tuple[str, Hashable, Any]]:
    """A seeded workload of ``n`` operations for ``client``.

    A third are appends of a unique element ``(client, i)`` to an append key,
    a third gets, and a third puts or cas (of small values, so a cas often
    matches) on a register key.

    Examples
    --------
    >>> kv_workload(3, 4)
    [('get', 'a', None), ('get', 'a', None), ('append', 'b', (('c1', 2),)), ('put', 'y', 2)]
    """
    if not (isinstance(n, int) and n >= 0):
        raise ValueError(f"kv_workload: n={n!r} must be an int >= 0")
    rng = random.Random(f"kv-{seed}-{client}")
    ops: list[tuple[str, Hashable, Any]] = []
    for i in range(n):
        kind = rng.randrange(3)
        if kind == 0:
            ops.append(("append", rng.choice(list(append_keys)), ((client, i),)))
        elif kind == 1:
            ops.append(("get", rng.choice([*append_keys, *register_keys]), None))
        elif rng.random() < 0.5:
            ops.append(("put", rng.choice(list(register_keys)), rng.randrange(values)))
        else:
            old, new = rng.randrange(values), rng.randrange(values)
            ops.append(("cas", rng.choice(list(register_keys)), (old, new)))
    return ops


def kv_system(
    servers: int = 5,
    clients: int = 3,
    ops: int = 20,
    seed: int = 0,
    config: RaftConfig | None = None,
    **client_options: Any,
) -> System:
    """A Raft key-value cluster ``s1..sN`` with clients ``c1..cK`` running ``kv_workload``.

    ``config`` may set anything but ``servers`` and ``machine`` (set here).

    Examples
    --------
    >>> kv_system(3, 1, ops=2)
    System(c1=RaftClient(2 ops), s1=RaftNode, s2=RaftNode, s3=RaftNode)
    """
    if not (
        isinstance(servers, int) and servers >= 1 and isinstance(clients, int) and clients >= 0
    ):
        raise ValueError(
            f"kv_system: servers={servers!r} must be an int >= 1, clients={clients!r} >= 0"
        )
    ids = tuple(f"s{i}" for i in range(1, servers + 1))
    cfg = replace(config or RaftConfig(), servers=ids, machine=KVMachine())
    node = RaftNode(cfg)
    nodes: dict[str, Node[Any]] = {s: node for s in ids}
    for c in range(1, clients + 1):
        cid = f"c{c}"
        nodes[cid] = RaftClient(ids, kv_workload(seed, ops, cid), **client_options)
    return System(nodes)


def appended_elements(value: Any) -> list[Any]:
    """The elements of an append key's value (None: none)."""
    return [] if value is None else list(value)


@dataclass(frozen=True)
class KVRun:
    """What ``run_kv`` found.

    Attributes
    ----------
    sim : Simulation
        The finished simulation (trace, states, history).
    history : History
        The clients' operations.
    result : ConsistencyResult
        The linearizability verdict (``result.verdict``: ok, violation or unknown).
    final : dict
        The store after the run, from the leader's state machine.
    lost : tuple
        Acknowledged appends missing from the final store.
    doubled : tuple
        Appends present more than once.
    ops : dict
        How many operations ended ``ok``, ``info`` and ``fail``.
    faults : int
        How many faults were injected (nemesis and leader isolations).
    violations : tuple of (float, str)
        When a property first failed, for each one that did (Figure 3's, and
        the rules of Figure 2 in ``RULE_INVARIANTS`` and ``STEP_PROPERTIES``).
    """

    sim: Simulation
    history: History
    result: ConsistencyResult
    final: dict[Hashable, Any]
    lost: tuple[Any, ...]
    doubled: tuple[Any, ...]
    ops: dict[str, int]
    faults: int
    violations: tuple[tuple[float, str], ...] = ()

    @property
    def verdict(self) -> str:
        """``"ok"`` if linearizable with nothing lost or doubled and no property broken."""
        if self.violations:
            return "broke " + ", ".join(name for _, name in self.violations)
        if self.lost or self.doubled:
            return "lost or doubled writes"
        return self.result.verdict

    def __repr__(self) -> str:
        return (
            f"KVRun({self.verdict}, ops={self.ops}, faults={self.faults}, "
            f"lost={len(self.lost)}, doubled={len(self.doubled)})"
        )


def run_kv(
    seed: int = 0,
    *,
    servers: int = 5,
    clients: int = 3,
    ops: int = 20,
    nemesis: Nemesis | None = None,
    network: Network | None = None,
    config: RaftConfig | None = None,
    duration: float | None = None,
    settle: float = 3000.0,
    isolate_leader: float | None = None,
    check_every: float | None = 20.0,
    time_limit: float | None = 60.0,
    shrink: bool = True,
    monitor: bool = True,
    **client_options: Any,
) -> KVRun:
    """Run a key-value cluster with clients under ``nemesis``, then judge it.

    The clients start at once; the nemesis acts until ``duration`` (default:
    long enough for the workload, 40 ms per operation); then every partition
    is healed, crashed servers restart, and the run continues ``settle`` ms so
    that every client finishes and the cluster agrees. (The run lasts at
    least until the nemesis' last fault.)

    Parameters
    ----------
    seed : int
        Seeds the simulation (network, timeouts, nemesis) and the workload.
    servers, clients, ops : int
        Cluster size, number of clients, operations per client.
    nemesis : Nemesis, optional
        Faults (e.g. ``RandomNemesis(until=..., kinds=("crash", "partition"))``).
    network : Network, optional
        Default: latency uniform on 1-5 ms, no loss.
    config : RaftConfig, optional
        Timeouts, snapshots, mutant (``servers`` and ``machine`` are set here).
    isolate_leader : float, optional
        Every this many ms (until ``duration``), cut the current leader and
        client ``c1`` off from everyone else for half the period, then heal:
        the old leader keeps believing it leads while a new one is elected.
    check_every : float or None, default 20
        Check the properties of Figure 3 (``election_safety``,
        ``log_matching``, ``state_machine_safety``, ``leader_completeness``)
        and ``RULE_INVARIANTS`` on the servers' states this often; None: only
        at the end.
    time_limit : float or None
        Seconds the linearizability check may take before it says ``unknown``.
    shrink : bool, default True
        Shrink a linearizability violation to a minimal core (slower).
    monitor : bool, default True
        Check ``STEP_PROPERTIES`` at every step of the run (``StepMonitor``,
        from the trace).
    **client_options
        Passed to every ``RaftClient`` (timeout, retry_delay, give_up, think).
    """
    system = kv_system(servers, clients, ops, seed, config, **client_options)
    if network is None:
        network = Network(latency=uniform(1.0, 5.0))
    sim = Simulation(system, seed=seed, network=network, nemesis=nemesis)
    if duration is None:
        duration = 40.0 * ops + 500.0
    duration = max(duration, _fault_horizon(nemesis))
    violations: dict[str, float] = {}
    if isolate_leader is not None:
        _schedule_isolation(sim, isolate_leader, duration)
    if check_every is not None:
        _schedule_checks(sim, check_every, duration + settle, violations)
    sim.run(until=duration)
    faults = count_faults(sim)
    sim.heal()
    for node in sorted(sim.crashed):
        sim.restart(node)
    sim.run(until=duration + settle)
    _check_properties(sim, violations)
    if monitor:
        for name, t in StepMonitor().check_trace(sim.trace).items():
            violations.setdefault(name, t)
    history = sim.history
    result = check_linearizable(history, KeyValue(), time_limit=time_limit, shrink=shrink)
    final = _final_store(sim.states)
    lost, doubled = _lost_and_doubled(history, final)
    counts = {"ok": 0, "info": 0, "fail": 0}
    for op in history.operations():
        counts[op.status] = counts.get(op.status, 0) + 1
    broken = tuple(sorted(((t, name) for name, t in violations.items())))
    return KVRun(sim, history, result, final, lost, doubled, counts, faults, broken)


def count_faults(sim: Simulation) -> int:
    """How many faults a run has seen so far: crashes, pauses, partitions, cut links,
    clock skews and bursts of loss or duplication (restarts, heals and the ends of
    bursts undo faults and are not counted).

    Examples
    --------
    >>> from dslib.sim import Crash, Restart
    >>> run = run_kv(0, servers=3, clients=1, ops=5,
    ...              nemesis=Nemesis([(100.0, Crash("s1")), (300.0, Restart("s1"))]))
    >>> run.faults
    1
    """
    n = 0
    for e in sim.trace.of_kind("crash", "pause", "fault"):
        burst = isinstance(e.data, NetworkChange) and (
            e.data.loss is not None or e.data.duplication is not None
        )
        if e.kind != "fault" or burst or isinstance(e.data, (Partition, Cut, ClockSkew)):
            n += 1
    return n


def _check_properties(sim: Simulation, violations: dict[str, float]) -> None:
    states = _node_states(sim.states)
    for prop in (*SAFETY_PROPERTIES, *RULE_INVARIANTS):
        if prop.__name__ not in violations and not prop(states):
            violations[prop.__name__] = sim.now


def _schedule_checks(
    sim: Simulation, every: float, until: float, violations: dict[str, float]
) -> None:
    if not (isinstance(every, (int, float)) and every > 0):
        raise ValueError(f"run_kv: check_every={every!r} must be a number > 0 or None")
    t = every
    while t < until:
        sim.at(t, lambda s: _check_properties(s, violations))
        t += every


def _schedule_isolation(sim: Simulation, period: float, until: float) -> None:
    if not (isinstance(period, (int, float)) and period > 0):
        raise ValueError(f"run_kv: isolate_leader={period!r} must be a number > 0 or None")

    def isolate(s: Simulation) -> None:
        current = leaders(s.states)
        if not current:
            return
        leader = current[max(current)][0]
        alone = (leader, "c1") if "c1" in s.system.nodes else (leader,)
        rest = tuple(sorted(n for n in s.system.nodes if n not in alone))
        s.partition(alone, rest)

    t = period
    while t < until:
        sim.at(t, isolate)
        sim.at(t + period / 2, lambda s: s.heal())
        t += period


def _fault_horizon(nemesis: Nemesis | None) -> float:
    """When the last fault of ``nemesis`` happens (at the latest)."""
    if nemesis is None:
        return 0.0
    if isinstance(nemesis, RandomNemesis):
        return nemesis.until + nemesis.duration
    return max((t for t, _ in nemesis.entries), default=0.0)


def _final_store(states: Any) -> dict[Hashable, Any]:
    """The store after a run: the current leader's state machine (or, with no leader, the
    machine of the server that applied most). ``states``: ``sim.states`` or a mapping of
    server id to ``RaftState`` (the real-process harness passes its cluster's states)."""
    states = _node_states(states)
    current = leaders(states)
    if current:
        term = max(current)
        state = states[current[term][0]]
    else:  # no leader now: the server that applied most
        state = max(states.values(), key=lambda s: (s.last_applied, s.current_term))
    pairs: Any = state.machine or ()
    return dict(pairs)


def _lost_and_doubled(
    history: History, final: dict[Hashable, Any]
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    present: dict[Any, int] = {}
    for key, value in final.items():
        if key in APPEND_KEYS:
            for element in appended_elements(value):
                present[(key, element)] = present.get((key, element), 0) + 1
    lost = []
    for op in history.operations():
        if op.f == "append" and op.status == "ok":
            for element in op.value:
                if present.get((op.key, element), 0) == 0:
                    lost.append((op.key, element))
    doubled = sorted((k for k, n in present.items() if n > 1), key=stable_repr)
    return tuple(sorted(lost, key=stable_repr)), tuple(doubled)
