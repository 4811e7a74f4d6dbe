"""The API server's store: desired and observed state, resource versions, watches.

Every component of a Kubernetes-style control plane talks only to the API server, whose
store holds the cluster's objects: what the operator wants (a ``Deployment``, a
``ReplicaSet``) and what the workers report (a ``Pod``'s phase and readiness, a
``NodeInfo``'s last heartbeat). Burns et al., "Borg, Omega, and Kubernetes" (ACM Queue
2016) describe the design: components do not call each other; they read the store, act,
and write their results back.

The store here is a small stand-in for etcd with the same interface:

- every write gives the store a new **revision** (a counter), and the object written
  keeps it as its **resource version**;
- a write may be a **compare-and-set**: ``expected=0`` creates only if the key is absent,
  ``expected=v`` updates only if the object's resource version is still ``v`` (the
  optimistic concurrency of Omega, Schwarzkopf et al. 2013, section 3.4);
- **list** returns every object of a kind with the revision it was read at, and a
  **watch** from that revision streams each later change;
- the store keeps only the last ``history`` changes (etcd compacts); a watch from an
  older revision gets ``TooOld`` and the client must list again.

``Store`` is the pure value; ``ApiServer`` is the node of the simulator that holds one,
answers ``Put``/``Delete``/``List``/``Watch`` and the kubelets' ``Sync`` reports.

Examples
--------
>>> s = Store()
>>> s, reply = s.put(ReplicaSet("web-v1", replicas=2, version="v1"), expected=0)
>>> reply.ok, reply.revision, s.revision
(True, 1, 1)
>>> s, reply = s.put(ReplicaSet("web-v1", replicas=3, version="v1"), expected=0)
>>> reply.reason
'already exists: rs/web-v1'
>>> s, reply = s.put(ReplicaSet("web-v1", replicas=3, version="v1"), expected=1)
>>> reply.ok, s.get("rs/web-v1")[0].replicas, s.get("rs/web-v1")[1]
(True, 3, 2)
>>> [(c.revision, c.key, c.obj.replicas) for c in s.changes_since(1)]
[(2, 'rs/web-v1', 3)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from dslib.core import Context, Node

__all__ = [
    "KINDS",
    "ApiServer",
    "ApiState",
    "Assigned",
    "Change",
    "Delete",
    "Deployment",
    "Event",
    "List",
    "ListReply",
    "NodeInfo",
    "Pod",
    "PodStatus",
    "Put",
    "PutReply",
    "ReplicaSet",
    "Store",
    "Sync",
    "TooOld",
    "Watch",
    "WatchEvent",
    "key_of",
]


def _check_count(owner: str, name: str, value: Any, low: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{owner}: {name}={value!r} must be an int >= {low}")


# -- the objects ----------------------------------------------------------------------
@dataclass(frozen=True)
class Pod:
    """One task: what the replica set asked for, where it runs, what the kubelet reports.

    Attributes
    ----------
    name : str
    owner : str
        The replica set that created it.
    version : str
        The image it runs.
    cpu : int
        CPUs it requests (the scheduler's only resource here).
    node : str or None
        The node it is bound to (``None``: not scheduled yet).
    phase : str
        ``"Pending"`` (not started), ``"Running"`` or ``"Waiting"`` (in a restart back-off).
    ready : bool
        The last readiness probe passed.
    restarts : int
    """

    KIND: ClassVar[str] = "pod"
    name: str
    owner: str
    version: str
    cpu: int = 1
    node: str | None = None
    phase: str = "Pending"
    ready: bool = False
    restarts: int = 0


@dataclass(frozen=True)
class ReplicaSet:
    """Desired state: ``replicas`` pods running ``version``.

    Examples
    --------
    >>> ReplicaSet("web", replicas=-1, version="v1")
    Traceback (most recent call last):
    ...
    ValueError: ReplicaSet web: replicas=-1 must be an int >= 0
    """

    KIND: ClassVar[str] = "rs"
    name: str
    replicas: int
    version: str
    cpu: int = 1
    owner: str | None = None
    created: float = 0.0

    def __post_init__(self) -> None:
        _check_count(f"ReplicaSet {self.name}", "replicas", self.replicas)
        _check_count(f"ReplicaSet {self.name}", "cpu", self.cpu, 1)


@dataclass(frozen=True)
class Deployment:
    """Desired state: ``replicas`` pods of ``version``, replaced by a rolling update.

    ``max_unavailable`` bounds how many of the ``replicas`` may be unready during an
    update, ``max_surge`` how many pods beyond ``replicas`` may exist.

    Examples
    --------
    >>> Deployment("web", replicas=3, version="v2", max_unavailable=0, max_surge=0)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Deployment web: max_unavailable=0 and max_surge=0 allow no progress: ...
    """

    KIND: ClassVar[str] = "deploy"
    name: str
    replicas: int
    version: str
    max_unavailable: int = 1
    max_surge: int = 1
    cpu: int = 1

    def __post_init__(self) -> None:
        who = f"Deployment {self.name}"
        _check_count(who, "replicas", self.replicas)
        _check_count(who, "max_unavailable", self.max_unavailable)
        _check_count(who, "max_surge", self.max_surge)
        _check_count(who, "cpu", self.cpu, 1)
        if self.max_unavailable == 0 and self.max_surge == 0:
            raise ValueError(
                f"{who}: max_unavailable=0 and max_surge=0 allow no progress: a rolling "
                "update could neither remove an old pod nor add a new one; allowed: at least "
                "one of them >= 1"
            )


@dataclass(frozen=True)
class NodeInfo:
    """A worker as the control plane sees it: capacity, readiness, last heartbeat."""

    KIND: ClassVar[str] = "node"
    name: str
    cpu: int
    ready: bool = True
    heartbeat: float = 0.0


@dataclass(frozen=True)
class Event:
    """Something a component reports for people to read (``kubectl get events``)."""

    KIND: ClassVar[str] = "event"
    name: str
    reason: str
    message: str
    involved: str
    time: float = 0.0
    count: int = 1


KINDS: dict[str, type] = {c.KIND: c for c in (Pod, ReplicaSet, Deployment, NodeInfo, Event)}
"""The kinds of object, by the prefix of their keys."""


def key_of(obj: Any) -> str:
    """The store key of an object: ``kind/name``.

    >>> key_of(Pod("web-1", owner="web", version="v1"))
    'pod/web-1'
    """
    if type(obj) not in KINDS.values():
        raise TypeError(f"key_of: {obj!r} is not a store object; allowed: {sorted(KINDS)}")
    return f"{obj.KIND}/{obj.name}"


# -- the store value ------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    """The write that produced ``revision``: ``obj`` is the new value, ``None`` if deleted."""

    revision: int
    key: str
    obj: Any


@dataclass(frozen=True)
class PutReply:
    """The answer to a ``Put`` or ``Delete``: ``ok``, the store's revision, why not."""

    key: str
    ok: bool
    revision: int
    reason: str = ""


@dataclass(frozen=True)
class Store:
    """The objects, each with its resource version, and the recent changes.

    Attributes
    ----------
    objects : tuple of (str, object, int)
        ``(key, object, resource version)`` sorted by key.
    revision : int
        The number of writes so far.
    changes : tuple of Change
        The last ``history`` changes (older ones are compacted).
    history : int
    """

    objects: tuple[tuple[str, Any, int], ...] = ()
    revision: int = 0
    changes: tuple[Change, ...] = ()
    history: int = 1000

    def __hash__(self) -> int:
        # the simulator hashes every state it is given; a store is hashed once (a write
        # makes a new one), not once per event
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.objects, self.revision, self.changes, self.history))
            object.__setattr__(self, "_hash", cached)
        return int(cached)

    @classmethod
    def of(cls, objects: Iterable[Any], history: int = 1000) -> Store:
        """A store holding ``objects`` (each created in turn).

        >>> Store.of([NodeInfo("n1", cpu=2)]).revision
        1
        """
        s = cls(history=history)
        for obj in objects:
            s, reply = s.put(obj, expected=0)
            if not reply.ok:
                raise ValueError(f"Store.of: {reply.reason}")
        return s

    def _index(self, key: str) -> int:
        lo, hi = 0, len(self.objects)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.objects[mid][0] < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def get(self, key: str) -> tuple[Any, int] | None:
        """``(object, resource version)``, or ``None`` if absent."""
        i = self._index(key)
        if i < len(self.objects) and self.objects[i][0] == key:
            return self.objects[i][1], self.objects[i][2]
        return None

    def list(self, kind: str | None = None) -> tuple[Any, ...]:
        """Every object of ``kind`` (every object if ``None``), in key order."""
        prefix = "" if kind is None else kind + "/"
        return tuple(obj for key, obj, _ in self.objects if key.startswith(prefix))

    @property
    def compacted(self) -> int:
        """The newest revision whose change is no longer kept (a watch must start after it)."""
        return self.changes[0].revision - 1 if self.changes else self.revision

    def _write(self, key: str, obj: Any, expected: int | None) -> tuple[Store, PutReply]:
        i = self._index(key)
        found = i < len(self.objects) and self.objects[i][0] == key
        current = self.objects[i][2] if found else 0
        if expected is not None and expected != current:
            if expected == 0:
                reason = f"already exists: {key}"
            elif not found:
                reason = f"not found: {key}"
            else:
                reason = f"conflict: {key} is at version {current}, not {expected}"
            return self, PutReply(key, False, self.revision, reason)
        if obj is None and not found:
            return self, PutReply(key, False, self.revision, f"not found: {key}")
        rev = self.revision + 1
        if obj is None:
            objects = self.objects[:i] + self.objects[i + 1 :]
        else:
            entry = ((key, obj, rev),)
            objects = self.objects[:i] + entry + self.objects[i + (1 if found else 0) :]
        changes = (*self.changes, Change(rev, key, obj))[-self.history :]
        return replace(self, objects=objects, revision=rev, changes=changes), PutReply(
            key, True, rev
        )

    def put(self, obj: Any, expected: int | None = None) -> tuple[Store, PutReply]:
        """Write ``obj``: always (``None``), create-only (0), or if still at ``expected``."""
        return self._write(key_of(obj), obj, expected)

    def delete(self, key: str, expected: int | None = None) -> tuple[Store, PutReply]:
        """Remove ``key`` (if still at version ``expected``, when given)."""
        return self._write(key, None, expected)

    def changes_since(self, revision: int) -> tuple[Change, ...] | None:
        """The changes after ``revision``, or ``None`` if some were compacted (too old)."""
        if revision < self.compacted:
            return None
        return tuple(c for c in self.changes if c.revision > revision)


# -- messages -------------------------------------------------------------------------
@dataclass(frozen=True)
class Put:
    """Write ``obj`` (compare-and-set on ``expected`` unless ``None``)."""

    obj: Any
    expected: int | None = None


@dataclass(frozen=True)
class Delete:
    """Delete ``key`` (if still at version ``expected`` unless ``None``)."""

    key: str
    expected: int | None = None


@dataclass(frozen=True)
class List:
    """Read every object (of ``kind`` if given)."""

    kind: str | None = None


@dataclass(frozen=True)
class ListReply:
    """``(key, object, resource version)`` triples read at ``revision``."""

    objects: tuple[tuple[str, Any, int], ...]
    revision: int


@dataclass(frozen=True)
class Watch:
    """Send me every change after ``since`` (replaces this client's previous watch)."""

    since: int


@dataclass(frozen=True)
class WatchEvent:
    """One change, streamed to a watcher."""

    change: Change


@dataclass(frozen=True)
class TooOld:
    """The watch asked for changes from ``since``, compacted up to ``compacted``: list again."""

    since: int
    compacted: int


@dataclass(frozen=True)
class PodStatus:
    """What a kubelet reports about one pod it runs."""

    name: str
    phase: str
    ready: bool
    restarts: int


@dataclass(frozen=True)
class Sync:
    """A kubelet's heartbeat: its node name and the status of every pod it runs."""

    node: str
    statuses: tuple[PodStatus, ...]


@dataclass(frozen=True)
class Assigned:
    """The API server's answer to ``Sync``: the pods bound to the node."""

    pods: tuple[Pod, ...]


# -- the node -------------------------------------------------------------------------
@dataclass(frozen=True)
class ApiState:
    """The API server's state: the store and who watches from which revision."""

    store: Store
    watchers: tuple[str, ...] = ()


class ApiServer(Node[ApiState]):
    """The API server: the one node every other component talks to.

    Parameters
    ----------
    initial : sequence of objects
        What the store holds at the start (nodes, deployments...).
    history : int, default 1000
        How many changes the store keeps for watches.

    Notes
    -----
    Kept durable (``ctx.persist`` after every write): etcd is replicated, and this book
    does not crash it. A ``Sync`` from a kubelet sets its ``NodeInfo``'s heartbeat to the
    server's clock and ``ready=True``, copies the pods' reported status into the store
    (only what changed, only for pods still bound to that node) and answers with the pods
    bound to it.
    """

    def __init__(self, initial: Iterable[Any] = (), history: int = 1000) -> None:
        _check_count("ApiServer", "history", history, 1)
        self.initial = tuple(initial)
        self.history = history
        self.watch_kinds = ("pod", "rs", "deploy", "node", "event")

    def init(self, ctx: Context) -> ApiState:
        return ApiState(Store.of(self.initial, history=self.history))

    def on_recover(self, ctx: Context, durable: Any) -> ApiState:
        return durable if isinstance(durable, ApiState) else self.init(ctx)

    def _publish(self, ctx: Context, state: ApiState, before: int) -> None:
        if state.store.revision == before:
            return
        ctx.persist(state)
        new = state.store.changes_since(before) or ()
        for change in new:
            if change.key.split("/", 1)[0] not in self.watch_kinds:
                continue
            for watcher in state.watchers:
                ctx.send(watcher, WatchEvent(change))

    def on_message(self, ctx: Context, state: ApiState, src: str, msg: Any) -> ApiState:
        before = state.store.revision
        if isinstance(msg, Put):
            store, reply = state.store.put(msg.obj, msg.expected)
            state = replace(state, store=store)
            ctx.send(src, reply)
        elif isinstance(msg, Delete):
            store, reply = state.store.delete(msg.key, msg.expected)
            state = replace(state, store=store)
            ctx.send(src, reply)
        elif isinstance(msg, List):
            prefix = "" if msg.kind is None else msg.kind + "/"
            objs = tuple(e for e in state.store.objects if e[0].startswith(prefix))
            ctx.send(src, ListReply(objs, state.store.revision))
        elif isinstance(msg, Watch):
            changes = state.store.changes_since(msg.since)
            if changes is None:
                ctx.send(src, TooOld(msg.since, state.store.compacted))
                return replace(state, watchers=tuple(w for w in state.watchers if w != src))
            for change in changes:
                if change.key.split("/", 1)[0] in self.watch_kinds:
                    ctx.send(src, WatchEvent(change))
            watchers = tuple(sorted({*state.watchers, src}))
            return replace(state, watchers=watchers)
        elif isinstance(msg, Sync):
            state = self._sync(ctx, state, msg)
            bound = tuple(p for p in state.store.list("pod") if p.node == msg.node)
            ctx.send(src, Assigned(bound))
        self._publish(ctx, state, before)
        return state

    def _sync(self, ctx: Context, state: ApiState, msg: Sync) -> ApiState:
        store = state.store
        found = store.get(f"node/{msg.node}")
        if found is not None:
            store, _ = store.put(replace(found[0], heartbeat=ctx.now, ready=True))
        for status in msg.statuses:
            got = store.get(f"pod/{status.name}")
            if got is None or got[0].node != msg.node:
                continue
            pod = got[0]
            new = replace(pod, phase=status.phase, ready=status.ready, restarts=status.restarts)
            if new != pod:
                store, _ = store.put(new)
        return replace(state, store=store)


def pods_of(objects: Sequence[Any], owner: str) -> list[Pod]:
    """The pods among ``objects`` owned by ``owner``."""
    return [o for o in objects if isinstance(o, Pod) and o.owner == owner]
