"""Controllers: loops that make the observed state match the desired state.

A controller watches the store, compares what is wanted with what is there, and writes
the difference: the replica-set controller creates and deletes pods, the deployment
controller resizes replica sets (a rolling update, ``dslib.orchestration.rollout``), the
node controller marks a node whose heartbeats stopped ``NotReady`` and, later, evicts its
pods, and the scheduler binds each unbound pod to a node. All four run in one node of the
simulator, ``ControllerManager`` (as in Kubernetes' ``kube-controller-manager``).

**Level-triggered.** The controller keeps a cache of the store (an "informer"): it lists
everything, then applies the watch's changes; every ``period`` it reconciles from the
*whole* cache, and every ``resync`` it lists again. A lost watch event, a controller that
restarts, a write that failed: the next comparison of desired with observed sees the
difference and repairs it: the controller acts on the level (what the state is), not on
the edge (what just changed), in the words of digital circuits.

**Edge-triggered (the mutant ``edge_triggered``).** The controller acts on each change
as it arrives: a replica set grew by two, create two pods; a pod was deleted, create one.
It never compares the totals, so when a change is lost (a message dropped, the controller
partitioned away) nothing ever makes up for it. ``dslib.orchestration.spec`` shows the
lasso; ``dslib.orchestration.cluster.lost_event_run`` shows it in the simulator.

To avoid creating a pod twice while its creation is in flight, a controller remembers the
objects it wrote and has not yet seen come back (Kubernetes' "expectations"): a replica
set with writes in flight is left alone until they are seen, or until the next full list.

Examples
--------
>>> pods = [Pod("web-1", "web", "v1", ready=True), Pod("web-2", "web", "v1")]
>>> reconcile_replica_set(3, pods)
(1, ())
>>> reconcile_replica_set(1, pods)
(0, ('web-2',))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dslib.core import Context, Node
from dslib.mutants import check_mutant
from dslib.orchestration import rollout
from dslib.orchestration.store import (
    Change,
    Delete,
    Deployment,
    Event,
    List,
    ListReply,
    NodeInfo,
    Pod,
    Put,
    PutReply,
    ReplicaSet,
    Store,
    TooOld,
    Watch,
    WatchEvent,
    key_of,
)

__all__ = [
    "MUTANTS",
    "ControllerConfig",
    "ControllerManager",
    "ControllerState",
    "Placement",
    "first_fit",
    "reconcile_replica_set",
    "schedule_message",
]

MUTANTS = {
    "edge_triggered": "controllers act on each watch event's change and never re-list or "
    "compare totals: a lost event is never made up for",
    "never_evicts": "the node controller marks a silent node NotReady but never evicts its "
    "pods, so they are never rescheduled",
    **rollout.MUTANTS,
}
"""The control plane's broken versions, by name (``ControllerConfig(mutant=...)``)."""

Placement = Callable[[Pod, Sequence[NodeInfo], Sequence[Pod]], "str | None"]
"""``placement(pod, ready_nodes, bound_pods)``: the node to bind ``pod`` to, or ``None``."""


def first_fit(pod: Pod, nodes: Sequence[NodeInfo], pods: Sequence[Pod]) -> str | None:
    """The first ready node (by name) with ``pod.cpu`` CPUs free, or ``None``.

    The trivial placement; chapter 10.2's schedulers have the same signature.

    >>> first_fit(Pod("p", "rs", "v1", cpu=2), [NodeInfo("n1", 2), NodeInfo("n2", 4)],
    ...           [Pod("q", "rs", "v1", cpu=1, node="n1")])
    'n2'
    """
    used: dict[str, int] = {}
    for p in pods:
        if p.node is not None:
            used[p.node] = used.get(p.node, 0) + p.cpu
    for node in sorted(nodes, key=lambda n: n.name):
        if node.cpu - used.get(node.name, 0) >= pod.cpu:
            return node.name
    return None


def schedule_message(pod: Pod, nodes: Sequence[NodeInfo], pods: Sequence[Pod]) -> str:
    """Why ``pod`` fits no node, as Kubernetes words a ``FailedScheduling`` event.

    >>> schedule_message(Pod("p", "rs", "v1", cpu=3), [NodeInfo("n1", 2),
    ...                  NodeInfo("n2", 4, ready=False)], [])
    '0/2 nodes available: 1 insufficient cpu, 1 not ready'
    """
    short = sum(
        1
        for n in nodes
        if n.ready and n.cpu - sum(p.cpu for p in pods if p.node == n.name) < pod.cpu
    )
    down = sum(1 for n in nodes if not n.ready)
    why = []
    if short:
        why.append("insufficient cpu" if short == len(nodes) else f"{short} insufficient cpu")
    if down:
        why.append("not ready" if down == len(nodes) else f"{down} not ready")
    return f"0/{len(nodes)} nodes available: " + ", ".join(why)


def _deletion_order(pod: Pod) -> tuple[bool, bool, bool, str]:
    # unscheduled first, then not running, then not ready; the newest name last wins ties
    return (pod.node is not None, pod.phase == "Running", pod.ready, pod.name)


def reconcile_replica_set(replicas: int, pods: Sequence[Pod]) -> tuple[int, tuple[str, ...]]:
    """Compare the desired count with the pods that exist: how many to create, which to delete.

    Parameters
    ----------
    replicas : int
        The replica set's desired size.
    pods : sequence of Pod
        The pods it owns now.

    Returns
    -------
    (int, tuple of str)
        How many pods to create, and the names of the pods to delete: the unscheduled
        first, then those not running, then the unready (the order Kubernetes uses, so a
        scale-down removes the pods that serve nobody).

    Examples
    --------
    >>> pods = [Pod("a", "rs", "v1", node="n1", phase="Running", ready=True),
    ...         Pod("b", "rs", "v1", node="n1", phase="Running"), Pod("c", "rs", "v1")]
    >>> reconcile_replica_set(1, pods)
    (0, ('c', 'b'))
    """
    if replicas >= len(pods):
        return replicas - len(pods), ()
    doomed = sorted(pods, key=_deletion_order)[: len(pods) - replicas]
    return 0, tuple(p.name for p in doomed)


@dataclass(frozen=True)
class ControllerConfig:
    """How the control plane's loops run.

    Attributes
    ----------
    period : float, default 1.0
        Reconcile every ``period`` seconds (level-triggered).
    resync : float, default 10.0
        List the whole store again every ``resync`` seconds.
    node_grace : float, default 4.0
        A node whose last heartbeat is older is marked ``NotReady`` (Kubernetes: 40 s).
    eviction_timeout : float, default 10.0
        Its pods are evicted once the heartbeat is this old (Kubernetes: 5 minutes).
    progress_deadline : float, default 30.0
        A rolling update whose new pods are not all ready this long after the new replica
        set was created is rolled back (if ``rollback``).
    rollback : bool, default True
    mutant : str, optional
        A name in ``MUTANTS``.

    Examples
    --------
    >>> ControllerConfig(mutant="edge")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ControllerConfig: unknown mutant 'edge'; allowed: None or one of [...]
    """

    period: float = 1.0
    resync: float = 10.0
    node_grace: float = 4.0
    eviction_timeout: float = 10.0
    progress_deadline: float = 30.0
    rollback: bool = True
    mutant: str | None = None

    def __post_init__(self) -> None:
        for name in ("period", "resync", "node_grace", "eviction_timeout", "progress_deadline"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"ControllerConfig: {name}={value!r} must be a number > 0")
        check_mutant("ControllerConfig", self.mutant, MUTANTS)


@dataclass(frozen=True)
class ControllerState:
    """The controller manager's state.

    Attributes
    ----------
    cache : Store
        Its copy of the store (no change history), at ``cache.revision``.
    synced : bool
        A list has been answered since the start (or since a ``TooOld``).
    in_flight : tuple of (str, str)
        ``(key, owner)`` of writes not yet seen back: the owner's replica set waits.
    quiet : tuple of str
        Pods it deleted itself (the edge-triggered mutant does not replace them).
    """

    cache: Store = field(default_factory=Store)
    synced: bool = False
    in_flight: tuple[tuple[str, str], ...] = ()
    quiet: tuple[str, ...] = ()


class ControllerManager(Node[ControllerState]):
    """The replica-set, deployment and node controllers and the scheduler, as one node.

    Parameters
    ----------
    config : ControllerConfig
    placement : callable, default first_fit
        ``placement(pod, ready_nodes, bound_pods) -> node name or None``.
    api : str, default "api"
        The API server's node id.
    """

    def __init__(
        self,
        config: ControllerConfig | None = None,
        placement: Placement = first_fit,
        api: str = "api",
    ) -> None:
        config = ControllerConfig() if config is None else config
        if not isinstance(config, ControllerConfig):
            raise TypeError(f"ControllerManager: config={config!r} must be a ControllerConfig")
        if not callable(placement):
            raise TypeError(f"ControllerManager: placement={placement!r} must be a function")
        self.config = config
        self.placement = placement
        self.api = api
        self.edge = config.mutant == "edge_triggered"

    def init(self, ctx: Context) -> ControllerState:
        ctx.send(self.api, List())
        ctx.set_timer("relist", self.config.resync)
        ctx.set_timer("reconcile", self.config.period)
        return ControllerState()

    # -- the informer ---------------------------------------------------------------
    def on_message(
        self, ctx: Context, state: ControllerState, src: str, msg: Any
    ) -> ControllerState:
        if isinstance(msg, ListReply):
            # a list replaces the cache even if watch events overtook it: the new watch
            # from the list's revision sends those changes again
            cache = Store(objects=msg.objects, revision=msg.revision, history=1)
            ctx.send(self.api, Watch(msg.revision))
            first = not state.synced
            state = replace(state, cache=cache, synced=True, in_flight=())
            if self.edge and first:  # an informer reports each listed object as added
                for key, obj, version in msg.objects:
                    state = self._on_edge(ctx, state, Change(version, key, obj), None)
            return state
        if isinstance(msg, WatchEvent):
            return self._apply(ctx, state, msg.change)
        if isinstance(msg, TooOld):
            ctx.send(self.api, List())
            return replace(state, synced=False)
        if isinstance(msg, PutReply) and not msg.ok:
            return replace(state, in_flight=tuple(f for f in state.in_flight if f[0] != msg.key))
        return state

    def _apply(self, ctx: Context, state: ControllerState, change: Change) -> ControllerState:
        if not state.synced or change.revision <= state.cache.revision:
            return state
        before = state.cache.get(change.key)
        cache = state.cache
        if change.obj is None:
            if before is not None:
                cache, _ = cache.delete(change.key)
        else:
            cache, _ = cache.put(change.obj)
        objects = tuple(
            (k, o, change.revision if k == change.key else v) for k, o, v in cache.objects
        )
        cache = Store(objects=objects, revision=change.revision, history=1)
        state = replace(
            state, cache=cache, in_flight=tuple(f for f in state.in_flight if f[0] != change.key)
        )
        if self.edge:
            state = self._on_edge(ctx, state, change, None if before is None else before[0])
        return state

    def on_timer(self, ctx: Context, state: ControllerState, timer: Any) -> ControllerState:
        if timer == "relist":
            ctx.set_timer("relist", self.config.resync)
            if not self.edge:  # the level-triggered safety net: list everything again
                ctx.send(self.api, List())
            return state
        ctx.set_timer("reconcile", self.config.period)
        if not state.synced:
            return state
        state = self._node_controller(ctx, state)
        if self.edge:
            return state
        state = self._deployment_controller(ctx, state)
        state = self._replica_set_controller(ctx, state)
        return self._scheduler(ctx, state)

    # -- writing --------------------------------------------------------------------
    def _put(
        self, ctx: Context, state: ControllerState, obj: Any, owner: str, create: bool = False
    ) -> ControllerState:
        key = key_of(obj)
        got = state.cache.get(key)
        expected = 0 if create or got is None else got[1]
        ctx.send(self.api, Put(obj, expected))
        return replace(state, in_flight=(*state.in_flight, (key, owner)))

    def _delete(self, ctx: Context, state: ControllerState, pod: Pod) -> ControllerState:
        key = key_of(pod)
        got = state.cache.get(key)
        ctx.send(self.api, Delete(key, None if got is None else got[1]))
        return replace(state, in_flight=(*state.in_flight, (key, pod.owner)))

    def _event(
        self, ctx: Context, state: ControllerState, reason: str, message: str, involved: str
    ) -> ControllerState:
        name = f"{involved}.{reason}"
        got = state.cache.get(f"event/{name}")
        if got is not None and got[0].message == message:
            return state  # already reported; Kubernetes would bump a count
        ctx.send(self.api, Put(Event(name, reason, message, involved, ctx.now)))
        return state

    def _busy(self, state: ControllerState, owner: str) -> bool:
        return any(o == owner for _, o in state.in_flight)

    # -- the loops ------------------------------------------------------------------
    def _node_controller(self, ctx: Context, state: ControllerState) -> ControllerState:
        cfg = self.config
        pods = state.cache.list("pod")
        nodes = state.cache.list("node")
        # Kubernetes' "full disruption" rule: when no node is ready, the fault is more
        # likely the controller's own view (it is cut off) than every node: evict nothing
        everyone_lost = all(ctx.now - n.heartbeat > cfg.node_grace for n in nodes)
        for node in nodes:
            silent = ctx.now - node.heartbeat
            if node.ready and silent > cfg.node_grace and not self._busy(state, node.name):
                state = self._put(ctx, state, replace(node, ready=False), node.name)
                state = self._event(
                    ctx, state, "NodeNotReady", f"no heartbeat for {silent:.0f}s", node.name
                )
            elif not node.ready and silent > cfg.eviction_timeout and not everyone_lost:
                if cfg.mutant == "never_evicts":
                    continue  # the bug: the lost node's pods stay bound to it forever
                for pod in pods:
                    if pod.node == node.name and not self._busy(state, pod.owner):
                        state = self._delete(ctx, state, pod)
                        state = replace(state, in_flight=state.in_flight[:-1])
                        state = self._event(
                            ctx, state, "Evicted", f"node {node.name} lost", pod.name
                        )
        return state

    def _deployment_controller(self, ctx: Context, state: ControllerState) -> ControllerState:
        sets = state.cache.list("rs")
        pods = state.cache.list("pod")
        for dep in state.cache.list("deploy"):
            own = [rs for rs in sets if rs.owner == dep.name]
            if any(self._busy(state, name) for name in (dep.name, *(rs.name for rs in own))):
                continue  # wait until its last writes (and its sets' pods) are seen
            new = next((rs for rs in own if rs.version == dep.version), None)
            if new is None:
                rs = ReplicaSet(f"{dep.name}-{dep.version}", 0, dep.version, dep.cpu, dep.name)
                state = self._put(ctx, state, replace(rs, created=ctx.now), dep.name, True)
                continue
            old = sorted((rs for rs in own if rs is not new), key=lambda r: (r.created, r.name))

            def ready(rs: ReplicaSet) -> int:
                # pods beyond the set's size are about to be deleted: they do not count
                return min(rs.replicas, sum(1 for p in pods if p.owner == rs.name and p.ready))

            new_ready = ready(new)
            newest = all(new.created > r.created for r in old)  # a rollout, not a rollback
            if old and newest and self.config.rollback and any(r.replicas for r in old):
                deadline = self.config.progress_deadline
                if rollout.should_roll_back(
                    ctx.now, new.created, deadline, new_ready, dep.replicas
                ):
                    back = max(old, key=lambda r: (r.replicas, r.created)).version
                    state = self._put(ctx, state, replace(dep, version=back), dep.name)
                    msg = f"{dep.version} not ready after {deadline:.0f}s: back to {back}"
                    state = self._event(ctx, state, "RolledBack", msg, dep.name)
                    continue
            size, sizes = rollout.rolling_update_step(
                dep.replicas,
                dep.max_unavailable,
                dep.max_surge,
                new.replicas,
                tuple(r.replicas for r in old),
                new_ready,
                sum(ready(r) for r in old),
                mutant=self.config.mutant,
            )
            if size != new.replicas:
                state = self._put(ctx, state, replace(new, replicas=size), dep.name)
            for rs, s in zip(old, sizes, strict=True):
                if s != rs.replicas:
                    state = self._put(ctx, state, replace(rs, replicas=s), dep.name)
        return state

    def _replica_set_controller(self, ctx: Context, state: ControllerState) -> ControllerState:
        pods = state.cache.list("pod")
        for rs in state.cache.list("rs"):
            if self._busy(state, rs.name):
                continue
            owned = [p for p in pods if p.owner == rs.name]
            create, delete = reconcile_replica_set(rs.replicas, owned)
            state = self._create_pods(ctx, state, rs, create)
            for pod in owned:
                if pod.name in delete:
                    state = self._delete(ctx, state, pod)
                    state = replace(state, quiet=(*state.quiet[-50:], pod.name))
        return state

    def _create_pods(
        self, ctx: Context, state: ControllerState, rs: ReplicaSet, count: int
    ) -> ControllerState:
        for i in range(count):
            name = f"{rs.name}-{state.cache.revision}.{i}"
            state = self._put(ctx, state, Pod(name, rs.name, rs.version, rs.cpu), rs.name, True)
        return state

    def _scheduler(self, ctx: Context, state: ControllerState) -> ControllerState:
        nodes = state.cache.list("node")
        ready = [n for n in nodes if n.ready]
        bound = [p for p in state.cache.list("pod") if p.node is not None]
        for pod in state.cache.list("pod"):
            if pod.node is not None or self._busy(state, pod.name):
                continue
            where = self.placement(pod, ready, bound)
            if where is None:
                msg = schedule_message(pod, nodes, bound)
                state = self._event(ctx, state, "FailedScheduling", msg, pod.name)
                continue
            placed = replace(pod, node=where)
            state = self._put(ctx, state, placed, pod.name)
            bound.append(placed)
        return state

    # -- the edge-triggered mutant ---------------------------------------------------
    def _on_edge(
        self, ctx: Context, state: ControllerState, change: Change, before: Any
    ) -> ControllerState:
        obj = change.obj
        if isinstance(obj, Deployment) or isinstance(before, Deployment):
            return self._deployment_controller(ctx, state)
        if isinstance(obj, ReplicaSet):
            grew = obj.replicas - (before.replicas if isinstance(before, ReplicaSet) else 0)
            if grew > 0:
                state = self._create_pods(ctx, state, obj, grew)  # it grew by k: add k pods
            owned = [p for p in state.cache.list("pod") if p.owner == obj.name]
            for pod in sorted(owned, key=_deletion_order)[: max(0, -grew)]:
                state = self._delete(ctx, state, pod)
                state = replace(state, quiet=(*state.quiet[-50:], pod.name))
            return self._deployment_controller(ctx, state)
        if obj is None and isinstance(before, Pod) and before.name not in state.quiet:
            got = state.cache.get(f"rs/{before.owner}")
            if got is not None:
                state = self._create_pods(ctx, state, got[0], 1)  # a pod went: add one
            return self._deployment_controller(ctx, state)
        if isinstance(obj, Pod):
            if obj.node is None:
                state = self._scheduler(ctx, state)
            if isinstance(before, Pod) and before.ready != obj.ready:
                state = self._deployment_controller(ctx, state)
        return state
