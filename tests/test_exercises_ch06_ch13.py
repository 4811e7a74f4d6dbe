"""Tests of the exercises of chapters 6 and 13: every checker accepts its reference solution
and rejects known-wrong answers at the expected stage with the expected hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import dslib.exercises as ex
import dslib.exercises.ch06
import dslib.exercises.ch13  # noqa: F401  (registers the exercises)
from conftest import quiet_check
from dslib.exercises.ch13 import BoundedFunctionAnswer, RunawayLoop
from dslib.exercises.known_wrong import (
    WrongAnswer,
    rejection_problems,
    too_few_wrong_answers,
)
from dslib.sharding import rendezvous_score, stable_hash

ROOT = Path(__file__).resolve().parent.parent
IDS = ["ch06.least_connections", "ch13.jump_hash", "ch13.rendezvous", "ch13.rebalance"]
MASK = 0xFFFFFFFFFFFFFFFF


def test_the_exercises_are_registered_in_their_chapters() -> None:
    assert [e.id for e in ex.all_exercises(chapter=6)] == IDS[:1]
    assert [e.id for e in ex.all_exercises(chapter=13)] == IDS[1:]


# -- wrong answers -------------------------------------------------------------------------------
def lc_max(backends: list[str], outstanding: dict[str, int], healthy: set[str]) -> Any:
    c = [b for b in backends if b in healthy]
    return max(c, key=lambda b: outstanding.get(b, 0)) if c else None


def lc_ignores_health(backends: list[str], outstanding: dict[str, int], healthy: set[str]) -> Any:
    return min(backends, key=lambda b: outstanding.get(b, 0))


def lc_key_error(backends: list[str], outstanding: dict[str, int], healthy: set[str]) -> Any:
    c = [b for b in backends if b in healthy]
    return min(c, key=lambda b: outstanding[b]) if c else None


def lc_by_name(backends: list[str], outstanding: dict[str, int], healthy: set[str]) -> Any:
    c = sorted(b for b in backends if b in healthy)
    return min(c, key=lambda b: outstanding.get(b, 0)) if c else None


def lc_last_tie(backends: list[str], outstanding: dict[str, int], healthy: set[str]) -> Any:
    best = None
    for b in backends:
        if b in healthy and (best is None or outstanding.get(b, 0) <= outstanding.get(best, 0)):
            best = b
    return best


def lc_raises_on_none(backends: list[str], outstanding: dict[str, int], healthy: set[str]) -> Any:
    return min((b for b in backends if b in healthy), key=lambda b: outstanding.get(b, 0))


def _jump(
    key: int,
    n: int,
    mask: bool = True,
    intdiv: bool = False,
    step1: bool = True,
    shift: int = 33,
    give_j: bool = False,
) -> int:
    b, j = -1, 0
    while j < n:
        b = j
        key = key * 2862933555777941757 + 1
        if mask:
            key &= MASK
        m = b + 1 if step1 else b
        if intdiv:
            j = m * ((1 << 31) // ((key >> shift) + 1))
        else:
            j = int(m * (float(1 << 31) / float((key >> shift) + 1)))
    return j if give_j else b


def jh_no_mask(key: int, num_buckets: int) -> int:
    return _jump(key, num_buckets, mask=False)


def jh_integer_division(key: int, num_buckets: int) -> int:
    return _jump(key, num_buckets, intdiv=True)


def jh_times_b(key: int, num_buckets: int) -> int:
    return _jump(key, num_buckets, step1=False)


def jh_shift_32(key: int, num_buckets: int) -> int:
    return _jump(key, num_buckets, shift=32)


def jh_returns_j(key: int, num_buckets: int) -> int:
    return _jump(key, num_buckets, give_j=True)


def rdv_ascending(key: str, nodes: list[str], replicas: int) -> list[str]:
    if not 1 <= replicas <= len(nodes):
        raise ValueError
    return sorted(nodes, key=lambda n: rendezvous_score(n, key))[:replicas]


def rdv_key_hash_only(key: str, nodes: list[str], replicas: int) -> list[str]:
    if not 1 <= replicas <= len(nodes):
        raise ValueError
    return sorted(nodes, key=lambda n: (-stable_hash(key), n))[:replicas]


def rdv_no_raise(key: str, nodes: list[str], replicas: int) -> list[str]:
    return sorted(nodes, key=lambda n: -rendezvous_score(n, key))[:replicas]


def rdv_sorts_in_place(key: str, nodes: list[str], replicas: int) -> list[str]:
    if not 1 <= replicas <= len(nodes):
        raise ValueError
    nodes.sort(key=lambda n: -rendezvous_score(n, key))
    return nodes[:replicas]


def rdv_swapped_arguments(key: str, nodes: list[str], replicas: int) -> list[str]:
    if not 1 <= replicas <= len(nodes):
        raise ValueError
    return sorted(nodes, key=lambda n: (-rendezvous_score(key, n), n))[:replicas]


def rb_deal_in_turn(assignment: tuple, groups: list[str]) -> tuple:
    g = sorted(groups)
    return tuple(g[i % len(g)] for i in range(len(assignment))) if g else (None,) * len(assignment)


def rb_keeps_everything(assignment: tuple, groups: list[str]) -> tuple:
    return tuple(assignment)


def rb_all_to_first(assignment: tuple, groups: list[str]) -> tuple:
    if not groups:
        return (None,) * len(assignment)
    first = sorted(groups)[0]
    return tuple(x if x in groups else first for x in assignment)


def rb_targets_by_name(assignment: tuple, groups: list[str]) -> tuple:
    # the larger targets go to the first groups by name, not to those that hold the most
    if not groups:
        return (None,) * len(assignment)
    names = sorted(groups)
    q, r = divmod(len(assignment), len(names))
    target = {g: q + (1 if i < r else 0) for i, g in enumerate(names)}
    held = {g: [i for i, x in enumerate(assignment) if x == g] for g in names}
    new = list(assignment)
    free = [i for i, x in enumerate(assignment) if x not in held]
    for g in names:
        free += held[g][target[g] :]
    free.sort()
    for g in names:
        for _ in range(target[g] - min(target[g], len(held[g]))):
            new[free.pop(0)] = g
    return tuple(new)


WRONG = [
    WrongAnswer("ch06.least_connections", lc_max, "examples", "min, not max"),
    WrongAnswer("ch06.least_connections", lc_ignores_health, "examples", "is not healthy"),
    WrongAnswer("ch06.least_connections", lc_key_error, "examples", "outstanding.get(backend, 0)"),
    WrongAnswer("ch06.least_connections", lc_by_name, "examples", "not to the smallest name"),
    WrongAnswer("ch06.least_connections", lc_last_tie, "examples", "use <, not <="),
    WrongAnswer(
        "ch06.least_connections", lc_raises_on_none, "examples", "return None instead of raising"
    ),
    WrongAnswer("ch13.jump_hash", jh_no_mask, "examples", "& 0xFFFFFFFFFFFFFFFF"),
    WrongAnswer("ch13.jump_hash", jh_integer_division, "examples", "Integer division"),
    WrongAnswer("ch13.jump_hash", jh_times_b, "examples", "The loop never ends"),
    WrongAnswer("ch13.jump_hash", jh_shift_32, "examples", "Shift by 33"),
    WrongAnswer("ch13.jump_hash", jh_returns_j, "examples", "You returned j"),
    WrongAnswer("ch13.rendezvous", rdv_ascending, "examples", "decreasing order"),
    WrongAnswer("ch13.rendezvous", rdv_key_hash_only, "examples", "ranked the nodes by name"),
    WrongAnswer("ch13.rendezvous", rdv_no_raise, "examples", "raise ValueError"),
    WrongAnswer("ch13.rendezvous", rdv_sorts_in_place, "examples", "Do not sort nodes in place"),
    WrongAnswer(
        "ch13.rendezvous", rdv_swapped_arguments, "examples", "the node first, then the key"
    ),
    WrongAnswer("ch13.rebalance", rb_deal_in_turn, "examples", "Dealing the shards out in turn"),
    WrongAnswer(
        "ch13.rebalance", rb_keeps_everything, "examples", "must move to a group that is there"
    ),
    WrongAnswer("ch13.rebalance", rb_all_to_first, "examples", "Balance"),
    WrongAnswer("ch13.rebalance", rb_targets_by_name, "examples", "hold the most shards now"),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_every_exercise_rejects_at_least_two_wrong_answers() -> None:
    assert not too_few_wrong_answers(WRONG, IDS)


def test_rebalance_properties_catch_what_the_examples_miss(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def only_small(assignment: tuple, groups: list[str]) -> tuple:
        right = ex.load_solution("ch13.rebalance")(assignment, groups)
        return rb_deal_in_turn(assignment, groups) if len(assignment) in (9, 11, 12) else right

    result = quiet_check("ch13.rebalance", only_small, capsys)
    assert result.stage == "properties" and "suffice" in (result.hint or "")
    assert result.failure is not None and result.failure.shrunk


def test_balancer_stage_catches_a_choice_that_only_goes_wrong_in_the_balancer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls = {"n": 0}

    def tired(backends: list[str], outstanding: dict[str, int], healthy: set[str]) -> Any:
        calls["n"] += 1  # right on the first few hundred calls, then picks the first healthy
        if calls["n"] > 600:
            return next((b for b in backends if b in healthy), None)
        return ex.load_solution("ch06.least_connections")(backends, outstanding, healthy)

    result = quiet_check("ch06.least_connections", tired, capsys)
    assert result.stage == "balancer", result.text
    assert "in the balancer" in result.message


def test_a_runaway_loop_is_stopped_not_hung() -> None:
    spec = BoundedFunctionAnswer("f", ("x",), limit=50)

    def f(x: int) -> int:
        while x >= 0:
            x += 1
        return x

    with pytest.raises(RunawayLoop):
        spec.prepare(f)(0)
    assert spec.prepare(lambda x: x + 1)(1) == 2
