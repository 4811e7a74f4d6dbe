"""How much a heartbeat and a phi query cost in dslib.failure, against a full recomputation.

The phi accrual detector (``PhiAccrual``) needs the mean and the standard
deviation of the last ``window`` inter-arrival times at every check. The peer
in the same run is the full recomputation the library did before: keep the
intervals in a tuple and, at each check, call ``phi_from_intervals`` (which
runs ``statistics.fmean`` and ``statistics.pstdev`` over the whole window).
``ArrivalWindow`` keeps running moments instead. One step is what a monitor
does per heartbeat in ``detection_experiment``: one arrival and 20 checks
(``check_period = period / 20``). Then whole ``detection_experiment`` runs
with each window size (run the script against an older tree, with
``PYTHONPATH``, for its figures). Figures are medians of ``--repeat`` runs
(default 3).

Run: ``python benchmarks/bench_failure.py [--repeat 3] [--steps 2000]``
"""

from __future__ import annotations

import argparse
import random

from timing import timed

from dslib.failure import (
    ArrivalWindow,
    PhiAccrual,
    detection_experiment,
    phi_from_intervals,
)
from dslib.verify.transition import text_table

CHECKS_PER_HEARTBEAT = 20


def arrivals(steps: int, seed: int = 1) -> list[float]:
    """Heartbeat arrival times: period 1 plus exponential jitter, from t = 1e9."""
    rng = random.Random(seed)
    now, out = 1e9, []
    for _ in range(steps):
        now += 1.0 + rng.expovariate(1 / 0.2)
        out.append(now)
    return out


def full_recomputation(times: list[float], size: int) -> float:
    """The old way: a tuple of intervals, and fmean/pstdev over it at every check."""
    last, intervals, total = None, (), 0.0
    for now in times:
        if last is not None:
            intervals = (*intervals, now - last)[-size:]
        last = now
        if intervals:
            for c in range(CHECKS_PER_HEARTBEAT):  # the same silences as the library sees
                total += phi_from_intervals((now + 0.05 * c) - now, intervals, 0.1)
    return total


def running_moments(times: list[float], size: int) -> float:
    """The library now: ArrivalWindow.add and PhiAccrual.level."""
    detector = PhiAccrual(window=size, min_std=0.1)
    window, total = ArrivalWindow(), 0.0
    for now in times:
        window = window.add(now, size)
        if window.intervals:
            for c in range(CHECKS_PER_HEARTBEAT):
                total += detector.level(window, now + 0.05 * c)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", type=int, default=2000, help="heartbeats per run")
    args = parser.parse_args()
    r, times = args.repeat, arrivals(args.steps)

    rows = []
    for size in (10, 100, 1000):
        old_s, old = timed(lambda s=size: full_recomputation(times, s), r)
        new_s, new = timed(lambda s=size: running_moments(times, s), r)
        step = 1e6 / len(times)
        rows.append(
            [
                str(size),
                f"{old_s * step:.1f}",
                f"{new_s * step:.1f}",
                f"{old_s / new_s:.1f}x",
                f"{abs(new - old) / abs(old):.1e}",
            ]
        )
    print(
        f"One heartbeat and {CHECKS_PER_HEARTBEAT} phi queries (microseconds per heartbeat, "
        f"{len(times)} heartbeats from t = 1e9, median of {r} runs)"
    )
    print(
        text_table(
            [
                "window",
                "full recomputation",
                "running moments",
                "speed-up",
                "relative difference of the summed phi",
            ],
            rows,
        )
    )

    print()
    rows = []
    for size in (10, 100, 1000):
        secs, res = timed(
            lambda s=size: detection_experiment(
                PhiAccrual(8.0, window=s), jitter=0.2, duration=1000, seed=1
            ),
            r,
        )
        rows.append(
            [str(size), str(res["mistakes"]), f"{res['detection time']:.2f}", f"{secs:.2f}"]
        )
    print("detection_experiment(PhiAccrual(8.0, window=w), jitter=0.2, duration=1000) (seconds)")
    print(text_table(["window", "mistakes", "detection time", "wall time"], rows))


if __name__ == "__main__":
    main()
