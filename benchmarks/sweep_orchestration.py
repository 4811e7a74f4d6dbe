"""The long seeded sweep of chapter 10: convergence under faults, rolling updates, mutants.

It prints three tables, each over seeds ``first .. first + seeds - 1``:

1. ``convergence``: for the correct control plane and the mutants ``edge_triggered`` and
   ``never_evicts``, each seed's random fault schedule
   (``dslib.orchestration.cluster.fault_schedule``: three faults among worker crashes,
   workers cut off and the controllers cut off, in 15..50, all healed at 60, half the
   crashed workers restarted then) on the default cluster (3 workers of 2 CPUs, ``web``
   with 4 replicas), run to t=120: how many seeds converge by then, and how long after
   the heal (median, p90, worst);
2. ``rollout``: ``dslib.orchestration.rollout.rollout_table``: an update of 4 replicas
   for each ``(max_unavailable, max_surge)``: the mean duration and the fewest ready pods
   seen, against the bound ``replicas - max_unavailable``;
3. ``mutants``: every check of ``dslib.orchestration.checks`` on every mutant, with the
   catch rate of the seeded checks.

    .venv/bin/python benchmarks/sweep_orchestration.py --seeds 100
    .venv/bin/python benchmarks/sweep_orchestration.py --seeds 20 --parts rollout
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from dslib.orchestration.checks import orchestration_mutant_table
from dslib.orchestration.cluster import convergence_sweep
from dslib.orchestration.rollout import rollout_table
from dslib.stats import percentile

PARTS = ("convergence", "rollout", "mutants")
HEAL = 60.0
SETTINGS = ((1, 0), (2, 0), (0, 1), (0, 2), (1, 1), (2, 2))


def convergence_table(seeds: list[int]) -> pd.DataFrame:
    """One row per control plane: converged seeds and the time to converge after the heal."""
    rows = []
    for mutant in (None, "edge_triggered", "never_evicts"):
        sweep = convergence_sweep(seeds, mutant=mutant, heal=HEAL, until=120.0)
        done = [max(0.0, t - HEAL) for t in sweep["converged at"] if pd.notna(t)]
        rows.append(
            {
                "control plane": mutant or "correct",
                "seeds": len(seeds),
                "converged by t=120": len(done),
                "after heal: median (s)": percentile(done, 50) if done else None,
                "p90 (s)": percentile(done, 90) if done else None,
                "worst (s)": max(done) if done else None,
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error(f"--seeds={args.seeds} must be at least 1")
    seeds = list(range(args.first, args.first + args.seeds))
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    for part in args.parts:
        start = time.perf_counter()
        if part == "convergence":
            table = convergence_table(seeds)
        elif part == "rollout":
            table = rollout_table(4, SETTINGS, seeds)
        else:
            table = orchestration_mutant_table(seeds)
        took = time.perf_counter() - start
        print(f"## {part} (seeds {seeds[0]}..{seeds[-1]}; {took:.1f} s)")
        print(table.to_string(index=False))
        print()


if __name__ == "__main__":
    main()
