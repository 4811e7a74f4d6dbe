"""The long seeded sweep of chapter 17: the capstone store under the full nemesis, many seeds.

Each run is ``dslib.capstone.suite.full_nemesis_run(seed)``: three shard groups and the
controller, each a Raft group of three servers; three clients of 40 operations (get, put,
append, cas) on three append keys and three register keys, and two bank clients of 15
transfers between four accounts (two-phase commit across groups), over 6 shards; the admin changes
the configuration (join, leave, move) every 200-600 ms; crashes, pauses, partitions, clock
skew and bursts of 30 % loss strike at once (``capstone_nemesis``); then everything is
healed and the run settles.

It prints, for every check, the runs that violate it (linearizability per key, acknowledged
appends lost, appends applied twice, one home per shard per configuration, settling after
the faults, the bank total), every failing seed with a one-line reproduction, the totals
(runs, operations, faults, configurations) and the wall time; with ``--mutant-seeds K``,
also each mutant's catch rate by its named check over K seeds.

    .venv/bin/python benchmarks/sweep_capstone.py --seeds 300
    .venv/bin/python benchmarks/sweep_capstone.py --seeds 1000 --workers 2
    .venv/bin/python benchmarks/sweep_capstone.py --seeds 0 --mutant-seeds 20
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dslib.capstone.suite import MUTANT_CHECKS, catch_rate, full_nemesis_run
from dslib.testing.executors import map_seeds


def judge_seed(seed: int) -> dict[str, Any]:
    """One run of the sweep, reduced to counts (small, picklable)."""
    start = time.perf_counter()
    run = full_nemesis_run(seed)
    return {
        "seed": seed,
        "linearizability": run.result.verdict,
        "lost": len(run.lost),
        "doubled": len(run.doubled),
        "home": run.home.ok,
        "home_detail": run.home.detail,
        "settled": run.settled.ok,
        "bank": run.bank.ok,
        "bank_detail": run.bank.detail,
        "settled_detail": run.settled.detail,
        "ops": dict(run.ops),
        "faults": run.faults,
        "configs": len(run.configs),
        "seconds": time.perf_counter() - start,
    }


def reproduction(seed: int) -> str:
    """A one-line command that replays a run and prints its verdict."""
    return (
        'python -c "from dslib.capstone.suite import full_nemesis_run; '
        f'r = full_nemesis_run({seed}); print(r, r.home, r.settled)"'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=300, help="seeds first..first+N-1")
    parser.add_argument("--first", type=int, default=0, help="the first seed")
    parser.add_argument("--workers", type=int, default=None, help="local processes")
    parser.add_argument(
        "--mutant-seeds", type=int, default=0, help="seeds per mutant for the catch rates"
    )
    args = parser.parse_args()
    if args.seeds < 0 or args.mutant_seeds < 0:
        parser.error("--seeds and --mutant-seeds must be >= 0")
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers {args.workers}: must be >= 1")
    start = time.perf_counter()
    seeds = range(args.first, args.first + args.seeds)
    if args.seeds:
        sweep(seeds, args.workers)
    if args.mutant_seeds:
        mutant_rates(range(args.mutant_seeds), args.workers)
    print(f"\nwall time {time.perf_counter() - start:.1f} s")


def sweep(seeds: range, workers: int | None) -> None:
    """The correct store on every seed: violations per check, failing seeds, totals."""
    results = map_seeds(judge_seed, seeds, workers, owner="sweep_capstone")
    violations = {
        "linearizability (violation)": 0,
        "linearizability (unknown)": 0,
        "lost appends (runs)": 0,
        "doubled appends (runs)": 0,
        "one home per configuration": 0,
        "bank total": 0,
        "settles after the faults": 0,
    }
    ops = {"ok": 0, "info": 0, "fail": 0}
    faults = configs = 0
    seconds = 0.0
    for r in results:
        failed = []
        if r["linearizability"] == "violation":
            failed.append("linearizability (violation)")
        elif r["linearizability"] != "ok":
            failed.append("linearizability (unknown)")
        if r["lost"]:
            failed.append("lost appends (runs)")
        if r["doubled"]:
            failed.append("doubled appends (runs)")
        if not r["home"]:
            failed.append("one home per configuration")
        if not r["bank"]:
            failed.append("bank total")
        if not r["settled"]:
            failed.append("settles after the faults")
        for name in failed:
            violations[name] += 1
        if failed:
            print(f"FAIL seed {r['seed']}: {', '.join(failed)} {r['home_detail']}")
            print(f"     {r['settled_detail']} {r['bank_detail']}")
            print(f"     {reproduction(r['seed'])}", flush=True)
        for k, n in r["ops"].items():
            ops[k] = ops.get(k, 0) + n
        faults += r["faults"]
        configs += r["configs"] - 1
        seconds += r["seconds"]
    print(f"\ncapstone sweep: seeds {seeds.start}..{seeds.stop - 1}, full nemesis")
    print(f"{'check':34} {'runs violating':>14}")
    for name, n in violations.items():
        print(f"{name:34} {n:14d}")
    print(
        f"runs {len(results)}; operations {sum(ops.values())} (ok {ops['ok']}, info "
        f"{ops['info']}, fail {ops['fail']}); faults {faults}; configurations {configs}; "
        f"run time {seconds:.1f} s (sum over runs)"
    )


def mutant_rates(seeds: range, workers: int | None) -> None:
    """Each mutant against its named checks: in how many seeds' runs it is caught."""
    print(f"\nmutants: runs whose named check catches them (seeds {seeds.start}..{seeds.stop - 1})")
    print(f"{'mutant':26} {'check':28} {'caught':>6} {'runs':>5} {'rate':>6}")
    for name, checks in MUTANT_CHECKS.items():
        for check in checks:
            caught, runs = catch_rate(name, check, seeds, executor=workers)
            print(f"{name:26} {check:28} {caught:6d} {runs:5d} {caught / runs:6.1%}", flush=True)


if __name__ == "__main__":
    main()
