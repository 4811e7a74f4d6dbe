"""dslib.caching.races: the stale-set race found by the model checker, and leases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.caching.races import find_race, race_system, stale_at_rest, ttl_bound
from dslib.check import replay
from dslib.sim.network import Network, exponential
from dslib.sim.simulator import Simulation


def test_plain_cache_aside_goes_stale_in_nine_steps_and_the_trace_replays() -> None:
    result = find_race(lease=False)
    assert not result.ok and len(result.counterexample) == 9
    system = race_system()
    sim = replay(system, result.counterexample)
    assert sim.states["cache"].version(0) == 0 and sim.states["store"].versions == (1,)


@pytest.mark.parametrize(("readers", "writers"), [(1, 1), (2, 1), (1, 2)])
def test_leases_fix_the_race_in_every_interleaving(readers: int, writers: int) -> None:
    result = find_race(readers, writers, lease=True)
    assert result.ok and result.complete


def test_leases_survive_a_crash_of_the_cache_only_with_new_token_numbers() -> None:
    assert find_race(2, 1, lease=True, crashes=1).ok
    broken = find_race(2, 1, lease=True, mutant="tokens_restart", crashes=1)
    assert not broken.ok and len(broken.counterexample) == 15
    sim = replay(race_system(2, 1, lease=True, mutant="tokens_restart"), broken.counterexample)
    assert sim.states["cache"].version(0) == 0 != sim.states["store"].versions[0]


def test_a_lease_that_survives_a_delete_does_not_fix_it() -> None:
    result = find_race(lease=True, mutant="lease_not_invalidated")
    assert not result.ok and len(result.counterexample) == 9


def test_updating_the_cache_on_write_races_even_with_leases() -> None:
    assert not find_race(readers=0, writers=2, on_write="update").ok
    assert not find_race(readers=1, writers=1, on_write="update", lease=True).ok


def _settled_stale(lease: bool, seed: int, readers: int = 2) -> bool:
    # an independent oracle: a random schedule in the simulator, run until it is at rest
    network = Network(latency=exponential(1.0))
    system = race_system(readers=readers, writers=1, lease=lease)
    sim = Simulation(system, seed=seed, network=network)
    sim.run()
    cached = sim.states["cache"].version(0)
    return cached is not None and cached != sim.states["store"].versions[0]


@given(st.integers(0, 10_000))
def test_no_random_schedule_goes_stale_with_leases(seed: int) -> None:
    assert not _settled_stale(True, seed)


def test_random_schedules_find_the_race_without_leases_as_the_checker_says() -> None:
    # about one schedule in thirty (11 of the first 300 seeds with one reader)
    assert sum(_settled_stale(False, seed, readers=1) for seed in range(300)) >= 5


def test_stale_at_rest_ignores_states_with_messages_in_flight() -> None:
    from dslib.check import ActorModel

    [s0] = ActorModel(race_system()).init_states()
    assert s0.messages() and stale_at_rest(s0)


def test_staleness_stays_within_ttl_plus_the_fill_age() -> None:
    df = ttl_bound([10.0, 40.0], [0, 1], duration=400.0)
    assert df["within bound"].all() and df["stale reads"].sum() > 0


def test_race_system_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least one reader or writer"):
        race_system(0, 0)
    with pytest.raises(ValueError, match="on_write='upsert'; allowed: delete, update"):
        race_system(on_write="upsert")
    with pytest.raises(ValueError, match="readers=-1"):
        race_system(readers=-1)
