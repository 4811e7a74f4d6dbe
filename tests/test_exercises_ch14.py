"""Tests of the exercises of chapter 14 (single-decree Paxos): every checker accepts its
reference solution, says "not attempted yet" for its stub, and rejects known-wrong answers at
the expected stage with the hint that names their mistake; the model-checking stage alone
catches the wrong rules that break safety or progress, with the first wrong call as its hint."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

import dslib.exercises as ex
import dslib.exercises.ch14 as ch14
from conftest import quiet_check
from dslib.consensus import MUTANTS, Acceptor, AcceptorState, Ballot, Promise, Proposer
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems, too_few_wrong_answers

IDS = ["ch14.promise", "ch14.accept", "ch14.choose_value", "ch14.quorums"]
RULES = IDS[:3]
MC = "model checking"


def solution(exercise_id: str) -> Callable[..., Any]:
    return ex.load_solution(exercise_id)


def test_the_exercises_are_registered_in_chapter_14() -> None:
    assert [e.id for e in ex.all_exercises(chapter=14)] == IDS
    for exercise_id in RULES:
        assert [s.name for s in ex.get_exercise(exercise_id).stages] == [
            "examples",
            "properties",
            MC,
        ]
    assert [s.name for s in ex.get_exercise("ch14.quorums").stages] == ["examples", "properties"]


@pytest.mark.parametrize("exercise_id", RULES)
def test_the_model_checker_reaches_its_bound_and_a_chosen_value(exercise_id: str) -> None:
    result = ex.stage_checks(exercise_id)[MC](solution(exercise_id))
    assert result.ok
    assert "12,000 states" in result.summary and "a value can be chosen" in result.summary


def test_the_references_are_the_librarys_rules() -> None:
    # the examples' expectations come from the node code, and agree with the solutions
    b0, b1 = Ballot(0, "p1"), Ballot(1, "p2")
    assert Acceptor([]).promise_rule(AcceptorState(b1), b0) is False
    assert ch14.PROMISE_RULE.reference(b1, None, b0) is None
    assert ch14.ACCEPT_RULE.reference(b0, b0) is True
    assert ch14.CHOOSE_RULE.reference("x", [(b0, "y"), (b1, "z")]) == "z"
    assert Proposer("x", ["a1"], 1).value_rule([(b0, "y"), (b1, "z")]) == "z"


# -- wrong answers --------------------------------------------------------------------------------
def promise_any(promised: Any, last_vote: Any, ballot: Ballot) -> Promise:
    return Promise(ballot, last_vote)


def forgets_last_vote(promised: Any, last_vote: Any, ballot: Ballot) -> Promise | None:
    return Promise(ballot, None) if promised is None or ballot > promised else None


def promises_equal(promised: Any, last_vote: Any, ballot: Ballot) -> Promise | None:
    return Promise(ballot, last_vote) if promised is None or ballot >= promised else None


def none_never_promises(promised: Any, last_vote: Any, ballot: Ballot) -> Promise | None:
    return Promise(ballot, last_vote) if promised is not None and ballot > promised else None


def returns_a_bool(promised: Any, last_vote: Any, ballot: Ballot) -> bool:
    return promised is None or ballot > promised


def accept_any(promised: Any, ballot: Ballot) -> bool:
    return True


def accept_strict(promised: Any, ballot: Ballot) -> bool:
    return promised is None or ballot > promised


def accept_none_crashes(promised: Any, ballot: Ballot) -> bool:
    return bool(ballot >= promised)


def ignores_votes(own: Any, last_votes: list[Any]) -> Any:
    return own


def first_vote(own: Any, last_votes: list[Any]) -> Any:
    votes = [v for v in last_votes if v is not None]
    return votes[0][1] if votes else own


def highest_value(own: Any, last_votes: list[Any]) -> Any:
    votes = [v for v in last_votes if v is not None]
    return max(v for _, v in votes) if votes else own


def most_common(own: Any, last_votes: list[Any]) -> Any:
    values = [v for _, v in filter(None, last_votes)]
    return max(values, key=values.count) if values else own


def consecutive_pairs(quorums: list[frozenset[str]]) -> Any:
    for a, b in itertools.pairwise(quorums):
        if not a & b:
            return (a, b)
    return None


def common_member(quorums: list[frozenset[str]]) -> Any:
    return None if frozenset.intersection(*quorums) else (quorums[0], quorums[1])


def by_size(quorums: list[frozenset[str]]) -> Any:
    members = frozenset().union(*quorums)
    return None if 2 * min(map(len, quorums)) > len(members) else (quorums[0], quorums[-1])


WRONG = [
    WrongAnswer("ch14.promise", promise_any, "examples", "is below the promise"),
    WrongAnswer("ch14.promise", forgets_last_vote, "examples", "without reporting the last vote"),
    WrongAnswer("ch14.promise", promises_equal, "examples", "already promised"),
    WrongAnswer("ch14.promise", none_never_promises, "examples", "promised is None"),
    WrongAnswer("ch14.promise", returns_a_bool, "examples", "Return Promise(ballot, last_vote)"),
    WrongAnswer("ch14.accept", accept_any, "examples", "breaks the promise"),
    WrongAnswer("ch14.accept", accept_strict, "examples", "the very ballot"),
    WrongAnswer("ch14.accept", accept_none_crashes, "examples", "promised may be None"),
    WrongAnswer("ch14.choose_value", ignores_votes, "examples", "proposed your own value"),
    WrongAnswer("ch14.choose_value", first_vote, "examples", "Not the first vote"),
    WrongAnswer("ch14.choose_value", highest_value, "examples", "by their ballots"),
    WrongAnswer("ch14.choose_value", most_common, "examples", "most frequent"),
    WrongAnswer("ch14.quorums", consecutive_pairs, "examples", "Compare every pair"),
    WrongAnswer("ch14.quorums", common_member, "examples", "of each pair"),
    WrongAnswer("ch14.quorums", by_size, "examples", "look at the sets"),
]


def test_every_exercise_has_at_least_two_wrong_answers() -> None:
    assert too_few_wrong_answers(WRONG, IDS) == []


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert problems == []


# -- the model-checking stage alone ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("exercise_id", "answer", "hint"),
    [
        ("ch14.promise", promise_any, "is below the promise"),
        ("ch14.promise", forgets_last_vote, "without reporting the last vote"),
        ("ch14.accept", accept_any, "breaks the promise"),
        ("ch14.choose_value", ignores_votes, "proposed your own value"),
    ],
)
def test_the_model_checker_finds_the_broken_agreement_and_the_wrong_call(
    exercise_id: str, answer: Callable[..., Any], hint: str
) -> None:
    result = ex.stage_checks(exercise_id)[MC](answer)
    assert not result.ok and result.failure is not None
    assert result.summary == "agreement fails after 14 steps"
    assert result.failure.length == 14
    assert result.failure.hint is not None
    assert result.failure.hint.startswith("The first call that differs from the rule")
    assert hint in result.failure.hint
    # the execution is shown step by step, with the values chosen at its end
    message = result.failure.message
    assert "fails (chosen: ['x', 'y']" in message
    assert message.count("\n") == 15  # the sentence, the table's header, 14 steps


@pytest.mark.parametrize(
    ("exercise_id", "answer"),
    [("ch14.promise", none_never_promises), ("ch14.accept", accept_strict)],
)
def test_a_rule_that_refuses_too_much_is_safe_but_chooses_nothing(
    exercise_id: str, answer: Callable[..., Any]
) -> None:
    result = ex.stage_checks(exercise_id)[MC](answer)
    assert not result.ok and result.summary == "no value is ever chosen"
    assert result.failure is not None and "makes no progress" in result.failure.message


@pytest.mark.parametrize("answer", [first_vote, highest_value, most_common, promises_equal])
def test_mistakes_that_need_more_ballots_are_left_to_the_examples(
    answer: Callable[..., Any],
) -> None:
    # With one ballot per proposer, at most one lower ballot can be reported, so choosing
    # among votes by the wrong key (or re-promising an equal ballot) cannot break agreement
    # within the bound; the examples and properties catch these.
    exercise_id = "ch14.promise" if answer is promises_equal else "ch14.choose_value"
    assert ex.stage_checks(exercise_id)[MC](answer).ok
    assert not ex.stage_checks(exercise_id)["examples"](answer).ok


def test_the_model_checker_agrees_with_the_librarys_mutants() -> None:
    # the library's own broken rules are caught as the readers' are (same bound, same length)
    assert set(MUTANTS) >= {"accept_below_promise", "ignore_accepted_value"}

    def mutant_accept(promised: Any, ballot: Ballot) -> bool:
        acceptor = Acceptor([], "accept_below_promise")
        return acceptor.vote_rule(AcceptorState(promised), ballot)

    assert ex.stage_checks("ch14.accept")[MC](mutant_accept).summary == (
        "agreement fails after 14 steps"
    )


def test_an_answer_that_raises_inside_the_cluster_is_reported() -> None:
    def crashes_on_a_vote(own: Any, last_votes: list[Any]) -> Any:
        if any(last_votes):
            raise KeyError("vote")
        return own

    result = ex.stage_checks("ch14.choose_value")[MC](crashes_on_a_vote)
    assert not result.ok and result.failure is not None
    assert "KeyError" in result.failure.message


def test_a_result_of_the_wrong_type_inside_the_cluster_is_reported() -> None:
    result = ex.stage_checks("ch14.promise")[MC](returns_a_bool)
    assert not result.ok and result.failure is not None
    assert "return a Promise(ballot, last_vote) to promise, or None" in result.failure.message


def test_the_report_is_the_same_every_time(capsys: pytest.CaptureFixture[str]) -> None:
    first = quiet_check("ch14.choose_value", most_common, capsys).text
    assert quiet_check("ch14.choose_value", most_common, capsys).text == first
