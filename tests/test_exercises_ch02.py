"""Tests of chapter 2's exercises ch02.causal_delivery, ch02.consistent_cut, ch02.commit_wait and
ch02.put_with_context (the others are in test_exercises_ch02_ch12.py): each checker accepts the
reference solution and rejects known-wrong answers at the expected stage with the hint that names
their mistake."""

from __future__ import annotations

from typing import Any

import pytest

import dslib.exercises as ex
import dslib.exercises.ch02  # noqa: F401  (registers the exercises)
from conftest import quiet_check
from dslib.exercises.known_wrong import CHANGED_INPUT, WrongAnswer, rejection_problems


def sender_only(delivered: dict[str, int], origin: str, deps: dict[str, int]) -> bool:
    return deps.get(origin, 0) == delivered.get(origin, 0)


def all_equal(delivered: dict[str, int], origin: str, deps: dict[str, int]) -> bool:
    return all(
        deps.get(k, 0) == delivered.get(k, 0)
        for k in set(deps) | set(delivered)
        if k == origin or k in deps
    )


def at_most(delivered: dict[str, int], origin: str, deps: dict[str, int]) -> bool:
    return all(n <= delivered.get(k, 0) for k, n in deps.items())


def missing_keys(delivered: dict[str, int], origin: str, deps: dict[str, int]) -> bool:
    if deps[origin] != delivered[origin]:
        return False
    return all(n <= delivered[k] for k, n in deps.items() if k != origin)


def mutates(delivered: dict[str, int], origin: str, deps: dict[str, int]) -> bool:
    for k in deps:
        delivered.setdefault(k, 0)
    return bool(ex.load_solution("ch02.causal_delivery")(delivered, origin, deps))


def cut_no_flight(logs: dict[str, list[Any]], cut: dict[str, int]) -> bool:
    inside = [e for p in cut for e in logs[p][: cut[p]]]
    sent = {m for k, m in inside if k == "send"}
    received = {m for k, m in inside if k == "receive"}
    return sent == received


def cut_plus_one(logs: dict[str, list[Any]], cut: dict[str, int]) -> bool:
    inside = [e for p in cut for e in logs[p][: cut[p] + 1]]
    sent = {m for k, m in inside if k == "send"}
    return all(m in sent for k, m in inside if k == "receive")


def cut_whole_log(logs: dict[str, list[Any]], cut: dict[str, int]) -> bool:
    sent = {m for p in logs for k, m in logs[p] if k == "send"}
    return all(m in sent for p in cut for k, m in logs[p][: cut[p]] if k == "receive")


def cut_mutates(logs: dict[str, list[Any]], cut: dict[str, int]) -> bool:
    for p in logs:
        del logs[p][cut[p] :]
    return bool(ex.load_solution("ch02.consistent_cut")(logs, cut))


def wait_earliest(earliest: float, latest: float) -> tuple[float, float]:
    return earliest, latest - earliest


def wait_half(earliest: float, latest: float) -> tuple[float, float]:
    return latest, (latest - earliest) / 2


def wait_none(earliest: float, latest: float) -> tuple[float, float]:
    return latest, 0.0


Version = tuple[Any, tuple[str, int], dict[str, int]]


def _new(context: dict[str, int], value: Any, server: str, counter: int) -> Version:
    return (value, (server, counter + 1), dict(context))


def put_last_writer_wins(
    versions: list[Version], context: dict[str, int], value: Any, server: str, counter: int
) -> list[Version]:
    return [_new(context, value, server, counter)]


def put_server_clock(
    versions: list[Version], context: dict[str, int], value: Any, server: str, counter: int
) -> list[Version]:
    clock = dict(context)  # the coordinator's clock: everything it holds
    for _, (s, n), ctx in versions:
        for k, x in [*ctx.items(), (s, n)]:
            clock[k] = max(clock.get(k, 0), x)
    kept = [v for v in versions if clock.get(v[1][0], 0) < v[1][1]]
    return [*kept, _new(clock, value, server, counter)]


def put_new_vector(
    versions: list[Version], context: dict[str, int], value: Any, server: str, counter: int
) -> list[Version]:
    new = {**context, server: counter + 1}  # the per-server version vector of the new version

    def covered(v: Version) -> bool:
        vector = {**v[2], v[1][0]: max(v[2].get(v[1][0], 0), v[1][1])}
        return all(n <= new.get(k, 0) for k, n in vector.items())

    return [*[v for v in versions if not covered(v)], _new(context, value, server, counter)]


def put_keeps_seen(
    versions: list[Version], context: dict[str, int], value: Any, server: str, counter: int
) -> list[Version]:
    return [*versions, _new(context, value, server, counter)]


def put_strict(
    versions: list[Version], context: dict[str, int], value: Any, server: str, counter: int
) -> list[Version]:
    kept = [v for v in versions if context.get(v[1][0], 0) <= v[1][1]]
    return [*kept, _new(context, value, server, counter)]


def put_mutates(
    versions: list[Version], context: dict[str, int], value: Any, server: str, counter: int
) -> list[Version]:
    versions[:] = [v for v in versions if context.get(v[1][0], 0) < v[1][1]]
    versions.append(_new(context, value, server, counter))
    return list(versions)


WRONG = [
    WrongAnswer("ch02.put_with_context", put_last_writer_wins, "examples", "last-writer-wins"),
    WrongAnswer("ch02.put_with_context", put_server_clock, "examples", "the one the client sent"),
    WrongAnswer("ch02.put_with_context", put_new_vector, "examples", "own earlier writes"),
    WrongAnswer("ch02.put_with_context", put_keeps_seen, "examples", "(>=, not >)"),
    WrongAnswer("ch02.put_with_context", put_strict, "examples", "(>=, not >)"),
    WrongAnswer("ch02.put_with_context", put_mutates, "examples", CHANGED_INPUT),
    WrongAnswer("ch02.commit_wait", wait_earliest, "examples", "s = latest"),
    WrongAnswer("ch02.commit_wait", wait_half, "examples", "wait s - earliest"),
    WrongAnswer("ch02.commit_wait", wait_none, "examples", "Without commit wait"),
    WrongAnswer("ch02.consistent_cut", cut_no_flight, "examples", "in flight"),
    WrongAnswer("ch02.consistent_cut", cut_plus_one, "examples", "logs[p][:cut[p]]"),
    WrongAnswer("ch02.consistent_cut", cut_whole_log, "examples", "send must be inside"),
    WrongAnswer("ch02.consistent_cut", cut_mutates, "examples", CHANGED_INPUT),
    WrongAnswer("ch02.causal_delivery", sender_only, "examples", "FIFO order"),
    WrongAnswer("ch02.causal_delivery", all_equal, "examples", "holds nothing back"),
    WrongAnswer("ch02.causal_delivery", at_most, "examples", "delivered already"),
    WrongAnswer("ch02.causal_delivery", missing_keys, "examples", "delivered.get(k, 0)"),
    WrongAnswer("ch02.causal_delivery", mutates, "examples", CHANGED_INPUT),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_the_runs_stage_catches_a_rule_that_never_waits() -> None:
    # An answer right on the sender's entry but blind to the others passes no example, so call
    # the runs stage directly: causal broadcast with it breaks causal order.
    stage = ex.get_exercise("ch02.causal_delivery").stages[-1]
    result = stage.run(sender_only)
    assert not result.ok and result.failure is not None
    assert "breaks causal order" in result.failure.message
    assert stage.run(ex.load_solution("ch02.causal_delivery")).ok


def test_the_put_reference_agrees_with_the_library_server_put() -> None:
    # the exercise's reference against dslib.clocks.server_put (dotted), on every small store
    from itertools import combinations

    from dslib.clocks import StoredVersion, VectorClock, server_put
    from dslib.exercises.ch02 import put_reference

    dots = [("A", 1), ("A", 2), ("B", 1)]
    contexts = [{}, {"A": 1}, {"A": 2}, {"B": 1}, {"A": 2, "B": 1}]
    cases = 0
    for k in range(len(dots) + 1):
        for chosen in combinations(dots, k):
            versions = [(f"v{i}", dot, contexts[i % 3]) for i, dot in enumerate(chosen)]
            for context in contexts:
                for server in ("A", "B"):
                    counter = max([n for s, n in chosen if s == server], default=0)
                    want = put_reference(versions, context, "new", server, counter)
                    stored = tuple(StoredVersion(v, VectorClock(c), d) for v, d, c in versions)
                    got, n = server_put(stored, counter, "new", VectorClock(context), server)
                    assert n == counter + 1
                    assert [(v.value, v.dot, v.clock.as_dict()) for v in got] == want
                    cases += 1
    assert cases == 80


def test_the_runs_stage_catches_an_answer_right_on_every_example_but_one_kind() -> None:
    # keeps_seen passes no example, so call the runs stage directly: it loses to the reference
    stage = ex.get_exercise("ch02.put_with_context").stages[-1]
    assert stage.name == "runs"
    result = stage.run(put_keeps_seen)
    assert not result.ok and result.failure is not None
    assert "it should keep" in result.failure.message
    assert stage.run(ex.load_solution("ch02.put_with_context")).ok
