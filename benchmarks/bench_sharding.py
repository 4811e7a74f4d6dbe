"""Sharding and load balancing: lookup cost, keys moved, balance; simulator throughput.

Tables:

1. each partitioning scheme at N nodes: wall time per lookup (best of ``--repeat``),
   lookup steps (hash evaluations + comparisons + loop iterations), routing state
   size, load spread (max/mean over keys) and the fraction of keys moved when one
   node joins and when one leaves, against the ideal ``1/(N+1)`` and ``1/N``;
2. the load balancer in the simulator: simulated requests per second of wall time
   for each policy, and the p99 behind a slow backend;
3. the sharded store: one run with migrations and faults, and its linearizability
   check, in milliseconds; and balls into bins.

Run: ``python benchmarks/bench_sharding.py [--nodes 10 100 1000] [--keys 20000]``
"""

from __future__ import annotations

import argparse
import time

from dslib.balancing import POLICIES, balls_into_bins, run_balancer
from dslib.sharding import (
    CHURN_SCHEDULE,
    ConsistentHashRing,
    JumpHash,
    ModHash,
    RangePartitioner,
    Rendezvous,
    load_stats,
    make_keys,
    moved_keys,
    run_store,
    store_faults,
)
from dslib.sharding.store import linearizable_outcome


def schemes(nodes: list[str], keys: list[str]) -> list:
    return [
        ModHash(nodes),
        RangePartitioner.from_keys(nodes, keys),
        ConsistentHashRing(nodes, vnodes=1),
        ConsistentHashRing(nodes, vnodes=100),
        Rendezvous(nodes),
        JumpHash(nodes),
    ]


def time_lookups(p: object, keys: list[str], repeat: int) -> float:
    lookup = p.lookup  # type: ignore[attr-defined]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for k in keys:
            lookup(k)
        best = min(best, time.perf_counter() - start)
    return best / len(keys) * 1e6


def partitioning_table(sizes: list[int], n_keys: int, repeat: int) -> None:
    keys = make_keys(n_keys)
    print(
        f"{'N':>5} {'scheme':<26} {'us/lookup':>9} {'steps':>6} {'state':>7} "
        f"{'max/mean':>8} {'join moved':>10} {'ideal':>6} {'leave moved':>11} {'ideal':>6}"
    )
    for n in sizes:
        nodes = [f"n{i}" for i in range(n)]
        sample = keys[: min(len(keys), 2000)]
        for p in schemes(nodes, keys):
            us = time_lookups(p, sample, repeat)
            spread = load_stats(p, keys).max_over_mean
            joined = moved_keys(p, p.with_node("new", keys=keys), keys) / len(keys)
            left = moved_keys(p, p.without_node(nodes[n // 2]), keys) / len(keys)
            print(
                f"{n:>5} {p.name:<26} {us:>9.2f} {p.lookup_steps(keys[0]):>6} "
                f"{p.state_size():>7} {spread:>8.2f} {joined:>10.3f} {1 / (n + 1):>6.3f} "
                f"{left:>11.3f} {1 / n:>6.3f}"
            )


def balancer_table(requests: int) -> None:
    slow = [(0.5, 1.5)] * 4 + [(2.5, 7.5)]
    print(f"\n{'policy':<20} {'requests/s (wall)':>18} {'p50':>7} {'p99':>9} {'p99.9':>9}")
    for policy in POLICIES:
        start = time.perf_counter()
        run = run_balancer(policy, slow, rate=3.0, requests=requests, seed=1)
        elapsed = time.perf_counter() - start
        print(
            f"{policy:<20} {requests / elapsed:>18,.0f} {run.p(50):>7.2f} {run.p(99):>9.2f} "
            f"{run.p(99.9):>9.2f}"
        )


def store_and_bins() -> None:
    start = time.perf_counter()
    run = run_store(
        seed=1, schedule=CHURN_SCHEDULE, faults=store_faults(1), loss=0.2, duplication=0.1
    )
    ran = time.perf_counter() - start
    start = time.perf_counter()
    ok = linearizable_outcome(run).ok
    checked = time.perf_counter() - start
    print(
        f"\nsharded store: {run.simulation.events} events, {len(run.history.operations())} "
        f"operations, {len(run.configs)} configurations: run {ran * 1e3:.1f} ms, "
        f"linearizability check {checked * 1e3:.1f} ms (ok={ok})"
    )
    for n in (100_000, 1_000_000):
        for d in (1, 2):
            start = time.perf_counter()
            top = max(balls_into_bins(n, choices=d, seed=1))
            print(
                f"balls into bins n={n:>9,} d={d}: max load {top}, "
                f"{n / (time.perf_counter() - start):,.0f} balls/s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--keys", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    partitioning_table(args.nodes, args.keys, args.repeat)
    balancer_table(args.requests)
    store_and_bins()


if __name__ == "__main__":
    main()
