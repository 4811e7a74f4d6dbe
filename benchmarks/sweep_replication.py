"""The long seeded sweep of chapter 12: each replicated store under each fault kind, many seeds.

Each run is ``dslib.replication.checks.faulty_run(store, seed, kinds)``, the run the
chapter's randomized tests make, judged by ``faulty_run_verdict``: linearizability
for primary-backup, chain and ABD (what sections 12.1 and 12.2 claim); for the
Dynamo-style store, which claims only eventual consistency (section 12.4), that
every home replica of every key holds the same versions at the end, with no hint
left over and no node still down.

It prints one line per failing run, with a one-line reproduction, then a table
(store x fault kind: runs, violations, the seeds that failed) and the wall time.

    .venv/bin/python benchmarks/sweep_replication.py                  # 2,000 seeds per cell
    .venv/bin/python benchmarks/sweep_replication.py --seeds 100 --stores chain abd
    .venv/bin/python benchmarks/sweep_replication.py --kinds crash --mutant restart_amnesia
    .venv/bin/python benchmarks/sweep_replication.py --workers 2      # on 2 local processes
    .venv/bin/python benchmarks/sweep_replication.py --scheduler tcp://host:8786   # on Dask

``--workers`` and ``--scheduler`` change who runs the seeds
(``dslib.testing.executors``), not what the sweep prints: the failing seeds are
the same, printed in the seeds' order once each cell is done.

``--mutant`` runs primary-backup as one of its mutants (``PB_MUTANTS``), to measure
how often random faults catch it.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dslib.replication.checks import FAULT_KINDS, STORES, faulty_run, faulty_run_verdict
from dslib.replication.primary_backup import MUTANTS as PB_MUTANTS
from dslib.testing.executors import Executor, map_seeds, open_executor

KINDS = {"+".join(k): k for k in FAULT_KINDS}


def reproduction(store: str, seed: int, kinds: tuple[str, ...], mutant: str | None) -> str:
    """A one-line Python command that replays the run and prints the verdict."""
    extra = f", mutant={mutant!r}" if mutant and store == "primary-backup" else ""
    return (
        'python -c "from dslib.replication.checks import faulty_run as r, faulty_run_verdict '
        f'as v; print(v({store!r}, r({store!r}, {seed}, {kinds!r}{extra})))"'
    )


def run_verdict(
    store: str, kinds: tuple[str, ...], options: dict[str, str], seed: int
) -> tuple[bool, str]:
    """One run of the sweep: whether it kept the store's claim, and what it broke."""
    outcome = faulty_run_verdict(store, faulty_run(store, seed, kinds, **options))
    return outcome.ok, outcome.detail or "violation"


def failing_seeds(
    store: str,
    kinds: tuple[str, ...],
    seeds: range,
    mutant: str | None = None,
    executor: Executor = None,
) -> list[tuple[int, str]]:
    """The seeds of one cell (store x fault kinds) that failed, with what each broke."""
    options = {"mutant": mutant} if mutant and store == "primary-backup" else {}
    task = partial(run_verdict, store, kinds, options)
    verdicts = map_seeds(task, seeds, executor, owner="sweep_replication")
    return [(seed, detail) for seed, (ok, detail) in zip(seeds, verdicts, strict=True) if not ok]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=2000, help="seeds 0..N-1 per cell")
    parser.add_argument("--first", type=int, default=0, help="the first seed")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS))
    parser.add_argument("--stores", nargs="+", default=list(STORES), choices=list(STORES))
    parser.add_argument("--mutant", choices=sorted(PB_MUTANTS), default=None)
    parser.add_argument("--workers", type=int, default=None, help="local worker processes")
    parser.add_argument("--scheduler", default=None, help="a Dask scheduler, tcp://host:8786")
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error(f"--seeds {args.seeds}: must be >= 1")
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers {args.workers}: must be >= 1")
    if args.workers is not None and args.scheduler is not None:
        parser.error("--workers and --scheduler: give one")
    with open_executor(args.workers, args.scheduler) as executor:
        sweep_cells(args, executor)


def sweep_cells(args: argparse.Namespace, executor: Executor) -> None:
    """Run every cell the arguments ask for and print the failures and the table."""
    seeds = range(args.first, args.first + args.seeds)
    rows = []
    start = time.perf_counter()
    for store in args.stores:
        for name in args.kinds:
            kinds = KINDS[name]
            t = time.perf_counter()
            failed = failing_seeds(store, kinds, seeds, args.mutant, executor)
            for seed, detail in failed:
                print(f"FAIL {store} {name} seed {seed}: {detail}")
                print(f"     {reproduction(store, seed, kinds, args.mutant)}", flush=True)
            rows.append((store, name, len(seeds), [s for s, _ in failed], time.perf_counter() - t))
            print(f"done {store} {name}: {len(failed)} of {len(seeds)} runs failed", flush=True)
    wall = time.perf_counter() - start
    claim = {"dynamo": "convergence"}
    print()
    head = f"{'store':15} {'faults':16} {'checks':17} {'runs':>6} {'violations':>10} {'wall s':>7}"
    print(head + "  failing seeds")
    for store, name, runs, failed, secs in rows:
        shown = ", ".join(map(str, failed[:12])) + (" ..." if len(failed) > 12 else "")
        print(
            f"{store:15} {name:16} {claim.get(store, 'linearizability'):17} {runs:6d} "
            f"{len(failed):10d} {secs:7.1f}  {shown or '-'}"
        )
    mutant = f", primary-backup as mutant {args.mutant!r}" if args.mutant else ""
    print(f"\nseeds {seeds.start}..{seeds.stop - 1}{mutant}; wall time {wall:.1f} s")


if __name__ == "__main__":
    main()
