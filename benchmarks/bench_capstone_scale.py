"""Scale-out of the capstone store: throughput against shard groups, and a migration's cost.

Tables (all figures in simulated time; the simulator's handlers take no time, so the
capacity column is the utilisation-law bound from the busiest server's messages per
operation, relative to one group: see ``dslib.capstone.scale``):

1. for each number of groups (``--groups``, default 1 2 4 8) and each seed, a steady
   window with two closed-loop clients per group: ok operations per second, latency
   p50 and p99, messages per operation, the busiest server's messages per operation,
   redirects ("not the leader") per operation, the controller's messages per second,
   and the linearizability verdict of the history;
2. the mean over the seeds of each row, with the capacity gain over one group;
3. one shard's migration while clients run, for each seed: when the controller
   committed the move, how long no group served the shard, when the old owner
   dropped its copy, and the messages of the hand-over.

Run: ``python benchmarks/bench_capstone_scale.py [--groups 1 2 4 8] [--seeds 3]``
(about a minute of CPU with the defaults).
"""

from __future__ import annotations

import argparse
import statistics
import time

from dslib.capstone.scale import HEADER, capacity_gain, migration_cost, scale_point


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0 .. seeds-1")
    parser.add_argument("--clients-per-group", type=int, default=2)
    parser.add_argument("--window", type=float, default=1000.0, help="ms measured")
    args = parser.parse_args()
    seeds = range(args.seeds)
    start = time.perf_counter()
    print("1. each run (window of", f"{args.window:g} ms after 1000 ms of warm-up)")
    print("seed " + HEADER)
    rows = {}
    for g in args.groups:
        rows[g] = []
        for seed in seeds:
            p = scale_point(g, seed, clients_per_group=args.clients_per_group, window=args.window)
            rows[g].append(p)
            print(f"{seed:4d} {p.row()}", flush=True)
    print()
    print("2. mean over seeds")
    print("groups clients   ok ops/s     p50     p99  busiest  redir/op  ctrl/s  capacity gain")
    for g in args.groups:
        ps = rows[g]
        m = statistics.fmean
        print(
            f"{g:6d} {ps[0].clients:7d} {m(p.throughput for p in ps):10.0f} "
            f"{m(p.p50 for p in ps):7.1f} {m(p.p99 for p in ps):7.1f} "
            f"{m(p.busiest_per_op for p in ps):8.2f} {m(p.redirects_per_op for p in ps):9.2f} "
            f"{m(p.controller_per_second for p in ps):7.0f}  "
            f"{m(capacity_gain([rows[args.groups[0]][i], p])[1] for i, p in enumerate(ps)):.2f}"
        )
    print()
    print("3. one migration (2 groups, 4 clients, the shard of key a0 moves at 1000 ms)")
    for seed in seeds:
        print(f"seed {seed}: {migration_cost(seed).summary()}")
    print(f"\n({time.perf_counter() - start:.0f} s of wall time)")


if __name__ == "__main__":
    main()
