"""Scheduling: filter and score over CPU and memory, bin packing, affinity, preemption.

A scheduler places each task on a node in two steps, as Kubernetes' scheduler does [3]_:
it *filters* out the nodes the task cannot run on (not enough CPU or memory left, a node
label the task requires missing, a task it refuses to share a node with already there),
then *scores* the nodes left and takes the best. The score is the policy:

- ``"first_fit"``: the first feasible node in the cluster's order;
- ``"best_fit"``: the node with the least room left after placing (packs tightly, so
  whole nodes stay free for large tasks; Kubernetes' ``MostAllocated``);
- ``"spread"``: the node with the most room left (spreads load and blast radius;
  Kubernetes' ``LeastAllocated``, its default).

Room left is the mean of the free CPU and free memory fractions (``free_share``), as
Kubernetes scores it. Packing a list of tasks one by one with first fit after sorting
them by *dominant share* (the larger of their CPU and memory fractions of a node),
largest first, is *first fit decreasing* (FFD), whose packing of
one resource never uses more than 11/9 OPT + 6/9 nodes [1]_; first fit in arrival order
never more than 1.7 OPT [2]_ (both bounds are tight).

A task that fits no node is not an exception: it stays pending, and the result carries
the event a real orchestrator reports, e.g. ``0/3 nodes are available: 3 Insufficient
cpu.`` (Kubernetes' ``FailedScheduling`` event, one count per reason, sorted). With
``preemption=True`` the scheduler then looks for a node where evicting tasks of strictly
lower priority, lowest first, makes room (Kubernetes' pod priority and preemption).

Resources are integers: CPU in millicores, memory in MiB, so that capacity checks are
exact and the optimum can be computed by exhaustive search and by z3 and compared.

Mutants (``MUTANTS``, selected with ``mutant=``): ``overcommit`` (the filter compares a
request with the node's capacity, not with what is left), ``ffd_ascending`` (first fit
decreasing sorts smallest first), ``preempts_higher`` (preemption evicts tasks whatever
their priority), ``ignores_anti_affinity`` (the filter forgets anti-affinity).

Examples
--------
>>> nodes = [NodeSpec("n1", cpu=1000, memory=1024), NodeSpec("n2", cpu=2000, memory=1024)]
>>> cluster = Cluster(tuple(nodes))
>>> schedule(TaskSpec("web", cpu=1500, memory=256), cluster).node
'n2'
>>> print(schedule(TaskSpec("big", cpu=4000, memory=256), cluster).event)
0/2 nodes are available: 2 Insufficient cpu.

References
----------
.. [1] G. Dósa, "The Tight Bound of First Fit Decreasing Bin-Packing Algorithm Is
   FFD(I) <= 11/9 OPT(I) + 6/9", ESCAPE 2007, LNCS 4614, section 1 (Theorem).
.. [2] G. Dósa and J. Sgall, "First Fit bin packing: A tight analysis", STACS 2013,
   section 1 (FF(I) <= floor(1.7 OPT(I))).
.. [3] Kubernetes documentation, "Kubernetes Scheduler" (section "Scheduling with
   kube-scheduler": filtering and scoring) and "Pod Priority and Preemption".
.. [4] A. Verma et al., "Large-scale cluster management at Google with Borg",
   EuroSys 2015, section 3.2 (Scheduling: feasibility checking and scoring,
   best fit versus worst fit, preemption).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from dslib.mutants import Outcome, check_mutant

__all__ = [
    "CAUGHT_BY",
    "CHECKS",
    "FFD_WORST",
    "HEURISTICS",
    "MUTANTS",
    "POLICIES",
    "Cluster",
    "NodeSpec",
    "PackResult",
    "SchedulingResult",
    "TaskSpec",
    "capacity_violations",
    "check_anti_affinity",
    "check_capacity_every_placement",
    "check_ffd_bound",
    "check_preemption_priorities",
    "dominant_share",
    "failed_scheduling_event",
    "filter_nodes",
    "fragmentation",
    "free_share",
    "mutant_report",
    "optimal_node_count",
    "optimal_node_count_z3",
    "pack",
    "schedule",
    "utilisation",
]

MUTANTS: dict[str, str] = {
    "overcommit": "the filter compares a request with the node's whole capacity, not with "
    "what is left, so a node is given more than it has",
    "ffd_ascending": "first fit decreasing sorts the tasks smallest first",
    "preempts_higher": "preemption evicts tasks whatever their priority, even a higher one",
    "ignores_anti_affinity": "the filter forgets anti-affinity, so two tasks that refuse "
    "each other share a node",
}
"""Broken versions of the scheduler, by name, with what is wrong."""

POLICIES = ("first_fit", "best_fit", "spread")
"""The scoring policies of ``schedule``."""

HEURISTICS = ("first_fit", "best_fit", "spread", "first_fit_decreasing", "best_fit_decreasing")


def _amount(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}: {name}={value!r} must be an int ({_UNITS[name]})")
    if value < 0:
        raise ValueError(f"{owner}: {name}={value!r} is negative; allowed: an int >= 0")
    return value


_UNITS = {"cpu": "millicores", "memory": "MiB"}


def _pairs(owner: str, name: str, value: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(value, dict):
        value = tuple(sorted(value.items()))
    if not isinstance(value, tuple) or not all(
        isinstance(p, tuple) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in value
    ):
        raise TypeError(f"{owner}: {name}={value!r} must be a dict or tuple of (str, str) pairs")
    return tuple(sorted(value))


@dataclass(frozen=True)
class NodeSpec:
    """A worker node: its name, capacity and labels.

    Parameters
    ----------
    name : str
    cpu : int
        Millicores (1000 = one core), >= 0.
    memory : int
        MiB, >= 0.
    labels : dict or tuple of (str, str), optional
        E.g. ``{"zone": "a"}``; a task's ``affinity`` requires some of them.

    Raises
    ------
    ValueError
        For a negative capacity.

    Examples
    --------
    >>> NodeSpec("n1", cpu=2000, memory=4096, labels={"zone": "a"}).labels
    (('zone', 'a'),)
    >>> NodeSpec("n1", cpu=-1, memory=0)
    Traceback (most recent call last):
    ...
    ValueError: NodeSpec 'n1': cpu=-1 is negative; allowed: an int >= 0
    """

    name: str
    cpu: int
    memory: int
    labels: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"NodeSpec: name={self.name!r} must be a non-empty string")
        owner = f"NodeSpec {self.name!r}"
        _amount(owner, "cpu", self.cpu)
        _amount(owner, "memory", self.memory)
        object.__setattr__(self, "labels", _pairs(owner, "labels", self.labels))


@dataclass(frozen=True)
class TaskSpec:
    """A task to place: its requests, priority and placement constraints.

    Parameters
    ----------
    name : str
    cpu, memory : int
        The requests (millicores, MiB), >= 0.
    priority : int, default 0
        Higher wins: preemption may evict tasks of strictly lower priority.
    app : str, optional
        The application it belongs to (what ``anti_affinity`` names).
    affinity : dict or tuple of (str, str), optional
        Node labels the task requires (Kubernetes' required node affinity).
    anti_affinity : tuple of str, optional
        Apps the task refuses to share a node with (required pod anti-affinity,
        topology key ``hostname``).

    Examples
    --------
    >>> TaskSpec("web-1", cpu=500, memory=256, app="web", anti_affinity=("web",)).anti_affinity
    ('web',)
    >>> TaskSpec("t", cpu=0, memory=-5)
    Traceback (most recent call last):
    ...
    ValueError: TaskSpec 't': memory=-5 is negative; allowed: an int >= 0
    """

    name: str
    cpu: int
    memory: int
    priority: int = 0
    app: str = ""
    affinity: tuple[tuple[str, str], ...] = ()
    anti_affinity: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"TaskSpec: name={self.name!r} must be a non-empty string")
        owner = f"TaskSpec {self.name!r}"
        _amount(owner, "cpu", self.cpu)
        _amount(owner, "memory", self.memory)
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise TypeError(f"{owner}: priority={self.priority!r} must be an int")
        object.__setattr__(self, "affinity", _pairs(owner, "affinity", self.affinity))
        if isinstance(self.anti_affinity, str) or not all(
            isinstance(a, str) for a in self.anti_affinity
        ):
            raise TypeError(
                f"{owner}: anti_affinity={self.anti_affinity!r} must be a tuple of apps"
            )
        object.__setattr__(self, "anti_affinity", tuple(sorted(self.anti_affinity)))


@dataclass(frozen=True)
class Cluster:
    """Nodes and the tasks placed on them (an immutable value).

    ``placed`` is a tuple of ``(task, node name)`` in placement order.

    Examples
    --------
    >>> c = Cluster((NodeSpec("n1", 1000, 1000),)).place(TaskSpec("a", 300, 100), "n1")
    >>> c.used("n1"), c.free("n1")
    ((300, 100), (700, 900))
    """

    nodes: tuple[NodeSpec, ...]
    placed: tuple[tuple[TaskSpec, str], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.nodes, tuple) or not all(
            isinstance(n, NodeSpec) for n in self.nodes
        ):
            raise TypeError(f"Cluster: nodes={self.nodes!r} must be a tuple of NodeSpec")
        if not isinstance(self.placed, tuple) or not all(
            isinstance(p, tuple)
            and len(p) == 2
            and isinstance(p[0], TaskSpec)
            and isinstance(p[1], str)
            for p in self.placed
        ):
            raise TypeError(
                f"Cluster: placed={self.placed!r} must be a tuple of (TaskSpec, node name) pairs"
            )
        names = [n.name for n in self.nodes]
        if len(set(names)) != len(names):
            raise ValueError(f"Cluster: node names repeat: {names}")
        known = set(names)
        for task, node in self.placed:
            if node not in known:
                raise ValueError(f"Cluster: task {task.name!r} is on unknown node {node!r}")

    def node(self, name: str) -> NodeSpec:
        """The node called ``name``."""
        for n in self.nodes:
            if n.name == name:
                return n
        raise ValueError(f"Cluster: no node {name!r}; nodes: {[n.name for n in self.nodes]}")

    def tasks_on(self, name: str) -> tuple[TaskSpec, ...]:
        """The tasks on node ``name``, in placement order."""
        return tuple(t for t, n in self.placed if n == name)

    def used(self, name: str) -> tuple[int, int]:
        """CPU and memory requested by the tasks on node ``name``."""
        tasks = self.tasks_on(name)
        return sum(t.cpu for t in tasks), sum(t.memory for t in tasks)

    def free(self, name: str) -> tuple[int, int]:
        """CPU and memory left on node ``name`` (negative if overcommitted)."""
        node = self.node(name)
        cpu, memory = self.used(name)
        return node.cpu - cpu, node.memory - memory

    def place(self, task: TaskSpec, node: str) -> Cluster:
        """The cluster with ``task`` on ``node`` (no check: that is the scheduler's job)."""
        self.node(node)
        return replace(self, placed=(*self.placed, (task, node)))

    def evict(self, names: Iterable[str]) -> Cluster:
        """The cluster without the tasks called ``names``."""
        gone = set(names)
        return replace(self, placed=tuple(p for p in self.placed if p[0].name not in gone))

    def nodes_used(self) -> int:
        """How many nodes hold at least one task."""
        return len({n for _t, n in self.placed})


def dominant_share(cpu: int, memory: int, node: NodeSpec) -> Fraction:
    """The larger of ``cpu`` and ``memory`` as a fraction of the node's capacity.

    A resource the node has none of counts as 0 if nothing is asked, else as infinite
    (represented by 10**9).

    >>> dominant_share(500, 512, NodeSpec("n", 1000, 4096))
    Fraction(1, 2)
    """
    shares = []
    for need, have in ((cpu, node.cpu), (memory, node.memory)):
        if have == 0:
            shares.append(Fraction(0) if need <= 0 else Fraction(10**9))
        else:
            shares.append(Fraction(need, have))
    return max(shares)


def filter_nodes(
    task: TaskSpec, cluster: Cluster, mutant: str | None = None
) -> tuple[list[str], dict[str, list[str]]]:
    """The nodes ``task`` fits on, and why each other node was filtered out.

    Parameters
    ----------
    task : TaskSpec
    cluster : Cluster
    mutant : str, optional
        A name in ``MUTANTS`` (``overcommit`` or ``ignores_anti_affinity`` change the filter).

    Returns
    -------
    feasible : list of str
        Node names in the cluster's order.
    reasons : dict of str to list of str
        For each filtered node, its reasons in Kubernetes' words: ``Insufficient cpu``,
        ``Insufficient memory``, ``node(s) didn't match Pod's node affinity/selector``,
        ``node(s) didn't match pod anti-affinity rules``.

    Examples
    --------
    >>> c = Cluster((NodeSpec("n1", 1000, 512), NodeSpec("n2", 1000, 2048)))
    >>> filter_nodes(TaskSpec("t", 500, 1024), c)
    (['n2'], {'n1': ['Insufficient memory']})
    """
    check_mutant("filter_nodes", mutant, MUTANTS)
    feasible: list[str] = []
    reasons: dict[str, list[str]] = {}
    for node in cluster.nodes:
        why = []
        if mutant == "overcommit":  # BUG: the request against the whole node, not what is left
            free_cpu, free_memory = node.cpu, node.memory
        else:
            free_cpu, free_memory = cluster.free(node.name)
        if task.cpu > free_cpu:
            why.append("Insufficient cpu")
        if task.memory > free_memory:
            why.append("Insufficient memory")
        labels = dict(node.labels)
        if any(labels.get(k) != v for k, v in task.affinity):
            why.append("node(s) didn't match Pod's node affinity/selector")
        if mutant != "ignores_anti_affinity" and _anti_affinity_conflict(
            task, cluster.tasks_on(node.name)
        ):  # the mutant skips this rule
            why.append("node(s) didn't match pod anti-affinity rules")
        if why:
            reasons[node.name] = why
        else:
            feasible.append(node.name)
    return feasible, reasons


def _anti_affinity_conflict(task: TaskSpec, others: Sequence[TaskSpec]) -> bool:
    """Anti-affinity is symmetric, as Kubernetes enforces it: either side may refuse."""
    return any(
        (o.app and o.app in task.anti_affinity) or (task.app and task.app in o.anti_affinity)
        for o in others
    )


def _score(policy: str, task: TaskSpec, cluster: Cluster, name: str) -> Fraction:
    """Higher is better; first fit scores every node alike, so the earliest wins."""
    if policy == "first_fit":
        return Fraction(0)
    node = cluster.node(name)
    cpu, memory = cluster.free(name)
    left = free_share(cpu - task.cpu, memory - task.memory, node)
    return -left if policy == "best_fit" else left


def free_share(cpu: int, memory: int, node: NodeSpec) -> Fraction:
    """The share of a node left free: the mean of the free CPU and memory fractions.

    As Kubernetes' ``LeastAllocated`` and ``MostAllocated`` scores do, the resources the
    node has none of are left out.

    >>> free_share(500, 1024, NodeSpec("n", 1000, 4096))
    Fraction(3, 8)
    """
    shares = [
        Fraction(free, have) for free, have in ((cpu, node.cpu), (memory, node.memory)) if have
    ]
    return sum(shares, Fraction(0)) / len(shares) if shares else Fraction(0)


def failed_scheduling_event(reasons: dict[str, list[str]], nodes: int) -> str:
    """Kubernetes' ``FailedScheduling`` message: one count per reason, sorted as text.

    >>> failed_scheduling_event({"n1": ["Insufficient cpu"], "n2": ["Insufficient cpu"]}, 2)
    '0/2 nodes are available: 2 Insufficient cpu.'
    """
    counts: dict[str, int] = {}
    for why in reasons.values():
        for r in why:
            counts[r] = counts.get(r, 0) + 1
    parts = sorted(f"{n} {r}" for r, n in counts.items())
    if not parts:
        return f"0/{nodes} nodes are available."
    return f"0/{nodes} nodes are available: {', '.join(parts)}."


@dataclass(frozen=True)
class SchedulingResult:
    """Where a task went, or why it did not.

    Attributes
    ----------
    task : TaskSpec
    node : str or None
        ``None``: the task is pending.
    cluster : Cluster
        The cluster after the decision (with the task placed, victims evicted).
    event : str
        ``Scheduled`` with the node, or the ``FailedScheduling`` message.
    victims : tuple of str
        Tasks evicted to make room (preemption).

    Examples
    --------
    >>> c = Cluster((NodeSpec("n1", 1000, 1000),))
    >>> schedule(TaskSpec("a", 100, 100), c).event
    'Successfully assigned a to n1'
    """

    task: TaskSpec
    node: str | None
    cluster: Cluster
    event: str
    victims: tuple[str, ...] = ()

    @property
    def scheduled(self) -> bool:
        """The task was placed."""
        return self.node is not None


def schedule(
    task: TaskSpec,
    cluster: Cluster,
    policy: str = "first_fit",
    preemption: bool = False,
    mutant: str | None = None,
) -> SchedulingResult:
    """Filter, score and place one task; if nothing fits, maybe preempt.

    Parameters
    ----------
    task : TaskSpec
    cluster : Cluster
    policy : {"first_fit", "best_fit", "spread"}, default "first_fit"
        The score; ties go to the earlier node.
    preemption : bool, default False
        If no node fits, evict tasks of strictly lower priority (lowest first, then the
        most recently placed) from the node that needs the lowest-priority, then the
        fewest, victims.
    mutant : str, optional
        A name in ``MUTANTS``.

    Returns
    -------
    SchedulingResult
        Never raises for a task that fits nowhere: the result is pending, with the event.

    Raises
    ------
    ValueError
        For an unknown policy or mutant.

    Examples
    --------
    >>> c = Cluster((NodeSpec("n1", 1000, 1000), NodeSpec("n2", 1000, 1000)))
    >>> c = schedule(TaskSpec("a", 600, 100), c).cluster
    >>> schedule(TaskSpec("b", 300, 100), c, policy="best_fit").node
    'n1'
    >>> schedule(TaskSpec("b", 300, 100), c, policy="spread").node
    'n2'
    >>> full = schedule(TaskSpec("c", 900, 100), c).cluster
    >>> r = schedule(TaskSpec("d", 900, 100, priority=10), full, preemption=True)
    >>> r.node, r.victims
    ('n1', ('a',))
    """
    if policy not in POLICIES:
        raise ValueError(f"schedule: policy={policy!r}; allowed: {', '.join(POLICIES)}")
    check_mutant("schedule", mutant, MUTANTS)
    feasible, reasons = filter_nodes(task, cluster, mutant)
    if feasible:
        best = max(feasible, key=lambda n: (_score(policy, task, cluster, n), -feasible.index(n)))
        return SchedulingResult(
            task, best, cluster.place(task, best), f"Successfully assigned {task.name} to {best}"
        )
    event = failed_scheduling_event(reasons, len(cluster.nodes))
    if preemption:
        found = _preempt(task, cluster, mutant)
        if found is not None:
            node, victims = found
            after = cluster.evict(victims).place(task, node)
            return SchedulingResult(
                task,
                node,
                after,
                f"Successfully assigned {task.name} to {node} (preempted {', '.join(victims)})",
                tuple(victims),
            )
        event += " No preemption victims found for incoming pod."
    return SchedulingResult(task, None, cluster, event)


def _preempt(task: TaskSpec, cluster: Cluster, mutant: str | None) -> tuple[str, list[str]] | None:
    best: tuple[tuple[int, int, int], str, list[str]] | None = None
    for index, node in enumerate(cluster.nodes):
        placed = list(cluster.tasks_on(node.name))
        if mutant == "preempts_higher":  # BUG: any task may be evicted, whatever its priority
            candidates = placed
        else:
            candidates = [t for t in placed if t.priority < task.priority]
        order = sorted(candidates, key=lambda t: (t.priority, -placed.index(t)))
        victims: list[str] = []
        for victim in [None, *order]:
            if victim is not None:
                victims.append(victim.name)
            trial = cluster.evict(victims)
            if node.name in filter_nodes(task, trial, mutant)[0]:
                worst = max((t.priority for t in placed if t.name in victims), default=-(10**9))
                key = (worst, len(victims), index)
                if best is None or key < best[0]:
                    best = (key, node.name, list(victims))
                break
    return None if best is None else (best[1], best[2])


# -- packing a list of tasks -------------------------------------------------------------------
@dataclass(frozen=True)
class PackResult:
    """The result of packing tasks one by one.

    Attributes
    ----------
    cluster : Cluster
        Where the placed tasks are.
    pending : tuple of str
        Tasks that fit nowhere.
    events : tuple of str
        One event per task, in the order they were scheduled.

    Examples
    --------
    >>> r = pack([TaskSpec("a", 600, 0), TaskSpec("b", 600, 0)], [NodeSpec("n1", 1000, 0)])
    >>> r.pending, r.events[1]
    (('b',), '0/1 nodes are available: 1 Insufficient cpu.')
    """

    cluster: Cluster
    pending: tuple[str, ...]
    events: tuple[str, ...] = field(default=())

    @property
    def nodes_used(self) -> int:
        """How many nodes hold a task."""
        return self.cluster.nodes_used()


def pack(
    tasks: Sequence[TaskSpec],
    nodes: Sequence[NodeSpec],
    heuristic: str = "first_fit_decreasing",
    mutant: str | None = None,
    on_place: Callable[[Cluster], None] | None = None,
) -> PackResult:
    """Schedule ``tasks`` one by one onto ``nodes`` with a packing heuristic.

    Parameters
    ----------
    tasks : sequence of TaskSpec
    nodes : sequence of NodeSpec
    heuristic : str, default "first_fit_decreasing"
        ``first_fit``, ``best_fit`` or ``spread`` (in the given order), or
        ``first_fit_decreasing``, ``best_fit_decreasing`` (largest dominant share first,
        measured against the first node; ties keep the given order).
    mutant : str, optional
        A name in ``MUTANTS``.
    on_place : callable, optional
        Called with the cluster after every placement (where checks of every placement
        hook in).

    Returns
    -------
    PackResult

    Examples
    --------
    >>> sizes = [400, 400, 600, 600]
    >>> tasks = [TaskSpec(f"t{i}", s, 0) for i, s in enumerate(sizes)]
    >>> nodes = [NodeSpec(f"n{i}", 1000, 0) for i in range(4)]
    >>> pack(tasks, nodes, "first_fit").nodes_used, pack(tasks, nodes).nodes_used
    (3, 2)
    """
    if heuristic not in HEURISTICS:
        raise ValueError(f"pack: heuristic={heuristic!r}; allowed: {', '.join(HEURISTICS)}")
    check_mutant("pack", mutant, MUTANTS)
    nodes = tuple(nodes)
    if not nodes:
        raise ValueError("pack: no nodes; give at least one NodeSpec")
    order = list(tasks)
    policy = heuristic.removesuffix("_decreasing")
    if heuristic.endswith("_decreasing"):
        reference = nodes[0]

        def size(t: TaskSpec) -> Fraction:
            return dominant_share(t.cpu, t.memory, reference)

        # the mutant sorts smallest first
        order.sort(key=size, reverse=mutant != "ffd_ascending")
    cluster = Cluster(nodes)
    pending, events = [], []
    for task in order:
        result = schedule(task, cluster, policy, mutant=mutant)
        cluster = result.cluster
        events.append(result.event)
        if not result.scheduled:
            pending.append(task.name)
        elif on_place is not None:
            on_place(cluster)
    return PackResult(cluster, tuple(pending), tuple(events))


# -- measures ---------------------------------------------------------------------------------
def capacity_violations(cluster: Cluster) -> list[str]:
    """The nodes whose tasks request more than the node has, described.

    >>> c = Cluster((NodeSpec("n1", 1000, 100),)).place(TaskSpec("a", 1200, 0), "n1")
    >>> capacity_violations(c)
    ['n1: cpu 1200/1000']
    """
    out = []
    for node in cluster.nodes:
        cpu, memory = cluster.used(node.name)
        if cpu > node.cpu:
            out.append(f"{node.name}: cpu {cpu}/{node.cpu}")
        if memory > node.memory:
            out.append(f"{node.name}: memory {memory}/{node.memory}")
    return out


def utilisation(cluster: Cluster) -> tuple[float, float]:
    """CPU and memory requested over the capacity of the nodes in use (1.0: full).

    >>> c = Cluster((NodeSpec("n1", 1000, 1000), NodeSpec("n2", 1000, 1000)))
    >>> utilisation(c.place(TaskSpec("a", 500, 250), "n1"))
    (0.5, 0.25)
    """
    used = sorted({n for _t, n in cluster.placed})
    if not used:
        return 0.0, 0.0
    cap_cpu = sum(cluster.node(n).cpu for n in used)
    cap_memory = sum(cluster.node(n).memory for n in used)
    req_cpu = sum(cluster.used(n)[0] for n in used)
    req_memory = sum(cluster.used(n)[1] for n in used)
    return (
        req_cpu / cap_cpu if cap_cpu else 0.0,
        req_memory / cap_memory if cap_memory else 0.0,
    )


def fragmentation(cluster: Cluster, probe: TaskSpec) -> float:
    """The share of the free CPU on the nodes in use that is stranded: on nodes where
    ``probe`` does not fit.

    Free capacity is only useful if a task fits in it; remainders scattered over the nodes
    in use that no task of the probe's size can use are fragmentation (0.0: none; 1.0: all
    of it is stranded). Empty nodes are left out, as in ``utilisation``: they are whole.

    >>> c = Cluster((NodeSpec("n1", 1000, 1000), NodeSpec("n2", 1000, 1000)))
    >>> c = c.place(TaskSpec("a", 700, 0), "n1").place(TaskSpec("b", 400, 0), "n2")
    >>> fragmentation(c, TaskSpec("p", 500, 0))
    0.3333333333333333
    """
    free_total = stranded = 0
    for name in sorted({n for _t, n in cluster.placed}):
        cpu, memory = cluster.free(name)
        if cpu <= 0:
            continue
        free_total += cpu
        if probe.cpu > cpu or probe.memory > memory:
            stranded += cpu
    return stranded / free_total if free_total else 0.0


# -- the optimum --------------------------------------------------------------------------------
def _validate_shape(tasks: Sequence[TaskSpec], node: NodeSpec, owner: str) -> None:
    for t in tasks:
        if t.cpu > node.cpu or t.memory > node.memory:
            raise ValueError(
                f"{owner}: task {t.name!r} ({t.cpu} m, {t.memory} MiB) does not fit an empty "
                f"node ({node.cpu} m, {node.memory} MiB): no packing exists"
            )


def optimal_node_count(tasks: Sequence[TaskSpec], node: NodeSpec, limit: int = 12) -> int:
    """The fewest identical ``node``-sized nodes that hold all ``tasks``: exhaustive search.

    Each task in turn goes into a node already opened or into one new node (which breaks
    the symmetry between empty nodes); a branch stops as soon as it opens as many nodes as
    the best packing found so far. Exponential: ``limit`` tasks at most.

    Raises
    ------
    ValueError
        If a task is larger than a node, or there are more than ``limit`` tasks.

    Examples
    --------
    >>> node = NodeSpec("n", 10, 10)
    >>> tasks = [TaskSpec(f"t{i}", s, 0) for i, s in enumerate([6, 4, 6, 4, 5, 5])]
    >>> optimal_node_count(tasks, node)
    3
    """
    if len(tasks) > limit:
        raise ValueError(
            f"optimal_node_count: {len(tasks)} tasks; the search is exponential, allowed: "
            f"at most limit={limit}"
        )
    _validate_shape(tasks, node, "optimal_node_count")
    items = sorted(((t.cpu, t.memory) for t in tasks), reverse=True)
    best = len(items)
    loads: list[list[int]] = []

    def search(i: int) -> None:
        nonlocal best
        if len(loads) >= best:
            return
        if i == len(items):
            best = len(loads)
            return
        cpu, memory = items[i]
        for load in loads:
            if load[0] + cpu <= node.cpu and load[1] + memory <= node.memory:
                load[0] += cpu
                load[1] += memory
                search(i + 1)
                load[0] -= cpu
                load[1] -= memory
        loads.append([cpu, memory])
        search(i + 1)
        loads.pop()

    search(0)
    return best if items else 0


def optimal_node_count_z3(tasks: Sequence[TaskSpec], node: NodeSpec) -> int:
    """The same optimum, found by z3's optimiser (an independent second opinion).

    Variables: the node of each task (task ``i`` on a node ``<= i``: symmetry breaking);
    constraints: each node's CPU and memory sums fit; objective: minimise the nodes used.

    Examples
    --------
    >>> node = NodeSpec("n", 10, 10)
    >>> tasks = [TaskSpec(f"t{i}", s, 0) for i, s in enumerate([6, 4, 6, 4, 5, 5])]
    >>> optimal_node_count_z3(tasks, node)
    3
    """
    import z3

    _validate_shape(tasks, node, "optimal_node_count_z3")
    n = len(tasks)
    if n == 0:
        return 0
    where = [z3.Int(f"node_{i}") for i in range(n)]
    used = [z3.Bool(f"used_{j}") for j in range(n)]
    opt = z3.Optimize()
    for i, w in enumerate(where):
        opt.add(w >= 0, w <= i)
        opt.add(z3.Or([z3.And(w == j, used[j]) for j in range(i + 1)]))
    for j in range(n):
        opt.add(z3.Sum([z3.If(where[i] == j, tasks[i].cpu, 0) for i in range(n)]) <= node.cpu)
        opt.add(z3.Sum([z3.If(where[i] == j, tasks[i].memory, 0) for i in range(n)]) <= node.memory)
    count = z3.Sum([z3.If(u, 1, 0) for u in used])
    opt.minimize(count)
    if opt.check() != z3.sat:  # pragma: no cover - every task fits a node of its own
        raise RuntimeError("optimal_node_count_z3: z3 found no packing")
    model = opt.model()
    return len({model.eval(w).as_long() for w in where})


# -- checks (each catches a mutant) --------------------------------------------------------------
def _tasks(sizes: Sequence[tuple[int, int]], prefix: str = "t") -> list[TaskSpec]:
    return [TaskSpec(f"{prefix}{i}", c, m) for i, (c, m) in enumerate(sizes)]


CAPACITY_CASES: tuple[tuple[tuple[int, int], ...], ...] = (
    ((600, 100), (600, 100), (300, 900), (300, 200)),
    ((500, 500), (500, 500), (500, 500), (100, 100)),
    ((900, 100), (200, 800), (200, 200)),
)


def check_capacity_every_placement(mutant: str | None = None) -> Outcome:
    """The capacity invariant after every placement, every heuristic, a few workloads.

    Two nodes of 1000 m and 1000 MiB; the counterexample length is the number of
    placements before the first overcommitted node.

    >>> check_capacity_every_placement().ok, check_capacity_every_placement("overcommit").ok
    (True, False)
    """
    nodes = [NodeSpec("n1", 1000, 1000), NodeSpec("n2", 1000, 1000)]
    for case in CAPACITY_CASES:
        for heuristic in HEURISTICS:
            states: list[Cluster] = []
            pack(_tasks(case), nodes, heuristic, mutant=mutant, on_place=states.append)
            for count, cluster in enumerate(states, 1):
                bad = capacity_violations(cluster)
                if bad:
                    return Outcome(
                        False, count, f"after {count} placements ({heuristic}): {bad[0]}"
                    )
    return Outcome(True)


FFD_WORST: tuple[int, ...] = (4, 4, 4, 4, 4, 4, 6, 6, 6, 6, 6, 6)
"""Sizes (node capacity 10) that FFD packs optimally into 6 nodes and smallest first into 9."""


def check_ffd_bound(mutant: str | None = None) -> Outcome:
    """FFD uses at most 11/9 OPT + 6/9 nodes on fixed one-resource instances.

    >>> check_ffd_bound().ok, check_ffd_bound("ffd_ascending")
    (True, Outcome(ok=False, counterexample_length=12, detail='FFD used 9 nodes; OPT 6, bound 8.0'))
    """
    cases = [FFD_WORST, (5, 5, 3, 3, 2, 2), (7, 3, 6, 4, 5, 5), (2, 5, 4, 7, 1, 3, 8)]
    for sizes in cases:
        tasks = _tasks([(s, 0) for s in sizes])
        node = NodeSpec("n", 10, 0)
        nodes = [replace(node, name=f"n{i}") for i in range(len(sizes))]
        got = pack(tasks, nodes, "first_fit_decreasing", mutant=mutant).nodes_used
        opt = optimal_node_count(tasks, node)
        if 9 * got > 11 * opt + 6:
            bound = round((11 * opt + 6) / 9, 2)
            return Outcome(False, len(sizes), f"FFD used {got} nodes; OPT {opt}, bound {bound}")
    return Outcome(True)


def check_preemption_priorities(mutant: str | None = None) -> Outcome:
    """Preemption evicts only tasks of strictly lower priority than the incoming one.

    >>> check_preemption_priorities().ok, check_preemption_priorities("preempts_higher").ok
    (True, False)
    """
    nodes = (NodeSpec("n1", 1000, 1000), NodeSpec("n2", 1000, 1000))
    cluster = Cluster(nodes)
    cluster = cluster.place(TaskSpec("low", 600, 100, priority=1), "n1")
    cluster = cluster.place(TaskSpec("high", 600, 100, priority=100), "n2")
    for incoming in (
        TaskSpec("mid", 800, 100, priority=50),
        TaskSpec("top", 800, 100, priority=200),
    ):
        for trial in (cluster, cluster.evict(["low"]).place(TaskSpec("vip", 600, 100, 1000), "n1")):
            r = schedule(incoming, trial, preemption=True, mutant=mutant)
            priorities = {t.name: t.priority for t, _n in trial.placed}
            bad = [v for v in r.victims if priorities[v] >= incoming.priority]
            if bad:
                who = f"{incoming.name} (priority {incoming.priority})"
                victims = ", ".join(f"{v} (priority {priorities[v]})" for v in bad)
                return Outcome(False, 1, f"{who} evicted {victims}")
    return Outcome(True)


def check_anti_affinity(mutant: str | None = None) -> Outcome:
    """No two tasks that refuse each other share a node, for every heuristic.

    >>> check_anti_affinity().ok, check_anti_affinity("ignores_anti_affinity").ok
    (True, False)
    """
    nodes = [NodeSpec(f"n{i}", 1000, 1000) for i in range(3)]
    tasks = [TaskSpec(f"web-{i}", 200, 200, app="web", anti_affinity=("web",)) for i in range(3)]
    for heuristic in HEURISTICS:
        r = pack(tasks, nodes, heuristic, mutant=mutant)
        for node in nodes:
            on = r.cluster.tasks_on(node.name)
            if any(_anti_affinity_conflict(t, [o for o in on if o is not t]) for t in on):
                names = ", ".join(t.name for t in on)
                return Outcome(False, len(on), f"{heuristic}: {names} share {node.name}")
    return Outcome(True)


CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "capacity on every placement": check_capacity_every_placement,
    "FFD within 11/9 OPT + 6/9": check_ffd_bound,
    "preemption only of lower priority": check_preemption_priorities,
    "anti-affinity respected": check_anti_affinity,
}
"""The scheduler's checks by name; each takes a mutant name (or ``None``)."""

CAUGHT_BY: dict[str, tuple[str, ...]] = {
    "overcommit": ("capacity on every placement",),
    "ffd_ascending": ("FFD within 11/9 OPT + 6/9",),
    "preempts_higher": ("preemption only of lower priority",),
    "ignores_anti_affinity": ("anti-affinity respected",),
}
"""The check that must catch each mutant."""


def mutant_report() -> Any:
    """Run every check on the correct scheduler and each mutant (``dslib.mutants``).

    >>> mutant_report().ok
    True
    """
    from dslib.mutants import Mutant, run_mutants

    mutants: list[Mutant[str | None]] = [
        Mutant(name, MUTANTS[name], _named(name), CAUGHT_BY[name]) for name in MUTANTS
    ]
    return run_mutants(_named(None), mutants, CHECKS)


def _named(name: str | None) -> Callable[[], str | None]:
    """A factory that builds a mutant's name (``None``: the correct version), which is what
    the checks take."""
    return lambda: name
