"""The architecture explorer of chapter 5: one workload on every architecture.

``architecture_results`` is the pure part: the common workload of
``dslib.architectures.compare`` on each architecture, with the chosen rate,
loss, failure and seed. ``architecture_figure`` draws the results side by
side: latency CDFs, the p99, the messages per request and the fraction of
requests completed. ``ArchitectureExplorer`` puts controls in front of both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dslib.architectures.compare import ARCHITECTURES, run_architecture
from dslib.widgets.base import ControlTable, Explorer, controls, parameters

__all__ = ["ArchitectureExplorer", "architecture_figure", "architecture_results"]


def architecture_results(
    architectures: Sequence[str] = ARCHITECTURES,
    requests: int = 200,
    rate: float = 1.0,
    loss: float = 0.0,
    fail: bool = False,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """``run_architecture`` for each of ``architectures`` with the same settings.

    Examples
    --------
    >>> rows = architecture_results(["client-server"], requests=20, seed=1)
    >>> rows[0]["architecture"], rows[0]["completed"]
    ('client-server', 20)
    """
    unknown = [a for a in architectures if a not in ARCHITECTURES]
    if unknown:
        raise ValueError(f"unknown architectures {unknown}; allowed: {', '.join(ARCHITECTURES)}")
    return [run_architecture(a, requests, rate, loss, fail, seed) for a in architectures]


def architecture_figure(results: Sequence[dict[str, Any]], title: str | None = None) -> Any:
    """Latency CDFs (left) and bars of p99, messages per request and completion (right).

    Examples
    --------
    >>> architecture_figure(architecture_results(["client-server", "event-driven"], requests=20))
    <Figure size 820x420 with 4 Axes>
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullFormatter

    fig = Figure(figsize=(8.2, 4.2), dpi=100)
    grid = fig.add_gridspec(3, 2, width_ratios=(1.5, 1.0))
    left = fig.add_subplot(grid[:, 0])
    names = [r["architecture"] for r in results]
    colors = [f"C{i}" for i in range(len(results))]
    for r, color in zip(results, colors, strict=True):
        xs = sorted(r["latencies"])
        if xs:
            n = len(xs)
            left.step(
                xs,
                [(i + 1) / n for i in range(n)],
                where="post",
                color=color,
                label=r["architecture"],
            )
    left.set_xscale("log")
    left.xaxis.set_minor_formatter(NullFormatter())  # labels of minor ticks would overlap
    left.set_xlabel("latency (simulated time units, log scale)")
    left.set_ylabel("fraction of completed requests (latency ≤ x)")
    left.legend(fontsize=7, loc="lower right")
    left.set_title(title or "the same workload on each architecture", fontsize=9)
    for k, (key, label) in enumerate(
        (
            ("p99", "p99 latency (simulated time units)"),
            ("messages per request", "messages per request (background included)"),
            (None, "fraction of requests completed"),
        )
    ):
        ax = fig.add_subplot(grid[k, 1])
        if key is None:
            values = [r["completed"] / r["requests"] for r in results]
            ax.set_xlim(0, 1.05)
        else:
            values = [r[key] for r in results]
        ax.barh(range(len(results)), values, color=colors)
        ax.set_yticks(range(len(results)), [n.split("-")[0] for n in names], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(label, fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    return fig


_CONTROLS: ControlTable = {
    "requests": ("IntSlider", {"min": 20, "max": 400, "step": 10, "description": "requests"}),
    "rate": ("FloatSlider", {"min": 0.2, "max": 3.0, "step": 0.1, "description": "rate"}),
    "loss": ("FloatSlider", {"min": 0.0, "max": 0.3, "step": 0.02, "description": "loss"}),
    "fail": ("Checkbox", {"description": "one node fails"}),
    "seed": ("IntSlider", {"min": 0, "max": 20, "description": "seed"}),
}


class ArchitectureExplorer(Explorer):
    """Controls for ``architecture_results``; the figure is redrawn on every change.

    ``controls`` maps each parameter to its widget (so tests and readers can set
    values from code); ``results`` is the last run.
    """

    def __init__(self, **initial: Any) -> None:
        params: dict[str, Any] = {
            "requests": 200,
            "rate": 1.0,
            "loss": 0.0,
            "fail": False,
            "seed": 0,
        }
        params = parameters("ArchitectureExplorer", params, initial)
        self.controls = controls(params, _CONTROLS, "80px")
        self.results: list[dict[str, Any]] = []
        self._start([("requests", "rate", "loss"), ("fail", "seed")])

    def update(self) -> None:
        """Run every architecture with the current values and redraw."""
        self.results = architecture_results(**self.values())
        self._show(architecture_figure(self.results))

    def __repr__(self) -> str:
        """What the figure shows, in one line: the workload and each architecture's
        completed requests and p99."""
        v = self.values()
        failure = "one node fails" if v["fail"] else "no failure"
        each = "; ".join(
            f"{r['architecture']} {r['completed']}/{r['requests']} p99 {r['p99']:g}"
            for r in self.results
        )
        return (
            f"ArchitectureExplorer({v['requests']} requests at {v['rate']:g}/unit, loss "
            f"{v['loss']:g}, {failure}, seed {v['seed']}: completed and p99: {each})"
        )
