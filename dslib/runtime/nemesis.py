"""Play a fault schedule against real processes: the simulator's ``Nemesis``, for real.

A schedule is data, ``(time, fault)`` pairs of ``dslib.sim.nemesis`` (``Crash``,
``Partition``, ...), so the schedule that broke a simulated run can be replayed
against processes, and a ``RandomNemesis`` draws the same schedule from the same seed
in both worlds. ``NemesisPlayer`` applies each fault when its time comes, to any
*target* with the methods below: a ``Cluster`` of the book's nodes, or an
``EtcdCluster``.

=================  =========================================================
fault              what the player calls on the target
=================  =========================================================
``Crash(n)``       ``crash(n)`` (``SIGKILL``)
``Restart(n)``     ``restart(n)``
``Pause(n, d)``    ``pause(n)`` (``SIGSTOP``), then ``resume(n)`` ``d`` later
``Partition(g)``   ``partition(*g)``
``Cut(a, b)``      ``cut(a, b)``
``Heal()``         ``heal()``
``NetworkChange``  ``change_network(loss, duplication)``
``ClockSkew``      ``skew_clock(n, offset, rate)``
=================  =========================================================

The player does not run in a thread: the harness calls ``play(now)`` from its own
loop, so that the target is only ever used from one thread.

Examples
--------
>>> from dslib.sim import Crash, Pause, Restart
>>> class Log:  # a target that prints what is done to it
...     def status(self, node):
...         return "paused"
...     def __getattr__(self, name):
...         return lambda *args: print(name, *args)
>>> player = NemesisPlayer(Log(), [(10.0, Pause("a", 5.0)), (20.0, Crash("b"))])
>>> player.play(12.0)
pause a
>>> player.play(30.0)
resume a
crash b
>>> player.applied
[(10.0, "Pause(node='a', duration=5.0)"), (15.0, 'resume a'), (20.0, "Crash(node='b')")]
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from typing import Any, Protocol

from dslib.sim.nemesis import (
    ClockSkew,
    Crash,
    Cut,
    Fault,
    Heal,
    Nemesis,
    NetworkChange,
    Partition,
    Pause,
    Restart,
)

__all__ = ["FaultTarget", "NemesisPlayer"]


class FaultTarget(Protocol):
    """What the player needs of a cluster (``Cluster`` and ``EtcdCluster`` have it)."""

    def crash(self, node: str) -> None: ...
    def restart(self, node: str) -> None: ...
    def pause(self, node: str) -> None: ...
    def resume(self, node: str) -> None: ...
    def partition(self, *groups: Any) -> None: ...
    def cut(self, src: str, dst: str) -> None: ...
    def heal(self) -> None: ...
    def change_network(
        self, loss: float | None = None, duplication: float | None = None
    ) -> None: ...
    def skew_clock(self, node: str, offset: float = 0.0, rate: float = 1.0) -> None: ...
    def status(self, node: str) -> str: ...


class _Resume:
    """The end of a ``Pause``: an event of the player, not a fault of the schedule."""

    def __init__(self, node: str) -> None:
        self.node = node

    def __repr__(self) -> str:
        return f"resume {self.node}"


class NemesisPlayer:
    """Apply a schedule of faults to a real cluster as its times come.

    Parameters
    ----------
    target : FaultTarget
        The cluster.
    schedule : Nemesis or iterable of (float, Fault)
        The faults, at times in the cluster's time unit since the run began (for a
        ``RandomNemesis``, draw it first: ``nemesis.schedule(ids, rng)``).

    Attributes
    ----------
    applied : list of (float, str)
        What was done, at its scheduled time: each fault's ``repr``, and
        ``"resume n"`` at the end of a pause.

    Raises
    ------
    TypeError, ValueError
        If the schedule is not ``(time, fault)`` pairs (checked as ``Nemesis`` does).
    """

    def __init__(
        self, target: FaultTarget, schedule: Nemesis | Iterable[tuple[float, Fault]]
    ) -> None:
        entries = schedule.entries if isinstance(schedule, Nemesis) else Nemesis(schedule).entries
        self.target = target
        self._seq = itertools.count()
        self._queue: list[tuple[float, int, Any]] = [(t, next(self._seq), f) for t, f in entries]
        heapq.heapify(self._queue)
        self.applied: list[tuple[float, str]] = []

    @property
    def horizon(self) -> float:
        """When the last scheduled event happens (0 if none)."""
        return max((t for t, _, _ in self._queue), default=0.0)

    def play(self, now: float) -> None:
        """Apply, in time order, every event due at or before ``now``."""
        while self._queue and self._queue[0][0] <= now:
            when, _, fault = heapq.heappop(self._queue)
            self._apply(when, fault)
            self.applied.append((when, repr(fault)))

    def _apply(self, when: float, fault: Any) -> None:
        target = self.target
        if isinstance(fault, Crash):
            target.crash(fault.node)
        elif isinstance(fault, Restart):
            target.restart(fault.node)
        elif isinstance(fault, Pause):
            target.pause(fault.node)
            heapq.heappush(
                self._queue, (when + fault.duration, next(self._seq), _Resume(fault.node))
            )
        elif isinstance(fault, _Resume):
            if target.status(fault.node) == "paused":  # not crashed meanwhile
                target.resume(fault.node)
        elif isinstance(fault, Partition):
            target.partition(*fault.groups)
        elif isinstance(fault, Cut):
            target.cut(fault.src, fault.dst)
        elif isinstance(fault, Heal):
            target.heal()
        elif isinstance(fault, NetworkChange):
            target.change_network(fault.loss, fault.duplication)
        elif isinstance(fault, ClockSkew):
            target.skew_clock(fault.node, fault.offset, fault.rate)

    def recover(self, nodes: Iterable[str]) -> None:
        """End every fault now: heal, resume paused nodes, restart crashed ones.

        Events still scheduled are dropped (a resume among them is done here).
        """
        self._queue.clear()
        target = self.target
        target.heal()
        for node in sorted(nodes):
            status = target.status(node)
            if status == "paused":
                target.resume(node)
            elif status == "crashed":
                target.restart(node)
