"""Tests of the mutual-exclusion protocols: which are safe, which are live, shortest traces."""

from __future__ import annotations

import pytest

from dslib.check import ActorModel, check, replay
from dslib.small_systems.mutex import (
    CheckThenSet,
    MutexState,
    Peterson,
    Polite,
    all_done,
    at_most_one_critical,
    mutual_exclusion,
    ricart_agrawala,
    someone_critical,
)


def test_check_then_set_is_unsafe_in_four_steps() -> None:
    # p1 reads the lock free, p2 reads it free, p1 sets it, p2 sets it: 4 steps; no
    # shorter trace exists (each process needs a read and a set to get in).
    r = check(CheckThenSet(), invariants=[mutual_exclusion])
    assert not r.ok and len(r.counterexample) == 4
    assert r.counterexample.final.pc == ("critical", "critical")


def test_polite_is_safe_and_peterson_is_safe_and_live() -> None:
    assert check(Polite(), invariants=[mutual_exclusion]).ok
    r = check(Peterson(), invariants=[mutual_exclusion], eventually=[someone_critical])
    assert r.ok and r.complete
    # Asked to, the checker reports the end (both processes done) as a deadlock: 8 steps,
    # 4 per process (raise flag, give turn, enter, leave).
    r = check(Peterson(), deadlock=True, invariants=[mutual_exclusion])
    assert r.kind == "deadlock" and len(r.counterexample) == 8


def test_ricart_agrawala_buggy_tie_break_shortest_trace() -> None:
    # Both processes' "want" timers fire (2), each request arrives and is answered
    # (2), each reply arrives (2): 6 steps; each process needs its own request out,
    # the other's reply, and that reply needs the request delivered.
    for n, length in ((2, 6), (3, 10)):
        # With 3, the third process must also answer both requests (2 more
        # deliveries) and its replies must arrive (2 more): 10.
        system = ricart_agrawala(n, buggy=True)
        r = check(ActorModel(system), invariants=[at_most_one_critical])
        assert not r.ok and len(r.counterexample) == length
        replay(system, r.counterexample)


@pytest.mark.parametrize("n", [2, 3])
def test_ricart_agrawala_is_safe_and_live(n: int) -> None:
    r = check(
        ActorModel(ricart_agrawala(n)), invariants=[at_most_one_critical], eventually=[all_done]
    )
    assert r.ok and r.complete


def test_mutex_state_and_validation() -> None:
    s = MutexState(("start", "critical"))
    assert mutual_exclusion(s) and someone_critical(s)
    with pytest.raises(ValueError, match="n=1 must be an int >= 2"):
        ricart_agrawala(1)
