"""The seeded discrete-event simulator.

The simulator keeps a queue of future events (message arrivals, timer
firings, scheduled faults) ordered by time, with ties broken by a sequence
number, and handles them one by one. It owns everything the node API leaves
to the runtime: when a message arrives (the ``Network``), which messages are
lost, which nodes are up (crashes, restarts, pauses), each node's clock, and
the record of what happened (the ``Trace`` and the clients' ``History``).

All randomness comes from ``seed``: the network, each node's ``ctx.rng`` and
the nemesis draw from their own generators derived from it, so the same seed
gives the same run, event for event.

Examples
--------
>>> from dataclasses import dataclass
>>> from dslib import Node, System
>>> class Pinger(Node[int]):
...     def init(self, ctx):
...         ctx.send("ponger", "ping")
...         return 0
...     def on_message(self, ctx, state, src, msg):
...         return state + 1
>>> class Ponger(Node[int]):
...     def init(self, ctx):
...         return 0
...     def on_message(self, ctx, state, src, msg):
...         ctx.send(src, "pong")
...         return state + 1
>>> sim = Simulation(System({"pinger": Pinger(), "ponger": Ponger()}), seed=1)
>>> sim.run()
Simulation(now=2.0, events=2, pending=0)
>>> sim.states
{'pinger': 1, 'ponger': 1}
>>> print(sim.trace)
     0.000    pinger init      0
     0.000    pinger send      -> ponger: 'ping'
     0.000    ponger init      0
     1.000    ponger deliver   <- pinger: 'ping'
     1.000    ponger state     1
     1.000    ponger send      -> pinger: 'pong'
     2.000    pinger deliver   <- ponger: 'pong'
     2.000    pinger state     1
"""

from __future__ import annotations

import gc
import heapq
import itertools
import math
import random
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from dslib.core import (
    NOTHING_PERSISTED,
    Context,
    System,
    check_seed,
    check_state,
    check_system,
    handler_error,
)
from dslib.errors import ProtocolError
from dslib.sim.history import Event, History
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
from dslib.sim.network import Network
from dslib.sim.trace import Trace

__all__ = ["Simulation"]

# A queued event is a tuple with one fixed layout, ordered by (time, seq):
#
#     (time, seq, kind, node, peer, data, ref)
#
# ``node`` is where the event happens (a message's destination), ``peer`` a
# message's source, ``data`` the message, the timer's name, the fault or the
# function to call, and ``ref`` the message id or the timer's token (the names
# of a ``TraceEvent``'s fields). The fields that a kind does not use are None.
_DELIVER, _LOST, _BLOCKED, _TIMER, _FAULT, _RESUME, _CALL = range(7)
_MESSAGES = (_DELIVER, _LOST, _BLOCKED)
_TIME, _REF = 0, 6  # the fields read by position

_NO_STATE = object()  # the state of a node before init, and after a crash

# While ``run`` handles events, the cyclic garbage collector's youngest
# generation is collected after this many net allocations of container objects
# instead of CPython's default 700. Every trace entry is such an object, kept
# to the end, and traversed once by a young collection before the collector
# finds it holds no containers and stops tracking it; with the default a long
# traced run spends about a tenth of its time in thousands of such collections.
# Fewer, larger ones cost less per entry: with 10,000 the CPU time of the two
# traced workloads of benchmarks/bench_sim.py fell by 6-7% (best of 3, 1,000,000
# events each). Garbage cycles a handler creates are still freed, in larger
# batches. The thresholds are global to the process, so two threads running
# simulations at once may leave the raised one set.
_GC_YOUNG_THRESHOLD = 10_000


class Simulation:
    """Run a ``System`` in simulated time.

    Parameters
    ----------
    system : System
        The nodes to run.
    seed : int, default 0
        The seed of every random choice of the run.
    network : Network, optional
        Latency, loss, duplication and ordering (default: ``Network()``,
        constant latency 1, nothing lost).
    nemesis : Nemesis, optional
        A schedule of faults to apply (fixed, or drawn from the seed).
    record_trace : bool, default True
        Keep a ``Trace`` of every event. Turn off for very long runs that only
        need the final states or the history.

    Attributes
    ----------
    now : float
        The current simulated (true) time.
    trace : Trace
        Everything that happened so far.
    history : History
        The operations that client nodes recorded with ``ctx.record``.
    events : int
        How many events (deliveries, timer firings, faults) have been handled.
    """

    # Slots, not an instance dict: a simulation has more than thirty attributes,
    # and CPython 3.11 keeps at most thirty in its fast instance layout (shared
    # dict keys); past that, every ``self.x`` of the event loop becomes a hash
    # lookup. With slots the loop runs about 6% fewer machine instructions per
    # event (valgrind --tool=callgrind, relay shape of benchmarks/bench_sim.py).
    __slots__ = (
        "_clock",
        "_crashed",
        "_ctx",
        "_cut",
        "_duplication",
        "_durable",
        "_fifo",
        "_fifo_last",
        "_ids",
        "_latency",
        "_loss",
        "_msg_ids",
        "_net_rng",
        "_nodes",
        "_partition",
        "_paused",
        "_queue",
        "_rngs",
        "_seqs",
        "_states",
        "_timers",
        "_tokens",
        "_trace",
        "events",
        "history",
        "nemesis",
        "network",
        "now",
        "record_trace",
        "seed",
        "step_time",
        "system",
        "trace",
    )

    def __init__(
        self,
        system: System,
        seed: int = 0,
        network: Network | None = None,
        nemesis: Nemesis | None = None,
        record_trace: bool = True,
    ) -> None:
        check_system(system, "Simulation")
        check_seed(seed, "Simulation")
        if network is None:
            network = Network()
        if not isinstance(network, Network):
            raise TypeError(f"Simulation: network={network!r} must be a dslib.sim.Network")
        if nemesis is not None and not isinstance(nemesis, Nemesis):
            raise TypeError(
                f"Simulation: nemesis={nemesis!r} must be a Nemesis or RandomNemesis (or None)"
            )
        self.system = system
        self.seed = seed
        self.network = network
        self.nemesis = nemesis
        self.record_trace = bool(record_trace)
        self.step_time = 1.0
        self.now = 0.0
        self.events = 0
        self.trace = Trace()
        self.history = History()
        self._trace = self.trace.entries.append if self.record_trace else _discard
        self._queue: list[tuple[Any, ...]] = []
        self._seqs = itertools.count(1)  # breaks ties in the queue: first pushed, first out
        self._msg_ids = itertools.count(1)
        self._tokens = itertools.count(1)  # tell a timer's current setting from stale ones
        self._ids = frozenset(system.ids)
        self._net_rng = random.Random(f"{seed}:network")
        self._loss = network.loss
        self._duplication = network.duplication
        self._latency = network.latency._draw
        self._fifo = network.fifo
        self._nodes = system.nodes
        self._fifo_last: dict[tuple[str, str], float] = {}
        self._states: dict[str, Any] = {}
        self._durable: dict[str, Any] = {}
        self._timers: dict[str, dict[Hashable, int]] = {i: {} for i in system.ids}
        self._crashed: set[str] = set()
        self._paused: dict[str, list[tuple[Any, ...]]] = {}
        self._clock: dict[str, tuple[float, float]] = {}
        self._cut: set[tuple[str, str]] = set()
        self._partition: tuple[tuple[str, ...], ...] | None = None
        self._rngs = {i: random.Random(f"{seed}:node:{i}") for i in system.ids}
        self._ctx = {i: Context(i, self._ids, rng=self._rngs[i]) for i in system.ids}
        for node_id in system.ids:
            self._call(node_id, ("init",), "init")
        if nemesis is not None:
            for t, fault in nemesis.schedule(system.ids, random.Random(f"{seed}:nemesis")):
                self._check_fault(fault)
                self._push(t, _FAULT, None, None, fault, None)

    # -- the public view --------------------------------------------------------
    @property
    def states(self) -> dict[str, Any]:
        """The current state of every node that is up (crashed nodes have none)."""
        return {i: self._states[i] for i in self.system.ids if i in self._states}

    @property
    def crashed(self) -> frozenset[str]:
        """The nodes that are down."""
        return frozenset(self._crashed)

    @property
    def pending(self) -> int:
        """How many events are queued (some may be stale timers that will be skipped)."""
        return len(self._queue)

    def in_flight(self) -> list[tuple[str, str, Any]]:
        """The messages sent but not yet delivered or dropped, as ``(src, dst, msg)``."""
        out = [
            (src, dst, msg)
            for _time, _seq, kind, dst, src, msg, _id in sorted(self._queue)
            if kind in _MESSAGES
        ]
        for buffered in self._paused.values():
            out += [
                (src, dst, msg)
                for _time, _seq, kind, dst, src, msg, _id in buffered
                if kind == _DELIVER
            ]
        return out

    def messages_in_flight(self) -> list[tuple[int, str, str, Any, float, str]]:
        """The messages in flight as ``(msg_id, src, dst, msg, arrival, fate)``, by arrival.

        ``arrival`` is when the message arrives or is dropped; ``fate`` is what
        happens to it if nothing changes before then: ``"deliver"``, ``"lost"``
        (the network loses it), ``"partition"`` (a partition or cut link lies
        between its ends) or ``"crashed"`` (its destination is down). ``msg_id``
        is the id the trace gives the send. Messages held for a paused node are
        not included.
        """
        fates = {_DELIVER: "deliver", _LOST: "lost", _BLOCKED: "partition"}
        out = []
        for time, _seq, kind, dst, src, msg, msg_id in sorted(self._queue):
            if kind not in fates:
                continue
            fate = fates[kind]
            if fate == "deliver" and not self.connected(src, dst):
                fate = "partition"
            elif fate == "deliver" and dst in self._crashed:
                fate = "crashed"
            out.append((msg_id, src, dst, msg, time, fate))
        return out

    def __repr__(self) -> str:
        return f"Simulation(now={self.now!r}, events={self.events}, pending={len(self._queue)})"

    # -- running ----------------------------------------------------------------
    def run(self, until: float | None = None, max_events: int | None = None) -> Simulation:
        """Handle events until none are left, time passes ``until``, or ``max_events`` are done.

        Parameters
        ----------
        until : float, optional
            Stop before the first event later than this time; ``now`` becomes ``until``.
        max_events : int, optional
            Stop after handling this many more events.

        Returns
        -------
        Simulation
            ``self``, so that ``sim.run(...).states`` reads well.

        Notes
        -----
        While events are handled, the garbage collector's youngest generation
        is collected after 10,000 new container objects instead of CPython's
        default 700 (a threshold already higher, or 0, is kept), which makes a
        long traced run faster (see ``_GC_YOUNG_THRESHOLD``). The thresholds
        are restored when ``run`` returns or raises; garbage cycles are still
        freed while it runs.
        """
        if until is not None and not (
            isinstance(until, (int, float)) and not isinstance(until, bool) and until >= self.now
        ):
            raise ValueError(
                f"run: until={until!r} must be a number >= the current time {self.now}"
            )
        if max_events is not None and not (
            isinstance(max_events, int) and not isinstance(max_events, bool) and max_events >= 0
        ):
            raise ValueError(f"run: max_events={max_events!r} must be an int >= 0")
        budget = -1 if max_events is None else max_events
        with _fewer_young_collections():
            budget = self._run(math.inf if until is None else until, budget)
        if until is not None and budget != 0:
            self.now = float(until)
        return self

    def step(self) -> Any:
        """Handle the next event; return its trace entries (empty list when nothing is left)."""
        start = len(self.trace)
        self._run(math.inf, 1)
        return self.trace[start:]

    def _run(self, limit: float, budget: int) -> int:
        """Handle events up to time ``limit``, ``budget`` of them (-1: no limit); return the rest.

        A cancelled timer is skipped without spending budget; an event that
        waits for a paused node spends it (it is handled, by being put aside).
        """
        queue = self._queue
        pop = heapq.heappop
        timers = self._timers
        crashed = self._crashed
        paused = self._paused
        while queue and budget != 0:
            if queue[0][0] > limit:
                break
            entry = pop(queue)
            time, _seq, kind, node, peer, data, ref = entry
            if kind == _TIMER and timers[node].get(data) != ref:
                continue  # cancelled or replaced
            budget -= 1
            if time > self.now:  # manual steps may have moved the clock past queued events
                self.now = time
            if paused and node in paused and kind in (_DELIVER, _TIMER):
                paused[node].append(entry)
                continue
            self.events += 1
            if kind == _DELIVER:
                if node in crashed:
                    self._trace((self.now, "drop", node, peer, data, ref, "crashed"))
                elif (self._cut or self._partition is not None) and not self.connected(peer, node):
                    self._trace((self.now, "drop", node, peer, data, ref, "partition"))
                else:
                    self._deliver(node, peer, data, ref)
            elif kind == _TIMER:
                del timers[node][data]
                self._fire(node, data)
            elif kind == _LOST:
                self._trace((self.now, "drop", node, peer, data, ref, "loss"))
            elif kind == _BLOCKED:
                self._trace((self.now, "drop", node, peer, data, ref, "partition"))
            elif kind == _FAULT:
                self._apply_fault(data)
            elif kind == _RESUME:
                self._resume(node)
            else:
                data(self)
        return budget

    def at(self, time: float, action: Fault | Callable[[Simulation], None]) -> None:
        """Schedule a fault, or a function of the simulation, at ``time``.

        >>> from dslib.sim.nemesis import Heal
        >>> from dslib import Node, System
        >>> class Idle(Node[int]):
        ...     def init(self, ctx):
        ...         return 0
        >>> sim = Simulation(System({"a": Idle(), "b": Idle()}))
        >>> sim.at(5.0, Heal())
        >>> sim.run().now
        5.0
        """
        if not (isinstance(time, (int, float)) and time >= self.now):
            raise ValueError(f"at: time={time!r} must be a number >= the current time {self.now}")
        if callable(action) and not isinstance(action, type):
            self._push(float(time), _CALL, None, None, action, None)
        else:
            self._check_fault(action)
            self._push(float(time), _FAULT, None, None, action, None)

    # -- taking one chosen event (replay, debugger, hypothesis) ----------------------
    def pending_timers(self) -> list[tuple[str, Hashable]]:
        """The timers that are set, as ``(node, timer)`` pairs, sorted by node."""
        return [
            (node, name)
            for node in self.system.ids
            for name in sorted(self._timers[node], key=repr)
        ]

    def timers_due(self) -> dict[tuple[str, Hashable], float]:
        """When each set timer will fire (true time), keyed by ``(node, timer)``.

        Timers of a paused node are not listed while they wait for it to resume.

        >>> from dslib.basics import Pinger, Ponger
        >>> sim = Simulation(System({"pinger": Pinger(count=2, period=5.0), "ponger": Ponger()}))
        >>> sim.timers_due()
        {('pinger', 'tick'): 0.0}
        """
        due: dict[tuple[str, Hashable], float] = {}
        for time, _seq, kind, node, _peer, name, token in self._queue:
            if kind == _TIMER and self._timers[node].get(name) == token:
                due[(node, name)] = time
        return dict(sorted(due.items(), key=lambda item: (item[1], item[0][0], repr(item[0][1]))))

    def _take(self, src: str, dst: str, msg: Any) -> tuple[Any, ...]:
        """Remove the first queued message from ``src`` to ``dst`` equal to ``msg``; return it."""
        for i, entry in enumerate(self._queue):
            _time, _seq, kind, to, peer, data, _ref = entry
            if kind in _MESSAGES and to == dst and peer == src and data == msg:
                self._queue[i] = self._queue[-1]
                self._queue.pop()
                heapq.heapify(self._queue)
                return entry
        raise ValueError(
            f"no message {msg!r} from {src!r} to {dst!r} is in flight; in flight: "
            f"{self.in_flight()}"
        )

    def deliver(
        self, src: str, dst: str, msg: Any, choices: Sequence[Any] | None = None
    ) -> list[Any]:
        """Deliver one in-flight message now, whatever its scheduled time (a manual step).

        Manual steps (``deliver``, ``fire``, ``drop``, ``duplicate``) advance the
        clock by ``step`` (1.0) each, so that a replayed schedule reads in order.
        ``choices`` fixes what the handler's ``ctx.choose`` calls return, in order.

        Returns the trace entries of the step.
        """
        msg_id = self._take(src, dst, msg)[_REF]
        self.now += self.step_time
        start = len(self.trace)
        self.events += 1
        if dst in self._crashed:
            self._trace((self.now, "drop", dst, src, msg, msg_id, "crashed"))
        else:
            with self._choices(dst, choices):
                self._deliver(dst, src, msg, msg_id)
        return self.trace[start:]

    def fire(self, node: str, timer: Hashable, choices: Sequence[Any] | None = None) -> list[Any]:
        """Fire a pending timer of ``node`` now (a manual step); see ``deliver``."""
        self._check_node(node, "fire")
        if timer not in self._timers[node]:
            raise ValueError(
                f"timer {timer!r} is not set on node {node!r}; set timers: {self.pending_timers()}"
            )
        del self._timers[node][timer]
        self.now += self.step_time
        start = len(self.trace)
        self.events += 1
        with self._choices(node, choices):
            self._fire(node, timer)
        return self.trace[start:]

    def drop(self, src: str, dst: str, msg: Any, reason: str = "loss") -> list[Any]:
        """Lose one in-flight message now (a manual step), recorded with ``reason``.

        ``reason`` is ``"loss"`` (the network lost it) or ``"partition"`` (it could
        not cross a partition); manual ``deliver`` itself ignores partitions, so a
        driver that honours them drops what cannot cross.
        """
        if reason not in ("loss", "partition"):
            raise ValueError(f"drop: reason={reason!r}; allowed: 'loss', 'partition'")
        msg_id = self._take(src, dst, msg)[_REF]
        self.now += self.step_time
        self.events += 1
        start = len(self.trace)
        self._trace((self.now, "drop", dst, src, msg, msg_id, reason))
        return self.trace[start:]

    def duplicate(self, src: str, dst: str, msg: Any) -> list[Any]:
        """Make a second copy of one in-flight message (a manual step)."""
        entry = self._take(src, dst, msg)
        heapq.heappush(self._queue, entry)
        self.now += self.step_time
        self.events += 1
        start = len(self.trace)
        copy_id = next(self._msg_ids)
        self._trace((self.now, "duplicate", dst, src, msg, copy_id, entry[_REF]))
        self._push(entry[_TIME], _DELIVER, dst, src, msg, copy_id)
        return self.trace[start:]

    def apply(self, step: Sequence[Any]) -> list[Any]:
        """Take one step given as data (see ``replay`` for the forms); return its trace entries.

        >>> from dslib.basics import Pinger, Ponger, Ping
        >>> sim = Simulation(System({"pinger": Pinger(count=1), "ponger": Ponger()}))
        >>> _ = sim.apply(("fire", "pinger", "tick"))
        >>> for entry in sim.apply(("deliver", "pinger", "ponger", Ping(0))):
        ...     print(entry)
             2.000    ponger deliver   <- pinger: Ping(seq=0)
             2.000    ponger state     1
             2.000    ponger send      -> pinger: Pong(seq=0)
        """
        if not isinstance(step, (tuple, list)) or not step:
            raise ValueError(f"a step is a tuple such as ('deliver', src, dst, msg); got {step!r}")
        kind, *args = step
        start = len(self.trace)
        if kind == "deliver" and len(args) in (3, 4):
            return self.deliver(*args)
        if kind == "fire" and len(args) in (2, 3):
            return self.fire(*args)
        if kind == "drop" and len(args) == 3:
            return self.drop(*args)
        if kind == "duplicate" and len(args) == 3:
            return self.duplicate(*args)
        if kind in ("crash", "restart") and len(args) == 1:
            self.now += self.step_time
            self.events += 1
            (self.crash if kind == "crash" else self.restart)(args[0])
            return self.trace[start:]
        if kind == "partition" and args:
            self.now += self.step_time
            self.events += 1
            self.partition(*args)
            return self.trace[start:]
        if kind == "heal" and not args:
            self.now += self.step_time
            self.events += 1
            self.heal()
            return self.trace[start:]
        raise ValueError(
            f"unknown step {step!r}; steps are ('deliver', src, dst, msg[, choices]), "
            "('fire', node, timer[, choices]), ('drop', src, dst, msg), "
            "('duplicate', src, dst, msg), ('crash', node), ('restart', node), "
            "('partition', group, ...), ('heal',)"
        )

    @classmethod
    def replay(
        cls,
        system: System,
        steps: Iterable[Sequence[Any]],
        seed: int = 0,
        network: Network | None = None,
    ) -> Simulation:
        """Run ``system`` through exactly the given steps, in order, and return the simulation.

        This is how a counterexample of the model checker, a schedule shrunk by
        hypothesis or a path taken in the debugger becomes an ordinary simulation,
        with a trace that prints and draws like any other. Each step advances the
        clock by one unit.

        Parameters
        ----------
        system : System
        steps : iterable of tuples
            ``("deliver", src, dst, msg)``, ``("fire", node, timer)`` (either may end
            with a list of ``ctx.choose`` results), ``("drop", src, dst, msg)``,
            ``("duplicate", src, dst, msg)``, ``("crash", node)``, ``("restart", node)``,
            ``("partition", group, group, ...)``, ``("heal",)``.

        Examples
        --------
        >>> from dslib.basics import Pinger, Ponger, Ping, Pong
        >>> system = System({"pinger": Pinger(count=1), "ponger": Ponger()})
        >>> steps = [("fire", "pinger", "tick"), ("deliver", "pinger", "ponger", Ping(0)),
        ...          ("drop", "ponger", "pinger", Pong(0))]
        >>> sim = Simulation.replay(system, steps)
        >>> sim.states
        {'pinger': PingerState(sent=1, acked=0), 'ponger': 1}
        """
        sim = cls(system, seed=seed, network=network)
        for i, step in enumerate(steps):
            try:
                sim.apply(step)
            except ValueError as exc:
                raise ValueError(f"replay: step {i} {step!r} cannot be taken: {exc}") from exc
        return sim

    @contextmanager
    def _choices(self, node: str, choices: Sequence[Any] | None) -> Iterator[None]:
        if choices is None:
            yield
            return
        ctx = self._ctx[node]
        saved = ctx._chooser
        pending = list(choices)

        def chooser(options: Sequence[Any]) -> Any:
            if not pending:
                raise ProtocolError(
                    f"node {node!r} called choose() more often than choices were given"
                )
            pick = pending.pop(0)
            if pick not in options:
                raise ProtocolError(
                    f"choice {pick!r} is not one of the options {list(options)!r} of node {node!r}"
                )
            return pick

        ctx._chooser = chooser
        try:
            yield
        finally:
            ctx._chooser = saved

    # -- faults (applied now) ------------------------------------------------------
    def crash(self, node: str) -> None:
        """Crash ``node`` now: its state and timers are lost; arriving messages are dropped."""
        self._apply_fault(Crash(node))

    def restart(self, node: str) -> None:
        """Restart a crashed ``node`` now, through its ``on_recover``."""
        self._apply_fault(Restart(node))

    def pause(self, node: str, duration: float) -> None:
        """Pause ``node`` for ``duration``: its events wait, nothing is lost."""
        self._apply_fault(Pause(node, duration))

    def partition(self, *groups: Iterable[str]) -> None:
        """Split the nodes into ``groups``; messages between groups are dropped.

        Every node must be in exactly one group (clients too), so that nothing
        is left to a silent default.
        """
        self._apply_fault(Partition(tuple(tuple(g) for g in groups)))

    def cut(self, src: str, dst: str) -> None:
        """Drop messages from ``src`` to ``dst`` (one way) until ``heal()``."""
        self._apply_fault(Cut(src, dst))

    def heal(self) -> None:
        """Remove every partition and cut link."""
        self._apply_fault(Heal())

    def set_clock(self, node: str, offset: float = 0.0, rate: float = 1.0) -> None:
        """Skew ``node``'s clock: its ``ctx.now`` becomes ``offset + rate * now``."""
        self._apply_fault(ClockSkew(node, offset, rate))

    def connected(self, src: str, dst: str) -> bool:
        """Whether a message from ``src`` to ``dst`` would get through now."""
        if (src, dst) in self._cut:
            return False
        if self._partition is None or src == dst:
            return True
        return any(src in g and dst in g for g in self._partition)

    # -- internals --------------------------------------------------------------
    def _push(
        self, time: float, kind: int, node: str | None, peer: str | None, data: Any, ref: Any
    ) -> None:
        heapq.heappush(self._queue, (time, next(self._seqs), kind, node, peer, data, ref))

    def _local_now(self, node_id: str) -> float:
        skew = self._clock.get(node_id)
        return self.now if skew is None else skew[0] + skew[1] * self.now

    def _call(self, node_id: str, event: tuple[Any, ...], handler: str, *args: Any) -> None:
        """Call ``handler`` of ``node_id`` for ``event``, then record its new state and effects.

        ``args`` follow the context in the handler's signature: ``(state, src, msg)``
        for ``on_message``, ``(state, timer)`` for ``on_timer``, ``(durable,)`` for
        ``on_recover``, nothing for ``init``. A new state is traced as ``state``, or
        as ``init`` / ``restart`` for the state a node starts with.
        """
        ctx = self._ctx[node_id]
        ctx.reset(event, self._local_now(node_id) if self._clock else self.now)
        try:
            state = getattr(self._nodes[node_id], handler)(ctx, *args)
        except ProtocolError:
            raise
        except Exception as exc:
            when = f"at time {self.now} (event {self.events}); the trace so far is in .trace"
            raise handler_error(node_id, event, exc, when, self.trace) from exc
        old = self._states.get(node_id, _NO_STATE)  # none yet, at init and restart
        if state is not old:
            check_state(state, node_id, event, handler)
            self._states[node_id] = state
            kind = "state" if old is not _NO_STATE else event[0]
            self._trace((self.now, kind, node_id, None, state, None, None))
        self._effects(node_id, ctx)

    def _deliver(self, node_id: str, src: str, msg: Any, msg_id: int) -> None:
        self._trace((self.now, "deliver", node_id, src, msg, msg_id, None))
        self._call(node_id, ("message", src, msg), "on_message", self._states[node_id], src, msg)

    def _fire(self, node_id: str, timer: Hashable) -> None:
        self._trace((self.now, "timer", node_id, None, timer, None, None))
        self._call(node_id, ("timer", timer), "on_timer", self._states[node_id], timer)

    def _effects(self, node_id: str, ctx: Context) -> None:
        """Apply what one handler call collected in ``ctx``: sends, timers, persist, records."""
        now = self.now
        trace = self._trace
        if ctx.sent:
            rng = self._net_rng
            draw = self._latency
            loss = self._loss
            duplication = self._duplication
            fifo = self._fifo
            push = self._push
            check_links = bool(self._cut) or self._partition is not None
            for dst, msg in ctx.sent:
                msg_id = next(self._msg_ids)
                trace((now, "send", node_id, dst, msg, msg_id, None))
                arrival = now + draw(rng)
                if check_links and not self.connected(node_id, dst):
                    # Dropped at the sender's side: it never reaches the wire. It is
                    # still shown arriving nowhere, at its would-be arrival time.
                    kind = _BLOCKED
                elif loss and rng.random() < loss:
                    kind = _LOST
                else:
                    kind = _DELIVER
                    if fifo:
                        link = (node_id, dst)
                        arrival = max(arrival, self._fifo_last.get(link, 0.0))
                        self._fifo_last[link] = arrival
                push(arrival, kind, dst, node_id, msg, msg_id)
                if kind == _DELIVER and duplication and rng.random() < duplication:
                    copy_id = next(self._msg_ids)
                    trace((now, "duplicate", dst, node_id, msg, copy_id, msg_id))
                    arrival = now + draw(rng)
                    if fifo:
                        arrival = max(arrival, self._fifo_last[link])
                        self._fifo_last[link] = arrival
                    push(arrival, _DELIVER, dst, node_id, msg, copy_id)
        if ctx.timers_cancelled:
            timers = self._timers[node_id]
            for name in ctx.timers_cancelled:
                timers.pop(name, None)
        if ctx.timers_set:
            timers = self._timers[node_id]
            rate = self._clock[node_id][1] if node_id in self._clock else 1.0
            for name, delay in ctx.timers_set:
                if isinstance(delay, tuple):
                    lo, hi = delay
                    delay = lo + (hi - lo) * self._rngs[node_id].random()
                # A queued firing whose token is no longer the timer's was cancelled
                # or replaced, and is skipped.
                token = timers[name] = next(self._tokens)
                self._push(now + delay / rate, _TIMER, node_id, None, name, token)
        if ctx.persisted is not NOTHING_PERSISTED:
            self._durable[node_id] = ctx.persisted
        if ctx.records:
            for type_, f, value, key in ctx.records:
                self.history.add(Event(node_id, type_, f, value, now, key))
                trace((now, "record", node_id, None, (type_, f, value, key), None, None))

    def _check_node(self, node: object, what: str) -> None:
        if node not in self._ids:
            raise ValueError(f"{what}: unknown node {node!r}; the nodes are {sorted(self._ids)}")

    # -- faults: one checker and one applier per fault type --------------------------
    def _check_fault(self, fault: Any) -> None:
        _fault_methods(fault)[0](self, fault)

    def _apply_fault(self, fault: Any) -> None:
        check, apply = _fault_methods(fault)
        check(self, fault)
        apply(self, fault)

    def _check_node_fault(self, fault: Crash | Restart) -> None:
        self._check_node(fault.node, type(fault).__name__)

    def _check_pause(self, fault: Pause) -> None:
        self._check_node(fault.node, "Pause")
        if not (isinstance(fault.duration, (int, float)) and fault.duration >= 0):
            raise ValueError(f"Pause: duration={fault.duration!r} must be a number >= 0")

    def _check_skew(self, fault: ClockSkew) -> None:
        self._check_node(fault.node, "ClockSkew")
        if not (isinstance(fault.rate, (int, float)) and fault.rate > 0):
            raise ValueError(f"ClockSkew: rate={fault.rate!r} must be a number > 0")

    def _check_cut(self, fault: Cut) -> None:
        self._check_node(fault.src, "Cut")
        self._check_node(fault.dst, "Cut")

    def _check_network_change(self, fault: NetworkChange) -> None:
        for name in ("loss", "duplication"):
            p = getattr(fault, name)
            if p is not None and not (isinstance(p, (int, float)) and 0 <= p <= 1):
                raise ValueError(f"NetworkChange: {name}={p!r} must be a probability in [0, 1]")

    def _check_partition(self, fault: Partition) -> None:
        seen: list[str] = []
        for group in fault.groups:
            for n in group:
                self._check_node(n, "Partition")
                if n in seen:
                    raise ValueError(f"Partition: node {n!r} is in more than one group")
                seen.append(n)
        missing = sorted(self._ids - set(seen))
        if missing:
            raise ValueError(
                f"Partition: nodes {missing} are in no group; place every node "
                "(clients too) in exactly one group"
            )

    def _check_nothing(self, fault: Heal) -> None:
        pass

    def _crash(self, fault: Crash) -> None:
        node, now = fault.node, self.now
        if node in self._crashed:
            raise ValueError(f"Crash: node {node!r} is already crashed at time {now}")
        self._crashed.add(node)
        del self._states[node]
        self._timers[node].clear()
        self._trace((now, "crash", node, None, None, None, None))
        for _time, _seq, kind, _node, src, msg, msg_id in self._paused.pop(node, []):
            if kind == _DELIVER:  # messages that waited for the paused node are lost
                self._trace((now, "drop", node, src, msg, msg_id, "crashed"))

    def _restart(self, fault: Restart) -> None:
        node = fault.node
        if node not in self._crashed:
            raise ValueError(f"Restart: node {node!r} is not crashed at time {self.now}")
        self._crashed.discard(node)
        self._call(node, ("restart",), "on_recover", self._durable.get(node, NOTHING_PERSISTED))

    def _pause(self, fault: Pause) -> None:
        node, now = fault.node, self.now
        if node in self._crashed:
            raise ValueError(f"Pause: node {node!r} is crashed at time {now}")
        if node not in self._paused:
            self._paused[node] = []
        self._push(now + fault.duration, _RESUME, node, None, None, None)
        self._trace((now, "pause", node, None, fault.duration, None, None))

    def _skew(self, fault: ClockSkew) -> None:
        self._clock[fault.node] = (float(fault.offset), float(fault.rate))
        self._trace((self.now, "fault", fault.node, None, fault, None, None))

    def _set_partition(self, fault: Partition) -> None:
        self._partition = tuple(tuple(g) for g in fault.groups)
        self._trace((self.now, "fault", None, None, fault, None, None))

    def _cut_link(self, fault: Cut) -> None:
        self._cut.add((fault.src, fault.dst))
        self._trace((self.now, "fault", None, None, fault, None, None))

    def _heal(self, fault: Heal) -> None:
        self._partition = None
        self._cut.clear()
        self._trace((self.now, "fault", None, None, fault, None, None))

    def _change_network(self, fault: NetworkChange) -> None:
        self._loss = self.network.loss if fault.loss is None else fault.loss
        self._duplication = (
            self.network.duplication if fault.duplication is None else fault.duplication
        )
        self._trace((self.now, "fault", None, None, fault, None, None))

    def _resume(self, node_id: str) -> None:
        buffered = self._paused.pop(node_id, None)
        if buffered is None:
            return
        self._trace((self.now, "resume", node_id, None, None, None, None))
        for _time, _seq, kind, node, peer, data, ref in buffered:
            # Events that waited are handled now, in the order they arrived (a timer
            # keeps its token, so that it still fires unless cancelled meanwhile).
            self._push(self.now, kind, node, peer, data, ref)


# The fault table: how each type of fault is checked, and how it is applied.
_FAULTS: dict[type, tuple[Callable[[Simulation, Any], None], Callable[[Simulation, Any], None]]] = {
    Crash: (Simulation._check_node_fault, Simulation._crash),
    Restart: (Simulation._check_node_fault, Simulation._restart),
    Pause: (Simulation._check_pause, Simulation._pause),
    ClockSkew: (Simulation._check_skew, Simulation._skew),
    Partition: (Simulation._check_partition, Simulation._set_partition),
    Cut: (Simulation._check_cut, Simulation._cut_link),
    Heal: (Simulation._check_nothing, Simulation._heal),
    NetworkChange: (Simulation._check_network_change, Simulation._change_network),
}


def _fault_methods(
    fault: Any,
) -> tuple[Callable[[Simulation, Any], None], Callable[[Simulation, Any], None]]:
    """The checker and the applier of ``fault`` (of a subclass of a fault type too)."""
    for cls in type(fault).__mro__:
        if cls in _FAULTS:
            return _FAULTS[cls]
    raise TypeError(f"{fault!r} is not a fault (Crash, Restart, Pause, Partition, ...)")


@contextmanager
def _fewer_young_collections() -> Iterator[None]:
    """Raise the collector's youngest threshold to ``_GC_YOUNG_THRESHOLD``; restore it on exit.

    A threshold already higher, or 0 (automatic collection off), is left alone.
    The old thresholds come back however the block ends, a handler's exception
    included.
    """
    old = gc.get_threshold()
    if 0 < old[0] < _GC_YOUNG_THRESHOLD:
        gc.set_threshold(_GC_YOUNG_THRESHOLD, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _discard(entry: tuple[Any, ...]) -> None:
    """Stand-in for trace.append when tracing is off."""
