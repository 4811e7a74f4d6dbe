"""Tests of chapter 11's exercises: every checker accepts its reference solution and rejects
known-wrong answers at the expected stage with the hint that names their mistake."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

import dslib.exercises as ex
from conftest import quiet_check
from dslib.exercises.ch11 import order_problem
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems, too_few_wrong_answers

IDS = ["ch11.linearize", "ch11.monotonic_reads", "ch11.read_your_writes"]


def test_the_exercises_are_registered_in_their_chapter() -> None:
    assert [e.id for e in ex.all_exercises(chapter=11)] == IDS


# -- ch11.linearize -------------------------------------------------------------------------------
def lin_by_start(ops: list[Any]) -> list[int] | None:
    return sorted(range(len(ops)), key=lambda i: ops[i][4])


def lin_ignores_real_time(ops: list[Any]) -> list[int] | None:
    for order in itertools.permutations(range(len(ops))):
        value, ok = None, True
        for i in order:
            if ops[i][1] == "write":
                value = ops[i][2]
            elif ops[i][3] != value:
                ok = False
        if ok:
            return list(order)
    return None


def lin_returns_bool(ops: list[Any]) -> Any:
    return ex.load_solution("ch11.linearize")(ops) is not None


def lin_never_none(ops: list[Any]) -> list[int] | None:
    """Searches correctly, but returns the invocation order when it finds nothing."""
    return ex.load_solution("ch11.linearize")(ops) or list(range(len(ops)))


# -- ch11.monotonic_reads -----------------------------------------------------------------------
def _rank(order: list[Any], with_none: bool = True) -> dict[Any, int]:
    rank = {v: k for k, v in enumerate(order)}
    if with_none:
        rank[None] = -1
    return rank


def mr_values(reads: list[Any], version_order: list[Any]) -> int | None:
    newest = None
    for i, v in enumerate(reads):
        if v is not None and v not in version_order:
            raise ValueError(v)
        if newest is not None and v is not None and v < newest:
            return i
        newest = v if newest is None or (v is not None and v > newest) else newest
    return None


def mr_same_again(reads: list[Any], version_order: list[Any]) -> int | None:
    rank, newest = _rank(version_order), -2
    for i, v in enumerate(reads):
        if v not in rank:
            raise ValueError(v)
        if rank[v] <= newest:
            return i
        newest = rank[v]
    return None


def mr_no_initial(reads: list[Any], version_order: list[Any]) -> int | None:
    rank, newest = _rank(version_order, with_none=False), -1
    for i, v in enumerate(reads):
        if rank[v] < newest:
            return i
        newest = max(newest, rank[v])
    return None


def mr_no_raise(reads: list[Any], version_order: list[Any]) -> int | None:
    rank, newest = _rank(version_order), -1
    for i, v in enumerate(reads):
        if rank.get(v, -1) < newest:
            return i
        newest = max(newest, rank.get(v, -1))
    return None


# -- ch11.read_your_writes ------------------------------------------------------------------------
def ryw_exact(session: list[Any], version_order: list[Any]) -> int | None:
    rank, own = _rank(version_order), None
    for i, (f, v) in enumerate(session):
        if v not in rank:
            raise ValueError(v)
        if f == "write":
            own = v
        elif own is not None and v != own:
            return i
    return None


def ryw_values(session: list[Any], version_order: list[Any]) -> int | None:
    own = None
    for i, (f, v) in enumerate(session):
        if v is not None and v not in version_order:
            raise ValueError(v)
        if f == "write":
            own = v
        elif own is not None and (v is None or v < own):
            return i
    return None


def ryw_first_write(session: list[Any], version_order: list[Any]) -> int | None:
    rank, own = _rank(version_order), None
    for i, (f, v) in enumerate(session):
        if v not in rank:
            raise ValueError(v)
        if f == "write" and own is None:
            own = rank[v]
        elif f == "read" and own is not None and rank[v] < own:
            return i
    return None


WRONG = [
    WrongAnswer("ch11.linearize", lin_by_start, "examples", "order they were invoked"),
    WrongAnswer("ch11.linearize", lin_ignores_real_time, "examples", "Real time counts"),
    WrongAnswer("ch11.linearize", lin_returns_bool, "examples", "Return a list of indices"),
    WrongAnswer("ch11.linearize", lin_never_none, "examples", "No order explains"),
    WrongAnswer("ch11.monotonic_reads", mr_values, "examples", "compared the values"),
    WrongAnswer("ch11.monotonic_reads", mr_same_again, "examples", "same version again"),
    WrongAnswer("ch11.monotonic_reads", mr_no_initial, "examples", "initial value"),
    WrongAnswer("ch11.monotonic_reads", mr_no_raise, "examples", "raise ValueError"),
    WrongAnswer("ch11.read_your_writes", ryw_exact, "examples", "NEWER version"),
    WrongAnswer("ch11.read_your_writes", ryw_values, "examples", "compared the values"),
    WrongAnswer("ch11.read_your_writes", ryw_first_write, "examples", "LATEST write"),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_every_exercise_rejects_at_least_two_wrong_answers() -> None:
    assert not too_few_wrong_answers(WRONG, IDS)


def test_order_problem_agrees_with_the_library_checker_on_every_small_history() -> None:
    """The exercise's own validator (written from the definition) and check_linearizable agree
    on whether some order exists, on every history of two or three operations from a grid."""
    from dslib.consistency import Register, check_linearizable, history_from_intervals

    shapes = [("write", 1, None), ("write", 2, None), ("read", None, None), ("read", None, 1)]
    shapes += [("read", None, 2)]
    intervals = [(0, 2), (1, 3), (3, 4)]
    checked = 0
    for n in (2, 3):
        for kinds in itertools.product(shapes, repeat=n):
            for spans in itertools.product(intervals, repeat=n):
                ops = [
                    (f"c{i}", f, v, r, s, e)
                    for i, ((f, v, r), (s, e)) in enumerate(zip(kinds, spans, strict=True))
                ]
                if len({o[2] for o in ops if o[1] == "write"}) < sum(o[1] == "write" for o in ops):
                    continue
                exists = any(
                    order_problem(ops, list(p)) is None for p in itertools.permutations(range(n))
                )
                lib = check_linearizable(history_from_intervals(ops), Register()).ok
                assert exists == lib, ops
                checked += 1
    assert checked > 1000
