"""Sync, semi-sync and async replication; fail-over hazards; bootstrapping (chapter 12.7)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.replication.failover import (
    BOOTSTRAP_MUTANTS,
    FAILOVER_MUTANTS,
    MODES,
    bootstrap,
    bootstrap_run,
    failover_mutant_report,
    failover_run,
)

SEEDS = range(10)


@given(
    st.sampled_from(["sync", "semi-sync"]),
    st.integers(0, 10_000),
    st.integers(1, 4),
    st.floats(0.5, 10.0),
)
def test_sync_and_semi_sync_never_lose_an_acknowledged_write(
    mode: str, seed: int, followers: int, lag: float
) -> None:
    assert failover_run(mode, seed, followers=followers, lag=lag).lost == 0


def test_async_loses_acknowledged_writes_in_most_seeds() -> None:
    runs = [failover_run("async", s) for s in SEEDS]
    assert sum(r.lost > 0 for r in runs) >= 8
    assert all(r.lost <= r.acknowledged for r in runs)


def test_sync_acknowledges_least_and_async_most() -> None:
    for s in SEEDS:
        sync, semi, asyn = (failover_run(m, s).acknowledged for m in MODES)
        assert sync <= semi <= asyn


def test_epochs_stop_split_brain_where_a_follower_must_answer() -> None:
    for mode in ("sync", "semi-sync"):
        assert all(failover_run(mode, s).split_brain == 0 for s in SEEDS)
        assert any(failover_run(mode, s, fencing=False).split_brain > 0 for s in SEEDS)
    # an async leader acknowledges before anyone can refuse it
    assert any(failover_run("async", s).split_brain > 0 for s in SEEDS)


def test_every_mutant_is_caught_by_its_check() -> None:
    report = failover_mutant_report(range(5))
    assert not report.problems(), report.problems()
    assert {m.name for m in report.mutants} == set(FAILOVER_MUTANTS) | set(BOOTSTRAP_MUTANTS)


@given(st.integers(1, 12), st.data())
def test_bootstrap_equals_the_leader_and_its_mutants_differ(n: int, data: st.DataObject) -> None:
    log = [f"w{i}" for i in range(1, n + 1)]
    taken = data.draw(st.integers(0, n))
    ends = data.draw(st.integers(taken, n))
    assert bootstrap(log[:taken], taken, log, ends) == log
    lost = bootstrap(log[:taken], taken, log, ends, mutant="snapshot_without_position")
    assert (lost == log) == (ends == taken)  # loses exactly the writes made during the copy
    doubled = bootstrap(log[:taken], taken, log, ends, mutant="log_from_start")
    assert (doubled == log) == (taken == 0)


def test_bootstrap_runs_repeat() -> None:
    assert [bootstrap_run(s) for s in SEEDS] == [True] * len(SEEDS)
    assert failover_run("async", 3) == failover_run("async", 3)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        failover_run("quorum")
    with pytest.raises(ValueError, match="crash_at"):
        failover_run("sync", crash_at=50, restart_at=40)
    with pytest.raises(ValueError, match="stale_clients"):
        failover_run("sync", stale_clients=2)
    with pytest.raises(ValueError, match="mutant"):
        failover_run("sync", mutant="nope")
    with pytest.raises(ValueError, match="snapshot_lsn"):
        bootstrap([], 3, ["a"], 1)
