"""Leaderless replication in the style of Dynamo (DeCandia et al., SOSP 2007, §4).

Every node can coordinate any request, and no node is special. Each key lives
on the first ``n`` distinct nodes met walking clockwise from the key's hash
on a **ring** of tokens (its *preference list*, §4.2 and §4.3). A ``put``
succeeds once ``w`` replicas have stored it, a ``get`` once ``r`` have answered
(§4.5). The rest of §4 is about staying available when nodes fail:

- **sloppy quorums** (§4.6): if some of the ``n`` home replicas do not answer,
  the coordinator turns to the next nodes of the preference list, giving each
  a *hint* naming the home replica it stands in for;
- **hinted handoff** (§4.6): a node holding hinted data keeps trying to hand
  it to the home replica, and forgets it once that succeeds;
- **read repair**: a ``get`` that finds replicas with older versions sends
  them the newest;
- **anti-entropy with Merkle trees** (§4.7): two nodes compare hash trees of
  the keys they share; equal roots mean equal data (one hash sent), and only
  differing subtrees are exchanged;
- **vector clocks and siblings** (§4.4): every version carries a vector
  clock; a version whose clock is dominated by another's is obsolete, but two
  concurrent versions are both kept (*siblings*) and a ``get`` returns both,
  for the application to reconcile. With ``resolve="lww"`` versions carry a
  timestamp instead and the largest wins (Cassandra's choice): no siblings,
  but concurrent writes are silently lost.

A ``get`` returns, with the value(s), a **context**: which versions the client
has now seen. The client passes it back with its next ``put`` of that key, and
the new version replaces exactly those versions (§4.4: "the client must
specify which version it is updating"). A put without a context (a *blind*
put) replaces nothing: it becomes a sibling of whatever is there. The
coordinator does not read before it writes; it names the new version with a
*dot*, ``(node, n)``: the ``n``-th version this node coordinated, unique.

Dynamo compresses a context into a vector clock (the largest counter seen per
node). That summary can claim a version the client never saw (a newer version
of the same coordinator read without an older concurrent one), and a put would
then discard it unseen; dotted version vectors (Preguiça et al. 2010) are the
fix Riak adopted. This store keeps the context exact instead: the set of dots
seen, from which ``Version.clock`` gives the vector clock Dynamo would show.

``MUTANTS`` names four broken versions (``dynamo_system(..., mutant=...)``), and
``DYNAMO_CHECKS`` the checks that catch them: ``acknowledged_writes_kept`` and
``siblings_kept`` read the history only, ``dynamo_convergence`` the replicas' states;
``dynamo_mutant_table`` shows which check catches which mutant, on how many seeds.

Examples
--------
>>> from dslib import Simulation
>>> sim = Simulation(dynamo_system(), seed=1).run(until=400.0)
>>> dynamo_convergence(sim).ok
True
>>> [op.result for op in sim.history.operations() if op.f == "get"][:3]
[2, 1, (1, 4)]
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.clocks import VectorClock
from dslib.core import NOTHING_PERSISTED, Context, Node, System, stable_repr
from dslib.mutants import (
    MutantReport,
    Outcome,
    check_mutant,
    check_name,
    seeded_mutant_report,
    seeded_mutant_table,
    tally_runs,
)
from dslib.replication.workloads import check_count, client_workloads
from dslib.sim.clients import Client, ClientState, Reply, Request
from dslib.sim.simulator import Simulation

__all__ = [
    "DYNAMO_CHECKS",
    "MUTANTS",
    "MUTANT_CHECKS",
    "Dot",
    "DynamoClient",
    "DynamoClientState",
    "DynamoNode",
    "DynamoReply",
    "DynamoRequest",
    "DynamoState",
    "Get",
    "GetReply",
    "Handoff",
    "HandoffAck",
    "MerkleItems",
    "MerkleLeaves",
    "MerkleRoot",
    "MerkleTree",
    "Put",
    "PutAck",
    "Version",
    "acknowledged_writes_kept",
    "dynamo_catch_rate",
    "dynamo_convergence",
    "dynamo_mutant_report",
    "dynamo_mutant_table",
    "dynamo_system",
    "preference_list",
    "reconcile",
    "seen",
    "siblings_kept",
    "stable_hash",
]


MUTANTS: dict[str, str] = {
    "context_from_coordinator": "a put replaces what its coordinator holds of the key at put "
    "time, not what the client's get returned: a blind put silently discards concurrent versions",
    "handoff_forgets": "a stand-in drops its hinted versions as soon as it sends them to the home "
    "replica, without waiting for the acknowledgement: if the home replica is still "
    "unreachable, the write is lost",
    "repair_one_version": "read repair writes back one of the siblings read, as replacing the "
    "others: every replica it repairs discards the other siblings",
    "merkle_skips_last": "anti-entropy compares the leaf hashes of every bucket but the last: a "
    "replica that missed a write of a key in that bucket is never repaired by it",
}
"""The broken versions of ``DynamoNode`` (``mutant=`` name -> what is wrong)."""


def stable_hash(value: Any) -> int:
    """A 64-bit hash of ``value`` that is the same in every run (``stable_repr``, SHA-1).

    >>> stable_hash("x") == stable_hash("x"), 0 <= stable_hash(("a", 1)) < 2**64
    (True, True)
    """
    digest = hashlib.sha1(stable_repr(value).encode()).digest()
    return int.from_bytes(digest[:8], "big")


@functools.lru_cache(maxsize=4096)
def _ring(nodes: tuple[str, ...], tokens: int) -> tuple[tuple[int, str], ...]:
    return tuple(
        sorted((stable_hash(f"{node}#{t}"), node) for node in nodes for t in range(tokens))
    )


@functools.lru_cache(maxsize=65536)
def _preference(nodes: tuple[str, ...], tokens: int, key_hash: int) -> tuple[str, ...]:
    ring = _ring(nodes, tokens)
    start = next((i for i, (pos, _) in enumerate(ring) if pos >= key_hash), 0)
    out: list[str] = []
    for i in range(len(ring)):
        node = ring[(start + i) % len(ring)][1]
        if node not in out:
            out.append(node)
    return tuple(out)


def preference_list(key: Hashable, nodes: Sequence[str], tokens: int = 8) -> tuple[str, ...]:
    """Every node, in the order met walking clockwise on the ring from ``key``'s hash.

    The first ``n`` are the key's home replicas; the rest, in order, stand in
    for them under a sloppy quorum.

    >>> preference_list("x", ["n1", "n2", "n3", "n4", "n5"])
    ('n5', 'n1', 'n2', 'n3', 'n4')
    """
    if isinstance(nodes, str) or not nodes:
        raise ValueError(f"preference_list: nodes={nodes!r} must be a list of node ids")
    return _preference(tuple(sorted(nodes)), tokens, stable_hash(key))


# == versions ===================================================================================
Dot = tuple[str, int]
"""A version's name: ``(node, n)``, the ``n``-th version coordinated by ``node``."""


@dataclass(frozen=True)
class Version:
    """A value, its name (``dot``) and the versions it replaces (``context``).

    With ``resolve="siblings"``, a version is obsolete once another version's
    context holds its dot; with ``"lww"``, versions carry a ``timestamp``
    instead and the largest wins. ``context`` is a sorted tuple of dots.

    Examples
    --------
    >>> milk = Version("milk", ("n1", 1))
    >>> eggs = Version("eggs", ("n2", 1))                  # blind: replaces nothing
    >>> both = Version("milk+eggs", ("n1", 2), (("n1", 1), ("n2", 1)))
    >>> both.replaces(milk), both.replaces(eggs), eggs.replaces(milk)
    (True, True, False)
    >>> both.clock
    VectorClock({'n1': 2, 'n2': 1})
    """

    value: Any
    dot: Dot | None = None
    context: tuple[Dot, ...] = ()
    timestamp: tuple[float, str] = (0.0, "")

    @property
    def clock(self) -> VectorClock:
        """The vector clock Dynamo would give it: per node, the largest counter among its
        dot and its context."""
        largest: dict[str, int] = {}
        for node, n in (*self.context, *([self.dot] if self.dot is not None else [])):
            largest[node] = max(largest.get(node, 0), n)
        return VectorClock(largest)

    def replaces(self, other: Version) -> bool:
        """Whether this version's writer had seen ``other`` (its context holds ``other``'s dot)."""
        return other.dot is not None and other.dot in self.context


def seen(versions: Sequence[Version]) -> tuple[Dot, ...]:
    """The context a read of ``versions`` gives: their dots and every dot they replace, sorted.

    >>> seen([Version("a", ("n1", 2), (("n1", 1),)), Version("b", ("n3", 1))])
    (('n1', 1), ('n1', 2), ('n3', 1))
    """
    dots = {d for v in versions for d in (*v.context, *([v.dot] if v.dot is not None else []))}
    return tuple(sorted(dots))


def _key(v: Version) -> str:
    return stable_repr((v.timestamp, v.dot, v.context, v.value))


def reconcile(versions: Sequence[Version], resolve: str = "siblings") -> tuple[Version, ...]:
    """The versions that are not obsolete, sorted: Dynamo's syntactic reconciliation (§4.4).

    A version is obsolete when another replaces it (its writer had read it);
    versions that do not replace each other all stay (siblings). With
    ``"lww"`` only the version with the largest timestamp stays.

    >>> a = Version("a", ("n1", 1))
    >>> b = Version("b", ("n1", 2), (("n1", 1),))     # written after reading a
    >>> c = Version("c", ("n2", 1), (("n1", 1),))     # also written after reading a
    >>> [v.value for v in reconcile([a, b])], [v.value for v in reconcile([a, b, c])]
    (['b'], ['b', 'c'])
    """
    if resolve not in ("siblings", "lww"):
        raise ValueError(f"reconcile: resolve={resolve!r}; choose 'siblings' or 'lww'")
    unique = {_key(v): v for v in versions}
    items = [unique[k] for k in sorted(unique)]
    if not items:
        return ()
    if resolve == "lww":
        return (max(items, key=lambda v: v.timestamp),)
    return tuple(v for v in items if not any(o.replaces(v) for o in items))


def _values(versions: Sequence[Version]) -> Any:
    """What a ``get`` returns: the value, ``None`` if there is none, or a tuple of siblings."""
    if not versions:
        return None
    if len(versions) == 1:
        return versions[0].value
    return tuple(sorted((v.value for v in versions), key=stable_repr))


# == Merkle trees ===============================================================================
def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class MerkleTree:
    """A hash tree over key buckets: leaves hash the keys of one bucket, parents their children.

    ``levels[0]`` is the root level (one hash), ``levels[-1]`` the leaves.
    Two replicas with equal roots hold equal data (up to hash collisions), so
    one hash settles the common case; otherwise ``diff`` descends only into
    subtrees whose hashes differ.

    Examples
    --------
    >>> a = MerkleTree.build({"x": 1, "y": 2, "z": 3}, buckets=4)
    >>> b = MerkleTree.build({"x": 1, "y": 5, "z": 3}, buckets=4)
    >>> a.root == MerkleTree.build({"z": 3, "y": 2, "x": 1}, buckets=4).root
    True
    >>> a.diff(b)        # (differing leaf buckets, hashes compared)
    ((0,), 5)
    """

    levels: tuple[tuple[str, ...], ...]

    @staticmethod
    def bucket_of(key: Hashable, buckets: int) -> int:
        """The leaf bucket of ``key``."""
        return stable_hash(("bucket", key)) % buckets

    @classmethod
    def build(cls, items: Mapping[Any, Any], buckets: int = 8) -> MerkleTree:
        """The tree of ``items`` (key to anything with a stable repr); ``buckets`` a power of 2."""
        if not (isinstance(buckets, int) and buckets >= 1 and buckets & (buckets - 1) == 0):
            raise ValueError(f"MerkleTree.build: buckets={buckets!r} must be a power of 2")
        content: list[list[str]] = [[] for _ in range(buckets)]
        for key in sorted(items, key=stable_repr):
            content[cls.bucket_of(key, buckets)].append(stable_repr((key, items[key])))
        level = tuple(_digest("|".join(c)) for c in content)
        levels = [level]
        while len(level) > 1:
            level = tuple(_digest(level[i] + level[i + 1]) for i in range(0, len(level), 2))
            levels.append(level)
        return cls(tuple(reversed(levels)))

    @property
    def root(self) -> str:
        """The root hash."""
        return self.levels[0][0]

    @property
    def leaves(self) -> tuple[str, ...]:
        """The leaf hashes, by bucket."""
        return self.levels[-1]

    def diff(self, other: MerkleTree) -> tuple[tuple[int, ...], int]:
        """The leaf buckets that differ, and how many hashes were compared to find them."""
        if len(self.levels) != len(other.levels):
            raise ValueError("MerkleTree.diff: the trees have different numbers of buckets")
        compared = 0
        frontier = [0]
        for depth in range(len(self.levels)):
            nxt = []
            for i in frontier:
                compared += 1
                if self.levels[depth][i] != other.levels[depth][i]:
                    nxt.append(i)
            if depth + 1 < len(self.levels):
                frontier = [c for i in nxt for c in (2 * i, 2 * i + 1)]
            else:
                frontier = nxt
        return tuple(frontier), compared


# == messages ===================================================================================
@dataclass(frozen=True)
class Get:
    """Coordinator to replica: your versions of ``key``.

    Examples
    --------
    >>> Get(("n1", 1), "x")
    Get(op=('n1', 1), key='x')
    """

    op: tuple[str, int]
    key: Hashable


@dataclass(frozen=True)
class GetReply:
    """Replica to coordinator: my versions of ``key`` (hinted ones included).

    Examples
    --------
    >>> GetReply(("n1", 1), "x", ()).versions
    ()
    """

    op: tuple[str, int]
    key: Hashable
    versions: tuple[Version, ...]


@dataclass(frozen=True)
class Put:
    """Coordinator to replica: store these versions of ``key``; ``hint``: for that home replica.

    Examples
    --------
    >>> Put(("n1", 1), "x", (), hint="n3").hint
    'n3'
    """

    op: tuple[str, int] | None
    key: Hashable
    versions: tuple[Version, ...]
    hint: str | None = None


@dataclass(frozen=True)
class PutAck:
    """Replica to coordinator: stored.

    Examples
    --------
    >>> PutAck(("n1", 1), "x")
    PutAck(op=('n1', 1), key='x')
    """

    op: tuple[str, int]
    key: Hashable


@dataclass(frozen=True)
class Handoff:
    """A stand-in to the home replica: here is what I kept for you.

    Examples
    --------
    >>> Handoff("x", ()).key
    'x'
    """

    key: Hashable
    versions: tuple[Version, ...]


@dataclass(frozen=True)
class HandoffAck:
    """Home replica to stand-in: I have it; forget it.

    Examples
    --------
    >>> HandoffAck("x", ()).key
    'x'
    """

    key: Hashable
    versions: tuple[Version, ...]


@dataclass(frozen=True)
class MerkleRoot:
    """Anti-entropy, step 1: the root hash of the keys we both replicate.

    Examples
    --------
    >>> MerkleRoot(MerkleTree.build({}).root).root == MerkleTree.build({}).root
    True
    """

    root: str


@dataclass(frozen=True)
class MerkleLeaves:
    """Anti-entropy, step 2: the roots differ; here are my leaf hashes.

    Examples
    --------
    >>> len(MerkleLeaves(MerkleTree.build({"x": 1}).leaves).leaves)
    8
    """

    leaves: tuple[str, ...]


@dataclass(frozen=True)
class MerkleItems:
    """Anti-entropy, step 3: my keys in the differing buckets (``answer``: send me yours).

    Examples
    --------
    >>> MerkleItems((3,), (), answer=True).buckets
    (3,)
    """

    buckets: tuple[int, ...]
    items: tuple[tuple[Hashable, tuple[Version, ...]], ...]
    answer: bool


@dataclass(frozen=True)
class DynamoRequest(Request):
    """Client to coordinator: a request, with the context of the client's last get of the key.

    Examples
    --------
    >>> DynamoRequest("c1", 2, "put", "x", "v", context=(("n1", 1),)).context
    (('n1', 1),)
    """

    context: tuple[Dot, ...] = ()


@dataclass(frozen=True)
class DynamoReply(Reply):
    """Coordinator to client: the answer, and for a get the context the client has now seen.

    Examples
    --------
    >>> DynamoReply(2, True, ("a", "b"), context=(("n1", 1), ("n2", 1))).context
    (('n1', 1), ('n2', 1))
    """

    context: tuple[Dot, ...] = ()


# == state ======================================================================================
@dataclass(frozen=True)
class DynamoOp:
    """An operation a node coordinates.

    ``phase``: ``"read"`` (a get gathering versions), ``"write"`` (a put
    gathering acknowledgements) or ``"done"`` (a get answered; late replies
    still trigger read repair). ``targets``: the nodes asked, with
    the home replica each stands in for (itself if it is one).
    """

    number: int
    request: Request
    phase: str
    targets: tuple[tuple[str, str], ...]
    replies: tuple[tuple[str, tuple[Version, ...]], ...] = ()
    acks: tuple[str, ...] = ()
    result: tuple[Version, ...] = ()
    started: float = 0.0
    asked: float = 0.0


@dataclass(frozen=True)
class DynamoState:
    """A node's data: its own keys, the hinted data it keeps for others, and its operations.

    ``dots`` counts the versions it coordinated: the next one is ``(node, dots + 1)``.

    Examples
    --------
    >>> DynamoState().versions("x")
    ()
    """

    store: tuple[tuple[Hashable, tuple[Version, ...]], ...] = ()
    hints: tuple[tuple[str, Hashable, tuple[Version, ...]], ...] = ()
    ops: tuple[DynamoOp, ...] = ()
    counter: int = 0
    dots: int = 0  # versions coordinated so far (on disk: a dot is never given twice)

    def versions(self, key: Hashable) -> tuple[Version, ...]:
        """The versions this node holds of ``key`` as a home replica."""
        for k, vs in self.store:
            if k == key:
                return vs
        return ()


def _put_store(state: DynamoState, key: Hashable, versions: Sequence[Version], resolve: str) -> Any:
    merged = reconcile((*state.versions(key), *versions), resolve)
    rest = [kv for kv in state.store if kv[0] != key]
    store = tuple(sorted([*rest, (key, merged)], key=lambda kv: stable_repr(kv[0])))
    return replace(state, store=store)


# == the node ===================================================================================
class DynamoNode(Node[DynamoState]):
    """A node of the Dynamo-style store: a replica for some keys, a coordinator for any.

    Parameters
    ----------
    nodes : sequence of str
        Every node of the ring.
    n, r, w : int, default 3, 2, 2
        Replicas per key, read quorum, write quorum.
    sloppy : bool, default True
        Turn to stand-ins (with hints) when home replicas do not answer.
    resolve : {"siblings", "lww"}, default "siblings"
    read_repair : bool, default True
    anti_entropy : float or None, default 20
        Interval of Merkle-tree anti-entropy with a random node (None: off).
    handoff_interval : float, default 10
        Interval at which hinted data is offered to its home replica.
    timeout : float, default 8
        After this long without a quorum, turn to stand-ins (or ask again).
    give_up : float, default 60
        Abandon an operation this old (its client has timed out).
    tokens : int, default 8
        Ring positions per node.
    mutant : str or None, default None
        A broken version from ``MUTANTS``, or ``None`` for the correct node.

    Examples
    --------
    >>> node = DynamoNode(["n1", "n2", "n3", "n4"], n=3)
    >>> node.home("x")
    ('n1', 'n2', 'n3')
    """

    def __init__(
        self,
        nodes: Sequence[str],
        n: int = 3,
        r: int = 2,
        w: int = 2,
        sloppy: bool = True,
        resolve: str = "siblings",
        read_repair: bool = True,
        anti_entropy: float | None = 20.0,
        handoff_interval: float = 10.0,
        timeout: float = 8.0,
        give_up: float = 60.0,
        tokens: int = 8,
        mutant: str | None = None,
    ) -> None:
        if isinstance(nodes, str) or not nodes:
            raise ValueError(f"DynamoNode: nodes={nodes!r} must be a list of node ids")
        self.nodes = tuple(sorted(nodes))
        if not (isinstance(n, int) and 1 <= n <= len(self.nodes)):
            raise ValueError(f"DynamoNode: n={n!r} must be an int from 1 to {len(self.nodes)}")
        for name, q in (("r", r), ("w", w)):
            if not (isinstance(q, int) and not isinstance(q, bool) and 1 <= q <= n):
                raise ValueError(f"DynamoNode: {name}={q!r} must be an int from 1 to n={n}")
        if resolve not in ("siblings", "lww"):
            raise ValueError(f"DynamoNode: resolve={resolve!r}; choose 'siblings' or 'lww'")
        self.n, self.r, self.w = n, r, w
        self.sloppy = bool(sloppy)
        self.resolve = resolve
        self.read_repair = bool(read_repair)
        self.anti_entropy = anti_entropy
        self.handoff_interval = float(handoff_interval)
        self.timeout = float(timeout)
        self.give_up = float(give_up)
        self.tokens = tokens
        self.mutant = check_mutant("DynamoNode", mutant, MUTANTS)

    def preference(self, key: Hashable) -> tuple[str, ...]:
        """The preference list of ``key``."""
        return _preference(self.nodes, self.tokens, stable_hash(key))

    def home(self, key: Hashable) -> tuple[str, ...]:
        """The ``n`` home replicas of ``key``."""
        return self.preference(key)[: self.n]

    def init(self, ctx: Context) -> DynamoState:
        ctx.set_timer("handoff", self.handoff_interval)
        if self.anti_entropy is not None:
            ctx.set_timer("anti-entropy", (0.5 * self.anti_entropy, 1.5 * self.anti_entropy))
        return DynamoState()

    # -- replica side ----------------------------------------------------------------------------
    def _all_versions(self, state: DynamoState, key: Hashable) -> tuple[Version, ...]:
        hinted = [v for _, k, vs in state.hints if k == key for v in vs]
        return reconcile((*state.versions(key), *hinted), self.resolve)

    def _store(
        self,
        ctx: Context,
        state: DynamoState,
        key: Hashable,
        versions: Sequence[Version],
        hint: Any,
    ) -> DynamoState:
        if hint is None or hint == ctx.id:
            return _put_store(state, key, versions, self.resolve)
        # Hinted: keep it apart, for the home replica `hint`.
        old = [vs for h, k, vs in state.hints if h == hint and k == key]
        merged = reconcile((*(old[0] if old else ()), *versions), self.resolve)
        rest = [x for x in state.hints if not (x[0] == hint and x[1] == key)]
        hints = tuple(sorted([*rest, (hint, key, merged)], key=stable_repr))
        return replace(state, hints=hints)

    # -- coordinator side ------------------------------------------------------------------------
    def _ask(
        self, ctx: Context, op: DynamoOp, only: Sequence[tuple[str, str]] | None = None
    ) -> None:
        key = op.request.key
        for node, home in only if only is not None else op.targets:
            if node == ctx.id:
                continue  # our own part is done at once, by _advance
            if op.phase == "read":
                ctx.send(node, Get((ctx.id, op.number), key))
            else:
                hint = None if node == home else home
                ctx.send(node, Put((ctx.id, op.number), key, op.result, hint))

    def _start(self, ctx: Context, state: DynamoState, req: Request) -> DynamoState:
        if req.f not in ("get", "read", "put", "write"):
            ctx.send(req.client, Reply(req.request_id, False, f"unknown operation {req.f!r}"))
            return state
        if any(
            o.request.client == req.client and o.request.request_id == req.request_id
            for o in state.ops
        ):
            return state
        targets = tuple((h, h) for h in self.home(req.key))
        op = DynamoOp(state.counter + 1, req, "read", targets, started=ctx.now, asked=ctx.now)
        if req.f in ("put", "write"):
            # No read first: the new version replaces what the client's context names
            # (nothing, for a blind put), and its dot names it (§4.4).
            if self.resolve == "lww":
                version = Version(req.value, timestamp=(ctx.now, ctx.id))
            else:
                context = req.context if isinstance(req, DynamoRequest) else ()
                if self.mutant == "context_from_coordinator":  # what the coordinator holds
                    context = seen(self._all_versions(state, req.key))
                version = Version(req.value, (ctx.id, state.dots + 1), context)
                state = replace(state, dots=state.dots + 1)
            op = replace(op, phase="write", result=(version,))
        self._ask(ctx, op)
        if not state.ops:
            ctx.set_timer("ops", self.timeout / 2)
        state = replace(state, counter=op.number)
        state, moved = self._advance(ctx, state, op)
        return state if moved is None else replace(state, ops=(*state.ops, moved))

    def _advance(
        self, ctx: Context, state: DynamoState, op: DynamoOp | None
    ) -> tuple[DynamoState, DynamoOp | None]:
        """Do this node's own part of ``op`` at once (no message to itself), then move it on."""
        while op is not None:
            mine = [home for node, home in op.targets if node == ctx.id]
            if not mine:
                return state, op
            if op.phase == "read" and all(n != ctx.id for n, _ in op.replies):
                own = (ctx.id, self._all_versions(state, op.request.key))
                op = replace(op, replies=(*op.replies, own))
            elif op.phase == "write" and ctx.id not in op.acks:
                hint = None if mine[0] == ctx.id else mine[0]
                state = self._store(ctx, state, op.request.key, op.result, hint)
                op = replace(op, acks=(*op.acks, ctx.id))
            else:
                return state, op
            op = self._progress(ctx, op)
        return state, None

    def _progress(self, ctx: Context, op: DynamoOp) -> DynamoOp | None:
        req = op.request
        if op.phase == "read" and len(op.replies) >= self.r:
            merged = reconcile([v for _, vs in op.replies for v in vs], self.resolve)
            ctx.send(req.client, DynamoReply(req.request_id, True, _values(merged), seen(merged)))
            op = replace(op, phase="done", result=merged)
            self._repair(ctx, op, op.replies)
            return op
        if op.phase == "write" and len(op.acks) >= self.w:
            ctx.send(req.client, Reply(req.request_id, True, req.value))
            return None
        return op

    def _repair(
        self, ctx: Context, op: DynamoOp, replies: Sequence[tuple[str, tuple[Version, ...]]]
    ) -> None:
        if not self.read_repair:
            return
        targets = dict(op.targets)
        repair = op.result
        if self.mutant == "repair_one_version" and len(repair) > 1:  # "the newest" replaces all
            dots = tuple(d for d in seen(repair) if d != repair[-1].dot)
            repair = (replace(repair[-1], context=dots),)
        for node, versions in replies:
            if reconcile((*versions, *repair), self.resolve) != versions:
                home = targets.get(node, node)
                ctx.send(node, Put(None, op.request.key, repair, None if home == node else home))

    def _answer(self, ctx: Context, state: DynamoState, src: str, msg: Any) -> DynamoState:
        found = [op for op in state.ops if (ctx.id, op.number) == msg.op]
        if not found:
            return state  # an answer to an operation that is over
        op = found[0]
        moved: DynamoOp | None = op
        if isinstance(msg, GetReply) and op.phase in ("read", "done"):
            if all(n != src for n, _ in op.replies):
                op = replace(op, replies=(*op.replies, (src, msg.versions)))
                if op.phase == "done":
                    self._repair(ctx, op, [(src, msg.versions)])
                    moved = op
                else:
                    moved = self._progress(ctx, op)
        elif isinstance(msg, PutAck) and op.phase == "write" and src not in op.acks:
            moved = self._progress(ctx, replace(op, acks=(*op.acks, src)))
        state, moved = self._advance(ctx, state, moved)
        ops = [o if o.number != op.number else moved for o in state.ops]
        return replace(state, ops=tuple(o for o in ops if o is not None))

    def _retry_ops(self, ctx: Context, state: DynamoState) -> DynamoState:
        ops = []
        for op in state.ops:
            if ctx.now - op.started >= self.give_up or (
                op.phase == "done" and ctx.now - op.started >= self.timeout
            ):
                continue  # abandoned; or answered long enough ago
            if op.phase == "done" or ctx.now - op.asked < self.timeout:
                ops.append(op)
                continue
            op = replace(op, asked=ctx.now)
            answered = {n for n, _ in op.replies} if op.phase == "read" else set(op.acks)
            silent = [(n, h) for n, h in op.targets if n not in answered]
            if self.sloppy and silent:
                used = {n for n, _ in op.targets}
                spare = [x for x in self.preference(op.request.key) if x not in used]
                extra = tuple((spare[i], home) for i, (_, home) in enumerate(silent[: len(spare)]))
                op = replace(op, targets=(*op.targets, *extra))
                self._ask(ctx, op, extra)
            self._ask(ctx, op, silent)  # and ask the silent ones again
            ops.append(op)
        return replace(state, ops=tuple(ops))

    # -- anti-entropy ----------------------------------------------------------------------------
    def _shared(self, ctx: Context, state: DynamoState, peer: str) -> dict[Hashable, Any]:
        return {k: vs for k, vs in state.store if ctx.id in self.home(k) and peer in self.home(k)}

    def _tree(self, ctx: Context, state: DynamoState, peer: str) -> MerkleTree:
        return MerkleTree.build(self._shared(ctx, state, peer), buckets=8)

    # -- handlers --------------------------------------------------------------------------------
    def on_recover(self, ctx: Context, durable: Any) -> DynamoState:
        # The store, the hints and the dot counter are on disk; operations in progress
        # are lost.
        state = self.init(ctx)
        if durable is NOTHING_PERSISTED:
            return state
        store, hints, dots = durable
        return replace(state, store=store, hints=hints, dots=dots)

    def on_message(self, ctx: Context, state: DynamoState, src: str, msg: Any) -> DynamoState:
        new = self._on_message(ctx, state, src, msg)
        if new.store is not state.store or new.hints is not state.hints or new.dots != state.dots:
            ctx.persist((new.store, new.hints, new.dots))
        return new

    def _on_message(self, ctx: Context, state: DynamoState, src: str, msg: Any) -> DynamoState:
        if isinstance(msg, Request):
            return self._start(ctx, state, msg)
        if isinstance(msg, Get):
            ctx.send(src, GetReply(msg.op, msg.key, self._all_versions(state, msg.key)))
            return state
        if isinstance(msg, Put):
            state = self._store(ctx, state, msg.key, msg.versions, msg.hint)
            if msg.op is not None:
                ctx.send(src, PutAck(msg.op, msg.key))
            return state
        if isinstance(msg, (GetReply, PutAck)):
            return self._answer(ctx, state, src, msg)
        if isinstance(msg, Handoff):
            state = _put_store(state, msg.key, msg.versions, self.resolve)
            ctx.send(src, HandoffAck(msg.key, msg.versions))
            return state
        if isinstance(msg, HandoffAck):
            kept = tuple(
                x
                for x in state.hints
                if not (x[0] == src and x[1] == msg.key and x[2] == msg.versions)
            )
            return replace(state, hints=kept)
        if isinstance(msg, MerkleRoot):
            tree = self._tree(ctx, state, src)
            if tree.root != msg.root:
                ctx.send(src, MerkleLeaves(tree.leaves))
            return state
        if isinstance(msg, MerkleLeaves):
            mine = self._tree(ctx, state, src)
            if len(msg.leaves) != len(mine.leaves):
                raise ValueError("DynamoNode: Merkle trees with different numbers of buckets")
            last = len(mine.leaves) - (1 if self.mutant == "merkle_skips_last" else 0)
            buckets = tuple(i for i in range(last) if mine.leaves[i] != msg.leaves[i])
            ctx.send(src, MerkleItems(buckets, self._items(ctx, state, src, buckets), True))
            return state
        if isinstance(msg, MerkleItems):
            for key, versions in msg.items:
                if ctx.id in self.home(key):
                    state = _put_store(state, key, versions, self.resolve)
            if msg.answer:
                ctx.send(
                    src, MerkleItems(msg.buckets, self._items(ctx, state, src, msg.buckets), False)
                )
            return state
        return state

    def _items(
        self, ctx: Context, state: DynamoState, peer: str, buckets: Sequence[int]
    ) -> tuple[tuple[Hashable, tuple[Version, ...]], ...]:
        shared = self._shared(ctx, state, peer)
        return tuple(
            (k, shared[k])
            for k in sorted(shared, key=stable_repr)
            if MerkleTree.bucket_of(k, 8) in buckets
        )

    def on_timer(self, ctx: Context, state: DynamoState, timer: Any) -> DynamoState:
        if timer == "ops":
            state = self._retry_ops(ctx, state)
            if state.ops:
                ctx.set_timer("ops", self.timeout / 2)
            return state
        if timer == "handoff":
            ctx.set_timer("handoff", self.handoff_interval)
            for home, key, versions in state.hints:
                ctx.send(home, Handoff(key, versions))
            if self.mutant == "handoff_forgets" and state.hints:  # sent: surely delivered?
                state = replace(state, hints=())
                ctx.persist((state.store, state.hints, state.dots))
            return state
        if timer == "anti-entropy" and self.anti_entropy is not None:
            ctx.set_timer("anti-entropy", (0.5 * self.anti_entropy, 1.5 * self.anti_entropy))
            peers = [p for p in self.nodes if p != ctx.id]
            if peers:
                peer = peers[ctx.rng.randrange(len(peers))]
                ctx.send(peer, MerkleRoot(self._tree(ctx, state, peer).root))
        return state

    def __repr__(self) -> str:
        mode = "sloppy" if self.sloppy else "strict"
        broken = f", mutant={self.mutant!r}" if self.mutant else ""
        return f"DynamoNode(N={self.n}, R={self.r}, W={self.w}, {mode}, {self.resolve}{broken})"


@dataclass(frozen=True)
class DynamoClientState(ClientState):
    """A client's place in its workload, and per key the context of its last get."""

    contexts: tuple[tuple[Hashable, tuple[Dot, ...]], ...] = ()


class DynamoClient(Client):
    """A client that passes back, with each put, the context of its last get of that key.

    That is how a Dynamo client says which version it updates (§4.4): a put after a get
    that returned siblings replaces them all; a put with no get before it is blind and
    becomes a sibling. Parameters as ``dslib.sim.Client``.

    Examples
    --------
    >>> DynamoClient(["n1"], [("get", "x", None), ("put", "x", 1)])
    DynamoClient(2 ops)
    """

    def init(self, ctx: Context) -> DynamoClientState:
        super().init(ctx)
        return DynamoClientState()

    def make_request(
        self, ctx: Context, state: ClientState, f: str, key: Hashable, value: Any
    ) -> Request:
        assert isinstance(state, DynamoClientState)
        context = dict(state.contexts).get(key, ())
        return DynamoRequest(ctx.id, state.request_id, f, key, value, context)

    def on_message(self, ctx: Context, state: ClientState, src: str, msg: Any) -> ClientState:
        assert isinstance(state, DynamoClientState)
        if (
            isinstance(msg, DynamoReply)
            and msg.ok
            and state.waiting
            and msg.request_id == state.request_id
            and self.workload[state.next_op][0] in ("get", "read")
        ):
            key = self.workload[state.next_op][2]
            contexts = dict(state.contexts)
            contexts[key] = msg.context
            ordered = tuple(sorted(contexts.items(), key=lambda kv: stable_repr(kv[0])))
            state = replace(state, contexts=ordered)
        return super().on_message(ctx, state, src, msg)

    def __repr__(self) -> str:
        return f"DynamoClient({len(self.workload)} ops)"


def dynamo_system(
    nodes: int = 5,
    clients: int = 2,
    n: int = 3,
    r: int = 2,
    w: int = 2,
    workloads: Sequence[Sequence[Any]] | None = None,
    sloppy: bool = True,
    resolve: str = "siblings",
    read_repair: bool = True,
    anti_entropy: float | None = 20.0,
    client_timeout: float = 30.0,
    retries: int = 1,
    think: float | tuple[float, float] = (0.0, 5.0),
    mutant: str | None = None,
) -> System:
    """A Dynamo-style store: nodes ``n1``... and clients ``c1``...; client ``ci`` talks to ``ni``.

    Examples
    --------
    >>> dynamo_system(nodes=3, clients=1, n=3, r=1, w=1, resolve="lww")
    System(c1=DynamoClient(6 ops), n1=DynamoNode(N=3, R=1, W=1, sloppy, lww), \
n2=DynamoNode(N=3, R=1, W=1, sloppy, lww), n3=DynamoNode(N=3, R=1, W=1, sloppy, lww))
    """
    from dslib.replication.primary_backup import default_kv_workloads

    check_count("dynamo_system", "nodes", nodes)
    loads = client_workloads("dynamo_system", clients, workloads, default_kv_workloads)
    ids = [f"n{i}" for i in range(1, nodes + 1)]
    out: dict[str, Node[Any]] = {
        i: DynamoNode(
            ids,
            n=n,
            r=r,
            w=w,
            sloppy=sloppy,
            resolve=resolve,
            read_repair=read_repair,
            anti_entropy=anti_entropy,
            mutant=mutant,
        )
        for i in ids
    }
    for c, load in enumerate(loads, start=1):
        first = ids[(c - 1) % nodes]
        servers = [first] + [i for i in ids if i != first]
        out[f"c{c}"] = DynamoClient(
            servers, load, timeout=client_timeout, retries=retries, think=think
        )
    return System(out)


def dynamo_convergence(sim: Simulation) -> Outcome:
    """Do all home replicas of every key hold the same versions, with no hint left over?

    Returns an ``Outcome`` whose ``detail`` names the first key on which they
    differ (or says how many keys agree).

    >>> from dslib import Simulation
    >>> from dslib.sim import Heal, Partition
    >>> sim = Simulation(dynamo_system(), seed=3)
    >>> sim.at(0.0, Partition((("n1",), ("c1", "c2", "n2", "n3", "n4", "n5"))))
    >>> sim.at(100.0, Heal())
    >>> print(dynamo_convergence(sim.run(until=100.0)).detail)
    key 'x' differs: n5: 5; n1: None; n2: 5
    >>> print(dynamo_convergence(sim.run(until=400.0)).detail)
    2 keys: every home replica agrees
    """
    states = {i: s for i, s in sorted(sim.states.items()) if isinstance(s, DynamoState)}
    if not states:
        raise ValueError("dynamo_convergence: no Dynamo node is up")
    node = next(n for n in sim.system.nodes.values() if isinstance(n, DynamoNode))
    keys = sorted({k for s in states.values() for k, _ in s.store}, key=stable_repr)
    for key in keys:
        seen = {i: states[i].versions(key) for i in node.home(key) if i in states}
        if len({stable_repr(v) for v in seen.values()}) > 1:
            shown = "; ".join(f"{i}: {_values(v)!r}" for i, v in seen.items())
            return Outcome(False, len(sim.trace), f"key {key!r} differs: {shown}")
    left = sum(len(s.hints) for s in states.values())
    if left:
        return Outcome(False, len(sim.trace), f"{left} hinted versions not yet handed off")
    return Outcome(True, None, f"{len(keys)} keys: every home replica agrees")


# == the mutants and the checks that catch them =================================================
def _read_values(result: Any) -> tuple[Any, ...]:
    # What a get returned, as a tuple of values (None: nothing; a tuple: siblings).
    if result is None:
        return ()
    return result if isinstance(result, tuple) else (result,)


def _covered(sim: Simulation, before: float = float("inf")) -> set[tuple[Hashable, Any]]:
    # (key, value) pairs some put begun before `before` was allowed to replace: its client's
    # last successful get of the key, before the put, returned that value. The client-visible
    # rule of section 4.4, read off the history alone (every put value distinct), not off the
    # store's contexts.
    last: dict[tuple[Any, Any], tuple[Any, ...]] = {}
    covered: set[tuple[Hashable, Any]] = set()
    for op in sorted(sim.history.operations(), key=lambda o: (o.process, o.invoke_time, o.index)):
        if op.invoke_time >= before:
            continue
        if op.f in ("get", "read") and op.status == "ok":
            last[(op.process, op.key)] = _read_values(op.result)
        elif op.f in ("put", "write"):
            covered |= {(op.key, v) for v in last.get((op.process, op.key), ())}
    return covered


def acknowledged_writes_kept(sim: Simulation) -> Outcome:
    """Does every acknowledged put survive at a home replica, unless a client replaced it?

    A put's value may disappear only if some put of the same key was made by a client
    whose last successful get of the key, before that put, returned the value (the client
    saw it and wrote over it, §4.4). Every other acknowledged value must still be held by a
    home replica of its key at the end of the run. The oracle reads the history only (put
    values must be distinct), so it does not trust the store's contexts or clocks.

    Returns
    -------
    Outcome
        ``ok``; the run's trace length if not; ``detail`` names the first lost put.

    Examples
    --------
    >>> from dslib import Simulation
    >>> loads = [[("put", "x", "milk")], [("put", "x", "eggs")]]
    >>> sim = Simulation(dynamo_system(clients=2, workloads=loads), seed=1).run(until=100.0)
    >>> acknowledged_writes_kept(sim)
    Outcome(ok=True, counterexample_length=None, detail='2 acknowledged puts: none lost')
    """
    node = next(n for n in sim.system.nodes.values() if isinstance(n, DynamoNode))
    covered = _covered(sim)
    acked = [
        op for op in sim.history.operations() if op.f in ("put", "write") and op.status == "ok"
    ]
    for op in acked:
        if (op.key, op.value) in covered:
            continue
        held = {
            v.value
            for h in node.home(op.key)
            if isinstance(sim.states.get(h), DynamoState)
            for v in sim.states[h].versions(op.key)
        }
        if op.value not in held:
            detail = f"{op.process}'s acknowledged put {op.key!r}={op.value!r} is lost"
            return Outcome(False, len(sim.trace), detail)
    return Outcome(True, None, f"{len(acked)} acknowledged puts: none lost")


def siblings_kept(sim: Simulation) -> Outcome:
    """Does each key's last get return every acknowledged value no client replaced?

    For the last successful get of each key: every put of the key acknowledged before the
    get began, whose value no put begun before it was allowed to replace (see
    ``acknowledged_writes_kept``), must be among the values it returned. Meant for runs
    whose last get comes after replication has finished (no fault then): two blind puts must
    come back as two siblings.

    Examples
    --------
    >>> from dslib import Simulation
    >>> loads = [[("put", "x", "milk")], [("put", "x", "eggs")], [("get", "x", None)]]
    >>> system = dynamo_system(clients=3, workloads=loads, think=0.0)
    >>> system.nodes["c3"].start = 50.0
    >>> siblings_kept(Simulation(system, seed=1).run(until=100.0)).detail
    "get of 'x' returned ('eggs', 'milk')"
    """
    ops = sim.history.operations()
    lines = []
    for key in sorted({op.key for op in ops}, key=stable_repr):
        gets = [o for o in ops if o.key == key and o.f in ("get", "read") and o.status == "ok"]
        if not gets:
            continue
        get = max(gets, key=lambda o: (o.invoke_time, o.index))
        covered = {v for k, v in _covered(sim, get.invoke_time) if k == key}
        wanted = {
            o.value
            for o in ops
            if o.key == key
            and o.f in ("put", "write")
            and o.status == "ok"
            and o.complete_time is not None
            and o.complete_time < get.invoke_time
            and o.value not in covered
        }
        missing = wanted - set(_read_values(get.result))
        if missing:
            shown = sorted(missing, key=stable_repr)
            return Outcome(
                False, len(sim.trace), f"get of {key!r} returned {get.result!r}, not {shown}"
            )
        lines.append(f"get of {key!r} returned {get.result!r}")
    return Outcome(True, None, "; ".join(lines) or "no get")


def _merkle_keys(buckets: int = 8) -> tuple[str, ...]:
    # One key per Merkle bucket (k0, k1, ...): the first key that falls in each bucket.
    found: dict[int, str] = {}
    i = 0
    while len(found) < buckets:
        found.setdefault(MerkleTree.bucket_of(f"k{i}", buckets), f"k{i}")
        i += 1
    return tuple(found[b] for b in range(buckets))


def _blind_run(seed: int, mutant: str | None) -> Simulation:
    # Two blind puts 50 apart (no fault), then a get: they must come back as siblings.
    from dslib.sim import Network, exponential

    loads: list[list[Any]] = [[("put", "x", "milk")], [("put", "x", "eggs")], [("get", "x", None)]]
    system = dynamo_system(clients=3, workloads=loads, think=0.0, mutant=mutant)
    system.nodes["c2"].start = 50.0  # type: ignore[attr-defined]
    system.nodes["c3"].start = 150.0  # type: ignore[attr-defined]
    sim = Simulation(system, seed=seed, network=Network(latency=exponential(2.0)))
    return sim.run(until=250.0)


def _sloppy_run(seed: int, mutant: str | None) -> Simulation:
    # c3 writes x through n3 while n3 and n4 are cut off from x's home replicas (n5, n1, n2):
    # only stand-ins acknowledge it; handoff must deliver it after the heal at 45.
    from dslib.sim import Heal, Network, Partition, exponential

    loads: list[list[Any]] = [[("get", "x", None)], [("get", "x", None)], [("put", "x", 1)]]
    system = dynamo_system(clients=3, workloads=loads, think=0.0, mutant=mutant)
    system.nodes["c1"].start, system.nodes["c2"].start = 30.0, 80.0  # type: ignore[attr-defined]
    home = system.nodes["n1"].home("x")  # type: ignore[attr-defined]
    sim = Simulation(system, seed=seed, network=Network(latency=exponential(2.0)))
    sim.at(0.0, Partition((("c3", "n3", "n4"), ("c1", "c2", *home))))
    sim.at(45.0, Heal())
    return sim.run(until=250.0)


def _stale_run(seed: int, mutant: str | None) -> Simulation:
    # One key per Merkle bucket written (no get, so no read repair) while a home replica of
    # the last bucket's key is cut off; the write quorum is met at home, so no hint either:
    # only anti-entropy can bring that replica up to date after the heal at 80.
    from dslib.sim import Heal, Network, Partition, exponential

    keys = _merkle_keys()
    loads = [[("put", k, i) for i, k in enumerate(reversed(keys), start=1)]]
    system = dynamo_system(clients=1, workloads=loads, think=0.0, mutant=mutant)
    cut = [h for h in system.nodes["n1"].home(keys[-1]) if h != "n1"][-1]  # type: ignore[attr-defined]
    sim = Simulation(system, seed=seed, network=Network(latency=exponential(2.0)))
    sim.at(0.0, Partition(((cut,), tuple(i for i in system.ids if i != cut))))
    sim.at(80.0, Heal())
    return sim.run(until=300.0)


_RUNS = {"blind puts": _blind_run, "sloppy quorum": _sloppy_run, "stale replica": _stale_run}

DYNAMO_CHECKS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "siblings kept": (siblings_kept, ("blind puts",)),
    "no acknowledged write lost": (acknowledged_writes_kept, ("blind puts", "sloppy quorum")),
    "replicas converge": (dynamo_convergence, ("sloppy quorum", "stale replica")),
}
"""The named checks of the mutant table: the check, and the runs it judges."""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "context_from_coordinator": ("siblings kept", "no acknowledged write lost"),
    "handoff_forgets": ("no acknowledged write lost",),
    "repair_one_version": ("no acknowledged write lost",),
    "merkle_skips_last": ("replicas converge",),
}
"""The checks that must catch each mutant of ``MUTANTS``."""


@functools.lru_cache(maxsize=256)
def _verdict(run: str, check: str, seed: int, mutant: str | None) -> tuple[bool, int | None]:
    # Each run is simulated once per (seed, mutant) and judged by every check that reads it.
    sim = _simulated(run, seed, mutant)
    outcome = DYNAMO_CHECKS[check][0](sim)
    return outcome.ok, outcome.counterexample_length


@functools.lru_cache(maxsize=128)
def _simulated(run: str, seed: int, mutant: str | None) -> Simulation:
    return _RUNS[run](seed, mutant)


def dynamo_catch_rate(
    mutant: str | None, check: str, seeds: Sequence[int] | range
) -> tuple[int, int, int | None]:
    """``(caught, runs, shortest trace)``: on how many seeds ``check`` fails for ``mutant``.

    A seed is caught when the check fails on any of the runs it judges (``DYNAMO_CHECKS``):
    *blind puts* (two blind puts 50 apart, then a get), *sloppy quorum* (a write acknowledged
    by stand-ins only, during a partition) and *stale replica* (a home replica cut off while
    one key per Merkle bucket is written). The seed draws the message latencies.

    Parameters
    ----------
    mutant : str or None
        A name from ``MUTANTS``, or ``None`` for the correct store.
    check : str
        A key of ``DYNAMO_CHECKS``.
    seeds : iterable of int

    Returns
    -------
    (int, int, int or None)
        Seeds caught, seeds in all, and the trace length of the shortest failing run.

    Raises
    ------
    ValueError
        If ``mutant`` or ``check`` is unknown.

    Examples
    --------
    >>> dynamo_catch_rate("handoff_forgets", "no acknowledged write lost", range(2))
    (2, 2, 392)
    >>> dynamo_catch_rate(None, "replicas converge", range(2))
    (0, 2, None)
    """
    check_mutant("dynamo_catch_rate", mutant, MUTANTS)
    check_name("dynamo_catch_rate", check, DYNAMO_CHECKS)

    def failed_lengths(seed: int) -> list[int | None]:
        verdicts = [_verdict(run, check, seed, mutant) for run in DYNAMO_CHECKS[check][1]]
        return [length for ok, length in verdicts if not ok]

    found = (failed_lengths(seed) for seed in seeds)
    return tally_runs(
        (bool(failed), min((n for n in failed if n is not None), default=None)) for failed in found
    )


def dynamo_mutant_report(seeds: int = 3) -> MutantReport:
    """Run every check of ``DYNAMO_CHECKS`` on the correct store and on each mutant.

    A check fails when it fails on any run of seeds ``0..seeds-1``; its counterexample length
    is the trace length of the shortest failing run.

    Parameters
    ----------
    seeds : int, default 3

    Returns
    -------
    MutantReport

    Raises
    ------
    ValueError
        If ``seeds`` is not an int >= 1.

    Examples
    --------
    >>> report = dynamo_mutant_report(seeds=1)
    >>> report.problems()
    []
    """
    return seeded_mutant_report(
        dynamo_catch_rate,
        MUTANTS,
        MUTANT_CHECKS,
        list(DYNAMO_CHECKS),
        seeds,
        where="dynamo_mutant_report",
    )


def dynamo_mutant_table(seeds: int = 3) -> Any:
    """The mutant table of the Dynamo-style store, with each mutant's catch rate over seeds.

    Parameters
    ----------
    seeds : int, default 3

    Returns
    -------
    pandas.DataFrame
        ``mutant_table``'s columns (the counterexample length renamed ``trace events,
        shortest run caught``), and ``seeds caught by its first check``.

    Examples
    --------
    >>> table = dynamo_mutant_table(seeds=2)
    >>> print(table[["mutant", "seeds caught by its first check"]].to_string(index=False))
                      mutant seeds caught by its first check
             correct version                          0 of 2
    context_from_coordinator                          2 of 2
             handoff_forgets                          2 of 2
          repair_one_version                          2 of 2
           merkle_skips_last                          2 of 2
    """
    return seeded_mutant_table(
        dynamo_mutant_report(seeds),
        dynamo_catch_rate,
        seeds,
        where="dynamo_mutant_table",
        length_column="trace events, shortest run caught",
        column="seeds caught by its first check",
    )
