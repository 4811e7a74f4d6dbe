"""Slow, obviously correct versions of the eviction policies: the oracles.

Each keeps its keys in a plain Python list in the order the policy's definition talks
about, and does what the definition says with list operations (``index``, ``remove``,
``min`` over the whole cache): O(n) per request and easy to check by eye. The fast
policies of ``dslib.caching.policies`` must give the same hits on every sequence of
requests and invalidations; the tests check it with hypothesis, and the mutant table's
check ``same hits as the reference`` uses it.

Examples
--------
>>> ops = [("access", k) for k in "abcabdab"] + [("remove", "a"), ("access", "a")]
>>> replay(reference_policy("lru", 3), ops) == replay(reference_policy("fifo", 3), ops)
False
>>> replay(reference_policy("lru", 3), ops)
[False, False, False, True, True, False, True, True, True, False]
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

__all__ = [
    "ReferenceARC",
    "ReferenceClock",
    "ReferenceFIFO",
    "ReferenceLFU",
    "ReferenceLRU",
    "ReferenceRandom",
    "ReferenceTTL",
    "reference_policy",
    "replay",
]


class ReferenceLRU:
    """LRU: ``keys`` from least to most recently used; a hit moves the key to the end.

    >>> c = ReferenceLRU(2)
    >>> [c.access(k) for k in "abac"], c.keys
    ([False, False, True, False], ['a', 'c'])
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.keys: list[Hashable] = []

    def access(self, key: Hashable, now: float | None = None) -> bool:
        if key in self.keys:
            self.keys.remove(key)
            self.keys.append(key)
            return True
        if len(self.keys) == self.capacity:
            self.keys.pop(0)
        self.keys.append(key)
        return False

    def remove(self, key: Hashable) -> bool:
        if key in self.keys:
            self.keys.remove(key)
            return True
        return False


class ReferenceFIFO(ReferenceLRU):
    """FIFO: ``keys`` in the order they came in; a hit changes nothing.

    >>> c = ReferenceFIFO(2)
    >>> [c.access(k) for k in "abac"], c.keys
    ([False, False, True, False], ['b', 'c'])
    """

    def access(self, key: Hashable, now: float | None = None) -> bool:
        if key in self.keys:
            return True
        if len(self.keys) == self.capacity:
            self.keys.pop(0)
        self.keys.append(key)
        return False


class ReferenceClock:
    """CLOCK as Corbató drew it: a circular array of frames, a reference bit each, a hand.

    To place a key in a full cache, the hand clears set bits as it passes and stops at
    the first frame whose bit is clear: that key is evicted, the new key takes the frame
    (bit clear), and the hand moves on. While there is room, the new key goes just
    behind the hand (the last frame the hand will reach). A hit sets the bit.

    >>> c = ReferenceClock(2)
    >>> [c.access(k) for k in "abac"], c.frames
    ([False, False, True, False], ['c', 'a'])
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.frames: list[Hashable] = []
        self.bits: list[bool] = []
        self.hand = 0

    def access(self, key: Hashable, now: float | None = None) -> bool:
        if key in self.frames:
            self.bits[self.frames.index(key)] = True
            return True
        if len(self.frames) < self.capacity:
            self.frames.insert(self.hand, key)
            self.bits.insert(self.hand, False)
            self.hand = (self.hand + 1) % len(self.frames)
            return False
        while self.bits[self.hand]:
            self.bits[self.hand] = False
            self.hand = (self.hand + 1) % self.capacity
        self.frames[self.hand] = key
        self.bits[self.hand] = False
        self.hand = (self.hand + 1) % self.capacity
        return False

    def remove(self, key: Hashable) -> bool:
        if key not in self.frames:
            return False
        i = self.frames.index(key)
        del self.frames[i]
        del self.bits[i]
        if i < self.hand:
            self.hand -= 1
        if self.hand >= len(self.frames):
            self.hand = 0
        return True


class ReferenceRandom:
    """Random eviction: slot ``rng.randrange(capacity)`` of a full cache is replaced.

    ``remove`` moves the last slot's key into the freed slot (the fast version's layout;
    the random draws then pick the same slots).

    >>> c = ReferenceRandom(2, seed=1)
    >>> [c.access(k) for k in "abcab"]
    [False, False, False, False, True]
    """

    def __init__(self, capacity: int, seed: int = 0) -> None:
        self.capacity = capacity
        self.slots: list[Hashable] = []
        self.rng = random.Random(seed)

    def access(self, key: Hashable, now: float | None = None) -> bool:
        if key in self.slots:
            return True
        if len(self.slots) < self.capacity:
            self.slots.append(key)
        else:
            self.slots[self.rng.randrange(len(self.slots))] = key
        return False

    def remove(self, key: Hashable) -> bool:
        if key not in self.slots:
            return False
        i = self.slots.index(key)
        last = self.slots.pop()
        if i < len(self.slots):
            self.slots[i] = last
        return True


class ReferenceLFU:
    """LFU-DA: each key has ``[count, priority, last use]``; evict the minimum priority.

    A use sets ``priority = age + count``; an eviction takes the key with the smallest
    ``(priority, last use)`` over the whole cache and sets ``age`` to its priority.

    >>> c = ReferenceLFU(2)
    >>> [c.access(k) for k in "aabca"], sorted(c.entries)
    ([False, True, False, False, True], ['a', 'c'])
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.entries: dict[Hashable, list[int]] = {}
        self.age = 0
        self.clock = 0

    def access(self, key: Hashable, now: float | None = None) -> bool:
        self.clock += 1
        if key in self.entries:
            entry = self.entries[key]
            entry[0] += 1
            entry[1] = self.age + entry[0]
            entry[2] = self.clock
            return True
        if len(self.entries) == self.capacity:
            victim = min(self.entries, key=lambda k: (self.entries[k][1], self.entries[k][2]))
            self.age = self.entries.pop(victim)[1]
        self.entries[key] = [1, self.age + 1, self.clock]
        return False

    def remove(self, key: Hashable) -> bool:
        return self.entries.pop(key, None) is not None


class ReferenceARC:
    """ARC, Figure 4 of Megiddo and Modha (2003), line by line, with lists (LRU end first).

    ``remove`` forgets a key everywhere, and REPLACE runs only when the cache is full
    (the paper's cache is always full once warm; an invalidation can make room).

    >>> c = ReferenceARC(2)
    >>> [c.access(k) for k in "aabcda"], c.t1 + c.t2
    ([False, True, False, False, False, True], ['d', 'a'])
    """

    def __init__(self, capacity: int) -> None:
        self.c = capacity
        self.p = 0.0
        self.t1: list[Hashable] = []
        self.t2: list[Hashable] = []
        self.b1: list[Hashable] = []
        self.b2: list[Hashable] = []

    def _replace(self, x_in_b2: bool) -> None:
        if self.t1 and ((x_in_b2 and len(self.t1) == self.p) or len(self.t1) > self.p):
            self.b1.append(self.t1.pop(0))
        else:
            self.b2.append(self.t2.pop(0))

    def access(self, key: Hashable, now: float | None = None) -> bool:
        full = len(self.t1) + len(self.t2) == self.c
        if key in self.t1 or key in self.t2:  # case I
            (self.t1 if key in self.t1 else self.t2).remove(key)
            self.t2.append(key)
            return True
        if key in self.b1:  # case II
            self.p = min(self.c, self.p + max(len(self.b2) / len(self.b1), 1))
            if full:
                self._replace(False)
            self.b1.remove(key)
            self.t2.append(key)
            return False
        if key in self.b2:  # case III
            self.p = max(0, self.p - max(len(self.b1) / len(self.b2), 1))
            if full:
                self._replace(True)
            self.b2.remove(key)
            self.t2.append(key)
            return False
        if len(self.t1) + len(self.b1) == self.c:  # case IV A
            if len(self.t1) < self.c:
                self.b1.pop(0)
                if full:
                    self._replace(False)
            else:
                self.t1.pop(0)
        else:  # case IV B
            total = len(self.t1) + len(self.t2) + len(self.b1) + len(self.b2)
            if total >= self.c:
                if total == 2 * self.c:
                    self.b2.pop(0)
                if full:
                    self._replace(False)
        self.t1.append(key)
        return False

    def remove(self, key: Hashable) -> bool:
        cached = key in self.t1 or key in self.t2
        for queue in (self.t1, self.t2, self.b1, self.b2):
            if key in queue:
                queue.remove(key)
        return cached


class ReferenceTTL:
    """TTL over a reference policy: a table of expiry times, checked on every request.

    >>> c = ReferenceTTL(ReferenceLRU(2), ttl=2.0)
    >>> [c.access("a", now=t) for t in (0.0, 1.0, 2.0, 3.0)]
    [False, True, False, True]
    """

    def __init__(self, inner: Any, ttl: float) -> None:
        self.inner = inner
        self.ttl = ttl
        self.inserted: dict[Hashable, float] = {}

    def _cached(self) -> list[Hashable]:
        for name in ("keys", "frames", "slots"):
            if hasattr(self.inner, name):
                return list(getattr(self.inner, name))
        if hasattr(self.inner, "entries"):
            return list(self.inner.entries)
        return list(self.inner.t1 + self.inner.t2)

    def access(self, key: Hashable, now: float | None = None) -> bool:
        assert now is not None
        if key in self._cached() and now - self.inserted[key] >= self.ttl:
            self.inner.remove(key)
        hit = bool(self.inner.access(key))
        if not hit:
            self.inserted[key] = now
        cached = set(self._cached())
        self.inserted = {k: t for k, t in self.inserted.items() if k in cached}
        return hit

    def remove(self, key: Hashable) -> bool:
        self.inserted.pop(key, None)
        return bool(self.inner.remove(key))


def reference_policy(name: str, capacity: int, ttl: float | None = None, seed: int = 0) -> Any:
    """The reference version of a policy of ``dslib.caching.policies.POLICIES``.

    >>> reference_policy("lru", 2).keys
    []
    """
    makers: dict[str, Any] = {
        "lru": ReferenceLRU,
        "fifo": ReferenceFIFO,
        "clock": ReferenceClock,
        "lfu": ReferenceLFU,
        "arc": ReferenceARC,
    }
    if name == "random":
        inner: Any = ReferenceRandom(capacity, seed)
    elif name in makers:
        inner = makers[name](capacity)
    else:
        raise ValueError(f"reference_policy: unknown policy {name!r}; allowed: {sorted(makers)}")
    return inner if ttl is None else ReferenceTTL(inner, ttl)


def replay(
    cache: Any, operations: Iterable[Sequence[Any]], times: Sequence[float] | None = None
) -> list[bool]:
    """Apply ``("access", key)`` and ``("remove", key)`` operations; the result of each.

    With ``times``, operation ``i`` happens at ``times[i]`` (passed as ``now`` to
    ``access``; for TTL caches). Works on fast policies and reference ones alike.

    >>> from dslib.caching.policies import make_policy
    >>> replay(make_policy("fifo", 1), [("access", 1), ("access", 1), ("remove", 1)])
    [False, True, True]
    """
    out = []
    for i, (op, key) in enumerate(operations):
        if op == "access":
            now = None if times is None else times[i]
            out.append(bool(cache.access(key, now)) if now is not None else bool(cache.access(key)))
        elif op == "remove":
            out.append(bool(cache.remove(key)))
        else:
            raise ValueError(f"replay: unknown operation {op!r}; allowed: 'access', 'remove'")
    return out
