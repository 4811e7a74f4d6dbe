"""Packing heuristics against the optimum on small random instances (chapter 10).

For each distribution of task sizes, ``--instances`` seeded instances of 4 to
``--max-tasks`` tasks are packed onto identical nodes by every heuristic of
``dslib.orchestration.scheduling.pack``; the optimum is ``optimal_node_count``
(exhaustive search), cross-checked against z3 (``optimal_node_count_z3``) on the first
``--z3`` instances of each distribution. It prints, per distribution and heuristic, the mean
and worst ratio nodes used / optimum, the worst excess over the known bounds (one resource
only: FFD <= 11/9 OPT + 6/9, Dósa 2007; first fit <= floor(1.7 OPT), Dósa and Sgall 2013;
a positive excess would be a bug), the mean CPU utilisation of the nodes in use, and the
mean fragmentation (share of free CPU on which a task of the distribution's median size
does not fit).

    .venv/bin/python benchmarks/bench_scheduling.py
    .venv/bin/python benchmarks/bench_scheduling.py --instances 2000 --max-tasks 11 --z3 50
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dslib.orchestration.scheduling import (
    HEURISTICS,
    NodeSpec,
    TaskSpec,
    fragmentation,
    optimal_node_count,
    optimal_node_count_z3,
    pack,
    utilisation,
)

CAPACITY = 100


def draw(kind: str, rng: random.Random, n: int) -> list[tuple[int, int]]:
    """Task sizes (CPU, memory) of one instance; capacity 100 of each."""
    if kind == "cpu, uniform 1-100":
        return [(rng.randint(1, 100), 0) for _ in range(n)]
    if kind == "cpu, 20-50 (thirds)":
        return [(rng.randint(20, 50), 0) for _ in range(n)]
    if kind == "cpu and memory, uniform 1-60":
        return [(rng.randint(1, 60), rng.randint(1, 60)) for _ in range(n)]
    raise ValueError(kind)


KINDS = ("cpu, uniform 1-100", "cpu, 20-50 (thirds)", "cpu and memory, uniform 1-60")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--max-tasks", type=int, default=9)
    parser.add_argument("--z3", type=int, default=10, help="instances cross-checked with z3")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.instances < 1 or not 4 <= args.max_tasks <= 12:
        parser.error("--instances >= 1 and 4 <= --max-tasks <= 12")
    header = (
        f"{'distribution':<30} {'heuristic':<22} {'mean ratio':>10} {'worst ratio':>11} "
        f"{'worst vs bound':>14} {'utilisation':>11} {'fragment.':>9}"
    )
    print(
        f"{args.instances} instances per distribution, 4-{args.max_tasks} tasks, seed {args.seed}"
    )
    print(header)
    print("-" * len(header))
    start = time.perf_counter()
    z3_checked = z3_agree = 0
    for kind in KINDS:
        rng = random.Random(f"{args.seed}:{kind}")
        ratios: dict[str, list[float]] = {h: [] for h in HEURISTICS}
        excess: dict[str, list[float]] = {h: [] for h in HEURISTICS}
        used_util: dict[str, list[float]] = {h: [] for h in HEURISTICS}
        frag: dict[str, list[float]] = {h: [] for h in HEURISTICS}
        for i in range(args.instances):
            sizes = draw(kind, rng, rng.randint(4, args.max_tasks))
            tasks = [TaskSpec(f"t{j}", c, m) for j, (c, m) in enumerate(sizes)]
            node = NodeSpec("n", CAPACITY, CAPACITY)
            opt = optimal_node_count(tasks, node)
            if i < args.z3:
                z3_checked += 1
                z3_agree += optimal_node_count_z3(tasks, node) == opt
            nodes = [NodeSpec(f"n{j}", CAPACITY, CAPACITY) for j in range(len(tasks))]
            median = sorted(sizes)[len(sizes) // 2]
            probe = TaskSpec("probe", median[0], median[1])
            one_resource = all(m == 0 for _c, m in sizes)
            for h in HEURISTICS:
                r = pack(tasks, nodes, h)
                assert not r.pending
                got = r.nodes_used
                ratios[h].append(got / opt)
                if one_resource and h == "first_fit_decreasing":
                    excess[h].append(got - (11 * opt + 6) / 9)
                elif one_resource and h == "first_fit":
                    excess[h].append(got - math.floor(1.7 * opt))
                used_util[h].append(utilisation(r.cluster)[0])
                frag[h].append(fragmentation(r.cluster, probe))
        for h in HEURISTICS:
            worst_excess = f"{max(excess[h]):+.2f}" if excess[h] else "—"
            print(
                f"{kind:<30} {h:<22} {statistics.mean(ratios[h]):>10.3f} "
                f"{max(ratios[h]):>11.3f} {worst_excess:>14} "
                f"{statistics.mean(used_util[h]):>11.3f} {statistics.mean(frag[h]):>9.3f}"
            )
    print(
        f"z3 and the exhaustive search agree on {z3_agree}/{z3_checked} instances; "
        f"{time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
