"""The failure-detector explorer of chapter 4: a fixed timeout against phi, heartbeat by heartbeat.

``detector_scenario`` is the pure part: one node sends heartbeats every ``period`` to a
monitor over a network whose one-way delay is 1 plus an exponential *jitter*, losing a
fraction ``loss`` of them, and (with ``crash=True``) crashes at the instant
``dslib.failure.detection_experiment`` would choose for the same seed. The monitor is run
twice on that same stream of heartbeats, once with a ``FixedTimeout`` and once with a
``PhiAccrual`` detector, and each run's suspicions are taken from the monitor's own log; the
silence since the last heartbeat and phi are replayed at every check the monitor made, so
the curves drawn are the values the detectors judged. ``detector_figure`` draws a run:
the heartbeats' trips, the silence against the timeout and phi against its threshold, each
suspicion shaded (a mistake while the node was alive in amber, the suspicion after the
crash in red). ``DetectorExplorer`` puts sliders in front of both.

Examples
--------
>>> run = detector_scenario(jitter=0.5, loss=0.1, timeout=2.0, threshold=8.0, seed=0)
>>> run.summary()
'timeout 2: 6 mistakes, detected 2.63 after the crash; phi > 8: 0 mistakes, detected 5.03 after the crash'
>>> from dslib.failure import detection_experiment
>>> same = detection_experiment(FixedTimeout(2.0), jitter=0.5, loss=0.1, duration=60.0, seed=0)
>>> same["mistakes"] == run.fixed.mistakes, same["detection time"] == run.fixed.detection_time
(True, True)
"""  # noqa: E501

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dslib.failure import (
    ArrivalWindow,
    FixedTimeout,
    Heartbeat,
    PhiAccrual,
    crash_time,
    heartbeat_run,
)
from dslib.sim.simulator import Simulation
from dslib.widgets.base import ControlTable, Explorer, controls, parameters

__all__ = [
    "DetectorExplorer",
    "DetectorOutcome",
    "DetectorRun",
    "detector_figure",
    "detector_scenario",
]

MISTAKE_COLOUR = "#f9a825"
"""A suspicion of the node while it was alive."""
DETECTION_COLOUR = "#c62828"
"""A suspicion after the crash (a right one)."""
HEARTBEAT_COLOUR = "#1f5fa8"
"""A heartbeat's trip, from sending to arrival."""
LOST_COLOUR = "#c62828"
"""A lost heartbeat's trip, ending in a cross halfway to where it would have arrived."""

_Detector = FixedTimeout | PhiAccrual


@dataclass(frozen=True)
class DetectorOutcome:
    """What one detector made of the heartbeats.

    Attributes
    ----------
    detector : str
        ``"timeout 3"`` or ``"phi > 8"``.
    threshold : float
        The timeout, or phi's threshold: the line ``levels`` must cross.
    levels : tuple of float
        At each of the run's ``checks``: the silence since the last heartbeat (timeout),
        or phi (0 until two heartbeats have arrived; ``inf`` far in the tail).
    suspicions : tuple of (float, float)
        Each time the monitor suspected the node, from then until it trusted it again
        (or the end of the run), from the monitor's log.
    mistakes : int
        Suspicions that began while the node was alive (before the crash, or anywhere
        without a crash).
    wrongly_suspected : float
        The fraction of the time the node was alive that it was suspected.
    detection_time : float
        From the crash to the suspicion the run ended in; 0 if that began before the
        crash; ``nan`` without a crash, or if the crash was not detected.
    """

    detector: str
    threshold: float
    levels: tuple[float, ...]
    suspicions: tuple[tuple[float, float], ...]
    mistakes: int
    wrongly_suspected: float
    detection_time: float

    @property
    def detected(self) -> bool:
        """Whether the run ended with the (crashed) node suspected."""
        return not math.isnan(self.detection_time)

    def reading(self, crashed: bool) -> str:
        """One line: the mistakes and, after a crash, the detection time."""
        said = f"{self.detector}: {self.mistakes} mistake{'s' if self.mistakes != 1 else ''}"
        if not crashed:
            return said
        if not self.detected:
            return f"{said}, crash not detected by the end"
        return f"{said}, detected {self.detection_time:.2f} after the crash"


@dataclass(frozen=True)
class DetectorRun:
    """One heartbeat stream and what a fixed timeout and phi made of it.

    Attributes
    ----------
    settings : dict
        The arguments of ``detector_scenario``.
    crash_at : float or None
        When the node crashed (``None``: it did not).
    trips : tuple of (float, float, bool)
        Each heartbeat: when it was sent, when it arrived (or would have, if lost), and
        whether the network lost it; those still in flight at the end are left out.
    checks : tuple of float
        When the monitor evaluated its detector (every twentieth of a period).
    fixed, phi : DetectorOutcome
    sent : int
        How many heartbeats the node sent, those still in flight at the end included.
    """

    settings: dict[str, Any]
    crash_at: float | None
    trips: tuple[tuple[float, float, bool], ...]
    checks: tuple[float, ...]
    fixed: DetectorOutcome
    phi: DetectorOutcome
    sent: int = 0

    @property
    def duration(self) -> float:
        """How long the run lasted."""
        return float(self.settings["duration"])

    @property
    def arrivals(self) -> tuple[float, ...]:
        """When each heartbeat that was not lost arrived."""
        return tuple(arrived for _sent, arrived, lost in self.trips if not lost)

    @property
    def lost(self) -> int:
        """How many heartbeats the network lost."""
        return sum(1 for _s, _a, lost in self.trips if lost)

    @property
    def load(self) -> float:
        """Heartbeats sent per time unit: what detection costs the network.

        >>> run = detector_scenario(period=0.5, crash=False)  # at 0, 0.5, ..., 60
        >>> run.sent, round(run.load, 2)
        (121, 2.02)
        """
        return self.sent / self.duration

    def table(self) -> Any:
        """The two detectors side by side: mistakes, time wrongly suspected, detection time.

        >>> print(detector_scenario(seed=1).table().to_string())  # doctest: +NORMALIZE_WHITESPACE
                   mistakes  wrongly suspected  detection time
        detector
        timeout 2         2              0.014            3.40
        phi > 8           0              0.000            5.35
        """
        import pandas as pd

        rows = [
            {
                "detector": o.detector,
                "mistakes": o.mistakes,
                "wrongly suspected": round(o.wrongly_suspected, 4),
                "detection time": round(o.detection_time, 2),
            }
            for o in (self.fixed, self.phi)
        ]
        return pd.DataFrame(rows).set_index("detector")

    def summary(self) -> str:
        """Both detectors in one line (see ``DetectorOutcome.reading``)."""
        crashed = self.crash_at is not None
        return f"{self.fixed.reading(crashed)}; {self.phi.reading(crashed)}"


def _number(name: str, value: Any, low: float, high: float | None = None) -> float:
    """``value`` as a float, if it is a number in ``[low, high)`` (``high=None``: no top)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"detector_scenario: {name} must be a number; got {value!r}")
    if not math.isfinite(value) or value < low or (high is not None and value >= high):
        allowed = f"[{low:g}, {high:g})" if high is not None else f">= {low:g}"
        raise ValueError(f"detector_scenario: {name}={value!r}; allowed: {allowed}")
    return float(value)


def _trips(sim: Simulation) -> tuple[tuple[float, float, bool], ...]:
    """(sent, arrived or would have, lost) for each heartbeat whose fate the trace records."""
    sent: dict[int, float] = {}
    fates: dict[int, tuple[float, bool]] = {}
    for time, kind, _node, _peer, data, ref, _detail in sim.trace.entries:
        if not isinstance(data, Heartbeat):
            continue
        if kind == "send":
            sent[ref] = time
        elif kind == "deliver":
            fates[ref] = (time, False)
        elif kind == "drop":
            fates[ref] = (time, True)
    return tuple((sent[i], *fates[i]) for i in sorted(fates))


def _levels(sim: Simulation, detector: _Detector) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The check times and the detector's level at each, replayed from the trace in order."""
    size = detector.window if isinstance(detector, PhiAccrual) else 1
    window = ArrivalWindow()
    checks: list[float] = []
    levels: list[float] = []
    for time, kind, node, _peer, data, _ref, _detail in sim.trace.entries:
        if node != "monitor":
            continue
        if kind == "deliver" and isinstance(data, Heartbeat):
            window = window.add(time, size)
        elif kind == "timer" and data == "check":
            checks.append(time)
            levels.append(detector.level(window, time))
    return tuple(checks), tuple(levels)


def _outcome(
    detector: _Detector,
    sim: Simulation,
    levels: tuple[float, ...],
    crash_at: float | None,
    duration: float,
) -> DetectorOutcome:
    """Mistakes, time wrongly suspected and detection time, counted as
    ``detection_experiment`` counts them, from the monitor's log."""
    log = sim.states["monitor"].log
    end = crash_at if crash_at is not None else duration
    suspicions: list[tuple[float, float]] = []
    for t, _node, what in log:
        if what == "suspect":
            suspicions.append((t, math.nan))
        elif suspicions:
            suspicions[-1] = (suspicions[-1][0], t)
    spans = tuple((s, e if not math.isnan(e) else duration) for s, e in suspicions)
    mistakes = sum(1 for s, _e in spans if s < end)
    wrong = sum(max(0.0, min(e, end) - s) for s, e in spans if s < end)
    detection = math.nan
    if crash_at is not None and log and log[-1][2] == "suspect":
        detection = max(0.0, log[-1][0] - crash_at)
    return DetectorOutcome(
        detector=str(detector),
        threshold=detector.timeout if isinstance(detector, FixedTimeout) else detector.threshold,
        levels=levels,
        suspicions=spans,
        mistakes=mistakes,
        wrongly_suspected=wrong / end if end > 0 else 0.0,
        detection_time=detection,
    )


def detector_scenario(
    jitter: float = 0.5,
    loss: float = 0.1,
    period: float = 1.0,
    timeout: float = 2.0,
    threshold: float = 8.0,
    crash: bool = True,
    seed: int = 0,
    duration: float = 60.0,
    *,
    delay: float = 1.0,
    window: int = 100,
    min_std: float = 0.1,
) -> DetectorRun:
    """One heartbeat stream, judged by ``FixedTimeout(timeout)`` and
    ``PhiAccrual(threshold, window, min_std)``.

    The setting of ``dslib.failure.detection_experiment``: heartbeats every ``period``
    from time 0, a one-way delay of ``delay`` plus an exponential with mean ``jitter``, a
    fraction ``loss`` lost, a check every twentieth of a period; with ``crash``, the node
    crashes at 80 % of ``duration`` plus a random fraction of a period drawn from ``seed``,
    the same instant ``detection_experiment`` chooses. Each detector's mistakes and
    detection time are what ``detection_experiment`` reports for it with the same
    arguments. All times are in the simulator's time units.

    Parameters
    ----------
    jitter : float, default 0.5
        The mean of the exponential part of the delay (>= 0; 0: every delay is 1).
    loss : float, default 0.1
        The probability that a heartbeat is lost, in [0, 1).
    period : float, default 1
        Time between heartbeats (> 0).
    timeout : float, default 2
        The fixed timeout: suspect after a longer silence (> 0).
    threshold : float, default 8
        Suspect when phi exceeds it (> 0).
    crash : bool, default True
        Whether the node crashes.
    seed : int, default 0
        The seed of the delays, the losses and the crash instant.
    duration : float, default 60
        How long to run, at least 5 periods.
    delay : float, default 1
        The smallest one-way delay (>= 0), keyword only.
    window : int, default 100
        How many inter-arrival times phi keeps (>= 1), keyword only.
    min_std : float, default 0.1
        The floor of phi's standard deviation (> 0), keyword only: the smaller, the sooner
        phi suspects a steady stream that falls silent.

    Returns
    -------
    DetectorRun

    Raises
    ------
    TypeError
        For a value of the wrong type.
    ValueError
        For a value out of its range.

    Examples
    --------
    >>> run = detector_scenario(jitter=0.0, loss=0.0, timeout=1.5, threshold=3.0)
    >>> run.lost, run.fixed.mistakes, run.phi.mistakes
    (0, 0, 0)
    >>> detector_scenario(loss=1.0)
    Traceback (most recent call last):
    ...
    ValueError: detector_scenario: loss=1.0; allowed: [0, 1)

    phi with a short memory, on a network twice as far away:

    >>> far = detector_scenario(delay=2.0, window=10, min_std=0.2, seed=1)
    >>> far.settings["window"], far.phi.detector
    (10, 'phi > 8')
    """
    settings = {
        "jitter": _number("jitter", jitter, 0.0),
        "loss": _number("loss", loss, 0.0, 1.0),
        "period": _number("period", period, 0.0),
        "timeout": _number("timeout", timeout, 0.0),
        "threshold": _number("threshold", threshold, 0.0),
        "crash": crash,
        "seed": seed,
        "duration": _number("duration", duration, 0.0),
        "delay": _number("delay", delay, 0.0),
        "window": window,
        "min_std": _number("min_std", min_std, 0.0),
    }
    if isinstance(window, bool) or not isinstance(window, int):
        raise TypeError(f"detector_scenario: window must be an int; got {window!r}")
    if window < 1:
        raise ValueError(f"detector_scenario: window={window!r}; allowed: >= 1")
    for name in ("period", "timeout", "threshold", "min_std"):
        if settings[name] <= 0:
            raise ValueError(f"detector_scenario: {name}={settings[name]!r}; allowed: > 0")
    if not isinstance(crash, bool):
        raise TypeError(f"detector_scenario: crash must be True or False; got {crash!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"detector_scenario: seed must be an int; got {seed!r}")
    if settings["duration"] < 5 * settings["period"]:
        raise ValueError(
            f"detector_scenario: duration={duration!r} is shorter than 5 periods "
            f"({5 * settings['period']:g}); a detector needs a few heartbeats to judge"
        )
    crash_at = crash_time(settings["duration"], settings["period"], seed) if crash else None
    fixed = FixedTimeout(settings["timeout"])
    phi = PhiAccrual(threshold=settings["threshold"], window=window, min_std=settings["min_std"])
    outcomes = []
    checks: tuple[float, ...] = ()
    trips: tuple[tuple[float, float, bool], ...] = ()
    sent = 0
    for detector in (fixed, phi):
        sim = heartbeat_run(
            detector,
            settings["jitter"],
            settings["loss"],
            settings["period"],
            settings["delay"],
            settings["duration"],
            crash_at,
            int(settings["seed"]),
        )
        checks, levels = _levels(sim, detector)
        trips = _trips(sim)  # the same heartbeats in both runs: no detector sends anything
        outcomes.append(_outcome(detector, sim, levels, crash_at, settings["duration"]))
        sent = sum(1 for e in sim.trace.entries if e[1] == "send" and isinstance(e[4], Heartbeat))
    return DetectorRun(settings, crash_at, trips, checks, outcomes[0], outcomes[1], sent)


def _shade(ax: Any, outcome: DetectorOutcome, crash_at: float | None) -> None:
    """Shade each suspicion: amber while the node was alive, red after the crash."""
    for start, end in outcome.suspicions:
        alive_until = end if crash_at is None else min(end, crash_at)
        if start < alive_until:
            ax.axvspan(start, alive_until, color=MISTAKE_COLOUR, alpha=0.45, linewidth=0)
        if crash_at is not None and end > crash_at:
            ax.axvspan(max(start, crash_at), end, color=DETECTION_COLOUR, alpha=0.25, linewidth=0)


def _panel_title(outcome: DetectorOutcome, crash_at: float | None, what: str) -> str:
    """``what``, then the detector's mistakes (and the time they cost) and detection time."""
    reading = outcome.reading(crash_at is not None).split(": ", 1)[1]
    wrong = f" (suspected {outcome.wrongly_suspected:.1%} of the time alive)"
    return f"{what}: {reading}" + (wrong if outcome.mistakes else "")


def detector_figure(run: DetectorRun, title: str | None = None) -> Any:
    """The heartbeats' trips, the silence against the timeout, phi against its threshold.

    Parameters
    ----------
    run : DetectorRun
        From ``detector_scenario``.
    title : str, optional
        Above the heartbeats; by default the network's settings and the heartbeats lost.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels over one time axis. Suspicions are shaded: amber while the node was
        alive (a mistake), red after the crash. phi is drawn up to twice its threshold
        (at least 4); a higher or infinite phi is drawn at that cap.

    Examples
    --------
    >>> detector_figure(detector_scenario(seed=2))
    <Figure size 800x560 with 3 Axes>
    """
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    s = run.settings
    crash_at = run.crash_at
    fig = Figure(figsize=(8.0, 5.6), dpi=100)
    grid = fig.add_gridspec(3, 1, height_ratios=(0.8, 1.2, 1.2))
    trips = fig.add_subplot(grid[0])
    silence = fig.add_subplot(grid[1], sharex=trips)
    phi = fig.add_subplot(grid[2], sharex=trips)

    arrived = [[(sent, 1.0), (at, 0.0)] for sent, at, lost in run.trips if not lost]
    lost = [[(sent, 1.0), ((sent + at) / 2, 0.5)] for sent, at, lost in run.trips if lost]
    trips.add_collection(LineCollection(arrived, colors=HEARTBEAT_COLOUR, linewidths=0.8))
    trips.add_collection(LineCollection(lost, colors=LOST_COLOUR, linewidths=0.8))
    trips.plot([end[0] for _start, end in lost], [0.5] * len(lost), "x", color=LOST_COLOUR)
    trips.set_yticks([0, 1], ["arrived", "sent"])
    trips.set_ylim(-0.25, 1.25)
    trips.set_ylabel("heartbeat", fontsize=8)
    trips.set_title(
        title
        or (
            f"heartbeats every {s['period']:g}: delay {s.get('delay', 1.0):g} + jitter "
            f"(mean {s['jitter']:g}), "
            f"loss {s['loss']:g}; {len(run.trips)} sent, {run.lost} lost (red x)"
            + ("" if crash_at is not None else "; no crash")
        ),
        fontsize=9,
    )

    checks = run.checks
    silence.plot(checks, run.fixed.levels, color="#333333", linewidth=0.9)
    silence.axhline(run.fixed.threshold, color="#1b5e20", linestyle="--", linewidth=1.0)
    silence.set_ylabel("silence (time units)", fontsize=8)
    what = f"silence against timeout {run.fixed.threshold:g}"
    silence.set_title(_panel_title(run.fixed, crash_at, what), fontsize=9)
    _shade(silence, run.fixed, crash_at)

    cap = max(2 * run.phi.threshold, 4.0)
    shown = [min(v, cap) for v in run.phi.levels]
    phi.plot(checks, shown, color="#333333", linewidth=0.9)
    phi.axhline(run.phi.threshold, color="#1b5e20", linestyle="--", linewidth=1.0)
    phi.set_ylim(0, cap * 1.05)
    phi.set_ylabel(f"phi (no unit; cut at {cap:g})", fontsize=8)
    what = f"phi against threshold {run.phi.threshold:g}"
    phi.set_title(_panel_title(run.phi, crash_at, what), fontsize=9)
    phi.set_xlabel(
        f"time (time units; a heartbeat every {s['period']:g}, the shortest delay "
        f"{s.get('delay', 1.0):g})",
        fontsize=8,
    )
    _shade(phi, run.phi, crash_at)

    for ax in (trips, silence, phi):
        if crash_at is not None:
            ax.axvline(crash_at, color="black", linewidth=1.2)
        ax.tick_params(labelsize=8)
        ax.set_xlim(0, run.duration)
    for ax in (trips, silence):
        ax.tick_params(labelbottom=False)
    handles = [
        Line2D([], [], color="#1b5e20", linestyle="--", label="timeout / threshold"),
        Patch(color=MISTAKE_COLOUR, alpha=0.45, label="suspected, alive (mistake)"),
    ]
    if crash_at is not None:
        handles += [
            Patch(color=DETECTION_COLOUR, alpha=0.25, label="suspected after the crash"),
            Line2D([], [], color="black", label="crash"),
        ]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


_CONTROLS: ControlTable = {
    "jitter": (
        "FloatSlider",
        {"min": 0, "max": 1.0, "step": 0.05, "description": "jitter", "continuous_update": False},
    ),
    "loss": (
        "FloatSlider",
        {"min": 0, "max": 0.5, "step": 0.05, "description": "loss", "continuous_update": False},
    ),
    "period": (
        "FloatSlider",
        {"min": 0.5, "max": 2.0, "step": 0.25, "description": "period", "continuous_update": False},
    ),
    "timeout": (
        "FloatSlider",
        {"min": 0.5, "max": 8, "step": 0.25, "description": "timeout", "continuous_update": False},
    ),
    "threshold": (
        "FloatSlider",
        {"min": 0.5, "max": 16, "step": 0.5, "description": "phi >", "continuous_update": False},
    ),
    "crash": ("Checkbox", {"description": "the node crashes"}),
    "seed": ("IntSlider", {"min": 0, "max": 99, "description": "seed", "continuous_update": False}),
}


class DetectorExplorer(Explorer):
    """Knobs for the network, the heartbeat period, the timeout, phi's threshold and a crash.

    Every change runs ``detector_scenario`` again (a few hundredths of a second) and
    redraws ``detector_figure``, with the two detectors' numbers in a table below.
    ``controls`` maps each parameter to its widget; ``run`` is the last run.

    Parameters
    ----------
    jitter, loss, period, timeout, threshold, crash, seed
        The starting values (``detector_scenario``'s defaults otherwise).

    Raises
    ------
    TypeError
        For a parameter the explorer does not have, or a value of the wrong type.
    ValueError
        For a value out of ``detector_scenario``'s range, or of its slider's.

    Examples
    --------
    >>> DetectorExplorer(timeout=3.0, seed=3)
    DetectorExplorer(jitter=0.5, loss=0.1, period=1.0, timeout=3.0, threshold=8.0, crash=True, seed=3: timeout 3: 0 mistakes, detected 4.82 after the crash; phi > 8: 1 mistake, detected 6.17 after the crash)
    """  # noqa: E501

    def __init__(self, **initial: Any) -> None:
        import ipywidgets as widgets

        params = parameters(
            "DetectorExplorer",
            {
                "jitter": 0.5,
                "loss": 0.1,
                "period": 1.0,
                "timeout": 2.0,
                "threshold": 8.0,
                "crash": True,
                "seed": 0,
            },
            initial,
        )
        self.run: DetectorRun = detector_scenario(**params)  # refuses bad values before drawing
        for name, (_kind, options) in _CONTROLS.items():
            low, high = options.get("min"), options.get("max")
            if low is not None and not low <= params[name] <= high:
                raise ValueError(
                    f"DetectorExplorer: {name}={params[name]!r} is outside its slider's range "
                    f"[{low:g}, {high:g}]; detector_scenario takes any value"
                )
        self.controls = controls(params, _CONTROLS, "70px")
        self.text = widgets.HTML()
        self._start(
            [("jitter", "loss", "period", "crash"), ("timeout", "threshold", "seed")],
            below=[self.text],
        )

    def update(self) -> None:
        """Run the scenario with the current values; redraw the figure and the table."""
        self.run = detector_scenario(**self.values())
        self._show(detector_figure(self.run), fast=True)
        self.text.value = self.run.table().to_html(na_rep="none", float_format="{:g}".format)

    def __repr__(self) -> str:
        v = self.values()
        knobs = ", ".join(
            f"{k}={round(float(v[k]), 2)}" for k in ("jitter", "loss", "period", "timeout")
        )
        return (
            f"DetectorExplorer({knobs}, threshold={round(float(v['threshold']), 2)}, "
            f"crash={v['crash']}, seed={v['seed']}: {self.run.summary()})"
        )
