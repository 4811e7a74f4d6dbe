"""The election-timeout experiment of the Raft paper (section 9.3, Figure 16), full size.

Runs ``dslib.raft.timeouts`` with ``--trials`` trials (default 1000, as in the
paper) for each of the ten timeout ranges of Figure 16 and prints:

1. per range: trials, median, 90th percentile, maximum and mean downtime (ms),
   censored trials (still no leader known to every survivor after ``--limit``
   ms), the mean number of elections (terms) per trial, and the wall time;
2. the same medians and percentiles beside the figures the paper states;
3. our median and 90th percentile beside those read from Figure 16 itself
   (``dslib.raft.figure16``), with the relative gap of the medians and the
   largest relative gap over the nine deciles (``paper_comparison``);
4. the total wall time and trials per second.

With ``--sweep 4,5,6,7`` it instead runs every range but 150-150 and 150-151
once per broadcast time given and prints, per range, the median gap and the decile gap
at each: how the one-way latency moves the fit to the paper (``--workers``
processes run the trials; the numbers do not depend on it).

Run: ``python benchmarks/bench_raft_timeouts.py [--trials 1000] [--seed 0]
[--broadcast 5] [--limit 10000] [--measure all|majority]
[--timer-rule figure2|any_new_term] [--sweep 4,5,6,7 --workers 2]``
"""

from __future__ import annotations

import argparse
import math
import time

from dslib.raft.timeouts import (
    FAITHFUL_BROADCAST,
    PAPER_RANGES,
    TIMER_RULES,
    broadcast_time,
    downtime_samples,
    election_trial,
    one_way_latency,
    paper_comparison,
    paper_table,
    percentile,
    range_label,
    trial_seed,
)


def fmt(x: float, limit: float) -> str:
    return f"> {limit:g}" if math.isinf(x) else f"{x:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--broadcast", type=float, default=FAITHFUL_BROADCAST)
    parser.add_argument("--limit", type=float, default=10_000.0)
    parser.add_argument("--measure", choices=["all", "majority"], default="all")
    parser.add_argument("--timer-rule", choices=sorted(TIMER_RULES), default="figure2")
    parser.add_argument("--sweep", default="", help="broadcast times, e.g. 4,5,6,7")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.sweep:
        sweep(args)
        return

    latency = one_way_latency(args.broadcast)
    print(
        f"5 servers, one-way latency {latency!r} ms, measured broadcast time "
        f"{broadcast_time(latency, seed=args.seed):.2f} ms; {args.trials} trials per range; "
        f"limit {args.limit:g} ms; measure={args.measure}; timer_rule={args.timer_rule}"
    )
    header = (
        f"{'range (ms)':>10} {'trials':>6} {'median':>9} {'p90':>9} {'max':>9} {'mean':>9} "
        f"{'censored':>8} {'elections':>9} {'wall (s)':>8}"
    )
    print(header)
    print("-" * len(header))
    samples: dict[str, list[float]] = {}
    start = time.perf_counter()
    for timeout in PAPER_RANGES:
        t0 = time.perf_counter()
        downtimes: list[float] = []
        elections = 0
        for i in range(args.trials):
            trial = election_trial(
                timeout,
                seed=trial_seed(args.seed, i),
                broadcast=args.broadcast,
                limit=args.limit,
                measure=args.measure,
                timer_rule=args.timer_rule,
            )
            downtimes.append(trial.downtime if trial.censored else round(trial.downtime, 2))
            elections += trial.elections
        wall = time.perf_counter() - t0
        label = range_label(timeout)
        samples[label] = downtimes
        finite = [d for d in downtimes if not math.isinf(d)]
        mean = sum(downtimes) / len(downtimes) if len(finite) == len(downtimes) else math.inf
        censored = len(downtimes) - len(finite)
        print(
            f"{label:>10} {len(downtimes):>6} {fmt(percentile(downtimes, 50), args.limit):>9} "
            f"{fmt(percentile(downtimes, 90), args.limit):>9} "
            f"{fmt(max(downtimes), args.limit):>9} {fmt(mean, args.limit):>9} {censored:>8} "
            f"{elections / len(downtimes):>9.2f} {wall:>8.2f}"
        )
    total = time.perf_counter() - start
    print()
    print(paper_table(samples, args.limit).to_string())
    print()
    print("Beside Figure 16 as read from the plot (dslib.raft.figure16):")
    print(paper_comparison(samples).to_string())
    n = args.trials * len(PAPER_RANGES)
    print()
    print(f"{n} trials in {total:.1f} s ({n / total:.0f} trials/s)")


def sweep(args: argparse.Namespace) -> None:
    """The median and decile gaps to Figure 16 per range, for several broadcast times."""
    broadcasts = [float(b) for b in args.sweep.split(",")]
    # 150-150 never converges, and 150-151 takes seconds per trial (its median is over
    # 2 s): both would dominate the run time and neither fits at any of these latencies.
    ranges = PAPER_RANGES[2:]
    print(
        f"{args.trials} trials per range and broadcast time; seed {args.seed}; "
        f"measure={args.measure}; timer_rule={args.timer_rule}"
    )
    start = time.perf_counter()
    tables = {}
    for b in broadcasts:
        samples = downtime_samples(
            ranges,
            args.trials,
            seed=args.seed,
            broadcast=b,
            limit=args.limit,
            measure=args.measure,
            timer_rule=args.timer_rule,
            executor=args.workers if args.workers > 1 else None,
        )
        tables[b] = paper_comparison(samples)
    titles = {
        "median gap": "median gap (ours minus the paper's, relative)",
        "decile gap": "decile gap (the largest relative gap over the nine deciles)",
    }
    for column, title in titles.items():
        print()
        print(f"{title} by broadcast time (ms):")
        header = f"{'range':>8} " + " ".join(f"{b:>8g}" for b in broadcasts)
        print(header)
        sign = "+" if column == "median gap" else ""
        for label in tables[broadcasts[0]].index:
            cells = " ".join(f"{tables[b].loc[label, column]:>{sign}8.3f}" for b in broadcasts)
            print(f"{label:>8} {cells}")
    total = time.perf_counter() - start
    print()
    print(f"{len(broadcasts) * len(ranges) * args.trials} trials in {total:.1f} s")


if __name__ == "__main__":
    main()
