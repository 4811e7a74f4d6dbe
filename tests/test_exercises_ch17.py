"""Tests of the exercises of chapter 17 (the capstone): every checker accepts its reference
solution, says "not attempted yet" for its stub, and rejects known-wrong answers at the
expected stage with the hint that names their mistake; the references are the library's
(``GroupMachine.apply``'s table of last requests, ``ShardKVServer._on_push``, ``two_homes``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dslib.exercises as ex
import dslib.exercises.ch17 as ch17
from conftest import quiet_check
from dslib.capstone.shardkv import GroupMachine, ShardKVServer
from dslib.core import Context
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems, too_few_wrong_answers
from dslib.exercises.stages import Examples, recognise
from dslib.raft.core import LEADER, RaftConfig, RaftState
from dslib.sharding.controller import Config
from dslib.sharding.store import ServerState, Shard, ShardAck, ShardPush

IDS = ["ch17.dedup", "ch17.push_rule", "ch17.two_homes"]


def solution(exercise_id: str) -> Callable[..., Any]:
    return ex.load_solution(exercise_id)


def test_the_exercises_are_registered_in_chapter_17() -> None:
    assert [e.id for e in ex.all_exercises(chapter=17)] == IDS


# -- the references are the library's --------------------------------------------------------
CLIENTS = ["c1", "c2", "c3"]


@settings(max_examples=60)
@given(
    st.dictionaries(st.sampled_from(CLIENTS), st.integers(1, 4), max_size=3),
    st.sampled_from(CLIENTS),
    st.integers(1, 5),
)
def test_the_dedup_reference_is_the_group_machines_table(
    entries: dict[str, int], client: str, number: int
) -> None:
    """An append of a unique element through ``GroupMachine.apply`` on a shard with a given
    table: the reply, the table after it and whether the data changed are the reference's."""
    m = GroupMachine("g1", shards=1)
    last = tuple(sorted((c, n, f"r{c}{n}") for c, n in entries.items()))
    shard = Shard("serving", (("k", ("old",)),), last)
    state = ServerState(Config(1, ("g1",), ("g1",)), (shard,))
    after, reply = m.apply(state, ("append", "k", ("new",), client, number))
    want_reply, want_table = ch17.dedup_reference(last, client, number, None)
    assert (reply, after.shards[0].last) == (want_reply, want_table)
    applied = after.shards[0].data != shard.data
    assert applied == (want_table != last)
    assert want_table == solution(IDS[0])(last, client, number, None)[1]


def _on_push(leader: bool, config_num: int, status: str, push_num: int) -> str:
    """What ``ShardKVServer._on_push`` did: proposed an install, sent an ack, or nothing."""
    m = GroupMachine("g2", shards=1)
    server = ShardKVServer("g2", RaftConfig(servers=("g2-1",), machine=m), {"g1": ("g1-1",)})
    machine = ServerState(Config(config_num, ("g2",), ("g2",)), (Shard(status),))
    state = RaftState(role=LEADER if leader else "follower", current_term=1, machine=machine)
    ctx = Context("g2-1", ("g2-1", "g1-1"))
    after = server._on_push(ctx, state, "g1-1", ShardPush(push_num, 0, (), ()))
    acks = [msg for _dst, msg in ctx.sent if isinstance(msg, ShardAck)]
    if after.log != state.log:
        assert not acks
        return "install"
    return "ack" if acks == [ShardAck(push_num, 0)] else "ignore"


@settings(max_examples=60)
@given(st.booleans(), st.integers(1, 4), st.sampled_from(ch17.STATUSES), st.integers(1, 4))
def test_the_push_reference_is_the_servers_rule(
    leader: bool, config_num: int, status: str, push_num: int
) -> None:
    want = ch17.push_reference(leader, config_num, status, push_num)
    assert _on_push(leader, config_num, status, push_num) == want


@settings(max_examples=80)
@given(
    st.integers(1, 3).flatmap(
        lambda n: st.dictionaries(
            st.integers(1, 4),
            st.lists(st.tuples(*[st.sampled_from(["g1", "g2", "g3"])] * n), min_size=1, max_size=3),
            max_size=3,
        )
    )
)
def test_the_library_two_homes_agrees_with_a_brute_force_over_pairs(
    installed: dict[int, list[tuple[str, ...]]],
) -> None:
    """The oracle compares every pair of versions of a number, shard by shard."""
    oracle: dict[tuple[int, int], set[str]] = {}
    for num, versions in installed.items():
        for a in versions:
            for b in versions:
                for shard, (x, y) in enumerate(zip(a, b, strict=True)):
                    if x != y:
                        oracle.setdefault((num, shard), set()).update({x, y})
    want = [(n, s, tuple(sorted(g))) for (n, s), g in sorted(oracle.items())]
    assert ch17.two_homes_reference(installed) == want


# -- wrong answers -----------------------------------------------------------------------------
def dedup_always_applies(last: Any, client: str, number: int, result: Any) -> Any:
    table = [e for e in last if e[0] != client] + [(client, number, result)]
    return result, tuple(sorted(table, key=lambda e: e[0]))


def dedup_appends_entries(last: Any, client: str, number: int, result: Any) -> Any:
    for c, n, stored in last:
        if c == client and number <= n:
            return (stored if number == n else None), tuple(last)
    return result, tuple(sorted([*last, (client, number, result)], key=lambda e: (e[0], e[1])))


def dedup_equal_only(last: Any, client: str, number: int, result: Any) -> Any:
    for c, n, stored in last:
        if c == client and n == number:
            return stored, tuple(last)
    table = [e for e in last if e[0] != client] + [(client, number, result)]
    return result, tuple(sorted(table, key=lambda e: e[0]))


def push_follower_acts(leader: bool, config_num: int, status: str, push_num: int) -> str:
    if push_num > config_num:
        return "ignore"
    return "install" if push_num == config_num and status == "pulling" else "ack"


def push_installs_future(leader: bool, config_num: int, status: str, push_num: int) -> str:
    if not leader:
        return "ignore"
    return "install" if status == "pulling" else "ack" if push_num <= config_num else "ignore"


def push_no_repeat_ack(leader: bool, config_num: int, status: str, push_num: int) -> str:
    if not leader or push_num != config_num:
        return "ignore"
    return "install" if status == "pulling" else "ignore"


def push_installs_any_status(leader: bool, config_num: int, status: str, push_num: int) -> str:
    if not leader or push_num > config_num:
        return "ignore"
    return "install" if push_num == config_num else "ack"


def homes_across_numbers(installed: Any) -> Any:
    out = []
    previous: dict[int, str] = {}
    for num in sorted(installed):
        for version in installed[num]:
            for shard, owner in enumerate(version):
                if shard in previous and previous[shard] != owner:
                    out.append((num, shard, tuple(sorted({previous[shard], owner}))))
                previous[shard] = owner
    return sorted(set(out))


def homes_every_shard(installed: Any) -> Any:
    return [
        (num, shard, tuple(sorted({v[shard] for v in installed[num]})))
        for num in sorted(installed)
        if len(installed[num]) > 1
        for shard in range(len(installed[num][0]))
    ]


def homes_owners_as_found(installed: Any) -> Any:
    out = []
    for num in sorted(installed):
        for shard in range(len(installed[num][0])):
            owners = tuple(v[shard] for v in installed[num])
            if len(set(owners)) > 1:
                out.append((num, shard, owners))
    return out


WRONG = [
    WrongAnswer(IDS[0], dedup_always_applies, "examples", "applies a retry again"),
    WrongAnswer(IDS[0], dedup_appends_entries, "examples", "one entry per client"),
    WrongAnswer(IDS[0], dedup_equal_only, "examples", "old copy"),
    WrongAnswer(IDS[1], push_follower_acts, "examples", "Your follower acts"),
    WrongAnswer(IDS[1], push_installs_future, "examples", "has not reached"),
    WrongAnswer(IDS[1], push_no_repeat_ack, "examples", "Acknowledge it again"),
    WrongAnswer(IDS[1], push_installs_any_status, "examples", "undo the writes"),
    WrongAnswer(IDS[2], homes_across_numbers, "examples", "that is a migration"),
    WrongAnswer(IDS[2], homes_every_shard, "examples", "versions agree on"),
    WrongAnswer(IDS[2], homes_owners_as_found, "examples", "each group once"),
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
    ("exercise_id", "answer"),
    [
        (IDS[0], dedup_equal_only),
        (IDS[1], push_installs_future),
        (IDS[1], push_no_repeat_ack),
        (IDS[2], homes_every_shard),
    ],
)
def test_the_property_alone_catches_wrong_answers(exercise_id: str, answer: Any) -> None:
    assert not ex.stage_checks(exercise_id)["properties"](answer).ok


@pytest.mark.parametrize("exercise_id", IDS)
def test_each_mistake_recognises_its_wrong_answers_and_no_other(exercise_id: str) -> None:
    """A hint chosen by behaviour names the mistake the answer made: each ``Mistake`` of the
    exercise recognises first exactly the wrong answers whose expected hint is its own, and
    neither the other wrong answers nor the solution."""
    stages = ex.get_exercise(exercise_id).stages
    mistakes = tuple(m for s in stages if isinstance(s, Examples) for m in s.mistakes)
    rows = [r for r in WRONG if r.exercise == exercise_id]
    for mistake in mistakes:
        mine = [r for r in rows if recognise(r.answer, mistakes) is mistake]
        assert mine, f"no known-wrong answer makes the mistake {mistake.name!r}"
        for row in mine:
            assert row.hint in mistake.hint, (mistake.name, row.id, row.hint)
        assert recognise(ex.load_solution(exercise_id), (mistake,)) is None
