"""Flexible Paxos: phase-1 and phase-2 quorums of different sizes.

Paxos's safety argument uses one intersection only: the phase-1 quorum of a ballot meets
the phase-2 quorum of every earlier ballot that chose a value, so the new proposer hears
of that value (P2c in "Paxos Made Simple", section 2.2). Two phase-1 quorums need not
meet, and neither need two phase-2 quorums. Howard, Malkhi and Spiegelman (2016)
observed this and called the result Flexible Paxos: with threshold quorums over ``N``
acceptors, any sizes with ``|Q1| + |Q2| > N`` are safe. Phase 2 runs for every command of
a replicated log and phase 1 only when the leader changes, so a small ``Q2`` bought with
a large ``Q1`` makes the common case faster and the rare case harder.

This module gives

- ``FlexiblePaxosSpec``: ``dslib.consensus.PaxosSpec`` with a phase-1 quorum size (the
  1b messages a 2a needs) and a phase-2 quorum size (the 2b messages that choose a value);
- ``quorum_proof``: ``dslib.verify.prove_intersection`` on the two phases' quorums, a
  proof when ``|Q1| + |Q2| > N`` and two disjoint quorums when not;
- ``spec_check``: the model checker on ``FlexiblePaxosSpec`` (agreement, validity,
  integrity), safe exactly when the phases intersect;
- ``phase2_latency`` and ``availability``: the trade-off, measured (latency: the
  ``|Q2|``-th fastest of ``N`` round trips) and computed (availability: the binomial
  probability that enough acceptors are up), and ``tradeoff`` putting them in a table.

References
----------
.. [1] H. Howard, D. Malkhi and A. Spiegelman, "Flexible Paxos: Quorum intersection
   revisited", arXiv:1608.06696, 2016: section 3 (only phase-1/phase-2 intersection is
   needed; simple quorums with ``|Q1| + |Q2| > N``), section 4 (what it allows: a
   phase-2 quorum one smaller than a majority when ``N`` is even, and much smaller
   phase-2 quorums paid for by larger phase-1 quorums).
.. [2] L. Lamport, "Paxos Made Simple", ACM SIGACT News 32(4), 2001: section 2.2.

Examples
--------
>>> quorum_proof(5, phase1=4, phase2=2)
proved: every phase-1 quorum (any 4 of the 5 nodes n1..n5) and every phase-2 quorum (any 2 of the 5 nodes n1..n5) share at least 1 node
>>> spec_check(3, phase1=2, phase2=1).property
'agreement'
"""  # noqa: E501

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

from dslib.check import CheckResult, check
from dslib.consensus.spec import PaxosSpec, _names, majority_quorums, spec_invariants
from dslib.core import check_seed
from dslib.sim.network import Latency, lognormal
from dslib.verify.quorums import IntersectionResult, flexible_paxos, prove_intersection

__all__ = [
    "FlexiblePaxosSpec",
    "availability",
    "phase2_latency",
    "quorum_proof",
    "spec_check",
    "tradeoff",
    "unavailability",
]


def _size(what: str, value: Any, n: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what}={value!r} must be an int from 1 to {n}")
    if not 1 <= value <= n:
        raise ValueError(f"{what}={value} is out of range; allowed: 1 to {n}")
    return value


class FlexiblePaxosSpec(PaxosSpec):
    """``PaxosSpec`` with phase-1 quorums of ``phase1`` acceptors and phase-2 quorums of ``phase2``.

    ``Phase2a(b, v)`` needs 1b messages of ballot ``b`` from a phase-1 quorum; a value is
    chosen (``chosen_values``, and so agreement, validity and integrity) when a phase-2
    quorum sent 2b messages for it in one ballot. Everything else is ``PaxosSpec``.

    Parameters
    ----------
    acceptors : int or sequence of str, default 3
    values : int or sequence, default 2
    max_ballot : int, default 1
        As for ``PaxosSpec``.
    phase1, phase2 : int
        The quorum sizes (any ``phase1`` acceptors, any ``phase2`` acceptors).
    symmetry : str, default "none"
        As for ``PaxosSpec``: threshold quorums are preserved by renaming acceptors.

    Raises
    ------
    TypeError, ValueError
        If a size is not an int from 1 to the number of acceptors, or as ``PaxosSpec``.

    Notes
    -----
    ``PaxosSpec`` with its ``phase1_quorums`` and ``phase2_quorums`` set to all the
    sets of ``phase1`` and ``phase2`` acceptors: nothing else changes, which is the
    point of Howard et al.'s observation.

    Examples
    --------
    >>> spec = FlexiblePaxosSpec(4, 2, 0, phase1=3, phase2=2)
    >>> spec.name
    'FlexiblePaxos(4 acceptors, 2 values, ballots 0..0, |Q1|=3, |Q2|=2)'
    >>> sorted(map(sorted, spec.phase2_quorums))[:2]
    [['a1', 'a2'], ['a1', 'a2', 'a3']]
    """

    def __init__(
        self,
        acceptors: int | Sequence[str] = 3,
        values: int | Sequence[Hashable] = 2,
        max_ballot: int = 1,
        *,
        phase1: int,
        phase2: int,
        symmetry: str = "none",
    ) -> None:
        names = _names("acceptors", acceptors, "a")
        self.phase1 = _size("FlexiblePaxosSpec: phase1", phase1, len(names))
        self.phase2 = _size("FlexiblePaxosSpec: phase2", phase2, len(names))
        super().__init__(
            acceptors,
            values,
            max_ballot,
            symmetry=symmetry,
            phase1_quorums=majority_quorums(names, phase1),
            phase2_quorums=majority_quorums(names, phase2),
        )
        self.name = (
            f"FlexiblePaxos({len(names)} acceptors, {len(self.values)} values, "
            f"ballots 0..{max_ballot}, |Q1|={phase1}, |Q2|={phase2})"
        )


def quorum_proof(n: int, *, phase1: int, phase2: int) -> IntersectionResult:
    """Does every phase-1 quorum meet every phase-2 quorum? z3's proof, or two disjoint quorums.

    Parameters
    ----------
    n : int
        The number of acceptors (named ``n1``..``nN``).
    phase1, phase2 : int
        The quorum sizes.

    Returns
    -------
    IntersectionResult
        ``holds``, and the canonical witness pair when it does not.

    Raises
    ------
    TypeError, ValueError
        For sizes that are not ints from 1 to ``n``.

    Examples
    --------
    >>> quorum_proof(4, phase1=2, phase2=2)
    fails: phase-1 quorum {n1, n2} and phase-2 quorum {n3, n4} share 0 nodes; at least 1 needed
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"quorum_proof: n={n!r} must be an int >= 1")
    _size("quorum_proof: phase1", phase1, n)
    _size("quorum_proof: phase2", phase2, n)
    return prove_intersection(*flexible_paxos(n, phase1, phase2))


def spec_check(
    acceptors: int = 3, *, phase1: int, phase2: int, max_ballot: int = 1, values: int = 2
) -> CheckResult:
    """Model-check ``FlexiblePaxosSpec`` for agreement, validity and integrity (breadth first:
    the counterexample, if any, is a shortest one).

    Acceptors are interchangeable (symmetry), which is sound for threshold quorums.

    Parameters
    ----------
    acceptors : int, default 3
    phase1, phase2 : int
    max_ballot : int, default 1
    values : int, default 2

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> r = spec_check(3, phase1=3, phase2=1)
    >>> r.ok, r.complete
    (True, True)
    """
    spec = FlexiblePaxosSpec(
        acceptors, values, max_ballot, phase1=phase1, phase2=phase2, symmetry="acceptors"
    )
    return check(spec, invariants=spec_invariants(spec))


def phase2_latency(
    n: int,
    phase2: int,
    *,
    latency: Latency | None = None,
    samples: int = 10_000,
    seed: int = 0,
) -> list[float]:
    """Simulated phase-2 latencies: the ``phase2``-th fastest of ``n`` round trips.

    The leader (a proposer, not one of the acceptors) sends its 2a to all ``n`` acceptors
    and waits for ``phase2`` replies; each reply takes two one-way delays drawn from
    ``latency``. The same seed draws the same delays for every ``phase2``, so the sizes
    are compared on the same network (common random numbers).

    Parameters
    ----------
    n : int
    phase2 : int
        The phase-2 quorum size, 1 to ``n``.
    latency : Latency, optional
        One-way delay (``dslib.sim``); default ``lognormal(median=1.0, sigma=0.5)``.
    samples : int, default 10000
    seed : int, default 0

    Returns
    -------
    list of float
        One latency per sample.

    Raises
    ------
    TypeError, ValueError
        For a bad size, sample count or seed.

    Examples
    --------
    >>> from dslib.sim import constant
    >>> phase2_latency(5, 3, latency=constant(1.0), samples=2)
    [2.0, 2.0]
    """
    check_seed(seed, "phase2_latency")
    _size("phase2_latency: n", n, 10**6)
    _size("phase2_latency: phase2", phase2, n)
    _size("phase2_latency: samples", samples, 10**9)
    return [trips[phase2 - 1] for trips in _round_trips(n, latency, samples, seed)]


def _round_trips(n: int, latency: Latency | None, samples: int, seed: int) -> list[list[float]]:
    """``samples`` sorted lists of ``n`` round trips (two one-way delays each)."""
    if latency is not None and not isinstance(latency, Latency):
        raise TypeError(
            f"latency={latency!r} must be a dslib.sim Latency, e.g. lognormal(1.0, 0.5)"
        )
    lat = latency if latency is not None else lognormal(1.0, 0.5)
    rng = random.Random(seed)
    return [sorted(lat.sample(rng) + lat.sample(rng) for _ in range(n)) for _ in range(samples)]


def availability(n: int, size: int, p: float) -> float:
    """The probability that at least ``size`` of ``n`` acceptors are up, each down with
    probability ``p`` independently (a binomial tail).

    Parameters
    ----------
    n, size : int
    p : float
        The probability that one acceptor is down, from 0 to 1.

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        For a bad size or a ``p`` outside [0, 1].

    Examples
    --------
    >>> round(availability(3, 2, 0.1), 3)  # 0.9**3 + 3 * 0.9**2 * 0.1
    0.972
    """
    _size("availability: n", n, 10**6)
    _size("availability: size", size, n)
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"availability: p={p!r} must be a probability from 0 to 1")
    q = 1.0 - p
    return math.fsum(math.comb(n, k) * q**k * p ** (n - k) for k in range(size, n + 1))


def unavailability(n: int, size: int, p: float) -> float:
    """The probability that fewer than ``size`` of ``n`` acceptors are up: ``1 - availability``,
    summed over the lower tail so that small values keep their precision.

    Examples
    --------
    >>> f"{unavailability(5, 3, 0.01):.2e}"  # three of five down: 10 * 0.01**3 * 0.99**2, ...
    '9.85e-06'
    """
    _size("unavailability: n", n, 10**6)
    _size("unavailability: size", size, n)
    availability(n, size, p)  # checks p
    q = 1.0 - p
    return math.fsum(math.comb(n, k) * q**k * p ** (n - k) for k in range(size))


def tradeoff(
    ns: Iterable[int] = range(3, 8),
    *,
    p: float = 0.05,
    latency: Latency | None = None,
    samples: int = 10_000,
    seed: int = 0,
) -> Any:
    """The trade-off table: for each ``N`` and each ``|Q2|``, with ``|Q1| = N - |Q2| + 1``
    (the smallest safe phase-1 quorum), phase-2 latency and both phases' availability.

    Parameters
    ----------
    ns : iterable of int, default 3..7
    p : float, default 0.05
        Each acceptor's probability of being down.
    latency : Latency, optional
        As for ``phase2_latency``.
    samples : int, default 10000
    seed : int, default 0

    Returns
    -------
    pandas.DataFrame
        Indexed by ``N`` and ``|Q2|``; columns ``|Q1|``, ``majority`` (whether
        ``|Q2|`` is the classic majority), ``phase-2 median``, ``phase-2 p99`` (in units
        of the one-way median delay), and ``P(no Q2)`` and ``P(no Q1)``: the probability
        that too few acceptors are up for a quorum of that phase.

    Examples
    --------
    >>> from dslib.sim import constant
    >>> t = tradeoff([3], latency=constant(1.0), samples=10)
    >>> t.loc[3, ["|Q1|", "phase-2 median", "P(no Q2)"]].round(4).values.tolist()
    [[3.0, 2.0, 0.0001], [2.0, 2.0, 0.0072], [1.0, 2.0, 0.1426]]
    """
    import pandas as pd

    check_seed(seed, "tradeoff")
    _size("tradeoff: samples", samples, 10**9)
    rows = []
    for n in ns:
        _size("tradeoff: N", n, 10**6)
        trips = _round_trips(n, latency, samples, seed)  # the same draws for every |Q2|
        for q2 in range(1, n + 1):
            lats = sorted(t[q2 - 1] for t in trips)
            rows.append(
                {
                    "N": n,
                    "|Q2|": q2,
                    "|Q1|": n - q2 + 1,
                    "majority": q2 == n // 2 + 1,
                    "phase-2 median": lats[len(lats) // 2],
                    "phase-2 p99": lats[min(len(lats) - 1, math.ceil(0.99 * len(lats)) - 1)],
                    "P(no Q2)": unavailability(n, q2, p),
                    "P(no Q1)": unavailability(n, n - q2 + 1, p),
                }
            )
    return pd.DataFrame(rows).set_index(["N", "|Q2|"])
