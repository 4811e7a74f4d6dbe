"""The CAP playground of chapter 11: place a partition, heal it, and compare CP with AP.

``cap_scenario`` is the pure part: the same workload on the CP store (ABD,
majority quorums) and the AP store (Dynamo-style, R = W = 1, last writer
wins), with the partition the reader chose (``dslib.cap.cap_compare``).
``cap_figure`` draws both runs as timelines of operations, with the
measurements side by side; ``CapPlayground`` puts controls in front of both.
"""

from __future__ import annotations

from typing import Any

import dslib.viz  # noqa: F401  (registers the PNG renderer of bare figures)
from dslib.cap import CONFIGURATIONS, CapResult, cap_compare, stale_reads
from dslib.widgets.base import ControlTable, Explorer, controls, parameters

__all__ = ["CapPlayground", "cap_figure", "cap_scenario", "isolation_options"]

_COLORS = {
    "put": "#2e7d32",
    "get": "#1f5fa8",
    "stale": "#ef6c00",
    "unanswered": "#c62828",
}


def isolation_options(servers: int) -> list[tuple[str, tuple[str, ...]]]:
    """The ways to cut servers off: each single server, and (for 5) each pair of neighbours.

    >>> isolation_options(3)
    [('s1', ('s1',)), ('s2', ('s2',)), ('s3', ('s3',)), ('s1, s2 (a majority)', ('s1', 's2'))]
    """
    if servers not in (3, 5):
        raise ValueError(f"isolation_options: servers={servers!r}; the playground has 3 or 5")
    ids = [f"s{i}" for i in range(1, servers + 1)]
    out: list[tuple[str, tuple[str, ...]]] = [(s, (s,)) for s in ids]
    if servers == 3:
        out.append(("s1, s2 (a majority)", ("s1", "s2")))
    else:
        out += [("s1, s2", ("s1", "s2")), ("s1, s2, s3 (a majority)", ("s1", "s2", "s3"))]
    return out


def cap_scenario(
    partition: tuple[float, float] | None = (40.0, 160.0),
    isolated: tuple[str, ...] = ("s1",),
    servers: int = 3,
    latency: float = 2.0,
    seed: int = 0,
) -> dict[str, CapResult]:
    """Run both configurations with the same partition; see ``dslib.cap.cap_experiment``.

    >>> results = cap_scenario(seed=1)
    >>> [(name, r.linearizable) for name, r in results.items()]
    [('CP', True), ('AP', False)]
    """
    return cap_compare(
        partition=partition,
        isolated=isolated,
        servers=servers,
        clients=servers,
        latency=latency,
        seed=seed,
    )


def _timeline(ax: Any, result: CapResult, end: float) -> None:
    sim = result.simulation
    ops = sim.history.operations()
    stale = {op.index for op in stale_reads(sim.history)}
    clients = sorted({str(op.process) for op in ops}, key=lambda c: int(c[1:]))
    rows = {c: i for i, c in enumerate(clients)}
    if result.partition is not None:
        start, heal = result.partition
        ax.axvspan(start, heal, color="#dddddd", zorder=0)
        ax.text(start + 1, len(clients) - 0.45, "partition", fontsize=7, color="#555555")
    from matplotlib.collections import PolyCollection

    boxes: list[list[tuple[float, float]]] = []
    colors: list[str] = []
    for op in ops:
        stop = op.complete_time if op.complete_time != float("inf") else end
        if op.status != "ok":
            kind = "unanswered"
        elif op.index in stale:
            kind = "stale"
        else:
            kind = "put" if op.f in ("put", "write") else "get"
        x0, x1 = op.invoke_time, max(stop, op.invoke_time + 0.8)
        y = rows[str(op.process)]
        boxes.append([(x0, y - 0.3), (x1, y - 0.3), (x1, y + 0.3), (x0, y + 0.3)])
        colors.append(_COLORS[kind])
    ax.add_collection(PolyCollection(boxes, facecolors=colors, edgecolors="none"))
    cut = set(result.isolated)
    servers = sorted({n for n in sim.system.ids if n.startswith("s")}, key=lambda s: int(s[1:]))
    labels = []
    for c in clients:
        server = servers[(int(c[1:]) - 1) % len(servers)]
        mark = " *" if result.partition is not None and server in cut else ""
        labels.append(f"{c}@{server}{mark}")
    ax.set_yticks(range(len(clients)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlim(0, end)
    ax.set_ylim(-0.6, len(clients) - 0.2)
    ax.locator_params(axis="x", nbins=4)
    ax.tick_params(labelsize=7)
    verdict = "linearizable" if result.linearizable else "NOT linearizable"
    ax.set_title(
        f"{result.config}: {result.answered}/{result.operations} answered, "
        f"{result.stale_reads} stale reads, {verdict}",
        fontsize=9,
        loc="left",
    )


def cap_figure(results: dict[str, CapResult]) -> Any:
    """Both runs as timelines (one row per client), and the measurements side by side.

    Green: a put answered; blue: a get answered with a legal value; orange: a
    stale get; red: an operation not answered before the client gave up. A
    client marked ``*`` is on the cut-off side with its server.

    >>> cap_figure(cap_scenario(seed=1))
    <Figure size 900x400 with 4 Axes>
    """
    from matplotlib.figure import Figure

    missing = [c for c in CONFIGURATIONS if c not in results]
    if missing:
        raise ValueError(f"cap_figure: results lack {missing}; pass cap_scenario(...)")
    fig = Figure(figsize=(9.0, 4.0), dpi=100)
    grid = fig.add_gridspec(2, 2, width_ratios=(2.6, 1.0), hspace=0.5, wspace=0.22)
    end = 10.0 + max(
        max(
            (op.complete_time for op in r.simulation.history.operations() if op.status == "ok"),
            default=0.0,
        )
        for r in results.values()
    )
    if any(r.partition is not None for r in results.values()):
        end = max(end, max(r.partition[1] for r in results.values() if r.partition) + 10.0)
    for row, name in enumerate(CONFIGURATIONS):
        _timeline(fig.add_subplot(grid[row, 0]), results[name], end)
    fig.axes[-1].set_xlabel("time", fontsize=8)

    ax = fig.add_subplot(grid[0, 1])
    names = list(CONFIGURATIONS)
    overall = [results[n].availability for n in names]
    during: list[float] = []
    for n in names:
        value = results[n].availability_during
        during.append(0.0 if value is None else value)
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], overall, width=0.4, color="#78909c", label="whole run")
    ax.bar([x + 0.2 for x in xs], during, width=0.4, color="#37474f", label="during partition")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylim(0, 1.15)
    ax.set_yticks([0, 0.5, 1])
    ax.set_title("availability", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    ax.tick_params(labelsize=7)

    ax = fig.add_subplot(grid[1, 1])
    p50 = [results[n].latency(50) for n in names]
    p99 = [results[n].latency(99) for n in names]
    ax.bar([x - 0.2 for x in xs], p50, width=0.4, color="#90caf9", label="p50")
    ax.bar([x + 0.2 for x in xs], p99, width=0.4, color="#1565c0", label="p99")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(names, fontsize=8)
    ax.set_title("latency of answered ops", fontsize=9)
    ax.locator_params(axis="y", nbins=3)
    ax.legend(fontsize=7, loc="upper right")
    ax.tick_params(labelsize=7)
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.12, top=0.92)
    return fig


class CapPlayground(Explorer):
    """Controls for ``cap_scenario``; the figure is redrawn on every change.

    ``controls`` maps each parameter to its widget (tests and readers can set
    values from code); ``results`` holds the last runs.

    Examples
    --------
    >>> playground = CapPlayground(seed=1)
    >>> playground.results["CP"].linearizable, playground.results["AP"].availability
    (True, 1.0)
    """

    def __init__(self, **initial: Any) -> None:
        params: dict[str, Any] = {
            "partition": True,
            "window": (40.0, 160.0),
            "isolated": "s1",
            "servers": 3,
            "latency": 2.0,
            "seed": 0,
        }
        params = parameters("CapPlayground", params, initial)
        options = [label for label, _ in isolation_options(params["servers"])]
        table: ControlTable = {
            "partition": ("Checkbox", {"description": "partition"}),
            "window": (
                "FloatRangeSlider",
                {"min": 0.0, "max": 300.0, "step": 5.0, "description": "from / heal"},
            ),
            "isolated": ("Dropdown", {"options": options, "description": "cut off"}),
            "servers": ("ToggleButtons", {"options": [3, 5], "description": "servers"}),
            "latency": (
                "FloatSlider",
                {"min": 0.5, "max": 10.0, "step": 0.5, "description": "latency"},
            ),
            "seed": ("IntSlider", {"min": 0, "max": 99, "description": "seed"}),
        }
        self.controls = controls(params, table, "80px")
        self.results: dict[str, CapResult] = {}
        self._busy = False
        self._start([("partition", "window", "isolated"), ("servers", "latency", "seed")])

    def update(self) -> None:
        """Run both configurations with the current values and redraw."""
        v = self.values()
        chosen = dict(isolation_options(v["servers"]))[v["isolated"]]
        window = (float(v["window"][0]), float(v["window"][1]))
        if window[1] <= window[0]:
            window = (window[0], window[0] + 5.0)
        self.results = cap_scenario(
            partition=window if v["partition"] else None,
            isolated=chosen,
            servers=v["servers"],
            latency=v["latency"],
            seed=v["seed"],
        )
        self._show(cap_figure(self.results), fast=True)

    def _changed(self, change: Any) -> None:
        if change["owner"] is self.controls["servers"]:
            # Other servers: other choices of whom to cut off, and one redraw for both changes.
            self._busy = True
            try:
                self.controls["isolated"].options = [
                    label for label, _ in isolation_options(change["new"])
                ]
                self.controls["isolated"].value = "s1"
            finally:
                self._busy = False
            self.update()
        elif not self._busy:
            self.update()
