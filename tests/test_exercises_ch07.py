"""Tests of the exercises of chapter 7 (message queues): every checker accepts its reference
solution, says "not attempted yet" for its stub, and rejects known-wrong answers at the
expected stage with the hint that names their mistake; the references are the library's
rules (the broker's high watermark, the group's range assignor, the idempotent sink)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dslib.exercises as ex
import dslib.exercises.ch07 as ch07
from conftest import quiet_check
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems, too_few_wrong_answers
from dslib.queues.groups import range_assignment
from dslib.queues.log import Broker, Entry, LogConfig, Replica

IDS = ["ch07.high_watermark", "ch07.range_assign", "ch07.effectively_once"]


def solution(exercise_id: str) -> Callable[..., Any]:
    return ex.load_solution(exercise_id)


def test_the_exercises_are_registered_in_chapter_7() -> None:
    assert [e.id for e in ex.all_exercises(chapter=7)] == IDS
    assert [s.name for s in ex.get_exercise(IDS[2]).stages] == [
        "examples",
        "properties",
        "consumer group",
    ]


# -- the references are the library's rules -----------------------------------------------------
class _Ctx:
    """Just enough of a node's context for ``Broker._advance``: its id, and what it sends."""

    id = "b1"

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def send(self, dst: str, msg: Any) -> None:
        self.sent.append((dst, msg))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 8),
    st.dictionaries(st.sampled_from(["b2", "b3"]), st.integers(0, 8)),
    st.sets(st.sampled_from(["b2", "b3"])),
    st.integers(0, 8),
)
def test_the_high_watermark_rule_is_the_brokers(
    own_end: int, follower_ends: dict[str, int], followers_in_sync: set[str], current: int
) -> None:
    # the leader b1 holds own_end records; a follower never holds more than the leader
    ends = {b: min(e, own_end) for b, e in follower_ends.items()}
    current = min(current, own_end)
    isr = tuple(sorted({"b1", *followers_in_sync}))
    replica = Replica(
        log=tuple(Entry(0, "k", i) for i in range(own_end)),
        high_watermark=current,
        leader="b1",
        isr=isr,
        follower_end=tuple(sorted(ends.items())),
    )
    moved = Broker(LogConfig())._advance(_Ctx(), 0, replica)  # type: ignore[arg-type]
    rule = ch07.high_watermark_rule({"b1": own_end, **ends}, list(isr), current)
    assert moved.high_watermark == rule
    assert solution("ch07.high_watermark")({"b1": own_end, **ends}, list(isr), current) == rule


def test_the_assignor_and_the_sink_references_are_the_librarys() -> None:
    for n in range(1, 5):
        members = [f"c{i}" for i in range(n, 0, -1)]
        for partitions in range(9):
            assert solution("ch07.range_assign")(members, partitions) == range_assignment(
                members, partitions
            )
    deliveries: list[tuple[int, int, Hashable]] = [(0, 0, "a"), (1, 0, "b"), (0, 0, "a")]
    assert ch07.first_deliveries(deliveries) == ["a", "b"]


# -- wrong answers --------------------------------------------------------------------------------
def hw_over_all_replicas(log_ends: dict[str, int], isr: list[str], current: int) -> int:
    return max(current, min(log_ends.values()))


def hw_leader_end(log_ends: dict[str, int], isr: list[str], current: int) -> int:
    return max(current, max(log_ends[b] for b in isr if b in log_ends))


def hw_moves_back(log_ends: dict[str, int], isr: list[str], current: int) -> int:
    return min(log_ends.get(b, 0) for b in isr)


def hw_key_error(log_ends: dict[str, int], isr: list[str], current: int) -> int:
    return max(current, min(log_ends[b] for b in isr))


def hw_skips_missing(log_ends: dict[str, int], isr: list[str], current: int) -> int:
    return max(current, min(log_ends[b] for b in isr if b in log_ends))


def assign_unsorted(members: list[str], partitions: int) -> dict[str, tuple[int, ...]]:
    return ch07.range_assignment_in_order(members, partitions)


def assign_drops_remainder(members: list[str], partitions: int) -> dict[str, tuple[int, ...]]:
    n = partitions // len(members)
    return {m: tuple(range(i * n, (i + 1) * n)) for i, m in enumerate(sorted(members))}


def assign_remainder_to_last(members: list[str], partitions: int) -> dict[str, tuple[int, ...]]:
    names = sorted(members)
    n = partitions // len(names)
    out = {m: tuple(range(i * n, (i + 1) * n)) for i, m in enumerate(names)}
    out[names[-1]] = tuple(range((len(names) - 1) * n, partitions))
    return out


def assign_all_to_first(members: list[str], partitions: int) -> dict[str, tuple[int, ...]]:
    names = sorted(members)
    return {m: tuple(range(partitions)) if i == 0 else () for i, m in enumerate(names)}


def assign_round_robin(members: list[str], partitions: int) -> dict[str, tuple[int, ...]]:
    names = sorted(members)
    return {m: tuple(range(i, partitions, len(names))) for i, m in enumerate(names)}


def assign_lists(members: list[str], partitions: int) -> dict[str, list[int]]:
    return {m: list(v) for m, v in range_assignment(members, partitions).items()}


def assign_skips_idle(members: list[str], partitions: int) -> dict[str, tuple[int, ...]]:
    return {m: v for m, v in range_assignment(members, partitions).items() if v}


def once_no_dedup(deliveries: list[tuple[int, int, Hashable]]) -> list[Hashable]:
    return [v for _, _, v in deliveries]


def once_by_value(deliveries: list[tuple[int, int, Hashable]]) -> list[Hashable]:
    return list(dict.fromkeys(v for _, _, v in deliveries))


def once_by_offset(deliveries: list[tuple[int, int, Hashable]]) -> list[Hashable]:
    seen: set[int] = set()
    out = []
    for _p, o, v in deliveries:
        if o not in seen:
            seen.add(o)
            out.append(v)
    return out


def once_sorted(deliveries: list[tuple[int, int, Hashable]]) -> list[Hashable]:
    return [v for (_p, _o), v in sorted({(p, o): v for p, o, v in deliveries}.items())]


WRONG = [
    WrongAnswer(IDS[0], hw_over_all_replicas, "examples", "Only the in-sync replicas count"),
    WrongAnswer(IDS[0], hw_leader_end, "examples", "Take the min over the ISR"),
    WrongAnswer(IDS[0], hw_moves_back, "examples", "never moves back"),
    WrongAnswer(IDS[0], hw_key_error, "examples", "log_ends.get(b, 0)"),
    WrongAnswer(IDS[0], hw_skips_missing, "examples", "has fetched nothing yet"),
    WrongAnswer(IDS[1], assign_unsorted, "examples", "Sort the members first"),
    WrongAnswer(IDS[1], assign_drops_remainder, "examples", "is assigned to nobody"),
    WrongAnswer(IDS[1], assign_remainder_to_last, "examples", "to the first members"),
    WrongAnswer(IDS[1], assign_all_to_first, "examples", "Balance the load"),
    WrongAnswer(IDS[1], assign_round_robin, "examples", "round-robin assignor"),
    WrongAnswer(IDS[1], assign_lists, "examples", "not a list"),
    WrongAnswer(IDS[1], assign_skips_idle, "examples", "Every member appears"),
    WrongAnswer(IDS[2], once_no_dedup, "examples", "write it once"),
    WrongAnswer(IDS[2], once_by_value, "examples", "not by its value"),
    WrongAnswer(IDS[2], once_by_offset, "examples", "Offsets count within a partition"),
    WrongAnswer(IDS[2], once_sorted, "examples", "order of first delivery"),
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
    ("answer", "hint"),
    [
        (hw_over_all_replicas, "Only the in-sync replicas count"),
        (hw_leader_end, "Take the min over the ISR"),
        (hw_moves_back, "never moves back"),
    ],
)
def test_the_property_alone_catches_the_wrong_high_watermarks(
    answer: Callable[..., Any], hint: str
) -> None:
    result = ex.stage_checks(IDS[0])["properties"](answer)
    assert not result.ok and result.failure is not None
    assert result.failure.hint is not None and hint in result.failure.hint


@pytest.mark.parametrize(
    ("answer", "hint"),
    [(assign_drops_remainder, "assigned to nobody"), (assign_round_robin, "round-robin")],
)
def test_the_property_alone_catches_the_wrong_assignors(
    answer: Callable[..., Any], hint: str
) -> None:
    result = ex.stage_checks(IDS[1])["properties"](answer)
    assert not result.ok and result.failure is not None
    assert result.failure.hint is not None and hint in result.failure.hint


def test_the_consumer_group_stage_alone_catches_repeated_writes() -> None:
    stage = ex.stage_checks(IDS[2])["consumer group"]
    result = stage(once_no_dedup)
    assert not result.ok and result.failure is not None
    assert "duplicated" in result.summary and "write it once" in (result.failure.hint or "")
    assert stage(once_by_offset).summary.startswith("run 0: exactly-once: ")
    ok = stage(solution(IDS[2]))
    assert ok.ok and ok.summary == "4 group runs, 33 repeated deliveries, each written once"
