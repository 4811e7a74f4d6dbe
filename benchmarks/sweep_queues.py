"""The long seeded sweep of chapter 7: the partitioned log under faults, many seeds.

Each run is ``dslib.queues.checks.faulty_run(config, seed)``: one producer sends twenty
keyed records while a seeded nemesis crashes, pauses and isolates brokers, partitions the
network and raises its loss; the network also loses and duplicates 2 % of messages.

It prints three tables:

1. the safe configuration (acks all, min_insync 2 of 3, clean elections, idempotent
   producer) judged by exactly-once, per-key order and read-committed, with every
   failing seed and a one-line reproduction;
2. each mutant of ``dslib.queues.log.MUTANTS`` with the share of seeds whose run its
   named check catches;
3. lost, duplicated and reordered records for the 24 configurations
   (acks 0/1/all x min_insync 1/2 x clean/unclean x idempotence off/on);
4. consumer groups (``group_run``) and the work queue (``work_queue_run``): each commit
   policy and queue kind against the guarantee it claims, and their mutants;
5. end to end (``dslib.queues.endtoend``: producer -> log -> consumer group -> sink, faults
   on brokers and consumers): the safe configuration (acks all, min_insync 2 of 3, clean
   elections, idempotent producer, effectively-once commits) on every seed, with every
   failing seed, then (``--table-seeds`` seeds) the 72 configurations, acks x min_insync
   x election x producer x commit policy, as runs with any lost / duplicated / reordered
   record.

    .venv/bin/python benchmarks/sweep_queues.py --seeds 300
    .venv/bin/python benchmarks/sweep_queues.py --seeds 50 --parts safe mutants
    .venv/bin/python benchmarks/sweep_queues.py --parts end-to-end --seeds 500 \
        --table-seeds 100 --workers 2
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dslib.queues.checks import (
    MUTANT_CHECKS,
    catch_rate,
    configuration_table,
    faulty_run,
    judge,
    read_committed_violation,
    safe_config,
)
from dslib.queues.endtoend import end_to_end_counts, end_to_end_table, safe_group_config
from dslib.queues.groups import GroupConfig, group_catch_rate
from dslib.queues.log import MUTANTS
from dslib.queues.workqueue import WorkQueueConfig, judge_work_queue, work_queue_run

PARTS = ("safe", "mutants", "table", "consumers", "end-to-end")

CHECK_GUARANTEE = {
    "no lost acknowledged": "at-least-once",
    "no duplicates": "at-most-once",
    "read committed": "read committed",
}


def reproduction(seed: int, mutant: str | None = None) -> str:
    """A one-line command that replays a run and prints its verdict."""
    extra = f"mutant={mutant!r}" if mutant else ""
    return (
        'python -c "from dslib.queues.checks import faulty_run, judge, safe_config; '
        f'print(judge(faulty_run(safe_config({extra}), {seed})).summary())"'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=300, help="seeds 0..N-1")
    parser.add_argument("--first", type=int, default=0, help="the first seed")
    parser.add_argument(
        "--parts", nargs="+", default=list(PARTS), choices=list(PARTS), help="which tables"
    )
    parser.add_argument(
        "--table-seeds", type=int, default=None, help="seeds of the 72-row table (default --seeds)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="local processes for part 5 (default: none)"
    )
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error(f"--seeds {args.seeds}: must be >= 1")
    if args.table_seeds is not None and args.table_seeds < 1:
        parser.error(f"--table-seeds {args.table_seeds}: must be >= 1")
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers {args.workers}: must be >= 1")
    seeds = range(args.first, args.first + args.seeds)
    start = time.perf_counter()

    if "safe" in args.parts:
        safe_part(seeds)
    if "mutants" in args.parts:
        mutants_part(seeds)
    if "table" in args.parts:
        print(
            "\n3. configurations: runs with any (and records in all) lost / duplicated / reordered"
        )
        print(configuration_table(seeds).to_string(index=False))
    if "consumers" in args.parts:
        consumers_part(seeds)
    if "end-to-end" in args.parts:
        table_seeds = range(args.first, args.first + (args.table_seeds or args.seeds))
        end_to_end_part(seeds, table_seeds, args.workers)
    print(f"\nseeds {seeds.start}..{seeds.stop - 1}; wall time {time.perf_counter() - start:.1f} s")


def safe_part(seeds: range) -> None:
    """Table 1: the safe configuration, every failing seed with its reproduction."""
    config = safe_config()
    failed = []
    counts = dict.fromkeys(("lost", "duplicated", "reordered", "phantom", "unread"), 0)
    for seed in seeds:
        sim = faulty_run(config, seed)
        result = judge(sim)
        for kind, n in result.counts().items():
            counts[kind] += n
        why = read_committed_violation(sim, config)
        counts["unread"] += bool(why)
        if not result.ok or why:
            failed.append(seed)
            print(f"FAIL seed {seed}: {result.summary()} {why}")
            print(f"     {reproduction(seed)}", flush=True)
    print("\n1. safe configuration (acks all, min_insync 2 of 3, clean, idempotent)")
    print(
        f"runs {len(seeds)}, failing runs {len(failed)}; lost {counts['lost']}, duplicated "
        f"{counts['duplicated']}, reordered {counts['reordered']}, phantom "
        f"{counts['phantom']}, read-committed violations {counts['unread']}"
    )


def mutants_part(seeds: range) -> None:
    """Table 2: how many seeds' runs each mutant's named checks catch."""
    print("\n2. mutants: runs whose named check catches them")
    print(f"{'mutant':28} {'check':22} {'caught':>7} {'runs':>5} {'rate':>6}")
    for name in sorted(MUTANTS):
        for check in MUTANT_CHECKS[name]:
            caught, runs = catch_rate(safe_config(mutant=name), seeds, CHECK_GUARANTEE[check])
            print(f"{name:28} {check:22} {caught:7d} {runs:5d} {caught / runs:6.1%}", flush=True)


def consumers_part(seeds: range) -> None:
    """Table 4: consumer-group policies and work queues against what they claim."""
    print("\n4. consumers: runs that break the claimed guarantee (faults hit consumers)")
    print(f"{'system':44} {'guarantee':28} {'failing':>7} {'runs':>5} {'rate':>6}")
    groups = [
        ("group, at-most-once", GroupConfig(policy="at-most-once"), "at-most-once"),
        ("group, at-least-once", GroupConfig(), "at-least-once"),
        ("group, effectively-once", GroupConfig(policy="effectively-once"), "exactly-once"),
        (
            "group, mutant commit_before_processing",
            GroupConfig(mutant="commit_before_processing"),
            "at-least-once",
        ),
    ]
    for name, config, guarantee in groups:
        caught, runs = group_catch_rate(config, seeds, guarantee)
        print(f"{name:44} {guarantee:28} {caught:7d} {runs:5d} {caught / runs:6.1%}", flush=True)
    queues = [
        ("work queue, standard", WorkQueueConfig(), "at-least-once"),
        ("work queue, FIFO", WorkQueueConfig(fifo=True), ("at-least-once", "per-key order")),
        (
            "work queue, mutant delete_on_receive",
            WorkQueueConfig(mutant="delete_on_receive"),
            "at-least-once",
        ),
    ]
    for name, wq, claim in queues:
        caught = sum(not judge_work_queue(work_queue_run(wq, s), claim).ok for s in seeds)
        label = claim if isinstance(claim, str) else ", ".join(claim)
        print(
            f"{name:44} {label:28} {caught:7d} {len(seeds):5d} {caught / len(seeds):6.1%}",
            flush=True,
        )


def end_to_end_part(seeds: range, table_seeds: range, workers: int | None) -> None:
    """Table 5: the whole path, the safe configuration and then the 72 configurations."""
    import pandas as pd

    from dslib.testing.executors import map_seeds

    print("\n5. end to end (producer -> log -> group -> sink; faults on brokers and consumers)")
    safe = safe_group_config()
    counts = map_seeds(partial(end_to_end_counts, safe), seeds, workers)
    failing = [seed for seed, c in zip(seeds, counts, strict=True) if any(c.values())]
    for seed in failing:
        print(
            f'FAIL seed {seed}: {counts[seed - seeds.start]}; python -c "from '
            "dslib.queues.endtoend import *; print(judge_end_to_end(end_to_end_run("
            f'safe_group_config(), {seed})).summary())"'
        )
    totals = {k: sum(c[k] for c in counts) for k in ("lost", "duplicated", "reordered")}
    print(
        "safe configuration (acks all, min_insync 2 of 3, clean, idempotent, effectively-once): "
        f"runs {len(seeds)}, failing runs {len(failing)}; lost {totals['lost']}, duplicated "
        f"{totals['duplicated']}, reordered {totals['reordered']}",
        flush=True,
    )
    table = end_to_end_table(table_seeds, executor=workers)
    print(f"\n72 configurations, {len(table_seeds)} seeds each: runs with any lost / duplicated")
    with pd.option_context("display.width", 250, "display.max_rows", 100):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
