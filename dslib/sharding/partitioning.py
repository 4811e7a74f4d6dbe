"""Partitioning schemes: which node holds each key.

Five ways to map a key to one of ``N`` nodes, each a ``Partitioner`` with the
same small interface (``lookup``, ``with_node``, ``without_node``,
``lookup_steps``, ``state_size``):

- ``ModHash``: ``hash(key) mod N``. Perfectly simple, but when ``N`` changes
  almost every key moves.
- ``RangePartitioner``: contiguous ranges of the keys' own order, which can be
  split and merged; it keeps neighbouring keys together (range scans) and
  therefore suffers from sequential hot spots.
- ``ConsistentHashRing``: nodes and keys hashed onto a ring; a key belongs to
  the first node point clockwise (Karger et al. 1997, section 4), with
  *virtual nodes* to even out the arcs (DeCandia et al. 2007, section 4.2).
- ``Rendezvous``: highest random weight; each node scores each key and the
  highest score wins (Thaler and Ravishankar 1998).
- ``JumpHash``: jump consistent hash, no state but the number of buckets
  (Lamping and Veach 2014).

All hashing is ``stable_hash``: BLAKE2b of the key's bytes, never Python's
``hash()`` (which changes with ``PYTHONHASHSEED``), so every figure of the
chapter is the same on every machine.

The measures: ``load_stats`` (how evenly the keys spread), ``moved_keys``
(how many keys change node when one joins or leaves), ``ring_shares`` (the
exact fraction of the hash space each node of a ring owns) and ``lookup_steps``
(hash evaluations plus comparisons plus loop iterations of one lookup).

The checks: ``PARTITION_MUTANTS`` names five broken lookups (``mutant_partitioner``
builds them), ``partition_catch_rate`` runs a brute-force reference, minimal movement
and balance on them, and ``partition_mutant_table`` shows which check catches which.

Examples
--------
>>> keys = make_keys(1000)
>>> ring = ConsistentHashRing(["a", "b", "c"], vnodes=64)
>>> ring.lookup("user42") in ring.nodes
True
>>> bigger = ring.with_node("d")
>>> 0.15 < moved_keys(ring, bigger, keys) / len(keys) < 0.35  # about 1/4 moves
True
>>> 0.7 < moved_keys(ModHash(["a", "b", "c"]), ModHash(["a", "b", "c", "d"]), keys) / 1000
True
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dslib.core import check_node_ids
from dslib.mutants import (
    MutantReport,
    check_mutant,
    check_name,
    seeded_mutant_report,
    seeded_mutant_table,
    tally_runs,
)

__all__ = [
    "PARTITION_CHECKS",
    "PARTITION_MUTANTS",
    "PARTITION_MUTANT_CHECKS",
    "RING_SIZE",
    "ConsistentHashRing",
    "JumpHash",
    "Key",
    "LoadStats",
    "ModHash",
    "Partitioner",
    "RangePartitioner",
    "Rendezvous",
    "jump_hash",
    "key_bytes",
    "load_stats",
    "make_keys",
    "moved_keys",
    "mutant_partitioner",
    "partition_catch_rate",
    "partition_mutant_report",
    "partition_mutant_table",
    "rendezvous_score",
    "ring_shares",
    "stable_hash",
    "vnode_spread",
    "vnode_spread_theory",
]

Key = str | bytes | int
"""What can be partitioned: a string, bytes, or an int (hashed like its decimal string)."""

RING_SIZE = 2**64
"""The size of the hash space: ``stable_hash`` returns an int in ``[0, RING_SIZE)``."""

_MASK64 = RING_SIZE - 1


def key_bytes(key: Key) -> bytes:
    """The bytes a key is hashed from: UTF-8 for a string, itself for bytes, the decimal
    digits for an int.

    Raises
    ------
    TypeError
        For any other type (a float, a tuple, None, ...).

    Examples
    --------
    >>> key_bytes("é"), key_bytes(b"ab"), key_bytes(42)
    (b'\\xc3\\xa9', b'ab', b'42')
    >>> key_bytes(1.5)
    Traceback (most recent call last):
    ...
    TypeError: a key is a str, bytes or int, got float 1.5
    """
    if isinstance(key, str):
        return key.encode("utf-8")
    if isinstance(key, bytes):
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key).encode("ascii")
    raise TypeError(f"a key is a str, bytes or int, got {type(key).__name__} {key!r}")


def stable_hash(key: Key, salt: str | None = None) -> int:
    """A 64-bit hash of ``key`` that is the same in every process and on every machine.

    BLAKE2b with an 8-byte digest, read as a big-endian unsigned int. With a
    ``salt`` (a node name, say), the hashed bytes are the salt, a separator
    byte, then the key: ``stable_hash(key, salt=node)`` is a different,
    independent-looking hash function for each node, which is what
    rendezvous hashing needs.

    Parameters
    ----------
    key : str, bytes or int
    salt : str, optional

    Returns
    -------
    int
        In ``[0, 2**64)``.

    Examples
    --------
    >>> stable_hash("user42")
    10966851424658977940
    >>> stable_hash("user42", salt="node-a") != stable_hash("user42", salt="node-b")
    True
    >>> 0 <= stable_hash(b"") < RING_SIZE
    True
    """
    data = key_bytes(key)
    if salt is not None:
        if not isinstance(salt, str):
            raise TypeError(f"salt={salt!r} must be a string (or None)")
        data = salt.encode("utf-8") + b"\x1f" + data
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def make_keys(n: int, prefix: str = "key") -> list[str]:
    """``n`` distinct keys ``key000000, key000001, ...``: in sorted order, as sequential ids are.

    Examples
    --------
    >>> make_keys(3)
    ['key000000', 'key000001', 'key000002']
    """
    if not (isinstance(n, int) and not isinstance(n, bool) and n >= 0):
        raise ValueError(f"make_keys: n={n!r} must be an int >= 0")
    return [f"{prefix}{i:06d}" for i in range(n)]


class Partitioner(ABC):
    """Maps each key to one node. Immutable: a join or leave returns a new partitioner.

    Subclasses implement ``lookup``, ``with_node``, ``without_node``,
    ``lookup_steps`` and ``state_size``.

    Attributes
    ----------
    nodes : tuple of str
        The nodes, in the order they were given (joins append).
    name : str
        The scheme's name, for tables.
    """

    name: str = "partitioner"
    nodes: tuple[str, ...]

    @abstractmethod
    def lookup(self, key: Key) -> str:
        """The node that holds ``key``."""

    @abstractmethod
    def with_node(self, node: str, keys: Sequence[Key] | None = None) -> Partitioner:
        """A new partitioner with ``node`` added (``keys`` is used by range partitioning)."""

    @abstractmethod
    def without_node(self, node: str) -> Partitioner:
        """A new partitioner with ``node`` removed."""

    @abstractmethod
    def lookup_steps(self, key: Key) -> int:
        """The work of one lookup: hash evaluations + comparisons + loop iterations."""

    @abstractmethod
    def state_size(self) -> int:
        """How many entries the routing state holds (ring points, ranges, nodes...)."""

    def assign(self, keys: Iterable[Key]) -> list[str]:
        """``[lookup(k) for k in keys]``.

        >>> ModHash(["a", "b"]).assign(["x", "y", "z"])
        ['b', 'b', 'a']
        """
        lookup = self.lookup
        return [lookup(k) for k in keys]

    def _check_join(self, node: str) -> None:
        if not isinstance(node, str) or not node:
            raise TypeError(f"{self.name}: node {node!r} must be a non-empty string")
        if node in self.nodes:
            raise ValueError(f"{self.name}: node {node!r} is already a member of {self.nodes}")

    def _check_leave(self, node: str) -> None:
        if node not in self.nodes:
            raise ValueError(f"{self.name}: node {node!r} is not a member; nodes: {self.nodes}")
        if len(self.nodes) == 1:
            raise ValueError(f"{self.name}: cannot remove the last node {node!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.nodes)} nodes)"


# -- hash mod N --------------------------------------------------------------------------
class ModHash(Partitioner):
    """``nodes[stable_hash(key) % N]``.

    Balanced and cheap, but adding or removing one node changes ``N`` and so
    the node of almost every key: about ``N / (N + 1)`` of the keys move on a
    join, instead of the ``1 / (N + 1)`` that must.

    Parameters
    ----------
    nodes : sequence of str

    Examples
    --------
    >>> p = ModHash(["a", "b", "c"])
    >>> p.lookup("user42"), p.lookup_steps("user42"), p.state_size()
    ('c', 1, 3)
    """

    name = "hash mod N"

    def __init__(self, nodes: Sequence[str]) -> None:
        self.nodes = check_node_ids("ModHash", nodes)

    def lookup(self, key: Key) -> str:
        return self.nodes[stable_hash(key) % len(self.nodes)]

    def with_node(self, node: str, keys: Sequence[Key] | None = None) -> ModHash:
        self._check_join(node)
        return ModHash((*self.nodes, node))

    def without_node(self, node: str) -> ModHash:
        self._check_leave(node)
        return ModHash(tuple(n for n in self.nodes if n != node))

    def lookup_steps(self, key: Key) -> int:
        return 1

    def state_size(self) -> int:
        return len(self.nodes)


# -- range partitioning -------------------------------------------------------------------
class RangePartitioner(Partitioner):
    """Contiguous ranges of the keys' own order, each owned by a node.

    ``boundaries`` ``b1 < b2 < ... < b(R-1)`` cut the key space into ``R``
    ranges: range 0 is ``key < b1``, range ``i`` is ``b(i) <= key < b(i+1)``,
    the last is ``key >= b(R-1)``. ``owners[i]`` holds range ``i``. Keys are
    compared as they are (all keys must be of one comparable type), so
    neighbouring keys stay together: a range scan touches few nodes, and a run
    of sequential keys (timestamps, counters) all lands on one node.

    Parameters
    ----------
    boundaries : sequence of keys
        Strictly increasing split points (``R - 1`` of them).
    owners : sequence of str
        The node of each of the ``R`` ranges (a node may own several).

    Examples
    --------
    >>> p = RangePartitioner(["h", "p"], ["a", "b", "c"])
    >>> p.lookup("apple"), p.lookup("house"), p.lookup("zebra")
    ('a', 'b', 'c')
    >>> p.split(2, "t", "d").describe()
    ['[-inf, h) -> a', '[h, p) -> b', '[p, t) -> c', '[t, +inf) -> d']
    >>> p.merge(0).describe()
    ['[-inf, p) -> a', '[p, +inf) -> c']
    """

    name = "range"

    def __init__(self, boundaries: Sequence[Any], owners: Sequence[str]) -> None:
        bounds = tuple(boundaries)
        owner_t = tuple(owners)
        if len(owner_t) != len(bounds) + 1:
            raise ValueError(
                f"RangePartitioner: {len(bounds)} boundaries make {len(bounds) + 1} ranges, "
                f"but {len(owner_t)} owners were given"
            )
        for i, o in enumerate(owner_t):
            if not isinstance(o, str) or not o:
                raise TypeError(f"RangePartitioner: owner {i} is {o!r}; owners are node names")
        try:
            increasing = all(a < b for a, b in itertools.pairwise(bounds))
        except TypeError as exc:
            raise TypeError(f"RangePartitioner: boundaries are not comparable ({exc})") from None
        if not increasing:
            raise ValueError(
                f"RangePartitioner: boundaries {list(bounds)!r} must be strictly increasing"
            )
        self.boundaries = bounds
        self.owners = owner_t
        seen: dict[str, None] = {}
        for o in owner_t:
            seen.setdefault(o, None)
        self.nodes = tuple(seen)

    @classmethod
    def from_keys(
        cls, nodes: Sequence[str], keys: Sequence[Any], ranges_per_node: int = 1
    ) -> RangePartitioner:
        """Ranges that split ``keys`` evenly, dealt to ``nodes`` in turn.

        Parameters
        ----------
        nodes : sequence of str
        keys : sequence of keys
            A sample of the keys; boundaries are at its quantiles.
        ranges_per_node : int, default 1

        Examples
        --------
        >>> RangePartitioner.from_keys(["a", "b"], make_keys(10)).describe()
        ['[-inf, key000005) -> a', '[key000005, +inf) -> b']
        """
        names = check_node_ids("RangePartitioner.from_keys", nodes)
        if not (isinstance(ranges_per_node, int) and ranges_per_node >= 1):
            raise ValueError(f"ranges_per_node={ranges_per_node!r} must be an int >= 1")
        ordered = sorted(set(keys))
        r = len(names) * ranges_per_node
        if len(ordered) < r:
            raise ValueError(
                f"RangePartitioner.from_keys: {len(ordered)} distinct keys cannot make {r} "
                "non-empty ranges"
            )
        bounds = [ordered[(i * len(ordered)) // r] for i in range(1, r)]
        owners = [names[i % len(names)] for i in range(r)]
        return cls(bounds, owners)

    def range_of(self, key: Key) -> int:
        """The index of the range holding ``key``.

        >>> RangePartitioner(["h"], ["a", "b"]).range_of("k")
        1
        """
        return bisect.bisect_right(self.boundaries, key)

    def lookup(self, key: Key) -> str:
        return self.owners[bisect.bisect_right(self.boundaries, key)]

    def describe(self) -> list[str]:
        """Each range and its owner, as text."""
        lo = ["-inf", *map(str, self.boundaries)]
        hi = [*map(str, self.boundaries), "+inf"]
        return [f"[{a}, {b}) -> {o}" for a, b, o in zip(lo, hi, self.owners, strict=True)]

    def split(self, index: int, at: Any, owner: str | None = None) -> RangePartitioner:
        """Split range ``index`` at key ``at``; the upper part goes to ``owner`` (default:
        the same owner).

        Raises
        ------
        ValueError
            If ``index`` is not a range or ``at`` is not strictly inside it.
        """
        self._check_index(index)
        lo_ok = index == 0 or self.boundaries[index - 1] < at
        hi_ok = index == len(self.owners) - 1 or at < self.boundaries[index]
        if not (lo_ok and hi_ok):
            raise ValueError(
                f"split: {at!r} is not strictly inside range {index} ({self.describe()[index]})"
            )
        new_owner = self.owners[index] if owner is None else owner
        bounds = (*self.boundaries[:index], at, *self.boundaries[index:])
        owners = (*self.owners[: index + 1], new_owner, *self.owners[index + 1 :])
        return type(self)(bounds, owners)

    def merge(self, index: int) -> RangePartitioner:
        """Merge range ``index`` with range ``index + 1``; the merged range keeps the owner of
        range ``index`` (the keys of the other range move to it if owners differ)."""
        self._check_index(index)
        if index + 1 >= len(self.owners):
            raise ValueError(f"merge: range {index} is the last one; there is nothing after it")
        bounds = (*self.boundaries[:index], *self.boundaries[index + 1 :])
        owners = (*self.owners[: index + 1], *self.owners[index + 2 :])
        return type(self)(bounds, owners)

    def _check_index(self, index: int) -> None:
        if not (isinstance(index, int) and 0 <= index < len(self.owners)):
            raise ValueError(f"range index {index!r} must be in 0..{len(self.owners) - 1}")

    def with_node(self, node: str, keys: Sequence[Key] | None = None) -> RangePartitioner:
        """Split the range holding the most of ``keys`` at its median key; the upper half
        goes to the new node. Only those keys move (about half of one range).

        Raises
        ------
        ValueError
            If ``keys`` is not given (where to split depends on the data).
        """
        self._check_join(node)
        if not keys:
            raise ValueError(
                "RangePartitioner.with_node needs keys=...: it splits the most loaded range "
                "at its median key, which depends on the data"
            )
        per_range: list[list[Any]] = [[] for _ in self.owners]
        for k in keys:
            per_range[self.range_of(k)].append(k)
        index = max(range(len(per_range)), key=lambda i: (len(per_range[i]), -i))
        inside = sorted(set(per_range[index]))
        if len(inside) < 2:
            raise ValueError("RangePartitioner.with_node: no range has two keys to split")
        return self.split(index, inside[len(inside) // 2], node)

    def without_node(self, node: str) -> RangePartitioner:
        """Give each range of ``node`` to the owner of the range before it (after it, for the
        first), then merge neighbouring ranges with the same owner. Only ``node``'s keys move,
        all to its neighbours."""
        self._check_leave(node)
        owners = list(self.owners)
        for i in range(len(owners)):
            if owners[i] == node:
                left = next((owners[j] for j in range(i - 1, -1, -1) if owners[j] != node), None)
                right = next((o for o in owners[i + 1 :] if o != node), None)
                owners[i] = left if left is not None else right  # type: ignore[assignment]
        bounds: list[Any] = []
        merged: list[str] = [owners[0]]
        for b, o in zip(self.boundaries, owners[1:], strict=True):
            if o != merged[-1]:
                bounds.append(b)
                merged.append(o)
        return type(self)(bounds, merged)

    def lookup_steps(self, key: Key) -> int:
        # A binary search over R - 1 boundaries makes about log2(R) comparisons.
        return max(1, len(self.boundaries).bit_length())

    def state_size(self) -> int:
        return len(self.owners)

    def __repr__(self) -> str:
        return f"RangePartitioner({len(self.owners)} ranges, {len(self.nodes)} nodes)"


# -- consistent hashing -------------------------------------------------------------------
class ConsistentHashRing(Partitioner):
    """Consistent hashing with virtual nodes.

    Each node is placed at ``vnodes`` points of a ring of size ``2**64``
    (point ``i`` of node ``n`` is ``stable_hash(f"{n}#{i}")``); a key belongs
    to the node of the first point at or after the key's hash, wrapping
    around. When a node joins, it takes over only the arcs just before its
    points: about ``1 / (N + 1)`` of the keys move, all to it. When it leaves,
    only its keys move, to the next points' nodes. With one point per node the
    arcs differ wildly in length; ``v`` points per node average them out, and
    the spread of the nodes' shares falls like ``1 / sqrt(v)``.

    Parameters
    ----------
    nodes : sequence of str
    vnodes : int, default 1
        Points per node.

    Examples
    --------
    >>> ring = ConsistentHashRing(["a", "b"], vnodes=2)
    >>> ring.points  # doctest: +NORMALIZE_WHITESPACE
    ((7643725175795524652, 'a'), (11062553866532119787, 'b'), (12349103225281887769, 'a'),
     (12625163068803657338, 'b'))
    >>> ring.lookup("user42"), ring.state_size()
    ('b', 4)
    """

    name = "consistent hashing"

    def __init__(self, nodes: Sequence[str], vnodes: int = 1) -> None:
        self.nodes = check_node_ids("ConsistentHashRing", nodes)
        if not (isinstance(vnodes, int) and not isinstance(vnodes, bool) and vnodes >= 1):
            raise ValueError(f"ConsistentHashRing: vnodes={vnodes!r} must be an int >= 1")
        self.vnodes = vnodes
        self.points: tuple[tuple[int, str], ...] = tuple(
            sorted((stable_hash(f"{node}#{i}"), node) for node in self.nodes for i in range(vnodes))
        )
        self._hashes = [h for h, _ in self.points]
        self._owners = [n for _, n in self.points]
        self.name = f"consistent hashing (v={vnodes})"

    def lookup(self, key: Key) -> str:
        i = bisect.bisect_left(self._hashes, stable_hash(key))
        return self._owners[i if i < len(self._owners) else 0]

    def successors(self, key: Key) -> Iterator[str]:
        """The distinct nodes met walking clockwise from ``key``'s hash: the owner first,
        then the node that takes over if it is down, and so on (each node once).

        >>> list(ConsistentHashRing(["a", "b", "c"], vnodes=8).successors("user42"))
        ['b', 'a', 'c']
        """
        n = len(self._owners)
        start = bisect.bisect_left(self._hashes, stable_hash(key))
        seen: set[str] = set()
        for j in range(n):
            node = self._owners[(start + j) % n]
            if node not in seen:
                seen.add(node)
                yield node
                if len(seen) == len(self.nodes):
                    return

    def preference_list(self, key: Key, replicas: int) -> tuple[str, ...]:
        """The first ``replicas`` distinct nodes clockwise from ``key`` (the preference list
        of Dynamo, section 4.3: where the key's replicas go).

        >>> ConsistentHashRing(["a", "b", "c"], vnodes=8).preference_list("user42", 2)
        ('b', 'a')
        """
        if not (isinstance(replicas, int) and 1 <= replicas <= len(self.nodes)):
            raise ValueError(
                f"preference_list: replicas={replicas!r} must be in 1..{len(self.nodes)}"
            )
        out = []
        for node in self.successors(key):
            out.append(node)
            if len(out) == replicas:
                break
        return tuple(out)

    def with_node(self, node: str, keys: Sequence[Key] | None = None) -> ConsistentHashRing:
        self._check_join(node)
        return type(self)((*self.nodes, node), self.vnodes)

    def without_node(self, node: str) -> ConsistentHashRing:
        self._check_leave(node)
        return type(self)(tuple(n for n in self.nodes if n != node), self.vnodes)

    def lookup_steps(self, key: Key) -> int:
        return 1 + max(1, len(self.points).bit_length())

    def state_size(self) -> int:
        return len(self.points)

    def __repr__(self) -> str:
        return f"ConsistentHashRing({len(self.nodes)} nodes, vnodes={self.vnodes})"


def ring_shares(ring: ConsistentHashRing) -> dict[str, float]:
    """The exact fraction of the hash space each node owns (the arcs before its points).

    Examples
    --------
    >>> shares = ring_shares(ConsistentHashRing(["a", "b", "c"], vnodes=100))
    >>> sorted(shares), round(sum(shares.values()), 12)
    (['a', 'b', 'c'], 1.0)
    """
    if not isinstance(ring, ConsistentHashRing):
        raise TypeError(f"ring_shares takes a ConsistentHashRing, got {type(ring).__name__}")
    owned = dict.fromkeys(ring.nodes, 0)
    points = ring.points
    prev = points[-1][0] - RING_SIZE  # the arc before the first point wraps around
    for h, node in points:
        owned[node] += h - prev
        prev = h
    return {n: owned[n] / RING_SIZE for n in sorted(owned)}


def vnode_spread(nodes: int, vnodes: int, trials: int = 1) -> float:
    """The measured relative standard deviation of the nodes' ring shares.

    Builds ``trials`` rings of ``nodes`` nodes (named differently each trial,
    so the rings are independent) with ``vnodes`` points each, and returns
    the root-mean-square, over trials, of (standard deviation of the shares) /
    (mean share). Exact shares, no key sampling noise.

    Examples
    --------
    >>> round(vnode_spread(20, 1, trials=5), 2), round(vnode_spread(20, 100, trials=5), 2)
    (1.0, 0.1)
    """
    for name, value, low in (("nodes", nodes, 2), ("vnodes", vnodes, 1), ("trials", trials, 1)):
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= low):
            raise ValueError(f"vnode_spread: {name}={value!r} must be an int >= {low}")
    total = 0.0
    for t in range(trials):
        ring = ConsistentHashRing([f"t{t}n{i}" for i in range(nodes)], vnodes)
        shares = list(ring_shares(ring).values())
        mean = 1.0 / nodes
        var = sum((s - mean) ** 2 for s in shares) / nodes
        total += var / mean**2
    return math.sqrt(total / trials)


def vnode_spread_theory(nodes: int, vnodes: float) -> float:
    """The relative standard deviation of a node's share of an ideal random ring.

    With ``N`` nodes of ``v`` points each, uniformly random, the ``N v`` arcs
    are exchangeable and a node's share (the sum of ``v`` of them) follows a
    Beta(``v``, ``(N - 1) v``) distribution, whose standard deviation divided
    by its mean is ``sqrt((N - 1) / (N v + 1))``: close to ``1 / sqrt(v)``.

    Examples
    --------
    >>> round(vnode_spread_theory(20, 1), 3), round(vnode_spread_theory(20, 100), 3)
    (0.951, 0.097)
    """
    if nodes < 1 or vnodes <= 0:
        raise ValueError(f"vnode_spread_theory: nodes={nodes} >= 1 and vnodes={vnodes} > 0")
    return math.sqrt((nodes - 1) / (nodes * vnodes + 1))


# -- rendezvous hashing ------------------------------------------------------------------
def rendezvous_score(node: str, key: Key) -> int:
    """The score node ``node`` gives ``key`` in rendezvous hashing: ``stable_hash(key,
    salt=node)``, a 64-bit int. The highest score wins.

    Examples
    --------
    >>> rendezvous_score("a", "user42"), rendezvous_score("b", "user42")
    (12795413936666909861, 11894167935095554859)
    """
    if not isinstance(node, str):
        raise TypeError(f"rendezvous_score: node {node!r} must be a string")
    return stable_hash(key, salt=node)


class Rendezvous(Partitioner):
    """Rendezvous (highest random weight) hashing.

    Every node scores every key with its own hash function; the key goes to
    the node with the highest score. A node that leaves loses exactly its own
    keys, each to the node that scored it second; a node that joins takes
    exactly the keys it scores highest. The cost: a lookup evaluates ``N``
    hashes. Sorting the nodes by score gives a *preference list*: the first
    ``r`` nodes are where ``r`` replicas go.

    Parameters
    ----------
    nodes : sequence of str
    weights : mapping of str to float, optional
        Relative capacities. Node ``n`` then scores ``-w(n) / ln(u)`` where
        ``u`` is its hash scaled into (0, 1), which makes it win a fraction of
        the keys proportional to ``w(n)`` (the logarithmic method).

    Examples
    --------
    >>> r = Rendezvous(["a", "b", "c"])
    >>> r.lookup("user42"), r.preference_list("user42", 3)
    ('a', ('a', 'c', 'b'))
    """

    name = "rendezvous"

    def __init__(self, nodes: Sequence[str], weights: Mapping[str, float] | None = None) -> None:
        self.nodes = check_node_ids("Rendezvous", nodes)
        if weights is not None:
            missing = [n for n in self.nodes if n not in weights]
            if missing:
                raise ValueError(f"Rendezvous: weights has no entry for nodes {missing}")
            for n in self.nodes:
                w = weights[n]
                if not (isinstance(w, (int, float)) and math.isfinite(w) and w > 0):
                    raise ValueError(f"Rendezvous: weight of {n!r} is {w!r}; it must be > 0")
            self.weights: dict[str, float] | None = {n: float(weights[n]) for n in self.nodes}
            self.name = "rendezvous (weighted)"
        else:
            self.weights = None

    def score(self, node: str, key: Key) -> float:
        """The score of ``node`` for ``key`` (an int without weights, a float with them)."""
        h = rendezvous_score(node, key)
        if self.weights is None:
            return h
        u = (h + 0.5) / RING_SIZE
        return -self.weights[node] / math.log(u)

    def lookup(self, key: Key) -> str:
        if self.weights is None:
            kb = key_bytes(key)
            best, best_node = -1, ""
            for node in self.nodes:
                data = node.encode("utf-8") + b"\x1f" + kb
                h = int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")
                if h > best or (h == best and node < best_node):
                    best, best_node = h, node
            return best_node
        return self.preference_list(key, 1)[0]

    def preference_list(self, key: Key, replicas: int) -> tuple[str, ...]:
        """The ``replicas`` nodes with the highest scores for ``key``, best first (ties:
        smaller node name first).

        Raises
        ------
        ValueError
            If ``replicas`` is not in ``1..N``.
        """
        if not (isinstance(replicas, int) and 1 <= replicas <= len(self.nodes)):
            raise ValueError(
                f"preference_list: replicas={replicas!r} must be in 1..{len(self.nodes)}"
            )
        ranked = sorted(self.nodes, key=lambda n: (-self.score(n, key), n))
        return tuple(ranked[:replicas])

    def with_node(self, node: str, keys: Sequence[Key] | None = None) -> Rendezvous:
        self._check_join(node)
        if self.weights is not None:
            raise ValueError(
                "Rendezvous.with_node on a weighted ring: build Rendezvous(nodes, weights) "
                "with the new node's weight"
            )
        return type(self)((*self.nodes, node))

    def without_node(self, node: str) -> Rendezvous:
        self._check_leave(node)
        rest = tuple(n for n in self.nodes if n != node)
        if self.weights is None:
            return type(self)(rest)
        return Rendezvous(rest, {n: self.weights[n] for n in rest})

    def lookup_steps(self, key: Key) -> int:
        return 2 * len(self.nodes)  # N hashes and N comparisons

    def state_size(self) -> int:
        return len(self.nodes)


# -- jump consistent hash ----------------------------------------------------------------
def jump_hash(key: int, num_buckets: int) -> int:
    """Jump consistent hash (Lamping and Veach 2014, figure 1): a bucket in ``0..num_buckets-1``.

    The key is the seed of a 64-bit linear congruential generator. Follow the
    key as the number of buckets grows: it stays in its bucket ``b`` until
    bucket ``j`` appears, then jumps to ``j``. The next ``j`` is drawn so that
    each new bucket takes exactly its fair share; only the jumps below
    ``num_buckets`` are ever visited, about ``ln(num_buckets)`` of them.

    Parameters
    ----------
    key : int
        A 64-bit unsigned key (hash a string with ``stable_hash`` first).
    num_buckets : int
        At least 1.

    Returns
    -------
    int

    Examples
    --------
    >>> [jump_hash(k, 10) for k in range(8)]
    [0, 6, 6, 8, 1, 4, 9, 0]
    >>> jump_hash(stable_hash("user42"), 1000)
    634
    """
    if not (isinstance(key, int) and not isinstance(key, bool) and 0 <= key < RING_SIZE):
        raise ValueError(f"jump_hash: key={key!r} must be an int in [0, 2**64)")
    if not (isinstance(num_buckets, int) and not isinstance(num_buckets, bool) and num_buckets > 0):
        raise ValueError(f"jump_hash: num_buckets={num_buckets!r} must be an int >= 1")
    b, j = -1, 0
    while j < num_buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & _MASK64
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


def _jump_iterations(key: int, num_buckets: int) -> int:
    n, b, j = 0, -1, 0
    while j < num_buckets:
        n += 1
        b = j
        key = (key * 2862933555777941757 + 1) & _MASK64
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return n


class JumpHash(Partitioner):
    """Jump consistent hash over a list of nodes: bucket ``i`` is ``nodes[i]``.

    No routing state but the node list, perfectly balanced, and a join moves
    exactly the keys the new node must take. The price: buckets are numbered,
    so nodes can only be added or removed at the end. Removing a node from the
    middle (``without_node``) moves the last node into its bucket number, so
    the keys of two buckets move (about ``2 / N``) instead of one.

    Examples
    --------
    >>> p = JumpHash(["a", "b", "c"])
    >>> p.lookup("user42"), p.with_node("d").lookup("user42")  # one key moves to the new node
    ('c', 'd')
    >>> moved_keys(p, p.with_node("d"), make_keys(1000))  # 1/4 of them must
    263
    """

    name = "jump hash"

    def __init__(self, nodes: Sequence[str]) -> None:
        self.nodes = check_node_ids("JumpHash", nodes)

    def lookup(self, key: Key) -> str:
        return self.nodes[jump_hash(stable_hash(key), len(self.nodes))]

    def with_node(self, node: str, keys: Sequence[Key] | None = None) -> JumpHash:
        self._check_join(node)
        return type(self)((*self.nodes, node))

    def without_node(self, node: str) -> JumpHash:
        self._check_leave(node)
        nodes = list(self.nodes)
        i = nodes.index(node)
        last = nodes.pop()
        if last != node:
            nodes[i] = last  # the last bucket's node takes the removed node's number
        return type(self)(nodes)

    def lookup_steps(self, key: Key) -> int:
        return 1 + _jump_iterations(stable_hash(key), len(self.nodes))

    def state_size(self) -> int:
        return len(self.nodes)


# -- measures ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LoadStats:
    """How evenly keys (or requests) spread over nodes.

    Attributes
    ----------
    counts : tuple of (str, int)
        Keys per node, by node name (every node, zero included).
    mean : float
    std : float
        Population standard deviation of the counts.
    max_over_mean : float
        The most loaded node's count over the mean: 1.0 is perfect balance.
    relative_std : float
        ``std / mean``.

    Examples
    --------
    >>> s = load_stats(ModHash(["a", "b"]), ["x", "y", "z"])
    >>> s.counts, round(s.max_over_mean, 3)
    ((('a', 1), ('b', 2)), 1.333)
    """

    counts: tuple[tuple[str, int], ...]
    mean: float
    std: float
    max_over_mean: float
    relative_std: float


def load_stats(partitioner: Partitioner, keys: Iterable[Key]) -> LoadStats:
    """Count the keys each node of ``partitioner`` holds and summarise the spread.

    Keys may repeat (a stream of requests): each occurrence counts.

    Examples
    --------
    >>> round(load_stats(JumpHash(["a", "b", "c", "d"]), make_keys(4000)).relative_std, 3)
    0.02
    """
    if not isinstance(partitioner, Partitioner):
        raise TypeError(f"load_stats takes a Partitioner, got {type(partitioner).__name__}")
    counts = dict.fromkeys(partitioner.nodes, 0)
    for node in partitioner.assign(keys):
        counts[node] += 1
    values = [counts[n] for n in sorted(counts)]
    total = sum(values)
    if total == 0:
        raise ValueError("load_stats: no keys")
    mean = total / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return LoadStats(
        tuple((n, counts[n]) for n in sorted(counts)), mean, std, max(values) / mean, std / mean
    )


def moved_keys(before: Partitioner, after: Partitioner, keys: Iterable[Key]) -> int:
    """How many of ``keys`` are on a different node in ``after`` than in ``before``.

    Examples
    --------
    >>> keys = make_keys(1000)
    >>> moved_keys(JumpHash(["a", "b"]), JumpHash(["a", "b", "c"]), keys)
    331
    """
    return sum(1 for k in keys if before.lookup(k) != after.lookup(k))


# == the mutants and the checks that catch them ===================================================
PARTITION_MUTANTS: dict[str, str] = {
    "ring_predecessor": "consistent hashing gives a key to the last point before its hash "
    "(counter-clockwise) instead of the first point at or after it",
    "ring_no_wrap": "consistent hashing does not wrap around: a key past the last point goes to "
    "the last point's node instead of the first point's",
    "range_bisect_left": "range lookup with bisect_left instead of bisect_right: a key equal to a "
    "boundary goes to the range below it",
    "jump_stops_early": "jump hash stops its loop one bucket early, so the last bucket never gets "
    "a key",
    "rendezvous_unsalted": "rendezvous scores a key with a hash of the key alone, not of node and "
    "key: all nodes tie and the tie-break gives every key to one node",
}
"""The broken partitioners (``mutant=`` name of ``mutant_partitioner`` -> what is wrong)."""

PARTITION_CHECKS: tuple[str, ...] = ("brute-force reference", "minimal movement", "balance")
"""The named checks of ``partition_catch_rate``, each independent of the lookups it checks."""

PARTITION_MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "ring_predecessor": ("brute-force reference",),
    "ring_no_wrap": ("brute-force reference",),
    "range_bisect_left": ("brute-force reference",),
    "jump_stops_early": ("minimal movement", "balance"),
    "rendezvous_unsalted": ("balance",),
}
"""The checks that must catch each mutant of ``PARTITION_MUTANTS``."""


class _RingPredecessor(ConsistentHashRing):
    def lookup(self, key: Key) -> str:
        # Bug: the point before the key's hash, not the first at or after it (-1 wraps).
        return self._owners[bisect.bisect_right(self._hashes, stable_hash(key)) - 1]


class _RingNoWrap(ConsistentHashRing):
    def lookup(self, key: Key) -> str:
        i = bisect.bisect_left(self._hashes, stable_hash(key))
        return self._owners[min(i, len(self._owners) - 1)]  # bug: clamps instead of wrapping


class _RangeBisectLeft(RangePartitioner):
    def lookup(self, key: Key) -> str:
        return self.owners[bisect.bisect_left(self.boundaries, key)]  # bug: bisect_left


def _jump_hash_stops_early(key: int, num_buckets: int) -> int:
    b, j = -1, 0
    while j < num_buckets - 1:  # bug: one bucket early
        b = j
        key = (key * 2862933555777941757 + 1) & _MASK64
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


class _JumpStopsEarly(JumpHash):
    def lookup(self, key: Key) -> str:
        return self.nodes[_jump_hash_stops_early(stable_hash(key), len(self.nodes))]


class _RendezvousUnsalted(Rendezvous):
    def score(self, node: str, key: Key) -> float:
        return stable_hash(key)  # bug: the node is not hashed with the key

    def lookup(self, key: Key) -> str:
        return self.preference_list(key, 1)[0]


_SCHEMES: tuple[str, ...] = ("hash mod N", "range", "consistent hashing", "rendezvous", "jump hash")
_MUTANT_SCHEME: dict[str, tuple[str, type[Partitioner]]] = {
    "ring_predecessor": ("consistent hashing", _RingPredecessor),
    "ring_no_wrap": ("consistent hashing", _RingNoWrap),
    "range_bisect_left": ("range", _RangeBisectLeft),
    "jump_stops_early": ("jump hash", _JumpStopsEarly),
    "rendezvous_unsalted": ("rendezvous", _RendezvousUnsalted),
}


def mutant_partitioner(
    mutant: str | None,
    nodes: Sequence[str],
    keys: Sequence[Key] | None = None,
    vnodes: int = 16,
) -> Partitioner:
    """The partitioner that ``mutant`` (a name in ``PARTITION_MUTANTS``) breaks, built broken.

    Joins and leaves keep the bug: ``with_node`` and ``without_node`` build the same class.

    Parameters
    ----------
    mutant : str
        A name from ``PARTITION_MUTANTS``.
    nodes : sequence of str
    keys : sequence of keys, optional
        The sample the ranges are cut from (``range_bisect_left`` only; required there).
    vnodes : int, default 16
        Points per node (the ring mutants only).

    Raises
    ------
    ValueError
        If ``mutant`` is unknown (the message lists the names), or ``keys`` is missing for
        ``range_bisect_left``.

    Examples
    --------
    >>> ring = ConsistentHashRing(["a", "b", "c"], vnodes=2)
    >>> broken = mutant_partitioner("ring_predecessor", ["a", "b", "c"], vnodes=2)
    >>> ring.lookup("user42"), broken.lookup("user42")
    ('b', 'a')
    >>> sorted(set(mutant_partitioner("jump_stops_early", ["a", "b", "c"]).assign(make_keys(99))))
    ['a', 'b']
    >>> mutant_partitioner("typo", ["a"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: mutant_partitioner: unknown mutant 'typo'; allowed: one of ['jump_stops_early', ...]
    """
    if not isinstance(mutant, str) or mutant not in PARTITION_MUTANTS:
        raise ValueError(
            f"mutant_partitioner: unknown mutant {mutant!r}; allowed: one of "
            f"{sorted(PARTITION_MUTANTS)}"
        )
    scheme, cls = _MUTANT_SCHEME[mutant]
    return _build(scheme, tuple(nodes), None if keys is None else tuple(keys), vnodes, cls)


def _build(
    scheme: str,
    nodes: tuple[str, ...],
    keys: tuple[Key, ...] | None,
    vnodes: int,
    cls: Any = None,
) -> Partitioner:
    # ``cls``: the broken subclass of the scheme's class, or None for the class itself.
    if scheme == "hash mod N":
        return ModHash(nodes)
    if scheme == "range":
        if keys is None:
            raise ValueError("range partitioning needs keys=... to cut its ranges from")
        return (cls or RangePartitioner).from_keys(nodes, keys)
    if scheme == "consistent hashing":
        return (cls or ConsistentHashRing)(nodes, vnodes)
    if scheme == "rendezvous":
        return (cls or Rendezvous)(nodes)
    return (cls or JumpHash)(nodes)


def _reference_owners(p: Partitioner, scheme: str, keys: Sequence[Key]) -> list[str] | None:
    """Each key's owner by definition, by scanning everything (``None``: no reference for
    jump hash)."""
    if scheme == "hash mod N":
        return [p.nodes[stable_hash(k) % len(p.nodes)] for k in keys]
    if isinstance(p, RangePartitioner):
        bounds, owners = p.boundaries, p.owners
        # The first range whose upper end is above the key, else the last range.
        return [next((owners[i] for i, b in enumerate(bounds) if k < b), owners[-1]) for k in keys]
    if isinstance(p, ConsistentHashRing):
        # Every point of every node, recomputed from its name; the owner is the point at
        # the smallest clockwise distance from the key's hash.
        points = [(stable_hash(f"{n}#{i}"), n) for n in p.nodes for i in range(p.vnodes)]

        def clockwise_first(key: Key) -> str:
            h = stable_hash(key)
            return min(points, key=lambda pt: ((pt[0] - h) % RING_SIZE, pt[1]))[1]

        return [clockwise_first(k) for k in keys]
    if isinstance(p, Rendezvous):

        def highest_score(key: Key) -> str:  # ties go to the smaller name
            return min(p.nodes, key=lambda n: (-rendezvous_score(n, key), n))

        return [highest_score(k) for k in keys]
    return None


def _seed_case(seed: int, n_nodes: int, n_keys: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # Names drawn from the seed: each seed is another set of nodes and keys, so other hashes.
    nodes = tuple(f"s{seed}n{i}" for i in range(n_nodes))
    return nodes, tuple(f"s{seed}k{i:05d}" for i in range(n_keys))


@functools.lru_cache(maxsize=1024)
def _violations(check: str, scheme: str, seed: int, mutant: str | None) -> int:
    """How many keys (nodes, for balance) break ``check`` for ``scheme`` on one seed."""
    cls = None if mutant is None else _MUTANT_SCHEME[mutant][1]
    if check == "brute-force reference":
        # Small: 5 nodes, rings of 1, 2, 3 and 4 points per node, 300 keys (the ranges are
        # cut from them, so some keys are boundaries).
        nodes, keys = _seed_case(seed, 5, 300)
        wrong = 0
        for vnodes in (1, 2, 3, 4) if scheme == "consistent hashing" else (1,):
            p = _build(scheme, nodes, keys, vnodes, cls)
            expected = _reference_owners(p, scheme, keys)
            if expected is not None:
                wrong += sum(a != b for a, b in zip(p.assign(keys), expected, strict=True))
        return wrong
    if check == "minimal movement":
        # 4 nodes, 16 points each, 600 keys: a join moves keys only to the new node, a leave
        # only the leaving node's keys (jump hash can lose only its last bucket).
        if scheme == "hash mod N":
            return 0  # not a minimal-movement scheme: nothing to check
        nodes, keys = _seed_case(seed, 4, 600)
        p = _build(scheme, nodes, keys, 16, cls)
        before = p.assign(keys)
        joined = p.with_node(f"s{seed}new", keys).assign(keys)
        gone = nodes[-1] if scheme == "jump hash" else nodes[1]
        left = p.without_node(gone).assign(keys)
        wrong = sum(b != a and a != f"s{seed}new" for b, a in zip(before, joined, strict=True))
        return wrong + sum(b != a and b != gone for b, a in zip(before, left, strict=True))
    # balance: 4 nodes, 64 points each, 1000 keys; every node within half of the mean either way
    nodes, keys = _seed_case(seed, 4, 1000)
    counts = dict(load_stats(_build(scheme, nodes, keys, 64, cls), keys).counts)
    mean = len(keys) / len(nodes)
    return sum(not (0.5 * mean <= c <= 1.5 * mean) for c in counts.values())


def partition_catch_rate(
    mutant: str | None, check: str, seeds: Iterable[int]
) -> tuple[int, int, int | None]:
    """``(caught, runs, fewest)``: on how many seeds ``check`` fails for the five schemes.

    Each seed names other nodes and keys, so the hashes differ. The five schemes run,
    with the one ``mutant`` breaks replaced by its broken version. The checks, each
    independent of the lookup code:

    - ``"brute-force reference"``: 3 nodes, 300 keys; each key's node equals the one
      found by the definition, scanning everything: every point of a ring (3 per node,
      recomputed from their names) for the smallest clockwise distance, every range in
      order, every node's ``rendezvous_score`` (ties to the smaller name),
      ``hash % N``. Jump hash has no slower exact definition (its published values and
      the properties below are its checks in ``tests/test_sharding.py``).
    - ``"minimal movement"``: 4 nodes, 600 keys; when a node joins, a key moves only to
      it; when one leaves (the last, for jump hash), only its keys move. Hash mod N is
      not meant to pass and is left out.
    - ``"balance"``: 4 nodes (64 points each on a ring), 1000 keys; every node holds
      between half and 1.5 times the mean.

    Parameters
    ----------
    mutant : str or None
        A name from ``PARTITION_MUTANTS``, or ``None`` for the correct schemes.
    check : str
        One of ``PARTITION_CHECKS``.
    seeds : iterable of int

    Returns
    -------
    (int, int, int or None)
        Seeds on which the check failed, seeds in all, and the fewest keys (nodes, for
        balance) that broke it on a failing seed (``None`` if none failed).

    Raises
    ------
    ValueError
        If ``mutant`` or ``check`` is unknown.

    Examples
    --------
    >>> partition_catch_rate("ring_no_wrap", "brute-force reference", range(3))
    (3, 3, 8)
    >>> partition_catch_rate(None, "balance", range(3))
    (0, 3, None)
    """
    check_mutant("partition_catch_rate", mutant, PARTITION_MUTANTS)
    check_name("partition_catch_rate", check, PARTITION_CHECKS)
    touched = None if mutant is None else _MUTANT_SCHEME[mutant][0]

    def violations(seed: int) -> int:
        return sum(_violations(check, s, seed, mutant if s == touched else None) for s in _SCHEMES)

    return tally_runs((bool(bad), bad) for bad in map(violations, seeds))


def partition_mutant_report(seeds: int = 10) -> MutantReport:
    """Run every check of ``PARTITION_CHECKS`` on the correct schemes and on each mutant.

    A check fails when it fails on any of the seeds ``0..seeds-1``
    (see ``partition_catch_rate``).

    Examples
    --------
    >>> partition_mutant_report(seeds=2).problems()
    []
    """
    return seeded_mutant_report(
        partition_catch_rate,
        PARTITION_MUTANTS,
        PARTITION_MUTANT_CHECKS,
        PARTITION_CHECKS,
        seeds,
        where="partition_mutant_report",
    )


def partition_mutant_table(seeds: int = 10) -> Any:
    """The mutant table of the partitioning schemes, with each mutant's catch rate.

    Parameters
    ----------
    seeds : int, default 10

    Returns
    -------
    pandas.DataFrame
        Columns ``mutant``, ``bug``, ``caught by`` (every check that failed on some seed),
        ``its check`` (the first check named in ``PARTITION_MUTANT_CHECKS``) and
        ``seeds it catches``.

    Examples
    --------
    >>> table = partition_mutant_table(seeds=3)
    >>> print(table[["mutant", "its check", "seeds it catches"]].to_string(index=False))
                 mutant             its check seeds it catches
        correct version                   any           0 of 3
       ring_predecessor brute-force reference           3 of 3
           ring_no_wrap brute-force reference           3 of 3
      range_bisect_left brute-force reference           3 of 3
       jump_stops_early      minimal movement           3 of 3
    rendezvous_unsalted               balance           3 of 3
    """
    return seeded_mutant_table(
        partition_mutant_report(seeds),
        partition_catch_rate,
        seeds,
        where="partition_mutant_table",
        check_column="its check",
        correct_check="any",
        column="seeds it catches",
    )
