"""Failure detection: heartbeats with a fixed timeout, the phi accrual detector, SWIM.

A process cannot see that another has crashed; it can only notice that
messages stop arriving. A **failure detector** turns that silence into a
suspicion, and every detector trades two things against each other (Chen,
Toueg and Aguilera 2002): how fast a crash is suspected (the *detection
time*) and how often a live process is wrongly suspected (the *mistake
rate*), given how much the network's delays vary and how many messages it loses.

- ``HeartbeatSender`` and ``Monitor``: a node sends ``Heartbeat`` messages
  every ``period``; the monitor suspects it with a ``FixedTimeout`` (silence
  longer than a constant) or a ``PhiAccrual`` detector (Hayashibara et al.
  2004), which learns the distribution of inter-arrival times and suspects
  when the current silence becomes improbable: ``phi = -log10(P(a heartbeat
  arrives later than now))``;
- ``SwimNode``: SWIM membership (Das, Gupta and Motivala 2002): each node
  probes one random member per protocol period, asks ``k`` others to probe it
  indirectly when the direct probe fails, marks it *suspect* before declaring
  it *dead*, lets a suspected node refute with a higher *incarnation*, and
  spreads every change by piggybacking on its probes (gossip). The load per
  node is constant, whatever the size of the group;
- ``detection_experiment`` and ``swim_experiment`` measure detection time,
  mistakes and messages; ``detection_summary`` averages the first over seeds;
- ``DETECTOR_MUTANTS`` and ``detector_mutant_table``: five broken versions of
  the monitor and of phi, and the checks that catch them (phi against
  ``statistics.NormalDist``, completeness, eventual accuracy, accuracy after
  recovery); ``SWIM_MUTANTS``: five broken versions of SWIM, whose checks and table are in
  ``dslib.failure.swim_checks``.

Examples
--------
>>> round(phi_value(3.0, mean=1.0, std=0.5), 2)  # 4 standard deviations late
4.5
>>> result = detection_experiment(PhiAccrual(threshold=8.0), jitter=0.2, seed=1)
>>> result["detected"], result["mistakes"]
(True, 0)
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from dslib.core import Context, Node, System
from dslib.mutants import (
    MutantReport,
    check_mutant,
    check_name,
    seeded_mutant_report,
    seeded_mutant_table,
)
from dslib.sim.nemesis import Crash, Nemesis
from dslib.sim.network import Network, constant, exponential
from dslib.sim.simulator import Simulation

if TYPE_CHECKING:
    from dslib.testing.executors import Executor

__all__ = [
    "DETECTOR_CHECKS",
    "DETECTOR_MUTANTS",
    "DETECTOR_MUTANT_CHECKS",
    "MONITOR_MUTANTS",
    "PHI_MUTANTS",
    "STATUSES",
    "SWIM_MUTANTS",
    "AllToAllMember",
    "ArrivalWindow",
    "FixedTimeout",
    "Heartbeat",
    "HeartbeatSender",
    "Monitor",
    "MonitorState",
    "PhiAccrual",
    "SwimAck",
    "SwimNode",
    "SwimPing",
    "SwimPingReq",
    "SwimState",
    "Update",
    "apply_update",
    "check_swim_mutant",
    "crash_time",
    "detection_experiment",
    "detection_summary",
    "detector_catch_rate",
    "detector_mutant_report",
    "detector_mutant_table",
    "expected_first_probe",
    "first_detection_periods",
    "first_detection_table",
    "heartbeat_run",
    "phi_from_intervals",
    "phi_value",
    "swim_experiment",
]


# -- the detectors' mutants (section 4.1) -------------------------------------------------------
MONITOR_MUTANTS: dict[str, str] = {
    "silence_from_first": "the monitor records only the first heartbeat, so the silence is "
    "measured from the first heartbeat instead of the last",
    "window_not_updated": "the monitor computes the window after a heartbeat and throws it "
    "away (ArrivalWindow.add returns a new window), so the window is never updated",
    "never_trust": "a heartbeat from a suspected node does not clear the suspicion",
}
"""The broken monitors of ``Monitor`` (``mutant=`` name -> what is wrong)."""

PHI_MUTANTS: dict[str, str] = {
    "phi_cdf": "phi is -log10 of F(t), the probability that the heartbeat came earlier, "
    "instead of 1 - F(t)",
    "naive_tail": "phi computes 1 - F(t) as one minus NormalDist.cdf and returns 0 where "
    "that rounds to 0, so a long silence stops being suspicious",
}
"""The broken ``PhiAccrual`` detectors (``mutant=`` name -> what is wrong)."""

DETECTOR_MUTANTS: dict[str, str] = {**MONITOR_MUTANTS, **PHI_MUTANTS}
"""Every mutant of section 4.1's detectors: ``MONITOR_MUTANTS`` and ``PHI_MUTANTS``."""


# -- the phi function ---------------------------------------------------------------------------
def phi_value(elapsed: float, mean: float, std: float) -> float:
    """``-log10`` of the probability that a heartbeat comes later than ``elapsed``.

    The inter-arrival times are modelled as normal with this ``mean`` and
    ``std``, so ``P_later(t) = 1 - F(t) = erfc((t - mean) / (std * sqrt(2))) / 2``.
    ``erfc`` keeps its precision far in the tail, where ``1 - F(t)`` computed
    as one minus a number close to 1 would round to 0. phi = 1 means: under the
    model, if the node is suspected now, the chance that the suspicion is a mistake
    (its heartbeat merely late) is 10%; phi = 8, one in 10^8. It is not the
    probability that the node is alive, which would need a prior on crashes.
    Returns ``inf`` where even ``erfc`` underflows.

    Raises
    ------
    ValueError
        If ``std`` is not positive or a value is not finite.

    Examples
    --------
    >>> phi_value(1.0, 1.0, 0.2)  # exactly on time: a 50% chance it comes later
    0.3010299956639812
    >>> phi_value(10.0, 1.0, 0.2)
    inf
    """
    for name, v in (("elapsed", elapsed), ("mean", mean), ("std", std)):
        if not (isinstance(v, (int, float)) and math.isfinite(v)):
            raise ValueError(f"phi_value: {name}={v!r} must be a finite number")
    if std <= 0:
        raise ValueError(f"phi_value: std={std!r} must be > 0 (floor it with a minimum)")
    p_later = 0.5 * math.erfc((elapsed - mean) / (std * math.sqrt(2.0)))
    return math.inf if p_later <= 0.0 else -math.log10(p_later)


def phi_from_intervals(elapsed: float, intervals: Sequence[float], min_std: float) -> float:
    """phi for a silence of ``elapsed``, given past inter-arrival ``intervals``.

    The mean and the population standard deviation of ``intervals``; the
    deviation is floored at ``min_std`` (regular heartbeats would otherwise
    give a deviation of 0, and any lateness an infinite phi).

    Examples
    --------
    >>> round(phi_from_intervals(1.5, [1.0, 1.0, 1.0], min_std=0.25), 3)
    1.643
    >>> phi_from_intervals(1.0, [], 0.1)
    Traceback (most recent call last):
    ...
    ValueError: phi_from_intervals: no intervals yet; phi needs at least one
    """
    if not intervals:
        raise ValueError("phi_from_intervals: no intervals yet; phi needs at least one")
    if not (isinstance(min_std, (int, float)) and min_std > 0):
        raise ValueError(f"phi_from_intervals: min_std={min_std!r} must be > 0")
    mean = statistics.fmean(intervals)
    std = max(statistics.pstdev(intervals), float(min_std))
    return phi_value(elapsed, mean, std)


# -- heartbeats and a monitor ---------------------------------------------------------------------
@dataclass(frozen=True)
class Heartbeat:
    """I am alive: heartbeat number ``seq`` of ``sender``."""

    sender: str
    seq: int


class HeartbeatSender(Node[int]):
    """Sends ``Heartbeat(id, seq)`` to every node of ``monitors`` each ``period``.

    Examples
    --------
    >>> HeartbeatSender(("m",), period=1.0)
    HeartbeatSender(every 1.0 to m)
    """

    def __init__(self, monitors: Sequence[str], period: float = 1.0) -> None:
        if isinstance(monitors, str) or not monitors:
            raise ValueError(f"HeartbeatSender: monitors={monitors!r} must be a list of node ids")
        if not (isinstance(period, (int, float)) and period > 0):
            raise ValueError(f"HeartbeatSender: period={period!r} must be a number > 0")
        self.monitors = tuple(monitors)
        self.period = float(period)

    def init(self, ctx: Context) -> int:
        ctx.set_timer("beat", 0.0)
        return 0

    def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
        for m in self.monitors:
            ctx.send(m, Heartbeat(ctx.id, state))
        ctx.set_timer("beat", self.period)
        return state + 1

    def __repr__(self) -> str:
        return f"HeartbeatSender(every {self.period} to {', '.join(self.monitors)})"


_ROUNDING_FLOOR = 8 * sys.float_info.epsilon
"""Per update: below this times the largest running sum of squares, it is rounding error."""


def _exact_moments(intervals: tuple[float, ...]) -> tuple[float, float]:
    """Mean and sum of squared deviations, in two passes with exactly rounded sums."""
    if not intervals:
        return 0.0, 0.0
    mean = math.fsum(intervals) / len(intervals)
    return mean, math.fsum((x - mean) ** 2 for x in intervals)


@dataclass(frozen=True)
class ArrivalWindow:
    """When the last heartbeat arrived, and the last ``size`` inter-arrival times.

    The window also keeps the mean of its intervals and the sum of their
    squared deviations from it, updated as intervals come and go, so that
    :attr:`mean` and :attr:`std` cost O(1) whatever the window's size
    (the phi accrual detector asks for them at every check). Equality, hash
    and ``repr`` depend only on ``last`` and ``intervals``.

    Examples
    --------
    >>> w = ArrivalWindow().add(1.0, 3).add(2.0, 3).add(3.5, 3)
    >>> w
    ArrivalWindow(last=3.5, intervals=(1.0, 1.5))
    >>> w.mean, w.std
    (1.25, 0.25)

    Notes
    -----
    A new interval ``x`` joins with Welford's update; when the window is
    full, ``x`` replaces the oldest interval ``y`` in one step:
    ``mean' = mean + (x - y) / n`` and
    ``M2' = M2 + (x - y) (x - mean' + y - mean)``, where ``M2`` is the sum of
    squared deviations (Welford 1962; Knuth, TAOCP vol. 2, §4.2.2). Unlike
    the textbook ``sum(x^2) / n - mean^2``, these work with deviations from
    the mean, so they do not cancel catastrophically when the intervals are
    large and nearly equal. Rounding errors still accumulate over many
    updates, so each time the window has been replaced entirely the moments
    are recomputed exactly (two passes, ``math.fsum``): O(size) once every
    ``size`` heartbeats, O(1) on average. The window itself is an immutable
    tuple (states in dslib are values), so an arrival copies it: a block
    copy of ``size`` references, with no arithmetic.

    Hayashibara et al. estimate the mean and the variance over such a
    sliding window of the last arrivals (§3); the window here keeps them up
    to date instead of recomputing them. ``benchmarks/bench_failure.py``
    compares the two.

    References
    ----------
    .. [1] N. Hayashibara, X. Défago, R. Yared and T. Katayama, "The phi
       accrual failure detector", SRDS 2004, section 3.
    .. [2] B. P. Welford, "Note on a method for calculating corrected sums of
       squares and products", Technometrics 4(3), 1962.
    """

    last: float | None = None
    intervals: tuple[float, ...] = ()
    # Running moments of ``intervals`` (computed from them when not given), and the number
    # of updates since they were last computed exactly.
    _mean: float | None = field(default=None, compare=False, repr=False)
    _m2: float = field(default=0.0, compare=False, repr=False)
    _updates: int = field(default=0, compare=False, repr=False)
    # The largest ``_m2`` since the exact computation: each running update rounds with an
    # error of about eps times it, which bounds how small a spread ``std`` can resolve.
    _m2_peak: float = field(default=0.0, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self._mean is None:
            mean, m2 = _exact_moments(self.intervals)
            object.__setattr__(self, "_mean", mean)
            object.__setattr__(self, "_m2", m2)
            object.__setattr__(self, "_m2_peak", m2)

    @property
    def mean(self) -> float:
        """The mean of the intervals (0.0 when there are none)."""
        return self._mean if self._mean is not None else 0.0

    @property
    def std(self) -> float:
        """The population standard deviation of the intervals (0.0 when there are none).

        Each running update rounds with an error of about ``eps`` times the largest sum
        of squared deviations since the last exact computation (``M``), and there are at
        most ``n`` of them, so a sum below ``8 * n * eps * M`` is rounding error and the
        spread is reported as 0.0: a window of equal intervals gives exactly 0.0, as the
        full recomputation does, not ``1e-8``.
        """
        n = len(self.intervals)
        if not n or self._m2 <= _ROUNDING_FLOOR * n * self._m2_peak:
            return 0.0
        return math.sqrt(self._m2 / n)

    def add(self, now: float, size: int) -> ArrivalWindow:
        """The window after a heartbeat arriving at ``now``, keeping at most ``size`` intervals."""
        if self.last is None:
            return ArrivalWindow(
                now, self.intervals, self._mean, self._m2, self._updates, self._m2_peak
            )
        x = now - self.last
        n = len(self.intervals)
        updates = self._updates + 1
        if n < size:  # the window grows: Welford's update
            delta = x - self.mean
            mean = self.mean + delta / (n + 1)
            m2 = self._m2 + delta * (x - mean)
            intervals = (*self.intervals, x)
        elif n == size:  # x replaces the oldest interval y
            y = self.intervals[0]
            mean = self.mean + (x - y) / n
            m2 = max(0.0, self._m2 + (x - y) * (x - mean + y - self.mean))
            intervals = (*self.intervals[1:], x)
        else:  # a smaller size than before: recompute below
            intervals, mean, m2, updates = (*self.intervals, x)[-size:], 0.0, 0.0, size
        peak = max(self._m2_peak, self._m2, m2)
        if updates >= size:
            mean, m2 = _exact_moments(intervals)
            updates, peak = 0, m2
        return ArrivalWindow(now, intervals, mean, m2, updates, peak)


@dataclass(frozen=True)
class FixedTimeout:
    """Suspect a node when no heartbeat came for longer than ``timeout``.

    Examples
    --------
    >>> FixedTimeout(2.5).suspects(ArrivalWindow(10.0, (1.0,)), now=13.0)
    True
    """

    timeout: float

    def __post_init__(self) -> None:
        if not (isinstance(self.timeout, (int, float)) and self.timeout > 0):
            raise ValueError(f"FixedTimeout: timeout={self.timeout!r} must be a number > 0")

    def level(self, window: ArrivalWindow, now: float) -> float:
        """The silence so far (time since the last heartbeat)."""
        return 0.0 if window.last is None else now - window.last

    def suspects(self, window: ArrivalWindow, now: float) -> bool:
        """Whether the silence is longer than the timeout."""
        return window.last is not None and now - window.last > self.timeout

    def __str__(self) -> str:
        return f"timeout {self.timeout:g}"


@dataclass(frozen=True)
class PhiAccrual:
    """Suspect a node when phi exceeds ``threshold`` (Hayashibara et al. 2004).

    ``window`` inter-arrival times are kept; their standard deviation is
    floored at ``min_std``. Until two heartbeats have arrived there is no
    estimate, and the node is not suspected. Each check costs O(1): the
    window keeps its mean and deviation up to date (:class:`ArrivalWindow`).
    ``mutant`` selects a broken phi from ``PHI_MUTANTS`` (``None``: the correct one).

    Examples
    --------
    >>> d = PhiAccrual(threshold=3.0, min_std=0.1)
    >>> w = ArrivalWindow(10.0, (1.0, 1.0, 1.0))
    >>> d.suspects(w, now=11.2), d.suspects(w, now=11.4)
    (False, True)
    """

    threshold: float = 8.0
    window: int = 100
    min_std: float = 0.1
    mutant: str | None = None

    def __post_init__(self) -> None:
        check_mutant("PhiAccrual", self.mutant, PHI_MUTANTS)
        if not (isinstance(self.threshold, (int, float)) and self.threshold > 0):
            raise ValueError(f"PhiAccrual: threshold={self.threshold!r} must be a number > 0")
        if not (isinstance(self.window, int) and self.window >= 1):
            raise ValueError(f"PhiAccrual: window={self.window!r} must be an int >= 1")
        if not (isinstance(self.min_std, (int, float)) and self.min_std > 0):
            raise ValueError(f"PhiAccrual: min_std={self.min_std!r} must be a number > 0")

    def level(self, window: ArrivalWindow, now: float) -> float:
        """phi now (0 without an estimate): O(1), from the window's running mean and deviation.

        The same value as ``phi_from_intervals(now - window.last,
        window.intervals, min_std)``, up to rounding.
        """
        if window.last is None or not window.intervals:
            return 0.0
        elapsed, std = now - window.last, max(window.std, float(self.min_std))
        if self.mutant == "phi_cdf":  # the wrong tail: P(earlier) instead of P(later)
            p = 0.5 * math.erfc(-(elapsed - window.mean) / (std * math.sqrt(2.0)))
            return math.inf if p <= 0.0 else -math.log10(p)
        if self.mutant == "naive_tail":  # 1 - cdf rounds to 0 far in the tail
            p = 1.0 - statistics.NormalDist(window.mean, std).cdf(elapsed)
            return 0.0 if p <= 0.0 else -math.log10(p)
        return phi_value(elapsed, window.mean, std)

    def suspects(self, window: ArrivalWindow, now: float) -> bool:
        """Whether phi is above the threshold."""
        return self.level(window, now) > self.threshold

    def effective_timeout(self, window: ArrivalWindow) -> float:
        """The silence after which this detector suspects, given what ``window`` has seen.

        phi exceeds ``threshold`` when the silence exceeds ``mean + z * std``, where ``z`` is
        the point beyond which a standard normal has probability ``10 ** -threshold``: a
        threshold on phi is a timeout that the window moves, longer where heartbeats have
        been irregular. It follows the distribution it has observed and nothing else; in
        particular it does not grow after a mistake. ``inf`` without an estimate (fewer
        than two heartbeats), or where ``10 ** -threshold`` underflows.

        Examples
        --------
        >>> w = ArrivalWindow(10.0, (1.0, 1.0, 1.0))
        >>> round(PhiAccrual(threshold=3.0, min_std=0.1).effective_timeout(w), 4)  # 1 + 3.09 * 0.1
        1.309
        >>> steady, jittery = ArrivalWindow(5.0, (0.9, 1.1)), ArrivalWindow(5.0, (0.5, 1.5))
        >>> d = PhiAccrual(threshold=8.0)
        >>> round(d.effective_timeout(steady), 2), round(d.effective_timeout(jittery), 2)
        (1.56, 3.81)
        >>> PhiAccrual().effective_timeout(ArrivalWindow())
        inf
        """
        if window.last is None or not window.intervals:
            return math.inf
        tail = 10.0 ** -float(self.threshold)
        if tail <= 0.0:
            return math.inf
        z = -statistics.NormalDist().inv_cdf(tail)
        return window.mean + z * max(window.std, float(self.min_std))

    def __str__(self) -> str:
        return f"phi > {self.threshold:g}" + (f" ({self.mutant})" if self.mutant else "")


Detector = FixedTimeout | PhiAccrual


@dataclass(frozen=True)
class MonitorState:
    """Each target's arrival window, who is suspected now, and every change with its time."""

    windows: tuple[tuple[str, ArrivalWindow], ...] = ()
    suspected: frozenset[str] = frozenset()
    log: tuple[tuple[float, str, str], ...] = ()


class Monitor(Node[MonitorState]):
    """Watches ``targets``' heartbeats and suspects them with ``detector``.

    Suspicion is evaluated every ``check_period``; a heartbeat from a
    suspected node clears the suspicion at once. ``log`` records each change
    as ``(time, node, "suspect" | "trust")``. ``mutant`` selects a broken
    monitor from ``MONITOR_MUTANTS`` (``None``: the correct one).

    Examples
    --------
    >>> from dslib import Simulation, System
    >>> system = System({"a": HeartbeatSender(["m"]), "m": Monitor(["a"], FixedTimeout(2.5))})
    >>> sim = Simulation(system)
    >>> sim.at(5.5, Crash("a"))
    >>> sim.run(until=12.0).states["m"].log
    ((8.6, 'a', 'suspect'),)
    """

    def __init__(
        self,
        targets: Sequence[str],
        detector: Detector,
        check_period: float = 0.1,
        mutant: str | None = None,
    ) -> None:
        self.mutant = check_mutant("Monitor", mutant, MONITOR_MUTANTS)
        if isinstance(targets, str) or not targets:
            raise ValueError(f"Monitor: targets={targets!r} must be a list of node ids")
        if not isinstance(detector, (FixedTimeout, PhiAccrual)):
            raise TypeError(f"Monitor: detector={detector!r} must be FixedTimeout or PhiAccrual")
        if not (isinstance(check_period, (int, float)) and check_period > 0):
            raise ValueError(f"Monitor: check_period={check_period!r} must be a number > 0")
        self.targets = tuple(sorted(targets))
        self.detector = detector
        self.check_period = float(check_period)
        self._size = detector.window if isinstance(detector, PhiAccrual) else 1

    def init(self, ctx: Context) -> MonitorState:
        ctx.set_timer("check", self.check_period)
        return MonitorState(windows=tuple((t, ArrivalWindow()) for t in self.targets))

    def on_message(self, ctx: Context, state: MonitorState, src: str, msg: Any) -> MonitorState:
        if not isinstance(msg, Heartbeat) or msg.sender not in self.targets:
            return state
        windows = tuple(
            (t, w.add(ctx.now, self._size) if t == msg.sender else w) for t, w in state.windows
        )
        if self.mutant == "window_not_updated":
            windows = state.windows
        elif self.mutant == "silence_from_first":
            windows = tuple(
                (t, w.add(ctx.now, self._size) if t == msg.sender and w.last is None else w)
                for t, w in state.windows
            )
        if msg.sender in state.suspected and self.mutant != "never_trust":
            return MonitorState(
                windows,
                state.suspected - {msg.sender},
                (*state.log, (round(ctx.now, 9), msg.sender, "trust")),
            )
        return replace(state, windows=windows)

    def on_timer(self, ctx: Context, state: MonitorState, timer: Any) -> MonitorState:
        ctx.set_timer("check", self.check_period)
        now = round(ctx.now, 9)
        new = [
            t
            for t, w in state.windows
            if t not in state.suspected and self.detector.suspects(w, ctx.now)
        ]
        if not new:
            return state
        return replace(
            state,
            suspected=state.suspected | set(new),
            log=state.log + tuple((now, t, "suspect") for t in new),
        )

    def __repr__(self) -> str:
        broken = f"; mutant {self.mutant}" if self.mutant else ""
        return f"Monitor({', '.join(self.targets)}; {self.detector}{broken})"


def crash_time(duration: float, period: float, seed: int) -> float:
    """The crash instant ``detection_experiment`` draws from ``seed`` when given none:
    80 % of ``duration`` plus a random fraction of a period.

    >>> crash_time(500.0, 1.0, 0) == crash_time(500.0, 1.0, 0)
    True
    """
    return 0.8 * duration + period * random.Random(f"{seed}:crash").random()


def heartbeat_run(
    detector: Detector,
    jitter: float,
    loss: float,
    period: float,
    delay: float,
    duration: float,
    crash: float | None,
    seed: int,
    trace: bool = True,
) -> Simulation:
    """The finished run behind ``detection_experiment``: a sender heartbeating a monitor
    every ``period`` (latency ``delay``, plus exponential jitter), the monitor checking
    every twentieth of a period, the sender crashing at ``crash`` (``None``: never).

    >>> sim = heartbeat_run(FixedTimeout(2.0), 0.0, 0.0, 1.0, 1.0, 10.0, None, 0)
    >>> sim.states["monitor"].log
    ()
    """
    latency = constant(delay) if jitter == 0 else exponential(jitter, minimum=delay)
    system = System(
        {
            "node": HeartbeatSender(["monitor"], period),
            "monitor": Monitor(["node"], detector, check_period=period / 20),
        }
    )
    sim = Simulation(
        system,
        seed=seed,
        network=Network(latency, loss=loss),
        nemesis=Nemesis([(crash, Crash("node"))]) if crash is not None else None,
        record_trace=trace,
    )
    return sim.run(until=duration)


def detection_experiment(
    detector: Detector,
    jitter: float = 0.0,
    loss: float = 0.0,
    period: float = 1.0,
    delay: float = 1.0,
    duration: float = 500.0,
    crash_at: float | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """One sender, one monitor: how fast is a crash detected, how many mistakes before it?

    Heartbeats every ``period``, from time 0; one-way latency ``delay`` plus
    an exponential with mean ``jitter`` (0: constant); the sender crashes at
    ``crash_at``, by default at 80% of ``duration`` plus a uniformly random
    fraction of a period drawn from ``seed``.

    Parameters
    ----------
    detector : FixedTimeout or PhiAccrual
    jitter : float, default 0
        Mean of the exponential part of the latency (>= 0).
    loss : float, default 0
        Probability that a heartbeat is lost, in [0, 1).
    period, delay : float, default 1
        The heartbeat period and the smallest one-way latency.
    duration : float, default 500
    crash_at : float, optional
        When the sender crashes, in (0, duration).
    seed : int, default 0

    Returns
    -------
    dict
        ``crash at``; ``detected`` (was the crash suspected by the end),
        ``detection time`` (from the crash to the last suspicion, or
        ``nan``), ``mistakes`` (suspicions of the live sender before the
        crash), ``mistake rate`` (per 100 periods), ``wrongly suspected`` (the
        fraction of the time before the crash the live sender was suspected:
        1 minus the query accuracy of Chen et al.).

    Raises
    ------
    ValueError
        If ``jitter``, ``loss`` or the crash time is out of range.

    Examples
    --------
    >>> r = detection_experiment(FixedTimeout(1.5), jitter=0.5, seed=1)
    >>> r["detected"], r["mistakes"] > 0
    (True, True)

    Notes
    -----
    A crash does not wait for a heartbeat to be due. One at a whole multiple
    of the period falls just before a heartbeat would have left, so its
    detection time is the shortest possible, a whole period shorter than
    for a crash just after a heartbeat. With a random phase, a fixed
    timeout ``T`` on a constant latency ``delay`` detects a crash after
    ``T + delay - period / 2`` on average. One run gives one detection
    time; ``detection_summary`` averages over seeds.

    References
    ----------
    W. Chen, S. Toueg, M. K. Aguilera, "On the Quality of Service of Failure
    Detectors", *IEEE Transactions on Computers* 51(5), 2002, §2.
    """
    if not (isinstance(jitter, (int, float)) and jitter >= 0):
        raise ValueError(f"detection_experiment: jitter={jitter!r} must be >= 0")
    if not (isinstance(loss, (int, float)) and 0 <= loss < 1):
        raise ValueError(f"detection_experiment: loss={loss!r} must be in [0, 1)")
    crash = crash_time(duration, period, seed) if crash_at is None else float(crash_at)
    if not 0 < crash < duration:
        raise ValueError(
            f"detection_experiment: the crash at {crash!r} must fall in (0, duration={duration!r})"
            + ("" if crash_at is not None else "; give a longer duration or crash_at")
        )
    sim = heartbeat_run(detector, jitter, loss, period, delay, duration, crash, seed, trace=False)
    log = sim.states["monitor"].log
    mistakes = sum(1 for t, _n, what in log if what == "suspect" and t < crash)
    suspected_time, since = 0.0, None
    for t, _n, what in log:
        if t >= crash:
            break
        if what == "suspect":
            since = t
        elif since is not None:
            suspected_time += t - since
            since = None
    if since is not None:
        suspected_time += crash - since
    last = log[-1] if log else None
    detected = last is not None and last[2] == "suspect"
    at = last[0] if detected and last is not None else math.nan
    return {
        "detector": str(detector),
        "jitter": jitter,
        "loss": loss,
        "crash at": crash,
        "detected": detected,
        "detection time": max(0.0, at - crash) if detected else math.nan,
        "mistakes": mistakes,
        "mistake rate": round(100 * mistakes * period / crash, 3),
        "wrongly suspected": round(suspected_time / crash, 4),
    }


def detection_summary(
    detector: Detector,
    seeds: Iterable[int] = range(20),
    jitter: float = 0.0,
    loss: float = 0.0,
    period: float = 1.0,
    delay: float = 1.0,
    duration: float = 500.0,
    *,
    executor: Executor = None,
) -> dict[str, Any]:
    """``detection_experiment`` once per seed: the mean and the spread of its measurements.

    One run gives one detection time, which depends on where in the
    heartbeat period the crash falls and on the last heartbeats' delays,
    and a count of mistakes that depends on a few unlucky delays. A claim
    that one detector beats another should hold for the mean over many runs,
    with the spread in view.

    Parameters
    ----------
    detector : FixedTimeout or PhiAccrual
    seeds : iterable of int, default range(20)
        One run per seed; at least two.
    jitter, loss, period, delay, duration
        As in ``detection_experiment``.
    executor : None, int, dask.distributed.Client or concurrent.futures.Executor
        Who runs the seeds (``dslib.testing.executors.map_seeds``): ``None``
        here, one after the other; ``n`` local processes; or the workers of a
        Dask cluster. The summary is the same whichever runs them.

    Returns
    -------
    dict
        ``detector``, ``jitter``, ``loss``, ``runs``; ``detected`` (in how
        many runs the crash was suspected by the end); ``detection time`` and
        ``detection time sd`` (mean and sample standard deviation over the
        runs that detected it); ``mistakes`` and ``mistakes sd`` (per run);
        ``mistake rate`` (mean, per 100 periods); ``wrongly suspected`` (mean
        fraction of the time before the crash).

    Raises
    ------
    ValueError
        If ``seeds`` holds fewer than two seeds or a seed is not an int, or
        as ``detection_experiment`` does.
    TypeError
        If ``executor`` is none of the kinds above.

    Examples
    --------
    >>> r = detection_summary(FixedTimeout(2.0), seeds=range(10), duration=100)
    >>> r["runs"], r["detected"], r["mistakes"]
    (10, 10, 0.0)
    >>> round(r["detection time"], 2), round(r["detection time sd"], 2)  # each in [2, 3.05]
    (2.64, 0.27)
    """
    runs = list(seeds)
    if len(runs) < 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in runs):
        raise ValueError(
            f"detection_summary: seeds={seeds!r} must hold at least two int seeds "
            "(one run per seed; a spread needs two)"
        )
    from dslib.testing.executors import map_seeds

    task = partial(_detection_run, detector, jitter, loss, period, delay, duration)
    results = map_seeds(task, runs, executor, owner="detection_summary")
    times = [r["detection time"] for r in results if r["detected"]]
    mistakes = [r["mistakes"] for r in results]
    return {
        "detector": str(detector),
        "jitter": jitter,
        "loss": loss,
        "runs": len(runs),
        "detected": len(times),
        "detection time": statistics.fmean(times) if times else math.nan,
        "detection time sd": statistics.stdev(times) if len(times) >= 2 else math.nan,
        "mistakes": statistics.fmean(mistakes),
        "mistakes sd": statistics.stdev(mistakes),
        "mistake rate": statistics.fmean(r["mistake rate"] for r in results),
        "wrongly suspected": statistics.fmean(r["wrongly suspected"] for r in results),
    }


def _detection_run(
    detector: Detector,
    jitter: float,
    loss: float,
    period: float,
    delay: float,
    duration: float,
    seed: int,
) -> dict[str, Any]:
    """One seed of ``detection_summary`` (the task of ``map_seeds``: the seed comes last)."""
    return detection_experiment(
        detector,
        jitter=jitter,
        loss=loss,
        period=period,
        delay=delay,
        duration=duration,
        seed=seed,
    )


# == the detectors' mutants and the checks that catch them (section 4.1) =========================
DETECTOR_CHECKS: tuple[str, ...] = (
    "phi = NormalDist tail",
    "completeness",
    "eventual accuracy",
    "accuracy after recovery",
)
"""The checks of section 4.1's detectors, in the order of the mutant table.

- ``phi = NormalDist tail``: on a window of random intervals, ``PhiAccrual.level`` equals
  ``-log10(1 - NormalDist(mean, std).cdf(t))`` (an independent computation) within 6 standard
  deviations, and stays finite and non-decreasing out to 30;
- ``completeness``: on a network with jitter and loss, a crashed sender ends suspected, and the
  detector says so at every check from its suspicion to the end (suspected *for good*);
- ``eventual accuracy``: on a steady network, a live sender is not suspected in the second half
  of the run;
- ``accuracy after recovery``: a sender that crashes and comes back is trusted again within a
  few periods, and stays trusted.

Each of the last three runs both a ``FixedTimeout(2.5)`` and a ``PhiAccrual(8.0)`` and fails if
either fails.
"""

DETECTOR_MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "silence_from_first": ("eventual accuracy",),
    "window_not_updated": ("completeness",),
    "never_trust": ("accuracy after recovery",),
    "phi_cdf": ("phi = NormalDist tail",),
    "naive_tail": ("phi = NormalDist tail",),
}
"""The check that must catch each mutant of ``DETECTOR_MUTANTS``."""

_RUN_LENGTH = 30.0  # periods of one check's run
_CHECK_EVERY = 0.25  # the monitor's check period in these runs


def _variant_detectors(mutant: str | None) -> tuple[Detector, ...]:
    phi = mutant if mutant in PHI_MUTANTS else None
    return FixedTimeout(2.5), PhiAccrual(8.0, mutant=phi)


def _variant_run(
    mutant: str | None,
    detector: Detector,
    seed: int,
    jitter: float,
    loss: float,
    crash: float | None,
    restart: float | None = None,
) -> Simulation:
    # One sender heartbeating every 1 over a delay of 1 plus exponential jitter; the monitor
    # checks every quarter of a period (the checks then run many seeds in little time).
    monitor = mutant if mutant in MONITOR_MUTANTS else None
    system = System(
        {
            "node": HeartbeatSender(["monitor"], 1.0),
            "monitor": Monitor(["node"], detector, check_period=_CHECK_EVERY, mutant=monitor),
        }
    )
    latency = exponential(jitter, minimum=1.0) if jitter > 0 else constant(1.0)
    sim = Simulation(system, seed=seed, network=Network(latency, loss=loss), record_trace=False)
    if crash is not None:
        sim.at(crash, Crash("node"))
    if restart is not None:
        sim.at(restart, lambda s: s.restart("node"))
    return sim.run(until=_RUN_LENGTH)


def _phi_agrees(mutant: str | None, seed: int) -> bool:
    draw = random.Random(f"{seed}:phi window")
    scale = draw.uniform(0.5, 5.0)
    intervals = [scale * draw.uniform(0.5, 1.5) for _ in range(draw.randint(2, 12))]
    window, t = ArrivalWindow(), 0.0
    window = window.add(t, 100)
    for x in intervals:
        t += x
        window = window.add(t, 100)
    min_std = 0.05 * scale
    detector = PhiAccrual(8.0, min_std=min_std, mutant=mutant if mutant in PHI_MUTANTS else None)
    # The oracle: mean and deviation from the intervals, the tail from NormalDist.
    mean = statistics.fmean(intervals)
    std = max(statistics.pstdev(intervals), min_std)
    normal = statistics.NormalDist(mean, std)
    for k in range(-8, 25):  # within 6 standard deviations: the oracle is precise
        silence = mean + k * std / 4
        expected = -math.log10(1.0 - normal.cdf(silence))
        if abs(detector.level(window, t + silence) - expected) > 1e-6:
            return False
    levels = [detector.level(window, t + mean + k * std / 4) for k in range(24, 121)]
    return all(math.isfinite(v) for v in levels) and all(
        a <= b for a, b in itertools.pairwise(levels)
    )


def _complete(mutant: str | None, seed: int) -> bool:
    crash = _RUN_LENGTH / 2 + random.Random(f"{seed}:crash").random()
    for detector in _variant_detectors(mutant):
        sim = _variant_run(mutant, detector, seed, jitter=0.3, loss=0.1, crash=crash)
        state = sim.states["monitor"]
        if not state.log or state.log[-1][2] != "suspect" or "node" not in state.suspected:
            return False
        window = dict(state.windows)["node"]
        since = state.log[-1][0]
        checks = int((_RUN_LENGTH - since) / _CHECK_EVERY)
        times = (since + i * _CHECK_EVERY for i in range(checks + 1))
        if not all(detector.suspects(window, t) for t in times):
            return False
    return True


def _accurate(mutant: str | None, seed: int) -> bool:
    for detector in _variant_detectors(mutant):
        sim = _variant_run(mutant, detector, seed, jitter=0.05, loss=0.0, crash=None)
        state = sim.states["monitor"]
        late = [t for t, _n, what in state.log if what == "suspect" and t >= _RUN_LENGTH / 2]
        if late or state.suspected:
            return False
    return True


def _recovers(mutant: str | None, seed: int) -> bool:
    crash = 8.0 + random.Random(f"{seed}:crash").random()
    back = crash + 8.0
    for detector in _variant_detectors(mutant):
        sim = _variant_run(mutant, detector, seed, 0.05, 0.0, crash=crash, restart=back)
        state = sim.states["monitor"]
        late = [t for t, _n, what in state.log if what == "suspect" and t >= back + 5.0]
        if late or state.suspected:
            return False
    return True


_DETECTOR_CHECK_RUNS: dict[str, Callable[[str | None, int], bool]] = {
    "phi = NormalDist tail": _phi_agrees,
    "completeness": _complete,
    "eventual accuracy": _accurate,
    "accuracy after recovery": _recovers,
}


def detector_catch_rate(mutant: str | None, check: str, seeds: Iterable[int]) -> tuple[int, int]:
    """``(caught, runs)``: on how many seeds the check ``check`` fails for ``mutant``.

    Parameters
    ----------
    mutant : str or None
        A name from ``DETECTOR_MUTANTS``, or ``None`` for the correct detectors.
    check : str
        One of ``DETECTOR_CHECKS``.
    seeds : iterable of int

    Returns
    -------
    (int, int)
        Seeds on which the check failed, and seeds in all.

    Raises
    ------
    ValueError
        If ``mutant`` or ``check`` is unknown.

    Examples
    --------
    >>> detector_catch_rate("never_trust", "accuracy after recovery", range(3))
    (3, 3)
    >>> detector_catch_rate(None, "completeness", range(3))
    (0, 3)
    """
    check_mutant("detector_catch_rate", mutant, DETECTOR_MUTANTS)
    check_name("detector_catch_rate", check, DETECTOR_CHECKS)
    runs = list(seeds)
    return sum(not _detector_check(mutant, check, seed) for seed in runs), len(runs)


@functools.lru_cache(maxsize=1024)
def _detector_check(mutant: str | None, check: str, seed: int) -> bool:
    # The report and the table ask for the same runs: each is simulated once.
    return _DETECTOR_CHECK_RUNS[check](mutant, seed)


def detector_mutant_report(seeds: int = 5) -> MutantReport:
    """Run every check of ``DETECTOR_CHECKS`` on the correct detectors and on each mutant.

    A check fails when it fails on any of the seeds ``0..seeds-1``.

    Parameters
    ----------
    seeds : int, default 5

    Returns
    -------
    MutantReport

    Raises
    ------
    ValueError
        If ``seeds`` is not an int >= 1.

    Examples
    --------
    >>> detector_mutant_report(seeds=2).problems()
    []
    """
    return seeded_mutant_report(
        detector_catch_rate,
        DETECTOR_MUTANTS,
        DETECTOR_MUTANT_CHECKS,
        DETECTOR_CHECKS,
        seeds,
        where="detector_mutant_report",
    )


def detector_mutant_table(seeds: int = 5) -> Any:
    """The mutant table of section 4.1, with how many seeds each mutant's named check caught.

    Parameters
    ----------
    seeds : int, default 5

    Returns
    -------
    pandas.DataFrame
        ``mutant``, ``bug``, ``caught by`` (every check that failed on some seed), ``named
        check`` (the one ``DETECTOR_MUTANT_CHECKS`` says must catch it) and ``seeds caught by
        it`` (for the correct version: seeds on which any check failed).

    Examples
    --------
    >>> table = detector_mutant_table(seeds=2)
    >>> print(table[["mutant", "named check", "seeds caught by it"]].to_string(index=False))
                mutant             named check seeds caught by it
       correct version                       —             0 of 2
    silence_from_first       eventual accuracy             2 of 2
    window_not_updated            completeness             2 of 2
           never_trust accuracy after recovery             2 of 2
               phi_cdf   phi = NormalDist tail             2 of 2
            naive_tail   phi = NormalDist tail             2 of 2
    """
    return seeded_mutant_table(
        detector_mutant_report(seeds),
        detector_catch_rate,
        seeds,
        where="detector_mutant_table",
        check_column="named check",
        column="seeds caught by it",
    )


# -- SWIM --------------------------------------------------------------------------------------
STATUSES = ("alive", "suspect", "dead")

SWIM_MUTANTS: dict[str, str] = {
    "no_indirect_probes": "a failed direct probe asks no member to probe the target "
    "indirectly (no SwimPingReq), so one lossy link is enough to suspect a live member",
    "no_suspicion": "a failed probe declares the target dead at once instead of suspect, "
    "so a live member has no time to refute",
    "no_refute": "a suspected member announces itself alive at its old incarnation instead of "
    "a higher one, which loses to the suspicion: it cannot refute",
    "alive_beats_suspect": "alive at incarnation i overrides suspect at i (only a higher "
    "incarnation should), so an old alive rumour cancels a newer suspicion",
    "dead_not_final": "a dead member is re-added when an alive rumour with a higher "
    "incarnation arrives (a refutation still in gossip: dead must be final)",
}
"""The broken versions of SWIM (``SwimNode(mutant=...)`` name -> what is wrong); the last
two break ``apply_update``'s precedence rules. Checked in ``dslib.failure.swim_checks``."""


@dataclass(frozen=True)
class Update:
    """A membership change to spread: ``member`` is ``status`` at ``incarnation``."""

    member: str
    status: str
    incarnation: int


@dataclass(frozen=True)
class SwimPing:
    """A direct probe, numbered by its sender, carrying gossip."""

    seq: int
    updates: tuple[Update, ...] = ()


@dataclass(frozen=True)
class SwimAck:
    """The answer to ``SwimPing(seq)`` (forwarded by a helper for an indirect probe)."""

    seq: int
    updates: tuple[Update, ...] = ()


@dataclass(frozen=True)
class SwimPingReq:
    """Please probe ``target`` for me and forward its ack, numbered ``seq``."""

    target: str
    seq: int
    updates: tuple[Update, ...] = ()


def apply_update(view: tuple[str, int], update: Update, mutant: str | None = None) -> bool:
    """Whether ``update`` overrides what a node believes, ``view = (status, incarnation)``.

    The rules of Das et al. (2002), §4.2: *dead* overrides everything;
    *suspect* at incarnation i overrides *alive* at i or lower and *suspect*
    below i; *alive* at i overrides *suspect* or *alive* below i. So a
    suspected node refutes the suspicion by announcing itself alive with a
    higher incarnation, and an old rumour never undoes a newer one. ``mutant`` (a name
    from ``SWIM_MUTANTS``) breaks a rule for ``"alive_beats_suspect"`` and
    ``"dead_not_final"``; the other names leave these rules alone.

    Examples
    --------
    >>> apply_update(("alive", 3), Update("b", "suspect", 3))
    True
    >>> s = ("suspect", 3)
    >>> apply_update(s, Update("b", "alive", 3)), apply_update(s, Update("b", "alive", 4))
    (False, True)
    >>> apply_update(s, Update("b", "alive", 3), mutant="alive_beats_suspect")
    True
    """
    if mutant is not None:
        check_swim_mutant("apply_update", mutant)
    status, inc = view
    if status == "dead":
        if mutant == "dead_not_final":  # broken: a later alive rumour re-adds a dead member
            return update.status == "alive" and update.incarnation > inc
        return False
    if update.status == "dead":
        return True
    if update.status == "suspect":
        return (status == "alive" and update.incarnation >= inc) or (
            status == "suspect" and update.incarnation > inc
        )
    if mutant == "alive_beats_suspect":  # broken: alive at i also overrides suspect at i
        return update.incarnation > inc or (status == "suspect" and update.incarnation == inc)
    return update.incarnation > inc


def check_swim_mutant(owner: str, mutant: object) -> str | None:
    """Validate a ``mutant=`` argument of SWIM against ``SWIM_MUTANTS``.

    Examples
    --------
    >>> check_swim_mutant("SwimNode", "no_suspicion")
    'no_suspicion'
    >>> check_swim_mutant("SwimNode", "no_gossip")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: SwimNode: unknown mutant 'no_gossip'; allowed: None or one of ['alive_beats_...
    """
    from dslib.mutants import check_mutant as _check

    return _check(owner, mutant, SWIM_MUTANTS)


@dataclass(frozen=True)
class SwimState:
    """What a SWIM member knows and is doing.

    ``members``: ``(id, status, incarnation)`` of every other member, sorted;
    ``order``/``position``: this round of the shuffled round-robin probe
    order; ``seq``: the last number this node gave a ping; ``target``,
    ``probe_seq``, ``acked``: the current probe; ``relays``: indirect
    probes this node runs for others, ``(my seq, requester, their seq)``;
    ``buffer``: updates to piggyback, with how many more times to send each;
    ``log``: every change of this node's view, ``(time, member, status)``.
    """

    incarnation: int = 0
    members: tuple[tuple[str, str, int], ...] = ()
    order: tuple[str, ...] = ()
    position: int = 0
    seq: int = 0
    probe_seq: int = 0
    target: str | None = None
    acked: bool = True
    relays: tuple[tuple[int, str, int], ...] = ()
    buffer: tuple[tuple[Update, int], ...] = ()
    log: tuple[tuple[float, str, str], ...] = ()

    def view(self, member: str) -> tuple[str, int]:
        """``(status, incarnation)`` of ``member``."""
        for m, status, inc in self.members:
            if m == member:
                return (status, inc)
        raise KeyError(member)

    def status(self, member: str) -> str:
        """The status of ``member`` in this node's view."""
        return self.view(member)[0]


class SwimNode(Node[SwimState]):
    """A member of a SWIM group (Das, Gupta and Motivala 2002).

    Every ``period`` the node probes the next member of a shuffled
    round-robin order with ``SwimPing``. With no ``SwimAck`` after
    ``ping_timeout`` it sends ``SwimPingReq`` to ``k`` random members, which
    probe the target and forward its ack. With no ack by the end of the
    period, the target becomes *suspect* (with ``suspicion=True``; otherwise
    *dead* at once) and after ``suspicion_timeout`` more without a refutation,
    *dead*. Changes travel piggybacked on pings and acks, each sent
    ``retransmit`` times.

    Parameters
    ----------
    period, ping_timeout : float
        The protocol period and the direct probe's timeout (``< period``).
    k : int, default 3
        Helpers asked for an indirect probe (0: none).
    suspicion : bool, default True
        Use the suspicion sub-protocol.
    suspicion_timeout : float, optional
        Default ``3 * ceil(log2(N + 1))`` periods for a group of N: long
        enough for the suspicion to reach the suspect and its refutation to
        come back, both by gossip, which takes O(log N) periods.
    retransmit : int, optional
        How many messages carry each update; default ``3 * ceil(log2(N + 1))``
        (Das et al. §4.1: λ log N).
    max_piggyback : int, default 6
        At most this many updates per message.
    selection : {"round-robin", "random"}, default "round-robin"
        How the target of each period is chosen: the next member of a shuffled round-robin
        list (§4.3, which bounds the worst-case detection time), or a member drawn uniformly
        at random each period (the basic protocol of §3, which the paper's analysis of the
        expected detection time assumes).
    aligned : bool, default False
        Start every member's first period at time 0, so that all members' periods coincide
        (the synchronous rounds of the paper's analysis); by default each member starts at a
        random moment within the first period.
    mutant : str, optional
        A broken version from ``SWIM_MUTANTS`` (``None``: the correct protocol).

    Examples
    --------
    >>> swim_experiment(n=8, loss=0.0, seed=1)["detected by all"]
    True
    """

    def __init__(
        self,
        period: float = 1.0,
        ping_timeout: float = 0.3,
        k: int = 3,
        suspicion: bool = True,
        suspicion_timeout: float | None = None,
        retransmit: int | None = None,
        max_piggyback: int = 6,
        selection: str = "round-robin",
        aligned: bool = False,
        mutant: str | None = None,
    ) -> None:
        self.mutant = check_swim_mutant("SwimNode", mutant)
        if selection not in ("round-robin", "random"):
            raise ValueError(f"SwimNode: selection={selection!r}; allowed: 'round-robin', 'random'")
        if not (isinstance(period, (int, float)) and period > 0):
            raise ValueError(f"SwimNode: period={period!r} must be > 0")
        if not (isinstance(ping_timeout, (int, float)) and 0 < ping_timeout < period):
            raise ValueError(f"SwimNode: ping_timeout={ping_timeout!r} must be in (0, period)")
        if not (isinstance(k, int) and k >= 0):
            raise ValueError(f"SwimNode: k={k!r} must be an int >= 0")
        if retransmit is not None and not (isinstance(retransmit, int) and retransmit >= 1):
            raise ValueError(f"SwimNode: retransmit={retransmit!r} must be an int >= 1 or None")
        if suspicion_timeout is not None and not (
            isinstance(suspicion_timeout, (int, float)) and suspicion_timeout > 0
        ):
            raise ValueError(f"SwimNode: suspicion_timeout={suspicion_timeout!r} must be > 0")
        self.period = float(period)
        self.ping_timeout = float(ping_timeout)
        self.k = k
        self.suspicion = bool(suspicion)
        self.suspicion_timeout = suspicion_timeout
        self.retransmit = retransmit
        self.max_piggyback = max_piggyback
        self.selection = selection
        self.aligned = bool(aligned)

    # -- gossip -------------------------------------------------------------------------------
    def _take(self, state: SwimState) -> tuple[SwimState, tuple[Update, ...]]:
        """The updates to piggyback on one message, most urgent first; counts go down."""
        if not state.buffer:
            return state, ()
        ranked = sorted(
            range(len(state.buffer)),
            key=lambda i: (-state.buffer[i][1], state.buffer[i][0].member),
        )
        chosen = set(ranked[: self.max_piggyback])
        buffer = tuple(
            (u, n - 1 if i in chosen else n)
            for i, (u, n) in enumerate(state.buffer)
            if not (i in chosen and n <= 1)
        )
        return replace(state, buffer=buffer), tuple(state.buffer[i][0] for i in sorted(chosen))

    def _log_n(self, ctx: Context) -> int:
        return math.ceil(math.log2(len(ctx.peers) + 2))

    def _spread(self, ctx: Context, state: SwimState, update: Update) -> SwimState:
        buffer = tuple((u, n) for u, n in state.buffer if u.member != update.member)
        limit = self.retransmit if self.retransmit is not None else 3 * self._log_n(ctx)
        return replace(state, buffer=(*buffer, (update, limit)))

    def _set(self, ctx: Context, state: SwimState, update: Update) -> SwimState:
        members = tuple(
            (m, update.status, update.incarnation) if m == update.member else (m, s, i)
            for m, s, i in state.members
        )
        state = replace(
            state,
            members=members,
            log=(*state.log, (round(ctx.now, 9), update.member, update.status)),
        )
        if update.status == "suspect":
            timeout = self.suspicion_timeout
            if timeout is None:
                timeout = 3 * self._log_n(ctx) * self.period
            ctx.set_timer(("suspect", update.member, update.incarnation), timeout)
        return self._spread(ctx, state, update)

    def _learn(self, ctx: Context, state: SwimState, updates: tuple[Update, ...]) -> SwimState:
        for u in updates:
            if u.member == ctx.id:
                if u.status != "alive" and u.incarnation >= state.incarnation:
                    # Refute: I am alive, at a higher incarnation than the rumour.
                    inc = u.incarnation + (0 if self.mutant == "no_refute" else 1)
                    state = replace(state, incarnation=inc)
                    state = self._spread(ctx, state, Update(ctx.id, "alive", inc))
                continue
            try:
                view = state.view(u.member)
            except KeyError:
                continue
            if apply_update(view, u, self.mutant):
                state = self._set(ctx, state, u)
        return state

    def _send(self, ctx: Context, state: SwimState, dst: str, make: Any) -> SwimState:
        state, updates = self._take(state)
        ctx.send(dst, make(updates))
        return state

    # -- handlers -----------------------------------------------------------------------------
    def init(self, ctx: Context) -> SwimState:
        ctx.set_timer("period", 0.0 if self.aligned else ctx.rng.random() * self.period)
        return SwimState(members=tuple((p, "alive", 0) for p in ctx.peers))

    def _alive(self, state: SwimState) -> list[str]:
        return [m for m, s, _i in state.members if s != "dead"]

    def on_timer(self, ctx: Context, state: SwimState, timer: Any) -> SwimState:
        if timer == "period":
            ctx.set_timer("period", self.period)
            if state.target is not None and not state.acked:
                state = self._fail_probe(ctx, state, state.target)
            return self._probe(ctx, state)
        if timer == "indirect":
            if state.target is None or state.acked:
                return state
            others = [m for m in self._alive(state) if m != state.target]
            k = 0 if self.mutant == "no_indirect_probes" else self.k
            helpers = sorted(others, key=lambda _m: ctx.rng.random())[:k]
            for h in sorted(helpers):
                target, seq = state.target, state.probe_seq
                state = self._send(ctx, state, h, lambda u, t=target, s=seq: SwimPingReq(t, s, u))
            return state
        if isinstance(timer, tuple) and timer[0] == "suspect":
            _, member, inc = timer
            if state.view(member) == ("suspect", inc):
                return self._set(ctx, state, Update(member, "dead", inc))
            return state
        return state

    def _fail_probe(self, ctx: Context, state: SwimState, target: str) -> SwimState:
        status, inc = state.view(target)
        if status != "alive":
            return state
        suspect = self.suspicion and self.mutant != "no_suspicion"
        return self._set(ctx, state, Update(target, "suspect" if suspect else "dead", inc))

    def _probe(self, ctx: Context, state: SwimState) -> SwimState:
        alive = self._alive(state)
        if not alive:
            return replace(state, target=None, acked=True)
        order, position = state.order, state.position
        while self.selection == "round-robin":
            if position >= len(order):
                order = tuple(sorted(alive, key=lambda _m: ctx.rng.random()))
                position = 0
            target = order[position]
            position += 1
            if target in alive:
                break
        if self.selection == "random":  # §3: a member drawn uniformly, every period
            target = alive[int(ctx.rng.random() * len(alive))]
        seq = state.seq + 1
        state = replace(
            state,
            order=order,
            position=position,
            seq=seq,
            probe_seq=seq,
            target=target,
            acked=False,
        )
        ctx.set_timer("indirect", self.ping_timeout)
        return self._send(ctx, state, target, lambda u: SwimPing(seq, u))

    def on_message(self, ctx: Context, state: SwimState, src: str, msg: Any) -> SwimState:
        if isinstance(msg, (SwimPing, SwimAck, SwimPingReq)):
            state = self._learn(ctx, state, msg.updates)
        if isinstance(msg, SwimPing):
            return self._send(ctx, state, src, lambda u: SwimAck(msg.seq, u))
        if isinstance(msg, SwimPingReq):
            seq = state.seq + 1
            state = replace(state, seq=seq, relays=(*state.relays[-20:], (seq, src, msg.seq)))
            return self._send(ctx, state, msg.target, lambda u: SwimPing(seq, u))
        if isinstance(msg, SwimAck):
            for mine, requester, theirs in state.relays:
                if mine == msg.seq:
                    relays = tuple(r for r in state.relays if r[0] != mine)
                    state = replace(state, relays=relays)
                    return self._send(ctx, state, requester, lambda u, seq=theirs: SwimAck(seq, u))
            if msg.seq == state.probe_seq and not state.acked:
                return replace(state, acked=True)
        return state

    def __repr__(self) -> str:
        broken = f", mutant={self.mutant!r}" if self.mutant is not None else ""
        return f"SwimNode(k={self.k}, suspicion={self.suspicion}{broken})"


class AllToAllMember(Node[MonitorState]):
    """The baseline: every member heartbeats every other each ``period`` and suspects
    silence longer than ``timeout``: N - 1 messages per member per period.

    Examples
    --------
    >>> swim_experiment(n=8, protocol="all-to-all", seed=1)["messages per member per period"]
    7.0
    """

    def __init__(self, period: float = 1.0, timeout: float = 3.0) -> None:
        self.period = float(period)
        self.detector = FixedTimeout(timeout)

    def init(self, ctx: Context) -> MonitorState:
        ctx.set_timer("beat", ctx.rng.random() * self.period)
        ctx.set_timer("check", self.period / 10)
        return MonitorState(windows=tuple((p, ArrivalWindow(0.0)) for p in ctx.peers))

    def on_timer(self, ctx: Context, state: MonitorState, timer: Any) -> MonitorState:
        if timer == "beat":
            ctx.broadcast(Heartbeat(ctx.id, 0))
            ctx.set_timer("beat", self.period)
            return state
        ctx.set_timer("check", self.period / 10)
        new = [
            t
            for t, w in state.windows
            if t not in state.suspected and self.detector.suspects(w, ctx.now)
        ]
        if not new:
            return state
        now = round(ctx.now, 9)
        return replace(
            state,
            suspected=state.suspected | set(new),
            log=state.log + tuple((now, t, "dead") for t in new),
        )

    def on_message(self, ctx: Context, state: MonitorState, src: str, msg: Any) -> MonitorState:
        if not isinstance(msg, Heartbeat):
            return state
        windows = tuple((t, ArrivalWindow(ctx.now) if t == src else w) for t, w in state.windows)
        if src in state.suspected:
            log = (*state.log, (round(ctx.now, 9), src, "alive"))
            return MonitorState(windows, state.suspected - {src}, log)
        return replace(state, windows=windows)


def swim_experiment(
    n: int = 16,
    loss: float = 0.0,
    protocol: str = "swim",
    k: int = 3,
    suspicion: bool = True,
    duration: float = 200.0,
    crash_at: float = 100.0,
    seed: int = 0,
    suspicion_timeout: float | None = None,
    faults: Sequence[tuple[float, Any]] = (),
    mutant: str | None = None,
) -> dict[str, Any]:
    """A group of ``n`` members; one crashes at ``crash_at``. Who notices, when, at what cost?

    ``protocol`` is ``"swim"`` (``SwimNode`` with ``k`` and ``suspicion``) or
    ``"all-to-all"`` (``AllToAllMember``). Latency is uniform in (0.02, 0.1),
    the period 1 (so that an indirect probe, four one-way trips after the
    direct probe's timeout, fits in a period).

    Parameters
    ----------
    n : int
        Members, at least 3.
    loss : float
        The probability that the network loses a message.
    protocol, k, suspicion
        As above.
    duration : float
        How long to run.
    crash_at : float
        When member ``n // 2`` crashes; ``period < crash_at < duration``.
    seed : int
        The simulation's seed.
    suspicion_timeout : float, optional
        ``SwimNode``'s (default: its own, 3 ceil(log2(n + 1)) periods).
    faults : sequence of (float, fault), optional
        More faults for the nemesis, such as ``(60.0, Pause("m08", 10.0))``.
    mutant : str, optional
        Run a broken ``SwimNode`` from ``SWIM_MUTANTS`` (``protocol="swim"`` only).

    Returns
    -------
    dict
        ``first detection`` (from the crash until some member declares it
        dead; 0 if one already had, wrongly, before the crash), ``detected
        by all`` (every live member does, by the end), ``last detection``,
        ``false positives`` (pairs (observer, member) of a live observer and
        a member it declared dead while that member was alive, the crashed
        one included if it was declared dead before it crashed), ``false suspicions``
        (the same pairs for a suspicion instead of a declaration: what indirect probes
        prevent), ``messages per member per period``: the messages sent from the end of the first period (each
        member starts at a random moment within it) until the crash (which
        changes the traffic), divided by ``n`` and by ``crash_at - period``.

    Raises
    ------
    ValueError
        For an unknown ``protocol``, ``n < 3``, or a ``crash_at`` outside
        ``(period, duration)``, which leaves no time to count messages in or
        no time to detect the crash.

    Examples
    --------
    >>> r = swim_experiment(n=8, seed=2)
    >>> r["detected by all"], r["false positives"]
    (True, 0)
    >>> swim_experiment(n=8, crash_at=0.5)
    Traceback (most recent call last):
    ...
    ValueError: swim_experiment: crash_at=0.5 must be in (period, duration) = (1, 200): messages are counted from the end of the first period to the crash
    """  # noqa: E501
    if protocol not in ("swim", "all-to-all"):
        raise ValueError(f"swim_experiment: protocol={protocol!r}; allowed: 'swim', 'all-to-all'")
    if not (isinstance(n, int) and n >= 3):
        raise ValueError(f"swim_experiment: n={n!r} must be an int >= 3")
    check_swim_mutant("swim_experiment", mutant)
    if mutant is not None and protocol != "swim":
        raise ValueError(f"swim_experiment: mutant={mutant!r} needs protocol='swim'")
    from dslib.sim.network import uniform

    ids = [f"m{i:02d}" for i in range(n)]
    victim = ids[n // 2]
    node: SwimNode | AllToAllMember = (
        SwimNode(k=k, suspicion=suspicion, suspicion_timeout=suspicion_timeout, mutant=mutant)
        if protocol == "swim"
        else AllToAllMember()
    )
    period = node.period
    if not (
        isinstance(duration, (int, float))
        and isinstance(crash_at, (int, float))
        and period < crash_at < duration
    ):
        raise ValueError(
            f"swim_experiment: crash_at={crash_at!r} must be in (period, duration) = "
            f"({period:g}, {duration:g}): messages are counted from the end of the first "
            "period to the crash"
        )
    system = System(dict.fromkeys(ids, node))
    sim = Simulation(
        system,
        seed=seed,
        network=Network(uniform(0.02, 0.1), loss=loss),
        nemesis=Nemesis(sorted([(crash_at, Crash(victim)), *faults], key=lambda f: f[0])),
    )
    sim.run(until=duration)
    measured = sum(1 for e in sim.trace.entries if e[1] == "send" and period <= e[0] < crash_at)
    states = sim.states
    detections = []
    false_positives: set[tuple[str, str]] = set()
    false_suspicions: set[tuple[str, str]] = set()
    for observer, st in states.items():  # the live members: the victim's state is gone
        dead = [(t, member) for t, member, status in st.log if status == "dead"]
        false_suspicions.update(
            (observer, m)
            for t, m, status in st.log
            if status == "suspect" and (m != victim or t < crash_at)
        )
        # A member declared dead while it was alive is a false positive, the victim too if
        # it was declared dead before it crashed; for that observer, the crash was then
        # known from the start (detection time 0), as Chen et al. count it.
        false_positives.update((observer, m) for t, m in dead if m != victim or t < crash_at)
        victim_dead = [t for t, m in dead if m == victim]
        if victim_dead:
            detections.append(max(0.0, victim_dead[0] - crash_at))
    live = len(states)
    return {
        "protocol": protocol if protocol != "swim" else f"swim (k={k}, suspicion={suspicion})",
        "n": n,
        "loss": loss,
        "first detection": round(min(detections), 3) if detections else math.nan,
        "last detection": round(max(detections), 3) if len(detections) == live else math.nan,
        "detected by all": len(detections) == live,
        "false positives": len(false_positives),
        "false suspicions": len(false_suspicions),
        "messages per member per period": round(measured / n / (crash_at - period), 2),
    }


# -- SWIM's expected first detection (Das et al. 2002, §3.1) -----------------------------------
def expected_first_probe(n: int, alive: int) -> float:
    """Expected protocol periods until some live member probes a crashed one (SWIM §3.1).

    Each of ``alive`` members picks one of the other ``n - 1`` members uniformly per period;
    the crashed member is picked in a period with probability
    ``p = 1 - (1 - 1/(n - 1))**alive``, so the number of periods is geometric, mean ``1/p``.
    With every other member alive it tends to ``e/(e - 1)``, about 1.58, as ``n`` grows.

    Raises
    ------
    ValueError
        Unless ``n >= 2`` and ``1 <= alive <= n - 1`` (ints).

    Examples
    --------
    >>> round(expected_first_probe(1000, 999), 3), round(math.e / (math.e - 1), 3)
    (1.582, 1.582)
    """
    if not (isinstance(n, int) and n >= 2 and isinstance(alive, int) and 1 <= alive <= n - 1):
        raise ValueError(f"need ints n >= 2 and 1 <= alive <= n - 1, not n={n!r}, alive={alive!r}")
    return 1.0 / (1.0 - (1.0 - 1.0 / (n - 1)) ** alive)


def first_detection_periods(
    n: int, seed: int, selection: str = "random", crash_at: float = 10.5
) -> int:
    """Protocol periods until some member first detects a crash, as SWIM §3.1 counts them.

    ``n`` members with aligned periods of length 1 (the paper's synchronous rounds); member
    ``n // 2`` crashes at ``crash_at``, inside a period. Counting from the first period that
    starts after the crash, the answer is the number of periods up to and including the
    first in which some member's probe of the crashed member fails (that member then
    suspects it, at the period's end). ``selection`` is the members' choice of target:
    ``"random"`` (the paper's analysis) or ``"round-robin"`` (§4.3). No loss, so that only a
    probe of the crashed member fails.

    Examples
    --------
    >>> [first_detection_periods(8, seed) for seed in range(6)]
    [1, 2, 1, 1, 3, 1]
    """
    if not (isinstance(n, int) and n >= 3):
        raise ValueError(f"first_detection_periods: n={n!r} must be an int >= 3")
    if not (isinstance(crash_at, (int, float)) and crash_at > 1 and crash_at % 1 != 0):
        raise ValueError(
            f"first_detection_periods: crash_at={crash_at!r} must be above 1 and inside a "
            "period (not a whole number): a crash on a period boundary races the probes"
        )
    from dslib.sim.network import uniform

    ids = [f"m{i:02d}" for i in range(n)]
    victim = ids[n // 2]
    node = SwimNode(selection=selection, aligned=True)
    first_period = math.ceil(crash_at)
    sim = Simulation(
        System(dict.fromkeys(ids, node)),
        seed=seed,
        network=Network(uniform(0.02, 0.1)),
        nemesis=Nemesis([(crash_at, Crash(victim))]),
    )
    for end in range(first_period + 1, first_period + 20 * n + 1):
        sim.run(until=end + 0.5)  # the suspicion is logged at a period's boundary
        times = [
            t
            for st in sim.states.values()
            for t, member, status in st.log
            if member == victim and status in ("suspect", "dead")
        ]
        if times:
            return round(min(times) - first_period)
    raise RuntimeError(f"first_detection_periods: no member detected the crash (seed {seed})")


def first_detection_table(
    sizes: Sequence[int] = (8, 16, 32, 64),
    seeds: Iterable[int] = range(100),
    selections: Sequence[str] = ("random", "round-robin"),
    executor: Any = None,
) -> Any:
    """The mean periods to first detection per group size and target choice, with the theory.

    One row per ``(n, selection)``: the runs, the mean and its 95 % confidence interval (mean
    +- 1.96 standard errors), and ``expected_first_probe(n, n - 1)`` beside it; the paper's
    limit is ``e/(e - 1)``. ``executor`` as in ``dslib.testing.executors.map_seeds``.

    Examples
    --------
    >>> int(first_detection_table(sizes=[4], seeds=range(3), selections=["random"])["runs"].iloc[0])
    3
    """
    import pandas as pd

    from dslib.testing.executors import map_seeds

    seeds = list(seeds)
    rows = []
    for n in sizes:
        for selection in selections:
            periods = map_seeds(
                partial(first_detection_periods, n, selection=selection), seeds, executor
            )
            mean = statistics.fmean(periods)
            half = (
                1.96 * statistics.stdev(periods) / math.sqrt(len(periods))
                if len(periods) > 1
                else math.nan
            )
            rows.append(
                {
                    "n": n,
                    "selection": selection,
                    "runs": len(periods),
                    "mean periods": round(mean, 3),
                    "95% interval": f"{mean - half:.2f} to {mean + half:.2f}",
                    "theory (random)": round(expected_first_probe(n, n - 1), 3),
                }
            )
    return pd.DataFrame(rows).set_index(["n", "selection"])
