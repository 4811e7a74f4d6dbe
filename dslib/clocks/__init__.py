"""Time and order: physical clocks and their synchronisation, and logical clocks.

Chapter 2 of the book. Every node of a distributed system has its own clock,
and no two clocks agree: each starts at a different reading (an *offset*) and
runs at a slightly different speed (a *drift rate*). In the simulator a node's
clock is ``ctx.now``, which ``Simulation.set_clock(node, offset, rate)``
skews: ``ctx.now = offset + rate * true time``.

This module holds

- **clock synchronisation** (Cristian 1989; the offset and delay formulas of
  NTP, Mills 1991): a ``TimeServer`` and a ``SyncClient`` that asks it for
  the time and corrects its own clock by the answer plus half the round trip;
  ``sync_run`` runs them with skewed clocks and ``sync_errors`` measures the
  error of every synchronisation against its bound, half the round-trip time;
  ``SYNC_MUTANTS`` / ``sync_mutant_table`` show that this check and an exact one
  (``probe_rounds``) catch a broken client;
- **Lamport clocks** (Lamport 1978): a counter that respects happens-before,
  ``a -> b`` implies ``L(a) < L(b)``;
- **vector clocks** (Fidge 1988, Mattern 1989): one counter per node, which
  *characterise* happens-before: ``a -> b`` exactly when ``V(a) < V(b)``;
- **hybrid logical clocks** (Kulkarni, Demirbas, Madappa, Avva, Leone 2014):
  a physical-time reading plus a small counter, which respects happens-before
  like a Lamport clock and stays within the clock skew of physical time;
  ``check_hlc`` checks its properties on a run, and ``HLC_MUTANTS`` /
  ``hlc_mutant_table`` show that they catch a broken clock;
- ``ClockProcess``, a node that stamps each of its events with all three
  logical clocks, and ``happens_before``, the relation itself computed from
  the events, so that the clock conditions can be *checked* (``MUTANTS``,
  ``clock_mutant_table``);
- **version vectors** and **dotted version vectors** (Parker et al. 1983;
  Preguiça et al. 2010): ``server_put`` stores a client's write of one key,
  ``sibling_run`` compares what it keeps with an exact reference, and
  ``VERSION_MUTANTS`` / ``version_mutant_table`` show that the comparison
  catches a broken put.

Examples
--------
>>> a = VectorClock().increment("a")          # an event on node a
>>> b = a.increment("b")                      # node b received a's message: later
>>> c = VectorClock().increment("c")          # an unrelated event on node c
>>> a.compare(b), b.compare(a), a.compare(c)
('before', 'after', 'concurrent')
>>> LamportClock(3).receive(7)
LamportClock(time=8)
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import (
    MutantReport,
    check_mutant,
    check_name,
    deprecated_spelling,
    seeded_mutant_report,
    seeded_mutant_table,
    tally_runs,
)
from dslib.sim.nemesis import ClockSkew
from dslib.sim.network import Latency, Network, as_latency, exponential
from dslib.sim.simulator import Simulation
from dslib.sim.trace import Trace

__all__ = [
    "CLOCK_CHECKS",
    "HLC_CHECKS",
    "HLC_MUTANTS",
    "HLC_MUTANT_CHECKS",
    "MUTANTS",
    "MUTANT_CHECKS",
    "ORDERINGS",
    "SYNC_CHECKS",
    "SYNC_MUTANTS",
    "SYNC_MUTANT_CHECKS",
    "VERSION_CHECKS",
    "VERSION_MUTANTS",
    "VERSION_MUTANT_CHECKS",
    "VERSION_SCHEMES",
    "ClockEvent",
    "ClockMessage",
    "ClockProcess",
    "ClockProcessState",
    "HybridLogicalClock",
    "LamportClock",
    "StoredVersion",
    "SyncClient",
    "SyncClientState",
    "SyncSample",
    "TimeReply",
    "TimeRequest",
    "TimeServer",
    "VectorClock",
    "check_clock_conditions",
    "check_hlc",
    "clock_catch_rate",
    "clock_events",
    "clock_mutant_report",
    "clock_mutant_table",
    "clock_reading",
    "clock_run",
    "compare_vectors",
    "happens_before",
    "hlc_catch_rate",
    "hlc_mutant_report",
    "hlc_mutant_table",
    "largest_skew",
    "measured_duration",
    "ntp_offset_delay",
    "probe_rounds",
    "server_put",
    "sibling_run",
    "sync_catch_rate",
    "sync_check_run",
    "sync_error_series",
    "sync_errors",
    "sync_mutant_report",
    "sync_mutant_table",
    "sync_run",
    "time_of_day",
    "version_catch_rate",
    "version_mutant_report",
    "version_mutant_table",
    "version_operations",
]

ORDERINGS = ("before", "after", "equal", "concurrent")
"""What comparing two vector clocks can answer."""

MUTANTS: dict[str, str] = {
    "lamport_no_max": "on a receive the Lamport clock ticks its own counter and ignores the "
    "message's time (rule IR2 broken)",
    "lamport_no_tick": "on a receive the Lamport clock takes the maximum of its time and the "
    "message's but does not tick past it",
    "vector_no_merge": "on a receive the vector clock increments its own entry but does not "
    "take the entry-wise maximum with the message's vector",
    "hlc_no_message": "on a receive the hybrid logical clock ignores the message's (l, c) and "
    "stamps the receive like a local event",
}
"""The broken receive rules of ``ClockProcess`` (``mutant=`` name -> what is wrong)."""

HLC_MUTANTS: dict[str, str] = {
    "hlc_no_message": MUTANTS["hlc_no_message"],
    "hlc_no_reset": "on a local event or a send the counter counts on (c + 1) when l moves up "
    "to the physical clock, instead of restarting at 0",
    "hlc_no_physical": "on a receive l becomes max(l, the message's l), without the physical clock",
    "hlc_no_tick": "on a receive the counter takes the winning clock's c without adding 1, "
    "when l does not move up to the physical clock",
}
"""The broken hybrid logical clocks (``mutant=`` name -> what is wrong): ``hlc_no_message`` is
``ClockProcess``'s (it is in ``MUTANTS`` too); the others break ``HybridLogicalClock.send`` or
``receive`` and are passed on to them by ``ClockProcess``."""


# == Lamport clocks ===============================================================================
@dataclass(frozen=True, order=True)
class LamportClock:
    """A Lamport clock: one counter, ticked at every event (Lamport 1978, rules IR1 and IR2).

    The rules are in the paper's section "Logical Clocks"; happens-before, in "The Partial
    Ordering" (the paper's sections are unnumbered).

    Rule IR1: a node ticks its clock between any two of its events (a local
    event or a send: ``tick``). Rule IR2: a message carries the sender's
    time; the receiver sets its clock past both its own time and the
    message's (``receive``). Together they give the *clock condition*: if
    event ``a`` happened before ``b``, then ``L(a) < L(b)``. The converse
    does not hold: ``L(a) < L(b)`` says nothing about causality.

    Examples
    --------
    >>> c = LamportClock()
    >>> c = c.tick()          # a local event
    >>> c = c.tick()          # a send; the message carries c.time == 2
    >>> c.time
    2
    >>> LamportClock(1).receive(c.time)
    LamportClock(time=3)
    >>> LamportClock(-1)
    Traceback (most recent call last):
    ...
    ValueError: LamportClock: time=-1 must be an int >= 0
    """

    time: int = 0

    def __post_init__(self) -> None:
        if not (isinstance(self.time, int) and not isinstance(self.time, bool) and self.time >= 0):
            raise ValueError(f"LamportClock: time={self.time!r} must be an int >= 0")

    def tick(self) -> LamportClock:
        """The clock after a local event or a send (IR1): one more."""
        return LamportClock(self.time + 1)

    def receive(self, stamp: int) -> LamportClock:
        """The clock after receiving a message stamped ``stamp`` (IR2): ``max + 1``.

        Raises
        ------
        ValueError
            If ``stamp`` is not an int >= 0.
        """
        if not (isinstance(stamp, int) and not isinstance(stamp, bool) and stamp >= 0):
            raise ValueError(f"LamportClock.receive: stamp={stamp!r} must be an int >= 0")
        return LamportClock(max(self.time, stamp) + 1)


# == vector clocks ================================================================================
def _entries(value: Mapping[str, int] | Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    pairs = list(value.items()) if isinstance(value, Mapping) else list(value)
    out: dict[str, int] = {}
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"VectorClock: entry {pair!r} is not a (node, count) pair")
        node, count = pair
        if not isinstance(node, str):
            raise TypeError(f"VectorClock: node {node!r} must be a string")
        if not (isinstance(count, int) and not isinstance(count, bool) and count >= 0):
            raise ValueError(f"VectorClock: count {count!r} of node {node!r} must be an int >= 0")
        if node in out:
            raise ValueError(f"VectorClock: node {node!r} appears twice")
        if count:
            out[node] = count
    return tuple(sorted(out.items()))


@dataclass(frozen=True, init=False)
class VectorClock:
    """A vector clock: one counter per node, a missing node counting as 0.

    Node ``i`` increments its own entry at each of its events; a message
    carries the sender's vector, and the receiver takes the entry-wise maximum
    (``merge``) before incrementing. Then, for events ``a`` and ``b``, ``a``
    happened before ``b`` exactly when ``V(a) < V(b)``: every entry ``<=`` and
    at least one ``<`` (Mattern 1989, Theorem 10). Two clocks neither of which
    is ``<=`` the other are *concurrent*.

    ``<``, ``<=``, ``>``, ``>=`` and ``==`` compare in this partial order (so
    ``sorted`` does not apply: two concurrent clocks are neither smaller nor
    larger). The entries are stored sorted, without zeros, so equal clocks
    have equal reprs and hashes under any ``PYTHONHASHSEED``.

    Parameters
    ----------
    entries : mapping of str to int, or iterable of (str, int), optional
        The counters by node.

    Examples
    --------
    >>> v = VectorClock({"b": 2, "a": 1, "c": 0})
    >>> v
    VectorClock({'a': 1, 'b': 2})
    >>> v.get("c"), v.increment("c")
    (0, VectorClock({'a': 1, 'b': 2, 'c': 1}))
    >>> v.merge(VectorClock({"a": 3}))
    VectorClock({'a': 3, 'b': 2})
    >>> v < v.increment("a"), v < VectorClock({"c": 1})
    (True, False)
    """

    entries: tuple[tuple[str, int], ...]

    def __init__(self, entries: Mapping[str, int] | Iterable[tuple[str, int]] = ()) -> None:
        object.__setattr__(self, "entries", _entries(entries))

    def get(self, node: str) -> int:
        """The counter of ``node`` (0 if it has none)."""
        for n, c in self.entries:
            if n == node:
                return c
        return 0

    def as_dict(self) -> dict[str, int]:
        """The non-zero counters as a dict (sorted by node)."""
        return dict(self.entries)

    def increment(self, node: str) -> VectorClock:
        """This clock with ``node``'s counter one more (an event on ``node``).

        Raises
        ------
        TypeError
            If ``node`` is not a string.
        """
        if not isinstance(node, str):
            raise TypeError(f"VectorClock.increment: node {node!r} must be a string")
        d = dict(self.entries)
        d[node] = d.get(node, 0) + 1
        return VectorClock(d)

    def merge(self, other: VectorClock) -> VectorClock:
        """The entry-wise maximum: the least clock that is ``>=`` both.

        Raises
        ------
        TypeError
            If ``other`` is not a ``VectorClock``.
        """
        if not isinstance(other, VectorClock):
            raise TypeError(f"VectorClock.merge: {other!r} is not a VectorClock")
        d = dict(self.entries)
        for n, c in other.entries:
            d[n] = max(d.get(n, 0), c)
        return VectorClock(d)

    def compare(self, other: VectorClock) -> str:
        """``"before"``, ``"after"``, ``"equal"`` or ``"concurrent"``.

        ``"before"`` means ``self < other``: the event stamped ``self``
        happened before the one stamped ``other``.

        >>> VectorClock({"a": 1}).compare(VectorClock({"a": 1, "b": 1}))
        'before'
        >>> VectorClock({"a": 2}).compare(VectorClock({"a": 1, "b": 1}))
        'concurrent'
        """
        if not isinstance(other, VectorClock):
            raise TypeError(f"VectorClock.compare: {other!r} is not a VectorClock")
        return compare_vectors(self.as_dict(), other.as_dict())

    def concurrent_with(self, other: VectorClock) -> bool:
        """Neither clock is ``<=`` the other."""
        return self.compare(other) == "concurrent"

    def _compares(self, other: object, *answers: str) -> bool:
        """Whether ``self.compare(other)`` is one of ``answers`` (for the operators)."""
        if not isinstance(other, VectorClock):
            return NotImplemented
        return self.compare(other) in answers

    def __le__(self, other: object) -> bool:
        return self._compares(other, "before", "equal")

    def __lt__(self, other: object) -> bool:
        return self._compares(other, "before")

    def __ge__(self, other: object) -> bool:
        return self._compares(other, "after", "equal")

    def __gt__(self, other: object) -> bool:
        return self._compares(other, "after")

    def __repr__(self) -> str:
        return f"VectorClock({dict(self.entries)!r})"


def compare_vectors(a: Mapping[str, int], b: Mapping[str, int]) -> str:
    """Compare two vector clocks given as dicts: ``"before"``, ``"after"``, ``"equal"``, ``"concurrent"``.

    A node missing from a dict counts as 0. ``"before"`` means every entry of
    ``a`` is ``<=`` the same entry of ``b`` and they differ.

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not a mapping.

    Examples
    --------
    >>> compare_vectors({"a": 1}, {"a": 1, "b": 0})
    'equal'
    >>> compare_vectors({"a": 1, "b": 2}, {"a": 2, "b": 1})
    'concurrent'
    >>> compare_vectors({"a": 2, "b": 2}, {"a": 1})
    'after'
    """  # noqa: E501
    if not isinstance(a, Mapping) or not isinstance(b, Mapping):
        raise TypeError(
            f"compare_vectors takes two mappings from node to counter, got "
            f"{type(a).__name__} and {type(b).__name__}"
        )
    a_le_b = all(c <= b.get(n, 0) for n, c in a.items())
    b_le_a = all(c <= a.get(n, 0) for n, c in b.items())
    if a_le_b and b_le_a:
        return "equal"
    if a_le_b:
        return "before"
    if b_le_a:
        return "after"
    return "concurrent"


# == hybrid logical clocks ========================================================================
@dataclass(frozen=True, order=True)
class HybridLogicalClock:
    """A hybrid logical clock ``(l, c)`` (Kulkarni et al. 2014, §3, Figure 5).

    ``l`` is the largest physical-clock reading the node has heard of (its own
    or one carried by a message); ``c`` counts events that happened while
    ``l`` stood still. Timestamps compare as pairs. Like a Lamport clock,
    ``a -> b`` implies ``hlc(a) < hlc(b)``; unlike one, ``l`` never strays
    from the node's physical clock by more than the clock skew between nodes
    (§3, Theorem 2), so an HLC timestamp can stand in for a physical one (a
    snapshot "as of 10:00" in CockroachDB, for instance).

    Examples
    --------
    >>> h = HybridLogicalClock()
    >>> h = h.send(10.0)                      # physical clock reads 10
    >>> h
    HybridLogicalClock(l=10.0, c=0)
    >>> h.send(10.0)                          # the clock has not moved: count
    HybridLogicalClock(l=10.0, c=1)
    >>> HybridLogicalClock(8.0, 0).receive(h, 9.0)   # a message from the future
    HybridLogicalClock(l=10.0, c=1)
    """

    l: float = 0.0  # noqa: E741 - the paper's name
    c: int = 0

    def send(self, physical: float, mutant: str | None = None) -> HybridLogicalClock:
        """The clock after a local event or a send, when the physical clock reads ``physical``.

        ``mutant``: a broken rule from ``HLC_MUTANTS``, or ``None``.
        """
        _check_physical(physical)
        check_mutant("HybridLogicalClock.send", mutant, HLC_MUTANTS)
        l_new = max(self.l, physical)
        if mutant == "hlc_no_reset":  # mutant: the counter never restarts
            return HybridLogicalClock(l_new, self.c + 1)
        return HybridLogicalClock(l_new, self.c + 1 if l_new == self.l else 0)

    def receive(
        self, message: HybridLogicalClock, physical: float, mutant: str | None = None
    ) -> HybridLogicalClock:
        """The clock after receiving a message stamped ``message`` (Figure 5, "receive event").

        ``mutant``: a broken rule from ``HLC_MUTANTS``, or ``None``.
        """
        if not isinstance(message, HybridLogicalClock):
            raise TypeError(f"HybridLogicalClock.receive: {message!r} is not a HybridLogicalClock")
        _check_physical(physical)
        check_mutant("HybridLogicalClock.receive", mutant, HLC_MUTANTS)
        l_new = max(self.l, message.l, physical)
        if mutant == "hlc_no_physical":  # mutant: the physical clock left out
            l_new = max(self.l, message.l)
        if l_new == self.l == message.l:
            c = max(self.c, message.c) + 1
        elif l_new == self.l:
            c = self.c + 1
        elif l_new == message.l:
            c = message.c + 1
        else:
            c = 0
        if mutant == "hlc_no_tick" and c > 0:  # mutant: the winning counter, not one past it
            c -= 1
        return HybridLogicalClock(l_new, c)


def _check_physical(physical: float) -> None:
    if not (
        isinstance(physical, (int, float))
        and not isinstance(physical, bool)
        and math.isfinite(physical)
    ):
        raise ValueError(f"a physical clock reading must be a finite number, got {physical!r}")


# == the three clocks on one node, and happens-before =============================================
@dataclass(frozen=True)
class ClockMessage:
    """A message between ``ClockProcess`` nodes: the sender's event and its three timestamps.

    Examples
    --------
    >>> ClockMessage("p1", 0, 1, VectorClock({"p1": 1}), HybridLogicalClock(2.0, 0)).lamport
    1
    """

    sender: str
    event: int
    lamport: int
    vector: VectorClock
    hlc: HybridLogicalClock


@dataclass(frozen=True)
class ClockEvent:
    """One event of a ``ClockProcess``, stamped with all three clocks.

    Attributes
    ----------
    node : str
        Where it happened.
    index : int
        Its position among the node's events (0, 1, 2, ...).
    kind : {"local", "send", "receive"}
    lamport : int
    vector : VectorClock
    hlc : HybridLogicalClock
    physical : float
        The node's physical clock (``ctx.now``) when it happened.
    peer : str or None
        The receiver of a send, the sender of a receive.
    cause : (str, int) or None
        For a receive: the send event ``(node, index)`` it received.
    time : float or None
        The true time (the simulator's, ``sim.now``) when it happened, which no node sees:
        ``physical`` is the node's skewed clock. ``clock_events`` fills it in from the trace;
        an event read from a node's state has ``None``. Not compared by ``==``.

    Examples
    --------
    >>> e = clock_events(clock_run(nodes=2, steps=1, seed=0, skews={"p1": (5.0, 1.0)}))[0]
    >>> e.id, e.name, e.kind, e.lamport
    (('p1', 0), 'p1.0', 'local', 1)
    >>> round(e.physical - e.time, 3)            # p1's clock is 5 ahead of the truth
    5.0
    """

    node: str
    index: int
    kind: str
    lamport: int
    vector: VectorClock
    hlc: HybridLogicalClock
    physical: float
    peer: str | None = None
    cause: tuple[str, int] | None = None
    time: float | None = field(default=None, compare=False)

    @property
    def id(self) -> tuple[str, int]:
        """``(node, index)``: names the event uniquely."""
        return (self.node, self.index)

    @property
    def name(self) -> str:
        """``"node.index"``, e.g. ``"p1.0"``: how tables and figures name the event."""
        return f"{self.node}.{self.index}"

    def __str__(self) -> str:
        what = {"local": "local", "send": f"send to {self.peer}", "receive": f"recv {self.peer}"}
        return (
            f"{self.name:<5} {what[self.kind]:<12} L={self.lamport:<3} V={self.vector.as_dict()}"
            f"  HLC=({self.hlc.l:.2f}, {self.hlc.c})"
        )


@dataclass(frozen=True)
class ClockProcessState:
    """A ``ClockProcess``'s clocks and the events it has stamped so far.

    Examples
    --------
    >>> ClockProcessState().lamport
    LamportClock(time=0)
    """

    lamport: LamportClock = LamportClock()
    vector: VectorClock = field(default_factory=VectorClock)
    hlc: HybridLogicalClock = HybridLogicalClock()
    events: tuple[ClockEvent, ...] = ()


class ClockProcess(Node[ClockProcessState]):
    """A process that performs ``steps`` events, each a local event or a send to a random peer.

    Every event (its own, and each receive) is stamped with a Lamport clock,
    a vector clock and a hybrid logical clock, and kept in the state, so that
    ``clock_events`` can read them back and ``check_clock_conditions`` can
    compare them with the true happens-before relation.

    Parameters
    ----------
    steps : int, default 4
        How many local events and sends it performs (receives come on top).
    interval : (float, float), default (1.0, 5.0)
        The range of the random wait before each step.
    send_probability : float, default 0.6
        The chance that a step is a send rather than a local event.
    mutant : str or None, default None
        A broken receive rule from ``MUTANTS`` (each breaks one clock), or a broken hybrid
        logical clock from ``HLC_MUTANTS``, or ``None``.

    Raises
    ------
    ValueError
        If a parameter is out of range or ``mutant`` is in neither ``MUTANTS`` nor
        ``HLC_MUTANTS``.

    Examples
    --------
    >>> sim = clock_run(nodes=2, steps=2, seed=1)
    >>> for e in clock_events(sim):
    ...     print(e)
    p1.0  send to p2   L=1   V={'p1': 1}  HLC=(2.04, 0)
    p1.1  send to p2   L=2   V={'p1': 2}  HLC=(3.92, 0)
    p1.2  recv p2      L=4   V={'p1': 3, 'p2': 2}  HLC=(6.53, 0)
    p1.3  recv p2      L=6   V={'p1': 4, 'p2': 4}  HLC=(10.83, 0)
    p2.0  recv p1      L=2   V={'p1': 1, 'p2': 1}  HLC=(4.04, 0)
    p2.1  send to p1   L=3   V={'p1': 1, 'p2': 2}  HLC=(4.53, 0)
    p2.2  recv p1      L=4   V={'p1': 2, 'p2': 3}  HLC=(5.92, 0)
    p2.3  send to p1   L=5   V={'p1': 2, 'p2': 4}  HLC=(8.83, 0)
    """

    def __init__(
        self,
        steps: int = 4,
        interval: tuple[float, float] = (1.0, 5.0),
        send_probability: float = 0.6,
        mutant: str | None = None,
    ) -> None:
        if not (isinstance(steps, int) and not isinstance(steps, bool) and steps >= 0):
            raise ValueError(f"ClockProcess: steps={steps!r} must be an int >= 0")
        if not (
            isinstance(interval, tuple)
            and len(interval) == 2
            and all(isinstance(x, (int, float)) for x in interval)
            and 0 <= interval[0] <= interval[1]
        ):
            raise ValueError(
                f"ClockProcess: interval={interval!r} must be a pair (lo, hi) with 0 <= lo <= hi"
            )
        if not (isinstance(send_probability, (int, float)) and 0 <= send_probability <= 1):
            raise ValueError(
                f"ClockProcess: send_probability={send_probability!r} must be in [0, 1]"
            )
        self.mutant = check_mutant("ClockProcess", mutant, {**MUTANTS, **HLC_MUTANTS})
        self.hlc_mutant = mutant if mutant in HLC_MUTANTS else None  # passed on to the rules
        self.steps = steps
        self.interval = (float(interval[0]), float(interval[1]))
        self.send_probability = float(send_probability)

    def init(self, ctx: Context) -> ClockProcessState:
        if self.steps:
            ctx.set_timer("step", self.interval)
        return ClockProcessState()

    def _record(
        self,
        ctx: Context,
        state: ClockProcessState,
        kind: str,
        lamport: LamportClock,
        vector: VectorClock,
        hlc: HybridLogicalClock,
        peer: str | None = None,
        cause: tuple[str, int] | None = None,
    ) -> ClockProcessState:
        event = ClockEvent(
            ctx.id,
            len(state.events),
            kind,
            lamport.time,
            vector,
            hlc,
            round(ctx.now, 6),
            peer,
            cause,
        )
        return ClockProcessState(lamport, vector, hlc, (*state.events, event))

    def on_timer(self, ctx: Context, state: ClockProcessState, timer: Any) -> ClockProcessState:
        own = sum(1 for e in state.events if e.kind != "receive")
        lamport = state.lamport.tick()
        vector = state.vector.increment(ctx.id)
        hlc = state.hlc.send(round(ctx.now, 6), mutant=self.hlc_mutant)
        if ctx.peers and ctx.rng.random() < self.send_probability:
            peer = ctx.peers[ctx.rng.randrange(len(ctx.peers))]
            ctx.send(peer, ClockMessage(ctx.id, len(state.events), lamport.time, vector, hlc))
            state = self._record(ctx, state, "send", lamport, vector, hlc, peer)
        else:
            state = self._record(ctx, state, "local", lamport, vector, hlc)
        if own + 1 < self.steps:
            ctx.set_timer("step", self.interval)
        return state

    def on_message(
        self, ctx: Context, state: ClockProcessState, src: str, msg: Any
    ) -> ClockProcessState:
        if not isinstance(msg, ClockMessage):
            return state
        physical = round(ctx.now, 6)
        lamport = state.lamport.receive(msg.lamport)  # IR2: past both times
        if self.mutant == "lamport_no_max":  # mutant: the message's time is ignored
            lamport = state.lamport.tick()
        elif self.mutant == "lamport_no_tick":  # mutant: the maximum, but no tick past it
            lamport = LamportClock(max(state.lamport.time, msg.lamport))
        vector = state.vector.merge(msg.vector).increment(ctx.id)  # entry-wise max, then own
        if self.mutant == "vector_no_merge":  # mutant: the sender's vector is not merged
            vector = state.vector.increment(ctx.id)
        hlc = state.hlc.receive(msg.hlc, physical, mutant=self.hlc_mutant)  # Figure 5's receive
        if self.mutant == "hlc_no_message":  # mutant: stamped like a local event
            hlc = state.hlc.send(physical)
        return self._record(
            ctx, state, "receive", lamport, vector, hlc, src, (msg.sender, msg.event)
        )


def clock_run(
    nodes: int = 3,
    steps: int = 4,
    seed: int = 0,
    latency: Latency | float = 2.0,
    skews: Mapping[str, tuple[float, float]] | None = None,
    send_probability: float = 0.6,
    mutant: str | None = None,
) -> Simulation:
    """Run ``nodes`` ``ClockProcess`` nodes (``p1``, ``p2``, ...) to the end and return the run.

    Parameters
    ----------
    nodes : int, default 3
        How many processes.
    steps : int, default 4
        Local events and sends per process.
    seed : int, default 0
    latency : Latency or float, default 2.0
        The network's latency (a number is a constant delay).
    skews : mapping of node to (offset, rate), optional
        Physical clocks that are off: ``ctx.now = offset + rate * true time``.
    send_probability : float, default 0.6
    mutant : str or None, default None
        Run every process with this broken receive rule (``MUTANTS``) or hybrid logical clock
        (``HLC_MUTANTS``).

    Examples
    --------
    >>> sim = clock_run(nodes=3, steps=3, seed=2)
    >>> len(clock_events(sim)) >= 9
    True
    >>> clock_run(nodes=0)
    Traceback (most recent call last):
    ...
    ValueError: clock_run: nodes=0 must be an int >= 1
    """
    if not (isinstance(nodes, int) and not isinstance(nodes, bool) and nodes >= 1):
        raise ValueError(f"clock_run: nodes={nodes!r} must be an int >= 1")
    ids = [f"p{i}" for i in range(1, nodes + 1)]
    system = System(
        {i: ClockProcess(steps, send_probability=send_probability, mutant=mutant) for i in ids}
    )
    sim = Simulation(system, seed=seed, network=Network(latency=as_latency(latency)))
    for node, (offset, rate) in sorted((skews or {}).items()):
        sim.set_clock(node, offset, rate)
    return sim.run()


def clock_events(sim: Simulation) -> list[ClockEvent]:
    """Every event the ``ClockProcess`` nodes of ``sim`` stamped, by node then index.

    Each event carries the true time it happened at (``time``), read from the trace: the
    time of the handler call that recorded it.

    Examples
    --------
    >>> [str(e) for e in clock_events(clock_run(nodes=2, steps=1, seed=0))][:1]
    ["p1.0  local        L=1   V={'p1': 1}  HLC=(3.30, 0)"]
    """
    times: dict[tuple[str, int], float] = {}
    for entry in sim.trace:
        if entry.kind == "state" and isinstance(entry.data, ClockProcessState):
            for e in entry.data.events:
                times.setdefault(e.id, entry.time)
    out: list[ClockEvent] = []
    for _node_id, state in sorted(sim.states.items()):
        if isinstance(state, ClockProcessState):
            out += [replace(e, time=times.get(e.id)) for e in state.events]
    return out


def happens_before(events: Sequence[ClockEvent]) -> set[tuple[tuple[str, int], tuple[str, int]]]:
    """The happens-before relation of ``events``: all pairs ``(a, b)`` with ``a -> b``.

    Lamport (1978) defines the relation in the section "The Partial Ordering".

    ``a -> b`` when ``a`` comes before ``b`` on the same node, or ``a`` is the
    send of the message whose receive is ``b``, or by transitivity. Events are
    named by their ``id`` ``(node, index)``.

    Examples
    --------
    >>> sim = clock_run(nodes=2, steps=2, seed=1)
    >>> hb = happens_before(clock_events(sim))
    >>> (("p1", 0), ("p2", 0)) in hb, (("p2", 0), ("p1", 0)) in hb     # a send and its receive
    (True, False)
    """
    by_id = {e.id: e for e in events}
    succ: dict[tuple[str, int], list[tuple[str, int]]] = {e.id: [] for e in events}
    for e in events:
        nxt = (e.node, e.index + 1)
        if nxt in by_id:
            succ[e.id].append(nxt)
        if e.cause is not None and e.cause in by_id:
            succ[e.cause].append(e.id)
    relation: set[tuple[tuple[str, int], tuple[str, int]]] = set()
    for start in sorted(by_id):
        stack = list(succ[start])
        seen: set[tuple[str, int]] = set()
        while stack:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            relation.add((start, x))
            stack.extend(succ[x])
    return relation


def check_clock_conditions(events: Sequence[ClockEvent]) -> dict[str, Any]:
    """Check each clock against happens-before, over every ordered pair of distinct events.

    Returns a dict with, for each statement, the number of pairs that break
    it (0 when it holds) and one example pair:

    - ``"lamport respects ->"``: ``a -> b`` implies ``L(a) < L(b)`` (always holds);
    - ``"lamport characterises ->"``: ``L(a) < L(b)`` implies ``a -> b`` (does not hold);
    - ``"vector respects ->"`` and ``"vector characterises ->"``: the same for
      ``V(a) < V(b)`` (both hold);
    - ``"hlc respects ->"``: ``a -> b`` implies ``hlc(a) < hlc(b)`` (holds).

    Examples
    --------
    >>> result = check_clock_conditions(clock_events(clock_run(nodes=3, steps=5, seed=4)))
    >>> for name, (count, example) in result.items():
    ...     print(f"{name:26} broken by {count} pairs")
    lamport respects ->        broken by 0 pairs
    lamport characterises ->   broken by 65 pairs
    vector respects ->         broken by 0 pairs
    vector characterises ->    broken by 0 pairs
    hlc respects ->            broken by 0 pairs
    """
    hb = happens_before(events)
    checks: dict[str, list[tuple[tuple[str, int], tuple[str, int]]]] = {
        "lamport respects ->": [],
        "lamport characterises ->": [],
        "vector respects ->": [],
        "vector characterises ->": [],
        "hlc respects ->": [],
    }
    ordered = sorted(events, key=lambda e: e.id)
    for a in ordered:
        for b in ordered:
            if a.id == b.id:
                continue
            before = (a.id, b.id) in hb
            if before and not a.lamport < b.lamport:
                checks["lamport respects ->"].append((a.id, b.id))
            if a.lamport < b.lamport and not before:
                checks["lamport characterises ->"].append((a.id, b.id))
            v_less = a.vector < b.vector
            if before and not v_less:
                checks["vector respects ->"].append((a.id, b.id))
            if v_less and not before:
                checks["vector characterises ->"].append((a.id, b.id))
            if before and not a.hlc < b.hlc:
                checks["hlc respects ->"].append((a.id, b.id))
    return {name: (len(pairs), pairs[0] if pairs else None) for name, pairs in checks.items()}


# == the mutants and the checks that catch them ===================================================
CLOCK_CHECKS: tuple[str, ...] = (
    "lamport respects ->",
    "vector respects ->",
    "vector characterises ->",
    "hlc respects ->",
)
"""The statements of ``check_clock_conditions`` that hold for correct clocks: the named checks."""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "lamport_no_max": ("lamport respects ->",),
    "lamport_no_tick": ("lamport respects ->",),
    "vector_no_merge": ("vector respects ->",),
    "hlc_no_message": ("hlc respects ->",),
}
"""The checks that must catch each mutant of ``MUTANTS``."""


def _skewed_run(seed: int, mutant: str | None, nodes: int, steps: int) -> Simulation:
    # Physical clocks off by 0-20 (drawn from the seed): a receiver's clock may then read less
    # than the sender's, which is what the HLC's receive rule must cope with.
    draw = random.Random(seed)
    skews = {f"p{i}": (round(draw.uniform(0.0, 20.0), 2), 1.0) for i in range(1, nodes + 1)}
    return clock_run(nodes, steps, seed, skews=skews, mutant=mutant)


def clock_catch_rate(
    mutant: str | None, check: str, seeds: Iterable[int], nodes: int = 3, steps: int = 4
) -> tuple[int, int, int | None]:
    """``(caught, runs, fewest events)``: on how many runs a statement of ``check_clock_conditions``
    is broken.

    Each run is ``clock_run(nodes, steps, seed, mutant=mutant)`` with every physical clock off
    by an offset in ``[0, 20)`` drawn from the seed.

    Parameters
    ----------
    mutant : str or None
        A name from ``MUTANTS``, or ``None`` for the correct clocks.
    check : str
        One of ``CLOCK_CHECKS``.
    seeds : iterable of int
    nodes, steps : int, default 3 and 4

    Returns
    -------
    (int, int, int or None)
        Runs that broke the statement, runs in all, and the number of events of the smallest
        run that broke it (``None`` if none did).

    Raises
    ------
    ValueError
        If ``mutant`` or ``check`` is unknown.

    Examples
    --------
    >>> clock_catch_rate("vector_no_merge", "vector respects ->", range(5))
    (5, 5, 18)
    >>> clock_catch_rate(None, "hlc respects ->", range(5))
    (0, 5, None)
    """
    check_mutant("clock_catch_rate", mutant, MUTANTS)
    check_name("clock_catch_rate", check, CLOCK_CHECKS)
    runs = (_skewed_conditions(seed, mutant, nodes, steps) for seed in seeds)
    return tally_runs((bool(broken[check]), size) for broken, size in runs)


@functools.lru_cache(maxsize=512)
def _skewed_conditions(
    seed: int, mutant: str | None, nodes: int, steps: int
) -> tuple[dict[str, int], int]:
    # How many pairs break each statement on one run, and its number of events: the mutant
    # table asks every check of the same runs, so each run is simulated once.
    events = clock_events(_skewed_run(seed, mutant, nodes, steps))
    return {name: count for name, (count, _) in check_clock_conditions(events).items()}, len(events)


def clock_mutant_report(seeds: int = 20) -> MutantReport:
    """Run every check of ``CLOCK_CHECKS`` on the correct clocks and on each mutant.

    A check fails when any of the runs on seeds ``0..seeds-1`` breaks its statement; its
    counterexample length is the number of events of the smallest such run.

    Parameters
    ----------
    seeds : int, default 20

    Returns
    -------
    MutantReport

    Examples
    --------
    >>> report = clock_mutant_report(seeds=5)
    >>> report.problems()
    []
    >>> print(report.to_frame()[["mutant", "caught by"]].to_string(index=False))
             mutant                 caught by
    correct version none: passes all 4 checks
     hlc_no_message           hlc respects ->
     lamport_no_max       lamport respects ->
    lamport_no_tick       lamport respects ->
    vector_no_merge        vector respects ->
    """
    return seeded_mutant_report(
        clock_catch_rate,
        dict(sorted(MUTANTS.items())),
        MUTANT_CHECKS,
        CLOCK_CHECKS,
        seeds,
        where="clock_mutant_report",
    )


def clock_mutant_table(seeds: int = 20) -> Any:
    """The mutant table of the clocks, with how many of the runs each mutant's named check caught.

    Parameters
    ----------
    seeds : int, default 20

    Returns
    -------
    pandas.DataFrame
        ``mutant_table``'s columns (the counterexample length renamed ``events in the
        smallest run caught``), and ``runs caught by its check``.

    Examples
    --------
    >>> table = clock_mutant_table(seeds=5)
    >>> print(table[["mutant", "runs caught by its check"]].to_string(index=False))
             mutant runs caught by its check
    correct version                   0 of 5
     hlc_no_message                   5 of 5
     lamport_no_max                   5 of 5
    lamport_no_tick                   5 of 5
    vector_no_merge                   5 of 5
    """
    return seeded_mutant_table(
        clock_mutant_report(seeds),
        clock_catch_rate,
        seeds,
        where="clock_mutant_table",
        length_column="events in the smallest run caught",
        column="runs caught by its check",
    )


# == the hybrid logical clock's properties, and its mutants ======================================
HLC_CHECKS: tuple[str, ...] = ("hlc respects ->", "0 <= l - pt <= epsilon", "c bounded")
"""The properties of a hybrid logical clock that ``check_hlc`` checks on a run (Kulkarni et al.
2014): ``a -> b`` implies ``hlc(a) < hlc(b)``; ``l`` is never behind the node's physical clock
``pt`` nor ahead of it by more than ``epsilon``, the largest difference between two clocks;
``c`` is at most the number of events that happened before the event with the same ``l``."""

HLC_MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "hlc_no_message": ("hlc respects ->",),
    "hlc_no_reset": ("c bounded",),
    "hlc_no_physical": ("0 <= l - pt <= epsilon",),
    "hlc_no_tick": ("hlc respects ->",),
}
"""The check that must catch each mutant of ``HLC_MUTANTS``."""


def largest_skew(sim: Simulation, nodes: Sequence[str]) -> float:
    """The largest difference between two of the ``nodes``' physical clocks during ``sim``.

    Read from the clock skews in the trace (``clock_reading``) at the start and at the end of
    the run, which is where the difference of two clocks of constant rates is largest.

    Raises
    ------
    ValueError
        If a node's clock changed rate or offset during the run (the ends would not do).

    Examples
    --------
    >>> sim = clock_run(nodes=2, steps=1, skews={"p1": (6.0, 1.0), "p2": (0.0, 0.5)})
    >>> largest_skew(sim, ["p1", "p2"]) == 6.0 + 0.5 * sim.now
    True
    """
    for e in sim.trace:
        if e.kind == "fault" and isinstance(e.data, ClockSkew) and e.time > 0:
            raise ValueError(f"largest_skew: {e.data.node}'s clock changed at {e.time}")
    readings = [[clock_reading(sim.trace, n, t) for n in nodes] for t in (0.0, sim.now)]
    return max(max(r) - min(r) for r in readings)


def check_hlc(events: Sequence[ClockEvent], epsilon: float) -> dict[str, Any]:
    """Check the hybrid logical clocks of ``events`` for each property of ``HLC_CHECKS``.

    - ``"hlc respects ->"``: ``a -> b`` implies ``hlc(a) < hlc(b)``, over every pair;
    - ``"0 <= l - pt <= epsilon"``: every event's ``l`` is at least its node's physical clock
      ``pt`` and at most ``epsilon`` ahead of it;
    - ``"c bounded"``: every event's ``c`` is at most the number of events that happened
      before it and have the same ``l`` (so the counter stays small).

    Parameters
    ----------
    events : sequence of ClockEvent
    epsilon : float
        The largest difference between two physical clocks during the run (``largest_skew``).

    Returns
    -------
    dict
        For each property, ``(number of events or pairs that break it, the first of them)``
        (``(0, None)`` when it holds).

    Examples
    --------
    >>> sim = clock_run(nodes=3, steps=4, seed=2, skews={"p1": (9.0, 1.0)})
    >>> check_hlc(clock_events(sim), largest_skew(sim, ["p1", "p2", "p3"]))
    {'hlc respects ->': (0, None), '0 <= l - pt <= epsilon': (0, None), 'c bounded': (0, None)}
    >>> sim = clock_run(nodes=3, steps=4, seed=2, skews={"p1": (9.0, 1.0)}, mutant="hlc_no_reset")
    >>> check_hlc(clock_events(sim), largest_skew(sim, ["p1", "p2", "p3"]))["c bounded"]
    (17, ('p1', 0))
    """
    if not (isinstance(epsilon, (int, float)) and epsilon >= 0):
        raise ValueError(f"check_hlc: epsilon={epsilon!r} must be a number >= 0")
    hb = happens_before(events)
    ordered = sorted(events, key=lambda e: e.id)
    broken: dict[str, list[Any]] = {name: [] for name in HLC_CHECKS}
    for b in ordered:
        if not -1e-9 <= b.hlc.l - b.physical <= epsilon + 1e-9:
            broken["0 <= l - pt <= epsilon"].append(b.id)
        same_l_before = 0
        for a in ordered:
            if (a.id, b.id) in hb:
                same_l_before += a.hlc.l == b.hlc.l
                if not a.hlc < b.hlc:
                    broken["hlc respects ->"].append((a.id, b.id))
        if b.hlc.c > same_l_before:
            broken["c bounded"].append(b.id)
    return {name: (len(found), found[0] if found else None) for name, found in broken.items()}


@functools.lru_cache(maxsize=512)
def _hlc_conditions(
    seed: int, mutant: str | None, nodes: int, steps: int
) -> tuple[dict[str, int], int]:
    # the same skewed runs as clock_catch_rate, with every HLC property counted once
    sim = _skewed_run(seed, mutant, nodes, steps)
    epsilon = largest_skew(sim, [f"p{i}" for i in range(1, nodes + 1)])
    events = clock_events(sim)
    return {name: count for name, (count, _) in check_hlc(events, epsilon).items()}, len(events)


def hlc_catch_rate(
    mutant: str | None, check: str, seeds: Iterable[int], nodes: int = 3, steps: int = 4
) -> tuple[int, int, int | None]:
    """``(caught, runs, fewest events)``: on how many runs a property of ``HLC_CHECKS`` breaks.

    The runs are ``clock_catch_rate``'s: ``clock_run(nodes, steps, seed, mutant=mutant)``
    with every physical clock off by an offset in ``[0, 20)`` drawn from the seed.

    Parameters
    ----------
    mutant : str or None
        A name from ``HLC_MUTANTS``, or ``None`` for the correct clock.
    check : str
        One of ``HLC_CHECKS``.
    seeds : iterable of int
    nodes, steps : int, default 3 and 4

    Returns
    -------
    (int, int, int or None)
        Runs that broke the property, runs in all, and the number of events of the smallest
        run that broke it (``None`` if none did).

    Raises
    ------
    ValueError
        If ``mutant`` or ``check`` is unknown.

    Examples
    --------
    >>> hlc_catch_rate("hlc_no_physical", "0 <= l - pt <= epsilon", range(5))
    (5, 5, 18)
    >>> hlc_catch_rate(None, "c bounded", range(5))
    (0, 5, None)
    """
    check_mutant("hlc_catch_rate", mutant, HLC_MUTANTS)
    check_name("hlc_catch_rate", check, HLC_CHECKS)
    runs = (_hlc_conditions(seed, mutant, nodes, steps) for seed in seeds)
    return tally_runs((bool(broken[check]), size) for broken, size in runs)


def hlc_mutant_report(seeds: int = 20) -> MutantReport:
    """Run every property of ``HLC_CHECKS`` on the correct clock and on each of ``HLC_MUTANTS``.

    A property fails when any run on seeds ``0..seeds-1`` breaks it; its counterexample
    length is the number of events of the smallest such run.

    Parameters
    ----------
    seeds : int, default 20

    Returns
    -------
    MutantReport

    Raises
    ------
    ValueError
        If ``seeds`` is not an int >= 1.

    Examples
    --------
    >>> hlc_mutant_report(seeds=5).problems()
    []
    """
    return seeded_mutant_report(
        hlc_catch_rate, HLC_MUTANTS, HLC_MUTANT_CHECKS, HLC_CHECKS, seeds, where="hlc_mutant_report"
    )


def hlc_mutant_table(seeds: int = 20) -> Any:
    """The mutant table of the hybrid logical clock, with how many runs each mutant's named
    check caught.

    Parameters
    ----------
    seeds : int, default 20

    Returns
    -------
    pandas.DataFrame
        ``mutant_table``'s columns (the counterexample length renamed ``events in the
        smallest run caught``), and ``runs caught by its check``.

    Examples
    --------
    >>> table = hlc_mutant_table(seeds=5)
    >>> print(table[["mutant", "caught by", "runs caught by its check"]].to_string(index=False))
             mutant                 caught by runs caught by its check
    correct version none: passes all 3 checks                   0 of 5
     hlc_no_message           hlc respects ->                   5 of 5
       hlc_no_reset                 c bounded                   5 of 5
    hlc_no_physical    0 <= l - pt <= epsilon                   5 of 5
        hlc_no_tick           hlc respects ->                   5 of 5
    """
    return seeded_mutant_table(
        hlc_mutant_report(seeds),
        hlc_catch_rate,
        seeds,
        where="hlc_mutant_table",
        length_column="events in the smallest run caught",
        column="runs caught by its check",
    )


# == physical clocks and their synchronisation ====================================================
@dataclass(frozen=True)
class TimeRequest:
    """Client to time server: what time is it? (``seq`` matches the answer to the question.)

    Examples
    --------
    >>> TimeRequest(1)
    TimeRequest(seq=1)
    """

    seq: int


@dataclass(frozen=True)
class TimeReply:
    """Time server to client: my clock read ``received`` when your request arrived, ``sent`` now.

    ``received`` and ``sent`` are NTP's t1 and t2; a server that answers at
    once has ``received == sent`` (Cristian's single reading).

    Examples
    --------
    >>> TimeReply(1, 12.0, 12.0)
    TimeReply(seq=1, received=12.0, sent=12.0)
    """

    seq: int
    received: float
    sent: float


class TimeServer(Node[int]):
    """Answers every ``TimeRequest`` with its own clock; its state counts the requests.

    Examples
    --------
    >>> from dslib import Context
    >>> ctx = Context("server", ("server", "c"), now=12.5)
    >>> TimeServer().on_message(ctx, 0, "c", TimeRequest(1)), ctx.sent
    (1, [('c', TimeReply(seq=1, received=12.5, sent=12.5))])
    """

    def init(self, ctx: Context) -> int:
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        if isinstance(msg, TimeRequest):
            ctx.send(src, TimeReply(msg.seq, ctx.now, ctx.now))
            return state + 1
        return state


def ntp_offset_delay(t0: float, t1: float, t2: float, t3: float) -> tuple[float, float]:
    """NTP's clock offset and round-trip delay from four timestamps (Mills 1991, §3).

    ``t0``: the client sends (client clock); ``t1``: the server receives and
    ``t2``: it answers (server clock); ``t3``: the client receives (client
    clock). The offset ``((t1 - t0) + (t2 - t3)) / 2`` is what to add to the
    client's clock; the delay ``(t3 - t0) - (t2 - t1)`` is the round trip
    spent on the network. If the two legs take equally long the offset is
    exact; in any case its error is at most ``delay / 2``.

    With ``t1 == t2 == T`` this is Cristian's rule: set the clock to
    ``T + delay / 2``.

    Examples
    --------
    >>> ntp_offset_delay(100.0, 160.0, 160.0, 110.0)      # server 55 ahead, 10 round trip
    (55.0, 10.0)
    >>> ntp_offset_delay(100.0, 160.0, 150.0, 110.0)
    Traceback (most recent call last):
    ...
    ValueError: ntp_offset_delay: the server answered (t2=150.0) before it received (t1=160.0)
    """
    for name, t in (("t0", t0), ("t1", t1), ("t2", t2), ("t3", t3)):
        _check_physical(t)
        del name
    if t2 < t1:
        raise ValueError(
            f"ntp_offset_delay: the server answered (t2={t2}) before it received (t1={t1})"
        )
    if t3 < t0:
        raise ValueError(
            f"ntp_offset_delay: the answer (t3={t3}) came before the request (t0={t0})"
        )
    return ((t1 - t0) + (t2 - t3)) / 2, (t3 - t0) - (t2 - t1)


@dataclass(frozen=True)
class SyncClientState:
    """A ``SyncClient``'s correction and the record of its synchronisations.

    Attributes
    ----------
    correction : float
        What it adds to its physical clock: its synchronised time is
        ``ctx.now + correction``.
    seq : int
        The number of the current probe.
    sent_at : float
        Its clock when it sent the current probe.
    best : (float, float) or None
        The ``(delay, offset)`` of the best probe of the current round (the
        smallest delay: the tightest bound).
    probes_left : int
        How many more probes this round sends.
    syncs : tuple of (float, float, float)
        For each synchronisation: its local clock ``t3`` when it applied it, the
        round-trip ``delay`` and the new ``correction``.

    Examples
    --------
    >>> SyncClientState().correction
    0.0
    """

    correction: float = 0.0
    seq: int = 0
    sent_at: float = 0.0
    best: tuple[float, float] | None = None
    probes_left: int = 0
    syncs: tuple[tuple[float, float, float], ...] = ()


class SyncClient(Node[SyncClientState]):
    """Synchronises with a ``TimeServer`` every ``period`` (Cristian 1989).

    Each round it sends ``probes`` requests one after the other, and from the
    answer with the shortest round trip it sets its correction so that its
    clock reads the server's time plus half the round trip (``ntp_offset_delay``).
    ``mutant="no_half_rtt"`` ignores the round trip and takes the server's
    reading as is: its clock is then behind by the answer's travel time
    (``SYNC_MUTANTS`` lists the broken versions).

    Parameters
    ----------
    server : str, default "server"
    period : float, default 50
        Time from the end of one round to the start of the next (on its own clock).
    probes : int, default 1
        Requests per round; the one with the smallest delay wins.
    compensate : bool, optional
        Deprecated: ``compensate=False`` is ``mutant="no_half_rtt"`` (warns).
    mutant : str or None, default None
        A broken version from ``SYNC_MUTANTS``, or ``None``.

    Raises
    ------
    ValueError
        If ``period`` or ``probes`` is out of range, or ``mutant`` is not in ``SYNC_MUTANTS``.

    Examples
    --------
    >>> sim = sync_run(rate=1.0, offset=30.0, latency=2.0, until=60.0)
    >>> sim.states["client"].correction     # the client was 30 ahead: it corrects by -30
    -30.0
    >>> SyncClient(mutant="half_rtt")
    Traceback (most recent call last):
    ...
    ValueError: SyncClient: unknown mutant 'half_rtt'; allowed: None or one of \
['full_rtt', 'last_probe', 'minus_half_rtt', 'no_half_rtt', 'ntp_offset_sign']
    """

    def __init__(
        self,
        server: str = "server",
        period: float = 50.0,
        probes: int = 1,
        compensate: bool | None = None,
        mutant: str | None = None,
    ) -> None:
        if not (isinstance(period, (int, float)) and period > 0):
            raise ValueError(f"SyncClient: period={period!r} must be a number > 0")
        if not (isinstance(probes, int) and not isinstance(probes, bool) and probes >= 1):
            raise ValueError(f"SyncClient: probes={probes!r} must be an int >= 1")
        self.server = server
        self.period = float(period)
        self.probes = probes
        self.mutant = check_mutant(
            "SyncClient", _compensate_as_mutant(compensate, mutant), SYNC_MUTANTS
        )

    def init(self, ctx: Context) -> SyncClientState:
        ctx.set_timer("sync", 0.0)
        return SyncClientState()

    def _probe(self, ctx: Context, state: SyncClientState) -> SyncClientState:
        seq = state.seq + 1
        ctx.send(self.server, TimeRequest(seq))
        return replace(state, seq=seq, sent_at=ctx.now, probes_left=state.probes_left - 1)

    def on_timer(self, ctx: Context, state: SyncClientState, timer: Any) -> SyncClientState:
        if timer != "sync":
            return state
        return self._probe(ctx, replace(state, best=None, probes_left=self.probes))

    def on_message(self, ctx: Context, state: SyncClientState, src: str, msg: Any) -> Any:
        if not isinstance(msg, TimeReply) or msg.seq != state.seq:
            return state  # an answer to an older probe
        offset, delay = ntp_offset_delay(state.sent_at, msg.received, msg.sent, ctx.now)
        if self.mutant == "no_half_rtt":  # mutant: the server's reading T, as is
            offset = msg.sent - ctx.now
        elif self.mutant == "minus_half_rtt":  # mutant: T - delay / 2
            offset = msg.sent - delay / 2 - ctx.now
        elif self.mutant == "full_rtt":  # mutant: T + delay
            offset = msg.sent + delay - ctx.now
        elif self.mutant == "ntp_offset_sign":  # mutant: each difference the wrong way round
            offset = ((state.sent_at - msg.received) + (ctx.now - msg.sent)) / 2
        best = (delay, offset) if state.best is None or delay < state.best[0] else state.best
        if self.mutant == "last_probe":  # mutant: the last answer, not the fastest
            best = (delay, offset)
        state = replace(state, best=best)
        if state.probes_left > 0:
            return self._probe(ctx, state)
        correction = best[1]
        ctx.set_timer("sync", self.period)  # the next round, a period after this one ends
        return replace(
            state,
            correction=correction,
            best=None,
            syncs=(*state.syncs, (ctx.now, best[0], correction)),
        )


def _compensate_as_mutant(compensate: bool | None, mutant: str | None) -> str | None:
    """The old spelling ``compensate=False`` as ``mutant="no_half_rtt"``, with a warning."""
    if compensate is None:
        return mutant
    deprecated_spelling(f"compensate={compensate!r}", "mutant='no_half_rtt' (or nothing)", 4)
    if compensate:
        return mutant
    if mutant is not None:
        raise ValueError(f"give compensate=False or mutant={mutant!r}, not both")
    return "no_half_rtt"


def _alternating(request: Latency, reply: Latency) -> Latency:
    """A latency drawn from ``request`` and ``reply`` in turn, starting with ``request``.

    Right for ``sync_run``'s two nodes only, where requests and replies alternate.
    """
    turn = itertools.cycle((request, reply))
    return Latency(lambda rng: next(turn).sample(rng), f"requests {request!r}, replies {reply!r}")


def sync_run(
    rate: float = 1.0,
    offset: float = 0.0,
    server_rate: float = 1.0,
    server_offset: float = 0.0,
    latency: Latency | float = 2.0,
    period: float = 50.0,
    probes: int = 1,
    compensate: bool | None = None,
    until: float = 500.0,
    seed: int = 0,
    request_latency: Latency | float | None = None,
    reply_latency: Latency | float | None = None,
    mutant: str | None = None,
) -> Simulation:
    """A ``SyncClient`` (``client``) and a ``TimeServer`` (``server``) with skewed clocks, run to ``until``.

    Parameters
    ----------
    rate, offset : float
        The client's clock: ``offset + rate * true time``.
    server_rate, server_offset : float
        The server's clock (the reference; 1 and 0 make it true time).
    latency : Latency or float, default 2.0
        One-way message latency, in both directions unless overridden below.
    period, probes, compensate, mutant
        As in ``SyncClient`` (``mutant``: a broken client from ``SYNC_MUTANTS``;
        ``compensate`` is deprecated).
    until : float, default 500
    seed : int, default 0
    request_latency, reply_latency : Latency or float, optional
        The one-way latency of the requests (client to server) and of the
        replies (server to client), when the two directions differ; each
        defaults to ``latency``.

    Returns
    -------
    Simulation
        The simulation, run to ``until``; ``sync_errors`` measures it.

    Raises
    ------
    ValueError
        If a rate or ``until`` is not a number > 0, or ``mutant`` is unknown.
    TypeError
        If a latency is not a number, a ``Latency`` or a function of a ``random.Random``.

    Examples
    --------
    >>> from dslib.sim import exponential
    >>> sim = sync_run(rate=1.001, offset=-40.0, latency=exponential(3.0), until=300.0)
    >>> len(sim.states["client"].syncs)
    6

    Requests that take 1 and replies that take 7 leave the client 3 behind,
    half the difference, although the round trip is the same as with 4 and 4:

    >>> sim = sync_run(request_latency=1.0, reply_latency=7.0, until=100.0)
    >>> [round(s.error, 9) for s in sync_errors(sim)]
    [-3.0, -3.0]

    Notes
    -----
    The simulator draws one latency per message and does not tell the
    distribution which link the message takes. Here exactly one message is
    in flight at a time (the client sends its next request only after the
    reply to the last one, and the server answers each request at once), so
    requests and replies alternate, starting with a request: the latency
    drawn alternately from ``request_latency`` and ``reply_latency`` is the
    right one for each message.
    """  # noqa: E501
    for name, r in (("rate", rate), ("server_rate", server_rate)):
        if not (isinstance(r, (int, float)) and r > 0):
            raise ValueError(f"sync_run: {name}={r!r} must be a number > 0")
    if not (isinstance(until, (int, float)) and until > 0):
        raise ValueError(f"sync_run: until={until!r} must be a number > 0")
    system = System(
        {
            "client": SyncClient(
                "server", period, probes, mutant=_compensate_as_mutant(compensate, mutant)
            ),
            "server": TimeServer(),
        }
    )
    one_way = as_latency(latency)
    if request_latency is not None or reply_latency is not None:
        one_way = _alternating(
            one_way if request_latency is None else as_latency(request_latency),
            one_way if reply_latency is None else as_latency(reply_latency),
        )
    sim = Simulation(system, seed=seed, network=Network(latency=one_way))
    sim.set_clock("client", offset, rate)
    sim.set_clock("server", server_offset, server_rate)
    return sim.run(until=until)


def clock_reading(trace: Trace, node: str, time: float) -> float:
    """What ``node``'s physical clock read at true time ``time``, from the skews in ``trace``.

    The simulator writes every ``ClockSkew`` it applies to the trace; the
    last one of ``node`` at or before ``time`` gives the reading
    ``offset + rate * time`` (true time if there is none).

    Examples
    --------
    >>> sim = sync_run(rate=2.0, offset=5.0, until=10.0)
    >>> clock_reading(sim.trace, "client", 3.0), clock_reading(sim.trace, "server", 3.0)
    (11.0, 3.0)
    """
    offset, rate = 0.0, 1.0
    for e in trace:
        if e.time > time:
            break
        if e.kind == "fault" and isinstance(e.data, ClockSkew) and e.data.node == node:
            offset, rate = e.data.offset, e.data.rate
    return offset + rate * time


@dataclass(frozen=True)
class SyncSample:
    """One synchronisation of a ``SyncClient``, measured against the truth.

    ``time`` is the true time it happened; ``delay`` the round trip the
    client measured; ``bound`` Cristian's bound ``delay / 2``; ``error`` the
    synchronised clock minus the server's clock at that instant (positive:
    the client is ahead).

    Examples
    --------
    >>> SyncSample(time=5.0, delay=4.0, bound=2.0, error=-1.5).within_bound
    True

    Notes
    -----
    Where the bound comes from (Cristian 1989). Let the round trip take
    ``rtt`` of true time, which the client measures on its own clock, of rate
    ``r_c``, as ``delay = r_c * rtt``. The server read its clock, ``T``, a
    true time ``x`` after the client sent the request (``0 <= x <= rtt``: ``x``
    is the request's one-way latency, ``rtt - x`` the reply's). When the reply
    arrives the server's clock, of rate ``r_s``, reads ``T + r_s * (rtt - x)``;
    the client sets its own to ``T + delay / 2``. So::

        error = delay / 2 - r_s * (rtt - x)

    With both rates 1 this is ``x - rtt / 2``, half the difference of the two
    legs (0 when they are equal), between ``-delay / 2`` (the server read its
    clock at the start: the client is ``delay / 2`` behind) and ``+delay / 2``
    (it read it at the end: the client is ahead). With drift, ``x`` from 0 to
    ``rtt`` puts the error in ``[delay / 2 - (r_s / r_c) * delay, delay / 2]``.

    References
    ----------
    F. Cristian, "Probabilistic Clock Synchronization", *Distributed
    Computing* 3(3), 1989, pp. 146-158.
    """

    time: float
    delay: float
    bound: float
    error: float

    @property
    def within_bound(self) -> bool:
        """``|error| <= bound`` (up to rounding)."""
        return abs(self.error) <= self.bound + 1e-9


def sync_errors(
    sim: Simulation, client: str = "client", server: str = "server"
) -> list[SyncSample]:
    """The error of each synchronisation of ``client`` in ``sim``, with Cristian's bound.

    The error is what the client's synchronised clock (``ctx.now +
    correction``) read minus what the server's clock read, at the true
    instant the client applied the correction. With both clocks ticking at
    the same rate it lies within ``±delay / 2`` (Cristian 1989): the
    server read its clock at some instant during the round trip, and the
    client assumed the middle. It is half the request's latency minus half
    the reply's (``SyncSample`` derives it, with drift).

    Examples
    --------
    >>> from dslib.sim import exponential
    >>> sim = sync_run(offset=100.0, latency=exponential(4.0), until=400.0, seed=3)
    >>> samples = sync_errors(sim)
    >>> all(s.within_bound for s in samples), len(samples)
    (True, 7)
    """
    state = sim.states.get(client)
    if not isinstance(state, SyncClientState):
        raise ValueError(f"sync_errors: node {client!r} is not a SyncClient that is up")
    out: list[SyncSample] = []
    pending = list(state.syncs)
    for e in sim.trace:
        if not pending:
            break
        if e.kind == "state" and e.node == client and e.data.syncs[-1:] == (pending[0],):
            local, delay, correction = pending.pop(0)
            true_time = e.time
            synced = clock_reading(sim.trace, client, true_time) + correction
            error = synced - clock_reading(sim.trace, server, true_time)
            out.append(SyncSample(true_time, delay, delay / 2, error))
            del local
    return out


def sync_error_series(
    sim: Simulation, client: str = "client", server: str = "server", step: float = 1.0
) -> list[tuple[float, float]]:
    """The error of ``client``'s synchronised clock against ``server``'s, every ``step`` of true time.

    Returns ``(time, error)`` pairs from 0 to ``sim.now``, where ``error`` is
    ``client clock + correction in force - server clock``. Between two
    synchronisations the error grows by the difference of the two clocks'
    rates per unit of time: drift.

    Examples
    --------
    >>> sim = sync_run(rate=1.01, offset=0.0, latency=1.0, period=100.0, until=100.0)
    >>> [round(e, 2) for t, e in sync_error_series(sim, step=25.0)]
    [0.0, 0.24, 0.49, 0.74, 0.99]
    """  # noqa: E501
    if not (isinstance(step, (int, float)) and step > 0):
        raise ValueError(f"sync_error_series: step={step!r} must be a number > 0")
    changes = _corrections(sim, client)
    out = []
    k = 0
    i = 0
    while k * step <= sim.now + 1e-9:
        t = k * step
        while i + 1 < len(changes) and changes[i + 1][0] <= t:
            i += 1
        synced = clock_reading(sim.trace, client, t) + changes[i][1]
        out.append((t, synced - clock_reading(sim.trace, server, t)))
        k += 1
    return out


def _corrections(sim: Simulation, client: str) -> list[tuple[float, float]]:
    """``(true time, correction)`` each time ``client``'s correction changed, from ``(0, 0)``."""
    changes: list[tuple[float, float]] = [(0.0, 0.0)]
    for e in sim.trace:
        if e.kind in ("state", "init", "restart") and e.node == client:
            correction = getattr(e.data, "correction", None)
            if correction is not None and correction != changes[-1][1]:
                changes.append((e.time, correction))
    return changes


# == the broken synchronisations and the checks that catch them ==================================
SYNC_MUTANTS: dict[str, str] = {
    "no_half_rtt": "the client sets its clock to the server's reading T, without adding half "
    "the round trip",
    "minus_half_rtt": "the client sets its clock to T - RTT/2: half the round trip subtracted "
    "instead of added",
    "full_rtt": "the client sets its clock to T + RTT: the whole round trip instead of half",
    "ntp_offset_sign": "NTP's offset with the wrong sign: ((t0 - t1) + (t3 - t2)) / 2",
    "last_probe": "of a round's probes the client keeps the last answer, not the one with the "
    "shortest round trip",
}
"""The broken versions of ``SyncClient`` (``mutant=`` name -> what is wrong)."""

SYNC_CHECKS: tuple[str, ...] = ("error within RTT/2", "error = half the legs' difference")
"""What ``sync_catch_rate`` checks on every synchronisation of a run. **error within RTT/2**:
Cristian's bound, ``|error| <= delay / 2``, the error measured against the server's true clock
(``sync_errors``). **error = half the legs' difference**: the exact error, ``(request -
reply) / 2`` for the one-way latencies of the round's fastest probe, read from the trace
(``probe_rounds``)."""

SYNC_MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "no_half_rtt": ("error within RTT/2", "error = half the legs' difference"),
    "minus_half_rtt": ("error within RTT/2", "error = half the legs' difference"),
    "full_rtt": ("error within RTT/2", "error = half the legs' difference"),
    "ntp_offset_sign": ("error within RTT/2", "error = half the legs' difference"),
    "last_probe": ("error = half the legs' difference",),
}
"""The checks that must catch each mutant of ``SYNC_MUTANTS``; the first is the one whose
catch rate ``sync_mutant_table`` shows."""


def probe_rounds(
    sim: Simulation, client: str = "client", server: str = "server"
) -> list[list[tuple[float, float]]]:
    """For each synchronisation of ``client``, the one-way latencies of its round's probes.

    Read from the trace alone, in true time: each ``TimeRequest`` from ``client`` to
    ``server`` and each ``TimeReply`` back, from its send to its delivery. A round is the
    probes sent since the previous synchronisation, up to the one that completed it.

    Returns
    -------
    list of list of (float, float)
        One list per synchronisation, in order, of ``(request latency, reply latency)`` per
        probe, in the order sent.

    Examples
    --------
    >>> sim = sync_run(request_latency=1.0, reply_latency=7.0, probes=2, until=100.0)
    >>> probe_rounds(sim)
    [[(1.0, 7.0), (1.0, 7.0)], [(1.0, 7.0), (1.0, 7.0)]]
    """
    sent: dict[int, float] = {}
    legs: dict[tuple[str, int], float] = {}
    rounds: list[list[tuple[float, float]]] = []
    done = last = 0
    for e in sim.trace:
        request = isinstance(e.data, TimeRequest) and (e.node, e.peer) in (
            (client, server),
            (server, client),
        )
        reply = isinstance(e.data, TimeReply) and (e.node, e.peer) in (
            (server, client),
            (client, server),
        )
        if (request or reply) and e.ref is not None:
            if e.kind == "send":
                sent[e.ref] = e.time
            elif e.kind == "deliver" and e.ref in sent:
                legs[("request" if request else "reply", e.data.seq)] = e.time - sent[e.ref]
        elif (
            e.kind == "state"
            and e.node == client
            and isinstance(e.data, SyncClientState)
            and len(e.data.syncs) > done
        ):
            done = len(e.data.syncs)
            seqs = range(last + 1, e.data.seq + 1)
            rounds.append([(legs[("request", s)], legs[("reply", s)]) for s in seqs])
            last = e.data.seq
    return rounds


def _first_broken(sim: Simulation) -> dict[str, int | None]:
    """For each of ``SYNC_CHECKS``, the number (from 1) of the first synchronisation that
    breaks it, or ``None``."""
    for e in sim.trace:
        if e.kind == "fault" and isinstance(e.data, ClockSkew) and e.data.rate != 1.0:
            raise ValueError(
                f"the sync checks need clocks at the true rate; {e.data.node} has rate "
                f"{e.data.rate} (with drift the bound is SyncSample's, not RTT/2)"
            )
    first: dict[str, int | None] = dict.fromkeys(SYNC_CHECKS)
    samples = sync_errors(sim)
    rounds = probe_rounds(sim)
    for k, (s, probes) in enumerate(zip(samples, rounds, strict=True), start=1):
        request, reply = min(probes, key=lambda legs: legs[0] + legs[1])  # the first fastest
        broken = {
            "error within RTT/2": not s.within_bound,
            "error = half the legs' difference": abs(s.error - (request - reply) / 2) > 1e-6,
        }
        for name, is_broken in broken.items():
            if is_broken and first[name] is None:
                first[name] = k
    return first


def sync_check_run(seed: int, mutant: str | None = None) -> Simulation:
    """The run on which ``sync_catch_rate`` checks a client: the same for the same seed.

    A ``SyncClient`` whose clock is off by an offset drawn from the seed in ``[-100, 100]``
    synchronises for 500 units of time, with 3 probes a round, against a ``TimeServer``;
    each message takes 0.5 plus an exponential delay of mean 4. Both clocks run at the true
    rate, so Cristian's bound is ``RTT/2``.

    Examples
    --------
    >>> sim = sync_check_run(0)
    >>> len(sync_errors(sim)), round(clock_reading(sim.trace, "client", 0.0), 2)
    (7, 68.88)
    """
    offset = round(random.Random(seed).uniform(-100.0, 100.0), 2)
    latency = exponential(4.0, minimum=0.5)
    return sync_run(offset=offset, latency=latency, probes=3, until=500.0, seed=seed, mutant=mutant)


@functools.lru_cache(maxsize=512)
def _sync_conditions(seed: int, mutant: str | None) -> dict[str, int | None]:
    # the table asks both checks of the same runs: each run is simulated once
    return _first_broken(sync_check_run(seed, mutant))


def sync_catch_rate(
    mutant: str | None, check: str, seeds: Iterable[int]
) -> tuple[int, int, int | None]:
    """``(caught, runs, fewest synchronisations)``: on how many runs a check of ``SYNC_CHECKS``
    fails.

    Each run is ``sync_check_run(seed, mutant)``.

    Parameters
    ----------
    mutant : str or None
        A name from ``SYNC_MUTANTS``, or ``None`` for the correct client.
    check : str
        One of ``SYNC_CHECKS``.
    seeds : iterable of int

    Returns
    -------
    (int, int, int or None)
        Runs that failed the check, runs in all, and the fewest synchronisations after
        which a run failed it (``None`` if none did).

    Raises
    ------
    ValueError
        If ``mutant`` or ``check`` is unknown.

    Examples
    --------
    >>> sync_catch_rate("minus_half_rtt", "error within RTT/2", range(5))
    (5, 5, 1)
    >>> sync_catch_rate("last_probe", "error within RTT/2", range(5))   # the bound cannot see it
    (0, 5, None)
    >>> sync_catch_rate(None, "error = half the legs' difference", range(5))
    (0, 5, None)
    """
    check_mutant("sync_catch_rate", mutant, SYNC_MUTANTS)
    check_name("sync_catch_rate", check, SYNC_CHECKS)
    firsts = (_sync_conditions(seed, mutant)[check] for seed in seeds)
    return tally_runs((first is not None, first) for first in firsts)


def sync_mutant_report(seeds: int = 20) -> MutantReport:
    """Run both checks of ``SYNC_CHECKS`` on the correct client and on each mutant.

    A check fails when any run on seeds ``0..seeds-1`` fails it; its counterexample length is
    the fewest synchronisations after which a run failed it.

    Parameters
    ----------
    seeds : int, default 20

    Returns
    -------
    MutantReport

    Raises
    ------
    ValueError
        If ``seeds`` is not an int >= 1.

    Examples
    --------
    >>> sync_mutant_report(seeds=5).problems()
    []
    """
    return seeded_mutant_report(
        sync_catch_rate,
        SYNC_MUTANTS,
        SYNC_MUTANT_CHECKS,
        SYNC_CHECKS,
        seeds,
        where="sync_mutant_report",
    )


def sync_mutant_table(seeds: int = 20) -> Any:
    """The mutant table of the synchronising client, with how many runs each mutant's first
    named check caught.

    Parameters
    ----------
    seeds : int, default 20

    Returns
    -------
    pandas.DataFrame
        ``mutant_table``'s columns (the counterexample length renamed ``syncs until
        caught``: the fewest synchronisations of a run before the check failed), and ``runs
        caught by its check``.

    Examples
    --------
    >>> table = sync_mutant_table(seeds=5)
    >>> print(table[["mutant", "syncs until caught", "runs caught by its check"]]
    ...       .to_string(index=False))
             mutant syncs until caught runs caught by its check
    correct version                  —                   0 of 5
        no_half_rtt                  1                   5 of 5
     minus_half_rtt                  1                   5 of 5
           full_rtt                  1                   5 of 5
    ntp_offset_sign                  1                   5 of 5
         last_probe                  1                   5 of 5
    """
    return seeded_mutant_table(
        sync_mutant_report(seeds),
        sync_catch_rate,
        seeds,
        where="sync_mutant_table",
        length_column="syncs until caught",
        column="runs caught by its check",
    )


# == time-of-day and monotonic clocks =============================================================
def time_of_day(sim: Simulation, time: float, client: str = "client") -> float:
    """What ``client``'s **time-of-day clock** read at true ``time``: its physical clock plus the
    correction in force, which each synchronisation *steps* (forwards or backwards).

    This is the clock an operating system reports as the date (``CLOCK_REALTIME``, Python's
    ``time.time()``). Its **monotonic clock** (``CLOCK_MONOTONIC``, ``time.monotonic()``) is
    the physical clock alone (``clock_reading``): never stepped, so a difference of two
    readings is never negative. Use the first to say *when*, the second to say *how long*.

    Raises
    ------
    ValueError
        If ``time`` is not between 0 and ``sim.now``.

    Examples
    --------
    >>> sim = sync_run(offset=100.0, latency=1.0, until=20.0)
    >>> round(time_of_day(sim, 0.5), 2), round(time_of_day(sim, 10.0), 2)
    (100.5, 10.0)
    """
    if not (isinstance(time, (int, float)) and 0 <= time <= sim.now + 1e-9):
        raise ValueError(f"time_of_day: time={time!r} must be between 0 and {sim.now}")
    correction = 0.0
    for when, value in _corrections(sim, client):
        if when <= time:
            correction = value
    return clock_reading(sim.trace, client, time) + correction


def measured_duration(
    sim: Simulation, start: float, end: float, client: str = "client"
) -> dict[str, float]:
    """How long ``[start, end]`` (true time) lasted, measured with each of ``client``'s clocks.

    Returns
    -------
    dict
        ``"true"``: ``end - start``; ``"monotonic"``: the difference of two readings of the
        physical clock (off only by its rate); ``"time of day"``: the difference of two
        readings of the time-of-day clock, which includes every step in between.

    Raises
    ------
    ValueError
        If not ``0 <= start <= end <= sim.now``.

    Examples
    --------
    >>> sim = sync_run(offset=100.0, latency=1.0, until=20.0)
    >>> {k: round(v, 2) for k, v in measured_duration(sim, 0.5, 10.0).items()}
    {'true': 9.5, 'monotonic': 9.5, 'time of day': -90.5}
    """
    if not (
        isinstance(start, (int, float))
        and isinstance(end, (int, float))
        and 0 <= start <= end <= sim.now + 1e-9
    ):
        raise ValueError(
            f"measured_duration: need 0 <= start <= end <= {sim.now}, got {start!r}, {end!r}"
        )
    return {
        "true": end - start,
        "monotonic": clock_reading(sim.trace, client, end)
        - clock_reading(sim.trace, client, start),
        "time of day": time_of_day(sim, end, client) - time_of_day(sim, start, client),
    }


# == version vectors and dotted version vectors ==================================================
VERSION_SCHEMES = ("version vector", "dotted version vector")
"""How a server names the versions of a key it stores (``sibling_run``)."""

VERSION_MUTANTS: dict[str, str] = {
    "last_writer_wins": "a put replaces every version the server holds, siblings included",
    "server_clock": "a put takes the server's own clock (every version it holds) as the "
    "context, instead of what the client read",
    "keep_seen": "a put keeps the versions the client had seen, instead of replacing them",
    "strict_cover": "a version counts as seen only if the context is past its dot "
    "(context[s] > n instead of >=)",
}
"""The broken dotted puts of ``server_put`` (``mutant=`` name -> what is wrong)."""

VERSION_CHECKS: tuple[str, ...] = ("no lost write", "no stale version")
"""What ``version_catch_rate`` checks on a run, against the exact reference of ``sibling_run``:
every value the reference keeps is kept; no value the reference has replaced is kept."""

VERSION_MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "last_writer_wins": ("no lost write",),
    "server_clock": ("no lost write",),
    "keep_seen": ("no stale version",),
    "strict_cover": ("no stale version",),
}
"""The check that must catch each mutant of ``VERSION_MUTANTS``."""


@dataclass(frozen=True)
class StoredVersion:
    """One version of a key on a server.

    With ``"version vector"``, ``clock`` is the version's version vector and ``dot`` is
    ``None``; with ``"dotted version vector"``, ``dot`` ``(server, n)`` names the version and
    ``clock`` is the context it was written with (what its writer had seen).

    Examples
    --------
    >>> StoredVersion("milk", VectorClock({"A": 1}), ("A", 2)).dot
    ('A', 2)
    """

    value: Any
    clock: VectorClock
    dot: tuple[str, int] | None = None


def _versions_context(versions: Sequence[StoredVersion]) -> VectorClock:
    context = VectorClock()
    for v in versions:
        context = context.merge(v.clock)
        if v.dot is not None:
            context = context.merge(VectorClock({v.dot[0]: v.dot[1]}))
    return context


def server_put(
    versions: Sequence[StoredVersion],
    counter: int,
    value: Any,
    context: VectorClock,
    server: str = "A",
    scheme: str = "dotted version vector",
    mutant: str | None = None,
) -> tuple[tuple[StoredVersion, ...], int]:
    """A server stores ``value`` written with ``context`` (what the client's last get returned).

    - ``"version vector"`` (one counter per server, as Dynamo and early Riak): the new
      version's vector is the context with the server's entry set past every version the
      server holds; every version whose vector is ``<=`` it is discarded as obsolete.
    - ``"dotted version vector"`` (Preguiça, Baquero, Almeida, Fonte and Gonçalves 2010,
      section 3): the new version gets a *dot*, ``(server, counter + 1)``, and keeps the
      context apart; a version is discarded only if the context covers its dot, i.e. the
      client had seen it.

    The first scheme cannot tell "the client saw the version ``A:2``" from "the server has
    written ``A:2``": two clients that read the same state and write through the same server
    both get vectors above it, and the second write discards the first, which its writer
    never saw (a lost update). The dot keeps the two apart.

    Parameters
    ----------
    versions : sequence of StoredVersion
    counter : int
        The largest counter the server has given a version so far.
    value : any
    context : VectorClock
    server : str, default "A"
    scheme : {"version vector", "dotted version vector"}
    mutant : str or None, default None
        A broken dotted put from ``VERSION_MUTANTS`` (with ``scheme="dotted version
        vector"`` only), or ``None``.

    Returns
    -------
    (tuple of StoredVersion, int)
        The versions kept (the new one last) and the new counter.

    Raises
    ------
    ValueError
        If ``scheme`` or ``mutant`` is unknown, or a mutant is asked of the other scheme.

    Examples
    --------
    >>> v1, n = server_put((), 0, "v1", VectorClock(), "A", "version vector")
    >>> ctx = _versions_context(v1)                      # two clients read v1
    >>> v2, n = server_put(v1, n, "milk", ctx, "A", "version vector")
    >>> v3, n = server_put(v2, n, "eggs", ctx, "A", "version vector")
    >>> [v.value for v in v3]                            # milk is lost
    ['eggs']
    >>> d1, n = server_put((), 0, "v1", VectorClock())
    >>> d2, n = server_put(d1, n, "milk", _versions_context(d1))
    >>> d3, n = server_put(d2, n, "eggs", _versions_context(d1))
    >>> [v.value for v in d3]                            # siblings
    ['milk', 'eggs']
    """
    if scheme not in VERSION_SCHEMES:
        raise ValueError(f"server_put: unknown scheme {scheme!r}; allowed: {VERSION_SCHEMES}")
    if not isinstance(context, VectorClock):
        raise TypeError(f"server_put: context={context!r} must be a VectorClock")
    check_mutant("server_put", mutant, VERSION_MUTANTS)
    if mutant is not None and scheme != "dotted version vector":
        raise ValueError(
            f"server_put: mutant={mutant!r} breaks the dotted scheme; scheme={scheme!r}"
        )
    counter += 1
    if scheme == "version vector":
        clock = context.merge(VectorClock({server: counter}))
        kept = tuple(v for v in versions if not v.clock <= clock)
        return (*kept, StoredVersion(value, clock)), counter
    if mutant == "server_clock":  # mutant: the server's own clock, not what the client read
        context = _versions_context(versions).merge(context)
    kept = tuple(
        v for v in versions if v.dot is None or context.get(v.dot[0]) < v.dot[1]
    )  # the client had not seen it: a sibling
    if mutant == "last_writer_wins":  # mutant: the new version replaces every sibling
        kept = ()
    elif mutant == "keep_seen":  # mutant: versions the client had seen are kept too
        kept = tuple(versions)
    elif mutant == "strict_cover":  # mutant: a dot counts as seen only below the context
        kept = tuple(v for v in versions if v.dot is None or context.get(v.dot[0]) <= v.dot[1])
    return (*kept, StoredVersion(value, context, (server, counter))), counter


def sibling_run(
    operations: Sequence[tuple[Any, ...]],
    scheme: str = "dotted version vector",
    mutant: str | None = None,
) -> tuple[list[Any], list[Any]]:
    """Run gets and puts of clients against one server; return what it stores, and what it
    should store.

    ``operations`` are ``("get", client)`` (the client remembers the context) and
    ``("put", client, value)`` (written with the client's last context, or none: a blind
    put). The reference tracks exactly which puts each client had seen (the values of its
    last get and everything they replaced): a put replaces exactly those. ``mutant`` runs a
    broken dotted put (``VERSION_MUTANTS``).

    Returns
    -------
    (list, list)
        The values the server keeps, and the values the exact reference keeps, in write
        order.

    Examples
    --------
    >>> ops = [("put", "c1", "v1"), ("get", "c1"), ("get", "c2"),
    ...        ("put", "c1", "milk"), ("put", "c2", "eggs")]
    >>> sibling_run(ops, "version vector")
    (['eggs'], ['milk', 'eggs'])
    >>> sibling_run(ops, "dotted version vector")
    (['milk', 'eggs'], ['milk', 'eggs'])
    """
    steps = list(_sibling_steps(operations, scheme, mutant))
    return steps[-1] if steps else ([], [])


def _sibling_steps(
    operations: Sequence[tuple[Any, ...]], scheme: str, mutant: str | None
) -> Iterator[tuple[list[Any], list[Any]]]:
    """``sibling_run``'s two answers after each operation in turn."""
    versions: tuple[StoredVersion, ...] = ()
    counter = 0
    contexts: dict[Any, VectorClock] = {}
    live: list[tuple[int, Any]] = []  # the reference: (put number, value) still current
    replaced: dict[int, frozenset[int]] = {}  # put number -> every put it replaced
    seen: dict[Any, frozenset[int]] = {}
    for k, op in enumerate(operations):
        if op[0] == "get":
            contexts[op[1]] = _versions_context(versions)
            seen[op[1]] = frozenset(
                {n for n, _ in live} | {m for n, _ in live for m in replaced[n]}
            )
        elif op[0] == "put" and len(op) == 3:
            client, value = op[1], op[2]
            versions, counter = server_put(
                versions, counter, value, contexts.get(client, VectorClock()), "A", scheme, mutant
            )
            saw = seen.get(client, frozenset())
            replaced[k] = saw
            live = [(n, v) for n, v in live if n not in saw] + [(k, value)]
        else:
            raise ValueError(f"sibling_run: operation {op!r} must be ('get', c) or ('put', c, v)")
        yield [v.value for v in versions], [v for _, v in live]


def version_operations(seed: int, length: int = 8, clients: int = 3) -> list[tuple[Any, ...]]:
    """A random sequence of gets and puts for ``sibling_run``, the same for the same seed.

    Each operation is a get or a put (even odds) by one of the clients ``c1``, ``c2``, ...;
    the k-th put writes the value ``"w<k>"``.

    Examples
    --------
    >>> version_operations(1, length=4)
    [('put', 'c1', 'w0'), ('get', 'c1'), ('put', 'c2', 'w1'), ('put', 'c2', 'w2')]
    """
    if not (isinstance(length, int) and not isinstance(length, bool) and length >= 0):
        raise ValueError(f"version_operations: length={length!r} must be an int >= 0")
    if not (isinstance(clients, int) and not isinstance(clients, bool) and clients >= 1):
        raise ValueError(f"version_operations: clients={clients!r} must be an int >= 1")
    draw = random.Random(seed)
    ops: list[tuple[Any, ...]] = []
    puts = 0
    for _ in range(length):
        client = f"c{draw.randrange(clients) + 1}"
        if draw.random() < 0.5:
            ops.append(("get", client))
        else:
            ops.append(("put", client, f"w{puts}"))
            puts += 1
    return ops


def _version_check(check: str, kept: list[Any], reference: list[Any]) -> bool:
    """Whether a run passes ``check``: True when it holds."""
    if check == "no lost write":
        return all(v in kept for v in reference)
    return all(v in reference for v in kept)


def version_catch_rate(
    mutant: str | None, check: str, seeds: Iterable[int], length: int = 16
) -> tuple[int, int, int | None]:
    """``(caught, runs, fewest operations)``: on how many random runs a check fails.

    Each run is ``sibling_run(version_operations(seed, length), mutant=mutant)``, with dotted
    version vectors; the check compares what the server keeps with the exact reference.

    Parameters
    ----------
    mutant : str or None
        A name from ``VERSION_MUTANTS``, or ``None`` for the correct put.
    check : str
        One of ``VERSION_CHECKS``.
    seeds : iterable of int
    length : int, default 16
        Operations per run.

    Returns
    -------
    (int, int, int or None)
        Runs that failed the check, runs in all, and the fewest operations of a failing run
        cut short at the operation where it first failed (``None`` if none failed).

    Raises
    ------
    ValueError
        If ``mutant`` or ``check`` is unknown.

    Examples
    --------
    >>> version_catch_rate("keep_seen", "no stale version", range(10))
    (9, 10, 4)
    >>> version_catch_rate(None, "no lost write", range(10))
    (0, 10, None)
    """
    check_mutant("version_catch_rate", mutant, VERSION_MUTANTS)
    check_name("version_catch_rate", check, VERSION_CHECKS)

    def first_failure(seed: int) -> int | None:
        steps = _sibling_steps(version_operations(seed, length), "dotted version vector", mutant)
        failing = enumerate(steps, start=1)
        return next((k for k, (kept, ref) in failing if not _version_check(check, kept, ref)), None)

    firsts = (first_failure(seed) for seed in seeds)
    return tally_runs((first is not None, first) for first in firsts)


def version_mutant_report(seeds: int = 40) -> MutantReport:
    """Run both checks of ``VERSION_CHECKS`` on the correct dotted put and on each mutant.

    A check fails when any run on seeds ``0..seeds-1`` fails it; its counterexample length
    is the fewest operations after which a run failed it.

    Parameters
    ----------
    seeds : int, default 40

    Returns
    -------
    MutantReport

    Raises
    ------
    ValueError
        If ``seeds`` is not an int >= 1.

    Examples
    --------
    >>> version_mutant_report(seeds=10).problems()
    []
    """
    return seeded_mutant_report(
        version_catch_rate,
        VERSION_MUTANTS,
        VERSION_MUTANT_CHECKS,
        VERSION_CHECKS,
        seeds,
        where="version_mutant_report",
    )


def version_mutant_table(seeds: int = 40) -> Any:
    """The mutant table of the dotted put, with how many runs each mutant's check caught.

    Parameters
    ----------
    seeds : int, default 40

    Returns
    -------
    pandas.DataFrame
        ``mutant_table``'s columns (the counterexample length renamed ``operations in the
        shortest run caught``), and ``runs caught by its check``.

    Examples
    --------
    >>> table = version_mutant_table(seeds=10)
    >>> print(table[["mutant", "caught by", "runs caught by its check"]].to_string(index=False))
              mutant                 caught by runs caught by its check
     correct version none: passes all 2 checks                  0 of 10
    last_writer_wins             no lost write                  9 of 10
        server_clock             no lost write                  9 of 10
           keep_seen          no stale version                  9 of 10
        strict_cover          no stale version                  9 of 10
    """
    return seeded_mutant_table(
        version_mutant_report(seeds),
        version_catch_rate,
        seeds,
        where="version_mutant_table",
        length_column="operations in the shortest run caught",
        column="runs caught by its check",
    )
