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
  intersect (``dslib.verify.read_write``).

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
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from dslib.core import Context, Node, System
from dslib.sim.network import Latency, Network, as_latency, exponential
from dslib.sim.simulator import Simulation
from dslib.stats import is_number, percentile

__all__ = [
    "LEGS",
    "Coordinator",
    "PBSReplica",
    "TVisibility",
    "availability",
    "availability_probability",
    "default_legs",
    "intersection",
    "k_staleness",
    "k_staleness_monte_carlo",
    "simulate_t_visibility",
    "standard_error",
    "t_visibility",
]

LEGS = ("write", "ack", "read", "response")
"""The four legs of the WARS model: write request, write acknowledgement, read
request, read response (Bailis et al. 2012, §4.2)."""


def _check_nrw(n: int, r: int, w: int, where: str) -> None:
    for name, v in (("N", n), ("R", r), ("W", w)):
        if not (isinstance(v, int) and not isinstance(v, bool)):
            raise TypeError(f"{where}: {name}={v!r} must be an int")
    if n < 1:
        raise ValueError(f"{where}: N={n} must be >= 1")
    for name, v in (("R", r), ("W", w)):
        if not 1 <= v <= n:
            raise ValueError(f"{where}: {name}={v} must be between 1 and N={n}")


def k_staleness(n: int, r: int, w: int, k: int = 1) -> Fraction:
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

    Returns
    -------
    Fraction
        Exactly; 1 whenever ``r + w > n``.

    Raises
    ------
    ValueError, TypeError
        If the sizes are out of range.

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
    n: int, r: int, w: int, k: int = 1, trials: int = 10_000, seed: int = 0
) -> float:
    """Estimate ``k_staleness`` by drawing ``k`` write quorums and a read quorum per trial.

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
    rng = random.Random(f"pbs-k:{seed}")
    replicas = range(n)
    hits = 0
    for _ in range(trials):
        written: set[int] = set()
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
        if not 0 < p <= 1:
            raise ValueError(f"t_for: p={p!r} must be in (0, 1]")
        s = sorted(self.thresholds)
        return max(0.0, s[max(0, math.ceil(p * self.trials) - 1)])

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

    Examples
    --------
    >>> tv = t_visibility(3, 1, 1, trials=4000, seed=2)
    >>> round(tv.probability(0.0), 2), round(tv.probability(20.0), 2)
    (0.51, 0.95)
    >>> t_visibility(3, 2, 2).probability(0.0)   # R + W > N: always
    1.0
    """
    _check_nrw(n, r, w, "t_visibility")
    if not (isinstance(trials, int) and not isinstance(trials, bool) and trials >= 1):
        raise ValueError(f"t_visibility: trials={trials!r} must be an int >= 1")
    lat = _legs(legs)
    rng = random.Random(f"pbs-wars:{seed}")
    ws, acks, rs, ss = (lat[name].sample for name in LEGS)
    thresholds, reads, writes = [], [], []
    for _ in range(trials):
        w_leg = [ws(rng) for _ in range(n)]
        a_leg = [acks(rng) for _ in range(n)]
        r_leg = [rs(rng) for _ in range(n)]
        s_leg = [ss(rng) for _ in range(n)]
        commit = sorted(w_leg[i] + a_leg[i] for i in range(n))[w - 1]
        order = sorted(range(n), key=lambda i: (r_leg[i] + s_leg[i], i))[:r]
        thresholds.append(min(w_leg[i] - r_leg[i] - commit for i in order))
        reads.append(r_leg[order[-1]] + s_leg[order[-1]])
        writes.append(commit)
    return TVisibility(n, r, w, trials, tuple(thresholds), tuple(reads), tuple(writes))


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
def availability(n: int, r: int, w: int, f: int) -> dict[str, bool]:
    """Whether reads and writes can still gather a quorum when ``f`` of ``n`` replicas are down.

    >>> availability(5, 3, 3, 2), availability(5, 3, 3, 3)
    ({'read': True, 'write': True}, {'read': False, 'write': False})
    >>> availability(5, 1, 5, 1)
    {'read': True, 'write': False}
    """
    _check_nrw(n, r, w, "availability")
    if not (isinstance(f, int) and not isinstance(f, bool) and 0 <= f <= n):
        raise ValueError(f"availability: f={f!r} must be an int between 0 and N={n}")
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
