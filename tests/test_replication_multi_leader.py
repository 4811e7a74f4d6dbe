"""Multi-leader replication and conflicts (chapter 12.8): LWW loses, siblings and CRDTs do not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.replication.multi_leader import (
    MUTANTS,
    concurrent_pairs,
    concurrent_pairs_by_vectors,
    converged,
    lost_updates,
    lost_updates_by_lww_oracle,
    multi_leader_mutant_report,
    multi_leader_run,
)

PARAMS = st.tuples(st.integers(0, 10_000), st.integers(0, 12), st.floats(0.5, 10.0))


@given(PARAMS)
def test_lww_loss_count_agrees_with_the_oracle(params: tuple[int, int, float]) -> None:
    seed, writes, lag = params
    run = multi_leader_run("lww", seed, writes=writes, lag=lag)
    assert converged(run)
    assert lost_updates(run) == lost_updates_by_lww_oracle(run)


@given(PARAMS, st.sampled_from(["siblings", "crdt"]))
def test_siblings_and_crdts_lose_nothing_and_converge(
    params: tuple[int, int, float], resolution: str
) -> None:
    seed, writes, lag = params
    run = multi_leader_run(resolution, seed, writes=writes, lag=lag)
    assert converged(run) and lost_updates(run) == 0


@given(PARAMS)
def test_conflicts_by_time_agree_with_the_version_vectors(params: tuple[int, int, float]) -> None:
    seed, writes, lag = params
    run = multi_leader_run("siblings", seed, writes=writes, lag=lag)
    assert concurrent_pairs(run) == concurrent_pairs_by_vectors(run)


def test_lww_loses_updates_in_every_seed_with_conflicts() -> None:
    runs = [multi_leader_run("lww", s) for s in range(10)]
    assert all(lost_updates(r) > 0 for r in runs if concurrent_pairs(r) > 0)
    assert sum(concurrent_pairs(r) > 0 for r in runs) == 10


def test_every_mutant_is_caught() -> None:
    report = multi_leader_mutant_report(range(3))
    assert not report.problems(), report.problems()
    assert [m.name for m in report.mutants] == list(MUTANTS)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="resolution"):
        multi_leader_run("first-wins")
    with pytest.raises(ValueError, match="writes"):
        multi_leader_run("lww", writes=-1)
    with pytest.raises(ValueError, match="lag"):
        multi_leader_run("lww", lag=0)
    with pytest.raises(ValueError, match="mutant"):
        multi_leader_run("lww", mutant="nope")
