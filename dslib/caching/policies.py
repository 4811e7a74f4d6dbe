"""Eviction policies: which key a full cache gives up to make room for a new one.

Every policy has one interface (``Policy``) and is built by name with ``make_policy``:

========  ==========================================================  ===================
name      evicts                                                      cost per access
========  ==========================================================  ===================
lru       the least recently used key                                 O(1)
lfu       the least frequently used key, with dynamic aging (LFU-DA)  O(log n)
fifo      the oldest key, whatever its use                            O(1)
clock     the first key the hand finds without a second chance        O(1) amortised
random    a key drawn by a seeded random generator                    O(1)
arc       Adaptive Replacement Cache: recency and frequency balanced  O(1)
========  ==========================================================  ===================

and ``ttl=`` adds expiry to any of them (a key is a miss once ``ttl`` time units have
passed since it was inserted).

The interface separates what a cache does on a request into its two halves, so that a
cache in front of a store (``dslib.caching`` patterns) can look up, fetch from the store,
and only then admit:

- ``lookup(key)``: ``True`` on a hit, and the policy records the use (LRU moves the key
  to the front, LFU counts it, CLOCK sets its reference bit); on a miss nothing changes.
- ``insert(key)``: admits a key that is not cached and returns the keys evicted to make
  room (an empty list while there is room). An admission policy may refuse a key; it then
  returns ``[key]`` itself (none of the policies here refuses, but callers should accept
  it). Inserting a key that is cached is an error.
- ``remove(key)``: invalidates a key (``True`` if it was cached).
- ``access(key)``: ``lookup``, and on a miss ``insert``; returns the hit.

Time matters only with ``ttl=``: such a cache takes the current time as ``now=`` in
``lookup``, ``insert`` and ``access`` (and raises ``TypeError`` without it). The other
policies accept ``now`` too, so that code can treat every cache alike, and ignore it: time
plays no part in their decisions.

Why ARC as the scan-resistant policy: it has no parameter to tune (2Q needs the sizes of
its two queues, W-TinyLFU a window, a sketch width and a sample size), it adapts between
recency and frequency as the workload changes, and its mechanism (two lists of cached
keys and two "ghost" lists of recently evicted ones) can be drawn and reasoned about in a
few lines. A scan passes through its recency list ``T1`` and never displaces the keys
that were used twice, in ``T2`` [1]_.

Mutants (``POLICY_MUTANTS``), each one line from the rule it breaks:

- ``lru_no_refresh``: LRU that does not move a key to the front on a hit (so it is FIFO);
- ``ttl_never_expires``: a TTL cache whose entries never expire;
- ``arc_ignores_ghosts``: ARC that treats a hit in a ghost list as a plain miss (no
  adaptation), so it stops learning from its own evictions;
- ``random_stale_index``: random eviction that forgets to drop the victim from its index
  of keys, so it reports hits for keys it no longer holds (the bug that lets a cache seem
  to beat the optimum).

Examples
--------
>>> cache = make_policy("lru", 2)
>>> [cache.access(k) for k in "abacb"]
[False, False, True, False, False]
>>> cache.keys()
['c', 'b']
>>> cache.insert("d")
['c']
>>> ttl = make_policy("lru", 2, ttl=5.0)
>>> ttl.insert("a", now=0.0), ttl.lookup("a", now=4.9), ttl.lookup("a", now=5.0)
([], True, False)

References
----------
.. [1] N. Megiddo and D. S. Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache",
   USENIX FAST 2003, section III (the policy DBL(2c) and the class Pi(c)) and section IV
   (ARC: Figure 4, the algorithm, and the subsection on scan resistance).
.. [2] M. Arlitt, L. Cherkasova, J. Dilley, R. Friedrich and T. Jin, "Evaluating Content
   Management Techniques for Web Proxy Caches", ACM SIGMETRICS Performance Evaluation
   Review 27(4), 2000, section 3 (LFU with dynamic aging, LFU-DA).
.. [3] F. J. Corbató, "A Paging Experiment with the Multics System", MIT Project MAC
   report MAC-M-384, 1968 (the clock algorithm).
"""

from __future__ import annotations

import heapq
import math
import random
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from dslib.mutants import check_mutant

__all__ = [
    "POLICIES",
    "POLICY_MUTANTS",
    "ARCPolicy",
    "ClockPolicy",
    "FIFOPolicy",
    "LFUPolicy",
    "LRUPolicy",
    "Policy",
    "RandomPolicy",
    "TTLPolicy",
    "count_hits",
    "make_policy",
]

POLICY_MUTANTS: dict[str, str] = {
    "lru_no_refresh": "LRU does not move a key to the front on a hit (it is FIFO)",
    "ttl_never_expires": "the TTL is never enforced: an entry is served forever",
    "arc_ignores_ghosts": "ARC treats a hit in a ghost list as a plain miss (never adapts)",
    "random_stale_index": "random eviction leaves the victim in its index: phantom hits",
}

# which policy each mutant breaks (None: the TTL wrapper around any policy)
_MUTANT_POLICY: dict[str, str | None] = {
    "lru_no_refresh": "lru",
    "ttl_never_expires": None,
    "arc_ignores_ghosts": "arc",
    "random_stale_index": "random",
}


def _check_capacity(capacity: object, who: str) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise TypeError(
            f"{who}: capacity must be a positive int (the number of keys the cache holds); "
            f"got {type(capacity).__name__} {capacity!r}"
        )
    if capacity <= 0:
        raise ValueError(
            f"{who}: capacity={capacity} must be at least 1 (a cache of size 0 or less "
            "holds nothing)"
        )
    return capacity


class Policy(ABC):
    """A cache of keys with a bounded ``capacity`` and an eviction rule.

    Subclasses implement ``_hit`` (record a use), ``_admit`` (add a key, evicting as
    needed) and ``_drop`` (forget a key); the public methods check arguments and are the
    same for all.

    Parameters
    ----------
    capacity : int
        The number of keys the cache holds, at least 1.

    Raises
    ------
    ValueError, TypeError
        If ``capacity`` is not a positive int.
    """

    name: str = "policy"

    def __init__(self, capacity: int) -> None:
        self.capacity = _check_capacity(capacity, type(self).__name__)

    # -- what subclasses implement ---------------------------------------------------------
    @abstractmethod
    def __contains__(self, key: object) -> bool:
        """Is ``key`` cached."""

    @abstractmethod
    def __len__(self) -> int:
        """The number of cached keys."""

    @abstractmethod
    def keys(self) -> list[Hashable]:
        """The cached keys, the next to be evicted first (where the policy has an order)."""

    @abstractmethod
    def _hit(self, key: Hashable) -> None:
        """Record a use of a cached key."""

    @abstractmethod
    def _admit(self, key: Hashable) -> list[Hashable]:
        """Add a key that is not cached; return the evicted keys."""

    @abstractmethod
    def _drop(self, key: Hashable) -> None:
        """Forget a cached key (not an eviction)."""

    # -- the interface ----------------------------------------------------------------------
    def lookup(self, key: Hashable, now: float | None = None) -> bool:
        """``True`` if ``key`` is cached (and the policy records the use); a miss changes nothing.

        ``now`` is ignored by policies without a TTL (time plays no part in them).

        Examples
        --------
        >>> c = make_policy("fifo", 1)
        >>> c.lookup("a"), c.insert("a"), c.lookup("a")
        (False, [], True)
        """
        if key in self:
            self._hit(key)
            return True
        return False

    def insert(self, key: Hashable, now: float | None = None) -> list[Hashable]:
        """Admit ``key`` (not cached); return the keys evicted to make room.

        Returns ``[]`` while there is room. An admission policy may refuse the key and
        return ``[key]``; none of the policies of this module refuses.

        Raises
        ------
        ValueError
            If ``key`` is already cached (``lookup`` it, or ``remove`` it first).

        Examples
        --------
        >>> c = make_policy("lru", 1)
        >>> c.insert("a"), c.insert("b")
        ([], ['a'])
        """
        if key in self:
            raise ValueError(
                f"{type(self).__name__}.insert: key {key!r} is already cached; insert admits "
                "a key that is not (use lookup or access, or remove it first)"
            )
        return self._admit(key)

    def remove(self, key: Hashable) -> bool:
        """Invalidate ``key``; ``True`` if it was cached.

        Examples
        --------
        >>> c = make_policy("lru", 2)
        >>> c.insert("a"), c.remove("a"), c.remove("a"), len(c)
        ([], True, False, 0)
        """
        if key in self:
            self._drop(key)
            return True
        return False

    def access(self, key: Hashable, now: float | None = None) -> bool:
        """A request: ``lookup``, and on a miss ``insert``. Returns whether it hit.

        Examples
        --------
        >>> c = make_policy("clock", 2)
        >>> [c.access(k) for k in [1, 2, 1, 3, 1]]
        [False, False, True, False, True]
        """
        if key in self:  # lookup and insert inlined: this is the simulations' inner loop
            self._hit(key)
            return True
        self._admit(key)
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(capacity={self.capacity}, keys={self.keys()!r})"


class LRUPolicy(Policy):
    """Least recently used: evicts the key whose last use is oldest.

    An ``OrderedDict`` keeps the keys from least to most recently used: a hit moves the
    key to the end, an eviction pops the first. O(1) per operation.

    Examples
    --------
    >>> c = LRUPolicy(2)
    >>> [c.access(k) for k in "abac"], c.keys()
    ([False, False, True, False], ['a', 'c'])
    """

    name = "lru"

    def __init__(self, capacity: int, mutant: str | None = None) -> None:
        super().__init__(capacity)
        self.mutant = mutant
        self._order: OrderedDict[Hashable, None] = OrderedDict()

    def __contains__(self, key: object) -> bool:
        return key in self._order

    def __len__(self) -> int:
        return len(self._order)

    def keys(self) -> list[Hashable]:
        return list(self._order)

    def _hit(self, key: Hashable) -> None:
        if self.mutant == "lru_no_refresh":
            return  # mutant: the hit does not make the key recent
        self._order.move_to_end(key)

    def _admit(self, key: Hashable) -> list[Hashable]:
        evicted = []
        if len(self._order) >= self.capacity:
            evicted.append(self._order.popitem(last=False)[0])
        self._order[key] = None
        return evicted

    def _drop(self, key: Hashable) -> None:
        del self._order[key]


class FIFOPolicy(LRUPolicy):
    """First in, first out: evicts the key inserted longest ago; hits change nothing.

    LRU's ordered keys without the move on a hit: the order stays the order of insertion.

    Examples
    --------
    >>> c = FIFOPolicy(2)
    >>> [c.access(k) for k in "abac"], c.keys()
    ([False, False, True, False], ['b', 'c'])
    """

    name = "fifo"

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)

    def _hit(self, key: Hashable) -> None:
        pass  # FIFO ignores use: the order is the order of insertion


class ClockPolicy(Policy):
    """CLOCK (second chance): FIFO that spares a key used since it came in, once.

    Each key has a reference bit, clear when it is inserted and set by a hit. To evict,
    the hand looks at the oldest key: if its bit is set, the bit is cleared and the key
    goes to the back (its second chance); otherwise it is evicted. The circular list of
    the original is kept here as an ``OrderedDict`` from the hand's position onwards.
    O(1) amortised: every bit the hand clears was set by one hit.

    Examples
    --------
    >>> c = ClockPolicy(2)
    >>> [c.access(k) for k in "abac"], c.keys()
    ([False, False, True, False], ['a', 'c'])
    """

    name = "clock"

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self._bits: OrderedDict[Hashable, bool] = OrderedDict()

    def __contains__(self, key: object) -> bool:
        return key in self._bits

    def __len__(self) -> int:
        return len(self._bits)

    def keys(self) -> list[Hashable]:
        return list(self._bits)

    def _hit(self, key: Hashable) -> None:
        self._bits[key] = True

    def _admit(self, key: Hashable) -> list[Hashable]:
        evicted = []
        if len(self._bits) >= self.capacity:
            while True:
                oldest, referenced = self._bits.popitem(last=False)
                if not referenced:
                    evicted.append(oldest)
                    break
                self._bits[oldest] = False  # second chance: to the back, bit cleared
        self._bits[key] = False
        return evicted

    def _drop(self, key: Hashable) -> None:
        del self._bits[key]


class RandomPolicy(Policy):
    """Evicts a key chosen at random, from a generator seeded by ``seed``.

    The keys sit in slots; an eviction draws a slot with ``rng.randrange(len(slots))``
    and the new key takes that slot; ``remove`` moves the last slot's key into the hole.
    The same seed and the same requests give the same evictions. O(1).

    Examples
    --------
    >>> c = RandomPolicy(2, seed=1)
    >>> [c.access(k) for k in "abcab"]
    [False, False, False, False, True]
    """

    name = "random"

    def __init__(self, capacity: int, seed: int = 0, mutant: str | None = None) -> None:
        super().__init__(capacity)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"RandomPolicy: seed must be an int; got {seed!r}")
        self.seed = seed
        self.mutant = mutant
        self._rng = random.Random(seed)
        self._slots: list[Hashable] = []
        self._where: dict[Hashable, int] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._where

    def __len__(self) -> int:
        return len(self._slots)

    def keys(self) -> list[Hashable]:
        return list(self._slots)

    def _hit(self, key: Hashable) -> None:
        pass  # random eviction ignores use

    def _admit(self, key: Hashable) -> list[Hashable]:
        if len(self._slots) < self.capacity:
            self._where[key] = len(self._slots)
            self._slots.append(key)
            return []
        slot = self._rng.randrange(len(self._slots))
        victim = self._slots[slot]
        if self.mutant != "random_stale_index":  # the mutant keeps the victim's index entry
            del self._where[victim]
        self._slots[slot] = key
        self._where[key] = slot
        return [victim]

    def _drop(self, key: Hashable) -> None:
        slot = self._where.pop(key)
        last = self._slots.pop()
        if last != key or slot != len(self._slots):
            self._slots[slot] = last
            self._where[last] = slot


class LFUPolicy(Policy):
    """Least frequently used with dynamic aging (LFU-DA): evicts the lowest priority.

    Each cached key has a count of its uses since it came in and a priority
    ``age + count``, where ``age`` is the cache's age when the key was last used. The
    cache's age starts at 0 and becomes the priority of each key evicted. Without aging,
    a key that was popular once keeps a high count forever and holds its place after its
    popularity has gone ("cache pollution"); with it, newer keys start at the current age
    and can overtake it (Arlitt et al. 2000, section 3). Ties go to the least recently
    used. A heap with lazy deletion gives O(log n) per operation.

    Examples
    --------
    >>> c = LFUPolicy(2)
    >>> [c.access(k) for k in "aabca"], c.keys()
    ([False, True, False, False, True], ['c', 'a'])
    """

    name = "lfu"

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.age = 0
        self._entries: dict[Hashable, tuple[int, int, int]] = {}  # key -> (priority, seq, count)
        self._heap: list[tuple[int, int, Hashable]] = []
        self._seq = 0

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> list[Hashable]:
        return [k for _, _, k in sorted((p, s, k) for k, (p, s, _) in self._entries.items())]

    def count(self, key: Hashable) -> int:
        """How often a cached key was used since it came in (0 if not cached)."""
        entry = self._entries.get(key)
        return 0 if entry is None else entry[2]

    def _set(self, key: Hashable, count: int) -> None:
        self._seq += 1
        priority = self.age + count
        self._entries[key] = (priority, self._seq, count)
        heapq.heappush(self._heap, (priority, self._seq, key))
        if len(self._heap) > 2 * len(self._entries) + 16:  # drop stale heap entries
            self._heap = [(p, s, k) for k, (p, s, _) in self._entries.items()]
            heapq.heapify(self._heap)

    def _hit(self, key: Hashable) -> None:
        self._set(key, self._entries[key][2] + 1)

    def _admit(self, key: Hashable) -> list[Hashable]:
        evicted = []
        if len(self._entries) >= self.capacity:
            while True:
                priority, seq, victim = heapq.heappop(self._heap)
                entry = self._entries.get(victim)
                if entry is not None and entry[1] == seq:
                    break
            del self._entries[victim]
            self.age = priority  # dynamic aging: the cache is as old as what it evicted
            evicted.append(victim)
        self._set(key, 1)
        return evicted

    def _drop(self, key: Hashable) -> None:
        del self._entries[key]  # its heap entry is now stale and skipped


class ARCPolicy(Policy):
    """Adaptive Replacement Cache (Megiddo and Modha 2003, Figure 4).

    Four LRU lists: ``T1`` (cached keys seen once recently), ``T2`` (cached keys seen at
    least twice), and the ghosts ``B1``, ``B2`` (keys recently evicted from ``T1``,
    ``T2``: remembered, not cached). The target size ``p`` of ``T1`` adapts: a request for
    a key in ``B1`` says ``T1`` was too small (``p`` grows), one in ``B2`` that ``T2``
    was (``p`` shrinks). A hit in a ghost list is a miss (the key is not cached) and is
    handled by ``insert``, so ``lookup`` changes nothing on a miss. O(1) per request.

    ``remove`` (an invalidation, which the paper does not have) forgets the key
    everywhere; the cache may then be below capacity with ghosts remembered, so
    ``REPLACE`` runs only when the cache is full.

    Examples
    --------
    >>> c = ARCPolicy(2)
    >>> [c.access(k) for k in "aabcda"], c.keys()
    ([False, True, False, False, False, True], ['d', 'a'])
    """

    name = "arc"

    def __init__(self, capacity: int, mutant: str | None = None) -> None:
        super().__init__(capacity)
        self.mutant = mutant
        self.p = 0.0
        self.t1: OrderedDict[Hashable, None] = OrderedDict()
        self.t2: OrderedDict[Hashable, None] = OrderedDict()
        self.b1: OrderedDict[Hashable, None] = OrderedDict()
        self.b2: OrderedDict[Hashable, None] = OrderedDict()

    def __contains__(self, key: object) -> bool:
        return key in self.t1 or key in self.t2

    def __len__(self) -> int:
        return len(self.t1) + len(self.t2)

    def keys(self) -> list[Hashable]:
        return [*self.t1, *self.t2]

    def _hit(self, key: Hashable) -> None:  # case I
        if key in self.t1:
            del self.t1[key]
        else:
            del self.t2[key]
        self.t2[key] = None

    def _replace(self, in_b2: bool) -> Hashable:
        t1 = len(self.t1)
        if t1 >= 1 and ((in_b2 and t1 == self.p) or t1 > self.p):
            victim = self.t1.popitem(last=False)[0]
            self.b1[victim] = None
        else:
            victim = self.t2.popitem(last=False)[0]
            self.b2[victim] = None
        return victim

    def _admit(self, key: Hashable) -> list[Hashable]:
        c = self.capacity
        evicted: list[Hashable] = []
        full = len(self) >= c
        ghost_b1 = key in self.b1 and self.mutant != "arc_ignores_ghosts"
        ghost_b2 = key in self.b2 and self.mutant != "arc_ignores_ghosts"
        if ghost_b1:  # case II
            self.p = min(float(c), self.p + max(len(self.b2) / len(self.b1), 1.0))
            if full:
                evicted.append(self._replace(False))
            del self.b1[key]
            self.t2[key] = None
            return evicted
        if ghost_b2:  # case III
            self.p = max(0.0, self.p - max(len(self.b1) / len(self.b2), 1.0))
            if full:
                evicted.append(self._replace(True))
            del self.b2[key]
            self.t2[key] = None
            return evicted
        self.b1.pop(key, None)  # the mutant: a ghost hit is forgotten, not learned from
        self.b2.pop(key, None)
        # case IV
        if len(self.t1) + len(self.b1) >= c:
            if len(self.t1) < c:
                self.b1.popitem(last=False)
                if full:
                    evicted.append(self._replace(False))
            else:
                evicted.append(self.t1.popitem(last=False)[0])
        else:
            total = len(self.t1) + len(self.t2) + len(self.b1) + len(self.b2)
            if total >= c:
                if total >= 2 * c:
                    self.b2.popitem(last=False)
                if full:
                    evicted.append(self._replace(False))
        self.t1[key] = None
        return evicted

    def _drop(self, key: Hashable) -> None:
        self.t1.pop(key, None)
        self.t2.pop(key, None)

    def remove(self, key: Hashable) -> bool:
        """Invalidate ``key``, and forget it in the ghost lists too; ``True`` if it was cached."""
        self.b1.pop(key, None)
        self.b2.pop(key, None)
        return super().remove(key)


class TTLPolicy(Policy):
    """Expiry on top of any policy: an entry is a miss once ``ttl`` has passed since insert.

    ``lookup``, ``insert`` and ``access`` need ``now`` (the current time, in the same unit
    as ``ttl``). An entry inserted at ``t`` hits while ``now < t + ttl``; the first lookup
    at or after ``t + ttl`` removes it and misses. A hit does not extend the entry's life:
    the TTL bounds how old a cached value can be (its staleness), not how long it is idle.
    Expired entries that are never looked up again keep their place until the inner
    policy evicts them.

    Parameters
    ----------
    inner : Policy
        The eviction policy.
    ttl : float
        The time to live, positive (``math.inf``: never expires).
    mutant : str, optional
        ``"ttl_never_expires"``: the expiry check is skipped.

    Examples
    --------
    >>> c = TTLPolicy(LRUPolicy(2), ttl=10.0)
    >>> c.insert("a", now=0.0), c.lookup("a", now=9.0), c.lookup("a", now=10.0), "a" in c
    ([], True, False, False)
    >>> c.lookup("a")
    Traceback (most recent call last):
    ...
    TypeError: TTLPolicy.lookup: a TTL cache needs the current time: pass now=...
    """

    def __init__(self, inner: Policy, ttl: float, mutant: str | None = None) -> None:
        if not isinstance(inner, Policy):
            raise TypeError(f"TTLPolicy: inner must be a Policy; got {type(inner).__name__}")
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or math.isnan(ttl):
            raise TypeError(f"TTLPolicy: ttl must be a positive number; got {ttl!r}")
        if ttl <= 0:
            raise ValueError(f"TTLPolicy: ttl={ttl} must be positive (math.inf: no expiry)")
        super().__init__(inner.capacity)
        self.inner = inner
        self.ttl = float(ttl)
        self.mutant = mutant
        self.name = f"{inner.name}+ttl"
        self._expires: dict[Hashable, float] = {}

    @staticmethod
    def _now(now: float | None, who: str) -> float:
        if now is None:
            raise TypeError(f"TTLPolicy.{who}: a TTL cache needs the current time: pass now=...")
        if isinstance(now, bool) or not isinstance(now, int | float) or math.isnan(now):
            raise TypeError(f"TTLPolicy.{who}: now must be a number; got {now!r}")
        return float(now)

    def __contains__(self, key: object) -> bool:
        return key in self.inner

    def __len__(self) -> int:
        return len(self.inner)

    def keys(self) -> list[Hashable]:
        return self.inner.keys()

    def expires_at(self, key: Hashable) -> float | None:
        """When a cached key expires (``None`` if not cached)."""
        return self._expires.get(key) if key in self.inner else None

    def _hit(self, key: Hashable) -> None:
        self.inner._hit(key)

    def _admit(self, key: Hashable) -> list[Hashable]:
        raise NotImplementedError  # insert is overridden: it needs the time

    def _drop(self, key: Hashable) -> None:
        self.remove(key)

    def remove(self, key: Hashable) -> bool:
        """Invalidate ``key`` (the inner policy's ``remove``); ``True`` if it was cached."""
        self._expires.pop(key, None)
        return self.inner.remove(key)

    def lookup(self, key: Hashable, now: float | None = None) -> bool:
        """``True`` if ``key`` is cached and not expired at ``now``; an expired key is removed."""
        t = self._now(now, "lookup")
        if key not in self.inner:
            return False
        if self.mutant != "ttl_never_expires" and t >= self._expires[key]:
            self._drop(key)
            return False
        self.inner._hit(key)
        return True

    def insert(self, key: Hashable, now: float | None = None) -> list[Hashable]:
        """Admit ``key`` at time ``now``, to expire at ``now + ttl``; returns the evicted keys."""
        t = self._now(now, "insert")
        evicted = self.inner.insert(key)
        for victim in evicted:
            self._expires.pop(victim, None)
        if key in self.inner:
            self._expires[key] = t + self.ttl
        return evicted

    def access(self, key: Hashable, now: float | None = None) -> bool:
        """``lookup``, and on a miss ``insert``, at time ``now``."""
        if self.lookup(key, now):
            return True
        self.insert(key, now)
        return False

    def __repr__(self) -> str:
        return f"TTLPolicy({self.inner!r}, ttl={self.ttl})"


POLICIES: dict[str, Callable[..., Policy]] = {
    "lru": LRUPolicy,
    "lfu": LFUPolicy,
    "fifo": FIFOPolicy,
    "clock": ClockPolicy,
    "random": RandomPolicy,
    "arc": ARCPolicy,
}


def make_policy(
    name: str,
    capacity: int,
    *,
    ttl: float | None = None,
    seed: int | None = None,
    mutant: str | None = None,
) -> Policy:
    """Build an eviction policy by name: ``lru``, ``lfu``, ``fifo``, ``clock``, ``random``, ``arc``.

    Parameters
    ----------
    name : str
        One of ``POLICIES``.
    capacity : int
        How many keys the cache holds, at least 1.
    ttl : float, optional
        Wrap the policy in a ``TTLPolicy``: entries expire ``ttl`` after their insert, and
        ``lookup``/``insert``/``access`` take ``now=``.
    seed : int, optional
        The seed of ``random`` (default 0); only ``random`` takes one.
    mutant : str, optional
        A broken version from ``POLICY_MUTANTS`` (``lru_no_refresh`` needs ``lru``,
        ``arc_ignores_ghosts`` needs ``arc``, ``random_stale_index`` needs ``random``,
        ``ttl_never_expires`` needs ``ttl``).

    Returns
    -------
    Policy

    Raises
    ------
    ValueError
        For an unknown name or mutant, a capacity below 1, a ttl that is not positive, or a
        mutant that does not belong to the policy.
    TypeError
        For a capacity that is not an int, a ttl that is not a number, a seed given to a
        policy other than ``random``.

    Examples
    --------
    >>> make_policy("arc", 3)
    ARCPolicy(capacity=3, keys=[])
    >>> make_policy("lru", 0)
    Traceback (most recent call last):
    ...
    ValueError: make_policy: capacity=0 must be at least 1 (a cache of size 0 or less holds nothing)
    >>> make_policy("mru", 3)
    Traceback (most recent call last):
    ...
    ValueError: make_policy: unknown policy 'mru'; allowed: arc, clock, fifo, lfu, lru, random
    """
    if not isinstance(name, str) or name not in POLICIES:
        raise ValueError(
            f"make_policy: unknown policy {name!r}; allowed: {', '.join(sorted(POLICIES))}"
        )
    _check_capacity(capacity, "make_policy")
    check_mutant("make_policy", mutant, POLICY_MUTANTS)
    if mutant is not None:
        target = _MUTANT_POLICY[mutant]
        if target is None and ttl is None:
            raise ValueError(f"make_policy: mutant {mutant!r} needs a ttl= (it breaks expiry)")
        if target is not None and target != name:
            raise ValueError(f"make_policy: mutant {mutant!r} breaks {target!r}, not {name!r}")
    if seed is not None and name != "random":
        raise TypeError(f"make_policy: only 'random' takes a seed; {name!r} is deterministic")
    options: dict[str, Any] = {}
    if name == "random":
        options["seed"] = 0 if seed is None else seed
    if mutant is not None and _MUTANT_POLICY[mutant] == name:
        options["mutant"] = mutant
    policy = POLICIES[name](capacity, **options)
    if ttl is None:
        return policy
    ttl_mutant = mutant if mutant == "ttl_never_expires" else None
    return TTLPolicy(policy, ttl, mutant=ttl_mutant)


def count_hits(policy: Policy, trace: Iterable[Hashable]) -> int:
    """Run ``access`` on every key of ``trace`` (no time: not for TTL caches); the hits.

    Examples
    --------
    >>> count_hits(make_policy("lru", 2), "abab")
    2
    """
    access = policy.access
    return sum(1 for key in trace if access(key))
