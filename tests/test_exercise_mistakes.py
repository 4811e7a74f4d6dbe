"""Hints chosen by behaviour: every usual mistake an exercise recognises (``Mistake``) gets its
hint for the wrong answer that makes it, and recognises neither the reference solution nor any
other known-wrong answer of the same exercise.

The wrong answers below are the mistakes a reader's answer made in an independent review of the
hints (issue 17): each once got a hint that blamed another mistake (ignoring ``q`` was told "off
by one"; a dedup table keyed by client alone was told "the reply carries the request's id")."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

import pytest
import test_exercises
import test_exercises_ch02
import test_exercises_ch02_ch12
import test_exercises_ch03
import test_exercises_ch04
import test_exercises_ch04_ch05
import test_exercises_ch05
import test_exercises_ch06
import test_exercises_ch06_ch13
import test_exercises_ch07
import test_exercises_ch08
import test_exercises_ch09
import test_exercises_ch10
import test_exercises_ch11
import test_exercises_ch12
import test_exercises_ch13
import test_exercises_ch14
import test_exercises_ch15
import test_exercises_ch16
import test_exercises_ch17
import test_percolator

import dslib.exercises as ex
from conftest import quiet_check
from dslib.core import Context, Node
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems
from dslib.exercises.stages import Examples, Mistake, recognise
from dslib.sharding import rendezvous_score
from dslib.sim import Reply


# -- the answers that make each mistake ---------------------------------------------------------
def pct_ignores_q(latencies: list[int], q: int) -> int:
    if not latencies:
        raise ValueError("empty")
    s = sorted(latencies)
    return s[len(s) // 2]


def phi_min_std_as_spread(elapsed: float, intervals: list[float], min_std: float) -> float:
    if not intervals:
        raise ValueError("empty")
    z = (elapsed - statistics.fmean(intervals)) / (min_std * math.sqrt(2))
    p = 0.5 * math.erfc(z)
    return math.inf if p == 0 else -math.log10(p)


def gossip_both_ends(informed: set[str], choices: dict[str, str], mode: str) -> set[str]:
    new = set(informed)
    for i, p in choices.items():
        if i in informed or p in informed:
            new |= {i, p}
    return new


def lc_first_healthy(backends: list[str], outstanding: dict[str, int], healthy: set[str]) -> Any:
    return next((b for b in backends if b in healthy), None)


def rdv_skips_best(key: str, nodes: list[str], replicas: int) -> list[str]:
    if not 1 <= replicas <= len(nodes):
        raise ValueError("replicas")
    ranked = sorted(nodes, key=lambda n: (-rendezvous_score(n, key), n))
    return ranked[1 : replicas + 1]


@dataclass(frozen=True)
class ClientKeyedState:
    counter: int = 0
    replies: tuple[tuple[str, Reply], ...] = ()


class ServerKeyedByClientOnly(Node[ClientKeyedState]):
    """Remembers one reply per client: a client's second request looks like a retry."""

    def init(self, ctx: Context) -> ClientKeyedState:
        return ClientKeyedState()

    def on_message(
        self, ctx: Context, state: ClientKeyedState, src: str, msg: Any
    ) -> ClientKeyedState:
        for client, reply in state.replies:
            if client == msg.client:
                ctx.send(src, reply)
                return state
        counter = state.counter + msg.value
        reply = Reply(msg.request_id, True, counter)
        ctx.send(src, reply)
        return ClientKeyedState(counter, (*state.replies, (msg.client, reply)))


# Each row: the wrong answer, the stage that must catch it, words its hint must contain.
BY_BEHAVIOUR = [
    WrongAnswer("ch01.percentile", pct_ignores_q, "examples", "whatever q is"),
    WrongAnswer("ch04.phi", phi_min_std_as_spread, "examples", "min_std itself"),
    WrongAnswer("ch05.gossip_round", gossip_both_ends, "examples", "both ends of every contact"),
    WrongAnswer("ch06.least_connections", lc_first_healthy, "examples", "first healthy backend"),
    WrongAnswer("ch13.rendezvous", rdv_skips_best, "examples", "leaves out the best node"),
    WrongAnswer("ch01.dedup_server", ServerKeyedByClientOnly, "examples", "(client, request_id)"),
]

# What the same answers were told before the hints were chosen by behaviour: none of it may
# come back.
OLD_BLAME = {
    "pct_ignores_q": "Off by one",
    "phi_min_std_as_spread": "rounds to 0",
    "gossip_both_ends": "START of the round",
    "lc_first_healthy": "min, not max",
    "rdv_skips_best": "rendezvous_score(node, key): the node first",
    "ServerKeyedByClientOnly": "The reply carries the request's id",
}


@pytest.mark.parametrize("row", BY_BEHAVIOUR, ids=[row.id for row in BY_BEHAVIOUR])
def test_a_mistake_gets_the_hint_that_names_it(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    result = quiet_check(row.exercise, row.answer, capsys)
    assert not rejection_problems(row, result), rejection_problems(row, result)
    old = OLD_BLAME.get(row.answer.__name__)
    assert old is None or old not in (result.hint or "")


def _mistakes(exercise_id: str) -> tuple[Mistake, ...]:
    stages = ex.get_exercise(exercise_id).stages
    return tuple(m for s in stages if isinstance(s, Examples) for m in s.mistakes)


KNOWN_WRONG = [
    *test_exercises.WRONG,
    *test_exercises_ch02_ch12.WRONG,
    *test_exercises_ch03.WRONG,
    *test_exercises_ch04_ch05.WRONG,
    *test_exercises_ch02.WRONG,
    *test_exercises_ch04.WRONG,
    *test_exercises_ch05.WRONG,
    *test_exercises_ch06.WRONG,
    *test_exercises_ch06_ch13.WRONG,
    *test_exercises_ch07.WRONG,
    *test_exercises_ch08.WRONG,
    *test_exercises_ch09.WRONG,
    *test_exercises_ch10.WRONG,
    *test_exercises_ch11.WRONG,
    *test_exercises_ch12.WRONG,
    *test_exercises_ch12.WRONG_BOOTSTRAP,
    *test_exercises_ch12.WRONG_CONFLICTS,
    *test_exercises_ch13.ALL_WRONG,
    *test_exercises_ch14.WRONG,
    *test_exercises_ch15.WRONG,
    *test_exercises_ch16.WRONG,
    *test_exercises_ch17.WRONG,
    *test_percolator.PR_WRONG,
    *BY_BEHAVIOUR,
]
WITH_MISTAKES = sorted({e.id for e in ex.all_exercises() if _mistakes(e.id)})


def test_the_exercises_with_mistakes_are_the_reviewed_ones() -> None:
    assert WITH_MISTAKES == [
        "ch01.percentile",
        "ch02.causal_delivery",
        "ch02.commit_wait",
        "ch02.consistent_cut",
        "ch02.happened_before",
        "ch02.hlc_receive",
        "ch02.put_with_context",
        "ch03.find_cti",
        "ch03.shortest_trace",
        "ch03.tm_agreement",
        "ch04.first_probe",
        "ch04.om1_decide",
        "ch04.phi",
        "ch04.swim_override",
        "ch05.can_read",
        "ch05.gossip_round",
        "ch05.may_retry",
        "ch05.outbox_check",
        "ch06.least_connections",
        "ch06.maglev",
        "ch06.power_of_two",
        "ch06.smooth_weighted_round_robin",
        "ch09.characteristic_time",
        "ch09.lru_hits",
        "ch09.min_victim",
        "ch10.desired_replicas",
        "ch10.fence",
        "ch10.first_fit_decreasing",
        "ch11.linearize",
        "ch11.monotonic_reads",
        "ch11.read_your_writes",
        "ch12.bootstrap",
        "ch12.conflicts",
        "ch12.prefix_reads",
        "ch12.siblings",
        "ch13.hold_back",
        "ch13.index_update",
        "ch13.percolator_read",
        "ch13.rendezvous",
        "ch13.split_points",
        "ch16.attenuate",
        "ch16.replay_window",
        "ch16.token_usable",
        "ch17.dedup",
        "ch17.push_rule",
        "ch17.two_homes",
    ]


@pytest.mark.parametrize("exercise_id", WITH_MISTAKES)
def test_each_mistake_recognises_its_answers_and_no_other(exercise_id: str) -> None:
    """Every known-wrong answer that a mistake recognises first is one whose expected hint is
    that mistake's (at least one is); every other known-wrong answer of the exercise, and the
    reference solution, are not recognised by it, so its hint never blames them."""
    mistakes = _mistakes(exercise_id)
    # prepared as the check prepares them (with a step limit where the exercise has one: an
    # answer whose search never ends must not run for ever here either)
    prepare = ex.get_exercise(exercise_id).answer.prepare
    rows = [r for r in KNOWN_WRONG if r.exercise == exercise_id]
    for mistake in mistakes:
        mine = [r for r in rows if recognise(prepare(r.answer), mistakes) is mistake]
        assert mine, f"no known-wrong answer makes the mistake {mistake.name!r}"
        for row in mine:
            assert row.hint in mistake.hint, (mistake.name, row.id, row.hint)
        assert len(mine) < len(rows), f"{exercise_id}: no other wrong answer to tell apart"
        assert recognise(prepare(ex.load_solution(exercise_id)), (mistake,)) is None
