"""The horizontal autoscaler: its rule, its tolerance, and its stabilisation window.

Kubernetes' horizontal pod autoscaler (HPA) [1]_ runs every sync period (15 s by default)
and computes, from the average of a metric over the pods (e.g. CPU use as a percentage
of the pods' request) and the target value of that metric::

    desired = ceil(current * metric / target)

If the ratio ``metric / target`` is within the *tolerance* of 1 (0.1 by default) it
does nothing: a metric that wobbles by a few percent must not move the replica count.

Applied as is, the rule chases every dip of a noisy load: it scales down at the first
quiet sync and up again at the next burst, and since a new pod takes a while to start
(and to be counted), it overshoots. The *stabilisation window* for scaling down
(300 s by default) damps this: the autoscaler remembers its recommendations of the
window and scales down only to the *highest* of them, so replicas go down only after
the load has stayed low for the whole window. Scaling up stays immediate.

``autoscale_run`` simulates it: a load (millicores of work per sync), pods that each
offer ``request`` millicores and become ready ``startup`` seconds after they are made,
the metric measured over the ready pods. ``oscillations`` counts how often the replica
count changes direction, the measure of flapping.

Mutants (``MUTANTS``): ``no_window`` (scales down at once: flaps), ``no_tolerance``
(moves on any deviation), ``rounds_down`` (``floor`` instead of ``ceil``: too few pods).

Examples
--------
>>> desired_replicas(current=4, metric=90, target=60)
6
>>> desired_replicas(current=4, metric=63, target=60)  # within the 10 % tolerance
4

References
----------
.. [1] Kubernetes documentation, "Horizontal Pod Autoscaling", section "Algorithm
   details" (the rule and the 0.1 tolerance) and section "Stabilization window"
   (300 s for scaling down by default; the highest recommendation in the window).
.. [2] A. Verma et al., "Large-scale cluster management at Google with Borg",
   EuroSys 2015, section 5.5 (resource reclamation: estimates that decay slowly so
   that short dips do not free resources that are soon needed again).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from dslib.mutants import Outcome, check_mutant

__all__ = [
    "CAUGHT_BY",
    "CHECKS",
    "MUTANTS",
    "AutoscaleRun",
    "AutoscalerConfig",
    "autoscale_run",
    "check_capacity_meets_target",
    "check_oscillation",
    "check_tolerance",
    "desired_replicas",
    "load_pattern",
    "mutant_report",
    "oscillations",
    "stabilised",
]

MUTANTS: dict[str, str] = {
    "no_window": "no stabilisation window: it scales down as soon as one sync recommends it",
    "no_tolerance": "no tolerance: any deviation of the metric from the target moves replicas",
    "rounds_down": "rounds the replica count down (floor), leaving the pods above target",
}
"""Broken versions of the autoscaler, by name, with what is wrong."""


def _number(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise TypeError(f"{owner}: {name}={value!r} must be a number")
    return value


def desired_replicas(
    current: int,
    metric: float,
    target: float,
    tolerance: float = 0.1,
    mutant: str | None = None,
) -> int:
    """The HPA rule: ``ceil(current * metric / target)``, unless within the tolerance.

    Computed exactly (with fractions), so that ``metric == target * k`` gives exactly
    ``current * k``.

    Parameters
    ----------
    current : int
        Replicas now, >= 0.
    metric : float
        The metric's current average over the pods (e.g. CPU percent of request), >= 0.
    target : float
        The metric's target value, > 0.
    tolerance : float, default 0.1
        No change while ``abs(metric / target - 1) <= tolerance``; in [0, 1).
    mutant : str, optional
        ``no_tolerance`` or ``rounds_down`` (see ``MUTANTS``).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For a target <= 0, a negative current or metric, a tolerance outside [0, 1).

    Examples
    --------
    >>> desired_replicas(3, 120, 60), desired_replicas(10, 25, 50), desired_replicas(10, 54, 50)
    (6, 5, 10)
    >>> desired_replicas(3, 50, 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: desired_replicas: target=0 must be > 0 (the metric's target value, e.g. 60 ...
    """
    if isinstance(current, bool) or not isinstance(current, int):
        raise TypeError(f"desired_replicas: current={current!r} must be an int")
    if current < 0:
        raise ValueError(f"desired_replicas: current={current} is negative; allowed: >= 0")
    _number("desired_replicas", "metric", metric)
    _number("desired_replicas", "target", target)
    _number("desired_replicas", "tolerance", tolerance)
    if target <= 0:
        raise ValueError(
            f"desired_replicas: target={target!r} must be > 0 (the metric's target value, "
            "e.g. 60 for 60 % CPU)"
        )
    if metric < 0:
        raise ValueError(f"desired_replicas: metric={metric!r} is negative; allowed: >= 0")
    if not 0 <= tolerance < 1:
        raise ValueError(f"desired_replicas: tolerance={tolerance!r}; allowed: 0 <= tolerance < 1")
    check_mutant("desired_replicas", mutant, MUTANTS)
    ratio = Fraction(metric) / Fraction(target)
    if mutant != "no_tolerance" and abs(ratio - 1) <= Fraction(tolerance):
        return current  # within the tolerance: the mutant skips this test
    if mutant == "rounds_down":  # BUG: floor leaves the pods above target
        return math.floor(current * ratio)
    return math.ceil(current * ratio)


def stabilised(
    recommendations: Sequence[tuple[float, int]], now: float, current: int, window: float
) -> int:
    """Scale-down stabilisation: the highest recommendation within the last ``window`` s.

    Scaling up is not held back: if the latest recommendation is above ``current`` it is
    taken. Otherwise the result is the highest recommendation made in ``[now - window,
    now]``, never above ``current`` (the window only slows scaling down).

    >>> recs = [(0, 8), (15, 5), (30, 4)]
    >>> stabilised(recs, now=30, current=8, window=300), stabilised(recs, 30, 8, window=10)
    (8, 4)
    """
    latest = recommendations[-1][1]
    if latest >= current:
        return latest
    recent = [n for t, n in recommendations if t >= now - window]
    return min(current, max(recent))


@dataclass(frozen=True)
class AutoscalerConfig:
    """An HPA and the pods it scales.

    Parameters
    ----------
    target : float, default 60
        Target average CPU use, percent of each pod's request.
    tolerance : float, default 0.1
    window : float, default 300
        Scale-down stabilisation window in seconds (0: none).
    sync_period : float, default 15
        Seconds between two runs of the rule.
    min_replicas, max_replicas : int, default 1 and 50
    request : float, default 1000
        Millicores each pod offers (its CPU request).
    startup : float, default 30
        Seconds from a pod's creation until it is ready and takes load.
    mutant : str, optional
        A name in ``MUTANTS``.

    Examples
    --------
    >>> AutoscalerConfig(target=0)
    Traceback (most recent call last):
    ...
    ValueError: AutoscalerConfig: target=0 must be > 0 (percent of the request, e.g. 60)
    """

    target: float = 60.0
    tolerance: float = 0.1
    window: float = 300.0
    sync_period: float = 15.0
    min_replicas: int = 1
    max_replicas: int = 50
    request: float = 1000.0
    startup: float = 30.0
    mutant: str | None = None

    def __post_init__(self) -> None:
        owner = "AutoscalerConfig"
        for name in ("target", "tolerance", "window", "sync_period", "request", "startup"):
            _number(owner, name, getattr(self, name))
        if self.target <= 0:
            raise ValueError(
                f"{owner}: target={self.target!r} must be > 0 (percent of the request, e.g. 60)"
            )
        if not 0 <= self.tolerance < 1:
            raise ValueError(f"{owner}: tolerance={self.tolerance!r}; allowed: 0 <= tolerance < 1")
        if self.window < 0 or self.startup < 0:
            raise ValueError(f"{owner}: window and startup must be >= 0 seconds")
        if self.sync_period <= 0 or self.request <= 0:
            raise ValueError(f"{owner}: sync_period and request must be > 0")
        for name in ("min_replicas", "max_replicas"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{owner}: {name}={value!r} must be an int >= 1")
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"{owner}: min_replicas={self.min_replicas} > max_replicas={self.max_replicas}"
            )
        check_mutant(owner, self.mutant, MUTANTS)


@dataclass(frozen=True)
class AutoscaleRun:
    """What ``autoscale_run`` recorded, one entry per sync.

    Attributes
    ----------
    times : tuple of float
    load : tuple of float
        Millicores of work asked at each sync.
    replicas : tuple of int
        Replicas wanted after each sync.
    ready : tuple of int
        Ready pods when the metric was read.
    utilisation : tuple of float
        The metric read (percent of the ready pods' request).
    """

    times: tuple[float, ...]
    load: tuple[float, ...]
    replicas: tuple[int, ...]
    ready: tuple[int, ...]
    utilisation: tuple[float, ...]
    config: AutoscalerConfig = field(default_factory=AutoscalerConfig)

    @property
    def oscillations(self) -> int:
        """Direction changes of the replica count (see ``oscillations``)."""
        return oscillations(self.replicas)

    @property
    def changes(self) -> int:
        """How many syncs changed the replica count."""
        return sum(1 for a, b in zip(self.replicas, self.replicas[1:], strict=False) if a != b)

    def overloaded_share(self) -> float:
        """The share of syncs where the ready pods ran above 100 % of their request."""
        return sum(1 for u in self.utilisation if u > 100) / len(self.utilisation)

    def to_frame(self) -> Any:
        """The run as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(
            {
                "time": self.times,
                "load": self.load,
                "replicas": self.replicas,
                "ready": self.ready,
                "utilisation": self.utilisation,
            }
        )


def oscillations(series: Sequence[int]) -> int:
    """How often ``series`` changes direction (up then down, or down then up).

    Flat stretches do not count as a direction.

    >>> oscillations([1, 2, 3, 3, 2, 2, 4, 1]), oscillations([1, 2, 4, 4, 3])
    (3, 1)
    """
    count, direction = 0, 0
    for a, b in itertools.pairwise(series):
        if a == b:
            continue
        step = 1 if b > a else -1
        if direction and step != direction:
            count += 1
        direction = step
    return count


def load_pattern(kind: str = "bursty", steps: int = 120, seed: int = 0) -> list[float]:
    """A load in millicores per sync: ``steady``, ``bursty`` or ``ramp``.

    - ``steady``: 3,000 m;
    - ``bursty``: 3,000 m plus seeded noise of +-30 % and a burst to 6,000 m one sync in
      eight (a noisy service);
    - ``ramp``: from 1,000 m up to 8,000 m over the first half, then back down.

    >>> load_pattern("ramp", steps=4)
    [1000.0, 8000.0, 8000.0, 1000.0]
    """
    if kind not in ("steady", "bursty", "ramp"):
        raise ValueError(f"load_pattern: kind={kind!r}; allowed: steady, bursty, ramp")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"load_pattern: steps={steps!r} must be an int >= 1")
    rng = random.Random(f"{seed}:load")
    out = []
    half = max(1, steps // 2)
    for i in range(steps):
        if kind == "steady":
            value = 3000.0
        elif kind == "bursty":
            value = 6000.0 if i % 8 == 7 else 3000.0 * (1 + rng.uniform(-0.3, 0.3))
        else:
            j = i if i < half else steps - 1 - i
            value = 1000.0 + 7000.0 * min(1.0, j / max(1, half - 1))
        out.append(round(value, 1))
    return out


def autoscale_run(load: Sequence[float], config: AutoscalerConfig | None = None) -> AutoscaleRun:
    """Run the autoscaler over ``load`` (millicores asked at each sync).

    At each sync: pods made ``startup`` seconds ago or earlier are ready; the metric is
    the load over the ready pods' request, in percent; the rule recommends a count from
    the ready pods (Kubernetes' ``readyPodCount``; within the tolerance it keeps the
    current count, starting pods included), the window stabilises it,
    ``min_replicas``/``max_replicas`` clamp it; new pods are made at once, surplus pods
    removed at once.

    Parameters
    ----------
    load : sequence of float
        Millicores of work per sync, each >= 0.
    config : AutoscalerConfig, optional

    Returns
    -------
    AutoscaleRun

    Examples
    --------
    >>> run = autoscale_run([3000.0] * 8)
    >>> run.replicas
    (5, 5, 5, 5, 5, 5, 5, 5)
    """
    config = config or AutoscalerConfig()
    if not load:
        raise ValueError("autoscale_run: load is empty; give at least one sync's load")
    for i, x in enumerate(load):
        _number("autoscale_run", f"load[{i}]", x)
        if x < 0:
            raise ValueError(f"autoscale_run: load[{i}]={x!r} is negative; allowed: >= 0")
    window = 0.0 if config.mutant == "no_window" else config.window  # the mutant has none
    rule_mutant = config.mutant if config.mutant != "no_window" else None
    pods: list[float] = [0.0 - config.startup] * config.min_replicas  # creation times
    recommendations: list[tuple[float, int]] = []
    times, loads, replicas, ready_counts, metrics = [], [], [], [], []
    for step, demand in enumerate(load):
        now = step * config.sync_period
        ready = sum(1 for made in pods if now - made >= config.startup)
        metric = 100.0 * demand / (max(ready, 1) * config.request)
        # as Kubernetes does, the rule scales the ready pods (starting pods take no load
        # yet); within the tolerance the count stays as it is, starting pods included
        want = desired_replicas(
            max(ready, 1), metric, config.target, config.tolerance, mutant=rule_mutant
        )
        if want == max(ready, 1):
            want = len(pods)
        want = max(config.min_replicas, min(config.max_replicas, want))
        recommendations.append((now, want))
        recommendations = [(t, n) for t, n in recommendations if t >= now - max(window, 0.0)]
        new = stabilised(recommendations, now, len(pods), window)
        if new > len(pods):
            pods += [now] * (new - len(pods))
        elif new < len(pods):
            pods = sorted(pods)[:new]  # remove the newest pods first
        times.append(now)
        loads.append(float(demand))
        replicas.append(len(pods))
        ready_counts.append(ready)
        metrics.append(round(metric, 3))
    return AutoscaleRun(
        tuple(times), tuple(loads), tuple(replicas), tuple(ready_counts), tuple(metrics), config
    )


# -- checks (each catches a mutant) --------------------------------------------------------------
OSCILLATION_LIMIT = 2
"""At most this many direction changes over the bursty pattern with the window on."""


def check_oscillation(mutant: str | None = None) -> Outcome:
    """Over 120 syncs (30 min) of the bursty load (seeds 0-2), at most 2 direction changes.

    >>> check_oscillation().ok, check_oscillation("no_window").ok
    (True, False)
    """
    for seed in range(3):
        run = autoscale_run(load_pattern("bursty", 120, seed), AutoscalerConfig(mutant=mutant))
        if run.oscillations > OSCILLATION_LIMIT:
            return Outcome(
                False, run.oscillations, f"seed {seed}: {run.oscillations} direction changes"
            )
    return Outcome(True)


def check_tolerance(mutant: str | None = None) -> Outcome:
    """Within 10 % of the target, the count does not move; just outside it, it does.

    >>> check_tolerance().ok, check_tolerance("no_tolerance").ok
    (True, False)
    """
    cases = [(10, 105, 100, 10), (10, 91, 100, 10), (10, 111, 100, 12), (10, 89, 100, 9)]
    for current, metric, target, want in cases:
        got = desired_replicas(current, metric, target, mutant=mutant)
        if got != want:
            return Outcome(False, 1, f"desired_replicas({current}, {metric}, {target}) = {got}")
    return Outcome(True)


def check_capacity_meets_target(mutant: str | None = None) -> Outcome:
    """After scaling, the same load over the new count is at or below the target.

    ``desired * target >= current * metric`` whenever the rule acts (outside the tolerance),
    over a grid of small cases.

    >>> check_capacity_meets_target().ok, check_capacity_meets_target("rounds_down").ok
    (True, False)
    """
    for current in range(1, 8):
        for metric in range(0, 301, 7):
            target = 60
            if abs(Fraction(metric, target) - 1) <= Fraction(1, 10):
                continue
            got = desired_replicas(current, metric, target, mutant=mutant)
            if got * target < current * metric:
                return Outcome(False, 1, f"desired_replicas({current}, {metric}, {target}) = {got}")
    return Outcome(True)


CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "oscillation count (bursty load)": check_oscillation,
    "tolerance of 10 %": check_tolerance,
    "capacity meets target": check_capacity_meets_target,
}
"""The autoscaler's checks by name; each takes a mutant name (or ``None``)."""

CAUGHT_BY: dict[str, tuple[str, ...]] = {
    "no_window": ("oscillation count (bursty load)",),
    "no_tolerance": ("tolerance of 10 %",),
    "rounds_down": ("capacity meets target",),
}
"""The check that must catch each mutant."""


def mutant_report() -> Any:
    """Every check on the correct autoscaler and on each mutant (``dslib.mutants``).

    >>> mutant_report().ok
    True
    """
    from dslib.mutants import Mutant, run_mutants

    mutants: list[Mutant[str | None]] = [
        Mutant(name, MUTANTS[name], _named(name), CAUGHT_BY[name]) for name in MUTANTS
    ]
    return run_mutants(_named(None), mutants, CHECKS)


def _named(name: str | None) -> Callable[[], str | None]:
    """A factory that builds a mutant's name (``None``: the correct version), which is what
    the checks take."""
    return lambda: name
