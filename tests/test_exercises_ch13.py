"""ch13.index_update: the solution passes; wrong answers get the hint naming their mistake."""

from __future__ import annotations

from typing import Any

import pytest

import dslib.exercises as ex
import dslib.exercises.ch13  # noqa: F401  (registers the exercises)
from conftest import quiet_check
from dslib.exercises.known_wrong import (
    WrongAnswer,
    rejection_problems,
    too_few_wrong_answers,
)

Entries = tuple[tuple[str, int, str], ...]


def iu_ignores_version(entries: Entries, doc: str, version: int, term: str) -> Entries:
    held = {d: (v, t) for d, v, t in entries}
    held[doc] = (version, term)
    return tuple(sorted((d, v, t) for d, (v, t) in held.items()))


def iu_never_replaces(entries: Entries, doc: str, version: int, term: str) -> Entries:
    if any(d == doc for d, _, _ in entries):
        return entries
    return tuple(sorted([*entries, (doc, version, term)]))


def iu_unsorted(entries: Entries, doc: str, version: int, term: str) -> Entries:
    kept = [e for e in entries if e[0] != doc or e[1] >= version]
    if any(e[0] == doc for e in kept):
        return entries
    return (*kept, (doc, version, term))


WRONG = [
    WrongAnswer("ch13.index_update", iu_ignores_version, "examples", "Compare versions"),
    WrongAnswer("ch13.index_update", iu_never_replaces, "examples", "stays listed under its old"),
    WrongAnswer("ch13.index_update", iu_unsorted, "examples", "highest version"),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.answer.__name__ for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_at_least_two_wrong_answers() -> None:
    assert not too_few_wrong_answers(WRONG, ["ch13.index_update"])


def test_the_properties_catch_what_the_examples_miss(capsys: pytest.CaptureFixture[str]) -> None:
    right = ex.load_solution("ch13.index_update")

    def late_only(entries: Entries, doc: str, version: int, term: str) -> Any:
        # Right on the examples' documents; ignores versions for car3 above version 2.
        if doc == "car3" and version <= 2 and any(d == doc for d, _, _ in entries):
            return iu_ignores_version(entries, doc, version, term)
        return right(entries, doc, version, term)

    result = quiet_check("ch13.index_update", late_only, capsys)
    assert result.stage == "properties", result.text


# -- ch13.hold_back -------------------------------------------------------------------------------
Held = tuple[tuple[int, ...], tuple[int, ...], int]


def hb_on_arrival(waiting: tuple[int, ...], next_seq: int, seq: int) -> Held:
    return (seq,), tuple(waiting), max(next_seq, seq + 1)


def hb_only_one(waiting: tuple[int, ...], next_seq: int, seq: int) -> Held:
    if seq == next_seq:
        return (seq,), tuple(waiting), next_seq + 1
    return (), tuple(sorted({*waiting, seq})), next_seq


def hb_forgets_waiting(waiting: tuple[int, ...], next_seq: int, seq: int) -> Held:
    if seq == next_seq:
        return (seq,), (), next_seq + 1
    return (), (), next_seq


HB_WRONG = [
    WrongAnswer("ch13.hold_back", hb_on_arrival, "examples", "arrival order"),
    WrongAnswer("ch13.hold_back", hb_only_one, "examples", "keep going"),
    WrongAnswer("ch13.hold_back", hb_forgets_waiting, "examples", "while the smallest"),
]
ALL_WRONG = [*WRONG, *HB_WRONG]  # every known-wrong answer of this file (for the mistakes test)


@pytest.mark.parametrize("row", HB_WRONG, ids=[row.answer.__name__ for row in HB_WRONG])
def test_hold_back_wrong_answers_get_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_hold_back_has_at_least_two_wrong_answers() -> None:
    assert not too_few_wrong_answers(HB_WRONG, ["ch13.hold_back"])


# -- ch13.split_points ----------------------------------------------------------------------------
def sp_once(keys: list[int], max_keys: int) -> list[int]:
    return [keys[len(keys) // 2]] if len(keys) > max_keys else []


def sp_full_splits(keys: list[int], max_keys: int) -> list[int]:
    if len(keys) < max_keys or len(keys) < 2:
        return []
    m = len(keys) // 2
    return [*sp_full_splits(keys[:m], max_keys), keys[m], *sp_full_splits(keys[m:], max_keys)]


def sp_lower_median(keys: list[int], max_keys: int) -> list[int]:
    if len(keys) <= max_keys:
        return []
    m = (len(keys) - 1) // 2
    return [*sp_lower_median(keys[:m], max_keys), keys[m], *sp_lower_median(keys[m:], max_keys)]


SP_WRONG = [
    WrongAnswer("ch13.split_points", sp_once, "examples", "Split each half again"),
    WrongAnswer("ch13.split_points", sp_full_splits, "examples", "not too big"),
    WrongAnswer("ch13.split_points", sp_lower_median, "examples", "keys[len(keys) // 2]"),
]
ALL_WRONG += SP_WRONG


def test_split_points_solution_passes(capsys: pytest.CaptureFixture[str]) -> None:
    result = quiet_check("ch13.split_points", ex.load_solution("ch13.split_points"), capsys)
    assert result.ok, result.text


@pytest.mark.parametrize("row", SP_WRONG, ids=[row.answer.__name__ for row in SP_WRONG])
def test_split_points_wrong_answers_get_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_split_points_has_at_least_two_wrong_answers() -> None:
    assert not too_few_wrong_answers(SP_WRONG, ["ch13.split_points"])
