"""Speed of chapter 8's transactional store: throughput and aborts at each isolation level.

Closed-loop clients (each issues its next operation as soon as the last one is answered)
run random interactive transactions against the store of ``dslib.databases.transactions``
at every level, on two contention workloads:

- ``hot`` : 8 clients, 25 transactions each of 1 to 4 operations on 2 keys, half reads
  (list-append): nearly every pair of concurrent transactions conflicts;
- ``warm``: 8 clients, 25 transactions each of 2 to 6 operations on 16 keys, 80 % reads
  (read-write registers): conflicts are rarer.

For each: committed transactions, the abort rate (server aborts among all transactions,
by reason), committed transactions per 1,000 units of simulated time (a message takes 1
unit, so that is per 1,000 network hops), and committed transactions per second of wall
time (the median of ``--repeat`` runs; the simulator, the engine and its immutable state
included). Each run is seeded; the counts are the same on every machine, the wall times
are not.

    .venv/bin/python benchmarks/bench_databases.py
    .venv/bin/python benchmarks/bench_databases.py --txns 100 --repeat 5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import timed

from dslib.databases.concurrency import LEVELS
from dslib.databases.transactions import TxnRun, random_programs, run_transactions

WORKLOADS = {
    # name: (keys, ops per transaction, read fraction, workload)
    "hot": (("x", "y"), (1, 4), 0.5, "list-append"),
    "warm": (tuple(f"k{i:02d}" for i in range(16)), (2, 6), 0.8, "rw-register"),
}


def run(workload: str, level: str, clients: int, txns: int, seed: int) -> TxnRun:
    keys, ops, reads, kind = WORKLOADS[workload]
    programs = random_programs(
        seed, clients, txns, keys, ops=ops, workload=kind, read_fraction=reads
    )
    return run_transactions(programs, level, workload=kind, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--txns", type=int, default=25, help="transactions per client")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    total = args.clients * args.txns
    print(f"{args.clients} clients x {args.txns} transactions = {total} per run, seed {args.seed}")
    header = (
        f"{'workload':8} {'level':22} {'committed':>9} {'abort %':>8} "
        f"{'per 1k sim':>10} {'per s wall':>10}  aborts by reason"
    )
    print(header)
    print("-" * len(header))
    for workload in WORKLOADS:
        for level in LEVELS:
            seconds, result = timed(
                lambda w=workload, lv=level: run(w, lv, args.clients, args.txns, args.seed),
                args.repeat,
            )
            aborted = sum(result.aborted.values())
            reasons = ", ".join(f"{k} {n}" for k, n in sorted(result.aborted.items())) or "-"
            print(
                f"{workload:8} {level:22} {result.committed:9d} {100 * aborted / total:8.1f} "
                f"{1000 * result.committed / result.duration:10.1f} "
                f"{result.committed / seconds:10.0f}  {reasons}"
            )


if __name__ == "__main__":
    main()
