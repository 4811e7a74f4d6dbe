"""Tests of dslib.orchestration.lease: the model (skew and pauses break "one leader", fencing
keeps "one valid token"), the simulator scenarios under hypothesis fault schedules, the
fencing check against a brute-force oracle, bad input, and the mutant table."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.check import check
from dslib.orchestration.lease import (
    CAUGHT_BY,
    MUTANTS,
    LeaseConfig,
    LeaseModel,
    accepted_writes,
    at_most_one_acts_with_a_valid_token,
    at_most_one_believes,
    check_fencing,
    check_lease_model,
    lease_run,
    mutant_report,
    two_leaders_acted,
    writer_holds_lease,
    writes_table,
)

INVARIANTS = [at_most_one_believes, writer_holds_lease, at_most_one_acts_with_a_valid_token]


@pytest.mark.parametrize(
    ("skew", "pauses", "expected"),
    [
        (0, False, (True, True, True)),  # perfect clocks, no pauses: the lease alone is enough
        (1, False, (False, False, True)),  # a slow clock: two believe at once
        (0, True, (True, False, True)),  # a pause: a write after the lease ran out
    ],
)
def test_what_skew_and_pauses_break_and_what_fencing_keeps(
    skew: int, pauses: bool, expected: tuple[bool, bool, bool]
) -> None:
    model = LeaseModel(max_skew=skew, pauses=pauses)
    got = tuple(check(model, invariants=[inv]).ok for inv in INVARIANTS)
    assert got == expected


def test_the_counterexamples_are_short_and_exhaustive_runs_complete() -> None:
    believe = check(LeaseModel(max_skew=1, pauses=False), invariants=[at_most_one_believes])
    assert believe.counterexample is not None and len(believe.counterexample) == 4
    assert check_lease_model().stop_reason == "exhausted"


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_the_model_checker_catches_each_mutant(mutant: str) -> None:
    result = check_lease_model(mutant=mutant)
    assert not result.ok and result.property == "at_most_one_acts_with_a_valid_token"
    assert result.counterexample is not None and len(result.counterexample) <= 9


def brute_fencing_ok(log: list[tuple[float, str, int, bool]]) -> bool:
    """Every pair of accepted writes, earlier then later: the token does not go down, and
    one token has one writer."""
    accepted = [(w, t) for _time, w, t, ok in log if ok]
    for i in range(len(accepted)):
        for j in range(i + 1, len(accepted)):
            (wi, ti), (wj, tj) = accepted[i], accepted[j]
            if tj < ti or (tj == ti and wj != wi):
                return False
    return True


LOGS = st.lists(
    st.tuples(st.just(0.0), st.sampled_from(["c1", "c2"]), st.integers(1, 3), st.booleans()),
    max_size=8,
)


@given(LOGS)
def test_check_fencing_is_the_pairwise_definition(log: list[tuple[float, str, int, bool]]) -> None:
    assert check_fencing(tuple(log)).ok == brute_fencing_ok(log)


def test_the_three_scenarios() -> None:
    quiet = lease_run("quiet")
    assert not two_leaders_acted(quiet) and {w for w, _t in accepted_writes(quiet)} == {"c1"}
    for scenario in ("pause", "skew"):
        sim = lease_run(scenario)
        assert two_leaders_acted(sim), scenario
        assert check_fencing(sim).ok, scenario
        assert "REFUSED" in writes_table(sim)
        broken = check_fencing(lease_run(scenario, LeaseConfig(mutant="no_fencing")))
        assert (
            not broken.ok and "c1 acted with token 1 after c2 acted with token 2" in broken.detail
        )


@settings(max_examples=12)
@given(
    st.sampled_from(["pause", "skew"]),
    st.floats(5.0, 30.0).map(lambda x: round(x, 1)),
    st.floats(12.0, 30.0).map(lambda x: round(x, 1)),
    st.integers(0, 3),
)
def test_fencing_holds_under_random_pauses_and_partitions(
    scenario: str, at: float, length: float, seed: int
) -> None:
    sim = lease_run(scenario, seed=seed, at=at, length=length, until=70.0)
    assert check_fencing(sim).ok
    log = sim.states["resource"].log
    assert brute_fencing_ok(list(log))


def test_without_fencing_random_pauses_give_two_valid_writers_in_nearly_every_schedule() -> None:
    """The rate at which the simulator catches the no-fencing mutant over a grid of pauses:
    a pause longer than the lease that starts while c1 holds it gives a late accepted
    write whenever c1 had decided to write (half of its time)."""
    caught = total = 0
    for at in (6.0, 8.5, 10.0, 12.5, 15.0, 17.5):
        for length in (15.0, 25.0):
            total += 1
            sim = lease_run("pause", LeaseConfig(mutant="no_fencing"), at=at, length=length)
            caught += not check_fencing(sim).ok
    assert caught >= total // 2 and caught > 0


def test_the_simulation_is_repeatable() -> None:
    assert lease_run("skew", seed=1).trace.entries == lease_run("skew", seed=1).trace.entries


def test_bad_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match=r"duration=0 must be > 0"):
        LeaseConfig(duration=0)
    with pytest.raises(ValueError, match=r"duration=-1.0 must be > 0"):
        LeaseConfig(duration=-1.0)
    with pytest.raises(ValueError, match="renew_every=10 must be < duration=5"):
        LeaseConfig(duration=5, renew_every=10)
    with pytest.raises(ValueError, match="a lease duration must be > 0"):
        LeaseModel(duration=0)
    with pytest.raises(ValueError, match="allowed: quiet, pause, skew"):
        lease_run("storm")
    with pytest.raises(ValueError, match="unknown mutant"):
        LeaseConfig(mutant="nope")


def test_every_mutant_is_caught_by_its_named_checks() -> None:
    report = mutant_report()
    assert report.problems() == []
    assert set(CAUGHT_BY) == set(MUTANTS)
