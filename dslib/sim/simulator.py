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

import heapq
import math
import random
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from dslib.core import NOTHING_PERSISTED, Context, Node, System, check_state, describe_event
from dslib.errors import HandlerError, ProtocolError
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

# Kinds of queued events. A queued event is (time, seq, kind, node, a, b, c).
_DELIVER, _LOST, _BLOCKED, _TIMER, _FAULT, _RESUME, _CALL = range(7)


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

    def __init__(
        self,
        system: System,
        seed: int = 0,
        network: Network | None = None,
        nemesis: Nemesis | None = None,
        record_trace: bool = True,
    ) -> None:
        if not isinstance(system, System):
            raise TypeError(
                f"Simulation takes a dslib.System, got {type(system).__name__}; "
                "wrap your nodes: System({'a': NodeA(), ...})"
            )
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"Simulation: seed={seed!r} must be an int")
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
        self._seq = 0
        self._msg_id = 0
        self._ids = frozenset(system.ids)
        self._net_rng = random.Random(f"{seed}:network")
        self._loss = network.loss
        self._duplication = network.duplication
        self._latency = network.latency.sample
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
            self._start(node_id, "init")
        if nemesis is not None:
            for t, fault in nemesis.schedule(system.ids, random.Random(f"{seed}:nemesis")):
                self._check_fault(fault)
                self._push(t, _FAULT, None, fault, None, None)

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
            (e[4], e[3], e[5]) for e in sorted(self._queue) if e[2] in (_DELIVER, _LOST, _BLOCKED)
        ]
        for buffered in self._paused.values():
            out += [(e[4], e[3], e[5]) for e in buffered if e[2] == _DELIVER]
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
        for e in sorted(self._queue):
            if e[2] not in fates:
                continue
            fate = fates[e[2]]
            if fate == "deliver" and not self.connected(e[4], e[3]):
                fate = "partition"
            elif fate == "deliver" and e[3] in self.crashed:
                fate = "crashed"
            out.append((e[6], e[4], e[3], e[5], e[0], fate))
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
        limit = math.inf if until is None else until
        budget = -1 if max_events is None else max_events
        queue = self._queue
        while queue and budget != 0:
            if queue[0][0] > limit:
                break
            if self._handle(heapq.heappop(queue)):
                budget -= 1
        if until is not None and budget != 0:
            self.now = float(until)
        return self

    def step(self) -> Any:
        """Handle the next event; return its trace entries (empty list when nothing is left)."""
        start = len(self.trace)
        while self._queue:
            if self._handle(heapq.heappop(self._queue)):
                break
        return self.trace[start:]

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
            self._push(float(time), _CALL, None, action, None, None)
        else:
            self._check_fault(action)
            self._push(float(time), _FAULT, None, action, None, None)

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
        for time, _seq, kind, node, name, token, _ in self._queue:
            if kind == _TIMER and self._timers[node].get(name) == token:
                due[(node, name)] = time
        return dict(sorted(due.items(), key=lambda item: (item[1], item[0][0], repr(item[0][1]))))

    def _take(self, src: str, dst: str, msg: Any) -> tuple[Any, ...]:
        for i, ev in enumerate(self._queue):
            if (
                ev[2] in (_DELIVER, _LOST, _BLOCKED)
                and ev[3] == dst
                and ev[4] == src
                and ev[5] == msg
            ):
                self._queue[i] = self._queue[-1]
                self._queue.pop()
                heapq.heapify(self._queue)
                return ev
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
        ev = self._take(src, dst, msg)
        self.now += self.step_time
        start = len(self.trace)
        self.events += 1
        if dst in self._crashed:
            self._trace((self.now, "drop", dst, src, msg, ev[6], "crashed"))
        else:
            with self._choices(dst, choices):
                self._deliver(dst, src, msg, ev[6])
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
        ev = self._take(src, dst, msg)
        self.now += self.step_time
        self.events += 1
        start = len(self.trace)
        self._trace((self.now, "drop", dst, src, msg, ev[6], reason))
        return self.trace[start:]

    def duplicate(self, src: str, dst: str, msg: Any) -> list[Any]:
        """Make a second copy of one in-flight message (a manual step)."""
        ev = self._take(src, dst, msg)
        heapq.heappush(self._queue, ev)
        self.now += self.step_time
        self.events += 1
        start = len(self.trace)
        self._msg_id += 1
        self._trace((self.now, "duplicate", dst, src, msg, self._msg_id, ev[6]))
        self._push(ev[0], _DELIVER, dst, src, msg, self._msg_id)
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
    def _push(self, time: float, kind: int, node: str | None, a: Any, b: Any, c: Any) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (time, self._seq, kind, node, a, b, c))

    def _local_now(self, node_id: str) -> float:
        skew = self._clock.get(node_id)
        return self.now if skew is None else skew[0] + skew[1] * self.now

    def _context(self, node_id: str, event: tuple[Any, ...]) -> Context:
        ctx = self._ctx[node_id]
        ctx.now = self._local_now(node_id) if self._clock else self.now
        ctx.event = event
        ctx.sent = []
        ctx.timers_set = []
        ctx.timers_cancelled = []
        ctx.persisted = NOTHING_PERSISTED
        ctx.records = []
        return ctx

    def _fail(self, node_id: str, event: tuple[Any, ...], exc: BaseException) -> HandlerError:
        where = describe_event(event)
        err = HandlerError(
            f"node {node_id!r} raised {type(exc).__name__}: {exc} while handling {where} "
            f"at time {self.now} (event {self.events}); the trace so far is in .trace",
            node=node_id,
            event=where,
            trace=self.trace,
        )
        err.__cause__ = exc
        return err

    def _start(self, node_id: str, how: str) -> None:
        node: Node[Any] = self.system.nodes[node_id]
        event: tuple[Any, ...] = (how,)
        ctx = self._context(node_id, event)
        try:
            if how == "init":
                state = node.init(ctx)
            else:
                state = node.on_recover(ctx, self._durable.get(node_id, NOTHING_PERSISTED))
        except ProtocolError:
            raise
        except Exception as exc:
            raise self._fail(node_id, event, exc) from exc
        check_state(state, node_id, event, "init" if how == "init" else "on_recover")
        self._states[node_id] = state
        self._trace((self.now, how, node_id, None, state, None, None))
        self._effects(node_id, ctx)

    def _handle(self, ev: tuple[Any, ...]) -> bool:
        """Handle one queued event; return False if it was stale (a cancelled timer)."""
        time, _seq, kind, node_id, a, b, c = ev
        if kind == _TIMER and self._timers[node_id].get(a) != b:
            return False
        if time > self.now:  # manual steps may have moved the clock past queued events
            self.now = time
        if node_id is not None and node_id in self._paused and kind in (_DELIVER, _TIMER):
            self._paused[node_id].append(ev)
            return True
        self.events += 1
        if kind == _DELIVER:
            src, msg, msg_id = a, b, c
            if node_id in self._crashed:
                self._trace((self.now, "drop", node_id, src, msg, msg_id, "crashed"))
            elif not self.connected(src, node_id):
                self._trace((self.now, "drop", node_id, src, msg, msg_id, "partition"))
            else:
                self._deliver(node_id, src, msg, msg_id)
        elif kind == _LOST:
            self._trace((self.now, "drop", node_id, a, b, c, "loss"))
        elif kind == _BLOCKED:
            self._trace((self.now, "drop", node_id, a, b, c, "partition"))
        elif kind == _TIMER:
            del self._timers[node_id][a]
            self._fire(node_id, a)
        elif kind == _FAULT:
            self._apply_fault(a)
        elif kind == _RESUME:
            self._resume(node_id)
        else:
            a(self)
        return True

    def _deliver(self, node_id: str, src: str, msg: Any, msg_id: int) -> None:
        self._trace((self.now, "deliver", node_id, src, msg, msg_id, None))
        event = ("message", src, msg)
        ctx = self._context(node_id, event)
        old = self._states[node_id]
        try:
            state = self.system.nodes[node_id].on_message(ctx, old, src, msg)
        except ProtocolError:
            raise
        except Exception as exc:
            raise self._fail(node_id, event, exc) from exc
        self._after(node_id, ctx, old, state, "on_message")

    def _fire(self, node_id: str, timer: Hashable) -> None:
        self._trace((self.now, "timer", node_id, None, timer, None, None))
        event = ("timer", timer)
        ctx = self._context(node_id, event)
        old = self._states[node_id]
        try:
            state = self.system.nodes[node_id].on_timer(ctx, old, timer)
        except ProtocolError:
            raise
        except Exception as exc:
            raise self._fail(node_id, event, exc) from exc
        self._after(node_id, ctx, old, state, "on_timer")

    def _after(self, node_id: str, ctx: Context, old: Any, state: Any, handler: str) -> None:
        if state is not old:
            check_state(state, node_id, ctx.event, handler)
            self._states[node_id] = state
            self._trace((self.now, "state", node_id, None, state, None, None))
        self._effects(node_id, ctx)

    def _effects(self, node_id: str, ctx: Context) -> None:
        now = self.now
        trace = self._trace
        if ctx.sent:
            rng = self._net_rng
            latency = self._latency
            for dst, msg in ctx.sent:
                self._msg_id += 1
                msg_id = self._msg_id
                trace((now, "send", node_id, dst, msg, msg_id, None))
                if not self.connected(node_id, dst):
                    # Dropped at the sender's side: it never reaches the wire. It is
                    # still shown arriving nowhere, at its would-be arrival time.
                    self._push(now + latency(rng), _BLOCKED, dst, node_id, msg, msg_id)
                    continue
                arrival = now + latency(rng)
                if self._loss and rng.random() < self._loss:
                    self._push(arrival, _LOST, dst, node_id, msg, msg_id)
                    continue
                if self.network.fifo:
                    link = (node_id, dst)
                    arrival = max(arrival, self._fifo_last.get(link, 0.0))
                    self._fifo_last[link] = arrival
                self._seq += 1
                heapq.heappush(
                    self._queue, (arrival, self._seq, _DELIVER, dst, node_id, msg, msg_id)
                )
                if self._duplication and rng.random() < self._duplication:
                    self._msg_id += 1
                    trace((now, "duplicate", dst, node_id, msg, self._msg_id, msg_id))
                    copy_arrival = now + latency(rng)
                    if self.network.fifo:
                        copy_arrival = max(copy_arrival, self._fifo_last[link])
                        self._fifo_last[link] = copy_arrival
                    self._push(copy_arrival, _DELIVER, dst, node_id, msg, self._msg_id)
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
                self._seq += 1
                timers[name] = self._seq
                heapq.heappush(
                    self._queue,
                    (now + delay / rate, self._seq, _TIMER, node_id, name, self._seq, None),
                )
        if ctx.persisted is not NOTHING_PERSISTED:
            self._durable[node_id] = ctx.persisted
        if ctx.records:
            for type_, f, value, key in ctx.records:
                self.history.add(Event(node_id, type_, f, value, now, key))
                trace((now, "record", node_id, None, (type_, f, value, key), None, None))

    def _check_node(self, node: object, what: str) -> None:
        if node not in self._ids:
            raise ValueError(f"{what}: unknown node {node!r}; the nodes are {sorted(self._ids)}")

    def _check_fault(self, fault: Any) -> None:
        if isinstance(fault, (Crash, Restart, Pause, ClockSkew)):
            self._check_node(fault.node, type(fault).__name__)
        if isinstance(fault, Pause) and not (
            isinstance(fault.duration, (int, float)) and fault.duration >= 0
        ):
            raise ValueError(f"Pause: duration={fault.duration!r} must be a number >= 0")
        if isinstance(fault, ClockSkew) and not (
            isinstance(fault.rate, (int, float)) and fault.rate > 0
        ):
            raise ValueError(f"ClockSkew: rate={fault.rate!r} must be a number > 0")
        if isinstance(fault, Cut):
            self._check_node(fault.src, "Cut")
            self._check_node(fault.dst, "Cut")
        if isinstance(fault, NetworkChange):
            for name in ("loss", "duplication"):
                p = getattr(fault, name)
                if p is not None and not (isinstance(p, (int, float)) and 0 <= p <= 1):
                    raise ValueError(f"NetworkChange: {name}={p!r} must be a probability in [0, 1]")
        if isinstance(fault, Partition):
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
        if not isinstance(
            fault, (Crash, Restart, Pause, Partition, Cut, Heal, ClockSkew, NetworkChange)
        ):
            raise TypeError(f"{fault!r} is not a fault (Crash, Restart, Pause, Partition, ...)")

    def _apply_fault(self, fault: Any) -> None:
        self._check_fault(fault)
        now = self.now
        if isinstance(fault, Crash):
            node = fault.node
            if node in self._crashed:
                raise ValueError(f"Crash: node {node!r} is already crashed at time {now}")
            self._crashed.add(node)
            del self._states[node]
            self._timers[node].clear()
            self._trace((now, "crash", node, None, None, None, None))
            for ev in self._paused.pop(node, []):
                if ev[2] == _DELIVER:  # messages that waited for the paused node are lost
                    self._trace((now, "drop", node, ev[4], ev[5], ev[6], "crashed"))
        elif isinstance(fault, Restart):
            node = fault.node
            if node not in self._crashed:
                raise ValueError(f"Restart: node {node!r} is not crashed at time {now}")
            self._crashed.discard(node)
            self._start(node, "restart")
        elif isinstance(fault, Pause):
            node = fault.node
            if node in self._crashed:
                raise ValueError(f"Pause: node {node!r} is crashed at time {now}")
            if node not in self._paused:
                self._paused[node] = []
            self._push(now + fault.duration, _RESUME, node, None, None, None)
            self._trace((now, "pause", node, None, fault.duration, None, None))
        elif isinstance(fault, ClockSkew):
            self._clock[fault.node] = (float(fault.offset), float(fault.rate))
            self._trace((now, "fault", fault.node, None, fault, None, None))
        elif isinstance(fault, Partition):
            self._partition = tuple(tuple(g) for g in fault.groups)
            self._trace((now, "fault", None, None, fault, None, None))
        elif isinstance(fault, Cut):
            self._cut.add((fault.src, fault.dst))
            self._trace((now, "fault", None, None, fault, None, None))
        elif isinstance(fault, Heal):
            self._partition = None
            self._cut.clear()
            self._trace((now, "fault", None, None, fault, None, None))
        elif isinstance(fault, NetworkChange):
            self._loss = self.network.loss if fault.loss is None else fault.loss
            self._duplication = (
                self.network.duplication if fault.duplication is None else fault.duplication
            )
            self._trace((now, "fault", None, None, fault, None, None))

    def _resume(self, node_id: str) -> None:
        buffered = self._paused.pop(node_id, None)
        if buffered is None:
            return
        self._trace((self.now, "resume", node_id, None, None, None, None))
        for ev in buffered:
            # Events that waited are handled now, in the order they arrived.
            self._push(self.now, ev[2], ev[3], ev[4], ev[5], ev[6])


def _discard(entry: tuple[Any, ...]) -> None:
    """Stand-in for trace.append when tracing is off."""
