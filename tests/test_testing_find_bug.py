"""Acceptance of find_bug: it finds each register bug that needs a fault, in each of 20 runs with
different hypothesis seeds (5 in make test, all 20 in the deep run of make soak), within its
default budget, and shrinks the failing schedule below a bound; it finds the bugs of
dslib.small_systems.fault_bugs (1, 2 and 3 faults in order) and shrinks them near the
hand-written minimum; a broken invariant or consistency check is reported as an error in the check,
never as a bug found. (The correct versions and the fault-free runs are in
test_testing_correct.py; the find rates over 20 seeds are measured by
benchmarks/bench_find_bug.py.)"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from conftest import seeds
from dslib import System
from dslib.consistency import Register, check_linearizable
from dslib.sim.clients import Client, Request
from dslib.small_systems.fault_bugs import (
    HAND_WRITTEN,
    MUTANTS,
    PRIMARY_BACKUP_HAND_WRITTEN,
    CounterServer,
    counted_once,
    counter,
)
from dslib.small_systems.registers import primary_backup, quorum_register
from dslib.testing import (
    CheckError,
    Crash,
    Duplicate,
    Fire,
    Lose,
    Restart,
    Split,
    find_bug,
    replay,
    sweep,
)

SEEDS = seeds(20, quick=5)


def linearizable(history: Any) -> Any:
    return check_linearizable(history, Register())


def quorums(read: int, write: int) -> Callable[[], System]:
    def make() -> System:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # R + W <= N on purpose
            return quorum_register(read_quorum=read, write_quorum=write)

    return make


# name: (factory, the longest shrunk schedule allowed, the faults the bug needs)
BUGGY: dict[str, tuple[Callable[[], System], int, tuple[type, ...]]] = {
    "ack-before-replicate": (
        lambda: primary_backup(mutant="ack-before-replicate"),
        16,
        (Crash,),
    ),
    "forget-when-alone": (
        lambda: primary_backup(mutant="forget-when-alone"),
        16,
        (Crash,),
    ),
    # 25: about 1.5 times the 17 steps of the shortest schedule seen (03.03 shows one).
    "quorums R=1, W=2": (quorums(1, 2), 25, (Crash, Split, Lose)),
    "quorums R=1, W=1": (quorums(1, 1), 20, (Crash, Split, Lose)),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(BUGGY))
def test_find_bug_finds_the_bug_and_shrinks_it(name: str, seed: int) -> None:
    factory, bound, needs = BUGGY[name]
    result = find_bug(factory, consistency=linearizable, seed=seed)
    if name in ("ack-before-replicate", "forget-when-alone"):
        # The primary crashes, restarts and serves a read that misses an acknowledged write.
        assert Crash("primary") in result.schedule and Restart("primary") in result.schedule
    assert not result.ok, f"{name}, seed {seed}: {result}"
    assert result.violated == "consistency"
    assert len(result.schedule) <= bound, str(result)
    assert any(isinstance(step, needs) for step in result.schedule), str(result)
    # The schedule replays: the same history, rejected by the same check.
    assert not linearizable(result.replay().history).ok
    # A timeout fires only because a fault made the network quiet.
    if any(isinstance(s, Fire) for s in result.schedule):
        assert any(isinstance(s, (Crash, Split, Lose, Duplicate)) for s in result.schedule)


# -- the benchmark's bugs (benchmarks/bench_find_bug.py): 1, 2 and 3 faults in order ---------------
FAULTS_NEEDED = {"no-dedup": 1, "dedup-in-memory": 2, "mirror-in-memory": 3}
FAULT_STEPS = (Lose, Duplicate, Crash, Split)


@pytest.mark.parametrize("bug", MUTANTS)
def test_hand_written_schedules_break_the_buggy_counter_only(bug: str) -> None:
    schedule = HAND_WRITTEN[bug]
    assert not counted_once(replay(counter(mutant=bug), schedule).states)
    # Without its last step (the second copy arriving) it does not break.
    assert counted_once(replay(counter(mutant=bug), schedule[:-1]).states)
    if bug != "mirror-in-memory":  # the correct counter has no mirror to send to
        assert counted_once(replay(counter(), schedule).states)


@pytest.mark.parametrize("bug", list(PRIMARY_BACKUP_HAND_WRITTEN))
def test_hand_written_schedules_break_primary_backup(bug: str) -> None:
    clients = 2 if bug == "no-dedup" else 1
    schedule = PRIMARY_BACKUP_HAND_WRITTEN[bug]
    assert not linearizable(
        replay(primary_backup(mutant=bug, clients=clients), schedule).history
    ).ok
    assert linearizable(
        replay(primary_backup(mutant=bug, clients=clients), schedule[:-1]).history
    ).ok


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("bug", MUTANTS)
def test_find_bug_finds_each_counter_bug_and_shrinks_it_near_the_minimum(
    bug: str, seed: int
) -> None:
    def make() -> System:
        return counter(mutant=bug, clients=2, operations=3)

    result = find_bug(make, invariants=counted_once, seed=seed)
    assert not result.ok and result.violated == "counted_once", str(result)
    assert len(result.schedule) <= 2 * len(HAND_WRITTEN[bug]), str(result)  # median: bench
    # A second copy (a duplicate, or a retry after a crash) and the faults that forget it.
    faults = sum(isinstance(step, FAULT_STEPS) for step in result.schedule)
    assert faults >= FAULTS_NEEDED[bug], str(result)
    # The shrunk schedule replays to the same failure.
    assert not counted_once(replay(make(), result.schedule).states)


@pytest.mark.parametrize("seed", range(3))
def test_find_bug_passes_the_correct_counter(seed: int) -> None:
    result = find_bug(lambda: counter(clients=2, operations=3), counted_once, seed=seed)
    assert result.ok, str(result)


@pytest.mark.parametrize("seed", range(2))
def test_find_bug_finds_no_dedup_with_two_clients(seed: int) -> None:
    # One duplicate, delivered after the other client's write: a bug of ordering.
    result = find_bug(
        lambda: primary_backup(mutant="no-dedup", clients=2), consistency=linearizable, seed=seed
    )
    assert not result.ok, str(result)
    assert not linearizable(result.replay().history).ok


# -- errors in the reader's checks are errors in the checks, not bugs ------------------------------
def _counter() -> System:
    return counter(mutant="dedup-in-memory")


def test_an_invariant_that_raises_is_reported_as_an_error_in_the_check() -> None:
    def server_counts(states: dict[str, Any]) -> bool:
        return bool(states["server"].count >= 0)  # KeyError while the server is down

    with pytest.raises(
        CheckError,
        match=r"invariant 'server_counts' raised KeyError: 'server' "
        r"after step \d+ \(crash server\)\. This is an error in the check",
    ) as info:
        find_bug(_counter, server_counts)
    assert info.value.check == "invariant 'server_counts'"
    assert isinstance(info.value.__cause__, KeyError)


def test_a_check_that_returns_something_else_is_reported() -> None:
    with pytest.raises(
        CheckError,
        match=r"invariant 'half' returned int 3 on the initial states; "
        r"a check must return a bool or an object with a boolean 'ok'",
    ):
        find_bug(_counter, {"half": lambda states: 3})
    with pytest.raises(CheckError, match=r"consistency returned NoneType None at the end"):
        find_bug(_counter, consistency=lambda history: None, faults=())


def test_a_check_with_the_wrong_signature_is_reported_before_the_search() -> None:
    with pytest.raises(
        CheckError,
        match=r"consistency must be a function of one argument "
        r"\(the run's History\); its signature is \(history, model\)",
    ):
        find_bug(_counter, consistency=lambda history, model: True)
    with pytest.raises(CheckError, match=r"invariant 'both' must be a function of one argument"):
        find_bug(_counter, {"both": lambda states, history: True})


def test_a_consistency_check_that_raises_is_reported() -> None:
    def reads(history: Any) -> bool:
        raise RuntimeError("not written yet")

    with pytest.raises(CheckError, match="consistency raised RuntimeError: not written yet"):
        find_bug(_counter, consistency=reads)


def test_sweep_reports_a_broken_check_too() -> None:
    with pytest.raises(CheckError, match=r"check returned str 'yes' at the end"):
        sweep(lambda: counter(), seeds=range(2), check=lambda sim: "yes")
    with pytest.raises(CheckError, match=r"invariant 'broken' raised ZeroDivisionError"):
        sweep(lambda: counter(), seeds=range(2), invariants={"broken": lambda states: 1 / 0})


def test_a_handler_that_raises_is_still_a_bug_found() -> None:
    # The system's own error is a bug in the system: find_bug reports it as found.
    class Fragile(CounterServer):
        def on_message(self, ctx: Any, state: Any, src: str, msg: Any) -> Any:
            if state.count >= 1 and isinstance(msg, Request):
                raise RuntimeError("second request")
            return super().on_message(ctx, state, src, msg)

    def make() -> System:
        return System({"server": Fragile(), "c1": Client(["server"], [("add", 1)] * 2)})

    result = find_bug(make, counted_once)
    assert not result.ok and result.violated == "error"
    assert "second request" in result.detail
