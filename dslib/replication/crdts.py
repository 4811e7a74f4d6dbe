"""Conflict-free replicated data types (CRDTs): state-based, with merge laws checked.

A state-based CRDT (a *CvRDT*, Shapiro, Preguiça, Baquero and Zawirski 2011,
§2.2) is a replicated value whose replicas accept updates without asking each
other, and exchange their whole states from time to time. A replica that
receives another's state *merges* it into its own. If merge is

- **commutative**: ``merge(a, b) == merge(b, a)``,
- **associative**: ``merge(a, merge(b, c)) == merge(merge(a, b), c)``, and
- **idempotent**: ``merge(a, a) == a``,

and every update only moves the state *up* (merge is the least upper bound of a
join semi-lattice), then replicas that have received the same updates, in any
order, any number of times, through any path, are in the same state: *strong
eventual consistency* (§2.3, Theorem 2.1). No consensus, no coordination,
available under any partition.

This module holds four of the paper's CRDTs (§3.1 and §3.3 of the companion
report, Shapiro et al., INRIA RR-7506, 2011, Specifications 6, 7, 8 and 15):
``GCounter``, ``PNCounter``, ``LWWRegister`` and ``ORSet``; a ``CRDTReplica``
node that runs any of them in the simulator and gossips its state;
``check_merge_laws`` (the three laws, checked with hypothesis on reachable
states); and a deliberately broken counter, ``SummingGCounter``, whose merge
adds instead of taking the maximum (not idempotent: every gossip round
inflates the count).

Examples
--------
>>> a = GCounter().increment("r1").increment("r1")     # two increments at replica r1
>>> b = GCounter().increment("r2")                     # one at r2
>>> a.merge(b).value(), b.merge(a) == a.merge(b), a.merge(a) == a
(3, True, True)
>>> s = ORSet().add("x", ("r1", 1))
>>> t = s.remove("x")                    # remove at one replica...
>>> u = s.add("x", ("r2", 1))            # ...while another adds x again, concurrently
>>> t.merge(u).value()                   # the add wins: it was not observed by the remove
('x',)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System, stable_repr
from dslib.mutants import Outcome
from dslib.replication.workloads import check_count
from dslib.sim.clients import Client, Reply, Request
from dslib.sim.simulator import Simulation

__all__ = [
    "CRDT_KINDS",
    "CRDTReplica",
    "CRDTReplicaState",
    "GCounter",
    "Gossip",
    "LWWRegister",
    "ORSet",
    "PNCounter",
    "SummingGCounter",
    "check_merge_laws",
    "crdt_convergence",
    "crdt_system",
    "crdt_values",
    "merge_all",
    "new_crdt",
    "random_crdt_states",
]

Tag = tuple[str, int]
"""A unique tag: the replica that made it and that replica's sequence number."""


def _check_node(node: object, where: str) -> None:
    if not isinstance(node, str) or not node:
        raise TypeError(f"{where}: node {node!r} must be a non-empty string")


def _check_same_type(a: object, b: object, where: str) -> None:
    if type(a) is not type(b):
        raise TypeError(
            f"{where}: cannot merge a {type(a).__name__} with a {type(b).__name__}; "
            "merge replicas of the same CRDT"
        )


def _counts(value: Mapping[str, int] | Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    pairs = dict(value.items() if isinstance(value, Mapping) else value)
    for node, count in pairs.items():
        _check_node(node, "GCounter")
        if not (isinstance(count, int) and not isinstance(count, bool) and count >= 0):
            raise ValueError(f"GCounter: the count {count!r} of {node!r} must be an int >= 0")
    return tuple(sorted((n, c) for n, c in pairs.items() if c))


# == counters ====================================================================================
@dataclass(frozen=True, init=False)
class GCounter:
    """A grow-only counter (Specification 6): one count per replica; merge takes the maximum.

    Each replica increments only its own entry, so the maximum of two
    versions of an entry is simply the newer one; the counter's value is the
    sum of the entries.

    Parameters
    ----------
    counts : mapping of str to int, or iterable of (str, int), optional

    Examples
    --------
    >>> c = GCounter({"r1": 2}).increment("r2", 3)
    >>> c, c.value()
    (GCounter({'r1': 2, 'r2': 3}), 5)
    >>> c.merge(GCounter({"r1": 4}))
    GCounter({'r1': 4, 'r2': 3})
    >>> c.increment("r1", -1)
    Traceback (most recent call last):
    ...
    ValueError: GCounter.increment: amount=-1 must be an int >= 1; a G-counter only grows
    """

    counts: tuple[tuple[str, int], ...]

    def __init__(self, counts: Mapping[str, int] | Iterable[tuple[str, int]] = ()) -> None:
        object.__setattr__(self, "counts", _counts(counts))

    def increment(self, node: str, amount: int = 1) -> GCounter:
        """This counter with ``amount`` (>= 1) added to ``node``'s entry."""
        _check_node(node, "GCounter.increment")
        if not (isinstance(amount, int) and not isinstance(amount, bool) and amount >= 1):
            raise ValueError(
                f"GCounter.increment: amount={amount!r} must be an int >= 1; a G-counter only grows"
            )
        d = dict(self.counts)
        d[node] = d.get(node, 0) + amount
        return type(self)(d)

    def value(self) -> int:
        """The sum of the entries."""
        return sum(c for _, c in self.counts)

    def merge(self, other: GCounter) -> GCounter:
        """The entry-wise maximum."""
        _check_same_type(self, other, "GCounter.merge")
        d = dict(self.counts)
        for n, c in other.counts:
            d[n] = max(d.get(n, 0), c)
        return type(self)(d)

    def update(self, f: str, value: Any, node: str, seq: int, now: float) -> GCounter:
        """Apply a client operation: ``increment`` (by ``value``, default 1)."""
        if f != "increment":
            raise ValueError(f"a G-counter supports 'increment' and 'read', not {f!r}")
        return self.increment(node, 1 if value is None else value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.counts)!r})"


class SummingGCounter(GCounter):
    """A BROKEN G-counter (a mutant): its merge *adds* the entries instead of taking the maximum.

    Adding looks natural ("combine the counts") and is commutative and
    associative, but not idempotent: merging a state with itself doubles it,
    so every gossip round that delivers a state twice (or back to where it
    came from) counts the same increments again.

    Examples
    --------
    >>> c = SummingGCounter({"r1": 1})
    >>> c.merge(c).value()          # should be 1
    2
    """

    def merge(self, other: GCounter) -> GCounter:
        """The entry-wise sum (wrong)."""
        _check_same_type(self, other, "SummingGCounter.merge")
        d = dict(self.counts)
        for n, c in other.counts:
            d[n] = d.get(n, 0) + c
        return type(self)(d)


@dataclass(frozen=True)
class PNCounter:
    """A counter that also decrements (Specification 7): two G-counters, increments and decrements.

    Examples
    --------
    >>> c = PNCounter().increment("r1", 5).decrement("r2", 2)
    >>> c.value(), c.merge(PNCounter().decrement("r2", 1)).value()
    (3, 3)
    """

    increments: GCounter = GCounter()
    decrements: GCounter = GCounter()

    def increment(self, node: str, amount: int = 1) -> PNCounter:
        """Add ``amount`` (>= 1)."""
        return replace(self, increments=self.increments.increment(node, amount))

    def decrement(self, node: str, amount: int = 1) -> PNCounter:
        """Subtract ``amount`` (>= 1)."""
        return replace(self, decrements=self.decrements.increment(node, amount))

    def value(self) -> int:
        """Increments minus decrements."""
        return self.increments.value() - self.decrements.value()

    def merge(self, other: PNCounter) -> PNCounter:
        """Merge each G-counter."""
        _check_same_type(self, other, "PNCounter.merge")
        return PNCounter(
            self.increments.merge(other.increments), self.decrements.merge(other.decrements)
        )

    def update(self, f: str, value: Any, node: str, seq: int, now: float) -> PNCounter:
        """Apply a client operation: ``increment`` or ``decrement`` (by ``value``, default 1)."""
        amount = 1 if value is None else value
        if f == "increment":
            return self.increment(node, amount)
        if f == "decrement":
            return self.decrement(node, amount)
        raise ValueError(f"a PN-counter supports 'increment', 'decrement' and 'read', not {f!r}")


# == registers =====================================================================================
@dataclass(frozen=True)
class LWWRegister:
    """A last-writer-wins register (Specification 8): the value with the largest timestamp wins.

    A timestamp is ``(clock reading, node)``: the node breaks ties, so two
    writes never have the same timestamp and every replica picks the same
    winner. Which write is "last" is decided by the writers' *clocks*, so a
    node whose clock is behind loses writes that happened after the winner
    in real time (chapter 2): LWW is convergent, not linearizable.

    Examples
    --------
    >>> a = LWWRegister().assign("x", 10.0, "r1")
    >>> b = LWWRegister().assign("y", 9.5, "r2")     # written later, but r2's clock is behind
    >>> a.merge(b).value(), b.merge(a).value()
    ('x', 'x')
    """

    current: Hashable = None
    timestamp: tuple[float, str] = (-math.inf, "")

    def assign(self, value: Hashable, time: float, node: str) -> LWWRegister:
        """This register after writing ``value`` at ``time`` on ``node`` (if that is newer)."""
        _check_node(node, "LWWRegister.assign")
        if not (isinstance(time, (int, float)) and math.isfinite(time)):
            raise ValueError(f"LWWRegister.assign: time={time!r} must be a finite number")
        return self.merge(LWWRegister(value, (float(time), node)))

    def value(self) -> Hashable:
        """The current value (``None`` before any write)."""
        return self.current

    def merge(self, other: LWWRegister) -> LWWRegister:
        """Keep the version with the larger timestamp."""
        _check_same_type(self, other, "LWWRegister.merge")
        return other if other.timestamp > self.timestamp else self

    def update(self, f: str, value: Any, node: str, seq: int, now: float) -> LWWRegister:
        """Apply a client operation: ``write`` (stamped with the node's clock ``now``)."""
        if f != "write":
            raise ValueError(f"an LWW register supports 'write' and 'read', not {f!r}")
        return self.assign(value, now, node)

    def __repr__(self) -> str:
        if self.timestamp[1] == "":
            return "LWWRegister()"
        return f"LWWRegister({self.current!r}, at={self.timestamp[0]:g} by {self.timestamp[1]})"


# == sets ==========================================================================================
@dataclass(frozen=True)
class ORSet:
    """An observed-remove set (Specification 15), the "add wins" set.

    Every ``add`` tags the element with a unique tag; the set holds the live
    ``(element, tag)`` pairs (``entries``) and the tags that have been removed
    (``tombstones``). ``remove(e)`` tombstones the tags of ``e`` that this
    replica has *observed*; a concurrent ``add(e)`` elsewhere has a new tag
    that the remove did not see, so after merging, ``e`` is in the set: the
    add wins. Merge takes the union of both parts and drops the entries
    whose tag is tombstoned.

    Examples
    --------
    >>> s = ORSet().add("milk", ("r1", 1)).add("eggs", ("r1", 2))
    >>> s.value()
    ('eggs', 'milk')
    >>> s.remove("milk").value()
    ('eggs',)
    >>> s.remove("milk").merge(s).value()         # the remove saw ("r1", 1): it stays removed
    ('eggs',)
    """

    entries: frozenset[tuple[Hashable, Tag]] = frozenset()
    tombstones: frozenset[Tag] = frozenset()

    def add(self, element: Hashable, tag: Tag) -> ORSet:
        """Add ``element`` with a fresh, unique ``tag`` (replica, sequence number)."""
        if not (
            isinstance(tag, tuple) and len(tag) == 2 and isinstance(tag[0], str) and tag[0]
        ) or not (isinstance(tag[1], int) and not isinstance(tag[1], bool)):
            raise ValueError(f"ORSet.add: tag={tag!r} must be a pair (replica, int)")
        if tag in self.tombstones or any(t == tag for _, t in self.entries):
            raise ValueError(f"ORSet.add: tag {tag!r} was used before; tags must be unique")
        hash(element)
        return ORSet(self.entries | {(element, tag)}, self.tombstones)

    def remove(self, element: Hashable) -> ORSet:
        """Remove ``element``: tombstone every tag of it that this replica has observed."""
        gone = frozenset(t for e, t in self.entries if e == element)
        return ORSet(frozenset(p for p in self.entries if p[1] not in gone), self.tombstones | gone)

    def contains(self, element: Hashable) -> bool:
        """Whether ``element`` is in the set."""
        return any(e == element for e, _ in self.entries)

    def value(self) -> tuple[Hashable, ...]:
        """The elements, sorted (by ``stable_repr``)."""
        return tuple(sorted({e for e, _ in self.entries}, key=stable_repr))

    def merge(self, other: ORSet) -> ORSet:
        """Union the entries and the tombstones; drop the entries whose tag is tombstoned."""
        _check_same_type(self, other, "ORSet.merge")
        tombstones = self.tombstones | other.tombstones
        entries = frozenset(p for p in self.entries | other.entries if p[1] not in tombstones)
        return ORSet(entries, tombstones)

    def update(self, f: str, value: Any, node: str, seq: int, now: float) -> ORSet:
        """Apply a client operation: ``add`` (tagged ``(node, seq)``) or ``remove``."""
        if f == "add":
            return self.add(value, (node, seq))
        if f == "remove":
            return self.remove(value)
        raise ValueError(f"an OR-set supports 'add', 'remove' and 'read', not {f!r}")

    def __repr__(self) -> str:
        return (
            f"ORSet(entries={stable_repr(self.entries)}, tombstones={stable_repr(self.tombstones)})"
        )


CRDT_KINDS: dict[str, type] = {
    "g-counter": GCounter,
    "pn-counter": PNCounter,
    "lww-register": LWWRegister,
    "or-set": ORSet,
    "summing-g-counter": SummingGCounter,
}
"""The CRDTs by name (``summing-g-counter`` is the broken one)."""


def new_crdt(kind: str) -> Any:
    """An empty CRDT of the given kind (see ``CRDT_KINDS``).

    >>> new_crdt("or-set")
    ORSet(entries=frozenset(), tombstones=frozenset())
    >>> new_crdt("set")
    Traceback (most recent call last):
    ...
    ValueError: unknown CRDT kind 'set'; choose one of g-counter, lww-register, or-set, \
pn-counter, summing-g-counter
    """
    if kind not in CRDT_KINDS:
        raise ValueError(
            f"unknown CRDT kind {kind!r}; choose one of {', '.join(sorted(CRDT_KINDS))}"
        )
    return CRDT_KINDS[kind]()


def merge_all(states: Iterable[Any], merge: Callable[[Any, Any], Any] | None = None) -> Any:
    """Merge every state of ``states`` (at least one), left to right.

    >>> merge_all([GCounter({"a": 1}), GCounter({"b": 2}), GCounter({"a": 3})])
    GCounter({'a': 3, 'b': 2})
    """
    items = list(states)
    if not items:
        raise ValueError("merge_all needs at least one state")
    out = items[0]
    for s in items[1:]:
        out = merge(out, s) if merge is not None else out.merge(s)
    return out


# == the replica node ==============================================================================
@dataclass(frozen=True)
class Gossip:
    """A replica's whole state, sent to another replica.

    Examples
    --------
    >>> Gossip(GCounter({"r1": 2}))
    Gossip(state=GCounter({'r1': 2}))
    """

    state: Any


@dataclass(frozen=True)
class CRDTReplicaState:
    """A replica's CRDT and how many updates it has made (for unique tags).

    Examples
    --------
    >>> CRDTReplicaState(GCounter()).seq
    0
    """

    crdt: Any
    seq: int = 0


class CRDTReplica(Node[CRDTReplicaState]):
    """A replica of a state-based CRDT: answers clients at once, gossips its state.

    Clients (``dslib.sim.Client``) send ``Request`` messages: ``read``, or an
    update the CRDT supports (``increment``, ``decrement``, ``write``,
    ``add``, ``remove``). The replica applies an update locally and answers
    at once: it never waits for another replica, so it is available whatever
    the network does. Every ``gossip_interval`` it sends its whole state to
    ``fanout`` replicas drawn at random, which merge it into theirs.

    Parameters
    ----------
    kind : str
        A name from ``CRDT_KINDS``.
    replicas : sequence of str
        The replicas to gossip with (its own id may be among them).
    gossip_interval : float, default 5
    fanout : int, default 1
    merge : callable, optional
        ``merge(a, b)`` to use instead of the CRDT's own (an exercise's answer,
        or a broken merge).
    gossip_until : float, optional
        Stop gossiping after this time (its own clock), so that a run ends.

    Examples
    --------
    >>> CRDTReplica("or-set", ["r1", "r2"])
    CRDTReplica(or-set)
    """

    def __init__(
        self,
        kind: str,
        replicas: Sequence[str],
        gossip_interval: float = 5.0,
        fanout: int = 1,
        merge: Callable[[Any, Any], Any] | None = None,
        gossip_until: float | None = None,
    ) -> None:
        new_crdt(kind)
        if isinstance(replicas, str) or not replicas:
            raise ValueError(f"CRDTReplica: replicas={replicas!r} must be a list of node ids")
        if not (isinstance(gossip_interval, (int, float)) and gossip_interval > 0):
            raise ValueError(f"CRDTReplica: gossip_interval={gossip_interval!r} must be > 0")
        if not (isinstance(fanout, int) and fanout >= 1):
            raise ValueError(f"CRDTReplica: fanout={fanout!r} must be an int >= 1")
        self.kind = kind
        self.replicas = tuple(sorted(replicas))
        self.gossip_interval = float(gossip_interval)
        self.fanout = fanout
        self.merge = merge
        self.gossip_until = gossip_until

    def init(self, ctx: Context) -> CRDTReplicaState:
        ctx.set_timer("gossip", (0.5 * self.gossip_interval, 1.5 * self.gossip_interval))
        return CRDTReplicaState(new_crdt(self.kind))

    def _merge(self, a: Any, b: Any) -> Any:
        return self.merge(a, b) if self.merge is not None else a.merge(b)

    def on_timer(self, ctx: Context, state: CRDTReplicaState, timer: Any) -> CRDTReplicaState:
        if timer == "gossip":
            others = [r for r in self.replicas if r != ctx.id]
            for _ in range(min(self.fanout, len(others))):
                peer = others.pop(ctx.rng.randrange(len(others)))
                ctx.send(peer, Gossip(state.crdt))
            if self.gossip_until is None or ctx.now < self.gossip_until:
                ctx.set_timer("gossip", (0.5 * self.gossip_interval, 1.5 * self.gossip_interval))
        return state

    def on_message(
        self, ctx: Context, state: CRDTReplicaState, src: str, msg: Any
    ) -> CRDTReplicaState:
        if isinstance(msg, Gossip):
            return replace(state, crdt=self._merge(state.crdt, msg.state))
        if not isinstance(msg, Request):
            return state
        if msg.f == "read":
            ctx.send(src, Reply(msg.request_id, True, state.crdt.value()))
            return state
        seq = state.seq + 1
        try:
            crdt = state.crdt.update(msg.f, msg.value, ctx.id, seq, ctx.now)
        except ValueError as exc:
            ctx.send(src, Reply(msg.request_id, False, str(exc)))
            return state
        ctx.send(src, Reply(msg.request_id, True, msg.value))
        return CRDTReplicaState(crdt, seq)

    def __repr__(self) -> str:
        return f"CRDTReplica({self.kind})"


def _default_workload(kind: str, client: int, ops: int) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k in range(ops):
        if kind in ("g-counter", "summing-g-counter"):
            out.append(("increment", 1) if k % 3 != 2 else ("read", None))
        elif kind == "pn-counter":
            out.append(
                ("increment", 2)
                if k % 3 == 0
                else ("decrement", 1)
                if k % 3 == 1
                else ("read", None)
            )
        elif kind == "lww-register":
            out.append(("write", 10 * client + k) if k % 2 == 0 else ("read", None))
        else:
            element = "abc"[(client + k) % 3]
            out.append(("add", element) if k % 3 != 1 else ("remove", element))
    return out


def crdt_system(
    kind: str,
    replicas: int = 3,
    ops: int = 6,
    gossip_interval: float = 5.0,
    merge: Callable[[Any, Any], Any] | None = None,
    workloads: Sequence[Sequence[Any]] | None = None,
    think: float | tuple[float, float] = (1.0, 4.0),
    gossip_until: float | None = None,
) -> System:
    """Replicas ``r1``... of a CRDT, each with a client ``c1``... that talks to it first.

    Parameters
    ----------
    kind : str
        A name from ``CRDT_KINDS``.
    replicas : int, default 3
        How many replicas (and clients).
    ops : int, default 6
        Operations per client in the default workload.
    gossip_interval : float, default 5
    merge : callable, optional
        A merge to use instead of the CRDT's own.
    workloads : list of lists, optional
        One workload per client (``dslib.sim.Client`` operations).
    think : float or (float, float), default (1, 4)
        The clients' pause between operations.
    gossip_until : float, optional
        Replicas stop gossiping after this time, so that ``sim.run()`` ends.

    Examples
    --------
    >>> crdt_system("or-set", replicas=2)
    System(c1=Client(6 ops), c2=Client(6 ops), r1=CRDTReplica(or-set), r2=CRDTReplica(or-set))
    """
    new_crdt(kind)
    check_count("crdt_system", "replicas", replicas)
    ids = [f"r{i}" for i in range(1, replicas + 1)]
    if workloads is not None and len(workloads) != replicas:
        raise ValueError(
            f"crdt_system: {len(workloads)} workloads for {replicas} clients; give one per client"
        )
    nodes: dict[str, Node[Any]] = {}
    for i, rid in enumerate(ids, start=1):
        nodes[rid] = CRDTReplica(kind, ids, gossip_interval, merge=merge, gossip_until=gossip_until)
        load = list(workloads[i - 1]) if workloads is not None else _default_workload(kind, i, ops)
        servers = [rid] + [r for r in ids if r != rid]
        nodes[f"c{i}"] = Client(servers, load, timeout=10.0, retries=2, think=think)
    return System(nodes)


def crdt_values(sim: Simulation) -> dict[str, Any]:
    """The value of every replica that is up, by replica id.

    >>> sim = Simulation(crdt_system("g-counter", replicas=2), seed=1).run(until=200.0)
    >>> crdt_values(sim)
    {'r1': 8, 'r2': 8}
    """
    return {
        i: s.crdt.value() for i, s in sorted(sim.states.items()) if isinstance(s, CRDTReplicaState)
    }


def crdt_convergence(sim: Simulation) -> Outcome:
    """Have the replicas converged, and to the value of the merge of all their states?

    Strong eventual consistency promises both: replicas that have seen the same
    updates are in the same state, and nothing is lost or counted twice, so
    the common value is the value of the least upper bound of every replica's
    state (for counters, the sum of the acknowledged updates).

    Returns an ``Outcome`` whose ``detail`` says what differs.

    >>> sim = Simulation(crdt_system("or-set"), seed=2).run(until=300.0)
    >>> crdt_convergence(sim)
    Outcome(ok=True, counterexample_length=None, detail="every replica reads ('a', 'b', 'c')")
    """
    states = {i: s.crdt for i, s in sorted(sim.states.items()) if isinstance(s, CRDTReplicaState)}
    if not states:
        raise ValueError("crdt_convergence: the simulation has no CRDT replica that is up")
    values = {i: c.value() for i, c in states.items()}
    distinct = sorted({stable_repr(v) for v in values.values()})
    if len(distinct) > 1:
        shown = ", ".join(f"{i}: {stable_repr(v)}" for i, v in values.items())
        return Outcome(False, len(sim.trace), f"the replicas disagree: {shown}")
    common = next(iter(values.values()))
    expected = _expected_value(sim, merge_all(states.values(), _reference_merge))
    if stable_repr(common) != stable_repr(expected):
        return Outcome(
            False,
            len(sim.trace),
            f"every replica reads {stable_repr(common)}, but the updates add up to "
            f"{stable_repr(expected)}",
        )
    return Outcome(True, None, f"every replica reads {stable_repr(common)}")


def _reference_merge(a: Any, b: Any) -> Any:
    """The correct merge, also for the broken counter (whose states are G-counter states)."""
    if isinstance(a, SummingGCounter):
        return SummingGCounter(GCounter(a.counts).merge(GCounter(b.counts)).counts)
    return a.merge(b)


def _expected_value(sim: Simulation, joined: Any) -> Any:
    if isinstance(joined, (GCounter, PNCounter)):
        # A counter must count each acknowledged update once: sum what the clients did.
        total = 0
        for op in sim.history.operations():
            if op.status == "ok" and op.f in ("increment", "decrement"):
                amount = 1 if op.value is None else op.value
                total += amount if op.f == "increment" else -amount
        return total
    return joined.value()


# == the merge laws ================================================================================
def random_crdt_states(kind: str) -> Any:
    """A hypothesis strategy of reachable states of a CRDT kind.

    A state is reachable when some sequence of updates at three replicas
    (``r1``, ``r2``, ``r3``) and merges between them produces it; the merge
    laws need only hold on those (an OR-set state whose tags repeat, say,
    cannot occur). Each drawn value is a triple of states, one per replica.

    Examples
    --------
    >>> from hypothesis import find
    >>> a, b, c = find(random_crdt_states("g-counter"), lambda s: s[0].value() >= 2)
    >>> a
    GCounter({'r1': 2})
    """
    from hypothesis import strategies as st

    new_crdt(kind)
    replicas = ("r1", "r2", "r3")
    step = st.tuples(st.sampled_from(("update", "merge")), st.integers(0, 2), st.integers(0, 2))

    def build(steps: list[tuple[str, int, int]]) -> tuple[Any, Any, Any]:
        states = [new_crdt(kind) for _ in replicas]
        seqs = [0, 0, 0]
        for n, (what, i, j) in enumerate(steps):
            if what == "merge":
                states[i] = _reference_merge(states[i], states[j])
                continue
            seqs[i] += 1
            states[i] = _random_update(kind, states[i], replicas[i], seqs[i], n, j)
        return (states[0], states[1], states[2])

    return st.lists(step, max_size=12).map(build)


def _random_update(kind: str, state: Any, node: str, seq: int, n: int, j: int) -> Any:
    if kind in ("g-counter", "summing-g-counter"):
        return state.increment(node, 1 + j)
    if kind == "pn-counter":
        return state.increment(node, 1 + j) if j != 1 else state.decrement(node)
    if kind == "lww-register":
        return state.assign(f"v{n}", float(n + j), node)
    element = "xyz"[j]
    return state.remove(element) if (n + j) % 3 == 0 else state.add(element, (node, seq))


_LAWS = ("idempotent", "commutative", "associative")


def check_merge_laws(
    kind: str,
    merge: Callable[[Any, Any], Any] | None = None,
    max_examples: int = 100,
) -> Outcome:
    """Check with hypothesis that a merge is idempotent, commutative and associative.

    Parameters
    ----------
    kind : str
        Which CRDT's reachable states to draw (``random_crdt_states``).
    merge : callable, optional
        The merge to check (default: the CRDT's own ``merge``).
    max_examples : int, default 100
        How many triples of states hypothesis draws per law.

    Returns
    -------
    Outcome
        ``ok``, or the first law that fails with the smallest counterexample
        hypothesis found (its size is the ``counterexample_length``).

    Examples
    --------
    >>> check_merge_laws("or-set", max_examples=30).ok
    True
    >>> print(check_merge_laws("summing-g-counter", max_examples=30).detail)
    not idempotent: merge(a, a) = SummingGCounter({'r1': 2}) for a = SummingGCounter({'r1': 1})
    """
    if not (isinstance(max_examples, int) and max_examples >= 1):
        raise ValueError(f"check_merge_laws: max_examples={max_examples!r} must be an int >= 1")
    m = merge if merge is not None else (lambda a, b: a.merge(b))

    def law_fails(law: str, a: Any, b: Any, c: Any) -> str | None:
        if law == "idempotent":
            aa = m(a, a)
            return None if aa == a else f"merge(a, a) = {aa!r} for a = {a!r}"
        if law == "commutative":
            ab, ba = m(a, b), m(b, a)
            return None if ab == ba else f"merge(a, b) = {ab!r} but merge(b, a) = {ba!r}"
        left, right = m(a, m(b, c)), m(m(a, b), c)
        return (
            None
            if left == right
            else f"merge(a, merge(b, c)) = {left!r} but merge(merge(a, b), c) = {right!r}"
        )

    for law in _LAWS:
        failure = _falsify_law(kind, law, law_fails, max_examples)
        if failure is not None:
            return failure
    return Outcome(True, None, f"idempotent, commutative and associative on {max_examples} draws")


def _size(state: Any) -> int:
    """How big a CRDT state is: its entries (for the size of a counterexample)."""
    if isinstance(state, GCounter):
        return len(state.counts)
    if isinstance(state, PNCounter):
        return len(state.increments.counts) + len(state.decrements.counts)
    if isinstance(state, ORSet):
        return len(state.entries) + len(state.tombstones)
    return 0 if state == type(state)() else 1


def _falsify_law(
    kind: str,
    law: str,
    law_fails: Callable[[str, Any, Any, Any], str | None],
    max_examples: int,
) -> Outcome | None:
    from hypothesis import HealthCheck, Phase, given, settings

    found: list[tuple[int, str]] = []

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(random_crdt_states(kind))
    def test(states: tuple[Any, Any, Any]) -> None:
        problem = law_fails(law, *states)
        if problem is not None:
            used = (
                states[:1]
                if law == "idempotent"
                else states[:2]
                if law != "associative"
                else states
            )
            found.append((sum(_size(s) for s in used), f"not {law}: {problem}"))
            raise AssertionError(problem)

    try:
        test()
    except AssertionError:
        size, detail = found[-1]  # hypothesis replays the smallest failing case last
        return Outcome(False, size, detail)
    return None
