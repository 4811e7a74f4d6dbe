"""Tests of the exercises of chapters 6 and 13: every checker accepts its reference solution
and rejects known-wrong answers at the expected stage with the expected hint."""

from __future__ import annotations

import math
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
IDS = [
    "ch06.least_connections",
    "ch06.power_of_two",
    "ch06.smooth_weighted_round_robin",
    "ch13.jump_hash",
    "ch13.rendezvous",
    "ch13.rebalance",
]
MASK = 0xFFFFFFFFFFFFFFFF


def test_the_exercises_are_registered_in_their_chapters() -> None:
    # these come first in their chapters; later sections add theirs after them
    assert [e.id for e in ex.all_exercises(chapter=6)][:3] == IDS[:3]
    assert [e.id for e in ex.all_exercises(chapter=13)][:3] == IDS[3:]


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


def p2_choice_twice(backends: list[str], outstanding: dict[str, int], rng: Any) -> Any:
    first, second = rng.choice(backends), rng.choice(backends)
    return second if outstanding.get(second, 0) < outstanding.get(first, 0) else first


def p2_sample_one_twice(backends: list[str], outstanding: dict[str, int], rng: Any) -> Any:
    first, second = rng.sample(backends, 1)[0], rng.sample(backends, 1)[0]
    return second if outstanding.get(second, 0) < outstanding.get(first, 0) else first


def p2_more_loaded(backends: list[str], outstanding: dict[str, int], rng: Any) -> Any:
    return max(rng.sample(backends, min(2, len(backends))), key=lambda b: outstanding.get(b, 0))


def p2_least_of_all(backends: list[str], outstanding: dict[str, int], rng: Any) -> Any:
    rng.sample(backends, min(2, len(backends)))
    return min(backends, key=lambda b: outstanding.get(b, 0))


def p2_tie_to_second(backends: list[str], outstanding: dict[str, int], rng: Any) -> Any:
    drawn = rng.sample(backends, min(2, len(backends)))
    best = drawn[0]
    for b in drawn[1:]:
        if outstanding.get(b, 0) <= outstanding.get(best, 0):
            best = b
    return best


def p2_key_error(backends: list[str], outstanding: dict[str, int], rng: Any) -> Any:
    return min(rng.sample(backends, min(2, len(backends))), key=lambda b: outstanding[b])


def p2_always_two(backends: list[str], outstanding: dict[str, int], rng: Any) -> Any:
    return min(rng.sample(backends, 2), key=lambda b: outstanding.get(b, 0))


def p2_draws_again(backends: list[str], outstanding: dict[str, int], rng: Any) -> Any:
    drawn = rng.sample(backends, min(2, len(backends)))
    rng.random()  # an extra draw: the next call's looks differ from the definition's
    return min(drawn, key=lambda b: outstanding.get(b, 0))


def sw_plain(weights: list[tuple[str, int]], picks: int) -> list[str]:
    cycle = [name for name, w in weights for _ in range(w)]
    return [cycle[i % len(cycle)] for i in range(picks)]


def _swrr(weights: list[tuple[str, int]], picks: int, drop: str, ties_last: bool) -> list[str]:
    current = [0] * len(weights)
    total = sum(w for _, w in weights)
    out = []
    for _ in range(picks):
        for i, (_, w) in enumerate(weights):
            current[i] += w
        best = 0
        for i in range(1, len(weights)):
            if current[i] > current[best] or (ties_last and current[i] == current[best]):
                best = i
        current[best] -= {"total": total, "own": weights[best][1], "none": 0}[drop]
        out.append(weights[best][0])
    return out


def sw_no_subtract(weights: list[tuple[str, int]], picks: int) -> list[str]:
    return _swrr(weights, picks, "none", False)


def sw_own_weight(weights: list[tuple[str, int]], picks: int) -> list[str]:
    return _swrr(weights, picks, "own", False)


def sw_ties_to_last(weights: list[tuple[str, int]], picks: int) -> list[str]:
    return _swrr(weights, picks, "total", True)


def sw_bursts_when_heavy(weights: list[tuple[str, int]], picks: int) -> list[str]:
    # right on small totals (all the examples'), in a row on larger ones
    if sum(w for _, w in weights) > 7:
        return sw_plain(weights, picks)
    return _swrr(weights, picks, "total", False)


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
    WrongAnswer("ch06.power_of_two", p2_choice_twice, "examples", "two separate draws"),
    WrongAnswer("ch06.power_of_two", p2_sample_one_twice, "examples", "two separate draws"),
    WrongAnswer("ch06.power_of_two", p2_more_loaded, "examples", "min, not max"),
    WrongAnswer("ch06.power_of_two", p2_least_of_all, "examples", "least connections"),
    WrongAnswer("ch06.power_of_two", p2_tie_to_second, "examples", "compare with <, not <="),
    WrongAnswer("ch06.power_of_two", p2_key_error, "examples", "outstanding.get(backend, 0)"),
    WrongAnswer("ch06.power_of_two", p2_always_two, "examples", "With a single backend"),
    WrongAnswer("ch06.power_of_two", p2_draws_again, "properties", "Draw exactly once per call"),
    WrongAnswer("ch06.smooth_weighted_round_robin", sw_plain, "examples", "in a row"),
    WrongAnswer(
        "ch06.smooth_weighted_round_robin", sw_no_subtract, "examples", "heaviest backend wins"
    ),
    WrongAnswer(
        "ch06.smooth_weighted_round_robin", sw_own_weight, "examples", "not the winner's own"
    ),
    WrongAnswer("ch06.smooth_weighted_round_robin", sw_ties_to_last, "examples", ">, not >="),
    WrongAnswer(
        "ch06.smooth_weighted_round_robin", sw_bursts_when_heavy, "properties", "'smooth' means"
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


def test_the_smooth_round_robin_properties_against_brute_force_verdicts() -> None:
    """The two property checkers of ch06.smooth_weighted_round_robin agree with a direct
    count (Counter, exact fractions) on every sequence of a few picks over small weights."""
    from collections import Counter
    from fractions import Fraction
    from itertools import product

    from dslib.exercises.ch06 import _sw_smooth, _sw_windows

    def windows_ok(weights: list[tuple[str, int]], seq: list[str]) -> bool:
        total = sum(w for _, w in weights)
        return all(
            Counter(seq[i : i + total]) == dict(weights) for i in range(len(seq) - total + 1)
        )

    def smooth_ok(weights: list[tuple[str, int]], seq: list[str]) -> bool:
        total = sum(w for _, w in weights)
        return all(
            seq[:k].count(n) <= math.ceil(Fraction(w * k, total))
            for k in range(1, len(seq) + 1)
            for n, w in weights
        )

    checked = {"windows": 0, "smooth": 0}
    for weights in ([("a", 1), ("b", 1)], [("a", 2), ("b", 1)], [("a", 1), ("b", 1), ("c", 1)]):
        names = [n for n, _ in weights]
        total = sum(w for _, w in weights)
        for length in range(total, total + 3):
            for seq in product(names, repeat=length):
                picks = list(seq)
                case = (weights, length)
                answer = lambda w, p, picks=picks: list(picks)  # noqa: E731
                assert (_sw_windows(answer, case) is None) == windows_ok(weights, picks)
                if windows_ok(weights, picks):
                    checked["windows"] += 1
                assert (_sw_smooth(answer, case) is None) == smooth_ok(weights, picks)
                checked["smooth"] += smooth_ok(weights, picks)
    assert checked["windows"] > 10 and checked["smooth"] > 10  # both verdicts were exercised
