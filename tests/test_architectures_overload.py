"""Overload (section 5.6): load shedding, deadline propagation, retry budgets."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.architectures.overload import (
    MUTANTS,
    OVERLOAD_CHECKS,
    OVERLOAD_MUTANTS,
    OverloadClient,
    OverloadServer,
    overload_run,
    retry_allowed,
)
from dslib.mutants import assert_mutants_caught


def _budget_oracle(requests: int, retries: int, ratio: str) -> bool:
    """Count up the retries the budget allows, one by one, in exact arithmetic."""
    limit, allowed = Fraction(ratio) * requests, 0
    while allowed + 1 <= limit:
        allowed += 1
    return retries < allowed


@settings(max_examples=60)
@given(
    st.integers(0, 60),
    st.integers(0, 20),
    st.sampled_from(["0", "0.05", "0.1", "0.25", "0.5", "1"]),
)
def test_retry_allowed_agrees_with_counting(requests: int, retries: int, ratio: str) -> None:
    assert retry_allowed(requests, retries, float(ratio)) == _budget_oracle(
        requests, retries, ratio
    )


def test_no_budget_allows_every_retry() -> None:
    assert retry_allowed(0, 1000, None)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: retry_allowed(-1, 0, 0.1), "requests=-1"),
        (lambda: retry_allowed(1, 0, -0.1), "ratio=-0.1"),
        (lambda: OverloadServer(workers=0), "workers=0"),
        (lambda: OverloadServer(queue_limit=-1), "queue_limit=-1"),
        (lambda: OverloadServer(mutant="typo"), "unknown mutant 'typo'"),
        (lambda: OverloadClient(rate=0.0, requests=1), "rate=0.0"),
        (lambda: OverloadClient(rate=1.0, requests=1, max_attempts=0), "max_attempts=0"),
        (lambda: OverloadClient(rate=1.0, requests=1, budget=-1), "budget=-1"),
        (lambda: overload_run(rate=math.inf), "rate=inf"),
    ],
)
def test_bad_input_is_refused_with_a_message(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        call()  # type: ignore[operator]


def test_every_request_finishes_once() -> None:
    row = overload_run(rate=6.0, queue_limit=8, max_attempts=3, requests=200, with_states=True)
    client = row["states"]["client"]
    finished = [r for r, *_ in client.results]
    assert sorted(finished) == list(range(1, 201)) and not client.open


def test_under_capacity_nothing_is_shed_and_all_is_in_time() -> None:
    row = overload_run(rate=1.0, queue_limit=8, requests=100, seed=3)
    assert (row["shed"], row["in time"], row["served late"]) == (0, 1.0, 0)


@pytest.mark.parametrize("seed", range(2))
def test_shedding_keeps_goodput_that_an_unbounded_queue_loses(seed: int) -> None:
    """The claim of 5.6: at 1.5 times capacity, the unbounded queue's goodput collapses
    (replies come ever later) while the bounded one serves near capacity."""
    unbounded = overload_run(rate=6.0, requests=400, seed=seed)
    bounded = overload_run(rate=6.0, queue_limit=8, requests=400, seed=seed)
    assert bounded["max queue"] <= 8 < unbounded["max queue"]
    assert bounded["goodput"] > 3.0 > 1.0 > unbounded["goodput"]
    assert unbounded["reply p99"] > 3 * bounded["reply p99"]


def test_propagated_deadlines_start_no_dead_work() -> None:
    row = overload_run(rate=6.0, deadlines=True, requests=300, seed=1)
    assert row["expired"] > 0 and row["started late"] == 0
    assert overload_run(rate=6.0, requests=300, seed=1)["started late"] > 0


@pytest.mark.parametrize("seed", range(2))
def test_a_retry_budget_stops_the_retry_storm(seed: int) -> None:
    """At 90% load, timeouts of 2 and three attempts amplify the load past capacity and
    goodput collapses; a budget of 10% keeps it."""
    storm = overload_run(rate=3.6, max_attempts=3, requests=400, seed=seed)
    budget = overload_run(rate=3.6, max_attempts=3, budget=0.1, requests=400, seed=seed)
    assert storm["attempts"] > 2.0 and budget["attempts"] <= 1.1
    assert budget["retries"] <= 0.1 * budget["requests"]
    assert budget["goodput"] > 3 * storm["goodput"]


def test_same_seed_same_row() -> None:
    assert overload_run(rate=6.0, requests=150, seed=4) == overload_run(
        rate=6.0, requests=150, seed=4
    )


def test_every_mutant_is_caught_by_its_check() -> None:
    assert {m.name for m in OVERLOAD_MUTANTS} == set(MUTANTS)
    assert_mutants_caught(lambda: None, OVERLOAD_MUTANTS, OVERLOAD_CHECKS)
