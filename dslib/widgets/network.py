"""The network explorer of chapter 1: turn the network's knobs, watch requests.

``network_scenario`` is the pure part: a client sending requests (with a
timeout and retries) to a key-value server over a network with the chosen
latency, loss and duplication, and optionally a partition in the middle of the
run. ``network_figure`` draws what happened. ``NetworkExplorer`` puts sliders
in front of both.
"""

from __future__ import annotations

from typing import Any

from dslib.basics import KVServer, request_latencies
from dslib.core import System
from dslib.sim.clients import Client
from dslib.sim.nemesis import Heal, Nemesis, Partition
from dslib.sim.network import Latency, Network, constant, exponential, lognormal, uniform
from dslib.sim.simulator import Simulation
from dslib.viz.plots import latency_cdf
from dslib.viz.spacetime import space_time_diagram
from dslib.widgets.base import ControlTable, Explorer, controls, parameters

__all__ = ["DISTRIBUTIONS", "NetworkExplorer", "network_figure", "network_scenario"]

DISTRIBUTIONS = ("constant", "uniform", "exponential", "lognormal")


def _latency(distribution: str, mean: float) -> Latency:
    if distribution == "constant":
        return constant(mean)
    if distribution == "uniform":
        return uniform(0.0, 2 * mean)
    if distribution == "exponential":
        return exponential(mean)
    if distribution == "lognormal":
        # median m and sigma 1 give mean m * e^(1/2); choose m so the mean is `mean`.
        return lognormal(mean / 1.6487212707001282, 1.0)
    raise ValueError(f"distribution={distribution!r}; choose one of {', '.join(DISTRIBUTIONS)}")


def network_scenario(
    distribution: str = "exponential",
    mean: float = 5.0,
    loss: float = 0.0,
    duplication: float = 0.0,
    partition: bool = False,
    timeout: float = 30.0,
    retries: int = 2,
    requests: int = 12,
    seed: int = 0,
) -> Simulation:
    """Run one client against one server and return the finished simulation.

    Parameters
    ----------
    distribution : {"constant", "uniform", "exponential", "lognormal"}
        The shape of the latency distribution.
    mean : float
        Its mean (one way).
    loss, duplication : float
        Probabilities per message.
    partition : bool
        Cut the client off from the server from time 60 to time 160.
    timeout, retries : float, int
        The client's patience.
    requests : int
        How many operations the client performs, one after the other.
    seed : int
        The seed of the run.

    Examples
    --------
    >>> sim = network_scenario(loss=0.2, seed=1)
    >>> sorted({op.status for op in sim.history.operations()})
    ['info', 'ok']
    """
    network = Network(latency=_latency(distribution, mean), loss=loss, duplication=duplication)
    workload = [("write", i) if i % 2 == 0 else ("read", None) for i in range(requests)]
    system = System(
        {
            "client": Client(["server"], workload, timeout=timeout, retries=retries),
            "server": KVServer(),
        }
    )
    nemesis = (
        Nemesis([(60.0, Partition((("client",), ("server",)))), (160.0, Heal())])
        if partition
        else None
    )
    return Simulation(system, seed=seed, network=network, nemesis=nemesis).run()


def network_figure(sim: Simulation, title: str | None = None) -> Any:
    """Space-time diagram of a scenario over the CDF of its request latencies.

    >>> network_figure(network_scenario(seed=2))
    <Figure size 800x450 with 3 Axes>
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 4.5), dpi=100)
    grid = fig.add_gridspec(2, 2, height_ratios=(1.2, 1.0), width_ratios=(1.6, 1.0))
    top = fig.add_subplot(grid[0, :])
    space_time_diagram(sim.trace, nodes=["client", "server"], ax=top, labels=False)
    ops = sim.history.operations()
    counts = {s: sum(1 for o in ops if o.status == s) for s in ("ok", "fail", "info")}
    msgs = sim.trace.messages()
    lost = sum(1 for m in msgs if m["outcome"].startswith("dropped"))
    top.set_title(
        title
        or (
            f"{len(ops)} operations: {counts['ok']} ok, {counts['info']} unknown (info); "
            f"{len(msgs)} messages, {lost} dropped"
        ),
        fontsize=9,
    )
    bottom = fig.add_subplot(grid[1, 0])
    latencies = request_latencies(sim.trace)
    if latencies:
        latency_cdf({"request round trip": latencies}, ax=bottom, xlabel="time")
    else:
        bottom.text(0.5, 0.5, "no request was answered", ha="center", va="center")
        bottom.set_axis_off()
    right = fig.add_subplot(grid[1, 1])
    outcomes = {
        "ok": counts["ok"],
        "unknown": counts["info"],
        "delivered": sum(1 for m in msgs if m["outcome"] == "delivered"),
        "dropped": lost,
    }
    right.barh(
        list(outcomes), list(outcomes.values()), color=["#2e7d32", "#f9a825", "#1f5fa8", "#c62828"]
    )
    right.invert_yaxis()
    right.set_xlabel("count (operations, then messages)", fontsize=8)
    right.tick_params(labelsize=8)
    fig.tight_layout()
    return fig


_CONTROLS: ControlTable = {
    "distribution": ("Dropdown", {"options": DISTRIBUTIONS, "description": "latency"}),
    "mean": ("FloatSlider", {"min": 0.5, "max": 30, "step": 0.5, "description": "mean"}),
    "loss": ("FloatSlider", {"min": 0, "max": 0.9, "step": 0.05, "description": "loss"}),
    "duplication": (
        "FloatSlider",
        {"min": 0, "max": 0.9, "step": 0.05, "description": "duplication"},
    ),
    "partition": ("Checkbox", {"description": "partition 60-160"}),
    "timeout": ("FloatSlider", {"min": 2, "max": 100, "step": 1, "description": "timeout"}),
    "retries": ("IntSlider", {"min": 0, "max": 5, "description": "retries"}),
    "seed": ("IntSlider", {"min": 0, "max": 99, "description": "seed"}),
}


class NetworkExplorer(Explorer):
    """Sliders for ``network_scenario``; the figure is redrawn on every change.

    Display it as the last expression of a cell. ``controls`` maps each
    parameter name to its widget, so tests (and readers) can set values from code;
    ``simulation`` is the last run.
    """

    def __init__(self, **initial: Any) -> None:
        params = {
            "distribution": "exponential",
            "mean": 5.0,
            "loss": 0.0,
            "duplication": 0.0,
            "partition": False,
            "timeout": 30.0,
            "retries": 2,
            "seed": 0,
        }
        params = parameters("NetworkExplorer", params, initial)
        self.controls = controls(params, _CONTROLS, "90px")
        self.simulation: Simulation | None = None
        self._start(
            [
                ("distribution", "mean", "loss", "duplication"),
                ("partition", "timeout", "retries", "seed"),
            ]
        )

    def update(self) -> None:
        """Run the scenario with the current values and redraw."""
        self.simulation = network_scenario(**self.values())
        self._show(network_figure(self.simulation))
