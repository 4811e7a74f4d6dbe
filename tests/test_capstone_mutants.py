"""The capstone's checks catch every mutant of dslib.capstone.shardkv, by name; the correct
store passes them all."""

from __future__ import annotations

import pytest

from dslib.capstone.shardkv import MUTANTS
from dslib.capstone.suite import (
    CHECKS,
    MUTANT_CHECKS,
    capstone_checks,
    capstone_mutants,
    catch_rate,
    retry_run,
)
from dslib.mutants import mutant_table, run_mutants


def test_every_mutant_has_named_checks_that_exist() -> None:
    assert sorted(MUTANT_CHECKS) == sorted(MUTANTS)
    assert all(c in CHECKS for checks in MUTANT_CHECKS.values() for c in checks)


def test_the_checks_catch_every_mutant_and_pass_the_correct_store() -> None:
    report = run_mutants(
        lambda: None, capstone_mutants(), capstone_checks(seeds=[1]), all_checks=False
    )
    assert report.ok, report.problems()
    table = mutant_table(report)
    assert list(table["mutant"]) == ["correct version", *MUTANTS]
    for m in report.mutants:
        assert set(m.caught_by) == set(MUTANT_CHECKS[m.name])


def test_a_retried_append_across_a_move_is_applied_once_only_with_the_table() -> None:
    good, bad = retry_run(2), retry_run(2, "forgets_dedup_table")
    assert good.doubled == () and good.lost == ()
    assert len(bad.doubled) == 1  # the one append retried across the move


@pytest.mark.parametrize("mutant", ["forgets_dedup_table", "controller_reuses_number"])
def test_scripted_scenarios_catch_their_mutant_on_every_seed(mutant: str) -> None:
    (check,) = MUTANT_CHECKS[mutant]
    assert catch_rate(mutant, check, [3, 4]) == (2, 2)


def test_unknown_checks_and_seeds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown check 'nope'"):
        catch_rate("forgets_dedup_table", "nope", [1])
    with pytest.raises(TypeError, match="seed '1' is not an int"):
        capstone_checks(seeds=["1"])  # type: ignore[list-item]
