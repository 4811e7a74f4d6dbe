"""Tests of the exercises of chapter 9 (caching): every checker accepts its reference
solution, says "not attempted yet" for its stub, and rejects known-wrong answers at the
expected stage with the hint that names their mistake; the references are the library's
(the slow LRU of dslib.caching.reference, Che's T of dslib.caching.theory, MIN's rule)."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dslib.exercises as ex
import dslib.exercises.ch09 as ch09
from conftest import quiet_check
from dslib.caching.policies import make_policy
from dslib.caching.theory import che_characteristic_time, min_hits
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems, too_few_wrong_answers
from dslib.exercises.stages import Examples, recognise

IDS = ["ch09.lru_hits", "ch09.characteristic_time", "ch09.min_victim"]


def solution(exercise_id: str) -> Callable[..., Any]:
    return ex.load_solution(exercise_id)


def test_the_exercises_are_registered_in_chapter_9() -> None:
    assert [e.id for e in ex.all_exercises(chapter=9)] == IDS
    assert [s.name for s in ex.get_exercise(IDS[0]).stages] == [
        "examples",
        "properties",
        "constant time",
    ]


# -- the references are the library's ----------------------------------------------------------
@given(st.integers(1, 5), st.lists(st.integers(0, 9), max_size=50))
def test_the_lru_reference_is_the_librarys_lru(capacity: int, requests: list[int]) -> None:
    fast = make_policy("lru", capacity)
    assert ch09.lru_reference(capacity, requests) == [fast.access(k) for k in requests]


def test_the_characteristic_time_reference_is_the_librarys() -> None:
    p = [0.4, 0.3, 0.2, 0.1]
    assert solution(IDS[1])(p, 2) == pytest.approx(che_characteristic_time(p, 2), rel=1e-9)


@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=4, unique=True),
    st.lists(st.integers(0, 8), max_size=12),
)
def test_evicting_min_victims_reaches_mins_hits(cached: list[int], future: list[int]) -> None:
    """A cache that always evicts what min_victim says gets MIN's hits (or as many, cold)."""
    capacity = len(cached)
    trace = cached + future
    victim = solution(IDS[2])
    hits, held = 0, []
    for i, key in enumerate(trace):
        if key in held:
            hits += 1
            continue
        if len(held) == capacity:
            held.remove(victim(held, trace[i + 1 :]))
        held.append(key)
    # MIN may also refuse to keep the new key; a demand cache cannot, and may lose one
    # hit per refusal at most, so check the solution against MIN only as a bound
    assert hits <= min_hits(trace, capacity)
    for right in ch09.min_victims(cached, future):
        assert right in cached


# -- wrong answers -----------------------------------------------------------------------------
def lru_fifo(capacity: int, requests: Sequence[Hashable]) -> list[bool]:
    cache: OrderedDict[Hashable, None] = OrderedDict()
    out = []
    for key in requests:
        out.append(key in cache)
        if key not in cache:
            if len(cache) == capacity:
                cache.popitem(last=False)
            cache[key] = None
    return out


def lru_evicts_newest(capacity: int, requests: Sequence[Hashable]) -> list[bool]:
    cache: OrderedDict[Hashable, None] = OrderedDict()
    out = []
    for key in requests:
        if key in cache:
            cache.move_to_end(key)
            out.append(True)
            continue
        if len(cache) == capacity:
            cache.popitem(last=True)
        cache[key] = None
        out.append(False)
    return out


def lru_one_too_many(capacity: int, requests: Sequence[Hashable]) -> list[bool]:
    cache: OrderedDict[Hashable, None] = OrderedDict()
    out = []
    for key in requests:
        if key in cache:
            cache.move_to_end(key)
            out.append(True)
            continue
        if len(cache) > capacity:
            cache.popitem(last=False)
        cache[key] = None
        out.append(False)
    return out


def lru_with_a_list(capacity: int, requests: Sequence[Hashable]) -> list[bool]:
    keys: list[Hashable] = []
    out = []
    for key in requests:
        if key in keys:
            keys.remove(key)
            keys.append(key)
            out.append(True)
            continue
        if len(keys) == capacity:
            keys.pop(0)
        keys.append(key)
        out.append(False)
    return out


def lru_with_timestamps(capacity: int, requests: Sequence[Hashable]) -> list[bool]:
    last: dict[Hashable, int] = {}
    out = []
    for now, key in enumerate(requests):
        out.append(key in last)
        if key not in last and len(last) == capacity:
            oldest = min(last, key=lambda k: last[k])
            del last[oldest]
        last[key] = now
    return out


def lru_one_too_few(capacity: int, requests: Sequence[Hashable]) -> list[bool]:
    cache: OrderedDict[Hashable, None] = OrderedDict()
    out = []
    for key in requests:
        if key in cache:
            cache.move_to_end(key)
            out.append(True)
            continue
        if len(cache) >= capacity - 1 and cache:
            cache.popitem(last=False)
        cache[key] = None
        out.append(False)
    return out


def ct_returns_c(popularity: Sequence[float], cache_size: int) -> float:
    return float(cache_size)


def _bisect(f: Callable[[float], float], target: float, increasing: bool = True) -> float:
    lo, hi = 0.0, 1.0
    while (f(hi) < target) == increasing:
        lo, hi = hi, 2 * hi
    for _ in range(200):
        mid = (lo + hi) / 2
        if (f(mid) < target) == increasing:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def ct_without_one_minus(popularity: Sequence[float], cache_size: int) -> float:
    return _bisect(lambda t: sum(math.exp(-q * t) for q in popularity), cache_size, False)


def ct_linear(popularity: Sequence[float], cache_size: int) -> float:
    return _bisect(lambda t: sum(min(1.0, q * t) for q in popularity), cache_size)


def ct_imprecise(popularity: Sequence[float], cache_size: int) -> float:
    lo, hi = 0.0, 1000.0 * cache_size
    for _ in range(20):  # a width of 1000 * C / 2**20: about 1e-4 of T
        mid = (lo + hi) / 2
        if sum(1 - math.exp(-q * mid) for q in popularity) < cache_size:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def ct_hit_ratio(popularity: Sequence[float], cache_size: int) -> float:
    n = len(popularity)
    return _bisect(lambda t: sum(q * (1 - math.exp(-q * t)) for q in popularity), cache_size / n)


def mv_soonest(cached: Sequence[Hashable], future: Sequence[Hashable]) -> Hashable:
    def when(k: Hashable) -> int:
        return list(future).index(k) if k in future else len(future)

    return min(cached, key=when)


def mv_fewest(cached: Sequence[Hashable], future: Sequence[Hashable]) -> Hashable:
    return min(cached, key=lambda k: list(future).count(k))


def mv_first(cached: Sequence[Hashable], future: Sequence[Hashable]) -> Hashable:
    return cached[0]


def mv_index_raises(cached: Sequence[Hashable], future: Sequence[Hashable]) -> Hashable:
    return max(cached, key=lambda k: list(future).index(k))


WRONG = [
    WrongAnswer(IDS[0], lru_fifo, "examples", "(FIFO)"),
    WrongAnswer(IDS[0], lru_evicts_newest, "examples", "You evict the most recently used"),
    WrongAnswer(IDS[0], lru_one_too_many, "examples", "one key more than capacity"),
    WrongAnswer(IDS[0], lru_one_too_few, "examples", "one key fewer than capacity"),
    WrongAnswer(IDS[0], lru_with_a_list, "constant time", "Keep the keys in a dict"),
    WrongAnswer(IDS[0], lru_with_timestamps, "constant time", "or a min over all keys"),
    WrongAnswer(IDS[1], ct_returns_c, "examples", "T is not the cache size"),
    WrongAnswer(IDS[1], ct_without_one_minus, "examples", "NOT requested"),
    WrongAnswer(IDS[1], ct_linear, "examples", "q * T is the expected number"),
    WrongAnswer(IDS[1], ct_hit_ratio, "examples", "is the hit ratio"),
    WrongAnswer(IDS[1], ct_imprecise, "examples", "not to 6 significant digits"),
    WrongAnswer(IDS[2], mv_soonest, "examples", "needed soonest"),
    WrongAnswer(IDS[2], mv_fewest, "examples", "not how often"),
    WrongAnswer(IDS[2], mv_first, "examples", "whatever the future says"),
    WrongAnswer(IDS[2], mv_index_raises, "examples", "never requested again has no next"),
]


def test_every_exercise_has_at_least_two_wrong_answers() -> None:
    assert too_few_wrong_answers(WRONG, IDS) == []


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert problems == []


@pytest.mark.parametrize("answer", [lru_fifo, lru_evicts_newest, lru_one_too_many])
def test_the_property_alone_catches_the_wrong_lrus(answer: Callable[..., Any]) -> None:
    result = ex.stage_checks(IDS[0])["properties"](answer)
    assert not result.ok


def test_the_constant_time_stage_counts_work_and_passes_the_solution() -> None:
    stage = ex.stage_checks(IDS[0])["constant time"]
    ok = stage(solution(IDS[0]))
    assert ok.ok, ok.summary
    slow = stage(lru_with_a_list)
    assert not slow.ok and float(slow.summary.split()[0]) > 100


@pytest.mark.parametrize("exercise_id", IDS)
def test_each_mistake_recognises_its_wrong_answers_and_no_other(exercise_id: str) -> None:
    """A hint chosen by behaviour names the mistake the answer made: each ``Mistake`` of the
    exercise recognises first exactly the wrong answers whose expected hint is its own, and
    neither the other wrong answers nor the solution (as tests/test_exercise_mistakes.py
    asks of the chapters it lists)."""
    stages = ex.get_exercise(exercise_id).stages
    mistakes = tuple(m for s in stages if isinstance(s, Examples) for m in s.mistakes)
    rows = [r for r in WRONG if r.exercise == exercise_id]
    for mistake in mistakes:
        mine = [r for r in rows if recognise(r.answer, mistakes) is mistake]
        assert mine, f"no known-wrong answer makes the mistake {mistake.name!r}"
        for row in mine:
            assert row.hint in mistake.hint, (mistake.name, row.id, row.hint)
        assert recognise(ex.load_solution(exercise_id), (mistake,)) is None
