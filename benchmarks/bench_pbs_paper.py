"""PBS's Table 4 t-visibility, two ways: one large sample's quantile, and the paper's sweep.

``production_table`` takes the 99.9 % quantile of a million WARS trials; the
simulator the authors published (github.com/pbailis/pbs-vldb-historical-paper-material,
``nrw_solver/src/Simulator.java``, mode SWEEP) instead steps ``t`` along a grid
(1 ms, or 0.01 ms for LNKD-SSD) with fresh trials at each step and stops at the
first step whose estimate reaches 99.9 %. This benchmark repeats that sweep
(``first_passage_t``, 50,000 trials per step, as Table 4's caption says) over
several seeds for the nonzero entries, and prints it beside the large-sample
quantile and the paper's figure.

Run: ``python benchmarks/bench_pbs_paper.py [--seeds 5] [--configs all]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from dslib.replication.pbs import (
    PAPER_TABLE_4,
    first_passage_t,
    production_settings,
    production_table,
)

STEPS = {"LNKD-SSD": 0.01, "LNKD-DISK": 1.0, "YMMR": 1.0, "WAN": 1.0}
QUICK = [("LNKD-SSD", 1, 1), ("LNKD-DISK", 1, 1), ("LNKD-DISK", 2, 1), ("WAN", 2, 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--configs",
        choices=["quick", "all"],
        default="quick",
        help="quick: four entries (minutes); all: every nonzero entry (YMMR's take long)",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    quantiles = {(row["setting"], row["R"], row["W"]): row["t ours"] for row in production_table()}
    configs = QUICK if args.configs == "quick" else [k for k, v in PAPER_TABLE_4.items() if v[2]]
    settings = production_settings()
    print(f"{'setting':10} {'R':>2} {'W':>2} {'paper':>8} {'quantile':>9}  sweep over seeds")
    for name, r, w in configs:
        sweeps = [
            first_passage_t(settings[name], r, w, STEPS[name], trials=50_000, seed=s)
            for s in range(args.seeds)
        ]
        print(
            f"{name:10} {r:>2} {w:>2} {PAPER_TABLE_4[(name, r, w)][2]:>8.2f} "
            f"{quantiles[(name, r, w)]:>9.2f}  mean {statistics.mean(sweeps):.2f}, "
            f"range {min(sweeps):.2f}-{max(sweeps):.2f} ({args.seeds} seeds)"
        )
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
