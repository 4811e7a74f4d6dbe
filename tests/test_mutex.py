"""Tests of the mutual-exclusion protocols: which are safe, which are live, shortest traces."""

from __future__ import annotations

import pytest

from dslib.check import ActorModel, check, replay
from dslib.small_systems.mutex import (
    MUTANTS,
    CheckThenSet,
    MutexState,
    Peterson,
    Polite,
    RicartAgrawala,
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
        system = ricart_agrawala(n, mutant="tie_by_timestamp")
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


def test_ricart_agrawala_mutant_is_validated_against_the_table() -> None:
    assert sorted(MUTANTS) == ["tie_by_timestamp"]
    with pytest.raises(ValueError, match=r"unknown mutant 'typo'; allowed: .*'tie_by_timestamp'"):
        ricart_agrawala(2, mutant="typo")
    with pytest.raises(ValueError, match="unknown mutant"):
        RicartAgrawala(mutant="buggy")
    with pytest.raises(ValueError, match="not both"):
        ricart_agrawala(2, mutant="tie_by_timestamp", buggy=True)
    with pytest.raises(TypeError, match="True or False"):
        ricart_agrawala(2, buggy="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("old", [{"buggy": True}, {"buggy": False}])
def test_ricart_agrawala_old_buggy_spelling_warns_and_behaves_the_same(
    old: dict[str, bool],
) -> None:
    new = "tie_by_timestamp" if old["buggy"] else None
    with pytest.warns(DeprecationWarning, match=rf"buggy={old['buggy']}\) is deprecated: write "):
        system = ricart_agrawala(2, **old)
    assert repr(system) == repr(ricart_agrawala(2, mutant=new))
    r_old = check(ActorModel(system), invariants=[at_most_one_critical])
    r_new = check(ActorModel(ricart_agrawala(2, mutant=new)), invariants=[at_most_one_critical])
    assert (r_old.ok, r_old.distinct_states) == (r_new.ok, r_new.distinct_states)
    if not r_old.ok:
        assert [str(a) for a in r_old.counterexample.actions] == [
            str(a) for a in r_new.counterexample.actions
        ]
    assert r_old.ok is (new is None)
    # The old positional flag, RicartAgrawala(True), warns the same way.
    with pytest.warns(DeprecationWarning, match="mutant='tie_by_timestamp'"):
        assert RicartAgrawala(True).mutant == "tie_by_timestamp"  # type: ignore[arg-type]
