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

import dslib.exercises as ex
import dslib.exercises.ch04
import dslib.exercises.ch05  # noqa: F401  (registers the exercises)
from conftest import quiet_check
from dslib.architectures.microservices import BreakerState
from dslib.exercises.known_wrong import (
    WrongAnswer,
    rejection_problems,
    too_few_wrong_answers,
)

ROOT = Path(__file__).resolve().parent.parent
IDS = [
    "ch04.phi",
    "ch04.swim_override",
    "ch04.first_probe",
    "ch05.backoff",
    "ch05.gossip_round",
    "ch05.circuit_breaker",
]


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


def ov_same_incarnation(view: tuple[str, int], update: tuple[str, int]) -> bool:
    (status, inc), (new, new_inc) = view, update
    if status == "dead":
        return False
    if new == "dead":
        return True
    if new == "suspect":
        return (status == "alive" and new_inc >= inc) or (status == "suspect" and new_inc > inc)
    return new_inc >= inc


def ov_dead_not_final(view: tuple[str, int], update: tuple[str, int]) -> bool:
    (status, inc), (new, new_inc) = view, update
    if new == "dead":
        return status != "dead"
    if new == "suspect":
        return (status == "alive" and new_inc >= inc) or (status == "suspect" and new_inc > inc)
    return new_inc > inc


def ov_strict_suspect(view: tuple[str, int], update: tuple[str, int]) -> bool:
    (status, inc), (new, new_inc) = view, update
    if status == "dead":
        return False
    if new == "dead":
        return True
    return new_inc > inc


def ov_alive_always(view: tuple[str, int], update: tuple[str, int]) -> bool:
    (status, inc), (new, new_inc) = view, update
    if status == "dead":
        return False
    if new in ("dead", "alive"):
        return True
    return (status == "alive" and new_inc >= inc) or (status == "suspect" and new_inc > inc)


def fp_all_n(n: int, alive: int) -> float:
    if not (n >= 2 and 1 <= alive <= n - 1):
        raise ValueError("n, alive")
    return 1 / (1 - (1 - 1 / n) ** alive)


def fp_union_bound(n: int, alive: int) -> float:
    if not (n >= 2 and 1 <= alive <= n - 1):
        raise ValueError("n, alive")
    return 1 / min(1.0, alive / (n - 1))


def fp_probability(n: int, alive: int) -> float:
    if not (n >= 2 and 1 <= alive <= n - 1):
        raise ValueError("n, alive")
    return 1 - (1 - 1 / (n - 1)) ** alive


def fp_limit(n: int, alive: int) -> float:
    if not (n >= 2 and 1 <= alive <= n - 1):
        raise ValueError("n, alive")
    return math.e / (math.e - 1)


def fp_no_raise(n: int, alive: int) -> float:
    if n < 2 or alive < 1:
        return math.inf
    return 1 / (1 - (1 - 1 / (n - 1)) ** min(alive, n - 1))


WRONG = [
    WrongAnswer("ch04.swim_override", ov_same_incarnation, "examples", "HIGHER incarnation"),
    WrongAnswer("ch04.swim_override", ov_dead_not_final, "examples", "Dead is final"),
    WrongAnswer("ch04.swim_override", ov_alive_always, "examples", "old news"),
    WrongAnswer("ch04.swim_override", ov_strict_suspect, "examples", "has not refuted it yet"),
    WrongAnswer("ch04.first_probe", fp_all_n, "examples", "never probes itself"),
    WrongAnswer("ch04.first_probe", fp_union_bound, "examples", "do not add up"),
    WrongAnswer("ch04.first_probe", fp_probability, "examples", "geometric"),
    WrongAnswer("ch04.first_probe", fp_limit, "examples", "the limit as the group grows"),
    WrongAnswer("ch04.first_probe", fp_no_raise, "examples", "raise ValueError"),
    WrongAnswer("ch04.phi", _phi(log=math.log), "examples", "base-10 logarithm"),
    WrongAnswer("ch04.phi", _phi(floor=False), "examples", "ZeroDivisionError"),
    WrongAnswer("ch04.phi", _phi(naive=True), "examples", "Close, but not precise"),
    WrongAnswer("ch04.phi", _phi(sample=True), "examples", "population standard deviation"),
    WrongAnswer(
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
    WrongAnswer("ch05.backoff", _backoff("no jitter"), "examples", "multiply the ceiling by u"),
    WrongAnswer("ch05.backoff", _backoff("off by one"), "examples", "Off by one"),
    WrongAnswer("ch05.backoff", _backoff("cap after jitter"), "examples", "Cap the ceiling first"),
    WrongAnswer("ch05.backoff", _backoff("overflow"), "large attempts", "too large for a float"),
    WrongAnswer("ch05.gossip_round", _gossip("sequential"), "examples", "informs too many"),
    WrongAnswer("ch05.gossip_round", _gossip("push only"), "examples", "same set for push, pull"),
    WrongAnswer("ch05.circuit_breaker", _breaker("no reset"), "examples", "CONSECUTIVE"),
    WrongAnswer("ch05.circuit_breaker", _breaker("trial failure closes"), "examples", "Open again"),
    WrongAnswer("ch05.circuit_breaker", _breaker("strict cooldown"), "examples", "the trial"),
    WrongAnswer("ch05.circuit_breaker", _breaker("stale opened_at"), "examples", "opened_at = now"),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_every_exercise_rejects_at_least_two_wrong_answers() -> None:
    assert not too_few_wrong_answers(WRONG, IDS)


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
