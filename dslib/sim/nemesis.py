"""Faults as data, and the nemesis that applies a schedule of them.

A fault is a small frozen value (``Crash("a")``, ``Partition((("a",), ("b", "c")))``);
a schedule is a list of ``(time, fault)`` pairs. Because a schedule is data, it
can be printed, stored, shrunk by hypothesis and replayed.

Examples
--------
>>> n = Nemesis([(10.0, Crash("a")), (20.0, Restart("a"))])
>>> n
Nemesis([(10.0, Crash(node='a')), (20.0, Restart(node='a'))])
>>> r = RandomNemesis(until=100.0, kinds=("crash",), mean_interval=40.0)
>>> import random
>>> r.schedule(("a", "b", "c"), random.Random(3))[:2]  # doctest: +ELLIPSIS
[(10.87..., Crash(node='b')), (30.87..., Restart(node='b'))]
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ClockSkew",
    "Crash",
    "Cut",
    "Fault",
    "Heal",
    "Nemesis",
    "NetworkChange",
    "Partition",
    "Pause",
    "RandomNemesis",
    "Restart",
]


@dataclass(frozen=True)
class Crash:
    """The node stops: its volatile state, its timers and the messages arriving for it are lost."""

    node: str


@dataclass(frozen=True)
class Restart:
    """A crashed node starts again from what it persisted (``on_recover``)."""

    node: str


@dataclass(frozen=True)
class Pause:
    """The node stops handling events for ``duration`` (a long GC pause); nothing is lost."""

    node: str
    duration: float


@dataclass(frozen=True)
class Partition:
    """Split the nodes into groups; messages between groups are dropped. Replaces any partition."""

    groups: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Cut:
    """Drop every message from ``src`` to ``dst`` (one way) until the next ``Heal``."""

    src: str
    dst: str


@dataclass(frozen=True)
class Heal:
    """Remove every partition and cut link."""


@dataclass(frozen=True)
class ClockSkew:
    """Set a node's clock: ``ctx.now = offset + rate * true time`` (rate 1 means no drift)."""

    node: str
    offset: float = 0.0
    rate: float = 1.0


@dataclass(frozen=True)
class NetworkChange:
    """Change loss and duplication probabilities; ``None`` restores the ``Network``'s own value."""

    loss: float | None = None
    duplication: float | None = None


Fault = Crash | Restart | Pause | Partition | Cut | Heal | ClockSkew | NetworkChange
FAULT_TYPES = (Crash, Restart, Pause, Partition, Cut, Heal, ClockSkew, NetworkChange)


class Nemesis:
    """A fixed schedule of faults: a list of ``(time, fault)`` pairs.

    Parameters
    ----------
    schedule : iterable of (float, Fault)
        Times (>= 0) and faults; applied in time order (ties in list order).

    Raises
    ------
    TypeError, ValueError
        If an entry is not a ``(time, fault)`` pair with a non-negative time.
    """

    def __init__(self, schedule: Iterable[tuple[float, Fault]] = ()) -> None:
        entries = []
        for i, entry in enumerate(schedule):
            if not (isinstance(entry, tuple) and len(entry) == 2):
                raise TypeError(f"Nemesis: entry {i} is {entry!r}; each entry is (time, fault)")
            t, fault = entry
            if not (isinstance(t, (int, float)) and math.isfinite(t) and t >= 0):
                raise ValueError(f"Nemesis: entry {i} has time {t!r}; times are numbers >= 0")
            if not isinstance(fault, FAULT_TYPES):
                names = ", ".join(c.__name__ for c in FAULT_TYPES)
                raise TypeError(f"Nemesis: entry {i} has fault {fault!r}; faults are: {names}")
            entries.append((float(t), fault))
        self.entries: list[tuple[float, Fault]] = sorted(entries, key=lambda e: e[0])

    def schedule(self, ids: Sequence[str], rng: random.Random) -> list[tuple[float, Fault]]:
        """The faults to apply to a system with node ids ``ids``."""
        return list(self.entries)

    def __repr__(self) -> str:
        return f"Nemesis({self.entries!r})"


class RandomNemesis(Nemesis):
    """A schedule drawn from the simulation's seed.

    Fault episodes start at exponentially distributed intervals; each episode
    is one of ``kinds`` and is undone after ``duration`` (a crash is followed by
    a restart, a partition by a heal, a pause ends by itself).

    Parameters
    ----------
    until : float
        No episode starts after this time.
    kinds : sequence of {"crash", "partition", "pause", "loss"}
        Which episodes to draw from.
    mean_interval : float
        Mean time between the starts of episodes.
    duration : float
        How long each episode lasts.
    nodes : sequence of str, optional
        The nodes that faults may hit (default: every node of the system).
    """

    KINDS = ("crash", "partition", "pause", "loss")

    def __init__(
        self,
        until: float,
        kinds: Sequence[str] = ("crash", "partition"),
        mean_interval: float = 50.0,
        duration: float = 20.0,
        nodes: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        bad = [k for k in kinds if k not in self.KINDS]
        if bad or not kinds:
            raise ValueError(
                f"RandomNemesis: kinds {list(kinds)!r}; choose one or more of {list(self.KINDS)}"
            )
        for name, v in (("until", until), ("mean_interval", mean_interval), ("duration", duration)):
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"RandomNemesis: {name}={v!r} must be a number > 0")
        self.until = float(until)
        self.kinds = tuple(kinds)
        self.mean_interval = float(mean_interval)
        self.duration = float(duration)
        self.nodes = tuple(nodes) if nodes is not None else None

    def schedule(self, ids: Sequence[str], rng: random.Random) -> list[tuple[float, Fault]]:
        """Draw the schedule for a system with node ids ``ids`` from ``rng``."""
        nodes = sorted(self.nodes if self.nodes is not None else ids)
        unknown = [n for n in nodes if n not in ids]
        if unknown:
            raise ValueError(f"RandomNemesis: nodes {unknown} are not in the system {list(ids)}")
        out: list[tuple[float, Fault]] = []
        t = rng.expovariate(1.0 / self.mean_interval)
        while t < self.until:
            kind = self.kinds[rng.randrange(len(self.kinds))]
            end = t + self.duration
            if kind == "crash":
                node = nodes[rng.randrange(len(nodes))]
                out += [(t, Crash(node)), (end, Restart(node))]
            elif kind == "pause":
                node = nodes[rng.randrange(len(nodes))]
                out.append((t, Pause(node, self.duration)))
            elif kind == "partition":
                shuffled = list(ids)
                rng.shuffle(shuffled)
                cut = 1 + rng.randrange(max(1, len(shuffled) - 1))
                groups = (tuple(sorted(shuffled[:cut])), tuple(sorted(shuffled[cut:])))
                out += [(t, Partition(tuple(g for g in groups if g))), (end, Heal())]
            else:
                out += [(t, NetworkChange(loss=0.5)), (end, NetworkChange())]
            # The next episode starts after this one ends, so episodes never overlap.
            t = end + rng.expovariate(1.0 / self.mean_interval)
        return out

    def __repr__(self) -> str:
        return (
            f"RandomNemesis(until={self.until}, kinds={self.kinds}, "
            f"mean_interval={self.mean_interval}, duration={self.duration})"
        )
