"""The happens-before explorer of chapter 2: a run, its clocks, and the light cone of an event.

A run of a few processes is drawn as a space-time diagram, one column per event in the order
the events happened, each event labelled with its Lamport time and its vector clock (and, if
asked, its hybrid logical clock). The reader picks two events, ``a`` and ``b``; the explorer
shows the true relation between them (from ``dslib.clocks.happens_before``) beside what each
clock says, colours the causal past and the causal future of ``a`` (its "light cone": what
could have influenced it, and what it could influence), and says when Lamport's order
misleads: ``a`` and ``b`` concurrent, yet ``L(a) < L(b)``, as if one came first. (Lamport
likens happens-before to the order of events in special relativity, where an event can
influence only what lies in its future light cone: hence the name.)

The run is ``dslib.clocks.clock_run(nodes, steps, seed)`` (``steps=0`` starts empty), and
the reader can extend it by hand: a local event on a process, a send from one process to
another, the delivery of a message still in flight (in any order: the network need not be
FIFO). The explorer stamps every event again with the library's clock rules
(``LamportClock``, ``VectorClock``, ``HybridLogicalClock``), in the order the events
happened; on the simulated part of the run the stamps equal those the simulator's
``ClockProcess`` wrote (the tests check it), and ``MUTANTS`` break one rule each, so the
reader can watch the explorer's comparison with happens-before catch the broken clock.

``ClockController`` is the pure part (no ipywidgets): tests and notebooks drive it from
code, and ``clocks_figure`` draws it. ``ClockPlayground`` puts controls in front.

References
----------
.. [1] L. Lamport, "Time, Clocks, and the Ordering of Events in a Distributed System",
   CACM 21(7), 1978, sections "The Partial Ordering" (happens-before, and its likeness to
   the order of events in special relativity) and "Logical Clocks".
.. [2] F. Mattern, "Virtual Time and Global States of Distributed Systems", 1989, section 3
   (vector time; Theorem 10).

Examples
--------
>>> c = ClockController(nodes=3, steps=4, seed=4)
>>> c.select(("p1", 0), ("p2", 1))
'a = p1.0, b = p2.1'
>>> c.relation(), c.lamport_says(), c.vector_says()
('concurrent', 'L(a)=1 < L(b)=2: looks like a -> b', 'concurrent')
>>> c.misleads()
True
>>> c.send("p1", "p2")
'p1.6 sends to p2 (in flight)'
>>> c.deliver()
'p2.5 receives the message of p1.6'
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dslib.viz  # noqa: F401  (registers the PNG renderer of bare figures)
from dslib.clocks import (
    ClockEvent,
    HybridLogicalClock,
    LamportClock,
    VectorClock,
    check_clock_conditions,
    clock_events,
    clock_run,
    happens_before,
)
from dslib.mutants import check_mutant
from dslib.widgets.base import Playground, given_controller, show_figure

__all__ = [
    "MUTANTS",
    "ClockController",
    "ClockPlayground",
    "clocks_figure",
    "event_name",
]

EventId = tuple[str, int]

MUTANTS: dict[str, str] = {
    "vector_no_merge": "on a receive the vector clock increments its own entry but does not "
    "take the entry-wise maximum with the message's vector",
    "lamport_no_max": "on a receive the Lamport clock ticks its own counter and ignores the "
    "time the message carries (rule IR2 forgotten)",
}
"""Broken clock rules the explorer can stamp with, by name, with what is wrong."""

MAX_NODES = 4
"""The most processes a run may have."""
MAX_STEPS = 6
"""The most local events and sends per process in the simulated part of a run."""
MAX_EVENTS = 48
"""The most events a run may have, a column each: as many as the largest simulated run can
have (every step a send, every send received), and no more, to stay readable."""


def event_name(event: EventId) -> str:
    """How the explorer names an event: ``node.index``, as ``ClockEvent.name`` does.

    >>> event_name(("p2", 0))
    'p2.0'
    """
    return f"{event[0]}.{event[1]}"


@dataclass(frozen=True)
class _Step:
    """An event before it is stamped: where, what, and when (the physical clock)."""

    node: str
    kind: str
    peer: str | None
    cause: EventId | None
    physical: float


@dataclass(frozen=True)
class _Stamps:
    lamport: LamportClock
    vector: VectorClock
    hlc: HybridLogicalClock


def _receive(
    own: _Stamps, message: _Stamps, node: str, physical: float, mutant: str | None
) -> _Stamps:
    """The clocks after ``node`` receives a message stamped ``message`` (rule IR2 and merge)."""
    if mutant == "lamport_no_max":  # mutant: the message's time is ignored
        lamport = own.lamport.tick()
    else:
        lamport = own.lamport.receive(message.lamport.time)
    if mutant == "vector_no_merge":  # mutant: no entry-wise maximum with the message
        vector = own.vector.increment(node)
    else:
        vector = own.vector.merge(message.vector).increment(node)
    return _Stamps(lamport, vector, own.hlc.receive(message.hlc, physical))


def _own_event(own: _Stamps, node: str, physical: float) -> _Stamps:
    """The clocks after a local event or a send (rule IR1)."""
    return _Stamps(own.lamport.tick(), own.vector.increment(node), own.hlc.send(physical))


def _stamp(
    steps: Sequence[_Step], nodes: Sequence[str], mutant: str | None
) -> tuple[list[ClockEvent], list[EventId]]:
    """Stamp ``steps`` (in the order they happened) with all three clocks.

    Returns the events in that order and the sends whose message is still in flight.
    """
    clocks = {n: _Stamps(LamportClock(), VectorClock(), HybridLogicalClock()) for n in nodes}
    count = dict.fromkeys(nodes, 0)
    carried: dict[EventId, _Stamps] = {}
    events: list[ClockEvent] = []
    pending: list[EventId] = []
    for s in steps:
        if s.kind == "receive":
            if s.cause is None or s.cause not in carried:
                raise ValueError(f"a receive of {s.cause!r}, which was never sent")
            clocks[s.node] = _receive(clocks[s.node], carried[s.cause], s.node, s.physical, mutant)
            pending.remove(s.cause)
        else:
            clocks[s.node] = _own_event(clocks[s.node], s.node, s.physical)
        c = clocks[s.node]
        event = ClockEvent(
            s.node,
            count[s.node],
            s.kind,
            c.lamport.time,
            c.vector,
            c.hlc,
            s.physical,
            s.peer,
            s.cause,
        )
        count[s.node] += 1
        if s.kind == "send":
            carried[event.id] = c
            pending.append(event.id)
        events.append(event)
    return events, pending


def _simulated_steps(nodes: int, steps: int, seed: int, send_probability: float) -> list[_Step]:
    """The events of ``clock_run`` in the order they happened (true time, then node, index)."""
    if steps == 0:
        return []
    sim = clock_run(nodes=nodes, steps=steps, seed=seed, send_probability=send_probability)
    ordered = sorted(clock_events(sim), key=lambda e: (e.physical, e.node, e.index))
    return [_Step(e.node, e.kind, e.peer, e.cause, e.physical) for e in ordered]


def _check_int(owner: str, name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}: {name}={value!r} must be an int")
    if not low <= value <= high:
        raise ValueError(f"{owner}: {name}={value}; allowed: {low} to {high}")
    return value


class ClockController:
    """A small run of processes, its three clocks, and two selected events, driven by hand.

    Parameters
    ----------
    nodes : int, default 3
        Processes ``p1 .. pN``, 2 to 4.
    steps : int, default 4
        Local events and sends per process in the simulated run (``clock_run``), 0 to 6;
        0 starts with no events, for a run built by hand.
    seed : int, default 0
        The simulated run's seed.
    send_probability : float, default 0.6
        The chance that a simulated step is a send.
    hlc : bool, default False
        Label the events with their hybrid logical clocks too.
    mutant : str or None, default None
        A broken clock rule from ``MUTANTS``.

    Raises
    ------
    TypeError, ValueError
        For a parameter of the wrong type or out of range.

    Examples
    --------
    A run built by hand: ``p1`` sends to ``p2``, then does a local event; ``p2`` receives.

    >>> c = ClockController(nodes=2, steps=0)
    >>> c.send("p1", "p2"), c.local("p1"), c.deliver()
    ('p1.0 sends to p2 (in flight)', 'p1.1 local event', 'p2.0 receives the message of p1.0')
    >>> c.select(("p1", 1), ("p2", 0))
    'a = p1.1, b = p2.0'
    >>> c.relation(), c.lamport_says(), c.vector_says()
    ('concurrent', 'L(a)=2 = L(b)=2: concurrent for sure', 'concurrent')
    >>> sorted(c.past(("p2", 0))), sorted(c.future(("p1", 0)))
    ([('p1', 0)], [('p1', 1), ('p2', 0)])
    """

    def __init__(
        self,
        nodes: int = 3,
        steps: int = 4,
        seed: int = 0,
        send_probability: float = 0.6,
        hlc: bool = False,
        mutant: str | None = None,
    ) -> None:
        self.nodes = _check_int("ClockController", "nodes", nodes, 2, MAX_NODES)
        self.steps = _check_int("ClockController", "steps", steps, 0, MAX_STEPS)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"ClockController: seed={seed!r} must be an int")
        self.seed = seed
        if (
            isinstance(send_probability, bool)
            or not isinstance(send_probability, (int, float))
            or not 0 <= send_probability <= 1
        ):
            raise ValueError(
                f"ClockController: send_probability={send_probability!r}; allowed: 0 to 1"
            )
        self.send_probability = float(send_probability)
        if not isinstance(hlc, bool):
            raise TypeError(f"ClockController: hlc={hlc!r} must be True or False")
        self.hlc = hlc
        self.mutant = check_mutant("ClockController", mutant, MUTANTS)
        self.processes = [f"p{i}" for i in range(1, nodes + 1)]
        self.actions: list[_Step] = []
        self.notes: list[str] = ["start"]
        self.a: EventId | None = None
        self.b: EventId | None = None
        self._simulated = _simulated_steps(nodes, steps, seed, self.send_probability)
        self._rebuild()
        self._default_selection()

    # -- building the run -----------------------------------------------------------------------
    def _rebuild(self) -> None:
        self.events, self.pending = _stamp(
            [*self._simulated, *self.actions], self.processes, self.mutant
        )
        self._by_id = {e.id: e for e in self.events}
        self._hb = happens_before(self.events)
        self._past: dict[EventId, set[EventId]] = {e.id: set() for e in self.events}
        self._future: dict[EventId, set[EventId]] = {e.id: set() for e in self.events}
        for x, y in self._hb:
            self._past[y].add(x)
            self._future[x].add(y)

    def _default_selection(self) -> None:
        """A pair Lamport misleads on (the first whose ``a`` has both a past and a future,
        else the first), else the first and the last event."""
        pairs = self.misleading_pairs()
        inside = [(a, b) for a, b in pairs if self.past(a) and self.future(a)]
        if pairs:
            self.a, self.b = (inside or pairs)[0]
        elif self.events:
            self.a, self.b = self.events[0].id, self.events[-1].id
        else:
            self.a = self.b = None

    def _process(self, node: object) -> str:
        if node not in self.processes:
            raise ValueError(f"unknown process {node!r}; the processes are {self.processes}")
        return str(node)

    def _add(self, step: _Step, note: Callable[[ClockEvent], str]) -> str:
        if len(self.events) >= MAX_EVENTS:
            raise ValueError(
                f"the run has {len(self.events)} events, the most the picture can show "
                f"({MAX_EVENTS}); press back or reset, or make a smaller run"
            )
        self.actions.append(step)
        self._rebuild()
        if self.a is None or self.a == self.b:  # the first events: a better pair may exist now
            self._default_selection()
        self.notes.append(note(self.events[-1]))
        return self.notes[-1]

    def _next_time(self) -> float:
        """The physical time of an event added by hand: one unit after the last event."""
        return (self.events[-1].physical if self.events else 0.0) + 1.0

    def local(self, node: str) -> str:
        """A local event on ``node``."""
        step = _Step(self._process(node), "local", None, None, self._next_time())
        return self._add(step, lambda e: f"{event_name(e.id)} local event")

    def send(self, src: str, dst: str) -> str:
        """``src`` sends a message to ``dst``; it stays in flight until ``deliver``."""
        if self._process(src) == self._process(dst):
            raise ValueError(f"{src} cannot send to itself; pick another process")
        step = _Step(src, "send", dst, None, self._next_time())
        return self._add(step, lambda e: f"{event_name(e.id)} sends to {dst} (in flight)")

    def deliver(self, message: EventId | None = None) -> str:
        """Deliver the message sent by event ``message`` (default: the oldest in flight)."""
        if not self.pending:
            raise ValueError("no message is in flight; send one first")
        if message is None:
            message = self.pending[0]
        if message not in self.pending:
            names = [event_name(m) for m in self.pending]
            raise ValueError(f"no message of {message!r} is in flight; in flight: {names}")
        dst = self._by_id[message].peer
        assert dst is not None
        step = _Step(dst, "receive", message[0], message, self._next_time())
        return self._add(
            step, lambda e: f"{event_name(e.id)} receives the message of {event_name(message)}"
        )

    def back(self) -> str:
        """Undo the last event added by hand."""
        if not self.actions:
            raise ValueError("nothing to undo: no event was added by hand")
        self.actions.pop()
        self._rebuild()
        if self.a not in self._by_id or self.b not in self._by_id:
            self._default_selection()
        self.notes.append("the last event added is gone")
        return self.notes[-1]

    def reset(self) -> str:
        """Forget every event added by hand."""
        self.actions = []
        self._rebuild()
        self._default_selection()
        self.notes.append("start")
        return self.notes[-1]

    def select(self, a: EventId, b: EventId) -> str:
        """Pick the two events to compare: ``a`` (whose light cone is drawn) and ``b``."""
        for name, e in (("a", a), ("b", b)):
            if e not in self._by_id:
                raise ValueError(
                    f"select: {name}={e!r} is not an event of the run; events are "
                    f"(node, index) pairs such as {self.events[0].id if self.events else None}"
                )
        self.a, self.b = a, b
        return f"a = {event_name(a)}, b = {event_name(b)}"

    def select_misleading(self) -> str:
        """Select the first pair Lamport's order misleads on (concurrent, ``L(a) < L(b)``)."""
        pairs = self.misleading_pairs()
        if not pairs:
            raise ValueError("Lamport misleads on no pair of this run: no two events are "
                             "concurrent with different Lamport times")  # fmt: skip
        return self.select(*pairs[0])

    # -- what the run shows -----------------------------------------------------------------------
    @property
    def note(self) -> str:
        """What the last action did."""
        return self.notes[-1]

    def event(self, event: EventId) -> ClockEvent:
        """The stamped event named ``event``."""
        if event not in self._by_id:
            raise ValueError(f"{event!r} is not an event of the run")
        return self._by_id[event]

    def happened_before(self, a: EventId, b: EventId) -> bool:
        """``a -> b`` in this run (``dslib.clocks.happens_before``)."""
        return (a, b) in self._hb

    def past(self, event: EventId) -> set[EventId]:
        """Every event that happened before ``event``: what could have influenced it."""
        self.event(event)
        return set(self._past[event])

    def future(self, event: EventId) -> set[EventId]:
        """Every event ``event`` happened before: what it could influence."""
        self.event(event)
        return set(self._future[event])

    def _pair(self, a: EventId | None, b: EventId | None) -> tuple[EventId, EventId]:
        a = self.a if a is None else a
        b = self.b if b is None else b
        if a is None or b is None:
            raise ValueError("no events selected: the run has no events yet")
        self.event(a)
        self.event(b)
        return a, b

    def relation(self, a: EventId | None = None, b: EventId | None = None) -> str:
        """The truth: ``"before"`` (``a -> b``), ``"after"``, ``"equal"`` or ``"concurrent"``."""
        a, b = self._pair(a, b)
        if a == b:
            return "equal"
        if self.happened_before(a, b):
            return "before"
        if self.happened_before(b, a):
            return "after"
        return "concurrent"

    def lamport_says(self, a: EventId | None = None, b: EventId | None = None) -> str:
        """What comparing Lamport times says (it can rule ``a -> b`` out, never in)."""
        a, b = self._pair(a, b)
        la, lb = self.event(a).lamport, self.event(b).lamport
        if a == b:
            return f"L(a)=L(b)={la}: the same event"
        if la < lb:
            return f"L(a)={la} < L(b)={lb}: looks like a -> b"
        if la > lb:
            return f"L(a)={la} > L(b)={lb}: looks like b -> a"
        return f"L(a)={la} = L(b)={lb}: concurrent for sure"

    def vector_says(self, a: EventId | None = None, b: EventId | None = None) -> str:
        """What comparing vector clocks says: as ``relation``, from the clocks alone."""
        a, b = self._pair(a, b)
        return self.event(a).vector.compare(self.event(b).vector)

    def misleads(self, a: EventId | None = None, b: EventId | None = None) -> bool:
        """``a`` and ``b`` are concurrent, yet their Lamport times differ (one looks first)."""
        a, b = self._pair(a, b)
        return self.lamport_verdict(a, b) == "misleads"

    def lamport_verdict(self, a: EventId | None = None, b: EventId | None = None) -> str:
        """Is the Lamport comparison true to the relation? ``"consistent"``, ``"misleads"``
        (concurrent, yet one time is smaller) or ``"wrong"`` (``a -> b`` but not
        ``L(a) < L(b)``: the clock condition broken, which a correct clock never does)."""
        a, b = self._pair(a, b)
        relation, la, lb = self.relation(a, b), self.event(a).lamport, self.event(b).lamport
        if (relation == "before" and not la < lb) or (relation == "after" and not lb < la):
            return "wrong"
        if relation == "concurrent" and la != lb:
            return "misleads"
        return "consistent"

    def misleading_pairs(self) -> list[tuple[EventId, EventId]]:
        """Every concurrent pair ``(a, b)`` with ``L(a) < L(b)``, sorted."""
        return sorted(
            (x.id, y.id)
            for x in self.events
            for y in self.events
            if x.lamport < y.lamport and self.relation(x.id, y.id) == "concurrent"
        )

    def conditions(self) -> dict[str, Any]:
        """``dslib.clocks.check_clock_conditions`` over the whole run, as stamped here."""
        return check_clock_conditions(self.events)

    def clocks_wrong(self) -> list[str]:
        """The statements a correct clock keeps that this run's clocks break (empty if none)."""
        keep = ("lamport respects ->", "vector respects ->", "vector characterises ->",
                "hlc respects ->")  # fmt: skip
        conditions = self.conditions()
        return [name for name in keep if conditions[name][0]]

    def vector_entries(self, event: EventId) -> tuple[int, ...]:
        """``event``'s vector clock as a tuple, in the order ``p1, p2, ...``."""
        v = self.event(event).vector
        return tuple(v.get(p) for p in self.processes)

    def summary(self) -> str:
        """One line: the run, the selected pair, the truth and what each clock says."""
        n = len(self.events)
        run = f"{n} event{'s' if n != 1 else ''}"
        if self.pending:
            run += f", {len(self.pending)} in flight"
        if self.mutant:
            run += f", mutant {self.mutant}"
        if self.a is None or self.b is None:
            return f"{run}: add an event"
        truth = {
            "before": "a -> b",
            "after": "b -> a",
            "equal": "the same event",
            "concurrent": "concurrent",
        }[self.relation()]
        lamport = self.lamport_says().split(":")[0]
        verdict = f"Lamport {self.lamport_verdict()}"
        vector = self.vector_says()
        vector_ok = vector == self.relation()
        return (
            f"{run}; a={event_name(self.a)}, b={event_name(self.b)}: {truth}; "
            f"{lamport}, {verdict}; vector: {vector}" + ("" if vector_ok else " (WRONG)")
        )

    def figure(self) -> Any:
        """``clocks_figure(self)``."""
        return clocks_figure(self)

    def __repr__(self) -> str:
        return f"ClockController({self.summary()})"


# -- the figure -------------------------------------------------------------------------------
_PAST, _FUTURE, _OTHER, _A = "#1f5fa8", "#e65100", "#9e9e9e", "#000000"
_WRONG, _RIGHT = "#c62828", "#2e7d32"


def _stamp_text(c: ClockController, e: ClockEvent) -> str:
    vector = ",".join(str(x) for x in c.vector_entries(e.id))
    lines = [f"L={e.lamport}", f"[{vector}]"]
    if c.hlc:
        lines.append(f"({e.hlc.l:.2f},{e.hlc.c})")
    return "\n".join(lines)


def clocks_figure(controller: ClockController) -> Any:
    """The run as a space-time diagram with every event's clocks, and the light cone of ``a``.

    One line per process, one column per event in the order the events happened (the
    horizontal axis is that order, not time). Each event is labelled with its name
    (``node:index``) above and its Lamport time and vector clock below (entries in the
    order ``p1, p2, ...``; with ``hlc``, also its hybrid logical clock ``(l, c)``). The
    causal past of ``a`` is blue, its future orange, the events concurrent with it grey;
    ``b`` is ringed in red. A message still in flight is a dashed arrow to its receiver's
    line. Below, the truth about ``a`` and ``b`` beside what each clock says.

    Raises
    ------
    TypeError
        If ``controller`` is not a ``ClockController``.

    Examples
    --------
    >>> clocks_figure(ClockController(nodes=2, steps=2, seed=1))
    <Figure size 650x380 with 1 Axes>
    """
    if not isinstance(controller, ClockController):
        raise TypeError(f"clocks_figure: {controller!r} is not a ClockController")
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    c = controller
    columns = len(c.events) + (1 if c.pending else 0)
    width = min(12.0, max(6.5, 1.3 + 0.52 * columns))
    lane_height = 1.3 if c.hlc else 1.05
    axes_height = lane_height * len(c.processes)
    bottom, top = 1.25, 0.45
    fig = Figure(figsize=(width, round(axes_height + bottom + top, 2)), dpi=100)
    height = fig.get_figheight()
    ax = fig.add_axes((0.55 / width, bottom / height, 1 - 0.75 / width, axes_height / height))
    y = {p: float(len(c.processes) - 1 - i) for i, p in enumerate(c.processes)}
    x = {e.id: float(i) for i, e in enumerate(c.events)}
    right = max(columns - 0.5, 0.5)
    past = c.past(c.a) if c.a is not None else set()
    future = c.future(c.a) if c.a is not None else set()

    def colour(event: EventId) -> str:
        if event == c.a:
            return _A
        return _PAST if event in past else _FUTURE if event in future else _OTHER

    ax.set_xlim(-0.6, right + 0.1)
    ax.set_ylim(-0.75 if not c.hlc else -0.85, len(c.processes) - 0.55)
    dots = [(x[e.id], y[e.node]) for e in c.events]
    for p in c.processes:
        ax.hlines(y[p], -0.5, right, color="#444444", linewidth=1.0, zorder=1)
        mine = [e.id for e in c.events if e.node == p]
        before = [x[e] for e in mine if e in past or e == c.a]
        after = [x[e] for e in mine if e in future or e == c.a]
        if before:  # the part of the line in a's past, then the part in its future
            ax.hlines(y[p], -0.5, max(before), color=_PAST, linewidth=5, alpha=0.25, zorder=1)
        if after:
            ax.hlines(y[p], min(after), right, color=_FUTURE, linewidth=5, alpha=0.25, zorder=1)
    for e in c.events:
        if e.kind == "receive" and e.cause is not None:
            sx, sy, rx, ry = x[e.cause], y[e.cause[0]], x[e.id], y[e.node]
            if e.id in past or e.id == c.a:
                arrow = _PAST
            elif e.id in future and (e.cause in future or e.cause == c.a):
                arrow = _FUTURE
            else:
                arrow = _OTHER
            ax.annotate(
                "", xy=(rx, ry), xytext=(sx, sy),
                arrowprops={"arrowstyle": "->", "color": arrow,
                            "linewidth": 0.8 if arrow == _OTHER else 1.1, "shrinkA": 5,
                            "shrinkB": 5, "connectionstyle": _bend(ax, (sx, sy), (rx, ry), dots)},
                zorder=2,
            )  # fmt: skip
    for m in c.pending:
        dst = c.event(m).peer
        assert dst is not None
        end = (right - 0.1, y[dst])
        ax.annotate(
            "", xy=end, xytext=(x[m], y[m[0]]),
            arrowprops={"arrowstyle": "->", "color": "#7b1fa2", "linewidth": 0.9,
                        "linestyle": "--", "shrinkA": 5, "shrinkB": 0,
                        "connectionstyle": _bend(ax, (x[m], y[m[0]]), end, dots)},
            zorder=2,
        )  # fmt: skip
    for e in c.events:
        ex, ey = x[e.id], y[e.node]
        big = e.id in (c.a, c.b)
        ax.plot([ex], [ey], "o", color=colour(e.id), markersize=8 if big else 6, zorder=4)
        if e.id == c.b:
            ax.plot([ex], [ey], "o", markerfacecolor="none", markeredgecolor=_WRONG,
                    markersize=13, markeredgewidth=1.6, zorder=5)  # fmt: skip
    ax.set_yticks([y[p] for p in c.processes])
    ax.set_yticklabels(c.processes, fontsize=8)
    ax.set_xticks([])
    ax.set_xlabel("events in the order they happened (one column each; not to scale in time)",
                  fontsize=7, color="#555555", labelpad=2)  # fmt: skip
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    _label_events(fig, ax, c, x, y)  # last: it measures the labels where they are drawn
    handles = [
        Line2D([], [], marker="o", linestyle="none", color=col, label=label)
        for col, label in ((_PAST, "past of a"), (_FUTURE, "future of a"),
                           (_OTHER, "concurrent with a"))
    ]  # fmt: skip
    fig.legend(handles=handles, loc="lower right", ncol=3, fontsize=7, frameon=False,
               bbox_to_anchor=(1.0, 0.0), handletextpad=0.2, columnspacing=0.8)  # fmt: skip
    ok = not c.clocks_wrong()
    fig.text(0.55 / width, 1 - 0.3 / height, c.summary(), fontsize=8, va="center",
             color=_RIGHT if ok and not (c.a is not None and c.misleads()) else _WRONG)  # fmt: skip
    lines = _verdict_lines(c)
    for i, (text, good) in enumerate(lines):
        fig.text(0.55 / width, (0.86 - 0.2 * i) / height, text, fontsize=7, va="center",
                 color="#333333" if good else _WRONG)  # fmt: skip
    return fig


_BENDS = (0.0, 0.2, -0.2, 0.35, -0.35, 0.5, -0.5)
"""How much a message's arrow may bend (matplotlib's ``arc3`` ``rad``), in order of preference."""


def _bend(
    ax: Any,
    start: tuple[float, float],
    end: tuple[float, float],
    dots: Sequence[tuple[float, float]],
    clearance: float = 8.0,
) -> str:
    """The ``connectionstyle`` of an arrow from ``start`` to ``end`` that passes no event's
    dot closer than ``clearance`` pixels: straight if it can, else the first bend of
    ``_BENDS`` that clears every dot (the least crowded one if none does). An arrow drawn
    through a dot would read as a message relayed by that event.

    The curve is matplotlib's ``arc3``: a quadratic Bezier whose control point lies ``rad``
    times the arrow's length off its middle, computed here in pixels as matplotlib draws it.
    """
    to_pixels = ax.transData.transform
    (x0, y0), (x2, y2) = to_pixels(start), to_pixels(end)
    others = [to_pixels(d) for d in dots if d not in (start, end)]
    best, best_gap = _BENDS[0], -1.0
    for rad in _BENDS:
        cx = (x0 + x2) / 2 + rad * (y2 - y0)
        cy = (y0 + y2) / 2 - rad * (x2 - x0)
        curve = [
            (
                (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x2,
                (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y2,
            )
            for t in (i / 40 for i in range(1, 40))
        ]
        gap = min(
            (math.hypot(bx - px, by - py) for bx, by in curve for px, py in others),
            default=math.inf,
        )
        if gap >= clearance:
            return f"arc3,rad={rad}"
        if gap > best_gap:
            best, best_gap = rad, gap
    return f"arc3,rad={best}"


_BOX = {"facecolor": "white", "edgecolor": "none", "alpha": 0.4, "pad": 0.2}


def _label_events(
    fig: Any, ax: Any, c: ClockController, x: dict[EventId, float], y: dict[str, float]
) -> None:
    """Write each event's name above its dot and its clocks below, where they overlap no
    label written before (measured in the pixels the figure is drawn with): of two events
    close together on one line, the second's name goes higher and its clocks above the name
    or further down."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    taken: list[Any] = []
    for e in c.events:
        name = event_name(e.id)
        big = e.id in (c.a, c.b)
        if e.id == c.a:
            name = f"a={name}"
        elif e.id == c.b:
            name = f"b={name}"
        label = ax.annotate(
            name, (x[e.id], y[e.node]), xytext=(0, 6), textcoords="offset points",
            ha="center", va="bottom", fontsize=7, fontweight="bold" if big else "normal",
            zorder=6, bbox=_BOX,
        )  # fmt: skip
        height = label.get_window_extent(renderer).height * 72 / fig.dpi  # in points
        name_top = _place(label, renderer, taken, ((6.0, "bottom"), (7.0 + height, "bottom")))
        name_top += height
        stamp = ax.annotate(
            _stamp_text(c, e), (x[e.id], y[e.node]), xytext=(0, -6), textcoords="offset points",
            ha="center", va="top", fontsize=7, color="#333333", linespacing=1.05, zorder=6,
            bbox=_BOX,
        )  # fmt: skip
        below = -7.0 - stamp.get_window_extent(renderer).height * 72 / fig.dpi
        _place(stamp, renderer, taken, ((-6.0, "top"), (name_top + 1.0, "bottom"), (below, "top")))


def _place(
    text: Any, renderer: Any, taken: list[Any], places: Sequence[tuple[float, str]]
) -> float:
    """Put ``text`` at the first of ``places`` (an offset in points above its point, and the
    vertical alignment there) where it overlaps nothing ``taken``, or at the first if none is
    free; add its box to ``taken`` and return the offset chosen."""
    for offset, va in (*places, places[0]):
        text.set_position((0, offset))
        text.set_va(va)
        if not any(text.get_window_extent(renderer).overlaps(box) for box in taken):
            break
    taken.append(text.get_window_extent(renderer))
    return offset


def _verdict_lines(c: ClockController) -> list[tuple[str, bool]]:
    """The lines under the diagram: the truth, then each clock's answer, and whether it is
    consistent with the truth."""
    vectors = "vector entries in the order " + ", ".join(c.processes)
    if c.a is None or c.b is None:
        return [("no events yet: add one with the buttons", True), (vectors, True)]
    relation = c.relation()
    truth = {
        "before": "a -> b: a happened before b",
        "after": "b -> a: b happened before a",
        "equal": "a and b are the same event",
        "concurrent": "a || b: concurrent (no chain of messages links them)",
    }[relation]
    lamport, verdict = c.lamport_says(), c.lamport_verdict()
    if verdict == "misleads":
        lamport_line = (f"Lamport: {lamport}, but they are concurrent: the order misleads", False)
    elif verdict == "wrong":
        lamport_line = (f"Lamport: {lamport}: WRONG, the clock condition is broken", False)
    elif relation in ("before", "after"):
        lamport_line = (f"Lamport: {lamport} (true here, but Lamport alone cannot tell)", True)
    else:
        lamport_line = (f"Lamport: {lamport}", True)
    vector = c.vector_says()
    vector_line = (
        f"vector: [{','.join(map(str, c.vector_entries(c.a)))}] vs "
        f"[{','.join(map(str, c.vector_entries(c.b)))}]: {vector}"
        + (" (agrees)" if vector == relation else f": WRONG, the truth is {relation}"),
        vector == relation,
    )
    return [(f"truth: {truth}    ({vectors})", True), lamport_line, vector_line]


def _set_options(menu: Any, options: Sequence[Any], value: Any) -> None:
    """Give ``menu`` these ``options`` and select ``value`` if it is one, else the first."""
    values = [o[1] if isinstance(o, tuple) and len(o) == 2 and isinstance(o[0], str) else o
              for o in options]  # fmt: skip
    if list(menu.options) != list(options):
        menu.options = list(options)
    menu.value = value if value in values else (values[0] if values else None)


# -- the widget -------------------------------------------------------------------------------
class ClockPlayground(Playground):
    """The clickable explorer over a ``ClockController``.

    Parameters
    ----------
    controller : ClockController, optional
        Show this controller (default: a new one with ``**options``).
    **options
        Options of ``ClockController``.

    Attributes
    ----------
    controller : ClockController
    knobs : dict of str to ipywidgets control
        ``nodes``, ``steps``, ``seed`` (a change makes a new run and forgets the events
        added by hand), ``hlc`` (label the hybrid logical clocks too).
    pick : dict of str to ipywidgets.Dropdown
        ``a`` and ``b``: the two events compared.
    menus : dict of str to ipywidgets.Dropdown
        ``process`` (of a local event), ``from`` and ``to`` (of a send), ``message`` (the
        message in flight to deliver).
    buttons : dict of str to ipywidgets.Button
        ``local``, ``send``, ``deliver``, ``misleading pair``, ``back``, ``reset``.
    image : ipywidgets.Image
    heading, message : ipywidgets.HTML

    Examples
    --------
    >>> p = ClockPlayground(nodes=2, steps=0)
    >>> p.buttons["send"].click()
    >>> p.buttons["deliver"].click()
    >>> p
    ClockPlayground(2 events; a=p1.0, b=p2.0: a -> b; L(a)=1 < L(b)=2, Lamport consistent; vector: before)
    """  # noqa: E501

    def __init__(self, controller: ClockController | None = None, **options: Any) -> None:
        import ipywidgets as w

        self.controller = given_controller("ClockPlayground", ClockController, controller, options)
        c = self.controller
        self.figure: Any = None
        label = {"style": {"description_width": "50px"}}
        self.knobs: dict[str, Any] = {
            "nodes": w.IntSlider(value=c.nodes, min=2, max=MAX_NODES, description="nodes",
                                 layout=w.Layout(width="200px"), **label),
            "steps": w.IntSlider(value=c.steps, min=0, max=MAX_STEPS, description="steps",
                                 layout=w.Layout(width="200px"), **label),
            "seed": w.IntText(value=c.seed, description="seed", layout=w.Layout(width="130px"),
                              **label),
            "hlc": w.Checkbox(value=c.hlc, description="show HLC"),
        }  # fmt: skip
        for name, knob in self.knobs.items():
            knob.observe(lambda change, name=name: self._rebuild(name, change.new), names="value")
        small = {"layout": w.Layout(width="150px"), "style": {"description_width": "50px"}}
        self.pick: dict[str, Any] = {
            "a": w.Dropdown(description="event a", **small),
            "b": w.Dropdown(description="event b", **small),
        }
        for knob in self.pick.values():
            knob.observe(self._picked, names="value")
        self.menus: dict[str, Any] = {
            "process": w.Dropdown(description="on", **small),
            "from": w.Dropdown(description="from", **small),
            "to": w.Dropdown(description="to", **small),
            "message": w.Dropdown(description="message", **small),
        }
        actions: dict[str, tuple[str, Callable[[], Any]]] = {
            "local": ("info", lambda: self.controller.local(self.menus["process"].value)),
            "send": ("info", lambda: self.controller.send(self.menus["from"].value,
                                                          self.menus["to"].value)),
            "deliver": ("success", lambda: self.controller.deliver(self.menus["message"].value)),
            "misleading pair": ("warning", lambda: self.controller.select_misleading()),
            "back": ("", lambda: self.controller.back()),
            "reset": ("", lambda: self.controller.reset()),
        }  # fmt: skip
        self.buttons: dict[str, Any] = {}
        for name, (style, action) in actions.items():
            button = w.Button(
                description="◀ back" if name == "back" else name,
                button_style=style,
                layout=w.Layout(width="auto", min_width="70px"),
            )
            button.on_click(lambda _b, action=action: self._act(action))
            self.buttons[name] = button
        self.image = w.Image(format="png")
        self.heading = w.HTML()
        self.message = w.HTML()
        self._updating = False
        k, b, m = self.knobs, self.buttons, self.menus
        self.widget = w.VBox(
            [
                w.HBox([k["nodes"], k["steps"], k["seed"], k["hlc"]]),
                w.HBox([self.pick["a"], self.pick["b"], b["misleading pair"]]),
                self.heading,
                self.image,
                w.HBox([b["local"], m["process"], b["send"], m["from"], m["to"]]),
                w.HBox([b["deliver"], m["message"], b["back"], b["reset"]]),
                self.message,
            ]
        )
        self.update()

    def _rebuild(self, name: str, value: Any) -> None:
        """A knob changed: a new controller with the new value (events added by hand go)."""
        c = self.controller
        settings: dict[str, Any] = {
            "nodes": c.nodes, "steps": c.steps, "seed": c.seed, "hlc": c.hlc,
            "send_probability": c.send_probability, "mutant": c.mutant,
        }  # fmt: skip
        settings[name] = value
        try:
            new = ClockController(**settings)
        except (ValueError, TypeError) as exc:
            self.message.value = f"<span style='color:#c62828'>{html.escape(str(exc))}</span>"
            return
        if name == "hlc":  # only the labels change: keep the run and the selection
            c.hlc = bool(value)
        else:
            self.controller = new
        self.update()

    def _picked(self, change: Any) -> None:
        if self._updating:
            return
        self._act(self.controller.select, self.pick["a"].value, self.pick["b"].value)

    def update(self) -> None:
        """Redraw everything from the controller (after driving it from code)."""
        c = self.controller
        self._updating = True
        try:
            names = [(event_name(e.id), e.id) for e in c.events]
            _set_options(self.pick["a"], names, c.a)
            _set_options(self.pick["b"], names, c.b)
            for key in ("process", "from", "to"):
                _set_options(self.menus[key], c.processes, self.menus[key].value)
            if self.menus["to"].value == self.menus["from"].value:
                self.menus["to"].value = c.processes[1]
            messages = [(f"{event_name(m)} -> {c.event(m).peer}", m) for m in c.pending]
            _set_options(self.menus["message"], messages, self.menus["message"].value)
        finally:
            self._updating = False
        self.message.value = ""
        wrong = bool(c.clocks_wrong()) or (c.a is not None and c.misleads())
        self._show_heading(c.summary(), c.note, None if c.a is None else not wrong)
        self.buttons["back"].disabled = not c.actions
        self.buttons["deliver"].disabled = not c.pending
        self.figure = clocks_figure(c)
        # fast compression: the image is redrawn on every click and never stored
        show_figure(self.image, self.figure, fast=True)

    def static(self) -> Any:
        """The current picture as a figure, for readers without a live kernel."""
        return self.controller.figure()

    def __repr__(self) -> str:
        return f"ClockPlayground({self.controller.summary()})"
