"""Tests of dslib.failure.swim_checks: SWIM's mutants, each caught by its named check."""

from __future__ import annotations

import pytest

from dslib.failure import SwimNode, Update, apply_update, swim_experiment
from dslib.failure.swim_checks import (
    SWIM_CHECKS,
    SWIM_MUTANT_CHECKS,
    SWIM_MUTANTS,
    newer_by_order,
    precedence_oracle,
    refutation,
    swim_catch_rate,
    swim_mutant_report,
    swim_mutant_table,
)

SEEDS = range(2)  # over range(20): no_indirect_probes 19 of 20, the others 20 of 20


def test_every_swim_mutant_is_caught_by_its_named_check_and_the_correct_version_by_none() -> None:
    report = swim_mutant_report(seeds=len(SEEDS))
    assert report.problems() == []
    for name in SWIM_MUTANTS:
        for check in SWIM_MUTANT_CHECKS[name]:
            caught, runs = swim_catch_rate(name, check, SEEDS)
            assert caught >= 0.9 * runs, f"{name} caught by {check} in {caught} of {runs} runs"
    for check in SWIM_CHECKS:
        caught, runs = swim_catch_rate(None, check, SEEDS)
        assert caught == 0, f"the correct SWIM fails {check} in {caught} of {runs} runs"
    table = swim_mutant_table(seeds=1)  # the same runs, cached
    assert list(table["mutant"]) == ["correct version", *SWIM_MUTANTS]
    assert table["caught in"].iloc[0] == "0 of 1"


def test_the_precedence_oracle_agrees_with_apply_update_and_the_hand_written_rules() -> None:
    pairs = [(s, i) for s in ("alive", "suspect", "dead") for i in range(4)]
    for view in pairs:
        for rumour in pairs:
            assert apply_update(view, Update("m", *rumour)) == newer_by_order(view, rumour), (
                view,
                rumour,
            )
    # the paper's rules, case by case (Das et al. 2002, section 4.2)
    assert newer_by_order(("alive", 1), ("suspect", 1))
    assert not newer_by_order(("suspect", 1), ("alive", 1))
    assert newer_by_order(("suspect", 1), ("alive", 2))
    assert not newer_by_order(("suspect", 2), ("suspect", 2))
    assert newer_by_order(("alive", 9), ("dead", 0))
    assert not newer_by_order(("dead", 0), ("alive", 9))


def test_the_deterministic_checks_pass_the_correct_node_and_name_what_a_mutant_broke() -> None:
    assert precedence_oracle(SwimNode()).ok and refutation(SwimNode()).ok
    broken = precedence_oracle(SwimNode(mutant="alive_beats_suspect"))
    assert not broken.ok and broken.counterexample_length == 3  # alive i over suspect i, i<3
    assert broken.detail.startswith("('suspect', 0) <- ('alive', 0): the node took it")
    assert refutation(SwimNode(mutant="no_suspicion")).ok  # suspicion is not refutation


def test_swim_mutants_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown mutant 'no_gossip'; allowed: None or one of"):
        SwimNode(mutant="no_gossip")
    with pytest.raises(ValueError, match="unknown mutant"):
        apply_update(("alive", 0), Update("m", "alive", 1), mutant="typo")
    with pytest.raises(ValueError, match="unknown mutant"):
        swim_experiment(n=4, mutant="typo")
    with pytest.raises(ValueError, match="needs protocol='swim'"):
        swim_experiment(n=4, protocol="all-to-all", mutant="no_suspicion")
    with pytest.raises(ValueError, match="unknown check"):
        swim_catch_rate(None, "liveness", SEEDS)
    with pytest.raises(ValueError, match="seeds=0"):
        swim_mutant_report(seeds=0)
    assert repr(SwimNode(mutant="no_refute")) == "SwimNode(k=3, suspicion=True, mutant='no_refute')"
