"""Tests of dslib.clocks.truetime: the external-consistency check against a brute-force oracle on
random histories, commit wait keeping the promise on random runs with its wait of 2 * epsilon,
and each mutant of the commit rule caught."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.clocks.truetime import (
    MUTANTS,
    Client,
    Leader,
    Transaction,
    commit_history,
    commit_waits,
    external_consistency,
    truetime_catch_rate,
    truetime_mutant_table,
    truetime_run,
    tt_now,
)

TIMES = st.integers(0, 12).map(float)


@st.composite
def histories(draw: st.DrawFn) -> list[Transaction]:
    out = []
    for i in range(draw(st.integers(0, 6))):
        start = draw(TIMES)
        ack = start + draw(TIMES)
        out.append(Transaction(f"t{i}", "A", start, ack, draw(TIMES)))
    return out


def oracle(history: list[Transaction]) -> bool:
    return all(
        not (t1.ack < t2.start) or t1.timestamp < t2.timestamp
        for t1 in history
        for t2 in history
        if t1 is not t2
    )


@settings(max_examples=200, deadline=None, database=None)
@given(histories())
def test_the_check_agrees_with_a_brute_force_oracle(history: list[Transaction]) -> None:
    assert external_consistency(history).ok == oracle(history)


@settings(max_examples=10, deadline=None, database=None)
@given(st.integers(1, 5), st.integers(1, 4), st.floats(0.0, 6.0), st.integers(0, 10_000))
def test_commit_wait_keeps_external_consistency_and_waits_two_epsilon(
    leaders: int, clients: int, epsilon: float, seed: int
) -> None:
    sim = truetime_run(leaders, clients, 4, epsilon, seed)
    history = commit_history(sim)
    assert len(history) == 4 * clients
    assert external_consistency(history).ok
    assert all(w == pytest.approx(2 * epsilon, abs=1e-6) for w in commit_waits(sim))


def test_every_mutant_is_caught_in_nearly_every_run() -> None:
    table = truetime_mutant_table(seeds=10)  # raises if the correct leader fails
    assert sorted(m for m in table["mutant"] if m != "correct version") == sorted(MUTANTS)
    for name in MUTANTS:
        caught, runs = truetime_catch_rate(name, range(20))
        assert caught >= 19 and runs == 20, (name, caught)


def test_arguments_are_validated() -> None:
    assert tt_now(10.0, 2.0).width == 4.0
    with pytest.raises(ValueError, match="epsilon"):
        tt_now(1.0, -1.0)
    with pytest.raises(ValueError, match="epsilon"):
        Leader(epsilon=-2.0)
    with pytest.raises(ValueError, match="unknown mutant"):
        Leader(mutant="late")
    with pytest.raises(ValueError, match="leaders"):
        Client([])
    with pytest.raises(ValueError, match="must be ints"):
        truetime_run(clients=0)
    with pytest.raises(TypeError, match="not a Transaction"):
        external_consistency([("t1", 0.0)])  # type: ignore[list-item]
