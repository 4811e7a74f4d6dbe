"""Tests of dslib.testing.executors: a sweep gives the same result, seed for seed, run here,
on 1 or 2 local processes, or on a local Dask cluster of 2 worker processes; errors name
their seed; bad executors are refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import pytest

from dslib.consistency import Register, check_linearizable
from dslib.raft import RaftConfig
from dslib.raft.checks import catch_rates, nemesis_runs
from dslib.raft.timeouts import election_downtime
from dslib.sim import RandomNemesis
from dslib.small_systems.registers import primary_backup
from dslib.testing import sweep
from dslib.testing.executors import check_executor, map_seeds, open_executor, reproduction


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A local Dask cluster of 2 worker processes, on 127.0.0.1 only, closed even on failure."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=40,  # logging.ERROR
    )
    try:
        client = distributed.Client(cluster)
        try:
            addresses = [cluster.scheduler_address, *client.nthreads()]
            assert all(a.startswith("tcp://127.0.0.1:") for a in addresses), addresses
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


CRASHES = RandomNemesis(
    until=60.0, kinds=("crash",), mean_interval=20.0, nodes=("primary", "backup")
)


def table(executor: Any, **options: Any) -> pd.DataFrame:
    """A sweep whose rows differ from seed to seed (faults, events, verdicts); a lambda
    as check, which only cloudpickle can send to a worker."""
    return sweep(
        primary_backup,
        seeds=[5, 0, 9, *range(1, 5), *range(10, 19)],  # not sorted: the order is the caller's
        nemesis=CRASHES,
        consistency=lambda h: check_linearizable(h, Register()),
        until=200.0,
        executor=executor,
        **options,
    )


def test_a_sweep_is_the_same_here_on_processes_and_on_a_dask_cluster(dask_client: Any) -> None:
    here = table(None)
    assert here["seed"].tolist()[:3] == [5, 0, 9]
    assert len(set(here["events"])) > 3  # the runs differ: a mixed-up order would show
    for executor in (1, 2, dask_client):
        pd.testing.assert_frame_equal(table(executor), here)


def test_stop_at_first_gives_the_same_table_whoever_runs_it(dask_client: Any) -> None:
    def stop_table(executor: Any) -> pd.DataFrame:
        return sweep(
            primary_backup,
            seeds=range(12),
            nemesis=CRASHES,
            check=lambda sim: sim.events % 3 != 0,  # fails on some seeds, not the first
            executor=executor,
            stop_at_first=True,
        )

    here = stop_table(None)
    assert 1 < len(here) < 12 and here["verdict"].iloc[-1] == "violation"
    for executor in (2, dask_client):
        pd.testing.assert_frame_equal(stop_table(executor), here)


def test_the_raft_checks_and_timeout_experiment_are_the_same_on_workers(dask_client: Any) -> None:
    downtimes = election_downtime((150, 300), trials=30, seed=4)
    assert election_downtime((150, 300), trials=30, seed=4, executor=2) == downtimes
    assert election_downtime((150, 300), trials=30, seed=4, executor=dask_client) == downtimes
    mutant = RaftConfig(mutant="match_leader_last")
    verdict = nemesis_runs(mutant, seeds=range(6), ops=20)
    assert nemesis_runs(mutant, seeds=range(6), ops=20, executor=dask_client) == verdict
    checks = ["KV store under faults", "progress after benign faults"]
    rates = catch_rates(RaftConfig(mutant="forget_term"), checks, seeds=range(6))
    far = catch_rates(RaftConfig(mutant="forget_term"), checks, range(6), executor=2)
    assert [(r.check, r.caught, r.runs, r.detail) for r in far] == [
        (r.check, r.caught, r.runs, r.detail) for r in rates
    ]
    assert all(r.seconds > 0 for r in far)  # processor time measured in the workers


FINISHED: list[int] = []


def slow_for_small_seeds(seed: int) -> int:
    """Seed 0 takes longest: the workers finish in the reverse of the seeds' order."""
    time.sleep(0.1 * (6 - seed))
    FINISHED.append(seed)  # seen by the test only when the workers are threads of this process
    return seed * 10


def test_results_come_in_the_seeds_order_not_the_order_they_finish() -> None:
    FINISHED.clear()
    with ThreadPoolExecutor(2) as pool:  # threads: the test can see the order they finish
        out = map_seeds(slow_for_small_seeds, range(6), pool, chunksize=1)
    assert sorted(FINISHED) != FINISHED
    assert out == [0, 10, 20, 30, 40, 50]
    assert map_seeds(slow_for_small_seeds, range(6), 2, chunksize=1) == out


def fail_on_3_and_7(seed: int) -> int:
    """Seed 7 fails at once, seed 3 only after a while: 7 is the first failure to arrive."""
    if seed == 3:
        time.sleep(0.5)
        raise ValueError(f"bad seed {seed}")
    if seed == 7:
        raise ValueError(f"bad seed {seed}")
    return seed


@pytest.mark.parametrize("executor", [None, 2])
def test_the_first_failing_seed_in_order_is_raised_with_how_to_reproduce_it(
    executor: Any,
) -> None:
    with pytest.raises(ValueError, match="bad seed 3") as caught:
        map_seeds(fail_on_3_and_7, range(10), executor, chunksize=1)
    notes = "\n".join(caught.value.__notes__)
    assert f"seed 3; reproduce: {__name__}.fail_on_3_and_7(3)" in notes
    if executor is not None:
        assert "in the worker:" in notes and "fail_on_3_and_7" in notes


def test_dask_reports_a_failing_seed_too(dask_client: Any) -> None:
    with pytest.raises(ValueError, match="bad seed 3") as caught:
        map_seeds(fail_on_3_and_7, range(10), dask_client, chunksize=2)
    assert any("seed 3; reproduce:" in n for n in caught.value.__notes__)


def test_a_broken_check_is_a_check_error_from_a_worker_too() -> None:
    from dslib.testing import CheckError

    with pytest.raises(CheckError, match="check returned str 'yes' at the end") as caught:
        sweep(primary_backup, seeds=range(3), check=lambda sim: "yes", executor=2)
    assert any(
        n.startswith("seed 0; reproduce: dslib.testing.sweep._sweep_row(")
        for n in caught.value.__notes__
    )


class Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:  # pickle cannot rebuild it from args
        super().__init__(f"{a} and {b}")


def raise_unpicklable(seed: int) -> None:
    raise Unpicklable(seed, 2)


def test_an_exception_comes_back_with_its_type_or_else_its_text() -> None:
    with pytest.raises(Unpicklable, match="1 and 2") as caught:  # pickle alone would fail
        map_seeds(raise_unpicklable, [1], 1)
    assert any("seed 1; reproduce:" in n for n in caught.value.__notes__)

    class Local(Exception):  # no module to import it from: only its text can come back
        pass

    def raise_local(seed: int) -> None:
        raise Local(f"boom {seed}")

    with pytest.raises(RuntimeError, match="Local: boom 4") as text:
        map_seeds(raise_local, [4], 1)
    assert any("seed 4; reproduce:" in n for n in text.value.__notes__)


def test_reproduction_shows_the_call_with_the_seed() -> None:
    from functools import partial

    assert reproduction(partial(divmod, 7), 3) == "builtins.divmod(7, 3)"
    assert reproduction(slow_for_small_seeds, 2) == f"{__name__}.slow_for_small_seeds(2)"


def test_progress_counts_the_seeds_done() -> None:
    seen: list[tuple[int, int]] = []
    map_seeds(abs, range(7), 2, chunksize=3, progress=lambda d, t: seen.append((d, t)))
    assert [t for _, t in seen] == [7] * 3
    assert sorted(d for d, _ in seen) == [d for d, _ in seen] and seen[-1][0] == 7
    here: list[tuple[int, int]] = []
    map_seeds(abs, range(3), progress=lambda d, t: here.append((d, t)))
    assert here == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize(
    ("executor", "error", "message"),
    [
        (0, ValueError, "executor=0 asks for no workers; give None"),
        (-2, ValueError, "executor=-2 asks for no workers"),
        (True, TypeError, "executor=True is a bool; give None .*an int >= 1"),
        (1.5, TypeError, "executor=1.5 is a float"),
        ("dask", TypeError, "executor='dask' is a str.*dask.distributed.Client"),
    ],
)
def test_bad_executors_are_refused_saying_what_is_allowed(
    executor: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        check_executor(executor)
    with pytest.raises(error, match=f"sweep: {message}"):
        sweep(primary_backup, seeds=range(2), executor=executor)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="seed '1' is not an int"):
        map_seeds(abs, [0, "1"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="chunksize=0 must be an int >= 1 or None"):
        map_seeds(abs, [0], 2, chunksize=0)
    with pytest.raises(TypeError, match="task=3 must be callable"):
        map_seeds(3, [0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="progress='yes' must be a bool or a callable"):
        map_seeds(abs, [0], progress="yes")  # type: ignore[arg-type]
    assert map_seeds(abs, []) == [] and map_seeds(abs, [], 2) == []


def test_open_executor_gives_what_a_script_asks_for(dask_client: Any) -> None:
    with open_executor() as here, open_executor(1) as one:
        assert here is None and one is None  # one worker: run here, nothing to start
    with open_executor(2) as pool:
        assert map_seeds(abs, [-1, -2, -3], pool) == [1, 2, 3]
    with open_executor(scheduler=dask_client.scheduler.address) as client:
        assert map_seeds(abs, [-4, 5], client) == [4, 5]
    with (
        pytest.raises(ValueError, match="give one, local processes or a Dask cluster"),
        open_executor(2, "tcp://127.0.0.1:1"),
    ):
        pass


def test_results_of_a_class_defined_in_main_come_back(tmp_path):
    # A notebook or script defines its own result class (in __main__): cloudpickle sends
    # it by value both ways, where pickle would refuse it ("not the same object").
    script = tmp_path / "sweep_main.py"
    script.write_text(
        "from dataclasses import dataclass\n"
        "from dslib.testing.executors import map_seeds\n"
        "@dataclass(frozen=True)\n"
        "class Row:\n"
        "    seed: int\n"
        "    square: int\n"
        "if __name__ == '__main__':\n"
        "    rows = map_seeds(lambda s: Row(s, s * s), [3, 1, 2], 2)\n"
        "    print([(r.seed, r.square) for r in rows])\n"
    )
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[(3, 9), (1, 1), (2, 4)]"
