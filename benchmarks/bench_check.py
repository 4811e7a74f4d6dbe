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

Graph construction (``state_graph``, used by liveness): a model with ``k``
initial states, each one step from a final state (``2k`` states), for ``k`` =
8,000 to 64,000: CPU time and time per state, which stays flat when the
construction is linear (it was quadratic in the initial states).

Liveness against safety: EWD 840 termination detection (``dslib.check.specs``)
for N nodes, ``check(model, invariants=[termination_detection])`` against the
same call with ``leads_to=`` its liveness property (safety search, then graph,
then fair components); the ratio is liveness time over safety time.

CONSTRAINT counting: LamportMutex with 3 processes and clocks up to 6
(``dslib.check.specs``), with ``constraint=`` (TLC's semantics: states past the
limit dropped) and with ``boundary=`` (states past the limit counted, not
expanded), against TLC's count for the same instance, 724,274 distinct states
(the figure quoted in the issue that asked for ``constraint=``).

Run: ``python benchmarks/bench_check.py [--repeat 3] [--memory-states 1000000] [--quick]``
(``--only graph``, ``--only liveness`` or ``--only constraint`` for one table).
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

from dslib.check import ActorModel, Model, check, state_graph
from dslib.check.specs import (
    EWD840,
    LamportMutex,
    all_inactive,
    clock_constraint,
    mutex,
    termination_detected,
    termination_detection,
)
from dslib.small_systems.mutex import at_most_one_critical, ricart_agrawala
from dslib.small_systems.twophase import TwoPhase, consistent, system_consistent, two_phase_system

TLC_LAMPORT_MUTEX_3_6 = 724_274
"""TLC's distinct states for LamportMutex, N = 3, maxClock = 6, CONSTRAINT ClockConstraint."""


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


def graph_rows(repeat: int, sizes: list[int]) -> list[tuple[int, int, float]]:
    """``state_graph`` of a model with ``k`` initial states, each with one step to a final one."""
    rows = []
    for k in sizes:

        def step(n: int, k: int = k) -> list[tuple[str, int]]:
            return [("go", n + k)] if n < k else []

        model: Model[int] = Model(init=range(k), actions=step)

        def build(model: Model[int] = model) -> int:
            return len(state_graph(model, max_states=None))

        best = float("inf")
        n = 0
        for _ in range(repeat):
            t, n = cpu_time(build)
            best = min(best, t)
        rows.append((k, n, best))
    return rows


def liveness_rows(repeat: int, sizes: list[int]) -> list[tuple[int, int, float, float]]:
    """EWD 840: safety search alone, and with its liveness property (leads-to)."""
    rows = []
    for n in sizes:
        model = EWD840(n)

        def safety(model: EWD840 = model) -> int:
            r = check(model, invariants=[termination_detection])
            assert r.ok and r.complete
            return r.distinct_states

        def liveness(model: EWD840 = model) -> int:
            r = check(
                model,
                invariants=[termination_detection],
                leads_to={"Liveness": (all_inactive, termination_detected)},
            )
            assert r.ok and r.complete
            return r.distinct_states

        t_safe = t_live = float("inf")
        for _ in range(repeat):
            t, states = cpu_time(safety)
            t_safe = min(t_safe, t)
            t, states_live = cpu_time(liveness)
            t_live = min(t_live, t)
        assert states == states_live
        rows.append((n, states, t_safe, t_live))
    return rows


MEMORY_CODE = """
import resource, sys, time
from dslib.check import check
from dslib.small_systems.twophase import TwoPhase, consistent
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
    parser.add_argument(
        "--only", choices=["speed", "memory", "graph", "liveness", "constraint"], default=None
    )
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    limit = 50_000 if args.quick else args.memory_states
    if args.only in (None, "graph"):
        sizes = [2_000, 4_000] if args.quick else [8_000, 16_000, 32_000, 64_000]
        print(f"Graph construction: k initial states, 2k states (best of {repeat}, CPU time)")
        header = f"{'k':>8} {'states':>9} {'seconds':>8} {'us/state':>9}"
        print(header)
        print("-" * len(header))
        for k, n, t in graph_rows(repeat, sizes):
            print(f"{k:8,} {n:9,} {t:8.3f} {t / n * 1e6:9.2f}")
        print()
    if args.only in (None, "liveness"):
        sizes = [3, 4, 5] if args.quick else [4, 5, 6, 7]
        print(f"EWD 840: safety search vs. liveness (leads-to) check (best of {repeat}, CPU s)")
        header = f"{'N':>3} {'states':>9} {'safety s':>9} {'liveness s':>11} {'ratio':>6}"
        print(header)
        print("-" * len(header))
        for n, states, t_safe, t_live in liveness_rows(repeat, sizes):
            print(f"{n:3} {states:9,} {t_safe:9.2f} {t_live:11.2f} {t_live / t_safe:6.2f}")
        print()
    if args.only in (None, "constraint") and not args.quick:
        within = clock_constraint(6)
        print("LamportMutex, 3 processes, clocks <= 6: distinct states (TLC: 724,274)")
        header = f"{'search':36} {'states':>9} {'TLC':>9} {'CPU s':>6}"
        print(header)
        print("-" * len(header))
        for name, kwargs in (
            ("constraint= (dropped past the limit)", {"constraint": within}),
            ("boundary= (counted past the limit)", {"boundary": lambda s: not within(s)}),
        ):

            def count(kwargs: dict[str, Any] = kwargs) -> int:
                return check(LamportMutex(3), invariants=[mutex], **kwargs).distinct_states

            t, n = cpu_time(count)
            print(f"{name:36} {n:9,} {TLC_LAMPORT_MUTEX_3_6:9,} {t:6.1f}")
        print()
    if args.only is not None and args.only not in ("speed", "memory"):
        return 0

    if args.only == "memory":
        return memory_table(limit)
    print(f"Speed: distinct states per CPU second (best of {repeat}), same model and invariant")
    header = f"{'model':32} {'states':>9} {'check/s':>10} {'bare BFS/s':>11} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for name, n, t_check, t_bare in speed_rows(repeat, args.quick):
        print(f"{name:32} {n:9,} {n / t_check:10,.0f} {n / t_bare:11,.0f} {t_check / t_bare:6.2f}")
    if args.only == "speed":
        return 0
    print()
    return memory_table(limit)


def memory_table(limit: int) -> int:
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
