"""Section 6.4: Maglev's table, hedged and tied requests, per-connection balancing, slow start
and an active-passive balancer pair."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.balancing import run_balancer  # the package still exports the old module's names
from dslib.balancing.beyond import (
    FAILOVER_CHECKS,
    FAILOVER_MUTANTS,
    SLOW_START_CHECKS,
    SLOW_START_MUTANTS,
    EdgeBalancer,
    connection_run,
    failover_run,
    slow_start_run,
)
from dslib.balancing.hedging import HEDGING_CHECKS, HEDGING_MUTANTS, HedgingClient, hedging_run
from dslib.balancing.maglev import (
    MAGLEV_CHECKS,
    MAGLEV_MUTANTS,
    disruption,
    entries_per_backend,
    maglev_table,
    permutation,
    populate,
    ring_table,
)
from dslib.mutants import assert_mutants_caught


def _populate_oracle(prefs: list[list[int]]) -> list[int]:
    """Pseudocode 1 read literally: rounds over the backends, one empty entry each."""
    m = len(prefs[0])
    owner: dict[int, int] = {}
    position = [0] * len(prefs)
    while len(owner) < m:
        for i in range(len(prefs)):
            if len(owner) == m:
                break
            while prefs[i][position[i]] in owner:
                position[i] += 1
            owner[prefs[i][position[i]]] = i
            position[i] += 1
    return [owner[k] for k in range(m)]


@settings(max_examples=80)
@given(
    st.sampled_from([5, 7, 11, 13, 31]),
    st.lists(st.text("abcdef", min_size=1), min_size=1, max_size=5, unique=True),
)
def test_the_table_follows_pseudocode_1_and_is_balanced(m: int, names: list[str]) -> None:
    prefs = [permutation(b, m) for b in names]
    assert all(sorted(p) == list(range(m)) for p in prefs)
    assert populate(prefs) == _populate_oracle(prefs)
    counts = entries_per_backend(maglev_table(names, m))
    assert len(counts) == len(names) and max(counts.values()) - min(counts.values()) <= 1


def test_maglev_trades_a_little_disruption_for_balance() -> None:
    names = [f"b{i}" for i in range(20)]
    before, after = maglev_table(names, 997), maglev_table(names[:-1], 997)
    ring, ring_after = ring_table(names, 997), ring_table(names[:-1], 997)
    ring_counts = entries_per_backend(ring).values()
    assert max(entries_per_backend(before).values()) <= 50 < max(ring_counts)
    assert 0 < disruption(before, after, removed="b19") <= 0.05
    assert disruption(ring, ring_after, removed="b19") == 0.0


def test_maglev_refuses_a_table_size_that_is_not_prime() -> None:
    with pytest.raises(ValueError, match="must be a prime"):
        maglev_table(["a", "b"], 10)


def test_hedging_after_the_p95_cuts_the_tail_for_little_extra_work() -> None:
    plain = hedging_run(requests=600, seed=2)
    hedged = hedging_run(hedge_after=plain["p95"], requests=600, seed=2)
    tied = hedging_run(tie_after=0.2, requests=600, seed=2)
    assert hedged["p99.9"] < plain["p99.9"] / 2 and hedged["extra work"] <= 0.1
    assert tied["copies"] == 1.0 and tied["extra work"] <= 0.2 and tied["cancelled"] >= 0.8


def test_hedging_client_refuses_hedged_and_tied_at_once() -> None:
    with pytest.raises(ValueError, match="not both"):
        HedgingClient(["a", "b"], 1.0, 5, hedge_after=1.0, tie_after=0.1)


def test_per_connection_balancing_pins_the_heavy_connections() -> None:
    pinned = connection_run("per connection", requests=800, seed=0)
    per_request = connection_run("per request", requests=800, seed=0)
    assert pinned["busiest share"] > 0.3 > per_request["busiest share"]
    assert pinned["p99"] > 3 * per_request["p99"]


def test_slow_start_shields_the_cold_backend() -> None:
    lc = slow_start_run("least connections", seed=0)
    ss = slow_start_run("slow start", seed=0)
    assert ss["p99 new"] < lc["p99 new"] and ss["p99 all"] < lc["p99 all"]


def test_failover_gap_grows_with_the_advert_interval() -> None:
    fast, slow = failover_run(advert=0.5, seed=1), failover_run(advert=2.0, seed=1)
    assert fast["takeover after"] < slow["takeover after"] <= 4 * 2.0 + 0.6
    assert 0 < fast["lost"] < slow["lost"] and fast["false takeovers"] == 0
    assert failover_run(advert=1.0, seed=1, mutant="never-claims")["gap"] == math.inf


def test_bad_input_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="mode='l4'"):
        EdgeBalancer("l4")
    with pytest.raises(ValueError, match="allowed: least connections"):
        slow_start_run("random")


def test_the_old_module_still_imports() -> None:
    assert run_balancer("round robin", [1.0], rate=0.5, requests=4).answered == 4


@pytest.mark.parametrize(
    ("mutants", "checks"),
    [
        (MAGLEV_MUTANTS, MAGLEV_CHECKS),
        (HEDGING_MUTANTS, HEDGING_CHECKS),
        (SLOW_START_MUTANTS, SLOW_START_CHECKS),
        (FAILOVER_MUTANTS, FAILOVER_CHECKS),
    ],
    ids=["maglev", "hedging", "slow start", "failover"],
)
def test_every_mutant_is_caught_by_its_check(mutants: list, checks: dict) -> None:  # type: ignore[type-arg]
    assert_mutants_caught(lambda: None, mutants, checks)


def test_p_all_counts_lost_requests_and_loss_ejects_healthy_backends() -> None:
    """6.3's p99 with lost requests, and its exercise's lossy network (issue 28 section 2)."""
    from dslib.balancing import HealthCheck

    crash = (0, 50.0, 100.0)
    plain = run_balancer(
        "round robin", [(0.5, 1.5)] * 3, rate=1.5, requests=300, seed=2, crash=crash
    )
    assert plain.unanswered > 3 and plain.p_all(99) == math.inf > plain.p(99)
    check = HealthCheck(interval=2.0, fall=1, rise=1)
    clean = run_balancer(
        "round robin",
        [(0.5, 1.5)] * 3,
        rate=1.5,
        requests=300,
        seed=2,
        health=check,
        crash=crash,
    )
    lossy = run_balancer(
        "round robin",
        [(0.5, 1.5)] * 3,
        rate=1.5,
        requests=300,
        seed=2,
        health=check,
        crash=crash,
        loss=0.2,
    )
    assert clean.ejections == 1 < lossy.ejections
    with pytest.raises(ValueError, match="loss=1.5"):
        run_balancer("round robin", [1.0], rate=1.0, requests=2, loss=1.5)
