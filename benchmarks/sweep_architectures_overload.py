"""The long seeded sweeps of section 5.6: overload and the outbox, on many seeds.

It prints two tables:

1. overload (``dslib.architectures.overload.overload_run``): goodput, fraction in time and
   reply p99 against the offered load (0.5 to 2 times capacity) for an unbounded queue,
   a bounded queue of 8, and the bounded queue with propagated deadlines and three
   attempts under a 10% retry budget: the median over the seeds, and the range;
2. the outbox (``dslib.architectures.outbox.outbox_run``): for each mode and each mutant,
   the share of seeds with a lost, duplicated or invented event.

    .venv/bin/python benchmarks/sweep_architectures_overload.py --seeds 20
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dslib.architectures.outbox import MODES, MUTANTS, outbox_run
from dslib.architectures.overload import overload_run

SETUPS = {
    "unbounded": {},
    "bounded 8": {"queue_limit": 8},
    "bounded 8, deadlines, budget": {
        "queue_limit": 8,
        "deadlines": True,
        "max_attempts": 3,
        "budget": 0.1,
    },
}


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.2f} ({min(values):.2f} to {max(values):.2f})"


def overload_table(seeds: int) -> None:
    print(f"overload: 4 workers of mean service 1 (capacity 4), 600 requests, {seeds} seeds")
    print(f"{'setup':30} {'offered':>7}  {'goodput':>26}  {'in time':>26}  {'reply p99':>26}")
    for name, knobs in SETUPS.items():
        for offered in (0.5, 0.9, 1.2, 1.5, 2.0):
            rows = [overload_run(rate=4 * offered, seed=s, **knobs) for s in range(seeds)]
            print(
                f"{name:30} {offered:7.1f}  {_spread([r['goodput'] for r in rows]):>26}  "
                f"{_spread([r['in time'] for r in rows]):>26}  "
                f"{_spread([r['reply p99'] for r in rows]):>26}"
            )


def outbox_table(seeds: int) -> None:
    print(f"\noutbox: 40 orders, a crash about every 4 time units, {seeds} seeds")
    print(f"{'variant':34} {'lost':>8} {'duplicated':>11} {'invented':>9}")
    variants = [(m, None) for m in MODES] + [("outbox", m) for m in MUTANTS]
    for mode, mutant in variants:
        runs = [outbox_run(mode, seed=s, mutant=mutant) for s in range(seeds)]
        share = {k: sum(r[k] > 0 for r in runs) / seeds for k in ("lost", "duplicated", "invented")}
        label = mode if mutant is None else f"outbox, mutant {mutant}"
        print(
            f"{label:34} {share['lost']:8.2f} {share['duplicated']:11.2f} {share['invented']:9.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    start = time.perf_counter()
    overload_table(args.seeds)
    outbox_table(args.seeds)
    print(f"\n{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
