"""The long seeded sweep of chapter 15: the Raft key-value store under a nemesis, many seeds.

Each seed runs a 5-server cluster with 5 clients (``--ops`` operations each) under
crashes and restarts, partitions, pauses, bursts of message loss, 2% duplication,
latency 1-5 ms (so messages are reordered), and leader isolation (the leader and
client c1 cut off from everyone else) every 2 s; snapshots every 50 entries. Each
run is judged by ``run_kv``: linearizability of the history (``dslib.consistency``),
acknowledged appends lost or applied twice in the final store, and the four
properties of Figure 3 every 50 ms of simulated time.

It prints one line per bad seed (there should be none), a summary table, and the
simulator's throughput: client operations per second of wall time on a 5-server
cluster (without faults and without checking, and over the whole sweep).

    .venv/bin/python benchmarks/bench_raft_sweep.py              # 300 seeds x 2,000 operations
    .venv/bin/python benchmarks/bench_raft_sweep.py --seeds 20   # a quick look
    .venv/bin/python benchmarks/bench_raft_sweep.py --workers 2  # on 2 local processes
    .venv/bin/python benchmarks/bench_raft_sweep.py --scheduler tcp://host:8786   # on Dask

``--workers`` and ``--scheduler`` change who runs the seeds
(``dslib.testing.executors``), not what the sweep prints: the bad seeds and the
table are the same, printed in the seeds' order once the sweep is done; only the
times differ. Progress goes to standard error.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dslib.raft import RaftConfig
from dslib.raft.kv import KVRun, run_kv
from dslib.sim import Network, RandomNemesis, uniform
from dslib.testing.executors import Executor, map_seeds, open_executor

SERVERS = ["s1", "s2", "s3", "s4", "s5"]


def sweep_run(seed: int, ops: int, clients: int) -> KVRun:
    """One seed of the sweep: the finished, judged run."""
    duration = 45.0 * ops + 500.0
    nemesis = RandomNemesis(
        until=duration - 500.0,
        kinds=("crash", "partition", "pause", "loss"),
        mean_interval=300.0,
        duration=250.0,
        nodes=SERVERS,
    )
    return run_kv(
        seed,
        servers=5,
        clients=clients,
        ops=ops,
        nemesis=nemesis,
        network=Network(latency=uniform(1.0, 5.0), duplication=0.02),
        config=RaftConfig(snapshot_every=50),
        duration=duration,
        isolate_leader=2000.0,
        check_every=50.0,
        time_limit=120.0,
        think=20.0,
        give_up=400.0,
        timeout=60.0,
    )


class SeedResult(NamedTuple):
    """What the table needs of one seed's run: small, so that a worker sends it back cheaply."""

    seed: int
    verdict: str
    ops: tuple[tuple[str, int], ...]
    faults: int
    lost: int
    doubled: int
    text: str
    seconds: float


def seed_result(ops: int, clients: int, seed: int) -> tuple[Any, ...]:
    """One seed of the sweep, summarized (the task of ``map_seeds``): the fields of a
    ``SeedResult``. ``seconds`` is the processor time of the run and its checks, in
    whichever process ran it.

    A plain tuple, not a ``SeedResult``: a worker sends its result back with ``pickle``,
    which can name a class of this script only when the script is imported, not run.
    """
    start = time.process_time()
    run = sweep_run(seed, ops, clients)
    return (
        seed,
        run.verdict,
        tuple(sorted(run.ops.items())),
        run.faults,
        len(run.lost),
        len(run.doubled),
        repr(run),
        time.process_time() - start,
    )


def sweep(
    seeds: range, ops: int, clients: int, executor: Executor = None, progress: bool = True
) -> list[SeedResult]:
    """Every seed's result, in the seeds' order, whoever runs them; progress on stderr."""
    start = time.perf_counter()
    shown = [0]

    def report(done: int, total: int) -> None:
        if done // 25 > shown[0] // 25 or done == total:
            shown[0] = done
            print(f"  ... {done} seeds, {time.perf_counter() - start:.0f} s", file=sys.stderr)

    task = partial(seed_result, ops, clients)
    results = map_seeds(
        task, seeds, executor, progress=report if progress else False, owner="bench_raft_sweep"
    )
    return [SeedResult(*fields) for fields in results]


def throughput(ops: int, clients: int, repeat: int = 3) -> tuple[float, float, int]:
    """Client operations per wall second with no faults and no checking (best of ``repeat``).

    Snapshots every 50 entries, as in the sweep: without them every persist writes
    (and the simulator hashes) the whole log, and a run slows down as its log grows.
    """
    from dslib.raft.kv import kv_system
    from dslib.sim import Simulation

    ops_per_client = ops
    best = float("inf")
    done = 0
    sim_ms = 0.0
    for _ in range(repeat):
        system = kv_system(5, clients, ops, seed=0, config=RaftConfig(snapshot_every=50), think=0.0)
        sim = Simulation(system, seed=0, network=Network(latency=uniform(1.0, 5.0)))
        client_ids = [c for c in sorted(system.nodes) if c.startswith("c")]
        t = time.perf_counter()
        while any(sim.states[c].next_op < ops_per_client for c in client_ids):
            sim.run(until=sim.now + 100.0)
        best = min(best, time.perf_counter() - t)
        done = sum(1 for op in sim.history.operations() if op.status == "ok")
        sim_ms = max(op.complete_time or 0.0 for op in sim.history.operations())
    return done / best, done / (sim_ms / 1000.0), done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--ops", type=int, default=400, help="operations per client")
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument(
        "--no-throughput", action="store_true", help="skip the fault-free throughput runs"
    )
    parser.add_argument("--workers", type=int, default=None, help="local worker processes")
    parser.add_argument("--scheduler", default=None, help="a Dask scheduler, tcp://host:8786")
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error(f"--seeds {args.seeds}: must be >= 1")
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers {args.workers}: must be >= 1")
    if args.workers is not None and args.scheduler is not None:
        parser.error("--workers and --scheduler: give one")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    start = time.perf_counter()
    with open_executor(args.workers, args.scheduler) as executor:
        results = sweep(seeds, args.ops, args.clients, executor)
    wall = time.perf_counter() - start
    where = (
        f"Dask scheduler {args.scheduler}"
        if args.scheduler
        else f"{args.workers} local processes"
        if args.workers and args.workers > 1
        else "this process"
    )
    print_table(args, results, wall, where)
    if args.no_throughput:
        return
    per_wall, per_sim, done = throughput(args.ops, args.clients)
    print()
    print(
        "Simulator throughput, 5 servers, snapshots every 50, no faults, no checking (best of 3):"
    )
    print(
        f"  {done:,} operations: {per_wall:,.0f} client ops per wall second; "
        f"{per_sim:,.0f} per simulated second"
    )


def print_table(
    args: argparse.Namespace, results: list[SeedResult], wall: float, where: str
) -> None:
    """The bad seeds, in the seeds' order, then the summary table."""
    totals = {"ok": 0, "info": 0, "fail": 0}
    verdicts: dict[str, int] = {}
    for r in results:
        for k, v in r.ops:
            totals[k] = totals.get(k, 0) + v
        verdicts[r.verdict] = verdicts.get(r.verdict, 0) + 1
        if r.verdict != "ok":
            print(f"BAD seed {r.seed}: {r.text}", flush=True)
    ops_total = sum(totals.values())
    cpu = sum(r.seconds for r in results)
    print()
    print(f"Raft KV sweep: {args.seeds} seeds x {args.clients} clients x {args.ops} operations")
    rows: list[tuple[str, Any]] = [
        ("seeds", f"{args.seeds}"),
        ("client operations", f"{ops_total:,}"),
        ("  ok / info / fail", f"{totals['ok']:,} / {totals['info']:,} / {totals['fail']:,}"),
        ("faults injected", f"{sum(r.faults for r in results):,}"),
        ("verdicts", ", ".join(f"{k}: {v}" for k, v in sorted(verdicts.items()))),
        (
            "linearizability violations",
            f"{sum(v for k, v in verdicts.items() if k == 'violation')}",
        ),
        ("unknown (time limit)", f"{verdicts.get('unknown', 0)}"),
        ("acknowledged appends lost", f"{sum(r.lost for r in results)}"),
        ("appends applied twice", f"{sum(r.doubled for r in results)}"),
        (
            "Figure 3 property broken",
            f"{sum(v for k, v in verdicts.items() if k.startswith('broke'))}",
        ),
        (
            "wall time",
            f"{wall:.1f} s on {where} ({ops_total / wall:,.0f} client ops/s, checking included)",
        ),
        ("processor time", f"{cpu:.1f} s in the runs, wherever they ran"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
