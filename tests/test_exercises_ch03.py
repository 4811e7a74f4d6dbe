"""Tests of chapter 3's exercises: every checker accepts its reference solution and rejects
known-wrong answers at the expected stage with the hint that names their mistake."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest

import dslib.exercises as ex
from conftest import quiet_check
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems, too_few_wrong_answers
from dslib.small_systems.twophase import consistent

IDS = ["ch03.shortest_trace", "ch03.tm_agreement", "ch03.find_cti"]


def test_the_exercises_are_registered_in_their_chapter() -> None:
    assert [e.id for e in ex.all_exercises(chapter=3)] == IDS


# -- ch03.shortest_trace ---------------------------------------------------------------------------
def st_depth_first(graph: Any, initial: Any, bad: Any) -> list | None:
    seen = set()

    def go(state: Any) -> list | None:
        if bad(state):
            return []
        seen.add(state)
        for action, nxt in graph.successors(state):
            if nxt not in seen:
                rest = go(nxt)
                if rest is not None:
                    return [action, *rest]
        return None

    return go(initial)


def st_no_seen_set(graph: Any, initial: Any, bad: Any) -> list | None:
    queue = deque([(initial, [])])
    while queue:
        state, path = queue.popleft()
        if bad(state):
            return path
        for action, nxt in graph.successors(state):
            queue.append((nxt, [*path, action]))
    return None


def st_ignores_initial(graph: Any, initial: Any, bad: Any) -> list | None:
    seen, queue = {initial}, deque([(initial, [])])
    while queue:
        state, path = queue.popleft()
        for action, nxt in graph.successors(state):
            if bad(nxt):
                return [*path, action]
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, [*path, action]))
    return None


def st_returns_states(graph: Any, initial: Any, bad: Any) -> list | None:
    seen, queue = {initial}, deque([(initial, [])])
    while queue:
        state, path = queue.popleft()
        if bad(state):
            return path
        for _, nxt in graph.successors(state):
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, [*path, nxt]))
    return None


# -- ch03.tm_agreement -----------------------------------------------------------------------------
def ag_consistency(state: Any) -> bool:
    return consistent(state)


def ag_all_committed(state: Any) -> bool:
    if state.tm_state == "committed":
        return all(rm == "committed" for rm in state.rm_state)
    return "committed" not in state.rm_state


def ag_commit_only(state: Any) -> bool:
    if state.tm_state == "committed":
        return all(rm in ("prepared", "committed") for rm in state.rm_state)
    return True


def ag_undecided_anything(state: Any) -> bool:
    if state.tm_state == "committed":
        return all(rm in ("prepared", "committed") for rm in state.rm_state)
    if state.tm_state == "aborted":
        return "committed" not in state.rm_state
    return True


# -- ch03.find_cti ---------------------------------------------------------------------------------
def cti_reachable_only(system: Any, invariant: Any) -> tuple | None:
    seen, todo = set(system.initial), list(system.initial)
    while todo:
        s = todo.pop()
        for t in system.step(s):
            if invariant(s) and not invariant(t):
                return (s, t)
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return None


def cti_starts_outside(system: Any, invariant: Any) -> tuple | None:
    for s in system.states:
        for t in system.step(s):
            if not invariant(s) and not invariant(t):
                return (s, t)
    return None


def cti_as_list(system: Any, invariant: Any) -> Any:
    found = ex.load_solution("ch03.find_cti")(system, invariant)
    return None if found is None else list(found)


WRONG = [
    WrongAnswer("ch03.shortest_trace", st_depth_first, "examples", "depth first"),
    WrongAnswer("ch03.shortest_trace", st_no_seen_set, "examples", "ran for ever"),
    WrongAnswer("ch03.shortest_trace", st_ignores_initial, "examples", "may itself be bad"),
    WrongAnswer("ch03.shortest_trace", st_returns_states, "examples", "does not reach a bad"),
    WrongAnswer("ch03.tm_agreement", ag_consistency, "examples", "consistency itself"),
    WrongAnswer("ch03.tm_agreement", ag_all_committed, "examples", "must satisfy it"),
    WrongAnswer("ch03.tm_agreement", ag_commit_only, "examples", "The TM has aborted here"),
    WrongAnswer("ch03.tm_agreement", ag_undecided_anything, "examples", "not decided yet"),
    WrongAnswer("ch03.find_cti", cti_reachable_only, "examples", "reachable states only"),
    WrongAnswer("ch03.find_cti", cti_starts_outside, "examples", "SATISFIES the invariant"),
    WrongAnswer("ch03.find_cti", cti_as_list, "examples", "not a pair"),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_every_exercise_rejects_at_least_two_wrong_answers() -> None:
    assert not too_few_wrong_answers(WRONG, IDS)


def agreement_only_on_the_examples(state: Any) -> bool:
    """The solution on the examples' states, consistency elsewhere: the model checker sees
    through it (the mutants' first disagreements are not among the examples)."""
    from dslib.exercises.ch03 import _agreement_examples

    if any(e.args[0] == state for e in _agreement_examples()):
        return ex.load_solution("ch03.tm_agreement")(state)
    return consistent(state)


def agreement_false_on_a_reachable_state(state: Any) -> bool:
    """Passes the examples, but forbids a reachable state: an RM aborted while the TM is
    undecided and another RM prepared."""
    if state.tm_state == "init" and "aborted" in state.rm_state and "prepared" in state.rm_state:
        return False
    return ex.load_solution("ch03.tm_agreement")(state)


@pytest.mark.parametrize(
    ("answer", "summary", "hint"),
    [
        (agreement_false_on_a_reachable_state, "false in a reachable state", "too strong"),
        (agreement_only_on_the_examples, "no earlier than consistency", "consistency itself"),
    ],
)
def test_the_model_checking_stage_catches_what_the_examples_miss(
    answer: Any, summary: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = quiet_check("ch03.tm_agreement", answer, capsys)
    assert result.stage == "model checking" and not result.passed
    assert summary in result.text and hint in (result.hint or "")
