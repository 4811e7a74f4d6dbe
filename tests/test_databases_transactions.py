"""dslib.databases.concurrency and transactions: the algorithms of the isolation levels, the
transactional server and its clients, checked rule by rule, against brute force, and on random
workloads judged by the isolation checker (and by enumerating every serial order)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.consistency.isolation import check_isolation, serializable_by_enumeration
from dslib.databases.concurrency import (
    CHECKER_LEVEL,
    LEVELS,
    MUTANT_LEVEL,
    MUTANTS,
    ConcurrencyControl,
    Lock,
    find_deadlock,
    first_committer_wins,
    lock_conflicts,
    snapshot_read,
)
from dslib.databases.transactions import (
    TxnClient,
    TxnServer,
    random_programs,
    run_transactions,
)

ROOT = Path(__file__).resolve().parents[1]
G0_G1 = {"G0", "G1a", "G1b", "G1c"}


# -- the rules, against brute force ----------------------------------------------------------
def has_cycle_brute(graph: dict[str, set[str]]) -> bool:
    nodes = sorted(set(graph) | {w for ws in graph.values() for w in ws})
    for n in range(1, len(nodes) + 1):
        for perm in itertools.permutations(nodes, n):
            if all(perm[(i + 1) % n] in graph.get(perm[i], set()) for i in range(n)):
                return True
    return False


GRAPHS = st.dictionaries(
    st.sampled_from(["t1", "t2", "t3", "t4", "t5"]),
    st.sets(st.sampled_from(["t1", "t2", "t3", "t4", "t5"]), max_size=3),
    max_size=5,
).map(lambda g: {t: {w for w in ws if w != t} for t, ws in g.items()})


@settings(max_examples=300)
@given(GRAPHS)
def test_find_deadlock_agrees_with_trying_every_cycle(graph: dict[str, set[str]]) -> None:
    cycle = find_deadlock(graph)
    assert (cycle is not None) == has_cycle_brute(graph)
    if cycle is not None:
        assert len(set(cycle)) == len(cycle)
        for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
            assert b in graph[a]


VERSIONS = st.lists(
    st.tuples(st.one_of(st.none(), st.integers(0, 6)), st.integers(0, 99)), max_size=5
).filter(
    lambda vs: (
        len({ts for ts, _ in vs if ts is not None}) == len([t for t, _ in vs if t is not None])
    )
)


@settings(max_examples=300)
@given(VERSIONS, st.integers(0, 6))
def test_snapshot_read_is_the_newest_committed_version_in_the_snapshot(
    versions: list[tuple[int | None, int]], snapshot: int
) -> None:
    visible = sorted((ts, v) for ts, v in versions if ts is not None and ts <= snapshot)
    assert snapshot_read(versions, snapshot) == (visible[-1][1] if visible else None)


def test_lock_conflicts_shared_exclusive_and_predicate_locks() -> None:
    held = [Lock(("k", "x"), "S", "t1"), Lock(("range", "a", "y"), "S", "t2")]
    assert lock_conflicts(held, "t3", "S", ("k", "x")) == []
    assert lock_conflicts(held, "t3", "X", ("k", "x")) == ["t1", "t2"]
    assert lock_conflicts(held, "t1", "X", ("k", "x")) == ["t2"]  # own lock: an upgrade
    assert lock_conflicts(held, "t3", "X", ("k", "z")) == []  # outside the range
    assert lock_conflicts([Lock(("k", "b"), "X", "t1")], "t2", "S", ("range", "a", "c")) == ["t1"]
    with pytest.raises(ValueError, match="allowed 'S'"):
        lock_conflicts(held, "t3", "R", ("k", "x"))


def test_first_committer_wins_names_the_keys_committed_after_the_snapshot() -> None:
    assert first_committer_wins(["x", "y", "z"], {"x": 4, "y": 3}, 3) == ["x"]
    assert first_committer_wins(["x"], {}, 0) == []


# -- the engine, operation by operation ------------------------------------------------------
def engine(level: str, *tids: str) -> ConcurrencyControl:
    e = ConcurrencyControl(level, keys=("x", "y", "z"))
    for t in tids:
        e.begin("c" + t, t)
    return e


def test_read_committed_waits_for_a_write_and_holds_no_read_lock() -> None:
    e = engine("read-committed", "t1", "t2")
    assert e.attempt("t1", ("w", "x", 1)) == ("done", None)
    assert e.attempt("t2", ("r", "x")) == ("blocked", ("t1",))
    e.attempt("t1", ("commit",))
    assert e.attempt("t2", ("r", "x")) == ("done", 1)
    assert e.locks == []  # the read lock was released at once


def test_read_uncommitted_reads_dirty_data_and_abort_restores_it() -> None:
    e = engine("read-uncommitted", "t1", "t2")
    e.attempt("t1", ("append", "x", 1))
    assert e.attempt("t2", ("r", "x")) == ("done", (1,))
    e.attempt("t1", ("abort",))
    assert e.attempt("t2", ("r", "x")) == ("done", None)


def test_two_phase_locking_keeps_read_locks_and_the_mutant_releases_them() -> None:
    for mutant, blocked in ((None, True), ("2pl-early-release", False)):
        e = ConcurrencyControl("serializable", mutant)
        e.begin("c1", "t1"), e.begin("c2", "t2")
        e.attempt("t1", ("r", "x"))
        assert (e.attempt("t2", ("w", "x", 1))[0] == "blocked") is blocked


def test_a_scan_holds_a_predicate_lock_only_at_serializable() -> None:
    for level, blocked in (("serializable", True), ("repeatable-read", False)):
        e = engine(level, "t1", "t2")
        assert e.attempt("t1", ("scan", "x", "z")) == (
            "done",
            (("x", None), ("y", None), ("z", None)),
        )
        assert (e.attempt("t2", ("append", "y", 1))[0] == "blocked") is blocked


def test_a_deadlock_aborts_the_youngest_transaction_of_the_cycle() -> None:
    e = engine("serializable", "t1", "t2")
    assert e.submit("c1", "t1", ("r", "x"))[0][3] == ("done", None)
    e.submit("c2", "t2", ("r", "y"))
    assert e.submit("c1", "t1", ("w", "y", 1)) == []  # waits for t2
    replies = e.submit("c2", "t2", ("w", "x", 2))  # closes the cycle
    assert [(r[1], r[3]) for r in replies] == [
        ("t2", ("aborted", "deadlock")),
        ("t1", ("done", None)),
    ]
    assert e.counts["deadlocks"] == 1 and e.waits_for() == {}


def test_snapshot_isolation_first_committer_wins_and_its_mutant() -> None:
    for mutant, second in (
        (None, ("aborted", "first committer wins")),
        ("si-without-first-committer-wins", ("done", None)),
    ):
        e = ConcurrencyControl("snapshot-isolation", mutant)
        e.begin("c1", "t1"), e.begin("c2", "t2")
        e.attempt("t1", ("append", "x", 1)), e.attempt("t2", ("append", "x", 2))
        assert e.attempt("t1", ("commit",)) == ("done", None)
        assert e.attempt("t2", ("commit",)) == second


def test_a_snapshot_reads_its_own_writes_and_not_later_commits() -> None:
    e = engine("snapshot-isolation", "t1")
    e.attempt("t1", ("append", "x", 1))
    e.begin("c2", "t2")
    e.attempt("t1", ("commit",))
    assert e.attempt("t2", ("r", "x")) == ("done", None)
    e.attempt("t2", ("append", "y", 5))
    assert e.attempt("t2", ("r", "y")) == ("done", (5,))


def test_the_state_round_trips_and_is_hashable() -> None:
    e = engine("serializable-snapshot", "t1", "t2")
    e.attempt("t1", ("r", "x")), e.attempt("t2", ("w", "x", 3))
    state = e.freeze()
    hash(state)
    again = ConcurrencyControl.thaw(state, "serializable-snapshot", keys=("x", "y", "z"))
    assert again.freeze() == state
    assert state.txns[0].out_conflict == ("t2",) and state.txns[1].in_conflict == ("t1",)


# -- bad input ---------------------------------------------------------------------------------
def test_bad_levels_mutants_programs_and_workloads_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="is not a level; allowed"):
        ConcurrencyControl("snapshot")
    with pytest.raises(ValueError, match="breaks level 'snapshot-isolation', not 'serializable'"):
        ConcurrencyControl("serializable", "si-without-first-committer-wins")
    with pytest.raises(ValueError, match="allowed"):
        ConcurrencyControl("serializable", "no-such-mutant")
    with pytest.raises(ValueError, match="is outside a transaction"):
        TxnClient([(None, ("r", "x"))])
    with pytest.raises(ValueError, match="does not end with commit or abort"):
        TxnClient([(None, ("begin",)), (None, ("r", "x"))])
    with pytest.raises(ValueError, match="takes 2 argument"):
        TxnClient([(None, ("begin",)), (None, ("w", "x")), (None, ("commit",))])
    with pytest.raises(ValueError, match="allowed ops"):
        TxnClient([(None, ("begin",)), (None, ("put", "x", 1)), (None, ("commit",))])
    with pytest.raises(TypeError, match="must be a pair"):
        TxnClient([("begin",)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="time -1"):
        TxnClient([(-1, ("begin",)), (None, ("commit",))])
    with pytest.raises(ValueError, match="workload"):
        run_transactions({"c1": [(None, ("begin",)), (None, ("commit",))]}, workload="kv")
    with pytest.raises(ValueError, match="the server's id"):
        run_transactions({"db": [(None, ("begin",)), (None, ("commit",))]})
    with pytest.raises(ValueError, match="level"):
        TxnServer("strict")
    with pytest.raises(ValueError, match="comparable"):
        ConcurrencyControl("serializable", keys=("x", 1))
    from dslib.core import Context
    from dslib.errors import ProtocolError

    server = TxnServer("serializable")
    with pytest.raises(ProtocolError, match="accepts TxnRequest only"):
        server.on_message(
            Context("db", ("db", "c1")), server.init(Context("db", ("db",))), "c1", "hi"
        )
    e = engine("serializable", "t1")
    e.attempt("t1", ("w", "x", 1))
    with pytest.raises(ValueError, match="not a list"):
        e.attempt("t1", ("append", "x", 2))


# -- random workloads, judged by the checker ---------------------------------------------------
WORKLOADS = st.tuples(
    st.integers(0, 10_000),  # seed
    st.integers(2, 3),  # clients
    st.integers(1, 3),  # transactions per client
    st.sampled_from([("x",), ("x", "y"), ("x", "y", "z")]),
    st.sampled_from(["list-append", "rw-register"]),
    st.sampled_from([0.0, 0.2]),  # client aborts
    st.sampled_from([0.0, 0.4]),  # scans among reads
)


def random_run(case: tuple, level: str):  # type: ignore[no-untyped-def]
    seed, clients, txns, keys, workload, aborts, scans = case
    programs = random_programs(
        seed,
        clients,
        txns,
        keys,
        workload=workload,
        abort_fraction=aborts,
        scan_fraction=scans,
        final_read=True,
    )
    return run_transactions(programs, level, workload=workload, seed=seed, keys=keys)


@pytest.mark.parametrize("level", ["serializable", "serializable-snapshot"])
@settings(max_examples=40)
@given(case=WORKLOADS)
def test_serializable_levels_give_histories_with_a_serial_order(level: str, case: tuple) -> None:
    run = random_run(case, level)
    result = check_isolation(run.history, workload=run.workload, level="serializable")
    assert result.ok is not False and not result.anomalies, str(result)
    committed = [t for t in run.history if t.type == "ok"]
    if len(committed) <= 6:  # every serial order, by brute force
        assert serializable_by_enumeration(committed, workload=run.workload) is not None


@pytest.mark.parametrize(
    ("level", "forbidden"),
    [
        ("snapshot-isolation", G0_G1 | {"G-single"}),
        ("read-committed", G0_G1),
        ("read-uncommitted", {"G0"}),
        ("repeatable-read", G0_G1),
    ],
)
@settings(max_examples=30)
@given(case=WORKLOADS)
def test_weaker_levels_show_no_anomaly_they_forbid(
    level: str, forbidden: set[str], case: tuple
) -> None:
    run = random_run(case, level)
    result = check_isolation(run.history, workload=run.workload, level="serializable")
    names = {a.name for a in result.anomalies}
    assert not names & forbidden, str(result)


def test_weaker_levels_do_show_anomalies_on_some_random_workloads() -> None:
    # the property above is not vacuous: the same workloads break serializability there
    found = {}
    for level in ("read-committed", "snapshot-isolation"):
        found[level] = set()
        for seed in range(30):
            programs = random_programs(seed, clients=3, txns=3, keys=("x", "y"))
            run = run_transactions(programs, level, seed=seed)
            found[level] |= {a.name for a in run.check("serializable").anomalies}
    assert "G-single" in found["read-committed"]
    assert found["snapshot-isolation"] == {"G2-item"}


def test_scans_make_phantoms_at_repeatable_read_and_none_at_serializable() -> None:
    found: dict[str, set[str]] = {}
    for level in ("repeatable-read", "serializable"):
        found[level] = set()
        for seed in range(40):
            programs = random_programs(
                seed, 3, 3, ("x", "y", "z"), read_fraction=0.6, scan_fraction=0.6, final_read=True
            )
            run = run_transactions(programs, level, seed=seed, keys=("x", "y", "z"))
            found[level] |= {a.name for a in run.check("serializable").anomalies}
    assert "G-single" in found["repeatable-read"]  # a phantom: RR locks rows, not ranges
    assert found["serializable"] == set()


def test_the_levels_claimed_are_the_checker_levels() -> None:
    assert set(CHECKER_LEVEL) == set(LEVELS)
    assert set(MUTANT_LEVEL) == set(MUTANTS)
    for mutant, level in MUTANT_LEVEL.items():
        ConcurrencyControl(level, mutant)


# -- repeatable ----------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_run() -> None:
    programs = random_programs(5, clients=3, txns=4, keys=("x", "y"))
    a = run_transactions(programs, "serializable-snapshot", seed=5)
    b = run_transactions(programs, "serializable-snapshot", seed=5)
    assert a.history == b.history and a.counts == b.counts and a.log == b.log


def test_the_run_does_not_depend_on_the_hash_seed() -> None:
    code = (
        "from dslib.databases.transactions import random_programs, run_transactions\n"
        "for level in ('serializable', 'serializable-snapshot', 'repeatable-read'):\n"
        "    p = random_programs(3, clients=3, txns=4, keys=('x', 'y', 'z'))\n"
        "    r = run_transactions(p, level, seed=3)\n"
        "    print(r.history, sorted(r.counts.items()))\n"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1


def test_counts_and_aborts_of_a_contention_run() -> None:
    programs = random_programs(1, clients=4, txns=10, keys=("x", "y"))
    run = run_transactions(programs, "snapshot-isolation")
    assert run.committed + sum(run.aborted.values()) == 40
    assert run.committed == run.counts["committed"] - 0  # no client aborts here
    assert set(run.aborted) <= {"first committer wins"}
    assert run.duration > 0
