"""The exercises of chapters 4 and 5: every checker accepts its reference solution and
rejects known-wrong answers at the expected stage with the expected hint."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import quiet_check

import dslib.exercises as ex
import dslib.exercises.ch04
import dslib.exercises.ch05  # noqa: F401  (registers the exercises)
from dslib.architectures.microservices import BreakerState

ROOT = Path(__file__).resolve().parent.parent
IDS = ["ch04.phi", "ch05.backoff", "ch05.gossip_round", "ch05.circuit_breaker"]


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_solution_passes(exercise_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    exercise = ex.get_exercise(exercise_id)
    assert (ROOT / exercise.solution.split(":")[0]).is_file()
    result = quiet_check(exercise_id, ex.load_solution(exercise_id), capsys)
    assert result.passed, result.text
    assert [s.stage for s in result.stages] == [s.name for s in exercise.stages]


@pytest.mark.parametrize("exercise_id", IDS)
def test_stub_is_not_attempted(exercise_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    exercise = ex.get_exercise(exercise_id)
    namespace: dict[str, Any] = {}
    exec(exercise.stub, namespace)
    result = quiet_check(exercise_id, namespace[exercise.answer.name], capsys)  # type: ignore[union-attr]
    assert not result.attempted and "not attempted yet" in result.text
    ex.statement(exercise_id)
    assert "raise NotImplementedError" in capsys.readouterr().out


# -- known-wrong answers ----------------------------------------------------------------------
def _phi(
    log: Callable[[float], float] = math.log10,
    floor: bool = True,
    naive: bool = False,
    sample: bool = False,
) -> Callable[..., float]:
    def phi(elapsed: float, intervals: list[float], min_std: float) -> float:
        if not intervals:
            raise ValueError("empty")
        mean = statistics.fmean(intervals)
        spread = statistics.stdev(intervals) if sample else statistics.pstdev(intervals)
        std = max(spread, min_std) if floor else spread
        z = (elapsed - mean) / (std * math.sqrt(2))
        p = 1 - 0.5 * (1 + math.erf(z)) if naive else 0.5 * math.erfc(z)
        return math.inf if p == 0 else -log(p)

    return phi


def _backoff(kind: str) -> Callable[..., float]:
    def backoff(attempt: int, base: float, cap: float, u: float) -> float:
        if kind == "no jitter":
            return min(cap, base * 2**attempt)
        if kind == "off by one":
            return u * min(cap, base * 2 ** (attempt + 1))
        if kind == "cap after jitter":
            return min(cap, u * base * 2**attempt)
        return u * min(cap, base * 2**attempt)  # "overflow": right, except for huge attempts

    return backoff


def _gossip(kind: str) -> Callable[..., set[str]]:
    def gossip_round(informed: set[str], choices: dict[str, str], mode: str) -> set[str]:
        after = set(informed)
        for node, peer in choices.items():
            known = after if kind == "sequential" else informed
            pushes = kind == "push only" or mode in ("push", "push-pull")
            pulls = kind != "push only" and mode in ("pull", "push-pull")
            if pushes and node in known:
                after.add(peer)
            if pulls and node not in known and peer in known:
                after.add(node)
        return after

    return gossip_round


def _breaker(kind: str) -> Callable[..., BreakerState]:
    solution = ex.load_solution("ch05.circuit_breaker")

    def transition(b: BreakerState, event: str, now: float, threshold: int, cooldown: float) -> Any:
        if kind == "no reset" and b.mode == "closed" and event == "success":
            return b
        if kind == "trial failure closes" and b.mode == "half-open" and event == "failure":
            return BreakerState("closed", 0, b.opened_at)
        strict = kind == "strict cooldown" and b.mode == "open" and event == "call"
        if strict and now - b.opened_at <= cooldown:
            return b
        if kind == "stale opened_at" and b.mode == "half-open" and event == "failure":
            return replace(b, mode="open")
        return solution(b, event, now, threshold, cooldown)

    return transition


WRONG = [
    ("ch04.phi", _phi(log=math.log), "examples", "base-10 logarithm"),
    ("ch04.phi", _phi(floor=False), "examples", "ZeroDivisionError"),
    ("ch04.phi", _phi(naive=True), "examples", "Close, but not precise"),
    ("ch04.phi", _phi(sample=True), "examples", "population standard deviation"),
    (
        "ch04.phi",
        lambda e, xs, m: (
            -math.log10(
                1
                - 0.5
                * math.erfc(
                    (e - statistics.fmean(xs)) / (max(statistics.pstdev(xs), m) * math.sqrt(2))
                )
            )
            if xs
            else 1 / 0
        ),
        "examples",
        "LATER",
    ),
    ("ch05.backoff", _backoff("no jitter"), "examples", "multiply the ceiling by u"),
    ("ch05.backoff", _backoff("off by one"), "examples", "Off by one"),
    ("ch05.backoff", _backoff("cap after jitter"), "examples", "Cap the ceiling first"),
    ("ch05.backoff", _backoff("overflow"), "large attempts", "too large for a float"),
    ("ch05.gossip_round", _gossip("sequential"), "examples", "informs too many"),
    ("ch05.gossip_round", _gossip("push only"), "examples", "That is push"),
    ("ch05.circuit_breaker", _breaker("no reset"), "examples", "CONSECUTIVE"),
    ("ch05.circuit_breaker", _breaker("trial failure closes"), "examples", "Open again"),
    ("ch05.circuit_breaker", _breaker("strict cooldown"), "examples", "the trial"),
    ("ch05.circuit_breaker", _breaker("stale opened_at"), "examples", "opened_at = now"),
]


@pytest.mark.parametrize(("exercise_id", "answer", "stage", "hint"), WRONG)
def test_wrong_answer_is_rejected_with_the_right_stage_and_hint(
    exercise_id: str, answer: Any, stage: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = quiet_check(exercise_id, answer, capsys)
    assert result.attempted and not result.passed
    assert result.stage == stage, result.text
    assert result.hint is not None and hint in result.hint, result.text


def test_every_exercise_rejects_at_least_two_wrong_answers() -> None:
    for exercise_id in IDS:
        assert sum(1 for w in WRONG if w[0] == exercise_id) >= 2


def test_mutating_the_input_set_is_caught(capsys: pytest.CaptureFixture[str]) -> None:
    def gossip_round(informed: set[str], choices: dict[str, str], mode: str) -> set[str]:
        informed |= {p for n, p in choices.items() if n in set(informed)}
        return informed

    result = quiet_check("ch05.gossip_round", gossip_round, capsys)
    assert result.stage == "examples" and "changed its input" in result.message


def test_a_subtle_breaker_bug_is_found_by_the_property(capsys: pytest.CaptureFixture[str]) -> None:
    solution = ex.load_solution("ch05.circuit_breaker")

    def transition(b: BreakerState, event: str, now: float, threshold: int, cooldown: float) -> Any:
        if b.mode == "open" and event in ("success", "failure"):
            return replace(b, opened_at=now)  # a late result restarts the cool-down
        return solution(b, event, now, threshold, cooldown)

    result = quiet_check("ch05.circuit_breaker", transition, capsys)
    assert result.stage == "examples"
    assert result.hint is not None and "belongs to a call made before" in result.hint
