"""Scaling of the architectures of chapter 5 and the failure detectors of chapter 4.

Prints, for growing sizes: gossip rounds to reach everyone (against log2 N + ln N
and log3 N), Chord hops per lookup (against ½ log2 N), SWIM's and all-to-all
heartbeats' messages per member per period, and the wall time of each run
(simulated events are the cost; the wall times vary with the machine).
Then the chapter 5 comparison table at a larger workload.

Run: ``python benchmarks/bench_architectures.py [--large]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from dslib.architectures.compare import compare_architectures
from dslib.architectures.p2p import chord_lookup_experiment, gossip_experiment
from dslib.failure import swim_experiment


def timed(fn: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], float]:
    """Run ``fn`` and return its result and the seconds it took."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def table(title: str, rows: list[dict[str, Any]]) -> None:
    """Print ``rows`` as an aligned table under ``title``."""
    print(f"\n{title}")
    if not rows:
        return
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in keys}
    print("  ".join(k.rjust(widths[k]) for k in keys))
    for r in rows:
        print("  ".join(str(r[k]).rjust(widths[k]) for k in keys))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", action="store_true", help="larger sizes (a few minutes)")
    args = parser.parse_args()
    sizes = [16, 64, 256, 1024, 4096] if args.large else [16, 64, 256, 1024]

    rows = []
    for n in sizes:
        for mode in ("push", "pull", "push-pull"):
            r, s = timed(lambda n=n, mode=mode: gossip_experiment(n, mode, seed=1))
            rows.append(
                {
                    "N": n,
                    "mode": mode,
                    "rounds": r["rounds"],
                    "log2 N + ln N": r["log2 N + ln N"],
                    "log3 N": r["log3 N"],
                    "messages/node": r["messages per node"],
                    "seconds": round(s, 2),
                }
            )
    table("gossip: rounds until every node knows", rows)

    rows = []
    for n in [8, 32, 128, 512, 2048] if args.large else [8, 32, 128, 512]:
        r, s = timed(lambda n=n: chord_lookup_experiment(n, lookups=300, seed=1))
        rows.append(
            {
                "N": n,
                "lookups": r["lookups"],
                "correct": r["correct"],
                "mean hops": r["mean hops"],
                "max hops": r["max hops"],
                "½ log2 N": r["½ log2 N"],
                "seconds": round(s, 2),
            }
        )
    table("Chord: hops per lookup on a stable ring", rows)

    rows = []
    for n in [8, 16, 32, 64, 128] if args.large else [8, 16, 32, 64]:
        for protocol in ("swim", "all-to-all"):
            if protocol == "all-to-all" and n > 32:
                continue  # quadratic: the point is made by then
            r, s = timed(
                lambda n=n, p=protocol: swim_experiment(
                    n=n, protocol=p, loss=0.05, duration=100, crash_at=60, seed=1
                )
            )
            rows.append(
                {
                    "N": n,
                    "protocol": protocol,
                    "messages/member/period": r["messages per member per period"],
                    "last detection": r["last detection"],
                    "false positives": r["false positives"],
                    "seconds": round(s, 2),
                }
            )
    table("membership: SWIM against all-to-all heartbeats (5% loss)", rows)

    start = time.perf_counter()
    rows = compare_architectures(requests=1000 if args.large else 400, rate=1.0, seed=0)
    seconds = time.perf_counter() - start
    table(
        f"chapter 5 comparison ({rows[0]['requests']} requests each; {seconds:.1f} s in all)",
        [
            {
                k: r[k]
                for k in (
                    "architecture",
                    "failed node",
                    "completed",
                    "p50",
                    "p99",
                    "throughput",
                    "messages per request",
                )
            }
            for r in rows
        ],
    )


if __name__ == "__main__":
    main()
