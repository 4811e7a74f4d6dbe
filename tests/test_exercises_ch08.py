"""Tests of the exercises of chapter 8 (databases): every checker accepts its reference
solution, says "not attempted yet" for its stub, and rejects known-wrong answers at the
expected stage with the hint that names their mistake; the references are the library's rules
(the store's deadlock check and snapshot read, the isolation checker's names)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import dslib.exercises as ex
import dslib.exercises.ch08 as ch08
from conftest import quiet_check
from dslib.databases.anomalies import CATALOGUE, run_anomaly
from dslib.databases.concurrency import LEVELS
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems, too_few_wrong_answers
from dslib.exercises.stages import recognise

IDS = ["ch08.deadlock", "ch08.snapshot_read", "ch08.name_cycle"]


def solution(exercise_id: str) -> Callable[..., Any]:
    return ex.load_solution(exercise_id)


def test_the_exercises_are_registered_in_chapter_8() -> None:
    assert [e.id for e in ex.all_exercises(chapter=8)] == IDS
    assert [s.name for s in ex.get_exercise(IDS[0]).stages] == ["examples", "properties", "store"]


def test_the_names_are_the_checkers_on_every_cycle_of_the_catalogue() -> None:
    seen = set()
    for anomaly in CATALOGUE:
        for level in LEVELS:
            for found in run_anomaly(anomaly, level).result.anomalies:
                if found.cycle:
                    edges = [(edge[0], edge[1], edge[2]) for edge in found.cycle]
                    assert ch08.adya_name(edges) == found.name
                    assert solution("ch08.name_cycle")(edges) == found.name
                    seen.add(found.name)
    assert seen == {"G0", "G-single", "G2-item"}


# -- wrong answers --------------------------------------------------------------------------------
def only_pairs(waits_for: dict[str, set[str]]) -> Any:
    for a in sorted(waits_for):
        for b in sorted(waits_for[a]):
            if a in waits_for.get(b, ()):
                return [a, b]
    return None


def first_holder_only(waits_for: dict[str, set[str]]) -> Any:
    for start in sorted(waits_for):
        path = [start]
        while True:
            holders = sorted(waits_for.get(path[-1], ()))
            if not holders:
                break
            if holders[0] in path:
                return path[path.index(holders[0]) :]
            path.append(holders[0])
    return None


def all_waiters(waits_for: dict[str, set[str]]) -> Any:
    waiting = sorted(t for t, ws in waits_for.items() if ws)
    return waiting or None


def crashes_on_missing(waits_for: dict[str, set[str]]) -> Any:
    def visit(t: str, path: list[str]) -> Any:
        if t in path:
            return path[path.index(t) :]
        for u in sorted(waits_for[t]):
            found = visit(u, [*path, t])
            if found:
                return found
        return None

    for t in sorted(waits_for):
        found = visit(t, [])
        if found:
            return found
    return None


def ignores_snapshot(versions: list[Any], snapshot_ts: int) -> Any:
    committed = [(c, v) for c, v in versions if c is not None]
    return max(committed)[1] if committed else None


def strictly_before(versions: list[Any], snapshot_ts: int) -> Any:
    visible = [(c, v) for c, v in versions if c is not None and c < snapshot_ts]
    return max(visible)[1] if visible else None


def reads_uncommitted(versions: list[Any], snapshot_ts: int) -> Any:
    visible = [v for c, v in versions if c is None or c <= snapshot_ts]
    return visible[-1] if visible else None


def last_in_the_list(versions: list[Any], snapshot_ts: int) -> Any:
    visible = [v for c, v in versions if c is not None and c <= snapshot_ts]
    return visible[-1] if visible else None


def compares_none(versions: list[Any], snapshot_ts: int) -> Any:
    visible = [(c, v) for c, v in versions if c <= snapshot_ts]
    return max(visible)[1] if visible else None


def oldest_visible(versions: list[Any], snapshot_ts: int) -> Any:
    visible = [(c, v) for c, v in versions if c is not None and c <= snapshot_ts]
    return min(visible)[1] if visible else None


def any_rw_is_g2(cycle: list[Any]) -> str:
    kinds = [k for _, _, k in cycle]
    return "G2-item" if "rw" in kinds else "G1c" if "wr" in kinds else "G0"


def ww_is_g1c(cycle: list[Any]) -> str:
    kinds = [k for _, _, k in cycle]
    n = kinds.count("rw")
    return "G2-item" if n >= 2 else "G-single" if n == 1 else "G1c"


def ignores_wr(cycle: list[Any]) -> str:
    n = [k for _, _, k in cycle].count("rw")
    return "G2-item" if n >= 2 else "G-single" if n == 1 else "G0"


WRONG = [
    WrongAnswer("ch08.deadlock", only_pairs, "examples", "misses a longer cycle"),
    WrongAnswer("ch08.deadlock", first_holder_only, "examples", "waits for every holder"),
    WrongAnswer("ch08.deadlock", all_waiters, "examples", "Waiting is not deadlock"),
    WrongAnswer("ch08.deadlock", crashes_on_missing, "examples", "waits_for.get(t, ())"),
    WrongAnswer("ch08.snapshot_read", ignores_snapshot, "examples", "committed after the snapshot"),
    WrongAnswer("ch08.snapshot_read", strictly_before, "examples", "compare with <=, not <"),
    WrongAnswer("ch08.snapshot_read", reads_uncommitted, "examples", "uncommitted write"),
    WrongAnswer("ch08.snapshot_read", last_in_the_list, "examples", "order of the list"),
    WrongAnswer("ch08.snapshot_read", compares_none, "examples", "do not compare None"),
    WrongAnswer("ch08.snapshot_read", oldest_visible, "examples", "not the oldest"),
    WrongAnswer("ch08.name_cycle", any_rw_is_g2, "examples", "exactly one rw edge"),
    WrongAnswer("ch08.name_cycle", ww_is_g1c, "examples", "Only ww edges"),
    WrongAnswer("ch08.name_cycle", ignores_wr, "examples", "A wr edge makes it G1c"),
]


def test_every_exercise_has_at_least_two_wrong_answers() -> None:
    assert too_few_wrong_answers(WRONG, IDS) == []


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert problems == []


MISTAKES = {
    "ch08.deadlock": ch08.DEADLOCK_MISTAKES,
    "ch08.snapshot_read": ch08.SNAPSHOT_MISTAKES,
    "ch08.name_cycle": ch08.NAME_MISTAKES,
}


@pytest.mark.parametrize("exercise_id", IDS)
def test_each_mistake_recognises_its_answers_and_no_other(exercise_id: str) -> None:
    # the hint comes from the first mistake the answer is recognised to make: it must be the
    # mistake the row names, and no mistake may recognise the reference solution
    mistakes = MISTAKES[exercise_id]
    assert recognise(solution(exercise_id), mistakes) is None
    used = set()
    for row in WRONG:
        if row.exercise == exercise_id:
            mistake = recognise(row.answer, mistakes)
            assert mistake is not None and row.hint in mistake.hint, row.id
            used.add(mistake.name)
    assert used == {m.name for m in mistakes}  # every mistake has an answer that makes it


@pytest.mark.parametrize(
    ("exercise_id", "answer", "words"),
    [
        ("ch08.deadlock", lambda waits_for: None, "t1 -> t2 -> t1 is a cycle"),
        ("ch08.snapshot_read", lambda versions, ts: "?", "'a' (committed at 1)"),
        ("ch08.name_cycle", lambda cycle: "G1c", "0 rw, 0 wr and 2 ww edges"),
    ],
)
def test_an_answer_with_no_usual_mistake_is_told_what_holds_in_the_failing_case(
    exercise_id: str, answer: Callable[..., Any], words: str
) -> None:
    assert recognise(answer, MISTAKES[exercise_id]) is None
    failure = ex.stage_checks(exercise_id)["examples"](answer).failure
    assert failure is not None and failure.hint is not None and words in failure.hint


# -- the store stage alone ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "words"),
    [(only_pairs, "there is a deadlock"), (all_waiters, "there is no cycle here")],
)
def test_the_store_stage_catches_a_wrong_deadlock_check_inside_the_store(
    answer: Callable[..., Any], words: str
) -> None:
    result = ex.stage_checks("ch08.deadlock")["store"](answer)
    assert not result.ok and result.failure is not None
    assert "the first call that was wrong: find_deadlock(waits_for=" in result.failure.message
    assert words in result.failure.message


def test_the_store_stage_passes_the_librarys_rule_and_reports_an_answer_that_raises() -> None:
    assert ex.stage_checks("ch08.deadlock")["store"](solution("ch08.deadlock")).ok

    def raises(waits_for: dict[str, set[str]]) -> Any:
        raise KeyError("boom")

    result = ex.stage_checks("ch08.deadlock")["store"](raises)
    assert not result.ok and result.failure is not None and "KeyError" in result.failure.message


def test_the_report_is_the_same_every_time(capsys: pytest.CaptureFixture[str]) -> None:
    first = quiet_check("ch08.snapshot_read", last_in_the_list, capsys).text
    assert quiet_check("ch08.snapshot_read", last_in_the_list, capsys).text == first
