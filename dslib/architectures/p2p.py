"""Peer-to-peer: gossip dissemination and a Chord distributed hash table.

In a peer-to-peer system every node runs the same code and no node is
special: there is no server to fail or to overload. Two building blocks:

- **Gossip** (epidemic dissemination, Demers et al. 1987): each round every
  node talks to one random peer. With *push* an informed node sends the
  rumour; with *pull* an uninformed node asks for it; *push-pull* does both.
  A rumour reaches all N nodes in O(log N) rounds: about log2 N + ln N for
  push (Pittel 1987), log3 N + O(log log N) for push-pull (Karp et al. 2000),
  with each node sending one message per round.
- **Chord** (Stoica et al. 2001): nodes and keys hash onto a ring of 2^m
  identifiers; a key belongs to its *successor*, the first node at or after
  it. Each node keeps a *finger table* (finger i is the successor of
  ``n + 2^i``), so a lookup halves the remaining distance at every hop and
  takes O(log N) hops (about ½ log2 N on average, §5 and §6.3). Joins and
  failures are repaired by periodic *stabilization*, with a list of ``r``
  successors to survive failures. ``CHORD_MUTANTS`` are broken Chord nodes,
  and ``CHORD_CHECKS`` the seeded sweeps that catch them.

Examples
--------
>>> gossip_experiment(64, "push-pull", seed=1)["rounds"]
5
>>> result = chord_lookup_experiment(64, lookups=50, seed=1)
>>> result["correct"], result["mean hops"] < 6
(50, True)
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import Mutant, Outcome
from dslib.sim.clients import first_operation
from dslib.sim.nemesis import Crash, Restart
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "CHORD_CHECKS",
    "CHORD_MUTANTS",
    "GOSSIP_MODES",
    "ChordNode",
    "ChordState",
    "DeafToNotifyChordNode",
    "DhtClient",
    "DhtClientState",
    "Found",
    "GossipNode",
    "GossipState",
    "Lookup",
    "OneSuccessorChordNode",
    "PredecessorOwnerChordNode",
    "PullRequest",
    "Rumor",
    "SuccessorsOnlyChordNode",
    "between",
    "chord_churn_experiment",
    "chord_id",
    "chord_lookup_experiment",
    "chord_ring",
    "gossip_experiment",
    "gossip_round",
    "successor_of",
]

GOSSIP_MODES = ("push", "pull", "push-pull")


# == gossip ===================================================================================
def gossip_round(informed: Collection[str], choices: dict[str, str], mode: str) -> frozenset[str]:
    """The informed nodes after one synchronous round of gossip.

    ``choices[i]`` is the peer node ``i`` contacts this round. Every contact
    is decided by who was informed *at the start* of the round:

    - push: an informed ``i`` informs ``choices[i]``;
    - pull: an uninformed ``i`` becomes informed if ``choices[i]`` is informed;
    - push-pull: both.

    Examples
    --------
    >>> choices = {"a": "b", "b": "c", "c": "a", "d": "a"}
    >>> sorted(gossip_round({"a"}, choices, "push"))
    ['a', 'b']
    >>> sorted(gossip_round({"a"}, choices, "pull"))
    ['a', 'c', 'd']
    >>> sorted(gossip_round({"a"}, choices, "push-pull"))
    ['a', 'b', 'c', 'd']
    """
    if mode not in GOSSIP_MODES:
        raise ValueError(f"gossip_round: mode={mode!r}; allowed: {', '.join(GOSSIP_MODES)}")
    before = frozenset(informed)
    after = set(before)
    for node, peer in choices.items():
        if mode in ("push", "push-pull") and node in before:
            after.add(peer)
        if mode in ("pull", "push-pull") and node not in before and peer in before:
            after.add(node)
    return frozenset(after)


@dataclass(frozen=True)
class Rumor:
    """The rumour itself (pushed, or sent in answer to a pull)."""

    round: int


@dataclass(frozen=True)
class PullRequest:
    """Do you have the rumour? Send it to me."""

    round: int


@dataclass(frozen=True)
class GossipState:
    """The current round, and the round in which this node learnt the rumour (or ``None``)."""

    round: int = 0
    informed_at: int | None = None


class GossipNode(Node[GossipState]):
    """A node of a gossip group: one contact per round, by ``mode``.

    Rounds are driven by a timer every ``period``; with latency well below
    the period, the rounds are synchronous. The node ``source`` knows the
    rumour from round 0. After ``rounds`` rounds the node stops.

    Examples
    --------
    >>> GossipNode("push", source="n00", rounds=20)
    GossipNode(push, 20 rounds)
    """

    def __init__(
        self, mode: str, source: str, rounds: int = 30, period: float = 1.0, fanout: int = 1
    ) -> None:
        if mode not in GOSSIP_MODES:
            raise ValueError(f"GossipNode: mode={mode!r}; allowed: {', '.join(GOSSIP_MODES)}")
        if not (isinstance(rounds, int) and rounds >= 1):
            raise ValueError(f"GossipNode: rounds={rounds!r} must be an int >= 1")
        if not (isinstance(fanout, int) and fanout >= 1):
            raise ValueError(f"GossipNode: fanout={fanout!r} must be an int >= 1")
        self.mode, self.source, self.rounds = mode, source, rounds
        self.period, self.fanout = float(period), fanout

    def init(self, ctx: Context) -> GossipState:
        ctx.set_timer("round", self.period)
        return GossipState(informed_at=0 if ctx.id == self.source else None)

    def on_timer(self, ctx: Context, state: GossipState, timer: Any) -> GossipState:
        r = state.round + 1
        informed = state.informed_at is not None
        for _ in range(self.fanout):
            peer = ctx.peers[ctx.rng.randrange(len(ctx.peers))]
            if informed and self.mode in ("push", "push-pull"):
                ctx.send(peer, Rumor(r))
            elif not informed and self.mode in ("pull", "push-pull"):
                ctx.send(peer, PullRequest(r))
        if r < self.rounds:
            ctx.set_timer("round", self.period)
        return replace(state, round=r)

    def on_message(self, ctx: Context, state: GossipState, src: str, msg: Any) -> GossipState:
        if isinstance(msg, PullRequest):
            if state.informed_at is not None:
                ctx.send(src, Rumor(msg.round))
            return state
        if isinstance(msg, Rumor) and state.informed_at is None:
            return replace(state, informed_at=msg.round)
        return state

    def __repr__(self) -> str:
        return f"GossipNode({self.mode}, {self.rounds} rounds)"


def gossip_experiment(
    n: int, mode: str, seed: int = 0, loss: float = 0.0, fanout: int = 1
) -> dict[str, Any]:
    """Spread one rumour among ``n`` nodes; how many rounds until all know it?

    Returns
    -------
    dict
        ``n``, ``mode``, ``rounds`` (until the last node was informed; ``None``
        if some never were), ``informed`` (how many in the end), ``informed by
        round`` (a list: how many knew after each round), ``messages per
        node`` (sent until the last node was informed), and the reference
        values ``log2 N + ln N`` and ``log3 N``.

    Examples
    --------
    >>> r = gossip_experiment(32, "push", seed=3)
    >>> r["informed"], r["informed by round"][:4]
    (32, [1, 2, 4, 8])
    """
    if not (isinstance(n, int) and n >= 2):
        raise ValueError(f"gossip_experiment: n={n!r} must be an int >= 2")
    rounds = 4 * math.ceil(math.log2(n)) + 20
    ids = [f"n{i:04d}" for i in range(n)]
    node = GossipNode(mode, ids[0], rounds=rounds, fanout=fanout)
    sim = Simulation(
        System(dict.fromkeys(ids, node)),
        seed=seed,
        network=Network(latency=uniform(0.05, 0.15), loss=loss),
        record_trace=True,
    )
    for r in range(1, rounds + 1):  # stop one round after the last node learns
        sim.run(until=r + 0.9)
        if all(s.informed_at is not None for s in sim.states.values()):
            break
    at = [s.informed_at for s in sim.states.values()]
    known = [a for a in at if a is not None]
    last = max(known) if len(known) == n else None
    horizon = max(known)
    by_round = [sum(1 for a in known if a <= r) for r in range(horizon + 1)]
    return {
        "n": n,
        "mode": mode,
        "rounds": last,
        "informed": len(known),
        "informed by round": by_round,
        "messages per node": round(
            sum(1 for e in sim.trace.entries if e[1] == "send" and e[0] <= horizon + 0.5) / n, 2
        ),
        "log2 N + ln N": round(math.log2(n) + math.log(n), 2),
        "log3 N": round(math.log(n, 3), 2),
    }


# == Chord ====================================================================================
def chord_id(name: str, m: int) -> int:
    """The position of ``name`` on a ring of ``2**m`` identifiers (SHA-1, as Chord uses).

    Examples
    --------
    >>> chord_id("n01", 8), chord_id("key-7", 8)
    (34, 12)
    """
    return int(hashlib.sha1(name.encode()).hexdigest(), 16) % (2**m)


def between(x: int, a: int, b: int, right: bool = False) -> bool:
    """Whether ``x`` lies in the ring interval ``(a, b)`` (``(a, b]`` with ``right``).

    The interval runs clockwise from ``a`` to ``b`` and may wrap past 0;
    ``(a, a)`` is the whole ring but ``a``.

    Examples
    --------
    >>> between(5, 3, 9), between(1, 9, 3), between(9, 3, 9), between(9, 3, 9, right=True)
    (True, True, False, True)
    """
    if a < b:
        return a < x < b or (right and x == b)
    if a > b:
        return x > a or x < b or (right and x == b)
    return x != a or right


def successor_of(key: int, ids: Sequence[int]) -> int:
    """The first of the (sorted) ``ids`` at or after ``key`` on the ring.

    Examples
    --------
    >>> successor_of(10, [3, 12, 40]), successor_of(41, [3, 12, 40])
    (12, 3)
    """
    for i in sorted(ids):
        if i >= key:
            return i
    return min(ids)


@dataclass(frozen=True)
class FindSuccessor:
    """Route towards the owner of ``key``; answer ``origin`` with ``Found``."""

    key: int
    origin: str
    tag: Any
    hops: int = 0


@dataclass(frozen=True)
class Found:
    """``owner`` is the successor of ``key``; ``hops`` forwards were needed."""

    key: int
    owner: str
    tag: Any
    hops: int


@dataclass(frozen=True)
class GetPredecessor:
    """Stabilization: who is your predecessor, and your successors?"""


@dataclass(frozen=True)
class PredecessorIs:
    """The answer to ``GetPredecessor``."""

    predecessor: str | None
    successors: tuple[str, ...]


@dataclass(frozen=True)
class Notify:
    """I think I am your predecessor."""


@dataclass(frozen=True)
class Lookup:
    """A client's request: who owns ``key``? (answered with ``Found``)."""

    key: int
    lookup_id: int


@dataclass(frozen=True)
class ChordState:
    """A Chord node's routing state.

    ``successors``: the next ``r`` nodes clockwise; ``fingers[i]``: the
    successor of ``id + 2**i`` as last learnt; ``next_finger``: the finger
    to refresh next; ``awaiting``: the successor asked in the last
    stabilization that has not answered; ``dead``: nodes found unresponsive.
    """

    id: int
    successors: tuple[str, ...] = ()
    predecessor: str | None = None
    fingers: tuple[str | None, ...] = ()
    next_finger: int = 0
    awaiting: str | None = None
    dead: frozenset[str] = frozenset()


class ChordNode(Node[ChordState]):
    """A Chord node (Stoica et al. 2001, §4): lookups, joins, stabilization, failures.

    Parameters
    ----------
    m : int
        Bits of the identifier space.
    ring : sequence of str, optional
        Start with correct successors and fingers for this membership (a
        stable ring, for measuring lookups).
    join_via : str, optional
        Otherwise join through this node: find our successor, then let
        stabilization do the rest.
    r : int, default 3
        Length of the successor list (survives ``r - 1`` consecutive failures).
    period : float, default 1
        Period of stabilization and of finger refresh (one finger per period).

    Examples
    --------
    >>> ChordNode(8, ring=["a", "b"])
    ChordNode(m=8, r=3)
    """

    def __init__(
        self,
        m: int,
        ring: Sequence[str] | None = None,
        join_via: str | None = None,
        r: int = 3,
        period: float = 1.0,
    ) -> None:
        if not (isinstance(m, int) and 3 <= m <= 64):
            raise ValueError(f"ChordNode: m={m!r} must be an int in [3, 64]")
        if (ring is None) == (join_via is None):
            raise ValueError("ChordNode: give exactly one of ring= (a stable start) or join_via=")
        if not (isinstance(r, int) and r >= 1):
            raise ValueError(f"ChordNode: r={r!r} must be an int >= 1")
        self.m, self.r, self.period = m, r, float(period)
        self.ring = tuple(ring) if ring is not None else None
        self.join_via = join_via

    def _id(self, name: str) -> int:
        return chord_id(name, self.m)

    def init(self, ctx: Context) -> ChordState:
        me = self._id(ctx.id)
        ctx.set_timer("stabilize", ctx.rng.random() * self.period)
        if self.ring is None:
            assert self.join_via is not None
            ctx.send(self.join_via, FindSuccessor(me, ctx.id, "join"))
            return ChordState(me, successors=(self.join_via,), fingers=(None,) * self.m)
        by_id = sorted((self._id(x), x) for x in self.ring)
        ids = [i for i, _ in by_id]
        name = dict(by_id)
        k = ids.index(me)
        successors = tuple(by_id[(k + j) % len(by_id)][1] for j in range(1, self.r + 1))
        successors = tuple(s for s in dict.fromkeys(successors) if s != ctx.id) or (ctx.id,)
        fingers = tuple(name[successor_of((me + 2**i) % 2**self.m, ids)] for i in range(self.m))
        return ChordState(me, successors, by_id[k - 1][1], fingers)

    # -- routing -----------------------------------------------------------------------
    def closest_preceding(self, state: ChordState, key: int) -> str | None:
        """The known live node closest before ``key`` (fingers from the farthest down)."""
        best: str | None = None
        best_id = state.id
        for f in (*state.fingers, *state.successors):
            if f is None or f in state.dead:
                continue
            fid = self._id(f)
            if between(fid, state.id, key) and between(fid, best_id, key):
                best, best_id = f, fid
        return best

    def _find(self, ctx: Context, state: ChordState, msg: FindSuccessor) -> None:
        succ = next((s for s in state.successors if s not in state.dead), ctx.id)
        if succ == ctx.id or between(msg.key, state.id, self._id(succ), right=True):
            ctx.send(msg.origin, Found(msg.key, succ, msg.tag, msg.hops))
            return
        nxt = self.closest_preceding(state, msg.key) or succ
        ctx.send(nxt, replace(msg, hops=msg.hops + 1))

    def _found_locally(self, ctx: Context, state: ChordState, key: int, tag: Any) -> ChordState:
        """Resolve a lookup this node starts for itself (finger refresh)."""
        succ = next((s for s in state.successors if s not in state.dead), ctx.id)
        if succ == ctx.id or between(key, state.id, self._id(succ), right=True):
            return self._on_found(state, Found(key, succ, tag, 0))
        nxt = self.closest_preceding(state, key) or succ
        ctx.send(nxt, FindSuccessor(key, ctx.id, tag, 1))
        return state

    def _on_found(self, state: ChordState, msg: Found) -> ChordState:
        if msg.tag == "join":
            return replace(state, successors=(msg.owner,))
        if isinstance(msg.tag, tuple) and msg.tag[0] == "finger":
            i = msg.tag[1]
            return replace(state, fingers=(*state.fingers[:i], msg.owner, *state.fingers[i + 1 :]))
        return state

    # -- handlers ----------------------------------------------------------------------
    def on_timer(self, ctx: Context, state: ChordState, timer: Any) -> ChordState:
        ctx.set_timer("stabilize", self.period)
        if state.awaiting is not None:  # the successor did not answer: skip it
            dead = state.dead | {state.awaiting}
            successors = tuple(s for s in state.successors if s not in dead)
            state = replace(state, dead=dead, successors=successors or (ctx.id,), awaiting=None)
        succ = state.successors[0] if state.successors else ctx.id
        if succ != ctx.id:
            ctx.send(succ, GetPredecessor())
            state = replace(state, awaiting=succ)
        i = state.next_finger
        state = replace(state, next_finger=(i + 1) % self.m)
        return self._found_locally(ctx, state, (state.id + 2**i) % 2**self.m, ("finger", i))

    def on_message(self, ctx: Context, state: ChordState, src: str, msg: Any) -> ChordState:
        if src in state.dead:  # it answered after all: it is alive
            state = replace(state, dead=state.dead - {src})
        if isinstance(msg, FindSuccessor):
            self._find(ctx, state, msg)
            return state
        if isinstance(msg, Lookup):
            self._find(ctx, state, FindSuccessor(msg.key, src, ("lookup", msg.lookup_id)))
            return state
        if isinstance(msg, Found):
            return self._on_found(state, msg)
        if isinstance(msg, GetPredecessor):
            ctx.send(src, PredecessorIs(state.predecessor, state.successors))
            return state
        if isinstance(msg, PredecessorIs):
            if src != state.awaiting:
                return state
            successors = (src, *(s for s in msg.successors if s != ctx.id))
            p = msg.predecessor
            if (
                p is not None
                and p != ctx.id
                and p not in state.dead
                and between(self._id(p), state.id, self._id(src))
            ):
                successors = (p, *successors)
            successors = tuple(dict.fromkeys(successors))[: self.r]
            ctx.send(successors[0], Notify())
            return replace(state, successors=successors, awaiting=None)
        if isinstance(msg, Notify):
            p = state.predecessor
            if p is None or p in state.dead or between(self._id(src), self._id(p), state.id):
                return replace(state, predecessor=src)
            return state
        return state

    def __repr__(self) -> str:
        return f"ChordNode(m={self.m}, r={self.r})"


@dataclass(frozen=True)
class DhtClientState:
    """The lookups done: ``(lookup_id, key, owner, hops, started, finished)``; and attempts."""

    next_lookup: int = 0
    attempt: int = 0
    results: tuple[tuple[int, int, str, int, float, float], ...] = ()
    started: float = 0.0


class DhtClient(Node[DhtClientState]):
    """Looks up ``keys`` one after the other, each through a random node of ``entries``.

    A lookup that gets no ``Found`` within ``timeout`` is retried through
    another random entry node, up to ``attempts`` times.

    Examples
    --------
    >>> DhtClient(["a"], [1, 2])
    DhtClient(2 keys)
    """

    def __init__(
        self,
        entries: Sequence[str],
        keys: Sequence[int],
        timeout: float = 3.0,
        attempts: int = 3,
        start: float = 0.0,
        think: float = 0.0,
    ) -> None:
        if isinstance(entries, str) or not entries:
            raise ValueError(f"DhtClient: entries={entries!r} must be a list of node ids")
        self.entries, self.keys = tuple(entries), tuple(keys)
        self.timeout, self.attempts = float(timeout), attempts
        self.start, self.think = float(start), float(think)

    def init(self, ctx: Context) -> DhtClientState:
        first_operation(ctx, len(self.keys), self.start)
        return DhtClientState()

    def _send(self, ctx: Context, state: DhtClientState) -> None:
        entry = self.entries[ctx.rng.randrange(len(self.entries))]
        lid = state.next_lookup * 100 + state.attempt
        ctx.send(entry, Lookup(self.keys[state.next_lookup], lid))
        ctx.set_timer(("timeout", lid), self.timeout)

    def on_timer(self, ctx: Context, state: DhtClientState, timer: Any) -> DhtClientState:
        if timer == "next":
            state = replace(state, attempt=0, started=ctx.now)
            self._send(ctx, state)
            return state
        if timer == ("timeout", state.next_lookup * 100 + state.attempt):
            if state.attempt + 1 < self.attempts:
                state = replace(state, attempt=state.attempt + 1)
                self._send(ctx, state)
                return state
            return self._done(ctx, state, "", -1)
        return state

    def on_message(self, ctx: Context, state: DhtClientState, src: str, msg: Any) -> DhtClientState:
        lid = state.next_lookup * 100 + state.attempt
        if (
            isinstance(msg, Found)
            and state.next_lookup < len(self.keys)
            and msg.tag == ("lookup", lid)
        ):
            ctx.cancel_timer(("timeout", lid))
            return self._done(ctx, state, msg.owner, msg.hops)
        return state

    def _done(self, ctx: Context, state: DhtClientState, owner: str, hops: int) -> DhtClientState:
        result = (
            state.next_lookup,
            self.keys[state.next_lookup],
            owner,
            hops,
            state.started,
            ctx.now,
        )
        state = replace(state, next_lookup=state.next_lookup + 1, results=(*state.results, result))
        if state.next_lookup < len(self.keys):
            ctx.set_timer("next", self.think)
        return state

    def __repr__(self) -> str:
        return f"DhtClient({len(self.keys)} keys)"


def chord_ring(
    n: int,
    m: int = 32,
    r: int = 3,
    period: float = 1.0,
    node: type[ChordNode] | None = None,
) -> tuple[list[str], System]:
    """``n`` Chord nodes on a stable ring (correct successors and fingers): names and system.

    ``period`` is the stabilization period (a very long one turns maintenance
    off, to measure lookups alone); ``node`` the nodes' class (``ChordNode``;
    the mutants replace it).

    Examples
    --------
    >>> names, system = chord_ring(4, m=8)
    >>> names, len(system)
    (['n000', 'n001', 'n002', 'n003'], 4)
    """
    names = [f"n{i:03d}" for i in range(n)]
    if len({chord_id(x, m) for x in names}) < n:
        raise ValueError(f"chord_ring: two of {n} nodes hash to the same id with m={m}; raise m")
    cls = ChordNode if node is None else node
    return names, System(dict.fromkeys(names, cls(m, ring=names, r=r, period=period)))


def _keys(count: int, m: int, seed: int) -> list[int]:
    return [chord_id(f"key-{seed}-{i}", m) for i in range(count)]


def chord_lookup_experiment(
    n: int,
    lookups: int = 200,
    m: int = 32,
    seed: int = 0,
    node: type[ChordNode] | None = None,
) -> dict[str, Any]:
    """Lookups on a stable ring of ``n`` nodes: how many hops, and are the owners right?

    ``node`` is the nodes' class (``ChordNode``; the mutants replace it).

    Returns
    -------
    dict
        ``n``, ``lookups``, ``correct`` (owner = the true successor of the key),
        ``mean hops``, ``max hops``, ``½ log2 N``, ``hops`` (the list).

    Examples
    --------
    >>> r = chord_lookup_experiment(16, lookups=20, seed=2)
    >>> r["correct"], r["max hops"] <= 4
    (20, True)
    """
    names, system = chord_ring(n, m, period=1e9, node=node)  # stable: no maintenance needed
    nodes = dict(system.nodes)
    nodes["client"] = DhtClient(names, _keys(lookups, m, seed))
    sim = Simulation(System(nodes), seed=seed, network=Network(uniform(0.05, 0.15)))
    sim.run(until=lookups * 10.0 + 10, max_events=2_000_000)
    results = sim.states["client"].results
    ids = {chord_id(x, m): x for x in names}
    hops = [h for *_, h, _s, _f in results]
    correct = sum(1 for _l, key, owner, *_ in results if owner == ids[successor_of(key, list(ids))])
    return {
        "n": n,
        "lookups": len(results),
        "correct": correct,
        "mean hops": round(statistics.fmean(hops), 2),
        "max hops": max(hops),
        "½ log2 N": round(0.5 * math.log2(n), 2),
        "hops": hops,
    }


def chord_churn_experiment(
    n: int = 32,
    fail: int = 6,
    joins: int = 0,
    m: int = 32,
    lookups: int = 300,
    fail_at: float = 50.0,
    seed: int = 0,
    bucket: float = 25.0,
    node: type[ChordNode] | None = None,
    r: int = 3,
) -> dict[str, Any]:
    """Crash ``fail`` nodes (and let ``joins`` new ones join) while a client keeps looking up.

    Every lookup's answer is judged against the nodes alive when it
    completed; the result counts, per ``bucket`` of time, the lookups that
    were answered correctly, wrongly, or not at all (timed out after 3
    attempts). Stabilization runs every time unit, so the ring repairs itself.
    ``node`` is the nodes' class (``ChordNode``; the mutants replace it), ``r``
    the length of their successor lists.

    Returns
    -------
    dict
        ``buckets`` (a list of dicts: ``from``, ``correct``, ``wrong``,
        ``failed``, ``mean latency``), totals ``correct``, ``wrong``, ``failed``,
        ``last wrong``: when the last wrong answer came, relative to
        ``fail_at`` (``nan`` if none did), and ``most adjacent crashed``: the
        longest run of crashed nodes next to each other on the ring (a node
        whose ``r`` successors all crash is cut off from the ring).

    Examples
    --------
    >>> r = chord_churn_experiment(n=16, fail=3, lookups=100, seed=1)
    >>> r["correct"] + r["wrong"] + r["failed"]
    100
    """
    cls = ChordNode if node is None else node
    names, system = chord_ring(n, m, r=r, node=cls)
    nodes: dict[str, Node[Any]] = dict(system.nodes)
    rng_names = sorted(names, key=lambda x: chord_id(f"{seed}:{x}", 32))
    victims = rng_names[:fail]
    joiners = [f"j{i:03d}" for i in range(joins)]
    for j, name in enumerate(joiners):
        nodes[name] = cls(m, join_via=rng_names[fail + j % (n - fail)], r=r)
    nodes["client"] = DhtClient(names, _keys(lookups, m, seed), timeout=2.0, think=0.2)
    sim = Simulation(System(nodes), seed=seed, network=Network(uniform(0.05, 0.15)))
    for v in victims:
        sim.at(fail_at, Crash(v))
    for joiner in joiners:
        # a joiner is crashed at the start and restarted (joins) at fail_at
        sim.crash(joiner)
        sim.at(fail_at, Restart(joiner))
    sim.run(until=fail_at + lookups * 2.0 + 50, max_events=3_000_000)
    live_ids = sorted(chord_id(x, m) for x in (set(names) - set(victims)) | set(joiners))
    by_id = {chord_id(x, m): x for x in (*names, *joiners)}
    buckets: dict[int, dict[str, Any]] = {}
    totals = {"correct": 0, "wrong": 0, "failed": 0}
    last_wrong = math.nan
    for _l, key, owner, _h, started, finished in sim.states["client"].results:
        alive = live_ids if finished >= fail_at else sorted(chord_id(x, m) for x in names)
        what = (
            "failed"
            if not owner
            else ("correct" if owner == by_id[successor_of(key, alive)] else "wrong")
        )
        k = int(finished // bucket)
        b = buckets.setdefault(
            k, {"from": k * bucket, "correct": 0, "wrong": 0, "failed": 0, "latencies": []}
        )
        b[what] += 1
        b["latencies"].append(finished - started)
        totals[what] += 1
        if what == "wrong":
            last_wrong = round(finished - fail_at, 3)
    out = []
    for k in sorted(buckets):
        b = buckets[k]
        latencies = b.pop("latencies")
        out.append({**b, "mean latency": round(statistics.fmean(latencies), 3)})
    ring = [x for _i, x in sorted((chord_id(x, m), x) for x in names)]
    crashed = [x in victims for x in ring]
    longest = run = 0
    for dead in crashed + crashed:  # twice round: a run may wrap past the top of the ring
        run = run + 1 if dead else 0
        longest = max(longest, run)
    return {
        "buckets": out,
        **totals,
        "last wrong": last_wrong,
        "most adjacent crashed": min(longest, len(victims)),
    }


# == the mutants and the checks that catch them ================================================
class PredecessorOwnerChordNode(ChordNode):
    """Bug: answers a lookup with itself, the key's predecessor, instead of its successor."""

    def _find(self, ctx: Context, state: ChordState, msg: FindSuccessor) -> None:
        succ = next((s for s in state.successors if s not in state.dead), ctx.id)
        if succ == ctx.id or between(msg.key, state.id, self._id(succ), right=True):
            ctx.send(msg.origin, Found(msg.key, ctx.id, msg.tag, msg.hops))  # ctx.id, not succ
            return
        super()._find(ctx, state, msg)


class SuccessorsOnlyChordNode(ChordNode):
    """Bug: routes by its successors only, never by its fingers: O(N) hops per lookup."""

    def closest_preceding(self, state: ChordState, key: int) -> str | None:
        return super().closest_preceding(replace(state, fingers=()), key)


class OneSuccessorChordNode(ChordNode):
    """Bug: keeps one successor instead of a list of ``r``: when it fails, the node is cut
    off from the ring and answers for keys it does not own."""

    def __init__(
        self,
        m: int,
        ring: Sequence[str] | None = None,
        join_via: str | None = None,
        r: int = 3,
        period: float = 1.0,
    ) -> None:
        super().__init__(m, ring, join_via, 1, period)


class DeafToNotifyChordNode(ChordNode):
    """Bug: ignores ``Notify``: it never learns a new predecessor, so a node that joined is
    never found by the stabilization of the node before it."""

    def on_message(self, ctx: Context, state: ChordState, src: str, msg: Any) -> ChordState:
        if isinstance(msg, Notify):
            return state
        return super().on_message(ctx, state, src, msg)


_CHORD_SEEDS = (0, 1, 3)  # seeds whose 3 crashes of 16 leave at most 2 adjacent (r = 3)


def check_owners_right(node: type[ChordNode]) -> Outcome:
    """Seeded sweep on a stable ring of 32 nodes: every lookup returns the key's true
    successor, computed from the sorted identifiers."""
    for seed in _CHORD_SEEDS:
        r = chord_lookup_experiment(32, lookups=60, seed=seed, node=node)
        if r["correct"] < r["lookups"]:
            wrong = r["lookups"] - r["correct"]
            return Outcome(False, detail=f"seed {seed}: {wrong} of {r['lookups']} owners wrong")
    return Outcome(True)


def check_logarithmic_hops(node: type[ChordNode]) -> Outcome:
    """Seeded sweep on a stable ring of 64 nodes: no lookup takes more than log2 N hops."""
    for seed in _CHORD_SEEDS:
        r = chord_lookup_experiment(64, lookups=60, seed=seed, node=node)
        if r["max hops"] > math.log2(64):
            return Outcome(False, detail=f"seed {seed}: a lookup took {r['max hops']} hops")
    return Outcome(True)


def check_survives_failures(node: type[ChordNode]) -> Outcome:
    """Seeded sweep: 3 of 16 nodes crash at once, never 3 adjacent ones (every node keeps
    a live successor in its list of 3); no lookup returns a wrong owner more than 5
    stabilization periods after the crash."""
    for seed in _CHORD_SEEDS:
        r = chord_churn_experiment(n=16, fail=3, lookups=80, fail_at=5.0, seed=seed, node=node)
        if r["last wrong"] > 5.0:
            return Outcome(False, detail=f"seed {seed}: a wrong owner {r['last wrong']} after")
    return Outcome(True)


def check_joins_repaired(node: type[ChordNode]) -> Outcome:
    """Seeded sweep: 4 nodes join a ring of 16 at once; no lookup returns a wrong owner
    more than 25 stabilization periods after the joins (lookups go on for about 45)."""
    for seed in _CHORD_SEEDS:
        r = chord_churn_experiment(
            n=16, joins=4, fail=0, lookups=80, fail_at=5.0, seed=seed, node=node
        )
        if r["last wrong"] > 25.0:
            return Outcome(False, detail=f"seed {seed}: a wrong owner {r['last wrong']} after")
    return Outcome(True)


CHORD_CHECKS: dict[str, Callable[[type[ChordNode]], Outcome]] = {
    "sweep: owners right": check_owners_right,
    "sweep: log N hops": check_logarithmic_hops,
    "sweep: survives failures": check_survives_failures,
    "sweep: joins repaired": check_joins_repaired,
}
"""The checks of the Chord ring; each takes the nodes' class."""

CHORD_MUTANTS: list[Mutant[type[ChordNode]]] = [
    Mutant(
        "predecessor-owner",
        "answers with the key's predecessor",
        lambda: PredecessorOwnerChordNode,
        ("sweep: owners right",),
    ),
    Mutant(
        "successors-only",
        "never routes by fingers",
        lambda: SuccessorsOnlyChordNode,
        ("sweep: log N hops",),
    ),
    Mutant(
        "one-successor",
        "keeps one successor, not a list",
        lambda: OneSuccessorChordNode,
        ("sweep: survives failures",),
    ),
    Mutant(
        "deaf-to-notify",
        "never learns a new predecessor",
        lambda: DeafToNotifyChordNode,
        ("sweep: joins repaired",),
    ),
]
"""Deliberately broken Chord nodes, with the checks that must catch them."""
