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
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dslib.raft import RaftConfig
from dslib.raft.kv import run_kv
from dslib.sim import Network, RandomNemesis, uniform

SERVERS = ["s1", "s2", "s3", "s4", "s5"]


def sweep_run(seed: int, ops: int, clients: int) -> tuple[object, float]:
    """One seed of the sweep; returns the run and the wall seconds it took (all included)."""
    duration = 45.0 * ops + 500.0
    nemesis = RandomNemesis(
        until=duration - 500.0,
        kinds=("crash", "partition", "pause", "loss"),
        mean_interval=300.0,
        duration=250.0,
        nodes=SERVERS,
    )
    t = time.perf_counter()
    run = run_kv(
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
    return run, time.perf_counter() - t


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
    args = parser.parse_args()

    totals = {"ok": 0, "info": 0, "fail": 0}
    faults = lost = doubled = 0
    bad: list[str] = []
    verdicts: dict[str, int] = {}
    wall = 0.0
    start = time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        run, seconds = sweep_run(seed, args.ops, args.clients)
        wall += seconds
        for k, v in run.ops.items():  # type: ignore[attr-defined]
            totals[k] = totals.get(k, 0) + v
        faults += run.faults  # type: ignore[attr-defined]
        lost += len(run.lost)  # type: ignore[attr-defined]
        doubled += len(run.doubled)  # type: ignore[attr-defined]
        verdict = run.verdict  # type: ignore[attr-defined]
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
        if verdict != "ok":
            bad.append(f"seed {seed}: {run}")
            print(f"BAD seed {seed}: {run}", flush=True)
        if (seed - args.first_seed + 1) % 25 == 0:
            print(
                f"  ... {seed - args.first_seed + 1} seeds, {time.perf_counter() - start:.0f} s",
                flush=True,
            )
    ops_total = sum(totals.values())
    print()
    print(f"Raft KV sweep: {args.seeds} seeds x {args.clients} clients x {args.ops} operations")
    rows = [
        ("seeds", f"{args.seeds}"),
        ("client operations", f"{ops_total:,}"),
        ("  ok / info / fail", f"{totals['ok']:,} / {totals['info']:,} / {totals['fail']:,}"),
        ("faults injected", f"{faults:,}"),
        ("verdicts", ", ".join(f"{k}: {v}" for k, v in sorted(verdicts.items()))),
        (
            "linearizability violations",
            f"{sum(v for k, v in verdicts.items() if k == 'violation')}",
        ),
        ("unknown (time limit)", f"{verdicts.get('unknown', 0)}"),
        ("acknowledged appends lost", f"{lost}"),
        ("appends applied twice", f"{doubled}"),
        (
            "Figure 3 property broken",
            f"{sum(v for k, v in verdicts.items() if k.startswith('broke'))}",
        ),
        ("wall time", f"{wall:.1f} s ({ops_total / wall:,.0f} client ops/s, checking included)"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
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


if __name__ == "__main__":
    main()
