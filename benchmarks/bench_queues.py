"""Speed of chapter 7's code: the queue checker against its oracle, the log against chapter 12.

1. ``check_queue`` (one pass, dictionaries) against ``brute_force_violations`` (the
   definitions, pair by pair: the oracle the tests trust), on random histories of two
   shapes: one consumer reading five keys, and eight consumers of fifty keys with
   repeats and swaps. The oracle is cut off past ``--oracle-max`` sends (it is
   quadratic and worse).
2. Simulated events per second of one ``faulty_run`` of the log (``dslib.queues.checks``)
   against the named peer: one ``faulty_run`` of chapter 12's primary-backup store, in
   the same simulator, in the same process.
3. Messages per second of wall time, checking off and on: each workload is simulated
   and timed alone ("off"), then simulated and its history judged (``check_queue``
   for exactly-once and per-key order on the log; ``check_linearizable`` for the peer)
   and timed together ("on"). Messages are the records the reader received (for the
   peer: the clients' completed operations). Two workloads of the log, of different
   sizes and shapes: the fault run of the chapter on one partition (20 records, seed 0),
   and a larger one without faults (six partitions, three producers of 200 records each,
   batches of 8); the peer is chapter 12's primary-backup ``faulty_run`` (seed 0).

    .venv/bin/python benchmarks/bench_queues.py
    .venv/bin/python benchmarks/bench_queues.py --sizes 100 1000 10000 --oracle-max 400
    .venv/bin/python benchmarks/bench_queues.py --parts throughput
"""

from __future__ import annotations

import argparse
import random
import sys
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import timed

from dslib.queues.checker import Receive, Send, brute_force_violations, check_queue
from dslib.queues.checks import faulty_run, judge, safe_config
from dslib.queues.log import LogConfig
from dslib.queues.performance import performance_run
from dslib.replication.checks import faulty_run as replication_run
from dslib.replication.checks import faulty_run_verdict
from dslib.sim.simulator import Simulation

SHAPES = {"1 consumer, 5 keys": (1, 5), "8 consumers, 50 keys": (8, 50)}


def history(n: int, consumers: int, keys: int, seed: int) -> tuple[list[Send], list[Receive]]:
    """``n`` sends; 95 % delivered, 5 % twice, 5 % of neighbours swapped."""
    rng = random.Random(seed)
    sends = [
        Send(
            f"m{i}",
            key=f"k{rng.randrange(keys)}",
            producer=f"p{i % 2}",
            acknowledged=rng.random() < 0.9,
        )
        for i in range(n)
    ]
    receives = []
    for s in sends:
        if rng.random() < 0.95:
            receives.append(Receive(s.message, consumer=f"c{rng.randrange(consumers)}"))
        if rng.random() < 0.05:
            receives.append(Receive(s.message, consumer=f"c{rng.randrange(consumers)}"))
    for _ in range(len(receives) // 20):
        j = rng.randrange(len(receives) - 1)
        receives[j], receives[j + 1] = receives[j + 1], receives[j]
    return sends, receives


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400, 4000, 40000])
    parser.add_argument("--oracle-max", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["checker", "events", "throughput"],
        choices=["checker", "events", "throughput"],
    )
    args = parser.parse_args()
    if "checker" in args.parts:
        checker_part(args)
    if "events" in args.parts:
        events_part(args)
    if "throughput" in args.parts:
        throughput_part(args)


def checker_part(args: argparse.Namespace) -> None:
    """Table 1: check_queue against the oracle."""
    print("1. check_queue against the brute-force oracle (median wall ms)")
    print(
        f"{'shape':22} {'sends':>6} {'receives':>8} {'check_queue':>12} {'oracle':>10} "
        f"{'ratio':>8}  agree"
    )
    for shape, (consumers, keys) in SHAPES.items():
        for n in args.sizes:
            sends, receives = history(n, consumers, keys, seed=n)
            fast, result = timed(
                partial(check_queue, sends, receives, ("exactly-once", "per-key order")),
                args.repeat,
            )
            if n <= args.oracle_max:
                slow, want = timed(partial(brute_force_violations, sends, receives), 1)
                got = sorted(((v.message, v.consumer) for v in result.reordered), key=repr)
                agree = (
                    "yes"
                    if got == want["reordered"] and len(result.lost) == len(want["lost"])
                    else "NO"
                )
                print(
                    f"{shape:22} {n:6d} {len(receives):8d} {fast * 1e3:12.2f} "
                    f"{slow * 1e3:10.1f} {slow / fast:8.0f}  {agree}"
                )
            else:
                print(
                    f"{shape:22} {n:6d} {len(receives):8d} {fast * 1e3:12.2f} {'-':>10} {'-':>8}  -"
                )


def events_part(args: argparse.Namespace) -> None:
    """Table 2: simulated events per wall second, the log against chapter 12."""
    print("\n2. simulated events per wall second, one faulty run each (median of repeats)")
    print(f"{'system':40} {'events':>7} {'wall ms':>8} {'events/s':>9}")
    runs = {
        "queues log, safe config (seed 0)": lambda: faulty_run(safe_config(), 0),
        "peer: chapter 12 primary-backup (seed 0)": lambda: replication_run("primary-backup", 0),
    }
    for name, run in runs.items():
        seconds, sim = timed(run, args.repeat)
        print(f"{name:40} {sim.events:7d} {seconds * 1e3:8.1f} {sim.events / seconds:9.0f}")


WORKLOADS = {
    "log: faulty_run, 1 partition, 20 records": lambda: faulty_run(safe_config(), 0),
    "log: 6 partitions, 3 x 200 records, batch 8": lambda: performance_run(
        LogConfig(
            partitions=6,
            producers=3,
            messages=200,
            send_interval=0.5,
            batch_size=8,
            linger=1.0,
            fetch_interval=1.0,
        )
    ),
}


def _log_messages(sim: Simulation) -> int:
    return len(sim.states["reader"].read)


def _log_check(sim: Simulation) -> bool:
    return judge(sim).ok


def _peer_run() -> Simulation:
    return replication_run("primary-backup", 0)


def _peer_messages(sim: Simulation) -> int:
    return sum(op.status == "ok" for op in sim.history.operations())


def _peer_check(sim: Simulation) -> bool:
    return faulty_run_verdict("primary-backup", sim).ok


def throughput_part(args: argparse.Namespace) -> None:
    """Table 3: messages per wall second with checking off and on."""
    print("\n3. messages per second of wall time, checking off and on (median of repeats)")
    print(
        f"{'workload':46} {'messages':>8} {'off ms':>8} {'on ms':>8} {'off msg/s':>10} "
        f"{'on msg/s':>9} {'check':>6}  verdict"
    )
    runs = [
        *((name, run, _log_messages, _log_check) for name, run in WORKLOADS.items()),
        ("peer: chapter 12 primary-backup (seed 0)", _peer_run, _peer_messages, _peer_check),
    ]
    for name, run, messages, check in runs:
        off, sim = timed(run, args.repeat)

        def checked(run: Any = run, check: Any = check) -> tuple[Simulation, bool]:
            sim = run()
            return sim, check(sim)

        on, (sim, ok) = timed(checked, args.repeat)
        n = messages(sim)
        share = (on - off) / on if on > 0 else 0.0
        print(
            f"{name:46} {n:8d} {off * 1e3:8.1f} {on * 1e3:8.1f} {n / off:10.0f} "
            f"{n / on:9.0f} {share:6.1%}  {'ok' if ok else 'FAILED'}"
        )


if __name__ == "__main__":
    main()
