"""Deterministic ordering of cross-shard transactions (dslib.sharding.calvin)."""

from __future__ import annotations

import pytest

from dslib.consistency.isolation import check_isolation, serializable_by_enumeration
from dslib.mutants import assert_mutants_caught
from dslib.sharding.calvin import ordered_checks, ordered_mutants, run_ordered


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_every_history_is_strict_serializable_and_complete(seed: int) -> None:
    run = run_ordered(seed)
    assert len(run.history) == 12
    assert check_isolation(run.history, level="strict-serializable").ok is True


@pytest.mark.parametrize("seed", [1, 2])
def test_the_checker_agrees_with_brute_force_on_small_runs(seed: int) -> None:
    # Small histories: the oracle tries every order of the transactions.
    for mutant in (None, "arrival_order"):
        run = run_ordered(seed, clients=2, transactions=3, mutant=mutant)
        fast = check_isolation(run.history, level="serializable").ok
        assert fast == (serializable_by_enumeration(run.history) is not None)


def test_the_mutant_is_caught_by_its_named_check() -> None:
    assert_mutants_caught(lambda: None, ordered_mutants(), ordered_checks())


def test_executing_in_arrival_order_breaks_serializability_in_some_seeds() -> None:
    verdicts = [
        check_isolation(run_ordered(s, mutant="arrival_order").history, level="serializable").ok
        for s in range(1, 11)
    ]
    assert verdicts.count(False) >= 2


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="clients=0"):
        run_ordered(clients=0)
    with pytest.raises(ValueError, match="arrival"):
        run_ordered(mutant="nope")
    with pytest.raises(ValueError, match="at least one seed"):
        ordered_checks(seeds=[])
