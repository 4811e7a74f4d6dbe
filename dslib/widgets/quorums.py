"""The quorum explorer of chapter 12: choose N, R, W and the latency of each leg.

``quorum_scenario`` is the pure part (``dslib.replication.pbs``): the WARS Monte Carlo
(probability of reading the last committed write ``t`` after the commit, read
and write latencies), the exact k-staleness, availability with ``f`` replicas
down, and the z3 verdict on whether read and write quorums intersect.
``quorum_figure`` draws it; ``QuorumExplorer`` puts sliders in front of both.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import dslib.viz  # noqa: F401  (registers the PNG renderer of bare figures)
from dslib.replication.pbs import (
    LEGS,
    TVisibility,
    availability,
    availability_probability,
    intersection,
    k_staleness,
    t_visibility,
)
from dslib.sim.network import Latency, constant, exponential, lognormal, uniform
from dslib.widgets.base import ControlTable, Explorer, controls, parameters

__all__ = [
    "DISTRIBUTIONS",
    "QuorumExplorer",
    "QuorumScenario",
    "leg_latency",
    "quorum_figure",
    "quorum_scenario",
    "verdict_html",
]

DISTRIBUTIONS = ("exponential", "lognormal", "uniform", "constant")
"""The latency laws a leg can follow (each given by its mean)."""


def leg_latency(distribution: str, mean: float) -> Latency:
    """A latency law with the given ``mean`` (ms).

    >>> leg_latency("uniform", 4.0)
    uniform(0.0, 8.0)
    >>> leg_latency("gamma", 1.0)
    Traceback (most recent call last):
    ...
    ValueError: distribution='gamma'; choose one of exponential, lognormal, uniform, constant
    """
    if not (isinstance(mean, (int, float)) and mean > 0):
        raise ValueError(f"leg_latency: mean={mean!r} must be a number > 0")
    if distribution == "exponential":
        return exponential(float(mean))
    if distribution == "lognormal":
        return lognormal(mean / 1.6487212707001282, 1.0)  # sigma 1: mean = median * e^0.5
    if distribution == "uniform":
        return uniform(0.0, 2.0 * mean)
    if distribution == "constant":
        return constant(float(mean))
    raise ValueError(f"distribution={distribution!r}; choose one of {', '.join(DISTRIBUTIONS)}")


@functools.lru_cache(maxsize=256)
def _intersection_text(n: int, r: int, w: int) -> tuple[bool, str]:
    result = intersection(n, r, w)
    return result.holds, repr(result)


@dataclass(frozen=True)
class QuorumScenario:
    """Everything the explorer shows for one choice of N, R, W, legs and f.

    Attributes
    ----------
    n, r, w, f : int
    legs : dict of str to Latency
    visibility : TVisibility
    intersects : bool
        ``r + w > n``, proved (or refuted with a witness) by z3.
    proof : str
        What z3 said.
    staleness : tuple of Fraction
        ``k_staleness(n, r, w, k)`` for ``k = 1 .. 5``.
    available : dict of str to bool
        Reads and writes, with ``f`` replicas down.
    p_down : Fraction
        The per-replica probability of being down used for ``availability_probability``.

    Examples
    --------
    >>> s = quorum_scenario(n=5, r=2, w=2, trials=200)
    >>> s.staleness[0]
    Fraction(7, 10)
    """

    n: int
    r: int
    w: int
    f: int
    legs: dict[str, Latency]
    visibility: TVisibility
    intersects: bool
    proof: str
    staleness: tuple[Fraction, ...]
    available: dict[str, bool]
    p_down: Fraction

    def summary(self) -> str:
        """A few lines of text: intersection, staleness, latency, availability."""
        tv = self.visibility
        lines = [
            f"N={self.n}, R={self.r}, W={self.w}: "
            + ("quorums intersect (R + W > N)" if self.intersects else "partial quorums"),
            f"P(read sees the last write) at t=0: {tv.probability(0.0):.3f}"
            + (f"; 99.9% after t={tv.t_for(0.999):.1f} ms" if not self.intersects else ""),
            f"k-staleness (k=1): {float(self.staleness[0]):.3f}",
            f"latency p50/p99: read {tv.latency('read', 50):.1f}/{tv.latency('read', 99):.1f} ms, "
            f"write {tv.latency('write', 50):.1f}/{tv.latency('write', 99):.1f} ms",
            f"with f={self.f} down: reads {'OK' if self.available['read'] else 'BLOCKED'}, "
            f"writes {'OK' if self.available['write'] else 'BLOCKED'}",
        ]
        return "\n".join(lines)


def quorum_scenario(
    n: int = 3,
    r: int = 1,
    w: int = 1,
    f: int = 0,
    distribution: str = "exponential",
    write: float = 8.0,
    ack: float = 2.0,
    read: float = 2.0,
    response: float = 2.0,
    trials: int = 2000,
    seed: int = 0,
    p_down: Fraction = Fraction(1, 100),
) -> QuorumScenario:
    """Compute what the quorum explorer shows.

    Parameters
    ----------
    n, r, w : int
        Replicas, read quorum, write quorum.
    f : int, default 0
        Replicas down, for the availability verdict.
    distribution : str, default "exponential"
        The law of every leg (see ``DISTRIBUTIONS``).
    write, ack, read, response : float
        Mean latency of each leg (ms).
    trials : int, default 2000
    seed : int, default 0
    p_down : Fraction, default 1/100
        Per-replica probability of being down, for the availability figures.

    Examples
    --------
    >>> s = quorum_scenario(n=3, r=1, w=1)
    >>> print(s.summary())
    N=3, R=1, W=1: partial quorums
    P(read sees the last write) at t=0: 0.527; 99.9% after t=52.7 ms
    k-staleness (k=1): 0.333
    latency p50/p99: read 1.7/5.5 ms, write 3.7/14.0 ms
    with f=0 down: reads OK, writes OK
    """
    if not (isinstance(f, int) and 0 <= f <= n):
        raise ValueError(f"quorum_scenario: f={f!r} must be an int between 0 and n={n}")
    legs = {
        name: leg_latency(distribution, mean)
        for name, mean in zip(LEGS, (write, ack, read, response), strict=True)
    }
    tv = t_visibility(n, r, w, legs, trials=trials, seed=seed)
    holds, proof = _intersection_text(n, r, w)
    return QuorumScenario(
        n,
        r,
        w,
        f,
        legs,
        tv,
        holds,
        proof,
        tuple(k_staleness(n, r, w, k) for k in range(1, 6)),
        availability(n, r, w, f),
        p_down,
    )


def quorum_figure(scenario: QuorumScenario, horizon: float | None = None) -> Any:
    """Three panels: P(consistent read) over t, k-staleness, latency CDFs; verdicts in the title.

    >>> quorum_figure(quorum_scenario(n=5, r=2, w=2))
    <Figure size 900x320 with 3 Axes>
    """
    from matplotlib.figure import Figure

    s = scenario
    tv = s.visibility
    fig = Figure(figsize=(9.0, 3.2), dpi=100)
    axes = fig.subplots(1, 3, gridspec_kw={"wspace": 0.42})
    ax = axes[0]
    top = horizon if horizon is not None else max(10.0, 1.2 * tv.t_for(0.999))
    times = [top * i / 100 for i in range(101)]
    ax.plot(times, tv.curve(times), color="#1f5fa8")
    ax.axhline(1.0, color="#999999", lw=0.8, ls=":")
    ax.set_ylim(min(0.0, tv.probability(0.0) - 0.05), 1.03)
    ax.set_xlabel("t: ms after the write committed", fontsize=8)
    ax.set_ylabel("probability", fontsize=8)
    ax.set_title("P(read returns the last write)", fontsize=9)
    ax.set_xticks([0, round(top / 2, 1), round(top, 1)])
    ax.set_yticks([0, 0.5, 1])
    ax.tick_params(labelsize=7)

    ax = axes[1]
    ks = list(range(1, len(s.staleness) + 1))
    ax.bar(ks, [float(p) for p in s.staleness], color="#2e7d32")
    for k, p in zip(ks, s.staleness, strict=True):
        ax.text(k, float(p) + 0.02, f"{float(p):.2f}", ha="center", fontsize=7)
    ax.set_ylim(0, 1.15)
    ax.set_xticks(ks)
    ax.set_yticks([0, 0.5, 1])
    ax.set_xlabel("k (versions, newest = 1)", fontsize=8)
    ax.set_ylabel("probability", fontsize=8)
    ax.set_title("P(one of the last k versions)", fontsize=9)
    ax.tick_params(labelsize=7)

    ax = axes[2]
    for label, values, color in (
        ("read", tv.read_latencies, "#1f5fa8"),
        ("write", tv.write_latencies, "#c62828"),
    ):
        xs = sorted(values)[:: max(1, len(values) // 200)]
        ax.step(xs, [(i + 1) / len(xs) for i in range(len(xs))], where="post", color=color)
        p50, p99 = tv.latency(label, 50), tv.latency(label, 99)
        ax.plot([], [], color=color, label=f"{label}: p50 {p50:.1f}, p99 {p99:.1f}")
    ax.set_xlabel("latency (ms)", fontsize=8)
    ax.set_ylabel("fraction of operations", fontsize=8)
    ax.set_title("operation latency (CDF)", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    ax.locator_params(axis="x", nbins=3)
    ax.set_yticks([0, 0.5, 1])
    ax.tick_params(labelsize=7)

    verdict = "quorums intersect (z3 proof)" if s.intersects else "quorums do NOT intersect (z3)"
    down = (
        f"{s.f} of {s.n} down: reads {'ok' if s.available['read'] else 'BLOCKED'}, "
        f"writes {'ok' if s.available['write'] else 'BLOCKED'}"
    )
    fig.suptitle(f"N={s.n}, R={s.r}, W={s.w}: {verdict}; {down}", fontsize=10)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.17, top=0.80)
    return fig


def verdict_html(scenario: QuorumScenario) -> str:
    """The explorer's text panel: the z3 verdict and the availability figures, as HTML.

    >>> "do not intersect" in verdict_html(quorum_scenario(n=3, r=1, w=1))
    True
    """
    import html

    s = scenario
    read_p = availability_probability(s.n, s.r, s.p_down)
    write_p = availability_probability(s.n, s.w, s.p_down)
    proof = html.escape(s.proof)
    head = "quorums intersect" if s.intersects else "quorums do not intersect"
    return (
        f"<b>z3: {head}</b><br><code>{proof}</code><br>"
        f"{html.escape(s.summary()).replace(chr(10), '<br>')}<br>"
        f"each replica down with probability {float(s.p_down):g}: "
        f"P(read quorum up) = {float(read_p):.6f}, P(write quorum up) = {float(write_p):.6f}"
    )


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


_CONTROLS: ControlTable = {
    **{
        name: ("IntSlider", {"min": 0 if name == "f" else 1, "max": 9, "description": name.upper()})
        for name in ("n", "r", "w", "f")
    },
    "distribution": ("Dropdown", {"options": DISTRIBUTIONS, "description": "legs"}),
    **{
        name: ("FloatSlider", {"min": 0.5, "max": 40.0, "step": 0.5, "description": f"{name} ms"})
        for name in ("write", "ack", "read", "response")
    },
    "seed": ("IntSlider", {"min": 0, "max": 99, "description": "seed"}),
}


class QuorumExplorer(Explorer):
    """Sliders for ``quorum_scenario``; the figure is redrawn on every change.

    ``controls`` maps each parameter to its widget (tests and readers can set
    values from code); ``scenario`` is the last one computed. R and W are
    kept within 1..N when N changes.

    Examples
    --------
    >>> explorer = QuorumExplorer(n=5, r=3, w=3)
    >>> explorer.scenario.intersects
    True
    """

    def __init__(self, **initial: Any) -> None:
        import ipywidgets as widgets

        params: dict[str, Any] = {
            "n": 3,
            "r": 1,
            "w": 1,
            "f": 0,
            "distribution": "exponential",
            "write": 8.0,
            "ack": 2.0,
            "read": 2.0,
            "response": 2.0,
            "seed": 0,
        }
        params = parameters("QuorumExplorer", params, initial)
        self.controls = controls(params, _CONTROLS, "70px")
        self.text = widgets.HTML()
        self.scenario: QuorumScenario | None = None
        self._busy = False
        self._start(
            [("n", "r", "w", "f", "seed"), ("distribution", "write", "ack", "read", "response")],
            below=[self.text],
        )

    def _clamp(self) -> None:
        n = self.controls["n"].value
        self._busy = True
        try:
            for name in ("r", "w"):
                if self.controls[name].value > n:
                    self.controls[name].value = n
            if self.controls["f"].value > n:
                self.controls["f"].value = n
        finally:
            self._busy = False

    def update(self) -> None:
        """Recompute the scenario with the current values and redraw."""
        self._clamp()
        self.scenario = quorum_scenario(**self.values())
        self._show(quorum_figure(self.scenario), fast=True)
        self.text.value = verdict_html(self.scenario)

    def _changed(self, change: Any) -> None:
        if not self._busy:
            self.update()
