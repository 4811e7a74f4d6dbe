"""Observability: what every Raft group did during a run, and what the clients felt.

A test that says "linearizable, nothing lost" says nothing about *how* the system got
through the faults: which group lost its leader and when, how long it stayed without
one, whether a migration stalled. Jepsen's reports answer that with two pictures beside
the verdict: the latency of every operation over time, and the rate of completed
operations, each with the nemesis' faults drawn as shaded intervals (Kingsbury,
"Jepsen" analyses, the "latency" and "rate" graphs of each report). This module draws
both from a simulated run, and a third picture that only a simulator can give for free:
the state of every Raft server over time.

- ``group_timeline(sim, groups)`` walks the run's trace (every new state of every node
  is in it) and records, for each server, when its role, term, log length, commit
  index or the shards it serves changed: a ``Timeline`` of ``ServerSample`` rows.
- ``fault_intervals(trace)`` turns the nemesis' faults into intervals: a crash lasts
  until the restart, a pause its duration, a partition or cut until the heal, a clock
  skew until the clock is set right, a burst of loss until the network is restored.
- ``performance(history)`` bins the clients' operations: throughput per bin and the
  latency of every operation.
- ``draw_timeline`` and ``draw_performance`` draw them, faults shaded.

Nothing here changes a run: all of it reads the trace and the history afterwards, so
a figure can be drawn for any run the book makes (``dslib.raft.kv.run_kv``, or the
capstone's sharded store), and the same seed gives the same figure.

Examples
--------
>>> from dslib.raft.kv import run_kv
>>> from dslib.sim import Crash, Nemesis, Restart
>>> run = run_kv(1, servers=3, clients=2, ops=10,
...              nemesis=Nemesis([(200.0, Crash("s1")), (900.0, Restart("s1"))]))
>>> timeline = group_timeline(run.sim)
>>> [(t.node, t.term, round(t.start), round(t.end)) for t in timeline.leaderships()]
[('s1', 1, 177, 200), ('s2', 2, 400, 3900)]
>>> fault_intervals(run.sim.trace)
[FaultInterval(start=200.0, end=900.0, kind='crash', label='crash s1')]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.capstone.shardkv import CONTROLLER, ShardKVRun
from dslib.raft.core import RaftState
from dslib.sharding.store import ServerState
from dslib.sim.history import History
from dslib.sim.nemesis import ClockSkew, Cut, Heal, NetworkChange, Partition
from dslib.sim.simulator import Simulation
from dslib.sim.trace import Trace
from dslib.stats import is_number, percentile

__all__ = [
    "FAULT_COLOURS",
    "FaultInterval",
    "Leadership",
    "Performance",
    "ServerSample",
    "Timeline",
    "draw_performance",
    "draw_timeline",
    "fault_intervals",
    "group_timeline",
    "performance",
    "shardkv_timeline",
]

DOWN = "down"

FAULT_COLOURS: dict[str, str] = {
    "crash": "#d62728",
    "pause": "#ff7f0e",
    "partition": "#9467bd",
    "cut": "#8c564b",
    "skew": "#17becf",
    "loss": "#7f7f7f",
}
"""The shade of each kind of fault in the figures (as Jepsen shades its nemesis)."""


# -- the servers' timeline -------------------------------------------------------------------
@dataclass(frozen=True)
class ServerSample:
    """One server's state from ``time`` until its next sample.

    Attributes
    ----------
    time : float
        When the server entered this state.
    group : str
        The Raft group it belongs to.
    node : str
        The server.
    role : str
        ``"leader"``, ``"candidate"``, ``"follower"``, or ``"down"`` while crashed.
    term : int
        Its current term (0 while down).
    log_length : int
        The index of its last log entry (a snapshot's entries included).
    commit_index : int
        The highest entry it knows committed.
    shards : tuple of int
        The shards its state machine says the group serves (empty if the run has no
        shards, or the caller gave no ``shards`` function).
    """

    time: float
    group: str
    node: str
    role: str
    term: int
    log_length: int
    commit_index: int
    shards: tuple[int, ...] = ()


@dataclass(frozen=True)
class Leadership:
    """``node`` led ``group`` in ``term`` from ``start`` to ``end``."""

    group: str
    node: str
    term: int
    start: float
    end: float


@dataclass(frozen=True)
class Timeline:
    """Every server's states over a run: ``ServerSample`` rows in time order.

    Attributes
    ----------
    samples : tuple of ServerSample
    groups : tuple of (str, tuple of str)
        Each group and its servers, in the order the figure draws them.
    end : float
        When the run ended (the last sample of each server lasts until then).
    marks : tuple of (float, str)
        Moments to mark on the figure, such as the controller's new configurations.
    """

    samples: tuple[ServerSample, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    end: float
    marks: tuple[tuple[float, str], ...] = ()

    def of(self, node: str) -> list[ServerSample]:
        """The samples of one server, in time order."""
        return [s for s in self.samples if s.node == node]

    def spans(self, node: str) -> list[tuple[ServerSample, float]]:
        """Each sample of ``node`` with the time it ended."""
        mine = self.of(node)
        ends = [s.time for s in mine[1:]] + [self.end]
        return list(zip(mine, ends, strict=True))

    def leaderships(self) -> list[Leadership]:
        """Every interval in which a server was leader, by start time.

        A server that stays leader while only its log grows is one interval.
        """
        out = []
        for _group, nodes in self.groups:
            for node in nodes:
                current: Leadership | None = None
                for sample, end in self.spans(node):
                    if sample.role == "leader":
                        if current is not None and current.term == sample.term:
                            current = Leadership(
                                sample.group, node, sample.term, current.start, end
                            )
                        else:
                            if current is not None:
                                out.append(current)
                            current = Leadership(sample.group, node, sample.term, sample.time, end)
                    elif current is not None:
                        out.append(current)
                        current = None
                if current is not None:
                    out.append(current)
        return sorted(out, key=lambda x: (x.start, x.group, x.node))

    def without_leader(self, group: str) -> float:
        """How long ``group`` had no leader, in total (from the first sample to ``end``)."""
        nodes = dict(self.groups).get(group)
        if nodes is None:
            raise ValueError(f"without_leader: no group {group!r}; the groups are {self.names}")
        intervals = sorted(
            (x.start, x.end) for x in self.leaderships() if x.group == group and x.end > x.start
        )
        covered, reach = 0.0, 0.0
        for start, end in intervals:
            start = max(start, reach)
            if end > start:
                covered += end - start
                reach = end
        return self.end - covered

    def ownership(self, group: str) -> list[tuple[float, float, tuple[int, ...]]]:
        """The shards ``group`` served over time, as ``(start, end, shards)``, by its leaders.

        Between leaders, the group serves nothing: no one answers clients.
        """
        if group not in self.names:
            raise ValueError(f"ownership: no group {group!r}; the groups are {self.names}")
        out: list[tuple[float, float, tuple[int, ...]]] = []
        for lead in self.leaderships():
            if lead.group != group:
                continue
            for sample, end in self.spans(lead.node):
                lo, hi = max(sample.time, lead.start), min(end, lead.end)
                if hi <= lo or sample.role != "leader" or sample.term != lead.term:
                    continue
                if out and out[-1][2] == sample.shards and out[-1][1] == lo:
                    out[-1] = (out[-1][0], hi, sample.shards)
                else:
                    out.append((lo, hi, sample.shards))
        return out

    @property
    def names(self) -> list[str]:
        """The groups' names."""
        return [g for g, _ in self.groups]

    def to_frame(self) -> Any:
        """The samples as a pandas DataFrame, one row per sample."""
        import pandas as pd

        return pd.DataFrame([s.__dict__ for s in self.samples])

    def __repr__(self) -> str:
        servers = sum(len(nodes) for _, nodes in self.groups)
        return (
            f"Timeline({len(self.groups)} groups, {servers} servers, "
            f"{len(self.samples)} samples, until {self.end:g})"
        )


def _raft_state(state: Any) -> RaftState | None:
    return state if isinstance(state, RaftState) else None


def group_timeline(
    sim: Simulation,
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    raft_state: Callable[[Any], RaftState | None] = _raft_state,
    shards: Callable[[RaftState], Iterable[int] | None] | None = None,
) -> Timeline:
    """The state of every Raft server of a run over time, from its trace.

    Parameters
    ----------
    sim : Simulation
        A finished (or paused) run that kept its trace.
    groups : mapping of str to sequence of str, optional
        Each Raft group and its servers. Default: one group ``"raft"`` of every node
        whose first state is a ``RaftState``.
    raft_state : callable, optional
        The ``RaftState`` inside a node's state (default: the state itself, if it is
        one); for a node that wraps a Raft server in a larger state.
    shards : callable, optional
        The shards a server's state machine serves, from its ``RaftState`` (None:
        none). Default: no shard rows.

    Returns
    -------
    Timeline

    Raises
    ------
    TypeError
        If ``sim`` is not a Simulation.
    ValueError
        If the run kept no trace, a group names a node that is not in the system, a
        node is in two groups, or a group's node has no Raft state.
    """
    if not isinstance(sim, Simulation):
        raise TypeError(f"group_timeline: sim={sim!r} must be a dslib.sim.Simulation")
    if not sim.record_trace:
        raise ValueError("group_timeline: the run kept no trace (record_trace=False)")
    trace = sim.trace
    if groups is None:
        firsts = {str(e.node): e.data for e in trace.of_kind("init")}
        groups = {"raft": sorted(n for n, s in firsts.items() if raft_state(s) is not None)}
    group_of: dict[str, str] = {}
    for group, nodes in groups.items():
        if isinstance(nodes, str):
            raise ValueError(f"group_timeline: group {group!r} is {nodes!r}; give a list of ids")
        for node in nodes:
            if node not in sim.system.nodes:
                raise ValueError(
                    f"group_timeline: group {group!r} names {node!r}, which is not a node "
                    f"of the system ({sorted(sim.system.ids)})"
                )
            if node in group_of:
                raise ValueError(
                    f"group_timeline: {node!r} is in groups {group_of[node]!r} and {group!r}"
                )
            group_of[node] = group
    last: dict[str, tuple[Any, ...]] = {}
    samples: list[ServerSample] = []
    for e in trace.of_kind("init", "state", "restart", "crash"):
        member = group_of.get(e.node or "")
        if member is None:
            continue
        if e.kind == "crash":
            row: tuple[Any, ...] = (DOWN, 0, 0, 0, ())
        else:
            raft = raft_state(e.data)
            if raft is None:
                raise ValueError(
                    f"group_timeline: node {e.node!r} of group {member!r} has a "
                    f"{type(e.data).__name__} state, not a Raft server's (give raft_state=)"
                )
            owned = shards(raft) if shards is not None else None
            row = (
                raft.role,
                raft.current_term,
                raft.last_index,
                raft.commit_index,
                tuple(sorted(owned)) if owned is not None else (),
            )
        if last.get(e.node or "") != row:
            last[e.node or ""] = row
            samples.append(ServerSample(e.time, member, e.node or "", *row))
    order = tuple((g, tuple(sorted(nodes))) for g, nodes in groups.items())
    return Timeline(tuple(samples), order, sim.now)


def shardkv_timeline(run: ShardKVRun) -> Timeline:
    """The timeline of a run of the capstone store (``run_shardkv``): the controller's group
    ``ctrl`` and every shard group, with the shards each group's leader serves, and a mark
    at each moment the controller committed a new configuration (``c1``, ``c2``, ...).

    Examples
    --------
    >>> from dslib.capstone.shardkv import run_shardkv
    >>> timeline = shardkv_timeline(run_shardkv(1, groups=2, clients=1, ops=4, faults=False))
    >>> timeline.names, [label for _, label in timeline.marks][:3]
    (['ctrl', 'g1', 'g2'], ['c1', 'c2', 'c3'])
    """
    if not isinstance(run, ShardKVRun):
        raise TypeError(f"shardkv_timeline: run={run!r} must be a ShardKVRun (run_shardkv)")
    groups = {"ctrl": list(CONTROLLER), **{g: list(s) for g, s in sorted(run.groups.items())}}
    timeline = group_timeline(run.sim, groups, shards=_served)
    committed: dict[int, float] = {}
    for e in run.sim.trace.of_kind("state"):
        if e.node in CONTROLLER and isinstance(e.data, RaftState):
            configs: Any = e.data.machine
            if e.data.role == "leader" and isinstance(configs, tuple) and configs:
                committed.setdefault(len(configs) - 1, e.time)
    marks = tuple((t, f"c{n}") for n, t in sorted(committed.items()) if n > 0)
    return replace(timeline, marks=marks)


def _served(raft: RaftState) -> tuple[int, ...] | None:
    machine: Any = raft.machine
    return machine.serving() if isinstance(machine, ServerState) else None


# -- faults as intervals ----------------------------------------------------------------------
@dataclass(frozen=True)
class FaultInterval:
    """A fault that lasted from ``start`` to ``end``: ``kind`` (a key of
    ``FAULT_COLOURS``) and a label that names what it hit."""

    start: float
    end: float
    kind: str
    label: str


def _partition_label(p: Partition) -> str:
    return "partition " + " | ".join(" ".join(g) for g in p.groups)


def fault_intervals(trace: Trace, end: float | None = None) -> list[FaultInterval]:
    """The faults of a run as intervals, by start time.

    A crash lasts until the node restarts; a pause its duration; a partition until the
    next heal or partition; a cut link until the heal; a clock skew until the node's
    clock is set back (offset 0, rate 1); a burst of loss or duplication until the
    network is restored. A fault still on at the end lasts until ``end`` (default: the
    last event of the trace).

    Parameters
    ----------
    trace : Trace
    end : float, optional

    Returns
    -------
    list of FaultInterval

    Examples
    --------
    >>> from dslib.sim import Heal, Partition
    >>> t = Trace()
    >>> t.append((5.0, "fault", None, None, Partition((("a",), ("b", "c"))), None, None))
    >>> t.append((9.0, "pause", "b", None, 2.0, None, None))
    >>> t.append((12.0, "fault", None, None, Heal(), None, None))
    >>> for f in fault_intervals(t):
    ...     print(f)
    FaultInterval(start=5.0, end=12.0, kind='partition', label='partition a | b c')
    FaultInterval(start=9.0, end=11.0, kind='pause', label='pause b')
    """
    if not isinstance(trace, Trace):
        raise TypeError(f"fault_intervals: trace={trace!r} must be a dslib.sim.Trace")
    if end is None:
        end = trace[len(trace) - 1].time if len(trace) else 0.0
    elif not is_number(end):
        raise ValueError(f"fault_intervals: end={end!r} must be a number or None")
    out: list[FaultInterval] = []
    crashed: dict[str, float] = {}
    skewed: dict[str, tuple[float, str]] = {}
    partition: tuple[float, str] | None = None
    cuts: list[tuple[float, str]] = []
    burst: tuple[float, str] | None = None
    for e in trace.of_kind("crash", "restart", "pause", "fault"):
        t, data = e.time, e.data
        if e.kind == "crash":
            crashed[e.node or ""] = t
        elif e.kind == "restart":
            if (e.node or "") in crashed:
                out.append(FaultInterval(crashed.pop(e.node or ""), t, "crash", f"crash {e.node}"))
        elif e.kind == "pause":
            out.append(FaultInterval(t, t + float(data), "pause", f"pause {e.node}"))
        elif isinstance(data, Partition):
            if partition is not None:
                out.append(FaultInterval(partition[0], t, "partition", partition[1]))
            partition = (t, _partition_label(data))
        elif isinstance(data, Cut):
            cuts.append((t, f"cut {data.src}->{data.dst}"))
        elif isinstance(data, Heal):
            if partition is not None:
                out.append(FaultInterval(partition[0], t, "partition", partition[1]))
                partition = None
            out += [FaultInterval(s, t, "cut", label) for s, label in cuts]
            cuts = []
        elif isinstance(data, ClockSkew):
            if data.node in skewed:
                s, label = skewed.pop(data.node)
                out.append(FaultInterval(s, t, "skew", label))
            if data.offset != 0.0 or data.rate != 1.0:
                skewed[data.node] = (t, f"skew {data.node}")
        elif isinstance(data, NetworkChange):
            if burst is not None:
                out.append(FaultInterval(burst[0], t, "loss", burst[1]))
                burst = None
            if data.loss is not None or data.duplication is not None:
                what = [f"loss {data.loss:g}"] if data.loss is not None else []
                what += [f"dup {data.duplication:g}"] if data.duplication is not None else []
                burst = (t, ", ".join(what))
    for node, s in sorted(crashed.items()):
        out.append(FaultInterval(s, max(s, end), "crash", f"crash {node}"))
    for _node, (s, label) in sorted(skewed.items()):
        out.append(FaultInterval(s, max(s, end), "skew", label))
    if partition is not None:
        out.append(FaultInterval(partition[0], max(partition[0], end), "partition", partition[1]))
    out += [FaultInterval(s, max(s, end), "cut", label) for s, label in cuts]
    if burst is not None:
        out.append(FaultInterval(burst[0], max(burst[0], end), "loss", burst[1]))
    return sorted(out, key=lambda f: (f.start, f.end, f.kind, f.label))


# -- what the clients felt --------------------------------------------------------------------
@dataclass(frozen=True)
class Performance:
    """Throughput and latency of a history over time.

    Attributes
    ----------
    bin : float
        The width of a throughput bin, in the history's time unit (ms).
    throughput : tuple of (float, float)
        ``(bin start, ok operations per second)`` for each bin from 0 to the last
        completion.
    points : tuple of (float, float, str, str)
        ``(invoke time, latency, f, status)`` for every operation that completed
        (``ok``, ``fail`` or ``info``); an open operation has no latency.
    """

    bin: float
    throughput: tuple[tuple[float, float], ...]
    points: tuple[tuple[float, float, str, str], ...]

    def latency(self, q: float, status: str = "ok") -> float:
        """The ``q``-th percentile latency of the operations that ended ``status`` (0: none)."""
        values = [lat for _, lat, _, st in self.points if st == status]
        return float(percentile(values, q)) if values else 0.0

    def __repr__(self) -> str:
        ok = sum(1 for p in self.points if p[3] == "ok")
        return (
            f"Performance({len(self.points)} ops, {ok} ok, bins of {self.bin:g} ms, "
            f"p50 {self.latency(50):.1f} ms, p99 {self.latency(99):.1f} ms)"
        )


def performance(history: History, bin: float = 100.0, time_unit: float = 0.001) -> Performance:
    """Bin a history's operations: throughput per bin, and every operation's latency.

    Parameters
    ----------
    history : History
    bin : float, default 100
        Width of a throughput bin, in the history's time unit.
    time_unit : float, default 0.001
        Seconds per unit of the history's times (the simulator's and the runtime's: ms).

    Returns
    -------
    Performance

    Examples
    --------
    >>> h = History()
    >>> for i in range(4):
    ...     h.invoke("c1", "put", i, time=10.0 * i, key="x")
    ...     h.complete("c1", "ok", "put", None, time=10.0 * i + 4.0, key="x")
    >>> p = performance(h, bin=20.0)
    >>> p.throughput
    ((0.0, 100.0), (20.0, 100.0))
    >>> p.latency(50)
    4.0
    """
    if not isinstance(history, History):
        raise TypeError(f"performance: history={history!r} must be a dslib.sim.History")
    for name, v in (("bin", bin), ("time_unit", time_unit)):
        if not (is_number(v) and v > 0):
            raise ValueError(f"performance: {name}={v!r} must be a number > 0")
    ops = history.operations()
    finite = [op for op in ops if op.complete_time < float("inf")]
    points = tuple(
        (op.invoke_time, op.complete_time - op.invoke_time, str(op.f), op.status) for op in finite
    )
    last = max((op.complete_time for op in finite), default=0.0)
    n = int(last // bin) + 1 if finite else 0
    counts = [0] * n
    for op in finite:
        if op.status == "ok":
            counts[min(int(op.complete_time // bin), n - 1)] += 1
    per_second = 1.0 / (bin * time_unit)
    throughput = tuple((i * bin, c * per_second) for i, c in enumerate(counts))
    return Performance(float(bin), throughput, points)


# -- figures ------------------------------------------------------------------------------------
def _shade(ax: Any, faults: Sequence[FaultInterval], labels: bool = False) -> None:
    seen: set[str] = set()
    for f in faults:
        label = f.kind if labels and f.kind not in seen else None
        seen.add(f.kind)
        ax.axvspan(
            f.start, max(f.end, f.start + 1e-9), color=FAULT_COLOURS[f.kind], alpha=0.18,
            lw=0, label=label,
        )  # fmt: skip


_ROLE_COLOURS = {"leader": None, "candidate": "#ffbb78", "follower": "#c7c7c7", DOWN: "#ffffff"}
_TERM_COLOURS = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22")


def draw_timeline(
    timeline: Timeline,
    faults: Sequence[FaultInterval] = (),
    *,
    title: str | None = None,
    width: float = 9.0,
    until: float | None = None,
) -> Any:
    """Draw a ``Timeline``: one lane per server, its role over time; one lane per group
    with the shards it serves; the commit index of every group below; faults shaded.

    A leader's bar is coloured by its term (and labelled with it where there is room),
    a candidate's is light orange, a follower's grey, a crashed server's empty.

    Parameters
    ----------
    timeline : Timeline
    faults : sequence of FaultInterval
        Drawn as shaded intervals behind both panels (``fault_intervals(sim.trace)``).
    title : str, optional
    width : float, default 9
        Width of the figure in inches.
    until : float, optional
        Draw only up to this time (default: the end of the run).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(timeline, Timeline):
        raise TypeError(f"draw_timeline: timeline={timeline!r} must be a Timeline")
    if until is not None and not (is_number(until) and until > 0):
        raise ValueError(f"draw_timeline: until={until!r} must be a number > 0 or None")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    with_shards = {s.group for s in timeline.samples if s.shards}
    lanes: list[tuple[str, str, str]] = []  # (kind, group, node)
    for group, nodes in timeline.groups:
        lanes += [("server", group, n) for n in nodes]
        if group in with_shards:
            lanes.append(("shards", group, ""))
    height = 0.9 + 0.24 * len(lanes) + 1.3
    fig = Figure(figsize=(width, height), dpi=100)
    grid = fig.add_gridspec(2, 1, height_ratios=[0.24 * len(lanes) + 0.4, 1.2], hspace=0.08)
    ax = fig.add_subplot(grid[0])
    low = fig.add_subplot(grid[1], sharex=ax)
    _shade(ax, faults, labels=True)
    _shade(low, faults)
    end = timeline.end if until is None else min(float(until), timeline.end)
    for y, (kind, group, node) in enumerate(lanes):
        row = len(lanes) - 1 - y
        if kind == "server":
            for sample, stop in timeline.spans(node):
                stop = min(stop, end)
                if stop <= sample.time:
                    continue
                colour = (
                    _ROLE_COLOURS[sample.role] or _TERM_COLOURS[sample.term % len(_TERM_COLOURS)]
                )
                tall = 0.7 if sample.role == "leader" else 0.4
                ax.barh(row, stop - sample.time, left=sample.time, height=tall, color=colour,
                        edgecolor="#555555" if sample.role == DOWN else colour, lw=0.5)  # fmt: skip
            for lead in timeline.leaderships():
                shown = min(lead.end, end) - lead.start
                if lead.node == node and shown > 0.05 * end:
                    ax.text(lead.start + shown / 2, row, f"t{lead.term}", ha="center",
                            va="center", fontsize=7, color="white")  # fmt: skip
        else:
            for start, stop, shards in timeline.ownership(group):
                stop = min(stop, end)
                if stop <= start:
                    continue
                ax.barh(row, stop - start, left=start, height=0.5, color="#fdd0a2",
                        edgecolor="#a63603", lw=0.4)  # fmt: skip
                if stop - start > 0.06 * end:
                    text = " ".join(str(s) for s in shards) or "-"
                    ax.text((start + stop) / 2, row, text, ha="center", va="center", fontsize=6)
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels(
        [f"{g} shards" if k == "shards" else f"{g}/{n}" if len(timeline.groups) > 1 else n
         for k, g, n in reversed(lanes)], fontsize=7,
    )  # fmt: skip
    ax.set_ylim(-0.6, len(lanes) - 0.4)
    ax.tick_params(labelbottom=False)
    handles = [Patch(color=_TERM_COLOURS[1], label="leader (colour: term)"),
               Patch(color=_ROLE_COLOURS["candidate"], label="candidate"),
               Patch(color=_ROLE_COLOURS["follower"], label="follower"),
               Patch(facecolor="white", edgecolor="#555555", label="down")]  # fmt: skip
    kinds = sorted({f.kind for f in faults})
    handles += [Patch(color=FAULT_COLOURS[k], alpha=0.3, label=k) for k in kinds]
    ax.legend(handles=handles, fontsize=6, ncol=min(len(handles), 5), loc="lower left",
              bbox_to_anchor=(0.0, 1.0), frameon=False)  # fmt: skip
    for group, _nodes in timeline.groups:
        xs: list[float] = []
        ys: list[float] = []
        best = 0
        for s in sorted(
            (s for s in timeline.samples if s.group == group), key=lambda s: (s.time, s.node)
        ):
            if s.time > end:
                break
            if s.commit_index > best:
                best = s.commit_index
                xs.append(s.time)
                ys.append(best)
        if xs:
            low.step([*xs, end], [*ys, ys[-1]], where="post", lw=1.2, label=group)
    labelled = -math.inf
    for t, label in timeline.marks:
        if t > end:
            continue
        for axis in (ax, low):
            axis.axvline(t, color="#444444", lw=0.6, ls=":")
        if t - labelled > 0.03 * end:  # a label only where it does not cover the last one
            ax.text(t, len(lanes) - 0.45, label, fontsize=6, ha="center", va="bottom")
            labelled = t
    low.set_ylabel("commit index", fontsize=8)
    low.set_xlabel("time (ms)", fontsize=8)
    low.set_xlim(0, end)
    low.tick_params(labelsize=7)
    if len(timeline.groups) > 1:
        low.legend(fontsize=6, ncol=min(len(timeline.groups), 8), loc="upper left")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(left=0.12, right=0.98, top=1 - 0.55 / height, bottom=0.45 / height)
    return fig


def draw_performance(
    perf: Performance,
    faults: Sequence[FaultInterval] = (),
    *,
    title: str | None = None,
    width: float = 9.0,
) -> Any:
    """Draw what the clients felt, as a Jepsen report does: the latency of every operation
    at its invocation time (log scale; ``info`` and ``fail`` marked apart) above the
    throughput of ``ok`` operations per bin, with the faults shaded behind both.

    Parameters
    ----------
    perf : Performance
    faults : sequence of FaultInterval
    title : str, optional
    width : float, default 9

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(perf, Performance):
        raise TypeError(f"draw_performance: perf={perf!r} must be a Performance")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, 4.2), dpi=100)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1.6, 1.0])
    _shade(top, faults, labels=True)
    _shade(bottom, faults)
    fs = sorted({p[2] for p in perf.points})
    markers = {"ok": "o", "info": "x", "fail": "s"}
    for f in fs:
        for status in ("ok", "info", "fail"):
            pts = [(t, max(lat, 1e-3)) for t, lat, g, st in perf.points if g == f and st == status]
            if pts:
                top.scatter(
                    [p[0] for p in pts], [p[1] for p in pts], s=6 if status == "ok" else 14,
                    marker=markers[status], label=f"{f} {status}", alpha=0.7,
                    linewidths=0.8 if status != "ok" else 0,
                )  # fmt: skip
    top.set_yscale("log")
    top.set_ylabel("latency (ms)", fontsize=8)
    top.legend(fontsize=6, ncol=6, loc="lower left", bbox_to_anchor=(0.0, 1.0), frameon=False)
    top.tick_params(labelsize=7)
    xs = [t for t, _ in perf.throughput]
    ys = [v for _, v in perf.throughput]
    if xs:
        bottom.step([*xs, xs[-1] + perf.bin], [*ys, ys[-1]], where="post", lw=1.2)
    bottom.set_ylabel("ok ops/s", fontsize=8)
    bottom.set_xlabel("time (ms)", fontsize=8)
    bottom.tick_params(labelsize=7)
    if xs:
        bottom.set_xlim(0, xs[-1] + perf.bin)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
