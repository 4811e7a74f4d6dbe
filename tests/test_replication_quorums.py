"""Tests of ABD (dslib.replication.abd): linearizable under random partitions, crashes and
loss; the mutants (no write-back, R + W <= N) caught; the chapter's mutant table."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Simulation
from dslib.consistency import KeyValue, Register, check_linearizable
from dslib.core import System
from dslib.replication import checks
from dslib.replication.abd import (
    MUTANTS,
    ABDReplica,
    abd_read_decision,
    abd_system,
    inversion_scenario,
    majority,
    no_write_back,
)
from dslib.replication.checks import (
    ReplicationVariant,
    replication_checks,
    replication_mutant_report,
)
from dslib.sim import Network, exponential

SEEDS = range(300)  # with 3 and with 5 replicas: 600 runs, a few seconds


def faulty_run(seed: int, replicas: int = 3, **kwargs: object) -> Simulation:
    """The chapter's ABD run: partitions, crashes and 5% loss (``checks.faulty_run``)."""
    return checks.faulty_run("abd", seed, ("partition", "crash"), replicas=replicas, **kwargs)


@pytest.mark.parametrize("replicas", [3, 5])
def test_abd_is_linearizable_for_fixed_seeds(replicas: int) -> None:
    failed = [
        s for s in SEEDS if not check_linearizable(faulty_run(s, replicas).history, Register()).ok
    ]
    assert failed == []


@settings(max_examples=25, deadline=None, database=None)
@given(st.integers(0, 10_000), st.sampled_from([3, 5]))
def test_abd_is_linearizable_under_partitions_crashes_and_loss(seed: int, replicas: int) -> None:
    sim = faulty_run(seed, replicas)
    assert check_linearizable(sim.history, Register()).ok
    assert any(op.status == "ok" for op in sim.history.operations())


def test_abd_key_value_store_is_linearizable() -> None:
    loads = [
        [("put", "x", 1), ("get", "y", None), ("put", "y", 2), ("get", "x", None)],
        [("put", "y", 3), ("get", "x", None), ("put", "x", 4), ("get", "y", None)],
    ]
    for seed in range(5):
        sim = Simulation(
            abd_system(3, 2, loads), seed=seed, network=Network(latency=exponential(2.0))
        ).run()
        assert check_linearizable(sim.history, KeyValue()).ok
        assert all(op.status == "ok" for op in sim.history.operations())


def test_the_inversion_scenario_separates_write_back_from_none() -> None:
    good = inversion_scenario().run()
    bad = inversion_scenario(mutant="no_write_back").run()
    assert [op.result for op in good.history.operations()] == [1, 1, 1]
    assert [op.result for op in bad.history.operations()] == [1, 1, None]
    assert check_linearizable(good.history, Register()).ok
    assert not check_linearizable(bad.history, Register()).ok


def test_small_quorums_are_not_linearizable_and_z3_says_why() -> None:
    caught = [
        s
        for s in range(20)
        if not check_linearizable(
            faulty_run(s, read_quorum=1, write_quorum=1).history, Register()
        ).ok
    ]
    assert caught
    check = replication_checks(seeds=2)["z3: read and write quorums intersect"]
    assert not check(ReplicationVariant(quorums=(3, 1, 1))).ok
    assert check(ReplicationVariant(quorums=(5, 2, 4))).ok


def test_the_abd_mutant_is_validated_against_the_table() -> None:
    assert sorted(MUTANTS) == ["no_write_back"]
    with pytest.raises(ValueError, match=r"unknown mutant 'typo'; allowed: .*'no_write_back'"):
        abd_system(mutant="typo")
    with pytest.raises(ValueError, match="unknown mutant"):
        abd_read_decision({}, 3, "no-write-back")
    with pytest.raises(ValueError, match="not both"):
        ABDReplica(["s1", "s2", "s3"], read_decision=lambda r, n: None, mutant="no_write_back")
    with pytest.raises(ValueError, match="abd_mutant"):
        ReplicationVariant(abd_mutant="typo")


def test_the_old_no_write_back_spelling_warns_and_behaves_the_same() -> None:
    new = inversion_scenario(mutant="no_write_back").run()
    with pytest.warns(DeprecationWarning, match=r"read_decision=no_write_back\) is deprecated"):
        old = inversion_scenario(read_decision=no_write_back).run()
    assert [str(op) for op in old.history.operations()] == [
        str(op) for op in new.history.operations()
    ]
    with pytest.warns(DeprecationWarning, match="mutant='no_write_back'"):
        assert repr(abd_system(read_decision=no_write_back)) == repr(
            abd_system(mutant="no_write_back")
        )
    t0, t1 = (0, "", 0), (1, "s1", 1)
    with pytest.warns(DeprecationWarning, match="no_write_back"):
        assert no_write_back({"s1": (t1, "a"), "s2": (t0, None)}, 3) == ("return", t1, "a")
    with pytest.warns(DeprecationWarning, match="abd_mutant='no_write_back'"):
        variant = ReplicationVariant(read_decision=no_write_back)
    assert variant == ReplicationVariant(abd_mutant="no_write_back")


def test_read_decision_rules() -> None:
    t0, t1 = (0, "", 0), (1, "s1", 1)
    assert abd_read_decision({"s1": (t1, "a")}, 3) is None
    assert abd_read_decision({"s1": (t1, "a"), "s2": (t0, None)}, 3) == ("write-back", t1, "a")
    assert abd_read_decision({"s1": (t1, "a"), "s2": (t1, "a")}, 3) == ("return", t1, "a")
    assert majority(1) == 1 and majority(6) == 4
    with pytest.raises(ValueError):
        majority(0)


def test_a_crashed_replica_recovers_its_values() -> None:
    loads = [[("write", 1), ("read", None), ("read", None)]]
    sim = Simulation(abd_system(3, 1, loads, think=10.0), seed=0)
    sim.at(8.0, lambda s: s.crash("s2"))
    sim.at(12.0, lambda s: s.restart("s2"))
    sim.run()
    assert sim.states["s2"].lookup(None)[1] == 1  # persisted before the crash
    assert [op.result for op in sim.history.operations()] == [1, 1, 1]


def test_validation() -> None:
    with pytest.raises(ValueError, match="read_quorum"):
        ABDReplica(["s1", "s2", "s3"], read_quorum=4)
    with pytest.raises(ValueError, match="replicas"):
        abd_system(replicas=0)
    with pytest.raises(ValueError, match="workloads"):
        abd_system(3, 2, [[("write", 1)]])
    assert repr(ABDReplica(["a", "b", "c"], 1, 1)) == "ABDReplica(R=1, W=1)"


def test_the_chapter_mutant_table_catches_every_mutant() -> None:
    report = replication_mutant_report(seeds=12)
    assert report.ok, report.problems()
    caught = {m.name: m.caught_by for m in report.mutants}
    assert caught["no-write-back"] == ("ABD: new-old inversion scenario",)
    assert "z3: read and write quorums intersect" in caught["R+W<=N"]
    assert set(caught["summing-merge"]) == {
        "CRDT: merge laws (hypothesis)",
        "CRDT: replicas converge",
    }
    assert caught["ack-before-backup"] == ("primary-backup: partition scenario",)
    assert caught["restart-amnesia"] == ("primary-backup: restart schedule",)
    assert caught["stale-transfer"] == ("primary-backup: resent-transfer schedule",)
    assert caught["no-lease"] == ("chain: partition isolates the tail",)


def test_replica_coordinators_break_non_intersecting_quorums_without_a_fault() -> None:
    """Why section 3.3 keeps its own, client-coordinated ABD register (see its docstring).

    Here each client's replica coordinates and asks every replica, so with ``R = W = 1``
    two clients writing through different replicas break linearizability with no fault.
    Section 3.3's clients ask the nearest replicas first: there the same quorums need a
    fault (``tests/test_testing_correct.py`` has the one-client case).
    """
    import warnings

    from dslib.small_systems.registers import quorum_register
    from dslib.testing import find_bug

    def sloppy() -> System:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return abd_system(replicas=3, clients=2, read_quorum=1, write_quorum=1)

    def correct() -> System:
        return abd_system(replicas=3, clients=2)

    def chapter_3() -> System:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return quorum_register(clients=2, read_quorum=1, write_quorum=1)

    def linearizable(history: Any) -> Any:
        return check_linearizable(history, Register())

    found = find_bug(sloppy, consistency=linearizable, faults=())
    assert not found.ok
    assert found.violated == "consistency"
    assert find_bug(correct, consistency=linearizable, faults=(), max_examples=100).ok
    assert find_bug(chapter_3, consistency=linearizable, faults=(), max_examples=200).ok
