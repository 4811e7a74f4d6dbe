"""Tests of rolling updates (dslib.orchestration.rollout): the step, the runs, the rollback.

The step is checked exhaustively on small cases against what it promises (availability,
surge, progress); the simulator runs measure it end to end; the mutant breaks it.
"""

from __future__ import annotations

from itertools import product

import pytest

from dslib.orchestration.rollout import (
    rolling_update_step,
    rollout_run,
    rollout_table,
    should_roll_back,
)
from dslib.orchestration.spec import RolloutSpec


def cases() -> list[tuple[int, int, int, int, int, int, int]]:
    out = []
    for replicas, mu, ms in product(range(1, 5), range(3), range(3)):
        if mu == 0 and ms == 0:
            continue
        for new, old in product(range(replicas + ms + 1), range(replicas + ms + 1)):
            if new + old > replicas + ms or (new == 0 and old == 0):
                continue
            for new_ready, old_ready in product(range(new + 1), range(old + 1)):
                out.append((replicas, mu, ms, new, old, new_ready, old_ready))
    return out


def remove(old: int, old_ready: int, to: int) -> int:
    """Ready pods left once a set of ``old`` shrinks to ``to``, unready ones deleted first."""
    gone = max(0, old - to)
    return old_ready - max(0, gone - (old - old_ready))


def test_a_step_never_takes_ready_pods_below_the_bound_exhaustively() -> None:
    checked = 0
    for replicas, mu, ms, new, old, new_ready, old_ready in cases():
        size, (old_size,) = rolling_update_step(replicas, mu, ms, new, (old,), new_ready, old_ready)
        ready_before = new_ready + old_ready
        ready_after = remove(new, new_ready, size) + remove(old, old_ready, old_size)
        assert ready_after >= min(ready_before, replicas - mu), (replicas, mu, ms, new, old)
        # surge: the sets never grow beyond replicas + max_surge by this step
        assert size + old_size <= max(new + old, replicas + ms)
        assert 0 <= old_size <= old
        assert size == (replicas if new > replicas else max(new, size)) and size <= max(
            new, replicas
        )
        checked += 1
    assert checked > 1000


def test_a_step_makes_progress_whenever_every_pod_is_ready() -> None:
    for replicas, mu, ms, new, old, new_ready, old_ready in cases():
        if old == 0 or new_ready != new or old_ready != old:
            continue
        step = rolling_update_step(replicas, mu, ms, new, (old,), new_ready, old_ready)
        assert step != (new, (old,)), (replicas, mu, ms, new, old)


def test_the_mutant_drops_below_the_bound() -> None:
    size, (old_size,) = rolling_update_step(
        4, 1, 1, 0, (4,), 0, 4, mutant="ignores_max_unavailable"
    )
    assert (size, old_size) == (1, 0)


@pytest.mark.parametrize(("mu", "ms"), [(1, 0), (0, 1), (2, 2)])
def test_a_rolling_update_in_the_simulator_keeps_the_bound_and_finishes(mu: int, ms: int) -> None:
    run = rollout_run(4, mu, ms, until=80.0)
    assert run.min_ready >= 4 - mu
    assert run.final_version == "v2" and run.duration is not None
    assert run.ready[-1] == 4 and run.new_ready[-1] == 4


def test_the_mutant_takes_every_pod_down_in_the_simulator() -> None:
    run = rollout_run(4, 1, 1, until=80.0, mutant="ignores_max_unavailable")
    assert run.min_ready == 0


def test_a_bad_version_is_rolled_back_after_its_deadline() -> None:
    run = rollout_run(4, 1, 1, new_version="bad", until=90.0)
    assert run.final_version == "v1"
    assert run.min_ready == 3
    assert run.ready[-1] == 4 and run.finished is None
    [event] = run.events
    assert "RolledBack web: bad not ready after 30s: back to v1" in event
    assert should_roll_back(51.0, 20.0, 30.0, 0, 4) and not should_roll_back(49.0, 20.0, 30.0, 0, 4)


def test_the_table_shows_that_surge_buys_speed() -> None:
    table = rollout_table(4, settings=[(1, 0), (1, 1)]).set_index(["max_unavailable", "max_surge"])
    assert (table["min ready"] >= table["bound"]).all()
    assert table.loc[(1, 1), "duration (s)"] < table.loc[(1, 0), "duration (s)"]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="max_unavailable=0 and max_surge=0"):
        RolloutSpec(3, 0, 0)
    with pytest.raises(ValueError, match="replicas=-1 must be an int >= 0"):
        RolloutSpec(-1)
