"""Tests of the exercises of chapter 16 (security): every checker accepts its reference
solution, says "not attempted yet" for its stub, and rejects known-wrong answers at the
expected stage with the hint that names their mistake; the references are the library's
(``claims_problem``, ``window_accept``, ``attenuate``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dslib.exercises as ex
import dslib.exercises.ch16  # noqa: F401  (registers the exercises)
from conftest import quiet_check
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems, too_few_wrong_answers
from dslib.exercises.stages import Examples, recognise
from dslib.security.auth import Claims, claims_problem
from dslib.security.authz import Capability, attenuate, mint
from dslib.security.channel import ReplayWindow, window_accept
from dslib.security.crypto import SymmetricKey, mac, symmetric_key

IDS = ["ch16.token_usable", "ch16.replay_window", "ch16.attenuate"]


def solution(exercise_id: str) -> Callable[..., Any]:
    return ex.load_solution(exercise_id)


def test_the_exercises_are_registered_in_chapter_16() -> None:
    assert [e.id for e in ex.all_exercises(chapter=16)] == IDS


# -- the references are the library's ----------------------------------------------------------
@given(
    st.sampled_from(["a", "b"]),
    st.sampled_from(["a", "b"]),
    st.sampled_from([0.0, 9.0, 10.0, 11.0]),
)
def test_the_token_solution_is_the_librarys_rule(audience: str, issuer: str, now: float) -> None:
    claims = Claims("alice", "a", "a", 0.0, 10.0)
    usable = claims_problem(claims, audience, issuer, now) is None
    assert solution(IDS[0])(claims, audience, issuer, now) is usable


@given(st.integers(1, 4), st.lists(st.integers(0, 10), max_size=12))
def test_the_window_solution_is_the_librarys(size: int, arrivals: list[int]) -> None:
    mine = theirs = ReplayWindow(size)
    for seq in arrivals:
        want, got = window_accept(mine, seq), solution(IDS[1])(theirs, seq)
        assert got == want
        if want is not None:
            mine = theirs = want


def test_the_attenuate_solution_is_the_librarys() -> None:
    cap = mint(symmetric_key(1, "root"), "files", ["action in read"])
    assert solution(IDS[2])(cap, "time < 5") == attenuate(cap, "time < 5")


# -- wrong answers -----------------------------------------------------------------------------
def tu_no_expiry(claims: Claims, audience: str, issuer: str, now: float) -> bool:
    return claims.issuer == issuer and claims.audience == audience


def tu_inclusive(claims: Claims, audience: str, issuer: str, now: float) -> bool:
    return claims.issuer == issuer and claims.audience == audience and now <= claims.expires_at


def tu_no_audience(claims: Claims, audience: str, issuer: str, now: float) -> bool:
    return claims.issuer == issuer and now < claims.expires_at


def tu_no_issuer(claims: Claims, audience: str, issuer: str, now: float) -> bool:
    return claims.audience == audience and now < claims.expires_at


def rw_replays(window: ReplayWindow, seq: int) -> ReplayWindow | None:
    if seq > window.highest:
        seen = frozenset(s for s in window.seen | {seq} if s > seq - window.size)
        return ReplayWindow(window.size, seq, seen)
    if seq <= window.highest - window.size:
        return None
    return ReplayWindow(window.size, window.highest, window.seen | {seq})


def rw_only_increasing(window: ReplayWindow, seq: int) -> ReplayWindow | None:
    if seq <= window.highest:
        return None
    seen = frozenset(s for s in window.seen | {seq} if s > seq - window.size)
    return ReplayWindow(window.size, seq, seen)


def rw_no_lower_bound(window: ReplayWindow, seq: int) -> ReplayWindow | None:
    if seq > window.highest:
        seen = frozenset(s for s in window.seen | {seq} if s > seq - window.size)
        return ReplayWindow(window.size, seq, seen)
    if seq in window.seen:
        return None
    return ReplayWindow(window.size, window.highest, window.seen | {seq})


def rw_unbounded(window: ReplayWindow, seq: int) -> ReplayWindow | None:
    if seq > window.highest:
        return ReplayWindow(window.size, seq, window.seen | {seq})
    if seq <= window.highest - window.size or seq in window.seen:
        return None
    return ReplayWindow(window.size, window.highest, window.seen | {seq})


def _next_tag(cap: Capability, caveat: str) -> bytes:
    return mac(SymmetricKey(cap.tag, "t"), caveat.encode())


def at_same_tag(cap: Capability, caveat: str) -> Capability:
    return Capability(cap.identifier, (*cap.caveats, caveat), cap.tag)


def at_replaces(cap: Capability, caveat: str) -> Capability:
    return Capability(cap.identifier, (caveat,), _next_tag(cap, caveat))


def at_first(cap: Capability, caveat: str) -> Capability:
    return Capability(cap.identifier, (caveat, *cap.caveats), _next_tag(cap, caveat))


def at_swapped(cap: Capability, caveat: str) -> Capability:
    key = SymmetricKey(hashlib.sha256(caveat.encode()).digest(), "caveat")
    return Capability(cap.identifier, (*cap.caveats, caveat), mac(key, cap.tag))


WRONG = [
    WrongAnswer(IDS[0], tu_no_expiry, "examples", "long after it expired"),
    WrongAnswer(IDS[0], tu_inclusive, "examples", "now < claims.expires_at"),
    WrongAnswer(IDS[0], tu_no_audience, "examples", "issued for another service"),
    WrongAnswer(IDS[0], tu_no_issuer, "examples", "does not trust"),
    WrongAnswer(IDS[1], rw_replays, "examples", "already accepted (a replay)"),
    WrongAnswer(IDS[1], rw_only_increasing, "examples", "networks reorder"),
    WrongAnswer(IDS[1], rw_no_lower_bound, "examples", "no longer remembers"),
    WrongAnswer(IDS[1], rw_unbounded, "examples", "fell out of it"),
    WrongAnswer(IDS[2], at_same_tag, "examples", "keeps the old tag"),
    WrongAnswer(IDS[2], at_replaces, "examples", "lost its earlier caveats"),
    WrongAnswer(IDS[2], at_first, "examples", "caveat went first"),
    WrongAnswer(IDS[2], at_swapped, "examples", "not the other way round"),
]


def test_every_exercise_has_at_least_two_wrong_answers() -> None:
    assert too_few_wrong_answers(WRONG, IDS) == []


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert problems == []


@pytest.mark.parametrize(
    "exercise_id, answer",
    [
        (IDS[0], tu_inclusive),
        (IDS[1], rw_replays),
        (IDS[1], rw_no_lower_bound),
        (IDS[2], at_replaces),
        (IDS[2], at_swapped),
    ],
)
def test_the_property_alone_catches_wrong_answers(
    exercise_id: str, answer: Callable[..., Any]
) -> None:
    assert not ex.stage_checks(exercise_id)["properties"](answer).ok


@pytest.mark.parametrize("exercise_id", IDS)
def test_each_mistake_recognises_its_wrong_answers_and_no_other(exercise_id: str) -> None:
    stages = ex.get_exercise(exercise_id).stages
    mistakes = tuple(m for s in stages if isinstance(s, Examples) for m in s.mistakes)
    rows = [r for r in WRONG if r.exercise == exercise_id]
    for mistake in mistakes:
        mine = [r for r in rows if recognise(r.answer, mistakes) is mistake]
        assert mine, f"no known-wrong answer makes the mistake {mistake.name!r}"
        for row in mine:
            assert row.hint in mistake.hint, (mistake.name, row.id, row.hint)
        assert recognise(ex.load_solution(exercise_id), (mistake,)) is None
