"""Acceptance of find_bug: it finds each register bug that needs a fault, in each of 20 runs
with different hypothesis seeds, within its default budget, and shrinks the failing schedule
below a bound. (The correct versions and the fault-free runs are in test_testing_correct.py.)"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from dslib import System
from dslib.consistency import Register, check_linearizable
from dslib.registers import primary_backup, quorum_register
from dslib.testing import Crash, Duplicate, Fire, Lose, Restart, Split, find_bug

SEEDS = range(20)


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
        lambda: primary_backup(bug="ack-before-replicate"),
        16,
        (Crash,),
    ),
    "forget-when-alone": (
        lambda: primary_backup(bug="forget-when-alone"),
        16,
        (Crash,),
    ),
    "quorums R=1, W=2": (quorums(1, 2), 24, (Crash, Split, Lose)),
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
