"""The long seeded sweep of chapter 9: cache patterns under crashes, races, herds, a ring.

It prints five tables, each over seeds ``first .. first + seeds - 1``:

1. ``patterns``: the five patterns of ``dslib.caching.patterns`` (and write-back's mutant
   ``ack_before_durable``), each run with the cache crashed at a time drawn from the seed
   (uniform in 100..800) and restarted 30 later: read and write latency (p50, p99), store
   requests per operation, stale reads, the worst staleness, acknowledged writes lost and
   the runs that lost any;
2. ``mutants``: every check of ``dslib.caching.checks`` on every mutant, and the catch
   rate (``ack_before_durable``: the share of crash runs that lose a write; the model
   checks and the herd run are deterministic);
3. ``ttl``: ``dslib.caching.races.ttl_bound``: staleness against TTL + fill age;
4. ``herd``: ``dslib.caching.herd.herd_table``: the store's peak load per fill strategy;
5. ``ring``: ``dslib.caching.distributed.failure_table``: a node failure with and without
   replicated hot keys.

    .venv/bin/python benchmarks/sweep_caching.py --seeds 50
    .venv/bin/python benchmarks/sweep_caching.py --seeds 200 --parts patterns mutants
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from dslib.caching.checks import CHECKS, cache_mutant_table
from dslib.caching.distributed import failure_table
from dslib.caching.herd import herd_table
from dslib.caching.nodes import PATTERNS
from dslib.caching.patterns import PatternConfig, lost_writes, pattern_run, staleness
from dslib.caching.races import ttl_bound
from dslib.stats import percentile

PARTS = ("patterns", "mutants", "ttl", "herd", "ring")


def crash_window(seed: int) -> tuple[float, float]:
    """The crash of a seed's run: down at a time uniform in 100..800, up 30 later."""
    down = round(random.Random(f"caching-crash:{seed}").uniform(100.0, 800.0), 1)
    return down, down + 30.0


def patterns_table(seeds: list[int]) -> pd.DataFrame:
    variants = [(p, None) for p in PATTERNS] + [("write-back", "ack_before_durable")]
    rows = []
    for pattern, mutant in variants:
        config = PatternConfig(pattern=pattern, ttl=100.0, mutant=mutant)
        reads: list[float] = []
        writes: list[float] = []
        ops = store = stale = n_reads = lost = losing = 0
        worst = 0.0
        for seed in seeds:
            sim = pattern_run(config, seed, crash=crash_window(seed))
            done = [op for op in sim.history.operations() if op.status == "ok"]
            reads += [op.complete_time - op.invoke_time for op in done if op.f == "read"]
            writes += [op.complete_time - op.invoke_time for op in done if op.f == "write"]
            st = staleness(sim.history)
            ops += len(done)
            store += sim.states["store"].reads + sim.states["store"].writes
            stale += st.stale
            n_reads += st.reads
            worst = max(worst, st.max_age)
            n_lost = lost_writes(sim)
            lost += n_lost
            losing += n_lost > 0
        rows.append(
            {
                "pattern": pattern + (f" ({mutant})" if mutant else ""),
                "read p50": round(percentile(reads, 50), 1),
                "read p99": round(percentile(reads, 99), 1),
                "write p50": round(percentile(writes, 50), 1),
                "write p99": round(percentile(writes, 99), 1),
                "store load": round(store / ops, 3),
                "stale reads (%)": round(100 * stale / n_reads, 2),
                "max staleness": round(worst, 1),
                "lost writes": lost,
                "runs losing writes": f"{losing}/{len(seeds)}",
            }
        )
    return pd.DataFrame(rows).set_index("pattern")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=50, help="how many seeds")
    parser.add_argument("--first", type=int, default=0, help="the first seed")
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=list(PARTS))
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error(f"--seeds {args.seeds}: must be at least 1")
    seeds = list(range(args.first, args.first + args.seeds))
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    span = f"seeds {seeds[0]}..{seeds[-1]}"
    for part in args.parts:
        start = time.perf_counter()
        if part == "patterns":
            print(f"1. Patterns, cache crashed for 30 time units in each run ({span})")
            print(patterns_table(seeds).to_string())
        elif part == "mutants":
            print(f"2. Mutants and the checks that catch them ({span}); checks: {list(CHECKS)}")
            table = cache_mutant_table(seeds, all_checks=True)
            print(table.drop(columns="bug").set_index("mutant").to_string())
        elif part == "ttl":
            print(f"3. Cache-aside without leases: staleness against TTL + fill age ({span})")
            print(ttl_bound((10.0, 30.0, 100.0, 300.0), seeds).to_string(index=False))
        elif part == "herd":
            print(f"4. Thundering herd: store reads per window of 10 ({span})")
            print(herd_table(seeds=seeds).to_string())
        elif part == "ring":
            print(f"5. A node of four fails at 200 ({span}; windows of 20)")
            options = dict(clients=40, think_time=1.0, store_time=2.0, duration=400.0)
            print(failure_table(seeds, (0, 20), fail_at=200.0, window=20.0, **options).to_string())
        print(f"   ({time.perf_counter() - start:.1f} s)\n")


if __name__ == "__main__":
    main()
