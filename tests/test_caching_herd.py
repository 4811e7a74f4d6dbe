"""dslib.caching.herd and dslib.caching.checks: the thundering herd, coalescing, XFetch, mutants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.caching.checks import (
    CHECKS,
    MUTANT_CHECKS,
    CacheVariant,
    catch_rate,
    mutant_report,
    no_lost_acknowledged_write,
)
from dslib.caching.herd import HerdConfig, herd_run, herd_table, one_fill_at_a_time, store_load
from dslib.caching.nodes import MUTANTS, StoreRead, StoreReadReply
from dslib.sim.trace import Trace


def test_coalescing_and_xfetch_remove_the_spike_at_expiry() -> None:
    df = herd_table(seeds=[0], duration=250.0)
    assert df.loc["each", "peak after"] >= 10 * df.loc["coalesce", "peak after"]
    assert df.loc["xfetch", "peak after"] <= df.loc["each", "peak after"] / 3
    assert df.loc["coalesce", "store reads"] <= 4  # one fill per expiry


def test_one_fill_at_a_time_passes_coalescing_and_catches_the_others() -> None:
    assert one_fill_at_a_time(herd_run(HerdConfig(fill="coalesce", duration=150.0))).ok
    assert not one_fill_at_a_time(herd_run(HerdConfig(fill="each", duration=150.0))).ok
    bad = one_fill_at_a_time(
        herd_run(HerdConfig(fill="coalesce", mutant="two_fills", duration=150.0))
    )
    assert not bad.ok and bad.counterexample_length == 2


class _Fake:
    def __init__(self, trace: Trace) -> None:
        self.trace = trace


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 1)), max_size=12))
def test_one_fill_at_a_time_agrees_with_the_brute_force_oracle(steps) -> None:
    trace = Trace()
    for i, (is_send, key) in enumerate(steps):
        if is_send:
            trace.append((float(i), "send", "cache", "store", StoreRead(key, i), i, None))
        else:
            trace.append(
                (float(i), "deliver", "cache", "store", StoreReadReply(key, i, 0), i, None)
            )
    # oracle: after every prefix, count the sends minus the replies of each key
    worst = 0
    for n in range(len(steps) + 1):
        for key in (0, 1):
            sends = sum(1 for s, k in steps[:n] if s and k == key)
            replies = sum(1 for s, k in steps[:n] if not s and k == key)
            worst = max(worst, sends - replies)
    result = one_fill_at_a_time(_Fake(trace))  # type: ignore[arg-type]
    assert result.ok == (worst <= 1)
    assert result.counterexample_length == (None if worst <= 1 else worst)


def test_store_load_counts_every_store_read() -> None:
    sim = herd_run(HerdConfig(fill="each", duration=100.0))
    assert sum(store_load(sim, 5.0)) == sim.states["store"].reads
    with pytest.raises(ValueError, match="window=0"):
        store_load(sim, 0)


def test_every_mutant_is_caught_by_its_named_check_and_the_correct_cache_by_none() -> None:
    report = mutant_report(all_checks=False)
    assert report.ok, report.problems()
    assert {m.name for m in report.mutants} == set(MUTANT_CHECKS) >= set(MUTANTS)
    assert all(c in CHECKS for names in MUTANT_CHECKS.values() for c in names)


def test_the_lost_write_check_catches_ack_before_durable_in_many_seeds() -> None:
    assert catch_rate(None, range(5)) == 0.0
    assert catch_rate("ack_before_durable", range(10)) >= 0.9
    assert no_lost_acknowledged_write(CacheVariant()).ok


def test_bad_herd_configurations_are_refused() -> None:
    with pytest.raises(ValueError, match="clients=0"):
        HerdConfig(clients=0)
    with pytest.raises(ValueError, match="fill='none'"):
        HerdConfig(fill="none")
    with pytest.raises(ValueError, match="beta=0"):
        HerdConfig(beta=0)
