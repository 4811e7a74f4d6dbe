"""Chapter 9 (caching): LRU in constant time, Che's characteristic time, MIN's victim.

- ``ch09.lru_hits``: an LRU cache whose every request costs O(1); the last stage counts
  how much work the answer does per request on a large cache;
- ``ch09.characteristic_time``: solve Che's equation for the characteristic time of an
  LRU cache;
- ``ch09.min_victim``: the key Belady's MIN evicts, given the future.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch09.lru_hits").stages]
['examples', 'properties', 'constant time']

References
----------
.. [1] H. Che, Y. Tung and Z. Wang, "Hierarchical Web Caching Systems: Modeling, Design and
   Experimental Results", IEEE JSAC 20(7), 2002, section II.
.. [2] L. A. Belady, "A Study of Replacement Algorithms for a Virtual-Storage Computer",
   IBM Systems Journal 5(2), 1966 (the optimal algorithm MIN).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Hashable, Sequence
from types import FrameType
from typing import Any

import hypothesis.strategies as st

from dslib.caching.reference import ReferenceFIFO, ReferenceLRU
from dslib.caching.theory import che_characteristic_time
from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    Mistake,
    Properties,
    Property,
    Raised,
    Stage,
    StageResult,
    call_answer,
)

__all__ = [
    "CHARACTERISTIC_TIME",
    "LRU_HITS",
    "MIN_VICTIM",
    "Close",
    "CountingKey",
    "OneOf",
    "lru_reference",
    "min_victims",
]


# -- LRU in O(1) -----------------------------------------------------------------------------
def lru_reference(capacity: int, requests: Sequence[Hashable]) -> list[bool]:
    """The reference: ``dslib.caching.reference.ReferenceLRU`` on each request.

    >>> lru_reference(2, "abacb")
    [False, False, True, False, False]
    """
    cache = ReferenceLRU(capacity)
    return [cache.access(k) for k in requests]


def _fifo(capacity: int, requests: Sequence[Hashable]) -> list[bool]:
    cache = ReferenceFIFO(capacity)
    return [cache.access(k) for k in requests]


def _lru_call(args: tuple[Any, ...]) -> str:
    return f"lru_hits({args[0]!r}, {list(args[1])!r})"


def _lru_examples() -> list[Example]:
    return [
        Example((2, ["a", "b", "a", "c", "b"]), [False, False, True, False, False]),
        Example((2, ["a", "b", "a", "c", "a"]), [False, False, True, False, True]),
        Example((1, ["x", "x", "y", "x"]), [False, True, False, False]),
        Example((3, [1, 2, 3, 1, 4, 2, 5, 1]), lru_reference(3, [1, 2, 3, 1, 4, 2, 5, 1])),
        Example((2, []), []),
        Example((3, list("abcabdcab")), lru_reference(3, list("abcabdcab"))),
    ]


def _same(f: Any, capacity: int, requests: list[Any], want: list[bool]) -> bool:
    return bool(f(capacity, requests) == want)


_LRU_MISTAKES = [
    Mistake(
        "fifo",
        lambda f: (
            _same(f, 2, list("abaca"), _fifo(2, list("abaca")))
            and _same(f, 2, list("abcb"), _fifo(2, list("abcb")))
        ),
        "A hit must make the key the most recently used: your cache evicts in the order keys "
        "came in (FIFO), so after a, b, a it evicts a for c although a was just used. On a hit, "
        "move the key to the most recent end (OrderedDict.move_to_end).",
    ),
    Mistake(
        "evicts the most recent",
        lambda f: (
            _same(f, 2, list("abcb"), [False, False, False, False])
            and _same(f, 2, list("abca"), [False, False, False, True])
        ),
        "You evict the most recently used key; LRU evicts the least recently used, the one "
        "at the other end (OrderedDict.popitem(last=False)).",
    ),
    Mistake(
        "one too many",
        lambda f: _same(f, 1, list("aba"), [False, False, True]),
        "Your cache holds one key more than capacity: evict before the cache would exceed "
        "capacity keys (when len == capacity and the key is new).",
    ),
    Mistake(
        "one too few",
        lambda f: (
            _same(f, 2, list("abab"), [False, False, False, False])
            and _same(f, 2, list("aa"), [False, True])
        ),
        "Your cache holds one key fewer than capacity: it may hold exactly capacity keys.",
    ),
]


@st.composite
def _lru_cases(draw: Any) -> tuple[int, list[int]]:
    capacity = draw(st.integers(1, 5))
    return capacity, draw(st.lists(st.integers(0, 8), max_size=40))


def _lru_check(answer: Any, case: tuple[int, list[int]]) -> Failure | None:
    capacity, requests = case
    got = call_answer(answer, capacity, list(requests))
    want = lru_reference(capacity, requests)
    if got == want:
        return None
    return Failure(f"{_lru_call(case)} returned {got!r}; expected {want!r}", None)


class CountingKey:
    """A key that counts how often it is compared for equality (``CountingKey.compared``).

    Each request of the constant-time stage is a fresh ``CountingKey``, equal to earlier
    ones with the same number but a different object, so that finding it in a list costs a
    comparison per element passed, and in a dict about one.

    >>> CountingKey.compared = 0
    >>> CountingKey(1) in [CountingKey(3), CountingKey(2), CountingKey(1)], CountingKey.compared
    (True, 3)
    """

    compared = 0
    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n

    def __hash__(self) -> int:
        return hash(self.n)

    def __eq__(self, other: object) -> bool:
        CountingKey.compared += 1
        return isinstance(other, CountingKey) and other.n == self.n

    def __repr__(self) -> str:
        return f"k{self.n}"


class ConstantTimeStage(Stage):
    """Runs 2,000 requests on a cache of 1,000 keys and counts the answer's work per request.

    Work is the key comparisons (``CountingKey``) plus the lines of the answer's own code
    that run (``sys.settrace``, only in frames of the answer's file). An O(1) answer does a
    handful per request whatever the capacity; one that scans its cache does hundreds.
    """

    name = "constant time"
    capacity = 1000
    limit = 30.0

    def run(self, answer: Any) -> StageResult:
        code = getattr(answer, "__code__", None)
        filename = code.co_filename if code is not None else None
        requests = [CountingKey(i % 1500) for i in range(1500)] + [
            CountingKey(i) for i in range(0, 1000, 2)
        ]
        lines = 0

        def tracer(frame: FrameType, event: str, arg: Any) -> Any:
            nonlocal lines
            if frame.f_code.co_filename != filename:
                return None
            if event == "line":
                lines += 1
            return tracer

        CountingKey.compared = 0
        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            got = call_answer(answer, self.capacity, requests)
        finally:
            sys.settrace(previous)
        compared = CountingKey.compared
        want = lru_reference(self.capacity, [k.n for k in requests])
        if got != want:
            return StageResult(
                self.name,
                False,
                "wrong hits on a large cache",
                Failure(
                    f"with capacity {self.capacity} and {len(requests)} requests, the hits "
                    "differ from LRU's",
                    None,
                    length=1,
                ),
            )
        per_request = (compared + lines) / len(requests)
        if per_request > self.limit:
            source = "key comparisons" if compared >= lines else "lines of your code"
            return StageResult(
                self.name,
                False,
                f"{per_request:.0f} steps per request",
                Failure(
                    f"with capacity {self.capacity}, each request cost {per_request:.0f} steps "
                    f"on average ({compared} key comparisons, {lines} lines of your code for "
                    f"{len(requests)} requests); an O(1) cache needs a handful",
                    f"Most of the work is {source}: your cache looks through its keys on each "
                    "request (a list's `in`, remove or index, or a min over all keys), which "
                    "is O(capacity). Keep the keys in a dict ordered by recency: "
                    "collections.OrderedDict finds a key by its hash, move_to_end makes it the "
                    "most recent and popitem(last=False) removes the least recent, each O(1).",
                    length=1,
                ),
            )
        return StageResult(
            self.name, True, f"{per_request:.1f} steps per request with capacity 1,000"
        )


LRU_HITS = add_exercise(
    id="ch09.lru_hits",
    title="LRU with O(1) operations",
    statement="""\
Write lru_hits(capacity, requests): run an LRU cache of capacity keys (capacity >= 1) over
the list of requested keys, and return a list with, for each request, True if it hit and
False if it missed.

On a miss the key is admitted; if the cache already holds capacity keys, the least
recently used one (the one whose last request is oldest) is evicted first. On a hit, the
key becomes the most recently used. Every request must cost O(1) time, whatever the
capacity. Do not change the arguments.

The check runs examples, then a hypothesis property (your hits are LRU's on random
requests), then counts the work your function does per request on a cache of 1,000 keys.""",
    answer=FunctionAnswer("lru_hits", ("capacity", "requests")),
    stages=(
        Examples(
            "examples",
            _lru_examples,
            call_text=_lru_call,
            mistakes=_LRU_MISTAKES,
            default_hint="Keep the cached keys in an OrderedDict from least to most recently used.",
        ),
        Properties(
            "properties",
            [Property("the hits of LRU", _lru_cases(), _lru_check, _lru_call, max_examples=150)],
        ),
        ConstantTimeStage(),
    ),
    hints=(
        "Which Python structure finds a key in O(1) and remembers an order?",
        "collections.OrderedDict: move_to_end(key) and popitem(last=False).",
    ),
    answered_by=("LRUPolicy",),
)


# -- Che's characteristic time -------------------------------------------------------------
class Close:
    """An expected float: equal to any number within a relative ``1e-6`` of it.

    >>> Close(2.0) == 2.0000001, Close(2.0) == 2.01, Close(2.0)
    (True, False, 2 (to 6 significant digits))
    """

    def __init__(self, value: float) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, bool) or not isinstance(other, int | float):
            return False
        return math.isclose(float(other), self.value, rel_tol=1e-6)

    def __hash__(self) -> int:
        return hash(round(self.value, 6))

    def __repr__(self) -> str:
        return f"{self.value:.7g} (to 6 significant digits)"


def _che(popularity: Sequence[float], cache_size: int) -> float:
    return che_characteristic_time(popularity, cache_size, tolerance=1e-12)


def _zipf(n: int, s: float) -> list[float]:
    w = [1 / (i + 1) ** s for i in range(n)]
    total = sum(w)
    return [x / total for x in w]


def _ct_call(args: tuple[Any, ...]) -> str:
    popularity = [round(p, 4) for p in args[0]]
    return f"characteristic_time({popularity!r}, {args[1]!r})"


def _ct_examples() -> list[Example]:
    cases = [
        ([0.25, 0.25, 0.25, 0.25], 2),
        ([0.5, 0.5], 1),
        ([0.7, 0.2, 0.1], 1),
        ([0.7, 0.2, 0.1], 2),
        (_zipf(20, 1.0), 5),
        (_zipf(100, 0.8), 30),
    ]
    return [Example((p, c), Close(_che(p, c))) for p, c in cases]


def _solves(f: Any, equation: Any) -> bool:
    """Does ``f`` return the root of ``equation(popularity, T, C) = 0`` on two cases?"""
    for p, c in ((_zipf(10, 1.0), 3), ([0.4, 0.3, 0.2, 0.1], 2)):
        t = f(p, c)
        if isinstance(t, Raised | bool) or not isinstance(t, int | float):
            return False
        if not math.isfinite(t) or abs(equation(p, float(t), c)) > 1e-2 * c:
            return False
    return True


def _precise(f: Any) -> bool:
    """Does ``f`` return Che's ``T`` to 6 significant digits on the cases of ``_solves``?"""
    cases = ((_zipf(10, 1.0), 3), ([0.4, 0.3, 0.2, 0.1], 2))
    return all(Close(_che(p, c)) == f(p, c) for p, c in cases)


_CT_MISTAKES = [
    Mistake(
        "returns C",
        lambda f: f([0.5, 0.5], 1) == 1 and f(_zipf(10, 1.0), 3) == 3,
        "T is not the cache size: it is a number of requests, and it is larger than C "
        "because popular items are requested many times within it. Solve "
        "sum(1 - exp(-q * T) for q in popularity) == cache_size for T.",
    ),
    Mistake(
        "exp without 1 -",
        lambda f: _solves(f, lambda p, t, c: sum(math.exp(-q * t) for q in p) - c),
        "You solved sum(exp(-q * T)) == C: exp(-q * T) is the probability that an item was "
        "NOT requested in the last T requests. An item is in the cache when it was: "
        "1 - exp(-q * T).",
    ),
    Mistake(
        "linear",
        lambda f: _solves(f, lambda p, t, c: sum(min(1.0, q * t) for q in p) - c),
        "q * T is the expected number of requests for the item in T requests, not the "
        "probability that there was at least one: that is 1 - exp(-q * T), which stays below 1.",
    ),
    Mistake(
        "hit ratio",
        lambda f: _solves(
            f, lambda p, t, c: sum(q * (1 - math.exp(-q * t)) for q in p) - c / len(p)
        ),
        "sum(q * (1 - exp(-q * T))) is the hit ratio, which Che computes after T. T comes from "
        "the cache's size: the expected number of cached items, sum(1 - exp(-q * T)), is C.",
    ),
    Mistake(
        "imprecise",
        lambda f: (
            _solves(f, lambda p, t, c: sum(1 - math.exp(-q * t) for q in p) - c) and not _precise(f)
        ),
        "Your T nearly solves the equation but not to 6 significant digits: keep bisecting "
        "(or use Newton's method) until the interval is below 1e-9 * T.",
    ),
]


@st.composite
def _ct_cases(draw: Any) -> tuple[list[float], int]:
    n = draw(st.integers(2, 40))
    s = draw(st.sampled_from([0.0, 0.5, 0.8, 1.0, 1.3]))
    return _zipf(n, s), draw(st.integers(1, n - 1))


def _ct_check(answer: Any, case: tuple[list[float], int]) -> Failure | None:
    popularity, c = case
    got = call_answer(answer, list(popularity), c)
    want = Close(_che(popularity, c))
    if want == got:
        return None
    return Failure(f"{_ct_call(case)} returned {got!r}; expected {want!r}", None)


CHARACTERISTIC_TIME = add_exercise(
    id="ch09.characteristic_time",
    title="Che's characteristic time",
    statement="""\
Write characteristic_time(popularity, cache_size): the characteristic time T of an LRU
cache of cache_size keys under the independent reference model.

- popularity is a list of probabilities (summing to 1): a request is for item i with
  probability popularity[i];
- cache_size is an int with 1 <= cache_size < len(popularity).

In Che's approximation an item is cached if and only if it was requested within the last
T requests, which has probability 1 - exp(-q * T) for an item of popularity q. The cache
holds cache_size items, so T solves

    sum(1 - exp(-q * T) for q in popularity) == cache_size.

Return T as a float, to 6 significant digits. Do not change the arguments.

The check runs examples, then a hypothesis property (your T is Che's on random Zipf
popularities).""",
    answer=FunctionAnswer("characteristic_time", ("popularity", "cache_size")),
    stages=(
        Examples(
            "examples",
            _ct_examples,
            call_text=_ct_call,
            mistakes=_CT_MISTAKES,
            default_hint="The left side grows with T from 0 towards len(popularity): bisect "
            "between 0 and an upper bound that you double until the left side exceeds "
            "cache_size.",
        ),
        Properties(
            "properties",
            [Property("Che's T", _ct_cases(), _ct_check, _ct_call, max_examples=100)],
        ),
    ),
    hints=(
        "The equation has one root: its left side increases with T.",
        "Bisection: lo = 0, hi = cache_size, double hi until the left side >= cache_size.",
    ),
    answered_by=("che_characteristic_time",),
)


# -- MIN's victim --------------------------------------------------------------------------
def min_victims(cached: Sequence[Hashable], future: Sequence[Hashable]) -> list[Hashable]:
    """Every right answer: the cached keys whose next request is farthest (or never comes).

    >>> min_victims(["a", "b", "c"], ["b", "a", "b", "c"])
    ['c']
    >>> min_victims(["a", "b", "c"], ["b"])
    ['a', 'c']
    """
    horizon = len(future)

    def when(key: Hashable) -> int:
        for i, k in enumerate(future):
            if k == key:
                return i
        return horizon

    latest = max(when(k) for k in cached)
    return [k for k in cached if when(k) == latest]


def _mv_call(args: tuple[Any, ...]) -> str:
    return f"min_victim({list(args[0])!r}, {list(args[1])!r})"


class OneOf:
    """An expected value that any of ``options`` matches (several keys may be right).

    >>> OneOf(["a", "c"]) == "c", OneOf(["a", "c"])
    (True, one of ['a', 'c'])
    """

    def __init__(self, options: Sequence[Hashable]) -> None:
        self.options = list(options)

    def __eq__(self, other: object) -> bool:
        return any(other == o for o in self.options)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"one of {self.options!r}" if len(self.options) > 1 else repr(self.options[0])


def _mv_examples() -> list[Example]:
    cases: list[tuple[list[Any], list[Any]]] = [
        (["a", "b", "c"], ["b", "a", "b", "c", "a"]),
        (["a", "b", "c"], ["c", "c", "b", "a"]),
        (["x", "y"], ["x", "x", "x", "y"]),
        (["a", "b", "c"], ["a", "b"]),
        (["p", "q", "r"], ["q", "q", "q", "r", "p", "p", "p"]),
        ([1, 2, 3, 4], [4, 4, 2, 1, 1, 1, 1]),
    ]
    return [Example((c, f), OneOf(min_victims(c, f))) for c, f in cases]


_MV_MISTAKES = [
    Mistake(
        "soonest",
        lambda f: (
            f(["a", "b", "c"], ["b", "a", "c"]) == "b"
            and f(["a", "b", "c"], ["c", "b", "a"]) == "c"
        ),
        "You evicted the key needed soonest; MIN evicts the one needed farthest in the future "
        "(keeping the keys that will hit soonest).",
    ),
    Mistake(
        "fewest future requests",
        lambda f: (
            f(["a", "b"], ["a", "b", "b", "b"]) == "a"
            and f(["a", "b"], ["b", "a", "a", "a"]) == "b"
        ),
        "MIN looks at when each key is next requested, not how often: a key requested many "
        "times, but only after the others, is still the one to evict now (it can be fetched "
        "again later).",
    ),
    Mistake(
        "first cached",
        lambda f: (
            f(["a", "b", "c"], ["a", "b", "c"]) == "a"
            and f(["c", "b", "a"], ["c", "b", "a"]) == "c"
        ),
        "You evicted the first key of the cache whatever the future says (as FIFO or LRU "
        "would): MIN decides by the future requests alone.",
    ),
    Mistake(
        "never requested raises",
        lambda f: (
            isinstance(f(["a", "b"], ["a"]), Raised)
            and not isinstance(f(["a", "b"], ["b", "a"]), Raised)
        ),
        "A cached key that is never requested again has no next request (future.index raises "
        "ValueError for it): it is the best victim of all, farther than any request.",
    ),
]


@st.composite
def _mv_cases(draw: Any) -> tuple[list[int], list[int]]:
    cached = draw(st.lists(st.integers(0, 6), min_size=1, max_size=5, unique=True))
    future = draw(st.lists(st.integers(0, 8), max_size=15))
    return cached, future


def _mv_check(answer: Any, case: tuple[list[int], list[int]]) -> Failure | None:
    cached, future = case
    got = call_answer(answer, list(cached), list(future))
    want = OneOf(min_victims(cached, future))
    if want == got:
        return None
    return Failure(f"{_mv_call(case)} returned {got!r}; expected {want!r}", None)


MIN_VICTIM = add_exercise(
    id="ch09.min_victim",
    title="Belady's MIN: which key to evict",
    statement="""\
Write min_victim(cached, future): the key that Belady's offline optimal policy MIN evicts
from a full cache to make room for a new key.

- cached is the list of the keys in the cache (distinct, at least one);
- future is the list of the requests that will come after this one, in order.

MIN evicts the cached key whose next request is farthest in the future; a key that is
never requested again is farther than any. Return that key (if several keys are never
requested again, any of them). Do not change the arguments.

The check runs examples, then a hypothesis property (your key is one MIN may evict on
random caches and futures).""",
    answer=FunctionAnswer("min_victim", ("cached", "future")),
    stages=(
        Examples(
            "examples",
            _mv_examples,
            call_text=_mv_call,
            mistakes=_MV_MISTAKES,
            default_hint="For each cached key find the index of its first request in future "
            "(len(future) if none), and return a key with the largest.",
        ),
        Properties(
            "properties",
            [Property("a key MIN may evict", _mv_cases(), _mv_check, _mv_call, max_examples=150)],
        ),
    ),
    hints=(
        "Only the next request of each cached key matters.",
        "A key with no next request is the farthest of all.",
    ),
    answered_by=("min_hits",),
)
