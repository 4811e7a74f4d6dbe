"""How reliably ``find_bug`` finds bugs that need 1, 2 or 3 faults, and how short it shrinks them.

Run: ``.venv/bin/python benchmarks/bench_find_bug.py [--seeds 20] [--only NAME]``

Each row is one buggy system (``dslib.small_systems.fault_bugs``): ``find_bug`` runs with its
DEFAULT budget once per hypothesis seed (0, 1, ..., seeds - 1). The table gives
how many seeds found the bug, the median and longest shrunk schedule against a
shortest schedule written by hand (replayed here first: it must break the
check), and the median wall time of one call. The correct systems must give no
false alarm in any seed.

Systems:

- the at-most-once counter (``counter``, two clients, three adds each) whose
  deduplication table is nowhere (1 fault), in memory (2: a second copy of a
  request, then a crash of the server), or in memory on the server and a mirror
  (3: a second copy, then a crash of the mirror and a crash of the server);
- the primary-backup register of chapter 3 (``dslib.small_systems.registers.primary_backup``):
  ``ack-before-replicate`` (1: a crash), ``forget-when-alone`` (2: the backup
  unreachable, then a crash), ``no-dedup`` with two clients (1: a duplicate,
  delivered after the other client's write).
"""

from __future__ import annotations

import argparse
import statistics
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from timing import timed

from dslib import System
from dslib.small_systems.fault_bugs import (
    HAND_WRITTEN,
    PRIMARY_BACKUP_HAND_WRITTEN,
    counted_once,
    counter,
)
from dslib.small_systems.registers import linearizable, primary_backup
from dslib.testing import Step, find_bug, replay


@dataclass(frozen=True)
class Case:
    name: str
    factory: Callable[[], System]
    faults: int  # how many faults the bug needs (0: a correct system)
    hand_written: tuple[Step, ...] = ()
    invariants: Any = ()
    consistency: Callable[[Any], Any] | None = None


def _counter(bug: str | None) -> Callable[[], System]:
    return lambda: counter(mutant=bug, clients=2, operations=3)


def _pb(bug: str | None, clients: int = 1) -> Callable[[], System]:
    return lambda: primary_backup(mutant=bug, clients=clients)


CASES = [
    Case("counter no-dedup", _counter("no-dedup"), 1, HAND_WRITTEN["no-dedup"], counted_once),
    Case(
        "counter dedup-in-memory",
        _counter("dedup-in-memory"),
        2,
        HAND_WRITTEN["dedup-in-memory"],
        counted_once,
    ),
    Case(
        "counter mirror-in-memory",
        _counter("mirror-in-memory"),
        3,
        HAND_WRITTEN["mirror-in-memory"],
        counted_once,
    ),
    Case("counter (correct)", _counter(None), 0, (), counted_once),
    *(
        Case(
            f"primary-backup {bug}",
            _pb(bug, 2 if bug == "no-dedup" else 1),
            faults,
            PRIMARY_BACKUP_HAND_WRITTEN[bug],
            consistency=linearizable,
        )
        for bug, faults in (("ack-before-replicate", 1), ("forget-when-alone", 2), ("no-dedup", 1))
    ),
    Case("primary-backup (correct, 2 clients)", _pb(None, 2), 0, consistency=linearizable),
]


def check_hand_written(case: Case) -> None:
    """The hand-written schedule must break the case's check."""
    if case.faults == 0:
        return
    sim = replay(case.factory(), case.hand_written)
    if case.consistency is not None:
        broken = not case.consistency(sim.history).ok
    else:
        broken = not case.invariants(sim.states)
    if not broken:
        raise SystemExit(f"{case.name}: the hand-written schedule does not break the check")


def run(case: Case, seeds: int) -> tuple[int, list[int], float]:
    found, lengths, times = 0, [], []
    for seed in range(seeds):

        def call(seed: int = seed) -> Any:
            return find_bug(case.factory, case.invariants, case.consistency, seed=seed)

        seconds, result = timed(call, repeat=1)
        times.append(seconds)
        if not result.ok:
            found += 1
            lengths.append(len(result.schedule))
    return found, lengths, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="hypothesis seeds 0 .. N-1")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    header = (
        f"{'system':38} {'faults':>6} {'found':>7} {'hand':>5} {'median':>7} {'max':>5} "
        f"{'ratio':>6} {'s/call':>7}"
    )
    print(header)
    for case in CASES:
        if args.only not in case.name:
            continue
        check_hand_written(case)
        found, lengths, seconds = run(case, args.seeds)
        if case.faults == 0:
            verdict = f"{args.seeds - found}/{args.seeds} ok"
            print(
                f"{case.name:38} {'-':>6} {verdict:>7} {'':>5} {'':>7} {'':>5} {'':>6} "
                f"{seconds:7.2f}"
            )
            continue
        hand = len(case.hand_written)
        median = statistics.median(lengths) if lengths else float("nan")
        longest = max(lengths) if lengths else 0
        print(
            f"{case.name:38} {case.faults:6d} {found:>4}/{args.seeds:<2} {hand:5d} "
            f"{median:7.1f} {longest:5d} {median / hand:6.2f} {seconds:7.2f}",
            flush=True,
        )
    print(
        "found: seeds in which find_bug (default budget) found the bug; correct systems: "
        "seeds without a false alarm"
    )
    print(
        "hand: steps of the hand-written schedule; median, max: shrunk schedule steps; "
        "ratio: median / hand"
    )


if __name__ == "__main__":
    main()
