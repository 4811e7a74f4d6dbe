"""The full mutant table of chapter 15: every Raft mutant against every check, 50 seeds.

For correct Raft and each mutant of ``dslib.raft.MUTANTS`` (one per rule of Figure 2 of
the Raft paper, and two of its section 8), run every deterministic check of
``dslib.raft.checks.CHECKS`` once and every seeded check of ``SEEDED_CHECKS`` on each
seed, and print the table: the rule the mutant breaks, "caught" or "—" for a
deterministic check, caught/seeds for a seeded one, and the verdict: the checks that
catch it reliably (deterministically, or in at least 90 % of the seeds). Notebook 15.3
shows a small form of this table and quotes this one.

It also prints what the checks cost (processor seconds per check, over all variants) and
what checking every step costs a run: one seed of ``nemesis_run`` with the step monitor
and without it (the peer), timed in the same process.

    .venv/bin/python benchmarks/bench_raft_mutants.py              # 50 seeds, every mutant
    .venv/bin/python benchmarks/bench_raft_mutants.py --seeds 10   # a quick look
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd
from timing import timed

from dslib.raft import RaftConfig
from dslib.raft.checks import (
    CHECKS,
    MUTANTS_TABLE,
    NEMESIS_OPTIONS,
    SEEDED_CHECKS,
    catch_rates,
)
from dslib.raft.core import MUTANT_RULES
from dslib.raft.kv import run_kv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50, help="seeds per seeded check")
    parser.add_argument("--mutants", nargs="*", help="only these mutants (default: all)")
    args = parser.parse_args()
    names = args.mutants or [m.name for m in MUTANTS_TABLE]
    expected = {m.name: m.caught_by for m in MUTANTS_TABLE}
    checks = [*CHECKS, *SEEDED_CHECKS]
    seeds = range(args.seeds)

    wall = time.perf_counter()
    cpu = time.process_time()
    rows, cost = [], dict.fromkeys(checks, 0.0)
    problems = []
    for variant in [None, *names]:
        rates = catch_rates(RaftConfig(mutant=variant), checks, seeds)
        for r in rates:
            cost[r.check] += r.seconds
        row = {"variant": variant or "correct version"}
        row["rule"] = MUTANT_RULES[variant] if variant else "—"
        row.update({r.check: str(r) for r in rates})
        reliable = [r.check for r in rates if r.reliable]
        if variant is None:
            failing = [r.check for r in rates if r.caught]
            row["verdict"] = "FAILS " + ", ".join(failing) if failing else "passes every run"
            problems += [f"correct Raft fails {c}" for c in failing]
        else:
            row["verdict"] = ", ".join(reliable) if reliable else "NOT CAUGHT"
            if set(reliable) != set(expected[variant]):
                problems.append(f"{variant}: reliable {reliable}, expected {expected[variant]}")
        rows.append(row)
        print(f"  {row['variant']:26} {row['verdict']}", flush=True)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu

    table = pd.DataFrame(rows).set_index("variant")
    with pd.option_context("display.width", 250, "display.max_columns", None):
        print()
        print(table.drop(columns="verdict").to_string())
        print()
        print(table[["rule", "verdict"]].to_string())
    caught = sum(1 for r in rows[1:] if r["verdict"] != "NOT CAUGHT")
    print(
        f"\n{caught} of {len(rows) - 1} mutants caught reliably; seeded checks over "
        f"{args.seeds} seeds; {wall:.0f} s wall, {cpu:.0f} s processor time"
    )
    print("processor seconds per check, over all variants:")
    for name, seconds in cost.items():
        print(f"  {name:30} {seconds:7.1f}")

    def one_run(monitor: bool) -> object:
        return run_kv(
            3,
            ops=40,
            config=RaftConfig(snapshot_every=10),
            shrink=False,
            monitor=monitor,
            **NEMESIS_OPTIONS,
        )

    with_monitor, run = timed(lambda: one_run(True), 5)
    without, _ = timed(lambda: one_run(False), 5)
    events = len(run.sim.trace)  # type: ignore[attr-defined]
    print(
        f"\none KV run under faults ({events} trace events): {with_monitor * 1000:.0f} ms "
        f"with the step monitor, {without * 1000:.0f} ms without (peer); median of 5"
    )
    if problems:
        print("\nPROBLEMS (the table's verdicts differ from MUTANTS_TABLE):")
        for p in problems:
            print("  " + p)
        sys.exit(1)


if __name__ == "__main__":
    main()
