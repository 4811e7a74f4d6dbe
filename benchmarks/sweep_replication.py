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

``--mutant`` runs primary-backup as one of its mutants (``PB_MUTANTS``), to measure
how often random faults catch it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dslib.replication.checks import FAULT_KINDS, STORES, faulty_run, faulty_run_verdict
from dslib.replication.primary_backup import MUTANTS as PB_MUTANTS

KINDS = {"+".join(k): k for k in FAULT_KINDS}


def reproduction(store: str, seed: int, kinds: tuple[str, ...], mutant: str | None) -> str:
    """A one-line Python command that replays the run and prints the verdict."""
    extra = f", mutant={mutant!r}" if mutant and store == "primary-backup" else ""
    return (
        'python -c "from dslib.replication.checks import faulty_run as r, faulty_run_verdict '
        f'as v; print(v({store!r}, r({store!r}, {seed}, {kinds!r}{extra})))"'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=2000, help="seeds 0..N-1 per cell")
    parser.add_argument("--first", type=int, default=0, help="the first seed")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS))
    parser.add_argument("--stores", nargs="+", default=list(STORES), choices=list(STORES))
    parser.add_argument("--mutant", choices=sorted(PB_MUTANTS), default=None)
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error(f"--seeds {args.seeds}: must be >= 1")
    seeds = range(args.first, args.first + args.seeds)
    rows = []
    start = time.perf_counter()
    for store in args.stores:
        options = {"mutant": args.mutant} if args.mutant and store == "primary-backup" else {}
        for name in args.kinds:
            kinds = KINDS[name]
            t = time.perf_counter()
            failed = []
            for seed in seeds:
                outcome = faulty_run_verdict(store, faulty_run(store, seed, kinds, **options))
                if not outcome.ok:
                    failed.append(seed)
                    print(f"FAIL {store} {name} seed {seed}: {outcome.detail or 'violation'}")
                    print(f"     {reproduction(store, seed, kinds, args.mutant)}", flush=True)
            rows.append((store, name, len(seeds), failed, time.perf_counter() - t))
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
