"""Tests of the exercises of chapters 2 and 12: every checker accepts its reference solution
and rejects known-wrong answers at the expected stage with the expected hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import dslib.exercises as ex
import dslib.exercises.ch02
import dslib.exercises.ch12  # noqa: F401  (registers the exercises)
from conftest import quiet_check
from dslib.exercises.known_wrong import (
    CHANGED_INPUT,
    WrongAnswer,
    rejection_problems,
)

ROOT = Path(__file__).resolve().parent.parent
IDS = [
    "ch02.compare_vector_clocks",
    "ch02.happened_before",
    "ch02.hlc_receive",
    "ch12.or_set_merge",
    "ch12.abd_read",
    "ch12.siblings",
]


def test_the_exercises_are_registered_in_their_chapters() -> None:
    # these come first in their chapters; later sections add theirs after them
    assert [e.id for e in ex.all_exercises(chapter=2)][:3] == IDS[:3]
    assert [e.id for e in ex.all_exercises(chapter=12)][:3] == IDS[3:]


# -- ch02.happened_before ------------------------------------------------------------------------
def _direct_edges(events: list[Any]) -> set[Any]:
    ids = {(n, i) for n, i, _ in events}
    out = {((n, i), (n, i + 1)) for n, i, _ in events if (n, i + 1) in ids}
    return out | {(tuple(c), (n, i)) for n, i, c in events if c is not None}


def hb_direct_only(events: list[Any]) -> set[Any]:
    return _direct_edges(events)


def hb_backwards(events: list[Any]) -> set[Any]:
    sol = ex.load_solution("ch02.happened_before")
    flipped = [(n, i, None) for n, i, _ in events]
    pairs = sol(flipped)
    return pairs | {((n, i), tuple(c)) for n, i, c in events if c is not None}


def hb_reflexive(events: list[Any]) -> set[Any]:
    sol = ex.load_solution("ch02.happened_before")
    return sol(events) | {((n, i), (n, i)) for n, i, _ in events}


def hb_no_program_order(events: list[Any]) -> set[Any]:
    return {(tuple(c), (n, i)) for n, i, c in events if c is not None}


# -- ch02.hlc_receive ----------------------------------------------------------------------------
def hlc_lamport_like(l: float, c: int, msg_l: float, msg_c: int, pt: float) -> Any:  # noqa: E741
    new = max(l, msg_l)
    if new == l == msg_l:
        return new, max(c, msg_c) + 1
    return (new, c + 1) if new == l else (new, msg_c + 1)


def hlc_own_counter(l: float, c: int, msg_l: float, msg_c: int, pt: float) -> Any:  # noqa: E741
    new = max(l, msg_l, pt)
    if new == pt and pt > max(l, msg_l):
        return new, 0
    return new, c + 1


def hlc_tie_own(l: float, c: int, msg_l: float, msg_c: int, pt: float) -> Any:  # noqa: E741
    new = max(l, msg_l, pt)
    if new == l:
        return new, c + 1
    if new == msg_l:
        return new, msg_c + 1
    return new, 0


# -- ch02.compare_vector_clocks ----------------------------------------------------------------
def by_sums(a: dict[str, int], b: dict[str, int]) -> str:
    sa, sb = sum(a.values()), sum(b.values())
    return "before" if sa < sb else "after" if sa > sb else "equal"


def missing_keys_crash(a: dict[str, int], b: dict[str, int]) -> str:
    le = all(a[n] <= b[n] for n in a)
    ge = all(b[n] <= a[n] for n in b)
    return "equal" if le and ge else "before" if le else "after" if ge else "concurrent"


def only_keys_of_a(a: dict[str, int], b: dict[str, int]) -> str:
    le = all(a.get(n, 0) <= b.get(n, 0) for n in a)
    ge = all(b.get(n, 0) <= a.get(n, 0) for n in a)
    return "equal" if le and ge else "before" if le else "after" if ge else "concurrent"


def mutates(a: dict[str, int], b: dict[str, int]) -> str:
    for n in b:
        a.setdefault(n, 0)
    return ex.load_solution("ch02.compare_vector_clocks")(a, b)


# -- ch12.or_set_merge ------------------------------------------------------------------------
def keeps_tombstoned(a: Any, b: Any) -> Any:
    return (a[0] | b[0], a[1] | b[1])


def intersects(a: Any, b: Any) -> Any:
    t = a[1] | b[1]
    return (frozenset(p for p in a[0] & b[0] if p[1] not in t), t)


def forgets_tombstones(a: Any, b: Any) -> Any:
    t = a[1] | b[1]
    return (frozenset(p for p in a[0] | b[0] if p[1] not in t), a[1])


def one_tag_per_element(a: Any, b: Any) -> Any:
    t = a[1] | b[1]
    best: dict[Any, Any] = {}
    for e, tag in sorted(a[0] | b[0], key=repr):
        if tag not in t:
            best[e] = max(best.get(e, tag), tag)
    return (frozenset(best.items()), t)


# -- ch12.abd_read -------------------------------------------------------------------------------
def first_reply(replies: dict[str, Any], n: int) -> Any:
    if not replies:
        return None
    tag, value = max(replies.values(), key=lambda tv: tv[0])
    return ("write-back", tag, value)


def never_writes_back(replies: dict[str, Any], n: int) -> Any:
    if len(replies) < n // 2 + 1:
        return None
    tag, value = max(replies.values(), key=lambda tv: tv[0])
    return ("return", tag, value)


def counter_only(replies: dict[str, Any], n: int) -> Any:
    if len(replies) < n // 2 + 1:
        return None
    tag, value = max(replies.values(), key=lambda tv: tv[0][0])
    holders = sum(1 for t, _ in replies.values() if t == tag)
    return ("return" if holders >= n // 2 + 1 else "write-back", tag, value)


def half_rounded_up(replies: dict[str, Any], n: int) -> Any:
    quorum = (n + 1) // 2  # not a majority when n is even
    if len(replies) < quorum:
        return None
    tag, value = max(replies.values(), key=lambda tv: tv[0])
    holders = sum(1 for t, _ in replies.values() if t == tag)
    return ("return" if holders >= quorum else "write-back", tag, value)


def sib_largest_total(versions: list[Any]) -> list[Any]:
    if not versions:
        return []
    return [max(versions, key=lambda v: sum(v[1].values()))]


def sib_keeps_duplicates(versions: list[Any]) -> list[Any]:
    def le(a: dict[str, int], b: dict[str, int]) -> bool:
        return all(a.get(n, 0) <= b.get(n, 0) for n in set(a) | set(b))

    return [v for v in versions if not any(le(v[1], o) and not le(o, v[1]) for _, o in versions)]


def sib_common_keys_only(versions: list[Any]) -> list[Any]:
    def le(a: dict[str, int], b: dict[str, int]) -> bool:
        common = set(a) & set(b)
        return set(a) == set(b) and all(a[n] <= b[n] for n in common)

    kept = []
    for i, (value, clock) in enumerate(versions):
        dominated = any(le(clock, o) and not le(o, clock) for _, o in versions)
        repeated = any(le(clock, c) and le(c, clock) for _, c in versions[:i])
        if not dominated and not repeated:
            kept.append((value, clock))
    return kept


def sib_sorted(versions: list[Any]) -> list[Any]:
    return sorted(ex.load_solution("ch12.siblings")(versions), key=lambda v: repr(v), reverse=True)


WRONG = [  # hint "": the input was changed
    WrongAnswer("ch12.siblings", sib_largest_total, "examples", "last-writer-wins"),
    WrongAnswer("ch12.siblings", sib_keeps_duplicates, "examples", "same version"),
    WrongAnswer("ch12.siblings", sib_common_keys_only, "examples", "missing entry as 0"),
    WrongAnswer("ch12.siblings", sib_sorted, "examples", "in the order they were given"),
    WrongAnswer("ch02.happened_before", hb_direct_only, "examples", "transitive"),
    WrongAnswer("ch02.happened_before", hb_backwards, "examples", "from its send to its receive"),
    WrongAnswer("ch02.happened_before", hb_reflexive, "examples", "irreflexive"),
    WrongAnswer("ch02.happened_before", hb_no_program_order, "examples", "program order"),
    WrongAnswer("ch02.hlc_receive", hlc_lamport_like, "examples", "physical clock"),
    WrongAnswer("ch02.hlc_receive", hlc_own_counter, "examples", "counter follows the message"),
    WrongAnswer("ch02.hlc_receive", hlc_tie_own, "examples", "max(c, msg_c) + 1"),
    WrongAnswer("ch02.compare_vector_clocks", by_sums, "examples", "Lamport clock"),
    WrongAnswer("ch02.compare_vector_clocks", missing_keys_crash, "examples", "treat it as 0"),
    WrongAnswer("ch02.compare_vector_clocks", only_keys_of_a, "examples", "set(a) | set(b)"),
    WrongAnswer("ch02.compare_vector_clocks", mutates, "examples", CHANGED_INPUT),
    WrongAnswer("ch12.or_set_merge", keeps_tombstoned, "examples", "removed element"),
    WrongAnswer("ch12.or_set_merge", intersects, "examples", "concurrent add must win"),
    WrongAnswer("ch12.or_set_merge", forgets_tombstones, "examples", "stays removed"),
    WrongAnswer("ch12.or_set_merge", one_tag_per_element, "laws", "not tombstoned"),
    WrongAnswer("ch12.abd_read", first_reply, "examples", "majority"),
    WrongAnswer("ch12.abd_read", never_writes_back, "examples", "new-old inversion"),
    WrongAnswer("ch12.abd_read", counter_only, "examples", "whole tag tuple"),
    WrongAnswer("ch12.abd_read", half_rounded_up, "properties", "majority"),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_the_simulation_stage_of_abd_catches_what_the_examples_cannot_see() -> None:
    # Call the stage directly with the mutant read: it must find a non-linearizable run.
    exercise = ex.get_exercise("ch12.abd_read")
    stage = exercise.stages[-1]
    result = stage.run(never_writes_back)
    assert not result.ok and result.failure is not None
    assert "not linearizable" in result.failure.message
    assert result.failure.counterexample == "the new-old inversion scenario"
    assert stage.run(ex.load_solution("ch12.abd_read")).ok


def test_the_exercise_s_happens_before_agrees_with_the_library_s() -> None:
    """hb_reference (the exercise's oracle, a transitive closure) and dslib.clocks.happens_before
    (a search from each event) agree on 200 simulated runs."""
    from dslib.clocks import clock_events, clock_run, happens_before
    from dslib.exercises.ch02 import hb_reference

    for seed in range(200):
        events = clock_events(clock_run(nodes=2 + seed % 3, steps=3, seed=seed))
        assert hb_reference([(e.node, e.index, e.cause) for e in events]) == happens_before(events)
