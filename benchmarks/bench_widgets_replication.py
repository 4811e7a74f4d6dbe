"""Update latency of the chapter 11/12 widgets: a knob changes, how long until the new figure?

For the CAP playground (``dslib.widgets.cap.CapPlayground``) and the quorum
explorer (``dslib.widgets.quorums.QuorumExplorer``) at their default sizes,
each control is set to a sequence of new values from code, exactly as a
reader's slider would, and the wall time from the assignment to the moment
the new PNG is in the image widget is measured (the widgets redraw
synchronously in the ``observe`` callback). Reported: median, 90th percentile
and maximum over all changes, and the split of one update into computation
(simulation / Monte Carlo and checks), figure building and PNG encoding.

Target: median under 200 ms.

Run: ``MPLBACKEND=Agg python benchmarks/bench_widgets_replication.py [--rounds 3]``
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")


def measure(widget: Any, changes: list[tuple[str, Any]]) -> list[float]:
    """Apply each (control, value) and time it; returns milliseconds."""
    out = []
    for name, value in changes:
        start = time.perf_counter()
        widget.controls[name].value = value
        out.append(1000 * (time.perf_counter() - start))
    return out


def split(compute: Callable[[], Any], figure: Callable[[Any], Any]) -> tuple[float, float, float]:
    """Milliseconds of computation, figure building and PNG encoding for one update."""
    t0 = time.perf_counter()
    result = compute()
    t1 = time.perf_counter()
    fig = figure(result)
    t2 = time.perf_counter()
    fig.savefig(io.BytesIO(), format="png", dpi=72, pil_kwargs={"compress_level": 1})
    t3 = time.perf_counter()
    return 1000 * (t1 - t0), 1000 * (t2 - t1), 1000 * (t3 - t2)


def row(name: str, times: list[float], parts: tuple[float, float, float]) -> str:
    q = sorted(times)
    p90 = q[max(0, round(0.9 * len(q)) - 1)]
    return (
        f"{name:<18} {len(q):>7} {statistics.median(q):>10.0f} {p90:>8.0f} {max(q):>8.0f}"
        f"   {parts[0]:>7.0f} {parts[1]:>7.0f} {parts[2]:>7.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the list of changes")
    args = parser.parse_args()

    from dslib.widgets.cap import CapPlayground, cap_figure, cap_scenario
    from dslib.widgets.quorums import QuorumExplorer, quorum_figure, quorum_scenario

    cap_changes: list[tuple[str, Any]] = []
    quorum_changes: list[tuple[str, Any]] = []
    for r in range(args.rounds):
        cap_changes += [("seed", 1 + 5 * r + i) for i in range(5)]
        cap_changes += [("window", (20.0 + 10 * r, 120.0 + 20 * r)), ("latency", 1.5 + r)]
        cap_changes += [("isolated", "s2"), ("isolated", "s1"), ("partition", False)]
        cap_changes += [("partition", True)]
        quorum_changes += [("r", 2), ("w", 2), ("r", 1), ("w", 1), ("n", 5), ("n", 3)]
        quorum_changes += [("write", 12.0 + r), ("distribution", "lognormal")]
        quorum_changes += [("distribution", "exponential"), ("seed", 1 + r), ("f", 1), ("f", 0)]

    playground = CapPlayground()
    cap_times = measure(playground, cap_changes)
    cap_parts = split(lambda: cap_scenario(seed=7), cap_figure)
    explorer = QuorumExplorer()
    quorum_times = measure(explorer, quorum_changes)
    quorum_parts = split(lambda: quorum_scenario(n=5, r=2, w=2, seed=7), quorum_figure)

    print("Widget update latency (ms): a control is set, the new PNG is in the widget")
    print(
        f"{'widget':<18} {'changes':>7} {'median':>10} {'p90':>8} {'max':>8}"
        f"   {'compute':>7} {'figure':>7} {'png':>7}"
    )
    print(row("CAP playground", cap_times, cap_parts))
    print(row("quorum explorer", quorum_times, quorum_parts))
    worst = max(statistics.median(cap_times), statistics.median(quorum_times))
    print(f"\ntarget: median under 200 ms -> {'met' if worst < 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
