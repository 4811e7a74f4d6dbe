"""Model-checker speed and memory, against a minimal hand-written BFS.

For each model, the same run is timed twice in one process:

- ``check(model, invariants=...)``: the library's breadth-first search
  (fingerprints, parent pointers, counterexample bookkeeping);
- a bare BFS of a dozen lines over the same ``model.actions`` and the same
  invariant, keeping full states in a Python set: the floor of what any
  checker built on this state representation can do.

Reported: distinct states per CPU second for both (``time.process_time``, so
that other processes on a busy machine do not count), and the ratio (checker
time over bare time; 1.0 means no overhead). Each figure is the best of
``--repeat`` runs, the two contenders taking turns.

Memory: a fresh process explores ``--memory-states`` distinct states (default one
million) of the two-phase commit specification with 8 resource managers, and
reports the growth of its peak resident memory (``resource.getrusage``); the
bare BFS, which keeps every state, is measured the same way for comparison.

Run: ``python benchmarks/bench_check.py [--repeat 3] [--memory-states 1000000] [--quick]``
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any

from dslib.check import ActorModel, Model, check
from dslib.mutex import at_most_one_critical, ricart_agrawala
from dslib.twophase import TwoPhase, consistent, system_consistent, two_phase_system


def bare_bfs(model: Model[Any], invariant: Callable[[Any], bool]) -> int:
    """The minimal BFS: a set of full states, a list per level, the invariant on new states."""
    init = list(model.init_states())
    seen = set(init)
    frontier = init
    actions = model.actions
    while frontier:
        nxt = []
        for s in frontier:
            for _label, t in actions(s):
                if t not in seen:
                    seen.add(t)
                    if not invariant(t):
                        raise AssertionError("invariant violated")
                    nxt.append(t)
        frontier = nxt
    return len(seen)


def cpu_time(run: Callable[[], int]) -> tuple[float, int]:
    """CPU seconds of this process for one run (robust on a busy machine), and its count."""
    gc.collect()
    start = time.process_time()
    count = run()
    return time.process_time() - start, count


def speed_rows(repeat: int, quick: bool) -> list[tuple[str, int, float, float]]:
    cases: list[tuple[str, Callable[[], Model[Any]], Callable[[Any], bool]]] = [
        ("spec 2PC, 5 RMs", lambda: TwoPhase(5), consistent),
        ("spec 2PC, 6 RMs", lambda: TwoPhase(6), consistent),
        (
            "nodes 2PC, 3 RMs, duplicating",
            lambda: ActorModel(two_phase_system(3), duplicating=True),
            system_consistent,
        ),
        (
            "nodes 2PC, 4 RMs, 1 crash",
            lambda: ActorModel(two_phase_system(4 if not quick else 3), max_crashes=1),
            system_consistent,
        ),
        (
            "nodes Ricart-Agrawala, 3",
            lambda: ActorModel(ricart_agrawala(3)),
            at_most_one_critical,
        ),
    ]
    rows = []
    for name, make, invariant in cases:
        model = make()

        def run_check(model: Model[Any] = model, invariant: Any = invariant) -> int:
            result = check(model, invariants=[invariant])
            assert result.ok and result.complete
            return result.distinct_states

        def run_bare(model: Model[Any] = model, invariant: Any = invariant) -> int:
            return bare_bfs(model, invariant)

        run_check()  # warm caches (ActorModel keeps its initial states and sort keys)
        t_check = t_bare = float("inf")
        for _ in range(repeat):  # interleaved, so that both see the same machine
            t, n_check = cpu_time(run_check)
            t_check = min(t_check, t)
            t, n_bare = cpu_time(run_bare)
            t_bare = min(t_bare, t)
        assert n_check == n_bare, (name, n_check, n_bare)
        rows.append((name, n_check, t_check, t_bare))
    return rows


MEMORY_CODE = """
import resource, sys, time
from dslib.check import check
from dslib.twophase import TwoPhase, consistent
sys.path.insert(0, {bench_dir!r})
from bench_check import bare_bfs_limited
model = TwoPhase(8)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
if {bare!r}:
    n = bare_bfs_limited(model, {limit})
else:
    n = check(model, invariants=[consistent], max_states={limit}).distinct_states
elapsed = time.process_time() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(n, (after - before) * 1024, elapsed)
"""


def bare_bfs_limited(model: Model[Any], limit: int) -> int:
    """The bare BFS, stopping at ``limit`` distinct states (for the memory comparison)."""
    init = list(model.init_states())
    seen = set(init)
    frontier = init
    while frontier:
        nxt = []
        for s in frontier:
            for _label, t in model.actions(s):
                if t not in seen:
                    if len(seen) >= limit:
                        return len(seen)
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    return len(seen)


def memory_row(limit: int, bare: bool) -> tuple[int, float, float]:
    import os

    code = textwrap.dedent(
        MEMORY_CODE.format(
            bench_dir=os.path.dirname(os.path.abspath(__file__)), limit=limit, bare=bare
        )
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), float(out[1]), float(out[2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="best of this many runs")
    parser.add_argument(
        "--memory-states", type=int, default=1_000_000, help="distinct states for memory"
    )
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    limit = 50_000 if args.quick else args.memory_states

    print(f"Speed: distinct states per CPU second (best of {repeat}), same model and invariant")
    header = f"{'model':32} {'states':>9} {'check/s':>10} {'bare BFS/s':>11} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for name, n, t_check, t_bare in speed_rows(repeat, args.quick):
        print(f"{name:32} {n:9,} {n / t_check:10,.0f} {n / t_bare:11,.0f} {t_check / t_bare:6.2f}")

    print()
    print(f"Memory: spec 2PC with 8 RMs, first {limit:,} distinct states, fresh process")
    header = (
        f"{'search':32} {'states':>9} {'peak RSS growth':>16} {'bytes/state':>12} {'states/s':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, bare in (("check (fingerprints)", False), ("bare BFS (full states in a set)", True)):
        n, grown, elapsed = memory_row(limit, bare)
        print(f"{name:32} {n:9,} {grown / 2**20:12,.0f} MiB {grown / n:12,.0f} {n / elapsed:9,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
