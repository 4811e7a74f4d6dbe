"""Chapter 6's exercise of section 6.4 (``ch06.maglev``): the checker accepts the reference
solution and rejects known-wrong answers at the expected stage with the hint that names
their mistake."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import dslib.exercises.ch06  # noqa: F401  (registers the exercises)
from conftest import quiet_check
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems, too_few_wrong_answers

IDS = ["ch06.maglev"]


def _populate(kind: str) -> Callable[[list[list[int]]], list[int]]:
    def populate(preferences: list[list[int]]) -> list[int]:
        m = len(preferences[0])
        nexts = [0] * len(preferences)
        table = [-1] * m
        filled = 0
        while filled < m:
            for i, pref in enumerate(preferences):
                if kind == "one at a time":
                    while filled < m and nexts[i] < m:
                        if table[pref[nexts[i]]] < 0:
                            table[pref[nexts[i]]] = i
                            filled += 1
                        nexts[i] += 1
                    continue
                if kind != "overwrite":
                    while table[pref[nexts[i]]] >= 0:
                        nexts[i] += 1
                table[pref[nexts[i]]] = i
                nexts[i] += 1
                filled += 1
                if filled == m and kind != "late stop":
                    return table
        return table

    return populate


WRONG = [
    WrongAnswer("ch06.maglev", _populate("one at a time"), "examples", "Backends take turns"),
    WrongAnswer("ch06.maglev", _populate("overwrite"), "examples", "STILL EMPTY"),
    WrongAnswer("ch06.maglev", _populate("late stop"), "examples", "in the middle of a round"),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_every_exercise_rejects_at_least_two_wrong_answers() -> None:
    assert not too_few_wrong_answers(WRONG, IDS)
