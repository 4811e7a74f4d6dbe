"""Tests of chapter 4's exercise ch04.om1_decide (the others are in test_exercises_ch04_ch05.py):
the checker accepts the reference solution and rejects known-wrong answers at the expected stage
with the hint that names their mistake."""

from __future__ import annotations

import pytest

import dslib.exercises as ex
import dslib.exercises.ch04  # noqa: F401  (registers the exercises)
from conftest import quiet_check
from dslib.exercises.known_wrong import CHANGED_INPUT, WrongAnswer, rejection_problems


def obeys(from_commander: str, relayed: list[str]) -> str:
    return from_commander


def ties_attack(from_commander: str, relayed: list[str]) -> str:
    values = [from_commander, *relayed]
    return "attack" if values.count("attack") >= values.count("retreat") else "retreat"


def relayed_only(from_commander: str, relayed: list[str]) -> str:
    return "attack" if relayed.count("attack") > relayed.count("retreat") else "retreat"


def appends(from_commander: str, relayed: list[str]) -> str:
    relayed.append(from_commander)
    return "attack" if relayed.count("attack") > relayed.count("retreat") else "retreat"


WRONG = [
    WrongAnswer("ch04.om1_decide", obeys, "examples", "obey the commander's order"),
    WrongAnswer("ch04.om1_decide", ties_attack, "examples", "default"),
    WrongAnswer("ch04.om1_decide", relayed_only, "examples", "counts too"),
    WrongAnswer("ch04.om1_decide", appends, "examples", CHANGED_INPUT),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_the_generals_stage_catches_a_rule_that_obeys_the_commander() -> None:
    stage = ex.get_exercise("ch04.om1_decide").stages[-1]
    result = stage.run(obeys)
    assert not result.ok and result.failure is not None
    assert "IC1 broken" in result.failure.message
    assert stage.run(ex.load_solution("ch04.om1_decide")).ok
