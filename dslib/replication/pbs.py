"""Probabilistically bounded staleness: how stale are partial quorums, and for how long?

Dynamo-style stores let the operator pick ``N`` replicas, a write quorum
``W`` and a read quorum ``R``. With ``R + W > N`` every read quorum meets every
write quorum (``dslib.verify`` proves it); with ``R + W <= N`` (cheaper and
faster) a read may miss the latest write. Bailis, Venkataraman, Franklin,
Hellerstein and Stoica ("Probabilistically Bounded Staleness for Practical
Partial Quorums", VLDB 2012) asked *how often*, and *for how long after a
write*. This module answers both:

- ``k_staleness(n, r, w, k)``: the probability that a read returns one of the
  last ``k`` versions, when quorums are chosen uniformly at random (§3.2,
  Equation 3): ``1 - (C(N-W, R) / C(N, R)) ** k``, as an exact fraction;
  ``k_staleness_monte_carlo`` estimates the same by drawing quorums;
- ``t_visibility(n, r, w, legs, ...)``: the probability that a read started
  ``t`` after a write *committed* returns it, from the WARS model (§4.2): a
  write travels to each replica (leg W) and is acknowledged (A); a read
  request travels to each replica (R) and is answered (S); the write commits
  at its W-th acknowledgement, the read returns at its R-th answer. Monte
  Carlo over per-leg latency distributions, with read and write latencies;
- ``simulate_t_visibility``: the same experiment run by real nodes in the
  discrete-event simulator (each leg a delay drawn by the node that sends),
  to check the fast model against the protocol;
- ``availability`` and ``availability_probability``: can a quorum be formed
  when ``f`` replicas are down, or each is down with probability ``p``;
- ``intersection(n, r, w)``: the z3 verdict on whether read and write quorums
  intersect (``dslib.verify.read_write``);
- ``MUTANTS``, ``pbs_mutant_table``: broken versions of the functions above
  (``mutant=``), and the checks against independent oracles that catch them
  (enumeration of quorums and of failure sets, the simulated nodes).

Examples
--------
>>> k_staleness(3, 1, 1)
Fraction(1, 3)
>>> k_staleness(3, 1, 1, k=2)
Fraction(5, 9)
>>> k_staleness(3, 2, 2)
Fraction(1, 1)
"""

from __future__ import annotations

import bisect
import collections
import functools
import itertools
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, cast

from dslib.core import Context, Node, System
from dslib.mutants import (
    MutantReport,
    Outcome,
    check_mutant,
    check_name,
    seeded_mutant_report,
    seeded_mutant_table,
)
from dslib.sim.network import Latency, Network, as_latency, exponential
from dslib.sim.simulator import Simulation
from dslib.stats import is_number, nearest_rank, percentile

__all__ = [
    "LEGS",
    "MUTANTS",
    "MUTANT_CHECKS",
    "PAPER_TABLE_4",
    "PAPER_TEXT",
    "PBS_CHECKS",
    "Coordinator",
    "MixtureLatency",
    "PBSReplica",
    "Production",
    "TVisibility",
    "WarsDraws",
    "availability",
    "availability_by_enumeration",
    "availability_probability",
    "default_legs",
    "first_passage_t",
    "intersection",
    "k_staleness",
    "k_staleness_by_enumeration",
    "k_staleness_monte_carlo",
    "pareto_exponential",
    "pbs_catch_rate",
    "pbs_mutant_report",
    "pbs_mutant_table",
    "production_settings",
    "production_table",
    "simulate_t_visibility",
    "standard_error",
    "t_visibility",
    "wars_draws",
]

LEGS = ("write", "ack", "read", "response")
"""The four legs of the WARS model: write request, write acknowledgement, read
request, read response (Bailis et al. 2012, §4.2)."""

MUTANTS: dict[str, str] = {
    "denominator_w": "k-staleness divides the read quorums that miss a write by C(N, W), "
    "the number of write quorums, instead of C(N, R)",
    "written_not_reset": "the k-staleness Monte Carlo makes its set of written replicas once, "
    "outside the trial loop, so every trial keeps the writes of the trials before it",
    "read_leg_ignored": "the WARS model lets the read reach every replica at commit + t, "
    "forgetting the read request's own latency R_i",
    "commit_without_ack": "the WARS write commits when W replicas have it, forgetting the "
    "latency A_i of their acknowledgements",
    "quorums_swapped": "availability asks for W replicas up to read and R to write",
}
"""The broken versions of this module's functions (``mutant=`` name -> what is wrong).

Every function that takes ``mutant=`` accepts any of these names; a mutant of another
function leaves it correct (``k_staleness(..., mutant="quorums_swapped")`` is exact), so that
a check can pass one name to every function it calls."""


def _check_nrw(n: int, r: int, w: int, where: str) -> None:
    for name, v in (("N", n), ("R", r), ("W", w)):
        if not (isinstance(v, int) and not isinstance(v, bool)):
            raise TypeError(f"{where}: {name}={v!r} must be an int")
    if n < 1:
        raise ValueError(f"{where}: N={n} must be >= 1")
    for name, v in (("R", r), ("W", w)):
        if not 1 <= v <= n:
            raise ValueError(f"{where}: {name}={v} must be between 1 and N={n}")


def k_staleness(n: int, r: int, w: int, k: int = 1, mutant: str | None = None) -> Fraction:
    """The probability that a read returns one of the last ``k`` versions (PBS §3.2, Eq. 3).

    Each write goes to a write quorum of ``w`` replicas and each read to a
    read quorum of ``r``, all drawn uniformly at random from ``n``. A read
    misses one write when its quorum falls entirely outside that write's
    quorum: ``C(n - w, r) / C(n, r)`` ways out of all. It misses the last
    ``k`` independent writes with that probability to the power ``k``.

    Parameters
    ----------
    n, r, w : int
        Replicas, read quorum, write quorum (``1 <= r, w <= n``).
    k : int, default 1
        How many of the latest versions count as fresh enough.
    mutant : str, optional
        A name from ``MUTANTS`` (``"denominator_w"`` breaks this function).

    Returns
    -------
    Fraction
        Exactly; 1 whenever ``r + w > n``.

    Raises
    ------
    ValueError, TypeError
        If the sizes are out of range, or ``mutant`` is not in ``MUTANTS``.

    Examples
    --------
    >>> k_staleness(5, 1, 1), k_staleness(5, 2, 2), k_staleness(5, 3, 3)
    (Fraction(1, 5), Fraction(7, 10), Fraction(1, 1))
    >>> float(k_staleness(100, 1, 1, k=10))   # doctest: +ELLIPSIS
    0.0956...
    """
    _check_nrw(n, r, w, "k_staleness")
    if not (isinstance(k, int) and not isinstance(k, bool) and k >= 1):
        raise ValueError(f"k_staleness: k={k!r} must be an int >= 1")
    check_mutant("k_staleness", mutant, MUTANTS)
    if mutant == "denominator_w":
        miss = Fraction(math.comb(n - w, r), math.comb(n, w))  # counted among write quorums
    else:
        miss = Fraction(math.comb(n - w, r), math.comb(n, r))
    return 1 - miss**k


def standard_error(p: float, trials: int) -> float:
    """The standard error of a binomial proportion ``p`` estimated from ``trials`` draws.

    >>> round(standard_error(0.5, 10_000), 4)
    0.005
    """
    if not (isinstance(trials, int) and trials >= 1):
        raise ValueError(f"standard_error: trials={trials!r} must be an int >= 1")
    if not 0 <= p <= 1:
        raise ValueError(f"standard_error: p={p!r} must be a probability")
    return math.sqrt(p * (1 - p) / trials)


def k_staleness_monte_carlo(
    n: int,
    r: int,
    w: int,
    k: int = 1,
    trials: int = 10_000,
    seed: int = 0,
    mutant: str | None = None,
) -> float:
    """Estimate ``k_staleness`` by drawing ``k`` write quorums and a read quorum per trial.

    ``mutant`` is a name from ``MUTANTS`` (``"written_not_reset"`` breaks this function).

    Examples
    --------
    >>> est = k_staleness_monte_carlo(5, 1, 2, trials=20_000, seed=1)
    >>> abs(est - float(k_staleness(5, 1, 2))) < 4 * standard_error(0.4, 20_000)
    True
    """
    _check_nrw(n, r, w, "k_staleness_monte_carlo")
    if not (isinstance(k, int) and k >= 1):
        raise ValueError(f"k_staleness_monte_carlo: k={k!r} must be an int >= 1")
    if not (isinstance(trials, int) and trials >= 1):
        raise ValueError(f"k_staleness_monte_carlo: trials={trials!r} must be an int >= 1")
    check_mutant("k_staleness_monte_carlo", mutant, MUTANTS)
    rng = random.Random(f"pbs-k:{seed}")
    replicas = range(n)
    hits = 0
    written: set[int] = set()
    for _ in range(trials):
        if mutant != "written_not_reset":
            written = set()  # the replicas this trial's k writes reached
        for _ in range(k):
            written.update(rng.sample(replicas, w))
        if not written.isdisjoint(rng.sample(replicas, r)):
            hits += 1
    return hits / trials


def default_legs() -> dict[str, Latency]:
    """Latency of each leg (ms): writes slower (a disk write), the rest fast.

    >>> sorted(default_legs())
    ['ack', 'read', 'response', 'write']
    """
    return {
        "write": exponential(8.0),
        "ack": exponential(2.0),
        "read": exponential(2.0),
        "response": exponential(2.0),
    }


def _legs(legs: Mapping[str, Any] | None) -> dict[str, Latency]:
    out = default_legs()
    if legs is None:
        return out
    unknown = sorted(set(legs) - set(LEGS))
    if unknown:
        raise ValueError(f"unknown legs {unknown}; the legs are {list(LEGS)}")
    for name, lat in legs.items():
        out[name] = as_latency(lat)
    return out


def _t_for(ordered: Any, p: float) -> float:
    """``TVisibility.t_for`` on the sorted thresholds (a list or a NumPy array)."""
    if not 0 < p <= 1:
        raise ValueError(f"t_for: p={p!r} must be in (0, 1]")
    return max(0.0, float(ordered[max(0, math.ceil(p * len(ordered)) - 1)]))


def _t_interval(ordered: Any, p: float, z: float) -> tuple[float, float]:
    """``TVisibility.t_interval`` on the sorted thresholds (a list or a NumPy array)."""
    if not 0 < p < 1:
        raise ValueError(f"t_interval: p={p!r} must be in (0, 1)")
    n = len(ordered)
    centre, half = p * n, z * math.sqrt(n * p * (1 - p))
    lo = min(n, max(1, math.floor(centre - half)))
    hi = min(n, max(1, math.ceil(centre + half)))
    return max(0.0, float(ordered[lo - 1])), max(0.0, float(ordered[hi - 1]))


@dataclass(frozen=True)
class TVisibility:
    """The outcome of a t-visibility experiment.

    Attributes
    ----------
    n, r, w : int
    trials : int
    thresholds : tuple of float
        Per trial: the smallest delay ``t`` after the commit at which the read
        would have returned the write (negative: even a read started at the
        commit instant sees it).
    read_latencies, write_latencies : tuple of float
        Per trial.

    Examples
    --------
    >>> tv = t_visibility(3, 1, 1, trials=500, seed=0)
    >>> tv.trials, tv.probability(1e9)
    (500, 1.0)
    """

    n: int
    r: int
    w: int
    trials: int
    thresholds: tuple[float, ...] = field(repr=False)
    read_latencies: tuple[float, ...] = field(repr=False)
    write_latencies: tuple[float, ...] = field(repr=False)

    def probability(self, t: float) -> float:
        """The fraction of trials in which a read started ``t`` after the commit saw the write."""
        return sum(1 for x in self.thresholds if x <= t) / self.trials

    def curve(self, times: Sequence[float]) -> list[float]:
        """``probability(t)`` for each ``t`` of ``times``."""
        s = sorted(self.thresholds)
        out = []
        for t in times:
            out.append(bisect.bisect_right(s, t) / self.trials)
        return out

    def t_for(self, p: float) -> float:
        """The smallest ``t`` at which reads see the write with probability at least ``p``.

        >>> tv = t_visibility(3, 1, 1, trials=2000, seed=1)
        >>> tv.probability(tv.t_for(0.99)) >= 0.99
        True
        """
        return _t_for(sorted(self.thresholds), p)

    def t_interval(self, p: float, z: float = 1.96) -> tuple[float, float]:
        """A confidence interval for ``t_for(p)`` from order statistics, free of any law.

        The number of trials at or below the true ``p``-quantile is binomial
        (``trials``, ``p``); the interval runs between the order statistics
        ``z`` standard deviations either side of ``p * trials`` (about 95 %
        for the default ``z``).

        >>> tv = t_visibility(3, 1, 1, trials=5000, seed=1)
        >>> lo, hi = tv.t_interval(0.99)
        >>> lo <= tv.t_for(0.99) <= hi
        True
        """
        return _t_interval(sorted(self.thresholds), p, z)

    def latency(self, which: str, q: float) -> float:
        """The ``q``-th percentile of the ``"read"`` or ``"write"`` latencies."""
        if which not in ("read", "write"):
            raise ValueError(f"latency: which={which!r}; choose 'read' or 'write'")
        return percentile(self.read_latencies if which == "read" else self.write_latencies, q)


def t_visibility(
    n: int,
    r: int,
    w: int,
    legs: Mapping[str, Any] | None = None,
    trials: int = 2000,
    seed: int = 0,
    remote_delay: float = 0.0,
    mutant: str | None = None,
) -> TVisibility:
    """Monte Carlo of the WARS model (PBS §4.2): when does a read see the last committed write?

    Per trial, for each replica ``i``: the write reaches it after ``W_i``, its
    acknowledgement takes ``A_i``; a read request takes ``R_i``, the answer
    ``S_i`` (each drawn from ``legs``). The write commits at the ``w``-th
    smallest ``W_i + A_i``. A read started ``t`` later reaches replica ``i``
    at ``commit + t + R_i``, which then has the write if ``W_i`` is not later;
    the read returns the first ``r`` answers (smallest ``R_i + S_i``), and
    sees the write if any of them had it.

    Parameters
    ----------
    n, r, w : int
    legs : mapping of str to Latency or number, optional
        Latency of ``"write"``, ``"ack"``, ``"read"``, ``"response"``
        (default ``default_legs()``); a number is a constant delay.
    trials : int, default 2000
    seed : int, default 0
    remote_delay : float, default 0.0
        PBS's ``WAN`` scenario (§5.4): each replica sits in its own data
        centre; the write's coordinator is in the data centre of one replica
        drawn at random, the read's in another drawn independently, and every
        leg to or from a replica in another data centre takes
        ``remote_delay`` more (the paper uses 75 ms).
    mutant : str, optional
        A name from ``MUTANTS`` (``"read_leg_ignored"`` and
        ``"commit_without_ack"`` break this function).

    Examples
    --------
    >>> tv = t_visibility(3, 1, 1, trials=4000, seed=2)
    >>> round(tv.probability(0.0), 2), round(tv.probability(20.0), 2)
    (0.51, 0.95)
    >>> t_visibility(3, 2, 2).probability(0.0)   # R + W > N: always
    1.0
    """
    _check_nrw(n, r, w, "t_visibility")
    check_mutant("t_visibility", mutant, MUTANTS)
    return _wars_outcome(wars_draws(n, legs, trials, seed, remote_delay), r, w, mutant)


@dataclass(frozen=True, eq=False)
class WarsDraws:
    """The latencies of ``trials`` WARS trials, each leg an array of shape ``(trials, n)``.

    Drawn once by ``wars_draws`` and judged for any ``r`` and ``w`` by
    ``WarsDraws.outcome``: the paper's Table 4 compares quorum sizes on the
    same latencies.
    """

    n: int
    write: Any = field(repr=False)
    ack: Any = field(repr=False)
    read: Any = field(repr=False)
    response: Any = field(repr=False)

    @property
    def trials(self) -> int:
        """The number of trials drawn."""
        return int(self.write.shape[0])

    def outcome(self, r: int, w: int, mutant: str | None = None) -> TVisibility:
        """The t-visibility of read quorum ``r`` and write quorum ``w`` on these latencies.

        ``mutant`` is a name from ``MUTANTS``, as for ``t_visibility``.
        """
        _check_nrw(self.n, r, w, "WarsDraws.outcome")
        check_mutant("WarsDraws.outcome", mutant, MUTANTS)
        return _wars_outcome(self, r, w, mutant)


def wars_draws(
    n: int,
    legs: Mapping[str, Any] | None = None,
    trials: int = 2000,
    seed: int = 0,
    remote_delay: float = 0.0,
) -> WarsDraws:
    """Draw the four legs of ``trials`` WARS trials for ``n`` replicas (see ``t_visibility``).

    Per trial, in this order: ``n`` write legs, ``n`` acknowledgements, ``n``
    read requests, ``n`` responses, then (with ``remote_delay``) the write's
    and the read's data centre; the same seed gives the same draws.

    >>> d = wars_draws(3, trials=1000, seed=1)
    >>> d.trials, d.write.shape
    (1000, (1000, 3))
    >>> same = t_visibility(3, 1, 1, trials=1000, seed=1)
    >>> d.outcome(1, 1).thresholds == same.thresholds
    True
    """
    import numpy as np

    _check_nrw(n, 1, 1, "wars_draws")
    if not (isinstance(trials, int) and not isinstance(trials, bool) and trials >= 1):
        raise ValueError(f"t_visibility: trials={trials!r} must be an int >= 1")
    if not (is_number(remote_delay) and remote_delay >= 0 and math.isfinite(remote_delay)):
        raise ValueError(
            f"t_visibility: remote_delay={remote_delay!r} must be a finite number >= 0"
        )
    lat = _legs(legs)
    rng = random.Random(f"pbs-wars:{seed}")
    samplers = [lat[name].sample for name in LEGS]
    per_trial = 4 * n

    def draws() -> Any:
        for _ in range(trials):
            for sample in samplers:
                for _ in range(n):
                    yield sample(rng)

    if all(isinstance(lat[name], MixtureLatency) for name in LEGS):
        # PBS's fitted laws draw in NumPy: a million trials in a second (the paper's
        # latency columns use a million operations)
        gen = np.random.default_rng(rng.getrandbits(64))
        write, ack, read, response = (
            cast(MixtureLatency, lat[name]).sample_array(gen, (trials, n)) for name in LEGS
        )
        if remote_delay:
            replicas = np.arange(n)
            homes = gen.integers(0, n, size=(trials, 2))
            write_away = replicas[None, :] != homes[:, :1]
            read_away = replicas[None, :] != homes[:, 1:]
            write += remote_delay * write_away
            ack += remote_delay * write_away
            read += remote_delay * read_away
            response += remote_delay * read_away
        return WarsDraws(n, write, ack, read, response)
    if remote_delay:
        values = np.empty((trials, per_trial))
        homes = np.empty((trials, 2), dtype=np.int64)
        for k in range(trials):
            values[k] = [sample(rng) for sample in samplers for _ in range(n)]
            homes[k] = (rng.randrange(n), rng.randrange(n))
    else:
        values = np.fromiter(draws(), dtype=float, count=trials * per_trial).reshape(
            trials, per_trial
        )
    legs4 = values.reshape(trials, 4, n)
    write, ack, read, response = (legs4[:, j, :].copy() for j in range(4))
    if remote_delay:
        replicas = np.arange(n)
        write_away = replicas[None, :] != homes[:, :1]
        read_away = replicas[None, :] != homes[:, 1:]
        write += remote_delay * write_away
        ack += remote_delay * write_away
        read += remote_delay * read_away
        response += remote_delay * read_away
    return WarsDraws(n, write, ack, read, response)


def _wars_arrays(d: WarsDraws, r: int, w: int, mutant: str | None = None) -> tuple[Any, Any, Any]:
    """Per trial: the threshold t, the read's latency and the write's (NumPy arrays)."""
    import numpy as np

    # the write commits at its w-th acknowledgement, back at the coordinator at W_i + A_i
    acked = d.write if mutant == "commit_without_ack" else d.write + d.ack
    commit = np.sort(acked, axis=1)[:, w - 1]
    # the first r answers, ties to the lower replica (a stable sort keeps index order)
    order = np.argsort(d.read + d.response, axis=1, kind="stable")[:, :r]
    rows = np.arange(d.trials)[:, None]
    # replica i has the write for a read started t after the commit if W_i <= commit + t + R_i
    request = 0.0 if mutant == "read_leg_ignored" else d.read[rows, order]
    thresholds = (d.write[rows, order] - request - commit[:, None]).min(axis=1)
    last = order[:, -1]
    one = np.arange(d.trials)
    reads = d.read[one, last] + d.response[one, last]
    return thresholds, reads, commit


def _wars_outcome(d: WarsDraws, r: int, w: int, mutant: str | None = None) -> TVisibility:
    thresholds, reads, commit = _wars_arrays(d, r, w, mutant)
    return TVisibility(
        d.n,
        r,
        w,
        d.trials,
        tuple(thresholds.tolist()),
        tuple(reads.tolist()),
        tuple(commit.tolist()),
    )


# == the paper's production latencies (PBS §5.3-5.6) ===========================================
class MixtureLatency(Latency):
    """A Pareto body with an exponential tail (``pareto_exponential``), drawable in NumPy too."""

    def __init__(
        self, share: float, xm: float, alpha: float, rate: float, description: str
    ) -> None:
        self.share, self.xm, self.alpha, self.rate = share, xm, alpha, rate

        def sample(rng: random.Random) -> float:
            if rng.random() < share:
                return xm * rng.paretovariate(alpha)
            return rng.expovariate(rate)

        super().__init__(sample, description)
        self._draw = sample  # valid by construction

    def sample_array(self, gen: Any, size: tuple[int, ...]) -> Any:
        """Draw an array of delays of shape ``size`` with a NumPy ``Generator``."""
        import numpy as np

        pareto = self.xm * (1.0 + gen.pareto(self.alpha, size))  # NumPy's is Lomax: shift it
        expo = gen.exponential(1.0 / self.rate, size)
        return np.where(gen.random(size) < self.share, pareto, expo)


def pareto_exponential(pareto_share: float, xm: float, alpha: float, rate: float) -> Latency:
    """PBS's fitted latency law (Table 3): a Pareto body with an exponential tail, in ms.

    With probability ``pareto_share`` a Pareto delay with scale ``xm`` and shape
    ``alpha`` (``xm`` times a classical Pareto(alpha), so never below ``xm``),
    otherwise an exponential delay of rate ``rate`` per ms (mean ``1 / rate``).

    >>> leg = pareto_exponential(0.9122, 0.235, 10, 1.66)
    >>> leg
    91.22% Pareto(xm=0.235, alpha=10) + 8.78% exponential(rate=1.66/ms)
    >>> rng = random.Random(0)
    >>> mean = 0.9122 * 0.235 * 10 / 9 + 0.0878 / 1.66   # Pareto's mean is xm alpha / (alpha - 1)
    >>> abs(sum(leg.sample(rng) for _ in range(20000)) / 20000 - mean) < 0.01
    True
    """
    for key, v in (("pareto_share", pareto_share), ("xm", xm), ("alpha", alpha), ("rate", rate)):
        if not (is_number(v) and math.isfinite(v)):
            raise ValueError(f"pareto_exponential: {key}={v!r} must be a finite number")
    if not 0 <= pareto_share <= 1:
        raise ValueError(f"pareto_exponential: pareto_share={pareto_share!r} must be in [0, 1]")
    if xm <= 0 or alpha <= 0 or rate <= 0:
        raise ValueError(
            f"pareto_exponential: xm={xm!r}, alpha={alpha!r} and rate={rate!r} must all be > 0"
        )
    share = float(pareto_share)
    desc = (
        f"{100 * share:.2f}% Pareto(xm={xm}, alpha={alpha}) + "
        f"{100 * (1 - share):.2f}% exponential(rate={rate}/ms)"
    )
    return MixtureLatency(share, float(xm), float(alpha), float(rate), desc)


@dataclass(frozen=True)
class Production:
    """One of PBS's production latency settings: the four legs, and the WAN's extra delay."""

    name: str
    legs: Mapping[str, Latency] = field(repr=False)
    remote_delay: float = 0.0
    source: str = ""


def production_settings() -> dict[str, Production]:
    """PBS's four latency settings (§5.3-5.4, Table 3), in ms.

    - ``LNKD-SSD``: LinkedIn's Voldemort on SSDs; all four legs
      91.22 % Pareto(0.235, 10) + 8.78 % exponential(1.66).
    - ``LNKD-DISK``: the same, except the write leg (spinning disks):
      38 % Pareto(1.05, 1.51) + 62 % exponential(0.183).
    - ``YMMR``: Yammer's Riak; write 93.9 % Pareto(3, 3.35) + 6.1 %
      exponential(0.0028); the other legs 98.2 % Pareto(1.5, 3.8) + 1.8 %
      exponential(0.0217).
    - ``WAN``: ``LNKD-DISK`` with every replica in its own data centre and
      75 ms more on each leg that crosses to another.

    >>> sorted(production_settings())
    ['LNKD-DISK', 'LNKD-SSD', 'WAN', 'YMMR']
    """
    ssd = pareto_exponential(0.9122, 0.235, 10, 1.66)
    disk_write = pareto_exponential(0.38, 1.05, 1.51, 0.183)
    ymmr_write = pareto_exponential(0.939, 3, 3.35, 0.0028)
    ymmr_rest = pareto_exponential(0.982, 1.5, 3.8, 0.0217)
    disk = {"write": disk_write, "ack": ssd, "read": ssd, "response": ssd}
    return {
        "LNKD-SSD": Production("LNKD-SSD", dict.fromkeys(LEGS, ssd), 0.0, "Table 3"),
        "LNKD-DISK": Production("LNKD-DISK", disk, 0.0, "Table 3"),
        "YMMR": Production(
            "YMMR",
            {"write": ymmr_write, "ack": ymmr_rest, "read": ymmr_rest, "response": ymmr_rest},
            0.0,
            "Table 3",
        ),
        "WAN": Production("WAN", disk, 75.0, "§5.4"),
    }


PAPER_TABLE_4: dict[tuple[str, int, int], tuple[float, float, float]] = {
    ("YMMR", 1, 1): (5.58, 10.83, 1364.0),
    ("YMMR", 1, 2): (5.61, 427.12, 1352.0),
    ("YMMR", 2, 1): (32.6, 10.73, 202.0),
    ("YMMR", 2, 2): (33.18, 428.11, 0.0),
    ("YMMR", 3, 1): (219.27, 10.79, 0.0),
    ("YMMR", 1, 3): (5.63, 1870.86, 0.0),
    ("WAN", 1, 1): (3.4, 55.12, 113.0),
    ("WAN", 1, 2): (3.4, 167.64, 0.0),
    ("WAN", 2, 1): (151.3, 56.36, 30.2),
    ("WAN", 2, 2): (151.31, 167.72, 0.0),
    ("WAN", 3, 1): (153.86, 55.19, 0.0),
    ("WAN", 1, 3): (3.44, 241.55, 0.0),
    ("LNKD-SSD", 1, 1): (0.66, 0.66, 1.85),
    ("LNKD-SSD", 1, 2): (0.66, 1.63, 1.79),
    ("LNKD-SSD", 2, 1): (1.63, 0.65, 0.0),
    ("LNKD-SSD", 2, 2): (1.62, 1.64, 0.0),
    ("LNKD-SSD", 3, 1): (4.14, 0.65, 0.0),
    ("LNKD-SSD", 1, 3): (0.65, 4.09, 0.0),
    ("LNKD-DISK", 1, 1): (0.66, 10.99, 45.5),
    ("LNKD-DISK", 1, 2): (0.65, 20.97, 43.3),
    ("LNKD-DISK", 2, 1): (1.63, 10.9, 13.6),
    ("LNKD-DISK", 2, 2): (1.64, 20.96, 0.0),
    ("LNKD-DISK", 3, 1): (4.12, 10.89, 0.0),
    ("LNKD-DISK", 1, 3): (0.65, 112.65, 0.0),
}
"""PBS's Table 4, N = 3: for each (setting, R, W) the 99.9th percentile read
latency L_r, write latency L_w (ms, over 1M operations) and the t-visibility
at 99.9 % (ms, over 50,000 writes and reads). Read from the authors' LaTeX
source (github.com/pbailis/pbs-vldb-historical-paper-material,
``writeup/ernst.tex``), which may differ in details from the printed paper."""

PAPER_TEXT: dict[tuple[str, float], float] = {
    ("YMMR", 0.0): 0.893,
    ("LNKD-SSD", 0.0): 0.975,
    ("LNKD-DISK", 0.0): 0.439,
    ("YMMR", 10.0): 0.939,
    ("LNKD-SSD", 10.0): 1.0,
    ("LNKD-DISK", 10.0): 0.925,
}
"""PBS §5.5, N = 3, R = W = 1: the probability of a consistent read at ``t``
ms after the commit ("Immediately after write commit ... Ten milliseconds
after")."""


def production_table(trials: int = 1_000_000, seed: int = 0) -> list[dict[str, Any]]:
    """PBS's Table 4 recomputed: per setting and (R, W), ours beside the paper's.

    ``trials`` writes and reads per setting (the paper used a million for the
    latencies and 50,000 for t; a million for both makes our own sampling
    error small beside the paper's); one set of draws per setting serves every
    (R, W), as in the paper. Rows: the setting, R, W, our and the paper's L_r
    and L_w (99.9th percentiles) and t (t-visibility at 99.9 %), in ms, and a
    95 % interval for our t (as ``TVisibility.t_interval``).

    >>> rows = production_table(trials=2000)
    >>> len(rows), sorted(rows[0])[:4]
    (24, ['L_r ours', 'L_r paper', 'L_w ours', 'L_w paper'])
    """
    import numpy as np

    rows: list[dict[str, Any]] = []
    for name, setting in production_settings().items():
        draws = wars_draws(3, setting.legs, trials, seed, setting.remote_delay)
        rank = nearest_rank(trials, 99.9) - 1
        for r, w in ((1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (1, 3)):
            thresholds, reads, writes = _wars_arrays(draws, r, w)
            ordered = np.sort(thresholds)
            l_r, l_w, t = PAPER_TABLE_4[(name, r, w)]
            rows.append(
                {
                    "setting": name,
                    "R": r,
                    "W": w,
                    "L_r ours": float(np.partition(reads, rank)[rank]),
                    "L_r paper": l_r,
                    "L_w ours": float(np.partition(writes, rank)[rank]),
                    "L_w paper": l_w,
                    "t ours": _t_for(ordered, 0.999),
                    "t ours, 95% interval": _t_interval(ordered, 0.999, 1.96),
                    "t paper": t,
                }
            )
    return rows


def first_passage_t(
    setting: Production,
    r: int,
    w: int,
    step: float,
    trials: int = 50_000,
    p: float = 0.999,
    seed: int = 0,
    limit: float = 10_000.0,
) -> float:
    """The t-visibility as PBS's published simulator searched for it: a sweep of ``t``.

    For ``t = 0, step, 2 step, ...`` it draws ``trials`` fresh WARS trials,
    estimates P(consistent at t), and stops at the first ``t`` whose estimate
    reaches ``p``. Each estimate is noisy, and the first of many noisy
    estimates to cross ``p`` tends to cross early, so this reads the quantile
    low where the curve approaches ``p`` slowly (a long write tail); and it
    rounds up to the grid. ``production_table`` instead takes the quantile of
    one large sample. Returns ``math.inf`` if ``limit`` is reached first.

    >>> ssd = production_settings()["LNKD-SSD"]
    >>> first_passage_t(ssd, 2, 2, step=0.5, trials=2000)   # R + W > N: never stale
    0.0
    >>> first_passage_t(ssd, 1, 1, step=0.5, trials=2000)   # on a grid of 0.5 ms
    2.5
    """
    _check_nrw(3, r, w, "first_passage_t")
    if not (is_number(step) and step > 0):
        raise ValueError(f"first_passage_t: step={step!r} must be a number > 0")
    k = 0
    while k * step <= limit:
        t = k * step
        draws = wars_draws(3, setting.legs, trials, seed * 1_000_003 + k, setting.remote_delay)
        thresholds, _, _ = _wars_arrays(draws, r, w)
        if float((thresholds <= t).mean()) >= p:
            return t
        k += 1
    return math.inf


# == the same experiment, run by nodes in the simulator =========================================
@dataclass(frozen=True)
class _Write:
    trial: int


@dataclass(frozen=True)
class _Ack:
    trial: int


@dataclass(frozen=True)
class _Read:
    trial: int


@dataclass(frozen=True)
class _Answer:
    trial: int
    version: int


class PBSReplica(Node[int]):
    """A replica for ``simulate_t_visibility``: its state is the latest version it has.

    It delays its answers itself (a timer drawn from its leg's distribution),
    so that the network can be instantaneous and each leg have its own law.

    Examples
    --------
    >>> PBSReplica(default_legs()).coordinator
    'coordinator'
    """

    def __init__(self, legs: Mapping[str, Latency], coordinator: str = "coordinator") -> None:
        self.legs = dict(legs)
        self.coordinator = coordinator

    def init(self, ctx: Context) -> int:
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        if isinstance(msg, _Write):
            ctx.set_timer(("ack", msg.trial), self.legs["ack"].sample(ctx.rng))
            return max(state, msg.trial)
        if isinstance(msg, _Read):
            ctx.set_timer(("answer", msg.trial, state), self.legs["response"].sample(ctx.rng))
        return state

    def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
        if timer[0] == "ack":
            ctx.send(self.coordinator, _Ack(timer[1]))
        else:
            ctx.send(self.coordinator, _Answer(timer[1], timer[2]))
        return state


@dataclass(frozen=True)
class _CoordState:
    trial: int = 0
    acks: int = 0
    answers: tuple[int, ...] = ()
    committed_at: float = 0.0
    results: tuple[tuple[int, bool, float, float], ...] = ()


class Coordinator(Node[_CoordState]):
    """Runs ``trials`` write-then-read rounds against the replicas of ``simulate_t_visibility``.

    Round ``k`` writes version ``k`` (each write request delayed by the
    write leg), waits for ``w`` acknowledgements, waits ``delay``, then reads
    (each read request delayed by the read leg) and records whether the first
    ``r`` answers include version ``k``. The next round starts when every
    message of this one has arrived.

    Examples
    --------
    >>> Coordinator(["n1", "n2"], r=1, w=1, delay=0.0, legs=default_legs(), trials=3).trials
    3
    """

    def __init__(
        self,
        replicas: Sequence[str],
        r: int,
        w: int,
        delay: float,
        legs: Mapping[str, Latency],
        trials: int,
    ) -> None:
        self.replicas = tuple(replicas)
        self.r, self.w, self.delay = r, w, float(delay)
        self.legs = dict(legs)
        self.trials = trials

    def init(self, ctx: Context) -> _CoordState:
        ctx.set_timer("round", 0.0)
        return _CoordState()

    def on_timer(self, ctx: Context, state: _CoordState, timer: Any) -> _CoordState:
        if timer == "round":
            k = state.trial + 1
            for i in range(len(self.replicas)):
                ctx.set_timer(("write", k, i), self.legs["write"].sample(ctx.rng))
            return _CoordState(k, 0, (), ctx.now, state.results)
        if timer == "read":
            for i in range(len(self.replicas)):
                ctx.set_timer(("read", state.trial, i), self.legs["read"].sample(ctx.rng))
            return state
        kind, k, i = timer
        ctx.send(self.replicas[i], _Write(k) if kind == "write" else _Read(k))
        return state

    def on_message(self, ctx: Context, state: _CoordState, src: str, msg: Any) -> _CoordState:
        if isinstance(msg, _Ack) and msg.trial == state.trial:
            acks = state.acks + 1
            if acks == self.w:
                ctx.set_timer("read", self.delay)
                return _CoordState(state.trial, acks, (), ctx.now, state.results)
            return _CoordState(state.trial, acks, state.answers, state.committed_at, state.results)
        if isinstance(msg, _Answer) and msg.trial == state.trial:
            answers = (*state.answers, msg.version)
            if len(answers) == self.r:
                seen = state.trial in answers
                read_latency = ctx.now - state.committed_at - self.delay
                result = (state.trial, seen, state.committed_at, read_latency)
                state = _CoordState(
                    state.trial, state.acks, answers, state.committed_at, (*state.results, result)
                )
                if state.trial < self.trials:
                    # Far enough in the future that every message of this round has arrived.
                    ctx.set_timer("round", 1000.0)
                return state
            return _CoordState(state.trial, state.acks, answers, state.committed_at, state.results)
        return state


def simulate_t_visibility(
    n: int,
    r: int,
    w: int,
    delay: float,
    legs: Mapping[str, Any] | None = None,
    trials: int = 300,
    seed: int = 0,
) -> float:
    """The fraction of reads started ``delay`` after a commit that saw it, run in the simulator.

    A ``Coordinator`` and ``n`` ``PBSReplica`` nodes play ``trials`` rounds
    of the WARS experiment over an instantaneous network, each leg a delay
    drawn by the node that sends. It agrees with ``t_visibility`` up to
    sampling error, which the tests check.

    Examples
    --------
    >>> simulate_t_visibility(3, 1, 1, delay=0.0, trials=200, seed=1)
    0.495
    """
    _check_nrw(n, r, w, "simulate_t_visibility")
    if not (isinstance(trials, int) and trials >= 1):
        raise ValueError(f"simulate_t_visibility: trials={trials!r} must be an int >= 1")
    if not (is_number(delay) and delay >= 0):
        raise ValueError(f"simulate_t_visibility: delay={delay!r} must be a number >= 0")
    lat = _legs(legs)
    ids = [f"n{i}" for i in range(1, n + 1)]
    nodes: dict[str, Node[Any]] = {i: PBSReplica(lat) for i in ids}
    nodes["coordinator"] = Coordinator(ids, r, w, delay, lat, trials)
    sim = Simulation(System(nodes), seed=seed, network=Network(latency=0.0), record_trace=False)
    sim.run()
    results = sim.states["coordinator"].results
    return sum(1 for res in results if res[1]) / len(results)


# == availability and intersection ==============================================================
def availability(n: int, r: int, w: int, f: int, mutant: str | None = None) -> dict[str, bool]:
    """Whether reads and writes can still gather a quorum when ``f`` of ``n`` replicas are down.

    ``mutant`` is a name from ``MUTANTS`` (``"quorums_swapped"`` breaks this function).

    >>> availability(5, 3, 3, 2), availability(5, 3, 3, 3)
    ({'read': True, 'write': True}, {'read': False, 'write': False})
    >>> availability(5, 1, 5, 1)
    {'read': True, 'write': False}
    """
    _check_nrw(n, r, w, "availability")
    if not (isinstance(f, int) and not isinstance(f, bool) and 0 <= f <= n):
        raise ValueError(f"availability: f={f!r} must be an int between 0 and N={n}")
    check_mutant("availability", mutant, MUTANTS)
    if mutant == "quorums_swapped":
        return {"read": n - f >= w, "write": n - f >= r}
    return {"read": n - f >= r, "write": n - f >= w}


def availability_probability(n: int, q: int, p: Fraction | float) -> Fraction | float:
    """The probability that at least ``q`` of ``n`` replicas are up, each down with probability ``p``.

    Exact (a ``Fraction``) when ``p`` is a ``Fraction``.

    >>> availability_probability(3, 2, Fraction(1, 10))
    Fraction(243, 250)
    >>> round(availability_probability(5, 3, 0.01), 6)
    0.99999
    """  # noqa: E501
    if not (isinstance(n, int) and n >= 1 and isinstance(q, int) and 0 <= q <= n):
        raise ValueError(f"availability_probability: need ints 0 <= q={q!r} <= n={n!r}")
    if not 0 <= p <= 1:
        raise ValueError(f"availability_probability: p={p!r} must be a probability")
    up = 1 - p
    return sum(math.comb(n, k) * up**k * p ** (n - k) for k in range(q, n + 1))


def intersection(n: int, r: int, w: int) -> Any:
    """The z3 verdict: does every read quorum meet every write quorum? (``dslib.verify``)

    >>> intersection(3, 2, 2).holds, intersection(3, 1, 2).holds
    (True, False)
    >>> intersection(3, 1, 2).witness
    (('n1',), ('n2', 'n3'))
    """
    from dslib.verify import prove_intersection, read_write

    _check_nrw(n, r, w, "intersection")
    return prove_intersection(*read_write(n, r, w))


# == the mutants and the checks that catch them =================================================
def _subsets(n: int, size: int) -> list[int]:
    """Every set of ``size`` of the replicas ``0 .. n-1``, as a bit mask."""
    return [sum(1 << i for i in chosen) for chosen in itertools.combinations(range(n), size)]


_ENUMERATION_LIMIT = 10**6


def k_staleness_by_enumeration(n: int, r: int, w: int, k: int = 1) -> Fraction:
    """``k_staleness`` from its definition, by counting: the oracle of the closed form.

    Every choice of ``k`` write quorums (one per write, each any ``w`` of the ``n``
    replicas) and one read quorum of ``r`` is equally likely; the read returns one of the
    last ``k`` versions when its quorum meets at least one of them. No formula, no
    independence argument: just the fraction of all choices in which they meet.

    Parameters
    ----------
    n, r, w, k : int
        As for ``k_staleness``.

    Returns
    -------
    Fraction

    Raises
    ------
    ValueError, TypeError
        If the sizes are out of range, or there are more than a million choices
        (``C(n, w) ** k * C(n, r)``) to count.

    Examples
    --------
    >>> k_staleness_by_enumeration(3, 1, 1, k=2), k_staleness(3, 1, 1, k=2)
    (Fraction(5, 9), Fraction(5, 9))
    >>> k_staleness_by_enumeration(12, 6, 6, k=3)
    Traceback (most recent call last):
    ...
    ValueError: k_staleness_by_enumeration: C(12, 6) ** 3 * C(12, 6) choices is too many to count (at most 1000000)
    """  # noqa: E501
    _check_nrw(n, r, w, "k_staleness_by_enumeration")
    if not (isinstance(k, int) and not isinstance(k, bool) and k >= 1):
        raise ValueError(f"k_staleness_by_enumeration: k={k!r} must be an int >= 1")
    if math.comb(n, w) ** k * math.comb(n, r) > _ENUMERATION_LIMIT:
        raise ValueError(
            f"k_staleness_by_enumeration: C({n}, {w}) ** {k} * C({n}, {r}) choices is too many "
            f"to count (at most {_ENUMERATION_LIMIT})"
        )
    return _k_staleness_count(n, r, w, k)


@functools.lru_cache(maxsize=1024)
def _k_staleness_count(n: int, r: int, w: int, k: int) -> Fraction:
    writes, reads = _subsets(n, w), _subsets(n, r)
    reached: collections.Counter[int] = collections.Counter()  # replicas the k writes reached
    for quorums in itertools.product(writes, repeat=k):
        union = 0
        for quorum in quorums:
            union |= quorum
        reached[union] += 1
    meets = sum(count * sum(1 for q in reads if q & union) for union, count in reached.items())
    return Fraction(meets, len(writes) ** k * len(reads))


def availability_by_enumeration(n: int, r: int, w: int, f: int) -> dict[str, bool]:
    """``availability`` from its definition: whatever ``f`` replicas fail, is a quorum left?

    For every set of ``f`` failed replicas it looks for a read quorum (any ``r``
    replicas) and a write quorum (any ``w``) among the others.

    Examples
    --------
    >>> availability_by_enumeration(5, 1, 5, 1)
    {'read': True, 'write': False}
    """
    _check_nrw(n, r, w, "availability_by_enumeration")
    if not (isinstance(f, int) and not isinstance(f, bool) and 0 <= f <= n):
        raise ValueError(f"availability_by_enumeration: f={f!r} must be an int between 0 and N={n}")
    failures = _subsets(n, f)
    return {
        name: all(any(not q & down for q in _subsets(n, size)) for down in failures)
        for name, size in (("read", r), ("write", w))
    }


def _availability_probability_by_enumeration(n: int, q: int, p: Fraction) -> Fraction:
    # every pattern of failed replicas, weighted by its probability; up if some q-set avoids it
    total = Fraction(0)
    for down in range(1 << n):
        failed = bin(down).count("1")
        if any(not quorum & down for quorum in _subsets(n, q)):
            total += p**failed * (1 - p) ** (n - failed)
    return total


PBS_CHECKS: tuple[str, ...] = (
    "k-staleness = enumeration",
    "Monte Carlo within 4 SE of enumeration",
    "WARS model within 4 SE of simulated nodes",
    "availability = enumeration",
)
"""The checks of the mutant table, each against an oracle independent of the code it checks."""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "denominator_w": ("k-staleness = enumeration",),
    "written_not_reset": ("Monte Carlo within 4 SE of enumeration",),
    "read_leg_ignored": ("WARS model within 4 SE of simulated nodes",),
    "commit_without_ack": ("WARS model within 4 SE of simulated nodes",),
    "quorums_swapped": ("availability = enumeration",),
}
"""The check that must catch each mutant of ``MUTANTS``."""

_SEEDED = ("Monte Carlo within 4 SE of enumeration", "WARS model within 4 SE of simulated nodes")

_MC_CASES = ((3, 1, 1, 1), (5, 1, 2, 3))
_MC_TRIALS = 1000

# (N, R, W, t, mean of the write, ack, read and response legs in ms); reads at the commit
_WARS_CASES: tuple[tuple[int, int, int, float, tuple[float, float, float, float]], ...] = (
    (3, 1, 1, 0.0, (1.0, 2.0, 4.0, 1.0)),
)
_WARS_TRIALS, _SIM_TRIALS = 4000, 300


def _case_legs(means: tuple[float, ...]) -> dict[str, Latency]:
    return {leg: exponential(mean) for leg, mean in zip(LEGS, means, strict=True)}


@functools.lru_cache(maxsize=256)
def _wars_case_draws(case: int, seed: int) -> WarsDraws:
    n, _, _, _, means = _WARS_CASES[case]
    return wars_draws(n, _case_legs(means), _WARS_TRIALS, seed)


@functools.lru_cache(maxsize=256)
def _simulated_case(case: int, seed: int) -> float:
    n, r, w, t, means = _WARS_CASES[case]
    return simulate_t_visibility(n, r, w, t, _case_legs(means), _SIM_TRIALS, seed)


@functools.lru_cache(maxsize=4096)
def _run_check(check: str, mutant: str | None, seed: int) -> Outcome:
    """One check on one seed; ``detail`` names the first case that failed."""
    if check == "k-staleness = enumeration":
        for n in range(1, 6):
            for r, w, k in itertools.product(range(1, n + 1), range(1, n + 1), range(1, 4)):
                got = k_staleness(n, r, w, k, mutant=mutant)
                if got != k_staleness_by_enumeration(n, r, w, k):
                    return Outcome(False, None, f"N={n}, R={r}, W={w}, k={k}")
        return Outcome(True)
    if check == "Monte Carlo within 4 SE of enumeration":
        for n, r, w, k in _MC_CASES:
            exact = float(k_staleness_by_enumeration(n, r, w, k))
            est = k_staleness_monte_carlo(n, r, w, k, _MC_TRIALS, seed, mutant=mutant)
            if abs(est - exact) > 4 * standard_error(exact, _MC_TRIALS):
                return Outcome(False, None, f"N={n}, R={r}, W={w}, k={k}")
        return Outcome(True)
    if check == "WARS model within 4 SE of simulated nodes":
        for case, (n, r, w, t, _) in enumerate(_WARS_CASES):
            p = _wars_case_draws(case, seed).outcome(r, w, mutant=mutant).probability(t)
            q = _simulated_case(case, seed)
            tolerance = 4 * math.sqrt(p * (1 - p) * (1 / _WARS_TRIALS + 1 / _SIM_TRIALS))
            if abs(p - q) > tolerance + 1e-9:
                return Outcome(False, None, f"N={n}, R={r}, W={w}, t={t:g}")
        return Outcome(True)
    # "availability = enumeration"
    for n in range(1, 6):
        for r, w, f in itertools.product(range(1, n + 1), range(1, n + 1), range(n + 1)):
            if availability(n, r, w, f, mutant=mutant) != availability_by_enumeration(n, r, w, f):
                return Outcome(False, None, f"N={n}, R={r}, W={w}, f={f}")
        for q in range(n + 1):  # each replica down with probability 1/10
            chance = _availability_probability_by_enumeration(n, q, Fraction(1, 10))
            if availability_probability(n, q, Fraction(1, 10)) != chance:
                return Outcome(False, None, f"P(at least {q} of {n} up)")
    return Outcome(True)


def pbs_catch_rate(
    mutant: str | None, check: str, seeds: Iterable[int]
) -> tuple[int, int, str | None]:
    """``(caught, runs, first case)``: on how many seeds ``check`` fails for ``mutant``.

    The enumeration checks do not depend on the seed: they catch on every seed or none.

    Parameters
    ----------
    mutant : str or None
        A name from ``MUTANTS``, or ``None`` for the correct functions.
    check : str
        One of ``PBS_CHECKS``.
    seeds : iterable of int

    Returns
    -------
    (int, int, str or None)
        Seeds on which the check failed, seeds in all, and the first case that failed.

    Raises
    ------
    ValueError
        If ``mutant`` or ``check`` is unknown.

    Examples
    --------
    >>> pbs_catch_rate("quorums_swapped", "availability = enumeration", range(3))
    (3, 3, 'N=2, R=1, W=2, f=1')
    >>> pbs_catch_rate(None, "Monte Carlo within 4 SE of enumeration", range(3))
    (0, 3, None)
    """
    check_mutant("pbs_catch_rate", mutant, MUTANTS)
    check_name("pbs_catch_rate", check, PBS_CHECKS)
    seeds = list(seeds)
    failed = _failures(check, mutant, seeds)
    return len(failed), len(seeds), next(iter(failed.values()), None)


def _failures(check: str, mutant: str | None, seeds: Sequence[int] | range) -> dict[int, str]:
    """The seeds on which ``check`` fails, each with the first case that failed."""
    if check not in _SEEDED and seeds:  # the same verdict on every seed: run it once
        outcome = _run_check(check, mutant, seeds[0])
        return {} if outcome.ok else dict.fromkeys(seeds, outcome.detail)
    outcomes = {seed: _run_check(check, mutant, seed) for seed in seeds}
    return {seed: o.detail for seed, o in outcomes.items() if not o.ok}


def _check_seeds(seeds: int, where: str) -> None:
    if not (isinstance(seeds, int) and not isinstance(seeds, bool) and seeds >= 1):
        raise ValueError(f"{where}: seeds={seeds!r} must be an int >= 1")


def pbs_mutant_report(seeds: int = 10) -> MutantReport:
    """Run every check of ``PBS_CHECKS`` on the correct functions and on each mutant.

    A check fails when it fails on any of the seeds ``0 .. seeds-1``.

    Examples
    --------
    >>> report = pbs_mutant_report(seeds=2)
    >>> report.problems()
    []
    >>> [m.caught_by for m in report.mutants][:2]
    [('WARS model within 4 SE of simulated nodes',), ('k-staleness = enumeration',)]
    """
    return seeded_mutant_report(
        pbs_catch_rate,
        dict(sorted(MUTANTS.items())),
        MUTANT_CHECKS,
        PBS_CHECKS,
        seeds,
        where="pbs_mutant_report",
    )


def pbs_mutant_table(seeds: int = 10) -> Any:
    """The mutant table of PBS: each mutant, the checks that catch it, and how often.

    Parameters
    ----------
    seeds : int, default 10
        The seeded checks (the Monte Carlo and the WARS model against the simulated
        nodes) run on seeds ``0 .. seeds-1``; the enumeration checks are deterministic.

    Returns
    -------
    pandas.DataFrame
        ``mutant_table``'s columns without the counterexample length, then ``first case
        caught`` (by the mutant's own check) and ``catch rate`` (of its own check, or for
        the correct version the seeds on which any check failed).

    Examples
    --------
    >>> table = pbs_mutant_table(seeds=2)
    >>> print(table[["mutant", "catch rate"]].to_string(index=False))
                mutant    catch rate
       correct version  0 of 2 seeds
    commit_without_ack  2 of 2 seeds
         denominator_w deterministic
       quorums_swapped deterministic
      read_leg_ignored  2 of 2 seeds
     written_not_reset  2 of 2 seeds
    """
    _check_seeds(seeds, "pbs_mutant_table")
    return seeded_mutant_table(
        pbs_mutant_report(seeds),
        pbs_catch_rate,
        seeds,
        where="pbs_mutant_table",
        first_column="first case caught",
        column="catch rate",
        rate="{caught} of {runs} seeds",
        deterministic=[c for c in PBS_CHECKS if c not in _SEEDED],
    )
