"""Acceptance of find_bug, the other half: with the same budget it finds nothing in the correct
registers (20 hypothesis seeds each: 5 in make test, all 20 in the deep run of make soak), and
nothing in the buggy ones when it may inject no fault: their bugs need a fault to show. Also the
correct versions under the asynchronous model, where any timer may fire at any moment."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from conftest import seeds
from dslib import System
from dslib.consistency import Register, check_linearizable
from dslib.mutants import assert_mutants_caught, mutant_table
from dslib.sim.clients import Reply, Request
from dslib.small_systems.registers import (
    PRIMARY_BACKUP_BUGS,
    Copy,
    Fetch,
    Replicate,
    Snapshot,
    default_workloads,
    primary_backup,
    primary_backup_mutants,
    quorum_mutants,
    quorum_register,
    register_checks,
)
from dslib.testing import Crash, Deliver, Fire, Invoke, Restart, Stepper, find_bug

SEEDS = seeds(20, quick=5)


def linearizable(history: Any) -> Any:
    return check_linearizable(history, Register())


def quorums(read: int, write: int) -> Callable[[], System]:
    def make() -> System:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return quorum_register(read_quorum=read, write_quorum=write)

    return make


CORRECT: dict[str, Callable[[], System]] = {
    "primary-backup": primary_backup,
    "quorums R=2, W=2": quorums(2, 2),
}

BUGGY: dict[str, Callable[[], System]] = {
    **{bug: (lambda bug=bug: primary_backup(mutant=bug)) for bug in PRIMARY_BACKUP_BUGS},
    "quorums R=1, W=2": quorums(1, 2),
    "quorums R=1, W=1": quorums(1, 1),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(CORRECT))
def test_correct_versions_pass(name: str, seed: int) -> None:
    result = find_bug(CORRECT[name], consistency=linearizable, seed=seed)
    assert result.ok, str(result)
    assert str(result) == f"no bug found in 600 examples (seed {seed})"  # the default budget


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("name", list(BUGGY))
def test_buggy_versions_pass_without_faults(name: str, seed: int) -> None:
    result = find_bug(BUGGY[name], consistency=linearizable, seed=seed, faults=())
    assert result.ok, str(result)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("name", list(CORRECT))
def test_correct_versions_pass_when_any_timer_may_fire(name: str, seed: int) -> None:
    result = find_bug(CORRECT[name], consistency=linearizable, seed=seed, timers="any")
    assert result.ok, str(result)


def test_a_premature_timeout_is_enough_in_the_asynchronous_model() -> None:
    # With timers that may fire at any moment, the primary can go on alone although its
    # backup is up and reachable: a crash after that is the only fault the bug needs.
    system = primary_backup(mutant="forget-when-alone")
    request = Request("c1", 1, "write", None, 1)
    replicate = Replicate(1, Copy(1, 1, (("c1", 1),)))
    steps = [
        Invoke("c1"),
        Deliver("c1", "primary", request),
        Fire("primary", "replicate"),  # early: the Replicate is still on its way
        Deliver("primary", "c1", Reply(1, True, 1)),
        Crash("primary"),
        Restart("primary"),
        Deliver("primary", "backup", Fetch(2)),  # overtakes the old Replicate
        Deliver("backup", "primary", Snapshot(2, Copy())),
        Invoke("c1"),
        Deliver("c1", "primary", Request("c1", 2, "read")),
        Deliver("primary", "c1", Reply(2, True, None)),
    ]
    for timers, allowed in (("any", True), ("timely", False)):
        stepper = Stepper(system, timers=timers)
        ok = True
        for step in steps:
            ok = ok and stepper.allowed(step)
            stepper.apply(step)
        assert ok is allowed
        assert Deliver("primary", "backup", replicate) in [Deliver(*m) for m in stepper.in_flight()]
        assert not linearizable(stepper.sim.history).ok


# -- the mutant tables of section 3.3 -------------------------------------------------------------
TEN_OPERATIONS = {"clients": 1, "workload": default_workloads(1, 10)}


def test_the_checks_catch_every_primary_backup_mutant() -> None:
    report = assert_mutants_caught(
        lambda: lambda: primary_backup(**TEN_OPERATIONS),
        primary_backup_mutants(**TEN_OPERATIONS),
        register_checks(("primary", "backup")),
    )
    table = mutant_table(report)
    assert table["caught by"].iloc[0] == "none: passes all 2 checks"
    assert "find_bug" in table["caught by"].iloc[1]


def test_the_checks_catch_every_quorum_mutant() -> None:
    report = assert_mutants_caught(
        lambda: lambda: quorum_register(**TEN_OPERATIONS),
        quorum_mutants(**TEN_OPERATIONS),
        register_checks(("r1", "r2", "r3")),
    )
    assert all(m.caught_by == ("find_bug", "sweep") for m in report.mutants)
