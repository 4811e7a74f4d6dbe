"""The load-balancer race of chapter 6: the policies side by side on the same request stream.

``race`` runs each policy with ``dslib.balancing.run_balancer`` on the same
seeded stream of requests (same arrival times, same keys) in front of the
same backends: ``backends`` backends with a mean service time of 1, one of
them ``slow`` times slower, at a ``load`` that is a fraction of the pool's
capacity; optionally with health checks and a backend that crashes for a
while. ``race_table`` summarises the tails, ``race_figure`` draws them, and
``LoadBalancerRace`` puts sliders in front of all three.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dslib.viz  # noqa: F401  (registers the PNG renderer of bare figures)
from dslib.balancing import POLICIES, BalancerRun, HealthCheck, run_balancer
from dslib.widgets.base import ControlTable, Explorer, controls, parameters

__all__ = ["LoadBalancerRace", "race", "race_figure", "race_table", "service_times"]

_COLORS = {
    "round robin": "#1f77b4",
    "random": "#ff7f0e",
    "least connections": "#2ca02c",
    "power of two": "#d62728",
    "consistent hash": "#9467bd",
}


def service_times(backends: int, slow: float) -> list[tuple[float, float]]:
    """Service-time ranges: every backend uniform on (0.5, 1.5) (mean 1), except the last,
    ``slow`` times slower.

    >>> service_times(3, 4.0)
    [(0.5, 1.5), (0.5, 1.5), (2.0, 6.0)]
    """
    if not (isinstance(backends, int) and backends >= 1):
        raise ValueError(f"service_times: backends={backends!r} must be an int >= 1")
    if not (isinstance(slow, (int, float)) and slow >= 1):
        raise ValueError(f"service_times: slow={slow!r} must be a number >= 1")
    return [(0.5, 1.5)] * (backends - 1) + [(0.5 * slow, 1.5 * slow)]


def race(
    policies: Sequence[str] = POLICIES,
    backends: int = 5,
    slow: float = 5.0,
    load: float = 0.7,
    requests: int = 3000,
    seed: int = 1,
    health: bool = False,
    crash: bool = False,
) -> dict[str, BalancerRun]:
    """Run every policy on the same request stream; return the runs by policy name.

    Parameters
    ----------
    policies : sequence of str
        Names from ``dslib.balancing.POLICIES``.
    backends : int, default 5
    slow : float, default 5
        How many times slower the last backend is (1: all alike).
    load : float, default 0.7
        The arrival rate as a fraction of the pool's capacity (the sum of the
        backends' service rates).
    requests : int, default 3000
    seed : int, default 1
    health : bool, default False
        Health checks every 5 time units (fall 2, rise 2).
    crash : bool, default False
        The first backend crashes at 20% of the run and restarts at 50%.

    Examples
    --------
    >>> runs = race(["round robin", "least connections"], backends=3, slow=4.0, requests=600)
    >>> [(name, run.answered) for name, run in runs.items()]
    [('round robin', 600), ('least connections', 600)]
    >>> runs["least connections"].p(99) < runs["round robin"].p(99)
    True
    """
    if not 0 < load < 5:
        raise ValueError(f"race: load={load!r} must be a positive fraction of capacity")
    times = service_times(backends, slow)
    capacity = sum(1 / ((lo + hi) / 2) for lo, hi in times)
    rate = load * capacity
    duration = requests / rate
    fault = (0, 0.2 * duration, 0.5 * duration) if crash else None
    check = HealthCheck(5.0, 2, 2) if health else None
    return {
        name: run_balancer(name, times, rate, requests, seed=seed, health=check, crash=fault)
        for name in policies
    }


def race_table(runs: dict[str, BalancerRun]) -> Any:
    """A table of the runs: p50, p99, p99.9, mean, lost requests, share of the slow backend.

    >>> race_table(race(["random"], backends=2, requests=200)).columns.tolist()
    ['p50', 'p99', 'p99.9', 'mean', 'unanswered', 'slow backend %']
    """
    import pandas as pd

    rows = []
    for run in runs.values():
        row = run.summary()
        sent = [n for _, n in run.sent]
        row["slow backend %"] = 100 * sent[-1] / max(1, sum(sent))
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("policy")
    return frame[["p50", "p99", "p99.9", "mean", "unanswered", "slow backend %"]]


def race_figure(runs: dict[str, BalancerRun], title: str | None = None) -> Any:
    """The tail of each policy's response times (the fraction of requests slower than x, on
    log scales, so p99 and p99.9 are visible) and the requests each backend got.

    >>> race_figure(race(["round robin", "power of two"], backends=3, requests=300))
    <Figure size 900x330 with 2 Axes>
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullFormatter

    fig = Figure(figsize=(9.0, 3.3), dpi=100)
    tail, shares = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1.4, 1.0)})
    for name, run in runs.items():
        xs = list(run.latencies)
        n = len(xs)
        if not n:
            continue
        ys = [(n - i) / n for i in range(n)]
        tail.step(xs, ys, where="post", label=name, color=_COLORS.get(name))
    for q, label in ((0.01, "p99"), (0.001, "p99.9")):
        tail.axhline(q, color="grey", linestyle=":", linewidth=0.8)
        tail.text(
            0.99,
            q * 1.15,
            label,
            transform=tail.get_yaxis_transform(),
            ha="right",
            fontsize=7,
            color="grey",
        )
    tail.set_xscale("log")
    tail.set_yscale("log")
    # Over less than a decade matplotlib labels the minor ticks too, and they overlap.
    tail.xaxis.set_minor_formatter(NullFormatter())
    tail.set_xlabel("response time (time units)", fontsize=8)
    tail.set_ylabel("fraction of requests slower than x", fontsize=8)
    tail.tick_params(labelsize=8)
    tail.legend(fontsize=7)
    tail.set_title(title or "the tail of the response times", fontsize=9)
    names = list(runs)
    backends = [b for b, _ in next(iter(runs.values())).sent] if runs else []
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        counts = [c for _, c in runs[name].sent]
        total = max(1, sum(counts))
        xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(backends))]
        shares.bar(
            xs, [100 * c / total for c in counts], width=width, label=name, color=_COLORS.get(name)
        )
    if backends:
        shares.axhline(100 / len(backends), color="black", linestyle=":", linewidth=0.8)
    shares.set_xticks(list(range(len(backends))))
    # "(slow)" marks a backend slower on average than the fastest (none when all are alike).
    nodes = next(iter(runs.values())).simulation.system.nodes if runs else {}

    def mean_service(backend: str) -> float:
        st = getattr(nodes.get(backend), "service_time", 1.0)
        return (st[0] + st[1]) / 2 if isinstance(st, tuple) else float(st)

    fastest = min((mean_service(b) for b in backends), default=0.0)
    shares.set_xticklabels(
        [f"{b}{' (slow)' if mean_service(b) > fastest else ''}" for b in backends],
        fontsize=7,
    )
    shares.set_xlabel("backend", fontsize=8)
    shares.set_ylabel("% of the requests sent to it", fontsize=8)
    shares.tick_params(labelsize=8)
    shares.set_title("where the requests went", fontsize=9)
    fig.tight_layout()
    return fig


_CONTROLS: ControlTable = {
    "backends": ("IntSlider", {"min": 2, "max": 8, "description": "backends"}),
    "slow": ("FloatSlider", {"min": 1.0, "max": 10.0, "step": 0.5, "description": "slow x"}),
    "load": ("FloatSlider", {"min": 0.1, "max": 0.95, "step": 0.05, "description": "load"}),
    "requests": ("IntSlider", {"min": 200, "max": 10_000, "step": 200, "description": "requests"}),
    "seed": ("IntSlider", {"min": 0, "max": 99, "description": "seed"}),
    "health": ("Checkbox", {"description": "health checks"}),
    "crash": ("Checkbox", {"description": "crash b1 for a while"}),
}


class LoadBalancerRace(Explorer):
    """Sliders for ``race``; the figure and the table are redrawn on every change.

    ``controls`` maps each parameter to its widget (tests set them from code);
    ``runs`` holds the last race.

    Examples
    --------
    >>> widget = LoadBalancerRace(requests=300, backends=3)
    >>> widget.controls["slow"].value = 1.0
    >>> sorted(widget.runs) == sorted(POLICIES), widget.values()["slow"]
    (True, 1.0)
    """

    def __init__(self, **initial: Any) -> None:
        import ipywidgets as w

        params: dict[str, Any] = {
            "backends": 5,
            "slow": 5.0,
            "load": 0.7,
            "requests": 2000,
            "seed": 1,
            "health": False,
            "crash": False,
        }
        params = parameters("LoadBalancerRace", params, initial)
        self.controls = controls(params, _CONTROLS, "80px")
        self.table = w.HTML()
        self.runs: dict[str, BalancerRun] = {}
        self._start(
            [("backends", "slow", "load", "requests"), ("seed", "health", "crash")],
            below=[self.table],
        )

    def update(self) -> None:
        """Run the race with the current values and redraw."""
        self.runs = race(**self.values())
        self._show(race_figure(self.runs))
        self.table.value = race_table(self.runs).round(1).to_html()

    def __repr__(self) -> str:
        """What the figure shows, in one line: the race and each policy's p99."""
        v = self.values()
        extras = [x for x, on in (("health checks", v["health"]), ("b1 crashes", v["crash"])) if on]
        each = ", ".join(f"{name} {run.p(99):.1f}" for name, run in self.runs.items())
        return (
            f"LoadBalancerRace({v['backends']} backends, one {v['slow']:g}x slower, load "
            f"{v['load']:g}, {v['requests']} requests, seed {v['seed']}"
            + "".join(f", {x}" for x in extras)
            + f": p99 {each})"
        )
