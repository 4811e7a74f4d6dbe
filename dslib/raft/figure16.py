"""Raft's Figure 16 as data: the deciles of every curve, read from the published plot.

Figure 16 of the extended Raft paper (Ongaro and Ousterhout, 2014, section
9.3) plots, for each election-timeout range, the cumulative distribution of the
time a five-server cluster went without a leader after its leader crashed, over
1000 trials per range (100 for 150-150 ms). The same LAN benchmark, with the
same caption and the same figures quoted in the text (287 ms, 513 ms, 35 ms,
152 ms), is Figure 10.x of Ongaro's dissertation ("Consensus: Bridging Theory
and Practice", 2014, section 9.4), whose source repository holds the two
graphs as SVG files drawn by ggplot:

- ``leaderelection/benchmarks-randomness.svg`` (the top graph: 150-150 to
  150-300 ms, logarithmic time axis) and
- ``leaderelection/benchmarks-scale.svg`` (the bottom graph: 12-24 to
  150-300 ms, linear time axis),

both at commit ``42841d17fe814dbc5d077428ba3fffb88fd91422`` of
``github.com/ongardie/dissertation``.

**How the numbers were read.** Each curve is one SVG ``<path>`` (its colour
identifies the range through the legend: ggplot's default hues, in legend
order) drawn as a step function with one step per trial: the point of trial
*k* of *n* (sorted) is at height ``(k - 0.5) / n`` of the plot, i.e. at
y = 145.141 - (k - 0.5) / n * 132.899 pt
(the y gridlines for 0 and 1 are at 145.1406 and 12.2422; the curves of 1000
trials rise in steps of 0.1329 pt, those of 100 trials in steps of 1.329 pt;
two or more trials with the same downtime make one taller step). The x of the
vertical segment that reaches the height of trial *k* is that trial's downtime,
so the deciles (trials 100, 200, ..., 900 of 1000: nearest rank) were read off
exactly, without interpolation; so were the first and the last point of each
curve (the shortest and the longest trial). What is stored below is the x
coordinate as written in the file (pt, to 1/256), transcribed by hand; the
conversion to ms is done here, by ``x_to_ms``:

- top graph, logarithmic: the major x gridlines for 100, 1000, 10^4 and 10^5 ms
  are at x = 54.4258, 127.0742, 199.7188 and 272.3672 (tick labels "100",
  "1000", "10000", "1e+05"), 72.6465 pt per decade, so
  ms = 10 ** (3 + (x - 127.074219) / 72.6465);
- bottom graph, linear: the x gridlines for 0 and 600 ms are at x = 41.9102 and
  323.3047 (tick labels "0" and "600", gridlines every 25 ms in between), so
  ms = (x - 41.910156) * 600 / 281.394532.

(Centring on the glyphs of the tick labels instead of the gridlines gives
1000 ms at x = 126.742 and 72.81 pt per decade, which reads the 150-155 ms
median as 291 ms rather than the text's 287: the gridlines are the axis.)

The mapping is checked against every figure the text states (see
``TEXT_CHECKS`` and ``tests/test_raft_figure16.py``): the median of 150-155 ms
reads 287.3 ms (text: 287), the longest 150-200 ms trial 512.4 ms (513), the
longest 12-24 ms trial 151.7 ms (152), and the shortest 150-150 ms trial
9.9 s (text: "consistently took longer than 10 seconds"); the 150-300 ms curve,
drawn in both graphs, reads the same in both (92.68 ms for its shortest trial,
124.4 ms for its 100th) although one axis is logarithmic and the other linear.

Precision: a coordinate is written to 1/256 pt, which is 0.013 % of the value
on the logarithmic axis and 0.02 ms on the linear one; the reading itself is
exact (each step is one trial). The text's 35 ms mean of 12-24 ms cannot be
checked from deciles and is not.

Examples
--------
>>> round(PAPER_DECILES["150-155"][4])
287
>>> paper_median("150-200"), paper_p90("150-200")
(146.3, 193.4)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "COMMIT",
    "CURVES",
    "PAPER_DECILES",
    "PAPER_MAX",
    "PAPER_MIN",
    "REPOSITORY",
    "TEXT_CHECKS",
    "Curve",
    "decile_distance",
    "paper_median",
    "paper_p90",
    "x_to_ms",
]

REPOSITORY = "github.com/ongardie/dissertation"
COMMIT = "42841d17fe814dbc5d077428ba3fffb88fd91422"
RANDOMNESS_SVG = "leaderelection/benchmarks-randomness.svg"
SCALE_SVG = "leaderelection/benchmarks-scale.svg"

# The axis mappings, from the gridlines of each file (pt).
LOG_X_1000MS = 127.074219
LOG_PT_PER_DECADE = 72.6465
LIN_X_0MS = 41.910156
LIN_PT_PER_600MS = 281.394532


def x_to_ms(graph: str, x: float) -> float:
    """The downtime (ms) at x (pt) on the time axis of one of the two graphs.

    ``graph`` is ``"randomness"`` (logarithmic axis) or ``"scale"`` (linear).

    Examples
    --------
    >>> round(x_to_ms("randomness", 127.074219)), round(x_to_ms("scale", 323.304688))
    (1000, 600)
    >>> x_to_ms("top", 100.0)
    Traceback (most recent call last):
    ...
    ValueError: x_to_ms: graph='top' must be 'randomness' or 'scale'
    """
    if graph == "randomness":
        return 10 ** (3 + (x - LOG_X_1000MS) / LOG_PT_PER_DECADE)
    if graph == "scale":
        return (x - LIN_X_0MS) * 600 / LIN_PT_PER_600MS
    raise ValueError(f"x_to_ms: graph={graph!r} must be 'randomness' or 'scale'")


@dataclass(frozen=True)
class Curve:
    """One curve of Figure 16 as transcribed: the x (pt) of its trials 1, 100k and n.

    Attributes
    ----------
    label : str
        The range, as ``range_label`` writes it (``"150-155"``).
    graph : str
        ``"randomness"`` or ``"scale"``: which SVG file, hence which axis.
    colour : str
        The stroke colour of its path in the file.
    trials : int
        The number of steps (trials) of the curve.
    first, last : float
        The x of its first and last point: the shortest and longest trial.
    deciles : tuple of float
        The x of trials n/10, 2n/10, ..., 9n/10 (nearest rank).
    """

    label: str
    graph: str
    colour: str
    trials: int
    first: float
    last: float
    deciles: tuple[float, ...]

    def ms(self) -> tuple[float, ...]:
        """The deciles in ms, rounded to 0.1 ms."""
        return tuple(round(x_to_ms(self.graph, x), 1) for x in self.deciles)


_R, _S = "randomness", "scale"
CURVES: tuple[Curve, ...] = (
    Curve("150-150", _R, "rgb(97.25%,46.27%,42.75%)", 100, 199.292969, 324.867188,
          (219.523438, 231.25, 234.699219, 240.4375, 243.972656, 250.3125, 254.144531,
           259.417969, 266.890625)),
    Curve("150-151", _R, "rgb(71.76%,62.35%,0%)", 1000, 49.726562, 193.582031,
          (100.757812, 115.300781, 121.90625, 127.699219, 132.777344, 139.304688,
           145.242188, 152.394531, 163.089844)),
    Curve("150-155", _R, "rgb(0%,72.94%,21.96%)", 1000, 49.410156, 151.121094,
          (59.960938, 65.71875, 82.480469, 85.367188, 87.71875, 89.925781, 99.621094,
           102.023438, 111.289062)),
    Curve("150-175", _R, "rgb(0%,74.90%,76.86%)", 1000, 49.074219, 111.480469,
          (56.476562, 59.035156, 61.300781, 63.429688, 65.234375, 67.21875, 69.167969,
           71.636719, 88.121094)),
    Curve("150-200", _R, "rgb(38.04%,61.18%,100%)", 1000, 50.078125, 105.980469,
          (57.492188, 60.082031, 62.460938, 64.582031, 66.441406, 68.027344, 69.695312,
           71.605469, 75.242188)),
    Curve("150-300", _R, "rgb(96.08%,39.22%,89.02%)", 1000, 52.027344, 111.128906,
          (61.320312, 64.605469, 66.886719, 69.183594, 71.382812, 73.769531, 76.226562,
           78.789062, 82.570312)),
    Curve("12-24", _S, "rgb(97.25%,46.27%,42.75%)", 1000, 49.074219, 113.039062,
          (51.15625, 52.648438, 53.980469, 54.984375, 55.988281, 57.273438, 60.257812,
           62.84375, 66.46875)),
    Curve("25-50", _S, "rgb(63.92%,64.71%,0%)", 1000, 53.144531, 171.503906,
          (56.230469, 57.714844, 59.140625, 60.535156, 62.070312, 63.582031, 65.5625,
           67.710938, 76.300781)),
    Curve("50-100", _S, "rgb(0%,74.90%,49.02%)", 1000, 59.316406, 160.695312,
          (64.171875, 67.234375, 69.335938, 71.007812, 73.171875, 75.136719, 77.78125,
           81.261719, 86.726562)),
    Curve("100-200", _S, "rgb(0%,69.02%,96.47%)", 1000, 72.742188, 199.097656,
          (81.800781, 86.621094, 91.003906, 93.925781, 98.203125, 102.324219, 107.441406,
           113.355469, 119.511719)),
)  # fmt: skip
"""Every curve of Figure 16, in the order of ``PAPER_RANGES`` (150-300 from the top graph)."""

# The 150-300 ms curve as drawn in the bottom graph (its first point and trial 100):
# the same trials as in the top graph, on the other axis. Used to check the two mappings.
SCALE_150_300_FIRST_AND_P10 = (85.375, 100.265625)

PAPER_DECILES: dict[str, tuple[float, ...]] = {c.label: c.ms() for c in CURVES}
"""Per range: the 10th, 20th, ..., 90th percentiles (nearest rank) of the paper's trials, ms."""

PAPER_MIN: dict[str, float] = {c.label: round(x_to_ms(c.graph, c.first), 1) for c in CURVES}
"""Per range: the paper's shortest trial, ms."""

PAPER_MAX: dict[str, float] = {c.label: round(x_to_ms(c.graph, c.last), 1) for c in CURVES}
"""Per range: the paper's longest trial, ms."""

TEXT_CHECKS: tuple[tuple[str, str, float, float], ...] = (
    ("150-155", "median", 287.0, PAPER_DECILES["150-155"][4]),
    ("150-200", "max", 513.0, PAPER_MAX["150-200"]),
    ("12-24", "max", 152.0, PAPER_MAX["12-24"]),
    ("150-150", "min", 10_000.0, PAPER_MIN["150-150"]),
)
"""(range, statistic, the text's figure, the figure read from the plot)."""


def paper_median(label: str) -> float:
    """The median downtime (ms) of the paper's trials for a range, read from Figure 16.

    Examples
    --------
    >>> paper_median("12-24")
    30.0
    >>> paper_median("10-20")
    Traceback (most recent call last):
    ...
    KeyError: "paper_median: no curve for range '10-20' in Figure 16"
    """
    return _decile(label, 5, "paper_median")


def paper_p90(label: str) -> float:
    """The 90th percentile (ms) of the paper's trials for a range, read from Figure 16.

    Examples
    --------
    >>> paper_p90("12-24")
    52.4
    """
    return _decile(label, 9, "paper_p90")


def _decile(label: str, k: int, where: str) -> float:
    if label not in PAPER_DECILES:
        raise KeyError(f"{where}: no curve for range {label!r} in Figure 16")
    return PAPER_DECILES[label][k - 1]


def _nearest_rank(values: Sequence[float], k: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(k / 10 * len(ordered)) - 1)]


def decile_distance(label: str, samples: Sequence[float]) -> float:
    """The largest relative gap between our deciles and the paper's, for one range.

    For k = 1..9: ``abs(ours_k - paper_k) / paper_k``, where ``ours_k`` is the nearest-rank
    (10 k)-th percentile of ``samples``; the maximum over k. ``math.inf`` if one of
    our deciles is censored (``math.inf``). It is a distance between the two
    distributions in their middle 80 %, in the units the text uses (relative
    error), rather than a Kolmogorov-Smirnov statistic, which the nine points
    read from the plot could not give exactly.

    Examples
    --------
    >>> paper = PAPER_DECILES["150-200"]
    >>> decile_distance("150-200", [d * 1.1 for d in paper])
    0.1
    >>> decile_distance("150-200", [])
    Traceback (most recent call last):
    ...
    ValueError: decile_distance: samples for '150-200' are empty
    """
    if not samples:
        raise ValueError(f"decile_distance: samples for {label!r} are empty")
    paper = PAPER_DECILES.get(label)
    if paper is None:
        raise KeyError(f"decile_distance: no curve for range {label!r} in Figure 16")
    gaps = [abs(_nearest_rank(samples, k) - p) / p for k, p in enumerate(paper, start=1)]
    return round(max(gaps), 4)
