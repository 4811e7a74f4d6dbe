"""The simulated network: latency distributions, loss, duplication and ordering.

A ``Network`` says what happens to a message between ``ctx.send`` and its
arrival: how long it takes (a latency distribution), whether it is lost,
whether it arrives twice, and whether messages on one link may overtake each
other. Partitions are not part of the network's configuration but faults that
the simulation (or a nemesis) applies while it runs.

Examples
--------
>>> import random
>>> rng = random.Random(1)
>>> round(uniform(1, 3).sample(rng), 3)
1.269
>>> Network(latency=exponential(5.0), loss=0.01)
Network(latency=exponential(mean=5.0), loss=0.01, duplication=0.0, fifo=False)
>>> Network(loss=1.5)
Traceback (most recent call last):
...
ValueError: Network: loss=1.5 is not a probability; use a number from 0 to 1
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "Latency",
    "Network",
    "constant",
    "exponential",
    "lognormal",
    "uniform",
]


class Latency:
    """A latency distribution: ``sample(rng)`` draws one delay (>= 0).

    Build one with ``constant``, ``uniform``, ``exponential`` or ``lognormal``,
    or wrap any function of a ``random.Random``: ``Latency(lambda rng: ...)``.
    """

    def __init__(self, sampler: Callable[[random.Random], float], description: str = "") -> None:
        if not callable(sampler):
            raise TypeError(
                f"Latency takes a function of a random.Random returning a delay, got {sampler!r}"
            )
        self._sampler = sampler
        self.description = description or getattr(sampler, "__name__", "custom")
        # What the simulator calls once per message: ``sample``, which checks the
        # delay, or for the built-in distributions (whose delays are valid by
        # construction) the sampler itself.
        self._draw: Callable[[random.Random], float] = self.sample

    @classmethod
    def _valid(cls, sampler: Callable[[random.Random], float], description: str) -> Latency:
        """A ``Latency`` whose sampler always returns a finite delay >= 0."""
        latency = cls(sampler, description)
        latency._draw = sampler
        return latency

    def sample(self, rng: random.Random) -> float:
        """Draw one delay. Raises ``ValueError`` if a custom sampler returns a bad delay."""
        d = self._sampler(rng)
        if d.__class__ is float and 0.0 <= d < math.inf:  # the common case, checked fast
            return d
        if not (isinstance(d, (int, float)) and d >= 0 and math.isfinite(d)):
            raise ValueError(
                f"latency {self.description} returned {d!r}; a latency must be a finite number >= 0"
            )
        return d

    def __repr__(self) -> str:
        return self.description


def _check_positive(name: str, **values: float) -> None:
    for key, v in values.items():
        if not (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)):
            raise ValueError(f"{name}: {key}={v!r} must be a finite number")
        if v < 0:
            raise ValueError(f"{name}: {key}={v!r} must be >= 0")


def constant(delay: float) -> Latency:
    """Every message takes exactly ``delay``.

    >>> constant(2.0).sample(random.Random(0))
    2.0
    """
    _check_positive("constant", delay=delay)
    d = float(delay)
    return Latency._valid(lambda rng: d, f"constant({d})")


def uniform(lo: float, hi: float) -> Latency:
    """Delays uniform between ``lo`` and ``hi`` (``0 <= lo <= hi``)."""
    _check_positive("uniform", lo=lo, hi=hi)
    if lo > hi:
        raise ValueError(f"uniform: lo={lo} is greater than hi={hi}; need lo <= hi")
    lo_f, width = float(lo), float(hi) - float(lo)
    return Latency._valid(lambda rng: lo_f + width * rng.random(), f"uniform({lo}, {hi})")


def exponential(mean: float, minimum: float = 0.0) -> Latency:
    """Delays ``minimum`` plus an exponential with the given ``mean`` (> 0).

    ``mean`` is the exponential part's: the delays average ``minimum + mean``
    (4.0 below).

    >>> exponential(3.0, minimum=1.0)
    exponential(mean=3.0, minimum=1.0)
    """
    _check_positive("exponential", mean=mean, minimum=minimum)
    if mean <= 0:
        raise ValueError(f"exponential: mean={mean} must be > 0")
    rate = 1.0 / mean
    m = float(minimum)
    desc = f"exponential(mean={mean}" + (f", minimum={minimum})" if minimum else ")")
    return Latency._valid(lambda rng: m + rng.expovariate(rate), desc)


def lognormal(median: float, sigma: float) -> Latency:
    """Log-normal delays with the given ``median`` (> 0) and shape ``sigma`` (>= 0).

    A long right tail, as measured latencies have: most messages near the
    median, a few much slower.
    """
    _check_positive("lognormal", median=median, sigma=sigma)
    if median <= 0:
        raise ValueError(f"lognormal: median={median} must be > 0")
    mu = math.log(median)
    s = float(sigma)
    return Latency._valid(
        lambda rng: rng.lognormvariate(mu, s), f"lognormal(median={median}, sigma={sigma})"
    )


def as_latency(value: Latency | float | Callable[[random.Random], float]) -> Latency:
    """Turn a number (constant delay), a callable or a ``Latency`` into a ``Latency``."""
    if isinstance(value, Latency):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return constant(value)
    if callable(value):
        return Latency(value)
    raise TypeError(
        f"latency must be a number, a Latency (constant, uniform, exponential, lognormal) "
        f"or a function of a random.Random, got {value!r}"
    )


@dataclass(frozen=True, init=False)
class Network:
    """What the network does to messages.

    Parameters
    ----------
    latency : Latency, number or callable, default 1.0
        How long a message takes.
    loss : float, default 0
        Probability that a message is lost.
    duplication : float, default 0
        Probability that a message is delivered twice (the copy with its own latency).
    fifo : bool, default False
        If true, messages on the same link (from one node to another) arrive in
        the order they were sent. Otherwise a later message may overtake an
        earlier one whenever its latency is shorter (reordering).
    """

    latency: Latency
    loss: float
    duplication: float
    fifo: bool

    def __init__(
        self,
        latency: Latency | float | Callable[[random.Random], float] = 1.0,
        loss: float = 0.0,
        duplication: float = 0.0,
        fifo: bool = False,
    ) -> None:
        for name, p in (("loss", loss), ("duplication", duplication)):
            if not (isinstance(p, (int, float)) and not isinstance(p, bool) and 0.0 <= p <= 1.0):
                raise ValueError(
                    f"Network: {name}={p!r} is not a probability; use a number from 0 to 1"
                )
        if not isinstance(fifo, bool):
            raise TypeError(f"Network: fifo={fifo!r} must be True or False")
        object.__setattr__(self, "latency", as_latency(latency))
        object.__setattr__(self, "loss", float(loss))
        object.__setattr__(self, "duplication", float(duplication))
        object.__setattr__(self, "fifo", fifo)

    def __repr__(self) -> str:
        return (
            f"Network(latency={self.latency!r}, loss={self.loss}, "
            f"duplication={self.duplication}, fifo={self.fifo})"
        )
