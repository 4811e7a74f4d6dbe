"""Chapter 5's exercises of section 5.6 (``ch05.may_retry``, ``ch05.outbox_check``): each
checker accepts its reference solution and rejects known-wrong answers at the expected stage
with the hint that names their mistake."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import dslib.exercises.ch05  # noqa: F401  (registers the exercises)
from conftest import quiet_check
from dslib.architectures.schema import Schema
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems, too_few_wrong_answers

IDS = ["ch05.may_retry", "ch05.outbox_check", "ch05.can_read"]


def _retry(kind: str) -> Callable[..., bool]:
    def may_retry(
        attempt: int, max_attempts: int, time_left: float, requests: int, retries: int, ratio: Any
    ) -> bool:
        attempts_left = (
            attempt < max_attempts if kind == "extra attempt" else attempt + 1 < max_attempts
        )
        in_time = True if kind == "no deadline" else time_left > 0
        if ratio is None or kind == "no budget":
            budget = True
        elif kind == "before counting":
            budget = retries < ratio * requests
        else:
            budget = retries + 1 <= ratio * requests
        return attempts_left and in_time and budget

    return may_retry


def _outbox(kind: str) -> Callable[..., Any]:
    def outbox_problems(committed: list[int], published: list[int]) -> list[tuple[str, int]]:
        done = set(committed)
        if kind == "sets":
            seen = set(published)
            out = [("lost", e) for e in done - seen] + [("invented", e) for e in seen - done]
            return sorted(out)
        copies = Counter(published)
        out = [("lost", e) for e in done if copies[e] == 0]
        if kind == "per copy":
            out += [("duplicated", e) for e in done for _ in range(copies[e] - 1)]
        elif kind == "invented duplicated":
            out += [("duplicated", e) for e in copies if copies[e] > 1]
        else:
            out += [("duplicated", e) for e in done if copies[e] > 1]
        if kind != "no invented":
            out += [("invented", e) for e in copies if e not in done]
        return out if kind == "unsorted" else sorted(out)

    return outbox_problems


def _can_read(kind: str) -> Callable[..., bool]:
    def can_read(reader: Schema, writer: Schema) -> bool:
        if kind == "swapped":
            reader, writer = writer, reader
        theirs = {f.name: f.type for f in writer.fields}
        if kind == "extras break" and set(theirs) - {f.name for f in reader.fields}:
            return False
        for f in reader.fields:
            if f.name not in theirs:
                if f.default is None or kind == "no defaults":
                    return False
                continue
            pair = (theirs[f.name], f.type)
            allowed = {(f.type, f.type), ("int", "float")}
            if kind == "both ways":
                allowed.add(("float", "int"))
            if kind == "no promotion":
                allowed.discard(("int", "float"))
            if kind != "no types" and pair not in allowed:
                return False
        return True

    return can_read


WRONG = [
    WrongAnswer("ch05.can_read", _can_read("swapped"), "examples", "Yours judges the other"),
    WrongAnswer(
        "ch05.can_read", _can_read("no defaults"), "examples", "takes the reader's default"
    ),
    WrongAnswer("ch05.can_read", _can_read("extras break"), "examples", "simply skipped"),
    WrongAnswer("ch05.can_read", _can_read("no types"), "examples", "must have the same type"),
    WrongAnswer("ch05.can_read", _can_read("both ways"), "examples", "lose its fraction"),
    WrongAnswer("ch05.can_read", _can_read("no promotion"), "examples", "may be read as a float"),
    WrongAnswer("ch05.may_retry", _retry("extra attempt"), "examples", "one attempt more"),
    WrongAnswer("ch05.may_retry", _retry("no deadline"), "examples", "time_left > 0"),
    WrongAnswer("ch05.may_retry", _retry("no budget"), "examples", "50 retries for 100"),
    WrongAnswer("ch05.may_retry", _retry("before counting"), "examples", "10 > 9.5"),
    WrongAnswer("ch05.outbox_check", _outbox("sets"), "examples", "comparing sets cannot"),
    WrongAnswer("ch05.outbox_check", _outbox("per copy"), "examples", "however many copies"),
    WrongAnswer("ch05.outbox_check", _outbox("no invented"), "examples", "never committed"),
    WrongAnswer(
        "ch05.outbox_check", _outbox("invented duplicated"), "examples", "one problem, ('invented'"
    ),
    WrongAnswer("ch05.outbox_check", _outbox("unsorted"), "examples", "not in order"),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_every_exercise_rejects_at_least_two_wrong_answers() -> None:
    assert not too_few_wrong_answers(WRONG, IDS)


def test_a_budget_that_crashes_without_a_ratio_is_told_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def may_retry(a: int, m: int, t: float, n: int, r: int, ratio: Any) -> bool:
        return a + 1 < m and t > 0 and r + 1 <= ratio * n

    result = quiet_check("ch05.may_retry", may_retry, capsys)
    assert result.stage == "examples" and result.hint is not None and "no budget" in result.hint
