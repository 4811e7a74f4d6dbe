"""A whole cluster in the simulator: API server, controllers, kubelets, an operator.

``build_cluster`` makes the system (node ids ``api``, ``controllers``, ``operator`` and
``node1`` .. ``nodeN``); ``run_cluster`` runs it under a fault schedule and takes a
``Snapshot`` every second: what the store wants, and what the kubelets of live nodes
really run. ``converged`` is the goal of every controller: the observed state equals the
desired state, in the store *and* on the nodes.

The two measurements of the chapter:

- ``lost_event_run``: a watch event is lost (the link from the API server to the
  controllers is cut for a few seconds while the operator scales up); the
  level-triggered controllers converge at their next list, the edge-triggered mutant
  never does;
- ``convergence_sweep``: seeded random schedules of node crashes and partitions (all
  healed at ``heal``); how long after the last fault the cluster converges, for each seed
  (``benchmarks/sweep_orchestration.py`` runs it on many seeds).

Examples
--------
>>> run = run_cluster(ClusterSpec(), seed=0, until=30.0)
>>> run.converged_at
9.0
>>> snap = run.snapshots[-1]
>>> snap.desired, len(snap.running), sorted({p.node for p in snap.running})
({'web': 4}, 4, ['node1', 'node2'])
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.orchestration.controllers import (
    ControllerConfig,
    ControllerManager,
    Placement,
    first_fit,
)
from dslib.orchestration.kubelet import Image, Kubelet, KubeletConfig, KubeletState
from dslib.orchestration.store import ApiState, Deployment, NodeInfo, Put, PutReply, Store, key_of
from dslib.sim import Crash, Cut, Heal, Network, Partition, Restart, Simulation, uniform

__all__ = [
    "ClusterRun",
    "ClusterSpec",
    "Image",
    "Operator",
    "OperatorState",
    "RunningPod",
    "Snapshot",
    "build_cluster",
    "converged",
    "convergence_sweep",
    "deployment_pods",
    "fault_schedule",
    "lost_event_run",
    "run_cluster",
    "snapshot",
]


@dataclass(frozen=True)
class OperatorState:
    """How many script entries were sent, and the keys not yet acknowledged."""

    sent: int = 0
    unacked: tuple[tuple[str, Any], ...] = ()


class Operator(Node[OperatorState]):
    """A person with ``kubectl apply``: writes each object of ``script`` at its time.

    Writes are unconditional and resent every 2 seconds until acknowledged.
    ``apply_at`` adds to the script while a simulation runs (the widget's buttons).
    """

    def __init__(self, script: Iterable[tuple[float, Any]] = (), api: str = "api") -> None:
        self.script = sorted(script, key=lambda e: e[0])
        self.api = api

    def apply_at(self, time: float, obj: Any) -> None:
        """Write ``obj`` at ``time`` (not before the entries already in the script)."""
        key_of(obj)
        last = self.script[-1][0] if self.script else 0.0
        self.script.append((max(time, last), obj))

    def init(self, ctx: Context) -> OperatorState:
        ctx.set_timer("tick", 0.5)
        return OperatorState()

    def on_timer(self, ctx: Context, state: OperatorState, timer: Any) -> OperatorState:
        ctx.set_timer("tick", 0.5)
        sent, unacked = state.sent, dict(state.unacked)
        while sent < len(self.script) and self.script[sent][0] <= ctx.now:
            obj = self.script[sent][1]
            unacked[key_of(obj)] = obj
            ctx.send(self.api, Put(obj))
            sent += 1
        if timer == "tick" and round(ctx.now * 2) % 4 == 0:
            for obj in unacked.values():
                ctx.send(self.api, Put(obj))
        return OperatorState(sent, tuple(sorted(unacked.items())))

    def on_message(self, ctx: Context, state: OperatorState, src: str, msg: Any) -> OperatorState:
        if isinstance(msg, PutReply) and msg.ok:
            return replace(state, unacked=tuple(e for e in state.unacked if e[0] != msg.key))
        return state


@dataclass(frozen=True)
class ClusterSpec:
    """What cluster to build.

    Attributes
    ----------
    nodes : int, default 3
        Workers ``node1`` .. ``nodeN``.
    cpu : int, default 2
        CPUs of each worker (a pod asks for 1 unless its deployment says otherwise).
    deployments : tuple of Deployment
        In the store from the start (default: ``web``, 4 replicas of ``v1``).
    script : tuple of (float, object)
        Later writes by the operator.
    controller : ControllerConfig
    kubelet : KubeletConfig
    images : tuple of (str, Image)
        Versions that behave differently from ``Image()``.

    Examples
    --------
    >>> ClusterSpec(nodes=0)
    Traceback (most recent call last):
    ...
    ValueError: ClusterSpec: nodes=0 must be an int >= 1
    """

    nodes: int = 3
    cpu: int = 2
    deployments: tuple[Deployment, ...] = (Deployment("web", 4, "v1"),)
    script: tuple[tuple[float, Any], ...] = ()
    controller: ControllerConfig = field(default_factory=ControllerConfig)
    kubelet: KubeletConfig = field(default_factory=KubeletConfig)
    images: tuple[tuple[str, Image], ...] = ()

    def __post_init__(self) -> None:
        for name in ("nodes", "cpu"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"ClusterSpec: {name}={v!r} must be an int >= 1")

    @property
    def workers(self) -> tuple[str, ...]:
        """The workers' node ids."""
        return tuple(f"node{i + 1}" for i in range(self.nodes))


def build_cluster(
    spec: ClusterSpec,
    seed: int = 0,
    faults: Iterable[tuple[float, Any]] = (),
    network: Network | None = None,
    placement: Placement = first_fit,
) -> Simulation:
    """The cluster of ``spec`` as a ``Simulation``, with ``faults`` scheduled.

    Parameters
    ----------
    spec : ClusterSpec
    seed : int
    faults : iterable of (float, fault)
        ``dslib.sim`` faults (``Crash``, ``Restart``, ``Partition``, ``Cut``, ``Heal``).
    network : Network, optional
        Default: latency uniform between 0.05 and 0.25 seconds, no loss, first in first
        out on each link (a watch is a TCP stream: its events arrive in order).
    placement : callable, default first_fit
        The scheduler's choice of node (chapter 10.2's schedulers plug in here).
    """
    if not isinstance(spec, ClusterSpec):
        raise TypeError(f"build_cluster: spec={spec!r} must be a ClusterSpec")
    initial = [NodeInfo(w, spec.cpu) for w in spec.workers] + list(spec.deployments)
    from dslib.orchestration.store import ApiServer

    nodes: dict[str, Node[Any]] = {
        "api": ApiServer(initial),
        "controllers": ControllerManager(spec.controller, placement),
        "operator": Operator(spec.script),
    }
    for w in spec.workers:
        nodes[w] = Kubelet(spec.images, spec.kubelet)
    if network is None:
        network = Network(latency=uniform(0.05, 0.25), fifo=True)
    sim = Simulation(System(nodes), seed=seed, network=network, record_trace=False)
    for t, fault in faults:
        sim.at(t, fault)
    return sim


@dataclass(frozen=True)
class RunningPod:
    """A container running on a live worker, with the deployment it belongs to."""

    name: str
    deployment: str
    version: str
    node: str
    ready: bool


@dataclass(frozen=True)
class Snapshot:
    """The cluster at one time: the desired state and what really runs.

    Attributes
    ----------
    time : float
    desired : dict of str to int
        Each deployment's replicas.
    versions : dict of str to str
        Each deployment's version.
    running : tuple of RunningPod
        Containers on live workers.
    nodes : dict of str to bool
        Each worker as the store sees it (ready or not).
    down : tuple of str
        Workers that are crashed.
    converged : bool
    """

    time: float
    desired: dict[str, int]
    versions: dict[str, str]
    running: tuple[RunningPod, ...]
    nodes: dict[str, bool]
    down: tuple[str, ...]
    converged: bool

    def __hash__(self) -> int:
        return hash((self.time, self.running, self.converged))


def _owners(store: Store) -> dict[str, str]:
    return {rs.name: rs.owner or rs.name for rs in store.list("rs")}


def converged(sim: Simulation) -> bool:
    """Does the observed state equal the desired state, everywhere?

    Every deployment's current replica set wants ``replicas`` pods and its old ones none;
    the store holds exactly those pods, each bound to a ready worker, running and ready;
    each live worker runs exactly the pods bound to it, all ready; no pod is bound to a
    crashed worker.
    """
    store: Store = sim.states["api"].store
    pods = store.list("pod")
    sets = store.list("rs")
    ready_nodes = {n.name for n in store.list("node") if n.ready}
    wanted = 0
    for dep in store.list("deploy"):
        own = [rs for rs in sets if rs.owner == dep.name]
        for rs in own:
            if rs.replicas != (dep.replicas if rs.version == dep.version else 0):
                return False
        if not any(rs.version == dep.version for rs in own):
            return False
        names = {rs.name for rs in own}
        mine = [p for p in pods if p.owner in names]
        wanted += dep.replicas
        if len(mine) != dep.replicas or any(p.version != dep.version for p in mine):
            return False
    if len(pods) != wanted:
        return False
    for p in pods:
        if p.node not in ready_nodes or p.node in sim.crashed or not p.ready:
            return False
    for w, st in sim.states.items():
        if not isinstance(st, KubeletState) or w in sim.crashed:
            continue
        bound = sorted(p.name for p in pods if p.node == w)
        if [c.name for c in st.containers] != bound:
            return False
        if not all(c.ready and c.phase == "Running" for c in st.containers):
            return False
    return True


def snapshot(sim: Simulation) -> Snapshot:
    """What the store wants and what the live workers run, now."""
    api: ApiState = sim.states["api"]
    store = api.store
    owners = _owners(store)
    running = []
    for w in sorted(sim.states):
        st = sim.states[w]
        if not isinstance(st, KubeletState) or w in sim.crashed:
            continue
        for c in st.containers:
            owner = c.name.rsplit("-", 1)[0]
            running.append(RunningPod(c.name, owners.get(owner, owner), c.version, w, c.ready))
    return Snapshot(
        time=sim.now,
        desired={d.name: d.replicas for d in store.list("deploy")},
        versions={d.name: d.version for d in store.list("deploy")},
        running=tuple(running),
        nodes={n.name: n.ready for n in store.list("node")},
        down=tuple(sorted(sim.crashed)),
        converged=converged(sim),
    )


def deployment_pods(running: Sequence[RunningPod], deployment: str) -> list[RunningPod]:
    """The running pods of ``deployment``."""
    return [p for p in running if p.deployment == deployment]


@dataclass(frozen=True)
class ClusterRun:
    """A run sampled every second.

    Attributes
    ----------
    snapshots : tuple of Snapshot
    converged_at : float or None
        The first sample time from which every later sample is converged (``None``: the
        last one is not).
    events : tuple of str
        The store's events at the end, ``reason involved: message``, by time.
    """

    snapshots: tuple[Snapshot, ...]
    converged_at: float | None
    events: tuple[str, ...]

    @property
    def times(self) -> tuple[float, ...]:
        """The sample times."""
        return tuple(s.time for s in self.snapshots)

    def __hash__(self) -> int:
        return hash((self.converged_at, self.events))


def events_of(store: Store) -> tuple[str, ...]:
    """The store's events as text, by time then name."""
    evs = sorted(store.list("event"), key=lambda e: (e.time, e.name))
    return tuple(f"{e.time:6.1f}  {e.reason} {e.involved}: {e.message}" for e in evs)


def run_cluster(
    spec: ClusterSpec,
    seed: int = 0,
    until: float = 60.0,
    faults: Iterable[tuple[float, Any]] = (),
    network: Network | None = None,
    placement: Placement = first_fit,
) -> ClusterRun:
    """Build the cluster, run it to ``until`` and sample it every second.

    Examples
    --------
    >>> run = run_cluster(ClusterSpec(nodes=1, cpu=2), until=10.0)
    >>> run.converged_at is None, run.events[0]
    (True, '   4.0  FailedScheduling web-v1-7.2: 0/1 nodes available: insufficient cpu')
    """
    sim = build_cluster(spec, seed, faults, network, placement)
    snaps = []
    t = 0.0
    while t < until:
        t += 1.0
        sim.run(until=t)
        snaps.append(snapshot(sim))
    at = None
    for s in reversed(snaps):
        if not s.converged:
            break
        at = s.time
    return ClusterRun(tuple(snaps), at, events_of(sim.states["api"].store))


def lost_event_run(mutant: str | None = None, seed: int = 0, until: float = 60.0) -> ClusterRun:
    """Scale ``web`` from 4 to 6 at t=20 while the API server's link to the controllers is cut.

    The cut (one way, ``api`` -> ``controllers``, from 19.5 to 23) drops the watch event of
    the change; the controllers' own writes still get through.

    Examples
    --------
    >>> lost_event_run().converged_at is not None
    True
    >>> lost_event_run("edge_triggered").converged_at is None
    True
    """
    spec = ClusterSpec(
        script=((20.0, Deployment("web", 6, "v1")),),
        controller=ControllerConfig(mutant=mutant),
    )
    faults = [(19.5, Cut("api", "controllers")), (23.0, Heal())]
    return run_cluster(spec, seed, until, faults)


def fault_schedule(
    rng: random.Random,
    workers: Sequence[str],
    faults: int = 3,
    start: float = 15.0,
    heal: float = 60.0,
) -> list[tuple[float, Any]]:
    """A random schedule of worker crashes and partitions in ``[start, heal)``, healed at ``heal``.

    Each fault is, with equal chance, a crash of a worker, a partition that isolates a
    worker, or a partition that separates the controllers from the API server. At most
    ``len(workers) - 1`` workers crash. Everything is healed at ``heal``, and every
    crashed worker restarts then, except (half the time) one that stays down for good: its
    pods must move, and the others leave room for them.

    Examples
    --------
    >>> fault_schedule(random.Random(1), ["node1", "node2", "node3"], faults=1)[0]
    (19.7, Crash(node='node2'))
    """
    everyone = ("api", "controllers", "operator", *workers)
    out: list[tuple[float, Any]] = []
    crashed: list[str] = []
    for _ in range(faults):
        t = round(rng.uniform(start, heal - 10.0), 1)
        kind = rng.choice(("crash", "isolate", "split"))
        w = rng.choice(list(workers))
        if kind == "crash" and w not in crashed and len(crashed) < len(workers) - 1:
            crashed.append(w)
            out.append((t, Crash(w)))
        elif kind == "isolate":
            rest = tuple(sorted(n for n in everyone if n != w))
            out.append((t, Partition(((w,), rest))))
        else:
            rest = tuple(sorted(n for n in everyone if n != "controllers"))
            out.append((t, Partition((("controllers",), rest))))
    out.sort(key=lambda e: e[0])
    stays_down = rng.choice(crashed) if crashed and rng.random() < 0.5 else None
    restarts = [(heal, Restart(w)) for w in sorted(crashed) if w != stays_down]
    return [*out, (heal, Heal()), *restarts]


def convergence_sweep(
    seeds: Iterable[int],
    mutant: str | None = None,
    faults: int = 3,
    heal: float = 60.0,
    until: float = 120.0,
) -> Any:
    """For each seed: a random fault schedule, then how long the cluster takes to converge.

    Returns
    -------
    pandas.DataFrame
        ``seed``, ``faults`` (the schedule, short), ``converged at`` (the start of the
        last converged stretch; ``None``: not converged at ``until``), ``after heal (s)``
        (0 when the faults left the final state undisturbed and it was converged before).

    Examples
    --------
    >>> convergence_sweep([0])[["seed", "converged at"]]
       seed  converged at
    0     0          65.0
    """
    import pandas as pd

    rows = []
    spec = ClusterSpec(controller=ControllerConfig(mutant=mutant))
    for seed in seeds:
        schedule = fault_schedule(
            random.Random(f"orchestration:{seed}"), spec.workers, faults, heal=heal
        )
        run = run_cluster(spec, seed, until, schedule)
        short = "; ".join(f"{t:g} {_short(f)}" for t, f in schedule)
        at = run.converged_at
        rows.append(
            {
                "seed": seed,
                "faults": short,
                "converged at": at,
                "after heal (s)": None if at is None else max(0.0, at - heal),
            }
        )
    return pd.DataFrame(rows)


def _short(fault: Any) -> str:
    if isinstance(fault, Partition):
        return "isolate " + ",".join(fault.groups[0])
    if isinstance(fault, (Crash, Restart)):
        return f"{type(fault).__name__.lower()} {fault.node}"
    return type(fault).__name__.lower()
