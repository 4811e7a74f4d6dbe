"""Speed of chapter 7's code: the queue checker against its oracle, the log against chapter 12.

1. ``check_queue`` (one pass, dictionaries) against ``brute_force_violations`` (the
   definitions, pair by pair: the oracle the tests trust), on random histories of two
   shapes: one consumer reading five keys, and eight consumers of fifty keys with
   repeats and swaps. The oracle is cut off past ``--oracle-max`` sends (it is
   quadratic and worse).
2. Simulated events per second of one ``faulty_run`` of the log (``dslib.queues.checks``)
   against the named peer: one ``faulty_run`` of chapter 12's primary-backup store, in
   the same simulator, in the same process.

    .venv/bin/python benchmarks/bench_queues.py
    .venv/bin/python benchmarks/bench_queues.py --sizes 100 1000 10000 --oracle-max 400
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import timed

from dslib.queues.checker import Receive, Send, brute_force_violations, check_queue
from dslib.queues.checks import faulty_run, safe_config
from dslib.replication.checks import faulty_run as replication_run

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
    args = parser.parse_args()

    print("1. check_queue against the brute-force oracle (median wall ms)")
    print(
        f"{'shape':22} {'sends':>6} {'receives':>8} {'check_queue':>12} {'oracle':>10} "
        f"{'ratio':>8}  agree"
    )
    for shape, (consumers, keys) in SHAPES.items():
        for n in args.sizes:
            sends, receives = history(n, consumers, keys, seed=n)
            fast, result = timed(
                lambda s=sends, r=receives: check_queue(s, r, ("exactly-once", "per-key order")),
                args.repeat,
            )
            if n <= args.oracle_max:
                slow, want = timed(lambda s=sends, r=receives: brute_force_violations(s, r), 1)
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

    print("\n2. simulated events per wall second, one faulty run each (median of repeats)")
    print(f"{'system':40} {'events':>7} {'wall ms':>8} {'events/s':>9}")
    runs = {
        "queues log, safe config (seed 0)": lambda: faulty_run(safe_config(), 0),
        "peer: chapter 12 primary-backup (seed 0)": lambda: replication_run("primary-backup", 0),
    }
    for name, run in runs.items():
        seconds, sim = timed(run, args.repeat)
        print(f"{name:40} {sim.events:7d} {seconds * 1e3:8.1f} {sim.events / seconds:9.0f}")


if __name__ == "__main__":
    main()
