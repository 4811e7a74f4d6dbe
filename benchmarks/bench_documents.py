"""Chapter 8's document store (``dslib.databases.documents``): the larger sweeps of page 08.06.

1. ``costs``: messages and latency (p50, p99) per query and per write, for the local
   index, the asynchronous global index and the synchronous one, at 2 to 32 shards,
   pooled over ``--seeds`` seeds (the page runs 3 seeds and 2 to 16 shards).
2. ``lag``: how often a query right after a write misses the document (``index_lag``).
3. ``stale``: a crash in the middle of a denormalised rename: how many copies stay stale.
4. ``mutants``: each mutant's catch rate by its named check, per seed.
5. ``speed``: wall seconds and simulated operations per second of one run of the sweep's
   workload, per design, at 16 shards.

    .venv/bin/python benchmarks/bench_documents.py
    .venv/bin/python benchmarks/bench_documents.py --seeds 20 --parts costs lag
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from timing import timed

from dslib.databases.documents import (
    DESIGNS,
    MUTANT_CHECKS,
    MUTANTS,
    DocConfig,
    catch_rate,
    index_cost_table,
    index_lag,
    orders_workloads,
    run_documents,
    stale_copies,
)

PARTS = ("costs", "lag", "stale", "mutants", "speed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--shards", type=int, nargs="+", default=[2, 4, 8, 16, 32])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    args = parser.parse_args()
    seeds = range(args.seeds)
    pd.set_option("display.width", 200)
    if "costs" in args.parts:
        print(f"## messages and latency per operation ({args.seeds} seeds, 4 clients x 20 ops)")
        print(index_cost_table(shards=args.shards, seeds=seeds).to_string(index=False))
        print()
    if "lag" in args.parts:
        print(f"## a query right after a write ({args.seeds * 10} queries per design)")
        rows = []
        for design, options in DESIGNS.items():
            rows.append({"design": design, **index_lag(DocConfig(**options), seeds)})
        print(pd.DataFrame(rows).to_string(index=False))
        print()
    if "stale" in args.parts:
        table = stale_copies(seeds=range(args.seeds * 5))
        print(f"## a crash during a rename of 6 embedded copies ({len(table)} seeds)")
        stale = table["stale (embedded)"]
        print(
            f"runs with a stale copy: {int((stale > 0).sum())}/{len(table)}; "
            f"stale copies: mean {stale.mean():.2f}, max {stale.max()}; "
            f"normalised: {int(table['stale (normalised)'].sum())} stale in all runs"
        )
        print()
    if "mutants" in args.parts:
        n = args.seeds * 5
        print(f"## catch rate of each mutant by its named check ({n} seeds)")
        rows = []
        for mutant in sorted(MUTANTS):
            for check in MUTANT_CHECKS[mutant]:
                caught, runs = catch_rate(mutant, check, range(n))
                rows.append({"mutant": mutant, "check": check, "caught": f"{caught}/{runs}"})
        print(pd.DataFrame(rows).to_string(index=False))
        print()
    if "speed" in args.parts:
        print("## wall time of one run (16 shards, 4 clients x 20 operations, seed 0)")
        rows = []
        loads = orders_workloads(4, 20, seed=0)
        for design, options in DESIGNS.items():
            config = DocConfig(shards=16, **options)
            seconds, sim = timed(lambda c=config: run_documents(c, loads, seed=0), repeat=5)
            ops = len(sim.history.operations())
            rows.append(
                {
                    "design": design,
                    "seconds": round(seconds, 4),
                    "events": sim.events,
                    "ops/s (wall)": round(ops / seconds),
                }
            )
        print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
