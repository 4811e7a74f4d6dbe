"""Sweeps scaled out: the same seeds run here, on 1 and 2 local processes, and on a local Dask
cluster of 2 workers; wall time, speed-up, and a check that every result is identical.

Two sweeps, each over the same seeds whatever runs them (``dslib.testing.executors``):

- Raft: the key-value store of ``dslib.raft.checks.nemesis_runs`` (5 servers under
  crashes, loss bursts, duplication and a leader cut off; linearizability and lost
  or doubled appends checked), one run per seed;
- replication: the runs of ``benchmarks/sweep_replication.py`` (4 stores x 3 fault
  kinds, each judged by its claim), one task per seed running all 12.

Each task returns what its runs did (verdict, faults, operations, events), which
differs from seed to seed, so a result out of order or from the wrong seed would
show as a difference.

Local processes run twice: "started for it" includes starting them (``spawn``: each
imports dslib), as ``executor=2`` pays it on every call; "started before" is a
``process_pool`` made, and warmed up on two seeds, before the clock, as a script that
runs many sweeps uses it. The Dask cluster too is started and warmed up before the
clock (a cluster outlives many sweeps), on 127.0.0.1 only. Speed-up is serial time over
the executor's time. "CPU s" adds up the processor time of the runs, wherever they
ran, and "cores busy" is CPU s over wall s: how many cores the sweep kept busy. On 2
cores, 2 workers can at best halve the time and keep 2 cores busy; when other
processes share the cores they get less, which the load average printed shows.

    .venv/bin/python benchmarks/bench_executors.py
    .venv/bin/python benchmarks/bench_executors.py --raft-seeds 40 --replication-seeds 10
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import timed

from dslib.raft import RaftConfig
from dslib.raft.checks import NEMESIS_OPTIONS
from dslib.raft.kv import run_kv
from dslib.replication.checks import FAULT_KINDS, STORES, faulty_run, faulty_run_verdict
from dslib.testing.executors import Executor, map_seeds, process_pool


def raft_run(ops: int, seed: int) -> tuple[Any, ...]:
    """One seed of the Raft sweep: verdict, faults, operations by status, events."""
    run = run_kv(
        seed, ops=ops, config=RaftConfig(snapshot_every=10), shrink=False, **NEMESIS_OPTIONS
    )
    return run.verdict, run.faults, sorted(run.ops.items()), run.sim.events


def replication_runs(seed: int) -> list[tuple[Any, ...]]:
    """One seed of the replication sweep: every store under every fault kind."""
    out = []
    for store in STORES:
        for kinds in FAULT_KINDS:
            sim = faulty_run(store, seed, kinds)
            outcome = faulty_run_verdict(store, sim)
            out.append((store, kinds, outcome.ok, outcome.detail, sim.events))
    return out


def measured(task: Callable[[int], Any], seed: int) -> tuple[Any, float]:
    """``task(seed)`` and the processor seconds it took, in whichever process ran it."""
    start = time.process_time()
    result = task(seed)
    return result, time.process_time() - start


def raft_sweep(seeds: range, executor: Executor, ops: int = 40) -> list[Any]:
    """The Raft KV nemesis sweep."""
    return map_seeds(partial(measured, partial(raft_run, ops)), seeds, executor)


def replication_sweep(seeds: range, executor: Executor) -> list[Any]:
    """The replication sweep, all 12 cells of a seed in one task."""
    return map_seeds(partial(measured, replication_runs), seeds, executor)


def on_processes(workers: int, sweep: Callable[[Executor], list[Any]]) -> list[Any]:
    """``sweep`` on a pool of ``workers`` processes started for it (their start included)."""
    with process_pool(workers) as pool:
        return sweep(pool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raft-seeds", type=int, default=120)
    parser.add_argument("--ops", type=int, default=40, help="operations per Raft client")
    parser.add_argument("--replication-seeds", type=int, default=40)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    args = parser.parse_args()
    if min(args.raft_seeds, args.replication_seeds, args.ops) < 1:
        parser.error("--raft-seeds, --replication-seeds and --ops must be >= 1")

    sweeps: list[tuple[str, range, Callable[[range, Executor], list[Any]]]] = [
        (
            f"Raft KV nemesis, {args.raft_seeds} seeds",
            range(args.raft_seeds),
            partial(raft_sweep, ops=args.ops),
        ),
        (
            f"replication, {args.replication_seeds} seeds x 12",
            range(args.replication_seeds),
            replication_sweep,
        ),
    ]
    with ExitStack() as stack:
        # started before the clock, and warmed up on two seeds of each sweep (below)
        warm: list[tuple[str, Executor]] = [
            ("2 processes, started before", stack.enter_context(process_pool(2)))
        ]
        if not args.no_dask:
            from distributed import Client, LocalCluster

            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=2,
                    processes=True,
                    threads_per_worker=1,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",
                    silence_logs=50,
                )
            )
            warm.append(("Dask LocalCluster, 2 workers", stack.enter_context(Client(cluster))))
        print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start")
        print(
            f"{'sweep':30} {'executor':28} {'wall s':>6} {'speed-up':>8} {'vs 1 proc':>9} "
            f"{'CPU s':>6} {'cores busy':>10}  same results"
        )
        for name, seeds, sweep in sweeps:
            for _, executor in warm:
                sweep(range(2), executor)
            serial = timed(partial(sweep, seeds, None), 1)
            runs: list[tuple[str, Callable[[], list[Any]]]] = [
                ("1 process, started for it", partial(on_processes, 1, partial(sweep, seeds))),
                ("2 processes, started for it", partial(on_processes, 2, partial(sweep, seeds))),
                *((label, partial(sweep, seeds, executor)) for label, executor in warm),
            ]
            expected = [result for result, _ in serial[1]]
            one_process = 0.0
            for label, (seconds, measured) in [
                ("serial (here)", serial),
                *((label, timed(run, 1)) for label, run in runs),
            ]:
                one_process = seconds if label.startswith("1 process") else one_process
                same = [result for result, _ in measured] == expected
                cpu = sum(c for _, c in measured)
                versus = f"{one_process / seconds:8.2f}x" if one_process else f"{'':9}"
                print(
                    f"{name:30} {label:28} {seconds:6.1f} {serial[0] / seconds:7.2f}x {versus} "
                    f"{cpu:6.1f} {cpu / seconds:10.2f}  {'yes' if same else 'NO'}",
                    flush=True,
                )
                if not same:
                    raise SystemExit(f"{name}: {label} gave different results")
    print(f"load average {os.getloadavg()[0]:.1f} at the end; every result identical")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - started:.0f} s")
