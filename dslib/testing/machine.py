"""A hypothesis state machine over a ``System``: hypothesis chooses every step of the run.

The seeded simulator (``dslib.sim``) decides by itself, from latencies and a
seed, which event comes next. Here *hypothesis* decides, one step at a time,
through the simulator's manual steps: deliver this in-flight message (or all
of them, oldest first), lose one, duplicate one, fire this timer, let a client
invoke its next operation, crash or restart a node, split the network or heal
it. After every step the user's invariants are checked on the nodes' states;
at the end, the history the clients recorded goes to a consistency checker.
When a check fails, hypothesis *shrinks* the run to a short one that still
fails, and that run is a list of steps which replays in the simulator.

Two layers:

- ``Stepper``: applies steps to a ``Simulation`` and lists the steps that are
  possible now. It is what the machine drives, and what ``replay`` uses.
- ``SystemMachine`` and ``system_machine(make_system, ...)``: the hypothesis
  ``RuleBasedStateMachine``. ``system_machine`` returns a subclass whose
  ``TestCase`` attribute is a ``unittest.TestCase`` that pytest collects.

**When may a timer fire?** In a real system a timeout is longer than a
message takes on a healthy link: it fires because something failed. The
default, ``timers="timely"``, says exactly that: a timer may fire only when no
message can be delivered (every message in flight is lost in a partition, on
its way to a crashed node, or there is none), and timers fire in the order
they are due (a primary's 5-unit wait for its backup runs out before a
client's 10-unit timeout). So without faults, timeouts never fire early,
and a bug that needs a fault needs one here too. With ``timers="any"``, any
timer may fire at any moment: the asynchronous model, in which a slow
message and a lost one look the same.

**Partitions drop messages**, as in the simulator: when the network splits,
every message in flight between the sides is lost, and so is every message
sent across while it lasts. Messages to a crashed node wait in the network
(they may arrive after it restarts) but do not count as deliverable.

Examples
--------
A node that counts the pings it receives, and an invariant that is wrong as
soon as a ping arrives twice:

>>> from hypothesis import Verbosity, settings
>>> from hypothesis.stateful import run_state_machine_as_test
>>> from dslib import Node, System
>>> class Pinger(Node[int]):
...     def init(self, ctx):
...         ctx.send("counter", "ping")
...         return 0
>>> class Counter(Node[int]):
...     def init(self, ctx):
...         return 0
...     def on_message(self, ctx, state, src, msg):
...         return state + 1
>>> def at_most_one(states):
...     return states.get("counter", 0) <= 1
>>> def pings():
...     return System({"p": Pinger(), "counter": Counter()})

Step by step, by hand:

>>> stepper = Stepper(pings(), faults=("duplicate",))
>>> stepper.options("duplicate")
[Duplicate(src='p', dst='counter', msg='ping')]
>>> _ = stepper.apply(Duplicate("p", "counter", "ping"))
>>> stepper.settle()
[Deliver(src='p', dst='counter', msg='ping'), Deliver(src='p', dst='counter', msg='ping')]
>>> at_most_one(stepper.sim.states)
False

And by hypothesis, which finds it too (without the fault it cannot):

>>> quiet = settings(max_examples=20, database=None, deadline=None, derandomize=True,
...                  verbosity=Verbosity.quiet)
>>> run_state_machine_as_test(system_machine(pings, at_most_one, faults=()), settings=quiet)
>>> Machine = system_machine(pings, at_most_one, faults=("duplicate",))
>>> try:
...     run_state_machine_as_test(Machine, settings=quiet)
... except Violation as exc:
...     print(exc)
at_most_one violated: after step 3: states {'counter': 2, 'p': 0}
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from dslib.core import System, stable_repr
from dslib.errors import DslibError
from dslib.sim.clients import Client
from dslib.sim.history import History
from dslib.sim.nemesis import ClockSkew, Crash, Heal, Restart
from dslib.sim.simulator import Simulation
from dslib.testing.strategies import SHAPES, Split, all_partitions

__all__ = [
    "DEFAULT_FAULTS",
    "FAULT_KINDS",
    "STEP_KINDS",
    "CheckError",
    "Deliver",
    "Duplicate",
    "Fire",
    "Invoke",
    "Lose",
    "MachineConfig",
    "Step",
    "Stepper",
    "SystemMachine",
    "Violation",
    "check_signature",
    "describe_step",
    "replay",
    "run_check",
    "system_machine",
    "verdict",
]

FAULT_KINDS = ("drop", "duplicate", "crash", "partition", "clock")
"""The kinds of fault the machine can inject: lose a message, duplicate one, crash and
restart nodes, split and heal the network, skew a node's clock."""

DEFAULT_FAULTS = ("drop", "duplicate", "crash", "partition")
"""The faults a machine injects unless told otherwise (clock skew only matters to
protocols that read ``ctx.now``)."""

SETTLE_LIMIT = 64
"""At most this many deliveries in one ``settle`` step."""


# -- steps ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _MessageStep:
    """A step taken on the in-flight message ``msg`` from ``src`` to ``dst``."""

    src: str
    dst: str
    msg: Any
    kind: ClassVar[str]  # the kind of step, as ``Stepper.options`` names it
    verb: ClassVar[str]  # what the step does, as its text says it

    def __str__(self) -> str:
        return f"{self.verb} {self.src} → {self.dst}: {stable_repr(self.msg)}"


class Deliver(_MessageStep):
    """Deliver the in-flight message ``msg`` from ``src`` to ``dst``."""

    kind = verb = "deliver"


class Lose(_MessageStep):
    """Lose the in-flight message ``msg`` from ``src`` to ``dst``."""

    kind = "drop"
    verb = "lose"


class Duplicate(_MessageStep):
    """Make a second copy of the in-flight message ``msg`` from ``src`` to ``dst``."""

    kind = verb = "duplicate"


@dataclass(frozen=True)
class Fire:
    """Fire timer ``timer`` of node ``node``."""

    node: str
    timer: Hashable

    def __str__(self) -> str:
        return f"{self.node}: timer {stable_repr(self.timer)} fires"


@dataclass(frozen=True)
class Invoke:
    """Let client ``node`` invoke its next operation (its timer ``timer`` fires)."""

    node: str
    timer: Hashable = "next"

    def __str__(self) -> str:
        return f"{self.node}: invoke the next operation"


Step = Deliver | Lose | Duplicate | Fire | Invoke | Crash | Restart | Split | Heal | ClockSkew
"""One step of a schedule: a message or timer step, or a fault applied now."""

_STEP_TYPES = (Deliver, Lose, Duplicate, Fire, Invoke, Crash, Restart, Split, Heal, ClockSkew)


def describe_step(step: Step) -> str:
    """One line for a step of a schedule.

    >>> describe_step(Crash("primary")), describe_step(Heal())
    ('crash primary', 'heal the network')
    >>> describe_step(Deliver("c1", "primary", "hello"))
    "deliver c1 → primary: 'hello'"
    """
    if isinstance(step, Crash):
        return f"crash {step.node}"
    if isinstance(step, Restart):
        return f"restart {step.node}"
    if isinstance(step, Heal):
        return "heal the network"
    if isinstance(step, ClockSkew):
        return f"skew the clock of {step.node}: offset {step.offset:g}, rate {step.rate:g}"
    return str(step)


def verdict(result: Any) -> tuple[bool, str]:
    """Read a check's result: a bool, or an object with a boolean ``ok``; and its text.

    >>> verdict(True), verdict(False)
    ((True, ''), (False, ''))
    >>> verdict(42)
    Traceback (most recent call last):
    ...
    TypeError: a check must return a bool or an object with a boolean 'ok'; got int: 42
    """
    if isinstance(result, bool):
        return result, ""
    ok = getattr(result, "ok", None)
    if not isinstance(ok, bool):
        raise TypeError(
            "a check must return a bool or an object with a boolean 'ok'; "
            f"got {type(result).__name__}: {result!r:.80}"
        )
    return ok, "" if ok else str(result)


class CheckError(DslibError, TypeError):
    """A check given to the machine is broken: an error in the check, not a bug in the system.

    Raised when an invariant or a consistency function raises, returns
    something other than a bool or an object with a boolean ``ok``, or cannot
    be called with one argument. ``find_bug`` stops at once and raises it,
    rather than reporting a "bug found" that is the check's own.

    Attributes
    ----------
    check : str
        What the check is: ``"invariant 'name'"``, ``"consistency"``, ``"check"``.

    Examples
    --------
    >>> def broken(states):
    ...     return states["server"] > 0
    >>> run_check("invariant 'broken'", broken, {}, "after step 2 (crash server)")
    Traceback (most recent call last):
    ...
    dslib.testing.machine.CheckError: invariant 'broken' raised KeyError: 'server' after step 2 \
(crash server). This is an error in the check, not a bug found in the system: an invariant \
gets the states of the nodes that are up (a crashed node is missing).
    """

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check


_HINTS = {
    "invariant": "an invariant gets the states of the nodes that are up "
    "(a crashed node is missing)",
    "consistency": "a consistency function gets the run's History",
    "check": "a check gets the finished Simulation",
}


def run_check(
    check: str, fn: Callable[[Any], Any], argument: Any, where: str | Callable[[], str]
) -> tuple[bool, str]:
    """Call a reader's check on ``argument`` and read its verdict (see ``verdict``).

    Parameters
    ----------
    check : str
        What the check is, for the message: ``"invariant 'name'"``, ``"consistency"``...
    fn : callable
        The check.
    argument : any
        The states, the history or the simulation.
    where : str or callable
        When in the run, for the message ("after step 3 (crash server)"); a
        function that returns it is called only when the check is broken.

    Returns
    -------
    (bool, str)
        Whether the check passed, and what it said.

    Raises
    ------
    CheckError
        If the check raises, or returns neither a bool nor an object with a boolean ``ok``.
    """
    try:
        result = fn(argument)
    except Exception as exc:
        hint = _HINTS[check.split()[0]]
        where = where() if callable(where) else where
        raise CheckError(
            check,
            f"{check} raised {type(exc).__name__}: {exc} {where}. This is an error in the "
            f"check, not a bug found in the system: {hint}.",
        ) from exc
    if isinstance(result, bool) or isinstance(getattr(result, "ok", None), bool):
        return verdict(result)
    where = where() if callable(where) else where
    raise CheckError(
        check,
        f"{check} returned {type(result).__name__} {result!r:.80} {where}; a check must "
        "return a bool or an object with a boolean 'ok' (such as a CheckResult)",
    )


def check_signature(check: str, fn: Any) -> None:
    """Raise ``CheckError`` unless ``fn`` is a function that can take one argument.

    >>> check_signature("consistency", lambda history, model: True)
    Traceback (most recent call last):
    ...
    dslib.testing.machine.CheckError: consistency must be a function of one argument \
(the run's History); its signature is (history, model)
    """
    what = {
        "invariant": "the states, a dict of node id to state",
        "consistency": "the run's History",
        "check": "the finished Simulation",
    }[check.split()[0]]
    if not callable(fn):
        raise CheckError(check, f"{check} is {fn!r:.80}; it must be a function of {what}")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # a builtin without a signature: it will tell when it is called
    try:
        signature.bind(None)
    except TypeError:
        raise CheckError(
            check,
            f"{check} must be a function of one argument ({what}); its signature is {signature}",
        ) from None


class Violation(AssertionError):
    """A property failed: an invariant after a step, or the consistency check at the end.

    Attributes
    ----------
    property : str
        The invariant's name, or ``"consistency"``.
    detail : str
        What the check said (the states, or the checker's explanation).
    """

    def __init__(self, property: str, detail: str) -> None:
        super().__init__(f"{property} violated: {detail}")
        self.property = property
        self.detail = detail


# -- applying steps --------------------------------------------------------------------------------
STEP_KINDS = (
    "deliver",
    "settle",
    "invoke",
    "fire",
    "drop",
    "duplicate",
    "crash",
    "restart",
    "partition",
    "heal",
    "skew",
)
"""The kinds of step, in the order ``Stepper.options`` knows them."""

SKEWS = ((-20.0, 1.0), (20.0, 1.0), (0.0, 0.5), (0.0, 2.0), (0.0, 1.0))
"""The clock skews a ``skew`` step chooses from: (offset, rate); the last sets the clock right."""


def _timers_due(sim: Simulation) -> dict[tuple[str, Hashable], float]:
    """When each set timer is due (``Simulation.timers_due``)."""
    return sim.timers_due()


class Stepper:
    """Applies steps to a ``Simulation`` of ``system`` and lists the possible ones.

    Parameters
    ----------
    system : System
    seed : int, default 0
        The simulation's seed (it matters only to handlers that use ``ctx.rng``).
    timers : {"timely", "any"}, default "timely"
        When a timer may fire. ``"timely"``: only when no message can be
        delivered, and the one due first (ties: any of them). ``"any"``: any
        set timer, at any moment.
    invoke_timers : sequence of hashable, default ("next",)
        The timers with which a client invokes its next operation; firing one
        is an ``Invoke`` step, possible at any moment.
    faults : iterable of str, default ``DEFAULT_FAULTS``
        The kinds of fault ``options`` offers (``apply`` applies any step).
    max_crashed : int, default 1
        ``options("crash")`` is empty while this many nodes are down.
    crashable : sequence of str, optional
        The nodes that may crash (default: every node that is not a client).
    shapes : sequence of str, default ``SHAPES``
        The partition shapes ``options("partition")`` offers.

    Attributes
    ----------
    sim : Simulation
    steps : list of Step
        The steps applied so far.
    clients : tuple of str
        The client nodes: ``dslib.sim.Client`` instances and nodes with an
        invoke timer set after ``init``. They are never crashed by default
        (a client that restarts would begin its workload again).

    Examples
    --------
    >>> from dslib.small_systems.registers import primary_backup
    >>> stepper = Stepper(primary_backup())
    >>> stepper.options("invoke")
    [Invoke(node='c1', timer='next')]
    >>> _ = stepper.apply(Invoke("c1"))
    >>> [str(s) for s in stepper.options("deliver")]
    ["deliver c1 → primary: Request(client='c1', request_id=1, f='write', key=None, value=1)"]
    >>> stepper.options("fire")   # a message can be delivered: no timeout yet
    []
    >>> [describe_step(s) for s in stepper.options("crash")]
    ['crash backup', 'crash primary']
    """

    def __init__(
        self,
        system: System,
        seed: int = 0,
        timers: str = "timely",
        invoke_timers: Sequence[Hashable] = ("next",),
        faults: Iterable[str] = DEFAULT_FAULTS,
        max_crashed: int = 1,
        crashable: Sequence[str] | None = None,
        shapes: Sequence[str] = SHAPES,
    ) -> None:
        if timers not in ("timely", "any"):
            raise ValueError(f"timers={timers!r}; choose 'timely' or 'any'")
        self.sim = Simulation(system, seed=seed)
        self.timers = timers
        self.invoke_timers = tuple(invoke_timers)
        self.faults = frozenset(faults)
        self.max_crashed = max_crashed
        self.shapes = tuple(shapes)
        self.steps: list[Step] = []
        self.partitioned = False
        self._memo: dict[str, Any] = {}
        pending = self.sim.pending_timers()
        self.clients = tuple(
            i
            for i in system.ids
            if isinstance(system.nodes[i], Client)
            or any(n == i and t in self.invoke_timers for n, t in pending)
        )
        if crashable is None:
            self.crashable = tuple(i for i in system.ids if i not in self.clients)
        else:
            unknown = [n for n in crashable if n not in system.ids]
            if unknown:
                raise ValueError(f"crashable: {unknown} are not nodes of the system")
            self.crashable = tuple(sorted(crashable))

    # -- what is possible now -------------------------------------------------------------------
    def in_flight(self) -> list[tuple[str, str, Any]]:
        """The messages in flight, oldest first (``sim.in_flight()``, remembered until the
        next step)."""
        found = self._memo.get("in_flight")
        if found is None:
            found = self._memo["in_flight"] = self.sim.in_flight()
        return found

    def pending_timers(self) -> list[tuple[str, Hashable]]:
        """The set timers (``sim.pending_timers()``, remembered until the next step)."""
        found = self._memo.get("timers")
        if found is None:
            found = self._memo["timers"] = self.sim.pending_timers()
        return found

    def deliverable(self) -> list[tuple[str, str, Any]]:
        """The in-flight messages that can be delivered now: to a node that is up."""
        found = self._memo.get("deliverable")
        if found is None:
            crashed = self.sim.crashed
            found = [m for m in self.in_flight() if m[1] not in crashed]
            self._memo["deliverable"] = found
        return found

    def quiet(self) -> bool:
        """No message can be delivered now (so, under ``timers="timely"``, timers may fire)."""
        return not self.deliverable()

    def options(self, kind: str) -> list[Any]:
        """The steps of ``kind`` (one of ``STEP_KINDS``) possible now, in a fixed order.

        Messages come oldest first, timers and nodes sorted. ``settle`` gives
        the marker ``"settle"`` when a message can be delivered. Fault kinds
        that are not in ``faults`` give nothing.
        """
        sim = self.sim
        if kind == "deliver":
            return [Deliver(*m) for m in self.deliverable()]
        if kind == "settle":
            return ["settle"] if self.deliverable() else []
        if kind == "invoke":
            return [Invoke(n, t) for n, t in self.pending_timers() if t in self.invoke_timers]
        if kind == "fire":
            return self._fire_options()
        if kind in ("drop", "duplicate"):
            if kind not in self.faults:
                return []
            make = Lose if kind == "drop" else Duplicate
            return [make(*m) for m in self.in_flight()]
        if kind == "crash":
            if "crash" not in self.faults or len(sim.crashed) >= self.max_crashed:
                return []
            return [Crash(n) for n in self.crashable if n not in sim.crashed]
        if kind == "restart":
            return [Restart(n) for n in sorted(sim.crashed)]
        if kind == "partition":
            if "partition" not in self.faults:
                return []
            ids = sim.system.ids
            return [s for shape in self.shapes for s in all_partitions(ids, shape)]
        if kind == "heal":
            return [Heal()] if self.partitioned else []
        if kind == "skew":
            if "clock" not in self.faults:
                return []
            return [ClockSkew(n, o, r) for n in sim.system.ids for o, r in SKEWS]
        raise ValueError(f"options: kind={kind!r}; choose one of {list(STEP_KINDS)}")

    def possible(self, kind: str) -> bool:
        """Whether a step of ``kind`` is possible now (quicker than ``options``)."""
        if kind == "partition":
            ids = self.sim.system.ids
            return "partition" in self.faults and any(all_partitions(ids, s) for s in self.shapes)
        if kind == "skew":
            return "clock" in self.faults
        if kind in ("drop", "duplicate"):
            return kind in self.faults and bool(self.in_flight())
        if kind == "restart":
            return bool(self.sim.crashed)
        if kind == "heal":
            return self.partitioned
        return bool(self.options(kind))

    def allowed(self, step: Step) -> bool:
        """Whether ``step`` is one that the machine could take now (see ``options``)."""
        sim = self.sim
        if isinstance(step, Deliver):
            return (step.src, step.dst, step.msg) in self.deliverable()
        if isinstance(step, (Lose, Duplicate)):
            return step.kind in self.faults and (step.src, step.dst, step.msg) in self.in_flight()
        if isinstance(step, Invoke):
            return step in self.options("invoke")
        if isinstance(step, Fire):
            return step in self._fire_options()
        if isinstance(step, Crash):
            return step in self.options("crash")
        if isinstance(step, Restart):
            return step.node in sim.crashed
        if isinstance(step, Split):
            return "partition" in self.faults and step.shape in self.shapes
        if isinstance(step, Heal):
            return self.partitioned
        if isinstance(step, ClockSkew):
            return "clock" in self.faults and step.node in sim.system.ids
        return False

    def _fire_options(self) -> list[Any]:
        found = self._memo.get("fire")
        if found is None:
            found = self._memo["fire"] = self._compute_fire_options()
        return found

    def _compute_fire_options(self) -> list[Any]:
        pending = [(n, t) for n, t in self.pending_timers() if t not in self.invoke_timers]
        if self.timers == "any" or not pending:
            return [Fire(n, t) for n, t in pending]
        if not self.quiet():
            return []
        due = _timers_due(self.sim)
        if all(p in due for p in pending):
            first = min(due[p] for p in pending)
            pending = [p for p in pending if due[p] == first]
        return [Fire(n, t) for n, t in pending]

    def choose(self, kind: str, i: int) -> Any:
        """The step of ``kind`` that the number ``i`` picks, or ``None`` if none is possible.

        ``i`` picks among ``options(kind)`` (modulo their number); for a
        partition it first picks the shape, then a partition of that shape;
        for a skew, first the node, then the skew.
        """
        if kind == "partition" and "partition" in self.faults:
            ids = self.sim.system.ids
            shapes = [s for s in self.shapes if all_partitions(ids, s)]
            if not shapes:
                return None
            splits = all_partitions(ids, shapes[i % len(shapes)])
            return splits[(i // len(shapes)) % len(splits)]
        if kind == "skew" and "clock" in self.faults:
            ids = self.sim.system.ids
            offset, rate = SKEWS[(i // len(ids)) % len(SKEWS)]
            return ClockSkew(ids[i % len(ids)], offset, rate)
        options = self.options(kind)
        return options[i % len(options)] if options else None

    # -- taking a step ----------------------------------------------------------------------------
    def apply(self, step: Step) -> Step:
        """Apply one step to the simulation and record it; returns it.

        Raises
        ------
        TypeError
            If ``step`` is not a step.
        ValueError
            If the step is not possible now (no such message, timer or node).
        """
        self._memo.clear()
        if not isinstance(step, _STEP_TYPES):
            names = ", ".join(t.__name__ for t in _STEP_TYPES)
            raise TypeError(f"apply: {step!r} is not a step; steps are: {names}")
        # Recorded first: a step whose handler raises is part of the run (it failed there).
        self.steps.append(step)
        try:
            self._apply(step)
        except ValueError as exc:
            if not isinstance(exc, DslibError):  # not possible now: not part of the run
                self.steps.pop()
            raise
        if self.partitioned:
            self._drop_across()
        return step

    def _apply(self, step: Step) -> None:
        sim = self.sim
        if isinstance(step, Deliver):
            sim.deliver(step.src, step.dst, step.msg)
        elif isinstance(step, Lose):
            sim.drop(step.src, step.dst, step.msg)
        elif isinstance(step, Duplicate):
            sim.duplicate(step.src, step.dst, step.msg)
        elif isinstance(step, (Fire, Invoke)):
            sim.fire(step.node, step.timer)
        elif isinstance(step, Crash):
            sim.crash(step.node)
        elif isinstance(step, Restart):
            sim.restart(step.node)
        elif isinstance(step, ClockSkew):
            sim.set_clock(step.node, step.offset, step.rate)
        elif isinstance(step, Split):
            sim.heal()
            if step.cuts or step.shape in ("bridge", "ring"):
                for src, dst in step.cuts:
                    sim.cut(src, dst)
            else:
                sim.partition(*step.groups)
            self.partitioned = True
        else:
            sim.heal()
            self.partitioned = False

    def _drop_across(self) -> None:
        # What crosses a partition is lost, as in the simulator's own runs.
        for src, dst, msg in self.sim.in_flight():
            if not self.sim.connected(src, dst):
                self.sim.drop(src, dst, msg, reason="partition")
        self._memo.clear()

    def settle(self, limit: int = SETTLE_LIMIT) -> list[Step]:
        """Deliver deliverable messages, oldest first, until none is left (at most ``limit``)."""
        done: list[Step] = []
        while len(done) < limit:
            ready = self.deliverable()
            if not ready:
                break
            done.append(self.apply(Deliver(*ready[0])))
        return done

    def take(self, kind: str, i: int = 0) -> bool:
        """Take one step of ``kind`` picked by ``i`` (see ``choose``), or settle for
        ``"settle"``. Returns False, doing nothing, if no step of that kind is possible."""
        if kind == "settle":
            return bool(self.settle())
        step = self.choose(kind, i)
        if step is None:
            return False
        self.apply(step)
        return True


def replay(
    system: System,
    steps: Iterable[Step],
    *,
    seed: int = 0,
    timers: str = "timely",
    invoke_timers: Sequence[Hashable] = ("next",),
) -> Simulation:
    """Replay a schedule in a fresh simulation of ``system``; returns the simulation.

    Each step is one manual step (one time unit for a message or a timer), so
    ``dslib.viz.space_time_diagram(sim.trace)`` draws the run.

    >>> from dslib.small_systems.registers import primary_backup
    >>> sim = replay(primary_backup(), [Invoke("c1"), Crash("primary")])
    >>> sim.crashed, len(sim.in_flight())
    (frozenset({'primary'}), 1)
    """
    stepper = Stepper(system, seed=seed, timers=timers, invoke_timers=invoke_timers)
    for step in steps:
        stepper.apply(step)
    return stepper.sim


# -- the hypothesis state machine ----------------------------------------------------------------
Invariant = Callable[[dict[str, Any]], Any]
Consistency = Callable[[History], Any]


@dataclass
class MachineConfig:
    """What a ``SystemMachine`` subclass (or ``find_bug``) tests; ``system_machine`` builds it.

    Attributes
    ----------
    make_system : callable
        ``make_system()`` (or ``make_system(workload)`` with ``workloads``) returns a System.
    invariants : tuple of (name, function)
        Each takes ``sim.states`` (node id to state, for the nodes that are up).
    consistency : callable or None
        Takes the recorded ``History`` at the end of a run.
    faults : frozenset of str
        The kinds of fault to inject (see ``FAULT_KINDS``).
    timers : {"timely", "any"}
    max_crashed : int
        At most this many nodes down at once.
    crashable : tuple of str or None
        The nodes that may crash (default: every node but the clients).
    shapes : tuple of str
        The partition shapes to draw (see ``dslib.testing.strategies.SHAPES``).
    workloads : strategy or None
        Draws the argument of ``make_system`` at the start of each run.
    invoke_timers : tuple
    seed : int
        The simulation's seed.
    on_run : callable or None
        Called with the machine at the end of every run (``find_bug`` records runs with it).
    """

    make_system: Callable[..., System]
    invariants: tuple[tuple[str, Invariant], ...] = ()
    consistency: Consistency | None = None
    faults: frozenset[str] = frozenset(DEFAULT_FAULTS)
    timers: str = "timely"
    max_crashed: int = 1
    crashable: tuple[str, ...] | None = None
    shapes: tuple[str, ...] = SHAPES
    workloads: st.SearchStrategy[Any] | None = None
    invoke_timers: tuple[Hashable, ...] = ("next",)
    seed: int = 0
    on_run: Callable[[SystemMachine], None] | None = field(default=None, repr=False)

    def system(self, workload: Any = None) -> System:
        """A fresh system (built from ``workload`` when the config has ``workloads``)."""
        system = self.make_system(workload) if self.workloads is not None else self.make_system()
        if not isinstance(system, System):
            raise TypeError(
                f"make_system returned {type(system).__name__}; it must return a dslib.System"
            )
        return system

    def stepper(self, workload: Any = None) -> Stepper:
        """A ``Stepper`` over a fresh system, with this config's faults and timers."""
        return Stepper(
            self.system(workload),
            seed=self.seed,
            timers=self.timers,
            invoke_timers=self.invoke_timers,
            faults=self.faults,
            max_crashed=self.max_crashed,
            crashable=self.crashable,
            shapes=self.shapes,
        )

    def check_invariants(self, stepper: Stepper) -> None:
        """Raise ``Violation`` if an invariant does not hold in the current states."""
        states = stepper.sim.states
        for name, check in self.invariants:
            ok, text = run_check(f"invariant {name!r}", check, states, lambda: _where(stepper))
            if not ok:
                raise Violation(
                    name, text or f"after step {len(stepper.steps)}: states {stable_repr(states)}"
                )

    def check_history(self, stepper: Stepper) -> None:
        """Raise ``Violation`` if the consistency check rejects the run's history."""
        if self.consistency is not None:
            where = f"at the end of a run of {len(stepper.steps)} steps"
            ok, text = run_check("consistency", self.consistency, stepper.sim.history, where)
            if not ok:
                raise Violation("consistency", text)


def _where(stepper: Stepper) -> str:
    if not stepper.steps:
        return "on the initial states"
    return f"after step {len(stepper.steps)} ({describe_step(stepper.steps[-1])})"


def _index() -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=1023)


def _step_rule(kind: str, doc: str) -> Callable[..., None]:
    """The rule of ``SystemMachine`` that takes a step of ``kind`` (``Stepper.take``)."""
    indexed = kind not in ("settle", "heal")  # at most one such step: nothing to choose

    def take(self: SystemMachine, i: int = 0) -> None:
        self._take(kind, i)

    take.__name__ = take.__qualname__ = kind  # hypothesis prints steps by this name
    take.__doc__ = doc
    chosen = rule(i=_index()) if indexed else rule()
    return precondition(lambda self: self._can(kind))(chosen(take))


class SystemMachine(RuleBasedStateMachine):
    """A hypothesis state machine whose rules are the steps of a distributed system's run.

    Do not use this class directly: ``system_machine(make_system, ...)``
    returns a configured subclass. Each run builds a fresh system, then takes
    up to ``stateful_step_count`` steps chosen by hypothesis:

    ========== =========================================================
    rule       step
    ========== =========================================================
    deliver    deliver one deliverable message
    settle     deliver every deliverable message, oldest first
    invoke     a client invokes its next operation
    fire       fire a timer (when allowed, see ``timers``)
    drop       lose one in-flight message (fault ``"drop"``)
    duplicate  duplicate one in-flight message (fault ``"duplicate"``)
    crash      crash a node (fault ``"crash"``, at most ``max_crashed`` down)
    restart    restart a crashed node
    partition  split the network into one of ``shapes`` (fault ``"partition"``)
    heal       heal the network
    skew       skew a node's clock (fault ``"clock"``)
    idle       nothing (only when no other step is possible)
    ========== =========================================================

    Attributes
    ----------
    stepper : Stepper or None
        The run so far (``None`` before the first step).
    workload : any
        What ``workloads`` drew for this run (``None`` without ``workloads``).
    failure : BaseException or None
        What failed in this run, if anything.
    """

    config: MachineConfig

    def __init__(self) -> None:
        super().__init__()
        self.stepper: Stepper | None = None
        self.workload: Any = None
        self.failure: BaseException | None = None
        self._cache: dict[str, bool] = {}

    def _can(self, kind: str) -> bool:
        if self.stepper is None:
            return False
        if kind not in self._cache:
            self._cache[kind] = self.stepper.possible(kind)
        return self._cache[kind]

    def _take(self, kind: str, i: int = 0) -> None:
        assert self.stepper is not None
        self._cache.clear()
        try:
            self.stepper.take(kind, i)
        except BaseException as exc:
            self.failure = exc
            raise

    # -- rules -----------------------------------------------------------------------------------
    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        """Build the system (drawing a workload first, if the machine has a strategy for it)."""
        cfg = self.config
        if cfg.workloads is not None:
            self.workload = data.draw(cfg.workloads, label="workload")
        self.stepper = cfg.stepper(self.workload)
        self._cache.clear()

    # One rule per kind of step (the table above): possible when the stepper has such a
    # step; hypothesis draws ``i``, which picks among them (``Stepper.take``).
    deliver = _step_rule("deliver", "Deliver one deliverable message.")
    settle = _step_rule(
        "settle", "Deliver every deliverable message, oldest first, until the network is quiet."
    )
    invoke = _step_rule("invoke", "A client invokes its next operation.")
    fire = _step_rule("fire", "Fire a timer.")
    drop = _step_rule("drop", "Lose one in-flight message.")
    duplicate = _step_rule("duplicate", "Duplicate one in-flight message.")
    crash = _step_rule("crash", "Crash a node.")
    restart = _step_rule("restart", "Restart a crashed node.")
    partition = _step_rule(
        "partition", "Split the network into a partition of one of the configured shapes."
    )
    heal = _step_rule("heal", "Heal the network.")
    skew = _step_rule("skew", "Skew one node's clock.")

    @precondition(
        lambda self: self.stepper is not None and not any(self._can(k) for k in STEP_KINDS)
    )
    @rule()
    def idle(self) -> None:
        """Nothing can happen: wait."""

    # -- checks ----------------------------------------------------------------------------------
    @invariant()
    def invariants_hold(self) -> None:
        """Run the user's invariants on the nodes' states."""
        if self.stepper is None or self.failure is not None:
            return
        try:
            self.config.check_invariants(self.stepper)
        except BaseException as exc:
            self.failure = exc
            raise

    def teardown(self) -> None:
        """At the end of a run: check the history (unless the run already failed)."""
        try:
            if self.stepper is not None and self.failure is None:
                try:
                    self.config.check_history(self.stepper)
                except BaseException as exc:
                    self.failure = exc
                    raise
        finally:
            if self.config.on_run is not None:
                self.config.on_run(self)


def _named(invariants: Any) -> tuple[tuple[str, Invariant], ...]:
    if invariants is None:
        return ()
    if callable(invariants):
        invariants = [invariants]
    items = list(invariants.items()) if isinstance(invariants, Mapping) else list(invariants)
    out = []
    for i, item in enumerate(items):
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            name, fn = item
        else:
            name, fn = getattr(item, "__name__", f"invariant {i}"), item
        if not callable(fn):
            raise TypeError(f"invariant {name!r} is {fn!r}; an invariant is a function of states")
        check_signature(f"invariant {str(name)!r}", fn)
        out.append((str(name), fn))
    return tuple(out)


def system_machine(
    make_system: Callable[..., System],
    invariants: Any = (),
    consistency: Consistency | None = None,
    *,
    faults: Iterable[str] = DEFAULT_FAULTS,
    timers: str = "timely",
    max_crashed: int = 1,
    crashable: Sequence[str] | None = None,
    shapes: Sequence[str] = SHAPES,
    workloads: st.SearchStrategy[Any] | None = None,
    invoke_timers: Sequence[Hashable] = ("next",),
    seed: int = 0,
    on_run: Callable[[SystemMachine], None] | None = None,
    name: str = "SystemMachine",
) -> type[SystemMachine]:
    """A ``SystemMachine`` subclass that tests the systems ``make_system`` builds.

    Parameters
    ----------
    make_system : callable
        Returns a fresh ``System`` (called once per run); with ``workloads``
        it is called with the drawn workload.
    invariants : function, sequence or mapping of functions
        Each takes ``sim.states`` (node id to state of the nodes that are up)
        and returns a bool (or an object with a boolean ``ok``); checked after
        every step. A mapping (or ``(name, function)`` pairs) names them.
    consistency : callable, optional
        Takes the run's ``History`` at the end and returns a bool or an object
        with ``ok``, such as ``dslib.consistency.check_linearizable(h, Register())``.
    faults : iterable of str, default ``DEFAULT_FAULTS``
        Which of ``FAULT_KINDS`` to inject. ``()`` tests without faults.
    timers : {"timely", "any"}, default "timely"
        When a timer may fire (see the module docstring).
    max_crashed : int, default 1
        At most this many nodes down at once.
    crashable : sequence of str, optional
        The nodes that may crash (default: every node that is not a client).
    shapes : sequence of str, default ``SHAPES``
        The shapes of partitions to draw.
    workloads : hypothesis strategy, optional
        Draws the argument of ``make_system``.
    invoke_timers : sequence, default ("next",)
        The timers with which clients invoke operations.
    seed : int, default 0
        The simulation's seed (for ``ctx.rng``).
    on_run : callable, optional
        Called with the machine at the end of every run.
    name : str, default "SystemMachine"
        The subclass's name (hypothesis prints it).

    Returns
    -------
    type
        A subclass of ``SystemMachine``; its ``TestCase`` attribute is a
        ``unittest.TestCase`` (assign it to a name in a test module and pytest
        runs it), and ``hypothesis.stateful.run_state_machine_as_test`` runs it.

    Raises
    ------
    ValueError
        If a fault kind, a timer mode or ``max_crashed`` is not allowed.
    TypeError
        If ``make_system``, an invariant or ``consistency`` is not callable.
    CheckError
        If an invariant or ``consistency`` cannot take one argument; and,
        during a run, if one raises or returns neither a bool nor an object
        with a boolean ``ok`` (an error in the check, not a bug in the system).

    Examples
    --------
    >>> from hypothesis import settings
    >>> from hypothesis.stateful import run_state_machine_as_test
    >>> from dslib.consistency import Register, check_linearizable
    >>> from dslib.small_systems.registers import primary_backup
    >>> Machine = system_machine(primary_backup,
    ...                          consistency=lambda h: check_linearizable(h, Register()),
    ...                          faults=())
    >>> run_state_machine_as_test(Machine, settings=settings(max_examples=5, database=None,
    ...                                                      deadline=None, derandomize=True))
    >>> TestPrimaryBackup = Machine.TestCase   # in a test module: pytest runs it
    """
    if not callable(make_system):
        raise TypeError(f"system_machine: make_system={make_system!r} must be callable")
    kinds = frozenset(faults)
    bad = sorted(k for k in kinds if k not in FAULT_KINDS)
    if bad or isinstance(faults, str):
        raise ValueError(
            f"system_machine: faults={faults!r}; choose any of {list(FAULT_KINDS)} "
            "(an iterable of names; () for none)"
        )
    if timers not in ("timely", "any"):
        raise ValueError(f"system_machine: timers={timers!r}; choose 'timely' or 'any'")
    if not (isinstance(max_crashed, int) and max_crashed >= 1):
        raise ValueError(f"system_machine: max_crashed={max_crashed!r} must be an int >= 1")
    bad_shapes = [s for s in shapes if s not in SHAPES]
    if bad_shapes or not shapes:
        raise ValueError(f"system_machine: shapes={shapes!r}; choose from {list(SHAPES)}")
    if consistency is not None and not callable(consistency):
        raise TypeError(f"system_machine: consistency={consistency!r} must be callable or None")
    if consistency is not None:
        check_signature("consistency", consistency)
    config = MachineConfig(
        make_system=make_system,
        invariants=_named(invariants),
        consistency=consistency,
        faults=kinds,
        timers=timers,
        max_crashed=max_crashed,
        crashable=tuple(crashable) if crashable is not None else None,
        shapes=tuple(shapes),
        workloads=workloads,
        invoke_timers=tuple(invoke_timers),
        seed=seed,
        on_run=on_run,
    )
    return type(name, (SystemMachine,), {"config": config, "__doc__": SystemMachine.__doc__})
