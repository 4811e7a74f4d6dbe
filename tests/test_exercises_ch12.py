"""ch12.prefix_reads: the solution passes; wrong answers get the hint that names their mistake."""

from __future__ import annotations

from typing import Any

import pytest

import dslib.exercises as ex
import dslib.exercises.ch12  # registers the exercises
from conftest import quiet_check
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems


def _spans(log: list[Any], key: str, value: Any) -> tuple[int, int]:
    positions = [p + 1 for p, (k, _) in enumerate(log) if k == key]
    lo, hi = 0, (positions[0] if positions else len(log) + 1)
    if value is not None:
        j = [log[p - 1][1] for p in positions].index(value)
        lo, hi = positions[j], positions[j + 1] if j + 1 < len(positions) else len(log) + 1
    return lo, hi


def none_never_stale(log: list[Any], reads: list[Any]) -> int | None:
    need = 0
    for i, (key, value) in enumerate(reads):
        lo, hi = _spans(log, key, value)
        if value is not None and need >= hi:
            return i
        need = max(need, lo)
    return None


def each_read_alone(log: list[Any], reads: list[Any]) -> int | None:
    for i, (key, value) in enumerate(reads):
        lo, hi = _spans(log, key, value)
        if lo >= hi:
            return i
    return None


def next_write_allowed(log: list[Any], reads: list[Any]) -> int | None:
    need = 0
    for i, (key, value) in enumerate(reads):
        lo, hi = _spans(log, key, value)
        if need > hi:
            return i
        need = max(need, lo)
    return None


WRONG = [
    WrongAnswer("ch12.prefix_reads", none_never_stale, "examples", "returns None"),
    WrongAnswer("ch12.prefix_reads", each_read_alone, "examples", "on its own"),
    WrongAnswer("ch12.prefix_reads", next_write_allowed, "examples", "Off by one"),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_get_the_hint_that_names_their_mistake(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


# -- ch12.bootstrap ------------------------------------------------------------------------------
def from_copy_end(snapshot: list[Any], lsn: int, log: list[Any], ends: int) -> list[Any]:
    return list(snapshot) + list(log[ends:])


def whole_log(snapshot: list[Any], lsn: int, log: list[Any], ends: int) -> list[Any]:
    return list(snapshot) + list(log)


def log_only(snapshot: list[Any], lsn: int, log: list[Any], ends: int) -> list[Any]:
    return list(log[lsn:])


def skips_one(snapshot: list[Any], lsn: int, log: list[Any], ends: int) -> list[Any]:
    return list(snapshot) + list(log[lsn + 1 :])


WRONG_BOOTSTRAP = [
    WrongAnswer("ch12.bootstrap", from_copy_end, "examples", "while the snapshot was being copied"),
    WrongAnswer("ch12.bootstrap", whole_log, "examples", "applied twice"),
    WrongAnswer("ch12.bootstrap", log_only, "examples", "starts FROM the snapshot"),
    WrongAnswer("ch12.bootstrap", skips_one, "examples", "Off by one"),
]


@pytest.mark.parametrize("row", WRONG_BOOTSTRAP, ids=[row.id for row in WRONG_BOOTSTRAP])
def test_wrong_bootstraps_get_the_hint_that_names_their_mistake(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


# -- ch12.abd_read: the hint of a wrong denominator (issue 28, section 3) --------------------------
def half_rounded_up(replies: dict[str, Any], n: int) -> Any:
    quorum = (n + 1) // 2  # not a majority when n is even
    if len(replies) < quorum:
        return None
    tag, value = max(replies.values(), key=lambda tv: tv[0])
    holders = sum(1 for t, _ in replies.values() if t == tag)
    return ("return" if holders >= quorum else "write-back", tag, value)


def test_a_wrong_denominator_is_named_not_blamed_on_a_minority(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = quiet_check("ch12.abd_read", half_rounded_up, capsys)
    assert not result.passed and result.stage == "properties"
    assert "n // 2 + 1" in (result.hint or "") and "minority" not in (result.hint or "")
    # and the mistake is not claimed of the solution
    assert not dslib.exercises.ch12._half_quorum(ex.load_solution("ch12.abd_read"))


# -- ch12.conflicts ------------------------------------------------------------------------------
def same_leader_too(writes: list[Any]) -> int:
    return sum(
        1
        for i, (_, ti, ai) in enumerate(writes)
        for _, tj, aj in writes[i + 1 :]
        if ai > tj and aj > ti
    )


def one_direction(writes: list[Any]) -> int:
    return sum(
        1
        for i, (li, _, ai) in enumerate(writes)
        for lj, tj, _ in writes[i + 1 :]
        if li != lj and ai > tj
    )


WRONG_CONFLICTS = [
    WrongAnswer("ch12.conflicts", same_leader_too, "examples", "same leader never conflict"),
    WrongAnswer("ch12.conflicts", one_direction, "examples", "NEITHER"),
]


@pytest.mark.parametrize("row", WRONG_CONFLICTS, ids=[row.id for row in WRONG_CONFLICTS])
def test_wrong_conflict_counts_get_the_hint_that_names_their_mistake(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems
