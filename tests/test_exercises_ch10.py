"""Tests of the exercises of chapter 10 (orchestration): every checker accepts its reference
solution, says "not attempted yet" for its stub, and rejects known-wrong answers at the
expected stage with the hint that names their mistake; the references are the library's
(the scheduler's first fit decreasing, the autoscaler's rule, the lease's resource)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dslib.exercises as ex
import dslib.exercises.ch10 as ch10
from conftest import quiet_check
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems, too_few_wrong_answers
from dslib.exercises.stages import Examples, recognise
from dslib.orchestration.autoscaling import desired_replicas
from dslib.orchestration.lease import LeaseConfig, Resource, ResourceState, Write
from dslib.orchestration.scheduling import NodeSpec, TaskSpec, optimal_node_count

IDS = ["ch10.first_fit_decreasing", "ch10.desired_replicas", "ch10.fence"]


def solution(exercise_id: str) -> Callable[..., Any]:
    return ex.load_solution(exercise_id)


def test_the_exercises_are_registered_in_chapter_10() -> None:
    assert [e.id for e in ex.all_exercises(chapter=10)] == IDS


# -- the references are the library's --------------------------------------------------------
@given(st.lists(st.integers(1, 10), max_size=8))
def test_the_ffd_reference_packs_like_a_direct_ffd_and_within_its_bound(sizes: list[int]) -> None:
    bins = ch10.ffd_bins(sizes, 10)
    assert bins == solution(IDS[0])(sizes, 10)
    used = len(set(bins))
    opt = optimal_node_count(
        [TaskSpec(f"t{i}", s, 0) for i, s in enumerate(sizes)], NodeSpec("n", 10, 0)
    )
    assert 9 * used <= 11 * opt + 6
    for b in set(bins):
        assert sum(s for s, x in zip(sizes, bins, strict=True) if x == b) <= 10


@given(st.integers(0, 20), st.integers(0, 300), st.integers(1, 150))
def test_the_autoscaler_solution_is_the_librarys_rule(
    current: int, metric: int, target: int
) -> None:
    if abs(metric - target) * 10 == target:
        return  # on the tolerance's edge, float and exact arithmetic may differ
    assert solution(IDS[1])(current, metric, target, 0.1) == desired_replicas(
        current, metric, target
    )


@given(st.lists(st.integers(1, 4), max_size=10))
def test_the_fence_reference_is_the_lease_resource(tokens: list[int]) -> None:
    node = Resource(LeaseConfig())
    state = ResourceState()

    class Ctx:
        now = 0.0

    for i, t in enumerate(tokens):
        state = node.on_message(Ctx(), state, "c1", Write(t, i))  # type: ignore[arg-type]
    assert [ok for *_rest, ok in state.log] == ch10.fence_reference(tokens)


# -- wrong answers -----------------------------------------------------------------------------
def _ff(order: Sequence[int], sizes: Sequence[int], capacity: int, best: bool = False) -> list[int]:
    loads: list[int] = []
    out = [0] * len(sizes)
    for i in order:
        fits = [b for b, load in enumerate(loads) if load + sizes[i] <= capacity]
        if fits:
            b = max(fits, key=lambda b: (loads[b], -b)) if best else fits[0]
            loads[b] += sizes[i]
        else:
            loads.append(sizes[i])
            b = len(loads) - 1
        out[i] = b
    return out


def ffd_no_sort(sizes: list[int], capacity: int) -> list[int]:
    return _ff(range(len(sizes)), sizes, capacity)


def ffd_ascending(sizes: list[int], capacity: int) -> list[int]:
    return _ff(sorted(range(len(sizes)), key=lambda i: sizes[i]), sizes, capacity)


def ffd_best_fit(sizes: list[int], capacity: int) -> list[int]:
    return _ff(sorted(range(len(sizes)), key=lambda i: -sizes[i]), sizes, capacity, best=True)


def ffd_sorted_order(sizes: list[int], capacity: int) -> list[int]:
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    bins = _ff(order, sizes, capacity)
    return [bins[i] for i in order]


def ffd_sorts_in_place(sizes: list[int], capacity: int) -> list[int]:
    sizes.sort(reverse=True)
    return _ff(range(len(sizes)), sizes, capacity)


def dr_inverted(current: int, metric: int, target: int, tolerance: float) -> int:
    if abs(metric - target) <= tolerance * target:
        return current
    return math.ceil(current * target / metric) if metric else 0


def dr_no_tolerance(current: int, metric: int, target: int, tolerance: float) -> int:
    return -(-current * metric // target)


def dr_float_ratio(current: int, metric: int, target: int, tolerance: float) -> int:
    if abs(metric / target - 1) <= tolerance:
        return current
    return math.ceil(current * (metric / target))


def dr_floor(current: int, metric: int, target: int, tolerance: float) -> int:
    if abs(metric - target) <= tolerance * target:
        return current
    return current * metric // target


def dr_round(current: int, metric: int, target: int, tolerance: float) -> int:
    if abs(metric - target) <= tolerance * target:
        return current
    return round(current * metric / target)


def fence_accepts_all(tokens: list[int]) -> list[bool]:
    return [True for _ in tokens]


def fence_strict(tokens: list[int]) -> list[bool]:
    largest, out = 0, []
    for t in tokens:
        out.append(t > largest)
        largest = max(largest, t)
    return out


def fence_previous(tokens: list[int]) -> list[bool]:
    previous, out = 0, []
    for t in tokens:
        out.append(t >= previous)
        previous = t
    return out


WRONG = [
    WrongAnswer(IDS[0], ffd_no_sort, "examples", "that is first fit"),
    WrongAnswer(IDS[0], ffd_ascending, "examples", "smallest first"),
    WrongAnswer(IDS[0], ffd_best_fit, "examples", "(best fit)"),
    WrongAnswer(IDS[0], ffd_sorted_order, "examples", "follows the sorted order"),
    WrongAnswer(IDS[1], dr_inverted, "examples", "upside down"),
    WrongAnswer(IDS[1], dr_no_tolerance, "examples", "4 % deviation"),
    WrongAnswer(IDS[1], dr_floor, "examples", "rounds down"),
    WrongAnswer(IDS[1], dr_float_ratio, "examples", "29.000000000000004"),
    WrongAnswer(IDS[1], dr_round, "examples", "rounds to the nearest"),
    WrongAnswer(IDS[2], fence_accepts_all, "examples", "older token"),
    WrongAnswer(IDS[2], fence_strict, "examples", "second write"),
    WrongAnswer(IDS[2], fence_previous, "examples", "previous write's token"),
]


def test_every_exercise_has_at_least_two_wrong_answers() -> None:
    assert too_few_wrong_answers(WRONG, IDS) == []


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert problems == []


def test_an_answer_that_sorts_its_argument_in_place_is_told_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = quiet_check(IDS[0], ffd_sorts_in_place, capsys)
    assert not result.passed and "changed" in result.text


@pytest.mark.parametrize(
    ("exercise_id", "answer"),
    [(IDS[0], ffd_no_sort), (IDS[0], ffd_ascending), (IDS[1], dr_floor), (IDS[2], fence_strict)],
)
def test_the_property_alone_catches_wrong_answers(exercise_id: str, answer: Any) -> None:
    assert not ex.stage_checks(exercise_id)["properties"](answer).ok


@pytest.mark.parametrize("exercise_id", IDS)
def test_each_mistake_recognises_its_wrong_answers_and_no_other(exercise_id: str) -> None:
    """A hint chosen by behaviour names the mistake the answer made: each ``Mistake`` of the
    exercise recognises first exactly the wrong answers whose expected hint is its own, and
    neither the other wrong answers nor the solution."""
    stages = ex.get_exercise(exercise_id).stages
    mistakes = tuple(m for s in stages if isinstance(s, Examples) for m in s.mistakes)
    rows = [r for r in WRONG if r.exercise == exercise_id]
    for mistake in mistakes:
        mine = [r for r in rows if recognise(r.answer, mistakes) is mistake]
        assert mine, f"no known-wrong answer makes the mistake {mistake.name!r}"
        for row in mine:
            assert row.hint in mistake.hint, (mistake.name, row.id, row.hint)
        assert recognise(ex.load_solution(exercise_id), (mistake,)) is None
