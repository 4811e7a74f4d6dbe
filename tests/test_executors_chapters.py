"""Every chapter's seeded sweep takes an executor and gives the same result, seed for seed,
run here or on 2 local processes (one shared pool), and on a local Dask cluster for the
cheapest; the Raft sweep script prints the same report with ``--workers 2``.

Each sweep is chosen so that a mix-up would show: the runs differ from seed to seed,
and where a check stops at the first failing seed, that seed is not the first one, so
a result taken out of order, or a later failure reported first, changes the outcome.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from dslib.failure import FixedTimeout, detection_summary
from dslib.mutants import Outcome
from dslib.replication.checks import ReplicationVariant, replication_checks
from dslib.sharding.store import store_checks
from dslib.sharding.transactions import bank_checks
from dslib.small_systems.registers import (
    default_workloads,
    quorum_mutants,
    quorum_register,
    register_checks,
)
from dslib.testing.executors import process_pool

ROOT = Path(__file__).resolve().parents[1]
TEN_OPERATIONS: dict[str, Any] = {"clients": 1, "workload": default_workloads(1, 10)}


class Counted(Executor):
    """An executor that hands every task to ``inner`` and counts them: a sweep that
    ignored its ``executor=`` and ran here would give the same result, but no count."""

    def __init__(self, inner: Executor) -> None:
        self.inner, self.submitted, self._max_workers = inner, 0, 2

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return self.inner.submit(fn, *args, **kwargs)


@pytest.fixture(scope="module")
def workers() -> Iterator[ProcessPoolExecutor]:
    """Two local worker processes, started once for the whole file."""
    with process_pool(2) as processes:
        yield processes


@pytest.fixture
def pool(workers: ProcessPoolExecutor) -> Counted:
    """The shared workers, counted: each test checks that its sweep used them."""
    return Counted(workers)


def test_detection_summary_is_the_same_on_workers(pool: Counted) -> None:
    def summary(executor: Any) -> dict[str, Any]:
        return detection_summary(
            FixedTimeout(1.5), seeds=range(8), jitter=0.5, duration=100, executor=executor
        )

    here = summary(None)
    assert here["detection time sd"] > 0 and here["mistakes sd"] > 0  # the seeds differ
    assert repr(summary(pool)) == repr(here)  # repr: a NaN would compare unequal to itself
    assert pool.submitted > 0


def test_register_sweep_stops_at_the_same_seed_on_workers(pool: Counted) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the mutant's quorums do not intersect: it warns
        broken = next(m for m in quorum_mutants(**TEN_OPERATIONS) if m.name == "R=1, W=2").build()

    def correct() -> Any:
        return quorum_register(**TEN_OPERATIONS)

    def outcomes(executor: Any) -> list[Outcome]:
        sweep = register_checks(("r1", "r2", "r3"), seeds=range(12), executor=executor)["sweep"]
        return [sweep(correct), sweep(broken)]

    here = outcomes(None)
    assert here[0].ok and not here[1].ok
    assert not here[1].detail.startswith("seed 0:")  # the stop is not at the first seed
    assert outcomes(pool) == here
    assert pool.submitted > 0


def test_replication_random_faults_are_the_same_on_workers(pool: Counted) -> None:
    def outcomes(executor: Any) -> list[Outcome]:
        checks = replication_checks(seeds=12, executor=executor)
        check = checks["ABD: linearizable under random faults"]
        return [check(ReplicationVariant()), check(ReplicationVariant(quorums=(3, 1, 1)))]

    here = outcomes(None)
    assert here[0] == Outcome(True, None, "12 seeds")
    assert not here[1].ok and here[1].detail != "seed 0"
    assert outcomes(pool) == here
    assert pool.submitted > 0


@pytest.mark.parametrize(
    ("checks", "mutants"),
    [
        (store_checks, (None, "serves_while_leaving", "forgets_on_crash", "drops_dedup_table")),
        (bank_checks, (None, "commits_before_decision", "gives_up", "commits_on_first_yes")),
    ],
    ids=["store_checks", "bank_checks"],
)
def test_the_sharding_checks_are_the_same_on_workers(
    pool: Counted, checks: Callable[..., dict[str, Any]], mutants: tuple[Any, ...]
) -> None:
    def outcomes(executor: Any) -> dict[tuple[str, Any], Outcome]:
        table = checks(seeds=[3, 1, 2], executor=executor)
        return {(name, m): check(m) for name, check in sorted(table.items()) for m in mutants}

    here = outcomes(None)
    verdicts = {o.ok for o in here.values()}
    assert verdicts == {True, False}  # some pass, some fail: both paths are compared
    assert outcomes(pool) == here
    assert pool.submitted > 0


@pytest.mark.parametrize(
    "call",
    [
        lambda e: detection_summary(FixedTimeout(1.0), seeds=range(2), executor=e),
        lambda e: register_checks(("r1",), executor=e),
        lambda e: replication_checks(executor=e),
        lambda e: store_checks(executor=e),
        lambda e: bank_checks(executor=e),
    ],
    ids=["detection_summary", "register_checks", "replication_checks", "store", "bank"],
)
def test_a_bad_executor_is_refused_at_once(call: Callable[[Any], Any]) -> None:
    with pytest.raises(ValueError, match="asks for no workers"):
        call(0)
    with pytest.raises(TypeError, match="is a str; give None"):
        call("dask")


def test_detection_summary_is_the_same_on_a_dask_cluster() -> None:
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
            options: dict[str, Any] = {"seeds": range(6), "jitter": 0.5, "duration": 60}
            here = detection_summary(FixedTimeout(1.5), **options)
            far = detection_summary(FixedTimeout(1.5), **options, executor=client)
            assert repr(far) == repr(here)
        finally:
            client.close()
    finally:
        cluster.close()


def raft_sweep_report(*options: str) -> list[str]:
    """The report of ``benchmarks/bench_raft_sweep.py`` on 3 small seeds, without its two
    lines of times (which differ from run to run)."""
    command = [sys.executable, "benchmarks/bench_raft_sweep.py", "--seeds", "3"]
    command += ["--first-seed", "7", "--ops", "10", "--no-throughput", *options]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    times = ("wall time", "processor time")
    return [line for line in done.stdout.splitlines() if not line.startswith(times)]


def test_the_raft_sweep_script_prints_the_same_report_on_2_workers() -> None:
    here = raft_sweep_report()
    assert "seeds                       3" in here
    assert any(line.startswith("faults injected") for line in here)
    assert raft_sweep_report("--workers", "2") == here


def test_soak_passes_its_executor_to_every_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("soak", ROOT / "tools" / "soak.py")
    assert spec is not None and spec.loader is not None
    soak = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "soak", soak)  # its dataclass looks itself up there
    spec.loader.exec_module(soak)
    for name, template, *_ in soak.SWEEPS:
        command = template.format(python="python", first=0, count=1, executor=" --workers 2")
        assert command.endswith(" --workers 2") or " --workers 2 " in command, name
