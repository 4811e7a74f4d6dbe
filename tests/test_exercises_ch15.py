"""Tests of the exercises of chapter 15 (Raft): every checker accepts its reference solution,
says "not attempted yet" for its stub, and rejects known-wrong answers at the expected stage
with the expected hint; the model-checking stage catches what the examples cannot see."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dslib.exercises as ex
import dslib.exercises.ch15 as ch15
from conftest import quiet_check
from dslib.check import replay
from dslib.exercises.known_wrong import (
    WrongAnswer,
    rejection_problems,
)
from dslib.raft import Entry, NoOp, RaftState, RequestVote, state_machine_safety

ROOT = Path(__file__).resolve().parent.parent
IDS = ["ch15.request_vote", "ch15.append_entries", "ch15.commit_index"]
MC = "model checking"

Log = tuple[Entry, ...]


def solution(exercise_id: str) -> Callable[..., Any]:
    return ex.load_solution(exercise_id)


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_model_checker_explores_the_whole_bound_for_the_solution(exercise_id: str) -> None:
    # (That the solution passes every stage is tested for all exercises in test_exercises.py.)
    exercise = ex.get_exercise(exercise_id)
    stage = exercise.stages[-1]
    result = stage.run(exercise.answer.prepare(solution(exercise_id)))
    assert result.ok and "5,000 states" in result.summary and "progress made" in result.summary


def test_the_exercises_are_registered_in_chapter_15() -> None:
    assert [e.id for e in ex.all_exercises(chapter=15)] == IDS
    for exercise_id in IDS:
        stages = [s.name for s in ex.get_exercise(exercise_id).stages]
        assert stages == ["examples", "properties", MC]


# -- the property stage judges a call as the table of examples does -----------------------------
def _always_wrong(exercise_id: str) -> Callable[..., Any]:
    """A result of the right type that differs from the rule's on every call."""
    rule = solution(exercise_id)
    if exercise_id == "ch15.request_vote":
        return lambda *args: not rule(*args)
    if exercise_id == "ch15.append_entries":
        return lambda *args: None if rule(*args) is not None else args[0]
    return lambda *args: rule(*args) + 1


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_property_stage_shows_the_call_and_explains_it(exercise_id: str) -> None:
    answer = ex.get_exercise(exercise_id).answer
    result = ex.stage_checks(exercise_id)["properties"](_always_wrong(exercise_id))
    assert not result.ok and result.failure is not None
    # the message names each argument, the failing case is Python to paste, the hint is given
    assert result.failure.message.startswith(f"{answer.name}({answer.params[0]}=")
    assert "; expected " in result.failure.message
    case = result.failure.counterexample or ""
    assert case.startswith(f"{answer.name}(") and f"{answer.params[0]}=" not in case
    assert result.failure.hint


def test_the_property_stage_reports_a_result_of_the_wrong_type() -> None:
    check = ex.stage_checks("ch15.request_vote")["properties"]
    result = check(lambda *args: int(solution("ch15.request_vote")(*args)) + 2)
    assert result.failure is not None
    assert result.failure.message.endswith(": return True or False (a bool)")
    assert "Return a bool" in (result.failure.hint or "")


# -- wrong answers: ch15.request_vote -----------------------------------------------------------
def _last(log: Log) -> tuple[int, int]:
    return (log[-1].term if log else 0, len(log))


def no_log_check(current_term: int, voted_for: Any, log: Log, msg: RequestVote) -> bool:
    return msg.term == current_term and voted_for in (None, msg.candidate_id)


def ignores_voted_for(current_term: int, voted_for: Any, log: Log, msg: RequestVote) -> bool:
    return msg.term == current_term and (msg.last_log_term, msg.last_log_index) >= _last(log)


def longer_log_wins(current_term: int, voted_for: Any, log: Log, msg: RequestVote) -> bool:
    ok = msg.term == current_term and voted_for in (None, msg.candidate_id)
    return ok and msg.last_log_index >= len(log)


def refuses_a_retry(current_term: int, voted_for: Any, log: Log, msg: RequestVote) -> bool:
    return voted_for is None and bool(solution("ch15.request_vote")(current_term, None, log, msg))


def empty_log_crashes(current_term: int, voted_for: Any, log: Log, msg: RequestVote) -> bool:
    ok = msg.term == current_term and voted_for in (None, msg.candidate_id)
    return ok and (msg.last_log_term, msg.last_log_index) >= (log[-1].term, len(log))


def skips_no_ops(current_term: int, voted_for: Any, log: Log, msg: RequestVote) -> bool:
    """Right on every example and random case (their logs hold client commands only); in the
    cluster, a log holding only a leader's no-op counts as empty, so a server with a committed
    no-op votes for a candidate with an empty log."""
    commands = tuple(e for e in log if not isinstance(e.command, NoOp))
    return bool(solution("ch15.request_vote")(current_term, voted_for, commands, msg))


# -- wrong answers: ch15.append_entries ---------------------------------------------------------
def _matches(log: Log, prev_index: int, prev_term: int) -> bool:
    return prev_index <= len(log) and (prev_index == 0 or log[prev_index - 1].term == prev_term)


def no_consistency_check(log: Log, prev_index: int, prev_term: int, entries: Log) -> Log:
    return log[:prev_index] + entries


def term_not_checked(log: Log, prev_index: int, prev_term: int, entries: Log) -> Log | None:
    if prev_index > len(log):
        return None
    own_term = log[prev_index - 1].term if prev_index else 0  # the follower's, not the leader's
    return solution("ch15.append_entries")(log, prev_index, own_term, entries)


def truncates_after_prev(log: Log, prev_index: int, prev_term: int, entries: Log) -> Log | None:
    return log[:prev_index] + entries if _matches(log, prev_index, prev_term) else None


def keeps_conflicts(log: Log, prev_index: int, prev_term: int, entries: Log) -> Log | None:
    if not _matches(log, prev_index, prev_term):
        return None
    new = list(log)
    for i, entry in enumerate(entries):
        if prev_index + i < len(new):
            new[prev_index + i] = entry  # overwrite in place, keep what follows
        else:
            new.append(entry)
    return tuple(new)


def appends_at_the_end(log: Log, prev_index: int, prev_term: int, entries: Log) -> Log | None:
    return log + entries if _matches(log, prev_index, prev_term) else None


def returns_a_list(log: Log, prev_index: int, prev_term: int, entries: Log) -> Any:
    new = solution("ch15.append_entries")(log, prev_index, prev_term, entries)
    return None if new is None else list(new)


def compares_commands(log: Log, prev_index: int, prev_term: int, entries: Log) -> Log | None:
    """Right on every example and random case (there, two entries with the same command have
    the same term); in the cluster every leader's no-op has the same command, so a follower
    keeps term 1's no-op where term 2's belongs, and acknowledges it."""
    if not _matches(log, prev_index, prev_term):
        return None
    new = log
    for i, entry in enumerate(entries):
        index = prev_index + 1 + i
        if index <= len(new):
            if new[index - 1].command == entry.command:
                continue
            new = new[: index - 1]
        new = (*new, entry)
    return new


# -- wrong answers: ch15.commit_index -----------------------------------------------------------
def _count(matches: Any, n: int) -> int:
    return sum(1 for m in matches if m >= n)


def counts_old_terms(log: Log, term: int, commit: int, matches: Any) -> int:
    for n in range(len(log), commit, -1):
        if _count(matches, n) >= len(matches) // 2 + 1:
            return n
    return commit


def half_is_a_majority(log: Log, term: int, commit: int, matches: Any) -> int:
    for n in range(len(log), commit, -1):
        if log[n - 1].term == term and _count(matches, n) >= len(matches) // 2:
            return n
    return commit


def median_match(log: Log, term: int, commit: int, matches: Any) -> int:
    n = sorted(matches)[len(matches) // 2]  # right for odd clusters only
    return n if n > commit and log[n - 1].term == term else commit


def stops_at_an_old_entry(log: Log, term: int, commit: int, matches: Any) -> int:
    best = commit
    for n in range(commit + 1, len(log) + 1):
        if log[n - 1].term != term:
            break
        if _count(matches, n) >= len(matches) // 2 + 1:
            best = n
    return best


def no_op_needs_no_majority(log: Log, term: int, commit: int, matches: Any) -> int:
    """Right on every example and random case (they hold no no-op); in the cluster a new
    leader commits its no-op alone, and a leader of the next term, elected without it,
    commits a different entry at the same index."""
    for n in range(len(log), commit, -1):
        if log[n - 1].term == term and isinstance(log[n - 1].command, NoOp):
            return n
    return int(solution("ch15.commit_index")(log, term, commit, matches))


WRONG = [
    WrongAnswer("ch15.request_vote", no_log_check, "examples", "candidate's log is empty"),
    WrongAnswer("ch15.request_vote", ignores_voted_for, "examples", "One vote per term"),
    WrongAnswer("ch15.request_vote", longer_log_wins, "examples", "Compare the last terms first"),
    WrongAnswer("ch15.request_vote", refuses_a_retry, "examples", "Grant it again"),
    WrongAnswer("ch15.request_vote", empty_log_crashes, "examples", "log[-1].term if log else 0"),
    WrongAnswer("ch15.request_vote", skips_no_ops, MC, "no-op"),
    WrongAnswer(
        "ch15.append_entries", no_consistency_check, "examples", "no entry at prev_log_index=2"
    ),
    WrongAnswer("ch15.append_entries", term_not_checked, "examples", "not prev_log_term=2"),
    WrongAnswer("ch15.append_entries", truncates_after_prev, "examples", "Do not cut the entries"),
    WrongAnswer(
        "ch15.append_entries", keeps_conflicts, "examples", "delete it and all that follow"
    ),
    WrongAnswer("ch15.append_entries", appends_at_the_end, "examples", "not at the end of the log"),
    WrongAnswer("ch15.append_entries", returns_a_list, "examples", "tuple of Entry"),
    WrongAnswer("ch15.append_entries", compares_commands, MC, "compare terms, never commands"),
    WrongAnswer("ch15.commit_index", counts_old_terms, "examples", "Figure 8"),
    WrongAnswer(
        "ch15.commit_index", half_is_a_majority, "examples", "a majority of 3 servers is 2"
    ),
    WrongAnswer("ch15.commit_index", median_match, "examples", "a majority of 4 servers is 3"),
    WrongAnswer("ch15.commit_index", stops_at_an_old_entry, "examples", "Look at every N"),
    WrongAnswer("ch15.commit_index", no_op_needs_no_majority, MC, "a majority of 3 servers is 2"),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


# -- what the model-checking stage shows --------------------------------------------------------
MC_ONLY = [
    ("ch15.request_vote", skips_no_ops, "leader_completeness", 8, 7, "s1", "returned True"),
    ("ch15.append_entries", compares_commands, "acknowledged_entries_kept", 7, 7, "s1", "[1:noop]"),
    (
        "ch15.commit_index",
        no_op_needs_no_majority,
        "state_machine_safety",
        6,
        3,
        "s1",
        "returned 1",
    ),
]


@pytest.mark.parametrize(
    ("exercise_id", "answer", "prop", "steps", "step", "node", "got"),
    MC_ONLY,
    ids=[m[1].__name__ for m in MC_ONLY],
)
def test_the_model_checker_shows_the_shortest_execution_and_the_wrong_call(
    exercise_id: str,
    answer: Callable[..., Any],
    prop: str,
    steps: int,
    step: int,
    node: str,
    got: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = quiet_check(exercise_id, answer, capsys)
    examples, properties, model_checking = result.stages
    assert examples.ok and properties.ok and not model_checking.ok
    failure = result.failure
    assert failure is not None and failure.length == steps
    assert model_checking.summary == f"{prop} fails after {steps} steps"
    assert f"execution of {steps} steps after which {prop} is violated" in failure.message
    assert f"disagrees with Figure 2 is at step {step}, on {node}:" in failure.message
    assert got in failure.message
    # The execution is printed as the model checker's table, one row per step.
    table = failure.counterexample or ""
    assert table.splitlines()[0].split() == ["step", "action", "node", "changed"]
    assert table.splitlines()[steps + 1].lstrip().startswith(f"{steps}  ")
    assert "noop" in table and "after the last step:" in table
    assert ex.stage_checks(exercise_id)[MC](answer).counterexample_length == steps


CLASSIC_BUGS = [
    ("ch15.request_vote", no_log_check, "leader_completeness", 8),
    ("ch15.request_vote", ignores_voted_for, "election_safety", 6),
    ("ch15.append_entries", no_consistency_check, "acknowledged_entries_kept", 6),
    ("ch15.append_entries", truncates_after_prev, "acknowledged_entries_kept", 6),
    ("ch15.append_entries", appends_at_the_end, "log_matching", 6),
    ("ch15.commit_index", half_is_a_majority, "state_machine_safety", 6),
]


@pytest.mark.parametrize(
    ("exercise_id", "answer", "prop", "steps"),
    CLASSIC_BUGS,
    ids=[c[1].__name__ for c in CLASSIC_BUGS],
)
def test_the_model_checking_stage_alone_catches_the_classic_bugs(
    exercise_id: str, answer: Callable[..., Any], prop: str, steps: int
) -> None:
    # The examples catch these first; run the stage by itself to show that it catches them too.
    result = ch15.model_checking_stage(exercise_id).run(answer)
    assert not result.ok and result.failure is not None
    assert result.summary == f"{prop} fails after {steps} steps"
    assert result.failure.hint  # chosen from the call that broke the rule


@pytest.mark.parametrize(
    ("exercise_id", "answer"),
    [("ch15.append_entries", keeps_conflicts), ("ch15.commit_index", counts_old_terms)],
    ids=["keeps_conflicts", "counts_old_terms"],
)
def test_bugs_beyond_the_bound_are_left_to_the_examples(
    exercise_id: str, answer: Callable[..., Any]
) -> None:
    # A conflict to truncate, or Figure 8, needs more terms than the bound reaches (as the
    # statements say): the model-checking stage passes them, the examples do not.
    assert ch15.model_checking_stage(exercise_id).run(answer).ok
    examples = ex.get_exercise(exercise_id).stages[0]
    assert not examples.run(answer).ok


def test_a_rule_that_does_nothing_is_safe_but_makes_no_progress() -> None:
    result = ch15.model_checking_stage("ch15.request_vote").run(lambda term, voted, log, msg: False)
    assert not result.ok and result.failure is not None
    assert result.failure.message.startswith("in 5,000 distinct states no server ever became")
    assert result.failure.hint is not None and "A candidate needs a majority" in result.failure.hint


def test_an_answer_that_raises_inside_the_cluster_is_reported_with_the_call() -> None:
    def raises_on_no_ops(log: Log, prev_index: int, prev_term: int, entries: Log) -> Any:
        if any(isinstance(e.command, NoOp) for e in entries):
            raise KeyError("no-op")
        return solution("ch15.append_entries")(log, prev_index, prev_term, entries)

    result = ch15.model_checking_stage("ch15.append_entries").run(raises_on_no_ops)
    assert not result.ok and result.failure is not None
    assert result.summary == "your function failed inside the cluster"
    assert "entries=[1:noop]) and raised KeyError: 'no-op'" in result.failure.message
    assert (result.failure.counterexample or "").startswith("the execution that led there:")


def test_a_violation_replays_in_the_simulator() -> None:
    stage = ch15.model_checking_stage("ch15.commit_index")
    result = stage.explore(half_is_a_majority)
    assert result.property == "state_machine_safety" and result.counterexample is not None
    sim = replay(stage.system(half_is_a_majority), result.counterexample)
    assert not state_machine_safety(sim.states)
    assert len(sim.trace.of_kind("deliver")) == 4


def test_acknowledged_entries_kept() -> None:
    a, x = Entry(1, "a"), Entry(1, "x")
    leader = RaftState(current_term=2, log=(a, x), role="leader", match_index=(("s2", 2),))
    assert ch15.acknowledged_entries_kept(
        {"s1": leader, "s2": RaftState(current_term=2, log=(a, x))}
    )
    short = RaftState(current_term=2, log=(a,))
    assert not ch15.acknowledged_entries_kept({"s1": leader, "s2": short})
    # A follower in a later term is no longer bound by what it acknowledged.
    later = RaftState(current_term=3, log=(a,))
    assert ch15.acknowledged_entries_kept({"s1": leader, "s2": later, "c1": "a client"})


def test_the_report_is_the_same_every_time(capsys: pytest.CaptureFixture[str]) -> None:
    first = quiet_check("ch15.commit_index", no_op_needs_no_majority, capsys).text
    second = quiet_check("ch15.commit_index", no_op_needs_no_majority, capsys).text
    assert first == second
