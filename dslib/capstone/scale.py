"""Scale-out: throughput against the number of shard groups, and what a migration costs.

Sharding exists to add capacity by adding groups: each Raft group orders only the
operations on its own shards, so two groups should do twice the work of one. Whether
they do is an experiment, and this module runs it in the simulator.

**What load, and why.** The book's clients are *closed-loop*: each sends one operation,
waits for its answer, and sends the next (``ShardKVClient``, without think time here).
A closed population of ``N`` clients with response time ``R`` completes ``N / R``
operations per second whatever the servers could do (Little's law), so a *fixed*
population would measure the clients, not the groups. We therefore keep the load
*per group* fixed: ``clients_per_group`` clients for every group, so that ``G`` groups
are offered ``G`` times the load of one, and perfect scale-out is a throughput ``G``
times that of one group at the same latency. What falls short of that is a cost of
sharding: a client that must find the group and its leader, the controller that every
group polls.

**What the simulator cannot measure, and what it can.** Simulated handlers take no
time, so no server is ever saturated: throughput in simulated time is bounded only by
latency. What a real server spends its time on is handling messages, and the trace
counts those: ``ScalePoint.busiest_per_op`` is how many messages the busiest server
handles per completed operation, its *service demand* in messages. By the utilisation
law, a server that needs ``c`` seconds per message saturates at ``1 / (c * D)``
operations per second where ``D`` is that demand, so the capacity of the whole store is
set by its busiest server (Lazowska et al., *Quantitative System Performance*, 1984,
chapter 5, "Bounds on performance"). Adding groups spreads the operations over more
leaders, and ``capacity_gain`` (one group's demand over ``G`` groups') says how much
the bound rises.

**A migration's cost** (``migration_cost``): one shard moves between two groups while
clients run. We measure when the controller commits the move, when the old owner
stops serving the shard, when the new owner serves it (the shard is unavailable in
between), and when the old owner drops its copy; and the messages that carry it: the
pushes of the shard's data and deduplication table, their acknowledgements, and the
log replication of the hand-over's commands (``install`` and ``drop``).

``python benchmarks/bench_capstone_scale.py`` prints the full table.

Examples
--------
>>> point = scale_point(1, seed=0, warmup=600.0, window=300.0)
>>> point.groups, point.clients, point.verdict
(1, 2, 'ok')
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dslib.capstone.shardkv import CONTROLLER, group_servers, shardkv_system
from dslib.consistency import KeyValue, check_linearizable
from dslib.raft.core import AppendEntries, ClientReply, Command, RaftState
from dslib.sharding.controller import Config, shard_of
from dslib.sharding.store import ServerState, ShardAck, ShardPush
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation
from dslib.stats import percentile

__all__ = [
    "MigrationCost",
    "ScalePoint",
    "capacity_gain",
    "draw_scale",
    "measure_migration",
    "migration_cost",
    "move_one_shard",
    "scale_point",
    "scale_table",
]


def _check_int(name: str, value: object, least: int, where: str) -> int:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= least):
        raise ValueError(f"{where}: {name}={value!r} must be an int >= {least}")
    return value


def _check_time(name: str, value: object, where: str) -> float:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0):
        raise ValueError(f"{where}: {name}={value!r} must be a number > 0 (ms)")
    return float(value)


@dataclass(frozen=True)
class ScalePoint:
    """One measurement of the store with ``groups`` groups, in a steady window.

    Attributes
    ----------
    groups, clients : int
        Shard groups, and closed-loop clients (``clients_per_group`` per group).
    ok : int
        Operations that completed ``ok`` in the window.
    throughput : float
        ``ok`` per second of simulated time.
    p50, p99 : float
        Latency (ms) of those operations.
    messages_per_op : float
        Messages sent by anyone in the window, per ``ok`` operation.
    busiest : str
        The server that handled the most messages in the window.
    busiest_per_op : float
        Messages it handled per ``ok`` operation: the bottleneck's service demand.
    controller_per_second : float
        Messages the controller's servers handled per second (polls and clients' queries).
    redirects_per_op : float
        "Not the leader" answers to clients per ``ok`` operation.
    verdict : str
        The linearizability check of the whole history up to the window's end.
    """

    groups: int
    clients: int
    ok: int
    throughput: float
    p50: float
    p99: float
    messages_per_op: float
    busiest: str
    busiest_per_op: float
    controller_per_second: float
    redirects_per_op: float
    verdict: str

    def row(self) -> str:
        """One line of the table ``scale_table`` prints."""
        return (
            f"{self.groups:6d} {self.clients:7d} {self.throughput:10.0f} {self.p50:7.1f} "
            f"{self.p99:7.1f} {self.messages_per_op:8.1f} {self.busiest_per_op:8.2f} "
            f"{self.redirects_per_op:9.2f} {self.controller_per_second:9.0f}  {self.verdict}"
        )


HEADER = (
    "groups clients   ok ops/s     p50     p99  msgs/op  busiest  redir/op  ctrl/s  linearizable"
)
"""The header of ``ScalePoint.row``: latencies in ms; ``busiest``: messages the busiest
server handles per operation; ``ctrl/s``: messages the controller handles per second."""


def scale_point(
    groups: int,
    seed: int = 0,
    *,
    clients_per_group: int = 2,
    shards: int = 16,
    keys: int = 16,
    warmup: float = 1000.0,
    window: float = 1000.0,
    network: Network | None = None,
    time_limit: float | None = 30.0,
) -> ScalePoint:
    """Measure the store with ``groups`` groups and ``clients_per_group`` clients per group.

    Every group joins at time 0 (no further changes, no faults); the clients run
    without pause. Nothing is counted before ``warmup`` ms (elections, the first
    configuration); the run stops at ``warmup + window``, and every figure is of that
    window. Each client has more operations than it can finish by then, so all are
    busy throughout.

    Parameters
    ----------
    groups : int
    seed : int
    clients_per_group : int, default 2
    shards : int, default 16
        At least ``groups``, or a group would have nothing to serve.
    keys : int, default 16
        Append keys and register keys (``keys`` of each) the clients use.
    warmup, window : float
        Milliseconds.
    network : Network, optional
        Default: latency uniform on 1-5 ms.
    time_limit : float or None
        Seconds the linearizability check may take.

    Returns
    -------
    ScalePoint

    Raises
    ------
    ValueError
        For a count that is not a positive int, fewer shards than groups, or a
        non-positive time.
    """
    where = "scale_point"
    _check_int("groups", groups, 1, where)
    _check_int("clients_per_group", clients_per_group, 1, where)
    _check_int("shards", shards, groups, where)
    _check_int("keys", keys, 1, where)
    warmup = _check_time("warmup", warmup, where)
    window = _check_time("window", window, where)
    end = warmup + window
    clients = groups * clients_per_group
    ops = int(end / 2.0) + 10  # an operation takes at least two network hops of >= 1 ms
    system = shardkv_system(
        seed, groups=groups, clients=clients, ops=ops, shards=shards, keys=keys, think=0.0
    )
    sim = Simulation(system, seed=seed, network=network or Network(latency=uniform(1.0, 5.0)))
    sim.run(until=end)
    done = [
        op
        for op in sim.history.operations()
        if op.status == "ok" and warmup <= op.complete_time < end
    ]
    if not done:
        raise ValueError(
            f"scale_point: no operation completed between {warmup} and {end} ms; "
            "lengthen warmup or window"
        )
    latencies = [op.complete_time - op.invoke_time for op in done]
    servers = {s for g in range(1, groups + 1) for s in group_servers(f"g{g}")} | set(CONTROLLER)
    sends = 0
    redirects = 0
    handled: dict[str, int] = {}
    for e in sim.trace:
        if e.time < warmup:
            continue
        if e.kind == "send":
            sends += 1
            if isinstance(e.data, ClientReply) and not e.data.ok and e.node in servers:
                redirects += 1
        elif e.kind == "deliver" and e.node in servers:
            handled[e.node or ""] = handled.get(e.node or "", 0) + 1
    busiest = min(handled, key=lambda s: (-handled[s], s))
    ctrl = sum(handled.get(s, 0) for s in CONTROLLER)
    result = check_linearizable(sim.history, KeyValue(), time_limit=time_limit, shrink=False)
    n = len(done)
    return ScalePoint(
        groups,
        clients,
        n,
        n / (window / 1000.0),
        float(percentile(latencies, 50)),
        float(percentile(latencies, 99)),
        sends / n,
        busiest,
        handled[busiest] / n,
        ctrl / (window / 1000.0),
        redirects / n,
        result.verdict,
    )


def scale_table(
    groups: Sequence[int] = (1, 2, 4, 8),
    seed: int = 0,
    *,
    printed: bool = False,
    **options: Any,
) -> list[ScalePoint]:
    """``scale_point`` for each number of groups (``options`` go to it); with ``printed``,
    print the table as it goes.

    Examples
    --------
    >>> points = scale_table((1, 2), warmup=600.0, window=300.0, printed=True)
    ... # doctest: +NORMALIZE_WHITESPACE +ELLIPSIS
    groups clients   ok ops/s ...
         1       2 ...  ok
         2       4 ...  ok
    """
    if isinstance(groups, (int, str)) or not groups:
        raise ValueError(f"scale_table: groups={groups!r} must be a non-empty list of ints")
    points = []
    if printed:
        print(HEADER)
    for g in groups:
        point = scale_point(g, seed, **options)
        points.append(point)
        if printed:
            print(point.row(), flush=True)
    return points


def capacity_gain(points: Sequence[ScalePoint]) -> list[float]:
    """For each point, how much the utilisation-law bound on throughput rises over the first
    point's: its busiest server's demand divided into the first's.

    Examples
    --------
    >>> a = ScalePoint(1, 2, 10, 100.0, 1.0, 2.0, 10.0, "g1-1", 8.0, 0.0, 0.0, "ok")
    >>> b = ScalePoint(2, 4, 20, 200.0, 1.0, 2.0, 10.0, "g1-1", 5.0, 0.0, 0.0, "ok")
    >>> capacity_gain([a, b])
    [1.0, 1.6]
    """
    if not points:
        raise ValueError("capacity_gain: give at least one ScalePoint")
    base = points[0].busiest_per_op
    return [base / p.busiest_per_op for p in points]


def draw_scale(points: Sequence[ScalePoint], *, title: str | None = None) -> Any:
    """Two panels: throughput against groups, beside perfect scale-out from the first point;
    and the busiest server's messages per operation (the bottleneck's demand) with the
    redirects per operation.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not points or not all(isinstance(p, ScalePoint) for p in points):
        raise TypeError("draw_scale: give a non-empty list of ScalePoint (from scale_table)")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.0, 3.2), dpi=100)
    left, right = fig.subplots(1, 2)
    gs = [p.groups for p in points]
    left.plot(gs, [p.throughput for p in points], "o-", label="measured")
    first = points[0]
    left.plot(gs, [first.throughput * g / first.groups for g in gs], "k--", lw=0.8, label="perfect")
    left.set_xscale("log", base=2)
    left.set_xticks(gs, [str(g) for g in gs])
    left.set_xlabel("shard groups", fontsize=8)
    left.set_ylabel("ok operations / s (simulated)", fontsize=8)
    left.legend(fontsize=7)
    right.plot(gs, [p.busiest_per_op for p in points], "o-", label="busiest server: msgs/op")
    right.plot(gs, [p.redirects_per_op for p in points], "s-", label="redirects/op")
    right.set_xscale("log", base=2)
    right.set_xticks(gs, [str(g) for g in gs])
    right.set_xlabel("shard groups", fontsize=8)
    right.set_ylim(bottom=0)
    right.legend(fontsize=7)
    for ax in (left, right):
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# -- one migration --------------------------------------------------------------------------
@dataclass(frozen=True)
class MigrationCost:
    """What moving one shard cost, from the trace of a run.

    Attributes
    ----------
    shard, source, target, num
        The shard that moved, from which group to which, in configuration ``num``.
    committed_at : float
        When the controller applied configuration ``num`` (its leader's commit).
    stopped_at : float
        When the source group first applied it: from then on it refuses the shard.
    served_at : float
        When the target group first served the shard with its data.
    dropped_at : float
        When the source group dropped its copy (the hand-over's last step).
    keys, sessions : int
        Keys the shard held, and clients in its deduplication table, when it moved.
    pushes, acks : int
        ``ShardPush`` and ``ShardAck`` messages of this shard in this configuration.
    log_messages : int
        ``AppendEntries`` that carried the hand-over's ``install`` or ``drop`` to a follower.
    """

    shard: int
    source: str
    target: str
    num: int
    committed_at: float
    stopped_at: float
    served_at: float
    dropped_at: float
    keys: int
    sessions: int
    pushes: int
    acks: int
    log_messages: int

    @property
    def unavailable(self) -> float:
        """Milliseconds in which no group served the shard: ``served_at - stopped_at``."""
        return self.served_at - self.stopped_at

    @property
    def messages(self) -> int:
        """Every message the hand-over itself sent."""
        return self.pushes + self.acks + self.log_messages

    def summary(self) -> str:
        """One line: what moved, how long it took, what it sent."""
        return (
            f"shard {self.shard} {self.source} -> {self.target} (configuration {self.num}, "
            f"{_plural(self.keys, 'key')}, {_plural(self.sessions, 'session')}): committed at "
            f"{self.committed_at:.0f} ms, unavailable {self.unavailable:.1f} ms, dropped "
            f"{self.dropped_at - self.committed_at:.1f} ms after the commit; "
            f"{self.messages} messages ({self.pushes} pushes, {self.acks} acks, "
            f"{self.log_messages} log)"
        )


def move_one_shard(
    seed: int = 0,
    *,
    groups: int = 2,
    clients: int = 4,
    shards: int = 8,
    keys: int = 4,
    move_at: float = 1000.0,
    after: float = 1000.0,
    network: Network | None = None,
) -> tuple[Simulation, int]:
    """Run the store while the shard of key ``a0`` moves to another group; return the run
    and the shard.

    Every group joins at 0; at ``move_at`` the admin asks the controller to move the
    shard to the next group (``g1`` after the last); the run goes on ``after`` ms, with
    ``clients`` clients running throughout.

    Raises
    ------
    ValueError
        For fewer than two groups, fewer shards than groups, or a non-positive time.
    """
    where = "migration_cost"
    _check_int("groups", groups, 2, where)
    _check_int("clients", clients, 0, where)
    _check_int("shards", shards, groups, where)
    _check_int("keys", keys, 1, where)
    move_at = _check_time("move_at", move_at, where)
    after = _check_time("after", after, where)
    names = [f"g{i}" for i in range(1, groups + 1)]
    shard = shard_of("a0", shards)
    source = _joined(names, shards).shards[shard]  # who serves it once all have joined
    target = names[(names.index(str(source)) + 1) % groups]
    schedule = [*((0.0, ("join", g)) for g in names), (move_at, ("move", shard, target))]
    system = shardkv_system(
        seed,
        groups=groups,
        clients=clients,
        ops=int((move_at + after) / 4.0),
        shards=shards,
        keys=keys,
        schedule=schedule,
        think=(0.0, 20.0),
    )
    sim = Simulation(system, seed=seed, network=network or Network(latency=uniform(1.0, 5.0)))
    return sim.run(until=move_at + after), shard


def measure_migration(sim: Simulation, shard: int) -> MigrationCost:
    """The cost of the first move of ``shard`` from one group to another in a run.

    The move is read from the controller's configurations; its steps and messages from
    the trace (see ``MigrationCost``).

    Raises
    ------
    ValueError
        If the controller never moved ``shard`` between two groups, or the move did not
        complete in the run.
    """
    configs = _controller_configs(sim)
    move = next(
        (
            (c.num, before.shards[shard], c.shards[shard])
            for before, c in itertools.pairwise(configs)
            if before.shards[shard] is not None and before.shards[shard] != c.shards[shard]
        ),
        None,
    )
    if move is None:
        raise ValueError(f"measure_migration: shard {shard} never moved between groups")
    num, source, target = move
    assert source is not None and target is not None
    src_servers, dst_servers = set(group_servers(source)), set(group_servers(target))
    times: dict[str, float] = {}
    moved = (0, 0)
    counts = {"push": 0, "ack": 0, "log": 0}
    for e in sim.trace:
        if e.kind in ("state", "restart") and isinstance(e.data, RaftState):
            m = e.data.machine
            if e.node in CONTROLLER and isinstance(m, tuple) and len(m) > num:
                times.setdefault("committed", e.time)
            elif isinstance(m, ServerState) and m.config.num >= num:
                status = m.shards[shard].status
                if e.node in src_servers:
                    times.setdefault("stopped", e.time)
                    if status == "absent":
                        times.setdefault("dropped", e.time)
                elif e.node in dst_servers and status == "serving":
                    times.setdefault("served", e.time)
        elif e.kind == "send":
            msg = e.data
            if isinstance(msg, ShardPush) and (msg.num, msg.shard) == (num, shard):
                counts["push"] += 1
                if counts["push"] == 1:
                    moved = (len(msg.data), len(msg.last))
            elif isinstance(msg, ShardAck) and (msg.num, msg.shard) == (num, shard):
                counts["ack"] += 1
            elif isinstance(msg, AppendEntries) and any(
                _hand_over(entry.command, num, shard) for entry in msg.entries
            ):
                counts["log"] += 1
    missing = [k for k in ("committed", "stopped", "served", "dropped") if k not in times]
    if missing:
        raise ValueError(
            f"measure_migration: the move of shard {shard} did not complete by "
            f"{sim.now:g} ms (never {', '.join(missing)}); run longer"
        )
    return MigrationCost(
        shard, source, target, num, times["committed"], times["stopped"], times["served"],
        times["dropped"], moved[0], moved[1], counts["push"], counts["ack"], counts["log"],
    )  # fmt: skip


def migration_cost(seed: int = 0, **options: Any) -> MigrationCost:
    """Move the shard of key ``a0`` while clients run (``move_one_shard``, which takes the
    ``options``) and measure the move (``measure_migration``).

    Examples
    --------
    >>> cost = migration_cost(0, groups=2, clients=2, move_at=800.0, after=800.0)
    >>> cost.committed_at <= cost.stopped_at <= cost.served_at <= cost.dropped_at
    True
    """
    sim, shard = move_one_shard(seed, **options)
    return measure_migration(sim, shard)


def _controller_configs(sim: Simulation) -> tuple[Config, ...]:
    best: tuple[Config, ...] = ()
    for server in CONTROLLER:
        state = sim.states.get(server)
        machine = state.machine if isinstance(state, RaftState) else None
        if isinstance(machine, tuple) and len(machine) > len(best):
            best = machine
    return best


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _hand_over(command: Any, num: int, shard: int) -> bool:
    if not isinstance(command, Command) or not isinstance(command.op, tuple):
        return False
    op = command.op
    return len(op) >= 3 and op[0] in ("install", "drop") and op[1] == num and op[2] == shard


def _joined(names: Sequence[str], shards: int) -> Config:
    from dslib.capstone.shardkv import ControllerMachine

    machine = ControllerMachine(shards)
    state = machine.initial()
    for g in names:
        state, _ = machine.apply(state, ("join", g))
    latest: Config = state[-1]
    return latest
